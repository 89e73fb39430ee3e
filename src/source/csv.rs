//! Streaming CSV/TSV reader that yields every cell with its provenance.
//!
//! Place: sources — turns a (already decoded, UTF-8) delimited text table
//! into cells with provenance (record, line, column, header); it knows
//! nothing about rules. Key decision: the file is streamed, never read
//! whole; only a bounded head (up to 64 KiB) is buffered to sniff the
//! delimiter and is then chained back in front of the rest, so no byte is
//! lost. Records may have any length, bytes that are not UTF-8 become
//! U+FFFD instead of stopping the scan, and the header row's own cells are
//! passed on too, so nothing goes unscanned. Cell text is passed exactly as
//! the CSV layer unquoted it (spreadsheet artefacts such as `="…"` are left
//! for the caller). Key decision: the `csv` crate's parsing is the
//! reference, and a record holding no quote is split by hand with the same
//! result (`read_split`): most records of an export hold none.

use std::collections::VecDeque;
use std::io::{self, Cursor, Read};

/// Largest head buffered for delimiter sniffing.
const HEAD_LIMIT: usize = 64 * 1024;
/// Room the head's buffer starts with (it grows up to [`HEAD_LIMIT`]).
const HEAD_START: usize = 8 * 1024;
/// Number of records of the head looked at when sniffing the delimiter.
const SNIFF_RECORDS: usize = 10;
/// Candidate delimiters, in order of preference on ties.
const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

/// One cell of a CSV file, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    /// 1-based record number, the first record (header or not) being 1.
    pub record: u64,
    /// 1-based line of the decoded file on which this cell's record starts.
    pub line: u64,
    /// 0-based column index.
    pub column: usize,
    /// Header text of this column (trimmed); `None` for the cells of the
    /// header row itself, when the file has no header, when the record is
    /// longer than the header, or when the header cell is blank.
    pub header: Option<&'a str>,
    /// The cell text as the CSV layer unquoted it (lossy UTF-8).
    pub value: &'a str,
}

/// What [`read_csv`] found out about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStats {
    /// Number of records read, the header record included (when stopped
    /// early: up to and including the record being read when stopped).
    pub records: u64,
    /// Delimiter used (given by the caller or sniffed).
    pub delimiter: u8,
    /// Whether the first record was taken as a header.
    pub has_header: bool,
}

/// Error of [`read_csv`]: the underlying reader failed.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Reading failed after `record` complete records, at `line` (1-based).
    #[error("read error after record {record} near line {line}: {source}")]
    Read {
        /// Number of records completely read before the error.
        record: u64,
        /// Line of the decoded input reached when the error occurred.
        line: u64,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
}

/// Reads a delimited text table and calls `f` for every cell, in file order.
///
/// * `r` must yield UTF-8 (see `super::encoding::decode`), with any BOM
///   already removed. Invalid UTF-8 inside a cell becomes U+FFFD.
/// * Delimiter: `Some(d)` is used as given (e.g. `b'\t'` for `.tsv`);
///   `None` sniffs among `,` `\t` `;` `|` from the first records of the
///   head: a candidate must split the first record, and the one giving the
///   most records with the first record's field count wins (ties: more
///   fields, then the order listed). Default `,`.
/// * Header: the first record is a header unless it looks like data: one of
///   its cells holds a run of 7 or more ASCII digits, or an `@`.
/// * Records may have differing lengths; quoted fields may hold delimiters,
///   newlines and doubled quotes. Blank lines are skipped (they are not
///   records, but do count for line numbers).
/// * The header row's cells are passed too, with `header: None`.
/// * Empty cells are passed as well (value `""`).
/// * If `f` returns `false`, reading stops and the stats so far are returned.
///
/// Errors: only errors of `r` are returned, as [`CsvError::Read`] with the
/// record and line reached. Never panics.
pub fn read_csv<R: Read>(
    mut r: R,
    delimiter: Option<u8>,
    f: &mut dyn FnMut(Cell<'_>) -> bool,
) -> Result<CsvStats, CsvError> {
    let (head, head_complete) = read_head(&mut r).map_err(|source| CsvError::Read {
        record: 0,
        line: 1,
        source,
    })?;
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&head, head_complete));
    let fast = delimiter.is_ascii()
        && !matches!(delimiter, b'"' | b'\r' | b'\n')
        && !head.starts_with(b"\xEF\xBB\xBF");
    let input = LineIndex::new(Cursor::new(head).chain(r));
    let mut cells = CellSink::new(delimiter, f);
    if fast {
        read_split(input, delimiter, &mut cells)
    } else {
        read_by_csv(input, delimiter, &mut cells)
    }
}

/// Where the records of [`read_csv`] go: it numbers them, takes the
/// header from the first, and passes their cells to the caller.
struct CellSink<'f> {
    stats: CsvStats,
    /// The header's cells, trimmed (`None` when blank).
    headers: Vec<Option<String>>,
    f: &'f mut dyn FnMut(Cell<'_>) -> bool,
}

impl<'f> CellSink<'f> {
    /// A sink for the records of a table with `delimiter`, none seen yet.
    fn new(delimiter: u8, f: &'f mut dyn FnMut(Cell<'_>) -> bool) -> Self {
        CellSink {
            stats: CsvStats {
                records: 0,
                delimiter,
                has_header: false,
            },
            headers: Vec::new(),
            f,
        }
    }

    /// Passes on the cells of the next record, which starts on `line`;
    /// false when the caller asked to stop.
    fn record(&mut self, line: u64, fields: &Fields<'_>) -> bool {
        self.stats.records += 1;
        let is_header_row = if self.stats.records == 1 {
            self.stats.has_header = !fields.iter().any(|v| looks_like_data(&v));
            if self.stats.has_header {
                self.headers = fields
                    .iter()
                    .map(|v| {
                        let t = v.trim();
                        (!t.is_empty()).then(|| t.to_owned())
                    })
                    .collect();
            }
            self.stats.has_header
        } else {
            false
        };

        for (column, value) in fields.iter().enumerate() {
            let value = &*value;
            let header = if is_header_row {
                None
            } else {
                self.headers.get(column).and_then(|h| h.as_deref())
            };
            let cell = Cell {
                record: self.stats.records,
                line,
                column,
                header,
                value,
            };
            if !(self.f)(cell) {
                return false;
            }
        }
        true
    }
}

/// [`read_csv`]'s reading by the `csv` crate alone: the reference, and
/// the reader of the tables [`read_split`] does not take (a delimiter that
/// is not ASCII, is a quote or a line break; a head starting with a
/// byte-order mark, which `csv` skips).
fn read_by_csv<R: Read>(
    input: LineIndex<R>,
    delimiter: u8,
    cells: &mut CellSink<'_>,
) -> Result<CsvStats, CsvError> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(READ_BUFFER)
        .from_reader(input);

    let mut record = ::csv::ByteRecord::new();
    let mut ranges = Vec::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let byte = rdr.position().byte();
                let line = rdr.get_mut().line_at(byte);
                return Err(CsvError::Read {
                    record: cells.stats.records,
                    line,
                    source: csv_error_to_io(e),
                });
            }
        }
        let start = record.position().map_or(0, |p| p.byte());
        let line = rdr.get_mut().line_at(start);
        ranges.clear();
        ranges.extend((0..record.len()).map(|i| record.range(i).unwrap_or(0..0)));
        if !cells.record(line, &Fields::new(record.as_slice(), &ranges)) {
            break;
        }
    }
    Ok(cells.stats)
}

/// [`read_csv`]'s reading of a table whose delimiter is an ASCII byte
/// other than a quote or a line break: the same records and fields as
/// [`read_by_csv`], faster.
///
/// Key decision: a record without a quote is split by hand. `csv_core`
/// takes a record that holds no `"` byte as its bytes up to the first
/// `\r` or `\n`, each field being the bytes between two delimiters: so
/// one `memchr3` search for `\r`, `\n` or `"` from the record's start
/// finds its end, and a `memchr` search per delimiter its fields, instead
/// of `csv_core`'s state machine stepping and copying byte by byte (the
/// directory export of the benchmark corpus holds no quote at all). Only
/// a record in which the search meets a quote first goes to `csv_core`,
/// fed from the record's first byte: there, whatever the state the
/// previous record left it in (its end, or the `\r` of a CRLF), `csv_core`
/// starts a record the way it starts one after skipping line breaks,
/// which is what this reader skips between records. Records start where
/// `csv` starts them (just after the first byte of the previous record's
/// terminator), so the lines derived from those offsets are the same.
/// Tests check all of it against [`read_by_csv`] on random tables.
fn read_split<R: Read>(
    input: LineIndex<R>,
    delimiter: u8,
    cells: &mut CellSink<'_>,
) -> Result<CsvStats, CsvError> {
    let mut core = core_reader(delimiter);
    // `csv_core` skips a byte-order mark before the first record it reads,
    // which a record in the middle of the table is not: one throwaway
    // record first.
    let _ = core.read_record(b"x\n", &mut [0; 4], &mut [0; 4]);
    let mut rd = Split {
        input,
        buf: vec![0; READ_BUFFER],
        base: 0,
        start: 0,
        end: 0,
        eof: false,
        core,
        out: vec![0; 1024],
        ends: vec![0; 64],
        ranges: Vec::new(),
    };
    let error = |rd: &mut Split<R>, cells: &CellSink<'_>, source: io::Error| {
        let byte = rd.base + rd.end as u64;
        CsvError::Read {
            record: cells.stats.records,
            line: rd.input.line_at(byte),
            source,
        }
    };
    loop {
        // Where `csv` would start this record, before skipping breaks.
        let at = rd.base + rd.start as u64;
        match rd.skip_breaks() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(error(&mut rd, &*cells, e)),
        }
        let line = rd.input.line_at(at);
        let plain = match rd.plain_end() {
            Ok(plain) => plain,
            Err(e) => return Err(error(&mut rd, &*cells, e)),
        };
        let go_on = match plain {
            Some((end, next)) => {
                let bytes = &rd.buf[rd.start..end];
                rd.ranges.clear();
                let mut from = 0;
                for d in memchr::memchr_iter(delimiter, bytes) {
                    rd.ranges.push(from..d);
                    from = d + 1;
                }
                rd.ranges.push(from..bytes.len());
                let go_on = cells.record(line, &Fields::new(bytes, &rd.ranges));
                rd.start = next;
                go_on
            }
            None => {
                let (len, fields) = match rd.quoted_record() {
                    Ok(Some(record)) => record,
                    Ok(None) => break,
                    Err(e) => return Err(error(&mut rd, &*cells, e)),
                };
                rd.ranges.clear();
                let mut from = 0;
                for &end in &rd.ends[..fields] {
                    rd.ranges.push(from..end);
                    from = end;
                }
                cells.record(line, &Fields::new(&rd.out[..len], &rd.ranges))
            }
        };
        if !go_on {
            break;
        }
    }
    give_back_reader(delimiter, rd.core);
    Ok(cells.stats)
}

/// The state of [`read_split`]: a window of the input and `csv_core`'s
/// scratch space.
struct Split<R> {
    input: LineIndex<R>,
    /// The input read so far and not yet dropped: `buf[start..end]` is yet
    /// to be parsed.
    buf: Vec<u8>,
    /// Offset in the input of `buf[0]`.
    base: u64,
    start: usize,
    end: usize,
    /// Whether the input has ended (a read returned nothing).
    eof: bool,
    core: ::csv_core::Reader,
    /// A quoted record's fields, one after the other, and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// The bounds of the current record's fields.
    ranges: Vec<std::ops::Range<usize>>,
}

impl<R: Read> Split<R> {
    /// Reads more input after `buf[..end]`, dropping what is before
    /// `start` first; sets `eof` when there is no more. Like the `csv`
    /// crate's buffered reader, it does not retry an interrupted read.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.input.read(&mut self.buf[self.end..])?;
        self.end += n;
        self.eof = n == 0;
        Ok(())
    }

    /// Skips line breaks (as `csv_core` does between records); false when
    /// the input ends first.
    fn skip_breaks(&mut self) -> io::Result<bool> {
        loop {
            while self.start < self.end && matches!(self.buf[self.start], b'\r' | b'\n') {
                self.start += 1;
            }
            if self.start < self.end {
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// When the record at `start` holds no quote: where it ends, and where
    /// the next one starts (past the first byte of its terminator, or at
    /// the end of the input). `None` when a quote comes first.
    fn plain_end(&mut self) -> io::Result<Option<(usize, usize)>> {
        let mut searched = self.start;
        loop {
            let hay = &self.buf[searched..self.end];
            if let Some(k) = memchr::memchr3(b'\r', b'\n', b'"', hay) {
                let at = searched + k;
                return Ok((self.buf[at] != b'"').then_some((at, at + 1)));
            }
            if self.eof {
                return Ok(Some((self.end, self.end)));
            }
            let before = self.start;
            searched = self.end;
            self.fill()?;
            searched -= before - self.start;
        }
    }

    /// The record at `start` parsed by `csv_core`: the length of its
    /// fields in `out` and how many fields `ends` holds; `None` if
    /// `csv_core` finds no record (it always does: the record starts with a
    /// byte that is not a line break).
    fn quoted_record(&mut self) -> io::Result<Option<(usize, usize)>> {
        use ::csv_core::ReadRecordResult as Res;
        let (mut len, mut fields) = (0, 0);
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
                continue;
            }
            let (res, nin, nout, nend) = self.core.read_record(
                &self.buf[self.start..self.end],
                &mut self.out[len..],
                &mut self.ends[fields..],
            );
            self.start += nin;
            len += nout;
            fields += nend;
            match res {
                Res::InputEmpty if self.eof && self.start == self.end && nin == 0 => {
                    return Ok(None);
                }
                Res::InputEmpty => {}
                Res::OutputFull => self.out.resize(self.out.len() * 2, 0),
                Res::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                Res::Record => return Ok(Some((len, fields))),
                Res::End => return Ok(None),
            }
        }
    }
}

/// Bytes the CSV parser reads from the input at a time (the `csv` crate's
/// default is 8 KiB: a read call per 8 KiB of a 30 MB directory export).
const READ_BUFFER: usize = 64 * 1024;

/// The cells of one record as text, each exactly as
/// `String::from_utf8_lossy` of its bytes.
///
/// Key decision: the record's bytes (its fields, one after the other,
/// with or without the delimiters between them) are validated as UTF-8
/// once, and a field is borrowed from that text when its bounds are
/// character boundaries: a slice of valid UTF-8 between two character
/// boundaries is valid UTF-8, so it is the field's lossy text unchanged.
/// Only a field of an invalid record, or one whose bounds split a
/// character (`\xE4,\xB8\xAD` is valid once joined, but each field alone
/// is not), goes through `from_utf8_lossy` on its own. One validation of
/// the record replaced a lossy conversion and a vector of cells per
/// record, a sixth of the CSV reader's time.
///
/// Key decision: the validation is `simdutf8`'s (SIMD, the CPU's widest
/// path chosen at run time), not the standard library's, whose fast path
/// is for ASCII only: a directory export is mostly Chinese, and there
/// `std::str::from_utf8` ran at about 1 GB/s, 3.6% of a `-j1` scan of the
/// 30 MB directory CSV of the benchmark corpus (perf, 2026-12). Both accept
/// exactly the well-formed UTF-8 of the Unicode standard (a test checks
/// the two agree); only whether the record is valid is used, never where
/// it is not.
struct Fields<'r> {
    /// The record's bytes, which `ranges` index.
    bytes: &'r [u8],
    /// Each field's bounds in `bytes`, in order.
    ranges: &'r [std::ops::Range<usize>],
    /// The record's bytes, when they are valid UTF-8.
    text: Option<&'r str>,
}

impl<'r> Fields<'r> {
    fn new(bytes: &'r [u8], ranges: &'r [std::ops::Range<usize>]) -> Self {
        Fields {
            bytes,
            ranges,
            text: simdutf8::basic::from_utf8(bytes).ok(),
        }
    }

    /// The cells in order.
    fn iter(&self) -> impl Iterator<Item = std::borrow::Cow<'r, str>> + '_ {
        (0..self.ranges.len()).map(|i| self.get(i))
    }

    /// Cell `i` (`i` below the record's length).
    fn get(&self, i: usize) -> std::borrow::Cow<'r, str> {
        let range = self.ranges.get(i).cloned().unwrap_or(0..0);
        match self.text.and_then(|t| t.get(range.clone())) {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => String::from_utf8_lossy(self.bytes.get(range).unwrap_or(&[])),
        }
    }
}

/// A run of consecutive line-break bytes (`\r`, `\n`) in the input.
#[derive(Debug, Clone, Copy)]
struct BreakRun {
    /// Offset of the run's first byte.
    start: u64,
    /// Offset just past the run's last byte.
    end: u64,
    /// 1-based line number of the byte at `end`.
    line_after: u64,
}

/// Pass-through reader that indexes line breaks, so that the line of a
/// record can be derived from the byte offset at which the CSV parser
/// started it.
///
/// `csv`'s own `Position::line` is the line of that offset, which is not
/// where the record's text starts: for CRLF files the offset points at the
/// `\n` of the previous record's terminator, and skipped blank lines sit
/// between the offset and the text. Here a record's line is the line of
/// its first byte that is not a line break. Line breaks are `\r\n`, `\n`
/// and a lone `\r` (as `csv` also accepts it as a record terminator).
/// Memory is bounded by the runs not yet passed by the parser.
struct LineIndex<R> {
    inner: R,
    /// Offset of the next byte to come through.
    pos: u64,
    /// Line number at `pos`.
    line: u64,
    prev_cr: bool,
    /// Start of the run of line-break bytes still going on at `pos`.
    open: Option<u64>,
    runs: VecDeque<BreakRun>,
    /// Line just after the last run pruned away.
    floor_line: u64,
}

impl<R> LineIndex<R> {
    fn new(inner: R) -> Self {
        LineIndex {
            inner,
            pos: 0,
            line: 1,
            prev_cr: false,
            open: None,
            runs: VecDeque::new(),
            floor_line: 1,
        }
    }

    fn push(&mut self, b: u8) {
        match b {
            b'\n' | b'\r' => {
                if b == b'\r' || !self.prev_cr {
                    self.line = self.line.saturating_add(1);
                }
                self.prev_cr = b == b'\r';
                self.open.get_or_insert(self.pos);
            }
            _ => {
                self.prev_cr = false;
                if let Some(start) = self.open.take() {
                    self.runs.push_back(BreakRun {
                        start,
                        end: self.pos,
                        line_after: self.line,
                    });
                }
            }
        }
        self.pos = self.pos.saturating_add(1);
    }

    /// Line of the first non-line-break byte at or after `byte`. Calls must
    /// come with non-decreasing `byte` (runs before it are pruned).
    fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(run) = self.runs.front() {
            if run.end > byte {
                break;
            }
            self.floor_line = run.line_after;
            self.runs.pop_front();
        }
        if let Some(run) = self.runs.front()
            && run.start <= byte
        {
            return run.line_after;
        }
        if let Some(start) = self.open
            && start <= byte
        {
            return self.line;
        }
        self.floor_line
    }

    /// [`LineIndex::push`] of every byte of `bytes`, in order. Between two
    /// line breaks only the first byte of a stretch changes the state
    /// (it closes the open run); the rest only move `pos`, so stretches
    /// are skipped with a `memchr2` search instead of a step per byte.
    fn push_all(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let breaks = memchr::memchr2(b'\n', b'\r', &bytes[i..]).map_or(bytes.len(), |k| i + k);
            if breaks > i {
                self.push(bytes[i]);
                self.pos = self.pos.saturating_add((breaks - i - 1) as u64);
            }
            let mut j = breaks;
            while let Some(&b @ (b'\n' | b'\r')) = bytes.get(j) {
                self.push(b);
                j += 1;
            }
            i = j;
        }
    }
}

impl<R: Read> Read for LineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.push_all(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

/// Reads up to [`HEAD_LIMIT`] bytes; the flag tells whether EOF was reached.
///
/// The buffer starts with room for a small table: from an empty one, the
/// standard library's `read_to_end` reads 32 bytes first and then ever
/// more, about eight reads for a 6 KB file where two do.
fn read_head<R: Read>(r: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::with_capacity(HEAD_START);
    let n = r.by_ref().take(HEAD_LIMIT as u64).read_to_end(&mut head)?;
    // `take` stops at the limit without telling whether more follows; a
    // head shorter than the limit means EOF was reached.
    Ok((head, n < HEAD_LIMIT))
}

/// Picks the delimiter from the first records of `head`.
/// The delimiter of a table whose first bytes are `head` (`head_complete`:
/// the whole file), chosen as [`read_csv`] chooses it.
pub fn sniff_delimiter(head: &[u8], head_complete: bool) -> u8 {
    let mut best: Option<((usize, usize), u8)> = None;
    for &d in &CANDIDATES {
        let counts = field_counts(head, head_complete, d);
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        let score = (consistent, first);
        // Strictly greater only: earlier candidates win ties.
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, d));
        }
    }
    best.map_or(b',', |(_, d)| d)
}

/// Field counts of the first [`SNIFF_RECORDS`] records of `head` split by
/// `d`, as the `csv` crate reads them (no headers, records of any length).
fn field_counts(head: &[u8], head_complete: bool, d: u8) -> Vec<usize> {
    // One record more than kept, to know whether the last one kept may
    // have been cut off by the end of the head.
    let counts = match memchr::memchr(b'"', head) {
        None => plain_field_counts(head, d),
        Some(_) => quoted_field_counts(head, d),
    };
    kept_counts(counts, head_complete)
}

/// Of the field counts of up to `SNIFF_RECORDS + 1` records of a head,
/// those the sniff keeps: the first [`SNIFF_RECORDS`], or all but a last
/// one the head's end may have cut.
fn kept_counts(mut counts: Vec<usize>, head_complete: bool) -> Vec<usize> {
    if counts.len() > SNIFF_RECORDS {
        counts.truncate(SNIFF_RECORDS);
    } else if !head_complete && counts.len() > 1 {
        // The last record read may be cut off by the head limit.
        counts.pop();
    }
    counts
}

/// The field counts of the first `SNIFF_RECORDS + 1` records of `head`
/// split by `d`: `csv_core`'s records, counted without keeping their
/// bytes.
fn quoted_field_counts(head: &[u8], d: u8) -> Vec<usize> {
    use ::csv_core::ReadRecordResult as Res;
    let mut core = core_reader(d);
    // Scratch space for the fields' bytes and ends, which are not kept:
    // when either fills, the record goes on over it from the start.
    let (mut out, mut ends) = ([0u8; 1024], [0usize; 64]);
    let mut counts = Vec::new();
    let (mut input, mut fields) = (head, 0);
    while counts.len() <= SNIFF_RECORDS {
        // Once `input` is empty, a call tells `csv_core` the input ended.
        let (res, nin, _, nend) = core.read_record(input, &mut out, &mut ends);
        input = &input[nin..];
        fields += nend;
        match res {
            Res::InputEmpty | Res::OutputFull | Res::OutputEndsFull => {}
            Res::Record => counts.push(std::mem::take(&mut fields)),
            Res::End => break,
        }
    }
    give_back_reader(d, core);
    counts
}

/// [`quoted_field_counts`] of a head without a quote, split by hand as
/// [`read_split`] splits a record without one: `csv_core` takes such a
/// head's records as its lines (ended by `\r`, `\n` or both; empty ones
/// skipped; a byte-order mark at the start left out) and their fields as
/// the bytes between delimiters. The sniff counts the fields of every
/// table it opens, four times, and most tables hold no quote.
fn plain_field_counts(head: &[u8], d: u8) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    while counts.len() <= SNIFF_RECORDS && !rest.is_empty() {
        let end = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
        if end > 0 {
            counts.push(memchr::memchr_iter(d, &rest[..end]).count() + 1);
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    counts
}

/// Built `csv_core` readers kept for reuse, with their delimiters (see
/// [`core_reader`]).
static SPARE_READERS: std::sync::Mutex<Vec<(u8, ::csv_core::Reader)>> =
    std::sync::Mutex::new(Vec::new());

/// At most this many readers are kept: one per candidate delimiter and
/// thread, about.
const MAX_SPARE_READERS: usize = 16;

/// A `csv_core` reader splitting by `delimiter` (the rest as by default),
/// as if never used: one given back by [`give_back_reader`], reset, or
/// else a new one.
///
/// Key decision: building a reader computes its state machine's whole
/// transition table, byte by byte: about 4 us, and each table took five
/// (the sniff tried four delimiters, then the read). On a folder of 2,415
/// small CSV files (pieces of the benchmark's directory export, among
/// 4,830 files) the builds were 16% of the scan's samples at -j2. A built
/// reader cannot be copied instead: `csv_core`'s `Clone` of one copies
/// its transitions but not the rest of its table (0.1.13), so a copy reads
/// wrongly; a reader is reset and reused.
fn core_reader(delimiter: u8) -> ::csv_core::Reader {
    let kept = {
        let mut spare = SPARE_READERS.lock().unwrap_or_else(|e| e.into_inner());
        let at = spare.iter().position(|(d, _)| *d == delimiter);
        at.map(|i| spare.swap_remove(i).1)
    };
    match kept {
        Some(mut r) => {
            r.reset();
            r
        }
        None => ::csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .build(),
    }
}

/// Keeps `reader`, built by [`core_reader`] for `delimiter`, for reuse.
fn give_back_reader(delimiter: u8, reader: ::csv_core::Reader) {
    let mut spare = SPARE_READERS.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < MAX_SPARE_READERS {
        spare.push((delimiter, reader));
    }
}

/// Whether a first-record cell looks like data rather than a column title.
fn looks_like_data(value: &str) -> bool {
    if value.contains('@') {
        return true;
    }
    let mut run = 0usize;
    for b in value.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 7 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn csv_error_to_io(e: ::csv::Error) -> io::Error {
    if e.is_io_error() {
        match e.into_kind() {
            ::csv::ErrorKind::Io(io) => io,
            other => io::Error::other(format!("{other:?}")),
        }
    } else {
        io::Error::other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::TestRng;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Owned {
        record: u64,
        line: u64,
        column: usize,
        header: Option<String>,
        value: String,
    }

    fn collect(input: &[u8], delimiter: Option<u8>) -> (CsvStats, Vec<Owned>) {
        let mut cells = Vec::new();
        let stats = read_csv(input, delimiter, &mut |c| {
            cells.push(Owned {
                record: c.record,
                line: c.line,
                column: c.column,
                header: c.header.map(str::to_owned),
                value: c.value.to_owned(),
            });
            true
        })
        .expect("read ok");
        (stats, cells)
    }

    fn find<'a>(cells: &'a [Owned], value: &str) -> &'a Owned {
        cells
            .iter()
            .find(|c| c.value == value)
            .unwrap_or_else(|| panic!("no cell {value:?} in {cells:?}"))
    }

    #[test]
    fn comma_with_header() {
        let input = "姓名,手机,邮箱\n张三,13800001234,zhangsan@example.com\n李四,13900001234,lisi@example.com\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(
            stats,
            CsvStats {
                records: 3,
                delimiter: b',',
                has_header: true
            }
        );
        assert_eq!(cells.len(), 9);
        assert_eq!(
            cells[0],
            Owned {
                record: 1,
                line: 1,
                column: 0,
                header: None,
                value: "姓名".into()
            }
        );
        let c = find(&cells, "13800001234");
        assert_eq!((c.record, c.line, c.column), (2, 2, 1));
        assert_eq!(c.header.as_deref(), Some("手机"));
        let c = find(&cells, "lisi@example.com");
        assert_eq!((c.record, c.line, c.column), (3, 3, 2));
        assert_eq!(c.header.as_deref(), Some("邮箱"));
    }

    #[test]
    fn tab_delimited() {
        let input = "姓名\t手机\t备注\n张三\t13800001234\t客户, 重要\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.delimiter, b'\t');
        assert!(stats.has_header);
        let c = find(&cells, "客户, 重要");
        assert_eq!(c.header.as_deref(), Some("备注"));
        // Explicit delimiter for .tsv callers.
        let (stats, _) = collect(input.as_bytes(), Some(b'\t'));
        assert_eq!(stats.delimiter, b'\t');
    }

    #[test]
    fn semicolon_delimited() {
        let input = "name;phone;note\nZhang;13800001234;a,b\nLi;13900001234;c,d\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.delimiter, b';');
        assert_eq!(find(&cells, "a,b").header.as_deref(), Some("note"));
    }

    #[test]
    fn pipe_delimited() {
        let input = "a|b|c\n1|2|3\n";
        let (stats, _) = collect(input.as_bytes(), None);
        assert_eq!(stats.delimiter, b'|');
    }

    #[test]
    fn single_column_defaults_to_comma() {
        let input = "手机\n13800001234\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.delimiter, b',');
        assert_eq!(find(&cells, "13800001234").header.as_deref(), Some("手机"));
    }

    #[test]
    fn empty_input() {
        let (stats, cells) = collect(b"", None);
        assert_eq!(stats.records, 0);
        assert!(!stats.has_header);
        assert_eq!(stats.delimiter, b',');
        assert!(cells.is_empty());
    }

    #[test]
    fn quoted_multiline_cell_keeps_line_numbers() {
        let input = "姓名,备注,手机\n\"张三\",\"第一行\n第二行, 含逗号\n第三行 \"\"引号\"\"\",13800001234\n李四,无,13900001234\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.records, 3);
        let c = find(&cells, "第一行\n第二行, 含逗号\n第三行 \"引号\"");
        assert_eq!((c.record, c.line, c.column), (2, 2, 1));
        let c = find(&cells, "13800001234");
        assert_eq!((c.record, c.line), (2, 2));
        let c = find(&cells, "13900001234");
        assert_eq!((c.record, c.line, c.column), (3, 5, 2));
        assert_eq!(c.header.as_deref(), Some("手机"));
    }

    #[test]
    fn crlf_line_numbers() {
        let input = "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n";
        let (_, cells) = collect(input.as_bytes(), None);
        assert_eq!(find(&cells, "x\r\ny").line, 2);
        assert_eq!(find(&cells, "z").line, 4);
    }

    #[test]
    fn header_detected_as_data() {
        let input = "张三,13800001234\n李四,13900001234\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert!(!stats.has_header);
        assert!(cells.iter().all(|c| c.header.is_none()));
        assert_eq!(find(&cells, "13800001234").record, 1);

        let input = "zhangsan@example.com,x\n";
        let (stats, _) = collect(input.as_bytes(), None);
        assert!(!stats.has_header);

        // Six digits are still a plausible header ("部门编号123456").
        let input = "编号123456,名称\n1,2\n";
        let (stats, _) = collect(input.as_bytes(), None);
        assert!(stats.has_header);
    }

    #[test]
    fn header_cells_are_trimmed_and_blank_is_none() {
        let input = " 姓名 ,,手机\n张三,x,13800001234\n";
        let (_, cells) = collect(input.as_bytes(), None);
        assert_eq!(find(&cells, "张三").header.as_deref(), Some("姓名"));
        assert_eq!(find(&cells, "x").header, None);
        // The header row's own cell is passed untrimmed.
        assert_eq!(find(&cells, " 姓名 ").header, None);
    }

    #[test]
    fn ragged_rows() {
        let input = "a,b\n1\n2,3,4,5\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.records, 3);
        assert_eq!(cells.len(), 2 + 1 + 4);
        let c = find(&cells, "5");
        assert_eq!((c.record, c.column, c.header.clone()), (3, 3, None));
        assert_eq!(find(&cells, "3").header.as_deref(), Some("b"));
    }

    #[test]
    fn spreadsheet_formula_artefact_passed_through() {
        let input =
            "身份证号,姓名\n\"=\"\"110101190001010006\"\"\",张三\n=\"110101190001010006\",李四\n";
        let (_, cells) = collect(input.as_bytes(), None);
        let ids: Vec<_> = cells
            .iter()
            .filter(|c| c.column == 0 && c.record > 1)
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].value, "=\"110101190001010006\"");
        // Unquoted field: quotes kept as is.
        assert_eq!(ids[1].value, "=\"110101190001010006\"");
        assert_eq!(ids[1].header.as_deref(), Some("身份证号"));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_and_reading_goes_on() {
        let input = b"name,phone\nab\xFFcd,13800001234\nli,13900001234\n";
        let (stats, cells) = collect(input, None);
        assert_eq!(stats.records, 3);
        assert_eq!(find(&cells, "ab\u{FFFD}cd").column, 0);
        assert_eq!(find(&cells, "13900001234").record, 3);
    }

    #[test]
    fn stops_when_callback_returns_false() {
        let input = "a,b\n1,2\n3,4\n";
        let mut seen = 0;
        let stats = read_csv(input.as_bytes(), None, &mut |_| {
            seen += 1;
            seen < 3
        })
        .unwrap();
        assert_eq!(seen, 3);
        assert_eq!(stats.records, 2);
    }

    #[test]
    fn long_input_beyond_head_loses_no_bytes() {
        let mut input = String::from("姓名;手机\n");
        let rows = 10_000;
        for i in 0..rows {
            input.push_str(&format!("用户{i};1380000{i:04}\n"));
        }
        assert!(input.len() > HEAD_LIMIT);
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.delimiter, b';');
        assert_eq!(stats.records, rows + 1);
        assert_eq!(cells.len() as u64, 2 * (rows + 1));
        let last = cells.last().unwrap();
        assert_eq!(last.value, "13800009999");
        assert_eq!(last.line, rows + 1);
    }

    #[test]
    fn blank_lines_count_for_line_numbers() {
        let input = "\na,b\n\n\r\n1,2\n";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.records, 2);
        assert_eq!(find(&cells, "a").line, 2);
        assert_eq!(find(&cells, "2").line, 5);
    }

    #[test]
    fn lone_cr_line_endings() {
        let input = "a,b\r1,2\r\r3,4";
        let (stats, cells) = collect(input.as_bytes(), None);
        assert_eq!(stats.records, 3);
        assert_eq!(find(&cells, "2").line, 2);
        assert_eq!(find(&cells, "4").line, 4);
    }

    #[test]
    fn crlf_over_many_read_chunks() {
        // Line breaks split across the underlying reader's chunks.
        let mut data = String::from("a,b\r\n");
        for i in 0..5000 {
            data.push_str(&format!("{i},\"x\r\ny\"\r\n"));
        }
        let r = Failing {
            data: data.into_bytes(),
            pos: 0,
            fail_at_end: false,
        };
        let mut last = (0, 0);
        read_csv(r, None, &mut |c| {
            last = (c.record, c.line);
            true
        })
        .unwrap();
        assert_eq!(last, (5001, 2 + 2 * 5000 - 2));
    }

    /// Fewer than `below` bytes drawn from `alphabet`.
    fn random_bytes(rng: &mut TestRng, alphabet: &[u8], below: usize) -> Vec<u8> {
        let n = rng.below(below);
        (0..n)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect()
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = TestRng(0x2545_F491_4F6C_DD1D);
        for _ in 0..500 {
            let input = random_bytes(&mut rng, b",;\t|\"\r\n a1@\xFF\xE4", 300);
            let mut last_line = 0;
            let stats = read_csv(&input[..], None, &mut |c| {
                assert!(c.line >= last_line);
                last_line = c.line;
                true
            })
            .unwrap();
            assert!(CANDIDATES.contains(&stats.delimiter));
        }
    }

    /// A reader giving at most `max` bytes per read.
    struct Chunked {
        data: Vec<u8>,
        pos: usize,
        max: usize,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.data.len() - self.pos).min(self.max);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    /// The stats and cells of `input` read by [`read_split`] (`split`) or
    /// [`read_by_csv`], `max` bytes per read, stopping after `stop` cells.
    fn read_with(
        input: &[u8],
        delimiter: u8,
        split: bool,
        max: usize,
        stop: usize,
    ) -> (CsvStats, Vec<Owned>) {
        let mut got = Vec::new();
        let mut f = |c: Cell<'_>| {
            got.push(Owned {
                record: c.record,
                line: c.line,
                column: c.column,
                header: c.header.map(str::to_owned),
                value: c.value.to_owned(),
            });
            got.len() < stop
        };
        let mut cells = CellSink::new(delimiter, &mut f);
        let input = LineIndex::new(Chunked {
            data: input.to_vec(),
            pos: 0,
            max,
        });
        let stats = if split {
            read_split(input, delimiter, &mut cells)
        } else {
            read_by_csv(input, delimiter, &mut cells)
        }
        .expect("read ok");
        (stats, got)
    }

    /// The hand-split reader gives exactly the records, fields, lines and
    /// headers of the `csv` crate: random tables of plain and quoted
    /// fields (with delimiters, quotes, doubled quotes and line breaks
    /// inside, and quotes in the middle of unquoted ones), LF, CRLF and
    /// lone CR, blank lines, empty fields, ragged rows, Chinese text,
    /// invalid UTF-8 and byte-order marks mid-table, read in pieces of
    /// any size, and stopped early.
    #[test]
    fn split_reader_is_csv_reader() {
        let mut rng = TestRng(0xD1B5_4A32_D192_ED03);
        let pieces: [&[u8]; 18] = [
            b"13800001234",
            "张三".as_bytes(),
            "北京市朝阳区建设路352号".as_bytes(),
            b"a@b.cn",
            b"x",
            b"",
            b"\"q,\"\"x\"\"\n\r\ny\"",
            b"\"\"",
            b"ab\"c",
            b"\"a\"b",
            b"\xFF",
            b"\xE4",
            b"\xB8\xAD",
            b"\xEF\xBB\xBF",
            b" ",
            b"\t",
            b";",
            b"|",
        ];
        let breaks: [&[u8]; 5] = [b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n"];
        for round in 0..1500 {
            let delimiter = [b',', b'\t', b';', b'|'][round % 4];
            let mut input = Vec::new();
            for _ in 0..rng.below(12) {
                for field in 0..1 + rng.below(6) {
                    if field > 0 {
                        input.push(delimiter);
                    }
                    for _ in 0..rng.below(3) {
                        input.extend_from_slice(pieces[rng.below(pieces.len())]);
                    }
                }
                if rng.below(8) > 0 {
                    input.extend_from_slice(breaks[rng.below(breaks.len())]);
                }
            }
            if round % 10 == 0 {
                // A record longer than the read buffer.
                input.extend(std::iter::repeat_n(b'7', READ_BUFFER + 5));
                input.extend_from_slice(b",\"1\n2\"\n");
            }
            if input.starts_with(b"\xEF\xBB\xBF") {
                // `read_csv` gives such a table to the `csv` crate.
                input.insert(0, b'x');
            }
            let max = [1, 2, 7, 64, 4096, usize::MAX][rng.below(6)];
            let stop = [usize::MAX, 1 + rng.below(20)][rng.below(2)];
            let want = read_with(&input, delimiter, false, max, stop);
            let got = read_with(&input, delimiter, true, max, stop);
            assert_eq!(
                got, want,
                "{input:?} delimiter {delimiter} max {max} stop {stop}"
            );
        }
    }

    /// A table starting with a byte-order mark, or with a delimiter the
    /// hand split does not take, is read by the `csv` crate as before.
    #[test]
    fn bom_and_odd_delimiters_go_to_csv() {
        let input = b"\xEF\xBB\xBFa,b\n\n1,2\n";
        let (stats, cells) = collect(input, None);
        assert_eq!(stats.records, 2);
        assert_eq!(find(&cells, "a").line, 1);
        assert_eq!(find(&cells, "2").line, 3);
        let (stats, cells) = collect(b"a\"b\"c\n1\"2\n", Some(b'"'));
        assert_eq!(stats.records, 2);
        assert_eq!(cells.len(), 5);
    }

    /// The sniff's field counts are those the `csv` crate reads (no
    /// headers, records of any length), for each candidate delimiter, on
    /// random heads full or cut short, with a quote (counted by `csv_core`)
    /// or without (split by hand): quoted fields holding delimiters,
    /// quotes and line breaks, CRLF and blank lines, a byte-order mark,
    /// fields longer than the counting's scratch space and records of
    /// more fields than its ends.
    #[test]
    fn field_counts_are_the_csv_crates() {
        fn reference(head: &[u8], head_complete: bool, d: u8) -> Vec<usize> {
            let mut rdr = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(d)
                .from_reader(head);
            let mut rec = ::csv::ByteRecord::new();
            let mut counts = Vec::new();
            while counts.len() <= SNIFF_RECORDS {
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => counts.push(rec.len()),
                    _ => break,
                }
            }
            kept_counts(counts, head_complete)
        }
        // The cut the reference shares: the first SNIFF_RECORDS, else all
        // but a last record a cut head may have cut, unless it is the only.
        let n = |k: usize| (1..=k).collect::<Vec<usize>>();
        assert_eq!(kept_counts(n(SNIFF_RECORDS + 1), false), n(SNIFF_RECORDS));
        assert_eq!(kept_counts(n(SNIFF_RECORDS + 1), true), n(SNIFF_RECORDS));
        assert_eq!(kept_counts(n(5), false), n(4));
        assert_eq!(kept_counts(n(5), true), n(5));
        assert_eq!(kept_counts(n(1), false), n(1));
        let mut rng = TestRng(0xA076_1D64_78BD_642F);
        let long = vec![b'x'; 1500];
        let many = ",".repeat(100);
        let pieces: [&[u8]; 13] = [
            b"a",
            b",",
            b"\t",
            b";",
            b"|",
            b"\"q,\n\"\"\"",
            b"\n",
            b"\r\n",
            b"\n\n",
            "\u{FEFF}".as_bytes(),
            "中".as_bytes(),
            &long,
            many.as_bytes(),
        ];
        for _ in 0..1500 {
            let mut head = Vec::new();
            for _ in 0..rng.below(40) {
                head.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let complete = rng.below(2) == 0;
            for d in CANDIDATES {
                assert_eq!(
                    field_counts(&head, complete, d),
                    reference(&head, complete, d),
                    "{head:?} {d}"
                );
            }
        }
    }

    /// `push_all` leaves the index exactly as pushing byte by byte does,
    /// however the input is split into reads.
    #[test]
    fn push_all_is_push_per_byte() {
        let mut rng = TestRng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            let input = random_bytes(&mut rng, b"\r\n\r\nab,\"\xE4", 200);
            let n = input.len();
            let mut slow = LineIndex::new(());
            for &b in &input {
                slow.push(b);
            }
            let mut fast = LineIndex::new(());
            let mut rest = &input[..];
            while !rest.is_empty() {
                let k = 1 + rng.below(rest.len());
                fast.push_all(&rest[..k]);
                rest = &rest[k..];
            }
            let state = |l: &LineIndex<()>| {
                let runs: Vec<_> = l
                    .runs
                    .iter()
                    .map(|r| (r.start, r.end, r.line_after))
                    .collect();
                (l.pos, l.line, l.prev_cr, l.open, runs, l.floor_line)
            };
            assert_eq!(state(&fast), state(&slow), "{input:?}");
            for byte in 0..=n as u64 {
                assert_eq!(
                    fast.line_at(byte),
                    slow.line_at(byte),
                    "{input:?} at {byte}"
                );
            }
        }
    }

    /// Each cell is `from_utf8_lossy` of its bytes, also when the record
    /// is invalid UTF-8 or a field's bounds split a character that is
    /// whole once the fields are joined.
    #[test]
    fn fields_are_lossy_cells() {
        let mut rng = TestRng(0x2545_F491_4F6C_DD1D);
        let mut rnd = || rng.next();
        let pieces: [&[u8]; 9] = [
            b"a",
            b",",
            b"\xE4",
            b"\xB8\xAD",
            "中".as_bytes(),
            b"\xFF",
            b"\"x,\"",
            b"\n",
            b"13800001234",
        ];
        for _ in 0..500 {
            let mut input = Vec::new();
            for _ in 0..(rnd() % 12) {
                input.extend_from_slice(pieces[(rnd() as usize) % pieces.len()]);
            }
            let mut rdr = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&input[..]);
            let mut record = ::csv::ByteRecord::new();
            while let Ok(true) = rdr.read_byte_record(&mut record) {
                let want: Vec<String> = record
                    .iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect();
                let ranges: Vec<_> = (0..record.len())
                    .map(|i| record.range(i).unwrap())
                    .collect();
                let fields = Fields::new(record.as_slice(), &ranges);
                let got: Vec<String> = fields.iter().map(|c| c.into_owned()).collect();
                assert_eq!(got, want, "{input:?}");
            }
        }
        // Joined, the two fields are a valid character; alone, neither is.
        let input = b"\xE4,\xB8\xAD\n";
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&input[..]);
        let mut record = ::csv::ByteRecord::new();
        assert!(rdr.read_byte_record(&mut record).unwrap());
        let ranges: Vec<_> = (0..record.len())
            .map(|i| record.range(i).unwrap())
            .collect();
        let fields = Fields::new(record.as_slice(), &ranges);
        assert!(fields.text.is_some());
        assert_eq!(fields.get(0), "\u{FFFD}");
        assert_eq!(fields.get(1), "\u{FFFD}\u{FFFD}");
    }

    /// `simdutf8` (which [`Fields::new`] validates with) accepts exactly
    /// what the standard library accepts: random byte strings built of
    /// valid characters of every length and of the classic malformations
    /// (overlong forms, surrogates, code points past U+10FFFF, cut or
    /// stray continuation bytes), long enough to reach the SIMD blocks.
    #[test]
    fn simd_validation_is_std_validation() {
        let mut rng = TestRng(0x9E37_79B9_7F4A_7C15);
        let mut rnd = || rng.next();
        let pieces: [&[u8]; 16] = [
            b"a",
            b"0123456789,abc@",
            "中".as_bytes(),
            "é".as_bytes(),
            "😀".as_bytes(),
            "\u{10FFFF}".as_bytes(),
            b"\xE4\xB8",
            b"\xB8",
            b"\xC0\x80",
            b"\xE0\x80\x80",
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"\xF8\x88\x80\x80\x80",
            b"\xFF",
            b"\xF0\x9F\x98",
            "北京市朝阳区建设路352号".as_bytes(),
        ];
        let mut valid = 0;
        for _ in 0..3000 {
            let mut input = Vec::new();
            let n = rnd() % 80;
            for _ in 0..n {
                // Mostly valid pieces, so that long valid strings occur.
                let k = rnd() as usize;
                let piece = if k.is_multiple_of(8) {
                    pieces[k / 8 % pieces.len()]
                } else {
                    [pieces[0], pieces[1], pieces[2], pieces[3], pieces[4]][k % 5]
                };
                input.extend_from_slice(piece);
            }
            let want = std::str::from_utf8(&input).ok();
            valid += usize::from(want.is_some());
            assert_eq!(simdutf8::basic::from_utf8(&input).ok(), want, "{input:?}");
        }
        assert!(valid > 100 && valid < 2900, "{valid}");
    }

    struct Failing {
        data: Vec<u8>,
        pos: usize,
        fail_at_end: bool,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos >= self.data.len() {
                if !self.fail_at_end {
                    return Ok(0);
                }
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.data.len() - self.pos).min(7);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn reader_error_is_returned() {
        let r = Failing {
            data: b"a,b\n1,2\n".to_vec(),
            pos: 0,
            fail_at_end: true,
        };
        let err = read_csv(r, Some(b','), &mut |_| true).unwrap_err();
        let CsvError::Read { record, source, .. } = err;
        assert_eq!(record, 0);
        assert_eq!(source.to_string(), "disk on fire");
    }

    #[test]
    fn reader_error_after_head_reports_record() {
        // Error only after more than the head has been delivered.
        let mut data = String::from("a,b\n");
        while data.len() < HEAD_LIMIT + 100 {
            data.push_str("1,2\n");
        }
        let r = Failing {
            data: data.into_bytes(),
            pos: 0,
            fail_at_end: true,
        };
        let mut n = 0u64;
        let err = read_csv(r, None, &mut |_| {
            n += 1;
            true
        })
        .unwrap_err();
        let CsvError::Read { record, line, .. } = err;
        assert!(record > 1000, "record {record}");
        assert!(line >= record, "line {line} record {record}");
        assert_eq!(n, record * 2);
    }
}
