//! Spreadsheet workbook reader (XLSX, XLSM, XLSB, XLS, ODS) yielding every
//! cell as text with its provenance.
//!
//! Place: sources — turns a workbook into cells with provenance (sheet,
//! row, column, header); it knows nothing about rules. Key decision: every
//! value is rendered as the text a person would have typed, and numbers are
//! never shown in exponent form: an integral number below 1e15 becomes its
//! plain digits (a mobile number stored as a number is still
//! "13800001234"), while a number of 1e15 or more is flagged
//! `truncated_number`, because Excel keeps only 15 significant digits and an
//! 18-digit ID typed as a number has already lost its last digits; its text
//! is the digits Excel kept, zero-padded, and must not be validated. The
//! format is detected from the file's signature, the file is read through
//! the caller's seekable reader (no whole-file read here), and a sheet that
//! fails to parse is reported and skipped rather than ending the scan.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use calamine::{Data, ExcelDateTime, Ods, Range, Reader, SheetType, Sheets, Xls, Xlsb, Xlsx};

/// Largest decimal exponent expanded into digits (`f64` cannot go beyond).
const MAX_EXPANDED_EXPONENT: usize = 308;

/// One non-empty cell of a workbook, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCell<'a> {
    /// Name of the sheet, as shown on its tab.
    pub sheet: &'a str,
    /// 1-based spreadsheet row.
    pub row: u32,
    /// 1-based spreadsheet column.
    pub column: u32,
    /// Spreadsheet column letters: "A", "B", …, "Z", "AA", ….
    pub column_name: String,
    /// Text (trimmed) of this column's cell in the sheet's header row, i.e.
    /// its first row holding any non-empty cell; `Some` only for cells below
    /// that row whose column has a non-blank header cell.
    pub header: Option<&'a str>,
    /// The cell value as text: strings as they are; integers and integral
    /// numbers below 1e15 in magnitude as plain digits (never exponent
    /// form); other numbers in Rust's shortest round-trip form; booleans
    /// "TRUE"/"FALSE"; dates "YYYY-MM-DD", date-times
    /// "YYYY-MM-DDTHH:MM:SS[.mmm]", times "HH:MM:SS[.mmm]", durations
    /// ISO 8601 ("PT36H0M0S"). Error cells (`#N/A` …) and empty cells are
    /// not reported.
    pub text: Cow<'a, str>,
    /// The cell holds a number of 1e15 or more in magnitude, or a text in
    /// Excel's exponent display form (`^\d(\.\d+)?E\+\d+$`, any case, e.g.
    /// "1.10101190001E+17"). Excel keeps only 15 significant digits, so a
    /// long ID stored this way has lost digits: `text` is then the digits
    /// kept, zero-padded ("110101190001000000"), and must not be validated
    /// as an identifier.
    pub truncated_number: bool,
}

/// What [`read_workbook`] found out about a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkbookStats {
    /// Number of sheets read without error (chart sheets and VBA modules
    /// are not counted, nor read).
    pub sheets: u32,
    /// Number of cells passed to the callback.
    pub cells: u64,
}

/// Error of [`read_workbook`]: the workbook as a whole could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The reader failed while the file signature was being read.
    #[error("cannot read workbook: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a workbook of a known format, or it is damaged,
    /// encrypted or password protected.
    #[error("cannot open workbook: {0}")]
    Open(String),
}

/// Reads every sheet of a workbook, in workbook order (hidden sheets
/// included), row by row, left to right, and calls `f` for every non-empty,
/// non-error cell.
///
/// The format is recognised from the file's signature: an OLE2 compound
/// file is read as XLS; a ZIP file is tried as XLSX/XLSM, then XLSB, then
/// ODS. The reader only has to be `Read + Seek` (it is rewound to its start
/// first, and read from in place: a `File` or `BufReader<File>` works, no
/// `Clone` and no whole-file buffer are needed). Note that calamine loads one
/// whole sheet into memory at a time (ODS: the whole workbook on opening).
///
/// A sheet that fails to parse is reported through
/// `on_sheet_error(sheet_name, reason)` and the other sheets are still
/// read. Chart sheets and VBA modules are skipped. If `f` returns `false`,
/// reading stops and the stats so far are returned.
///
/// Errors: [`SheetError`] when the workbook cannot be opened at all (not a
/// workbook, truncated or damaged container, encrypted). Never panics: a
/// panic inside the parsing library is caught and turned into an error
/// (this relies on `panic = "unwind"`, the default).
pub fn read_workbook<R: Read + Seek>(
    r: R,
    f: &mut dyn FnMut(SheetCell<'_>) -> bool,
    on_sheet_error: &mut dyn FnMut(&str, String),
) -> Result<WorkbookStats, SheetError> {
    let mut workbook = open(r)?;
    let mut stats = WorkbookStats::default();

    let sheets: Vec<(String, SheetType)> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.typ))
        .collect();

    for (name, typ) in sheets {
        if matches!(typ, SheetType::ChartSheet | SheetType::Vba) {
            continue;
        }
        let range = match catch_unwind(AssertUnwindSafe(|| workbook.worksheet_range(&name))) {
            Ok(Ok(range)) => range,
            Ok(Err(e)) => {
                on_sheet_error(&name, e.to_string());
                continue;
            }
            Err(_) => {
                on_sheet_error(&name, "the spreadsheet parser crashed on this sheet".into());
                continue;
            }
        };
        stats.sheets = stats.sheets.saturating_add(1);
        if !emit_sheet(&name, &range, &mut stats, f) {
            break;
        }
    }
    Ok(stats)
}

/// Recognises the format and opens the workbook on `r`.
fn open<R: Read + Seek>(mut r: R) -> Result<Sheets<SharedReader<R>>, SheetError> {
    const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    r.seek(SeekFrom::Start(0))?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut r, &mut magic)?;
    let magic = magic.get(..n).unwrap_or(&[]).to_vec();
    let r = SharedReader::new(r);

    if magic == OLE2 {
        // XLS, or an encrypted OOXML file (also an OLE2 container).
        return guarded(|| Xls::new(r).map(Sheets::Xls).map_err(|e| e.to_string()))
            .map_err(|e| SheetError::Open(format!("xls: {e}")));
    }
    if !magic.starts_with(b"PK") {
        return Err(SheetError::Open(
            "not a spreadsheet (no ZIP or OLE2 signature)".into(),
        ));
    }
    let mut reasons = Vec::new();
    match guarded(|| Xlsx::new(r.clone()).map_err(|e| e.to_string())) {
        Ok(wb) => return Ok(Sheets::Xlsx(wb)),
        Err(e) => reasons.push(format!("xlsx: {e}")),
    }
    match guarded(|| Xlsb::new(r.clone()).map_err(|e| e.to_string())) {
        Ok(wb) => return Ok(Sheets::Xlsb(wb)),
        Err(e) => reasons.push(format!("xlsb: {e}")),
    }
    match guarded(|| Ods::new(r).map_err(|e| e.to_string())) {
        Ok(wb) => return Ok(Sheets::Ods(wb)),
        Err(e) => reasons.push(format!("ods: {e}")),
    }
    Err(SheetError::Open(reasons.join("; ")))
}

/// The caller's reader, shared so that it can be handed to several format
/// parsers in turn (calamine's readers take their source by value). Each
/// clone has its own position, like clones of a `Cursor`; the underlying
/// reader is only re-seeked when another clone moved it.
struct SharedReader<R> {
    shared: Rc<RefCell<Shared<R>>>,
    pos: u64,
}

struct Shared<R> {
    inner: R,
    /// Position of `inner`, when known.
    pos: Option<u64>,
}

impl<R> SharedReader<R> {
    fn new(inner: R) -> Self {
        SharedReader {
            shared: Rc::new(RefCell::new(Shared { inner, pos: None })),
            pos: 0,
        }
    }
}

impl<R> Clone for SharedReader<R> {
    fn clone(&self) -> Self {
        SharedReader {
            shared: Rc::clone(&self.shared),
            pos: self.pos,
        }
    }
}

fn busy() -> std::io::Error {
    std::io::Error::other("shared workbook reader used re-entrantly")
}

impl<R: Read + Seek> Read for SharedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut s = self.shared.try_borrow_mut().map_err(|_| busy())?;
        if s.pos != Some(self.pos) {
            s.pos = None;
            s.inner.seek(SeekFrom::Start(self.pos))?;
        }
        match s.inner.read(buf) {
            Ok(n) => {
                self.pos = self.pos.saturating_add(n as u64);
                s.pos = Some(self.pos);
                Ok(n)
            }
            Err(e) => {
                s.pos = None;
                Err(e)
            }
        }
    }
}

impl<R: Read + Seek> Seek for SharedReader<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek out of range");
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(invalid)?,
            SeekFrom::End(d) => {
                let mut s = self.shared.try_borrow_mut().map_err(|_| busy())?;
                s.pos = None;
                let p = s.inner.seek(SeekFrom::End(d))?;
                s.pos = Some(p);
                p
            }
        };
        Ok(self.pos)
    }
}

/// Runs `op`, turning a panic into an error message.
fn guarded<T>(op: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(op))
        .unwrap_or_else(|_| Err("the spreadsheet parser crashed on this file".into()))
}

/// Reads into `buf` until it is full or the reader is at its end.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Passes the cells of one sheet to `f`; false when `f` asked to stop.
fn emit_sheet(
    name: &str,
    range: &Range<Data>,
    stats: &mut WorkbookStats,
    f: &mut dyn FnMut(SheetCell<'_>) -> bool,
) -> bool {
    let Some((start_row, start_col)) = range.start() else {
        return true;
    };

    // The header row: the first row holding any reportable cell.
    let mut header_row: Option<usize> = None;
    let mut headers: Vec<Option<String>> = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let texts: Vec<Option<String>> = cells
            .iter()
            .map(|d| {
                cell_text(d)
                    .map(|(t, _)| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
            })
            .collect();
        if texts.iter().any(Option::is_some) {
            header_row = Some(i);
            headers = texts;
            break;
        }
    }

    for (i, cells) in range.rows().enumerate() {
        let below_header = header_row.is_some_and(|h| i > h);
        let row = row_number(start_row, i);
        for (j, data) in cells.iter().enumerate() {
            let Some((text, truncated_number)) = cell_text(data) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            let column = row_number(start_col, j);
            let header = if below_header {
                headers.get(j).and_then(|h| h.as_deref())
            } else {
                None
            };
            stats.cells = stats.cells.saturating_add(1);
            let cell = SheetCell {
                sheet: name,
                row,
                column,
                column_name: column_name(column),
                header,
                text,
                truncated_number,
            };
            if !f(cell) {
                return false;
            }
        }
    }
    true
}

/// 1-based number of the `offset`-th row (or column) after 0-based `start`.
fn row_number(start: u32, offset: usize) -> u32 {
    u32::try_from(offset)
        .ok()
        .and_then(|o| start.checked_add(o))
        .and_then(|n| n.checked_add(1))
        .unwrap_or(u32::MAX)
}

/// Spreadsheet letters of a 1-based column number: 1 → "A", 27 → "AA".
fn column_name(column: u32) -> String {
    let mut n = column;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        // rem < 26, so the cast cannot truncate.
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Text of a cell and whether it is a truncated number; `None` for empty
/// and error cells.
fn cell_text(data: &Data) -> Option<(Cow<'_, str>, bool)> {
    match data {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => match expand_exponent_text(s) {
            Some(expanded) => Some((Cow::Owned(expanded), true)),
            None if looks_like_exponent_text(s) => Some((Cow::Borrowed(s.as_str()), true)),
            None => Some((Cow::Borrowed(s.as_str()), false)),
        },
        Data::Int(v) => Some((
            Cow::Owned(v.to_string()),
            v.unsigned_abs() >= 1_000_000_000_000_000,
        )),
        Data::Float(v) => {
            let (text, truncated) = float_text(*v);
            Some((Cow::Owned(text), truncated))
        }
        Data::Bool(b) => Some((Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }), false)),
        Data::DateTime(dt) => Some((Cow::Owned(datetime_text(dt)), false)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some((Cow::Borrowed(s.as_str()), false)),
    }
}

/// Text of a number cell and whether it is ≥ 1e15 (truncated by Excel).
fn float_text(v: f64) -> (String, bool) {
    if !v.is_finite() {
        return (v.to_string(), false);
    }
    if v.abs() >= 1e15 {
        return (fifteen_digits(v), true);
    }
    if v.fract() == 0.0 {
        // |v| < 1e15, so it fits in an i64 exactly.
        return (format!("{}", v as i64), false);
    }
    (format!("{v}"), false)
}

/// The integer Excel displays for a finite `v` with |v| ≥ 1e15: its first
/// 15 significant digits, zero-padded.
fn fifteen_digits(v: f64) -> String {
    let sci = format!("{:.14e}", v.abs());
    let expanded = sci
        .split_once('e')
        .and_then(|(mantissa, exp)| expand(mantissa, exp.parse().ok()?));
    match expanded {
        Some(digits) if v < 0.0 => format!("-{digits}"),
        Some(digits) => digits,
        None => sci,
    }
}

/// Whether `s` (trimmed) is Excel's exponent display of a number:
/// `^\d(\.\d+)?E\+\d+$`, case-insensitive.
fn looks_like_exponent_text(s: &str) -> bool {
    split_exponent_text(s).is_some()
}

fn split_exponent_text(s: &str) -> Option<(&str, &str)> {
    let s = s.trim();
    let pos = s.find(['E', 'e'])?;
    let mantissa = s.get(..pos)?;
    let exp = s.get(pos + 1..)?.strip_prefix('+')?;
    let mut m = mantissa.bytes();
    let first_is_digit = m.next().is_some_and(|b| b.is_ascii_digit());
    let mantissa_ok = first_is_digit
        && match mantissa.get(1..) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix('.')
                .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())),
            None => false,
        };
    let exp_ok = !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit());
    (mantissa_ok && exp_ok).then_some((mantissa, exp))
}

/// Expands a text such as "1.10101190001E+17" into "110101190001000000";
/// `None` if it is not in that form or its exponent is beyond `f64`.
fn expand_exponent_text(s: &str) -> Option<String> {
    let (mantissa, exp) = split_exponent_text(s)?;
    let exp: usize = exp.parse().ok()?;
    expand(mantissa, exp)
}

/// Expands `d[.ddd]` × 10^`exp` into plain decimal digits.
fn expand(mantissa: &str, exp: usize) -> Option<String> {
    if exp > MAX_EXPANDED_EXPONENT {
        return None;
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let int_len = exp + 1;
    let mut out = if digits.len() <= int_len {
        let mut out = digits;
        out.extend(std::iter::repeat_n('0', int_len - out.len()));
        out
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{int}.{frac}")
    };
    // "0E+3" → "0", "0.5E+1" → "5": drop leading zeros of the integer part.
    let int_end = out.find('.').unwrap_or(out.len());
    let zeros = out
        .bytes()
        .take(int_end.saturating_sub(1))
        .take_while(|&b| b == b'0')
        .count();
    out.drain(..zeros);
    Some(out)
}

/// ISO 8601 text of an Excel date, time, date-time or duration.
fn datetime_text(dt: &ExcelDateTime) -> String {
    let value = dt.as_f64();
    if dt.is_duration() {
        let total_ms = (value * 86_400_000.0).round();
        if !total_ms.is_finite() || total_ms.abs() > 1e18 {
            return format!("{value}");
        }
        // Bounded above, so the cast cannot overflow.
        let total_ms = total_ms as i64;
        let sign = if total_ms < 0 { "-" } else { "" };
        let ms = total_ms.unsigned_abs();
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        return if milli == 0 {
            format!("{sign}PT{h}H{m}M{s}S")
        } else {
            format!("{sign}PT{h}H{m}M{s}.{milli:03}S")
        };
    }
    if !value.is_finite() {
        return format!("{value}");
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let time = if ms == 0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
    };
    if (0.0..1.0).contains(&value) {
        time
    } else if value.fract() == 0.0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Owned {
        sheet: String,
        row: u32,
        column: u32,
        column_name: String,
        header: Option<String>,
        text: String,
        truncated_number: bool,
    }

    fn collect<R: Read + Seek>(r: R) -> (WorkbookStats, Vec<Owned>, Vec<(String, String)>) {
        let mut cells = Vec::new();
        let mut errors = Vec::new();
        let stats = read_workbook(
            r,
            &mut |c| {
                cells.push(Owned {
                    sheet: c.sheet.to_owned(),
                    row: c.row,
                    column: c.column,
                    column_name: c.column_name.clone(),
                    header: c.header.map(str::to_owned),
                    text: c.text.into_owned(),
                    truncated_number: c.truncated_number,
                });
                true
            },
            &mut |name, reason| errors.push((name.to_owned(), reason)),
        )
        .expect("workbook opens");
        (stats, cells, errors)
    }

    fn find<'a>(cells: &'a [Owned], text: &str) -> &'a Owned {
        cells
            .iter()
            .find(|c| c.text == text)
            .unwrap_or_else(|| panic!("no cell {text:?} in {cells:#?}"))
    }

    /// A two-sheet directory export, as a WeCom admin would save it.
    fn contacts_xlsx() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime as XDate, Format, Formula, Workbook};
        let mut wb = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let ws = wb.add_worksheet();
        ws.set_name("通讯录").unwrap();
        for (c, h) in ["姓名", "手机", "身份证号", "邮箱", "入职日期"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        // Mobile as a number, ID as text.
        ws.write_string(1, 0, "张三").unwrap();
        ws.write_number(1, 1, 13800001234.0).unwrap();
        ws.write_string(1, 2, "110101190001010006").unwrap();
        ws.write_string(1, 3, "zhangsan@example.com").unwrap();
        let d = XDate::from_ymd(2020, 3, 15).unwrap();
        ws.write_datetime_with_format(1, 4, &d, &date).unwrap();
        // ID typed as a number: Excel keeps 15 digits.
        ws.write_string(2, 0, "李四").unwrap();
        ws.write_number(2, 1, 13900001234.0).unwrap();
        ws.write_number(2, 2, 110101190001010006.0).unwrap();
        ws.write_boolean(2, 3, true).unwrap();
        ws.write_number(2, 4, 2.5).unwrap();
        // ID as text in exponent display form, as pasted from a CSV.
        ws.write_string(3, 0, "王五").unwrap();
        ws.write_string(3, 2, "1.10101190001E+17").unwrap();
        ws.write_formula(3, 3, Formula::new("=1/0").set_result("#DIV/0!"))
            .unwrap();
        // A cell far to the right.
        ws.write_string(3, 26, "远处").unwrap();

        let notes = wb.add_worksheet();
        notes.set_name("备注").unwrap();
        notes
            .write_string(1, 1, "请联系张三 13800001234，邮箱 zhangsan@example.com")
            .unwrap();
        notes.write_string(2, 1, "第二条").unwrap();
        notes.write_string(2, 2, "").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_two_sheets() {
        let (stats, cells, errors) = collect(Cursor::new(contacts_xlsx()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stats.sheets, 2);
        assert_eq!(stats.cells, cells.len() as u64);

        // Header row cells are reported, without a header.
        let c = find(&cells, "姓名");
        assert_eq!(
            (c.sheet.as_str(), c.row, c.column, c.header.clone()),
            ("通讯录", 1, 1, None)
        );

        let c = find(&cells, "13800001234");
        assert_eq!((c.row, c.column, c.column_name.as_str()), (2, 2, "B"));
        assert_eq!(c.header.as_deref(), Some("手机"));
        assert!(!c.truncated_number);

        let c = find(&cells, "110101190001010006");
        assert_eq!((c.row, c.column_name.as_str()), (2, "C"));
        assert_eq!(c.header.as_deref(), Some("身份证号"));
        assert!(!c.truncated_number);

        let c = find(&cells, "110101190001010000");
        assert_eq!((c.row, c.column_name.as_str()), (3, "C"));
        assert!(c.truncated_number);

        let c = find(&cells, "110101190001000000");
        assert_eq!(c.row, 4);
        assert!(c.truncated_number);

        assert_eq!(
            find(&cells, "2020-03-15").header.as_deref(),
            Some("入职日期")
        );
        assert_eq!(find(&cells, "TRUE").header.as_deref(), Some("邮箱"));
        assert_eq!(find(&cells, "2.5").column_name, "E");

        let c = find(&cells, "远处");
        assert_eq!(
            (c.column, c.column_name.as_str(), c.header.clone()),
            (27, "AA", None)
        );

        // Sheet order, then row by row.
        let sheets: Vec<&str> = cells.iter().map(|c| c.sheet.as_str()).collect();
        let first_notes = sheets.iter().position(|s| *s == "备注").unwrap();
        assert!(sheets[first_notes..].iter().all(|s| *s == "备注"));
        let rows: Vec<u32> = cells[..first_notes].iter().map(|c| c.row).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]));

        // Second sheet: the header row is the first non-empty row (row 2).
        let c = find(&cells, "请联系张三 13800001234，邮箱 zhangsan@example.com");
        assert_eq!(
            (
                c.sheet.as_str(),
                c.row,
                c.column_name.as_str(),
                c.header.clone()
            ),
            ("备注", 2, "B", None)
        );
        let c = find(&cells, "第二条");
        assert_eq!(
            c.header.as_deref(),
            Some("请联系张三 13800001234，邮箱 zhangsan@example.com")
        );
        // Empty strings and error cells are not reported.
        assert!(cells.iter().all(|c| !c.text.is_empty()));
        assert!(
            !cells
                .iter()
                .any(|c| c.sheet == "通讯录" && c.row == 4 && c.column == 4)
        );
    }

    #[test]
    fn stops_when_callback_returns_false() {
        let mut seen = 0;
        let stats = read_workbook(
            Cursor::new(contacts_xlsx()),
            &mut |_| {
                seen += 1;
                seen < 3
            },
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(seen, 3);
        assert_eq!(stats.cells, 3);
        assert_eq!(stats.sheets, 1);
    }

    #[test]
    fn reads_from_a_file_without_clone() {
        let path =
            std::env::temp_dir().join(format!("leaksweep-sheet-{}.xlsx", std::process::id()));
        std::fs::write(&path, contacts_xlsx()).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let (stats, cells, _) = collect(std::io::BufReader::new(file));
        let _ = std::fs::remove_file(&path);
        assert_eq!(stats.sheets, 2);
        find(&cells, "13800001234");
    }

    #[test]
    fn truncated_xlsx_is_an_error() {
        let bytes = contacts_xlsx();
        for len in [0, 2, 10, 100, bytes.len() / 2, bytes.len() - 30] {
            let cut = bytes[..len].to_vec();
            let res = read_workbook(Cursor::new(cut), &mut |_| true, &mut |_, _| {});
            assert!(res.is_err(), "cut at {len}: {res:?}");
        }
    }

    #[test]
    fn not_a_workbook_is_an_error() {
        let res = read_workbook(
            Cursor::new(b"name,phone\n".to_vec()),
            &mut |_| true,
            &mut |_, _| {},
        );
        assert!(matches!(res, Err(SheetError::Open(_))), "{res:?}");
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.extend_from_slice(&[0u8; 600]);
        let res = read_workbook(Cursor::new(ole), &mut |_| true, &mut |_, _| {});
        assert!(matches!(res, Err(SheetError::Open(_))), "{res:?}");
    }

    #[test]
    fn damaged_sheet_is_reported_and_others_read() {
        let mut bytes = contacts_xlsx();
        // Damage the compressed data of the first sheet's XML only.
        let name = b"xl/worksheets/sheet1.xml";
        let header = (0..bytes.len().saturating_sub(30 + name.len()))
            .find(|&i| bytes[i..].starts_with(b"PK\x03\x04") && bytes[i + 30..].starts_with(name))
            .expect("local header of sheet1");
        let name_len = u16::from_le_bytes([bytes[header + 26], bytes[header + 27]]) as usize;
        let extra_len = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
        let data = header + 30 + name_len + extra_len;
        for b in &mut bytes[data + 2..data + 40] {
            *b ^= 0x5A;
        }
        let (stats, cells, errors) = collect(Cursor::new(bytes));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "通讯录");
        assert_eq!(stats.sheets, 1);
        assert!(cells.iter().all(|c| c.sheet == "备注"));
        find(&cells, "第二条");
    }

    #[test]
    fn mutated_xlsx_never_panics() {
        let base = contacts_xlsx();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..200 {
            let mut bytes = base.clone();
            for _ in 0..1 + rnd() % 8 {
                let p = (rnd() as usize) % bytes.len();
                bytes[p] = rnd() as u8;
            }
            if i % 4 == 0 {
                bytes.truncate((rnd() as usize) % bytes.len());
            }
            let mut crashed = false;
            let _ = read_workbook(Cursor::new(bytes), &mut |_| true, &mut |_, e| {
                crashed |= e.contains("crashed");
            });
            assert!(!crashed);
        }
    }

    /// A minimal ODS file (stored ZIP, no compression) with one sheet.
    fn contacts_ods() -> Vec<u8> {
        let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="通讯录">
<table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>手机</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>身份证号</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>张三</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="13800001234"><text:p>13800001234</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1.10101190001E+17"><text:p>1.10101190001E+17</text:p></table:table-cell></table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>"#;
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
        stored_zip(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
            ),
            ("content.xml", content.as_bytes()),
            ("META-INF/manifest.xml", manifest.as_bytes()),
        ])
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// Writes a ZIP archive with the given entries stored uncompressed.
    fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let crc = crc32(data);
            let fixed = |v: &mut Vec<u8>| {
                v.extend_from_slice(&20u16.to_le_bytes()); // version needed
                v.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
                v.extend_from_slice(&0u16.to_le_bytes()); // method: stored
                v.extend_from_slice(&0u32.to_le_bytes()); // time, date
                v.extend_from_slice(&crc.to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // extra length
            };
            out.extend_from_slice(b"PK\x03\x04");
            fixed(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);

            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            fixed(&mut central);
            central.extend_from_slice(&[0u8; 6]); // comment len, disk, int. attrs
            central.extend_from_slice(&0u32.to_le_bytes()); // ext. attrs
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0u8; 4]); // disk numbers
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

    #[test]
    fn ods_is_read() {
        let (stats, cells, errors) = collect(Cursor::new(contacts_ods()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stats.sheets, 1);
        let c = find(&cells, "13800001234");
        assert_eq!(
            (c.sheet.as_str(), c.row, c.column_name.as_str()),
            ("通讯录", 2, "B")
        );
        assert_eq!(c.header.as_deref(), Some("手机"));
        let c = find(&cells, "110101190001000000");
        assert!(c.truncated_number);
        assert_eq!(c.header.as_deref(), Some("身份证号"));
    }

    #[test]
    fn number_texts() {
        assert_eq!(float_text(13800001234.0), ("13800001234".into(), false));
        assert_eq!(float_text(-42.0), ("-42".into(), false));
        assert_eq!(float_text(-0.0), ("0".into(), false));
        assert_eq!(float_text(0.1), ("0.1".into(), false));
        assert_eq!(float_text(1e-7), ("0.0000001".into(), false));
        assert_eq!(
            float_text(999_999_999_999_999.0),
            ("999999999999999".into(), false)
        );
        assert_eq!(float_text(1e15), ("1000000000000000".into(), true));
        assert_eq!(
            float_text(1.10101190001e17),
            ("110101190001000000".into(), true)
        );
        assert_eq!(
            float_text(110101190001010006.0),
            ("110101190001010000".into(), true)
        );
        assert_eq!(float_text(-1.5e16), ("-15000000000000000".into(), true));
        assert!(float_text(f64::MAX).1);
        assert_eq!(float_text(f64::MAX).0.len(), 309);
        assert_eq!(float_text(f64::NAN), ("NaN".into(), false));
        assert_eq!(float_text(f64::INFINITY), ("inf".into(), false));
    }

    #[test]
    fn exponent_texts() {
        assert_eq!(
            expand_exponent_text("1.10101190001E+17").as_deref(),
            Some("110101190001000000")
        );
        assert_eq!(
            expand_exponent_text("1.10101190001e+17").as_deref(),
            Some("110101190001000000")
        );
        assert_eq!(
            expand_exponent_text(" 4E+15 ").as_deref(),
            Some("4000000000000000")
        );
        assert_eq!(expand_exponent_text("1.2345E+2").as_deref(), Some("123.45"));
        assert_eq!(expand_exponent_text("0E+3").as_deref(), Some("0"));
        for no in [
            "", "E+17", "1.E+17", "1.1E17", "1.1E-17", "12E+3", "1.1E+", "x1E+2", "1E+2x", "１E+2",
        ] {
            assert_eq!(expand_exponent_text(no), None, "{no:?}");
            assert!(!looks_like_exponent_text(no), "{no:?}");
        }
        // Exponent too large to expand: still flagged, left as is.
        let huge = "1E+999999999999999999999";
        assert!(looks_like_exponent_text(huge));
        assert_eq!(
            cell_text(&Data::String(huge.into())),
            Some((Cow::Borrowed(huge), true))
        );
        assert_eq!(
            cell_text(&Data::String("1.10101190001E+17".into())),
            Some((Cow::Owned("110101190001000000".into()), true))
        );
    }

    #[test]
    fn other_cell_texts() {
        assert_eq!(cell_text(&Data::Empty), None);
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), None);
        assert_eq!(
            cell_text(&Data::Int(13800001234)),
            Some(("13800001234".into(), false))
        );
        assert_eq!(
            cell_text(&Data::Int(110101190001010006)),
            Some(("110101190001010006".into(), true))
        );
        assert_eq!(cell_text(&Data::Int(i64::MIN)).map(|t| t.1), Some(true));
        assert_eq!(cell_text(&Data::Bool(false)), Some(("FALSE".into(), false)));
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        let dt = |v| datetime_text(&ExcelDateTime::new(v, DateTime, false));
        assert_eq!(dt(43905.0), "2020-03-15");
        assert_eq!(dt(43905.5), "2020-03-15T12:00:00");
        assert_eq!(dt(0.25), "06:00:00");
        assert_eq!(dt(f64::NAN), "NaN");
        assert_eq!(dt(-1e300), dt(-1e300)); // no panic
        let dur = |v| datetime_text(&ExcelDateTime::new(v, TimeDelta, false));
        assert_eq!(dur(1.5), "PT36H0M0S");
        assert_eq!(dur(-0.5), "-PT12H0M0S");
        assert!(dur(1e300).starts_with("1000"));
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(1), "A");
        assert_eq!(column_name(26), "Z");
        assert_eq!(column_name(27), "AA");
        assert_eq!(column_name(52), "AZ");
        assert_eq!(column_name(53), "BA");
        assert_eq!(column_name(702), "ZZ");
        assert_eq!(column_name(703), "AAA");
        assert_eq!(column_name(16384), "XFD");
        assert_eq!(column_name(0), "");
        assert!(!column_name(u32::MAX).is_empty());
        assert_eq!(row_number(0, 0), 1);
        assert_eq!(row_number(u32::MAX, 5), u32::MAX);
    }
}
