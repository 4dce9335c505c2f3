//! Metric handles for counts made where no telemetry is at hand (an
//! outbound call in the key cache, a document compiled at refresh), one
//! set per telemetry sink: the process-wide recorder's (the Lambda's EMF,
//! the lab's `/metrics`), replaced when telemetry is installed again, and
//! each local recorder's (replay's `--prometheus` and `--emf` files), kept
//! beside it. A count goes to every set, so no sink misses it and the
//! process-wide recorder never counts twice.

use arc_swap::ArcSwapOption;
use std::sync::Arc;

/// Which recorder a set of handles was registered against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// The process-wide recorder: one set, the latest.
    Global,
    /// A recorder of the caller's, set with `metrics::with_local_recorder`.
    Local,
}

struct Sets<T> {
    global: Option<Arc<T>>,
    local: Vec<Arc<T>>,
}

/// The sets of handles registered so far (none: counting is a no-op).
pub struct Registered<T> {
    sets: ArcSwapOption<Sets<T>>,
}

impl<T> Registered<T> {
    /// Nothing registered.
    pub const fn new() -> Registered<T> {
        Registered {
            sets: ArcSwapOption::const_empty(),
        }
    }

    /// Adds `handles` registered against `recorder`.
    pub fn register(&self, recorder: Recorder, handles: T) {
        let handles = Arc::new(handles);
        self.sets.rcu(|current| {
            let (global, mut local) = match current.as_deref() {
                Some(sets) => (sets.global.clone(), sets.local.clone()),
                None => (None, Vec::new()),
            };
            let global = match recorder {
                Recorder::Global => Some(Arc::clone(&handles)),
                Recorder::Local => {
                    local.push(Arc::clone(&handles));
                    global
                }
            };
            Some(Arc::new(Sets { global, local }))
        });
    }

    /// Calls `f` with each registered set.
    pub fn each(&self, mut f: impl FnMut(&T)) {
        if let Some(sets) = self.sets.load().as_deref() {
            for set in sets.global.iter().chain(&sets.local) {
                f(set);
            }
        }
    }
}

impl<T> Default for Registered<T> {
    fn default() -> Self {
        Registered::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_local_set_and_the_latest_global_one_are_counted() {
        let r: Registered<&'static str> = Registered::new();
        let seen = |r: &Registered<&'static str>| -> Vec<&'static str> {
            let mut v = Vec::new();
            r.each(|s| v.push(*s));
            v
        };
        assert!(seen(&r).is_empty());
        r.register(Recorder::Global, "global-1");
        r.register(Recorder::Local, "prometheus");
        r.register(Recorder::Local, "emf");
        r.register(Recorder::Global, "global-2");
        assert_eq!(seen(&r), ["global-2", "prometheus", "emf"]);
    }
}
