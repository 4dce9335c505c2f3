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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";

    fn settings(
        pairs: &[(&str, &str)],
        permissions: &str,
    ) -> Result<Option<CedarSettings>, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        cedar_settings(&map, permissions).map_err(|e| e.to_string())
    }

    #[test]
    fn a_store_needs_both_and_a_document_takes_neither() {
        let store = "s3://bucket/store.cedar";
        let both = [(ENV_CEDAR_SCHEMA, "/s.json"), (ENV_CEDAR_API, API)];
        let got = settings(&both, store).unwrap().unwrap();
        assert_eq!(got.schema, Source::File("/s.json".into()));
        let e = settings(&both[..1], store).unwrap_err();
        assert!(
            e.contains(ENV_CEDAR_API) && e.contains("is required"),
            "{e}"
        );
        let e = settings(&both[1..], store).unwrap_err();
        assert!(e.contains(ENV_CEDAR_SCHEMA), "{e}");
        let e = settings(&both, "/etc/permissions.json").unwrap_err();
        assert!(e.contains("names no Cedar policy store"), "{e}");
        let e = settings(
            &[
                (ENV_CEDAR_SCHEMA, "/s.json"),
                (
                    ENV_CEDAR_API,
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
                ),
            ],
            store,
        )
        .unwrap_err();
        assert!(
            e.contains(ENV_CEDAR_API) && e.contains("literal stage"),
            "{e}"
        );
    }

    #[test]
    fn empty_values_are_unset_as_a_template_passes_them() {
        let empty = [(ENV_CEDAR_SCHEMA, ""), (ENV_CEDAR_API, " ")];
        assert_eq!(settings(&empty, "/etc/permissions.json"), Ok(None));
    }
}
