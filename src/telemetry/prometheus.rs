//! The Prometheus sink, for `replay --metrics` and the lab's emulator:
//! stage timings as real histograms (buckets, so `histogram_quantile`
//! works on a dashboard), counters as `_total`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// Bucket bounds for stage timings, in seconds: 250 ns to 1 s. The
/// interesting range is 0.3–100 µs (memo hits to signature checks).
pub const SECONDS_BUCKETS: [f64; 16] = [
    0.000_000_25,
    0.000_000_5,
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.005,
    0.025,
    0.1,
    1.0,
];

/// A recorder that is not installed globally: the caller decides where it
/// applies (`metrics::with_local_recorder`) and renders it with `handle()`.
pub fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), &SECONDS_BUCKETS)
        .map_or_else(
            |_| PrometheusBuilder::new().build_recorder(),
            metrics_exporter_prometheus::PrometheusBuilder::build_recorder,
        )
}
