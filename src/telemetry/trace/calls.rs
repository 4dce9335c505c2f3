//! Outbound calls made while an invocation is traced (a JWKS fetch on an
//! unknown `kid`, an introspection request), recorded where they happen
//! without threading the tracer through the key cache: the invocation opens
//! a capture on its thread, [`record`] adds to it. A call on another thread
//! (the background JWKS refresh) belongs to no invocation and is not kept.
//! Only these rare paths touch the thread-local; the per-token path never does.

use std::cell::RefCell;
use std::time::Instant;

/// Which kind of outbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    JwksFetch,
    Introspection,
}

/// One finished call: when it ran and how it ended (a bounded label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub kind: CallKind,
    pub started: Instant,
    pub ended: Instant,
    pub result: &'static str,
}

thread_local! {
    static OPEN: RefCell<Option<Vec<Call>>> = const { RefCell::new(None) };
}

/// Records a call that started at `started` and ends now, if a capture is open.
pub fn record(kind: CallKind, started: Instant, result: &'static str) {
    let ended = Instant::now();
    OPEN.with(|open| {
        if let Some(calls) = open.borrow_mut().as_mut() {
            calls.push(Call {
                kind,
                started,
                ended,
                result,
            });
        }
    });
}

/// Runs `f` with a capture open on this thread; returns its result and the calls it made.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Call>) {
    let outer = OPEN.with(|open| open.borrow_mut().replace(Vec::new()));
    let result = f();
    let calls = OPEN.with(|open| std::mem::replace(&mut *open.borrow_mut(), outer));
    (result, calls.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_kept_only_inside_a_capture_on_the_same_thread() {
        record(CallKind::JwksFetch, Instant::now(), "ok");
        let ((), calls) = capture(|| {
            record(CallKind::JwksFetch, Instant::now(), "ok");
            std::thread::spawn(|| record(CallKind::JwksFetch, Instant::now(), "error"))
                .join()
                .unwrap();
            record(CallKind::Introspection, Instant::now(), "active");
        });
        let kinds: Vec<_> = calls.iter().map(|c| (c.kind, c.result)).collect();
        assert_eq!(
            kinds,
            [
                (CallKind::JwksFetch, "ok"),
                (CallKind::Introspection, "active")
            ]
        );
        let ((), after) = capture(|| {});
        assert!(after.is_empty());
    }
}
