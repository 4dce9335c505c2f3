//! Stage 6, policy: the IAM policy for a set of granted scopes. The policy
//! depends only on the scope bitset, so it is rendered once per distinct
//! bitset and kept in a bounded memo; a request only copies a pointer.

use crate::scopes::{Bits, ScopeTable};
use quick_cache::sync::Cache;
use std::sync::Arc;

/// What a set of scopes grants, pre-rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// At least one Resource is granted.
    pub allow: bool,
    /// The `policyDocument` JSON object.
    pub policy_document: Box<str>,
    /// Granted scopes, space-separated, in document order (the context `scope`).
    pub scope: Box<str>,
    /// Granted Resources as ranks into the table's sorted Resources (for
    /// the simple response's route check).
    pub resources: Box<[u32]>,
}

/// The deny-all document of contract §3.
pub const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"*"}]}"#;

impl Grant {
    /// Renders the grant of `bits` against `table`.
    pub fn render(table: &ScopeTable, bits: &[u64]) -> Grant {
        let ranks = table.resource_ranks(bits);
        let scope = table.scope_names(bits).join(" ");
        if ranks.is_empty() {
            return Grant {
                allow: false,
                policy_document: DENY_ALL.into(),
                scope: scope.into(),
                resources: Box::new([]),
            };
        }
        let mut doc = String::with_capacity(
            96 + ranks
                .iter()
                .map(|&r| table.resource_json(r).len() + 1)
                .sum::<usize>(),
        );
        doc.push_str(r#"{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["#);
        for (i, &r) in ranks.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(table.resource_json(r));
        }
        doc.push_str("]}]}");
        Grant {
            allow: true,
            policy_document: doc.into(),
            scope: scope.into(),
            resources: ranks.into(),
        }
    }

    /// The granted Resources.
    pub fn resource_names<'t>(&self, table: &'t ScopeTable) -> impl Iterator<Item = &'t str> {
        self.resources.iter().map(|&r| table.resource(r))
    }

    /// Whether the grant allows `arn` (a method or route ARN), by IAM wildcard rules.
    pub fn allows(&self, table: &ScopeTable, arn: &str) -> bool {
        self.resource_names(table).any(|r| iam_match(r, arn))
    }
}

/// Bounded memo of rendered grants, keyed by the scope bitset.
pub struct PolicyMemo {
    cache: Cache<Bits, Arc<Grant>>,
}

impl PolicyMemo {
    /// A memo of at most `entries` grants (at least one).
    pub fn new(entries: usize) -> PolicyMemo {
        PolicyMemo {
            cache: Cache::new(entries.max(1)),
        }
    }

    /// The grant for `bits`, rendering it on a miss. The flag is true on a hit.
    pub fn get_or_render(&self, table: &ScopeTable, bits: Bits) -> (Arc<Grant>, bool) {
        if let Some(grant) = self.cache.get(&bits) {
            return (grant, true);
        }
        let grant = Arc::new(Grant::render(table, &bits));
        self.cache.insert(bits, Arc::clone(&grant));
        (grant, false)
    }

    /// Policies held.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// No policy held.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

/// IAM string matching: `*` matches any run of characters (including `/`),
/// `?` exactly one character, everything else itself. Linear-space and
/// O(len(pattern) × len(value)) in the worst case: no exponential backtracking.
pub fn iam_match(pattern: &str, value: &str) -> bool {
    iam_match_counted(pattern, value).0
}

/// [`iam_match`] and the number of loop steps it took: the work bound is
/// tested by counting, not by timing (tests/work_bounds.rs).
pub fn iam_match_counted(pattern: &str, value: &str) -> (bool, usize) {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi, mut steps) = (0, 0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        steps += 1;
        // The wildcard test comes first: a `*` in the pattern is a wildcard
        // even where the value holds a literal `*` (found by fuzzing).
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return (false, steps);
        }
    }
    (p[pi..].iter().all(|&c| c == '*'), steps + p.len() - pi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::{PermissionLimits, parse_rules};

    #[test]
    fn a_pattern_star_stays_a_wildcard_against_a_literal_star() {
        // Regression: fuzz/artifacts/iam_match crash-e9b65a6f (the star was
        // consumed as a literal and nothing was left to match the rest).
        assert!(iam_match("*", "*/*a"));
        assert!(iam_match("a*", "a*b"));
        assert!(iam_match("*b", "**b"));
        assert!(!iam_match("*c", "**b"));
    }

    #[test]
    fn iam_star_crosses_slashes_and_question_mark_is_one_char() {
        assert!(iam_match(
            "arn:x/prod/GET/orders/*",
            "arn:x/prod/GET/orders/1/items"
        ));
        assert!(iam_match("arn:x/*/GET/*", "arn:x/prod/GET/a/b"));
        assert!(iam_match("a?c", "abc"));
        assert!(!iam_match("a?c", "ac"));
        assert!(!iam_match("a?c", "abbc"));
        assert!(iam_match("*", ""));
        assert!(iam_match("**", "x"));
        assert!(!iam_match(
            "arn:x/prod/GET/orders",
            "arn:x/prod/GET/orders/1"
        ));
        assert!(!iam_match(
            "arn:x/prod/GET/orders/*",
            "arn:x/prod/POST/orders/1"
        ));
        assert!(iam_match("a*b*c", "aXXbYYc"));
        assert!(!iam_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn iam_match_is_case_sensitive() {
        assert!(!iam_match("arn:x/prod/get/a", "arn:x/prod/GET/a"));
    }

    #[test]
    fn pathological_patterns_finish() {
        let pattern = "*a".repeat(200);
        let value = "a".repeat(199) + "b";
        assert!(!iam_match(&pattern, &value));
    }

    fn table() -> ScopeTable {
        let doc = r#"[{"arn":"arn:aws:execute-api:us-east-1:123456789012:api1","resource":"orders/*","stage":"prod","httpVerb":"GET","scope":"orders.read"},
                      {"arn":"arn:aws:execute-api:us-east-1:123456789012:api1","resource":"a\"b","stage":"prod","httpVerb":"GET","scope":"odd"}]"#;
        ScopeTable::compile(&parse_rules(doc.as_bytes(), PermissionLimits::default()).unwrap())
    }

    #[test]
    fn an_allow_lists_every_resource_in_one_statement() {
        let t = table();
        let g = Grant::render(&t, &t.bits(["orders.read", "odd"]));
        assert!(g.allow);
        let doc: serde_json::Value = serde_json::from_str(&g.policy_document).unwrap();
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(statements[0]["Action"], "execute-api:Invoke");
        assert_eq!(
            statements[0]["Resource"],
            serde_json::json!([
                "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/a\"b",
                "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/orders/*"
            ])
        );
        assert_eq!(&*g.scope, "orders.read odd");
    }

    #[test]
    fn no_grant_is_the_deny_all_policy() {
        let t = table();
        let g = Grant::render(&t, &t.bits(["openid"]));
        assert!(!g.allow);
        assert_eq!(&*g.policy_document, DENY_ALL);
        assert_eq!(&*g.scope, "");
    }

    #[test]
    fn the_memo_renders_once_per_bitset() {
        let t = table();
        let memo = PolicyMemo::new(8);
        let (a, hit_a) = memo.get_or_render(&t, t.bits(["orders.read"]));
        let (b, hit_b) = memo.get_or_render(&t, t.bits(["orders.read", "unknown"]));
        assert!(!hit_a && hit_b);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn grants_check_routes_by_wildcard() {
        let t = table();
        let g = Grant::render(&t, &t.bits(["orders.read"]));
        assert!(g.allows(
            &t,
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/orders/42"
        ));
        assert!(!g.allows(
            &t,
            "arn:aws:execute-api:us-east-1:123456789012:api1/prod/DELETE/orders/42"
        ));
    }
}
