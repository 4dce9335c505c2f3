//! Several issuers at once (`SCOPEGATE_ISSUERS`): a token goes to the one
//! issuer its `iss` names, and only that issuer's keys and audiences apply.

mod support;

use scopegate::Reject;
use scopegate::config::{Config, Strings};
use scopegate::testkit::mint;
use support::*;

const OTHER: &str = "https://login.partner.example/v2";

fn settings_with(keys: &Keys, issuers: &str) -> std::collections::HashMap<String, String> {
    let mut s = settings(keys, &[]);
    // The primary issuer trusts the RSA key; the partner the EC key only.
    s.insert("SCOPEGATE_JWKS".into(), mint::jwks([&keys.rs256]));
    s.insert("SCOPEGATE_ISSUERS".into(), issuers.into());
    s
}

fn partner(keys: &Keys) -> String {
    format!(
        r#"[{{"issuer":"{OTHER}","audience":["api://partner"],"jwks":{}}}]"#,
        serde_json::Value::String(mint::jwks([&keys.es256]))
    )
}

fn token(key: &scopegate::testkit::mint::SigningKey, iss: &str, aud: &str) -> String {
    let p = payload("").replace(ISSUER, iss).replace(AUDIENCE, aud);
    key.sign(&p).unwrap()
}

#[test]
fn each_issuer_has_its_own_keys_and_audiences() {
    let keys = Keys::load();
    let config =
        Config::from_strings(&settings_with(&keys, &partner(&keys)) as &dyn Strings).unwrap();
    let auth = scopegate::Authorizer::from_config(&config).unwrap();
    // Each issuer's own tokens pass.
    assert!(decide(&auth, &token(&keys.rs256, ISSUER, AUDIENCE)).is_ok());
    assert!(decide(&auth, &token(&keys.es256, OTHER, "api://partner")).is_ok());
    // The partner cannot use the primary's audience, nor its key.
    assert_eq!(
        decide(&auth, &token(&keys.es256, OTHER, AUDIENCE)).unwrap_err(),
        Reject::WrongAudience
    );
    assert_eq!(
        decide(&auth, &token(&keys.rs256, OTHER, "api://partner")).unwrap_err(),
        Reject::UnknownKid
    );
    // Nor can the primary's tokens be signed with the partner's key.
    assert_eq!(
        decide(&auth, &token(&keys.es256, ISSUER, AUDIENCE)).unwrap_err(),
        Reject::UnknownKid
    );
    // An issuer nobody configured.
    assert_eq!(
        decide(&auth, &token(&keys.rs256, "https://evil.example", AUDIENCE)).unwrap_err(),
        Reject::WrongIssuer
    );
}

#[test]
fn bad_issuer_lists_name_the_entry_and_field() {
    let keys = Keys::load();
    for (list, expected) in [
        ("{}".to_string(), "not a JSON array"),
        (
            r#"[{"audience":"a","jwks":"discover"}]"#.to_string(),
            "[0].issuer",
        ),
        (
            format!(r#"[{{"issuer":"{ISSUER}","audience":"a","jwks":"discover"}}]"#),
            "listed twice",
        ),
        (
            r#"[{"issuer":"https://x","jwks":"discover"}]"#.to_string(),
            "[0].audience",
        ),
        (
            r#"[{"issuer":"https://x","audience":"a","jwks":"discover","aud":"b"}]"#.to_string(),
            "[0].aud",
        ),
    ] {
        let err = Config::from_strings(&settings_with(&keys, &list) as &dyn Strings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SCOPEGATE_ISSUERS") && err.contains(expected),
            "{list}: {err}"
        );
    }
}
