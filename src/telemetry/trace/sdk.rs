//! The same spans exported through the OpenTelemetry SDK (feature
//! `otel-sdk`): each [`Span`] becomes an SDK `SpanData` and goes out through
//! `opentelemetry-otlp`'s OTLP/HTTP protobuf exporter, whose HTTP client is
//! our ureq agent (no second HTTP stack). Built for the measurement in
//! BENCHMARKS.md §14, which decides between this path and the hand-written
//! encoder in `otlp.rs`.

use super::otlp::{Code, Kind, Span, Value};
use super::settings::TraceSettings;
use crate::net::http::Client;
use async_trait::async_trait;
use bytes::Bytes;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter, SpanLinks};
use std::collections::HashMap;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, UNIX_EPOCH};

/// `opentelemetry-http`'s client trait over our agent: a blocking POST, so
/// the export future is ready on its first poll.
struct Ureq(Client);

impl std::fmt::Debug for Ureq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ureq")
    }
}

#[async_trait]
impl HttpClient for Ureq {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let url = request.uri().to_string();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter(|(name, _)| *name != http::header::CONTENT_TYPE)
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-protobuf")
            .to_string();
        let fetched = self
            .0
            .post(&url, &content_type, &headers, request.body())
            .map_err(|e| -> HttpError { e.into() })?;
        Response::builder()
            .status(fetched.status)
            .body(Bytes::from(fetched.body))
            .map_err(|e| -> HttpError { Box::new(e) })
    }
}

/// The SDK's OTLP exporter, built once at init.
#[derive(Debug)]
pub struct SdkExporter {
    exporter: opentelemetry_otlp::SpanExporter,
    scope: InstrumentationScope,
    /// The resource in the form the exporter's encoder takes (for [`SdkExporter::encode`]).
    resource: ResourceAttributesWithSchema,
}

impl SdkExporter {
    /// An exporter to `settings.url` with its headers, timeout and resource.
    pub fn new(settings: &TraceSettings, client: Client) -> Result<SdkExporter, String> {
        let headers: HashMap<String, String> = settings.headers.iter().cloned().collect();
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(Ureq(client))
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(settings.url.clone())
            .with_headers(headers)
            .with_timeout(Duration::from_millis(settings.timeout_ms))
            .build()
            .map_err(|e| format!("OpenTelemetry exporter: {e}"))?;
        let resource = opentelemetry_sdk::Resource::builder_empty()
            .with_attributes(
                settings
                    .resource
                    .iter()
                    .map(|(k, v)| key_value(k.clone(), v)),
            )
            .build();
        exporter.set_resource(&resource);
        let encoded_resource = ResourceAttributesWithSchema::from(&resource);
        let scope = InstrumentationScope::builder("scopegate")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        Ok(SdkExporter {
            exporter,
            scope,
            resource: encoded_resource,
        })
    }

    /// The SDK's form of our spans.
    pub fn span_data(&self, spans: &[Span]) -> Vec<SpanData> {
        spans.iter().map(|s| self.convert(s)).collect()
    }

    /// The request body the exporter sends for `spans`, built the way it
    /// builds it (grouped by resource and scope, then protobuf): the
    /// per-invocation build-and-encode cost, without the HTTP round trip.
    pub fn encode(&self, spans: &[Span]) -> Vec<u8> {
        let resource_spans =
            group_spans_by_resource_and_scope(self.span_data(spans), &self.resource);
        prost::Message::encode_to_vec(&ExportTraceServiceRequest { resource_spans })
    }

    /// Exports one invocation's spans.
    pub fn export(&self, spans: &[Span]) -> Result<(), String> {
        ready(self.exporter.export(self.span_data(spans))).map_err(|e| e.to_string())
    }

    fn convert(&self, s: &Span) -> SpanData {
        let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
        SpanData {
            span_context: SpanContext::new(
                TraceId::from_bytes(s.trace_id),
                SpanId::from_bytes(s.span_id),
                TraceFlags::new((s.flags & 0xff) as u8),
                false,
                TraceState::NONE,
            ),
            parent_span_id: s.parent_span_id.map_or(SpanId::INVALID, SpanId::from_bytes),
            parent_span_is_remote: s.flags & 0x200 != 0,
            span_kind: match s.kind {
                Kind::Internal => SpanKind::Internal,
                Kind::Server => SpanKind::Server,
                Kind::Client => SpanKind::Client,
            },
            name: s.name.clone(),
            start_time: at(s.start_unix_ns),
            end_time: at(s.end_unix_ns),
            attributes: s.attributes.iter().map(|(k, v)| key_value(*k, v)).collect(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: match s.status {
                Code::Unset => Status::Unset,
                Code::Ok => Status::Ok,
                Code::Error => Status::error(s.status_message),
            },
            instrumentation_scope: self.scope.clone(),
        }
    }
}

fn key_value(key: impl Into<opentelemetry::Key>, v: &Value) -> KeyValue {
    match v {
        Value::Str(s) => KeyValue::new(key, s.clone()),
        Value::Static(s) => KeyValue::new(key, *s),
        Value::Bool(b) => KeyValue::new(key, *b),
        Value::Int(i) => KeyValue::new(key, *i),
    }
}

/// Drives a future that our blocking client makes ready at once; polls
/// again if it is not (no runtime is needed, and none may be entered here:
/// the Lambda runtime's tokio is running on this thread).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
