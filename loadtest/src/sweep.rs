//! `scopegate-lab sweep`: measure the handler, simulate the scenario at
//! every TTL (in parallel, one TTL per core), print the table and write
//! the report.

use crate::alternatives;
use crate::arg_values::{Ttls, parse_ttls, positive_count};
use crate::cost::Prices;
use crate::measure::{self, Plan};
use crate::recommend::{Recommendation, recommend};
use crate::report::{self, MeasuredHandler, PartitionStudy, Report, Row};
use crate::runs::simulate_all;
use crate::scenario::Scenario;
use crate::sim::{self, Outcome};
use crate::traffic::Event;
use std::path::PathBuf;

/// Simulates a traffic scenario through API Gateway's authorizer cache at
/// each TTL and reports invocations, hit ratio, cold starts, added latency,
/// cost per month and exposure, with a recommendation. The authorizer's
/// durations are measured on this machine first.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Shipped scenario (steady, spiky, many-users, long-lived-tokens) or a TOML file.
    #[arg(long, value_name = "NAME|FILE", default_value = "steady")]
    scenario: String,
    /// Comma-separated TTLs in whole seconds, 0..=3600 (API Gateway's range).
    #[arg(long, value_name = "LIST", value_parser = parse_ttls, default_value = "0,1,5,15,60,300,900,3600")]
    ttls: Ttls,
    /// Report directory.
    #[arg(long, value_name = "DIR", default_value = "lab-report")]
    out: PathBuf,
    /// Override the scenario's simulated time.
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Override the scenario's seed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Override lambda.memory_mb.
    #[arg(long, value_name = "MB")]
    memory_mb: Option<u32>,
    /// Override lambda.architecture.
    #[arg(long, value_name = "ARCH", value_parser = ["arm64", "x86_64"])]
    arch: Option<String>,
    /// Override telemetry.emf_flush.
    #[arg(long, value_name = "MODE", value_parser = ["per-invocation", "aggregated"])]
    emf_flush: Option<String>,
    /// Target: authorizer cost per month at most USD.
    #[arg(long, value_name = "USD")]
    max_cost: Option<f64>,
    /// Target: cache hit ratio at least R, 0..=1 (the scenario's, else 0.9).
    #[arg(long, value_name = "R")]
    min_hit_ratio: Option<f64>,
    /// Exposure budget: longest window past expiry or revocation (the scenario's, else 60).
    #[arg(long, value_name = "SECONDS")]
    max_exposure: Option<f64>,
    /// Size of one EMF document, for the logs cost.
    #[arg(long, value_name = "BYTES")]
    emf_document_bytes: Option<f64>,
    /// Distinct tokens the handler is measured on.
    #[arg(long, value_name = "N", default_value_t = Plan::default().tokens, value_parser = positive_count)]
    samples: usize,
    /// Replay the arrivals of this access log (the JSON format of docs/src/lab.md, "Calibrate on your own traffic")
    /// instead of the scenario's synthetic ones: its principals are the
    /// users and its span the duration.
    #[arg(long, value_name = "ACCESS_LOG")]
    traffic_from: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// What a sweep runs on, once the command line is applied to the scenario.
struct Args {
    scenario: Scenario,
    ttls: Vec<f64>,
    out: PathBuf,
    prices: Prices,
    samples: usize,
    quiet: bool,
    /// Real arrivals to replay, when `--traffic-from` is given.
    arrivals: Option<Vec<Event>>,
}

impl SweepArgs {
    fn resolve(self) -> Result<Args, String> {
        let mut scenario = Scenario::load(&self.scenario)?;
        let mut prices = Prices::default();
        if let Some(v) = self.duration {
            scenario.duration_seconds = v;
        }
        if let Some(v) = self.seed {
            scenario.seed = v;
        }
        if let Some(v) = self.memory_mb {
            scenario.lambda.memory_mb = v;
        }
        if let Some(v) = self.arch {
            scenario.lambda.architecture = v;
        }
        if let Some(v) = self.emf_flush {
            scenario.telemetry.emf_flush = v;
        }
        if let Some(v) = self.max_cost {
            scenario.targets.max_authorizer_cost_per_month = Some(v);
        }
        if let Some(v) = self.min_hit_ratio {
            scenario.targets.min_hit_ratio = Some(v);
        }
        if let Some(v) = self.max_exposure {
            scenario.targets.max_exposure_seconds = Some(v);
        }
        if let Some(v) = self.emf_document_bytes {
            prices.emf_document_bytes = v;
        }
        let arrivals = match &self.traffic_from {
            Some(path) => {
                let (logged, _) = crate::access_log::read(path)?;
                let (events, users, span) = crate::calibrate::events(&logged);
                if events.is_empty() {
                    return Err(format!(
                        "--traffic-from {path}: no requests with a principalId"
                    ));
                }
                scenario.users.count = users;
                scenario.duration_seconds = span.max(1.0);
                scenario.description =
                    format!("{} — arrivals replayed from {path}", scenario.description);
                Some(events)
            }
            None => None,
        };
        scenario.validate().map_err(|e| {
            format!(
                "scenario {} (after command-line overrides): {e}",
                scenario.name
            )
        })?;
        Ok(Args {
            scenario,
            ttls: self.ttls.0,
            out: self.out,
            prices,
            samples: self.samples,
            quiet: self.quiet,
            arrivals,
        })
    }
}

pub fn main(args: SweepArgs) -> Result<(), String> {
    let args = args.resolve()?;
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
    let mut prices = args.prices.clone();
    prices.metric_series = crate::cost::emitted_series();
    let (outcomes, speed) = simulate_all(
        s,
        &args.ttls,
        &durations,
        args.arrivals.as_deref(),
        args.quiet,
    );
    let (costs, recommendation) = judge(s, &prices, &outcomes);
    let mut partitions = Vec::new();
    for n in study_partitions(s.gateway.cache_partitions) {
        let mut split = s.clone();
        split.gateway.cache_partitions = n;
        let (outcomes, _) = simulate_all(
            &split,
            &args.ttls,
            &durations,
            args.arrivals.as_deref(),
            true,
        );
        let (costs, recommendation) = judge(&split, &prices, &outcomes);
        partitions.push(PartitionStudy {
            cache_partitions: n,
            hit_ratio: outcomes.iter().map(Outcome::hit_ratio).collect(),
            authorizer_cost: costs.iter().map(|c| c.authorizer).collect(),
            recommended_ttl: recommendation.ttl,
            summary: recommendation.summary,
        });
    }
    let rows = outcomes
        .iter()
        .zip(costs)
        .map(|(o, c)| Row::new(o, c))
        .collect();
    let route_key =
        alternatives::route_key_study(s, &args.ttls, &prices, &durations, args.arrivals.as_deref());
    let verified_permissions =
        alternatives::verified_permissions(s, &prices, &durations, args.arrivals.as_deref());
    let report = Report {
        scenario: args.scenario.clone(),
        measured_handler: measured,
        prices,
        rows,
        recommendation,
        partitions,
        simulator: speed,
        policy_sizes: measure::policy_sizes(&s.tokens.algorithm)?,
        route_key,
        verified_permissions,
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

/// Partition counts the sweep is repeated at besides the scenario's own:
/// one consistent cache, and two splits (AWS documents no topology).
fn study_partitions(configured: u32) -> Vec<u32> {
    [1, 3, 10]
        .into_iter()
        .filter(|&n| n != configured)
        .collect()
}

/// Prices every outcome and recommends a TTL.
fn judge(
    scenario: &Scenario,
    prices: &Prices,
    outcomes: &[Outcome],
) -> (Vec<crate::cost::Monthly>, Recommendation) {
    let costs: Vec<_> = outcomes
        .iter()
        .map(|o| prices.monthly(scenario, o))
        .collect();
    let authorizer: Vec<f64> = costs.iter().map(|c| c.authorizer).collect();
    let floor = sim::Model::new(scenario, 0.0).function_exposure_seconds();
    let recommendation = recommend(&scenario.targets, outcomes, &authorizer, floor);
    (costs, recommendation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        sweep: SweepArgs,
    }

    fn parse(args: &[&str]) -> Result<Args, String> {
        let cli = Cli::try_parse_from(std::iter::once("sweep").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.sweep.resolve()
    }

    #[test]
    fn ttls_are_checked_against_api_gateways_range() {}

    #[test]
    fn overrides_are_applied_and_validated() {
        let a = parse(&["--scenario", "spiky", "--arch=x86_64", "--duration", "60"]).unwrap();
        assert_eq!(a.scenario.name, "spiky");
        assert_eq!(a.scenario.lambda.architecture, "x86_64");
        assert_eq!(a.scenario.duration_seconds, 60.0);
        let err = parse(&["--arch", "sparc"]).err().unwrap();
        assert!(err.contains("sparc") && err.contains("arm64"), "{err}");
        let err = parse(&["--duration", "0"]).err().unwrap();
        assert!(err.contains("duration_seconds"), "{err}");
        let err = parse(&["--bogus", "1"]).err().unwrap();
        assert!(err.contains("--bogus"), "{err}");
        let err = parse(&["--samples", "0"]).err().unwrap();
        assert!(err.contains("--samples"), "{err}");
    }
}
