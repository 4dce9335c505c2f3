//! Keys from the identity provider: a JWKS URL or OIDC discovery, fetched
//! at init (a failure there does not stop the function: the next request
//! retries), refreshed on an unknown `kid` (one fetch at a time, then a
//! cooldown during which unknown kids fail fast, so a spray of random kids
//! cannot make us hammer the IdP), refreshed in the background once the set
//! is older than its maximum age, and kept when the IdP fails — up to a
//! maximum staleness, after which requests fail closed.
//!
//! Readers load the set and its ages in one snapshot (`arc-swap`) and take
//! no lock: while a usable set is cached they never wait, not even behind
//! a refresh in flight. Only a request with no usable key (an unknown
//! `kid`, no set yet, a set past its maximum staleness) waits for the one
//! fetch. A refreshed set takes over the keys it still holds and retires
//! the ones it dropped ([`crate::keys::Retired`]). Times are the caller's
//! `now` (Unix seconds), so tests drive the lifecycle with an injected clock.

use crate::keys::{JwksLimits, KeySet};
use crate::net::calls::{self, CallKind};
use crate::net::discovery::Discovery;
use crate::net::http::{self, Client, Redacted};
use arc_swap::ArcSwapOption;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// After a fetch attempt, unknown kids fail fast this long. Defaults to `10`.
pub const DEFAULT_COOLDOWN: f64 = 10.0;
/// Older sets are refreshed in the background. Defaults to `3600`.
pub const DEFAULT_MAX_AGE: f64 = 3600.0;
/// A set older than this (refreshes failing) is no longer used. Defaults to `86400`.
pub const DEFAULT_MAX_STALE: f64 = 86_400.0;

/// The key cache's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSettings {
    /// After a fetch attempt, unknown kids fail fast this long (seconds).
    pub cooldown: f64,
    /// A set older than this is refreshed in the background (seconds).
    pub max_age: f64,
    /// A set older than this is no longer used (seconds).
    pub max_stale: f64,
    /// Connect and total timeout of each fetch.
    pub timeout_ms: u64,
    /// Larger answers are refused.
    pub max_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> CacheSettings {
        CacheSettings {
            cooldown: DEFAULT_COOLDOWN,
            max_age: DEFAULT_MAX_AGE,
            max_stale: DEFAULT_MAX_STALE,
            timeout_ms: http::DEFAULT_TIMEOUT_MS,
            max_bytes: http::DEFAULT_MAX_BYTES,
        }
    }
}

/// Where the key set comes from.
#[derive(Clone)]
pub enum Location {
    /// A JWKS URL.
    Url(String),
    /// OIDC discovery from the issuer: its document's `jwks_uri`.
    Discover(Arc<Discovery>),
}

/// A usable set with its ages: swapped whole, so a reader learns
/// everything it needs from one lock-free load.
struct Snapshot {
    set: Arc<KeySet>,
    /// When the set was fetched (or confirmed by a 304).
    fetched_at: f64,
    /// Fresh until (max age, shortened by Cache-Control max-age).
    fresh_until: f64,
}

/// What only the fetch in flight reads and writes.
struct FetchState {
    /// When a fetch was last attempted (for the cooldown).
    attempted_at: Option<f64>,
    etag: Option<String>,
}

/// One issuer's key set from its IdP, with its fetch bookkeeping.
pub struct RemoteKeys {
    location: Location,
    settings: CacheSettings,
    limits: JwksLimits,
    client: Client,
    current: ArcSwapOption<Snapshot>,
    /// Held by the one fetch in flight (single flight); readers never take it.
    fetching: Mutex<FetchState>,
    background: AtomicBool,
}

/// Why no key set could be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Never fetched successfully.
    NeverFetched,
    /// The last good set is older than the maximum staleness.
    TooStale,
}

impl RemoteKeys {
    /// A cache for `location`, empty until the first fetch, fetching with
    /// `client` (the function's one client, shared with discovery).
    pub fn new(
        location: Location,
        settings: CacheSettings,
        limits: JwksLimits,
        client: Client,
    ) -> RemoteKeys {
        RemoteKeys {
            client,
            location,
            settings,
            limits,
            current: ArcSwapOption::empty(),
            fetching: Mutex::new(FetchState {
                attempted_at: None,
                etag: None,
            }),
            background: AtomicBool::new(false),
        }
    }

    /// The last fetched set, without refreshing.
    pub fn current(&self) -> Option<Arc<KeySet>> {
        self.current.load().as_ref().map(|s| Arc::clone(&s.set))
    }

    /// The set to verify with at `now`, if one is usable. Lock-free while a
    /// usable set is cached: a refresh it starts runs on its own thread.
    pub fn snapshot(self: &Arc<Self>, now: f64) -> Result<Arc<KeySet>, Unavailable> {
        let Some((set, fetched_at, fresh_until)) = self
            .current
            .load()
            .as_ref()
            .map(|s| (Arc::clone(&s.set), s.fetched_at, s.fresh_until))
        else {
            // Nothing yet (the prefetch failed): try now, within the cooldown.
            self.refresh_if_allowed(now);
            return self.current().ok_or(Unavailable::NeverFetched);
        };
        if now - fetched_at > self.settings.max_stale {
            // Fail closed, but let one request (per cooldown) try to recover.
            self.refresh_if_allowed(now);
            return match &*self.current.load() {
                Some(s) if now - s.fetched_at <= self.settings.max_stale => Ok(Arc::clone(&s.set)),
                _ => Err(Unavailable::TooStale),
            };
        }
        if now >= fresh_until {
            self.refresh_in_background(now);
        }
        Ok(set)
    }

    /// Until when the set in force may be used if no refresh succeeds
    /// (its fetch plus the maximum staleness): a memo entry it verified
    /// must not answer longer.
    pub fn usable_until(&self) -> f64 {
        self.current.load().as_ref().map_or(f64::NEG_INFINITY, |s| {
            s.fetched_at + self.settings.max_stale
        })
    }

    /// An unknown `kid`: refresh unless one was attempted within the
    /// cooldown. Returns whether the set changed (worth a second look).
    pub fn refresh_for_unknown_kid(&self, now: f64) -> bool {
        let before = self.current();
        self.refresh_if_allowed(now);
        match (before, self.current()) {
            (Some(a), Some(b)) => !Arc::ptr_eq(&a, &b),
            (None, Some(_)) => true,
            _ => false,
        }
    }

    /// Fetches at once unless a fetch was attempted within the cooldown.
    /// Callers without a usable key wait for the one fetch in flight.
    pub fn refresh_if_allowed(&self, now: f64) {
        let mut st = self.fetching.lock().unwrap_or_else(PoisonError::into_inner);
        // abs(): a clock that jumps back must not block refreshes forever.
        if st
            .attempted_at
            .is_some_and(|t| (now - t).abs() < self.settings.cooldown)
        {
            return;
        }
        self.fetch(&mut st, now);
    }

    fn refresh_in_background(self: &Arc<Self>, now: f64) {
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("scopegate-jwks-refresh".into())
            .spawn(move || {
                me.refresh_if_allowed(now);
                me.background.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.background.store(false, Ordering::Release);
        }
    }

    /// One fetch (discovery first when configured); swaps in a new snapshot
    /// on success. Keys the new set dropped are retired.
    fn fetch(&self, st: &mut FetchState, now: f64) {
        st.attempted_at = Some(now);
        let started = Instant::now();
        let previous = self.current.load_full();
        match self.fetch_inner(st, previous.is_some()) {
            Ok(Some((mut set, max_age))) => {
                let retired = previous.as_ref().map_or(0, |p| set.succeed(&p.set));
                self.current.store(Some(Arc::new(Snapshot {
                    set: Arc::new(set),
                    fetched_at: now,
                    fresh_until: now + max_age.min(self.settings.max_age),
                })));
                calls::record(CallKind::JwksFetch, started, "ok");
                calls::keys_retired(retired);
            }
            Ok(None) => {
                if let Some(p) = previous {
                    self.current.store(Some(Arc::new(Snapshot {
                        set: Arc::clone(&p.set),
                        fetched_at: now,
                        fresh_until: now + self.settings.max_age,
                    })));
                }
                calls::record(CallKind::JwksFetch, started, "not_modified");
            }
            Err(e) => calls::record_failure(CallKind::JwksFetch, started, &e),
        }
    }

    /// `Ok(None)` for 304 Not Modified.
    fn fetch_inner(
        &self,
        st: &mut FetchState,
        have_set: bool,
    ) -> Result<Option<(KeySet, f64)>, String> {
        let url = match &self.location {
            Location::Url(u) => u.clone(),
            Location::Discover(discovery) => discovery.document()?.jwks_uri.clone(),
        };
        let etag = st.etag.as_deref().filter(|_| have_set);
        let answer = self.client.get(&url, etag, &[])?;
        match answer.status {
            304 if etag.is_some() => return Ok(None),
            200 => {}
            other => return Err(format!("{}: HTTP {other}", Redacted(&url))),
        }
        let set = KeySet::from_json(&answer.body, self.limits)
            .map_err(|e| format!("{}: {e}", Redacted(&url)))?;
        if set.is_empty() {
            return Err(format!("{}: no usable key", Redacted(&url)));
        }
        st.etag = answer.etag;
        let max_age = answer.max_age.map_or(f64::INFINITY, |s| s as f64);
        Ok(Some((set, max_age)))
    }
}

/// The authorizer's keys: a fixed set, or the IdP's through the cache.
pub enum KeySource {
    /// A set loaded once at start-up.
    Static(Arc<KeySet>),
    /// The IdP's set, cached and refreshed.
    Remote(Arc<RemoteKeys>),
}
