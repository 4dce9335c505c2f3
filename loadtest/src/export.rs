//! `scopegate-lab export locust`: a Locust load test that reproduces a
//! scenario against a real API, so the experiment runs at scale on an
//! engine built for it (`locust --master` / `--worker`). Principals are
//! chosen with the scenario's Zipf popularity; the request rate follows its
//! rate curve (a `LoadTestShape` scaling users of constant throughput).
//! Tokens come from the lab's development IdP (a token per principal) or,
//! with `--clients`, from a real IdP by client credentials (a client per
//! principal, so the access log's principalId tells them apart). Run it
//! against the deployed API at two TTLs, then `calibrate` on the logs.

use crate::scenario::Scenario;
use std::fmt::Write as _;

/// Writes a load test for an external engine.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The engine (Locust, which runs distributed).
    #[arg(value_parser = ["locust"])]
    engine: String,
    /// Shipped scenario or a TOML file.
    #[arg(long, value_name = "NAME|FILE", default_value = "steady")]
    scenario: String,
    /// The API's base URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com.
    #[arg(long, value_name = "URL")]
    host: String,
    /// The stage, the first path segment.
    #[arg(long, default_value = "prod")]
    stage: String,
    /// The resource path every request calls.
    #[arg(long, default_value = "/pets")]
    path: String,
    /// Requests per second at the scenario's peak (users scale with it).
    #[arg(long, value_name = "N", default_value_t = 100.0)]
    rps: f64,
    /// Seconds the scenario's shape is stretched or squeezed into.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    duration: f64,
    /// Token endpoint [default: HOST/idp/token, the lab's development IdP].
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// CSV of `client_id,client_secret`, one client per principal, for a
    /// real IdP's client-credentials grant.
    #[arg(long, value_name = "FILE")]
    clients: Option<String>,
    /// Scopes asked for.
    #[arg(long, default_value = "pets.read")]
    scope: String,
    /// The locustfile to write.
    #[arg(long, value_name = "FILE", default_value = "locustfile.py")]
    out: String,
}

/// Each Locust user sends this many requests per second.
const PER_USER_RPS: f64 = 5.0;

pub fn main(args: &ExportArgs) -> Result<(), String> {
    let scenario = Scenario::load(&args.scenario)?;
    if !(args.rps > 0.0 && args.rps.is_finite()) {
        return Err("--rps must be a positive number".into());
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err("--duration must be a positive number of seconds".into());
    }
    let peak = scenario
        .rate
        .points
        .iter()
        .map(|p| p[1])
        .fold(0.0_f64, f64::max);
    let scaled = scenario.scaled(args.rps / peak, args.duration);
    let principals = match &args.clients {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("--clients {path}: {e}"))?;
            let n = text.lines().filter(|l| l.contains(',')).count();
            if n == 0 {
                return Err(format!(
                    "--clients {path}: no `client_id,client_secret` lines"
                ));
            }
            n
        }
        None => scaled.users.count,
    };
    let host = args.host.trim_end_matches('/');
    let token_url = args
        .token_url
        .clone()
        .unwrap_or_else(|| format!("{host}/idp/token"));
    let py = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let mut points = String::new();
    for p in &scaled.rate.points {
        let _ = write!(points, "[{}, {}], ", p[0], p[1]);
    }
    let file = format!(
        include_str!("export/locustfile.py.in"),
        scenario = py(&scenario.name),
        principals = principals,
        zipf = scaled.users.zipf_exponent,
        points = points.trim_end_matches(", "),
        duration = args.duration,
        per_user_rps = PER_USER_RPS,
        path = py(&format!("/{}{}", args.stage.trim_matches('/'), args.path)),
        host = py(host),
        token_url = py(&token_url),
        scope = py(&args.scope),
        lifetime = scaled.tokens.lifetime_seconds.min(86_400.0),
        clients = args.clients.as_deref().map_or("None".to_string(), py),
    );
    std::fs::write(&args.out, file).map_err(|e| format!("{}: {e}", args.out))?;
    println!(
        "wrote {} ({principals} principals, {} req/s at peak, {} s): locust -f {} --headless (add --master/--worker to distribute)",
        args.out, args.rps, args.duration, args.out
    );
    Ok(())
}
