//! Saying when the budget is too small for the document: each time a
//! document is compiled (start-up, refresh), the policy of a token holding
//! every scope is rendered; past `SCOPEGATE_POLICY_MAX_BYTES` one WARN line
//! goes to stderr and `scopegate_policy_worst_case_over_budget_total`
//! counts it, through a handle telemetry registers once ([`register`]).

use super::Shape;
use crate::registered::{Recorder, Registered};
use metrics::Counter;

/// Documents compiled whose every-scope policy is over the budget.
pub const WORST_CASE_OVER_BUDGET_TOTAL: &str = "scopegate_policy_worst_case_over_budget_total";
/// Answers past the budget, by `action` (`route`, `unauthorized`).
pub const POLICY_OVERFLOW_TOTAL: &str = "scopegate_policy_overflow_total";

static OVER_BUDGET: Registered<Counter> = Registered::new();

/// Registers the counter against the current `metrics` recorder.
pub fn register(recorder: Recorder) {
    OVER_BUDGET.register(recorder, metrics::counter!(WORST_CASE_OVER_BUDGET_TOTAL));
}

/// The WARN line and the count for a document whose every-scope policy is
/// `bytes` long after compaction.
pub fn warn_worst_case(bytes: usize, shape: &Shape) {
    OVER_BUDGET.each(|counter| counter.increment(1));
    let routes = if shape.routes.is_some() {
        "compacted on SCOPEGATE_ROUTES"
    } else {
        "without SCOPEGATE_ROUTES, compacted only where exact for every request"
    };
    eprintln!(
        r#"{{"level":"WARN","timestamp":{},"message":"a token holding every scope gets a policy over the budget","policy_bytes":{bytes},"max_bytes":{},"compaction":"{routes}","overflow":"{}"}}"#,
        (crate::clock::now() * 1000.0) as u64,
        shape.max_bytes,
        shape.overflow.code(),
    );
}
