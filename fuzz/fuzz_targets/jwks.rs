//! The JWKS document parser and key decoding: any bytes, bounded limits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::keys::{JwksLimits, KeySet};

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = KeySet::from_json(data, JwksLimits::default()) {
        for key in set.keys() {
            let _ = set.select(&key.kid, scopegate::jose::Alg::RS256);
        }
    }
});
