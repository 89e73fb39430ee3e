//! The `leaksweep` binary: parses the command line and hands over to
//! [`leaksweep::app`].

use clap::Parser;
use leaksweep::cli::Cli;
use leaksweep::exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    // A panic message can quote the text it choked on (a str slicing panic
    // prints the string): print where it happened, never its payload.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "leaksweep: internal error at {at} (the message is withheld: it may quote scanned data); please report it"
        );
    }));
    let cli = Cli::parse();
    match leaksweep::app::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("leaksweep: error: {e:#}");
            ExitCode::Error.into()
        }
    }
}
