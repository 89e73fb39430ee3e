//! The JSON walker: turns JSON text (a session-archive line, a pretty
//! `user/list` document, a `raw_json` cell) into [`Field`]s of a chunk —
//! one per string or number value — with their JSON path, label (the
//! nearest key), record (message) and position.
//!
//! Key decisions:
//! - Strings without escapes are referred to in place (no copy), so their
//!   findings get exact columns; strings with escapes (`\uXXXX`, `\"`) are
//!   decoded into the chunk's tail, so an ASCII-only dump hides neither the
//!   identifier nor its context words.
//! - A decoded string that is itself JSON (`chatrecord.item[].content`,
//!   `mixed.item[].content`, a `raw_json` cell) is walked too, its paths
//!   continuing the outer one (`chatrecord.item[1].content.content`).
//! - Walking is transactional: JSON that turns out malformed is rolled back
//!   and scanned as text, so nothing is lost.

use crate::chunk::{Chunk, Field, Record, chars};

/// Default deepest nesting walked (see `chunk::max_json_depth` for the
/// limit in force); deeper JSON is scanned as text.
pub const MAX_DEPTH: usize = crate::chunk::MAX_JSON_DEPTH;

/// Where the walked text sits in the input.
#[derive(Clone, Copy, Debug)]
pub enum Origin {
    /// The text is the input's own bytes starting at this line and column:
    /// positions are counted.
    Exact {
        /// Line of the first byte.
        line: u64,
        /// Column of the first byte.
        column: u64,
    },
    /// The text was decoded or reassembled: every field is placed here.
    Fixed {
        /// Line to report.
        line: u64,
        /// Column to report.
        column: u64,
    },
}

/// Why a walk stopped.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub usize);

/// Walks `chunk.data[start..end]` as one JSON value (trailing whitespace
/// allowed). On malformed input everything the walk added is rolled back
/// and the whole range becomes one text field; returns whether it was
/// JSON. `record` is the record fields belong to when the text is nested
/// in one (a `raw_json` cell of a table row has none, so its message
/// becomes the record).
pub fn walk_or_text(
    chunk: &mut Chunk,
    start: usize,
    end: usize,
    origin: Origin,
    record: Option<u32>,
    path: &str,
) -> bool {
    let saved = (
        chunk.data.len(),
        chunk.fields.len(),
        chunk.records.len(),
        chunk.names.len(),
        chunk.decoded.len(),
    );
    let mut w = Walker {
        origin,
        line: 0,
        line_start: start,
        col_pos: start,
        col_chars: 0,
        path: path.to_string(),
        label: label_of(path),
        record,
        record_depth: if record.is_some() { usize::MAX } else { 0 },
    };
    let ok = w.document(chunk, start, end).is_ok();
    if !ok {
        chunk.data.truncate(saved.0);
        chunk.fields.truncate(saved.1);
        chunk.records.truncate(saved.2);
        chunk.names.truncate(saved.3);
        chunk.decoded.truncate(saved.4);
        let (line, column, exact) = match origin {
            Origin::Exact { line, column } => (line, column, true),
            Origin::Fixed { line, column } => (line, column, false),
        };
        let path = chunk.push_name(path);
        chunk.fields.push(Field {
            start: start as u32,
            end: end as u32,
            line,
            column,
            exact,
            record,
            label: path.clone(),
            path,
            ..Field::default()
        });
    }
    ok
}

/// The label of a path: its last key (`userlist[0].mobile` → `mobile`,
/// `remark_mobiles[1]` → `remark_mobiles`).
fn label_of(path: &str) -> (usize, usize) {
    let trimmed = path.trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    let start = trimmed.rfind('.').map_or(0, |i| i + 1);
    (start, trimmed.len())
}

struct Walker {
    origin: Origin,
    /// Lines counted from the origin (exact text only).
    line: u64,
    line_start: usize,
    col_pos: usize,
    col_chars: u64,
    /// Current JSON path and the range of its label inside it.
    path: String,
    label: (usize, usize),
    record: Option<u32>,
    /// Depth of the objects that are records (messages); `usize::MAX`
    /// when the record is given by the caller.
    record_depth: usize,
}

/// Keys of a session-archive message kept as record metadata.
const RECORD_KEYS: &[&str] = &[
    "msgid", "from", "roomid", "msgtime", "msgtype", "action", "time", "user",
];

impl Walker {
    fn document(&mut self, c: &mut Chunk, start: usize, end: usize) -> Result<(), Malformed> {
        let i = self.ws(c, start, end);
        let i = self.value(c, i, end, 0)?;
        let i = self.ws(c, i, end);
        if i == end { Ok(()) } else { Err(Malformed(i)) }
    }

    /// Skips whitespace, counting lines.
    fn ws(&mut self, c: &Chunk, mut i: usize, end: usize) -> usize {
        while i < end {
            match c.data[i] {
                b'\n' => {
                    self.line += 1;
                    self.line_start = i + 1;
                    self.col_pos = i + 1;
                    self.col_chars = 0;
                }
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            i += 1;
        }
        i
    }

    /// Line and column of byte `i` (exact text), or the fixed position.
    fn position(&mut self, c: &Chunk, i: usize) -> (u64, u64, bool) {
        match self.origin {
            Origin::Fixed { line, column } => (line, column, false),
            Origin::Exact { line, column } => {
                let span = &c.data[self.col_pos..i];
                self.col_chars += chars(span);
                self.col_pos = i;
                let col = if self.line == 0 {
                    column + self.col_chars
                } else {
                    1 + self.col_chars
                };
                (line + self.line, col, true)
            }
        }
    }

    fn value(
        &mut self,
        c: &mut Chunk,
        i: usize,
        end: usize,
        depth: usize,
    ) -> Result<usize, Malformed> {
        if depth > crate::chunk::max_json_depth() || i >= end {
            return Err(Malformed(i));
        }
        match c.data[i] {
            b'{' => self.object(c, i + 1, end, depth + 1),
            b'[' => self.array(c, i + 1, end, depth + 1),
            b'"' => {
                let (s, e, decoded, next) = self.string(c, i, end)?;
                self.scalar(c, i, s, e, decoded);
                Ok(next)
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                let mut j = i;
                while j < end
                    && matches!(c.data[j], b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' | b'a'..=b'z')
                {
                    j += 1;
                }
                if c.data[i].is_ascii_digit() || c.data[i] == b'-' {
                    self.emit(c, i, i, j, false);
                } else if !matches!(&c.data[i..j], b"true" | b"false" | b"null") {
                    return Err(Malformed(i));
                }
                Ok(j)
            }
            _ => Err(Malformed(i)),
        }
    }

    fn object(
        &mut self,
        c: &mut Chunk,
        mut i: usize,
        end: usize,
        depth: usize,
    ) -> Result<usize, Malformed> {
        let saved_record = self.record;
        let saved_record_depth = self.record_depth;
        // A record starts at the root object, or at each element of a
        // root array (a document holding a list of messages).
        if self.record.is_none() && (self.path.is_empty() || is_root_index(&self.path)) {
            c.records.push(Record::default());
            self.record = Some((c.records.len() - 1) as u32);
            self.record_depth = depth;
        }
        i = self.ws(c, i, end);
        if i < end && c.data[i] == b'}' {
            self.restore_record(saved_record, saved_record_depth);
            return Ok(i + 1);
        }
        loop {
            i = self.ws(c, i, end);
            if i >= end || c.data[i] != b'"' {
                return Err(Malformed(i));
            }
            let (ks, ke, kdecoded, next) = self.string(c, i, end)?;
            if c.data[ks..ke]
                .iter()
                .any(|b| b.is_ascii_digit() || *b == b'@')
            {
                self.emit(c, i, ks, ke, kdecoded);
            }
            i = self.ws(c, next, end);
            if i >= end || c.data[i] != b':' {
                return Err(Malformed(i));
            }
            i = self.ws(c, i + 1, end);
            let saved = (self.path.len(), self.label);
            if !self.path.is_empty() {
                self.path.push('.');
            }
            let ls = self.path.len();
            match std::str::from_utf8(&c.data[ks..ke]) {
                Ok(key) => self.path.push_str(key),
                Err(_) => self
                    .path
                    .push_str(&String::from_utf8_lossy(&c.data[ks..ke])),
            }
            self.label = (ls, self.path.len());
            let record_key = if depth == self.record_depth {
                RECORD_KEYS.iter().position(|k| *k == &self.path[ls..])
            } else {
                None
            };
            i = match record_key {
                Some(k) => {
                    let vstart = i;
                    let next = self.value(c, i, end, depth)?;
                    self.record_meta(c, RECORD_KEYS[k], vstart, next);
                    next
                }
                None => self.value(c, i, end, depth)?,
            };
            self.path.truncate(saved.0);
            self.label = saved.1;
            i = self.ws(c, i, end);
            match c.data.get(i) {
                Some(b',') if i < end => i += 1,
                Some(b'}') if i < end => {
                    self.restore_record(saved_record, saved_record_depth);
                    return Ok(i + 1);
                }
                _ => return Err(Malformed(i)),
            }
        }
    }

    fn restore_record(&mut self, record: Option<u32>, depth: usize) {
        self.record = record;
        self.record_depth = depth;
    }

    fn array(
        &mut self,
        c: &mut Chunk,
        mut i: usize,
        end: usize,
        depth: usize,
    ) -> Result<usize, Malformed> {
        i = self.ws(c, i, end);
        if i < end && c.data[i] == b']' {
            return Ok(i + 1);
        }
        let mut index = 0usize;
        loop {
            i = self.ws(c, i, end);
            let saved = self.path.len();
            self.path.push('[');
            self.path.push_str(itoa::Buffer::new().format(index));
            self.path.push(']');
            i = self.value(c, i, end, depth)?;
            self.path.truncate(saved);
            index += 1;
            i = self.ws(c, i, end);
            match c.data.get(i) {
                Some(b',') if i < end => i += 1,
                Some(b']') if i < end => return Ok(i + 1),
                _ => return Err(Malformed(i)),
            }
        }
    }

    /// Parses the string starting at the quote `i`. Returns the range of
    /// its content (in place, or decoded into the chunk's tail), whether it
    /// was decoded, and the offset after the closing quote.
    fn string(
        &mut self,
        c: &mut Chunk,
        i: usize,
        end: usize,
    ) -> Result<(usize, usize, bool, usize), Malformed> {
        let s = i + 1;
        let mut j = s;
        let mut escaped = false;
        loop {
            let Some(k) = memchr::memchr2(b'"', b'\\', &c.data[j..end]) else {
                return Err(Malformed(end));
            };
            j += k;
            if c.data[j] == b'"' {
                break;
            }
            escaped = true;
            j += 2; // skip the escaped character
            if j > end {
                return Err(Malformed(end));
            }
        }
        if !escaped {
            return Ok((s, j, false, j + 1));
        }
        // Decode into the tail, after a line break so that runs never join
        // two decoded strings.
        let (ds, de) = decode_to_tail(&mut c.data, s, j);
        c.decoded.push(crate::chunk::Decoded {
            copy: (ds as u32, de as u32),
            raw: (s as u32, j as u32),
        });
        Ok((ds, de, true, j + 1))
    }

    /// A string value: a field, unless it is JSON itself, which is walked.
    fn scalar(&mut self, c: &mut Chunk, quote: usize, s: usize, e: usize, decoded: bool) {
        if decoded {
            let first = c.data[s..e].iter().position(|b| !b.is_ascii_whitespace());
            let last = c.data[s..e].iter().rposition(|b| !b.is_ascii_whitespace());
            if let (Some(f), Some(l)) = (first, last) {
                let (open, close) = (c.data[s + f], c.data[s + l]);
                if (open == b'{' && close == b'}') || (open == b'[' && close == b']') {
                    let (line, column, _) = self.position(c, quote);
                    let path = self.path.clone();
                    let nested_origin = Origin::Fixed { line, column };
                    walk_or_text(c, s, e, nested_origin, self.record, &path);
                    return;
                }
            }
        }
        self.emit(c, quote, s, e, decoded);
    }

    /// Pushes a field for `data[s..e]`, placed at `at` (the opening quote
    /// for strings, so decoded strings point at their original).
    fn emit(&mut self, c: &mut Chunk, at: usize, s: usize, e: usize, decoded: bool) {
        // No identifier is shorter than an email like `a@b.cn`: short ASCII
        // values (`send`, `text`, `1`) are not worth a field.
        let value = &c.data[s..e];
        if value.len() < 6 && value.iter().all(|&b| b < 0x80 && b != b'@') {
            return;
        }
        let (line, column, exact) = self.position(c, if decoded { at } else { s });
        let path = c.push_name(&self.path);
        let label = path.start + self.label.0 as u32..path.start + self.label.1 as u32;
        c.fields.push(Field {
            start: s as u32,
            end: e as u32,
            line,
            column,
            exact: exact && !decoded,
            record: self.record,
            path,
            label,
            ..Field::default()
        });
    }

    /// Keeps where the value of a record key (`msgid`, `from`…) is: the
    /// string's content in place, or unescaped into the tail.
    fn record_meta(&mut self, c: &mut Chunk, key: &str, vstart: usize, vend: usize) {
        let Some(r) = self.record else { return };
        let (mut s, mut e) = (vstart, vend);
        if c.data.get(s) == Some(&b'"') && e >= s + 2 {
            s += 1;
            e -= 1;
            if memchr::memchr(b'\\', &c.data[s..e]).is_some() {
                (s, e) = decode_to_tail(&mut c.data, s, e);
            }
        }
        let range = s as u32..e as u32;
        let rec = &mut c.records[r as usize];
        match key {
            "msgid" => rec.msgid = range,
            "from" | "user" => rec.from = range,
            "roomid" => rec.roomid = range,
            "msgtime" | "time" => rec.msgtime = range,
            "msgtype" => rec.msgtype = range,
            "action" if &c.data[s..e] == b"switch" && rec.msgtype.is_empty() => rec.msgtype = range,
            _ => {}
        }
    }
}

fn is_root_index(path: &str) -> bool {
    path.len() >= 3
        && path.starts_with('[')
        && path.ends_with(']')
        && path[1..path.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

pub use crate::chunk::unescape_json as decode_escapes;

/// Appends a line break and the decoded copy of `data[s..e]` to `data`;
/// returns where the copy is. Decodes straight from the raw bytes into the
/// tail (no copy of the raw string first): decoding never lengthens a
/// string, so `e - s` bytes of room are enough.
fn decode_to_tail(data: &mut Vec<u8>, s: usize, e: usize) -> (usize, usize) {
    let at = data.len() + 1;
    data.resize(at + (e - s), 0);
    data[at - 1] = b'\n';
    let (head, tail) = data.split_at_mut(at);
    let n = crate::chunk::unescape_json_into(&head[s..e], tail);
    data.truncate(at + n);
    (at, at + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(text: &str) -> (Chunk, bool) {
        let mut c = Chunk {
            data: text.as_bytes().to_vec(),
            first_line: 1,
            first_column: 1,
            ..Chunk::default()
        };
        let ok = walk_or_text(
            &mut c,
            0,
            text.len(),
            Origin::Exact { line: 1, column: 1 },
            None,
            "",
        );
        (c, ok)
    }

    fn fields(c: &Chunk) -> Vec<(String, String, String, u64, u64)> {
        let mut fs = c.fields.clone();
        fs.sort_by_key(|f| f.start);
        fs.iter()
            .map(|f| {
                (
                    c.name(&f.path).unwrap_or("").to_string(),
                    c.name(&f.label).unwrap_or("").to_string(),
                    String::from_utf8_lossy(&c.data[f.start as usize..f.end as usize]).into_owned(),
                    f.line,
                    f.column,
                )
            })
            .collect()
    }

    #[test]
    fn archive_line_fields_and_record() {
        let line = r#"{"msgid":"m1","action":"send","from":"zhangsan","tolist":["lisi.wang"],"roomid":"","msgtime":1700000000000,"msgtype":"text","text":{"content":"手机13800001234"}}"#;
        let (c, ok) = walk(line);
        assert!(ok);
        let fs = fields(&c);
        let content = fs.iter().find(|f| f.0 == "text.content").unwrap();
        assert_eq!(content.1, "content");
        assert_eq!(content.2, "手机13800001234");
        assert_eq!(
            content.4,
            line[..line.find("手机").unwrap()].chars().count() as u64 + 1
        );
        assert!(fs.iter().any(|f| f.0 == "tolist[0]" && f.1 == "tolist"));
        let r = &c.records[0];
        assert_eq!(c.record_text(&r.msgid).as_deref(), Some("m1"));
        assert_eq!(c.record_text(&r.from).as_deref(), Some("zhangsan"));
        assert_eq!(c.record_text(&r.roomid), None);
        assert_eq!(c.record_text(&r.msgtime).as_deref(), Some("1700000000000"));
        assert_eq!(c.record_text(&r.msgtype).as_deref(), Some("text"));
    }

    #[test]
    fn escapes_are_decoded() {
        let line = r#"{"text":{"content":"\u624b\u673a\uff1a13800001234 \"ok\""}}"#;
        let (c, _) = walk(line);
        let fs = fields(&c);
        assert_eq!(fs[0].0, "text.content");
        assert_eq!(fs[0].2, "手机：13800001234 \"ok\"");
    }

    #[test]
    fn json_inside_strings_is_walked() {
        let inner = serde_json::json!({"content": "身份证110101190001010006"}).to_string();
        let line = serde_json::json!({"msgid": "m2", "msgtype": "chatrecord", "chatrecord": {"item": [{"content": "x"}, {"content": inner}]}}).to_string();
        let (c, ok) = walk(&line);
        assert!(ok);
        let fs = fields(&c);
        let f = fs.iter().find(|f| f.2.contains("110101")).unwrap();
        assert_eq!(f.0, "chatrecord.item[1].content.content");
        assert_eq!(c.records.len(), 1);
        assert_eq!(
            c.fields
                .iter()
                .find(|x| c.name(&x.path) == Some("chatrecord.item[1].content.content"))
                .unwrap()
                .record,
            Some(0)
        );
    }

    #[test]
    fn pretty_documents_count_lines_and_make_a_record_per_element() {
        let doc = "[\n  {\n    \"msgid\": \"a\",\n    \"text\": {\"content\": \"value-one\"}\n  },\n  {\n    \"msgid\": \"b\",\n    \"text\": {\"content\": \"value-two\"}\n  }\n]\n";
        let (c, ok) = walk(doc);
        assert!(ok);
        let fs = fields(&c);
        let x2 = fs.iter().find(|f| f.2 == "value-two").unwrap();
        assert_eq!((x2.0.as_str(), x2.3), ("[1].text.content", 8));
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.record_text(&c.records[1].msgid).as_deref(), Some("b"));
    }

    #[test]
    fn labels_of_array_elements_are_their_key() {
        let (c, _) = walk(r#"{"userlist":[{"remark_mobiles":["13800001234"]}]}"#);
        let fs = fields(&c);
        assert_eq!(fs[0].0, "userlist[0].remark_mobiles[0]");
        assert_eq!(fs[0].1, "remark_mobiles");
    }

    #[test]
    fn malformed_json_becomes_text() {
        for bad in [
            r#"{"a":"13800001234""#,
            r#"{"a":}"#,
            "{",
            r#"{"a":"x"} trailing"#,
            "[1,2",
            r#"{"a":tru}"#,
        ] {
            let (c, ok) = walk(bad);
            assert!(!ok, "{bad}");
            assert_eq!(c.fields.len(), 1);
            assert_eq!(
                (c.fields[0].start, c.fields[0].end as usize),
                (0, bad.len())
            );
            assert!(c.records.is_empty());
        }
    }

    #[test]
    fn deep_nesting_is_text_not_a_crash() {
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        let (_, ok) = walk(&deep);
        assert!(!ok);
    }

    #[test]
    fn surrogate_pairs_and_bad_escapes() {
        let mut out = Vec::new();
        decode_escapes(br#"\ud83d\ude00 \x \u12"#, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), "😀 \\x \\u12");
    }
}
