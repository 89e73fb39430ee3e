//! Sources: the first room of the pipeline. A source knows files and
//! formats and nothing about rules: it finds the inputs ([`walk`]) and
//! turns each into [`Chunk`]s with provenance ([`Reader`]). Format-aware
//! readers (archives, spreadsheets, containers) plug in behind the same
//! trait; the scan driver picks one per input with [`reader_for`].

use crate::chunk::Chunk;
use std::path::PathBuf;
use std::sync::Arc;

pub mod text;
pub mod walk;

/// One input to scan.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where to read it from.
    pub location: Location,
    /// The path as reports show it (relative, as given or found).
    pub display: Arc<str>,
    /// Size in bytes, when known before reading.
    pub size: Option<u64>,
}

/// Where an input's bytes come from.
#[derive(Clone, Debug)]
pub enum Location {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// Why an input could not be read (completely).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The input looks like binary data no reader understands.
    #[error("binary file (contains NUL bytes); not scanned")]
    Binary,
    /// The chunk consumer asked to stop (the scan is ending).
    #[error("scan stopped")]
    Stopped,
}

/// What a reader reports about an input it finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Bytes read from the input.
    pub bytes: u64,
}

/// Receives chunks from a reader; returns `false` to stop reading.
pub type ChunkSink<'a> = dyn FnMut(Chunk) -> bool + 'a;

/// Turns one input into chunks. Implementations must never hold a whole
/// large input in memory: they emit chunks of at most about `chunk_size`
/// bytes as they read.
pub trait Reader: Send + Sync {
    /// Reads `input`, passing each chunk to `sink` in order.
    fn read(&self, input: &Input, sink: &mut ChunkSink<'_>) -> Result<ReadStats, SourceError>;
}

/// Picks the reader for an input. Today every input is read as text
/// (plain text and JSON lines are scanned as bytes); format-aware readers
/// are selected here as they arrive.
pub fn reader_for(_input: &Input, chunk_size: usize) -> Box<dyn Reader> {
    Box::new(text::TextReader { chunk_size })
}
