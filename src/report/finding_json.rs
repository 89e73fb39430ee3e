//! A finding as compact JSON, written by hand: the JSON and JSON Lines
//! formats write one object per finding, and a directory export yields
//! several findings per row, so serde's generic path (a serializer state
//! machine per field, byte-by-byte escaping) was a tenth of such a scan.
//!
//! The bytes are exactly those of `serde_json::to_writer` on the derived
//! [`Finding`] serialization: the same field order, the same fields left
//! out, the same escapes (`\"`, `\\`, the short forms `\b \t \n \f \r`,
//! `\u00xx` with lowercase hex for the other control characters, nothing
//! else escaped). A test checks this byte for byte on random findings; a
//! field added to [`Finding`] or [`RecordLocation`] must be added here too.

use crate::finding::{Finding, RecordLocation};

/// Appends `f` as a JSON object; with `tag`, a `"type":"finding"` member
/// comes first (the JSON Lines record).
pub fn write_finding(out: &mut Vec<u8>, f: &Finding, tag: bool) {
    out.push(b'{');
    if tag {
        out.extend_from_slice(b"\"type\":\"finding\",");
    }
    out.extend_from_slice(b"\"rule\":");
    string(out, &f.rule);
    out.extend_from_slice(b",\"kind\":");
    string(out, &f.kind);
    out.extend_from_slice(b",\"severity\":\"");
    out.extend_from_slice(f.severity.as_str().as_bytes());
    out.extend_from_slice(b"\",\"confidence\":\"");
    out.extend_from_slice(f.confidence.as_str().as_bytes());
    out.extend_from_slice(b"\",\"path\":");
    string(out, &f.path);
    out.extend_from_slice(b",\"line\":");
    int(out, f.line);
    out.extend_from_slice(b",\"column\":");
    int(out, f.column);
    out.extend_from_slice(b",\"masked\":");
    string(out, &f.masked);
    out.extend_from_slice(b",\"fingerprint\":");
    string(out, &f.fingerprint);
    out.extend_from_slice(if f.obfuscated {
        b",\"obfuscated\":true"
    } else {
        b",\"obfuscated\":false"
    });
    if let Some(r) = &f.record {
        out.extend_from_slice(b",\"record\":");
        record(out, r);
    }
    out.push(b'}');
}

/// The record object: its members that are set, in declaration order.
fn record(out: &mut Vec<u8>, r: &RecordLocation) {
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, name: &[u8]| {
        out.push(if first { b'{' } else { b',' });
        first = false;
        out.push(b'"');
        out.extend_from_slice(name);
        out.extend_from_slice(b"\":");
    };
    let strings = [
        (&b"msgid"[..], &r.msgid),
        (b"from", &r.from),
        (b"roomid", &r.roomid),
    ];
    for (name, v) in strings {
        if let Some(v) = v {
            key(out, name);
            string(out, v);
        }
    }
    if let Some(t) = r.msgtime {
        key(out, b"msgtime");
        out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    }
    for (name, v) in [
        (&b"msgtype"[..], &r.msgtype),
        (b"field", &r.field),
        (b"sheet", &r.sheet),
    ] {
        if let Some(v) = v {
            key(out, name);
            string(out, v);
        }
    }
    if let Some(row) = r.row {
        key(out, b"row");
        int(out, row);
    }
    for (name, v) in [(&b"column"[..], &r.column), (b"header", &r.header)] {
        if let Some(v) = v {
            key(out, name);
            string(out, v);
        }
    }
    if first {
        out.push(b'{');
    }
    out.push(b'}');
}

fn int(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// What a byte becomes inside a JSON string: 0 = itself, `u` = `\u00xx`,
/// anything else = that letter after a backslash (serde_json's table).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// True when one of the eight bytes of `w` must be escaped: below 0x20,
/// a quote or a backslash. (The usual word tricks: a byte below `n` leaves
/// its top bit set in `w - n` where `w`'s was clear; a byte equal to `c`
/// is a zero byte of `w ^ c`.)
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & TOPS;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    (below(w, 0x20) | below(quote, 1) | below(backslash, 1)) != 0
}

/// Appends `s` as a quoted JSON string. Words of eight bytes that need no
/// escape (all of them, nearly always) are skipped at once and copied in
/// one piece with the rest of their run.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes.get(i..i + 8) {
            Some(w) => {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                if !needs_escape(w) {
                    i += 8;
                    continue;
                }
                i + 8
            }
            None => bytes.len(),
        };
        for (j, &b) in bytes.iter().enumerate().take(end).skip(i) {
            let e = ESCAPE[b as usize];
            if e == 0 {
                continue;
            }
            out.extend_from_slice(&bytes[from..j]);
            from = j + 1;
            if e == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            } else {
                out.push(b'\\');
                out.push(e);
            }
        }
        i = end;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::TestRng;
    use crate::finding::{Confidence, Severity};

    /// A string of pieces that stress escaping: every control character,
    /// quotes, backslashes, DEL, multi-byte characters, plain text.
    fn text(rng: &mut TestRng) -> String {
        const PIECES: &[&str] = &[
            "\"",
            "\\",
            "\u{7f}",
            "/",
            "é",
            "客户",
            "😀",
            "\u{2028}",
            "\u{202e}",
            "abc",
            "138****1234",
            " ",
            "",
        ];
        let mut s = String::new();
        for _ in 0..rng.below(8) {
            if rng.below(3) == 0 {
                s.push(char::from(rng.below(0x20) as u8));
            } else {
                s.push_str(PIECES[rng.below(PIECES.len())]);
            }
        }
        s
    }

    fn maybe(rng: &mut TestRng) -> Option<std::sync::Arc<str>> {
        (rng.below(2) == 0).then(|| text(rng).into())
    }

    fn finding(rng: &mut TestRng) -> Finding {
        let record = (rng.below(3) != 0).then(|| {
            Box::new(RecordLocation {
                msgid: maybe(rng),
                from: maybe(rng),
                roomid: maybe(rng),
                msgtime: (rng.below(2) == 0).then(|| rng.next() as i64),
                msgtype: maybe(rng),
                field: maybe(rng),
                sheet: maybe(rng),
                row: (rng.below(2) == 0).then(|| rng.next() >> rng.below(64)),
                column: maybe(rng),
                header: maybe(rng),
            })
        });
        Finding {
            rule: text(rng).into(),
            kind: text(rng).into(),
            severity: [
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ][rng.below(4)],
            confidence: [Confidence::Low, Confidence::Medium, Confidence::High][rng.below(3)],
            path: text(rng).into(),
            line: rng.next() >> rng.below(64),
            column: rng.next() >> rng.below(64),
            masked: text(rng),
            fingerprint: text(rng),
            obfuscated: rng.below(2) == 0,
            record,
        }
    }

    /// What serde_json writes for the finding, with the JSON Lines tag.
    #[derive(serde::Serialize)]
    #[serde(tag = "type", rename_all = "lowercase")]
    enum Line<'a> {
        Finding(&'a Finding),
    }

    #[test]
    fn bytes_are_serde_json_s() {
        let mut rng = TestRng(7);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let f = finding(&mut rng);
            for tag in [false, true] {
                ours.clear();
                theirs.clear();
                write_finding(&mut ours, &f, tag);
                if tag {
                    serde_json::to_writer(&mut theirs, &Line::Finding(&f)).unwrap();
                } else {
                    serde_json::to_writer(&mut theirs, &f).unwrap();
                }
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    #[test]
    fn every_byte_escapes_as_serde_json_does() {
        let plain = "0123456789abcdefghijklmnopqrstuvwxyz";
        for c in (0..=0x7f_u8).map(char::from).chain(['é', '\u{2028}', '😀']) {
            // `c` at every place of a word, in the tail, twice in a word.
            for at in 0..plain.len() {
                for s in [
                    format!("{}{c}{}", &plain[..at], &plain[at..]),
                    format!("{}{c}{c}{}", &plain[..at], &plain[at..]),
                ] {
                    let mut ours = Vec::new();
                    string(&mut ours, &s);
                    assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "{c:?} at {at}");
                }
            }
        }
    }

    /// The word test agrees with the table on every byte at every place
    /// of a word, next to every other byte.
    #[test]
    fn needs_escape_is_the_table() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut w = [b; 8];
                    w[at] = a;
                    let want = ESCAPE[usize::from(a)] != 0 || ESCAPE[usize::from(b)] != 0;
                    assert_eq!(needs_escape(u64::from_le_bytes(w)), want, "{a} {b} {at}");
                }
            }
        }
    }
}
