//! The release bootstrap under the official AWS Lambda Runtime Interface
//! Emulator (aws-lambda-rie, from the aws-sam-cli wheel), as it runs on
//! `provided.al2023`: Allow, Deny and the exact 401 error shape; a bad
//! configuration failing INIT with the variable named; EMF documents on
//! stdout that validate against AWS's schema; and, with aggregated EMF (the
//! default), the buffered values flushed when the emulator relays SIGTERM.

mod support;

use serde_json::Value;
use support::emulator::bootstrap;
use support::rie::Rie;
use support::tools::{self, EMF_SCHEMA, PYTHON, RIE};
use support::*;

fn function_env(keys: &Keys, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = settings(keys, extra).into_iter().collect();
    env.push(("SCOPEGATE_METRICS_NAMESPACE".into(), "scopegate-rie".into()));
    env
}

/// A token valid now on the real clock (the function reads the time itself).
fn token(keys: &Keys, scopes: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    keys.es256
        .sign(&format!(
            r#"{{"iss":"{ISSUER}","sub":"00u1abcd","aud":"{AUDIENCE}","exp":{},"iat":{},"scp":{scopes}}}"#,
            now + 3600,
            now - 10
        ))
        .unwrap()
}

fn json_lines(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// WebSocket `$connect` (issue 21): a `routeKey` rule grants
/// `arn/stage/$connect`, the method ARN API Gateway evaluates; the token
/// comes from the query string; a repeated parameter is two tokens.
#[test]
fn websocket_connect_is_granted_by_a_route_key_rule() {
    if !tools::have(&[RIE, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let permissions = format!(
        r#"[{{"arn":"{ARN}","stage":"prod","routeKey":"$connect","scope":"chat"}},
            {{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"orders.read"}}]"#
    );
    let rie = Rie::start(
        &bootstrap(),
        &function_env(&keys, &[("SCOPEGATE_PERMISSIONS", &permissions)]),
    );
    let connect = |query: &str| {
        format!(
            r#"{{"type":"REQUEST","methodArn":"{ARN}/prod/$connect","headers":{{"Host":"x"}},"queryStringParameters":{query},"requestContext":{{"routeKey":"$connect","eventType":"CONNECT"}}}}"#
        )
    };
    let chat = token(&keys, r#"["chat"]"#);
    let (status, body) = rie.invoke(&connect(&format!(r#"{{"access_token":"{chat}"}}"#)));
    assert_eq!(status, 200, "{body}");
    let allow: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        allow["policyDocument"]["Statement"][0]["Resource"][0],
        format!("{ARN}/prod/$connect")
    );
    let (_, body) = rie.invoke(&connect(&format!(
        r#"{{"access_token":"{}"}}"#,
        token(&keys, r#"["orders.read"]"#)
    )));
    let other: Value = serde_json::from_str(&body).unwrap();
    let resources = other["policyDocument"]["Statement"][0]["Resource"].to_string();
    assert!(!resources.contains("$connect"), "{resources}");
    let twice = format!(
        r#"{{"type":"REQUEST","methodArn":"{ARN}/prod/$connect","queryStringParameters":{{"access_token":"{chat}"}},"multiValueQueryStringParameters":{{"access_token":["{chat}","{chat}"]}}}}"#
    );
    let (_, body) = rie.invoke(&twice);
    assert_eq!(
        body,
        r#"{"errorType":"Unauthorized","errorMessage":"Unauthorized"}"#
    );
}

#[test]
fn allow_deny_and_the_exact_unauthorized_shape() {
    if !tools::have(&[RIE, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let rie = Rie::start(&bootstrap(), &function_env(&keys, &[]));
    let (status, body) = rie.invoke(&token_event(&token(&keys, r#"["orders.read"]"#)));
    assert_eq!(status, 200, "{body}");
    let allow: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(allow["principalId"], "00u1abcd");
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        allow["policyDocument"]["Statement"][0]["Resource"][0],
        format!("{ARN}/prod/GET/orders")
    );

    let (_, body) = rie.invoke(&token_event(&token(&keys, r#"["profile"]"#)));
    let deny: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(deny["policyDocument"]["Statement"][0]["Resource"], "*");

    // Exactly the error API Gateway maps to 401: the message `Unauthorized`.
    // (An event that is not JSON never reaches the handler: the runtime's
    // deserializer refuses it. API Gateway always sends JSON.)
    for event in [
        token_event("not-a-jwt"),
        raw_token_event("Basic dXNlcjpwYXNz"),
        r#"{"type":"TOKEN"}"#.to_string(),
    ] {
        let (_, body) = rie.invoke(&event);
        assert_eq!(
            body, r#"{"errorType":"Unauthorized","errorMessage":"Unauthorized"}"#,
            "{event}"
        );
    }
    // The function kept running: one INIT for all five invocations.
    let output = rie.output();
    assert_eq!(output.matches("Init Duration").count(), 1, "{output}");
    let logs: Vec<Value> = json_lines(&output)
        .into_iter()
        .filter(|l| l.get("decision").is_some())
        .collect();
    let decisions: Vec<&str> = logs.iter().filter_map(|l| l["decision"].as_str()).collect();
    assert_eq!(
        decisions,
        ["deny", "unauthorized", "unauthorized", "unauthorized"],
        "log lines: refusals and denies at the default level"
    );
}

#[test]
fn a_bad_configuration_fails_init_naming_the_variable() {
    if !tools::have(&[RIE, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let env = function_env(&keys, &[("SCOPEGATE_LEEWAY_SECONDS", "soon")]);
    let rie = Rie::start(&bootstrap(), &env);
    let (status, body) = rie.invoke(&token_event(&token(&keys, r#"["orders.read"]"#)));
    assert_eq!(
        status, 502,
        "no answer from a function whose INIT failed: {body}"
    );
    let output = rie.output();
    assert!(
        output.contains("configuration error: SCOPEGATE_LEEWAY_SECONDS"),
        "{output}"
    );
}

/// Issue 22: a misspelt setting is not silently not enforced.
#[test]
fn a_misspelt_setting_fails_init_naming_the_closest_one() {
    if !tools::have(&[RIE, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let env = function_env(&keys, &[("SCOPEGATE_REQUIRE_AT_JWT_", "true")]);
    let rie = Rie::start(&bootstrap(), &env);
    let (status, body) = rie.invoke(&token_event(&token(&keys, r#"["orders.read"]"#)));
    assert_eq!(status, 502, "INIT must fail: {body}");
    let output = rie.output();
    assert!(
        output.contains(
            "configuration error: SCOPEGATE_REQUIRE_AT_JWT_: is not a scopegate setting; did you mean SCOPEGATE_REQUIRE_AT_JWT?"
        ),
        "{output}"
    );
}

#[test]
fn emf_per_invocation_on_stdout_validates_against_the_schema() {
    if !tools::have(&[RIE, PYTHON, EMF_SCHEMA, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let env = function_env(&keys, &[("SCOPEGATE_METRICS_FLUSH", "invocation")]);
    let rie = Rie::start(&bootstrap(), &env);
    let signed = token(&keys, r#"["orders.read"]"#);
    for _ in 0..3 {
        assert_eq!(rie.invoke(&token_event(&signed)).0, 200);
    }
    let lines = json_lines(&rie.output());
    let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    let handler_values = emf
        .iter()
        .filter(|d| d.get("scopegate_handler_seconds").is_some())
        .count();
    assert_eq!(handler_values, 3, "one handler time per invocation");
    assert!(
        emf.iter()
            .all(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "scopegate-rie")
    );
    validate_emf(&emf);
}

#[test]
fn aggregated_emf_the_default_is_flushed_when_the_emulator_relays_sigterm() {
    if !tools::have(&[RIE, PYTHON, EMF_SCHEMA, support::emulator::bootstrap_tool()]) {
        return;
    }
    let keys = Keys::load();
    let env = function_env(&keys, &[]);
    let rie = Rie::start(&bootstrap(), &env);
    let signed = token(&keys, r#"["orders.read"]"#);
    for _ in 0..4 {
        assert_eq!(rie.invoke(&token_event(&signed)).0, 200);
    }
    let before = rie.output();
    assert!(
        !before.contains("\"_aws\""),
        "aggregated: nothing written yet (4 < 100 invocations, < 60 s)"
    );
    let output = rie.terminate();
    let (_, after) = output
        .split_once("SIGTERM received")
        .unwrap_or_else(|| panic!("the function got no SIGTERM: {output}"));
    let emf: Vec<Value> = json_lines(after)
        .into_iter()
        .filter(|l| l.get("_aws").is_some())
        .collect();
    let decisions: f64 = emf
        .iter()
        .filter(|d| d["outcome"] == "allow")
        .filter_map(|d| d["scopegate_decisions_total"].as_f64())
        .sum();
    assert_eq!(decisions, 4.0, "the four buffered decisions reached stdout");
    let handler_times = emf
        .iter()
        .find_map(|d| d["scopegate_handler_seconds"].as_array())
        .map_or(0, Vec::len);
    assert_eq!(handler_times, 4);
    validate_emf(&emf.iter().collect::<Vec<_>>());
}
