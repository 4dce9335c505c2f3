//! `scopegate-lab`: the TTL lab. Subcommands are dispatched to their modules;
//! each parses its own flags (`scopegate-lab SUBCOMMAND --help`).

use std::process::ExitCode;

const USAGE: &str = "usage: scopegate-lab <sweep|serve|live|fixture> [--help]
  sweep   simulate a traffic scenario for each authorizer-cache TTL and report invocations, cost, latency and exposure
  serve   run a local API Gateway emulator with an embedded development identity provider
  live    drive real HTTP traffic against `serve` for each TTL and compare with what `sweep` predicts
  fixture write a fixture directory (contract §6) for `scopegate replay --fixture`";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let result = match command.as_deref() {
        Some("sweep") => scopegate_lab::sweep::main(&rest),
        Some("serve") => scopegate_lab::serve::main(&rest),
        Some("live") => scopegate_lab::live::main(&rest),
        Some("fixture") => scopegate_lab::fixture::main(&rest),
        Some(scopegate_lab::measure::INIT_PROBE) => scopegate_lab::measure::init_probe(),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown subcommand `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scopegate-lab: {message}");
            ExitCode::from(2)
        }
    }
}
