//! Exact compaction of a grant's Resources on the API's routes.
//!
//! Each Resource is `P/tail`, `P` the literal `arn/stage` of its rule. A
//! route `r` is *full* for a grant when one granted Resource matches every
//! request of `r` under `P`. A candidate wildcard `P/c` may replace
//! Resources when every route it can match at all is full: then it allows
//! nothing the grant did not. Candidates are chosen most general first;
//! each route no chosen candidate covers keeps every granted Resource that
//! can match it. So on every request to every route, the compacted policy
//! allows exactly what the original allows:
//! - a request `x` of a covered route is allowed by both;
//! - otherwise a candidate matching `x` matched only full routes (allowed
//!   by the original), and a kept Resource is an original one; and every
//!   original Resource that matches `x` is kept.
//!
//! Resources whose `arn` or `stage` holds a wildcard are kept as they are.
//! Everything here runs when a document is compiled, except [`Compactor::compact`],
//! once per distinct scope set (the policy memo keeps its result).

use super::glob::{self, Tok, heads_agree, literal_head};
use crate::routes::{Route, Routes, Segment};
use std::collections::HashSet;
use std::sync::Arc;

type RouteBits = Box<[u64]>;

/// What a pattern does on the routes: the ones it can match (`touch`) and
/// the ones it matches entirely (`full`, a subset).
#[derive(Debug, Clone)]
struct Reach {
    touch: RouteBits,
    full: RouteBits,
}

#[derive(Debug, Clone)]
struct Candidate {
    tail: Box<str>,
    reach: Reach,
}

/// One table's Resources measured against the routes.
#[derive(Debug, Clone)]
pub struct Compactor {
    /// Per Resource rank: the byte length of its `arn/stage/` prefix and
    /// its reach, or `None` when the prefix holds a wildcard.
    resources: Vec<Option<(usize, Reach)>>,
    candidates: Vec<Candidate>,
    words: usize,
}

fn bits(words: usize) -> RouteBits {
    vec![0u64; words].into_boxed_slice()
}

fn set(b: &mut [u64], i: usize) {
    b[i / 64] |= 1 << (i % 64);
}

/// `a ⊆ b`.
fn subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

/// `a ∖ b ≠ ∅`.
fn adds(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x & !y != 0)
}

/// The byte length of `arn/stage/` when both are literal.
fn literal_prefix(resource: &str) -> Option<usize> {
    let first = resource.find('/')?;
    let second = first + 1 + resource[first + 1..].find('/')?;
    let prefix = &resource[..=second];
    (!prefix.contains(['*', '?'])).then_some(second + 1)
}

impl Compactor {
    /// Measures each of `resources` (a table's sorted Resources) on `routes`.
    pub fn new(resources: &[Box<str>], routes: &Arc<Routes>) -> Compactor {
        let tokens: Vec<Vec<Tok>> = routes.all().iter().map(glob::route_tokens).collect();
        let heads: Vec<String> = tokens.iter().map(|t| literal_head(t)).collect();
        let words = tokens.len().div_ceil(64).max(1);
        let resources = resources
            .iter()
            .map(|r| {
                let at = literal_prefix(r)?;
                let tail = &r[at..];
                let head = &tail[..tail.find(['*', '?']).unwrap_or(tail.len())];
                let mut reach = Reach {
                    touch: bits(words),
                    full: bits(words),
                };
                for (i, t) in tokens.iter().enumerate() {
                    // Both begin with their literal heads: differing there,
                    // they share no string (most pairs stop here).
                    if !heads_agree(head, &heads[i]) {
                        continue;
                    }
                    if glob::intersects(tail, t) {
                        set(&mut reach.touch, i);
                        if glob::contains(tail, t) {
                            set(&mut reach.full, i);
                        }
                    }
                }
                Some((at, reach))
            })
            .collect();
        Compactor {
            resources,
            candidates: candidates(routes.all(), &tokens, &heads, words),
            words,
        }
    }

    /// The Resources for the granted `ranks` (of `resource`), compacted;
    /// sorted and de-duplicated.
    pub fn compact<'t>(&self, ranks: &[u32], resource: impl Fn(u32) -> &'t str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        // Group by literal prefix (an API and stage; usually one group).
        let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
        for &rank in ranks {
            let text = resource(rank);
            match self.resources.get(rank as usize).and_then(Option::as_ref) {
                None => out.push(text.to_string()),
                Some((at, _)) => {
                    let prefix = &text[..*at];
                    match groups.iter_mut().find(|(p, _)| *p == prefix) {
                        Some((_, members)) => members.push(rank),
                        None => groups.push((prefix, vec![rank])),
                    }
                }
            }
        }
        for (prefix, members) in groups {
            let reach = |rank: u32| {
                self.resources[rank as usize]
                    .as_ref()
                    .map(|(_, reach)| reach)
            };
            let mut full = bits(self.words);
            for reach in members.iter().filter_map(|&r| reach(r)) {
                for (f, x) in full.iter_mut().zip(&reach.full) {
                    *f |= x;
                }
            }
            let mut covered = bits(self.words);
            for c in &self.candidates {
                if subset(&c.reach.touch, &full) && adds(&c.reach.full, &covered) {
                    out.push(format!("{prefix}{}", c.tail));
                    for (v, x) in covered.iter_mut().zip(&c.reach.full) {
                        *v |= x;
                    }
                }
            }
            for &rank in &members {
                if reach(rank).is_some_and(|r| adds(&r.touch, &covered)) {
                    out.push(resource(rank).to_string());
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Wildcards the routes suggest, most general first: `*`, `VERB/*`,
/// `VERB/lit/…/*` over each route's leading literal segments, and each
/// literal route exactly.
fn candidates(
    routes: &[Route],
    tokens: &[Vec<Tok>],
    heads: &[String],
    words: usize,
) -> Vec<Candidate> {
    let mut tails: HashSet<String> = HashSet::new();
    tails.insert("*".into());
    for route in routes {
        if route.is_route_key() {
            tails.insert(route.verb.to_string());
            continue;
        }
        let literals: Vec<&str> = route
            .segments
            .iter()
            .map_while(|s| match s {
                Segment::Literal(l) => Some(l.as_ref()),
                _ => None,
            })
            .collect();
        tails.insert(format!("{}/*", route.verb));
        for k in 1..=literals.len().min(route.segments.len().saturating_sub(1)) {
            tails.insert(format!("{}/{}/*", route.verb, literals[..k].join("/")));
        }
        if literals.len() == route.segments.len() {
            tails.insert(format!("{}/{}", route.verb, literals.join("/")));
        }
    }
    let mut tails: Vec<String> = tails.into_iter().collect();
    tails.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    tails
        .into_iter()
        .filter_map(|tail| {
            let (literal, star) = match tail.strip_suffix('*') {
                Some(l) => (l, true),
                None => (tail.as_str(), false),
            };
            let mut reach = Reach {
                touch: bits(words),
                full: bits(words),
            };
            for (i, t) in tokens.iter().enumerate() {
                if heads_agree(literal, &heads[i]) && glob::prefix_intersects(literal, t, star) {
                    set(&mut reach.touch, i);
                    if glob::contains(&tail, t) {
                        set(&mut reach.full, i);
                    }
                }
            }
            reach.full.iter().any(|w| *w != 0).then(|| Candidate {
                tail: tail.into(),
                reach,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "arn:aws:execute-api:us-east-1:123456789012:api/prod/";

    fn routes(list: &[&str]) -> Arc<Routes> {
        Arc::new(Routes::parse(serde_json::to_string(list).unwrap().as_bytes()).unwrap())
    }

    fn compact(routes: &Arc<Routes>, granted: &[&str]) -> Vec<String> {
        let mut resources: Vec<Box<str>> =
            granted.iter().map(|t| format!("{P}{t}").into()).collect();
        resources.sort();
        let c = Compactor::new(&resources, routes);
        let ranks: Vec<u32> = (0..resources.len() as u32).collect();
        c.compact(&ranks, |r| &resources[r as usize])
            .into_iter()
            .map(|r| r.strip_prefix(P).map_or(r.clone(), str::to_string))
            .collect()
    }

    #[test]
    fn every_route_granted_becomes_one_wildcard() {
        let api = routes(&["GET /a", "POST /a", "GET /a/{id}"]);
        let all = compact(&api, &["GET/a", "POST/a", "GET/a/*", "$connect"]);
        assert_eq!(all, ["*"]);
    }

    #[test]
    fn a_wildcard_never_reaches_a_route_the_grant_lacks() {
        // IAM's * crosses /: GET/pets/* would also reach the photos.
        let api = routes(&["GET /pets/mine", "GET /pets/{id}/photos"]);
        assert_eq!(compact(&api, &["GET/pets/mine"]), ["GET/pets/mine"]);
        let api = routes(&[
            "GET /pets/{id}",
            "GET /pets/{id}/photos",
            "DELETE /pets/{id}",
        ]);
        assert_eq!(compact(&api, &["GET/pets/*"]), ["GET/*"], "both GET routes");
        assert_eq!(
            compact(&api, &["GET/pets/?", "GET/pets/??"]),
            ["GET/pets/?", "GET/pets/??"],
            "partial routes keep their Resources"
        );
    }

    #[test]
    fn resources_matching_no_route_are_dropped() {
        let api = routes(&["GET /a"]);
        assert_eq!(compact(&api, &["GET/a", "GET/gone"]), ["GET/*"]);
        assert!(compact(&api, &["POST/gone"]).is_empty());
    }

    #[test]
    fn wildcard_prefixes_are_kept_as_they_are() {
        let api = routes(&["GET /a"]);
        let resources: Vec<Box<str>> =
            vec!["arn:aws:execute-api:*:123456789012:api/*/GET/a".into()];
        let c = Compactor::new(&resources, &api);
        assert_eq!(
            c.compact(&[0], |r| &resources[r as usize]),
            [resources[0].to_string()]
        );
    }
}
