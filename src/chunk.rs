//! The plain type that crosses from `source` to `detect`: a [`Chunk`] is a
//! slice of one input's bytes with enough provenance to turn an offset in
//! it into a path, line and column — and, for structured inputs, into the
//! record and field it sits in.
//!
//! Key decision: a structured reader does not hand over one small text per
//! JSON string or table cell. It hands over one buffer per chunk plus a
//! list of [`Field`]s (byte ranges with provenance). The detector scans the
//! buffer in one pass and attributes each match to its field, so the hot
//! loop runs over large buffers whatever the format.

use crate::pool::Pool;
use std::sync::Arc;

/// Default deepest JSON nesting the readers walk; deeper JSON is scanned
/// as text.
pub const MAX_JSON_DEPTH: usize = 128;

/// The nesting limit in force (`--max-json-depth`). A process-wide setting
/// rather than a field threaded through every reader: the JSON walker and
/// the line gate (which must agree on it) read it deep inside per-line code
/// on the workers, and one scan per process is what the binary runs.
static JSON_DEPTH: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(MAX_JSON_DEPTH);

/// The deepest JSON nesting walked.
#[inline]
pub fn max_json_depth() -> usize {
    JSON_DEPTH.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the deepest JSON nesting walked (at least 1).
pub fn set_max_json_depth(depth: usize) {
    JSON_DEPTH.store(depth.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// Chunk buffers kept for reuse (see [`crate::pool`]). A chunk's buffer
/// is about five megabytes (a 4 MiB chunk and room for the line it cuts
/// off): a fresh one costs the kernel a page fault and a zeroed page per
/// 4 KiB (measured at about a tenth of a scan's time), so the workers hand
/// scanned buffers back and the readers take them again. At most eight are
/// kept, of 64 KiB to 6 MiB (a default chunk's buffer fits; a JSON line
/// read whole can make a buffer of up to 64 MiB, and eight of them would
/// hold half a gigabyte), so the pool never holds more than 48 MiB beyond
/// the chunks in flight (about 42 MiB with the default chunk size: eight
/// buffers of about 5.25 MiB).
static POOL: Pool<u8> = Pool::new(8, 64 * 1024, MAX_KEPT_BUFFER);

/// The largest chunk buffer [`recycle`] keeps (a default chunk and the
/// line it runs on into); other per-chunk pools are sized after it.
pub const MAX_KEPT_BUFFER: usize = 6 << 20;

/// An empty buffer with room for at least `capacity` bytes, reused from
/// the pool when one is there.
pub fn buffer(capacity: usize) -> Vec<u8> {
    POOL.take_with_capacity(capacity)
}

/// Gives a scanned chunk's buffer back for reuse (buffers too small to be
/// worth keeping, too large to keep, or beyond what the pool keeps are
/// freed).
pub fn recycle(buf: Vec<u8>) {
    POOL.give(buf);
}

/// Field lists kept for reuse, as chunk buffers are (see [`POOL`]): a
/// chunk of a directory export holds up to 16K cells, a chunk of dense
/// archive lines thousands of values, each a [`Field`] of about 90 bytes,
/// so a list is a megabyte or two, grown a doubling at a time when made
/// afresh (on 36 MB of archive lines that all hold a finding, page faults
/// on fresh lists were a tenth of the scan's samples). At most six are
/// kept, of 512 to 64K fields (a table chunk's 16K cells, and the 25-40K
/// values of a megabyte of archive lines that all hold a finding; at most
/// about 34 MiB in all).
static FIELDS: Pool<Field> = Pool::new(6, 512, 64 * 1024);

/// An empty field list with room for at least `capacity` fields, reused
/// from the pool when one is there.
pub fn fields(capacity: usize) -> Vec<Field> {
    FIELDS.take_with_capacity(capacity)
}

/// Gives a field list back for reuse (see [`fields`]).
pub fn recycle_fields(list: Vec<Field>) {
    FIELDS.give(list);
}

/// Gives a scanned chunk's buffers back for reuse: its bytes (see
/// [`recycle`]) and its field list (see [`fields`]).
pub fn recycle_chunk(chunk: &mut Chunk) {
    recycle(std::mem::take(&mut chunk.data));
    recycle_fields(std::mem::take(&mut chunk.fields));
}

/// Number of characters in UTF-8 `bytes` (its lead bytes): columns are
/// counted in characters everywhere.
///
/// Key decision: the bytes are read eight at a time and their continuation
/// bytes (`10xxxxxx`) counted in the word (each one's top bit, with the
/// bit below it clear, summed by a multiplication), then subtracted. The
/// count of lead bytes by an iterator was widened to 64 bits lane by lane,
/// two bytes a step: the JSON walker counts the columns of every field of
/// a hot line with it, and on a 60 MB archive sample (callgrind) the count
/// was 3.5M of the walker's 28M instructions.
pub fn chars(bytes: &[u8]) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut continuation = 0u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        // Top bit set and the bit below it clear, in each byte.
        let c = w & !(w << 1) & HIGH;
        // One per such byte, summed into the top byte (at most 8).
        continuation += ((c >> 7).wrapping_mul(ONES)) >> 56;
    }
    let tail = words.remainder();
    continuation += tail.iter().filter(|&&b| (b as i8) < -0x40).count() as u64;
    bytes.len() as u64 - continuation
}

/// A piece of one input, cut at a line boundary when the input has lines.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// Display path of the input the bytes came from (`a.zip!b.csv` inside
    /// containers).
    pub path: Arc<str>,
    /// The bytes to scan: the input's text, followed by decoded copies of
    /// escaped strings when a reader needed them.
    pub data: Vec<u8>,
    /// 1-based line number of the first byte of `data`; 0 while the chunk
    /// waits to learn it from [`Chunk::pulled`].
    pub first_line: u64,
    /// 1-based column (in characters) of the first byte of `data`; 1
    /// unless a line longer than a chunk had to be split.
    pub first_column: u64,
    /// When non-empty, only matches inside these ranges are reported, each
    /// with its field's provenance and label. Sorted by `start`, not
    /// overlapping. When empty, the whole of `data` is plain text.
    pub fields: Vec<Field>,
    /// Records (messages, rows) that fields belong to.
    pub records: Vec<Record>,
    /// Text of field paths, labels and column names, referred to by
    /// [`Name`] ranges (one buffer per chunk instead of one string per
    /// field).
    pub names: String,
    /// Structure still to be parsed out of `data` before detection. Readers
    /// leave the costly parsing (walking JSON lines) to this step, which
    /// the scan driver runs on its worker threads, so that parsing uses
    /// every core too.
    pub pending: Pending,
    /// The lines that may hold a finding, when the detector's line gate
    /// has looked at the chunk (see `detect::gate`); `None`: every line.
    /// For JSON lines only these lines are walked into fields.
    pub hot: Option<Vec<LineSpan>>,
    /// `data` was walked as JSON lines: bytes outside every field (JSON
    /// syntax, lines the gate left out) hold nothing to report.
    pub walked: bool,
    /// Leading bytes of `data` that belong to the previous chunk, kept as
    /// context only (a label on the line before a value cut off by the
    /// chunk border): nothing in them is reported, and `first_line` and
    /// `first_column` describe the byte after them.
    pub context_before: u32,
    /// Trailing bytes of `data` that belong to the next chunk, kept as
    /// context only (a line cut in the middle).
    pub context_after: u32,
    /// Each JSON string decoded into the tail of `data`: where its copy is
    /// and where its raw content (between the quotes) is. `leaksweep
    /// redact` rewrites a string from its copy; the scan ignores this.
    pub decoded: Vec<Decoded>,
    /// Lines of a JSON-lines chunk that were not valid JSON (scanned as
    /// text); counted in the summary.
    pub malformed: u32,
    /// Length of `data` when the line gate ran (0: it did not). Decoded
    /// copies are appended past it; before it, only the hot lines can hold
    /// a finding.
    pub gated_len: u32,
    /// A chunk cut by the scan's workers: where it learns its first line,
    /// and its bytes when they are still in a map (boxed: a chunk is moved
    /// through channels, and only one in a megabyte has this).
    pub pulled: Option<Box<Pulled>>,
}

/// What a chunk cut by the scan's workers carries besides its bytes.
#[derive(Clone, Debug)]
pub struct Pulled {
    /// Where the chunk learns its first line: its reader did not count the
    /// line breaks before it (the worker that scans it counts its own,
    /// see [`LineLedger`]).
    pub ticket: LineTicket,
    /// The chunk's bytes still in a memory map of its input (a regular file
    /// of JSON lines): `data` is empty until the worker that scans the
    /// chunk fills it (see `scan`).
    pub mapped: Option<Mapped>,
}

/// The bytes of a chunk in a memory map of its input.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// A window of the input's map (see `source::text::MappedLines`),
    /// unmapped when the reader and the last chunk holding it have
    /// dropped it.
    pub map: Arc<memmap2::Mmap>,
    /// The chunk's bytes in it.
    pub range: std::ops::Range<usize>,
}

impl Mapped {
    /// The chunk's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }
}

/// A chunk's place in a [`LineLedger`].
#[derive(Clone, Debug)]
pub struct LineTicket {
    /// The ledger of the chunk's input.
    pub ledger: Arc<LineLedger>,
    /// The chunk's place among the input's chunks (0 for the first).
    pub index: usize,
}

impl LineTicket {
    /// Tells the ledger that the chunk holds `breaks` line breaks.
    pub fn tell(&self, breaks: u64) {
        self.ledger.count(self.index, breaks);
    }

    /// Waits until the chunk's first line is known (it and the chunks
    /// before it counted) and returns it.
    pub fn first_line(&self) -> u64 {
        self.ledger.first_line(self.index)
    }
}

/// Line numbers of the chunks of one input, learnt as the chunks' line
/// breaks are counted, in any order: chunk `k` starts on line 1 plus the
/// line breaks of chunks `0..k`.
///
/// Key decision: the scan's workers count a chunk's line breaks while
/// their line gate walks its lines anyway, instead of the reader counting
/// them (a pass over every byte, under the lock the workers take turns
/// at: see `scan`). A worker tells its count before it asks for its first
/// line, and workers take chunks in order, so the chunks before one being
/// asked about are all with workers that will tell theirs without waiting
/// themselves: nobody waits forever. A worker asks only once it has
/// scanned its chunk (numbering the findings afterwards), by when the
/// chunk before, taken first, has long been counted: nobody waits in
/// practice. Only the first lines not yet asked for are kept.
#[derive(Debug, Default)]
pub struct LineLedger {
    state: std::sync::Mutex<Ledger>,
    counted: std::sync::Condvar,
}

/// The state of a [`LineLedger`].
#[derive(Debug, Default)]
struct Ledger {
    /// Counts of chunks past `next` (told before an earlier chunk's).
    early: std::collections::BTreeMap<usize, u64>,
    /// The first chunk not yet counted.
    next: usize,
    /// The line breaks of the chunks before `next`.
    before_next: u64,
    /// First lines of counted chunks that have not been asked for.
    firsts: std::collections::HashMap<usize, u64>,
}

impl LineLedger {
    /// Locks the state; nothing panics while holding the lock, so a
    /// poisoned one is whole.
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chunk `index` holds `breaks` line breaks (a second count of the
    /// same chunk is ignored).
    pub fn count(&self, index: usize, breaks: u64) {
        let mut l = self.ledger();
        if index < l.next || l.early.contains_key(&index) {
            return;
        }
        l.early.insert(index, breaks);
        let l = &mut *l;
        while let Some(n) = l.early.remove(&l.next) {
            let (next, first) = (l.next, l.before_next + 1);
            l.firsts.insert(next, first);
            l.before_next += n;
            l.next += 1;
        }
        self.counted.notify_all();
    }

    /// The first line of chunk `index`, once it and every chunk before it
    /// are counted (waits until then); asked once per chunk.
    pub fn first_line(&self, index: usize) -> u64 {
        let mut l = self.ledger();
        loop {
            if let Some(first) = l.firsts.remove(&index) {
                return first;
            }
            l = self.counted.wait(l).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The line after the first `chunks` chunks, once they are counted
    /// (waits until then): where reading broke off.
    pub fn line_after(&self, chunks: usize) -> u64 {
        let mut l = self.ledger();
        while l.next < chunks {
            l = self.counted.wait(l).unwrap_or_else(|e| e.into_inner());
        }
        l.before_next + 1
    }
}

/// A JSON string decoded into a chunk's tail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded copy, `data[copy.0..copy.1]`.
    pub copy: (u32, u32),
    /// The escaped original between its quotes, `data[raw.0..raw.1]`.
    pub raw: (u32, u32),
}

impl Chunk {
    /// The range of `data` this chunk reports on: all of it but the
    /// context borrowed from its neighbours.
    pub fn body(&self) -> std::ops::Range<usize> {
        self.context_before as usize..self.data.len() - self.context_after as usize
    }
}

/// One line of a chunk: `data[start..end]` (without its line break), the
/// `line`-th of the chunk (0-based).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineSpan {
    /// First byte.
    pub start: u32,
    /// One past the last byte, before the line break.
    pub end: u32,
    /// Index of the line in the chunk (0 = the line holding `data[0]`).
    pub line: u32,
}

/// Parsing left for the worker thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pending {
    /// Nothing: `data` and `fields` are ready.
    #[default]
    None,
    /// `data` holds JSON lines to walk into fields.
    JsonLines,
}

/// A range of [`Chunk::names`]; empty means "none".
pub type Name = std::ops::Range<u32>;

impl Chunk {
    /// The text of a name range, or `None` when it is empty.
    pub fn name(&self, name: &Name) -> Option<&str> {
        if name.is_empty() {
            None
        } else {
            self.names.get(name.start as usize..name.end as usize)
        }
    }

    /// Appends `text` to the names buffer and returns its range.
    pub fn push_name(&mut self, text: &str) -> Name {
        let start = self.names.len() as u32;
        self.names.push_str(text);
        start..self.names.len() as u32
    }
}

/// A value inside a structured input: a JSON string or number, a cell.
#[derive(Clone, Debug, Default)]
pub struct Field {
    /// First byte in [`Chunk::data`].
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// Line where the value starts in the input (1-based).
    pub line: u64,
    /// Column where the value starts in the input (1-based, characters).
    pub column: u64,
    /// The bytes are the input's own, so positions inside the field can be
    /// counted from `data`; `false` for decoded or reassembled values,
    /// whose findings are placed at the field's start.
    pub exact: bool,
    /// Index into [`Chunk::records`], if the field belongs to a record.
    pub record: Option<u32>,
    /// Where the field sits in its record: a JSON path
    /// (`chatrecord.item[1].content.content`), empty for table cells.
    pub path: Name,
    /// The name that labels the value (JSON key, column header); used as
    /// context (a 手机 column makes its cells mobiles).
    pub label: Name,
    /// Column header of a table cell (also its label, unless the cell
    /// holds JSON whose keys label its values).
    pub header: Name,
    /// Spreadsheet row (1-based, header = 1) for table cells.
    pub row: Option<u64>,
    /// Spreadsheet column name (`A`, `B`, …) for table cells.
    pub cell_column: Name,
}

/// The record a field belongs to: a session-archive message or a sheet.
/// Values are kept as ranges (into [`Chunk::data`] for message fields,
/// already unescaped; into [`Chunk::names`] for the sheet), so that a
/// record costs no allocation unless a finding needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Archive `msgid`.
    pub msgid: Name,
    /// Archive `from` (the sender's userid; `user` of a switch record).
    pub from: Name,
    /// Archive `roomid` (group chat).
    pub roomid: Name,
    /// Archive `msgtime` (ms since the epoch; `time` of a switch record).
    pub msgtime: Name,
    /// Archive `msgtype` (`switch` for switch records).
    pub msgtype: Name,
    /// Spreadsheet sheet name (in `names`).
    pub sheet: Name,
}

impl Chunk {
    /// The text of a record field stored in `data`, if any.
    pub fn record_text(&self, range: &Name) -> Option<String> {
        if range.is_empty() {
            return None;
        }
        let bytes = self.data.get(range.start as usize..range.end as usize)?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Decodes JSON string escapes into `out` (UTF-8). Invalid escapes are kept
/// as written; lone surrogates become U+FFFD.
pub fn unescape_json(raw: &[u8], out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + raw.len(), 0);
    let n = unescape_json_into(raw, &mut out[at..]);
    out.truncate(at + n);
}

/// [`unescape_json`] into a slice: writes the decoded bytes to the front
/// of `out` and returns how many. `out` must be at least `raw.len()` long:
/// decoding never lengthens a string (a `\uXXXX` escape of 6 bytes
/// becomes at most 3, a surrogate pair of 12 becomes 4, a two-byte escape
/// 1 or, when invalid, itself), so no byte is ever written past that.
///
/// Key decision: ensure_ascii dumps write Chinese text as back-to-back
/// `\uXXXX` escapes, so the loop looks at the byte after an escape before
/// searching for the next backslash, decodes an escape of a three-byte
/// character (all of Chinese) on a short path of its own, and reads hex
/// digits through a table rather than through `str` parsing.
pub fn unescape_json_into(raw: &[u8], out: &mut [u8]) -> usize {
    assert!(out.len() >= raw.len(), "output shorter than input");
    decoder::<false>(raw, out).1
}

/// Decodes the rest of a JSON string, `raw` starting just after its
/// opening quote, into the front of `out` (at least `raw.len()` long) up
/// to its closing quote: the first quote no backslash escapes. Returns
/// where that quote is in `raw` and how many bytes were written, or `None`
/// when the string does not end in `raw`.
///
/// The bytes written are those [`unescape_json_into`] writes for
/// `raw[..quote]`: an escape never reaches past the closing quote (no
/// quote is a hex digit), and a backslash escapes the byte after it in
/// both readings.
pub fn unescape_json_string(raw: &[u8], out: &mut [u8]) -> Option<(usize, usize)> {
    assert!(out.len() >= raw.len(), "output shorter than input");
    match decoder::<true>(raw, out) {
        (i, w) if i < raw.len() => Some((i, w)),
        _ => None,
    }
}

/// [`decode`] as the CPU runs it fastest: with AVX-512 (64 bytes of text
/// and escapes per step, see [`decode_avx512`]) when it has it, else with
/// AVX2 (runs of `\uXXXX` escapes decoded four at a time).
///
/// The choice is read from [`DECODER`], one load per call: the decoder
/// runs once per string with an escape (a few per line), and the six
/// feature tests it stood for were a visible share of a short string's
/// cost.
#[inline(always)]
fn decoder<const STOP_AT_QUOTE: bool>(raw: &[u8], out: &mut [u8]) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let kind = match DECODER.load(std::sync::atomic::Ordering::Relaxed) {
            UNKNOWN => pick_decoder(),
            kind => kind,
        };
        if kind == AVX512 {
            // SAFETY: `AVX512` is picked only where the CPU has the
            // features `decode_avx512` enables.
            return unsafe { decode_avx512::<STOP_AT_QUOTE>(raw, out) };
        }
        if kind == AVX2 {
            // SAFETY: `AVX2` is picked only where the CPU has AVX2.
            return unsafe { decode_avx2::<STOP_AT_QUOTE>(raw, out) };
        }
    }
    decode::<STOP_AT_QUOTE, false>(raw, out)
}

/// The decoder [`decoder`] runs: `UNKNOWN` until the first call picks one
/// of `SCALAR`, `AVX2` and `AVX512` ([`pick_decoder`]). Any thread may
/// pick; they all pick the same.
#[cfg(target_arch = "x86_64")]
static DECODER: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(UNKNOWN);

/// Values of [`DECODER`]: none picked yet.
#[cfg(target_arch = "x86_64")]
const UNKNOWN: u8 = 0;
/// The one-at-a-time loop.
#[cfg(target_arch = "x86_64")]
const SCALAR: u8 = 1;
/// [`decode_avx2`].
#[cfg(target_arch = "x86_64")]
const AVX2: u8 = 2;
/// [`decode_avx512`].
#[cfg(target_arch = "x86_64")]
const AVX512: u8 = 3;

/// Picks the fastest decoder the CPU runs and keeps it in [`DECODER`].
#[cfg(target_arch = "x86_64")]
#[cold]
fn pick_decoder() -> u8 {
    let kind = if has_avx512() {
        AVX512
    } else if std::arch::is_x86_feature_detected!("avx2") {
        AVX2
    } else {
        SCALAR
    };
    DECODER.store(kind, std::sync::atomic::Ordering::Relaxed);
    kind
}

/// True when the CPU has what [`decode_avx512`] enables (AVX-512 BW for
/// byte compares and masked loads and stores, VBMI for byte table
/// look-ups, VBMI2 for compressing bytes). Valgrind hides AVX-512, so a
/// callgrind run measures the AVX2 path.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vbmi")
        && std::arch::is_x86_feature_detected!("avx512vbmi2")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// [`decode`] compiled with AVX2, so that its runs of escapes are decoded
/// inline, four at a time.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn decode_avx2<const STOP_AT_QUOTE: bool>(raw: &[u8], out: &mut [u8]) -> (usize, usize) {
    decode::<STOP_AT_QUOTE, true>(raw, out)
}

/// The decoder of [`unescape_json_into`] (`STOP_AT_QUOTE` false) and of
/// [`unescape_json_string`] (true: stops at an unescaped quote). Returns
/// where it stopped in `raw` (`raw.len()` when at the end, else at the
/// quote) and how many bytes it wrote. With `AVX2` (only ever set by
/// [`decode_avx2`]) runs of `\uXXXX` escapes go up to four at a time
/// through [`escape_quads`] first; a two-byte escape goes straight to
/// [`other_escape`] (`\"` is most escapes of a chat record's items: a
/// step that takes none cost about 60 instructions; callgrind, esc10 with
/// the escaped gate's keyword change: decode 18.9M -> 13.1M Ir).
#[inline(always)]
fn decode<const STOP_AT_QUOTE: bool, const AVX2: bool>(
    raw: &[u8],
    out: &mut [u8],
) -> (usize, usize) {
    let n = raw.len();
    assert!(out.len() >= n, "output shorter than input");
    let (mut i, mut w) = (0, 0);
    while i < n {
        let b = raw[i];
        if b != b'\\' {
            if STOP_AT_QUOTE && b == b'"' {
                return (i, w);
            }
            // Text between escapes (`55202` in `\u8d2d55202\u53f0`) is
            // mostly short: it is copied and searched sixteen bytes at a
            // time (the output has room: `w <= i`) before a search call is
            // worth its cost.
            let mut blocks = 0;
            loop {
                let Some(sixteen) = raw.get(i..i + 16) else {
                    // The line's last bytes.
                    while i < n && raw[i] != b'\\' && !(STOP_AT_QUOTE && raw[i] == b'"') {
                        out[w] = raw[i];
                        i += 1;
                        w += 1;
                    }
                    break;
                };
                out[w..w + 16].copy_from_slice(sixteen);
                if let Some(k) = first_special::<STOP_AT_QUOTE>(sixteen) {
                    i += k;
                    w += k;
                    break;
                }
                i += 16;
                w += 16;
                blocks += 1;
                if blocks == 2 {
                    let k = if STOP_AT_QUOTE {
                        memchr::memchr2(b'\\', b'"', &raw[i..])
                    } else {
                        memchr::memchr(b'\\', &raw[i..])
                    }
                    .unwrap_or(n - i);
                    out[w..w + k].copy_from_slice(&raw[i..i + k]);
                    i += k;
                    w += k;
                    break;
                }
            }
            continue;
        }
        // `\uXXXX` escapes of characters of three UTF-8 bytes (no
        // surrogate), back to back: all of Chinese.
        let at = i;
        #[allow(unused_mut)]
        let mut stopped = false;
        // A two-byte escape (`\"`: a chat record's JSON in a string) goes
        // straight to the general decoding: a step of `escape_quads` would
        // find no escape it takes at `i` and cost a few dozen instructions
        // to say so.
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            if raw.get(i + 1) != Some(&b'u') {
                (i, w) = other_escape(raw, out, i, w);
                continue;
            }
            // SAFETY: `AVX2` is set only where the CPU has it.
            (i, w, stopped) = unsafe { escape_quads::<STOP_AT_QUOTE>(raw, out, i, w) };
        }
        while !stopped && let Some(&[b'\\', b'u', a, b, c, d]) = raw.get(i..i + 6) {
            let utf8 = three_byte_escape(a, b, c, d);
            if utf8 >> 24 != 0 {
                break;
            }
            // The three UTF-8 bytes in one four-byte store: the fourth
            // is scratch (room: `w <= i` and `i + 6 <= n <= out.len()`)
            // that the next byte written replaces or that lies past the
            // count returned.
            out[w..w + 4].copy_from_slice(&utf8.to_le_bytes());
            w += 3;
            i += 6;
        }
        // The escape at `i`, if any, is none of those: straight to the
        // general decoding (`other_escape`), which is what the next round
        // of the loop would come to after finding no such escape at `i`
        // again.
        if i != at && raw.get(i) != Some(&b'\\') {
            continue;
        }
        (i, w) = other_escape(raw, out, i, w);
    }
    (n, w)
}

/// Decodes the escape whose backslash is `raw[i]` to `out[w..]` one at a
/// time, whatever it is (a simple escape, any `\uXXXX` with surrogate
/// pairs, one kept as written, a backslash that ends `raw`); returns where
/// it ends in both. Room: `w <= i` and `out` is as long as `raw`.
#[inline(always)]
fn other_escape(raw: &[u8], out: &mut [u8], i: usize, w: usize) -> (usize, usize) {
    let Some(&e) = raw.get(i + 1) else {
        out[w] = b'\\';
        return (raw.len(), w + 1);
    };
    let simple = match e {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        b'/' => Some(b'/'),
        b'b' => Some(0x08),
        b'f' => Some(0x0C),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    };
    if let Some(b) = simple {
        out[w] = b;
        return (i + 2, w + 1);
    }
    if e == b'u'
        && let Some(hi) = hex4(raw, i + 2)
    {
        let mut cp = hi;
        let mut len = 6;
        if (0xD800..0xDC00).contains(&hi)
            && raw.get(i + 6) == Some(&b'\\')
            && raw.get(i + 7) == Some(&b'u')
            && let Some(lo) = hex4(raw, i + 8).filter(|lo| (0xDC00..0xE000).contains(lo))
        {
            cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            len = 12;
        }
        return (i + len, w + encode_utf8(cp, &mut out[w..]));
    }
    out[w..w + 2].copy_from_slice(&raw[i..i + 2]);
    (i + 2, w + 2)
}

/// The UTF-8 bytes (little-endian, in the low three bytes) of the
/// character the hex digits `a` `b` `c` `d` of a `\uXXXX` escape name,
/// when it is one of three UTF-8 bytes and no surrogate; else a value
/// with a bit above the low three bytes set.
#[inline(always)]
fn three_byte_escape(a: u8, b: u8, c: u8, d: u8) -> u32 {
    // A byte that is no hex digit sets a bit above 0xFFFF; the digits come
    // shifted into place from their tables.
    let cp = HEX_AT[0][a as usize]
        | HEX_AT[1][b as usize]
        | HEX_AT[2][c as usize]
        | HEX_AT[3][d as usize];
    if !(0x800..0x10000).contains(&cp) || cp & 0xF800 == 0xD800 {
        return u32::MAX;
    }
    0x0080_80E0 | cp >> 12 | (cp << 2) & 0x3F00 | (cp << 16) & 0x3F_0000
}

/// Decodes the `\uXXXX` escapes of three-byte characters (no surrogate)
/// back to back from `raw[i..]` to `out[w..]`, four per step (two in each
/// 128-bit lane: sixteen bytes read from `i` and from `i + 12`), as
/// [`three_byte_escape`] decodes them; returns where it stopped in both,
/// and whether it stopped before a byte that starts no such escape (else
/// it stopped near the end of `raw`: the caller goes on one at a time).
///
/// Key decision: a step takes the good escapes at the front of its four
/// (a partial step) rather than giving up on the four, as most runs of
/// escapes in chat text are short (two in five are one to three
/// escapes) and end in plain text: that saves the one-at-a-time loop,
/// and the caller knows without looking that the escape at `i` is for
/// the general path. Short text after a run (`55202` in
/// `\u8d2d55202\u53f0`) whose next backslash lies within sixteen bytes
/// is copied here and the steps go on from that backslash, rather than
/// leaving for the caller's text loop and coming back (most runs end so:
/// a third of the decoder's instructions went to those round trips,
/// callgrind). A quote (with `STOP_AT_QUOTE`) in that text stops the
/// steps before the text, so that the caller sees it as it did.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn escape_quads<const STOP_AT_QUOTE: bool>(
    raw: &[u8],
    out: &mut [u8],
    mut i: usize,
    mut w: usize,
) -> (usize, usize, bool) {
    use std::arch::x86_64::*;
    let (bs, u) = (b'\\' as i8, b'u' as i8);
    let lane = |a: __m128i| _mm256_broadcastsi128_si256(a);
    let marks = lane(_mm_setr_epi8(
        bs, u, 0, 0, 0, 0, bs, u, 0, 0, 0, 0, 0, 0, 0, 0,
    ));
    // The eight hex digits in order, then zeros.
    let digits = lane(_mm_setr_epi8(
        2, 3, 4, 5, 8, 9, 10, 11, -1, -1, -1, -1, -1, -1, -1, -1,
    ));
    let by16 = lane(_mm_setr_epi8(
        16, 1, 16, 1, 16, 1, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    ));
    let by256 = lane(_mm_setr_epi16(256, 1, 256, 1, 0, 0, 0, 0));
    // The three UTF-8 bytes of each of the lane's two characters.
    let utf8_bytes = lane(_mm_setr_epi8(
        0, 1, 2, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ));
    // `lo <= v <= lo + span` for bytes, unsigned, and `v - lo`.
    let within = |v: __m256i, lo: u8, span: u8| {
        let d = _mm256_sub_epi8(v, _mm256_set1_epi8(lo as i8));
        (
            d,
            _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(span as i8)), d),
        )
    };
    // Room: `w <= i` (decoding never lengthens) and `out` is at least as
    // long as `raw`; checked anyway, as the loads and stores are not.
    while i + 28 <= raw.len() && w + 14 <= out.len() {
        // SAFETY: `raw[i..i + 28]` is in bounds.
        let v = unsafe {
            let p = raw.as_ptr().add(i);
            _mm256_set_m128i(_mm_loadu_si128(p.add(12).cast()), _mm_loadu_si128(p.cast()))
        };
        let (digit, is_digit) = within(v, b'0', 9);
        // Setting bit 5 folds upper-case letters onto lower-case ones
        // (and no other byte onto a letter).
        let (letter, is_letter) = within(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), b'a', 5);
        let marked = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, marks)) as u32 & 0x00C3_00C3;
        let hex = _mm256_movemask_epi8(_mm256_or_si256(is_digit, is_letter)) as u32 & 0x0F3C_0F3C;
        let nibbles = _mm256_blendv_epi8(
            _mm256_add_epi8(letter, _mm256_set1_epi8(10)),
            digit,
            is_digit,
        );
        // Digit pairs, then code points, in the low two 32-bit lanes of
        // each half (whatever the bytes: a code point read from bytes that
        // are no escape is never used, see `count`).
        let pairs = _mm256_maddubs_epi16(_mm256_shuffle_epi8(nibbles, digits), by16);
        let cp = _mm256_madd_epi16(pairs, by256);
        let top = _mm256_srli_epi32::<11>(cp);
        let short_or_surrogate = _mm256_or_si256(
            _mm256_cmpeq_epi32(top, _mm256_setzero_si256()),
            _mm256_cmpeq_epi32(top, _mm256_set1_epi32(0xD800 >> 11)),
        );
        let wrong = _mm256_movemask_epi8(short_or_surrogate) as u32;
        // A set bit for each byte that spoils an escape, within the six
        // bits of the escape's bytes (bits 0-5, 6-11, 16-21 and 22-27 for
        // the four): the syntax, and the code point's four bits moved
        // into its escape's six.
        let bad =
            (!(marked | hex) & 0x0FFF_0FFF) | (wrong & 0x000F_000F) | (wrong & 0x00F0_00F0) << 2;
        // As `three_byte_escape`, in each 32-bit lane.
        let utf8 = _mm256_or_si256(
            _mm256_or_si256(_mm256_set1_epi32(0x0080_80E0), _mm256_srli_epi32::<12>(cp)),
            _mm256_or_si256(
                _mm256_and_si256(_mm256_slli_epi32::<2>(cp), _mm256_set1_epi32(0x3F00)),
                _mm256_and_si256(_mm256_slli_epi32::<16>(cp), _mm256_set1_epi32(0x3F_0000)),
            ),
        );
        let six = _mm256_shuffle_epi8(utf8, utf8_bytes);
        // Six bytes and two of scratch from each half, the second half's
        // over the first's scratch. Bytes past the `3 * count` good ones
        // lie past the count returned or are replaced by the next bytes
        // written.
        // SAFETY: `out[w..w + 14]` is in bounds (the loop's condition).
        unsafe {
            let q = out.as_mut_ptr().add(w);
            _mm_storel_epi64(q.cast(), _mm256_castsi256_si128(six));
            _mm_storel_epi64(q.add(6).cast(), _mm256_extracti128_si256::<1>(six));
        }
        if bad == 0 {
            // All four good (most steps in a long run): the next step's
            // loads wait on no count, so steps overlap.
            i += 24;
            w += 12;
            continue;
        }
        // How many escapes, from the first, are all good.
        let count = QUAD_COUNT[bad.trailing_zeros() as usize] as usize;
        // The escape at `i + 6 * count` (if any) is not of a three-byte
        // character (with `count` zero the bytes stored are all scratch).
        let (j, v) = (i + 6 * count, w + 3 * count);
        // Text up to a backslash within sixteen bytes: copied, and the
        // steps go on from the backslash (room: `v <= j` and `j + 16 <=
        // raw.len() <= out.len()`). A backslash at `j` itself starts no
        // escape the steps take; a quote first ends the string.
        if let Some(sixteen) = raw.get(j..j + 16)
            && let Some(k) = first_special::<STOP_AT_QUOTE>(sixteen)
            && k != 0
            && sixteen[k] == b'\\'
        {
            out[v..v + 16].copy_from_slice(sixteen);
            i = j + k;
            w = v + k;
            continue;
        }
        return (j, v, true);
    }
    (i, w, false)
}

/// [`decode`] with AVX-512: text, `\uXXXX` escapes of three-byte
/// characters (no surrogate) and two-byte escapes other than `\\` go 64
/// input bytes per step through [`blocks64`], whatever their mix; any
/// other escape goes one at a time through [`other_escape`], and the steps
/// go on after it.
///
/// Key decision: chat text mixes short runs of escapes with short runs of
/// digits and ASCII (`\u91c7\u8d2d55202\u53f0`), so the AVX2 path leaves
/// its four-at-a-time step and its sixteen-byte copy loop every few bytes,
/// on a branch that is hard to predict. A step here decodes every good
/// escape of 64 bytes in place (each escape's three UTF-8 bytes over its
/// first three bytes) and squeezes out the other three of each with one
/// compress (VBMI2), so that mixing costs nothing.
///
/// # Safety
/// The CPU must support what [`has_avx512`] checks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi1,popcnt")]
unsafe fn decode_avx512<const STOP_AT_QUOTE: bool>(raw: &[u8], out: &mut [u8]) -> (usize, usize) {
    let n = raw.len();
    assert!(out.len() >= n, "output shorter than input");
    let (mut i, mut w) = (0, 0);
    loop {
        // SAFETY: the caller's CPU has the features; `w <= i <= n` and
        // `out` is as long as `raw`.
        (i, w) = unsafe { blocks64::<STOP_AT_QUOTE>(raw, out, i, w) };
        // `raw[i]` is past the end, a quote (with `STOP_AT_QUOTE`) or a
        // backslash that starts no escape the steps decode.
        if i >= n {
            return (n, w);
        }
        if STOP_AT_QUOTE && raw[i] == b'"' {
            return (i, w);
        }
        (i, w) = other_escape(raw, out, i, w);
    }
}

/// Decodes `raw[i..]` to `out[w..]` 64 input bytes per step as long as it
/// holds only plain bytes and `\uXXXX` escapes of three-byte characters
/// (no surrogate), as [`three_byte_escape`] decodes them; returns where it
/// stopped in both: at the end of `raw`, or at a backslash that starts no
/// such escape, or (with `STOP_AT_QUOTE`) at a quote.
///
/// A step loads the 64 bytes at `i` and, for the digits, the 64 at
/// `i + 2` and at `i + 3` (masked loads: no byte past `raw` is read, and
/// those read as zero, which is no digit, quote or backslash). An escape
/// starting at byte `p` of the step is good when its bytes are `\`, `u`
/// and four hex digits `A B C D` within the 64 and `A B` name no
/// character of one or two bytes and no surrogate; then byte `p` becomes
/// `0xE0 | A`, byte `p + 1` `0x80 | B << 2 | C >> 2` and byte `p + 2`
/// `0x80 | (C & 3) << 4 | D`: each is one table look-up (by the byte's
/// low six bits, which tell hex digits apart) of the bytes two and three
/// further on. A two-byte escape other than `\\` (`\"`, `\n`: a chat
/// record's JSON in a string) starting in the first 58 bytes is good too:
/// byte `p` becomes what it decodes to (a look-up of the byte after it)
/// and byte `p + 1` is left out. The step stops before its first
/// backslash that starts no good escape (an escape cut by the end of the
/// 64 bytes is taken whole by the next step) or quote not escaped by a
/// good escape: every byte before it is plain or part of a good escape,
/// so the backslashes there are escapes, not escaped. A
/// step whose 64 bytes hold no backslash (and no quote, with
/// `STOP_AT_QUOTE`) stores them as they are, without the other two loads
/// and the look-ups: texts written as UTF-8 (a chat record's items) are
/// mostly such steps, and the decoding would write the same bytes.
///
/// # Safety
/// The CPU must support what [`has_avx512`] checks; `w <= i <= raw.len()`
/// and `out.len() >= raw.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi1,popcnt")]
#[inline]
unsafe fn blocks64<const STOP_AT_QUOTE: bool>(
    raw: &[u8],
    out: &mut [u8],
    mut i: usize,
    mut w: usize,
) -> (usize, usize) {
    use std::arch::x86_64::*;
    let n = raw.len();
    debug_assert!(w <= i && i <= n && out.len() >= n);
    // SAFETY (loads): the tables are 64 bytes each.
    let table = |t: &[u8; 64]| unsafe { _mm512_loadu_si512(t.as_ptr().cast()) };
    let (nibble, hex_char) = (table(&NIBBLE64[0]), table(&HEX_CHAR64));
    let (simple_lo, simple_hi) = (table(&SIMPLE128[0]), table(&SIMPLE128[1]));
    let (byte_lo, byte_hi) = (table(&SIMPLE_BYTE128[0]), table(&SIMPLE_BYTE128[1]));
    let (b_hi, c_hi, c_lo) = (
        table(&NIBBLE64[1]),
        table(&NIBBLE64[2]),
        table(&NIBBLE64[3]),
    );
    let (lead, cont) = (
        _mm512_set1_epi8(0xE0u8 as i8),
        _mm512_set1_epi8(0x80u8 as i8),
    );
    // The first `k` bytes (all when `k >= 64`).
    let first = |k: usize| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    // The 64 bytes at `q`, those past the first `k` read as zero: a plain
    // load when all 64 are there (most steps), so that the load waits on
    // no mask.
    // SAFETY (callers): `q..q + k.min(64)` lies within `raw`.
    let load = |q: *const u8, k: usize| unsafe {
        if k >= 64 {
            _mm512_loadu_si512(q.cast())
        } else {
            _mm512_maskz_loadu_epi8(first(k), q.cast())
        }
    };
    // Stops at the first 59 bytes of a step (see below).
    const EARLY: u64 = (1 << 59) - 1;
    // Two-byte escapes are decoded in a step when they start in its first
    // 58 bytes: the byte after one starting at the 58th would be the 59th,
    // which a step must be able to end at without looking further.
    const SIMPLE: u64 = (1 << 58) - 1;
    while i < n {
        let left = n - i;
        let p = raw.as_ptr().wrapping_add(i);
        // SAFETY: the load reads only the bytes of `raw` it names.
        let v0 = load(p, left);
        let backslash = _mm512_cmpeq_epi8_mask(v0, _mm512_set1_epi8(b'\\' as i8));
        let quote = if STOP_AT_QUOTE {
            _mm512_cmpeq_epi8_mask(v0, _mm512_set1_epi8(b'"' as i8))
        } else {
            0
        };
        if backslash | quote == 0 {
            // Plain bytes only (long texts written as UTF-8, a chat
            // record's JSON between its escaped quotes): copied as they
            // stand, without the look-ups. The bytes past `raw` read as
            // zero, which is neither, and are not stored.
            let taken = left.min(64);
            // SAFETY: `w + taken <= i + taken <= n`, within `out`.
            unsafe { _mm512_mask_storeu_epi8(out.as_mut_ptr().add(w).cast(), first(taken), v0) };
            i += taken;
            w += taken;
            continue;
        }
        // Where the step ends when no stop lies in its first 59 bytes: at
        // its first backslash or quote among the last five (an escape
        // starting there is cut by the end of the 64 bytes, so it is never
        // good below: each is a stop), else after the 64 bytes. Known from
        // `v0` alone, so that the next step's loads wait on none of the
        // look-ups below (the branch on an early stop is predicted): the
        // steps of a long run of escapes overlap.
        let edge = ((backslash | quote) & !EARLY).trailing_zeros() as usize; // 64 when none
        // SAFETY: each load reads only the bytes of `raw` it names.
        let (v1, v2, v3) = (
            load(p.wrapping_add(1), left.saturating_sub(1)),
            load(p.wrapping_add(2), left.saturating_sub(2)),
            load(p.wrapping_add(3), left.saturating_sub(3)),
        );
        // Two-byte escapes other than `\\` (`\"`, `\n`…): the byte after
        // the backslash is decoded in its place and left out. (An escaped
        // backslash stops the step, so every backslash before a stop
        // starts an escape.)
        let simple = backslash
            & _mm512_cmpeq_epi8_mask(_mm512_permutex2var_epi8(simple_lo, v1, simple_hi), v1)
            & SIMPLE;
        let u = _mm512_cmpeq_epi8_mask(v0, _mm512_set1_epi8(b'u' as i8));
        let hex = _mm512_cmpeq_epi8_mask(_mm512_permutexvar_epi8(v0, hex_char), v0);
        // The digits `A` and `B` of an escape starting here.
        let a = _mm512_permutexvar_epi8(v2, nibble);
        let b = _mm512_permutexvar_epi8(v3, nibble);
        let a_set = _mm512_test_epi8_mask(a, a);
        let b8 = _mm512_test_epi8_mask(b, _mm512_set1_epi8(8));
        let a_d = _mm512_cmpeq_epi8_mask(a, _mm512_set1_epi8(0xD));
        // U+0800 and up, and no surrogate (U+D800 to U+DFFF).
        let three = (a_set | b8) & !(a_d & b8);
        let good = backslash & u >> 1 & hex >> 2 & hex >> 3 & hex >> 4 & hex >> 5 & three;
        // A quote right after a two-byte escape's backslash is escaped.
        let stops = backslash & !(good | simple) | quote & !(simple << 1);
        let decoded =
            _mm512_mask_mov_epi8(v0, simple, _mm512_permutex2var_epi8(byte_lo, v1, byte_hi));
        let decoded = _mm512_mask_mov_epi8(decoded, good, _mm512_or_si512(a, lead));
        let decoded = _mm512_mask_mov_epi8(
            decoded,
            good << 1,
            _mm512_ternarylogic_epi32::<0xFE>(
                cont,
                _mm512_permutexvar_epi8(v2, b_hi),
                _mm512_permutexvar_epi8(v3, c_hi),
            ),
        );
        let decoded = _mm512_mask_mov_epi8(
            decoded,
            good << 2,
            _mm512_ternarylogic_epi32::<0xFE>(cont, _mm512_permutexvar_epi8(v2, c_lo), b),
        );
        // Stores the bytes kept of the first `taken`; returns how many.
        let mut store = |taken: usize, w: usize| {
            let keep = !(good << 3 | good << 4 | good << 5 | simple << 1) & first(taken);
            let kept = keep.count_ones() as usize;
            // SAFETY: `kept <= taken <= left`, so `w + kept <= i + left =
            // n`, within `out`.
            unsafe {
                _mm512_mask_storeu_epi8(
                    out.as_mut_ptr().add(w).cast(),
                    first(kept),
                    _mm512_maskz_compress_epi8(keep, decoded),
                );
            }
            kept
        };
        // Bytes taken: up to the first stop or the end of `raw`. A stop
        // within the first 59 bytes is a byte no step takes (an escape
        // starting there would lie within the 64); one further on may
        // start an escape the 64 bytes cut, which the next step sees
        // whole. Past the first 59 bytes the stops are the backslashes
        // and quotes (a good escape lies within the 64, a two-byte one
        // within the first 59), so the first of them is `edge`.
        if stops & EARLY != 0 {
            let taken = (stops.trailing_zeros() as usize).min(left);
            w += store(taken, w);
            i += taken;
            break;
        }
        let taken = edge.min(left);
        w += store(taken, w);
        i += taken;
    }
    (i, w)
}

/// Tables of [`blocks64`], indexed by a byte's low six bits, which tell
/// the hex digits `0-9` (48-57), `A-F` (1-6) and `a-f` (33-38) apart: the
/// digit's value `v`, then its share of a UTF-8 byte as the escape's
/// second digit (`v << 2`), third digit in the second UTF-8 byte
/// (`v >> 2`) and third digit in the third (`(v & 3) << 4`); zero at any
/// other index.
static NIBBLE64: [[u8; 64]; 4] = {
    let mut t = [[0u8; 64]; 4];
    let mut b = 0;
    while b < 128 {
        let v = HEX[b];
        if v != 0xFF {
            let k = b & 63;
            t[0][k] = v;
            t[1][k] = v << 2;
            t[2][k] = v >> 2;
            t[3][k] = (v & 3) << 4;
        }
        b += 1;
    }
    t
};

/// For [`blocks64`], by a byte's low seven bits: the byte itself when it
/// makes a two-byte escape after a backslash (`"` `/` `b` `f` `n` `r`
/// `t`; not `\\`, which [`blocks64`] leaves to [`other_escape`]), else a
/// byte other than it (so that a byte equals its entry only when it is
/// one of those), in two halves of 64.
static SIMPLE128: [[u8; 64]; 2] = {
    let mut t = [[0u8; 64]; 2];
    let mut b = 0;
    while b < 128 {
        let simple = matches!(b as u8, b'"' | b'/' | b'b' | b'f' | b'n' | b'r' | b't');
        t[b / 64][b % 64] = if simple { b as u8 } else { b as u8 ^ 1 };
        b += 1;
    }
    t
};

/// For [`blocks64`], by a byte's low seven bits: what a two-byte escape
/// of it decodes to (as [`other_escape`] decodes it; anything for other
/// bytes), in two halves of 64.
static SIMPLE_BYTE128: [[u8; 64]; 2] = {
    let mut t = [[0u8; 64]; 2];
    let mut b = 0;
    while b < 128 {
        t[b / 64][b % 64] = match b as u8 {
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            other => other,
        };
        b += 1;
    }
    t
};

/// For [`blocks64`]: the hex digit whose low six bits are the index, or
/// for an index no digit has, a byte whose low six bits differ from it
/// (so that a byte equals the entry at its low six bits only when it is a
/// hex digit).
static HEX_CHAR64: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut k = 0;
    while k < 64 {
        t[k] = k as u8 ^ 1;
        k += 1;
    }
    let mut b = 0;
    while b < 128 {
        if HEX[b] != 0xFF {
            t[b & 63] = b as u8;
        }
        b += 1;
    }
    t
};

/// For the lowest set bit of [`escape_quads`]'s `bad` mask (never above
/// 27), how many escapes come before the one it spoils.
static QUAD_COUNT: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut b = 0;
    while b < 32 {
        t[b] = match b {
            0..6 => 0,
            6..16 => 1,
            16..22 => 2,
            22..28 => 3,
            _ => 4,
        };
        b += 1;
    }
    t
};

/// The position of the first backslash (or, with `QUOTE`, quote) among
/// the sixteen bytes of `sixteen`, if any: one SSE2 compare on x86_64
/// (SSE2 is part of x86_64), two eight-byte words elsewhere.
#[inline(always)]
fn first_special<const QUOTE: bool>(sixteen: &[u8]) -> Option<usize> {
    assert!(sixteen.len() == 16, "sixteen bytes");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: the load reads the sixteen bytes of the slice (checked
        // above); SSE2 is enabled on every x86_64 target.
        let m = unsafe {
            let v = _mm_loadu_si128(sixteen.as_ptr().cast());
            let mut hit = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            if QUOTE {
                hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
            }
            _mm_movemask_epi8(hit) as u32
        };
        (m != 0).then(|| m.trailing_zeros() as usize)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        [0, 8].into_iter().find_map(|at| {
            let m = special_bytes::<QUOTE>(&sixteen[at..at + 8]);
            (m != 0).then(|| at + (m.trailing_zeros() / 8) as usize)
        })
    }
}

/// Bit 7 of each byte of `eight` that is a backslash (or, with `QUOTE`, a
/// quote); exact up to the lowest set bit, which is all callers read (the
/// borrow of a matching byte may set bits above it).
#[inline(always)]
fn special_bytes<const QUOTE: bool>(eight: &[u8]) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let mut m = zero(x ^ (LO * u64::from(b'\\')));
    if QUOTE {
        m |= zero(x ^ (LO * u64::from(b'"')));
    }
    m
}

/// The position of the first quote or backslash in `d`: a JSON string's
/// end, or the escape that needs decoding. Looks at the first 64 bytes
/// (most keys, ids and short texts are shorter) sixteen at a time without
/// a search call.
#[inline]
pub fn quote_or_backslash(d: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(sixteen) = d.get(at..at + 16) {
        if let Some(k) = first_special::<true>(sixteen) {
            return Some(at + k);
        }
        at += 16;
        if at == 64 {
            return memchr::memchr2(b'"', b'\\', &d[64..]).map(|k| 64 + k);
        }
    }
    // Fewer than sixteen bytes left (the line's end).
    if let Some(eight) = d.get(at..at + 8) {
        let m = special_bytes::<true>(eight);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    d[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|k| at + k)
}

/// Writes code point `cp` (U+FFFD when it is a surrogate) as UTF-8 to the
/// front of `out`; returns its length.
#[inline]
fn encode_utf8(cp: u32, out: &mut [u8]) -> usize {
    match cp {
        0..=0x7F => {
            out[0] = cp as u8;
            1
        }
        0x80..=0x7FF => {
            out[0] = 0xC0 | (cp >> 6) as u8;
            out[1] = 0x80 | (cp & 0x3F) as u8;
            2
        }
        0xD800..=0xDFFF => {
            out[..3].copy_from_slice("\u{FFFD}".as_bytes());
            3
        }
        0x800..=0xFFFF => {
            out[0] = 0xE0 | (cp >> 12) as u8;
            out[1] = 0x80 | ((cp >> 6) & 0x3F) as u8;
            out[2] = 0x80 | (cp & 0x3F) as u8;
            3
        }
        _ => {
            out[0] = 0xF0 | (cp >> 18) as u8;
            out[1] = 0x80 | ((cp >> 12) & 0x3F) as u8;
            out[2] = 0x80 | ((cp >> 6) & 0x3F) as u8;
            out[3] = 0x80 | (cp & 0x3F) as u8;
            4
        }
    }
}

/// Value of each hex digit byte; 0xFF for any other byte.
static HEX: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    t
};

/// [`HEX`] widened and shifted into place for the first, second, third
/// and fourth digit of a `\uXXXX` escape (12, 8, 4 and 0 bits), with
/// 0xF_0000 shifted the same way for any byte that is no hex digit: four
/// of them or-ed make a value above 0xFFFF unless all four are digits.
static HEX_AT: [[u32; 256]; 4] = {
    let mut t = [[0u32; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut b = 0;
        while b < 256 {
            let v = if HEX[b] == 0xFF {
                0xF_0000
            } else {
                HEX[b] as u32
            };
            t[k][b] = v << (12 - 4 * k);
            b += 1;
        }
        k += 1;
    }
    t
};

/// The four hex digits at `raw[at..]`, as the escape's code unit.
#[inline]
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let s = raw.get(at..at + 4)?;
    let d = [
        HEX[s[0] as usize],
        HEX[s[1] as usize],
        HEX[s[2] as usize],
        HEX[s[3] as usize],
    ];
    if (d[0] | d[1] | d[2] | d[3]) & 0xF0 == 0 {
        return Some(
            u32::from(d[0]) << 12 | u32::from(d[1]) << 8 | u32::from(d[2]) << 4 | u32::from(d[3]),
        );
    }
    // Kept from the first decoder, which parsed the digits with
    // `u32::from_str_radix`: that also takes a leading `+` (`\u+0a1` is
    // U+00A1). Not JSON, but findings must not change with the speed-up.
    if s[0] == b'+' && d[1..].iter().all(|&x| x < 16) {
        return Some(u32::from(d[1]) << 8 | u32::from(d[2]) << 4 | u32::from(d[3]));
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ledger_numbers_chunks_counted_in_any_order() {
        let counts = [3u64, 0, 5, 1, 2, 7, 0, 4];
        let want: Vec<u64> = counts
            .iter()
            .scan(1, |line, &c| {
                let first = *line;
                *line += c;
                Some(first)
            })
            .collect();
        // Each chunk counted on a thread of its own, in a shuffled order,
        // each thread then asking for its chunk's first line.
        for round in 0..20usize {
            let ledger = Arc::new(super::LineLedger::default());
            let mut order: Vec<usize> = (0..counts.len()).collect();
            order.rotate_left(round % counts.len());
            if round % 2 == 1 {
                order.reverse();
            }
            let threads: Vec<_> = order
                .into_iter()
                .map(|k| {
                    let ticket = super::LineTicket {
                        ledger: ledger.clone(),
                        index: k,
                    };
                    std::thread::spawn(move || {
                        ticket.tell(counts[k]);
                        let first = ticket.first_line();
                        // A second count of a chunk changes nothing.
                        ticket.ledger.count(k, 99);
                        (k, first)
                    })
                })
                .collect();
            for t in threads {
                let (k, first) = t.join().unwrap();
                assert_eq!(first, want[k], "round {round}, chunk {k}");
            }
            assert_eq!(
                ledger.line_after(counts.len()),
                1 + counts.iter().sum::<u64>()
            );
        }
    }

    /// `chars` counts the lead bytes of any bytes (valid UTF-8 or not), as
    /// the byte-by-byte count does, at every length and alignment.
    #[test]
    fn chars_counts_lead_bytes() {
        let reference = |b: &[u8]| b.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let text = "手机号码：13800001234，邮箱 a@b.cn 😀 ok".as_bytes();
        for _ in 0..2000 {
            let len = (next() % 80) as usize;
            let bytes: Vec<u8> = match next() % 3 {
                0 => (0..len).map(|_| next() as u8).collect(),
                1 => (0..len)
                    .map(|_| [0x7F, 0x80, 0xBF, 0xC0, 0x00, 0xFF][(next() % 6) as usize])
                    .collect(),
                _ => text
                    .iter()
                    .cycle()
                    .skip((next() % 7) as usize)
                    .take(len)
                    .copied()
                    .collect(),
            };
            for from in 0..bytes.len().min(9) {
                assert_eq!(
                    chars(&bytes[from..]),
                    reference(&bytes[from..]),
                    "{len} from {from}"
                );
            }
        }
    }

    use super::*;
    use proptest::prelude::*;

    /// The first decoder, kept as the reference the fast one must match
    /// byte for byte.
    fn reference(raw: &[u8], out: &mut Vec<u8>) {
        fn hex4(raw: &[u8], at: usize) -> Option<u32> {
            let s = std::str::from_utf8(raw.get(at..at + 4)?).ok()?;
            u32::from_str_radix(s, 16).ok()
        }
        let mut i = 0;
        while i < raw.len() {
            let Some(k) = memchr::memchr(b'\\', &raw[i..]) else {
                out.extend_from_slice(&raw[i..]);
                return;
            };
            out.extend_from_slice(&raw[i..i + k]);
            i += k;
            let Some(&e) = raw.get(i + 1) else {
                out.push(b'\\');
                return;
            };
            let simple = match e {
                b'"' => Some(b'"'),
                b'\\' => Some(b'\\'),
                b'/' => Some(b'/'),
                b'b' => Some(0x08),
                b'f' => Some(0x0C),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                _ => None,
            };
            if let Some(b) = simple {
                out.push(b);
                i += 2;
                continue;
            }
            if e == b'u'
                && let Some(hi) = hex4(raw, i + 2)
            {
                let mut cp = hi;
                let mut len = 6;
                if (0xD800..0xDC00).contains(&hi)
                    && raw.get(i + 6) == Some(&b'\\')
                    && raw.get(i + 7) == Some(&b'u')
                    && let Some(lo) = hex4(raw, i + 8).filter(|lo| (0xDC00..0xE000).contains(lo))
                {
                    cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    len = 12;
                }
                let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                out.extend_from_slice(ch.encode_utf8(&mut [0u8; 4]).as_bytes());
                i += len;
                continue;
            }
            out.extend_from_slice(&raw[i..i + 2]);
            i += 2;
        }
    }

    fn both(raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (mut fast, mut slow) = (b"x".to_vec(), b"x".to_vec());
        unescape_json(raw, &mut fast);
        reference(raw, &mut slow);
        (fast, slow)
    }

    #[test]
    fn decodes_like_the_reference() {
        for raw in [
            &br#"\u624b\u673a\uff1a13800001234 \"ok\""#[..],
            br#"\ud83d\ude00 \x \u12"#,
            br#"\uD83D\uDE00\uDE00\uD83D\u0041\ud83dx"#,
            br#"\u+0a1\u+\u++12\u-012\u00e9\u07FF\u0800\uFFFF\u0000"#,
            br#"\b\f\n\r\t\/\\\"\"#,
            "\\u6536\u{4e2d}\\u".as_bytes(),
            b"",
            b"\\",
        ] {
            let (fast, slow) = both(raw);
            assert_eq!(fast, slow, "{}", String::from_utf8_lossy(raw));
        }
    }

    /// Every `\uXXXX` escape, in lower and upper case hex, back to back
    /// (the three-byte short path and every way out of it): decoded as the
    /// reference decodes it.
    #[test]
    fn decodes_every_code_unit_like_the_reference() {
        for upper in [false, true] {
            let mut raw = String::new();
            for cp in 0..=0xFFFFu32 {
                if upper {
                    raw.push_str(&format!("\\u{cp:04X}"));
                } else {
                    raw.push_str(&format!("\\u{cp:04x}"));
                }
            }
            let (fast, slow) = both(raw.as_bytes());
            assert!(fast == slow, "upper case: {upper}");
        }
    }

    /// Where the JSON walker ends a string whose content starts at
    /// `raw[0]`: at the first quote not escaped by a backslash.
    fn closing_quote(raw: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'\\' => i += 2,
                b'"' => return Some(i),
                _ => i += 1,
            }
        }
        None
    }

    /// [`unescape_json_string`] against the walker's end of the string
    /// and the reference decoding of its content.
    fn string_agrees(raw: &[u8]) -> Result<(), String> {
        let mut out = vec![0u8; raw.len()];
        let got = unescape_json_string(raw, &mut out).map(|(q, n)| (q, out[..n].to_vec()));
        let want = closing_quote(raw).map(|q| {
            let mut v = Vec::new();
            reference(&raw[..q], &mut v);
            (q, v)
        });
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?} != {want:?}"))
        }
    }

    #[test]
    fn finds_the_first_quote_or_backslash() {
        for len in 0..100 {
            for at in 0..=len {
                for (b, other) in [(b'"', b'\\'), (b'\\', b'"')] {
                    let mut d = vec![b'x'; len];
                    if at < len {
                        d[at] = b;
                        // A match after the first one, and bytes whose
                        // borrow could fool the bit trick, change nothing.
                        for k in at + 1..len {
                            d[k] = [other, 0x21, 0x5B, b, 0x01][k % 5];
                        }
                        d[..at].fill(0x5D);
                    }
                    let want = d.iter().position(|&x| x == b'"' || x == b'\\');
                    assert_eq!(quote_or_backslash(&d), want, "{len} {at}");
                }
            }
        }
    }

    /// Escapes back to back in every pair of kinds (the two-at-a-time
    /// path and each way out of it), then text: decoded as the reference
    /// decodes them, whole and as a string.
    #[test]
    fn decodes_pairs_of_escapes_like_the_reference() {
        let kinds = [
            r"\u4e2d", r"\u0800", r"\uFFFF", r"\u07ff", r"\u0031", r"\ud83d", r"\udc00", r"\u12x4",
            r"\u+0a1", r"\n", r#"\""#, r"\\", "x", "\u{4e2d}",
        ];
        for a in kinds {
            for b in kinds {
                for c in ["", r"\u4e2d", r"\ude00"] {
                    let raw = format!("{a}{b}{c}{a}1234567890abcdef{b}\"");
                    let (fast, slow) = both(raw.as_bytes());
                    assert_eq!(fast, slow, "{raw}");
                    assert_eq!(string_agrees(raw.as_bytes()), Ok(()), "{raw}");
                }
            }
        }
    }

    #[test]
    fn decodes_a_string_like_the_reference() {
        for raw in [
            &br#"\u624b\u673a\"x\\", 1"#[..],
            br#"abc"#,
            br#"abc\"#,
            br#"abc\""#,
            br#"\u12" \u4e2d"#,
            br#"\ud83d" \ude00"#,
            br#"\u+0a1""#,
            br#"0123456789abcdefghij\n0123456789abcdefghij""#,
            br#"\u8d2d55202\u53f0x"y"#,
            br#"""#,
            b"",
        ] {
            assert_eq!(
                string_agrees(raw),
                Ok(()),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    /// A decoder, whole (`false`) and up to a quote (`true`).
    type Decoders = (
        &'static str,
        fn(&[u8], &mut [u8]) -> (usize, usize),
        fn(&[u8], &mut [u8]) -> (usize, usize),
    );

    /// The decoders this CPU can run: the one-at-a-time loop (first),
    /// AVX2 (four escapes per step), AVX-512 (64 bytes per step) and the
    /// one `decoder` picks.
    fn decoders() -> Vec<Decoders> {
        let mut paths: Vec<Decoders> = vec![
            ("scalar", decode::<false, false>, decode::<true, false>),
            ("picked", decoder::<false>, decoder::<true>),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                paths.push((
                    "avx2",
                    |r, o| unsafe { decode_avx2::<false>(r, o) },
                    |r, o| unsafe { decode_avx2::<true>(r, o) },
                ));
            }
            if has_avx512() {
                // SAFETY: the CPU has what `decode_avx512` enables.
                paths.push((
                    "avx512",
                    |r, o| unsafe { decode_avx512::<false>(r, o) },
                    |r, o| unsafe { decode_avx512::<true>(r, o) },
                ));
            }
        }
        paths
    }

    /// Every decoder the CPU runs writes what the one-at-a-time loop
    /// writes, whole and up to a quote.
    fn paths_agree(raw: &[u8]) -> Result<(), String> {
        let paths = decoders();
        for quote in [false, true] {
            let run = |d: &Decoders| {
                let mut out = vec![0u8; raw.len()];
                let (i, w) = if quote {
                    d.2(raw, &mut out)
                } else {
                    d.1(raw, &mut out)
                };
                (i, out[..w].to_vec())
            };
            let slow = run(&paths[0]);
            for path in &paths[1..] {
                let fast = run(path);
                if slow != fast {
                    return Err(format!("{} quote {quote}: {slow:?} != {fast:?}", path.0));
                }
            }
        }
        Ok(())
    }

    /// Every kind of escape, and a run of Chinese escapes, at every place
    /// around the end of a 64-byte step (AVX-512), within long text and
    /// at the end of the input: decoded as the one-at-a-time loop does.
    #[test]
    fn steps_agree_with_the_scalar_loop_at_every_place() {
        let kinds = [
            r"\u4e2d",
            r"\uFFFF",
            r"\u0800",
            r"\u07ff",
            r"\u0031",
            r"\ud83d\ude00",
            r"\ud83d",
            r"\uDFFF",
            r"\uD7FF",
            r"\uE000",
            r"\u12x4",
            r"\u+0a1",
            r"\n",
            r"\\",
            r#"\""#,
            "\"",
            r"\u",
            r"\",
            r"\/",
            r"\b",
            r"\f",
            r"\r",
            r"\t",
            r"\q",
            r#"\\\""#,
            r#"\"\""#,
            r#"\"\\"#,
            r#"{\"k\":\""#,
            "\u{4e2d}",
            "x",
        ];
        let run = r"\u6536\uFF0C\u8d2D".repeat(8);
        for lead in 0..72 {
            for kind in kinds {
                let raw = format!("{}{kind}{run}{kind}0123456789{run}\"tail", "a".repeat(lead));
                assert_eq!(paths_agree(raw.as_bytes()), Ok(()), "{raw}");
                for cut in lead..(lead + 12).min(raw.len()) {
                    let cut = &raw.as_bytes()[..cut];
                    assert_eq!(paths_agree(cut), Ok(()), "{raw}");
                }
            }
        }
        // Every escape in one input (many steps), in both cases.
        for upper in [false, true] {
            let raw: String = (0..=0xFFFFu32)
                .map(|cp| {
                    if upper {
                        format!("\\u{cp:04X}")
                    } else {
                        format!("\\u{cp:04x}")
                    }
                })
                .collect();
            assert_eq!(paths_agree(raw.as_bytes()), Ok(()), "upper case: {upper}");
        }
    }

    /// Runs of Chinese escapes of every length up to a few four-escape
    /// steps, then text of every length around sixteen bytes (which the
    /// AVX2 steps copy themselves when a backslash ends it within sixteen)
    /// and what ends it: each kind of escape, a quote, or the input's end.
    #[test]
    fn text_between_runs_agrees_with_the_scalar_loop() {
        let ends = [
            r"\u4e2d", r"\u0031", r"\n", r#"\""#, r"\\", r"\ud83d", "\"", r"\", "",
        ];
        let texts = ["5", "\u{4e2d}", "a\"b"];
        for run in 0..10 {
            let escapes =
                r"\u91c7\u8D2d".repeat(run / 2) + if run % 2 == 1 { r"\uff0c" } else { "" };
            for len in 0..20 {
                for text in texts {
                    let text: String = text.chars().cycle().take(len).collect();
                    for end in ends {
                        let raw = format!(
                            r#"{escapes}{text}{end}{escapes}12\u53f0"{}"#,
                            "x".repeat(20)
                        );
                        assert_eq!(paths_agree(raw.as_bytes()), Ok(()), "{raw}");
                        assert_eq!(string_agrees(raw.as_bytes()), Ok(()), "{raw}");
                    }
                }
            }
        }
    }

    /// Plain text (ASCII and UTF-8) of every length up to a few 64-byte
    /// steps, then each kind of escape or a quote and more text: the
    /// steps that hold no backslash or quote (stored as they stand) and
    /// the ones after them decode as the one-at-a-time loop does.
    #[test]
    fn plain_steps_agree_with_the_scalar_loop() {
        let kinds = [r"\u4e2d", r"\u0031", r"\n", r#"\""#, "\"", r"\", "x"];
        for plain in ["a", "\u{4e2d}"] {
            for len in 0..200 {
                for kind in kinds {
                    let lead = plain.repeat(len);
                    let raw = format!("{lead}{kind}{}\"{lead}", plain.repeat(70));
                    assert_eq!(paths_agree(raw.as_bytes()), Ok(()), "{raw}");
                    assert_eq!(string_agrees(raw.as_bytes()), Ok(()), "{raw}");
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_the_scalar_loop() {
        let kinds = [
            r"\u4e2d",
            r"\u0800",
            r"\uFFFF",
            r"\uffff",
            r"\u07ff",
            r"\u0031",
            r"\ud83d",
            r"\udc00",
            r"\uD7FF",
            r"\uE000",
            r"\u12x4",
            r"\u+0a1",
            r"\n",
            r#"\""#,
            r"\\",
            "\"",
            "x",
            r"\ud83d\ude00",
            r"\u",
        ];
        // A run of one to nine Chinese escapes (a whole step of four, part
        // of one, or both) with one other kind at each place (and at
        // none), after zero to three plain bytes, then text or another
        // escape.
        for len in 1..10 {
            for at in 0..=len {
                for other in kinds {
                    for lead in ["", "a", "ab", "abc"] {
                        for after in [
                            "0123456789abcdefghijklmnopqrstuvwxyz",
                            r"\n",
                            r"\u0031",
                            r#"\"x\""#,
                        ] {
                            let mut raw = lead.to_string();
                            for k in 0..len {
                                raw.push_str(if k == at {
                                    other
                                } else {
                                    [r"\u6536", r"\uFF0C", r"\u8d2D"][k % 3]
                                });
                            }
                            raw.push_str(after);
                            raw.push_str("\"0123456789abcdefghijklmnopqrstuvwxyz");
                            assert_eq!(paths_agree(raw.as_bytes()), Ok(()), "{raw}");
                            let (fast, slow) = both(raw.as_bytes());
                            assert_eq!(fast, slow, "{raw}");
                            assert_eq!(string_agrees(raw.as_bytes()), Ok(()), "{raw}");
                            // Near the end of the input too, cut at every
                            // place of the last 40 bytes.
                            for cut in raw.len() - 40..raw.len() {
                                let cut = &raw.as_bytes()[..cut];
                                assert_eq!(paths_agree(cut), Ok(()), "{raw}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Pieces of escaped JSON text for the decoders' proptests: escapes
    /// whole and cut short, runs of Chinese escapes, surrogates, quotes,
    /// plain text and any bytes.
    fn string_parts() -> impl Strategy<Value = Vec<Vec<u8>>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b"\\u4e2d".to_vec()),
                Just(b"\\u6536\\u8d2d\\u53f0\\uff0c".to_vec()),
                (1..=9usize).prop_map(|n| b"\\u6536".repeat(n)),
                (1..=9usize).prop_map(|n| b"\\uFF0C\\ud83d\\ude00".repeat(n)),
                Just(b"\\ud83d\\ude00".to_vec()),
                Just(b"\\ud83d".to_vec()),
                Just(b"\\udc00".to_vec()),
                Just(b"\\u0031".to_vec()),
                Just(b"\\u".to_vec()),
                Just(b"\\".to_vec()),
                Just(b"\"".to_vec()),
                Just(b"+".to_vec()),
                "[0-9a-fA-FxuU\"\\\\/bfnrt ]{0,4}".prop_map(|s| s.into_bytes()),
                "[a-z0-9]{0,20}".prop_map(|s| s.into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..4),
            ],
            0..24,
        )
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_the_scalar_loop_on_any_input(parts in string_parts()) {
            let raw = parts.concat();
            prop_assert_eq!(paths_agree(&raw), Ok(()));
        }

        #[test]
        fn decodes_a_string_like_the_reference_on_any_input(parts in string_parts()) {
            let raw = parts.concat();
            prop_assert_eq!(string_agrees(&raw), Ok(()));
        }

        #[test]
        fn decodes_like_the_reference_on_any_input(parts in string_parts()) {
            let raw = parts.concat();
            let (fast, slow) = both(&raw);
            prop_assert_eq!(fast, slow);
        }
    }
}
