//! The new-token goal read off one measurement: the whole handler against
//! the raw signature check of the same tokens, interleaved batch by batch so
//! that a noisy neighbour slows both sides alike.
//!
//!     cargo bench --bench floor_ratio [-- NAME-FILTER]
//!
//! Each round times a batch of 64 handler calls and a batch of 64 raw
//! verifies of the same tokens (which goes first alternates); the table
//! gives each side's median per call over the rounds and the median of the
//! per-round ratios, the figure the 1.10x goal is judged on.

#[path = "common/mod.rs"]
mod common;
use common::{NOW, raw_pairs, setup, tokens, tokens_with_roles};
use scopegate::Authorizer;
use scopegate::testkit::mint::SigningKey;
use std::hint::black_box;
use std::time::Instant;

const BATCH: usize = 64;
const ROUNDS: usize = 300;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (handler ns/call, floor ns/call, median of per-round ratios)
fn interleaved(events: &[String], authorizer: &Authorizer, key: &SigningKey) -> (f64, f64, f64) {
    let pairs = raw_pairs(events, key);
    let public = key.public_key();
    let handler_batch = |offset: usize| {
        let t = Instant::now();
        for i in 0..BATCH {
            let e = &events[(offset + i) % events.len()];
            black_box(authorizer.handle(e, NOW).is_ok());
        }
        t.elapsed().as_nanos() as f64 / BATCH as f64
    };
    let floor_batch = |offset: usize| {
        let t = Instant::now();
        for i in 0..BATCH {
            let (msg, sig) = &pairs[(offset + i) % pairs.len()];
            black_box(public.prepared.verify(key.alg, msg, sig));
        }
        t.elapsed().as_nanos() as f64 / BATCH as f64
    };
    // Warm-up: code, keys and branch predictors.
    handler_batch(0);
    floor_batch(0);
    let (mut h, mut f, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let offset = round * BATCH;
        let (hn, fl) = if round % 2 == 0 {
            let hn = handler_batch(offset);
            (hn, floor_batch(offset))
        } else {
            let fl = floor_batch(offset);
            (handler_batch(offset), fl)
        };
        h.push(hn);
        f.push(fl);
        r.push(hn / fl);
    }
    (median(&mut h), median(&mut f), median(&mut r))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and then only a smoke run is wanted.
    let full = std::env::args().any(|a| a == "--bench");
    // Any other argument filters the cases by name (`-- RS256`).
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let s = setup();
    let n = if full { 1024 } else { 8 };
    let rs = tokens(&s.rsa, n);
    let es = tokens(&s.ec, n);
    let roles = tokens_with_roles(&s.rsa, n);
    println!("| handler | handler ns/call | raw verify ns/call | ratio (median of rounds) |");
    println!("|---|---:|---:|---:|");
    let cases: [(&str, &[String], &Authorizer, &SigningKey); 4] = [
        ("new RS256 (memo off)", &rs, &s.no_memo, &s.rsa),
        (
            "new RS256 (memo full: miss, insert, evict)",
            &rs,
            &s.full_memo,
            &s.rsa,
        ),
        ("new ES256 (memo off)", &es, &s.no_memo, &s.ec),
        (
            "new RS256, three scope sources incl. prefixed roles (memo off)",
            &roles,
            &s.three_sources,
            &s.rsa,
        ),
    ];
    for (name, events, authorizer, key) in cases {
        if !filter.iter().all(|f| name.contains(f.as_str())) {
            continue;
        }
        if !full {
            black_box(interleaved(&events[..1], authorizer, key));
            continue;
        }
        let (h, f, r) = interleaved(events, authorizer, key);
        println!("| {name} | {h:.0} | {f:.0} | {r:.3}x |");
    }
}
