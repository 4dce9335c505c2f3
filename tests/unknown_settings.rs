//! A misspelt `SCOPEGATE_*` name stops the start, naming the closest known
//! setting (issue 22): otherwise `SCOPEGATE_AUDEINCE` or
//! `SCOPEGATE_REQUIRE_AT_JWT_` would be accepted and simply not enforced.
//! `replay` and `explain` here; the Lambda's INIT in `runtime_emulator.rs`.

mod support;

use std::process::{Command, Output};
use support::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn replay_refuses_a_misspelt_set_naming_the_closest_setting() {
    let keys = Keys::load();
    let dir = std::env::temp_dir().join(format!("scopegate-unknown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (jwks, perms) = (dir.join("jwks.json"), dir.join("p.json"));
    std::fs::write(&jwks, keys.jwks()).unwrap();
    std::fs::write(&perms, permissions()).unwrap();
    let events = dir.join("events.jsonl");
    std::fs::write(&events, "").unwrap();
    let out = replay_command()
        .arg("--jwks-file")
        .arg(&jwks)
        .arg("--permissions")
        .arg(&perms)
        .args(["--set", "SCOPEGATE_REQUIRE_AT_JWT_=true"])
        .arg(&events)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "SCOPEGATE_REQUIRE_AT_JWT_: is not a scopegate setting; did you mean SCOPEGATE_REQUIRE_AT_JWT?"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_refuses_a_misspelt_variable_in_its_environment() {
    let keys = Keys::load();
    let mut command = Command::new(env!("CARGO_BIN_EXE_scopegate"));
    command.args(["explain", "--config"]).env_clear();
    for (name, value) in settings(&keys, &[]) {
        command.env(name, value);
    }
    // The tooling's own prefix is not read, so it is no error.
    command.env("SCOPEGATE_TEST_ANYTHING", "1");
    let ok = command.output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let out = command
        .env("SCOPEGATE_AUDEINCE", "api://other")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "SCOPEGATE_AUDEINCE: is not a scopegate setting; did you mean SCOPEGATE_AUDIENCE?"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_escapes_a_hostile_name_it_refuses() {
    let keys = Keys::load();
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([
            "explain",
            "--config",
            "--set",
            "SCOPEGATE_\u{1b}]52;c;x\u{7}=1",
        ])
        .env_clear()
        .envs(settings(&keys, &[]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
}
