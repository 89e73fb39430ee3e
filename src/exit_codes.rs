//! Exit codes, in one place. CI systems rely on them: `1` means "findings
//! at or above the gate", `2` means "leaksweep could not do its job" (bad
//! usage, an unwritable report, broken rules), never "found something".

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// No finding at or above `--fail-on`.
    Clean,
    /// At least one finding at or above `--fail-on`: 1, or the
    /// `--exit-code` the user chose.
    Findings(u8),
    /// Usage error or fatal error (also what clap uses for bad flags).
    Error,
    /// Interrupted (Ctrl-C); the report holds what was scanned: 130, as
    /// shells report a command stopped by SIGINT.
    Interrupted,
}

/// The findings code unless `--exit-code` says otherwise.
pub const FINDINGS: u8 = 1;

/// True when `n` may be chosen as the findings code: not 0 (success), not
/// 2 (errors), and below the codes shells give to signals and missing
/// commands.
pub fn valid_findings_code(n: u8) -> bool {
    n == 1 || (3..=125).contains(&n)
}

impl ExitCode {
    /// The numeric status.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Clean => 0,
            ExitCode::Findings(n) => n,
            ExitCode::Error => 2,
            ExitCode::Interrupted => 130,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}
