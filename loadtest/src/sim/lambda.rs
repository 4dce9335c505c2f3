//! A model of the authorizer's Lambda execution environments: an invocation
//! reuses an idle warm environment if one exists, otherwise it starts a new
//! one (a cold start); environments idle longer than the expiry are
//! reclaimed. Lambda does not document its placement; reusing the most
//! recently used environment first keeps the fewest warm, which matches what
//! REPORT lines show for steady low-concurrency functions.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// `f64` seconds with a total order (times here are finite).
#[derive(Debug, Clone, Copy)]
struct Time(f64);
impl PartialEq for Time {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What Lambda bounds: concurrent executions, how fast new environments
/// may start, and how long one lives.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Concurrent executions the function may use (the account's 1,000 by default).
    pub concurrency: usize,
    /// New environments per 10 seconds ("1,000 execution environment
    /// instances every 10 seconds" per function), as a token bucket.
    pub scale_per_10_seconds: f64,
    /// Lambda "terminates execution environments every few hours … even for
    /// functions that are invoked continuously": the age at which it is
    /// retired (an assumption; AWS publishes no figure).
    pub max_lifetime: f64,
}

impl Limits {
    /// No limit at all: for closed-form tests.
    pub const NONE: Limits = Limits {
        concurrency: usize::MAX,
        scale_per_10_seconds: f64::INFINITY,
        max_lifetime: f64::INFINITY,
    };
}

/// An environment: when it became idle (or will), and when it started.
#[derive(Debug, Clone, Copy)]
struct Environment {
    at: f64,
    born: f64,
}

#[derive(Debug)]
pub struct Pool {
    idle_expiry: f64,
    limits: Limits,
    /// Idle environments by the time they became idle, oldest first.
    idle: VecDeque<Environment>,
    /// Busy environments by the time they become idle.
    busy: BinaryHeap<Reverse<(Time, Time)>>,
    /// Environments that may still start now (the scale-rate bucket).
    start_budget: f64,
    budget_at: f64,
    pub cold_starts: u64,
    /// Environments retired at their maximum lifetime (their next use is cold).
    pub retired: u64,
    /// Invocations refused by the concurrency limit or the scale rate.
    pub throttled: u64,
    pub peak_concurrency: usize,
}

impl Pool {
    pub fn new(idle_expiry: f64, limits: Limits) -> Pool {
        Pool {
            idle_expiry,
            limits,
            idle: VecDeque::new(),
            busy: BinaryHeap::new(),
            start_budget: limits.scale_per_10_seconds,
            budget_at: 0.0,
            cold_starts: 0,
            retired: 0,
            throttled: 0,
            peak_concurrency: 0,
        }
    }

    /// Runs an invocation arriving at `t` whose environment is busy until
    /// `t + busy(cold)`; returns whether it was a cold start, or `None` when
    /// Lambda throttles it (no environment may take it).
    #[inline]
    pub fn invoke(&mut self, t: f64, busy: impl FnOnce(bool) -> f64) -> Option<bool> {
        while let Some(&Reverse((Time(free_at), Time(born)))) = self.busy.peek() {
            if free_at > t {
                break;
            }
            self.busy.pop();
            // Keep `idle` sorted: usually this is a push to the back.
            let at = self.idle.partition_point(|e| e.at <= free_at);
            self.idle.insert(at, Environment { at: free_at, born });
        }
        while self
            .idle
            .front()
            .is_some_and(|e| t - e.at > self.idle_expiry)
        {
            self.idle.pop_front();
        }
        if self.busy.len() >= self.limits.concurrency {
            self.throttled += 1;
            return None;
        }
        let mut reused = None;
        while let Some(e) = self.idle.pop_back() {
            if t - e.born > self.limits.max_lifetime {
                self.retired += 1;
                continue;
            }
            reused = Some(e.born);
            break;
        }
        let cold = reused.is_none();
        if cold {
            let cap = self.limits.scale_per_10_seconds;
            self.start_budget = (self.start_budget + (t - self.budget_at) * cap / 10.0).min(cap);
            self.budget_at = t;
            if self.start_budget < 1.0 {
                self.throttled += 1;
                return None;
            }
            self.start_budget -= 1.0;
            self.cold_starts += 1;
        }
        let free_at = t + busy(cold);
        self.busy
            .push(Reverse((Time(free_at), Time(reused.unwrap_or(t)))));
        self.peak_concurrency = self.peak_concurrency.max(self.busy.len());
        Some(cold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_invocations_share_one_warm_environment() {
        let mut pool = Pool::new(600.0, Limits::NONE);
        let cold: Vec<bool> = (0..100)
            .map(|i| pool.invoke(f64::from(i), |_| 0.01) == Some(true))
            .collect();
        assert!(cold[0]);
        assert!(cold[1..].iter().all(|&c| !c));
        assert_eq!(pool.cold_starts, 1);
        assert_eq!(pool.peak_concurrency, 1);
    }

    #[test]
    fn overlapping_invocations_need_more_environments() {
        let mut pool = Pool::new(600.0, Limits::NONE);
        for _ in 0..3 {
            pool.invoke(0.0, |_| 1.0);
        }
        assert_eq!(pool.cold_starts, 3);
        assert_eq!(pool.peak_concurrency, 3);
        // After they finish, three arrive together again: all warm.
        for _ in 0..3 {
            assert_eq!(pool.invoke(2.0, |_| 1.0), Some(false));
        }
        assert_eq!(pool.cold_starts, 3);
    }

    #[test]
    fn idle_environments_expire() {
        let mut pool = Pool::new(10.0, Limits::NONE);
        pool.invoke(0.0, |_| 0.5);
        assert_eq!(
            pool.invoke(10.0, |_| 0.5),
            Some(false),
            "idle 9.5 s: still warm"
        );
        assert_eq!(
            pool.invoke(21.0, |_| 0.5),
            Some(true),
            "idle 10.5 s: reclaimed"
        );
        assert_eq!(pool.cold_starts, 2);
    }

    #[test]
    fn the_concurrency_limit_throttles() {
        let limits = Limits {
            concurrency: 2,
            ..Limits::NONE
        };
        let mut pool = Pool::new(600.0, limits);
        let got: Vec<_> = (0..3).map(|_| pool.invoke(0.0, |_| 1.0)).collect();
        assert_eq!(got, [Some(true), Some(true), None]);
        assert_eq!(pool.throttled, 1);
        assert_eq!(pool.invoke(1.0, |_| 1.0), Some(false), "one is free again");
    }

    #[test]
    fn the_scale_rate_bounds_new_environments() {
        // 10 new environments per 10 s: a burst of 15 gets 10, one more a second later.
        let limits = Limits {
            scale_per_10_seconds: 10.0,
            ..Limits::NONE
        };
        let mut pool = Pool::new(600.0, limits);
        let started = (0..15)
            .filter(|_| pool.invoke(0.0, |_| 100.0).is_some())
            .count();
        assert_eq!(started, 10);
        assert_eq!(pool.invoke(1.0, |_| 100.0), Some(true));
        assert_eq!(pool.invoke(1.0, |_| 100.0), None);
    }

    #[test]
    fn an_environment_is_retired_at_its_maximum_lifetime() {
        let limits = Limits {
            max_lifetime: 100.0,
            ..Limits::NONE
        };
        let mut pool = Pool::new(600.0, limits);
        let cold: Vec<_> = (0..25)
            .map(|i| pool.invoke(f64::from(i) * 10.0, |_| 0.01) == Some(true))
            .collect();
        // Born at 0, 110 and 220: used until it is older than 100 s.
        assert_eq!(cold.iter().filter(|c| **c).count(), 3, "{cold:?}");
        assert_eq!(pool.retired, 2);
    }

    #[test]
    fn cold_flag_reaches_the_duration() {
        let mut pool = Pool::new(10.0, Limits::NONE);
        let mut seen = vec![];
        pool.invoke(0.0, |cold| {
            seen.push(cold);
            0.1
        });
        pool.invoke(1.0, |cold| {
            seen.push(cold);
            0.1
        });
        assert_eq!(seen, [true, false]);
    }
}
