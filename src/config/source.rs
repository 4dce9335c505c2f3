//! Where a document comes from: inline, a file, S3, a URL (keys and
//! permissions) or (keys only) discovery, and the AWS environment an S3
//! read signs with.

use super::names::{
    ENV_AWS_ACCESS_KEY_ID, ENV_AWS_DEFAULT_REGION, ENV_AWS_ENDPOINT_URL,
    ENV_AWS_ENDPOINT_URL_DYNAMODB, ENV_AWS_ENDPOINT_URL_S3, ENV_AWS_REGION,
    ENV_AWS_SECRET_ACCESS_KEY, ENV_AWS_SESSION_TOKEN,
};
use super::{ConfigError, Strings};
use crate::net::http::Client;
use crate::net::s3::{self, Target};

/// A document given inline or as a file path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The value itself is the JSON document (it starts with `{` or `[`).
    Inline(String),
    /// A path to read at start-up.
    File(String),
    /// An object in S3 (`s3://bucket/key`), read at start-up with the function's credentials.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
    /// A URL (https, or http on loopback): a JWKS kept fresh by the key
    /// cache, or a permissions document kept fresh by [`crate::grants`].
    Url(String),
    /// A DynamoDB table (`dynamodb://TABLE`), permissions only: an item
    /// per scope, scanned at start-up and refreshed by [`crate::grants`].
    DynamoDb {
        /// The table's name.
        table: String,
    },
    /// `discover`: OIDC discovery from the issuer finds the JWKS URL.
    Discover,
}

impl Source {
    pub(crate) fn parse(value: String) -> Source {
        let v = value.trim();
        if v == "discover" {
            return Source::Discover;
        }
        if v.starts_with("https://") || v.starts_with("http://") {
            return Source::Url(v.to_string());
        }
        if let Some(table) = v.strip_prefix("dynamodb://") {
            return Source::DynamoDb {
                table: table.to_string(),
            };
        }
        if let Some(rest) = v.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return Source::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            };
        }
        match v.as_bytes().first() {
            Some(b'{' | b'[') => Source::Inline(value),
            _ => Source::File(value),
        }
    }

    /// Reads the document; `var` names the setting in errors, `aws` gives
    /// the credentials for an S3 object, read with `client`.
    pub fn load(
        &self,
        var: &'static str,
        aws: &AwsEnvironment,
        client: &Client,
    ) -> Result<Vec<u8>, ConfigError> {
        match self {
            Source::Inline(json) => Ok(json.clone().into_bytes()),
            Source::File(path) => std::fs::read(path)
                .map_err(|e| ConfigError::new(var, format!("cannot read {path}: {e}"))),
            Source::S3 { bucket, key } => aws
                .s3_target()
                .and_then(|target| s3::get_object(client, &target, bucket, key))
                .map_err(|e| ConfigError::new(var, format!("s3://{bucket}/{key}: {e}"))),
            Source::Url(_) | Source::Discover => Err(ConfigError::new(
                var,
                "a URL or `discover` is fetched by its owner (the key cache, the permissions refresh), not loaded once",
            )),
            Source::DynamoDb { .. } => Err(ConfigError::new(
                var,
                "a DynamoDB table holds permissions only (SCOPEGATE_PERMISSIONS)",
            )),
        }
    }
}

/// The function's AWS environment, read at start (Lambda sets it): used
/// only when a document is an S3 object.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsEnvironment {
    region: Option<String>,
    endpoint: Option<String>,
    dynamodb_endpoint: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    session_token: Option<String>,
}

/// Never prints the credentials.
impl std::fmt::Debug for AwsEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsEnvironment")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("dynamodb_endpoint", &self.dynamodb_endpoint)
            .finish_non_exhaustive()
    }
}

impl AwsEnvironment {
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), the credentials, and
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB` (or
    /// `AWS_ENDPOINT_URL`) to point S3 or DynamoDB elsewhere.
    pub fn from_strings(src: &dyn Strings) -> AwsEnvironment {
        let var = |n: &str| super::parse::non_empty(src, n);
        AwsEnvironment {
            region: var(ENV_AWS_REGION).or_else(|| var(ENV_AWS_DEFAULT_REGION)),
            endpoint: var(ENV_AWS_ENDPOINT_URL_S3).or_else(|| var(ENV_AWS_ENDPOINT_URL)),
            dynamodb_endpoint: var(ENV_AWS_ENDPOINT_URL_DYNAMODB)
                .or_else(|| var(ENV_AWS_ENDPOINT_URL)),
            access_key: var(ENV_AWS_ACCESS_KEY_ID),
            secret_key: var(ENV_AWS_SECRET_ACCESS_KEY),
            session_token: var(ENV_AWS_SESSION_TOKEN),
        }
    }

    /// Where and as whom to send an S3 request.
    pub fn s3_target(&self) -> Result<Target, String> {
        self.target("s3", self.endpoint.as_deref())
    }

    /// Where and as whom to send a DynamoDB request.
    pub fn dynamodb_target(&self) -> Result<Target, String> {
        self.target("dynamodb", self.dynamodb_endpoint.as_deref())
    }

    fn target(&self, service: &str, endpoint: Option<&str>) -> Result<Target, String> {
        let region = self.region.clone().ok_or("AWS_REGION is not set")?;
        let endpoint = endpoint.map_or_else(
            || format!("https://{service}.{region}.amazonaws.com"),
            str::to_string,
        );
        Ok(Target {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            access_key: self
                .access_key
                .clone()
                .ok_or("AWS_ACCESS_KEY_ID is not set")?,
            secret_key: self
                .secret_key
                .clone()
                .ok_or("AWS_SECRET_ACCESS_KEY is not set")?,
            session_token: self.session_token.clone(),
            region,
        })
    }
}
