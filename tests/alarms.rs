//! The alarms (issue 24 §2): the Prometheus alerting rules pass `promtool
//! check rules` and their unit tests (`dashboards/alerts.test.yml`: series
//! that must fire and must not); every alert and every CloudWatch alarm of
//! the template has its runbook section and no section names an alarm that
//! does not exist; every metric they read is one the code records.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use support::tools::{self, PROMTOOL};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `- alert: NAME` lines of the rules file.
fn prometheus_alerts() -> BTreeSet<String> {
    read("dashboards/alerts.yml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(str::to_string)
        .collect()
}

/// Logical ids of the template's `AWS::CloudWatch::Alarm` resources.
fn cloudwatch_alarms() -> BTreeSet<String> {
    let template = read("deploy/template.yaml");
    let lines: Vec<&str> = template.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[1].trim() == "Type: AWS::CloudWatch::Alarm")
        .map(|w| w[0].trim().trim_end_matches(':').to_string())
        .collect()
}

/// Every `scopegate_*` name in `text` (histogram series lose `_bucket`).
fn metric_names(text: &str) -> BTreeSet<String> {
    support::tokens(text, "scopegate_")
        .into_iter()
        .map(|t| t.trim_end_matches("_bucket").to_string())
        .collect()
}

#[test]
fn the_alerting_rules_pass_promtool_and_their_unit_tests() {
    if !tools::have(&[PROMTOOL]) {
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards");
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_alarm_has_its_runbook_section_and_no_other_is_there() {
    let runbook = read("docs/runbook.md");
    let sections: BTreeSet<String> = runbook
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(str::to_string)
        .collect();
    let prometheus = prometheus_alerts();
    let cloudwatch = cloudwatch_alarms();
    assert!(prometheus.len() >= 8 && cloudwatch.len() >= 11);
    let alarms: BTreeSet<String> = prometheus.union(&cloudwatch).cloned().collect();
    assert_eq!(sections, alarms, "runbook sections vs alarms");
    // Each alarm points at its own section.
    let template = read("deploy/template.yaml");
    let rules = read("dashboards/alerts.yml");
    for name in &cloudwatch {
        assert!(
            template.contains(&format!("docs/runbook.md#{}", name.to_lowercase())),
            "{name}"
        );
    }
    for name in &prometheus {
        assert!(
            rules.contains(&format!("docs/runbook.md#{}", name.to_lowercase())),
            "{name}"
        );
    }
}

#[test]
fn the_alarms_read_metrics_the_code_records() {
    let recorded = support::recorded_metrics();
    assert!(
        recorded.contains("scopegate_decisions_total"),
        "{recorded:?}"
    );
    for (what, text) in [
        ("dashboards/alerts.yml", read("dashboards/alerts.yml")),
        ("deploy/template.yaml", read("deploy/template.yaml")),
    ] {
        let unknown: Vec<String> = metric_names(&text)
            .into_iter()
            .filter(|m| !recorded.contains(m))
            .collect();
        assert!(unknown.is_empty(), "{what} reads {unknown:?}");
    }
}
