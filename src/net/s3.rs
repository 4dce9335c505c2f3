//! Reads one S3 object at start-up (the permissions document, or a JWKS),
//! with the function's own credentials (read by the configuration from the
//! environment) and a SigV4 signature — a GET is all we need, so no AWS SDK
//! in the binary. Requests are path-style, so an endpoint override points
//! them at moto_server in the tests.

use crate::codec::percent;
use crate::net::http::{Client, Fetched};
pub use crate::net::sigv4::Target;
use crate::net::sigv4::signed_headers;
use std::time::SystemTime;

/// The object's bytes, read with `client` (the shared one: its timeout and size cap).
pub fn get_object(
    client: &Client,
    target: &Target,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, String> {
    let answer = get_object_if(client, target, bucket, key, None)?;
    match answer.status {
        200 => Ok(answer.body),
        404 => Err("no such object (HTTP 404)".into()),
        403 => Err("access denied (HTTP 403): the function's role needs s3:GetObject on it".into()),
        other => Err(format!("HTTP {other}")),
    }
}

/// GET the object, with `If-None-Match: etag` when given (S3 answers 304
/// when it still matches); the status is the caller's to judge.
pub fn get_object_if(
    client: &Client,
    target: &Target,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
) -> Result<Fetched, String> {
    if bucket.is_empty() || key.is_empty() {
        return Err("expected s3://bucket/key".into());
    }
    let (url, headers) = signed_get(target, bucket, key, SystemTime::now());
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.get(&url, etag, &refs)
}

/// The URL and headers of a SigV4-signed path-style GET.
pub fn signed_get(
    t: &Target,
    bucket: &str,
    key: &str,
    at: SystemTime,
) -> (String, Vec<(String, String)>) {
    let path = format!("/{}/{}", percent::unreserved(bucket), percent::path(key));
    let payload = "UNSIGNED-PAYLOAD";
    let headers = vec![("x-amz-content-sha256".to_string(), payload.to_string())];
    let headers = signed_headers(t, "s3", "GET", &path, headers, payload, at);
    (format!("{}{path}", t.endpoint), headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::sigv4::tests::example_target;
    use std::time::UNIX_EPOCH;

    #[test]
    fn a_signed_get_is_path_style_with_the_documented_scope_and_headers() {
        // The signature itself is checked against AWS's vector below; this
        // checks what signed_get adds around it: the path-style URL, key
        // encoding, credential scope and signed header list.
        let t = example_target();
        let at = UNIX_EPOCH + std::time::Duration::from_hours(380376); // 2013-05-24
        let (url, headers) = signed_get(&t, "b", "dir/a file.json", at);
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/b/dir/a%20file.json"
        );
        let auth = &headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
        assert_eq!(auth.rsplit('=').next().unwrap().len(), 64);
    }
}
