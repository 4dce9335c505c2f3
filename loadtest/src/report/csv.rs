//! The report as CSV: a line per TTL, costs broken down.

use super::value::Report;
use std::fmt::Write as _;

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
}
