//! The permissions in force: the compiled scope table and the policies
//! rendered from it, as one immutable [`Compiled`] document. A remote
//! document (S3, an https URL, or a DynamoDB table) is refreshed once it is
//! older than its maximum age: fetched with `If-None-Match` (a table: its
//! items' digest compared), validated and compiled on a
//! background thread, and swapped in whole, so a request reads one
//! lock-free snapshot and never waits for a refresh. A new document that
//! fails validation keeps the last good one (logged with the rule and
//! field, counted as `invalid`); a failing fetch keeps it too, up to the
//! maximum staleness, after which requests fail as configured. Each
//! document has its own generation: a memoised token answer rendered from
//! another one does not answer ([`crate::memo`]).

mod source;

pub use source::{Format, Remote};

use crate::net::calls::{self, CallKind};
use crate::net::http::Client;
use crate::net::s3::{self, Target};
use crate::net::{dynamodb, sigv4};
use crate::outcome::Reject;
use crate::policy::{Grant, Layout, PolicyMemo, Shape};
use crate::scopes::items;
use crate::scopes::{self, PermissionLimits, ScopeTable};
use arc_swap::{ArcSwap, Guard};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// A remote document is refreshed once older than this. Defaults to `300`.
pub const DEFAULT_MAX_AGE: f64 = 300.0;
/// Past this age (refreshes failing) the document is no longer used. Defaults to `86400`.
pub const DEFAULT_MAX_STALE: f64 = 86_400.0;
/// After a failed fetch, the next is tried this much later (or at the max age, if sooner).
pub const RETRY_SECONDS: f64 = 10.0;

/// One compiled permissions document and the policies rendered from it.
pub struct Compiled {
    /// Scope → bit → Resources.
    pub table: ScopeTable,
    /// Grants rendered from `table`, by scope bitset.
    pub policies: PolicyMemo,
    /// Unique to this document in the process (never 0).
    pub generation: u64,
}

static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// How each compiled document's policies are rendered and kept.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Rendered policies kept (`SCOPEGATE_POLICY_MEMO_ENTRIES`).
    pub entries: usize,
    /// Their bytes at most (a quarter of `SCOPEGATE_MEMO_MAX_BYTES`).
    pub max_bytes: u64,
    /// Budget, overflow and routes.
    pub shape: Arc<Shape>,
}

impl Compiled {
    /// `table` with an empty policy memo as `policies` say. Warns (stderr
    /// and a metric) when a token holding every scope would get more than
    /// the budget, and (stderr) names a Cedar store's groups whose tokens
    /// are answered per route.
    pub fn new(table: ScopeTable, policies: &Policies) -> Compiled {
        let shape = &policies.shape;
        let layout = Layout::new(Arc::clone(shape), &table);
        let worst = Grant::render_shaped(&table, &layout, &table.all_bits());
        if worst.complete_bytes > shape.max_bytes {
            crate::policy::budget::warn_worst_case(worst.complete_bytes, shape);
        }
        let per_route = table.inexact_scopes();
        if !per_route.is_empty() {
            crate::cedar::warn_per_route_groups(&per_route);
        }
        Compiled {
            table,
            policies: PolicyMemo::new(policies.entries, policies.max_bytes, layout),
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// What requests get once the document is older than its maximum staleness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenStale {
    /// `Unauthorized` (`permissions_unavailable`): API Gateway does not cache it.
    Unauthorized,
    /// The deny-all policy for every valid token (cached for the TTL).
    Deny,
}

/// How a remote document is kept fresh.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshSettings {
    /// Refresh once older than this (seconds); 0 never refreshes.
    pub max_age: f64,
    /// Stop using a document this old (seconds).
    pub max_stale: f64,
    /// What requests get after that.
    pub when_stale: WhenStale,
}

impl Default for RefreshSettings {
    fn default() -> RefreshSettings {
        RefreshSettings {
            max_age: DEFAULT_MAX_AGE,
            max_stale: DEFAULT_MAX_STALE,
            when_stale: WhenStale::Unauthorized,
        }
    }
}

/// The document in force and its ages: swapped whole.
pub struct Snapshot {
    /// The document.
    pub compiled: Arc<Compiled>,
    fetched_at: f64,
    fresh_until: f64,
}

/// The document a request answers with: a guard on the current snapshot
/// (no reference count is touched on the request path), or the document
/// granting nothing.
pub enum InForce<'a> {
    /// The snapshot in force.
    Current(Guard<Arc<Snapshot>>),
    /// Past the maximum staleness, configured to deny.
    Nothing(&'a Compiled),
}

impl std::ops::Deref for InForce<'_> {
    type Target = Compiled;
    #[inline]
    fn deref(&self) -> &Compiled {
        match self {
            InForce::Current(snapshot) => &snapshot.compiled,
            InForce::Nothing(nothing) => nothing,
        }
    }
}

/// What a remote document needs to refresh.
struct Refresher {
    remote: Remote,
    format: Format,
    client: Client,
    limits: PermissionLimits,
    policies: Policies,
    /// The last good document's ETag; held only by the fetch in flight.
    etag: Mutex<Option<String>>,
    busy: AtomicBool,
}

/// The permissions in force, fixed or refreshed.
pub struct Grants {
    current: Arc<ArcSwap<Snapshot>>,
    refresher: Option<Arc<Refresher>>,
    settings: RefreshSettings,
    /// What [`WhenStale::Deny`] answers with: a document granting nothing.
    nothing: Arc<Compiled>,
}

/// A fetch that did not produce a new document.
enum Unchanged {
    NotModified,
    Invalid(String),
    Failed(String),
}

impl Grants {
    /// A document that never changes.
    pub fn fixed(table: ScopeTable, policies: &Policies) -> Grants {
        let settings = RefreshSettings {
            max_age: 0.0,
            max_stale: f64::INFINITY,
            when_stale: WhenStale::Unauthorized,
        };
        Grants::with(table, policies, 0.0, None, settings)
    }

    /// A remote document, fetched now (at `now`): an error names why it
    /// cannot be used (the caller names the setting).
    pub fn remote(
        remote: Remote,
        format: Format,
        client: Client,
        limits: PermissionLimits,
        policies: &Policies,
        settings: RefreshSettings,
        now: f64,
    ) -> Result<Grants, String> {
        let refresher = Refresher {
            remote,
            format,
            client,
            limits,
            policies: policies.clone(),
            etag: Mutex::new(None),
            busy: AtomicBool::new(false),
        };
        // Counted like every later fetch (a failure here stops the start).
        let started = Instant::now();
        let table = match refresher.fetch(false) {
            Ok(table) => {
                calls::record(CallKind::PermissionsFetch, started, "ok");
                table
            }
            Err(Unchanged::Invalid(e) | Unchanged::Failed(e)) => return Err(e),
            Err(Unchanged::NotModified) => return Err("HTTP 304 without a cached copy".into()),
        };
        Ok(Grants::with(
            table,
            policies,
            now,
            Some(Arc::new(refresher)),
            settings,
        ))
    }

    fn with(
        table: ScopeTable,
        policies: &Policies,
        now: f64,
        refresher: Option<Arc<Refresher>>,
        settings: RefreshSettings,
    ) -> Grants {
        let fresh_until = if refresher.is_some() && settings.max_age > 0.0 {
            now + settings.max_age
        } else {
            f64::INFINITY
        };
        Grants {
            current: Arc::new(ArcSwap::from_pointee(Snapshot {
                compiled: Arc::new(Compiled::new(table, policies)),
                fetched_at: now,
                fresh_until,
            })),
            refresher,
            settings,
            nothing: Arc::new(Compiled::new(
                ScopeTable::compile(&[]),
                &Policies {
                    entries: 1,
                    max_bytes: 1 << 16,
                    shape: Arc::clone(&policies.shape),
                },
            )),
        }
    }

    /// The document to answer with at `now`, without a lock. A document
    /// past its max age starts a background refresh; one past its maximum
    /// staleness answers as configured.
    #[inline]
    pub fn in_force(&self, now: f64) -> Result<InForce<'_>, Reject> {
        let snapshot = self.current.load();
        if now >= snapshot.fresh_until {
            self.refresh_in_background(now);
        }
        if now - snapshot.fetched_at <= self.settings.max_stale {
            return Ok(InForce::Current(snapshot));
        }
        match self.settings.when_stale {
            WhenStale::Unauthorized => Err(Reject::PermissionsUnavailable),
            WhenStale::Deny => Ok(InForce::Nothing(&self.nothing)),
        }
    }

    /// The document last loaded, whatever its age.
    pub fn current(&self) -> Arc<Compiled> {
        Arc::clone(&self.current.load().compiled)
    }

    /// Refreshes now, on this thread (tests drive the lifecycle with it); returns once the
    /// fetch has finished (or at once if one is already in flight).
    pub fn refresh_now(&self, now: f64) {
        if let Some(refresher) = &self.refresher
            && !refresher.busy.swap(true, Ordering::AcqRel)
        {
            refresher.refresh(&self.current, &self.settings, now);
            refresher.busy.store(false, Ordering::Release);
        }
    }

    fn refresh_in_background(&self, now: f64) {
        let Some(refresher) = &self.refresher else {
            return;
        };
        // A load first: while a refresh is in flight, requests only read the flag.
        if refresher.busy.load(Ordering::Relaxed) || refresher.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let (me, current, settings) = (
            Arc::clone(refresher),
            Arc::clone(&self.current),
            self.settings.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("scopegate-permissions-refresh".into())
            .spawn(move || {
                me.refresh(&current, &settings, now);
                me.busy.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            refresher.busy.store(false, Ordering::Release);
        }
    }
}

impl Refresher {
    /// One refresh at `now`: a new document is swapped in; otherwise the
    /// old one stays, with its next attempt scheduled.
    fn refresh(&self, current: &ArcSwap<Snapshot>, settings: &RefreshSettings, now: f64) {
        let started = Instant::now();
        let old = current.load_full();
        let (compiled, fetched_at, retry_in) = match self.fetch(true) {
            Ok(table) => {
                calls::record(CallKind::PermissionsFetch, started, "ok");
                let compiled = Arc::new(Compiled::new(table, &self.policies));
                (compiled, now, settings.max_age)
            }
            Err(Unchanged::NotModified) => {
                calls::record(CallKind::PermissionsFetch, started, "not_modified");
                (Arc::clone(&old.compiled), now, settings.max_age)
            }
            Err(Unchanged::Invalid(e)) => {
                // Retrying soon would fetch the same document: wait for the max age.
                calls::record_refused(CallKind::PermissionsFetch, started, "invalid", &e);
                (Arc::clone(&old.compiled), old.fetched_at, settings.max_age)
            }
            Err(Unchanged::Failed(e)) => {
                calls::record_failure(CallKind::PermissionsFetch, started, &e);
                let retry = RETRY_SECONDS.min(settings.max_age);
                (Arc::clone(&old.compiled), old.fetched_at, retry)
            }
        };
        current.store(Arc::new(Snapshot {
            compiled,
            fetched_at,
            fresh_until: now + retry_in,
        }));
    }

    /// Fetches and compiles the document; `conditional` sends the last
    /// good document's ETag.
    fn fetch(&self, conditional: bool) -> Result<ScopeTable, Unchanged> {
        let mut etag = self.etag.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = etag.clone().filter(|_| conditional);
        let answer = match &self.remote {
            Remote::DynamoDb { target, table } => {
                let (rules, digest) = self.scan(target, table, sent.as_deref())?;
                *etag = Some(digest);
                return Ok(ScopeTable::compile(&rules));
            }
            Remote::S3 {
                target,
                bucket,
                key,
            } => s3::get_object_if(&self.client, target, bucket, key, sent.as_deref()),
            Remote::Url(url) => self.client.get(url, sent.as_deref(), &[]),
        }
        .map_err(|e| Unchanged::Failed(format!("{}: {e}", self.remote)))?;
        match answer.status {
            304 if sent.is_some() => return Err(Unchanged::NotModified),
            200 => {}
            404 => {
                return Err(Unchanged::Failed(format!(
                    "{}: no such object (HTTP 404)",
                    self.remote
                )));
            }
            403 => {
                return Err(Unchanged::Failed(format!(
                    "{}: access denied (HTTP 403): the function's role needs read access",
                    self.remote
                )));
            }
            other => return Err(Unchanged::Failed(format!("{}: HTTP {other}", self.remote))),
        }
        let table = self
            .format
            .compile(&self.remote, &answer.body, self.limits)
            .map_err(|e| Unchanged::Invalid(format!("{}: {e}", self.remote)))?;
        *etag = answer.etag;
        Ok(table)
    }

    /// The table's rules and a digest of its items, which stands for an
    /// ETag (DynamoDB has none): an unchanged table (`sent` digest) is not
    /// validated or compiled again.
    fn scan(
        &self,
        target: &Target,
        table: &str,
        sent: Option<&str>,
    ) -> Result<(Vec<scopes::Rule>, String), Unchanged> {
        let limits = self.limits;
        let scanned = dynamodb::scan(
            &self.client,
            target,
            table,
            limits.max_bytes,
            limits.max_rules,
        )
        .map_err(|e| Unchanged::Failed(format!("{}: {e}", self.remote)))?;
        let canonical = serde_json::to_vec(&scanned.items).unwrap_or_default();
        let digest = sigv4::payload_hash(&canonical);
        if sent == Some(digest.as_str()) {
            return Err(Unchanged::NotModified);
        }
        let rules = items::rules_from_items(&scanned.items, limits)
            .map_err(|e| Unchanged::Invalid(format!("{}: {e}", self.remote)))?;
        Ok((rules, digest))
    }
}
