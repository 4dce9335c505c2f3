//! The lab's development identity: an issuer, an audience, a signing key,
//! a permissions document for a small pets API, and the scopegate
//! authorizer configured to trust them, exactly as a Lambda would be
//! (same `Config`, same `Authorizer`). Used to measure the real handler.

use scopegate::Authorizer;
use scopegate::config::{Config, Strings};
use scopegate::jose::Alg;
use scopegate::testkit::mint::{self, SigningKey};
use std::collections::HashMap;

pub const ISSUER: &str = "https://idp.scopegate-lab.localhost";
pub const AUDIENCE: &str = "api://scopegate-lab";
pub const API_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:lab0api000";

/// Scopes handed to lab users, most common first.
pub const USER_SCOPES: [&str; 4] = [
    "pets.read",
    "pets.read pets.write",
    "pets.read pets.write pets.admin",
    "reports.read",
];

pub struct Identity {
    pub key: SigningKey,
    settings: HashMap<String, String>,
}

impl Identity {
    /// `alg` is `RS256` or `ES256`: a key generated now (aws-lc-rs
    /// generates RSA keys too, so none is committed).
    pub fn new(alg: &str) -> Result<Identity, String> {
        let key = match alg {
            "RS256" => SigningKey::generate("lab-rsa", Alg::RS256)?,
            "ES256" => SigningKey::generate("lab-ec", Alg::ES256)?,
            other => return Err(format!("no development key for {other}")),
        };
        let settings = HashMap::from([
            ("SCOPEGATE_ISSUER".to_string(), ISSUER.to_string()),
            ("SCOPEGATE_AUDIENCE".to_string(), AUDIENCE.to_string()),
            ("SCOPEGATE_JWKS".to_string(), mint::jwks([&key])),
            ("SCOPEGATE_PERMISSIONS".to_string(), permissions()),
            // The model refuses tokens exactly at `exp`.
            ("SCOPEGATE_LEEWAY_SECONDS".to_string(), "0".to_string()),
        ]);
        Ok(Identity { key, settings })
    }

    /// Reads the permissions from `source` (`s3://…`, `dynamodb://TABLE`,
    /// an https or loopback URL, a file) instead of the embedded document, refreshed every
    /// `max_age` seconds as a Lambda would (an S3 source signs with this
    /// process's `AWS_*` variables).
    #[must_use]
    pub fn with_permissions(mut self, source: &str, max_age: f64) -> Identity {
        use scopegate::config::Env;
        self.settings
            .insert("SCOPEGATE_PERMISSIONS".into(), source.to_string());
        self.settings.insert(
            "SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS".into(),
            max_age.to_string(),
        );
        for name in [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            if let Some(value) = Env.get(name) {
                self.settings.insert(name.into(), value);
            }
        }
        self
    }

    /// The configuration a Lambda would read from its environment.
    pub fn settings(&self) -> &HashMap<String, String> {
        &self.settings
    }

    pub fn authorizer(&self) -> Result<Authorizer, String> {
        self.authorizer_with(&[])
    }

    /// The authorizer with more settings (`SCOPEGATE_SIMPLE_RESPONSE`, …)
    /// over this identity's.
    pub fn authorizer_with(&self, extra: &[(&str, &str)]) -> Result<Authorizer, String> {
        let mut settings = self.settings.clone();
        for (name, value) in extra {
            settings.insert((*name).to_string(), (*value).to_string());
        }
        let config = Config::from_strings(&settings as &dyn Strings).map_err(|e| e.to_string())?;
        Authorizer::from_config(&config).map_err(|e| e.to_string())
    }

    /// An access token for `sub` with `scope`, valid from `iat` to `exp`.
    pub fn mint(&self, sub: &str, scope: &str, iat: f64, exp: f64) -> Result<String, String> {
        let payload = format!(
            r#"{{"iss":"{ISSUER}","sub":"{sub}","aud":"{AUDIENCE}","iat":{iat},"exp":{exp},"scope":"{scope}","client_id":"lab-client"}}"#
        );
        self.key.sign(&payload)
    }
}

/// A REST API TOKEN-authorizer event for `token` calling `method path`.
pub fn token_event(token: &str, method: &str, path: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{API_ARN}/prod/{method}/{path}"}}"#
    )
}

/// The pets API's permissions document (contract §4 format).
pub fn permissions() -> String {
    let rules = [
        ("pets", "GET", "pets.read"),
        ("pets/*", "GET", "pets.read"),
        ("pets", "POST", "pets.write"),
        ("pets/*", "PUT", "pets.write"),
        ("pets/*", "DELETE", "pets.admin"),
        ("admin/*", "*", "pets.admin"),
        ("reports", "GET", "reports.read"),
        ("reports/*", "GET", "reports.read"),
    ];
    let rules: Vec<String> = rules
        .iter()
        .map(|(resource, verb, scope)| {
            format!(
                r#"{{"arn":"{API_ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
            )
        })
        .collect();
    format!("[{}]", rules.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate::Decision;

    #[test]
    fn the_authorizer_accepts_what_the_identity_mints() {
        for alg in ["RS256", "ES256"] {
            let id = Identity::new(alg).unwrap();
            let authorizer = id.authorizer().unwrap();
            let now = 1_800_000_000.0;
            let token = id.mint("u1", "pets.read", now - 5.0, now + 60.0).unwrap();
            let allowed = authorizer
                .handle(&token_event(&token, "GET", "pets/7"), now)
                .unwrap();
            assert_eq!(allowed.decision, Decision::Allow);
            let late = authorizer.handle(&token_event(&token, "GET", "pets"), now + 60.0);
            assert!(late.is_err(), "refused at exp with leeway 0");
        }
    }
}
