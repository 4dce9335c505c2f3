//! What an authorization can end in, and the hooks that watch it happen.
//! Every layer above speaks this vocabulary: the stages return a
//! [`Reject`], the handler a [`Decision`], telemetry reads an [`Outcome`]
//! and implements [`Observer`]. Nothing here knows how a stage works.

mod reject;

pub use reject::{Reject, UNAUTHORIZED};

use crate::jose::Alg;

/// A valid token's outcome; an invalid one is a [`Reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// The token's scopes grant at least one rule.
    Allow,
    /// The token is valid but its scopes grant nothing (403).
    Deny,
}

impl Decision {
    /// `allow` or `deny`: the log field, metric label and trace attribute.
    pub const fn code(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// How one authorization ended, as telemetry labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A [`Decision`] on a valid token.
    Decided(Decision),
    /// The caller gets 401, for this reason.
    Unauthorized(Reject),
}

impl Outcome {
    /// The outcome label: `allow`, `deny` or `unauthorized`.
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::Decided(d) => d.code(),
            Outcome::Unauthorized(_) => "unauthorized",
        }
    }

    /// The reason label: `granted`, `no_grant`, or the [`Reject`] code.
    pub const fn reason(self) -> &'static str {
        match self {
            Outcome::Decided(Decision::Allow) => "granted",
            Outcome::Decided(Decision::Deny) => "no_grant",
            Outcome::Unauthorized(r) => r.code(),
        }
    }

    /// Whether the caller gets 401.
    pub const fn refused(self) -> bool {
        matches!(self, Outcome::Unauthorized(_))
    }
}

/// A finished authorization that telemetry can label without knowing the
/// handler's response type.
pub trait Report {
    /// How it ended.
    fn outcome(&self) -> Outcome;
}

impl<T: Report> Report for Result<T, Reject> {
    fn outcome(&self) -> Outcome {
        match self {
            Ok(r) => r.outcome(),
            Err(reject) => Outcome::Unauthorized(*reject),
        }
    }
}

/// Stage boundaries of one authorization, for telemetry: each method is
/// called once as the pipeline passes that point. The unit type observes
/// nothing and compiles away, so [`crate::Authorizer::handle`] pays nothing.
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
    /// Signature and claims (or the introspection answer) are checked;
    /// `wrong_type_sources` of the issuer's scope sources were present but
    /// of a JSON type they do not read (they granted nothing).
    #[inline]
    fn verified(&mut self, _wrong_type_sources: u8) {}
    /// Scopes are mapped to a policy; `policy_memo_hit` if it was already rendered.
    #[inline]
    fn mapped(&mut self, _policy_memo_hit: bool) {}
    /// The token's grant is answered per route: its complete policy is over
    /// the budget (answered per route or refused, `SCOPEGATE_POLICY_OVERFLOW`),
    /// or, when `inexact`, no complete policy is exact (always per route).
    #[inline]
    fn answered_per_route(&mut self, _inexact: bool) {}
}

impl Observer for () {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_labels_come_from_the_decision_and_the_reject_codes() {
        let allow = Outcome::Decided(Decision::Allow);
        assert_eq!((allow.code(), allow.reason()), ("allow", "granted"));
        let deny = Outcome::Decided(Decision::Deny);
        assert_eq!((deny.code(), deny.reason()), ("deny", "no_grant"));
        let refused = Outcome::Unauthorized(Reject::Expired);
        assert_eq!(
            (refused.code(), refused.reason()),
            ("unauthorized", "expired")
        );
        assert!(refused.refused() && !allow.refused());
    }
}
