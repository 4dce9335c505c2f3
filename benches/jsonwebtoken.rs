//! jsonwebtoken (12, aws_lc_rs backend) beside scopegate's verify path and
//! the raw signature check, on the same RS256 tokens (memo off, so every
//! call verifies):
//!
//!     cargo bench --bench jsonwebtoken
//!
//! jsonwebtoken decodes into `serde_json::Value` with issuer and audience
//! validated; its `exp` check is off (the bench tokens are dated to the
//! benches' fixed clock), which only spares it a comparison. Its row has no
//! event parsing, no policy and no response: scopegate's row does all three.

#[path = "common/mod.rs"]
mod common;
use common::{AUDIENCE, ISSUER, NOW, raw_pairs, setup, tokens};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, jwk::Jwk};
use std::hint::black_box;

fn compare(c: &mut Criterion) {
    let s = setup();
    let events = tokens(&s.rsa, 256);
    let bare: Vec<String> = events
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(e).unwrap();
            v["authorizationToken"]
                .as_str()
                .unwrap()
                .trim_start_matches("Bearer ")
                .to_string()
        })
        .collect();
    let pairs = raw_pairs(&events, &s.rsa);
    let public = s.rsa.public_key();
    let jwk: Jwk = serde_json::from_str(&s.rsa.public_jwk()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_exp = false;
    assert!(decode::<serde_json::Value>(&bare[0], &key, &validation).is_ok());

    let mut g = c.benchmark_group("jsonwebtoken");
    let mut i = 0;
    g.bench_function("raw signature check (floor)", |b| {
        b.iter(|| {
            i = (i + 1) % pairs.len();
            let (msg, sig) = &pairs[i];
            black_box(public.prepared.verify(s.rsa.alg, msg, sig))
        });
    });
    g.bench_function("scopegate handle (event to IAM response, memo off)", |b| {
        b.iter(|| {
            i = (i + 1) % events.len();
            black_box(s.no_memo.handle(&events[i], NOW).is_ok())
        });
    });
    g.bench_function("jsonwebtoken decode::<Value> (token to claims)", |b| {
        b.iter(|| {
            i = (i + 1) % bare.len();
            black_box(decode::<serde_json::Value>(&bare[i], &key, &validation).is_ok())
        });
    });
    g.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
