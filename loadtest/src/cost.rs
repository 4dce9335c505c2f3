//! What a TTL costs per month, from list prices. Every price lives here,
//! once, with where it comes from; they are us-east-1 on-demand prices on
//! the date in the comment (tiers are per account and region per month, so
//! a function sharing an account with others is billed at the others'
//! tier too — the lab prices it alone).

use crate::scenario::Scenario;
use crate::sim::Outcome;
use serde::Serialize;

/// AWS's own monthly convention (730 hours), used by its pricing calculator.
pub const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

/// Amazon Verified Permissions `IsAuthorizedWithToken`: "$0.000005 per
/// single authorization request" ($5 per million; it was $0.00015) —
/// aws.amazon.com/verified-permissions/pricing/ (checked 2026-12).
pub const AVP_PRICE_PER_AUTHORIZATION: f64 = 0.000_005;
/// `IsAuthorized` / `IsAuthorizedWithToken`: 200 requests per second per
/// account and region by default (raised from 30 on 2024-03-11), adjustable —
/// docs.aws.amazon.com/verifiedpermissions/latest/userguide/quotas.html.
pub const AVP_QUOTA_PER_SECOND: f64 = 200.0;
/// The Verified Permissions quick start's authorizer cache TTL (keyed by
/// `Authorization`, `$context.httpMethod`, `$context.path`) — API Gateway
/// developer guide, apigateway-lambda-authorizer-verified-permissions.html.
pub const AVP_QUICK_START_TTL: f64 = 120.0;
/// One `IsAuthorizedWithToken` round trip from Lambda in the same region:
/// an assumption (not measured here), like the introspection round trip.
pub const AVP_ROUND_TRIP_MS: f64 = 30.0;

/// A tiered price: `(width of the tier, price per unit)`, cheapest last.
pub type Tiers = &'static [(f64, f64)];

/// Cost of `quantity` units under `tiers`.
pub fn tiered(quantity: f64, tiers: Tiers) -> f64 {
    let mut left = quantity.max(0.0);
    let mut cost = 0.0;
    for &(width, price) in tiers {
        let here = left.min(width);
        cost += here * price;
        left -= here;
        if left <= 0.0 {
            break;
        }
    }
    cost
}

/// REST API requests, per request: "$3.50 per million for the first 333
/// million, $2.80 for the next 667 million, $2.38 for the next 19 billion,
/// $1.51 over 20 billion" — AWS whitepaper "Best practices for API Gateway
/// private APIs integration", cost optimization (checked 2026-12).
pub const API_GATEWAY_REST: Tiers = &[
    (333e6, 3.50e-6),
    (667e6, 2.80e-6),
    (19e9, 2.38e-6),
    (f64::INFINITY, 1.51e-6),
];

/// Logs Lambda sends, per GB ingested (Standard class): tiered since
/// 2025-05-01 from $0.50. The boundaries (10 TB, next 20 TB, next 20 TB)
/// are inferred from Duckbill Group's worked example (60 TB: $12,500), not
/// read from AWS.
pub const LAMBDA_LOGS_PER_GB: Tiers = &[
    (10_000.0, 0.50),
    (20_000.0, 0.25),
    (20_000.0, 0.10),
    (f64::INFINITY, 0.05),
];

/// Custom metrics, per metric-month: $0.30 for the first 10,000, $0.10 for
/// the next 240,000, $0.05 for the next 750,000, $0.02 above — CloudWatch
/// pricing as quoted by nishinoshake/aws-rough#37 (checked 2026-12). Each
/// metric name with one combination of dimension values is one metric.
pub const CUSTOM_METRICS: Tiers = &[
    (10_000.0, 0.30),
    (240_000.0, 0.10),
    (750_000.0, 0.05),
    (f64::INFINITY, 0.02),
];

/// Lambda duration per GB-second, x86_64: $0.0000166667 for the first 6 B
/// GB-s a month, $0.000015 for the next 9 B, $0.0000133334 above —
/// https://aws.amazon.com/lambda/pricing/ (AWS Compute blog "Introducing
/// tiered pricing for AWS Lambda"; checked 2026-11).
pub const LAMBDA_GB_SECOND_X86_64: Tiers = &[
    (6e9, 0.000_016_666_7),
    (9e9, 0.000_015),
    (f64::INFINITY, 0.000_013_333_4),
];

/// arm64: $0.0000133334 for the first 7.5 B GB-s, $0.0000120001 for the
/// next 11.25 B (same sources); the tier above 18.75 B is not in the
/// stored excerpt and is priced at the last known one (an overestimate).
pub const LAMBDA_GB_SECOND_ARM64: Tiers =
    &[(7.5e9, 0.000_013_333_4), (f64::INFINITY, 0.000_012_000_1)];

/// The always-free tiers (subtracted only with `billing.free_tier`):
/// Lambda 1 M requests and 400,000 GB-s, CloudWatch 5 GB of logs and 10
/// metrics a month (Lambda and CloudWatch pricing pages).
pub const FREE_LAMBDA_REQUESTS: f64 = 1e6;
pub const FREE_LAMBDA_GB_SECONDS: f64 = 400_000.0;
pub const FREE_LOG_GB: f64 = 5.0;
pub const FREE_METRICS: f64 = 10.0;

#[derive(Debug, Clone, Serialize)]
pub struct Prices {
    /// USD per Lambda request. https://aws.amazon.com/lambda/pricing/ —
    /// "$0.20 per 1M requests" (checked 2026-11).
    pub lambda_per_request: f64,
    /// USD per GB-month of archived logs: "$0.03 per GB" (CloudWatch
    /// pricing). Priced on bytes as ingested; CloudWatch measures archived
    /// data compressed, so this is an upper bound.
    pub log_storage_per_gb_month: f64,
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
    /// Custom metrics the function can emit: the series its EMF registry
    /// holds ([`emitted_series`]); 0 leaves metrics out of the bill.
    pub metric_series: usize,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            lambda_per_request: 0.20 / 1e6,
            log_storage_per_gb_month: 0.03,
            platform_log_bytes: 330.0,
            emf_document_bytes: 1320.0,
            emf_value_bytes: 70.0,
            metric_series: 0,
        }
    }
}

/// The series scopegate's EMF recorder registers at start-up, counted on a
/// local recorder: every one of them is a billable custom metric in any
/// month it is written (the per-reason decision counters only when that
/// reason occurs, so this is the most a month can bill). It re-registers
/// the outbound-call counters of this process, so `sweep` calls it once
/// its measurements are done.
pub fn emitted_series() -> usize {
    let recorder = scopegate::telemetry::emf_recorder();
    metrics::with_local_recorder(&recorder, || {
        let _ = scopegate::telemetry::Instruments::register();
    });
    recorder.series()
}

/// Monthly cost of one TTL, in USD, split by what is billed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Monthly {
    pub lambda_requests: f64,
    /// Billed handler duration plus billed INIT (Lambda bills INIT for every
    /// runtime since 2025-08-01, and always did for custom runtimes).
    pub lambda_duration: f64,
    /// Logs ingested (platform lines and EMF).
    pub logs: f64,
    /// Those logs kept for the retention period.
    pub log_storage: f64,
    /// EMF custom metrics: the same at every TTL that invokes at all.
    pub custom_metrics: f64,
    /// The authorizer's share: everything above.
    pub authorizer: f64,
    /// API Gateway requests: the same at every TTL, for scale.
    pub api_gateway: f64,
}

impl Prices {
    pub fn monthly(&self, scenario: &Scenario, outcome: &Outcome) -> Monthly {
        let scale = SECONDS_PER_MONTH / scenario.duration_seconds;
        let free = scenario.billing.free_tier;
        let less_free = |quantity: f64, allowance: f64| {
            if free {
                (quantity - allowance).max(0.0)
            } else {
                quantity
            }
        };
        let gb = f64::from(scenario.lambda.memory_mb) / 1024.0;
        let duration_tiers = if scenario.lambda.architecture == "arm64" {
            LAMBDA_GB_SECOND_ARM64
        } else {
            LAMBDA_GB_SECOND_X86_64
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
        let log_gb = (invocations * self.platform_log_bytes + emf_bytes) / 1e9 * scale;
        let lambda_requests =
            less_free(invocations * scale, FREE_LAMBDA_REQUESTS) * self.lambda_per_request;
        let gb_seconds = less_free(billed_seconds * gb * scale, FREE_LAMBDA_GB_SECONDS);
        let lambda_duration = tiered(gb_seconds, duration_tiers);
        let logs = tiered(less_free(log_gb, FREE_LOG_GB), LAMBDA_LOGS_PER_GB);
        // Steady state: `retention` days of ingestion are held at any time.
        let stored_gb = log_gb * f64::from(scenario.telemetry.log_retention_days) / (730.0 / 24.0);
        let log_storage = stored_gb * self.log_storage_per_gb_month;
        let series = if outcome.invocations == 0 {
            0.0
        } else {
            self.metric_series as f64
        };
        let custom_metrics = tiered(less_free(series, FREE_METRICS), CUSTOM_METRICS);
        Monthly {
            lambda_requests,
            lambda_duration,
            logs,
            log_storage,
            custom_metrics,
            authorizer: lambda_requests + lambda_duration + logs + log_storage + custom_metrics,
            api_gateway: tiered(outcome.requests as f64 * scale, API_GATEWAY_REST),
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
            ..Model::default()
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
        // 1 ms billed each, 0.125 GB; INIT (0 ms here) is billed jointly:
        // ceil(0 + 0.5 ms) adds nothing.
        let expected = invocations * 0.001 * 0.125 * 0.000_013_333_4;
        assert!(
            (m.lambda_duration - expected).abs() < 1e-9,
            "{}",
            m.lambda_duration
        );
        let log_gb = invocations * (330.0 + 1320.0) / 1e9;
        assert!((m.logs - log_gb * 0.5).abs() < 1e-9);
        // 30 days of 730/24 held, at $0.03.
        assert!((m.log_storage - log_gb * 30.0 / (730.0 / 24.0) * 0.03).abs() < 1e-9);
        assert_eq!(m.custom_metrics, 0.0, "no series configured");
        let parts = m.lambda_requests + m.lambda_duration + m.logs + m.log_storage;
        assert!((m.authorizer - parts).abs() < 1e-12);
        assert!((m.api_gateway - invocations * 3.5e-6).abs() < 1e-9);
    }

    #[test]
    fn tiers_are_applied_in_order() {
        // `steady` (2,000 req/s for 730 h: 5.256 B requests) costs about $13,162.
        let c = tiered(5.256e9, API_GATEWAY_REST);
        let expected = 333.0 * 3.5 + 667.0 * 2.8 + (5256.0 - 1000.0) * 2.38;
        assert!((c - expected).abs() < 1e-6, "{c}");
        assert!((c - 13_162.3).abs() < 1.0, "{c}");
        // 60 TB of Lambda logs: Duckbill's $12,500.
        assert!((tiered(60_000.0, LAMBDA_LOGS_PER_GB) - 12_500.0).abs() < 1e-6);
        assert_eq!(tiered(0.0, CUSTOM_METRICS), 0.0);
        assert!((tiered(48.0, CUSTOM_METRICS) - 14.4).abs() < 1e-9);
    }

    #[test]
    fn the_registry_counts_every_series_scopegate_can_emit() {
        // Histograms, decision reasons, memo results, outbound calls by
        // result: dozens, not a handful.
        let n = emitted_series();
        assert!((40..200).contains(&n), "{n}");
    }

    #[test]
    fn the_free_tier_is_subtracted_only_when_asked() {
        let mut scenario = Scenario::default_scenario();
        scenario.duration_seconds = SECONDS_PER_MONTH;
        let d = Durations::constant(0.0005, 0.0);
        let trace = (0..1000).map(|i| Event::Request {
            t: f64::from(i),
            user: 0,
            invalid: false,
        });
        let outcome = Simulator::new(Model::default(), 1, &d, 1).run(trace, &AtomicU64::new(0));
        let prices = Prices {
            metric_series: 12,
            ..Prices::default()
        };
        let paid = prices.monthly(&scenario, &outcome);
        assert!(paid.lambda_requests > 0.0 && paid.custom_metrics > 3.5);
        scenario.billing.free_tier = true;
        let free = prices.monthly(&scenario, &outcome);
        assert_eq!(
            (free.lambda_requests, free.lambda_duration, free.logs),
            (0.0, 0.0, 0.0)
        );
        assert!(
            (free.custom_metrics - 2.0 * 0.30).abs() < 1e-12,
            "12 - 10 free"
        );
    }
}
