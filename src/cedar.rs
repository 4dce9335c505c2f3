//! Cedar policy stores, in the shape Amazon Verified Permissions' "API
//! Gateway and identity provider" quick start generates —
//! `permit(principal in NS::UserGroup::"<prefix>|<group>", action in
//! [NS::Action::"get /orders"], resource);` — compiled at start into the
//! scope table: a group is a scope bit (the token's group claim with the
//! identity source's prefix, a scope source of the issuer), an action is
//! the route its id names, `forbid` takes routes away from the bits that
//! hold it. No Cedar evaluation per request: the answer is the usual
//! complete policy, so API Gateway caches it per token.
//!
//! IAM's `*` crosses `/`, while a route's `{param}` is one segment: the
//! Resource of `get /pets/{petId}` (`…/GET/pets/*`) also matches
//! `GET /pets/7/photos`. The schema's actions are the API's routes, so
//! each route's Resource is measured against the others at start; a grant
//! Denies the routes its Resources reach but it does not hold
//! ([`crate::scopes::ScopeTable::denials`]), and is answered per route when such a Deny
//! would also block a route it holds.
//!
//! What a cached complete policy cannot honour is refused at start with the
//! policy's id and why: conditions (`when`/`unless`), a principal that is one
//! user, a constrained resource, template-linked policies.
//!
//! `cedar-policy` parses the store and its schema. Its validator is not run:
//! it typechecks every policy under every action of the schema (1.7 s for
//! 1,000 policies on a 1,000-route API, BENCHMARKS §20), and in the shapes
//! accepted here, without conditions, it has nothing to check but what the
//! compiler checks itself — every action and entity type declared, the group
//! type one a principal can be in. tests/cedar_engine.rs holds the two to
//! agree on every generated store.

//!
//! The `cedar` feature (on by default) brings the compiler and the
//! `cedar-policy` crate; without it a store is refused at start.

#[cfg(feature = "cedar")]
mod compile;
pub mod load;

#[cfg(feature = "cedar")]
pub use compile::compile;

/// The API and stage a store's routes belong to:
/// `arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE`, both literal (a
/// wildcard stage would let a Resource's `*` reach into other paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api(String);

impl Api {
    /// Parses and checks `value`.
    pub fn parse(value: &str) -> Result<Api, String> {
        let wrong = || {
            "must be arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE (12-digit account, a literal stage)"
                .to_string()
        };
        let (arn, stage) = value.split_once('/').ok_or_else(wrong)?;
        let stage_ok = !stage.is_empty()
            && stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !stage_ok || !crate::scopes::permissions::valid_api_arn(arn) {
            return Err(wrong());
        }
        Ok(Api(value.to_string()))
    }

    /// `arn/stage`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The WARN line for a store some of whose groups no complete policy
/// expresses (`scopes`, from `ScopeTable::inexact_scopes`): their tokens are
/// answered per route, which a token-only cache key applies to every route.
pub fn warn_per_route_groups(scopes: &[&str]) {
    let mut groups = String::new();
    for (i, scope) in scopes.iter().enumerate() {
        if i > 0 {
            groups.push(',');
        }
        let name = if scope.is_empty() {
            "(every token)"
        } else {
            scope
        };
        crate::codec::json_write::push_json_str(&mut groups, name);
    }
    eprintln!(
        r#"{{"level":"WARN","timestamp":{},"message":"tokens of these groups are answered per route (no complete policy is exact for them): give the API an authorizer cache key with the route","groups":[{groups}]}}"#,
        (crate::clock::now() * 1000.0) as u64,
    );
}

/// One policy file of a store: its name (policy ids derive from it) and text.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// The file's name without `.cedar` (or `policies` for a single text).
    pub name: String,
    /// The Cedar policies it holds.
    pub text: String,
}
