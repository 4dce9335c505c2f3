//! Reads a DynamoDB table whole (the permissions as items, a scope per
//! item): `Scan` with `ConsistentRead`, page after page, with the
//! function's own credentials and a SigV4 signature — one JSON POST, so no
//! AWS SDK in the binary. Bounded: the pages together may hold at most the
//! document's byte budget, and the items at most its rule count.

use crate::net::http::Client;
use crate::net::sigv4::{Target, payload_hash, signed_headers};
use serde_json::{Map, Value};
use std::time::SystemTime;

/// Items asked for per page: small enough that a page stays well under
/// the 1 MB DynamoDB returns at most, large enough that a table of a few
/// hundred scopes is one or two requests.
pub const PAGE_ITEMS: usize = 1000;

/// The table's items in DynamoDB's JSON (`{"scope":{"S":"…"}, …}`), and
/// the bytes the answers held.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Every item, in scan order.
    pub items: Vec<Map<String, Value>>,
    /// The answers' total size.
    pub bytes: usize,
}

/// Every item of `table`, read consistently page by page; at most
/// `max_bytes` of answers and `max_items` items, else an error.
pub fn scan(
    client: &Client,
    target: &Target,
    table: &str,
    max_bytes: usize,
    max_items: usize,
) -> Result<Scanned, String> {
    let mut scanned = Scanned::default();
    let mut start: Option<Value> = None;
    loop {
        let mut body = serde_json::json!({
            "TableName": table,
            "ConsistentRead": true,
            "Limit": PAGE_ITEMS,
        });
        if let Some(key) = start.take() {
            body["ExclusiveStartKey"] = key;
        }
        let body = body.to_string();
        let (url, headers) = signed_scan(target, &body, SystemTime::now());
        let answer = client.post(
            &url,
            "application/x-amz-json-1.0",
            &headers,
            body.as_bytes(),
        )?;
        scanned.bytes += answer.body.len();
        if answer.status != 200 {
            return Err(refusal(answer.status, &answer.body));
        }
        if scanned.bytes > max_bytes {
            return Err(format!(
                "the table's items are over {max_bytes} bytes (SCOPEGATE_PERMISSIONS_MAX_BYTES)"
            ));
        }
        let mut page: Map<String, Value> = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("a Scan answer is not a JSON object: {e}"))?;
        match page.remove("Items") {
            Some(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::Object(item) => scanned.items.push(item),
                        _ => return Err("a Scan answer's item is not an object".into()),
                    }
                }
            }
            _ => return Err("a Scan answer has no Items".into()),
        }
        if scanned.items.len() > max_items {
            return Err(format!(
                "the table has more than {max_items} items (SCOPEGATE_PERMISSIONS_MAX_RULES)"
            ));
        }
        match page.remove("LastEvaluatedKey") {
            Some(key @ Value::Object(_)) => start = Some(key),
            _ => return Ok(scanned),
        }
    }
}

/// What a refused request says: the exception's name, with what to do for
/// the ones an operator can fix (DynamoDB answers 400 with `__type`).
fn refusal(status: u16, body: &[u8]) -> String {
    let kind = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("__type").and_then(Value::as_str).map(str::to_string))
        .map(|t| t.rsplit('#').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    match kind.as_str() {
        "ResourceNotFoundException" => "no such table (ResourceNotFoundException)".into(),
        "AccessDeniedException" => {
            "access denied: the function's role needs dynamodb:Scan on the table".into()
        }
        "" => format!("HTTP {status}"),
        other => format!("HTTP {status} ({})", crate::codec::terminal::shown(other)),
    }
}

/// The URL and headers of a SigV4-signed `Scan` with `body`.
pub fn signed_scan(t: &Target, body: &str, at: SystemTime) -> (String, Vec<(String, String)>) {
    let headers = vec![
        (
            "content-type".to_string(),
            "application/x-amz-json-1.0".to_string(),
        ),
        (
            "x-amz-target".to_string(),
            "DynamoDB_20120810.Scan".to_string(),
        ),
    ];
    let hash = payload_hash(body.as_bytes());
    let mut headers = signed_headers(t, "dynamodb", "POST", "/", headers, &hash, at);
    // ureq sets the content type from the call itself.
    headers.retain(|(k, _)| k != "content-type");
    (format!("{}/", t.endpoint.trim_end_matches('/')), headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_name_what_to_fix() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#;
        assert_eq!(
            refusal(400, body),
            "no such table (ResourceNotFoundException)"
        );
        let denied = br#"{"__type":"com.amazon.coral.service#AccessDeniedException"}"#;
        assert!(refusal(400, denied).contains("dynamodb:Scan"));
        assert_eq!(refusal(500, b"oops"), "HTTP 500");
        assert!(!refusal(400, b"{\"__type\":\"a#B\\u001b[2J\"}").contains('\u{1b}'));
    }
}
