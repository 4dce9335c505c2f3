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
/// API stage (REST precedence: at the first segment where two matching
/// routes differ, a literal over a `{param}` over a `{proxy+}`). Built once
/// at start as a tree per method; a selection walks the request's segments
/// trying the literal child, then the parameter, then a `{proxy+}`, so it
/// visits each node of the tree at most once (a node has one path from the
/// root) and stops at the first match, which is the one API Gateway picks.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    by_verb: HashMap<Box<str>, Node>,
}

/// One path segment's place in the tree: routes ending here, and below.
#[derive(Debug, Clone, Default)]
struct Node {
    /// The route whose last segment this is.
    route: Option<u32>,
    literal: HashMap<Box<str>, Node>,
    param: Option<Box<Node>>,
    /// The route whose `{proxy+}` follows this segment.
    proxy: Option<u32>,
}

impl Selector {
    /// Indexes `routes`; a selection answers an index into them (the first
    /// of two equal routes).
    pub fn new(routes: &[Route]) -> Selector {
        let mut by_verb: HashMap<Box<str>, Node> = HashMap::new();
        for (i, route) in routes.iter().enumerate() {
            let mut node = by_verb.entry(route.verb.clone()).or_default();
            let mut proxy = false;
            for segment in &route.segments {
                match segment {
                    Segment::Literal(l) => node = node.literal.entry(l.clone()).or_default(),
                    Segment::Param => node = node.param.get_or_insert_with(Box::default),
                    Segment::Proxy => {
                        node.proxy.get_or_insert(i as u32);
                        proxy = true;
                    }
                }
            }
            if !proxy {
                node.route.get_or_insert(i as u32);
            }
        }
        Selector { by_verb }
    }

    /// The route a request for `verb` on `path` (after the stage, without
    /// its leading `/`: `pets/7`, or empty for the root) goes to, if any.
    pub fn select(&self, verb: &str, path: &str) -> Option<u32> {
        self.select_counted(verb, path).0
    }

    /// [`Selector::select`] and the tree nodes it visited (never more than
    /// the tree holds, whatever the path).
    pub fn select_counted(&self, verb: &str, path: &str) -> (Option<u32>, usize) {
        let Some(root) = self.by_verb.get(verb) else {
            return (None, 0);
        };
        let mut visited = 0;
        let path = Some(path).filter(|p| !p.is_empty());
        (root.select(path, &mut visited), visited)
    }
}

impl Node {
    /// The route for the rest of a path (`None` once every segment is
    /// consumed), read a segment at a time: nothing is allocated.
    fn select(&self, path: Option<&str>, visited: &mut usize) -> Option<u32> {
        *visited += 1;
        let Some(path) = path else {
            return self.route;
        };
        let (first, rest) = match path.split_once('/') {
            Some((first, rest)) => (first, Some(rest)),
            None => (path, None),
        };
        // No route has an empty segment; a `{param}` or `{proxy+}` is one
        // or more characters.
        if first.is_empty() {
            return None;
        }
        if let Some(r) = self
            .literal
            .get(first)
            .and_then(|n| n.select(rest, visited))
        {
            return Some(r);
        }
        if let Some(r) = self.param.as_ref().and_then(|n| n.select(rest, visited)) {
            return Some(r);
        }
        self.proxy
            .filter(|_| rest.is_none_or(|r| r.split('/').all(|p| !p.is_empty())))
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
        let selector = Selector::new(&routes);
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
