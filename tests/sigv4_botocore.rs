//! SigV4 against botocore's own signers (from moto's virtualenv): S3 GETs
//! (S3SigV4Auth) over awkward object keys — spaces, unicode, `+`, `~`,
//! `//`, reserved characters — and DynamoDB Scan POSTs (SigV4Auth). For each key, the URL and the Authorization header scopegate
//! computes at botocore's timestamp must be byte for byte botocore's.

mod support;

use scopegate::net::dynamodb::signed_scan;
use scopegate::net::s3::{Target, signed_get};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};
use support::tools::{self, MOTO};

const KEYS: &[(&str, &str)] = &[
    ("config-bucket", "scopegate/permissions.json"),
    ("config-bucket", "with space/and  two.json"),
    ("config-bucket", "unicode/ü/日本語/é.json"),
    ("config-bucket", "plus+sign and ~tilde"),
    ("config-bucket", "double//slash///x"),
    ("config-bucket", "/leading-slash"),
    ("config-bucket", "reserved!*'();:@&=$,?#[]%.json"),
    ("config-bucket", "trailing/"),
    ("my.dotted-bucket_1", "-_.~ unreserved"),
];

/// `YYYYMMDDTHHMMSSZ` → Unix seconds (days from civil, proleptic Gregorian).
fn unix_from_amz_date(s: &str) -> u64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (mut y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    if m <= 2 {
        y -= 1;
    }
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + n(9, 11) * 3600 + n(11, 13) * 60 + n(13, 15)) as u64
}

/// botocore's answer for each request of `input` (JSON lines the helper
/// reads), signed with `target`'s credentials.
fn botocore(target: &Target, input: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let python = std::path::PathBuf::from(support::tool("SCOPEGATE_TEST_MOTO_SERVER"))
        .with_file_name("python");
    let lines: String = input.iter().map(|v| format!("{v}\n")).collect();
    let out = support::output_with_stdin(
        Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/sigv4_botocore.py"
            ))
            .args([
                target.endpoint.as_str(),
                target.region.as_str(),
                target.access_key.as_str(),
                target.secret_key.as_str(),
                target.session_token.as_deref().unwrap_or(""),
            ]),
        lines.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn our_signatures_are_botocores_over_awkward_keys() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let target = Target {
        endpoint: "https://s3.eu-west-3.amazonaws.com".into(),
        region: "eu-west-3".into(),
        access_key: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        session_token: Some("IQoJb3JpZ2luX2VjEXAMPLE//token+with=chars".into()),
    };
    let input: Vec<serde_json::Value> = KEYS
        .iter()
        .map(|(bucket, key)| serde_json::json!({"bucket": bucket, "key": key}))
        .collect();
    let answers = botocore(&target, &input);
    assert_eq!(answers.len(), KEYS.len());
    for ((bucket, key), theirs) in KEYS.iter().zip(&answers) {
        let date = theirs["date"].as_str().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(unix_from_amz_date(date));
        let (url, headers) = signed_get(&target, bucket, key, at);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("x-amz-date"), date, "{key}");
        assert_eq!(url, theirs["url"].as_str().unwrap(), "URL of {key}");
        assert_eq!(
            header("x-amz-content-sha256"),
            theirs["content_sha256"].as_str().unwrap()
        );
        assert_eq!(
            header("authorization"),
            theirs["authorization"].as_str().unwrap(),
            "signature of {bucket}/{key}"
        );
    }
}

/// The DynamoDB Scan (issue 23): a JSON POST signed for `dynamodb`, its
/// body hashed into the signature, as botocore's SigV4Auth signs it.
#[test]
fn our_dynamodb_scan_signature_is_botocores() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let target = Target {
        endpoint: "https://dynamodb.eu-west-3.amazonaws.com".into(),
        region: "eu-west-3".into(),
        access_key: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        session_token: Some("IQoJb3JpZ2luX2VjEXAMPLE//token+with=chars".into()),
    };
    let bodies = [
        r#"{"ConsistentRead":true,"Limit":1000,"TableName":"scopegate-permissions"}"#,
        r#"{"ConsistentRead":true,"ExclusiveStartKey":{"scope":{"S":"orders.read ü"}},"Limit":1000,"TableName":"t"}"#,
    ];
    let input: Vec<serde_json::Value> = bodies
        .iter()
        .map(|b| serde_json::json!({"dynamodb_body": b}))
        .collect();
    let answers = botocore(&target, &input);
    assert_eq!(answers.len(), bodies.len());
    for (body, theirs) in bodies.iter().zip(&answers) {
        let date = theirs["date"].as_str().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(unix_from_amz_date(date));
        let (url, headers) = signed_scan(&target, body, at);
        let authorization = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        assert_eq!(url, theirs["url"].as_str().unwrap());
        assert_eq!(
            authorization,
            theirs["authorization"].as_str().unwrap(),
            "{body}"
        );
    }
}
