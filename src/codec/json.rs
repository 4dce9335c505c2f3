//! A strict, borrowing JSON reader for JOSE headers and claims (contract §3).
//!
//! `serde_json` silently keeps the last of two members with the same name,
//! so `{"scp":["a"],"\u0073cp":["admin"]}` would mean different things to
//! us and to a downstream reader. This reader rejects any duplicate member
//! name after unescaping, caps nesting depth and member counts, and accepts
//! exactly one object with nothing but whitespace after it. Strings borrow
//! from the input unless they contain escapes.

use std::borrow::Cow;

/// Bounds on what one document may contain; checked while parsing, so an
/// oversized document costs at most one pass over its bytes.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimits {
    /// Deepest nesting of objects and arrays (the top-level object is depth 1). Defaults to `16`.
    pub max_depth: usize,
    /// Most members in one object. Defaults to `128` (duplicate detection
    /// compares each new name with the earlier ones).
    pub max_members: usize,
    /// Most elements in one array. Defaults to `256`: Entra ID puts up to
    /// 200 group ids in a token before it switches to an overage claim.
    pub max_elements: usize,
}

impl JsonLimits {
    /// The bounds for what an identity provider sends (a JWKS, a discovery
    /// document, an introspection answer): wider than a token's, read with
    /// the same duplicate rule, so one reader judges every IdP answer.
    pub const IDP_DOCUMENT: JsonLimits = JsonLimits {
        max_depth: 16,
        max_members: 512,
        max_elements: 4096,
    };
}

impl JsonError {
    /// What is wrong, in a few words (for start-up and refresh errors).
    pub const fn describe(self) -> &'static str {
        match self {
            JsonError::Utf8 => "not UTF-8",
            JsonError::NotObject => "not a JSON object",
            JsonError::Syntax => "not strict JSON",
            JsonError::TrailingData => "data after the object",
            JsonError::DuplicateMember => "a member name repeated in one object",
            JsonError::TooDeep => "nested too deep",
            JsonError::TooManyMembers => "too many members or elements",
            JsonError::LoneSurrogate => "a lone surrogate escape",
        }
    }
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_members: 128,
            max_elements: 256,
        }
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not valid UTF-8.
    Utf8,
    /// Not a JSON object at the top level.
    NotObject,
    /// A syntax error (this covers NaN, Infinity, comments and single quotes).
    Syntax,
    /// Something after the closing brace other than whitespace.
    TrailingData,
    /// Two members of one object share a name (after unescaping).
    DuplicateMember,
    /// Nesting deeper than [`JsonLimits::max_depth`].
    TooDeep,
    /// More members than [`JsonLimits::max_members`], or elements than [`JsonLimits::max_elements`].
    TooManyMembers,
    /// A `\u` escape that encodes a lone surrogate.
    LoneSurrogate,
}

/// A JSON number: its exact text and its value as the nearest `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number<'a> {
    /// The number as written (for the response context, unchanged).
    pub text: &'a str,
    /// Its value (finite; bounds are checked by the reader).
    pub value: f64,
}

/// A parsed value that borrows from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, text and value.
    Number(Number<'a>),
    /// A string, unescaped (borrowed when it had no escapes).
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object.
    Object(Object<'a>),
}

/// Object members in document order; names are unique by construction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a> {
    /// Members in document order (names are unique: duplicates are refused).
    pub members: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Object<'a> {
    /// The member named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Moves the member named `name` out, if any (the order of the rest changes).
    pub fn take(&mut self, name: &str) -> Option<Value<'a>> {
        let i = self.members.iter().position(|(k, _)| k == name)?;
        Some(self.members.swap_remove(i).1)
    }
}

impl Value<'_> {
    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses `input` as exactly one JSON object.
pub fn parse_object(input: &[u8], limits: JsonLimits) -> Result<Object<'_>, JsonError> {
    let text = std::str::from_utf8(input).map_err(|_| JsonError::Utf8)?;
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        limits,
    };
    reader.skip_ws();
    if reader.peek() != Some(b'{') {
        return Err(JsonError::NotObject);
    }
    let object = reader.object(1)?;
    reader.skip_ws();
    if reader.pos != reader.bytes.len() {
        return Err(JsonError::TrailingData);
    }
    Ok(object)
}

/// Skips the plain run of a string from `from`, eight bytes per step: returns
/// the first quote, backslash or control character, or, when none is found,
/// where fewer than eight bytes are left for the byte loop to finish.
/// As in serde_json, each test below sets a byte's
/// top bit where the byte matches; the lowest set bit is always a true match.
#[inline]
fn plain_run_end(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut pos = from;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let hits = zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if hits != 0 {
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: JsonLimits,
}

impl<'a> Reader<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        match self.peek() {
            Some(b'{') => Ok(Value::Object(self.object(depth + 1)?)),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(JsonError::Syntax),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Object<'a>, JsonError> {
        if depth > self.limits.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'{')?;
        // Sized for a real token's claims (about 10 members) so the vector
        // does not regrow three times on the way there.
        let mut members: Vec<(Cow<'a, str>, Value<'a>)> = Vec::with_capacity(16);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Object { members });
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Syntax);
            }
            let name = self.string()?;
            // Quadratic in the member count, which max_members bounds; for
            // the ~10 members of a real token this beats hashing.
            if members.iter().any(|(k, _)| *k == name) {
                return Err(JsonError::DuplicateMember);
            }
            if members.len() == self.limits.max_members {
                return Err(JsonError::TooManyMembers);
            }
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((name, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Object { members });
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        if depth > self.limits.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            if items.len() == self.limits.max_elements {
                return Err(JsonError::TooManyMembers);
            }
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn number(&mut self) -> Result<Value<'a>, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(JsonError::Syntax),
        }
        if let Some(value) = self.small_integer(start) {
            let text = &self.text[start..self.pos];
            return Ok(Value::Number(Number { text, value }));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::Syntax);
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::Syntax);
            }
            self.digits();
        }
        let text = &self.text[start..self.pos];
        let value = text.parse::<f64>().map_err(|_| JsonError::Syntax)?;
        // A number beyond f64 (1e400) is refused, as serde_json does, rather
        // than read as infinity (found by differential fuzzing).
        if !value.is_finite() {
            return Err(JsonError::Syntax);
        }
        Ok(Value::Number(Number { text, value }))
    }

    /// The value of `text[start..pos]` when it is a whole number of at most
    /// 15 digits with nothing after it (`exp`, `iat`, `nbf`), which an `f64`
    /// holds exactly: summed here instead of going through `str::parse`.
    #[inline]
    fn small_integer(&self, start: usize) -> Option<f64> {
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let text = &self.bytes[start..self.pos];
        let (negative, digits) = match text {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, text),
        };
        if digits.len() > 15 {
            return None;
        }
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')) as f64;
        Some(if negative { -n } else { n })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.pos += 1;
        let start = self.pos;
        self.pos = plain_run_end(self.bytes, self.pos);
        // Fast path: no escapes, borrow the slice.
        loop {
            match self.peek() {
                None => return Err(JsonError::Syntax),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => return Err(JsonError::Syntax),
                Some(_) => self.pos += 1,
            }
        }
        let mut owned = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(JsonError::Syntax),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut owned)?;
                }
                Some(0x00..=0x1f) => return Err(JsonError::Syntax),
                Some(_) => {
                    // Copy the run up to the next quote or backslash at once.
                    let run_start = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    owned.push_str(&self.text[run_start..self.pos]);
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = self.peek().ok_or(JsonError::Syntax)?;
        self.pos += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(JsonError::LoneSurrogate);
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(JsonError::LoneSurrogate);
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code).ok_or(JsonError::LoneSurrogate)?
                    }
                    0xDC00..=0xDFFF => return Err(JsonError::LoneSurrogate),
                    _ => char::from_u32(first).ok_or(JsonError::Syntax)?,
                }
            }
            _ => return Err(JsonError::Syntax),
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::Syntax)?;
        let mut value = 0u32;
        for &d in digits {
            let nibble = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(JsonError::Syntax),
            };
            value = (value << 4) | u32::from(nibble);
        }
        self.pos += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Object<'_>, JsonError> {
        parse_object(s.as_bytes(), JsonLimits::default())
    }

    #[test]
    fn numbers_beyond_f64_are_refused() {
        // Regression: fuzz/artifacts/json_differential (2.5e9999 read as infinity).
        for doc in [
            r#"{"a":2.5e9999}"#,
            r#"{"a":-1e400}"#,
            r#"{"a":[1,2.5e309]}"#,
        ] {
            assert!(
                parse_object(doc.as_bytes(), JsonLimits::default()).is_err(),
                "{doc}"
            );
        }
        assert!(parse_object(br#"{"a":1.7e308}"#, JsonLimits::default()).is_ok());
    }

    #[test]
    fn the_word_scan_never_passes_what_the_byte_scan_stops_at() {
        let naive = |b: &[u8], from: usize| {
            (from..b.len())
                .find(|&i| b[i] == b'"' || b[i] == b'\\' || b[i] < 0x20)
                .unwrap_or(b.len())
        };
        let specials = [
            b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xc3, 0xff, b'a',
        ];
        for len in 0..20 {
            for at in 0..len {
                for &special in &specials {
                    for &filler in &[b'a', 0x21, 0xff, 0x5b, 0x5d] {
                        let mut bytes = vec![filler; len];
                        bytes[at] = special;
                        for from in 0..=len {
                            let (got, want) = (plain_run_end(&bytes, from), naive(&bytes, from));
                            assert!(
                                got == want || (got < want && len - got < 8),
                                "{bytes:?} from {from}: {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn whole_numbers_take_the_short_path_with_the_same_value() {
        for text in [
            "0",
            "-0",
            "7",
            "-42",
            "4102377149",
            "999999999999999",
            "-999999999999999",
            "1234567890123456",
            "98765432109876543210",
            "1.5",
            "10e2",
            "-0.0",
        ] {
            let doc = format!(r#"{{"n":{text}}}"#);
            let obj = parse(&doc).unwrap();
            let Some(Value::Number(n)) = obj.get("n") else {
                panic!("{text}")
            };
            let expected: f64 = text.parse().unwrap();
            assert_eq!(n.text, text);
            assert_eq!(n.value.to_bits(), expected.to_bits(), "{text}");
        }
    }

    #[test]
    fn reads_a_claims_object_borrowing_plain_strings() {
        let obj =
            parse(r#"{"iss":"https://idp","exp":1.5e9,"scp":["a","b"],"x":{"y":null}}"#).unwrap();
        assert!(matches!(
            obj.get("iss"),
            Some(Value::String(Cow::Borrowed("https://idp")))
        ));
        match obj.get("exp") {
            Some(Value::Number(n)) => assert_eq!(n.value, 1.5e9),
            other => panic!("{other:?}"),
        }
        assert!(matches!(obj.get("scp"), Some(Value::Array(a)) if a.len() == 2));
    }

    #[test]
    fn duplicate_member_fails() {
        assert_eq!(parse(r#"{"a":1,"a":2}"#), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn duplicate_member_after_unescaping_fails() {
        assert_eq!(
            parse(r#"{"scp":["a"],"\u0073cp":["admin"]}"#),
            Err(JsonError::DuplicateMember)
        );
        assert_eq!(
            parse(r#"{"a\/b":1,"a/b":2}"#),
            Err(JsonError::DuplicateMember)
        );
    }

    #[test]
    fn duplicate_member_in_a_nested_object_fails() {
        assert_eq!(
            parse(r#"{"x":{"k":1,"k":1}}"#),
            Err(JsonError::DuplicateMember)
        );
    }

    #[test]
    fn nan_infinity_comments_and_single_quotes_fail() {
        for doc in [
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":-Infinity}"#,
            "{\"a\":1 /* c */}",
            "{'a':1}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":1,}"#,
        ] {
            assert_eq!(parse(doc), Err(JsonError::Syntax), "{doc}");
        }
    }

    #[test]
    fn trailing_data_fails() {
        assert_eq!(parse(r#"{"a":1}{"#), Err(JsonError::TrailingData));
        assert_eq!(parse(r#"{"a":1} x"#), Err(JsonError::TrailingData));
        assert!(parse("{\"a\":1} \n").is_ok());
    }

    #[test]
    fn non_object_documents_fail() {
        for doc in ["[]", "1", "\"s\"", "", "null"] {
            assert_eq!(parse(doc), Err(JsonError::NotObject), "{doc}");
        }
    }

    #[test]
    fn invalid_utf8_fails() {
        assert_eq!(
            parse_object(b"{\"a\":\"\xff\"}", JsonLimits::default()),
            Err(JsonError::Utf8)
        );
    }

    #[test]
    fn lone_surrogates_fail_and_pairs_decode() {
        assert_eq!(parse(r#"{"a":"\ud800"}"#), Err(JsonError::LoneSurrogate));
        assert_eq!(parse(r#"{"a":"\udc00"}"#), Err(JsonError::LoneSurrogate));
        let obj = parse(r#"{"a":"\ud83d\ude00"}"#).unwrap();
        assert_eq!(obj.get("a").and_then(Value::as_str), Some("😀"));
    }

    #[test]
    fn control_characters_in_strings_fail() {
        assert_eq!(parse("{\"a\":\"x\ny\"}"), Err(JsonError::Syntax));
    }

    #[test]
    fn nesting_beyond_the_cap_fails() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(16), "]".repeat(16));
        assert_eq!(parse(&deep), Err(JsonError::TooDeep));
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(15), "]".repeat(15));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn too_many_members_fails() {
        let limits = JsonLimits {
            max_depth: 4,
            max_members: 3,
            max_elements: 3,
        };
        assert!(parse_object(br#"{"a":1,"b":2,"c":3}"#, limits).is_ok());
        assert_eq!(
            parse_object(br#"{"a":1,"b":2,"c":3,"d":4}"#, limits),
            Err(JsonError::TooManyMembers)
        );
        assert_eq!(
            parse_object(br#"{"a":[1,2,3,4]}"#, limits),
            Err(JsonError::TooManyMembers)
        );
        let wide_arrays = JsonLimits {
            max_elements: 4,
            ..limits
        };
        assert!(parse_object(br#"{"a":[1,2,3,4]}"#, wide_arrays).is_ok());
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        for doc in [
            r#"{"a":"\u00e9\n\t\"\\","b":[true,false,null,-0,1e-7,12.5E+3],"c":{}}"#,
            r#"  {"":""}  "#,
            r#"{"k":"plain","n":-12345678901234567890}"#,
        ] {
            let ours = parse(doc).unwrap();
            let reference: serde_json::Value = serde_json::from_str(doc).unwrap();
            let reference = reference.as_object().unwrap();
            assert_eq!(ours.members.len(), reference.len());
            for (k, v) in &ours.members {
                let r = &reference[k.as_ref()];
                match v {
                    Value::String(s) => assert_eq!(r.as_str(), Some(s.as_ref())),
                    Value::Number(n) => assert_eq!(r.as_f64(), Some(n.value)),
                    Value::Array(items) => {
                        assert_eq!(r.as_array().map(Vec::len), Some(items.len()));
                    }
                    _ => {}
                }
            }
        }
    }
}
