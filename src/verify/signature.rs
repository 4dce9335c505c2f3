//! The signature check over `header.payload` with the key the header's
//! `kid` selected (contract §3, Signature). The key was parsed once, at
//! key-set load ([`crate::keys::backend::Prepared`]), so this is one
//! aws-lc-rs verify plus two length and fit checks.

use crate::jose::Alg;
use crate::keys::{Key, KeyMaterial};
use crate::outcome::Reject;

/// Verifies `sig` over `msg`. The key was selected for `alg` already
/// ([`crate::keys::KeySet::select`]) and parsed at load
/// ([`crate::keys::backend::Prepared`]). RSA signatures must be exactly the
/// modulus length.
pub fn signature(key: &Key, alg: Alg, msg: &[u8], sig: &[u8]) -> Result<(), Reject> {
    if let KeyMaterial::Rsa { n, .. } = &key.material
        && sig.len() != n.len()
    {
        return Err(Reject::BadSignature);
    }
    if !key.fits(alg) {
        return Err(Reject::KeyAlgMismatch);
    }
    if key.prepared.verify(alg, msg, sig) {
        Ok(())
    } else {
        Err(Reject::BadSignature)
    }
}
