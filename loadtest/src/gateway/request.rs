//! One request as the gateway hands it to the authorizer: the values its
//! identity sources read.

use super::config::{self, ContextVar, IdentitySource};

/// One request, as the authorizer's identity sources and event see it.
pub(crate) struct Request<'r, 'h> {
    pub method: &'r str,
    /// Without the query string.
    pub path: &'r str,
    pub matched: config::Matched<'r, 'r>,
    pub query: &'r [(String, String)],
    pub header: &'r dyn Fn(&str) -> Option<&'h str>,
}

impl Request<'_, '_> {
    /// An identity source's value, if the request has it.
    pub(super) fn source(&self, source: &IdentitySource) -> Option<String> {
        match source {
            IdentitySource::Header(name) => (self.header)(name).map(str::to_string),
            IdentitySource::Query(name) => self.query_value(name).map(str::to_string),
            IdentitySource::Context(var) => Some(match var {
                ContextVar::HttpMethod => self.method.to_string(),
                ContextVar::Path => self.path.to_string(),
                ContextVar::RouteKey => self.route_key(),
                ContextVar::ResourcePath => self.matched.route.to_string(),
            }),
        }
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `$context.routeKey`: `GET /pets/{id}` (or `$connect`).
    pub(super) fn route_key(&self) -> String {
        if self.matched.route_method == "$connect" {
            "$connect".to_string()
        } else {
            format!("{} {}", self.matched.route_method, self.matched.route)
        }
    }
}
