//! Keys from a real identity provider (npm oidc-provider on loopback):
//! discovery, a token it issued verified, a key rotation picked up through
//! the unknown-kid refresh, a random-kid spray bounded by the cooldown
//! (fetches counted at the IdP), stale-if-error while the IdP is down, and
//! fail-closed after the maximum staleness — with an injected clock.

mod support;

use scopegate::config::{Config, Strings};
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::ports::free_port;
use support::token_event;
use support::tools::{self, NODE, OIDC_PROVIDER};

struct Idp {
    child: Child,
    port: u16,
}

impl Idp {
    fn start(port: u16) -> Idp {
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
            .expect("node on PATH");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "provider did not start: {line}");
        Idp { child, port }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn http(&self, request: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
    }

    /// A client_credentials access token (RS256 JWT, aud api://scopegate).
    fn token(&self, scope: &str) -> String {
        let body =
            format!("grant_type=client_credentials&scope={scope}&resource=api%3A%2F%2Fscopegate");
        let answer = self.http(&format!(
            "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQ=\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let v: serde_json::Value =
            serde_json::from_str(&answer).unwrap_or_else(|_| panic!("{answer}"));
        v["access_token"].as_str().unwrap().to_string()
    }

    fn jwks_fetches(&self) -> u64 {
        let answer =
            self.http("GET /__stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        v["jwks_fetches"].as_u64().unwrap()
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn authorizer(issuer: &str, jwks: &str) -> Authorizer {
    let permissions = r#"[{"arn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234","resource":"orders","stage":"prod","httpVerb":"GET","scope":"pets.read"}]"#;
    let settings: HashMap<String, String> = HashMap::from([
        ("SCOPEGATE_ISSUER".into(), issuer.into()),
        ("SCOPEGATE_AUDIENCE".into(), "api://scopegate".into()),
        ("SCOPEGATE_JWKS".into(), jwks.into()),
        ("SCOPEGATE_PERMISSIONS".into(), permissions.into()),
        ("SCOPEGATE_JWKS_COOLDOWN_SECONDS".into(), "10".into()),
        ("SCOPEGATE_JWKS_MAX_AGE_SECONDS".into(), "60".into()),
        ("SCOPEGATE_JWKS_MAX_STALE_SECONDS".into(), "120".into()),
    ]);
    let config = Config::from_strings(&settings as &dyn Strings).expect("config");
    Authorizer::from_config(&config).expect("authorizer")
}

fn decide(a: &Authorizer, token: &str, at: f64) -> Result<Decision, Reject> {
    a.clear_memos();
    a.handle(&token_event(token), at).map(|r| r.decision)
}

/// A token whose header names a kid nobody has.
fn random_kid(token: &str, i: usize) -> String {
    let header =
        scopegate::codec::b64::encode(format!(r#"{{"alg":"RS256","kid":"spray-{i}"}}"#).as_bytes());
    let rest = token.split_once('.').unwrap().1;
    format!("{header}.{rest}")
}

#[test]
fn keys_from_a_live_identity_provider_through_their_whole_lifecycle() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let port = free_port();
    let idp = Idp::start(port);
    let t0 = now();
    let a = authorizer(&idp.issuer(), "discover");
    assert_eq!(idp.jwks_fetches(), 1, "prefetched once at init");

    // A token the IdP issued verifies against the discovered keys.
    let token = idp.token("pets.read");
    assert_eq!(decide(&a, &token, t0 + 1.0), Ok(Decision::Allow));

    // A spray of random kids inside the cooldown: every one refused, no fetch.
    for i in 0..50 {
        assert_eq!(
            decide(&a, &random_kid(&token, i), t0 + 2.0),
            Err(Reject::UnknownKid)
        );
    }
    assert_eq!(idp.jwks_fetches(), 1, "the cooldown held the spray back");
    // After the cooldown one unknown kid may fetch once, then the cooldown holds again.
    for i in 0..20 {
        let _ = decide(&a, &random_kid(&token, 100 + i), t0 + 12.0);
    }
    assert_eq!(idp.jwks_fetches(), 2);
    // Long past the cooldown, unknown kids on tokens their claims refuse
    // (expired by then) fetch nothing: claims are checked before keys.
    for i in 0..20 {
        assert_eq!(
            decide(&a, &random_kid(&token, 200 + i), t0 + 1e6),
            Err(Reject::Expired)
        );
    }
    assert_eq!(idp.jwks_fetches(), 2);

    // Rotation: the IdP restarts with a new key; its tokens carry the new kid.
    drop(idp);
    let idp = Idp::start(port);
    let rotated = idp.token("pets.read");
    assert_ne!(
        rotated.split('.').next(),
        token.split('.').next(),
        "new kid"
    );
    assert_eq!(
        decide(&a, &rotated, t0 + 25.0),
        Ok(Decision::Allow),
        "unknown kid → refresh"
    );
    assert_eq!(idp.jwks_fetches(), 1, "one fetch from the restarted IdP");
    // The old key is gone from the refreshed set.
    assert_eq!(decide(&a, &token, t0 + 26.0), Err(Reject::UnknownKid));

    // The IdP goes away: the last good set keeps serving past its max age…
    drop(idp);
    assert_eq!(
        decide(&a, &rotated, t0 + 25.0 + 70.0),
        Ok(Decision::Allow),
        "stale-if-error"
    );
    // …until the maximum staleness, then requests fail closed.
    assert_eq!(
        decide(&a, &rotated, t0 + 25.0 + 130.0),
        Err(Reject::KeysUnavailable)
    );
}

#[test]
fn an_explicit_jwks_url_and_an_unreachable_idp_at_start() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let port = free_port();
    // Nothing listens yet: the function still starts, and refuses with keys_unavailable.
    let a = authorizer(
        &format!("http://127.0.0.1:{port}"),
        &format!("http://127.0.0.1:{port}/jwks"),
    );
    let t0 = now();
    assert_eq!(decide(&a, "a.b.c", t0), Err(Reject::BadBase64));
    let idp = Idp::start(port);
    let token = idp.token("pets.read");
    // Within the cooldown of the failed prefetch: still unavailable, no fetch.
    assert_eq!(decide(&a, &token, t0 + 1.0), Err(Reject::KeysUnavailable));
    assert_eq!(idp.jwks_fetches(), 0);
    // After it, the next request fetches and succeeds.
    assert_eq!(decide(&a, &token, t0 + 11.0), Ok(Decision::Allow));
    assert_eq!(idp.jwks_fetches(), 1);
}

#[test]
fn discovery_must_name_the_configured_issuer_and_urls_must_be_https() {
    if !tools::have(&[NODE, OIDC_PROVIDER]) {
        return;
    }
    let port = free_port();
    let idp = Idp::start(port);
    // Configured with a trailing slash: discovery says otherwise, no keys are trusted.
    let a = authorizer(&format!("{}/", idp.issuer()), "discover");
    assert!(a.keys().is_none(), "no key set was accepted");
    // Its tokens name the issuer without the slash: refused on their claims,
    // before any key would be needed.
    let token = idp.token("pets.read");
    assert_eq!(decide(&a, &token, now()), Err(Reject::WrongIssuer));
    assert!(a.keys().is_none());
    // A plain-http IdP that is not loopback is refused at start, naming the variable.
    let settings: HashMap<String, String> = HashMap::from([
        ("SCOPEGATE_ISSUER".into(), "https://idp.example".into()),
        ("SCOPEGATE_AUDIENCE".into(), "a".into()),
        ("SCOPEGATE_JWKS".into(), "http://idp.example/jwks".into()),
        ("SCOPEGATE_PERMISSIONS".into(), "[]".into()),
    ]);
    let config = Config::from_strings(&settings as &dyn Strings).unwrap();
    let err = Authorizer::from_config(&config)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("SCOPEGATE_JWKS") && err.contains("https"),
        "{err}"
    );
}
