//! The sweep's results as one value: a row per TTL, the measured handler,
//! the recommendation and the studies beside it.

use crate::cost::{Monthly, Prices};
use crate::measure::quantile;
use crate::recommend::Recommendation;
use crate::runs::SimulatorSpeed;
use crate::scenario::Scenario;
use crate::sim::{Durations, Outcome};
use serde::Serialize;

/// One TTL's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub ttl_seconds: f64,
    pub requests: u64,
    pub invocations: u64,
    pub cache_hits: u64,
    pub hit_ratio: f64,
    pub unauthorized: u64,
    pub cold_starts: u64,
    pub peak_concurrency: usize,
    pub added_latency_mean_ms: f64,
    pub added_latency_p50_ms: f64,
    pub added_latency_p99_ms: f64,
    pub added_latency_p999_ms: f64,
    pub cost_per_month: Monthly,
    pub exposed_requests: u64,
    pub exposed_tokens: u64,
    /// Exposed requests the function itself allowed (no TTL removes them).
    pub exposed_by_function: u64,
    pub longest_exposure_seconds: f64,
    pub throttled: u64,
    pub introspections: u64,
}

impl Row {
    pub fn new(outcome: &Outcome, cost: Monthly) -> Row {
        Row {
            ttl_seconds: outcome.ttl,
            requests: outcome.requests,
            invocations: outcome.invocations,
            cache_hits: outcome.cache_hits,
            hit_ratio: outcome.hit_ratio(),
            unauthorized: outcome.unauthorized,
            cold_starts: outcome.cold_starts,
            peak_concurrency: outcome.peak_concurrency,
            added_latency_mean_ms: outcome.added_latency_us.mean() / 1000.0,
            added_latency_p50_ms: outcome.latency_ms(0.5),
            added_latency_p99_ms: outcome.latency_ms(0.99),
            added_latency_p999_ms: outcome.latency_ms(0.999),
            cost_per_month: cost,
            exposed_requests: outcome.exposure.requests,
            exposed_tokens: outcome.exposure.tokens,
            exposed_by_function: outcome.exposure.by_function,
            longest_exposure_seconds: outcome.exposure.longest_seconds,
            throttled: outcome.throttled,
            introspections: outcome.introspections,
        }
    }
}

/// Quantiles of one measured duration class, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
}

impl Measured {
    pub fn of(samples: &[f64]) -> Measured {
        Measured {
            samples: samples.len(),
            p50_us: quantile(samples, 0.5) * 1e6,
            p99_us: quantile(samples, 0.99) * 1e6,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MeasuredHandler {
    pub new_token: Measured,
    pub repeat_token: Measured,
    pub invalid_token: Measured,
    pub init: Measured,
}

impl MeasuredHandler {
    pub fn of(d: &Durations) -> MeasuredHandler {
        MeasuredHandler {
            new_token: Measured::of(&d.new_token),
            repeat_token: Measured::of(&d.repeat_token),
            invalid_token: Measured::of(&d.invalid_token),
            init: Measured::of(&d.init),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    pub measured_handler: MeasuredHandler,
    pub prices: Prices,
    pub rows: Vec<Row>,
    pub recommendation: Recommendation,
    /// The same sweep with the cache split into other partition counts.
    pub partitions: Vec<PartitionStudy>,
    pub simulator: SimulatorSpeed,
    /// The policies the lab's users get, as measured.
    pub policy_sizes: Vec<crate::measure::PolicySize>,
    /// The sweep with the cache keyed per route (token, method, path).
    pub route_key: crate::alternatives::RouteKeyStudy,
    /// Amazon Verified Permissions' quick start on the same traffic.
    pub verified_permissions: crate::alternatives::VerifiedPermissions,
}

/// The sweep at one `gateway.cache_partitions`: what moves with N.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionStudy {
    pub cache_partitions: u32,
    /// Hit ratio at each TTL of the sweep, in its order.
    pub hit_ratio: Vec<f64>,
    /// Authorizer cost per month at each TTL.
    pub authorizer_cost: Vec<f64>,
    pub recommended_ttl: Option<f64>,
    pub summary: String,
}
