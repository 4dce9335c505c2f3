//! The scopegate TTL lab: what the API Gateway authorizer cache TTL buys
//! (fewer Lambda invocations, lower cost and latency) and what it costs
//! (requests answered after a token expired or was revoked).
//!
//! # Layout
//! - `sweep`: the main job — measure, simulate every TTL, report.
//! - `gateway`, `idp`, `serve`: a local API Gateway with the authorizer and a development IdP.
//! - `live`: real HTTP load against `serve`, compared with what `sweep` predicts.
//! - `scenario`: the traffic description (TOML; shipped ones embedded).
//! - `rng`, `traffic`: the scenario's requests as a deterministic stream.
//! - `sim`: the model of API Gateway's authorizer cache and of Lambda.
//! - `identity`, `measure`: the real authorizer, timed on this machine.
//! - `cost`, `recommend`: prices per month, and the answer.
//! - `report`, `progress`: table, CSV, JSON, SVG, HTML; the progress bar.
//! - `fixture`: fixture directories for `scopegate replay --fixture`.
//! - `cli`: the command line (clap), every subcommand's options beside its code.
//! - `access_log`, `calibrate`: API Gateway access logs and CloudWatch
//!   invocations in, a calibrated scenario out (`sweep --traffic-from` replays them).
//! - `export`: the scenario as a distributed Locust load test for a real API.
#![forbid(unsafe_code)]
// The lab's library exists for its binary and its tests: each module says
// what it is for at its top, and its items are not a published API.
#![allow(missing_docs)]

pub mod access_log;
pub mod alternatives;
pub mod arg_values;
pub mod calibrate;
pub mod cli;
pub mod cost;
pub mod export;
pub mod fixture;
pub mod gateway;
pub mod identity;
pub mod idp;
pub mod live;
pub mod measure;
pub mod progress;
pub mod recommend;
pub mod report;
pub mod rng;
pub mod runs;
pub mod scenario;
pub mod serve;
pub mod sim;
pub mod sweep;
pub mod traffic;
