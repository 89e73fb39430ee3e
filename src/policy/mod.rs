//! Policy: what the user has decided not to hear about again. It sits
//! between detection and reporting and only ever removes findings; it
//! never sees more than the detector hands it (a raw value is tested
//! against the value allowlist inside the detector, then dropped).
//!
//! - [`Allow`]: allowlists by keyed fingerprint, by regex over the
//!   normalized value, and the inline `leaksweep:allow` marker (paths are
//!   allowlisted by the walker, see `source::walk`);
//! - [`baseline`]: findings already known, matched by rule, path and
//!   fingerprint, not by line.
//!
//! Every suppressed finding is counted in [`Suppressed`], so a report
//! says how much it is not showing.

pub mod baseline;

use crate::finding::Confidence;
use regex::bytes::RegexSet;
use serde::Serialize;
use std::collections::HashSet;

/// The inline marker: a finding on a line holding it is not reported.
pub const INLINE_MARKER: &[u8] = b"leaksweep:allow";

/// Shortest fingerprint prefix accepted in an allowlist (64 bits).
pub const MIN_FINGERPRINT_PREFIX: usize = 16;

/// Findings not reported, by the reason they were left out. Each finding
/// counts once, under the first reason that applies (in field order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// On a line holding `leaksweep:allow`.
    pub inline: u64,
    /// In a file under an allowlisted path.
    pub path: u64,
    /// The normalized value matched an allowlisted regex.
    pub value: u64,
    /// The fingerprint is allowlisted.
    pub fingerprint: u64,
    /// Already in the baseline.
    pub baseline: u64,
}

impl Suppressed {
    /// All suppressed findings.
    pub fn total(&self) -> u64 {
        self.inline + self.path + self.value + self.fingerprint + self.baseline
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Suppressed) {
        self.inline += other.inline;
        self.path += other.path;
        self.value += other.value;
        self.fingerprint += other.fingerprint;
        self.baseline += other.baseline;
    }
}

/// A value allowlist that cannot be used. Entries are named by position,
/// never quoted: a regex or a mistaken "fingerprint" can hold the very
/// value it allowlists.
#[derive(Debug, thiserror::Error)]
pub enum AllowError {
    /// A regex that does not compile.
    #[error("allowlisted value regex number {index} does not compile: {message}")]
    Regex {
        /// 1-based position in `[allow] values`.
        index: usize,
        /// The regex crate's complaint, without the pattern it quotes.
        message: String,
    },
    /// A fingerprint that is not hex or too short to be one.
    #[error(
        "allowlisted fingerprint number {0} is not a fingerprint: use the 64 hex digits of a report's `fingerprint` (or at least its first 16)"
    )]
    Fingerprint(usize),
}

/// The last line of a regex error (`error: unclosed group`): the lines
/// before it quote the pattern.
fn regex_complaint(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines().last().unwrap_or("").trim().to_string()
}

/// The value allowlists, compiled once and shared by every worker.
#[derive(Clone, Debug, Default)]
pub struct Allow {
    /// Full fingerprints.
    fingerprints: HashSet<String>,
    /// Fingerprint prefixes (16 to 63 hex digits).
    prefixes: Vec<String>,
    /// Regexes over the normalized value, anchored as written.
    values: Option<RegexSet>,
    /// Honour `leaksweep:allow` on the line of a finding.
    pub inline: bool,
    /// Findings below this confidence are not reported anyway: they are
    /// dropped without being counted as suppressed.
    pub min_confidence: Confidence,
}

impl Allow {
    /// Compiles the allowlists. `inline` turns the marker on.
    pub fn new(
        fingerprints: &[String],
        values: &[String],
        inline: bool,
    ) -> Result<Allow, AllowError> {
        let mut allow = Allow {
            inline,
            ..Allow::default()
        };
        for (i, f) in fingerprints.iter().enumerate() {
            let f = f.trim().to_ascii_lowercase();
            let f = f.strip_prefix("hmac-sha256:").unwrap_or(&f).to_string();
            if f.len() < MIN_FINGERPRINT_PREFIX
                || f.len() > 64
                || !f.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(AllowError::Fingerprint(i + 1));
            }
            if f.len() == 64 {
                allow.fingerprints.insert(f);
            } else {
                allow.prefixes.push(f);
            }
        }
        if !values.is_empty() {
            for (i, v) in values.iter().enumerate() {
                regex::bytes::Regex::new(v).map_err(|e| AllowError::Regex {
                    index: i + 1,
                    message: regex_complaint(&e),
                })?;
            }
            allow.values = Some(RegexSet::new(values).map_err(|e| AllowError::Regex {
                index: 0,
                message: regex_complaint(&e),
            })?);
        }
        Ok(allow)
    }

    /// True when the normalized raw value is allowlisted by regex.
    pub fn value(&self, normalized: &[u8]) -> bool {
        self.values.as_ref().is_some_and(|s| s.is_match(normalized))
    }

    /// True when the fingerprint (lowercase hex) is allowlisted.
    pub fn fingerprint(&self, fp: &str) -> bool {
        self.fingerprints.contains(fp) || self.prefixes.iter().any(|p| fp.starts_with(p.as_str()))
    }

    /// True when neither values nor fingerprints are allowlisted (the
    /// marker aside).
    pub fn lists_nothing(&self) -> bool {
        self.fingerprints.is_empty() && self.prefixes.is_empty() && self.values.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_and_values() {
        let fp = "a".repeat(64);
        let a = Allow::new(
            &[fp.clone(), "B".repeat(16)],
            &["^1380013800[0-9]$".into()],
            true,
        )
        .unwrap();
        assert!(a.fingerprint(&fp));
        assert!(a.fingerprint(&format!("{}{}", "b".repeat(16), "0".repeat(48))));
        assert!(!a.fingerprint(&"c".repeat(64)));
        assert!(a.value(b"13800138001"));
        assert!(!a.value(b"13800138001x"));
        assert!(Allow::new(&["abc".into()], &[], true).is_err());
        assert!(Allow::new(&["z".repeat(64)], &[], true).is_err());
        let e = Allow::new(&[], &["^13800138000(".into()], true).unwrap_err();
        assert!(!e.to_string().contains("13800138000"), "{e}");
        let e = Allow::new(&["13800138000".into()], &[], true).unwrap_err();
        assert!(!e.to_string().contains("13800138000"), "{e}");
    }
}
