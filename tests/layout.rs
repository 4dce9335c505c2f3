//! The shape of `src/`, checked on every test run (docs/ARCHITECTURE.md):
//! - the graph of top-level modules (`crate::X` references between them)
//!   has no cycle, and neither has the graph of sibling files inside any
//!   folder, where the folder's `mod.rs` is a node too: a child naming
//!   `super::X` depends on the sibling `mod.rs` re-exports `X` from, or on
//!   `mod.rs` itself when it defines `X` (so logic in a `mod.rs` that its
//!   children also use is a cycle, and belongs in a named file);
//! - every top-level module uses only the layers above it (`LAYERS`);
//! - no file has more than 500 lines before its `#[cfg(test)]` module.
//!
//! Test code (after `#[cfg(test)]`, and `tests.rs` files) may import from
//! anywhere and is not read.

#[path = "support/module_graph.rs"]
mod module_graph;

use module_graph::{FACADE, File, files_under, find_cycle, folder_graphs, references};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const MAX_LINES: usize = 500;

/// The crates whose tree is checked: the authorizer and the lab.
const ROOTS: [&str; 2] = ["src", "loadtest/src"];

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
    let folders = folder_graphs(&files);
    assert!(
        folders.values().any(|g| g.contains_key(FACADE)),
        "{root}: no mod.rs was read"
    );
    let cycles: Vec<String> = folders
        .iter()
        .filter_map(|(folder, edges)| {
            find_cycle(edges).map(|c| format!("{root}/{}: {}", folder.join("/"), c.join(" -> ")))
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles inside folders: {cycles:#?}"
    );
}

#[test]
fn no_file_has_more_than_500_lines_before_its_tests() {
    let long: Vec<String> = ROOTS
        .iter()
        .flat_map(|root| files_under(root))
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

#[test]
fn a_mod_rs_is_a_node_of_its_folder() {
    let file = |path: &str, module: &[&str], code: &str| File {
        path: PathBuf::from(path),
        module: module.iter().map(|m| (*m).to_string()).collect(),
        code: code.into(),
    };
    let facade = "mod a;\nmod b;\npub use a::{Alpha, Beta as B};\nuse b::helper;\n\
        pub struct Defined;\nfn run() { helper(); }\n";
    let files = [
        file("src/f/mod.rs", &["f"], facade),
        // Through the re-export: a depends on nothing, b on a.
        file(
            "src/f/a.rs",
            &["f", "a"],
            "pub struct Alpha;\npub struct Beta;\n",
        ),
        file(
            "src/f/b.rs",
            &["f", "b"],
            "use super::{\n    B};\npub fn helper() {}\n",
        ),
    ];
    let graphs = folder_graphs(&files);
    let f = &graphs[&vec!["f".to_string()]];
    assert_eq!(f[FACADE], BTreeSet::from(["b".to_string()]));
    assert_eq!(f["b"], BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(f), None);
    // A child using what mod.rs defines, while mod.rs uses the child: a cycle.
    let files = [
        file("src/f/mod.rs", &["f"], facade),
        file(
            "src/f/a.rs",
            &["f", "a"],
            "pub struct Alpha;\npub struct Beta;\n",
        ),
        file(
            "src/f/b.rs",
            &["f", "b"],
            "use super::Defined;\npub fn helper() {}\n",
        ),
    ];
    let graphs = folder_graphs(&files);
    assert_eq!(
        find_cycle(&graphs[&vec!["f".to_string()]]),
        Some(vec!["b".to_string(), FACADE.to_string(), "b".to_string()])
    );
}

/// The layers of `src/`, top to bottom of `lib.rs`'s list (docs/ARCHITECTURE.md):
/// a module may use its own layer's earlier modules and any layer above,
/// never a later one. Within the stages, the order is the pipeline's.
const LAYERS: &[&[&str]] = &[
    &["clock", "jose", "codec", "outcome", "registered", "routes"],
    &["net"],
    &[
        "event", "token", "keys", "verify", "scopes", "policy", "cedar", "respond", "grants",
        "memo",
    ],
    &["handler", "telemetry"],
    &["config", "init"],
    &["lambda", "replay", "explain", "testkit"],
];

/// The lab's layers (`loadtest/src/`, docs/ARCHITECTURE.md), the same way:
/// leaves, the traffic model, the emulated gateway and IdP, what is measured
/// and priced from them, the subcommands, and the command line.
const LAB_LAYERS: &[&[&str]] = &[
    &["rng", "progress", "arg_values", "identity"],
    &["scenario", "traffic", "sim"],
    &["idp", "gateway", "access_log"],
    &[
        "measure",
        "runs",
        "cost",
        "recommend",
        "alternatives",
        "report",
    ],
    &["calibrate", "export", "fixture", "serve", "live", "sweep"],
    &["cli"],
];

/// A module's rank in `layers`: (layer, position in it).
fn rank(layers: &[&[&str]], module: &str) -> Option<(usize, usize)> {
    layers.iter().enumerate().find_map(|(layer, names)| {
        names
            .iter()
            .position(|n| *n == module)
            .map(|position| (layer, position))
    })
}

#[test]
fn every_module_uses_only_layers_above_it() {
    for (root, layers) in [("src", LAYERS), ("loadtest/src", LAB_LAYERS)] {
        uses_only_layers_above(root, layers);
    }
}

fn uses_only_layers_above(root: &str, layers: &[&[&str]]) {
    let files = files_under(root);
    let mut violations = BTreeSet::new();
    for f in &files {
        let Some(from) = f.module.first() else {
            continue;
        };
        let from_rank =
            rank(layers, from).unwrap_or_else(|| panic!("{root}: {from} is in no layer"));
        for r in references(f) {
            let Some(to) = r.first().filter(|t| *t != from) else {
                continue;
            };
            let Some(to_rank) = rank(layers, to) else {
                continue;
            };
            let later_layer = to_rank.0 > from_rank.0;
            let later_stage = to_rank.0 == from_rank.0 && to_rank.1 > from_rank.1;
            if later_layer || later_stage {
                violations.insert(format!("{from} uses {to}"));
            }
        }
    }
    assert!(violations.is_empty(), "{root}: {violations:#?}");
}
