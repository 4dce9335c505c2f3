//! The lab's chapter of the operator's book (`docs/src/lab.md`) held to
//! the lab's command line (issue 24 §1): every option of every subcommand
//! is in it, and every `--flag` on a `scopegate-lab` command line in it is
//! one (or cargo's own).

use clap::CommandFactory as _;
use scopegate_lab::cli::Cli;
use std::collections::BTreeSet;

/// Flags of the commands that run the lab (`cargo run --release -p …`), not the lab's.
const CARGO_FLAGS: [&str; 3] = ["--release", "--bin", "--package"];

fn chapter() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/lab.md")).unwrap()
}

/// The options table of each subcommand in the chapter (a `### \`sub\``
/// heading, then rows `| \`--flag\` | …`).
fn tables(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut sub = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) {
            sub = Some(name.to_string());
        } else if let (Some(sub), Some(row)) = (&sub, line.strip_prefix("| `--"))
            && let Some(flag) = row.split('`').next()
        {
            out.insert((sub.clone(), format!("--{flag}")));
        }
    }
    out
}

/// `(subcommand, --option)` for every option of every subcommand.
fn lab_options_by_subcommand() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for sub in Cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.insert((sub.get_name().to_string(), format!("--{long}")));
            }
        }
    }
    out
}

fn lab_options() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for sub in Cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.insert(format!("--{long}"));
            }
        }
    }
    out
}

#[test]
fn every_lab_option_is_in_the_book_and_it_names_no_other() {
    let text = chapter();
    let options = lab_options();
    assert!(options.len() > 30, "{options:?}");
    // Each subcommand's table lists exactly its options (whole flags: `--ttl`
    // inside `--ttls` does not count).
    assert_eq!(tables(&text), lab_options_by_subcommand());
    // Flags on the lab's own command lines (others are the AWS CLI's, Locust's…).
    let commands: String = text
        .lines()
        .filter(|l| l.contains("scopegate-lab "))
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = BTreeSet::new();
    let mut rest = commands.as_str();
    while let Some(i) = rest.find("--") {
        let tail = &rest[i + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(tail.len());
        if end > 0 && tail.as_bytes()[0].is_ascii_alphabetic() {
            named.insert(format!("--{}", &tail[..end]));
        }
        rest = &tail[end..];
    }
    let unknown: Vec<&String> = named
        .iter()
        .filter(|n| !options.contains(*n) && !CARGO_FLAGS.contains(&n.as_str()) && *n != "--help")
        .collect();
    assert!(unknown.is_empty(), "flags the lab lacks: {unknown:?}");
}
