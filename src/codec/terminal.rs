//! Text from a token or an identity provider, made safe for a terminal:
//! every C0 control (line feeds included: a value must not start a line of
//! its own), DEL, every C1 control and the bidirectional overrides and
//! isolates (U+202A–U+202E, U+2066–U+2069) are written as `\u{…}`, and a
//! backslash as `\\`, so no escape sequence, carriage return or reordering
//! reaches the operator's screen and every escape reads back unambiguously.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as itself.
fn unsafe_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\\')
}

/// `text` with every unsafe character escaped (borrowed when there is none).
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_overrides_are_escaped_and_the_rest_kept() {
        assert_eq!(shown("orders.read"), "orders.read");
        assert!(matches!(shown("plain é ü 漢"), Cow::Borrowed(_)));
        assert_eq!(
            shown("a\u{1b}]52;c;eA==\u{7}b"),
            "a\\u{1b}]52;c;eA==\\u{7}b"
        );
        assert_eq!(
            shown("x\r\ndecision: allow"),
            "x\\u{d}\\u{a}decision: allow"
        );
        assert_eq!(shown("\u{7f}\u{85}\u{9b}"), "\\u{7f}\\u{85}\\u{9b}");
        assert_eq!(shown("\u{202e}lla\u{2066}"), "\\u{202e}lla\\u{2066}");
        assert_eq!(
            shown("a\\u{1b}"),
            "a\\\\u{1b}",
            "a literal escape stays readable as one"
        );
    }
}
