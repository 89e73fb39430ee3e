//! The gate's test for JSON lines with escapes (`\uXXXX`, `\"`).
//!
//! Most such lines (an ensure_ascii dump, a chat record's JSON in a
//! string) have a *flat form*: the line with each string decoded and each
//! decoded string the walker walks as JSON written in its place as that
//! JSON, flattened in turn. The walker makes the same fields (texts,
//! paths, labels) of it as of the line, and it holds no backslash, so the
//! test for lines without escapes judges it field by field: a candidate
//! counts only with its rule's word in its own field or key, and a key
//! such as `msgid` drops candidates as there (see `flat_line_is_hot`).
//!
//! A line without a flat form (a decoded text holding a quote or
//! backslash, JSON in a string that does not walk) is hot unless no
//! *level* of it holds anything the full scan could report from.
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
//! a finding away. (The caller searched the line as written for keywords;
//! level 1 differs from it only in the decoded strings, so only they are
//! searched there.)
//!
//! Cost: a line that starts like JSON is walked once, and that walk
//! writes level 1 (each string decoded as it is stepped over, see
//! `decode_walk`); the tests then cost about what they cost on a line
//! without escapes of the same decoded text: one tokenizer pass per
//! level, and a word search (over the words of the format-only
//! candidates' rules only) when such candidates remain.
//!
//! Key decision: the walk is the one cost of an escaped line that a line
//! without escapes does not have, so it touches each byte as few times
//! as it can. A string that holds JSON (a chat record's item) is decoded
//! over its own opening quote in the flat form: when the document has no
//! escape of its own (most items), the walk that checks it is all that
//! is left, as it already stands where the flat form wants it. Members
//! that are strings, numbers or words are stepped over in their
//! object's or array's loop, without a call, and the depth limit is read
//! once per document.
//!
//! The flat form is searched for keywords only where it may hold one the
//! line as written does not: a line whose escapes are all `\"` (a chat
//! record's items, most escaped lines of an archive) has a flat form that
//! is the line with bytes left out, and no keyword of the built-in set
//! can match across the places where they were (see
//! `rules::keywords_never_join`), so only lines with other escapes (`\uXXXX`)
//! are searched. The walk that writes the flat form tells such lines
//! apart at no cost of its own: a chat item's document walks without
//! escape once decoded, and its escapes were all `\"` when it has two
//! quotes (as counted by the walk: two per string) for each byte its
//! decoding left out. That search was 4% of esc10's instructions
//! (callgrind, 10.3M of 257.8M Ir; 0.55M after); a search for every
//! backslash of the line to tell the lines apart cost 5.3M of that, and
//! counting the documents' quotes with `memchr` 8.7M. With AVX-512 the
//! keyword search is cheaper (the bucket search), and the walk and the
//! tokenizer pass over the flat form are most of an escaped line's time
//! (perf, esc-all).

use super::{GateScratch, Need, RuleFilters, line_is_hot, run_needs};
use crate::detect::blocks::BlockMasks;
use crate::detect::rules::{Matcher, RuleSet};
use crate::detect::tokenizer::{Run, for_each_run_at};

/// Levels decoded at most; a line still holding escapes after them (JSON
/// in a string in a string… this deep) is left to the full scan.
const MAX_LEVELS: usize = 8;

/// Scratch space of the escaped-line test.
#[derive(Debug, Default)]
pub(in crate::detect) struct EscapedScratch {
    /// Buffers of the decoded levels 1, 2, … of the current line. They
    /// only grow (a level's length is kept apart), so that no buffer is
    /// zeroed again for every line.
    levels: Vec<Vec<u8>>,
    run: Run,
    group_lens: Vec<usize>,
    /// The flat form of the current line (see [`flat_line_is_hot`]), as
    /// long as the line at least; only grows.
    flat: Vec<u8>,
    /// Decoded JSON documents nested in strings, one buffer per depth of
    /// nesting, while the flat form is written.
    nested: Vec<Vec<u8>>,
    /// Block masks of the flat form (cleared for every line).
    blocks: BlockMasks,
}

/// Whether a keyword found in `text[region]` may come with a match of its
/// regex rule in `text` (see `guard`).
pub(super) type KeywordsMayMatch<'a> = &'a dyn Fn(&[u8], std::ops::Range<usize>) -> bool;

/// True when the full scan may report something from `line`, a JSON line
/// holding a backslash (see the module doc): judged on its flat form when
/// it has one ([`flat_line_is_hot`]), else level by level
/// ([`levels_are_hot`]).
///
/// `keyword`: the line as written holds a regex keyword. The keywords of
/// the flat form are asked of `keywords`, whether a match may come with
/// them: the flat form's fields are the fields the detector reads, each a
/// piece of it. A line without a flat form is hot when it holds a keyword
/// at any level.
pub(super) fn escaped_line_is_hot(
    rules: &RuleSet,
    line: &[u8],
    g: &mut GateScratch,
    keyword: bool,
    keywords: KeywordsMayMatch<'_>,
) -> bool {
    match flat_line_is_hot(rules, line, g, keyword, keywords) {
        Some(hot) => hot,
        None if keyword => true,
        None => levels_are_hot(rules, line, &mut g.escaped, &mut g.filters),
    }
}

/// Judges `line` on its *flat form*, when it has one: the line with every
/// string that has an escape decoded, and every such string that the
/// walker walks as JSON (a chat record's `content`) written in its place
/// as the JSON it holds, flattened in turn. The walker makes the same
/// fields of the flat form as of the line (same texts, paths and labels;
/// tested), and the flat form holds no backslash: the gate's test for
/// lines without escapes (`line_is_hot`) judges it, field by field, with
/// the keys (labels) that drop candidates and the context that stays in a
/// field. `None` when the line has no flat form: it does not walk, a
/// decoded key or text holds a quote or backslash (the flat form would not
/// be the JSON it stands for), or a decoded string that looks like JSON
/// does not walk (the walker then takes it as text under its whole path)
/// or nests past `MAX_LEVELS`.
///
/// Cost: one pass over the line that decodes its strings (as
/// [`decode_walk`]), then what a line without escapes of the same decoded
/// text costs.
fn flat_line_is_hot(
    rules: &RuleSet,
    line: &[u8],
    g: &mut GateScratch,
    keyword: bool,
    keywords: KeywordsMayMatch<'_>,
) -> Option<bool> {
    let trimmed = line.trim_ascii();
    if !matches!(trimmed.first(), Some(b'{' | b'[')) {
        return None;
    }
    let s = &mut g.escaped;
    let mut flat = std::mem::take(&mut s.flat);
    if flat.len() < trimmed.len() {
        flat.resize(trimmed.len(), 0);
    }
    if s.nested.len() < MAX_LEVELS {
        s.nested.resize_with(MAX_LEVELS, Vec::new);
    }
    let mut f = Flatten {
        out: &mut flat[..],
        w: 0,
        copied: 0,
        changed: None,
        nested: &mut s.nested[..],
        only_quotes: true,
    };
    let walked = document(trimmed, 0, &mut f)
        .filter(|&end| ws(trimmed, end) == trimmed.len())
        .map(|end| {
            f.copy(trimmed, end);
            (f.w, f.changed.map_or(0..0, |(s, e)| s..e), f.only_quotes)
        });
    let hot = walked.map(|(n, changed, only_quotes)| {
        let text = &flat[..n];
        // With a keyword in the line as written, the whole flat form is
        // searched for keywords. Else only the decoded strings differ from
        // the line (as in `levels_are_hot`), and when every escape of the
        // line is `\"` (a chat record's items) no keyword can match in
        // them where it did not in the line (see
        // `rules::keywords_never_join`): they are not searched again.
        let region = match &rules.keywords {
            Some(_) if keyword => Some(0..n),
            Some(k) if !(only_quotes && k.never_join()) => Some(changed),
            _ => None,
        };
        if region.is_some_and(|r| keywords(text, r)) {
            return true;
        }
        for &ri in &rules.word_rules {
            if let Matcher::Words { terms, .. } = &rules.rules[ri].matcher
                && terms.is_match(text)
            {
                return true;
            }
        }
        // The flat form's blocks are classified many at a time, as a
        // chunk's are (kept apart from `g` while `g` is lent).
        let mut blocks = std::mem::take(&mut g.escaped.blocks);
        let hot = line_is_hot(rules, text, true, &mut blocks, g);
        g.escaped.blocks = blocks;
        hot
    });
    g.escaped.flat = flat;
    hot
}

/// True when every backslash of `line` starts a `\"` escape: what the
/// flat form's walk tells without a pass of its own (`Flatten`'s
/// `only_quotes`; a search of every backslash cost about half what the
/// keyword search it spares costs), and the reference its tests hold it to.
#[cfg(test)]
fn only_escaped_quotes(line: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', line).all(|i| line.get(i + 1) == Some(&b'"'))
}

/// True when the full scan may report something from `line`, a JSON line
/// holding a backslash, judged level by level (see the module doc).
///
/// Cost: level 1 of a line that starts like JSON is written by the
/// structure check itself ([`decode_walk`]: one pass over the line, which
/// decodes each string as it steps over it); deeper levels exist only
/// when a decoded string still holds a backslash. Words are looked for
/// only when format-only candidates remain, and only those of their rules
/// (the gate's per-rule filters, as for lines without escapes).
fn levels_are_hot(
    rules: &RuleSet,
    line: &[u8],
    s: &mut EscapedScratch,
    filters: &mut RuleFilters,
) -> bool {
    let trimmed = line.trim_ascii();
    // The line as written is scanned only when it is not valid JSON (it is
    // then one text field); else every field, key and window is a piece
    // of a decoded level, and the raw escapes (`\u6536`, full of digit
    // runs) need no look.
    let json = matches!(trimmed.first(), Some(b'{' | b'['));
    // Decode every level first: the cheap tests below then run over each.
    let mut sizes = [0usize; MAX_LEVELS];
    let first = grown(&mut s.levels, 0, line.len());
    // Where level 1 differs from the line: its decoded strings.
    let changed;
    (sizes[0], changed) = if json {
        let lead = line.len() - line.trim_ascii_start().len();
        match decode_walk(line, lead..lead + trimmed.len(), first) {
            Some(done) => done,
            // Walked, it falls back to text and counts as malformed in the
            // summary: that count must not depend on the gate either.
            None => return true,
        }
    } else {
        let n = crate::chunk::unescape_json_into(line, first);
        (n, 0..n)
    };
    let mut used = 1;
    // Only escapes kept as written (`\x`): all further levels are this one.
    let mut same = s.levels[0][..sizes[0]] == *line;
    while !same && memchr::memchr(b'\\', &s.levels[used - 1][..sizes[used - 1]]).is_some() {
        if used == MAX_LEVELS {
            return true;
        }
        let len = sizes[used - 1];
        grown(&mut s.levels, used, len);
        let (done, rest) = s.levels.split_at_mut(used);
        let src = &done[used - 1][..len];
        sizes[used] = crate::chunk::unescape_json_into(src, &mut rest[0][..]);
        same = rest[0][..sizes[used]] == *src;
        used += 1;
    }
    let decoded = s.levels[..used]
        .iter()
        .zip(sizes)
        .map(|(level, len)| &level[..len]);
    // The caller found no keyword in the line as written; the regex pass
    // also searches the decoded strings, which in level 1 all lie in
    // `changed` (the rest of it is the line as written).
    if let Some(k) = &rules.keywords {
        let first = decoded.clone().take(1).map(|level| &level[changed.clone()]);
        for level in first.chain(decoded.clone().skip(1)) {
            let mut hit = false;
            k.for_each(level, |_, _, _| hit = true);
            if hit {
                return true;
            }
        }
    }
    let raw = (!json).then_some(line);
    let mut levels = raw.into_iter().chain(decoded);
    // As for lines without escapes: every token rule is tried, and words
    // are looked for only for the rules of format-only candidates.
    let lens = rules.token_len_mask;
    let mut format = 0u64;
    for level in levels.clone() {
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
                        run_needs(rules, lens, run, &mut s.group_lens, 0, &mut need);
                    }
                },
            );
        }
        if need.hot {
            return true;
        }
        format |= need.format;
    }
    format != 0 && levels.any(|level| filters.any_in(rules, level, format))
}

/// Buffer `k` of `levels`, made at least `len` bytes long (never shorter
/// than before: its bytes are overwritten, not cleared).
fn grown(levels: &mut Vec<Vec<u8>>, k: usize, len: usize) -> &mut [u8] {
    if levels.len() <= k {
        levels.resize_with(k + 1, Vec::new);
    }
    let b = &mut levels[k];
    if b.len() < len {
        b.resize(len, 0);
    }
    b
}

/// What the structure check does with each string that holds an escape
/// (one without is stepped over by [`value`] itself: every reader of the
/// line takes it as written, and most keys, ids and texts have none).
trait Strings {
    /// Steps over the string whose opening quote is `d[i]` and whose first
    /// backslash is `d[k]` (no quote lies between them); returns the
    /// position after its closing quote, or `None` when there is none.
    fn string(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize>;

    /// [`Strings::string`] for a string that is a value (not a key).
    #[inline]
    fn scalar(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize> {
        self.string(d, i, k)
    }

    /// Notes a string without escape, stepped over by [`string`] itself
    /// (only [`Plain`] counts them).
    #[inline(always)]
    fn plain(&mut self) {}
}

/// Only steps over strings.
struct Step;

impl Strings for Step {
    fn string(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize> {
        // The walker steps over a backslash and the byte after it, so a
        // quote ends the string when an even number of backslashes (in
        // the string) stands before it. Searching for quotes alone skips
        // over runs of `\uXXXX` escapes at memchr speed.
        let mut j = k;
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
}

/// Steps over strings without escapes only: the first string with one
/// ends the walk (`None`) and clears `clean`, which stays set for a
/// document whose every string has none; `strings` counts those stepped
/// over (keys and values).
struct Plain {
    clean: bool,
    strings: usize,
}

impl Strings for Plain {
    fn string(&mut self, _: &[u8], _: usize, _: usize) -> Option<usize> {
        self.clean = false;
        None
    }

    #[inline(always)]
    fn plain(&mut self) {
        self.strings += 1;
    }
}

/// Writes the line with each string decoded to `out`: `copied` bytes of
/// the line have been dealt with, making `w` bytes of `out`; the decoded
/// strings lie in `out[changed]`.
struct Decode<'o> {
    out: &'o mut [u8],
    w: usize,
    copied: usize,
    changed: Option<(usize, usize)>,
}

impl Decode<'_> {
    /// Copies `d[self.copied..to]` as it stands.
    #[inline]
    fn copy(&mut self, d: &[u8], to: usize) {
        let n = to - self.copied;
        self.out[self.w..self.w + n].copy_from_slice(&d[self.copied..to]);
        self.w += n;
        self.copied = to;
    }
}

impl Strings for Decode<'_> {
    fn string(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize> {
        // The decoded string starts at its content, not at its first
        // escape: a keyword may begin before the escape (`secre\u0074`).
        // (One copy up to the escape: the content starts where copying
        // up to it would leave `w`.)
        let start = self.w + (i + 1 - self.copied);
        self.copy(d, k);
        // The decoder ends the string where the walker does (see
        // `unescape_json_string`). Room: decoding never lengthens, so
        // `w <= copied` and `out` (as long as the line) has room for
        // the rest of it.
        let (q, n) = crate::chunk::unescape_json_string(&d[k..], &mut self.out[self.w..])?;
        let from = self.changed.map_or(start, |c| c.0);
        self.w += n;
        self.changed = Some((from, self.w));
        self.copied = k + q; // the closing quote goes with the next copy
        Some(k + q + 1)
    }
}

/// Writes the flat form of a JSON document (see [`flat_line_is_hot`]) to
/// `out`: `copied` bytes of the document have been dealt with, making
/// `w` bytes of `out`; `out[changed]` holds everything decoded.
///
/// Room: `out` is at least as long as the line. Decoding never lengthens
/// and a nested document is no longer than the string it was decoded
/// from, so a document entered at `w0` is at most `out.len() - w0` long,
/// and `w <= w0 + copied` as it is written: every decode into `out[w..]`
/// has the room `unescape_json_string` asks for.
struct Flatten<'o> {
    out: &'o mut [u8],
    w: usize,
    copied: usize,
    changed: Option<(usize, usize)>,
    /// Buffers for the documents nested in this one, one per depth.
    nested: &'o mut [Vec<u8>],
    /// Every escape met so far is `\"` (see `only_escaped_quotes`): each
    /// string with an escape held a document without escape once decoded,
    /// whose quotes are as many as the bytes its decoding left out (no
    /// other escape gives a quote for each byte left out: see
    /// `Flatten::scalar`).
    only_quotes: bool,
}

impl Flatten<'_> {
    /// Copies `d[self.copied..to]` as it stands.
    #[inline]
    fn copy(&mut self, d: &[u8], to: usize) {
        let n = to - self.copied;
        self.out[self.w..self.w + n].copy_from_slice(&d[self.copied..to]);
        self.w += n;
        self.copied = to;
    }

    /// Notes `out[from..w]` as decoded.
    fn mark(&mut self, from: usize) {
        let from = self.changed.map_or(from, |c| c.0);
        self.changed = Some((from, self.w));
    }

    /// Steps over the string whose opening quote is `d[i]` and whose first
    /// backslash is `d[k]`, writing it decoded, up to its closing quote
    /// (left for the next copy), as `out[from..w]` (its whole content: the
    /// bytes before its first escape too). Returns the position after the
    /// closing quote and `from`.
    #[inline]
    fn decoded(&mut self, d: &[u8], i: usize, k: usize) -> Option<(usize, usize)> {
        // One copy up to the escape: the content starts where copying up
        // to it would leave `w`.
        let from = self.w + (i + 1 - self.copied);
        self.copy(d, k);
        let (q, n) = crate::chunk::unescape_json_string(&d[k..], &mut self.out[self.w..])?;
        self.w += n;
        self.copied = k + q;
        Some((k + q + 1, from))
    }

    /// Keeps the decoded text `out[from..w]` as a string of the flat form:
    /// `None` when it holds a quote or backslash.
    #[inline]
    fn text(&mut self, from: usize) -> Option<()> {
        if memchr::memchr2(b'"', b'\\', &self.out[from..self.w]).is_some() {
            return None;
        }
        self.mark(from);
        Some(())
    }
}

impl Strings for Flatten<'_> {
    fn string(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize> {
        self.only_quotes = false;
        let (next, from) = self.decoded(d, i, k)?;
        self.text(from)?;
        Some(next)
    }

    fn scalar(&mut self, d: &[u8], i: usize, k: usize) -> Option<usize> {
        // A string whose content starts like JSON (a chat record's item)
        // is decoded straight into the buffer it is walked from; any other
        // into the flat form. Either way it is then judged on its decoded
        // text, so a wrong guess costs a copy, never a verdict.
        let starts_like_json = d[i + 1..k]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| matches!(b, b'{' | b'['));
        if starts_like_json && !self.nested.is_empty() {
            self.copy(d, i + 1);
            let from = self.w;
            // Decoded over its opening quote (`out[at]`): a document with
            // no escape of its own (a chat record's item, once decoded)
            // then already stands where the flat form wants it. Room: as
            // in `decoded`, `n <= q` bytes from `at < w <= copied`.
            let at = from - 1;
            let (q, n) = crate::chunk::unescape_json_string(&d[i + 1..], &mut self.out[at..])?;
            let next = i + 1 + q + 1;
            self.copied = i + 1 + q; // the closing quote goes with the next copy
            if !looks_like_json(&self.out[at..at + n]) {
                self.only_quotes = false;
                // A text after all: moved back behind its quote.
                self.out.copy_within(at..at + n, from);
                self.out[at] = b'"';
                self.w = from + n;
                self.text(from)?;
                return Some(next);
            }
            // A document the walk steps over without meeting an escape
            // makes no call to `Strings`, so `inline` would write it as it
            // stands from its first byte other than blank to its end:
            // moved there (most start at once: no move). Any other (an
            // escape in it, or it does not walk) goes through `inline`,
            // which decides.
            let doc = &self.out[at..at + n];
            let lead = ws(doc, 0);
            let mut plain = Plain {
                clean: true,
                strings: 0,
            };
            let walked =
                document(doc, lead, &mut plain).filter(|&end| plain.clean && ws(doc, end) == n);
            if let Some(end) = walked {
                // Its escapes are all `\"` when its quotes (two for each
                // of its strings, none of which has an escape, and none
                // outside them) are as many as the bytes left out (`q -
                // n`): each `\"` leaves out one byte and gives a quote;
                // `\u0022` leaves out five for its one, any other escape
                // leaves out at least one and gives no quote, or is kept
                // as written and leaves a backslash, which a document that
                // walks without escape has not (the string holds no quote
                // not escaped). (Counting the quotes with `memchr` cost
                // more than the keyword search this spares.)
                if 2 * plain.strings != q - n {
                    self.only_quotes = false;
                }
                if lead != 0 {
                    self.out.copy_within(at + lead..at + end, at);
                }
                self.w = at + end - lead;
                self.mark(at);
                self.copied = next; // both quotes are left out
                return Some(next);
            }
            self.only_quotes = false;
            // Lent out while `buf` is read (an early `None` ends the walk).
            let nested = std::mem::take(&mut self.nested);
            let (buf, deeper) = nested.split_first_mut()?;
            if buf.len() < n {
                buf.resize(n, 0);
            }
            buf[..n].copy_from_slice(&self.out[at..at + n]);
            self.inline(&buf[..n], from, next, deeper)?;
            self.nested = nested;
            return Some(next);
        }
        self.only_quotes = false;
        let (next, from) = self.decoded(d, i, k)?;
        if !looks_like_json(&self.out[from..self.w]) {
            self.text(from)?;
            return Some(next);
        }
        let nested = std::mem::take(&mut self.nested);
        let (buf, deeper) = nested.split_first_mut()?;
        let n = self.w - from;
        if buf.len() < n {
            buf.resize(n, 0);
        }
        buf[..n].copy_from_slice(&self.out[from..self.w]);
        self.inline(&buf[..n], from, next, deeper)?;
        self.nested = nested;
        Some(next)
    }
}

/// The walker's test (`Walker::scalar`): a decoded string whose first and
/// last bytes other than ASCII whitespace are `{` `}` or `[` `]` is
/// walked as JSON.
#[inline]
fn looks_like_json(text: &[u8]) -> bool {
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let last = text.iter().rposition(|b| !b.is_ascii_whitespace());
    first
        .zip(last)
        .is_some_and(|(f, l)| matches!((text[f], text[l]), (b'{', b'}') | (b'[', b']')))
}

impl Flatten<'_> {
    /// Writes the decoded string `doc`, whose content starts at
    /// `out[from]` and which the walker walks as JSON, in place of the
    /// string, quotes and all: the walker walks it as one document (nested
    /// from depth 0, as `walk_or_text` does) and must take it whole, else
    /// it is text under its whole path (`None`). `next` is the position
    /// after the string's closing quote; `deeper` the buffers for the
    /// documents nested in `doc`.
    fn inline(
        &mut self,
        doc: &[u8],
        from: usize,
        next: usize,
        deeper: &mut [Vec<u8>],
    ) -> Option<usize> {
        let n = doc.len();
        let at = from - 1; // the opening quote
        let lead = ws(doc, 0);
        let mut inner = Flatten {
            out: &mut *self.out,
            w: at,
            copied: lead,
            changed: None,
            nested: deeper,
            only_quotes: false,
        };
        let end = document(doc, lead, &mut inner)?;
        if ws(doc, end) != n {
            return None;
        }
        inner.copy(doc, end);
        self.w = inner.w;
        self.mark(at);
        self.copied = next; // both quotes are left out
        Some(next)
    }
}

/// True when the JSON walker (`source::json`) walks `line` (trimmed,
/// starting with `{` or `[`) without falling back to text: it is one JSON
/// value, nested no deeper than the limit. At least as strict as the walker, so that a
/// line it rejects is judged as written too. Like the walker, it takes any
/// escape in a string without judging it.
pub(super) fn walks(line: &[u8]) -> bool {
    document(line, 0, &mut Step).is_some_and(|i| ws(line, i) == line.len())
}

/// [`walks`] of `line[json]` (the line trimmed), which also writes level 1
/// of the line, [`crate::chunk::unescape_json_into`] of the whole of it, to
/// `out` (at least as long as the line); returns its length and the part
/// of it that holds the decoded strings (from the content of the first
/// string with an escape to the end of the last's), or `None` when the line does
/// not walk (`out` then holds anything).
///
/// Outside strings valid JSON has no backslash, and an escape never
/// reaches past a string's closing quote, so decoding string by string
/// writes what decoding the whole line writes.
fn decode_walk(
    line: &[u8],
    json: std::ops::Range<usize>,
    out: &mut [u8],
) -> Option<(usize, std::ops::Range<usize>)> {
    let d = &line[..json.end];
    let mut dec = Decode {
        out,
        w: 0,
        copied: 0,
        changed: None,
    };
    let end = document(d, json.start, &mut dec)?;
    if ws(d, end) != d.len() {
        return None;
    }
    dec.copy(line, line.len());
    let changed = dec.changed.map_or(0..0, |(s, e)| s..e);
    Some((dec.w, changed))
}

/// The bytes the walker takes into a number or `true`/`false`/`null`.
pub(super) static NUMBER_OR_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' | b'a'..=b'z');
        b += 1;
    }
    t
};

/// The position of the first byte at or after `d[i]` that is not JSON
/// whitespace (`d.len()` when none).
fn ws(d: &[u8], mut i: usize) -> usize {
    while i < d.len() && matches!(d[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Steps over the string (a value when `scalar`, else a key) whose opening
/// quote should be `d[i]`; returns the position after it. One without
/// escape is stepped over here, without a call: its end is its first
/// quote, and no [`Strings`] does more with it.
#[inline(always)]
fn string<S: Strings>(d: &[u8], i: usize, s: &mut S, scalar: bool) -> Option<usize> {
    if d.get(i) != Some(&b'"') {
        return None;
    }
    let k = i + 1 + crate::chunk::quote_or_backslash(&d[i + 1..])?;
    if d[k] == b'"' {
        s.plain();
        Some(k + 1)
    } else if scalar {
        s.scalar(d, i, k)
    } else {
        s.string(d, i, k)
    }
}

/// Steps over the JSON document whose value starts at `d[i]`, nested at
/// most as deep as the walker takes (`max_json_depth()`, read here once
/// per document); returns the position after it (see [`value`]).
fn document<S: Strings>(d: &[u8], i: usize, s: &mut S) -> Option<usize> {
    value(d, i, crate::chunk::max_json_depth(), s)
}

/// Steps over the JSON value at `d[i]`, below which `left` more levels
/// may nest (a document starts with `max_json_depth()`: the walker's
/// limit, read once per document rather than once per value); returns
/// the position after it. A value nested past the limit (a child of one
/// with `left == 0`) fails, as in the walker.
fn value<S: Strings>(d: &[u8], i: usize, left: usize, s: &mut S) -> Option<usize> {
    match d.get(i)? {
        b'{' => {
            let mut i = ws(d, i + 1);
            if d.get(i) == Some(&b'}') {
                return Some(i + 1);
            }
            loop {
                i = ws(d, string(d, ws(d, i), s, false)?);
                if d.get(i) != Some(&b':') {
                    return None;
                }
                i = ws(d, member(d, ws(d, i + 1), left, s)?);
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
                i = ws(d, member(d, ws(d, i), left, s)?);
                match d.get(i) {
                    Some(b',') => i += 1,
                    Some(b']') => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => scalar_value(d, i, s),
    }
}

/// Steps over the value at `d[i]` inside an object or array below which
/// `left` more levels may nest, as [`value`] one level deeper: a string,
/// number or word (most members: keys' values, ids, timestamps) without
/// the call, which [`value`], being recursive, cannot inline.
#[inline(always)]
fn member<S: Strings>(d: &[u8], i: usize, left: usize, s: &mut S) -> Option<usize> {
    let left = left.checked_sub(1)?;
    match d.get(i)? {
        b'{' | b'[' => value(d, i, left, s),
        _ => scalar_value(d, i, s),
    }
}

/// Steps over the value at `d[i]` (in `d`) when it is a string, a number
/// or `true`/`false`/`null`, as the walker takes them; `None` for any
/// other.
#[inline(always)]
fn scalar_value<S: Strings>(d: &[u8], i: usize, s: &mut S) -> Option<usize> {
    match d[i] {
        b'"' => string(d, i, s, true),
        b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            let mut j = i;
            while j < d.len() && NUMBER_OR_WORD[d[j] as usize] {
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

#[cfg(test)]
mod tests {
    use super::{Flatten, decode_walk, document, only_escaped_quotes, walks, ws};
    use crate::chunk::Chunk;
    use crate::source::json::{Origin, walk_or_text};
    use proptest::prelude::*;

    /// `decode_walk` walks where `walks` does and then writes exactly the
    /// line decoded as a whole.
    fn decode_walk_agrees(line: &[u8]) -> Result<(), String> {
        let trimmed = line.trim_ascii();
        let lead = line.len() - line.trim_ascii_start().len();
        let mut out = vec![0u8; line.len()];
        let got = decode_walk(line, lead..lead + trimmed.len(), &mut out).map(|(n, changed)| {
            // Outside the decoded strings level 1 is the line as written.
            let tail = n - changed.end;
            assert_eq!(out[..changed.start], line[..changed.start]);
            assert_eq!(out[changed.end..n], line[line.len() - tail..]);
            out[..n].to_vec()
        });
        let want = walks(trimmed).then(|| {
            let mut v = Vec::new();
            crate::chunk::unescape_json(line, &mut v);
            v
        });
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?} != {want:?}"))
        }
    }

    const LINES: [&str; 16] = [
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
        "  {\"a\" : \"\\ud83d\\ude00\\u4e2d\\u+0a1\" }\t ",
        r#"{"t":{"content":"\u91c7\u8d2d55202\u53f0\uff0c\u5355\u4ef7"},"n":[]}"#,
        r#"{"a":"\u4e2d","b":"\uD83D"}  x"#,
        r#"[]"#,
    ];

    #[test]
    fn decode_walk_agrees_with_walks_and_the_decoder() {
        for line in LINES {
            assert_eq!(decode_walk_agrees(line.as_bytes()), Ok(()), "{line}");
        }
    }

    /// Sequences of up to `len - 1` pieces, each one of `pieces` or a
    /// string of `word` (a regex), all equally likely: the proptests' lines
    /// and documents.
    fn parts_of(
        pieces: &[&'static str],
        word: &'static str,
        len: usize,
    ) -> impl Strategy<Value = Vec<String>> + use<> {
        let pieces: Vec<String> = pieces.iter().map(|p| p.to_string()).collect();
        let n = pieces.len() as u32;
        proptest::collection::vec(
            prop_oneof![n => proptest::sample::select(pieces), 1 => word],
            0..len,
        )
    }

    /// JSON syntax, a piece of every line and document of the proptests.
    const SYNTAX: [&str; 8] = ["{", "}", "[", "]", "\"", ":", ",", " "];

    /// Lines made of JSON syntax, escapes (a quote, a backslash, a Chinese
    /// character, a surrogate pair, an escaped digit, an escaped quote
    /// inside an escaped string) and short words, for the proptests.
    fn line_parts() -> impl Strategy<Value = Vec<String>> {
        let escapes = [
            "\\\"",
            "\\\\\\\"",
            "\\",
            "\\u4e2d",
            "\\ud83d\\ude00",
            "\\u0031",
            "\\u0022",
            "\\n",
            "12",
            "null",
        ];
        parts_of(
            &[&SYNTAX[..], &escapes].concat(),
            "[a-z0-9\u{4e2d}]{0,6}",
            30,
        )
    }

    proptest! {
        #[test]
        fn decode_walk_agrees_on_any_line(
            parts in line_parts()
        ) {
            let line = parts.concat();
            prop_assert_eq!(decode_walk_agrees(line.as_bytes()), Ok(()));
            let obj = format!("{{\"k\":\"{line}\"}}");
            prop_assert_eq!(decode_walk_agrees(obj.as_bytes()), Ok(()));
        }
    }

    /// The flat form of `line` (see `flat_line_is_hot`), if it has one.
    fn flat(line: &[u8]) -> Option<Vec<u8>> {
        flat_and_flag(line).map(|(flat, _)| flat)
    }

    /// The flat form of `line`, if it has one, and whether its walk found
    /// every escape to be `\"` (`Flatten`'s `only_quotes`).
    fn flat_and_flag(line: &[u8]) -> Option<(Vec<u8>, bool)> {
        let trimmed = line.trim_ascii();
        let mut out = vec![0u8; trimmed.len()];
        let mut nested = vec![Vec::new(); super::MAX_LEVELS];
        let mut f = Flatten {
            out: &mut out[..],
            w: 0,
            copied: 0,
            changed: None,
            nested: &mut nested[..],
            only_quotes: true,
        };
        let end = document(trimmed, 0, &mut f).filter(|&e| ws(trimmed, e) == trimmed.len())?;
        f.copy(trimmed, end);
        let (n, only_quotes) = (f.w, f.only_quotes);
        out.truncate(n);
        Some((out, only_quotes))
    }

    /// The fields the walker makes of `line`: path, label and text.
    fn fields(line: &[u8]) -> Option<Vec<(String, String, Vec<u8>)>> {
        let mut c = Chunk {
            data: line.to_vec(),
            ..Chunk::default()
        };
        let origin = Origin::Exact { line: 1, column: 1 };
        walk_or_text(&mut c, 0, line.len(), origin, None, "").then(|| {
            c.fields
                .iter()
                .map(|f| {
                    let name = |n| c.name(n).unwrap_or("").to_string();
                    let text = c.data[f.start as usize..f.end as usize].to_vec();
                    (name(&f.path), name(&f.label), text)
                })
                .collect()
        })
    }

    /// The flat form holds no backslash, and the walker makes the same
    /// fields of it as of the line.
    fn flat_agrees(line: &[u8]) -> Result<(), String> {
        let Some((flat, only_quotes)) = flat_and_flag(line) else {
            return Ok(());
        };
        // The walk's word on the line's escapes against a search of every
        // backslash.
        if only_quotes != only_escaped_quotes(line) {
            return Err(format!("only_quotes {only_quotes}: {line:?}"));
        }
        if memchr::memchr(b'\\', &flat).is_some() {
            return Err(format!("backslash in {flat:?}"));
        }
        let (want, got) = (fields(line), fields(&flat));
        if want.is_some() && want == got {
            Ok(())
        } else {
            Err(format!("{want:?} != {got:?}"))
        }
    }

    #[test]
    fn flat_form_has_the_fields_of_the_line() {
        let nested = r#"{"c":"{\"content\":\"\u624b\u673a 13800001234\",\"n\":[1,\"{\\\"k\\\":\\\"v\\\"}\"]}","t":" [ \"\u4e2d\" ] "}"#;
        assert_eq!(
            flat(nested.as_bytes()).as_deref(),
            Some(
                r#"{"c":{"content":"手机 13800001234","n":[1,{"k":"v"}]},"t":[ "中" ]}"#.as_bytes()
            )
        );
        for line in LINES.iter().chain([&nested]) {
            assert_eq!(flat_agrees(line.as_bytes()), Ok(()), "{line}");
        }
        // Strings that start like JSON (decoded straight into the nested
        // buffer) and are or are not JSON, and JSON after a decoded line
        // break (decoded into the flat form first).
        for (line, want) in [
            (
                r#"{"a":"{\"b\":\"\u4e2d\"}","c":1}"#,
                Some(r#"{"a":{"b":"中"},"c":1}"#),
            ),
            (r#"{"a":" [1,\"\u4e2d\"] "}"#, Some(r#"{"a":[1,"中"]}"#)),
            (r#"{"a":"{ \u4e2d","c":1}"#, Some(r#"{"a":"{ 中","c":1}"#)),
            (r#"{"a":"[1]\n x"}"#, Some("{\"a\":\"[1]\n x\"}")),
            (r#"{"a":"\n{\"b\":1}"}"#, Some(r#"{"a":{"b":1}}"#)),
            (r#"{"a":"{\"b\":1} x"}"#, None),
            // Documents without an escape of their own, stepped over in
            // place (moved past their blanks), and one with an escape
            // after a stretch without, which `inline` writes.
            (
                r#"{"a":" {\"b\":[1,\"x\"]} ","c":2}"#,
                Some(r#"{"a":{"b":[1,"x"]},"c":2}"#),
            ),
            (
                r#"{"a":"[{\"b\":\"x\"},\"y\"]","c":"{}"}"#,
                Some(r#"{"a":[{"b":"x"},"y"],"c":"{}"}"#),
            ),
            (
                r#"{"a":"{\"b\":\"x\",\"c\":\"\\u4e2d\"}"}"#,
                Some(r#"{"a":{"b":"x","c":"中"}}"#),
            ),
            (r#"{"a":"{\"b\":x}"}"#, None),
            (r#"{"a":"{\"b\":}"}"#, None),
        ] {
            assert_eq!(
                flat(line.as_bytes()).as_deref(),
                want.map(str::as_bytes),
                "{line}"
            );
            assert_eq!(flat_agrees(line.as_bytes()), Ok(()), "{line}");
        }
        // No flat form: a decoded quote in a text, a backslash in a key,
        // a string that looks like JSON and does not walk.
        for line in [r#"{"a":"x\"y"}"#, r#"{"a\\b":1}"#, r#"{"a":"{\"b\":}"}"#] {
            assert_eq!(flat(line.as_bytes()), None, "{line}");
        }
    }

    proptest! {
        #[test]
        fn flat_form_has_the_fields_of_any_line(
            parts in line_parts()
        ) {
            let line = parts.concat();
            prop_assert_eq!(flat_agrees(line.as_bytes()), Ok(()));
            let obj = format!("{{\"k\":\"{line}\"}}");
            prop_assert_eq!(flat_agrees(obj.as_bytes()), Ok(()));
        }
    }

    /// The flat form judged with its blocks classified many at a time
    /// (`line_is_hot`, one `BlockMasks` kept from line to line, as the
    /// gate keeps it) and one block at a time as they are reached
    /// (`line_is_hot_in` without masks) is judged the same.
    fn blocks_agree(
        lines: &[String],
        blocks: &mut crate::detect::blocks::BlockMasks,
    ) -> Result<usize, String> {
        use crate::detect::gate::{GateScratch, line_is_hot, line_is_hot_in};
        use crate::detect::rules::RuleSet;
        static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        let rules = RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules"));
        let (mut a, mut b) = (GateScratch::default(), GateScratch::default());
        let mut hot = 0;
        for line in lines {
            let Some(flat) = flat(line.as_bytes()) else {
                continue;
            };
            let got = line_is_hot(rules, &flat, true, blocks, &mut a);
            let want = line_is_hot_in(rules, &flat, 0, flat.len(), true, None, &mut b);
            if got != want {
                return Err(format!("{got} != {want}: {line}"));
            }
            hot += usize::from(got);
        }
        Ok(hot)
    }

    /// A chat record's content: digits in every form (`\u0031`,
    /// full-width, Chinese numerals), context words, escapes and text.
    fn content_parts() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(
            prop_oneof![
                Just("\\u624b\\u673a".to_string()),
                Just("手机".to_string()),
                Just("卡号".to_string()),
                Just("身份证".to_string()),
                Just("\\u0031\\u0033\\u0038".to_string()),
                Just("１３８".to_string()),
                Just("一三八".to_string()),
                Just("\\u4e00\\u4e09".to_string()),
                Just("110101199003077777".to_string()),
                Just("6222020200112233445".to_string()),
                Just(" ".to_string()),
                Just("-".to_string()),
                Just("\\\"".to_string()),
                "[0-9]{1,12}",
                "[a-z]{1,6}",
            ],
            0..40,
        )
    }

    proptest! {
        #[test]
        fn flat_blocks_agree_on_any_line(
            a in content_parts(), b in content_parts()
        ) {
            // The second line is judged after the first with the same
            // masks: the first may be longer or shorter.
            let record = |c: &[String]| {
                format!(
                    r#"{{"msgid":"x_1696118950812","msgtime":1696118950812,"text":{{"content":"{}"}}}}"#,
                    c.concat()
                )
            };
            let mut blocks = crate::detect::blocks::BlockMasks::default();
            let lines = [record(&a), record(&b), record(&a)];
            prop_assert!(blocks_agree(&lines, &mut blocks).is_ok());
        }
    }

    #[test]
    fn flat_blocks_agree_with_blocks_one_at_a_time() {
        let mut blocks = crate::detect::blocks::BlockMasks::default();
        let lines: Vec<String> = LINES.iter().map(|l| l.to_string()).collect();
        assert_eq!(blocks_agree(&lines, &mut blocks).map(|_| ()), Ok(()));
        // Both verdicts occur on archive lines written with escapes, long
        // enough to span blocks.
        let pad = "\\u6536\\u5230\\uff0c".repeat(12);
        let archive = [
            format!(
                r#"{{"msgtime":1696118950812,"text":{{"content":"{pad}\u91c7\u8d2d55202\u53f0"}}}}"#
            ),
            format!(
                r#"{{"msgtime":1696118950812,"text":{{"content":"{pad}\u624b\u673a 13800001234"}}}}"#
            ),
        ];
        assert_eq!(blocks_agree(&archive, &mut blocks), Ok(1));
    }

    /// True when the built-in keyword search finds a keyword in `text`.
    fn keyword_in(text: &[u8]) -> bool {
        static RULES: std::sync::OnceLock<crate::detect::rules::RuleSet> =
            std::sync::OnceLock::new();
        let rules =
            RULES.get_or_init(|| crate::detect::rules::RuleSet::builtin().expect("built-in rules"));
        let mut hit = false;
        if let Some(k) = &rules.keywords {
            k.for_each(text, |_, _, _| hit = true);
        }
        hit
    }

    /// A line whose escapes are all `\"` and that holds no keyword has a
    /// flat form without one (with the built-in keywords), so that
    /// `flat_line_is_hot` need not search it.
    fn no_keyword_made(line: &[u8]) -> Result<(), String> {
        match flat_and_flag(line) {
            Some((flat, only_quotes)) => {
                if only_quotes != only_escaped_quotes(line) {
                    Err(format!("only_quotes {only_quotes}: {line:?}"))
                } else if only_quotes && !keyword_in(line) && keyword_in(&flat) {
                    Err(format!("keyword made in {flat:?}"))
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    #[test]
    fn keywords_that_join_across_left_out_bytes() {
        use crate::detect::rules::keywords_never_join;
        let builtin = crate::detect::rules::RuleSet::builtin().expect("built-in rules");
        assert!(keywords_never_join(
            builtin.rules.iter().flat_map(|r| &r.syntax.keywords)
        ));
        assert!(builtin.keywords.as_ref().expect("keywords").never_join());
        let never = |words: &[&str]| {
            let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            keywords_never_join(&words)
        };
        assert!(never(&["[at]", "{x", "x}", "secret", "@"]));
        // A quote anywhere, an opening bracket after the first byte, a
        // closing one before the last.
        for bad in ["a\"b", "\"", ":{", "x[", "}x", "]]"] {
            assert!(!never(&["secret", bad]), "{bad}");
        }
        assert!(only_escaped_quotes(br#"{"a":"{\"b\":1}"}"#));
        assert!(!only_escaped_quotes(br#"{"a":"\u0031"}"#));
        assert!(!only_escaped_quotes(br#"{"a":"x\\"}"#));
        assert!(!only_escaped_quotes(br#"{"a":"x\"#));
        for line in [
            r#"{"a":"[{\"b\":\"[at\"},\"t]\"]","c":"{\"s\":[\"secr\",\"et\"]}"}"#,
            r#"[" {\"x\":\"sec\"} ","ret"]"#,
            r#"{"a":"{\"b\":\"(at)\"}"}"#,
        ] {
            assert_eq!(no_keyword_made(line.as_bytes()), Ok(()), "{line}");
        }
        // The flat form does hold a keyword the line holds only escaped.
        let line = r#"{"a":"{\"b\":\"x@y\"}"}"#;
        assert!(keyword_in(line.as_bytes()));
        assert!(keyword_in(&flat(line.as_bytes()).expect("flat form")));
    }

    /// JSON text with keywords whole and in pieces, brackets and quotes,
    /// for a document held in a string.
    fn document_parts() -> impl Strategy<Value = Vec<String>> {
        let words = [
            "1", "\\u0022", "\\/", "secret", "sec", "ret", "[at]", "[a", "t]", "(at", ")", "艾",
            "特",
        ];
        parts_of(&[&SYNTAX[..], &words].concat(), "[a-z]{0,4}", 24)
    }

    proptest! {
        #[test]
        fn no_keyword_made_on_any_line(
            a in document_parts(), b in document_parts(), wrap in 0..6usize
        ) {
            // Each document's quotes escaped, in a string of a line; or
            // the pieces as texts of documents that walk (brackets and
            // keywords in pieces inside and around their strings).
            let esc = |p: &[String]| p.concat().replace('"', "\\\"");
            let text = |p: &[String]| p.concat().replace('"', "");
            let (ta, tb) = (text(&a), text(&b));
            let (a, b) = (esc(&a), esc(&b));
            let line = match wrap {
                0 => format!(r#"{{"a":"{a}","b":"{b}"}}"#),
                1 => format!(r#"[" {{\"k\":{a}}} ","{b}"]"#),
                2 => format!(r#"{{"a":"[{a}]","b":["{{{b}}}"]}}"#),
                3 => format!(
                    r#"{{"a":"{{\"k\":\"{ta}\",\"l\":[\"{tb}\",1]}}","b":" [\"{tb}\"] "}}"#
                ),
                4 => format!(r#"["{ta}","[\"{tb}\"]","{ta}"]"#),
                _ => format!(r#"["{a}{b}"]"#),
            };
            prop_assert_eq!(no_keyword_made(line.as_bytes()), Ok(()));
        }
    }

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
        // `walks` takes the line trimmed, as its callers pass it.
        for line in LINES {
            let trimmed = line.as_bytes().trim_ascii();
            assert_eq!(walks(trimmed), walker_takes(line), "{line}");
        }
        // Around the depth limit, as a line and as a string's document
        // (walked from depth 0, as the walker walks it): both fail at the
        // walker's depth (the limit is read once per document, not once
        // per value). The flat form writes a document one level below
        // its string, so right at the limit it nests one level too deep
        // for the walker: it then does not walk, and `line_is_hot` takes
        // it as a line that does not walk (hot wherever a key's drop or
        // a field would decide). Below the limit it has the line's
        // fields.
        let max = crate::chunk::max_json_depth();
        for depth in max.saturating_sub(3)..max + 3 {
            // Each with a quote, so that its string has escapes (one
            // without is left as it stands, in the line and the flat
            // form alike).
            for inner in [r#""x""#, r#"{"k":"v"}"#, r#"1,"x""#] {
                let line = format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
                let trimmed = line.as_bytes().trim_ascii();
                let takes = walker_takes(&line);
                assert_eq!(walks(trimmed), takes, "{depth} {inner}");
                let nested = format!(r#"{{"a":"{}"}}"#, line.replace('"', "\\\""));
                assert_eq!(flat(nested.as_bytes()).is_some(), takes, "{nested}");
                if depth + 2 < max {
                    assert_eq!(flat_agrees(nested.as_bytes()), Ok(()), "{nested}");
                }
            }
        }
    }
}
