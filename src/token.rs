//! Stage 2, token: from an identity value to a compact JWS whose header has
//! been read strictly. Cheap checks come first (size, scheme, shape), so a
//! hostile value is refused before anything is decoded.

use crate::codec::b64;
use crate::codec::json::{self, JsonLimits, Value};
use crate::jose::Alg;
use crate::outcome::Reject;
use std::borrow::Cow;

/// Extracts the token from an `Authorization`-style value (contract §3,
/// Header): `Bearer` (any case) then one or more spaces then the token, or a
/// bare token. Two tokens, trailing words, another scheme or an empty value fail.
pub fn bearer(value: &str, max_token_bytes: usize) -> Result<&str, Reject> {
    // Refuse absurd values before scanning them: scheme, spaces and the token.
    if value.len() > max_token_bytes.saturating_add(64) {
        return Err(Reject::TokenTooLarge);
    }
    let token = match value.split_once(' ') {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(Reject::BadScheme);
            }
            rest.trim_start_matches(' ')
        }
        None => value,
    };
    if token.is_empty() || token.contains(' ') || token.eq_ignore_ascii_case("bearer") {
        return Err(Reject::BadScheme);
    }
    if token.len() > max_token_bytes {
        return Err(Reject::TokenTooLarge);
    }
    Ok(token)
}

/// The three segments of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy)]
pub struct Compact<'a> {
    /// The encoded JOSE header.
    pub header: &'a str,
    /// The encoded payload.
    pub payload: &'a str,
    /// The encoded signature.
    pub signature: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'a str,
}

/// Splits a compact JWS: exactly three non-empty segments. JWE (five
/// segments), JSON serialization and detached or empty payloads fail here.
pub fn split(token: &str) -> Result<Compact<'_>, Reject> {
    let mut dots = token.match_indices('.').map(|(i, _)| i);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(Reject::Malformed);
    };
    let compact = Compact {
        header: &token[..first],
        payload: &token[first + 1..second],
        signature: &token[second + 1..],
        signing_input: &token[..second],
    };
    if compact.header.is_empty() || compact.payload.is_empty() || compact.signature.is_empty() {
        return Err(Reject::Malformed);
    }
    Ok(compact)
}

/// The decoded JOSE header, on the stack (a header beyond 512 bytes spills
/// to the heap).
pub type HeaderBuf = b64::Buf<512>;

/// The JOSE header members we act on; `kid` borrows the decoded header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The algorithm, already in the allow-list.
    pub alg: Alg,
    /// The key id.
    pub kid: Cow<'a, str>,
    /// `typ` was `at+jwt` or `application/at+jwt` (RFC 9068).
    pub access_token_typ: bool,
}

/// Decodes and checks the JOSE header: strict JSON, `alg` in `allowed`, a
/// string `kid`, no `crit`, no `b64`, `typ` absent, `JWT`, `at+jwt` or
/// `application/at+jwt` (media types: ASCII case-insensitive, contract §3).
/// `jku`, `x5u`, `jwk` and `x5c` are never read.
pub fn read_header<'a>(
    encoded: &str,
    allowed: &[Alg],
    limits: JsonLimits,
    buf: &'a mut HeaderBuf,
) -> Result<Header<'a>, Reject> {
    let mut object = json::parse_object(buf.decode(encoded.as_bytes())?, limits)?;
    let alg = match object.get("alg") {
        Some(Value::String(name)) => Alg::from_name(name)
            .filter(|a| allowed.contains(a))
            .ok_or(Reject::AlgNotAllowed)?,
        _ => return Err(Reject::AlgNotAllowed),
    };
    if object.get("crit").is_some() {
        return Err(Reject::Crit);
    }
    if object.get("b64").is_some() {
        return Err(Reject::B64Header);
    }
    let access_token_typ = match object.get("typ") {
        None => false,
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => false,
        Some(Value::String(t))
            if t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt") =>
        {
            true
        }
        Some(_) => return Err(Reject::BadTyp),
    };
    let Some(Value::String(kid)) = object.take("kid") else {
        return Err(Reject::MissingKid);
    };
    Ok(Header {
        alg,
        kid,
        access_token_typ,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: usize = 8192;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc"] {
            assert_eq!(bearer(v, CAP), Ok("abc"), "{v}");
        }
    }

    #[test]
    fn several_spaces_after_the_scheme_are_accepted() {
        assert_eq!(bearer("Bearer    abc", CAP), Ok("abc"));
    }

    #[test]
    fn a_bare_token_is_accepted() {
        assert_eq!(bearer("a.b.c", CAP), Ok("a.b.c"));
    }

    #[test]
    fn other_schemes_fail() {
        for v in ["Basic abc", "Token abc", "DPoP abc", "Bearer: abc"] {
            assert_eq!(bearer(v, CAP), Err(Reject::BadScheme), "{v}");
        }
    }

    #[test]
    fn empty_values_and_bare_schemes_fail() {
        for v in ["", "Bearer", "Bearer ", "Bearer    ", " "] {
            assert_eq!(bearer(v, CAP), Err(Reject::BadScheme), "{v:?}");
        }
    }

    #[test]
    fn two_tokens_or_trailing_words_fail() {
        for v in ["Bearer a b", "Bearer a ", "a b", "Bearer a.b.c extra"] {
            assert_eq!(bearer(v, CAP), Err(Reject::BadScheme), "{v:?}");
        }
    }

    #[test]
    fn tokens_over_the_cap_fail_before_decoding() {
        let big = "a".repeat(CAP + 1);
        assert_eq!(bearer(&big, CAP), Err(Reject::TokenTooLarge));
        assert_eq!(
            bearer(&format!("Bearer {big}"), CAP),
            Err(Reject::TokenTooLarge)
        );
        assert_eq!(bearer(&"a".repeat(CAP), CAP).map(str::len), Ok(CAP));
    }

    #[test]
    fn split_needs_exactly_three_non_empty_segments() {
        assert!(split("a.b.c").is_ok());
        for t in [
            "a.b",
            "a.b.c.d.e",
            "a.b.c.d",
            "abc",
            "a..c",
            ".b.c",
            "a.b.",
            "{\"payload\":1}",
        ] {
            assert_eq!(split(t).err(), Some(Reject::Malformed), "{t}");
        }
    }

    fn header(json: &str) -> Result<Header<'static>, Reject> {
        let enc = b64::encode(json.as_bytes());
        let buf = Box::leak(Box::default());
        read_header(&enc, &Alg::DEFAULT_ALLOWED, JsonLimits::default(), buf)
    }

    #[test]
    fn header_with_alg_kid_and_typ_is_read() {
        let h = header(r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#).unwrap();
        assert_eq!(
            h,
            Header {
                alg: Alg::RS256,
                kid: "k1".into(),
                access_token_typ: true
            }
        );
    }

    #[test]
    fn none_and_hmac_algorithms_are_never_allowed() {
        for alg in [
            "none", "None", "HS256", "HS384", "HS512", "rs256", "RS256 ", "",
        ] {
            let json = format!(r#"{{"alg":"{alg}","kid":"k1"}}"#);
            assert_eq!(header(&json), Err(Reject::AlgNotAllowed), "{alg}");
        }
        assert_eq!(header(r#"{"kid":"k1"}"#), Err(Reject::AlgNotAllowed));
        assert_eq!(
            header(r#"{"alg":["RS256"],"kid":"k1"}"#),
            Err(Reject::AlgNotAllowed)
        );
    }

    #[test]
    fn algorithms_outside_the_configured_list_fail() {
        let enc = b64::encode(br#"{"alg":"ES256","kid":"k1"}"#);
        let mut buf = HeaderBuf::default();
        let got = read_header(&enc, &[Alg::RS256], JsonLimits::default(), &mut buf);
        assert_eq!(got, Err(Reject::AlgNotAllowed));
    }

    #[test]
    fn missing_or_non_string_kid_fails() {
        assert_eq!(header(r#"{"alg":"RS256"}"#), Err(Reject::MissingKid));
        assert_eq!(
            header(r#"{"alg":"RS256","kid":7}"#),
            Err(Reject::MissingKid)
        );
    }

    #[test]
    fn crit_and_b64_fail() {
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#),
            Err(Reject::Crit)
        );
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"k","crit":[]}"#),
            Err(Reject::Crit)
        );
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"k","b64":false}"#),
            Err(Reject::B64Header)
        );
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"k","b64":true}"#),
            Err(Reject::B64Header)
        );
    }

    #[test]
    fn typ_media_types_are_case_insensitive_and_may_carry_the_application_prefix() {
        for (typ, access) in [
            ("JWT", false),
            ("jwt", false),
            ("at+jwt", true),
            ("AT+JWT", true),
            ("application/at+jwt", true),
            ("Application/AT+JWT", true),
        ] {
            let json = format!(r#"{{"alg":"RS256","kid":"k","typ":"{typ}"}}"#);
            assert_eq!(
                header(&json).map(|h| h.access_token_typ),
                Ok(access),
                "{typ}"
            );
        }
        // Only the forms the contract lists: not application/jwt.
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"k","typ":"application/jwt"}"#),
            Err(Reject::BadTyp)
        );
    }

    #[test]
    fn unexpected_typ_fails() {
        for typ in [r#""JWE""#, r#""jwt+at""#, "1", r#""AT+JWT ""#] {
            let json = format!(r#"{{"alg":"RS256","kid":"k","typ":{typ}}}"#);
            assert_eq!(header(&json), Err(Reject::BadTyp), "{typ}");
        }
    }

    #[test]
    fn key_carrying_headers_are_ignored_not_used() {
        let h = header(
            r#"{"alg":"RS256","kid":"k","jku":"https://evil","x5u":"https://evil","jwk":{"kty":"oct"},"x5c":["AA"]}"#,
        );
        assert_eq!(h.map(|h| h.kid), Ok("k".into()));
    }

    #[test]
    fn duplicate_header_members_fail() {
        assert_eq!(
            header(r#"{"alg":"RS256","kid":"a","\u006bid":"b"}"#),
            Err(Reject::DuplicateMember)
        );
    }
}
