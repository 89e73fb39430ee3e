//! The JSON format: one JSON document for the whole run, written as it
//! goes so that memory stays flat. [`Reporter::begin`] opens the document
//! with the tool, the fingerprint key's source and the rules, and opens the
//! `findings` array; each finding is appended to it as soon as it arrives;
//! [`Reporter::finish`] closes the array and adds the skipped inputs (kept
//! until then) and the summary. The document is compact, on one line,
//! followed by a newline:
//!
//! ```text
//! {"tool":{"name":…,"version":…},"fingerprint_key":…,"rules":[…],
//!  "findings":[…],"skipped":[…],"summary":{…}}
//! ```
//!
//! A finding is serialized exactly as [`Finding`] is (by hand, see
//! [`finding_json`], to the same bytes), so it carries only the masked
//! value and the keyed fingerprint of an identifier.

use super::{Reporter, RunMeta, Summary, finding_json};
use crate::finding::{Finding, Skipped};
use serde::Serialize;
use std::io::{self, Write};

/// Streams the run as one JSON document.
///
/// The calls must follow the [`Reporter`] order; a finding or `finish`
/// before `begin` is refused with an error rather than writing a broken
/// document. Each call writes a few small pieces: give it a buffered writer.
pub struct Json<W: Write> {
    out: W,
    state: State,
    skipped: Vec<Skipped>,
    partial: Vec<Skipped>,
}

/// Where the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing written yet.
    Start,
    /// Inside the `findings` array, which holds this many findings.
    Findings(u64),
    /// The document is closed.
    Done,
}

/// The `tool` object.
#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

impl<W: Write> Json<W> {
    /// A reporter writing one JSON document to `out`.
    pub fn new(out: W) -> Self {
        Json {
            out,
            state: State::Start,
            skipped: Vec::new(),
            partial: Vec::new(),
        }
    }

    /// Writes `value` as compact JSON.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)
    }
}

/// The error for a call out of the [`Reporter`] order.
fn out_of_order(call: &str) -> io::Error {
    io::Error::other(format!("json report: `{call}` called out of order"))
}

impl<W: Write> Reporter for Json<W> {
    fn begin(&mut self, meta: &RunMeta) -> io::Result<()> {
        if self.state != State::Start {
            return Err(out_of_order("begin"));
        }
        self.out.write_all(b"{\"tool\":")?;
        self.value(&Tool {
            name: meta.tool,
            version: meta.version,
        })?;
        self.out.write_all(b",\"fingerprint_key\":")?;
        self.value(meta.fingerprint_key)?;
        self.out.write_all(b",\"rules\":")?;
        self.value(&meta.rules)?;
        self.out.write_all(b",\"findings\":[")?;
        self.state = State::Findings(0);
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        let State::Findings(n) = self.state else {
            return Err(out_of_order("finding"));
        };
        let mut buf = Vec::new();
        if n > 0 {
            buf.push(b',');
        }
        finding_json::write_finding(&mut buf, finding, false);
        self.out.write_all(&buf)?;
        self.state = State::Findings(n + 1);
        Ok(())
    }

    fn render(&self) -> Option<super::Render> {
        Some(|finding, buf| finding_json::write_finding(buf, finding, false))
    }

    fn finding_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        let State::Findings(n) = self.state else {
            return Err(out_of_order("finding"));
        };
        if n > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(bytes)?;
        self.state = State::Findings(n + 1);
        Ok(())
    }

    fn skipped(&mut self, skipped: &Skipped) -> io::Result<()> {
        if self.state == State::Done {
            return Err(out_of_order("skipped"));
        }
        self.skipped.push(skipped.clone());
        Ok(())
    }

    fn partial(&mut self, partial: &Skipped) -> io::Result<()> {
        if self.state == State::Done {
            return Err(out_of_order("partial"));
        }
        self.partial.push(partial.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if !matches!(self.state, State::Findings(_)) {
            return Err(out_of_order("finish"));
        }
        let skipped = std::mem::take(&mut self.skipped);
        self.out.write_all(b"],\"skipped\":")?;
        self.value(&skipped)?;
        let partial = std::mem::take(&mut self.partial);
        self.out.write_all(b",\"partial\":")?;
        self.value(&partial)?;
        self.out.write_all(b",\"summary\":")?;
        self.value(summary)?;
        self.out.write_all(b"}\n")?;
        self.state = State::Done;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Severity};
    use crate::report::{KindCount, RuleMeta};
    use serde_json::Value;

    fn meta() -> RunMeta {
        RunMeta {
            tool: "leaksweep",
            version: "0.1.0",
            fingerprint_key: "env",
            rules: vec![
                RuleMeta {
                    id: "cn_mobile".into(),
                    name: "Mainland mobile number".into(),
                    kind: "cn_mobile".into(),
                    description: "An 11-digit mainland China mobile number.".into(),
                    severity: Severity::Medium,
                },
                RuleMeta {
                    id: "cn_resident_id".into(),
                    name: "Resident identity card number".into(),
                    kind: "cn_resident_id".into(),
                    description: "An 18-character resident ID with a valid checksum.".into(),
                    severity: Severity::High,
                },
            ],
        }
    }

    fn finding(i: u64) -> Finding {
        Finding {
            rule: "cn_mobile".into(),
            kind: "cn_mobile".into(),
            severity: Severity::Medium,
            confidence: Confidence::High,
            path: "客户 资料/名单 1.csv".into(),
            line: i + 1,
            column: 5,
            masked: "138****1234".into(),
            fingerprint: format!("{i:064x}"),
            obfuscated: i % 2 == 1,
            record: None,
        }
    }

    fn summary(findings: u64) -> Summary {
        let mut s = Summary {
            inputs_scanned: 2,
            inputs_skipped: 1,
            bytes_scanned: 100,
            findings,
            elapsed_ms: 7,
            ..Summary::default()
        };
        if findings > 0 {
            s.by_kind.insert(
                "cn_mobile".into(),
                KindCount {
                    findings,
                    distinct: findings,
                    ..Default::default()
                },
            );
            s.by_confidence.insert("high".into(), findings);
            s.by_severity.insert("medium".into(), findings);
        }
        s
    }

    fn skipped() -> Skipped {
        Skipped {
            path: "锁定 文件.db".into(),
            reason: "permission denied (os error 13)".into(),
        }
    }

    /// Runs a report of `n` findings and one skipped input, returns the text.
    fn render(n: u64) -> String {
        let mut buf = Vec::new();
        let mut r = Json::new(&mut buf);
        r.begin(&meta()).unwrap();
        for i in 0..n {
            r.finding(&finding(i)).unwrap();
            if i == 0 {
                // A skipped input in the middle of the findings is buffered.
                r.skipped(&skipped()).unwrap();
            }
        }
        if n == 0 {
            r.skipped(&skipped()).unwrap();
        }
        r.finish(&summary(n)).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn check(n: u64) {
        let text = render(n);
        assert!(text.ends_with("}\n"));
        assert_eq!(text.lines().count(), 1);
        let doc: Value = serde_json::from_str(&text).expect("one JSON value");
        assert_eq!(doc["tool"]["name"], "leaksweep");
        assert_eq!(doc["tool"]["version"], "0.1.0");
        assert_eq!(doc["fingerprint_key"], "env");
        assert_eq!(doc["rules"].as_array().unwrap().len(), 2);
        assert_eq!(doc["rules"][1]["id"], "cn_resident_id");
        assert_eq!(doc["rules"][1]["severity"], "high");
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len() as u64, n);
        for (i, f) in findings.iter().enumerate() {
            let back: Finding = serde_json::from_value(f.clone()).unwrap();
            assert_eq!(back, finding(i as u64));
        }
        assert_eq!(
            doc["skipped"],
            serde_json::json!([{"path": "锁定 文件.db", "reason": "permission denied (os error 13)"}])
        );
        assert_eq!(doc["summary"]["findings"], n);
        assert_eq!(doc["summary"]["elapsed_ms"], 7);
    }

    #[test]
    fn zero_findings_is_one_document() {
        check(0);
        assert!(render(0).contains(",\"findings\":[],\"skipped\":"));
    }

    #[test]
    fn one_finding_is_one_document() {
        check(1);
    }

    #[test]
    fn three_findings_are_one_document() {
        check(3);
    }

    #[test]
    fn finding_fields_are_exactly_the_struct() {
        let text = render(1);
        let doc: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = doc["findings"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "rule",
            "kind",
            "severity",
            "confidence",
            "path",
            "line",
            "column",
            "masked",
            "fingerprint",
            "obfuscated",
        ];
        let mut keys = keys;
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(doc["findings"][0]["path"], "客户 资料/名单 1.csv");
    }

    #[test]
    fn calls_out_of_order_are_refused() {
        let mut buf = Vec::new();
        let mut r = Json::new(&mut buf);
        assert!(r.finding(&finding(0)).is_err());
        assert!(r.finish(&Summary::default()).is_err());
        r.begin(&meta()).unwrap();
        assert!(r.begin(&meta()).is_err());
        r.finish(&Summary::default()).unwrap();
        assert!(r.finish(&Summary::default()).is_err());
        assert!(r.finding(&finding(0)).is_err());
        let text = String::from_utf8(buf).unwrap();
        serde_json::from_str::<Value>(&text).unwrap();
    }
}
