//! The line reader: plain text and JSON lines. It reads an input
//! in blocks of about `chunk_size` bytes and cuts each block at its last
//! line break, so one large file becomes many chunks that the driver can
//! scan on every core, in bounded memory. A line longer than a block is
//! cut at a byte that can never be part of an identifier, so no candidate
//! straddles the cut.

use super::SourceError;
use super::json::{Origin, walk_or_text};
use crate::chunk::{Chunk, Field, Pending, chars};
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
        }
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
            let (first_line, first_column) = (self.line, self.column);
            match memchr::memrchr(b'\n', &body) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', &body).count() as u64;
                    self.column = 1 + chars(&body[last + 1..]);
                }
                None => self.column += chars(&body),
            }
            let mut chunk = Chunk {
                path: self.path.clone(),
                first_line,
                first_column,
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
                self.line,
                e.to_string().to_lowercase()
            ))),
            None => Ok(self.total),
        }
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
fn sort_fields(fields: &mut Vec<Field>, raw_len: usize) {
    let by_start = |f: &Field| f.start;
    if fields.is_sorted_by_key(by_start) {
        return;
    }
    let (mut raw, mut tail): (Vec<Field>, Vec<Field>) =
        fields.drain(..).partition(|f| (f.start as usize) < raw_len);
    for part in [&mut raw, &mut tail] {
        if !part.is_sorted_by_key(by_start) {
            part.sort_by_key(by_start);
        }
    }
    raw.append(&mut tail);
    *fields = raw;
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
