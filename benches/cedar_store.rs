//! Cedar policy stores (issue 23 §2): the start-up cost of parsing,
//! checking and compiling a store of 100 and 1,000 policies (each a group
//! granted two routes of a 1,000-route API, as the quick start writes
//! them, with a `{param}` route under each resource so Denies are measured
//! too), the render of a new group set's policy, a per-route answer's
//! decision (the route selected, or IAM matching), Cedar's validator on the
//! store (which start-up does not run), and — for the comparison the design
//! rests on — the Cedar engine deciding one request against the same
//! store, which the quick start's authorizer pays (through Verified
//! Permissions) on every cache miss.
//!
//! cargo bench --bench cedar_store

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request, Schema, ValidationMode,
    Validator,
};
use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::cedar::{Api, PolicyFile, compile};
use scopegate::policy::Grant;
use scopegate::scopes::PermissionLimits;
use std::collections::HashSet;
use std::hint::black_box;
use std::str::FromStr;

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
const RESOURCES: usize = 500;

/// The schema: `get /orders/vN` and `get /orders/vN/{id}` for every N.
fn schema() -> String {
    let applies =
        r#"{"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Application"]}}"#;
    let actions: Vec<String> = (0..RESOURCES)
        .flat_map(|i| {
            [
                format!(r#""get /orders/v{i:03}": {applies}"#),
                format!(r#""get /orders/v{i:03}/{{id}}": {applies}"#),
            ]
        })
        .collect();
    format!(
        r#"{{"Api": {{"entityTypes": {{"UserGroup": {{}}, "User": {{"memberOfTypes": ["UserGroup"]}}, "Application": {{}}}}, "actions": {{{}}}}}}}"#,
        actions.join(",")
    )
}

/// `n` policies: group g{i} may read resource i % RESOURCES and one of its items.
fn store(n: usize) -> Vec<PolicyFile> {
    (0..n)
        .map(|i| {
            let r = i % RESOURCES;
            PolicyFile {
                name: format!("p{i}"),
                text: format!(
                    r#"permit(principal in Api::UserGroup::"pool|g{i}", action in [Api::Action::"get /orders/v{r:03}", Api::Action::"get /orders/v{r:03}/{{id}}"], resource);"#
                ),
            }
        })
        .collect()
}

fn limits() -> PermissionLimits {
    PermissionLimits {
        max_bytes: 1 << 24,
        max_rules: 100_000,
    }
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    let api = Api::parse(API).unwrap();
    let mut g = c.benchmark_group("cedar_store");
    g.sample_size(10);
    for n in [100, 1000] {
        let files = store(n);
        g.bench_function(format!("start_{n}_policies"), |b| {
            b.iter(|| black_box(compile(&files, &schema, &api, limits()).unwrap()));
        });
    }
    let files = store(1000);
    let table = compile(&files, &schema, &api, limits()).unwrap();
    let groups = ["pool|g1", "pool|g2", "pool|g503"];
    g.bench_function("render_new_group_set", |b| {
        b.iter(|| black_box(Grant::render(&table, &table.bits(groups))));
    });
    // A per-route answer's decision for one request: the route API Gateway
    // selects, then the grant's ranks; against IAM matching on the same grant.
    let grant = Grant::render(&table, &table.bits(groups));
    let arn = format!("{API}/GET/orders/v003/42");
    assert!(grant.allows_request(&table, &arn));
    g.bench_function("per_route_selected", |b| {
        b.iter(|| black_box(grant.allows_request(&table, black_box(&arn))));
    });
    g.bench_function("per_route_iam_match", |b| {
        b.iter(|| black_box(grant.allows(&table, black_box(&arn))));
    });

    // The engine on one request, the store as one set (how an authorizer
    // evaluating Cedar per cache miss pays).
    let cedar_schema = Schema::from_json_str(&schema).unwrap();
    let mut set = PolicySet::new();
    for f in &files {
        set.add(
            cedar_policy::Policy::parse(Some(cedar_policy::PolicyId::new(&f.name)), &f.text)
                .unwrap(),
        )
        .unwrap();
    }
    // Cedar's validator on the same store: what start-up would pay to run it
    // (src/cedar.rs says why it does not).
    let validator = Validator::new(cedar_schema.clone());
    g.bench_function("cedar_validate_1000_policies", |b| {
        b.iter(|| {
            black_box(
                validator
                    .validate(&set, ValidationMode::Strict)
                    .validation_passed(),
            )
        });
    });
    let user = EntityUid::from_str(r#"Api::User::"u""#).unwrap();
    let parents: HashSet<EntityUid> = groups
        .iter()
        .map(|g| EntityUid::from_str(&format!(r#"Api::UserGroup::"{g}""#)).unwrap())
        .collect();
    let mut entities: Vec<Entity> = parents
        .iter()
        .map(|p| Entity::new_no_attrs(p.clone(), HashSet::new()))
        .collect();
    entities.push(Entity::new_no_attrs(user.clone(), parents));
    let entities = Entities::from_entities(entities, None)
        .unwrap()
        .add_entities(cedar_schema.action_entities().unwrap(), None)
        .unwrap();
    let action = EntityUid::from_str(r#"Api::Action::"get /orders/v003/{id}""#).unwrap();
    let app = EntityUid::from_str(r#"Api::Application::"app""#).unwrap();
    let request = Request::new(user, action, app, Context::empty(), None).unwrap();
    let authorizer = Authorizer::new();
    g.bench_function("cedar_is_authorized_1000_policies", |b| {
        b.iter(|| black_box(authorizer.is_authorized(&request, &set, &entities)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
