//! Telemetry: one set of measurements recorded through the `metrics`
//! facade, whichever sink is installed — CloudWatch EMF on Lambda
//! ([`emf`]), Prometheus for `replay` and the lab — plus one structured JSON
//! log line per refused or denied request ([`log`]) and, when an OTLP
//! endpoint is configured, a trace per invocation ([`trace`]).
//!
//! Labels are bounded by construction: decision, `&'static str` reason
//! codes, algorithm names. Handles are registered once at start-up
//! ([`Instruments::register`]), so recording is an atomic add or a push to
//! a buffer, with no key built or hashed per request.

pub mod emf;
mod instruments;
pub mod log;
mod metric_names;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod settings;
mod stage_clock;
pub mod trace;

pub use instruments::Instruments;
pub use metric_names::*;
pub use settings::{Flush, Settings};
pub use stage_clock::{Marks, StageClock};

use crate::clock;
use crate::net::calls;
use crate::net::http::Client;
use crate::outcome::{Outcome, Report};
use emf::Flusher;
use log::{Level, Line};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use trace::Tracer;

/// The EMF recorder scopegate installs: decisions (one series per reason
/// code), retired keys and permissions refreshes (rare) are written only
/// when they happen; every other counter also as 0.
pub fn emf_recorder() -> emf::EmfRecorder {
    emf::EmfRecorder::with_sparse_counters(&[
        DECISIONS_TOTAL,
        KEYS_RETIRED_TOTAL,
        PERMISSIONS_FETCHES_TOTAL,
    ])
}

/// What the Lambda runtime says about one invocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation<'a> {
    /// The Lambda request id (the log line's `requestId`).
    pub request_id: &'a str,
    /// The `Lambda-Runtime-Trace-Id` header (X-Ray format), if any.
    pub xray_trace_id: Option<&'a str>,
    /// The invoked function's ARN (the trace's `cloud.resource_id`).
    pub invoked_arn: Option<&'a str>,
}

/// What an invocation leaves for after its answer ([`Telemetry::finish`]).
#[derive(Debug)]
#[must_use = "pass it to Telemetry::finish, or its log line, EMF and spans are lost"]
pub struct AfterAnswer {
    line: Option<String>,
    trace: Option<PendingTrace>,
}

#[derive(Debug)]
struct PendingTrace {
    started: trace::Started,
    clock: StageClock,
    calls: Vec<calls::Call>,
    request_id: String,
    invoked_arn: Option<String>,
    cold_start: bool,
    outcome: Outcome,
}

/// Everything telemetry holds for one process, built once: the
/// instruments (one set per recorder), the EMF writer, the tracer and the
/// log level. The Lambda, `replay` and the lab's emulator all wrap the
/// handler in [`Telemetry::observe`].
pub struct Telemetry {
    instruments: Vec<Instruments>,
    emf: Option<Mutex<Flusher>>,
    tracer: Option<Tracer>,
    log_level: Level,
    cold: AtomicBool,
}

impl Telemetry {
    /// Records nothing until sinks are added.
    pub fn quiet() -> Telemetry {
        Telemetry {
            instruments: Vec::new(),
            emf: None,
            tracer: None,
            log_level: Level::Off,
            cold: AtomicBool::new(true),
        }
    }

    /// The Lambda's telemetry, as `settings` configure it: the EMF recorder
    /// installed process-wide (unless metrics are off), log lines at the
    /// configured level and, when an endpoint is set, traces. Call it
    /// before building the authorizer, so the key prefetch is counted.
    /// Traces are exported through `client`, the function's one client.
    pub fn install(settings: &Settings, client: &Client) -> Telemetry {
        let mut t = Telemetry::quiet();
        if settings.emf {
            let recorder = emf_recorder();
            // Only the first install in a process wins; a second one
            // (tests) records through the recorder already installed.
            let _ = metrics::set_global_recorder(recorder.clone());
            t.instruments.push(Instruments::register());
            t.emf = Some(Mutex::new(Flusher::new(recorder, settings.clone())));
        }
        t.tracer = settings.traces.clone().map(|s| Tracer::new(s, client));
        t.log_level = settings.log_level;
        t
    }

    /// Adds a set of instruments (registered against a recorder of the
    /// caller's: replay's Prometheus file, the lab's `/metrics`).
    #[must_use]
    pub fn with_instruments(mut self, instruments: Instruments) -> Telemetry {
        self.instruments.push(instruments);
        self
    }

    /// Adds EMF documents written as `settings` say, through a recorder of
    /// their own that is not installed process-wide (replay's `--emf`).
    #[must_use]
    pub fn with_emf(mut self, settings: &Settings) -> Telemetry {
        let recorder = emf_recorder();
        let instruments = Instruments::register_local(&recorder);
        self.instruments.push(instruments);
        self.emf = Some(Mutex::new(Flusher::new(recorder, settings.clone())));
        self
    }

    /// Runs one invocation (`handle`, given the stage clock to observe it
    /// with), then records what it did: its metrics, its EMF documents and
    /// log line (written to `out`) and, when traced, its spans. Returns the
    /// handler's answer and its duration in nanoseconds.
    pub fn observe<R: Report>(
        &self,
        invocation: &Invocation<'_>,
        out: &mut impl Write,
        handle: impl FnOnce(&mut StageClock) -> R,
    ) -> (R, u64) {
        let (result, nanos, after) = self.observe_deferred(invocation, handle);
        self.finish(after, out);
        (result, nanos)
    }

    /// [`Telemetry::observe`] with the work nobody waits for left in the
    /// returned [`AfterAnswer`]: the log line, the EMF documents and the
    /// trace export. The Lambda runs it after the response is posted
    /// (through [`Telemetry::finish`]); only the counters and histograms
    /// are recorded here (memory writes).
    pub fn observe_deferred<R: Report>(
        &self,
        invocation: &Invocation<'_>,
        handle: impl FnOnce(&mut StageClock) -> R,
    ) -> (R, u64, AfterAnswer) {
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        let traced = self
            .tracer
            .as_ref()
            .and_then(|t| t.start(invocation.xray_trace_id));
        let mut clock = if traced.is_some() {
            StageClock::detailed()
        } else {
            StageClock::start()
        };
        let (result, outbound) = if traced.is_some() {
            calls::capture(|| handle(&mut clock))
        } else {
            (handle(&mut clock), Vec::new())
        };
        let nanos = clock.stop();
        let outcome = result.outcome();
        for instruments in &self.instruments {
            if cold_start {
                instruments.cold_start();
            }
            instruments.record(&clock, outcome);
        }
        let line = Line {
            timestamp_ms: (clock::now() * 1000.0) as u64,
            request_id: invocation.request_id,
            outcome,
            alg: clock.marks.alg.map(super::jose::Alg::name),
            memo_hit: clock.marks.memo_hit,
            duration_us: nanos as f64 / 1000.0,
            cold_start,
        };
        let after = AfterAnswer {
            line: (line.level() <= self.log_level).then(|| line.render()),
            trace: traced.map(|started| PendingTrace {
                started,
                clock,
                calls: outbound,
                request_id: invocation.request_id.to_string(),
                invoked_arn: invocation.invoked_arn.map(str::to_string),
                cold_start,
                outcome,
            }),
        };
        (result, nanos, after)
    }

    /// The deferred part of an invocation: its log line and EMF documents
    /// written to `out`, its spans exported.
    pub fn finish(&self, after: AfterAnswer, out: &mut impl Write) {
        if let Some(line) = after.line {
            let _ = writeln!(out, "{line}");
        }
        if let Some(emf) = &self.emf {
            emf.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .invocation_done(out);
        }
        if let (Some(tracer), Some(t)) = (&self.tracer, after.trace) {
            tracer.finish(
                &t.started,
                &trace::Finished {
                    clock: &t.clock,
                    calls: &t.calls,
                    request_id: &t.request_id,
                    invoked_arn: t.invoked_arn.as_deref(),
                    cold_start: t.cold_start,
                    outcome: t.outcome,
                },
            );
        }
    }

    /// Writes buffered metrics (aggregated EMF) before the process ends.
    pub fn flush(&self, out: &mut impl Write) {
        if let Some(emf) = &self.emf {
            emf.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .flush(out);
        }
    }
}
