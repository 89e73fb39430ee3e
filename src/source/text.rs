//! The line reader: plain text and JSON lines. It reads an input
//! in blocks of about `chunk_size` bytes and cuts each block at its last
//! line break, so one large file becomes many chunks that the driver can
//! scan on every core, in bounded memory. A line longer than a block is
//! cut at a byte that can never be part of an identifier, so no candidate
//! straddles the cut.

use super::SourceError;
use super::json::{Origin, walk_or_text};
use crate::chunk::{Chunk, Field, LineLedger, LineTicket, Mapped, Pending, Pulled, chars};
use crate::detect::normalize::{Class, classify, utf8_len};
use std::io::Read;
use std::sync::Arc;

/// How far back from a block's end to look for a safe cut in a line
/// longer than a block.
const CUT_SEARCH: usize = 4096;

/// Reads `r` as lines, in chunks of about `chunk_size` bytes, passing each
/// chunk to `sink` (which returns `false` to stop). With `json_lines`, each
/// line that holds JSON is walked into fields (see [`json_lines`]). Returns
/// the number of bytes read.
pub fn read_lines(
    r: &mut dyn Read,
    path: &Arc<str>,
    chunk_size: usize,
    json_lines: bool,
    sink: &mut dyn FnMut(Chunk) -> bool,
) -> Result<u64, SourceError> {
    let mut lines = LineReader::new(path, chunk_size, json_lines);
    while let Some(chunk) = lines.next_chunk(r) {
        if !sink(chunk) {
            return Err(SourceError::Stopped);
        }
    }
    lines.finish()
}

/// The line reader as a state machine: [`LineReader::next_chunk`] reads on
/// until it has the next chunk, so the chunks can be pulled by whoever
/// needs one (the scan's workers, each into a buffer it has just scanned:
/// see `scan`), as well as pushed by [`read_lines`]. Both cut exactly the
/// same chunks.
#[derive(Debug)]
pub struct LineReader {
    path: Arc<str>,
    chunk_size: usize,
    /// Room for a chunk and the decoded strings the JSON walker appends to
    /// it (see `Chunk::data`), so that neither regrows the buffer.
    room: usize,
    json_lines: bool,
    /// Bytes read and not yet cut into a chunk (part of a line).
    buf: Vec<u8>,
    /// The tail of the previous chunk, lent to the next as context.
    carry: Vec<u8>,
    /// Line and column where the next chunk starts; bytes read so far.
    line: u64,
    column: u64,
    total: u64,
    /// A read error (a truncated gzip, a vanished file) ends the input, but
    /// what was read before it is still scanned; the error is returned by
    /// [`LineReader::finish`].
    broken: Option<std::io::Error>,
    /// The input is read to its end (or broke off).
    done: bool,
    /// When set, the chunks' line breaks are counted by whoever scans
    /// them, not here (see [`LineReader::counted_by_workers`]).
    ledger: Option<Arc<LineLedger>>,
    /// Chunks cut so far.
    chunks: usize,
}

impl LineReader {
    /// A reader of lines in chunks of about `chunk_size` bytes; with
    /// `json_lines`, its chunks are left for [`json_lines`] to walk.
    pub fn new(path: &Arc<str>, chunk_size: usize, json_lines: bool) -> LineReader {
        let chunk_size = chunk_size.max(1);
        LineReader {
            path: path.clone(),
            chunk_size,
            room: chunk_size + chunk_size / 4 + 4096,
            json_lines,
            buf: Vec::new(),
            carry: Vec::new(),
            line: 1,
            column: 1,
            total: 0,
            broken: None,
            done: false,
            ledger: None,
            chunks: 0,
        }
    }

    /// Leaves the counting of each chunk's line breaks to whoever scans it:
    /// each chunk carries a [`LineTicket`] instead of its first line. The
    /// scan's workers, which cut chunks in turn under a lock, count them
    /// outside it, as their line gate walks the lines (see `scan`).
    pub fn counted_by_workers(mut self) -> LineReader {
        self.ledger = Some(Arc::default());
        self
    }

    /// The next chunk of `r` (the same reader on every call), or `None`
    /// at the input's end or where reading broke off.
    pub fn next_chunk(&mut self, r: &mut dyn Read) -> Option<Chunk> {
        if self.done {
            return None;
        }
        let (chunk_size, room, json_lines) = (self.chunk_size, self.room, self.json_lines);
        // The chunk is read into a buffer taken from the pool now, after
        // the last one that was scanned went back to it: when the scan's
        // workers pull chunks (see `scan`), the one reading has usually
        // just scanned that buffer, which is still in its cache. What the
        // last cut left over (part of a line) goes in front.
        let mut buf = crate::chunk::buffer(room.max(self.buf.len()));
        buf.extend_from_slice(&self.buf);
        self.buf.clear();
        loop {
            // A JSON line longer than a chunk grows the buffer a chunk at a
            // time (see below); otherwise the block is topped up to a chunk.
            let want = match chunk_size.checked_sub(buf.len()) {
                Some(n) if n > 0 => n,
                _ => chunk_size,
            } as u64;
            let before = buf.len();
            let got = match (&mut *r).take(want).read_to_end(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    self.broken = Some(e);
                    buf.len() - before
                }
            };
            self.total += got as u64;
            let eof = (got as u64) < want || self.broken.is_some();
            if buf.is_empty() {
                crate::chunk::recycle(buf);
                self.done = true;
                return None;
            }
            // A JSON line is only whole JSON when it is read whole: a line
            // longer than a chunk is kept in one piece (up to
            // `MAX_JSON_LINE`, past which it is cut and scanned as text).
            // (The bytes in `buf` before this read hold no line break: they
            // followed the last cut, or are a line still growing.)
            if json_lines
                && !eof
                && buf.len() < MAX_JSON_LINE
                && memchr::memchr(b'\n', &buf[before..]).is_none()
            {
                continue;
            }
            let cut = if eof { buf.len() } else { find_cut(&buf) };
            self.buf.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            let body = buf;
            let (mut first_line, first_column) = (self.line, self.column);
            let ticket = self.ledger.as_ref().map(|ledger| {
                first_line = 0;
                LineTicket {
                    ledger: ledger.clone(),
                    index: self.chunks,
                }
            });
            self.chunks += 1;
            match memchr::memrchr(b'\n', &body) {
                Some(last) => {
                    if ticket.is_none() {
                        self.line += memchr::memchr_iter(b'\n', &body).count() as u64;
                    }
                    self.column = 1 + chars(&body[last + 1..]);
                }
                None => self.column += chars(&body),
            }
            let mut chunk = Chunk {
                path: self.path.clone(),
                first_line,
                first_column,
                pulled: ticket.map(|ticket| {
                    Box::new(Pulled {
                        ticket,
                        mapped: None,
                    })
                }),
                ..Chunk::default()
            };
            if json_lines {
                // Walked on a worker thread (see `prepare`). A JSON line's
                // context is its own fields: no overlap is needed.
                chunk.data = body;
                chunk.pending = Pending::JsonLines;
            } else {
                // Plain text: the detector may look up to a line back and to
                // the end of the line for context words, so the chunk borrows
                // the end of the previous chunk and, when the cut is inside a
                // line, the start of the next. What is left of this block after
                // the cut can be a few bytes only: read on until the lent
                // stretch is whole (a context word after a value, or the end of
                // a number the cut fell into, must not be lost).
                if !body.ends_with(b"\n") && !eof && self.broken.is_none() {
                    let want = (OVERLAP_AFTER + 4).saturating_sub(self.buf.len()) as u64;
                    let before = self.buf.len();
                    if let Err(e) = (&mut *r).take(want).read_to_end(&mut self.buf) {
                        self.broken = Some(e);
                    }
                    self.total += (self.buf.len() - before) as u64;
                }
                let after = if body.ends_with(b"\n") {
                    0
                } else {
                    char_floor(&self.buf, OVERLAP_AFTER)
                };
                let mut data = crate::chunk::buffer(self.carry.len() + body.len() + after);
                data.extend_from_slice(&self.carry);
                data.extend_from_slice(&body);
                data.extend_from_slice(&self.buf[..after]);
                chunk.context_before = self.carry.len() as u32;
                chunk.context_after = after as u32;
                self.carry.clear();
                let from = body.len() - char_floor_back(&body, OVERLAP_BEFORE);
                self.carry.extend_from_slice(&body[from..]);
                crate::chunk::recycle(body);
                chunk.data = data;
            }
            self.done = eof && self.buf.is_empty();
            return Some(chunk);
        }
    }

    /// What reading came to once [`LineReader::next_chunk`] gave `None`:
    /// the bytes read, or the error that broke reading off (what was read
    /// before it was still cut into chunks).
    pub fn finish(&mut self) -> Result<u64, SourceError> {
        match self.broken.take() {
            Some(e) => Err(SourceError::Partial(format!(
                "reading stopped after {} bytes (line {}): {}",
                self.total,
                match &self.ledger {
                    // Waits for the scanners of the chunks cut to count them.
                    Some(ledger) => ledger.line_after(self.chunks),
                    None => self.line,
                },
                e.to_string().to_lowercase()
            ))),
            None => Ok(self.total),
        }
    }
}

/// A regular file of JSON lines cut into chunks in memory maps of it:
/// each chunk is a range of a map ([`Pulled::mapped`](crate::chunk::Pulled::mapped)), with no byte copied
/// and, apart from a few bytes before each cut, none read here. The scan's
/// workers cut such a file in turn under a lock (see `scan`), so the lock
/// is held for a search back from a chunk's end for a line break instead
/// of a `read` of the chunk (the kernel's copy out of the page cache, a
/// fifth of a worker's time on a session archive) and a count of its lines
/// (each chunk carries a [`LineTicket`], counted by its worker's line
/// gate). The worker's gate then reads the map in place and only the lines
/// it keeps are copied out, to be walked and scanned.
///
/// The chunks are those [`LineReader`] cuts with `json_lines` (a test
/// checks): the file is taken in blocks of `chunk_size` bytes from the
/// last cut; a chunk ends after the last line break of the first block
/// holding one, or at the end of the file, or at a safe cut past
/// [`MAX_JSON_LINE`].
///
/// Key decision: the file is mapped in windows of [`MAP_WINDOW_CHUNKS`]
/// chunks (32 MiB by default; more for a longer line), each unmapped once
/// its last chunk is scanned.
/// A map per chunk was tried first and lost to `read`: every unmap stops
/// the other cores to flush their TLBs. One map of the whole file unmaps
/// all its pages at the end of the scan, after the last chunk, when no
/// other work hides it (about 10 ms per 300 MB); windows spread that over
/// the scan.
///
/// A map is not a copy, so the file must not shrink while it is scanned: a
/// mapped page past a new end of file faults (SIGBUS) and the process
/// dies. As in ripgrep, which maps single large files too, this is
/// accepted for regular files, which are rarely cut while being read, and
/// `--no-mmap` reads with `read` instead. Bytes appended during the scan
/// are not read (the file is cut to the size it had when opened).
#[derive(Debug)]
pub struct MappedLines {
    path: Arc<str>,
    chunk_size: usize,
    file: std::fs::File,
    /// The file's size when it was opened.
    size: usize,
    /// Bytes mapped at once (more for a longer line).
    window_size: usize,
    /// The window mapped last, and the file offset of its first byte.
    window: Arc<memmap2::Mmap>,
    window_start: usize,
    /// Where the next chunk starts, and its first column (1 unless a line
    /// longer than [`MAX_JSON_LINE`] was cut).
    pos: usize,
    column: u64,
    /// Where the chunks learn their first line.
    ledger: Arc<LineLedger>,
    /// Chunks cut so far.
    chunks: usize,
    /// A map that failed ends the file there (see [`MappedLines::finish`]).
    broken: Option<std::io::Error>,
}

/// Chunks of a file of JSON lines mapped at once (see [`MappedLines`]):
/// 32 MiB with the default chunk size (4 MiB, see `ReadConfig`).
pub const MAP_WINDOW_CHUNKS: usize = 8;

impl MappedLines {
    /// Maps the first window of `file`, a regular file of JSON lines, to be
    /// cut in chunks of about `chunk_size` bytes. Fails when the file is
    /// empty or cannot be mapped (the caller reads it instead).
    pub fn new(file: &std::fs::File, path: &Arc<str>, chunk_size: usize) -> std::io::Result<Self> {
        let size = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        if size == 0 {
            return Err(std::io::Error::other("empty file"));
        }
        let file = file.try_clone()?;
        let chunk_size = chunk_size.max(1);
        let window_size = chunk_size.saturating_mul(MAP_WINDOW_CHUNKS);
        let window = Arc::new(map_range(&file, 0, window_size.min(size))?);
        Ok(MappedLines {
            path: path.clone(),
            chunk_size,
            file,
            size,
            window_size,
            window,
            window_start: 0,
            pos: 0,
            column: 1,
            ledger: Arc::default(),
            chunks: 0,
            broken: None,
        })
    }

    /// The next chunk, or `None` at the file's end. A map that fails ends
    /// the file there, like a broken read.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        let next = self.cut_next();
        if let Err(e) = &next {
            self.broken = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        next.ok().flatten()
    }

    /// [`MappedLines::next_chunk`], or the error of a map that failed.
    fn cut_next(&mut self) -> std::io::Result<Option<Chunk>> {
        let (start, size, cs) = (self.pos, self.size, self.chunk_size);
        if start >= size || self.broken.is_some() {
            return Ok(None);
        }
        // As `LineReader` reads: blocks of `cs` bytes until one holds a line
        // break (the bytes before it hold none), the end of the file (a
        // block that comes short), or a line of `MAX_JSON_LINE` bytes.
        let mut block = 0;
        let cut = loop {
            let from = start + block * cs;
            let to = from + cs;
            if to > size {
                break size;
            }
            let window = self.mapped(start, to)?;
            if let Some(i) = memchr::memrchr(b'\n', &window[from - start..to - start]) {
                break from + i + 1;
            }
            if to - start >= MAX_JSON_LINE {
                break start + find_cut(&window[..to - start]);
            }
            block += 1;
        };
        self.mapped(start, cut)?;
        let range = start - self.window_start..cut - self.window_start;
        let body = &self.window[range.clone()];
        let first_column = self.column;
        self.column = match memchr::memrchr(b'\n', body) {
            _ if body.ends_with(b"\n") => 1,
            Some(last) => 1 + chars(&body[last + 1..]),
            None => self.column + chars(body),
        };
        let chunk = Chunk {
            path: self.path.clone(),
            first_column,
            pending: Pending::JsonLines,
            pulled: Some(Box::new(Pulled {
                ticket: LineTicket {
                    ledger: self.ledger.clone(),
                    index: self.chunks,
                },
                mapped: Some(Mapped {
                    map: self.window.clone(),
                    range,
                }),
            })),
            ..Chunk::default()
        };
        self.chunks += 1;
        self.pos = cut;
        Ok(Some(chunk))
    }

    /// The bytes of the file from `start` to `end`, mapping a new window
    /// from `start` when the current one does not hold them all.
    fn mapped(&mut self, start: usize, end: usize) -> std::io::Result<&[u8]> {
        let in_window = start >= self.window_start && end <= self.window_start + self.window.len();
        if !in_window {
            let len = self.window_size.max(end - start).min(self.size - start);
            self.window = Arc::new(map_range(&self.file, start, len)?);
            self.window_start = start;
        }
        let at = start - self.window_start;
        Ok(&self.window[at..at + (end - start)])
    }

    /// Once [`MappedLines::next_chunk`] gave `None`: the bytes cut into
    /// chunks (the whole file), or the error of the map that failed.
    pub fn finish(&mut self) -> Result<u64, SourceError> {
        match self.broken.take() {
            Some(e) => Err(SourceError::Partial(format!(
                "mapping stopped after {} bytes (line {}): {}",
                self.pos,
                // Waits for the scanners of the chunks cut to count them.
                self.ledger.line_after(self.chunks),
                e.to_string().to_lowercase()
            ))),
            None => Ok(self.pos as u64),
        }
    }
}

/// A read-only map of `len` bytes of `file` from byte `start`.
fn map_range(file: &std::fs::File, start: usize, len: usize) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is only read, and the file is not written by this
    // process; another process shrinking it during the scan makes a read
    // of a page past its new end fault (SIGBUS): see `MappedLines`.
    unsafe {
        memmap2::MmapOptions::new()
            .offset(start as u64)
            .len(len)
            .map(file)
    }
}

/// Longest JSON line read whole; a longer one is cut like a text line.
pub const MAX_JSON_LINE: usize = 64 << 20;

/// Bytes of context a plain-text chunk borrows from the previous one; at
/// least the detector's window before a candidate (a test checks).
pub const OVERLAP_BEFORE: usize = 128;
/// Bytes of context borrowed from the next chunk when a line is cut; at
/// least the detector's window after a candidate.
pub const OVERLAP_AFTER: usize = 64;

/// The length of the longest prefix of `b`, at most `max` bytes, that ends
/// on a character boundary.
fn char_floor(b: &[u8], max: usize) -> usize {
    let mut n = max.min(b.len());
    while n > 0 && n < b.len() && (b[n] as i8) < -0x40 {
        n -= 1;
    }
    n
}

/// The length of the longest suffix of `b`, at most `max` bytes, that
/// starts on a character boundary.
fn char_floor_back(b: &[u8], max: usize) -> usize {
    let mut n = max.min(b.len());
    while n > 0 && (b[b.len() - n] as i8) < -0x40 {
        n -= 1;
    }
    n
}

/// Turns a chunk of JSON lines into fields: each line holding a JSON
/// value is walked (a session-archive message becomes a record); any
/// other line, or a malformed one, is one text field, so nothing is lost.
/// When the detector's gate has marked the lines that may hold a finding
/// (`chunk.hot`), only those are walked.
pub fn json_lines(chunk: &mut Chunk) {
    chunk.walked = true;
    if chunk.fields.capacity() == 0 {
        chunk.fields = crate::chunk::fields(0);
    }
    let raw_len = chunk.data.len();
    match chunk.hot.take() {
        Some(lines) => {
            for l in &lines {
                walk_line(chunk, l.start as usize, l.end as usize, l.line);
            }
            chunk.hot = Some(lines);
        }
        None => {
            let (mut start, mut index) = (0, 0u32);
            while start < raw_len {
                let end = memchr::memchr(b'\n', &chunk.data[start..raw_len])
                    .map_or(raw_len, |i| start + i);
                walk_line(chunk, start, end, index);
                start = end + 1;
                index += 1;
            }
        }
    }
    sort_fields(&mut chunk.fields, raw_len);
}

/// Orders `fields` by start, as a stable sort does, given that the raw
/// text is `data[..raw_len]` and strings decoded while walking it lie
/// after. Key decision: the walk pushes each line's raw fields in order,
/// but its decoded ones (starts in the tail) in between, so a stable sort
/// of the whole met many short runs and quicksorted 88-byte fields (half
/// a percent of a worker's time on an archive). Every raw start is below
/// every tail start, so the stable sort is the stable sort of the raw
/// fields followed by that of the tail ones, each taken in push order (a
/// stable partition); and a stable sort leaves a sorted part as it is.
///
/// The partition keeps the raw fields where they are and moves the tail
/// ones to a list from the pool (see `chunk::fields`), so no list is made
/// afresh for a chunk.
fn sort_fields(fields: &mut Vec<Field>, raw_len: usize) {
    let by_start = |f: &Field| f.start;
    if fields.is_sorted_by_key(by_start) {
        return;
    }
    let mut tail = crate::chunk::fields(0);
    fields.retain(|f| {
        let raw = (f.start as usize) < raw_len;
        if !raw {
            tail.push(f.clone());
        }
        raw
    });
    for part in [&mut *fields, &mut tail] {
        if !part.is_sorted_by_key(by_start) {
            part.sort_by_key(by_start);
        }
    }
    fields.append(&mut tail);
    crate::chunk::recycle_fields(tail);
}

/// Walks the line `data[start..end]`, the `index`-th of the chunk.
fn walk_line(chunk: &mut Chunk, start: usize, end: usize, index: u32) {
    let text = &chunk.data[start..end];
    let Some(lead) = text.iter().position(|b| !b.is_ascii_whitespace()) else {
        return;
    };
    let line = chunk.first_line + u64::from(index);
    let column = if index == 0 { chunk.first_column } else { 1 };
    let s = start + lead;
    let e = start
        + text
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
    let col = column + chars(&chunk.data[start..s]);
    if matches!(chunk.data[s], b'{' | b'[') {
        if !walk_or_text(chunk, s, e, Origin::Exact { line, column: col }, None, "") {
            chunk.malformed += 1;
        }
    } else {
        chunk.fields.push(Field {
            start: s as u32,
            end: e as u32,
            line,
            column: col,
            exact: true,
            ..Field::default()
        });
    }
}

/// Where to end a chunk: after the last line break, else after the last
/// character that breaks every run (ASCII punctuation or control, a
/// Chinese character, full-width punctuation), so that no identifier
/// straddles the cut; else at a character boundary.
fn find_cut(buf: &[u8]) -> usize {
    if let Some(nl) = memchr::memrchr(b'\n', buf) {
        return nl + 1;
    }
    let floor = buf.len().saturating_sub(CUT_SEARCH);
    let mut p = buf.len();
    while p > floor {
        p -= 1;
        if (buf[p] as i8) < -0x40 {
            continue; // not the start of a character
        }
        // A character the block cuts short is not judged: its missing
        // bytes could make it a digit (a full-width one).
        let whole = utf8_len(buf[p]);
        if p + whole >= buf.len() {
            continue;
        }
        let (class, len) = classify(buf, p);
        let len = len.max(whole);
        if class == Class::Break && p + len < buf.len() {
            return p + len;
        }
    }
    let mut p = buf.len();
    while p > floor && p > 0 && (buf[p - 1] as i8) < -0x40 {
        p -= 1; // back off UTF-8 continuation bytes
    }
    if p > 0 && buf[p - 1] >= 0xC0 {
        p -= 1; // and the lead byte of the cut character
    }
    if p == 0 { buf.len() } else { p }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (first line, first column, bytes) of each chunk of a file of JSON
    /// lines: read by [`read_lines`], pulled from a [`LineReader`] that
    /// leaves the line counts to its consumer, or cut by [`MappedLines`]
    /// (the tickets told each chunk's count, in order).
    fn json_chunks(data: &[u8], chunk_size: usize, how: u8) -> Vec<(u64, u64, Vec<u8>)> {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, data).unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let path = Arc::from("t");
        let mut out = Vec::new();
        let mut take = |mut c: Chunk| {
            let pulled = c.pulled.take();
            let bytes = match pulled.as_ref().and_then(|p| p.mapped.as_ref()) {
                Some(m) => m.bytes().to_vec(),
                None => c.data[c.body()].to_vec(),
            };
            if let Some(p) = pulled {
                assert_eq!(c.first_line, 0);
                let breaks = memchr::memchr_iter(b'\n', &bytes).count() as u64;
                p.ticket.tell(breaks);
                c.first_line = p.ticket.first_line();
            }
            out.push((c.first_line, c.first_column, bytes));
        };
        let total = match how {
            0 => read_lines(&mut file, &path, chunk_size, true, &mut |c| {
                take(c);
                true
            }),
            1 => {
                let mut lines = LineReader::new(&path, chunk_size, true).counted_by_workers();
                while let Some(c) = lines.next_chunk(&mut file) {
                    take(c);
                }
                lines.finish()
            }
            _ => {
                let mut lines = MappedLines::new(&file, &path, chunk_size).unwrap();
                while let Some(c) = lines.next_chunk() {
                    take(c);
                }
                lines.finish()
            }
        };
        assert_eq!(total.unwrap(), data.len() as u64);
        out
    }

    #[test]
    fn mapped_and_pulled_json_lines_are_cut_and_numbered_as_read_ones() {
        let mut rng = crate::detect::TestRng(7);
        for round in 0..200 {
            // Lines of 0 to 99 bytes, now and then one longer than a chunk,
            // or a few chunks; with or without a last line break; enough
            // chunks to need several map windows now and then.
            let mut data = Vec::new();
            for _ in 0..rng.below(if round % 10 == 0 { 2000 } else { 60 }) {
                let len = match rng.below(40) {
                    0 => 300 + rng.below(600),
                    _ => rng.below(100),
                };
                data.extend((0..len).map(|i| b'a' + (i % 26) as u8));
                data.push(b'\n');
            }
            if round % 2 == 1 {
                data.extend_from_slice(b"{\"last\":1}");
            }
            if data.is_empty() {
                continue;
            }
            let chunk_size = 64 + rng.below(200);
            let read = json_chunks(&data, chunk_size, 0);
            assert_eq!(json_chunks(&data, chunk_size, 1), read, "round {round}");
            assert_eq!(json_chunks(&data, chunk_size, 2), read, "round {round}");
            let joined: Vec<u8> = read.iter().flat_map(|c| c.2.clone()).collect();
            assert_eq!(joined, data);
        }
    }

    fn chunks(data: &[u8], chunk_size: usize) -> Vec<Chunk> {
        let mut out = Vec::new();
        read_lines(
            &mut &data[..],
            &Arc::from("t"),
            chunk_size,
            false,
            &mut |c| {
                out.push(c);
                true
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn cuts_at_line_breaks_and_counts_lines() {
        let data = b"aaa\nbbb\nccc\nddd\n";
        let cs = chunks(data, 6);
        let joined: Vec<u8> = cs.iter().flat_map(|c| c.data[c.body()].to_vec()).collect();
        assert_eq!(joined, data);
        for c in &cs {
            assert!(c.data[c.body()].ends_with(b"\n"));
        }
        // Each chunk but the first lends the previous one's tail.
        assert_eq!(cs[1].context_before, 4);
        assert_eq!(&cs[1].data[..4], b"aaa\n");
        assert_eq!(cs[1].first_line, 2);
    }

    #[test]
    fn long_line_cut_outside_identifiers() {
        let line = "手机:13800001234,".repeat(50);
        let cs = chunks(line.as_bytes(), 64);
        assert!(cs.len() > 1);
        let joined: Vec<u8> = cs.iter().flat_map(|c| c.data[c.body()].to_vec()).collect();
        assert_eq!(joined, line.as_bytes());
        for c in &cs {
            assert!(std::str::from_utf8(&c.data).is_ok());
            assert!(!c.data[c.body()].last().unwrap().is_ascii_digit());
        }
        // A line cut in the middle lends its continuation as context.
        assert!(cs[0].context_after > 0);
        assert!(cs[1].first_column > 1);
    }

    #[test]
    fn empty_input_has_no_chunk() {
        assert!(chunks(b"", 64).is_empty());
    }

    #[test]
    fn sort_fields_is_a_stable_sort() {
        let mut rng = crate::detect::TestRng(21);
        for _ in 0..2_000 {
            let raw_len = rng.below(50);
            let n = rng.below(30);
            // Raw fields mostly in order, tail ones anywhere after
            // `raw_len`; equal starts too (told apart by their line).
            let mut at = 0;
            let fields: Vec<Field> = (0..n as u64)
                .map(|line| {
                    let start = match rng.below(4) {
                        0 => raw_len + rng.below(40),
                        1 => rng.below(raw_len + 40),
                        _ => {
                            at += rng.below(3);
                            at
                        }
                    };
                    Field {
                        start: start as u32,
                        line,
                        ..Field::default()
                    }
                })
                .collect();
            let mut expected = fields.clone();
            expected.sort_by_key(|f| f.start);
            let mut got = fields;
            sort_fields(&mut got, raw_len);
            let key = |v: &[Field]| v.iter().map(|f| (f.start, f.line)).collect::<Vec<_>>();
            assert_eq!(key(&got), key(&expected));
        }
    }

    #[test]
    fn json_lines_become_fields_and_other_lines_text() {
        let data =
            "{\"msgid\":\"a\",\"text\":{\"content\":\"message\"}}\nnot json 1\n\n  {\"broken\": \n";
        let mut out = Vec::new();
        read_lines(
            &mut data.as_bytes(),
            &Arc::from("t"),
            1 << 20,
            true,
            &mut |c| {
                out.push(c);
                true
            },
        )
        .unwrap();
        crate::source::prepare(&mut out[0]);
        let c = &out[0];
        let texts: Vec<(&str, u64)> = c
            .fields
            .iter()
            .map(|f| {
                (
                    std::str::from_utf8(&c.data[f.start as usize..f.end as usize]).unwrap(),
                    f.line,
                )
            })
            .collect();
        assert!(texts.contains(&("message", 1)));
        assert!(texts.contains(&("not json 1", 2)));
        assert!(texts.contains(&("{\"broken\":", 4)));
        assert_eq!(c.record_text(&c.records[0].msgid).as_deref(), Some("a"));
    }
}
