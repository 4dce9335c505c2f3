//! The emulated API: stage, routes, authorizer type, identity source and
//! validation expression, from TOML (an embedded default describes the
//! lab's pets API, matching `identity::permissions`).

use regex::Regex;
use serde::Deserialize;

pub const DEFAULT: &str = include_str!("../../gateway.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizerKind {
    Token,
    Request,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    stage: String,
    authorizer: AuthorizerKind,
    identity_header: String,
    #[serde(default)]
    validation_expression: Option<String>,
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
    pub stage: String,
    pub authorizer: AuthorizerKind,
    pub identity_header: String,
    /// `identityValidationExpression` (TOKEN authorizers only). The regex
    /// crate matches in linear time: no backtracking on attacker input.
    pub validation: Option<Regex>,
    pub routes: Vec<Route>,
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
            validation,
            routes,
        })
    }

    pub fn default_api() -> GatewayConfig {
        match GatewayConfig::parse(DEFAULT) {
            Ok(c) => c,
            Err(e) => unreachable!("the embedded gateway config is checked by a test: {e}"),
        }
    }

    /// The route for `method path` (`/stage/resource…`), and the resource
    /// path as it appears in the method ARN (without the stage).
    pub fn route<'p>(&self, method: &str, path: &'p str) -> Option<(&str, &'p str)> {
        let rest = path.strip_prefix('/')?.strip_prefix(self.stage.as_str())?;
        let resource = rest.strip_prefix('/')?;
        let parts: Vec<&str> = resource.split('/').collect();
        self.routes
            .iter()
            .find(|r| {
                (r.method == method || r.method == "ANY") && segments_match(&r.segments, &parts)
            })
            .map(|r| (r.path.as_str(), resource))
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
