//! A Verified Permissions quick-start store (tests/fixtures/avp: the
//! schema as the console generates it, a policy per file as the export
//! writes them) authorizing real tokens — Cognito's `cognito:groups` and an
//! OIDC `groups` claim, each read with the identity source's prefix —
//! through `scopegate replay` and the release bootstrap under the AWS
//! Runtime Interface Emulator.
#![cfg(feature = "cedar")]

mod support;

use serde_json::Value;
use support::emulator::bootstrap;
use support::rie::Rie;
use support::tools::{self, RIE};
use support::*;

const STORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/avp");
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
const COGNITO_SOURCE: &str =
    r#"[{"claim":"cognito:groups","format":"array","prefix":"us-east-1_PetPool|"}]"#;
const OIDC_SOURCE: &str = r#"[{"claim":"groups","format":"array","prefix":"us-east-1_PetPool|"}]"#;

fn cedar_settings(source: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SCOPEGATE_PERMISSIONS", format!("{STORE}/policies")),
        ("SCOPEGATE_CEDAR_SCHEMA", format!("{STORE}/schema.json")),
        ("SCOPEGATE_CEDAR_API", API.into()),
        ("SCOPEGATE_SCOPE_SOURCES", source.into()),
    ]
}

/// A token carrying `groups` in `claim`, valid at `now`.
fn token(keys: &Keys, claim: &str, groups: &str, now: u64) -> String {
    keys.es256
        .sign(&format!(
            r#"{{"iss":"{ISSUER}","sub":"u-1","aud":"{AUDIENCE}","exp":{},"iat":{},"{claim}":{groups}}}"#,
            now + 3600,
            now - 10
        ))
        .unwrap()
}

fn event(token: &str, verb: &str, path: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{API}/{verb}{path}"}}"#
    )
}

/// Runs a replay that must succeed; its answers, one per event.
fn answers(replay: &mut std::process::Command) -> Vec<Value> {
    let out = replay.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// IAM's reading of an answer on `arn`.
fn allows(answer: &Value, arn: &str) -> bool {
    iam_allows(&answer["policyDocument"], arn)
}

#[test]
fn replay_decides_the_quick_start_store_for_cognito_and_oidc_groups() {
    let keys = Keys::load();
    let dir = std::env::temp_dir().join(format!("scopegate-cedar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    for (claim, source) in [("cognito:groups", COGNITO_SOURCE), ("groups", OIDC_SOURCE)] {
        let readers = token(&keys, claim, r#"["readers"]"#, NOW as u64);
        let suspended_admin = token(&keys, claim, r#"["admins","suspended"]"#, NOW as u64);
        let events = [
            event(&readers, "GET", "/pets/7"),
            event(&readers, "POST", "/pets"),
            event(&suspended_admin, "GET", "/pets/7/photos"),
            event(&suspended_admin, "DELETE", "/pets/7"),
        ];
        std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
        let mut replay = replay_command();
        replay.arg("--jwks-file").arg(dir.join("jwks.json"));
        for (name, value) in cedar_settings(source) {
            match name {
                "SCOPEGATE_PERMISSIONS" => replay.args(["--permissions", &value]),
                _ => replay.args(["--set", &format!("{name}={value}")]),
            };
        }
        let answers = answers(replay.arg(dir.join("events.jsonl")));
        assert_eq!(answers.len(), 4);
        // The readers' one answer, cached per token, applied to every route.
        let r = &answers[0];
        assert!(allows(r, &format!("{API}/GET/pets/7")), "{claim}: {r}");
        assert!(allows(r, &format!("{API}/GET/pets")));
        assert!(allows(r, &format!("{API}/GET/health")));
        assert!(!allows(r, &format!("{API}/GET/pets/7/photos")), "{r}");
        assert!(!allows(r, &format!("{API}/POST/pets")));
        assert_eq!(r["context"]["scope"], "us-east-1_PetPool|readers");
        // forbid wins over the admins' permit.
        let a = &answers[2];
        assert!(allows(a, &format!("{API}/GET/pets/7/photos")), "{a}");
        assert!(!allows(a, &format!("{API}/DELETE/pets/7")));
        assert!(!allows(a, &format!("{API}/POST/pets")));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_store_policy_with_a_condition_stops_the_start_naming_it() {
    let keys = Keys::load();
    let dir = std::env::temp_dir().join(format!("scopegate-cedar-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    std::fs::write(
        dir.join("owners.cedar"),
        r#"permit(principal in PetStore::UserGroup::"us-east-1_PetPool|owners", action, resource) when { context has owner };"#,
    )
    .unwrap();
    std::fs::write(dir.join("events.jsonl"), "").unwrap();
    let out = replay_command()
        .arg("--jwks-file")
        .arg(dir.join("jwks.json"))
        .arg("--permissions")
        .arg(&dir)
        .args([
            "--set",
            &format!("SCOPEGATE_CEDAR_SCHEMA={STORE}/schema.json"),
        ])
        .args(["--set", &format!("SCOPEGATE_CEDAR_API={API}")])
        .arg(dir.join("events.jsonl"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SCOPEGATE_PERMISSIONS")
            && stderr.contains("policy `owners`")
            && stderr.contains("`when` or `unless`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_bootstrap_under_the_emulator_answers_from_the_store() {
    if !tools::have(&[RIE, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let mut env: Vec<(String, String)> = settings(&keys, &[]).into_iter().collect();
    env.retain(|(k, _)| k != "SCOPEGATE_PERMISSIONS");
    env.extend(
        cedar_settings(COGNITO_SOURCE)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    let rie = Rie::start(&bootstrap(), &env);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let readers = token(&keys, "cognito:groups", r#"["readers"]"#, now);
    let (status, body) = rie.invoke(&event(&readers, "GET", "/pets/7"));
    assert_eq!(status, 200, "{body}\n{}", rie.output());
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(allows(&answer, &format!("{API}/GET/pets/7")), "{answer}");
    assert!(
        !allows(&answer, &format!("{API}/GET/pets/7/photos")),
        "{answer}"
    );
    let nobody = token(&keys, "cognito:groups", "[]", now);
    let (_, body) = rie.invoke(&event(&nobody, "GET", "/pets"));
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(allows(&answer, &format!("{API}/GET/health")), "{answer}");
    assert!(!allows(&answer, &format!("{API}/GET/pets")), "{answer}");
}

/// A store as one `.cedar` object at a URL, refreshed as a JSON document
/// is: a changed policy changes the answer; a store that no longer parses
/// keeps the last good one.
#[test]
fn a_store_at_a_url_is_refreshed_and_a_broken_one_never_used() {
    let keys = Keys::load();
    let server = support::doc_server::DocServer::start();
    let readers = r#"permit(principal in PetStore::UserGroup::"us-east-1_PetPool|readers", action in [PetStore::Action::"get /pets"], resource);"#;
    server.set("/store.cedar", readers, Some("\"v1\""));
    let mut env = settings(&keys, &[]);
    for (name, value) in cedar_settings(COGNITO_SOURCE) {
        env.insert(name.into(), value);
    }
    env.insert("SCOPEGATE_PERMISSIONS".into(), server.url("/store.cedar"));
    env.insert("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS".into(), "60".into());
    let config = scopegate::config::Config::from_strings(&env as &dyn scopegate::config::Strings)
        .expect("config");
    let a = scopegate::Authorizer::from_config(&config).expect("authorizer");
    let now = scopegate::clock::now();
    let tok = token(&keys, "cognito:groups", r#"["readers"]"#, now as u64);
    let answer = |at: f64| -> Value {
        let r = a
            .handle(&event(&tok, "GET", "/pets"), at)
            .expect("answered");
        serde_json::from_str(&r.body()).unwrap()
    };
    let first = answer(now);
    assert!(allows(&first, &format!("{API}/GET/pets")), "{first}");
    assert!(!allows(&first, &format!("{API}/GET/pets/7")));

    server.set(
        "/store.cedar",
        &readers.replace(
            r#"[PetStore::Action::"get /pets"]"#,
            r#"[PetStore::Action::"get /pets", PetStore::Action::"get /pets/{petId}"]"#,
        ),
        Some("\"v2\""),
    );
    a.grants().refresh_now(now + 61.0);
    let second = answer(now + 62.0);
    assert!(allows(&second, &format!("{API}/GET/pets/7")), "{second}");
    assert!(
        !allows(&second, &format!("{API}/GET/pets/7/photos")),
        "{second}"
    );

    let generation = a.permissions().generation;
    server.set(
        "/store.cedar",
        "permit(principal, action, resource",
        Some("\"v3\""),
    );
    a.grants().refresh_now(now + 130.0);
    assert_eq!(
        a.permissions().generation,
        generation,
        "a broken store is never swapped in"
    );
    assert!(allows(&answer(now + 131.0), &format!("{API}/GET/pets/7")));
}

/// A granted `{proxy+}` beside an ungranted `{id}` on the same method: a
/// complete policy would have to Deny `GET/pets/*`, which also blocks
/// `GET /pets/1/2` (routed to the proxy), so no complete policy is exact.
/// The token is answered per route even with `SCOPEGATE_POLICY_OVERFLOW=
/// unauthorized` (that setting is about the budget), counted as inexact
/// and not as an overflow, and `explain` says why.
#[test]
fn an_inexact_grant_is_answered_per_route_and_counted_as_such() {
    let keys = Keys::load();
    let dir = std::env::temp_dir().join(format!("scopegate-cedar-inexact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = r#"{"A": {"entityTypes": {"G": {}, "U": {"memberOfTypes": ["G"]}, "R": {}},
        "actions": {
            "get /{proxy+}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
            "get /pets/{id}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}}}}}"#;
    std::fs::write(dir.join("schema.json"), schema).unwrap();
    std::fs::write(
        dir.join("proxy.cedar"),
        r#"permit(principal in A::G::"g", action == A::Action::"get /{proxy+}", resource);"#,
    )
    .unwrap();
    let token_at = |now: u64| token(&keys, "groups", r#"["g"]"#, now);
    let token = token_at(NOW as u64);
    let events = [
        event(&token, "GET", "/pets/1"),
        event(&token, "GET", "/pets/1/2"),
        event(&token, "GET", "/toys"),
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    let settings = [
        (
            "SCOPEGATE_CEDAR_SCHEMA",
            dir.join("schema.json").display().to_string(),
        ),
        ("SCOPEGATE_CEDAR_API", API.to_string()),
        (
            "SCOPEGATE_SCOPE_SOURCES",
            r#"[{"claim":"groups","format":"array"}]"#.to_string(),
        ),
        ("SCOPEGATE_POLICY_OVERFLOW", "unauthorized".to_string()),
    ];
    let mut replay = replay_command();
    replay
        .arg("--jwks-file")
        .arg(dir.join("jwks.json"))
        .arg("--permissions")
        .arg(dir.join("proxy.cedar"))
        .arg("--prometheus")
        .arg(dir.join("metrics.prom"));
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    for (name, value) in &settings {
        replay.args(["--set", &format!("{name}={value}")]);
    }
    let answers = answers(replay.arg(dir.join("events.jsonl")));
    assert!(
        answers.iter().all(|a| a["policyDocument"].is_object()),
        "{answers:?}"
    );
    let verdicts: Vec<bool> = answers
        .iter()
        .zip(["/pets/1", "/pets/1/2", "/toys"])
        .map(|(a, path)| allows(a, &format!("{API}/GET{path}")))
        .collect();
    assert_eq!(verdicts, [false, true, true], "{answers:?}");
    let metrics = std::fs::read_to_string(dir.join("metrics.prom")).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "scopegate_policy_inexact_total 3"),
        "{metrics}"
    );
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("scopegate_policy_overflow_total{") && !l.ends_with(" 0")),
        "{metrics}"
    );

    let explain = output_with_stdin(
        std::process::Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .arg("explain")
            .env_clear()
            .env("SCOPEGATE_ISSUER", ISSUER)
            .env("SCOPEGATE_AUDIENCE", AUDIENCE)
            .env("SCOPEGATE_JWKS", keys.jwks())
            .env("SCOPEGATE_PERMISSIONS", dir.join("proxy.cedar"))
            .envs(settings.iter().map(|(k, v)| (*k, v.as_str()))),
        token_at(scopegate::clock::now() as u64).as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&explain.stdout);
    assert!(
        explain.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&explain.stderr)
    );
    assert!(stdout.contains("no complete policy is exact"), "{stdout}");
    // Start-up said which groups are answered per route.
    let stderr = String::from_utf8_lossy(&explain.stderr);
    assert!(
        stderr.contains(r#""level":"WARN""#) && stderr.contains(r#""groups":["g"]"#),
        "{stderr}"
    );
    assert!(!stdout.contains("refused"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
