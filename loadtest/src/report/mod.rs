//! The sweep's results as one value, and its renderings: the terminal
//! table, CSV and JSON files, SVG charts and a one-page HTML report.

pub mod html;
pub mod svg;
pub mod table;

use crate::cost::{Monthly, Prices};
use crate::measure::quantile;
use crate::recommend::Recommendation;
pub use crate::runs::SimulatorSpeed;
use crate::scenario::Scenario;
use crate::sim::{Durations, Outcome};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

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

/// The files written to the report directory, in writing order.
pub const FILES: [&str; 6] = [
    "report.csv",
    "report.json",
    "cost.svg",
    "exposure.svg",
    "hit-latency.svg",
    "index.html",
];

impl Report {
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "ttl_seconds,requests,invocations,cache_hits,hit_ratio,unauthorized,cold_starts,peak_concurrency,added_latency_mean_ms,added_latency_p50_ms,added_latency_p99_ms,added_latency_p999_ms,authorizer_cost_per_month_usd,lambda_requests_usd,lambda_duration_usd,logs_usd,log_storage_usd,custom_metrics_usd,api_gateway_usd,exposed_requests,exposed_tokens,exposed_by_function,longest_exposure_seconds,throttled,introspections\n",
        );
        for r in &self.rows {
            let c = &r.cost_per_month;
            let _ = writeln!(
                out,
                "{},{},{},{},{:.6},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.2},{},{},{},{:.3},{},{}",
                r.ttl_seconds,
                r.requests,
                r.invocations,
                r.cache_hits,
                r.hit_ratio,
                r.unauthorized,
                r.cold_starts,
                r.peak_concurrency,
                r.added_latency_mean_ms,
                r.added_latency_p50_ms,
                r.added_latency_p99_ms,
                r.added_latency_p999_ms,
                c.authorizer,
                c.lambda_requests,
                c.lambda_duration,
                c.logs,
                c.log_storage,
                c.custom_metrics,
                c.api_gateway,
                r.exposed_requests,
                r.exposed_tokens,
                r.exposed_by_function,
                r.longest_exposure_seconds,
                r.throttled,
                r.introspections
            );
        }
        out
    }

    /// Writes every file of [`FILES`] into `dir`, creating it.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let charts = svg::charts(self);
        let contents = [
            self.csv(),
            json,
            charts.cost.clone(),
            charts.exposure.clone(),
            charts.hit_latency.clone(),
            html::page(self, &charts),
        ];
        for (name, body) in FILES.iter().zip(contents) {
            let path = dir.join(name);
            std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// A TTL as people write it: 0 s, 15 s, 5 min, 1 h.
pub fn ttl_label(ttl: f64) -> String {
    if ttl >= 3600.0 && ttl % 3600.0 == 0.0 {
        format!("{} h", ttl / 3600.0)
    } else if ttl >= 60.0 && ttl % 60.0 == 0.0 {
        format!("{} min", ttl / 60.0)
    } else {
        format!("{ttl} s")
    }
}

/// A count with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money at a precision that fits its size.
pub fn dollars(x: f64) -> String {
    if x == 0.0 {
        "$0".to_string()
    } else if x >= 100.0 {
        format!("${x:.0}")
    } else if x >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(ttl_label(0.0), "0 s");
        assert_eq!(ttl_label(15.0), "15 s");
        assert_eq!(ttl_label(300.0), "5 min");
        assert_eq!(ttl_label(90.0), "90 s");
        assert_eq!(ttl_label(3600.0), "1 h");
        assert_eq!(thousands(7_200_000), "7,200,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(dollars(1234.5), "$1234");
        assert_eq!(dollars(12.345), "$12.35");
        assert_eq!(dollars(0.1234), "$0.123");
    }
}
