//! `scopegate replay`'s command line: flags that stand for configuration
//! variables (one table, read both ways), and its own flags.

use crate::config;
use std::collections::HashMap;
use std::ffi::OsString;

pub(super) const USAGE: &str =
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

/// Flags that set a configuration variable, and the variable. A
/// configuration error about the variable names the flag (the first one).
const FLAG_VARIABLES: [(&str, &str); 8] = [
    ("--jwks-file", config::ENV_JWKS),
    ("--jwks-url", config::ENV_JWKS),
    ("--issuer", config::ENV_ISSUER),
    ("--audience", config::ENV_AUDIENCE),
    ("--permissions", config::ENV_PERMISSIONS),
    ("--algorithms", config::ENV_ALGORITHMS),
    ("--leeway", config::ENV_LEEWAY),
    ("--memo-entries", config::ENV_TOKEN_MEMO_ENTRIES),
];

/// The flag that sets `var`, or `var` itself when none does (`--set`).
pub(super) fn flag_of(var: &str) -> &str {
    FLAG_VARIABLES
        .iter()
        .find(|(_, v)| *v == var)
        .map_or(var, |(flag, _)| flag)
}

/// Parsed command line.
#[derive(Debug, Default)]
pub(super) struct Args {
    pub(super) settings: HashMap<String, String>,
    pub(super) now: Option<f64>,
    pub(super) out: Option<String>,
    pub(super) summary: bool,
    pub(super) expected: Option<String>,
    pub(super) warmup: usize,
    pub(super) name: String,
    pub(super) events: Option<String>,
    /// Write the run's metrics in Prometheus text format here.
    pub(super) prometheus: Option<String>,
    /// Write the run's EMF documents here.
    pub(super) emf: Option<String>,
    /// Peers-harness mode: the summary line on stdout, decisions to the fixture's `out-<impl>.jsonl`.
    pub(super) peer: bool,
    /// Cold-start mode: decide the first event only and print when.
    pub(super) coldstart: bool,
    pub(super) fixture: Option<String>,
    /// `--help`: print the usage and do nothing else.
    pub(super) help: bool,
}

/// Parses with lexopt: `--flag value` and `--flag=value` alike, a flag
/// without a value refuses one (`--summary=yes`), `--` ends the flags.
pub(super) fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    use lexopt::Arg;
    let mut parsed = Args {
        warmup: 200,
        name: "scopegate".into(),
        ..Args::default()
    };
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let flag = match arg {
            Arg::Long(name) => format!("--{name}"),
            Arg::Short('h') => {
                parsed.help = true;
                return Ok(parsed);
            }
            Arg::Short(c) => return Err(format!("unknown flag -{c}")),
            Arg::Value(path) => {
                let path = path
                    .into_string()
                    .map_err(|a| format!("argument {} is not UTF-8", a.display()))?;
                if parsed.events.replace(path).is_some() {
                    return Err("give exactly one EVENTS.jsonl".into());
                }
                continue;
            }
        };
        let mut value = || -> Result<String, String> {
            let v = parser
                .value()
                .map_err(|_| format!("{flag} needs a value"))?;
            v.into_string()
                .map_err(|a| format!("{flag}: {} is not UTF-8", a.display()))
        };
        if let Some(var) = FLAG_VARIABLES
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, var)| *var)
        {
            let v = value()?;
            parsed.settings.insert(var.to_string(), v);
            continue;
        }
        match flag.as_str() {
            "--now" => {
                let v = value()?;
                let now: f64 = v
                    .parse()
                    .map_err(|_| format!("--now: `{v}` is not a Unix time in seconds"))?;
                parsed.now = Some(now);
            }
            "--out" => parsed.out = Some(value()?),
            "--summary" => parsed.summary = true,
            "--expected" => parsed.expected = Some(value()?),
            "--metrics" | "--prometheus" => parsed.prometheus = Some(value()?),
            "--emf" => parsed.emf = Some(value()?),
            "--peer" => parsed.peer = true,
            "--discover" => {
                parsed
                    .settings
                    .insert(config::ENV_JWKS.to_string(), "discover".to_string());
            }
            "--coldstart" => parsed.coldstart = true,
            "--fixture" => {
                let dir = value()?;
                apply_fixture(&mut parsed, &dir)?;
                parsed.fixture = Some(dir);
            }
            "--warmup" => {
                let v = value()?;
                parsed.warmup = v
                    .parse()
                    .map_err(|_| format!("--warmup: `{v}` is not a count"))?;
            }
            "--impl" => parsed.name = value()?,
            "--set" => {
                let v = value()?;
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
            "--help" => {
                parsed.help = true;
                return Ok(parsed);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(parsed)
}

/// `--fixture DIR` (contract §6 layout): settings from `config.json`, the
/// key set, permissions, events and expected decisions from their files.
/// Flags given earlier on the command line win.
fn apply_fixture(parsed: &mut Args, dir: &str) -> Result<(), String> {
    let path = format!("{dir}/config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let c: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
    let string = |key: &str| {
        c[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{path}: `{key}` is missing or not a string"))
    };
    let mut set = |var: &str, value: String| {
        parsed.settings.entry(var.to_string()).or_insert(value);
    };
    set(config::ENV_ISSUER, string("issuer")?);
    set(config::ENV_AUDIENCE, string("audience")?);
    set(config::ENV_JWKS, format!("{dir}/jwks.json"));
    set(config::ENV_PERMISSIONS, format!("{dir}/permissions.json"));
    if let Some(leeway) = c["leeway"].as_f64() {
        set(config::ENV_LEEWAY, leeway.to_string());
    }
    if let Some(algs) = c["algorithms"].as_array() {
        let names: Vec<&str> = algs.iter().filter_map(|a| a.as_str()).collect();
        set(config::ENV_ALGORITHMS, names.join(","));
    }
    if parsed.now.is_none() {
        parsed.now = c["now"].as_f64();
    }
    if parsed.events.is_none() {
        parsed.events = Some(format!("{dir}/events.jsonl"));
    }
    let expected = format!("{dir}/expected.jsonl");
    if parsed.expected.is_none() && std::path::Path::new(&expected).exists() {
        parsed.expected = Some(expected);
    }
    Ok(())
}
