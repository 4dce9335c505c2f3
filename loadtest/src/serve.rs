//! `scopegate-lab serve`: the gateway and the development IdP over HTTP on
//! 127.0.0.1, with Prometheus metrics on `/metrics`. `start` runs it on
//! the current tokio runtime, which is how `live` and the tests use it.

use crate::access_log;
use crate::arg_values::{non_negative_seconds, parse_ttl, positive_count, setting};
use crate::gateway::config::{AuthorizerKind, GatewayConfig};
use crate::gateway::{Counts, Gateway, Reply};
use crate::identity::Identity;
use crate::idp::Idp;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use metrics::Counter;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A local API Gateway (REST) with the scopegate authorizer in-process, its
/// authorizer result cache, IAM policy evaluation, and an embedded identity
/// provider under /idp (discovery, JWKS, tokens). Prometheus metrics on
/// /metrics.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Authorizer result cache TTL, 0..=3600 seconds (API Gateway's range).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0, value_parser = parse_ttl)]
    ttl: f64,
    /// Gateway configuration (routes, authorizer) as TOML, instead of the default API.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// REST authorizer type (overrides the configuration's; HTTP API and
    /// WebSocket forms are set in --config).
    #[arg(long, value_name = "KIND", value_parser = ["token", "request"])]
    authorizer: Option<String>,
    /// Forward allowed requests to this loopback backend instead of answering them.
    #[arg(long, value_name = "http://127.0.0.1:PORT")]
    upstream: Option<String>,
    /// Signature algorithm of the embedded IdP.
    #[arg(long, value_name = "ALG", default_value = "ES256", value_parser = ["RS256", "ES256"])]
    alg: String,
    /// Permissions document from s3://bucket/key or dynamodb://TABLE (with
    /// this process's AWS_* variables: moto_server works), an https or
    /// loopback URL, or a file,
    /// refreshed as the Lambda would: replace it while traffic runs and watch
    /// the decisions and scopegate_permissions_fetches_total follow.
    #[arg(long, value_name = "SOURCE")]
    permissions: Option<String>,
    /// Refresh interval of --permissions.
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0, value_parser = non_negative_seconds)]
    permissions_max_age: f64,
    /// A setting of the authorizer, as the Lambda's environment would carry
    /// it (repeatable): a Cedar store's SCOPEGATE_CEDAR_SCHEMA and
    /// SCOPEGATE_CEDAR_API, a policy budget… An unknown SCOPEGATE_* name
    /// stops the start.
    #[arg(long = "set", value_name = "VAR=VALUE", value_parser = setting)]
    settings: Vec<(String, String)>,
    /// Split the authorizer cache into N partitions, each request landing on
    /// a random one (AWS documents no topology; calibrate recovers N).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = positive_count)]
    cache_partitions: usize,
    /// Write an API Gateway access log (the JSON format of docs/src/lab.md, "Calibrate on your own traffic") to FILE.
    #[arg(long, value_name = "FILE")]
    access_log: Option<String>,
    /// On exit, write the authorizer's per-minute invocations to FILE as
    /// `aws cloudwatch get-metric-statistics` prints them (needs --access-log).
    #[arg(long, value_name = "FILE")]
    invocations_out: Option<String>,
}

impl ServeArgs {
    fn resolve(self) -> Result<Options, String> {
        if self.invocations_out.is_some() && self.access_log.is_none() {
            return Err(
                "--invocations-out needs --access-log (it counts what the log records)".into(),
            );
        }
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                GatewayConfig::parse(&text)?
            }
            None => GatewayConfig::default_api(),
        };
        match self.authorizer.as_deref() {
            Some("token") => config.authorizer = AuthorizerKind::Token,
            Some("request") => config.authorizer = AuthorizerKind::Request,
            _ => {}
        }
        let upstream = match self.upstream {
            Some(u) => {
                scopegate::net::http::check_loopback_url(&u)
                    .map_err(|e| format!("--upstream: {e}"))?;
                Some(u.trim_end_matches('/').to_string())
            }
            None => None,
        };
        Ok(Options {
            port: self.port,
            ttl: self.ttl,
            config,
            upstream,
            alg: self.alg,
            permissions: self.permissions,
            permissions_max_age: self.permissions_max_age,
            settings: self.settings,
            cache_partitions: self.cache_partitions,
            access_log: self.access_log,
            invocations_out: self.invocations_out,
        })
    }
}

/// How to run the server.
pub struct Options {
    pub port: u16,
    pub ttl: f64,
    pub config: GatewayConfig,
    pub upstream: Option<String>,
    pub alg: String,
    /// A permissions document to read (and refresh) instead of the embedded one.
    pub permissions: Option<String>,
    /// Its refresh interval, seconds.
    pub permissions_max_age: f64,
    /// More settings for the authorizer (`--set`).
    pub settings: Vec<(String, String)>,
    pub cache_partitions: usize,
    /// Access log file.
    pub access_log: Option<String>,
    /// CloudWatch-style invocations file, written when the server stops.
    pub invocations_out: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            port: 8080,
            ttl: 300.0,
            config: GatewayConfig::default_api(),
            upstream: None,
            alg: "ES256".into(),
            permissions: None,
            permissions_max_age: 300.0,
            settings: Vec::new(),
            cache_partitions: 1,
            access_log: None,
            invocations_out: None,
        }
    }
}

/// A running server; dropping it stops accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    pub idp: Arc<Idp>,
    stop: watch::Sender<bool>,
    access_log: Option<Arc<access_log::Writer>>,
    invocations_out: Option<String>,
}

impl Running {
    /// Stops accepting, flushes the access log and writes the invocations file.
    pub fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(true);
        if let Some(log) = &self.access_log {
            log.flush();
            if let Some(path) = &self.invocations_out {
                std::fs::write(path, log.invocations_json())
                    .map_err(|e| format!("--invocations-out {path}: {e}"))?;
            }
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(log) = &self.access_log {
            log.flush();
        }
    }
}

/// The process's Prometheus recorder, installed on first use (before any
/// gateway registers its metrics).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = scopegate::telemetry::prometheus::recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; then ours just renders empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

struct StatusCounters([(u16, Counter); 7]);

impl StatusCounters {
    fn new() -> StatusCounters {
        metrics::describe_counter!(
            "scopegate_lab_requests_total",
            metrics::Unit::Count,
            "API requests by the status API Gateway answered"
        );
        let c = |s: &'static str| metrics::counter!("scopegate_lab_requests_total", "status" => s);
        StatusCounters([
            (200, c("200")),
            (401, c("401")),
            (403, c("403")),
            (404, c("404")),
            (500, c("500")),
            (502, c("502")),
            (400, c("400")),
        ])
    }

    fn count(&self, status: u16) {
        if let Some((_, c)) = self.0.iter().find(|(s, _)| *s == status) {
            c.increment(1);
        }
    }
}

struct Shared {
    gateway: Arc<Gateway>,
    idp: Arc<Idp>,
    base: String,
    upstream: Option<String>,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    statuses: StatusCounters,
    access_log: Option<Arc<access_log::Writer>>,
}

pub async fn start(options: Options) -> Result<Running, String> {
    prometheus();
    let mut identity = Identity::new(&options.alg)?;
    if let Some(source) = &options.permissions {
        identity = identity.with_permissions(source, options.permissions_max_age);
    }
    let settings: Vec<(&str, &str)> = options
        .settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let authorizer = identity.authorizer_with(&settings)?;
    let gateway = Arc::new(
        Gateway::new(options.config, authorizer, options.ttl)
            .with_cache_partitions(options.cache_partitions),
    );
    let access_log = match &options.access_log {
        Some(path) => Some(Arc::new(access_log::Writer::create(path)?)),
        None => None,
    };
    let idp = Arc::new(Idp { identity });
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        gateway: Arc::clone(&gateway),
        idp: Arc::clone(&idp),
        base: format!("http://{addr}"),
        upstream: options.upstream,
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http(),
        statuses: StatusCounters::new(),
        access_log: access_log.clone(),
    });
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stopped.changed() => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let shared = Arc::clone(&shared);
                    async move { Ok::<_, std::convert::Infallible>(handle(&shared, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Running {
        addr,
        gateway,
        idp,
        stop,
        access_log,
        invocations_out: options.invocations_out,
    })
}

/// Ctrl-C or SIGTERM (how a test or a supervisor stops `serve`).
async fn wait_for_stop() -> Result<(), String> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot wait for SIGTERM: {e}"))?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| format!("cannot wait for Ctrl-C: {e}")),
        _ = term.recv() => Ok(()),
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn respond(
    status: u16,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    // Identity sources may name query parameters.
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_string());
    // API requests are counted by status; /metrics and /idp are not API traffic.
    if path == "/metrics" {
        respond(200, "text/plain; version=0.0.4", prometheus().render())
    } else if path.starts_with("/idp/") {
        let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return respond(400, "application/json", r#"{"error":"invalid_request"}"#),
        };
        match shared.idp.handle(&method, &path, &body, &shared.base) {
            Some((status, ct, body)) => respond(status, ct, body),
            None => respond(404, "application/json", r#"{"message":"Not Found"}"#),
        }
    } else {
        let time = now();
        let handled = shared.gateway.handle_logged(
            &method,
            &path_and_query,
            |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()),
            time,
        );
        let (principal_id, invocation) = (handled.principal_id, handled.invocation);
        let response = match handled.reply {
            Reply::Answer { status, body } => respond(status, "application/json", body),
            Reply::Integrate {
                route,
                principal_id,
            } => match &shared.upstream {
                None => respond(
                    200,
                    "application/json",
                    serde_json::json!({
                        "message": "mock integration",
                        "route": route,
                        "principalId": principal_id,
                    })
                    .to_string(),
                ),
                Some(upstream) => proxy(shared, upstream, &method, &path).await,
            },
        };
        let status = response.status().as_u16();
        shared.statuses.count(status);
        if let Some(log) = &shared.access_log {
            log.write(&access_log::Entry {
                time,
                request_id: Counts::get(&shared.gateway.counts.requests),
                method: &method,
                path: &path,
                status,
                principal_id: principal_id.as_deref(),
                invocation,
            });
        }
        response
    }
}

/// HTTP proxy integration: the same method and path (without the stage) upstream.
async fn proxy(shared: &Shared, upstream: &str, method: &str, path: &str) -> Response<Full<Bytes>> {
    let resource = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .map_or("", |(_, rest)| rest);
    let failed = || {
        respond(
            502,
            "application/json",
            r#"{"message":"Internal server error"}"#,
        )
    };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(format!("{upstream}/{resource}"))
        .body(Full::new(Bytes::new()))
    else {
        return failed();
    };
    let Ok(r) = shared.client.request(request).await else {
        return failed();
    };
    let status = r.status().as_u16();
    match r.into_body().collect().await {
        Ok(body) => respond(status, "application/json", body.to_bytes()),
        Err(_) => failed(),
    }
}

pub fn main(args: ServeArgs) -> Result<(), String> {
    let options = args.resolve()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let (ttl, partitions) = (options.ttl, options.cache_partitions);
        let running = start(options).await?;
        let t = now().floor();
        let read = running.idp.identity.mint("alice", "pets.read", t, t + 3600.0)?;
        let base = format!("http://{}", running.addr);
        println!("scopegate-lab serve: API Gateway emulator on {base} (stage prod, authorizer cache TTL {ttl} s, {partitions} cache partition(s))");
        println!("  identity provider: {base}/idp/.well-known/openid-configuration");
        println!("  metrics:           {base}/metrics\n");
        println!("  # 200, a token with pets.read:");
        println!("  curl -i -H 'Authorization: Bearer {read}' {base}/prod/pets\n");
        println!("  # 403, the same token on a route it has no scope for:");
        println!("  curl -i -X DELETE -H 'Authorization: Bearer {read}' {base}/prod/pets/7\n");
        println!("  # a fresh token from the IdP:");
        println!("  curl -s -d 'user=bob&scope=pets.read pets.write&lifetime=600' {base}/idp/token");
        wait_for_stop().await?;
        running.stop()
    })
}
