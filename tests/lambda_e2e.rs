//! The Lambda binary end to end under a real Lambda Runtime API emulator on
//! loopback: `cargo lambda watch --only-lambda-apis` serves the Runtime API,
//! the built `scopegate` binary runs against it exactly as on
//! `provided.al2023`, and `cargo lambda invoke` sends the events.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::emulator::{Killed, bootstrap, function_command, invoke, start_emulator};
use support::tools::{self, CARGO_LAMBDA, EMF_SCHEMA, PYTHON};
use support::*;

/// The raw HTTP answer of the emulator's Invoke API (status line and body).
fn invoke_raw(port: u16, event: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{event}",
        event.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_string();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn the_binary_answers_allow_deny_and_unauthorized_under_the_runtime_emulator() {
    if !tools::have(&[CARGO_LAMBDA, PYTHON, EMF_SCHEMA]) {
        return;
    }
    exercise(Path::new(env!("CARGO_BIN_EXE_scopegate")));
}

/// The `bootstrap` that `cargo lambda build --profile lambda --x86-64` makes (the
/// README's recipe; scripts/test.sh builds it first), as deployed.
#[test]
fn the_bootstrap_built_the_documented_way_answers_too() {
    if !tools::have(&[
        CARGO_LAMBDA,
        PYTHON,
        EMF_SCHEMA,
        support::emulator::bootstrap_tool(),
    ]) {
        return;
    }
    exercise(&bootstrap());
}

fn exercise(binary: &Path) {
    let keys = Keys::load();
    let (_emulator, port) = start_emulator();
    let traces = support::otlp::OtlpReceiver::start(None);
    // What the function writes to stdout is what CloudWatch Logs would receive.
    let log_path =
        std::env::temp_dir().join(format!("scopegate-e2e-{}-{port}.log", std::process::id()));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut function = function_command(binary, port);
    function
        .env("POWERTOOLS_METRICS_NAMESPACE", "scopegate-e2e")
        .env("SCOPEGATE_LOG_LEVEL", "debug")
        // Per-invocation EMF (the default is aggregated), so each
        // invocation's documents can be checked.
        .env("SCOPEGATE_METRICS_FLUSH", "invocation")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", traces.endpoint())
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::null());
    for (k, v) in settings(&keys, &[]) {
        function.env(k, v);
    }
    let function = Killed(function.spawn().expect("start the scopegate binary"));

    // Tokens valid now (the function reads the wall clock).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = |scopes: &str| {
        let p = format!(
            r#"{{"iss":"{ISSUER}","sub":"00u-e2e","aud":"{AUDIENCE}","exp":{},"iat":{now},"scp":{scopes}}}"#,
            now + 600
        );
        keys.es256.sign(&p).unwrap()
    };

    let (ok, stdout, stderr) = invoke(port, &token_event(&token(r#"["orders.read"]"#)));
    assert!(ok, "allow invocation failed: {stderr}");
    let allow: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("not JSON: {stdout}"));
    assert_eq!(allow["principalId"], "00u-e2e");
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        allow["policyDocument"]["Statement"][0]["Resource"],
        serde_json::json!([
            format!("{ARN}/prod/GET/orders"),
            format!("{ARN}/prod/GET/orders/*")
        ])
    );
    assert_eq!(allow["context"]["scope"], "orders.read");

    let (ok, stdout, stderr) = invoke(port, &token_event(&token(r#"["profile"]"#)));
    assert!(ok, "deny invocation failed: {stderr}");
    let deny: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        deny["policyDocument"]["Statement"],
        serde_json::json!([{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"*"}])
    );

    let (ok, _stdout, stderr) = invoke(port, &token_event("not.a.token"));
    assert!(!ok, "a bad token must fail the invocation");
    assert!(stderr.contains("Unauthorized"), "{stderr}");
    // The exact error shape API Gateway maps to 401.
    let (status, body) = invoke_raw(
        port,
        &token_event(&token(r#"["orders.read"]"#).replace('.', "..")),
    );
    let error: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}"));
    assert_eq!(
        error,
        serde_json::json!({"errorType":"Unauthorized","errorMessage":"Unauthorized"}),
        "{status}"
    );

    // The function is still serving after the failures.
    let allowed_token = token(r#"["orders.read"]"#);
    let (ok, _, stderr) = invoke(port, &token_event(&allowed_token));
    assert!(ok, "{stderr}");
    // The emulator answers as soon as the response is posted; the log line,
    // EMF and spans follow it (deferred), so wait for the last export
    // before stopping the function.
    check_traces(&traces, 5);
    drop(function);
    check_function_output(&std::fs::read_to_string(&log_path).unwrap(), &allowed_token);
    let _ = std::fs::remove_file(&log_path);
}

/// One trace per invocation reached the OTLP receiver, each rooted in a
/// span named after the function, with the runtime's request id and the
/// X-Ray header's parent.
fn check_traces(traces: &support::otlp::OtlpReceiver, invocations: usize) {
    let mut request_ids = std::collections::HashSet::new();
    for _ in 0..invocations {
        let record = traces.next();
        let root = &record["spans"][0];
        assert_eq!(root["name"], "_");
        // The emulator passes a Lambda-Runtime-Trace-Id header, as Lambda does:
        // its Parent is the invocation span's remote parent.
        assert_ne!(root["parent_span_id"], "", "{record}");
        assert_eq!(root["flags"], 0x301, "{record}");
        assert_eq!(record["resource"]["faas.name"], "_");
        let id = root["attributes"]["faas.invocation_id"].as_str().unwrap();
        assert!(!id.is_empty());
        request_ids.insert(id.to_string());
    }
    assert_eq!(request_ids.len(), invocations);
    traces.nothing_more();
}

/// The function's stdout: one structured log line per invocation and EMF
/// documents that validate against the EMF schema, and no token anywhere.
fn check_function_output(output: &str, token: &str) {
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let (emf, logs): (Vec<_>, Vec<_>) = lines.iter().partition(|v| v.get("_aws").is_some());
    let decisions: Vec<&str> = logs
        .iter()
        .map(|l| l["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["allow", "deny", "unauthorized", "unauthorized", "allow"]
    );
    assert_eq!(logs[2]["reason"], "bad_base64");
    assert!(
        logs.iter()
            .all(|l| l["requestId"].as_str().is_some_and(|r| !r.is_empty()))
    );
    assert_eq!(logs[0]["cold_start"], true);
    assert_eq!(logs[1]["cold_start"], false);
    // No token, signature or payload fragment in any line.
    for part in token.split('.') {
        assert!(!output.contains(part), "a token segment reached the logs");
    }
    // Per-invocation EMF: every invocation wrote documents; all validate.
    assert!(emf.len() >= 5, "{} EMF documents", emf.len());
    let names: std::collections::HashSet<&str> = emf
        .iter()
        .flat_map(|d| {
            d["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
        })
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    for name in [
        "scopegate_handler_seconds",
        "scopegate_verify_seconds",
        "scopegate_decisions_total",
        "scopegate_cold_starts_total",
        "scopegate_token_memo_total",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    assert!(
        emf.iter()
            .all(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "scopegate-e2e")
    );
    validate_emf(&emf);
}

/// The answer leaves before the trace export: with the collector holding
/// the export in flight, the invocation is already answered (the
/// emulator returns at `/response`), and the export, released afterwards,
/// still succeeds. Before, the export ran before the answer: the invoke
/// waited for it, the test could only release the collector after the
/// exporter's timeout, and the function logged "trace export failed".
#[test]
fn the_answer_does_not_wait_for_the_trace_export() {
    if !tools::have(&[CARGO_LAMBDA]) {
        return;
    }
    let keys = Keys::load();
    let (_emulator, port) = start_emulator();
    let collector = support::doc_server::DocServer::start();
    collector.set("/v1/traces", "", None);
    let err_path = std::env::temp_dir().join(format!(
        "scopegate-e2e-defer-{}-{port}.err",
        std::process::id()
    ));
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut function = Command::new(env!("CARGO_BIN_EXE_scopegate"));
    function
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(""))
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "3000")
        .stdout(Stdio::null())
        .stderr(Stdio::from(err_file));
    for (k, v) in settings(&keys, &[]) {
        function.env(k, v);
    }
    let function = Killed(function.spawn().expect("start the scopegate binary"));
    let held = collector.hold_next();
    let (ok, stdout, stderr) = invoke(port, &token_event("not.a.token"));
    assert!(!ok && stderr.contains("Unauthorized"), "{stdout} {stderr}");
    held.wait_until_in_flight();
    held.release();
    // A second invocation starts only once the first one's export is done.
    let (ok, _, stderr) = invoke(port, &token_event("not.a.token"));
    assert!(!ok, "{stderr}");
    for _ in 0..100 {
        if collector.requests("/v1/traces") >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(function);
    let log = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    assert_eq!(collector.requests("/v1/traces"), 2, "{log}");
    assert!(!log.contains("trace export failed"), "{log}");
}
