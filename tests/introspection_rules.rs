//! Introspection answers held to the JWT rules (issue 22 §1, contract §3b):
//! with `SCOPEGATE_CLIENT_IDS=web-app` and no audience, an active answer
//! without `aud` passes only for `web-app`; another client, no client id,
//! or an `azp` alone was allowed with its scopes before and is now
//! `wrong_audience`. The answers come from a loopback server standing in
//! for the IdP's introspection endpoint.

mod support;

use scopegate::config::{Config, Strings};
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use support::doc_server::DocServer;
use support::*;

const IDP: &str = "https://idp.test.example/realms/shop";

fn authorizer(server: &DocServer, extra: &[(&str, &str)]) -> Authorizer {
    let keys = Keys::load();
    let mut m: HashMap<String, String> = HashMap::from([
        ("SCOPEGATE_ISSUER".into(), IDP.into()),
        ("SCOPEGATE_CLIENT_IDS".into(), "web-app".into()),
        ("SCOPEGATE_JWKS".into(), keys.jwks()),
        ("SCOPEGATE_PERMISSIONS".into(), permissions()),
        ("SCOPEGATE_MODE".into(), "introspect".into()),
        (
            "SCOPEGATE_INTROSPECTION_URL".into(),
            server.url("/introspect"),
        ),
        ("SCOPEGATE_INTROSPECTION_CLIENT_ID".into(), "gateway".into()),
        (
            "SCOPEGATE_INTROSPECTION_CLIENT_SECRET".into(),
            "s3cret".into(),
        ),
    ]);
    for (k, v) in extra {
        m.insert((*k).to_string(), (*v).to_string());
    }
    let config = Config::from_strings(&m as &dyn Strings).expect("config");
    Authorizer::from_config(&config).expect("authorizer")
}

/// The decision for an opaque token whose introspection answer has `members`.
fn decide_answer(
    server: &DocServer,
    auth: &Authorizer,
    token: &str,
    members: &str,
) -> Result<Decision, Reject> {
    server.set(
        "/introspect",
        &format!(
            r#"{{"active":true,"token_type":"Bearer","iss":"{IDP}","exp":{},"scope":"orders.read"{members}}}"#,
            NOW + 600.0
        ),
        None,
    );
    auth.handle(&token_event(token), NOW).map(|r| r.decision)
}

#[test]
fn an_answer_without_aud_passes_only_for_a_listed_client() {
    let server = DocServer::start();
    let auth = authorizer(&server, &[]);
    for (token, members, expected) in [
        (
            "opaque-listed",
            r#","client_id":"web-app","sub":"u1""#,
            Ok(Decision::Allow),
        ),
        (
            "opaque-other",
            r#","client_id":"other-app","sub":"u1""#,
            Err(Reject::WrongAudience),
        ),
        ("opaque-none", r#","sub":"u1""#, Err(Reject::WrongAudience)),
        (
            "opaque-azp",
            r#","azp":"web-app","sub":"u1""#,
            Err(Reject::WrongAudience),
        ),
        (
            "opaque-aud",
            r#","aud":"api://elsewhere","client_id":"web-app","sub":"u1""#,
            Err(Reject::WrongAudience),
        ),
    ] {
        assert_eq!(
            decide_answer(&server, &auth, token, members),
            expected,
            "{members}"
        );
    }
}

/// Issue 22 §3: in `jwt+introspect` the answer went through serde_json,
/// so `{"active":false, …, "active":true}` was allowed (the last member
/// won) while `introspect` refused the same bytes. One strict reader now
/// refuses it in both modes.
#[test]
fn a_repeated_active_is_no_answer_in_either_mode() {
    let keys = Keys::load();
    let server = DocServer::start();
    let answer = format!(
        r#"{{"active":false,"iss":"{IDP}","exp":{},"aud":"api://orders","sub":"u1","scope":"orders.read","active":true}}"#,
        NOW + 600.0
    );
    server.set("/introspect", &answer, None);
    let jwt = keys
        .es256
        .sign(&format!(
            r#"{{"iss":"{IDP}","sub":"u1","aud":"api://orders","exp":{},"scp":["orders.read"]}}"#,
            NOW + 600.0
        ))
        .unwrap();
    for (mode, token) in [
        ("jwt+introspect", jwt.as_str()),
        ("introspect", "opaque-dup"),
    ] {
        let auth = authorizer(
            &server,
            &[
                ("SCOPEGATE_MODE", mode),
                ("SCOPEGATE_AUDIENCE", "api://orders"),
            ],
        );
        assert_eq!(
            auth.handle(&token_event(token), NOW).unwrap_err(),
            Reject::IntrospectionFailed,
            "{mode}"
        );
    }
}

#[test]
fn an_answer_with_the_audience_passes_and_sub_falls_back_to_the_client() {
    let server = DocServer::start();
    let auth = authorizer(&server, &[("SCOPEGATE_AUDIENCE", "api://orders")]);
    assert_eq!(
        decide_answer(
            &server,
            &auth,
            "opaque-aud-ok",
            r#","aud":["api://orders"],"client_id":"batch""#
        ),
        Ok(Decision::Allow)
    );
    let r = auth.handle(&token_event("opaque-aud-ok"), NOW).unwrap();
    let body: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
    assert_eq!(
        body["principalId"], "batch",
        "client credentials: sub is the client"
    );
    // The issuer check applies to answers too.
    server.set(
        "/introspect",
        &format!(r#"{{"active":true,"token_type":"Bearer","iss":"https://other.example","exp":{},"aud":"api://orders","sub":"u"}}"#, NOW + 600.0),
        None,
    );
    assert_eq!(
        auth.handle(&token_event("opaque-iss"), NOW).unwrap_err(),
        Reject::WrongIssuer
    );
}

/// Issue 22 §2: IdPs answer `active` for refresh and ID tokens too
/// (Keycloak: `token_type` `Refresh`, `ID`; oidc-provider gives none for a
/// refresh token). Only the issuer's access-token types pass; without
/// `token_type` the answer is refused unless the issuer says it may be absent.
#[test]
fn only_access_token_answers_pass() {
    let server = DocServer::start();
    let answer = |token_type: &str| {
        format!(
            r#"{{"active":true,{token_type}"iss":"{IDP}","exp":{},"aud":"api://orders","sub":"u1","scope":"orders.read"}}"#,
            NOW + 600.0
        )
    };
    let decide = |auth: &Authorizer, token: &str, token_type: &str| {
        server.set("/introspect", &answer(token_type), None);
        auth.handle(&token_event(token), NOW).map(|r| r.decision)
    };
    let default = authorizer(&server, &[("SCOPEGATE_AUDIENCE", "api://orders")]);
    for (token, token_type, expected) in [
        ("t-bearer", r#""token_type":"Bearer","#, Ok(Decision::Allow)),
        ("t-lower", r#""token_type":"bearer","#, Ok(Decision::Allow)),
        (
            "t-refresh",
            r#""token_type":"Refresh","#,
            Err(Reject::NotAccessToken),
        ),
        ("t-id", r#""token_type":"ID","#, Err(Reject::NotAccessToken)),
        (
            "t-dpop",
            r#""token_type":"DPoP","#,
            Err(Reject::NotAccessToken),
        ),
        ("t-absent", "", Err(Reject::NotAccessToken)),
        (
            "t-number",
            r#""token_type":1,"#,
            Err(Reject::IntrospectionFailed),
        ),
    ] {
        assert_eq!(
            decide(&default, token, token_type),
            expected,
            "{token_type}"
        );
    }
    let lenient = authorizer(
        &server,
        &[
            ("SCOPEGATE_AUDIENCE", "api://orders"),
            ("SCOPEGATE_INTROSPECTION_TOKEN_TYPES", "Bearer,access_token"),
            ("SCOPEGATE_INTROSPECTION_TOKEN_TYPE_OPTIONAL", "true"),
        ],
    );
    assert_eq!(decide(&lenient, "l-absent", ""), Ok(Decision::Allow));
    assert_eq!(
        decide(&lenient, "l-at", r#""token_type":"access_token","#),
        Ok(Decision::Allow)
    );
    assert_eq!(
        decide(&lenient, "l-refresh", r#""token_type":"refresh_token","#),
        Err(Reject::NotAccessToken)
    );
}

/// The same rule in `jwt+introspect`: a JWT whose answer calls it something
/// else than an access token is refused, with the routed issuer's rules.
#[test]
fn jwt_then_introspect_checks_the_answers_token_type() {
    let server = DocServer::start();
    let keys = Keys::load();
    let auth = authorizer(
        &server,
        &[
            ("SCOPEGATE_MODE", "jwt+introspect"),
            ("SCOPEGATE_ISSUER", ISSUER),
            ("SCOPEGATE_AUDIENCE", AUDIENCE),
        ],
    );
    let jwt_of = |sub: &str| {
        keys.es256
            .sign(&format!(
                r#"{{"iss":"{ISSUER}","sub":"{sub}","aud":"{AUDIENCE}","exp":{},"scp":["orders.read"]}}"#,
                NOW + 600.0
            ))
            .unwrap()
    };
    let jwt = jwt_of("u1");
    server.set(
        "/introspect",
        r#"{"active":true,"token_type":"Refresh"}"#,
        None,
    );
    assert_eq!(
        auth.handle(&token_event(&jwt), NOW).unwrap_err(),
        Reject::NotAccessToken
    );
    let fresh = jwt_of("u2");
    server.set(
        "/introspect",
        r#"{"active":true,"token_type":"Bearer"}"#,
        None,
    );
    assert_eq!(
        auth.handle(&token_event(&fresh), NOW).map(|r| r.decision),
        Ok(Decision::Allow)
    );
}
