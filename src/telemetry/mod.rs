//! Telemetry: one set of measurements recorded through the `metrics`
//! facade, whichever sink is installed — CloudWatch EMF on Lambda
//! ([`emf`]), Prometheus for `replay` and the lab — plus one structured JSON
//! log line per refused or denied request ([`log`]) and, when an OTLP
//! endpoint is configured, a trace per invocation ([`trace`]).
//!
//! Labels are bounded by construction: decision, `&'static str` reason
//! codes, algorithm names. Handles are registered once at start-up
//! ([`Instruments::register`]), so recording is an atomic add or a push to
//! a buffer, with no key built or hashed per request.

pub mod emf;
pub mod log;
pub mod prometheus;
pub mod trace;

use crate::authorizer::{Decision, Observer, Response};
use crate::config::Strings;
use crate::reject::Reject;
use crate::verify::Alg;
use metrics::{Counter, Histogram, Unit};
use std::time::Instant;

pub const HANDLER_SECONDS: &str = "scopegate_handler_seconds";
pub const EXTRACT_SECONDS: &str = "scopegate_extract_seconds";
pub const MEMO_LOOKUP_SECONDS: &str = "scopegate_memo_lookup_seconds";
pub const VERIFY_SECONDS: &str = "scopegate_verify_seconds";
pub const MAP_SECONDS: &str = "scopegate_map_seconds";
pub const DECISIONS_TOTAL: &str = "scopegate_decisions_total";
pub const MEMO_TOTAL: &str = "scopegate_token_memo_total";
pub const POLICY_MEMO_TOTAL: &str = "scopegate_policy_memo_total";
pub const COLD_STARTS_TOTAL: &str = "scopegate_cold_starts_total";
pub const JWKS_FETCHES_TOTAL: &str = "scopegate_jwks_fetches_total";
pub const INTROSPECTIONS_TOTAL: &str = "scopegate_introspections_total";

/// Every metric scopegate records, with its unit: the dashboards and the
/// tests read this list, so a metric cannot exist in one and not the other.
pub const METRICS: [(&str, Unit, &str); 11] = [
    (
        HANDLER_SECONDS,
        Unit::Seconds,
        "whole handler time per invocation",
    ),
    (
        EXTRACT_SECONDS,
        Unit::Seconds,
        "event parse and bearer extraction",
    ),
    (
        MEMO_LOOKUP_SECONDS,
        Unit::Seconds,
        "verified-token memo lookup",
    ),
    (
        VERIFY_SECONDS,
        Unit::Seconds,
        "signature and claims check (memo misses)",
    ),
    (
        MAP_SECONDS,
        Unit::Seconds,
        "scopes to policy and response (memo misses)",
    ),
    (
        DECISIONS_TOTAL,
        Unit::Count,
        "decisions by outcome and reason",
    ),
    (
        MEMO_TOTAL,
        Unit::Count,
        "verified-token memo lookups by result",
    ),
    (
        POLICY_MEMO_TOTAL,
        Unit::Count,
        "policy memo lookups by result",
    ),
    (
        COLD_STARTS_TOTAL,
        Unit::Count,
        "first invocation of an execution environment",
    ),
    (JWKS_FETCHES_TOTAL, Unit::Count, "JWKS fetches by result"),
    (
        INTROSPECTIONS_TOTAL,
        Unit::Count,
        "introspection calls by result",
    ),
];

/// Describes every metric (unit and help text) to the installed recorder.
pub fn describe() {
    for (name, unit, help) in METRICS {
        if unit == Unit::Seconds {
            metrics::describe_histogram!(name, unit, help);
        } else {
            metrics::describe_counter!(name, unit, help);
        }
    }
}

/// The EMF recorder scopegate installs: decisions (one series per reason
/// code) are written only when they happen; every other counter also as 0.
pub fn emf_recorder() -> emf::EmfRecorder {
    emf::EmfRecorder::with_sparse_counters(&[DECISIONS_TOTAL])
}

/// How a JWKS fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchResult {
    Ok,
    NotModified,
    Error,
}

/// How an introspection call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntrospectionResult {
    Active,
    Inactive,
    Error,
}

/// Handles to every series, registered once against the current recorder.
pub struct Instruments {
    handler: Histogram,
    extract: Histogram,
    memo_lookup: Histogram,
    verify: Histogram,
    map: Histogram,
    allow: Counter,
    deny: Counter,
    /// Indexed like [`Reject::ALL`].
    unauthorized: Vec<Counter>,
    memo_hit: Counter,
    memo_miss: Counter,
    policy_hit: Counter,
    policy_miss: Counter,
    cold_start: Counter,
    jwks: [Counter; 3],
    introspection: [Counter; 3],
}

impl Instruments {
    pub fn register() -> Instruments {
        describe();
        let decision = |outcome: &'static str, reason: &'static str| metrics::counter!(DECISIONS_TOTAL, "outcome" => outcome, "reason" => reason);
        Instruments {
            handler: metrics::histogram!(HANDLER_SECONDS),
            extract: metrics::histogram!(EXTRACT_SECONDS),
            memo_lookup: metrics::histogram!(MEMO_LOOKUP_SECONDS),
            verify: metrics::histogram!(VERIFY_SECONDS),
            map: metrics::histogram!(MAP_SECONDS),
            allow: decision("allow", "granted"),
            deny: decision("deny", "no_grant"),
            unauthorized: Reject::ALL
                .iter()
                .map(|r| decision("unauthorized", r.code()))
                .collect(),
            memo_hit: metrics::counter!(MEMO_TOTAL, "result" => "hit"),
            memo_miss: metrics::counter!(MEMO_TOTAL, "result" => "miss"),
            policy_hit: metrics::counter!(POLICY_MEMO_TOTAL, "result" => "hit"),
            policy_miss: metrics::counter!(POLICY_MEMO_TOTAL, "result" => "miss"),
            cold_start: metrics::counter!(COLD_STARTS_TOTAL),
            jwks: ["ok", "not_modified", "error"]
                .map(|r| metrics::counter!(JWKS_FETCHES_TOTAL, "result" => r)),
            introspection: ["active", "inactive", "error"]
                .map(|r| metrics::counter!(INTROSPECTIONS_TOTAL, "result" => r)),
        }
    }

    pub fn jwks_fetch(&self, result: FetchResult) {
        self.jwks[result as usize].increment(1);
    }

    pub fn introspection(&self, result: IntrospectionResult) {
        self.introspection[result as usize].increment(1);
    }

    pub fn cold_start(&self) {
        self.cold_start.increment(1);
    }

    /// Records one authorization: stage timings from `clock` and its outcome.
    pub fn record(&self, clock: &StageClock, result: &Result<Response, Reject>) {
        let t = &clock.marks;
        self.handler.record(clock.elapsed(clock.done));
        if let Some(extracted) = t.extracted {
            self.extract.record(clock.elapsed(Some(extracted)));
            if let Some(looked_up) = t.memo_looked_up {
                self.memo_lookup.record(seconds(looked_up - extracted));
                if let Some(verified) = t.verified {
                    self.verify.record(seconds(verified - looked_up));
                    if let Some(mapped) = t.mapped {
                        self.map.record(seconds(mapped - verified));
                    }
                }
            }
        }
        match t.memo_hit {
            Some(true) => self.memo_hit.increment(1),
            Some(false) => self.memo_miss.increment(1),
            None => {}
        }
        match t.policy_memo_hit {
            Some(true) => self.policy_hit.increment(1),
            Some(false) => self.policy_miss.increment(1),
            None => {}
        }
        match result {
            Ok(r) if r.decision == Decision::Allow => self.allow.increment(1),
            Ok(_) => self.deny.increment(1),
            Err(reject) => {
                if let Some(c) = self.unauthorized.get(reject.index()) {
                    c.increment(1);
                }
            }
        }
    }
}

fn seconds(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// Nanoseconds since the clock started, at each stage boundary.
#[derive(Debug, Default, Clone, Copy)]
pub struct Marks {
    pub extracted: Option<u64>,
    pub memo_looked_up: Option<u64>,
    pub verified: Option<u64>,
    pub mapped: Option<u64>,
    pub memo_hit: Option<bool>,
    pub policy_memo_hit: Option<bool>,
    pub alg: Option<Alg>,
}

/// An [`Observer`] that timestamps each stage boundary.
#[derive(Debug)]
pub struct StageClock {
    start: Instant,
    pub marks: Marks,
    done: Option<u64>,
    /// The token's `kid`, kept only for a traced invocation (it costs a copy).
    pub kid: Option<String>,
    keep_kid: bool,
}

impl StageClock {
    pub fn start() -> StageClock {
        StageClock {
            start: Instant::now(),
            marks: Marks::default(),
            done: None,
            kid: None,
            keep_kid: false,
        }
    }

    /// A clock that also keeps the `kid`, for a span attribute.
    pub fn detailed() -> StageClock {
        StageClock {
            keep_kid: true,
            ..StageClock::start()
        }
    }

    /// When the clock started.
    pub fn started_at(&self) -> Instant {
        self.start
    }

    /// Nanoseconds from the start to [`StageClock::stop`], if stopped.
    pub fn done(&self) -> Option<u64> {
        self.done
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Marks the end of the invocation; returns its duration in nanoseconds.
    pub fn stop(&mut self) -> u64 {
        let t = self.now();
        self.done = Some(t);
        t
    }

    fn elapsed(&self, mark: Option<u64>) -> f64 {
        seconds(mark.unwrap_or_else(|| self.now()))
    }
}

impl Observer for StageClock {
    fn extracted(&mut self) {
        self.marks.extracted = Some(self.now());
    }
    fn memo_looked_up(&mut self, hit: bool) {
        self.marks.memo_looked_up = Some(self.now());
        self.marks.memo_hit = Some(hit);
    }
    fn header(&mut self, alg: Alg, kid: &str) {
        self.marks.alg = Some(alg);
        if self.keep_kid {
            self.kid = Some(kid.to_string());
        }
    }
    fn verified(&mut self) {
        self.marks.verified = Some(self.now());
    }
    fn mapped(&mut self, policy_memo_hit: bool) {
        self.marks.mapped = Some(self.now());
        self.marks.policy_memo_hit = Some(policy_memo_hit);
    }
}

pub const ENV_METRICS: &str = "SCOPEGATE_METRICS";
pub const ENV_NAMESPACE: &str = "SCOPEGATE_METRICS_NAMESPACE";
pub const ENV_POWERTOOLS_NAMESPACE: &str = "POWERTOOLS_METRICS_NAMESPACE";
pub const DEFAULT_NAMESPACE: &str = "scopegate";
pub const ENV_SERVICE: &str = "SCOPEGATE_METRICS_SERVICE";
pub const ENV_POWERTOOLS_SERVICE: &str = "POWERTOOLS_SERVICE_NAME";
pub const DEFAULT_SERVICE: &str = "scopegate";
pub const ENV_FUNCTION_DIMENSION: &str = "SCOPEGATE_METRICS_FUNCTION_DIMENSION";
pub const ENV_RESOLUTION: &str = "SCOPEGATE_METRICS_RESOLUTION";
pub const ENV_FLUSH: &str = "SCOPEGATE_METRICS_FLUSH";
pub const ENV_FLUSH_INVOCATIONS: &str = "SCOPEGATE_METRICS_FLUSH_INVOCATIONS";
pub const DEFAULT_FLUSH_INVOCATIONS: u32 = 100;
pub const ENV_FLUSH_SECONDS: &str = "SCOPEGATE_METRICS_FLUSH_SECONDS";
pub const DEFAULT_FLUSH_SECONDS: f64 = 60.0;
pub const ENV_LOG_LEVEL: &str = "SCOPEGATE_LOG_LEVEL";

/// When EMF documents are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flush {
    /// One set of documents per invocation.
    PerInvocation,
    /// Values buffered and written every `invocations` or `seconds`, whichever comes first.
    Aggregated { invocations: u32, seconds: f64 },
}

/// Telemetry settings, read at init like the rest of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub emf: bool,
    pub namespace: String,
    pub service: String,
    /// The function name as a dimension (from `AWS_LAMBDA_FUNCTION_NAME`), if enabled.
    pub function_name: Option<String>,
    pub high_resolution: bool,
    pub flush: Flush,
    pub log_level: log::Level,
    /// OpenTelemetry traces, when an OTLP endpoint is configured.
    pub traces: Option<trace::TraceSettings>,
}

impl Settings {
    pub fn from_strings(src: &dyn Strings) -> Result<Settings, String> {
        let named = |var: &str, msg: String| format!("{var}: {msg}");
        let emf = match src.get(ENV_METRICS).as_deref() {
            None | Some("emf") => true,
            Some("off") => false,
            Some(other) => return Err(named(ENV_METRICS, format!("`{other}` is not emf or off"))),
        };
        let pick = |ours: &str, powertools: &str, default: &str| {
            src.get(ours)
                .or_else(|| src.get(powertools))
                .unwrap_or_else(|| default.to_string())
        };
        let namespace = pick(ENV_NAMESPACE, ENV_POWERTOOLS_NAMESPACE, DEFAULT_NAMESPACE);
        if namespace.is_empty() || namespace.len() > 255 {
            return Err(named(ENV_NAMESPACE, "must be 1 to 255 characters".into()));
        }
        let service = pick(ENV_SERVICE, ENV_POWERTOOLS_SERVICE, DEFAULT_SERVICE);
        if service.is_empty() || service.len() > 1024 {
            return Err(named(ENV_SERVICE, "must be 1 to 1024 characters".into()));
        }
        let function_name = match src.get(ENV_FUNCTION_DIMENSION).as_deref() {
            None | Some("true") => src
                .get("AWS_LAMBDA_FUNCTION_NAME")
                .filter(|n| !n.is_empty()),
            Some("false") => None,
            Some(other) => {
                return Err(named(
                    ENV_FUNCTION_DIMENSION,
                    format!("`{other}` is not true or false"),
                ));
            }
        };
        let high_resolution = match src.get(ENV_RESOLUTION).as_deref() {
            None | Some("60") => false,
            Some("1") => true,
            Some(other) => return Err(named(ENV_RESOLUTION, format!("`{other}` is not 1 or 60"))),
        };
        let flush = match src.get(ENV_FLUSH).as_deref() {
            None | Some("invocation") => Flush::PerInvocation,
            Some("aggregated") => {
                let invocations = match src.get(ENV_FLUSH_INVOCATIONS) {
                    None => DEFAULT_FLUSH_INVOCATIONS,
                    Some(v) => v.parse().ok().filter(|&n: &u32| n >= 1).ok_or_else(|| {
                        named(ENV_FLUSH_INVOCATIONS, format!("`{v}` is not a count ≥ 1"))
                    })?,
                };
                let seconds = match src.get(ENV_FLUSH_SECONDS) {
                    None => DEFAULT_FLUSH_SECONDS,
                    Some(v) => v
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0)
                        .ok_or_else(|| {
                            named(ENV_FLUSH_SECONDS, format!("`{v}` is not seconds > 0"))
                        })?,
                };
                Flush::Aggregated {
                    invocations,
                    seconds,
                }
            }
            Some(other) => {
                return Err(named(
                    ENV_FLUSH,
                    format!("`{other}` is not invocation or aggregated"),
                ));
            }
        };
        let log_level = match src.get(ENV_LOG_LEVEL) {
            None => log::Level::Info,
            Some(v) => log::Level::parse(&v).ok_or_else(|| {
                named(
                    ENV_LOG_LEVEL,
                    format!("`{v}` is not off, error, info or debug"),
                )
            })?,
        };
        let traces = trace::TraceSettings::from_strings(src)?;
        Ok(Settings {
            traces,
            emf,
            namespace,
            service,
            function_name,
            high_resolution,
            flush,
            log_level,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Settings::from_strings(&map)
    }

    #[test]
    fn powertools_variables_are_defaults_ours_win() {
        let s = settings(&[
            (ENV_POWERTOOLS_NAMESPACE, "Payments"),
            (ENV_POWERTOOLS_SERVICE, "orders-api"),
            ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
        ])
        .unwrap();
        assert_eq!(
            (s.namespace.as_str(), s.service.as_str()),
            ("Payments", "orders-api")
        );
        assert_eq!(s.function_name.as_deref(), Some("authz"));
        let s = settings(&[
            (ENV_POWERTOOLS_NAMESPACE, "Payments"),
            (ENV_NAMESPACE, "Ours"),
        ])
        .unwrap();
        assert_eq!(s.namespace, "Ours");
        assert_eq!(s.flush, Flush::PerInvocation);
        assert!(s.emf && !s.high_resolution);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            (ENV_METRICS, "statsd"),
            (ENV_RESOLUTION, "5"),
            (ENV_FLUSH, "sometimes"),
            (ENV_LOG_LEVEL, "loud"),
            (ENV_FUNCTION_DIMENSION, "yes"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
        let err = settings(&[(ENV_FLUSH, "aggregated"), (ENV_FLUSH_INVOCATIONS, "0")]).unwrap_err();
        assert!(err.starts_with(ENV_FLUSH_INVOCATIONS), "{err}");
    }

    #[test]
    fn aggregated_flush_reads_its_bounds() {
        let s = settings(&[
            (ENV_FLUSH, "aggregated"),
            (ENV_FLUSH_INVOCATIONS, "500"),
            (ENV_FLUSH_SECONDS, "10"),
        ])
        .unwrap();
        assert_eq!(
            s.flush,
            Flush::Aggregated {
                invocations: 500,
                seconds: 10.0
            }
        );
    }
}
