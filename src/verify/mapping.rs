//! Per-issuer claim mapping (contract §3a): where an issuer's tokens carry
//! their scopes, subject and client, what they must say, and when a token
//! without `aud` may pass on its `client_id`. Decided once, at start-up;
//! the default is contract §3's rule, so an issuer that configures nothing
//! pays for nothing.

use crate::codec::json::{Object, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// How a scope source's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A space-separated string (split on U+0020 only, empty pieces dropped).
    Space,
    /// An array of strings (elements taken as they are; non-strings ignored).
    Array,
    /// Either: a string is split, an array gives its string elements.
    Any,
}

/// One place a token's granted scopes are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSource {
    /// The member names from the top of the claims: one for `{"claim": …}`
    /// (taken literally, `cognito:groups` or a URL), several for `{"path": […]}`.
    pub path: Vec<String>,
    /// How the value is read. Defaults to [`Format::Any`].
    pub format: Format,
    /// Prepended to every value before matching (`role:` keeps roles apart from scopes).
    pub prefix: Option<String>,
}

impl ScopeSource {
    /// `{"claim": name}` with the default format and no prefix.
    pub fn claim(name: &str) -> ScopeSource {
        ScopeSource {
            path: vec![name.to_string()],
            format: Format::Any,
            prefix: None,
        }
    }

    /// How the source is written in the configuration (for `explain`).
    pub fn describe(&self) -> String {
        let mut s = match self.path.as_slice() {
            [one] => format!("claim `{one}`"),
            many => format!("path `{}`", many.join(".")),
        };
        match self.format {
            Format::Space => s.push_str(", format space"),
            Format::Array => s.push_str(", format array"),
            Format::Any => {}
        }
        if let Some(p) = &self.prefix {
            let _ = write!(s, ", prefix `{p}`");
        }
        s
    }
}

/// What one source found in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Not in the token.
    Absent,
    /// Present but of a JSON type its format does not read.
    WrongType,
    /// Present: this many values were added (prefix applied).
    Values(usize),
}

/// An issuer's mapping. [`Mapping::default`] is contract §3's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Where scopes come from, in order; granted = their union.
    /// Defaults to `[{"claim":"scp"},{"claim":"scope"}]`.
    pub scopes: Vec<ScopeSource>,
    /// Clients whose tokens may pass without `aud` (their `client_id`
    /// must be one of these). Defaults to none.
    pub client_ids: Vec<String>,
    /// The `principalId`: the first non-empty string among these claims.
    /// Defaults to `["sub"]`.
    pub subject_claims: Vec<String>,
    /// `context.client_id`: the first string among these claims.
    /// Defaults to `["client_id", "azp", "cid", "appid"]`.
    pub client_id_claims: Vec<String>,
    /// Claims that must be a string equal to one of the values. Defaults to none.
    pub require: Vec<(String, Vec<String>)>,
    /// The `token_type` values an introspection answer may give, compared
    /// ASCII case-insensitively (RFC 6749 §7.1): IdPs answer `active` for
    /// refresh and ID tokens too (Keycloak's `Refresh`, `ID`). Defaults to `["Bearer"]`.
    pub token_types: Vec<String>,
    /// Whether an answer without `token_type` passes (RFC 7662 makes it
    /// optional; oidc-provider omits it for refresh tokens). Defaults to `false`.
    pub token_type_optional: bool,
}

/// `client_id` (RFC 9068, Cognito, Keycloak), `azp` (OIDC, Entra v2,
/// Keycloak), `cid` (Okta), `appid` (Entra v1).
pub const DEFAULT_CLIENT_ID_CLAIMS: [&str; 4] = ["client_id", "azp", "cid", "appid"];

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            scopes: vec![ScopeSource::claim("scp"), ScopeSource::claim("scope")],
            client_ids: Vec::new(),
            subject_claims: vec!["sub".to_string()],
            client_id_claims: DEFAULT_CLIENT_ID_CLAIMS.map(str::to_string).to_vec(),
            require: Vec::new(),
            token_types: vec!["Bearer".to_string()],
            token_type_optional: false,
        }
    }
}

/// The value at `path` in `object`, if every step is an object member.
pub fn lookup<'v, 'a>(object: &'v Object<'a>, path: &[String]) -> Option<&'v Value<'a>> {
    let (first, rest) = path.split_first()?;
    let mut value = object.get(first)?;
    for name in rest {
        match value {
            Value::Object(inner) => value = inner.get(name)?,
            _ => return None,
        }
    }
    Some(value)
}

impl ScopeSource {
    /// Appends what this source contributes from `object` to `out` (no
    /// allocation unless a prefix is configured), and says what it found.
    pub fn read_into<'a>(&self, object: &'a Object<'a>, out: &mut Vec<Cow<'a, str>>) -> Found {
        let Some(value) = lookup(object, &self.path) else {
            return Found::Absent;
        };
        let before = out.len();
        let with_prefix = |s: &'a str| match &self.prefix {
            None => Cow::Borrowed(s),
            Some(p) => Cow::Owned(format!("{p}{s}")),
        };
        match (value, self.format) {
            (Value::String(list), Format::Space | Format::Any) => {
                out.extend(list.split(' ').filter(|p| !p.is_empty()).map(with_prefix));
            }
            (Value::Array(items), Format::Array | Format::Any) => {
                out.extend(items.iter().filter_map(|v| match v {
                    Value::String(s) => Some(with_prefix(s)),
                    _ => None,
                }));
            }
            _ => return Found::WrongType,
        }
        Found::Values(out.len() - before)
    }
}

impl Mapping {
    /// Whether an introspection answer with this `token_type` is an access
    /// token this issuer accepts.
    pub fn token_type_allowed(&self, token_type: Option<&str>) -> bool {
        match token_type {
            None => self.token_type_optional,
            Some(t) => self.token_types.iter().any(|a| a.eq_ignore_ascii_case(t)),
        }
    }

    /// The subject: the first non-empty string among the subject claims.
    pub fn subject<'a>(&self, object: &'a Object<'a>) -> Option<&'a str> {
        self.subject_claims.iter().find_map(|name| {
            object
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
    }

    /// The client: the first string among the client id claims.
    pub fn client_id<'a>(&self, object: &'a Object<'a>) -> Option<&'a str> {
        self.client_id_claims
            .iter()
            .find_map(|name| object.get(name).and_then(Value::as_str))
    }

    /// The first `require` rule the token breaks, if any.
    pub fn unmet_requirement(&self, object: &Object<'_>) -> Option<&str> {
        self.require.iter().find_map(|(claim, allowed)| {
            let ok = object
                .get(claim)
                .and_then(Value::as_str)
                .is_some_and(|v| allowed.iter().any(|a| a == v));
            (!ok).then_some(claim.as_str())
        })
    }

    /// A token without `aud`: does its `client_id` name a listed client?
    pub fn client_allowed(&self, object: &Object<'_>) -> bool {
        object
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(|c| self.client_ids.iter().any(|id| id == c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::{JsonLimits, parse_object};

    fn object(json: &str) -> Object<'_> {
        parse_object(json.as_bytes(), JsonLimits::default()).unwrap()
    }

    fn values<'a>(source: &ScopeSource, o: &'a Object<'a>) -> (Found, Vec<String>) {
        let mut out = Vec::new();
        let found = source.read_into(o, &mut out);
        (found, out.into_iter().map(Cow::into_owned).collect())
    }

    #[test]
    fn a_path_source_reads_nested_objects_and_a_prefix_marks_its_values() {
        let o = object(r#"{"resource_access":{"orders-api":{"roles":["reader","admin"]}}}"#);
        let source = ScopeSource {
            path: vec![
                "resource_access".into(),
                "orders-api".into(),
                "roles".into(),
            ],
            format: Format::Array,
            prefix: Some("role:".into()),
        };
        assert_eq!(
            values(&source, &o),
            (
                Found::Values(2),
                vec!["role:reader".into(), "role:admin".into()]
            )
        );
        let missing = ScopeSource {
            path: vec!["resource_access".into(), "billing".into(), "roles".into()],
            ..source.clone()
        };
        assert_eq!(values(&missing, &o).0, Found::Absent);
    }

    #[test]
    fn a_claim_name_is_taken_literally_and_formats_refuse_the_other_shape() {
        let o = object(r#"{"cognito:groups":["admins"],"https://acme.example/roles":"a b"}"#);
        assert_eq!(
            values(&ScopeSource::claim("cognito:groups"), &o).1,
            ["admins"]
        );
        assert_eq!(
            values(&ScopeSource::claim("https://acme.example/roles"), &o).1,
            ["a", "b"]
        );
        let strict = ScopeSource {
            format: Format::Array,
            ..ScopeSource::claim("https://acme.example/roles")
        };
        assert_eq!(values(&strict, &o).0, Found::WrongType);
        let space = ScopeSource {
            format: Format::Space,
            ..ScopeSource::claim("cognito:groups")
        };
        assert_eq!(values(&space, &o).0, Found::WrongType);
    }

    #[test]
    fn subject_client_and_requirements_read_their_claims_in_order() {
        let m = Mapping {
            subject_claims: vec!["sub".into(), "client_id".into()],
            require: vec![("token_use".into(), vec!["access".into()])],
            client_ids: vec!["app-1".into()],
            ..Mapping::default()
        };
        let machine = object(r#"{"sub":"","client_id":"app-1","token_use":"access"}"#);
        assert_eq!(m.subject(&machine), Some("app-1"));
        assert_eq!(m.client_id(&machine), Some("app-1"));
        assert_eq!(m.unmet_requirement(&machine), None);
        assert!(m.client_allowed(&machine));
        let id_token = object(r#"{"sub":"u","aud":"app-1","token_use":"id"}"#);
        assert_eq!(m.unmet_requirement(&id_token), Some("token_use"));
        assert!(!m.client_allowed(&id_token));
        let okta = object(r#"{"sub":"u","cid":"0oa1"}"#);
        assert_eq!(Mapping::default().client_id(&okta), Some("0oa1"));
    }
}
