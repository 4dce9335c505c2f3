//! `scopegate explain`: why a real token gets the answer it gets. Given the
//! function's configuration (its environment, plus `--set VAR=VALUE`) and
//! a token (argument or stdin), it prints the unverified header, the claim
//! *names*, the issuer the token routes to, each check in order with its
//! verdict, what each scope source produced, the rules they grant, and the
//! decision the real handler gives, with its reason code. It never prints
//! the signature, a claim value other than scopes, or a secret.
//! `scopegate explain --config` prints each issuer's effective settings.

mod checks;
mod settings;

pub use checks::{Explanation, explain};
pub use settings::describe_config;

use crate::clock;
use crate::config::{Config, Env, Strings};
use crate::handler::Authorizer;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read as _;

const USAGE: &str = "usage: scopegate explain [--set VAR=VALUE]... [--now UNIX_SECONDS] [TOKEN | -]
       scopegate explain [--set VAR=VALUE]... --config
  TOKEN (or `Bearer TOKEN`) from the argument, or stdin when absent or `-`;
  settings from the environment, each --set overriding one;
  prints each check with its verdict and the decision; never the signature or a secret";

/// Settings given with `--set`, over the process environment.
struct Layered(HashMap<String, String>);

impl Strings for Layered {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned().or_else(|| Env.get(name))
    }

    fn names(&self) -> Vec<String> {
        let mut names = Env.names();
        names.extend(self.0.keys().cloned());
        names
    }
}

/// Runs `scopegate explain`; returns the process exit code (0 explained,
/// 1 the token is refused, 2 a usage or configuration error).
pub fn main(args: impl Iterator<Item = OsString>) -> i32 {
    match run(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("scopegate explain: {message}");
            2
        }
    }
}

fn run(args: impl Iterator<Item = OsString>) -> Result<i32, String> {
    let mut settings = HashMap::new();
    let (mut token, mut config_only, mut now) = (None, false, None);
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let flag = match arg {
            lexopt::Arg::Long(name) => format!("--{name}"),
            lexopt::Arg::Short('h') => "--help".to_string(),
            lexopt::Arg::Short(c) => return Err(format!("unknown flag -{c}\n{USAGE}")),
            lexopt::Arg::Value(v) => {
                if token.is_some() {
                    return Err(format!("give one token\n{USAGE}"));
                }
                token = Some(
                    v.into_string()
                        .map_err(|_| "an argument is not UTF-8".to_string())?,
                );
                continue;
            }
        };
        let mut value = || -> Result<String, String> {
            parser
                .value()
                .map_err(|_| format!("{flag} needs a value"))?
                .into_string()
                .map_err(|_| format!("{flag}: not UTF-8"))
        };
        match flag.as_str() {
            "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            "--config" => config_only = true,
            "--set" => {
                let v = value()?;
                let (var, val) = v
                    .split_once('=')
                    .ok_or(format!("--set: `{v}` is not VAR=VALUE"))?;
                settings.insert(var.to_string(), val.to_string());
            }
            "--now" => {
                let v = value()?;
                now = Some(
                    v.parse::<f64>()
                        .map_err(|_| format!("--now: `{v}` is not Unix seconds"))?,
                );
            }
            f => return Err(format!("unknown flag {f}\n{USAGE}")),
        }
    }
    let src = Layered(settings);
    let config = Config::from_strings(&src).map_err(|e| format!("configuration error: {e}"))?;
    if config_only {
        print!("{}", describe_config(&config, &src));
        return Ok(0);
    }
    let token = match token.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            text.trim().to_string()
        }
        Some(t) => t.to_string(),
    };
    let authorizer = Authorizer::from_config(&config).map_err(|e| e.to_string())?;
    let explained = explain(&authorizer, &token, now.unwrap_or_else(clock::now));
    print!("{}", explained.report);
    Ok(i32::from(explained.handler.refused()))
}
