//! The explanation of one token: the checks the verifier itself makes, as
//! it makes them ([`crate::verify::Steps`]), in every mode (JWT, the
//! introspection answer and its `token_type`), then the grant, and the
//! real handler's answer beside it. Everything that comes from the token or
//! the IdP is escaped ([`shown`]); the signature and claim values other
//! than scopes and the subject are never printed.

use crate::codec::b64;
use crate::codec::json::{Object, Value};
use crate::codec::terminal::shown;
use crate::handler::Authorizer;
use crate::keys::Key;
use crate::outcome::{Decision, Outcome, Reject, Report};
use crate::policy::{Answer, Overflow};
use crate::token::{self, Header};
use crate::verify::claims::Claims;
use crate::verify::introspect::Active;
use crate::verify::mapping::Found;
use crate::verify::{ClaimRules, Steps};
use std::borrow::Cow;
use std::fmt::Write as _;

/// What `explain` found for one token.
pub struct Explanation {
    /// The report, one line per check.
    pub report: String,
    /// Where the checks ended: the verifier's reject, or the decision on
    /// the complete policy.
    pub verdict: Outcome,
    /// The real handler's outcome for a TOKEN event carrying the token.
    pub handler: Outcome,
}

/// The method ARN of the TOKEN event the handler is asked about.
const EVENT_ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:explain/explain/GET/explain";

/// Explains `text` (a token, or `Bearer` and a token) at `now`.
pub fn explain(authorizer: &Authorizer, text: &str, now: f64) -> Explanation {
    let text = text.trim();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "token: {} bytes (the signature is never printed)",
        text.len()
    );
    let _ = writeln!(out, "checks, in the order scopegate makes them:");
    let verdict = match checks(authorizer, text, now, &mut out) {
        Ok(decision) => Outcome::Decided(decision),
        Err(reject) => {
            let _ = writeln!(out, "  ... stops here: {}", reject.code());
            Outcome::Unauthorized(reject)
        }
    };
    // The real handler's answer, for a TOKEN event carrying the same text
    // (a scheme the caller gave is kept, so that it is judged too).
    let value = if text.contains(' ') {
        text.to_string()
    } else {
        format!("Bearer {text}")
    };
    let event = format!(
        r#"{{"type":"TOKEN","authorizationToken":{},"methodArn":"{EVENT_ARN}"}}"#,
        serde_json::Value::String(value)
    );
    let handler = authorizer.handle(&event, now).outcome();
    let _ = writeln!(out, "decision: {} ({})", handler.code(), handler.reason());
    if handler != verdict {
        let _ = writeln!(
            out,
            "note: the checks above end in {} ({}); the handler's answer is the one API Gateway gets",
            verdict.code(),
            verdict.reason()
        );
    }
    Explanation {
        report: out,
        verdict,
        handler,
    }
}

/// The handler's stages for `text`, each check printed as it is made.
fn checks(
    authorizer: &Authorizer,
    text: &str,
    now: f64,
    out: &mut String,
) -> Result<Decision, Reject> {
    let token = token::bearer(text, authorizer.max_token_bytes);
    line(out, "bearer", token.map(|_| String::new()))?;
    let token = token?;
    let grants = authorizer.grants().in_force(now);
    line(
        out,
        "documents",
        grants
            .as_ref()
            .map(|_| "permissions in force".to_string())
            .map_err(|r| *r),
    )?;
    let grants = grants?;
    let mut printer = Printer {
        out: &mut *out,
        introspected: false,
    };
    let granted =
        authorizer
            .verifier()
            .verify_steps(token, now, &mut (), &mut printer, |accepted, ()| {
                let table = &grants.table;
                let bits = table.bits(accepted.claims.scopes.iter().map(AsRef::as_ref));
                let scopes: Vec<String> = table
                    .scope_names(&bits)
                    .iter()
                    .map(|s| shown(s).into_owned())
                    .collect();
                let resources: Vec<String> = table
                    .resources(&bits)
                    .into_iter()
                    .map(|r| shown(r).into_owned())
                    .collect();
                let (grant, _) = grants.policies.get_or_render(table, bits);
                (scopes, resources, grant.allow, grant.answer)
            })?;
    let (scopes, resources, allow, answer) = granted;
    let _ = writeln!(
        out,
        "granted scopes: {}",
        if scopes.is_empty() {
            "none (Deny)".to_string()
        } else {
            scopes.join(" ")
        }
    );
    for resource in &resources {
        let _ = writeln!(out, "  allows {resource}");
    }
    if answer == Answer::Inexact {
        let _ = writeln!(
            out,
            "policy: no complete policy is exact for these routes (a Deny it needs would block a granted one); each request gets its route's policy"
        );
    }
    if answer == Answer::OverBudget {
        let shape = &grants.policies.layout.shape;
        let _ = writeln!(
            out,
            "policy: over SCOPEGATE_POLICY_MAX_BYTES ({} bytes); {}",
            shape.max_bytes,
            match shape.overflow {
                Overflow::Unauthorized => "refused (SCOPEGATE_POLICY_OVERFLOW=unauthorized)",
                Overflow::Route =>
                    "each request gets its route's policy (SCOPEGATE_POLICY_OVERFLOW=route)",
            }
        );
        if shape.overflow == Overflow::Unauthorized {
            return Err(Reject::PolicyTooLarge);
        }
    }
    Ok(if allow {
        Decision::Allow
    } else {
        Decision::Deny
    })
}

/// One check's line: `ok` with its detail, or `refused` with the code.
fn line(out: &mut String, step: &str, verdict: Result<String, Reject>) -> Result<(), Reject> {
    match verdict {
        Ok(detail) if detail.is_empty() => {
            let _ = writeln!(out, "  {step:<10} ok");
            Ok(())
        }
        Ok(detail) => {
            let _ = writeln!(out, "  {step:<10} ok  {detail}");
            Ok(())
        }
        Err(r) => {
            let _ = writeln!(out, "  {step:<10} refused: {}", r.code());
            Err(r)
        }
    }
}

/// Prints each check the verifier reports.
struct Printer<'o> {
    out: &'o mut String,
    /// The claims are an introspection answer's, not a payload's.
    introspected: bool,
}

impl Printer<'_> {
    fn line<T>(
        &mut self,
        step: &str,
        verdict: Result<T, Reject>,
        detail: impl FnOnce(T) -> String,
    ) {
        let _ = line(self.out, step, verdict.map(detail));
    }
}

impl Steps for Printer<'_> {
    fn shape(&mut self, verdict: Result<(), Reject>) {
        self.line("shape", verdict, |()| "three base64url segments".into());
    }

    fn header(&mut self, segment: &str, verdict: Result<&Header<'_>, Reject>) {
        if let Ok(raw) = b64::decode(segment.as_bytes()) {
            let _ = writeln!(
                self.out,
                "  (header)   {}",
                shown(&String::from_utf8_lossy(&raw))
            );
        }
        self.line("header", verdict, |h| {
            format!("alg {}, kid {}", h.alg.name(), shown(&h.kid))
        });
    }

    fn payload(&mut self, verdict: Result<&Object<'_>, Reject>) {
        let step = if self.introspected {
            "answer"
        } else {
            "payload"
        };
        self.line(step, verdict, |o| {
            let names: Vec<Cow<'_, str>> = o.members.iter().map(|(k, _)| shown(k)).collect();
            format!("claims {}", names.join(", "))
        });
    }

    fn issuer(&mut self, object: &Object<'_>, verdict: Result<&ClaimRules, Reject>) {
        self.line("issuer", verdict, |r| format!("`{}`", r.issuers.join(", ")));
        if let Ok(rules) = verdict {
            scope_sources(self.out, rules, object);
        }
    }

    fn claims(&mut self, verdict: Result<&Claims<'_>, Reject>) {
        self.line("claims", verdict, |c| {
            format!("principalId `{}`", shown(c.sub))
        });
    }

    fn key(&mut self, verdict: Result<&Key, Reject>) {
        self.line("key", verdict, |k| {
            format!("kid `{}` in the issuer's set", shown(&k.kid))
        });
    }

    fn signature(&mut self, verdict: Result<(), Reject>) {
        self.line("signature", verdict, |()| String::new());
    }

    fn introspection(&mut self, verdict: Result<&Active, Reject>) {
        self.introspected = true;
        self.line("introspect", verdict, |_| "active at the IdP".into());
    }

    fn token_type(&mut self, token_type: Option<&str>, verdict: Result<(), Reject>) {
        let said = token_type.map_or("absent".to_string(), |t| format!("`{}`", shown(t)));
        let _ = line(self.out, "token_type", verdict.map(|()| said.clone()));
        if verdict.is_err() {
            let _ = writeln!(self.out, "  (token_type {said})");
        }
    }
}

/// What each of the issuer's scope sources reads in `object`, and its
/// `require` claims.
fn scope_sources(out: &mut String, rules: &ClaimRules, object: &Object<'_>) {
    let _ = writeln!(out, "scope sources of this issuer:");
    for source in &rules.mapping.scopes {
        let mut values = Vec::new();
        let found = match source.read_into(object, &mut values) {
            Found::Absent => "absent".to_string(),
            Found::WrongType => {
                "present, but of a JSON type it does not read: grants nothing".to_string()
            }
            Found::Values(_) => {
                let quoted: Vec<String> = values
                    .iter()
                    .map(|v| format!("\"{}\"", shown(v.as_ref())))
                    .collect();
                format!("[{}]", quoted.join(", "))
            }
        };
        let _ = writeln!(out, "  {}: {found}", source.describe());
    }
    for (claim, _) in &rules.mapping.require {
        let present = matches!(object.get(claim), Some(Value::String(_)));
        let _ = writeln!(
            out,
            "  require `{claim}`: {}",
            if present { "present" } else { "missing" }
        );
    }
}
