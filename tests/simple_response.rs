//! HTTP API 2.0 simple responses (`SCOPEGATE_SIMPLE_RESPONSE=true`): the
//! route is checked against the grant by IAM wildcard rules, the context is
//! the one the IAM response carries, and a memo hit answers the same.

mod support;

use scopegate::Decision;
use support::*;

fn v2_event(token: &str, method: &str, path: &str) -> String {
    format!(
        r#"{{"version":"2.0","type":"REQUEST","routeArn":"{ARN}/prod/{method}/{path}","identitySource":["Bearer {token}"]}}"#
    )
}

#[test]
fn a_route_the_grant_covers_is_authorized_with_the_tokens_context() {
    let keys = Keys::load();
    let auth = authorizer_with(&keys, &[("SCOPEGATE_SIMPLE_RESPONSE", "true")]);
    let token = keys.rs256.sign(&payload("")).unwrap();
    for memo_hit in [false, true] {
        let r = auth
            .handle(&v2_event(&token, "GET", "orders/42"), NOW)
            .unwrap();
        assert_eq!((r.decision, r.memo_hit), (Decision::Allow, memo_hit));
        let body: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"isAuthorized": true, "context": {
                "sub": "00u1abcd", "scope": "orders.read", "client_id": "0oa1client"
            }})
        );
    }
    // The same token, a route its scopes do not grant: refused by the route check.
    let r = auth
        .handle(&v2_event(&token, "POST", "orders"), NOW)
        .unwrap();
    assert_eq!(r.decision, Decision::Deny);
    let body: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
    assert_eq!(body["isAuthorized"], false);
    assert_eq!(body["context"]["sub"], "00u1abcd");
    // A REST event to the same authorizer still gets the IAM policy.
    let r = auth.handle(&token_event(&token), NOW).unwrap();
    let body: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
    assert_eq!(body["principalId"], "00u1abcd");
    assert_eq!(body["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(body["context"]["scope"], "orders.read");
}
