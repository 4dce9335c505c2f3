//! A reader of a crate's module graph for tests/layout.rs: which module
//! names which (`crate::`, `super::`, `self::` paths, `use` groups over
//! several lines), and a folder's `mod.rs` as a node of its folder's graph.
//! A plain-text reader: enough for this tree's code, which `cargo fmt` keeps
//! in one shape; not a Rust parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path and the code before its tests.
pub(crate) struct File {
    pub(crate) path: PathBuf,
    pub(crate) module: Vec<String>,
    pub(crate) code: String,
}

pub(crate) fn files_under(root: &str) -> Vec<File> {
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
pub(crate) fn references(file: &File) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in logical_lines(&file.code) {
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

/// The lines of `code`, with a `use` declaration that spans several lines
/// joined into one.
fn logical_lines(code: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in code.lines() {
        if open {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            out.push(line.to_string());
        }
        open = (open || use_line(line).is_some()) && !line.contains(';');
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

pub(crate) fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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

/// The node a folder's `mod.rs` is in its folder's graph.
pub(crate) const FACADE: &str = "mod.rs";

/// What a folder's `mod.rs` declares: its child modules, the names it
/// re-exports from them (`pub use child::X`) and the items it defines.
#[derive(Default)]
struct Facade {
    children: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
    defines: BTreeSet<String>,
}

/// Whether a line is a `use` declaration, and whether it is public (a re-export).
fn use_line(line: &str) -> Option<bool> {
    let line = line.trim_start();
    if line.starts_with("use ") {
        return Some(false);
    }
    let rest = line.strip_prefix("pub")?;
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')')?.1,
        None => rest,
    };
    rest.trim_start().starts_with("use ").then_some(true)
}

/// The `use` declarations of `code`, each on one line, with whether it is public.
fn use_declarations(code: &str) -> Vec<(bool, String)> {
    logical_lines(code)
        .into_iter()
        .filter_map(|line| use_line(&line).map(|public| (public, line.trim().to_string())))
        .collect()
}

/// Identifiers of `code` outside `use`/`mod` declarations and comments.
fn body_words(code: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    let mut in_use = false;
    for line in code.lines() {
        let trimmed = line.trim_start();
        if in_use {
            in_use = !line.contains(';');
            continue;
        }
        if use_line(line).is_some() {
            in_use = !line.contains(';');
            continue;
        }
        if trimmed.starts_with("//")
            || trimmed.starts_with("mod ")
            || trimmed.starts_with("pub mod ")
        {
            continue;
        }
        for w in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !w.is_empty() {
                words.insert(w.to_string());
            }
        }
    }
    words
}

/// The name `item` is given by `item as name` in a `use` declaration.
fn renamed<'a>(declaration: &'a str, item: &str) -> Option<&'a str> {
    let words: Vec<&str> = declaration
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(3)
        .find(|w| w[0] == item && w[1] == "as")
        .map(|w| w[2])
}

/// Reads a `mod.rs`: its children, re-exports and definitions.
fn facade(file: &File, modules: &BTreeSet<Vec<String>>) -> Facade {
    let mut out = Facade::default();
    for m in modules {
        if m.len() == file.module.len() + 1 && m[..file.module.len()] == file.module[..] {
            out.children.insert(m[file.module.len()].clone());
        }
    }
    for (public, text) in use_declarations(&file.code) {
        if !public {
            continue;
        }
        let path = text.split_once("use ").map_or("", |(_, p)| p);
        let path = path.strip_prefix("self::").unwrap_or(path);
        let (paths, _) = parse_tree(path);
        for p in paths {
            let Some(child) = p.first().filter(|c| out.children.contains(*c)) else {
                continue;
            };
            if let Some(name) = p.last() {
                let name = renamed(&text, name).unwrap_or(name);
                out.reexports.insert(name.to_string(), child.clone());
            }
        }
    }
    for line in file.code.lines() {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let keyword = words.iter().position(|w| {
            matches!(
                *w,
                "struct" | "enum" | "fn" | "trait" | "type" | "const" | "static" | "union"
            )
        });
        let indented = line.starts_with(char::is_whitespace);
        if let Some(k) = keyword
            && !indented
            && words[..k]
                .iter()
                .all(|w| matches!(*w, "pub" | "crate" | "async" | "unsafe" | "const"))
            && let Some(name) = words.get(k + 1)
        {
            out.defines.insert((*name).to_string());
        }
    }
    out
}

/// The edges a `mod.rs` adds to its folder's graph: to a child it imports
/// privately, whose items it names outside a re-export, or whose re-exported
/// name its own code uses.
fn facade_edges(file: &File, facade: &Facade) -> BTreeSet<String> {
    let words = body_words(&file.code);
    let mut out = BTreeSet::new();
    for (public, text) in use_declarations(&file.code) {
        let path = text.split_once("use ").map_or("", |(_, p)| p);
        let path = path.strip_prefix("self::").unwrap_or(path);
        let head = path.split("::").next().unwrap_or("");
        if !public && facade.children.contains(head) {
            out.insert(head.to_string());
        }
    }
    for (name, child) in &facade.reexports {
        if words.contains(name) {
            out.insert(child.clone());
        }
    }
    for child in &facade.children {
        let bare = format!("{child}::");
        let named = file
            .code
            .lines()
            .filter(|l| use_line(l).is_none())
            .any(|l| {
                l.match_indices(&bare).any(|(i, _)| {
                    i == 0
                        || !l.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && l.as_bytes()[i - 1] != b'_'
                            && l.as_bytes()[i - 1] != b':'
                })
            });
        if named {
            out.insert(child.clone());
        }
    }
    for r in references(file) {
        if r.len() > file.module.len()
            && r[..file.module.len()] == file.module[..]
            && facade.children.contains(&r[file.module.len()])
        {
            let child = &r[file.module.len()];
            let reexported = use_declarations(&file.code)
                .iter()
                .any(|(public, text)| *public && text.contains(&format!("{child}::")));
            if !reexported || words.contains(child) {
                out.insert(child.clone());
            }
        }
    }
    out
}

/// Each folder's graph: its files and sub-folders, and its `mod.rs` as the
/// node [`FACADE`]. A child naming `super::X` depends on the child `X` is
/// re-exported from, or on `mod.rs` when `mod.rs` defines `X`.
pub(crate) fn folder_graphs(
    files: &[File],
) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let facades: BTreeMap<Vec<String>, Facade> = files
        .iter()
        .filter(|f| f.path.ends_with("mod.rs"))
        .map(|f| (f.module.clone(), facade(f, &modules)))
        .collect();
    let mut folders: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.path.ends_with("mod.rs")) {
        let edges = facade_edges(f, &facades[&f.module]);
        if !edges.is_empty() {
            folders
                .entry(f.module.clone())
                .or_default()
                .entry(FACADE.to_string())
                .or_default()
                .extend(edges);
        }
    }
    for f in files {
        let Some((name, folder)) = f.module.split_last() else {
            continue;
        };
        let facade = facades.get(folder);
        for r in references(f) {
            if r.len() <= folder.len() || r[..folder.len()] != *folder {
                continue;
            }
            let item = &r[folder.len()];
            let mut as_module = folder.to_vec();
            as_module.push(item.clone());
            let to = if modules.contains(&as_module) {
                Some(item.clone())
            } else {
                facade.and_then(|fa| {
                    fa.reexports
                        .get(item)
                        .cloned()
                        .or_else(|| fa.defines.contains(item).then(|| FACADE.to_string()))
                })
            };
            if let Some(to) = to.filter(|t| t != name) {
                folders
                    .entry(folder.to_vec())
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .insert(to);
            }
        }
    }
    folders
}
