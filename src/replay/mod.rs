//! `scopegate replay` (contract §5): captured events through the same
//! [`Authorizer::handle`] the Lambda uses, in one warm process, each event
//! timed alone. Flags and output lines are a stable interface.

use crate::clock;
use crate::config::{AwsEnvironment, Config, Env};
use crate::handler::{Authorizer, Response};
use crate::outcome::Reject;
use crate::respond::UNAUTHORIZED_ERROR;
use crate::telemetry::Invocation;
use std::ffi::OsString;
use std::time::Instant;

mod args;
mod expected;
mod floor;
mod output;
mod peers;
mod sinks;
mod summary;

pub use expected::decision_of;

use args::{USAGE, flag_of, parse_args};
use expected::{count_mismatches, expected_lines};
use output::{Output, Written, line_of};
use peers::coldstart;
use sinks::Sinks;
use summary::summary_line;

/// Events handled between two writes of their answers.
const OUTPUT_CHUNK: usize = 256;

/// Runs `handle` (which answers one event and says how long the handler
/// took) over every event, pushing each time to `times`; returns the wall
/// time of the handling. The peers' harness writes its output after the
/// measured loop (GUIDE, "Measured pass"); so does this one, a chunk at a
/// time so that held answers (and the memo entries they share) stay few.
fn measured_pass(
    events: &[&str],
    output: &mut Output,
    times: &mut Vec<u64>,
    mut handle: impl FnMut(&str) -> (Result<Response, Reject>, u64),
) -> Result<u64, String> {
    let mut total_ns = 0;
    let mut held = Vec::with_capacity(OUTPUT_CHUNK);
    for chunk in events.chunks(OUTPUT_CHUNK) {
        let chunk_start = Instant::now();
        for event in chunk {
            let (result, ns) = handle(event);
            times.push(ns);
            held.push(result);
        }
        total_ns += chunk_start.elapsed().as_nanos() as u64;
        held.drain(..).try_for_each(|r| output.push(r))?;
    }
    Ok(total_ns)
}

/// Runs `scopegate replay`; returns the process exit code.
pub fn main(args: impl Iterator<Item = OsString>) -> i32 {
    match run(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("scopegate replay: {message}");
            2
        }
    }
}

fn run(args: impl Iterator<Item = OsString>) -> Result<i32, String> {
    let args = parse_args(args).map_err(|e| format!("{e}\n{USAGE}"))?;
    if args.help {
        println!("{USAGE}");
        return Ok(0);
    }
    let events_path = args
        .events
        .clone()
        .ok_or_else(|| format!("no EVENTS.jsonl given\n{USAGE}"))?;
    let mut config = Config::from_strings(&args.settings)
        .map_err(|e| format!("{}: {}", flag_of(&e.var), e.message))?;
    // Settings come from flags; AWS credentials (for s3:// documents) are
    // the process's, as a Lambda's are.
    config.aws = AwsEnvironment::from_strings(&Env);
    // Telemetry first, as on Lambda, so what start-up counts (key
    // prefetches, a policy budget too small for the document) is counted.
    let sinks = if args.prometheus.is_some() || args.emf.is_some() {
        Some(Sinks::open(&args)?)
    } else {
        None
    };
    let authorizer = Authorizer::from_config(&config).map_err(|e| e.to_string())?;
    if args.coldstart {
        return coldstart(&args, &authorizer, &events_path);
    }
    let events_text = read_text(&events_path)?;
    let events = json_lines(&events_text, &events_path)?;
    // Expected decisions are streamed from their file (counted now, compared
    // after the run): holding them would add their size to the peak RSS.
    if let Some(path) = &args.expected {
        let lines = expected_lines(path)?.count();
        if lines != events.len() {
            return Err(format!(
                "{path} has {lines} lines but {events_path} has {}",
                events.len()
            ));
        }
    }
    let clock = |fixed: Option<f64>| fixed.unwrap_or_else(clock::now);

    // Warm-up: code and branch caches only; the memos start empty for the measured pass.
    if !events.is_empty() {
        for i in 0..args.warmup {
            let _ = authorizer.handle(events[i % events.len()], clock(args.now));
        }
        authorizer.clear_memos();
    }

    let peer_out = match (&args.out, &args.fixture) {
        (None, Some(dir)) if args.peer => Some(format!("{dir}/out-{}.jsonl", args.name)),
        _ => None,
    };
    let out_path = args.out.clone().or(peer_out);
    let mut output = Output::open(out_path.as_deref(), events.len())?;
    let mut times = Vec::with_capacity(events.len());
    let total_ns = if let Some(mut sinks) = sinks {
        // Measured with telemetry on: the figures include its cost.
        let invocation = Invocation::default();
        let total_ns = measured_pass(&events, &mut output, &mut times, |event| {
            let now = clock(args.now);
            sinks
                .telemetry
                .observe(&invocation, &mut sinks.emf_out, |stages| {
                    authorizer.handle_observed(event, now, stages)
                })
        })?;
        sinks.finish()?;
        total_ns
    } else {
        measured_pass(&events, &mut output, &mut times, |event| {
            let now = clock(args.now);
            let start = Instant::now();
            let result = authorizer.handle(event, now);
            (result, start.elapsed().as_nanos() as u64)
        })?
    };
    let memo_hits = output.memo_hits();
    let written = output.finish()?;
    let mismatches = match &args.expected {
        Some(path) => {
            let expected = expected_lines(path)?;
            Some(match &written {
                Written::Kept(results) => {
                    count_mismatches(results.iter().map(line_of), expected, path)?
                }
                Written::File(out) => {
                    // Streamed back: the answers are never all in memory at once.
                    use std::io::BufRead as _;
                    let file =
                        std::fs::File::open(out).map_err(|e| format!("cannot read {out}: {e}"))?;
                    let lines = std::io::BufReader::new(file).lines().map_while(Result::ok);
                    count_mismatches(lines, expected, path)?
                }
            })
        }
        None => None,
    };
    if args.summary || args.peer {
        // After the measured pass, so it cannot disturb it.
        let floor = floor::measure(&authorizer, &events, || clock(args.now));
        let line = summary_line(
            &args.name,
            &times,
            total_ns,
            args.warmup,
            memo_hits,
            mismatches,
            Some(&floor),
        );
        // The peers' harness reads the line from stdout; contract §5 puts it on stderr.
        if args.peer {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    Ok(i32::from(mismatches.unwrap_or(0) > 0))
}

fn read_text(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The lines of a JSON-lines file, borrowed from its text (one copy of the
/// data in memory), each checked to be one JSON value.
fn json_lines<'t>(text: &'t str, path: &str) -> Result<Vec<&'t str>, String> {
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            return Err(format!("{path}:{}: empty line", i + 1));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(line)
            .map_err(|e| format!("{path}:{}: not a JSON value: {e}", i + 1))?;
        lines.push(line);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let times: Vec<u64> = (1..=100).collect();
        let line = summary_line("x", &times, 1000, 200, 0, Some(0), None);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ns_per_event_median"], 50);
        assert_eq!(v["p99_ns"], 99);
        assert_eq!(v["events"], 100);
        assert_eq!(v["mismatches"], 0);
    }

    #[test]
    fn decisions_are_read_from_replay_lines() {
        assert_eq!(decision_of(UNAUTHORIZED_ERROR).unwrap().0, "unauthorized");
        let deny = format!(
            r#"{{"principalId":"u","policyDocument":{}}}"#,
            crate::policy::DENY_ALL
        );
        assert_eq!(decision_of(&deny).unwrap(), ("deny".to_string(), vec![]));
        let allow = r#"{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["b","a"]}]}}"#;
        assert_eq!(
            decision_of(allow).unwrap(),
            ("allow".to_string(), vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn help_is_an_answer_not_an_error() {
        for flag in ["--help", "-h"] {
            assert_eq!(run([flag].iter().map(OsString::from)), Ok(0));
        }
    }

    #[test]
    fn unknown_flags_and_missing_values_are_errors() {
        let args = |v: &[&str]| parse_args(v.iter().map(OsString::from));
        assert!(
            args(&["--bogus"])
                .unwrap_err()
                .contains("unknown flag --bogus")
        );
        assert!(
            args(&["--now"])
                .unwrap_err()
                .contains("--now needs a value")
        );
        assert!(
            args(&["--now", "soon"])
                .unwrap_err()
                .contains("not a Unix time")
        );
        assert!(args(&["a.jsonl", "b.jsonl"]).is_err());
        assert!(args(&["--set", "PATH=/"]).is_err());
    }

    #[test]
    fn every_valued_flag_takes_both_forms() {
        let args = |v: &[&str]| parse_args(v.iter().map(OsString::from));
        let joined = args(&[
            "--now=1700000000",
            "--warmup=3",
            "--issuer=https://idp.example",
            "--set=SCOPEGATE_LEEWAY_SECONDS=5",
            "events.jsonl",
        ])
        .unwrap();
        let separate = args(&[
            "--now",
            "1700000000",
            "--warmup",
            "3",
            "--issuer",
            "https://idp.example",
            "--set",
            "SCOPEGATE_LEEWAY_SECONDS=5",
            "events.jsonl",
        ])
        .unwrap();
        for a in [&joined, &separate] {
            assert_eq!(a.now, Some(1_700_000_000.0));
            assert_eq!(a.warmup, 3);
            assert_eq!(a.settings["SCOPEGATE_ISSUER"], "https://idp.example");
            assert_eq!(a.settings["SCOPEGATE_LEEWAY_SECONDS"], "5");
            assert_eq!(a.events.as_deref(), Some("events.jsonl"));
        }
        // A flag without a value refuses one.
        assert!(args(&["--summary=yes"]).is_err());
    }
}
