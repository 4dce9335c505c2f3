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

#[derive(Debug)]
pub struct Pool {
    idle_expiry: f64,
    /// Idle environments by the time they became idle, oldest first.
    idle: VecDeque<f64>,
    /// Busy environments by the time they become idle.
    busy: BinaryHeap<Reverse<Time>>,
    pub cold_starts: u64,
    pub peak_concurrency: usize,
}

impl Pool {
    pub fn new(idle_expiry: f64) -> Pool {
        Pool {
            idle_expiry,
            idle: VecDeque::new(),
            busy: BinaryHeap::new(),
            cold_starts: 0,
            peak_concurrency: 0,
        }
    }

    /// Runs an invocation arriving at `t` whose environment is busy until
    /// `t + busy(cold)`; returns whether it was a cold start.
    #[inline]
    pub fn invoke(&mut self, t: f64, busy: impl FnOnce(bool) -> f64) -> bool {
        while let Some(&Reverse(Time(free_at))) = self.busy.peek() {
            if free_at > t {
                break;
            }
            self.busy.pop();
            // Keep `idle` sorted: usually this is a push to the back.
            let at = self.idle.partition_point(|&x| x <= free_at);
            self.idle.insert(at, free_at);
        }
        while self.idle.front().is_some_and(|&x| t - x > self.idle_expiry) {
            self.idle.pop_front();
        }
        let cold = self.idle.pop_back().is_none();
        if cold {
            self.cold_starts += 1;
        }
        let free_at = t + busy(cold);
        self.busy.push(Reverse(Time(free_at)));
        self.peak_concurrency = self.peak_concurrency.max(self.busy.len());
        cold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_invocations_share_one_warm_environment() {
        let mut pool = Pool::new(600.0);
        let cold: Vec<bool> = (0..100)
            .map(|i| pool.invoke(f64::from(i), |_| 0.01))
            .collect();
        assert!(cold[0]);
        assert!(cold[1..].iter().all(|&c| !c));
        assert_eq!(pool.cold_starts, 1);
        assert_eq!(pool.peak_concurrency, 1);
    }

    #[test]
    fn overlapping_invocations_need_more_environments() {
        let mut pool = Pool::new(600.0);
        for _ in 0..3 {
            pool.invoke(0.0, |_| 1.0);
        }
        assert_eq!(pool.cold_starts, 3);
        assert_eq!(pool.peak_concurrency, 3);
        // After they finish, three arrive together again: all warm.
        for _ in 0..3 {
            assert!(!pool.invoke(2.0, |_| 1.0));
        }
        assert_eq!(pool.cold_starts, 3);
    }

    #[test]
    fn idle_environments_expire() {
        let mut pool = Pool::new(10.0);
        pool.invoke(0.0, |_| 0.5);
        assert!(!pool.invoke(10.0, |_| 0.5), "idle 9.5 s: still warm");
        assert!(pool.invoke(21.0, |_| 0.5), "idle 10.5 s: reclaimed");
        assert_eq!(pool.cold_starts, 2);
    }

    #[test]
    fn cold_flag_reaches_the_duration() {
        let mut pool = Pool::new(10.0);
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
