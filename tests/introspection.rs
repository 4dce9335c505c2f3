//! RFC 7662 introspection against a real oidc-provider on loopback:
//! opaque tokens allowed while active and refused once revoked (after the
//! configured cache TTL, with an injected clock), and every failure of the
//! introspection call — unreachable endpoint, wrong client secret, an IdP
//! that cannot introspect the token — failing closed; and each call traced
//! as a client span.

mod support;

use scopegate::config::{Config, Strings};
use scopegate::telemetry::Invocation;
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::otlp::{OtlpReceiver, names};
use support::ports::free_port;
use support::tools::{self, NODE, OIDC_PROVIDER, PYTHON};
use support::{function_from, invoke_function, token_event};

struct Idp(Child, u16);

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start() -> Idp {
    let port = free_port();
    let mut child = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/idp/provider.mjs"
        ))
        .arg(port.to_string())
        .env("OIDC_PROVIDER_PATH", support::tool("OIDC_PROVIDER_PATH"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("ready"), "{line}");
    // Keep draining: a provider whose stdout is closed dies on its next log line.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Idp(child, port)
}

fn post(port: u16, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQ=\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

fn token(idp: &Idp, extra: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&post(
        idp.1,
        "/token",
        &format!("grant_type=client_credentials&scope=pets.read{extra}"),
    ))
    .unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

fn settings(idp: &Idp, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let issuer = format!("http://127.0.0.1:{}", idp.1);
    let permissions = r#"[{"arn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234","resource":"orders","stage":"prod","httpVerb":"GET","scope":"pets.read"}]"#;
    let mut settings: HashMap<String, String> = HashMap::from([
        ("SCOPEGATE_ISSUER".into(), issuer),
        ("SCOPEGATE_AUDIENCE".into(), "api://scopegate".into()),
        // oidc-provider's answer for an opaque token has no `aud`: it
        // passes as a JWT without `aud` would, for a listed client
        // (contract §3b).
        ("SCOPEGATE_CLIENT_IDS".into(), "svc".into()),
        ("SCOPEGATE_JWKS".into(), "discover".into()),
        ("SCOPEGATE_PERMISSIONS".into(), permissions.into()),
        ("SCOPEGATE_MODE".into(), "introspect".into()),
        ("SCOPEGATE_INTROSPECTION_CLIENT_ID".into(), "svc".into()),
        (
            "SCOPEGATE_INTROSPECTION_CLIENT_SECRET".into(),
            "svc-secret".into(),
        ),
        ("SCOPEGATE_INTROSPECTION_CACHE_SECONDS".into(), "30".into()),
    ]);
    for (k, v) in extra {
        settings.insert(k.to_string(), v.to_string());
    }
    settings
}

fn authorizer(idp: &Idp, extra: &[(&str, &str)]) -> Authorizer {
    let settings = settings(idp, extra);
    let config = Config::from_strings(&settings as &dyn Strings).expect("config");
    assert!(
        !format!("{config:?}").contains("svc-secret"),
        "the secret never prints"
    );
    Authorizer::from_config(&config).expect("authorizer")
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn decide(a: &Authorizer, token: &str, at: f64) -> Result<Decision, Reject> {
    a.handle(&token_event(token), at).map(|r| r.decision)
}

#[test]
fn opaque_tokens_are_allowed_while_active_and_refused_once_revoked() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let idp = start();
    let a = authorizer(&idp, &[]);
    let opaque = token(&idp, "");
    assert_eq!(opaque.matches('.').count(), 0, "an opaque token: {opaque}");
    let t0 = now();
    assert_eq!(decide(&a, &opaque, t0), Ok(Decision::Allow));
    // Revoked at the IdP: the cached answer still holds for its TTL (30 s)…
    post(idp.1, "/token/revocation", &format!("token={opaque}"));
    assert_eq!(decide(&a, &opaque, t0 + 5.0), Ok(Decision::Allow));
    // …and no longer: the memo and the cache both expire, the IdP says inactive.
    assert_eq!(decide(&a, &opaque, t0 + 31.0), Err(Reject::Inactive));
    // A token the IdP never issued is inactive, not an error.
    assert_eq!(decide(&a, "not-a-real-token", t0), Err(Reject::Inactive));
}

#[test]
fn an_introspection_call_is_a_client_span_under_verify() {
    if !tools::have(&[NODE, OIDC_PROVIDER, PYTHON]) {
        return;
    }
    let idp = start();
    let traces = OtlpReceiver::start(None);
    let endpoint = traces.endpoint();
    let env = settings(
        &idp,
        &[
            ("SCOPEGATE_METRICS", "off"),
            ("SCOPEGATE_LOG_LEVEL", "off"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ],
    );
    let f = function_from(&env);
    let invoke = |token: &str| {
        let invocation = Invocation {
            request_id: "req",
            ..Invocation::default()
        };
        invoke_function(&f, &token_event(token), &invocation)
    };

    assert!(invoke(&token(&idp, "")));
    let r = traces.next();
    assert_eq!(
        names(&r),
        [
            "scopegate",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.map",
            "scopegate.introspect"
        ]
    );
    let spans = r["spans"].as_array().unwrap();
    assert_eq!(spans[5]["kind"], 3);
    assert_eq!(spans[5]["parent_span_id"], spans[3]["span_id"]);
    assert_eq!(spans[5]["attributes"]["scopegate.result"], "active");

    assert!(!invoke("not-a-real-token"));
    let r = traces.next();
    let spans = r["spans"].as_array().unwrap();
    assert_eq!(spans[3]["name"], "scopegate.verify");
    assert_eq!(spans[3]["attributes"]["scopegate.reason"], "inactive");
    assert_eq!(spans[4]["name"], "scopegate.introspect");
    assert_eq!(spans[4]["attributes"]["scopegate.result"], "inactive");
}

#[test]
fn introspection_failures_fail_closed() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let idp = start();
    let opaque = token(&idp, "");
    let t = now();
    // Wrong client secret: the IdP answers 401.
    let a = authorizer(&idp, &[("SCOPEGATE_INTROSPECTION_CLIENT_SECRET", "wrong")]);
    assert_eq!(decide(&a, &opaque, t), Err(Reject::IntrospectionFailed));
    // An endpoint nobody listens on.
    let dead = format!("http://127.0.0.1:{}/introspect", free_port());
    let a = authorizer(&idp, &[("SCOPEGATE_INTROSPECTION_URL", dead.as_str())]);
    assert_eq!(decide(&a, &opaque, t), Err(Reject::IntrospectionFailed));
    // jwt+introspect: the JWT verifies locally, but this IdP cannot introspect
    // structured tokens (400): without a revocation answer, no allow.
    let a = authorizer(&idp, &[("SCOPEGATE_MODE", "jwt+introspect")]);
    let jwt = token(&idp, "&resource=api%3A%2F%2Fscopegate");
    assert_eq!(decide(&a, &jwt, t), Err(Reject::IntrospectionFailed));
    // The same JWT in plain jwt mode is fine: the refusal above was the revocation check.
    let a = authorizer(&idp, &[("SCOPEGATE_MODE", "jwt")]);
    assert_eq!(decide(&a, &jwt, t), Ok(Decision::Allow));
}

#[test]
fn bad_introspection_settings_name_the_variable() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let idp = start();
    let issuer = format!("http://127.0.0.1:{}", idp.1);
    for (var, value, missing) in [
        ("SCOPEGATE_MODE", "sometimes", None),
        (
            "SCOPEGATE_INTROSPECTION_URL",
            "http://idp.example/introspect",
            None,
        ),
        (
            "SCOPEGATE_MODE",
            "introspect",
            Some("SCOPEGATE_INTROSPECTION_CLIENT_ID"),
        ),
    ] {
        let mut settings: HashMap<String, String> = HashMap::from([
            ("SCOPEGATE_ISSUER".into(), issuer.clone()),
            ("SCOPEGATE_AUDIENCE".into(), "a".into()),
            ("SCOPEGATE_JWKS".into(), "discover".into()),
            ("SCOPEGATE_PERMISSIONS".into(), "[]".into()),
            ("SCOPEGATE_MODE".into(), "introspect".into()),
            ("SCOPEGATE_INTROSPECTION_CLIENT_ID".into(), "svc".into()),
            ("SCOPEGATE_INTROSPECTION_CLIENT_SECRET".into(), "s".into()),
        ]);
        settings.insert(var.into(), value.into());
        if let Some(m) = missing {
            settings.remove(m);
        }
        let err = Config::from_strings(&settings as &dyn Strings)
            .unwrap_err()
            .to_string();
        assert!(err.contains(missing.unwrap_or(var)), "{err}");
    }
}
