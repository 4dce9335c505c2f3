//! The shape of `src/`, checked on every test run (docs/ARCHITECTURE.md):
//! - the graph of top-level modules (`crate::X` references between them)
//!   has no cycle, and neither has the graph of sibling files inside any
//!   folder (a folder's `mod.rs` is its façade and does not count);
//! - no file has more than 500 lines before its `#[cfg(test)]` module.
//!
//! Test code (after `#[cfg(test)]`, and `tests.rs` files) may import from
//! anywhere and is not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

/// One source file: its module path and the code before its tests.
struct File {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

/// The crates whose tree is checked: the authorizer and the lab.
const ROOTS: [&str; 2] = ["src", "loadtest/src"];

fn files() -> Vec<File> {
    files_under("src")
}

fn files_under(root: &str) -> Vec<File> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap();
            let mut module: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            out.push(File { path, module, code });
        }
    }
    out
}

/// Every path a file names through `crate::`, `super::` or `self::`, as
/// absolute module paths (brace groups expanded, comments skipped).
fn references(file: &File) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in file.code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < line.len() {
            if !line.is_char_boundary(i) {
                i += 1;
                continue;
            }
            let rest = &line[i..];
            let start = ["crate::", "super::", "self::"]
                .iter()
                .find(|p| rest.starts_with(**p))
                .filter(|_| {
                    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
                });
            let Some(prefix) = start else {
                i += 1;
                continue;
            };
            let mut base = file.module.clone();
            match *prefix {
                "crate::" => base.clear(),
                "super::" => {
                    base.pop();
                }
                _ => {}
            }
            let (paths, used) = parse_tree(&rest[prefix.len()..]);
            for p in paths {
                let mut full = base.clone();
                full.extend(p);
                out.push(full);
            }
            i += prefix.len() + used.max(1);
        }
    }
    out
}

/// Parses `a::b::{c, d::e}` into its leaf paths; returns them and the bytes read.
fn parse_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let b = s.as_bytes();
    let mut prefix = Vec::new();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'{') {
            i += 1;
            let mut all = Vec::new();
            loop {
                while i < b.len() && matches!(b[i], b' ' | b',' | b'\n') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    return (all, i + 1);
                }
                let (inner, used) = parse_tree(&s[i..]);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p);
                    all.push(full);
                }
                i += used.max(1);
            }
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            return (vec![prefix], i);
        }
        prefix.push(s[start..i].to_string());
        if s[i..].starts_with("::") {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    for root in ROOTS {
        top_level_without_a_cycle(root);
    }
}

fn top_level_without_a_cycle(root: &str) {
    let files = files_under(root);
    let top: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.module.first().cloned())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = f.module.first() else {
            continue;
        };
        for r in references(f) {
            if let Some(to) = r.first().filter(|t| top.contains(*t) && *t != from) {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    assert!(edges.len() > 10, "{root}: the graph was read: {edges:?}");
    assert_eq!(
        find_cycle(&edges),
        None,
        "import cycle between top-level modules of {root}"
    );
}

#[test]
fn sibling_files_of_a_folder_import_each_other_without_a_cycle() {
    for root in ROOTS {
        siblings_without_a_cycle(root);
    }
}

fn siblings_without_a_cycle(root: &str) {
    let files = files_under(root);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut folders: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files.iter().filter(|f| !f.path.ends_with("mod.rs")) {
        let Some((name, folder)) = f.module.split_last() else {
            continue;
        };
        for r in references(f) {
            if r.len() > folder.len() && r[..folder.len()] == *folder {
                let sibling = &r[folder.len()];
                let mut as_module = folder.to_vec();
                as_module.push(sibling.clone());
                if sibling != name && modules.contains(&as_module) {
                    folders
                        .entry(folder.to_vec())
                        .or_default()
                        .entry(name.clone())
                        .or_default()
                        .insert(sibling.clone());
                }
            }
        }
    }
    for (folder, edges) in &folders {
        assert_eq!(
            find_cycle(edges),
            None,
            "import cycle inside {root}/{}",
            folder.join("/")
        );
    }
}

#[test]
fn no_file_has_more_than_500_lines_before_its_tests() {
    let long: Vec<String> = files()
        .iter()
        .filter(|f| f.code.lines().count() > MAX_LINES)
        .map(|f| format!("{} ({} lines)", f.path.display(), f.code.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}

#[test]
fn the_reference_reader_expands_groups_and_resolves_super() {
    let file = File {
        path: PathBuf::from("src/keys/remote.rs"),
        module: vec!["keys".into(), "remote".into()],
        code: "use crate::{codec::b64, net::{http, s3::Target}};\nuse super::set::KeySet;\n// crate::ignored\n".into(),
    };
    let refs: Vec<String> = references(&file).iter().map(|r| r.join("::")).collect();
    assert_eq!(
        refs,
        [
            "codec::b64",
            "net::http",
            "net::s3::Target",
            "keys::set::KeySet"
        ]
    );
}

/// The layers of `src/`, top to bottom of `lib.rs`'s list (docs/ARCHITECTURE.md):
/// a module may use its own layer's earlier modules and any layer above,
/// never a later one. Within the stages, the order is the pipeline's.
const LAYERS: &[&[&str]] = &[
    &["clock", "jose", "codec", "outcome", "registered"],
    &["net"],
    &[
        "event", "token", "keys", "verify", "scopes", "policy", "cedar", "respond", "grants",
        "memo",
    ],
    &["handler", "telemetry"],
    &["config", "init"],
    &["lambda", "replay", "explain", "testkit"],
];

/// A module's rank: (layer, position in it).
fn rank(module: &str) -> Option<(usize, usize)> {
    LAYERS.iter().enumerate().find_map(|(layer, names)| {
        names
            .iter()
            .position(|n| *n == module)
            .map(|position| (layer, position))
    })
}

#[test]
fn every_module_uses_only_layers_above_it() {
    let files = files();
    let mut violations = BTreeSet::new();
    for f in &files {
        let Some(from) = f.module.first() else {
            continue;
        };
        let from_rank = rank(from).unwrap_or_else(|| panic!("{from} is in no layer of LAYERS"));
        for r in references(f) {
            let Some(to) = r.first().filter(|t| *t != from) else {
                continue;
            };
            let Some(to_rank) = rank(to) else {
                continue;
            };
            let later_layer = to_rank.0 > from_rank.0;
            let later_stage = to_rank.0 == from_rank.0 && to_rank.1 > from_rank.1;
            if later_layer || later_stage {
                violations.insert(format!("{from} uses {to}"));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}
