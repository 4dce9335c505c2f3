//! The `scopegate` binary: the Lambda function by default (`bootstrap` on
//! `provided.al2023`), or, with the `replay` feature (on by default),
//! `scopegate replay …` to run captured events offline.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let code = match args.next() {
        #[cfg(feature = "replay")]
        Some(cmd) if cmd == "replay" => scopegate::replay::main(args),
        #[cfg(feature = "replay")]
        Some(cmd) if cmd == "explain" => scopegate::explain::main(args),
        Some(cmd) if cmd == "--help" || cmd == "-h" => {
            println!(
                "usage: scopegate            run as an AWS Lambda authorizer (configured by SCOPEGATE_* variables)"
            );
            if cfg!(feature = "replay") {
                println!(
                    "       scopegate replay …   replay captured events offline (scopegate replay --help)"
                );
                println!(
                    "       scopegate explain …  why a token gets its answer, check by check (scopegate explain --help)"
                );
            }
            0
        }
        Some(other) => {
            eprintln!(
                "scopegate: unknown command `{}` (try --help)",
                other.display()
            );
            2
        }
        None => scopegate::lambda::run(),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}
