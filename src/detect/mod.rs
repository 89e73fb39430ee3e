//! Detection: the middle room of the pipeline. It turns the bytes of a
//! [`Chunk`] into [`Finding`]s and knows rules, validators and context
//! words, but nothing about file formats.
//!
//! Matching has two stages, as in Nosey Parker: a fast pass finds
//! candidates (the run tokenizer for digit identifiers, a keyword
//! automaton for regex rules), then a precise pass confirms each one
//! (validator, context scoring). Raw values exist only inside this module;
//! what leaves it is masked and fingerprinted through [`crate::redact`].
//! Each worker thread owns a [`Scratch`] so the hot path allocates nothing
//! per chunk.
//!
//! Measured on hot lines and left out (2026-12, callgrind, the 20 MB
//! archive sample s20: `score` 7.08M instructions inclusive, of which the
//! context-word search about 2.2M; the rest is spread over the window, the
//! field's place and label, and the hits' loop):
//! - the context-word search by the bucket search of
//!   `wordfilter::WordStarts` over all the context words (about 170):
//!   planning the buckets cost 60M instructions at start-up, and the AVX2
//!   search saved 0.25M;
//! - a bare `aho_corasick::dfa::DFA` for that search, its transitions
//!   inlined as in the line gate's `context_rules`: `score` 7.08M -> 5.93M,
//!   but building the second DFA cost 13.5M. It pays only if
//!   `RuleSet::context` itself becomes the bare DFA (no second build);
//! - searching a field's context stretch lazily, only as far as each
//!   window needs: `score` 7.08M -> 7.21M (the searches did not spend
//!   their time on fields' tails, and more, smaller searches cost more).

pub mod blocks;
pub mod check;
pub mod gate;
pub mod guard;
pub mod normalize;
pub mod rules;
pub mod simd;
pub mod tokenizer;
pub mod validators;
pub mod wordfilter;

use crate::chunk::{Chunk, Field, Name, Record, chars};
use crate::finding::{Confidence, Finding, RecordLocation};
use crate::policy::{Allow, INLINE_MARKER, Suppressed};
use crate::redact::mask::mask_into;
use crate::redact::{FingerprintKey, mask};
use normalize::{is_ascii_alnum, may_hold_digit};
use rules::{MAX_TOKEN_LEN, Matcher, Rule, RuleSet, digit_text_byte};
use std::sync::Arc;
use tokenizer::{Run, for_each_run_at};
use validators::{Candidate, Strength, Verdict};

/// Bytes before a candidate searched for context words (about 40 Chinese
/// characters or 120 ASCII ones). Spec §0 suggests message-level context;
/// within a line this window covers a chat message or a table row.
pub const CONTEXT_BEFORE: usize = 120;
/// Bytes after a candidate searched for context words.
pub const CONTEXT_AFTER: usize = 60;
/// Negative words only count when they label the value: within this many
/// bytes before it (`订单号：…`, `"msgid":"…"`).
pub const NEGATIVE_NEAR: usize = 24;

/// A confirmed match, still holding its raw normalized value. Never leaves
/// this module.
#[derive(Debug)]
struct RawMatch {
    rule: usize,
    start: usize,
    end: usize,
    confidence: Confidence,
    /// Where its normalized value lies in [`Scratch::values`].
    value_at: std::ops::Range<usize>,
    obfuscated: bool,
}

impl RawMatch {
    /// Its normalized value, out of the scratch's `values`.
    fn value<'v>(&self, values: &'v [u8]) -> &'v [u8] {
        &values[self.value_at.clone()]
    }
}

/// Appends `value` to `values` (see [`Scratch::values`]); returns where
/// it lies.
fn keep_value(values: &mut Vec<u8>, value: &[u8]) -> std::ops::Range<usize> {
    let at = values.len();
    values.extend_from_slice(value);
    at..values.len()
}

/// Why an allowlist left a match out.
#[derive(Clone, Copy, Debug)]
enum Allowed {
    Inline,
    Value,
    Fingerprint,
}

/// A seeded generator for the detector's randomized tests (splitmix64):
/// deterministic and dependency-free, the same seed always gives the same
/// inputs.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The input line (number) of byte `pos` of `chunk`: a field's line plus
/// the line breaks inside it before `pos`, or the chunk's first line plus
/// those before `pos` in plain text.
fn line_at(chunk: &Chunk, pos: usize) -> u64 {
    let data = &chunk.data[..];
    let (line, from) = match place(chunk, pos) {
        Place::Field(i) => (chunk.fields[i].line, chunk.fields[i].start as usize),
        _ => (chunk.first_line, chunk.context_before as usize),
    };
    line + memchr::memchr_iter(b'\n', &data[from.min(pos)..pos]).count() as u64
}

/// How `leaksweep redact` replaces a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    /// The report's masking conventions (`138****1234`).
    Mask,
    /// A keyed, consistent pseudonym (`[cn_mobile:7f3a91c2d4e5]`): the same
    /// value always gives the same token, so joins and counts still work.
    Token,
    /// The kind alone (`[cn_mobile]`).
    Remove,
}

/// One value to replace in a chunk's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// First byte in `Chunk::data`.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Rule id.
    pub rule: Arc<str>,
    /// What the value becomes.
    pub text: String,
}

/// Per-worker scratch space, reused across chunks. A scratch serves one
/// rule set: the line gate keeps what it learns about the rules in it (the
/// context rules of JSON keys, word filters over a few rules' words).
#[derive(Debug, Default)]
pub struct Scratch {
    run: Run,
    matches: Vec<RawMatch>,
    /// The normalized values of `matches`, one after another. Key
    /// decision: one buffer, not a vector per match; on a directory
    /// export (two or three findings a row) the buffer made a scan pinned
    /// to one core 4% faster than a vector allocated and freed per match.
    values: Vec<u8>,
    group_lens: Vec<usize>,
    searched_until: Vec<usize>,
    context: ContextCache,
    labels: LabelCache,
    keyword_hits: Vec<(usize, usize, usize)>,
    /// The value spans of one regex window's matches.
    regex_found: Vec<(usize, usize)>,
    /// Where a [`LinePlan`]'s pieces start in one regex window.
    piece_starts: Vec<usize>,
    /// When non-zero, `keyword_hits` hold the hits of the first this many
    /// bytes of the chunk about to be detected (found by the line gate).
    keyword_len: usize,
    gate: gate::GateScratch,
    /// Findings the allowlists removed since the last `take_suppressed`.
    suppressed: Suppressed,
    /// Findings given back by [`Scratch::recycle`], whose strings and
    /// record boxes the next findings reuse.
    spare: Vec<Finding>,
    /// The redacted strings of record locations, kept across chunks.
    redacted: RedactMemo,
    /// The hot lines of a text to redact (see [`Detector::redact_text`]).
    redact_lines: Vec<crate::chunk::LineSpan>,
}

/// Most strings a [`RedactMemo`] holds before it starts over. Key
/// decision: small, so that the table stays in the CPU's caches. A memo of
/// 16K strings that held every message id missed the cache on most
/// look-ups and cost more than the redaction it saved.
const MAX_REDACTED: usize = 1 << 12;

/// The redacted forms of the strings that record locations and container
/// paths are made of (userids, room ids, keys, headers, entry names), kept
/// across a worker's chunks. Key decision: [`Detector::redact_text`] is a
/// pure function of its text for a given rule set (its `find` starts from
/// cleared matches and caches, and a chunk made of the text alone carries
/// no gate hits, fields or context lent by neighbours), and a scratch
/// serves one rule set; so a memo gives the same strings by construction.
/// Userids, room ids and keys repeat across the chunks of an archive: a
/// per-chunk memo, and a fresh scratch for each chunk's redaction, redid
/// them (and grew the scratch's buffers) chunk after chunk. Message ids
/// never repeat and are redacted without the memo (see
/// [`RedactMemo::redact_once`]).
#[derive(Default)]
struct RedactMemo {
    /// Each string met and its redacted form.
    map: rustc_hash::FxHashMap<Box<str>, Arc<str>>,
    /// The scratch [`Detector::redact_text`] runs in, kept for its buffers.
    scratch: Option<Box<Scratch>>,
}

/// Its keys are the raw strings (userids, keys that may hold a phone
/// number): a debug print shows only how many it holds.
impl std::fmt::Debug for RedactMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactMemo")
            .field("strings", &self.map.len())
            .finish_non_exhaustive()
    }
}

impl RedactMemo {
    /// `text` with every identifier in it masked (see
    /// [`Detector::redact_text`]), from the memo when met before.
    fn redact(&mut self, detector: &Detector<'_>, text: &str) -> Arc<str> {
        if let Some(r) = self.map.get(text) {
            return r.clone();
        }
        let r = self.redact_once(detector, text);
        if self.map.len() >= MAX_REDACTED {
            self.map.clear();
        }
        self.map.insert(Box::from(text), r.clone());
        r
    }

    /// `text` redacted (see [`Detector::redact_text`]) without the memo,
    /// for strings met once (message ids): the same string
    /// [`RedactMemo::redact`] gives, as both redact it alike.
    fn redact_once(&mut self, detector: &Detector<'_>, text: &str) -> Arc<str> {
        let scratch = self.scratch.get_or_insert_with(Box::default);
        Arc::from(detector.redact_text(text, scratch))
    }
}

/// The text of a record field (a range of `chunk.data`), as
/// [`Chunk::record_text`] gives it but borrowed when it is valid UTF-8:
/// five of them per finding were five allocations (checked as
/// [`value_str`] checks, the standard check first: 1% of the instructions
/// of an archive's hot lines went to the piecewise one).
fn record_str<'c>(chunk: &'c Chunk, range: &Name) -> Option<std::borrow::Cow<'c, str>> {
    if range.is_empty() {
        return None;
    }
    let bytes = chunk.data.get(range.start as usize..range.end as usize)?;
    Some(value_str(bytes))
}

/// A match's value as text, as `String::from_utf8_lossy` gives it: its
/// check of valid UTF-8 by pieces cost more than the standard check,
/// which is tried first (values are nearly always ASCII digits).
fn value_str(value: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(value),
    }
}

/// Most findings a scratch keeps for reuse: a chunk's worth of a directory
/// export (a table chunk holds at most 16K cells), a few megabytes.
const MAX_SPARE: usize = 1 << 14;

impl Scratch {
    /// The counts of findings the allowlists removed since the last call.
    pub fn take_suppressed(&mut self) -> Suppressed {
        std::mem::take(&mut self.suppressed)
    }

    /// Takes back findings that have been reported (and empties
    /// `findings`). [`Detector::detect`] writes its next findings' masks,
    /// fingerprints and record locations into their strings and boxes
    /// instead of allocating new ones: in a directory export, whose every
    /// row holds findings, those allocations (and their frees) were a
    /// tenth of a worker's time.
    pub fn recycle(&mut self, findings: &mut Vec<Finding>) {
        let room = MAX_SPARE.saturating_sub(self.spare.len());
        self.spare.extend(findings.drain(..).take(room));
    }
}

/// Context-word hits of one stretch of the current chunk. Neighbouring
/// candidates (the groups of one run, the fields of one record) share most
/// of their windows, so hits are found once per stretch, not once per
/// candidate and rule.
#[derive(Debug, Default)]
struct ContextCache {
    /// The field of the last [`place_near`] lookup.
    field: usize,
    /// The current chunk's fields, packed for [`place_near`].
    spans: FieldSpans,
    from: usize,
    to: usize,
    /// Start of the field or text the hits lie in (see [`stands_alone`]).
    field_start: usize,
    /// `(start, end, word id)`, ordered by start.
    hits: Vec<(usize, usize, u32)>,
}

/// What [`place_near`] and [`Detector::score`] read of a field: its
/// bounds and label, 16 bytes instead of the 88 of a [`Field`] record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FieldSpan {
    start: u32,
    end: u32,
    label: Name,
}

/// The spans of the current chunk's fields, in the same order (so the same
/// indices). Key decision: a table chunk has up to 16K fields (1.4 MB of
/// records) and every candidate in it is placed by a search over their
/// starts, whose probes into the records were cache misses (6% of a
/// directory scan); over packed spans a gallop stays within a line or two.
/// The spans are copied once per chunk, in one sequential pass, and only
/// when a candidate is first placed: a chunk without candidates (most of an
/// archive) pays nothing. A copy gives the same answers by construction.
#[derive(Debug, Default)]
struct FieldSpans {
    spans: Vec<FieldSpan>,
    /// Whether `spans` holds the current chunk's fields.
    ready: bool,
}

impl FieldSpans {
    /// The spans of `chunk`'s fields, copied on the first call after a
    /// [`ContextCache::clear`].
    fn of(&mut self, chunk: &Chunk) -> &[FieldSpan] {
        if !self.ready {
            self.spans.clear();
            self.spans.extend(chunk.fields.iter().map(|f| FieldSpan {
                start: f.start,
                end: f.end,
                label: f.label.clone(),
            }));
            self.ready = true;
        }
        debug_assert_eq!(self.spans.len(), chunk.fields.len());
        &self.spans
    }
}

/// How far past a requested window the cache searches at once.
const CONTEXT_STRETCH: usize = 4096;

impl ContextCache {
    fn clear(&mut self) {
        self.from = 0;
        self.to = 0;
        self.hits.clear();
        self.spans.ready = false;
    }

    /// Hits lying inside `ws..we`, searching more of `data` (up to
    /// `limit`, the end of the field or text) when needed; words that do
    /// not stand alone in the field or text `field_start..limit` are left
    /// out (see [`stands_alone`]).
    fn hits(
        &mut self,
        (context, digit_words): (&rules::ContextAutomaton, bool),
        data: &[u8],
        (ws, we): (usize, usize),
        (field_start, limit): (usize, usize),
    ) -> &[(usize, usize, u32)] {
        if ws < self.from || we > self.to || self.to == 0 || field_start != self.field_start {
            self.from = ws;
            self.to = (ws + CONTEXT_STRETCH).min(limit).max(we).min(data.len());
            self.field_start = field_start;
            self.hits.clear();
            let (base, bounds) = (self.from, (field_start, limit.min(data.len())));
            // A text of digits (a phone or ID cell) holds no word unless
            // some word is written in digits too: not searched.
            let stretch = &data[base..self.to];
            if digit_words || !stretch.iter().all(|&b| digit_text_byte(b)) {
                push_standing_words(context, data, (base, self.to), bounds, &mut self.hits);
            }
            // An overlapping search reports words as it reaches their ends:
            // a word nested in another (户名 in 客户名单) comes before it
            // though it starts after it. The look-ups below bisect on the
            // starts, so they are put in order (without it, which of two
            // nested words near a window's start counted depended on the
            // stretch an earlier candidate had searched).
            self.hits.sort_unstable();
        }
        let lo = self.hits.partition_point(|h| h.0 < ws);
        let hi = self.hits.partition_point(|h| h.0 < we);
        &self.hits[lo..hi]
    }
}

/// What the labels (JSON keys, column headers) of a chunk say, computed
/// once per distinct label.
#[derive(Debug, Default)]
struct LabelCache {
    /// Each label and its marks for each rule (see [`LabelContext::marks`]),
    /// worked out once: a table asks for them for every candidate in every
    /// cell.
    entries: Vec<(String, Vec<(u64, bool)>)>,
}

/// Context carried by a label.
#[derive(Debug, Default, Clone)]
struct LabelContext {
    /// Context-word ids found in the label.
    words: Vec<u32>,
    /// Kinds whose column synonyms the label names.
    kinds: Vec<u32>,
}

impl LabelCache {
    /// The marks of `label` for rule `rule` (an index into `rules.rules`).
    fn marks(&mut self, rules: &RuleSet, label: &str, rule: usize) -> (u64, bool) {
        let i = match self.entries.iter().position(|(l, _)| l == label) {
            Some(i) => i,
            None => {
                let ctx = LabelContext::new(rules, label);
                let marks = rules.rules.iter().map(|r| ctx.marks(r)).collect();
                self.entries.push((label.to_string(), marks));
                self.entries.len() - 1
            }
        };
        self.entries[i].1[rule]
    }
}

impl LabelContext {
    /// What `label` says: its context words (neutral ones, and those inside
    /// a neutral one, left out) and the kinds it names by column synonym.
    fn new(rules: &RuleSet, label: &str) -> LabelContext {
        let mut ctx = LabelContext::default();
        let mut hits = Vec::new();
        rules
            .context
            .for_each(label.as_bytes(), |hs, he, id| hits.push((hs, he, id)));
        for &(hs, he, id) in &hits {
            if !rules.neutral[id as usize] && !inside_neutral(rules, &hits, (hs, he), 0) {
                ctx.words.push(id);
            }
        }
        if let Some(columns) = &rules.columns {
            for hit in columns.find_overlapping_iter(label.as_bytes()) {
                ctx.kinds.push(rules.column_kinds[hit.pattern().as_usize()]);
            }
        }
        ctx
    }

    /// What the label says about `rule`: its positive context (a bit per
    /// context-word slot of the rule, bit 63 for a column synonym of its
    /// kind) and whether it holds a negative word of the rule.
    #[inline]
    fn marks(&self, rule: &Rule) -> (u64, bool) {
        let mut positive = 0u64;
        let mut negative = false;
        for id in &self.words {
            if let Some(slot) = rule.context.iter().position(|w| w == id) {
                positive |= 1 << (slot % 63);
            } else if rule.negative.contains(id) {
                negative = true;
            }
        }
        if self.kinds.contains(&rule.kind_id) {
            positive |= 1 << 63;
        }
        (positive, negative)
    }
}

/// The context-word hit `hs..he` lies inside a neutral word among `hits`
/// (`(start, end, word id)`) that starts at or after `from`: 户名 inside
/// 客户名单 does not count. The detector's scoring, its labels and the line
/// gate all ask this one question.
fn inside_neutral(
    rules: &RuleSet,
    hits: &[(usize, usize, u32)],
    (hs, he): (usize, usize),
    from: usize,
) -> bool {
    hits.iter().any(|&(ns, ne, n)| {
        rules.neutral[n as usize] && ns >= from && ns <= hs && he <= ne && (ns, ne) != (hs, he)
    })
}

/// Whether the context word found at `hs..he` of `data` stands alone
/// among ASCII letters and digits, in the field or text `lo..hi` (the
/// bytes outside it are no neighbours): a word that starts with an ASCII
/// letter or digit follows none, and one that ends with one is followed
/// by no ASCII letter. Words of other characters (中文 words) always stand
/// alone.
///
/// Key decision: the ASCII words (`tel`, `vx`, `sfz`, `mtp`, `tin`,
/// `eep`…) turn up inside other words and, above all, inside the random
/// letters of base64 ids, room ids and URLs on every archive line. On a
/// 20 MB archive sample `tin` was found 1,965 times (2 of them a word:
/// `XuTing` holds it), `vx` 1,387 times (5), `mtp` 20 times (none);
/// `mtp` and `eep` inside a URL's key made a 10-digit timestamp next to
/// it a 台胞证 number (11 of the 26 low-confidence findings of the 300 MB
/// archive). A digit may follow a word (`tel13800001234`, `TIN123…`), so
/// it ends one; one before it does not start one (`…28Sfz…`). Labels (JSON
/// keys, column headers) are read as before, word inside word: keys run
/// words together (`sfzh`, `telNo`, `mobilephone`), and a key is no
/// random text.
pub(crate) fn stands_alone(
    data: &[u8],
    (hs, he): (usize, usize),
    (lo, hi): (usize, usize),
) -> bool {
    debug_assert!(lo <= hs && hs < he);
    let before =
        hs > lo && data[hs - 1].is_ascii_alphanumeric() && data[hs].is_ascii_alphanumeric();
    let after = he < hi && data[he].is_ascii_alphabetic() && data[he - 1].is_ascii_alphanumeric();
    !before && !after
}

/// Pushes to `out` the context words in `data[from..to]` that stand alone
/// in the field or text `bounds` ([`stands_alone`]), as (start, end, word
/// id) in `data`, in the order of an overlapping search: the words the
/// detector reads in a stretch of a field, and the line gate in a string's
/// window, as the detector would.
fn push_standing_words(
    context: &rules::ContextAutomaton,
    data: &[u8],
    (from, to): (usize, usize),
    bounds: (usize, usize),
    out: &mut Vec<(usize, usize, u32)>,
) {
    context.for_each(&data[from..to], |hs, he, id| {
        let (hs, he) = (from + hs, from + he);
        if stands_alone(data, (hs, he), bounds) {
            out.push((hs, he, id));
        }
    });
}

/// The rules (bits; only the first 64 rules are told) that `label` names
/// as something else: it holds a negative word of the rule and no positive
/// one nor a column synonym of its kind. [`Detector::score`] drops every
/// match of such a rule in a field under that label unless the field's own
/// window holds a context word of the rule; the line gate uses this to
/// leave out such fields (`msgid` values that pass a card's checksum).
pub(crate) fn label_drops(rules: &RuleSet, label: &str) -> u64 {
    let ctx = LabelContext::new(rules, label);
    let mut drops = 0u64;
    for (ri, rule) in rules.rules.iter().enumerate().take(64) {
        if let (0, true) = ctx.marks(rule) {
            drops |= 1 << ri;
        }
    }
    drops
}

/// The detector: a compiled rule set plus the fingerprint key.
#[derive(Debug)]
pub struct Detector<'a> {
    rules: &'a RuleSet,
    key: &'a FingerprintKey,
    allow: Option<&'a Allow>,
}

/// How to search a regex rule's window line by line. Key decision: a
/// regex whose matches never hold a line break and which asserts nothing
/// about a match's neighbours (no anchors, no word boundaries) finds, over
/// a window, exactly the matches it finds over each line of the window
/// searched alone, one line after the other: no match spans two lines, and
/// a search from inside a line meets the same candidates whether the text
/// goes on past the line's end or not. When, in addition, every match holds
/// one of a few short pieces (the `@` forms of an email), a line holding
/// none of them holds no match and is not searched at all. In a table
/// chunk every cell is a line, and a window around an email's `@` covers a
/// few rows, of which only the email cells are searched: the lazy DFA's
/// walk over the window was a tenth of a directory scan.
#[derive(Debug)]
pub struct LinePlan {
    /// Pieces of one byte: a line holding none of them (nor a longer
    /// piece) holds no match.
    bytes: Vec<u8>,
    /// Longer pieces.
    longer: Vec<memchr::memmem::Finder<'static>>,
}

impl LinePlan {
    /// The plan for `pattern` (see [`LinePlan::of_hir`]; the rules build
    /// theirs from a parse they share with the guard).
    #[cfg(test)]
    fn new(pattern: &str) -> Option<LinePlan> {
        LinePlan::of_hir(&pattern_hir(pattern)?)
    }

    /// The plan for a pattern parsed by [`pattern_hir`], if its matches
    /// never hold a line break, it asserts nothing and a short list of
    /// pieces is known that every match holds one of.
    fn of_hir(hir: &regex_syntax::hir::Hir) -> Option<LinePlan> {
        if !line_local(hir) {
            return None;
        }
        let pieces = required_pieces(hir)?;
        let mut plan = LinePlan {
            bytes: Vec::new(),
            longer: Vec::new(),
        };
        for piece in pieces {
            match piece.as_slice() {
                [] => return None,
                [b] => plan.bytes.push(*b),
                _ => plan
                    .longer
                    .push(memchr::memmem::Finder::new(&piece).into_owned()),
            }
        }
        plan.bytes.sort_unstable();
        plan.bytes.dedup();
        Some(plan)
    }

    /// Starts of the pieces in `hay` (in no particular order; overlapping
    /// occurrences of one longer piece may be left out, but not all of
    /// those on a line), appended to `out`.
    fn piece_starts(&self, hay: &[u8], base: usize, out: &mut Vec<usize>) {
        for b in self.bytes.chunks(3) {
            match *b {
                [a] => out.extend(memchr::memchr_iter(a, hay).map(|i| base + i)),
                [a, b] => out.extend(memchr::memchr2_iter(a, b, hay).map(|i| base + i)),
                [a, b, c] => out.extend(memchr::memchr3_iter(a, b, c, hay).map(|i| base + i)),
                _ => {}
            }
        }
        for f in &self.longer {
            out.extend(f.find_iter(hay).map(|i| base + i));
        }
    }
}

/// The value spans (the `value` group, else the whole match) of the
/// matches of `regex` in `data[window]`, in order, left in `found`: searched
/// over the whole window, or line by line after `plan` (`starts` is scratch
/// space).
fn window_matches(
    regex: &regex::bytes::Regex,
    plan: Option<&LinePlan>,
    data: &[u8],
    window: std::ops::Range<usize>,
    found: &mut Vec<(usize, usize)>,
    starts: &mut Vec<usize>,
) {
    found.clear();
    // A pattern without groups (the built-in email rule's) is searched
    // for its matches alone: `captures_iter` allocates each match's
    // groups, one allocation per email in a directory export.
    let groups = regex.captures_len() > 1;
    let mut collect = |from: usize, to: usize| {
        if !groups {
            found.extend(
                regex
                    .find_iter(&data[from..to])
                    .map(|m| (from + m.start(), from + m.end())),
            );
            return;
        }
        for caps in regex.captures_iter(&data[from..to]) {
            let Some(whole) = caps.get(0) else { continue };
            let v = caps.name("value").unwrap_or(whole);
            found.push((from + v.start(), from + v.end()));
        }
    };
    let (ws, we) = (window.start, window.end);
    let Some(plan) = plan else {
        collect(ws, we);
        return;
    };
    // Line by line, only the lines holding a piece (see `LinePlan`): the
    // same matches, in the same order.
    starts.clear();
    plan.piece_starts(&data[ws..we], ws, starts);
    starts.sort_unstable();
    // Lines before `from` have been searched.
    let mut from = ws;
    for &p in starts.iter() {
        if p < from {
            continue;
        }
        let line = memchr::memrchr(b'\n', &data[from..p]).map_or(from, |i| from + i + 1);
        let end = memchr::memchr(b'\n', &data[p..we]).map_or(we, |i| p + i);
        collect(line, end);
        from = end + 1;
    }
}

/// A regex rule's pattern parsed as `regex::bytes::Regex::new` parses it,
/// for its line plan and its guard (`None` when it does not parse).
fn pattern_hir(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// No match of `h` holds a line break, and `h` holds no assertion (`^`,
/// `$`, `\b`…), which could see a line's end differently from a search's.
/// A character other than `\n` never encodes to a byte 0x0A in UTF-8.
fn line_local(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match h.kind() {
        HirKind::Empty => true,
        HirKind::Literal(l) => !l.0.contains(&b'\n'),
        HirKind::Class(Class::Unicode(c)) => !c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Class(Class::Bytes(c)) => !c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Look(_) => false,
        HirKind::Repetition(r) => line_local(&r.sub),
        HirKind::Capture(c) => line_local(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(line_local),
    }
}

/// Pieces (non-empty byte strings) of which every match of `h` holds at
/// least one, or `None` when no short list is known. A concatenation needs
/// the pieces of any one of its parts (the rarest are chosen, by
/// [`pieces_cost`]); an alternation those of all its branches; a
/// repetition those of its body when it must occur at least once.
fn required_pieces(h: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::{Class, HirKind};
    match h.kind() {
        HirKind::Literal(l) if !l.0.is_empty() => Some(vec![l.0.to_vec()]),
        HirKind::Class(Class::Unicode(c)) => class_pieces(
            c.ranges().iter().map(|r| (r.start(), r.end())),
            |ch: char| ch.to_string().into_bytes(),
        ),
        HirKind::Class(Class::Bytes(c)) => {
            class_pieces(c.ranges().iter().map(|r| (r.start(), r.end())), |b: u8| {
                vec![b]
            })
        }
        HirKind::Repetition(r) if r.min >= 1 => required_pieces(&r.sub),
        HirKind::Capture(c) => required_pieces(&c.sub),
        HirKind::Concat(v) => v
            .iter()
            .filter_map(required_pieces)
            .min_by_key(|p| pieces_cost(p)),
        HirKind::Alternation(v) => {
            let mut all = Vec::new();
            for branch in v {
                all.extend(required_pieces(branch)?);
            }
            (all.len() <= 8).then_some(all)
        }
        _ => None,
    }
}

/// The pieces of a class (its `ranges` of characters or bytes, each
/// written as `bytes` writes it): each of its members, when it has at most
/// `MAX_CLASS` of them (else `None`: too many to search for).
fn class_pieces<T>(
    ranges: impl Iterator<Item = (T, T)> + Clone,
    bytes: impl Fn(T) -> Vec<u8>,
) -> Option<Vec<Vec<u8>>>
where
    T: Copy + Into<u32>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
    /// Classes of more members than this give no pieces.
    const MAX_CLASS: u32 = 4;
    let n: u32 = ranges.clone().map(|(a, b)| 1 + b.into() - a.into()).sum();
    (n <= MAX_CLASS).then(|| ranges.flat_map(|(a, b)| a..=b).map(bytes).collect())
}

/// How often a list of pieces may be expected in text (lower is rarer):
/// it only steers which pieces are searched, never what is found.
fn pieces_cost(pieces: &[Vec<u8>]) -> u32 {
    pieces
        .iter()
        .map(|p| match p.as_slice() {
            [b'@'] => 1,
            [b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'<' | b'>' | b'#' | b'$' | b'&'] => 5,
            [b] if b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || b.is_ascii_control() => {
                100
            }
            [b] if b.is_ascii() => 30,
            [_] => 50,
            _ => 2,
        })
        .sum()
}

/// What a field's record location is made of, but its row (see
/// [`Detector::record_location`]): its record and the name ranges of its
/// path, column and header. Fields with the same key have the same
/// location but for the row; in a table, a column's cells share one.
type LocationKey = (Option<u32>, [u32; 6]);

/// The [`LocationKey`] of `f`.
fn location_key(f: &Field) -> LocationKey {
    let names = [&f.path, &f.cell_column, &f.header];
    (
        f.record,
        [
            names[0].start,
            names[0].end,
            names[1].start,
            names[1].end,
            names[2].start,
            names[2].end,
        ],
    )
}

/// Where a match sits in a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The chunk is plain text.
    Text,
    /// Inside field `i`.
    Field(usize),
    /// Between fields (JSON syntax, the escaped original of a decoded
    /// string): not reported.
    Outside,
}

fn place(chunk: &Chunk, offset: usize) -> Place {
    if chunk.fields.is_empty() {
        return if chunk.walked {
            Place::Outside
        } else {
            Place::Text
        };
    }
    let i = chunk
        .fields
        .partition_point(|f| (f.start as usize) <= offset);
    match i.checked_sub(1) {
        Some(i) if offset < chunk.fields[i].end as usize => Place::Field(i),
        _ => Place::Outside,
    }
}

/// Asks for the cache lines of `f`, a field the next match lies in.
///
/// Key decision: a table's fields are written by the reader thread, so the
/// first read of a finding's field misses this core's caches; on a
/// directory export (a few findings in every row) that read was about half
/// of `Detector::detect`'s own time. Asked one finding ahead, the lines
/// arrive while the finding before is judged, masked and fingerprinted
/// (5 MB directory CSV, 61 paired runs: -4% wall at -j1, -3% at -j2; on
/// this shared machine single comparisons swing by 5%).
#[inline(always)]
fn prefetch_field(f: &Field) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = (f as *const Field).cast::<i8>();
        // SAFETY: a prefetch reads nothing and never faults, and SSE is
        // part of every x86-64 CPU; the second line is that of the field's
        // last byte (a field spans at most two).
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p);
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(std::mem::size_of::<Field>() - 1));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = f;
}

/// [`place`], searching forward from the field of the previous lookup
/// (`hint`): candidates come in input order, and a table chunk has
/// thousands of fields (16k in a 1 MiB directory chunk). The next
/// candidate usually sits a few fields on (the next row's phone cell), so
/// the search gallops from the hint (steps of 1, 2, 4…) and bisects only
/// the last step: a few probes, all near the hint in memory, instead of a
/// bisection of the whole list (14 probes, most of them cache misses,
/// which cost 12% of a directory scan). An offset before the hint's field
/// (a stale hint) is bisected over the whole list. `spans` are the chunk's
/// fields as [`FieldSpans::of`] packs them (empty when it has none).
fn place_near(chunk: &Chunk, spans: &[FieldSpan], offset: usize, hint: &mut usize) -> Place {
    if spans.is_empty() {
        return place(chunk, offset);
    }
    let Some(f) = spans.get(*hint) else {
        return place_set(spans, offset, hint);
    };
    if f.start as usize > offset {
        return place_set(spans, offset, hint);
    }
    // Invariant: spans[lo].start <= offset; the answer is the last such
    // field, at lo or after.
    let (mut lo, mut step) = (*hint, 1usize);
    let hi = loop {
        let probe = lo + step;
        match spans.get(probe) {
            Some(p) if p.start as usize <= offset => {
                lo = probe;
                step *= 2;
            }
            // The answer lies in lo..probe (probe may be past the end).
            _ => break probe.min(spans.len()),
        }
    };
    let i = lo + spans[lo + 1..hi].partition_point(|f| (f.start as usize) <= offset);
    *hint = i;
    if offset < spans[i].end as usize {
        Place::Field(i)
    } else {
        Place::Outside
    }
}

/// [`place`] over the (non-empty) spans of a chunk's fields, leaving in
/// `hint` the last field starting at or before `offset` (if any), where
/// [`place_near`] searches from next time.
fn place_set(spans: &[FieldSpan], offset: usize, hint: &mut usize) -> Place {
    let n = spans.partition_point(|f| (f.start as usize) <= offset);
    *hint = n.saturating_sub(1);
    match n.checked_sub(1) {
        Some(i) if offset < spans[i].end as usize => Place::Field(i),
        _ => Place::Outside,
    }
}

impl<'a> Detector<'a> {
    /// Creates a detector over a compiled rule set.
    pub fn new(rules: &'a RuleSet, key: &'a FingerprintKey) -> Self {
        Detector {
            rules,
            key,
            allow: None,
        }
    }

    /// The same detector, leaving out the findings `allow` allowlists
    /// (counted in the scratch space, see [`Scratch::take_suppressed`]).
    pub fn with_allow(mut self, allow: &'a Allow) -> Self {
        self.allow = Some(allow);
        self
    }

    /// Lines (numbers) of the chunk holding the inline allow marker. Only
    /// a line holding a finding asks, so a gated chunk is searched in its
    /// hot lines and its decoded copies alone (one pass over a whole 1 MiB
    /// chunk cost about 3% of an archive scan). Of the context lent by the
    /// previous chunk only the start of the chunk's first line is searched
    /// (a line longer than a chunk is split): the lines before it are not
    /// this chunk's to report on.
    fn marked_lines(&self, chunk: &Chunk) -> Vec<u64> {
        // Built once: a finder set up per search cost about 1k instructions
        // per hot line (callgrind, s20).
        static MARKER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(INLINE_MARKER));
        let data = &chunk.data[..];
        let mut marked = Vec::new();
        let mut search = |from: usize, to: usize| {
            marked.extend(
                MARKER
                    .find_iter(&data[from..to])
                    .map(|pos| line_at(chunk, from + pos)),
            );
        };
        let lent = chunk.context_before as usize;
        let first_line = memchr::memrchr(b'\n', &data[..lent]).map_or(0, |i| i + 1);
        let gated = chunk.gated_len as usize;
        match &chunk.hot {
            Some(lines) if gated > 0 => {
                // Markers that start in the lent part of the first line
                // (they may run on past the border).
                search(first_line, (lent + INLINE_MARKER.len() - 1).min(data.len()));
                for l in lines {
                    search(l.start as usize, l.end as usize);
                }
                search(gated, data.len());
            }
            _ => search(first_line, data.len()),
        }
        marked
    }

    /// Whether an allowlist leaves `m` out (`Err`, with the reason), given
    /// its line and the lines holding the inline marker; else its
    /// fingerprint is in `fingerprint` (written over).
    fn judge(
        &self,
        (m, value): (&RawMatch, &[u8]),
        line: u64,
        marked: &[u64],
        fingerprint: &mut String,
    ) -> Result<(), Allowed> {
        if marked.contains(&line) {
            return Err(Allowed::Inline);
        }
        if self.allow.is_some_and(|a| a.value(value)) {
            return Err(Allowed::Value);
        }
        let rule = &self.rules.rules[m.rule];
        self.key.fingerprint_into(&rule.kind, value, fingerprint);
        if self.allow.is_some_and(|a| a.fingerprint(fingerprint)) {
            return Err(Allowed::Fingerprint);
        }
        Ok(())
    }

    /// The replacements that sanitize `chunk` (`leaksweep redact`): each
    /// reportable match at or above `min` that no allowlist covers, with
    /// its replacement text under `mode`, ordered by start; overlapping
    /// matches keep the earlier, then the longer one. No raw value leaves:
    /// only positions and replacement texts.
    pub fn replacements(
        &self,
        chunk: &Chunk,
        scratch: &mut Scratch,
        mode: Replace,
        min: Confidence,
        out: &mut Vec<Replacement>,
    ) {
        out.clear();
        self.find(chunk, scratch);
        if scratch.matches.is_empty() {
            return;
        }
        scratch
            .matches
            .sort_by_key(|m| (m.start, std::cmp::Reverse(m.end), m.rule));
        let marked = match self.allow {
            Some(a) if a.inline => self.marked_lines(chunk),
            _ => Vec::new(),
        };
        let mut end = 0;
        let mut fingerprint = String::new();
        for m in &scratch.matches {
            if m.confidence < min || m.start < end {
                continue;
            }
            let line = if marked.is_empty() {
                0
            } else {
                line_at(chunk, m.start)
            };
            let value = m.value(&scratch.values);
            if self
                .judge((m, value), line, &marked, &mut fingerprint)
                .is_err()
            {
                continue;
            }
            let rule = &self.rules.rules[m.rule];
            let text = match mode {
                Replace::Mask => mask(rule.mask, &String::from_utf8_lossy(value)),
                Replace::Token => format!("[{}:{}]", rule.kind, &fingerprint[..12]),
                Replace::Remove => format!("[{}]", rule.kind),
            };
            end = m.end;
            out.push(Replacement {
                start: m.start,
                end: m.end,
                rule: rule.id.clone(),
                text,
            });
        }
    }

    /// Appends the findings of `chunk` to `out`, ordered by position.
    pub fn detect(&self, chunk: &Chunk, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        self.find(chunk, scratch);
        if scratch.matches.is_empty() {
            return;
        }
        scratch.matches.sort_by_key(|m| (m.start, m.rule));
        let data = &chunk.data[..];
        let first = out.len();
        let mut cursor = Cursor::new(
            chunk.context_before as usize,
            chunk.first_line,
            chunk.first_column,
        );
        let mut memo = std::mem::take(&mut scratch.redacted);
        // Record locations by what they are made of but the row: the cells
        // of one column (the values of one message) share one.
        let mut locations: rustc_hash::FxHashMap<LocationKey, RecordLocation> =
            rustc_hash::FxHashMap::default();
        // Entry names inside containers come from the archive, not from the
        // command line: mask identifiers in them like any other string.
        let path: Arc<str> = if chunk.path.contains('!') {
            memo.redact(self, &chunk.path)
        } else {
            chunk.path.clone()
        };
        // The field of the last finding pushed: the next finding in the
        // same field reuses its record location (cloned only then, not for
        // every finding: in a table each finding sits in a cell of its own).
        let mut last_field: Option<usize> = None;
        let marked = match self.allow {
            Some(a) if a.inline => self.marked_lines(chunk),
            _ => Vec::new(),
        };
        let mut suppressed = Suppressed::default();
        // Position inside the current exact field, advanced forward only
        // (a field can be a whole 1 MiB line holding thousands of values).
        let mut field_cursor: Option<(usize, Cursor)> = None;
        let mut hint = 0;
        let mut fp = String::new();
        let mut spare = std::mem::take(&mut scratch.spare);
        let spans = scratch.context.spans.of(chunk);
        // Each match's place is found one match ahead (`peek`), and that
        // match's field fetched meanwhile (see `prefetch_field`).
        let mut places = scratch
            .matches
            .iter()
            .map(|m| place_near(chunk, spans, m.start, &mut hint))
            .peekable();
        let places = std::iter::from_fn(|| {
            let here = places.next()?;
            if let Some(&Place::Field(j)) = places.peek() {
                prefetch_field(&chunk.fields[j]);
            }
            Some(here)
        });
        for (m, here) in scratch.matches.iter().zip(places) {
            let rule = &self.rules.rules[m.rule];
            let (line, column, field) = match here {
                Place::Field(i) => {
                    let f = &chunk.fields[i];
                    let (line, column) = if f.exact {
                        let fresh =
                            !matches!(&field_cursor, Some((j, c)) if *j == i && c.pos <= m.start);
                        if fresh {
                            field_cursor =
                                Some((i, Cursor::new(f.start as usize, f.line, f.column)));
                        }
                        match &mut field_cursor {
                            Some((_, c)) => c.advance(data, m.start),
                            None => (f.line, f.column),
                        }
                    } else {
                        (f.line, f.column)
                    };
                    (line, column, Some(i))
                }
                _ => {
                    let (line, column) = cursor.advance(data, m.start);
                    (line, column, None)
                }
            };
            let value = m.value(&scratch.values);
            match self.judge((m, value), line, &marked, &mut fp) {
                Ok(()) => {}
                Err(why) => {
                    // Matches below the report's threshold would not have
                    // been reported anyway: left out, not counted.
                    if self.allow.is_some_and(|a| m.confidence >= a.min_confidence) {
                        let n = match why {
                            Allowed::Inline => &mut suppressed.inline,
                            Allowed::Value => &mut suppressed.value,
                            Allowed::Fingerprint => &mut suppressed.fingerprint,
                        };
                        *n += 1;
                    }
                    continue;
                }
            };
            // A finding given back from an earlier chunk lends its strings,
            // its record's box and its shared names (see
            // `Scratch::recycle`): a name already the one to report is
            // kept, which saves a reference count's increment now and its
            // decrement when the old finding would have been dropped.
            let (mut masked, mut fingerprint, mut boxed, names) = match spare.pop() {
                Some(old) => (
                    old.masked,
                    old.fingerprint,
                    old.record,
                    Some((old.rule, old.kind, old.path)),
                ),
                None => (String::new(), String::new(), None, None),
            };
            let reuse = |old: Arc<str>, new: &Arc<str>| {
                if Arc::ptr_eq(&old, new) {
                    old
                } else {
                    new.clone()
                }
            };
            let (rule_id, kind, finding_path) = match names {
                Some((r, k, p)) => (reuse(r, &rule.id), reuse(k, &rule.kind), reuse(p, &path)),
                None => (rule.id.clone(), rule.kind.clone(), path.clone()),
            };
            // The fingerprint `judge` wrote, swapped in rather than copied:
            // `fp` takes the old string, which `judge` clears.
            std::mem::swap(&mut fingerprint, &mut fp);
            // The record location only after the allowlists: a suppressed
            // match never needs one.
            let record = field.map(|i| {
                let previous = out[first..]
                    .last()
                    .filter(|_| last_field == Some(i))
                    .and_then(|prev| prev.record.as_deref());
                let location = match previous {
                    Some(previous) => previous.clone(),
                    None => {
                        let f = &chunk.fields[i];
                        let shared = locations
                            .entry(location_key(f))
                            .or_insert_with(|| self.record_location(chunk, f, &mut memo));
                        RecordLocation {
                            row: f.row,
                            ..shared.clone()
                        }
                    }
                };
                match boxed.take() {
                    Some(mut b) => {
                        *b = location;
                        b
                    }
                    None => Box::new(location),
                }
            });
            last_field = field;
            masked.clear();
            mask_into(rule.mask, &value_str(value), &mut masked);
            out.push(Finding {
                rule: rule_id,
                kind,
                severity: rule.severity,
                confidence: m.confidence,
                path: finding_path,
                line,
                column,
                masked,
                fingerprint,
                obfuscated: m.obfuscated,
                record,
            });
        }
        scratch.spare = spare;
        scratch.redacted = memo;
        scratch.suppressed.add(&suppressed);
        // Decoded strings sit after the raw text in `data`: order by place
        // in the input, so that output does not depend on chunk size. Ties
        // (the cells of one CSV row, the values of one decoded string share
        // a line and column) keep their order in `data`, which is their
        // order in the input whether or not a chunk border splits them
        // (the sort is stable; matches were ordered by start, then rule).
        out[first..].sort_by_key(|f| (f.line, f.column));
    }

    /// The record location of a field, every string in it redacted. It
    /// depends on the field's record, path, column, header (its
    /// [`LocationKey`]) and row alone.
    fn record_location(&self, chunk: &Chunk, f: &Field, memo: &mut RedactMemo) -> RecordLocation {
        // Headers, sheet names and userids repeat across findings and
        // chunks: each distinct string is redacted once (see `RedactMemo`).
        let rec = f.record.and_then(|r| chunk.records.get(r as usize));
        let text = |pick: fn(&Record) -> &Name| rec.and_then(|r| record_str(chunk, pick(r)));
        // Message ids are each message's own: not worth the memo.
        let msgid = text(|r| &r.msgid).map(|s| memo.redact_once(self, &s));
        let mut red = |s: Option<&str>| s.map(|s| memo.redact(self, s));
        RecordLocation {
            msgid,
            from: red(text(|r| &r.from).as_deref()),
            roomid: red(text(|r| &r.roomid).as_deref()),
            msgtime: text(|r| &r.msgtime).and_then(|t| t.parse().ok()),
            msgtype: red(text(|r| &r.msgtype).as_deref()),
            sheet: red(rec.and_then(|r| chunk.name(&r.sheet))),
            field: red(chunk.name(&f.path)),
            row: f.row,
            column: red(chunk.name(&f.cell_column)),
            header: red(chunk.name(&f.header)),
        }
    }

    /// Runs both passes over a chunk, leaving scored matches (in no
    /// particular order) in `scratch.matches`.
    fn find(&self, chunk: &Chunk, scratch: &mut Scratch) {
        scratch.matches.clear();
        scratch.values.clear();
        scratch.context.clear();
        scratch.labels.entries.clear();
        self.token_pass(chunk, scratch);
        self.regex_pass(chunk, scratch);
        self.words_pass(chunk, scratch);
        // Context lent by the neighbouring chunks is reported by them.
        let body = chunk.body();
        if body != (0..chunk.data.len()) {
            scratch.matches.retain(|m| body.contains(&m.start));
        }
    }

    /// Returns `text` with every identifier found in it replaced by its
    /// mask. Used for strings that are not scanned as inputs but are
    /// printed: file names (`张三_13800001234.xlsx`), userids, sheet names.
    pub fn redact_text(&self, text: &str, scratch: &mut Scratch) -> String {
        // Nothing shorter than `a@b.cn` can hold an identifier.
        if text.len() < 6 && text.bytes().all(|b| b < 0x80 && b != b'@') {
            return text.to_string();
        }
        // The line gate first, as over a text input: a text none of whose
        // lines it keeps holds no match (most message ids and userids;
        // each finding of an archive redacts its message id, and the full
        // passes over it were a sixth of the time of archive lines that
        // all hold a finding).
        let mut lines = std::mem::take(&mut scratch.redact_lines);
        self.hot_lines(
            text.as_bytes(),
            0..text.len(),
            false,
            None,
            scratch,
            &mut lines,
        );
        let cold = lines.is_empty();
        scratch.redact_lines = lines;
        let chunk = || Chunk {
            data: text.as_bytes().to_vec(),
            ..Chunk::default()
        };
        if cold {
            // The gate keeps its keyword hits for the passes below, over
            // this same text: skipped, the hits are forgotten, or the next
            // passes of this scratch would take them for their text's.
            scratch.forget_keyword_hits();
            // Checked with a scratch of its own, which leaves this one as
            // release builds leave it.
            #[cfg(debug_assertions)]
            {
                let mut check = Scratch::default();
                self.find(&chunk(), &mut check);
                debug_assert!(check.matches.is_empty(), "the gate left out a match");
            }
            return text.to_string();
        }
        self.find(&chunk(), scratch);
        if scratch.matches.is_empty() {
            return text.to_string();
        }
        let data = text.as_bytes();
        scratch
            .matches
            .sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for m in &scratch.matches {
            if m.start < pos {
                continue; // overlaps a span already masked
            }
            out.push_str(&String::from_utf8_lossy(&data[pos..m.start]));
            let rule = &self.rules.rules[m.rule];
            let value = m.value(&scratch.values);
            out.push_str(&mask(rule.mask, &String::from_utf8_lossy(value)));
            pos = m.end;
        }
        out.push_str(&String::from_utf8_lossy(&data[pos..]));
        out
    }

    /// Candidates from the run tokenizer, confirmed by token rules.
    fn token_pass(&self, chunk: &Chunk, scratch: &mut Scratch) {
        let rules = self.rules;
        let data = &chunk.data[..];
        let Scratch {
            run,
            matches,
            values,
            group_lens,
            context,
            labels,
            ..
        } = scratch;
        let mut score = |rule: usize, start: usize, end: usize, v: &Verdict| {
            self.score(chunk, context, labels, rule, start, end, v)
        };
        let mut scan = |range: std::ops::Range<usize>| {
            // Every candidate starts at a digit group: a range without a
            // byte that can begin a digit (see `may_hold_digit`) has none.
            // Most of a message's fields (`"send"`, `"text"`, user names)
            // are such, and the tokenizer's set-up costs more than this.
            if !may_hold_digit(&data[range.clone()]) {
                return;
            }
            for_each_run_at(
                data,
                range,
                rules.min_token_len,
                Some(rules.token_len_mask),
                run,
                |run| {
                    segment(rules, run, group_lens, &mut score, (matches, values));
                },
            );
        };
        // Only fields can hold a reportable match, and runs never cross a
        // field's border: in walked JSON lines (sparse fields between keys
        // and syntax) scan the fields one by one; in tables and documents,
        // whose cells lie close together, scan the whole text once.
        Self::ranges(chunk, &mut scan);
    }

    /// The ranges of `chunk` that can hold a reportable match, as the token
    /// pass walks them: the fields of walked JSON lines, the hot lines of
    /// gated text, else the whole body.
    fn ranges(chunk: &Chunk, mut f: impl FnMut(std::ops::Range<usize>)) {
        if chunk.walked {
            for fl in &chunk.fields {
                f(fl.start as usize..fl.end as usize);
            }
        } else if let (Some(lines), true) = (&chunk.hot, chunk.fields.is_empty()) {
            for l in lines {
                f(l.start as usize..l.end as usize);
            }
        } else {
            f(chunk.body());
        }
    }

    /// Word-list rules: every term hit, scored like any other match.
    fn words_pass(&self, chunk: &Chunk, scratch: &mut Scratch) {
        if self.rules.word_rules.is_empty() {
            return;
        }
        let data = &chunk.data[..];
        let Scratch {
            matches,
            values,
            context,
            labels,
            ..
        } = scratch;
        for &ri in &self.rules.word_rules {
            let rule = &self.rules.rules[ri];
            let Matcher::Words { terms, edges } = &rule.matcher else {
                continue;
            };
            let verdict = Verdict {
                strength: rule.strength,
                cap: None,
                normalized: None,
            };
            Self::ranges(chunk, |range| {
                for m in terms.find_iter(&data[range.clone()]) {
                    let (s, e) = (range.start + m.start(), range.start + m.end());
                    let (head, tail) = edges[m.pattern().as_usize()];
                    if (head && s > 0 && is_ascii_alnum(data[s - 1]))
                        || (tail && e < data.len() && is_ascii_alnum(data[e]))
                    {
                        continue;
                    }
                    let Some(confidence) = self.score(chunk, context, labels, ri, s, e, &verdict)
                    else {
                        continue;
                    };
                    let value_at = keep_value(values, &data[s..e]);
                    values[value_at.clone()].make_ascii_lowercase();
                    matches.push(RawMatch {
                        rule: ri,
                        start: s,
                        end: e,
                        confidence,
                        obfuscated: false,
                        value_at,
                    });
                }
            });
        }
    }

    /// Regex rules, searched only in windows around keyword hits.
    fn regex_pass(&self, chunk: &Chunk, scratch: &mut Scratch) {
        let Some(keywords) = &self.rules.keywords else {
            return;
        };
        let data = &chunk.data[..];
        scratch.searched_until.clear();
        scratch.searched_until.resize(self.rules.rules.len(), 0);
        let mut hits = std::mem::take(&mut scratch.keyword_hits);
        let mut found = std::mem::take(&mut scratch.regex_found);
        let mut starts = std::mem::take(&mut scratch.piece_starts);
        let known = std::mem::take(&mut scratch.keyword_len);
        if known > 0 && known <= data.len() {
            // The gate searched the raw text; only decoded strings,
            // appended after it, are left.
            keywords.for_each(&data[known..], |s, e, k| {
                hits.push((known + s, known + e, k))
            });
        } else {
            hits.clear();
            keywords.for_each(data, |s, e, k| hits.push((s, e, k)));
        }
        // The gated body's lines the gate left cold hold no match (see
        // `Detector::keywords_may_match`): their hits are passed over, as
        // they are where the gate's kept lines are copied out of a map and
        // the cold ones never reach the detector.
        let (gated, hot) = match &chunk.hot {
            Some(lines) if chunk.gated_len > 0 => (
                chunk.context_before as usize
                    ..(chunk.gated_len as usize).saturating_sub(chunk.context_after as usize),
                &lines[..],
            ),
            _ => (0..0, &[][..]),
        };
        let mut line = 0;
        for &(hit_start, hit_end, k) in &hits {
            if gated.contains(&hit_start) {
                while line < hot.len() && (hot[line].end as usize) < hit_start {
                    line += 1;
                }
                if hot.get(line).is_none_or(|l| (l.start as usize) > hit_start) {
                    continue;
                }
            }
            for &ri in &self.rules.keyword_rules[k] {
                let mut last_end = None;
                if hit_start < scratch.searched_until[ri] {
                    continue;
                }
                let rule = &self.rules.rules[ri];
                let Matcher::Regex {
                    regex,
                    window,
                    plan,
                    ..
                } = &rule.matcher
                else {
                    continue;
                };
                let ws = hit_start
                    .saturating_sub(window.0)
                    .max(scratch.searched_until[ri]);
                let we = (hit_end + window.1).min(data.len());
                window_matches(regex, plan.as_ref(), data, ws..we, &mut found, &mut starts);
                for &(vs, ve) in &found {
                    if touches_alnum(data, vs, ve) {
                        continue;
                    }
                    let value = &data[vs..ve];
                    let verdict = match &rule.validator {
                        Some((_, f)) => f(&Candidate { value, groups: &[] }),
                        None => Some(Verdict {
                            strength: rule.strength,
                            cap: None,
                            normalized: None,
                        }),
                    };
                    let Some(verdict) = verdict else { continue };
                    let Some(confidence) = self.score(
                        chunk,
                        &mut scratch.context,
                        &mut scratch.labels,
                        ri,
                        vs,
                        ve,
                        &verdict,
                    ) else {
                        continue;
                    };
                    let obfuscated = verdict
                        .normalized
                        .as_ref()
                        .is_some_and(|n| n.len() != value.len())
                        && rule.mask == crate::redact::MaskStyle::Email;
                    last_end = Some(ve);
                    let value_at = keep_value(
                        &mut scratch.values,
                        verdict.normalized.as_deref().unwrap_or(value),
                    );
                    scratch.matches.push(RawMatch {
                        rule: ri,
                        start: vs,
                        end: ve,
                        confidence,
                        obfuscated,
                        value_at,
                    });
                }
                // Resume after the last match, not at the window's end: a
                // match cut by the window end was rejected and must be
                // found whole by the next hit's window.
                scratch.searched_until[ri] = last_end.unwrap_or(hit_end);
            }
        }
        scratch.keyword_hits = hits;
        scratch.regex_found = found;
        scratch.piece_starts = starts;
    }

    /// Confidence from validator strength and context words (spec §0), or
    /// `None` when the match is not to be reported. In a structured input
    /// the context is the field itself plus its label (key or header).
    #[allow(clippy::too_many_arguments)]
    fn score(
        &self,
        chunk: &Chunk,
        cache: &mut ContextCache,
        labels: &mut LabelCache,
        ri: usize,
        start: usize,
        end: usize,
        verdict: &Verdict,
    ) -> Option<Confidence> {
        let data = &chunk.data[..];
        let rule: &Rule = &self.rules.rules[ri];
        let (mut ws, mut we) = context_window(data, start, end);
        let mut limit = data.len();
        let mut field_start = 0;
        let mut positive: u64 = 0; // bitset of distinct rule-context slots
        let mut nearest_positive = usize::MAX;
        let mut nearest_negative = usize::MAX;
        // A value under a key or column named msgid, 订单号, uuid… is that
        // id: not reported at all.
        let mut label_negative = false;
        let spans = cache.spans.of(chunk);
        match place_near(chunk, spans, start, &mut cache.field) {
            Place::Outside => return None,
            Place::Text => {}
            Place::Field(i) => {
                // The packed span, not the field's record: see `FieldSpans`.
                let f = &spans[i];
                if end > f.end as usize {
                    return None; // runs out of its field
                }
                ws = ws.max(f.start as usize);
                we = we.min(f.end as usize);
                limit = f.end as usize;
                field_start = f.start as usize;
                if let Some(label) = chunk.name(&f.label) {
                    // The gate leaves out fields by the same marks (see
                    // `label_drops`).
                    let (marks, negative) = labels.marks(self.rules, label, ri);
                    if marks != 0 {
                        positive |= marks;
                        nearest_positive = 0;
                    }
                    label_negative = negative;
                }
            }
        }
        // A neutral word that holds a context word of the window may start
        // before the window (客户名单 cut by its start still makes 户名 in
        // it no account holder): the words are read from that far back, but
        // not from before the field (a decoded field's bytes follow other
        // decoded text, with which it makes no word).
        let back = self.rules.context.max_pattern_len().saturating_sub(1);
        let floor = ws.saturating_sub(back).max(field_start);
        let words = (&self.rules.context, self.rules.context_digit_words);
        let hits = cache.hits(words, data, (floor, we), (field_start, limit));
        for &(hs, he, id) in hits {
            if hs < ws || he > we || self.rules.neutral[id as usize] {
                continue; // outside the window, or a neutral word itself
            }
            if inside_neutral(self.rules, hits, (hs, he), 0) {
                continue; // 户名 inside 客户名单
            }
            if he > start && hs < end {
                continue; // inside the value itself
            }
            let distance = if he <= start { start - he } else { hs - end };
            if let Some(slot) = rule.context.iter().position(|&w| w == id) {
                positive |= 1 << (slot % 63);
                nearest_positive = nearest_positive.min(distance);
            } else if he <= start && distance <= NEGATIVE_NEAR && rule.negative.contains(&id) {
                nearest_negative = nearest_negative.min(distance);
            }
        }
        let has_positive = positive != 0;
        if label_negative && !has_positive {
            return None;
        }
        let negative = nearest_negative < nearest_positive;
        let confidence = match (verdict.strength, has_positive, negative) {
            (Strength::Checked, _, true) => Confidence::Low,
            (Strength::Checked, true, false) => Confidence::High,
            (Strength::Checked, false, false) => Confidence::Medium,
            (Strength::Format, _, true) | (Strength::Format, false, _) => return None,
            (Strength::Format, true, false) if positive.count_ones() >= 2 => Confidence::Medium,
            (Strength::Format, true, false) => Confidence::Low,
        };
        Some(match verdict.cap {
            Some(cap) => confidence.min(cap),
            None => confidence,
        })
    }
}

/// Candidate lengths fit in the bytes of `segment`'s `ends`.
const _: () = assert!(MAX_TOKEN_LEN < 64);

/// Scores a confirmed candidate: `(rule, start, end, verdict)`.
type ScoreFn<'s> = dyn FnMut(usize, usize, usize, &Verdict) -> Option<Confidence> + 's;

/// Splits one run into candidates and confirms them. From each group, the
/// best reportable candidate wins: the most confident, then the earlier
/// rule, then the longer span; the groups it covers are consumed. Scoring
/// before choosing matters: an 8-digit number next to 账号 must become a
/// bank account, not a 台胞证 number that its missing context would drop.
fn segment(
    rules: &RuleSet,
    run: &Run,
    group_lens: &mut Vec<usize>,
    score: &mut ScoreFn<'_>,
    (out, values): (&mut Vec<RawMatch>, &mut Vec<u8>),
) {
    let g = &run.groups;
    let mut i = 0;
    while i < g.len() {
        // A candidate starts with a digit group that does not continue a
        // hex blob or word (`a716-446655440000`).
        if !g[i].digits || (i > 0 && g[i - 1].letters) {
            i += 1;
            continue;
        }
        // Candidate lengths, at most `MAX_TOKEN_LEN` (63): bytes, so that
        // the array is set up with a few stores (as `usize`s it took a
        // `memset` call of 512 bytes per candidate start).
        let mut ends = [0u8; MAX_TOKEN_LEN + 1];
        let mut count = 0;
        let mut total = 0;
        let mut mask = 0u64;
        for grp in &g[i..] {
            total += grp.len();
            if total > MAX_TOKEN_LEN {
                break;
            }
            ends[count] = total as u8;
            mask |= 1 << total;
            count += 1;
        }
        // (confidence, earlier rule, longer span) orders candidates.
        type Key = (Confidence, std::cmp::Reverse<usize>, usize);
        let mut best: Option<(Key, usize, usize, Verdict)> = None;
        if mask & rules.token_len_mask != 0 {
            for (priority, &ri) in rules.token_rules.iter().enumerate() {
                let Matcher::Token { len_mask, .. } = &rules.rules[ri].matcher else {
                    continue;
                };
                if len_mask & mask == 0 {
                    continue;
                }
                for k in (0..count).rev() {
                    let len = usize::from(ends[k]);
                    if len_mask & (1 << len) == 0 {
                        continue;
                    }
                    let j = i + k;
                    if j + 1 < g.len() && g[j + 1].letters {
                        continue;
                    }
                    let verdict = token_verdict(&rules.rules[ri], run, i, j, group_lens);
                    let Some(v) = verdict else { continue };
                    let (start, end) = run.span(g[i].start as usize, g[j].end as usize);
                    let Some(confidence) = score(ri, start, end, &v) else {
                        continue;
                    };
                    let key = (confidence, std::cmp::Reverse(priority), len);
                    if best.as_ref().is_none_or(|b| key > b.0) {
                        best = Some((key, ri, j, v));
                    }
                }
            }
        }
        match best {
            Some(((confidence, _, _), ri, j, verdict)) => {
                let (from, to) = (g[i].start as usize, g[j].end as usize);
                let (start, end) = run.span(from, to);
                let value = verdict.normalized.as_deref();
                out.push(RawMatch {
                    rule: ri,
                    start,
                    end,
                    confidence,
                    value_at: keep_value(values, value.unwrap_or(&run.norm[from..to])),
                    obfuscated: run.obfuscated,
                });
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// The verdict of token rule `rule` on the candidate made of groups
/// `i..=j` of `run`: its shape, then its validator (or the rule's own
/// strength); `None` when it is not that rule's identifier. The detector
/// and the line gate both judge candidates through it, so they agree.
fn token_verdict(
    rule: &Rule,
    run: &Run,
    i: usize,
    j: usize,
    group_lens: &mut Vec<usize>,
) -> Option<Verdict> {
    let Matcher::Token { shape, .. } = &rule.matcher else {
        return None;
    };
    let g = &run.groups;
    let value = &run.norm[g[i].start as usize..g[j].end as usize];
    let shaped = match shape {
        Some(shape) => shape.is_match(value),
        None => value.iter().all(u8::is_ascii_digit),
    };
    if !shaped {
        return None;
    }
    match &rule.validator {
        Some((_, f)) => {
            group_lens.clear();
            group_lens.extend(g[i..=j].iter().map(|x| x.len()));
            f(&Candidate {
                value,
                groups: group_lens,
            })
        }
        // A decimal number or a date is no format-only candidate (see
        // `tokenizer::decimal_or_date`).
        None if rule.strength == Strength::Format
            && j > i
            && tokenizer::decimal_or_date(value, &g[i..=j]) =>
        {
            None
        }
        None => Some(Verdict {
            strength: rule.strength,
            cap: None,
            normalized: None,
        }),
    }
}

/// True when the bytes just outside `start..end` are ASCII letters or
/// digits (spec §0 boundaries).
fn touches_alnum(data: &[u8], start: usize, end: usize) -> bool {
    (start > 0 && is_ascii_alnum(data[start - 1]))
        || data.get(end).is_some_and(|&b| is_ascii_alnum(b))
}

/// The context window around a match: a fixed number of bytes each side,
/// reaching back at most into the previous line (a label written on the
/// line above, `身份证号：⏎110101…`) and forward only to the end of the
/// match's own line, so the next record's words do not leak into this one.
fn context_window(data: &[u8], start: usize, end: usize) -> (usize, usize) {
    let mut ws = start.saturating_sub(CONTEXT_BEFORE);
    let before = &data[ws..start];
    let mut newlines = memchr::memrchr_iter(b'\n', before);
    if let (Some(_), Some(second)) = (newlines.next(), newlines.next()) {
        ws += second + 1;
    }
    let mut we = (end + CONTEXT_AFTER).min(data.len());
    if let Some(nl) = memchr::memchr(b'\n', &data[end..we]) {
        we = end + nl;
    }
    (ws, we)
}

/// Turns byte offsets into 1-based line and column (in characters),
/// walking forward only, so a chunk costs one pass whatever its findings.
struct Cursor {
    pos: usize,
    line: u64,
    column: u64,
}

impl Cursor {
    /// A cursor at byte `pos`, which is at `line` and `column`.
    fn new(pos: usize, line: u64, column: u64) -> Self {
        Cursor { pos, line, column }
    }

    fn advance(&mut self, data: &[u8], to: usize) -> (u64, u64) {
        if to > self.pos {
            let span = &data[self.pos..to];
            match memchr::memrchr(b'\n', span) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', span).count() as u64;
                    self.column = 1 + chars(&span[last + 1..]);
                }
                None => self.column += chars(span),
            }
            self.pos = to;
        }
        (self.line, self.column)
    }
}

#[cfg(test)]
mod place_tests {
    use super::*;
    use crate::chunk::Field;

    /// `place_near` answers as `place` does, whatever the hint, over
    /// fields with gaps between them, empty fields and shared starts.
    #[test]
    fn place_near_is_place() {
        let mut rng = TestRng(11);
        for _ in 0..200 {
            let mut chunk = Chunk::default();
            let mut at = 0u32;
            for _ in 0..rng.below(40) {
                at += rng.below(4) as u32;
                let end = at + rng.below(6) as u32;
                chunk.fields.push(Field {
                    start: at,
                    end,
                    ..Field::default()
                });
                at = end;
            }
            // Empty field lists too: placed as text or outside alike.
            chunk.walked = rng.below(2) == 0;
            let mut spans = FieldSpans::default();
            let mut hint = rng.below(50);
            for _ in 0..300 {
                let offset = rng.below(at as usize + 3);
                if rng.below(8) == 0 {
                    hint = rng.below(50);
                }
                assert_eq!(
                    place_near(&chunk, spans.of(&chunk), offset, &mut hint),
                    place(&chunk, offset)
                );
            }
        }
    }

    /// The findings of a table chunk carry, field by field, the location
    /// `record_location` makes for their field, although fields sharing a
    /// record, path, column and header share one made for the first.
    #[test]
    fn shared_locations_are_each_fields_own() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let key = FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let mut rng = TestRng(13);
        for _ in 0..20 {
            let mut chunk = Chunk::default();
            let sheet = chunk.push_name("客户表");
            chunk.records.push(Record {
                sheet,
                ..Record::default()
            });
            let names: Vec<Name> = ["手机", "电话", "E", "F", "13800001234", "备注"]
                .iter()
                .map(|n| chunk.push_name(n))
                .collect();
            let pick = |rng: &mut TestRng| match rng.below(7) {
                6 => 0..0,
                i => names[i].clone(),
            };
            for row in 0..rng.below(60) as u64 {
                if !chunk.data.is_empty() {
                    chunk.data.push(b'\n');
                }
                let start = chunk.data.len() as u32;
                let value = format!("139{:08}", rng.below(100_000_000));
                chunk.data.extend_from_slice(value.as_bytes());
                chunk.fields.push(Field {
                    start,
                    end: chunk.data.len() as u32,
                    line: row + 1,
                    column: 1,
                    record: (rng.below(2) == 0).then_some(0),
                    path: pick(&mut rng),
                    label: names[0].clone(),
                    header: pick(&mut rng),
                    row: (rng.below(4) != 0).then_some(row + 1),
                    cell_column: pick(&mut rng),
                    ..Field::default()
                });
            }
            let mut findings = Vec::new();
            detector.detect(&chunk, &mut Scratch::default(), &mut findings);
            assert_eq!(findings.len(), chunk.fields.len());
            for (f, field) in findings.iter().zip(&chunk.fields) {
                let own = detector.record_location(&chunk, field, &mut RedactMemo::default());
                assert_eq!(f.record.as_deref(), Some(&own));
            }
        }
    }

    /// A memo, reused across many strings (past its bound, so that it
    /// starts over), redacts each as a fresh `redact_text` does: msgids,
    /// userids, keys and headers holding identifiers or not.
    #[test]
    fn redact_memo_is_redact_text() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let key = FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let mut rng = TestRng(15);
        let mut memo = RedactMemo::default();
        let parts = [
            "13800001234",
            "110101199003077777",
            "张三",
            "a@b.cn",
            "wm",
            "_",
            "external",
            "手机",
            "1696118582348",
            "6228480402564890018",
            "",
        ];
        for round in 0..MAX_REDACTED + 3000 {
            let mut text = String::new();
            for _ in 0..rng.below(4) {
                text.push_str(parts[rng.below(parts.len())]);
            }
            // Mostly strings met before; some new ones to fill the memo.
            if round % 3 == 0 {
                text.push_str(&round.to_string());
            }
            let fresh = detector.redact_text(&text, &mut Scratch::default());
            assert_eq!(&*memo.redact(&detector, &text), fresh.as_str(), "{text}");
            assert_eq!(
                &*memo.redact_once(&detector, &text),
                fresh.as_str(),
                "{text}"
            );
        }
    }

    /// A text `redact_text` finds nothing in leaves the scratch as it found
    /// it: the line gate's keyword hits (kept for the passes over the same
    /// text, which a cold text skips) are not taken for those of the next
    /// chunk the scratch detects in, whose keywords then lie unsearched.
    #[test]
    fn a_cold_redacted_text_leaves_no_keyword_hits() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let key = FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let mut scratch = Scratch::default();
        for cold in [
            "wmXyZ0123456789abcdefgh",
            "msgid CAQQl/89alB3sk+1FS",
            "张三 李四 王五 赵六",
        ] {
            assert_eq!(detector.redact_text(cold, &mut scratch), cold);
            let chunk = Chunk {
                data: b"a@b.cn is my mail, write to it".to_vec(),
                ..Chunk::default()
            };
            let mut out = Vec::new();
            detector.detect(&chunk, &mut scratch, &mut out);
            assert_eq!(out.len(), 1, "after {cold}");
            assert_eq!(&*out[0].rule, "email");
        }
    }

    /// A scratch reused across chunks, given back each chunk's findings,
    /// finds what a fresh one finds: the packed spans are each chunk's own
    /// and a recycled finding's names are the new finding's.
    #[test]
    fn reused_scratch_finds_as_a_fresh_one() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let key = FingerprintKey::builtin();
        let detector = Detector::new(&rules, &key);
        let mut rng = TestRng(14);
        let paths: [Arc<str>; 2] = [Arc::from("a.csv"), Arc::from("b.csv")];
        let mut shared = Scratch::default();
        for _ in 0..40 {
            let mut chunk = Chunk {
                path: paths[rng.below(2)].clone(),
                ..Chunk::default()
            };
            let names: Vec<Name> = ["手机", "订单号", "备注", "邮箱"]
                .iter()
                .map(|n| chunk.push_name(n))
                .collect();
            for row in 0..rng.below(80) as u64 {
                if !chunk.data.is_empty() {
                    chunk.data.push(b'\n');
                }
                // Text outside the fields, of varying width.
                chunk.data.extend(std::iter::repeat_n(b' ', rng.below(4)));
                let start = chunk.data.len() as u32;
                let value = match rng.below(3) {
                    0 => format!("139{:08}", rng.below(100_000_000)),
                    1 => format!("010-{:08}", rng.below(100_000_000)),
                    _ => format!("u{}@example.com", rng.below(1000)),
                };
                chunk.data.extend_from_slice(value.as_bytes());
                chunk.fields.push(Field {
                    start,
                    end: chunk.data.len() as u32,
                    line: row + 1,
                    column: 1,
                    label: names[rng.below(4)].clone(),
                    row: Some(row + 1),
                    ..Field::default()
                });
            }
            let mut fresh = Vec::new();
            detector.detect(&chunk, &mut Scratch::default(), &mut fresh);
            let mut reused = Vec::new();
            detector.detect(&chunk, &mut shared, &mut reused);
            assert_eq!(reused, fresh);
            shared.recycle(&mut reused);
        }
    }

    /// The same over long field lists asked in input order with jumps of
    /// every size (a table chunk's candidates), where the search gallops.
    #[test]
    fn place_near_gallops_to_place() {
        let mut rng = TestRng(12);
        for _ in 0..50 {
            let mut chunk = Chunk::default();
            let mut at = 0u32;
            for _ in 0..rng.below(3000) {
                at += rng.below(3) as u32;
                let end = at + rng.below(5) as u32;
                chunk.fields.push(Field {
                    start: at,
                    end,
                    ..Field::default()
                });
                at = end;
            }
            let mut spans = FieldSpans::default();
            let (mut hint, mut offset) = (0, 0);
            while offset <= at as usize + 2 {
                assert_eq!(
                    place_near(&chunk, spans.of(&chunk), offset, &mut hint),
                    place(&chunk, offset)
                );
                offset += match rng.below(4) {
                    0 => 0,
                    1 => rng.below(4),
                    2 => rng.below(64),
                    _ => rng.below(2000),
                };
                offset += 1;
            }
        }
    }
}

#[cfg(test)]
mod line_plan_tests {
    use super::*;

    /// The pieces of a pattern's plan, one-byte ones first.
    fn pieces(pattern: &str) -> Option<Vec<Vec<u8>>> {
        LinePlan::new(pattern).map(|p| {
            let mut v: Vec<Vec<u8>> = p.bytes.iter().map(|&b| vec![b]).collect();
            v.extend(p.longer.iter().map(|f| f.needle().to_vec()));
            v
        })
    }

    /// Which patterns get a plan, and what it searches for.
    #[test]
    fn plans_of_patterns() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let email = rules
            .rules
            .iter()
            .find(|r| &*r.id == "email")
            .expect("email");
        let Matcher::Regex { regex, .. } = &email.matcher else {
            panic!("email is a regex rule")
        };
        let want: Vec<Vec<u8>> = ["(", "@", "[", "＠", "艾特"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        assert_eq!(pieces(regex.as_str()), Some(want));
        // Assertions, classes holding a line break, and patterns with no
        // piece every match must hold get none.
        for p in [
            "^a@b", "a@b$", r"\ba@b", r"a\sb@", "[^x]@", "(?s).@", "a*", "x?y?", "",
        ] {
            assert!(pieces(p).is_none(), "{p}");
        }
        assert_eq!(pieces("ab|cd"), Some(vec![b"ab".to_vec(), b"cd".to_vec()]));
        // The rarest part of a concatenation, its first among equals.
        assert_eq!(pieces("x+y(z|w)"), Some(vec![b"x".to_vec()]));
        assert_eq!(pieces("x+y(@|#)"), Some(vec![b"#".to_vec(), b"@".to_vec()]));
        // Case folding is the regex's: `k` is also the Kelvin sign.
        let k = pieces("(?i)k").expect("a class of three");
        assert!(k.contains(&"\u{212A}".as_bytes().to_vec()), "{k:?}");
    }

    /// Line by line, a regex with a plan finds exactly what it finds over
    /// the whole window, over random text dense in line breaks, pieces,
    /// near-pieces and case-folded letters, in random windows.
    #[test]
    fn line_by_line_finds_what_the_window_finds() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let mut regexes: Vec<regex::bytes::Regex> = rules
            .rules
            .iter()
            .filter_map(|r| match &r.matcher {
                Matcher::Regex { regex, .. } => Some(regex.clone()),
                _ => None,
            })
            .collect();
        for p in [
            "(?i)[a-z0-9.]+@[a-z]+\\.[a-z]{2,4}",
            "ab|cd",
            "(?i)x\\(at\\)y",
            "[0-9]{3}-(?P<value>[0-9]+)",
            "k+ſ",
        ] {
            regexes.push(regex::bytes::Regex::new(p).expect("test pattern"));
        }
        let alphabet: &[&str] = &[
            "a", "b", "c", "d", "k", "x", "y", "z", "w", "0", "7", ".", "-", "_", "@", "＠",
            "(at)", "(AT)", "[at]", "艾特", "艾", "\n", "\n", " ", ",", "K", "ſ", "邮箱",
            "example", ".com", ".cn", "ab", "cd", "123-", "(", "[", "\u{212A}", "\u{FF20}",
            "\u{A0}",
        ];
        let mut rng = TestRng(21);
        let (mut planned, mut found_any) = (0, 0);
        for regex in &regexes {
            let Some(plan) = LinePlan::new(regex.as_str()) else {
                continue;
            };
            planned += 1;
            for _ in 0..1000 {
                let mut text = Vec::new();
                for _ in 0..rng.below(120) {
                    text.extend_from_slice(alphabet[rng.below(alphabet.len())].as_bytes());
                }
                // Windows may cut characters, as keyword windows do.
                let ws = rng.below(text.len() + 1);
                let we = ws + rng.below(text.len() - ws + 1);
                let (mut whole, mut lines, mut starts) = (Vec::new(), Vec::new(), Vec::new());
                window_matches(regex, None, &text, ws..we, &mut whole, &mut starts);
                window_matches(regex, Some(&plan), &text, ws..we, &mut lines, &mut starts);
                assert_eq!(lines, whole, "{} over {:?}", regex.as_str(), &text[ws..we]);
                found_any += usize::from(!whole.is_empty());
            }
        }
        assert!(planned >= 5, "{planned} patterns with a plan");
        assert!(found_any > 250, "only {found_any} windows held a match");
    }
}

#[cfg(test)]
mod context_cache_tests {
    use super::*;

    /// A text of digits and their punctuation is searched for context
    /// words only when some word is written that way: the built-in words
    /// have none (so phone and ID cells are not searched), a rule file
    /// that adds one (a bank's hotline, 95588) turns the search back on,
    /// and the cache then finds it; a text with any other byte is always
    /// searched.
    #[test]
    fn digit_texts_are_searched_only_for_digit_words() {
        assert!(!RuleSet::builtin().unwrap().context_digit_words);
        let mut files: Vec<_> = rules::BUILTIN
            .iter()
            .map(|(name, text)| rules::parse_file(name, text).unwrap())
            .collect();
        files.push(
            rules::parse_file(
                "hotline.toml",
                concat!(
                    "[[rule]]\n",
                    "id = \"hotline_account\"\n",
                    "name = \"Account next to a bank's hotline\"\n",
                    "description = \"A test rule.\"\n",
                    "kind = \"bank_account\"\n",
                    "severity = \"high\"\n",
                    "match = \"token\"\n",
                    "lengths = [12]\n",
                    "shape = \"[0-9]{12}\"\n",
                    "strength = \"format\"\n",
                    "mask = \"account\"\n",
                    "context = [\"95588\"]\n",
                    "examples = [\"95588 转 612345678901\"]\n",
                    "negative_examples = [\"612345678901\"]\n",
                ),
            )
            .unwrap(),
        );
        let with_digits = RuleSet::compile(files).unwrap();
        assert!(with_digits.context_digit_words);
        let context = &with_digits.context;
        for (text, searched) in [
            ("95588 / 612345678901", false),
            ("+86 (010) 1234-5678, 95588", false),
            ("95588 账号 612345678901", true),
            ("hotline 95588", true),
        ] {
            let t = text.as_bytes();
            let word = |hits: &[(usize, usize, u32)]| hits.iter().any(|h| &t[h.0..h.1] == b"95588");
            let mut cache = ContextCache::default();
            assert!(
                word(cache.hits((context, true), t, (0, t.len()), (0, t.len()))),
                "{text}"
            );
            let mut cache = ContextCache::default();
            let got = word(cache.hits((context, false), t, (0, t.len()), (0, t.len())));
            assert_eq!(got, searched, "{text}");
        }
    }

    /// An ASCII word stands alone between non-alphanumeric bytes, Chinese,
    /// the bounds of its field, or before a digit; not inside a word.
    #[test]
    fn ascii_words_stand_alone_only_between_other_characters() {
        let cases: [(&str, &str, bool); 12] = [
            ("tel: 13800001234", "tel", true),
            ("tel13800001234", "tel", true),
            ("电话tel号", "tel", true),
            ("\"tel\"", "tel", true),
            ("hotel 13800001234", "tel", false),
            ("telephone", "tel", false),
            ("LmtpNW", "mtp", false),
            ("9sfz 110101", "sfz", false),
            ("XuTing", "tin", false),
            ("客户名单", "户名", true),
            ("abc户名def", "户名", true),
            ("account no.1", "account no", true),
        ];
        for (text, word, want) in cases {
            let t = text.as_bytes();
            let hs = text.to_ascii_lowercase().find(word).unwrap();
            let he = hs + word.len();
            assert_eq!(
                stands_alone(t, (hs, he), (0, t.len())),
                want,
                "{word} in {text}"
            );
        }
        // The bounds of a field end a word: `mtp` is alone in a field
        // that starts or ends right at it.
        let t = b"xmtpy";
        assert!(!stands_alone(t, (1, 4), (0, 5)));
        assert!(stands_alone(t, (1, 4), (1, 4)));
    }

    /// The context cache hands out exactly the words that start inside the
    /// window asked for, whatever stretch an earlier window searched (nested
    /// words such as 户名 in 客户名单 are reported by the automaton out of
    /// start order).
    #[test]
    fn context_cache_gives_the_words_starting_in_the_window() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let context = &rules.context;
        let alphabet = [
            "客户名单",
            "户名",
            "客户名称",
            "用户名",
            "账号",
            "帐号",
            "手机",
            "卡号",
            "x",
            "vx",
            "tel",
            "1",
            "，",
            " ",
        ];
        let mut rng = TestRng(33);
        let mut nested = 0;
        for _ in 0..3000 {
            let mut text = Vec::new();
            for _ in 0..1 + rng.below(30) {
                text.extend_from_slice(alphabet[rng.below(alphabet.len())].as_bytes());
            }
            let mut all: Vec<(usize, usize, u32)> = Vec::new();
            context.for_each(&text, |hs, he, id| all.push((hs, he, id)));
            nested += usize::from(all.windows(2).any(|w| w[1].0 < w[0].0));
            let mut cache = ContextCache::default();
            for _ in 0..4 {
                let ws = rng.below(text.len() + 1);
                let we = ws + rng.below(text.len() - ws + 1);
                let mut want: Vec<_> = all
                    .iter()
                    .copied()
                    .filter(|h| (ws..we).contains(&h.0) && h.1 <= text.len())
                    .filter(|h| stands_alone(&text, (h.0, h.1), (0, text.len())))
                    .collect();
                let got = cache
                    .hits((context, true), &text, (ws, we), (0, text.len()))
                    .to_vec();
                want.sort_unstable();
                let mut got_sorted = got.clone();
                got_sorted.sort_unstable();
                assert_eq!(
                    got_sorted,
                    want,
                    "{:?} in {ws}..{we}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        assert!(
            nested > 100,
            "only {nested} texts held nested words out of order"
        );
    }
}
