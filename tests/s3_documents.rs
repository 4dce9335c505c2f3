//! Documents from S3 (`s3://bucket/key`), read at start-up with a SigV4
//! GET, against a real S3 API (moto_server on loopback): the permissions
//! document served from a bucket decides, and a missing object stops the
//! start with an error naming the setting.

mod support;

use std::process::Output;
use support::moto::{put, start_moto};
use support::tools::{self, MOTO};
use support::*;

fn replay(port: u16, permissions: &str, events: &str) -> Output {
    let keys = Keys::load();
    let dir = std::env::temp_dir().join(format!(
        "scopegate-s3-{}-{}",
        std::process::id(),
        permissions.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    std::fs::write(dir.join("events.jsonl"), events).unwrap();
    let out = replay_command()
        .args(["--jwks-file", dir.join("jwks.json").to_str().unwrap()])
        .args(["--permissions", permissions])
        .arg(dir.join("events.jsonl"))
        .env("AWS_ENDPOINT_URL_S3", format!("http://127.0.0.1:{port}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_SESSION_TOKEN", "session-token-as-lambda-has")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn the_permissions_document_comes_from_s3() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let (_moto, port) = start_moto();
    put(
        port,
        "config-bucket",
        "scopegate/permissions.json",
        &permissions(),
    );
    let keys = Keys::load();
    let token = keys.rs256.sign(&payload("")).unwrap();
    let out = replay(
        port,
        "s3://config-bucket/scopegate/permissions.json",
        &(token_event(&token) + "\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (decision, resources) =
        scopegate::replay::decision_of(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(decision, "allow");
    assert_eq!(
        resources,
        [
            format!("{ARN}/prod/GET/orders"),
            format!("{ARN}/prod/GET/orders/*")
        ]
    );
}

#[test]
fn a_missing_object_stops_the_start_naming_the_setting() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let (_moto, port) = start_moto();
    put(port, "config-bucket", "other.json", "[]");
    let out = replay(port, "s3://config-bucket/scopegate/missing.json", "{}\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SCOPEGATE_PERMISSIONS") && err.contains("no such object"),
        "{err}"
    );
}
