//! The Lambda entry point, runtime glue only: configuration and state built
//! once at init, then every invocation goes through
//! [`Telemetry::observe_deferred`] around [`Authorizer::handle`]. Token faults
//! become an error whose message is exactly `Unauthorized`, which API
//! Gateway turns into a 401; anything else would be a 500.
//!
//! Work nobody waits for (the log line, EMF documents, the trace export)
//! runs after the response is posted: a runtime layer ([`AfterAnswerLayer`])
//! wraps the runtime's own service, which posts the response, and Lambda
//! freezes the environment only when the runtime asks for the next event.
//! With aggregated EMF, buffered values are flushed on SIGTERM: the runtime
//! registers a no-op internal extension (lambda_runtime's graceful
//! shutdown), without which Lambda sends no SIGTERM.

use crate::clock;
use crate::config::{self, Config, Env};
use crate::handler::{Authorizer, Pending};
use crate::net::http::Client;
use crate::outcome::{Reject, UNAUTHORIZED};
use crate::telemetry::{self, AfterAnswer, Flush, Invocation, Telemetry};
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Diagnostic, LambdaEvent, LambdaInvocation, Runtime, service_fn};
use serde_json::value::RawValue;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

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
    /// The last answer's deferred telemetry and memo insert, until it has
    /// been posted.
    after: Mutex<Option<(AfterAnswer, Pending)>>,
}

impl Function {
    /// Starts telemetry as `settings` say, then builds the authorizer with
    /// `build` — in that order, so the key prefetch at init is counted.
    /// `client` is the function's one HTTP client, which `build` shares.
    pub fn new<E>(
        settings: &telemetry::Settings,
        client: &Client,
        build: impl FnOnce() -> Result<Authorizer, E>,
    ) -> Result<Function, E> {
        let telemetry = Telemetry::install(settings, client);
        Ok(Function {
            authorizer: build()?,
            telemetry,
            after: Mutex::new(None),
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

    /// [`Function::invoke`] with its memo insert, log line, EMF and spans
    /// kept for [`Function::after_answer`].
    pub fn answer(
        &self,
        event: &RawValue,
        invocation: &Invocation<'_>,
    ) -> Result<Box<RawValue>, Reject> {
        let (deferred, _, after) = self.telemetry.observe_deferred(invocation, |clock| {
            self.authorizer
                .handle_deferred(event.get(), clock::now(), clock)
        });
        self.after_answer();
        *self.after.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((after, deferred.pending));
        let response = deferred.result?;
        RawValue::from_string(response.body()).map_err(|_| Reject::BadEvent)
    }

    /// Runs the deferred telemetry of the last [`Function::answer`], if any.
    pub fn after_answer(&self) {
        let after = self
            .after
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((after, pending)) = after {
            self.authorizer.remember_pending(pending);
            self.telemetry.finish(after, &mut std::io::stdout().lock());
        }
    }

    /// Writes buffered metrics (aggregated mode) before the process ends.
    pub fn shutdown(&self) {
        self.after_answer();
        self.telemetry.flush(&mut std::io::stdout().lock());
    }
}

/// Runs [`Function::after_answer`] once the runtime's service (which posts
/// the response to the Runtime API) has finished.
pub struct AfterAnswerLayer(Arc<Function>);

impl<S> Layer<S> for AfterAnswerLayer {
    type Service = AfterAnswerService<S>;
    fn layer(&self, inner: S) -> AfterAnswerService<S> {
        AfterAnswerService {
            inner,
            function: Arc::clone(&self.0),
        }
    }
}

/// The service [`AfterAnswerLayer`] builds.
pub struct AfterAnswerService<S> {
    inner: S,
    function: Arc<Function>,
}

type BoxError = lambda_runtime::Error;

impl<S> Service<LambdaInvocation> for AfterAnswerService<S>
where
    S: Service<LambdaInvocation, Response = (), Error = BoxError>,
    S::Future: 'static,
{
    type Response = ();
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let posted = self.inner.call(invocation);
        let function = Arc::clone(&self.function);
        Box::pin(async move {
            let result = posted.await;
            function.after_answer();
            result
        })
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
    let client = config.http_client();
    let function = match Function::new(&settings, &client, || {
        Authorizer::from_config_with(&config, &client)
    }) {
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
            function.answer(
                &event.payload,
                &Invocation {
                    request_id: &context.request_id,
                    xray_trace_id: context.xray_trace_id.as_deref(),
                    invoked_arn: Some(&context.invoked_function_arn),
                },
            )
        }
    });
    let buffered = matches!(settings.flush, Flush::Aggregated { .. });
    let layer = AfterAnswerLayer(Arc::clone(&function));
    let shutdown_function = Arc::clone(&function);
    let outcome = runtime.block_on(async move {
        if buffered {
            // Registers the no-op extension (so Lambda sends SIGTERM) and
            // flushes, then exits, on SIGTERM or SIGINT.
            lambda_runtime::spawn_graceful_shutdown_handler(move || async move {
                shutdown_function.shutdown();
            })
            .await;
        }
        Runtime::new(handler).layer(layer).run().await
    });
    function.shutdown();
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("scopegate: Lambda runtime stopped: {e}");
            1
        }
    }
}
