//! No secret in a URL reaches a log or an error (issue 22 §5): every URL is
//! shown without userinfo and query. A secret is planted in the query of
//! the permissions URL (a pre-signed S3 URL's `X-Amz-Signature` and
//! `X-Amz-Security-Token`), of the JWKS URL, and as a password in a URL's
//! userinfo, of the introspection endpoint, the OTLP collector's URL and
//! headers, and as the introspection client secret and S3 credentials;
//! each failure path is driven (a refresh that fails on a running function,
//! a start-up fetch that fails, a prefetch that fails, a URL refused by the
//! URL rule, introspection through `replay` and `explain`, an S3 read
//! refused, a trace export that fails) and all of stdout and stderr is
//! scanned.

mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::doc_server::DocServer;
use support::emulator::{Killed, function_command, invoke, start_emulator};
use support::tools::{self, CARGO_LAMBDA};
use support::*;

const SECRET: &str = "PLANTED-SECRET-4f1c";

/// `path` with a pre-signed URL's query (the loopback server keys its
/// documents by path and query, as sent).
fn presigned(path: &str) -> String {
    format!(
        "{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={SECRET}&X-Amz-Signature={SECRET}"
    )
}

fn replay(env: &[(&str, String)], events: &Path) -> (bool, String) {
    let keys = Keys::load();
    let mut cmd = replay_command();
    let mut has_jwks = false;
    for (k, v) in env {
        has_jwks |= *k == "SCOPEGATE_JWKS";
        cmd.args(["--set", &format!("{k}={v}")]);
    }
    if !has_jwks {
        cmd.args(["--set", &format!("SCOPEGATE_JWKS={}", keys.jwks())]);
    }
    let out = cmd.arg(events).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn events_file() -> std::path::PathBuf {
    let keys = Keys::load();
    let path = std::env::temp_dir().join(format!("scopegate-secrets-{}.jsonl", std::process::id()));
    let token = keys.es256.sign(&payload("")).unwrap();
    std::fs::write(&path, token_event(&token) + "\n").unwrap();
    path
}

/// The binary under the Runtime API emulator, configured as `settings`
/// says plus `extra`, its stderr kept in a file.
struct Running {
    port: u16,
    err_path: std::path::PathBuf,
    function: Killed,
    _emulator: Killed,
}

impl Running {
    fn start(keys: &Keys, extra: &[(&str, String)]) -> Running {
        let (emulator, port) = start_emulator();
        let err_path = std::env::temp_dir().join(format!(
            "scopegate-secrets-{}-{port}.err",
            std::process::id()
        ));
        let err_file = std::fs::File::create(&err_path).unwrap();
        let mut function = function_command(Path::new(env!("CARGO_BIN_EXE_scopegate")), port);
        function
            .envs(settings(keys, &[]))
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::from(err_file));
        Running {
            port,
            err_path,
            function: Killed(function.spawn().expect("start the scopegate binary")),
            _emulator: emulator,
        }
    }

    /// The function's stderr once it holds `needle` (or after 5 s, as it
    /// is); the function is stopped.
    fn stop_when_logged(self, needle: &str) -> String {
        let mut log = String::new();
        for _ in 0..100 {
            log.clear();
            std::fs::File::open(&self.err_path)
                .unwrap()
                .read_to_string(&mut log)
                .unwrap();
            if log.contains(needle) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(self.function);
        let _ = std::fs::remove_file(&self.err_path);
        log
    }
}

/// A token valid now on the real clock (the function reads the time itself).
fn now_token(keys: &Keys) -> String {
    keys.es256
        .sign(&payload_of(&format!(
            r#""iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{},"scp":["orders.read"]"#,
            scopegate::clock::now() + 600.0
        )))
        .unwrap()
}

fn assert_clean(what: &str, output: &str) {
    assert!(
        !output.contains(SECRET),
        "{what} printed the secret:\n{output}"
    );
    assert!(
        !output.contains("hunter2"),
        "{what} printed the password:\n{output}"
    );
}

#[test]
fn start_up_failures_show_urls_without_their_secrets() {
    let server = DocServer::start();
    server.set_status(&presigned("/permissions.json"), 500, "no", None);
    server.set_status(&presigned("/jwks"), 503, "no", None);
    server.set(&presigned("/permissions-ok.json"), &permissions(), None);
    let events = events_file();
    // The permissions document cannot be fetched at start.
    let (ok, out) = replay(
        &[(
            "SCOPEGATE_PERMISSIONS",
            server.url(&presigned("/permissions.json")),
        )],
        &events,
    );
    assert!(!ok);
    assert!(out.contains("/permissions.json?…"), "{out}");
    assert_clean("a failed permissions fetch", &out);
    // The key set's prefetch fails (a WARN line), then every token is refused.
    let (_, out) = replay(
        &[
            (
                "SCOPEGATE_PERMISSIONS",
                server.url(&presigned("/permissions-ok.json")),
            ),
            ("SCOPEGATE_JWKS", server.url(&presigned("/jwks"))),
        ],
        &events,
    );
    assert!(out.contains("/jwks?…"), "{out}");
    assert_clean("a failed JWKS prefetch", &out);
    // A URL with credentials is refused by the URL rule, without them.
    let (ok, out) = replay(
        &[
            ("SCOPEGATE_PERMISSIONS", permissions()),
            (
                "SCOPEGATE_JWKS",
                format!("https://admin:hunter2@idp.example/jwks?t={SECRET}"),
            ),
        ],
        &events,
    );
    assert!(!ok);
    assert!(out.contains("https://idp.example/jwks?…"), "{out}");
    assert_clean("a URL with userinfo", &out);
    let _ = std::fs::remove_file(events);
}

/// The reported leak: a running function whose permissions refresh fails
/// logs a WARN line; it carried the whole pre-signed URL.
#[test]
fn a_failing_permissions_refresh_logs_the_url_without_its_query() {
    if !tools::have(&[CARGO_LAMBDA]) {
        return;
    }
    let keys = Keys::load();
    let server = DocServer::start();
    server.set(&presigned("/permissions.json"), &permissions(), None);
    let f = Running::start(
        &keys,
        &[
            (
                "SCOPEGATE_PERMISSIONS",
                server.url(&presigned("/permissions.json")),
            ),
            ("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS", "1".into()),
        ],
    );
    let (ok, out, err) = invoke(f.port, &token_event(&now_token(&keys)));
    assert!(ok, "{out} {err}");
    // The document goes away; the next request past the max age refreshes
    // in the background, which fails and logs.
    server.set_status(&presigned("/permissions.json"), 403, "denied", None);
    std::thread::sleep(Duration::from_millis(1500));
    let _ = invoke(f.port, &token_event(&now_token(&keys)));
    let log = f.stop_when_logged("permissions_fetch");
    assert!(log.contains("permissions_fetch"), "no WARN line: {log}");
    assert!(log.contains("/permissions.json?…"), "{log}");
    assert_clean("a failed permissions refresh", &log);
}

/// The other URLs and credentials: the introspection endpoint (its query)
/// and client secret, S3 credentials, an issuer with userinfo for
/// discovery. Each failure is driven through `replay` and `explain`.
#[test]
fn introspection_s3_and_discovery_keep_their_secrets() {
    let server = DocServer::start();
    server.set_status(&presigned("/introspect"), 500, "no", None);
    server.set(&presigned("/permissions.json"), &permissions(), None);
    let events = events_file();
    let introspection = [
        ("SCOPEGATE_PERMISSIONS", permissions()),
        ("SCOPEGATE_MODE", "introspect".to_string()),
        (
            "SCOPEGATE_INTROSPECTION_URL",
            server.url(&presigned("/introspect")),
        ),
        ("SCOPEGATE_INTROSPECTION_CLIENT_ID", "gateway".to_string()),
        ("SCOPEGATE_INTROSPECTION_CLIENT_SECRET", SECRET.to_string()),
    ];
    let (_, out) = replay(&introspection, &events);
    assert!(server.requests(&presigned("/introspect")) > 0, "{out}");
    assert_clean("a failed introspection through replay", &out);
    let explain = |args: &[&str]| {
        let keys = Keys::load();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scopegate"));
        cmd.arg("explain").env_clear();
        for (k, v) in settings(&keys, &[]) {
            cmd.env(k, v);
        }
        for (k, v) in &introspection {
            cmd.env(k, v);
        }
        let out = cmd.args(args).output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let config = explain(&["--config"]);
    assert!(config.contains("/introspect?…"), "{config}");
    assert!(config.contains("client secret set (not shown)"), "{config}");
    assert_clean("explain --config", &config);
    // The permissions and routes documents it names, shown without their queries.
    let permissions_url = format!(
        "SCOPEGATE_PERMISSIONS={}",
        server.url(&presigned("/p.json"))
    );
    let routes_url = format!(
        "SCOPEGATE_ROUTES={}",
        server.url(&presigned("/routes.json"))
    );
    let config = explain(&["--config", "--set", &permissions_url, "--set", &routes_url]);
    assert!(config.contains("/p.json?…, JSON rules"), "{config}");
    assert!(config.contains("routes: http://"), "{config}");
    assert_clean("explain --config with document URLs", &config);
    let explained = explain(&["opaque-token"]);
    assert!(explained.contains("introspection_failed"), "{explained}");
    assert_clean("explain under introspect", &explained);

    // S3 with planted credentials: the endpoint refuses the read.
    server.set_status("/bucket/permissions.json", 403, "denied", None);
    let keys = Keys::load();
    let out = replay_command()
        .args(["--set", &format!("SCOPEGATE_JWKS={}", keys.jwks())])
        .args([
            "--set",
            "SCOPEGATE_PERMISSIONS=s3://bucket/permissions.json",
        ])
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ENDPOINT_URL_S3", server.url(""))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", SECRET)
        .arg(&events)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
    assert!(text.contains("access denied"), "{text}");
    assert_clean("a refused S3 read", &text);

    // Discovery from an issuer carrying credentials is refused without them.
    let (ok, out) = replay(
        &[
            ("SCOPEGATE_PERMISSIONS", permissions()),
            (
                "SCOPEGATE_ISSUER",
                format!("https://admin:hunter2@idp.example/realm?k={SECRET}"),
            ),
            ("SCOPEGATE_JWKS", "discover".to_string()),
        ],
        &events,
    );
    assert!(!ok);
    assert_clean("discovery from an issuer with userinfo", &out);
    let _ = std::fs::remove_file(events);
}

/// A trace export that fails logs a WARN line: it showed the collector URL
/// whole, query included; its headers (an API key) were never shown.
#[test]
fn a_failing_trace_export_logs_neither_the_query_nor_the_headers() {
    if !tools::have(&[CARGO_LAMBDA]) {
        return;
    }
    let keys = Keys::load();
    let server = DocServer::start();
    server.set_status(&presigned("/v1/traces"), 500, "no", None);
    let f = Running::start(
        &keys,
        &[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                server.url(&presigned("/v1/traces")),
            ),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                format!("x-api-key={SECRET},authorization=Bearer%20{SECRET}"),
            ),
        ],
    );
    let (ok, out, err) = invoke(f.port, &token_event(&now_token(&keys)));
    assert!(ok, "{out} {err}");
    let log = f.stop_when_logged("trace export failed");
    assert!(log.contains("trace export failed"), "no WARN line: {log}");
    assert!(log.contains("/v1/traces?…"), "{log}");
    assert_clean("a failed trace export", &log);
}
