//! What the benches share: the bench issuer's keys, an authorizer per memo
//! setting, tokens and events, and the raw (signing input, signature) pairs
//! the floor verifies.
#![allow(dead_code)]

use scopegate::Authorizer;
use scopegate::codec::b64;
use scopegate::config::{Config, Strings};
use scopegate::jose::Alg;
use scopegate::testkit::mint::{self, SigningKey};
use std::collections::HashMap;

pub(crate) const ISSUER: &str = "https://idp.bench.example/oauth2/default";
pub(crate) const AUDIENCE: &str = "api://bench";
pub(crate) const NOW: f64 = 1_795_478_400.0;
pub(crate) const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

pub(crate) fn key(kid: &str, alg: Alg, file: &str) -> SigningKey {
    let der =
        std::fs::read(format!("{}/tests/keys/{file}", env!("CARGO_MANIFEST_DIR"))).expect("key");
    SigningKey::from_pkcs8(kid, alg, &der).expect("key loads")
}

pub(crate) struct Setup {
    pub rsa: SigningKey,
    pub ec: SigningKey,
    pub memo: Authorizer,
    pub no_memo: Authorizer,
    /// A memo smaller than the token set: every lookup misses, every insert evicts.
    pub full_memo: Authorizer,
    /// Memo off, and three scope sources (scp, scope, prefixed roles: the Entra recipe).
    pub three_sources: Authorizer,
}

/// The scope sources of `Setup::three_sources`.
pub(crate) const THREE_SOURCES: &str =
    r#"[{"claim":"scp"},{"claim":"scope"},{"claim":"roles","format":"array","prefix":"role:"}]"#;

pub(crate) fn setup() -> Setup {
    let rsa = key("rsa", Alg::RS256, "rsa-2048-a.pk8");
    let ec = key("ec", Alg::ES256, "ec-p256.pk8");
    let permissions = format!(
        r#"[{{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"orders.read"}},{{"arn":"{ARN}","resource":"orders/*","stage":"prod","httpVerb":"GET","scope":"orders.read"}},{{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"POST","scope":"orders.write"}}]"#
    );
    let build_with = |memo_entries: &str, extra: &[(&str, &str)]| {
        let mut settings: HashMap<String, String> = HashMap::from([
            ("SCOPEGATE_ISSUER".into(), ISSUER.into()),
            ("SCOPEGATE_AUDIENCE".into(), AUDIENCE.into()),
            ("SCOPEGATE_JWKS".into(), mint::jwks([&rsa, &ec])),
            ("SCOPEGATE_PERMISSIONS".into(), permissions.clone()),
            ("SCOPEGATE_TOKEN_MEMO_ENTRIES".into(), memo_entries.into()),
        ]);
        settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_strings(&settings as &dyn Strings).expect("config");
        Authorizer::from_config(&config).expect("authorizer")
    };
    let build = |memo_entries: &str| build_with(memo_entries, &[]);
    let three_sources = build_with("0", &[("SCOPEGATE_SCOPE_SOURCES", THREE_SOURCES)]);
    let memo = build("10000");
    let no_memo = build("0");
    let full_memo = build("64");
    Setup {
        rsa,
        ec,
        memo,
        no_memo,
        full_memo,
        three_sources,
    }
}

pub(crate) fn payload(sub: usize, scope: &str, exp: f64) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"user-{sub}","aud":"{AUDIENCE}","exp":{exp},"iat":{},"scope":"{scope}","client_id":"bench"}}"#,
        NOW - 10.0
    )
}

pub(crate) fn event(token: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{ARN}/prod/GET/orders"}}"#
    )
}

/// Tokens that also carry an Entra-style `roles` array.
pub(crate) fn tokens_with_roles(key: &SigningKey, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let payload = payload(i, "orders.read", NOW + 3600.0);
            let payload = format!(
                r#"{},"roles":["Orders.Admin","Orders.Audit"]}}"#,
                &payload[..payload.len() - 1]
            );
            event(&key.sign(&payload).expect("sign"))
        })
        .collect()
}

pub(crate) fn tokens(key: &SigningKey, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            event(
                &key.sign(&payload(i, "orders.read", NOW + 3600.0))
                    .expect("sign"),
            )
        })
        .collect()
}

/// The signing input and decoded signature of each event's token, checked
/// to verify with `key`: what the floor measures.
pub(crate) fn raw_pairs(events: &[String], key: &SigningKey) -> Vec<(Vec<u8>, Vec<u8>)> {
    events
        .iter()
        .map(|e| {
            let t = e
                .split("Bearer ")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .expect("token");
            let cut = t.rfind('.').expect("jws");
            (
                t.as_bytes()[..cut].to_vec(),
                b64::decode(&t.as_bytes()[cut + 1..]).expect("sig"),
            )
        })
        .inspect(|(msg, sig)| {
            assert!(scopegate::verify::signature(&key.public_key(), key.alg, msg, sig).is_ok());
        })
        .collect()
}

/// The event fixtures by name, plus a REST TOKEN event carrying a real
/// RS256 token (~800 symbols; the fixtures' token is short, and scanning
/// the token is most of a TOKEN event's parse).
pub(crate) fn event_fixtures(names: &[&str], rsa: &SigningKey) -> Vec<(String, String)> {
    let dir = format!("{}/tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
    let mut events: Vec<(String, String)> = names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("{dir}/{name}.json")).expect("fixture");
            (name.to_string(), text)
        })
        .collect();
    events.push(("rest-token (RS256 token)".into(), tokens(rsa, 1).remove(0)));
    events
}
