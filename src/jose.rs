//! JOSE vocabulary shared by every stage: the signature algorithms
//! scopegate verifies and the elliptic curves their keys use. A leaf: it
//! imports nothing from the crate, so keys, verify, telemetry and the
//! configuration can all name an algorithm without depending on each other.

/// The signature algorithms scopegate can verify. `none` and HMAC are absent
/// by construction: they cannot be named, so they cannot be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (salt = hash length).
    PS256,
    /// RSASSA-PSS with SHA-384 (salt = hash length).
    PS384,
    /// RSASSA-PSS with SHA-512 (salt = hash length).
    PS512,
    /// ECDSA on P-256 with SHA-256, raw `r‖s`.
    ES256,
    /// ECDSA on P-384 with SHA-384, raw `r‖s`.
    ES384,
    /// Ed25519.
    EdDSA,
}

impl Alg {
    /// contract §3 default allow-list: every asymmetric algorithm we verify.
    pub const DEFAULT_ALLOWED: [Alg; 9] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    /// Exact, case-sensitive name match.
    pub fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "EdDSA" => Alg::EdDSA,
            _ => return None,
        })
    }

    /// The JOSE name (`RS256`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// An RSA algorithm (PKCS#1 v1.5 or PSS).
    pub const fn is_rsa(self) -> bool {
        matches!(
            self,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512
        )
    }
}

/// The NIST curves of `EC` keys (`crv` `P-256`, `P-384`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (`crv` `P-256`).
    P256,
    /// NIST P-384 (`crv` `P-384`).
    P384,
}
