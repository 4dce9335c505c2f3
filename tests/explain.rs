//! `scopegate explain` on tokens of two providers (Entra ID and Cognito,
//! shapes as they issue them): a valid, a denied and a refused token each,
//! through the binary with the configuration in its environment. It must
//! say which check decided, what each scope source produced, and the
//! handler's decision, and never print the signature.

mod support;

use scopegate::testkit::mint::SigningKey;
use std::process::Command;

const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:api1234567";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

struct Provider {
    key: SigningKey,
    env: Vec<(String, String)>,
}

fn permissions() -> String {
    format!(
        r#"[{{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"Orders.Read"}},
            {{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"POST","scope":"role:Orders.ReadWrite.All"}},
            {{"arn":"{ARN}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"orders-api/orders.read"}}]"#
    )
}

fn entra() -> Provider {
    let key = SigningKey::generate("entra-1", scopegate::jose::Alg::RS256).unwrap();
    let env = vec![
        (
            "SCOPEGATE_ISSUER",
            format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        ),
        ("SCOPEGATE_AUDIENCE", "api://orders".to_string()),
        ("SCOPEGATE_JWKS", scopegate::testkit::mint::jwks([&key])),
        ("SCOPEGATE_PERMISSIONS", permissions()),
        (
            "SCOPEGATE_SCOPE_SOURCES",
            r#"[{"claim":"scp"},{"claim":"roles","format":"array","prefix":"role:"}]"#.to_string(),
        ),
        (
            "SCOPEGATE_REQUIRE_CLAIMS",
            format!(r#"{{"tid":"{TENANT}"}}"#),
        ),
    ];
    Provider {
        key,
        env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

fn cognito() -> Provider {
    let key = SigningKey::generate("cognito-1", scopegate::jose::Alg::RS256).unwrap();
    let env = vec![
        (
            "SCOPEGATE_ISSUER",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdE".to_string(),
        ),
        ("SCOPEGATE_JWKS", scopegate::testkit::mint::jwks([&key])),
        ("SCOPEGATE_PERMISSIONS", permissions()),
        (
            "SCOPEGATE_CLIENT_IDS",
            "3n4b5urk1ft4fl3mg5e62d9ado".to_string(),
        ),
        (
            "SCOPEGATE_REQUIRE_CLAIMS",
            r#"{"token_use":"access"}"#.to_string(),
        ),
    ];
    Provider {
        key,
        env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// Runs `scopegate explain` with the token on stdin; (exit code, stdout).
fn explain(p: &Provider, token: &str, extra: &[&str]) -> (i32, String) {
    let out = support::output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .arg("explain")
            .args(extra)
            .env_clear()
            .envs(p.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        token.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        signature.is_empty() || !stdout.contains(signature),
        "printed the signature:\n{stdout}"
    );
    (out.status.code().unwrap_or(-1), stdout)
}

fn exp() -> u64 {
    scopegate::clock::now() as u64 + 600
}

#[test]
fn entra_valid_denied_and_refused() {
    let p = entra();
    let iss = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
    let valid = p.key.sign(&format!(
        r#"{{"aud":"api://orders","iss":"{iss}","exp":{},"scp":"Orders.Read User.Read","sub":"s","tid":"{TENANT}","azp":"app"}}"#,
        exp()
    )).unwrap();
    let (code, out) = explain(&p, &valid, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(r#"claim `scp`: ["Orders.Read", "User.Read"]"#),
        "{out}"
    );
    assert!(
        out.contains("claim `roles`, format array, prefix `role:`: absent"),
        "{out}"
    );
    assert!(out.contains("granted scopes: Orders.Read"), "{out}");
    assert!(
        out.contains(&format!("allows {ARN}/prod/GET/orders")),
        "{out}"
    );
    assert!(out.contains("decision: allow (granted)"), "{out}");
    assert!(
        out.contains("claims aud, iss, exp, scp, sub, tid, azp"),
        "claim names in order: {out}"
    );

    let denied = p.key.sign(&format!(
        r#"{{"aud":"api://orders","iss":"{iss}","exp":{},"roles":["Orders.Read"],"sub":"s","tid":"{TENANT}"}}"#,
        exp()
    )).unwrap();
    let (code, out) = explain(&p, &denied, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(r#"prefix `role:`: ["role:Orders.Read"]"#),
        "{out}"
    );
    assert!(out.contains("granted scopes: none (Deny)"), "{out}");
    assert!(out.contains("decision: deny (no_grant)"), "{out}");

    let refused = p.key.sign(&format!(
        r#"{{"aud":"api://orders","iss":"{iss}","exp":{},"scp":"Orders.Read","sub":"s","tid":"another-tenant"}}"#,
        exp()
    )).unwrap();
    let (code, out) = explain(&p, &refused, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("require `tid`: present"), "{out}");
    assert!(
        out.contains("claims     refused: unmet_requirement"),
        "{out}"
    );
    assert!(
        out.contains("decision: unauthorized (unmet_requirement)"),
        "{out}"
    );
}

#[test]
fn cognito_valid_denied_and_refused_and_the_effective_config() {
    let p = cognito();
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdE";
    let access = |scope: &str, token_use: &str| {
        p.key.sign(&format!(
            r#"{{"sub":"u-1","iss":"{iss}","client_id":"3n4b5urk1ft4fl3mg5e62d9ado","token_use":"{token_use}","scope":"{scope}","exp":{}}}"#,
            exp()
        )).unwrap()
    };
    let (code, out) = explain(
        &p,
        &format!("Bearer {}", access("orders-api/orders.read", "access")),
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("decision: allow (granted)"), "{out}");
    let (_, out) = explain(&p, &access("openid", "access"), &[]);
    assert!(out.contains("decision: deny (no_grant)"), "{out}");
    let (code, out) = explain(&p, &access("orders-api/orders.read", "id"), &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("decision: unauthorized (unmet_requirement)"),
        "{out}"
    );
    // A forged signature is refused at its own step.
    // An RS256-2048 signature is 342 characters whose last carries 2 data
    // bits: A and Q are both canonical, so swapping them forges it.
    let mut forged = access("orders-api/orders.read", "access");
    let last = if forged.ends_with('A') { 'Q' } else { 'A' };
    forged.pop();
    forged.push(last);
    let (_, out) = explain(&p, &forged, &[]);
    assert!(out.contains("key        ok"), "{out}");
    assert!(out.contains("signature  refused: bad_signature"), "{out}");
    // A non-canonical last character is refused at the same step.
    forged.pop();
    forged.push('B');
    let (_, out) = explain(&p, &forged, &[]);
    assert!(out.contains("signature  refused: bad_base64"), "{out}");

    let (code, out) = explain(
        &p,
        "",
        &[
            "--config",
            "--set",
            "SCOPEGATE_INTROSPECTION_CLIENT_SECRET=hunter2",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("client_ids (tokens without aud): 3n4b5urk1ft4fl3mg5e62d9ado"),
        "{out}"
    );
    assert!(out.contains("require token_use = access"), "{out}");
    assert!(
        out.contains("scopes: claim `scp`; claim `scope`"),
        "the default sources: {out}"
    );
    assert!(
        out.contains("client_id_claims: client_id, azp, cid, appid"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
    // The permissions: where, in which form, and how policies are shaped.
    assert!(out.contains("permissions: inline, JSON rules"), "{out}");
    assert!(out.contains("  read once at start"), "{out}");
    assert!(
        out.contains(
            "  policies: at most 8192 bytes, past it the event's route alone; routes: not given"
        ),
        "{out}"
    );
}

/// Bytes from a hostile token never reach the operator's terminal as
/// themselves (issue 22 §6): ESC (an OSC 52 clipboard write), BEL, CR and a
/// line feed that would forge a `decision: allow` line, DEL, C1 controls and
/// a right-to-left override, in the header, the `kid` and claim names.
#[test]
fn hostile_bytes_are_escaped_before_the_terminal() {
    use base64::Engine as _;
    let p = entra();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let hostile =
        r"\u001b]52;c;ZWNobyBwd25lZA==\u0007\r\ndecision: allow (granted)\u007f\u009b\u202e";
    let header = format!(r#"{{"alg":"RS256","kid":"{hostile}","x{hostile}":1}}"#);
    let payload = format!(
        r#"{{"iss":"https://login.microsoftonline.com/{TENANT}/v2.0","sub":"s{hostile}","aud":"api://orders","tid":"{TENANT}","exp":{},"scp":"Orders.Read","c{hostile}":1}}"#,
        exp()
    );
    let token = format!("{}.{}.c2ln", b64(&header), b64(&payload));
    let (code, stdout) = explain(&p, &token, &[]);
    assert_eq!(code, 1, "{stdout}");
    for c in stdout.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
            "{c:?} reached the terminal:\n{stdout}"
        );
    }
    let forged = stdout
        .lines()
        .filter(|l| l.starts_with("decision:"))
        .collect::<Vec<_>>();
    assert_eq!(forged, ["decision: unauthorized (unknown_kid)"], "{stdout}");
    assert!(stdout.contains(r"\u{1b}]52;c;"), "{stdout}");
}
