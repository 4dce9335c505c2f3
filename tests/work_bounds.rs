//! No input makes one authorization do unbounded work. Shown by counting
//! work, not by timing: matcher steps, and the limits that stop hostile
//! input before any expensive stage.

mod support;

use scopegate::Reject;
use scopegate::policy::iam_match_counted;
use support::*;

#[test]
fn iam_matching_is_at_most_pattern_times_value_steps_on_adversarial_input() {
    // The classic backtracking killer: many stars, a value that almost matches.
    let pattern = "*a".repeat(20) + "b";
    let mut last = 0;
    for n in [250, 500, 1000, 2000] {
        let value = "a".repeat(n);
        let (matched, steps) = iam_match_counted(&pattern, &value);
        assert!(!matched);
        let bound = (pattern.len() + 1) * (n + 1);
        assert!(steps <= bound, "n={n}: {steps} steps > {bound}");
        // Doubling the value at most doubles the work (plus a constant): polynomial, not exponential.
        if last > 0 {
            assert!(
                steps <= 2 * last + pattern.len() * 4,
                "n={n}: {steps} after {last}"
            );
        }
        last = steps;
    }
    // Linear when there is no star to retry.
    let (_, steps) = iam_match_counted(
        "arn:aws:execute-api:us-east-1:1:api/prod/GET/pets",
        &"x".repeat(10_000),
    );
    assert!(
        steps <= 1,
        "a mismatch on the first character stops at once"
    );
}

#[test]
fn hostile_sizes_stop_before_decoding_or_verifying() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    // A 1 MB header value is refused on its length alone.
    let huge = "A".repeat(1 << 20);
    assert_eq!(decide(&auth, &huge).unwrap_err(), Reject::TokenTooLarge);
    // Deep nesting and wide objects in the claims stop at the caps, signed or not.
    let deep = payload(&format!(r#","x":{}1{}"#, "[".repeat(64), "]".repeat(64)));
    let token = keys.es256.sign(&deep).unwrap();
    assert_eq!(decide(&auth, &token).unwrap_err(), Reject::JsonLimit);
    let wide: String = (0..500).map(|i| format!(r#","k{i}":0"#)).collect();
    let token = keys.es256.sign(&payload(&wide)).unwrap();
    assert_eq!(decide(&auth, &token).unwrap_err(), Reject::JsonLimit);
    // More scopes than the cap (256), still under the size cap: refused, not mapped.
    let scopes = vec!["s"; 300].join(" ");
    let token = keys
        .es256
        .sign(&payload(&format!(r#","scope":"{scopes}""#)).replace(r#""scp":["orders.read"],"#, ""))
        .unwrap();
    assert_eq!(decide(&auth, &token).unwrap_err(), Reject::TooManyScopes);
}

/// Issue 21 §4: the simple response's route check (and the overflow policy
/// of one route) matched every granted Resource against the whole ARN on
/// every request, memo hits included: 2,000 wildcard Resources and a long
/// path cost about 25 ms. Each Resource's literal ends are now compared
/// first, and the matcher sees only what lies between: the work is a small
/// constant per Resource plus the path, whatever the path holds.
#[test]
fn the_route_check_is_bounded_by_the_grant_not_by_the_path() {
    use scopegate::policy::{Grant, MAX_METHOD_ARN_BYTES};
    use scopegate::scopes::{PermissionLimits, ScopeTable, parse_rules};
    let document = scopegate::testkit::documents::wildcard_both_ends(ARN, 1000, "s");
    let table = ScopeTable::compile(
        &parse_rules(document.as_bytes(), PermissionLimits::default()).unwrap(),
    );
    let grant = Grant::render(&table, &table.bits(["s"]));
    assert_eq!(grant.resources.len(), 2000);
    let per_resource = 1 + (ARN.len() + 32) / 8;
    for (path, allowed) in [
        ("r7/x".to_string(), true),
        (format!("{}r999", "a/".repeat(700)), true),
        (format!("{}x", "r1/".repeat(450)), true),
        (format!("{}x", "a/".repeat(700)), false),
        ("GET".repeat(500), false),
    ] {
        let arn = format!("{ARN}/prod/GET/{path}");
        assert!(arn.len() <= MAX_METHOD_ARN_BYTES);
        let (matched, work) = grant.allows_counted(&table, &arn);
        assert_eq!(matched, allowed, "{path}");
        let bound = 2000 * per_resource + 4 * arn.len();
        assert!(work <= bound, "{} bytes: work {work} > {bound}", arn.len());
        // The whole-ARN matching it replaces, for the record.
        let before: usize = table
            .resources(&table.bits(["s"]))
            .iter()
            .map(|r| iam_match_counted(r, &arn).1)
            .sum();
        assert!(
            matched || work * 10 < before,
            "{} bytes: {work} vs {before} before",
            arn.len()
        );
    }
    // Longer than any method ARN API Gateway sends: nothing, at no cost.
    let huge = format!("{ARN}/prod/GET/{}", "r1/".repeat(3000));
    assert_eq!(grant.allows_counted(&table, &huge), (false, 0));
}

/// Choosing the route a request goes to (a Cedar store's per-route answers
/// and simple responses) visits each node of the method's route tree at
/// most once, whatever the path: here a tree built so that every level
/// offers both a literal and a parameter and nothing ever matches at the
/// end, the shape that makes a naive backtracking matcher exponential.
#[test]
fn route_selection_visits_each_node_of_the_tree_at_most_once() {
    use scopegate::routes::{Route, Selector};
    for depth in [4usize, 8, 16, 32] {
        // `/a/a/…/a/end` and `/{x}/{x}/…/{x}/end` at every length up to `depth`,
        // and literal/param mixes: the tree has both children at each level.
        let mut routes = Vec::new();
        for len in 1..=depth {
            let literal = "/a".repeat(len) + "/end";
            let param = "/{x}".repeat(len) + "/end";
            let mixed = "/a/{x}".repeat(len.div_ceil(2)) + "/end";
            for path in [literal, param, mixed] {
                routes.extend(Route::parse_all("GET", &path).unwrap());
            }
        }
        let selector = Selector::new(&routes);
        let nodes: usize = routes.iter().map(|r| r.segments.len() + 1).sum();
        // Every segment `a`, and a last one no route has.
        let hostile = "a/".repeat(depth) + "nope";
        let (chosen, visited) = selector.select_counted("GET", &hostile);
        assert_eq!(chosen, None);
        assert!(
            visited <= nodes,
            "depth {depth}: visited {visited} nodes, the tree has at most {nodes}"
        );
        // A path longer than any route stops where the tree ends.
        let long = "a/".repeat(700) + "end";
        let (_, visited) = selector.select_counted("GET", &long);
        assert!(visited <= nodes, "depth {depth}: {visited} > {nodes}");
        // The path can follow three chains of the tree (all literal, all
        // parameter, alternating): linear in the depth, where trying the
        // literal and the parameter at every level over and over would be 2^depth.
        let (_, visited) = selector.select_counted("GET", &hostile);
        assert!(visited <= 3 * (depth + 1), "depth {depth}: {visited}");
    }
}
