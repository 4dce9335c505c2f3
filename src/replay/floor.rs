//! The physical floor of a replay, measured after the measured pass so it
//! cannot disturb it: for every event whose verification checks a
//! signature, that raw check timed alone (prepared by the verifier's own
//! sequence outside the timed region), interleaved block by block with the handler
//! over the same events, so the ratio holds on a machine whose speed drifts.
//! The handler in this pass starts, like the measured one, from empty memos.

use crate::Authorizer;
use crate::event;
use crate::token;
use std::time::Instant;

/// What the comparison pass measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Floor {
    /// Sum of the timed signature checks.
    pub total_ns: u64,
    /// Events whose verification checks a signature (the others cost the floor nothing).
    pub verified: usize,
    /// Median of one check, over the verified events.
    pub median_ns: u64,
    /// Median over blocks of (handler time / floor time) for the same events.
    pub ratio: f64,
    /// The same for what the caller waits for: the answer, without the
    /// memo insert the Lambda makes after it (`vs_floor_caller`).
    pub caller_ratio: f64,
}

/// Events per block: long enough to time, short enough that a noisy
/// neighbour slows both halves of a block alike.
const BLOCK: usize = 64;

/// Runs the comparison pass over `events`: block by block, the handler over
/// the block, then the floor over the same events. One event's decoded
/// inputs live at a time, so the pass adds nothing to peak memory.
pub(super) fn measure(authorizer: &Authorizer, events: &[&str], now: impl Fn() -> f64) -> Floor {
    if authorizer.keys().is_none() {
        return Floor::default();
    }
    // As the measured pass began: repeated tokens hit, new ones verify.
    authorizer.clear_memos();
    let mut times = Vec::with_capacity(events.len());
    let mut ratios = Vec::with_capacity(events.len() / BLOCK + 1);
    let mut caller_ratios = Vec::with_capacity(events.len() / BLOCK + 1);
    for block in events.chunks(BLOCK) {
        // Each event's answer and its memo insert timed apart, as the
        // Lambda runs them (the insert after the response is posted).
        let (mut answer_ns, mut insert_ns) = (0, 0);
        for line in block {
            let start = Instant::now();
            let deferred = authorizer.handle_deferred(line, now(), &mut ());
            std::hint::black_box(deferred.result.is_ok());
            let answered = Instant::now();
            authorizer.remember_pending(deferred.pending);
            insert_ns += answered.elapsed().as_nanos() as u64;
            answer_ns += (answered - start).as_nanos() as u64;
        }
        let handler_ns = answer_ns + insert_ns;
        let mut floor_ns = 0;
        for line in block {
            let Some(t) = verify_once(authorizer, line, now()) else {
                continue;
            };
            floor_ns += t;
            times.push(t);
        }
        if floor_ns > 0 {
            ratios.push(handler_ns as f64 / floor_ns as f64);
            caller_ratios.push(answer_ns as f64 / floor_ns as f64);
        }
    }
    let total_ns = times.iter().sum();
    let verified = times.len();
    times.sort_unstable();
    ratios.sort_by(f64::total_cmp);
    caller_ratios.sort_by(f64::total_cmp);
    Floor {
        total_ns,
        verified,
        median_ns: times.get(verified / 2).copied().unwrap_or(0),
        ratio: ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
        caller_ratio: caller_ratios
            .get(caller_ratios.len() / 2)
            .copied()
            .unwrap_or(0.0),
    }
}

/// The time of one raw signature check of the event's token, if its
/// verification makes one (the verifier's own sequence prepares it:
/// decoding, claims and key selection happen before the clock starts).
fn verify_once(authorizer: &Authorizer, line: &str, now: f64) -> Option<u64> {
    let parsed = event::parse(line, authorizer.identity_source()).ok()?;
    let token = token::bearer(parsed.identity_value().ok()?, usize::MAX / 2).ok()?;
    let check = authorizer.verifier().raw_check(token, now)?;
    let start = Instant::now();
    let verified = check.run();
    let elapsed = start.elapsed().as_nanos() as u64;
    std::hint::black_box(verified);
    Some(elapsed)
}
