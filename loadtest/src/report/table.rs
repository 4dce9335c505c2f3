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
    let floor = report.recommendation.function_exposure_seconds;
    let _ = writeln!(
        out,
        "Exposure includes the function's own: up to {floor} s after a revocation at any TTL ({}).",
        if s.authorizer.mode == "jwt" {
            "mode jwt sees no revocation: a revoked token lives until its exp".to_string()
        } else {
            format!(
                "its introspection cache, {} s",
                s.authorizer.introspection_cache_seconds
            )
        }
    );
    let _ = writeln!(
        out,
        "For comparison, API Gateway's native REST JWT authorizer: no Lambda cost (its price is not published), no revocation — a revoked token is accepted until its exp, up to {} s.",
        s.tokens.lifetime_seconds
    );
    let keyed = &report.route_key;
    let ratios: Vec<String> = report
        .rows
        .iter()
        .zip(&keyed.hit_ratio)
        .map(|(r, h)| format!("{} {:.1}%", ttl_label(r.ttl_seconds), h * 100.0))
        .collect();
    let _ = writeln!(
        out,
        "Keyed per route (token, method, path; {} paths), as a per-route answer must be: hit ratio {}.",
        keyed.paths,
        ratios.join(", ")
    );
    let v = &report.verified_permissions;
    let _ = writeln!(
        out,
        "Amazon Verified Permissions quick start (per-path key, TTL {} s): hit ratio {:.1}%, {} IsAuthorizedWithToken calls/month {} + Lambda at least {} = {}/month; {:.0} misses/s at the peak against the 200/s default quota{}.",
        v.ttl_seconds,
        v.hit_ratio * 100.0,
        thousands(v.authorizations_per_month as u64),
        dollars(v.authorizations_usd),
        dollars(v.lambda_usd),
        dollars(v.total_usd),
        v.peak_misses_per_second,
        if v.throttled_share_at_peak > 0.0 {
            format!(
                " ({:.0}% of them throttled, answered Deny)",
                v.throttled_share_at_peak * 100.0
            )
        } else {
            String::new()
        }
    );
    if !report.policy_sizes.is_empty() {
        let sizes: Vec<String> = report
            .policy_sizes
            .iter()
            .map(|p| {
                let name = if p.scopes == "*" {
                    "every scope"
                } else {
                    &p.scopes
                };
                let route = if p.per_route { ", per route" } else { "" };
                format!("{name} {} B{route}", p.complete_bytes)
            })
            .collect();
        let _ = writeln!(out, "Policy sizes (policyDocument): {}.", sizes.join("; "));
    }
    render_partitions(&mut out, report);
    out
}

/// N, hit ratio, cost, recommended TTL, and the summary when it is not the scenario's own.
type StudyLine<'a> = (u32, f64, f64, Option<f64>, Option<&'a str>);

/// The sweep at other cache partition counts, at the recommended TTL (or
/// the one nearest 60 s), saying when the verdict changes.
fn render_partitions(out: &mut String, report: &Report) {
    if report.partitions.is_empty() || report.rows.is_empty() {
        return;
    }
    let ttls: Vec<f64> = report.rows.iter().map(|r| r.ttl_seconds).collect();
    let at = report
        .recommendation
        .ttl
        .and_then(|t| ttls.iter().position(|&x| x == t))
        .unwrap_or_else(|| {
            (0..ttls.len())
                .min_by(|&a, &b| (ttls[a] - 60.0).abs().total_cmp(&(ttls[b] - 60.0).abs()))
                .unwrap_or(0)
        });
    let s = &report.scenario;
    let label = ttl_label(ttls[at]);
    let _ = writeln!(
        out,
        "\nCache partitions (AWS documents no cache topology; this scenario: {} {}, {} authorizer(s)), at TTL {label}:",
        s.gateway.cache_partitions, s.gateway.routing, s.gateway.authorizers
    );
    let mine = (
        s.gateway.cache_partitions,
        report.rows[at].hit_ratio,
        report.rows[at].cost_per_month.authorizer,
        report.recommendation.ttl,
    );
    let mut lines: Vec<StudyLine<'_>> = vec![(mine.0, mine.1, mine.2, mine.3, None)];
    for p in &report.partitions {
        lines.push((
            p.cache_partitions,
            p.hit_ratio.get(at).copied().unwrap_or(0.0),
            p.authorizer_cost.get(at).copied().unwrap_or(0.0),
            p.recommended_ttl,
            Some(p.summary.as_str()),
        ));
    }
    lines.sort_by_key(|l| l.0);
    for (n, hit, cost, ttl, summary) in lines {
        let verdict = match (summary, ttl == report.recommendation.ttl) {
            (None, _) => "(this scenario)".to_string(),
            (Some(_), true) => "same verdict".to_string(),
            (Some(summary), false) => format!("VERDICT CHANGES: {summary}"),
        };
        let _ = writeln!(
            out,
            "  N = {n:>2}: hit ratio {:>5.1}%, authorizer {:>8}/mo; {verdict}",
            hit * 100.0,
            dollars(cost)
        );
    }
}
