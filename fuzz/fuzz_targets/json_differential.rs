//! The strict JSON reader against serde_json: whatever it accepts,
//! serde_json accepts too, with the same members and strings; it never
//! accepts a duplicate member name.
//!
//! One exception is serde_json's, not ours: with its `raw_value` feature
//! (which the crate enables) serde_json reserves the member name
//! `$serde_json::private::RawValue` and refuses any document that uses it
//! as an ordinary member. Such documents are valid JSON; they are skipped.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::codec::json::{JsonLimits, Object, Value, parse_object};

fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    match (ours, theirs) {
        (Value::Null, serde_json::Value::Null) => true,
        (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
        (Value::Number(_), serde_json::Value::Number(_)) => true,
        (Value::String(a), serde_json::Value::String(b)) => a == b,
        (Value::Array(a), serde_json::Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), serde_json::Value::Object(b)) => same_object(a, b),
        _ => false,
    }
}

fn same_object(a: &Object, b: &serde_json::Map<String, serde_json::Value>) -> bool {
    a.members.len() == b.len()
        && a.members
            .iter()
            .all(|(k, v)| b.get(k.as_ref()).is_some_and(|w| same(v, w)))
}

/// The prefix of the member names serde_json keeps for itself.
const SERDE_RESERVED: &str = "$serde_json::private::";

/// Whether any member name, at any depth, is one serde_json reserves.
fn uses_reserved_name(object: &Object) -> bool {
    object
        .members
        .iter()
        .any(|(k, v)| k.starts_with(SERDE_RESERVED) || value_uses_reserved_name(v))
}

fn value_uses_reserved_name(value: &Value) -> bool {
    match value {
        Value::Object(o) => uses_reserved_name(o),
        Value::Array(a) => a.iter().any(value_uses_reserved_name),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(ours) = parse_object(data, JsonLimits::default()) {
        if uses_reserved_name(&ours) {
            return;
        }
        let theirs: serde_json::Value =
            serde_json::from_slice(data).expect("serde_json accepts what we accept");
        let serde_json::Value::Object(map) = theirs else {
            panic!("not an object")
        };
        assert!(
            same_object(&ours, &map),
            "{:?}",
            String::from_utf8_lossy(data)
        );
    }
});
