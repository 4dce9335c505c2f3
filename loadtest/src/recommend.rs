//! Turns the per-TTL results into an answer: the smallest TTL that meets
//! the efficiency target (a cost ceiling, or else a hit ratio), and the
//! largest TTL whose exposure stays within budget.

use crate::scenario::Targets;
use crate::sim::Outcome;
use serde::Serialize;

pub const DEFAULT_MIN_HIT_RATIO: f64 = 0.9;
pub const DEFAULT_MAX_EXPOSURE_SECONDS: f64 = 60.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recommendation {
    /// What "efficient enough" meant, in words.
    pub efficiency_target: String,
    pub exposure_budget_seconds: f64,
    /// Smallest TTL meeting the efficiency target, if any does.
    pub smallest_efficient_ttl: Option<f64>,
    /// Largest TTL within the exposure budget, if any is.
    pub largest_safe_ttl: Option<f64>,
    /// The TTL to use, if the two constraints agree.
    pub ttl: Option<f64>,
    pub summary: String,
    /// Exposure below every TTL: what the function itself allows.
    pub function_exposure_seconds: f64,
}

/// `costs[i]` is the authorizer's monthly cost for `outcomes[i]`; both are
/// in TTL order. `function_exposure` is the longest the function itself
/// allows a revoked token ([`crate::sim::Model::function_exposure_seconds`]).
pub fn recommend(
    targets: &Targets,
    outcomes: &[Outcome],
    costs: &[f64],
    function_exposure: f64,
) -> Recommendation {
    let (efficiency_target, efficient): (String, Box<dyn Fn(usize) -> bool>) =
        if let Some(ceiling) = targets.max_authorizer_cost_per_month {
            (
                format!("authorizer cost at most ${ceiling:.2}/month"),
                Box::new(move |i| costs[i] <= ceiling),
            )
        } else {
            let floor = targets.min_hit_ratio.unwrap_or(DEFAULT_MIN_HIT_RATIO);
            (
                format!("cache hit ratio at least {:.0}%", floor * 100.0),
                Box::new(move |i| outcomes[i].hit_ratio() >= floor),
            )
        };
    let budget = targets
        .max_exposure_seconds
        .unwrap_or(DEFAULT_MAX_EXPOSURE_SECONDS);
    let smallest_efficient_ttl = (0..outcomes.len())
        .find(|&i| efficient(i))
        .map(|i| outcomes[i].ttl);
    let largest_safe_ttl = (0..outcomes.len())
        .rev()
        .find(|&i| outcomes[i].exposure.longest_seconds <= budget)
        .map(|i| outcomes[i].ttl);
    let (ttl, summary) = match (smallest_efficient_ttl, largest_safe_ttl) {
        (Some(lo), Some(hi)) if lo <= hi => (
            Some(hi),
            if lo < hi {
                format!(
                    "use {hi} s: every TTL from {lo} s to {hi} s meets \"{efficiency_target}\" within the {budget} s exposure budget, and {hi} s is the cheapest of them"
                )
            } else {
                format!(
                    "use {hi} s: the only TTL that meets \"{efficiency_target}\" within the {budget} s exposure budget"
                )
            },
        ),
        (Some(lo), Some(hi)) => (
            None,
            format!(
                "no TTL meets both: \"{efficiency_target}\" needs at least {lo} s, but the {budget} s exposure budget allows at most {hi} s; relax one, or shorten token lifetimes and use introspection for revocation"
            ),
        ),
        (None, Some(hi)) => (
            Some(hi),
            format!(
                "use {hi} s: no TTL tried meets \"{efficiency_target}\"; {hi} s is the most efficient within the {budget} s exposure budget"
            ),
        ),
        (_, None) => (
            None,
            format!(
                "no TTL tried keeps exposure within {budget} s: the function itself may allow a revoked token for {function_exposure} s (its introspection cache, or mode jwt), whatever the TTL; shorten SCOPEGATE_INTROSPECTION_CACHE_SECONDS or raise the budget"
            ),
        ),
    };
    Recommendation {
        efficiency_target,
        exposure_budget_seconds: budget,
        smallest_efficient_ttl,
        largest_safe_ttl,
        ttl,
        summary,
        function_exposure_seconds: function_exposure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Durations, Exposure, Model, Simulator};
    use std::sync::atomic::AtomicU64;

    fn outcome(ttl: f64, hits: u64, longest: f64) -> Outcome {
        let model = Model {
            ttl,
            lifetime: 1.0,
            refresh_skew: 0.0,
            late_refresh_fraction: 0.0,
            idle_expiry: 1.0,
            invoke_overhead: 0.0,
            platform_cold_start: 0.0,
            fresh_sessions: true,
            ..Model::default()
        };
        let d = Durations::constant(0.001, 0.001);
        let mut o = Simulator::new(model, 1, &d, 1).run(std::iter::empty(), &AtomicU64::new(0));
        o.requests = 100;
        o.cache_hits = hits;
        o.invocations = 100 - hits;
        o.exposure = Exposure {
            requests: 1,
            tokens: 1,
            longest_seconds: longest,
            by_function: 0,
        };
        o
    }

    fn table() -> Vec<Outcome> {
        vec![
            outcome(0.0, 0, 0.0),
            outcome(60.0, 85, 30.0),
            outcome(300.0, 95, 200.0),
            outcome(3600.0, 99, 3000.0),
        ]
    }

    #[test]
    fn the_largest_safe_ttl_when_it_is_efficient() {
        let t = Targets {
            min_hit_ratio: Some(0.8),
            ..Targets::default()
        };
        let r = recommend(&t, &table(), &[9.0, 2.0, 1.0, 0.5], 0.0);
        assert_eq!(r.smallest_efficient_ttl, Some(60.0));
        assert_eq!(r.largest_safe_ttl, Some(60.0));
        assert_eq!(r.ttl, Some(60.0));
    }

    #[test]
    fn conflicting_targets_get_no_ttl_and_an_explanation() {
        let r = recommend(&Targets::default(), &table(), &[9.0, 2.0, 1.0, 0.5], 0.0);
        assert_eq!(r.smallest_efficient_ttl, Some(300.0));
        assert_eq!(r.largest_safe_ttl, Some(60.0));
        assert_eq!(r.ttl, None);
        assert!(r.summary.contains("no TTL meets both"), "{}", r.summary);
    }

    #[test]
    fn a_cost_ceiling_replaces_the_hit_ratio_target() {
        let t = Targets {
            max_authorizer_cost_per_month: Some(1.5),
            max_exposure_seconds: Some(250.0),
            ..Targets::default()
        };
        let r = recommend(&t, &table(), &[9.0, 2.0, 1.0, 0.5], 0.0);
        assert_eq!(r.smallest_efficient_ttl, Some(300.0));
        assert_eq!(r.ttl, Some(300.0));
        assert!(r.efficiency_target.contains("$1.50"));
    }

    #[test]
    fn the_functions_own_exposure_is_named_when_no_ttl_fits() {
        let t = Targets {
            max_exposure_seconds: Some(10.0),
            ..Targets::default()
        };
        let mut outcomes = table();
        outcomes[0].exposure.longest_seconds = 60.0;
        let r = recommend(&t, &outcomes, &[9.0, 2.0, 1.0, 0.5], 60.0);
        assert_eq!(r.ttl, None);
        assert!(r.summary.contains("60 s"), "{}", r.summary);
        assert!(r.summary.contains("INTROSPECTION_CACHE"), "{}", r.summary);
    }
}
