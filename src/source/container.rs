//! sources → container: turns one container into entry streams; knows nothing about formats inside or rules.
//!
//! [`sniff`] recognises zip, gzip and tar by their first bytes, and
//! [`for_each_entry`] hands each regular file inside to a callback as a
//! reader. The caller sniffs each entry in turn and, for a nested container,
//! calls [`for_each_entry`] again with the same [`Budget`]; this module never
//! recurses and never looks at what an entry contains.
//!
//! The key decision: hostile input is bounded by the readers, not by trust in
//! headers. Every entry stream goes through one limiting reader that counts
//! decompressed bytes against the budget shared by a whole top-level input
//! and, where the compressed size is known, against a compression ratio; past
//! either it fails with an error whose message begins `limit exceeded:`.
//! Nothing is read whole into memory except a zip that arrives as a stream:
//! its index sits at the end, so it is spooled to memory, then to a temporary
//! file, never beyond [`Limits::max_spool_bytes`]. Damage shows up in two
//! ways: an error from an entry's reader (that entry is partial), and
//! [`ContainerError::Corrupt`] once the container's structure breaks (entries
//! after that point were not seen).

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom, Write};

use flate2::read::MultiGzDecoder;
use zip::read::{Config, read_zipfile_from_stream_with_options};
// `unstable` API: Cargo.toml must pin zip exactly (`=9.8.1`). It walks the
// central directory one record at a time, so memory does not grow with the
// entry count, and it keeps entries that share a name (`ZipArchive` does
// neither).
use zip::unstable::read::ZipIterable;
use zip::{CompressionMethod, ZipReadOptions};

/// A zip read from a stream is held in memory up to this size, then moved to
/// a temporary file.
const MEMORY_SPOOL_BYTES: u64 = 32 << 20;

/// The ratio limit applies only once an entry has produced more than this, so
/// that tiny, very repetitive entries (a few hundred compressed bytes) are not
/// flagged as bombs.
const RATIO_GRACE_BYTES: u64 = 64 << 10;

/// Most bytes a tar archive may spend on headers, GNU long names, pax records
/// and sparse maps before one entry. The tar crate reads these into memory,
/// so without a cap a small tar.gz could expand into a multi-gigabyte name.
const TAR_METADATA_BYTES: u64 = 8 << 20;

/// Tar entry data is padded to the next 512-byte block.
const TAR_PADDING_BYTES: u64 = 511;

/// Every limit error message starts with this.
const LIMIT_PREFIX: &str = "limit exceeded: ";

/// Container formats recognised by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// A zip archive (`PK\x03\x04`, or `PK\x05\x06` when empty).
    Zip,
    /// A gzip stream (`1F 8B 08`); its content may turn out to be a tar.
    Gzip,
    /// A POSIX/GNU tar archive (`ustar` at offset 257).
    Tar,
    /// A gzip-compressed tar. [`sniff`] never returns it: the gzip header does
    /// not say what is inside, so [`for_each_entry`] decides when given
    /// [`ContainerKind::Gzip`]. Pass it to skip that check.
    TarGz,
}

/// Sniffs the first bytes of an input (the caller passes up to 1024 bytes, or
/// fewer if the stream is shorter) and says which container format they
/// start, if any.
///
/// Zip: `PK\x03\x04`, or `PK\x05\x06` (an empty archive), at offset 0.
/// Gzip: `1F 8B 08` at offset 0. Tar: `ustar` at offset 257. Returns `None`
/// otherwise. A tar inside gzip cannot be told from the gzip header, so this
/// returns [`ContainerKind::Gzip`] for it; see [`for_each_entry`].
pub fn sniff(head: &[u8]) -> Option<ContainerKind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(ContainerKind::Zip)
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        Some(ContainerKind::Gzip)
    } else if looks_like_tar(head) {
        Some(ContainerKind::Tar)
    } else {
        None
    }
}

fn looks_like_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar".as_slice())
}

/// Limits that keep hostile containers from exhausting memory, disk or time.
/// All are settable by the caller; [`Limits::default`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Total decompressed bytes across the whole top-level input and
    /// everything nested in it (bytes of a nested archive count once as its
    /// parent's entry and again as they are unpacked). Default 4 GiB.
    pub max_total_bytes: u64,
    /// Decompressed bytes per compressed byte allowed for one entry, where the
    /// compressed size is known: zip entries, and gzip streams measured
    /// against the compressed bytes consumed so far. Not applied to the first
    /// 64 KiB of an entry. Default 200.
    pub max_ratio: u64,
    /// Entries read from one container (directories and links included).
    /// Default 100 000.
    pub max_entries: u64,
    /// A zip that is not a seekable file must be spooled: to memory up to
    /// 32 MiB, beyond that to a temporary file, never beyond this many bytes.
    /// Default 1 GiB.
    pub max_spool_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 4 << 30,
            max_ratio: 200,
            max_entries: 100_000,
            max_spool_bytes: 1 << 30,
        }
    }
}

/// Running totals shared by one top-level input and all containers nested in
/// it.
///
/// It is passed by shared reference and counts through a [`Cell`], so the
/// callback can hand the same budget to the nested [`for_each_entry`] call
/// while the outer entry's reader is still counting into it.
#[derive(Debug, Default)]
pub struct Budget {
    /// Decompressed bytes read so far, by every entry reader of this input.
    pub decompressed: Cell<u64>,
}

impl Budget {
    fn add(&self, n: u64) {
        self.decompressed
            .set(self.decompressed.get().saturating_add(n));
    }
}

/// Where the container's bytes come from.
pub enum ContainerInput<'a> {
    /// A file on disk. It is read from its start (offset 0), wherever its
    /// position is, so the caller may sniff it first without rewinding. A zip
    /// is read through its central directory, seeking as needed.
    File(&'a mut File),
    /// Any other stream, positioned at the container's first byte (a caller
    /// that sniffed it must put the sniffed bytes back in front, e.g. with
    /// [`Read::chain`]). A zip stream is spooled first; see
    /// [`Limits::max_spool_bytes`].
    Stream(&'a mut dyn Read),
}

/// One entry, passed to the callback.
pub struct Entry<'a> {
    /// Path inside the container, `/`-separated, as the archive spells it.
    pub name: String,
    /// Decompressed size declared by the archive, if it declares one. Never
    /// trusted: the reader enforces the limits whatever this says. Always
    /// `Some` for zip and tar entries (also a tar inside gzip), always `None`
    /// for the single entry of a plain gzip: a caller that passed
    /// [`ContainerKind::Gzip`] tells the two cases apart by this.
    pub size: Option<u64>,
    /// The entry's decompressed bytes, already wrapped in the limiting
    /// reader. Errors from it mean this entry could only be read in part;
    /// [`is_limit_error`] tells a limit from damage.
    pub reader: &'a mut dyn Read,
}

impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What the callback of [`for_each_entry`] receives.
#[derive(Debug)]
pub enum Event<'a> {
    /// A regular file to read.
    Entry(Entry<'a>),
    /// An entry that holds bytes but was not passed on.
    Skipped {
        /// Path inside the container, `/`-separated.
        name: String,
        /// Why, in lowercase, saying what the user can do about it.
        reason: String,
    },
}

/// Why a container could not be read (completely).
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// Reading, seeking or spooling failed, or the callback returned this
    /// error (passed through unchanged).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The container is truncated or corrupt part-way: entries before the
    /// damage were delivered; the message says where it stopped.
    #[error("corrupt or truncated archive: {0}")]
    Corrupt(String),
    /// A limit stopped the container before its end; the message names the
    /// limit and the flag that raises it.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}

/// Whether an I/O error is one of the `limit exceeded:` errors raised by the
/// readers of this module (also when a decoder has wrapped it), rather than
/// damage or a failing disk.
pub fn is_limit_error(e: &io::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = match e.get_ref() {
        Some(inner) => Some(inner),
        None => None,
    };
    while let Some(err) = source {
        if err.is::<LimitHit>() {
            return true;
        }
        if let Some(io_err) = err.downcast_ref::<io::Error>()
            && is_limit_error(io_err)
        {
            return true;
        }
        source = err.source();
    }
    e.kind() == io::ErrorKind::Other && e.to_string().starts_with(LIMIT_PREFIX)
}

/// Calls `f` for each entry of a container, in archive order.
///
/// Directories, symlinks, hard links and other non-regular entries carry no
/// bytes and are skipped silently. Entries skipped for a reason (an encrypted
/// zip entry, an unsupported compression method, a corrupt local header, the
/// entry limit) are passed as [`Event::Skipped`]. When more than
/// [`Limits::max_entries`] entries are listed, one `Skipped` names the first
/// entry over the limit and iteration stops with `Ok`.
///
/// [`ContainerKind::Gzip`] yields exactly one entry named `gzip_inner_name`
/// (with `size: None`), unless its first 512 decompressed bytes look like a
/// tar; then it is read as [`ContainerKind::TarGz`], naming entries by their
/// tar paths (with `size: Some`).
///
/// Errors: if `f` returns `Err`, iteration stops and it comes back as
/// [`ContainerError::Io`]. A container that breaks part-way returns
/// [`ContainerError::Corrupt`] after delivering the entries before the
/// damage; damage confined to one entry's bytes (a zip with an intact
/// central directory, a truncated gzip) shows up only as an error from that
/// entry's reader. Once the shared budget is spent, the next entry is not
/// delivered and [`ContainerError::LimitExceeded`] is returned.
pub fn for_each_entry(
    kind: ContainerKind,
    input: ContainerInput<'_>,
    gzip_inner_name: &str,
    limits: &Limits,
    budget: &Budget,
    f: &mut dyn FnMut(Event<'_>) -> io::Result<()>,
) -> Result<(), ContainerError> {
    let mut ctx = Ctx { limits, budget, f };
    match kind {
        ContainerKind::Zip => match input {
            ContainerInput::File(file) => zip_seekable(file, &mut ctx),
            ContainerInput::Stream(stream) => zip_stream(stream, &mut ctx),
        },
        ContainerKind::Gzip | ContainerKind::TarGz => {
            let reader = rewound(input)?;
            gzip(
                reader,
                kind == ContainerKind::TarGz,
                gzip_inner_name,
                &mut ctx,
            )
        }
        ContainerKind::Tar => {
            let reader = rewound(input)?;
            tar_entries(BufReader::with_capacity(64 << 10, reader), true, &mut ctx)
        }
    }
}

fn rewound(input: ContainerInput<'_>) -> Result<&mut dyn Read, ContainerError> {
    match input {
        ContainerInput::File(file) => {
            file.seek(SeekFrom::Start(0)).map_err(seek_error)?;
            Ok(file)
        }
        ContainerInput::Stream(stream) => Ok(stream),
    }
}

fn seek_error(e: io::Error) -> ContainerError {
    ContainerError::Io(io::Error::new(
        e.kind(),
        format!("could not seek in the archive file: {e}"),
    ))
}

/// What every format walker needs: the limits, the budget and the callback.
struct Ctx<'c> {
    limits: &'c Limits,
    budget: &'c Budget,
    f: &'c mut dyn FnMut(Event<'_>) -> io::Result<()>,
}

impl<'c> Ctx<'c> {
    fn emit(&mut self, event: Event<'_>) -> Result<(), ContainerError> {
        (self.f)(event).map_err(ContainerError::Io)
    }

    /// The checks every zip entry goes through before it is read, whether
    /// it was found through the central directory or by walking local
    /// headers: the entry limit, non-file entries, encryption or an
    /// unsupported method (skipped with a reason), and the budget.
    fn admit_zip_entry(
        &mut self,
        count: u64,
        name: &str,
        not_a_file: bool,
        encrypted: bool,
        method: CompressionMethod,
    ) -> Result<Admit, ContainerError> {
        if self.entry_limit_reached(count, name)? {
            return Ok(Admit::Stop);
        }
        if not_a_file {
            return Ok(Admit::Pass);
        }
        if let Some(reason) = zip_unreadable(encrypted, method) {
            self.skip(name.to_string(), reason)?;
            return Ok(Admit::Pass);
        }
        self.check_budget(name)?;
        Ok(Admit::Read)
    }

    fn skip(&mut self, name: String, reason: String) -> Result<(), ContainerError> {
        self.emit(Event::Skipped { name, reason })
    }

    /// Counts one more entry; past the limit, reports it once and says stop.
    fn entry_limit_reached(&mut self, count: u64, name: &str) -> Result<bool, ContainerError> {
        if count <= self.limits.max_entries {
            return Ok(false);
        }
        let reason = format!(
            "entry limit of {} reached; the remaining entries were not scanned \
             (raise --max-archive-entries)",
            self.limits.max_entries
        );
        self.skip(name.to_owned(), reason)?;
        Ok(true)
    }

    /// Refuses to start another entry once the shared budget is spent.
    fn check_budget(&self, name: &str) -> Result<(), ContainerError> {
        let max = self.limits.max_total_bytes;
        if self.budget.decompressed.get() < max {
            return Ok(());
        }
        Err(ContainerError::LimitExceeded(format!(
            "the decompressed-size limit of {max} bytes was reached before entry `{name}`; \
             the remaining entries were not scanned (raise --max-decompressed-bytes)"
        )))
    }

    /// Wraps `inner` so that it counts against the shared budget and, if
    /// given, a ratio.
    fn limited<'b, R>(&self, inner: R, ratio: Option<RatioBase<'b>>) -> Limited<'b, R>
    where
        'c: 'b,
    {
        let mut limited = Limited::plain(inner);
        limited.total = Some((self.budget, self.limits.max_total_bytes));
        limited.ratio = ratio.map(|base| (self.limits.max_ratio, base));
        limited
    }
}

// ---------------------------------------------------------------------------
// The limiting reader.

/// What decompressed bytes are measured against for the ratio limit.
#[derive(Clone, Copy)]
enum RatioBase<'b> {
    /// The entry's compressed size, known up front (zip).
    Fixed(u64),
    /// Compressed bytes consumed so far (gzip), counted by [`CountInto`].
    Running(&'b Cell<u64>),
}

/// The reader every entry stream is wrapped in. It never reads more than the
/// remaining allowance (plus one byte to tell "exactly at the limit" from
/// "over it"), and once over, every later read fails the same way.
struct Limited<'b, R> {
    inner: R,
    /// The shared budget and its limit.
    total: Option<(&'b Budget, u64)>,
    /// The ratio limit and what it is measured against.
    ratio: Option<(u64, RatioBase<'b>)>,
    /// The exact size the entry must have (tar); ending short is an error.
    expect_len: Option<u64>,
    /// Bytes handed out so far.
    read: u64,
    /// The limit message, once a limit has been passed.
    tripped: Option<String>,
}

impl<'b, R> Limited<'b, R> {
    fn plain(inner: R) -> Self {
        Limited {
            inner,
            total: None,
            ratio: None,
            expect_len: None,
            read: 0,
            tripped: None,
        }
    }

    fn ratio_allowance(max_ratio: u64, base: RatioBase<'_>) -> (u64, u64) {
        let compressed = match base {
            RatioBase::Fixed(n) => n,
            RatioBase::Running(cell) => cell.get(),
        };
        (
            compressed,
            compressed.saturating_mul(max_ratio).max(RATIO_GRACE_BYTES),
        )
    }

    fn trip(&mut self, message: String) -> io::Error {
        let err = limit_error(&message);
        self.tripped = Some(message);
        err
    }
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(message) = &self.tripped {
            return Err(limit_error(message));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let mut cap = buf.len() as u64;
        if let Some((budget, max)) = self.total {
            cap = cap.min(max.saturating_sub(budget.decompressed.get()));
        }
        if let Some((max_ratio, base)) = self.ratio {
            let (_, allowed) = Self::ratio_allowance(max_ratio, base);
            cap = cap.min(allowed.saturating_sub(self.read));
        }
        // With nothing left, still read one byte: end of stream there is fine.
        let cap = usize::try_from(cap.max(1))
            .unwrap_or(buf.len())
            .min(buf.len());
        let n = self.inner.read(&mut buf[..cap])?;
        if n == 0 {
            if let Some(expected) = self.expect_len
                && self.read < expected
            {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "entry is truncated: the archive declares {expected} bytes \
                             but only {} could be read",
                        self.read
                    ),
                ));
            }
            return Ok(0);
        }
        self.read = self.read.saturating_add(n as u64);
        if let Some((budget, max)) = self.total {
            budget.add(n as u64);
            if budget.decompressed.get() > max {
                return Err(self.trip(format!(
                    "more than {max} decompressed bytes in this input and the archives \
                     nested in it (raise --max-decompressed-bytes)"
                )));
            }
        }
        if let Some((max_ratio, base)) = self.ratio {
            let (compressed, allowed) = Self::ratio_allowance(max_ratio, base);
            if self.read > allowed {
                return Err(self.trip(format!(
                    "compression ratio over the limit of {max_ratio}: more than {allowed} \
                     bytes from {compressed} compressed bytes, likely a zip bomb \
                     (raise --max-compression-ratio)"
                )));
            }
        }
        Ok(n)
    }
}

/// The error type behind every limit error, so [`is_limit_error`] can find
/// it even when a decoder wraps it.
#[derive(Debug)]
struct LimitHit(String);

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{LIMIT_PREFIX}{}", self.0)
    }
}

impl std::error::Error for LimitHit {}

fn limit_error(message: &str) -> io::Error {
    io::Error::other(LimitHit(message.to_owned()))
}

/// The message of a limit error without its `limit exceeded: ` prefix (the
/// [`ContainerError::LimitExceeded`] display adds it back).
fn limit_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.strip_prefix(LIMIT_PREFIX) {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// Counts the bytes read through it into a shared cell.
struct CountInto<'c, R> {
    inner: R,
    count: &'c Cell<u64>,
}

impl<R: Read> Read for CountInto<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// Returns a stashed error first, then reads on: lets a peek that failed
/// hand its error to whoever reads next.
struct Resume<R> {
    pending: Option<io::Error>,
    inner: R,
}

impl<R: Read> Read for Resume<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.pending.take() {
            Some(e) => Err(e),
            None => self.inner.read(buf),
        }
    }
}

// ---------------------------------------------------------------------------
// Zip.

/// Spools a zip stream, then reads it like a file.
fn zip_stream(stream: &mut dyn Read, ctx: &mut Ctx<'_>) -> Result<(), ContainerError> {
    let (spool, failure) = spool(stream, MEMORY_SPOOL_BYTES, ctx.limits.max_spool_bytes)?;
    let (result, spooled) = match spool {
        Spool::Memory(mut cursor) => {
            let len = cursor.get_ref().len() as u64;
            (zip_seekable(&mut cursor, ctx), len)
        }
        Spool::Disk(mut file) => {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            (zip_seekable(&mut file, ctx), len)
        }
    };
    // A stream that failed part-way was read as a truncated zip; say why.
    match (failure, result) {
        (None, result) => result,
        (Some(e), Ok(())) => Err(ContainerError::Corrupt(format!(
            "reading the zip failed after {spooled} bytes: {e}; the entries before that \
             point were scanned"
        ))),
        (Some(e), Err(ContainerError::Corrupt(message))) => Err(ContainerError::Corrupt(format!(
            "{message} (reading the zip failed after {spooled} bytes: {e})"
        ))),
        (Some(_), Err(other)) => Err(other),
    }
}

/// A spooled zip stream.
enum Spool {
    Memory(Cursor<Vec<u8>>),
    Disk(File),
}

/// Copies `stream` into memory up to `memory_cap` bytes, beyond that into a
/// temporary file, never beyond `max`. A read error ends the spool early and
/// is returned beside it, so the part before the damage can still be read; a
/// limit error (from the reader of an enclosing archive) stops everything.
fn spool(
    stream: &mut dyn Read,
    memory_cap: u64,
    max: u64,
) -> Result<(Spool, Option<io::Error>), ContainerError> {
    let mut memory = Vec::new();
    let mut disk: Option<File> = None;
    let mut total = 0u64;
    let mut chunk = vec![0u8; 64 << 10];
    let mut failure = None;
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_limit_error(&e) => {
                return Err(ContainerError::LimitExceeded(limit_message(&e)));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        total = total.saturating_add(n as u64);
        if total > max {
            return Err(ContainerError::LimitExceeded(format!(
                "this zip arrives as a stream and is larger than the spool limit of {max} \
                 bytes, so it was not scanned (save it to a file and scan the file)"
            )));
        }
        let bytes = &chunk[..n];
        match disk.as_mut() {
            Some(file) => file.write_all(bytes).map_err(spool_error)?,
            None if total > memory_cap => {
                let mut file = tempfile::tempfile().map_err(spool_error)?;
                file.write_all(&memory).map_err(spool_error)?;
                file.write_all(bytes).map_err(spool_error)?;
                memory = Vec::new();
                disk = Some(file);
            }
            None => memory.extend_from_slice(bytes),
        }
    }
    let spool = match disk {
        Some(mut file) => {
            file.seek(SeekFrom::Start(0)).map_err(spool_error)?;
            Spool::Disk(file)
        }
        None => Spool::Memory(Cursor::new(memory)),
    };
    Ok((spool, failure))
}

fn spool_error(e: io::Error) -> ContainerError {
    ContainerError::Io(io::Error::new(
        e.kind(),
        format!(
            "could not spool the zip to a temporary file: {e} \
             (set TMPDIR to a writable directory with free space)"
        ),
    ))
}

/// Reads a seekable zip through its central directory, one entry at a time
/// (memory does not grow with the number of entries, and entries sharing a
/// name are all seen). Without a usable central directory, falls back to
/// reading local headers in order.
fn zip_seekable<R: Read + Seek>(r: &mut R, ctx: &mut Ctx<'_>) -> Result<(), ContainerError> {
    // No entry can hold more compressed bytes than the archive has, whatever
    // its headers claim; this keeps a lying header from raising the ratio
    // allowance.
    let archive_len = r.seek(SeekFrom::End(0)).map_err(seek_error)?;
    r.seek(SeekFrom::Start(0)).map_err(seek_error)?;
    let mut iterable = match ZipIterable::try_new(&mut *r, Config::default()) {
        Ok(iterable) => iterable,
        Err(e) => {
            r.seek(SeekFrom::Start(0)).map_err(seek_error)?;
            return zip_sequential(&mut *r, archive_len, &e.to_string(), ctx);
        }
    };
    let files = iterable.files().map_err(|e| {
        ContainerError::Corrupt(format!(
            "the zip's central directory cannot be read: {e}; nothing was scanned"
        ))
    })?;
    let mut count = 0u64;
    let mut last: Option<String> = None;
    while let Some(next) = files.next() {
        let entry = match next {
            Ok(entry) => entry,
            Err(e) => {
                return Err(ContainerError::Corrupt(format!(
                    "the zip's central directory is damaged after {count} entries{}: {e}; \
                     the entries before it were scanned",
                    after_entry(last.as_deref())
                )));
            }
        };
        count += 1;
        let name = zip_name(entry.name_raw(), entry.name().ok().as_deref());
        match ctx.admit_zip_entry(
            count,
            &name,
            entry.is_dir() || entry.is_symlink(),
            entry.encrypted(),
            entry.compression(),
        )? {
            Admit::Stop => return Ok(()),
            Admit::Pass => continue,
            Admit::Read => {}
        }
        let size = entry.size();
        let compressed = entry.compressed_size().min(archive_len);
        let file = match entry.with_reader(files.reader_mut(), ZipReadOptions::new()) {
            Ok(file) => file,
            Err(e) => {
                let reason = format!(
                    "its local header is corrupt or missing ({e}); not scanned \
                     (repair or re-export the archive)"
                );
                ctx.skip(name, reason)?;
                continue;
            }
        };
        let mut reader = ctx.limited(file, Some(RatioBase::Fixed(compressed)));
        ctx.emit(Event::Entry(Entry {
            name: name.clone(),
            size: Some(size),
            reader: &mut reader,
        }))?;
        last = Some(name);
    }
    Ok(())
}

/// Reads a zip whose central directory is missing or unusable by walking its
/// local headers in order. It always ends in `Corrupt`: at best every entry
/// was found, but the archive is still damaged.
fn zip_sequential<R: Read>(
    input: R,
    archive_len: u64,
    why: &str,
    ctx: &mut Ctx<'_>,
) -> Result<(), ContainerError> {
    let position = Cell::new(0u64);
    let mut reader = CountInto {
        inner: BufReader::new(input),
        count: &position,
    };
    let mut count = 0u64;
    let mut last: Option<String> = None;
    loop {
        let offset = position.get();
        // Encrypted entries are recognised below and skipped; refusing them
        // here would leave the stream in the middle of their data.
        let options = ZipReadOptions::new().ignore_encryption_flag(true);
        let file = match read_zipfile_from_stream_with_options(&mut reader, options) {
            Ok(Some(file)) => file,
            Ok(None) => {
                return Err(ContainerError::Corrupt(format!(
                    "the zip's central directory is unusable ({why}); its {count} entries \
                     were read in order from their local headers instead"
                )));
            }
            Err(e) => {
                return Err(ContainerError::Corrupt(format!(
                    "the zip's central directory is missing or unusable ({why}), and reading \
                     entries in order stopped at byte offset {offset}{}: {e}; the entries \
                     before it were scanned",
                    after_entry(last.as_deref())
                )));
            }
        };
        count += 1;
        let name = zip_name(file.name_raw(), file.name().ok().as_deref());
        // Dropping a streamed entry (`continue`) reads past the rest of
        // its data.
        match ctx.admit_zip_entry(
            count,
            &name,
            file.is_dir() || file.is_symlink(),
            file.encrypted(),
            file.compression(),
        )? {
            Admit::Stop => return Ok(()),
            Admit::Pass => continue,
            Admit::Read => {}
        }
        let size = file.size();
        let compressed = file.compressed_size().min(archive_len);
        let mut limited = ctx.limited(file, Some(RatioBase::Fixed(compressed)));
        ctx.emit(Event::Entry(Entry {
            name: name.clone(),
            size: Some(size),
            reader: &mut limited,
        }))?;
        last = Some(name);
    }
}

/// A zip entry's name, `/`-separated (some Windows tools write `\`).
fn zip_name(raw: &[u8], decoded: Option<&str>) -> String {
    let name = match decoded {
        Some(name) => name.to_owned(),
        None => String::from_utf8_lossy(raw).into_owned(),
    };
    name.replace('\\', "/")
}

/// Why a zip entry cannot be read, if it cannot.
/// What to do with a zip entry (see `Ctx::admit_zip_entry`).
enum Admit {
    /// The entry limit is reached: stop iterating.
    Stop,
    /// Not read (a folder or link, or skipped with a reason).
    Pass,
    /// Read it.
    Read,
}

fn zip_unreadable(encrypted: bool, method: CompressionMethod) -> Option<String> {
    if encrypted {
        return Some(
            "entry is encrypted and leaksweep cannot decrypt it, so it was not scanned \
             (decrypt the archive and scan the result)"
                .to_owned(),
        );
    }
    if method == CompressionMethod::Stored || method == CompressionMethod::Deflated {
        return None;
    }
    Some(format!(
        "compression method {} is not supported (only stored and deflate are), so it was \
         not scanned (re-pack the archive with deflate to scan it)",
        method.to_string().to_lowercase()
    ))
}

fn after_entry(last: Option<&str>) -> String {
    match last {
        Some(name) => format!(" (after entry `{name}`)"),
        None => " (before any entry)".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Gzip and tar.

/// Reads a gzip stream (all members) as one entry, or as a tar if its content
/// starts like one (or `force_tar`). The ratio and budget are enforced on the
/// decompressed stream itself, so tar headers and skipped data count too.
fn gzip(
    input: &mut dyn Read,
    force_tar: bool,
    inner_name: &str,
    ctx: &mut Ctx<'_>,
) -> Result<(), ContainerError> {
    let consumed = Cell::new(0u64);
    let decoder = MultiGzDecoder::new(CountInto {
        inner: input,
        count: &consumed,
    });
    let mut stream = ctx.limited(decoder, Some(RatioBase::Running(&consumed)));
    let mut head = Vec::with_capacity(512);
    let pending = (&mut stream).take(512).read_to_end(&mut head).err();
    let is_tar = force_tar || looks_like_tar(&head);
    let mut rest = Cursor::new(head).chain(Resume {
        pending,
        inner: stream,
    });
    if is_tar {
        return tar_entries(rest, false, ctx);
    }
    if ctx.entry_limit_reached(1, inner_name)? {
        return Ok(());
    }
    ctx.emit(Event::Entry(Entry {
        name: inner_name.to_owned(),
        size: None,
        reader: &mut rest,
    }))
}

/// Stops a tar archive from spending more than its allowance between two
/// entries: the rest of the previous entry's data plus
/// [`TAR_METADATA_BYTES`]. Outside `entries.next()` the allowance is `None`
/// and bytes pass freely (entry data is limited by [`Limited`]).
struct TarGuard<'a, R> {
    inner: R,
    allowance: &'a Cell<Option<u64>>,
}

impl<R: Read> Read for TarGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(left) = self.allowance.get() else {
            return self.inner.read(buf);
        };
        if buf.is_empty() {
            return Ok(0);
        }
        let cap = usize::try_from(left.max(1))
            .unwrap_or(buf.len())
            .min(buf.len());
        let n = self.inner.read(&mut buf[..cap])?;
        if n as u64 > left {
            return Err(io::Error::other(TarMetadataHit));
        }
        self.allowance.set(Some(left - n as u64));
        Ok(n)
    }
}

#[derive(Debug)]
struct TarMetadataHit;

impl fmt::Display for TarMetadataHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "more than {} MiB of tar headers, long names, pax records or sparse maps \
             before one entry",
            TAR_METADATA_BYTES >> 20
        )
    }
}

impl std::error::Error for TarMetadataHit {}

/// Walks a tar stream. `count_budget` is false when the stream is already
/// counted (the decompressed side of a gzip).
fn tar_entries<R: Read>(
    input: R,
    count_budget: bool,
    ctx: &mut Ctx<'_>,
) -> Result<(), ContainerError> {
    let allowance = Cell::new(None);
    let mut archive = tar::Archive::new(TarGuard {
        inner: input,
        allowance: &allowance,
    });
    let mut entries = archive.entries().map_err(|e| tar_failure(&e, None))?;
    let mut carry = 0u64;
    let mut count = 0u64;
    let mut last: Option<(String, u64)> = None;
    loop {
        allowance.set(Some(carry.saturating_add(TAR_METADATA_BYTES)));
        let next = entries.next();
        allowance.set(None);
        let entry = match next {
            None => return Ok(()),
            Some(Ok(entry)) => entry,
            Some(Err(e)) => return Err(tar_failure(&e, last.as_ref())),
        };
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let entry_type = entry.header().entry_type();
        let sparse = entry_type.is_gnu_sparse();
        // Bytes of this entry still in the stream, for the next allowance.
        let stored = if sparse {
            entry.header().entry_size().unwrap_or(0)
        } else {
            entry.size()
        };
        carry = stored.saturating_add(TAR_PADDING_BYTES);
        count += 1;
        if ctx.entry_limit_reached(count, &name)? {
            return Ok(());
        }
        if !(entry_type.is_file() || entry_type.is_contiguous() || sparse) {
            continue;
        }
        ctx.check_budget(&name)?;
        let size = entry.size();
        let header_position = entry.raw_header_position();
        let mut reader = if count_budget {
            ctx.limited(entry, None)
        } else {
            Limited::plain(entry)
        };
        reader.expect_len = Some(size);
        ctx.emit(Event::Entry(Entry {
            name: name.clone(),
            size: Some(size),
            reader: &mut reader,
        }))?;
        if !sparse {
            carry = stored
                .saturating_sub(reader.read)
                .saturating_add(TAR_PADDING_BYTES);
        }
        last = Some((name, header_position));
    }
}

fn tar_failure(e: &io::Error, last: Option<&(String, u64)>) -> ContainerError {
    if is_limit_error(e) {
        return ContainerError::LimitExceeded(limit_message(e));
    }
    let place = match last {
        Some((name, offset)) => {
            format!("after entry `{name}` (its header is at byte offset {offset})")
        }
        None => "before its first entry".to_owned(),
    };
    let hostile = e
        .get_ref()
        .is_some_and(|inner| inner.is::<TarMetadataHit>());
    if hostile {
        return ContainerError::Corrupt(format!(
            "the tar archive has {e} {place}, so it is corrupt or hostile; the entries \
             before it were scanned"
        ));
    }
    ContainerError::Corrupt(format!(
        "the tar stream is damaged {place}: {e}; the entries before it were scanned \
         (repair or re-export the archive to scan the rest)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read, Write};
    use zip::ZipWriter;
    use zip::unstable::write::FileOptionsExt;
    use zip::write::SimpleFileOptions;

    // ---- helpers ---------------------------------------------------------

    /// What a callback saw: an entry read to its end (or its first error), or
    /// a skip.
    #[derive(Debug)]
    enum Got {
        File {
            name: String,
            size: Option<u64>,
            bytes: Vec<u8>,
            error: Option<io::Error>,
        },
        Skipped {
            name: String,
            reason: String,
        },
    }

    impl Got {
        fn name(&self) -> &str {
            match self {
                Got::File { name, .. } | Got::Skipped { name, .. } => name,
            }
        }
    }

    fn collect(
        kind: ContainerKind,
        input: ContainerInput<'_>,
        limits: &Limits,
        budget: &Budget,
    ) -> (Vec<Got>, Result<(), ContainerError>) {
        let mut got = Vec::new();
        let result = for_each_entry(kind, input, "inner.txt", limits, budget, &mut |event| {
            match event {
                Event::Entry(entry) => {
                    let mut bytes = Vec::new();
                    let error = entry.reader.read_to_end(&mut bytes).err();
                    got.push(Got::File {
                        name: entry.name,
                        size: entry.size,
                        bytes,
                        error,
                    });
                }
                Event::Skipped { name, reason } => got.push(Got::Skipped { name, reason }),
            }
            Ok(())
        });
        (got, result)
    }

    fn from_stream(
        kind: ContainerKind,
        bytes: &[u8],
        limits: &Limits,
    ) -> (Vec<Got>, Result<(), ContainerError>) {
        let mut stream = Cursor::new(bytes.to_vec());
        collect(
            kind,
            ContainerInput::Stream(&mut stream),
            limits,
            &Budget::default(),
        )
    }

    fn temp_file_with(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn from_file(
        kind: ContainerKind,
        bytes: &[u8],
        limits: &Limits,
    ) -> (Vec<Got>, Result<(), ContainerError>) {
        // Left at its end, as after a sniff: the reader must rewind it.
        let mut file = temp_file_with(bytes);
        collect(
            kind,
            ContainerInput::File(&mut file),
            limits,
            &Budget::default(),
        )
    }

    /// Checks that `got` holds exactly these complete files, in order.
    fn assert_files(got: &[Got], expected: &[(&str, &[u8])]) {
        assert_eq!(got.len(), expected.len(), "got {got:?}");
        for (got, (name, content)) in got.iter().zip(expected) {
            match got {
                Got::File {
                    name: got_name,
                    bytes,
                    error,
                    ..
                } => {
                    assert_eq!(got_name, name);
                    assert!(error.is_none(), "{name}: {error:?}");
                    assert_eq!(bytes.as_slice(), *content, "{name}");
                }
                other => panic!("expected file {name}, got {other:?}"),
            }
        }
    }

    fn deflated() -> SimpleFileOptions {
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
    }

    fn stored() -> SimpleFileOptions {
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
    }

    fn zip_with(build: impl FnOnce(&mut ZipWriter<Cursor<Vec<u8>>>)) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        build(&mut writer);
        writer.finish().unwrap().into_inner()
    }

    /// A zip of these entries; names ending in `/` become folders.
    fn zip_of(entries: &[(&str, &[u8])], options: SimpleFileOptions) -> Vec<u8> {
        zip_with(|zip| {
            for (name, content) in entries {
                if name.ends_with('/') {
                    zip.add_directory(*name, options).unwrap();
                } else {
                    zip.start_file(*name, options).unwrap();
                    zip.write_all(content).unwrap();
                }
            }
        })
    }

    /// A tar of these entries; names ending in `/` become folders.
    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            if name.ends_with('/') {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
            } else {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(content.len() as u64);
            }
            builder.append_data(&mut header, name, *content).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip_of(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// Deterministic pseudo-random bytes (xorshift), incompressible.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    /// Readable text, compressible but not absurdly so.
    fn text(seed: u64, len: usize) -> Vec<u8> {
        noise(seed, len)
            .into_iter()
            .map(|b| b"abcdefghij klmnop\n"[usize::from(b) % 18])
            .collect()
    }

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("pattern present")
    }

    // ---- sniffing --------------------------------------------------------

    #[test]
    fn sniff_recognises_each_kind_and_rejects_text() {
        let zip = zip_of(&[("a.txt", b"a")], deflated());
        assert_eq!(sniff(&zip), Some(ContainerKind::Zip));
        assert_eq!(sniff(b"PK\x05\x06rest"), Some(ContainerKind::Zip));
        assert_eq!(sniff(&gzip_of(b"hello")), Some(ContainerKind::Gzip));
        let tar = tar_of(&[("a.txt", b"a")]);
        assert_eq!(sniff(&tar[..1024]), Some(ContainerKind::Tar));
        assert_eq!(sniff(&tar[..262]), Some(ContainerKind::Tar));
        assert_eq!(sniff(&tar[..261]), None, "too short to hold the magic");
        // A tar.gz sniffs as gzip: the header does not say what is inside.
        assert_eq!(sniff(&gzip_of(&tar)), Some(ContainerKind::Gzip));
        assert_eq!(sniff(b"name,phone\nzhang,13800138000\n"), None);
        assert_eq!(sniff(b"PK"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0x1f, 0x8b, 0x07]), None);
    }

    #[test]
    fn default_limits_are_the_documented_ones() {
        let limits = Limits::default();
        assert_eq!(limits.max_total_bytes, 4 * 1024 * 1024 * 1024);
        assert_eq!(limits.max_ratio, 200);
        assert_eq!(limits.max_entries, 100_000);
        assert_eq!(limits.max_spool_bytes, 1024 * 1024 * 1024);
    }

    // ---- zip ---------------------------------------------------------------

    #[test]
    fn zip_from_file_and_stream_skips_the_folder() {
        let a = text(1, 3000);
        let b = b"id,phone\n1,13800138000\n".to_vec();
        let zip = zip_of(
            &[("docs/", b""), ("docs/a.txt", &a), ("b.csv", &b)],
            deflated(),
        );
        let expected: &[(&str, &[u8])] = &[("docs/a.txt", &a), ("b.csv", &b)];
        for (got, result) in [
            from_file(ContainerKind::Zip, &zip, &Limits::default()),
            from_stream(ContainerKind::Zip, &zip, &Limits::default()),
        ] {
            result.unwrap();
            assert_files(&got, expected);
            match &got[0] {
                Got::File { size, .. } => assert_eq!(*size, Some(3000)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn zip_symlinks_are_skipped_silently() {
        let zip = zip_with(|zip| {
            zip.add_symlink("link", "target.txt", stored()).unwrap();
            zip.start_file("target.txt", stored()).unwrap();
            zip.write_all(b"content").unwrap();
        });
        let (got, result) = from_file(ContainerKind::Zip, &zip, &Limits::default());
        result.unwrap();
        assert_files(&got, &[("target.txt", b"content")]);
    }

    #[test]
    fn empty_zip_has_no_entries() {
        let zip = zip_with(|_| {});
        assert_eq!(sniff(&zip), Some(ContainerKind::Zip));
        let (got, result) = from_stream(ContainerKind::Zip, &zip, &Limits::default());
        result.unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn nested_zip_is_delivered_as_an_entry_that_sniffs_as_zip() {
        let inner = zip_of(&[("deep.txt", b"13800138000")], deflated());
        let outer = zip_of(&[("inner.zip", &inner), ("top.txt", b"top")], deflated());
        let (got, result) = from_stream(ContainerKind::Zip, &outer, &Limits::default());
        result.unwrap();
        assert_files(&got, &[("inner.zip", &inner), ("top.txt", b"top")]);
        match &got[0] {
            Got::File { bytes, .. } => assert_eq!(sniff(bytes), Some(ContainerKind::Zip)),
            other => panic!("{other:?}"),
        }
    }

    /// What a caller does: sniff each entry and recurse with the same budget.
    fn walk(
        kind: ContainerKind,
        input: ContainerInput<'_>,
        limits: &Limits,
        budget: &Budget,
        seen: &mut Vec<String>,
    ) -> Result<(), ContainerError> {
        for_each_entry(kind, input, "inner", limits, budget, &mut |event| {
            let Event::Entry(entry) = event else {
                return Ok(());
            };
            let mut head = Vec::new();
            (&mut *entry.reader).take(1024).read_to_end(&mut head)?;
            let mut whole = Cursor::new(head.clone()).chain(entry.reader);
            match sniff(&head) {
                Some(nested) => {
                    let input = ContainerInput::Stream(&mut whole);
                    if let Err(e) = walk(nested, input, limits, budget, seen) {
                        seen.push(format!("{}: {e}", entry.name));
                    }
                }
                None => {
                    let mut bytes = Vec::new();
                    match whole.read_to_end(&mut bytes) {
                        Ok(_) => seen.push(format!("{} ({} bytes)", entry.name, bytes.len())),
                        Err(e) => seen.push(format!("{}: {e}", entry.name)),
                    }
                }
            }
            Ok(())
        })
    }

    #[test]
    fn a_caller_can_recurse_with_one_shared_budget() {
        let deep = text(2, 5000);
        let tar = tar_of(&[("deep.txt", &deep)]);
        let inner = zip_of(&[("data.tar.gz", &gzip_of(&tar))], stored());
        let outer = zip_of(&[("inner.zip", &inner), ("top.txt", b"top")], stored());

        let budget = Budget::default();
        let mut seen = Vec::new();
        let mut file = temp_file_with(&outer);
        walk(
            ContainerKind::Zip,
            ContainerInput::File(&mut file),
            &Limits::default(),
            &budget,
            &mut seen,
        )
        .unwrap();
        assert_eq!(seen, ["deep.txt (5000 bytes)", "top.txt (3 bytes)"]);
        // Every level counts what it unpacks: the inner zip, the tar stream
        // and the file inside it, and the top-level file.
        let total = budget.decompressed.get();
        assert!(
            total >= inner.len() as u64 + tar.len() as u64 + 3,
            "{total}"
        );

        // The same tree under a budget too small for it: the nested reader
        // fails, and the budget spans the levels.
        let limits = Limits {
            max_total_bytes: inner.len() as u64 + 2000,
            ..Limits::default()
        };
        let budget = Budget::default();
        let mut seen = Vec::new();
        let result = walk(
            ContainerKind::Zip,
            ContainerInput::File(&mut file),
            &limits,
            &budget,
            &mut seen,
        );
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("--max-decompressed-bytes"), "{seen:?}");
        match result {
            Err(ContainerError::LimitExceeded(message)) => {
                assert!(message.contains("top.txt"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(budget.decompressed.get() <= limits.max_total_bytes + 1);
    }

    #[test]
    fn zip_bomb_stops_at_the_ratio_and_the_next_entry_still_comes() {
        let zip = zip_with(|zip| {
            zip.start_file("bomb.bin", deflated()).unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..50 {
                zip.write_all(&zeros).unwrap();
            }
            zip.start_file("after.txt", deflated()).unwrap();
            zip.write_all(b"still scanned").unwrap();
        });
        assert!(zip.len() < 100 << 10, "zip is {} bytes", zip.len());
        let compressed = zip::ZipArchive::new(Cursor::new(zip.clone()))
            .unwrap()
            .by_index(0)
            .unwrap()
            .compressed_size();
        let limits = Limits::default();
        for (got, result) in [
            from_file(ContainerKind::Zip, &zip, &limits),
            from_stream(ContainerKind::Zip, &zip, &limits),
        ] {
            result.unwrap();
            assert_eq!(got.len(), 2, "{got:?}");
            match &got[0] {
                Got::File {
                    name,
                    size,
                    bytes,
                    error,
                } => {
                    assert_eq!(name, "bomb.bin");
                    assert_eq!(*size, Some(50 << 20));
                    let error = error.as_ref().expect("the bomb must fail");
                    assert!(is_limit_error(error), "{error}");
                    assert_eq!(error.kind(), io::ErrorKind::Other);
                    let message = error.to_string();
                    assert!(message.starts_with("limit exceeded:"), "{message}");
                    assert!(message.contains("200"), "{message}");
                    assert!(message.contains("--max-compression-ratio"), "{message}");
                    let bound = 200 * compressed + (64 << 10);
                    assert!(bytes.len() as u64 <= bound, "{} > {bound}", bytes.len());
                    assert!(bytes.len() as u64 >= 200 * compressed - (64 << 10));
                }
                other => panic!("{other:?}"),
            }
            assert_files(&got[1..], &[("after.txt", b"still scanned")]);
        }
    }

    #[test]
    fn the_reader_keeps_failing_after_a_limit() {
        let zip = zip_of(&[("big.txt", &text(3, 3000))], stored());
        let limits = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let mut stream = Cursor::new(zip);
        let mut results = Vec::new();
        for_each_entry(
            ContainerKind::Zip,
            ContainerInput::Stream(&mut stream),
            "x",
            &limits,
            &Budget::default(),
            &mut |event| {
                if let Event::Entry(entry) = event {
                    let mut buf = [0u8; 4096];
                    for _ in 0..3 {
                        results.push(entry.reader.read(&mut buf).map_err(|e| is_limit_error(&e)));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(results, [Ok(1000), Err(true), Err(true)]);
    }

    #[test]
    fn total_budget_spans_entries_and_stops_the_container() {
        let a = text(4, 600);
        let b = text(5, 600);
        let zip = zip_of(&[("a.txt", &a), ("b.txt", &b), ("c.txt", b"c")], deflated());
        let limits = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let budget = Budget::default();
        let mut file = temp_file_with(&zip);
        let (got, result) = collect(
            ContainerKind::Zip,
            ContainerInput::File(&mut file),
            &limits,
            &budget,
        );
        assert_files(&got[..1], &[("a.txt", &a)]);
        assert_eq!(got.len(), 2, "{got:?}");
        match &got[1] {
            Got::File { bytes, error, .. } => {
                assert_eq!(bytes.as_slice(), &b[..400]);
                let error = error.as_ref().expect("budget spent");
                assert!(is_limit_error(error));
                let message = error.to_string();
                assert!(message.starts_with("limit exceeded:"), "{message}");
                assert!(message.contains("1000"), "{message}");
                assert!(message.contains("--max-decompressed-bytes"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match result {
            Err(ContainerError::LimitExceeded(message)) => {
                assert!(message.contains("`c.txt`"), "{message}");
                assert!(message.contains("--max-decompressed-bytes"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // At most the one byte read to tell "at the limit" from "over it".
        assert!((1000..=1001).contains(&budget.decompressed.get()));
    }

    #[test]
    fn zip_cut_in_the_second_entry_delivers_what_it_can_then_corrupt() {
        let a = noise(6, 2000);
        let b = noise(7, 5000);
        let zip = zip_of(&[("a.bin", &a), ("b.bin", &b), ("c.bin", b"c")], stored());
        let cut = find(&zip, &b[..32]) + 2500;
        let zip = &zip[..cut];
        for (got, result) in [
            from_file(ContainerKind::Zip, zip, &Limits::default()),
            from_stream(ContainerKind::Zip, zip, &Limits::default()),
        ] {
            assert_files(&got[..1], &[("a.bin", &a)]);
            assert_eq!(got.len(), 2, "{got:?}");
            match &got[1] {
                Got::File {
                    name, bytes, error, ..
                } => {
                    assert_eq!(name, "b.bin");
                    assert!(b.starts_with(bytes));
                    let error = error.as_ref().expect("b.bin is cut");
                    assert!(!is_limit_error(error));
                }
                other => panic!("{other:?}"),
            }
            match result {
                Err(ContainerError::Corrupt(message)) => {
                    assert!(message.contains("b.bin"), "{message}");
                    assert!(message.contains("byte offset"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn zip_without_central_directory_is_read_from_local_headers() {
        let a = text(8, 1000);
        let mut zip = zip_with(|zip| {
            zip.start_file("a.txt", deflated()).unwrap();
            zip.write_all(&a).unwrap();
            for (name, content) in [
                ("secret.txt", "13800138000"),
                ("odd.bin", "odd"),
                ("b.txt", "bbb"),
            ] {
                zip.start_file(name, stored()).unwrap();
                zip.write_all(content.as_bytes()).unwrap();
            }
        });
        // In the local headers only (the central directory goes): mark
        // secret.txt encrypted and give odd.bin an unsupported method. (The
        // zip crate's own encryption writes a data descriptor, which a zip
        // without central directory cannot be walked past.)
        let secret = find(&zip, b"secret.txt") - 30;
        zip[secret + 6] |= 1;
        let odd = find(&zip, b"odd.bin") - 30;
        zip[odd + 8] = 12;
        let cut = find(&zip, b"PK\x01\x02");
        let zip = &zip[..cut];
        for (got, result) in [
            from_file(ContainerKind::Zip, zip, &Limits::default()),
            from_stream(ContainerKind::Zip, zip, &Limits::default()),
        ] {
            let names: Vec<_> = got.iter().map(Got::name).collect();
            assert_eq!(
                names,
                ["a.txt", "secret.txt", "odd.bin", "b.txt"],
                "{result:?}"
            );
            assert_files(&got[..1], &[("a.txt", &a)]);
            assert!(matches!(&got[1], Got::Skipped { name, reason }
                if name == "secret.txt" && reason.contains("encrypted")));
            assert!(matches!(&got[2], Got::Skipped { name, reason }
                if name == "odd.bin" && reason.contains("compression method bzip2")));
            assert_files(&got[3..], &[("b.txt", b"bbb")]);
            match result {
                Err(ContainerError::Corrupt(message)) => {
                    assert!(message.contains("central directory"), "{message}");
                    assert!(message.contains("b.txt"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn encrypted_zip_entry_is_skipped_with_a_reason() {
        let zip = zip_with(|zip| {
            let secret = deflated().with_deprecated_encryption(b"pw").unwrap();
            zip.start_file("secret.txt", secret).unwrap();
            zip.write_all(b"13800138000").unwrap();
            zip.start_file("plain.txt", deflated()).unwrap();
            zip.write_all(b"plain").unwrap();
        });
        let (got, result) = from_file(ContainerKind::Zip, &zip, &Limits::default());
        result.unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        match &got[0] {
            Got::Skipped { name, reason } => {
                assert_eq!(name, "secret.txt");
                assert!(reason.contains("encrypted"), "{reason}");
                assert_eq!(reason, &reason.to_lowercase());
            }
            other => panic!("{other:?}"),
        }
        assert_files(&got[1..], &[("plain.txt", b"plain")]);
    }

    #[test]
    fn unsupported_compression_method_is_skipped_with_a_reason() {
        let mut zip = zip_of(&[("a.bz2data", b"aaaa"), ("b.txt", b"bbbb")], stored());
        // Claim bzip2 (method 12) for the first entry in both headers.
        zip[8] = 12;
        let central = find(&zip, b"PK\x01\x02");
        zip[central + 10] = 12;
        let (got, result) = from_stream(ContainerKind::Zip, &zip, &Limits::default());
        result.unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(matches!(&got[0], Got::Skipped { name, reason }
            if name == "a.bz2data" && reason.contains("compression method bzip2")));
        assert_files(&got[1..], &[("b.txt", b"bbbb")]);
    }

    #[test]
    fn corrupt_local_header_is_skipped_and_the_rest_is_read() {
        let mut zip = zip_of(&[("a.txt", b"aaaa"), ("b.txt", b"bbbb")], stored());
        zip[2] = b'X'; // breaks the first local header's signature
        let (got, result) = from_file(ContainerKind::Zip, &zip, &Limits::default());
        result.unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(matches!(&got[0], Got::Skipped { name, reason }
            if name == "a.txt" && reason.contains("local header")));
        assert_files(&got[1..], &[("b.txt", b"bbbb")]);
    }

    #[test]
    fn entry_limit_gives_one_skipped_and_stops() {
        let entries: Vec<(String, Vec<u8>)> = (0..5)
            .map(|i| (format!("f{i}.txt"), vec![b'0' + i as u8; 10]))
            .collect();
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        let limits = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        let expected_reason = "entry limit of 2 reached; the remaining entries were not \
                               scanned (raise --max-archive-entries)";
        let zip = zip_of(&refs, deflated());
        let tar = tar_of(&refs);
        for (got, result) in [
            from_file(ContainerKind::Zip, &zip, &limits),
            from_stream(ContainerKind::Tar, &tar, &limits),
            from_stream(ContainerKind::Gzip, &gzip_of(&tar), &limits),
        ] {
            result.unwrap();
            assert_eq!(got.len(), 3, "{got:?}");
            assert_files(&got[..2], &refs[..2]);
            match &got[2] {
                Got::Skipped { name, reason } => {
                    assert_eq!(name, "f2.txt");
                    assert_eq!(reason, expected_reason);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn zip_from_a_stream_over_the_spool_limit_is_refused() {
        let zip = zip_of(&[("a.bin", &noise(9, 5000))], stored());
        let limits = Limits {
            max_spool_bytes: 4000,
            ..Limits::default()
        };
        let (got, result) = from_stream(ContainerKind::Zip, &zip, &limits);
        assert!(got.is_empty());
        match result {
            Err(ContainerError::LimitExceeded(message)) => {
                assert!(message.contains("4000"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // The same zip as a file needs no spool.
        let (got, result) = from_file(ContainerKind::Zip, &zip, &limits);
        result.unwrap();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn spool_moves_to_disk_past_the_memory_cap() {
        let bytes = noise(10, 5000);
        let (spooled, failure) = spool(&mut Cursor::new(bytes.clone()), 1000, 10_000).unwrap();
        assert!(failure.is_none());
        let Spool::Disk(mut file) = spooled else {
            panic!("expected a temporary file");
        };
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back, bytes);

        let (spooled, _) = spool(&mut Cursor::new(bytes.clone()), 8000, 10_000).unwrap();
        assert!(matches!(spooled, Spool::Memory(c) if c.get_ref() == &bytes));

        let over = spool(&mut Cursor::new(bytes), 1000, 4999);
        assert!(matches!(over, Err(ContainerError::LimitExceeded(_))));
    }

    /// A stream that fails after a given number of bytes.
    struct FailAfter {
        inner: Cursor<Vec<u8>>,
        left: usize,
    }

    impl Read for FailAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "disk on fire"));
            }
            let n = buf.len().min(self.left);
            let n = self.inner.read(&mut buf[..n])?;
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn zip_stream_that_fails_part_way_is_read_up_to_the_failure() {
        let a = noise(11, 3000);
        let zip = zip_of(&[("a.bin", &a), ("b.bin", &noise(12, 3000))], stored());
        let mut stream = FailAfter {
            inner: Cursor::new(zip),
            left: 4000,
        };
        let (got, result) = collect(
            ContainerKind::Zip,
            ContainerInput::Stream(&mut stream),
            &Limits::default(),
            &Budget::default(),
        );
        assert_files(&got[..1], &[("a.bin", &a)]);
        match result {
            Err(ContainerError::Corrupt(message)) => {
                assert!(message.contains("disk on fire"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn callback_error_stops_iteration() {
        let zip = zip_of(&[("a.txt", b"a"), ("b.txt", b"b")], deflated());
        let mut calls = 0;
        let mut file = temp_file_with(&zip);
        let result = for_each_entry(
            ContainerKind::Zip,
            ContainerInput::File(&mut file),
            "x",
            &Limits::default(),
            &Budget::default(),
            &mut |_| {
                calls += 1;
                Err(io::Error::other("scan stopped"))
            },
        );
        assert_eq!(calls, 1);
        match result {
            Err(ContainerError::Io(e)) => assert_eq!(e.to_string(), "scan stopped"),
            other => panic!("{other:?}"),
        }
    }

    // ---- gzip and tar -----------------------------------------------------------

    #[test]
    fn gzip_is_one_entry_named_as_given() {
        let content = text(13, 10_000);
        let gz = gzip_of(&content);
        for (got, result) in [
            from_file(ContainerKind::Gzip, &gz, &Limits::default()),
            from_stream(ContainerKind::Gzip, &gz, &Limits::default()),
        ] {
            result.unwrap();
            assert_files(&got, &[("inner.txt", &content)]);
            assert!(matches!(&got[0], Got::File { size: None, .. }));
        }
        // Short content (under the 512-byte peek) and empty content too.
        for content in [&b"13800138000"[..], b""] {
            let (got, result) =
                from_stream(ContainerKind::Gzip, &gzip_of(content), &Limits::default());
            result.unwrap();
            assert_files(&got, &[("inner.txt", content)]);
        }
    }

    #[test]
    fn concatenated_gzip_members_are_one_entry() {
        let mut gz = gzip_of(b"first ");
        gz.extend(gzip_of(b"second"));
        let (got, result) = from_stream(ContainerKind::Gzip, &gz, &Limits::default());
        result.unwrap();
        assert_files(&got, &[("inner.txt", b"first second")]);
    }

    #[test]
    fn truncated_gzip_delivers_what_it_has_then_the_read_fails() {
        let content = text(14, 200_000);
        let gz = gzip_of(&content);
        let cut = &gz[..gz.len() / 2];
        let (got, result) = from_stream(ContainerKind::Gzip, cut, &Limits::default());
        result.unwrap();
        assert_eq!(got.len(), 1);
        match &got[0] {
            Got::File { bytes, error, .. } => {
                assert!(bytes.len() > 10_000, "{}", bytes.len());
                assert!(content.starts_with(bytes));
                let error = error.as_ref().expect("truncated");
                assert!(!is_limit_error(error), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gzip_bomb_stops_at_the_ratio() {
        let gz = gzip_of(&vec![0u8; 50 << 20]);
        let (got, result) = from_stream(ContainerKind::Gzip, &gz, &Limits::default());
        result.unwrap();
        match &got[0] {
            Got::File { bytes, error, .. } => {
                let error = error.as_ref().expect("bomb");
                assert!(is_limit_error(error), "{error}");
                assert!(error.to_string().contains("--max-compression-ratio"));
                // Consumption runs ahead of output by the decoder's buffer.
                let bound = 200 * (gz.len() as u64 + (32 << 10)) + (64 << 10);
                assert!((bytes.len() as u64) < bound);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tar_entries_in_order_without_folders_and_links() {
        let a = text(15, 1500);
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_ustar();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        builder.append_data(&mut dir, "dir/", io::empty()).unwrap();
        let mut file = tar::Header::new_ustar();
        file.set_size(a.len() as u64);
        builder
            .append_data(&mut file, "dir/a.txt", a.as_slice())
            .unwrap();
        let mut link = tar::Header::new_ustar();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        builder.append_link(&mut link, "dir/link", "a.txt").unwrap();
        let long_name = format!("{}/b.txt", "x".repeat(150));
        let mut long = tar::Header::new_gnu();
        long.set_size(3);
        builder
            .append_data(&mut long, &long_name, &b"bbb"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();

        let expected: &[(&str, &[u8])] = &[("dir/a.txt", &a), (&long_name, b"bbb")];
        for (got, result) in [
            from_file(ContainerKind::Tar, &tar, &Limits::default()),
            from_stream(ContainerKind::Tar, &tar, &Limits::default()),
        ] {
            result.unwrap();
            assert_files(&got, expected);
            match &got[0] {
                Got::File { size, .. } => assert_eq!(*size, Some(1500)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tar_gz_is_read_as_tar() {
        let a = text(16, 4000);
        let tar = tar_of(&[("d/", b""), ("d/a.txt", &a), ("b.txt", b"b")]);
        let gz = gzip_of(&tar);
        let expected: &[(&str, &[u8])] = &[("d/a.txt", &a), ("b.txt", b"b")];
        for (got, result) in [
            from_file(ContainerKind::Gzip, &gz, &Limits::default()),
            from_stream(ContainerKind::Gzip, &gz, &Limits::default()),
            from_stream(ContainerKind::TarGz, &gz, &Limits::default()),
        ] {
            result.unwrap();
            assert_files(&got, expected);
            // How a caller that passed Gzip knows these are tar entries.
            assert!(
                got.iter()
                    .all(|g| matches!(g, Got::File { size: Some(_), .. }))
            );
        }
        // Told it is a tar.gz when it is not: the tar reader says so.
        let (got, result) = from_stream(
            ContainerKind::TarGz,
            &gzip_of(&text(17, 2000)),
            &Limits::default(),
        );
        assert!(got.is_empty());
        assert!(
            matches!(result, Err(ContainerError::Corrupt(_))),
            "{result:?}"
        );
    }

    #[test]
    fn tar_gz_counts_the_budget_once() {
        let a = text(18, 10_000);
        let tar = tar_of(&[("a.txt", &a)]);
        let budget = Budget::default();
        let mut stream = Cursor::new(gzip_of(&tar));
        let (got, result) = collect(
            ContainerKind::Gzip,
            ContainerInput::Stream(&mut stream),
            &Limits::default(),
            &budget,
        );
        result.unwrap();
        assert_files(&got, &[("a.txt", &a)]);
        // Header and entry data, counted once, on the decompressed stream.
        let total = budget.decompressed.get();
        assert!(
            total >= 10_000 + 512 && total <= tar.len() as u64,
            "{total}"
        );
    }

    #[test]
    fn tar_cut_in_the_second_entry_delivers_what_it_can_then_corrupt() {
        let a = noise(19, 1000);
        let b = noise(20, 3000);
        let tar = tar_of(&[("a.bin", &a), ("b.bin", &b), ("c.bin", b"c")]);
        let cut = find(&tar, &b[..32]) + 1000;
        for (got, result) in [
            from_stream(ContainerKind::Tar, &tar[..cut], &Limits::default()),
            from_stream(
                ContainerKind::Gzip,
                &gzip_of(&tar[..cut]),
                &Limits::default(),
            ),
            from_stream(
                ContainerKind::Gzip,
                &gzip_of(&tar)[..cut / 2],
                &Limits::default(),
            ),
        ] {
            assert_files(&got[..1], &[("a.bin", &a)]);
            assert_eq!(got.len(), 2, "{got:?}");
            match &got[1] {
                Got::File { bytes, error, .. } => {
                    assert!(b.starts_with(bytes));
                    assert!(bytes.len() < b.len());
                    assert!(error.is_some());
                }
                other => panic!("{other:?}"),
            }
            match result {
                Err(ContainerError::Corrupt(message)) => {
                    assert!(message.contains("b.bin"), "{message}");
                    assert!(message.contains("byte offset"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tar_with_a_huge_long_name_is_refused_before_it_is_read() {
        let name = "n".repeat(9 << 20);
        let mut builder = tar::Builder::new(Vec::new());
        let mut ok = tar::Header::new_gnu();
        ok.set_size(2);
        builder.append_data(&mut ok, "ok.txt", &b"ok"[..]).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        builder.append_data(&mut header, &name, &b"x"[..]).unwrap();
        let tar = builder.into_inner().unwrap();
        let gz = gzip_of(&tar);
        assert!(gz.len() < 100 << 10);
        // Such a name also compresses far beyond the ratio limit; lift it to
        // see the guard itself.
        let limits = Limits {
            max_ratio: u64::MAX,
            ..Limits::default()
        };
        for (got, result) in [
            from_stream(ContainerKind::Tar, &tar, &limits),
            from_stream(ContainerKind::Gzip, &gz, &limits),
        ] {
            assert_files(&got, &[("ok.txt", b"ok")]);
            match result {
                Err(ContainerError::Corrupt(message)) => {
                    assert!(message.contains("hostile"), "{message}");
                    assert!(message.contains("ok.txt"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tar_entries_left_unread_are_skipped_without_tripping_the_guard() {
        // Entries bigger than the metadata allowance, not read by the
        // callback: the skip over their data must not count as metadata.
        let big = noise(21, (TAR_METADATA_BYTES + (1 << 20)) as usize);
        let tar = tar_of(&[("big.bin", &big), ("small.txt", b"small")]);
        let mut names = Vec::new();
        let mut stream = Cursor::new(tar);
        for_each_entry(
            ContainerKind::Tar,
            ContainerInput::Stream(&mut stream),
            "x",
            &Limits::default(),
            &Budget::default(),
            &mut |event| {
                if let Event::Entry(entry) = event {
                    names.push(entry.name);
                    let mut head = [0u8; 100];
                    let n = entry.reader.read(&mut head)?;
                    assert!(n > 0);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(names, ["big.bin", "small.txt"]);
    }

    // ---- errors ----------------------------------------------------------------

    #[test]
    fn is_limit_error_tells_limits_from_damage() {
        assert!(is_limit_error(&limit_error("x")));
        assert!(!is_limit_error(&io::Error::other("corrupt deflate stream")));
        assert!(!is_limit_error(&io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "limit exceeded: not ours"
        )));
        // Wrapped by a decoder, or rebuilt from its message.
        let wrapped = io::Error::other(limit_error("x"));
        assert!(is_limit_error(&wrapped));
        assert!(is_limit_error(&io::Error::other(
            limit_error("x").to_string()
        )));
    }

    #[test]
    fn error_messages_are_lowercase() {
        let errors = [
            ContainerError::Corrupt("x".into()).to_string(),
            ContainerError::LimitExceeded("x".into()).to_string(),
            limit_error("x").to_string(),
        ];
        for message in errors {
            assert_eq!(message, message.to_lowercase());
        }
    }

    // ---- hostile input ------------------------------------------------------

    fn drain_everything(kind: ContainerKind, bytes: &[u8], file: &mut File) {
        let limits = Limits {
            max_total_bytes: 4 << 20,
            max_entries: 50,
            max_spool_bytes: 1 << 20,
            ..Limits::default()
        };
        let mut read_all = |event: Event<'_>| {
            if let Event::Entry(entry) = event {
                let _ = io::copy(entry.reader, &mut io::sink());
            }
            Ok(())
        };
        let mut stream = Cursor::new(bytes);
        let _ = for_each_entry(
            kind,
            ContainerInput::Stream(&mut stream),
            "x",
            &limits,
            &Budget::default(),
            &mut read_all,
        );
        file.set_len(0).unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(bytes).unwrap();
        let _ = for_each_entry(
            kind,
            ContainerInput::File(file),
            "x",
            &limits,
            &Budget::default(),
            &mut read_all,
        );
    }

    #[test]
    fn random_and_damaged_input_never_panics() {
        let kinds = [
            ContainerKind::Zip,
            ContainerKind::Gzip,
            ContainerKind::Tar,
            ContainerKind::TarGz,
        ];
        let t = text(22, 3000);
        let tar = tar_of(&[("d/", b""), ("a.txt", &t), ("b.bin", &noise(23, 700))]);
        let mut zip_cut = zip_of(&[("a.txt", &t), ("b.txt", b"b")], deflated());
        zip_cut.truncate(find(&zip_cut, b"PK\x01\x02"));
        let samples = [
            zip_of(
                &[("d/", b""), ("a.txt", &t), ("b.bin", &noise(24, 700))],
                deflated(),
            ),
            zip_of(&[("a.txt", &t), ("b.txt", b"b")], stored()),
            zip_cut,
            gzip_of(&t),
            gzip_of(&tar),
            tar,
        ];
        let mut file = tempfile::tempfile().unwrap();
        let mut rng = noise(25, 1 << 16).into_iter().cycle();
        let mut next = move || usize::from(rng.next().unwrap());
        for sample in &samples {
            let step = sample.len() / 40 + 1;
            for cut in (0..sample.len()).step_by(step) {
                for kind in kinds {
                    drain_everything(kind, &sample[..cut], &mut file);
                }
            }
            for _ in 0..150 {
                let mut damaged = sample.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() << 8 | next()) % damaged.len();
                    if next() % 2 == 0 && at + 4 <= damaged.len() {
                        // An all-ones size, count or offset field.
                        damaged[at..at + 4].copy_from_slice(&[0xff; 4]);
                    } else {
                        damaged[at] = next() as u8;
                    }
                }
                for kind in kinds {
                    drain_everything(kind, &damaged, &mut file);
                }
            }
        }
        let prefixes: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", &[0x1f, 0x8b, 0x08]];
        for seed in 0..100u64 {
            let mut random = noise(100 + seed, 64 + (seed as usize * 97) % 4000);
            let prefix = prefixes[seed as usize % 3];
            random[..prefix.len()].copy_from_slice(prefix);
            if random.len() > 262 && seed % 2 == 0 {
                random[257..262].copy_from_slice(b"ustar");
            }
            for kind in kinds {
                drain_everything(kind, &random, &mut file);
            }
        }
    }
}
