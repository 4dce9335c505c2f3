//! The trusted key set: a JWKS decoded once, at load time, into ready-to-verify
//! public keys. Unusable keys (wrong `use`, RSA under 2048 bits, unknown
//! type or curve, malformed members) are skipped with a reason, and the rest
//! of the set keeps working (contract §3).

use crate::codec::b64;
use crate::codec::json::{self, JsonLimits};
use crate::jose::{Alg, Curve};
use crate::keys::backend::{KeyMaterial, Prepared};
use crate::keys::retired::Retired;
use serde::Deserialize;

/// Bounds on a key set document. Defaults: 256 KiB, 64 keys.
#[derive(Debug, Clone, Copy)]
pub struct JwksLimits {
    /// Largest document accepted, bytes.
    pub max_bytes: usize,
    /// Most keys in a set.
    pub max_keys: usize,
}

impl Default for JwksLimits {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024,
            max_keys: 64,
        }
    }
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The `kid` tokens name it by.
    pub kid: String,
    /// The JWK's `alg`, when it had one: then only that algorithm may use the key.
    pub alg: Option<Alg>,
    /// The public key.
    pub material: KeyMaterial,
    /// The key parsed by the signature backend, once, for each algorithm it fits.
    pub prepared: Prepared,
    /// Set when a refreshed set no longer holds this key.
    pub retired: Retired,
}

impl Key {
    /// A key ready to verify: parsed now for every algorithm it fits.
    pub fn new(kid: String, alg: Option<Alg>, material: KeyMaterial) -> Key {
        let mut key = Key {
            kid,
            alg,
            material,
            prepared: Prepared::default(),
            retired: Retired::default(),
        };
        let fits: Vec<Alg> = Alg::DEFAULT_ALLOWED
            .into_iter()
            .filter(|&a| key.fits(a))
            .collect();
        key.prepared = Prepared::new(&key.material, fits);
        key
    }

    /// Whether a token signed with `alg` may be verified with this key:
    /// the JWK `alg` must equal it, or, absent, the key type and curve must fit it.
    pub fn fits(&self, alg: Alg) -> bool {
        match self.alg {
            Some(own) => own == alg,
            None => match (&self.material, alg) {
                (KeyMaterial::Rsa { .. }, a) => a.is_rsa(),
                (
                    KeyMaterial::Ec {
                        curve: Curve::P256, ..
                    },
                    Alg::ES256,
                ) => true,
                (
                    KeyMaterial::Ec {
                        curve: Curve::P384, ..
                    },
                    Alg::ES384,
                ) => true,
                (KeyMaterial::Ed25519 { .. }, Alg::EdDSA) => true,
                _ => false,
            },
        }
    }
}

/// A key the loader refused, and why (for the start-up log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The key's `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: &'static str,
}

/// The trusted keys of one issuer, immutable once built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<Skipped>,
}

/// Why a whole key set document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksError {
    /// The document is over the size cap.
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// The set has more keys than the cap.
    TooManyKeys {
        /// Keys in the set.
        keys: usize,
        /// The cap.
        max: usize,
    },
    /// Not a JWKS document.
    Json(String),
}

impl std::fmt::Display for JwksError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksError::TooLarge { bytes, max } => {
                write!(f, "JWKS is {bytes} bytes, over the {max}-byte limit")
            }
            JwksError::TooManyKeys { keys, max } => {
                write!(f, "JWKS has {keys} keys, over the limit of {max}")
            }
            JwksError::Json(e) => write!(f, "JWKS is not a JSON object with a \"keys\" array: {e}"),
        }
    }
}

impl std::error::Error for JwksError {}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

/// The members of a JWK we read; everything else is ignored.
#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl KeySet {
    /// Parses a JWKS document, skipping unusable keys.
    pub fn from_json(bytes: &[u8], limits: JwksLimits) -> Result<KeySet, JwksError> {
        if bytes.len() > limits.max_bytes {
            return Err(JwksError::TooLarge {
                bytes: bytes.len(),
                max: limits.max_bytes,
            });
        }
        // One reader's rules for every IdP document: a repeated member is refused.
        json::parse_object(bytes, JsonLimits::IDP_DOCUMENT)
            .map_err(|e| JwksError::Json(e.describe().to_string()))?;
        let doc: Document =
            serde_json::from_slice(bytes).map_err(|e| JwksError::Json(e.to_string()))?;
        if doc.keys.len() > limits.max_keys {
            return Err(JwksError::TooManyKeys {
                keys: doc.keys.len(),
                max: limits.max_keys,
            });
        }
        let mut set = KeySet::default();
        for value in doc.keys {
            let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
            match serde_json::from_value::<Jwk>(value)
                .map_err(|_| "malformed_member")
                .and_then(decode_jwk)
            {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(Skipped { kid, reason }),
            }
        }
        Ok(set)
    }

    /// Builds a set from keys already decoded (tests, the lab's IdP).
    pub fn from_keys(keys: Vec<Key>) -> KeySet {
        KeySet {
            keys,
            skipped: Vec::new(),
        }
    }

    /// The key for `kid` that may verify `alg`: `Err(false)` when no key has
    /// that `kid`, `Err(true)` when one has it but cannot verify `alg`.
    pub fn select(&self, kid: &str, alg: Alg) -> Result<&Key, bool> {
        let mut seen = false;
        for key in &self.keys {
            if key.kid == kid {
                if key.fits(alg) {
                    return Ok(key);
                }
                seen = true;
            }
        }
        Err(seen)
    }

    /// The usable keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The keys left out, with why.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// No usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Takes over `previous`'s keys that this set still holds (same `kid`,
    /// `alg` and material keep their retirement flag, so what they verified
    /// keeps answering) and retires the ones it dropped. Returns how many
    /// were retired.
    pub fn succeed(&mut self, previous: &KeySet) -> usize {
        for key in &mut self.keys {
            if let Some(old) = previous.keys.iter().find(|old| *old == key) {
                key.retired = old.retired.clone();
            }
        }
        let mut retired = 0;
        for old in &previous.keys {
            if !self.keys.iter().any(|k| k.retired.same_as(&old.retired)) {
                old.retired.retire();
                retired += 1;
            }
        }
        retired
    }
}

fn decode_jwk(jwk: Jwk) -> Result<Key, &'static str> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("use_not_sig");
    }
    let kid = jwk.kid.ok_or("missing_kid")?;
    let alg = match jwk.alg.as_deref() {
        None => None,
        Some(name) => Some(Alg::from_name(name).ok_or("unsupported_alg")?),
    };
    let material = match jwk.kty.as_deref() {
        Some("RSA") => {
            let n = b64::decode(jwk.n.ok_or("missing_n")?.as_bytes()).map_err(|_| "bad_n")?;
            let e = b64::decode(jwk.e.ok_or("missing_e")?.as_bytes()).map_err(|_| "bad_e")?;
            let n = strip_leading_zeros(&n);
            let bits = n
                .first()
                .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
            if bits < 2048 {
                return Err("rsa_under_2048_bits");
            }
            if bits > 8192 {
                return Err("rsa_over_8192_bits");
            }
            let e = strip_leading_zeros(&e);
            if e.is_empty() || e.len() > 4 || e[e.len() - 1] & 1 == 0 {
                return Err("bad_e");
            }
            KeyMaterial::Rsa {
                n: n.into(),
                e: e.into(),
            }
        }
        Some("EC") => {
            let (curve, size) = match jwk.crv.as_deref() {
                Some("P-256") => (Curve::P256, 32),
                Some("P-384") => (Curve::P384, 48),
                _ => return Err("unsupported_curve"),
            };
            let x = b64::decode(jwk.x.ok_or("missing_x")?.as_bytes()).map_err(|_| "bad_x")?;
            let y = b64::decode(jwk.y.ok_or("missing_y")?.as_bytes()).map_err(|_| "bad_y")?;
            if x.len() != size || y.len() != size {
                return Err("bad_point_size");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyMaterial::Ec {
                curve,
                point: point.into(),
            }
        }
        Some("OKP") => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err("unsupported_curve");
            }
            let x = b64::decode(jwk.x.ok_or("missing_x")?.as_bytes()).map_err(|_| "bad_x")?;
            if x.len() != 32 {
                return Err("bad_point_size");
            }
            KeyMaterial::Ed25519 { x: x.into() }
        }
        _ => return Err("unsupported_kty"),
    };
    // A JWK whose own `alg` does not fit its type (RS256 on an EC key) can verify nothing.
    if let Some(a) = alg {
        let untyped = Key {
            kid: String::new(),
            alg: None,
            material: material.clone(),
            prepared: Prepared::default(),
            retired: Retired::default(),
        };
        if !untyped.fits(a) {
            return Err("alg_does_not_fit_key");
        }
    }
    Ok(Key::new(kid, alg, material))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_jwk(kid: &str, bits: usize, extra: &str) -> String {
        let mut n = vec![0xC5u8; bits / 8];
        n[bits / 8 - 1] |= 1;
        format!(
            r#"{{"kty":"RSA","kid":"{kid}","n":"{}","e":"AQAB"{extra}}}"#,
            b64::encode(&n)
        )
    }

    /// Issue 22 §3: serde_json took the last of two `keys` (or `kid`); the
    /// strict reader refuses the document, as it refuses such a token.
    #[test]
    fn a_repeated_member_refuses_the_document() {
        let good = rsa_jwk("a", 2048, "");
        for doc in [
            format!(r#"{{"keys":[],"keys":[{good}]}}"#),
            format!(r#"{{"keys":[{}]}}"#, rsa_jwk("a", 2048, r#","kid":"b""#)),
        ] {
            let e = KeySet::from_json(doc.as_bytes(), JwksLimits::default()).unwrap_err();
            assert_eq!(
                e,
                JwksError::Json("a member name repeated in one object".into())
            );
        }
    }

    fn set_of(jwks: &[String]) -> KeySet {
        KeySet::from_json(
            format!(r#"{{"keys":[{}]}}"#, jwks.join(",")).as_bytes(),
            JwksLimits::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_successor_keeps_the_flags_of_keys_it_holds_and_retires_the_rest() {
        let old = set_of(&[rsa_jwk("a", 2048, ""), rsa_jwk("b", 2048, "")]);
        // "b" is re-published with other material under the same kid: a new key.
        let b_changed = rsa_jwk("b", 3072, "");
        let mut new = set_of(&[rsa_jwk("a", 2048, ""), b_changed, rsa_jwk("c", 2048, "")]);
        assert_eq!(new.succeed(&old), 1);
        assert!(new.keys[0].retired.same_as(&old.keys[0].retired));
        assert!(!old.keys[0].retired.is_retired());
        assert!(old.keys[1].retired.is_retired(), "b's old material is gone");
        assert!(!new.keys[1].retired.is_retired());
        assert!(!new.keys[2].retired.is_retired());
    }

    fn ec_jwk(kid: &str, crv: &str, size: usize, extra: &str) -> String {
        let c = b64::encode(&vec![7u8; size]);
        format!(r#"{{"kty":"EC","kid":"{kid}","crv":"{crv}","x":"{c}","y":"{c}"{extra}}}"#)
    }

    fn load(keys: &[String]) -> KeySet {
        KeySet::from_json(
            format!(r#"{{"keys":[{}]}}"#, keys.join(",")).as_bytes(),
            JwksLimits::default(),
        )
        .unwrap()
    }

    #[test]
    fn usable_keys_of_every_type_load() {
        let ed = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"{}"}}"#,
            b64::encode(&[1u8; 32])
        );
        let set = load(&[
            rsa_jwk("r", 2048, ""),
            ec_jwk("e", "P-256", 32, ""),
            ec_jwk("e3", "P-384", 48, ""),
            ed,
        ]);
        assert_eq!(set.keys().len(), 4, "skipped: {:?}", set.skipped());
    }

    #[test]
    fn rsa_keys_under_2048_bits_are_skipped() {
        let set = load(&[rsa_jwk("small", 1024, ""), rsa_jwk("ok", 2048, "")]);
        assert_eq!(set.keys().len(), 1);
        assert_eq!(
            set.skipped(),
            &[Skipped {
                kid: Some("small".into()),
                reason: "rsa_under_2048_bits"
            }]
        );
    }

    #[test]
    fn keys_whose_use_is_not_sig_are_skipped() {
        let set = load(&[
            rsa_jwk("enc", 2048, r#","use":"enc""#),
            rsa_jwk("sig", 2048, r#","use":"sig""#),
        ]);
        assert_eq!(
            set.keys()
                .iter()
                .map(|k| k.kid.as_str())
                .collect::<Vec<_>>(),
            ["sig"]
        );
    }

    #[test]
    fn unsupported_types_curves_and_algs_are_skipped() {
        let set = load(&[
            r#"{"kty":"oct","kid":"h","k":"c2VjcmV0"}"#.to_string(),
            ec_jwk("k1", "secp256k1", 32, ""),
            rsa_jwk("hs", 2048, r#","alg":"HS256""#),
            rsa_jwk("mismatch", 2048, r#","alg":"ES256""#),
            ec_jwk("short", "P-256", 31, ""),
        ]);
        assert!(set.is_empty());
        let reasons: Vec<_> = set.skipped().iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            [
                "unsupported_kty",
                "unsupported_curve",
                "unsupported_alg",
                "alg_does_not_fit_key",
                "bad_point_size"
            ]
        );
    }

    #[test]
    fn selection_is_by_exact_kid_and_fitting_alg() {
        let set = load(&[
            rsa_jwk("k", 2048, r#","alg":"RS256""#),
            ec_jwk("e", "P-256", 32, ""),
        ]);
        assert!(set.select("k", Alg::RS256).is_ok());
        assert_eq!(
            set.select("k", Alg::PS256).err(),
            Some(true),
            "JWK alg pins the algorithm"
        );
        assert_eq!(
            set.select("K", Alg::RS256).err(),
            Some(false),
            "kid is case-sensitive"
        );
        assert_eq!(set.select("k ", Alg::RS256).err(), Some(false));
        assert!(set.select("e", Alg::ES256).is_ok());
        assert_eq!(
            set.select("e", Alg::ES384).err(),
            Some(true),
            "curve must fit"
        );
        assert_eq!(set.select("e", Alg::RS256).err(), Some(true));
    }

    #[test]
    fn oversized_documents_and_key_counts_fail() {
        let keys: Vec<String> = (0..3)
            .map(|i| rsa_jwk(&format!("k{i}"), 2048, ""))
            .collect();
        let doc = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
        let err = KeySet::from_json(
            doc.as_bytes(),
            JwksLimits {
                max_bytes: 1 << 20,
                max_keys: 2,
            },
        )
        .unwrap_err();
        assert_eq!(err, JwksError::TooManyKeys { keys: 3, max: 2 });
        let err = KeySet::from_json(
            doc.as_bytes(),
            JwksLimits {
                max_bytes: 100,
                max_keys: 10,
            },
        )
        .unwrap_err();
        assert!(matches!(err, JwksError::TooLarge { .. }));
    }

    #[test]
    fn documents_without_a_keys_array_fail() {
        for doc in ["[]", "{}", r#"{"keys":{}}"#, "not json"] {
            assert!(
                KeySet::from_json(doc.as_bytes(), JwksLimits::default()).is_err(),
                "{doc}"
            );
        }
    }
}
