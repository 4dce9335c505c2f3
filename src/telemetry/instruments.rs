//! The handles of every series, registered once at start-up, so recording
//! an invocation is a few atomic adds and histogram pushes, with no metric
//! key built or hashed per request.

use super::metric_names::{
    COLD_STARTS_TOTAL, DECISIONS_TOTAL, EXTRACT_SECONDS, HANDLER_SECONDS, MAP_SECONDS,
    MEMO_LOOKUP_SECONDS, MEMO_TOTAL, POLICY_MEMO_TOTAL, SCOPE_SOURCE_WRONG_TYPE_TOTAL,
    VERIFY_SECONDS, describe,
};
use super::stage_clock::{StageClock, seconds};
use crate::net::calls;
use crate::outcome::{Decision, Outcome, Reject};
use crate::policy::budget::{self, POLICY_OVERFLOW_TOTAL};
use crate::policy::{Overflow, POLICY_INEXACT_TOTAL};
use crate::registered::Recorder;
use metrics::{Counter, Histogram};

/// Handles to every series, registered once against the current recorder.
pub struct Instruments {
    handler: Histogram,
    extract: Histogram,
    memo_lookup: Histogram,
    verify: Histogram,
    map: Histogram,
    allow: Counter,
    deny: Counter,
    /// Indexed like [`Reject::ALL`].
    unauthorized: Vec<Counter>,
    memo_hit: Counter,
    memo_miss: Counter,
    policy_hit: Counter,
    policy_miss: Counter,
    cold_start: Counter,
    wrong_type_sources: Counter,
    overflow_route: Counter,
    overflow_unauthorized: Counter,
    inexact: Counter,
}

impl Instruments {
    /// Registers every series against the process-wide `metrics` recorder
    /// (and the outbound-call counters of [`crate::net::calls`] with them).
    pub fn register() -> Instruments {
        Instruments::register_against(Recorder::Global)
    }

    /// [`Instruments::register`] against a recorder of the caller's
    /// (replay's `--prometheus` and `--emf` each have one): the counts made
    /// outside an invocation reach it as well as every other sink.
    pub fn register_local<R: metrics::Recorder>(recorder: &R) -> Instruments {
        metrics::with_local_recorder(recorder, || Instruments::register_against(Recorder::Local))
    }

    fn register_against(recorder: Recorder) -> Instruments {
        describe();
        calls::register_counters(recorder);
        budget::register(recorder);
        let decision = |o: Outcome| metrics::counter!(DECISIONS_TOTAL, "outcome" => o.code(), "reason" => o.reason());
        Instruments {
            handler: metrics::histogram!(HANDLER_SECONDS),
            extract: metrics::histogram!(EXTRACT_SECONDS),
            memo_lookup: metrics::histogram!(MEMO_LOOKUP_SECONDS),
            verify: metrics::histogram!(VERIFY_SECONDS),
            map: metrics::histogram!(MAP_SECONDS),
            allow: decision(Outcome::Decided(Decision::Allow)),
            deny: decision(Outcome::Decided(Decision::Deny)),
            unauthorized: Reject::ALL
                .iter()
                .map(|r| decision(Outcome::Unauthorized(*r)))
                .collect(),
            memo_hit: metrics::counter!(MEMO_TOTAL, "result" => "hit"),
            memo_miss: metrics::counter!(MEMO_TOTAL, "result" => "miss"),
            policy_hit: metrics::counter!(POLICY_MEMO_TOTAL, "result" => "hit"),
            policy_miss: metrics::counter!(POLICY_MEMO_TOTAL, "result" => "miss"),
            cold_start: metrics::counter!(COLD_STARTS_TOTAL),
            wrong_type_sources: metrics::counter!(SCOPE_SOURCE_WRONG_TYPE_TOTAL),
            overflow_route: metrics::counter!(POLICY_OVERFLOW_TOTAL, "action" => Overflow::Route.code()),
            overflow_unauthorized: metrics::counter!(POLICY_OVERFLOW_TOTAL, "action" => Overflow::Unauthorized.code()),
            inexact: metrics::counter!(POLICY_INEXACT_TOTAL),
        }
    }

    /// Counts the first invocation of an execution environment.
    pub fn cold_start(&self) {
        self.cold_start.increment(1);
    }

    /// Records one authorization: stage timings from `clock` and its outcome.
    pub fn record(&self, clock: &StageClock, outcome: Outcome) {
        let t = &clock.marks;
        self.handler.record(clock.elapsed(clock.done));
        if let Some(extracted) = t.extracted {
            self.extract.record(clock.elapsed(Some(extracted)));
            if let Some(looked_up) = t.memo_looked_up {
                self.memo_lookup.record(seconds(looked_up - extracted));
                if let Some(verified) = t.verified {
                    self.verify.record(seconds(verified - looked_up));
                    if let Some(mapped) = t.mapped {
                        self.map.record(seconds(mapped - verified));
                    }
                }
            }
        }
        match t.memo_hit {
            Some(true) => self.memo_hit.increment(1),
            Some(false) => self.memo_miss.increment(1),
            None => {}
        }
        if t.wrong_type_sources > 0 {
            self.wrong_type_sources
                .increment(u64::from(t.wrong_type_sources));
        }
        match t.policy_memo_hit {
            Some(true) => self.policy_hit.increment(1),
            Some(false) => self.policy_miss.increment(1),
            None => {}
        }
        if t.overflowed {
            match outcome {
                Outcome::Unauthorized(Reject::PolicyTooLarge) => {
                    self.overflow_unauthorized.increment(1);
                }
                _ => self.overflow_route.increment(1),
            }
        }
        if t.inexact {
            self.inexact.increment(1);
        }
        match outcome {
            Outcome::Decided(Decision::Allow) => self.allow.increment(1),
            Outcome::Decided(_) => self.deny.increment(1),
            Outcome::Unauthorized(reject) => {
                if let Some(c) = self.unauthorized.get(reject.index()) {
                    c.increment(1);
                }
            }
        }
    }
}
