//! The model's parameters that do not come from the traffic stream: the
//! token rules, the cache's topology, the function's introspection cache
//! and Lambda's limits, from a scenario or by hand for closed-form tests.

use super::lambda::Limits;
use crate::scenario::Scenario;

/// Parameters of the model that do not come from the traffic stream.
#[derive(Debug, Clone)]
pub struct Model {
    pub ttl: f64,
    pub lifetime: f64,
    pub refresh_skew: f64,
    pub late_refresh_fraction: f64,
    pub idle_expiry: f64,
    pub invoke_overhead: f64,
    pub platform_cold_start: f64,
    /// Users first seen hold a brand-new token (closed-form tests); otherwise
    /// one of uniformly random age (steady state).
    pub fresh_sessions: bool,
    pub topology: Topology,
    /// A per-route cache key: (paths, their Zipf exponent); `None`: the token alone.
    pub route_key: Option<(u32, f64)>,
    /// `None`: mode `jwt`, revocation is never seen.
    pub introspection: Option<Introspection>,
    pub limits: Limits,
}

/// How API Gateway's cache is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Topology {
    pub partitions: u32,
    /// A user's requests always land on the same partition.
    pub sticky: bool,
    /// Authorizers with a cache each; a request uses one of them at random.
    pub authorizers: u32,
}

impl Topology {
    pub const ONE: Topology = Topology {
        partitions: 1,
        sticky: false,
        authorizers: 1,
    };

    /// Cache slots one user's token may occupy.
    pub(super) fn slots(self) -> usize {
        let partitions = if self.sticky { 1 } else { self.partitions };
        (partitions * self.authorizers) as usize
    }
}

/// The function's introspection cache.
#[derive(Debug, Clone, Copy)]
pub struct Introspection {
    /// Seconds an introspection answer is reused.
    pub cache: f64,
    /// Seconds one introspection call takes.
    pub round_trip: f64,
}

impl Default for Model {
    /// The closed-form model: no topology, no limits, introspection on every miss for free.
    fn default() -> Model {
        Model {
            ttl: 0.0,
            lifetime: 1e9,
            refresh_skew: 0.0,
            late_refresh_fraction: 0.0,
            idle_expiry: 600.0,
            invoke_overhead: 0.0,
            platform_cold_start: 0.0,
            fresh_sessions: true,
            topology: Topology::ONE,
            route_key: None,
            introspection: Some(Introspection {
                cache: 0.0,
                round_trip: 0.0,
            }),
            limits: Limits::NONE,
        }
    }
}

impl Model {
    pub fn new(scenario: &Scenario, ttl: f64) -> Model {
        let a = &scenario.authorizer;
        let l = &scenario.lambda;
        Model {
            ttl,
            lifetime: scenario.tokens.lifetime_seconds,
            refresh_skew: scenario.tokens.refresh_skew_seconds,
            late_refresh_fraction: scenario.tokens.late_refresh_fraction,
            idle_expiry: l.idle_expiry_seconds,
            invoke_overhead: l.invoke_overhead_ms / 1000.0,
            platform_cold_start: l.platform_cold_start_ms / 1000.0,
            fresh_sessions: false,
            topology: Topology {
                partitions: scenario.gateway.cache_partitions,
                sticky: scenario.gateway.routing == "sticky",
                authorizers: scenario.gateway.authorizers,
            },
            route_key: (scenario.gateway.cache_key == "route")
                .then_some((scenario.gateway.paths, scenario.gateway.path_zipf_exponent)),
            introspection: (a.mode == "jwt+introspect").then(|| Introspection {
                cache: a.introspection_cache_seconds,
                round_trip: a.introspection_round_trip_ms / 1000.0,
            }),
            limits: Limits {
                concurrency: l.concurrency_limit as usize,
                scale_per_10_seconds: f64::from(l.scale_per_10_seconds),
                max_lifetime: l.max_environment_lifetime_seconds,
            },
        }
    }

    /// The longest the function itself allows a revoked token, whatever the
    /// TTL: its introspection cache, or the whole token lifetime in mode `jwt`.
    pub fn function_exposure_seconds(&self) -> f64 {
        self.introspection.map_or(self.lifetime, |i| i.cache)
    }
}
