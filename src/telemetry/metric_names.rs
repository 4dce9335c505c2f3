//! The name, unit and help text of every metric scopegate records: one
//! list the recorders, the dashboards and the tests read.

pub use crate::net::calls::{
    INTROSPECTIONS_TOTAL, JWKS_FETCHES_TOTAL, KEYS_RETIRED_TOTAL, PERMISSIONS_FETCHES_TOTAL,
};
pub use crate::policy::POLICY_INEXACT_TOTAL;
pub use crate::policy::budget::{POLICY_OVERFLOW_TOTAL, WORST_CASE_OVER_BUDGET_TOTAL};
use metrics::Unit;

/// Whole handler time per invocation (histogram).
pub const HANDLER_SECONDS: &str = "scopegate_handler_seconds";
/// Event parse and bearer extraction (histogram).
pub const EXTRACT_SECONDS: &str = "scopegate_extract_seconds";
/// Verified-token memo lookup (histogram).
pub const MEMO_LOOKUP_SECONDS: &str = "scopegate_memo_lookup_seconds";
/// Signature and claims check, memo misses (histogram).
pub const VERIFY_SECONDS: &str = "scopegate_verify_seconds";
/// Scopes to policy and response, memo misses (histogram).
pub const MAP_SECONDS: &str = "scopegate_map_seconds";
/// Decisions by `outcome` and `reason`.
pub const DECISIONS_TOTAL: &str = "scopegate_decisions_total";
/// Verified-token memo lookups by `result`.
pub const MEMO_TOTAL: &str = "scopegate_token_memo_total";
/// Policy memo lookups by `result`.
pub const POLICY_MEMO_TOTAL: &str = "scopegate_policy_memo_total";
/// First invocations of an execution environment.
pub const COLD_STARTS_TOTAL: &str = "scopegate_cold_starts_total";
/// Scope sources present in a token with a JSON type their format does not
/// read (contract §3a: they grant nothing; a rising count means an IdP or
/// mapping changed).
pub const SCOPE_SOURCE_WRONG_TYPE_TOTAL: &str = "scopegate_scope_source_wrong_type_total";

/// Every metric scopegate records, with its unit: the dashboards and the
/// tests read this list, so a metric cannot exist in one and not the other.
pub const METRICS: [(&str, Unit, &str); 17] = [
    (
        HANDLER_SECONDS,
        Unit::Seconds,
        "whole handler time per invocation",
    ),
    (
        EXTRACT_SECONDS,
        Unit::Seconds,
        "event parse and bearer extraction",
    ),
    (
        MEMO_LOOKUP_SECONDS,
        Unit::Seconds,
        "verified-token memo lookup",
    ),
    (
        VERIFY_SECONDS,
        Unit::Seconds,
        "signature and claims check (memo misses)",
    ),
    (
        MAP_SECONDS,
        Unit::Seconds,
        "scopes to policy and response (memo misses)",
    ),
    (
        DECISIONS_TOTAL,
        Unit::Count,
        "decisions by outcome and reason",
    ),
    (
        MEMO_TOTAL,
        Unit::Count,
        "verified-token memo lookups by result",
    ),
    (
        POLICY_MEMO_TOTAL,
        Unit::Count,
        "policy memo lookups by result",
    ),
    (
        COLD_STARTS_TOTAL,
        Unit::Count,
        "first invocation of an execution environment",
    ),
    (JWKS_FETCHES_TOTAL, Unit::Count, "JWKS fetches by result"),
    (
        SCOPE_SOURCE_WRONG_TYPE_TOTAL,
        Unit::Count,
        "scope sources of the wrong JSON type (granted nothing)",
    ),
    (
        INTROSPECTIONS_TOTAL,
        Unit::Count,
        "introspection calls by result",
    ),
    (
        KEYS_RETIRED_TOTAL,
        Unit::Count,
        "keys a refreshed JWKS no longer holds (their memo entries stop answering)",
    ),
    (
        PERMISSIONS_FETCHES_TOTAL,
        Unit::Count,
        "permissions document fetches by result (the first, at start, included)",
    ),
    (
        POLICY_OVERFLOW_TOTAL,
        Unit::Count,
        "answers whose complete policy was over SCOPEGATE_POLICY_MAX_BYTES, by action",
    ),
    (
        POLICY_INEXACT_TOTAL,
        Unit::Count,
        "answers per route because no complete policy is exact (a Cedar store's {param} routes)",
    ),
    (
        WORST_CASE_OVER_BUDGET_TOTAL,
        Unit::Count,
        "documents compiled whose every-scope policy is over SCOPEGATE_POLICY_MAX_BYTES",
    ),
];

/// Describes every metric (unit and help text) to the installed recorder.
pub fn describe() {
    for (name, unit, help) in METRICS {
        if unit == Unit::Seconds {
            metrics::describe_histogram!(name, unit, help);
        } else {
            metrics::describe_counter!(name, unit, help);
        }
    }
}
