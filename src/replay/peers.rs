//! The rival implementations' cold-start protocol (`--coldstart`).

use super::args::Args;
use super::expected::count_mismatches;
use crate::handler::Authorizer;
use crate::respond::UNAUTHORIZED_ERROR;
use std::time::{SystemTime, UNIX_EPOCH};

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
    Ok(i32::from(!ok))
}
