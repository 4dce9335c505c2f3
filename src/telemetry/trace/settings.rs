//! What trace export needs, decided once at init from the standard
//! OpenTelemetry variables (parsed in [`crate::config`]): where spans go,
//! how they are sampled, and the resource that describes the function.

use super::otlp::Value;
use std::fmt;

/// Which traces are exported (the `OTEL_TRACES_SAMPLER` values scopegate knows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampler {
    /// Follow the caller's decision (the X-Ray `Sampled` flag) when there is one.
    pub parent_based: bool,
    /// The decision for a trace scopegate starts: a share of trace ids in [0, 1].
    pub ratio: f64,
}

impl Sampler {
    /// Whether a trace with this id, and the caller's decision if any, is exported.
    pub fn sampled(&self, parent_sampled: Option<bool>, trace_id: &[u8; 16]) -> bool {
        if self.parent_based
            && let Some(decision) = parent_sampled
        {
            return decision;
        }
        if self.ratio >= 1.0 {
            return true;
        }
        // The spec's TraceIdRatioBased: the low 8 bytes as a uniform number.
        let mut low = [0u8; 8];
        low.copy_from_slice(&trace_id[8..]);
        (u64::from_be_bytes(low) >> 11) as f64 / (1u64 << 53) as f64 <= self.ratio
            && self.ratio > 0.0
    }
}

/// Where and how spans are exported, and what describes the function.
#[derive(Clone, PartialEq)]
pub struct TraceSettings {
    /// The full OTLP/HTTP traces URL (`…/v1/traces`).
    pub url: String,
    /// Extra request headers (values never printed).
    pub headers: Vec<(String, String)>,
    /// Export timeout, milliseconds.
    pub timeout_ms: u64,
    /// Which traces are exported.
    pub sampler: Sampler,
    /// Resource attributes: service, cloud and FaaS identity.
    pub resource: Vec<(String, Value)>,
    /// The invocation span's name: the function name (FaaS conventions).
    pub span_name: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`, if set.
    pub function_name: Option<String>,
}

/// Header values may hold API keys: never print them.
impl fmt::Debug for TraceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TraceSettings")
            .field("url", &self.url)
            .field("headers", &names)
            .field("timeout_ms", &self.timeout_ms)
            .field("sampler", &self.sampler)
            .field("span_name", &self.span_name)
            .finish_non_exhaustive()
    }
}
