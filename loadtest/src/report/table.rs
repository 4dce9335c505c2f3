//! The terminal table: one line per TTL, right-aligned columns.

use super::{Report, dollars, thousands, ttl_label};
use std::fmt::Write as _;

const HEADERS: [&str; 11] = [
    "TTL",
    "requests",
    "invocations",
    "hit ratio",
    "cold starts",
    "added p50",
    "added p99",
    "authorizer $/mo",
    "exposed req",
    "exposed tokens",
    "longest exposure",
];

/// Renders the report as an aligned text table followed by the recommendation.
pub fn render(report: &Report) -> String {
    let cells: Vec<[String; 11]> = report
        .rows
        .iter()
        .map(|r| {
            [
                ttl_label(r.ttl_seconds),
                thousands(r.requests),
                thousands(r.invocations),
                format!("{:.1}%", r.hit_ratio * 100.0),
                thousands(r.cold_starts),
                format!("{:.2} ms", r.added_latency_p50_ms),
                format!("{:.2} ms", r.added_latency_p99_ms),
                dollars(r.cost_per_month.authorizer),
                thousands(r.exposed_requests),
                thousands(r.exposed_tokens),
                format!("{:.1} s", r.longest_exposure_seconds),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[String]| {
        let parts: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&mut out, &HEADERS.map(String::from));
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    line(&mut out, &rule);
    for row in &cells {
        line(&mut out, row);
    }
    let s = &report.scenario;
    if let Some(first) = report.rows.first() {
        let _ = writeln!(
            out,
            "\nAPI Gateway requests cost {}/month at every TTL; the cache is free.",
            dollars(first.cost_per_month.api_gateway)
        );
    }
    let _ = writeln!(
        out,
        "Costs: {} MB {} Lambda, EMF {}, scaled from {} s to a 730-hour month.",
        s.lambda.memory_mb, s.lambda.architecture, s.telemetry.emf_flush, s.duration_seconds
    );
    let _ = writeln!(
        out,
        "Recommendation ({}; exposure budget {} s): {}",
        report.recommendation.efficiency_target,
        report.recommendation.exposure_budget_seconds,
        report.recommendation.summary
    );
    out
}
