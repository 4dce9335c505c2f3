//! Strict base64url against the `base64` crate's URL-safe no-pad engine
//! (strict: canonical trailing bits, no padding): the same answer on every
//! input, from the heap decoder and from the stack buffer the token path
//! uses (64 bytes here, so long inputs take its spill path too).
#![no_main]
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use scopegate::codec::b64;

fuzz_target!(|data: &[u8]| {
    let ours = b64::decode(data).ok();
    let theirs = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(data)
        .ok();
    assert_eq!(ours, theirs, "{data:?}");
    let mut buf = b64::Buf::<64>::default();
    assert_eq!(buf.decode(data).ok(), theirs.as_deref(), "{data:?}");
    if let Some(bytes) = ours {
        assert_eq!(b64::encode(&bytes).as_bytes(), data);
    }
});
