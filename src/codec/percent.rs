//! RFC 3986 percent-encoding, through the `percent-encoding` crate, for the
//! two places that build one: SigV4's canonical URI (an S3 key keeps its
//! `/`) and `application/x-www-form-urlencoded` values (introspection).
//! Everything but the unreserved characters is escaped, as upper-case hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Escaped: all but ALPHA, DIGIT, `-`, `_`, `.`, `~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`UNRESERVED`], keeping `/` (path segments).
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `s` with everything but the unreserved characters escaped.
pub fn unreserved(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// As [`unreserved`], with `/` kept.
pub fn path(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED_AND_SLASH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(unreserved("a-_.~Z9 +/é"), "a-_.~Z9%20%2B%2F%C3%A9");
        assert_eq!(path("a b/c+d"), "a%20b/c%2Bd");
    }
}
