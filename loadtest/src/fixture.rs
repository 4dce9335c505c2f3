//! `scopegate-lab fixture DIR`: writes a fixture directory in the peers'
//! layout (contract §6) with scopegate's own generator, for
//! `scopegate replay --fixture DIR` and scripts that need no `../shared`.

use scopegate::testkit::fixture::{self, Mode, Options};
use std::path::Path;

const HELP: &str =
    "usage: scopegate-lab fixture DIR [--mode unique|zipf] [--events N] [--users N] [--seed N] [--now UNIX|wall]
  writes config.json, jwks.json, permissions.json, events.jsonl, expected.jsonl and meta.jsonl
  (defaults: --mode unique --events 20000 --users 1000 --seed 1 --now 1735689600; `wall` is the
  current time, for a function that reads the real clock; keys are generated fresh)";

pub fn main(args: &[String]) -> Result<(), String> {
    let mut options = Options::default();
    let mut dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{flag} needs a value"))
        };
        let count = |flag: &str, v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag}: `{v}` is not a positive count"))
        };
        match flag {
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(());
            }
            "--mode" => {
                options.mode = match value()?.as_str() {
                    "unique" => Mode::Unique,
                    "zipf" => Mode::Zipf,
                    other => return Err(format!("--mode: `{other}` is not unique or zipf")),
                }
            }
            "--events" => options.events = count(flag, value()?)?,
            "--users" => options.users = count(flag, value()?)?,
            "--seed" => {
                let v = value()?;
                options.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not a whole number"))?;
            }
            "--now" => {
                let v = value()?;
                options.now = if v == "wall" {
                    scopegate::clock::now() as u64
                } else {
                    v.parse()
                        .map_err(|_| format!("--now: `{v}` is not Unix seconds or `wall`"))?
                };
            }
            other if other.starts_with('-') => {
                return Err(format!("unknown option `{other}` (see --help)"));
            }
            path => {
                if dir.replace(path.to_string()).is_some() {
                    return Err("give exactly one DIR".into());
                }
            }
        }
    }
    let dir = dir.ok_or(format!("no DIR given\n{HELP}"))?;
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
