//! Permissions in a DynamoDB table, an item per scope (issue 23 §1), read
//! from a real DynamoDB API (moto_server) with SigV4: a table created,
//! changed, broken by an invalid item (the last good document stays),
//! unreachable (stale-if-error, then fail closed), and larger than one
//! Scan page.

mod support;

use scopegate::config::{Config, Strings};
use scopegate::{Authorizer, Decision, Reject};
use std::collections::HashMap;
use support::moto::{aws_settings, create_table, dynamodb, put_items, start_moto};
use support::tools::{self, MOTO};
use support::{ARN, AUDIENCE, ISSUER, Keys, token_event};

const TABLE: &str = "scopegate-permissions";

/// The item granting `scope` GET on each of `resources`.
fn item(scope: &str, resources: &[&str]) -> String {
    let rules: Vec<String> = resources
        .iter()
        .map(|r| {
            format!(
                r#"{{"M":{{"arn":{{"S":"{ARN}"}},"stage":{{"S":"prod"}},"httpVerb":{{"S":"GET"}},"resource":{{"S":"{r}"}}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"scope":{{"S":"{scope}"}},"rules":{{"L":[{}]}}}}"#,
        rules.join(",")
    )
}

fn authorizer(keys: &Keys, port: u16) -> Result<Authorizer, String> {
    let mut settings: HashMap<String, String> = support::settings(keys, &[]);
    settings.insert(
        "SCOPEGATE_PERMISSIONS".into(),
        format!("dynamodb://{TABLE}"),
    );
    settings.insert("SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS".into(), "60".into());
    settings.insert(
        "SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS".into(),
        "600".into(),
    );
    settings.insert("SCOPEGATE_HTTP_TIMEOUT_MS".into(), "2000".into());
    for (k, v) in aws_settings(port) {
        settings.insert(k.into(), v);
    }
    settings.insert(
        "AWS_ENDPOINT_URL_DYNAMODB".into(),
        format!("http://127.0.0.1:{port}"),
    );
    let config = Config::from_strings(&settings as &dyn Strings).expect("config");
    Authorizer::from_config(&config).map_err(|e| e.to_string())
}

fn token(keys: &Keys, scopes: &str) -> String {
    let now = scopegate::clock::now();
    keys.rs256
        .sign(&format!(
            r#"{{"iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{},"iat":{},"scp":{scopes}}}"#,
            (now + 7200.0).floor(),
            (now - 10.0).floor()
        ))
        .unwrap()
}

/// The decision and the granted resource paths (after `/prod/GET/`).
fn decide(a: &Authorizer, token: &str, at: f64) -> Result<(Decision, Vec<String>), Reject> {
    let r = a.handle(&token_event(token), at)?;
    let (_, resources) = scopegate::replay::decision_of(&r.body()).unwrap();
    let mut paths: Vec<String> = resources
        .iter()
        .filter_map(|r| r.split("/prod/GET/").nth(1).map(str::to_string))
        .collect();
    paths.sort();
    Ok((r.decision, paths))
}

fn paths(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn a_table_created_changed_broken_and_unreachable() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let (moto, port) = start_moto();
    let keys = Keys::load();
    // No table yet: the start fails, naming it.
    let err = authorizer(&keys, port).err().unwrap();
    assert!(err.contains("SCOPEGATE_PERMISSIONS"), "{err}");
    assert!(err.contains("no such table"), "{err}");

    create_table(port, TABLE);
    put_items(
        port,
        TABLE,
        &format!(
            "[{},{}]",
            item("orders.read", &["orders", "orders/*"]),
            item("reports.read", &["reports"])
        ),
    );
    let a = authorizer(&keys, port).unwrap();
    let t0 = scopegate::clock::now();
    let reader = token(&keys, r#"["orders.read"]"#);
    assert_eq!(
        decide(&a, &reader, t0),
        Ok((Decision::Allow, paths(&["orders", "orders/*"])))
    );

    // Changed: one item rewritten; the refresh swaps the document.
    put_items(
        port,
        TABLE,
        &format!("[{}]", item("orders.read", &["orders"])),
    );
    let first = a.permissions().generation;
    a.grants().refresh_now(t0 + 61.0);
    assert_ne!(a.permissions().generation, first);
    assert_eq!(
        decide(&a, &reader, t0 + 61.0),
        Ok((Decision::Allow, paths(&["orders"])))
    );
    // Unchanged: the items' digest stands for an ETag, nothing recompiled.
    let second = a.permissions().generation;
    a.grants().refresh_now(t0 + 122.0);
    assert_eq!(a.permissions().generation, second);

    // Broken: an item whose rule has an unknown verb keeps the last good document.
    put_items(
        port,
        TABLE,
        &format!(
            r#"[{{"scope":{{"S":"admin"}},"rules":{{"L":[{{"M":{{"arn":{{"S":"{ARN}"}},"stage":{{"S":"prod"}},"httpVerb":{{"S":"FETCH"}},"resource":{{"S":"x"}}}}}}]}}}}]"#
        ),
    );
    a.grants().refresh_now(t0 + 183.0);
    assert_eq!(a.permissions().generation, second);
    assert_eq!(
        decide(&a, &reader, t0 + 183.0),
        Ok((Decision::Allow, paths(&["orders"])))
    );
    dynamodb(
        port,
        "ddb.delete_item(TableName=sys.argv[2], Key={'scope': {'S': 'admin'}})",
        &[TABLE],
    );

    // Unreachable: served stale until the maximum staleness, then refused.
    drop(moto);
    a.grants().refresh_now(t0 + 500.0);
    assert_eq!(
        decide(&a, &reader, t0 + 500.0),
        Ok((Decision::Allow, paths(&["orders"])))
    );
    // (The last good read was the unchanged one at t0 + 122.)
    a.grants().refresh_now(t0 + 800.0);
    assert_eq!(
        decide(&a, &reader, t0 + 800.0),
        Err(Reject::PermissionsUnavailable)
    );
}

#[test]
fn a_table_larger_than_one_scan_page_is_read_whole() {
    if !tools::have(&[MOTO]) {
        return;
    }
    let (_moto, port) = start_moto();
    create_table(port, TABLE);
    let scopes = scopegate::net::dynamodb::PAGE_ITEMS + 37;
    let items: Vec<String> = (0..scopes)
        .map(|i| item(&format!("scope.{i:05}"), &[&format!("things/{i}")]))
        .collect();
    put_items(port, TABLE, &format!("[{}]", items.join(",")));
    let keys = Keys::load();
    let a = authorizer(&keys, port).unwrap();
    let now = scopegate::clock::now();
    // Every scope is granted, whichever page its item came on.
    for i in [0, scopes / 2, scopes - 1] {
        let tok = token(&keys, &format!(r#"["scope.{i:05}"]"#));
        assert_eq!(
            decide(&a, &tok, now),
            Ok((Decision::Allow, vec![format!("things/{i}")])),
            "scope {i}"
        );
    }
    assert_eq!(a.permissions().table.scope_count(), scopes);
}
