//! The official AWS Lambda Runtime Interface Emulator (`aws-lambda-rie`,
//! from the aws-sam-cli wheel; scripts/test-deps.sh extracts it) running the
//! release `bootstrap` as Lambda would: a clean environment with only the
//! function's variables, the Invoke API on a free loopback port, and the
//! function's stdout and stderr (which the emulator relays on its own
//! stdout) kept in a file the test reads.

use super::emulator::{Killed, free_port, wait_for_port};
use super::tool;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One emulator with one function.
pub(crate) struct Rie {
    process: Option<Killed>,
    port: u16,
    output: PathBuf,
}

impl Rie {
    /// Starts the emulator on `bootstrap` with exactly `env` (plus `PATH`).
    pub(crate) fn start(bootstrap: &Path, env: &[(String, String)]) -> Rie {
        let port = free_port();
        let output =
            std::env::temp_dir().join(format!("scopegate-rie-{}-{port}.log", std::process::id()));
        let log = std::fs::File::create(&output).expect("log file");
        let mut command = Command::new(tool("SCOPEGATE_TEST_RIE"));
        command
            .arg("--runtime-interface-emulator-address")
            .arg(format!("127.0.0.1:{port}"))
            // Its own Runtime API port too (the default, 9001, is shared by
            // every emulator on the machine).
            .arg("--runtime-api-address")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg(bootstrap)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::null());
        let process = Killed(command.spawn().expect("aws-lambda-rie"));
        wait_for_port(port);
        Rie {
            process: Some(process),
            port,
            output,
        }
    }

    /// Invokes the function: (HTTP status code, body).
    pub(crate) fn invoke(&self, event: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
        write!(
            s,
            "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{event}",
            event.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }

    /// What the function (and the emulator's own report lines) wrote so far.
    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Sends SIGTERM to the emulator (which relays it to the function, as
    /// Lambda does at shutdown) and waits for it to exit; returns the output.
    pub(crate) fn terminate(mut self) -> String {
        if let Some(mut process) = self.process.take() {
            let pid = process.0.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let _ = process.0.wait();
        }
        self.output()
    }
}

impl Drop for Rie {
    fn drop(&mut self) {
        drop(self.process.take());
        let _ = std::fs::remove_file(&self.output);
    }
}
