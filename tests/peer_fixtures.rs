//! Fixtures in the peers' layout (contract §6), made by the project's own
//! generator (`scopegate::testkit::fixture`) in the test run, replayed
//! through `scopegate replay`, and compared with the generator's ground
//! truth event by event. Zero mismatches, memo on and off.

mod support;

use scopegate::testkit::fixture::{self, Mode, Options};
use std::path::PathBuf;
use std::process::Command;
use support::tools::{self, EMF_SCHEMA, PROMTOOL, PYTHON};

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn generate(mode: &str, events: usize) -> Fixture {
        // Tests run in parallel in one process: the size keeps their directories apart.
        let dir = std::env::temp_dir().join(format!(
            "scopegate-fixture-{mode}-{events}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let options = Options {
            events,
            users: 300,
            mode: if mode == "zipf" {
                Mode::Zipf
            } else {
                Mode::Unique
            },
            ..Options::default()
        };
        fixture::generate(&dir, &options).expect("fixture");
        Fixture { dir }
    }

    fn config(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.dir.join("config.json")).unwrap()).unwrap()
    }

    /// Runs replay; returns (exit success, output lines, summary JSON).
    fn replay(&self, extra: &[&str]) -> (bool, Vec<String>, serde_json::Value) {
        let c = self.config();
        let algorithms: Vec<&str> = c["algorithms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let tag: String = extra
            .join("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let out_file = self.dir.join(format!("out-rust-{tag}.jsonl"));
        let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .arg("replay")
            .args(["--jwks-file", self.dir.join("jwks.json").to_str().unwrap()])
            .args([
                "--permissions",
                self.dir.join("permissions.json").to_str().unwrap(),
            ])
            .args(["--issuer", c["issuer"].as_str().unwrap()])
            .args(["--audience", c["audience"].as_str().unwrap()])
            .args(["--now", &c["now"].to_string()])
            .args(["--leeway", &c["leeway"].to_string()])
            .args(["--algorithms", &algorithms.join(",")])
            .args([
                "--expected",
                self.dir.join("expected.jsonl").to_str().unwrap(),
            ])
            .args(["--out", out_file.to_str().unwrap()])
            .arg("--summary")
            .args(extra)
            .arg(self.dir.join("events.jsonl"))
            .output()
            .expect("run scopegate replay");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let summary_line = stderr
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no summary: {stderr}"));
        let summary: serde_json::Value =
            serde_json::from_str(summary_line).unwrap_or_else(|_| panic!("summary: {stderr}"));
        let lines = std::fs::read_to_string(&out_file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        (out.status.success(), lines, summary)
    }

    fn expected(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("expected.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn assert_agrees(fixture: &Fixture, extra: &[&str]) -> serde_json::Value {
    let (ok, lines, summary) = fixture.replay(extra);
    assert_eq!(summary["mismatches"], 0, "summary {summary}");
    assert!(ok, "replay exited non-zero: {summary}");
    let expected = fixture.expected();
    assert_eq!(lines.len(), expected.len());
    let mut counts = std::collections::BTreeMap::new();
    for (i, (line, want)) in lines.iter().zip(&expected).enumerate() {
        let (decision, resources) = scopegate::replay::decision_of(line).unwrap();
        let want_resources: Vec<String> = want["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            (decision.as_str(), &resources),
            (want["decision"].as_str().unwrap(), &want_resources),
            "event {i}"
        );
        *counts.entry(decision).or_insert(0) += 1;
    }
    // The fixture has all three outcomes; a replay that agrees on all of them is not agreeing by accident.
    assert_eq!(counts.len(), 3, "{counts:?}");
    summary
}

#[test]
fn unique_fixture_matches_expected_with_memo_on_and_off() {
    let fixture = Fixture::generate("unique", 3000);
    let on = assert_agrees(&fixture, &[]);
    assert_eq!(on["events"], 3000);
    assert_eq!(on["memo_hits"], 0, "every token is new");
    // The floor pass: nearly every token names a trusted key and gets one
    // raw check; the handler's ratio to it is a positive number (no timing
    // is asserted: the machine is shared).
    let verified = on["floor_verified"].as_u64().unwrap();
    assert!(verified > 2800 && verified <= 3000, "{on}");
    assert!(on["vs_floor"].as_f64().unwrap() > 0.0, "{on}");
    assert!(on["floor_ns_median"].as_u64().unwrap() > 0, "{on}");
    let off = assert_agrees(
        &fixture,
        &["--memo-entries", "0", "--impl", "scopegate-nomemo"],
    );
    assert_eq!(off["impl"], "scopegate-nomemo");

    // A wrong expectation is caught (the expected file is streamed, not trusted).
    let path = fixture.dir.join("expected.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();
    let first = original.lines().next().unwrap();
    let flipped = if first.contains(r#""decision":"unauthorized""#) {
        r#"{"decision":"deny","resources":[]}"#
    } else {
        r#"{"decision":"unauthorized","resources":[]}"#
    };
    std::fs::write(&path, original.replacen(first, flipped, 1)).unwrap();
    let (ok, _, summary) = fixture.replay(&[]);
    assert!(!ok, "a mismatch fails the replay");
    assert_eq!(summary["mismatches"], 1, "{summary}");
    // One line short: refused before replaying.
    let short: String = original.lines().skip(1).flat_map(|l| [l, "\n"]).collect();
    std::fs::write(&path, short).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["replay", "--fixture", fixture.dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("has 2999 lines but"), "{stderr}");
    std::fs::write(&path, original).unwrap();
}

#[test]
fn zipf_fixture_matches_expected_and_repeated_tokens_hit_the_memo() {
    let fixture = Fixture::generate("zipf", 3000);
    let on = assert_agrees(&fixture, &[]);
    assert!(on["memo_hits"].as_u64().unwrap() > 1500, "{on}");
    let off = assert_agrees(&fixture, &["--memo-entries", "0"]);
    assert_eq!(off["memo_hits"], 0);
}

/// The sum of every sample of `name` with all `labels` in a Prometheus exposition.
fn prometheus_sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn replay_metrics_pass_promtool_and_count_every_decision() {
    if !tools::have(&[PROMTOOL]) {
        return;
    }
    let fixture = Fixture::generate("zipf", 1000);
    let prom = fixture.dir.join("metrics.prom");
    let summary = assert_agrees(&fixture, &["--metrics", prom.to_str().unwrap()]);
    let text = std::fs::read_to_string(&prom).unwrap();
    let check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&prom).unwrap())
        .output()
        .expect("promtool on PATH (scripts/test-deps.sh installs Debian's prometheus)");
    assert!(
        check.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        prometheus_sum(&text, "scopegate_decisions_total", &[]),
        1000.0
    );
    assert_eq!(
        prometheus_sum(&text, "scopegate_token_memo_total", &["result=\"hit\""]),
        summary["memo_hits"].as_f64().unwrap()
    );
    assert_eq!(
        prometheus_sum(&text, "scopegate_handler_seconds_count", &[]),
        1000.0
    );
    assert!(
        text.contains("scopegate_verify_seconds_bucket{le=\"0.00005\"}"),
        "{text}"
    );
    assert!(
        prometheus_sum(
            &text,
            "scopegate_decisions_total",
            &["outcome=\"unauthorized\""]
        ) > 0.0
    );
}

/// Runs `tests/support/validate_emf.py` on `docs`; returns how many it validated.
fn validate_emf(docs: &str) -> usize {
    #[allow(clippy::disallowed_methods)] // a test tool, not a setting
    let python = std::env::var("SCOPEGATE_TEST_PYTHON").expect("run through scripts/test.sh");
    let out = support::output_with_stdin(
        Command::new(python).arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/validate_emf.py"
        )),
        docs.as_bytes(),
    );
    assert!(
        out.status.success(),
        "EMF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Sum over documents of every value of metric `name`.
fn emf_count(docs: &[serde_json::Value], name: &str) -> usize {
    docs.iter()
        .map(|d| match &d[name] {
            serde_json::Value::Array(a) => a.len(),
            serde_json::Value::Number(_) => 1,
            _ => 0,
        })
        .sum()
}

#[test]
fn replay_emf_validates_in_both_flush_modes() {
    if !tools::have(&[PYTHON, EMF_SCHEMA]) {
        return;
    }
    let fixture = Fixture::generate("zipf", 600);
    for (mode, extra) in [
        (
            "invocation",
            vec!["--set", "SCOPEGATE_METRICS_FLUSH=invocation"],
        ),
        (
            "aggregated",
            vec![
                "--set",
                "SCOPEGATE_METRICS_FLUSH=aggregated",
                "--set",
                "SCOPEGATE_METRICS_FLUSH_INVOCATIONS=1000",
            ],
        ),
    ] {
        let emf = fixture.dir.join(format!("emf-{mode}.jsonl"));
        let mut args = vec!["--emf", emf.to_str().unwrap()];
        args.extend(extra);
        assert_agrees(&fixture, &args);
        let text = std::fs::read_to_string(&emf).unwrap();
        assert_eq!(validate_emf(&text), text.lines().count(), "{mode}");
        let docs: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            emf_count(&docs, "scopegate_handler_seconds"),
            600,
            "{mode}: one value per event"
        );
        if mode == "invocation" {
            assert!(docs.len() >= 600, "documents every invocation");
        } else {
            // 600 values in one flush: split into documents of at most 100.
            let handler_docs = docs
                .iter()
                .filter(|d| d["scopegate_handler_seconds"].is_array())
                .count();
            assert_eq!(handler_docs, 6, "{mode}");
            assert!(docs.len() < 60, "{mode}: {} documents", docs.len());
        }
    }
}

#[test]
fn peer_and_coldstart_modes_speak_the_peers_harness_protocol() {
    let fixture = Fixture::generate("unique", 200);
    let dir = fixture.dir.to_str().unwrap();
    let peer = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([
            "replay",
            "--peer",
            "--impl",
            "scopegate-test",
            "--fixture",
            dir,
        ])
        .output()
        .unwrap();
    assert!(
        peer.status.success(),
        "{}",
        String::from_utf8_lossy(&peer.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&peer.stdout).unwrap();
    for field in [
        "impl",
        "events",
        "total_ns",
        "ns_per_event_median",
        "p99_ns",
        "mismatches",
        "events_per_s",
    ] {
        assert!(line.get(field).is_some(), "{field} missing from {line}");
    }
    assert_eq!(
        (
            line["impl"].as_str(),
            line["events"].as_u64(),
            line["mismatches"].as_u64()
        ),
        (Some("scopegate-test"), Some(200), Some(0))
    );
    let out = std::fs::read_to_string(fixture.dir.join("out-scopegate-test.jsonl")).unwrap();
    assert_eq!(out.lines().count(), 200);
    let cold = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["replay", "--coldstart", "--fixture", dir])
        .output()
        .unwrap();
    assert!(cold.status.success());
    let line: serde_json::Value = serde_json::from_slice(&cold.stdout).unwrap();
    assert_eq!(line["ok"], true);
    assert!(line["first_decision_epoch_ns"].as_u64().unwrap() > 1_700_000_000_000_000_000);
}
