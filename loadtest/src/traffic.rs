//! The scenario's traffic as a time-ordered stream: Poisson request
//! arrivals at the scenario's (time-varying) rate, each from a Zipf-chosen
//! user, some carrying an invalid token, interleaved with session
//! revocations. Same scenario and seed, same stream.

use crate::rng::{Rng, Zipf};
use crate::scenario::Scenario;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// A request at `t` seconds from `user`; `invalid` if its token fails verification.
    Request { t: f64, user: u32, invalid: bool },
    /// `user`'s current session is revoked at `t`.
    Revoke { t: f64, user: u32 },
}

impl Event {
    pub fn time(&self) -> f64 {
        match *self {
            Event::Request { t, .. } | Event::Revoke { t, .. } => t,
        }
    }
}

/// Generates the stream lazily: no allocation per event.
pub struct Traffic<'a> {
    points: &'a [[f64; 2]],
    duration: f64,
    users: Zipf,
    invalid_fraction: f64,
    arrivals: Rng,
    choices: Rng,
    /// Current time of the arrival process and the segment it is in.
    t: f64,
    segment: usize,
    revocation_rate: f64,
    revocations: Rng,
    next_revocation: f64,
    pending: Option<Event>,
}

impl<'a> Traffic<'a> {
    pub fn new(scenario: &'a Scenario) -> Traffic<'a> {
        let mut root = Rng::new(scenario.seed);
        let mut revocations = root.fork(3);
        let revocation_rate = scenario.revocations.per_hour / 3600.0;
        let next_revocation = if revocation_rate > 0.0 {
            revocations.exponential(revocation_rate)
        } else {
            f64::INFINITY
        };
        Traffic {
            points: &scenario.rate.points,
            duration: scenario.duration_seconds,
            users: Zipf::new(scenario.users.count, scenario.users.zipf_exponent),
            invalid_fraction: scenario.tokens.invalid_fraction,
            arrivals: root.fork(1),
            choices: root.fork(2),
            t: 0.0,
            segment: 0,
            revocation_rate,
            revocations,
            next_revocation,
            pending: None,
        }
    }

    /// The next arrival time, by thinning: within a segment candidates come
    /// at the segment's peak rate and are kept with probability rate/peak.
    /// Restarting at a segment boundary is exact (Poisson is memoryless).
    fn next_arrival(&mut self) -> Option<f64> {
        loop {
            let p = self.points;
            let (start, end) = match p.get(self.segment + 1) {
                Some(next) => (p[self.segment], next[0]),
                None => (p[p.len() - 1], f64::INFINITY),
            };
            let end = end.min(self.duration);
            if self.t >= self.duration {
                return None;
            }
            let (r0, r1) = if self.segment + 1 < p.len() {
                (start[1], p[self.segment + 1][1])
            } else {
                (start[1], start[1])
            };
            let peak = r0.max(r1);
            let candidate = if peak > 0.0 {
                self.t + self.arrivals.exponential(peak)
            } else {
                f64::INFINITY
            };
            if candidate >= end {
                self.t = end;
                if self.segment + 1 < p.len() {
                    self.segment += 1;
                }
                continue;
            }
            self.t = candidate;
            let rate = if r0 == r1 {
                r0
            } else {
                let next_t = p[self.segment + 1][0];
                r0 + (r1 - r0) * (candidate - start[0]) / (next_t - start[0])
            };
            if rate >= peak || self.arrivals.unit() * peak < rate {
                return Some(candidate);
            }
        }
    }
}

impl Iterator for Traffic<'_> {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        let request = if let Some(event) = self.pending.take() {
            event
        } else {
            let t = self.next_arrival()?;
            let user = self.users.sample(&mut self.choices) as u32;
            let invalid =
                self.invalid_fraction > 0.0 && self.choices.unit() < self.invalid_fraction;
            Event::Request { t, user, invalid }
        };
        if self.next_revocation <= request.time() {
            let t = self.next_revocation;
            self.next_revocation = t + self.revocations.exponential(self.revocation_rate);
            self.pending = Some(request);
            let user = self.users.sample(&mut self.revocations) as u32;
            return Some(Event::Revoke { t, user });
        }
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(points: &str, extra: &str) -> Scenario {
        let text = format!(
            r#"name = "t"
duration_seconds = 1000
[users]
count = 10
[rate]
points = {points}
[tokens]
lifetime_seconds = 3600
{extra}"#
        );
        Scenario::parse(&text, "test").unwrap()
    }

    #[test]
    fn arrivals_follow_the_rate_profile() {
        let s = scenario("[[0, 100], [500, 100], [600, 1000], [1000, 1000]]", "");
        let events: Vec<Event> = Traffic::new(&s).collect();
        let count_in =
            |a: f64, b: f64| events.iter().filter(|e| (a..b).contains(&e.time())).count() as f64;
        let expected = s.rate.expected_requests(1000.0);
        assert!((events.len() as f64 - expected).abs() < 4.0 * expected.sqrt());
        assert!((count_in(0.0, 500.0) - 50_000.0).abs() < 1000.0);
        assert!((count_in(600.0, 1000.0) - 400_000.0).abs() < 3000.0);
        assert!(events.windows(2).all(|w| w[0].time() <= w[1].time()));
        assert!(events.iter().all(|e| e.time() < 1000.0));
    }

    #[test]
    fn revocations_and_invalid_tokens_are_interleaved_in_order() {
        let s = scenario(
            "[[0, 50]]",
            "invalid_fraction = 0.1\n[revocations]\nper_hour = 36000",
        );
        let events: Vec<Event> = Traffic::new(&s).collect();
        let revokes = events
            .iter()
            .filter(|e| matches!(e, Event::Revoke { .. }))
            .count() as f64;
        let invalid = events
            .iter()
            .filter(|e| matches!(e, Event::Request { invalid: true, .. }))
            .count() as f64;
        assert!((revokes - 10_000.0).abs() < 400.0, "{revokes}");
        assert!((invalid - 5_000.0).abs() < 300.0, "{invalid}");
        assert!(events.windows(2).all(|w| w[0].time() <= w[1].time()));
    }

    #[test]
    fn same_seed_same_traffic() {
        let s = scenario("[[0, 20]]", "");
        let a: Vec<Event> = Traffic::new(&s).take(500).collect();
        let b: Vec<Event> = Traffic::new(&s).take(500).collect();
        assert_eq!(a, b);
    }
}
