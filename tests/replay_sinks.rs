//! `replay --prometheus FILE --emf FILE` (issue 22): the outbound-call
//! counters were process-global handles that each sink's registration
//! replaced, so only the last sink opened counted the JWKS fetch. Each sink
//! now has its own handles ([`scopegate::registered`]) and both count it.

mod support;

use support::doc_server::DocServer;
use support::*;

#[test]
fn both_sinks_count_the_jwks_fetch() {
    let keys = Keys::load();
    let server = DocServer::start();
    server.set("/jwks", &keys.jwks(), None);
    let dir = std::env::temp_dir().join(format!("scopegate-sinks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = keys.es256.sign(&payload("")).unwrap();
    std::fs::write(dir.join("events.jsonl"), token_event(&token) + "\n").unwrap();
    std::fs::write(dir.join("permissions.json"), permissions()).unwrap();
    let (prom, emf) = (dir.join("metrics.prom"), dir.join("emf.jsonl"));
    let out = replay_command()
        .args(["--jwks-url", &server.url("/jwks")])
        .arg("--permissions")
        .arg(dir.join("permissions.json"))
        .arg("--prometheus")
        .arg(&prom)
        .arg("--emf")
        .arg(&emf)
        .args(["--set", "SCOPEGATE_METRICS_FLUSH=aggregated"])
        .arg(dir.join("events.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.requests("/jwks"), 1);
    let prom = std::fs::read_to_string(&prom).unwrap();
    assert!(
        prom.lines()
            .any(|l| l.starts_with(r#"scopegate_jwks_fetches_total{result="ok"} 1"#)),
        "{prom}"
    );
    let emf = std::fs::read_to_string(&emf).unwrap();
    let fetches: f64 = emf
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|d| d["result"] == "ok")
        .filter_map(|d| d["scopegate_jwks_fetches_total"].as_f64())
        .sum();
    assert_eq!(fetches, 1.0, "{emf}");
    let _ = std::fs::remove_dir_all(&dir);
}
