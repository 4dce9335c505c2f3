//! The scopegate TTL lab: what the API Gateway authorizer cache TTL buys
//! (fewer Lambda invocations, lower cost and latency) and what it costs
//! (requests answered after a token expired or was revoked).
//!
//! # Layout
//! - `sweep`: the main job — simulate a scenario for each TTL and write the report.
#![forbid(unsafe_code)]

pub mod sweep;
