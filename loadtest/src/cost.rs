//! What a TTL costs per month, from list prices. Every price lives here,
//! once, with where it comes from; they are us-east-1 on-demand prices on
//! the date in the comment and can be overridden from the command line.

use crate::scenario::Scenario;
use crate::sim::Outcome;
use serde::Serialize;

/// AWS's own monthly convention (730 hours), used by its pricing calculator.
pub const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

#[derive(Debug, Clone, Serialize)]
pub struct Prices {
    /// USD per Lambda request. https://aws.amazon.com/lambda/pricing/ —
    /// "$0.20 per 1M requests" (checked 2026-11).
    pub lambda_per_request: f64,
    /// USD per GB-second, x86_64, first tier: "$0.0000166667 for every GB-second".
    pub lambda_gb_second_x86_64: f64,
    /// USD per GB-second, arm64 (Graviton), first tier: "$0.0000133334 for every GB-second".
    pub lambda_gb_second_arm64: f64,
    /// USD per REST API request, first 333 million per month:
    /// https://aws.amazon.com/api-gateway/pricing/ — "$3.50 per million".
    /// The authorizer cache itself is free; this is the same for every TTL.
    pub api_gateway_per_request: f64,
    /// USD per GB of CloudWatch Logs ingested (Standard class):
    /// https://aws.amazon.com/cloudwatch/pricing/ — "$0.50 per GB".
    pub logs_per_gb: f64,
    /// Bytes Lambda's platform writes per invocation: its START, END and
    /// REPORT lines, estimated from their documented formats at about
    /// 90 + 60 + 180 bytes (REPORT grows when it carries Init Duration).
    pub platform_log_bytes: f64,
    /// EMF bytes one invocation writes in per-invocation mode: measured
    /// with `scopegate replay --emf` on the peers' 20,000-event unique
    /// fixture (26,448,551 bytes, 3.6 documents per invocation;
    /// BENCHMARKS.md). Override with `--emf-document-bytes`.
    pub emf_document_bytes: f64,
    /// Bytes per invocation in aggregated mode beyond one document per
    /// flush: the same replay wrote 1,673,881 bytes flushing every 100
    /// invocations, 83.7 per invocation, of which 13.2 is the per-flush share.
    pub emf_value_bytes: f64,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            lambda_per_request: 0.20 / 1e6,
            lambda_gb_second_x86_64: 0.000_016_666_7,
            lambda_gb_second_arm64: 0.000_013_333_4,
            api_gateway_per_request: 3.50 / 1e6,
            logs_per_gb: 0.50,
            platform_log_bytes: 330.0,
            emf_document_bytes: 1320.0,
            emf_value_bytes: 70.0,
        }
    }
}

/// Monthly cost of one TTL, in USD, split by what is billed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Monthly {
    pub lambda_requests: f64,
    /// Billed handler duration plus billed INIT (Lambda bills INIT for every
    /// runtime since 2025-08-01, and always did for custom runtimes).
    pub lambda_duration: f64,
    pub logs: f64,
    /// The authorizer's share: requests + duration + logs.
    pub authorizer: f64,
    /// API Gateway requests: the same at every TTL, for scale.
    pub api_gateway: f64,
}

impl Prices {
    pub fn monthly(&self, scenario: &Scenario, outcome: &Outcome) -> Monthly {
        let scale = SECONDS_PER_MONTH / scenario.duration_seconds;
        let gb = f64::from(scenario.lambda.memory_mb) / 1024.0;
        let per_gb_second = if scenario.lambda.architecture == "arm64" {
            self.lambda_gb_second_arm64
        } else {
            self.lambda_gb_second_x86_64
        };
        let invocations = outcome.invocations as f64;
        let billed_seconds = (outcome.billed_ms + outcome.init_billed_ms) as f64 / 1000.0;
        let emf_bytes = if scenario.telemetry.emf_flush == "aggregated" {
            invocations * self.emf_value_bytes
                + (invocations / f64::from(scenario.telemetry.aggregate_every)).ceil()
                    * self.emf_document_bytes
        } else {
            invocations * self.emf_document_bytes
        };
        let log_bytes = invocations * self.platform_log_bytes + emf_bytes;
        let lambda_requests = invocations * self.lambda_per_request * scale;
        let lambda_duration = billed_seconds * gb * per_gb_second * scale;
        let logs = log_bytes / 1e9 * self.logs_per_gb * scale;
        Monthly {
            lambda_requests,
            lambda_duration,
            logs,
            authorizer: lambda_requests + lambda_duration + logs,
            api_gateway: outcome.requests as f64 * self.api_gateway_per_request * scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Durations, Model, Simulator};
    use crate::traffic::Event;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn a_month_of_one_invocation_per_second() {
        // One hour of one request per second, TTL 0: 3,600 invocations of
        // 1 ms at 128 MB on arm64, scaled to 730 hours.
        let mut scenario = Scenario::default_scenario();
        scenario.duration_seconds = 3600.0;
        // Per-invocation EMF: every invocation's documents are priced.
        scenario.telemetry.emf_flush = "per-invocation".into();
        let model = Model {
            ttl: 0.0,
            lifetime: 1e9,
            refresh_skew: 0.0,
            late_refresh_fraction: 0.0,
            idle_expiry: 1e9,
            invoke_overhead: 0.0,
            platform_cold_start: 0.0,
            fresh_sessions: true,
        };
        let durations = Durations::constant(0.0005, 0.0);
        let trace = (0..3600).map(|i| Event::Request {
            t: f64::from(i),
            user: 0,
            invalid: false,
        });
        let outcome = Simulator::new(model, 1, &durations, 1).run(trace, &AtomicU64::new(0));
        let m = Prices::default().monthly(&scenario, &outcome);
        let invocations = 3600.0 * 730.0;
        assert!((m.lambda_requests - invocations * 0.2e-6).abs() < 1e-9);
        // 1 ms billed each (+1 ms INIT once), 0.125 GB.
        let expected = (invocations + 730.0) * 0.001 * 0.125 * 0.000_013_333_4;
        assert!(
            (m.lambda_duration - expected).abs() < 1e-9,
            "{}",
            m.lambda_duration
        );
        let log_gb = invocations * (330.0 + 1320.0) / 1e9;
        assert!((m.logs - log_gb * 0.5).abs() < 1e-9);
        assert!((m.authorizer - (m.lambda_requests + m.lambda_duration + m.logs)).abs() < 1e-12);
        assert!((m.api_gateway - invocations * 3.5e-6).abs() < 1e-9);
    }
}
