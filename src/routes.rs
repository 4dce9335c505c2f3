//! The API's routes (`SCOPEGATE_ROUTES`): the universe of requests a
//! policy is ever evaluated against. API Gateway answers a request that
//! matches no route itself (403 "Missing Authentication Token") without
//! calling the authorizer, so a policy need only be right on these routes;
//! knowing them lets the policy stage use IAM wildcards that are exact on
//! the API (see [`crate::policy::compact`]).
//!
//! Given as a JSON array of `"VERB /path"` (API Gateway's resource syntax:
//! `{param}` is one path segment, a final `{proxy+}` one or more; `ANY` is
//! every method), or an OpenAPI 3 / Swagger 2 export as
//! `aws apigateway get-export` writes it (JSON).

use std::collections::HashMap;
use std::fmt;

/// Methods API Gateway routes on; `ANY` is all of them.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/// Most routes accepted (after `ANY` is expanded per method).
pub const MAX_ROUTES: usize = 20_000;

/// One path segment of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Itself.
    Literal(Box<str>),
    /// `{name}`: one or more characters, no `/`.
    Param,
    /// `{name+}` (last): one or more characters, `/` included.
    Proxy,
}

/// One method of one resource: the method ARN's tail is `verb/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The method (never `ANY`), or `$connect` for the WebSocket route,
    /// whose tail is the route key alone.
    pub verb: Box<str>,
    /// The path's segments (`/` is one empty literal).
    pub segments: Vec<Segment>,
}

impl Route {
    /// The WebSocket `$connect` route: tail `$connect`.
    pub fn connect() -> Route {
        Route {
            verb: "$connect".into(),
            segments: Vec::new(),
        }
    }

    /// Whether this is a route key (no method, no path).
    pub fn is_route_key(&self) -> bool {
        self.verb.starts_with('$')
    }
}

impl Route {
    /// `verb` (a method or `ANY`, upper case) on `path` (`/pets/{petId}`):
    /// one route per method.
    pub fn parse_all(verb: &str, path: &str) -> Result<Vec<Route>, String> {
        let mut routes = Vec::new();
        push_route(&mut routes, verb, path)?;
        Ok(routes)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_route_key() {
            return f.write_str(&self.verb);
        }
        write!(f, "{} ", self.verb)?;
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for s in &self.segments {
            match s {
                Segment::Literal(l) => write!(f, "/{l}")?,
                Segment::Param => f.write_str("/{}")?,
                Segment::Proxy => f.write_str("/{+}")?,
            }
        }
        Ok(())
    }
}

/// Every route of the API, de-duplicated, plus the WebSocket `$connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// Parses a routes document: a JSON array of `"VERB /path"`, or an
    /// OpenAPI 3 / Swagger 2 object with `paths`.
    pub fn parse(bytes: &[u8]) -> Result<Routes, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            let yaml = bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[')
                && bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{');
            if yaml {
                format!("not JSON ({e}); export OpenAPI as JSON: aws apigateway get-export --export-type oas30 --accepts application/json")
            } else {
                format!("not JSON: {e}")
            }
        })?;
        let mut routes = Vec::new();
        match &value {
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let text = item
                        .as_str()
                        .ok_or_else(|| format!("route {i} is not a string \"VERB /path\""))?;
                    let (verb, path) = text
                        .split_once(' ')
                        .ok_or_else(|| format!("route {i} (`{text}`) is not \"VERB /path\""))?;
                    push_route(&mut routes, verb, path).map_err(|e| format!("route {i}: {e}"))?;
                }
            }
            serde_json::Value::Object(doc) => {
                let paths = doc
                    .get("paths")
                    .and_then(serde_json::Value::as_object)
                    .ok_or("an OpenAPI or Swagger document needs a `paths` object")?;
                for (path, item) in paths {
                    let Some(item) = item.as_object() else {
                        return Err(format!("paths `{path}` is not an object"));
                    };
                    for key in item.keys() {
                        let verb = match key.as_str() {
                            "x-amazon-apigateway-any-method" => "ANY".to_string(),
                            m if METHODS.iter().any(|v| v.eq_ignore_ascii_case(m)) => {
                                m.to_ascii_uppercase()
                            }
                            // parameters, summary, servers, other extensions
                            _ => continue,
                        };
                        push_route(&mut routes, &verb, path)
                            .map_err(|e| format!("paths `{path}`: {e}"))?;
                    }
                }
            }
            _ => {
                return Err(
                    "expected a JSON array of \"VERB /path\" or an OpenAPI document".into(),
                );
            }
        }
        if routes.is_empty() {
            return Err("names no route".into());
        }
        routes.push(Route::connect());
        routes.sort_by_cached_key(ToString::to_string);
        routes.dedup();
        if routes.len() > MAX_ROUTES {
            return Err(format!(
                "{} routes, over the limit of {MAX_ROUTES}",
                routes.len()
            ));
        }
        Ok(Routes { routes })
    }

    /// The routes, in a stable order (indexes are route ids).
    pub fn all(&self) -> &[Route] {
        &self.routes
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// None (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

fn push_route(routes: &mut Vec<Route>, verb: &str, path: &str) -> Result<(), String> {
    let verbs: Vec<&str> = match verb {
        "ANY" => METHODS.to_vec(),
        v if METHODS.contains(&v) => vec![v],
        v => return Err(format!("`{v}` is not one of {} or ANY", METHODS.join(", "))),
    };
    let segments = segments(path)?;
    for verb in verbs {
        routes.push(Route {
            verb: verb.into(),
            segments: segments.clone(),
        });
    }
    Ok(())
}

fn segments(path: &str) -> Result<Vec<Segment>, String> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("path `{path}` must start with /"))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let segment = if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(name) = name.strip_suffix('+') {
                if i + 1 != parts.len() {
                    return Err(format!(
                        "path `{path}`: {{{name}+}} must be the last segment"
                    ));
                }
                Segment::Proxy
            } else {
                Segment::Param
            }
        } else {
            if part.is_empty() {
                return Err(format!("path `{path}` has an empty segment"));
            }
            if part
                .chars()
                .any(|c| matches!(c, '{' | '}' | '*' | '?') || c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "path `{path}`: segment `{part}` may not hold braces, wildcards, whitespace or control characters"
                ));
            }
            Segment::Literal((*part).into())
        };
        out.push(segment);
    }
    Ok(out)
}

/// Which route API Gateway selects for a request, among the routes of one
/// API stage (REST precedence: segment by segment, a literal over a
/// `{param}` over a `{proxy+}`). Built once at start; a selection looks at
/// the routes of the request's method whose first segment can match it —
/// at most [`MAX_ROUTES`], each compared segment by segment up to its own
/// length and stopping at the first literal that differs — on a path no
/// longer than a method ARN API Gateway sends.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    routes: Vec<Route>,
    /// Per method: route indexes by first literal segment, and those whose
    /// first segment is a parameter (or that are the root).
    by_verb: HashMap<Box<str>, FirstSegment>,
}

#[derive(Debug, Clone, Default)]
struct FirstSegment {
    literal: HashMap<Box<str>, Vec<u32>>,
    other: Vec<u32>,
}

impl Selector {
    /// Indexes `routes`; a selection answers an index into them.
    pub fn new(routes: Vec<Route>) -> Selector {
        let mut by_verb: HashMap<Box<str>, FirstSegment> = HashMap::new();
        for (i, route) in routes.iter().enumerate() {
            let first = by_verb.entry(route.verb.clone()).or_default();
            match route.segments.first() {
                Some(Segment::Literal(l)) => {
                    first.literal.entry(l.clone()).or_default().push(i as u32);
                }
                _ => first.other.push(i as u32),
            }
        }
        Selector { routes, by_verb }
    }

    /// The route a request for `verb` on `path` (after the stage, without
    /// its leading `/`: `pets/7`, or empty for the root) goes to, if any.
    pub fn select(&self, verb: &str, path: &str) -> Option<u32> {
        let index = self.by_verb.get(verb)?;
        let parts: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').collect()
        };
        let literal = parts
            .first()
            .and_then(|p| index.literal.get(*p))
            .into_iter()
            .flatten();
        literal
            .chain(&index.other)
            .copied()
            .filter(|&i| self.routes[i as usize].matches(&parts))
            .max_by(|&a, &b| self.routes[a as usize].precedence(&self.routes[b as usize]))
    }
}

impl Route {
    /// Whether a request path's segments are in this route's language.
    fn matches(&self, parts: &[&str]) -> bool {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Proxy => {
                    return parts.len() > i && parts[i..].iter().all(|p| !p.is_empty());
                }
                Segment::Param => {
                    if parts.get(i).is_none_or(|p| p.is_empty()) {
                        return false;
                    }
                }
                Segment::Literal(l) => {
                    if parts.get(i) != Some(&l.as_ref()) {
                        return false;
                    }
                }
            }
        }
        parts.len() == self.segments.len()
    }

    /// How API Gateway ranks two routes that both match a request: at the
    /// first segment where they differ, a literal wins over a `{param}`,
    /// which wins over a `{proxy+}`.
    fn precedence(&self, other: &Route) -> std::cmp::Ordering {
        let rank = |s: &Segment| match s {
            Segment::Literal(_) => 2,
            Segment::Param => 1,
            Segment::Proxy => 0,
        };
        self.segments
            .iter()
            .map(rank)
            .cmp(other.segments.iter().map(rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: &Routes) -> Vec<String> {
        r.all().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_selector_prefers_a_literal_then_a_param_then_a_proxy() {
        let routes: Vec<Route> = [
            ("GET", "/{proxy+}"),
            ("GET", "/pets/{id}"),
            ("GET", "/pets/{id}/photos"),
            ("GET", "/pets/mine"),
            ("GET", "/pets/{id}/{proxy+}"),
            ("GET", "/"),
            ("POST", "/pets"),
        ]
        .iter()
        .flat_map(|(verb, path)| Route::parse_all(verb, path).unwrap())
        .collect();
        let selector = Selector::new(routes.clone());
        let selected = |verb: &str, path: &str| {
            selector
                .select(verb, path)
                .map(|i| routes[i as usize].to_string())
        };
        assert_eq!(selected("GET", "pets/mine").unwrap(), "GET /pets/mine");
        assert_eq!(selected("GET", "pets/7").unwrap(), "GET /pets/{}");
        assert_eq!(
            selected("GET", "pets/7/photos").unwrap(),
            "GET /pets/{}/photos"
        );
        assert_eq!(
            selected("GET", "pets/7/toys/1").unwrap(),
            "GET /pets/{}/{+}"
        );
        assert_eq!(selected("GET", "pets").unwrap(), "GET /{+}");
        assert_eq!(selected("GET", "").unwrap(), "GET /");
        assert_eq!(selected("POST", "pets").unwrap(), "POST /pets");
        // No route: another method, an empty segment, a method not routed.
        assert_eq!(selected("POST", "pets/7"), None);
        assert_eq!(selected("GET", "pets//photos"), None);
        assert_eq!(selected("DELETE", "pets"), None);
    }

    #[test]
    fn a_list_of_verb_and_path() {
        let r =
            Routes::parse(br#"["GET /pets", "GET /pets/{id}", "ANY /admin/{proxy+}", "GET /"]"#)
                .unwrap();
        let n = names(&r);
        assert!(n.contains(&"GET /pets".to_string()));
        assert!(n.contains(&"GET /pets/{}".to_string()));
        assert!(n.contains(&"DELETE /admin/{+}".to_string()));
        assert!(n.contains(&"GET /".to_string()));
        assert!(n.contains(&"$connect".to_string()));
        assert_eq!(r.len(), 3 + 7 + 1);
    }

    #[test]
    fn an_openapi_export() {
        let doc = br#"{"openapi":"3.0.1","info":{"title":"pets"},"paths":{
            "/pets":{"get":{},"post":{},"parameters":[]},
            "/pets/{petId}":{"get":{},"x-amazon-apigateway-any-method":{}},
            "/{proxy+}":{"options":{}}}}"#;
        let n = names(&Routes::parse(doc).unwrap());
        assert!(n.contains(&"POST /pets".to_string()));
        assert!(n.contains(&"PATCH /pets/{}".to_string()));
        assert!(n.contains(&"OPTIONS /{+}".to_string()));
        let swagger = br#"{"swagger":"2.0","paths":{"/a":{"put":{}}}}"#;
        assert!(names(&Routes::parse(swagger).unwrap()).contains(&"PUT /a".to_string()));
    }

    #[test]
    fn bad_routes_are_named() {
        for (doc, needle) in [
            (&br#"["FETCH /a"]"#[..], "route 0"),
            (br#"["GET a"]"#, "must start with /"),
            (br#"["GET /a/{p+}/b"]"#, "last segment"),
            (br#"["GET /a//b"]"#, "empty segment"),
            (br#"["GET /a*"]"#, "wildcards"),
            (b"[1]", "not a string"),
            (b"[]", "names no route"),
            (br#"{"info":{}}"#, "`paths`"),
            (b"openapi: 3.0.1\npaths: {}", "--accepts application/json"),
        ] {
            let e = Routes::parse(doc).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
    }
}
