//! A permissions document that changes while the function runs: from S3
//! (a real S3 API, moto_server) and from an https-style URL (a loopback
//! server with ETags). Replaced, broken and deleted documents; the memos
//! follow the swap; `If-None-Match` keeps an unchanged document's
//! compiled table (and its policy memo); past the maximum staleness
//! requests fail as configured.

mod support;

use scopegate::config::{Config, Strings};
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use std::time::Duration;
use support::doc_server::DocServer;
use support::moto::{aws_settings, delete, put, start_moto};
use support::tools::{self, MOTO};
use support::{ARN, AUDIENCE, ISSUER, Keys, token_event};

/// A document granting `scope` GET on each of `resources`.
fn document(scope: &str, resources: &[&str]) -> String {
    let rules: Vec<String> = resources
        .iter()
        .map(|r| {
            format!(
                r#"{{"arn":"{ARN}","resource":"{r}","stage":"prod","httpVerb":"GET","scope":"{scope}"}}"#
            )
        })
        .collect();
    format!("[{}]", rules.join(","))
}

/// Rule 1 lacks its `stage`.
const BROKEN: &str = r#"[{"arn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234","resource":"a","stage":"prod","httpVerb":"GET","scope":"s"},{"arn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234","resource":"b","httpVerb":"GET","scope":"s"}]"#;

fn authorizer(keys: &Keys, permissions: &str, extra: &[(&str, String)]) -> Authorizer {
    let mut settings: HashMap<String, String> = support::settings(keys, &[]);
    settings.insert("SCOPEGATE_PERMISSIONS".into(), permissions.into());
    settings.insert("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS".into(), "60".into());
    settings.insert(
        "SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS".into(),
        "600".into(),
    );
    for (k, v) in extra {
        settings.insert((*k).into(), v.clone());
    }
    let config = Config::from_strings(&settings as &dyn Strings).expect("config");
    Authorizer::from_config(&config).expect("authorizer")
}

fn token(keys: &Keys) -> String {
    let now = scopegate::clock::now();
    keys.rs256
        .sign(&format!(
            r#"{{"iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{},"iat":{},"scp":["orders.read"]}}"#,
            (now + 7200.0).floor(),
            (now - 10.0).floor()
        ))
        .unwrap()
}

/// The decision, the granted resource paths (after `/prod/GET/`) and whether the memo answered.
fn decide(a: &Authorizer, token: &str, at: f64) -> Result<(Decision, Vec<String>, bool), Reject> {
    let r = a.handle(&token_event(token), at)?;
    let (_, resources) = scopegate::replay::decision_of(&r.body()).unwrap();
    let paths = resources
        .iter()
        .filter_map(|r| r.split("/prod/GET/").nth(1).map(str::to_string))
        .collect();
    Ok((r.decision, paths, r.memo_hit))
}

/// Waits (bounded) until the document in force is no longer `generation`.
fn wait_for_swap(a: &Authorizer, generation: u64) {
    for _ in 0..600 {
        if a.permissions().generation != generation {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the background refresh never swapped the document");
}

#[test]
fn an_s3_document_replaced_broken_deleted_and_restored() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let (_moto, port) = start_moto();
    let (bucket, key) = ("config-bucket", "scopegate/permissions.json");
    put(port, bucket, key, &document("orders.read", &["orders"]));
    let keys = Keys::load();
    let a = authorizer(&keys, &format!("s3://{bucket}/{key}"), &aws_settings(port));
    let t0 = scopegate::clock::now();
    let tok = token(&keys);
    let orders = vec!["orders".to_string()];
    assert_eq!(
        decide(&a, &tok, t0),
        Ok((Decision::Allow, orders.clone(), false))
    );
    assert_eq!(
        decide(&a, &tok, t0 + 1.0),
        Ok((Decision::Allow, orders.clone(), true))
    );

    // Replaced: past the max age a request starts the refresh in the
    // background and is answered from the document in force…
    put(port, bucket, key, &document("orders.read", &["reports"]));
    let first = a.permissions().generation;
    assert_eq!(
        decide(&a, &tok, t0 + 61.0),
        Ok((Decision::Allow, orders.clone(), true))
    );
    wait_for_swap(&a, first);
    // …and once swapped, no answer comes from the old one (the memo entry
    // rendered from it does not answer).
    let reports = vec!["reports".to_string()];
    let t1 = t0 + 62.0;
    assert_eq!(
        decide(&a, &tok, t1),
        Ok((Decision::Allow, reports.clone(), false))
    );

    // Unchanged: If-None-Match → 304, the compiled document (and the memo) stay.
    let second = a.permissions().generation;
    a.grants().refresh_now(t1 + 61.0);
    assert_eq!(a.permissions().generation, second, "304 kept the document");
    assert_eq!(
        decide(&a, &tok, t1 + 61.0),
        Ok((Decision::Allow, reports.clone(), true))
    );

    // Broken: the last good document stays in force.
    put(port, bucket, key, BROKEN);
    a.grants().refresh_now(t1 + 130.0);
    assert_eq!(
        a.permissions().generation,
        second,
        "an invalid document is not swapped in"
    );
    assert_eq!(
        decide(&a, &tok, t1 + 130.0),
        Ok((Decision::Allow, reports.clone(), true))
    );

    // Deleted: stale-if-error, up to the maximum staleness since the last
    // good fetch (t1 + 61, the 304)…
    delete(port, bucket, key);
    a.grants().refresh_now(t1 + 200.0);
    assert_eq!(
        decide(&a, &tok, t1 + 200.0),
        Ok((Decision::Allow, reports.clone(), true))
    );
    a.grants().refresh_now(t1 + 661.0 - 1.0);
    assert!(decide(&a, &tok, t1 + 661.0 - 1.0).is_ok());
    // …then requests fail closed (the default), memo hits included.
    a.grants().refresh_now(t1 + 662.0);
    assert_eq!(
        decide(&a, &tok, t1 + 662.0),
        Err(Reject::PermissionsUnavailable)
    );

    // Restored: the next refresh brings requests back.
    put(
        port,
        bucket,
        key,
        &document("orders.read", &["orders", "reports"]),
    );
    a.grants().refresh_now(t1 + 700.0);
    assert_eq!(
        decide(&a, &tok, t1 + 700.0),
        Ok((
            Decision::Allow,
            vec!["orders".into(), "reports".into()],
            false
        ))
    );
}

#[test]
fn a_url_document_sends_if_none_match_and_can_fail_to_deny() {
    let server = DocServer::start();
    server.set(
        "/permissions.json",
        &document("orders.read", &["orders"]),
        Some("\"v1\""),
    );
    let keys = Keys::load();
    let a = authorizer(
        &keys,
        &server.url("/permissions.json"),
        &[("SCOPEGATE_PERMISSIONS_WHEN_STALE", "deny".into())],
    );
    let t0 = scopegate::clock::now();
    let tok = token(&keys);
    assert_eq!(decide(&a, &tok, t0).unwrap().0, Decision::Allow);
    let generation = a.permissions().generation;
    a.grants().refresh_now(t0 + 61.0);
    assert_eq!(
        server.not_modified(),
        1,
        "the refresh sent If-None-Match: \"v1\""
    );
    assert_eq!(a.permissions().generation, generation);

    // A new version under a new ETag is swapped in.
    server.set(
        "/permissions.json",
        &document("orders.read", &["reports"]),
        Some("\"v2\""),
    );
    a.grants().refresh_now(t0 + 122.0);
    assert_eq!(decide(&a, &tok, t0 + 122.0).unwrap().1, ["reports"]);

    // The server fails from now on; past the maximum staleness every valid
    // token gets the deny-all policy (configured), an invalid one still 401.
    server.set_status("/permissions.json", 503, "down", None);
    a.grants().refresh_now(t0 + 723.0);
    let (decision, resources, _) = decide(&a, &tok, t0 + 723.0).unwrap();
    assert_eq!((decision, resources.len()), (Decision::Deny, 0));
    assert_eq!(
        decide(&a, "not.a.token", t0 + 723.0).unwrap_err(),
        Reject::BadBase64
    );
    assert_eq!(server.requests("/permissions.json"), 4);
}

#[test]
fn a_remote_document_that_is_invalid_at_start_names_the_rule_and_field() {
    let server = DocServer::start();
    server.set("/p.json", BROKEN, None);
    let keys = Keys::load();
    let mut settings: HashMap<String, String> = support::settings(&keys, &[]);
    settings.insert("SCOPEGATE_PERMISSIONS".into(), server.url("/p.json"));
    let config = Config::from_strings(&settings as &dyn Strings).unwrap();
    let err = Authorizer::from_config(&config).err().unwrap().to_string();
    assert!(
        err.contains("SCOPEGATE_PERMISSIONS") && err.contains("rule 1") && err.contains("stage"),
        "{err}"
    );
    settings.insert(
        "SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS".into(),
        "10".into(),
    );
    let err = Config::from_strings(&settings as &dyn Strings)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS"),
        "{err}"
    );
}
