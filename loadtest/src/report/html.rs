//! The one-page HTML report: the recommendation, the table, the measured
//! inputs and the charts inline, so the page is a single file to share.

use super::svg::Charts;
use super::{Report, dollars, thousands, ttl_label};
use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn page(report: &Report, charts: &Charts) -> String {
    let s = &report.scenario;
    let m = &report.measured_handler;
    let mut rows = String::new();
    for r in &report.rows {
        let recommended = report.recommendation.ttl == Some(r.ttl_seconds);
        let _ = writeln!(
            rows,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            if recommended { " class=\"rec\"" } else { "" },
            ttl_label(r.ttl_seconds),
            thousands(r.requests),
            thousands(r.invocations),
            r.hit_ratio * 100.0,
            thousands(r.cold_starts),
            r.added_latency_p50_ms,
            r.added_latency_p99_ms,
            dollars(r.cost_per_month.authorizer),
            thousands(r.exposed_requests),
            thousands(r.exposed_tokens),
            r.longest_exposure_seconds
        );
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>scopegate TTL lab — {name}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; max-width: 900px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ padding: 4px 8px; text-align: right; border-bottom: 1px solid #ddd; }}
tr.rec {{ background: #e3f4e1; font-weight: bold; }}
.answer {{ font-size: 18px; padding: 12px; background: #f4f7fb; border-left: 4px solid #1f4e9c; }}
.note {{ color: #555; font-size: 13px; }}
</style></head><body>
<h1>Which authorizer cache TTL? — scenario <code>{name}</code></h1>
<p>{description}</p>
<p class="answer">{summary}</p>
<p class="note">Efficiency target: {target}. Exposure budget: {budget} s (longest time the cache may answer for a token after it expired or was revoked).</p>
<h2>Per TTL</h2>
<table>
<tr><th>TTL</th><th>requests</th><th>invocations</th><th>hit ratio</th><th>cold starts</th><th>added p50 ms</th><th>added p99 ms</th><th>authorizer $/month</th><th>exposed requests</th><th>exposed tokens</th><th>longest exposure s</th></tr>
{rows}</table>
<p class="note">Simulated {duration} s of traffic ({users} users) per TTL and scaled to a 730-hour month; {memory} MB {arch} Lambda; EMF flush {emf}. API Gateway's own request charge is the same at every TTL.</p>
<h2>Charts</h2>
{cost}
{exposure}
{hit_latency}
<h2>Measured, not assumed</h2>
<ul>
<li>Handler, new token: p50 {new50:.1} µs, p99 {new99:.1} µs ({newn} samples)</li>
<li>Handler, repeated token (verified-token memo): p50 {rep50:.2} µs, p99 {rep99:.2} µs ({repn} samples)</li>
<li>Handler, invalid token: p50 {inv50:.1} µs, p99 {inv99:.1} µs ({invn} samples)</li>
<li>INIT (process start to authorizer ready): p50 {init50:.1} ms ({initn} runs)</li>
<li>Simulator: {simreq} requests at {simrate:.1} million per second per core</li>
</ul>
<p class="note">Assumptions you should set from your own traces: invoke overhead {overhead} ms per authorizer call, unbilled sandbox start {platform} ms per cold start, environments reclaimed after {idle} s idle.</p>
</body></html>
"#,
        name = escape(&s.name),
        description = escape(&s.description),
        summary = escape(&report.recommendation.summary),
        target = escape(&report.recommendation.efficiency_target),
        budget = report.recommendation.exposure_budget_seconds,
        duration = s.duration_seconds,
        users = thousands(s.users.count as u64),
        memory = s.lambda.memory_mb,
        arch = escape(&s.lambda.architecture),
        emf = escape(&s.telemetry.emf_flush),
        cost = charts.cost,
        exposure = charts.exposure,
        hit_latency = charts.hit_latency,
        new50 = m.new_token.p50_us,
        new99 = m.new_token.p99_us,
        newn = m.new_token.samples,
        rep50 = m.repeat_token.p50_us,
        rep99 = m.repeat_token.p99_us,
        repn = m.repeat_token.samples,
        inv50 = m.invalid_token.p50_us,
        inv99 = m.invalid_token.p99_us,
        invn = m.invalid_token.samples,
        init50 = m.init.p50_us / 1000.0,
        initn = m.init.samples,
        simreq = thousands(report.simulator.requests_simulated),
        simrate = report.simulator.requests_per_second_per_core / 1e6,
        overhead = s.lambda.invoke_overhead_ms,
        platform = s.lambda.platform_cold_start_ms,
        idle = s.lambda.idle_expiry_seconds,
    )
}
