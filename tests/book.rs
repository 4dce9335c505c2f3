//! The operator's book (`docs/`, mdBook) held to the code (issue 24 §1):
//! it builds without a warning; every `SCOPEGATE_*` setting, every reason
//! code and every metric the code records is in it, and it names no
//! setting, reason code or metric the code lacks. (The lab's options are
//! checked from the lab's own tests, `loadtest/tests/book_options.rs`.)

mod support;

use scopegate::Reject;
use scopegate::config::names::{KNOWN, TOOLING_PREFIX};
use std::collections::BTreeSet;
use support::tools::{self, MDBOOK};

/// The book's examples of a misspelt setting, which the start refuses.
const MISSPELLINGS: [&str; 1] = ["SCOPEGATE_AUDEINCE"];

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs");

/// The book's text: every chapter, with what it includes.
fn book() -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(format!("{DOCS}/src")).unwrap() {
        let path = entry.unwrap().path();
        let chapter = std::fs::read_to_string(&path).unwrap();
        for line in chapter.lines() {
            match line
                .strip_prefix("{{#include ")
                .and_then(|l| l.strip_suffix("}}"))
            {
                Some(included) => {
                    let file = path.parent().unwrap().join(included);
                    text.push_str(&std::fs::read_to_string(&file).unwrap());
                }
                None => text.push_str(line),
            }
            text.push('\n');
        }
    }
    text
}

#[test]
fn the_book_builds_without_a_warning() {
    if !tools::have(&[MDBOOK]) {
        return;
    }
    let out_dir = std::env::temp_dir().join(format!("scopegate-book-{}", std::process::id()));
    let out = std::process::Command::new(support::tool("SCOPEGATE_TEST_MDBOOK"))
        .args(["build", DOCS, "-d"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&out_dir);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    assert!(
        !log.contains("WARN") && !log.contains("ERROR"),
        "warnings are errors:\n{log}"
    );
}

#[test]
fn every_setting_is_in_the_book_and_it_names_no_other() {
    let named = support::tokens(&book(), "SCOPEGATE_");
    // Whole names: `SCOPEGATE_JWKS` inside `SCOPEGATE_JWKS_MAX_AGE_SECONDS` does not count.
    let missing: Vec<&&str> = KNOWN.iter().filter(|n| !named.contains(**n)).collect();
    assert!(missing.is_empty(), "settings the book lacks: {missing:?}");
    let unknown: Vec<String> = named
        .into_iter()
        .filter(|t| {
            // `SCOPEGATE_PERMISSIONS_*` names a family; the tooling's prefix is not read.
            let family = t.ends_with('_') && KNOWN.iter().any(|k| k.starts_with(t.as_str()));
            !KNOWN.contains(&t.as_str())
                && !family
                && !t.starts_with(TOOLING_PREFIX)
                && !MISSPELLINGS.contains(&t.as_str())
        })
        .collect();
    assert!(unknown.is_empty(), "settings the code lacks: {unknown:?}");
}

#[test]
fn the_reason_code_table_is_the_codes_list() {
    let decisions = std::fs::read_to_string(format!("{DOCS}/src/decisions.md")).unwrap();
    let table: BTreeSet<String> = decisions
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    let mut codes: BTreeSet<String> = Reject::ALL.iter().map(|r| r.code().to_string()).collect();
    codes.insert("granted".into());
    codes.insert("no_grant".into());
    assert_eq!(table, codes);
}

#[test]
fn every_metric_is_in_the_book_and_it_names_no_other() {
    let named: BTreeSet<String> = support::tokens(&book(), "scopegate_")
        .into_iter()
        .map(|t| t.trim_end_matches("_bucket").to_string())
        .collect();
    let recorded = support::recorded_metrics();
    let missing: Vec<&String> = recorded.iter().filter(|m| !named.contains(*m)).collect();
    assert!(missing.is_empty(), "metrics the book lacks: {missing:?}");
    let unknown: Vec<String> = named
        .into_iter()
        .filter(|t| (t.ends_with("_total") || t.ends_with("_seconds")) && !recorded.contains(t))
        .collect();
    assert!(unknown.is_empty(), "metrics the code lacks: {unknown:?}");
}
