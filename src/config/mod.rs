//! Configuration, read once at start from a string source (the environment
//! in Lambda, a map in tests and `replay`): the only module that names an
//! environment variable ([`names`]). Every value goes through one set of
//! parsers (`parse`) and a bad one fails start-up with a [`ConfigError`]
//! naming the variable.
//! - [`source`]: where documents come from (inline, file, S3, URL, discovery);
//! - [`issuers`]: the `SCOPEGATE_ISSUERS` list;
//! - [`remote`]: the key cache, the HTTP client, introspection;
//! - [`telemetry`]: metrics, logs and traces.

pub mod cedar;
mod error;
pub mod issuers;
mod mapping;
pub mod names;
mod parse;
pub mod remote;
pub mod source;
mod strings;
pub mod telemetry;

pub use cedar::CedarSettings;
pub use error::ConfigError;
pub use issuers::IssuerConfig;
pub use names::*;
pub use source::{AwsEnvironment, Source};
pub use strings::{Env, Strings};
pub use telemetry::telemetry as telemetry_settings;

use crate::codec::json::JsonLimits;
use crate::event::IdentitySource;
use crate::jose::Alg;
use crate::keys::JwksLimits;
use crate::keys::remote::CacheSettings;
use crate::policy::{self, Overflow};
use crate::scopes::PermissionLimits;
use crate::verify::introspect;
use parse::{at_least, choice, flag, list, number, required};
use std::borrow::Cow;

/// Everything the authorizer needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The primary issuer: `SCOPEGATE_ISSUER`, `SCOPEGATE_AUDIENCE`,
    /// `SCOPEGATE_JWKS` and its mapping variables (`SCOPEGATE_SCOPE_SOURCES`,
    /// …), or, without `SCOPEGATE_ISSUER`, the first `SCOPEGATE_ISSUERS` entry.
    /// It also judges introspection answers.
    pub primary: IssuerConfig,
    /// `SCOPEGATE_PERMISSIONS`: the permissions document: inline JSON, a file
    /// path, `s3://bucket/key` or an https URL (the last two refreshed). Required.
    pub permissions: Source,
    /// `SCOPEGATE_CEDAR_SCHEMA` and `SCOPEGATE_CEDAR_API`, when
    /// `SCOPEGATE_PERMISSIONS` names a Cedar policy store.
    pub cedar: Option<CedarSettings>,
    /// `SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS` / `_MAX_STALE_SECONDS` /
    /// `_WHEN_STALE`: how a remote document is refreshed. Default to `300`,
    /// `86400` and `unauthorized`.
    pub permissions_refresh: crate::grants::RefreshSettings,
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
    /// `SCOPEGATE_MEMO_MAX_BYTES`: the bytes the verified-token memo (three
    /// quarters) and the policy memo (one quarter) may hold. Defaults to a
    /// quarter of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (32 MiB of 128 MB), or
    /// 64 MiB off Lambda.
    pub memo_max_bytes: u64,
    /// `SCOPEGATE_POLICY_MAX_BYTES`: no policy document answered is longer.
    /// Defaults to `8192` (at least `2048`).
    pub policy_max_bytes: usize,
    /// `SCOPEGATE_POLICY_OVERFLOW`: `route` or `unauthorized` for a token
    /// whose policy is over the budget. Defaults to `route`.
    pub policy_overflow: Overflow,
    /// `SCOPEGATE_ROUTES`: the API's routes (inline JSON, a file, S3 or an
    /// https URL), read at start. Defaults to none.
    pub routes: Option<Source>,
    /// `SCOPEGATE_MAX_TOKEN_BYTES`: larger tokens fail before decoding. Defaults to `8192`.
    pub max_token_bytes: usize,
    /// `SCOPEGATE_JSON_MAX_DEPTH` / `SCOPEGATE_JSON_MAX_MEMBERS` /
    /// `SCOPEGATE_JSON_MAX_ELEMENTS`. Default to `16`, `128` and `256`.
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
    pub key_cache: CacheSettings,
    /// `SCOPEGATE_MODE` and the introspection settings; `None` for `jwt`.
    pub introspection: Option<introspect::Settings>,
    /// The function's AWS environment, for `s3://` documents.
    pub aws: AwsEnvironment,
    /// `SCOPEGATE_ISSUERS` (less the primary, when it is the first entry):
    /// more issuers, each with its own audiences, key source and mapping.
    /// A token goes to the one its `iss` names.
    pub other_issuers: Vec<IssuerConfig>,
}

impl Config {
    /// The function's one HTTP client (`SCOPEGATE_HTTP_TIMEOUT_MS`,
    /// `SCOPEGATE_HTTP_MAX_BYTES`): build it once and share it.
    pub fn http_client(&self) -> crate::net::http::Client {
        crate::net::http::Client::new(self.key_cache.timeout_ms, self.key_cache.max_bytes)
    }

    /// Reads and checks every setting; the first bad one is the error.
    pub fn from_strings(src: &dyn Strings) -> Result<Config, ConfigError> {
        refuse_unknown_names(src)?;
        let named = src.get(ENV_ISSUER).filter(|v| !v.trim().is_empty());
        let mut other_issuers = issuers::issuers(src, named.as_deref())?;
        let primary = match named {
            Some(issuer) => {
                let mapping = mapping::primary(src)?;
                let audiences = match src.get(ENV_AUDIENCE) {
                    Some(v) => list(&v),
                    None if mapping.client_ids.is_empty() => {
                        return Err(ConfigError::new(ENV_AUDIENCE, "is required"));
                    }
                    None => Vec::new(),
                };
                if audiences.is_empty() && mapping.client_ids.is_empty() {
                    return Err(ConfigError::new(
                        ENV_AUDIENCE,
                        "names no audience (it may be empty only when SCOPEGATE_CLIENT_IDS is set)",
                    ));
                }
                IssuerConfig {
                    issuer,
                    audiences,
                    jwks: Source::parse(required(src, ENV_JWKS)?),
                    jwks_var: ENV_JWKS,
                    mapping,
                    require_at_jwt: None,
                }
            }
            None if !other_issuers.is_empty() => other_issuers.remove(0),
            None => {
                return Err(ConfigError::new(
                    ENV_ISSUER,
                    "is required (or list every issuer in SCOPEGATE_ISSUERS)",
                ));
            }
        };
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
        let permissions = required(src, ENV_PERMISSIONS)?;
        let json_defaults = JsonLimits::default();
        let jwks_defaults = JwksLimits::default();
        let perm_defaults = PermissionLimits::default();
        Ok(Config {
            primary,
            key_cache: remote::key_cache(src)?,
            permissions_refresh: remote::permissions_refresh(src)?,
            introspection: remote::introspection(src)?,
            aws: AwsEnvironment::from_strings(src),
            other_issuers,
            cedar: cedar::cedar_settings(src, &permissions)?,
            permissions: Source::parse(permissions),
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
            memo_max_bytes: at_least(
                ENV_MEMO_MAX_BYTES,
                number(src, ENV_MEMO_MAX_BYTES, default_memo_bytes(src))?,
                1 << 20,
            )?,
            policy_max_bytes: at_least(
                ENV_POLICY_MAX_BYTES,
                number(src, ENV_POLICY_MAX_BYTES, policy::DEFAULT_MAX_BYTES)?,
                policy::MIN_MAX_BYTES,
            )?,
            policy_overflow: choice(
                src,
                ENV_POLICY_OVERFLOW,
                Overflow::Route,
                &[
                    ("route", Overflow::Route),
                    ("unauthorized", Overflow::Unauthorized),
                ],
            )?,
            routes: parse::non_empty(src, ENV_ROUTES).map(Source::parse),
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
                max_elements: at_least(
                    ENV_JSON_MAX_ELEMENTS,
                    number(src, ENV_JSON_MAX_ELEMENTS, json_defaults.max_elements)?,
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

/// A quarter of the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
/// MB), or [`DEFAULT_MEMO_MAX_BYTES`] off Lambda.
/// An unknown `SCOPEGATE_*` name stops the start, naming the closest known
/// one: a misspelt security setting must not be silently not enforced.
fn refuse_unknown_names(src: &dyn Strings) -> Result<(), ConfigError> {
    let mut names = src.names();
    // The first in order, so that the error is the same on every start.
    names.sort_unstable();
    match unknown_setting(names.iter().map(String::as_str)) {
        None => Ok(()),
        Some((unknown, closest)) => Err(ConfigError {
            var: Cow::Owned(crate::codec::terminal::shown(unknown).into_owned()),
            message: format!("is not a scopegate setting; did you mean {closest}?"),
        }),
    }
}

fn default_memo_bytes(src: &dyn Strings) -> u64 {
    src.get(ENV_AWS_FUNCTION_MEMORY)
        .and_then(|mb| mb.trim().parse::<u64>().ok())
        .map_or(DEFAULT_MEMO_MAX_BYTES, |mb| (mb << 20) / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_memo_byte_bound_follows_the_function_memory() {
        let mut m = base();
        assert_eq!(Config::from_strings(&m).unwrap().memo_max_bytes, 64 << 20);
        m.insert(ENV_AWS_FUNCTION_MEMORY, "128");
        assert_eq!(Config::from_strings(&m).unwrap().memo_max_bytes, 32 << 20);
        m.insert(ENV_MEMO_MAX_BYTES, "4194304");
        assert_eq!(Config::from_strings(&m).unwrap().memo_max_bytes, 4 << 20);
        m.insert(ENV_MEMO_MAX_BYTES, "1000");
        assert_eq!(
            Config::from_strings(&m).unwrap_err().var,
            ENV_MEMO_MAX_BYTES
        );
    }

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
        assert_eq!(c.primary.audiences, ["api://a", "api://b"]);
        assert_eq!(c.algorithms, Alg::DEFAULT_ALLOWED);
        assert_eq!(c.leeway, 60.0);
        assert_eq!(c.max_token_bytes, 8192);
        assert_eq!(c.token_memo_entries, 10_000);
        assert_eq!(c.identity, IdentitySource::default());
        assert!(matches!(c.primary.jwks, Source::Inline(_)));
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
            (ENV_POLICY_MAX_BYTES, "100"),
            (ENV_POLICY_OVERFLOW, "truncate"),
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
