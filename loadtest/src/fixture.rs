//! `scopegate-lab fixture DIR`: writes a fixture directory in the peers'
//! layout (contract §6) with scopegate's own generator, for
//! `scopegate replay --fixture DIR` and scripts that need no `../shared`.

use scopegate::testkit::fixture::{self, Mode, Options};
use std::path::Path;

/// Writes config.json, jwks.json, permissions.json, events.jsonl,
/// expected.jsonl and meta.jsonl; keys are generated fresh.
#[derive(Debug, clap::Args)]
pub struct FixtureArgs {
    /// Directory to write.
    dir: String,
    /// `unique`: every event a new token; `zipf`: popular users repeat theirs.
    #[arg(long, default_value = "unique", value_parser = ["unique", "zipf"])]
    mode: String,
    /// Events to write.
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = crate::arg_values::positive_count)]
    events: usize,
    /// Distinct users.
    #[arg(long, value_name = "N", default_value_t = 1_000, value_parser = crate::arg_values::positive_count)]
    users: usize,
    /// Generator seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// The fixture's clock, Unix seconds, or `wall` for the current time (a
    /// function that reads the real clock).
    #[arg(long, value_name = "UNIX|wall", default_value = "1735689600", value_parser = parse_now)]
    now: u64,
}

fn parse_now(v: &str) -> Result<u64, String> {
    if v == "wall" {
        Ok(scopegate::clock::now() as u64)
    } else {
        v.parse()
            .map_err(|_| format!("`{v}` is not Unix seconds or `wall`"))
    }
}

pub fn main(args: FixtureArgs) -> Result<(), String> {
    let options = Options {
        mode: if args.mode == "zipf" {
            Mode::Zipf
        } else {
            Mode::Unique
        },
        events: args.events,
        users: args.users,
        seed: args.seed,
        now: args.now,
        ..Options::default()
    };
    let dir = args.dir;
    let written = fixture::generate(Path::new(&dir), &options)?;
    let [allow, deny, unauthorized] = written.decisions;
    println!(
        r#"{{"out":{},"events":{},"distinct_tokens":{},"decisions":{{"allow":{allow},"deny":{deny},"unauthorized":{unauthorized}}}}}"#,
        serde_json::Value::String(dir),
        written.events,
        written.distinct_tokens
    );
    Ok(())
}
