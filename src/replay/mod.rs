//! `scopegate replay` (CONTRACT §5): captured events through the same
//! [`Authorizer::handle`] the Lambda uses, in one warm process, each event
//! timed alone. Flags and output lines are a stable interface.

use crate::authorizer::Authorizer;
use crate::authorizer::Response;
use crate::config::{self, Config};
use crate::reject::Reject;
use crate::respond::UNAUTHORIZED_ERROR;
use crate::telemetry::emf::Flusher;
use crate::telemetry::{self, Instruments, StageClock, prometheus};
use metrics_exporter_prometheus::PrometheusRecorder;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

mod floor;
mod output;
mod peers;
mod sinks;

use output::{Output, Written, line_of};
use peers::{apply_fixture, coldstart};
use sinks::Sinks;

const USAGE: &str =
    "usage: scopegate replay --jwks-file FILE --issuer ISS --audience AUD --permissions FILE
                        [--algorithms LIST] [--leeway SECONDS] [--now UNIX_SECONDS] [--out FILE]
                        [--summary] [--expected FILE] [--memo-entries N] [--warmup N] [--impl NAME]
                        [--set VAR=VALUE]... [--emf FILE] [--prometheus FILE] EVENTS.jsonl
  --jwks-url URL / --discover: keys from a live IdP (a JWKS URL, or OIDC discovery from --issuer)
  --set takes SCOPEGATE_*, POWERTOOLS_* and AWS_LAMBDA_FUNCTION_NAME
  --emf writes the EMF documents the Lambda would have written (flush mode from SCOPEGATE_METRICS_FLUSH)
  --prometheus (alias --metrics) writes the run's metrics in Prometheus text format
  --fixture DIR  settings, keys, permissions, events and expected decisions from a
                 fixture directory (config.json, jwks.json, …; earlier flags win)
  --peer         for ../peers/run_all.sh EXTRA_PEERS: summary on stdout, decisions to DIR/out-IMPL.jsonl
  --coldstart    for ../peers/coldstart.sh: decide line 1 only, print first_decision_epoch_ns";

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

/// Parsed command line.
#[derive(Debug, Default)]
struct Args {
    settings: HashMap<String, String>,
    now: Option<f64>,
    out: Option<String>,
    summary: bool,
    expected: Option<String>,
    warmup: usize,
    name: String,
    events: Option<String>,
    /// Write the run's metrics in Prometheus text format here.
    prometheus: Option<String>,
    /// Write the run's EMF documents here.
    emf: Option<String>,
    /// Peers-harness mode: the summary line on stdout, decisions to the fixture's `out-<impl>.jsonl`.
    peer: bool,
    /// Cold-start mode: decide the first event only and print when.
    coldstart: bool,
    fixture: Option<String>,
    /// `--help`: print the usage and do nothing else.
    help: bool,
}

fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let mut parsed = Args {
        warmup: 200,
        name: "scopegate".into(),
        ..Args::default()
    };
    let mut args = args.map(|a| {
        a.into_string()
            .map_err(|a| format!("argument {a:?} is not UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        let mut value = |flag: &str| -> Result<String, String> {
            args.next().ok_or_else(|| format!("{flag} needs a value"))?
        };
        let setting = match arg.as_str() {
            "--jwks-file" | "--jwks-url" => Some(config::ENV_JWKS),
            "--issuer" => Some(config::ENV_ISSUER),
            "--audience" => Some(config::ENV_AUDIENCE),
            "--permissions" => Some(config::ENV_PERMISSIONS),
            "--algorithms" => Some(config::ENV_ALGORITHMS),
            "--leeway" => Some(config::ENV_LEEWAY),
            "--memo-entries" => Some(config::ENV_TOKEN_MEMO_ENTRIES),
            _ => None,
        };
        if let Some(var) = setting {
            let v = value(&arg)?;
            parsed.settings.insert(var.to_string(), v);
            continue;
        }
        match arg.as_str() {
            "--now" => {
                let v = value(&arg)?;
                let now: f64 = v
                    .parse()
                    .map_err(|_| format!("--now: `{v}` is not a Unix time in seconds"))?;
                parsed.now = Some(now);
            }
            "--out" => parsed.out = Some(value(&arg)?),
            "--summary" => parsed.summary = true,
            "--expected" => parsed.expected = Some(value(&arg)?),
            "--metrics" | "--prometheus" => parsed.prometheus = Some(value(&arg)?),
            "--emf" => parsed.emf = Some(value(&arg)?),
            "--peer" => parsed.peer = true,
            "--discover" => {
                parsed
                    .settings
                    .insert(config::ENV_JWKS.to_string(), "discover".to_string());
            }
            "--coldstart" => parsed.coldstart = true,
            "--fixture" => {
                let dir = value(&arg)?;
                apply_fixture(&mut parsed, &dir)?;
                parsed.fixture = Some(dir);
            }
            "--warmup" => {
                let v = value(&arg)?;
                parsed.warmup = v
                    .parse()
                    .map_err(|_| format!("--warmup: `{v}` is not a count"))?;
            }
            "--impl" => parsed.name = value(&arg)?,
            "--set" => {
                let v = value(&arg)?;
                let (var, val) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--set: `{v}` is not VAR=VALUE"))?;
                let known = var.starts_with("SCOPEGATE_")
                    || var.starts_with("POWERTOOLS_")
                    || var == "AWS_LAMBDA_FUNCTION_NAME";
                if !known {
                    return Err(format!(
                        "--set: `{var}` is not a SCOPEGATE_, POWERTOOLS_ or AWS_LAMBDA_FUNCTION_NAME setting"
                    ));
                }
                parsed.settings.insert(var.to_string(), val.to_string());
            }
            "-h" | "--help" => {
                parsed.help = true;
                return Ok(parsed);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag}")),
            path => {
                if parsed.events.replace(path.to_string()).is_some() {
                    return Err("give exactly one EVENTS.jsonl".into());
                }
            }
        }
    }
    Ok(parsed)
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
    let config = Config::from_strings(&args.settings).map_err(|e| {
        let flag = match e.var {
            config::ENV_JWKS => "--jwks-file",
            config::ENV_ISSUER => "--issuer",
            config::ENV_AUDIENCE => "--audience",
            config::ENV_PERMISSIONS => "--permissions",
            config::ENV_ALGORITHMS => "--algorithms",
            config::ENV_LEEWAY => "--leeway",
            config::ENV_TOKEN_MEMO_ENTRIES => "--memo-entries",
            other => other,
        };
        format!("{flag}: {}", e.message)
    })?;
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
    let clock = |fixed: Option<f64>| {
        fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        })
    };

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
    let total_ns = if args.prometheus.is_none() && args.emf.is_none() {
        measured_pass(&events, &mut output, &mut times, |event| {
            let now = clock(args.now);
            let start = Instant::now();
            let result = authorizer.handle(event, now);
            (result, start.elapsed().as_nanos() as u64)
        })?
    } else {
        // Measured with telemetry on: the figures include its cost.
        let mut sinks = Sinks::open(&args)?;
        let total_ns = measured_pass(&events, &mut output, &mut times, |event| {
            let now = clock(args.now);
            let mut stages = StageClock::start();
            let result = authorizer.handle_observed(event, now, &mut stages);
            let ns = stages.stop();
            sinks.record(&stages, &result);
            (result, ns)
        })?;
        sinks.finish()?;
        total_ns
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
        // The peers' harness reads the line from stdout; CONTRACT §5 puts it on stderr.
        if args.peer {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    Ok(if mismatches.unwrap_or(0) > 0 { 1 } else { 0 })
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

/// A replay line read as a decision (CONTRACT §6): `(decision, sorted resources)`.
pub fn decision_of(line: &str) -> Result<(String, Vec<String>), String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if v.get("errorMessage").is_some() {
        return Ok(("unauthorized".into(), vec![]));
    }
    let mut allowed = Vec::new();
    let statements = v["policyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for s in &statements {
        if s["Effect"] == "Allow" {
            match &s["Resource"] {
                serde_json::Value::String(r) => allowed.push(r.clone()),
                serde_json::Value::Array(rs) => {
                    allowed.extend(rs.iter().filter_map(|r| r.as_str().map(str::to_string)))
                }
                _ => {}
            }
        }
    }
    if allowed.is_empty() {
        return Ok(("deny".into(), vec![]));
    }
    allowed.sort();
    allowed.dedup();
    Ok(("allow".into(), allowed))
}

/// The lines of an expected-decisions file, read as they are needed.
fn expected_lines(path: &str) -> Result<impl Iterator<Item = String>, String> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, file)
        .lines()
        .map_while(Result::ok))
}

fn count_mismatches<S: AsRef<str>, W: AsRef<str>>(
    out: impl Iterator<Item = S>,
    expected: impl Iterator<Item = W>,
    expected_path: &str,
) -> Result<usize, String> {
    let mut mismatches = 0;
    for (i, (got, want)) in out.zip(expected).enumerate() {
        let got = decision_of(got.as_ref())?;
        let want: serde_json::Value = serde_json::from_str(want.as_ref())
            .map_err(|e| format!("{expected_path}:{}: {e}", i + 1))?;
        let want_resources: Vec<String> = want["resources"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if want["decision"].as_str() != Some(got.0.as_str()) || want_resources != got.1 {
            if mismatches < 5 {
                eprintln!(
                    "scopegate replay: event {} ({}:{}): got {} {:?}, expected {}",
                    i,
                    expected_path,
                    i + 1,
                    got.0,
                    got.1,
                    want
                );
            }
            mismatches += 1;
        }
    }
    Ok(mismatches)
}

/// The `--summary` JSON line; percentiles are nearest-rank. With `floor`,
/// also the raw signature checks' total and median, the events/s they alone
/// would allow, and the handler's median per-block ratio to them (`vs_floor`).
fn summary_line(
    name: &str,
    times: &[u64],
    total_ns: u64,
    warmup: usize,
    memo_hits: usize,
    mismatches: Option<usize>,
    floor: Option<&floor::Floor>,
) -> String {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[idx]
    };
    let events = times.len();
    let events_per_s = if total_ns > 0 {
        events as f64 * 1e9 / total_ns as f64
    } else {
        0.0
    };
    let mean = if events > 0 {
        times.iter().sum::<u64>() as f64 / events as f64
    } else {
        0.0
    };
    let mut line = String::new();
    let _ = write!(
        line,
        r#"{{"impl":{},"events":{events},"total_ns":{total_ns},"ns_per_event_median":{},"p99_ns":{},"events_per_s":{:.1},"mean_ns":{:.1},"warmup":{warmup},"memo_hits":{memo_hits}"#,
        serde_json::Value::String(name.to_string()),
        rank(0.5),
        rank(0.99),
        events_per_s,
        mean,
    );
    if let Some(m) = mismatches {
        let _ = write!(line, r#","mismatches":{m}"#);
    }
    if let Some(floor) = floor {
        let floor_events_per_s = if floor.total_ns > 0 {
            events as f64 * 1e9 / floor.total_ns as f64
        } else {
            0.0
        };
        let _ = write!(
            line,
            r#","floor_verified":{},"floor_total_ns":{},"floor_ns_median":{},"floor_events_per_s":{floor_events_per_s:.1},"vs_floor":{:.3}"#,
            floor.verified, floor.total_ns, floor.median_ns, floor.ratio
        );
    }
    line.push('}');
    line
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
}
