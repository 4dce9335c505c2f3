//! OIDC discovery (`{issuer}/.well-known/openid-configuration`), fetched
//! once per issuer and shared by everything that needs it: the key cache
//! reads `jwks_uri`, introspection reads `introspection_endpoint`. The
//! document must name exactly the configured issuer (contract §5a), and
//! every URL it gives must pass the same rule as a configured one.

use crate::codec::json::{self, JsonLimits};
use crate::net::http::{self, Client};
use arc_swap::ArcSwapOption;
use std::sync::{Arc, Mutex, PoisonError};

/// The members of a discovery document scopegate uses, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Where the issuer publishes its keys.
    pub jwks_uri: String,
    /// RFC 8414 / RFC 7662 introspection endpoint, when the issuer has one.
    pub introspection_endpoint: Option<String>,
}

/// One issuer's discovery document: fetched on first use, then kept.
pub struct Discovery {
    issuer: String,
    client: Client,
    document: ArcSwapOption<Document>,
    /// Single flight: one fetch at a time; readers of a fetched document never take it.
    fetching: Mutex<()>,
}

impl Discovery {
    /// The discovery of `issuer`, fetched with `client` when first needed.
    pub fn new(issuer: &str, client: Client) -> Discovery {
        Discovery {
            issuer: issuer.to_string(),
            client,
            document: ArcSwapOption::empty(),
            fetching: Mutex::new(()),
        }
    }

    /// The issuer whose document this is.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The document, fetching it if no fetch has succeeded yet.
    pub fn document(&self) -> Result<Arc<Document>, String> {
        if let Some(doc) = self.document.load_full() {
            return Ok(doc);
        }
        let _flight = self.fetching.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(doc) = self.document.load_full() {
            return Ok(doc);
        }
        let doc = Arc::new(fetch(&self.client, &self.issuer)?);
        self.document.store(Some(Arc::clone(&doc)));
        Ok(doc)
    }
}

/// The discovery URL of `issuer` (a trailing `/` is not doubled).
pub fn url_of(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

fn fetch(client: &Client, issuer: &str) -> Result<Document, String> {
    let url = url_of(issuer);
    let answer = client.get(&url, None, &[])?;
    if answer.status != 200 {
        return Err(format!("{}: HTTP {}", http::Redacted(&url), answer.status));
    }
    parse(&answer.body, issuer).map_err(|e| format!("{}: {e}", http::Redacted(&url)))
}

/// Reads and checks a discovery document for `issuer`.
pub fn parse(body: &[u8], issuer: &str) -> Result<Document, String> {
    // One reader's rules for every IdP document: a repeated member is refused.
    json::parse_object(body, JsonLimits::IDP_DOCUMENT)
        .map_err(|e| format!("not one strict JSON object: {}", e.describe()))?;
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let found = doc["issuer"].as_str().unwrap_or("");
    if found != issuer {
        return Err(format!(
            "issuer is `{found}`, not the configured `{issuer}`"
        ));
    }
    let jwks_uri = doc["jwks_uri"].as_str().ok_or("no jwks_uri")?;
    http::check_url(jwks_uri)?;
    let introspection_endpoint = match doc.get("introspection_endpoint") {
        Some(serde_json::Value::String(u)) => {
            http::check_url(u)?;
            Some(u.clone())
        }
        _ => None,
    };
    Ok(Document {
        jwks_uri: jwks_uri.to_string(),
        introspection_endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_member_refuses_the_document() {
        let doc = br#"{"issuer":"https://evil.example","issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}"#;
        let e = parse(doc, "https://idp.example").unwrap_err();
        assert!(e.contains("repeated"), "{e}");
    }

    #[test]
    fn a_document_must_name_the_configured_issuer_exactly() {
        let body = br#"{"issuer":"https://idp.example/","jwks_uri":"https://idp.example/keys"}"#;
        assert!(parse(body, "https://idp.example").is_err());
        let doc = parse(body, "https://idp.example/").unwrap();
        assert_eq!(doc.jwks_uri, "https://idp.example/keys");
        assert_eq!(doc.introspection_endpoint, None);
    }

    #[test]
    fn urls_learnt_from_a_document_pass_the_configured_url_rule() {
        let body = br#"{"issuer":"https://idp.example","jwks_uri":"http://idp.example/keys"}"#;
        assert!(parse(body, "https://idp.example").is_err());
        let body = br#"{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys",
            "introspection_endpoint":"http://idp.example/introspect"}"#;
        assert!(parse(body, "https://idp.example").is_err());
    }

    #[test]
    fn the_discovery_url_does_not_double_a_trailing_slash() {
        assert_eq!(
            url_of("https://sts.windows.net/t/"),
            "https://sts.windows.net/t/.well-known/openid-configuration"
        );
    }
}
