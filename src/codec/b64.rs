//! Strict base64url (RFC 4648 §5) without padding, as contract §3 demands:
//! no `=`, no `+` or `/`, no whitespace, and canonical trailing bits (the
//! unused low bits of the last symbol must be zero), so that exactly one
//! string encodes each byte sequence.

use base64_simd::Out;
use std::mem::MaybeUninit;

/// Why a segment is not strict base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum B64Error {
    /// A byte outside `A-Z a-z 0-9 - _` (this includes `=`, `+`, `/` and whitespace).
    InvalidByte,
    /// A length of 1 modulo 4 cannot encode whole bytes.
    InvalidLength,
    /// The last symbol carries non-zero bits that encode nothing.
    NonCanonical,
}

/// Whether `byte` is a base64url symbol.
fn is_symbol(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Decodes `input` and appends the bytes to `out` (cleared first), so a caller
/// can reuse one buffer across calls.
///
/// The work is base64-simd's (AVX2/SSE4.1/NEON, chosen at run time; the AWS
/// SDK for Rust decodes with it too): on a token's payload and signature it
/// measured 40 ns against 250 ns for our best scalar loop (BENCHMARKS.md §1).
/// It is exactly as strict as contract §3 (no padding, no `+` `/` or
/// whitespace, canonical trailing bits: the unit tests and the
/// b64_differential fuzz target hold it to that); only the reason for a
/// refusal is ours, worked out on the cold path.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), B64Error> {
    out.clear();
    if let Ok(()) = base64_simd::URL_SAFE_NO_PAD.decode_append(input, out) {
        Ok(())
    } else {
        out.clear();
        Err(why_refused(input))
    }
}

/// A decode buffer of `N` bytes on the stack that spills to the heap beyond:
/// the token path keeps its header, payload and signature in these, so a
/// typical token costs no allocation to decode.
pub struct Buf<const N: usize> {
    stack: [MaybeUninit<u8>; N],
    heap: Vec<u8>,
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Buf {
            stack: [MaybeUninit::uninit(); N],
            heap: Vec::new(),
        }
    }
}

impl<const N: usize> Buf<N> {
    /// Decodes `input` (replacing what the buffer held) and returns the bytes.
    pub fn decode(&mut self, input: &[u8]) -> Result<&[u8], B64Error> {
        let engine = base64_simd::URL_SAFE_NO_PAD;
        // An upper bound, so `decode` (which panics on a short output) cannot.
        if engine.estimated_decoded_length(input.len()) <= N {
            match engine.decode(input, Out::from_uninit_slice(&mut self.stack)) {
                Ok(bytes) => Ok(bytes),
                Err(_) => Err(why_refused(input)),
            }
        } else {
            decode_into(input, &mut self.heap)?;
            Ok(&self.heap)
        }
    }
}

/// Why base64-simd refused `input`: a bad length or byte, else the last
/// symbol's unused bits.
#[cold]
fn why_refused(input: &[u8]) -> B64Error {
    if input.len() % 4 == 1 {
        B64Error::InvalidLength
    } else if !input.iter().copied().all(is_symbol) {
        B64Error::InvalidByte
    } else {
        B64Error::NonCanonical
    }
}

/// Decodes into a fresh vector; for start-up paths (JWK members) where reuse does not matter.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, B64Error> {
    let mut out = Vec::new();
    decode_into(input, &mut out)?;
    Ok(out)
}

/// Encodes without padding; used by tests and the lab's token minting.
pub fn encode(input: &[u8]) -> String {
    base64_simd::URL_SAFE_NO_PAD.encode_to_string(input)
}

/// Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials.
pub fn encode_standard(input: &[u8]) -> String {
    base64_simd::STANDARD.encode_to_string(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn round_trips_every_length_up_to_64() {
        let data: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..data.len() {
            let encoded = encode(&data[..len]);
            assert_eq!(encoded, URL_SAFE_NO_PAD.encode(&data[..len]));
            assert_eq!(decode(encoded.as_bytes()).unwrap(), &data[..len]);
        }
    }

    #[test]
    fn the_stack_buffer_and_its_heap_spill_decode_alike() {
        let data: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(91)).collect();
        for len in [0, 1, 2, 15, 16, 17, 47, 48, 49, 199] {
            let encoded = encode(&data[..len]);
            // 16 bytes on the stack: the longer inputs spill to the heap.
            let mut buf = Buf::<16>::default();
            assert_eq!(buf.decode(encoded.as_bytes()).unwrap(), &data[..len]);
            assert_eq!(buf.decode(b"YR"), Err(B64Error::NonCanonical));
            assert_eq!(buf.decode(encoded.as_bytes()).unwrap(), &data[..len]);
        }
        let mut buf = Buf::<16>::default();
        assert_eq!(buf.decode(&[b'A'; 30]).unwrap(), &[0u8; 22][..]);
        assert_eq!(buf.decode(b"YQ=="), Err(B64Error::InvalidByte));
        assert_eq!(buf.decode(&[b'A'; 29]), Err(B64Error::InvalidLength));
    }

    #[test]
    fn standard_encoding_pads_and_uses_plus_and_slash() {
        use base64::engine::general_purpose::STANDARD;
        for len in 0..=64_usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 251) as u8).collect();
            assert_eq!(encode_standard(&data), STANDARD.encode(&data));
        }
        assert_eq!(encode_standard(b"client:s3cr\xfb?"), "Y2xpZW50OnMzY3L7Pw==");
    }

    #[test]
    fn padding_is_rejected() {
        assert_eq!(decode(b"YQ=="), Err(B64Error::InvalidByte));
    }

    #[test]
    fn standard_alphabet_symbols_are_rejected() {
        assert_eq!(decode(b"a+b/"), Err(B64Error::InvalidByte));
    }

    #[test]
    fn whitespace_is_rejected() {
        assert_eq!(decode(b"YW J"), Err(B64Error::InvalidByte));
        assert_eq!(decode(b"YWJ\n"), Err(B64Error::InvalidByte));
        assert!(decode(b"YWJj\n").is_err());
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // "YQ" is canonical for "a"; "YR" differs only in the unused low bits.
        assert_eq!(decode(b"YQ").unwrap(), b"a");
        assert_eq!(decode(b"YR"), Err(B64Error::NonCanonical));
        assert_eq!(decode(b"YWI").unwrap(), b"ab");
        assert_eq!(decode(b"YWJ"), Err(B64Error::NonCanonical));
    }

    #[test]
    fn impossible_length_is_rejected() {
        assert_eq!(decode(b"YWJjZ"), Err(B64Error::InvalidLength));
    }

    #[test]
    fn agrees_with_the_strict_reference_engine_on_mutations() {
        let base = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0".to_vec();
        for pos in 0..base.len() {
            for byte in [b'=', b'+', b'/', b' ', b'A', b'_', b'-', 0u8, 0xff] {
                let mut input = base.clone();
                input[pos] = byte;
                let ours = decode(&input).ok();
                let reference = URL_SAFE_NO_PAD.decode(&input).ok();
                assert_eq!(
                    ours,
                    reference,
                    "input {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }
}
