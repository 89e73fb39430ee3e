//! Reporting: the last room of the pipeline. A [`Reporter`] receives
//! findings already masked and in a deterministic order, and writes one
//! format. It never scans and never sees a raw value. Each format lives in
//! its own file behind the one trait; the documents (JSON, SARIF) are
//! streamed so that memory stays flat however many findings there are.

use crate::finding::{Finding, Severity, Skipped};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io;

pub mod access;
pub mod distinct;
pub mod finding_json;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod sarif;

/// What every report states about the run before any finding.
#[derive(Clone, Debug, Serialize)]
pub struct RunMeta {
    /// `leaksweep`.
    pub tool: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// Where the fingerprint key came from: `flag`, `env` or `builtin`.
    pub fingerprint_key: &'static str,
    /// The rules that were active, in rule-file order.
    pub rules: Vec<RuleMeta>,
}

/// A rule as reports describe it (SARIF `reportingDescriptor`, `rules list`).
#[derive(Clone, Debug, Serialize)]
pub struct RuleMeta {
    /// Stable rule id.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// Kind of identifier the rule finds.
    pub kind: String,
    /// One-paragraph description.
    pub description: String,
    /// Severity of a finding of this rule.
    pub severity: Severity,
}

/// Counts for one kind of identifier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// Number of findings.
    pub findings: u64,
    /// Number of distinct values (distinct fingerprints).
    pub distinct: u64,
    /// `distinct` is an estimate (about 1% off): the scan held more
    /// distinct values than it keeps in memory (see [`distinct`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distinct_estimated: bool,
}

/// Totals for the whole run, given to [`Reporter::finish`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Inputs scanned (fully).
    pub inputs_scanned: u64,
    /// Inputs not scanned (see the `skipped` list).
    pub inputs_skipped: u64,
    /// Inputs scanned in part: reading broke off (see the `partial` list,
    /// which says where and why).
    pub inputs_partial: u64,
    /// Files and folders left out by exclude patterns (`--exclude`, the
    /// config file, `.leaksweepignore`).
    pub inputs_excluded: u64,
    /// Bytes read from the scanned inputs.
    pub bytes_scanned: u64,
    /// Lines of JSON-lines inputs that were not valid JSON (scanned as
    /// text).
    pub malformed_json_lines: u64,
    /// Findings reported (after the `--min-confidence` filter).
    pub findings: u64,
    /// Findings not reported because an allowlist or the baseline covers
    /// them, by reason.
    pub suppressed: crate::policy::Suppressed,
    /// Per kind: findings and distinct values. Sorted by kind.
    pub by_kind: BTreeMap<String, KindCount>,
    /// Findings per confidence (`low`, `medium`, `high`).
    pub by_confidence: BTreeMap<String, u64>,
    /// Findings per severity (`low` … `critical`).
    pub by_severity: BTreeMap<String, u64>,
    /// Table columns (CSV, XLSX) that hold identifiers: per file and
    /// header, how many values and how many distinct people they expose.
    /// Sorted by path, then header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnCount>,
    /// Wall-clock time of the scan, in milliseconds.
    pub elapsed_ms: u64,
    /// The scan was stopped (Ctrl-C) before every input was read; the
    /// report holds what was scanned until then.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

/// Identifiers found under one column header of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ColumnCount {
    /// Display path of the file (or container entry).
    pub path: String,
    /// Column header (masked like every other string).
    pub header: String,
    /// Kinds found in the column, sorted.
    pub kinds: Vec<String>,
    /// Findings in the column.
    pub findings: u64,
    /// Distinct values (distinct fingerprints): the people it exposes.
    pub distinct: u64,
    /// `distinct` is an estimate (see [`KindCount::distinct_estimated`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distinct_estimated: bool,
}

/// Turns one finding into a format's bytes. The scan driver runs it on its
/// worker threads, ahead of the reporter, so that an input dense with
/// findings (a directory export holds several per row) is not bound by one
/// thread serializing them.
pub type Render = fn(&Finding, &mut Vec<u8>);

/// One report format. Calls arrive in this order: `begin`, then any mix of
/// `finding` and `skipped` (findings ordered by input, then position), then
/// `finish` exactly once.
pub trait Reporter {
    /// Starts the report (headers, document openings).
    fn begin(&mut self, meta: &RunMeta) -> io::Result<()>;
    /// Writes or buffers one finding.
    fn finding(&mut self, finding: &Finding) -> io::Result<()>;
    /// The renderer that may run ahead of [`Reporter::finding_rendered`],
    /// for formats that write each finding as it comes; `None` (the
    /// default) for those that gather findings first.
    fn render(&self) -> Option<Render> {
        None
    }
    /// Writes a finding that [`Reporter::render`]'s function turned into
    /// `bytes`; the same output as [`Reporter::finding`] on it. Only the
    /// bytes come: the scan driver counts the findings it rendered ahead
    /// and drops them on the worker that made them, rather than sending
    /// each to the reporter's thread. A format that renders ahead must
    /// implement it; by default it is an error.
    fn finding_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        let _ = bytes;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this report format does not take findings rendered ahead",
        ))
    }
    /// Writes findings in a row that [`Reporter::render`]'s function
    /// turned into `bytes`, one after another (finding `i` ends at
    /// `ends[i]`); the same output as [`Reporter::finding_rendered`] on
    /// each. A format whose rendered findings simply follow each other
    /// writes them in one go: a chunk's worth of a directory export's
    /// findings is megabytes, which a buffered writer then passes on
    /// without copying it first.
    fn findings_rendered(&mut self, bytes: &[u8], ends: &[usize]) -> io::Result<()> {
        let mut from = 0;
        for &to in ends {
            self.finding_rendered(&bytes[from..to])?;
            from = to;
        }
        Ok(())
    }
    /// Records an input that was not scanned.
    fn skipped(&mut self, skipped: &Skipped) -> io::Result<()>;
    /// Records an input that was scanned in part (`reason` says where
    /// reading stopped and why). By default listed with the skipped ones.
    fn partial(&mut self, partial: &Skipped) -> io::Result<()> {
        self.skipped(partial)
    }
    /// Ends the report with the run's totals and flushes the writer.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}
