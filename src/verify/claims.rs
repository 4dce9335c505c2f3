//! The claims a token must carry (contract §3, Time and Claims): read
//! before the signature is checked, so that they can only ever refuse —
//! nothing in them is trusted until the signature of their issuer's key
//! verifies ([`fn@super::signature`]).

use super::mapping::{Found, Mapping};
use crate::codec::json::{Object, Value};
use crate::outcome::Reject;
use std::borrow::Cow;

/// 9999-12-31T23:59:59Z: the latest `exp`, `nbf` or `iat` we accept.
pub const MAX_TIME_CLAIM: f64 = 253_402_300_799.0;

/// What a valid token must say (contract §3, Time and Claims).
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// Accepted `iss` values, compared exactly.
    pub issuers: Vec<String>,
    /// Accepted audiences; `aud` must name one of them.
    pub audiences: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, seconds. Defaults to `60`.
    pub leeway: f64,
    /// Require `typ: at+jwt` (RFC 9068). Defaults to `false`.
    pub require_at_jwt: bool,
    /// Most scopes a token may list. Defaults to `256`.
    pub max_scopes: usize,
    /// Longest `sub`, `client_id` or scope value we read, bytes. Defaults to `1024`.
    pub max_claim_len: usize,
    /// Extra claims copied to the response context when scalar.
    pub context_claims: Vec<String>,
    /// `aud` must be present (unless the mapping lists `client_ids`). RFC
    /// 7662 makes it optional in an introspection answer, so
    /// introspection-only mode checks it only when given.
    pub audience_required: bool,
    /// Where this issuer's scopes, subject and client come from, and what
    /// its tokens must say (contract §3a). Defaults to contract §3's rule.
    pub mapping: Mapping,
}

/// A scalar claim value for the response context (REST rejects objects and arrays).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A number, as written.
    Num(&'a str),
    /// A boolean.
    Bool(bool),
}

/// The claims of a verified token, borrowing from the decoded payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<'a> {
    /// The subject: `principalId`.
    pub sub: &'a str,
    /// Expiry, Unix seconds.
    pub exp: f64,
    /// The client, when the token names one.
    pub client_id: Option<&'a str>,
    /// The scopes, in token order.
    pub scopes: Vec<Cow<'a, str>>,
    /// Scope sources that were present but of a JSON type their format does not read.
    pub wrong_type_sources: u8,
    /// `(claim name, value)` for each configured context claim present as a scalar.
    pub context: Vec<(&'a str, Scalar<'a>)>,
}

fn time_claim(object: &Object<'_>, name: &str) -> Result<Option<f64>, Reject> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) if n.value.is_finite() && n.value <= MAX_TIME_CLAIM => {
            Ok(Some(n.value))
        }
        Some(_) => Err(Reject::BadTimeClaim),
    }
}

/// Checks the claims of a payload whose signature has been verified.
/// `now` is Unix seconds (fractions allowed).
pub fn claims<'a>(
    object: &'a Object<'a>,
    rules: &'a ClaimRules,
    access_token_typ: bool,
    now: f64,
) -> Result<Claims<'a>, Reject> {
    if rules.require_at_jwt && !access_token_typ {
        return Err(Reject::BadTyp);
    }
    let exp = time_claim(object, "exp")?.ok_or(Reject::MissingExp)?;
    let nbf = time_claim(object, "nbf")?;
    let iat = time_claim(object, "iat")?;
    if now >= exp + rules.leeway {
        return Err(Reject::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + rules.leeway) {
        return Err(Reject::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now + rules.leeway) {
        return Err(Reject::IssuedInFuture);
    }
    match object.get("iss") {
        Some(Value::String(iss)) if rules.issuers.iter().any(|i| i == iss) => {}
        _ => return Err(Reject::WrongIssuer),
    }
    let audience_ok = match object.get("aud") {
        Some(Value::String(aud)) => rules.audiences.iter().any(|a| a == aud),
        Some(Value::Array(items)) => {
            let mut found = false;
            for item in items {
                let Value::String(aud) = item else {
                    return Err(Reject::WrongAudience);
                };
                found |= rules.audiences.iter().any(|a| a == aud);
            }
            found
        }
        // Contract §3a: without `aud`, a listed client may pass on its `client_id`.
        None => !rules.audience_required || rules.mapping.client_allowed(object),
        _ => false,
    };
    if !audience_ok {
        return Err(Reject::WrongAudience);
    }
    if rules.mapping.unmet_requirement(object).is_some() {
        return Err(Reject::UnmetRequirement);
    }
    let sub = bounded(
        rules.mapping.subject(object).ok_or(Reject::MissingSub)?,
        rules,
    )?;
    let client_id = match rules.mapping.client_id(object) {
        Some(c) => Some(bounded(c, rules)?),
        None => None,
    };
    // Contract §3 and §3a: the union of the issuer's sources (by default
    // `scp` and `scope`, each a space-separated string or an array).
    let mut scopes = Vec::new();
    let mut wrong_type_sources = 0u8;
    for source in &rules.mapping.scopes {
        if source.read_into(object, &mut scopes) == Found::WrongType {
            wrong_type_sources = wrong_type_sources.saturating_add(1);
        }
        if scopes.len() > rules.max_scopes {
            return Err(Reject::TooManyScopes);
        }
    }
    if scopes.iter().any(|s| s.len() > rules.max_claim_len) {
        return Err(Reject::ClaimTooLong);
    }
    let mut context = Vec::new();
    for name in &rules.context_claims {
        let value = match object.get(name) {
            Some(Value::String(s)) => Scalar::Str(Cow::Borrowed(bounded(s, rules)?)),
            Some(Value::Number(n)) => Scalar::Num(n.text),
            Some(Value::Bool(b)) => Scalar::Bool(*b),
            _ => continue,
        };
        context.push((name.as_str(), value));
    }
    Ok(Claims {
        sub,
        exp,
        client_id,
        scopes,
        wrong_type_sources,
        context,
    })
}

fn bounded<'a>(value: &'a str, rules: &ClaimRules) -> Result<&'a str, Reject> {
    if value.len() > rules.max_claim_len {
        Err(Reject::ClaimTooLong)
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::{JsonLimits, parse_object};

    fn rules() -> ClaimRules {
        ClaimRules {
            audience_required: true,
            issuers: vec!["https://idp.example.com".into()],
            audiences: vec!["api://a".into(), "api://b".into()],
            leeway: 60.0,
            require_at_jwt: false,
            max_scopes: 4,
            max_claim_len: 64,
            context_claims: vec!["tenant".into(), "level".into(), "vip".into(), "obj".into()],
            mapping: Mapping::default(),
        }
    }

    const NOW: f64 = 1_700_000_000.0;

    fn check(payload: &str) -> Result<Claims<'static>, Reject> {
        check_with(payload, rules())
    }

    fn check_with(payload: &str, rules: ClaimRules) -> Result<Claims<'static>, Reject> {
        let payload: &'static str = Box::leak(payload.to_string().into_boxed_str());
        let object: &'static Object<'static> = Box::leak(Box::new(
            parse_object(payload.as_bytes(), JsonLimits::default()).map_err(Reject::from)?,
        ));
        let rules: &'static ClaimRules = Box::leak(Box::new(rules));
        claims(object, rules, false, NOW)
    }

    /// The granted scopes as plain strings (leaked: the payloads are too).
    fn names(c: &Claims<'_>) -> Vec<&'static str> {
        c.scopes
            .iter()
            .map(|s| &*String::leak(s.to_string()))
            .collect()
    }

    fn payload(extra: &str) -> String {
        format!(
            r#"{{"iss":"https://idp.example.com","aud":"api://a","sub":"u1","exp":1700000100{extra}}}"#
        )
    }

    #[test]
    fn a_valid_payload_yields_its_claims() {
        let c = check(&payload(r#","scp":["a","b"],"client_id":"c1""#)).unwrap();
        assert_eq!(
            (c.sub, c.client_id, names(&c)),
            ("u1", Some("c1"), vec!["a", "b"])
        );
    }

    #[test]
    fn scopes_are_the_union_of_scp_and_scope_in_either_shape() {
        let scopes = |extra: &str| check(&payload(extra)).map(|c| names(&c));
        // Entra ID delegated: `scp` as a space-separated string.
        assert_eq!(
            scopes(r#","scp":"Orders.Read Orders.Write""#),
            Ok(vec!["Orders.Read", "Orders.Write"])
        );
        // ForgeRock / Duende: `scope` as an array.
        assert_eq!(scopes(r#","scope":["a","b"]"#), Ok(vec!["a", "b"]));
        // Both present: scp first, then scope; empty pieces and non-strings dropped.
        assert_eq!(
            scopes(r#","scp":["a",1,null],"scope":"  b  c ""#),
            Ok(vec!["a", "b", "c"])
        );
        // Other shapes contribute nothing, and never refuse.
        assert_eq!(scopes(r#","scp":{"a":1},"scope":7"#), Ok(vec![]));
    }

    #[test]
    fn the_scope_cap_counts_both_claims() {
        assert_eq!(
            check(&payload(r#","scp":["a","b","c"],"scope":"d e""#)).map(|c| c.scopes.len()),
            Err(Reject::TooManyScopes)
        );
    }

    #[test]
    fn missing_exp_fails() {
        let p = r#"{"iss":"https://idp.example.com","aud":"api://a","sub":"u1"}"#;
        assert_eq!(check(p), Err(Reject::MissingExp));
    }

    #[test]
    fn non_numeric_or_far_future_exp_fails() {
        for exp in [
            r#""1700000100""#,
            "null",
            "true",
            "[1]",
            "253402300800",
            "1e300",
        ] {
            let p = format!(
                r#"{{"iss":"https://idp.example.com","aud":"api://a","sub":"u1","exp":{exp}}}"#
            );
            assert_eq!(check(&p), Err(Reject::BadTimeClaim), "{exp}");
        }
    }

    #[test]
    fn fractional_exp_is_accepted() {
        let p =
            r#"{"iss":"https://idp.example.com","aud":"api://a","sub":"u1","exp":1699999940.5}"#;
        assert!(check(p).is_ok(), "valid while now < exp + leeway");
    }

    #[test]
    fn exp_within_leeway_passes_and_past_it_fails() {
        let at = |exp: f64| {
            format!(r#"{{"iss":"https://idp.example.com","aud":"api://a","sub":"u1","exp":{exp}}}"#)
        };
        assert!(check(&at(NOW - 59.0)).is_ok());
        assert_eq!(check(&at(NOW - 60.0)), Err(Reject::Expired));
    }

    #[test]
    fn nbf_and_iat_beyond_leeway_fail() {
        assert!(check(&payload(r#","nbf":1700000060,"iat":1700000060"#)).is_ok());
        assert_eq!(
            check(&payload(r#","nbf":1700000061"#)),
            Err(Reject::NotYetValid)
        );
        assert_eq!(
            check(&payload(r#","iat":1700000061"#)),
            Err(Reject::IssuedInFuture)
        );
        assert_eq!(check(&payload(r#","nbf":"0""#)), Err(Reject::BadTimeClaim));
        assert_eq!(check(&payload(r#","iat":null"#)), Err(Reject::BadTimeClaim));
    }

    #[test]
    fn issuer_must_match_exactly() {
        for iss in [
            r#""https://idp.example.com/""#,
            r#""HTTPS://IDP.EXAMPLE.COM""#,
            r#"["https://idp.example.com"]"#,
        ] {
            let p = format!(r#"{{"iss":{iss},"aud":"api://a","sub":"u1","exp":1700000100}}"#);
            assert_eq!(check(&p), Err(Reject::WrongIssuer), "{iss}");
        }
        let p = r#"{"aud":"api://a","sub":"u1","exp":1700000100}"#;
        assert_eq!(check(p), Err(Reject::WrongIssuer));
    }

    #[test]
    fn audience_may_be_a_string_or_an_array_of_strings() {
        let with_aud = |aud: &str| {
            format!(
                r#"{{"iss":"https://idp.example.com","aud":{aud},"sub":"u1","exp":1700000100}}"#
            )
        };
        assert!(check(&with_aud(r#""api://b""#)).is_ok());
        assert!(check(&with_aud(r#"["x","api://a"]"#)).is_ok());
        for bad in [
            r#""api://c""#,
            r#"["x"]"#,
            "[]",
            r#"["api://a",1]"#,
            "1",
            r#""API://A""#,
        ] {
            assert_eq!(check(&with_aud(bad)), Err(Reject::WrongAudience), "{bad}");
        }
    }

    #[test]
    fn sub_must_be_a_non_empty_string() {
        for sub in [r#""""#, "1", "null"] {
            let p = format!(
                r#"{{"iss":"https://idp.example.com","aud":"api://a","sub":{sub},"exp":1700000100}}"#
            );
            assert_eq!(check(&p), Err(Reject::MissingSub), "{sub}");
        }
    }

    #[test]
    fn an_scp_array_and_a_scope_string_are_united() {
        let c = check(&payload(r#","scp":["a",1,"b"],"scope":"x y z""#));
        assert_eq!(
            c,
            Err(Reject::TooManyScopes),
            "five scopes over a cap of four"
        );
        let c = check(&payload(r#","scp":["a",1],"scope":"x y""#)).unwrap();
        assert_eq!(names(&c), ["a", "x", "y"]);
    }

    #[test]
    fn scope_string_splits_on_spaces_only() {
        let c = check(&payload(r#","scope":"  a  b\tc d\u00a0e ""#)).unwrap();
        assert_eq!(names(&c), ["a", "b\tc", "d\u{a0}e"]);
    }

    #[test]
    fn a_string_scp_is_split_like_scope() {
        let c = check(&payload(r#","scp":"a","scope":"b""#)).unwrap();
        assert_eq!(names(&c), ["a", "b"]);
    }

    #[test]
    fn too_many_scopes_and_overlong_claims_fail() {
        assert_eq!(
            check(&payload(r#","scp":["a","b","c","d","e"]"#)),
            Err(Reject::TooManyScopes)
        );
        assert_eq!(
            check(&payload(r#","scope":"a b c d e""#)),
            Err(Reject::TooManyScopes)
        );
        let long = "x".repeat(65);
        assert_eq!(
            check(&payload(&format!(r#","scp":["{long}"]"#))),
            Err(Reject::ClaimTooLong)
        );
    }

    #[test]
    fn only_scalar_context_claims_are_copied() {
        let c = check(&payload(
            r#","tenant":"t1","level":3.5,"vip":true,"obj":{"a":1}"#,
        ))
        .unwrap();
        assert_eq!(
            c.context,
            vec![
                ("tenant", Scalar::Str(Cow::Borrowed("t1"))),
                ("level", Scalar::Num("3.5")),
                ("vip", Scalar::Bool(true))
            ]
        );
    }

    #[test]
    fn at_jwt_can_be_required() {
        let mut r = rules();
        r.require_at_jwt = true;
        assert_eq!(check_with(&payload(""), r), Err(Reject::BadTyp));
    }
}
