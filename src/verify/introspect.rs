//! RFC 7662 token introspection: for opaque tokens (mode `introspect`) or
//! as a revocation check after local JWT verification (`jwt+introspect`).
//! A POST to the endpoint (configured, or the issuer's discovered
//! `introspection_endpoint`) with `client_secret_basic`; `active: false`
//! is Unauthorized; any timeout, error or odd answer fails closed. Answers
//! are cached per token (bounded) for at most a configured TTL and never
//! past the token's `exp`. The client secret never appears in errors.

use crate::codec::b64;
use crate::codec::json::{self, JsonLimits, Value};
use crate::codec::percent;
use crate::net::calls::{self, CallKind};
use crate::net::discovery::Discovery;
use crate::net::http::Client;
use crate::outcome::Reject;
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::Instant;

/// Active answers are reused this long. Defaults to `60`.
pub const DEFAULT_CACHE_SECONDS: f64 = 60.0;
/// Bound of the answer cache. Defaults to `10000`.
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;

/// How tokens are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// `introspect` or `jwt+introspect`.
    pub mode: Mode,
    /// The endpoint, or `None` to discover it from the issuer.
    pub url: Option<String>,
    /// `client_secret_basic` client id.
    pub client_id: String,
    /// `client_secret_basic` secret (never printed).
    pub client_secret: String,
    /// Active answers are reused this long (seconds).
    pub cache_seconds: f64,
    /// Bound of the answer cache.
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

/// An introspection answer that said `active: true`, kept as its JSON.
#[derive(Debug)]
pub struct Active {
    /// The answer's JSON.
    pub body: Box<[u8]>,
    /// Its `token_type`, when given (read once, on receipt).
    pub token_type: Option<Box<str>>,
    cached_until: f64,
}

/// Asks the IdP whether tokens are active, with a bounded cache of answers.
pub struct Introspector {
    settings: Settings,
    client: Client,
    basic: String,
    /// Where the endpoint is learnt when none is configured.
    discovery: Arc<Discovery>,
    cache: Option<Cache<Box<str>, Arc<Active>>>,
}

/// Counts a call that began at `started`, and records it for the invocation's trace.
fn count(result: &'static str, started: Instant) {
    calls::record(CallKind::Introspection, started, result);
}

impl Introspector {
    /// An introspector with `client`; without a configured URL the
    /// endpoint comes from `discovery` (the issuer's, shared with its keys).
    pub fn new(settings: Settings, client: Client, discovery: Arc<Discovery>) -> Introspector {
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
        let basic = b64::encode_standard(
            format!(
                "{}:{}",
                percent::unreserved(&settings.client_id),
                percent::unreserved(&settings.client_secret)
            )
            .as_bytes(),
        );
        Introspector {
            client,
            discovery,
            cache: (settings.cache_entries > 0 && settings.cache_seconds > 0.0)
                .then(|| Cache::new(settings.cache_entries)),
            basic,
            settings,
        }
    }

    /// How tokens are verified.
    pub fn mode(&self) -> Mode {
        self.settings.mode
    }

    fn endpoint(&self) -> Result<String, String> {
        if let Some(url) = &self.settings.url {
            return Ok(url.clone());
        }
        self.discovery
            .document()?
            .introspection_endpoint
            .clone()
            .ok_or_else(|| {
                format!(
                    "{}: no introspection_endpoint",
                    crate::net::discovery::url_of(self.discovery.issuer())
                )
            })
    }

    /// The active answer for `token` at `now`: from the cache, or asked.
    pub fn introspect(&self, token: &str, now: f64) -> Result<Arc<Active>, Reject> {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(token))
            && now < hit.cached_until
        {
            return Ok(hit);
        }
        let started = Instant::now();
        let answer = self
            .endpoint()
            .and_then(|url| {
                self.client.post_form(
                    &url,
                    &self.basic,
                    &format!(
                        "token={}&token_type_hint=access_token",
                        percent::unreserved(token)
                    ),
                )
            })
            .map_err(|_| {
                count("error", started);
                Reject::IntrospectionFailed
            })?;
        if answer.status != 200 {
            count("error", started);
            return Err(Reject::IntrospectionFailed);
        }
        // The strict reader, as for every IdP answer and in both modes: a
        // repeated `active` (`false`, then `true`) is no answer at all.
        let object = json::parse_object(&answer.body, JsonLimits::IDP_DOCUMENT).map_err(|_| {
            count("error", started);
            Reject::IntrospectionFailed
        })?;
        if !matches!(object.get("active"), Some(Value::Bool(true))) {
            count("inactive", started);
            return Err(Reject::Inactive);
        }
        let token_type = match object.get("token_type") {
            None => None,
            Some(Value::String(t)) => Some(Box::from(t.as_ref())),
            Some(_) => {
                count("error", started);
                return Err(Reject::IntrospectionFailed);
            }
        };
        count("active", started);
        let exp = match object.get("exp") {
            Some(Value::Number(n)) => n.value,
            _ => now,
        };
        let active = Arc::new(Active {
            body: answer.body.into(),
            token_type,
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
