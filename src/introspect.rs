//! RFC 7662 token introspection: for opaque tokens (mode `introspect`) or
//! as a revocation check after local JWT verification (`jwt+introspect`).
//! A POST to the endpoint (configured, or the issuer's discovered
//! `introspection_endpoint`) with `client_secret_basic`; `active: false`
//! is Unauthorized; any timeout, error or odd answer fails closed. Answers
//! are cached per token (bounded) for at most a configured TTL and never
//! past the token's `exp`. The client secret never appears in errors.

use crate::config::{ConfigError, Strings};
use crate::http::{self, Client};
use crate::reject::Reject;
use crate::telemetry::trace::calls::{self, CallKind};
use crate::telemetry::{INTROSPECTIONS_TOTAL, IntrospectionResult};
use crate::token::b64;
use quick_cache::sync::Cache;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

pub const ENV_MODE: &str = "SCOPEGATE_MODE";
pub const ENV_URL: &str = "SCOPEGATE_INTROSPECTION_URL";
pub const ENV_CLIENT_ID: &str = "SCOPEGATE_INTROSPECTION_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "SCOPEGATE_INTROSPECTION_CLIENT_SECRET";
pub const ENV_CACHE_SECONDS: &str = "SCOPEGATE_INTROSPECTION_CACHE_SECONDS";
pub const DEFAULT_CACHE_SECONDS: f64 = 60.0;
pub const ENV_CACHE_ENTRIES: &str = "SCOPEGATE_INTROSPECTION_CACHE_ENTRIES";
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;

/// How tokens are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Local JWT verification only (the default).
    Jwt,
    /// Remote only: any token, opaque or not, is introspected.
    Introspect,
    /// Local JWT verification, then a revocation check by introspection.
    JwtIntrospect,
}

/// Introspection settings; `None` when the mode is `jwt`.
#[derive(Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// The endpoint, or `None` to discover it from the issuer.
    pub url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub cache_seconds: f64,
    pub cache_entries: usize,
}

/// Never prints the secret.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("mode", &self.mode)
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl Settings {
    pub fn from_strings(src: &dyn Strings) -> Result<Option<Settings>, ConfigError> {
        let mode = match src.get(ENV_MODE).as_deref().map(str::trim) {
            None | Some("jwt") => return Ok(None),
            Some("introspect") => Mode::Introspect,
            Some("jwt+introspect") => Mode::JwtIntrospect,
            Some(other) => {
                return Err(ConfigError::new(
                    ENV_MODE,
                    format!("`{other}` is not jwt, introspect or jwt+introspect"),
                ));
            }
        };
        let required = |var: &'static str| {
            src.get(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                ConfigError::new(var, "is required when SCOPEGATE_MODE uses introspection")
            })
        };
        let url = src.get(ENV_URL).filter(|u| !u.is_empty());
        if let Some(u) = &url {
            http::check_url(u).map_err(|e| ConfigError::new(ENV_URL, e))?;
        }
        let cache_seconds = match src.get(ENV_CACHE_SECONDS) {
            None => DEFAULT_CACHE_SECONDS,
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| {
                    ConfigError::new(ENV_CACHE_SECONDS, format!("`{v}` is not seconds ≥ 0"))
                })?,
        };
        let cache_entries = match src.get(ENV_CACHE_ENTRIES) {
            None => DEFAULT_CACHE_ENTRIES,
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(ENV_CACHE_ENTRIES, format!("`{v}` is not a count"))
            })?,
        };
        Ok(Some(Settings {
            mode,
            url,
            client_id: required(ENV_CLIENT_ID)?,
            client_secret: required(ENV_CLIENT_SECRET)?,
            cache_seconds,
            cache_entries,
        }))
    }
}

/// An introspection answer that said `active: true`, kept as its JSON.
#[derive(Debug)]
pub struct Active {
    pub body: Box<[u8]>,
    cached_until: f64,
}

pub struct Introspector {
    settings: Settings,
    issuer: String,
    client: Client,
    basic: String,
    endpoint: Mutex<Option<String>>,
    cache: Option<Cache<Box<str>, Arc<Active>>>,
}

/// Counts a call that began at `started`, and records it for the invocation's trace.
fn count(result: IntrospectionResult, started: Instant) {
    let label = match result {
        IntrospectionResult::Active => "active",
        IntrospectionResult::Inactive => "inactive",
        IntrospectionResult::Error => "error",
    };
    metrics::counter!(INTROSPECTIONS_TOTAL, "result" => label).increment(1);
    calls::record(CallKind::Introspection, started, label);
}

/// application/x-www-form-urlencoded, for `client_secret_basic` and the body.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Introspector {
    pub fn new(
        settings: Settings,
        issuer: &str,
        http: &crate::jwks::CacheSettings,
    ) -> Introspector {
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
        let basic = b64::encode_standard(
            format!(
                "{}:{}",
                form_encode(&settings.client_id),
                form_encode(&settings.client_secret)
            )
            .as_bytes(),
        );
        Introspector {
            client: Client::new(http.timeout_ms, http.max_bytes),
            endpoint: Mutex::new(settings.url.clone()),
            cache: (settings.cache_entries > 0 && settings.cache_seconds > 0.0)
                .then(|| Cache::new(settings.cache_entries)),
            issuer: issuer.to_string(),
            basic,
            settings,
        }
    }

    pub fn mode(&self) -> Mode {
        self.settings.mode
    }

    fn endpoint(&self) -> Result<String, String> {
        let mut e = self.endpoint.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(url) = e.as_ref() {
            return Ok(url.clone());
        }
        let doc_url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let answer = self.client.get(&doc_url, None, &[])?;
        let doc: serde_json::Value =
            serde_json::from_slice(&answer.body).map_err(|e| format!("{doc_url}: {e}"))?;
        if doc["issuer"].as_str() != Some(self.issuer.as_str()) {
            return Err(format!("{doc_url}: issuer differs from the configured one"));
        }
        let url = doc["introspection_endpoint"]
            .as_str()
            .ok_or_else(|| format!("{doc_url}: no introspection_endpoint"))?
            .to_string();
        http::check_url(&url)?;
        *e = Some(url.clone());
        Ok(url)
    }

    /// The active answer for `token` at `now`: from the cache, or asked.
    pub fn introspect(&self, token: &str, now: f64) -> Result<Arc<Active>, Reject> {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(token)) {
            if now < hit.cached_until {
                return Ok(hit);
            }
        }
        let started = Instant::now();
        let answer = self
            .endpoint()
            .and_then(|url| {
                self.client.post_form(
                    &url,
                    &self.basic,
                    &format!("token={}&token_type_hint=access_token", form_encode(token)),
                )
            })
            .map_err(|_| {
                count(IntrospectionResult::Error, started);
                Reject::IntrospectionFailed
            })?;
        if answer.status != 200 {
            count(IntrospectionResult::Error, started);
            return Err(Reject::IntrospectionFailed);
        }
        let v: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|_| {
            count(IntrospectionResult::Error, started);
            Reject::IntrospectionFailed
        })?;
        if v["active"] != serde_json::Value::Bool(true) {
            count(IntrospectionResult::Inactive, started);
            return Err(Reject::Inactive);
        }
        count(IntrospectionResult::Active, started);
        let exp = v["exp"].as_f64().unwrap_or(now);
        let active = Arc::new(Active {
            body: answer.body.into(),
            cached_until: (now + self.settings.cache_seconds).min(exp),
        });
        if let Some(c) = &self.cache {
            c.insert(token.into(), Arc::clone(&active));
        }
        Ok(active)
    }

    /// How long a memoised verification may answer without asking again.
    pub fn memo_deadline(&self, now: f64, deadline: f64) -> f64 {
        deadline.min(now + self.settings.cache_seconds)
    }
}
