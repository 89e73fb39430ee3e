//! The plain types that cross between the pipeline's rooms: a [`Finding`] is
//! what `detect` hands to `report`, already masked and fingerprinted, so no
//! raw identifier can travel past the detector.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// How sure leaksweep is that a finding is a real identifier.
///
/// `High` = validator + context; `Medium` = a structural validator alone;
/// `Low` = format plus context (see the spec, §0 "Scoring").
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Format plus context, or a checked value next to negative context.
    #[default]
    Low,
    /// A structural validator (checksum, segments) passed, no context.
    Medium,
    /// A validator passed and context words confirm it.
    High,
}

/// How much harm the exposure of one value of a rule's kind does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Contact data of limited reach (work email, landline, organisation codes).
    Low,
    /// Personal contact data (mobile numbers, personal business codes).
    Medium,
    /// Identity and financial data (ID numbers, cards, passports).
    High,
    /// Credentials that open whole data sets (WeCom secrets, private keys).
    Critical,
}

macro_rules! level_str {
    ($ty:ty { $($variant:ident => $s:literal),* $(,)? }) => {
        impl $ty {
            /// The lowercase name used in flags, JSON and docs.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.to_ascii_lowercase().as_str() {
                    $($s => Ok(Self::$variant),)*
                    other => Err(format!(
                        "unknown {} '{other}' (expected one of: {})",
                        stringify!($ty).to_lowercase(),
                        [$($s),*].join(", ")
                    )),
                }
            }
        }
    };
}

level_str!(Confidence { Low => "low", Medium => "medium", High => "high" });
level_str!(Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

/// One exposed value, ready to report. Holds no raw value: `masked` follows
/// the spec's §8 conventions and `fingerprint` is keyed (HMAC-SHA256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id (e.g. `cn_resident_id`).
    pub rule: Arc<str>,
    /// The kind of identifier; several rules may share one kind.
    pub kind: Arc<str>,
    /// Harm of exposure, from the rule.
    pub severity: Severity,
    /// Certainty, from validator strength and context.
    pub confidence: Confidence,
    /// Display path of the input, relative as given on the command line.
    pub path: Arc<str>,
    /// 1-based line number in the input.
    pub line: u64,
    /// 1-based column, counted in Unicode scalar values.
    pub column: u64,
    /// The value with most of it hidden, e.g. `138****1234`.
    pub masked: String,
    /// Hex HMAC-SHA256 of the normalized value under the fingerprint key.
    pub fingerprint: String,
    /// The value was written in an obfuscated form (Chinese numerals,
    /// emoji keycaps, a spelled-out `@`…).
    pub obfuscated: bool,
    /// Where in a structured input the value sits (message, field, sheet,
    /// row, column); absent for plain text. Its strings are masked too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<RecordLocation>>,
}

/// The record and field of a finding in a structured input. Every string
/// here has been through the redaction module (a userid can be a mobile
/// number, a sheet can be named after a person's ID). The strings are
/// shared: a table's header and column name repeat on every row's
/// findings, and a count beats an allocation per finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLocation {
    /// Archive message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgid: Option<Arc<str>>,
    /// Archive sender userid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Arc<str>>,
    /// Archive group chat id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roomid: Option<Arc<str>>,
    /// Archive message time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgtime: Option<i64>,
    /// Archive message type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgtype: Option<Arc<str>>,
    /// JSON path of the field (`text.content`, `userlist[0].mobile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Arc<str>>,
    /// Spreadsheet sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<Arc<str>>,
    /// Table row, 1-based, the header row being 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Table column name (`A`, `B`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<Arc<str>>,
    /// Column header (CSV, XLSX) of the cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Arc<str>>,
}

impl RecordLocation {
    /// A short human description: `msgid=…, from=…, field=text.content`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        self.describe_to(&mut out);
        out
    }

    /// [`RecordLocation::describe`], appending to `out`.
    pub fn describe_to(&self, out: &mut String) {
        let start = out.len();
        let mut push = |k: &str, v: Option<&dyn fmt::Display>| {
            if let Some(v) = v {
                if out.len() > start {
                    out.push_str(", ");
                }
                // Writing to a String cannot fail.
                let _ = fmt::Write::write_fmt(out, format_args!("{k}={v}"));
            }
        };
        fn s(v: &Option<Arc<str>>) -> Option<&dyn fmt::Display> {
            v.as_ref().map(|v| v as &dyn fmt::Display)
        }
        push("sheet", s(&self.sheet));
        push("row", self.row.as_ref().map(|r| r as &dyn fmt::Display));
        push("column", s(&self.column));
        push("header", s(&self.header));
        push("msgid", s(&self.msgid));
        push("from", s(&self.from));
        push("roomid", s(&self.roomid));
        push(
            "msgtime",
            self.msgtime.as_ref().map(|t| t as &dyn fmt::Display),
        );
        push("msgtype", s(&self.msgtype));
        push("field", s(&self.field));
    }
}

/// An input that could not be scanned, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Display path of the input.
    pub path: String,
    /// Lowercase reason, e.g. `permission denied (os error 13)`.
    pub reason: String,
}
