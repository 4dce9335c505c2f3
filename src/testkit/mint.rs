//! Token minting: signs compact JWS with private keys, on aws-lc-rs (the
//! verifier's own crypto library, so the shipped build links one). Never
//! used on the request path; it exists for the tests, the benches, the
//! fixture generator and the lab's development identity provider, which
//! must all produce tokens the real verifier accepts.

use crate::codec::b64;
use crate::jose::{Alg, Curve};
use crate::keys::{Key, KeyMaterial};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private key with its `kid` and algorithm.
pub struct SigningKey {
    /// The `kid` tokens it signs name.
    pub kid: String,
    /// The algorithm it signs with.
    pub alg: Alg,
    pair: Pair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, {})", self.kid, self.alg.name())
    }
}

impl SigningKey {
    /// Loads a PKCS#8 DER private key for `alg` (RS*/PS* need RSA, ES256 P-256, ES384 P-384, EdDSA Ed25519).
    pub fn from_pkcs8(kid: &str, alg: Alg, der: &[u8]) -> Result<SigningKey, String> {
        let bad = |e: aws_lc_rs::error::KeyRejected| format!("{kid}: {e}");
        let pair = match alg {
            a if a.is_rsa() => Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(bad)?),
            Alg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(bad)?,
            ),
            Alg::ES384 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der)
                    .map_err(bad)?,
            ),
            _ => Pair::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?),
        };
        Ok(SigningKey::with(kid, alg, pair))
    }

    fn with(kid: &str, alg: Alg, pair: Pair) -> SigningKey {
        SigningKey {
            kid: kid.to_string(),
            alg,
            pair,
            rng: SystemRandom::new(),
        }
    }

    /// A fresh random key for `alg` (RSA keys are 2048 bits).
    pub fn generate(kid: &str, alg: Alg) -> Result<SigningKey, String> {
        SigningKey::generate_rsa(kid, alg, KeySize::Rsa2048)
    }

    /// A fresh random key; an RSA one of `size` (ignored for other algorithms).
    pub fn generate_rsa(kid: &str, alg: Alg, size: KeySize) -> Result<SigningKey, String> {
        let failed = |_| format!("{kid}: key generation failed");
        let pair = match alg {
            a if a.is_rsa() => Pair::Rsa(RsaKeyPair::generate(size).map_err(failed)?),
            Alg::ES256 => Pair::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(failed)?,
            ),
            Alg::ES384 => Pair::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
                    .map_err(failed)?,
            ),
            _ => Pair::Ed(Ed25519KeyPair::generate().map_err(failed)?),
        };
        Ok(SigningKey::with(kid, alg, pair))
    }

    /// The public key as the verifier holds it.
    pub fn public_key(&self) -> Key {
        let material = match &self.pair {
            Pair::Rsa(p) => {
                let public = p.public_key();
                KeyMaterial::Rsa {
                    n: public.modulus().big_endian_without_leading_zero().into(),
                    e: public.exponent().big_endian_without_leading_zero().into(),
                }
            }
            Pair::Ec(p) => KeyMaterial::Ec {
                curve: if self.alg == Alg::ES384 {
                    Curve::P384
                } else {
                    Curve::P256
                },
                point: p.public_key().as_ref().into(),
            },
            Pair::Ed(p) => KeyMaterial::Ed25519 {
                x: p.public_key().as_ref().into(),
            },
        };
        Key::new(self.kid.clone(), Some(self.alg), material)
    }

    /// The public key as a JWK JSON object.
    pub fn public_jwk(&self) -> String {
        let alg = self.alg.name();
        let kid = &self.kid;
        match self.public_key().material {
            KeyMaterial::Rsa { n, e } => format!(
                r#"{{"kty":"RSA","use":"sig","alg":"{alg}","kid":"{kid}","n":"{}","e":"{}"}}"#,
                b64::encode(&n),
                b64::encode(&e)
            ),
            KeyMaterial::Ec { curve, point } => {
                let size = (point.len() - 1) / 2;
                let crv = if curve == Curve::P384 {
                    "P-384"
                } else {
                    "P-256"
                };
                format!(
                    r#"{{"kty":"EC","use":"sig","alg":"{alg}","kid":"{kid}","crv":"{crv}","x":"{}","y":"{}"}}"#,
                    b64::encode(&point[1..=size]),
                    b64::encode(&point[1 + size..])
                )
            }
            KeyMaterial::Ed25519 { x } => {
                format!(
                    r#"{{"kty":"OKP","use":"sig","alg":"{alg}","kid":"{kid}","crv":"Ed25519","x":"{}"}}"#,
                    b64::encode(&x)
                )
            }
        }
    }

    /// Signs `signing_input` (`b64(header).b64(payload)`) with this key's algorithm.
    pub fn sign_raw(&self, signing_input: &[u8]) -> Result<Vec<u8>, String> {
        let fail = |_| format!("{}: signing failed", self.kid);
        match &self.pair {
            Pair::Rsa(p) => {
                let padding: &dyn signature::RsaEncoding = match self.alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; p.public_modulus_len()];
                p.sign(padding, &self.rng, signing_input, &mut sig)
                    .map_err(fail)?;
                Ok(sig)
            }
            Pair::Ec(p) => Ok(p
                .sign(&self.rng, signing_input)
                .map_err(fail)?
                .as_ref()
                .to_vec()),
            Pair::Ed(p) => Ok(p.sign(signing_input).as_ref().to_vec()),
        }
    }

    /// A compact JWS of exactly these header and payload JSON texts.
    pub fn sign_json(&self, header: &str, payload: &str) -> Result<String, String> {
        let signing_input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes())
        );
        let sig = self.sign_raw(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", b64::encode(&sig)))
    }

    /// A compact JWS of `payload` under the header `{"alg","kid","typ":"JWT"}`.
    pub fn sign(&self, payload: &str) -> Result<String, String> {
        let header = format!(
            r#"{{"alg":"{}","kid":"{}","typ":"JWT"}}"#,
            self.alg.name(),
            self.kid
        );
        self.sign_json(&header, payload)
    }
}

/// A JWKS document publishing the public halves of `keys`.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> String {
    let jwks: Vec<String> = keys.into_iter().map(SigningKey::public_jwk).collect();
    format!(r#"{{"keys":[{}]}}"#, jwks.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{JwksLimits, KeySet};

    #[test]
    fn generated_keys_round_trip_through_the_jwks_loader() {
        let keys: Vec<SigningKey> = [Alg::RS256, Alg::PS384, Alg::ES256, Alg::ES384, Alg::EdDSA]
            .iter()
            .map(|&a| SigningKey::generate(a.name(), a).unwrap())
            .collect();
        let set = KeySet::from_json(jwks(&keys).as_bytes(), JwksLimits::default()).unwrap();
        assert_eq!(set.keys().len(), 5, "{:?}", set.skipped());
        for k in &keys {
            assert_eq!(set.select(&k.kid, k.alg).unwrap(), &k.public_key());
        }
    }

    #[test]
    fn minted_tokens_verify() {
        let key = SigningKey::generate("k", Alg::ES256).unwrap();
        let token = key.sign(r#"{"sub":"x"}"#).unwrap();
        let parts = crate::token::split(&token).unwrap();
        let sig = b64::decode(parts.signature.as_bytes()).unwrap();
        assert!(
            crate::verify::signature(
                &key.public_key(),
                Alg::ES256,
                parts.signing_input.as_bytes(),
                &sig
            )
            .is_ok()
        );
    }
}
