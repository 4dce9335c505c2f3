//! Stage 4, verify: from a compact JWS (or any token, with introspection)
//! to accepted claims. [`Verifier`] is the stage assembled once, at
//! start-up; the handler, `replay`'s floor and the benches all call it.
//! Cheap checks first: header, claims, key, then the signature.
//! - [`claims`]: the time, issuer, audience, subject and scope rules;
//! - [`mod@signature`]: the one aws-lc-rs check with the selected key;
//! - [`introspect`]: RFC 7662, as the whole check or as a revocation check;
//! - [`steps`]: hooks into each check, for `explain` and the replay floor.

pub mod claims;
pub mod introspect;
pub mod mapping;
pub mod signature;
pub mod steps;

pub use claims::{ClaimRules, Claims, MAX_TIME_CLAIM, Scalar};
pub use signature::signature;

use crate::codec::b64;
use crate::codec::json::{self, JsonLimits};
use crate::jose::Alg;
use crate::keys::{Key, KeySet, KeySource, Retired};
use crate::outcome::{Observer, Reject};
use crate::token;
use introspect::{Introspector, Mode};
use std::sync::Arc;
use steps::{Prepared, verdict};
pub use steps::{SignatureCheck, Steps};

/// Decoded claims up to this size stay on the stack (a token's are usually
/// 300 bytes to 2 KB); larger ones spill to the heap.
const PAYLOAD_ON_STACK: usize = 4096;
/// Room for the largest signature we verify (RS512 with a 4096-bit key).
const SIGNATURE_ON_STACK: usize = 512;

/// One issuer the verifier trusts: what its tokens must say, and its keys.
pub struct Issuer {
    /// Its claim rules (`issuers` holds its `iss`).
    pub rules: ClaimRules,
    /// Its keys: a fixed set, or the IdP's through the cache.
    pub keys: KeySource,
}

/// Claims that passed every check, and how long that verdict may be reused.
#[derive(Debug)]
pub struct Accepted<'a> {
    /// The token's claims, borrowing from the decoded payload.
    pub claims: Claims<'a>,
    /// `exp` + leeway, shortened by the introspection cache when it applies.
    pub valid_until: f64,
    /// The flag of the key that verified the signature (none for an
    /// introspected token): a memo entry stops answering once it is set.
    pub key_retired: Option<Retired>,
}

/// The verify stage, built once with every setting it needs.
pub struct Verifier {
    algorithms: Vec<Alg>,
    json_limits: JsonLimits,
    /// The primary issuer first, then `SCOPEGATE_ISSUERS`, in order.
    issuers: Vec<Issuer>,
    introspector: Option<Introspector>,
    /// The claim rules for introspection answers: the primary issuer's,
    /// `typ` aside (an answer has none).
    introspected_rules: ClaimRules,
}

impl Verifier {
    /// A verifier for the `primary` issuer (whose rules also judge
    /// introspection answers) and `others`, tried in order by `iss`.
    pub fn new(
        algorithms: Vec<Alg>,
        json_limits: JsonLimits,
        primary: Issuer,
        others: Vec<Issuer>,
        introspector: Option<Introspector>,
    ) -> Verifier {
        // Contract §3b: an answer is held to the JWT rules, `aud` included
        // (RFC 7662 makes it optional; without it, only a client listed in
        // `client_ids` passes, as for a JWT without `aud`).
        let introspected_rules = ClaimRules {
            require_at_jwt: false,
            ..primary.rules.clone()
        };
        let mut issuers = Vec::with_capacity(1 + others.len());
        issuers.push(primary);
        issuers.extend(others);
        Verifier {
            algorithms,
            json_limits,
            issuers,
            introspector,
            introspected_rules,
        }
    }

    /// Verifies `token` at `now` and hands the accepted claims to `then`
    /// (the map step), whose answer is returned. The claims borrow buffers
    /// on this stack frame, so they are lent, not returned.
    pub fn verify<O: Observer, R>(
        &self,
        token: &str,
        now: f64,
        observer: &mut O,
        then: impl FnOnce(&Accepted<'_>, &mut O) -> R,
    ) -> Result<R, Reject> {
        self.checks(token, now, observer, &mut (), Depth::Full, then)
    }

    /// [`Verifier::verify`], reporting each check it makes to `steps`
    /// (`scopegate explain`).
    pub fn verify_steps<O: Observer, R>(
        &self,
        token: &str,
        now: f64,
        observer: &mut O,
        steps: &mut impl Steps,
        then: impl FnOnce(&Accepted<'_>, &mut O) -> R,
    ) -> Result<R, Reject> {
        self.checks(token, now, observer, steps, Depth::Full, then)
    }

    /// The one sequence of checks; every entry point above runs it.
    fn checks<O: Observer, R>(
        &self,
        token: &str,
        now: f64,
        observer: &mut O,
        steps: &mut impl Steps,
        depth: Depth,
        then: impl FnOnce(&Accepted<'_>, &mut O) -> R,
    ) -> Result<R, Reject> {
        if let Some(i) = &self.introspector
            && i.mode() == Mode::Introspect
        {
            return self.introspected(i, token, now, observer, steps, then);
        }
        let jws = token::split(token);
        steps.shape(jws.map(|_| ()));
        let jws = jws?;
        let mut header_buf = token::HeaderBuf::default();
        let header = token::read_header(
            jws.header,
            &self.algorithms,
            self.json_limits,
            &mut header_buf,
        );
        steps.header(jws.header, verdict(&header));
        let header = header?;
        observer.header(header.alg, &header.kid);
        // The claims are read and checked before the signature: a token its
        // claims refuse (expired, wrong audience…) costs no signature check
        // and cannot make us fetch keys. They only ever refuse: nothing in
        // them is trusted until the signature of their issuer's key verifies.
        let mut payload_buf = b64::Buf::<PAYLOAD_ON_STACK>::default();
        let object = payload_buf
            .decode(jws.payload.as_bytes())
            .map_err(Reject::from)
            .and_then(|payload| {
                json::parse_object(payload, self.json_limits).map_err(Reject::from)
            });
        steps.payload(verdict(&object));
        let object = object?;
        let issuer = self.route(&object);
        steps.issuer(&object, issuer.map(|i| &i.rules));
        let issuer = issuer?;
        let claims = claims::claims(&object, &issuer.rules, header.access_token_typ, now);
        steps.claims(verdict(&claims));
        let claims = claims?;
        let keys = key_set_with(issuer, &header.kid, header.alg, now);
        let key = keys
            .as_ref()
            .map_err(|r| *r)
            .and_then(|keys| select(keys, &header.kid, header.alg));
        steps.key(key);
        let key = key?;
        let mut signature_buf = b64::Buf::<SIGNATURE_ON_STACK>::default();
        let decoded = signature_buf
            .decode(jws.signature.as_bytes())
            .map_err(Reject::from);
        if let Ok(signature) = decoded {
            steps.signature_prepared(&SignatureCheck {
                key,
                alg: header.alg,
                signing_input: jws.signing_input,
                signature,
            });
        }
        if depth == Depth::Prepare {
            // The floor times the check itself, on caches as cold as the
            // handler's: it must not have run here first. What is returned
            // is not read (raw_check keeps what the steps saw).
            return Err(Reject::BadSignature);
        }
        let checked = decoded.and_then(|signature| {
            signature::signature(key, header.alg, jws.signing_input.as_bytes(), signature)
        });
        steps.signature(checked);
        checked?;
        let mut valid_until = claims.exp + issuer.rules.leeway;
        // A memoised answer must not outlive its key set's maximum
        // staleness: past it, with refreshes failing, new tokens get
        // `keys_unavailable`, and so must this one.
        if let KeySource::Remote(remote) = &issuer.keys {
            valid_until = valid_until.min(remote.usable_until());
        }
        if let Some(i) = &self.introspector {
            // jwt+introspect: a valid JWT must still be active at the IdP
            // (revocation), and be what its answer calls an access token.
            answer(i, &issuer.rules, token, now, steps)?;
            valid_until = i.memo_deadline(now, valid_until);
        }
        let key_retired = Some(key.retired.clone());
        Ok(accept(claims, valid_until, key_retired, observer, then))
    }

    /// Introspection-only mode: the IdP's answer replaces the signature; its
    /// claims pass the same rules as a JWT's (contract §3b), with
    /// `client_id` standing in for a missing `sub`, as for client credentials.
    fn introspected<O: Observer, R>(
        &self,
        introspector: &Introspector,
        token: &str,
        now: f64,
        observer: &mut O,
        steps: &mut impl Steps,
        then: impl FnOnce(&Accepted<'_>, &mut O) -> R,
    ) -> Result<R, Reject> {
        let rules = &self.introspected_rules;
        let active = answer(introspector, rules, token, now, steps)?;
        let object = json::parse_object(&active.body, self.json_limits)
            .map_err(|_| Reject::IntrospectionFailed)
            .map(|mut object| {
                if object.get("sub").is_none()
                    && let Some(client) = object.get("client_id").cloned()
                {
                    object.members.push(("sub".into(), client));
                }
                object
            });
        steps.payload(verdict(&object));
        let object = object?;
        steps.issuer(&object, Ok(rules));
        let claims = claims::claims(&object, rules, true, now);
        steps.claims(verdict(&claims));
        let claims = claims?;
        let valid_until = introspector.memo_deadline(now, claims.exp + rules.leeway);
        Ok(accept(claims, valid_until, None, observer, then))
    }

    /// The issuer a token names (unverified `iss`): its rules and keys alone apply.
    fn route(&self, object: &json::Object<'_>) -> Result<&Issuer, Reject> {
        if let [only] = self.issuers.as_slice() {
            return Ok(only);
        }
        let iss = object
            .get("iss")
            .and_then(|v| v.as_str())
            .ok_or(Reject::WrongIssuer)?;
        self.issuers
            .iter()
            .find(|i| i.rules.issuers.iter().any(|name| name == iss))
            .ok_or(Reject::WrongIssuer)
    }

    /// Every issuer, the primary first.
    pub fn issuers(&self) -> &[Issuer] {
        &self.issuers
    }

    /// The primary issuer's keys as last loaded or fetched, without refreshing.
    pub fn primary_keys(&self) -> Option<Arc<KeySet>> {
        match &self.issuers.first()?.keys {
            KeySource::Static(set) => Some(Arc::clone(set)),
            KeySource::Remote(remote) => remote.current(),
        }
    }

    /// The raw signature check `token`'s verification at `now` makes, with
    /// everything before it done (decoding, claims, key selection): what
    /// the floor of a replay measures. `None` if the verifier would make
    /// none (the token is refused first, or introspection replaces it). The
    /// same sequence as [`Verifier::verify`], stopped before the signature.
    pub fn raw_check<'t>(&self, token: &'t str, now: f64) -> Option<RawCheck<'t>> {
        let mut prepared = Prepared::default();
        let _ = self.checks(
            token,
            now,
            &mut (),
            &mut prepared,
            Depth::Prepare,
            |_, ()| (),
        );
        let (key, alg, signature) = prepared.check?;
        let (signing_input, _) = token.rsplit_once('.')?;
        Some(RawCheck {
            key,
            alg,
            signing_input,
            signature,
        })
    }
}

/// How far the sequence goes: to the end, or (the replay floor) until the
/// signature check is prepared, which it then times alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    Full,
    Prepare,
}

/// The IdP's active answer for `token`, whose `token_type` `rules` accept.
fn answer(
    introspector: &Introspector,
    rules: &ClaimRules,
    token: &str,
    now: f64,
    steps: &mut impl Steps,
) -> Result<Arc<introspect::Active>, Reject> {
    let active = introspector.introspect(token, now);
    steps.introspection(active.as_deref().map_err(|r| *r));
    let active = active?;
    let token_type = active.token_type.as_deref();
    let kind = if rules.mapping.token_type_allowed(token_type) {
        Ok(())
    } else {
        Err(Reject::NotAccessToken)
    };
    steps.token_type(token_type, kind);
    kind.map(|()| active)
}

/// The end of the stage: tells the observer, then lends the accepted
/// claims to the map step.
fn accept<O: Observer, R>(
    claims: Claims<'_>,
    valid_until: f64,
    key_retired: Option<Retired>,
    observer: &mut O,
    then: impl FnOnce(&Accepted<'_>, &mut O) -> R,
) -> R {
    observer.verified(claims.wrong_type_sources);
    then(
        &Accepted {
            claims,
            valid_until,
            key_retired,
        },
        observer,
    )
}

/// One prepared signature check ([`Verifier::raw_check`]).
pub struct RawCheck<'t> {
    key: Key,
    alg: Alg,
    signing_input: &'t str,
    signature: Vec<u8>,
}

impl RawCheck<'_> {
    /// Runs the check: the physical floor of a verification.
    pub fn run(&self) -> bool {
        signature::signature(
            &self.key,
            self.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )
        .is_ok()
    }
}

/// The issuer's key set at `now`; an unknown `kid` asks a remote set to
/// refresh first (the IdP may have rotated), unless it is in its cooldown.
fn key_set_with(issuer: &Issuer, kid: &str, alg: Alg, now: f64) -> Result<Arc<KeySet>, Reject> {
    let keys = key_set(&issuer.keys, now)?;
    if matches!(keys.select(kid, alg), Err(false))
        && let KeySource::Remote(remote) = &issuer.keys
        && remote.refresh_for_unknown_kid(now)
    {
        return key_set(&issuer.keys, now);
    }
    Ok(keys)
}

fn key_set(source: &KeySource, now: f64) -> Result<Arc<KeySet>, Reject> {
    match source {
        KeySource::Static(set) => Ok(Arc::clone(set)),
        KeySource::Remote(remote) => remote.snapshot(now).map_err(|_| Reject::KeysUnavailable),
    }
}

fn select<'k>(keys: &'k KeySet, kid: &str, alg: Alg) -> Result<&'k Key, Reject> {
    keys.select(kid, alg).map_err(|seen| {
        if seen {
            Reject::KeyAlgMismatch
        } else {
            Reject::UnknownKid
        }
    })
}
