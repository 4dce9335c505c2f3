//! Configuration, read once at start from a string source (the environment
//! in Lambda, a map in tests and `replay`). Every variable has its name and
//! default side by side; a bad value fails start-up with an error naming it.

use crate::event::IdentitySource;
use crate::keys::JwksLimits;
use crate::scopes::PermissionLimits;
use crate::token::json::JsonLimits;
use crate::verify::Alg;
use std::collections::HashMap;
use std::fmt;

/// Where configuration values come from.
pub trait Strings {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Strings for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Strings for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl Strings for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(|s| s.to_string())
    }
}

pub const ENV_ISSUER: &str = "SCOPEGATE_ISSUER";
pub const ENV_ISSUERS: &str = "SCOPEGATE_ISSUERS";
pub const ENV_AUDIENCE: &str = "SCOPEGATE_AUDIENCE";
pub const ENV_JWKS: &str = "SCOPEGATE_JWKS";
pub const ENV_PERMISSIONS: &str = "SCOPEGATE_PERMISSIONS";
pub const ENV_ALGORITHMS: &str = "SCOPEGATE_ALGORITHMS";
pub const ENV_LEEWAY: &str = "SCOPEGATE_LEEWAY_SECONDS";
pub const DEFAULT_LEEWAY: f64 = 60.0;
pub const ENV_REQUIRE_AT_JWT: &str = "SCOPEGATE_REQUIRE_AT_JWT";
pub const ENV_IDENTITY_HEADER: &str = "SCOPEGATE_IDENTITY_HEADER";
pub const DEFAULT_IDENTITY_HEADER: &str = "Authorization";
pub const ENV_IDENTITY_QUERY: &str = "SCOPEGATE_IDENTITY_QUERY";
pub const DEFAULT_IDENTITY_QUERY: &str = "access_token";
pub const ENV_CONTEXT_CLAIMS: &str = "SCOPEGATE_CONTEXT_CLAIMS";
pub const ENV_SIMPLE_RESPONSE: &str = "SCOPEGATE_SIMPLE_RESPONSE";
pub const ENV_TOKEN_MEMO_ENTRIES: &str = "SCOPEGATE_TOKEN_MEMO_ENTRIES";
pub const DEFAULT_TOKEN_MEMO_ENTRIES: usize = 10_000;
pub const ENV_TOKEN_MEMO_MAX_SECONDS: &str = "SCOPEGATE_TOKEN_MEMO_MAX_SECONDS";
pub const DEFAULT_TOKEN_MEMO_MAX_SECONDS: f64 = 3600.0;
pub const ENV_POLICY_MEMO_ENTRIES: &str = "SCOPEGATE_POLICY_MEMO_ENTRIES";
pub const DEFAULT_POLICY_MEMO_ENTRIES: usize = 1024;
pub const ENV_MAX_TOKEN_BYTES: &str = "SCOPEGATE_MAX_TOKEN_BYTES";
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
pub const ENV_JSON_MAX_DEPTH: &str = "SCOPEGATE_JSON_MAX_DEPTH";
pub const ENV_JSON_MAX_MEMBERS: &str = "SCOPEGATE_JSON_MAX_MEMBERS";
pub const ENV_MAX_SCOPES: &str = "SCOPEGATE_MAX_SCOPES";
pub const DEFAULT_MAX_SCOPES: usize = 256;
pub const ENV_MAX_CLAIM_BYTES: &str = "SCOPEGATE_MAX_CLAIM_BYTES";
pub const DEFAULT_MAX_CLAIM_BYTES: usize = 1024;
pub const ENV_JWKS_MAX_BYTES: &str = "SCOPEGATE_JWKS_MAX_BYTES";
pub const ENV_JWKS_MAX_KEYS: &str = "SCOPEGATE_JWKS_MAX_KEYS";
pub const ENV_PERMISSIONS_MAX_BYTES: &str = "SCOPEGATE_PERMISSIONS_MAX_BYTES";
pub const ENV_PERMISSIONS_MAX_RULES: &str = "SCOPEGATE_PERMISSIONS_MAX_RULES";

/// A document given inline or as a file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The value itself is the JSON document (it starts with `{` or `[`).
    Inline(String),
    /// A path to read at start-up.
    File(String),
    /// An object in S3 (`s3://bucket/key`), read at start-up with the function's credentials.
    S3 { bucket: String, key: String },
    /// A URL (https, or http on loopback): the JWKS, kept fresh by the key cache.
    Url(String),
    /// `discover`: OIDC discovery from the issuer finds the JWKS URL.
    Discover,
}

impl Source {
    fn parse(value: String) -> Source {
        let v = value.trim();
        if v == "discover" {
            return Source::Discover;
        }
        if v.starts_with("https://") || v.starts_with("http://") {
            return Source::Url(v.to_string());
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

    /// Reads the document; `var` names the setting in errors.
    pub fn load(&self, var: &'static str) -> Result<Vec<u8>, ConfigError> {
        match self {
            Source::Inline(json) => Ok(json.clone().into_bytes()),
            Source::File(path) => std::fs::read(path)
                .map_err(|e| ConfigError::new(var, format!("cannot read {path}: {e}"))),
            Source::S3 { bucket, key } => crate::s3::get_object(bucket, key)
                .map_err(|e| ConfigError::new(var, format!("s3://{bucket}/{key}: {e}"))),
            Source::Url(_) | Source::Discover => Err(ConfigError::new(
                var,
                "a URL or `discover` is a key source (SCOPEGATE_JWKS only)",
            )),
        }
    }
}

/// Everything the authorizer needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SCOPEGATE_ISSUER`: the exact `iss` to accept. Required.
    pub issuer: String,
    /// `SCOPEGATE_AUDIENCE`: accepted audiences, comma-separated. Required.
    pub audiences: Vec<String>,
    /// `SCOPEGATE_JWKS`: the key set, inline JSON or a file path. Required.
    pub jwks: Source,
    /// `SCOPEGATE_PERMISSIONS`: the permissions document, inline JSON or a file path. Required.
    pub permissions: Source,
    /// `SCOPEGATE_ALGORITHMS`: allowed `alg` values, comma-separated. Defaults to all nine asymmetric ones.
    pub algorithms: Vec<Alg>,
    /// `SCOPEGATE_LEEWAY_SECONDS`: clock skew on `exp`/`nbf`/`iat`. Defaults to `60`.
    pub leeway: f64,
    /// `SCOPEGATE_REQUIRE_AT_JWT`: require `typ: at+jwt`. Defaults to `false`.
    pub require_at_jwt: bool,
    /// `SCOPEGATE_IDENTITY_HEADER` / `SCOPEGATE_IDENTITY_QUERY` (empty disables the query fallback).
    /// Default to `Authorization` and `access_token`.
    pub identity: IdentitySource,
    /// `SCOPEGATE_CONTEXT_CLAIMS`: extra scalar claims copied to the context. Defaults to none.
    pub context_claims: Vec<String>,
    /// `SCOPEGATE_SIMPLE_RESPONSE`: answer HTTP API 2.0 events with `{"isAuthorized"}`. Defaults to `false`.
    pub simple_response: bool,
    /// `SCOPEGATE_TOKEN_MEMO_ENTRIES`: verified-token memo size, 0 disables it. Defaults to `10000`.
    pub token_memo_entries: usize,
    /// `SCOPEGATE_TOKEN_MEMO_MAX_SECONDS`: longest a memo entry may answer. Defaults to `3600`.
    pub token_memo_max_seconds: f64,
    /// `SCOPEGATE_POLICY_MEMO_ENTRIES`: rendered policies kept. Defaults to `1024`.
    pub policy_memo_entries: usize,
    /// `SCOPEGATE_MAX_TOKEN_BYTES`: larger tokens fail before decoding. Defaults to `8192`.
    pub max_token_bytes: usize,
    /// `SCOPEGATE_JSON_MAX_DEPTH` / `SCOPEGATE_JSON_MAX_MEMBERS`. Default to `16` and `128`.
    pub json_limits: JsonLimits,
    /// `SCOPEGATE_MAX_SCOPES`: most scopes a token may list. Defaults to `256`.
    pub max_scopes: usize,
    /// `SCOPEGATE_MAX_CLAIM_BYTES`: longest `sub`, `client_id`, scope or context value. Defaults to `1024`.
    pub max_claim_bytes: usize,
    /// `SCOPEGATE_JWKS_MAX_BYTES` / `SCOPEGATE_JWKS_MAX_KEYS`. Default to `262144` and `64`.
    pub jwks_limits: JwksLimits,
    /// `SCOPEGATE_PERMISSIONS_MAX_BYTES` / `SCOPEGATE_PERMISSIONS_MAX_RULES`. Default to `1048576` and `10000`.
    pub permission_limits: PermissionLimits,
    /// The remote key cache (`SCOPEGATE_JWKS_*_SECONDS`, `SCOPEGATE_HTTP_*`).
    pub key_cache: crate::jwks::CacheSettings,
    /// `SCOPEGATE_MODE` and the introspection settings; `None` for `jwt`.
    pub introspection: Option<crate::introspect::Settings>,
    /// `SCOPEGATE_ISSUERS`: more issuers, each with its own audiences and
    /// key source, as a JSON array. A token goes to the one its `iss` names.
    pub other_issuers: Vec<IssuerConfig>,
}

/// One more trusted issuer (`SCOPEGATE_ISSUERS`).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub jwks: Source,
}

/// `[{"issuer":"https://…","audience":"api://x" | ["…"],"jwks":"discover" | URL | path | s3://…}]`.
fn other_issuers(src: &dyn Strings, primary: &str) -> Result<Vec<IssuerConfig>, ConfigError> {
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

/// A setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            var,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn required(src: &dyn Strings, var: &'static str) -> Result<String, ConfigError> {
    match src.get(var) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::new(var, "is required")),
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn number<T: std::str::FromStr>(
    src: &dyn Strings,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match src.get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(var, format!("`{v}` is not a valid number"))),
    }
}

fn flag(src: &dyn Strings, var: &'static str) -> Result<bool, ConfigError> {
    match src.get(var).as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(v) => Err(ConfigError::new(var, format!("`{v}` is not true/false"))),
    }
}

fn at_least<T: PartialOrd + fmt::Display>(
    var: &'static str,
    value: T,
    min: T,
) -> Result<T, ConfigError> {
    if value < min {
        Err(ConfigError::new(var, format!("must be at least {min}")))
    } else {
        Ok(value)
    }
}

impl Config {
    pub fn from_strings(src: &dyn Strings) -> Result<Config, ConfigError> {
        let issuer = required(src, ENV_ISSUER)?;
        let other_issuers = other_issuers(src, &issuer)?;
        let audiences = list(&required(src, ENV_AUDIENCE)?);
        if audiences.is_empty() {
            return Err(ConfigError::new(ENV_AUDIENCE, "names no audience"));
        }
        let algorithms = match src.get(ENV_ALGORITHMS) {
            None => Alg::DEFAULT_ALLOWED.to_vec(),
            Some(v) => {
                let mut algs = Vec::new();
                for name in list(&v) {
                    let alg = Alg::from_name(&name).ok_or_else(|| {
                        ConfigError::new(ENV_ALGORITHMS, format!("`{name}` is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"))
                    })?;
                    if !algs.contains(&alg) {
                        algs.push(alg);
                    }
                }
                if algs.is_empty() {
                    return Err(ConfigError::new(ENV_ALGORITHMS, "allows no algorithm"));
                }
                algs
            }
        };
        let leeway: f64 = number(src, ENV_LEEWAY, DEFAULT_LEEWAY)?;
        if !(0.0..=86_400.0).contains(&leeway) {
            return Err(ConfigError::new(
                ENV_LEEWAY,
                "must be between 0 and 86400 seconds",
            ));
        }
        let header = src
            .get(ENV_IDENTITY_HEADER)
            .unwrap_or_else(|| DEFAULT_IDENTITY_HEADER.into());
        if header.is_empty()
            || !header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::new(
                ENV_IDENTITY_HEADER,
                "must be a header name",
            ));
        }
        let query = src
            .get(ENV_IDENTITY_QUERY)
            .unwrap_or_else(|| DEFAULT_IDENTITY_QUERY.into());
        let context_claims = list(&src.get(ENV_CONTEXT_CLAIMS).unwrap_or_default());
        if let Some(reserved) = context_claims
            .iter()
            .find(|c| matches!(c.as_str(), "sub" | "scope" | "client_id"))
        {
            return Err(ConfigError::new(
                ENV_CONTEXT_CLAIMS,
                format!("`{reserved}` is always in the context; remove it"),
            ));
        }
        let token_memo_max_seconds: f64 = number(
            src,
            ENV_TOKEN_MEMO_MAX_SECONDS,
            DEFAULT_TOKEN_MEMO_MAX_SECONDS,
        )?;
        if !(token_memo_max_seconds >= 0.0 && token_memo_max_seconds.is_finite()) {
            return Err(ConfigError::new(
                ENV_TOKEN_MEMO_MAX_SECONDS,
                "must be a non-negative number of seconds",
            ));
        }
        let json_defaults = JsonLimits::default();
        let jwks_defaults = JwksLimits::default();
        let perm_defaults = PermissionLimits::default();
        Ok(Config {
            issuer,
            audiences,
            key_cache: crate::jwks::CacheSettings::from_strings(src)?,
            introspection: crate::introspect::Settings::from_strings(src)?,
            other_issuers,
            jwks: Source::parse(required(src, ENV_JWKS)?),
            permissions: Source::parse(required(src, ENV_PERMISSIONS)?),
            algorithms,
            leeway,
            require_at_jwt: flag(src, ENV_REQUIRE_AT_JWT)?,
            identity: IdentitySource {
                header,
                query: if query.is_empty() { None } else { Some(query) },
            },
            context_claims,
            simple_response: flag(src, ENV_SIMPLE_RESPONSE)?,
            token_memo_entries: number(src, ENV_TOKEN_MEMO_ENTRIES, DEFAULT_TOKEN_MEMO_ENTRIES)?,
            token_memo_max_seconds,
            policy_memo_entries: at_least(
                ENV_POLICY_MEMO_ENTRIES,
                number(src, ENV_POLICY_MEMO_ENTRIES, DEFAULT_POLICY_MEMO_ENTRIES)?,
                1,
            )?,
            max_token_bytes: at_least(
                ENV_MAX_TOKEN_BYTES,
                number(src, ENV_MAX_TOKEN_BYTES, DEFAULT_MAX_TOKEN_BYTES)?,
                16,
            )?,
            json_limits: JsonLimits {
                max_depth: at_least(
                    ENV_JSON_MAX_DEPTH,
                    number(src, ENV_JSON_MAX_DEPTH, json_defaults.max_depth)?,
                    2,
                )?,
                max_members: at_least(
                    ENV_JSON_MAX_MEMBERS,
                    number(src, ENV_JSON_MAX_MEMBERS, json_defaults.max_members)?,
                    8,
                )?,
            },
            max_scopes: at_least(
                ENV_MAX_SCOPES,
                number(src, ENV_MAX_SCOPES, DEFAULT_MAX_SCOPES)?,
                1,
            )?,
            max_claim_bytes: at_least(
                ENV_MAX_CLAIM_BYTES,
                number(src, ENV_MAX_CLAIM_BYTES, DEFAULT_MAX_CLAIM_BYTES)?,
                16,
            )?,
            jwks_limits: JwksLimits {
                max_bytes: at_least(
                    ENV_JWKS_MAX_BYTES,
                    number(src, ENV_JWKS_MAX_BYTES, jwks_defaults.max_bytes)?,
                    64,
                )?,
                max_keys: at_least(
                    ENV_JWKS_MAX_KEYS,
                    number(src, ENV_JWKS_MAX_KEYS, jwks_defaults.max_keys)?,
                    1,
                )?,
            },
            permission_limits: PermissionLimits {
                max_bytes: at_least(
                    ENV_PERMISSIONS_MAX_BYTES,
                    number(src, ENV_PERMISSIONS_MAX_BYTES, perm_defaults.max_bytes)?,
                    2,
                )?,
                max_rules: at_least(
                    ENV_PERMISSIONS_MAX_RULES,
                    number(src, ENV_PERMISSIONS_MAX_RULES, perm_defaults.max_rules)?,
                    1,
                )?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (ENV_ISSUER, "https://idp.example.com"),
            (ENV_AUDIENCE, "api://a, api://b"),
            (ENV_JWKS, r#"{"keys":[]}"#),
            (ENV_PERMISSIONS, "/etc/permissions.json"),
        ])
    }

    #[test]
    fn defaults_apply_when_only_required_settings_are_given() {
        let c = Config::from_strings(&base()).unwrap();
        assert_eq!(c.audiences, ["api://a", "api://b"]);
        assert_eq!(c.algorithms, Alg::DEFAULT_ALLOWED);
        assert_eq!(c.leeway, 60.0);
        assert_eq!(c.max_token_bytes, 8192);
        assert_eq!(c.token_memo_entries, 10_000);
        assert_eq!(c.identity, IdentitySource::default());
        assert!(matches!(c.jwks, Source::Inline(_)));
        assert_eq!(c.permissions, Source::File("/etc/permissions.json".into()));
    }

    #[test]
    fn missing_required_settings_are_named() {
        for var in [ENV_ISSUER, ENV_AUDIENCE, ENV_JWKS, ENV_PERMISSIONS] {
            let mut m = base();
            m.remove(var);
            assert_eq!(Config::from_strings(&m).unwrap_err().var, var);
        }
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (var, value) in [
            (ENV_ALGORITHMS, "RS256,HS256"),
            (ENV_ALGORITHMS, "none"),
            (ENV_LEEWAY, "soon"),
            (ENV_LEEWAY, "-1"),
            (ENV_MAX_TOKEN_BYTES, "0"),
            (ENV_SIMPLE_RESPONSE, "yes please"),
            (ENV_IDENTITY_HEADER, "Auth orization"),
            (ENV_CONTEXT_CLAIMS, "tenant,sub"),
            (ENV_TOKEN_MEMO_MAX_SECONDS, "-5"),
        ] {
            let mut m = base();
            m.insert(var, value);
            let err = Config::from_strings(&m).unwrap_err();
            assert_eq!(err.var, var, "{value}: {err}");
        }
    }

    #[test]
    fn an_empty_query_name_disables_the_query_fallback() {
        let mut m = base();
        m.insert(ENV_IDENTITY_QUERY, "");
        assert_eq!(Config::from_strings(&m).unwrap().identity.query, None);
    }
}
