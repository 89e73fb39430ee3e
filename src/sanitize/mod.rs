//! `leaksweep redact`: writes a sanitized copy of the inputs, each file in
//! its own format and encoding, with every identifier the scan would
//! report replaced, then proves the copy clean by scanning it again.
//!
//! ```text
//! source (readers, chunks) ──▶ detect (Detector::replacements) ──▶ rewrite ──▶ files
//! ```
//!
//! The same readers and detector as `scan` find the values; this module
//! only puts the replacements back into bytes ([`rewrite`]) and writes
//! files: text and JSON lines stream chunk by chunk (bounded memory
//! whatever the size), CSV is rewritten record by record with its
//! delimiter, quoting, line ends and encoding, workbooks sheet by sheet,
//! containers entry by entry under the same names. Every file is written
//! to a temporary name and renamed when complete, so a crash never leaves
//! a half-written file that looks finished.

pub mod formats;
pub mod rewrite;

use crate::detect::{Detector, Replace};
use crate::finding::{Confidence, Skipped};
use crate::source::container::Limits;
use crate::source::{Input, Location};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Settings of one `redact` run.
#[derive(Clone, Debug)]
pub struct RedactConfig {
    /// The output folder.
    pub out: PathBuf,
    /// How values are replaced.
    pub mode: Replace,
    /// Matches below this confidence are left (and must pass the rescan).
    pub min_confidence: Confidence,
    /// Chunk size for text.
    pub chunk_size: usize,
    /// Container limits.
    pub limits: Limits,
    /// Deepest container nesting opened.
    pub max_depth: u32,
    /// Largest workbook or JSON document rewritten in memory.
    pub max_in_memory: u64,
}

/// What happened to one input file.
#[derive(Clone, Debug, Serialize)]
pub struct FileEntry {
    /// The input (masked like every path).
    pub path: String,
    /// Where its copy is, relative to the output folder (masked).
    pub output: String,
    /// `redacted` (values replaced) or `copied` (nothing to replace).
    pub status: &'static str,
    /// Format written: `text`, `json-lines`, `json`, `csv`, `xlsx`, `zip`,
    /// `gzip`, `tar`.
    pub format: String,
    /// Encoding of a text file (`utf-8`, `gb18030`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Replacements per rule id.
    pub replacements: BTreeMap<String, u64>,
}

/// The manifest written next to the copy.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// `leaksweep`.
    pub tool: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// `mask`, `token` or `remove`.
    pub mode: &'static str,
    /// Every file written.
    pub files: Vec<FileEntry>,
    /// Inputs not written, and why.
    pub skipped: Vec<Skipped>,
    /// Replacements per rule id, all files.
    pub totals: BTreeMap<String, u64>,
    /// The rescan of the output: findings at or above the threshold.
    pub rescan_findings: u64,
}

/// The name of the manifest in the output folder.
pub const MANIFEST: &str = "leaksweep-redact-manifest.json";

/// A run that cannot start (a fatal setting, not a bad input).
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    /// The output folder would sit inside an input folder, or be one.
    #[error(
        "the output folder {out} is inside the input folder {input}; choose a folder outside every input"
    )]
    OutputInsideInput {
        /// Output folder.
        out: String,
        /// Input folder.
        input: String,
    },
    /// The output folder cannot be made.
    #[error("cannot create the output folder {0}: {1}")]
    Create(String, String),
}

/// Name of a mode in the manifest.
pub fn mode_name(m: Replace) -> &'static str {
    match m {
        Replace::Mask => "mask",
        Replace::Token => "token",
        Replace::Remove => "remove",
    }
}

/// Checks the output folder against the inputs and creates it.
pub fn prepare_output(out: &Path, paths: &[String]) -> Result<PathBuf, RedactError> {
    std::fs::create_dir_all(out).map_err(|e| {
        RedactError::Create(out.display().to_string(), e.to_string().to_lowercase())
    })?;
    let out_abs = std::fs::canonicalize(out).map_err(|e| {
        RedactError::Create(out.display().to_string(), e.to_string().to_lowercase())
    })?;
    for p in paths {
        if p == "-" {
            continue;
        }
        let Ok(abs) = std::fs::canonicalize(p) else {
            continue;
        };
        let folder = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
        };
        if abs.is_dir() && out_abs.starts_with(&folder) {
            return Err(RedactError::OutputInsideInput {
                out: out.display().to_string(),
                input: p.clone(),
            });
        }
        if !abs.is_dir() && out_abs == folder {
            // Writing next to an input file could overwrite it.
            return Err(RedactError::OutputInsideInput {
                out: out.display().to_string(),
                input: folder.display().to_string(),
            });
        }
    }
    Ok(out_abs)
}

/// A relative path that stays inside the output folder: no root, no `..`.
fn safe_relative(rel: &str) -> PathBuf {
    Path::new(rel)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_owned()),
            _ => None,
        })
        .collect()
}

/// Writes `bytes` produced by `write` to `path` atomically.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".leaksweep-partial-")
        .tempfile_in(dir)?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Redacts every input into `cfg.out`; returns the manifest (without the
/// rescan count, which the caller fills in).
pub fn run(
    inputs: &[Input],
    mut skipped: Vec<Skipped>,
    cfg: &RedactConfig,
    out_abs: &Path,
    detector: &Detector<'_>,
    redact_text: &mut dyn FnMut(&str) -> String,
) -> Manifest {
    let mut files = Vec::new();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for input in inputs {
        let Location::File(path) = &input.location else {
            skipped.push(Skipped {
                path: input.display.to_string(),
                reason: "standard input cannot be redacted into a folder; name the file".into(),
            });
            continue;
        };
        let rel = safe_relative(&input.rel);
        let target = out_abs.join(&rel);
        // Never write over an input.
        if std::fs::canonicalize(path).ok() == std::fs::canonicalize(&target).ok()
            && target.exists()
        {
            skipped.push(Skipped {
                path: redact_text(&input.display),
                reason: "the copy would overwrite the input; not written".into(),
            });
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = (|| -> Result<formats::Outcome, String> {
            let mut file = std::fs::File::open(path).map_err(|e| e.to_string().to_lowercase())?;
            let mut outcome = None;
            write_atomic(&target, |w| {
                let o = formats::process(&mut file, &name, detector, cfg, 0, w)
                    .map_err(io::Error::other)?;
                outcome = Some(o);
                Ok(())
            })
            .map_err(|e| e.to_string().to_lowercase())?;
            let o = outcome.ok_or("nothing written")?;
            if o.total() == 0 {
                // Nothing to redact: the copy is the input, byte for byte.
                write_atomic(&target, |w| {
                    let mut f = std::fs::File::open(path)?;
                    io::copy(&mut f, w).map(|_| ())
                })
                .map_err(|e| e.to_string().to_lowercase())?;
            }
            Ok(o)
        })();
        match result {
            Ok(o) => {
                for (rule, n) in &o.replacements {
                    *totals.entry(rule.clone()).or_insert(0) += n;
                }
                files.push(FileEntry {
                    path: redact_text(&input.display),
                    output: redact_text(&rel.display().to_string()),
                    status: if o.total() == 0 { "copied" } else { "redacted" },
                    format: o.format.clone(),
                    encoding: o.encoding.clone(),
                    replacements: o.replacements,
                });
            }
            Err(reason) => {
                let _ = std::fs::remove_file(&target);
                skipped.push(Skipped {
                    path: redact_text(&input.display),
                    reason: redact_text(&reason),
                });
            }
        }
    }
    Manifest {
        tool: "leaksweep",
        version: env!("CARGO_PKG_VERSION"),
        mode: mode_name(cfg.mode),
        files,
        skipped,
        totals,
        rescan_findings: 0,
    }
}
