//! The pipeline: event → token → keys → verify → scopes → policy → respond.
//! One [`Authorizer`] holds every stage, built once at start-up
//! ([`crate::init`]) with everything decoded and compiled;
//! [`Authorizer::handle`] is the single entry point used by the Lambda
//! runtime, `replay`, the benches and the lab's emulator.

use crate::event::{self, EventKind, IdentitySource};
use crate::grants::{Compiled, Grants};
use crate::keys::KeySet;
use crate::memo::{TokenMemo, Verified};
use crate::outcome::{Decision, Observer, Outcome, Reject, Report};
use crate::policy::{Answer, Overflow};
use crate::respond;
use crate::token;
use crate::verify::{Accepted, Verifier};
use std::sync::Arc;

/// A successful answer: the JSON body and what it decided.
#[derive(Debug, Clone)]
pub struct Response {
    body: Body,
    /// Allow or Deny.
    pub decision: Decision,
    /// The verified-token memo answered (no signature was checked).
    pub memo_hit: bool,
}

/// The IAM response is shared with the memo entry that holds it (a memo hit
/// copies one pointer); a simple response, and the policy for one route of
/// a grant over the budget, are rendered per request.
#[derive(Debug, Clone)]
enum Body {
    Iam(Arc<Verified>),
    Routed(Arc<Verified>, String),
    Simple(String),
}

impl Response {
    /// The JSON API Gateway receives, as pieces to write one after the
    /// other: an IAM response shares its policy document with every token of
    /// the same scopes, so a memo hit copies nothing.
    pub fn body_parts(&self) -> [&str; 3] {
        match &self.body {
            Body::Iam(verified) => verified.iam_response(),
            Body::Routed(verified, policy_document) => verified.iam.pieces(policy_document),
            Body::Simple(body) => [body, "", ""],
        }
    }

    /// The body in one string.
    pub fn body(&self) -> String {
        self.body_parts().concat()
    }
}

impl Report for Response {
    fn outcome(&self) -> Outcome {
        Outcome::Decided(self.decision)
    }
}

/// A verification the memo has not taken yet: kept by
/// [`Authorizer::handle_deferred`] so that the insert, the eviction it may
/// cause and the freeing of what it evicts happen after the answer is sent
/// ([`Authorizer::remember_pending`]).
#[derive(Debug, Default)]
pub struct Pending(Option<Arc<Verified>>);

/// An answer and the memo work left for after it.
#[derive(Debug)]
pub struct Deferred {
    /// What the caller gets.
    pub result: Result<Response, Reject>,
    /// What the memo takes afterwards.
    pub pending: Pending,
}

impl Report for Deferred {
    fn outcome(&self) -> Outcome {
        self.result.outcome()
    }
}

/// The authorizer state, immutable after start-up except for its memos and
/// what it refreshes (key sets, the permissions document), each swapped whole.
pub struct Authorizer {
    pub(crate) identity: IdentitySource,
    pub(crate) max_token_bytes: usize,
    pub(crate) verifier: Verifier,
    pub(crate) grants: Grants,
    pub(crate) memo: Option<TokenMemo>,
    pub(crate) simple_response: bool,
}

impl Authorizer {
    /// Authorizes one raw event (its JSON text) at `now` (Unix seconds).
    ///
    /// ```
    /// # use scopegate::{Authorizer, Config, Reject};
    /// # let settings = std::collections::HashMap::from([
    /// #     ("SCOPEGATE_ISSUER", "https://idp.example"),
    /// #     ("SCOPEGATE_AUDIENCE", "api://orders"),
    /// #     ("SCOPEGATE_JWKS", r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#),
    /// #     ("SCOPEGATE_PERMISSIONS", "[]"),
    /// # ]);
    /// let authorizer = Authorizer::from_config(&Config::from_strings(&settings)?)?;
    /// let event = r#"{"type":"TOKEN","authorizationToken":"Basic abc","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x"}"#;
    /// assert_eq!(authorizer.handle(event, 1.8e9).unwrap_err(), Reject::BadScheme);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle(&self, event: &str, now: f64) -> Result<Response, Reject> {
        self.handle_observed(event, now, &mut ())
    }

    /// [`Authorizer::handle`], reporting each stage boundary to `observer`.
    /// One call per stage; a memo hit skips verify and map.
    pub fn handle_observed(
        &self,
        event: &str,
        now: f64,
        observer: &mut impl Observer,
    ) -> Result<Response, Reject> {
        self.answer(event, now, observer, false)
            .map(|(response, _)| response)
    }

    /// [`Authorizer::handle_observed`], leaving a new verification's memo
    /// insert to [`Authorizer::remember_pending`], called once the answer
    /// is on its way (the Lambda does it after posting the response).
    pub fn handle_deferred(&self, event: &str, now: f64, observer: &mut impl Observer) -> Deferred {
        match self.answer(event, now, observer, true) {
            Ok((response, pending)) => Deferred {
                result: Ok(response),
                pending,
            },
            Err(reject) => Deferred {
                result: Err(reject),
                pending: Pending::default(),
            },
        }
    }

    /// Gives the memo what a deferred answer verified.
    pub fn remember_pending(&self, pending: Pending) {
        if let (Some(memo), Some(entry)) = (&self.memo, pending.0) {
            memo.commit(entry);
        }
    }

    fn answer(
        &self,
        event: &str,
        now: f64,
        observer: &mut impl Observer,
        defer: bool,
    ) -> Result<(Response, Pending), Reject> {
        let event = event::parse(event, &self.identity)?;
        let token = token::bearer(event.identity_value()?, self.max_token_bytes)?;
        observer.extracted();
        let grants = self.grants.in_force(now)?;
        let arn = event.arn.as_deref();
        if let Some(hit) = self.remembered(token, now, &grants, observer) {
            let response = self.respond(&hit, &grants, event.kind, arn, true, observer)?;
            return Ok((response, Pending::default()));
        }
        let verified = self
            .verifier
            .verify(token, now, observer, |accepted, observer| {
                self.map(accepted, &grants, token, now, observer)
            })?;
        let (verified, pending) = self.remember(token, verified, defer);
        let response = self.respond(&verified, &grants, event.kind, arn, false, observer)?;
        Ok((response, pending))
    }

    /// The verified-token memo's answer for `token`, if it still holds
    /// under the permissions in force.
    fn remembered(
        &self,
        token: &str,
        now: f64,
        grants: &Compiled,
        observer: &mut impl Observer,
    ) -> Option<Arc<Verified>> {
        let hit = self
            .memo
            .as_ref()
            .and_then(|m| m.get(token, now, grants.generation));
        observer.memo_looked_up(hit.is_some());
        hit
    }

    /// Keeps a new verification in the memo (when there is one), now or,
    /// with `defer`, once [`Authorizer::remember_pending`] is called.
    fn remember(&self, token: &str, verified: Verified, defer: bool) -> (Arc<Verified>, Pending) {
        match &self.memo {
            Some(memo) => {
                let entry = memo.prepare(token, verified);
                if defer {
                    return (Arc::clone(&entry), Pending(Some(entry)));
                }
                memo.commit(Arc::clone(&entry));
                (entry, Pending::default())
            }
            None => (Arc::new(verified), Pending::default()),
        }
    }

    /// Stages 5 and 6: accepted scopes to bits, bits to the (memoised)
    /// policy, and the per-token response text around it.
    fn map(
        &self,
        accepted: &Accepted<'_>,
        grants: &Compiled,
        token: &str,
        now: f64,
        observer: &mut impl Observer,
    ) -> Verified {
        let claims = &accepted.claims;
        let bits = grants.table.bits(claims.scopes.iter().map(AsRef::as_ref));
        let (grant, policy_hit) = grants.policies.get_or_render(&grants.table, bits);
        let room = self.memo.as_ref().map_or(0, |_| token.len());
        let iam = respond::IamText::render(claims, &grant, room);
        observer.mapped(policy_hit);
        let valid_until = match &self.memo {
            Some(m) => m.deadline(now, accepted.valid_until),
            None => accepted.valid_until,
        };
        Verified {
            valid_until,
            key_retired: accepted.key_retired.clone(),
            generation: grants.generation,
            grant,
            iam,
        }
    }

    /// Stage 7: the answer for this event's shape. A grant over the policy
    /// budget gets the policy of the event's route, or `Unauthorized`.
    fn respond(
        &self,
        verified: &Arc<Verified>,
        grants: &Compiled,
        kind: EventKind,
        arn: Option<&str>,
        memo_hit: bool,
        observer: &mut impl Observer,
    ) -> Result<Response, Reject> {
        let grant = &verified.grant;
        let (body, allowed) = if self.simple_response && kind == EventKind::HttpV2 {
            let authorized = arn.is_some_and(|arn| grant.allows_request(&grants.table, arn));
            let body = Body::Simple(respond::simple_response(authorized, verified.context()));
            (body, authorized)
        } else if grant.answer.per_route() {
            let inexact = grant.answer == Answer::Inexact;
            observer.answered_per_route(inexact);
            let shape = &grants.policies.layout.shape;
            if shape.overflow == Overflow::Unauthorized && !inexact {
                return Err(Reject::PolicyTooLarge);
            }
            let (document, allowed) = grant.route_policy(&grants.table, arn, shape.max_bytes);
            (Body::Routed(Arc::clone(verified), document), allowed)
        } else {
            (Body::Iam(Arc::clone(verified)), grant.allow)
        };
        Ok(Response {
            body,
            decision: if allowed {
                Decision::Allow
            } else {
                Decision::Deny
            },
            memo_hit,
        })
    }

    /// Forgets memoised token verifications (between a benchmark's warm-up
    /// and its measured pass). Rendered policies are kept: they depend only
    /// on the permissions document (and go with it when it is replaced).
    pub fn clear_memos(&self) {
        if let Some(memo) = &self.memo {
            memo.clear();
        }
    }

    /// The primary issuer's keys currently trusted (a remote set as last
    /// fetched), without refreshing.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        self.verifier.primary_keys()
    }

    /// The verify stage, as built from the configuration.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Where REQUEST-style events carry the token.
    pub fn identity_source(&self) -> &IdentitySource {
        &self.identity
    }

    /// The permissions document as last loaded, whatever its age.
    pub fn permissions(&self) -> Arc<Compiled> {
        self.grants.current()
    }

    /// The permissions in force and their refresh.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }
}
