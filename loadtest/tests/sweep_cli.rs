//! `scopegate-lab sweep` as a user runs it: the table on stdout, every
//! report file written and consistent with it.

use std::process::Command;

#[test]
fn sweep_prints_the_table_and_writes_the_report() {
    let out = std::env::temp_dir().join(format!("scopegate-lab-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_scopegate-lab"))
        .args([
            "sweep",
            "--duration",
            "60",
            "--ttls",
            "0,15,300",
            "--samples",
            "20",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run scopegate-lab");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for header in [
        "TTL",
        "invocations",
        "hit ratio",
        "authorizer $/mo",
        "longest exposure",
    ] {
        assert!(stdout.contains(header), "missing {header}: {stdout}");
    }
    assert!(stdout.contains("Recommendation"), "{stdout}");
    assert!(stderr.contains("million/s per core"), "{stderr}");
    for name in [
        "report.csv",
        "report.json",
        "cost.svg",
        "exposure.svg",
        "hit-latency.svg",
        "index.html",
    ] {
        let path = out.join(name);
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(meta.len() > 200, "{name} is nearly empty");
    }
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "header and one line per TTL");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // TTL 0 invokes on every request; a longer TTL never invokes more.
    assert_eq!(rows[0]["invocations"], rows[0]["requests"]);
    let inv: Vec<u64> = rows
        .iter()
        .map(|r| r["invocations"].as_u64().unwrap())
        .collect();
    assert!(inv.windows(2).all(|w| w[0] >= w[1]), "{inv:?}");
    assert!(
        json["measured_handler"]["new_token"]["p50_us"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 3, "charts embedded");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scopegate-lab"))
            .args(args)
            .output()
            .expect("run scopegate-lab")
    };
    let r = run(&["sweep", "--ttls", "7200"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("0..=3600"));
    let r = run(&["sweep", "--scenario", "no-such-scenario"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("shipped scenarios: steady"));
}
