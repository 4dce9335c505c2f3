//! `scopegate explain` is the verifier, not a copy of it (issue 22): its
//! checks are the verifier's own ([`scopegate::verify::Steps`]), so where
//! they stop is where the handler stops. For every reason code a token can
//! reach, in each mode (`jwt`, `introspect`, `jwt+introspect`, the
//! introspection answers from a loopback server), explain's verdict equals
//! the handler's; the hostile-token suite checks the same on its corpus.

mod support;

use scopegate::codec::b64;
use scopegate::config::{Config, Strings};
use scopegate::explain::explain;
use scopegate::{Authorizer, Outcome, Reject};
use std::collections::{BTreeSet, HashMap};
use support::doc_server::DocServer;
use support::*;

/// Reasons only an event can reach (no token is involved).
const EVENT_ONLY: [Reject; 3] = [
    Reject::BadEvent,
    Reject::MissingIdentity,
    Reject::AmbiguousIdentity,
];

fn authorizer_from(keys: &Keys, extra: &[(&str, String)]) -> Authorizer {
    let mut m: HashMap<String, String> = settings(keys, &[]);
    for (k, v) in extra {
        m.insert((*k).to_string(), v.clone());
    }
    let config = Config::from_strings(&m as &dyn Strings).expect("config");
    Authorizer::from_config(&config).expect("authorizer")
}

/// Explains `token` at `now`, asserts explain and the handler agree, and
/// records the reason.
fn agree(seen: &mut BTreeSet<&'static str>, auth: &Authorizer, token: &str, now: f64) -> Outcome {
    let explained = explain(auth, token, now);
    assert_eq!(
        explained.verdict, explained.handler,
        "explain and the handler disagree:\n{}",
        explained.report
    );
    seen.insert(explained.verdict.reason());
    explained.verdict
}

/// A valid payload for `now` with `extra` members.
fn payload_at(now: f64, extra: &str) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"u1","aud":"{AUDIENCE}","exp":{},"iat":{}{extra}}}"#,
        now + 600.0,
        now - 10.0
    )
}

#[test]
fn explain_and_the_handler_agree_on_every_reason_in_every_mode() {
    let keys = Keys::load();
    let mut seen = BTreeSet::new();
    let s = &mut seen;
    let rs = |header: &str, payload: &str| keys.rs256.sign_json(header, payload).unwrap();
    let h = r#"{"alg":"RS256","kid":"rsa-a"}"#;
    let ok = |extra: &str| rs(h, &payload_at(NOW, extra));
    let scp = r#","scp":["orders.read"]"#;

    // jwt: one token per check.
    let a = authorizer_from(&keys, &[]);
    let p = b64::encode(payload_at(NOW, scp).as_bytes());
    let forged = with_signature(&ok(scp), &[7; 256]);
    for (token, want) in [
        (ok(scp), "granted"),
        (ok(r#","scp":["nothing.granted"]"#), "no_grant"),
        (format!("Basic {}", ok(scp)), "bad_scheme"),
        ("A".repeat(20_000), "token_too_large"),
        ("a.b".to_string(), "malformed"),
        (
            format!("{}=.{p}.AAAA", b64::encode(h.as_bytes())),
            "bad_base64",
        ),
        (
            rs(r#"{"alg":"RS256","kid":"rsa-a"} x"#, &payload_at(NOW, scp)),
            "bad_json",
        ),
        (ok(r#","scp":["a"],"scp":["b"]"#), "duplicate_member"),
        (
            ok(&format!(r#","x":{}1{}"#, "[".repeat(40), "]".repeat(40))),
            "json_limit",
        ),
        (
            rs(r#"{"alg":"HS256","kid":"rsa-a"}"#, &payload_at(NOW, scp)),
            "alg_not_allowed",
        ),
        (
            rs(r#"{"alg":"RS256"}"#, &payload_at(NOW, scp)),
            "missing_kid",
        ),
        (
            rs(r#"{"alg":"RS256","kid":"nope"}"#, &payload_at(NOW, scp)),
            "unknown_kid",
        ),
        (
            rs(r#"{"alg":"RS256","kid":"ec-256"}"#, &payload_at(NOW, scp)),
            "key_alg_mismatch",
        ),
        (
            rs(
                r#"{"alg":"RS256","kid":"rsa-a","crit":["exp"]}"#,
                &payload_at(NOW, scp),
            ),
            "crit",
        ),
        (
            rs(
                r#"{"alg":"RS256","kid":"rsa-a","b64":true}"#,
                &payload_at(NOW, scp),
            ),
            "b64_header",
        ),
        (
            rs(
                r#"{"alg":"RS256","kid":"rsa-a","typ":"id+jwt"}"#,
                &payload_at(NOW, scp),
            ),
            "bad_typ",
        ),
        (forged, "bad_signature"),
        (
            rs(
                h,
                &format!(r#"{{"iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}"}}"#),
            ),
            "missing_exp",
        ),
        (ok(r#","nbf":"soon""#), "bad_time_claim"),
        (rs(h, &payload_at(NOW - 7200.0, scp)), "expired"),
        (ok(&format!(r#","nbf":{}"#, NOW + 3600.0)), "not_yet_valid"),
        (
            rs(
                h,
                &format!(
                    r#"{{"iss":"{ISSUER}","sub":"u1","aud":"{AUDIENCE}","exp":{},"iat":{}}}"#,
                    NOW + 9000.0,
                    NOW + 3600.0
                ),
            ),
            "issued_in_future",
        ),
        (
            rs(
                h,
                &payload_at(NOW, scp).replace(ISSUER, "https://other.example"),
            ),
            "wrong_issuer",
        ),
        (
            rs(h, &payload_at(NOW, scp).replace(AUDIENCE, "api://other")),
            "wrong_audience",
        ),
        (
            rs(h, &payload_at(NOW, scp).replace(r#""sub":"u1","#, "")),
            "missing_sub",
        ),
        (
            ok(&format!(r#","scope":"{}""#, vec!["s"; 300].join(" "))),
            "too_many_scopes",
        ),
        (
            ok(&format!(r#","scp":["{}"]"#, "x".repeat(2000))),
            "claim_too_long",
        ),
    ] {
        let got = agree(s, &a, &token, NOW);
        assert_eq!(got.reason(), want, "{token:.80}");
    }
    let required = authorizer_from(
        &keys,
        &[("SCOPEGATE_REQUIRE_CLAIMS", r#"{"tenant":"t1"}"#.into())],
    );
    assert_eq!(
        agree(s, &required, &ok(scp), NOW).reason(),
        "unmet_requirement"
    );

    // A policy over the budget, refused.
    let many: Vec<String> = (0..80)
        .map(|i| format!(r#"{{"arn":"{ARN}","resource":"orders/segment-{i:04}/with/a/long/path","stage":"prod","httpVerb":"GET","scope":"big"}}"#))
        .collect();
    let big = authorizer_from(
        &keys,
        &[
            ("SCOPEGATE_PERMISSIONS", format!("[{}]", many.join(","))),
            ("SCOPEGATE_POLICY_MAX_BYTES", "2048".into()),
            ("SCOPEGATE_POLICY_OVERFLOW", "unauthorized".into()),
        ],
    );
    assert_eq!(
        agree(s, &big, &ok(r#","scp":["big"]"#), NOW).reason(),
        "policy_too_large"
    );

    // Remote keys and permissions that stop answering, on the wall clock.
    let server = DocServer::start();
    server.set("/jwks", &keys.jwks(), None);
    server.set("/permissions", &permissions(), None);
    let remote = authorizer_from(
        &keys,
        &[
            ("SCOPEGATE_JWKS", server.url("/jwks")),
            ("SCOPEGATE_JWKS_MAX_AGE_SECONDS", "60".into()),
            ("SCOPEGATE_JWKS_MAX_STALE_SECONDS", "300".into()),
            ("SCOPEGATE_PERMISSIONS", server.url("/permissions")),
            ("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS", "60".into()),
            ("SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS", "600".into()),
        ],
    );
    let t0 = scopegate::clock::now();
    let at = |t: f64| rs(h, &payload_at(t, scp));
    assert_eq!(agree(s, &remote, &at(t0), t0).reason(), "granted");
    server.set_status("/jwks", 503, "down", None);
    server.set_status("/permissions", 503, "down", None);
    assert_eq!(
        agree(s, &remote, &at(t0 + 400.0), t0 + 400.0).reason(),
        "keys_unavailable"
    );
    remote.grants().refresh_now(t0 + 700.0);
    assert_eq!(
        agree(s, &remote, &at(t0 + 700.0), t0 + 700.0).reason(),
        "permissions_unavailable"
    );

    // introspect: the answer replaces the signature.
    let idp = DocServer::start();
    let introspection = |mode: &str| -> Vec<(&'static str, String)> {
        vec![
            ("SCOPEGATE_MODE", mode.to_string()),
            ("SCOPEGATE_INTROSPECTION_URL", idp.url("/introspect")),
            ("SCOPEGATE_INTROSPECTION_CLIENT_ID", "gateway".into()),
            ("SCOPEGATE_INTROSPECTION_CLIENT_SECRET", "s3cret".into()),
            ("SCOPEGATE_INTROSPECTION_CACHE_SECONDS", "0".into()),
        ]
    };
    let answer = |members: &str| {
        format!(
            r#"{{"active":true,"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"u1","exp":{}{members}}}"#,
            NOW + 600.0
        )
    };
    let only = authorizer_from(&keys, &introspection("introspect"));
    for (body, want) in [
        (
            answer(r#","token_type":"Bearer","scope":"orders.read""#),
            "granted",
        ),
        (
            answer(r#","token_type":"Bearer","scope":"other""#),
            "no_grant",
        ),
        (
            answer(r#","token_type":"Refresh","scope":"orders.read""#),
            "not_access_token",
        ),
        (r#"{"active":false}"#.to_string(), "inactive"),
        ("not json".to_string(), "introspection_failed"),
        (
            answer(r#","token_type":"Bearer""#).replace(AUDIENCE, "api://other"),
            "wrong_audience",
        ),
    ] {
        idp.set("/introspect", &body, None);
        assert_eq!(
            agree(s, &only, "opaque-token", NOW).reason(),
            want,
            "{body}"
        );
    }

    // jwt+introspect: the JWT checks, then the answer.
    let both = authorizer_from(&keys, &introspection("jwt+introspect"));
    for (body, token, want) in [
        (
            r#"{"active":true,"token_type":"Bearer"}"#,
            ok(scp),
            "granted",
        ),
        (
            r#"{"active":true,"token_type":"ID"}"#,
            ok(scp),
            "not_access_token",
        ),
        (r#"{"active":false}"#, ok(scp), "inactive"),
        (
            r#"{"active":true,"token_type":"Bearer"}"#,
            rs(h, &payload_at(NOW - 7200.0, scp)),
            "expired",
        ),
    ] {
        idp.set("/introspect", body, None);
        assert_eq!(agree(s, &both, &token, NOW).reason(), want, "{body}");
    }

    let mut missing: Vec<&str> = Reject::ALL
        .iter()
        .filter(|r| !EVENT_ONLY.contains(r))
        .map(|r| r.code())
        .filter(|code| !seen.contains(code))
        .collect();
    missing.extend(
        ["granted", "no_grant"]
            .into_iter()
            .filter(|c| !seen.contains(c)),
    );
    assert!(missing.is_empty(), "reasons never explained: {missing:?}");
}
