//! `scopegate-lab calibrate`: the model fitted to a real API's access logs.
//! From the arrivals per principal and the authorizer's invocations at the
//! TTL in use, it measures the hit ratio and fits `cache_partitions` (the
//! split that, replaying exactly these arrivals, invokes as often as the
//! function was invoked), and writes a scenario that `sweep` takes.

use crate::access_log::{self, Arrival};
use crate::scenario::Scenario;
use crate::sim::{Durations, Limits, Model, Simulator, Topology};
use crate::traffic::Event;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

/// Fits the TTL lab's model to API Gateway access logs (the JSON format of
/// docs/src/lab.md) and writes a calibrated scenario for `sweep --scenario`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The stage's access log, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    access_log: String,
    /// The authorizer cache TTL the logged traffic ran with.
    #[arg(long, value_name = "SECONDS", value_parser = crate::arg_values::parse_ttl)]
    ttl: f64,
    /// The authorizer function's Invocations (Sum, period 60) for the same
    /// window, as `aws cloudwatch get-metric-statistics` prints it. Without
    /// it, invocations are counted from distinct authorizerRequestId values,
    /// which assumes API Gateway logs `-` there on a cache hit (undocumented).
    #[arg(long, value_name = "FILE")]
    invocations: Option<String>,
    /// Access-token lifetime of the IdP (tokens are not in the logs).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600.0)]
    token_lifetime: f64,
    /// Largest partition count tried.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = crate::arg_values::positive_count)]
    max_partitions: usize,
    /// Where the calibrated scenario goes.
    #[arg(long, value_name = "FILE", default_value = "calibrated.toml")]
    out: String,
}

/// The logged arrivals as the simulator's events, principals numbered by
/// first appearance; also the number of principals and the span in seconds.
pub fn events(arrivals: &[Arrival]) -> (Vec<Event>, usize, f64) {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let start = arrivals.first().map_or(0, |a| a.time_ms);
    let events = arrivals
        .iter()
        .map(|a| {
            let next = ids.len() as u32;
            let user = *ids.entry(a.principal.as_str()).or_insert(next);
            Event::Request {
                t: (a.time_ms - start) as f64 / 1000.0,
                user,
                invalid: false,
            }
        })
        .collect();
    let span = arrivals
        .last()
        .map_or(0.0, |a| (a.time_ms - start) as f64 / 1000.0);
    (events, ids.len(), span)
}

/// Invocations the cache model predicts for `events` at `ttl` with `n`
/// partitions under uniform routing, averaged over a few seeds.
pub fn predicted_invocations(
    events: &[Event],
    users: usize,
    ttl: f64,
    n: u32,
    lifetime: f64,
) -> f64 {
    let model = Model {
        ttl,
        lifetime,
        topology: Topology {
            partitions: n,
            ..Topology::ONE
        },
        introspection: None,
        limits: Limits::NONE,
        ..Model::default()
    };
    let durations = Durations::constant(0.000_05, 0.0);
    let seeds = [1_u64, 2, 3, 4];
    let total: u64 = seeds
        .iter()
        .map(|&seed| {
            Simulator::new(model.clone(), users, &durations, seed)
                .run(events.iter().copied(), &AtomicU64::new(0))
                .invocations
        })
        .sum();
    total as f64 / seeds.len() as f64
}

/// Zipf exponent by least squares of ln(count) on ln(rank).
fn zipf_exponent(events: &[Event], users: usize) -> f64 {
    let mut counts = vec![0_u64; users];
    for e in events {
        if let Event::Request { user, .. } = e {
            counts[*user as usize] += 1;
        }
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let points: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| (((i + 1) as f64).ln(), (*c as f64).ln()))
        .collect();
    if points.len() < 2 {
        return 0.0;
    }
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        (-sxy / sxx).max(0.0)
    }
}

/// Requests per second in equal bins over the span, as `[seconds, rps]` points.
fn rate_points(events: &[Event], span: f64) -> Vec<[f64; 2]> {
    let bins = 20_usize;
    let width = (span / bins as f64).max(1.0);
    let mut counts = vec![0_u64; (span / width).ceil() as usize + 1];
    let last = counts.len() - 1;
    for e in events {
        counts[((e.time() / width) as usize).min(last)] += 1;
    }
    counts.pop_if(|c| *c == 0);
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| [(i as f64 + 0.5) * width, *c as f64 / width])
        .collect()
}

pub fn main(args: &CalibrateArgs) -> Result<(), String> {
    let (arrivals, others) = access_log::read(&args.access_log)?;
    if arrivals.len() < 2 {
        return Err(format!(
            "{}: fewer than two requests with a principalId; nothing to calibrate on",
            args.access_log
        ));
    }
    let (events, users, span) = events(&arrivals);
    let first_minute = arrivals[0].time_ms / 60_000;
    let last_minute = arrivals[arrivals.len() - 1].time_ms / 60_000;
    let (observed, source) = if let Some(path) = &args.invocations {
        let per_minute = access_log::read_invocations(path)?;
        let sum: f64 = per_minute
            .range(first_minute..=last_minute)
            .map(|(_, n)| n)
            .sum();
        (sum, "CloudWatch Invocations (documented)")
    } else {
        let mut ids: Vec<&str> = arrivals
            .iter()
            .filter_map(|a| a.authorizer_request_id.as_deref())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        (
            ids.len() as f64,
            "distinct authorizerRequestId (assumes `-` on a cache hit: undocumented)",
        )
    };
    if observed <= 0.0 {
        return Err(
            "no authorizer invocations in the window: check --invocations covers the log's minutes"
                .into(),
        );
    }
    let requests = arrivals.len() as f64;
    println!(
        "{} requests with a principal ({} without), {users} principals, {span:.1} s; {observed} invocations from {source}",
        arrivals.len(),
        others
    );
    println!(
        "measured hit ratio at TTL {} s: {:.1}%",
        args.ttl,
        (1.0 - observed / requests) * 100.0
    );
    let mut best = (1_u32, f64::INFINITY);
    for n in 1..=args.max_partitions as u32 {
        let predicted = predicted_invocations(&events, users, args.ttl, n, args.token_lifetime);
        let error = (predicted - observed).abs() / observed;
        println!(
            "  N = {n:>2}: predicted {predicted:>10.1} invocations ({:+.1}%)",
            (predicted / observed - 1.0) * 100.0
        );
        if error < best.1 {
            best = (n, error);
        }
    }
    let mut scenario = Scenario::default_scenario();
    scenario.name = "calibrated".into();
    scenario.description = format!(
        "calibrated on {} at TTL {} s: {users} principals, {} requests over {span:.0} s, cache_partitions {}",
        args.access_log,
        args.ttl,
        arrivals.len(),
        best.0
    );
    scenario.duration_seconds = span.max(1.0);
    scenario.users.count = users;
    scenario.users.zipf_exponent = zipf_exponent(&events, users);
    scenario.rate.points = rate_points(&events, span);
    scenario.tokens.lifetime_seconds = args.token_lifetime;
    scenario.tokens.refresh_skew_seconds = 0.0;
    scenario.tokens.late_refresh_fraction = 0.0;
    scenario.tokens.invalid_fraction = 0.0;
    scenario.revocations.per_hour = 0.0;
    scenario.gateway.cache_partitions = best.0;
    scenario.gateway.routing = "uniform".into();
    scenario.validate()?;
    let text = toml::to_string(&scenario).map_err(|e| e.to_string())?;
    std::fs::write(
        &args.out,
        format!("# Written by scopegate-lab calibrate.\n{text}"),
    )
    .map_err(|e| format!("{}: {e}", args.out))?;
    println!(
        "cache_partitions = {} (predicted within {:.1}% of the measured invocations); scenario written to {}",
        best.0,
        best.1 * 100.0,
        args.out
    );
    println!(
        "next: scopegate-lab sweep --scenario {} --traffic-from {}",
        args.out, args.access_log
    );
    Ok(())
}
