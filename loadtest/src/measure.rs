//! Measures the real authorizer so the simulator draws from what this
//! build does, not from a guess: handler durations for new, repeated and
//! invalid tokens, and the start-up (INIT) time of a process that builds
//! the authorizer from its configuration.

use crate::identity::{self, Identity, USER_SCOPES};
use crate::sim::Durations;
use scopegate::Authorizer;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The hidden subcommand the INIT probe runs in a child process.
pub const INIT_PROBE: &str = "__init-probe";

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Distinct tokens minted (each verified once per round).
    pub tokens: usize,
    pub rounds: usize,
    /// Process starts timed for INIT.
    pub init_runs: usize,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            tokens: 300,
            rounds: 3,
            init_runs: 7,
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn time(authorizer: &Authorizer, event: &str, now: f64) -> f64 {
    let start = Instant::now();
    let result = authorizer.handle(event, now);
    let elapsed = start.elapsed().as_secs_f64();
    std::hint::black_box(result.is_ok());
    elapsed
}

/// The policy one scope set gets from the real authorizer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicySize {
    /// The scopes (`*` for every scope of the document).
    pub scopes: String,
    /// The complete policy's `policyDocument`, compacted, in bytes.
    pub complete_bytes: usize,
    /// Over `SCOPEGATE_POLICY_MAX_BYTES`: answered per route instead.
    pub per_route: bool,
}

/// The policy sizes of the lab's users and of a token holding every
/// scope, as the authorizer renders them (the lab's gateway evaluates
/// policies up to 8 KB).
pub fn policy_sizes(alg: &str) -> Result<Vec<PolicySize>, String> {
    let authorizer = Identity::new(alg)?.authorizer()?;
    let compiled = authorizer.permissions();
    let size = |scopes: String, bits: scopegate::scopes::Bits| {
        let (grant, _) = compiled.policies.get_or_render(&compiled.table, bits);
        PolicySize {
            scopes,
            complete_bytes: grant.complete_bytes,
            per_route: grant.answer.per_route(),
        }
    };
    let mut sizes: Vec<PolicySize> = USER_SCOPES
        .iter()
        .map(|s| size((*s).to_string(), compiled.table.bits(s.split(' '))))
        .collect();
    sizes.push(size("*".to_string(), compiled.table.all_bits()));
    Ok(sizes)
}

/// Runs the real handler on a sample of tokens like the scenario's.
pub fn handler_durations(alg: &str, plan: Plan) -> Result<Durations, String> {
    let id = Identity::new(alg)?;
    let authorizer = id.authorizer()?;
    let t = now();
    let paths = ["pets", "pets/42", "reports"];
    let mut valid = Vec::with_capacity(plan.tokens);
    let mut invalid = Vec::with_capacity(plan.tokens);
    for i in 0..plan.tokens {
        let scope = USER_SCOPES[i % USER_SCOPES.len()];
        let token = id.mint(&format!("user-{i}"), scope, t - 60.0, t + 3600.0)?;
        valid.push(identity::token_event(&token, "GET", paths[i % paths.len()]));
        // Invalid tokens as they arrive: expired, forged signature, malformed.
        let bad = match i % 3 {
            0 => id.mint(&format!("user-{i}"), scope, t - 7200.0, t - 3600.0)?,
            1 => forge(&token),
            _ => format!("{}.not-a-jws", &token[..token.len() / 2]),
        };
        invalid.push(identity::token_event(&bad, "GET", "pets"));
    }
    // Warm caches and clocks before timing.
    for event in valid.iter().take(50) {
        time(&authorizer, event, t);
    }
    let mut d = Durations {
        new_token: Vec::with_capacity(plan.tokens * plan.rounds),
        repeat_token: Vec::with_capacity(plan.tokens * plan.rounds * 3),
        invalid_token: Vec::with_capacity(plan.tokens * plan.rounds),
        init: Vec::new(),
    };
    for _ in 0..plan.rounds {
        authorizer.clear_memos();
        for event in &valid {
            d.new_token.push(time(&authorizer, event, t));
        }
        for _ in 0..3 {
            for event in &valid {
                d.repeat_token.push(time(&authorizer, event, t));
            }
        }
        for event in &invalid {
            d.invalid_token.push(time(&authorizer, event, t));
        }
    }
    Ok(d)
}

/// Flips one bit of the signature: the token keeps its shape and fails only at the signature check.
fn forge(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 3;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Times `runs` starts of this executable in [`INIT_PROBE`] mode: process
/// start, configuration read from the environment, keys decoded,
/// permissions compiled, exit. Lambda's own sandbox creation is not in it.
pub fn init_durations(alg: &str, runs: usize) -> Result<Vec<f64>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("INIT probe: {e}"))?;
    let id = Identity::new(alg)?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(&exe)
            .arg(INIT_PROBE)
            .envs(id.settings())
            .status()
            .map_err(|e| format!("INIT probe: cannot start {}: {e}", exe.display()))?;
        if !status.success() {
            return Err(format!("INIT probe failed: {status}"));
        }
        samples.push(start.elapsed().as_secs_f64());
    }
    Ok(samples)
}

/// The child side of the INIT probe: what the Lambda binary does at init.
pub fn init_probe() -> Result<(), String> {
    let config =
        scopegate::Config::from_strings(&scopegate::config::Env).map_err(|e| e.to_string())?;
    let authorizer = Authorizer::from_config(&config).map_err(|e| e.to_string())?;
    std::hint::black_box(&authorizer);
    Ok(())
}

/// Sorted copy and a quantile, for summaries.
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_measured() {
        let plan = Plan {
            tokens: 12,
            rounds: 1,
            init_runs: 0,
        };
        let d = handler_durations("ES256", plan).unwrap();
        assert_eq!(d.new_token.len(), 12);
        assert_eq!(d.repeat_token.len(), 36);
        assert_eq!(d.invalid_token.len(), 12);
        assert!(d.new_token.iter().all(|&x| x > 0.0));
    }

    #[test]
    fn forged_tokens_keep_their_shape() {
        let id = Identity::new("ES256").unwrap();
        let token = id.mint("u", "pets.read", 0.0, 1.0).unwrap();
        let forged = forge(&token);
        assert_ne!(forged, token);
        assert_eq!(forged.matches('.').count(), 2);
    }
}
