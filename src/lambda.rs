//! The Lambda entry point: configuration and state built once at init, then
//! every invocation goes through [`Authorizer::handle`]. Token faults become
//! an error whose message is exactly `Unauthorized`, which API Gateway turns
//! into a 401; anything else would be a 500.

use crate::authorizer::{Authorizer, Decision};
use crate::config::{Config, Env};
use crate::reject::{Reject, UNAUTHORIZED};
use crate::telemetry::emf::Flusher;
use crate::telemetry::log::{Level, Line};
use crate::telemetry::trace::{self, Tracer, calls};
use crate::telemetry::{self, Instruments, StageClock};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

impl From<Reject> for Diagnostic {
    fn from(_: Reject) -> Diagnostic {
        Diagnostic {
            error_type: UNAUTHORIZED.to_string(),
            error_message: UNAUTHORIZED.to_string(),
        }
    }
}

/// Unix seconds from the wall clock.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Everything an invocation needs, built once at init.
pub struct Function {
    pub authorizer: Authorizer,
    instruments: Option<Instruments>,
    flusher: Option<Mutex<Flusher>>,
    tracer: Option<Tracer>,
    log_level: Level,
    cold: AtomicBool,
}

/// What the Lambda runtime says about one invocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation<'a> {
    pub request_id: &'a str,
    /// The `Lambda-Runtime-Trace-Id` header (X-Ray format), if any.
    pub xray_trace_id: Option<&'a str>,
    pub invoked_arn: Option<&'a str>,
}

impl Function {
    /// Installs the EMF recorder (unless metrics are off) and registers the
    /// instruments, then builds the authorizer with `build` — in that order,
    /// so the key prefetch at init is already counted.
    pub fn new<E>(
        settings: telemetry::Settings,
        build: impl FnOnce() -> Result<Authorizer, E>,
    ) -> Result<Function, E> {
        let (instruments, flusher) = if settings.emf {
            let recorder = telemetry::emf_recorder();
            // Only the first install in a process wins; a second Function
            // (tests) records through the recorder already installed.
            let _ = metrics::set_global_recorder(recorder.clone());
            (
                Some(Instruments::register()),
                Some(Mutex::new(Flusher::new(recorder, settings.clone()))),
            )
        } else {
            (None, None)
        };
        Ok(Function {
            tracer: settings.traces.clone().map(Tracer::new),
            authorizer: build()?,
            instruments,
            flusher,
            log_level: settings.log_level,
            cold: AtomicBool::new(true),
        })
    }

    /// One invocation: the raw event in, the response JSON or `Unauthorized`
    /// out, then its metrics, (at the configured level) its log line and,
    /// when traced, its spans.
    pub fn invoke(
        &self,
        event: &RawValue,
        invocation: &Invocation<'_>,
    ) -> Result<Box<RawValue>, Reject> {
        let request_id = invocation.request_id;
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        let traced = self
            .tracer
            .as_ref()
            .and_then(|t| Some((t, t.start(invocation.xray_trace_id)?)));
        let mut clock = if traced.is_some() {
            StageClock::detailed()
        } else {
            StageClock::start()
        };
        let handle =
            |clock: &mut StageClock| self.authorizer.handle_observed(event.get(), now(), clock);
        let (result, outbound) = if traced.is_some() {
            calls::capture(|| handle(&mut clock))
        } else {
            (handle(&mut clock), Vec::new())
        };
        let nanos = clock.stop();
        if let Some(instruments) = &self.instruments {
            if cold_start {
                instruments.cold_start();
            }
            instruments.record(&clock, &result);
        }
        let (decision, reason) = match &result {
            Ok(r) if r.decision == Decision::Allow => ("allow", "granted"),
            Ok(_) => ("deny", "no_grant"),
            Err(reject) => ("unauthorized", reject.code()),
        };
        let line = Line {
            timestamp_ms: (now() * 1000.0) as u64,
            request_id,
            decision,
            reason,
            alg: clock.marks.alg.map(|a| a.name()),
            memo_hit: clock.marks.memo_hit,
            duration_us: nanos as f64 / 1000.0,
            cold_start,
        };
        let mut out = std::io::stdout().lock();
        if line.level() <= self.log_level {
            let _ = writeln!(out, "{}", line.render());
        }
        if let Some(flusher) = &self.flusher {
            flusher
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .invocation_done(&mut out);
        }
        drop(out);
        if let Some((tracer, started)) = &traced {
            tracer.finish(
                started,
                &trace::Finished {
                    clock: &clock,
                    calls: &outbound,
                    request_id,
                    invoked_arn: invocation.invoked_arn,
                    cold_start,
                    decision,
                    reason,
                    refused: result.is_err(),
                },
            );
        }
        let response = result?;
        // The body was rendered by us and is valid JSON; a failure here would be a bug, reported as a 401, not a panic.
        RawValue::from_string(response.body()).map_err(|_| Reject::BadEvent)
    }

    /// Writes buffered metrics (aggregated mode) before the process ends.
    pub fn shutdown(&self) {
        if let Some(flusher) = &self.flusher {
            flusher
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .flush(&mut std::io::stdout().lock());
        }
    }
}

/// Runs the Lambda runtime loop; exits with a clear message if the configuration is bad.
pub fn run() -> i32 {
    let config = match Config::from_strings(&Env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("scopegate: configuration error: {e}");
            return 1;
        }
    };
    let settings = match telemetry::Settings::from_strings(&Env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scopegate: configuration error: {e}");
            return 1;
        }
    };
    let function = match Function::new(settings, || Authorizer::from_config(&config)) {
        Ok(f) => Arc::new(f),
        Err(e) => {
            eprintln!("scopegate: {e}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scopegate: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let handler_function = Arc::clone(&function);
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let function = Arc::clone(&handler_function);
        async move {
            let context = &event.context;
            function.invoke(
                &event.payload,
                &Invocation {
                    request_id: &context.request_id,
                    xray_trace_id: context.xray_trace_id.as_deref(),
                    invoked_arn: Some(&context.invoked_function_arn),
                },
            )
        }
    });
    let outcome = runtime.block_on(lambda_runtime::run(handler));
    function.shutdown();
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("scopegate: Lambda runtime stopped: {e}");
            1
        }
    }
}
