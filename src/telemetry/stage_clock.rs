//! The [`Observer`] telemetry runs the handler with: a timestamp at each
//! stage boundary, read afterwards by the instruments, the log line and the
//! trace (spans are built from it after the fact, not while handling).

use crate::jose::Alg;
use crate::outcome::Observer;
use std::time::Instant;

/// Seconds from nanoseconds, as the `metrics` histograms take them.
pub(super) fn seconds(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// Nanoseconds since the clock started, at each stage boundary.
#[derive(Debug, Default, Clone, Copy)]
pub struct Marks {
    /// Event parsed, token extracted.
    pub extracted: Option<u64>,
    /// Verified-token memo consulted.
    pub memo_looked_up: Option<u64>,
    /// Signature and claims checked.
    pub verified: Option<u64>,
    /// Policy and response ready.
    pub mapped: Option<u64>,
    /// Whether the token memo answered.
    pub memo_hit: Option<bool>,
    /// Whether the policy was already rendered.
    pub policy_memo_hit: Option<bool>,
    /// Scope sources of the wrong JSON type in the token.
    pub wrong_type_sources: u8,
    /// The token's algorithm, once its header was read.
    pub alg: Option<Alg>,
    /// The complete policy was over the budget.
    pub overflowed: bool,
    /// No complete policy was exact: answered per route.
    pub inexact: bool,
}

/// An [`Observer`] that timestamps each stage boundary.
#[derive(Debug)]
pub struct StageClock {
    start: Instant,
    /// The boundaries passed so far.
    pub marks: Marks,
    pub(super) done: Option<u64>,
    /// The token's `kid`, kept only for a traced invocation (it costs a copy).
    pub kid: Option<String>,
    keep_kid: bool,
}

impl StageClock {
    /// A clock started now.
    pub fn start() -> StageClock {
        StageClock {
            start: Instant::now(),
            marks: Marks::default(),
            done: None,
            kid: None,
            keep_kid: false,
        }
    }

    /// A clock that also keeps the `kid`, for a span attribute.
    pub fn detailed() -> StageClock {
        StageClock {
            keep_kid: true,
            ..StageClock::start()
        }
    }

    /// When the clock started.
    pub fn started_at(&self) -> Instant {
        self.start
    }

    /// Nanoseconds from the start to [`StageClock::stop`], if stopped.
    pub fn done(&self) -> Option<u64> {
        self.done
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Marks the end of the invocation; returns its duration in nanoseconds.
    pub fn stop(&mut self) -> u64 {
        let t = self.now();
        self.done = Some(t);
        t
    }

    pub(super) fn elapsed(&self, mark: Option<u64>) -> f64 {
        seconds(mark.unwrap_or_else(|| self.now()))
    }
}

impl Observer for StageClock {
    fn extracted(&mut self) {
        self.marks.extracted = Some(self.now());
    }
    fn memo_looked_up(&mut self, hit: bool) {
        self.marks.memo_looked_up = Some(self.now());
        self.marks.memo_hit = Some(hit);
    }
    fn header(&mut self, alg: Alg, kid: &str) {
        self.marks.alg = Some(alg);
        if self.keep_kid {
            self.kid = Some(kid.to_string());
        }
    }
    fn verified(&mut self, wrong_type_sources: u8) {
        self.marks.wrong_type_sources = wrong_type_sources;
        self.marks.verified = Some(self.now());
    }
    fn mapped(&mut self, policy_memo_hit: bool) {
        self.marks.mapped = Some(self.now());
        self.marks.policy_memo_hit = Some(policy_memo_hit);
    }
    fn answered_per_route(&mut self, inexact: bool) {
        if inexact {
            self.marks.inexact = true;
        } else {
            self.marks.overflowed = true;
        }
    }
}
