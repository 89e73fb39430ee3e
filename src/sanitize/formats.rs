//! One writer per format: each reads an input with the scan's readers,
//! asks the detector for replacements and writes the same format back.

use super::{RedactConfig, rewrite};
use crate::chunk::{Chunk, Field, Pending};
use crate::detect::{Detector, Replacement, Scratch};
use crate::source::container::ContainerKind;
use crate::source::encoding::{self, TextEncoding};
use crate::source::{self, Format, Shape, csv as table, json, sheet, text};
use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Write};
use std::sync::Arc;

/// Bytes sniffed.
const HEAD: usize = 64 * 1024;

/// Records rewritten per batch of a CSV file.
const CSV_BATCH: usize = 4096;

/// What one file (or container entry) became.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Format written.
    pub format: String,
    /// Text encoding, for text formats.
    pub encoding: Option<String>,
    /// Replacements per rule id (nested entries included).
    pub replacements: BTreeMap<String, u64>,
}

impl Outcome {
    /// All replacements.
    pub fn total(&self) -> u64 {
        self.replacements.values().sum()
    }

    fn count(&mut self, reps: &[Replacement]) {
        for r in reps {
            *self.replacements.entry(r.rule.to_string()).or_insert(0) += 1;
        }
    }

    fn absorb(&mut self, other: &Outcome) {
        for (k, v) in &other.replacements {
            *self.replacements.entry(k.clone()).or_insert(0) += v;
        }
    }
}

fn io_err(e: io::Error) -> String {
    e.to_string().to_lowercase()
}

/// Redacts the input `r` (named `name`) into `w` in its own format.
pub fn process(
    r: &mut dyn Read,
    name: &str,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    depth: u32,
    w: &mut dyn Write,
) -> Result<Outcome, String> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head).map_err(io_err)?;
    let mut stream = Cursor::new(head.clone()).chain(r);
    // The scan's own format decision, so both read an input alike.
    let enc = match source::sniff(&head, name) {
        Format::Workbook if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => {
            return Err(
                "legacy XLS/OLE workbook: it cannot be rewritten; convert it to XLSX, or leave it out"
                    .into(),
            );
        }
        Format::Workbook => {
            let data = read_bounded(&mut stream, cfg.max_in_memory, "workbook")?;
            return workbook_rewrite(data, detector, cfg, w);
        }
        Format::Container(_) if depth >= cfg.max_depth => {
            return Err(format!(
                "archive nested deeper than {} levels; not written",
                cfg.max_depth
            ));
        }
        Format::Container(ContainerKind::Zip) => {
            return zip_rewrite(&mut stream, detector, cfg, depth, w);
        }
        Format::Container(ContainerKind::Gzip | ContainerKind::TarGz) => {
            return gzip_rewrite(&mut stream, name, detector, cfg, depth, w);
        }
        Format::Container(ContainerKind::Tar) => {
            let mut o = tar_rewrite(&mut stream, detector, cfg, depth, w)?;
            o.format = "tar".into();
            return Ok(o);
        }
        Format::Binary => {
            return Err(
                "binary file of no recognised format: it could not be scanned, so it is not copied"
                    .into(),
            );
        }
        Format::Text(enc) => enc,
    };
    let mut decoded = encoding::decode(stream, enc);
    let mut dhead = Vec::with_capacity(HEAD);
    (&mut decoded)
        .take(HEAD as u64)
        .read_to_end(&mut dhead)
        .map_err(io_err)?;
    // The decoder may pass a BOM through: it is written back by the encoder.
    let bom = dhead.starts_with("\u{feff}".as_bytes());
    let skip = if bom { 3 } else { 0 };
    let mut text_in = Cursor::new(dhead[skip..].to_vec()).chain(decoded);
    let mut out = Encoder::new(w, enc);
    let text_head = &dhead[skip..];
    let mut o = match source::shape(text_head, name) {
        Shape::Csv(delimiter) => {
            let complete = dhead.len() < HEAD;
            let delim = delimiter.unwrap_or_else(|| table::sniff_delimiter(text_head, complete));
            csv_rewrite(
                &mut text_in,
                text_head,
                delim,
                name,
                detector,
                cfg,
                &mut out,
            )?
        }
        Shape::JsonDocument => {
            let data = read_bounded(&mut text_in, cfg.max_in_memory, "JSON document")?;
            document_rewrite(data, name, detector, cfg, &mut out)?
        }
        Shape::JsonLines => lines_rewrite(&mut text_in, true, name, detector, cfg, &mut out)?,
        Shape::Plain => lines_rewrite(&mut text_in, false, name, detector, cfg, &mut out)?,
    };
    out.finish().map_err(io_err)?;
    o.encoding = Some(enc.name().to_string());
    Ok(o)
}

fn read_bounded(r: &mut dyn Read, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    r.take(limit + 1).read_to_end(&mut data).map_err(io_err)?;
    if data.len() as u64 > limit {
        return Err(format!(
            "{what} larger than {limit} bytes: too large to rewrite in memory; not written"
        ));
    }
    Ok(data)
}

/// Writes UTF-8 text in the input's encoding (and BOM).
struct Encoder<'a> {
    w: &'a mut dyn Write,
    enc: TextEncoding,
    started: bool,
}

impl<'a> Encoder<'a> {
    fn new(w: &'a mut dyn Write, enc: TextEncoding) -> Self {
        Encoder {
            w,
            enc,
            started: false,
        }
    }

    /// Writes whole characters (callers pass text cut at line ends).
    fn put(&mut self, utf8: &[u8]) -> io::Result<()> {
        if !self.started {
            self.started = true;
            match self.enc {
                TextEncoding::Utf8Bom => self.w.write_all(&[0xEF, 0xBB, 0xBF])?,
                TextEncoding::Utf16Le => self.w.write_all(&[0xFF, 0xFE])?,
                TextEncoding::Utf16Be => self.w.write_all(&[0xFE, 0xFF])?,
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(utf8);
        match self.enc {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => self.w.write_all(text.as_bytes()),
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let mut buf = Vec::with_capacity(text.len() * 2);
                for unit in text.encode_utf16() {
                    let b = if self.enc == TextEncoding::Utf16Le {
                        unit.to_le_bytes()
                    } else {
                        unit.to_be_bytes()
                    };
                    buf.extend_from_slice(&b);
                }
                self.w.write_all(&buf)
            }
            TextEncoding::Gb18030 => {
                let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
                self.w.write_all(&bytes)
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.started {
            self.put(b"")?;
        }
        self.w.flush()
    }
}

impl Write for Encoder<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.put(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Plain text and JSON lines, chunk by chunk (the scan's line reader, with
/// the same context lent across chunk borders).
fn lines_rewrite(
    r: &mut dyn Read,
    json_lines: bool,
    name: &str,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    out: &mut Encoder<'_>,
) -> Result<Outcome, String> {
    let mut o = Outcome {
        format: if json_lines { "json-lines" } else { "text" }.into(),
        ..Outcome::default()
    };
    let path: Arc<str> = Arc::from(name);
    let mut scratch = Scratch::default();
    let mut reps = Vec::new();
    let mut failed: Option<io::Error> = None;
    text::read_lines(r, &path, cfg.chunk_size, json_lines, &mut |mut chunk| {
        let raw_len = chunk.data.len();
        let (from, to) = (
            chunk.context_before as usize,
            raw_len - chunk.context_after as usize,
        );
        if chunk.pending == Pending::JsonLines {
            crate::source::prepare(&mut chunk);
        }
        detector.replacements(
            &chunk,
            &mut scratch,
            cfg.mode,
            cfg.min_confidence,
            &mut reps,
        );
        // Context lent by the neighbours is theirs to rewrite.
        reps.retain(|r| r.start >= raw_len || (r.start >= from && r.end <= to));
        o.count(&reps);
        let bytes = rewrite::Rewriter::new(&chunk, &reps).region(from, to);
        match out.put(&bytes) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .map_err(|e| e.to_string().to_lowercase())?;
    if let Some(e) = failed {
        return Err(io_err(e));
    }
    Ok(o)
}

/// A pretty JSON document (a `user/list` response), whole.
fn document_rewrite(
    data: Vec<u8>,
    name: &str,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    out: &mut Encoder<'_>,
) -> Result<Outcome, String> {
    let len = data.len();
    let mut chunk = Chunk {
        path: Arc::from(name),
        data,
        first_line: 1,
        first_column: 1,
        ..Chunk::default()
    };
    json::walk_or_text(
        &mut chunk,
        0,
        len,
        json::Origin::Exact { line: 1, column: 1 },
        None,
        "",
    );
    chunk.fields.sort_by_key(|f| f.start);
    let mut reps = Vec::new();
    detector.replacements(
        &chunk,
        &mut Scratch::default(),
        cfg.mode,
        cfg.min_confidence,
        &mut reps,
    );
    let mut o = Outcome {
        format: "json".into(),
        ..Outcome::default()
    };
    o.count(&reps);
    out.put(&rewrite::Rewriter::new(&chunk, &reps).region(0, len))
        .map_err(io_err)?;
    Ok(o)
}

/// CSV, batch by batch of records: cells become fields labelled by their
/// header (the header is the context of every cell under it), and are
/// written back with the same delimiter, quoting and line ends.
fn csv_rewrite(
    r: &mut dyn Read,
    head: &[u8],
    delimiter: u8,
    name: &str,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    out: &mut Encoder<'_>,
) -> Result<Outcome, String> {
    let crlf = memchr::memmem::find(head, b"\r\n").is_some();
    let quote_all = head.first() == Some(&b'"');
    let mut builder = ::csv::WriterBuilder::new();
    builder
        .delimiter(delimiter)
        .quote_style(if quote_all {
            ::csv::QuoteStyle::Always
        } else {
            ::csv::QuoteStyle::Necessary
        })
        .terminator(if crlf {
            ::csv::Terminator::CRLF
        } else {
            ::csv::Terminator::Any(b'\n')
        })
        .flexible(true);
    let mut o = Outcome {
        format: "csv".into(),
        ..Outcome::default()
    };
    let mut scratch = Scratch::default();
    let mut headers: Vec<String> = Vec::new();
    // The batch: records of cells, with their line.
    let mut batch: Vec<(u64, u64, Vec<String>)> = Vec::new();
    let mut failed: Option<String> = None;
    let path: Arc<str> = Arc::from(name);
    let mut flush = |batch: &mut Vec<(u64, u64, Vec<String>)>,
                     headers: &[String],
                     builder: &::csv::WriterBuilder,
                     o: &mut Outcome,
                     out: &mut Encoder<'_>|
     -> Result<(), String> {
        let mut chunk = Chunk {
            path: path.clone(),
            first_line: 1,
            first_column: 1,
            ..Chunk::default()
        };
        let mut cells: Vec<(usize, usize)> = Vec::new();
        for (record, line, values) in batch.iter() {
            for (i, v) in values.iter().enumerate() {
                let start = chunk.data.len();
                chunk.data.extend_from_slice(v.as_bytes());
                let end = chunk.data.len();
                chunk.data.push(b'\n');
                cells.push((start, end));
                if *record == 1 {
                    continue; // the header row is not data
                }
                let header = headers.get(i).map(String::as_str).unwrap_or("");
                let t = v.trim_start();
                if t.starts_with('{') || t.starts_with('[') {
                    let name = chunk.push_name(header);
                    let before = chunk.fields.len();
                    json::walk_or_text(
                        &mut chunk,
                        start,
                        end,
                        json::Origin::Fixed {
                            line: *line,
                            column: 1,
                        },
                        None,
                        "",
                    );
                    for f in &mut chunk.fields[before..] {
                        f.header = name.clone();
                        f.row = Some(*record);
                    }
                    continue;
                }
                let label = chunk.push_name(header);
                chunk.fields.push(Field {
                    start: start as u32,
                    end: end as u32,
                    line: *line,
                    column: 1,
                    exact: false,
                    label: label.clone(),
                    header: label,
                    row: Some(*record),
                    ..Field::default()
                });
            }
        }
        chunk.fields.sort_by_key(|f| f.start);
        let mut reps = Vec::new();
        detector.replacements(
            &chunk,
            &mut scratch,
            cfg.mode,
            cfg.min_confidence,
            &mut reps,
        );
        o.count(&reps);
        let mut k = 0;
        let rewriter = rewrite::Rewriter::new(&chunk, &reps);
        let mut writer = builder.from_writer(Vec::new());
        for (_, _, values) in batch.iter() {
            let mut rec = Vec::with_capacity(values.len());
            for _ in values {
                let (s, e) = cells[k];
                k += 1;
                rec.push(rewriter.region(s, e));
            }
            writer.write_record(&rec).map_err(|e| e.to_string())?;
        }
        let bytes = writer.into_inner().map_err(|e| e.to_string())?;
        out.put(&bytes).map_err(io_err)?;
        batch.clear();
        Ok(())
    };
    let mut current: Option<(u64, u64, Vec<String>)> = None;
    table::read_csv(r, Some(delimiter), &mut |cell| {
        if current.as_ref().is_some_and(|c| c.0 != cell.record)
            && let Some(done) = current.take()
        {
            if done.0 == 1 {
                headers = done.2.iter().map(|h| h.trim().to_string()).collect();
            }
            batch.push(done);
            if batch.len() >= CSV_BATCH
                && let Err(e) = flush(&mut batch, &headers, &builder, &mut o, out)
            {
                failed = Some(e);
                return false;
            }
        }
        current
            .get_or_insert_with(|| (cell.record, cell.line, Vec::new()))
            .2
            .push(cell.value.to_string());
        true
    })
    .map_err(|e| e.to_string().to_lowercase())?;
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(done) = current.take() {
        if done.0 == 1 {
            headers = done.2.iter().map(|h| h.trim().to_string()).collect();
        }
        batch.push(done);
    }
    flush(&mut batch, &headers, &builder, &mut o, out)?;
    Ok(o)
}

/// A workbook: every sheet, every cell, same positions; changed cells are
/// written as text, the others with their number or text value.
fn workbook_rewrite(
    data: Vec<u8>,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    w: &mut dyn Write,
) -> Result<Outcome, String> {
    struct Cell {
        row: u32,
        col: u32,
        text: String,
        header: Option<String>,
    }
    let mut sheets: Vec<(String, Vec<Cell>)> = Vec::new();
    let mut errors = Vec::new();
    sheet::read_workbook(
        Cursor::new(data),
        &mut |c| {
            if sheets.last().is_none_or(|s| s.0 != c.sheet) {
                sheets.push((c.sheet.to_string(), Vec::new()));
            }
            if let Some(s) = sheets.last_mut() {
                s.1.push(Cell {
                    row: c.row,
                    col: c.column,
                    text: c.text.to_string(),
                    header: c.header.map(str::to_string),
                });
            }
            true
        },
        &mut |s, e| errors.push(format!("sheet {s}: {e}")),
    )
    .map_err(|e| e.to_string().to_lowercase())?;
    if !errors.is_empty() {
        return Err(format!(
            "{}; the workbook is not written",
            errors.join("; ")
        ));
    }
    let mut o = Outcome {
        format: "xlsx".into(),
        ..Outcome::default()
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut scratch = Scratch::default();
    for (name, cells) in &sheets {
        let mut chunk = Chunk {
            path: Arc::from(name.as_str()),
            first_line: 1,
            first_column: 1,
            ..Chunk::default()
        };
        let mut spans = Vec::with_capacity(cells.len());
        for c in cells {
            let start = chunk.data.len();
            chunk.data.extend_from_slice(c.text.as_bytes());
            let end = chunk.data.len();
            chunk.data.push(b'\n');
            spans.push((start, end));
            let label = chunk.push_name(c.header.as_deref().unwrap_or(""));
            chunk.fields.push(Field {
                start: start as u32,
                end: end as u32,
                line: u64::from(c.row),
                column: u64::from(c.col),
                label: label.clone(),
                header: label,
                row: Some(u64::from(c.row)),
                ..Field::default()
            });
        }
        let mut reps = Vec::new();
        detector.replacements(
            &chunk,
            &mut scratch,
            cfg.mode,
            cfg.min_confidence,
            &mut reps,
        );
        o.count(&reps);
        let rewriter = rewrite::Rewriter::new(&chunk, &reps);
        let ws = book.add_worksheet();
        ws.set_name(name).map_err(|e| e.to_string())?;
        for (c, &(s, e)) in cells.iter().zip(&spans) {
            let new = rewriter.region(s, e);
            let (row, col) = (c.row.saturating_sub(1), (c.col.saturating_sub(1)) as u16);
            let changed = new[..] != chunk.data[s..e];
            let text = String::from_utf8_lossy(&new);
            let number = (!changed)
                .then(|| text.parse::<f64>().ok())
                .flatten()
                .filter(|n| n.is_finite() && !text.starts_with('0') || text == "0");
            let result = match number {
                Some(n) if text.len() < 16 => ws.write_number(row, col, n).map(|_| ()),
                _ => ws.write_string(row, col, text.as_ref()).map(|_| ()),
            };
            result.map_err(|e| e.to_string())?;
        }
    }
    if sheets.is_empty() {
        book.add_worksheet();
    }
    let bytes = book.save_to_buffer().map_err(|e| e.to_string())?;
    w.write_all(&bytes).map_err(io_err)?;
    Ok(o)
}

fn zip_rewrite(
    r: &mut dyn Read,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    depth: u32,
    w: &mut dyn Write,
) -> Result<Outcome, String> {
    let data = read_bounded(r, cfg.limits.max_total_bytes, "zip archive")?;
    let mut archive = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| format!("zip: {e}"))?;
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut o = Outcome {
        format: "zip".into(),
        ..Outcome::default()
    };
    let mut budget = cfg.limits.max_total_bytes;
    let entries = archive.len().min(cfg.limits.max_entries as usize);
    if archive.len() > entries {
        return Err(format!(
            "zip with more than {} entries; not written",
            cfg.limits.max_entries
        ));
    }
    for i in 0..entries {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("zip entry {i}: {e}"))?
            .to_string();
        if entry.is_dir() {
            writer
                .add_directory(name, opts)
                .map_err(|e| e.to_string())?;
            continue;
        }
        let (inner, keep) =
            entry_rewrite(&mut entry, &name, "zip", &mut budget, detector, cfg, depth)?;
        o.absorb(&inner);
        writer.start_file(name, opts).map_err(|e| e.to_string())?;
        writer.write_all(&keep).map_err(io_err)?;
    }
    let done = writer.finish().map_err(|e| e.to_string())?;
    w.write_all(&done.into_inner()).map_err(io_err)?;
    Ok(o)
}

/// One archive entry (`name` inside a `kind` archive): read within the
/// decompression budget and redacted in its own format. Returns what it
/// became and the bytes to store: the entry as it was when nothing was
/// replaced.
fn entry_rewrite(
    entry: &mut dyn Read,
    name: &str,
    kind: &str,
    budget: &mut u64,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    depth: u32,
) -> Result<(Outcome, Vec<u8>), String> {
    let mut bytes = Vec::new();
    entry
        .take(*budget + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{kind} entry {name}: {}", io_err(e)))?;
    if bytes.len() as u64 > *budget {
        return Err(format!(
            "{kind} holds more than --max-decompressed-bytes; not written"
        ));
    }
    *budget -= bytes.len() as u64;
    let base = name.rsplit('/').next().unwrap_or(name);
    let mut new = Vec::new();
    let inner = process(
        &mut Cursor::new(&bytes),
        base,
        detector,
        cfg,
        depth + 1,
        &mut new,
    )
    .map_err(|e| format!("{kind} entry {name}: {e}"))?;
    let keep = if inner.total() == 0 { bytes } else { new };
    Ok((inner, keep))
}

fn gzip_rewrite(
    r: &mut dyn Read,
    name: &str,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    depth: u32,
    w: &mut dyn Write,
) -> Result<Outcome, String> {
    let mut dec = flate2::read::MultiGzDecoder::new(r);
    let mut head = Vec::new();
    (&mut dec)
        .take(512)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    let is_tar = head.len() >= 262 && &head[257..262] == b"ustar";
    let mut inner_in = Cursor::new(head).chain(dec.take(cfg.limits.max_total_bytes));
    let mut enc = flate2::write::GzEncoder::new(w, flate2::Compression::default());
    let mut o = if is_tar {
        let mut o = tar_rewrite(&mut inner_in, detector, cfg, depth, &mut enc)?;
        o.format = "tar.gz".into();
        o
    } else {
        let inner = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".GZ"))
            .unwrap_or(name);
        let mut o = process(&mut inner_in, inner, detector, cfg, depth + 1, &mut enc)?;
        o.format = format!("gzip({})", o.format);
        o
    };
    enc.finish().map_err(io_err)?;
    o.encoding = None;
    Ok(o)
}

fn tar_rewrite(
    r: &mut dyn Read,
    detector: &Detector<'_>,
    cfg: &RedactConfig,
    depth: u32,
    w: &mut dyn Write,
) -> Result<Outcome, String> {
    let mut archive = tar::Archive::new(r);
    let mut builder = tar::Builder::new(w);
    let mut o = Outcome::default();
    let mut budget = cfg.limits.max_total_bytes;
    for entry in archive
        .entries()
        .map_err(|e| format!("tar: {}", io_err(e)))?
    {
        let mut entry = entry.map_err(|e| format!("tar: {}", io_err(e)))?;
        let mut header = entry.header().clone();
        let path = entry.path().map_err(io_err)?.to_string_lossy().into_owned();
        if !entry.header().entry_type().is_file() {
            builder
                .append_data(&mut header, &path, io::empty())
                .map_err(|e| format!("tar: {}", io_err(e)))?;
            continue;
        }
        let (inner, keep) =
            entry_rewrite(&mut entry, &path, "tar", &mut budget, detector, cfg, depth)?;
        o.absorb(&inner);
        header.set_size(keep.len() as u64);
        builder
            .append_data(&mut header, &path, &keep[..])
            .map_err(|e| format!("tar: {}", io_err(e)))?;
    }
    builder
        .finish()
        .map_err(|e| format!("tar: {}", io_err(e)))?;
    Ok(o)
}
