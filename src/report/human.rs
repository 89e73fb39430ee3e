//! The human format: findings grouped under their input's path, one line
//! each, then the skipped inputs and a summary with a table of kinds. Colour
//! is plain ANSI escapes, written only when asked for. Every text that comes
//! from an input (paths, reasons) has its control and bidirectional-override
//! characters escaped, so a hostile file name cannot move the cursor or
//! reorder what the terminal shows. Like every format, it prints only the
//! masked value of an identifier.

use super::{Reporter, RunMeta, Summary};
use crate::finding::{Finding, Severity, Skipped};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Width of the severity column (`critical` is the longest name).
const SEVERITY_WIDTH: usize = 8;
/// Width of the confidence column (`medium` is the longest name).
const CONFIDENCE_WIDTH: usize = 6;

/// Writes the report for a person at a terminal.
///
/// Findings are written as they arrive, under a header line naming their
/// path each time the path changes (groups after the first are preceded by
/// a blank line). Skipped inputs are kept until [`Reporter::finish`], which
/// lists them in a `skipped:` section before the summary.
///
/// Each call writes a few small pieces: give it a buffered writer (e.g.
/// `io::BufWriter` or a locked stdout) rather than a raw file.
pub struct Human<W: Write> {
    out: W,
    color: bool,
    last_path: Option<Arc<str>>,
    skipped: Vec<Skipped>,
    partial: Vec<Skipped>,
    /// A finding's line, reused.
    text: String,
    /// A finding's record location, reused.
    described: String,
}

impl<W: Write> Human<W> {
    /// A reporter writing to `out`; `color` turns on ANSI colour and bold.
    pub fn new(out: W, color: bool) -> Self {
        Human {
            out,
            color,
            last_path: None,
            skipped: Vec::new(),
            partial: Vec::new(),
            text: String::new(),
            described: String::new(),
        }
    }

    /// Writes one line with trailing spaces and tabs removed.
    fn line(&mut self, text: &str) -> io::Result<()> {
        self.out
            .write_all(text.trim_end_matches([' ', '\t']).as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// `text` wrapped in `style` … reset when colour is on, else as is.
    fn paint(&self, style: &str, text: &str) -> String {
        let mut out = String::new();
        self.paint_into(&mut out, style, text);
        out
    }

    /// [`Self::paint`], appending to `out`.
    fn paint_into(&self, out: &mut String, style: &str, text: &str) {
        if self.color {
            out.push_str(style);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
    }

    fn write_skipped(&mut self) -> io::Result<()> {
        if self.skipped.is_empty() {
            return Ok(());
        }
        let skipped = std::mem::take(&mut self.skipped);
        self.line("")?;
        let header = self.paint(BOLD, "skipped:");
        self.line(&header)?;
        for s in &skipped {
            let text = format!("  {}: {}", sanitize(&s.path), sanitize(&s.reason));
            self.line(&text)?;
        }
        Ok(())
    }

    fn write_partial(&mut self) -> io::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let partial = std::mem::take(&mut self.partial);
        self.line("")?;
        let header = self.paint(BOLD, "partially scanned:");
        self.line(&header)?;
        for s in &partial {
            let text = format!("  {}: {}", sanitize(&s.path), sanitize(&s.reason));
            self.line(&text)?;
        }
        Ok(())
    }

    fn write_summary(&mut self, summary: &Summary) -> io::Result<()> {
        self.line("")?;
        let header = self.paint(BOLD, "summary:");
        self.line(&header)?;
        let excluded = if summary.inputs_excluded > 0 {
            format!(", {} excluded", summary.inputs_excluded)
        } else {
            String::new()
        };
        let partial = if summary.inputs_partial > 0 {
            format!(", {} partially scanned", summary.inputs_partial)
        } else {
            String::new()
        };
        self.line(&format!(
            "  inputs    {} scanned, {} skipped{partial}{excluded}",
            summary.inputs_scanned, summary.inputs_skipped
        ))?;
        self.line(&format!("  bytes     {}", summary.bytes_scanned))?;
        self.line(&format!("  findings  {}", summary.findings))?;
        let s = &summary.suppressed;
        if s.total() > 0 {
            let parts: Vec<String> = [
                ("inline", s.inline),
                ("path", s.path),
                ("value", s.value),
                ("fingerprint", s.fingerprint),
                ("baseline", s.baseline),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
            self.line(&format!(
                "  allowed   {} not reported ({})",
                s.total(),
                parts.join(", ")
            ))?;
        }

        if !summary.by_kind.is_empty() {
            self.line("")?;
            for row in kind_table(summary) {
                self.line(&format!("  {row}"))?;
            }
        }

        if !summary.columns.is_empty() {
            self.line("")?;
            self.line("  columns holding identifiers:")?;
            for c in &summary.columns {
                self.line(&format!(
                    "    {} [{}]: {} findings, {} distinct ({})",
                    sanitize(&c.path),
                    sanitize(&c.header),
                    c.findings,
                    distinct(c.distinct, c.distinct_estimated),
                    sanitize(&c.kinds.join(", "))
                ))?;
            }
        }

        self.line("")?;
        self.line(&format!("  confidence  {}", confidence_counts(summary)))
    }
}

/// Severity colour: critical and high red, medium yellow, low dim.
fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low => DIM,
    }
}

/// The kinds table, header first: `kind` left-aligned, the counts
/// right-aligned under `findings` and `distinct`.
fn kind_table(summary: &Summary) -> Vec<String> {
    let kind_width = summary
        .by_kind
        .keys()
        .map(|k| sanitize(k).chars().count())
        .chain(std::iter::once("kind".len()))
        .max()
        .unwrap_or(0);
    let mut rows = vec![format!(
        "{:<kind_width$}  {:>8}  {:>8}",
        "kind", "findings", "distinct"
    )];
    for (kind, count) in &summary.by_kind {
        let kind = sanitize(kind);
        let pad = kind_width - kind.chars().count();
        rows.push(format!(
            "{kind}{}  {:>8}  {:>8}",
            " ".repeat(pad),
            count.findings,
            distinct(count.distinct, count.distinct_estimated)
        ));
    }
    rows
}

/// A distinct count, marked `~` when it is an estimate.
fn distinct(n: u64, estimated: bool) -> String {
    if estimated {
        format!("~{n}")
    } else {
        n.to_string()
    }
}

/// `high N, medium N, low N`, followed by any other confidence name the
/// summary holds (none today), in the map's order.
fn confidence_counts(summary: &Summary) -> String {
    const KNOWN: [&str; 3] = ["high", "medium", "low"];
    let mut parts: Vec<String> = KNOWN
        .iter()
        .map(|name| {
            let n = summary.by_confidence.get(*name).copied().unwrap_or(0);
            format!("{name} {n}")
        })
        .collect();
    parts.extend(
        summary
            .by_confidence
            .iter()
            .filter(|(name, _)| !KNOWN.contains(&name.as_str()))
            .map(|(name, n)| format!("{} {n}", sanitize(name))),
    );
    parts.join(", ")
}

/// Escapes the characters of `text` that a terminal would act on instead of
/// showing: control characters (`\n`, ESC, C1…) and the bidirectional
/// embedding/override/isolate marks. Everything else, Chinese included, is
/// kept as is.
pub(crate) fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    sanitize_into(&mut out, text);
    out
}

/// [`sanitize`], appending to `out`.
fn sanitize_into(out: &mut String, text: &str) {
    let is_bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    // Printable ASCII (most texts: rule ids, masked values) needs no look
    // at its characters.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b))
        || !text.chars().any(|c| c.is_control() || is_bidi(c))
    {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c.is_control() || is_bidi(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

impl<W: Write> Reporter for Human<W> {
    /// Writes nothing: the human format has no header.
    fn begin(&mut self, _meta: &RunMeta) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        if self.last_path.as_deref() != Some(&*finding.path) {
            if self.last_path.is_some() {
                self.line("")?;
            }
            let header = self.paint(BOLD, &sanitize(&finding.path));
            self.line(&header)?;
            self.last_path = Some(Arc::clone(&finding.path));
        }
        // Built in buffers kept across findings: a directory export has
        // hundreds of thousands of findings, each a line.
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        text.push_str("  ");
        let _ = write!(text, "{}:{}  ", finding.line, finding.column);
        let severity = finding.severity.as_str();
        self.paint_into(&mut text, severity_style(finding.severity), severity);
        // The padding stays outside the escape so columns line up either
        // way; one more space separates the columns.
        let pad = SEVERITY_WIDTH.saturating_sub(severity.len()) + 1;
        text.extend(std::iter::repeat_n(' ', pad));
        let _ = write!(text, "{:<CONFIDENCE_WIDTH$} ", finding.confidence.as_str());
        sanitize_into(&mut text, &finding.rule);
        text.push_str("  ");
        sanitize_into(&mut text, &finding.masked);
        if finding.obfuscated {
            text.push_str(" (obfuscated)");
        }
        if let Some(record) = &finding.record {
            self.described.clear();
            record.describe_to(&mut self.described);
            if !self.described.is_empty() {
                text.push_str("  [");
                sanitize_into(&mut text, &self.described);
                text.push(']');
            }
        }
        let written = self.line(&text);
        self.text = text;
        written
    }

    fn skipped(&mut self, skipped: &Skipped) -> io::Result<()> {
        self.skipped.push(skipped.clone());
        Ok(())
    }

    fn partial(&mut self, partial: &Skipped) -> io::Result<()> {
        self.partial.push(partial.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.write_partial()?;
        self.write_skipped()?;
        self.write_summary(summary)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Confidence;
    use crate::report::{KindCount, RuleMeta};

    fn meta() -> RunMeta {
        RunMeta {
            tool: "leaksweep",
            version: "0.1.0",
            fingerprint_key: "builtin",
            rules: vec![RuleMeta {
                id: "cn_mobile".into(),
                name: "Mainland mobile number".into(),
                kind: "cn_mobile".into(),
                description: "An 11-digit mainland China mobile number.".into(),
                severity: Severity::Medium,
            }],
        }
    }

    fn finding(path: &str, line: u64, severity: Severity, obfuscated: bool) -> Finding {
        Finding {
            rule: "cn_mobile".into(),
            kind: "cn_mobile".into(),
            severity,
            confidence: Confidence::High,
            path: path.into(),
            line,
            column: 7,
            masked: "138****1234".into(),
            fingerprint: "ab".repeat(32),
            obfuscated,
            record: None,
        }
    }

    fn summary() -> Summary {
        let mut s = Summary {
            inputs_scanned: 3,
            inputs_skipped: 1,
            bytes_scanned: 4096,
            findings: 2,
            ..Summary::default()
        };
        s.by_kind.insert(
            "cn_mobile".into(),
            KindCount {
                findings: 2,
                distinct: 1,
                ..Default::default()
            },
        );
        s.by_confidence.insert("high".into(), 2);
        s.by_severity.insert("medium".into(), 2);
        s
    }

    fn render(color: bool, findings: &[Finding], skipped: &[Skipped]) -> String {
        let mut buf = Vec::new();
        let mut r = Human::new(&mut buf, color);
        r.begin(&meta()).unwrap();
        for f in findings {
            r.finding(f).unwrap();
        }
        for s in skipped {
            r.skipped(s).unwrap();
        }
        r.finish(&summary()).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn plain_output_is_exact() {
        let out = render(
            false,
            &[
                finding("a b/客户.txt", 3, Severity::Medium, false),
                finding("a b/客户.txt", 9, Severity::Medium, true),
                finding("z.csv", 1, Severity::Critical, false),
            ],
            &[Skipped {
                path: "locked.db".into(),
                reason: "permission denied (os error 13)".into(),
            }],
        );
        let expected = "\
a b/客户.txt
  3:7  medium   high   cn_mobile  138****1234
  9:7  medium   high   cn_mobile  138****1234 (obfuscated)

z.csv
  1:7  critical high   cn_mobile  138****1234

skipped:
  locked.db: permission denied (os error 13)

summary:
  inputs    3 scanned, 1 skipped
  bytes     4096
  findings  2

  kind       findings  distinct
  cn_mobile         2         1

  confidence  high 2, medium 0, low 0
";
        assert_eq!(out, expected);
    }

    #[test]
    fn no_trailing_whitespace_and_no_escapes_without_color() {
        let out = render(
            false,
            &[finding("x", 1, Severity::Low, false)],
            &[Skipped {
                path: "y".into(),
                reason: String::new(),
            }],
        );
        assert!(!out.contains('\x1b'));
        for line in out.lines() {
            assert_eq!(line, line.trim_end(), "trailing whitespace in {line:?}");
        }
    }

    #[test]
    fn color_paints_header_and_severity() {
        let out = render(
            true,
            &[
                finding("p", 1, Severity::High, false),
                finding("p", 2, Severity::Medium, false),
                finding("p", 3, Severity::Low, false),
            ],
            &[],
        );
        assert!(out.starts_with("\x1b[1mp\x1b[0m\n"));
        assert!(out.contains("  1:7  \x1b[31mhigh\x1b[0m     high   cn_mobile"));
        assert!(out.contains("  2:7  \x1b[33mmedium\x1b[0m   high"));
        assert!(out.contains("  3:7  \x1b[2mlow\x1b[0m      high"));
        for line in out.lines() {
            assert_eq!(line, line.trim_end());
        }
    }

    #[test]
    fn no_findings_prints_only_summary() {
        let mut buf = Vec::new();
        let mut r = Human::new(&mut buf, false);
        r.begin(&meta()).unwrap();
        r.finish(&Summary::default()).unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert_eq!(
            out,
            "\nsummary:\n  inputs    0 scanned, 0 skipped\n  bytes     0\n  findings  0\n\n  confidence  high 0, medium 0, low 0\n"
        );
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let out = render(
            false,
            &[finding(
                "evil\x1b[2J\u{202E}txt.exe",
                1,
                Severity::Low,
                false,
            )],
            &[Skipped {
                path: "two\nlines".into(),
                reason: "bad\rreason".into(),
            }],
        );
        assert!(!out.contains('\x1b'));
        assert!(!out.contains('\u{202E}'));
        assert!(out.contains("evil\\u{1b}[2J\\u{202e}txt.exe"));
        assert!(out.contains("  two\\nlines: bad\\rreason\n"));
    }

    #[test]
    fn kind_table_aligns_long_kinds() {
        let mut s = summary();
        s.by_kind.insert(
            "cn_resident_id".into(),
            KindCount {
                findings: 12,
                distinct: 10,
                ..Default::default()
            },
        );
        assert_eq!(
            kind_table(&s),
            vec![
                "kind            findings  distinct",
                "cn_mobile              2         1",
                "cn_resident_id        12        10",
            ]
        );
    }
}
