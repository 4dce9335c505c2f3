//! Compiling a store (see [`super`]): parse and validate with
//! `cedar-policy`, then routes, group bits, grants, forbids and reach.

use super::{Api, PolicyFile};
use crate::policy::glob::{self, Tok};
use crate::routes::{MAX_ROUTES, METHODS, Route, Segment, Selector};
use crate::scopes::{Parts, PermissionLimits, Reach, ScopeTable};
use cedar_policy::{
    ActionConstraint, Effect, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    PrincipalConstraint, ResourceConstraint, Schema,
};
use std::collections::HashMap;
use std::str::FromStr;

/// A route the schema names, and the action that governs it.
struct RouteAction {
    route: Route,
    action: EntityUid,
    /// Its Resource (`arn/stage/VERB/path`, `{param}` as `*`).
    resource: String,
}

/// Compiles `files` against `schema` (Cedar schema text or JSON) into a
/// table whose Resources are `api`'s routes.
pub fn compile(
    files: &[PolicyFile],
    schema: &str,
    api: &Api,
    limits: PermissionLimits,
) -> Result<ScopeTable, String> {
    let bytes: usize = files.iter().map(|f| f.text.len()).sum::<usize>() + schema.len();
    if bytes > limits.max_bytes {
        return Err(format!(
            "the policy store is {bytes} bytes, over the {}-byte limit",
            limits.max_bytes
        ));
    }
    let schema = parse_schema(schema)?;
    let policies = parse_policies(files, limits)?;
    let routes = route_actions(&schema, api)?;
    let actions = schema
        .action_entities()
        .map_err(|e| format!("the schema's actions: {e}"))?;
    let index = ActionIndex::new(&routes, &actions);
    let mut principal_types: Vec<&EntityTypeName> = schema.principals().collect();
    principal_types.sort_unstable();
    principal_types.dedup();
    // A token is one principal: `principal is T` must mean every token or none.
    let [user] = principal_types[..] else {
        return Err(format!(
            "the schema names {} principal types; a store for tokens has one (Verified Permissions' User)",
            principal_types.len()
        ));
    };

    let mut bit_of: HashMap<Option<String>, usize> = HashMap::new();
    let mut parts = Parts::default();
    let mut group_type: Option<EntityTypeName> = None;
    for policy in policies.policies() {
        let id = policy.id();
        let refuse = |why: String| {
            format!(
                "policy `{}`: {why}",
                crate::codec::terminal::shown(id.as_ref())
            )
        };
        if policy.has_non_scope_constraint() {
            return Err(refuse(
                "has a `when` or `unless` condition: a policy API Gateway caches per token cannot honour it (grant by group and route only)".into(),
            ));
        }
        if policy.resource_constraint() != ResourceConstraint::Any {
            return Err(refuse(
                "constrains `resource`: the answer is per route, so constrain `action` instead"
                    .into(),
            ));
        }
        let bit_name = match policy.principal_constraint() {
            PrincipalConstraint::Any => None,
            PrincipalConstraint::Is(ty) if ty == *user => None,
            PrincipalConstraint::In(group) if group.type_name() != user => {
                Some(group_name(&group, &schema, user, &mut group_type).map_err(refuse)?)
            }
            PrincipalConstraint::IsIn(ty, group) if ty == *user && group.type_name() != user => {
                Some(group_name(&group, &schema, user, &mut group_type).map_err(refuse)?)
            }
            other => {
                return Err(refuse(format!(
                    "its principal ({}) is not a group or any principal: a per-token policy grants groups",
                    principal_text(&other)
                )));
            }
        };
        let governed = index
            .governed(&policy.action_constraint())
            .map_err(refuse)?;
        let bit = *bit_of.entry(bit_name.clone()).or_insert_with(|| {
            parts.names.push(bit_name);
            parts.grants.push(Vec::new());
            parts.forbids.push(Vec::new());
            parts.names.len() - 1
        });
        let list = match policy.effect() {
            Effect::Permit => &mut parts.grants[bit],
            Effect::Forbid => &mut parts.forbids[bit],
        };
        list.extend(governed);
    }
    parts.resources = routes.iter().map(|r| r.resource.clone()).collect();
    for list in parts.grants.iter_mut().chain(parts.forbids.iter_mut()) {
        list.sort_unstable();
        list.dedup();
    }
    parts.reach = reach(&routes);
    parts.reach.api = api.as_str().into();
    let in_rank_order: Vec<Route> = routes.into_iter().map(|r| r.route).collect();
    parts.reach.routes = Selector::new(&in_rank_order);
    Ok(ScopeTable::from_parts(parts))
}

/// The bit name of `principal in group`: the group's id, once its type is
/// one the schema declares, the user can be in, and the store's only one.
fn group_name(
    group: &EntityUid,
    schema: &Schema,
    user: &EntityTypeName,
    group_type: &mut Option<EntityTypeName>,
) -> Result<String, String> {
    let ty = group.type_name();
    if !schema.entity_types().any(|t| t == ty) {
        return Err(format!("entity type `{ty}` is not in the schema"));
    }
    if !schema
        .ancestors(user)
        .is_some_and(|mut a| a.any(|a| a == ty))
    {
        return Err(format!(
            "no principal type of the schema can be in a `{ty}` (its memberOfTypes)"
        ));
    }
    match group_type {
        Some(known) if known != ty => Err(format!(
            "groups are `{known}`, and this policy names a `{ty}`: one group entity type per store"
        )),
        _ => {
            *group_type = Some(ty.clone());
            Ok(group.id().unescaped().to_string())
        }
    }
}

fn parse_schema(text: &str) -> Result<Schema, String> {
    if text.trim_start().starts_with('{') {
        return Schema::from_json_str(text).map_err(|e| format!("the schema (JSON): {e}"));
    }
    Schema::from_cedarschema_str(text)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| format!("the schema (Cedar): {e}"))
}

/// Every policy of `files`, each with an id from its file: `NAME` when the
/// file holds one policy, `NAME#N` otherwise.
fn parse_policies(files: &[PolicyFile], limits: PermissionLimits) -> Result<PolicySet, String> {
    let mut set = PolicySet::new();
    let mut count = 0;
    for file in files {
        let name = crate::codec::terminal::shown(&file.name);
        let parsed =
            PolicySet::from_str(&file.text).map_err(|e| format!("{name}: not Cedar: {e}"))?;
        if parsed.templates().next().is_some() {
            return Err(format!(
                "{name}: holds a template; template-linked policies are not supported (write the policies out)"
            ));
        }
        let policies: Vec<&Policy> = parsed.policies().collect();
        count += policies.len();
        if count > limits.max_rules {
            return Err(format!(
                "the store has more than {} policies (SCOPEGATE_PERMISSIONS_MAX_RULES)",
                limits.max_rules
            ));
        }
        let single = policies.len() == 1;
        for (n, policy) in policies.into_iter().enumerate() {
            let id = if single {
                file.name.clone()
            } else {
                format!("{}#{n}", file.name)
            };
            set.add(policy.new_id(PolicyId::new(&id)))
                .map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(set)
}

/// The routes the schema's actions name (`"get /pets/{petId}"`; `any`
/// stands for every method the schema does not name on its own), sorted by
/// Resource (two routes may share one: `{x}` and `{proxy+}`). Other
/// actions may only group routes.
fn route_actions(schema: &Schema, api: &Api) -> Result<Vec<RouteAction>, String> {
    let mut explicit = Vec::new();
    let mut any = Vec::new();
    for action in schema.actions() {
        let id = action.id().unescaped();
        let Some((verb, path)) = id.split_once(' ') else {
            continue;
        };
        let verb = verb.to_ascii_uppercase();
        if verb != "ANY" && !METHODS.contains(&verb.as_str()) {
            continue;
        }
        let routes = Route::parse_all(&verb, path)
            .map_err(|e| format!("action `{}`: {e}", crate::codec::terminal::shown(id)))?;
        let into = if verb == "ANY" {
            &mut any
        } else {
            &mut explicit
        };
        into.extend(routes.into_iter().map(|route| (route, action.clone())));
    }
    // Keyed by the route itself: `{x}` and `{proxy+}` differ as routes
    // (API Gateway routes `/a/1/2` to the second) but share a Resource.
    let mut by_route: HashMap<String, RouteAction> = HashMap::new();
    for (from_any, (route, action)) in explicit
        .into_iter()
        .map(|r| (false, r))
        .chain(any.into_iter().map(|r| (true, r)))
    {
        let key = route.to_string();
        if let Some(existing) = by_route.get(&key) {
            if from_any {
                continue;
            }
            return Err(format!(
                "actions `{}` and `{}` are the same route",
                crate::codec::terminal::shown(existing.action.id().unescaped()),
                crate::codec::terminal::shown(action.id().unescaped())
            ));
        }
        let resource = resource_of(api, &route);
        by_route.insert(
            key,
            RouteAction {
                route,
                action,
                resource,
            },
        );
    }
    if by_route.len() > MAX_ROUTES {
        return Err(format!(
            "the schema names {} routes, over the limit of {MAX_ROUTES}",
            by_route.len()
        ));
    }
    let mut routes: Vec<RouteAction> = by_route.into_values().collect();
    routes.sort_by(|a, b| {
        (a.resource.as_str(), a.route.to_string()).cmp(&(b.resource.as_str(), b.route.to_string()))
    });
    Ok(routes)
}

/// `arn/stage/VERB/path`, each `{param}` and `{proxy+}` as `*`.
fn resource_of(api: &Api, route: &Route) -> String {
    let path: Vec<&str> = route
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.as_ref(),
            Segment::Param | Segment::Proxy => "*",
        })
        .collect();
    format!("{}/{}/{}", api.as_str(), route.verb, path.join("/"))
}

/// Which routes each action is, or (an action group) holds: built once,
/// so a policy costs a lookup per action it names.
struct ActionIndex {
    routes: usize,
    /// An action's own routes (`any` is several).
    own: HashMap<EntityUid, Vec<u32>>,
    /// A group's routes, at any depth.
    held: HashMap<EntityUid, Vec<u32>>,
}

impl ActionIndex {
    fn new(routes: &[RouteAction], actions: &cedar_policy::Entities) -> ActionIndex {
        let mut own: HashMap<EntityUid, Vec<u32>> = HashMap::new();
        let mut held: HashMap<EntityUid, Vec<u32>> = HashMap::new();
        for (rank, r) in routes.iter().enumerate() {
            own.entry(r.action.clone()).or_default().push(rank as u32);
            for group in actions.ancestors(&r.action).into_iter().flatten() {
                held.entry(group.clone()).or_default().push(rank as u32);
            }
        }
        ActionIndex {
            routes: routes.len(),
            own,
            held,
        }
    }

    /// The ranks of the routes an action constraint names: an action, or
    /// anything an action group holds (`in` only, as in Cedar). An action
    /// that is neither a route nor a group of routes is refused.
    fn governed(&self, constraint: &ActionConstraint) -> Result<Vec<u32>, String> {
        let (named, within) = match constraint {
            ActionConstraint::Any => return Ok((0..self.routes as u32).collect()),
            ActionConstraint::Eq(a) => (std::slice::from_ref(a), false),
            ActionConstraint::In(list) => (list.as_slice(), true),
        };
        let mut out = Vec::new();
        for a in named {
            let before = out.len();
            out.extend(self.own.get(a).into_iter().flatten());
            if within {
                out.extend(self.held.get(a).into_iter().flatten());
            }
            if out.len() == before {
                return Err(format!(
                    "action `{}` is not a route (`<method> /<path>`) of the schema, nor a group of routes",
                    crate::codec::terminal::shown(a.id().unescaped())
                ));
            }
        }
        Ok(out)
    }
}

/// Each route's Resource against every other route: what it reaches, and
/// (for a route with a parameter) which routes a Deny of it would block. A
/// route all literal is one request, which API Gateway routes to it alone.
fn reach(routes: &[RouteAction]) -> Reach {
    let tokens: Vec<Vec<Tok>> = routes
        .iter()
        .map(|r| glob::route_tokens(&r.route))
        .collect();
    let tails: Vec<String> = routes
        .iter()
        .map(|r| {
            let at = r
                .resource
                .match_indices('/')
                .nth(1)
                .map_or(0, |(i, _)| i + 1);
            r.resource[at..].to_string()
        })
        .collect();
    let mut reach = Reach {
        reaches: vec![Vec::new(); routes.len()],
        blocks: vec![Vec::new(); routes.len()],
        ..Reach::default()
    };
    let heads: Vec<String> = tokens.iter().map(|t| glob::literal_head(t)).collect();
    for (i, tail) in tails.iter().enumerate() {
        let head = &tail[..tail.find('*').unwrap_or(tail.len())];
        for (j, t) in tokens.iter().enumerate() {
            // Both begin with their literal heads: differing there (another
            // method, another first segment), they share no request.
            if i == j || !glob::heads_agree(head, &heads[j]) {
                continue;
            }
            if glob::intersects(tail, t) {
                reach.reaches[i].push(j as u32);
            }
        }
        let literal = routes[i]
            .route
            .segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)));
        if !literal {
            let reaches = reach.reaches[i].clone();
            reach.blocks[i] = reaches;
        }
    }
    reach
}

fn principal_text(p: &PrincipalConstraint) -> String {
    let text = match p {
        PrincipalConstraint::Any => "any".to_string(),
        PrincipalConstraint::In(e) => format!("in {e}"),
        PrincipalConstraint::Eq(e) => format!("== {e}"),
        PrincipalConstraint::Is(t) => format!("is {t}"),
        PrincipalConstraint::IsIn(t, e) => format!("is {t} in {e}"),
    };
    crate::codec::terminal::shown(&text).into_owned()
}

#[cfg(test)]
mod tests;
