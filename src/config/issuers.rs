//! `SCOPEGATE_ISSUERS`: trusted issuers, each with its own audiences, key
//! source and claim mapping (contract §3a). A token goes to the one its
//! (unverified) `iss` names. Without `SCOPEGATE_ISSUER`, the first entry
//! is the primary issuer and the list alone is a complete configuration.

use super::mapping;
use super::names::ENV_ISSUERS;
use super::parse::list;
use super::source::Source;
use super::{ConfigError, Strings};
use crate::verify::mapping::Mapping;

/// One more trusted issuer (`SCOPEGATE_ISSUERS`).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerConfig {
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// Audiences its tokens may name.
    pub audiences: Vec<String>,
    /// Where its keys come from.
    pub jwks: Source,
    /// The setting a key-source error names (`SCOPEGATE_JWKS` or `SCOPEGATE_ISSUERS`).
    pub jwks_var: &'static str,
    /// How its tokens map to subject, client and scopes, and what they must say.
    pub mapping: Mapping,
    /// `require_at_jwt`: its tokens must have `typ` `at+jwt`; `None` keeps
    /// `SCOPEGATE_REQUIRE_AT_JWT`.
    pub require_at_jwt: Option<bool>,
}

/// The members an entry may have.
const MEMBERS: [&str; 11] = [
    "issuer",
    "audience",
    "jwks",
    "scopes",
    "client_ids",
    "subject_claims",
    "client_id_claims",
    "require",
    "require_at_jwt",
    "introspection_token_types",
    "introspection_token_type_optional",
];

/// `[{"issuer":"https://…","audience":"api://x" | ["…"],"jwks":"discover" | URL | path | s3://…, …}]`;
/// `primary` is the `SCOPEGATE_ISSUER`, if set (no entry may repeat it).
pub(crate) fn issuers(
    src: &dyn Strings,
    primary: Option<&str>,
) -> Result<Vec<IssuerConfig>, ConfigError> {
    let Some(text) = src.get(ENV_ISSUERS).filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let err = |m: String| ConfigError::new(ENV_ISSUERS, m);
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| err(format!("not a JSON array: {e}")))?;
    let mut out: Vec<IssuerConfig> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| {
            item[name]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| err(format!("[{i}].{name} is missing or not a string")))
        };
        let issuer = field("issuer")?;
        if Some(issuer.as_str()) == primary || out.iter().any(|o| o.issuer == issuer) {
            return Err(err(format!("[{i}].issuer `{issuer}` is listed twice")));
        }
        let audiences = match &item["audience"] {
            serde_json::Value::String(a) => list(a),
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let Some(entry) = item.as_object() else {
            return Err(err(format!("[{i}] is not an object")));
        };
        if let Some(unknown) = entry.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(err(format!("[{i}].{unknown} is not a known field")));
        }
        let mapping = mapping::from_entry(entry).map_err(|e| err(format!("[{i}]{e}")))?;
        if audiences.is_empty() && mapping.client_ids.is_empty() {
            return Err(err(format!(
                "[{i}].audience is missing (it may be empty only when client_ids is not)"
            )));
        }
        let require_at_jwt = match entry.get("require_at_jwt") {
            None => None,
            Some(serde_json::Value::Bool(b)) => Some(*b),
            Some(_) => return Err(err(format!("[{i}].require_at_jwt is true or false"))),
        };
        out.push(IssuerConfig {
            issuer,
            audiences,
            jwks: match &entry.get("jwks") {
                // The JWKS itself, as a JSON object.
                Some(doc @ serde_json::Value::Object(_)) => Source::Inline(doc.to_string()),
                _ => Source::parse(field("jwks")?),
            },
            jwks_var: ENV_ISSUERS,
            mapping,
            require_at_jwt,
        });
    }
    Ok(out)
}
