//! Hooks into each check of the verify stage, called in the order the
//! verifier makes them and only for the checks it makes: `scopegate
//! explain` prints them, the replay floor keeps the prepared signature
//! check. The unit type watches nothing and compiles away, so
//! [`super::Verifier::verify`] pays nothing for them.
//!
//! A check that fails is reported with its [`Reject`] and is the last one:
//! the verifier returns that reject.

use super::ClaimRules;
use super::claims::Claims;
use super::introspect::Active;
use crate::codec::json::Object;
use crate::jose::Alg;
use crate::keys::Key;
use crate::outcome::Reject;
use crate::token::Header;

/// The signature check about to run, all its inputs decoded.
pub struct SignatureCheck<'a> {
    /// The key the header's `kid` and `alg` selected.
    pub key: &'a Key,
    /// The header's algorithm.
    pub alg: Alg,
    /// `header.payload`, as signed.
    pub signing_input: &'a str,
    /// The decoded signature.
    pub signature: &'a [u8],
}

/// Each check of the verify stage, with its verdict. Every method defaults
/// to doing nothing.
pub trait Steps {
    /// The token splits into three base64url segments.
    #[inline]
    fn shape(&mut self, _verdict: Result<(), Reject>) {}
    /// The JOSE header (`segment` still encoded) passed its checks.
    #[inline]
    fn header(&mut self, _segment: &str, _verdict: Result<&Header<'_>, Reject>) {}
    /// The claims to be checked: the token's payload, or in introspection
    /// mode the answer (with `client_id` standing in for a missing `sub`).
    #[inline]
    fn payload(&mut self, _verdict: Result<&Object<'_>, Reject>) {}
    /// The rules the claims answer to: the issuer the token's `iss` routes
    /// to (the primary issuer's, for an introspection answer).
    #[inline]
    fn issuer(&mut self, _object: &Object<'_>, _verdict: Result<&ClaimRules, Reject>) {}
    /// The time, issuer, audience, subject and scope rules.
    #[inline]
    fn claims(&mut self, _verdict: Result<&Claims<'_>, Reject>) {}
    /// The key the header names, in the issuer's set.
    #[inline]
    fn key(&mut self, _verdict: Result<&Key, Reject>) {}
    /// The signature decoded and about to be checked.
    #[inline]
    fn signature_prepared(&mut self, _check: &SignatureCheck<'_>) {}
    /// The signature check.
    #[inline]
    fn signature(&mut self, _verdict: Result<(), Reject>) {}
    /// The IdP's introspection answer (RFC 7662): active, or why not.
    #[inline]
    fn introspection(&mut self, _verdict: Result<&Active, Reject>) {}
    /// The answer's `token_type` names an access token (contract §3b).
    #[inline]
    fn token_type(&mut self, _token_type: Option<&str>, _verdict: Result<(), Reject>) {}
}

impl Steps for () {}

/// Keeps the signature check a verification prepares (the replay floor).
#[derive(Default)]
pub(super) struct Prepared {
    pub(super) check: Option<(Key, Alg, Vec<u8>)>,
}

impl Steps for Prepared {
    fn signature_prepared(&mut self, check: &SignatureCheck<'_>) {
        self.check = Some((check.key.clone(), check.alg, check.signature.to_vec()));
    }
}

/// The verdict of a result, for a hook: the value borrowed, the reject copied.
pub(super) fn verdict<T>(result: &Result<T, Reject>) -> Result<&T, Reject> {
    result.as_ref().map_err(|r| *r)
}
