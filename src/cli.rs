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
    /// Audit directory exports, session archives and operation logs for
    /// cross-organisation access (shared identities, rebinding then
    /// new-device logins, shared addresses, switch bursts…).
    Access(AccessArgs),
    /// Write a sanitized copy of the inputs, each file in its own format and
    /// encoding, with every identifier replaced; then rescan the copy.
    Redact(RedactArgs),
    /// List or check the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the keyed fingerprint of each value read from standard input
    /// (one per line), for allowlists; the values are never printed.
    Fingerprint {
        /// Kind of the values (`cn_mobile`, `cn_resident_id`, `bank_card`,
        /// `email`…): fingerprints are per kind.
        #[arg(long)]
        kind: String,
        /// Key for the HMAC-SHA256 fingerprints (also read from
        /// LEAKSWEEP_FINGERPRINT_KEY); use the key you scan with.
        #[arg(long, value_name = "KEY", hide_default_value = true)]
        fingerprint_key: Option<String>,
    },
}

/// Where rules and the config file come from (`scan`, `rules list`,
/// `rules check`).
#[derive(Debug, Args, Default, Clone)]
pub struct RuleArgs {
    /// Config file (also read from LEAKSWEEP_CONFIG); default:
    /// `.leaksweep.toml` in the first scanned folder, or the current one.
    #[arg(long, value_name = "FILE", env = "LEAKSWEEP_CONFIG")]
    pub config: Option<PathBuf>,

    /// Read no config file at all.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Extra rule file, or folder of `*.toml` rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Turn a rule off (repeatable).
    #[arg(long, value_name = "ID")]
    pub disable_rule: Vec<String>,

    /// Turn on a rule its file marks `enabled = false` (repeatable).
    #[arg(long, value_name = "ID")]
    pub enable_rule: Vec<String>,
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

    /// Fail (exit 1, or --exit-code) when a finding has at least this
    /// confidence [default: medium; also LEAKSWEEP_FAIL_ON].
    #[arg(long, value_enum, env = "LEAKSWEEP_FAIL_ON", hide_env = true)]
    pub fail_on: Option<FailOn>,

    /// Do not report findings below this confidence [default: low; also
    /// LEAKSWEEP_MIN_CONFIDENCE].
    #[arg(long, value_enum, env = "LEAKSWEEP_MIN_CONFIDENCE", hide_env = true)]
    pub min_confidence: Option<MinConfidence>,

    /// Exit code when findings reach --fail-on: 1 or 3–125 (errors always
    /// exit 2) [default: 1; also LEAKSWEEP_EXIT_CODE].
    #[arg(long, value_name = "N", env = "LEAKSWEEP_EXIT_CODE", hide_env = true)]
    pub exit_code: Option<u8>,

    /// Rules and config file.
    #[command(flatten)]
    pub rule_args: RuleArgs,

    /// Leave out paths matching this gitignore-style pattern inside scanned
    /// folders (repeatable); files named on the command line are always read.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not read `.leaksweepignore` files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Exit 2 when any input was skipped or only partially scanned.
    #[arg(long)]
    pub strict: bool,

    /// Follow symbolic links that lead out of a scanned folder (links that
    /// stay inside it are always followed; loops are detected).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Report only findings not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write this run's findings to FILE as a baseline (rule, path and
    /// fingerprint; no raw value, no line number).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

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

    /// Largest file read; larger ones are skipped with their size.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub max_file_size: u64,

    /// Deepest JSON nesting walked into fields (1–512); deeper JSON is
    /// scanned as text (nothing is lost, only the key context).
    #[arg(long, value_name = "N", default_value_t = 128,
          value_parser = clap::value_parser!(u16).range(1..=512))]
    pub max_json_depth: u16,

    /// Scan files of no recognised binary format as bytes instead of
    /// skipping them.
    #[arg(long)]
    pub include_binary: bool,

    /// Target chunk size in bytes (tuning and tests).
    #[arg(long, hide = true, default_value_t = crate::source::DEFAULT_CHUNK_SIZE)]
    pub chunk_size: usize,

    /// Most distinct values counted exactly, in all; past it the largest
    /// counts become estimates (tests: the default keeps memory flat).
    #[arg(long, hide = true, default_value_t = crate::report::distinct::BUDGET)]
    pub distinct_budget: usize,

    /// Scan every line fully instead of only those the line gate keeps
    /// (tests and benchmarks: the output must not change).
    #[arg(long, hide = true)]
    pub no_line_gate: bool,

    /// Who reads regular files of lines longer than a chunk: a reader
    /// thread, or the workers themselves, each pulling the next chunk into
    /// the buffer it has just scanned (`auto`: the workers when there are
    /// as many of them as cores, so no reader thread competes with them for
    /// one). Shorter files are read by the reader thread either way.
    #[arg(long, hide = true, value_enum, default_value_t = ReaderMode::Auto)]
    pub reader: ReaderMode,

    /// Read files of JSON lines with `read` instead of memory-mapping them.
    /// When the workers read (as many workers as cores), a regular file of
    /// JSON lines is scanned in a memory map, which spares copying every
    /// byte; but a mapped file that another process truncates during the
    /// scan crashes it (SIGBUS): use this on files that may be cut while
    /// they are scanned.
    #[arg(long)]
    pub no_mmap: bool,
}

/// Who reads regular files of lines (see `ScanArgs::reader`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReaderMode {
    /// The workers when `--jobs` is at least the number of cores.
    Auto,
    /// A reader thread beside the workers.
    Thread,
    /// The workers.
    Workers,
}

/// How `redact` replaces values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RedactMode {
    /// The report's masking conventions (`138****1234`).
    Mask,
    /// A keyed, consistent pseudonym (`[cn_mobile:7f3a91c2d4e5]`): the same
    /// value always gives the same token.
    Token,
    /// The kind alone (`[cn_mobile]`).
    Remove,
}

/// Arguments of `leaksweep redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Files or folders to redact (folders recursively).
    #[arg(required = true)]
    pub paths: Vec<String>,

    /// Output folder (created; must not be inside an input folder).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// How values are replaced.
    #[arg(long, value_enum, default_value_t = RedactMode::Mask)]
    pub mode: RedactMode,

    /// Replace matches of at least this confidence [default: low].
    #[arg(long, value_enum, env = "LEAKSWEEP_MIN_CONFIDENCE", hide_env = true)]
    pub min_confidence: Option<MinConfidence>,

    /// The rescan of the copy fails (exit 1) on a finding of at least this
    /// confidence [default: medium].
    #[arg(long, value_enum, env = "LEAKSWEEP_FAIL_ON", hide_env = true)]
    pub fail_on: Option<FailOn>,

    /// Key for fingerprints and `token` pseudonyms (also read from
    /// LEAKSWEEP_FINGERPRINT_KEY); the same key gives the same tokens.
    #[arg(long, value_name = "KEY", hide_default_value = true)]
    pub fingerprint_key: Option<String>,

    /// Rules and config file.
    #[command(flatten)]
    pub rule_args: RuleArgs,

    /// Leave out paths matching this gitignore-style pattern (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not read `.leaksweepignore` files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Target chunk size in bytes (tuning and tests).
    #[arg(long, hide = true, default_value_t = crate::source::DEFAULT_CHUNK_SIZE)]
    pub chunk_size: usize,
}

/// Arguments of `leaksweep access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Files or folders to audit (folders recursively). A file belongs to
    /// the organisation named by its folder, unless --org says otherwise or
    /// a row names its own (企业简称, corpid).
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Inputs under PATH belong to organisation NAME (repeatable).
    #[arg(long = "org", value_name = "NAME=PATH")]
    pub orgs: Vec<String>,

    /// Fail (exit 1, or --exit-code) on a finding of at least this
    /// severity [default: medium; also LEAKSWEEP_FAIL_ON].
    #[arg(long, value_enum, env = "LEAKSWEEP_FAIL_ON", hide_env = true)]
    pub fail_on: Option<FailOn>,

    /// Exit code when findings reach --fail-on: 1 or 3–125 [default: 1;
    /// also LEAKSWEEP_EXIT_CODE].
    #[arg(long, value_name = "N", env = "LEAKSWEEP_EXIT_CODE", hide_env = true)]
    pub exit_code: Option<u8>,

    /// Key for the HMAC-SHA256 fingerprints of identities (also read from
    /// LEAKSWEEP_FINGERPRINT_KEY); the same key as `scan` gives the same
    /// fingerprints.
    #[arg(long, value_name = "KEY", hide_default_value = true)]
    pub fingerprint_key: Option<String>,

    /// Config file (also read from LEAKSWEEP_CONFIG); its `[access]` table
    /// sets the thresholds below.
    #[arg(long, value_name = "FILE", env = "LEAKSWEEP_CONFIG")]
    pub config: Option<PathBuf>,

    /// Read no config file at all.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Rule 3: a new-device login this soon after a rebinding fires
    /// [default: 24h].
    #[arg(long, value_name = "DURATION")]
    pub rebind_window: Option<String>,

    /// Rule 4: window for logins from one address [default: 10m].
    #[arg(long, value_name = "DURATION")]
    pub ip_window: Option<String>,

    /// Rule 4: more accounts than this on one address within the window
    /// fire [default: 5].
    #[arg(long, value_name = "N")]
    pub ip_max_accounts: Option<usize>,

    /// Rule 5: this many switches within the window fire [default: 3].
    #[arg(long, value_name = "N")]
    pub switch_min: Option<usize>,

    /// Rule 5: window for switches, and for messages after a switch
    /// [default: 1h].
    #[arg(long, value_name = "DURATION")]
    pub switch_window: Option<String>,

    /// Rule 8: a file with the entries of at least this many distinct
    /// people fires [default: 1000].
    #[arg(long, value_name = "N")]
    pub bulk_min: Option<u64>,

    /// Colour the human report.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub color: When,
}

/// `leaksweep rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules.
    List {
        /// `table` or `json` (with every field, examples included).
        #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
        format: String,
        /// Rules and config file.
        #[command(flatten)]
        rule_args: RuleArgs,
    },
    /// Compile the rules and run every example and negative example
    /// through the real detector.
    Check {
        /// Rule files or folders to check with the built-ins (as --rules).
        files: Vec<PathBuf>,
        /// Rules and config file.
        #[command(flatten)]
        rule_args: RuleArgs,
    },
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
