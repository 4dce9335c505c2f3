//! The lab over real sockets: `serve` with its IdP and `/metrics`, `live`
//! against `sweep`, and a real Prometheus scraping the emulator while live
//! traffic runs, with every panel query of the Grafana dashboard asked of it.

#[path = "../../tests/support/tools.rs"]
mod tools;

#[path = "../../tests/support/ports.rs"]
#[allow(dead_code)] // wait_for_port: this file waits on its own terms
mod ports;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use ports::free_port;
use scopegate_lab::live::{self, Plan};
use scopegate_lab::scenario::Scenario;
use scopegate_lab::serve::{self, Options};
use scopegate_lab::traffic::{Event, Traffic};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

/// `Bearer` and a token the server's own IdP mints for `user` with
/// `scope`, valid from ten seconds ago for an hour.
fn bearer(running: &serve::Running, user: &str, scope: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        .floor();
    let token = running.idp.identity.mint(user, scope, t - 10.0, t + 3600.0);
    format!("Bearer {}", token.unwrap())
}

fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

async fn send(
    c: &Client,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = c
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn serve_answers_over_http_with_its_idp_and_metrics() {
    if !tools::have(&[tools::PROMTOOL]) {
        return;
    }
    runtime().block_on(async {
        let running = serve::start(Options {
            port: 0,
            ttl: 60.0,
            ..Options::default()
        })
        .await
        .unwrap();
        let base = format!("http://{}", running.addr);
        let c = client();
        let (s, discovery) = send(
            &c,
            "GET",
            &format!("{base}/idp/.well-known/openid-configuration"),
            None,
            "",
        )
        .await;
        assert_eq!(s, 200);
        assert!(discovery.contains(&format!("{base}/idp/jwks")));
        let (s, token) = send(
            &c,
            "POST",
            &format!("{base}/idp/token"),
            None,
            "user=carol&scope=pets.read&lifetime=120",
        )
        .await;
        assert_eq!(s, 200);
        let token: serde_json::Value = serde_json::from_str(&token).unwrap();
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
        let (s, body) = send(&c, "GET", &format!("{base}/prod/pets/9"), Some(&bearer), "").await;
        assert_eq!(
            (s, body.contains(r#""principalId":"carol""#)),
            (200, true),
            "{body}"
        );
        assert_eq!(
            send(&c, "POST", &format!("{base}/prod/pets"), Some(&bearer), "").await,
            (
                403,
                r#"{"Message":"User is not authorized to access this resource"}"#.into()
            )
        );
        assert_eq!(
            send(&c, "GET", &format!("{base}/prod/pets"), None, "").await,
            (401, r#"{"message":"Unauthorized"}"#.into())
        );
        let (_, metrics) = send(&c, "GET", &format!("{base}/metrics"), None, "").await;
        assert!(
            metrics.contains("scopegate_lab_authorizer_invocations_total 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("scopegate_lab_authorizer_cache_total{result=\"hit\"} 1"),
            "{metrics}"
        );
        let path =
            std::env::temp_dir().join(format!("scopegate-lab-metrics-{}.prom", std::process::id()));
        std::fs::write(&path, &metrics).unwrap();
        let check = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(&path).unwrap())
            .output()
            .expect("promtool on PATH (scripts/test-deps.sh installs Debian's prometheus)");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let _ = std::fs::remove_file(&path);
    });
}

#[test]
fn live_agrees_with_sweep_on_a_short_scenario() {
    let plan = Plan {
        scenario: live::scale(&Scenario::default_scenario(), 200.0, 3.0),
        ttls: vec![0.0, 1.0, 5.0],
    };
    let rows = live::run(&plan).unwrap();
    for r in &rows {
        assert!(r.requests > 400, "{r:?}");
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.agrees(), "model and measurement disagree: {r:?}");
    }
    assert_eq!(
        rows[0].invocations, rows[0].requests,
        "TTL 0 invokes every time"
    );
    assert!(rows[2].hit_ratio > rows[1].hit_ratio);
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn prometheus_query(c: &Client, port: u16, expr: &str) -> serde_json::Value {
    let uri = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}",
        expr.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    let (status, body) = send(c, "GET", &uri, None, "").await;
    assert_eq!(status, 200, "{expr}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn every_grafana_prometheus_panel_returns_data_from_a_real_prometheus() {
    if !tools::have(&[tools::PROMETHEUS, tools::PROMTOOL]) {
        return;
    }
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../dashboards/grafana-prometheus.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| {
            t["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "30s")
        })
        .collect();
    assert!(queries.len() >= 10);
    runtime().block_on(async {
        let running = serve::start(Options { port: 0, ttl: 2.0, ..Options::default() }).await.unwrap();
        let dir = std::env::temp_dir().join(format!("scopegate-prometheus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: scopegate-lab\n    static_configs:\n      - targets: ['{}']\n",
                running.addr
            ),
        )
        .unwrap();
        let port = free_port();
        let _prometheus = Killed(
            Command::new("prometheus")
                .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
                .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("prometheus on PATH (scripts/test-deps.sh installs Debian's prometheus)"),
        );
        let c = client();
        // Live traffic for 8 s at 60 req/s, plus requests that API Gateway
        // refuses before invoking and tokens that get a deny.
        let scenario = live::scale(&Scenario::default_scenario(), 60.0, 8.0);
        let events: Vec<Event> = Traffic::new(&scenario).collect();
        let base = format!("http://{}", running.addr);
        let driver = live::drive(&base, &running.idp.identity, &scenario, &events);
        let extra = async {
            let deny = bearer(&running, "dan", "profile");
            for _ in 0..16 {
                send(&c, "GET", &format!("{base}/prod/pets"), None, "").await;
                send(&c, "GET", &format!("{base}/prod/pets"), Some(&deny), "").await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        let (driven, ()) = tokio::join!(driver, extra);
        assert_eq!(driven.unwrap().errors, 0);
        tokio::time::sleep(Duration::from_secs(3)).await;
        // Prometheus is up and has scraped the emulator.
        let up = prometheus_query(&c, port, "up").await;
        assert_eq!(up["data"]["result"][0]["value"][1], "1", "{up}");
        for q in &queries {
            let r = prometheus_query(&c, port, q).await;
            assert_eq!(r["status"], "success", "{q}: {r}");
            let result = r["data"]["result"].as_array().unwrap();
            assert!(!result.is_empty(), "empty panel: {q}");
            assert!(
                result.iter().any(|s| s["value"][1].as_str().is_some_and(|v| v != "NaN")),
                "no value in panel: {q}: {r}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
        let _ = Empty::<Bytes>::new();
    });
}

/// A one-document HTTP server on loopback whose body the test replaces.
fn document_server(body: std::sync::Arc<std::sync::Mutex<String>>) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let doc = body.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{doc}",
                doc.len()
            );
        }
    });
    port
}

#[test]
fn serve_follows_a_permissions_document_replaced_while_it_runs() {
    use scopegate_lab::identity;
    let document = std::sync::Arc::new(std::sync::Mutex::new(identity::permissions()));
    let port = document_server(std::sync::Arc::clone(&document));
    runtime().block_on(async {
        let running = serve::start(Options {
            port: 0,
            ttl: 0.0,
            permissions: Some(format!("http://127.0.0.1:{port}/permissions.json")),
            permissions_max_age: 1.0,
            ..Options::default()
        })
        .await
        .unwrap();
        let base = format!("http://{}", running.addr);
        let c = client();
        let bearer = bearer(&running, "alice", "pets.read");
        let (s, _) = send(&c, "GET", &format!("{base}/prod/pets/9"), Some(&bearer), "").await;
        assert_eq!(s, 200);
        // pets.read now grants reports only: within a few refreshes the
        // emulator's answers follow (bounded wait, no timing asserted).
        *document.lock().unwrap() =
            identity::permissions().replace(r#""scope":"pets.read""#, r#""scope":"nobody""#);
        let mut status = 200;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            status = send(&c, "GET", &format!("{base}/prod/pets/9"), Some(&bearer), "")
                .await
                .0;
            if status == 403 {
                break;
            }
        }
        assert_eq!(status, 403, "the refreshed document took over");
        let (_, metrics) = send(&c, "GET", &format!("{base}/metrics"), None, "").await;
        assert!(
            metrics.contains("scopegate_permissions_fetches_total{result=\"ok\"}"),
            "{metrics}"
        );
    });
}

/// A Cedar policy store served through the emulated gateway: its settings
/// given as `--set` would give them, the lab's scopes as its groups, its
/// answers applied by the gateway on the routes of the lab's API.
#[test]
fn serve_authorizes_from_a_cedar_store() {
    use scopegate_lab::gateway::Counts;
    use scopegate_lab::identity::API_ARN;
    let dir = std::env::temp_dir().join(format!("lab-cedar-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    let action = r#"{"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Application"]}}"#;
    std::fs::write(
        dir.join("schema.json"),
        format!(
            r#"{{"Pets": {{"entityTypes": {{"UserGroup": {{}}, "User": {{"memberOfTypes": ["UserGroup"]}}, "Application": {{}}}},
                "actions": {{"get /pets": {action}, "post /pets": {action}, "get /pets/{{id}}": {action}, "get /reports": {action}}}}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("policies/readers.cedar"),
        r#"permit(principal in Pets::UserGroup::"pets.read", action in [Pets::Action::"get /pets", Pets::Action::"get /pets/{id}"], resource);"#,
    )
    .unwrap();
    runtime().block_on(async {
        let running = serve::start(Options {
            port: 0,
            ttl: 300.0,
            permissions: Some(dir.join("policies").display().to_string()),
            settings: vec![
                (
                    "SCOPEGATE_CEDAR_SCHEMA".into(),
                    dir.join("schema.json").display().to_string(),
                ),
                ("SCOPEGATE_CEDAR_API".into(), format!("{API_ARN}/prod")),
            ],
            ..Options::default()
        })
        .await
        .unwrap();
        let base = format!("http://{}", running.addr);
        let c = client();
        let bearer = bearer(&running, "alice", "pets.read");
        // One cached answer (TTL 300 s, keyed by the token) on every route.
        let mut statuses = Vec::new();
        for (method, path) in [
            ("GET", "/prod/pets/9"),
            ("GET", "/prod/pets"),
            ("POST", "/prod/pets"),
            ("GET", "/prod/reports"),
        ] {
            statuses.push(
                send(&c, method, &format!("{base}{path}"), Some(&bearer), "")
                    .await
                    .0,
            );
        }
        assert_eq!(statuses, [200, 200, 403, 403]);
        let counts = &running.gateway.counts;
        assert_eq!(Counts::get(&counts.invocations), 1);
        assert_eq!(Counts::get(&counts.cache_hits), 3);
        // A misspelt setting stops the start, naming the closest one.
        let refused = serve::start(Options {
            port: 0,
            settings: vec![("SCOPEGATE_CEDAR_SCHEME".into(), "x".into())],
            ..Options::default()
        })
        .await
        .err()
        .unwrap();
        assert!(refused.contains("SCOPEGATE_CEDAR_SCHEMA"), "{refused}");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
