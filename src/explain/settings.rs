//! `scopegate explain --config`: each issuer's effective settings and the
//! permissions (where, which form, refresh, policy shape),
//! defaults filled in; secrets are shown as set or not, URLs without
//! userinfo or query.

use crate::config::{Config, IssuerConfig, Source, Strings, telemetry};
use crate::net::http::Redacted;
use std::fmt::Write as _;

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
    describe_permissions(&mut out, config);
    if let Some(i) = &config.introspection {
        let _ = writeln!(
            out,
            "introspection: {:?}, url {}, client id `{}`, client secret {}",
            i.mode,
            i.url
                .as_deref()
                .map_or("(discovered)".to_string(), |u| Redacted(u).to_string()),
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
            t.traces
                .map_or("off".to_string(), |t| Redacted(&t.url).to_string())
        );
    }
    out
}

/// Where a document comes from, URLs without userinfo or query.
fn place(source: &Source) -> String {
    match source {
        Source::Inline(_) => "inline".to_string(),
        Source::File(f) => format!("file {}", crate::codec::terminal::shown(f)),
        Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        Source::Url(u) => Redacted(u).to_string(),
        Source::DynamoDb { table } => format!("dynamodb://{table}"),
        Source::Discover => "discover".to_string(),
    }
}

/// The permissions: where, in which form, how they are refreshed, and how
/// their policies are shaped.
fn describe_permissions(out: &mut String, config: &Config) {
    let form = match &config.cedar {
        Some(cedar) => format!(
            "a Cedar policy store (schema {}, API {})",
            place(&cedar.schema),
            cedar.api.as_str()
        ),
        None => "JSON rules (contract §4)".to_string(),
    };
    let _ = writeln!(out, "permissions: {}, {form}", place(&config.permissions));
    let remote = matches!(
        config.permissions,
        Source::S3 { .. } | Source::Url(_) | Source::DynamoDb { .. }
    );
    if remote {
        let r = &config.permissions_refresh;
        let _ = writeln!(
            out,
            "  refreshed after {} s; kept {} s when refreshes fail, then {}",
            r.max_age,
            r.max_stale,
            match r.when_stale {
                crate::grants::WhenStale::Unauthorized => "Unauthorized (permissions_unavailable)",
                crate::grants::WhenStale::Deny => "Deny for every token",
            }
        );
    } else {
        let _ = writeln!(out, "  read once at start");
    }
    let _ = writeln!(
        out,
        "  policies: at most {} bytes, past it {}; routes: {}",
        config.policy_max_bytes,
        match config.policy_overflow {
            crate::policy::Overflow::Route => "the event's route alone",
            crate::policy::Overflow::Unauthorized => "Unauthorized",
        },
        config
            .routes
            .as_ref()
            .map_or("not given".to_string(), place)
    );
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
        Source::Url(_) => format!("JWKS URL {}", place(&issuer.jwks)),
        Source::Inline(_) => "inline JWKS".to_string(),
        Source::DynamoDb { .. } => format!(
            "{} (refused at start: permissions only)",
            place(&issuer.jwks)
        ),
        other => place(other),
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
    let _ = writeln!(
        out,
        "  introspection token_type: {} (absent: {})",
        m.token_types.join(", "),
        if m.token_type_optional {
            "passes"
        } else {
            "not_access_token"
        }
    );
}
