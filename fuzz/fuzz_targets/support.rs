//! One authorizer shared by the targets: a generated ES256 key, the pets
//! permissions, production defaults.
#![allow(dead_code)]
use scopegate::Authorizer;
use scopegate::config::{Config, Strings};
use scopegate::jose::Alg;
use scopegate::testkit::mint::{self, SigningKey};
use std::collections::HashMap;
use std::sync::OnceLock;

pub const NOW: f64 = 1_795_478_400.0;
pub const ISSUER: &str = "https://idp.fuzz.example";

pub fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("fuzz", Alg::ES256).expect("key"))
}

pub fn authorizer() -> &'static Authorizer {
    static A: OnceLock<Authorizer> = OnceLock::new();
    A.get_or_init(|| {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:api";
        let settings: HashMap<String, String> = HashMap::from([
            ("SCOPEGATE_ISSUER".into(), ISSUER.into()),
            ("SCOPEGATE_AUDIENCE".into(), "api://fuzz".into()),
            ("SCOPEGATE_JWKS".into(), mint::jwks([key()])),
            (
                "SCOPEGATE_PERMISSIONS".into(),
                format!(r#"[{{"arn":"{arn}","resource":"pets","stage":"prod","httpVerb":"GET","scope":"pets.read"}}]"#),
            ),
        ]);
        let config = Config::from_strings(&settings as &dyn Strings).expect("config");
        Authorizer::from_config(&config).expect("authorizer")
    })
}
