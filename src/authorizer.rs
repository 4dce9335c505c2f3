//! The pipeline: event → token → keys → verify → scopes → policy → respond.
//! One [`Authorizer`] is built at start-up with everything decoded and
//! compiled; [`Authorizer::handle`] is the single entry point used by the
//! Lambda runtime, `replay`, the benches and the lab's emulator.

use crate::config::{Config, ConfigError, ENV_ISSUERS, ENV_JWKS, ENV_PERMISSIONS, Source};
use crate::event::{self, EventKind, IdentitySource};
use crate::introspect::{Introspector, Mode};
use crate::jwks::{KeySource, Location, RemoteKeys};
use crate::keys::KeySet;
use crate::memo::{TokenMemo, Verified};
use crate::policy::PolicyMemo;
use crate::reject::Reject;
use crate::respond;
use crate::scopes::{self, ScopeTable};
use crate::token::{self, b64, json};
use crate::verify::{self, Alg, ClaimRules};
use std::sync::Arc;

/// Decoded claims up to this size stay on the stack (a token's are usually
/// 300 bytes to 2 KB); larger ones spill to the heap.
const PAYLOAD_ON_STACK: usize = 4096;
/// Room for the largest signature we verify (RS512 with a 4096-bit key).
const SIGNATURE_ON_STACK: usize = 512;

/// A successful answer: the JSON body and what it decided.
#[derive(Debug, Clone)]
pub struct Response {
    body: Body,
    pub decision: Decision,
    /// The verified-token memo answered (no signature was checked).
    pub memo_hit: bool,
}

/// The IAM response is shared with the memo entry that holds it (a memo hit
/// copies one pointer); a simple response is rendered per request.
#[derive(Debug, Clone)]
enum Body {
    Iam(Arc<Verified>),
    Simple(String),
}

impl Response {
    /// The JSON API Gateway receives, as pieces to write one after the
    /// other: an IAM response shares its policy document with every token of
    /// the same scopes, so a memo hit copies nothing.
    pub fn body_parts(&self) -> [&str; 3] {
        match &self.body {
            Body::Iam(verified) => verified.iam_response(),
            Body::Simple(body) => [body, "", ""],
        }
    }

    /// The body in one string.
    pub fn body(&self) -> String {
        self.body_parts().concat()
    }
}

/// A valid token's outcome; an invalid one is a [`Reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub const fn code(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// An infrastructure fault at start-up: the function cannot serve at all.
#[derive(Debug)]
pub enum InitError {
    Config(ConfigError),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::Config(e) => write!(f, "configuration error: {e}"),
        }
    }
}

impl std::error::Error for InitError {}

impl From<ConfigError> for InitError {
    fn from(e: ConfigError) -> Self {
        InitError::Config(e)
    }
}

/// Stage boundaries of one authorization, for telemetry: each method is
/// called once as the pipeline passes that point. The unit type observes
/// nothing and compiles away, so [`Authorizer::handle`] pays nothing.
pub trait Observer {
    /// The event is parsed and the bearer token extracted.
    #[inline]
    fn extracted(&mut self) {}
    /// The verified-token memo was consulted.
    #[inline]
    fn memo_looked_up(&mut self, _hit: bool) {}
    /// The JOSE header passed its checks (memo misses of JWTs only).
    #[inline]
    fn header(&mut self, _alg: Alg, _kid: &str) {}
    /// Signature and claims (or the introspection answer) are checked.
    #[inline]
    fn verified(&mut self) {}
    /// Scopes are mapped to a policy; `policy_memo_hit` if it was already rendered.
    #[inline]
    fn mapped(&mut self, _policy_memo_hit: bool) {}
}

impl Observer for () {}

/// The authorizer state, immutable after start-up except for its memos.
pub struct Authorizer {
    identity: IdentitySource,
    max_token_bytes: usize,
    algorithms: Vec<Alg>,
    json_limits: json::JsonLimits,
    rules: ClaimRules,
    keys: KeySource,
    table: ScopeTable,
    policies: PolicyMemo,
    memo: Option<TokenMemo>,
    simple_response: bool,
    introspector: Option<Introspector>,
    /// The claim rules for introspection answers (`aud` optional, RFC 7662).
    introspected_rules: ClaimRules,
    /// `SCOPEGATE_ISSUERS`: further issuers, each with its rules and keys.
    others: Vec<(ClaimRules, KeySource)>,
}

impl Authorizer {
    /// Loads the key set and permissions named by `config` and compiles
    /// them. A remote key set (URL or discovery) is fetched now; if the IdP
    /// cannot be reached the function still starts, and the first request
    /// retries.
    pub fn from_config(config: &Config) -> Result<Authorizer, InitError> {
        let primary = Self::key_source(config, &config.jwks, &config.issuer, ENV_JWKS)?;
        let table = Self::permissions(config)?;
        let mut a = Authorizer::new(config, KeySet::default(), table);
        a.keys = primary;
        for other in &config.other_issuers {
            let keys = Self::key_source(config, &other.jwks, &other.issuer, ENV_ISSUERS)?;
            let rules = ClaimRules {
                issuers: vec![other.issuer.clone()],
                audiences: other.audiences.clone(),
                ..a.rules.clone()
            };
            a.others.push((rules, keys));
        }
        Ok(a)
    }

    /// One issuer's keys: fetched from the IdP (and kept fresh), or loaded now.
    fn key_source(
        config: &Config,
        source: &Source,
        issuer: &str,
        var: &'static str,
    ) -> Result<KeySource, InitError> {
        let location = match source {
            Source::Url(url) => {
                crate::http::check_url(url).map_err(|e| ConfigError::new(var, e))?;
                Some(Location::Url(url.clone()))
            }
            Source::Discover => {
                crate::http::check_url(issuer)
                    .map_err(|e| ConfigError::new(var, format!("discovery: {e}")))?;
                Some(Location::Discover {
                    issuer: issuer.to_string(),
                })
            }
            _ => None,
        };
        if let Some(location) = location {
            let remote = Arc::new(RemoteKeys::new(
                location,
                config.key_cache.clone(),
                config.jwks_limits,
            ));
            remote.refresh_if_allowed(crate::lambda::now());
            return Ok(KeySource::Remote(remote));
        }
        let jwks = source.load(var)?;
        let keys = KeySet::from_json(&jwks, config.jwks_limits)
            .map_err(|e| ConfigError::new(var, format!("{issuer}: {e}")))?;
        if keys.is_empty() {
            let skipped: Vec<String> = keys
                .skipped()
                .iter()
                .map(|s| format!("{}: {}", s.kid.as_deref().unwrap_or("(no kid)"), s.reason))
                .collect();
            return Err(ConfigError::new(
                var,
                format!(
                    "{issuer}: contains no usable key (skipped: {})",
                    skipped.join(", ")
                ),
            )
            .into());
        }
        Ok(KeySource::Static(Arc::new(keys)))
    }

    fn permissions(config: &Config) -> Result<ScopeTable, InitError> {
        let permissions = config.permissions.load(ENV_PERMISSIONS)?;
        let rules = scopes::parse_rules(&permissions, config.permission_limits)
            .map_err(|e| ConfigError::new(ENV_PERMISSIONS, e.to_string()))?;
        Ok(ScopeTable::compile(&rules))
    }

    /// Builds an authorizer from parts already loaded (tests, the lab).
    pub fn new(config: &Config, keys: KeySet, table: ScopeTable) -> Authorizer {
        let rules = ClaimRules {
            audience_required: true,
            issuers: vec![config.issuer.clone()],
            audiences: config.audiences.clone(),
            leeway: config.leeway,
            require_at_jwt: config.require_at_jwt,
            max_scopes: config.max_scopes,
            max_claim_len: config.max_claim_bytes,
            context_claims: config.context_claims.clone(),
        };
        Authorizer {
            identity: config.identity.clone(),
            max_token_bytes: config.max_token_bytes,
            algorithms: config.algorithms.clone(),
            json_limits: config.json_limits,
            rules: rules.clone(),
            keys: KeySource::Static(Arc::new(keys)),
            table,
            policies: PolicyMemo::new(config.policy_memo_entries),
            memo: (config.token_memo_entries > 0)
                .then(|| TokenMemo::new(config.token_memo_entries, config.token_memo_max_seconds)),
            simple_response: config.simple_response,
            introspector: config
                .introspection
                .clone()
                .map(|i| Introspector::new(i, &config.issuer, &config.key_cache)),
            introspected_rules: ClaimRules {
                audience_required: false,
                require_at_jwt: false,
                ..rules.clone()
            },
            others: Vec::new(),
        }
    }

    /// Authorizes one raw event (its JSON text) at `now` (Unix seconds).
    pub fn handle(&self, event: &str, now: f64) -> Result<Response, Reject> {
        self.handle_observed(event, now, &mut ())
    }

    /// [`Authorizer::handle`], reporting each stage boundary to `observer`.
    pub fn handle_observed(
        &self,
        event: &str,
        now: f64,
        observer: &mut impl Observer,
    ) -> Result<Response, Reject> {
        let event = event::parse(event, &self.identity)?;
        let identity = event.identity.as_deref().ok_or(Reject::MissingIdentity)?;
        let token = token::bearer(identity, self.max_token_bytes)?;
        observer.extracted();
        let hit = self.memo.as_ref().and_then(|m| m.get(token, now));
        observer.memo_looked_up(hit.is_some());
        if let Some(hit) = hit {
            return Ok(self.respond(&hit, event.kind, event.arn.as_deref(), true));
        }
        let verified = self.verify_observed(token, now, observer)?;
        let verified = match &self.memo {
            Some(memo) => memo.insert(token, verified),
            None => Arc::new(verified),
        };
        Ok(self.respond(&verified, event.kind, event.arn.as_deref(), false))
    }

    /// Verifies a token and renders its answer. Cheap checks first: shape,
    /// header, claims, `kid`, then the signature.
    pub fn verify(&self, token: &str, now: f64) -> Result<Verified, Reject> {
        self.verify_observed(token, now, &mut ())
    }

    fn verify_observed(
        &self,
        token: &str,
        now: f64,
        observer: &mut impl Observer,
    ) -> Result<Verified, Reject> {
        if let Some(i) = &self.introspector {
            if i.mode() == Mode::Introspect {
                return self.verify_introspected(i, token, now, observer);
            }
        }
        let jws = token::split(token)?;
        let mut header_buf = token::HeaderBuf::default();
        let header = token::read_header(
            jws.header,
            &self.algorithms,
            self.json_limits,
            &mut header_buf,
        )?;
        observer.header(header.alg, &header.kid);
        // The claims are read and checked before the signature: a token its
        // claims refuse (expired, wrong audience…) costs no signature check
        // and cannot make us fetch keys. They only ever refuse: nothing in
        // them is trusted until the signature of their issuer's key verifies.
        let mut payload_buf = b64::Buf::<PAYLOAD_ON_STACK>::default();
        let payload = payload_buf.decode(jws.payload.as_bytes())?;
        let object = json::parse_object(payload, self.json_limits)?;
        let (rules, source) = self.route(&object)?;
        let claims = verify::claims(&object, rules, header.access_token_typ, now)?;
        let mut keys = Self::key_set(source, now)?;
        if matches!(keys.select(&header.kid, header.alg), Err(false)) {
            // An unknown kid: the IdP may have rotated (refresh, unless in cooldown).
            if let KeySource::Remote(remote) = source {
                if remote.refresh_for_unknown_kid(now) {
                    keys = Self::key_set(source, now)?;
                }
            }
        }
        let key = keys.select(&header.kid, header.alg).map_err(|seen| {
            if seen {
                Reject::KeyAlgMismatch
            } else {
                Reject::UnknownKid
            }
        })?;
        let mut signature_buf = b64::Buf::<SIGNATURE_ON_STACK>::default();
        let signature = signature_buf.decode(jws.signature.as_bytes())?;
        verify::signature(key, header.alg, jws.signing_input.as_bytes(), signature)?;
        if let Some(i) = &self.introspector {
            // jwt+introspect: a valid JWT must still be active at the IdP (revocation).
            i.introspect(token, now)?;
        }
        observer.verified();
        let bits = self.table.bits(claims.scopes.iter().copied());
        let (grant, policy_hit) = self.policies.get_or_render(&self.table, bits);
        let room = self.memo.as_ref().map_or(0, |_| token.len());
        let iam = respond::IamText::render(&claims, &grant, room);
        observer.mapped(policy_hit);
        Ok(self.verified(&claims, grant, iam, now))
    }

    /// The memo entry for verified claims: valid until `exp` + leeway, the
    /// memo's maximum age, and (with introspection) its cache TTL.
    fn verified(
        &self,
        claims: &verify::Claims<'_>,
        grant: Arc<crate::policy::Grant>,
        iam: respond::IamText,
        now: f64,
    ) -> Verified {
        let mut valid_until = claims.exp + self.rules.leeway;
        if let Some(m) = &self.memo {
            valid_until = m.deadline(now, valid_until);
        }
        if let Some(i) = &self.introspector {
            valid_until = i.memo_deadline(now, valid_until);
        }
        Verified {
            valid_until,
            grant,
            iam,
        }
    }

    /// Introspection-only mode: the IdP's answer replaces the signature; its
    /// claims pass the same rules (with `aud` checked only when given, and
    /// `client_id` standing in for a missing `sub`, as for client credentials).
    fn verify_introspected(
        &self,
        introspector: &Introspector,
        token: &str,
        now: f64,
        observer: &mut impl Observer,
    ) -> Result<Verified, Reject> {
        let active = introspector.introspect(token, now)?;
        let mut object = json::parse_object(&active.body, self.json_limits)
            .map_err(|_| Reject::IntrospectionFailed)?;
        if object.get("sub").is_none() {
            if let Some(client) = object.get("client_id").cloned() {
                object.members.push(("sub".into(), client));
            }
        }
        let claims = verify::claims(&object, &self.introspected_rules, true, now)?;
        observer.verified();
        let bits = self.table.bits(claims.scopes.iter().copied());
        let (grant, policy_hit) = self.policies.get_or_render(&self.table, bits);
        let room = self.memo.as_ref().map_or(0, |_| token.len());
        let iam = respond::IamText::render(&claims, &grant, room);
        observer.mapped(policy_hit);
        Ok(self.verified(&claims, grant, iam, now))
    }

    fn respond(
        &self,
        verified: &Arc<Verified>,
        kind: EventKind,
        arn: Option<&str>,
        memo_hit: bool,
    ) -> Response {
        if self.simple_response && kind == EventKind::HttpV2 {
            let authorized = arn.is_some_and(|arn| verified.grant.allows(&self.table, arn));
            let body = Body::Simple(respond::simple_response(authorized, verified.context()));
            let decision = if authorized {
                Decision::Allow
            } else {
                Decision::Deny
            };
            return Response {
                body,
                decision,
                memo_hit,
            };
        }
        let decision = if verified.grant.allow {
            Decision::Allow
        } else {
            Decision::Deny
        };
        Response {
            body: Body::Iam(Arc::clone(verified)),
            decision,
            memo_hit,
        }
    }

    /// Forgets memoised tokens and policies (between a benchmark's warm-up and its measured pass).
    pub fn clear_memos(&self) {
        if let Some(memo) = &self.memo {
            memo.clear();
        }
    }

    /// The issuer a token names (unverified `iss`), with its rules and keys.
    fn route(&self, object: &json::Object<'_>) -> Result<(&ClaimRules, &KeySource), Reject> {
        if self.others.is_empty() {
            return Ok((&self.rules, &self.keys));
        }
        let iss = object
            .get("iss")
            .and_then(|v| v.as_str())
            .ok_or(Reject::WrongIssuer)?;
        if self.rules.issuers.iter().any(|i| i == iss) {
            return Ok((&self.rules, &self.keys));
        }
        self.others
            .iter()
            .find(|(r, _)| r.issuers.iter().any(|i| i == iss))
            .map(|(r, k)| (r, k))
            .ok_or(Reject::WrongIssuer)
    }

    /// The key set of `source` to verify with at `now`.
    fn key_set(source: &KeySource, now: f64) -> Result<Arc<KeySet>, Reject> {
        match source {
            KeySource::Static(set) => Ok(Arc::clone(set)),
            KeySource::Remote(remote) => remote.snapshot(now).map_err(|_| Reject::KeysUnavailable),
        }
    }

    /// The keys currently trusted (a remote set as last fetched), without refreshing.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        match &self.keys {
            KeySource::Static(set) => Some(Arc::clone(set)),
            KeySource::Remote(remote) => remote.current(),
        }
    }

    /// Where REQUEST-style events carry the token.
    pub fn identity_source(&self) -> &IdentitySource {
        &self.identity
    }

    pub fn scope_table(&self) -> &ScopeTable {
        &self.table
    }
}
