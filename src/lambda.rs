//! The Lambda entry point, runtime glue only: configuration and state built
//! once at init, then every invocation goes through
//! [`Telemetry::observe`] around [`Authorizer::handle`]. Token faults become
//! an error whose message is exactly `Unauthorized`, which API Gateway turns
//! into a 401; anything else would be a 500.

use crate::clock;
use crate::config::{self, Config, Env};
use crate::handler::Authorizer;
use crate::outcome::{Reject, UNAUTHORIZED};
use crate::telemetry::{self, Invocation, Telemetry};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use std::sync::Arc;

impl From<Reject> for Diagnostic {
    fn from(_: Reject) -> Diagnostic {
        Diagnostic {
            error_type: UNAUTHORIZED.to_string(),
            error_message: UNAUTHORIZED.to_string(),
        }
    }
}

/// Everything an invocation needs, built once at init.
pub struct Function {
    /// The pipeline.
    pub authorizer: Authorizer,
    telemetry: Telemetry,
}

impl Function {
    /// Starts telemetry as `settings` say, then builds the authorizer with
    /// `build` — in that order, so the key prefetch at init is counted.
    pub fn new<E>(
        settings: &telemetry::Settings,
        build: impl FnOnce() -> Result<Authorizer, E>,
    ) -> Result<Function, E> {
        let telemetry = Telemetry::install(settings);
        Ok(Function {
            authorizer: build()?,
            telemetry,
        })
    }

    /// One invocation: the raw event in, the response JSON or `Unauthorized`
    /// out; telemetry writes to stdout.
    pub fn invoke(
        &self,
        event: &RawValue,
        invocation: &Invocation<'_>,
    ) -> Result<Box<RawValue>, Reject> {
        let mut out = std::io::stdout().lock();
        let (result, _) = self.telemetry.observe(invocation, &mut out, |clock| {
            self.authorizer
                .handle_observed(event.get(), clock::now(), clock)
        });
        let response = result?;
        // The body was rendered by us and is valid JSON; a failure here would be a bug, reported as a 401, not a panic.
        RawValue::from_string(response.body()).map_err(|_| Reject::BadEvent)
    }

    /// Writes buffered metrics (aggregated mode) before the process ends.
    pub fn shutdown(&self) {
        self.telemetry.flush(&mut std::io::stdout().lock());
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
    let settings = match config::telemetry_settings(&Env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scopegate: configuration error: {e}");
            return 1;
        }
    };
    let function = match Function::new(&settings, || Authorizer::from_config(&config)) {
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
