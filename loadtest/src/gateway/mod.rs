//! A local API Gateway in front of the scopegate authorizer, in every form
//! API Gateway calls one (REST TOKEN and REQUEST, HTTP API 1.0 and 2.0 with
//! IAM or simple responses, WebSocket `$connect`), with API Gateway's
//! semantics: identity checks before any invocation, the authorizer result
//! cache keyed by the identity sources and shared by every route, IAM
//! policy evaluation, and API Gateway's own answers. Plain and synchronous, with the clock
//! passed in, so tests drive it without sockets; `serve` is its HTTP shell.

pub mod cache;
pub mod config;
mod events;
pub mod policy;
mod request;

use crate::identity::API_ARN;
use cache::AuthorizerCache;
use config::{AuthorizerKind, GatewayConfig, PastLimit};
use metrics::Counter;
use policy::{Policy, Verdict};
pub(crate) use request::Request;
use scopegate::Authorizer;
use scopegate::telemetry::{Instruments, Invocation, Telemetry};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
pub const EXPLICIT_DENY: &str =
    r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#;
pub const IMPLICIT_DENY: &str = r#"{"Message":"User is not authorized to access this resource"}"#;
pub const AUTHORIZER_FAILURE: &str = r#"{"message":null}"#;
pub const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
/// An HTTP API simple response of `false`.
pub const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;

/// What the gateway decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Authorized: run the integration for this route.
    Integrate { route: String, principal_id: String },
    /// API Gateway answered itself.
    Answer { status: u16, body: &'static str },
}

/// One request as the access log sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub reply: Reply,
    /// The authorizer's `principalId`, when a policy (cached or new) answered.
    pub principal_id: Option<String>,
    /// Set when this request invoked the authorizer.
    pub invocation: Option<Invoked>,
}

/// An authorizer invocation, as `$context.authorizer.*` reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invoked {
    /// The invocation's number (`$context.authorizer.requestId` in the lab).
    pub id: u64,
    /// Seconds the invocation took (`$context.authorizer.latency`).
    pub latency: f64,
    /// What it answered: 200 (a policy), 401 or 500.
    pub status: u16,
}

/// Counts kept by the gateway (also exported as Prometheus metrics).
#[derive(Debug, Default)]
pub struct Counts {
    pub requests: AtomicU64,
    pub invocations: AtomicU64,
    pub cache_hits: AtomicU64,
    /// 401s answered without invoking the authorizer.
    pub rejected_before_invocation: AtomicU64,
    /// Requests whose policy was over `policy_limit_bytes`.
    pub over_limit: AtomicU64,
}

impl Counts {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

struct Meters {
    invocations: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    rejected_before: Counter,
    duration: metrics::Histogram,
    policy_bytes: metrics::Histogram,
}

pub struct Gateway {
    config: GatewayConfig,
    authorizer: Authorizer,
    cache: AuthorizerCache,
    telemetry: Telemetry,
    meters: Meters,
    pub counts: Counts,
}

impl Gateway {
    /// Registers its metrics with the current `metrics` recorder.
    pub fn new(config: GatewayConfig, authorizer: Authorizer, ttl: f64) -> Gateway {
        metrics::describe_counter!(
            "scopegate_lab_authorizer_invocations_total",
            metrics::Unit::Count,
            "authorizer (Lambda) invocations"
        );
        metrics::describe_histogram!(
            "scopegate_lab_authorizer_duration_seconds",
            metrics::Unit::Seconds,
            "authorizer invocation time"
        );
        metrics::describe_counter!(
            "scopegate_lab_authorizer_cache_total",
            metrics::Unit::Count,
            "authorizer result cache lookups by result"
        );
        metrics::describe_histogram!(
            "scopegate_lab_policy_document_bytes",
            metrics::Unit::Bytes,
            "policyDocument size of each answer evaluated (cached or new)"
        );
        metrics::describe_counter!(
            "scopegate_lab_rejected_before_invocation_total",
            metrics::Unit::Count,
            "401s answered from the identity checks, without invoking the authorizer"
        );
        let meters = Meters {
            invocations: metrics::counter!("scopegate_lab_authorizer_invocations_total"),
            cache_hits: metrics::counter!("scopegate_lab_authorizer_cache_total", "result" => "hit"),
            cache_misses: metrics::counter!("scopegate_lab_authorizer_cache_total", "result" => "miss"),
            rejected_before: metrics::counter!("scopegate_lab_rejected_before_invocation_total"),
            duration: metrics::histogram!("scopegate_lab_authorizer_duration_seconds"),
            policy_bytes: metrics::histogram!("scopegate_lab_policy_document_bytes"),
        };
        Gateway {
            config,
            authorizer,
            cache: AuthorizerCache::new(ttl, 1),
            telemetry: Telemetry::quiet().with_instruments(Instruments::register()),
            meters,
            counts: Counts::default(),
        }
    }

    /// The same gateway with its cache split into `n` partitions; each
    /// request lands on one of them at random (uniform routing).
    #[must_use]
    pub fn with_cache_partitions(mut self, n: usize) -> Gateway {
        self.cache = AuthorizerCache::new(self.cache.ttl(), n);
        self
    }

    pub fn cache_partitions(&self) -> usize {
        self.cache.partitions()
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub fn ttl(&self) -> f64 {
        self.cache.ttl()
    }

    /// Handles one request: `path` may carry a query string; `header`
    /// looks a header up by name (case-insensitive).
    pub fn handle<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h str>,
        now: f64,
    ) -> Reply {
        self.handle_logged(method, path, header, now).reply
    }

    /// [`Gateway::handle`], with what the access log records.
    pub fn handle_logged<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h str>,
        now: f64,
    ) -> Handled {
        let n = self.counts.requests.fetch_add(1, Ordering::Relaxed);
        let answer = |reply: Reply| Handled {
            reply,
            principal_id: None,
            invocation: None,
        };
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let Some(matched) = self.config.route(method, path) else {
            return answer(Reply::Answer {
                status: 403,
                body: MISSING_TOKEN,
            });
        };
        let reject_early = || {
            self.counts
                .rejected_before_invocation
                .fetch_add(1, Ordering::Relaxed);
            self.meters.rejected_before.increment(1);
            Reply::Answer {
                status: 401,
                body: UNAUTHORIZED,
            }
        };
        let request = Request {
            method,
            path,
            matched,
            query: &query,
            header: &header,
        };
        // The cache key: every identity source's value, each required.
        let Some(key) = self.cache_key(&request) else {
            return answer(reject_early());
        };
        if self.config.authorizer == AuthorizerKind::Token
            && let Some(re) = &self.config.validation
            && !re.is_match(&key)
        {
            return answer(reject_early());
        }
        let arn = self.arn(&request);
        let partition = spread(n) as usize;
        let mut invocation = None;
        let policy = if let Some(policy) = self.cache.get(partition, &key, now) {
            self.counts.cache_hits.fetch_add(1, Ordering::Relaxed);
            self.meters.cache_hits.increment(1);
            policy
        } else {
            self.meters.cache_misses.increment(1);
            let started = std::time::Instant::now();
            let id = self.counts.invocations.load(Ordering::Relaxed);
            let result = self.invoke(&request, &arn, now);
            let mut invoked = Invoked {
                id,
                latency: started.elapsed().as_secs_f64(),
                status: 200,
            };
            match result {
                Ok(policy) => {
                    self.cache.put(partition, &key, Arc::clone(&policy), now);
                    invocation = Some(invoked);
                    policy
                }
                Err(reply) => {
                    if let Reply::Answer { status, .. } = reply {
                        invoked.status = status;
                    }
                    return Handled {
                        reply,
                        principal_id: None,
                        invocation: Some(invoked),
                    };
                }
            }
        };
        let principal_id = Some(policy.principal_id.clone());
        self.meters
            .policy_bytes
            .record(policy.document_bytes as f64);
        // Past the size API Gateway evaluates, every route fails alike.
        let verdict = if policy.document_bytes > self.config.policy_limit_bytes {
            self.counts.over_limit.fetch_add(1, Ordering::Relaxed);
            match self.config.past_limit {
                PastLimit::Deny => Verdict::ExplicitDeny,
                PastLimit::Error => {
                    return Handled {
                        reply: Reply::Answer {
                            status: 500,
                            body: AUTHORIZER_FAILURE,
                        },
                        principal_id,
                        invocation,
                    };
                }
            }
        } else {
            policy.evaluate(&arn)
        };
        let reply = match verdict {
            Verdict::Allow => Reply::Integrate {
                route: matched.route.to_string(),
                principal_id: policy.principal_id.clone(),
            },
            Verdict::ExplicitDeny => Reply::Answer {
                status: 403,
                body: EXPLICIT_DENY,
            },
            Verdict::ImplicitDeny => Reply::Answer {
                status: 403,
                body: IMPLICIT_DENY,
            },
            Verdict::Forbidden => Reply::Answer {
                status: 403,
                body: FORBIDDEN,
            },
        };
        Handled {
            reply,
            principal_id,
            invocation,
        }
    }

    /// The identity sources' values joined, or `None` when one is missing
    /// or empty (API Gateway answers 401 without invoking).
    fn cache_key(&self, request: &Request<'_, '_>) -> Option<String> {
        if self.config.authorizer == AuthorizerKind::Token {
            return (request.header)(&self.config.identity_header)
                .filter(|v| !v.is_empty())
                .map(str::to_string);
        }
        let mut key = String::new();
        for (i, source) in self.config.identity_sources.iter().enumerate() {
            let value = request.source(source)?;
            if value.is_empty() {
                return None;
            }
            if i > 0 {
                key.push('\u{1f}');
            }
            key.push_str(&value);
        }
        Some(key)
    }

    /// The ARN API Gateway evaluates the policy against (and sends as
    /// `methodArn` / `routeArn`): `api/stage/VERB/resource`, or
    /// `api/stage/$connect`.
    fn arn(&self, request: &Request<'_, '_>) -> String {
        let stage = &self.config.stage;
        match self.config.authorizer {
            AuthorizerKind::WebSocket => format!("{API_ARN}/{stage}/$connect"),
            _ => format!(
                "{API_ARN}/{stage}/{}/{}",
                request.method, request.matched.resource
            ),
        }
    }

    /// One authorizer invocation, through the same handler as the Lambda.
    fn invoke(&self, request: &Request<'_, '_>, arn: &str, now: f64) -> Result<Arc<Policy>, Reply> {
        self.counts.invocations.fetch_add(1, Ordering::Relaxed);
        self.meters.invocations.increment(1);
        let event = events::event(&self.config, request, arn);
        // The authorizer's own telemetry, as the Lambda records it (no log
        // lines or EMF here: the lab's metrics go to its Prometheus endpoint).
        let (result, nanos) =
            self.telemetry
                .observe(&Invocation::default(), &mut std::io::sink(), |clock| {
                    self.authorizer.handle_observed(&event, now, clock)
                });
        self.meters.duration.record(nanos as f64 / 1e9);
        let failure = Reply::Answer {
            status: 500,
            body: AUTHORIZER_FAILURE,
        };
        match result {
            Err(_) => Err(Reply::Answer {
                status: 401,
                body: UNAUTHORIZED,
            }),
            Ok(response) => {
                let body = response.body();
                let policy = if self.config.simple_responses {
                    Policy::from_simple_response(&body)
                } else {
                    Policy::from_response(&body)
                };
                policy.map(Arc::new).ok_or(failure)
            }
        }
    }
}

/// A well-mixed 64-bit value from the request's sequence number
/// (splitmix64): which cache partition a request lands on.
fn spread(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
