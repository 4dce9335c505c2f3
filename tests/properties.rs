//! Property tests: the fast paths agree with obvious reference
//! implementations on random inputs.
//! - scope bitsets grant exactly what naive string matching grants;
//! - the policy for a set of scopes ignores order and duplicates;
//! - IAM wildcard matching equals a dynamic-programming reference;
//! - strict base64url agrees with the `base64` crate's strict URL-safe
//!   no-pad engine, and round-trips;
//! - the strict JSON reader reads valid documents as serde_json does, and
//!   never accepts what serde_json rejects.

use base64::Engine as _;
use proptest::prelude::*;
use scopegate::codec::{b64, json};
use scopegate::policy::{Grant, iam_match};
use scopegate::scopes::{PermissionLimits, ScopeTable, parse_rules};
use std::collections::BTreeSet;

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:api";
const SCOPES: [&str; 6] = ["a.read", "a.write", "b.read", "admin", "A.read", "a.read "];
const VERBS: [&str; 4] = ["GET", "POST", "ANY", "*"];

fn document(rules: &[(usize, usize, usize)]) -> String {
    let rules: Vec<String> = rules
        .iter()
        .map(|&(resource, verb, scope)| {
            format!(
                r#"{{"arn":"{ARN}","resource":"r{resource}/*","stage":"prod","httpVerb":"{}","scope":"{}"}}"#,
                VERBS[verb],
                SCOPES[scope].trim_end()
            )
        })
        .collect();
    format!("[{}]", rules.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn scope_bits_grant_what_naive_matching_grants(
        rules in prop::collection::vec((0usize..5, 0usize..4, 0usize..5), 1..20),
        token in prop::collection::vec(0usize..6, 0..8),
    ) {
        let parsed = parse_rules(document(&rules).as_bytes(), PermissionLimits::default()).unwrap();
        let table = ScopeTable::compile(&parsed);
        let scopes: Vec<&str> = token.iter().map(|&i| SCOPES[i]).collect();
        let grant = Grant::render(&table, &table.bits(scopes.iter().copied()));
        let naive: BTreeSet<String> = parsed
            .iter()
            .filter(|r| scopes.contains(&r.scope.as_str()))
            .map(scopegate::scopes::Rule::resource_arn)
            .collect();
        let fast: BTreeSet<String> = grant.resource_names(&table).map(str::to_string).collect();
        prop_assert_eq!(&fast, &naive);
        prop_assert_eq!(grant.allow, !naive.is_empty());
    }

    #[test]
    fn the_policy_ignores_scope_order_and_duplicates(
        rules in prop::collection::vec((0usize..5, 0usize..4, 0usize..5), 1..20),
        token in prop::collection::vec(0usize..6, 0..8),
        seed in any::<u64>(),
    ) {
        let parsed = parse_rules(document(&rules).as_bytes(), PermissionLimits::default()).unwrap();
        let table = ScopeTable::compile(&parsed);
        let scopes: Vec<&str> = token.iter().map(|&i| SCOPES[i]).collect();
        let mut shuffled = scopes.clone();
        shuffled.extend(scopes.iter().take(3));
        let n = shuffled.len().max(1);
        shuffled.rotate_left((seed as usize) % n);
        shuffled.reverse();
        let a = Grant::render(&table, &table.bits(scopes.iter().copied()));
        let b = Grant::render(&table, &table.bits(shuffled.iter().copied()));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn iam_matching_equals_the_reference(pattern in "[ab*?/]{0,12}", value in "[ab/]{0,12}") {
        prop_assert_eq!(iam_match(&pattern, &value), reference_match(&pattern, &value));
    }

    #[test]
    fn strict_base64url_agrees_with_the_reference(input in prop::collection::vec(any::<u8>(), 0..64)) {
        let ours = b64::decode(&input).ok();
        let theirs = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&input).ok();
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn strict_base64url_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let encoded = b64::encode(&bytes);
        prop_assert_eq!(b64::decode(encoded.as_bytes()).unwrap(), bytes);
    }

    #[test]
    fn valid_json_objects_read_as_serde_json_reads_them(doc in json_object()) {
        let text = doc.to_string();
        let ours = json::parse_object(text.as_bytes(), json::JsonLimits::default())
            .unwrap_or_else(|e| panic!("{text}: {e:?}"));
        prop_assert_eq!(to_serde(&json::Value::Object(ours)), doc);
    }

    #[test]
    fn the_json_reader_accepts_nothing_serde_json_rejects(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        if let Ok(ours) = json::parse_object(&bytes, json::JsonLimits::default()) {
            let theirs: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{bytes:?}: {e}")))?;
            prop_assert_eq!(to_serde(&json::Value::Object(ours)), theirs);
        }
    }
}

/// `*` matches any run (including `/`), `?` exactly one character.
fn reference_match(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    // m[i][j]: p[i..] matches v[j..]
    let mut m = vec![vec![false; v.len() + 1]; p.len() + 1];
    m[p.len()][v.len()] = true;
    for i in (0..p.len()).rev() {
        for j in (0..=v.len()).rev() {
            m[i][j] = match p[i] {
                '*' => m[i + 1][j] || (j < v.len() && m[i][j + 1]),
                '?' => j < v.len() && m[i + 1][j + 1],
                c => j < v.len() && v[j] == c && m[i + 1][j + 1],
            };
        }
    }
    m[0][0]
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i32>().prop_map(|n| serde_json::json!(n)),
        (-1e6f64..1e6).prop_map(|f| serde_json::json!(f)),
        "[ -~é€\u{1F600}\\\\\"\n\t]{0,12}".prop_map(serde_json::Value::String),
    ]
}

fn json_object() -> impl Strategy<Value = serde_json::Value> {
    let value = json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("[a-z_\u{e9}]{1,6}", value, 0..8)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
}

fn to_serde(v: &json::Value<'_>) -> serde_json::Value {
    match v {
        json::Value::Null => serde_json::Value::Null,
        json::Value::Bool(b) => serde_json::Value::Bool(*b),
        // Integers stay integers; other numbers compare by our (correctly
        // rounded) value: serde_json's default float parsing is not.
        json::Value::Number(n) => match n.text.parse::<i64>() {
            Ok(i) => serde_json::json!(i),
            Err(_) => serde_json::json!(n.value),
        },
        json::Value::String(s) => serde_json::Value::String(s.to_string()),
        json::Value::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
        json::Value::Object(o) => serde_json::Value::Object(
            o.members
                .iter()
                .map(|(k, v)| (k.to_string(), to_serde(v)))
                .collect(),
        ),
    }
}
