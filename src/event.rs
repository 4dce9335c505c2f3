//! Stage 1, event: the authorizer event (contract §2) read straight from the
//! raw payload. Only the members we need are kept, borrowed from the input,
//! and the identity header is picked out of `headers` while parsing, so a
//! TOKEN or REQUEST event costs no allocation unless its strings contain
//! JSON escapes. Anything else is `Unauthorized`, never a panic.

use crate::outcome::Reject;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Which API Gateway integration sent the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// REST API TOKEN authorizer.
    Token,
    /// REST API REQUEST authorizer, or WebSocket `$connect`.
    Request,
    /// HTTP API, payload format 1.0.
    HttpV1,
    /// HTTP API, payload format 2.0.
    HttpV2,
}

/// Where REQUEST-style events carry the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySource {
    /// Header name, matched case-insensitively. Defaults to `Authorization`.
    pub header: String,
    /// Query parameter tried when the header is absent. Defaults to `access_token`.
    pub query: Option<String>,
}

impl Default for IdentitySource {
    fn default() -> Self {
        Self {
            header: "Authorization".into(),
            query: Some("access_token".into()),
        }
    }
}

/// The parts of an event the pipeline uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent<'a> {
    /// Which event shape it was.
    pub kind: EventKind,
    /// The raw identity value (`Bearer …`), if the event carries one.
    pub identity: Option<Cow<'a, str>>,
    /// `methodArn` (REST, HTTP 1.0) or `routeArn` (HTTP 2.0).
    pub arn: Option<Cow<'a, str>>,
}

impl AuthEvent<'_> {
    /// The identity value, or why there is none.
    pub fn identity_value(&self) -> Result<&str, Reject> {
        self.identity.as_deref().ok_or(Reject::MissingIdentity)
    }
}

/// Parses an event; `source` says where REQUEST-style events carry the token.
/// The event arrives as text (the runtime's `RawValue` is a `str`), so
/// serde_json does not check each string's UTF-8 again: 20 % of the parse of
/// a real TOKEN event (BENCHMARKS.md §3).
pub fn parse<'a>(input: &'a str, source: &IdentitySource) -> Result<AuthEvent<'a>, Reject> {
    let mut de = serde_json::Deserializer::from_str(input);
    let event = parse_from(&mut de, source)?;
    de.end().map_err(|_| Reject::BadEvent)?;
    Ok(event)
}

/// The event from any serde deserializer: the benches compare JSON parsers
/// through the same visitor (BENCHMARKS.md, serde_json vs simd-json).
pub fn parse_from<'a, D: Deserializer<'a>>(
    de: D,
    source: &IdentitySource,
) -> Result<AuthEvent<'a>, Reject> {
    let raw = TopLevel { source }
        .deserialize(de)
        .map_err(|_| Reject::BadEvent)?;
    let kind = match (raw.version.as_deref(), raw.kind.as_deref()) {
        (Some("2.0"), _) => EventKind::HttpV2,
        (Some("1.0"), _) => EventKind::HttpV1,
        (None, Some("TOKEN")) => EventKind::Token,
        (None, Some("REQUEST")) => EventKind::Request,
        _ => return Err(Reject::BadEvent),
    };
    // Two values for the identity (a repeated header or query parameter,
    // or a comma-joined list) are two tokens: contract §3 refuses them
    // rather than guess which one the backend will read.
    let repeated = match kind {
        EventKind::Token | EventKind::HttpV2 => false,
        EventKind::Request | EventKind::HttpV1 => {
            if raw.header.is_some() {
                raw.header_values > 1
            } else {
                raw.query_values > 1
            }
        }
    };
    let identity = match kind {
        EventKind::Token => raw.token,
        EventKind::Request => raw.header.or(raw.query),
        // The configured header or query parameter first: `identitySource`
        // lists every identity source's value (a cache key may add
        // `$context` variables), so it is read only when it holds one value.
        EventKind::HttpV1 | EventKind::HttpV2 => {
            match (raw.header.or(raw.query), raw.identity_source) {
                (Some(value), _) | (None, Sources::One(value)) => Some(value),
                (None, Sources::None) => None,
                (None, Sources::Several) => return Err(Reject::AmbiguousIdentity),
            }
        }
    };
    // HTTP APIs join a repeated header's values with commas (a token never
    // holds one); elsewhere a comma is left to the token rules.
    let joined = matches!(kind, EventKind::HttpV1 | EventKind::HttpV2)
        && identity.as_deref().is_some_and(|v| v.contains(','));
    if repeated || joined {
        return Err(Reject::AmbiguousIdentity);
    }
    let arn = match kind {
        EventKind::HttpV2 => raw.route_arn,
        _ => raw.method_arn,
    };
    Ok(AuthEvent {
        kind,
        identity,
        arn,
    })
}

#[derive(Default)]
struct Raw<'a> {
    kind: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    token: Option<Cow<'a, str>>,
    method_arn: Option<Cow<'a, str>>,
    route_arn: Option<Cow<'a, str>>,
    header: Option<Cow<'a, str>>,
    query: Option<Cow<'a, str>>,
    identity_source: Sources<'a>,
    /// Values of the identity header in `multiValueHeaders`.
    header_values: usize,
    /// Values of the identity query parameter in `multiValueQueryStringParameters`.
    query_values: usize,
}

/// What `identitySource` holds: payload 2.0 sends an array (one value per
/// configured identity source), 1.0 one string (the values comma-joined).
#[derive(Default)]
enum Sources<'a> {
    #[default]
    None,
    One(Cow<'a, str>),
    Several,
}

/// A string that borrows from the input when it has no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// `null` or a string.
fn opt_str<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_value::<Option<CowStr<'de>>>()?.map(|s| s.0))
}

struct TopLevel<'s> {
    source: &'s IdentitySource,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Raw<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Raw<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Raw<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an authorizer event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
        let mut raw = Raw::default();
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            match key.as_ref() {
                "type" => raw.kind = opt_str(&mut map)?,
                "version" => raw.version = opt_str(&mut map)?,
                "authorizationToken" => raw.token = opt_str(&mut map)?,
                "methodArn" => raw.method_arn = opt_str(&mut map)?,
                "routeArn" => raw.route_arn = opt_str(&mut map)?,
                "headers" => {
                    raw.header = map.next_value_seed(Pick {
                        name: &self.source.header,
                        ignore_case: true,
                    })?;
                }
                "queryStringParameters" => {
                    raw.query = match &self.source.query {
                        Some(name) => map.next_value_seed(Pick {
                            name,
                            ignore_case: false,
                        })?,
                        None => map.next_value::<IgnoredAny>().map(|_| None)?,
                    }
                }
                "multiValueHeaders" => {
                    raw.header_values = map.next_value_seed(CountValues {
                        name: &self.source.header,
                        ignore_case: true,
                    })?;
                }
                "multiValueQueryStringParameters" => {
                    raw.query_values = match &self.source.query {
                        Some(name) => map.next_value_seed(CountValues {
                            name,
                            ignore_case: false,
                        })?,
                        None => map.next_value::<IgnoredAny>().map(|_| 0)?,
                    }
                }
                "identitySource" => raw.identity_source = map.next_value_seed(IdentitySources)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

/// Whether a member's `key` is `name` (header names ignore ASCII case).
fn named(key: &str, name: &str, ignore_case: bool) -> bool {
    if ignore_case {
        key.eq_ignore_ascii_case(name)
    } else {
        key == name
    }
}

/// Picks one member out of a `{name: string|null}` map (or `null`).
struct Pick<'n> {
    name: &'n str,
    ignore_case: bool,
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            if named(&key, self.name, self.ignore_case) {
                // Two spellings of one header (`authorization` and `Authorization`) are ambiguous.
                if found.is_some() {
                    return Err(de::Error::custom("identity header repeated"));
                }
                found = opt_str(&mut map)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Counts the values under one name of a `{name: [string|null]|null}` map
/// (or `null`): the REQUEST event's `multiValueHeaders` and
/// `multiValueQueryStringParameters`.
struct CountValues<'n> {
    name: &'n str,
    ignore_case: bool,
}

impl<'de> DeserializeSeed<'de> for CountValues<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for CountValues<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of string arrays or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut count = 0usize;
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            if named(&key, self.name, self.ignore_case) {
                let values = map.next_value::<Option<Vec<IgnoredAny>>>()?;
                count = count.saturating_add(values.map_or(0, |v| v.len()));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(count)
    }
}

/// `identitySource`: a string in payload 1.0 (the values comma-joined), an
/// array in 2.0. Null elements are sources that were absent.
struct IdentitySources;

impl<'de> DeserializeSeed<'de> for IdentitySources {
    type Value = Sources<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdentitySources {
    type Value = Sources<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, an array of strings or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Sources::None)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(one_source(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(one_source(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut sources = Sources::None;
        while let Some(value) = seq.next_element::<Option<CowStr<'de>>>()? {
            let Some(CowStr(value)) = value else { continue };
            sources = match sources {
                Sources::None => one_source(value),
                Sources::One(_) | Sources::Several => Sources::Several,
            };
        }
        Ok(sources)
    }
}

/// One source's value; empty counts as absent, and a comma-joined list (1.0)
/// as several.
fn one_source(value: Cow<'_, str>) -> Sources<'_> {
    if value.is_empty() {
        Sources::None
    } else if value.contains(',') {
        Sources::Several
    } else {
        Sources::One(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/events/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// Bytes as the runtime would hand them: text, or a bad event.
    fn parse_default(input: &[u8]) -> Result<AuthEvent<'_>, Reject> {
        let text = std::str::from_utf8(input).map_err(|_| Reject::BadEvent)?;
        parse(text, &IdentitySource::default())
    }

    #[test]
    fn rest_token_event() {
        let input = fixture("rest-token.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.kind, EventKind::Token);
        assert_eq!(
            e.identity.as_deref(),
            Some("Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        );
        assert_eq!(
            e.arn.as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders")
        );
        assert!(
            matches!(e.identity, Some(Cow::Borrowed(_))),
            "no escapes, no copy"
        );
    }

    #[test]
    fn rest_request_event_finds_the_header_case_insensitively() {
        let input = fixture("rest-request.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.kind, EventKind::Request);
        assert_eq!(e.identity.as_deref(), Some("Bearer header-token"));
    }

    #[test]
    fn websocket_connect_falls_back_to_the_query_parameter() {
        let input = fixture("websocket-connect-query-token.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.kind, EventKind::Request);
        assert_eq!(e.identity.as_deref(), Some("query-token"));
    }

    #[test]
    fn http_api_v1_reads_the_identity_header() {
        let input = fixture("http-v1-request.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.kind, EventKind::HttpV1);
        assert_eq!(e.identity.as_deref(), Some("Bearer v1-token"));
        assert!(e.arn.as_deref().unwrap().ends_with("/GET/orders"));
    }

    #[test]
    fn http_api_v2_reads_the_identity_header_and_route_arn() {
        let input = fixture("http-v2-request.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.kind, EventKind::HttpV2);
        assert_eq!(e.identity.as_deref(), Some("Bearer v2-token"));
        assert!(e.arn.as_deref().unwrap().ends_with("/GET/orders"));
    }

    #[test]
    fn http_api_v2_without_identity_source_reads_the_header() {
        let input = fixture("http-v2-request-without-identity-source.json");
        let e = parse_default(&input).unwrap();
        assert_eq!(e.identity.as_deref(), Some("Bearer from-header"));
    }

    #[test]
    fn request_without_any_identity_has_none() {
        let e = parse_default(
            br#"{"type":"REQUEST","methodArn":"x","headers":null,"queryStringParameters":null}"#,
        )
        .unwrap();
        assert_eq!(e.identity, None);
    }

    /// serde_json (with `raw_value`, which lambda_runtime's `Box<RawValue>`
    /// event needs) reserves one member name; a caller can put it in the
    /// query string, where it must be an ordinary name to both parsers.
    #[test]
    fn serde_json_reserved_member_names_from_the_caller_are_ordinary() {
        let input = br#"{"type":"REQUEST","methodArn":"x","headers":{"authorization":"Bearer t"},"queryStringParameters":{"$serde_json::private::RawValue":"1"},"pathParameters":{"$serde_json::private::RawValue":5}}"#;
        let raw: Box<serde_json::value::RawValue> = serde_json::from_slice(input).unwrap();
        assert_eq!(raw.get().as_bytes(), input);
        assert_eq!(
            parse_default(raw.get().as_bytes())
                .unwrap()
                .identity
                .as_deref(),
            Some("Bearer t")
        );
    }

    #[test]
    fn escaped_tokens_are_unescaped() {
        let e = parse_default(
            br#"{"type":"TOKEN","authorizationToken":"Bearer a\/b","methodArn":"x"}"#,
        )
        .unwrap();
        assert_eq!(e.identity.as_deref(), Some("Bearer a/b"));
    }

    #[test]
    fn repeated_identity_headers_are_refused() {
        let input = br#"{"type":"REQUEST","methodArn":"x","headers":{"authorization":"Bearer a","Authorization":"Bearer b"}}"#;
        assert_eq!(parse_default(input), Err(Reject::BadEvent));
    }

    /// Regression (issue 21): payload 1.0's comma-joined `identitySource`
    /// gave its first piece, so a second token rode along to the backend.
    #[test]
    fn two_tokens_in_any_http_api_shape_are_refused() {
        for input in [
            // 1.0: the header comma-joined, and identitySource alone.
            &br#"{"version":"1.0","type":"REQUEST","methodArn":"x","identitySource":"Bearer a.b.c,Bearer d.e.f","headers":{"authorization":"Bearer a.b.c,Bearer d.e.f"}}"#[..],
            br#"{"version":"1.0","type":"REQUEST","methodArn":"x","identitySource":"Bearer a.b.c,Bearer d.e.f"}"#,
            // 1.0: one header value, but two in multiValueHeaders.
            br#"{"version":"1.0","type":"REQUEST","methodArn":"x","headers":{"Authorization":"Bearer d.e.f"},"multiValueHeaders":{"Authorization":["Bearer a.b.c","Bearer d.e.f"]}}"#,
            // 2.0: the header comma-joined; two identity-source values and no header.
            br#"{"version":"2.0","type":"REQUEST","routeArn":"x","identitySource":["Bearer a.b.c,Bearer d.e.f"],"headers":{"authorization":"Bearer a.b.c,Bearer d.e.f"}}"#,
            br#"{"version":"2.0","type":"REQUEST","routeArn":"x","identitySource":["Bearer a.b.c","Bearer d.e.f"]}"#,
        ] {
            assert_eq!(
                parse_default(input),
                Err(Reject::AmbiguousIdentity),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn http_api_v2_reads_the_header_beside_other_identity_sources() {
        // A cache key of Authorization + $context.routeKey: two values, one header.
        let input = br#"{"version":"2.0","type":"REQUEST","routeArn":"x","identitySource":["Bearer a.b.c","GET /pets"],"headers":{"authorization":"Bearer a.b.c"}}"#;
        assert_eq!(
            parse_default(input).unwrap().identity.as_deref(),
            Some("Bearer a.b.c")
        );
    }

    /// REST REQUEST events hold the last value of a repeated header in
    /// `headers` and every value in `multiValueHeaders`: two values are two
    /// tokens, whichever one `headers` kept.
    #[test]
    fn a_repeated_header_or_query_parameter_in_a_request_event_is_refused() {
        let header = br#"{"type":"REQUEST","methodArn":"x","headers":{"Authorization":"Bearer d.e.f"},"multiValueHeaders":{"authorization":["Bearer a.b.c"],"Authorization":["Bearer d.e.f"]}}"#;
        assert_eq!(parse_default(header), Err(Reject::AmbiguousIdentity));
        let query = br#"{"type":"REQUEST","methodArn":"x","queryStringParameters":{"access_token":"d.e.f"},"multiValueQueryStringParameters":{"access_token":["a.b.c","d.e.f"]}}"#;
        assert_eq!(parse_default(query), Err(Reject::AmbiguousIdentity));
        // One value each, and other repeated headers, are fine.
        let fine = br#"{"type":"REQUEST","methodArn":"x","headers":{"Authorization":"Bearer d.e.f"},"multiValueHeaders":{"Authorization":["Bearer d.e.f"],"Accept":["a","b"]},"multiValueQueryStringParameters":{"access_token":["q","r"]}}"#;
        assert_eq!(
            parse_default(fine).unwrap().identity.as_deref(),
            Some("Bearer d.e.f"),
            "the header wins; the query parameters are not read"
        );
    }

    #[test]
    fn malformed_events_are_bad_events() {
        for input in [
            &b""[..],
            b"null",
            b"[]",
            b"{",
            br#"{"type":"TOKEN","authorizationToken":1}"#,
            br#"{"type":"COOKIE","authorizationToken":"a"}"#,
            br#"{"authorizationToken":"a"}"#,
            br#"{"type":"TOKEN"} trailing"#,
            br#"{"type":"REQUEST","headers":[1]}"#,
            br#"{"version":"2.0","identitySource":{"a":1}}"#,
            b"\xff\xfe",
        ] {
            assert_eq!(
                parse_default(input),
                Err(Reject::BadEvent),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
