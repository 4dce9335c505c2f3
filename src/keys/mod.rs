//! Stage 3, keys: the public keys a token may be verified with.
//! - [`set`]: a JWKS decoded once into ready-to-verify keys (unusable keys
//!   skipped with a reason);
//! - [`backend`]: each key parsed once by aws-lc-rs for the algorithms it may verify;
//! - [`remote`]: a set from the IdP (URL or discovery), cached and refreshed;
//! - [`retired`]: whether a key has left its set (the memo stops trusting it).

pub mod backend;
pub mod remote;
pub mod retired;
pub mod set;

pub use backend::KeyMaterial;
pub use remote::{KeySource, RemoteKeys};
pub use retired::Retired;
pub use set::{JwksError, JwksLimits, Key, KeySet, Skipped};
