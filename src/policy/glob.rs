//! IAM wildcard patterns (`*` any run of characters, `/` included; `?` one
//! character) against the language of a route (`{param}` one or more
//! characters without `/`, `{proxy+}` one or more characters): whether a
//! pattern can match some request of the route ([`intersects`], exact)
//! and whether it matches every request of it ([`contains`], sound: a
//! `true` is always right, a rare `false` only costs compaction). Start-up
//! work, never per request.

use crate::routes::{Route, Segment};

/// A route's method-ARN tail as symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// One literal character.
    Ch(char),
    /// `{param}`: one or more characters, no `/`.
    Seg,
    /// `{proxy+}`: one or more characters.
    Rest,
}

/// `verb/seg/seg…` (the root is `verb/`), or the route key alone.
pub fn route_tokens(route: &Route) -> Vec<Tok> {
    let mut out: Vec<Tok> = route.verb.chars().map(Tok::Ch).collect();
    if route.is_route_key() {
        return out;
    }
    out.push(Tok::Ch('/'));
    for (i, segment) in route.segments.iter().enumerate() {
        if i > 0 {
            out.push(Tok::Ch('/'));
        }
        match segment {
            Segment::Literal(l) => out.extend(l.chars().map(Tok::Ch)),
            Segment::Param => out.push(Tok::Seg),
            Segment::Proxy => out.push(Tok::Rest),
        }
    }
    out
}

/// The literal characters a route's every request begins with.
pub fn literal_head(tokens: &[Tok]) -> String {
    tokens
        .iter()
        .map_while(|t| match t {
            Tok::Ch(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// Whether one of two literal heads begins the other.
pub fn heads_agree(a: &str, b: &str) -> bool {
    let n = a.len().min(b.len());
    a.as_bytes()[..n] == b.as_bytes()[..n]
}

/// What one step consumes.
#[derive(Clone, Copy)]
enum Class {
    Any,
    NotSlash,
    Lit(char),
}

fn overlap(a: Class, b: Class) -> bool {
    match (a, b) {
        (Class::Any, _) | (_, Class::Any) | (Class::NotSlash, Class::NotSlash) => true,
        (Class::Lit(c), Class::NotSlash) | (Class::NotSlash, Class::Lit(c)) => c != '/',
        (Class::Lit(c), Class::Lit(d)) => c == d,
    }
}

/// Whether some string matches both `pattern` and the route `tokens`: a
/// search over (pattern position, route position, inside a parameter).
pub fn intersects(pattern: &str, tokens: &[Tok]) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    // Cheap refusal first: the literal run before the first wildcard.
    let literal: String = p.iter().take_while(|c| !matches!(c, '*' | '?')).collect();
    if !prefix_intersects(&literal, tokens, literal.len() < pattern.len()) {
        return false;
    }
    let (g, t) = (p.len() + 1, tokens.len() + 1);
    let index = |i: usize, j: usize, inside: bool| (i * t + j) * 2 + usize::from(inside);
    let mut seen = vec![false; g * t * 2];
    let mut stack = vec![(0usize, 0usize, false)];
    seen[index(0, 0, false)] = true;
    let mut push = |stack: &mut Vec<(usize, usize, bool)>, s: (usize, usize, bool)| {
        let k = index(s.0, s.1, s.2);
        if !seen[k] {
            seen[k] = true;
            stack.push(s);
        }
    };
    while let Some((i, j, inside)) = stack.pop() {
        if i == p.len() && j == tokens.len() && !inside {
            return true;
        }
        if i < p.len() && p[i] == '*' {
            push(&mut stack, (i + 1, j, inside));
        }
        if inside {
            push(&mut stack, (i, j + 1, false));
        }
        let Some(glob) = p.get(i).map(|&c| match c {
            '*' => (Class::Any, i),
            '?' => (Class::Any, i + 1),
            c => (Class::Lit(c), i + 1),
        }) else {
            continue;
        };
        let route = match tokens.get(j) {
            None => continue,
            Some(Tok::Ch(c)) if !inside => (Class::Lit(*c), j + 1, false),
            Some(Tok::Ch(_)) => continue,
            Some(Tok::Seg) => (Class::NotSlash, j, true),
            Some(Tok::Rest) => (Class::Any, j, true),
        };
        if overlap(glob.0, route.0) {
            push(&mut stack, (glob.1, route.1, route.2));
        }
    }
    false
}

/// Whether some string of the route starts with `literal` (and, unless
/// `then_anything`, is exactly it).
pub fn prefix_intersects(literal: &str, tokens: &[Tok], then_anything: bool) -> bool {
    // The route positions reachable after each literal character.
    let mut states: Vec<(usize, bool)> = vec![(0, false)];
    for c in literal.chars() {
        let mut next: Vec<(usize, bool)> = Vec::new();
        for &(j, inside) in &states {
            let mut moves = Vec::with_capacity(2);
            if inside {
                // Stay in the parameter, or leave it and read token j + 1.
                match tokens[j] {
                    Tok::Seg if c != '/' => moves.push((j, true)),
                    Tok::Rest => moves.push((j, true)),
                    _ => {}
                }
                if let Some(Tok::Ch(d)) = tokens.get(j + 1)
                    && *d == c
                {
                    moves.push((j + 2, false));
                }
                match tokens.get(j + 1) {
                    Some(Tok::Seg) if c != '/' => moves.push((j + 1, true)),
                    Some(Tok::Rest) => moves.push((j + 1, true)),
                    _ => {}
                }
            } else {
                match tokens.get(j) {
                    Some(Tok::Ch(d)) if *d == c => moves.push((j + 1, false)),
                    Some(Tok::Seg) if c != '/' => moves.push((j, true)),
                    Some(Tok::Rest) => moves.push((j, true)),
                    _ => {}
                }
            }
            for m in moves {
                if !next.contains(&m) {
                    next.push(m);
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        states = next;
    }
    then_anything
        || states.iter().any(|&(j, inside)| {
            let end = if inside { j + 1 } else { j };
            end == tokens.len()
        })
}

/// Whether `pattern` matches every string of the route (sound: `*` may
/// absorb parameters, `?` and literals only literal characters).
pub fn contains(pattern: &str, tokens: &[Tok]) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    wildcard(&p, '*', tokens.len(), |pc, vi| match (pc, tokens[vi]) {
        ('?', Tok::Ch(_)) => true,
        (c, Tok::Ch(d)) => c == d,
        _ => false,
    })
    .0
}

/// Whether every string `inner` matches, `outer` matches too (sound).
pub fn glob_contains(outer: &str, inner: &str) -> bool {
    let p: Vec<char> = outer.chars().collect();
    let v: Vec<char> = inner.chars().collect();
    wildcard(&p, '*', v.len(), |pc, vi| match (pc, v[vi]) {
        (_, '*') => false,
        ('?', _) => true,
        (c, d) => c == d && d != '?',
    })
    .0
}

/// The one wildcard matcher (IAM's, and the start-up checks above): pattern
/// `p` over `len` value symbols, `star` the symbol that matches any run,
/// `one` whether any other pattern symbol matches value symbol `vi`. Greedy
/// with one backtrack point: at most `p.len() × len` steps, and it returns
/// how many it took (tests/work_bounds.rs counts them).
pub(crate) fn wildcard<T: Copy + PartialEq>(
    p: &[T],
    star: T,
    len: usize,
    one: impl Fn(T, usize) -> bool,
) -> (bool, usize) {
    let (mut pi, mut vi, mut steps) = (0, 0, 0);
    let mut back: Option<(usize, usize)> = None;
    while vi < len {
        steps += 1;
        // The star test comes first: a `*` in the pattern is a wildcard
        // even where the value holds a literal `*` (found by fuzzing).
        if pi < p.len() && p[pi] == star {
            back = Some((pi, vi));
            pi += 1;
        } else if pi < p.len() && one(p[pi], vi) {
            pi += 1;
            vi += 1;
        } else if let Some((sp, sv)) = back {
            pi = sp + 1;
            vi = sv + 1;
            back = Some((sp, sv + 1));
        } else {
            return (false, steps);
        }
    }
    (p[pi..].iter().all(|&c| c == star), steps + p.len() - pi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Routes;

    fn route(text: &str) -> Vec<Tok> {
        let routes = Routes::parse(format!("[\"{text}\"]").as_bytes()).unwrap();
        let r = routes.all().iter().find(|r| !r.is_route_key()).unwrap();
        route_tokens(r)
    }

    #[test]
    fn a_star_crosses_segments_and_a_param_does_not() {
        let pets_id = route("GET /pets/{id}");
        assert!(contains("GET/pets/*", &pets_id));
        assert!(contains("*", &pets_id));
        assert!(contains("GET/*", &pets_id));
        assert!(!contains("GET/pets/?", &pets_id), "an id may be longer");
        assert!(intersects("GET/pets/?", &pets_id));
        assert!(!contains("POST/*", &pets_id));
        assert!(!intersects("POST/*", &pets_id));
        let photos = route("GET /pets/{id}/photos");
        assert!(intersects("GET/pets/*", &photos), "IAM's * crosses /");
        assert!(!intersects("GET/pets/7", &photos));
        assert!(intersects("GET/pets/7/photos", &photos));
        assert!(!contains("GET/pets/7/photos", &photos));
        assert!(intersects("GET/*/photos", &photos));
        assert!(!intersects("GET/pets/a/b/photos", &photos), "one segment");
        let proxy = route("GET /admin/{proxy+}");
        assert!(intersects("GET/admin/a/b/c", &proxy));
        assert!(!intersects("GET/admin/", &proxy), "proxy+ is not empty");
        assert!(contains("GET/admin/*", &proxy));
        let root = route("GET /");
        assert!(intersects("GET/", &root) && contains("GET/", &root));
        assert!(!intersects("GET/x", &root));
    }

    #[test]
    fn prefix_checks_agree_with_the_search() {
        let photos = route("GET /pets/{id}/photos");
        for (lit, star) in [
            ("GET/pets/", true),
            ("GET/pets/1/ph", true),
            ("GET/pets/1/photos", false),
            ("GET/pets/1/", false),
            ("GET/pets/1/x", true),
            ("GET/pets//", true),
        ] {
            let pattern = if star {
                format!("{lit}*")
            } else {
                lit.to_string()
            };
            assert_eq!(
                prefix_intersects(lit, &photos, star),
                intersects(&pattern, &photos),
                "{pattern}"
            );
        }
    }

    #[test]
    fn glob_containment_is_sound() {
        assert!(glob_contains("a/*", "a/b"));
        assert!(glob_contains("a/*", "a/*/c"));
        assert!(glob_contains("a/?", "a/?"));
        assert!(!glob_contains("a/b", "a/?"));
        assert!(!glob_contains("a/?", "a/*"));
        assert!(!glob_contains("a/b*", "a/*"));
        assert!(glob_contains("*", "anything*?"));
    }
}
