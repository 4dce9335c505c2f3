//! The Authorization value and the token up to (and through) the signature
//! check: any bytes as `Bearer <token>` in a TOKEN event, and, when they
//! split as header.payload, re-signed so the fuzzer also reaches the claims.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "support.rs"]
mod support;

fn event(identity: &str) -> String {
    format!(
        r#"{{"type":"TOKEN","authorizationToken":{},"methodArn":"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets"}}"#,
        serde_json::Value::String(identity.to_string())
    )
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let a = support::authorizer();
    let _ = a.handle(&event(text), support::NOW);
    let _ = a.handle(&event(&format!("Bearer {text}")), support::NOW);
    // Fuzzed header and payload JSON behind a valid signature.
    if let Some((header, payload)) = text.split_once('\n')
        && let Ok(token) = support::key().sign_json(header, payload)
    {
        let _ = a.handle(&event(&format!("Bearer {token}")), support::NOW);
    }
});
