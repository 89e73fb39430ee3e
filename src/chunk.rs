//! The plain type that crosses from `source` to `detect`: a [`Chunk`] is a
//! slice of one input's bytes with enough provenance to turn an offset in
//! it into a path, line and column.

use std::sync::Arc;

/// A piece of one input, cut at a line boundary when the input has lines.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// Display path of the input the bytes came from.
    pub path: Arc<str>,
    /// The bytes to scan.
    pub data: Vec<u8>,
    /// 1-based line number of the first byte of `data`.
    pub first_line: u64,
    /// 1-based column (in characters) of the first byte of `data`; 1
    /// unless a line longer than a chunk had to be split.
    pub first_column: u64,
}
