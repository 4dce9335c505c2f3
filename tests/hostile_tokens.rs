//! The hostile-token suite: every rule of contract §3, several variants
//! each, through the same `Authorizer::handle` the Lambda calls. Each case
//! asserts the exact reason code, so a token refused for the wrong reason
//! (say, a bad signature that is really an alg-confusion hole) fails too.

mod support;

use scopegate::Outcome;
use scopegate::codec::b64;
use scopegate::explain::explain;
use scopegate::jose::Alg;
use scopegate::{Decision, Reject};
use support::*;

fn expect(auth: &scopegate::Authorizer, token: &str, reason: Reject) {
    match decide(auth, token) {
        Err(r) => assert_eq!(r, reason, "token {token}"),
        Ok(resp) => panic!("expected {reason:?}, got {:?} for {token}", resp.decision),
    }
    // `scopegate explain` walks the verifier's own checks: it must stop
    // where the handler does, for the same reason.
    let explained = explain(auth, token, NOW);
    assert_eq!(
        explained.verdict,
        Outcome::Unauthorized(reason),
        "{}",
        explained.report
    );
    assert_eq!(explained.handler, explained.verdict, "{}", explained.report);
}

fn expect_identity(auth: &scopegate::Authorizer, identity: &str, reason: Reject) {
    let got = auth
        .handle(&raw_token_event(identity), NOW)
        .map(|r| r.decision);
    assert_eq!(got, Err(reason), "identity {identity:?}");
    // explain trims what it is given; it must still agree with the handler on that.
    let explained = explain(auth, identity, NOW);
    assert_eq!(explained.handler, explained.verdict, "{}", explained.report);
}

#[test]
fn valid_tokens_of_every_algorithm_are_allowed() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    for key in keys.trusted() {
        let token = key.sign(&payload("")).unwrap();
        let resp = decide(&auth, &token).unwrap_or_else(|r| panic!("{}: {r:?}", key.alg.name()));
        assert_eq!(resp.decision, Decision::Allow, "{}", key.alg.name());
    }
}

#[test]
fn python_made_pss_with_hash_length_salt_is_allowed_and_other_salts_fail() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let read = |n: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/tokens/{n}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    assert_eq!(
        decide(&auth, read("pss-salt-32.jwt").trim())
            .unwrap()
            .decision,
        Decision::Allow
    );
    expect(&auth, read("pss-salt-0.jwt").trim(), Reject::BadSignature);
    expect(&auth, read("pss-salt-64.jwt").trim(), Reject::BadSignature);
}

#[test]
fn header_scheme_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let t = keys.rs256.sign(&payload("")).unwrap();
    for ok in [
        format!("Bearer {t}"),
        format!("bearer {t}"),
        format!("BEARER   {t}"),
        t.clone(),
    ] {
        assert!(auth.handle(&raw_token_event(&ok), NOW).is_ok(), "{ok}");
    }
    expect_identity(&auth, &format!("Basic {t}"), Reject::BadScheme);
    expect_identity(&auth, &format!("Bearer {t} {t}"), Reject::BadScheme);
    expect_identity(&auth, &format!("Bearer {t} trailing"), Reject::BadScheme);
    expect_identity(&auth, &format!("Bearer {t} "), Reject::BadScheme);
    expect_identity(&auth, "", Reject::BadScheme);
    expect_identity(&auth, "Bearer", Reject::BadScheme);
    expect_identity(&auth, &format!("Bearer\t{t}"), Reject::BadBase64);
    expect_identity(&auth, &format!("Bearer{t}"), Reject::BadBase64);
    let missing = format!(r#"{{"type":"TOKEN","methodArn":"{ARN}/prod/GET/orders"}}"#);
    assert_eq!(
        auth.handle(&missing, NOW).map(|r| r.decision),
        Err(Reject::MissingIdentity)
    );
}

#[test]
fn oversized_tokens_fail_before_decoding() {
    let keys = Keys::load();
    let auth = authorizer_with(&keys, &[("SCOPEGATE_MAX_TOKEN_BYTES", "1024")]);
    let big = keys
        .rs256
        .sign(&payload(&format!(r#","pad":"{}""#, "x".repeat(2000))))
        .unwrap();
    expect(&auth, &big, Reject::TokenTooLarge);
    expect(&auth, &"A".repeat(100_000), Reject::TokenTooLarge);
}

#[test]
fn shape_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let t = keys.rs256.sign(&payload("")).unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    expect(&auth, &format!("{h}.{p}"), Reject::Malformed);
    expect(&auth, &format!("{h}.{p}.{s}.{s}"), Reject::Malformed);
    expect(&auth, &format!("{h}.{p}.{s}.{s}.{s}"), Reject::Malformed);
    expect(&auth, &format!("{h}..{s}"), Reject::Malformed);
    expect(&auth, &format!("{h}.{p}."), Reject::Malformed);
    expect(
        &auth,
        &format!(r#"{{"protected":"{h}","payload":"{p}","signature":"{s}"}}"#),
        Reject::Malformed,
    );
    expect(
        &auth,
        &format!(r#"{{"protected":"{h}","payload":"{p}"}}"#),
        Reject::Malformed,
    );
    // Strict base64url: padding, the standard alphabet, non-canonical trailing bits.
    expect(&auth, &format!("{h}=.{p}.{s}"), Reject::BadBase64);
    expect(
        &auth,
        &format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")),
        if s.contains(['-', '_']) {
            Reject::BadBase64
        } else {
            Reject::BadSignature
        },
    );
    // A payload segment that is not strict base64url, validly signed as text.
    for bad_payload in [
        format!("{p}="),
        format!("{p}+"),
        format!("{}/{}", &p[..10], &p[11..]),
        format!("{}\n{}", &p[..10], &p[11..]),
    ] {
        let input = format!("{h}.{bad_payload}");
        let sig = keys.rs256.sign_raw(input.as_bytes()).unwrap();
        expect(
            &auth,
            &format!("{input}.{}", b64::encode(&sig)),
            Reject::BadBase64,
        );
    }
    // RS256-2048 signatures are 256 bytes = 341 symbols + 1: the last symbol carries 4 unused bits.
    let last = s.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let tweaked = alphabet.as_bytes()[idx | 1] as char;
    if tweaked != last {
        expect(
            &auth,
            &format!("{h}.{p}.{}{tweaked}", &s[..s.len() - 1]),
            Reject::BadBase64,
        );
    }
}

#[test]
fn json_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let sign = |header: &str, payload: &str| keys.rs256.sign_json(header, payload).unwrap();
    let header = r#"{"alg":"RS256","kid":"rsa-a"}"#;
    let ok = payload("");
    expect(
        &auth,
        &sign(header, &payload(r#","scp":["admin"]"#)),
        Reject::DuplicateMember,
    );
    expect(
        &auth,
        &sign(header, &payload(r#","\u0073cp":["admin"]"#)),
        Reject::DuplicateMember,
    );
    expect(
        &auth,
        &sign(header, &payload(r#","iss":"https://evil""#)),
        Reject::DuplicateMember,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","\u006bid":"rsa-b"}"#, &ok),
        Reject::DuplicateMember,
    );
    expect(
        &auth,
        &sign(header, &payload(r#","x":NaN"#)),
        Reject::BadJson,
    );
    expect(
        &auth,
        &sign(header, &payload(r#","x":Infinity"#)),
        Reject::BadJson,
    );
    expect(
        &auth,
        &sign(header, &format!("{ok} /* comment */")),
        Reject::BadJson,
    );
    expect(&auth, &sign(header, &format!("{ok}{ok}")), Reject::BadJson);
    expect(&auth, &sign(header, &format!("[{ok}]")), Reject::BadJson);
    expect(
        &auth,
        &sign(
            header,
            &payload(&format!(
                r#","deep":{}1{}"#,
                "[".repeat(100),
                "]".repeat(100)
            )),
        ),
        Reject::JsonLimit,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a"} x"#, &ok),
        Reject::BadJson,
    );
    // Not UTF-8: a header byte 0xff.
    let bad_utf8 = format!(
        "{}.{}.AAAA",
        b64::encode(b"{\"alg\":\"RS256\",\"kid\":\"\xff\"}"),
        b64::encode(ok.as_bytes())
    );
    expect(&auth, &bad_utf8, Reject::BadJson);
}

#[test]
fn algorithm_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let p = b64::encode(payload("").as_bytes());
    let unsigned = |header: &str| format!("{}.{p}.AAAA", b64::encode(header.as_bytes()));
    expect(
        &auth,
        &unsigned(r#"{"alg":"none","kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    expect(
        &auth,
        &format!("{}.{p}.", b64::encode(br#"{"alg":"none"}"#)),
        Reject::Malformed,
    );
    expect(
        &auth,
        &unsigned(r#"{"alg":"HS256","kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    expect(
        &auth,
        &unsigned(r#"{"alg":"HS512","kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    expect(
        &auth,
        &unsigned(r#"{"alg":"rs256","kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    expect(
        &auth,
        &unsigned(r#"{"alg":"RS256 ","kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    expect(
        &auth,
        &unsigned(r#"{"kid":"rsa-a"}"#),
        Reject::AlgNotAllowed,
    );
    // HS256 signed with the RSA public key as the HMAC secret: the classic confusion.
    let hmac_key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        keys.rs256.public_jwk().as_bytes(),
    );
    let input = format!("{}.{p}", b64::encode(br#"{"alg":"HS256","kid":"rsa-a"}"#));
    let tag = aws_lc_rs::hmac::sign(&hmac_key, input.as_bytes());
    expect(
        &auth,
        &format!("{input}.{}", b64::encode(tag.as_ref())),
        Reject::AlgNotAllowed,
    );
    // An allowed algorithm that the configuration leaves out.
    let rs_only = authorizer_with(&keys, &[("SCOPEGATE_ALGORITHMS", "RS256")]);
    expect(
        &rs_only,
        &keys.es256.sign(&payload("")).unwrap(),
        Reject::AlgNotAllowed,
    );
}

#[test]
fn key_selection_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let ok = payload("");
    expect(
        &auth,
        &keys.rs256.sign_json(r#"{"alg":"RS256"}"#, &ok).unwrap(),
        Reject::MissingKid,
    );
    expect(
        &auth,
        &keys
            .rs256
            .sign_json(r#"{"alg":"RS256","kid":null}"#, &ok)
            .unwrap(),
        Reject::MissingKid,
    );
    expect(
        &auth,
        &keys
            .rs256
            .sign_json(r#"{"alg":"RS256","kid":"RSA-A"}"#, &ok)
            .unwrap(),
        Reject::UnknownKid,
    );
    expect(
        &auth,
        &keys
            .rs256
            .sign_json(r#"{"alg":"RS256","kid":"rsa-a "}"#, &ok)
            .unwrap(),
        Reject::UnknownKid,
    );
    expect(
        &auth,
        &keys
            .rs256
            .sign_json(r#"{"alg":"RS256","kid":"nope"}"#, &ok)
            .unwrap(),
        Reject::UnknownKid,
    );
    // The JWK pins RS256: the same RSA key may not be used for PS256.
    let pss_on_rs_key = scopegate::testkit::mint::SigningKey::from_pkcs8(
        "rsa-a",
        Alg::PS256,
        &key_bytes("rsa-2048-a.pk8"),
    )
    .unwrap();
    expect(
        &auth,
        &pss_on_rs_key.sign(&ok).unwrap(),
        Reject::KeyAlgMismatch,
    );
    // An ES384 header naming the P-256 key.
    expect(
        &auth,
        &keys
            .es384
            .sign_json(r#"{"alg":"ES384","kid":"ec-256"}"#, &ok)
            .unwrap(),
        Reject::KeyAlgMismatch,
    );
    // Embedded keys and key URLs are never used: the attacker's own key signs, the trusted kid is checked.
    let rogue = &keys.rogue_es256;
    let header = format!(
        r#"{{"alg":"ES256","kid":"ec-256","jwk":{},"jku":"https://evil/jwks","x5u":"https://evil/x5"}}"#,
        rogue.public_jwk()
    );
    expect(
        &auth,
        &rogue.sign_json(&header, &ok).unwrap(),
        Reject::BadSignature,
    );
}

#[test]
fn a_key_without_alg_must_fit_by_type_and_curve() {
    let keys = Keys::load();
    let jwk_without_alg = keys.es256.public_jwk().replace(r#""alg":"ES256","#, "");
    let jwks = format!(r#"{{"keys":[{jwk_without_alg}]}}"#);
    let auth = authorizer_with(&keys, &[("SCOPEGATE_JWKS", &jwks)]);
    assert!(decide(&auth, &keys.es256.sign(&payload("")).unwrap()).is_ok());
    expect(
        &auth,
        &keys
            .rs256
            .sign_json(r#"{"alg":"RS256","kid":"ec-256"}"#, &payload(""))
            .unwrap(),
        Reject::KeyAlgMismatch,
    );
}

#[test]
fn unusable_keys_are_skipped_and_the_rest_still_work() {
    let keys = Keys::load();
    let enc = keys
        .rs256_b
        .public_jwk()
        .replace(r#""use":"sig""#, r#""use":"enc""#);
    let small_n = b64::encode(&[0xC3u8; 128]);
    let small = format!(r#"{{"kty":"RSA","kid":"small","n":"{small_n}","e":"AQAB"}}"#);
    let jwks = format!(
        r#"{{"keys":[{enc},{small},{},{{"kty":"oct","kid":"h","k":"c2VjcmV0"}}]}}"#,
        keys.rs256.public_jwk()
    );
    let auth = authorizer_with(&keys, &[("SCOPEGATE_JWKS", &jwks)]);
    assert_eq!(auth.keys().unwrap().keys().len(), 1);
    assert_eq!(auth.keys().unwrap().skipped().len(), 3);
    assert!(decide(&auth, &keys.rs256.sign(&payload("")).unwrap()).is_ok());
    expect(
        &auth,
        &keys.rs256_b.sign(&payload("")).unwrap(),
        Reject::UnknownKid,
    );
}

/// P-256 group order n, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Ed25519 group order L, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        out[i] = d.rem_euclid(256) as u8;
        borrow = i16::from(d < 0);
    }
    out
}

#[test]
fn signature_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    // RSA: exactly the modulus length.
    let t = keys.rs256.sign(&payload("")).unwrap();
    let sig = signature_of(&t);
    let mut longer = vec![0u8];
    longer.extend_from_slice(&sig);
    expect(&auth, &with_signature(&t, &longer), Reject::BadSignature);
    expect(&auth, &with_signature(&t, &sig[1..]), Reject::BadSignature);
    let mut flipped = sig.clone();
    flipped[100] ^= 0x01;
    expect(&auth, &with_signature(&t, &flipped), Reject::BadSignature);
    // Tampered payload, original signature.
    let tampered_payload = b64::encode(payload(r#","admin":true"#).as_bytes());
    let parts: Vec<&str> = t.split('.').collect();
    expect(
        &auth,
        &format!("{}.{tampered_payload}.{}", parts[0], parts[2]),
        Reject::BadSignature,
    );
    // Signed by a key the authorizer does not trust, under a trusted kid.
    expect(
        &auth,
        &keys.rogue_rs256.sign(&payload("")).unwrap(),
        Reject::BadSignature,
    );
    // Claims are checked before the signature: a forged token that is also
    // expired is refused for its `exp`, without a signature check.
    let expired = payload_of(&format!(
        r#""iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","exp":{}"#,
        NOW - 3600.0
    ));
    expect(
        &auth,
        &keys.rogue_rs256.sign(&expired).unwrap(),
        Reject::Expired,
    );

    // ECDSA: raw r||s of exactly 64 bytes, r and s in [1, n-1]; high S accepted.
    let t = keys.es256.sign(&payload("")).unwrap();
    let sig = signature_of(&t);
    let (r, s) = sig.split_at(32);
    let high_s = sub_be(&P256_N, s);
    let malleated: Vec<u8> = [r, &high_s[..]].concat();
    assert_eq!(
        decide(&auth, &with_signature(&t, &malleated)).map(|r| r.decision),
        Ok(Decision::Allow),
        "high S is accepted"
    );
    expect(
        &auth,
        &with_signature(&t, &[&[0u8; 32][..], s].concat()),
        Reject::BadSignature,
    );
    expect(
        &auth,
        &with_signature(&t, &[r, &[0u8; 32][..]].concat()),
        Reject::BadSignature,
    );
    expect(
        &auth,
        &with_signature(&t, &[r, &P256_N[..]].concat()),
        Reject::BadSignature,
    );
    expect(
        &auth,
        &with_signature(&t, &[&P256_N[..], s].concat()),
        Reject::BadSignature,
    );
    expect(&auth, &with_signature(&t, &sig[..63]), Reject::BadSignature);
    let der = {
        let mut d = vec![0x30, 68, 0x02, 32];
        d.extend_from_slice(r);
        d.extend_from_slice(&[0x02, 32]);
        d.extend_from_slice(s);
        d
    };
    expect(&auth, &with_signature(&t, &der), Reject::BadSignature);

    // Ed25519: S must be below L; S + L encodes the same scalar and must fail.
    let t = keys.eddsa.sign(&payload("")).unwrap();
    let sig = signature_of(&t);
    let mut s_plus_l = sig.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s_plus_l[32 + i]) + u16::from(ED25519_L[i]) + carry;
        s_plus_l[32 + i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0, "S + L still fits 256 bits");
    expect(&auth, &with_signature(&t, &s_plus_l), Reject::BadSignature);
}

#[test]
fn header_parameter_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let ok = payload("");
    let sign = |h: &str| keys.rs256.sign_json(h, &ok).unwrap();
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","crit":["exp"]}"#),
        Reject::Crit,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","crit":["b64"],"b64":false}"#),
        Reject::Crit,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","b64":false}"#),
        Reject::B64Header,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","b64":true}"#),
        Reject::B64Header,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","typ":"JOSE"}"#),
        Reject::BadTyp,
    );
    expect(
        &auth,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","typ":"application/jwt"}"#),
        Reject::BadTyp,
    );
    // Contract §3 (2026-12): media types compare ASCII case-insensitively.
    assert!(decide(&auth, &sign(r#"{"alg":"RS256","kid":"rsa-a","typ":"jwt"}"#)).is_ok());
    assert!(
        decide(
            &auth,
            &sign(r#"{"alg":"RS256","kid":"rsa-a","typ":"at+jwt","x-unknown":1}"#)
        )
        .is_ok()
    );
    assert!(decide(&auth, &sign(r#"{"alg":"RS256","kid":"rsa-a"}"#)).is_ok());
    let strict = authorizer_with(&keys, &[("SCOPEGATE_REQUIRE_AT_JWT", "true")]);
    expect(
        &strict,
        &sign(r#"{"alg":"RS256","kid":"rsa-a","typ":"JWT"}"#),
        Reject::BadTyp,
    );
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-a","typ":"{typ}"}}"#);
        assert!(decide(&strict, &sign(&header)).is_ok(), "{typ}");
    }
}

#[test]
fn time_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let with = |members: &str| {
        keys.rs256
            .sign(&payload_of(&format!(
                r#""iss":"{ISSUER}","sub":"u","aud":"{AUDIENCE}","scp":["orders.read"]{members}"#
            )))
            .unwrap()
    };
    expect(&auth, &with(""), Reject::MissingExp);
    expect(&auth, &with(r#","exp":"4102444800""#), Reject::BadTimeClaim);
    expect(&auth, &with(r#","exp":null"#), Reject::BadTimeClaim);
    expect(&auth, &with(r#","exp":253402300800"#), Reject::BadTimeClaim);
    // Beyond f64: not a JSON number we read at all (as serde_json), still a 401.
    expect(&auth, &with(r#","exp":1e400"#), Reject::BadJson);
    expect(
        &auth,
        &with(&format!(r#","exp":{}"#, NOW - 61.0)),
        Reject::Expired,
    );
    expect(
        &auth,
        &with(&format!(r#","exp":{}"#, NOW - 60.0)),
        Reject::Expired,
    );
    assert!(
        decide(&auth, &with(&format!(r#","exp":{}"#, NOW - 59.5))).is_ok(),
        "within leeway, fractional"
    );
    assert!(decide(&auth, &with(r#","exp":4102444800.25"#)).is_ok());
    let future = NOW + 3600.0;
    expect(
        &auth,
        &with(&format!(r#","exp":{future},"nbf":{}"#, NOW + 61.0)),
        Reject::NotYetValid,
    );
    assert!(
        decide(
            &auth,
            &with(&format!(r#","exp":{future},"nbf":{}"#, NOW + 60.0))
        )
        .is_ok()
    );
    expect(
        &auth,
        &with(&format!(r#","exp":{future},"nbf":"{NOW}""#)),
        Reject::BadTimeClaim,
    );
    expect(
        &auth,
        &with(&format!(r#","exp":{future},"iat":{}"#, NOW + 61.0)),
        Reject::IssuedInFuture,
    );
    expect(
        &auth,
        &with(&format!(r#","exp":{future},"iat":true"#)),
        Reject::BadTimeClaim,
    );
}

#[test]
fn claim_rules() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let exp = NOW + 3600.0;
    let with = |members: &str| {
        keys.rs256
            .sign(&payload_of(&format!(
                r#""exp":{exp},"scp":["orders.read"]{members}"#
            )))
            .unwrap()
    };
    let aud = format!(r#","aud":"{AUDIENCE}""#);
    let iss = format!(r#","iss":"{ISSUER}""#);
    for bad_iss in [
        format!(r#","iss":"{ISSUER}/""#),
        format!(r#","iss":"{}""#, ISSUER.to_uppercase()),
        String::new(),
        r#","iss":null"#.into(),
    ] {
        expect(
            &auth,
            &with(&format!(r#"{bad_iss}{aud},"sub":"u""#)),
            Reject::WrongIssuer,
        );
    }
    for bad_aud in [
        r#","aud":"api://other""#.to_string(),
        format!(r#","aud":["{AUDIENCE}",7]"#),
        r#","aud":[]"#.into(),
        String::new(),
    ] {
        expect(
            &auth,
            &with(&format!(r#"{iss}{bad_aud},"sub":"u""#)),
            Reject::WrongAudience,
        );
    }
    assert!(
        decide(
            &auth,
            &with(&format!(r#"{iss},"aud":["x","{AUDIENCE}"],"sub":"u""#))
        )
        .is_ok()
    );
    for bad_sub in [r#","sub":"""#, r#","sub":42"#, ""] {
        expect(
            &auth,
            &with(&format!("{iss}{aud}{bad_sub}")),
            Reject::MissingSub,
        );
    }
}

#[test]
fn scope_rules_are_exact_and_an_empty_grant_is_deny_not_401() {
    let keys = Keys::load();
    let auth = authorizer(&keys);
    let exp = NOW + 3600.0;
    let with = |scopes: &str| {
        let token = keys
            .rs256
            .sign(&payload_of(&format!(
                r#""iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"u","exp":{exp}{scopes}"#
            )))
            .unwrap();
        decide(&auth, &token).map(|r| r.decision)
    };
    assert_eq!(with(r#","scp":["orders.read"]"#), Ok(Decision::Allow));
    assert_eq!(
        with(r#","scope":"openid orders.read""#),
        Ok(Decision::Allow)
    );
    // Contract §3 (2026-12): a string `scp` (Entra ID) and an array `scope`
    // (ForgeRock, Duende) grant, and the two claims are united.
    for grant in [
        r#","scp":"orders.read""#,
        r#","scope":["orders.read"]"#,
        r#","scp":["profile"],"scope":"orders.read""#,
    ] {
        assert_eq!(with(grant), Ok(Decision::Allow), "{grant}");
    }
    for no_grant in [
        r#","scp":["Orders.read"]"#,
        r#","scp":[" orders.read"]"#,
        r#","scp":["orders.*"]"#,
        r#","scp":["orders"]"#,
        r#","scope":"orders.read\tprofile""#,
        r#","scp":"Orders.Read""#,
        r#","scope":[" orders.read"]"#,
        r#","scp":[]"#,
        "",
        r#","scp":["orders.rea\u0064\u0301"]"#,
    ] {
        assert_eq!(with(no_grant), Ok(Decision::Deny), "{no_grant}");
    }
}
