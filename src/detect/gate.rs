//! The line gate: decides, from a chunk's raw bytes, which of its lines
//! may hold a finding, so that the costly steps (walking JSON into fields,
//! scoring context) run on those lines only. In a session archive most
//! messages hold no identifier; they cost one pass of the run tokenizer
//! and nothing else.
//!
//! Key decision: the gate over-approximates and never under-approximates.
//! A line is *hot* (fully scanned) when it holds
//! - a backslash (JSON escapes can hide digits and context words) and, in
//!   its flat form (strings decoded, JSON in strings inlined), any of the
//!   below; or, for a line without one, in some decoded level of the line
//!   (see the submodule `escaped`: a format-only candidate then counts
//!   with a context word anywhere in the line's levels), or a JSON line
//!   the walker rejects,
//! - a keyword of a regex rule (email, secrets) or a term of a word list,
//! - a token candidate that a validator confirms (`Strength::Checked`), or
//! - a format-only candidate (`Strength::Format`, reported only next to
//!   context) and one of its rule's context words or column synonyms in
//!   its run's context window (which for plain text may reach into the
//!   line before; in JSON it is cut to the line) or, in JSON, in a key
//!   before the run (the candidate's label, if the line walks).
//!
//! In a JSON line that walks, two kinds of candidates in a value right
//! after its key (the walker makes that key the value's label) count for
//! nothing, as the detector drops them: any candidate whose key names its
//! rule as something else (a negative word such as `msgid` and no positive
//! word or column synonym of the rule, see `label_drops`) while the value
//! holds no word of the rule (a numeric `msgid` passes a card's checksum
//! one time in ten); and a format-only one whose only words in the value
//! sit inside neutral words (户名 in 客户名单), as `window_rules` tells.
//!
//! The detector's context window never reaches past the previous line, and
//! in a JSON line it is the field and its key, both on the line; so a line
//! the gate leaves out can hold no finding the full scan would report. The
//! integration tests compare gated and ungated scans of every fixture.
//!
//! Cost: a line costs one pass of the run tokenizer with every token rule;
//! a candidate asks only the rules of its length that can take it (for an
//! all-digit one, the format-only rules of digits are one mask and each
//! validator answers with its strength alone; for one with a letter, only
//! the rules whose shape lets its letters and digits stand where they are:
//! see [`RuleSet::by_len`]), and a format-only rule already seen on the
//! line is not asked again. A run of one plain ASCII group (most runs:
//! timestamps, message ids) is decided from its bytes when it is all
//! digits, and is built (copied into normalized form) only when it holds a
//! letter where some letter rule of its length takes one (see `LineSink`);
//! a run of ASCII digit groups joined by ASCII separators (dates, amounts,
//! meeting numbers) is decided from its digits and groups, never built (see
//! `digit_groups_need`). Context words are looked for only after that, and
//! only for what the candidates need: not at all when a candidate is
//! confirmed or none is format-only; else in the stretches the detector
//! could look at for those candidates: each run's context window and, in
//! JSON, the keys before it (see `windows_clean`: on an archive line, the
//! stretch from the line's start to just past the timestamp, which holds
//! the record's keys, and the windows of the values in the message; about
//! two thirds of the line, and none of a long message's tail). They are
//! searched with a word filter ([`super::wordfilter`]) over the words of
//! just the rules of the line's format-only candidates. Such filters are
//! built on a worker's first use of a set of rules, once for all workers
//! (`RuleSet::gate_filters`), and each worker keeps its own handles (at
//! most `MAX_RULE_FILTERS`; past them the automaton answers); a set is usually
//! one or two rules (an archive line: the timestamp's and the dates'
//! account and permit rules), whose words fill a single group of buckets:
//! on archive lines a scan of the whole line costs about 1.0k instructions
//! against 3.0k for one filter over every word, and the stretches about
//! 0.77k. Most lines hold none of those words there, and every one of their
//! candidates is cold whether the line walks or not: no field, key or JSON
//! structure is looked at. Only when some word is there is each run judged
//! alone: in plain text its window; in JSON its key, its field, and its
//! window (exactly as above, each with the filter of just the run's rules),
//! and, for a run whose window holds a word that its field and key do not,
//! the JSON structure of the line (it is cold if the line walks). The
//! filters answer exactly (as the automaton would), so the hot lines are
//! those a search of every word would give.

mod escaped;

use super::blocks::BlockMasks;
use super::rules::{KeywordCursor, Matcher, RuleSet, number_byte};
use super::tokenizer::{
    Group, Run, RunSink, decimal_or_date, for_each_run_at_into, for_each_run_in_into, holds_letter,
    word_at,
};
use super::validators::{Candidate, Strength};
use super::wordfilter::WordFilter;
use super::{Detector, Scratch, token_verdict};
use crate::chunk::{Chunk, LineSpan};

/// Per-worker gate scratch space.
#[derive(Debug, Default)]
pub(super) struct GateScratch {
    run: Run,
    group_lens: Vec<usize>,
    /// The JSON keys seen so far (keys repeat on every line of an
    /// archive), with their context rules and the rules they drop.
    keys: Vec<(Vec<u8>, KeyRules)>,
    /// Context-word hits in a field (see `window_rules`).
    hits: Vec<(usize, usize, u32)>,
    /// The runs of a line with format-only candidates (start, end, rules),
    /// judged once the line's candidates are all seen.
    pending: Vec<(usize, usize, u64)>,
    /// Word filters over the words of a few rules.
    filters: RuleFilters,
    /// Starts of word-list hits in the chunk, in order.
    words: Vec<usize>,
    /// Decoded levels of a line with escapes.
    escaped: escaped::EscapedScratch,
    /// Block masks of the chunk, kept from one line to the next (see
    /// `line_is_hot_in`).
    blocks: BlockMasks,
}

/// The line gate's first passes over a chunk's bytes, made by a thread
/// that has them at hand before the gate runs ([`Detector::prepass`]; the
/// reader thread at `-j1`, see `scan::read_all`) and handed to
/// [`Detector::hot_lines`], which then makes neither: the regex rules'
/// keyword hits, and the masks of the chunk's blocks (see
/// [`BlockMasks`]). Both are exactly what the gate would make: the same
/// search over the same bytes, and masks of every block filtered for the
/// same shortest length, of which the gate's own are a part (the
/// stretches they measure may reach further back, which only keeps more
/// candidates, see [`BlockMasks`]).
#[derive(Debug)]
pub struct Prepass {
    /// The regex rules' keyword hits (start, end, keyword), in order.
    keyword_hits: Vec<(usize, usize, usize)>,
    /// The masks of every block, filtered for the shortest token length
    /// (none when no token rule is on).
    masks: Option<BlockMasks>,
}

/// What the token candidates of a line need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Need {
    /// The line is hot: a validator confirmed a candidate, or a
    /// format-only one has its context.
    hot: bool,
    /// Rules (bits) with format-only candidates: reported only next to
    /// one of their rule's context words or column synonyms.
    format: u64,
}

impl Need {
    /// Nothing: no candidate is confirmed or format-only.
    fn is_none_needed(&self) -> bool {
        !self.hot && self.format == 0
    }
}

/// How far ahead of the line being judged [`Detector::hot_lines`] searches
/// the regex rules' keyword hits, when they were not found beforehand.
///
/// Key decision: the keyword search is the first pass over a chunk's bytes
/// (the one that brings them from memory); made over the whole chunk (4
/// MiB, twice this CPU's L2 cache) before the first line was judged, every
/// later pass over a line (its line break and backslash, block masks,
/// runs, windows) read its bytes back from L3. A stretch at a time, they
/// are still in L1 or L2. Paired on the 300 MB archive, same findings:
/// pinned 0.98-0.99 (9 to 15 rounds in three sets, stretches of 4, 8 and
/// 16 KiB alike; 64 KiB 0.997), the build landed 0.980 (13 rounds); -j2
/// 0.984 and 0.991. The hits are the same, in the same order, as those of
/// one search of the whole chunk (tested), so the regex pass still takes
/// them from here.
const KEYWORD_STRETCH: usize = 8 * 1024;

impl Detector<'_> {
    /// Writes to `out` the lines of `data[body]` that may hold a finding
    /// (the bytes around `body` are context lent by the neighbouring
    /// chunks). `json` says the lines are JSON lines (context stays on the
    /// line); otherwise they are plain text (context may sit on the line
    /// before). Returns the number of lines of `data[body]` (its line
    /// breaks, plus one when it does not end with one): the scan numbers
    /// a chunk's lines from it (see `chunk::LineLedger`). `prepass` holds
    /// the gate's first passes over `data` when they were made already
    /// ([`Detector::prepass`]).
    pub fn hot_lines(
        &self,
        data: &[u8],
        body: std::ops::Range<usize>,
        json: bool,
        prepass: Option<Prepass>,
        scratch: &mut Scratch,
        out: &mut Vec<LineSpan>,
    ) -> u32 {
        out.clear();
        let rules = self.rules;
        // Masks of this chunk's blocks only (the escaped path scans other
        // buffers, with masks of its own).
        let mut blocks = std::mem::take(&mut scratch.gate.blocks);
        // The keyword hits are kept for the regex pass of this chunk. Unless
        // found beforehand, they are searched a stretch at a time ahead of
        // the lines judged (see `KEYWORD_STRETCH`), and to the data's end
        // after them.
        let (found, masks) = prepass.map_or((None, None), |p| (Some(p.keyword_hits), p.masks));
        let mut cursor = match found {
            Some(found) => {
                scratch.keyword_hits = found;
                KeywordCursor::past(data.len())
            }
            None => {
                scratch.keyword_hits.clear();
                KeywordCursor::default()
            }
        };
        let keywords = self.rules.keywords.as_ref();
        match masks {
            Some(masks) => std::mem::replace(&mut blocks, masks).recycle(),
            None => blocks.clear(),
        }
        scratch.keyword_len = data.len();
        let hits = &mut scratch.keyword_hits;
        let g = &mut scratch.gate;
        // Word-list rules (user rules only) make their lines hot.
        g.words.clear();
        for &ri in &rules.word_rules {
            if let Matcher::Words { terms, .. } = &rules.rules[ri].matcher {
                g.words.extend(terms.find_iter(data).map(|m| m.start()));
            }
        }
        g.words.sort_unstable();
        let mut wi = 0usize;
        let all = rules.rules.len() > 64;
        let (mut start, mut index, mut kw) = (body.start, 0u32, 0usize);
        while start < body.end {
            // The last line of a chunk cut inside a line runs on into the
            // bytes lent by the next chunk: a number the cut fell into is
            // whole only there (it is reported here, as it starts here).
            //
            // In JSON the same pass notes whether the line holds a
            // backslash (one pass over the line instead of two).
            let line_end = |from: usize| {
                first_of(&data[from..body.end], b'\n', b'\n').map_or_else(
                    || {
                        first_of(&data[body.end..], b'\n', b'\n')
                            .map_or(data.len(), |i| body.end + i)
                    },
                    |i| from + i,
                )
            };
            let (end, backslash) = if json {
                match first_of(&data[start..body.end], b'\n', b'\\') {
                    Some(i) if data[start + i] == b'\n' => (start + i, false),
                    Some(i) => (line_end(start + i), true),
                    None => {
                        let end = line_end(body.end);
                        (end, memchr::memchr(b'\\', &data[body.end..end]).is_some())
                    }
                }
            } else {
                (line_end(start), false)
            };
            let mut hot = all;
            if let Some(k) = keywords
                && !cursor.covers(end)
            {
                let to = end + KEYWORD_STRETCH;
                k.for_each_until(data, to, &mut cursor, |s, e, k| hits.push((s, e, k)));
            }
            while kw < hits.len() && hits[kw].0 < start {
                kw += 1;
            }
            // Whether the line as written holds a keyword.
            let mut keyword = false;
            if kw < hits.len() && hits[kw].0 < end {
                // A line with escapes is judged on its decoded text, in
                // which the keywords are searched again.
                keyword = true;
                let ids = hits[kw..].iter().take_while(|h| h.0 < end).map(|h| h.2);
                hot = hot || (!backslash && self.keywords_may_match(&data[start..end], ids));
            }
            while wi < g.words.len() && g.words[wi] < start {
                wi += 1;
            }
            if wi < g.words.len() && g.words[wi] < end {
                hot = true;
            }
            // In JSON, escapes (`\u0031`, `\"`) can hide digits and words:
            // such a line is judged on each of its decoded levels, with the
            // whole line as context. Plain text is never decoded: a
            // backslash means nothing there.
            if !hot && backslash {
                let decoded = |text: &[u8], region| self.keywords_may_match_in(text, region);
                hot = escaped::escaped_line_is_hot(rules, &data[start..end], g, keyword, &decoded);
            } else if !hot {
                hot = line_is_hot_in(rules, data, start, end, json, Some(&mut blocks), g);
            }
            if hot {
                out.push(LineSpan {
                    start: start as u32,
                    end: end as u32,
                    line: index,
                });
            }
            start = end + 1;
            index += 1;
        }
        g.blocks = blocks;
        if let Some(k) = keywords {
            k.for_each_until(data, data.len(), &mut cursor, |s, e, k| {
                hits.push((s, e, k))
            });
        }
        index
    }

    /// Runs the gate over `chunk`'s body ([`Detector::hot_lines`], as JSON
    /// lines when `json`) and leaves its verdict on the chunk, as the
    /// detector reads it: the hot lines (`Chunk::hot`, moved out of
    /// `lines`, a buffer the caller keeps) and the length of the bytes
    /// gated (`Chunk::gated_len`). Returns the number of lines of the body.
    pub fn gate_chunk(
        &self,
        chunk: &mut Chunk,
        json: bool,
        prepass: Option<Prepass>,
        scratch: &mut Scratch,
        lines: &mut Vec<LineSpan>,
    ) -> u32 {
        let walked = self.hot_lines(&chunk.data, chunk.body(), json, prepass, scratch, lines);
        chunk.hot = Some(std::mem::take(lines));
        chunk.gated_len = chunk.data.len() as u32;
        walked
    }

    /// The gate's first passes over `data` (a chunk's bytes), as
    /// [`Detector::hot_lines`] makes them: for a thread that has the bytes
    /// at hand to make them before the gate runs.
    pub fn prepass(&self, data: &[u8]) -> Prepass {
        let mut keyword_hits = Vec::new();
        self.keyword_hits_into(data, &mut keyword_hits);
        let lens = self.rules.token_len_mask;
        let masks = (lens != 0).then(|| BlockMasks::of_all(data, lens.trailing_zeros() as usize));
        Prepass {
            keyword_hits,
            masks,
        }
    }

    /// The regex rules' keyword hits in `data` (start, end, keyword), in
    /// order, written over `hits`.
    fn keyword_hits_into(&self, data: &[u8], hits: &mut Vec<(usize, usize, usize)>) {
        hits.clear();
        if let Some(k) = &self.rules.keywords {
            k.for_each(data, |s, e, k| hits.push((s, e, k)));
        }
    }

    /// Whether the keywords (ids) found in `line` (one line; or a line's
    /// flat form, see `escaped`) may come with a match of their regex rules
    /// there: false only when each of their rules has a guard that rules a
    /// match in `line` out (see `guard`; every match of such a rule lies in
    /// one line, and every text the detector searches for it on the line
    /// is a piece of `line`).
    fn keywords_may_match(&self, line: &[u8], keywords: impl IntoIterator<Item = usize>) -> bool {
        // Rules ruled out already (a line holds few hits, of few rules).
        let mut out = 0u64;
        for k in keywords {
            for &ri in &self.rules.keyword_rules[k] {
                if ri < 64 && out & (1 << ri) != 0 {
                    continue;
                }
                match &self.rules.rules[ri].matcher {
                    Matcher::Regex {
                        guard: Some(guard),
                        regex,
                        ..
                    } if ri < 64 && !guard.may_match(line) => {
                        debug_assert!(!regex.is_match(line));
                        out |= 1 << ri;
                    }
                    _ => return true,
                }
            }
        }
        false
    }

    /// [`Detector::keywords_may_match`] for the keywords found in
    /// `text[region]`, asked of the whole `text` (a decoded string's field
    /// may begin before the bytes its escapes changed).
    fn keywords_may_match_in(&self, text: &[u8], region: std::ops::Range<usize>) -> bool {
        let Some(k) = &self.rules.keywords else {
            return false;
        };
        // The keywords found, as bits (a keyword past the 64th: asked as
        // found, which keeps the line hot).
        let (mut found, mut past) = (0u64, false);
        k.for_each(&text[region], |_, _, k| match k {
            0..64 => found |= 1 << k,
            _ => past = true,
        });
        if past {
            return true;
        }
        let ids = std::iter::successors((found != 0).then_some(found), |&m| {
            let m = m & (m - 1);
            (m != 0).then_some(m)
        })
        .map(|m| m.trailing_zeros() as usize);
        self.keywords_may_match(text, ids)
    }
}

impl Scratch {
    /// Forgets the keyword hits [`Detector::hot_lines`] kept for the
    /// detector's regex pass: the caller detects in other bytes than the
    /// gate read (a mapped chunk's kept lines copied out, see `scan`), so
    /// the pass must search them afresh.
    pub fn forget_keyword_hits(&mut self) {
        self.keyword_len = 0;
    }
}

/// Runs the tokenizer and the token rules' validators over one line and
/// says whether the line may hold a finding. A format-only candidate is
/// checked against its run's own context window and, in JSON, the keys
/// before it (`windows_clean`), which is all the detector looks at for it
/// whether or not the line walks; where a word lies there, against its own
/// field and key if it is a value right after its key (all the detector
/// looks at if the line walks, see `Detector::score`).
///
/// Context words are looked for only when the line's candidates are all
/// seen and none is confirmed, and only for the rules of its format-only
/// candidates (see the module doc). Every token rule is tried on every
/// line, which confirms exactly the candidates the rules with a validator
/// or checked strength alone would (only those confirm one, on the same
/// candidates: the tokenizer's lengths only grow); the format-only
/// candidates this adds count only next to a word of their rule, and the
/// filter finds none on a line without.
///
/// This entry judges the whole of `data`, one line alone in its buffer
/// (the flat form of a line with escapes), with its candidates read off
/// `blocks`: cleared first (the buffer changed), then filled many blocks
/// at a time, as a chunk's are. No byte follows the line, so the runs are
/// those of a scan of the line alone (see [`for_each_run_in`]).
fn line_is_hot(
    rules: &RuleSet,
    data: &[u8],
    json: bool,
    blocks: &mut BlockMasks,
    g: &mut GateScratch,
) -> bool {
    blocks.clear();
    line_is_hot_in(rules, data, 0, data.len(), json, Some(blocks), g)
}

/// [`line_is_hot`] with the candidates read off `blocks`, the block masks
/// that earlier lines of the same `data` left (the lines of a chunk in
/// order, each followed by its line break or the data's end; see
/// [`BlockMasks`]): a block that two lines share is classified once.
fn line_is_hot_in(
    rules: &RuleSet,
    data: &[u8],
    start: usize,
    end: usize,
    json: bool,
    blocks: Option<&mut BlockMasks>,
    g: &mut GateScratch,
) -> bool {
    let lens = rules.token_len_mask;
    if lens == 0 {
        return false;
    }
    let GateScratch {
        run,
        group_lens,
        keys,
        hits,
        pending,
        filters,
        ..
    } = g;
    pending.clear();
    // Only a line that starts like JSON is walked; any other is text.
    let json = json
        && data[start..end]
            .trim_ascii()
            .first()
            .is_some_and(|b| matches!(b, b'{' | b'['));
    let mut sink = LineSink {
        rules,
        lens,
        data,
        line: (start, end),
        json,
        group_lens,
        keys: &mut *keys,
        pending: &mut *pending,
        hot: false,
        dropped: false,
        wanted: 0,
    };
    let min_len = lens.trailing_zeros() as usize;
    match blocks {
        Some(b) => for_each_run_in_into(data, start..end, min_len, Some(lens), b, run, &mut sink),
        None => for_each_run_at_into(data, start..end, min_len, Some(lens), run, &mut sink),
    }
    let LineSink {
        hot,
        dropped,
        wanted,
        ..
    } = sink;
    if hot {
        return true;
    }
    // The one JSON check the escaped-line judge uses too (a line here holds
    // no backslash, so its strings end at their first quote).
    let walks = || escaped::walks(data[start..end].trim_ascii());
    if wanted == 0 {
        return dropped && !walks();
    }
    // Most lines are decided by the runs' own windows (and, in JSON, the
    // keys before them), searched where they lie: see `windows_clean`.
    if windows_clean(rules, data, (start, end), json, pending, wanted, filters) {
        return dropped && !walks();
    }
    // Some word lies in a stretch searched: each run is judged on its own,
    // asking the word filter over the words of just its rules (`any_in`:
    // exact, as `context_rules` of the stretch and those rules would
    // answer, and several times cheaper than that byte-at-a-time walk,
    // whose table look-ups miss the cache). In JSON the runs come in line
    // order, so the quotes before each are counted on from the previous
    // one's (`Quotes`).
    //
    // In JSON: the rules of runs in a field whose key and field hold no
    // word of theirs but whose window does (`in_fields`: cold if the line
    // walks, else the detector reads it as text and the window decides),
    // and of runs not in a value right after its key (`elsewhere`: their
    // label, if the line walks, is some key before them; a word of theirs
    // anywhere on the line decides).
    let (mut in_fields, mut elsewhere) = (0u64, 0u64);
    let mut quotes = Quotes::new(start);
    for &(rs, re, format) in pending.iter() {
        if !json {
            // The detector's own context window around the run (it is
            // wider than the window of any candidate cut from the run).
            let (ws, we) = super::context_window(data, rs, re);
            if filters.any_in(rules, &data[ws..we], format) {
                return true;
            }
            continue;
        }
        // The window cut to the line, as every field is (see
        // `windows_clean`).
        let (ws, we) = json_window(start, end, rs, re);
        let Some((field, key)) = field_and_key(data, start, end, (rs, re), &mut quotes) else {
            elsewhere |= format;
            continue;
        };
        if key_rules(rules, keys, &data[key.0..key.1]).context & format != 0 {
            return true;
        }
        // A window with no word of the run's rules holds none in its part
        // inside the field either: cold whether or not the line walks.
        if !filters.any_in(rules, &data[ws..we], format) {
            continue;
        }
        in_fields |= format;
        // A bare number (`"msgtime":1700000000000`, on every archive line)
        // holds no word: only its key counts. The window within the field
        // holds the run (`ws <= rs`, `re <= we`), so it is never empty.
        let number = data[field.0..field.1].iter().all(|&b| number_byte(b));
        if (!number || rules.gate_numeric_words)
            && filters.any_in(rules, &data[ws.max(field.0)..we.min(field.1)], format)
        {
            // Hot unless each such word in a string sits inside a neutral
            // word that the detector sees too.
            let string = data[field.0] == b'"';
            let content = (field.0 + 1, field.1 - 1);
            if !string || window_rules(rules, data, (ws, we), content, re, format, hits) != 0 {
                return true;
            }
        }
    }
    if elsewhere != 0 && filters.any_in(rules, &data[start..end], elsewhere) {
        return true;
    }
    (in_fields != 0 || dropped) && !walks()
}

/// The first byte of `hay` that is `a` or `b` (`memchr2`): where a JSON
/// line ends, or that it holds an escape ([`Detector::hot_lines`]).
///
/// Key decision: with AVX-512 a loop of its own, 64 bytes a step with
/// both compares into mask registers, in place of `memchr`'s AVX2 loops
/// and their set-up on every call: the gate asks for each line's end or
/// first backslash (about 600 bytes on an archive), and `memchr2` there
/// was 3.5% of a pinned scan. On the 300 MB archive (paired runs, medians
/// of 11-21 rounds, run twice; the fastest runs' ratio in brackets): pinned
/// 0.982 and 0.996 (0.970), `-j2` 0.978, the digits-only rules at `-j2`
/// 0.916 and 0.966 (0.927). The end of a line after its first backslash
/// is found here too (one loop for both; 0.991 and 1.010 pinned, noise).
/// Prefetching 2 KiB ahead where this is the first pass over a chunk on
/// its core (digits-only rules: no keyword search before it) measured
/// 0.971, then 0.997-1.008: dropped.
#[inline]
fn first_of(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if super::simd::Simd::best() == super::simd::Simd::Avx512 {
        // SAFETY: the CPU has AVX-512 F and BW (`Simd::Avx512`).
        return unsafe { avx512::first_of(hay, a, b) };
    }
    memchr::memchr2(a, b, hay)
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// [`super::first_of`], 64 bytes a step; the last bytes with a masked
    /// load (the bytes left out read as zeros, which match only a zero
    /// `a` or `b`, and only where the mask keeps them out of the answer).
    ///
    /// # Safety
    /// The CPU must support AVX-512 F and BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn first_of(hay: &[u8], a: u8, b: u8) -> Option<usize> {
        let (va, vb) = (_mm512_set1_epi8(a as i8), _mm512_set1_epi8(b as i8));
        let found = |v: __m512i| _mm512_cmpeq_epi8_mask(v, va) | _mm512_cmpeq_epi8_mask(v, vb);
        let (n, p) = (hay.len(), hay.as_ptr());
        let mut i = 0;
        while i + 64 <= n {
            // SAFETY: `hay[i..i + 64]` is in bounds; unaligned loads are
            // allowed.
            let m = found(unsafe { _mm512_loadu_si512(p.add(i).cast()) });
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 64;
        }
        if i < n {
            let keep = (1u64 << (n - i)) - 1;
            // SAFETY: the mask holds only bytes of `hay`, and a masked load
            // touches no byte left out (nor faults on it).
            let m = found(unsafe { _mm512_maskz_loadu_epi8(keep, p.add(i).cast()) }) & keep;
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
        }
        None
    }
}

/// The context window of the run `rs..re` in the JSON line `ls..le`, cut
/// to the line: every window the detector may search for a candidate cut
/// from the run lies in it (see `windows_clean`).
#[inline]
fn json_window(ls: usize, le: usize, rs: usize, re: usize) -> (usize, usize) {
    (
        rs.saturating_sub(super::CONTEXT_BEFORE).max(ls),
        (re + super::CONTEXT_AFTER).min(le),
    )
}

/// Windows of runs further apart than this (bytes) are searched apart,
/// closer ones together with the bytes between them: a search's fixed cost
/// is about that of 80 bytes more of hay (callgrind, AVX2 scan).
const WINDOW_GAP: usize = 120;

/// True when no run in `pending` (the runs of the line `data[ls..le]` with
/// format-only candidates, in line order) has a context word or column
/// synonym of a rule in `wanted` where the detector could count it for a
/// candidate cut from the run: the line is then cold (but for the
/// candidates a key drops, see `dropped`), whatever the rest of the line
/// holds. False when some word lies in a searched stretch: the caller
/// judges the line as a whole. Every stretch is asked of the filter over
/// the words of all of `wanted` (one filter, built once).
///
/// What the detector looks at for a candidate `cs..ce` cut from the run
/// `rs..re` (`Detector::score`):
/// - In plain text (`Place::Text`), `context_window(cs, ce)`, which may
///   reach back into the previous line; it lies in the run's own
///   `context_window(rs, re)` (its ends only move out with the run's, and
///   the line breaks that cut it are the same or fewer), searched here.
/// - In a chunk of JSON lines (walked, `chunk.walked`), a line the gate
///   passes is walked (`source::text::json_lines`). If it walks, the
///   candidate is reported only from a field (`Place::Field`; the bytes
///   between fields are `Place::Outside`): a string's content (no escapes
///   here, so in place) or a number, or a key holding a digit, all on the
///   line. Its window is `context_window(cs, ce)` cut to the field, so to
///   the line: within `rs - CONTEXT_BEFORE .. re + CONTEXT_AFTER` cut to
///   the line (the run's *window* below). Its label is the innermost key
///   around the field (`label_of` of its path, array indices left out),
///   or none at the top; that key is a string that ends before the
///   field's value starts, so before `rs`. If the line does not walk (or
///   is not JSON), it is one text field: the line without its blanks,
///   under an empty label, and the window is cut to it, within the run's
///   window again. So the line is cold if no run's window holds a word
///   of its rules and no key ending before the run does.
///
/// In JSON the windows are searched as one stretch from the line's start
/// (`ls..hull`) as long as each next window starts within `WINDOW_GAP`
/// of it, so that every key before a run lies in it too: an archive
/// line's id and timestamp, near its start, cover the record's keys, up
/// to `"content":`. A window further on (a date deep in the message) is
/// searched alone when no quote lies between the stretch's end and the
/// run: a key before the run then ends (at its closing quote) before the
/// stretch's end, so inside the stretch; else the stretch is carried on
/// to its window. The line's tail past the last window (most of a long
/// message) is not searched at all. (On s20 the stretches are about two
/// thirds of the bytes of the lines that ask.)
fn windows_clean(
    rules: &RuleSet,
    data: &[u8],
    (ls, le): (usize, usize),
    json: bool,
    pending: &[(usize, usize, u64)],
    wanted: u64,
    filters: &mut RuleFilters,
) -> bool {
    let window = |rs: usize, re: usize| {
        if json {
            json_window(ls, le, rs, re)
        } else {
            super::context_window(data, rs, re)
        }
    };
    // The runs come in line order, and so do both ends of their windows.
    // In JSON, the stretch from the line's start: `ls..hull`; the quotes
    // in `hull..quote_free` are none (when `quote_free > hull`).
    let mut hull = ls;
    if json {
        let mut quote_free = ls;
        for &(rs, re, _) in pending {
            let (ws, we) = window(rs, re);
            if we <= hull {
                continue;
            }
            if ws > hull + WINDOW_GAP {
                let from = quote_free.max(hull);
                if memchr::memchr(b'"', &data[from..rs]).is_none() {
                    quote_free = rs;
                    continue; // searched alone below
                }
            }
            hull = we;
        }
        if hull > ls && filters.any_in(rules, &data[ls..hull], wanted) {
            return false;
        }
    }
    // The windows past the stretch, those close together searched as one.
    let mut open: Option<(usize, usize)> = None;
    for &(rs, re, _) in pending {
        let (ws, we) = window(rs, re);
        if we <= hull {
            continue;
        }
        open = match open {
            Some((a, b)) if ws <= b + WINDOW_GAP => Some((a, we.max(b))),
            Some((a, b)) => {
                if filters.any_in(rules, &data[a..b], wanted) {
                    return false;
                }
                Some((ws, we))
            }
            None => Some((ws, we)),
        };
    }
    open.is_none_or(|(a, b)| !filters.any_in(rules, &data[a..b], wanted))
}

/// Word filters built by the gate over the words of a few rules: lines
/// ask about the same few sets of rules again and again (the rules of an
/// archive line's timestamp and dates). Kept per worker, for one rule set
/// (rules are named by their index); each filter is built once for every
/// worker ([`RuleSet::gate_filters`]).
#[derive(Debug, Default)]
struct RuleFilters {
    /// Rule set (bits) and the filter over its words, in order of first use.
    built: Vec<(u64, std::sync::Arc<WordFilter>)>,
}

/// Sets of rules with their own filter, at most: past them the automaton
/// over every word answers.
const MAX_RULE_FILTERS: usize = 32;

impl RuleFilters {
    /// The filter over the words of the rules in `wanted` (built on first
    /// use), or `None` when as many sets as allowed have their own.
    fn of(&mut self, rules: &RuleSet, wanted: u64) -> Option<&WordFilter> {
        let at = match self.built.iter().position(|(m, _)| *m == wanted) {
            Some(at) => at,
            None if self.built.len() < MAX_RULE_FILTERS => {
                let filter = rules.gate_filters.get_or_build(wanted, || {
                    let words: Vec<&str> = rules
                        .gate_patterns
                        .iter()
                        .zip(&rules.gate_rules)
                        .filter(|(_, m)| *m & wanted != 0)
                        .map(|(w, _)| w.as_str())
                        .collect();
                    WordFilter::new(&words)
                });
                self.built.push((wanted, filter));
                self.built.len() - 1
            }
            None => return None,
        };
        Some(&self.built[at].1)
    }

    /// True when `hay` holds a context word or column synonym of a rule in
    /// `wanted`: one scan of the filter over their words alone, a few
    /// times cheaper than one over every word.
    fn any_in(&mut self, rules: &RuleSet, hay: &[u8], wanted: u64) -> bool {
        if rules.gate_automaton.is_none() {
            return false; // no word at all (or the gate is off)
        }
        match self.of(rules, wanted) {
            Some(f) => f.may_contain(hay),
            None => context_rules(rules, hay, 0, hay.len()) & wanted != 0,
        }
    }
}

/// Whether the quotes of a JSON line (without backslashes) before a
/// position are odd in number (the position is inside a string), counted
/// on from the last position asked: the runs of a line are asked in order,
/// so the line's quotes are counted once, not once per run (which cost an
/// archive scan 1.7% of its time).
#[derive(Clone, Copy, Debug)]
struct Quotes {
    /// The line's start.
    line: usize,
    /// The quotes in `line..at` are odd in number (`odd`).
    at: usize,
    odd: bool,
}

impl Quotes {
    /// Nothing counted yet on the line starting at `line`.
    fn new(line: usize) -> Quotes {
        Quotes {
            line,
            at: line,
            odd: false,
        }
    }

    /// The quotes in `data[line..to]` are odd in number. A position before
    /// the last one asked counts again from the line's start.
    fn odd_before(&mut self, data: &[u8], to: usize) -> bool {
        if to < self.at {
            *self = Quotes::new(self.line);
        }
        let n = memchr::memchr_iter(b'"', &data[self.at..to]).count();
        self.odd ^= n % 2 == 1;
        self.at = to;
        self.odd
    }
}

/// The field holding `span` in a JSON line without escapes (a string's
/// content, or a bare number) and its key, when the value follows its key
/// directly (`"key":"…"`, `"key": 123`). `quotes` counts the line's quotes
/// (a [`Quotes`] of the line at `ls`, kept from run to run).
#[allow(clippy::type_complexity)]
fn field_and_key(
    data: &[u8],
    ls: usize,
    le: usize,
    span: (usize, usize),
    quotes: &mut Quotes,
) -> Option<((usize, usize), (usize, usize))> {
    let (rs, re) = span;
    debug_assert_eq!(quotes.line, ls);
    let (fs, fe) = if quotes.odd_before(data, rs) {
        let qs = ls + memchr::memrchr(b'"', &data[ls..rs])?;
        let qe = re + memchr::memchr(b'"', &data[re..le])?;
        (qs, qe + 1) // quotes included: the key search starts before them
    } else {
        let num = |b: u8| escaped::NUMBER_OR_WORD[b as usize];
        let mut fs = rs;
        while fs > ls && num(data[fs - 1]) {
            fs -= 1;
        }
        let mut fe = re;
        while fe < le && num(data[fe]) {
            fe += 1;
        }
        (fs, fe)
    };
    let mut k = fs;
    while k > ls && matches!(data[k - 1], b' ' | b'\t' | b'\r') {
        k -= 1;
    }
    if k == ls || data[k - 1] != b':' {
        return None;
    }
    k -= 1;
    while k > ls && matches!(data[k - 1], b' ' | b'\t' | b'\r') {
        k -= 1;
    }
    if k == ls || data[k - 1] != b'"' {
        return None;
    }
    let ke = k - 1;
    let ks = ls + memchr::memrchr(b'"', &data[ls..ke])? + 1;
    Some(((fs, fe), (ks, ke)))
}

/// The candidates of one run, as [`super::segment`] cuts them, without
/// scoring: which are confirmed, which need context.
///
/// Each candidate visits only the rules of its length that can take it
/// ([`RuleSet::by_len`]): for an all-digit one (nearly every candidate:
/// timestamps, message ids, dates) the format-only rules of digits alone
/// are one mask, and only validators and shapes that depend on the digits
/// are asked, each validator straight on the digits for its strength
/// alone; one with a letter is asked only of the rules whose shape lets
/// its letters and digits stand where they are. The verdicts are those of
/// [`token_verdict`] (checked in debug builds and by a differential test
/// against every rule). The rules in `skip` (bits) are left out: those a
/// field's label drops (see `field_drops`).
///
/// Most runs are one group (a timestamp, an id, a price, a base64 id): one
/// candidate, the whole run, decided here inline; runs of several groups
/// go through [`groups_need`].
#[inline(always)]
fn run_needs(
    rules: &RuleSet,
    lens: u64,
    run: &Run,
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
) {
    let g = &run.groups;
    if let [only] = g[..] {
        let len = only.len();
        if !only.digits || len >= 64 || lens & (1 << len) == 0 {
            return;
        }
        if only.letters {
            letter_candidate(rules, run, (0, 0), len, group_lens, skip, need);
        } else {
            digit_candidate(rules, run, (0, 0), len, group_lens, skip, need);
        }
        return;
    }
    groups_need(rules, lens, run, group_lens, skip, need);
}

/// [`run_needs`] for a run of several groups: every candidate cut from
/// whole groups, as `segment` cuts them.
#[inline(never)]
fn groups_need(
    rules: &RuleSet,
    lens: u64,
    run: &Run,
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
) {
    whole_group_candidates(lens, run.norm.len(), &run.groups, |i, j, total, letters| {
        if letters {
            letter_candidate(rules, run, (i, j), total, group_lens, skip, need)
        } else {
            digit_candidate(rules, run, (i, j), total, group_lens, skip, need)
        }
    });
}

/// [`groups_need`] for a run of all-digit groups (`groups`, over the
/// normalized characters `norm`), not built: every candidate cut from
/// whole groups is all digits, and no group is skipped for letters.
#[inline(never)]
fn digit_groups_need(
    rules: &RuleSet,
    lens: u64,
    norm: &[u8],
    g: &[Group],
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
) {
    debug_assert_eq!(g.last().map(|x| x.end as usize), Some(norm.len()));
    digit_group_candidates(lens, g, |i, j| {
        let value = &norm[g[i].start as usize..g[j].end as usize];
        digit_value(rules, value, &g[i..=j], group_lens, skip, need, None)
    });
}

/// True when [`digit_groups_need`] finds that no candidate of the joined
/// run of ASCII digit groups `g` needs anything: each candidate (of a
/// length in `lens`) has a length no rule in `asked` (bits: lengths,
/// `RuleSet::digit_asked_lens`) takes, and is a decimal number or a date
/// (`tokenizer::decimal_or_date`), which the format-only rules left at
/// its length do not take. False when some candidate may need something.
///
/// Key decision: most joined runs of chat text are amounts and dates
/// (`52339.58`, `2023-12-13`, `2023-10-20 13`: 34k of the 42k of s20), and
/// each of their candidates was asked of every rule of its length in
/// turn (`digit_value`); read off the groups' ends and full stops, a run
/// is passed over in a few mask operations per group.
#[inline(always)]
fn digits_need_nothing(asked: u64, lens: u64, norm: &[u8], g: &[Group]) -> bool {
    debug_assert!(g.iter().all(|x| x.digits && !x.letters && !x.is_empty()));
    debug_assert!(g.last().is_none_or(|x| x.end <= 64));
    // Group ends (bit `e - 1`), and the groups joined by a full stop (a
    // bit per group: a run has at most 64 characters).
    let (ends, dots) = g.iter().enumerate().fold((0u64, 0u64), |(e, d), (k, x)| {
        (e | 1 << (x.end - 1), d | u64::from(x.after_dot) << k)
    });
    let (wanted, asked) = (lens >> 1, asked >> 1);
    for i in 0..g.len() {
        let start = g[i].start;
        // Candidates from group `i`: bit `n - 1` for `n` characters (as
        // `digit_group_candidates` reads them).
        let m = (ends >> start) & wanted;
        if m == 0 {
            continue;
        }
        if m & asked != 0 {
            return false;
        }
        // The candidates ending before group `d` are plain: `d` is the
        // first group after `i` joined by a full stop, or the third of a
        // 4-2-2 date starting at `i` (`decimal_or_date` of its first
        // three groups: true for a full stop among them too, which is
        // then `d` or before).
        let mut d = match dots >> i >> 1 {
            0 => g.len(),
            after => i + 1 + after.trailing_zeros() as usize,
        };
        if d > i + 2 && decimal_or_date(&norm[start as usize..], &g[i..i + 3]) {
            d = i + 2;
        }
        // The lengths up to the end of group `d - 1` (1 to 64).
        let plain = u64::MAX >> (64 - (g[d - 1].end - start));
        if m & plain != 0 {
            return false;
        }
    }
    true
}

/// [`whole_group_candidates`] for the groups `g` of a joined run of ASCII
/// digits (every group all digits, back to back from normalized character
/// 0: separators are not stored, so each group starts where the one
/// before ends; at most 64 characters): calls `each(i, j)` for the same
/// candidates, in the same order, and stops as it does.
///
/// No group holds a letter, so a candidate may start at any group and end
/// at any group after it: from group `i` on, the lengths of the candidates
/// are the distances from its start to the group ends at or after it. The
/// ends are one mask (bit `e - 1` for a group ending at character `e`;
/// `e` is at most 64), so the wanted lengths from `i` are that mask
/// shifted down by the group's start, ANDed with `lens` (shifted down by
/// one, as the bits are): only the candidates of a length some rule takes
/// are visited, not every pair of groups. Their lengths come in
/// increasing order, as `j` grows in [`whole_group_candidates`], and the
/// group a candidate ends at is the next whose end is its end. Past the
/// longest wanted length, or where the rest of the run is shorter than the
/// shortest, the shifted mask has no bit: the same cuts as there.
#[inline(always)]
fn digit_group_candidates(lens: u64, g: &[Group], mut each: impl FnMut(usize, usize) -> bool) {
    debug_assert!(g.iter().all(|x| x.digits && !x.letters && !x.is_empty()));
    debug_assert!(g.windows(2).all(|w| w[0].end == w[1].start));
    debug_assert!(g.first().is_none_or(|x| x.start == 0));
    debug_assert!(g.last().is_none_or(|x| x.end <= 64));
    let ends = g.iter().fold(0u64, |m, x| m | 1 << (x.end - 1));
    let wanted = lens >> 1;
    for i in 0..g.len() {
        let start = g[i].start;
        let mut m = (ends >> start) & wanted;
        let mut j = i;
        while m != 0 {
            let end = start + m.trailing_zeros() + 1;
            m &= m - 1;
            while g[j].end < end {
                j += 1;
            }
            debug_assert_eq!(g[j].end, end);
            if each(i, j) {
                return;
            }
        }
    }
}

/// Calls `each(i, j, total, letters)` for every candidate cut from whole
/// groups `i..=j` of the groups `g` (of a run of `n` normalized
/// characters) whose length `total` some rule takes (`lens`), as `segment`
/// cuts them: starting at a group with a digit that follows no letters,
/// and ending before no group of letters; `letters` says whether a group
/// of it holds a letter (else it is all digits). Stops when `each` returns
/// true (the line is hot).
///
/// Candidates only grow from a group on: past the longest length any rule
/// takes, none is left; and from a group on which the rest of the run is
/// shorter than the shortest, none is left either (nor from any later
/// group).
#[inline(always)]
fn whole_group_candidates(
    lens: u64,
    n: usize,
    g: &[Group],
    mut each: impl FnMut(usize, usize, usize, bool) -> bool,
) {
    let longest = 63usize.saturating_sub(lens.leading_zeros() as usize);
    let shortest = lens.trailing_zeros() as usize;
    for i in 0..g.len() {
        if n - (g[i].start as usize) < shortest {
            break;
        }
        if !g[i].digits || (i > 0 && g[i - 1].letters) {
            continue;
        }
        let mut total = 0;
        let mut letters = false;
        for j in i..g.len() {
            total += g[j].len();
            letters |= g[j].letters;
            if total > longest {
                break;
            }
            if lens & (1 << total) == 0 || (j + 1 < g.len() && g[j + 1].letters) {
                continue;
            }
            if each(i, j, total, letters) {
                return;
            }
        }
    }
}

/// The places (bits) of the characters of `value` (at most 63 ASCII
/// letters and digits) that are not digits: in a candidate's normalized
/// form or a lone ASCII group, its letters.
///
/// Eight bytes at a time: among ASCII letters and digits bit 6 is set
/// exactly in letters; moved to bit 0 of each byte, a multiply gathers
/// the eight bits into the top byte (byte `k`'s bit 0, at bit `8k`, meets
/// the multiplier's bit `56 - 7k`; no two products share a bit, so
/// nothing carries). A tail of fewer than eight is read as the last eight
/// bytes, the ones already counted shifted out.
#[inline(always)]
fn nondigit_places(value: &[u8]) -> u64 {
    let n = value.len();
    debug_assert!(n < 64 && value.iter().all(u8::is_ascii_alphanumeric));
    if n < 8 {
        return nondigit_places_bytes(value);
    }
    let gather = |i: usize| {
        let x = word_at(value, i, n);
        ((x >> 6) & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56
    };
    let mut m = 0;
    let mut i = 0;
    while i + 8 <= n {
        m |= gather(i) << i;
        i += 8;
    }
    if i < n {
        m |= (gather(n - 8) >> (i + 8 - n)) << i;
    }
    debug_assert_eq!(m, nondigit_places_bytes(value));
    m
}

/// [`nondigit_places`] a byte at a time (for short values, and the
/// reference the word-wise one is checked against).
#[inline(always)]
fn nondigit_places_bytes(value: &[u8]) -> u64 {
    value
        .iter()
        .enumerate()
        .fold(0u64, |m, (k, &b)| m | u64::from(!b.is_ascii_digit()) << k)
}

/// Adds to `need` what the rules say of the candidate made of groups
/// `i..=j` of `run`, `total` characters long (a length some rule takes),
/// that holds a letter; true when that makes the line hot.
#[inline(always)]
fn letter_candidate(
    rules: &RuleSet,
    run: &Run,
    (i, j): (usize, usize),
    total: usize,
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
) -> bool {
    let at = &rules.by_len[total];
    if at.letter_rules.is_empty() {
        return false;
    }
    let g = &run.groups;
    // The places of the candidate's letters: most tokens with letters
    // (base64 ids, user names) hold them where no shape of their length
    // takes one.
    let value = &run.norm[g[i].start as usize..g[j].end as usize];
    let nondigits = nondigit_places(value);
    if nondigits & !at.letter_places != 0 {
        debug_assert!(
            at.letter_rules
                .iter()
                .all(|r| { token_verdict(&rules.rules[r.rule], run, i, j, group_lens).is_none() })
        );
        return false;
    }
    let digits = !nondigits & (u64::MAX >> (64 - total));
    for r in &at.letter_rules {
        let rule = &rules.rules[r.rule];
        // Without a validator a rule's verdict is its strength: a
        // format-only rule already seen adds nothing. A letter or digit
        // where the shape takes none: not its shape.
        if skips(skip, r.rule)
            || (rule.validator.is_none() && need.format & (1 << r.rule) != 0)
            || nondigits & !r.letters != 0
            || digits & !r.digits != 0
        {
            debug_assert!(
                skips(skip, r.rule)
                    || rule.validator.is_none() && need.format & (1 << r.rule) != 0
                    || token_verdict(rule, run, i, j, group_lens).is_none()
            );
            continue;
        }
        if let Some(v) = token_verdict(rule, run, i, j, group_lens)
            && add(need, r.rule, v.strength)
        {
            return true;
        }
    }
    false
}

/// The runs of one line as [`line_is_hot_in`] judges them: what their
/// candidates need, accumulated over the line.
struct LineSink<'a> {
    rules: &'a RuleSet,
    lens: u64,
    data: &'a [u8],
    /// The line: `data[line.0..line.1]`.
    line: (usize, usize),
    json: bool,
    group_lens: &'a mut Vec<usize>,
    keys: &'a mut Vec<(Vec<u8>, KeyRules)>,
    /// The runs with format-only candidates (see [`GateScratch`]).
    pending: &'a mut Vec<(usize, usize, u64)>,
    /// A candidate makes the line hot: the rest need not be looked at.
    hot: bool,
    /// Some confirmed candidate is left out for its field's label: the
    /// line is cold only if it walks (else its fields are not those
    /// fields).
    dropped: bool,
    /// The rules with format-only candidates on the line.
    wanted: u64,
}

impl LineSink<'_> {
    /// Takes in what the run at `span` needs (`one`); `again` says what it
    /// needs without the rules (bits) given to it, those its field's label
    /// drops.
    #[inline(always)]
    fn take(
        &mut self,
        mut one: Need,
        (rs, re): (usize, usize),
        again: impl FnOnce(&mut Self, u64) -> Need,
    ) {
        // Most runs need nothing (their span is never asked for).
        if !one.hot && one.format == 0 {
            return;
        }
        if one.hot && self.json {
            // A value under `msgid` that passes a card's checksum: the
            // detector drops every candidate of the rules its label
            // names as something else, so the run is judged again
            // without them (rare: only runs with a confirmed candidate
            // in such a field).
            let (start, end) = self.line;
            let drops = field_drops(self.rules, self.data, start, end, (rs, re), self.keys);
            if drops != 0 {
                one = again(self, drops);
                self.dropped = true;
            }
        }
        if one.hot {
            self.hot = true;
        } else if one.format != 0 {
            self.wanted |= one.format;
            self.pending.push((rs, re, one.format));
        }
    }

    /// What [`run_needs`] says of the lone ASCII group `value` at `span`,
    /// built (for checks of [`RunSink::alone`]).
    fn decided(&mut self, value: &[u8], span: (usize, usize), skip: u64) -> Need {
        let run = Run::ascii(value, span.0);
        debug_assert_eq!(run.whole_span(), span);
        let mut one = Need::default();
        run_needs(self.rules, self.lens, &run, self.group_lens, skip, &mut one);
        one
    }

    /// What [`run_needs`] says of the joined run of ASCII digit groups
    /// `norm`, `groups` at `span`, built (for checks of
    /// [`RunSink::digits`]).
    fn decided_digits(
        &mut self,
        norm: &[u8],
        groups: &[Group],
        span: (usize, usize),
        skip: u64,
    ) -> Need {
        let run = Run::digit_groups(norm, groups, span.0);
        let mut one = Need::default();
        run_needs(self.rules, self.lens, &run, self.group_lens, skip, &mut one);
        one
    }
}

impl RunSink for &mut LineSink<'_> {
    const DIGITS: bool = true;

    /// A lone ASCII group is decided from its bytes when it is all digits
    /// (its own normalized form, its span its bytes'), as [`run_needs`]
    /// decides it (checked in debug builds); one with a letter is built
    /// only when some letter rule of its length lets its letters stand
    /// where they are (the first filter of [`letter_candidate`]: a letter
    /// is a letter whatever its case).
    #[inline(always)]
    fn alone(&mut self, value: &[u8], span: (usize, usize)) -> bool {
        if self.hot {
            return false;
        }
        let n = value.len();
        debug_assert!(n < 64 && self.lens & (1 << n) != 0);
        // Any letter at all first, which costs less than their places: most
        // lone groups are all digits.
        if holds_letter(value) {
            let at = &self.rules.by_len[n];
            let build =
                !at.letter_rules.is_empty() && nondigit_places(value) & !at.letter_places == 0;
            debug_assert!(build || self.decided(value, span, 0).is_none_needed());
            return build;
        }
        let (rules, group) = (
            self.rules,
            [Group {
                start: 0,
                end: n as u32,
                letters: false,
                digits: true,
                after_dot: false,
            }],
        );
        let mut one = Need::default();
        digit_value(rules, value, &group, self.group_lens, 0, &mut one, None);
        debug_assert_eq!(one, self.decided(value, span, 0));
        // A timestamp after its key needs no window (see `TimestampKey`).
        if one.format != 0 && !one.hot {
            one.format &= !rules.timestamp_key.drops(self.data, span);
        }
        self.take(one, span, |me, drops| {
            let mut one = Need::default();
            digit_value(rules, value, &group, me.group_lens, drops, &mut one, None);
            debug_assert_eq!(one, me.decided(value, span, drops));
            one
        });
        false
    }

    /// A joined run of ASCII digit groups is decided from its digits and
    /// groups, as [`groups_need`] decides it built (checked in debug
    /// builds): its candidates are all digits.
    #[inline(always)]
    fn digits(&mut self, norm: &[u8], groups: &[Group], span: (usize, usize)) -> bool {
        if self.hot {
            return false;
        }
        let (rules, lens) = (self.rules, self.lens);
        if digits_need_nothing(rules.digit_asked_lens, lens, norm, groups) {
            debug_assert_eq!(Need::default(), self.decided_digits(norm, groups, span, 0));
            return false;
        }
        let mut one = Need::default();
        digit_groups_need(rules, lens, norm, groups, self.group_lens, 0, &mut one);
        debug_assert_eq!(one, self.decided_digits(norm, groups, span, 0));
        self.take(one, span, |me, drops| {
            let mut one = Need::default();
            digit_groups_need(rules, lens, norm, groups, me.group_lens, drops, &mut one);
            debug_assert_eq!(one, me.decided_digits(norm, groups, span, drops));
            one
        });
        false
    }

    #[inline(always)]
    fn run(&mut self, run: &Run) {
        if self.hot {
            return;
        }
        let mut one = Need::default();
        run_needs(self.rules, self.lens, run, self.group_lens, 0, &mut one);
        // As `alone` judges a lone group of ASCII digits (built here when
        // every run is, in tests).
        if one.format != 0 && !one.hot && run.groups.len() == 1 {
            let (s, e) = run.whole_span();
            if self.data[s..e].iter().all(u8::is_ascii_digit) {
                one.format &= !self.rules.timestamp_key.drops(self.data, (s, e));
            }
        }
        if !one.hot && one.format == 0 {
            return;
        }
        self.take(one, run.whole_span(), |me, drops| {
            let mut one = Need::default();
            run_needs(me.rules, me.lens, run, me.group_lens, drops, &mut one);
            one
        });
    }
}

/// Adds to `need` what the rules say of the all-digit candidate made of
/// groups `i..=j` of `run`, `total` characters long (a length some rule
/// takes); true when that makes the line hot.
#[inline(always)]
fn digit_candidate(
    rules: &RuleSet,
    run: &Run,
    (i, j): (usize, usize),
    total: usize,
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
) -> bool {
    let g = &run.groups;
    let value = &run.norm[g[i].start as usize..g[j].end as usize];
    debug_assert_eq!(value.len(), total);
    digit_value(
        rules,
        value,
        &g[i..=j],
        group_lens,
        skip,
        need,
        Some((run, i, j)),
    )
}

/// [`digit_candidate`] on the candidate's normalized characters `value`
/// (all digits) and its `groups`; with `of`, the run and groups it is cut
/// from, each verdict is checked against [`token_verdict`] (debug builds).
#[inline(always)]
fn digit_value(
    rules: &RuleSet,
    value: &[u8],
    groups: &[Group],
    group_lens: &mut Vec<usize>,
    skip: u64,
    need: &mut Need,
    of: Option<(&Run, usize, usize)>,
) -> bool {
    let total = value.len();
    let at = &rules.by_len[total];
    if at.digit_checked & !skip != 0 {
        need.hot = true;
        return true;
    }
    // A decimal number or a date is no format-only candidate (as
    // `token_verdict` judges; see `tokenizer::decimal_or_date`).
    let plain = !decimal_or_date(value, groups);
    if plain {
        need.format |= at.digit_format & !skip;
    }
    for r in &at.digit_rules {
        let ri = r.rule;
        let rule = &rules.rules[ri];
        if skips(skip, ri)
            || (r.strength.is_none()
                && (need.format & (1 << ri) != 0 || (!plain && rule.strength == Strength::Format)))
        {
            continue;
        }
        if r.ask_shape
            && let Matcher::Token {
                shape: Some(shape), ..
            } = &rule.matcher
            && !shape.is_match(value)
        {
            continue;
        }
        let strength = match r.strength {
            None => rule.strength,
            Some(f) => {
                // One group is the common case: no list to build.
                let one = [total];
                let groups = if let [_] = groups {
                    &one[..]
                } else {
                    group_lens.clear();
                    group_lens.extend(groups.iter().map(|x| x.len()));
                    &group_lens[..]
                };
                match f(&Candidate { value, groups }) {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        if let Some((run, i, j)) = of {
            debug_assert_eq!(
                Some(strength),
                token_verdict(rule, run, i, j, group_lens).map(|v| v.strength)
            );
        }
        if add(need, ri, strength) {
            return true;
        }
    }
    false
}

/// Rule `ri` is one of the rules (bits) in `skip` (only rules below 64 are
/// named there).
#[inline(always)]
fn skips(skip: u64, ri: usize) -> bool {
    ri < 64 && skip & (1 << ri) != 0
}

/// Adds rule `ri`'s verdict on a candidate to `need`; true when that makes
/// the line hot (nothing more needs asking).
#[inline]
fn add(need: &mut Need, ri: usize, strength: Strength) -> bool {
    match strength {
        Strength::Checked => {
            need.hot = true;
            true
        }
        Strength::Format => {
            need.format |= 1 << ri;
            false
        }
    }
}

/// The rules among `format` with a context word in the window `ws..we`
/// of the run ending at `re`, inside the JSON string `content` (no
/// backslash), that the detector may count for a candidate cut from the
/// run: `context_rules` of the window, less the words inside a neutral one
/// (户名 in 客户名单: every `客户名单` in a chat message would make it hot)
/// that [`super::Detector::score`] leaves out for every such candidate.
///
/// It leaves a word out when a neutral word holding it starts at or after
/// the start of every candidate's window (`re` less
/// [`super::CONTEXT_BEFORE`], at most: candidates start before `re`) and
/// ends in the string: the detector's context search then finds it, as it
/// searches at least to the string's end (at most `CONTEXT_STRETCH` bytes
/// long, else nothing is left out). The rest is as in `score`: only a
/// rule's own context words in the window count, a neutral word itself
/// never does.
///
/// The words are searched from the window's start to at most the longest
/// word's length past its end, not to the string's end (up to 4 KiB of a
/// long message, for each run with a word near it: 3.5% of an archive
/// scan): a neutral word that holds a hit in the window starts at or before
/// the hit, so before the window's end, and ends within a word's length of
/// its start; every one of those is found, and words further on hold no
/// hit of the window.
fn window_rules(
    rules: &RuleSet,
    data: &[u8],
    window: (usize, usize),
    content: (usize, usize),
    re: usize,
    format: u64,
    hits: &mut Vec<(usize, usize, u32)>,
) -> u64 {
    window_rules_searching(rules, data, window, content, re, format, hits, false)
}

/// [`window_rules`], with the words searched to the string's end when
/// `to_string_end` (as it was first written: the reference its tests hold
/// it to).
#[allow(clippy::too_many_arguments)]
fn window_rules_searching(
    rules: &RuleSet,
    data: &[u8],
    (ws, we): (usize, usize),
    content: (usize, usize),
    re: usize,
    format: u64,
    hits: &mut Vec<(usize, usize, u32)>,
    to_string_end: bool,
) -> u64 {
    if content.1 - content.0 > super::CONTEXT_STRETCH {
        return format;
    }
    let (ws, we) = (ws.max(content.0), we.min(content.1));
    let seen_from = re.saturating_sub(super::CONTEXT_BEFORE).max(content.0);
    let to = if to_string_end {
        content.1
    } else {
        content
            .1
            .min(we.saturating_add(rules.context.max_pattern_len()))
    };
    hits.clear();
    // As the detector reads the string (its field).
    super::push_standing_words(&rules.context, data, (ws, to), content, hits);
    let mut found = 0u64;
    for &(hs, he, id) in hits.iter() {
        if he > we
            || rules.neutral[id as usize]
            || super::inside_neutral(rules, hits, (hs, he), seen_from)
        {
            continue;
        }
        let mut left = format & !found;
        while left != 0 {
            let ri = left.trailing_zeros() as usize;
            left &= left - 1;
            if rules.rules[ri].context.contains(&id) {
                found |= 1 << ri;
            }
        }
    }
    found
}

/// What a JSON key says about the rules.
#[derive(Clone, Copy, Debug)]
struct KeyRules {
    /// [`context_rules`] of the key.
    context: u64,
    /// The rules the key, as the label of a value, names as something else
    /// (see [`super::label_drops`]).
    drops: u64,
}

/// [`KeyRules`] of a JSON key, remembered.
fn key_rules(rules: &RuleSet, keys: &mut Vec<(Vec<u8>, KeyRules)>, key: &[u8]) -> KeyRules {
    if let Some((_, m)) = keys.iter().find(|(k, _)| k == key) {
        return *m;
    }
    let m = KeyRules {
        context: context_rules(rules, key, 0, key.len()),
        // The walker takes a key that is not UTF-8 as its lossy copy: such
        // a key drops nothing here.
        drops: std::str::from_utf8(key).map_or(0, |k| super::label_drops(rules, k)),
    };
    if keys.len() < 256 {
        keys.push((key.to_vec(), m));
    }
    m
}

/// The key of every session-archive message's time, a bare number of
/// milliseconds (`"msgtime":1696118582348`).
const TIMESTAMP_KEY: &[u8] = b"\"msgtime\":";

/// The format-only rules (bits) whose candidate a lone group of ASCII
/// digits right after the key `"msgtime":` never is, whatever the rest of the
/// line holds: the gate asks no window search for them. Every archive line
/// has such a timestamp, 13 digits, a candidate of the bank account's 8 to
/// 30, and its window search was most of the gate's (392K of 490K on the
/// 300 MB archive).
///
/// Key decision: derived from the rules, so that it holds for any rule set
/// (a rule not named here is searched for as before). `msgtime` is one of
/// the shared negative words (`patterns/context.toml`). A rule is named
/// when both ways the detector may read the line drop the candidate:
/// - the line walks as JSON (in a line without backslashes the bytes are
///   then a key `msgtime` and its value; the flat form of a line with
///   escapes is judged as such a line, with the same fields and labels):
///   the number is a field labelled `msgtime`, which names the rule as
///   something else and holds no word of it (`label_drops`), and the
///   field, the value's digits only (asked: a comma, bracket or blank
///   after them), holds no context word: `Detector::score` drops it;
/// - it does not (read as text): `msgtime` is a negative word of the rule
///   ending two bytes before the value, and a format-only candidate with a
///   negative word nearer than every positive one is dropped. A positive
///   word is as near or nearer only when it ends at one of the key's last
///   three bytes (`e`, `"`, `:`) or starts in the three bytes after the
///   value. The first is decided here from the rule's words (a word longer
///   than the key's bytes up to that end counts when it ends with them:
///   the bytes before the key are not known); the second is asked of the
///   bytes after the value ([`TimestampKey::drops`]).
///
/// No neutral word may hold `msgtime` (it would hide the negative word);
/// the case of letters is as the context automaton's, ASCII-insensitive.
///
/// One fixed key, not every key that names rules as something else (as
/// `field_drops` reads for confirmed candidates): finding a run's key and
/// where its negative word ends costs a walk back to the quote and a
/// lookup per candidate, which the sixteenth session measured to cost as
/// much as the searches it spared; ten bytes compared cost nothing, and
/// the timestamp is the one such value on every line.
/// Paired runs on the 300 MB archive, same findings: pinned 0.974 and
/// 0.975 (15 rounds each), -j2 0.958; its lines with escapes alone 0.932
/// (chat records: each item's `msgtime`, in the flat form), those without
/// 0.992. Asked in `take`, for every run, it cost half of that (0.982 to
/// 0.990): only lone groups ask it.
#[derive(Debug, Clone, Default)]
pub struct TimestampKey {
    /// Rules (bits, the first 64) named when nothing after the value says
    /// otherwise.
    drops: u64,
    /// For each byte, the rules with a positive context word starting with
    /// it (either case); empty when `drops` is.
    starts: Vec<u64>,
}

impl TimestampKey {
    /// What the rule set drops after the key.
    pub fn new(rules: &RuleSet) -> TimestampKey {
        let name = &TIMESTAMP_KEY[1..TIMESTAMP_KEY.len() - 2];
        let Some(id) = rules
            .words
            .iter()
            .position(|w| w.as_bytes().eq_ignore_ascii_case(name))
        else {
            return TimestampKey::default();
        };
        let hides = |w: &String| {
            w.to_ascii_lowercase()
                .as_bytes()
                .windows(name.len())
                .any(|x| x == name)
        };
        let neutral = rules
            .words
            .iter()
            .zip(&rules.neutral)
            .any(|(w, &n)| n && hides(w));
        if neutral {
            return TimestampKey::default();
        }
        // A word ending at the key's `e`, `"` or `:` (an empty word, which
        // would be at every place, ends at each).
        let ends_in_key = |w: &str| {
            let w = w.to_ascii_lowercase();
            (TIMESTAMP_KEY.len() - 2..=TIMESTAMP_KEY.len()).any(|j| {
                let k = &TIMESTAMP_KEY[..j];
                if w.len() <= j {
                    k.ends_with(w.as_bytes())
                } else {
                    w.as_bytes().ends_with(k)
                }
            })
        };
        let labelled = super::label_drops(rules, std::str::from_utf8(name).expect("ASCII"));
        let mut key = TimestampKey {
            drops: 0,
            starts: vec![0; 256],
        };
        for (ri, rule) in rules.rules.iter().enumerate().take(64) {
            let bit = 1u64 << ri;
            let words = rule
                .context
                .iter()
                .map(|&w| rules.words[w as usize].as_str());
            if labelled & bit != 0
                && rule.negative.contains(&(id as u32))
                && !words.clone().any(ends_in_key)
            {
                key.drops |= bit;
            }
            for &b in words.filter_map(|w| w.as_bytes().first()) {
                key.starts[b.to_ascii_lowercase() as usize] |= bit;
                key.starts[b.to_ascii_uppercase() as usize] |= bit;
            }
        }
        if key.drops == 0 {
            return TimestampKey::default();
        }
        key
    }

    /// The rules whose format-only candidate `data[s..e]`, a lone group of
    /// ASCII digits (as the caller knows), is never reported (see
    /// [`TimestampKey`]): none unless it lies right after the key.
    #[inline]
    pub fn drops(&self, data: &[u8], (s, e): (usize, usize)) -> u64 {
        // The key's ten bytes as two words (overlapping), not a `memcmp`
        // call: every format-only candidate is asked.
        const LOW: u64 = u64::from_le_bytes(*TIMESTAMP_KEY.first_chunk().unwrap());
        const HIGH: u64 = u64::from_le_bytes(*TIMESTAMP_KEY.last_chunk().unwrap());
        let k = TIMESTAMP_KEY.len();
        if self.drops == 0
            || s < k
            || word_at(data, s - k, s) != LOW
            || word_at(data, s - 8, s) != HIGH
        {
            return 0;
        }
        // The value ends the JSON scalar (in a line that walks, the field
        // is the value and nothing more: the walker takes a scalar up to
        // the first byte no number or word holds, `1.0-5` included).
        if !matches!(
            data.get(e),
            None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
        ) {
            return 0;
        }
        let after = |i: usize| data.get(e + i).map_or(0, |&b| self.starts[b as usize]);
        self.drops & !(after(0) | after(1) | after(2))
    }
}

/// The rules whose candidates in the run `span` of the JSON line
/// `data[ls..le]` (without backslashes) the detector drops, if the line
/// walks: the run lies in a value right after its key (which the walker
/// makes the field's label), the key names those rules as something else,
/// and the value holds no context word or column synonym of theirs (the
/// whole value, quotes included: more than the detector's window in it).
fn field_drops(
    rules: &RuleSet,
    data: &[u8],
    ls: usize,
    le: usize,
    span: (usize, usize),
    keys: &mut Vec<(Vec<u8>, KeyRules)>,
) -> u64 {
    let Some((field, key)) = field_and_key(data, ls, le, span, &mut Quotes::new(ls)) else {
        return 0;
    };
    let drops = key_rules(rules, keys, &data[key.0..key.1]).drops;
    if drops == 0 {
        return 0;
    }
    drops & !context_rules(rules, data, field.0, field.1)
}

/// The rules (bits) that have a context word or column synonym in
/// `data[from..to]`.
fn context_rules(rules: &RuleSet, data: &[u8], from: usize, to: usize) -> u64 {
    let Some(nfa) = &rules.gate_automaton else {
        return 0;
    };
    // The bare automaton's transitions inline into the loop (about 3×
    // cheaper per byte, on keys and short fields, than the overlapping
    // iterator, which calls through a trait object into a search kept out
    // of line for every match); every word ending at a byte is in that
    // byte's match state, as the overlapping search reports them.
    let mut found = 0u64;
    super::rules::overlapping(nfa, &data[from..to], |_, _, id| {
        found |= rules.gate_rules[id.as_usize()];
    });
    found
}

#[cfg(test)]
/// [`window_rules`] as it was first written, the reference its tests hold
/// it to: the words searched from the window's start to the string's end.
fn window_rules_reference(
    rules: &RuleSet,
    data: &[u8],
    window: (usize, usize),
    content: (usize, usize),
    re: usize,
    format: u64,
    hits: &mut Vec<(usize, usize, u32)>,
) -> u64 {
    window_rules_searching(rules, data, window, content, re, format, hits, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::{MAX_TOKEN_LEN, parse_file};
    use crate::detect::tokenizer::for_each_run;

    use crate::detect::TestRng as Rng;

    /// What every token rule says of every candidate of `run`, asked
    /// through [`token_verdict`] one by one: (hot, format-only rules when
    /// not hot).
    fn every_rule(rules: &RuleSet, run: &Run) -> (bool, u64) {
        let g = &run.groups;
        let mut lens = Vec::new();
        let mut format = 0u64;
        for i in 0..g.len() {
            if !g[i].digits || (i > 0 && g[i - 1].letters) {
                continue;
            }
            let mut total = 0;
            for j in i..g.len() {
                total += g[j].len();
                if total > MAX_TOKEN_LEN {
                    break;
                }
                if j + 1 < g.len() && g[j + 1].letters {
                    continue;
                }
                for &ri in &rules.token_rules {
                    let rule = &rules.rules[ri];
                    let Matcher::Token { len_mask, .. } = &rule.matcher else {
                        continue;
                    };
                    if len_mask & (1 << total) == 0 {
                        continue;
                    }
                    match token_verdict(rule, run, i, j, &mut lens).map(|v| v.strength) {
                        Some(Strength::Checked) => return (true, 0),
                        Some(Strength::Format) => format |= 1 << ri,
                        None => {}
                    }
                }
            }
        }
        (false, format)
    }

    /// A text of runs like those of an archive and a payment block: digit
    /// strings after the prefixes the validators and shapes care about,
    /// split by separators, with letters and check digits made right
    /// often enough that every verdict occurs.
    fn text(rng: &mut Rng) -> Vec<u8> {
        const PREFIXES: &[&str] = &[
            "",
            "1",
            "13",
            "138",
            "17400",
            "8613",
            "008615",
            "62",
            "622",
            "6228",
            "9558",
            "4",
            "51",
            "3528",
            "34",
            "81",
            "010",
            "021",
            "0755",
            "026",
            "11010119",
            "44190019",
            "4401002000",
            "92",
            "91",
            "1696",
            "2023",
            "E",
            "G",
            "EA",
            "H",
            "M",
            "C",
            "CA",
            "A",
            "AB",
            "Y",
            "D",
        ];
        const SEPARATORS: &[&str] = &[" ", "-", "  ", "_", "/", ".", "，", " - "];
        let mut out = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let mut digits: Vec<u8> = PREFIXES[rng.below(PREFIXES.len())].bytes().collect();
            let len = 4 + rng.below(24);
            while digits.len() < len {
                digits.push(b'0' + rng.below(10) as u8);
            }
            if rng.below(3) == 0 {
                // A check digit made right for the ID and card checks.
                if digits.len() >= 18 {
                    digits.truncate(17);
                    if let Some(c) = crate::detect::validators::gb11643::check_char(&digits) {
                        digits.push(c);
                    }
                } else if digits.last().is_some_and(u8::is_ascii_digit) {
                    let last = digits.len() - 1;
                    for d in b'0'..=b'9' {
                        digits[last] = d;
                        if crate::detect::validators::luhn::luhn_valid(&digits) {
                            break;
                        }
                    }
                }
            }
            if rng.below(6) == 0 {
                let at = rng.below(digits.len());
                digits[at] = b'A' + rng.below(26) as u8;
            }
            // Split into groups.
            let mut at = 0;
            while at < digits.len() {
                let n = if rng.below(2) == 0 {
                    digits.len() - at
                } else {
                    (1 + rng.below(8)).min(digits.len() - at)
                };
                out.extend_from_slice(&digits[at..at + n]);
                at += n;
                if at < digits.len() {
                    out.extend_from_slice(SEPARATORS[rng.below(SEPARATORS.len())].as_bytes());
                }
            }
            out.extend_from_slice(if rng.below(2) == 0 {
                "号 ".as_bytes()
            } else {
                b"x "
            });
        }
        out
    }

    /// `run_needs` over the runs of `text` agrees with [`every_rule`]
    /// (accumulated over the runs, as a line is); returns whether hot.
    fn agree(rules: &RuleSet, text: &[u8]) -> bool {
        let lens = rules.token_len_mask;
        let mut run = Run::default();
        let mut group_lens = Vec::new();
        let mut hot = false;
        for_each_run(text, 1, &mut run, |run| {
            let mut need = Need::default();
            run_needs(rules, lens, run, &mut group_lens, 0, &mut need);
            let got = (need.hot, if need.hot { 0 } else { need.format });
            assert_eq!(
                got,
                every_rule(rules, run),
                "{:?}",
                String::from_utf8_lossy(text)
            );
            hot |= need.hot;
        });
        assert_eq!(
            sink_decides(rules, text, false),
            sink_decides(rules, text, true)
        );
        for json in [false, true] {
            assert_eq!(
                sink_decides_json(rules, text, json, false),
                sink_decides_json(rules, text, json, true)
            );
        }
        hot
    }

    /// A [`LineSink`] that has every run built, lone ASCII groups too.
    struct Built<'a, 'b>(&'a mut LineSink<'b>);

    impl RunSink for Built<'_, '_> {
        fn run(&mut self, run: &Run) {
            let mut sink = &mut *self.0;
            sink.run(run)
        }
    }

    /// What a [`LineSink`] gathers over `text` (a plain-text line), with
    /// lone ASCII groups decided from their bytes or, with `built`, built.
    fn sink_decides(
        rules: &RuleSet,
        text: &[u8],
        built: bool,
    ) -> (bool, bool, u64, Vec<(usize, usize, u64)>) {
        sink_decides_json(rules, text, false, built)
    }

    /// [`sink_decides`], the line taken as JSON when `json`.
    fn sink_decides_json(
        rules: &RuleSet,
        text: &[u8],
        json: bool,
        built: bool,
    ) -> (bool, bool, u64, Vec<(usize, usize, u64)>) {
        let lens = rules.token_len_mask;
        let (mut run, mut group_lens, mut keys, mut pending) =
            (Run::default(), Vec::new(), Vec::new(), Vec::new());
        let mut sink = LineSink {
            rules,
            lens,
            data: text,
            line: (0, text.len()),
            json,
            group_lens: &mut group_lens,
            keys: &mut keys,
            pending: &mut pending,
            hot: false,
            dropped: false,
            wanted: 0,
        };
        let min_len = lens.trailing_zeros() as usize;
        if built {
            for_each_run_at_into(
                text,
                0..text.len(),
                min_len,
                Some(lens),
                &mut run,
                Built(&mut sink),
            );
        } else {
            for_each_run_at_into(
                text,
                0..text.len(),
                min_len,
                Some(lens),
                &mut run,
                &mut sink,
            );
        }
        let (hot, dropped, wanted) = (sink.hot, sink.dropped, sink.wanted);
        (hot, dropped, wanted, pending)
    }

    #[test]
    fn run_needs_agrees_with_every_rule() {
        let user = r#"
            [[rule]]
            id = "checked_seven"
            name = "x"
            kind = "checked_seven"
            description = "x"
            severity = "low"
            match = "token"
            lengths = [7]
            strength = "checked"
            mask = "account"
            examples = ["1234567"]
            negative_examples = ["123"]

            [[rule]]
            id = "mixed_luhn"
            name = "x"
            kind = "mixed_luhn"
            description = "x"
            severity = "low"
            match = "token"
            lengths = [12, 13]
            shape = "[0-9]{3}[0-9A-Z]{9}"
            validator = "luhn"
            mask = "account"
            examples = ["123456789012"]
            negative_examples = ["123"]

            [[rule]]
            id = "unread_shape"
            name = "x"
            kind = "unread_shape"
            description = "x"
            severity = "low"
            match = "token"
            lengths = [8, 9]
            shape = "(?:[A-Z][0-9]{7}|[0-9]{2}[A-Z]{2}[0-9]{5})"
            strength = "format"
            mask = "account"
            examples = ["A1234567"]
            negative_examples = ["123"]

            [[rule]]
            id = "digits_then_zeros"
            name = "x"
            kind = "digits_then_zeros"
            description = "x"
            severity = "low"
            match = "token"
            lengths = [6]
            shape = "[1-9][0-9]{2}000"
            strength = "format"
            mask = "account"
            examples = ["123000"]
            negative_examples = ["123"]
        "#;
        let builtin = RuleSet::builtin().unwrap();
        let mut files: Vec<_> = crate::detect::rules::BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text).unwrap())
            .collect();
        files.push(parse_file("user.toml", user).unwrap());
        let with_user = RuleSet::compile(files).unwrap();
        let mut rng = Rng(7);
        let (mut hot, mut cold) = (0, 0);
        for _ in 0..20_000 {
            let t = text(&mut rng);
            for rules in [&builtin, &with_user] {
                if agree(rules, &t) {
                    hot += 1;
                } else {
                    cold += 1;
                }
            }
        }
        // Both outcomes are common, so both were compared.
        assert!(hot > 2_000 && cold > 2_000, "{hot} hot, {cold} cold");
        for line in [
            &b"{\"msgid\":\"9218694410679035741_1696118582348_external\",\"msgtime\":1696118582348}"[..],
            "身份证 110101190001010006 卡号 6200000000000005 手机 138 0000 1234".as_bytes(),
            "座机 010-12345678 (0755)87654321 HKID A123456(3) 身分證 A100000001".as_bytes(),
            "统一社会信用代码 921101011234567886 911101010000000002 护照 E12345678".as_bytes(),
            "旧身份证号码 110101000101000 台胞证 12345678 回乡证 H1234567801".as_bytes(),
            // Lone groups decided from their bytes: a card under a key
            // that drops it, letters in lower case, ids of every kind.
            &b"{\"msgid\":\"6200000000000005\",\"card\":6200000000000005,\"t\":\"a123456\"}"[..],
            &b"{\"id\":\"e12345678\",\"x\":\"110101190001010006\",\"y\":\"92110101123456788x\"}"[..],
        ] {
            for rules in [&builtin, &with_user] {
                agree(rules, line);
            }
        }
    }

    /// Asserts that the gated scan of `text` finds what the full one does,
    /// and counts the texts with findings and those without in `counts`.
    fn finds_as_the_full_scan(rules: &RuleSet, text: &str, counts: &mut Counts) {
        let (gated, full) = gated_and_full(rules, text.as_bytes());
        assert_eq!(gated, full, "{text}");
        match full.is_empty() {
            false => counts.found += 1,
            true => counts.none += 1,
        }
    }

    /// Texts with findings and without, of a test that needs both common.
    #[derive(Default)]
    struct Counts {
        found: usize,
        none: usize,
    }

    impl Counts {
        fn assert_both_common(&self) {
            let Counts { found, none } = self;
            assert!(
                *found > 300 && *none > 300,
                "{found} with findings, {none} without"
            );
        }
    }

    /// The findings of the JSON lines `text` (line, column, rule,
    /// confidence), as a scan makes them with the line gate (only the hot
    /// lines walked) and without it (every line walked).
    fn gated_and_full(rules: &RuleSet, text: &[u8]) -> (Vec<String>, Vec<String>) {
        let key = crate::redact::FingerprintKey::builtin();
        let detector = Detector::new(rules, &key);
        let scan = |gated: bool| {
            let mut chunk = crate::chunk::Chunk {
                data: text.to_vec(),
                pending: crate::chunk::Pending::JsonLines,
                ..Default::default()
            };
            let mut scratch = Scratch::default();
            if gated {
                // The gate's first passes made beforehand (by a reader
                // thread, see `scan::read_all`) make the same lines hot and
                // leave the same hits for the regex pass.
                let mut given = Vec::new();
                let prepass = detector.prepass(&chunk.data);
                detector.hot_lines(
                    &chunk.data,
                    chunk.body(),
                    true,
                    Some(prepass),
                    &mut scratch,
                    &mut given,
                );
                let found = scratch.keyword_hits.clone();
                detector.gate_chunk(&mut chunk, true, None, &mut scratch, &mut Vec::new());
                assert_eq!(chunk.hot.as_ref(), Some(&given));
                assert_eq!(scratch.keyword_hits, found);
            }
            crate::source::prepare(&mut chunk);
            let mut out = Vec::new();
            detector.detect(&chunk, &mut scratch, &mut out);
            out.iter()
                .map(|f| format!("{}:{} {} {:?}", f.line, f.column, f.rule, f.confidence))
                .collect::<Vec<_>>()
        };
        (scan(true), scan(false))
    }

    /// Keyword hits searched before the gate runs (by the reader thread,
    /// see `scan::read_all`, with the block masks: [`Detector::prepass`])
    /// make the lines hot that the gate's own search does: emails, a
    /// wecom secret, a line with escapes and an email in its decoded text,
    /// mentions the guard rules out, and lines without a keyword; and the
    /// findings are those of the full scan.
    #[test]
    fn keyword_hits_found_beforehand_decide_as_the_gates_own() {
        let rules = RuleSet::builtin().unwrap();
        let key = crate::redact::FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let text = concat!(
            r#"{"msgid":"a1","msgtype":"text","text":{"content":"邮箱 zhang.san@example.com 谢谢"}}"#,
            "\n",
            r#"{"msgid":"a2","msgtype":"text","text":{"content":"@李明 明天开会"}}"#,
            "\n",
            r#"{"msgid":"a3","msgtype":"text","text":{"content":"corpid=ww1234567890abcdef&corpsecret=Ab3xK9mP2qR7sT5vW8yZ1cD4fG6hJ0kL2nQ4rS6tU8w"}}"#,
            "\n",
            r#"{"msgid":"a4","msgtype":"text","text":{"content":"\u90ae\u7bb1 li.si@example.org"}}"#,
            "\n",
            r#"{"msgid":"a5","msgtype":"text","text":{"content":"收到，谢谢"}}"#,
            "\n",
            "plain text line, mail wang@example.cn\n",
        )
        .as_bytes();
        for json in [true, false] {
            let mut scratch = Scratch::default();
            let (mut own, mut given) = (Vec::new(), Vec::new());
            let n = detector.hot_lines(text, 0..text.len(), json, None, &mut scratch, &mut own);
            let searched = scratch.keyword_hits.clone();
            let found = detector.prepass(text);
            assert!(!found.keyword_hits.is_empty());
            let m = detector.hot_lines(
                text,
                0..text.len(),
                json,
                Some(found),
                &mut scratch,
                &mut given,
            );
            assert_eq!((m, &given), (n, &own), "json {json}");
            assert_eq!(scratch.keyword_hits, searched);
            // The email lines, the secret and the escaped line are hot;
            // the mention and the plain chat line are not.
            let hot: Vec<u32> = given.iter().map(|l| l.line).collect();
            match json {
                true => assert_eq!(hot, [0, 2, 3, 5]),
                false => assert!([0, 2, 3, 5].iter().all(|l| hot.contains(l)), "{hot:?}"),
            }
        }
        let (gated, full) = gated_and_full(&rules, text);
        assert_eq!(gated, full);
        assert!(gated.iter().any(|f| f.contains("email")), "{gated:?}");
    }

    /// Block masks made before the gate runs ([`Detector::prepass`], of
    /// every block of a chunk, lent bytes too) make the lines hot that the
    /// gate's own masks do: archive lines whose timestamps, ids, card and
    /// account numbers, dates and mobiles sit in every position of their
    /// blocks, with and without context words, in chunks whose body starts
    /// and ends inside a block (bytes lent by the chunks around), read as
    /// JSON and as text, with a worker's scratch reused from chunk to
    /// chunk (as mask buffers are, see `blocks::SPARE`).
    #[test]
    fn masks_made_beforehand_decide_as_the_gates_own() {
        let rules = RuleSet::builtin().unwrap();
        let key = crate::redact::FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let mut rng = Rng(17);
        let values = [
            "6222020200112233445",
            "13812345678",
            "612345678901",
            "2023-10-20",
            "1696118582348",
            "110101199003070006",
            "ab12cd34ef56gh78",
            "一三八一二三四五六七八",
        ];
        let words = ["", "", "账号", "手机", "身份证", "开户行", "客户名单"];
        let mut lines = Vec::new();
        for i in 0..240 {
            let pad = "好".repeat(rng.below(30)) + &"x".repeat(rng.below(64));
            let value = values[rng.below(values.len())];
            let word = words[rng.below(words.len())];
            lines.push(format!(
                r#"{{"msgid":"m{i}","msgtime":{},"msgtype":"text","text":{{"content":"{pad}{word} {value}，谢谢"}}}}"#,
                1696118582348u64 + i as u64
            ));
        }
        let text = lines.join("\n") + "\n";
        let text = text.as_bytes();
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
            .collect();
        let mut scratch = Scratch::default();
        let mut hot_seen = 0;
        for json in [true, false] {
            for (a, b) in [(0, starts.len() - 1), (3, 200), (17, 18), (100, 239)] {
                let body = starts[a]..starts[b];
                let (mut own, mut given) = (Vec::new(), Vec::new());
                let n = detector.hot_lines(text, body.clone(), json, None, &mut scratch, &mut own);
                let prepass = detector.prepass(text);
                assert!(prepass.masks.is_some());
                let m = detector.hot_lines(
                    text,
                    body.clone(),
                    json,
                    Some(prepass),
                    &mut scratch,
                    &mut given,
                );
                assert_eq!((m, &given), (n, &own), "json {json}, body {body:?}");
                hot_seen += own.len();
            }
        }
        // Many lines are hot, many are not.
        assert!(hot_seen > 100 && hot_seen < 4 * 2 * 240 - 100, "{hot_seen}");
    }

    /// Archive-like lines whose format-only values (accounts, dates,
    /// permits) sit where only their own windows and keys decide
    /// (`windows_clean`), with context words planted byte-exactly just
    /// inside and just outside a value's window (120 bytes before it, 60
    /// after), on the line before, in the value's key, in a key or value
    /// between the stretch from the line's start and a value deep in a
    /// message, inside a neutral word, and on lines that are not valid
    /// JSON (read as text): the gated scan finds what the full one does.
    #[test]
    fn windows_and_keys_decide_as_the_full_scan() {
        let rules = RuleSet::builtin().unwrap();
        let mut rng = Rng(31);
        let values = ["612345678901", "2023-10-20", "87654321", "1696118582348"];
        let words = [
            "账号",
            "开户行",
            "台胞证",
            "account no",
            "MTP",
            "bank_account",
            "客户名单",
            "订单号",
        ];
        let keys = [
            "content",
            "msgtime",
            "note",
            "账号",
            "bank_account",
            "银行账号",
        ];
        let fill = |rng: &mut Rng, least: usize, spread: usize| -> String {
            // Blanks, or Chinese (3 bytes each) padded with blanks: the
            // byte distances are exact either way, and no letter touches
            // a value (which would make it no candidate).
            let n = least + rng.below(spread.max(1));
            if rng.below(2) == 0 {
                " ".repeat(n)
            } else {
                "的".repeat(n / 3) + &" ".repeat(n % 3)
            }
        };
        let (mut counts, mut cold_with_words) = (Counts::default(), 0);
        for _ in 0..3_000 {
            let mut text = String::new();
            for _ in 0..1 + rng.below(4) {
                let v = values[rng.below(values.len())];
                let w = words[rng.below(words.len())];
                let k = keys[rng.below(keys.len())];
                // Bytes between the word and the value: the word ends in
                // the window up to 120 before the value (114 for a word of
                // 6 bytes), or starts in it up to 60 after.
                let before = 100 + rng.below(30);
                let after = 40 + rng.below(30);
                let msgid = if rng.below(2) == 0 {
                    format!(
                        "{}_1696118582348_external",
                        9218694410679035741u64 - rng.below(1000) as u64
                    )
                } else {
                    "CAQQ1omNQJfhUxbyGoySONPCWNPd4rY=".to_string()
                };
                let head = format!(
                    "{{\"msgid\":\"{msgid}\",\"from\":\"{}\",\"msgtime\":1696118465727,",
                    fill(&mut rng, 0, 40)
                );
                let line = match rng.below(9) {
                    // The word before the value, in the same string.
                    0 => format!(
                        "{head}\"text\":{{\"{k}\":\"{}{w}{}{v}{}\"}}}}",
                        fill(&mut rng, 0, 300),
                        fill(&mut rng, before, 1),
                        fill(&mut rng, 0, 200)
                    ),
                    // The word after the value.
                    1 => format!(
                        "{head}\"text\":{{\"{k}\":\"{}{v}{}{w}{}\"}}}}",
                        fill(&mut rng, 0, 300),
                        fill(&mut rng, after, 1),
                        fill(&mut rng, 0, 200)
                    ),
                    // The word in a key or value between the record's
                    // fields and a value deep in the message.
                    2 => format!(
                        "{head}\"{w}\":\"{}\",\"{k}\":\"{}{v}\"}}",
                        fill(&mut rng, 0, 100),
                        fill(&mut rng, 100, 300)
                    ),
                    3 => format!(
                        "{head}\"a\":\"{w}\",\"{k}\":\"{}{v}\"}}",
                        fill(&mut rng, 100, 300)
                    ),
                    // A bare number under the key, the word before it.
                    4 => format!(
                        "{head}\"n\":\"{w}{}\",\"{k}\":{}}}",
                        fill(&mut rng, before, 1),
                        v.replace('-', "")
                    ),
                    // In an array, or in a key.
                    5 => format!(
                        "{head}\"{k}\":[\"{w}\",{}],\"x\":\"{}\"}}",
                        v.replace('-', ""),
                        fill(&mut rng, 0, 200)
                    ),
                    6 => format!(
                        "{head}\"{k}\":{{\"{}{v}\":1}},\"t\":\"{w}\"}}",
                        fill(&mut rng, 0, 130)
                    ),
                    // Not valid JSON: read as text.
                    7 => format!(
                        "{head}\"{k}\":\"{w}{}{v}{}\" broken",
                        fill(&mut rng, before, 1),
                        fill(&mut rng, 0, 100)
                    ),
                    // The word alone, on the line before a value.
                    _ => format!(
                        "{{\"t\":\"{}{w}\"}}\n{{\"{k}\":\"{v}{}\"}}",
                        fill(&mut rng, 0, 100),
                        fill(&mut rng, 0, 100)
                    ),
                };
                let holds_word = context_rules(&rules, line.as_bytes(), 0, line.len()) != 0;
                if holds_word && !line.contains('\n') {
                    let mut g = GateScratch::default();
                    let mut blocks = BlockMasks::default();
                    if !line_is_hot(&rules, line.as_bytes(), true, &mut blocks, &mut g) {
                        cold_with_words += 1;
                    }
                }
                text.push_str(&line);
                text.push('\n');
            }
            finds_as_the_full_scan(&rules, &text, &mut counts);
        }
        // Both outcomes are common, and many lines holding a word were
        // left out (their words lie outside every window and key).
        counts.assert_both_common();
        assert!(cold_with_words > 1_000, "{cold_with_words}");
    }

    /// The built-in rules and, of rules whose words can sit right at an
    /// archive timestamp, those named in `ids`: `ts_colon` and `ts_long`
    /// with a word ending in its key's last bytes (`":`, and a word longer
    /// than the key that ends in it), `ts_time` with a word `msgtime`
    /// holds, `ts_after` with a word starting with a letter of the key
    /// after the value (`qqv`), `ts_digits` with a word of digits (`5555`,
    /// which a JSON number may hold past the value), `ts_plain` with an
    /// ordinary word (`xwvk`); all of 13 digits, format-only.
    fn timestamp_rules(ids: &[&str]) -> RuleSet {
        let rule = |id: &str, word: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\nname = \"x\"\nkind = \"{id}\"\ndescription = \"x\"\n\
                 severity = \"low\"\nmatch = \"token\"\nlengths = [13]\nstrength = \"format\"\n\
                 mask = \"account\"\ncontext = [{word:?}]\nexamples = [{:?}]\n\
                 negative_examples = [\"123\"]\n\n",
                format!("{word} 1234567890123")
            )
        };
        let user: String = [
            ("ts_plain", "xwvk"),
            ("ts_after", "qqv"),
            ("ts_time", "time"),
            ("ts_colon", "\":"),
            ("ts_long", "zz\"msgtime\""),
            ("ts_digits", "5555"),
        ]
        .iter()
        .filter(|(id, _)| ids.contains(id))
        .map(|(id, w)| rule(id, w))
        .collect();
        let mut files: Vec<_> = crate::detect::rules::BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text).unwrap())
            .collect();
        files.push(parse_file("user.toml", &user).unwrap());
        RuleSet::compile(files).unwrap()
    }

    /// `TimestampKey` names a rule only when no word of it can end in the
    /// key's last three bytes, and keeps it after the value when a word
    /// of it may start in the three bytes there.
    #[test]
    fn timestamp_key_names_rules_by_their_words() {
        let rules = timestamp_rules(&["ts_plain", "ts_after", "ts_time", "ts_colon", "ts_long"]);
        let bit = |id: &str| 1u64 << rules.rules.iter().position(|r| &*r.id == id).unwrap();
        let key = &rules.timestamp_key;
        let line = br#"{"msgid":"m","msgtime":1696118582348,"msgtype":"text"}"#;
        let s = line
            .windows(13)
            .position(|w| w == b"1696118582348")
            .unwrap();
        let drops = key.drops(line, (s, s + 13));
        for id in ["bank_account", "ts_plain", "ts_after"] {
            assert_ne!(drops & bit(id), 0, "{id}");
        }
        for id in ["ts_time", "ts_colon", "ts_long"] {
            assert_eq!(key.drops & bit(id), 0, "{id}");
        }
        // `qqv` may start two bytes after the value.
        let line = br#"{"msgtime":1696118582348,"qqv":1}"#;
        let drops = key.drops(line, (11, 24));
        assert_eq!(drops & bit("ts_after"), 0);
        assert_ne!(drops & bit("bank_account"), 0);
        // A number that goes on past the value (the field is more than
        // it), or not right after the key: nothing.
        assert_eq!(key.drops(br#"{"msgtime":1696118582348.0-x}"#, (11, 24)), 0);
        assert_ne!(key.drops(br#"{"msgtime":1696118582348}"#, (11, 24)), 0);
        assert_eq!(key.drops(br#"{"msgtime": 1696118582348}"#, (12, 25)), 0);
        assert_eq!(key.drops(br#"{"msgtim":1696118582348}"#, (10, 23)), 0);
        // Without `msgtime` among the negative words, no rule is named.
        let files = crate::detect::rules::BUILTIN
            .iter()
            .map(|(name, text)| {
                let text = text.replace("\"msgtime\",", "");
                parse_file(name, &text).unwrap()
            })
            .collect();
        assert_eq!(RuleSet::compile(files).unwrap().timestamp_key.drops, 0);
    }

    /// Timestamps after their key, with words of their rules (built-in
    /// and `timestamp_rules`) planted at every distance up to a few bytes
    /// before the key and after the value, in lines that walk and lines
    /// that do not (read as text), with escapes and without: the gated
    /// scan finds what the full one does.
    #[test]
    fn timestamps_after_their_key_decide_as_the_full_scan() {
        // Each rule whose words may sit at the key in a set of its own: a
        // rule left unnamed keeps the timestamps' lines hot for every rule.
        let sets = [
            RuleSet::builtin().unwrap(),
            timestamp_rules(&["ts_plain", "ts_after"]),
            timestamp_rules(&["ts_colon"]),
            timestamp_rules(&["ts_long"]),
            timestamp_rules(&["ts_time"]),
            timestamp_rules(&["ts_digits"]),
        ];
        let mut rng = Rng(43);
        let values = ["1696118582348", "1696118582", "87654321", "13812345678"];
        let words = [
            "",
            "账号",
            "开户行",
            "account no",
            "xwvk",
            "qqv",
            "time",
            "zz",
            "客户名单",
            "订单号",
            " ",
            "  ",
        ];
        let mut counts = Counts::default();
        for _ in 0..1_500 {
            let mut text = String::new();
            for _ in 0..1 + rng.below(3) {
                let v = values[rng.below(values.len())];
                let (w, x) = (words[rng.below(words.len())], words[rng.below(words.len())]);
                let line = match rng.below(11) {
                    0 => format!(
                        r#"{{"msgid":"m1","msgtime":{v},"msgtype":"text","text":{{"content":"{x}"}}}}"#
                    ),
                    1 => format!(r#"{{"a":"{w}","msgtime":{v}}}"#),
                    2 => format!(r#"{{"{w}":1,"msgtime":{v},"{x}":2}}"#),
                    // Not valid JSON: read as text, the words at the key
                    // and the value.
                    3 => format!(r#"{{"msgid":"m1",{w}"msgtime":{v}{x} broken"#),
                    4 => format!(r#"{w}"msgtime":{v},{x}"#),
                    // A number that goes on past the value's digits.
                    5 => format!(r#"{{"msgtime":{v}.0-{x}}}"#),
                    // Lines with escapes (judged by their flat form, or
                    // level by level): a chat record's item; JSON in a
                    // string, walked once decoded; a decoded string that
                    // is no JSON (read as text); a `\u` escape elsewhere.
                    6 => format!(
                        r#"{{"item":[{{"type":"t","msgtime":{v},"content":"{{\"content\":\"{x}\"}}"}}]}}"#
                    ),
                    7 => format!(r#"{{"msgid":"m","content":"{{\"msgtime\":{v},\"{x}\":1}}"}}"#),
                    8 => format!(r#"{{"content":"{w}\"msgtime\":{v}{x} broken"}}"#),
                    9 => format!(r#"{{"a":"\u4f60{w}","msgtime":{v}{x}}}"#),
                    _ => format!(r#"{{"msgtime":{v}{x}}}"#),
                };
                text.push_str(&line);
                text.push('\n');
            }
            for rules in &sets {
                finds_as_the_full_scan(rules, &text, &mut counts);
            }
        }
        counts.assert_both_common();
    }

    /// `window_rules` answers as the first search, to the string's end,
    /// did (`window_rules_reference`), on strings made of the rules' words
    /// (context, negative, neutral words, whose neutral words hold context
    /// words: 客户名单 holds 户名), column synonyms, digits and filler,
    /// over windows of every kind of run in them (cut by the string's ends,
    /// reaching past the line's start) and every set of rules; that the
    /// word filters the pending runs ask answer as `context_rules`; and
    /// that `Quotes` counts as a count from the line's start does.
    #[test]
    fn window_rules_agrees_with_reference() {
        // With the built-in words alone a neutral word that ends past the
        // window never decides (客户名单 holds 客户名, which holds 户名 and
        // ends with it): a user rule whose word sits inside a longer
        // neutral word, with none between, makes the window's end matter.
        let user = r#"
            neutral_context = ["zqxwvk-long-neutral"]

            [[rule]]
            id = "inside_neutral"
            name = "x"
            kind = "inside_neutral"
            description = "x"
            severity = "low"
            match = "token"
            lengths = [6]
            strength = "format"
            mask = "account"
            context = ["xwvk"]
            examples = ["xwvk 123456"]
            negative_examples = ["123"]
        "#;
        let mut files: Vec<_> = crate::detect::rules::BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text).unwrap())
            .collect();
        files.push(parse_file("user.toml", user).unwrap());
        let rules = RuleSet::compile(files).unwrap();
        let mut words: Vec<&str> = rules.words.iter().map(String::as_str).collect();
        words.extend(rules.gate_patterns.iter().map(String::as_str));
        let neutral: Vec<&str> = (rules.words.iter().zip(&rules.neutral))
            .filter(|(_, n)| **n)
            .map(|(w, _)| w.as_str())
            .collect();
        assert!(!neutral.is_empty());
        let filler = [
            "1", "23", "4567", " ", "，", "的", "号", "a", "名", "户", "x", "xwvk",
        ];
        let token_bits = rules
            .token_rules
            .iter()
            .filter(|&&ri| ri < 64)
            .fold(0u64, |m, &ri| m | 1 << ri);
        let mut rng = Rng(21);
        let (mut filters, mut hits) = (RuleFilters::default(), Vec::new());
        let (mut some, mut none) = (0, 0);
        for _ in 0..20_000 {
            let mut line = b"{\"k\":\"".to_vec();
            let before = if rng.below(4) == 0 {
                // A short line before, so the window reaches past it.
                let mut t = b"ab\n".to_vec();
                t.extend_from_slice(&line);
                line = t;
                3
            } else {
                0
            };
            let cs = line.len();
            for _ in 0..rng.below(120) {
                let piece = if rng.below(12) == 0 {
                    words[rng.below(words.len())]
                } else if rng.below(12) == 0 {
                    // Neutral words, often, so that windows end inside them.
                    neutral[rng.below(neutral.len())]
                } else {
                    filler[rng.below(filler.len())]
                };
                line.extend_from_slice(piece.as_bytes());
            }
            let ce = line.len();
            line.extend_from_slice(b"\"}");
            if ce == cs {
                continue;
            }
            let rs = cs + rng.below(ce - cs);
            let re = rs + 1 + rng.below(ce - rs);
            // The detector's window, or one whose ends fall anywhere (in
            // a neutral word that holds a context word, now and then).
            let (ws, we) = match rng.below(2) {
                0 => crate::detect::context_window(&line, rs, re),
                _ => (
                    rs.saturating_sub(rng.below(130)),
                    (re + rng.below(70)).min(line.len()),
                ),
            };
            let format = match rng.below(3) {
                0 => token_bits,
                _ => token_bits & rng.next(),
            };
            let got = window_rules(&rules, &line, (ws, we), (cs, ce), re, format, &mut hits);
            let want =
                window_rules_reference(&rules, &line, (ws, we), (cs, ce), re, format, &mut hits);
            assert_eq!(got, want, "{:?} {rs}..{re}", String::from_utf8_lossy(&line));
            // The word filters answer as the automaton of `context_rules`.
            let (fs, fe) = (ws.max(cs), we.min(ce));
            assert_eq!(
                filters.any_in(&rules, &line[fs..fe], format),
                context_rules(&rules, &line, fs, fe) & format != 0
            );
            if want != 0 {
                some += 1;
            } else {
                none += 1;
            }
            // The quotes before every position, counted on in order (with
            // a step back now and then) and from the line's start.
            let ls = before;
            let mut quotes = Quotes::new(ls);
            let mut at = ls;
            while at <= line.len() {
                let odd = memchr::memchr_iter(b'"', &line[ls..at]).count() % 2 == 1;
                assert_eq!(quotes.odd_before(&line, at), odd);
                at += rng.below(8);
                if rng.below(10) == 0 {
                    at = at.saturating_sub(rng.below(12)).max(ls);
                }
            }
        }
        // Both answers are common, so both were compared.
        assert!(
            some > 2_000 && none > 2_000,
            "{some} with words, {none} without"
        );
    }

    /// `context_rules` (a contiguous NFA, its transitions inline) finds the
    /// rules of every gate word that an overlapping search with a DFA over
    /// the same words (as it was first built) finds, on text made of the
    /// words in any case, their pieces and filler.
    #[test]
    fn context_rules_agree_with_a_dfa() {
        let rules = RuleSet::builtin().unwrap();
        let dfa = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&rules.gate_patterns)
            .unwrap();
        let mut rng = Rng(43);
        let (mut some, mut none) = (0, 0);
        for _ in 0..5_000 {
            let mut hay = Vec::new();
            for _ in 0..rng.below(12) {
                let w = rules.gate_patterns[rng.below(rules.gate_patterns.len())].as_bytes();
                match rng.below(4) {
                    0 => hay.extend(w.iter().map(u8::to_ascii_uppercase)),
                    1 => hay.extend_from_slice(&w[..rng.below(w.len())]),
                    2 => hay.extend_from_slice("，的号 1a".as_bytes()),
                    _ => hay.extend_from_slice(w),
                }
            }
            let want = dfa
                .find_overlapping_iter(&hay)
                .fold(0u64, |m, h| m | rules.gate_rules[h.pattern().as_usize()]);
            let (from, to) = (rng.below(hay.len() + 1), hay.len());
            let cut = dfa
                .find_overlapping_iter(&hay[from..to])
                .fold(0u64, |m, h| m | rules.gate_rules[h.pattern().as_usize()]);
            assert_eq!(context_rules(&rules, &hay, 0, hay.len()), want);
            assert_eq!(context_rules(&rules, &hay, from, to), cut);
            if want != 0 {
                some += 1;
            } else {
                none += 1;
            }
        }
        assert!(some > 1_000 && none > 500, "{some} {none}");
    }

    /// The word-wise letter places and letter test give the byte-wise
    /// answers on ASCII letters and digits of every length a lone group
    /// may have, letters (of either case) anywhere or nowhere.
    #[test]
    fn letter_places_agree_with_a_byte_at_a_time() {
        let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
        const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let (mut with, mut without) = (0, 0);
        for _ in 0..20_000 {
            let n = (rng.next() % 64) as usize;
            // Mostly digits, so that values without letters are common.
            let letter_odds = rng.next() % 4;
            let value: Vec<u8> = (0..n)
                .map(|_| {
                    let r = rng.next();
                    if r % 8 < letter_odds {
                        ALNUM[10 + (r >> 8) as usize % 52]
                    } else {
                        ALNUM[(r >> 8) as usize % 10]
                    }
                })
                .collect();
            let places = nondigit_places_bytes(&value);
            assert_eq!(nondigit_places(&value), places, "{value:?}");
            assert_eq!(holds_letter(&value), places != 0, "{value:?}");
            if places != 0 { with += 1 } else { without += 1 }
        }
        assert!(
            with > 2_000 && without > 2_000,
            "{with} with letters, {without} without"
        );
    }

    /// The candidates of a joined run of digit groups read off the mask
    /// of group ends are those of the pair walk, in the same order, and
    /// both stop at the same one: runs of up to 16 groups and 64
    /// characters, random lengths wanted (and those of the rules).
    #[test]
    fn digit_group_candidates_are_those_of_the_pair_walk() {
        let mut rng = Rng(0x0DD_B1A5_7EE1_F00D);
        let rules = RuleSet::builtin().unwrap();
        let (mut visits, mut stops) = (0, 0);
        for round in 0..20_000 {
            let mut groups = Vec::new();
            let mut k = 0u32;
            for _ in 0..1 + rng.below(16) {
                let len = 1 + rng.below(12) as u32;
                if k + len > 64 {
                    break;
                }
                groups.push(Group {
                    start: k,
                    end: k + len,
                    letters: false,
                    digits: true,
                    after_dot: rng.below(4) == 0,
                });
                k += len;
            }
            let lens = if round % 4 == 0 {
                rules.token_len_mask
            } else {
                rng.next() & rng.next() & !1
            };
            // Stop at the `stop`th candidate (most rounds: never).
            let stop = rng.below(12);
            let walk = |digit: bool| {
                let mut seen = Vec::new();
                let mut visit = |i: usize, j: usize| {
                    seen.push((i, j));
                    seen.len() == stop
                };
                if digit {
                    digit_group_candidates(lens, &groups, &mut visit);
                } else {
                    whole_group_candidates(lens, k as usize, &groups, |i, j, total, letters| {
                        assert!(!letters);
                        assert_eq!(total, (groups[j].end - groups[i].start) as usize);
                        visit(i, j)
                    });
                }
                seen
            };
            let seen = walk(true);
            assert_eq!(seen, walk(false), "{groups:?} {lens:#x}");
            visits += seen.len();
            stops += usize::from(seen.len() == stop);
        }
        assert!(
            visits > 20_000 && stops > 1_000,
            "{visits} visits, {stops} stops"
        );
    }

    /// `digits_need_nothing` passes over a joined run of digit groups only
    /// when `digit_groups_need` finds it needs nothing, and passes over
    /// most amounts and dates: runs of random groups (a quarter joined by
    /// full stops, many starting with real and false 4-2-2 dates, digits
    /// random), under the built-in rules' lengths and random ones.
    #[test]
    fn joined_runs_passed_over_need_nothing() {
        let mut rng = Rng(0x5EED_DA7E_0FC0_FFEE);
        let rules = RuleSet::builtin().unwrap();
        let (mut passed, mut dates) = (0, 0);
        for round in 0..40_000 {
            let mut norm = Vec::new();
            let mut groups = Vec::new();
            let date = rng.below(3) == 0;
            for n in 0..1 + rng.below(8) {
                let len = match (date, n) {
                    (true, 0) => 4,
                    (true, 1 | 2) => 2,
                    _ => 1 + rng.below(12),
                };
                if norm.len() + len > 64 {
                    break;
                }
                let start = norm.len() as u32;
                for _ in 0..len {
                    norm.push(b'0' + rng.below(10) as u8);
                }
                groups.push(Group {
                    start,
                    end: norm.len() as u32,
                    letters: false,
                    digits: true,
                    after_dot: n > 0 && rng.below(4) == 0,
                });
            }
            if date && groups.len() >= 3 && rng.below(2) == 0 {
                norm[..8].copy_from_slice(b"20231020");
            }
            let lens = if round % 2 == 0 {
                rules.token_len_mask
            } else {
                rng.next() & rng.next() & !1
            };
            let mut need = Need::default();
            digit_groups_need(&rules, lens, &norm, &groups, &mut Vec::new(), 0, &mut need);
            if digits_need_nothing(rules.digit_asked_lens, lens, &norm, &groups) {
                assert_eq!(need, Need::default(), "{groups:?} {lens:#x}");
                passed += 1;
                dates += usize::from(groups.len() >= 3 && norm.starts_with(b"20231020"));
            }
        }
        assert!(
            passed > 5_000 && dates > 500,
            "{passed} passed, {dates} dates"
        );
    }

    /// The gate's finder of line ends and escapes answers as `memchr2` on
    /// every length around the vector steps and every place of the first
    /// match, for two bytes, one byte twice and a zero byte (the SIMD path
    /// where this CPU has it).
    #[test]
    fn first_of_is_memchr2() {
        let mut rng = Rng(43);
        let mut checked = 0;
        for n in 0..300 {
            for (a, b) in [(b'\n', b'\\'), (b'\n', b'\n'), (0, b'"')] {
                for _ in 0..15 {
                    let mut hay: Vec<u8> = (0..n)
                        .map(|_| match rng.below(8) {
                            0 => 0xE4,
                            _ => b' ' + rng.below(90) as u8,
                        })
                        .filter(|&c| c != a && c != b)
                        .collect();
                    for _ in 0..rng.below(3) {
                        if !hay.is_empty() {
                            let at = rng.below(hay.len());
                            hay[at] = if rng.below(2) == 0 { a } else { b };
                        }
                    }
                    let want = memchr::memchr2(a, b, &hay);
                    assert_eq!(first_of(&hay, a, b), want, "{a} {b} {hay:?}");
                    checked += usize::from(want.is_some());
                }
            }
        }
        assert!(checked > 5_000, "{checked}");
    }
}
