//! A real S3 API on loopback: moto_server (from scripts/test.sh), started
//! per test and stopped with it, and objects written with boto3 from
//! moto's own virtualenv.

use super::tool;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub(crate) struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto() -> PathBuf {
    PathBuf::from(tool("SCOPEGATE_TEST_MOTO_SERVER"))
}

/// moto_server on a port it chooses itself (`-p 0`), read from the line it
/// prints once it listens: a port chosen here could be taken by another
/// test's server first, and then this test would talk to that one.
pub(crate) fn start_moto() -> (Killed, u16) {
    let mut child = Command::new(moto())
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("moto_server");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let child = Killed(child);
    let mut printed = String::new();
    let port = loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).unwrap_or(0);
        assert!(
            read > 0,
            "moto_server stopped before it listened:\n{printed}"
        );
        if let Some(port) = line
            .split_once("Running on http://127.0.0.1:")
            .and_then(|(_, rest)| rest.trim().parse().ok())
        {
            break port;
        }
        printed.push_str(&line);
    };
    // It logs every request there: keep reading, or it blocks once the pipe is full.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, port)
}

/// Runs `statement` with `s3` a boto3 client for moto on `port`, and the
/// rest of `args` as `sys.argv[2:]` (moto's own venv has boto3).
fn boto3(port: u16, statement: &str, args: &[&str]) {
    let script = format!(
        "import boto3, sys; s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test'); {statement}"
    );
    let out = Command::new(moto().with_file_name("python"))
        .args(["-c", &script, &format!("http://127.0.0.1:{port}")])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Puts `body` at s3://bucket/key (creating the bucket).
pub(crate) fn put(port: u16, bucket: &str, key: &str, body: &str) {
    boto3(
        port,
        "s3.create_bucket(Bucket=sys.argv[2]); s3.put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=sys.argv[4].encode())",
        &[bucket, key, body],
    );
}

/// Deletes s3://bucket/key.
pub(crate) fn delete(port: u16, bucket: &str, key: &str) {
    boto3(
        port,
        "s3.delete_object(Bucket=sys.argv[2], Key=sys.argv[3])",
        &[bucket, key],
    );
}

/// The settings that point an authorizer's S3 reads at moto on `port`.
pub(crate) fn aws_settings(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_S3", format!("http://127.0.0.1:{port}")),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_SESSION_TOKEN", "session-token-as-lambda-has".into()),
    ]
}

/// Runs `statement` with `ddb` a boto3 DynamoDB client for moto on `port`,
/// `json` imported, the rest of `args` as `sys.argv[2:]` and `input` on stdin.
pub(crate) fn dynamodb_with(port: u16, statement: &str, args: &[&str], input: &str) {
    let script = format!(
        "import boto3, json, sys; ddb = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test'); {statement}"
    );
    let out = super::output_with_stdin(
        Command::new(moto().with_file_name("python"))
            .args(["-c", &script, &format!("http://127.0.0.1:{port}")])
            .args(args),
        input.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// [`dynamodb_with`] with nothing on stdin.
pub(crate) fn dynamodb(port: u16, statement: &str, args: &[&str]) {
    dynamodb_with(port, statement, args, "");
}

/// Creates the permissions table `table` (partition key `scope`).
pub(crate) fn create_table(port: u16, table: &str) {
    dynamodb(
        port,
        "ddb.create_table(TableName=sys.argv[2], KeySchema=[{'AttributeName': 'scope', 'KeyType': 'HASH'}], AttributeDefinitions=[{'AttributeName': 'scope', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')",
        &[table],
    );
}

/// Writes `items` (a JSON array of items in DynamoDB's JSON) to `table`, 25 per batch.
pub(crate) fn put_items(port: u16, table: &str, items: &str) {
    dynamodb_with(
        port,
        "items = json.load(sys.stdin); [ddb.batch_write_item(RequestItems={sys.argv[2]: [{'PutRequest': {'Item': i}} for i in items[n:n + 25]]}) for n in range(0, len(items), 25)]",
        &[table],
        items,
    );
}
