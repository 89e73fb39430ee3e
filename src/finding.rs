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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Format plus context, or a checked value next to negative context.
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
    /// full-width digits, emoji keycaps…).
    pub obfuscated: bool,
}

/// An input that could not be scanned, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Display path of the input.
    pub path: String,
    /// Lowercase reason, e.g. `permission denied (os error 13)`.
    pub reason: String,
}
