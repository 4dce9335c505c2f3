//! Stage 7, respond: the JSON API Gateway receives. Responses are assembled
//! from pre-rendered pieces (the grant's policy document) with one string
//! buffer; the only per-token parts are `principalId` and `context`.

use crate::policy::Grant;
use crate::verify::{Claims, Scalar};

/// Appends `s` as a JSON string literal (quotes included).
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The `context` object: `sub`, granted `scope`, `client_id` when present,
/// then the configured scalar claims.
pub fn context_json(claims: &Claims<'_>, grant: &Grant) -> String {
    let mut out = String::with_capacity(64 + claims.sub.len() + grant.scope.len());
    push_context(&mut out, claims, grant);
    out
}

fn push_context(out: &mut String, claims: &Claims<'_>, grant: &Grant) {
    out.push_str("{\"sub\":");
    push_json_str(out, claims.sub);
    out.push_str(",\"scope\":");
    push_json_str(out, &grant.scope);
    if let Some(client_id) = claims.client_id {
        out.push_str(",\"client_id\":");
        push_json_str(out, client_id);
    }
    for (name, value) in &claims.context {
        out.push(',');
        push_json_str(out, name);
        out.push(':');
        match value {
            Scalar::Str(s) => push_json_str(out, s),
            Scalar::Num(text) => out.push_str(text),
            Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    out.push('}');
}

/// The per-token text of an IAM policy response, kept apart from the
/// grant's policy document (shared by every token with the same scopes), so
/// a memo entry holds only what is its own. The response is
/// `text[..head_len]`, then the policy document, then `text[head_len..]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamText {
    pub text: String,
    /// `{"principalId":…,"policyDocument":`
    pub head_len: usize,
    /// Where the `context` object starts in `text` (it runs to the last brace).
    pub context_at: usize,
}

/// Renders the per-token parts of the IAM response of a REST or HTTP API
/// authorizer, with `sub` as the principal. `room` more bytes are reserved
/// (the memo appends the token).
pub fn iam_text(claims: &Claims<'_>, grant: &Grant, room: usize) -> IamText {
    let mut text = String::with_capacity(
        room + 112
            + 2 * claims.sub.len()
            + grant.scope.len()
            + claims.client_id.map_or(0, str::len),
    );
    text.push_str("{\"principalId\":");
    push_json_str(&mut text, claims.sub);
    text.push_str(",\"policyDocument\":");
    let head_len = text.len();
    text.push_str(",\"context\":");
    let context_at = text.len();
    push_context(&mut text, claims, grant);
    text.push('}');
    // A memo entry keeps this string: no more than a little slack.
    if text.capacity() - text.len() > room + 64 {
        text.shrink_to(text.len() + room);
    }
    IamText {
        text,
        head_len,
        context_at,
    }
}

/// The whole IAM response, in one string (tests and one-off callers).
pub fn iam_response(claims: &Claims<'_>, grant: &Grant) -> String {
    let t = iam_text(claims, grant, 0);
    [
        &t.text[..t.head_len],
        &grant.policy_document,
        &t.text[t.head_len..],
    ]
    .concat()
}

/// The HTTP API 2.0 simple response.
pub fn simple_response(authorized: bool, context: &str) -> String {
    let mut out = String::with_capacity(40 + context.len());
    out.push_str(if authorized {
        "{\"isAuthorized\":true,\"context\":"
    } else {
        "{\"isAuthorized\":false,\"context\":"
    });
    out.push_str(context);
    out.push('}');
    out
}

/// The error body `replay` prints for a 401, as the Lambda runtime reports it.
pub const UNAUTHORIZED_ERROR: &str =
    r#"{"errorType":"Unauthorized","errorMessage":"Unauthorized"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}e\u{e9}");
        assert_eq!(out, r#""a\"b\\c\nd\u0001eé""#);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}e\u{e9}");
    }

    #[test]
    fn responses_are_valid_json() {
        let grant = Grant {
            allow: true,
            policy_document: crate::policy::DENY_ALL.into(),
            scope: "a b".into(),
            resources: Box::new([]),
        };
        let claims = Claims {
            sub: "u\"1",
            exp: 0.0,
            client_id: Some("c"),
            scopes: vec![],
            context: vec![("n", Scalar::Num("1.5")), ("b", Scalar::Bool(false))],
        };
        let ctx = context_json(&claims, &grant);
        let t = iam_text(&claims, &grant, 0);
        assert_eq!(&t.text[t.context_at..t.text.len() - 1], ctx);
        let v: serde_json::Value = serde_json::from_str(&iam_response(&claims, &grant)).unwrap();
        assert_eq!(v["principalId"], "u\"1");
        assert_eq!(
            v["context"],
            serde_json::json!({"sub":"u\"1","scope":"a b","client_id":"c","n":1.5,"b":false})
        );
        let s: serde_json::Value = serde_json::from_str(&simple_response(false, &ctx)).unwrap();
        assert_eq!(s["isAuthorized"], false);
    }
}
