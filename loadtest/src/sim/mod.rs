//! The discrete-event model of API Gateway's authorizer cache in front of a
//! Lambda authorizer. Each request of the traffic stream is answered from
//! the cache (keyed by the user's current token, valid for the TTL) or by
//! invoking the authorizer, whose duration is drawn from the real handler's
//! measured durations. The model tracks each user's token (expiry, early
//! refresh, revocation), the Lambda environments (cold starts), and every
//! answer the cache gives for a token that had expired or been revoked.
//!
//! Approximations, stated so they can be judged: the authorizer refuses a
//! token at its `exp` (no leeway); in mode `jwt+introspect` it sees a
//! revocation once its introspection answer (kept
//! `introspection_cache_seconds`, one cache for all environments) is older
//! than that, and in mode `jwt` never; a refused client gets a new token
//! for its next request; the verified-token memo is taken to hit for a
//! token the authorizer has verified before, unless the environment is
//! cold. The cache may be split into partitions (a request lands on a
//! random one, or a user always on the same one) and each authorizer has
//! its own. An environment is busy for the billed duration plus the invoke
//! overhead; Lambda's concurrency limit, scale rate and environment
//! lifetime apply, and a throttled invocation is an API Gateway 500.

pub mod lambda;
mod model;
mod route_key;

use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::traffic::{Event, Traffic};
use hdrhistogram::Histogram;
pub use lambda::Limits;
use lambda::Pool;
pub use model::{Introspection, Model, Topology};
use std::sync::atomic::{AtomicU64, Ordering};

/// Measured durations, in seconds, sampled uniformly.
#[derive(Debug, Clone)]
pub struct Durations {
    /// Handler time for a token the environment has not verified before.
    pub new_token: Vec<f64>,
    /// Handler time for a token answered from the verified-token memo.
    pub repeat_token: Vec<f64>,
    /// Handler time for a token that fails verification.
    pub invalid_token: Vec<f64>,
    /// Process start to ready, billed as INIT on a cold start.
    pub init: Vec<f64>,
}

impl Durations {
    /// Every duration the same: for closed-form tests.
    pub fn constant(handler: f64, init: f64) -> Durations {
        Durations {
            new_token: vec![handler],
            repeat_token: vec![handler],
            invalid_token: vec![handler],
            init: vec![init],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposure {
    /// Requests answered from the cache after their token expired or was revoked.
    pub requests: u64,
    /// Distinct tokens behind those requests.
    pub tokens: u64,
    /// The longest time past expiry or revocation that the cache still answered.
    pub longest_seconds: f64,
    /// Of `requests`, those the function itself allowed after revocation
    /// (its introspection cache, or mode `jwt`): exposure no TTL removes.
    pub by_function: u64,
}

/// What one TTL produced over the scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ttl: f64,
    pub requests: u64,
    pub invocations: u64,
    pub cache_hits: u64,
    /// Requests refused with 401 (invalid, expired or revoked tokens).
    pub unauthorized: u64,
    pub cold_starts: u64,
    /// Environments retired at their maximum lifetime.
    pub retired_environments: u64,
    /// Invocations Lambda throttled (answered 500 by API Gateway, not billed).
    pub throttled: u64,
    /// Invocations that asked the IdP's introspection endpoint.
    pub introspections: u64,
    pub peak_concurrency: usize,
    /// Sum over invocations of the handler duration rounded up to 1 ms (Lambda's billing unit).
    pub billed_ms: u64,
    /// What cold starts add to the billed duration: AWS bills
    /// ceil(INIT + duration), so this is that minus ceil(duration).
    pub init_billed_ms: u64,
    /// Latency the authorizer adds to each request, in microseconds.
    pub added_latency_us: Histogram<u64>,
    pub exposure: Exposure,
    pub simulated_seconds: f64,
}

impl Outcome {
    pub fn hit_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.cache_hits as f64 / self.requests as f64
        }
    }

    /// Added latency at quantile `q` (0..=1), in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.added_latency_us.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One user's session as the cache and the authorizer see it.
#[derive(Debug, Clone, Copy)]
struct Session {
    exp: f64,
    refresh_at: f64,
    revoked_at: f64,
    /// Until when the first cache slot answers for the current token (the
    /// only one, unless the cache is split: kept inline, one cache miss per request).
    cached_until: f64,
    started: bool,
    /// When the function last asked the IdP about the current token.
    introspected_at: f64,
    /// Refreshes only when refused.
    late: bool,
    /// The authorizer has verified the current token before (memo).
    verified: bool,
    /// The current token has already counted as exposed.
    exposed: bool,
    /// Which token of the user this is (a per-route slot holds one).
    generation: u32,
}

const UNSEEN: Session = Session {
    exp: 0.0,
    refresh_at: 0.0,
    revoked_at: f64::INFINITY,
    cached_until: f64::NEG_INFINITY,
    started: false,
    introspected_at: f64::NEG_INFINITY,
    late: false,
    verified: false,
    exposed: false,
    generation: 0,
};

/// How many requests between updates of the shared progress counter.
const PROGRESS_EVERY: u64 = 1 << 16;

pub struct Simulator<'d> {
    model: Model,
    durations: &'d Durations,
    sessions: Vec<Session>,
    /// Until when each further cache slot answers for its user's current
    /// token (`slots - 1` per user, see [`Topology`]).
    more_slots: Vec<f64>,
    slots: usize,
    /// With a per-route cache key, the slots per path instead.
    routes: Option<route_key::RouteSlots>,
    rng: Rng,
    pool: Pool,
    out: Outcome,
}

impl<'d> Simulator<'d> {
    pub fn new(model: Model, users: usize, durations: &'d Durations, seed: u64) -> Simulator<'d> {
        let out = Outcome {
            ttl: model.ttl,
            requests: 0,
            invocations: 0,
            cache_hits: 0,
            unauthorized: 0,
            cold_starts: 0,
            retired_environments: 0,
            throttled: 0,
            introspections: 0,
            peak_concurrency: 0,
            billed_ms: 0,
            init_billed_ms: 0,
            // 1 µs to 1 hour at 3 significant digits; fits any latency here.
            added_latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .unwrap_or_else(|_| unreachable!("constant bounds are valid")),
            exposure: Exposure::default(),
            simulated_seconds: 0.0,
        };
        let slots = model.topology.slots();
        Simulator {
            pool: Pool::new(model.idle_expiry, model.limits),
            more_slots: vec![f64::NEG_INFINITY; users * (slots - 1)],
            slots,
            routes: model
                .route_key
                .map(|(paths, exponent)| route_key::RouteSlots::new(paths, exponent)),
            model,
            durations,
            sessions: vec![UNSEEN; users],
            rng: Rng::new(seed ^ 0x5CA1_AB1E),
            out,
        }
    }

    /// Replays a whole traffic stream and returns the outcome.
    pub fn run(mut self, traffic: impl Iterator<Item = Event>, progress: &AtomicU64) -> Outcome {
        let mut pending = 0;
        for event in traffic {
            self.apply(event);
            pending += 1;
            if pending == PROGRESS_EVERY {
                progress.fetch_add(pending, Ordering::Relaxed);
                pending = 0;
            }
        }
        progress.fetch_add(pending, Ordering::Relaxed);
        self.finish()
    }

    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Request { t, user, invalid } => self.request(t, user as usize, invalid),
            Event::Revoke { t, user } => {
                let s = &mut self.sessions[user as usize];
                if s.started {
                    s.revoked_at = s.revoked_at.min(t);
                }
            }
        }
        self.out.simulated_seconds = self.out.simulated_seconds.max(event.time());
    }

    pub fn finish(mut self) -> Outcome {
        self.out.cold_starts = self.pool.cold_starts;
        self.out.retired_environments = self.pool.retired;
        self.out.throttled = self.pool.throttled;
        self.out.peak_concurrency = self.pool.peak_concurrency;
        self.out
    }

    fn new_token(&mut self, user: usize, t: f64) {
        let skew = self.rng.unit() * self.model.refresh_skew;
        let s = &mut self.sessions[user];
        s.exp = t + self.model.lifetime;
        s.refresh_at = if s.late { f64::INFINITY } else { s.exp - skew };
        s.revoked_at = f64::INFINITY;
        s.introspected_at = f64::NEG_INFINITY;
        s.verified = false;
        s.exposed = false;
        s.generation = s.generation.wrapping_add(1);
        s.cached_until = f64::NEG_INFINITY;
        let more = self.slots - 1;
        self.more_slots[user * more..(user + 1) * more].fill(f64::NEG_INFINITY);
    }

    /// The cache slot this request reaches: 0 is the session's own, k > 0
    /// is `more_slots[user * (slots - 1) + k - 1]`.
    #[inline]
    fn slot(&mut self, user: usize) -> usize {
        if self.slots == 1 {
            return 0;
        }
        let topology = self.model.topology;
        let authorizer = self.rng.below(topology.authorizers as usize);
        let partition = if topology.sticky {
            0
        } else {
            self.rng.below(topology.partitions as usize)
        };
        let slot = authorizer * (self.slots / topology.authorizers as usize) + partition;
        if slot == 0 {
            0
        } else {
            user * (self.slots - 1) + slot
        }
    }

    #[inline]
    fn cached_until(&self, user: usize, slot: usize) -> f64 {
        if slot == 0 {
            self.sessions[user].cached_until
        } else {
            self.more_slots[slot - 1]
        }
    }

    #[inline]
    fn cache(&mut self, user: usize, slot: usize, until: f64) {
        if slot == 0 {
            self.sessions[user].cached_until = until;
        } else {
            self.more_slots[slot - 1] = until;
        }
    }

    /// Counts a request answered Allow for a token past `refused_after`.
    fn expose(&mut self, user: usize, t: f64, refused_after: f64, by_function: bool) {
        let s = &mut self.sessions[user];
        let e = &mut self.out.exposure;
        e.requests += 1;
        e.by_function += u64::from(by_function);
        e.tokens += u64::from(!s.exposed);
        s.exposed = true;
        e.longest_seconds = e.longest_seconds.max(t - refused_after);
    }

    /// A user seen for the first time already holds a token of uniformly
    /// random age that it has not yet refreshed (steady state).
    fn start_session(&mut self, user: usize, t: f64) {
        let late = self.rng.unit() < self.model.late_refresh_fraction;
        let skew = if late {
            0.0
        } else {
            self.rng.unit() * self.model.refresh_skew
        };
        let age = if self.model.fresh_sessions {
            0.0
        } else {
            self.rng.unit() * (self.model.lifetime - skew)
        };
        let s = &mut self.sessions[user];
        s.started = true;
        s.late = late;
        s.exp = t - age + self.model.lifetime;
        s.refresh_at = if late { f64::INFINITY } else { s.exp - skew };
    }

    #[inline]
    fn request(&mut self, t: f64, user: usize, invalid: bool) {
        self.out.requests += 1;
        if invalid {
            if self.invoke(t, Class::Invalid, 0.0) {
                self.out.unauthorized += 1;
            }
            return;
        }
        if !self.sessions[user].started {
            self.start_session(user, t);
        }
        if t >= self.sessions[user].refresh_at {
            self.new_token(user, t);
        }
        let slot = self.slot(user);
        let path = self.routes.as_ref().map(|r| r.draw(&mut self.rng));
        let s = self.sessions[user];
        let refused_after = s.exp.min(s.revoked_at);
        let cached_until = match (&self.routes, path) {
            (Some(routes), Some(path)) => routes.cached_until(user, slot, path, s.generation),
            _ => self.cached_until(user, slot),
        };
        if t < cached_until {
            self.out.cache_hits += 1;
            if t >= refused_after {
                self.expose(user, t, refused_after, false);
            }
            self.record(0.0);
            return;
        }
        let class = if s.verified {
            Class::Repeat
        } else {
            Class::New
        };
        if t >= s.exp {
            if self.invoke(t, Class::Invalid, 0.0) {
                self.out.unauthorized += 1;
                self.new_token(user, t);
            }
            return;
        }
        // Does the function ask the IdP, and what does it learn?
        let (asks, refuses) = match self.model.introspection {
            None => (false, false),
            Some(i) if t >= s.introspected_at + i.cache => (true, t >= s.revoked_at),
            Some(_) => (false, false),
        };
        let round_trip = match self.model.introspection {
            Some(i) if asks => i.round_trip,
            _ => 0.0,
        };
        if !self.invoke(t, if refuses { Class::Invalid } else { class }, round_trip) {
            return;
        }
        if asks {
            self.out.introspections += 1;
            self.sessions[user].introspected_at = t;
        }
        if refuses {
            self.out.unauthorized += 1;
            self.new_token(user, t);
            return;
        }
        if t >= s.revoked_at {
            self.expose(user, t, s.revoked_at, true);
        }
        self.sessions[user].verified = true;
        if self.model.ttl > 0.0 {
            let until = t + self.model.ttl;
            match (&mut self.routes, path) {
                (Some(routes), Some(path)) => routes.cache(user, slot, path, s.generation, until),
                _ => self.cache(user, slot, until),
            }
        }
    }

    /// One authorizer invocation: draws its duration, runs it on an
    /// environment (maybe cold), bills it and records the added latency.
    /// `wait` is time the handler spends on the IdP. Returns false when
    /// Lambda throttled it (API Gateway answers 500; nothing is billed).
    fn invoke(&mut self, t: f64, class: Class, wait: f64) -> bool {
        let d = self.durations;
        let samples = match class {
            Class::New => &d.new_token,
            Class::Repeat => &d.repeat_token,
            Class::Invalid => &d.invalid_token,
        };
        let mut handler = samples[self.rng.below(samples.len())];
        let init = d.init[self.rng.below(d.init.len())];
        let rng = &mut self.rng;
        let new_samples = &d.new_token;
        let overhead = self.model.invoke_overhead;
        let served = self.pool.invoke(t, |cold| {
            if cold && matches!(class, Class::Repeat) {
                // A fresh environment has an empty memo.
                handler = new_samples[rng.below(new_samples.len())];
            }
            // Busy for what Lambda bills, plus the invoke round trip.
            let run = handler + wait + if cold { init } else { 0.0 };
            billed_ms(run) as f64 / 1000.0 + overhead
        });
        let Some(cold) = served else {
            self.record(overhead);
            return false;
        };
        self.out.invocations += 1;
        let duration = handler + wait;
        self.out.billed_ms += billed_ms(duration);
        let mut latency = overhead + duration;
        if cold {
            self.out.init_billed_ms += billed_ms(init + duration) - billed_ms(duration);
            latency += self.model.platform_cold_start + init;
        }
        self.record(latency);
        true
    }

    #[inline]
    fn record(&mut self, seconds: f64) {
        let us = (seconds * 1e6).round().clamp(1.0, 3.6e9) as u64;
        self.out.added_latency_us.saturating_record(us);
    }
}

#[derive(Debug, Clone, Copy)]
enum Class {
    New,
    Repeat,
    Invalid,
}

/// Lambda bills duration in 1 ms increments, at least 1 ms.
fn billed_ms(seconds: f64) -> u64 {
    ((seconds * 1000.0).ceil() as u64).max(1)
}

/// Simulates `scenario` at `ttl` seconds.
pub fn simulate(
    scenario: &Scenario,
    ttl: f64,
    durations: &Durations,
    progress: &AtomicU64,
) -> Outcome {
    let sim = Simulator::new(
        Model::new(scenario, ttl),
        scenario.users.count,
        durations,
        scenario.seed,
    );
    sim.run(Traffic::new(scenario), progress)
}

#[cfg(test)]
mod tests;
