//! The external tools some tests start, which `scripts/test-deps.sh`
//! installs (Python venvs, moto_server, the Runtime Interface Emulator,
//! oidc-provider, Keycloak, Locust, Prometheus). Without one, a test that
//! needs it says so in one line and passes, so that `cargo test` on a fresh
//! clone passes; with `SCOPEGATE_TEST_TOOLS=require` (set by
//! `scripts/test-deps.sh`, so by `scripts/test.sh` and CI) a missing tool
//! fails the test instead.
#![allow(dead_code)] // each test binary uses some of the tools

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One tool: an environment variable naming an installed file, a command
/// on `PATH`, or a file a build step leaves.
pub(crate) enum Tool {
    Env(&'static str),
    Command(&'static str),
    File(PathBuf, &'static str),
}

pub(crate) const PYTHON: Tool = Tool::Env("SCOPEGATE_TEST_PYTHON");
pub(crate) const EMF_SCHEMA: Tool = Tool::Env("SCOPEGATE_TEST_EMF_SCHEMA");
pub(crate) const MOTO: Tool = Tool::Env("SCOPEGATE_TEST_MOTO_SERVER");
pub(crate) const RIE: Tool = Tool::Env("SCOPEGATE_TEST_RIE");
pub(crate) const LOCUST: Tool = Tool::Env("SCOPEGATE_TEST_LOCUST");
pub(crate) const MDBOOK: Tool = Tool::Env("SCOPEGATE_TEST_MDBOOK");
pub(crate) const OIDC_PROVIDER: Tool = Tool::Env("OIDC_PROVIDER_PATH");
pub(crate) const KEYCLOAK: Tool = Tool::Env("KEYCLOAK_DIST");
pub(crate) const NODE: Tool = Tool::Command("node");
pub(crate) const CARGO_LAMBDA: Tool = Tool::Command("cargo-lambda");
pub(crate) const PROMTOOL: Tool = Tool::Command("promtool");
pub(crate) const PROMETHEUS: Tool = Tool::Command("prometheus");

impl Tool {
    fn name(&self) -> String {
        match self {
            Tool::Env(var) => (*var).to_string(),
            Tool::Command(command) => format!("`{command}` on PATH"),
            Tool::File(path, what) => format!("{what} ({})", path.display()),
        }
    }

    #[allow(clippy::disallowed_methods)] // test tools, not settings: found through the environment
    fn present(&self) -> bool {
        match self {
            Tool::Env(var) => std::env::var_os(var).is_some_and(|p| Path::new(&p).exists()),
            Tool::Command(command) => std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path).any(|dir| dir.join(command).is_file())
            }),
            Tool::File(path, _) => path.exists(),
        }
    }
}

/// Whether every one of `tools` is here. If not: a failure under
/// `SCOPEGATE_TEST_TOOLS=require`, else one line naming what is missing
/// (the caller then returns).
#[allow(clippy::disallowed_methods)] // the test tier, not a setting
pub(crate) fn have(tools: &[Tool]) -> bool {
    let missing: Vec<String> = tools
        .iter()
        .filter(|t| !t.present())
        .map(Tool::name)
        .collect();
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let line = format!(
        "{test}: needs {}, which scripts/test-deps.sh installs",
        missing.join(", ")
    );
    assert!(
        std::env::var("SCOPEGATE_TEST_TOOLS").as_deref() != Ok("require"),
        "{line} (SCOPEGATE_TEST_TOOLS=require)"
    );
    // Written past the test harness's capture, so the line shows in a
    // plain `cargo test`.
    let _ = writeln!(std::io::stderr(), "skipped {line}");
    false
}
