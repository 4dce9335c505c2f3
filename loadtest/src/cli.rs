//! The lab's command line: one clap parser for every subcommand, so every
//! option takes `--flag value` and `--flag=value`, values are checked while
//! parsing (the error names the flag), and `--help` shows the defaults.

use crate::calibrate::CalibrateArgs;
use crate::export::ExportArgs;
use crate::fixture::FixtureArgs;
use crate::live::LiveArgs;
use crate::serve::ServeArgs;
use crate::sweep::SweepArgs;
use clap::CommandFactory as _;

/// The scopegate TTL lab: what the API Gateway authorizer cache TTL buys and what it costs.
#[derive(Debug, clap::Parser)]
#[command(name = "scopegate-lab", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Simulate a traffic scenario for each authorizer-cache TTL and report invocations, cost, latency and exposure.
    Sweep(SweepArgs),
    /// Run a local API Gateway emulator with an embedded development identity provider.
    Serve(ServeArgs),
    /// Drive real HTTP traffic against `serve` for each TTL and compare with what `sweep` predicts.
    Live(LiveArgs),
    /// Write a fixture directory (contract §6) for `scopegate replay --fixture`.
    Fixture(FixtureArgs),
    /// Fit the model to API Gateway access logs and write a calibrated scenario.
    Calibrate(CalibrateArgs),
    /// Write a load test that reproduces a scenario against a real API (Locust).
    Export(ExportArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "scopegate-lab", &mut std::io::stdout());
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    /// Issue 24: `serve --ttl 1.5` was accepted while `sweep --ttls 1.5`
    /// was refused; API Gateway takes whole seconds, and so does every flag.
    #[test]
    fn a_ttl_is_read_by_one_rule_everywhere() {
        for args in [
            &["serve", "--ttl", "1.5"][..],
            &["sweep", "--ttls", "1.5"],
            &["live", "--ttls", "0,1.5"],
            &["calibrate", "--access-log", "a.log", "--ttl", "1.5"],
        ] {
            let err =
                Cli::try_parse_from(std::iter::once("scopegate-lab").chain(args.iter().copied()))
                    .unwrap_err()
                    .to_string();
            assert!(
                err.contains("whole number of seconds in 0..=3600"),
                "{args:?}: {err}"
            );
        }
        assert!(Cli::try_parse_from(["scopegate-lab", "serve", "--ttl", "60"]).is_ok());
    }

    /// A valid value for every option of every subcommand. An option added
    /// without a row here fails the test, so the rule covers new ones too.
    const VALUES: &[(&str, &str, &str)] = &[
        ("sweep", "scenario", "spiky"),
        ("sweep", "ttls", "0,60"),
        ("sweep", "out", "report-dir"),
        ("sweep", "duration", "60"),
        ("sweep", "seed", "7"),
        ("sweep", "memory-mb", "256"),
        ("sweep", "arch", "x86_64"),
        ("sweep", "emf-flush", "per-invocation"),
        ("sweep", "max-cost", "100"),
        ("sweep", "min-hit-ratio", "0.8"),
        ("sweep", "max-exposure", "120"),
        ("sweep", "emf-document-bytes", "900"),
        ("sweep", "samples", "20"),
        ("sweep", "traffic-from", "access.log"),
        ("serve", "cache-partitions", "3"),
        ("serve", "access-log", "access.log"),
        ("serve", "invocations-out", "invocations.json"),
        ("calibrate", "access-log", "access.log"),
        ("calibrate", "ttl", "5"),
        ("calibrate", "invocations", "invocations.json"),
        ("calibrate", "token-lifetime", "3600"),
        ("calibrate", "max-partitions", "8"),
        ("calibrate", "out", "calibrated.toml"),
        ("export", "scenario", "spiky"),
        ("export", "host", "https://api.example.com"),
        ("export", "stage", "prod"),
        ("export", "path", "/pets"),
        ("export", "rps", "50"),
        ("export", "duration", "60"),
        ("export", "token-url", "https://idp.example.com/token"),
        ("export", "clients", "clients.csv"),
        ("export", "scope", "pets.read"),
        ("export", "out", "locustfile.py"),
        ("serve", "port", "0"),
        ("serve", "ttl", "60"),
        ("serve", "config", "gateway.toml"),
        ("serve", "authorizer", "request"),
        ("serve", "upstream", "http://127.0.0.1:9000"),
        ("serve", "alg", "RS256"),
        ("serve", "permissions", "s3://bucket/key"),
        ("serve", "permissions-max-age", "30"),
        ("serve", "set", "SCOPEGATE_POLICY_MAX_BYTES=4096"),
        ("live", "scenario", "spiky"),
        ("live", "rps", "100"),
        ("live", "duration", "5"),
        ("live", "ttls", "0,5"),
        ("fixture", "mode", "zipf"),
        ("fixture", "events", "100"),
        ("fixture", "users", "10"),
        ("fixture", "seed", "3"),
        ("fixture", "now", "wall"),
    ];

    /// Positional arguments a subcommand needs before its options parse.
    fn positionals(sub: &str) -> &'static [&'static str] {
        match sub {
            "fixture" => &["fixture-dir"],
            "export" => &["locust"],
            "completions" => &["bash"],
            _ => &[],
        }
    }

    #[test]
    fn every_option_of_every_subcommand_takes_both_forms() {
        let mut checked = 0;
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            for arg in sub.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if !arg.get_action().takes_values() || long == "help" || long == "version" {
                    continue;
                }
                let Some(&(_, _, value)) = VALUES.iter().find(|(s, l, _)| *s == name && *l == long)
                else {
                    panic!("no sample value for `{name} --{long}`");
                };
                // Options a subcommand requires come along with every form tried.
                let required: &[&str] = match name {
                    "calibrate" if long != "access-log" && long != "ttl" => {
                        &["--access-log", "a.log", "--ttl", "5"]
                    }
                    "calibrate" if long == "access-log" => &["--ttl", "5"],
                    "calibrate" => &["--access-log", "a.log"],
                    "export" if long != "host" => &["--host", "http://127.0.0.1:1"],
                    _ => &[],
                };
                let base = ["scopegate-lab", name]
                    .into_iter()
                    .chain(positionals(name).iter().copied())
                    .chain(required.iter().copied());
                let joined = format!("--{long}={value}");
                let separate = format!("--{long}");
                for form in [vec![joined.as_str()], vec![separate.as_str(), value]] {
                    let argv: Vec<&str> = base.clone().chain(form.iter().copied()).collect();
                    if let Err(e) = Cli::try_parse_from(&argv) {
                        panic!("{argv:?}: {e}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, VALUES.len(), "a row of VALUES names no option");
    }

    #[test]
    fn a_bad_value_names_its_flag() {
        let err = Cli::try_parse_from(["scopegate-lab", "serve", "--ttl=7200"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--ttl") && text.contains("0..=3600"),
            "{text}"
        );
        let err = Cli::try_parse_from(["scopegate-lab", "live", "--rps", "0"]).unwrap_err();
        assert!(err.to_string().contains("--rps"), "{err}");
    }

    #[test]
    fn help_shows_defaults() {
        let help = Cli::command()
            .find_subcommand_mut("sweep")
            .map(|c| c.render_long_help().to_string())
            .unwrap();
        assert!(help.contains("[default: steady]"), "{help}");
        assert!(
            help.contains("[default: 0,1,5,15,60,300,900,3600]"),
            "{help}"
        );
    }
}
