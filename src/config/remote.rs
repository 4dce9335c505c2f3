//! Settings of what scopegate asks the IdP for: the remote key cache and
//! the HTTP client (`SCOPEGATE_JWKS_*`, `SCOPEGATE_HTTP_*`), and RFC 7662
//! introspection (`SCOPEGATE_MODE`, `SCOPEGATE_INTROSPECTION_*`).

use super::names::{
    ENV_HTTP_MAX_BYTES, ENV_HTTP_TIMEOUT_MS, ENV_INTROSPECTION_CACHE_ENTRIES,
    ENV_INTROSPECTION_CACHE_SECONDS, ENV_INTROSPECTION_CLIENT_ID, ENV_INTROSPECTION_CLIENT_SECRET,
    ENV_INTROSPECTION_URL, ENV_JWKS_COOLDOWN, ENV_JWKS_MAX_AGE, ENV_JWKS_MAX_STALE, ENV_MODE,
    ENV_PERMISSIONS_MAX_AGE, ENV_PERMISSIONS_MAX_STALE, ENV_PERMISSIONS_WHEN_STALE,
};
use super::parse::{choice, non_empty, number, positive, seconds};
use super::{ConfigError, Strings};
use crate::grants::{self, RefreshSettings, WhenStale};
use crate::keys::remote::{CacheSettings, DEFAULT_COOLDOWN, DEFAULT_MAX_AGE, DEFAULT_MAX_STALE};
use crate::net::http;
use crate::verify::introspect::{DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_SECONDS, Mode, Settings};

/// The key cache and HTTP client settings.
pub(crate) fn key_cache(src: &dyn Strings) -> Result<CacheSettings, ConfigError> {
    let s = CacheSettings {
        cooldown: seconds(src, ENV_JWKS_COOLDOWN, DEFAULT_COOLDOWN)?,
        max_age: seconds(src, ENV_JWKS_MAX_AGE, DEFAULT_MAX_AGE)?,
        max_stale: seconds(src, ENV_JWKS_MAX_STALE, DEFAULT_MAX_STALE)?,
        timeout_ms: positive(src, ENV_HTTP_TIMEOUT_MS, http::DEFAULT_TIMEOUT_MS)?,
        max_bytes: positive(src, ENV_HTTP_MAX_BYTES, http::DEFAULT_MAX_BYTES)?,
    };
    if s.max_stale < s.max_age {
        return Err(ConfigError::new(
            ENV_JWKS_MAX_STALE,
            "must be at least SCOPEGATE_JWKS_MAX_AGE_SECONDS",
        ));
    }
    Ok(s)
}

/// How a remote permissions document is refreshed.
pub(crate) fn permissions_refresh(src: &dyn Strings) -> Result<RefreshSettings, ConfigError> {
    let s = RefreshSettings {
        max_age: seconds(src, ENV_PERMISSIONS_MAX_AGE, grants::DEFAULT_MAX_AGE)?,
        max_stale: seconds(src, ENV_PERMISSIONS_MAX_STALE, grants::DEFAULT_MAX_STALE)?,
        when_stale: choice(
            src,
            ENV_PERMISSIONS_WHEN_STALE,
            WhenStale::Unauthorized,
            &[
                ("unauthorized", WhenStale::Unauthorized),
                ("deny", WhenStale::Deny),
            ],
        )?,
    };
    if s.max_stale < s.max_age {
        return Err(ConfigError::new(
            ENV_PERMISSIONS_MAX_STALE,
            "must be at least SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS",
        ));
    }
    Ok(s)
}

/// Introspection settings; `None` in mode `jwt` (the default).
pub(crate) fn introspection(src: &dyn Strings) -> Result<Option<Settings>, ConfigError> {
    let modes = [
        ("jwt", None),
        ("introspect", Some(Mode::Introspect)),
        ("jwt+introspect", Some(Mode::JwtIntrospect)),
    ];
    let Some(mode) = choice(src, ENV_MODE, None, &modes)? else {
        return Ok(None);
    };
    let required = |var: &'static str| {
        non_empty(src, var).ok_or_else(|| {
            ConfigError::new(var, "is required when SCOPEGATE_MODE uses introspection")
        })
    };
    let url = non_empty(src, ENV_INTROSPECTION_URL);
    if let Some(u) = &url {
        http::check_url(u).map_err(|e| ConfigError::new(ENV_INTROSPECTION_URL, e))?;
    }
    Ok(Some(Settings {
        mode,
        url,
        client_id: required(ENV_INTROSPECTION_CLIENT_ID)?,
        client_secret: required(ENV_INTROSPECTION_CLIENT_SECRET)?,
        cache_seconds: seconds(src, ENV_INTROSPECTION_CACHE_SECONDS, DEFAULT_CACHE_SECONDS)?,
        cache_entries: number(src, ENV_INTROSPECTION_CACHE_ENTRIES, DEFAULT_CACHE_ENTRIES)?,
    }))
}
