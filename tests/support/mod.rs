//! Shared test harness: the committed test keys, a JWKS and permissions
//! document built from them, an authorizer configured like production, and
//! helpers to mint tokens and wrap them in events.
#![allow(dead_code)]

pub(crate) mod doc_server;
pub(crate) mod emulator;
pub(crate) mod moto;
pub(crate) mod otlp;
pub(crate) mod ports;
pub(crate) mod rie;
pub(crate) mod tools;

use scopegate::config::{Config, Strings};
use scopegate::jose::Alg;
use scopegate::lambda::Function;
use scopegate::telemetry::Invocation;
use scopegate::testkit::mint::{self, SigningKey};
use scopegate::{Authorizer, Reject, Response};
use std::collections::HashMap;

pub(crate) const ISSUER: &str = "https://idp.test.example/oauth2/default";
pub(crate) const AUDIENCE: &str = "api://scopegate-tests";
/// 2026-11-24T00:00:00Z: every test evaluates time claims against this instant.
pub(crate) const NOW: f64 = 1_795_478_400.0;
pub(crate) const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

/// Where scripts/test.sh installed a tool the tests start (`var` names it).
#[allow(clippy::disallowed_methods)] // test tools, not settings: found through the environment
pub(crate) fn tool(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run the tests through scripts/test.sh"))
}

pub(crate) fn key_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test key")
}

/// One key per algorithm family, loaded from `tests/keys/`.
pub(crate) struct Keys {
    pub rs256: SigningKey,
    pub rs256_b: SigningKey,
    pub ps256: SigningKey,
    pub es256: SigningKey,
    pub es384: SigningKey,
    pub eddsa: SigningKey,
    /// A key the authorizer does not trust, published under a trusted kid by attackers.
    pub rogue_rs256: SigningKey,
    pub rogue_es256: SigningKey,
}

impl Keys {
    pub(crate) fn load() -> Keys {
        let load = |kid: &str, alg: Alg, file: &str| {
            SigningKey::from_pkcs8(kid, alg, &key_bytes(file)).expect("key loads")
        };
        Keys {
            rs256: load("rsa-a", Alg::RS256, "rsa-2048-a.pk8"),
            rs256_b: load("rsa-b", Alg::RS256, "rsa-2048-b.pk8"),
            ps256: load("rsa-pss", Alg::PS256, "rsa-3072.pk8"),
            es256: load("ec-256", Alg::ES256, "ec-p256.pk8"),
            es384: load("ec-384", Alg::ES384, "ec-p384.pk8"),
            eddsa: load("ed", Alg::EdDSA, "ed25519.pk8"),
            rogue_rs256: load("rsa-a", Alg::RS256, "rsa-2048-b.pk8"),
            rogue_es256: SigningKey::generate("ec-256", Alg::ES256).expect("generate"),
        }
    }

    pub(crate) fn trusted(&self) -> Vec<&SigningKey> {
        vec![
            &self.rs256,
            &self.rs256_b,
            &self.ps256,
            &self.es256,
            &self.es384,
            &self.eddsa,
        ]
    }

    pub(crate) fn jwks(&self) -> String {
        mint::jwks(self.trusted())
    }
}

pub(crate) fn permissions() -> String {
    let rule = |resource: &str, verb: &str, scope: &str| {
        format!(
            r#"{{"arn":"{ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
        )
    };
    format!(
        "[{}]",
        [
            rule("orders", "GET", "orders.read"),
            rule("orders/*", "GET", "orders.read"),
            rule("orders", "POST", "orders.write"),
            rule("admin/*", "*", "admin"),
            rule("reports", "GET", "reports.read"),
        ]
        .join(",")
    )
}

/// `scopegate replay` judging as the tests' issuer, audience and clock;
/// the caller adds keys, permissions and events.
pub(crate) fn replay_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_scopegate"));
    c.arg("replay")
        .args(["--issuer", ISSUER, "--audience", AUDIENCE])
        .args(["--now", &NOW.to_string()]);
    c
}

/// Settings as the Lambda would read them, plus `extra` overrides.
pub(crate) fn settings(keys: &Keys, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = HashMap::from([
        ("SCOPEGATE_ISSUER".into(), ISSUER.into()),
        ("SCOPEGATE_AUDIENCE".into(), AUDIENCE.into()),
        ("SCOPEGATE_JWKS".into(), keys.jwks()),
        ("SCOPEGATE_PERMISSIONS".into(), permissions()),
    ]);
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

/// The Lambda [`Function`] configured from `env`, telemetry included, as
/// the binary builds it at init.
pub(crate) fn function_from(env: &HashMap<String, String>) -> Function {
    let strings = env as &dyn Strings;
    let config = Config::from_strings(strings).expect("config");
    let telemetry = scopegate::config::telemetry_settings(strings).expect("telemetry");
    let client = config.http_client();
    Function::new(&telemetry, &client, || {
        Authorizer::from_config_with(&config, &client)
    })
    .expect("function")
}

/// One invocation through `f`; true if it answered (not `Unauthorized`).
pub(crate) fn invoke_function(f: &Function, event: &str, invocation: &Invocation<'_>) -> bool {
    let event = serde_json::value::RawValue::from_string(event.to_string()).unwrap();
    f.invoke(&event, invocation).is_ok()
}

pub(crate) fn authorizer_with(keys: &Keys, extra: &[(&str, &str)]) -> Authorizer {
    let config = Config::from_strings(&settings(keys, extra) as &dyn Strings).expect("config");
    Authorizer::from_config(&config).expect("authorizer")
}

pub(crate) fn authorizer(keys: &Keys) -> Authorizer {
    authorizer_with(keys, &[])
}

/// A valid payload; `extra` is spliced in as more members (`,"k":v`).
pub(crate) fn payload(extra: &str) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"00u1abcd","aud":"{AUDIENCE}","exp":{},"iat":{},"scp":["orders.read"],"client_id":"0oa1client"{extra}}}"#,
        NOW + 3600.0,
        NOW - 10.0
    )
}

/// A payload built from members given in full (no defaults).
pub(crate) fn payload_of(members: &str) -> String {
    format!("{{{members}}}")
}

pub(crate) fn token_event(token: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":{},"methodArn":"{ARN}/prod/GET/orders"}}"#,
        serde_json::Value::String(format!("Bearer {token}"))
    )
}

pub(crate) fn raw_token_event(identity: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":{},"methodArn":"{ARN}/prod/GET/orders"}}"#,
        serde_json::Value::String(identity.to_string())
    )
}

pub(crate) fn decide(authorizer: &Authorizer, token: &str) -> Result<Response, Reject> {
    authorizer.handle(&token_event(token), NOW)
}

/// Replaces the signature segment of a token.
pub(crate) fn with_signature(token: &str, sig: &[u8]) -> String {
    let cut = token.rfind('.').expect("three segments");
    format!("{}.{}", &token[..cut], scopegate::codec::b64::encode(sig))
}

pub(crate) fn signature_of(token: &str) -> Vec<u8> {
    let cut = token.rfind('.').expect("three segments");
    scopegate::codec::b64::decode(&token.as_bytes()[cut + 1..]).expect("b64")
}

/// Checks EMF documents against the schema AWS published (validate_emf.py).
pub(crate) fn validate_emf(emf: &[&serde_json::Value]) {
    let docs: String = emf.iter().map(|d| format!("{d}\n")).collect();
    let out = output_with_stdin(
        std::process::Command::new(tool("SCOPEGATE_TEST_PYTHON")).arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/validate_emf.py"
        )),
        docs.as_bytes(),
    );
    assert!(
        out.status.success(),
        "EMF schema: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        emf.len().to_string()
    );
}

/// Every metric name the code records: the `scopegate_*_total` and
/// `*_seconds` string constants of `src/` and the lab (`loadtest/src/`).
pub(crate) fn recorded_metrics() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for literal in text.split('"').skip(1).step_by(2) {
                    if literal.starts_with("scopegate_")
                        && (literal.ends_with("_total") || literal.ends_with("_seconds"))
                    {
                        names.insert(literal.to_string());
                    }
                }
            }
        }
    }
    names
}

/// Runs `command` with `input` on its stdin and its stdout and stderr
/// captured; the process's output.
pub(crate) fn output_with_stdin(
    command: &mut std::process::Command,
    input: &[u8],
) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    // A child that exits without reading all of it is the caller's to judge.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// Every run of `[A-Za-z0-9_]` in `text` that starts with `prefix`.
pub(crate) fn tokens(text: &str, prefix: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if before_ok {
            out.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// IAM's evaluation of a `policyDocument` on `arn`, as API Gateway applies
/// it: an explicit Deny wins, then any Allow.
pub(crate) fn iam_allows(document: &serde_json::Value, arn: &str) -> bool {
    let statements = document["Statement"].as_array().unwrap();
    let matching = |effect: &str| {
        statements.iter().any(|s| {
            s["Effect"] == effect
                && match &s["Resource"] {
                    serde_json::Value::String(r) => scopegate::policy::iam_match(r, arn),
                    serde_json::Value::Array(rs) => rs
                        .iter()
                        .any(|r| scopegate::policy::iam_match(r.as_str().unwrap(), arn)),
                    _ => false,
                }
        })
    };
    !matching("Deny") && matching("Allow")
}
