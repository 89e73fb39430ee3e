//! Exit codes, in one place. CI systems rely on them: `1` means "findings
//! at or above the gate", `2` means "leaksweep could not do its job" (bad
//! usage, an unwritable report, broken rules), never "found something".

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// No finding at or above `--fail-on`.
    Clean = 0,
    /// At least one finding at or above `--fail-on`.
    Findings = 1,
    /// Usage error or fatal error (also what clap uses for bad flags).
    Error = 2,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}
