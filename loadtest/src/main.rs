//! `scopegate-lab`: the TTL lab. The command line is `cli::Cli`; each
//! subcommand's options live beside the code that runs it.

use clap::Parser as _;
use scopegate_lab::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // The INIT probe is the lab measuring its own start-up: no parsing.
    if std::env::args().nth(1).as_deref() == Some(scopegate_lab::measure::INIT_PROBE) {
        return match scopegate_lab::measure::init_probe() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sweep(args) => scopegate_lab::sweep::main(args),
        Command::Serve(args) => scopegate_lab::serve::main(args),
        Command::Live(args) => scopegate_lab::live::main(args),
        Command::Fixture(args) => scopegate_lab::fixture::main(args),
        Command::Calibrate(args) => scopegate_lab::calibrate::main(&args),
        Command::Export(args) => scopegate_lab::export::main(&args),
        Command::Completions { shell } => {
            scopegate_lab::cli::completions(shell);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("scopegate-lab: {message}");
    ExitCode::from(2)
}
