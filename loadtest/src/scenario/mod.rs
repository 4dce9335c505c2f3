//! Traffic scenarios: who calls the API, how often, with which tokens, and
//! what the Lambda behind the authorizer looks like. Read from TOML (the
//! shipped ones live in `loadtest/scenarios/` and are embedded, so the lab
//! runs with no files at hand). Unknown or out-of-range fields fail with a
//! message naming the field.

use serde::{Deserialize, Serialize};

/// The scenarios shipped with the lab, by name; the first is the default.
pub const SHIPPED: [(&str, &str); 4] = [
    ("steady", include_str!("../../scenarios/steady.toml")),
    ("spiky", include_str!("../../scenarios/spiky.toml")),
    (
        "many-users",
        include_str!("../../scenarios/many-users.toml"),
    ),
    (
        "long-lived-tokens",
        include_str!("../../scenarios/long-lived-tokens.toml"),
    ),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Simulated time.
    pub duration_seconds: f64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub users: Users,
    pub rate: Rate,
    pub tokens: Tokens,
    #[serde(default)]
    pub revocations: Revocations,
    #[serde(default)]
    pub gateway: Gateway,
    #[serde(default)]
    pub authorizer: Authorizer,
    #[serde(default)]
    pub lambda: Lambda,
    #[serde(default)]
    pub telemetry: Telemetry,
    #[serde(default)]
    pub billing: Billing,
    #[serde(default)]
    pub targets: Targets,
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    pub count: usize,
    /// Popularity skew: user k calls with weight 1/(k+1)^s; 0 is uniform.
    #[serde(default = "default_zipf")]
    pub zipf_exponent: f64,
}

fn default_zipf() -> f64 {
    1.0
}

/// Requests per second over time: `[seconds, rps]` points, linear between
/// them and flat after the last. Arrivals are Poisson at that rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub points: Vec<[f64; 2]>,
}

impl Rate {
    pub fn at(&self, t: f64) -> f64 {
        let p = &self.points;
        match p.iter().position(|q| q[0] > t) {
            Some(0) => p[0][1],
            None => p[p.len() - 1][1],
            Some(i) => {
                let ([t0, r0], [t1, r1]) = (p[i - 1], p[i]);
                r0 + (r1 - r0) * (t - t0) / (t1 - t0)
            }
        }
    }

    /// Expected number of requests in [0, duration): the integral of `at`.
    pub fn expected_requests(&self, duration: f64) -> f64 {
        let steps = 10_000;
        let dt = duration / f64::from(steps);
        (0..steps)
            .map(|i| self.at((f64::from(i) + 0.5) * dt) * dt)
            .sum()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    pub lifetime_seconds: f64,
    /// Well-behaved clients refresh a uniform 0..skew seconds before `exp`.
    #[serde(default)]
    pub refresh_skew_seconds: f64,
    /// Share of clients that keep sending a token until it is refused
    /// (expired tokens served from the cache are exposure).
    #[serde(default)]
    pub late_refresh_fraction: f64,
    /// Share of requests carrying a token that fails verification (never cached).
    #[serde(default)]
    pub invalid_fraction: f64,
    /// Signature algorithm of the IdP: RS256 (Okta, Auth0, Entra ID, Keycloak default) or ES256.
    #[serde(default = "default_alg")]
    pub algorithm: String,
}

fn default_alg() -> String {
    "RS256".to_string()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocations {
    /// Sessions revoked per hour (sign-out, disabled account); the holder
    /// keeps sending the token until it is refused. The model assumes an
    /// authorizer that honours revocation (mode `jwt+introspect`), so every
    /// revoked request it does not see is exposure the cache adds.
    #[serde(default)]
    pub per_hour: f64,
}

/// API Gateway's side: how its authorizer cache is laid out. AWS documents
/// neither one consistent cache per API nor a split, so both are
/// assumptions; `scopegate-lab calibrate` fits `cache_partitions` from
/// access logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gateway {
    /// Independent caches a token's entry may live in (per node, per zone).
    pub cache_partitions: u32,
    /// `uniform`: each request lands on a random partition; `sticky`: a
    /// user's requests always land on the same one.
    pub routing: String,
    /// Authorizers in front of the function, each with its own cache (the
    /// SAM template has three); a user's requests spread evenly over them.
    pub authorizers: u32,
    /// `token`: the cache key is the token alone (scopegate's complete
    /// policy); `route`: token, method and concrete path (a per-route
    /// answer: the overflow fallback, Verified Permissions' quick start).
    pub cache_key: String,
    /// Distinct method + path pairs the users call (`route` key).
    pub paths: u32,
    /// Their popularity skew: path k has weight 1/(k+1)^s; 0 is uniform.
    pub path_zipf_exponent: f64,
}

impl Default for Gateway {
    fn default() -> Gateway {
        Gateway {
            cache_partitions: 1,
            routing: "uniform".to_string(),
            authorizers: 1,
            cache_key: "token".to_string(),
            paths: 50,
            path_zipf_exponent: 1.0,
        }
    }
}

/// How scopegate itself decides, which bounds exposure below the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Authorizer {
    /// `jwt+introspect` (revocation is seen, through the introspection
    /// cache) or `jwt` (a revoked token is accepted until its `exp`).
    pub mode: String,
    /// `SCOPEGATE_INTROSPECTION_CACHE_SECONDS`: how long the function keeps
    /// an introspection answer (and so how long its memo may answer for a
    /// revoked token).
    pub introspection_cache_seconds: f64,
    /// Assumption: one introspection round trip to the IdP, paid (and
    /// billed) by an invocation whose answer is not cached.
    pub introspection_round_trip_ms: f64,
}

impl Default for Authorizer {
    fn default() -> Authorizer {
        Authorizer {
            mode: "jwt+introspect".to_string(),
            introspection_cache_seconds: 60.0,
            introspection_round_trip_ms: 30.0,
        }
    }
}

/// The authorizer function. Values marked "assumption" are not measured by
/// the lab; set them from your own X-Ray traces and REPORT lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lambda {
    pub memory_mb: u32,
    /// `arm64` or `x86_64` (prices differ).
    pub architecture: String,
    /// Assumption: how long an idle execution environment stays warm.
    pub idle_expiry_seconds: f64,
    /// Assumption: API Gateway → Lambda invoke and runtime API round trip,
    /// added to the measured handler time on every cache miss.
    pub invoke_overhead_ms: f64,
    /// Assumption: unbilled sandbox creation before INIT on a cold start.
    pub platform_cold_start_ms: f64,
    /// Concurrent executions available (the account default is 1,000 per region).
    pub concurrency_limit: u32,
    /// New environments per 10 seconds per function (AWS: 1,000).
    pub scale_per_10_seconds: u32,
    /// Assumption: an environment's longest life ("every few hours").
    pub max_environment_lifetime_seconds: f64,
}

impl Default for Lambda {
    fn default() -> Lambda {
        Lambda {
            memory_mb: 128,
            architecture: "arm64".to_string(),
            idle_expiry_seconds: 600.0,
            invoke_overhead_ms: 10.0,
            platform_cold_start_ms: 100.0,
            concurrency_limit: 1000,
            scale_per_10_seconds: 1000,
            max_environment_lifetime_seconds: 7200.0,
        }
    }
}

/// How the authorizer ships its EMF metrics (drives CloudWatch Logs cost).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    /// `per-invocation` or `aggregated`.
    pub emf_flush: String,
    /// In `aggregated` mode, invocations per EMF document.
    pub aggregate_every: u32,
    /// The function's log group retention, for the storage cost.
    pub log_retention_days: u32,
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry {
            emf_flush: "aggregated".to_string(),
            aggregate_every: 100,
            log_retention_days: 30,
        }
    }
}

/// What the bill subtracts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Billing {
    /// Subtract the always-free tiers (Lambda's 1 M requests and 400,000
    /// GB-s, 5 GB of logs, 10 metrics). Off by default: a busy account's
    /// other functions use them up. API Gateway's 1 M calls last 12 months
    /// only and are never subtracted.
    pub free_tier: bool,
}

/// What the recommendation optimises for; every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Smallest TTL whose authorizer cost per month is at most this (USD).
    pub max_authorizer_cost_per_month: Option<f64>,
    /// Smallest TTL whose cache hit ratio is at least this (default 0.9).
    pub min_hit_ratio: Option<f64>,
    /// Largest TTL whose longest exposure window is at most this many seconds (default 60).
    pub max_exposure_seconds: Option<f64>,
}

impl Scenario {
    /// A shipped scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, String> {
        if let Some((_, text)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, name_or_path);
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| {
            let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
            format!(
                "scenario `{name_or_path}`: {e} (shipped scenarios: {})",
                names.join(", ")
            )
        })?;
        Scenario::parse(&text, name_or_path)
    }

    pub fn default_scenario() -> Scenario {
        let (name, text) = SHIPPED[0];
        match Scenario::parse(text, name) {
            Ok(s) => s,
            Err(e) => unreachable!("the embedded scenario is checked by a test: {e}"),
        }
    }

    pub fn parse(text: &str, origin: &str) -> Result<Scenario, String> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| format!("scenario {origin}: {e}"))?;
        scenario
            .validate()
            .map_err(|e| format!("scenario {origin}: {e}"))?;
        Ok(scenario)
    }

    /// Range checks, each error naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |v: f64, field: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("`{field}` must be a positive number, got {v}"))
            }
        };
        let non_negative = |v: f64, field: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("`{field}` must be zero or more, got {v}"))
            }
        };
        let fraction = |v: f64, field: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("`{field}` must be between 0 and 1, got {v}"))
            }
        };
        positive(self.duration_seconds, "duration_seconds")?;
        if self.users.count == 0 || self.users.count > 50_000_000 {
            return Err(format!(
                "`users.count` must be 1..=50000000, got {}",
                self.users.count
            ));
        }
        non_negative(self.users.zipf_exponent, "users.zipf_exponent")?;
        if self.rate.points.is_empty() {
            return Err("`rate.points` needs at least one [seconds, rps] point".into());
        }
        for (i, &[t, r]) in self.rate.points.iter().enumerate() {
            non_negative(t, &format!("rate.points[{i}][0]"))?;
            non_negative(r, &format!("rate.points[{i}][1]"))?;
            if i > 0 && t <= self.rate.points[i - 1][0] {
                return Err(format!("`rate.points[{i}]`: times must increase"));
            }
        }
        positive(self.tokens.lifetime_seconds, "tokens.lifetime_seconds")?;
        non_negative(
            self.tokens.refresh_skew_seconds,
            "tokens.refresh_skew_seconds",
        )?;
        if self.tokens.refresh_skew_seconds >= self.tokens.lifetime_seconds {
            return Err(
                "`tokens.refresh_skew_seconds` must be below `tokens.lifetime_seconds`".into(),
            );
        }
        fraction(
            self.tokens.late_refresh_fraction,
            "tokens.late_refresh_fraction",
        )?;
        fraction(self.tokens.invalid_fraction, "tokens.invalid_fraction")?;
        if !matches!(self.tokens.algorithm.as_str(), "RS256" | "ES256") {
            return Err(format!(
                "`tokens.algorithm` must be RS256 or ES256, got {}",
                self.tokens.algorithm
            ));
        }
        non_negative(self.revocations.per_hour, "revocations.per_hour")?;
        if !(128..=10240).contains(&self.lambda.memory_mb) {
            return Err(format!(
                "`lambda.memory_mb` must be 128..=10240, got {}",
                self.lambda.memory_mb
            ));
        }
        if !matches!(self.lambda.architecture.as_str(), "arm64" | "x86_64") {
            return Err(format!(
                "`lambda.architecture` must be arm64 or x86_64, got {}",
                self.lambda.architecture
            ));
        }
        positive(
            self.lambda.idle_expiry_seconds,
            "lambda.idle_expiry_seconds",
        )?;
        non_negative(self.lambda.invoke_overhead_ms, "lambda.invoke_overhead_ms")?;
        non_negative(
            self.lambda.platform_cold_start_ms,
            "lambda.platform_cold_start_ms",
        )?;
        if !matches!(
            self.telemetry.emf_flush.as_str(),
            "per-invocation" | "aggregated"
        ) {
            return Err(format!(
                "`telemetry.emf_flush` must be per-invocation or aggregated, got {}",
                self.telemetry.emf_flush
            ));
        }
        if !(1..=64).contains(&self.gateway.cache_partitions) {
            return Err(format!(
                "`gateway.cache_partitions` must be 1..=64, got {}",
                self.gateway.cache_partitions
            ));
        }
        if !matches!(self.gateway.routing.as_str(), "uniform" | "sticky") {
            return Err(format!(
                "`gateway.routing` must be uniform or sticky, got {}",
                self.gateway.routing
            ));
        }
        if !matches!(self.gateway.cache_key.as_str(), "token" | "route") {
            return Err(format!(
                "`gateway.cache_key` must be token or route, got {}",
                self.gateway.cache_key
            ));
        }
        if !(1..=100_000).contains(&self.gateway.paths) {
            return Err(format!(
                "`gateway.paths` must be 1..=100000, got {}",
                self.gateway.paths
            ));
        }
        non_negative(
            self.gateway.path_zipf_exponent,
            "gateway.path_zipf_exponent",
        )?;
        if !(1..=16).contains(&self.gateway.authorizers) {
            return Err(format!(
                "`gateway.authorizers` must be 1..=16, got {}",
                self.gateway.authorizers
            ));
        }
        if !matches!(self.authorizer.mode.as_str(), "jwt" | "jwt+introspect") {
            return Err(format!(
                "`authorizer.mode` must be jwt or jwt+introspect, got {}",
                self.authorizer.mode
            ));
        }
        non_negative(
            self.authorizer.introspection_cache_seconds,
            "authorizer.introspection_cache_seconds",
        )?;
        non_negative(
            self.authorizer.introspection_round_trip_ms,
            "authorizer.introspection_round_trip_ms",
        )?;
        if self.lambda.concurrency_limit == 0 {
            return Err("`lambda.concurrency_limit` must be at least 1".into());
        }
        if self.lambda.scale_per_10_seconds == 0 {
            return Err("`lambda.scale_per_10_seconds` must be at least 1".into());
        }
        positive(
            self.lambda.max_environment_lifetime_seconds,
            "lambda.max_environment_lifetime_seconds",
        )?;
        if self.telemetry.aggregate_every == 0 {
            return Err("`telemetry.aggregate_every` must be at least 1".into());
        }
        if let Some(c) = self.targets.max_authorizer_cost_per_month {
            non_negative(c, "targets.max_authorizer_cost_per_month")?;
        }
        if let Some(h) = self.targets.min_hit_ratio {
            fraction(h, "targets.min_hit_ratio")?;
        }
        if let Some(s) = self.targets.max_exposure_seconds {
            non_negative(s, "targets.max_exposure_seconds")?;
        }
        Ok(())
    }

    /// The same traffic shape at `factor` of the request rate and user
    /// count, for a machine-sized live run.
    #[must_use]
    pub fn scaled(&self, factor: f64, duration_seconds: f64) -> Scenario {
        let mut s = self.clone();
        s.users.count = ((s.users.count as f64 * factor).round() as usize).max(1);
        let stretch = duration_seconds / s.duration_seconds;
        for p in &mut s.rate.points {
            p[0] *= stretch;
            p[1] *= factor;
        }
        s.duration_seconds = duration_seconds;
        s
    }
}

#[cfg(test)]
mod tests;
