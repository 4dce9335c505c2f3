//! API Gateway's semantics, driven without sockets and with an injected clock.

use super::*;
use crate::identity::Identity;

const NOW: f64 = 1_800_000_000.0;

fn gateway(ttl: f64) -> (Gateway, Identity) {
    let id = Identity::new("ES256").unwrap();
    let authorizer = id.authorizer().unwrap();
    (
        Gateway::new(GatewayConfig::default_api(), authorizer, ttl),
        id,
    )
}

fn bearer(id: &Identity, scope: &str) -> String {
    format!(
        "Bearer {}",
        id.mint("u-1", scope, NOW - 10.0, NOW + 3600.0).unwrap()
    )
}

fn call(g: &Gateway, method: &str, path: &str, auth: Option<&str>, now: f64) -> Reply {
    g.handle(
        method,
        path,
        |name: &str| auth.filter(|_| name.eq_ignore_ascii_case("authorization")),
        now,
    )
}

fn invocations(g: &Gateway) -> u64 {
    Counts::get(&g.counts.invocations)
}

const DENIED: Reply = Reply::Answer {
    status: 401,
    body: UNAUTHORIZED,
};

#[test]
fn missing_or_malformed_identity_is_401_without_invoking() {
    let (g, _) = gateway(300.0);
    assert_eq!(call(&g, "GET", "/prod/pets", None, NOW), DENIED);
    assert_eq!(call(&g, "GET", "/prod/pets", Some(""), NOW), DENIED);
    // The validation expression wants `Bearer a.b.c`.
    assert_eq!(
        call(&g, "GET", "/prod/pets", Some("Basic dXNlcjpwYXNz"), NOW),
        DENIED
    );
    assert_eq!(
        call(&g, "GET", "/prod/pets", Some("Bearer not-a-jwt"), NOW),
        DENIED
    );
    assert_eq!(invocations(&g), 0);
    assert_eq!(Counts::get(&g.counts.rejected_before_invocation), 4);
    // Shaped like a JWT, so the authorizer is asked, and refuses.
    assert_eq!(
        call(&g, "GET", "/prod/pets", Some("Bearer a.b.c"), NOW),
        DENIED
    );
    assert_eq!(invocations(&g), 1);
}

#[test]
fn the_cache_answers_within_the_ttl_and_not_after() {
    let (g, id) = gateway(60.0);
    let token = bearer(&id, "pets.read");
    let ok = |r: Reply| matches!(r, Reply::Integrate { .. });
    assert!(ok(call(&g, "GET", "/prod/pets", Some(&token), NOW)));
    assert!(ok(call(&g, "GET", "/prod/pets", Some(&token), NOW + 59.9)));
    assert_eq!((invocations(&g), Counts::get(&g.counts.cache_hits)), (1, 1));
    assert!(ok(call(&g, "GET", "/prod/pets", Some(&token), NOW + 60.0)));
    assert_eq!(invocations(&g), 2, "expired entry: invoked again");
    // TTL 0: no cache at all.
    let (g, id) = gateway(0.0);
    let token = bearer(&id, "pets.read");
    for _ in 0..3 {
        call(&g, "GET", "/prod/pets", Some(&token), NOW);
    }
    assert_eq!(invocations(&g), 3);
}

#[test]
fn a_cached_policy_answers_every_route_without_invoking() {
    let (g, id) = gateway(300.0);
    let token = bearer(&id, "pets.read");
    assert!(matches!(
        call(&g, "GET", "/prod/pets", Some(&token), NOW),
        Reply::Integrate { .. }
    ));
    // Another route, same token: the policy cached for GET /pets decides.
    assert!(matches!(
        call(&g, "GET", "/prod/pets/7", Some(&token), NOW + 1.0),
        Reply::Integrate { .. }
    ));
    assert_eq!(
        call(&g, "DELETE", "/prod/pets/7", Some(&token), NOW + 2.0),
        Reply::Answer {
            status: 403,
            body: IMPLICIT_DENY
        }
    );
    assert_eq!(invocations(&g), 1, "one invocation served three routes");
}

#[test]
fn the_cross_route_hazard_of_a_route_specific_policy() {
    // An authorizer that allows only the methodArn it was called for (the
    // seed article's warning) poisons the cache: the policy cached for
    // GET /pets then refuses GET /pets/7 to the same, entitled caller.
    let (g, id) = gateway(300.0);
    let token = bearer(&id, "pets.read");
    let narrow = Policy::from_response(&format!(
        r#"{{"principalId":"u-1","policyDocument":{{"Statement":[{{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"{API_ARN}/prod/GET/pets"}}]}}}}"#
    ))
    .unwrap();
    g.cache.put(0, &token, Arc::new(narrow), NOW);
    assert!(matches!(
        call(&g, "GET", "/prod/pets", Some(&token), NOW + 1.0),
        Reply::Integrate { .. }
    ));
    assert_eq!(
        call(&g, "GET", "/prod/pets/7", Some(&token), NOW + 2.0),
        Reply::Answer {
            status: 403,
            body: IMPLICIT_DENY
        }
    );
    assert_eq!(invocations(&g), 0, "both answered from the cache");
}

#[test]
fn a_valid_token_without_grants_gets_the_explicit_deny_answer() {
    let (g, id) = gateway(300.0);
    let token = bearer(&id, "profile");
    assert_eq!(
        call(&g, "GET", "/prod/pets", Some(&token), NOW),
        Reply::Answer {
            status: 403,
            body: EXPLICIT_DENY
        }
    );
}

#[test]
fn unknown_routes_and_stages_are_api_gateways_403() {
    let (g, id) = gateway(300.0);
    let token = bearer(&id, "pets.read");
    let missing = Reply::Answer {
        status: 403,
        body: MISSING_TOKEN,
    };
    assert_eq!(call(&g, "GET", "/prod/cats", Some(&token), NOW), missing);
    assert_eq!(call(&g, "GET", "/dev/pets", Some(&token), NOW), missing);
    assert_eq!(call(&g, "PATCH", "/prod/pets", Some(&token), NOW), missing);
    assert_eq!(invocations(&g), 0);
}

#[test]
fn the_exact_bodies() {
    for body in [
        UNAUTHORIZED,
        EXPLICIT_DENY,
        IMPLICIT_DENY,
        AUTHORIZER_FAILURE,
        MISSING_TOKEN,
    ] {
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
    assert_eq!(UNAUTHORIZED, r#"{"message":"Unauthorized"}"#);
    assert_eq!(
        EXPLICIT_DENY,
        r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
    );
    assert_eq!(
        IMPLICIT_DENY,
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
}

#[test]
fn the_embedded_config_parses_and_routes_match_templates() {
    let c = GatewayConfig::default_api();
    let route = |method: &str, path: &'static str| {
        c.route(method, path)
            .map(|m| (m.route.to_string(), m.resource))
    };
    assert_eq!(
        route("GET", "/prod/pets/42"),
        Some(("/pets/{id}".to_string(), "pets/42"))
    );
    assert_eq!(
        route("POST", "/prod/admin/users/1"),
        Some(("/admin/{proxy+}".to_string(), "admin/users/1"))
    );
    assert_eq!(c.route("GET", "/prod/pets/42/toys"), None);
    assert_eq!(c.route("GET", "/prod/pets/"), None);
    let err = GatewayConfig::parse("stage = \"p\"\nauthorizer = \"token\"\nidentity_header = \"A\"\nroutes = [{ method = \"GET\", path = \"x\" }]").unwrap_err();
    assert!(err.contains("routes[0].path"), "{err}");
}
