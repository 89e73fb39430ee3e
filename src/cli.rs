//! The command line (clap derive). Doc comments here are the `--help`
//! text; flags are validated into [`crate::scan::ScanConfig`] by
//! [`crate::app`].

use crate::finding::Confidence;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find exposed personal identifiers (ID numbers, mobiles, bank cards,
/// WeCom secrets…) in chat archives and directory exports, and report them
/// masked: leaksweep never prints a raw value.
#[derive(Debug, Parser)]
#[command(name = "leaksweep", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, folders or standard input for exposed identifiers.
    Scan(ScanArgs),
    /// List or check the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped by file, coloured on a terminal, with a summary.
    Human,
    /// One JSON document (findings, skipped inputs, summary).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// The `--fail-on` gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail on any finding.
    Low,
    /// Fail on medium- or high-confidence findings.
    Medium,
    /// Fail on high-confidence findings only.
    High,
    /// Never fail because of findings.
    Never,
}

impl FailOn {
    /// The lowest confidence that fails the scan, if any.
    pub fn threshold(self) -> Option<Confidence> {
        match self {
            FailOn::Low => Some(Confidence::Low),
            FailOn::Medium => Some(Confidence::Medium),
            FailOn::High => Some(Confidence::High),
            FailOn::Never => None,
        }
    }
}

/// `--min-confidence` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MinConfidence {
    /// Report everything.
    Low,
    /// Report medium and high.
    Medium,
    /// Report high only.
    High,
}

impl From<MinConfidence> for Confidence {
    fn from(m: MinConfidence) -> Self {
        match m {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        }
    }
}

/// `auto | always | never` switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum When {
    /// Decide from whether the stream is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `leaksweep scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan (folders recursively, skipping `.git`);
    /// `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Exit 1 when a finding has at least this confidence.
    #[arg(long, value_enum, default_value_t = FailOn::Medium)]
    pub fail_on: FailOn,

    /// Do not report findings below this confidence.
    #[arg(long, value_enum, default_value_t = MinConfidence::Low)]
    pub min_confidence: MinConfidence,

    /// Key for the HMAC-SHA256 fingerprints of values (also read from
    /// LEAKSWEEP_FINGERPRINT_KEY). Without one, a public built-in key is
    /// used and fingerprints can be brute-forced.
    #[arg(long, value_name = "KEY", hide_default_value = true)]
    pub fingerprint_key: Option<String>,

    /// Show a progress bar on stderr.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub progress: When,

    /// Colour the human report.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub color: When,

    /// How many archives may nest inside each other (`a.zip!b.tar.gz!c.csv`
    /// is two).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: u32,

    /// Most bytes decompressed from one input, all its nested archives
    /// included; beyond it entries are skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 30)]
    pub max_decompressed_bytes: u64,

    /// Largest decompressed/compressed ratio of an archive entry (zip-bomb
    /// guard).
    #[arg(long, value_name = "RATIO", default_value_t = 200)]
    pub max_compression_ratio: u64,

    /// Most entries read from one archive.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_archive_entries: u64,

    /// Scan files of no recognised binary format as bytes instead of
    /// skipping them.
    #[arg(long)]
    pub include_binary: bool,

    /// Target chunk size in bytes (tuning and tests).
    #[arg(long, hide = true, default_value_t = 1 << 20)]
    pub chunk_size: usize,

    /// Scan every line fully instead of only those the line gate keeps
    /// (tests and benchmarks: the output must not change).
    #[arg(long, hide = true)]
    pub no_line_gate: bool,
}

/// `leaksweep rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules.
    List {
        /// `table` or `json` (with every field, examples included).
        #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Compile the rules and run every example and negative example
    /// through the real detector.
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_is_documented() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            for arg in sub.get_arguments() {
                if arg.is_hide_set() {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{} --{} has no help",
                    sub.get_name(),
                    arg.get_id()
                );
            }
        }
    }
}
