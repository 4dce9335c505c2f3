//! The embedded development identity provider: OIDC discovery, the JWKS,
//! and a token endpoint that mints access tokens for any test user with the
//! scopes and lifetime asked for. It signs with the lab identity's key, so
//! the in-process authorizer trusts exactly what it issues.

use crate::identity::{ISSUER, Identity};
use std::time::{SystemTime, UNIX_EPOCH};

/// The most a minted token may live, like real IdPs' caps.
pub const MAX_LIFETIME: f64 = 86_400.0;

pub struct Idp {
    pub identity: Identity,
}

/// An HTTP answer: status, content type, body.
pub type Answer = (u16, &'static str, String);

fn json_error(status: u16, error: &str, description: &str) -> Answer {
    (
        status,
        "application/json",
        serde_json::json!({"error": error, "error_description": description}).to_string(),
    )
}

impl Idp {
    /// Handles `method path` under `/idp`; `base` is this server's URL.
    pub fn handle(&self, method: &str, path: &str, body: &[u8], base: &str) -> Option<Answer> {
        let answer = match (method, path) {
            ("GET", "/idp/.well-known/openid-configuration") => (
                200,
                "application/json",
                serde_json::json!({
                    "issuer": ISSUER,
                    "jwks_uri": format!("{base}/idp/jwks"),
                    "token_endpoint": format!("{base}/idp/token"),
                    "grant_types_supported": ["password", "client_credentials"],
                    "id_token_signing_alg_values_supported": [self.identity.key.alg.name()],
                })
                .to_string(),
            ),
            ("GET", "/idp/jwks") => (
                200,
                "application/json",
                scopegate::testkit::mint::jwks([&self.identity.key]),
            ),
            ("POST", "/idp/token") => self.token(body),
            (_, p) if p.starts_with("/idp/") => {
                json_error(404, "not_found", "no such IdP endpoint")
            }
            _ => return None,
        };
        Some(answer)
    }

    /// `user`, `scope` (space-separated) and `lifetime` (seconds) from a form body.
    fn token(&self, body: &[u8]) -> Answer {
        let field = |name: &str| {
            form_urlencoded::parse(body)
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let user = field("user")
            .or_else(|| field("username"))
            .unwrap_or_else(|| "dev-user".into());
        let scope = field("scope").unwrap_or_else(|| "pets.read".into());
        let lifetime = match field("lifetime").map(|l| l.parse::<f64>()) {
            None => 3600.0,
            Some(Ok(l)) if l > 0.0 && l <= MAX_LIFETIME => l,
            Some(_) => {
                return json_error(400, "invalid_request", "lifetime must be 1..86400 seconds");
            }
        };
        if user.is_empty()
            || !user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
        {
            return json_error(400, "invalid_request", "user must be [A-Za-z0-9-_.@]+");
        }
        if !scope.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return json_error(400, "invalid_scope", "scope must be printable ASCII");
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
            .floor();
        match self.identity.mint(&user, &scope, now, now + lifetime) {
            Ok(token) => (
                200,
                "application/json",
                serde_json::json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                    "scope": scope,
                })
                .to_string(),
            ),
            Err(e) => json_error(500, "server_error", &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_jwks_and_tokens() {
        let idp = Idp {
            identity: Identity::new("ES256").unwrap(),
        };
        let (s, _, d) = idp
            .handle(
                "GET",
                "/idp/.well-known/openid-configuration",
                b"",
                "http://h",
            )
            .unwrap();
        let d: serde_json::Value = serde_json::from_str(&d).unwrap();
        assert_eq!((s, d["issuer"].as_str()), (200, Some(ISSUER)));
        assert_eq!(d["jwks_uri"], "http://h/idp/jwks");
        let (_, _, jwks) = idp.handle("GET", "/idp/jwks", b"", "http://h").unwrap();
        assert!(jwks.contains("\"kid\":\"lab-ec\""));
        let (s, _, t) = idp
            .handle(
                "POST",
                "/idp/token",
                b"user=alice&scope=pets.read+pets.write&lifetime=60",
                "",
            )
            .unwrap();
        let t: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(
            (s, t["scope"].as_str(), t["expires_in"].as_f64()),
            (200, Some("pets.read pets.write"), Some(60.0))
        );
        assert_eq!(t["access_token"].as_str().unwrap().matches('.').count(), 2);
        let (s, _, _) = idp
            .handle("POST", "/idp/token", b"lifetime=999999", "")
            .unwrap();
        assert_eq!(s, 400);
        assert!(idp.handle("GET", "/prod/pets", b"", "").is_none());
    }
}
