//! The `leaksweep` binary: parses the command line and hands over to
//! [`leaksweep::app`].

use clap::Parser;
use leaksweep::cli::Cli;
use leaksweep::exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match leaksweep::app::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("leaksweep: error: {e:#}");
            ExitCode::Error.into()
        }
    }
}
