//! Tokens as the major identity providers really issue them (shapes from
//! their documentation; keys generated in the test run), through the
//! per-issuer claim mapping of contract §3a with the README's recipes.
//! Each recipe's settings here are the README's, so a recipe that stops
//! working fails a test.

use scopegate::testkit::mint::SigningKey;
use scopegate::{Authorizer, Config, Decision, Reject};
use std::collections::HashMap;

const NOW: f64 = 1_800_000_000.0;
const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:api1234567";

/// Rules for every recipe: plain scopes, prefixed roles and groups.
fn permissions() -> String {
    let rule = |resource: &str, verb: &str, scope: &str| {
        format!(
            r#"{{"arn":"{ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
        )
    };
    format!(
        "[{}]",
        [
            rule("orders", "GET", "Orders.Read"),
            rule("orders", "GET", "orders.read"),
            rule("orders", "GET", "read:orders"),
            rule("orders", "GET", "orders-api/orders.read"),
            rule("orders", "POST", "role:Orders.ReadWrite.All"),
            rule("orders", "POST", "role:orders-admin"),
            rule("admin/*", "*", "group:admins"),
        ]
        .join(",")
    )
}

/// An identity provider: a key and the JWKS it publishes.
struct Idp {
    key: SigningKey,
}

impl Idp {
    fn new() -> Idp {
        Idp {
            key: SigningKey::generate("idp-key-1", scopegate::jose::Alg::RS256).unwrap(),
        }
    }

    /// The JWKS, as Entra ID and Cognito publish it: no `alg` member.
    fn jwks(&self) -> String {
        let jwk = self.key.public_jwk().replace(r#""alg":"RS256","#, "");
        format!(r#"{{"keys":[{jwk}]}}"#)
    }

    fn token(&self, claims: &str) -> String {
        let exp = NOW + 3600.0;
        let claims = claims.replace("EXP", &exp.to_string());
        self.key.sign(&claims).unwrap()
    }
}

fn authorizer(settings: &[(&str, &str)]) -> Authorizer {
    let map: HashMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([("SCOPEGATE_PERMISSIONS".to_string(), permissions())])
        .collect();
    Authorizer::from_config(&Config::from_strings(&map).expect("config")).expect("authorizer")
}

fn event(token: &str, verb: &str, path: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{ARN}/prod/{verb}/{path}"}}"#
    )
}

/// The decision and the response body (for the context).
fn decide(a: &Authorizer, token: &str) -> Result<(Decision, serde_json::Value), Reject> {
    let r = a.handle(&event(token, "GET", "orders"), NOW)?;
    Ok((r.decision, serde_json::from_str(&r.body()).unwrap()))
}

fn resources(body: &serde_json::Value) -> Vec<String> {
    body["policyDocument"]["Statement"][0]["Resource"]
        .as_array()
        .map(|a| a.iter().map(|r| r.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

#[test]
fn entra_v2_delegated_and_app_only_tokens() {
    let idp = Idp::new();
    let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
    let jwks = idp.jwks();
    let a = authorizer(&[
        ("SCOPEGATE_ISSUER", &issuer),
        ("SCOPEGATE_AUDIENCE", "api://orders"),
        ("SCOPEGATE_JWKS", &jwks),
        (
            "SCOPEGATE_SCOPE_SOURCES",
            r#"[{"claim":"scp"},{"claim":"roles","format":"array","prefix":"role:"}]"#,
        ),
        (
            "SCOPEGATE_REQUIRE_CLAIMS",
            &format!(r#"{{"tid":"{TENANT}","ver":"2.0"}}"#),
        ),
    ]);
    // Delegated: `scp` is a space-separated string.
    let user = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","iat":1799999000,"nbf":1799999000,"exp":EXP,"azp":"6e74172b-be56-4843-9ff4-e66a39bb12e3","name":"Alice","oid":"00000000-0000-0000-66f3-3332eca7ea81","scp":"Orders.Read User.Read","sub":"AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ","tid":"{TENANT}","ver":"2.0"}}"#
    ));
    let (d, body) = decide(&a, &user).unwrap();
    assert_eq!(d, Decision::Allow);
    assert_eq!(
        body["context"]["client_id"], "6e74172b-be56-4843-9ff4-e66a39bb12e3",
        "azp"
    );
    // App-only (client credentials): only `roles`, read with a prefix.
    let daemon = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","exp":EXP,"azp":"daemon-app","roles":["Orders.ReadWrite.All"],"sub":"daemon-oid","tid":"{TENANT}","ver":"2.0","idtyp":"app"}}"#
    ));
    let (_, body) = a
        .handle(&event(&daemon, "POST", "orders"), NOW)
        .map(|r| {
            (
                r.decision,
                serde_json::from_str::<serde_json::Value>(&r.body()).unwrap(),
            )
        })
        .unwrap();
    assert_eq!(resources(&body), [format!("{ARN}/prod/POST/orders")]);
    // The pitfall: a role whose value equals a scope name must not grant that scope's routes.
    let confused = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","exp":EXP,"roles":["Orders.Read"],"sub":"x","tid":"{TENANT}","ver":"2.0"}}"#
    ));
    assert_eq!(decide(&a, &confused).unwrap().0, Decision::Deny);
    // Another tenant's token (same key, as a multi-tenant app's would share) is refused.
    let other_tenant = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","exp":EXP,"scp":"Orders.Read","sub":"x","tid":"00000000-0000-0000-0000-000000000001","ver":"2.0"}}"#
    ));
    assert_eq!(
        decide(&a, &other_tenant).unwrap_err(),
        Reject::UnmetRequirement
    );
}

#[test]
fn an_entra_token_with_many_groups_fits_when_the_token_cap_is_api_gateways() {
    let idp = Idp::new();
    let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
    let jwks = idp.jwks();
    let groups: Vec<String> = (0..150)
        .map(|i| format!(r#""{i:08x}-0000-4000-8000-{i:012x}""#))
        .collect();
    let token = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","exp":EXP,"scp":"Orders.Read","sub":"s","tid":"{TENANT}","groups":[{}]}}"#,
        groups.join(",")
    ));
    assert!(
        token.len() > 8192 && token.len() < 10_240,
        "{}",
        token.len()
    );
    let settings = |cap: &'static str| {
        vec![
            ("SCOPEGATE_ISSUER", issuer.clone()),
            ("SCOPEGATE_AUDIENCE", "api://orders".to_string()),
            ("SCOPEGATE_JWKS", jwks.clone()),
            ("SCOPEGATE_MAX_TOKEN_BYTES", cap.to_string()),
        ]
    };
    let with = |cap: &'static str| {
        let s = settings(cap);
        let refs: Vec<(&str, &str)> = s.iter().map(|(k, v)| (*k, v.as_str())).collect();
        decide(&authorizer(&refs), &token).map(|(d, _)| d)
    };
    assert_eq!(
        with("8192"),
        Err(Reject::TokenTooLarge),
        "the contract's default cap"
    );
    assert_eq!(
        with("10240"),
        Ok(Decision::Allow),
        "150 groups: more than the old 128-element cap"
    );
}

#[test]
fn entra_multi_tenant_is_one_entry_per_tenant() {
    let idp = Idp::new();
    let jwks = idp.jwks();
    let (a_tenant, b_tenant) = (
        "aaaaaaaa-0000-0000-0000-000000000001",
        "bbbbbbbb-0000-0000-0000-000000000002",
    );
    let entry = |tid: &str| {
        format!(
            r#"{{"issuer":"https://login.microsoftonline.com/{tid}/v2.0","audience":"api://orders","jwks":{jwks},
                "scopes":[{{"claim":"scp"}},{{"claim":"roles","format":"array","prefix":"role:"}}],
                "require":{{"tid":"{tid}"}}}}"#
        )
    };
    let a = authorizer(&[(
        "SCOPEGATE_ISSUERS",
        &format!("[{},{}]", entry(a_tenant), entry(b_tenant)),
    )]);
    let token = |tid: &str| {
        idp.token(&format!(
            r#"{{"aud":"api://orders","iss":"https://login.microsoftonline.com/{tid}/v2.0","exp":EXP,"scp":"Orders.Read","sub":"s","tid":"{tid}"}}"#
        ))
    };
    assert_eq!(decide(&a, &token(a_tenant)).unwrap().0, Decision::Allow);
    assert_eq!(decide(&a, &token(b_tenant)).unwrap().0, Decision::Allow);
    assert_eq!(
        decide(&a, &token("cccccccc-0000-0000-0000-000000000003")).unwrap_err(),
        Reject::WrongIssuer,
        "a tenant not listed"
    );
}

#[test]
fn entra_v1_issuer_keeps_its_trailing_slash_and_appid_is_the_client() {
    let idp = Idp::new();
    let issuer = format!("https://sts.windows.net/{TENANT}/");
    let jwks = idp.jwks();
    let a = authorizer(&[
        ("SCOPEGATE_ISSUER", &issuer),
        ("SCOPEGATE_AUDIENCE", "api://orders"),
        ("SCOPEGATE_JWKS", &jwks),
        ("SCOPEGATE_REQUIRE_CLAIMS", r#"{"ver":"1.0"}"#),
    ]);
    let token = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"{issuer}","exp":EXP,"appid":"legacy-app","scp":"Orders.Read","sub":"s","tid":"{TENANT}","ver":"1.0"}}"#
    ));
    let (d, body) = decide(&a, &token).unwrap();
    assert_eq!(
        (d, body["context"]["client_id"].as_str()),
        (Decision::Allow, Some("legacy-app"))
    );
    let no_slash = idp.token(&format!(
        r#"{{"aud":"api://orders","iss":"https://sts.windows.net/{TENANT}","exp":EXP,"scp":"Orders.Read","sub":"s","ver":"1.0"}}"#
    ));
    assert_eq!(decide(&a, &no_slash).unwrap_err(), Reject::WrongIssuer);
}

#[test]
fn cognito_access_tokens_pass_on_client_id_and_id_tokens_never_do() {
    let idp = Idp::new();
    let issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdE";
    let jwks = idp.jwks();
    let a = authorizer(&[
        ("SCOPEGATE_ISSUER", issuer),
        ("SCOPEGATE_JWKS", &jwks),
        ("SCOPEGATE_CLIENT_IDS", "3n4b5urk1ft4fl3mg5e62d9ado"),
        ("SCOPEGATE_REQUIRE_CLAIMS", r#"{"token_use":"access"}"#),
        (
            "SCOPEGATE_SCOPE_SOURCES",
            r#"[{"claim":"scope"},{"claim":"cognito:groups","prefix":"group:"}]"#,
        ),
    ]);
    // A user's access token: no `aud`, `client_id`, custom scope, groups.
    let user = idp.token(&format!(
        r#"{{"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":["admins"],"iss":"{issuer}","version":2,"client_id":"3n4b5urk1ft4fl3mg5e62d9ado","origin_jti":"o","token_use":"access","scope":"orders-api/orders.read openid","auth_time":1799999000,"exp":EXP,"iat":1799999000,"jti":"j","username":"alice"}}"#
    ));
    let (d, body) = decide(&a, &user).unwrap();
    assert_eq!(d, Decision::Allow);
    assert_eq!(
        resources(&body).len(),
        2,
        "the scope's route and the admins group's"
    );
    // M2M: the client is the subject.
    let m2m = idp.token(&format!(
        r#"{{"sub":"3n4b5urk1ft4fl3mg5e62d9ado","token_use":"access","scope":"orders-api/orders.read","iss":"{issuer}","exp":EXP,"client_id":"3n4b5urk1ft4fl3mg5e62d9ado"}}"#
    ));
    assert_eq!(decide(&a, &m2m).unwrap().0, Decision::Allow);
    // Another app client of the pool: refused (client_ids binds the caller).
    let other_client = idp.token(&format!(
        r#"{{"sub":"x","token_use":"access","scope":"orders-api/orders.read","iss":"{issuer}","exp":EXP,"client_id":"someotherclient"}}"#
    ));
    assert_eq!(
        decide(&a, &other_client).unwrap_err(),
        Reject::WrongAudience
    );
    // An ID token: `aud` is the client id and token_use is id. No audience is
    // configured, so it fails on `aud`; and if the client id were listed as
    // an audience, `require` would still refuse it.
    let id_token = idp.token(&format!(
        r#"{{"sub":"x","aud":"3n4b5urk1ft4fl3mg5e62d9ado","cognito:groups":["admins"],"token_use":"id","iss":"{issuer}","exp":EXP,"email":"a@example.com"}}"#
    ));
    assert_eq!(decide(&a, &id_token).unwrap_err(), Reject::WrongAudience);
    let careless = authorizer(&[
        ("SCOPEGATE_ISSUER", issuer),
        ("SCOPEGATE_AUDIENCE", "3n4b5urk1ft4fl3mg5e62d9ado"),
        ("SCOPEGATE_JWKS", &jwks),
        ("SCOPEGATE_REQUIRE_CLAIMS", r#"{"token_use":"access"}"#),
    ]);
    assert_eq!(
        decide(&careless, &id_token).unwrap_err(),
        Reject::UnmetRequirement
    );
}

#[test]
fn keycloak_client_roles_audience_mapper_and_tokens_without_sub() {
    let idp = Idp::new();
    let issuer = "http://127.0.0.1:18080/realms/orders";
    let jwks = idp.key.public_jwk();
    let jwks = format!(r#"{{"keys":[{jwks}]}}"#);
    let entries = format!(
        r#"[{{"issuer":"{issuer}","audience":["orders-api"],"jwks":{jwks},
            "client_ids":["orders-noaud-client"],
            "subject_claims":["sub","client_id"],
            "scopes":[{{"claim":"scope"}},{{"path":["resource_access","orders-api","roles"],"format":"array","prefix":"role:"}}]}}]"#
    );
    // SCOPEGATE_ISSUERS alone is a complete configuration.
    let a = authorizer(&[("SCOPEGATE_ISSUERS", &entries)]);
    let with_mapper = idp.token(&format!(
        r#"{{"exp":EXP,"iat":1799999000,"jti":"j","iss":"{issuer}","aud":["orders-api","account"],"sub":"5f4e3d2c","typ":"Bearer","azp":"orders-api-client","scope":"profile email","realm_access":{{"roles":["default-roles-orders","offline_access"]}},"resource_access":{{"orders-api":{{"roles":["orders-admin"]}},"account":{{"roles":["manage-account"]}}}},"client_id":"orders-api-client"}}"#
    ));
    let r = a
        .handle(&event(&with_mapper, "POST", "orders"), NOW)
        .unwrap();
    assert_eq!(
        r.decision,
        Decision::Allow,
        "the client role, prefixed, grants POST"
    );
    // Without the audience mapper, `aud` is only `account`: never a safe audience.
    let account_only = idp.token(&format!(
        r#"{{"exp":EXP,"iss":"{issuer}","aud":"account","sub":"5f4e3d2c","azp":"orders-noaud-client","scope":"orders.read","client_id":"orders-noaud-client"}}"#
    ));
    assert_eq!(
        decide(&a, &account_only).unwrap_err(),
        Reject::WrongAudience
    );
    // Keycloak ≥ 25 without the `basic` scope: no `sub`, no `aud`; the
    // listed client passes and its client_id is the principal.
    let bare = idp.token(&format!(
        r#"{{"exp":EXP,"iss":"{issuer}","azp":"orders-noaud-client","scope":"orders.read","client_id":"orders-noaud-client"}}"#
    ));
    let (d, body) = decide(&a, &bare).unwrap();
    assert_eq!(
        (d, body["principalId"].as_str()),
        (Decision::Allow, Some("orders-noaud-client"))
    );
}

#[test]
fn auth0_permissions_okta_cid_and_pingone_client_credentials() {
    let idp = Idp::new();
    let jwks = format!(r#"{{"keys":[{}]}}"#, idp.key.public_jwk());
    // Auth0 with RBAC: the grant is in `permissions`; the issuer keeps its slash.
    let auth0 = "https://acme.eu.auth0.com/";
    let entries = format!(
        r#"[{{"issuer":"{auth0}","audience":"https://orders.acme.example","jwks":{jwks},
             "scopes":[{{"claim":"scope"}},{{"claim":"permissions","format":"array"}}]}},
            {{"issuer":"https://acme.okta.com/oauth2/default","audience":"api://default","jwks":{jwks}}},
            {{"issuer":"https://auth.pingone.eu/env-1/as","audience":"https://orders.acme.example","jwks":{jwks},
             "subject_claims":["sub","client_id"]}}]"#
    );
    let a = authorizer(&[("SCOPEGATE_ISSUERS", &entries)]);
    let rbac = idp.token(&format!(
        r#"{{"iss":"{auth0}","sub":"auth0|123","aud":["https://orders.acme.example","https://acme.eu.auth0.com/userinfo"],"iat":1799999000,"exp":EXP,"scope":"openid profile","azp":"spa-client","permissions":["read:orders"]}}"#
    ));
    assert_eq!(decide(&a, &rbac).unwrap().0, Decision::Allow);
    // Without RBAC the grant is in `scope`, which the default sources read.
    let no_rbac = authorizer(&[
        ("SCOPEGATE_ISSUER", auth0),
        ("SCOPEGATE_AUDIENCE", "https://orders.acme.example"),
        ("SCOPEGATE_JWKS", &jwks),
    ]);
    let plain = idp.token(&format!(
        r#"{{"iss":"{auth0}","sub":"auth0|123","aud":"https://orders.acme.example","exp":EXP,"scope":"openid read:orders","azp":"spa-client"}}"#
    ));
    assert_eq!(decide(&no_rbac, &plain).unwrap().0, Decision::Allow);
    assert_eq!(
        decide(&no_rbac, &rbac).unwrap().0,
        Decision::Deny,
        "permissions unread without the RBAC recipe"
    );
    let okta = idp.token(
        r#"{"ver":1,"jti":"AT.x","iss":"https://acme.okta.com/oauth2/default","aud":"api://default","iat":1799999000,"exp":EXP,"cid":"0oa1okta","uid":"00u1","scp":["orders.read","openid"],"sub":"alice@acme.example"}"#,
    );
    let (d, body) = decide(&a, &okta).unwrap();
    assert_eq!(
        (d, body["context"]["client_id"].as_str()),
        (Decision::Allow, Some("0oa1okta"))
    );
    let ping = idp.token(
        r#"{"client_id":"ping-m2m","iss":"https://auth.pingone.eu/env-1/as","jti":"j","iat":1799999000,"exp":EXP,"aud":["https://orders.acme.example"],"scope":"orders.read","env":"env-1","org":"org-1"}"#,
    );
    let (d, body) = decide(&a, &ping).unwrap();
    assert_eq!(
        (d, body["principalId"].as_str()),
        (Decision::Allow, Some("ping-m2m"))
    );
    // One issuer's mapping never applies to another's tokens: `permissions`
    // means nothing in an Okta token.
    let okta_permissions = idp.token(
        r#"{"iss":"https://acme.okta.com/oauth2/default","aud":"api://default","exp":EXP,"sub":"x","permissions":["read:orders"]}"#,
    );
    assert_eq!(decide(&a, &okta_permissions).unwrap().0, Decision::Deny);
    // And PingOne's subject fallback is not Okta's: a token without `sub` is refused there.
    let okta_no_sub = idp.token(
        r#"{"iss":"https://acme.okta.com/oauth2/default","aud":"api://default","exp":EXP,"client_id":"c","scp":["orders.read"]}"#,
    );
    assert_eq!(decide(&a, &okta_no_sub).unwrap_err(), Reject::MissingSub);
}

#[test]
fn mapping_settings_are_checked_at_start_naming_the_setting() {
    let idp = Idp::new();
    let jwks = idp.jwks();
    let base = [
        ("SCOPEGATE_ISSUER", "https://idp.example"),
        ("SCOPEGATE_JWKS", jwks.as_str()),
        ("SCOPEGATE_PERMISSIONS", "[]"),
    ];
    let error = |extra: &[(&str, &str)]| {
        let map: HashMap<&str, &str> = base.iter().chain(extra).copied().collect();
        Config::from_strings(&map).unwrap_err()
    };
    assert_eq!(
        error(&[]).var,
        "SCOPEGATE_AUDIENCE",
        "no audience and no client_ids"
    );
    assert_eq!(
        error(&[
            ("SCOPEGATE_AUDIENCE", "a"),
            ("SCOPEGATE_SCOPE_SOURCES", r#"[{"claims":"x"}]"#)
        ])
        .var,
        "SCOPEGATE_SCOPE_SOURCES"
    );
    assert_eq!(
        error(&[
            ("SCOPEGATE_AUDIENCE", "a"),
            ("SCOPEGATE_REQUIRE_CLAIMS", r#"{"ver":2}"#)
        ])
        .var,
        "SCOPEGATE_REQUIRE_CLAIMS"
    );
    let entry = r#"[{"issuer":"https://other.example","jwks":"discover","scopes":[{"claim":"roles","format":"csv"}],"audience":"a"}]"#;
    let e = error(&[("SCOPEGATE_AUDIENCE", "a"), ("SCOPEGATE_ISSUERS", entry)]);
    assert_eq!(e.var, "SCOPEGATE_ISSUERS");
    assert!(e.message.contains("[0].scopes"), "{e}");
    let no_audience = r#"[{"issuer":"https://other.example","jwks":"discover"}]"#;
    assert!(
        error(&[
            ("SCOPEGATE_AUDIENCE", "a"),
            ("SCOPEGATE_ISSUERS", no_audience)
        ])
        .message
        .contains("audience")
    );
}
