//! Every TTL of a scenario through the simulator, one worker thread per
//! core, with a progress bar: what `sweep` reports and the alternatives it
//! is compared with ([`crate::alternatives`]) both run through this.

use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::sim::{self, Durations, Outcome};
use crate::traffic::Event;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// How fast the simulator ran.
#[derive(Debug, Clone, Serialize)]
pub struct SimulatorSpeed {
    pub requests_simulated: u64,
    /// Sum over TTLs of each simulation's own wall time.
    pub cpu_seconds: f64,
    pub requests_per_second_per_core: f64,
}

/// Simulates every TTL, one worker thread per core, with a progress bar;
/// `arrivals` replaces the scenario's synthetic traffic when given.
pub fn simulate_all(
    scenario: &Scenario,
    ttls: &[f64],
    durations: &Durations,
    arrivals: Option<&[Event]>,
    quiet: bool,
) -> (Vec<Outcome>, SimulatorSpeed) {
    let per_ttl = arrivals.map_or_else(
        || scenario.rate.expected_requests(scenario.duration_seconds),
        |a| a.len() as f64,
    );
    let expected = per_ttl * ttls.len() as f64;
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
                    let outcome = match arrivals {
                        Some(events) => sim::Simulator::new(
                            sim::Model::new(scenario, ttl),
                            scenario.users.count,
                            durations,
                            scenario.seed,
                        )
                        .run(events.iter().copied(), progress.counter()),
                        None => sim::simulate(scenario, ttl, durations, progress.counter()),
                    };
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
