//! The project's own fixture generator: a fixture directory in the layout
//! of contract §6 (`config.json`, `jwks.json`, `permissions.json`,
//! `events.jsonl`, `expected.jsonl`, plus `meta.jsonl` saying how each
//! event was built), modelled on the peers' generator so that tests and
//! `replay --fixture` need nothing outside this repository.
//!
//! The ground truth is computed here from the generator's own rules and
//! the scopes it put in each token, never by asking scopegate. Everything
//! is derived from the seed except the key material (generated fresh by
//! aws-lc-rs at each run) and so the signatures.

use super::mint::{SigningKey, jwks};
use crate::codec::b64;
use crate::jose::Alg;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// Fixed so that a fixture is valid whatever the day: 2025-01-01T00:00:00Z.
pub const DEFAULT_NOW: u64 = 1_735_689_600;
const EXP_FAR: u64 = 4_102_444_800; // 2100-01-01
const NBF_FAR: u64 = 4_070_908_800; // 2099-01-01
const KID_RSA_A: &str = "rsa-2024-09-a1";
const KID_RSA_B: &str = "rsa-2025-03-b2";
const KID_EC: &str = "ec-2025-03-p256";
const KID_ROGUE: &str = "rogue-0001";

const BASE_SCOPES: [&str; 20] = [
    "orders.read",
    "orders.write",
    "customers.read",
    "customers.write",
    "inventory.read",
    "inventory.write",
    "payments.read",
    "payments.write",
    "reports.read",
    "catalog.read",
    "catalog.write",
    "shipping.read",
    "shipping.write",
    "invoices.read",
    "invoices.write",
    "users.read",
    "users.write",
    "analytics.read",
    "webhooks.manage",
    "admin",
];
/// Scopes an IdP puts in tokens that no rule maps.
const UNMAPPED_SCOPES: [&str; 5] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "legacy.read",
];
const APIS: [&str; 4] = [
    "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5",
    "arn:aws:execute-api:us-east-1:123456789012:k9x8w7v6u5",
    "arn:aws:execute-api:eu-west-1:123456789012:q2w3e4r5t6",
    "arn:aws:execute-api:us-west-2:210987654321:z0y9x8w7v6",
];
const STAGES: [&str; 6] = ["prod", "prod", "prod", "staging", "dev", "v1"];
const READ_VERBS: [&str; 5] = ["GET", "GET", "GET", "HEAD", "OPTIONS"];
const WRITE_VERBS: [&str; 4] = ["POST", "PUT", "PATCH", "DELETE"];
const ALL_VERBS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const RESOURCE_SHAPES: [&str; 9] = [
    "{d}",
    "{d}/*",
    "{d}/*/items",
    "{d}/*/history",
    "{d}/search",
    "v2/{d}",
    "v2/{d}/*",
    "{d}/*/attachments/*",
    "internal/{d}/*",
];
/// The kinds of invalid token, with relative weights (all are 401s).
const INVALID_KINDS: [(&str, u32); 11] = [
    ("expired", 30),
    ("wrong_aud", 15),
    ("bad_sig_foreign_key", 14),
    ("bad_sig_tampered", 14),
    ("bad_sig_corrupted", 10),
    ("wrong_iss", 5),
    ("not_yet_valid", 4),
    ("unknown_kid", 3),
    ("alg_none", 2),
    ("alg_hs256_confusion", 2),
    ("malformed", 1),
];

/// Whether each event carries a new token or one from a popular pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every event a new user and token.
    Unique,
    /// Tokens drawn from a pool of `users` with Zipf popularity.
    Zipf,
}

/// What to generate. Defaults follow the peers' generator.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of events. Defaults to `20000`.
    pub events: usize,
    /// Defaults to [`Mode::Unique`].
    pub mode: Mode,
    /// Zipf pool size. Defaults to `1000`.
    pub users: usize,
    /// Zipf exponent. Defaults to `1.1`.
    pub zipf_s: f64,
    /// Permission rules. Defaults to `50`.
    pub rules: usize,
    /// Distinct mapped scopes. Defaults to `20`.
    pub scopes: usize,
    /// Share of invalid tokens. Defaults to `0.05`.
    pub invalid_frac: f64,
    /// Share of valid tokens whose scopes grant nothing. Defaults to `0.05`.
    pub deny_frac: f64,
    /// Share of ES256 tokens. Defaults to `0.2`.
    pub es256_frac: f64,
    /// Share of tokens with a space-separated `scope` instead of `scp`. Defaults to `0.1`.
    pub scope_string_frac: f64,
    /// Defaults to `1`.
    pub seed: u64,
    /// The fixture's fixed time. Defaults to [`DEFAULT_NOW`].
    pub now: u64,
    /// Defaults to `60`.
    pub leeway: u64,
    /// Defaults to `https://idp.example.com/oauth2/default`.
    pub issuer: String,
    /// Defaults to `api://authorizer-bench`.
    pub audience: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            events: 20_000,
            mode: Mode::Unique,
            users: 1000,
            zipf_s: 1.1,
            rules: 50,
            scopes: 20,
            invalid_frac: 0.05,
            deny_frac: 0.05,
            es256_frac: 0.2,
            scope_string_frac: 0.1,
            seed: 1,
            now: DEFAULT_NOW,
            leeway: 60,
            issuer: "https://idp.example.com/oauth2/default".into(),
            audience: "api://authorizer-bench".into(),
        }
    }
}

/// What was written, for a one-line report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Events written.
    pub events: usize,
    /// Distinct tokens among them.
    pub distinct_tokens: usize,
    /// Counts of `allow`, `deny`, `unauthorized`.
    pub decisions: [usize; 3],
}

/// SplitMix64: small, seedable, and good enough to pick fixture content.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: &str) -> Rng {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in stream.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        Rng(h)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = (self.unit() * f64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
    fn sample<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut pool = items.to_vec();
        let mut out = Vec::with_capacity(k);
        while out.len() < k && !pool.is_empty() {
            out.push(pool.swap_remove(self.below(pool.len())));
        }
        out
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
    fn token_chars(&mut self, n: usize) -> String {
        const B62: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        (0..n).map(|_| B62[self.below(B62.len())] as char).collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One permission rule, as written to `permissions.json`.
struct Rule {
    arn: &'static str,
    resource: String,
    stage: &'static str,
    verb: &'static str,
    scope: String,
}

impl Rule {
    fn resource_arn(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.arn, self.stage, self.verb, self.resource
        )
    }
}

fn scope_list(n: usize) -> Vec<String> {
    let mut out: Vec<String> = BASE_SCOPES.iter().take(n).map(|s| s.to_string()).collect();
    let mut i = 0;
    while out.len() < n {
        out.push(format!(
            "extra{i}.{}",
            if i % 2 == 0 { "read" } else { "write" }
        ));
        i += 1;
    }
    out
}

fn make_rules(rng: &mut Rng, n: usize, scopes: &[String]) -> Result<Vec<Rule>, String> {
    let mut domains: Vec<&str> = scopes
        .iter()
        .filter_map(|s| s.split_once('.').map(|(d, _)| d))
        .collect();
    domains.sort_unstable();
    domains.dedup();
    let mut assigned: Vec<String> = (0..n.min(scopes.len()))
        .map(|i| scopes[i].clone())
        .collect();
    while assigned.len() < n {
        assigned.push(rng.pick(scopes).clone());
    }
    let mut seen = std::collections::HashSet::new();
    let mut rules = Vec::with_capacity(n);
    for scope in assigned {
        let rule = (0..10_000).find_map(|_| {
            let (domain, access) = match scope.split_once('.') {
                Some((d, a)) => (d.to_string(), a),
                None => (rng.pick(&domains).to_string(), "admin"),
            };
            let verb = match access {
                "read" => *rng.pick(&READ_VERBS),
                "write" => *rng.pick(&WRITE_VERBS),
                _ => *rng.pick(&["*", "*", "GET", "POST", "PUT", "PATCH", "DELETE"]),
            };
            let rule = Rule {
                arn: *rng.pick(&APIS),
                resource: rng.pick(&RESOURCE_SHAPES).replace("{d}", &domain),
                stage: *rng.pick(&STAGES),
                verb,
                scope: scope.clone(),
            };
            seen.insert(rule.resource_arn()).then_some(rule)
        });
        rules.push(rule.ok_or("could not generate enough distinct rules; lower the rule count")?);
    }
    Ok(rules)
}

/// The decision the generator expects for a token holding `scopes`.
fn expected_for(scopes: &[String], rules: &[Rule]) -> Value {
    let mut resources: Vec<String> = rules
        .iter()
        .filter(|r| scopes.contains(&r.scope))
        .map(Rule::resource_arn)
        .collect();
    resources.sort();
    resources.dedup();
    let decision = if resources.is_empty() {
        "deny"
    } else {
        "allow"
    };
    json!({"decision": decision, "resources": resources})
}

fn method_arn(rng: &mut Rng, rules: &[Rule]) -> String {
    let r = rng.pick(rules);
    let verb = if r.verb == "*" {
        *rng.pick(&ALL_VERBS)
    } else {
        r.verb
    };
    let mut path = r.resource.clone();
    while let Some(i) = path.find('*') {
        path.replace_range(i..=i, &(1 + rng.below(999_999)).to_string());
    }
    format!("{}/{}/{}/{}", r.arn, r.stage, verb, path)
}

/// The fixture's keys: the trusted set and a rogue key of each type.
struct Keys {
    rsa_a: SigningKey,
    rsa_b: SigningKey,
    ec: SigningKey,
    rogue_rsa: SigningKey,
    rogue_ec: SigningKey,
}

/// A user's token before it is signed.
struct Token {
    sub: String,
    scopes: Vec<String>,
    as_string: bool,
    key: usize,
}

struct Minter<'a> {
    options: &'a Options,
    keys: Keys,
    clients: Vec<String>,
}

impl Minter<'_> {
    fn key(&self, index: usize) -> &SigningKey {
        [&self.keys.rsa_a, &self.keys.rsa_b, &self.keys.ec][index]
    }

    fn user(&self, rng: &mut Rng, scopes: &[String], deny: bool, first: bool) -> Token {
        let sub = format!("00u{}", rng.token_chars(17));
        let mut chosen = if deny {
            let k = *rng.pick(&[0, 1, 1, 2, 3]);
            rng.sample(&UNMAPPED_SCOPES, k)
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            let k = [1, 2, 3, 4, 5, 6][rng.weighted(&[22, 28, 22, 14, 9, 5])];
            let mut out = rng.sample(scopes, k.min(scopes.len()));
            let extra = *rng.pick(&[0, 0, 1, 2]);
            out.extend(
                rng.sample(&UNMAPPED_SCOPES, extra)
                    .iter()
                    .map(|s| s.to_string()),
            );
            out
        };
        rng.shuffle(&mut chosen);
        let key = if first {
            0
        } else if rng.unit() < self.options.es256_frac {
            2
        } else {
            rng.below(2)
        };
        Token {
            sub,
            as_string: !first && rng.unit() < self.options.scope_string_frac,
            scopes: chosen,
            key,
        }
    }

    fn claims(&self, rng: &mut Rng, t: &Token) -> serde_json::Map<String, Value> {
        let o = self.options;
        let iat = o.now - rng.below(3600) as u64;
        let mut c = serde_json::Map::new();
        c.insert("iss".into(), json!(o.issuer));
        c.insert("sub".into(), json!(t.sub));
        c.insert("aud".into(), json!(o.audience));
        c.insert("exp".into(), json!(EXP_FAR - rng.below(86_400) as u64));
        c.insert("iat".into(), json!(iat));
        c.insert("nbf".into(), json!(iat));
        if t.as_string && !t.scopes.is_empty() {
            c.insert("scope".into(), json!(t.scopes.join(" ")));
        } else {
            c.insert("scp".into(), json!(t.scopes));
        }
        c.insert("client_id".into(), json!(rng.pick(&self.clients)));
        c.insert(
            "jti".into(),
            json!(format!("AT.{}", b64::encode(&rng.bytes(24)))),
        );
        c
    }

    fn sign(
        &self,
        claims: &serde_json::Map<String, Value>,
        key: &SigningKey,
        kid: &str,
    ) -> Result<String, String> {
        let header = format!(
            r#"{{"alg":"{}","kid":"{kid}","typ":"JWT"}}"#,
            key.alg.name()
        );
        key.sign_json(&header, &Value::Object(claims.clone()).to_string())
    }

    fn valid(&self, rng: &mut Rng, t: &Token) -> Result<String, String> {
        let key = self.key(t.key);
        self.sign(&self.claims(rng, t), key, &key.kid)
    }

    fn invalid(&self, rng: &mut Rng, kind: &str, t: &Token) -> Result<String, String> {
        let o = self.options;
        let key = self.key(t.key);
        let mut c = self.claims(rng, t);
        let rogue = if key.alg == Alg::ES256 {
            &self.keys.rogue_ec
        } else {
            &self.keys.rogue_rsa
        };
        Ok(match kind {
            "expired" => {
                let iat = o.now - (2 * 86_400 + rng.below(28 * 86_400)) as u64;
                c.insert("iat".into(), json!(iat));
                c.insert("nbf".into(), json!(iat));
                c.insert("exp".into(), json!(iat + 3600));
                self.sign(&c, key, &key.kid)?
            }
            "wrong_aud" => {
                let staging = format!("{}-staging", o.audience);
                let aud = rng
                    .pick(&[
                        "api://other-service",
                        "https://api.example.org",
                        staging.as_str(),
                    ])
                    .to_string();
                c.insert("aud".into(), json!(aud));
                self.sign(&c, key, &key.kid)?
            }
            "wrong_iss" => {
                let slash = format!("{}/", o.issuer);
                let staging = o.issuer.replace("default", "staging");
                let iss = rng
                    .pick(&[
                        "https://evil.example.net/oauth2/default",
                        slash.as_str(),
                        staging.as_str(),
                    ])
                    .to_string();
                c.insert("iss".into(), json!(iss));
                self.sign(&c, key, &key.kid)?
            }
            "not_yet_valid" => {
                c.insert("nbf".into(), json!(NBF_FAR));
                self.sign(&c, key, &key.kid)?
            }
            "bad_sig_foreign_key" => self.sign(&c, rogue, &key.kid)?,
            "unknown_kid" => self.sign(&c, key, KID_ROGUE)?,
            "bad_sig_tampered" => {
                let token = self.sign(&c, key, &key.kid)?;
                let mut parts = token.split('.');
                let (h, _, s) = (
                    parts.next().unwrap_or(""),
                    parts.next(),
                    parts.next().unwrap_or(""),
                );
                let mut scopes = t.scopes.clone();
                scopes.push("admin".into());
                c.insert("scp".into(), json!(scopes));
                c.remove("scope");
                c.insert("sub".into(), json!(format!("00u{}", rng.token_chars(17))));
                format!(
                    "{h}.{}.{s}",
                    b64::encode(Value::Object(c).to_string().as_bytes())
                )
            }
            "bad_sig_corrupted" => {
                let token = self.sign(&c, key, &key.kid)?;
                let cut = token.rfind('.').unwrap_or(0);
                let mut sig =
                    b64::decode(&token.as_bytes()[cut + 1..]).map_err(|e| format!("{e:?}"))?;
                let i = rng.below(sig.len());
                sig[i] ^= 1 << rng.below(8);
                format!("{}.{}", &token[..cut], b64::encode(&sig))
            }
            "alg_none" => {
                let h = format!(r#"{{"alg":"none","kid":"{}","typ":"JWT"}}"#, key.kid);
                format!(
                    "{}.{}.",
                    b64::encode(h.as_bytes()),
                    b64::encode(Value::Object(c).to_string().as_bytes())
                )
            }
            "alg_hs256_confusion" => {
                let h = format!(r#"{{"alg":"HS256","kid":"{KID_RSA_A}","typ":"JWT"}}"#);
                let input = format!(
                    "{}.{}",
                    b64::encode(h.as_bytes()),
                    b64::encode(Value::Object(c).to_string().as_bytes())
                );
                // Keyed with the RSA public key as published: the classic confusion attack.
                let mac_key = aws_lc_rs::hmac::Key::new(
                    aws_lc_rs::hmac::HMAC_SHA256,
                    self.keys.rsa_a.public_jwk().as_bytes(),
                );
                let tag = aws_lc_rs::hmac::sign(&mac_key, input.as_bytes());
                format!("{input}.{}", b64::encode(tag.as_ref()))
            }
            _ => {
                let good = self.sign(&c, key, &key.kid)?;
                match rng.below(4) {
                    0 => format!("opaque-{}", b64::encode(&rng.bytes(24))),
                    1 => good
                        .rsplit_once('.')
                        .map_or(good.clone(), |(two, _)| two.to_string()),
                    2 => {
                        let rest = good.split_once('.').map_or("", |(_, rest)| rest);
                        format!("{}.{rest}", b64::encode(b"this is not json"))
                    }
                    _ => format!(
                        "{}.{}.{}",
                        b64::encode(&rng.bytes(30)),
                        b64::encode(&rng.bytes(60)),
                        b64::encode(&rng.bytes(40))
                    ),
                }
            }
        })
    }
}

fn write_lines(path: &Path, rows: &[Value]) -> Result<(), String> {
    let mut text = String::new();
    for r in rows {
        let _ = writeln!(text, "{r}");
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a fixture directory at `dir` (created if missing).
pub fn generate(dir: &Path, o: &Options) -> Result<Written, String> {
    if o.events == 0 || (o.mode == Mode::Zipf && o.users == 0) {
        return Err("events (and, for zipf, users) must be at least 1".into());
    }
    if !(0.0..1.0).contains(&o.invalid_frac) || !(0.0..1.0).contains(&o.deny_frac) {
        return Err("fractions must be in [0, 1)".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let keys = Keys {
        rsa_a: SigningKey::generate(KID_RSA_A, Alg::RS256)?,
        rsa_b: SigningKey::generate(KID_RSA_B, Alg::RS256)?,
        ec: SigningKey::generate(KID_EC, Alg::ES256)?,
        rogue_rsa: SigningKey::generate(KID_ROGUE, Alg::RS256)?,
        rogue_ec: SigningKey::generate(KID_ROGUE, Alg::ES256)?,
    };
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    write("jwks.json", jwks([&keys.rsa_a, &keys.rsa_b, &keys.ec]))?;
    let scopes = scope_list(o.scopes);
    let rules = make_rules(&mut Rng::new(o.seed, "rules"), o.rules, &scopes)?;
    let rule_json: Vec<Value> = rules
        .iter()
        .map(|r| json!({"arn": r.arn, "resource": r.resource, "stage": r.stage, "httpVerb": r.verb, "scope": r.scope}))
        .collect();
    write("permissions.json", Value::Array(rule_json).to_string())?;

    let mut rng = Rng::new(
        o.seed,
        if o.mode == Mode::Unique {
            "events:unique"
        } else {
            "events:zipf"
        },
    );
    let clients = (0..8)
        .map(|_| format!("0oa{}", rng.token_chars(17)))
        .collect();
    let minter = Minter {
        options: o,
        keys,
        clients,
    };
    let names: Vec<&str> = INVALID_KINDS.iter().map(|(k, _)| *k).collect();
    let weights: Vec<u32> = INVALID_KINDS.iter().map(|(_, w)| *w).collect();
    let n_invalid = (o.events as f64 * o.invalid_frac).round() as usize;
    let unauthorized = json!({"decision": "unauthorized", "resources": []});
    let (mut events, mut expected, mut meta) = (Vec::new(), Vec::new(), Vec::new());
    let mut emit = |rng: &mut Rng, token: String, want: Value, kind: &str| {
        events.push(json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": method_arn(rng, &rules)}));
        meta.push(json!({"i": expected.len(), "kind": kind, "decision": want["decision"]}));
        expected.push(want);
    };
    match o.mode {
        Mode::Unique => {
            let n_deny = (o.events as f64 * o.deny_frac).round() as usize;
            let mut cats: Vec<u8> = [
                vec![0u8; n_invalid],
                vec![1; n_deny],
                vec![2; o.events.saturating_sub(n_invalid + n_deny)],
            ]
            .concat();
            rng.shuffle(&mut cats);
            if let Some(j) = cats.iter().position(|c| *c == 2) {
                cats.swap(0, j); // event 0, the cold-start probe: a valid RS256 allow
            }
            for (i, cat) in cats.into_iter().enumerate() {
                let t = minter.user(&mut rng, &scopes, cat == 1, i == 0 && cat == 2);
                if cat == 0 {
                    let kind = names[rng.weighted(&weights)];
                    let token = minter.invalid(&mut rng, kind, &t)?;
                    emit(&mut rng, token, unauthorized.clone(), kind);
                } else {
                    let want = expected_for(&t.scopes, &rules);
                    let token = minter.valid(&mut rng, &t)?;
                    let kind = format!("valid_{}", want["decision"].as_str().unwrap_or(""));
                    emit(&mut rng, token, want, &kind);
                }
            }
        }
        Mode::Zipf => {
            let mut pool = Vec::with_capacity(o.users);
            for k in 0..o.users {
                let deny = k != 0 && rng.unit() < o.deny_frac;
                let t = minter.user(&mut rng, &scopes, deny, k == 0);
                let token = minter.valid(&mut rng, &t)?;
                pool.push((expected_for(&t.scopes, &rules), token, t));
            }
            let mut cdf: Vec<f64> = (1..=o.users)
                .map(|i| 1.0 / (i as f64).powf(o.zipf_s))
                .collect();
            let total: f64 = cdf.iter().sum();
            let mut acc = 0.0;
            for w in &mut cdf {
                acc += *w / total;
                *w = acc;
            }
            let mut invalid_at: Vec<usize> = (1..o.events).collect();
            rng.shuffle(&mut invalid_at);
            invalid_at.truncate(n_invalid.min(o.events - 1));
            invalid_at.sort_unstable();
            for i in 0..o.events {
                let k = if i == 0 {
                    0
                } else {
                    cdf.partition_point(|c| *c < rng.unit()).min(o.users - 1)
                };
                let (want, token, t) = &pool[k];
                if invalid_at.binary_search(&i).is_ok() {
                    let kind = names[rng.weighted(&weights)];
                    let token = minter.invalid(&mut rng, kind, t)?;
                    emit(&mut rng, token, unauthorized.clone(), kind);
                } else {
                    let kind = format!("valid_{}", want["decision"].as_str().unwrap_or(""));
                    emit(&mut rng, token.clone(), want.clone(), &kind);
                }
            }
        }
    }
    write_lines(&dir.join("events.jsonl"), &events)?;
    write_lines(&dir.join("expected.jsonl"), &expected)?;
    write_lines(&dir.join("meta.jsonl"), &meta)?;
    let mut decisions = [0usize; 3];
    for e in &expected {
        match e["decision"].as_str() {
            Some("allow") => decisions[0] += 1,
            Some("deny") => decisions[1] += 1,
            _ => decisions[2] += 1,
        }
    }
    let distinct: std::collections::HashSet<&str> = events
        .iter()
        .filter_map(|e| e["authorizationToken"].as_str())
        .collect();
    let config = json!({
        "issuer": o.issuer, "audience": o.audience, "now": o.now, "leeway": o.leeway,
        "algorithms": ["RS256", "ES256"], "generator": "scopegate testkit::fixture",
        "mode": if o.mode == Mode::Unique { "unique" } else { "zipf" }, "seed": o.seed,
        "events": o.events, "rules": rules.len(), "scopes": scopes,
        "distinct_tokens": distinct.len(),
        "decisions": {"allow": decisions[0], "deny": decisions[1], "unauthorized": decisions[2]},
    });
    write(
        "config.json",
        serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?,
    )?;
    Ok(Written {
        events: o.events,
        distinct_tokens: distinct.len(),
        decisions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_picks_the_same_rules_and_scopes() {
        let scopes = scope_list(20);
        let a = make_rules(&mut Rng::new(7, "rules"), 50, &scopes).unwrap();
        let b = make_rules(&mut Rng::new(7, "rules"), 50, &scopes).unwrap();
        let arns = |r: &[Rule]| r.iter().map(Rule::resource_arn).collect::<Vec<_>>();
        assert_eq!(arns(&a), arns(&b));
        let mut unique = arns(&a);
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 50, "every rule's Resource is distinct");
    }

    #[test]
    fn expected_decisions_come_from_the_rules_alone() {
        let rules = vec![Rule {
            arn: APIS[0],
            resource: "orders".into(),
            stage: "prod",
            verb: "GET",
            scope: "orders.read".into(),
        }];
        assert_eq!(
            expected_for(&["orders.read".into()], &rules)["decision"],
            "allow"
        );
        assert_eq!(expected_for(&["openid".into()], &rules)["decision"], "deny");
    }
}
