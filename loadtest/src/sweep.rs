//! `scopegate-lab sweep`: measure the handler, simulate the scenario at
//! every TTL (in parallel, one TTL per core), print the table and write
//! the report.

use crate::cost::Prices;
use crate::measure::{self, Plan};
use crate::progress::Progress;
use crate::recommend::recommend;
use crate::report::{self, MeasuredHandler, Report, Row, SimulatorSpeed};
use crate::scenario::Scenario;
use crate::sim::{self, Durations, Outcome};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub const DEFAULT_TTLS: [f64; 8] = [0.0, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];
/// API Gateway accepts authorizer result TTLs from 0 to 3600 seconds.
pub const MAX_TTL: f64 = 3600.0;

const HELP: &str = "usage: scopegate-lab sweep [options]

Simulates a traffic scenario through API Gateway's authorizer cache at each
TTL and reports invocations, hit ratio, cold starts, added latency, cost per
month and exposure, with a recommendation. The authorizer's durations are
measured on this machine first.

  --scenario NAME|FILE    shipped scenario (steady, spiky, many-users,
                          long-lived-tokens) or a TOML file [steady]
  --ttls LIST             comma-separated seconds, 0..=3600 [0,1,5,15,60,300,900,3600]
  --out DIR               report directory [lab-report]
  --duration SECONDS      override the scenario's simulated time
  --seed N                override the scenario's seed
  --memory-mb MB          override lambda.memory_mb
  --arch arm64|x86_64     override lambda.architecture
  --emf-flush MODE        per-invocation | aggregated
  --max-cost USD          target: authorizer cost per month at most USD
  --min-hit-ratio R       target: cache hit ratio at least R (0..1) [0.9]
  --max-exposure SECONDS  exposure budget: longest window past expiry/revocation [60]
  --emf-document-bytes N  size of one EMF document, for the logs cost
  --samples N             distinct tokens the handler is measured on [300]
  --quiet                 no progress bar";

/// Parsed command line.
struct Args {
    scenario: Scenario,
    ttls: Vec<f64>,
    out: PathBuf,
    prices: Prices,
    samples: usize,
    quiet: bool,
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}

pub fn parse_ttls(list: &str) -> Result<Vec<f64>, String> {
    let mut ttls = Vec::new();
    for part in list.split(',') {
        let ttl: f64 = parse_number("--ttls", part.trim())?;
        if !(0.0..=MAX_TTL).contains(&ttl) || ttl.fract() != 0.0 {
            return Err(format!(
                "--ttls: {ttl} is not a whole number of seconds in 0..=3600 (API Gateway's range)"
            ));
        }
        ttls.push(ttl);
    }
    ttls.sort_by(f64::total_cmp);
    ttls.dedup();
    Ok(ttls)
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let mut pairs: Vec<(String, Option<String>)> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quiet" => pairs.push((arg.clone(), None)),
            flag if flag.starts_with("--") => {
                if let Some((f, v)) = flag.split_once('=') {
                    pairs.push((f.to_string(), Some(v.to_string())));
                } else {
                    let value = it.next().ok_or(format!("{flag} needs a value"))?;
                    pairs.push((flag.to_string(), Some(value.clone())));
                }
            }
            other => return Err(format!("unexpected argument `{other}` (see --help)")),
        }
    }
    let value_of = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(f, _)| f == name)
            .and_then(|(_, v)| v.clone())
    };
    let mut scenario = match value_of("--scenario") {
        Some(s) => Scenario::load(&s)?,
        None => Scenario::default_scenario(),
    };
    let mut prices = Prices::default();
    let mut out = Args {
        scenario: scenario.clone(),
        ttls: DEFAULT_TTLS.to_vec(),
        out: PathBuf::from("lab-report"),
        prices: prices.clone(),
        samples: Plan::default().tokens,
        quiet: false,
    };
    for (flag, value) in &pairs {
        let v = value.as_deref().unwrap_or("");
        match flag.as_str() {
            "--scenario" => {}
            "--quiet" => out.quiet = true,
            "--ttls" => out.ttls = parse_ttls(v)?,
            "--out" => out.out = PathBuf::from(v),
            "--duration" => scenario.duration_seconds = parse_number(flag, v)?,
            "--seed" => scenario.seed = parse_number(flag, v)?,
            "--memory-mb" => scenario.lambda.memory_mb = parse_number(flag, v)?,
            "--arch" => scenario.lambda.architecture = v.to_string(),
            "--emf-flush" => scenario.telemetry.emf_flush = v.to_string(),
            "--max-cost" => {
                scenario.targets.max_authorizer_cost_per_month = Some(parse_number(flag, v)?);
            }
            "--min-hit-ratio" => scenario.targets.min_hit_ratio = Some(parse_number(flag, v)?),
            "--max-exposure" => {
                scenario.targets.max_exposure_seconds = Some(parse_number(flag, v)?);
            }
            "--emf-document-bytes" => prices.emf_document_bytes = parse_number(flag, v)?,
            "--samples" => {
                out.samples = parse_number(flag, v)?;
                if out.samples == 0 {
                    return Err("--samples must be at least 1".into());
                }
            }
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    scenario.validate().map_err(|e| {
        format!(
            "scenario {} (after command-line overrides): {e}",
            scenario.name
        )
    })?;
    out.scenario = scenario;
    out.prices = prices;
    Ok(Some(out))
}

pub fn main(args: &[String]) -> Result<(), String> {
    let Some(args) = parse(args)? else {
        println!("{HELP}");
        return Ok(());
    };
    let s = &args.scenario;
    eprintln!(
        "scenario {}: {} — measuring the authorizer ({}) on this machine…",
        s.name, s.description, s.tokens.algorithm
    );
    let plan = Plan {
        tokens: args.samples,
        ..Plan::default()
    };
    let mut durations = measure::handler_durations(&s.tokens.algorithm, plan)?;
    durations.init = measure::init_durations(&s.tokens.algorithm, plan.init_runs)?;
    let measured = MeasuredHandler::of(&durations);
    eprintln!(
        "  handler p50: new token {:.1} µs, repeated {:.2} µs, invalid {:.1} µs; INIT p50 {:.1} ms",
        measured.new_token.p50_us,
        measured.repeat_token.p50_us,
        measured.invalid_token.p50_us,
        measured.init.p50_us / 1000.0
    );
    let (outcomes, speed) = simulate_all(s, &args.ttls, &durations, args.quiet);
    let costs: Vec<_> = outcomes.iter().map(|o| args.prices.monthly(s, o)).collect();
    let authorizer_costs: Vec<f64> = costs.iter().map(|c| c.authorizer).collect();
    let recommendation = recommend(&s.targets, &outcomes, &authorizer_costs);
    let rows = outcomes
        .iter()
        .zip(costs)
        .map(|(o, c)| Row::new(o, c))
        .collect();
    let report = Report {
        scenario: args.scenario.clone(),
        measured_handler: measured,
        prices: args.prices.clone(),
        rows,
        recommendation,
        simulator: speed,
    };
    println!("{}", report::table::render(&report));
    report.write(&args.out)?;
    eprintln!(
        "simulated {} requests at {:.1} million/s per core; report in {}/ ({})",
        report::thousands(report.simulator.requests_simulated),
        report.simulator.requests_per_second_per_core / 1e6,
        args.out.display(),
        report::FILES.join(", ")
    );
    Ok(())
}

/// Simulates every TTL, one worker thread per core, with a progress bar.
pub fn simulate_all(
    scenario: &Scenario,
    ttls: &[f64],
    durations: &Durations,
    quiet: bool,
) -> (Vec<Outcome>, SimulatorSpeed) {
    let expected = scenario.rate.expected_requests(scenario.duration_seconds) * ttls.len() as f64;
    let progress = Progress::new(expected as u64, quiet);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome, f64)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(ttls.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&ttl) = ttls.get(i) else { break };
                    let start = Instant::now();
                    let outcome = sim::simulate(scenario, ttl, durations, progress.counter());
                    let wall = start.elapsed().as_secs_f64();
                    if let Ok(mut r) = results.lock() {
                        r.push((i, outcome, wall));
                    }
                }
            });
        }
        progress.run_until_done(|| next.load(Ordering::Relaxed) >= ttls.len() + workers);
    });
    progress.finish();
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _, _)| *i);
    let requests: u64 = results.iter().map(|(_, o, _)| o.requests).sum();
    let cpu: f64 = results.iter().map(|(_, _, w)| w).sum();
    let speed = SimulatorSpeed {
        requests_simulated: requests,
        cpu_seconds: cpu,
        requests_per_second_per_core: if cpu > 0.0 {
            requests as f64 / cpu
        } else {
            0.0
        },
    };
    (results.into_iter().map(|(_, o, _)| o).collect(), speed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn ttls_are_checked_against_api_gateways_range() {
        assert_eq!(parse_ttls("60,0,60,5").unwrap(), [0.0, 5.0, 60.0]);
        assert!(parse_ttls("7200").unwrap_err().contains("0..=3600"));
        assert!(parse_ttls("1.5").is_err());
        assert!(parse_ttls("ten").unwrap_err().contains("`ten`"));
    }

    #[test]
    fn overrides_are_applied_and_validated() {
        let a = parse(&strings(&[
            "--scenario",
            "spiky",
            "--arch=x86_64",
            "--duration",
            "60",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(a.scenario.name, "spiky");
        assert_eq!(a.scenario.lambda.architecture, "x86_64");
        assert_eq!(a.scenario.duration_seconds, 60.0);
        let err = parse(&strings(&["--arch", "sparc"])).err().unwrap();
        assert!(err.contains("lambda.architecture"), "{err}");
        let err = parse(&strings(&["--bogus", "1"])).err().unwrap();
        assert!(err.contains("--bogus"), "{err}");
        assert!(parse(&strings(&["--help"])).unwrap().is_none());
    }
}
