//! Reading for the access audit: turns inputs (any mix of directory
//! exports, session archives and operation logs, in the containers and
//! encodings `scan` reads) into plain [`Record`]s. Each record is
//! recognised by its content: a table with an account column is a
//! directory; a JSON object with `oper_type` is an operation-log record,
//! with `msgtime` and `from` an archive message, with `action: switch` a
//! switch record, with `userid` and contact fields a directory member.
//! Values stay raw here; [`super::audit`] fingerprints and masks them.

use crate::source::container::{self, ContainerKind, Limits};
use crate::source::{self, csv, encoding, sheet};
use crate::source::{Format, Shape};
use serde_json::Value;
use std::io::{self, Cursor, Read, Seek};
use std::sync::Arc;

/// Largest JSON document read whole (a `user/list` or log response).
const MAX_DOCUMENT: u64 = 1 << 30;

/// Bytes sniffed at the start of an input.
const HEAD: usize = 8192;

/// Where a record was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// Display path (`a.zip!b.csv` inside containers).
    pub path: Arc<str>,
    /// 1-based line (text inputs).
    pub line: Option<u64>,
    /// Sheet (workbooks).
    pub sheet: Option<String>,
    /// 1-based row (tables; the header row is 1).
    pub row: Option<u64>,
    /// JSON path inside a document (`userlist[3]`).
    pub field: Option<String>,
}

/// A member's status, as the console or the API gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Active (API 1, 已激活 + 正常).
    Active,
    /// Disabled (API 2, 禁用状态 已禁用).
    Disabled,
    /// Not activated (API 4, 未激活).
    NotActivated,
    /// Left the organisation (API 5, 已退出/已离职).
    Left,
}

/// One row of a directory.
#[derive(Clone, Debug, Default)]
pub struct MemberRow {
    /// The row's organisation, from a corpid / 企业简称 column or a
    /// linked-corp userid (`CorpId/USERID`).
    pub org: Option<String>,
    /// Account handle.
    pub userid: Option<String>,
    /// Mobile number as written.
    pub mobile: Option<String>,
    /// Personal email as written.
    pub email: Option<String>,
    /// ID number as written.
    pub id_number: Option<String>,
    /// Status, when the export has one.
    pub status: Option<Status>,
}

/// One record of a member or admin operation log.
#[derive(Clone, Debug)]
pub struct OperRow {
    /// Milliseconds since the epoch.
    pub time_ms: i64,
    /// The member (member log) or admin (admin log).
    pub userid: String,
    /// `oper_type` (member log) or `operate_type` (admin log).
    pub oper_type: i64,
    /// Network address, when given.
    pub ip: Option<String>,
    /// From the admin operation log.
    pub admin: bool,
}

/// What a record is.
#[derive(Clone, Debug)]
pub enum Record {
    /// A directory entry.
    Member(MemberRow),
    /// An operation-log record.
    Oper(OperRow),
    /// An archive message: sender and time (ms).
    Message {
        /// Sender userid.
        from: String,
        /// Milliseconds since the epoch.
        time_ms: i64,
    },
    /// A `switch` record: a member switched organisation on a device.
    Switch {
        /// The member.
        user: String,
        /// Milliseconds since the epoch.
        time_ms: i64,
    },
}

/// The header names of a directory column, by meaning.
const USERID: &[&str] = &[
    "帐号",
    "账号",
    "成员帐号",
    "成员账号",
    "userid",
    "user_id",
    "UserID",
];
const MOBILE: &[&str] = &["手机", "手机号", "手机号码", "mobile", "Mobile"];
const EMAIL: &[&str] = &["个人邮箱", "邮箱", "email", "Email"];
const ID_NUMBER: &[&str] = &[
    "身份证",
    "身份证号",
    "身份证号码",
    "证件号码",
    "idcard",
    "id_card",
];
const ORG: &[&str] = &[
    "企业简称",
    "企业名称",
    "所属企业",
    "corpid",
    "corp_id",
    "corp_name",
    "CorpId",
];
const ACTIVE: &[&str] = &["激活状态"];
const DISABLED: &[&str] = &["禁用状态"];
const STATUS: &[&str] = &["status", "状态", "成员状态"];

fn header_is(h: &str, names: &[&str]) -> bool {
    let h = h.trim().trim_start_matches('\u{feff}');
    names.iter().any(|n| h.eq_ignore_ascii_case(n))
}

/// Reads every record of one input (a file or container entry), calling
/// `f` with each. Errors name what could not be read; records before the
/// error have been delivered.
pub fn read(
    r: &mut dyn Read,
    name: &str,
    display: &Arc<str>,
    limits: &Limits,
    depth: u32,
    f: &mut dyn FnMut(Record, Place),
) -> Result<(), String> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string().to_lowercase())?;
    let mut stream = Cursor::new(head.clone()).chain(r);
    // The scan's own format decision, so both read an input alike.
    let read_all = |stream: &mut dyn Read| -> Result<Vec<u8>, String> {
        let mut data = Vec::new();
        stream
            .read_to_end(&mut data)
            .map_err(|e| e.to_string().to_lowercase())?;
        Ok(data)
    };
    let enc = match source::sniff(&head, name) {
        Format::Workbook => return read_workbook(Cursor::new(read_all(&mut stream)?), display, f),
        Format::Container(_) if depth >= 3 => {
            return Err("archive nested deeper than 3 levels; not opened".into());
        }
        Format::Container(kind) => {
            return read_container(kind, &mut stream, name, display, limits, depth, f);
        }
        Format::Binary => return Err("binary file of no recognised format".into()),
        Format::Text(enc) => enc,
    };
    let mut text = encoding::decode(stream, enc);
    let mut dhead = Vec::with_capacity(HEAD);
    (&mut text)
        .take(HEAD as u64)
        .read_to_end(&mut dhead)
        .map_err(|e| e.to_string().to_lowercase())?;
    let mut rest = Cursor::new(dhead.clone()).chain(text);
    // A text that is not JSON is read as a table: directory exports come
    // without a .csv name too.
    let lines = match source::shape(trim_bom(&dhead), name) {
        Shape::Csv(delimiter) => return read_table(&mut rest, delimiter, display, f),
        Shape::Plain => return read_table(&mut rest, None, display, f),
        Shape::JsonLines => true,
        Shape::JsonDocument => false,
    };
    if lines {
        read_json_lines(&mut rest, display, f)
    } else {
        let mut data = Vec::new();
        (&mut rest)
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut data)
            .map_err(|e| e.to_string().to_lowercase())?;
        if data.len() as u64 > MAX_DOCUMENT {
            return Err("JSON document larger than 1 GiB; not read".into());
        }
        let v: Value =
            serde_json::from_slice(trim_bom(&data)).map_err(|e| format!("not valid JSON: {e}"))?;
        document(&v, "", display, f);
        Ok(())
    }
}

fn trim_bom(d: &[u8]) -> &[u8] {
    d.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(d)
}

fn read_container(
    kind: ContainerKind,
    r: &mut dyn Read,
    name: &str,
    display: &Arc<str>,
    limits: &Limits,
    depth: u32,
    f: &mut dyn FnMut(Record, Place),
) -> Result<(), String> {
    let budget = container::Budget::default();
    let inner = name.strip_suffix(".gz").unwrap_or(name).to_string();
    let gzip = matches!(kind, ContainerKind::Gzip);
    let mut errors = Vec::new();
    let result = container::for_each_entry(
        kind,
        container::ContainerInput::Stream(r),
        &inner,
        limits,
        &budget,
        &mut |ev| {
            if let container::Event::Entry(entry) = ev {
                let transparent = gzip && entry.size.is_none();
                let sub: Arc<str> = if transparent {
                    display.clone()
                } else {
                    Arc::from(format!("{display}!{}", entry.name))
                };
                if let Err(e) = read(entry.reader, &entry.name, &sub, limits, depth + 1, f) {
                    errors.push(format!("{sub}: {e}"));
                }
            }
            Ok(())
        },
    );
    result.map_err(|e| e.to_string().to_lowercase())?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Column roles of a directory table.
#[derive(Default)]
struct Columns {
    userid: Option<usize>,
    mobile: Option<usize>,
    email: Option<usize>,
    id_number: Option<usize>,
    org: Option<usize>,
    active: Option<usize>,
    disabled: Option<usize>,
    status: Option<usize>,
}

impl Columns {
    fn from_headers(headers: &[String]) -> Option<Columns> {
        let find = |names: &[&str]| headers.iter().position(|h| header_is(h, names));
        let c = Columns {
            userid: find(USERID),
            mobile: find(MOBILE),
            email: find(EMAIL),
            id_number: find(ID_NUMBER),
            org: find(ORG),
            active: find(ACTIVE),
            disabled: find(DISABLED),
            status: find(STATUS),
        };
        // A directory names its members' accounts or contact numbers.
        (c.userid.is_some() || c.mobile.is_some() || c.email.is_some()).then_some(c)
    }

    fn row(&self, cells: &[String]) -> Option<MemberRow> {
        let get = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let mut status = None;
        if let Some(s) = get(self.status) {
            status = api_status(&s);
        }
        if let Some(a) = get(self.active) {
            if a.contains("未激活") {
                status = Some(Status::NotActivated);
            } else if a.contains("退出") || a.contains("离职") {
                status = Some(Status::Left);
            }
        }
        if let Some(d) = get(self.disabled)
            && (d.contains("已禁用") || d == "禁用")
        {
            status = Some(Status::Disabled);
        }
        let m = MemberRow {
            org: get(self.org),
            userid: get(self.userid),
            mobile: get(self.mobile),
            email: get(self.email),
            id_number: get(self.id_number),
            status,
        };
        (m.userid.is_some() || m.mobile.is_some() || m.email.is_some()).then_some(m)
    }
}

fn api_status(s: &str) -> Option<Status> {
    match s.trim() {
        "1" => Some(Status::Active),
        "2" => Some(Status::Disabled),
        "4" => Some(Status::NotActivated),
        "5" => Some(Status::Left),
        _ => None,
    }
}

fn read_table(
    r: &mut dyn Read,
    delimiter: Option<u8>,
    display: &Arc<str>,
    f: &mut dyn FnMut(Record, Place),
) -> Result<(), String> {
    // Cells arrive record by record; a record is complete when the next
    // one starts. The first record is the header.
    let mut columns: Option<Columns> = None;
    let mut cells: Vec<String> = Vec::new();
    let mut current = (0u64, 0u64); // record, line
    let mut finish =
        |cells: &mut Vec<String>, (record, line): (u64, u64), columns: &mut Option<Columns>| {
            if record == 1 {
                *columns = Columns::from_headers(cells);
            } else if let Some(c) = columns.as_ref()
                && let Some(m) = c.row(cells)
            {
                f(
                    Record::Member(m),
                    Place {
                        path: display.clone(),
                        line: Some(line),
                        row: Some(record),
                        ..Place::default()
                    },
                );
            }
            cells.clear();
        };
    let read = csv::read_csv(r, delimiter, &mut |cell| {
        if cell.record != current.0 {
            if current.0 > 0 {
                finish(&mut cells, current, &mut columns);
            }
            current = (cell.record, cell.line);
        }
        cells.push(cell.value.to_string());
        true
    });
    if current.0 > 0 {
        finish(&mut cells, current, &mut columns);
    }
    read.map(|_| ()).map_err(|e| e.to_string().to_lowercase())
}

fn read_workbook<R: Read + Seek>(
    r: R,
    display: &Arc<str>,
    f: &mut dyn FnMut(Record, Place),
) -> Result<(), String> {
    // Cells arrive row by row; a row is complete when the next starts.
    let mut sheet_name = String::new();
    let mut row_no = 0u32;
    let mut headers: Vec<String> = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut columns: Option<Columns> = None;
    let mut header_row = 0u32;
    let mut emit = |sheet: &str, row: u32, cells: &mut Vec<String>, columns: &Option<Columns>| {
        if let Some(c) = columns
            && let Some(m) = c.row(cells)
        {
            f(
                Record::Member(m),
                Place {
                    path: display.clone(),
                    sheet: Some(sheet.to_string()),
                    row: Some(u64::from(row)),
                    ..Place::default()
                },
            );
        }
        cells.clear();
    };
    let mut on_cell = |c: sheet::SheetCell<'_>| {
        if c.sheet != sheet_name || c.row != row_no {
            if row_no > 0 && row_no != header_row {
                emit(&sheet_name, row_no, &mut cells, &columns);
            }
            cells.clear();
            if c.sheet != sheet_name {
                sheet_name = c.sheet.to_string();
                headers.clear();
                columns = None;
                header_row = 0;
            }
            row_no = c.row;
            if c.header.is_none() && header_row == 0 {
                header_row = c.row;
            }
        }
        let col = (c.column as usize).saturating_sub(1);
        if c.row == header_row {
            if headers.len() <= col {
                headers.resize(col + 1, String::new());
            }
            headers[col] = c.text.to_string();
            columns = Columns::from_headers(&headers);
        } else {
            if cells.len() <= col {
                cells.resize(col + 1, String::new());
            }
            cells[col] = c.text.to_string();
        }
        true
    };
    let mut sheet_errors = Vec::new();
    sheet::read_workbook(r, &mut on_cell, &mut |s, e| {
        sheet_errors.push(format!("sheet {s}: {e}"))
    })
    .map_err(|e| e.to_string().to_lowercase())?;
    if row_no > 0 && row_no != header_row {
        emit(&sheet_name, row_no, &mut cells, &columns);
    }
    if sheet_errors.is_empty() {
        Ok(())
    } else {
        Err(sheet_errors.join("; "))
    }
}

fn read_json_lines(
    r: &mut dyn Read,
    display: &Arc<str>,
    f: &mut dyn FnMut(Record, Place),
) -> Result<(), String> {
    let mut reader = io::BufReader::with_capacity(1 << 20, r);
    let mut line = Vec::new();
    let mut no = 0u64;
    loop {
        line.clear();
        let n = io::BufRead::read_until(&mut reader, b'\n', &mut line).map_err(|e| {
            format!(
                "read error at line {}: {}",
                no + 1,
                e.to_string().to_lowercase()
            )
        })?;
        if n == 0 {
            return Ok(());
        }
        no += 1;
        let text = trim_bom(line.trim_ascii());
        if text.is_empty() {
            continue;
        }
        // A line that is not JSON holds no record; it is skipped, not fatal.
        let Ok(v) = serde_json::from_slice::<Value>(text) else {
            continue;
        };
        let place = Place {
            path: display.clone(),
            line: Some(no),
            ..Place::default()
        };
        match &v {
            Value::Object(_) => {
                if let Some(rec) = object(&v, false) {
                    f(rec, place);
                } else {
                    document(&v, "", display, &mut |r, mut p| {
                        p.line = Some(no);
                        f(r, p)
                    });
                }
            }
            _ => document(&v, "", display, &mut |r, mut p| {
                p.line = Some(no);
                f(r, p)
            }),
        }
    }
}

fn num(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Seconds or milliseconds since the epoch, as milliseconds: WeCom logs
/// write seconds, archives milliseconds.
fn millis(t: i64) -> i64 {
    if t.abs() < 100_000_000_000 {
        t * 1000
    } else {
        t
    }
}

/// One JSON object as a record, if it is one.
fn object(v: &Value, admin_hint: bool) -> Option<Record> {
    let o = v.as_object()?;
    if o.get("action").and_then(Value::as_str) == Some("switch") {
        return Some(Record::Switch {
            user: text(o.get("user")?)?,
            time_ms: millis(num(o.get("time")?)?),
        });
    }
    if let (Some(from), Some(t)) = (o.get("from"), o.get("msgtime")) {
        return Some(Record::Message {
            from: text(from)?,
            time_ms: millis(num(t)?),
        });
    }
    let oper = o.get("oper_type").or_else(|| o.get("operate_type"));
    if let (Some(op), Some(t), Some(u)) = (oper, o.get("time"), o.get("userid")) {
        return Some(Record::Oper(OperRow {
            time_ms: millis(num(t)?),
            userid: text(u)?,
            oper_type: num(op)?,
            ip: o.get("ip").and_then(text),
            admin: admin_hint || o.contains_key("operate_type"),
        }));
    }
    let userid = o.get("userid").and_then(text);
    let contact = [
        "mobile",
        "email",
        "name",
        "status",
        "department",
        "biz_mail",
    ]
    .iter()
    .any(|k| o.contains_key(*k));
    if userid.is_some() && contact {
        let mut org = o
            .get("corpid")
            .or_else(|| o.get("corp_name"))
            .and_then(text);
        let mut userid = userid;
        // Linked-corp members are written `CorpId/USERID`.
        if let Some(u) = &userid
            && let Some((corp, user)) = u.split_once('/')
            && !corp.is_empty()
            && !user.is_empty()
        {
            org.get_or_insert_with(|| corp.to_string());
            userid = Some(user.to_string());
        }
        return Some(Record::Member(MemberRow {
            org,
            userid,
            mobile: o.get("mobile").and_then(text),
            email: o.get("email").and_then(text),
            id_number: o
                .get("id_number")
                .or_else(|| o.get("idcard"))
                .and_then(text),
            status: o
                .get("status")
                .and_then(num)
                .and_then(|s| api_status(&s.to_string())),
        }));
    }
    None
}

/// Every record in a JSON document: `userlist`, `record_list` and arrays of
/// messages or records, at any depth.
fn document(v: &Value, path: &str, display: &Arc<str>, f: &mut dyn FnMut(Record, Place)) {
    fn walk(
        v: &Value,
        path: &str,
        admin: bool,
        depth: usize,
        display: &Arc<str>,
        f: &mut dyn FnMut(Record, Place),
    ) {
        if depth > 64 {
            return;
        }
        if let Some(rec) = object(v, admin) {
            f(
                rec,
                Place {
                    path: display.clone(),
                    field: (!path.is_empty()).then(|| path.to_string()),
                    ..Place::default()
                },
            );
            return;
        }
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), admin, depth + 1, display, f);
                }
            }
            Value::Object(o) => {
                for (k, item) in o {
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(item, &sub, admin, depth + 1, display, f);
                }
            }
            _ => {}
        }
    }
    walk(v, path, false, 0, display, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(name: &str, data: &[u8]) -> Vec<(Record, Place)> {
        let mut out = Vec::new();
        let display: Arc<str> = Arc::from(name);
        read(
            &mut Cursor::new(data.to_vec()),
            name,
            &display,
            &Limits::default(),
            0,
            &mut |r, p| out.push((r, p)),
        )
        .unwrap();
        out
    }

    #[test]
    fn console_export_rows_with_status() {
        let csv = "\u{feff}企业简称,姓名,帐号,手机,个人邮箱,激活状态,禁用状态\n甲,张三,ZhangSan,13800138000,z@example.com,已激活,正常\n乙,李四,LiSi,13900139000,,已激活,已禁用\n";
        let rs = records("m.csv", csv.as_bytes());
        assert_eq!(rs.len(), 2);
        let Record::Member(m) = &rs[1].0 else {
            panic!()
        };
        assert_eq!(m.org.as_deref(), Some("乙"));
        assert_eq!(m.userid.as_deref(), Some("LiSi"));
        assert_eq!(m.status, Some(Status::Disabled));
        assert_eq!(rs[1].1.line, Some(3));
    }

    #[test]
    fn json_documents_and_lines() {
        let doc = br#"{"errcode":0,"userlist":[{"userid":"wx/ZhangSan","mobile":"13800138000","status":5}]}"#;
        let rs = records("u.json", &[b"\n".as_slice(), doc].concat());
        let Record::Member(m) = &rs[0].0 else {
            panic!()
        };
        assert_eq!(
            (m.org.as_deref(), m.userid.as_deref()),
            (Some("wx"), Some("ZhangSan"))
        );
        assert_eq!(m.status, Some(Status::Left));
        assert_eq!(rs[0].1.field.as_deref(), Some("userlist[0]"));
        let lines = b"{\"time\":1700000000,\"userid\":\"a\",\"oper_type\":4,\"ip\":\"1.2.3.4\"}\n{\"msgid\":\"x\",\"action\":\"switch\",\"time\":1700000000123,\"user\":\"a\"}\n{\"from\":\"a\",\"msgtime\":1700000000999,\"msgtype\":\"text\"}\nnot json\n";
        let rs = records("l.jsonl", lines);
        assert_eq!(rs.len(), 3);
        assert!(
            matches!(&rs[0].0, Record::Oper(o) if o.time_ms == 1_700_000_000_000 && o.oper_type == 4)
        );
        assert!(matches!(
            &rs[1].0,
            Record::Switch {
                time_ms: 1_700_000_000_123,
                ..
            }
        ));
        assert!(matches!(&rs[2].0, Record::Message { .. }));
        assert_eq!(rs[2].1.line, Some(3));
    }
}
