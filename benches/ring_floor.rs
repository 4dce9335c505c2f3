//! The backend choice, reproducible (issue 16): the raw signature check of
//! the same tokens with aws-lc-rs (what scopegate ships: the key parsed once
//! at JWKS load) and with ring 0.17 (its only verify API,
//! `UnparsedPublicKey`, parses the key on every call). ring is a
//! dev-dependency for this bench only; the shipped build has none of it
//! (`cargo tree -e normal -p scopegate -i ring` is empty, CI checks).
//!
//!     cargo bench --bench ring_floor

use criterion::{Criterion, criterion_group, criterion_main};
use ring::signature::{self, KeyPair, UnparsedPublicKey};
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;
use common::{raw_pairs, setup, tokens};

fn pk8(file: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{file}", env!("CARGO_MANIFEST_DIR"))).expect("key")
}

fn bench_floor(c: &mut Criterion) {
    let s = setup();
    let rs = tokens(&s.rsa, 256);
    let es = tokens(&s.ec, 256);
    let rsa_public = signature::RsaKeyPair::from_pkcs8(&pk8("rsa-2048-a.pk8"))
        .expect("ring loads the RSA key")
        .public()
        .as_ref()
        .to_vec();
    let rng = ring::rand::SystemRandom::new();
    let ec_public = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pk8("ec-p256.pk8"),
        &rng,
    )
    .expect("ring loads the EC key")
    .public_key()
    .as_ref()
    .to_vec();
    let mut g = c.benchmark_group("backend");
    let ring_rsa: &dyn signature::VerificationAlgorithm = &signature::RSA_PKCS1_2048_8192_SHA256;
    let ring_ec: &dyn signature::VerificationAlgorithm = &signature::ECDSA_P256_SHA256_FIXED;
    let cases = [
        ("RS256", &rs, &s.rsa, &rsa_public, ring_rsa),
        ("ES256", &es, &s.ec, &ec_public, ring_ec),
    ];
    for (alg_name, events, key, ring_public, ring_alg) in cases {
        let pairs = raw_pairs(events, key);
        let public = key.public_key();
        let alg = key.alg;
        g.bench_function(format!("aws-lc-rs {alg_name} verify"), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % pairs.len();
                black_box(public.prepared.verify(alg, &pairs[i].0, &pairs[i].1))
            });
        });
        let ring_key = UnparsedPublicKey::new(ring_alg, ring_public);
        assert!(pairs.iter().all(|(m, sig)| ring_key.verify(m, sig).is_ok()));
        g.bench_function(format!("ring {alg_name} verify"), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % pairs.len();
                black_box(ring_key.verify(&pairs[i].0, &pairs[i].1).is_ok())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench_floor);
criterion_main!(benches);
