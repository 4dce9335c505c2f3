use super::*;
use crate::jose::Alg;
use crate::outcome::{Decision, Observer, Reject};
use std::collections::HashMap;

const HEADER: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn tracer() -> Tracer {
    let env: HashMap<&str, &str> = [
        (crate::config::ENV_OTLP_ENDPOINT, "http://127.0.0.1:9"),
        ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
    ]
    .into_iter()
    .collect();
    Tracer::new(
        crate::config::telemetry::traces(&env).unwrap().unwrap(),
        &crate::net::http::Client::new(1000, 150_000),
    )
}

fn finished(clock: &StageClock, outcome: Outcome) -> Finished<'_> {
    Finished {
        clock,
        calls: &[],
        request_id: "req-1",
        invoked_arn: Some("arn:aws:lambda:us-east-1:123456789012:function:authz"),
        cold_start: true,
        outcome,
    }
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_ref()).collect()
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[test]
fn an_xray_header_gives_the_trace_id_parent_and_decision() {
    let p = parse_xray(HEADER).unwrap();
    assert_eq!(
        p.trace_id,
        hex::<16>("5759e988bd862e3fe1be46a994272793").unwrap()
    );
    assert_eq!(p.span_id, hex::<8>("53995c3f42cd8ad8"));
    assert_eq!(p.sampled, Some(true));
    let p = parse_xray("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Lineage=a:1").unwrap();
    assert_eq!((p.span_id, p.sampled), (None, None));
    for bad in [
        "",
        "Parent=53995c3f42cd8ad8",
        "Root=2-5759e988-bd862e3fe1be46a994272793",
        "Root=1-5759e988-bd862e3fe1be46a99427279",
        "Root=1-5759e988-bd862e3fe1be46a99427279g",
        "Root=1-00000000-000000000000000000000000",
        "Root",
    ] {
        assert_eq!(parse_xray(bad), None, "{bad}");
    }
}

#[test]
fn an_unsampled_caller_is_not_traced_and_a_new_trace_carries_the_time() {
    let t = tracer();
    assert!(
        t.start(Some(&HEADER.replace("Sampled=1", "Sampled=0")))
            .is_none()
    );
    let started = t.start(None).unwrap();
    let secs = u32::from_be_bytes(started.trace_id[..4].try_into().unwrap());
    let now = unix_nanos() / 1_000_000_000;
    assert!(u64::from(secs).abs_diff(now) < 5);
}

#[test]
fn a_verified_token_has_extract_memo_verify_and_map_under_the_invocation() {
    let t = tracer();
    let started = t.start(Some(HEADER)).unwrap();
    let mut clock = StageClock::detailed();
    clock.extracted();
    clock.memo_looked_up(false);
    clock.header(Alg::RS256, "key-1");
    clock.verified(0);
    clock.mapped(true);
    clock.stop();
    let spans = t.spans(
        &started,
        &finished(&clock, Outcome::Decided(Decision::Allow)),
    );
    assert_eq!(
        names(&spans),
        [
            "authz",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.map"
        ]
    );
    let root = &spans[0];
    let ids: std::collections::HashSet<_> = spans.iter().map(|s| s.span_id).collect();
    assert_eq!(ids.len(), spans.len(), "span ids are distinct");
    assert!(!ids.contains(&[0; 8]));
    assert_eq!(root.parent_span_id, hex::<8>("53995c3f42cd8ad8"));
    assert_eq!(root.kind, Kind::Server);
    assert_eq!(root.flags, SAMPLED | HAS_IS_REMOTE | IS_REMOTE);
    assert_eq!(attr(root, "faas.coldstart"), Some(&Value::Bool(true)));
    assert_eq!(
        attr(root, "scopegate.reason"),
        Some(&Value::Static("granted"))
    );
    for child in &spans[1..] {
        assert_eq!(child.parent_span_id, Some(root.span_id));
        assert_eq!(child.trace_id, root.trace_id);
        assert!(child.start_unix_ns >= root.start_unix_ns && child.end_unix_ns <= root.end_unix_ns);
    }
    assert_eq!(
        attr(&spans[3], "scopegate.kid"),
        Some(&Value::Str("key-1".into()))
    );
    assert_eq!(
        attr(&spans[3], "scopegate.alg"),
        Some(&Value::Static("RS256"))
    );
    assert_eq!(
        attr(&spans[4], "scopegate.cache_hit"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn a_refusal_marks_the_stage_that_refused() {
    let t = tracer();
    let started = t.start(None).unwrap();
    let mut clock = StageClock::detailed();
    clock.stop();
    let spans = t.spans(
        &started,
        &finished(&clock, Outcome::Unauthorized(Reject::Malformed)),
    );
    assert_eq!(names(&spans), ["authz", "scopegate.extract"]);
    assert_eq!(spans[0].parent_span_id, None);
    assert_eq!(
        (spans[1].status, spans[1].status_message),
        (Code::Error, "malformed")
    );

    let mut clock = StageClock::detailed();
    clock.extracted();
    clock.memo_looked_up(false);
    clock.header(Alg::ES256, "ec");
    clock.stop();
    let calls = [Call {
        kind: CallKind::JwksFetch,
        started: clock.started_at(),
        ended: clock.started_at(),
        result: "ok",
    }];
    let done = Finished {
        calls: &calls,
        ..finished(&clock, Outcome::Unauthorized(Reject::BadSignature))
    };
    let spans = t.spans(&started, &done);
    assert_eq!(
        names(&spans),
        [
            "authz",
            "scopegate.extract",
            "scopegate.memo",
            "scopegate.verify",
            "scopegate.jwks_fetch"
        ]
    );
    assert_eq!(spans[0].status, Code::Error);
    assert_eq!(
        attr(&spans[3], "scopegate.reason"),
        Some(&Value::Static("bad_signature"))
    );
    assert_eq!(spans[4].parent_span_id, Some(spans[3].span_id));
    assert_eq!(spans[4].kind, Kind::Client);
}

#[test]
fn a_memo_hit_has_no_verify_span() {
    let t = tracer();
    let started = t.start(None).unwrap();
    let mut clock = StageClock::detailed();
    clock.extracted();
    clock.memo_looked_up(true);
    clock.stop();
    let spans = t.spans(
        &started,
        &finished(&clock, Outcome::Decided(Decision::Allow)),
    );
    assert_eq!(
        names(&spans),
        ["authz", "scopegate.extract", "scopegate.memo"]
    );
    assert_eq!(
        attr(&spans[2], "scopegate.cache_hit"),
        Some(&Value::Bool(true))
    );
}
