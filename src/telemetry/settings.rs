//! Telemetry settings, read at init like the rest of the configuration.

use super::{log, trace};

/// When EMF documents are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flush {
    /// One set of documents per invocation.
    PerInvocation,
    /// Values buffered and written every `invocations` or `seconds`, whichever comes first.
    Aggregated {
        /// Invocations per flush.
        invocations: u32,
        /// Seconds between flushes.
        seconds: f64,
    },
}

/// Telemetry settings, read at init like the rest of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `SCOPEGATE_METRICS`: write EMF (`emf`, the default) or nothing (`off`).
    pub emf: bool,
    /// The CloudWatch namespace. Defaults to `scopegate`.
    pub namespace: String,
    /// The `service` dimension. Defaults to `scopegate`.
    pub service: String,
    /// The function name as a dimension (from `AWS_LAMBDA_FUNCTION_NAME`), if enabled.
    pub function_name: Option<String>,
    /// One-second storage resolution (`SCOPEGATE_METRICS_RESOLUTION=1`). Defaults to `false`.
    pub high_resolution: bool,
    /// When EMF documents are written. Defaults to per invocation.
    pub flush: Flush,
    /// Which invocations get a log line. Defaults to `info` (refusals and denies).
    pub log_level: log::Level,
    /// OpenTelemetry traces, when an OTLP endpoint is configured.
    pub traces: Option<trace::TraceSettings>,
}
