//! API Gateway REST access logs in the JSON format the lab reads (and
//! `serve --access-log` writes), and CloudWatch's per-minute `Invocations`
//! of the authorizer function as `aws cloudwatch get-metric-statistics`
//! prints them.
//!
//! Which fields AWS documents: every `$context` variable in
//! [`FORMAT`] is in the REST access-logging variable reference
//! (`$context.requestTimeEpoch`, `.requestId`, `.status`, and
//! `$context.authorizer.principalId`, `.latency`, `.integrationLatency`,
//! `.requestId`, `.status`). What they hold on a *cache hit* is not
//! documented; the lab's `serve` writes `-` for the invocation fields then
//! (as API Gateway writes `-` for an empty variable). So `calibrate` counts
//! invocations from CloudWatch's `Invocations` metric (documented) when it
//! is given, and from distinct `authorizerRequestId`s only otherwise.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::sync::{Mutex, PoisonError};

/// The stage's access-log format: paste into the stage's
/// `AccessLogSetting.Format` (deploy/template.yaml does).
pub const FORMAT: &str = r#"{"requestTimeEpoch":"$context.requestTimeEpoch","requestId":"$context.requestId","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","principalId":"$context.authorizer.principalId","authorizerLatency":"$context.authorizer.latency","authorizerIntegrationLatency":"$context.authorizer.integrationLatency","authorizerRequestId":"$context.authorizer.requestId","authorizerStatus":"$context.authorizer.status"}"#;

/// One access-log line. Every value is a string, as API Gateway writes them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub request_time_epoch: String,
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub principal_id: String,
    #[serde(default)]
    pub authorizer_latency: String,
    #[serde(default)]
    pub authorizer_request_id: String,
    #[serde(default)]
    pub authorizer_status: String,
}

/// A request that reached the authorizer stage with a principal.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// Unix milliseconds.
    pub time_ms: u64,
    pub principal: String,
    /// The authorizer invocation this request made, if the log says so.
    pub authorizer_request_id: Option<String>,
}

/// Reads the lines that carry a principal (authorized by a cached or a new
/// policy); lines without one (401s before the authorizer, 403 on unknown
/// routes) are counted but not arrivals. A malformed line is an error that
/// names its number.
pub fn read(path: &str) -> Result<(Vec<Arrival>, usize), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut arrivals = Vec::new();
    let mut others = 0;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{path}:{}: not an access-log line of the lab's format: {e}",
                i + 1
            )
        })?;
        let time_ms = l.request_time_epoch.parse().map_err(|_| {
            format!(
                "{path}:{}: requestTimeEpoch `{}` is not Unix milliseconds",
                i + 1,
                l.request_time_epoch
            )
        })?;
        let present = |v: &str| !v.is_empty() && v != "-";
        if !present(&l.principal_id) {
            others += 1;
            continue;
        }
        arrivals.push(Arrival {
            time_ms,
            principal: l.principal_id,
            authorizer_request_id: present(&l.authorizer_request_id)
                .then_some(l.authorizer_request_id),
        });
    }
    arrivals.sort_by_key(|a| a.time_ms);
    Ok((arrivals, others))
}

/// `aws cloudwatch get-metric-statistics --namespace AWS/Lambda
/// --metric-name Invocations --statistics Sum --period 60 …` output.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statistics {
    datapoints: Vec<Datapoint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Datapoint {
    timestamp: String,
    sum: f64,
}

/// Invocations per minute, keyed by Unix minute, from that JSON.
pub fn read_invocations(path: &str) -> Result<BTreeMap<u64, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let stats: Statistics = serde_json::from_str(&text)
        .map_err(|e| format!("{path}: not get-metric-statistics output: {e}"))?;
    let mut out = BTreeMap::new();
    for d in stats.datapoints {
        let minute = parse_rfc3339_minute(&d.timestamp).ok_or(format!(
            "{path}: timestamp `{}` is not ISO 8601 UTC",
            d.timestamp
        ))?;
        *out.entry(minute).or_insert(0.0) += d.sum;
    }
    Ok(out)
}

/// `2026-12-01T15:04:00Z` or `…+00:00` → Unix minutes.
fn parse_rfc3339_minute(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?);
    let days = scopegate::clock::days_from_civil(y, m, d);
    u64::try_from(days * 1440 + hh * 60 + mm).ok()
}

/// Unix minutes → `2026-12-01T15:04:00Z`.
fn format_minute(minute: u64) -> String {
    let (y, m, d) = scopegate::clock::civil_from_days((minute / 1440) as i64);
    let (hh, mm) = ((minute % 1440) / 60, minute % 60);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:00Z")
}

/// The writer `serve --access-log` uses: one JSON line per API request,
/// and the authorizer's invocations per minute for `--invocations-out`.
pub struct Writer {
    out: Mutex<BufWriter<std::fs::File>>,
    per_minute: Mutex<BTreeMap<u64, u64>>,
}

/// What one request contributes to the log.
pub struct Entry<'a> {
    pub time: f64,
    pub request_id: u64,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub principal_id: Option<&'a str>,
    pub invocation: Option<crate::gateway::Invoked>,
}

impl Writer {
    pub fn create(path: &str) -> Result<Writer, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("--access-log {path}: {e}"))?;
        Ok(Writer {
            out: Mutex::new(BufWriter::new(file)),
            per_minute: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn write(&self, e: &Entry<'_>) {
        let dash = || "-".to_string();
        // The emulator invokes in-process: there is no invoke overhead to tell
        // apart, so `integrationLatency` is written equal to `latency` (on AWS
        // it excludes API Gateway's own share). calibrate reads neither.
        let (latency, integration, id, status) = match e.invocation {
            Some(i) => (
                format!("{}", (i.latency * 1000.0).round() as u64),
                format!("{}", (i.latency * 1000.0).round() as u64),
                format!("lab-{:016x}", i.id),
                i.status.to_string(),
            ),
            None => (dash(), dash(), dash(), dash()),
        };
        let line = serde_json::json!({
            "requestTimeEpoch": format!("{}", (e.time * 1000.0) as u64),
            "requestId": format!("req-{:016x}", e.request_id),
            "httpMethod": e.method,
            "resourcePath": e.path,
            "status": e.status.to_string(),
            "principalId": e.principal_id.unwrap_or("-"),
            "authorizerLatency": latency,
            "authorizerIntegrationLatency": integration,
            "authorizerRequestId": id,
            "authorizerStatus": status,
        });
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(out, "{line}");
        if e.invocation.is_some() {
            *self
                .per_minute
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry((e.time / 60.0) as u64)
                .or_insert(0) += 1;
        }
    }

    pub fn flush(&self) {
        let _ = self
            .out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush();
    }

    /// The invocations so far, as get-metric-statistics prints them.
    pub fn invocations_json(&self) -> String {
        let per_minute = self
            .per_minute
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let datapoints: Vec<serde_json::Value> = per_minute
            .iter()
            .map(|(m, n)| {
                serde_json::json!({"Timestamp": format_minute(*m), "Sum": *n as f64, "Unit": "Count"})
            })
            .collect();
        serde_json::json!({"Label": "Invocations", "Datapoints": datapoints}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_trip_through_iso_8601() {
        assert_eq!(parse_rfc3339_minute("1970-01-01T00:01:00Z"), Some(1));
        // 2026-12-01T15:04:00Z = 1796137440 s.
        assert_eq!(
            parse_rfc3339_minute("2026-12-01T15:04:00+00:00"),
            Some(1_796_137_440 / 60)
        );
        for m in [0, 1, 29_935_624, 1_796_137_440 / 60] {
            assert_eq!(parse_rfc3339_minute(&format_minute(m)), Some(m));
        }
        assert_eq!(parse_rfc3339_minute("yesterday"), None);
    }

    #[test]
    fn the_template_sets_this_format_on_the_stage() {
        let template = include_str!("../../deploy/template.yaml");
        assert!(template.contains(&format!("Format: '{FORMAT}'")));
    }

    #[test]
    fn the_format_names_only_documented_context_variables() {
        let v: serde_json::Value = serde_json::from_str(FORMAT).unwrap();
        for (_, value) in v.as_object().unwrap() {
            assert!(value.as_str().unwrap().starts_with("$context."), "{value}");
        }
    }
}
