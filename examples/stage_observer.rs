//! A 20-line `Observer`: how long one authorization spent before and after
//! its signature check, with nothing recorded anywhere else. The handler
//! calls each hook once as it passes that stage; `()` observes nothing.
//!
//!     cargo run --example stage_observer

use scopegate::testkit::mint::{self, SigningKey};
use scopegate::{Authorizer, Config, Observer};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Time from the start to each boundary the pipeline passed.
struct Stopwatch {
    start: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Observer for Stopwatch {
    fn extracted(&mut self) {
        self.laps.push(("token extracted", self.start.elapsed()));
    }
    fn memo_looked_up(&mut self, hit: bool) {
        let lap = if hit { "memo hit" } else { "memo miss" };
        self.laps.push((lap, self.start.elapsed()));
    }
    fn verified(&mut self, _wrong_type_sources: u8) {
        self.laps
            .push(("signature and claims checked", self.start.elapsed()));
    }
    fn mapped(&mut self, _policy_memo_hit: bool) {
        self.laps.push(("policy ready", self.start.elapsed()));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SigningKey::generate("k1", scopegate::jose::Alg::RS256)?;
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";
    let settings = HashMap::from([
        (
            "SCOPEGATE_ISSUER".to_string(),
            "https://idp.example".to_string(),
        ),
        ("SCOPEGATE_AUDIENCE".to_string(), "api://orders".to_string()),
        ("SCOPEGATE_JWKS".to_string(), mint::jwks([&key])),
        (
            "SCOPEGATE_PERMISSIONS".to_string(),
            format!(
                r#"[{{"arn":"{arn}","resource":"orders","stage":"prod","httpVerb":"GET","scope":"orders.read"}}]"#
            ),
        ),
    ]);
    let authorizer = Authorizer::from_config(&Config::from_strings(&settings)?)?;
    let now = scopegate::clock::now();
    let token = key.sign(&format!(
        r#"{{"iss":"https://idp.example","aud":"api://orders","sub":"bob","exp":{},"scp":["orders.read"]}}"#,
        now + 60.0
    ))?;
    let event = format!(
        r#"{{"type":"TOKEN","authorizationToken":"Bearer {token}","methodArn":"{arn}/prod/GET/orders"}}"#
    );
    for round in ["first (verifies)", "second (memo)"] {
        let mut watch = Stopwatch {
            start: Instant::now(),
            laps: Vec::new(),
        };
        let decision = authorizer
            .handle_observed(&event, now, &mut watch)?
            .decision;
        println!("{round}: {decision:?}");
        for (lap, at) in &watch.laps {
            println!("  {at:>10.1?}  {lap}");
        }
    }
    Ok(())
}
