//! OpenTelemetry traces: a span per invocation, with a child per stage
//! (extract, memo lookup, verify, map) and per outbound call (JWKS fetch,
//! introspection), built after the handler from the [`StageClock`] it
//! already fills for metrics, so tracing adds no work inside the pipeline.
//! The X-Ray header Lambda hands the function is the parent; spans go out
//! over OTLP/HTTP (protobuf) before the invocation returns, because Lambda
//! may freeze the environment as soon as it has the answer.
//!
//! | span | kind | attributes |
//! |---|---|---|
//! | function name | server | `faas.trigger`, `faas.invocation_id`, `faas.coldstart`, `cloud.resource_id`, `scopegate.decision`, `scopegate.reason` |
//! | `scopegate.extract` | internal | `scopegate.reason` if it refused |
//! | `scopegate.memo` | internal | `scopegate.cache_hit` |
//! | `scopegate.verify` | internal | `scopegate.alg`, `scopegate.kid`, `scopegate.reason` if it refused |
//! | `scopegate.map` | internal | `scopegate.cache_hit` (policy memo) |
//! | `scopegate.jwks_fetch`, `scopegate.introspect` | client | `scopegate.result` |
//!
//! Why our own encoder (`otlp.rs`) and not the SDK's: feature `otel-sdk`
//! sends the same spans through `opentelemetry_sdk` + `opentelemetry-otlp`
//! (`sdk.rs`). Measured on 2026-12-01 (BENCHMARKS.md §14): stripped
//! bootstrap 5,879,048 → 6,010,408 bytes, INIT 3.30 → 2.98 ms (noise), but
//! build and encode per invocation 2.9–3.1 → 5.5–7.4 µs, over the 1 µs the
//! SDK was allowed; so the default is ours.

pub mod otlp;
#[cfg(feature = "otel-sdk")]
pub mod sdk;
pub mod settings;

pub use settings::TraceSettings;

use super::StageClock;
use crate::net::calls::{Call, CallKind};
use crate::net::http::{Client, Redacted};
use crate::outcome::Outcome;
use otlp::{Code, Kind, Span, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// W3C `sampled` flag.
const SAMPLED: u32 = 0x01;
/// OTLP span flags: whether the parent is remote is known (0x100), and it is (0x200).
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

/// The caller's trace, from the X-Ray header (`Root=1-…;Parent=…;Sampled=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XrayParent {
    /// The X-Ray trace id as 16 bytes.
    pub trace_id: [u8; 16],
    /// The caller's segment id, if it gave one.
    pub span_id: Option<[u8; 8]>,
    /// `None` for `Sampled=?` or no flag: the decision is ours.
    pub sampled: Option<bool>,
}

fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Parses an X-Ray trace header; `None` if it has no valid `Root`.
pub fn parse_xray(header: &str) -> Option<XrayParent> {
    let mut parent = XrayParent {
        trace_id: [0; 16],
        span_id: None,
        sampled: None,
    };
    let mut root = false;
    for field in header.split(';') {
        let (key, value) = field.trim().split_once('=')?;
        match key {
            "Root" => {
                // 1-{8 hex epoch seconds}-{24 hex}: the W3C id is the 32 hex digits.
                let mut parts = value.split('-');
                let (Some("1"), Some(time), Some(id), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return None;
                };
                if time.len() != 8 || id.len() != 24 {
                    return None;
                }
                parent.trace_id = hex::<16>(&format!("{time}{id}"))?;
                root = parent.trace_id != [0; 16];
            }
            "Parent" => parent.span_id = hex::<8>(value).filter(|id| *id != [0; 8]),
            "Sampled" => {
                parent.sampled = match value {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    root.then_some(parent)
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Random bytes for ids; an id must not be all zero.
fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if aws_lc_rs::rand::fill(&mut out).is_err() || out == [0; N] {
        // The system RNG failed: ids need only be unique, not secret.
        let n = unix_nanos().to_le_bytes();
        for (i, b) in out.iter_mut().enumerate() {
            *b = n[i % 8] ^ (i as u8).wrapping_add(1);
        }
    }
    out
}

/// Span ids for one invocation: one draw from the system RNG, then a
/// counter mixed into it (ids must be unique, not unpredictable).
struct SpanIds {
    base: u64,
    next: u64,
}

impl SpanIds {
    fn new() -> SpanIds {
        SpanIds {
            base: u64::from_le_bytes(random::<8>()),
            next: 0,
        }
    }

    fn next(&mut self) -> [u8; 8] {
        // An odd multiplier makes the map from counter to id a bijection.
        self.next += 1;
        let id = self.base ^ self.next.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        if id == 0 {
            self.base.to_be_bytes()
        } else {
            id.to_be_bytes()
        }
    }
}

/// A sampled invocation, decided before the handler runs.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    trace_id: [u8; 16],
    parent: Option<[u8; 8]>,
    start_unix_ns: u64,
}

/// What an invocation did, for its spans.
#[derive(Debug)]
pub struct Finished<'a> {
    /// Its stage boundaries.
    pub clock: &'a StageClock,
    /// The outbound calls it made.
    pub calls: &'a [Call],
    /// The Lambda request id.
    pub request_id: &'a str,
    /// The invoked function's ARN.
    pub invoked_arn: Option<&'a str>,
    /// The first invocation of this environment.
    pub cold_start: bool,
    /// How it ended; a refusal (401) makes the refusing stage and the invocation span errors.
    pub outcome: Outcome,
}

/// Makes an invocation's spans: its trace, its clock's origin, fresh ids.
struct Builder<'a> {
    started: &'a Started,
    ids: SpanIds,
}

impl Builder<'_> {
    /// A span from `from` to `to` (nanoseconds after the invocation began);
    /// `parent: None` is the invocation span, under the caller's span if any.
    fn span(
        &mut self,
        name: Cow<'static, str>,
        kind: Kind,
        parent: Option<[u8; 8]>,
        from: u64,
        to: u64,
    ) -> Span {
        Span {
            trace_id: self.started.trace_id,
            span_id: self.ids.next(),
            parent_span_id: parent.or(self.started.parent),
            flags: SAMPLED | HAS_IS_REMOTE,
            name,
            kind,
            start_unix_ns: self.started.start_unix_ns + from,
            end_unix_ns: self.started.start_unix_ns + to.max(from),
            attributes: Vec::new(),
            status: Code::Unset,
            status_message: "",
        }
    }
}

/// The exporter, built once at init.
pub struct Tracer {
    settings: TraceSettings,
    client: Client,
    resource: Vec<u8>,
    /// Unix seconds of the last export warning: at most one a minute.
    warned_at: AtomicU64,
    /// With feature `otel-sdk`, the SDK's exporter sends the spans.
    #[cfg(feature = "otel-sdk")]
    sdk: Option<sdk::SdkExporter>,
}

impl Tracer {
    /// A tracer exporting as `settings` say, through `client` (the
    /// function's one client, with the OTLP timeout).
    pub fn new(settings: TraceSettings, client: &Client) -> Tracer {
        let client = client.timed(settings.timeout_ms);
        #[cfg(feature = "otel-sdk")]
        let sdk = sdk::SdkExporter::new(&settings, client.clone())
            .inspect_err(|e| {
                // The SDK's error may quote the endpoint, query and all.
                eprintln!(
                    r#"{{"level":"WARN","message":{}}}"#,
                    serde_json::Value::String(crate::net::http::scrub(e, &settings.url))
                );
            })
            .ok();
        Tracer {
            client,
            resource: otlp::resource(&settings.resource),
            settings,
            warned_at: AtomicU64::new(0),
            #[cfg(feature = "otel-sdk")]
            sdk,
        }
    }

    /// Starts an invocation's trace: under the X-Ray parent if there is one
    /// (a new X-Ray-compatible id otherwise); `None` if it is not sampled.
    pub fn start(&self, xray_header: Option<&str>) -> Option<Started> {
        let parent = xray_header.and_then(parse_xray);
        let start_unix_ns = unix_nanos();
        let trace_id = if let Some(p) = &parent {
            p.trace_id
        } else {
            // X-Ray wants the epoch seconds in the first 4 bytes.
            let mut id = random::<16>();
            id[..4].copy_from_slice(&((start_unix_ns / 1_000_000_000) as u32).to_be_bytes());
            id
        };
        self.settings
            .sampler
            .sampled(parent.and_then(|p| p.sampled), &trace_id)
            .then_some(Started {
                trace_id,
                parent: parent.and_then(|p| p.span_id),
                start_unix_ns,
            })
    }

    /// The spans of one finished invocation: the invocation span first.
    pub fn spans(&self, started: &Started, done: &Finished<'_>) -> Vec<Span> {
        let clock = done.clock;
        let t = &clock.marks;
        let end = clock.done().unwrap_or(0);
        let mut b = Builder {
            started,
            ids: SpanIds::new(),
        };
        let refuse = |s: &mut Span| {
            s.attributes
                .push(("scopegate.reason", Value::Static(done.outcome.reason())));
            s.status = Code::Error;
            s.status_message = done.outcome.reason();
        };

        let mut root = b.span(
            Cow::Owned(self.settings.span_name.clone()),
            Kind::Server,
            None,
            0,
            end,
        );
        if started.parent.is_some() {
            root.flags |= IS_REMOTE;
        }
        root.attributes.extend([
            ("faas.trigger", Value::Static("http")),
            (
                "faas.invocation_id",
                Value::Str(done.request_id.to_string()),
            ),
            ("faas.coldstart", Value::Bool(done.cold_start)),
        ]);
        if let Some(arn) = done.invoked_arn.filter(|a| !a.is_empty()) {
            root.attributes
                .push(("cloud.resource_id", Value::Str(arn.to_string())));
        }
        root.attributes
            .push(("scopegate.decision", Value::Static(done.outcome.code())));
        if done.outcome.refused() {
            refuse(&mut root);
        } else {
            root.attributes
                .push(("scopegate.reason", Value::Static(done.outcome.reason())));
            root.status = Code::Ok;
        }
        let root_id = Some(root.span_id);
        let mut spans = vec![root];
        let mut calls_parent = root_id;

        let mut extract = b.span(
            "scopegate.extract".into(),
            Kind::Internal,
            root_id,
            0,
            t.extracted.unwrap_or(end),
        );
        if t.extracted.is_none() && done.outcome.refused() {
            refuse(&mut extract);
        }
        spans.push(extract);
        if let (Some(extracted), Some(looked_up)) = (t.extracted, t.memo_looked_up) {
            let mut memo = b.span(
                "scopegate.memo".into(),
                Kind::Internal,
                root_id,
                extracted,
                looked_up,
            );
            let hit = t.memo_hit == Some(true);
            memo.attributes
                .push(("scopegate.cache_hit", Value::Bool(hit)));
            spans.push(memo);
            if !hit {
                let mut verify = b.span(
                    "scopegate.verify".into(),
                    Kind::Internal,
                    root_id,
                    looked_up,
                    t.verified.unwrap_or(end),
                );
                if let Some(alg) = t.alg {
                    verify
                        .attributes
                        .push(("scopegate.alg", Value::Static(alg.name())));
                }
                if let Some(kid) = &clock.kid {
                    verify
                        .attributes
                        .push(("scopegate.kid", Value::Str(kid.clone())));
                }
                if t.verified.is_none() && done.outcome.refused() {
                    refuse(&mut verify);
                }
                calls_parent = Some(verify.span_id);
                spans.push(verify);
            }
        }
        if let Some(verified) = t.verified {
            let mut map = b.span(
                "scopegate.map".into(),
                Kind::Internal,
                root_id,
                verified,
                t.mapped.unwrap_or(end),
            );
            if let Some(hit) = t.policy_memo_hit {
                map.attributes
                    .push(("scopegate.cache_hit", Value::Bool(hit)));
            }
            spans.push(map);
        }
        let origin = clock.started_at();
        let offset = |i: std::time::Instant| i.saturating_duration_since(origin).as_nanos() as u64;
        for call in done.calls {
            let name = match call.kind {
                CallKind::JwksFetch => "scopegate.jwks_fetch",
                CallKind::Introspection => "scopegate.introspect",
                CallKind::PermissionsFetch => "scopegate.permissions_fetch",
            };
            let mut span = b.span(
                name.into(),
                Kind::Client,
                calls_parent,
                offset(call.started),
                offset(call.ended),
            );
            span.attributes
                .push(("scopegate.result", Value::Static(call.result)));
            if call.result == "error" {
                span.status = Code::Error;
                span.status_message = "error";
            }
            spans.push(span);
        }
        spans
    }

    /// The SDK exporter, when feature `otel-sdk` built one (for its bench).
    #[cfg(feature = "otel-sdk")]
    pub fn sdk(&self) -> Option<&sdk::SdkExporter> {
        self.sdk.as_ref()
    }

    /// Sends spans to the collector (one OTLP/HTTP request).
    pub fn export(&self, spans: &[Span]) -> Result<(), String> {
        #[cfg(feature = "otel-sdk")]
        if let Some(sdk) = &self.sdk {
            return sdk.export(spans);
        }
        let body = otlp::export_request(&self.resource, env!("CARGO_PKG_VERSION"), spans);
        let answer = self.client.post(
            &self.settings.url,
            "application/x-protobuf",
            &self.settings.headers,
            &body,
        )?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(format!("the collector answered HTTP {}", answer.status))
        }
    }

    /// Builds and exports one invocation's spans. A failed export is logged
    /// (at most once a minute, without headers) and never changes the answer.
    pub fn finish(&self, started: &Started, done: &Finished<'_>) {
        let spans = self.spans(started, done);
        if let Err(e) = self.export(&spans) {
            let now = unix_nanos() / 1_000_000_000;
            let last = self.warned_at.load(Ordering::Relaxed);
            if now >= last + 60
                && self
                    .warned_at
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                eprintln!(
                    r#"{{"level":"WARN","message":"trace export failed","url":{},"error":{}}}"#,
                    serde_json::Value::String(Redacted(&self.settings.url).to_string()),
                    serde_json::Value::String(e)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
