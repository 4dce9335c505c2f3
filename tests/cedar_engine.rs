//! scopegate decides a Cedar policy store as the Cedar engine does. For
//! generated stores (permits and forbids, a principal in a group or any,
//! overlapping groups of two issuers, routes whose `{param}`s and
//! `{proxy+}` overlap), tokens and a request to every route, the policy
//! scopegate answers — evaluated as IAM does, Deny over Allow — decides
//! the request as `cedar_policy::Authorizer::is_authorized` decides the
//! action of the route API Gateway selects for the request. A grant no
//! complete policy can express exactly (`Answer::Inexact`) is answered per
//! route, and that answer too decides every request as Cedar does.
#![cfg(feature = "cedar")]

mod support;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request, Schema,
    ValidationMode, Validator,
};
use proptest::prelude::*;
use scopegate::cedar::{Api, PolicyFile, compile};
use scopegate::policy::{Answer, Grant};
use scopegate::scopes::PermissionLimits;
use std::collections::HashSet;
use std::str::FromStr;

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
/// Paths whose languages overlap in every way IAM's `*` can blur.
const PATHS: [&str; 10] = [
    "/",
    "/a",
    "/a/b",
    "/a/{x}",
    "/a/{x}/b",
    "/a/{x}/{y}",
    "/a/{proxy+}",
    "/c/{x}",
    "/c/{x}/d/{y}",
    "/{proxy+}",
];
const VERBS: [&str; 2] = ["get", "post"];
/// Groups as the token carries them: two issuers' prefixes, shared names.
const GROUPS: [&str; 5] = [
    "pool1|readers",
    "pool1|writers",
    "pool2|readers",
    "pool2|admins",
    "pool1|suspended",
];
/// Values a request puts in a parameter (some equal to literals).
const VALUES: [&str; 4] = ["v", "b", "d", "v/w"];

#[derive(Debug, Clone)]
struct Policy {
    forbid: bool,
    /// `None`: any principal.
    group: Option<usize>,
    /// Indexes into the store's routes.
    actions: Vec<usize>,
}

fn action_id(route: &(usize, usize)) -> String {
    format!("{} {}", VERBS[route.0], PATHS[route.1])
}

fn schema(routes: &[(usize, usize)]) -> String {
    let actions: Vec<String> = routes
        .iter()
        .map(|r| {
            format!(
                r#""{}": {{"appliesTo": {{"principalTypes": ["User"], "resourceTypes": ["Application"]}}}}"#,
                action_id(r)
            )
        })
        .collect();
    format!(
        r#"{{"Api": {{"entityTypes": {{"UserGroup": {{}}, "User": {{"memberOfTypes": ["UserGroup"]}}, "Application": {{}}}},
            "actions": {{{}}}}}}}"#,
        actions.join(",")
    )
}

fn policy_text(p: &Policy, routes: &[(usize, usize)]) -> String {
    let principal = match p.group {
        None => "principal".to_string(),
        Some(g) => format!(r#"principal in Api::UserGroup::"{}""#, GROUPS[g]),
    };
    let actions: Vec<String> = p
        .actions
        .iter()
        .map(|&a| format!(r#"Api::Action::"{}""#, action_id(&routes[a])))
        .collect();
    format!(
        "{}({principal}, action in [{}], resource);",
        if p.forbid { "forbid" } else { "permit" },
        actions.join(", ")
    )
}

/// Whether `path` is in the language of `pattern` (`{x}` one segment,
/// `{proxy+}` one or more): the test's own reading of API Gateway paths.
fn in_language(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let s: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if pattern == "/" || path == "/" {
        return pattern == path;
    }
    for (i, seg) in p.iter().enumerate() {
        if seg.ends_with("+}") {
            return s.len() > i;
        }
        let Some(value) = s.get(i) else {
            return false;
        };
        if !(seg.starts_with('{') || seg == value) {
            return false;
        }
    }
    p.len() == s.len()
}

/// The route API Gateway selects for `path` among the store's routes of
/// `verb`: of those whose language holds it, the one that, at the first
/// segment where they differ, has a literal over a `{param}` over a
/// `{proxy+}` (the test's own reading of REST API precedence).
fn selected_route(routes: &[(usize, usize)], verb: usize, path: &str) -> usize {
    let rank = |pattern: &str| -> Vec<u8> {
        pattern
            .trim_start_matches('/')
            .split('/')
            .map(|seg| {
                if seg.ends_with("+}") {
                    0
                } else if seg.starts_with('{') {
                    1
                } else {
                    2
                }
            })
            .collect()
    };
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == verb && in_language(PATHS[r.1], path))
        .max_by_key(|(_, r)| rank(PATHS[r.1]))
        .map(|(i, _)| i)
        .expect("a request to a route is in its own language")
}

/// Requests to `path`'s route: its parameters filled with every value.
fn requests(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    if path == "/" {
        return vec!["/".into()];
    }
    for seg in path.trim_start_matches('/').split('/') {
        let choices: Vec<&str> = if seg.starts_with('{') {
            VALUES
                .iter()
                .copied()
                .filter(|v| seg.ends_with("+}") || !v.contains('/'))
                .collect()
        } else {
            vec![seg]
        };
        out = out
            .iter()
            .flat_map(|prefix| choices.iter().map(move |c| format!("{prefix}/{c}")))
            .collect();
    }
    out
}

/// Routes (method, path indexes), the store's policies, and tokens (group indexes).
type Case = (Vec<(usize, usize)>, Vec<Policy>, Vec<Vec<usize>>);

fn store() -> impl Strategy<Value = Case> {
    prop::collection::btree_set((0..VERBS.len(), 0..PATHS.len()), 1..9).prop_flat_map(|routes| {
        let routes: Vec<(usize, usize)> = routes.into_iter().collect();
        let n = routes.len();
        let policy = (
            prop::bool::weighted(0.25),
            prop::option::weighted(0.85, 0..GROUPS.len()),
            prop::collection::vec(0..n, 1..=n),
        )
            .prop_map(|(forbid, group, actions)| Policy {
                forbid,
                group,
                actions,
            });
        (
            Just(routes),
            prop::collection::vec(policy, 1..7),
            prop::collection::vec(prop::collection::vec(0..GROUPS.len(), 0..4), 1..5),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn scopegate_decides_every_route_as_the_cedar_engine((routes, policies, tokens) in store()) {
        let schema_text = schema(&routes);
        let files: Vec<PolicyFile> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| PolicyFile { name: format!("p{i}"), text: policy_text(p, &routes) })
            .collect();
        let table = compile(&files, &schema_text, &Api::parse(API).unwrap(), PermissionLimits::default())
            .unwrap();

        let cedar_schema = Schema::from_json_str(&schema_text).unwrap();
        let mut set = PolicySet::new();
        for f in &files {
            let p = cedar_policy::Policy::parse(Some(cedar_policy::PolicyId::new(&f.name)), &f.text).unwrap();
            set.add(p).unwrap();
        }
        // What scopegate accepts, Cedar's validator accepts too.
        let validation = Validator::new(cedar_schema.clone()).validate(&set, ValidationMode::Strict);
        prop_assert!(validation.validation_passed(), "{:?}", validation.validation_errors().next());
        let app = EntityUid::from_str(r#"Api::Application::"app""#).unwrap();
        for groups in &tokens {
            let user = EntityUid::from_str(r#"Api::User::"u""#).unwrap();
            let parents: HashSet<EntityUid> = groups
                .iter()
                .map(|&g| EntityUid::from_str(&format!(r#"Api::UserGroup::"{}""#, GROUPS[g])).unwrap())
                .collect();
            let mut entities: Vec<Entity> = parents.iter().map(|g| Entity::new_no_attrs(g.clone(), HashSet::new())).collect();
            entities.push(Entity::new_no_attrs(user.clone(), parents));
            entities.push(Entity::new_no_attrs(app.clone(), HashSet::new()));
            let entities = Entities::from_entities(entities, None)
                .unwrap()
                .add_entities(cedar_schema.action_entities().unwrap(), None)
                .unwrap();

            let scopes: Vec<&str> = groups.iter().map(|&g| GROUPS[g]).collect();
            let grant = Grant::render(&table, &table.bits(scopes.iter().copied()));
            let cedar: Vec<bool> = routes
                .iter()
                .map(|route| {
                    let action = EntityUid::from_str(&format!(r#"Api::Action::"{}""#, action_id(route))).unwrap();
                    let request = Request::new(user.clone(), action, app.clone(), Context::empty(), None).unwrap();
                    Authorizer::new().is_authorized(&request, &set, &entities).decision() == Decision::Allow
                })
                .collect();
            for route in &routes {
                for concrete in requests(PATHS[route.1]) {
                    // The route API Gateway sends this request to (it may be
                    // another route: `/a/b` is `/a/b`'s, not `/a/{x}`'s);
                    // Cedar decides that route's action.
                    let selected = selected_route(&routes, route.0, &concrete);
                    let expected = cedar[selected];
                    let arn = format!("{API}/{}{}", VERBS[route.0].to_uppercase(), concrete);
                    // Per route (an over-budget or inexact answer, a simple
                    // response): exact for every grant.
                    let routed = grant.allows_request(&table, &arn);
                    prop_assert_eq!(routed, expected, "per route {} for {:?}", arn, scopes);
                    if grant.answer == Answer::Complete {
                        let document: serde_json::Value = serde_json::from_str(&grant.policy_document).unwrap();
                        let allowed = support::iam_allows(&document, &arn);
                        prop_assert_eq!(allowed, expected, "{} for {:?}: {}", arn, scopes, grant.policy_document);
                    }
                }
            }
        }
    }
}
