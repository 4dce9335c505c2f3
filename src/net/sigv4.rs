//! AWS Signature Version 4, for the two AWS APIs scopegate reads without
//! an SDK: S3 GetObject ([`super::s3`]) and DynamoDB Scan
//! ([`super::dynamodb`]). Checked against AWS's documented vector here and
//! against botocore's own signer in `tests/sigv4_botocore.rs`.

use aws_lc_rs::{digest, hmac};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Credentials and where to send the request.
#[derive(Debug, Clone)]
pub struct Target {
    /// The service's endpoint (`https://s3.{region}.amazonaws.com`,
    /// `https://dynamodb.{region}.amazonaws.com`), or an override.
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: String,
    /// `AWS_SESSION_TOKEN` (Lambda's role credentials have one).
    pub session_token: Option<String>,
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time (civil-from-days, proleptic Gregorian).
pub fn amz_date(unix: u64) -> String {
    let (year, month, day) = crate::clock::civil_from_days((unix / 86_400) as i64);
    let secs = unix % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One request to sign: what the canonical request is made of. Header
/// names are lower case; they are sorted here.
pub struct Request<'a> {
    /// The service signed for: `s3`, `dynamodb`.
    pub service: &'a str,
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The URI-encoded path.
    pub path: &'a str,
    /// The canonical query string (empty for none).
    pub query: &'a str,
    /// Every header to sign, names in lower case.
    pub headers: &'a [(String, String)],
    /// `x-amz-content-sha256`: the payload's hex SHA-256, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub date_time: &'a str,
}

/// The signed header list and the signature of `request` for `t`'s
/// secret and region (AWS Signature Version 4).
pub fn signature(t: &Target, request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<&(String, String)> = request.headers.iter().collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let signed = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers = headers.iter().fold(String::new(), |mut out, (k, v)| {
        let _ = writeln!(out, "{k}:{}", v.trim());
        out
    });
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed}\n{}",
        request.method, request.path, request.query, request.payload_hash
    );
    let date = &request.date_time[..8.min(request.date_time.len())];
    let scope = format!("{date}/{}/{}/aws4_request", t.region, request.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        request.date_time,
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mut k = hmac_sha256(format!("AWS4{}", t.secret_key).as_bytes(), date);
    for part in [t.region.as_str(), request.service, "aws4_request"] {
        k = hmac_sha256(&k, part);
    }
    (signed, hex(&hmac_sha256(&k, &to_sign)))
}

/// The headers to send with a request to `t.endpoint` + `path`: `headers`
/// (lower-case names) and `x-amz-date`, the session token when there is
/// one, and the `authorization` SigV4 computes over all of them and the
/// host (which ureq then sets itself from the URL).
pub fn signed_headers(
    t: &Target,
    service: &str,
    method: &str,
    path: &str,
    mut headers: Vec<(String, String)>,
    payload_hash: &str,
    at: SystemTime,
) -> Vec<(String, String)> {
    let unix = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let date_time = amz_date(unix);
    let host = t
        .endpoint
        .split("://")
        .nth(1)
        .unwrap_or(&t.endpoint)
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    headers.push(("host".to_string(), host));
    headers.push(("x-amz-date".to_string(), date_time.clone()));
    if let Some(token) = &t.session_token {
        headers.push(("x-amz-security-token".to_string(), token.clone()));
    }
    let (signed, signature) = signature(
        t,
        &Request {
            service,
            method,
            path,
            query: "",
            headers: &headers,
            payload_hash,
            date_time: &date_time,
        },
    );
    let scope = format!("{}/{}/{service}/aws4_request", &date_time[..8], t.region);
    headers.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            t.access_key
        ),
    ));
    headers.retain(|(k, _)| k != "host");
    headers
}

/// The hex SHA-256 of a payload (`x-amz-content-sha256`, or the canonical
/// request's last line).
pub fn payload_hash(payload: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, payload).as_ref())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_795_478_400), "20261124T000000Z");
        assert_eq!(amz_date(951_782_400 + 3661), "20000229T010101Z");
    }

    /// The credentials and bucket of AWS's documented SigV4 examples.
    pub(crate) fn example_target() -> Target {
        Target {
            endpoint: "https://examplebucket.s3.amazonaws.com".into(),
            region: "us-east-1".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    #[test]
    fn the_documented_get_object_vector_gives_the_documented_signature() {
        // AWS, "Signature Calculations for the Authorization Header", Example:
        // GET Object (examplebucket, test.txt, Range: bytes=0-9, 2013-05-24).
        let t = example_target();
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers = [
            ("x-amz-date".to_string(), "20130524T000000Z".to_string()),
            ("range".to_string(), "bytes=0-9".to_string()),
            (
                "host".to_string(),
                "examplebucket.s3.amazonaws.com".to_string(),
            ),
            ("x-amz-content-sha256".to_string(), empty.to_string()),
        ];
        let (signed, sig) = signature(
            &t,
            &Request {
                service: "s3",
                method: "GET",
                path: "/test.txt",
                query: "",
                headers: &headers,
                payload_hash: empty,
                date_time: "20130524T000000Z",
            },
        );
        assert_eq!(signed, "host;range;x-amz-content-sha256;x-amz-date");
        assert_eq!(
            sig,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }
}
