//! The policy's shape (issue 21 §1, §4): what compaction on the API's
//! routes saves and costs, on a 200- and a 1,000-route API (every resource
//! with GET/POST/PUT/DELETE/PATCH; `admin` holds every route, `reader`
//! every GET, `r{i}` one resource): the policy bytes before and after
//! (printed once), the start-up work (compiling the document and measuring
//! it on the routes), the render of a new scope set, and the per-request
//! route check of a grant with 2,000 wildcard Resources.
//!
//! cargo bench --bench policy_shape

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::policy::{Grant, Layout, Shape};
use scopegate::routes::Routes;
use scopegate::scopes::{PermissionLimits, ScopeTable, parse_rules};
use std::hint::black_box;
use std::sync::Arc;

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";
const VERBS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// `resources` × 5 methods: the document and the routes.
fn api(resources: usize) -> (String, String) {
    let mut rules = Vec::new();
    let mut routes = Vec::new();
    for i in 0..resources {
        for verb in VERBS {
            let path = format!("orders/v{i:03}");
            for scope in ["admin".to_string(), format!("r{i}")] {
                rules.push(format!(
                    r#"{{"arn":"{ARN}","resource":"{path}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
                ));
            }
            if verb == "GET" {
                rules.push(format!(
                    r#"{{"arn":"{ARN}","resource":"{path}","stage":"prod","httpVerb":"GET","scope":"reader"}}"#
                ));
            }
            routes.push(format!("\"{verb} /{path}\""));
        }
    }
    (
        format!("[{}]", rules.join(",")),
        format!("[{}]", routes.join(",")),
    )
}

fn compile(document: &str, routes: Option<&str>) -> (ScopeTable, Layout) {
    let limits = PermissionLimits {
        max_bytes: 1 << 24,
        max_rules: 100_000,
    };
    let table = ScopeTable::compile(&parse_rules(document.as_bytes(), limits).unwrap());
    let shape = Shape {
        routes: routes.map(|r| Arc::new(Routes::parse(r.as_bytes()).unwrap())),
        max_bytes: 1 << 20,
        ..Shape::default()
    };
    let layout = Layout::new(Arc::new(shape), &table);
    (table, layout)
}

fn sizes() {
    for n in [40, 200] {
        let (document, routes) = api(n);
        let (table, plain) = compile(&document, None);
        let (_, shaped) = compile(&document, Some(&routes));
        for scopes in [&["admin"][..], &["reader"], &["r7", "r9", "reader"]] {
            let bits = table.bits(scopes.iter().copied());
            let before = Grant::render(&table, &bits).policy_document.len();
            let without = Grant::render_shaped(&table, &plain, &bits)
                .policy_document
                .len();
            let with = Grant::render_shaped(&table, &shaped, &bits)
                .policy_document
                .len();
            eprintln!(
                "{} routes, {:?}: {before} bytes complete; {without} compacted without routes (under the budget nothing is tried); {with} on the routes",
                n * 5,
                scopes
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    sizes();
    let mut g = c.benchmark_group("policy_shape");
    for n in [40, 200] {
        let (document, routes) = api(n);
        g.bench_function(format!("start-up/{}-routes", n * 5), |b| {
            b.iter(|| black_box(compile(black_box(&document), Some(&routes))));
        });
        g.bench_function(format!("start-up-without-routes/{}-routes", n * 5), |b| {
            b.iter(|| black_box(compile(black_box(&document), None)));
        });
        let (table, layout) = compile(&document, Some(&routes));
        let bits = table.bits(["admin"]);
        g.bench_function(format!("render-admin/{}-routes", n * 5), |b| {
            b.iter(|| black_box(Grant::render_shaped(&table, &layout, black_box(&bits))));
        });
        let bits = table.bits(["r7", "r9", "reader"]);
        g.bench_function(format!("render-three-scopes/{}-routes", n * 5), |b| {
            b.iter(|| black_box(Grant::render_shaped(&table, &layout, black_box(&bits))));
        });
    }
    // The route check (simple responses, overflow answers): 2,000 wildcard
    // Resources and a 1,500-byte path that no literal end matches.
    let document = scopegate::testkit::documents::wildcard_both_ends(ARN, 1000, "s");
    let (table, _) = compile(&document, None);
    let grant = Grant::render(&table, &table.bits(["s"]));
    let arn = format!("{ARN}/prod/GET/{}x", "a/".repeat(700));
    g.bench_function("route-check/2000-wildcards-1500-byte-path", |b| {
        b.iter(|| black_box(grant.allows(&table, black_box(&arn))));
    });
    g.bench_function("route-check-whole-arn/2000-wildcards-1500-byte-path", |b| {
        b.iter(|| {
            black_box(
                table
                    .resources(&table.bits(["s"]))
                    .iter()
                    .any(|r| scopegate::policy::iam_match(r, black_box(&arn))),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
