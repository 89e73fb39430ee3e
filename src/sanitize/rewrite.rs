//! Applying replacements to a chunk's bytes so that the result keeps the
//! input's format. Plain text takes the replacement in place. JSON needs
//! care: a value inside an escaped string was found in its decoded copy
//! (the chunk's tail), so the whole string is rebuilt from the copy and
//! re-escaped in the style of the original (an ASCII-only dump stays
//! ASCII-only); a string holding JSON (`chatrecord.item[].content`) is
//! rebuilt from its own rewritten inside, to any depth; and a bare JSON
//! number that held an identifier becomes a string, since `138****1234`
//! is no number.

use crate::chunk::{Chunk, Decoded};
use crate::detect::Replacement;

/// Rewrites regions of one chunk under one set of replacements (sorted by
/// start, as `Detector::replacements` gives them). Built once per chunk: a
/// table chunk is rewritten cell by cell.
pub struct Rewriter<'a> {
    chunk: &'a Chunk,
    reps: &'a [Replacement],
    /// The chunk's decoded strings, by the position of their original.
    decoded: Vec<Decoded>,
}

impl<'a> Rewriter<'a> {
    /// A rewriter of `chunk` applying `reps`.
    pub fn new(chunk: &'a Chunk, reps: &'a [Replacement]) -> Self {
        let mut decoded = chunk.decoded.clone();
        decoded.sort_by_key(|d| d.raw.0);
        Rewriter {
            chunk,
            reps,
            decoded,
        }
    }

    /// The bytes of `data[from..to]` with every replacement inside it
    /// applied, and every decoded string whose original lies in it rebuilt.
    pub fn region(&self, from: usize, to: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(to - from);
        rewrite(self.chunk, self.reps, &self.decoded, from, to, &mut out);
        out
    }
}

/// One change inside a region.
enum Event<'a> {
    /// Replace the event's span by this text.
    Text(std::borrow::Cow<'a, str>),
    /// The decoded string whose original is `data[raw]`.
    Child(Decoded),
}

fn rewrite(
    chunk: &Chunk,
    reps: &[Replacement],
    decoded: &[Decoded],
    from: usize,
    to: usize,
    out: &mut Vec<u8>,
) {
    let data = &chunk.data[..];
    let mut events: Vec<(usize, usize, Event<'_>)> = Vec::new();
    let lo = reps.partition_point(|r| r.start < from);
    for r in &reps[lo..] {
        if r.start >= to {
            break;
        }
        if r.end > to {
            continue;
        }
        // A bare number that holds the value becomes a string.
        match number_field(chunk, r.start) {
            Some((fs, fe)) if fs >= from && fe <= to => {
                let mut text = String::from("\"");
                text.push_str(&String::from_utf8_lossy(&data[fs..r.start]));
                text.push_str(&r.text);
                text.push_str(&String::from_utf8_lossy(&data[r.end..fe]));
                text.push('"');
                events.push((fs, fe, Event::Text(text.into())));
            }
            _ => events.push((r.start, r.end, Event::Text(r.text.as_str().into()))),
        }
    }
    let lo = decoded.partition_point(|d| (d.raw.0 as usize) < from);
    for d in &decoded[lo..] {
        if d.raw.0 as usize >= to {
            break;
        }
        if d.raw.1 as usize <= to {
            events.push((d.raw.0 as usize, d.raw.1 as usize, Event::Child(*d)));
        }
    }
    events.sort_by_key(|e| (e.0, std::cmp::Reverse(e.1)));
    let mut pos = from;
    for (s, e, ev) in events {
        if s < pos {
            continue; // inside a span already replaced
        }
        out.extend_from_slice(&data[pos..s]);
        match ev {
            Event::Text(text) => out.extend_from_slice(text.as_bytes()),
            Event::Child(d) => {
                let (cs, ce) = (d.copy.0 as usize, d.copy.1 as usize);
                let mut inner = Vec::with_capacity(ce - cs);
                rewrite(chunk, reps, decoded, cs, ce, &mut inner);
                if inner[..] == data[cs..ce] {
                    out.extend_from_slice(&data[s..e]);
                } else {
                    let raw = &data[s..e];
                    let ascii =
                        raw.iter().all(|b| b.is_ascii()) && inner.iter().any(|b| !b.is_ascii());
                    escape(&String::from_utf8_lossy(&inner), ascii, out);
                }
            }
        }
        pos = e;
    }
    out.extend_from_slice(&data[pos..to]);
}

/// The field holding `pos` when it is a bare JSON number (its byte before
/// is not a quote), as a range.
fn number_field(chunk: &Chunk, pos: usize) -> Option<(usize, usize)> {
    if !chunk.walked && chunk.fields.is_empty() {
        return None;
    }
    let i = chunk.fields.partition_point(|f| (f.start as usize) <= pos);
    let f = chunk.fields.get(i.checked_sub(1)?)?;
    let (s, e) = (f.start as usize, f.end as usize);
    if pos >= e || s == 0 {
        return None;
    }
    let data = &chunk.data;
    let numeric = data[s..e]
        .iter()
        .all(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'));
    (numeric && data[s - 1] != b'"' && data.get(e) != Some(&b'"')).then_some((s, e))
}

/// JSON-escapes `text` as the content of a string (without quotes); with
/// `ascii`, every non-ASCII character is written `\uXXXX`.
pub fn escape(text: &str, ascii: bool, out: &mut Vec<u8>) {
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_original() {
        let mut out = Vec::new();
        escape("a\"b\\c\n手", false, &mut out);
        assert_eq!(out, "a\\\"b\\\\c\\n手".as_bytes());
        out.clear();
        escape("手😀", true, &mut out);
        assert_eq!(out, b"\\u624b\\ud83d\\ude00");
    }
}
