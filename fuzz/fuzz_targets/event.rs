//! Any text as an authorizer event (every shape): parsed, and handled by a
//! real authorizer; never a panic, and the answer is a decision or a reason.
//! (The runtime hands the handler text: bytes that are not UTF-8 never reach it.)
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::event::{IdentitySource, parse};

#[path = "support.rs"]
mod support;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse(text, &IdentitySource::default());
    let _ = support::authorizer().handle(text, support::NOW);
});
