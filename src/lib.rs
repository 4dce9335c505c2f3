//! scopegate: an OAuth access-token authorizer for Amazon API Gateway.
//!
//! # Layout
//! Layers, each importing only from the layers above it in this list
//! (`docs/ARCHITECTURE.md` draws the graph; a test keeps it acyclic):
//! 1. Leaves: [`clock`] (Unix seconds), [`jose`] (algorithms, curves),
//!    [`codec`] (strict base64url, strict JSON reader, JSON writer),
//!    [`outcome`] (`Decision`, `Reject`, `Outcome`, the `Observer` hooks),
//!    [`registered`] (metric handles per telemetry sink) and [`routes`] (the
//!    API's routes and which one API Gateway selects for a request).
//! 2. [`net`]: the HTTP client and URL rule, OIDC discovery, S3, outbound-call records.
//! 3. The stages, in pipeline order: [`event`] → [`token`] → [`keys`] →
//!    [`verify`] → [`scopes`] → [`policy`] → [`respond`], with [`grants`]
//!    (the permissions in force, refreshed and swapped whole) and [`memo`],
//!    which remembers verified tokens.
//! 4. [`handler`]: the [`Authorizer`], whose `handle` is one call per stage;
//!    [`telemetry`] beside it (metrics, logs, traces), which knows only outcomes.
//! 5. [`config`]: the only module that reads the environment; [`init`]
//!    turns a [`Config`] into an [`Authorizer`].
//! 6. Entry points: [`lambda`] (runtime glue) and, with feature `replay`,
//!    the offline tools [`replay`] and [`explain`]; with feature `testkit`,
//!    `testkit` (minting, fixtures).
//!
//! The external contract these modules cite is `docs/contract.md`.

pub mod clock;
pub mod codec;
pub mod jose;
pub mod outcome;
pub mod registered;
pub mod routes;

pub mod net;

pub mod cedar;
pub mod event;
pub mod grants;
pub mod keys;
pub mod memo;
pub mod policy;
pub mod respond;
pub mod scopes;
pub mod token;
pub mod verify;

pub mod handler;
pub mod telemetry;

pub mod config;
pub mod init;

#[cfg(feature = "replay")]
pub mod explain;
pub mod lambda;
#[cfg(feature = "replay")]
pub mod replay;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use config::Config;
pub use handler::{Authorizer, Response};
pub use init::InitError;
pub use outcome::{Decision, Observer, Outcome, Reject};
