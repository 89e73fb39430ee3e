//! Baselines: the findings a team has already seen, so that CI fails only
//! on new ones. An entry is rule id + path (relative to the scanned
//! folder) + keyed fingerprint, with a count; there is no line number, so
//! moving lines or reformatting a file does not resurrect old findings,
//! while the same value appearing once more in a file is new. The file
//! holds no raw value, and a check of the fingerprint key, so that a
//! baseline is never silently compared under another key (where nothing
//! would match and every old finding would come back).

use crate::redact::FingerprintKey;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

/// Format version written in the file.
pub const VERSION: u32 = 1;

/// What the key check fingerprints.
const KEY_CHECK: &[u8] = b"leaksweep baseline key check";

/// The file as written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// `leaksweep`.
    tool: String,
    /// [`VERSION`].
    version: u32,
    /// Fingerprint of a fixed text under the key in use.
    key_check: String,
    /// Known findings, sorted.
    findings: Vec<Entry>,
}

/// One known finding (or several of one value in one file).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    path: String,
    fingerprint: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: u64,
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// A baseline that cannot be used; always fatal (exit 2): gating against
/// the wrong baseline would report every old finding, or none.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Unreadable or unwritable file.
    #[error("baseline {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Not a leaksweep baseline.
    #[error("baseline {path} is not a leaksweep baseline: {message}")]
    Format {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// Written under another fingerprint key.
    #[error(
        "baseline {path} was written with another fingerprint key; scan with the key it was written with (--fingerprint-key or LEAKSWEEP_FINGERPRINT_KEY), or write a new baseline"
    )]
    Key {
        /// The file.
        path: String,
    },
}

fn key_check(key: &FingerprintKey) -> String {
    key.fingerprint("baseline", KEY_CHECK)
}

/// A baseline being matched against: each known finding can absorb as
/// many findings as its count.
#[derive(Debug, Default)]
pub struct Baseline {
    left: HashMap<(String, String, String), u64>,
}

impl Baseline {
    /// Reads a baseline and checks it was written under `key`.
    pub fn read(path: &Path, key: &FingerprintKey) -> Result<Baseline, BaselineError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| BaselineError::Io {
            path: name.clone(),
            message: e.to_string().to_lowercase(),
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| BaselineError::Format {
            path: name.clone(),
            message: e.to_string(),
        })?;
        if file.tool != "leaksweep" || file.version != VERSION {
            return Err(BaselineError::Format {
                path: name,
                message: format!(
                    "tool {:?} version {} (expected leaksweep version {VERSION})",
                    file.tool, file.version
                ),
            });
        }
        if file.key_check != key_check(key) {
            return Err(BaselineError::Key { path: name });
        }
        let mut left = HashMap::new();
        for e in file.findings {
            *left.entry((e.rule, e.path, e.fingerprint)).or_insert(0) += e.count;
        }
        Ok(Baseline { left })
    }

    /// True (and one occurrence used up) when the finding is known.
    pub fn take(&mut self, rule: &str, path: &str, fingerprint: &str) -> bool {
        let key = (rule.to_string(), path.to_string(), fingerprint.to_string());
        match self.left.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Gathers the findings of a run into a baseline file.
#[derive(Debug, Default)]
pub struct Writer {
    counts: BTreeMap<(String, String, String), u64>,
}

impl Writer {
    /// Records one finding.
    pub fn add(&mut self, rule: &str, path: &str, fingerprint: &str) {
        *self
            .counts
            .entry((rule.to_string(), path.to_string(), fingerprint.to_string()))
            .or_insert(0) += 1;
    }

    /// Number of distinct entries so far.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no finding was recorded.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Writes the baseline atomically (a temporary file in the same folder,
    /// renamed over `path`), so a crash never leaves half a baseline.
    pub fn write(self, path: &Path, key: &FingerprintKey) -> Result<(), BaselineError> {
        let io = |e: std::io::Error| BaselineError::Io {
            path: path.display().to_string(),
            message: e.to_string().to_lowercase(),
        };
        let file = File {
            tool: "leaksweep".into(),
            version: VERSION,
            key_check: key_check(key),
            findings: self
                .counts
                .into_iter()
                .map(|((rule, path, fingerprint), count)| Entry {
                    rule,
                    path,
                    fingerprint,
                    count,
                })
                .collect(),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        serde_json::to_writer_pretty(&mut tmp, &file).map_err(|e| io(e.into()))?;
        tmp.write_all(b"\n").map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::KeySource;

    #[test]
    fn counts_and_key_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        let key = FingerprintKey::new(b"k1", KeySource::Flag);
        let mut w = Writer::default();
        w.add("cn_mobile", "a.txt", "f1");
        w.add("cn_mobile", "a.txt", "f1");
        w.add("email", "b.txt", "f2");
        w.write(&p, &key).unwrap();
        let mut b = Baseline::read(&p, &key).unwrap();
        assert!(b.take("cn_mobile", "a.txt", "f1"));
        assert!(b.take("cn_mobile", "a.txt", "f1"));
        assert!(
            !b.take("cn_mobile", "a.txt", "f1"),
            "a third occurrence is new"
        );
        assert!(!b.take("email", "other.txt", "f2"), "another file is new");
        assert!(b.take("email", "b.txt", "f2"));
        let other = FingerprintKey::new(b"k2", KeySource::Flag);
        assert!(matches!(
            Baseline::read(&p, &other),
            Err(BaselineError::Key { .. })
        ));
        std::fs::write(&p, "{}").unwrap();
        assert!(matches!(
            Baseline::read(&p, &key),
            Err(BaselineError::Format { .. })
        ));
    }
}
