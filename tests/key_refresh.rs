//! A remote key set over an environment's life, against a loopback JWKS
//! server the test controls: a request with a usable cached set never waits
//! behind a refresh in flight, and a key the IdP removes stops answering at
//! once — memoised tokens it signed included.

mod support;

use scopegate::testkit::mint::{self, SigningKey};
use scopegate::{Authorizer, Decision, Reject};
use support::doc_server::DocServer;
use support::{AUDIENCE, ISSUER, Keys, authorizer_with, token_event};

/// A token of `key` valid two hours from the real clock (the key cache's
/// first fetch runs on the real clock).
fn token(key: &SigningKey, sub: &str) -> String {
    let now = scopegate::clock::now();
    key.sign(&format!(
        r#"{{"iss":"{ISSUER}","sub":"{sub}","aud":"{AUDIENCE}","exp":{},"iat":{},"scp":["orders.read"]}}"#,
        (now + 7200.0).floor(),
        (now - 10.0).floor()
    ))
    .unwrap()
}

fn authorizer(keys: &Keys, jwks_url: &str) -> Authorizer {
    authorizer_with(
        keys,
        &[
            ("SCOPEGATE_JWKS", jwks_url),
            ("SCOPEGATE_JWKS_COOLDOWN_SECONDS", "10"),
            ("SCOPEGATE_JWKS_MAX_AGE_SECONDS", "60"),
            ("SCOPEGATE_JWKS_MAX_STALE_SECONDS", "3600"),
            ("SCOPEGATE_HTTP_TIMEOUT_MS", "20000"),
        ],
    )
}

fn decide(a: &Authorizer, token: &str, at: f64) -> Result<(Decision, bool), Reject> {
    a.handle(&token_event(token), at)
        .map(|r| (r.decision, r.memo_hit))
}

#[test]
fn a_request_with_a_cached_set_does_not_wait_for_a_refresh_in_flight() {
    let keys = Keys::load();
    let server = DocServer::start();
    server.set("/jwks", &mint::jwks([&keys.rs256]), None);
    let a = authorizer(&keys, &server.url("/jwks"));
    let t0 = scopegate::clock::now();
    let signed = token(&keys.rs256, "u1");
    assert_eq!(decide(&a, &signed, t0).unwrap().0, Decision::Allow);

    // The IdP adds a key; the next refresh will be held at the server.
    server.set("/jwks", &mint::jwks([&keys.rs256, &keys.rs256_b]), None);
    let held = server.hold_next();
    // Past the max age: this request starts the background refresh…
    a.clear_memos();
    assert_eq!(decide(&a, &signed, t0 + 61.0).unwrap().0, Decision::Allow);
    held.wait_until_in_flight();
    // …and while that fetch is provably in flight, requests still verify
    // with the cached set (a reader that waited would block here until the
    // fetch timed out, and the refresh below would then have failed).
    for i in 0..3 {
        a.clear_memos();
        assert_eq!(
            decide(&a, &signed, t0 + 62.0 + f64::from(i)).unwrap().0,
            Decision::Allow
        );
    }
    held.release();
    let mut refreshed = false;
    for _ in 0..600 {
        if a.keys().is_some_and(|set| set.keys().len() == 2) {
            refreshed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(refreshed, "the held refresh completed and was swapped in");
    assert_eq!(server.requests("/jwks"), 2);
    let rotated = token(&keys.rs256_b, "u2");
    assert_eq!(decide(&a, &rotated, t0 + 70.0).unwrap().0, Decision::Allow);
}

#[test]
fn a_key_the_idp_removes_stops_answering_even_from_the_memo() {
    let keys = Keys::load();
    let server = DocServer::start();
    server.set("/jwks", &mint::jwks([&keys.rs256, &keys.rs256_b]), None);
    let a = authorizer(&keys, &server.url("/jwks"));
    let t0 = scopegate::clock::now();
    let compromised = token(&keys.rs256, "u1");
    let kept = token(&keys.rs256_b, "u2");
    assert_eq!(decide(&a, &compromised, t0), Ok((Decision::Allow, false)));
    assert_eq!(decide(&a, &kept, t0), Ok((Decision::Allow, false)));
    assert_eq!(
        decide(&a, &compromised, t0 + 1.0),
        Ok((Decision::Allow, true))
    );

    // The IdP drops the compromised key; a token naming a new kid makes the
    // cache refresh (past the cooldown).
    server.set("/jwks", &mint::jwks([&keys.rs256_b]), None);
    let unknown = token(&keys.es256, "u3");
    assert_eq!(decide(&a, &unknown, t0 + 20.0), Err(Reject::UnknownKid));
    assert_eq!(
        server.requests("/jwks"),
        2,
        "the unknown kid refreshed the set"
    );

    // The memoised answer of the removed key is gone at once, well before
    // its exp or the memo's maximum age…
    assert_eq!(decide(&a, &compromised, t0 + 21.0), Err(Reject::UnknownKid));
    // …while the key the IdP kept keeps its memo entry.
    assert_eq!(decide(&a, &kept, t0 + 21.0), Ok((Decision::Allow, true)));
}

/// Issue 22 §4: past `SCOPEGATE_JWKS_MAX_STALE_SECONDS` with every refresh
/// failing, a new token gets `keys_unavailable`; a memoised one used to be
/// allowed on for up to the memo's maximum age. The memo entry now ends
/// with its key set's staleness.
#[test]
fn a_memoised_answer_ends_with_its_key_sets_staleness() {
    let keys = Keys::load();
    let server = DocServer::start();
    server.set("/jwks", &mint::jwks([&keys.rs256]), None);
    let a = authorizer_with(
        &keys,
        &[
            ("SCOPEGATE_JWKS", &server.url("/jwks")),
            ("SCOPEGATE_JWKS_COOLDOWN_SECONDS", "1"),
            ("SCOPEGATE_JWKS_MAX_AGE_SECONDS", "60"),
            ("SCOPEGATE_JWKS_MAX_STALE_SECONDS", "300"),
            ("SCOPEGATE_HTTP_TIMEOUT_MS", "2000"),
        ],
    );
    let t0 = scopegate::clock::now();
    let memoised = token(&keys.rs256, "u1");
    let fresh = token(&keys.rs256, "u2");
    assert_eq!(decide(&a, &memoised, t0), Ok((Decision::Allow, false)));
    assert_eq!(decide(&a, &memoised, t0 + 1.0), Ok((Decision::Allow, true)));
    // The IdP's JWKS endpoint fails from now on.
    server.set_status("/jwks", 503, "unavailable", None);
    // Within the staleness, both still pass (the memo answers the first).
    assert_eq!(
        decide(&a, &memoised, t0 + 200.0),
        Ok((Decision::Allow, true))
    );
    // Past it: a new token is refused, and so is the memoised one.
    assert_eq!(decide(&a, &fresh, t0 + 400.0), Err(Reject::KeysUnavailable));
    assert_eq!(
        decide(&a, &memoised, t0 + 401.0),
        Err(Reject::KeysUnavailable)
    );
}
