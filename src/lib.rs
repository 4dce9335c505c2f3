//! scopegate: an OAuth access-token authorizer for Amazon API Gateway.
//!
//! # Layout
//! The request path is a pipeline, one module per stage:
//! - [`event`]: the authorizer event (REST TOKEN/REQUEST, WebSocket, HTTP API 1.0/2.0) → identity value;
//! - [`token`]: `Bearer` handling, compact-JWS shape, strict base64url and JSON, the JOSE header;
//! - [`keys`]: the trusted key set, decoded once;
//! - [`verify`]: signature, then claims;
//! - [`scopes`]: the permissions document compiled to a scope → bit table;
//! - [`policy`]: the IAM policy per scope bitset, memoised;
//! - [`respond`]: the JSON API Gateway receives.
//!
//! Beside them: [`authorizer`] wires the stages into [`Authorizer::handle`],
//! [`memo`] remembers verified tokens, [`config`] reads settings once,
//! [`reject`] names every reason for a 401, [`mint`] signs tokens for tests and the lab,, and [`replay`] and [`lambda`]
//! are the two ways the binary runs.
#![forbid(unsafe_code)]

pub mod authorizer;
pub mod config;
pub mod crypto;
pub mod event;
pub mod http;
pub mod introspect;
pub mod jwks;
pub mod keys;
pub mod lambda;
pub mod memo;
pub mod mint;
pub mod policy;
pub mod reject;
pub mod replay;
pub mod respond;
pub mod s3;
pub mod scopes;
pub mod telemetry;
pub mod token;
pub mod verify;

pub use authorizer::{Authorizer, Decision, InitError, Response};
pub use config::Config;
pub use reject::Reject;
