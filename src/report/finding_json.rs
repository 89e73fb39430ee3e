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

use crate::finding::{Confidence, Finding, RecordLocation, Severity};
use std::cell::RefCell;
use std::sync::Arc;

/// Appends `f` as a JSON object; with `tag`, a `"type":"finding"` member
/// comes first (the JSON Lines record).
pub fn write_finding(out: &mut Vec<u8>, f: &Finding, tag: bool) {
    OPENINGS.with_borrow_mut(|openings| openings.write(out, f, tag));
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

/// The opening of a finding's object, up to its line number: `{`, the tag
/// when asked for, then rule, kind, severity, confidence, path and the
/// key `"line":`.
fn opening(out: &mut Vec<u8>, f: &Finding, tag: bool) {
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
}

/// Slots of an [`Openings`] table.
const SLOTS: usize = 16;

/// Openings (see [`opening`]) written before, each with what it was made
/// of, in a table of [`SLOTS`] slots chosen by a hash of its rule, path and
/// confidence (a new opening takes the slot over).
/// Key decision: a report's findings share a few rules, confidences and
/// paths (a directory export: three or four rules, one path), so the
/// opening, half of a finding's bytes, is copied in one piece from the
/// table instead of escaped string by string: about 2% of a scan of a
/// directory export (callgrind). The names are matched by pointer, not
/// by text: the table holds a clone of each name it matched, so that
/// name's allocation stays alive and no other string can have its
/// address; a name of the same address is that very (immutable) string.
/// Severity, confidence and tag are compared by value. So an opening from
/// the table is the one [`opening`] writes, by construction; a test checks
/// it against serde_json on findings drawn from a small pool of names.
#[derive(Default)]
struct Openings {
    slots: [Option<Opening>; SLOTS],
}

/// One slot of [`Openings`].
struct Opening {
    rule: Arc<str>,
    kind: Arc<str>,
    path: Arc<str>,
    severity: Severity,
    confidence: Confidence,
    tag: bool,
    /// The opening's bytes.
    bytes: Vec<u8>,
}

thread_local! {
    /// Each thread's openings: the workers render findings side by side.
    static OPENINGS: RefCell<Openings> = RefCell::new(Openings::default());
}

impl Openings {
    /// Appends the opening of `f` (see [`opening`]), from the table when
    /// it holds it.
    fn write(&mut self, out: &mut Vec<u8>, f: &Finding, tag: bool) {
        let address = |s: &Arc<str>| Arc::as_ptr(s).cast::<u8>() as usize;
        let hash = (address(&f.rule) >> 4)
            ^ (address(&f.path) >> 6)
            ^ (f.confidence as usize).wrapping_mul(5);
        let slot = &mut self.slots[hash % SLOTS];
        if let Some(o) = slot
            && Arc::ptr_eq(&o.rule, &f.rule)
            && Arc::ptr_eq(&o.kind, &f.kind)
            && Arc::ptr_eq(&o.path, &f.path)
            && o.severity == f.severity
            && o.confidence == f.confidence
            && o.tag == tag
        {
            out.extend_from_slice(&o.bytes);
            return;
        }
        let mut bytes = slot.take().map(|o| o.bytes).unwrap_or_default();
        bytes.clear();
        opening(&mut bytes, f, tag);
        out.extend_from_slice(&bytes);
        *slot = Some(Opening {
            rule: f.rule.clone(),
            kind: f.kind.clone(),
            path: f.path.clone(),
            severity: f.severity,
            confidence: f.confidence,
            tag,
            bytes,
        });
    }
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

/// The flags of the bytes of `w` that must be escaped (below 0x20, a
/// quote or a backslash): the top bit of each such byte. (The usual word
/// tricks: a byte below `n` leaves its top bit set in `w - n` where `w`'s
/// was clear; a byte equal to `c` is a zero byte of `w ^ c`.) The lowest
/// flag is exact: a false flag needs a borrow from a lower byte, and a
/// byte borrows only when it is below `n` (or zero), that is flagged
/// itself; higher flags may be false, and only the lowest is read.
fn escape_flags(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & TOPS;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    below(w, 0x20) | below(quote, 1) | below(backslash, 1)
}

/// True when one of the eight bytes of `w` must be escaped.
#[cfg(test)]
fn needs_escape(w: u64) -> bool {
    escape_flags(w) != 0
}

/// The eight bytes at the start of `w` as a little-endian word.
fn word(w: &[u8]) -> u64 {
    u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
}

/// How many bytes at the start of `bytes` need no escape, by words of
/// eight bytes (the last one overlapping the one before), or byte by byte
/// through the table when there are fewer than eight.
fn clean_len_words(bytes: &[u8]) -> usize {
    let n = bytes.len();
    if n < 8 {
        return bytes
            .iter()
            .position(|&b| ESCAPE[usize::from(b)] != 0)
            .unwrap_or(n);
    }
    let mut i = 0;
    // The last word overlaps the one before: the bytes both hold were
    // found clean, so its lowest flag is still the first byte to escape.
    loop {
        let at = i.min(n - 8);
        let flags = escape_flags(word(&bytes[at..at + 8]));
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        if at + 8 == n {
            return n;
        }
        i += 8;
    }
}

/// How many bytes at the start of `bytes` need no escape: sixteen at a
/// time with SSE2 (part of every x86-64 CPU, so no run-time choice), the
/// last block overlapping the one before; strings shorter than a block
/// go by words. Key decision: nearly every string of a finding (rule,
/// kind, path, mask, fingerprint, the record's names) needs no escape at
/// all, so the whole string is checked first and copied in one piece; the
/// word loop this replaces was the biggest part of rendering a finding,
/// about 5% of a directory scan (callgrind). A test checks it against the
/// table on every byte at every place.
#[cfg(target_arch = "x86_64")]
fn clean_len(bytes: &[u8]) -> usize {
    if bytes.len() < 16 {
        return clean_len_words(bytes);
    }
    // SAFETY: SSE2 is part of x86-64: every CPU that runs this has it.
    unsafe { clean_len_sse2(bytes) }
}

/// [`clean_len`] of at least 16 bytes, by blocks of 16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn clean_len_sse2(bytes: &[u8]) -> usize {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let n = bytes.len();
    debug_assert!(n >= 16);
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let control = _mm_set1_epi8(0x1f);
    let mut i = 0;
    loop {
        // The last block overlaps the one before: the bytes both hold were
        // found clean, so its lowest bit is still the first byte to escape.
        let at = i.min(n - 16);
        // SAFETY: `at + 16 <= n`: the 16 bytes read lie inside `bytes`
        // (an unaligned load).
        let v = unsafe { _mm_loadu_si128(bytes.as_ptr().add(at).cast()) };
        // A quote, a backslash, or at most 0x1f (unsigned: the minimum
        // with 0x1f is the byte itself).
        let dirty = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            _mm_cmpeq_epi8(_mm_min_epu8(v, control), v),
        );
        let bits = _mm_movemask_epi8(dirty) as u32;
        if bits != 0 {
            return at + bits.trailing_zeros() as usize;
        }
        if at + 16 == n {
            return n;
        }
        i += 16;
    }
}

/// [`clean_len`] elsewhere: by words.
#[cfg(not(target_arch = "x86_64"))]
fn clean_len(bytes: &[u8]) -> usize {
    clean_len_words(bytes)
}

/// Appends `s` as a quoted JSON string: the runs that need no escape (the
/// whole string, nearly always) copied in one piece each.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut from = 0;
    loop {
        let clean = from + clean_len(&bytes[from..]);
        out.extend_from_slice(&bytes[from..clean]);
        let Some(&b) = bytes.get(clean) else { break };
        let e = ESCAPE[usize::from(b)];
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(e);
        }
        from = clean + 1;
    }
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
                assert_renders_as_serde_json(&f, tag, (&mut ours, &mut theirs));
            }
        }
    }

    /// Findings whose names come from a small pool (so that the openings'
    /// table is hit, missed and taken over), rendered as serde_json does.
    #[test]
    fn shared_names_are_serde_json_s() {
        let mut rng = TestRng(9);
        let pool: Vec<Arc<str>> = (0..6).map(|_| text(&mut rng).into()).collect();
        // Two names of the same text in different allocations.
        let mut pool = pool;
        pool.push(pool[0].to_string().into());
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let mut f = finding(&mut rng);
            f.rule = pool[rng.below(pool.len())].clone();
            f.kind = pool[rng.below(pool.len())].clone();
            f.path = pool[rng.below(pool.len())].clone();
            let tag = rng.below(2) == 0;
            assert_renders_as_serde_json(&f, tag, (&mut ours, &mut theirs));
        }
    }

    /// Renders `f` with `write_finding` and with serde_json (into the two
    /// buffers, cleared first) and asserts the bytes are the same.
    fn assert_renders_as_serde_json(
        f: &Finding,
        tag: bool,
        (ours, theirs): (&mut Vec<u8>, &mut Vec<u8>),
    ) {
        ours.clear();
        theirs.clear();
        write_finding(ours, f, tag);
        if tag {
            serde_json::to_writer(&mut *theirs, &Line::Finding(f)).unwrap();
        } else {
            serde_json::to_writer(&mut *theirs, f).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs)
        );
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

    /// Both ways of finding the first byte to escape agree with the table,
    /// for strings of every length up to past three blocks, with one or two
    /// bytes to escape at every place (and none).
    #[test]
    fn clean_len_is_the_table() {
        let want = |b: &[u8]| {
            b.iter()
                .position(|&c| ESCAPE[usize::from(c)] != 0)
                .unwrap_or(b.len())
        };
        let mut rng = TestRng(11);
        let odd = [
            0u8, 0x1f, 0x20, b'"', b'\\', 0x7f, 0x80, 0x9f, 0xa0, 0xdc, 0xff, b'!',
        ];
        for n in 0..56 {
            for _ in 0..200 {
                // Clean bytes of every kind around the borders of the tests.
                let mut s: Vec<u8> = (0..n)
                    .map(|_| match rng.below(3) {
                        0 => [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa0, 0xe5, 0xff]
                            [rng.below(10)],
                        _ => b'a' + rng.below(26) as u8,
                    })
                    .collect();
                for _ in 0..rng.below(3) {
                    if n > 0 {
                        s[rng.below(n)] = odd[rng.below(odd.len())];
                    }
                }
                assert_eq!(clean_len(&s), want(&s), "{s:?}");
                assert_eq!(clean_len_words(&s), want(&s), "{s:?}");
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
