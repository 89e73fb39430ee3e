//! Finding the inputs: files, folders (recursive, sorted, skipping `.git`)
//! and `-` for standard input. Anything that is not a readable regular file
//! is returned as skipped with its reason, so every path the user named is
//! accounted for.

use super::{Input, Location};
use crate::finding::Skipped;
use std::path::Path;
use std::sync::Arc;
use walkdir::WalkDir;

/// Folders never descended into.
const SKIP_DIRS: &[&str] = &[".git"];

/// Expands the command-line paths into inputs, in a deterministic order
/// (arguments in order; folder contents sorted by name).
pub fn walk(paths: &[String]) -> (Vec<Input>, Vec<Skipped>) {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for arg in paths {
        if arg == "-" {
            inputs.push(Input {
                location: Location::Stdin,
                display: Arc::from("<stdin>"),
                size: None,
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
            push_file(root, arg.clone(), &meta, &mut inputs, &mut skipped);
            continue;
        }
        let walker = WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                !(e.file_type().is_dir() && SKIP_DIRS.iter().any(|d| e.file_name() == *d))
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) if e.file_type().is_symlink() => skipped.push(skip(
                    &e.path().display().to_string(),
                    "symbolic link inside a folder (not followed)",
                )),
                Ok(e) => {
                    let display = e.path().display().to_string();
                    match e.metadata() {
                        Ok(m) => push_file(e.path(), display, &m, &mut inputs, &mut skipped),
                        Err(err) => skipped.push(skip(&display, &err.to_string())),
                    }
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| arg.clone());
                    let reason = err
                        .io_error()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| err.to_string());
                    skipped.push(skip(&path, &reason));
                }
            }
        }
    }
    (inputs, skipped)
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
            display: Arc::from(display),
            size: Some(meta.len()),
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
