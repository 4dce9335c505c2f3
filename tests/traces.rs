//! OpenTelemetry traces end to end: the Lambda [`Function`] exports each
//! invocation's spans over OTLP/HTTP to a real receiver on loopback
//! (`tests/support/otlp_receiver.py`, which decodes them with the official
//! `opentelemetry-proto` classes); the tests assert the span tree, names and
//! attributes of allow, deny, memo-hit and Unauthorized invocations.

mod support;

use scopegate::jose::Alg;
use scopegate::lambda::Function;
use scopegate::telemetry::Invocation;
use scopegate::testkit::mint::SigningKey;
use serde_json::Value;
use support::otlp::{OtlpReceiver, invocation_id, names, spans};
use support::tools::{self, PYTHON};
use support::*;

const TRACE_ID: &str = "5759e988bd862e3fe1be46a994272793";
const PARENT: &str = "53995c3f42cd8ad8";
const XRAY: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:authz-traces";

fn function(keys: &Keys, extra: &[(&str, &str)]) -> Function {
    function_from(&settings(keys, extra))
}

fn wall_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token valid now (the function reads the wall clock).
fn token(key: &SigningKey, scopes: &str) -> String {
    let now = wall_now();
    key.sign(&format!(
        r#"{{"iss":"{ISSUER}","sub":"00u-traces","aud":"{AUDIENCE}","exp":{},"iat":{now},"scp":{scopes}}}"#,
        now + 600
    ))
    .unwrap()
}

fn invoke(f: &Function, event: &str, request_id: &str, xray: Option<&str>) -> bool {
    invoke_function(
        f,
        event,
        &Invocation {
            request_id,
            xray_trace_id: xray,
            invoked_arn: Some(FUNCTION_ARN),
        },
    )
}

fn span<'a>(record: &'a Value, name: &str) -> &'a Value {
    spans(record)
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no span {name} in {record}"))
}

/// The root span of `record`, once its spans are `expected` (in order) and
/// form a tree: every span is in the root's trace, every child's parent is
/// the root (or `verify` for outbound calls) and lies within it in time.
fn tree<'r>(record: &'r Value, expected: &[&str]) -> &'r Value {
    assert_eq!(names(record), expected);
    let root = &spans(record)[0];
    assert_eq!(root["kind"], 2, "the invocation span is a server span");
    for s in &spans(record)[1..] {
        assert_eq!(s["trace_id"], root["trace_id"]);
        let parent = s["parent_span_id"].as_str().unwrap();
        let parent_span = spans(record)
            .iter()
            .find(|p| p["span_id"] == parent)
            .unwrap_or_else(|| panic!("{} has no parent in {record}", s["name"]));
        assert!(parent_span["name"] == root["name"] || parent_span["name"] == "scopegate.verify");
        assert!(s["start"].as_u64() >= root["start"].as_u64());
        assert!(s["end"].as_u64() <= root["end"].as_u64());
        assert!(s["start"].as_u64() <= s["end"].as_u64());
    }
    root
}

#[test]
fn allow_memo_hit_deny_and_unauthorized_invocations_export_their_span_trees() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let keys = Keys::load();
    let receiver = OtlpReceiver::start(None);
    let endpoint = receiver.endpoint();
    let f = function(
        &keys,
        &[
            ("SCOPEGATE_METRICS", "off"),
            ("SCOPEGATE_LOG_LEVEL", "off"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-key=k%3D1"),
            ("AWS_LAMBDA_FUNCTION_NAME", "authz-traces"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "7"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
            ("AWS_REGION", "eu-west-1"),
        ],
    );

    // Allow, under the X-Ray parent Lambda passes in.
    let allowed = token(&keys.es256, r#"["orders.read"]"#);
    assert!(invoke(&f, &token_event(&allowed), "req-allow", Some(XRAY)));
    let r = receiver.next();
    assert_eq!(r["path"], "/v1/traces");
    assert_eq!(r["headers"]["content-type"], "application/x-protobuf");
    assert_eq!(r["headers"]["x-collector-key"], "k=1");
    assert_eq!(r["resource"]["service.name"], "authz-traces");
    assert_eq!(r["resource"]["cloud.provider"], "aws");
    assert_eq!(r["resource"]["cloud.region"], "eu-west-1");
    assert_eq!(r["resource"]["faas.version"], "7");
    assert_eq!(r["resource"]["faas.max_memory"], 256 * 1024 * 1024);
    let root = tree(
        &r,
        &[
            "authz-traces",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.map",
        ],
    );
    assert_eq!(root["scope"], "scopegate");
    assert_eq!(root["trace_id"], TRACE_ID);
    assert_eq!(root["parent_span_id"], PARENT);
    assert_eq!(root["flags"], 0x301, "sampled, with a remote parent");
    let a = &root["attributes"];
    assert_eq!(a["faas.trigger"], "http");
    assert_eq!(a["faas.invocation_id"], "req-allow");
    assert_eq!(a["faas.coldstart"], true);
    assert_eq!(a["cloud.resource_id"], FUNCTION_ARN);
    assert_eq!(a["scopegate.decision"], "allow");
    assert_eq!(a["scopegate.reason"], "granted");
    assert_eq!(root["status"]["code"], 1);
    assert_eq!(
        span(&r, "scopegate.memo")["attributes"]["scopegate.cache_hit"],
        false
    );
    let verify = &span(&r, "scopegate.verify")["attributes"];
    assert_eq!(verify["scopegate.alg"], "ES256");
    assert_eq!(verify["scopegate.kid"], "ec-256");
    assert_eq!(
        span(&r, "scopegate.map")["attributes"]["scopegate.cache_hit"],
        false
    );
    // No token fragment travels in a span.
    let signature = allowed.rsplit('.').next().unwrap();
    let payload = allowed.split('.').nth(1).unwrap();
    let text = r.to_string();
    assert!(!text.contains(signature) && !text.contains(payload));

    // The same token again: the memo answers, nothing is verified.
    assert!(invoke(&f, &token_event(&allowed), "req-hit", None));
    let r = receiver.next();
    let root = tree(&r, &["authz-traces", "scopegate.extract", "scopegate.memo"]);
    assert_eq!(root["parent_span_id"], "", "no caller: a new trace");
    assert_ne!(root["trace_id"], TRACE_ID);
    assert_eq!(root["attributes"]["faas.coldstart"], false);
    assert_eq!(
        span(&r, "scopegate.memo")["attributes"]["scopegate.cache_hit"],
        true
    );

    // Deny: verified, and its scopes grant no route.
    let denied = token(&keys.es256, r#"["profile"]"#);
    assert!(invoke(&f, &token_event(&denied), "req-deny", Some(XRAY)));
    let r = receiver.next();
    let root = tree(
        &r,
        &[
            "authz-traces",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.map",
        ],
    );
    assert_eq!(root["attributes"]["scopegate.decision"], "deny");
    assert_eq!(root["attributes"]["scopegate.reason"], "no_grant");
    assert_eq!(root["status"]["code"], 1);

    // Unauthorized at verify: a trusted kid, an attacker's signature.
    let forged = token(&keys.rogue_es256, r#"["orders.read"]"#);
    assert!(!invoke(&f, &token_event(&forged), "req-forged", Some(XRAY)));
    let r = receiver.next();
    let root = tree(
        &r,
        &[
            "authz-traces",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
        ],
    );
    assert_eq!(root["attributes"]["scopegate.decision"], "unauthorized");
    assert_eq!(root["attributes"]["scopegate.reason"], "bad_signature");
    assert_eq!(
        root["status"],
        serde_json::json!({"code": 2, "message": "bad_signature"})
    );
    let verify = span(&r, "scopegate.verify");
    assert_eq!(
        verify["status"],
        serde_json::json!({"code": 2, "message": "bad_signature"})
    );
    assert_eq!(verify["attributes"]["scopegate.kid"], "ec-256");
    assert_eq!(verify["attributes"]["scopegate.reason"], "bad_signature");

    // Unauthorized at extract: no token at all.
    assert!(!invoke(&f, &raw_token_event(""), "req-empty", None));
    let r = receiver.next();
    tree(&r, &["authz-traces", "scopegate.extract"]);
    let extract = span(&r, "scopegate.extract");
    assert_eq!(extract["status"]["code"], 2);
    assert_eq!(
        extract["attributes"]["scopegate.reason"],
        spans(&r)[0]["attributes"]["scopegate.reason"]
    );

    // A caller that did not sample: nothing is exported for it, so the next
    // export the receiver gets is the sampled invocation that follows.
    let unsampled = XRAY.replace("Sampled=1", "Sampled=0");
    assert!(invoke(
        &f,
        &token_event(&allowed),
        "req-unsampled",
        Some(&unsampled)
    ));
    assert!(invoke(&f, &token_event(&allowed), "req-after", Some(XRAY)));
    assert_eq!(invocation_id(&receiver.next()), "req-after");
}

#[test]
fn a_jwks_fetch_on_an_unknown_kid_is_a_client_span_under_verify() {
    if !tools::have(&[PYTHON]) {
        return;
    }
    let keys = Keys::load();
    let receiver = OtlpReceiver::start(Some(&keys.jwks()));
    let base = receiver.endpoint();
    let f = function(
        &keys,
        &[
            ("SCOPEGATE_JWKS", &format!("{base}/jwks")),
            ("SCOPEGATE_JWKS_COOLDOWN_SECONDS", "0"),
            ("SCOPEGATE_METRICS", "off"),
            ("SCOPEGATE_LOG_LEVEL", "off"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                &format!("{base}/v1/traces"),
            ),
        ],
    );
    // The prefetch at init belongs to no invocation: the first export the
    // receiver gets is the invocation's (checked below).
    let rotated = SigningKey::generate("rotated-kid", Alg::ES256).unwrap();
    assert!(!invoke(
        &f,
        &token_event(&token(&rotated, r#"["orders.read"]"#)),
        "req-rotated",
        Some(XRAY)
    ));
    let r = receiver.next();
    assert_eq!(invocation_id(&r), "req-rotated");
    tree(
        &r,
        &[
            "scopegate",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.jwks_fetch",
        ],
    );
    let verify = span(&r, "scopegate.verify");
    assert_eq!(verify["attributes"]["scopegate.reason"], "unknown_kid");
    assert_eq!(verify["attributes"]["scopegate.kid"], "rotated-kid");
    let fetch = span(&r, "scopegate.jwks_fetch");
    assert_eq!(fetch["kind"], 3, "a client span");
    assert_eq!(fetch["parent_span_id"], verify["span_id"]);
    assert_eq!(fetch["attributes"]["scopegate.result"], "ok");
}
