//! Documents from S3 (`s3://bucket/key`), read at start-up with a SigV4
//! GET, against a real S3 API (moto_server on loopback): the permissions
//! document served from a bucket decides, and a missing object stops the
//! start with an error naming the setting.

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::*;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto() -> PathBuf {
    PathBuf::from(tool("SCOPEGATE_MOTO_SERVER"))
}

fn start_moto() -> (Killed, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(moto())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server");
    let deadline = Instant::now() + Duration::from_mins(1);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Killed(child), port)
}

/// Puts `body` at s3://bucket/key with boto3 (moto's own venv has it).
fn put(port: u16, bucket: &str, key: &str, body: &str) {
    let python = moto().with_file_name("python");
    let out = Command::new(python)
        .args([
            "-c",
            "import boto3, sys; s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test'); s3.create_bucket(Bucket=sys.argv[2]); s3.put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=sys.argv[4].encode())",
            &format!("http://127.0.0.1:{port}"),
            bucket,
            key,
            body,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .arg("replay")
        .args(["--jwks-file", dir.join("jwks.json").to_str().unwrap()])
        .args(["--permissions", permissions])
        .args([
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
            "--now",
            &NOW.to_string(),
        ])
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
