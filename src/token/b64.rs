//! Strict base64url (RFC 4648 §5) without padding, as CONTRACT §3 demands:
//! no `=`, no `+` or `/`, no whitespace, and canonical trailing bits (the
//! unused low bits of the last symbol must be zero), so that exactly one
//! string encodes each byte sequence.

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

const INVALID: u8 = 0xff;

/// Symbol value per input byte; `INVALID` for everything outside the alphabet.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The number of bytes `input_len` symbols decode to, or an error for an impossible length.
pub fn decoded_len(input_len: usize) -> Result<usize, B64Error> {
    match input_len % 4 {
        1 => Err(B64Error::InvalidLength),
        rem => Ok(input_len / 4 * 3 + rem.saturating_sub(1)),
    }
}

/// Decodes `input` and appends the bytes to `out` (cleared first), so a caller
/// can reuse one buffer across calls.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), B64Error> {
    out.clear();
    let len = decoded_len(input.len())?;
    out.reserve(len);
    // Branch-free main loop: symbol values are < 64, INVALID has the top
    // bits set, so OR-ing every value tells at the end whether one was bad.
    let mut seen = 0u8;
    let mut chunks = input.chunks_exact(8);
    for chunk in &mut chunks {
        out.extend_from_slice(&pack(chunk, &mut seen).to_be_bytes()[2..]);
    }
    let mut quads = chunks.remainder().chunks_exact(4);
    for chunk in &mut quads {
        out.extend_from_slice(&pack(chunk, &mut seen).to_be_bytes()[5..]);
    }
    if seen & 0xc0 != 0 {
        return Err(B64Error::InvalidByte);
    }
    match *quads.remainder() {
        [] => {}
        [a, b] => {
            let (a, b) = (sym(a)?, sym(b)?);
            if b & 0x0f != 0 {
                return Err(B64Error::NonCanonical);
            }
            out.push(((a << 2) | (b >> 4)) as u8);
        }
        [a, b, c] => {
            let (a, b, c) = (sym(a)?, sym(b)?, sym(c)?);
            if c & 0x03 != 0 {
                return Err(B64Error::NonCanonical);
            }
            let n = (a << 10) | (b << 4) | (c >> 2);
            out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
        }
        _ => return Err(B64Error::InvalidLength),
    }
    Ok(())
}

/// The 6-bit values of up to 8 symbols, packed big-endian; every value is
/// OR-ed into `seen` (INVALID sets its top bits) instead of branching.
#[inline]
fn pack(symbols: &[u8], seen: &mut u8) -> u64 {
    symbols.iter().fold(0u64, |n, &byte| {
        let v = DECODE[byte as usize];
        *seen |= v;
        (n << 6) | u64::from(v & 0x3f)
    })
}

/// Decodes into a fresh vector; for start-up paths (JWK members) where reuse does not matter.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, B64Error> {
    let mut out = Vec::new();
    decode_into(input, &mut out)?;
    Ok(out)
}

/// Encodes without padding; used by tests and the lab's token minting.
pub fn encode(input: &[u8]) -> String {
    encode_with(
        input,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    )
}

/// Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials.
pub fn encode_standard(input: &[u8]) -> String {
    let mut out = encode_with(
        input,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

fn encode_with(input: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(alphabet[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
        }
    }
    out
}

#[inline]
fn sym(byte: u8) -> Result<u32, B64Error> {
    match DECODE[byte as usize] {
        INVALID => Err(B64Error::InvalidByte),
        v => Ok(u32::from(v)),
    }
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
