//! `scopegate-lab live`: the scenario, scaled to this machine, sent over
//! real HTTP to `serve` by an open-loop load generator — each request
//! leaves at its scheduled time whatever the previous ones are doing, and
//! its latency is measured from that scheduled time, so a slow server
//! cannot hide its queueing (no coordinated omission). For every TTL it
//! compares the gateway's counted invocations and hit ratio with what the
//! `sweep` model predicts for exactly the same arrivals; more than 5 %
//! apart means the model is wrong, and the command fails.

use crate::arg_values::{Ttls, parse_ttls};
use crate::gateway::Counts;
use crate::identity::{Identity, USER_SCOPES};
use crate::scenario::Scenario;
use crate::serve::{self, Options};
use crate::sim::{Durations, Model, Simulator};
use crate::traffic::{Event, Traffic};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs the scenario's traffic shape, scaled to --rps at its peak and
/// --duration seconds, as real HTTP requests against a local `serve` for
/// each TTL, with an open-loop load generator. Reports requests,
/// invocations, hit ratio and latency next to what `sweep` predicts for the
/// same arrivals; exits 1 if invocations or hit ratio differ by more than
/// 5 %. Revocations are left out: the in-process authorizer verifies JWTs
/// locally and cannot see them.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Shipped scenario or a TOML file.
    #[arg(long, value_name = "NAME|FILE", default_value = "steady")]
    scenario: String,
    /// Requests per second at the scenario's peak, (0, 50000].
    #[arg(long, value_name = "N", default_value_t = 400.0, value_parser = parse_rps)]
    rps: f64,
    /// Seconds per TTL, (0, 3600].
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_duration)]
    duration: f64,
    /// Comma-separated TTLs in whole seconds.
    #[arg(long, value_name = "LIST", value_parser = parse_ttls, default_value = "0,1,5,15")]
    ttls: Ttls,
}

fn parse_rps(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 50_000.0 => Ok(r),
        _ => Err(format!("`{v}` is not in (0, 50000]")),
    }
}

fn parse_duration(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(d) if d > 0.0 && d <= 3600.0 => Ok(d),
        _ => Err(format!("`{v}` is not in (0, 3600] seconds")),
    }
}

/// Agreement the model must reach.
pub const TOLERANCE: f64 = 0.05;

pub struct Plan {
    pub scenario: Scenario,
    pub ttls: Vec<f64>,
}

/// One TTL's measurement and the model's prediction for it.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub ttl: f64,
    pub requests: u64,
    pub invocations: u64,
    pub predicted_invocations: u64,
    pub hit_ratio: f64,
    pub predicted_hit_ratio: f64,
    /// From each request's scheduled time (includes the generator's timer lateness, up to ~1 ms).
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// From the moment each request was actually sent.
    pub service_p50_ms: f64,
    pub service_p99_ms: f64,
    pub achieved_rps: f64,
    pub errors: u64,
}

impl Comparison {
    fn relative(a: f64, b: f64) -> f64 {
        if a == b {
            0.0
        } else {
            (a - b).abs() / a.abs().max(b.abs())
        }
    }

    pub fn agrees(&self) -> bool {
        Comparison::relative(self.invocations as f64, self.predicted_invocations as f64)
            <= TOLERANCE
            && Comparison::relative(self.hit_ratio, self.predicted_hit_ratio) <= TOLERANCE
    }
}

/// The scenario scaled so its peak rate is `rps`, lasting `duration` seconds,
/// without revocations (see HELP).
pub fn scale(scenario: &Scenario, rps: f64, duration: f64) -> Scenario {
    let peak = scenario
        .rate
        .points
        .iter()
        .map(|p| p[1])
        .fold(0.0, f64::max)
        .max(1.0);
    let mut s = scenario.scaled(rps / peak, duration);
    s.revocations.per_hour = 0.0;
    s
}

/// What the model predicts for exactly these arrivals.
fn predict(scenario: &Scenario, ttl: f64, events: &[Event]) -> (u64, f64) {
    let mut model = Model::new(scenario, ttl);
    model.fresh_sessions = true;
    let durations = Durations::constant(0.000_05, 0.001);
    let out = Simulator::new(model, scenario.users.count, &durations, scenario.seed)
        .run(events.iter().copied(), &AtomicU64::new(0));
    (out.invocations, out.hit_ratio())
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

const PATHS: [&str; 3] = ["/prod/pets", "/prod/pets/7", "/prod/reports"];

/// What driving one run measured on the client side.
pub struct Driven {
    /// From each request's scheduled time, and from its actual send, µs.
    pub scheduled: Histogram<u64>,
    pub service: Histogram<u64>,
    pub errors: u64,
    pub wall_seconds: f64,
}

/// Sends `events` to the gateway at `base` on their schedule (open loop),
/// with tokens minted by `identity`: each user gets one at its first
/// request (valid past the run); invalid events carry a JWT-shaped fake.
pub async fn drive(
    base: &str,
    identity: &Identity,
    scenario: &Scenario,
    events: &[Event],
) -> Result<Driven, String> {
    let mut tokens: HashMap<u32, Arc<str>> = HashMap::new();
    let lifetime = scenario.tokens.lifetime_seconds;
    let mut plan: Vec<(f64, Arc<str>)> = Vec::with_capacity(events.len());
    let start_unix = unix_now();
    for (i, e) in events.iter().enumerate() {
        if let Event::Request { t, user, invalid } = *e {
            let token: Arc<str> = if invalid {
                // JWT-shaped, so it passes the validation expression and reaches the authorizer.
                format!("Bearer aW52YWxpZA.eyJpIjo{i}.c2ln").into()
            } else if let Some(tok) = tokens.get(&user) {
                Arc::clone(tok)
            } else {
                let scope = USER_SCOPES[user as usize % USER_SCOPES.len()];
                let minted = identity.mint(
                    &format!("user-{user}"),
                    scope,
                    start_unix - 1.0,
                    start_unix + lifetime,
                )?;
                let tok: Arc<str> = format!("Bearer {minted}").into();
                tokens.insert(user, Arc::clone(&tok));
                tok
            };
            plan.push((t, token));
        }
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build_http::<Empty<Bytes>>();
    let histogram =
        || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string());
    let latency = Arc::new(Mutex::new((histogram()?, histogram()?)));
    let errors = Arc::new(AtomicU64::new(0));
    let origin = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(plan.len());
    for (i, (t, token)) in plan.into_iter().enumerate() {
        let due = origin + Duration::from_secs_f64(t);
        tokio::time::sleep_until(due).await;
        let client = client.clone();
        let latency = Arc::clone(&latency);
        let errors = Arc::clone(&errors);
        let uri = format!("{base}{}", PATHS[i % PATHS.len()]);
        tasks.push(tokio::spawn(async move {
            let sent = tokio::time::Instant::now();
            let request = Request::get(uri)
                .header("authorization", &*token)
                .body(Empty::new());
            let ok = match request {
                Ok(req) => match client.request(req).await {
                    Ok(r) => r.into_body().collect().await.is_ok(),
                    Err(_) => false,
                },
                Err(_) => false,
            };
            let (scheduled, service) = (due.elapsed(), sent.elapsed());
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            let mut h = latency.lock().unwrap_or_else(PoisonError::into_inner);
            h.0.saturating_record((scheduled.as_micros() as u64).max(1));
            h.1.saturating_record((service.as_micros() as u64).max(1));
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let wall_seconds = origin.elapsed().as_secs_f64().max(1e-9);
    let (scheduled, service) = std::mem::replace(
        &mut *latency.lock().unwrap_or_else(PoisonError::into_inner),
        (histogram()?, histogram()?),
    );
    Ok(Driven {
        scheduled,
        service,
        errors: errors.load(Ordering::Relaxed),
        wall_seconds,
    })
}

/// Drives one TTL against a fresh server; must run inside a multi-threaded tokio runtime.
pub async fn run_ttl(
    scenario: &Scenario,
    ttl: f64,
    events: &[Event],
) -> Result<Comparison, String> {
    let running = serve::start(Options {
        port: 0,
        ttl,
        ..Options::default()
    })
    .await?;
    let base = format!("http://{}", running.addr);
    let driven = drive(&base, &running.idp.identity, scenario, events).await?;
    let g = &running.gateway.counts;
    let requests = Counts::get(&g.requests);
    let invocations = Counts::get(&g.invocations);
    let hits = Counts::get(&g.cache_hits);
    let (predicted_invocations, predicted_hit_ratio) = predict(scenario, ttl, events);
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(Comparison {
        ttl,
        requests,
        invocations,
        predicted_invocations,
        hit_ratio: if requests == 0 {
            0.0
        } else {
            hits as f64 / requests as f64
        },
        predicted_hit_ratio,
        latency_p50_ms: ms(&driven.scheduled, 0.5),
        latency_p99_ms: ms(&driven.scheduled, 0.99),
        service_p50_ms: ms(&driven.service, 0.5),
        service_p99_ms: ms(&driven.service, 0.99),
        achieved_rps: requests as f64 / driven.wall_seconds,
        errors: driven.errors,
    })
}

/// Runs every TTL of the plan and returns the comparisons.
pub fn run(plan: &Plan) -> Result<Vec<Comparison>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let events: Vec<Event> = Traffic::new(&plan.scenario).collect();
    runtime.block_on(async {
        let mut out = Vec::new();
        for &ttl in &plan.ttls {
            out.push(run_ttl(&plan.scenario, ttl, &events).await?);
        }
        Ok(out)
    })
}

pub fn render(rows: &[Comparison]) -> String {
    let mut s = String::from(
        "   TTL  requests  invocations (sweep)  hit ratio (sweep)  scheduled p50/p99 ms  service p50/p99 ms     rps  agrees\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>6}  {:>8}  {:>11} ({:>5})  {:>8.1}% ({:>5.1}%)  {:>9.2} / {:>7.2}  {:>8.2} / {:>6.2}  {:>6.0}  {}",
            crate::report::ttl_label(r.ttl),
            r.requests,
            r.invocations,
            r.predicted_invocations,
            r.hit_ratio * 100.0,
            r.predicted_hit_ratio * 100.0,
            r.latency_p50_ms,
            r.latency_p99_ms,
            r.service_p50_ms,
            r.service_p99_ms,
            r.achieved_rps,
            if r.agrees() { "yes" } else { "NO" }
        );
    }
    s
}

pub fn main(args: LiveArgs) -> Result<(), String> {
    let scenario = Scenario::load(&args.scenario)?;
    let (rps, duration, ttls) = (args.rps, args.duration, args.ttls.0);
    let plan = Plan {
        scenario: scale(&scenario, rps, duration),
        ttls,
    };
    eprintln!(
        "live: scenario {} scaled to {} users, {rps} req/s peak, {duration} s per TTL",
        plan.scenario.name, plan.scenario.users.count
    );
    let rows = run(&plan)?;
    print!("{}", render(&rows));
    if rows.iter().all(Comparison::agrees) {
        Ok(())
    } else {
        Err("live and sweep disagree by more than 5 %: the model is wrong".into())
    }
}
