//! The emulated API: stage, routes, the authorizer's form, its identity
//! sources (the cache key) and validation expression, from TOML (an
//! embedded default describes the lab's pets API, matching
//! `identity::permissions`).

use regex::Regex;
use serde::Deserialize;

pub const DEFAULT: &str = include_str!("../../gateway.toml");

/// Which authorizer API Gateway calls, and what it expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizerKind {
    /// REST API TOKEN authorizer: the header value is the key and the event.
    Token,
    /// REST API REQUEST authorizer.
    Request,
    /// HTTP API Lambda authorizer (`payload_format`, `simple_responses`).
    Http,
    /// WebSocket API `$connect` (a REQUEST authorizer for one route).
    WebSocket,
}

/// HTTP API authorizer payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PayloadFormat {
    #[serde(rename = "1.0")]
    V1,
    #[serde(rename = "2.0")]
    V2,
}

/// One identity source: its value is part of the cache key, and a request
/// without it gets 401 before any invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A request header (case-insensitive).
    Header(String),
    /// A query-string parameter.
    Query(String),
    /// A `$context` variable.
    Context(ContextVar),
}

/// The `$context` variables the emulator can put in a cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextVar {
    /// The method.
    HttpMethod,
    /// The concrete request path.
    Path,
    /// The matched route template (`GET /pets/{id}`; one value behind
    /// `{proxy+}` for every path under it).
    RouteKey,
    /// The matched resource (`/pets/{id}`).
    ResourcePath,
}

impl IdentitySource {
    /// Reads API Gateway's spellings: `$request.header.X` (HTTP API),
    /// `method.request.header.X` (REST), `route.request.header.X`
    /// (WebSocket), the same with `querystring`, and `$context.X` or
    /// `context.X`.
    pub fn parse(text: &str) -> Result<IdentitySource, String> {
        for prefix in ["$request.", "method.request.", "route.request."] {
            if let Some(rest) = text.strip_prefix(prefix) {
                if let Some(name) = rest.strip_prefix("header.").filter(|n| !n.is_empty()) {
                    return Ok(IdentitySource::Header(name.to_string()));
                }
                if let Some(name) = rest.strip_prefix("querystring.").filter(|n| !n.is_empty()) {
                    return Ok(IdentitySource::Query(name.to_string()));
                }
            }
        }
        let var = text
            .strip_prefix("$context.")
            .or_else(|| text.strip_prefix("context."));
        match var {
            Some("httpMethod") => Ok(IdentitySource::Context(ContextVar::HttpMethod)),
            Some("path") => Ok(IdentitySource::Context(ContextVar::Path)),
            Some("routeKey") => Ok(IdentitySource::Context(ContextVar::RouteKey)),
            Some("resourcePath") => Ok(IdentitySource::Context(ContextVar::ResourcePath)),
            _ => Err(format!(
                "`{text}` is not an identity source the emulator knows ($request.header.NAME, \
                 $request.querystring.NAME, $context.httpMethod, $context.path, \
                 $context.routeKey, $context.resourcePath)"
            )),
        }
    }
}

/// What API Gateway does with a policy over `policy_limit_bytes`. AWS
/// documents no REST limit; an AWS Solution saw every request denied past
/// about 30 statements ("fails to evaluate"), so `deny` is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PastLimit {
    /// 403, as an explicit deny would answer.
    Deny,
    /// 500, as an authorizer failure would answer.
    Error,
}

/// The policy size the emulator evaluates: WebSocket's documented 8 KB.
pub const DEFAULT_POLICY_LIMIT_BYTES: usize = 8192;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    stage: String,
    authorizer: AuthorizerKind,
    identity_header: String,
    #[serde(default)]
    identity_sources: Option<Vec<String>>,
    #[serde(default)]
    payload_format: Option<PayloadFormat>,
    #[serde(default)]
    simple_responses: bool,
    #[serde(default)]
    validation_expression: Option<String>,
    #[serde(default)]
    policy_limit_bytes: Option<usize>,
    #[serde(default)]
    past_limit: Option<PastLimit>,
    routes: Vec<RouteFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    method: String,
    path: String,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    /// Segments; `{name}` matches one segment, `{name+}` the rest.
    pub segments: Vec<String>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The stage; `$default` (HTTP API) has no path prefix.
    pub stage: String,
    pub authorizer: AuthorizerKind,
    /// The TOKEN authorizer's header (and the default identity source).
    pub identity_header: String,
    /// The cache key's parts (REQUEST, HTTP API and WebSocket authorizers).
    pub identity_sources: Vec<IdentitySource>,
    /// HTTP API only.
    pub payload_format: PayloadFormat,
    /// HTTP API 2.0 only: the authorizer answers `{"isAuthorized"}`.
    pub simple_responses: bool,
    /// `identityValidationExpression` (TOKEN authorizers only). The regex
    /// crate matches in linear time: no backtracking on attacker input.
    pub validation: Option<Regex>,
    /// The longest `policyDocument` the emulator evaluates.
    pub policy_limit_bytes: usize,
    /// What a longer one gets.
    pub past_limit: PastLimit,
    pub routes: Vec<Route>,
}

/// What a request matched: the route template and the resource path as it
/// appears in the method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched<'c, 'p> {
    /// The route's path template (`/pets/{id}`), or `$connect`.
    pub route: &'c str,
    /// The method the route was declared with (`ANY` stays `ANY`).
    pub route_method: &'c str,
    /// The path after the stage, without its leading `/` (`pets/42`).
    pub resource: &'p str,
}

impl GatewayConfig {
    pub fn parse(text: &str) -> Result<GatewayConfig, String> {
        let f: File = toml::from_str(text).map_err(|e| format!("gateway config: {e}"))?;
        let validation = f
            .validation_expression
            .map(|v| {
                Regex::new(&v).map_err(|e| format!("gateway config: `validation_expression`: {e}"))
            })
            .transpose()?;
        if f.routes.is_empty() {
            return Err("gateway config: `routes` is empty".into());
        }
        let identity_sources = match f.identity_sources {
            Some(list) if list.is_empty() => {
                return Err("gateway config: `identity_sources` is empty".into());
            }
            Some(list) => list
                .iter()
                .map(|s| IdentitySource::parse(s))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("gateway config: `identity_sources`: {e}"))?,
            None => vec![IdentitySource::Header(f.identity_header.clone())],
        };
        let http = f.authorizer == AuthorizerKind::Http;
        if !http && (f.payload_format.is_some() || f.simple_responses) {
            return Err(
                "gateway config: `payload_format` and `simple_responses` are for `authorizer = \"http\"`"
                    .into(),
            );
        }
        let payload_format = f.payload_format.unwrap_or(PayloadFormat::V2);
        if f.simple_responses && payload_format != PayloadFormat::V2 {
            return Err(
                "gateway config: `simple_responses` needs `payload_format = \"2.0\"`".into(),
            );
        }
        let routes = f
            .routes
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                if !r.path.starts_with('/') {
                    return Err(format!(
                        "gateway config: `routes[{i}].path` must start with /"
                    ));
                }
                Ok(Route {
                    method: r.method.to_ascii_uppercase(),
                    segments: r.path[1..].split('/').map(str::to_string).collect(),
                    path: r.path,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(GatewayConfig {
            stage: f.stage,
            authorizer: f.authorizer,
            identity_header: f.identity_header,
            identity_sources,
            payload_format,
            simple_responses: f.simple_responses,
            validation,
            policy_limit_bytes: f.policy_limit_bytes.unwrap_or(DEFAULT_POLICY_LIMIT_BYTES),
            past_limit: f.past_limit.unwrap_or(PastLimit::Deny),
            routes,
        })
    }

    pub fn default_api() -> GatewayConfig {
        match GatewayConfig::parse(DEFAULT) {
            Ok(c) => c,
            Err(e) => unreachable!("the embedded gateway config is checked by a test: {e}"),
        }
    }

    /// The route for `method path` (`/stage/resource…`, or `/resource…` on
    /// the `$default` stage); a WebSocket API has one route the authorizer
    /// guards, `$connect`, reached by a GET of the stage.
    pub fn route<'c, 'p>(&'c self, method: &str, path: &'p str) -> Option<Matched<'c, 'p>> {
        let resource = if self.stage == "$default" {
            path.strip_prefix('/')?
        } else {
            let rest = path.strip_prefix('/')?.strip_prefix(self.stage.as_str())?;
            if self.authorizer == AuthorizerKind::WebSocket {
                return (method == "GET" && (rest.is_empty() || rest == "/")).then_some(Matched {
                    route: "$connect",
                    route_method: "$connect",
                    resource: "$connect",
                });
            }
            rest.strip_prefix('/')?
        };
        let parts: Vec<&str> = resource.split('/').collect();
        self.routes
            .iter()
            .find(|r| {
                (r.method == method || r.method == "ANY") && segments_match(&r.segments, &parts)
            })
            .map(|r| Matched {
                route: r.path.as_str(),
                route_method: r.method.as_str(),
                resource,
            })
    }
}

fn segments_match(template: &[String], parts: &[&str]) -> bool {
    for (i, t) in template.iter().enumerate() {
        if t.starts_with('{') && t.ends_with("+}") {
            return parts.len() > i && parts[i..].iter().all(|p| !p.is_empty());
        }
        match parts.get(i) {
            Some(p) if t.starts_with('{') && t.ends_with('}') => {
                if p.is_empty() {
                    return false;
                }
            }
            Some(p) if p == t => {}
            _ => return false,
        }
    }
    parts.len() == template.len()
}
