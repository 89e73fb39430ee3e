//! Finding the inputs: files, folders (recursive, sorted, skipping `.git`)
//! and `-` for standard input. Anything that is not a readable regular file
//! is returned as skipped with its reason, so every path the user named is
//! accounted for. Inside a folder, paths matching the user's excludes
//! (gitignore syntax, from the config file, `--exclude` and the folder's
//! `.leaksweepignore`) are not read, only counted; files named on the
//! command line are always read, as in ripgrep.

use super::{Input, Location};
use crate::finding::Skipped;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;
use std::sync::Arc;
use walkdir::WalkDir;

/// Folders never descended into.
const SKIP_DIRS: &[&str] = &[".git"];

/// The file in a scanned folder that lists paths not to read.
pub const IGNORE_FILE: &str = ".leaksweepignore";

/// Which paths to leave out or allowlist (gitignore syntax, relative to
/// each scanned folder).
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Paths not read.
    pub exclude: Vec<String>,
    /// Paths read whose findings are suppressed.
    pub allow: Vec<String>,
    /// Read `.leaksweepignore` in each scanned folder.
    pub ignore_files: bool,
    /// Follow symbolic links that lead out of the scanned folder too
    /// (links inside it are always followed; loops are always detected).
    pub follow_symlinks: bool,
}

/// What [`walk`] found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Inputs to read, in order.
    pub inputs: Vec<Input>,
    /// Paths that could not be read, with the reason.
    pub skipped: Vec<Skipped>,
    /// Files and folders left out by an exclude pattern.
    pub excluded: u64,
}

/// A pattern list that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct PatternError {
    /// Where the patterns came from (`--exclude`, a `.leaksweepignore`…).
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

fn matcher(
    root: &Path,
    lines: &[String],
    file: Option<&Path>,
    what: &str,
) -> Result<Gitignore, PatternError> {
    let mut b = GitignoreBuilder::new(root);
    if let Some(f) = file.filter(|f| f.is_file())
        && let Some(e) = b.add(f)
    {
        return Err(PatternError {
            source_name: f.display().to_string(),
            message: e.to_string().to_lowercase(),
        });
    }
    for l in lines {
        b.add_line(None, l).map_err(|e| PatternError {
            source_name: format!("{what} pattern {l:?}"),
            message: e.to_string().to_lowercase(),
        })?;
    }
    b.build().map_err(|e| PatternError {
        source_name: what.to_string(),
        message: e.to_string().to_lowercase(),
    })
}

/// True when `path` (a file) or one of its folders matches `gi` (the
/// last matching pattern decides, as in git).
fn matches(gi: &Gitignore, path: &Path) -> bool {
    for (i, p) in path.ancestors().enumerate() {
        if p.as_os_str().is_empty() || p == Path::new(".") {
            break;
        }
        match gi.matched(p, i > 0) {
            ignore::Match::Ignore(_) => return true,
            ignore::Match::Whitelist(_) => return false,
            ignore::Match::None => {}
        }
    }
    false
}

/// A path as baselines see it: without a leading `./`.
fn relative(display: &str) -> Arc<str> {
    Arc::from(display.trim_start_matches("./"))
}

/// Expands the command-line paths into inputs, in a deterministic order
/// (arguments in order; folder contents sorted by name).
pub fn walk(paths: &[String], opts: &WalkOptions) -> Result<Walked, PatternError> {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    let mut excluded = 0u64;
    // Files named on the command line: allowlisted paths are matched from
    // the current folder.
    let here = matcher(Path::new("."), &opts.allow, None, "allow")?;
    for arg in paths {
        if arg == "-" {
            inputs.push(Input {
                location: Location::Stdin,
                display: Arc::from("<stdin>"),
                size: None,
                rel: Arc::from("<stdin>"),
                allowed: false,
            });
            continue;
        }
        let root = Path::new(arg);
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                skipped.push(skip(arg, &e.to_string()));
                continue;
            }
        };
        if !meta.is_dir() {
            let allowed = matches(&here, root.strip_prefix("./").unwrap_or(root));
            let n = inputs.len();
            push_file(root, arg.clone(), &meta, &mut inputs, &mut skipped);
            if let Some(i) = inputs.get_mut(n) {
                i.allowed = allowed;
            }
            continue;
        }
        let ignore_file = opts.ignore_files.then(|| root.join(IGNORE_FILE));
        let exclude = matcher(root, &opts.exclude, ignore_file.as_deref(), "exclude")?;
        let allow = matcher(root, &opts.allow, None, "allow")?;
        let mut left_out = 0u64;
        let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let outside = std::cell::RefCell::new(Vec::new());
        let walker = WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                // A link is followed only while it stays inside the folder,
                // unless the user asked for more.
                if e.path_is_symlink() && !opts.follow_symlinks {
                    let inside = std::fs::canonicalize(e.path())
                        .is_ok_and(|t| t.starts_with(&root_abs));
                    if !inside {
                        outside.borrow_mut().push(skip(
                            &e.path().display().to_string(),
                            "symbolic link leading out of the scanned folder (or broken); not followed (--follow-symlinks follows it)",
                        ));
                        return false;
                    }
                }
                let dir = e.file_type().is_dir();
                if dir && SKIP_DIRS.iter().any(|d| e.file_name() == *d) {
                    return false;
                }
                let out = exclude.matched(e.path(), dir).is_ignore();
                left_out += u64::from(out);
                !out
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let display = e.path().display().to_string();
                    match e.metadata() {
                        Ok(m) => {
                            let n = inputs.len();
                            push_file(e.path(), display, &m, &mut inputs, &mut skipped);
                            if let Some(i) = inputs.get_mut(n) {
                                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                                i.rel = relative(&rel.display().to_string());
                                i.allowed = matches(&allow, e.path());
                            }
                        }
                        Err(err) => skipped.push(skip(&display, &err.to_string())),
                    }
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| arg.clone());
                    let reason = match err.loop_ancestor() {
                        Some(_) => {
                            "symbolic link loop (a link back to a folder it is in); not followed"
                                .to_string()
                        }
                        None => err
                            .io_error()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| err.to_string()),
                    };
                    skipped.push(skip(&path, &reason));
                }
            }
        }
        skipped.extend(outside.into_inner());
        excluded += left_out;
    }
    Ok(Walked {
        inputs,
        skipped,
        excluded,
    })
}

fn push_file(
    path: &Path,
    display: String,
    meta: &std::fs::Metadata,
    inputs: &mut Vec<Input>,
    skipped: &mut Vec<Skipped>,
) {
    if meta.is_file() {
        inputs.push(Input {
            location: Location::File(path.to_path_buf()),
            rel: relative(&display),
            display: Arc::from(display),
            size: Some(meta.len()),
            allowed: false,
        });
    } else {
        skipped.push(skip(
            &display,
            "not a regular file (device, FIFO or socket)",
        ));
    }
}

fn skip(path: &str, reason: &str) -> Skipped {
    Skipped {
        path: path.to_string(),
        reason: reason.to_lowercase(),
    }
}
