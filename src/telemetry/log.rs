//! Structured JSON log lines, one per invocation at the configured level:
//! `info` logs refusals and denies, `debug` also allows. Fields are the
//! request id, decision, reason code, algorithm and timings — bounded,
//! and never a token, signature, claim value or secret.

use crate::codec::json_write::push_json_str;
use crate::outcome::{Decision, Outcome};
use std::fmt::Write as _;

/// Which invocations get a log line (`SCOPEGATE_LOG_LEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// None.
    Off,
    /// Faults only (no invocation line).
    Error,
    /// Refusals and denies.
    Info,
    /// Every invocation, allows too.
    Debug,
}

/// What one invocation decided; everything here is safe to log.
pub struct Line<'a> {
    /// When the line was written, Unix milliseconds.
    pub timestamp_ms: u64,
    /// The Lambda request id.
    pub request_id: &'a str,
    /// How it ended: the `decision` and `reason` fields.
    pub outcome: Outcome,
    /// The token's `alg`, once its header was read.
    pub alg: Option<&'static str>,
    /// Whether the verified-token memo answered, once consulted.
    pub memo_hit: Option<bool>,
    /// Handler time, microseconds.
    pub duration_us: f64,
    /// The first invocation of this environment.
    pub cold_start: bool,
}

impl Line<'_> {
    /// The level this line is logged at: allows are routine (debug).
    pub fn level(&self) -> Level {
        if self.outcome == Outcome::Decided(Decision::Allow) {
            Level::Debug
        } else {
            Level::Info
        }
    }

    /// The line as one JSON object.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(200);
        let level = if self.level() == Level::Debug {
            "DEBUG"
        } else {
            "INFO"
        };
        let _ = write!(
            s,
            r#"{{"level":"{level}","timestamp":{},"requestId":"#,
            self.timestamp_ms
        );
        push_json_str(&mut s, self.request_id);
        let _ = write!(
            s,
            r#","decision":"{}","reason":"{}""#,
            self.outcome.code(),
            self.outcome.reason()
        );
        if let Some(alg) = self.alg {
            let _ = write!(s, r#","alg":"{alg}""#);
        }
        if let Some(hit) = self.memo_hit {
            let _ = write!(s, r#","memo_hit":{hit}"#);
        }
        let _ = write!(
            s,
            r#","duration_us":{:.1},"cold_start":{}}}"#,
            self.duration_us, self.cold_start
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_bounded_fields() {
        let line = Line {
            timestamp_ms: 1,
            request_id: "req-\"1\"",
            outcome: Outcome::Unauthorized(crate::outcome::Reject::Expired),
            alg: Some("RS256"),
            memo_hit: Some(false),
            duration_us: 23.45,
            cold_start: true,
        };
        let v: serde_json::Value = serde_json::from_str(&line.render()).unwrap();
        assert_eq!(v["requestId"], "req-\"1\"");
        assert_eq!(v["reason"], "expired");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v.as_object().unwrap().len(), 9);
        assert!(
            Level::Debug > Level::Info,
            "debug logs what info does and more"
        );
    }
}
