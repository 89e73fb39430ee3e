//! The JSON Lines format: one JSON object per line, for `jq`, log shippers
//! and anything that reads a stream. Each line has a `type`:
//!
//! - `{"type":"finding",…}` with the fields of [`Finding`] (the masked value
//!   and the keyed fingerprint only, never the raw identifier);
//! - `{"type":"skipped","path":…,"reason":…}` for an input not scanned,
//!   written where it arrives in the stream;
//! - `{"type":"summary",…}` with the fields of [`Summary`], always the last
//!   line.
//!
//! There is no header line: [`Reporter::begin`] writes nothing.

use super::{Reporter, RunMeta, Summary, finding_json};
use crate::finding::{Finding, Skipped};
use serde::Serialize;
use std::io::{self, Write};

/// Streams the run as JSON Lines, one record per line.
///
/// Each record is written as it arrives; give it a buffered writer.
pub struct JsonLines<W: Write> {
    out: W,
}

/// One line: the record's fields with a `type` tag in front. Findings,
/// the bulk of a report, are written by [`finding_json`] instead, to the
/// same bytes.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line<'a> {
    Skipped(&'a Skipped),
    Partial(&'a Skipped),
    Summary(&'a Summary),
}

impl<W: Write> JsonLines<W> {
    /// A reporter writing JSON Lines to `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }

    fn line(&mut self, line: &Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, line).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }
}

/// A finding's line, newline included.
fn render(finding: &Finding, buf: &mut Vec<u8>) {
    finding_json::write_finding(buf, finding, true);
    buf.push(b'\n');
}

impl<W: Write> Reporter for JsonLines<W> {
    /// Writes nothing: JSON Lines has no header.
    fn begin(&mut self, _meta: &RunMeta) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        let mut buf = Vec::new();
        render(finding, &mut buf);
        self.out.write_all(&buf)
    }

    fn render(&self) -> Option<super::Render> {
        Some(render)
    }

    fn finding_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// One line after another: the bytes as they are.
    fn findings_rendered(&mut self, bytes: &[u8], _: &[usize]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    fn skipped(&mut self, skipped: &Skipped) -> io::Result<()> {
        self.line(&Line::Skipped(skipped))
    }

    fn partial(&mut self, partial: &Skipped) -> io::Result<()> {
        self.line(&Line::Partial(partial))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.line(&Line::Summary(summary))?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Severity};
    use crate::report::KindCount;
    use serde_json::{Value, json};

    fn meta() -> RunMeta {
        RunMeta {
            tool: "leaksweep",
            version: "0.1.0",
            fingerprint_key: "flag",
            rules: Vec::new(),
        }
    }

    fn finding(path: &str) -> Finding {
        Finding {
            rule: "cn_resident_id".into(),
            kind: "cn_resident_id".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            path: path.into(),
            line: 2,
            column: 10,
            masked: "110***********1234".into(),
            fingerprint: "0f".repeat(32),
            obfuscated: false,
            record: None,
        }
    }

    fn render(findings: &[Finding], skipped: &[Skipped], summary: &Summary) -> String {
        let mut buf = Vec::new();
        let mut r = JsonLines::new(&mut buf);
        r.begin(&meta()).unwrap();
        for f in findings {
            r.finding(f).unwrap();
        }
        for s in skipped {
            r.skipped(s).unwrap();
        }
        r.finish(summary).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn begin_writes_nothing() {
        let mut buf = Vec::new();
        JsonLines::new(&mut buf).begin(&meta()).unwrap();
        assert!(buf.is_empty());
    }

    #[test]
    fn each_record_is_one_typed_line() {
        let mut summary = Summary {
            inputs_scanned: 1,
            inputs_skipped: 1,
            findings: 1,
            ..Summary::default()
        };
        summary.by_kind.insert(
            "cn_resident_id".into(),
            KindCount {
                findings: 1,
                distinct: 1,
                ..Default::default()
            },
        );
        let text = render(
            &[finding("员工 名单.xlsx")],
            &[Skipped {
                path: "坏 文件.zip".into(),
                reason: "unsupported archive".into(),
            }],
            &summary,
        );
        assert!(text.ends_with('\n'));
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);

        assert_eq!(lines[0]["type"], "finding");
        let mut record = lines[0].as_object().unwrap().clone();
        record.remove("type");
        let back: Finding = serde_json::from_value(Value::Object(record)).unwrap();
        assert_eq!(back, finding("员工 名单.xlsx"));

        assert_eq!(
            lines[1],
            json!({"type": "skipped", "path": "坏 文件.zip", "reason": "unsupported archive"})
        );

        assert_eq!(lines[2]["type"], "summary");
        assert_eq!(lines[2]["findings"], 1);
        assert_eq!(lines[2]["by_kind"]["cn_resident_id"]["distinct"], 1);
    }

    #[test]
    fn empty_run_is_one_summary_line() {
        let text = render(&[], &[], &Summary::default());
        assert_eq!(text.lines().count(), 1);
        let v: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["type"], "summary");
        assert_eq!(v["findings"], 0);
    }

    #[test]
    fn newlines_in_paths_stay_inside_one_line() {
        let text = render(&[finding("a\nb.txt")], &[], &Summary::default());
        assert_eq!(text.lines().count(), 2);
        let v: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["path"], "a\nb.txt");
    }
}
