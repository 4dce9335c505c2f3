//! The `--summary` line (contract §5), with the floor fields beside it.

use super::floor;
use std::fmt::Write as _;

/// The `--summary` JSON line; percentiles are nearest-rank. With `floor`,
/// also the raw signature checks' total and median, the events/s they alone
/// would allow, and the handler's median per-block ratio to them (`vs_floor`).
pub(super) fn summary_line(
    name: &str,
    times: &[u64],
    total_ns: u64,
    warmup: usize,
    memo_hits: usize,
    mismatches: Option<usize>,
    floor: Option<&floor::Floor>,
) -> String {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[idx]
    };
    let events = times.len();
    let events_per_s = if total_ns > 0 {
        events as f64 * 1e9 / total_ns as f64
    } else {
        0.0
    };
    let mean = if events > 0 {
        times.iter().sum::<u64>() as f64 / events as f64
    } else {
        0.0
    };
    let mut line = String::new();
    let _ = write!(
        line,
        r#"{{"impl":{},"events":{events},"total_ns":{total_ns},"ns_per_event_median":{},"p99_ns":{},"events_per_s":{:.1},"mean_ns":{:.1},"warmup":{warmup},"memo_hits":{memo_hits}"#,
        serde_json::Value::String(name.to_string()),
        rank(0.5),
        rank(0.99),
        events_per_s,
        mean,
    );
    if let Some(m) = mismatches {
        let _ = write!(line, r#","mismatches":{m}"#);
    }
    if let Some(floor) = floor {
        let floor_events_per_s = if floor.total_ns > 0 {
            events as f64 * 1e9 / floor.total_ns as f64
        } else {
            0.0
        };
        let _ = write!(
            line,
            r#","floor_verified":{},"floor_total_ns":{},"floor_ns_median":{},"floor_events_per_s":{floor_events_per_s:.1},"vs_floor":{:.3},"vs_floor_caller":{:.3}"#,
            floor.verified, floor.total_ns, floor.median_ns, floor.ratio, floor.caller_ratio
        );
    }
    line.push('}');
    line
}
