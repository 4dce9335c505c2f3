//! Per-issuer claim mapping settings (contract §3a): the members of a
//! `SCOPEGATE_ISSUERS` entry, and the primary issuer's equivalents
//! (`SCOPEGATE_SCOPE_SOURCES`, `SCOPEGATE_CLIENT_IDS`,
//! `SCOPEGATE_SUBJECT_CLAIMS`, `SCOPEGATE_CLIENT_ID_CLAIMS`,
//! `SCOPEGATE_REQUIRE_CLAIMS`, `SCOPEGATE_INTROSPECTION_TOKEN_TYPES`,
//! `SCOPEGATE_INTROSPECTION_TOKEN_TYPE_OPTIONAL`). Absent members keep
//! contract §3's defaults.

use super::names::{
    ENV_CLIENT_ID_CLAIMS, ENV_CLIENT_IDS, ENV_INTROSPECTION_TOKEN_TYPE_OPTIONAL,
    ENV_INTROSPECTION_TOKEN_TYPES, ENV_REQUIRE_CLAIMS, ENV_SCOPE_SOURCES, ENV_SUBJECT_CLAIMS,
};
use super::parse::{flag, list};
use super::{ConfigError, Strings};
use crate::verify::mapping::{Format, Mapping, ScopeSource};
use serde_json::Value;

/// `scopes`: `[{"claim": NAME} | {"path": [NAME, …]}, "format"?, "prefix"?]`.
pub(crate) fn scope_sources(value: &Value) -> Result<Vec<ScopeSource>, String> {
    let items = value.as_array().ok_or("must be an array of sources")?;
    if items.is_empty() {
        return Err("lists no source (omit it for the default scp and scope)".into());
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| source(item).map_err(|e| format!("[{i}]: {e}")))
        .collect()
}

fn source(item: &Value) -> Result<ScopeSource, String> {
    let object = item.as_object().ok_or("a source is an object")?;
    if let Some(unknown) = object
        .keys()
        .find(|k| !["claim", "path", "format", "prefix"].contains(&k.as_str()))
    {
        return Err(format!("`{unknown}` is not a known member"));
    }
    let path = match (object.get("claim"), object.get("path")) {
        (Some(Value::String(name)), None) if !name.is_empty() => vec![name.clone()],
        (None, Some(Value::Array(names))) if !names.is_empty() => names
            .iter()
            .map(|n| {
                n.as_str()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .ok_or("path members are non-empty strings")
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(
                "needs exactly one of `claim` (a name) or `path` (an array of names)".into(),
            );
        }
    };
    let format = match object.get("format").map(|f| f.as_str()) {
        None | Some(Some("any")) => Format::Any,
        Some(Some("space")) => Format::Space,
        Some(Some("array")) => Format::Array,
        _ => return Err("`format` is space, array or any".into()),
    };
    let prefix = match object.get("prefix") {
        None => None,
        Some(Value::String(p)) if !p.is_empty() => Some(p.clone()),
        _ => return Err("`prefix` is a non-empty string".into()),
    };
    Ok(ScopeSource {
        path,
        format,
        prefix,
    })
}

/// A list of names: a JSON array of non-empty strings.
fn names(value: &Value) -> Result<Vec<String>, String> {
    let items = value.as_array().ok_or("must be an array of names")?;
    let out: Vec<String> = items
        .iter()
        .map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_string))
        .collect::<Option<_>>()
        .ok_or("must be an array of non-empty strings")?;
    if out.is_empty() {
        return Err("must name at least one".into());
    }
    Ok(out)
}

/// `require`: `{claim: string | [strings]}`.
pub(crate) fn requirements(value: &Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let object = value
        .as_object()
        .ok_or("must be an object of claim: value(s)")?;
    object
        .iter()
        .map(|(claim, allowed)| {
            let values = match allowed {
                Value::String(v) => vec![v.clone()],
                Value::Array(_) => names(allowed).map_err(|e| format!("`{claim}` {e}"))?,
                _ => return Err(format!("`{claim}` must be a string or an array of strings")),
            };
            Ok((claim.clone(), values))
        })
        .collect()
}

/// The mapping members of one `SCOPEGATE_ISSUERS` entry.
pub(crate) fn from_entry(entry: &serde_json::Map<String, Value>) -> Result<Mapping, String> {
    let mut m = Mapping::default();
    let named = |member: &str, e: String| format!(".{member} {e}");
    if let Some(v) = entry.get("scopes") {
        m.scopes = scope_sources(v).map_err(|e| named("scopes", e))?;
    }
    if let Some(v) = entry.get("client_ids") {
        m.client_ids = names(v).map_err(|e| named("client_ids", e))?;
    }
    if let Some(v) = entry.get("subject_claims") {
        m.subject_claims = names(v).map_err(|e| named("subject_claims", e))?;
    }
    if let Some(v) = entry.get("client_id_claims") {
        m.client_id_claims = names(v).map_err(|e| named("client_id_claims", e))?;
    }
    if let Some(v) = entry.get("require") {
        m.require = requirements(v).map_err(|e| named("require", e))?;
    }
    if let Some(v) = entry.get("introspection_token_types") {
        m.token_types = names(v).map_err(|e| named("introspection_token_types", e))?;
    }
    match entry.get("introspection_token_type_optional") {
        None => {}
        Some(Value::Bool(b)) => m.token_type_optional = *b,
        Some(_) => {
            return Err(named(
                "introspection_token_type_optional",
                "is true or false".into(),
            ));
        }
    }
    Ok(m)
}

/// The primary issuer's mapping, from its variables.
pub(crate) fn primary(src: &dyn Strings) -> Result<Mapping, ConfigError> {
    let mut m = Mapping::default();
    let json = |var: &'static str| -> Result<Option<Value>, ConfigError> {
        match src.get(var).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| ConfigError::new(var, format!("not JSON: {e}"))),
        }
    };
    let comma = |var: &'static str| src.get(var).map(|v| list(&v)).filter(|l| !l.is_empty());
    if let Some(v) = json(ENV_SCOPE_SOURCES)? {
        m.scopes = scope_sources(&v).map_err(|e| ConfigError::new(ENV_SCOPE_SOURCES, e))?;
    }
    if let Some(ids) = comma(ENV_CLIENT_IDS) {
        m.client_ids = ids;
    }
    if let Some(claims) = comma(ENV_SUBJECT_CLAIMS) {
        m.subject_claims = claims;
    }
    if let Some(claims) = comma(ENV_CLIENT_ID_CLAIMS) {
        m.client_id_claims = claims;
    }
    if let Some(v) = json(ENV_REQUIRE_CLAIMS)? {
        m.require = requirements(&v).map_err(|e| ConfigError::new(ENV_REQUIRE_CLAIMS, e))?;
    }
    if let Some(types) = comma(ENV_INTROSPECTION_TOKEN_TYPES) {
        m.token_types = types;
    }
    m.token_type_optional = flag(src, ENV_INTROSPECTION_TOKEN_TYPE_OPTIONAL)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_take_a_claim_or_a_path_with_format_and_prefix() {
        let s = scope_sources(&json!([
            {"claim": "cognito:groups", "prefix": "group:"},
            {"path": ["resource_access", "orders-api", "roles"], "format": "array"}
        ]))
        .unwrap();
        assert_eq!(s[0].path, ["cognito:groups"]);
        assert_eq!(s[0].prefix.as_deref(), Some("group:"));
        assert_eq!(s[1].path.len(), 3);
        assert_eq!(s[1].format, Format::Array);
    }

    #[test]
    fn bad_sources_are_refused_with_their_index() {
        for bad in [
            json!([{"claim": "a", "path": ["b"]}]),
            json!([{"claim": ""}]),
            json!([{"path": []}]),
            json!([{"claim": "a", "format": "csv"}]),
            json!([{"claim": "a", "prefix": 1}]),
            json!([{"claim": "a", "extra": true}]),
            json!([]),
            json!({"claim": "a"}),
        ] {
            let e = scope_sources(&bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(
            scope_sources(&json!([{"claim":"a"},{"claim":1}]))
                .unwrap_err()
                .starts_with("[1]")
        );
    }

    #[test]
    fn requirements_take_a_value_or_a_list() {
        let r = requirements(&json!({"token_use": "access", "ver": ["1.0", "2.0"]})).unwrap();
        assert_eq!(r.len(), 2);
        assert!(requirements(&json!({"token_use": 1})).is_err());
        assert!(requirements(&json!(["token_use"])).is_err());
    }
}
