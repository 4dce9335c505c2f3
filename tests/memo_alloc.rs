//! The verified-token memo's hit path allocates nothing: a counting global
//! allocator (a deterministic count, not a timing) watches a thousand
//! repeated authorizations of a token the memo already holds. The new-token
//! path's count is pinned too, so an added allocation is noticed.

// The one `unsafe` in the workspace: a GlobalAlloc that forwards to the
// system allocator and counts.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use support::*;

/// Counts allocations made by the current thread while `COUNTING` is on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds GlobalAlloc's contract; the counting touches only thread-local
// `Cell`s (const-initialised, so reading them never allocates or recurses).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's `layout` is passed on as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: as for `dealloc`; `new_size` is the caller's, checked by it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn a_memo_hit_allocates_nothing() {
    let keys = Keys::load();
    let authorizer = authorizer(&keys);
    let events = [
        token_event(&keys.rs256.sign(&payload("")).unwrap()),
        token_event(&keys.es256.sign(&payload(r#","tenant":"t-1""#)).unwrap()),
    ];
    // The first pass verifies and fills the memo: that one allocates.
    let first = allocations_during(|| {
        for e in &events {
            assert!(!authorizer.handle(e, NOW).unwrap().memo_hit);
        }
    });
    assert!(first > 0, "the counter works: a verification allocates");
    let hits = allocations_during(|| {
        for _ in 0..500 {
            for e in &events {
                let r = authorizer.handle(e, NOW).unwrap();
                assert!(r.memo_hit);
                std::hint::black_box(r.body_parts());
            }
        }
    });
    assert_eq!(hits, 0, "memo hits allocated {hits} times in 1,000 calls");
}

/// A new token's allocations are counted too, so a change that adds one to
/// the verify path shows up here (a count, not a timing). Every token
/// renders a policy the policy memo already holds, as in steady traffic.
#[test]
fn a_new_token_allocates_a_bounded_number_of_times() {
    let keys = Keys::load();
    let authorizer = authorizer_with(&keys, &[("SCOPEGATE_TOKEN_MEMO_ENTRIES", "0")]);
    let tokens: Vec<String> = (0..4)
        .map(|i| token_event(&keys.rs256.sign(&payload(&format!(r#","n":{i}"#))).unwrap()))
        .collect();
    // Warm the policy memo and any lazy state.
    assert!(authorizer.handle(&tokens[0], NOW).is_ok());
    let counts: Vec<u64> = tokens[1..]
        .iter()
        .map(|e| allocations_during(|| assert!(authorizer.handle(e, NOW).is_ok())))
        .collect();
    assert!(
        counts.iter().all(|&n| n == counts[0]),
        "deterministic: {counts:?}"
    );
    // The header's members, the claims' members, the scope array, scopes,
    // scope bits, the response, the entry: 7. The header, payload and
    // signature decode into stack buffers; aws-lc's own allocations are not
    // Rust's and are not counted.
    assert!(counts[0] <= 7, "{counts:?}");
}

/// On Lambda a new token's memo insert waits until the response is posted
/// (issue 21 §4): the deferred answer leaves the memo as it was, and
/// `remember_pending` fills it. The same bytes answer either way.
#[test]
fn a_deferred_answer_leaves_the_memo_insert_for_after_it() {
    let keys = Keys::load();
    let authorizer = authorizer(&keys);
    let event = token_event(&keys.es256.sign(&payload("")).unwrap());
    let first = authorizer.handle_deferred(&event, NOW, &mut ());
    let body = first.result.as_ref().unwrap().body();
    assert!(!first.result.as_ref().unwrap().memo_hit);
    let again = authorizer.handle_deferred(&event, NOW, &mut ());
    assert!(
        !again.result.as_ref().unwrap().memo_hit,
        "nothing is in the memo before it is remembered"
    );
    authorizer.remember_pending(first.pending);
    authorizer.remember_pending(again.pending);
    let hit = authorizer.handle(&event, NOW).unwrap();
    assert!(hit.memo_hit);
    assert_eq!(hit.body(), body);
    // A refusal leaves nothing to remember.
    let refused = authorizer.handle_deferred(&token_event("a.b.c"), NOW, &mut ());
    assert!(refused.result.is_err());
    authorizer.remember_pending(refused.pending);
}
