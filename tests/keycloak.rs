//! A real Keycloak (the distribution from Maven Central, started on
//! loopback by tests/support/keycloak.py with tests/keycloak/orders-realm.json):
//! client-credentials tokens with and without an audience mapper, one
//! without the API's scope, and a user's password-grant token, authorized
//! with the README's Keycloak recipe (keys by OIDC discovery, client roles
//! from `resource_access.orders-api.roles` with a `role:` prefix) through
//! `scopegate replay` and through the Lambda binary under the Runtime API
//! emulator; then the same realm by introspection (`scopegate explain`
//! under `SCOPEGATE_MODE=introspect`): Keycloak answers `active` for an ID
//! token too (`token_type: ID`) when its own client asks, which scopegate
//! refuses as `not_access_token` (issue 22 §2).

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use support::emulator::{Killed, free_port, function_command, invoke, start_emulator};
use support::tools::{self, CARGO_LAMBDA, KEYCLOAK, PYTHON};

const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:kcapi12345";

/// Keycloak, running until this is dropped (the helper stops it when its stdin closes).
struct Keycloak {
    helper: Killed,
    issuer: String,
    tokens: serde_json::Value,
}

impl Keycloak {
    fn start() -> Keycloak {
        let port = free_port();
        let mut child = Command::new(support::tool("SCOPEGATE_TEST_PYTHON"))
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/keycloak.py"
            ))
            .arg(port.to_string())
            .env("KEYCLOAK_DIST", support::tool("KEYCLOAK_DIST"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/support/keycloak.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            !line.is_empty(),
            "Keycloak did not start (its log is above)"
        );
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
        eprintln!("keycloak: ready in {} s", ready["ready_seconds"]);
        Keycloak {
            issuer: ready["issuer"].as_str().unwrap().to_string(),
            tokens: ready["tokens"].clone(),
            helper: Killed(child),
        }
    }

    fn token(&self, name: &str) -> &str {
        self.tokens[name].as_str().unwrap()
    }

    /// The README's Keycloak recipe for this realm.
    fn issuers(&self) -> String {
        format!(
            r#"[{{"issuer":"{}","audience":["orders-api"],"jwks":"discover",
                "client_ids":["orders-noaud-client"],"subject_claims":["sub","client_id"],
                "scopes":[{{"claim":"scope"}},
                          {{"path":["resource_access","orders-api","roles"],"format":"array","prefix":"role:"}}]}}]"#,
            self.issuer
        )
    }
}

impl Drop for Keycloak {
    fn drop(&mut self) {
        // Closing stdin tells the helper to stop Keycloak and clean up.
        drop(self.helper.0.stdin.take());
        let _ = self.helper.0.wait();
    }
}

fn permissions() -> String {
    let rule = |resource: &str, verb: &str, scope: &str| {
        format!(
            r#"{{"arn":"{ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
        )
    };
    format!(
        "[{},{},{}]",
        rule("orders", "GET", "orders.read"),
        rule("orders", "POST", "role:orders-admin"),
        rule("reports", "GET", "role:orders-reader")
    )
}

fn event(token: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{ARN}/prod/GET/orders"}}"#
    )
}

/// What each token must get: `None` for a 401, else the granted Resources.
fn expected() -> [(&'static str, Option<Vec<String>>); 4] {
    let r = |verb: &str, path: &str| format!("{ARN}/prod/{verb}/{path}");
    [
        // Audience mapper: the API's scope and the service account's client role.
        (
            "cc_with_mapper",
            Some(vec![r("GET", "orders"), r("POST", "orders")]),
        ),
        // No mapper: Keycloak puts `aud: "account"` in it, which is never a safe audience.
        ("cc_without_mapper", None),
        // No orders.read scope requested: the client role alone.
        ("cc_without_scope", Some(vec![r("POST", "orders")])),
        // A user: the scope and her client role.
        ("alice", Some(vec![r("GET", "orders"), r("GET", "reports")])),
    ]
}

fn granted(line: &str) -> Option<Vec<String>> {
    let (decision, resources) = scopegate::replay::decision_of(line).unwrap();
    (decision != "unauthorized").then_some(resources)
}

#[test]
fn keycloak_tokens_through_replay_and_the_lambda_binary() {
    if !tools::have(&[PYTHON, KEYCLOAK, CARGO_LAMBDA]) {
        return;
    }
    let kc = Keycloak::start();
    let dir = std::env::temp_dir().join(format!("scopegate-keycloak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events: String = expected()
        .iter()
        .map(|(name, _)| event(kc.token(name)) + "\n")
        .collect();
    std::fs::write(dir.join("events.jsonl"), &events).unwrap();
    std::fs::write(dir.join("permissions.json"), permissions()).unwrap();

    // 1. scopegate replay, the recipe as its only issuer setting.
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .arg("replay")
        .args(["--set", &format!("SCOPEGATE_ISSUERS={}", kc.issuers())])
        .args([
            "--permissions",
            dir.join("permissions.json").to_str().unwrap(),
        ])
        .arg(dir.join("events.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    for ((name, want), line) in expected().iter().zip(&lines) {
        assert_eq!(&granted(line), want, "replay, {name}: {line}");
    }

    // 2. The Lambda binary under the Runtime API emulator, configured by its environment.
    let (_emulator, port) = start_emulator();
    let mut function = Killed(
        function_command(Path::new(env!("CARGO_BIN_EXE_scopegate")), port)
            .env("SCOPEGATE_METRICS", "off")
            .env("SCOPEGATE_ISSUERS", kc.issuers())
            .env("SCOPEGATE_PERMISSIONS", dir.join("permissions.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the scopegate binary"),
    );
    for (name, want) in expected() {
        // An invocation would wait forever for a function that is gone.
        let exited = function.0.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "the function stopped ({exited:?}); its stderr is above"
        );
        let (ok, stdout, stderr) = invoke(port, &event(kc.token(name)));
        if want.is_none() {
            assert!(
                !ok && stderr.contains("Unauthorized"),
                "lambda, {name}: {stdout} {stderr}"
            );
        } else {
            assert!(ok, "lambda, {name}: {stderr}");
            assert_eq!(granted(stdout.trim()), want, "lambda, {name}: {stdout}");
        }
    }
    drop(function);

    // 3. Introspection (endpoint discovered), explained. The API's client
    // sees Alice's access token active; the client that asked for her
    // tokens sees her ID token active, which is no access token.
    let explain = |client: &str, secret: &str, token: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .arg("explain")
            .args(["--set", &format!("SCOPEGATE_ISSUERS={}", kc.issuers())])
            .args(["--set", "SCOPEGATE_MODE=introspect"])
            .args([
                "--set",
                &format!("SCOPEGATE_INTROSPECTION_CLIENT_ID={client}"),
            ])
            .args([
                "--set",
                &format!("SCOPEGATE_INTROSPECTION_CLIENT_SECRET={secret}"),
            ])
            .args([
                "--set",
                &format!(
                    "SCOPEGATE_PERMISSIONS={}",
                    dir.join("permissions.json").display()
                ),
            ])
            .arg(token)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let api = ("orders-api", "orders-api-introspection-secret");
    let report = explain(api.0, api.1, kc.token("alice"));
    assert!(report.contains("decision: allow (granted)"), "{report}");
    let report = explain(
        "orders-api-client",
        "orders-api-client-secret",
        kc.token("alice_id"),
    );
    assert!(
        report.contains("decision: unauthorized (not_access_token)"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
