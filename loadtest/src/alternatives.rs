//! What the same traffic costs under the alternatives a team weighs:
//! - a per-route cache key (token, method and concrete path), which a
//!   per-route answer needs (scopegate's overflow fallback, or any
//!   authorizer that decides for `methodArn` alone): the hit ratio it costs;
//! - Amazon Verified Permissions' "API Gateway and identity provider" quick
//!   start: its generated Node.js authorizer calls `IsAuthorizedWithToken`
//!   on every cache miss, with the cache keyed by `Authorization`,
//!   `$context.httpMethod` and `$context.path` for 120 s, answers any error
//!   (a throttled call included) with Deny, and takes one identity source
//!   per policy store.
//!
//! Each figure lives in `cost.rs` with its source; what is assumed says so.

use crate::cost::{
    AVP_PRICE_PER_AUTHORIZATION, AVP_QUICK_START_TTL, AVP_QUOTA_PER_SECOND, AVP_ROUND_TRIP_MS,
    Prices, SECONDS_PER_MONTH,
};
use crate::runs::simulate_all;
use crate::scenario::Scenario;
use crate::sim::{Durations, Outcome};
use crate::traffic::Event;
use serde::Serialize;

/// The sweep's TTLs with the cache keyed per route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteKeyStudy {
    /// Distinct method + path pairs (`gateway.paths`).
    pub paths: u32,
    pub hit_ratio: Vec<f64>,
    pub authorizer_cost: Vec<f64>,
}

/// The quick start on the same traffic.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedPermissions {
    pub ttl_seconds: f64,
    pub hit_ratio: f64,
    /// `IsAuthorizedWithToken` calls per month (one per cache miss).
    pub authorizations_per_month: f64,
    pub authorizations_usd: f64,
    /// Lambda, logs and metrics, billed with the round trip: a lower bound
    /// (the generated Node.js handler's own time is not measured here; the
    /// measured scopegate handler stands in for it).
    pub lambda_usd: f64,
    pub total_usd: f64,
    /// Cache misses per second at the scenario's peak rate.
    pub peak_misses_per_second: f64,
    /// Of those, the share over the default quota (throttled, so Deny).
    pub throttled_share_at_peak: f64,
}

/// `scenario` with its cache keyed by token, method and path.
fn keyed_per_route(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    s.gateway.cache_key = "route".into();
    s
}

/// The per-route key at each TTL of the sweep.
pub fn route_key_study(
    scenario: &Scenario,
    ttls: &[f64],
    prices: &Prices,
    durations: &Durations,
    arrivals: Option<&[Event]>,
) -> RouteKeyStudy {
    let per_route = keyed_per_route(scenario);
    let (outcomes, _) = simulate_all(&per_route, ttls, durations, arrivals, true);
    RouteKeyStudy {
        paths: per_route.gateway.paths,
        hit_ratio: outcomes.iter().map(Outcome::hit_ratio).collect(),
        authorizer_cost: outcomes
            .iter()
            .map(|o| prices.monthly(&per_route, o).authorizer)
            .collect(),
    }
}

/// The quick start: a per-route key at 120 s and an authorization call
/// (a round trip, billed) on every miss.
pub fn verified_permissions(
    scenario: &Scenario,
    prices: &Prices,
    durations: &Durations,
    arrivals: Option<&[Event]>,
) -> VerifiedPermissions {
    let mut q = keyed_per_route(scenario);
    // Every invocation asks the service: the introspection path of the
    // model with no answer cache is exactly one call per invocation.
    q.authorizer.mode = "jwt+introspect".into();
    q.authorizer.introspection_cache_seconds = 0.0;
    q.authorizer.introspection_round_trip_ms = AVP_ROUND_TRIP_MS;
    let (outcomes, _) = simulate_all(&q, &[AVP_QUICK_START_TTL], durations, arrivals, true);
    let o = &outcomes[0];
    let seconds = o.simulated_seconds.max(1e-9);
    // The generated authorizer asks the service on every invocation, an
    // invalid or expired token included (the service refuses it).
    let authorizations_per_month = o.invocations as f64 * SECONDS_PER_MONTH / seconds;
    let authorizations_usd = authorizations_per_month * AVP_PRICE_PER_AUTHORIZATION;
    let lambda_usd = prices.monthly(&q, o).authorizer;
    // Misses scale with the request rate; at the peak, the share past the
    // quota is throttled (an approximation: misses are taken as evenly
    // spread within the peak).
    let mean_rate = o.requests as f64 / seconds;
    let peak_rate = q.rate.points.iter().map(|p| p[1]).fold(0.0_f64, f64::max);
    let peak_misses = if mean_rate > 0.0 {
        o.invocations as f64 / seconds * peak_rate / mean_rate
    } else {
        0.0
    };
    VerifiedPermissions {
        ttl_seconds: AVP_QUICK_START_TTL,
        hit_ratio: o.hit_ratio(),
        authorizations_per_month,
        authorizations_usd,
        lambda_usd,
        total_usd: authorizations_usd + lambda_usd,
        peak_misses_per_second: peak_misses,
        throttled_share_at_peak: if peak_misses > AVP_QUOTA_PER_SECOND {
            1.0 - AVP_QUOTA_PER_SECOND / peak_misses
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Durations;

    #[test]
    fn every_miss_is_one_priced_authorization() {
        let mut s = Scenario::default_scenario();
        s.duration_seconds = 600.0;
        s.rate.points = vec![[0.0, 50.0]];
        let d = Durations::constant(0.000_1, 0.02);
        // Each miss (an invalid token's too) is one call: more than the
        // token-keyed cache misses at the same TTL, never more than requests.
        s.tokens.invalid_fraction = 0.05;
        let v = verified_permissions(&s, &Prices::default(), &d, None);
        let scale = SECONDS_PER_MONTH / 600.0;
        let (token_keyed, _) = simulate_all(&s, &[AVP_QUICK_START_TTL], &d, None, true);
        let token_misses = token_keyed[0].invocations as f64 * scale;
        let requests = token_keyed[0].requests as f64 * scale;
        assert!(
            v.authorizations_per_month > token_misses
                && v.authorizations_per_month <= requests * 1.01,
            "{} calls; {token_misses} token-keyed misses of {requests} requests",
            v.authorizations_per_month
        );
        // 50 requests/s, far under the quota: nothing throttled.
        assert_eq!(v.throttled_share_at_peak, 0.0);
        assert!(v.authorizations_per_month <= 50.0 * 600.0 * scale + 1.0);
        // A per-route key can only lower the hit ratio.
        let study = route_key_study(&s, &[60.0], &Prices::default(), &d, None);
        let (token, _) = simulate_all(&s, &[60.0], &d, None, true);
        assert!(study.hit_ratio[0] < token[0].hit_ratio(), "{study:?}");
    }
}
