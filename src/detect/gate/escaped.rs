//! The gate's test for JSON lines with escapes (`\uXXXX`, `\"`): such a
//! line is hot unless no *level* of it holds anything the full scan could
//! report from.
//!
//! Level 0 is the line as written; level k+1 is level k with every JSON
//! escape decoded (the same decoder the walker uses), until a level holds
//! no backslash. Every text the full scan looks at in the line is a piece
//! of some level, cut at quotes or line breaks (which no run crosses):
//! - a string without escapes stands as written in every level;
//! - a string with escapes, decoded by the walker, stands in the next
//!   level: outside strings valid JSON has no backslash, so decoding the
//!   whole level treats each string as decoding it alone would (an escape
//!   never reaches past the closing quote, as no quote is a hex digit);
//! - a decoded string that is JSON itself is walked, and its own strings
//!   are pieces of that level or, decoded once more, of the next one;
//! - a line (or nested string) that is not valid JSON, or is nested past
//!   the depth limit, is scanned as the text it is in its level;
//! - labels (keys) and the context window of a value are pieces of levels
//!   too.
//!
//! So the line is hot when some level holds a regex keyword or word-list
//! term, a token candidate a validator confirms, or a format-only
//! candidate whose rule has a context word or column synonym in some level
//! (anywhere in the line: the whole line over-approximates the value's
//! field, window and label). Negative context is ignored: it can only take
//! a finding away.

use super::{Need, RuleFilters, run_needs};
use crate::detect::rules::{Matcher, RuleSet};
use crate::detect::tokenizer::{Run, for_each_run_at};

/// Levels decoded at most; a line still holding escapes after them (JSON
/// in a string in a string… this deep) is left to the full scan.
const MAX_LEVELS: usize = 8;

/// Scratch space of the escaped-line test.
#[derive(Debug, Default)]
pub(in crate::detect) struct EscapedScratch {
    /// Decoded levels 1, 2, … of the current line.
    levels: Vec<Vec<u8>>,
    run: Run,
    group_lens: Vec<usize>,
}

/// True when the full scan may report something from `line`, a JSON line
/// holding a backslash (see the module doc).
pub(in crate::detect) fn escaped_line_is_hot(
    rules: &RuleSet,
    line: &[u8],
    s: &mut EscapedScratch,
    filters: &mut RuleFilters,
) -> bool {
    // Decode every level first: the cheap tests below then run over each.
    let mut used = 0;
    loop {
        let cur: &[u8] = if used == 0 { line } else { &s.levels[used - 1] };
        if memchr::memchr(b'\\', cur).is_none() {
            break;
        }
        if used == MAX_LEVELS {
            return true;
        }
        if s.levels.len() == used {
            s.levels.push(Vec::new());
        }
        let (done, rest) = s.levels.split_at_mut(used);
        let src: &[u8] = if used == 0 { line } else { &done[used - 1] };
        let next = &mut rest[0];
        next.clear();
        crate::chunk::unescape_json(src, next);
        used += 1;
        if rest[0][..] == src[..] {
            break; // only escapes kept as written (`\x`): all further levels are this one
        }
    }
    let levels = std::iter::once(line).chain(s.levels[..used].iter().map(Vec::as_slice));
    // The caller found no keyword in the line as written; the regex pass
    // also searches the decoded strings.
    if let Some(k) = &rules.keywords {
        for level in levels.clone().skip(1) {
            let mut hit = false;
            k.for_each(level, |_, _, _| hit = true);
            if hit {
                return true;
            }
        }
    }
    // The line as written is scanned only when it is not valid JSON (it is
    // then one text field); else every field, key and window is a piece
    // of a decoded level, and the raw escapes (`\u6536`, full of digit
    // runs) need no look.
    let trimmed = line.trim_ascii();
    let skip = if matches!(trimmed.first(), Some(b'{' | b'[')) {
        if !walks(trimmed) {
            // Walked, it falls back to text and counts as malformed in the
            // summary: that count must not depend on the gate either.
            return true;
        }
        1
    } else {
        0 // not JSON at all: scanned as written
    };
    // As for lines without escapes: every token rule is tried, and words
    // are looked for only for the rules of format-only candidates.
    let (rule_list, lens) = (&rules.token_rules[..], rules.token_len_mask);
    let mut format = 0u64;
    for level in levels.clone().skip(skip) {
        for &ri in &rules.word_rules {
            if let Matcher::Words { terms, .. } = &rules.rules[ri].matcher
                && terms.is_match(level)
            {
                return true;
            }
        }
        let mut need = Need::default();
        if lens != 0 {
            for_each_run_at(
                level,
                0..level.len(),
                lens.trailing_zeros() as usize,
                Some(lens),
                &mut s.run,
                |run| {
                    if !need.hot {
                        run_needs(rules, rule_list, lens, run, &mut s.group_lens, &mut need);
                    }
                },
            );
        }
        if need.hot {
            return true;
        }
        format |= need.format;
    }
    format != 0
        && levels
            .skip(skip)
            .any(|level| filters.any_in(rules, level, format))
}

/// True when the JSON walker (`source::json`) walks `line` (trimmed,
/// starting with `{` or `[`) without falling back to text: it is one JSON
/// value, nested no deeper than the limit. At least as strict as the walker, so that a
/// line it rejects is judged as written too. Like the walker, it takes any
/// escape in a string without judging it.
pub(super) fn walks(line: &[u8]) -> bool {
    fn ws(d: &[u8], mut i: usize) -> usize {
        while i < d.len() && matches!(d[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        i
    }
    fn string(d: &[u8], i: usize) -> Option<usize> {
        if d.get(i) != Some(&b'"') {
            return None;
        }
        // The walker steps over a backslash and the byte after it, so a
        // quote ends the string when an even number of backslashes (in
        // the string) stands before it. Searching for quotes alone skips
        // over runs of `\uXXXX` escapes at memchr speed.
        let mut j = i + 1;
        loop {
            let q = j + memchr::memchr(b'"', &d[j..])?;
            let run = d[i + 1..q]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if run % 2 == 0 {
                return Some(q + 1);
            }
            j = q + 1;
        }
    }
    fn value(d: &[u8], i: usize, depth: usize) -> Option<usize> {
        if depth > crate::chunk::max_json_depth() || i >= d.len() {
            return None;
        }
        match d[i] {
            b'{' => {
                let mut i = ws(d, i + 1);
                if d.get(i) == Some(&b'}') {
                    return Some(i + 1);
                }
                loop {
                    i = ws(d, string(d, ws(d, i))?);
                    if d.get(i) != Some(&b':') {
                        return None;
                    }
                    i = ws(d, value(d, ws(d, i + 1), depth + 1)?);
                    match d.get(i) {
                        Some(b',') => i += 1,
                        Some(b'}') => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let mut i = ws(d, i + 1);
                if d.get(i) == Some(&b']') {
                    return Some(i + 1);
                }
                loop {
                    i = ws(d, value(d, ws(d, i), depth + 1)?);
                    match d.get(i) {
                        Some(b',') => i += 1,
                        Some(b']') => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'"' => string(d, i),
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                let mut j = i;
                while j < d.len()
                    && matches!(d[j], b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' | b'a'..=b'z')
                {
                    j += 1;
                }
                let ok = d[i].is_ascii_digit()
                    || d[i] == b'-'
                    || matches!(&d[i..j], b"true" | b"false" | b"null");
                ok.then_some(j)
            }
            _ => None,
        }
    }
    value(line, 0, 0).is_some_and(|i| ws(line, i) == line.len())
}

#[cfg(test)]
mod tests {
    use super::walks;
    use crate::chunk::Chunk;
    use crate::source::json::{Origin, walk_or_text};

    fn walker_takes(line: &str) -> bool {
        let mut c = Chunk {
            data: line.as_bytes().to_vec(),
            ..Chunk::default()
        };
        let origin = Origin::Exact { line: 1, column: 1 };
        walk_or_text(&mut c, 0, line.len(), origin, None, "")
    }

    #[test]
    fn walks_agrees_with_the_walker() {
        for line in [
            r#"{"a":"\u624b\u673a\"x\\","b":[1,"\\\""]}"#,
            r#"{"a":"x\\"}"#,
            r#"{"a":"x\"}"#,
            r#"{"a":"x\"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\q"}"#,
            r#"{"a":"\"}"#,
            r#"[{"c":"{\"content\":\"\\u624b 13800001234\"}"}]"#,
            r#"{"a":1} x"#,
            r#"{"a":tru}"#,
            r#"{"\u0061":null,"b":-1.5e3}"#,
            "{\"a\":\"\\\n\"}",
        ] {
            assert_eq!(walks(line.as_bytes()), walker_takes(line), "{line}");
        }
    }
}
