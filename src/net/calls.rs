//! Outbound calls (a JWKS fetch, an introspection request), recorded where
//! they happen without threading telemetry through the key cache:
//! - counted, through counter handles that each telemetry sink registers
//!   ([`register_counters`], from `Instruments::register`) against its
//!   recorder ([`crate::registered`]: replay's `--prometheus` and `--emf`
//!   both count); before that, or without telemetry, counting is a no-op;
//! - kept for the invocation's trace when a capture is open on this thread
//!   ([`capture`]). A call on another thread (the background JWKS refresh)
//!   belongs to no invocation and is only counted.
//!
//! Only these rare paths touch the handles and the thread-local; the
//! per-token path never does.

use crate::codec::json_write::push_json_str;
use crate::registered::{Recorder, Registered};
use metrics::Counter;
use std::cell::RefCell;
use std::time::Instant;

/// `scopegate_jwks_fetches_total{result}`.
pub const JWKS_FETCHES_TOTAL: &str = "scopegate_jwks_fetches_total";
/// `scopegate_introspections_total{result}`.
pub const INTROSPECTIONS_TOTAL: &str = "scopegate_introspections_total";
/// `scopegate_permissions_fetches_total{result}`.
pub const PERMISSIONS_FETCHES_TOTAL: &str = "scopegate_permissions_fetches_total";
/// `scopegate_jwks_keys_retired_total`: keys a refreshed set no longer holds.
pub const KEYS_RETIRED_TOTAL: &str = "scopegate_jwks_keys_retired_total";

/// Which kind of outbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A key set (or discovery document) fetch.
    JwksFetch,
    /// An RFC 7662 introspection request.
    Introspection,
    /// A permissions document refresh (S3 or HTTPS).
    PermissionsFetch,
}

impl CallKind {
    /// The counter this kind of call increments.
    pub const fn metric(self) -> &'static str {
        match self {
            CallKind::JwksFetch => JWKS_FETCHES_TOTAL,
            CallKind::Introspection => INTROSPECTIONS_TOTAL,
            CallKind::PermissionsFetch => PERMISSIONS_FETCHES_TOTAL,
        }
    }

    /// Every `result` label a call of this kind can end with.
    pub const fn results(self) -> &'static [&'static str] {
        match self {
            CallKind::JwksFetch => &["ok", "not_modified", "error"],
            CallKind::Introspection => &["active", "inactive", "error"],
            // `invalid`: fetched, but the document failed validation.
            CallKind::PermissionsFetch => &["ok", "not_modified", "invalid", "error"],
        }
    }

    const ALL: [CallKind; 3] = [
        CallKind::JwksFetch,
        CallKind::Introspection,
        CallKind::PermissionsFetch,
    ];

    /// The label `record_failure` logs.
    const fn name(self) -> &'static str {
        match self {
            CallKind::JwksFetch => "jwks_fetch",
            CallKind::Introspection => "introspection",
            CallKind::PermissionsFetch => "permissions_fetch",
        }
    }
}

/// One finished call: when it ran and how it ended (a bounded label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// What was called.
    pub kind: CallKind,
    /// When the call began.
    pub started: Instant,
    /// When its answer (or failure) was in.
    pub ended: Instant,
    /// One of [`CallKind::results`].
    pub result: &'static str,
}

/// Counter handles: per kind (in [`CallKind::ALL`] order), one per result
/// in [`CallKind::results`] order; and the retired-key count.
struct Counters {
    calls: [Vec<Counter>; 3],
    keys_retired: Counter,
}

static COUNTERS: Registered<Counters> = Registered::new();

/// Registers the call counters against the current `metrics` recorder
/// (`recorder` says which kind it is); later calls count there too.
pub fn register_counters(recorder: Recorder) {
    let register = |kind: CallKind| {
        kind.results()
            .iter()
            .map(|&r| metrics::counter!(kind.metric(), "result" => r))
            .collect()
    };
    COUNTERS.register(
        recorder,
        Counters {
            calls: CallKind::ALL.map(register),
            keys_retired: metrics::counter!(KEYS_RETIRED_TOTAL),
        },
    );
}

thread_local! {
    static OPEN: RefCell<Option<Vec<Call>>> = const { RefCell::new(None) };
}

/// Records a call that started at `started` and ends now: counts it, and
/// keeps it if a capture is open on this thread.
pub fn record(kind: CallKind, started: Instant, result: &'static str) {
    let ended = Instant::now();
    if let Some(i) = kind.results().iter().position(|r| *r == result) {
        COUNTERS.each(|counters| counters.calls[kind as usize][i].increment(1));
    }
    OPEN.with(|open| {
        if let Some(calls) = open.borrow_mut().as_mut() {
            calls.push(Call {
                kind,
                started,
                ended,
                result,
            });
        }
    });
}

/// Records a call that failed with `error`: counted and kept as `error`,
/// and logged as one WARN line on stderr (the error names the URL, never a
/// token or secret), since nobody waits for a background refresh's answer.
pub fn record_failure(kind: CallKind, started: Instant, error: &str) {
    record_refused(kind, started, "error", error);
}

/// Records a call that ended as `result` because of `error` (a document
/// that failed validation is `invalid`): counted, kept, and logged as one
/// WARN line like a failure.
pub fn record_refused(kind: CallKind, started: Instant, result: &'static str, error: &str) {
    record(kind, started, result);
    let call = kind.name();
    let mut line = String::with_capacity(96 + error.len());
    line.push_str(r#"{"level":"WARN","timestamp":"#);
    line.push_str(&((crate::clock::now() * 1000.0) as u64).to_string());
    line.push_str(r#","message":"outbound call failed","call":""#);
    line.push_str(call);
    line.push_str(r#"","result":""#);
    line.push_str(result);
    line.push_str(r#"","error":"#);
    push_json_str(&mut line, error);
    line.push('}');
    eprintln!("{line}");
}

/// Counts keys a refreshed set dropped (see [`crate::keys::Retired`]).
pub fn keys_retired(count: usize) {
    if count > 0 {
        COUNTERS.each(|counters| counters.keys_retired.increment(count as u64));
    }
}

/// Runs `f` with a capture open on this thread; returns its result and the calls it made.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Call>) {
    let outer = OPEN.with(|open| open.borrow_mut().replace(Vec::new()));
    let result = f();
    let calls = OPEN.with(|open| std::mem::replace(&mut *open.borrow_mut(), outer));
    (result, calls.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_kept_only_inside_a_capture_on_the_same_thread() {
        record(CallKind::JwksFetch, Instant::now(), "ok");
        let ((), calls) = capture(|| {
            record(CallKind::JwksFetch, Instant::now(), "ok");
            std::thread::spawn(|| record(CallKind::JwksFetch, Instant::now(), "error"))
                .join()
                .unwrap();
            record(CallKind::Introspection, Instant::now(), "active");
        });
        let kinds: Vec<_> = calls.iter().map(|c| (c.kind, c.result)).collect();
        assert_eq!(
            kinds,
            [
                (CallKind::JwksFetch, "ok"),
                (CallKind::Introspection, "active")
            ]
        );
        let ((), after) = capture(|| {});
        assert!(after.is_empty());
    }
}
