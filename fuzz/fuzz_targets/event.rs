//! Any bytes as an authorizer event (every shape): parsed, and handled by a
//! real authorizer; never a panic, and the answer is a decision or a reason.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::event::{IdentitySource, parse};

#[path = "support.rs"]
mod support;

fuzz_target!(|data: &[u8]| {
    let _ = parse(data, &IdentitySource::default());
    let _ = support::authorizer().handle(data, support::NOW);
});
