//! Table cells to chunks: CSV rows and spreadsheet cells become one
//! buffer per chunk (a line break between cells, so no run joins two
//! cells) plus a field per cell carrying its row, column and header — the
//! header being the cell's context. A cell holding JSON (an archive dump's
//! `raw_json` column) is walked, its values keeping the cell's place.

use super::{Event, EventSink, SourceError, json};
use crate::chunk::{Chunk, Field, Name, Record};
use std::sync::Arc;

/// Spreadsheet column name of a 1-based column index (`1` → `A`, `27` →
/// `AA`).
pub fn column_name(mut n: u32) -> String {
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(b'A' + r);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Whether a character starting with byte `c` can be white space to
/// `char::is_whitespace` (so `str::trim` could remove it): an ASCII space
/// or control, or a character led by `C2` (U+0085, U+00A0), `E1`
/// (U+1680), `E2` (U+2000–U+205F) or `E3` (U+3000). Chinese characters
/// (led by `E4`–`E9`) never are.
fn can_be_space(&c: &u8) -> bool {
    c <= b' ' || matches!(c, 0xC2 | 0xE1..=0xE3)
}

/// Whether `c` continues a UTF-8 character rather than starting one.
fn is_continuation(c: u8) -> bool {
    (c as i8) < -0x40
}

/// Builds chunks out of table cells: each cell's text is appended to the
/// chunk's data (a line break between cells, so no run joins two cells)
/// and described by a field carrying row, column and header. A cell
/// holding JSON (an archive dump's `raw_json` column) is walked.
/// Most cells in one chunk.
const MAX_CELLS: usize = 16 * 1024;

pub(super) struct TableBatch {
    chunk: Chunk,
    chunk_size: usize,
    pub(super) sheet: Option<String>,
    record: Option<u32>,
    /// Per column index: its header and column-name ranges in this
    /// chunk's names (both cleared when the chunk is sent).
    columns: Vec<Option<(Name, Name)>>,
    /// Which sheet the cached columns belong to.
    columns_sheet: Option<String>,
    /// Why sending a chunk failed (the scan is stopping).
    failed: Option<SourceError>,
    /// A cell of this chunk held JSON, whose walk may push its fields out
    /// of order. Without one the fields are in order already: a plain
    /// cell's field starts at the end of the data, past every field before
    /// it, so [`TableBatch::flush`] need not sort them (the sort's pass
    /// over sorted fields was half a percent of a directory CSV's scan).
    walked: bool,
}

impl TableBatch {
    pub(super) fn new(path: &Arc<str>, chunk_size: usize) -> Self {
        TableBatch {
            chunk: Chunk {
                path: path.clone(),
                first_line: 1,
                first_column: 1,
                ..Chunk::default()
            },
            chunk_size,
            sheet: None,
            record: None,
            columns: Vec::new(),
            columns_sheet: None,
            failed: None,
            walked: false,
        }
    }

    pub(super) fn sheet_record(&mut self, sheet: &str) {
        self.sheet = Some(sheet.to_string());
        let sheet = self.chunk.push_name(sheet);
        self.chunk.records.push(Record {
            sheet,
            ..Record::default()
        });
        self.record = Some((self.chunk.records.len() - 1) as u32);
    }

    /// Header and column-name ranges of column `index`, pushed once per
    /// chunk and sheet.
    fn column(
        &mut self,
        index: usize,
        name: impl FnOnce() -> String,
        header: Option<&str>,
    ) -> (Name, Name) {
        if self.columns_sheet != self.sheet {
            self.columns.clear();
            self.columns_sheet = self.sheet.clone();
        }
        let header = header.filter(|h| !h.is_empty());
        if let Some(Some(cached)) = self.columns.get(index) {
            // The header row itself has no header: a cached entry without
            // one is refreshed when the first data row arrives.
            if cached.0.is_empty() == header.is_none() {
                return cached.clone();
            }
        }
        let header = match header {
            Some(h) => self.chunk.push_name(h),
            None => 0..0,
        };
        let column = self.chunk.push_name(&name());
        if self.columns.len() <= index {
            self.columns.resize(index + 1, None);
        }
        self.columns[index] = Some((header.clone(), column.clone()));
        (header, column)
    }

    /// Adds one cell. `index` is the column's index (any base, stable
    /// within a sheet); `name` gives its spreadsheet name (`E`).
    pub(super) fn cell(
        &mut self,
        value: &str,
        line: u64,
        row: u64,
        (index, name): (usize, impl FnOnce() -> String),
        header: Option<&str>,
    ) {
        // Most cells start and end with a character no trim removes, told
        // by its first byte: `str::trim` decodes both ends as characters
        // (about 1% of a directory export's scan, on the reader thread).
        let b = value.as_bytes();
        let last = b.iter().rev().take(4).find(|&&c| !is_continuation(c));
        let value = match b.first().is_some_and(can_be_space) || last.is_none_or(can_be_space) {
            true => value.trim(),
            false => value,
        };
        // No identifier is shorter than an email like `a@b.cn`.
        if value.len() < 6 && value.bytes().all(|b| b < 0x80 && b != b'@') {
            return;
        }
        // The header row itself is scanned too, without a header.
        let (header, cell_column) = self.column(index, name, header);
        let data = &mut self.chunk.data;
        if !data.is_empty() {
            data.push(b'\n');
        }
        let start = data.len();
        data.extend_from_slice(value.as_bytes());
        let end = data.len();
        let fields_before = self.chunk.fields.len();
        if matches!(value.as_bytes()[0], b'{' | b'[') {
            self.walked = true;
            let origin = json::Origin::Fixed { line, column: 1 };
            json::walk_or_text(&mut self.chunk, start, end, origin, self.record, "");
            // The walker labels values by their keys; the cell's place in
            // the table is kept too.
            for f in &mut self.chunk.fields[fields_before..] {
                f.row = Some(row);
                f.cell_column = cell_column.clone();
                f.header = header.clone();
                if f.label.is_empty() {
                    f.label = header.clone();
                }
            }
            // A JSON string decoded into the tail must not be followed by
            // the next cell without a break.
            self.chunk.data.push(b'\n');
        } else {
            self.chunk.fields.push(Field {
                start: start as u32,
                end: end as u32,
                line,
                column: 1,
                exact: false,
                record: self.record,
                label: header.clone(),
                header,
                row: Some(row),
                cell_column,
                ..Field::default()
            });
        }
    }

    /// Sends the chunk once it is full; returns `false` (and keeps the
    /// error for [`TableBatch::finish`]) when the chunk could not be sent.
    pub(super) fn flush_when_full(&mut self, sink: &mut EventSink<'_>) -> bool {
        // Cells are small and findings dense in directory exports: cap the
        // cells per chunk too, so that a chunk's findings stay few.
        if self.chunk.data.len() < self.chunk_size && self.chunk.fields.len() < MAX_CELLS {
            return true;
        }
        match self.flush(sink) {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    /// Sends what is left, or returns the error that stopped the reading.
    pub(super) fn finish(&mut self, sink: &mut EventSink<'_>) -> Result<(), SourceError> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.flush(sink),
        }
    }

    fn flush(&mut self, sink: &mut EventSink<'_>) -> Result<(), SourceError> {
        if self.chunk.fields.is_empty() {
            return Ok(());
        }
        // The next chunk's buffers start as large as this one's grew (plus
        // an eighth), so that they do not grow again cell by cell: their
        // reallocations copied each chunk's cells and fields about once
        // more, 4% of a directory CSV's samples and the reader thread's
        // largest cost (5 MB CSV, 61 paired runs: -2.6% wall and -4% CPU
        // at -j2, where the reader takes its turns on the workers' cores;
        // at -j1 it has a core of its own).
        let room = |n: usize| n + n / 8;
        let mut next = Chunk {
            path: self.chunk.path.clone(),
            first_line: 1,
            first_column: 1,
            data: crate::chunk::buffer(room(self.chunk.data.len())),
            fields: crate::chunk::fields(room(self.chunk.fields.len())),
            ..Chunk::default()
        };
        // The current sheet's record and the header names carry over.
        if let Some(sheet) = &self.sheet {
            let sheet = next.push_name(sheet);
            next.records.push(Record {
                sheet,
                ..Record::default()
            });
            self.record = Some(0);
        }
        let mut chunk = std::mem::replace(&mut self.chunk, next);
        self.columns.clear();
        if std::mem::take(&mut self.walked) {
            chunk.fields.sort_by_key(|f| f.start);
        }
        debug_assert!(chunk.fields.is_sorted_by_key(|f| f.start));
        if sink(Event::Chunk(chunk)) {
            Ok(())
        } else {
            Err(SourceError::Stopped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunks' fields are in order of their starts whether or not a
    /// cell held JSON (whose walk decodes an escaped string into the
    /// data's tail, after the fields of its later values), and a chunk
    /// after one that held JSON is not sorted for nothing.
    #[test]
    fn fields_are_sorted_with_and_without_json_cells() {
        let cells: [&str; 5] = [
            "13800001234",
            r#"{"b":{"c":"x\u4e2d13800001234"},"a":"13800001234"}"#,
            "user@example.com",
            r#"["\u4e2d13800001234", "13800001234"]"#,
            "北京市朝阳区建设路352号",
        ];
        for json_from in [0, 1, 5] {
            let path: Arc<str> = Arc::from("t.csv");
            let mut batch = TableBatch::new(&path, 1 << 20);
            let mut chunks = Vec::new();
            let mut sink = |e: Event| {
                if let Event::Chunk(c) = e {
                    chunks.push(c);
                }
                true
            };
            for row in 0..40u64 {
                for (i, &v) in cells.iter().enumerate() {
                    let v = if i % 2 == 1 && row < json_from * 8 {
                        v
                    } else {
                        cells[0]
                    };
                    batch.cell(
                        v,
                        row + 1,
                        row + 1,
                        (i, || column_name(i as u32 + 1)),
                        Some("h"),
                    );
                }
                if row % 10 == 9 {
                    batch.flush(&mut sink).unwrap();
                }
            }
            batch.finish(&mut sink).unwrap();
            assert_eq!(chunks.len(), 4);
            for (k, c) in chunks.iter().enumerate() {
                let starts: Vec<u32> = c.fields.iter().map(|f| f.start).collect();
                let mut sorted = starts.clone();
                sorted.sort();
                assert_eq!(starts, sorted, "json_from {json_from}, chunk {k}");
            }
            assert!(!batch.walked);
        }
    }

    /// A cell's text in the chunk is `str::trim`'s of the cell, whatever
    /// its ends: ASCII spaces and controls, DEL, Unicode spaces of each
    /// lead byte that has them, and other characters of every length.
    #[test]
    fn cells_are_trimmed_as_str_trim_trims() {
        let ends = [
            "",
            " ",
            "\t",
            "\r\n",
            "\x0b",
            "\x1c",
            "\x7f",
            "\u{3000}",
            "\u{a0}",
            "\u{85}",
            "\u{1680}",
            "\u{2028}",
            "\u{205f}",
            "\u{2000}",
            "中",
            "张",
            "é",
            "\u{10348}",
            "@",
            "x",
            "7",
        ];
        let path: Arc<str> = Arc::from("t.csv");
        for a in ends {
            for b in ends {
                let cell = format!("{a}{b}13800001234{b}{a}");
                let mut batch = TableBatch::new(&path, 1 << 20);
                batch.cell(&cell, 1, 1, (0, || column_name(1)), None);
                let want = cell.trim().as_bytes();
                let got = batch
                    .chunk
                    .fields
                    .first()
                    .map(|f| &batch.chunk.data[f.start as usize..f.end as usize]);
                assert_eq!(got, Some(want), "{cell:?}");
            }
        }
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(1), "A");
        assert_eq!(column_name(26), "Z");
        assert_eq!(column_name(27), "AA");
        assert_eq!(column_name(703), "AAA");
    }
}
