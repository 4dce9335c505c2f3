//! The peers' harness (fixture directories, contract §6, and the rival
//! implementations' cold-start protocol).

use super::args::Args;
use super::expected::count_mismatches;
use crate::config;
use crate::handler::Authorizer;
use crate::respond::UNAUTHORIZED_ERROR;
use std::time::{SystemTime, UNIX_EPOCH};

/// `--fixture DIR` (contract §6 layout): settings from `config.json`, the
/// key set, permissions, events and expected decisions from their files.
/// Flags given earlier on the command line win.
pub(super) fn apply_fixture(parsed: &mut Args, dir: &str) -> Result<(), String> {
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

/// `--coldstart`: with the authorizer built (the init a cold start pays),
/// decide line 1 of the events and print the wall-clock time of that
/// decision, as `../peers/coldstart.sh` expects.
pub(super) fn coldstart(
    args: &Args,
    authorizer: &Authorizer,
    events_path: &str,
) -> Result<i32, String> {
    // Only line 1 is read: a cold start must not pay for the whole file.
    let first = |path: &str| -> Result<String, String> {
        use std::io::BufRead as _;
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let mut line = String::new();
        std::io::BufReader::new(file)
            .read_line(&mut line)
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            return Err(format!("{path}: empty"));
        }
        Ok(line)
    };
    let event = first(events_path)?;
    let now = args.now.unwrap_or_else(crate::clock::now);
    let out = match authorizer.handle(&event, now) {
        Ok(r) => r.body(),
        Err(_) => UNAUTHORIZED_ERROR.to_string(),
    };
    let decided_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let ok = match &args.expected {
        Some(path) => {
            count_mismatches(
                std::iter::once(out.as_str()),
                std::iter::once(first(path)?),
                path,
            )? == 0
        }
        None => true,
    };
    println!(
        r#"{{"impl":"{}","first_decision_epoch_ns":{decided_ns},"ok":{ok}}}"#,
        args.name
    );
    Ok(if ok { 0 } else { 1 })
}
