//! What jsonwebtoken (12, aws_lc_rs backend), the design's JWT crate, does
//! with the contract's cases (docs/contract.md §3): where it accepts a token
//! (or refuses it only after the signature check) that scopegate refuses,
//! and the header rules where both agree. The same keys, issuer and audience on both
//! sides; tokens valid on the real clock, since jsonwebtoken reads it.

mod support;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, errors::ErrorKind, jwk::Jwk};
use scopegate::{Decision, Reject};
use serde_json::Value;
use support::{AUDIENCE, ISSUER, Keys, authorizer, token_event};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(extra: &str) -> String {
    let t = now();
    format!(
        r#"{{"iss":"{ISSUER}","sub":"00u1abcd","aud":"{AUDIENCE}","exp":{},"iat":{}{extra}}}"#,
        t + 3600,
        t - 10
    )
}

fn theirs(keys: &Keys, token: &str) -> jsonwebtoken::errors::Result<Value> {
    let jwk: Jwk = serde_json::from_str(&keys.rs256.public_jwk()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    decode::<Value>(token, &key, &validation).map(|data| data.claims)
}

fn ours(keys: &Keys, token: &str) -> Result<Decision, Reject> {
    authorizer(keys)
        .handle(&token_event(token), now() as f64)
        .map(|r| r.decision)
}

fn signed(keys: &Keys, header: &str, payload: &str) -> String {
    keys.rs256.sign_json(header, payload).unwrap()
}

const HEADER: &str = r#"{"alg":"RS256","kid":"rsa-a"}"#;

#[test]
fn both_accept_a_plain_valid_token() {
    let keys = Keys::load();
    let token = signed(&keys, HEADER, &claims(r#","scp":["orders.read"]"#));
    assert!(theirs(&keys, &token).is_ok());
    assert_eq!(ours(&keys, &token), Ok(Decision::Allow));
}

#[test]
fn a_repeated_claim_is_last_wins_there_and_refused_here() {
    let keys = Keys::load();
    let token = signed(
        &keys,
        HEADER,
        &claims(r#","scp":["nothing"],"scp":["orders.read"]"#),
    );
    assert_eq!(theirs(&keys, &token).unwrap()["scp"][0], "orders.read");
    assert_eq!(ours(&keys, &token), Err(Reject::DuplicateMember));
}

#[test]
fn crit_and_b64_agree_except_crit_b64_true() {
    // jsonwebtoken 12 refuses an unknown `crit` and `b64: false`, as we do;
    // it accepts `crit: ["b64"]` with `b64: true`, which the contract refuses
    // (any `crit` fails, `b64` is never honoured).
    let keys = Keys::load();
    let payload = claims(r#","scp":["orders.read"]"#);
    let crit = signed(
        &keys,
        r#"{"alg":"RS256","kid":"rsa-a","crit":["exp"]}"#,
        &payload,
    );
    assert_eq!(
        theirs(&keys, &crit).unwrap_err().kind(),
        &ErrorKind::InvalidToken
    );
    assert_eq!(ours(&keys, &crit), Err(Reject::Crit));
    let b64_false = signed(
        &keys,
        r#"{"alg":"RS256","kid":"rsa-a","b64":false}"#,
        &payload,
    );
    assert!(theirs(&keys, &b64_false).is_err());
    assert_eq!(ours(&keys, &b64_false), Err(Reject::B64Header));
    let b64_true = signed(
        &keys,
        r#"{"alg":"RS256","kid":"rsa-a","crit":["b64"],"b64":true}"#,
        &payload,
    );
    assert!(theirs(&keys, &b64_true).is_ok());
    assert!(matches!(
        ours(&keys, &b64_true),
        Err(Reject::Crit | Reject::B64Header)
    ));
}

#[test]
fn a_typ_other_than_jwt_or_at_jwt_passes_there() {
    let keys = Keys::load();
    let token = signed(
        &keys,
        r#"{"alg":"RS256","kid":"rsa-a","typ":"dpop+jwt"}"#,
        &claims(r#","scp":["orders.read"]"#),
    );
    assert!(theirs(&keys, &token).is_ok());
    assert_eq!(ours(&keys, &token), Err(Reject::BadTyp));
}

#[test]
fn there_is_no_size_cap_there() {
    let keys = Keys::load();
    let padding = "x".repeat(9000);
    let token = signed(
        &keys,
        HEADER,
        &claims(&format!(r#","scp":["orders.read"],"pad":"{padding}""#)),
    );
    assert!(token.len() > 8192);
    assert!(theirs(&keys, &token).is_ok());
    assert_eq!(ours(&keys, &token), Err(Reject::TokenTooLarge));
}

#[test]
fn claims_are_judged_after_the_signature_there() {
    // Expired and forged: jsonwebtoken pays the RSA check to say
    // "invalid signature"; scopegate says "expired" without one.
    let keys = Keys::load();
    let t = now();
    let payload = format!(
        r#"{{"iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{},"iat":{}}}"#,
        t - 7200,
        t - 9000
    );
    let token = signed(&keys, HEADER, &payload);
    let forged = support::with_signature(&token, &[7u8; 256]);
    assert_eq!(
        theirs(&keys, &forged).unwrap_err().kind(),
        &ErrorKind::InvalidSignature
    );
    assert_eq!(ours(&keys, &forged), Err(Reject::Expired));
}

#[test]
fn scope_shapes_are_the_callers_problem_there() {
    // A number where scopes belong: jsonwebtoken hands it over as any other
    // claim; scopegate grants nothing from a source of the wrong type (Deny).
    let keys = Keys::load();
    let token = signed(&keys, HEADER, &claims(r#","scp":5"#));
    assert_eq!(theirs(&keys, &token).unwrap()["scp"], 5);
    assert_eq!(ours(&keys, &token), Ok(Decision::Deny));
}
