//! The Lambda entry point: configuration and state built once at init, then
//! every invocation goes through [`Authorizer::handle`]. Token faults become
//! an error whose message is exactly `Unauthorized`, which API Gateway turns
//! into a 401; anything else would be a 500.

use crate::authorizer::{Authorizer, Decision};
use crate::config::{Config, Env};
use crate::reject::{Reject, UNAUTHORIZED};
use crate::telemetry::emf::Flusher;
use crate::telemetry::log::{Level, Line};
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
    log_level: Level,
    cold: AtomicBool,
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
            authorizer: build()?,
            instruments,
            flusher,
            log_level: settings.log_level,
            cold: AtomicBool::new(true),
        })
    }

    /// One invocation: the raw event in, the response JSON or `Unauthorized`
    /// out, then its metrics and (at the configured level) its log line.
    pub fn invoke(&self, event: &RawValue, request_id: &str) -> Result<Box<RawValue>, Reject> {
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        let mut clock = StageClock::start();
        let result = self
            .authorizer
            .handle_observed(event.get().as_bytes(), now(), &mut clock);
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
        let response = result?;
        // The body was rendered by us and is valid JSON; a failure here would be a bug, reported as a 401, not a panic.
        RawValue::from_string(response.body.to_string()).map_err(|_| Reject::BadEvent)
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
        async move { function.invoke(&event.payload, &event.context.request_id) }
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
