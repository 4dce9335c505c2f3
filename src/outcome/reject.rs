//! Why a request was refused. Every reason has a `&'static str` code: the
//! same code is the log field, the metric label and the trace attribute, so
//! label cardinality stays bounded and nothing is formatted on the reject path.
//! To API Gateway every reason looks the same: an error whose message is
//! exactly `Unauthorized` (contract §3).

use std::fmt;

/// A token or event fault; the caller gets `Unauthorized` (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reject {
    /// The event is not valid JSON or not one of the shapes of contract §2.
    BadEvent,
    /// The event carries no identity (no header, query parameter or identity source).
    MissingIdentity,
    /// The identity value is not `Bearer <token>` or a bare token.
    BadScheme,
    /// The event carries two identity values (a repeated header or query
    /// parameter, or a comma-joined list): two tokens, never one of them.
    AmbiguousIdentity,
    /// The token exceeds the configured size cap.
    TokenTooLarge,
    /// Not exactly three non-empty dot-separated segments.
    Malformed,
    /// A segment is not strict base64url.
    BadBase64,
    /// Header or payload is not one strict JSON object (syntax, UTF-8, trailing data, surrogates).
    BadJson,
    /// Header or payload repeats a member name.
    DuplicateMember,
    /// Header or payload exceeds the nesting or member-count caps.
    JsonLimit,
    /// `alg` is missing, not a string, or not in the allow-list.
    AlgNotAllowed,
    /// The header has no `kid`, or it is not a string.
    MissingKid,
    /// No trusted key has this `kid`.
    UnknownKid,
    /// The key with this `kid` cannot verify this `alg`.
    KeyAlgMismatch,
    /// The header carries `crit`.
    Crit,
    /// The header carries `b64`.
    B64Header,
    /// `typ` is not absent, `JWT` or `at+jwt` (or not `at+jwt` when that is required).
    BadTyp,
    /// The signature has the wrong size or does not verify.
    BadSignature,
    /// `exp` is missing.
    MissingExp,
    /// `exp`, `nbf` or `iat` is not a number, or beyond year 9999.
    BadTimeClaim,
    /// `now >= exp + leeway`.
    Expired,
    /// `nbf > now + leeway`.
    NotYetValid,
    /// `iat > now + leeway`.
    IssuedInFuture,
    /// `iss` is missing or not a configured issuer.
    WrongIssuer,
    /// `aud` is missing, malformed, or names no configured audience.
    WrongAudience,
    /// No subject claim holds a non-empty string (`sub` by default).
    MissingSub,
    /// The token lists more scopes than the configured cap.
    TooManyScopes,
    /// A claim we read is longer than the configured cap.
    ClaimTooLong,
    /// Keys are unavailable (never fetched, or too stale to trust); fail closed.
    KeysUnavailable,
    /// Introspection says the token is not active.
    Inactive,
    /// Introspection could not be completed (timeout, error); fail closed.
    IntrospectionFailed,
    /// The introspection answer's `token_type` is not one the issuer
    /// accepts (a refresh or ID token), or is absent where it must be given.
    NotAccessToken,
    /// A claim the issuer's `require` names is missing or has another value.
    UnmetRequirement,
    /// The permissions document is older than its maximum staleness
    /// (refreshes failing) and configured to fail closed.
    PermissionsUnavailable,
    /// The token's complete policy is over `SCOPEGATE_POLICY_MAX_BYTES`
    /// and `SCOPEGATE_POLICY_OVERFLOW` is `unauthorized`.
    PolicyTooLarge,
}

impl Reject {
    /// The bounded code used in logs, metrics and traces.
    pub const fn code(self) -> &'static str {
        match self {
            Reject::BadEvent => "bad_event",
            Reject::MissingIdentity => "missing_identity",
            Reject::BadScheme => "bad_scheme",
            Reject::AmbiguousIdentity => "ambiguous_identity",
            Reject::TokenTooLarge => "token_too_large",
            Reject::Malformed => "malformed",
            Reject::BadBase64 => "bad_base64",
            Reject::BadJson => "bad_json",
            Reject::DuplicateMember => "duplicate_member",
            Reject::JsonLimit => "json_limit",
            Reject::AlgNotAllowed => "alg_not_allowed",
            Reject::MissingKid => "missing_kid",
            Reject::UnknownKid => "unknown_kid",
            Reject::KeyAlgMismatch => "key_alg_mismatch",
            Reject::Crit => "crit",
            Reject::B64Header => "b64_header",
            Reject::BadTyp => "bad_typ",
            Reject::BadSignature => "bad_signature",
            Reject::MissingExp => "missing_exp",
            Reject::BadTimeClaim => "bad_time_claim",
            Reject::Expired => "expired",
            Reject::NotYetValid => "not_yet_valid",
            Reject::IssuedInFuture => "issued_in_future",
            Reject::WrongIssuer => "wrong_issuer",
            Reject::WrongAudience => "wrong_audience",
            Reject::MissingSub => "missing_sub",
            Reject::TooManyScopes => "too_many_scopes",
            Reject::ClaimTooLong => "claim_too_long",
            Reject::KeysUnavailable => "keys_unavailable",
            Reject::UnmetRequirement => "unmet_requirement",
            Reject::Inactive => "inactive",
            Reject::IntrospectionFailed => "introspection_failed",
            Reject::NotAccessToken => "not_access_token",
            Reject::PermissionsUnavailable => "permissions_unavailable",
            Reject::PolicyTooLarge => "policy_too_large",
        }
    }

    /// Position in [`Reject::ALL`], for per-reason tables built at start-up.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Every reason, in declaration order, for documentation, tables and exhaustive tests.
    pub const ALL: [Reject; 35] = [
        Reject::BadEvent,
        Reject::MissingIdentity,
        Reject::BadScheme,
        Reject::AmbiguousIdentity,
        Reject::TokenTooLarge,
        Reject::Malformed,
        Reject::BadBase64,
        Reject::BadJson,
        Reject::DuplicateMember,
        Reject::JsonLimit,
        Reject::AlgNotAllowed,
        Reject::MissingKid,
        Reject::UnknownKid,
        Reject::KeyAlgMismatch,
        Reject::Crit,
        Reject::B64Header,
        Reject::BadTyp,
        Reject::BadSignature,
        Reject::MissingExp,
        Reject::BadTimeClaim,
        Reject::Expired,
        Reject::NotYetValid,
        Reject::IssuedInFuture,
        Reject::WrongIssuer,
        Reject::WrongAudience,
        Reject::MissingSub,
        Reject::TooManyScopes,
        Reject::ClaimTooLong,
        Reject::KeysUnavailable,
        Reject::Inactive,
        Reject::IntrospectionFailed,
        Reject::NotAccessToken,
        Reject::UnmetRequirement,
        Reject::PermissionsUnavailable,
        Reject::PolicyTooLarge,
    ];
}

impl From<crate::codec::json::JsonError> for Reject {
    fn from(e: crate::codec::json::JsonError) -> Self {
        use crate::codec::json::JsonError;
        match e {
            JsonError::DuplicateMember => Reject::DuplicateMember,
            JsonError::TooDeep | JsonError::TooManyMembers => Reject::JsonLimit,
            _ => Reject::BadJson,
        }
    }
}

impl From<crate::codec::b64::B64Error> for Reject {
    fn from(_: crate::codec::b64::B64Error) -> Self {
        Reject::BadBase64
    }
}

/// The one message API Gateway maps to 401.
pub const UNAUTHORIZED: &str = "Unauthorized";

impl fmt::Display for Reject {
    /// Always `Unauthorized`: the reason goes to logs and metrics, never to the caller.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(UNAUTHORIZED)
    }
}

impl std::error::Error for Reject {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_reason_has_a_distinct_snake_case_code() {
        for (i, r) in Reject::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "ALL is in declaration order");
        }
        let codes: HashSet<_> = Reject::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Reject::ALL.len());
        assert!(codes.iter().all(|c| {
            c.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        }));
    }

    #[test]
    fn every_reason_displays_as_unauthorized() {
        for r in Reject::ALL {
            assert_eq!(r.to_string(), "Unauthorized");
        }
    }
}
