//! Stage 6, policy: the IAM policy for a set of granted scopes. The policy
//! depends only on the scope bitset, so it is rendered once per distinct
//! bitset and kept in a bounded memo; a request only copies a pointer.
//! - [`crate::routes`] (a leaf): the API's routes (`SCOPEGATE_ROUTES`),
//!   the universe a policy is evaluated on;
//! - [`glob`]: IAM wildcards against a route's requests;
//! - [`compact`]: fewer Resources, exactly the same requests allowed;
//! - [`Shape`]: the byte budget and what happens past it.

pub mod budget;
pub mod compact;
pub mod glob;

use crate::codec::json_write::push_json_str;
use crate::routes::Routes;
use crate::scopes::{Bits, ScopeTable};
use compact::Compactor;
use quick_cache::sync::Cache;
use std::sync::Arc;

/// `SCOPEGATE_POLICY_MAX_BYTES` default: WebSocket's documented limit on an
/// authorizer's result, and about 100 Resources (REST documents none, but
/// fails to evaluate policies past roughly that size).
pub const DEFAULT_MAX_BYTES: usize = 8192;
/// The smallest budget accepted: a one-Resource policy for a method ARN of
/// API Gateway's longest (1,600 bytes) fits.
pub const MIN_MAX_BYTES: usize = 2048;

/// What a token whose complete policy does not fit the budget gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// A policy for the event's method ARN only: Allow it when the grant
    /// does, else the deny-all policy. Never allows more than the complete
    /// policy; right on every route only when the cache key holds the route.
    Route,
    /// `Unauthorized` (`policy_too_large`).
    Unauthorized,
}

impl Overflow {
    /// The setting's value and metric label.
    pub const fn code(self) -> &'static str {
        match self {
            Overflow::Route => "route",
            Overflow::Unauthorized => "unauthorized",
        }
    }
}

/// How policies are shaped: the same for every document the function loads.
#[derive(Debug, Clone)]
pub struct Shape {
    /// No policy document longer than this is ever answered (bytes).
    pub max_bytes: usize,
    /// What a grant past it gets.
    pub overflow: Overflow,
    /// The API's routes: compaction exact on them (none: only what is
    /// exact for every request).
    pub routes: Option<Arc<Routes>>,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            max_bytes: DEFAULT_MAX_BYTES,
            overflow: Overflow::Route,
            routes: None,
        }
    }
}

/// A shape applied to one table: the compaction measured on its Resources.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The settings.
    pub shape: Arc<Shape>,
    compactor: Option<Compactor>,
}

impl Layout {
    /// Measures `table`'s Resources on the routes (start-up or refresh work).
    pub fn new(shape: Arc<Shape>, table: &ScopeTable) -> Layout {
        let compactor = shape
            .routes
            .as_ref()
            .map(|routes| Compactor::new(table.all_resources(), routes));
        Layout { shape, compactor }
    }
}

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
    /// How it is answered; per route, `policy_document` is empty (it is
    /// never answered, and memos should not hold it).
    pub answer: Answer,
    /// The complete policy's length after compaction, answered or not.
    pub complete_bytes: usize,
    /// Routes the policy Denies (ranks): a granted Resource also matches
    /// their requests (a Cedar store's `{param}` routes; never for a JSON
    /// document).
    pub denied: Box<[u32]>,
}

/// How a grant is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// With its complete policy, right on every route.
    Complete,
    /// The complete policy, compacted, is over the budget: per route, or
    /// `Unauthorized` (`SCOPEGATE_POLICY_OVERFLOW`).
    OverBudget,
    /// No complete policy is exact (a Deny it needs would also block a
    /// granted route; Cedar stores only): per route whatever the overflow
    /// setting.
    Inexact,
}

impl Answer {
    /// Whether the answer is the policy of the event's route.
    pub fn per_route(self) -> bool {
        self != Answer::Complete
    }
}

/// Answers per route because no complete policy is exact (a Cedar store).
pub const POLICY_INEXACT_TOTAL: &str = "scopegate_policy_inexact_total";

/// The deny-all document of contract §3.
pub const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"*"}]}"#;
const ALLOW_HEAD: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["#;
const ALLOW_TAIL: &str = "]}]}";
const DENY_HEAD: &str = r#"]},{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["#;

/// Drops every Resource another one covers (exact for every request:
/// what is dropped allows a subset of what stays). Only a Resource with a
/// wildcard covers another, and only one whose literal ends the other's
/// text begins and ends with, so most pairs cost two byte comparisons.
pub fn without_covered(table: &ScopeTable, ranks: &[u32]) -> Vec<String> {
    let coverers: Vec<u32> = ranks
        .iter()
        .copied()
        .filter(|&r| table.literal_ends(r).0 < table.resource(r).len())
        .collect();
    let covers = |outer: u32, inner: u32| {
        let (o, i) = (table.resource(outer), table.resource(inner));
        let (head, tail) = table.literal_ends(outer);
        i.len() >= head + tail
            && o.as_bytes()[..head] == i.as_bytes()[..head]
            && o.as_bytes()[o.len() - tail..] == i.as_bytes()[i.len() - tail..]
            && glob::glob_contains(o, i)
    };
    ranks
        .iter()
        .filter(|&&r| {
            !coverers.iter().any(|&g| {
                // Of two that cover each other, the first (in rank order) stays.
                g != r && covers(g, r) && (g < r || !covers(r, g))
            })
        })
        .map(|&r| table.resource(r).to_string())
        .collect()
}

impl Grant {
    /// Renders the grant of `bits` against `table`: every Resource, no
    /// budget (what the contract's complete policy is before shaping).
    pub fn render(table: &ScopeTable, bits: &[u64]) -> Grant {
        let ranks = table.resource_ranks(bits);
        let scope = table.scope_names(bits).join(" ");
        let resources: Vec<&str> = ranks.iter().map(|&r| table.resource_json(r)).collect();
        let (denied, exact) = table.denials(&ranks);
        let mut grant = Grant::assemble(ranks, scope, &resources, table, denied);
        if !exact {
            grant.answer = Answer::Inexact;
        }
        grant
    }

    /// Renders the grant of `bits` shaped by `layout`: compacted exactly on
    /// the routes when they are known; otherwise, only when over the
    /// budget, by dropping Resources another one covers. Marked `overflow`
    /// when even that is over the budget.
    pub fn render_shaped(table: &ScopeTable, layout: &Layout, bits: &[u64]) -> Grant {
        let ranks = table.resource_ranks(bits);
        let scope = table.scope_names(bits).join(" ");
        let (denied, exact) = table.denials(&ranks);
        let listed = |ranks: &[u32]| -> usize {
            ranks
                .iter()
                .map(|&r| table.resource_json(r).len() + 1)
                .sum()
        };
        let original = listed(&ranks);
        let fits =
            ALLOW_HEAD.len() + original + DENY_HEAD.len() + listed(&denied) + ALLOW_TAIL.len()
                <= layout.shape.max_bytes;
        let compacted: Option<Vec<String>> = match &layout.compactor {
            Some(c) => Some(c.compact(&ranks, |r| table.resource(r))),
            None if fits => None,
            None => Some(without_covered(table, &ranks)),
        };
        let quoted: Option<Vec<String>> = compacted.map(|resources| {
            resources
                .iter()
                .map(|r| {
                    let mut q = String::with_capacity(r.len() + 2);
                    push_json_str(&mut q, r);
                    q
                })
                .collect()
        });
        let mut grant = match quoted {
            Some(q)
                if q.iter().map(|q| q.len() + 1).sum::<usize>() < original || ranks.is_empty() =>
            {
                let refs: Vec<&str> = q.iter().map(String::as_str).collect();
                Grant::assemble(ranks, scope, &refs, table, denied)
            }
            _ => {
                let refs: Vec<&str> = ranks.iter().map(|&r| table.resource_json(r)).collect();
                Grant::assemble(ranks, scope, &refs, table, denied)
            }
        };
        if !exact {
            grant.answer = Answer::Inexact;
        } else if grant.policy_document.len() > layout.shape.max_bytes {
            grant.answer = Answer::OverBudget;
        }
        if grant.answer.per_route() {
            grant.policy_document = "".into();
        }
        grant
    }

    /// The grant from its parts; `resources` are JSON string literals,
    /// `denied` ranks of `table` (a second statement, Deny).
    fn assemble(
        ranks: Vec<u32>,
        scope: String,
        resources: &[&str],
        table: &ScopeTable,
        denied: Vec<u32>,
    ) -> Grant {
        if resources.is_empty() {
            return Grant {
                allow: false,
                policy_document: DENY_ALL.into(),
                scope: scope.into(),
                resources: ranks.into(),
                answer: Answer::Complete,
                complete_bytes: DENY_ALL.len(),
                denied: Box::new([]),
            };
        }
        // A Cedar store's routes may share a Resource (`{x}`, `{proxy+}`).
        let mut resources = resources.to_vec();
        resources.dedup();
        let mut denials: Vec<&str> = denied.iter().map(|&r| table.resource_json(r)).collect();
        denials.dedup();
        let listed = |list: &[&str]| list.iter().map(|r| r.len() + 1).sum::<usize>();
        let mut doc = String::with_capacity(
            ALLOW_HEAD.len()
                + DENY_HEAD.len()
                + ALLOW_TAIL.len()
                + listed(&resources)
                + listed(&denials),
        );
        doc.push_str(ALLOW_HEAD);
        doc.push_str(&resources.join(","));
        if !denials.is_empty() {
            doc.push_str(DENY_HEAD);
            doc.push_str(&denials.join(","));
        }
        doc.push_str(ALLOW_TAIL);
        Grant {
            allow: true,
            complete_bytes: doc.len(),
            policy_document: doc.into(),
            scope: scope.into(),
            resources: ranks.into(),
            answer: Answer::Complete,
            denied: denied.into(),
        }
    }

    /// The policy for one method ARN (the overflow answer): Allow `arn`
    /// when the grant does, else deny-all; deny-all too when even that is
    /// over `max_bytes`.
    pub fn route_policy(
        &self,
        table: &ScopeTable,
        arn: Option<&str>,
        max_bytes: usize,
    ) -> (String, bool) {
        let Some(arn) = arn.filter(|arn| self.allows_request(table, arn)) else {
            return (DENY_ALL.to_string(), false);
        };
        let mut doc = String::with_capacity(ALLOW_HEAD.len() + arn.len() + 8);
        doc.push_str(ALLOW_HEAD);
        push_json_str(&mut doc, arn);
        doc.push_str(ALLOW_TAIL);
        if doc.len() > max_bytes {
            return (DENY_ALL.to_string(), false);
        }
        (doc, true)
    }

    /// The granted Resources.
    pub fn resource_names<'t>(&self, table: &'t ScopeTable) -> impl Iterator<Item = &'t str> {
        self.resources.iter().map(|&r| table.resource(r))
    }

    /// The bytes it holds (the policy memo weighs grants by it).
    pub fn bytes(&self) -> u64 {
        (std::mem::size_of::<Grant>()
            + self.policy_document.len()
            + self.scope.len()
            + 4 * (self.resources.len() + self.denied.len())) as u64
    }

    /// Whether the grant allows the request `arn` names: by the route API
    /// Gateway selects for it when the table knows its routes (a Cedar
    /// store: exact however Resources overlap), else by IAM's rules on the
    /// granted Resources. What a per-route answer and a simple response decide.
    pub fn allows_request(&self, table: &ScopeTable, arn: &str) -> bool {
        if arn.len() > MAX_METHOD_ARN_BYTES {
            return false;
        }
        match table.selected_route(arn) {
            Some(route) => route.is_some_and(|r| self.resources.binary_search(&r).is_ok()),
            None => self.allows(table, arn),
        }
    }

    /// Whether the grant allows `arn` (a method or route ARN), by IAM wildcard rules.
    pub fn allows(&self, table: &ScopeTable, arn: &str) -> bool {
        self.allows_counted(table, arn).0
    }

    /// [`Grant::allows`] and the work it did (bytes compared and matcher
    /// steps). Each granted Resource's literal runs before its first and
    /// after its last wildcard (measured when the document was compiled)
    /// are compared with the ARN's ends first, so only Resources that can
    /// match reach the matcher, and then only on what lies between. An ARN
    /// longer than API Gateway ever sends is allowed nothing.
    /// A route the grant Denies is not allowed, whatever matches it.
    pub fn allows_counted(&self, table: &ScopeTable, arn: &str) -> (bool, usize) {
        let (allowed, work) = Self::matches_counted(&self.resources, table, arn);
        if !allowed || self.denied.is_empty() {
            return (allowed, work);
        }
        let (denied, more) = Self::matches_counted(&self.denied, table, arn);
        (!denied, work + more)
    }

    /// Whether one of `ranks` matches `arn`, and the work it took.
    fn matches_counted(ranks: &[u32], table: &ScopeTable, arn: &str) -> (bool, usize) {
        if arn.len() > MAX_METHOD_ARN_BYTES {
            return (false, 0);
        }
        let value = arn.as_bytes();
        let mut work = 0;
        for &rank in ranks {
            let pattern = table.resource(rank);
            let (head, tail) = table.literal_ends(rank);
            work += 1 + (head + tail).min(value.len()) / 8;
            if head == pattern.len() {
                if pattern == arn {
                    return (true, work);
                }
                continue;
            }
            if value.len() < head + tail
                || pattern.as_bytes()[..head] != value[..head]
                || pattern.as_bytes()[pattern.len() - tail..] != value[value.len() - tail..]
            {
                continue;
            }
            let (matched, steps) = iam_match_counted(
                &pattern[head..pattern.len() - tail],
                &arn[head..arn.len() - tail],
            );
            work += steps;
            if matched {
                return (true, work);
            }
        }
        (false, work)
    }
}

/// The longest method ARN API Gateway sends: longer requests get 414.
pub const MAX_METHOD_ARN_BYTES: usize = 1600;

/// Weighs a grant by its bytes, and at least `floor` (the byte bound over
/// the entry bound), so that both bounds hold.
#[derive(Clone)]
struct GrantBytes {
    floor: u64,
}

impl quick_cache::Weighter<Bits, Arc<Grant>> for GrantBytes {
    fn weight(&self, bits: &Bits, grant: &Arc<Grant>) -> u64 {
        (grant.bytes() + 8 * bits.len() as u64 + 64).max(self.floor)
    }
}

/// Memo of rendered grants, keyed by the scope bitset, bounded in entries
/// and in bytes.
pub struct PolicyMemo {
    cache: Cache<Bits, Arc<Grant>, GrantBytes>,
    /// How its grants are shaped.
    pub layout: Layout,
}

impl PolicyMemo {
    /// A memo of at most `entries` grants (at least one) and about
    /// `max_bytes`, shaped by `layout`.
    pub fn new(entries: usize, max_bytes: u64, layout: Layout) -> PolicyMemo {
        let entries = entries.max(1);
        let max_bytes = max_bytes.max(1);
        PolicyMemo {
            cache: Cache::with_weighter(
                entries,
                max_bytes,
                GrantBytes {
                    floor: max_bytes.div_ceil(entries as u64),
                },
            ),
            layout,
        }
    }

    /// The grant for `bits`, rendering it on a miss. The flag is true on a hit.
    pub fn get_or_render(&self, table: &ScopeTable, bits: Bits) -> (Arc<Grant>, bool) {
        if let Some(grant) = self.cache.get(&bits) {
            return (grant, true);
        }
        let grant = Arc::new(Grant::render_shaped(table, &self.layout, &bits));
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
/// tested by counting, not by timing (tests/work_bounds.rs). ASCII input
/// (every ARN API Gateway builds from a percent-encoded path) is matched
/// on bytes without allocating.
pub fn iam_match_counted(pattern: &str, value: &str) -> (bool, usize) {
    if pattern.is_ascii() && value.is_ascii() {
        let v = value.as_bytes();
        glob::wildcard(pattern.as_bytes(), b'*', v.len(), |pc, vi| {
            pc == b'?' || pc == v[vi]
        })
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let v: Vec<char> = value.chars().collect();
        glob::wildcard(&p, '*', v.len(), |pc, vi| pc == '?' || pc == v[vi])
    }
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
        let memo = PolicyMemo::new(8, 1 << 20, Layout::new(Arc::default(), &t));
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
