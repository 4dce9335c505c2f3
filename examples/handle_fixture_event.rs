//! Runs `Authorizer::handle` on a committed fixture event, with a token
//! minted for the occasion, and prints what API Gateway would receive.
//!
//!     cargo run --example handle_fixture_event

use scopegate::testkit::mint::{self, SigningKey};
use scopegate::{Authorizer, Config};
use std::collections::HashMap;

const ISSUER: &str = "https://idp.example/oauth2/default";
const AUDIENCE: &str = "api://orders";
const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SigningKey::generate("example-key", scopegate::jose::Alg::ES256)?;
    let permissions = format!(
        r#"[{{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"orders.read"}},
            {{"arn":"{ARN}","resource":"orders/*","stage":"prod","httpVerb":"GET","scope":"orders.read"}}]"#
    );
    let settings = HashMap::from([
        ("SCOPEGATE_ISSUER".to_string(), ISSUER.to_string()),
        ("SCOPEGATE_AUDIENCE".to_string(), AUDIENCE.to_string()),
        ("SCOPEGATE_JWKS".to_string(), mint::jwks([&key])),
        ("SCOPEGATE_PERMISSIONS".to_string(), permissions),
    ]);
    let authorizer = Authorizer::from_config(&Config::from_strings(&settings)?)?;

    let now = scopegate::clock::now();
    let token = key.sign(&format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"alice","exp":{},"scope":"orders.read openid"}}"#,
        now + 300.0
    ))?;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/events/rest-token.json"
    );
    let mut event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture)?)?;
    event["authorizationToken"] = format!("Bearer {token}").into();

    match authorizer.handle(&event.to_string(), now) {
        Ok(response) => println!("{:?}: {}", response.decision, response.body()),
        Err(reject) => println!("401 Unauthorized (reason `{}`)", reject.code()),
    }
    // The same event with the signature's last character changed (to another
    // canonical one): a forged signature.
    let last = if token.ends_with('A') { 'Q' } else { 'A' };
    event["authorizationToken"] = format!("Bearer {}{last}", &token[..token.len() - 1]).into();
    if let Err(reject) = authorizer.handle(&event.to_string(), now) {
        println!(
            "tampered token: 401 Unauthorized (reason `{}`)",
            reject.code()
        );
    }
    Ok(())
}
