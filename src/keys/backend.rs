//! The signature backend: aws-lc-rs, with every public key parsed once, at
//! key-set load, for each algorithm it may verify. (ring has no parsed RSA
//! key and re-reads the modulus on every call; parsing once saves about
//! 6 µs of a 23 µs RS256 check here — BENCHMARKS.md.) aws-lc-rs keeps the
//! contract's rules: RSA 2048–8192 bits, PSS salt = hash length,
//! fixed-size ECDSA `r‖s` with r, s in range (high S accepted), Ed25519
//! S < L — the hostile-token suite checks each.

use crate::jose::{Alg, Curve};
use aws_lc_rs::signature::{
    self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents, VerificationAlgorithm,
};
use std::sync::Arc;

/// Key material in the form the verifier wants.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// Big-endian modulus without leading zeros, and exponent.
    Rsa {
        /// The modulus.
        n: Box<[u8]>,
        /// The public exponent.
        e: Box<[u8]>,
    },
    /// Uncompressed SEC1 point `04 || x || y` on P-256 or P-384.
    Ec {
        /// The curve.
        curve: Curve,
        /// The point, uncompressed.
        point: Box<[u8]>,
    },
    /// The 32-byte Ed25519 public key.
    Ed25519 {
        /// The public key.
        x: Box<[u8]>,
    },
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyMaterial::Rsa { n, .. } => write!(f, "Rsa({} bits)", n.len() * 8),
            KeyMaterial::Ec { curve, .. } => write!(f, "Ec({curve:?})"),
            KeyMaterial::Ed25519 { .. } => f.write_str("Ed25519"),
        }
    }
}

/// The algorithm of a key given as bytes (an EC point, an Ed25519 key);
/// RSA keys are given as n and e ([`rsa_parameters`]).
fn point_algorithm(alg: Alg) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match alg {
        Alg::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
        Alg::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
        Alg::EdDSA => &signature::ED25519,
        _ => return None,
    })
}

/// The RSA parameters of an RSA `alg`.
fn rsa_parameters(alg: Alg) -> Option<&'static RsaParameters> {
    Some(match alg {
        Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        Alg::ES256 | Alg::ES384 | Alg::EdDSA => return None,
    })
}

/// The parsed public key of one JWK for each algorithm it may verify.
#[derive(Clone, Default)]
pub struct Prepared(Arc<Vec<(Alg, ParsedPublicKey)>>);

impl Prepared {
    /// Parses `material` for each of `algs`; an algorithm the backend
    /// refuses the key for (an RSA key under 2048 bits, say) is left out,
    /// and verifying with it fails.
    pub fn new(material: &KeyMaterial, algs: impl IntoIterator<Item = Alg>) -> Prepared {
        let parsed = algs
            .into_iter()
            .filter_map(|alg| {
                let key = match material {
                    // aws-lc-rs builds the key from n and e itself (no DER of ours).
                    KeyMaterial::Rsa { n, e } => RsaPublicKeyComponents {
                        n: &n[..],
                        e: &e[..],
                    }
                    .to_parsed_public_key(rsa_parameters(alg)?),
                    KeyMaterial::Ec { point, .. } => {
                        ParsedPublicKey::new(point_algorithm(alg)?, point)
                    }
                    KeyMaterial::Ed25519 { x } => ParsedPublicKey::new(point_algorithm(alg)?, x),
                };
                key.ok().map(|p| (alg, p))
            })
            .collect();
        Prepared(Arc::new(parsed))
    }

    /// Whether `sig` is a valid `alg` signature over `msg`.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        self.0
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, key)| key.verify_sig(msg, sig).is_ok())
    }

    /// The algorithms this key was parsed for.
    pub fn algorithms(&self) -> impl Iterator<Item = Alg> + '_ {
        self.0.iter().map(|(a, _)| *a)
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.algorithms()).finish()
    }
}

/// Parsed keys are derived from the material; keys compare by their material.
impl PartialEq for Prepared {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Prepared {}
