//! A Cedar policy store's policies (the text of a refreshed `.cedar`
//! object) compiled against a schema whose routes overlap every way
//! (`{x}`, `{proxy+}`, literals), then every group's grant rendered and a
//! request routed through it. The input is the policy text, then after a
//! 0xFF byte the request's `VERB/path`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::cedar::{Api, PolicyFile, compile};
use scopegate::policy::Grant;
use scopegate::scopes::PermissionLimits;

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";
const SCHEMA: &str = r#"{"A": {"entityTypes": {"G": {}, "U": {"memberOfTypes": ["G"]}, "R": {}},
  "actions": {
    "get /": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
    "get /a/{x}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
    "get /a/b": {"memberOf": [{"id": "readers"}], "appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
    "get /a/{proxy+}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
    "any /{proxy+}": {"appliesTo": {"principalTypes": ["U"], "resourceTypes": ["R"]}},
    "readers": {}}}}"#;

fuzz_target!(|data: &[u8]| {
    let (policies, request) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"GET/a/b"[..]),
    };
    let Ok(text) = std::str::from_utf8(policies) else {
        return;
    };
    let Ok(api) = Api::parse(API) else {
        return;
    };
    let files = [PolicyFile {
        name: "fuzz".into(),
        text: text.into(),
    }];
    let Ok(table) = compile(&files, SCHEMA, &api, PermissionLimits::default()) else {
        return;
    };
    let arn = format!("{API}/{}", String::from_utf8_lossy(request));
    for group in ["g1", "g2", "readers", "nobody"] {
        let grant = Grant::render(&table, &table.bits([group]));
        let _ = grant.allows_request(&table, &arn);
        let _ = grant.allows(&table, &arn);
    }
    let all = Grant::render(&table, &table.all_bits());
    let _ = all.allows_request(&table, &arn);
});
