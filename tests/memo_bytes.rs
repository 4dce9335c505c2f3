//! The memos are bounded in bytes, not only in entries (issue 21 §4): a
//! hostile sequence of new tokens, each with its own scope set over a large
//! permissions document, grows the heap by no more than
//! `SCOPEGATE_MEMO_MAX_BYTES` (plus what one request uses while it runs).
//! Measured with a counting global allocator (live bytes, a deterministic
//! count), not RSS or time. Bounded by entries alone, the same sequence
//! held many times more.

// The one `unsafe` of this test binary: a GlobalAlloc that forwards to the
// system allocator and counts live bytes.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use support::*;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grow(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds GlobalAlloc's contract; the counting touches only atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        // SAFETY: the caller's `layout` is passed on as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grow(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System` through this allocator, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size as isize - layout.size() as isize);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, checked by it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SCOPES: usize = 400;
const TOKENS: usize = 3000;

/// 400 rules, one scope each: a 50 KB document.
fn document() -> String {
    let rules: Vec<String> = (0..SCOPES)
        .map(|i| {
            format!(
                r#"{{"arn":"{ARN}","resource":"orders/region-{i:03}/items","stage":"prod","httpVerb":"GET","scope":"s{i}"}}"#
            )
        })
        .collect();
    format!("[{}]", rules.join(","))
}

/// Token `n` holds 150 scopes of its own choosing: every set differs.
fn token(keys: &Keys, n: usize) -> String {
    let scopes: Vec<String> = (0..150)
        .map(|k| format!("s{}", (n * 7 + k * (n % 13 + 1)) % SCOPES))
        .collect();
    let payload = payload(&format!(r#","scope":"{} n{n}""#, scopes.join(" ")))
        .replace(r#""scp":["orders.read"],"#, "");
    keys.es256.sign(&payload).unwrap()
}

/// The heap's growth over building the authorizer, at its peak while
/// `TOKENS` new tokens are authorized.
fn peak_growth(keys: &Keys, tokens: &[String], memo_bytes: &str) -> isize {
    let document = document();
    let authorizer = authorizer_with(
        keys,
        &[
            ("SCOPEGATE_PERMISSIONS", &document),
            ("SCOPEGATE_MEMO_MAX_BYTES", memo_bytes),
            // Every complete policy is answered (none falls back per route).
            ("SCOPEGATE_POLICY_MAX_BYTES", "65536"),
        ],
    );
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    for t in tokens {
        let r = authorizer.handle(&token_event(t), NOW).unwrap();
        assert!(!r.memo_hit);
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop(authorizer);
    peak
}

#[test]
fn the_memos_hold_no_more_than_their_byte_bound() {
    let keys = Keys::load();
    let tokens: Vec<String> = (0..TOKENS).map(|n| token(&keys, n)).collect();
    let bound: isize = 4 << 20;
    let bounded = peak_growth(&keys, &tokens, &bound.to_string());
    // One request's own allocations while it runs, and the caches' tables.
    let slack: isize = 1 << 20;
    assert!(
        bounded <= bound + slack,
        "peak growth {bounded} bytes over a {bound}-byte bound"
    );
    let unbounded = peak_growth(&keys, &tokens, &(1u64 << 34).to_string());
    assert!(
        unbounded > 4 * bound,
        "by entries alone the memos held {unbounded} bytes"
    );
    eprintln!("peak heap growth: {bounded} bytes bounded at {bound}, {unbounded} by entries alone");
}
