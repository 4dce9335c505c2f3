//! The Lambda entry point: configuration and state built once at init, then
//! every invocation goes through [`Authorizer::handle`]. Token faults become
//! an error whose message is exactly `Unauthorized`, which API Gateway turns
//! into a 401; anything else would be a 500.

use crate::authorizer::Authorizer;
use crate::config::{Config, Env};
use crate::reject::{Reject, UNAUTHORIZED};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use std::sync::Arc;
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

/// One invocation: the raw event in, the response JSON or `Unauthorized` out.
pub fn invoke(authorizer: &Authorizer, event: &RawValue) -> Result<Box<RawValue>, Reject> {
    let response = authorizer.handle(event.get().as_bytes(), now())?;
    // The body was rendered by us and is valid JSON; a failure here would be a bug, reported as a 401, not a panic.
    RawValue::from_string(response.body.to_string()).map_err(|_| Reject::BadEvent)
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
    let authorizer = match Authorizer::from_config(&config) {
        Ok(a) => Arc::new(a),
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
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let authorizer = Arc::clone(&authorizer);
        async move { invoke(&authorizer, &event.payload) }
    });
    match runtime.block_on(lambda_runtime::run(handler)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("scopegate: Lambda runtime stopped: {e}");
            1
        }
    }
}
