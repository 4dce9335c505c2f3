//! The SAM template and the dashboards, checked against what really exists:
//! cfn-lint on the template and on its CloudFormation translation, broken
//! templates caught, the dashboards built by grafana-foundation-sdk, and
//! every metric a CloudWatch dashboard reads present in the EMF a replay
//! writes, with the same dimensions, label values and units.

mod support;

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::doc_server::DocServer;
use support::tools::{self, PYTHON};
use support::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python(args: &[&str]) -> Output {
    let python = tool("SCOPEGATE_TEST_PYTHON");
    Command::new(python)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run the test python")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scopegate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_template_and_its_translation_pass_cfn_lint() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let out = python(&["tests/support/lint_template.py", "deploy/template.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    for kind in [
        "AWS::Lambda::Function",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGatewayV2::Api",
        "AWS::CloudWatch::Dashboard",
        "AWS::Logs::LogGroup",
    ] {
        assert!(report.contains(kind), "{kind} missing: {report}");
    }
}

#[test]
fn broken_templates_are_caught() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let template = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    let dir = temp_dir("broken-templates");
    let cases = [
        (
            "ttl-7200",
            template.replacen(
                "ReauthorizeEvery: !Ref AuthorizerResultTtl",
                "ReauthorizeEvery: 7200",
                1,
            ),
            "authorizerResultTtlInSeconds 7200",
        ),
        (
            "runtime",
            template.replace("Runtime: provided.al2023", "Runtime: provided.al3"),
            "provided.al3",
        ),
        (
            "ttl-parameter",
            template.replace("    MaxValue: 3600\n", "    MaxValue: 7200\n"),
            "not bounded to 0..3600",
        ),
    ];
    for (name, broken, expected) in cases {
        assert_ne!(broken, template, "{name}: the edit applied");
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, broken).unwrap();
        let out = python(&["tests/support/lint_template.py", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{name} passed the lint");
        assert!(text(&out).contains(expected), "{name}: {}", text(&out));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_template_embeds_the_committed_cloudwatch_dashboard() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let out = python(&["scripts/sync-dashboard.py", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_grafana_dashboards_are_what_the_sdk_builds() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let out = python(&["dashboards/grafana.py", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// What the EMF of a replay contains: metric name → (dimension key sets,
/// label values seen, unit).
#[derive(Default, Debug)]
struct Emitted {
    dimensions: BTreeSet<Vec<String>>,
    values: BTreeSet<(String, String)>,
    unit: String,
}

/// The EMF of a replay whose events drive every counter a dashboard reads
/// but one ([`NOT_IN_A_REPLAY`]): the permissions come from a URL (a
/// fetch), one scope grants more than `SCOPEGATE_POLICY_MAX_BYTES` allows
/// (the every-scope policy over the budget at start, and one token answered
/// per route), and one token's `scope` claim is a number; and a replay
/// through a Cedar store with an inexact grant ([`cedar_store_emf`]).
fn replay_emf() -> (String, HashMap<String, Emitted>) {
    let keys = Keys::load();
    let dir = temp_dir("dashboard-emf");
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    let mut rules: Vec<Value> = serde_json::from_str(&permissions()).unwrap();
    for i in 0..40 {
        rules.push(serde_json::json!({
            "arn": ARN, "stage": "prod", "httpVerb": "GET", "scope": "reports.all",
            "resource": format!("reports/quarterly/region-{i:02}/summaries/*/details"),
        }));
    }
    let server = DocServer::start();
    server.set("/permissions.json", &Value::from(rules).to_string(), None);
    let token = |scopes: &str| {
        keys.rs256
            .sign(
                &payload(&format!(r#","scope":"{scopes}""#))
                    .replace(r#""scp":["orders.read"],"#, ""),
            )
            .unwrap()
    };
    let allow = token("orders.read");
    let wrong_type = keys
        .rs256
        .sign(&payload(r#","scope":5"#).replace(r#""scp":["orders.read"],"#, ""))
        .unwrap();
    let events = [
        token_event(&allow),
        token_event(&allow),
        token_event(&token("profile")),
        token_event(&token("reports.all")),
        token_event(&wrong_type),
        token_event("not.a.token"),
        raw_token_event("Basic abc"),
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n") + "\n").unwrap();
    let emf = dir.join("emf.jsonl");
    let out = replay_command()
        .args(["--jwks-file", dir.join("jwks.json").to_str().unwrap()])
        .args(["--permissions", &server.url("/permissions.json")])
        .args(["--set", "SCOPEGATE_POLICY_MAX_BYTES=2048"])
        .args(["--set", "POWERTOOLS_METRICS_NAMESPACE=scopegate"])
        .args(["--set", "AWS_LAMBDA_FUNCTION_NAME=scopegate-authorizer"])
        .args([
            "--emf",
            emf.to_str().unwrap(),
            "--out",
            dir.join("out.jsonl").to_str().unwrap(),
        ])
        .arg(dir.join("events.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut docs = std::fs::read_to_string(&emf).unwrap();
    docs.push_str(&cedar_store_emf(&keys, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    let mut emitted: HashMap<String, Emitted> = HashMap::new();
    let mut namespace = String::new();
    for line in docs.lines() {
        let doc: Value = serde_json::from_str(line).unwrap();
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        namespace = directive["Namespace"].as_str().unwrap().to_string();
        let dims: Vec<String> = directive["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        for m in directive["Metrics"].as_array().unwrap() {
            let e = emitted
                .entry(m["Name"].as_str().unwrap().to_string())
                .or_default();
            e.unit = m["Unit"].as_str().unwrap().to_string();
            let mut sorted = dims.clone();
            sorted.sort();
            e.dimensions.insert(sorted);
            for d in &dims {
                e.values
                    .insert((d.clone(), doc[d].as_str().unwrap().to_string()));
            }
        }
    }
    (namespace, emitted)
}

/// The EMF of a replay through a Cedar store whose one group is granted a
/// `{proxy+}` beside an ungranted `{id}` route: no complete policy is
/// exact, so its token is answered per route (`scopegate_policy_inexact_total`).
fn cedar_store_emf(keys: &Keys, dir: &Path) -> String {
    let api = format!("{ARN}/prod");
    let action = r#"{"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}}"#;
    std::fs::write(
        dir.join("schema.json"),
        format!(
            r#"{{"A": {{"entityTypes": {{"G": {{}}, "U": {{"memberOfTypes": ["G"]}}, "R": {{}}}},
                "actions": {{"get /{{proxy+}}": {action}, "get /pets/{{id}}": {action}}}}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("store.cedar"),
        r#"permit(principal in A::G::"orders.read", action == A::Action::"get /{proxy+}", resource);"#,
    )
    .unwrap();
    let token = keys.rs256.sign(&payload("")).unwrap();
    let event = token_event(&token).replace(
        &format!("{ARN}/prod/GET/orders"),
        &format!("{api}/GET/toys"),
    );
    std::fs::write(dir.join("cedar-events.jsonl"), event + "\n").unwrap();
    let emf = dir.join("cedar-emf.jsonl");
    let out = replay_command()
        .args(["--jwks-file", dir.join("jwks.json").to_str().unwrap()])
        .args(["--permissions", dir.join("store.cedar").to_str().unwrap()])
        .args([
            "--set",
            &format!(
                "SCOPEGATE_CEDAR_SCHEMA={}",
                dir.join("schema.json").display()
            ),
        ])
        .args(["--set", &format!("SCOPEGATE_CEDAR_API={api}")])
        .args(["--set", "POWERTOOLS_METRICS_NAMESPACE=scopegate"])
        .args(["--set", "AWS_LAMBDA_FUNCTION_NAME=scopegate-authorizer"])
        .args(["--emf", emf.to_str().unwrap()])
        .args(["--out", dir.join("cedar-out.jsonl").to_str().unwrap()])
        .arg(dir.join("cedar-events.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let answer = std::fs::read_to_string(dir.join("cedar-out.jsonl")).unwrap();
    assert!(
        answer.contains(&format!("{api}/GET/toys")),
        "answered per route: {answer}"
    );
    std::fs::read_to_string(&emf).unwrap()
}

/// A dashboard's reference to a metric: name, dimension → value ("*" any).
#[derive(Debug)]
struct Reference {
    metric: String,
    dimensions: Vec<(String, String)>,
}

fn cloudwatch_references(body: &Value) -> Vec<Reference> {
    let mut refs = Vec::new();
    for w in body["widgets"].as_array().unwrap() {
        let Some(metrics) = w["properties"]["metrics"].as_array() else {
            continue;
        };
        for row in metrics {
            let row = row.as_array().unwrap();
            if let Some(expr) = row[0].get("expression").and_then(Value::as_str) {
                if let Some(start) = expr.find("SEARCH('{") {
                    let inner = expr[start + 9..]
                        .strip_prefix("${Namespace},")
                        .expect("SEARCH schema starts with the namespace parameter");
                    let (schema, rest) = inner.split_once('}').unwrap();
                    let keys: Vec<&str> = schema.split(',').collect();
                    let name = rest
                        .split("MetricName=\"")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap();
                    let dims = keys
                        .iter()
                        .map(|k| {
                            let value = rest
                                .split(&format!("{k}=\""))
                                .nth(1)
                                .map_or("*", |v| v.split('"').next().unwrap());
                            (k.to_string(), value.to_string())
                        })
                        .collect();
                    refs.push(Reference {
                        metric: name.to_string(),
                        dimensions: dims,
                    });
                }
                continue;
            }
            assert_eq!(
                row[0], "${Namespace}",
                "namespace is the template parameter"
            );
            let strings: Vec<&str> = row.iter().filter_map(Value::as_str).collect();
            let dims = strings[2..]
                .chunks(2)
                .map(|p| (p[0].to_string(), p[1].to_string()))
                .collect();
            refs.push(Reference {
                metric: strings[1].to_string(),
                dimensions: dims,
            });
        }
    }
    refs
}

fn grafana_references(body: &Value) -> Vec<Reference> {
    let mut refs = Vec::new();
    for panel in body["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            assert_eq!(t["namespace"], "$namespace");
            let dims = t["dimensions"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            refs.push(Reference {
                metric: t["metricName"].as_str().unwrap().to_string(),
                dimensions: dims,
            });
        }
    }
    refs
}

/// Counters a dashboard reads that no replay can drive, and why: each is
/// still a metric the code records.
const NOT_IN_A_REPLAY: [(&str, &str); 1] = [(
    "scopegate_jwks_keys_retired_total",
    "counted when a refreshed key set drops a key, which takes a JWKS that changes while the function runs",
)];

fn assert_emitted(dashboard: &str, refs: &[Reference], emitted: &HashMap<String, Emitted>) {
    assert!(
        refs.len() >= 10,
        "{dashboard}: only {} references",
        refs.len()
    );
    let recorded = recorded_metrics();
    for r in refs {
        if NOT_IN_A_REPLAY.iter().any(|(name, _)| *name == r.metric) {
            assert!(
                recorded.contains(&r.metric),
                "{dashboard}: {} is recorded nowhere",
                r.metric
            );
            continue;
        }
        let e = emitted
            .get(&r.metric)
            .unwrap_or_else(|| panic!("{dashboard}: {} is not in the EMF output", r.metric));
        let mut keys: Vec<String> = r.dimensions.iter().map(|(k, _)| k.clone()).collect();
        keys.sort();
        assert!(
            e.dimensions.contains(&keys),
            "{dashboard}: {} with dimensions {keys:?}; EMF has {:?}",
            r.metric,
            e.dimensions
        );
        for (k, v) in &r.dimensions {
            let literal = !v.starts_with('$') && v != "*";
            if literal {
                assert!(
                    e.values.contains(&(k.clone(), v.clone())),
                    "{dashboard}: {} {k}={v} never emitted",
                    r.metric
                );
            }
        }
        let unit = if r.metric.ends_with("_seconds") {
            "Seconds"
        } else {
            "Count"
        };
        assert_eq!(e.unit, unit, "{dashboard}: unit of {}", r.metric);
    }
}

#[test]
fn every_dashboard_metric_is_in_the_emf_a_replay_writes() {
    let (namespace, emitted) = replay_emf();
    // The template's default namespace and the Grafana dashboard's default are the EMF's.
    let template = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    assert!(template.contains(&format!(
        "  MetricsNamespace:\n    Type: String\n    Default: {namespace}\n"
    )));
    let cloudwatch: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("dashboards/cloudwatch.json")).unwrap(),
    )
    .unwrap();
    assert_emitted(
        "cloudwatch.json",
        &cloudwatch_references(&cloudwatch),
        &emitted,
    );
    let grafana: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("dashboards/grafana-cloudwatch.json")).unwrap(),
    )
    .unwrap();
    let ns_default = grafana["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "namespace")
        .unwrap()["query"]
        .clone();
    assert_eq!(ns_default, namespace.as_str());
    assert_emitted(
        "grafana-cloudwatch.json",
        &grafana_references(&grafana),
        &emitted,
    );
}
