//! `SCOPEGATE_ISSUERS`: more trusted issuers, each with its own audiences
//! and key source. A token goes to the one its (unverified) `iss` names.

use super::names::ENV_ISSUERS;
use super::parse::list;
use super::source::Source;
use super::{ConfigError, Strings};

/// One more trusted issuer (`SCOPEGATE_ISSUERS`).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerConfig {
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// Audiences its tokens may name.
    pub audiences: Vec<String>,
    /// Where its keys come from.
    pub jwks: Source,
}

/// `[{"issuer":"https://…","audience":"api://x" | ["…"],"jwks":"discover" | URL | path | s3://…}]`.
pub(crate) fn other_issuers(
    src: &dyn Strings,
    primary: &str,
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
        if issuer == primary || out.iter().any(|o| o.issuer == issuer) {
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
        if audiences.is_empty() {
            return Err(err(format!("[{i}].audience is missing")));
        }
        if let Some(unknown) = item.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["issuer", "audience", "jwks"].contains(&k.as_str()))
        }) {
            return Err(err(format!("[{i}].{unknown} is not a known field")));
        }
        out.push(IssuerConfig {
            issuer,
            audiences,
            jwks: Source::parse(field("jwks")?),
        });
    }
    Ok(out)
}
