//! Sources: the first room of the pipeline. A source knows files and
//! formats and nothing about rules: it finds the inputs ([`walk`]) and
//! turns each into [`Chunk`]s with provenance.
//!
//! Every input is recognised by its content, not its name alone: the
//! first bytes are sniffed for containers (zip, gzip, tar), workbooks
//! (XLSX, XLS, ODS), the text encoding (BOM, UTF-8, else GB18030) and the
//! shape of the text (JSON lines, a JSON document, CSV by extension, plain
//! text). Containers are opened and each entry goes through the same
//! dispatch, so `exports.zip!archive/dump.jsonl.gz` is read as the archive
//! it is.

use crate::chunk::{Chunk, Pending};
use crate::finding::Skipped;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use table::{TableBatch, column_name};

pub mod container;
pub mod csv;
pub mod encoding;
pub mod json;
pub mod sheet;
pub mod table;
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
    /// The path relative to the folder it was found in (as given for
    /// files named on the command line, without a leading `./`): what
    /// baselines match on, so that `scan .` and `scan repo/` agree.
    pub rel: Arc<str>,
    /// An allowlisted path: read, but its findings are suppressed.
    pub allowed: bool,
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
    Io(#[from] io::Error),
    /// The input looks like binary data no reader understands.
    #[error(
        "binary file of no supported format; not scanned (use --include-binary to scan it as bytes)"
    )]
    Binary,
    /// Part of the input was scanned, then reading failed.
    #[error("partially scanned: {0}")]
    Partial(String),
    /// The chunk consumer asked to stop (the scan is ending).
    #[error("scan stopped")]
    Stopped,
}

/// What a reader tells the driver.
#[derive(Debug)]
pub enum Event {
    /// Bytes to scan.
    Chunk(Chunk),
    /// A file of lines for the sink to cut into chunks itself, with the
    /// reader given (only when [`ReadConfig::workers_read`] asks for it).
    Lines(SharedLines),
    /// A part of the input (a container entry) that was not scanned.
    Skipped(Skipped),
}

/// A regular file of UTF-8 lines (plain text or JSON lines), handed over
/// whole with the reader that cuts it: the scan's workers pull its chunks
/// one at a time, each reading into a buffer it has just scanned (see
/// `scan`), or cutting ranges of a memory map of a file of JSON lines
/// (see [`text::MappedLines`]). [`SharedLines::next_chunk`] cuts exactly
/// the chunks that pushing them through [`text::read_lines`] would; their
/// first lines are left to the workers (see [`crate::chunk::LineLedger`]).
#[derive(Debug)]
pub struct SharedLines {
    from: Shared,
}

/// Where a [`SharedLines`] cuts its chunks from.
#[derive(Debug)]
enum Shared {
    /// `read` into buffers.
    Read {
        /// The file, read from where the last chunk ended.
        file: File,
        /// What cuts it.
        lines: text::LineReader,
    },
    /// A memory map.
    Mapped(text::MappedLines),
}

impl SharedLines {
    /// The file's next chunk, or `None` at its end or where reading broke
    /// off.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        match &mut self.from {
            Shared::Read { file, lines } => lines.next_chunk(file),
            Shared::Mapped(map) => map.next_chunk(),
        }
    }

    /// Once [`SharedLines::next_chunk`] gave `None`: the bytes read, or the
    /// error that broke reading off.
    pub fn finish(&mut self) -> Result<u64, SourceError> {
        match &mut self.from {
            Shared::Read { lines, .. } => lines.finish(),
            Shared::Mapped(map) => map.finish(),
        }
    }
}

/// The default target chunk size (see [`ReadConfig::chunk_size`]).
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

/// Settings of the readers.
#[derive(Clone, Debug)]
pub struct ReadConfig {
    /// Target chunk size in bytes (4 MiB by default).
    ///
    /// Key decision (twenty-seventh session): 4 MiB rather than 1 MiB. A
    /// chunk has fixed costs (cutting it, handing it to a worker and its
    /// findings to the collector, which wakes another thread, the first
    /// touch of its end), and a quarter as many chunks took the 300 MB
    /// archive to 0.977 of the time pinned to one core, 0.954 at `-j2` and
    /// 0.971 at `-j1` (paired runs, same findings). Memory stays flat: a
    /// mapped file's windows stay 32 MiB (`text::MAP_WINDOW_CHUNKS`
    /// chunks; the twenty-fourth session's 4 MiB trial had mapped 128 MiB
    /// at once, 149 MB peak at `-j2`), and read chunks' buffers are
    /// recycled up to 6 MiB (`chunk::buffer`): peak RSS 52 MB for the
    /// archive at `-j2` (was 49), 84 MB for the archive and its directory
    /// CSV (was 79).
    pub chunk_size: usize,
    /// Limits inside containers.
    pub limits: container::Limits,
    /// How many containers may nest (`a.zip!b.tar.gz!c.csv` is 2).
    pub max_archive_depth: u32,
    /// Scan files of no supported binary format as bytes.
    pub include_binary: bool,
    /// Largest JSON document (not JSON lines) walked as a whole; larger
    /// ones are read line by line.
    pub max_document_bytes: u64,
    /// Largest workbook (XLSX…) that is not a file on disk (a zip entry)
    /// spooled into memory to be opened.
    pub max_workbook_bytes: u64,
    /// Hand regular files of UTF-8 lines longer than a chunk over as
    /// [`Event::Lines`] instead of reading them into chunks here.
    pub workers_read: bool,
    /// With `workers_read`, cut regular files of JSON lines in memory maps
    /// of them (see [`text::MappedLines`]) rather than `read` them.
    pub mmap: bool,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            chunk_size: DEFAULT_CHUNK_SIZE,
            limits: container::Limits::default(),
            max_archive_depth: 3,
            include_binary: false,
            max_document_bytes: 64 << 20,
            max_workbook_bytes: 256 << 20,
            workers_read: false,
            mmap: false,
        }
    }
}

/// Finishes the parsing a reader left for the worker thread (see
/// [`Pending`]): after it, `chunk.fields` describe `chunk.data`.
pub fn prepare(chunk: &mut Chunk) {
    match std::mem::take(&mut chunk.pending) {
        Pending::None => {}
        Pending::JsonLines => text::json_lines(chunk),
    }
}

/// How many bytes are sniffed.
const HEAD: usize = 64 * 1024;

/// Receives reader events; returns `false` to stop reading.
pub type EventSink<'a> = dyn FnMut(Event) -> bool + 'a;

/// Reads one input (a file or stdin), recognising its format; returns the
/// number of bytes read from it.
pub fn read_input(
    input: &Input,
    cfg: &ReadConfig,
    sink: &mut EventSink<'_>,
) -> Result<u64, SourceError> {
    let budget = container::Budget::default();
    let mut ctx = Ctx {
        cfg,
        budget: &budget,
        sink,
    };
    match &input.location {
        Location::File(path) => {
            let mut file = File::open(path)?;
            let mut head = Vec::with_capacity(HEAD);
            (&mut file).take(HEAD as u64).read_to_end(&mut head)?;
            file.seek(SeekFrom::Start(0))?;
            let size = input.size.unwrap_or(0);
            ctx.dispatch(
                Source::File(&mut file),
                &head,
                &input.display,
                &input.display,
                0,
            )?;
            Ok(size)
        }
        Location::Stdin => {
            let mut stdin = io::stdin().lock();
            let mut counted = CountingReader {
                inner: &mut stdin,
                count: 0,
            };
            let mut head = Vec::with_capacity(HEAD);
            (&mut counted).take(HEAD as u64).read_to_end(&mut head)?;
            let mut stream = Cursor::new(head.clone()).chain(&mut counted);
            ctx.dispatch(
                Source::Stream(&mut stream),
                &head,
                &input.display,
                &input.display,
                0,
            )?;
            Ok(counted.count)
        }
    }
}

/// Bytes of one input or entry.
enum Source<'a> {
    /// A seekable file, positioned at its start.
    File(&'a mut File),
    /// A stream; its first bytes have been read into the head and chained
    /// back in front.
    Stream(&'a mut dyn Read),
}

impl Source<'_> {
    fn reader(&mut self) -> &mut dyn Read {
        match self {
            Source::File(f) => *f,
            Source::Stream(r) => *r,
        }
    }
}

/// Formats, as sniffed. `scan`, `access` and `redact` all decide with
/// [`sniff`] and [`shape`], so they read an input the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// zip, gzip, tar, tar.gz.
    Container(container::ContainerKind),
    /// XLSX, XLSM, XLSB, ODS, or XLS (OLE) named `.xls`.
    Workbook,
    /// Bytes of no known format.
    Binary,
    /// Text, in the encoding sniffed from its head.
    Text(encoding::TextEncoding),
}

/// Sniffs the raw head of an input or entry. `name` is its file name.
pub fn sniff(head: &[u8], name: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    if let Some(kind) = container::sniff(head) {
        let is_zip = matches!(kind, container::ContainerKind::Zip);
        let workbook = matches!(ext, "xlsx" | "xlsm" | "xlsb" | "ods")
            || contains(head, b"xl/workbook")
            || contains(head, b"[Content_Types].xml")
            || contains(head, b"opendocument.spreadsheet");
        return if is_zip && workbook {
            Format::Workbook
        } else {
            Format::Container(kind)
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return if ext == "xls" {
            Format::Workbook
        } else {
            Format::Binary
        };
    }
    let enc = encoding::sniff(head);
    let utf16 = matches!(
        enc,
        encoding::TextEncoding::Utf16Le | encoding::TextEncoding::Utf16Be
    );
    if !utf16 && memchr::memchr(0, &head[..head.len().min(8192)]).is_some() {
        return Format::Binary;
    }
    Format::Text(enc)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// The shape of a decoded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Lines of text.
    Plain,
    /// One JSON value per line (the first line closes).
    JsonLines,
    /// One JSON document spread over lines.
    JsonDocument,
    /// A table (by its name), with its delimiter when the name says it.
    Csv(Option<u8>),
}

/// The shape of a decoded text from its head and file name.
pub fn shape(head: &[u8], name: &str) -> Shape {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        return Shape::Csv(None);
    }
    if lower.ends_with(".tsv") {
        return Shape::Csv(Some(b'\t'));
    }
    let Some(first) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Shape::Plain;
    };
    match head[first] {
        b'{' | b'[' => {
            let line_end = memchr::memchr(b'\n', &head[first..]).map_or(head.len(), |i| first + i);
            let line = head[first..line_end].trim_ascii_end();
            let closes = matches!(
                (head[first], line.last()),
                (b'{', Some(b'}')) | (b'[', Some(b']'))
            );
            if closes {
                Shape::JsonLines
            } else {
                Shape::JsonDocument
            }
        }
        _ => Shape::Plain,
    }
}

struct Ctx<'a, 's> {
    cfg: &'a ReadConfig,
    budget: &'a container::Budget,
    sink: &'a mut EventSink<'s>,
}

impl Ctx<'_, '_> {
    fn emit(&mut self, chunk: Chunk) -> Result<(), SourceError> {
        if (self.sink)(Event::Chunk(chunk)) {
            Ok(())
        } else {
            Err(SourceError::Stopped)
        }
    }

    /// Reads one input or container entry whose first bytes are `head`.
    fn dispatch(
        &mut self,
        mut src: Source<'_>,
        head: &[u8],
        display: &Arc<str>,
        name: &str,
        depth: u32,
    ) -> Result<(), SourceError> {
        match sniff(head, name) {
            Format::Container(kind) => {
                if depth >= self.cfg.max_archive_depth {
                    return Err(SourceError::Partial(format!(
                        "archive nested deeper than {} levels; not opened (raise --max-archive-depth)",
                        self.cfg.max_archive_depth
                    )));
                }
                self.container(kind, src, display, name, depth)
            }
            Format::Workbook => self.workbook(src, display),
            Format::Binary if !self.cfg.include_binary => Err(SourceError::Binary),
            Format::Binary => {
                let (path, size) = (display.clone(), self.cfg.chunk_size);
                let mut emit = |c: Chunk| (self.sink)(Event::Chunk(c));
                text::read_lines(src.reader(), &path, size, false, &mut emit)?;
                Ok(())
            }
            Format::Text(enc) => {
                let utf8 = matches!(enc, encoding::TextEncoding::Utf8);
                // Key decision (twenty-seventh session): only a file longer
                // than a chunk is handed to the workers. One that fits in a
                // chunk is one chunk either way, and handed over it cost a
                // pull, a wait of the reader thread and, for JSON lines, a
                // map and an unmap each: 4,830 files of 6-12 KB took 0.61 s
                // at -j2 (0.43 s of it in the kernel) against 0.34 s read
                // here.
                if let Source::File(file) = &src
                    && utf8
                    && self.cfg.workers_read
                    && file
                        .metadata()
                        .is_ok_and(|m| m.len() > self.cfg.chunk_size as u64)
                    && let shape @ (Shape::Plain | Shape::JsonLines) = shape(head, name)
                {
                    let json = shape == Shape::JsonLines;
                    let mapped = match json && self.cfg.mmap {
                        // A file that cannot be mapped (empty, or on a file
                        // system without maps) is read.
                        true => text::MappedLines::new(file, display, self.cfg.chunk_size).ok(),
                        false => None,
                    };
                    let from = match mapped {
                        Some(map) => Shared::Mapped(map),
                        None => Shared::Read {
                            file: file.try_clone()?,
                            lines: text::LineReader::new(display, self.cfg.chunk_size, json)
                                .counted_by_workers(),
                        },
                    };
                    let lines = SharedLines { from };
                    return if (self.sink)(Event::Lines(lines)) {
                        Ok(())
                    } else {
                        Err(SourceError::Stopped)
                    };
                }
                let reader = src.reader();
                if utf8 {
                    self.text(reader, head, display, name)
                } else {
                    let mut decoded = encoding::decode(reader, enc);
                    let mut dhead = Vec::with_capacity(HEAD);
                    (&mut decoded).take(HEAD as u64).read_to_end(&mut dhead)?;
                    let mut stream = Cursor::new(dhead.clone()).chain(decoded);
                    self.text(&mut stream, &dhead, display, name)
                }
            }
        }
    }

    /// Decoded (UTF-8) text of a known shape.
    fn text(
        &mut self,
        r: &mut dyn Read,
        head: &[u8],
        display: &Arc<str>,
        name: &str,
    ) -> Result<(), SourceError> {
        let size = self.cfg.chunk_size;
        match shape(head, name) {
            Shape::Csv(delimiter) => self.csv(r, delimiter, display),
            Shape::JsonDocument => {
                let limit = self.cfg.max_document_bytes;
                let mut data = Vec::new();
                r.take(limit + 1).read_to_end(&mut data)?;
                if data.len() as u64 > limit {
                    // Too large to walk whole: the rest goes line by line.
                    let mut rest = Cursor::new(data).chain(r);
                    let mut emit = |c: Chunk| (self.sink)(Event::Chunk(c));
                    text::read_lines(&mut rest, display, size, true, &mut emit)?;
                    return Ok(());
                }
                let mut chunk = Chunk {
                    path: display.clone(),
                    first_line: 1,
                    first_column: 1,
                    ..Chunk::default()
                };
                let len = data.len();
                chunk.data = data;
                json::walk_or_text(
                    &mut chunk,
                    0,
                    len,
                    json::Origin::Exact { line: 1, column: 1 },
                    None,
                    "",
                );
                chunk.fields.sort_by_key(|f| f.start);
                self.emit(chunk)
            }
            shape => {
                let mut emit = |c: Chunk| (self.sink)(Event::Chunk(c));
                text::read_lines(r, display, size, shape == Shape::JsonLines, &mut emit)?;
                Ok(())
            }
        }
    }

    fn container(
        &mut self,
        kind: container::ContainerKind,
        mut src: Source<'_>,
        display: &Arc<str>,
        name: &str,
        depth: u32,
    ) -> Result<(), SourceError> {
        let input = match &mut src {
            Source::File(f) => container::ContainerInput::File(f),
            Source::Stream(r) => container::ContainerInput::Stream(*r),
        };
        let gz_inner = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".GZ"))
            .unwrap_or(name)
            .to_string();
        let gzip = matches!(kind, container::ContainerKind::Gzip);
        let cfg = self.cfg;
        let mut stopped = false;
        let mut on_event = |ev: container::Event<'_>| -> io::Result<()> {
            match ev {
                container::Event::Skipped { name, reason } => {
                    let path = format!("{display}!{name}");
                    if !(self.sink)(Event::Skipped(Skipped { path, reason })) {
                        stopped = true;
                        return Err(io::Error::other("scan stopped"));
                    }
                }
                container::Event::Entry(entry) => {
                    // A gzip stream is a wrapper, not a folder: its content
                    // keeps the outer path.
                    // (A gzip holding a tar yields the tar's entries, named.)
                    // A plain gzip's one entry has no declared size; tar
                    // entries always have one.
                    let transparent = gzip && entry.size.is_none();
                    let entry_display: Arc<str> = if transparent {
                        display.clone()
                    } else {
                        Arc::from(format!("{display}!{}", entry.name))
                    };
                    let mut head = Vec::with_capacity(HEAD);
                    let result = match (&mut *entry.reader)
                        .take(HEAD as u64)
                        .read_to_end(&mut head)
                    {
                        Ok(_) => {
                            let mut stream = Cursor::new(head.clone()).chain(&mut *entry.reader);
                            let mut sub = Ctx {
                                cfg,
                                budget: self.budget,
                                sink: &mut *self.sink,
                            };
                            sub.dispatch(
                                Source::Stream(&mut stream),
                                &head,
                                &entry_display,
                                &entry.name,
                                depth + 1,
                            )
                        }
                        Err(e) => Err(SourceError::Io(e)),
                    };
                    match result {
                        Ok(()) => {}
                        Err(SourceError::Stopped) => {
                            stopped = true;
                            return Err(io::Error::other("scan stopped"));
                        }
                        Err(e) => {
                            let reason = e.to_string().to_lowercase();
                            let path = entry_display.to_string();
                            if transparent {
                                // The gzip's only entry failing is the input failing.
                                return Err(io::Error::other(reason));
                            }
                            if !(self.sink)(Event::Skipped(Skipped { path, reason })) {
                                stopped = true;
                                return Err(io::Error::other("scan stopped"));
                            }
                        }
                    }
                }
            }
            Ok(())
        };
        let result = container::for_each_entry(
            kind,
            input,
            &gz_inner,
            &cfg.limits,
            self.budget,
            &mut on_event,
        );
        if stopped {
            return Err(SourceError::Stopped);
        }
        result.map_err(|e| SourceError::Partial(e.to_string().to_lowercase()))
    }

    fn workbook(&mut self, mut src: Source<'_>, display: &Arc<str>) -> Result<(), SourceError> {
        let data = match &mut src {
            Source::File(f) => {
                let mut v = Vec::new();
                f.read_to_end(&mut v)?;
                v
            }
            Source::Stream(r) => {
                let limit = self.cfg.max_workbook_bytes;
                let mut v = Vec::new();
                r.take(limit + 1).read_to_end(&mut v)?;
                if v.len() as u64 > limit {
                    return Err(SourceError::Partial(format!(
                        "workbook inside an archive larger than {limit} bytes; not opened"
                    )));
                }
                v
            }
        };
        let mut batch = TableBatch::new(display, self.cfg.chunk_size);
        let mut sheet_errors = Vec::new();
        let result = sheet::read_workbook(
            Cursor::new(data),
            &mut |cell| {
                if batch.sheet.as_deref() != Some(cell.sheet) {
                    batch.sheet_record(cell.sheet);
                }
                let name = cell.column_name.clone();
                batch.cell(
                    &cell.text,
                    cell.row as u64,
                    cell.row as u64,
                    (cell.column as usize, move || name),
                    cell.header,
                );
                batch.flush_when_full(&mut *self.sink)
            },
            &mut |sheet, reason| sheet_errors.push((sheet.to_string(), reason)),
        );
        batch.finish(&mut *self.sink)?;
        for (sheet, reason) in sheet_errors {
            let path = format!("{display}!{sheet}");
            (self.sink)(Event::Skipped(Skipped {
                path,
                reason: format!("sheet not read: {}", reason.to_lowercase()),
            }));
        }
        result
            .map(|_| ())
            .map_err(|e| SourceError::Partial(e.to_string().to_lowercase()))
    }

    fn csv(
        &mut self,
        r: &mut dyn Read,
        delimiter: Option<u8>,
        display: &Arc<str>,
    ) -> Result<(), SourceError> {
        let mut batch = TableBatch::new(display, self.cfg.chunk_size);
        let result = csv::read_csv(r, delimiter, &mut |cell| {
            let index = cell.column;
            let name = move || column_name(index as u32 + 1);
            batch.cell(
                cell.value,
                cell.line,
                cell.record,
                (index, name),
                cell.header,
            );
            batch.flush_when_full(&mut *self.sink)
        });
        batch.finish(&mut *self.sink)?;
        result
            .map(|_| ())
            .map_err(|e| SourceError::Partial(e.to_string().to_lowercase()))
    }
}

/// Counts the bytes read through it.
struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    count: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape(b"{\"a\":1}\n{\"a\":2}\n", "x"), Shape::JsonLines);
        assert_eq!(shape(b"{\n  \"a\": 1\n}\n", "x.json"), Shape::JsonDocument);
        assert_eq!(shape(b"[\n {}\n]", "x"), Shape::JsonDocument);
        assert_eq!(shape(b"a,b\n1,2\n", "x.csv"), Shape::Csv(None));
        assert_eq!(shape(b"a\tb\n", "x.TSV"), Shape::Csv(Some(b'\t')));
        assert_eq!(shape(b"hello", "x.txt"), Shape::Plain);
    }
}
