//! The policy's size (issue 21 §1): no answer's policy document exceeds
//! `SCOPEGATE_POLICY_MAX_BYTES`; with `SCOPEGATE_ROUTES` the complete
//! policy is compacted so that it allows exactly what the uncompacted one
//! allows on every request to every route (a property test over generated
//! routes, documents and tokens); past the budget a token gets the policy of
//! its route (or 401), counted; and the start says when a token holding
//! every scope would be over it.

mod support;

use proptest::prelude::*;
use scopegate::config::{Config, Strings};
use scopegate::policy::{Grant, Layout, Shape, iam_match, without_covered};
use scopegate::routes::{Routes, Segment};
use scopegate::scopes::{PermissionLimits, ScopeTable, parse_rules};
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use std::sync::Arc;
use support::*;

const VERBS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// The issue's API: 40 resources × 5 methods, every rule granted by `admin`.
fn api_200() -> (String, Vec<String>) {
    let mut rules = Vec::new();
    let mut routes = Vec::new();
    for i in 0..40 {
        for verb in VERBS {
            rules.push(format!(
                r#"{{"arn":"{ARN}","resource":"resource{i:02}","stage":"prod","httpVerb":"{verb}","scope":"admin"}}"#
            ));
            routes.push(format!("{verb} /resource{i:02}"));
        }
    }
    (format!("[{}]", rules.join(",")), routes)
}

fn admin(keys: &Keys) -> String {
    keys.es256
        .sign(&payload(r#","scope":"admin""#).replace(r#""scp":["orders.read"],"#, ""))
        .unwrap()
}

fn event(token: &str, method: &str, resource: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{ARN}/prod/{method}/{resource}"}}"#
    )
}

fn policy_document(body: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["policyDocument"].clone()
}

#[test]
fn the_complete_policy_of_200_routes_was_over_15_kb_and_now_fits() {
    let keys = Keys::load();
    let (document, routes) = api_200();
    let token = admin(&keys);
    // Before: every Resource, 15,288 bytes (the issue's figure).
    let table = ScopeTable::compile(
        &parse_rules(document.as_bytes(), PermissionLimits::default()).unwrap(),
    );
    let complete = Grant::render(&table, &table.bits(["admin"]));
    assert!(
        complete.policy_document.len() > 15_000,
        "{}",
        complete.policy_document.len()
    );
    // Without routes nothing can be merged exactly: over the budget, so
    // each answer is the policy of its own route, and fits.
    let plain = authorizer_with(&keys, &[("SCOPEGATE_PERMISSIONS", &document)]);
    for (method, resource, allowed) in [
        ("GET", "resource07", true),
        ("DELETE", "resource39", true),
        ("GET", "resource40", false),
        ("HEAD", "resource07", false),
    ] {
        let r = plain.handle(&event(&token, method, resource), NOW).unwrap();
        let doc = policy_document(&r.body());
        assert!(doc.to_string().len() <= 8192);
        let statement = &doc["Statement"][0];
        if allowed {
            assert_eq!(r.decision, Decision::Allow);
            assert_eq!(
                statement["Resource"],
                serde_json::json!([format!("{ARN}/prod/{method}/{resource}")])
            );
        } else {
            assert_eq!(r.decision, Decision::Deny);
            assert_eq!(statement["Effect"], "Deny");
        }
    }
    // With the routes, the complete policy fits: one wildcard per method.
    let routes = serde_json::to_string(&routes).unwrap();
    let shaped = authorizer_with(
        &keys,
        &[
            ("SCOPEGATE_PERMISSIONS", &document),
            ("SCOPEGATE_ROUTES", &routes),
        ],
    );
    let r = shaped
        .handle(&event(&token, "GET", "resource07"), NOW)
        .unwrap();
    let doc = policy_document(&r.body());
    let resources: Vec<String> = doc["Statement"][0]["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        resources,
        VERBS
            .map(|v| format!("{ARN}/prod/{v}/*"))
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert!(doc.to_string().len() < 1000);
}

#[test]
fn overflow_unauthorized_refuses_with_its_reason() {
    let keys = Keys::load();
    let (document, _) = api_200();
    let auth = authorizer_with(
        &keys,
        &[
            ("SCOPEGATE_PERMISSIONS", &document),
            ("SCOPEGATE_POLICY_OVERFLOW", "unauthorized"),
        ],
    );
    assert_eq!(
        auth.handle(&event(&admin(&keys), "GET", "resource01"), NOW)
            .unwrap_err(),
        Reject::PolicyTooLarge
    );
    // A token whose policy fits is unaffected.
    let small = keys
        .es256
        .sign(&payload(r#","scope":"nothing""#).replace(r#""scp":["orders.read"],"#, ""))
        .unwrap();
    assert_eq!(
        auth.handle(&event(&small, "GET", "resource01"), NOW)
            .unwrap()
            .decision,
        Decision::Deny
    );
}

#[test]
fn the_start_warns_when_every_scope_would_be_over_the_budget() {
    let keys = Keys::load();
    let (document, _) = api_200();
    let dir = std::env::temp_dir().join(format!("scopegate-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), keys.jwks()).unwrap();
    std::fs::write(dir.join("permissions.json"), &document).unwrap();
    std::fs::write(
        dir.join("events.jsonl"),
        event(&admin(&keys), "GET", "resource01") + "\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = replay_command()
            .args(["--jwks-file", dir.join("jwks.json").to_str().unwrap()])
            .args([
                "--permissions",
                dir.join("permissions.json").to_str().unwrap(),
            ])
            .args(["--prometheus", dir.join("metrics.prom").to_str().unwrap()])
            .args(extra)
            .arg(dir.join("events.jsonl"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let metrics = std::fs::read_to_string(dir.join("metrics.prom")).unwrap();
        (String::from_utf8_lossy(&out.stderr).to_string(), metrics)
    };
    let (stderr, metrics) = run(&[]);
    let warn = stderr
        .lines()
        .find(|l| l.contains("every scope"))
        .unwrap_or_else(|| panic!("no WARN line: {stderr}"));
    let warn: serde_json::Value = serde_json::from_str(warn).unwrap();
    assert_eq!(warn["level"], "WARN");
    assert_eq!(warn["max_bytes"], 8192);
    assert!(warn["policy_bytes"].as_u64().unwrap() > 8192);
    assert!(
        metrics.contains("scopegate_policy_worst_case_over_budget_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"scopegate_policy_overflow_total{action="route"} 1"#),
        "{metrics}"
    );
    // A budget it fits in: no line, no count.
    let (stderr, metrics) = run(&["--set", "SCOPEGATE_POLICY_MAX_BYTES=16384"]);
    assert!(!stderr.contains("every scope"), "{stderr}");
    assert!(
        !metrics.contains("scopegate_policy_worst_case_over_budget_total 1"),
        "{metrics}"
    );
}

#[test]
fn bad_budget_and_routes_stop_the_start_naming_the_setting() {
    let keys = Keys::load();
    for (var, value, needle) in [
        ("SCOPEGATE_POLICY_MAX_BYTES", "512", "at least"),
        (
            "SCOPEGATE_POLICY_OVERFLOW",
            "truncate",
            "route, unauthorized",
        ),
        ("SCOPEGATE_ROUTES", r#"["GET pets"]"#, "must start with /"),
        (
            "SCOPEGATE_ROUTES",
            "/nonexistent/routes.json",
            "cannot read",
        ),
    ] {
        let settings = settings(&keys, &[(var, value)]);
        let error = Config::from_strings(&settings as &dyn Strings)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                Authorizer::from_config(&c)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .unwrap_err();
        assert!(error.contains(var) && error.contains(needle), "{error}");
    }
}

// ---- the property: compaction on the routes is exact -----------------

const SEGMENTS: [&str; 5] = ["a", "b", "c", "{p}", "{proxy+}"];
const GLOB_PARTS: [&str; 7] = ["a", "b", "c", "*", "?", "a*", "x"];
const METHODS: [&str; 4] = ["GET", "POST", "DELETE", "*"];
const SCOPES: [&str; 4] = ["s0", "s1", "s2", "s3"];

/// A route path from segment choices; a proxy ends it.
fn route_path(choices: &[usize]) -> String {
    let mut parts = Vec::new();
    for &c in choices {
        parts.push(SEGMENTS[c]);
        if SEGMENTS[c] == "{proxy+}" {
            break;
        }
    }
    format!("/{}", parts.join("/"))
}

/// Concrete request paths for a route: each parameter takes a few values,
/// literal-looking ones included (so they collide with other routes).
fn requests(route: &scopegate::routes::Route) -> Vec<String> {
    let mut paths = vec![String::new()];
    for (i, segment) in route.segments.iter().enumerate() {
        let values: Vec<&str> = match segment {
            Segment::Literal(l) => vec![l.as_ref()],
            Segment::Param => vec!["a", "x", "ab"],
            Segment::Proxy => vec!["a", "a/b", "x/y/z"],
        };
        paths = paths
            .iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    if i == 0 {
                        (*v).to_string()
                    } else {
                        format!("{p}/{v}")
                    }
                })
            })
            .collect();
    }
    paths
}

fn allows(resources: &[&str], arn: &str) -> bool {
    resources.iter().any(|r| iam_match(r, arn))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn compaction_on_the_routes_allows_exactly_what_the_complete_policy_allows(
        route_choices in prop::collection::vec((0..3usize, prop::collection::vec(0..SEGMENTS.len(), 0..4)), 1..8),
        rule_choices in prop::collection::vec((0..METHODS.len(), prop::collection::vec(0..GLOB_PARTS.len(), 0..4), 0..SCOPES.len()), 1..12),
        held in prop::collection::vec(any::<bool>(), SCOPES.len()),
    ) {
        let routes: Vec<String> = route_choices
            .iter()
            .map(|(v, segs)| format!("{} {}", METHODS[*v], route_path(segs)))
            .collect();
        let routes = Routes::parse(serde_json::to_string(&routes).unwrap().as_bytes()).unwrap();
        let rules: Vec<String> = rule_choices
            .iter()
            .map(|(m, parts, s)| {
                let resource: Vec<&str> = parts.iter().map(|p| GLOB_PARTS[*p]).collect();
                format!(
                    r#"{{"arn":"{ARN}","resource":"{}","stage":"prod","httpVerb":"{}","scope":"{}"}}"#,
                    resource.join("/"), METHODS[*m], SCOPES[*s]
                )
            })
            .collect();
        let table = ScopeTable::compile(
            &parse_rules(format!("[{}]", rules.join(",")).as_bytes(), PermissionLimits::default()).unwrap(),
        );
        let scopes: Vec<&str> = SCOPES.iter().zip(&held).filter(|(_, h)| **h).map(|(s, _)| *s).collect();
        let bits = table.bits(scopes.iter().copied());
        let complete: Vec<&str> = table.resources(&bits);
        let shape = Shape { routes: Some(Arc::new(routes.clone())), max_bytes: 1 << 20, ..Shape::default() };
        let grant = Grant::render_shaped(&table, &Layout::new(Arc::new(shape), &table), &bits);
        let doc: serde_json::Value = serde_json::from_str(&grant.policy_document).unwrap();
        let compacted: Vec<String> = match &doc["Statement"][0]["Resource"] {
            serde_json::Value::Array(a) => a.iter().map(|r| r.as_str().unwrap().to_string()).collect(),
            _ => Vec::new(),
        };
        let compacted: Vec<&str> = compacted.iter().map(String::as_str).collect();
        prop_assert!(grant.policy_document.len() <= Grant::render(&table, &bits).policy_document.len());
        for route in routes.all() {
            let arns: Vec<String> = if route.is_route_key() {
                vec![format!("{ARN}/prod/{}", route.verb)]
            } else {
                requests(route).iter().map(|p| format!("{ARN}/prod/{}/{p}", route.verb)).collect()
            };
            for arn in arns {
                prop_assert_eq!(
                    allows(&complete, &arn),
                    allows(&compacted, &arn),
                    "{} on {} with {:?}: complete {:?}, compacted {:?}",
                    arn, route, scopes, complete, compacted
                );
            }
        }
    }

    /// Without routes, only Resources another one covers are dropped: the
    /// same answer for any method ARN at all.
    #[test]
    fn compaction_without_routes_is_exact_for_every_request(
        rule_choices in prop::collection::vec((0..METHODS.len(), prop::collection::vec(0..GLOB_PARTS.len(), 0..4)), 1..10),
        probes in prop::collection::vec((0..3usize, prop::collection::vec(0..GLOB_PARTS.len(), 0..5)), 1..20),
    ) {
        let rules: Vec<String> = rule_choices
            .iter()
            .map(|(m, parts)| {
                let resource: Vec<&str> = parts.iter().map(|p| GLOB_PARTS[*p]).collect();
                format!(
                    r#"{{"arn":"{ARN}","resource":"{}","stage":"prod","httpVerb":"{}","scope":"s"}}"#,
                    resource.join("/"), METHODS[*m]
                )
            })
            .collect();
        let table = ScopeTable::compile(
            &parse_rules(format!("[{}]", rules.join(",")).as_bytes(), PermissionLimits::default()).unwrap(),
        );
        let bits = table.bits(["s"]);
        let complete = table.resources(&bits);
        let compacted = without_covered(&table, &table.resource_ranks(&bits));
        let compacted: Vec<&str> = compacted.iter().map(String::as_str).collect();
        prop_assert!(compacted.len() <= complete.len());
        for (verb, parts) in probes {
            // Probe paths made of the same pieces, wildcard characters as literals.
            let path: Vec<&str> = parts.iter().map(|p| GLOB_PARTS[*p]).collect();
            let arn = format!("{ARN}/prod/{}/{}", METHODS[verb], path.join("/"));
            prop_assert_eq!(allows(&complete, &arn), allows(&compacted, &arn), "{}", arn);
        }
    }
}

#[test]
fn settings_reach_the_config() {
    let keys = Keys::load();
    let m: HashMap<String, String> = settings(&keys, &[("SCOPEGATE_POLICY_MAX_BYTES", "4096")]);
    let c = Config::from_strings(&m as &dyn Strings).unwrap();
    assert_eq!(c.policy_max_bytes, 4096);
}
