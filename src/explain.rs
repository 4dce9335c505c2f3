//! `scopegate explain`: why a real token gets the answer it gets. Given the
//! function's configuration (its environment, plus `--set VAR=VALUE`) and
//! a token (argument or stdin), it prints the unverified header, the claim
//! *names*, the issuer the token routes to, each check in order with its
//! verdict, what each scope source produced, the rules they grant, and the
//! decision the real handler gives, with its reason code. It never prints
//! the signature, a claim value other than scopes, or a secret.
//! `scopegate explain --config` prints each issuer's effective settings.

use crate::clock;
use crate::codec::b64;
use crate::codec::json::{self, Value};
use crate::codec::terminal::shown;
use crate::config::{Config, Env, IssuerConfig, Source, Strings, telemetry};
use crate::handler::Authorizer;
use crate::outcome::{Outcome, Reject, Report};
use crate::token;
use crate::verify::claims;
use crate::verify::mapping::Found;
use crate::verify::{Issuer, signature};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read as _;

const USAGE: &str = "usage: scopegate explain [--set VAR=VALUE]... [--now UNIX_SECONDS] [TOKEN | -]
       scopegate explain [--set VAR=VALUE]... --config
  TOKEN (or `Bearer TOKEN`) from the argument, or stdin when absent or `-`;
  settings from the environment, each --set overriding one;
  prints each check with its verdict and the decision; never the signature or a secret";

/// Settings given with `--set`, over the process environment.
struct Layered(HashMap<String, String>);

impl Strings for Layered {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned().or_else(|| Env.get(name))
    }

    fn names(&self) -> Vec<String> {
        let mut names = Env.names();
        names.extend(self.0.keys().cloned());
        names
    }
}

/// Runs `scopegate explain`; returns the process exit code (0 explained,
/// 1 the token is refused, 2 a usage or configuration error).
pub fn main(args: impl Iterator<Item = OsString>) -> i32 {
    match run(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("scopegate explain: {message}");
            2
        }
    }
}

fn run(args: impl Iterator<Item = OsString>) -> Result<i32, String> {
    let mut settings = HashMap::new();
    let (mut token, mut config_only, mut now) = (None, false, None);
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let flag = match arg {
            lexopt::Arg::Long(name) => format!("--{name}"),
            lexopt::Arg::Short('h') => "--help".to_string(),
            lexopt::Arg::Short(c) => return Err(format!("unknown flag -{c}\n{USAGE}")),
            lexopt::Arg::Value(v) => {
                if token.is_some() {
                    return Err(format!("give one token\n{USAGE}"));
                }
                token = Some(
                    v.into_string()
                        .map_err(|_| "an argument is not UTF-8".to_string())?,
                );
                continue;
            }
        };
        let mut value = || -> Result<String, String> {
            parser
                .value()
                .map_err(|_| format!("{flag} needs a value"))?
                .into_string()
                .map_err(|_| format!("{flag}: not UTF-8"))
        };
        match flag.as_str() {
            "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            "--config" => config_only = true,
            "--set" => {
                let v = value()?;
                let (var, val) = v
                    .split_once('=')
                    .ok_or(format!("--set: `{v}` is not VAR=VALUE"))?;
                settings.insert(var.to_string(), val.to_string());
            }
            "--now" => {
                let v = value()?;
                now = Some(
                    v.parse::<f64>()
                        .map_err(|_| format!("--now: `{v}` is not Unix seconds"))?,
                );
            }
            f => return Err(format!("unknown flag {f}\n{USAGE}")),
        }
    }
    let src = Layered(settings);
    let config = Config::from_strings(&src).map_err(|e| format!("configuration error: {e}"))?;
    if config_only {
        print!("{}", describe_config(&config, &src));
        return Ok(0);
    }
    let token = match token.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            text.trim().to_string()
        }
        Some(t) => t.to_string(),
    };
    let authorizer = Authorizer::from_config(&config).map_err(|e| e.to_string())?;
    let (report, outcome) = explain(&authorizer, &token, now.unwrap_or_else(clock::now));
    print!("{report}");
    Ok(i32::from(outcome.refused()))
}

/// The explanation of `token` at `now`, and the handler's outcome for it.
pub fn explain(authorizer: &Authorizer, token: &str, now: f64) -> (String, Outcome) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "token: {} bytes (the signature is never printed)",
        token.len()
    );
    let steps = Steps { authorizer, now };
    if let Err(reject) = steps.run(token, &mut out) {
        let _ = writeln!(out, "  ... stops here: {}", reject.code());
    }
    // The real handler's answer, for a TOKEN event carrying this token.
    let event = format!(
        r#"{{"type":"TOKEN","authorizationToken":{},"methodArn":"arn:aws:execute-api:us-east-1:000000000000:explain/explain/GET/explain"}}"#,
        serde_json::Value::String(format!(
            "Bearer {}",
            token.trim_start_matches("Bearer ").trim()
        ))
    );
    let outcome = authorizer.handle(&event, now).outcome();
    let _ = writeln!(out, "decision: {} ({})", outcome.code(), outcome.reason());
    (out, outcome)
}

struct Steps<'a> {
    authorizer: &'a Authorizer,
    now: f64,
}

fn verdict(out: &mut String, step: &str, result: Result<String, Reject>) -> Result<(), Reject> {
    match result {
        Ok(detail) => {
            let _ = writeln!(
                out,
                "  {step:<10} ok{}",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!("  {detail}")
                }
            );
            Ok(())
        }
        Err(r) => {
            let _ = writeln!(out, "  {step:<10} refused: {}", r.code());
            Err(r)
        }
    }
}

impl Steps<'_> {
    fn run(&self, token_text: &str, out: &mut String) -> Result<(), Reject> {
        let verifier = self.authorizer.verifier();
        let (algorithms, limits) = verifier.reading();
        let _ = writeln!(out, "checks, in the order scopegate makes them:");
        let mut token = "";
        verdict(
            out,
            "bearer",
            token::bearer(token_text.trim(), usize::MAX / 2).map(|t| {
                token = t;
                String::new()
            }),
        )?;
        let jws = token::split(token);
        verdict(
            out,
            "shape",
            jws.map(|_| "three base64url segments".to_string()),
        )?;
        let jws = jws?;
        let mut header_buf = token::HeaderBuf::default();
        if let Ok(raw) = b64::decode(jws.header.as_bytes()) {
            let _ = writeln!(
                out,
                "  (header)   {}",
                shown(&String::from_utf8_lossy(&raw))
            );
        }
        let header = token::read_header(jws.header, algorithms, limits, &mut header_buf);
        verdict(
            out,
            "header",
            header
                .as_ref()
                .map(|h| format!("alg {}, kid {}", h.alg.name(), shown(&h.kid)))
                .map_err(|r| *r),
        )?;
        let header = header?;
        let payload = b64::decode(jws.payload.as_bytes()).map_err(Reject::from)?;
        let object = json::parse_object(&payload, limits);
        verdict(
            out,
            "payload",
            object
                .as_ref()
                .map(|o| {
                    let names: Vec<Cow<'_, str>> =
                        o.members.iter().map(|(k, _)| shown(k)).collect();
                    format!("claims {}", names.join(", "))
                })
                .map_err(|e| Reject::from(*e)),
        )?;
        let object = object.map_err(Reject::from)?;
        let issuer = verifier.route(&object);
        verdict(
            out,
            "issuer",
            issuer.map(|i| format!("`{}`", i.rules.issuers.join(", "))),
        )?;
        let issuer = issuer?;
        Self::scope_sources(issuer, &object, out);
        let claims = claims::claims(&object, &issuer.rules, header.access_token_typ, self.now);
        verdict(
            out,
            "claims",
            claims
                .as_ref()
                .map(|c| format!("principalId `{}`", shown(c.sub)))
                .map_err(|r| *r),
        )?;
        let key = verifier.key_for(issuer, &header.kid, header.alg, self.now);
        verdict(
            out,
            "key",
            key.as_ref()
                .map(|k| format!("kid `{}` in the issuer's set", shown(&k.kid)))
                .map_err(|r| *r),
        )?;
        let key = key?;
        // A signature that is not strict base64url is refused at this step too.
        let checked = b64::decode(jws.signature.as_bytes())
            .map_err(Reject::from)
            .and_then(|sig| {
                signature::signature(&key, header.alg, jws.signing_input.as_bytes(), &sig)
            });
        verdict(out, "signature", checked.map(|()| String::new()))?;
        let claims = claims?;
        let permissions = self.authorizer.permissions();
        let table = &permissions.table;
        let bits = table.bits(claims.scopes.iter().map(AsRef::as_ref));
        let granted = table.scope_names(&bits);
        let _ = writeln!(
            out,
            "granted scopes: {}",
            if granted.is_empty() {
                "none (Deny)".to_string()
            } else {
                shown(&granted.join(" ")).into_owned()
            }
        );
        for resource in table.resources(&bits) {
            let _ = writeln!(out, "  allows {}", shown(resource));
        }
        Ok(())
    }

    fn scope_sources(issuer: &Issuer, object: &json::Object<'_>, out: &mut String) {
        let _ = writeln!(out, "scope sources of this issuer:");
        for source in &issuer.rules.mapping.scopes {
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
        for (claim, _) in &issuer.rules.mapping.require {
            let present = object
                .get(claim)
                .is_some_and(|v| matches!(v, Value::String(_)));
            let _ = writeln!(
                out,
                "  require `{claim}`: {}",
                if present { "present" } else { "missing" }
            );
        }
    }
}

/// Each issuer's effective settings, defaults filled in; secrets are shown as set or not.
pub fn describe_config(config: &Config, src: &dyn Strings) -> String {
    let mut out = String::new();
    let issuers = std::iter::once(&config.primary).chain(&config.other_issuers);
    for (i, issuer) in issuers.enumerate() {
        describe_issuer(&mut out, i, issuer, config);
    }
    let _ = writeln!(
        out,
        "algorithms: {}",
        config
            .algorithms
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "leeway: {} s; token memo: {} entries; policy memo: {} entries",
        config.leeway, config.token_memo_entries, config.policy_memo_entries
    );
    if let Some(i) = &config.introspection {
        let _ = writeln!(
            out,
            "introspection: {:?}, url {}, client id `{}`, client secret {}",
            i.mode,
            i.url.as_deref().unwrap_or("(discovered)"),
            i.client_id,
            if i.client_secret.is_empty() {
                "not set"
            } else {
                "set (not shown)"
            }
        );
    }
    if let Ok(t) = telemetry::telemetry(src) {
        let _ = writeln!(
            out,
            "metrics: {}; traces: {}",
            if t.emf { "EMF" } else { "off" },
            t.traces.map_or("off".to_string(), |t| t.url)
        );
    }
    out
}

fn describe_issuer(out: &mut String, i: usize, issuer: &IssuerConfig, config: &Config) {
    let m = &issuer.mapping;
    let _ = writeln!(
        out,
        "issuer {i}{}: {}",
        if i == 0 { " (primary)" } else { "" },
        issuer.issuer
    );
    let _ = writeln!(
        out,
        "  audience: {}",
        if issuer.audiences.is_empty() {
            "(none)".to_string()
        } else {
            issuer.audiences.join(", ")
        }
    );
    let keys = match &issuer.jwks {
        Source::Discover => "OIDC discovery".to_string(),
        Source::Url(u) => format!("JWKS URL {u}"),
        Source::File(f) => format!("file {f}"),
        Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        Source::Inline(_) => "inline JWKS".to_string(),
    };
    let _ = writeln!(out, "  keys: {keys}");
    let sources: Vec<String> = m
        .scopes
        .iter()
        .map(crate::verify::mapping::ScopeSource::describe)
        .collect();
    let _ = writeln!(out, "  scopes: {}", sources.join("; "));
    let _ = writeln!(
        out,
        "  client_ids (tokens without aud): {}",
        if m.client_ids.is_empty() {
            "(none: aud required)".to_string()
        } else {
            m.client_ids.join(", ")
        }
    );
    let _ = writeln!(out, "  subject_claims: {}", m.subject_claims.join(", "));
    let _ = writeln!(out, "  client_id_claims: {}", m.client_id_claims.join(", "));
    for (claim, values) in &m.require {
        let _ = writeln!(out, "  require {claim} = {}", values.join(" | "));
    }
    let _ = writeln!(
        out,
        "  require_at_jwt: {}",
        issuer.require_at_jwt.unwrap_or(config.require_at_jwt)
    );
}
