//! The whole calibration loop, as a user runs it against a deployed API:
//! `serve` with its cache split into 3 partitions writes API Gateway's
//! access log and CloudWatch-style invocations; the exported Locust test
//! drives it (headless, one master and two workers); `calibrate` must
//! recover 3 partitions, and the calibrated model, replaying a second run's
//! arrivals at another TTL, must predict that run's invocations within 5 %.
//! Needs Locust (`SCOPEGATE_TEST_LOCUST`, installed by scripts/test-deps.sh).

#[path = "../../tests/support/tools.rs"]
mod tools;

#[path = "../../tests/support/ports.rs"]
mod ports;

use ports::{free_port, wait_for_port};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const LAB: &str = env!("CARGO_BIN_EXE_scopegate-lab");
const PARTITIONS: u32 = 3;

#[allow(clippy::disallowed_methods)] // a test tool, not a setting
fn locust() -> String {
    std::env::var("SCOPEGATE_TEST_LOCUST").unwrap_or_else(|_| {
        panic!("SCOPEGATE_TEST_LOCUST is not set: run `source scripts/test-deps.sh`")
    })
}

/// Kills the process if the test fails half-way.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lab(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(LAB)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "scopegate-lab {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One run at `ttl`: serve, the Locust master and two workers, then serve
/// stopped with SIGTERM so it writes the invocations file.
fn run(dir: &Path, ttl: u32, tag: &str) -> (PathBuf, PathBuf) {
    let port = free_port();
    let (log, inv) = (
        dir.join(format!("{tag}.log")),
        dir.join(format!("{tag}.json")),
    );
    let serve = Command::new(LAB)
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--ttl",
            &ttl.to_string(),
        ])
        .arg(format!("--cache-partitions={PARTITIONS}"))
        .arg("--access-log")
        .arg(&log)
        .arg("--invocations-out")
        .arg(&inv)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut serve = Guard(serve);
    wait_for_port(port);
    let host = format!("http://127.0.0.1:{port}");
    lab(
        dir,
        &[
            "export",
            "locust",
            "--host",
            &host,
            "--rps",
            "120",
            "--duration",
            "20",
            "--out",
            "run.py",
        ],
    );
    let master_port = free_port().to_string();
    let quiet = |c: &mut Command| {
        c.current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let mut master = Command::new(locust());
    master.args([
        "-f",
        "run.py",
        "--headless",
        "--master",
        "--expect-workers",
        "2",
    ]);
    master.args(["--master-bind-port", &master_port, "--only-summary"]);
    quiet(&mut master);
    let mut master = Guard(master.spawn().unwrap());
    let workers: Vec<Guard> = (0..2)
        .map(|_| {
            let mut w = Command::new(locust());
            w.args(["-f", "run.py", "--worker", "--master-port", &master_port]);
            quiet(&mut w);
            Guard(w.spawn().unwrap())
        })
        .collect();
    let status = master.0.wait().unwrap();
    assert!(status.success(), "locust master: {status}");
    drop(workers);
    // std has no SIGTERM; kill(1) sends it.
    let pid = serve.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = serve.0.wait().unwrap();
    assert!(status.success(), "serve: {status}");
    (log, inv)
}

fn measured_invocations(path: &Path) -> f64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["Datapoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Sum"].as_f64().unwrap())
        .sum()
}

#[test]
fn calibration_recovers_the_partitions_and_predicts_another_ttl() {
    if !tools::have(&[tools::LOCUST]) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("scopegate-calibration-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (log1, inv1) = run(&dir, 2, "ttl2");
    let out = lab(
        &dir,
        &[
            "calibrate",
            "--access-log",
            log1.to_str().unwrap(),
            "--ttl=2",
            "--invocations",
            inv1.to_str().unwrap(),
            "--max-partitions",
            "8",
            "--out",
            "calibrated.toml",
        ],
    );
    eprintln!("{out}");
    let scenario = std::fs::read_to_string(dir.join("calibrated.toml")).unwrap();
    assert!(
        scenario.contains(&format!("cache_partitions = {PARTITIONS}")),
        "{out}\n{scenario}"
    );
    let (log2, inv2) = run(&dir, 5, "ttl5");
    let report = dir.join("report");
    lab(
        &dir,
        &[
            "sweep",
            "--scenario",
            "calibrated.toml",
            "--traffic-from",
            log2.to_str().unwrap(),
            "--ttls",
            "5",
            "--samples",
            "20",
            "--quiet",
            "--out",
            report.to_str().unwrap(),
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let predicted = json["rows"][0]["invocations"].as_f64().unwrap();
    let measured = measured_invocations(&inv2);
    let error = (predicted - measured).abs() / measured;
    eprintln!(
        "TTL 5 s: predicted {predicted}, measured {measured} ({:.1} %)",
        error * 100.0
    );
    assert!(error <= 0.05, "predicted {predicted}, measured {measured}");
    let _ = std::fs::remove_dir_all(&dir);
}
