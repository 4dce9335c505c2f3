//! The strict claims reader (duplicates, depth, numbers, escapes) and the
//! claim rules applied to whatever it accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::codec::json::{JsonLimits, parse_object};

fuzz_target!(|data: &[u8]| {
    let _ = parse_object(data, JsonLimits::default());
    let _ = parse_object(
        data,
        JsonLimits {
            max_depth: 2,
            max_members: 4,
            max_elements: 4,
        },
    );
});
