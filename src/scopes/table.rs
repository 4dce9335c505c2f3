//! The compiled permissions document: scope → bit, bit → granted
//! resources, so that mapping a token's scopes is a hash lookup per scope
//! and a bit set, never a string scan over the rules. A Cedar policy store
//! ([`crate::cedar`]) compiles into the same table, with what only it
//! has: bits every token holds, Resources a bit takes away (`forbid`),
//! and the Deny statements a grant needs where IAM's `*` reaches past a
//! route's `{param}`.

use crate::routes::Selector;
use crate::scopes::permissions::Rule;
use std::collections::HashMap;

/// A set of scope bits, one per distinct scope of the document.
pub type Bits = Box<[u64]>;

/// The compiled document: scope → bit, bit → granted resources.
#[derive(Debug, Clone)]
pub struct ScopeTable {
    bit_of: HashMap<Box<str>, u32>,
    /// Scope names by bit, in the order they first appear in the document.
    names: Vec<Box<str>>,
    /// Every Resource, sorted by byte order (distinct but for a Cedar
    /// store's routes that share one).
    resources: Vec<Box<str>>,
    /// The same, each as a JSON string literal (escaped once, at start-up).
    resources_json: Vec<Box<str>>,
    /// Per Resource: the byte lengths of its literal runs before the first
    /// and after the last wildcard (the route check compares them before
    /// matching); a Resource without wildcards is all head.
    literal_ends: Vec<(usize, usize)>,
    /// Per bit: indexes into `resources`, ascending.
    grants: Vec<Vec<u32>>,
    /// Per bit: ranks it takes away from any grant (ascending; empty but
    /// for a Cedar store's `forbid`s).
    forbids: Vec<Vec<u32>>,
    /// Bits every token holds (a Cedar policy for any principal).
    always: Bits,
    /// When the Resources are routes (a Cedar store): per rank, the other
    /// routes whose requests it also matches and those a Deny of it would
    /// block, and which route a request goes to. `None` for a JSON document
    /// (its Resources are IAM patterns, whatever they match is what they grant).
    reach: Option<Reach>,
}

/// A store's routes: how each route's Resource overlaps the others (ranks,
/// ascending), and which route API Gateway sends a request to.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Per rank: routes whose requests it matches too.
    pub reaches: Vec<Vec<u32>>,
    /// Per rank: granted routes a Deny of it would wrongly block.
    pub blocks: Vec<Vec<u32>>,
    /// The API stage every Resource begins with (`arn:…:APIID/STAGE`).
    pub api: Box<str>,
    /// The route of each rank, and which one API Gateway selects for a request.
    pub routes: Selector,
}

/// The parts of a table compiled elsewhere (a Cedar store): Resources
/// sorted by byte order, each bit's grants and forbids as ranks.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// Bit names; `None` for a bit every token holds.
    pub names: Vec<Option<String>>,
    /// Every Resource, sorted (two routes may share one).
    pub resources: Vec<String>,
    /// Per bit: granted ranks.
    pub grants: Vec<Vec<u32>>,
    /// Per bit: ranks taken away.
    pub forbids: Vec<Vec<u32>>,
    /// The routes' overlaps.
    pub reach: Reach,
}

impl ScopeTable {
    /// Compiles validated rules (start-up work: one pass, then sorted resources).
    pub fn compile(rules: &[Rule]) -> ScopeTable {
        let mut bit_of: HashMap<Box<str>, u32> = HashMap::new();
        let mut names: Vec<Box<str>> = Vec::new();
        for rule in rules {
            if !bit_of.contains_key(rule.scope.as_str()) {
                bit_of.insert(rule.scope.clone().into(), names.len() as u32);
                names.push(rule.scope.clone().into());
            }
        }
        let arns: Vec<String> = rules.iter().map(Rule::resource_arn).collect();
        let mut resources: Vec<Box<str>> = arns.iter().map(|a| a.as_str().into()).collect();
        resources.sort_unstable();
        resources.dedup();
        let mut grants = vec![Vec::new(); names.len()];
        for (rule, arn) in rules.iter().zip(&arns) {
            let bit = bit_of[rule.scope.as_str()] as usize;
            let rank = resources
                .binary_search_by(|r| r.as_ref().cmp(arn.as_str()))
                .unwrap_or(0) as u32;
            grants[bit].push(rank);
        }
        for g in &mut grants {
            g.sort_unstable();
            g.dedup();
        }
        ScopeTable::assemble(bit_of, names, resources, grants, Vec::new(), None)
    }

    /// A table from compiled parts (start-up work).
    pub fn from_parts(parts: Parts) -> ScopeTable {
        let mut bit_of = HashMap::new();
        let mut names = Vec::with_capacity(parts.names.len());
        let mut always = Vec::new();
        for (bit, name) in parts.names.into_iter().enumerate() {
            if let Some(name) = name {
                bit_of.insert(name.clone().into(), bit as u32);
                names.push(name.into());
            } else {
                always.push(bit);
                names.push("".into());
            }
        }
        let mut table = ScopeTable::assemble(
            bit_of,
            names,
            parts.resources.into_iter().map(Into::into).collect(),
            parts.grants,
            parts.forbids,
            Some(parts.reach),
        );
        for bit in always {
            table.always[bit / 64] |= 1 << (bit % 64);
        }
        table
    }

    fn assemble(
        bit_of: HashMap<Box<str>, u32>,
        names: Vec<Box<str>>,
        resources: Vec<Box<str>>,
        grants: Vec<Vec<u32>>,
        mut forbids: Vec<Vec<u32>>,
        reach: Option<Reach>,
    ) -> ScopeTable {
        let words = names.len().div_ceil(64).max(1);
        forbids.resize(names.len(), Vec::new());
        let resources_json = resources
            .iter()
            .map(|r| {
                let mut quoted = String::with_capacity(r.len() + 2);
                crate::codec::json_write::push_json_str(&mut quoted, r);
                quoted.into()
            })
            .collect();
        let literal_ends = resources
            .iter()
            .map(|r| match (r.find(['*', '?']), r.rfind(['*', '?'])) {
                (Some(first), Some(last)) => (first, r.len() - last - 1),
                _ => (r.len(), 0),
            })
            .collect();
        ScopeTable {
            bit_of,
            names,
            resources,
            resources_json,
            literal_ends,
            grants,
            forbids,
            always: vec![0u64; words].into_boxed_slice(),
            reach,
        }
    }

    /// The bits of the document scopes among `scopes`; unknown scopes are ignored.
    pub fn bits<'s>(&self, scopes: impl IntoIterator<Item = &'s str>) -> Bits {
        let mut bits = self.always.clone();
        for scope in scopes {
            if let Some(&bit) = self.bit_of.get(scope) {
                bits[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        bits
    }

    /// Every scope of the document: what a token holding them all gets.
    pub fn all_bits(&self) -> Bits {
        let mut bits = self.always.clone();
        for bit in 0..self.names.len() {
            bits[bit / 64] |= 1 << (bit % 64);
        }
        bits
    }

    /// Bit indexes set in `bits`, ascending.
    pub fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
        bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + b)
            })
        })
    }

    /// Every Resource granted by `bits`: sorted by byte order, de-duplicated.
    pub fn resources(&self, bits: &[u64]) -> Vec<&str> {
        self.resource_ranks(bits)
            .into_iter()
            .map(|r| self.resource(r))
            .collect()
    }

    /// The ranks (indexes into the sorted Resources) granted by `bits`,
    /// ascending: marked in a bitset and read back in order, so no sort;
    /// what a held bit forbids is taken away.
    pub fn resource_ranks(&self, bits: &[u64]) -> Vec<u32> {
        let mut marked = vec![0u64; self.resources.len().div_ceil(64).max(1)];
        for b in Self::set_bits(bits) {
            for &r in &self.grants[b] {
                marked[(r / 64) as usize] |= 1 << (r % 64);
            }
        }
        for b in Self::set_bits(bits) {
            for &r in &self.forbids[b] {
                marked[(r / 64) as usize] &= !(1 << (r % 64));
            }
        }
        Self::set_bits(&marked).map(|r| r as u32).collect()
    }

    /// The routes a grant of `ranks` must Deny (ascending), because a
    /// granted Resource also matches their requests; and whether those
    /// Denies block none of the granted routes (else no complete policy
    /// is exact, and the answer is per route). Nothing for a JSON document.
    pub fn denials(&self, ranks: &[u32]) -> (Vec<u32>, bool) {
        let Some(reach) = &self.reach else {
            return (Vec::new(), true);
        };
        let mut granted = vec![0u64; self.resources.len().div_ceil(64).max(1)];
        for &r in ranks {
            granted[(r / 64) as usize] |= 1 << (r % 64);
        }
        let held = |r: u32| granted[(r / 64) as usize] & (1 << (r % 64)) != 0;
        let mut denied = vec![0u64; granted.len()];
        for &r in ranks {
            for &other in &reach.reaches[r as usize] {
                if !held(other) {
                    denied[(other / 64) as usize] |= 1 << (other % 64);
                }
            }
        }
        let denied: Vec<u32> = Self::set_bits(&denied).map(|r| r as u32).collect();
        let exact = denied
            .iter()
            .all(|&d| !reach.blocks[d as usize].iter().any(|&b| held(b)));
        (denied, exact)
    }

    /// The rank of the route API Gateway selects for the request `arn`
    /// names, when the table knows its routes (a Cedar store: `None` when
    /// it does not), and `Some(None)` when no route of the API matches.
    pub fn selected_route(&self, arn: &str) -> Option<Option<u32>> {
        let reach = self.reach.as_ref()?;
        let selected = arn
            .strip_prefix(reach.api.as_ref())
            .and_then(|tail| tail.strip_prefix('/'))
            .and_then(|tail| tail.split_once('/'))
            .and_then(|(verb, path)| reach.routes.select(verb, path));
        Some(selected)
    }

    /// Every Resource, sorted by byte order (indexes are ranks).
    pub fn all_resources(&self) -> &[Box<str>] {
        &self.resources
    }

    /// The Resource of a rank.
    pub fn resource(&self, rank: u32) -> &str {
        self.resources.get(rank as usize).map_or("", |r| r.as_ref())
    }

    /// The byte lengths of a Resource's literal runs before its first and
    /// after its last wildcard (all head when it has none).
    pub fn literal_ends(&self, rank: u32) -> (usize, usize) {
        self.literal_ends
            .get(rank as usize)
            .copied()
            .unwrap_or((0, 0))
    }

    /// The Resource of a rank as a JSON string literal.
    pub fn resource_json(&self, rank: u32) -> &str {
        self.resources_json
            .get(rank as usize)
            .map_or("\"\"", |r| r.as_ref())
    }

    /// The names of the scopes in `bits`, in document order (a bit every
    /// token holds has none).
    pub fn scope_names(&self, bits: &[u64]) -> Vec<&str> {
        Self::set_bits(bits)
            .map(|b| self.names[b].as_ref())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// The scopes (a Cedar store's groups) whose grant no complete policy
    /// expresses exactly on its own (see [`ScopeTable::denials`]); `""`
    /// when what every token holds is already so. A token holding one is
    /// answered per route. Start-up and refresh work.
    pub fn inexact_scopes(&self) -> Vec<&str> {
        if self.reach.is_none() {
            return Vec::new();
        }
        let inexact = |bits: &[u64]| !self.denials(&self.resource_ranks(bits)).1;
        if inexact(&self.always) {
            return vec![""];
        }
        (0..self.names.len())
            .filter(|&b| !self.names[b].is_empty())
            .filter(|&b| {
                let mut bits = self.always.clone();
                bits[b / 64] |= 1 << (b % 64);
                inexact(&bits)
            })
            .map(|b| self.names[b].as_ref())
            .collect()
    }

    /// Distinct scopes in the document.
    pub fn scope_count(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::permissions::fixtures::{ARN, doc, rule};
    use crate::scopes::permissions::{PermissionLimits, parse_rules};

    fn table(rules: &[String]) -> ScopeTable {
        ScopeTable::compile(&parse_rules(&doc(rules), PermissionLimits::default()).unwrap())
    }

    #[test]
    fn a_rule_grants_arn_stage_verb_resource() {
        let t = table(&[rule("orders/*", "GET", "orders.read")]);
        let bits = t.bits(["orders.read"]);
        assert_eq!(t.resources(&bits), [format!("{ARN}/prod/GET/orders/*")]);
    }

    #[test]
    fn resources_are_sorted_and_deduplicated_across_scopes() {
        let t = table(&[
            rule("b", "GET", "s1"),
            rule("a", "GET", "s2"),
            rule("b", "GET", "s2"),
            rule("c", "*", "s3"),
        ]);
        let bits = t.bits(["s2", "s1"]);
        assert_eq!(
            t.resources(&bits),
            [format!("{ARN}/prod/GET/a"), format!("{ARN}/prod/GET/b")]
        );
    }

    #[test]
    fn unknown_scopes_grant_nothing() {
        let t = table(&[rule("a", "GET", "s1")]);
        assert!(
            t.resources(&t.bits(["S1", "s1 ", "s", "openid"]))
                .is_empty()
        );
    }

    #[test]
    fn scope_order_and_duplicates_do_not_change_the_bits() {
        let t = table(&[
            rule("a", "GET", "x"),
            rule("b", "GET", "y"),
            rule("c", "GET", "z"),
        ]);
        assert_eq!(t.bits(["z", "x", "z"]), t.bits(["x", "z"]));
        assert_eq!(t.scope_names(&t.bits(["z", "x"])), ["x", "z"]);
    }

    #[test]
    fn more_than_64_scopes_use_more_words() {
        let rules: Vec<String> = (0..130)
            .map(|i| rule(&format!("r{i}"), "GET", &format!("s{i}")))
            .collect();
        let t = table(&rules);
        let bits = t.bits(["s0", "s64", "s129"]);
        assert_eq!(bits.len(), 3);
        assert_eq!(t.resources(&bits).len(), 3);
        assert_eq!(t.scope_names(&bits), ["s0", "s64", "s129"]);
    }

    #[test]
    fn any_verb_becomes_a_wildcard() {
        let t = table(&[rule("a", "ANY", "s")]);
        assert_eq!(t.resources(&t.bits(["s"])), [format!("{ARN}/prod/*/a")]);
    }
}
