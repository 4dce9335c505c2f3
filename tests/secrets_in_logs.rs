//! No secret in a URL reaches a log or an error (issue 22 §5): every URL is
//! shown without userinfo and query. A secret is planted in the query of
//! the permissions URL (a pre-signed S3 URL's `X-Amz-Signature` and
//! `X-Amz-Security-Token`), of the JWKS URL, and as a password in a URL's
//! userinfo; each failure path is driven (a refresh that fails on a
//! running function, a start-up fetch that fails, a prefetch that fails, a
//! URL refused by the URL rule) and all of stdout and stderr is scanned.

mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::doc_server::DocServer;
use support::emulator::{Killed, function_command, invoke, start_emulator};
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
    let keys = Keys::load();
    let server = DocServer::start();
    server.set(&presigned("/permissions.json"), &permissions(), None);
    let (_emulator, port) = start_emulator();
    let err_path = std::env::temp_dir().join(format!(
        "scopegate-secrets-{}-{port}.err",
        std::process::id()
    ));
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut function = function_command(Path::new(env!("CARGO_BIN_EXE_scopegate")), port);
    for (k, v) in settings(&keys, &[]) {
        function.env(k, v);
    }
    function
        .env(
            "SCOPEGATE_PERMISSIONS",
            server.url(&presigned("/permissions.json")),
        )
        .env("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::from(err_file));
    let function = Killed(function.spawn().expect("start the scopegate binary"));
    let now_token = || {
        let now = scopegate::clock::now();
        keys.es256
            .sign(&payload_of(&format!(
                r#""iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{},"scp":["orders.read"]"#,
                now + 600.0
            )))
            .unwrap()
    };
    let (ok, out, err) = invoke(port, &token_event(&now_token()));
    assert!(ok, "{out} {err}");
    // The document goes away; the next request past the max age refreshes
    // in the background, which fails and logs.
    server.set_status(&presigned("/permissions.json"), 403, "denied", None);
    std::thread::sleep(Duration::from_millis(1500));
    let _ = invoke(port, &token_event(&now_token()));
    let mut log = String::new();
    for _ in 0..100 {
        log.clear();
        std::fs::File::open(&err_path)
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        if log.contains("permissions_fetch") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(function);
    let _ = std::fs::remove_file(&err_path);
    assert!(log.contains("permissions_fetch"), "no WARN line: {log}");
    assert!(log.contains("/permissions.json?…"), "{log}");
    assert_clean("a failed permissions refresh", &log);
}
