use super::*;
use crate::policy::{Answer, Grant};

const SCHEMA: &str = include_str!("../../../tests/fixtures/avp/schema.json");
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
const POOL: &str = "us-east-1_PetPool|";

fn store() -> Vec<PolicyFile> {
    [
        (
            "admins",
            include_str!("../../../tests/fixtures/avp/policies/admins.cedar"),
        ),
        (
            "everyone",
            include_str!("../../../tests/fixtures/avp/policies/everyone.cedar"),
        ),
        (
            "readers",
            include_str!("../../../tests/fixtures/avp/policies/readers.cedar"),
        ),
        (
            "suspended",
            include_str!("../../../tests/fixtures/avp/policies/suspended.cedar"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| PolicyFile {
        name: name.into(),
        text: text.into(),
    })
    .collect()
}

fn table(files: &[PolicyFile]) -> Result<ScopeTable, String> {
    compile(
        files,
        SCHEMA,
        &Api::parse(API).unwrap(),
        PermissionLimits::default(),
    )
}

fn one(text: &str) -> Result<ScopeTable, String> {
    table(&[PolicyFile {
        name: "p1".into(),
        text: text.into(),
    }])
}

fn grant(t: &ScopeTable, groups: &[&str]) -> Grant {
    let scopes: Vec<String> = groups.iter().map(|g| format!("{POOL}{g}")).collect();
    Grant::render(t, &t.bits(scopes.iter().map(String::as_str)))
}

fn allows(t: &ScopeTable, g: &Grant, tail: &str) -> bool {
    g.allows(t, &format!("{API}/{tail}"))
}

#[test]
fn the_quick_start_shape_grants_routes_by_group() {
    let t = table(&store()).unwrap();
    let readers = grant(&t, &["readers"]);
    assert!(allows(&t, &readers, "GET/pets"));
    assert!(allows(&t, &readers, "GET/pets/7"));
    assert!(allows(&t, &readers, "GET/health"));
    assert!(!allows(&t, &readers, "POST/pets"));
    // `GET/pets/*` reaches the photos route: the policy Denies it.
    assert!(!allows(&t, &readers, "GET/pets/7/photos"));
    assert!(readers.policy_document.contains(r#""Effect":"Deny""#));
    assert_eq!(readers.answer, Answer::Complete);
    assert!(t.inexact_scopes().is_empty());
    assert_eq!(&*readers.scope, "us-east-1_PetPool|readers");
    let admins = grant(&t, &["admins"]);
    assert!(allows(&t, &admins, "GET/pets/7/photos"));
    assert!(!admins.policy_document.contains("Deny"));
}

#[test]
fn any_principal_is_every_token_and_forbid_takes_away() {
    let t = table(&store()).unwrap();
    let nobody = grant(&t, &[]);
    assert!(allows(&t, &nobody, "GET/health"));
    assert!(!allows(&t, &nobody, "GET/pets"));
    assert_eq!(&*nobody.scope, "");
    let suspended = grant(&t, &["admins", "suspended"]);
    assert!(allows(&t, &suspended, "GET/pets/7/photos"));
    assert!(!allows(&t, &suspended, "POST/pets"));
    assert!(!allows(&t, &suspended, "DELETE/pets/7"));
}

#[test]
fn what_a_cached_policy_cannot_honour_is_refused_naming_the_policy() {
    for (text, needle) in [
        (
            r#"permit(principal in PetStore::UserGroup::"g", action, resource) when { context has x };"#,
            "`when` or `unless`",
        ),
        (
            r#"permit(principal == PetStore::User::"alice", action, resource);"#,
            "not a group",
        ),
        (
            r#"permit(principal, action, resource == PetStore::Application::"x");"#,
            "constrains `resource`",
        ),
    ] {
        let e = one(text).unwrap_err();
        assert!(e.starts_with("policy `p1`: "), "{e}");
        assert!(e.contains(needle), "{text}: {e}");
    }
    for (text, needle) in [
        (
            r#"permit(principal, action == PetStore::Action::"get /nowhere", resource);"#,
            "action `get /nowhere` is not a route",
        ),
        (
            r#"permit(principal in PetStore::Team::"t", action, resource);"#,
            "entity type `PetStore::Team` is not in the schema",
        ),
        (
            r#"permit(principal in PetStore::Application::"a", action, resource);"#,
            "no principal type of the schema can be in a `PetStore::Application`",
        ),
        (
            r#"permit(principal is PetStore::Application in PetStore::UserGroup::"g", action, resource);"#,
            "is not a group or any principal",
        ),
    ] {
        let e = one(text).unwrap_err();
        assert!(
            e.starts_with("policy `p1`: ") && e.contains(needle),
            "{text}: {e}"
        );
    }
    let e = one("permit(principal in ?principal, action, resource);").unwrap_err();
    assert!(e.contains("template"), "{e}");
    let e = one("permit(principal, action, resource").unwrap_err();
    assert!(e.starts_with("p1: not Cedar"), "{e}");
}

#[test]
fn a_grant_whose_deny_would_block_a_granted_route_is_inexact() {
    let schema = r#"{"A": {"entityTypes": {"G": {}, "U": {"memberOfTypes": ["G"]}, "R": {}},
        "actions": {
            "get /{proxy+}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
            "get /pets/{id}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}}}}}"#;
    let text = r#"permit(principal in A::G::"g", action == A::Action::"get /{proxy+}", resource);"#;
    let t = compile(
        &[PolicyFile {
            name: "p".into(),
            text: text.into(),
        }],
        schema,
        &Api::parse(API).unwrap(),
        PermissionLimits::default(),
    )
    .unwrap();
    let g = Grant::render(&t, &t.bits(["g"]));
    // Denying `GET/pets/*` would also block `GET /pets/1/2`, which routes
    // to the granted proxy: no complete policy is exact.
    assert_eq!(g.answer, Answer::Inexact);
    assert_eq!(t.inexact_scopes(), ["g"]);
    assert!(!allows(&t, &g, "GET/pets/1"));
    assert!(allows(&t, &g, "GET/other"));
}

#[test]
fn the_api_must_be_literal() {
    assert!(Api::parse(API).is_ok());
    for bad in [
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
        "arn:aws:execute-api:*:123456789012:abcdef1234/prod",
    ] {
        assert!(Api::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_schema_with_two_principal_types_is_refused() {
    let schema = r#"{"A": {"entityTypes": {"G": {}, "U": {"memberOfTypes": ["G"]}, "S": {}, "R": {}},
        "actions": {
            "get /a": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
            "get /b": {"appliesTo": {"principalTypes": ["S"], "resourceTypes": ["R"]}}}}}"#;
    let e = compile(
        &[PolicyFile {
            name: "p".into(),
            text: "permit(principal is A::S, action, resource);".into(),
        }],
        schema,
        &Api::parse(API).unwrap(),
        PermissionLimits::default(),
    )
    .unwrap_err();
    assert!(e.contains("2 principal types"), "{e}");
}
