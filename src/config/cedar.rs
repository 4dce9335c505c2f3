//! `SCOPEGATE_CEDAR_SCHEMA` and `SCOPEGATE_CEDAR_API`: what a Cedar policy
//! store named by `SCOPEGATE_PERMISSIONS` is compiled with.

use super::names::{ENV_CEDAR_API, ENV_CEDAR_SCHEMA, ENV_PERMISSIONS};
use super::source::Source;
use super::{ConfigError, Strings};
use crate::cedar::Api;

/// A Cedar store's schema and the API stage its routes belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedarSettings {
    /// `SCOPEGATE_CEDAR_SCHEMA`: the schema (Cedar text or JSON, as
    /// Verified Permissions exports it): a file, inline JSON or `s3://`.
    pub schema: Source,
    /// `SCOPEGATE_CEDAR_API`: `arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE`.
    pub api: Api,
}

/// The settings when `permissions` names a Cedar store (both required);
/// either given without one is refused.
pub(crate) fn cedar_settings(
    src: &dyn Strings,
    permissions: &str,
) -> Result<Option<CedarSettings>, ConfigError> {
    // Empty is unset (a template passes its optional parameters through).
    let schema = src.get(ENV_CEDAR_SCHEMA).filter(|v| !v.trim().is_empty());
    let api = src.get(ENV_CEDAR_API).filter(|v| !v.trim().is_empty());
    if !crate::cedar::load::is_store(permissions) {
        if let Some(var) = [(ENV_CEDAR_SCHEMA, &schema), (ENV_CEDAR_API, &api)]
            .into_iter()
            .find_map(|(var, value)| value.as_ref().map(|_| var))
        {
            return Err(ConfigError::new(
                var,
                format!(
                    "is set, but {ENV_PERMISSIONS} names no Cedar policy store (a directory, or a file or object ending in .cedar)"
                ),
            ));
        }
        return Ok(None);
    }
    let need = |var: &'static str, value: Option<String>| {
        value.ok_or_else(|| {
            ConfigError::new(
                var,
                format!("is required when {ENV_PERMISSIONS} names a Cedar policy store"),
            )
        })
    };
    let schema = Source::parse(need(ENV_CEDAR_SCHEMA, schema)?);
    let api = Api::parse(need(ENV_CEDAR_API, api)?.trim())
        .map_err(|e| ConfigError::new(ENV_CEDAR_API, e))?;
    Ok(Some(CedarSettings { schema, api }))
}
