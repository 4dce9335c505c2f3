//! Where a refreshed permissions document comes from (S3, a URL, a
//! DynamoDB table) and how its bytes are read (JSON rules or a Cedar store).

use crate::net::s3::Target;
use crate::scopes::{self, PermissionLimits, ScopeTable};
#[cfg(feature = "cedar")]
use std::sync::Arc;

/// Where a refreshed document comes from.
#[derive(Debug, Clone)]
pub enum Remote {
    /// An S3 object, read with the function's credentials.
    S3 {
        /// Credentials and endpoint.
        target: Target,
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
    /// An https URL (http on loopback).
    Url(String),
    /// A DynamoDB table, an item per scope ([`crate::scopes::items`]).
    DynamoDb {
        /// Credentials and endpoint.
        target: Target,
        /// The table.
        table: String,
    },
}

impl Remote {
    /// The last segment of the object's key or the URL's path (no query;
    /// `policies` when empty): what names a Cedar store's policies in its errors.
    pub fn file_name(&self) -> &str {
        let path = match self {
            Remote::S3 { key, .. } => key.as_str(),
            Remote::Url(url) => url.split(['?', '#']).next().unwrap_or(url),
            Remote::DynamoDb { table, .. } => table.as_str(),
        };
        match path.rsplit('/').next() {
            Some(name) if !name.is_empty() => name,
            _ => "policies",
        }
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Remote::S3 { bucket, key, .. } => write!(f, "s3://{bucket}/{key}"),
            Remote::Url(url) => write!(f, "{}", crate::net::http::Redacted(url)),
            Remote::DynamoDb { table, .. } => write!(f, "dynamodb://{table}"),
        }
    }
}

/// How a fetched document is read.
#[derive(Debug, Clone, Default)]
pub enum Format {
    /// The JSON rules of contract §4.
    #[default]
    Rules,
    /// A Cedar policy set (one text) with its schema and API ([`crate::cedar`]).
    #[cfg(feature = "cedar")]
    Cedar {
        /// The schema's text.
        schema: Arc<str>,
        /// The API stage its routes belong to.
        api: crate::cedar::Api,
    },
}

impl Format {
    /// Reads `body`, fetched from `remote`, into a table.
    #[cfg_attr(not(feature = "cedar"), allow(unused_variables))]
    pub(super) fn compile(
        &self,
        remote: &Remote,
        body: &[u8],
        limits: PermissionLimits,
    ) -> Result<ScopeTable, String> {
        match self {
            Format::Rules => scopes::parse_rules(body, limits)
                .map(|rules| ScopeTable::compile(&rules))
                .map_err(|e| e.to_string()),
            #[cfg(feature = "cedar")]
            Format::Cedar { schema, api } => {
                let text = std::str::from_utf8(body).map_err(|_| "not UTF-8 text".to_string())?;
                let file = crate::cedar::PolicyFile {
                    name: remote.file_name().trim_end_matches(".cedar").to_string(),
                    text: text.to_string(),
                };
                crate::cedar::compile(&[file], schema, api, limits)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_is_named_by_its_last_path_segment_without_the_query() {
        let url = |u: &str| Remote::Url(u.to_string());
        assert_eq!(
            url("https://cdn.example/store/pets.cedar?X-Amz-Signature=secret").file_name(),
            "pets.cedar"
        );
        assert_eq!(url("https://cdn.example/store/").file_name(), "policies");
        assert_eq!(
            url("https://cdn.example/a.cedar#frag").file_name(),
            "a.cedar"
        );
    }
}
