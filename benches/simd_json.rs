//! simd-json at its best against what the Lambda binary uses (issue 16):
//! the event through our zero-copy visitor, and the token's claims through
//! our strict reader, against simd-json with its buffers reused across
//! documents and the input owned (the runtime hands the function an owned
//! buffer, so parsing in place forces no copy; the bench restores the bytes
//! outside the timed part).
//!
//!     cargo bench --bench simd_json
//!
//! For the claims, simd-json builds its tape and then the duplicate-member
//! check our reader does as it goes (contract §3 refuses duplicates at any
//! depth); neither side is given the other's limits.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scopegate::codec::{b64, json};
use scopegate::event::{self, IdentitySource};
use simd_json::{Buffers, Node, Tape};
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;
use common::{NOW, payload, setup};

fn bench_event(c: &mut Criterion) {
    let source = IdentitySource::default();
    let s = setup();
    let events = common::event_fixtures(&["rest-token", "rest-request", "http-v2-request"], &s.rsa);
    let mut g = c.benchmark_group("simd/event");
    for (name, text) in &events {
        g.bench_function(format!("serde_json/{name}"), |b| {
            b.iter(|| black_box(event::parse(black_box(text), &source).is_ok()));
        });
        let bytes = text.as_bytes().to_vec();
        let mut buffers = Buffers::new(bytes.len());
        g.bench_function(format!("simd_json reused/{name}"), |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |buf| {
                    let ok = simd_json::Deserializer::from_slice_with_buffers(buf, &mut buffers)
                        .map_err(|_| ())
                        .and_then(|mut de| event::parse_from(&mut de, &source).map_err(|_| ()))
                        .is_ok();
                    black_box(ok)
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

/// Whether the object or array starting at `nodes[at]` has a duplicate
/// member at any depth; returns the nodes it spans.
fn duplicates(nodes: &[Node<'_>], at: usize) -> Result<usize, ()> {
    match nodes.get(at) {
        Some(Node::Object { len, count }) => {
            let mut keys: Vec<&str> = Vec::with_capacity(*len);
            let mut i = at + 1;
            for _ in 0..*len {
                let Some(Node::String(key)) = nodes.get(i) else {
                    return Err(());
                };
                if keys.contains(key) {
                    return Err(());
                }
                keys.push(key);
                i += 1 + duplicates(nodes, i + 1)?;
            }
            Ok(count + 1)
        }
        Some(Node::Array { len, count }) => {
            let mut i = at + 1;
            for _ in 0..*len {
                i += duplicates(nodes, i)?;
            }
            Ok(count + 1)
        }
        Some(_) => Ok(1),
        None => Err(()),
    }
}

fn bench_claims(c: &mut Criterion) {
    let okta = payload(1, "orders.read orders.write", NOW + 3600.0);
    // An Entra ID token with 60 group ids and roles: the large claims case.
    let groups: Vec<String> = (0..60)
        .map(|i| format!("\"{:08x}-7d3a-4b5c-9e1f-0a2b3c4d5e{:02x}\"", i * 7919, i))
        .collect();
    let entra = format!(
        r#"{{"aud":"api://bench","iss":"https://login.microsoftonline.com/t/v2.0","iat":{now},"nbf":{now},"exp":{exp},"aio":"AXQAi/8WAAAA","azp":"6e74172b-be56-4843-9ff4-e66a39bb12e3","azpacr":"0","groups":[{g}],"name":"Ada Lovelace","oid":"690222be-ff1a-4d56-abd1-7e4f7d38e474","preferred_username":"ada@contoso.example","rh":"0.AUYA","roles":["Orders.Read","Orders.Write"],"scp":"orders.read orders.write","sub":"l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","uti":"fqiBqXLPj0eQa82S-IYFAA","ver":"2.0"}}"#,
        now = NOW - 10.0,
        exp = NOW + 3600.0,
        g = groups.join(",")
    );
    let mut g = c.benchmark_group("simd/claims");
    for (name, claims) in [("okta", okta), ("entra 60 groups", entra)] {
        // The decoded payload, as the token stage hands it over.
        let bytes = b64::decode(b64::encode(claims.as_bytes()).as_bytes()).expect("b64");
        g.bench_function(format!("ours (strict)/{name}"), |b| {
            b.iter(|| {
                black_box(
                    json::parse_object(black_box(&bytes), json::JsonLimits::default()).is_ok(),
                )
            });
        });
        let mut buffers = Buffers::new(bytes.len());
        let mut tape: Tape<'static> = Tape(Vec::with_capacity(256));
        g.bench_function(format!("simd_json tape + duplicates/{name}"), |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |buf| {
                    let mut t = std::mem::replace(&mut tape, Tape(Vec::new())).reset();
                    let ok = simd_json::fill_tape(buf, &mut buffers, &mut t).is_ok()
                        && duplicates(&t.0, 0).is_ok();
                    tape = t.reset();
                    black_box(ok)
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_event, bench_claims
}
criterion_main!(benches);
