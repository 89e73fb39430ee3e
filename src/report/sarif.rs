//! The SARIF 2.1.0 format, for code-scanning dashboards and IDE viewers.
//! Every object is built with the [`serde_sarif::sarif`] types; only the
//! seams between them are written by hand, so that results can be streamed
//! with flat memory:
//!
//! - [`Reporter::begin`] builds the whole envelope (`$schema`, `version`, one
//!   run with its `tool.driver` and one `reportingDescriptor` per rule, and
//!   an empty `results` array), serializes it, splits the text inside the
//!   empty array, writes the part up to and including `"results":[` and
//!   keeps the rest;
//! - each [`Reporter::finding`] writes one serialized `result`;
//! - [`Reporter::finish`] closes the array, adds the run's `invocations`
//!   (its `toolExecutionNotifications` list the skipped inputs, which only
//!   then are all known) and writes the kept rest of the envelope.
//!
//! A result carries the rule, a level from the severity, a message with the
//! masked value, one location (the path as a relative URI under
//! `%SRCROOT%`, line and column, never a snippet), the keyed fingerprint as
//! `partialFingerprints["leaksweep/v1"]` and the confidence, kind and masked
//! value as properties. Columns count Unicode code points, as the detector
//! does, so the run says `"columnKind":"unicodeCodePoints"`.

use super::{Reporter, RuleMeta, RunMeta, Summary};
use crate::finding::{Finding, Severity, Skipped};
use serde_json::Value;
use serde_sarif::sarif::{
    self, ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    NotificationLevel, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, ResultColumnKind, ResultLevel, Run, Tool, ToolComponent,
};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

/// The `$schema` written at the top of the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The tool's home page, written as `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/leaksweep/leaksweep";
/// The key of the fingerprint in each result's `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "leaksweep/v1";
/// The `uriBaseId` of every relative artifact location.
pub const SRCROOT: &str = "%SRCROOT%";

/// Where the envelope is split: the empty results array of the one run.
const RESULTS_MARKER: &str = "\"results\":[]";

/// Streams the run as one SARIF 2.1.0 log.
///
/// The calls must follow the [`Reporter`] order; a finding or `finish`
/// before `begin` is refused with an error rather than writing a broken
/// log. Each call writes a few small pieces: give it a buffered writer.
pub struct Sarif<W: Write> {
    out: W,
    state: State,
    /// Rule id → index in `tool.driver.rules`.
    rule_index: HashMap<String, i64>,
    /// The serialized envelope after the empty results array, written by
    /// `finish`.
    tail: String,
    skipped: Vec<Skipped>,
}

/// Where the log is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing written yet.
    Start,
    /// Inside the `results` array, which holds this many results.
    Results(u64),
    /// The log is closed.
    Done,
}

impl<W: Write> Sarif<W> {
    /// A reporter writing one SARIF log to `out`.
    pub fn new(out: W) -> Self {
        Sarif {
            out,
            state: State::Start,
            rule_index: HashMap::new(),
            tail: String::new(),
            skipped: Vec::new(),
        }
    }
}

/// The error for a call out of the [`Reporter`] order.
fn out_of_order(call: &str) -> io::Error {
    io::Error::other(format!("sarif report: `{call}` called out of order"))
}

/// SARIF level of a severity: critical and high are errors, medium a
/// warning, low a note.
pub fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

/// The `security-severity` score GitHub code scanning reads from a rule's
/// properties (0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0+ critical).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// One `reportingDescriptor` for a rule.
fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let mut properties = BTreeMap::new();
    properties.insert("kind".to_owned(), Value::from(rule.kind.as_str()));
    properties.insert(
        "security-severity".to_owned(),
        Value::from(security_severity(rule.severity)),
    );
    ReportingDescriptor::builder()
        .id(rule.id.as_str())
        .name(rule.name.as_str())
        .short_description(MultiformatMessageString::from(&rule.name))
        .full_description(MultiformatMessageString::from(&rule.description))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(Value::String(level(rule.severity).to_string()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec![
                    "security".to_owned(),
                    "privacy".to_owned(),
                    rule.kind.clone(),
                ])
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// The artifact location of a display path: a relative URI under
/// [`SRCROOT`], or a `file:` URI (with no base) for an absolute path.
fn artifact_location(path: &str) -> ArtifactLocation {
    let (uri, relative) = path_to_uri(path);
    ArtifactLocation {
        uri: Some(uri),
        uri_base_id: relative.then(|| SRCROOT.to_owned()),
        ..ArtifactLocation::default()
    }
}

/// Turns a display path into a URI reference and tells whether it is
/// relative.
///
/// Relative paths lose any leading `./` and stay relative; absolute paths
/// (`/…`, and `C:\…` on Windows) become `file:` URIs. On Windows `\`
/// separators become `/`; elsewhere a `\` is part of a file name and is
/// encoded. Each segment is percent-encoded by [`percent_encode_path`].
pub fn path_to_uri(path: &str) -> (String, bool) {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_owned()
    };
    if path.starts_with('/') {
        return (format!("file://{}", percent_encode_path(&path)), false);
    }
    let bytes = path.as_bytes();
    if cfg!(windows) && bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        let (drive, rest) = path.split_at(2);
        return (
            format!("file:///{drive}{}", percent_encode_path(rest)),
            false,
        );
    }
    let mut rel = path.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest.trim_start_matches('/');
    }
    (percent_encode_path(rel), true)
}

/// Percent-encodes a path for use in a URI (RFC 3986 §2.1, §3.3): keeps
/// the unreserved characters, the sub-delimiters, `@` and the `/`
/// separators, and encodes every other byte of the UTF-8 text as `%XX`
/// (upper-case hex): spaces, non-ASCII (Chinese…), `%`, `?`, `#`, `\`,
/// control characters, and `:` (so that a first segment such as `c:x` is
/// never read as a scheme).
pub fn percent_encode_path(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        }
    }
    out
}

/// A 1-based SARIF position; SARIF requires at least 1.
fn position(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX).max(1)
}

/// The SARIF `result` of one finding; `rule_index` is the rule's index in
/// `tool.driver.rules`, if it is there.
fn result(finding: &Finding, rule_index: Option<i64>) -> sarif::Result {
    // Inside a container (`a.zip!b/c.csv`) the artifact is the container
    // file on disk; the entry is named in the message and properties.
    let (file, entry) = match finding.path.split_once('!') {
        Some((file, entry)) => (file, Some(entry)),
        None => (&*finding.path, None),
    };
    let region = Region {
        start_line: Some(position(finding.line)),
        start_column: Some(position(finding.column)),
        ..Region::default()
    };
    let location = Location {
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(artifact_location(file)),
            region: Some(region),
            ..PhysicalLocation::default()
        }),
        ..Location::default()
    };
    let obfuscated = if finding.obfuscated {
        ", obfuscated"
    } else {
        ""
    };
    let inside = entry.map(|e| format!(" in {e}")).unwrap_or_default();
    let text = format!(
        "{} found{inside}: {} (confidence {}{obfuscated})",
        finding.kind, finding.masked, finding.confidence
    );
    let mut properties = BTreeMap::new();
    if let Some(entry) = entry {
        properties.insert("entry".to_owned(), Value::from(entry));
    }
    properties.insert(
        "confidence".to_owned(),
        Value::from(finding.confidence.as_str()),
    );
    properties.insert("kind".to_owned(), Value::from(&*finding.kind));
    properties.insert("masked".to_owned(), Value::from(finding.masked.as_str()));
    properties.insert("obfuscated".to_owned(), Value::from(finding.obfuscated));
    if let Some(record) = &finding.record {
        // Message, field, sheet, row and header of a structured input.
        if let Ok(v) = serde_json::to_value(record) {
            properties.insert("record".to_owned(), v);
        }
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_owned(), finding.fingerprint.clone());

    let mut result = sarif::Result::builder()
        .rule_id(&*finding.rule)
        .level(level(finding.severity))
        .message(Message::from(text.as_str()))
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build();
    result.rule_index = rule_index;
    result
}

/// The `toolExecutionNotification` of a skipped input.
fn notification(skipped: &Skipped) -> Notification {
    Notification::builder()
        .level(Value::String(NotificationLevel::Warning.to_string()))
        .message(Message::from(
            format!("skipped {}: {}", skipped.path, skipped.reason).as_str(),
        ))
        .locations(vec![Location {
            physical_location: Some(PhysicalLocation {
                artifact_location: Some(artifact_location(&skipped.path)),
                ..PhysicalLocation::default()
            }),
            ..Location::default()
        }])
        .build()
}

/// The whole log for `meta`, with an empty `results` array in its run.
fn envelope(meta: &RunMeta) -> sarif::Sarif {
    let driver = ToolComponent::builder()
        .name(meta.tool)
        .version(meta.version)
        .information_uri(INFORMATION_URI)
        .rules(meta.rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let mut run_properties = BTreeMap::new();
    run_properties.insert(
        "fingerprint_key".to_owned(),
        Value::from(meta.fingerprint_key),
    );
    let run = Run::builder()
        .tool(Tool::from(driver))
        .column_kind(Value::String(
            ResultColumnKind::UnicodeCodePoints.to_string(),
        ))
        .properties(
            PropertyBag::builder()
                .additional_properties(run_properties)
                .build(),
        )
        .results(Vec::<sarif::Result>::new())
        .build();
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(Value::String(sarif::Version::V2_1_0.to_string()))
        .runs(vec![run])
        .build()
}

/// Splits serialized log text inside its one empty results array: the part
/// up to and including `"results":[`, and the part after the `]`.
///
/// The marker cannot occur inside a JSON string (the quote before the colon
/// would be escaped there), so the only match is the run's own key; any
/// other count is refused.
fn split_envelope(text: &str) -> io::Result<(&str, &str)> {
    let mut matches = text.match_indices(RESULTS_MARKER);
    match (matches.next(), matches.next()) {
        (Some((at, _)), None) => {
            let open = at + RESULTS_MARKER.len() - 1;
            Ok((&text[..open], &text[open + 1..]))
        }
        _ => Err(io::Error::other(
            "sarif report: the envelope has no single empty results array",
        )),
    }
}

impl<W: Write> Reporter for Sarif<W> {
    fn begin(&mut self, meta: &RunMeta) -> io::Result<()> {
        if self.state != State::Start {
            return Err(out_of_order("begin"));
        }
        let text = serde_json::to_string(&envelope(meta)).map_err(io::Error::from)?;
        let (head, tail) = split_envelope(&text)?;
        self.out.write_all(head.as_bytes())?;
        self.tail = tail.to_owned();
        self.rule_index = meta
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| (rule.id.clone(), i64::try_from(i).unwrap_or(i64::MAX)))
            .collect();
        self.state = State::Results(0);
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        let State::Results(n) = self.state else {
            return Err(out_of_order("finding"));
        };
        if n > 0 {
            self.out.write_all(b",")?;
        }
        let index = self.rule_index.get(&*finding.rule).copied();
        serde_json::to_writer(&mut self.out, &result(finding, index)).map_err(io::Error::from)?;
        self.state = State::Results(n + 1);
        Ok(())
    }

    fn skipped(&mut self, skipped: &Skipped) -> io::Result<()> {
        if self.state == State::Done {
            return Err(out_of_order("skipped"));
        }
        self.skipped.push(skipped.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if !matches!(self.state, State::Results(_)) {
            return Err(out_of_order("finish"));
        }
        let notifications: Vec<Notification> = self.skipped.iter().map(notification).collect();
        self.skipped = Vec::new();
        let mut properties = BTreeMap::new();
        properties.insert(
            "summary".to_owned(),
            serde_json::to_value(summary).map_err(io::Error::from)?,
        );
        let mut invocation = Invocation::builder()
            .execution_successful(true)
            .properties(
                PropertyBag::builder()
                    .additional_properties(properties)
                    .build(),
            )
            .build();
        if !notifications.is_empty() {
            invocation.tool_execution_notifications = Some(notifications);
        }
        self.out.write_all(b"],\"invocations\":[")?;
        serde_json::to_writer(&mut self.out, &invocation).map_err(io::Error::from)?;
        self.out.write_all(b"]")?;
        let tail = std::mem::take(&mut self.tail);
        self.out.write_all(tail.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.state = State::Done;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Confidence;
    use crate::report::KindCount;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    fn meta() -> RunMeta {
        RunMeta {
            tool: "leaksweep",
            version: "0.1.0",
            fingerprint_key: "builtin",
            rules: vec![
                RuleMeta {
                    id: "cn_resident_id".into(),
                    name: "Resident identity card number".into(),
                    kind: "cn_resident_id".into(),
                    description: "An 18-character resident ID with a valid checksum.".into(),
                    severity: Severity::High,
                },
                RuleMeta {
                    id: "cn_mobile".into(),
                    name: "Mainland mobile number".into(),
                    kind: "cn_mobile".into(),
                    description: "An 11-digit mainland China mobile number.".into(),
                    severity: Severity::Medium,
                },
                RuleMeta {
                    id: "wecom_secret".into(),
                    name: "WeCom corp secret".into(),
                    kind: "credential".into(),
                    description: "A WeCom application secret.".into(),
                    severity: Severity::Critical,
                },
            ],
        }
    }

    fn mobile(path: &str, line: u64) -> Finding {
        Finding {
            rule: "cn_mobile".into(),
            kind: "cn_mobile".into(),
            severity: Severity::Medium,
            confidence: Confidence::High,
            path: path.into(),
            line,
            column: 12,
            masked: "138****1234".into(),
            fingerprint: format!("{line:064x}"),
            obfuscated: false,
            record: None,
        }
    }

    fn resident(path: &str) -> Finding {
        Finding {
            rule: "cn_resident_id".into(),
            kind: "cn_resident_id".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            path: path.into(),
            line: 40,
            column: 3,
            masked: "110***********123X".into(),
            fingerprint: "c0ffee".repeat(10) + "beef",
            obfuscated: true,
            record: None,
        }
    }

    fn summary(findings: u64) -> Summary {
        let mut s = Summary {
            inputs_scanned: 2,
            inputs_skipped: 1,
            bytes_scanned: 2048,
            findings,
            elapsed_ms: 3,
            ..Summary::default()
        };
        s.by_kind.insert(
            "cn_mobile".into(),
            KindCount {
                findings,
                distinct: findings,
                ..Default::default()
            },
        );
        s
    }

    fn render(findings: &[Finding], skipped: &[Skipped]) -> String {
        let mut buf = Vec::new();
        let mut r = Sarif::new(&mut buf);
        r.begin(&meta()).unwrap();
        for f in findings {
            r.finding(f).unwrap();
        }
        for s in skipped {
            r.skipped(s).unwrap();
        }
        r.finish(&summary(findings.len() as u64)).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn sample() -> String {
        render(
            &[
                mobile("客户 资料/名单 2024.csv", 7),
                resident("客户 资料/名单 2024.csv"),
                mobile("plain.txt", 1),
            ],
            &[Skipped {
                path: "归档/坏 文件.zip".into(),
                reason: "unsupported archive".into(),
            }],
        )
    }

    /// The official schema: the repo's copy first, then the shared one.
    fn schema_path() -> PathBuf {
        let candidates = [
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
            PathBuf::from("/work/shared/schemas/sarif-schema-2.1.0.json"),
        ];
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .unwrap_or_else(|| panic!("SARIF schema not found; looked at {candidates:?}"))
    }

    /// The schema, ready to validate a whole log.
    ///
    /// The copy in `shared/schemas` keeps the root object's constraints
    /// (`required`, `properties`, `additionalProperties`) under
    /// `definitions.Root`, the shape schemafy-style generators want, which
    /// leaves its top level empty: as is, it accepts any JSON. Those
    /// constraints are lifted back to the top; a schema whose root still
    /// constrains nothing fails the test instead of passing it vacuously.
    fn load_schema() -> Value {
        let path = schema_path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut schema: Value = serde_json::from_str(&text).unwrap();
        if schema.get("required").is_none()
            && let Some(Value::Object(root)) = schema.pointer("/definitions/Root").cloned()
        {
            let top = schema.as_object_mut().unwrap();
            for (key, value) in root {
                top.entry(key).or_insert(value);
            }
        }
        assert_eq!(
            schema["required"],
            serde_json::json!(["version", "runs"]),
            "{} does not constrain the log's root object",
            path.display()
        );
        schema
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::options()
            .should_validate_formats(true)
            .build(&load_schema())
            .expect("schema compiles")
    }

    fn assert_schema_valid(text: &str) {
        let instance: Value = serde_json::from_str(text).unwrap();
        let validator = validator();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "schema errors: {errors:#?}");
    }

    #[test]
    fn reads_back_as_sarif() {
        let text = sample();
        assert!(text.ends_with("}\n"));
        let log: sarif::Sarif = serde_json::from_str(&text).expect("parses as SARIF");
        assert_eq!(log.schema.as_deref(), Some(SCHEMA_URI));
        assert_eq!(log.version, "2.1.0");
        assert_eq!(log.runs.len(), 1);
        let run = &log.runs[0];
        assert_eq!(run.column_kind, Some(Value::from("unicodeCodePoints")));
        let driver = &run.tool.driver;
        assert_eq!(driver.name, "leaksweep");
        assert_eq!(driver.version.as_deref(), Some("0.1.0"));
        assert_eq!(driver.information_uri.as_deref(), Some(INFORMATION_URI));
        let rules = driver.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[1].id, "cn_mobile");
        assert_eq!(rules[1].name.as_deref(), Some("Mainland mobile number"));
        let levels: Vec<Value> = rules
            .iter()
            .map(|r| {
                r.default_configuration
                    .as_ref()
                    .unwrap()
                    .level
                    .clone()
                    .unwrap()
            })
            .collect();
        assert_eq!(levels, ["error", "warning", "error"]);
        assert_eq!(
            rules[2].properties.as_ref().unwrap().additional_properties["security-severity"],
            "9.5"
        );

        let results = run.results.as_ref().unwrap();
        assert_eq!(results.len(), 3);
        let r = &results[0];
        assert_eq!(r.rule_id.as_deref(), Some("cn_mobile"));
        assert_eq!(r.rule_index, Some(1));
        assert_eq!(r.level, Some(ResultLevel::Warning));
        assert_eq!(
            r.message.text.as_deref(),
            Some("cn_mobile found: 138****1234 (confidence high)")
        );
        let loc = r.locations.as_ref().unwrap()[0]
            .physical_location
            .as_ref()
            .unwrap();
        let art = loc.artifact_location.as_ref().unwrap();
        assert_eq!(
            art.uri.as_deref(),
            Some("%E5%AE%A2%E6%88%B7%20%E8%B5%84%E6%96%99/%E5%90%8D%E5%8D%95%202024.csv")
        );
        assert_eq!(art.uri_base_id.as_deref(), Some(SRCROOT));
        let region = loc.region.as_ref().unwrap();
        assert_eq!(region.start_line, Some(7));
        assert_eq!(region.start_column, Some(12));
        assert!(region.snippet.is_none());
        assert_eq!(
            r.partial_fingerprints.as_ref().unwrap()[FINGERPRINT_KEY],
            format!("{:064x}", 7)
        );
        let props = &r.properties.as_ref().unwrap().additional_properties;
        assert_eq!(props["confidence"], "high");
        assert_eq!(props["kind"], "cn_mobile");
        assert_eq!(props["masked"], "138****1234");

        let r = &results[1];
        assert_eq!(r.rule_index, Some(0));
        assert_eq!(r.level, Some(ResultLevel::Error));
        assert_eq!(
            r.message.text.as_deref(),
            Some("cn_resident_id found: 110***********123X (confidence medium, obfuscated)")
        );

        let invocations = run.invocations.as_ref().unwrap();
        assert_eq!(invocations.len(), 1);
        assert!(invocations[0].execution_successful);
        let notes = invocations[0]
            .tool_execution_notifications
            .as_ref()
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].level, Some(Value::from("warning")));
        assert_eq!(
            notes[0].message.text.as_deref(),
            Some("skipped 归档/坏 文件.zip: unsupported archive")
        );
    }

    #[test]
    fn validates_against_the_official_schema() {
        assert_schema_valid(&sample());
    }

    #[test]
    fn empty_run_is_valid() {
        let text = render(&[], &[]);
        assert_schema_valid(&text);
        let log: sarif::Sarif = serde_json::from_str(&text).unwrap();
        assert_eq!(log.runs[0].results.as_ref().unwrap().len(), 0);
        assert!(
            log.runs[0].invocations.as_ref().unwrap()[0]
                .tool_execution_notifications
                .is_none()
        );
    }

    #[test]
    fn odd_paths_are_valid_uris() {
        let paths = [
            "./a b/c.txt",
            "c:x/文件.txt",
            "100%/#tag?.log",
            "/abs/路径 x/y.txt",
            "back\\slash.txt",
            "",
        ];
        let findings: Vec<Finding> = paths.iter().map(|p| mobile(p, 1)).collect();
        assert_schema_valid(&render(&findings, &[]));
    }

    #[test]
    fn schema_check_is_not_vacuous() {
        // The validator must reject what the encoder and the clamping exist
        // to prevent, and a log without its required members.
        let validator = validator();
        let spaced = sample().replace("%20", " ");
        assert!(!validator.is_valid(&serde_json::from_str(&spaced).unwrap()));
        let line_zero = sample().replace("\"startLine\":7", "\"startLine\":0");
        assert_ne!(line_zero, sample());
        assert!(!validator.is_valid(&serde_json::from_str(&line_zero).unwrap()));
        assert!(!validator.is_valid(&serde_json::json!({})));
    }

    #[test]
    fn result_holds_only_location_masked_value_and_fingerprint() {
        let text = render(&[mobile("a.txt", 2)], &[]);
        let doc: Value = serde_json::from_str(&text).unwrap();
        let result = &doc["runs"][0]["results"][0];
        let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "level",
                "locations",
                "message",
                "partialFingerprints",
                "properties",
                "ruleId",
                "ruleIndex"
            ]
        );
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            region,
            &serde_json::json!({"startLine": 2, "startColumn": 12})
        );
        assert_eq!(
            result["properties"],
            serde_json::json!({
                "confidence": "high",
                "kind": "cn_mobile",
                "masked": "138****1234",
                "obfuscated": false
            })
        );
    }

    #[test]
    fn calls_out_of_order_are_refused() {
        let mut buf = Vec::new();
        let mut r = Sarif::new(&mut buf);
        assert!(r.finding(&mobile("a", 1)).is_err());
        assert!(r.finish(&Summary::default()).is_err());
        r.begin(&meta()).unwrap();
        assert!(r.begin(&meta()).is_err());
        r.finish(&Summary::default()).unwrap();
        assert!(r.finding(&mobile("a", 1)).is_err());
        assert!(
            r.skipped(&Skipped {
                path: "a".into(),
                reason: "b".into()
            })
            .is_err()
        );
        let text = String::from_utf8(buf).unwrap();
        serde_json::from_str::<sarif::Sarif>(&text).unwrap();
    }

    #[test]
    fn unknown_rule_has_no_index() {
        let mut f = mobile("a", 1);
        f.rule = Arc::from("not_in_meta");
        let text = render(&[f], &[]);
        let log: sarif::Sarif = serde_json::from_str(&text).unwrap();
        let r = &log.runs[0].results.as_ref().unwrap()[0];
        assert_eq!(r.rule_id.as_deref(), Some("not_in_meta"));
        assert_eq!(r.rule_index, None);
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode_path("a b/c.txt"), "a%20b/c.txt");
        assert_eq!(percent_encode_path("客户"), "%E5%AE%A2%E6%88%B7");
        assert_eq!(percent_encode_path("x%y?z#w"), "x%25y%3Fz%23w");
        assert_eq!(percent_encode_path("c:d"), "c%3Ad");
        assert_eq!(
            percent_encode_path("keep-._~!$&'()*+,;=@/"),
            "keep-._~!$&'()*+,;=@/"
        );
        assert_eq!(percent_encode_path("tab\there"), "tab%09here");
    }

    #[test]
    fn paths_to_uris() {
        assert_eq!(path_to_uri("a/b.txt"), ("a/b.txt".to_owned(), true));
        assert_eq!(path_to_uri("./././a b"), ("a%20b".to_owned(), true));
        assert_eq!(path_to_uri(".//a"), ("a".to_owned(), true));
        assert_eq!(path_to_uri("../up.txt"), ("../up.txt".to_owned(), true));
        assert_eq!(
            path_to_uri("/tmp/名单.csv"),
            ("file:///tmp/%E5%90%8D%E5%8D%95.csv".to_owned(), false)
        );
        if cfg!(windows) {
            assert_eq!(path_to_uri("a\\b c"), ("a/b%20c".to_owned(), true));
            assert_eq!(
                path_to_uri("C:\\x y\\z"),
                ("file:///C:/x%20y/z".to_owned(), false)
            );
        } else {
            assert_eq!(path_to_uri("a\\b"), ("a%5Cb".to_owned(), true));
        }
    }

    #[test]
    fn absolute_paths_have_no_base() {
        let loc = artifact_location("/srv/data.csv");
        assert_eq!(loc.uri.as_deref(), Some("file:///srv/data.csv"));
        assert_eq!(loc.uri_base_id, None);
    }

    #[test]
    fn split_refuses_other_than_one_marker() {
        assert!(split_envelope("{}").is_err());
        assert!(split_envelope("{\"results\":[],\"results\":[]}").is_err());
        assert_eq!(
            split_envelope("{\"a\":1,\"results\":[],\"b\":2}").unwrap(),
            ("{\"a\":1,\"results\":[", ",\"b\":2}")
        );
    }
}
