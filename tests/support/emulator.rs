//! The Lambda Runtime API emulator (`cargo lambda watch --only-lambda-apis`)
//! and its invoke client, for tests that run the real binary.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) use super::ports::{free_port, wait_for_port};

/// A child process killed (and reaped) when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn cargo_lambda() -> Command {
    // `cargo-lambda` from PyPI (scripts/test-deps.sh puts it on PATH) takes the subcommand after `lambda`.
    let mut c = Command::new("cargo-lambda");
    c.arg("lambda");
    c
}

/// `cargo lambda invoke`: (success, stdout, stderr).
pub(crate) fn invoke(port: u16, event: &str) -> (bool, String, String) {
    let out = cargo_lambda()
        .args([
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
            "--data-ascii",
            event,
        ])
        .output()
        .expect("cargo-lambda on PATH (run through scripts/test.sh)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `cargo lambda watch --only-lambda-apis` on a free loopback port, ready:
/// the Runtime API a function binary polls (`AWS_LAMBDA_RUNTIME_API=
/// 127.0.0.1:PORT/.rt`) and the Invoke API `invoke` talks to.
pub(crate) fn start_emulator() -> (Killed, u16) {
    // A port found free can be taken by another test's server before the
    // emulator binds it (then something else answers on it and the
    // emulator exits): the emulator must still be running once the port
    // answers, else it is started again on another port.
    for _ in 0..5 {
        let port = free_port();
        let mut emulator = Killed(
            cargo_lambda()
                .args([
                    "watch",
                    "--only-lambda-apis",
                    "-A",
                    "127.0.0.1",
                    "-P",
                    &port.to_string(),
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cargo-lambda on PATH (run through scripts/test.sh)"),
        );
        wait_for_port(port);
        std::thread::sleep(Duration::from_millis(200));
        if matches!(emulator.0.try_wait(), Ok(None)) {
            return (emulator, port);
        }
    }
    panic!("the Runtime API emulator did not stay up on any of 5 ports")
}

/// `binary` as the function of the emulator on `port`: the Runtime API
/// address and the variables Lambda sets; the caller adds its own.
pub(crate) fn function_command(binary: &Path, port: u16) -> Command {
    let mut function = Command::new(binary);
    function
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
    function
}

/// The bootstrap scripts/test.sh builds the README's way
/// (`cargo lambda build --profile lambda --x86-64`), as deployed.
pub(crate) fn bootstrap() -> PathBuf {
    let bootstrap = bootstrap_path();
    assert!(
        bootstrap.exists(),
        "{} missing: run scripts/test.sh (it runs cargo lambda build --profile lambda --x86-64)",
        bootstrap.display()
    );
    bootstrap
}

/// Where `cargo lambda build --profile lambda` leaves the bootstrap.
pub(crate) fn bootstrap_path() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_scopegate"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("lambda/scopegate/bootstrap")
}

/// The bootstrap, as a tool a test needs (scripts/test.sh builds it).
pub(crate) fn bootstrap_tool() -> super::tools::Tool {
    super::tools::Tool::File(
        bootstrap_path(),
        "the Lambda bootstrap scripts/test.sh builds",
    )
}
