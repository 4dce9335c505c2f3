//! Stage 7, respond: the JSON API Gateway receives. Responses are assembled
//! from pre-rendered pieces (the grant's policy document) with one string
//! buffer; the only per-token parts are `principalId` and `context`.

use crate::codec::json_write::push_json_str;
use crate::policy::Grant;
use crate::verify::{Claims, Scalar};

/// The `context` object: `sub`, granted `scope`, `client_id` when present,
/// then the configured scalar claims.
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
/// a memo entry holds only what is its own. The response is the head, the
/// policy document, then the tail; the memo may append the token after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamText {
    text: String,
    /// `{"principalId":…,"policyDocument":`
    head_len: usize,
    /// Where the `context` object starts (it runs to the tail's last brace).
    context_at: usize,
    /// Where the tail ends (and an appended token begins).
    end: usize,
}

impl IamText {
    /// Renders the per-token parts of the IAM response of a REST or HTTP API
    /// authorizer, with `sub` as the principal. `room` more bytes are
    /// reserved for [`IamText::append_token`].
    pub fn render(claims: &Claims<'_>, grant: &Grant, room: usize) -> IamText {
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
            end: text.len(),
            text,
            head_len,
            context_at,
        }
    }

    /// The response as three pieces to write one after the other.
    pub fn pieces<'a>(&'a self, policy_document: &'a str) -> [&'a str; 3] {
        [
            &self.text[..self.head_len],
            policy_document,
            &self.text[self.head_len..self.end],
        ]
    }

    /// The `context` object JSON (for the HTTP API simple response).
    pub fn context(&self) -> &str {
        &self.text[self.context_at..self.end - 1]
    }

    /// Keeps `token` after the response (the memo's key lives here).
    pub fn append_token(&mut self, token: &str) {
        self.text.push_str(token);
    }

    /// The heap bytes its text holds.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
    }

    /// What [`IamText::append_token`] appended.
    pub fn token(&self) -> &str {
        &self.text[self.end..]
    }
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
    fn responses_are_valid_json() {
        let grant = Grant {
            allow: true,
            policy_document: crate::policy::DENY_ALL.into(),
            scope: "a b".into(),
            resources: Box::new([]),
            answer: crate::policy::Answer::Complete,
            complete_bytes: 0,
            denied: Box::new([]),
        };
        let claims = Claims {
            sub: "u\"1",
            exp: 0.0,
            client_id: Some("c"),
            scopes: vec![],
            wrong_type_sources: 0,
            context: vec![("n", Scalar::Num("1.5")), ("b", Scalar::Bool(false))],
        };
        let mut t = IamText::render(&claims, &grant, 0);
        t.append_token("a.b.c");
        let v: serde_json::Value =
            serde_json::from_str(&t.pieces(&grant.policy_document).concat()).unwrap();
        assert_eq!(v["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(t.token(), "a.b.c");
        let ctx = t.context();
        assert_eq!(v["principalId"], "u\"1");
        let context =
            serde_json::json!({"sub":"u\"1","scope":"a b","client_id":"c","n":1.5,"b":false});
        assert_eq!(v["context"], context);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(ctx).unwrap(),
            context
        );
        let s: serde_json::Value = serde_json::from_str(&simple_response(false, ctx)).unwrap();
        assert_eq!(s["isAuthorized"], false);
    }
}
