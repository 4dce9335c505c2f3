//! A real OTLP/HTTP trace receiver on loopback (`otlp_receiver.py`, which
//! decodes with the official `opentelemetry-proto` classes), read from Rust.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub(crate) struct OtlpReceiver {
    child: Child,
    pub port: u16,
    lines: mpsc::Receiver<String>,
}

impl OtlpReceiver {
    /// Its base URL: what `OTEL_EXPORTER_OTLP_ENDPOINT` names (and, with a
    /// JWKS, `{base}/jwks`).
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the receiver; with `jwks`, it also serves that document at `/jwks`.
    pub(crate) fn start(jwks: Option<&str>) -> OtlpReceiver {
        let python = super::tool("SCOPEGATE_TEST_PYTHON");
        let mut cmd = Command::new(python);
        cmd.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/otlp_receiver.py"
        ));
        if let Some(jwks) = jwks {
            let path =
                std::env::temp_dir().join(format!("scopegate-traces-{}.jwks", std::process::id()));
            std::fs::write(&path, jwks).unwrap();
            cmd.arg(path);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the OTLP receiver");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let port = lines
            .recv_timeout(Duration::from_mins(1))
            .expect("the receiver prints its port")
            .trim()
            .parse()
            .expect("a port");
        OtlpReceiver { child, port, lines }
    }

    /// The next export request the receiver decoded.
    pub(crate) fn next(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("an export request within 30 s");
        let record: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["error"], Value::Null, "{record}");
        assert_eq!(record["canonical"], true, "re-encoding differs: {record}");
        record
    }

    pub(crate) fn nothing_more(&self) {
        assert!(self.lines.recv_timeout(Duration::from_millis(300)).is_err());
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The spans of a decoded export request, invocation span first.
pub(crate) fn spans(record: &Value) -> &Vec<Value> {
    record["spans"].as_array().expect("spans")
}

/// The span names of a decoded export request, in order.
pub(crate) fn names(record: &Value) -> Vec<&str> {
    spans(record)
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect()
}

/// The request id its invocation span carries.
pub(crate) fn invocation_id(record: &Value) -> &str {
    spans(record)[0]["attributes"]["faas.invocation_id"]
        .as_str()
        .expect("faas.invocation_id")
}
