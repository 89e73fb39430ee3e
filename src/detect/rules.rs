//! Rules as data. Each rule is written in `patterns/*.toml` (embedded in
//! the binary) as a [`RuleSyntax`]; [`RuleSet::compile`] turns the whole
//! set into compiled [`Rule`]s plus the shared automata (keyword prefilter,
//! context words) exactly once at start-up. Workers share the `RuleSet` by
//! reference and never compile anything in the hot path.
//!
//! Two matchers exist. `token` rules take their candidates from the run
//! tokenizer and are selected by length (and an optional anchored `shape`
//! regex on the normalized token); they cover every digit identifier.
//! `regex` rules are for literal-rich patterns (emails, secrets): a
//! keyword prefilter finds the places worth looking at, and the regex runs
//! only in a window around each keyword hit.
//!
//! Start-up: every run compiles the rules before it reads a byte, and on
//! small inputs that is most of the run (an empty file: 45.1M
//! instructions, 40.4M of them in [`RuleSet::compile`], 2026-12). Key
//! decisions, measured with callgrind on an empty file and `s20`:
//! - The two costliest builds run on threads of their own while the
//!   calling thread compiles the rest: the context words' DFA (13.5M) and
//!   the regex rules' patterns (12.4M; the e-mail pattern's
//!   case-insensitive Unicode classes under counted repeats make most of
//!   it). Their results are taken in the order the steps are written in,
//!   so an error is the one a build in sequence reports first (the
//!   context words are collected ahead, see `ContextWords`). The regex
//!   thread also derives each pattern's line plan and line-gate guard
//!   (both parse the pattern; built by the detector before, 0.27 ms on
//!   the main thread), and the regex rules are taken last, after the
//!   other rules and the line gate's words, so that the calling thread
//!   waits for the patterns only once its own work is done.
//!   2026-12-07, a 254-byte file at `-j2`: 0.976 of the wall time (11
//!   paired rounds of 15 runs; 6.4 -> 6.3 ms: the run is bound by the
//!   three threads' CPU on two cores).
//! - Automata searched little are contiguous NFAs, not DFAs: the gate's
//!   words (the DFA took 10.0M to build, the NFA 2.1M; the gate searches
//!   JSON keys, remembered per worker, and a few fields: 0.2M on `s20`)
//!   and the column synonyms (labels, remembered). The context words keep
//!   their DFA: every hot line searches them (30M of `dir5`), where an
//!   NFA would cost more than its build saves. The keywords' fallback
//!   automaton is built only where Teddy is not.
//!
//! Together with cheaper word-filter planning (see `wordfilter`), the
//! empty file went from 45.1M to 36.0M instructions and from about 10.9
//! to 9.6 ms of CPU (median of 100 runs on 2 loaded cores), `s20` from
//! 345.9M to 334.4M.

use super::LinePlan;
use super::guard::RegexGuard;
use super::simd::Simd;
use super::validators::{self, Strength, ValidatorFn};
use super::wordfilter::{self, SharedFilters, WordStarts};
use crate::finding::Severity;
use crate::redact::MaskStyle;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in rule files, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "patterns/context.toml",
        include_str!("../../patterns/context.toml"),
    ),
    (
        "patterns/identity.toml",
        include_str!("../../patterns/identity.toml"),
    ),
    (
        "patterns/finance.toml",
        include_str!("../../patterns/finance.toml"),
    ),
    (
        "patterns/contact.toml",
        include_str!("../../patterns/contact.toml"),
    ),
    (
        "patterns/organisation.toml",
        include_str!("../../patterns/organisation.toml"),
    ),
    (
        "patterns/wecom.toml",
        include_str!("../../patterns/wecom.toml"),
    ),
];

/// Longest token candidate any rule may ask for (bank accounts: 30).
pub const MAX_TOKEN_LEN: usize = 63;

/// One rule file as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Negative context words shared by every rule (spec §0).
    #[serde(default)]
    pub negative_context: Vec<String>,
    /// Words that contain a context word without meaning it (客户名单
    /// holds 户名): context words inside them do not count.
    #[serde(default)]
    pub neutral_context: Vec<String>,
    /// The rules of this file, in priority order.
    #[serde(default)]
    pub rule: Vec<RuleSyntax>,
    /// Column-header and field-name synonyms, by kind.
    #[serde(default)]
    pub column: Vec<ColumnSyntax>,
}

/// Header synonyms for one kind (`patterns/columns.toml`): a column or
/// JSON field whose name contains one of them is context for every value
/// under it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSyntax {
    /// Kind of identifier the column holds.
    pub kind: String,
    /// Header texts and field names (matched inside the label, ASCII
    /// case-insensitively).
    pub headers: Vec<String>,
}

/// How a rule finds its candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatcherKind {
    /// From the run tokenizer, by length and shape.
    Token,
    /// By regex, near prefilter keywords.
    Regex,
    /// Any term of a word list (an organisation's sensitive words, project
    /// code names), found with an Aho-Corasick automaton.
    Words,
}

/// A rule as written in a pattern file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable id, used in reports, baselines and config.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// Kind of identifier; several rules may share a kind.
    pub kind: String,
    /// What the rule finds and why it matters.
    pub description: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// `token` or `regex`.
    #[serde(rename = "match")]
    pub matcher: MatcherKind,
    /// Token rules: accepted lengths of the normalized token.
    #[serde(default)]
    pub lengths: Vec<usize>,
    /// Token rules: anchored regex the normalized token must match
    /// (default: digits only).
    #[serde(default)]
    pub shape: Option<String>,
    /// Regex rules: the pattern; a named group `value` marks the secret
    /// part, otherwise the whole match is the value.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Regex rules: literals that must occur near a match (prefilter).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regex rules: bytes before / after a keyword hit to search.
    #[serde(default)]
    pub window: Option<(usize, usize)>,
    /// Word rules: the terms (ASCII case-insensitive); those of
    /// `words_file` are added to them when the file is loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
    /// Word rules: a file with one term per line (`#` starts a comment),
    /// relative to the rule file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words_file: Option<String>,
    /// `false` makes the rule opt-in: it runs only when enabled by the
    /// config file or `--enable-rule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Name of the validator (see `validators::NAMES`).
    #[serde(default)]
    pub validator: Option<String>,
    /// Strength of a match when the rule has no validator: `format`
    /// (needs context) or `checked`.
    #[serde(default)]
    pub strength: Option<Strength>,
    /// How values are masked in reports.
    pub mask: MaskStyle,
    /// Words that make a match more likely (Chinese and English).
    #[serde(default)]
    pub context: Vec<String>,
    /// Words that make a match less likely, added to the shared list.
    #[serde(default)]
    pub negative_context: Vec<String>,
    /// Texts in which the rule must find something.
    pub examples: Vec<String>,
    /// Texts in which the rule must find nothing.
    pub negative_examples: Vec<String>,
    /// The file the rule was read from, for messages.
    #[serde(skip)]
    pub origin: String,
}

/// How a compiled rule finds candidates.
#[derive(Debug)]
pub enum Matcher {
    /// Run-tokenizer candidates.
    Token {
        /// Bit `n` set when length `n` is accepted.
        len_mask: u64,
        /// Anchored shape check on the normalized token.
        shape: Option<Shape>,
    },
    /// Regex near keyword hits.
    Regex {
        /// The compiled pattern.
        regex: Regex,
        /// Bytes searched before and after a keyword hit.
        window: (usize, usize),
        /// How its windows may be searched line by line (see
        /// [`LinePlan`]); `None` when that does not hold for the pattern.
        plan: Option<LinePlan>,
        /// For a pattern with a line plan, the bytes that may stand around
        /// the pieces its matches hold, when they are restricted (the line
        /// gate's test of a line with a keyword, see [`RegexGuard`]).
        guard: Option<RegexGuard>,
    },
    /// Terms of a word list.
    Words {
        /// Leftmost-longest, ASCII case-insensitive automaton over the terms.
        terms: AhoCorasick,
        /// Per term: it starts / ends with an ASCII letter or digit, so a hit
        /// must not touch another one there (`Phoenix` is not in
        /// `Phoenixes`); Chinese terms match anywhere.
        edges: Vec<(bool, bool)>,
    },
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id.
    pub id: Arc<str>,
    /// Human name.
    pub name: String,
    /// Kind of identifier.
    pub kind: Arc<str>,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Index of `kind` in [`RuleSet::kinds`].
    pub kind_id: u32,
    /// Mask convention.
    pub mask: MaskStyle,
    /// Candidate finder.
    pub matcher: Matcher,
    /// Validator name and function.
    pub validator: Option<(String, ValidatorFn)>,
    /// Strength when there is no validator.
    pub strength: Strength,
    /// Context word ids (into [`RuleSet::words`]) that raise confidence.
    pub context: Vec<u32>,
    /// Context word ids that lower confidence.
    pub negative: Vec<u32>,
    /// The rule as written (for `rules list` and `rules check`).
    pub syntax: RuleSyntax,
}

/// The shape of a token rule: an anchored regex over the normalized token,
/// with two shortcuts taken from its text so that most candidates never
/// reach the regex (a regex call costs more than the rest of a candidate's
/// checks): the bytes a match can start with, and whether the shape is
/// "digits, of the rule's lengths" (`[0-9]{8,30}`).
#[derive(Clone, Debug)]
pub struct Shape {
    regex: Regex,
    /// Bit `b` set when a match can start with ASCII byte `b`; `None`
    /// when the pattern is not simple enough to tell.
    first: Option<u128>,
    /// Any all-digit token of an accepted length matches, and nothing
    /// else does.
    digits_only: bool,
    /// Every atom of the pattern is a class holding all ten digits, so
    /// whether an all-digit token matches depends on its length alone:
    /// the lengths (bits) at which every one does (at the others none
    /// does). `None` when the pattern is not that simple.
    digit_lens: Option<u64>,
    /// Most letters (non-digits) a match holds; `None` when the pattern
    /// does not bound them or is not simple enough to tell. Most tokens
    /// with letters that reach a shape (`HuangXia92`, user names) hold
    /// more than an identifier does.
    max_letters: Option<usize>,
}

impl Shape {
    /// Compiles `pattern` for tokens of the lengths in `len_mask`.
    pub fn new(pattern: &str, len_mask: u64) -> Result<Shape, regex::Error> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))?;
        let first = first_bytes(pattern);
        // Only `[0-9]` classes, counts and groups: acceptance depends on
        // the length alone, so one digit string per length tells.
        let rest = pattern.replace("[0-9]", "");
        let digits_only = rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b"{},()?|".contains(&b))
            && (1..64).filter(|l| len_mask & (1 << l) != 0).all(|l| {
                regex.is_match("0".repeat(l).as_bytes()) && regex.is_match("9".repeat(l).as_bytes())
            });
        let digit_lens = digit_classes_only(pattern).then(|| {
            (1..64)
                .filter(|&l| len_mask & (1 << l) != 0 && regex.is_match("0".repeat(l).as_bytes()))
                .fold(0u64, |m, l| m | 1 << l)
        });
        Ok(Shape {
            regex,
            first,
            digits_only,
            digit_lens,
            max_letters: max_letters(pattern),
        })
    }

    /// Whether the all-digit tokens of length `len` (one the rule takes)
    /// have the shape: `Some(true)` when every one does, `Some(false)` when
    /// none does (the pattern cannot start with a digit, or its length is
    /// not one the pattern's counts allow), `None` when it depends on the
    /// digits (ask [`Shape::is_match`]).
    pub fn all_digits(&self, len: usize) -> Option<bool> {
        if self.first.is_some_and(|f| f & DIGITS == 0) {
            return Some(false);
        }
        self.digit_lens.map(|m| m & (1 << len) != 0)
    }

    /// True when the shape accepts every all-digit token of the rule's
    /// lengths and nothing else: [`Shape::is_match`] then only asks
    /// whether the token is all digits.
    #[inline]
    pub fn digits_only(&self) -> bool {
        self.digits_only
    }

    /// True when the normalized token `value` (of an accepted length) has
    /// the shape.
    #[inline]
    pub fn is_match(&self, value: &[u8]) -> bool {
        if let (Some(first), Some(&b)) = (self.first, value.first())
            && (b >= 128 || first & (1 << b) == 0)
        {
            return false;
        }
        if self.digits_only {
            return value.iter().all(u8::is_ascii_digit);
        }
        // An all-digit token matches by its length alone (an 18-digit
        // number and `[0-9]{17}[0-9X]`).
        if let Some(lens) = self.digit_lens
            && value.len() < 64
            && value.iter().all(u8::is_ascii_digit)
        {
            return lens & (1 << value.len()) != 0;
        }
        if let Some(max) = self.max_letters
            && value.iter().filter(|b| !b.is_ascii_digit()).count() > max
        {
            return false;
        }
        self.regex.is_match(value)
    }
}

/// The ASCII digits as a set of bytes (bit `b` for byte `b`), as
/// `class_set` and `Shape::first` write sets.
const DIGITS: u128 = 0x3ff << b'0';

/// True when every atom of `pattern` is a plain class (`[0-9]`,
/// `[0-9A-HJ-NPQRTUWXY]`) holding all ten digits, between counts, groups
/// and alternatives: each atom then takes any digit, so an all-digit token
/// matches exactly when the string of as many zeros does.
fn digit_classes_only(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' => {
                let Some(end) = b[i..].iter().position(|&c| c == b']') else {
                    return false;
                };
                match class_set(&b[i + 1..i + end]) {
                    Some(set) if set & DIGITS == DIGITS => i += end + 1,
                    _ => return false,
                }
            }
            b'{' => {
                let Some(end) = b[i..].iter().position(|&c| c == b'}') else {
                    return false;
                };
                if !b[i + 1..i + end]
                    .iter()
                    .all(|&c| c.is_ascii_digit() || c == b',')
                {
                    return false;
                }
                i += end + 1;
            }
            // `(?` only as an optional group, never `(?:`/`(?i)`: a `:`
            // or flag after it is no atom of this form.
            b'(' | b')' | b'?' | b'|' | b'*' | b'+' => i += 1,
            _ => return false,
        }
    }
    true
}

/// The most non-digit characters a match of `pattern` can hold, when it is
/// made of literal letters and digits and plain classes under counts,
/// groups and alternatives, with no unbounded repeat of a non-digit; `None`
/// otherwise. Each non-digit of a match is matched by one repeat of an
/// atom that takes a non-digit, so the bound is sound.
fn max_letters(pattern: &str) -> Option<usize> {
    /// Alternatives up to a `)` or the end, from `b[*i]`.
    fn alternatives(b: &[u8], i: &mut usize) -> Option<usize> {
        let (mut best, mut current) = (0usize, 0usize);
        while *i < b.len() {
            let atom = match b[*i] {
                b'|' => {
                    best = best.max(current);
                    current = 0;
                    *i += 1;
                    continue;
                }
                b')' => break,
                b'(' => {
                    *i += 1;
                    // `(?:`, flags, names: not this simple form.
                    if b.get(*i) == Some(&b'?') {
                        return None;
                    }
                    let n = alternatives(b, i)?;
                    if b.get(*i) != Some(&b')') {
                        return None;
                    }
                    *i += 1;
                    n
                }
                b'[' => {
                    let end = *i + b[*i..].iter().position(|&c| c == b']')?;
                    let set = class_set(&b[*i + 1..end])?;
                    *i = end + 1;
                    usize::from(set & !DIGITS != 0)
                }
                c if c.is_ascii_alphanumeric() => {
                    *i += 1;
                    usize::from(!c.is_ascii_digit())
                }
                _ => return None,
            };
            // The most repeats: `None` for no bound.
            let times = match b.get(*i) {
                Some(b'?') => {
                    *i += 1;
                    Some(1)
                }
                Some(b'*' | b'+') => {
                    *i += 1;
                    None
                }
                Some(b'{') => {
                    let end = *i + b[*i..].iter().position(|&c| c == b'}')?;
                    let body = std::str::from_utf8(&b[*i + 1..end]).ok()?;
                    *i = end + 1;
                    match body.rsplit(',').next()? {
                        "" => None,
                        max => Some(max.parse::<usize>().ok()?),
                    }
                }
                _ => Some(1),
            };
            current += match times {
                Some(t) => atom * t,
                None if atom == 0 => 0,
                None => return None,
            };
        }
        Some(best.max(current))
    }
    let b = pattern.as_bytes();
    let mut i = 0;
    let n = alternatives(b, &mut i)?;
    (i == b.len()).then_some(n)
}

/// The ASCII letters and digits (bits) of a plain class body (`0-9A-HJ`),
/// `None` for anything else (negation, escapes, other bytes).
fn class_set(body: &[u8]) -> Option<u128> {
    let mut m = 0u128;
    let mut i = 0;
    while i < body.len() {
        if !body[i].is_ascii_alphanumeric() {
            return None;
        }
        if i + 2 < body.len() && body[i + 1] == b'-' {
            if !body[i + 2].is_ascii_alphanumeric() || body[i + 2] < body[i] {
                return None;
            }
            for x in body[i]..=body[i + 2] {
                m |= 1 << x;
            }
            i += 3;
        } else {
            m |= 1 << body[i];
            i += 1;
        }
    }
    Some(m)
}

/// The bytes a match of `pattern` can start with, when every top-level
/// alternative starts with a literal letter or digit or a plain class
/// (`E…|[DSP]…`, `[A-Z]{1,2}…`) that is not optional; `None` otherwise.
fn first_bytes(pattern: &str) -> Option<u128> {
    let b = pattern.as_bytes();
    let mut set = 0u128;
    let (mut depth, mut in_class, mut alt_start) = (0i32, false, 0usize);
    let mut alts = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => depth -= 1,
            b'|' if !in_class && depth == 0 => {
                alts.push(&b[alt_start..i]);
                alt_start = i + 1;
            }
            b'\\' => return None,
            _ => {}
        }
    }
    alts.push(&b[alt_start..]);
    for alt in alts {
        let (atom, after): (u128, &[u8]) = match alt.first()? {
            b'[' => {
                let end = alt.iter().position(|&c| c == b']')?;
                (class_set(&alt[1..end])?, &alt[end + 1..])
            }
            &c if c.is_ascii_alphanumeric() => (1u128 << c, &alt[1..]),
            _ => return None,
        };
        // An optional first atom would let the next one start the match.
        if matches!(after.first(), Some(b'?' | b'*')) || after.starts_with(b"{0") {
            return None;
        }
        set |= atom;
    }
    Some(set)
}

/// Errors in rule files.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// TOML that does not parse or does not fit the schema.
    #[error("{file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// A rule file or word list that cannot be read.
    #[error("{file}: {message}")]
    Io {
        /// File name.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A rule that parses but is not usable.
    #[error("rule '{id}': {message}")]
    Invalid {
        /// Rule id.
        id: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// The token rules taking candidates of one length, told apart by what
/// deciding an all-digit candidate (most are: timestamps, message ids,
/// dates, prices) takes. Built once at compile; the line gate reads it for
/// every candidate instead of asking each rule.
#[derive(Clone, Debug, Default)]
pub struct LenRules {
    /// Rules (bits) without a validator, of format strength, whose shape
    /// takes every all-digit token of this length: their verdict on one
    /// is their strength.
    pub digit_format: u64,
    /// Rules (bits) without a validator, of checked strength, whose shape
    /// takes every all-digit token of this length: such a candidate is
    /// confirmed.
    pub digit_checked: u64,
    /// The other rules that may take an all-digit token of this length,
    /// in priority order. Rules whose shape takes no all-digit token are
    /// left out.
    pub digit_rules: Vec<DigitRule>,
    /// The rules that may take a token holding a letter at this length
    /// (their shape is not digits alone), in priority order.
    pub letter_rules: Vec<LetterRule>,
    /// The places (bits) where some rule of `letter_rules` may take a
    /// non-digit: a token with one anywhere else is taken by none.
    pub letter_places: u64,
}

/// A rule asked about all-digit tokens of one length (see
/// [`LenRules::digit_rules`]).
#[derive(Clone, Copy, Debug)]
pub struct DigitRule {
    /// Index of the rule.
    pub rule: usize,
    /// Whether the shape must still be asked (`false`: every all-digit
    /// token of the length has it).
    pub ask_shape: bool,
    /// The rule's validator as a strength alone (see
    /// [`validators::lookup_strength`]); `None` for a rule without one.
    pub strength: Option<validators::StrengthFn>,
}

/// A rule asked about tokens with a letter of one length (see
/// [`LenRules::letter_rules`]), with where its shape lets non-digits and
/// digits stand: a token with a non-digit outside `letters`, or a digit
/// outside `digits`, has not the shape.
#[derive(Clone, Copy, Debug)]
pub struct LetterRule {
    /// Index of the rule.
    pub rule: usize,
    /// Places (bits) where a match of this length may hold a non-digit
    /// (every place when the shape is not simple enough to tell).
    pub letters: u64,
    /// Places (bits) where a match of this length may hold a digit.
    pub digits: u64,
}

impl LenRules {
    /// The table for every length `0..=MAX_TOKEN_LEN` over `rules`.
    fn build(rules: &[Rule], token_rules: &[usize]) -> Vec<LenRules> {
        let mut by_len = vec![LenRules::default(); MAX_TOKEN_LEN + 1];
        for &ri in token_rules {
            let rule = &rules[ri];
            let Matcher::Token { len_mask, shape } = &rule.matcher else {
                continue;
            };
            let strength = rule.validator.as_ref().map(|(name, _)| {
                validators::lookup_strength(name).expect("every validator name has a strength form")
            });
            // Where the shape's matches hold what, per length (only for
            // shapes that may take a letter).
            let places = match (&rule.syntax.shape, shape) {
                (Some(p), Some(s)) if !s.digits_only() => {
                    shape_places(p, 63 - len_mask.leading_zeros() as usize)
                }
                _ => None,
            };
            for (len, at) in by_len.iter_mut().enumerate() {
                if len_mask & (1 << len) == 0 {
                    continue;
                }
                let digits = match shape {
                    None => Some(true),
                    Some(shape) => shape.all_digits(len),
                };
                match digits {
                    Some(false) => {}
                    // Bits name rules below 64 only (more turn the gate off).
                    Some(true) if rule.validator.is_none() && ri < 64 => match rule.strength {
                        Strength::Format => at.digit_format |= 1 << ri,
                        Strength::Checked => at.digit_checked |= 1 << ri,
                    },
                    Some(d) => at.digit_rules.push(DigitRule {
                        rule: ri,
                        ask_shape: !d,
                        strength,
                    }),
                    None => at.digit_rules.push(DigitRule {
                        rule: ri,
                        ask_shape: true,
                        strength,
                    }),
                }
                if shape.as_ref().is_some_and(|s| !s.digits_only()) {
                    let all = u64::MAX >> (64 - len);
                    let (letters, digits) = match places.as_ref().map(|p| &p[len]) {
                        Some(Some(p)) => p.iter().enumerate().fold((0, 0), |(l, d), (k, &set)| {
                            (
                                l | u64::from(set & !DIGITS != 0) << k,
                                d | u64::from(set & DIGITS != 0) << k,
                            )
                        }),
                        // No match of this length at all.
                        Some(None) => (0, 0),
                        None => (all, all),
                    };
                    at.letter_places |= letters;
                    at.letter_rules.push(LetterRule {
                        rule: ri,
                        letters,
                        digits,
                    });
                }
            }
        }
        by_len
    }
}

/// The bytes each place of a match of `pattern` may hold, for every length
/// `0..=max` (`None` at a length no match has): the union, over
/// the matches of that length, of the byte at each place. `None` when the
/// pattern is not made of literal letters and digits and plain classes
/// under groups, alternatives and counts (`?`, `*`, `+`, `{n}`, `{n,}`,
/// `{n,m}`): those are all it reads, and their languages are unions and
/// concatenations, whose places are those of their parts laid end to end.
///
/// The gate needs only a superset of the places (a token outside them has
/// not the shape); these are exact. Lengths past `max` are left out all
/// along (every part of a match is at most as long as the match).
fn shape_places(pattern: &str, max: usize) -> Option<Vec<Option<Vec<u128>>>> {
    type Places = Vec<Option<Vec<u128>>>;
    fn empty(max: usize) -> Places {
        vec![None; max + 1]
    }
    fn epsilon(max: usize) -> Places {
        let mut p = empty(max);
        p[0] = Some(Vec::new());
        p
    }
    fn union_into(into: &mut Places, from: &Places) {
        for (a, b) in into.iter_mut().zip(from) {
            match (a.as_mut(), b) {
                (_, None) => {}
                (None, Some(b)) => *a = Some(b.clone()),
                (Some(a), Some(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x |= y),
            }
        }
    }
    fn concat(a: &Places, b: &Places) -> Places {
        let max = a.len() - 1;
        let mut out = empty(max);
        for (la, pa) in a.iter().enumerate() {
            let Some(pa) = pa else { continue };
            for (lb, pb) in b.iter().enumerate().take(max + 1 - la) {
                let Some(pb) = pb else { continue };
                match &mut out[la + lb] {
                    Some(o) => o
                        .iter_mut()
                        .zip(pa.iter().chain(pb))
                        .for_each(|(x, y)| *x |= y),
                    o => *o = Some(pa.iter().chain(pb).copied().collect()),
                }
            }
        }
        out
    }
    /// Alternatives up to a `)` or the end, from `b[*i]`.
    fn alternatives(b: &[u8], i: &mut usize, max: usize) -> Option<Places> {
        let mut all = empty(max);
        let mut current = epsilon(max);
        while *i < b.len() {
            let atom = match b[*i] {
                b'|' => {
                    union_into(&mut all, &current);
                    current = epsilon(max);
                    *i += 1;
                    continue;
                }
                b')' => break,
                b'(' => {
                    *i += 1;
                    // `(?:`, flags, names: not this simple form.
                    if b.get(*i) == Some(&b'?') {
                        return None;
                    }
                    let inner = alternatives(b, i, max)?;
                    if b.get(*i) != Some(&b')') {
                        return None;
                    }
                    *i += 1;
                    inner
                }
                b'[' => {
                    let end = *i + b[*i..].iter().position(|&c| c == b']')?;
                    let set = class_set(&b[*i + 1..end])?;
                    *i = end + 1;
                    let mut p = empty(max);
                    p[1] = Some(vec![set]);
                    p
                }
                c if c.is_ascii_alphanumeric() => {
                    *i += 1;
                    let mut p = empty(max);
                    p[1] = Some(vec![1u128 << c]);
                    p
                }
                _ => return None,
            };
            // The fewest and most repeats (`None`: no bound; past
            // `max` repeats of a non-empty match nothing fits).
            // A lazy count (`{2}?`, `??`) leaves a `?` where an atom
            // should start: not this simple form.
            let (lo, hi, count_len) = match b.get(*i) {
                Some(b'?') => (0, Some(1), 1),
                Some(b'*') => (0, None, 1),
                Some(b'+') => (1, None, 1),
                Some(b'{') => {
                    let len = b[*i..].iter().position(|&c| c == b'}')? + 1;
                    let body = std::str::from_utf8(&b[*i + 1..*i + len - 1]).ok()?;
                    let num = |t: &str| {
                        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
                            .then(|| t.parse::<usize>().ok())
                            .flatten()
                    };
                    match body.split_once(',') {
                        None => (num(body)?, Some(num(body)?), len),
                        Some((lo, "")) => (num(lo)?, None, len),
                        Some((lo, hi)) => (num(lo)?, Some(num(hi)?), len),
                    }
                }
                _ => (1, Some(1), 0),
            };
            *i += count_len;
            if hi.is_some_and(|hi| lo > hi) {
                return None;
            }
            // Repeats `lo..=hi`: `lo` of them, then one more at a time.
            // Past `max + 1` repeats nothing changes at the lengths kept
            // (the repeats of a non-empty match are all longer; with an
            // empty one, each repeat's strings are the next one's too).
            let (lo, hi) = (lo.min(max + 1), hi.unwrap_or(max + 1).min(max + 1));
            let mut reps = epsilon(max);
            for _ in 0..lo {
                reps = concat(&reps, &atom);
            }
            let mut any = reps.clone();
            for _ in lo..hi {
                reps = concat(&reps, &atom);
                if reps.iter().all(Option::is_none) {
                    break;
                }
                union_into(&mut any, &reps);
            }
            current = concat(&current, &any);
        }
        union_into(&mut all, &current);
        Some(all)
    }
    let b = pattern.as_bytes();
    let mut i = 0;
    let places = alternatives(b, &mut i, max)?;
    (i == b.len()).then_some(places)
}

/// The whole compiled rule set, shared by every worker.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules in priority order.
    pub rules: Vec<Rule>,
    /// Indices of token rules, in priority order.
    pub token_rules: Vec<usize>,
    /// Indices of word-list rules.
    pub word_rules: Vec<usize>,
    /// Union of all token rules' length masks.
    pub token_len_mask: u64,
    /// For each candidate length `0..=MAX_TOKEN_LEN`, the token rules that
    /// take it, sorted by what deciding them costs (the line gate visits
    /// only these).
    pub by_len: Vec<LenRules>,
    /// The lengths (bits) at which some rule is asked about every
    /// all-digit candidate, plain or not: one of checked strength, or with
    /// a validator or a shape to ask (see [`LenRules`]). At the other
    /// lengths only format-only rules take such a candidate, and only a
    /// plain one (no decimal number or date, see
    /// `tokenizer::decimal_or_date`).
    pub digit_asked_lens: u64,
    /// Shortest token any rule accepts.
    pub min_token_len: usize,
    /// Prefilter over regex-rule keywords.
    pub keywords: Option<Keywords>,
    /// For each keyword pattern, the regex rules it belongs to.
    pub keyword_rules: Vec<Vec<usize>>,
    /// Every context word, positive or negative.
    pub words: Vec<String>,
    /// Some context word is written with digits and the punctuation of
    /// numbers only ([`digit_text_byte`]; or is empty), so that it could
    /// sit in a text of them: without one, such a text holds no word and
    /// the detector does not search it (a directory's phone and ID cells).
    pub context_digit_words: bool,
    /// Automaton over `words` (ASCII case-insensitive, overlapping).
    pub context: ContextAutomaton,
    /// For each word id, whether it is a neutral word.
    pub neutral: Vec<bool>,
    /// Every kind, in order of first appearance.
    pub kinds: Vec<String>,
    /// Automaton over column-header synonyms, if any.
    pub columns: Option<AhoCorasick>,
    /// For each column pattern, the kind id it stands for.
    pub column_kinds: Vec<u32>,
    /// The column synonyms as written.
    pub column_syntax: Vec<ColumnSyntax>,
    /// Every context word and column synonym of the token rules, for the
    /// line gate (ASCII case-insensitive, standard semantics so that every
    /// word ending at a byte is in that byte's match state), as a bare
    /// contiguous NFA (no prefilter): its transitions inline into the
    /// caller's loop (`overlapping`), where [`AhoCorasick`] calls through
    /// a trait object into a search kept out of line for every match. An
    /// NFA, not a DFA: the gate searches only JSON keys (remembered per
    /// worker) and the fields of dropping keys with it, a few kilobytes per
    /// 20 MB of archive, while a DFA took 10M
    /// instructions to build at every start (the NFA 2M). `None` when
    /// there is no such word, or more than 64 rules (which turns the gate
    /// off).
    pub gate_automaton: Option<aho_corasick::nfa::contiguous::NFA>,
    /// For each gate word, the rules (bit = rule index) it is context for.
    pub gate_rules: Vec<u64>,
    /// The gate words as written, in the order of `gate_rules`: the line
    /// gate builds word filters over the words of a few rules from them.
    pub gate_patterns: Vec<String>,
    /// Some gate word is written with number characters only (digits,
    /// `+ - .`), so that it could sit inside a JSON number.
    pub gate_numeric_words: bool,
    /// The line gate's word filters over the words of a few rules (keyed
    /// by the rules' bits), built on first use and shared by the workers.
    pub gate_filters: SharedFilters,
    /// The format-only rules that a bare number right after the archive's
    /// `"msgtime":` key is never reported by (see
    /// [`super::gate::TimestampKey`]).
    pub timestamp_key: super::gate::TimestampKey,
}

impl RuleSet {
    /// Parses and compiles the built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let files = BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        RuleSet::compile(files)
    }

    /// Compiles parsed rule files (in order) into a rule set.
    ///
    /// The context-word automaton and the regex rules' patterns (the two
    /// costliest builds) compile on threads of their own while this one
    /// compiles the rest; every result is then taken in the order the
    /// steps were written in, so an error is the one a build in sequence
    /// would report first.
    pub fn compile(files: Vec<RuleFile>) -> Result<RuleSet, RuleError> {
        let mut shared_negative = Vec::new();
        let mut syntaxes = Vec::new();
        let mut column_syntax = Vec::new();
        let mut neutral_words = Vec::new();
        for f in files {
            shared_negative.extend(f.negative_context);
            neutral_words.extend(f.neutral_context);
            syntaxes.extend(f.rule);
            column_syntax.extend(f.column);
        }
        let words = ContextWords::collect(&syntaxes, &shared_negative, &neutral_words);
        // The patterns of the regex rules, by rule, for the helper thread.
        let patterns: Vec<(usize, String)> = syntaxes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.matcher == MatcherKind::Regex)
            .filter_map(|(i, s)| Some((i, s.pattern.clone()?)))
            .collect();
        std::thread::scope(|scope| {
            let context = scope.spawn(|| context_automaton(&words.words));
            let regexes = scope.spawn(move || {
                patterns
                    .into_iter()
                    .map(|(i, p)| (i, compile_regex(&p)))
                    .collect::<Vec<_>>()
            });
            RuleSet::compile_with(
                syntaxes,
                shared_negative,
                neutral_words,
                column_syntax,
                &words,
                Pending::new(regexes),
                Pending::new(context),
            )
        })
    }

    /// The rest of [`RuleSet::compile`], in this thread, with the regex
    /// rules' compiled patterns (by rule index) and the context automaton
    /// still being built on theirs.
    fn compile_with(
        syntaxes: Vec<RuleSyntax>,
        shared_negative: Vec<String>,
        neutral_words: Vec<String>,
        column_syntax: Vec<ColumnSyntax>,
        words: &ContextWords,
        mut regexes: Pending<'_, Vec<(usize, Result<CompiledRegex, regex::Error>)>>,
        context: Pending<'_, Result<ContextAutomaton, aho_corasick::BuildError>>,
    ) -> Result<RuleSet, RuleError> {
        let word_id = |w: &str| words.id(w);
        let compile_one = |s: RuleSyntax, kind_id: u32, compiled| {
            let origin = s.origin.clone();
            let mut rule = compile_rule(s, &shared_negative, &mut |w| word_id(w), compiled)
                .map_err(|e| match e {
                    RuleError::Invalid { id, message } if !origin.is_empty() => {
                        RuleError::Invalid {
                            id,
                            message: format!("{message} (in {origin})"),
                        }
                    }
                    e => e,
                })?;
            rule.kind_id = kind_id;
            Ok::<Rule, RuleError>(rule)
        };
        // The regex rules last: the others compile while their patterns
        // still build on the helper thread. Every regex rule put off lies
        // before the first error met (the loop stops there), so the error
        // reported is still the first in rule order.
        let mut slots: Vec<Option<Rule>> = Vec::with_capacity(syntaxes.len());
        let mut later: Vec<(usize, RuleSyntax, u32)> = Vec::new();
        let mut error = None;
        let mut seen = std::collections::HashSet::new();
        let mut kinds: Vec<String> = Vec::new();
        for (i, s) in syntaxes.into_iter().enumerate() {
            if !seen.insert(s.id.clone()) {
                error = Some(invalid(
                    &s.id,
                    &format!("duplicate rule id in {}; ids must be unique", s.origin),
                ));
                break;
            }
            let kind_id = match kinds.iter().position(|k| *k == s.kind) {
                Some(i) => i,
                None => {
                    kinds.push(s.kind.clone());
                    kinds.len() - 1
                }
            } as u32;
            if s.matcher == MatcherKind::Regex && s.pattern.is_some() {
                later.push((i, s, kind_id));
                slots.push(None);
                continue;
            }
            match compile_one(s, kind_id, None) {
                Ok(rule) => slots.push(Some(rule)),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        // The line gate's words too (token rules' alone).
        let gate = error
            .is_none()
            .then(|| gate_words(&slots, &words.words, &column_syntax, &kinds));
        for (i, s, kind_id) in later {
            let all = regexes.get();
            let compiled = all
                .iter()
                .position(|(r, _)| *r == i)
                .map(|at| all.swap_remove(at).1);
            slots[i] = Some(compile_one(s, kind_id, compiled)?);
        }
        if let Some(e) = error {
            return Err(e);
        }
        let rules: Vec<Rule> = slots
            .into_iter()
            .map(|r| r.expect("every rule compiled"))
            .collect();
        let words_list = &words.words;
        let mut neutral = vec![false; words_list.len()];
        for w in &neutral_words {
            neutral[word_id(w) as usize] = true;
        }
        let mut column_words = Vec::new();
        let mut column_kinds = Vec::new();
        for c in &column_syntax {
            let Some(k) = kinds.iter().position(|k| *k == c.kind) else {
                return Err(invalid(
                    "columns",
                    &format!("column synonyms for unknown kind '{}'", c.kind),
                ));
            };
            for h in &c.headers {
                column_words.push(h.clone());
                column_kinds.push(k as u32);
            }
        }
        // Searched only in labels (remembered per worker): the contiguous
        // NFA builds at a fraction of a DFA's cost.
        let columns = if column_words.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&column_words)
                    .map_err(|e| invalid("columns", &e.to_string()))?,
            )
        };
        let token_rules: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.matcher, Matcher::Token { .. }))
            .map(|(i, _)| i)
            .collect();
        let word_rules: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.matcher, Matcher::Words { .. }))
            .map(|(i, _)| i)
            .collect();
        let token_len_mask = token_rules
            .iter()
            .fold(0u64, |m, &i| match rules[i].matcher {
                Matcher::Token { len_mask, .. } => m | len_mask,
                _ => m,
            });
        let min_token_len = token_len_mask.trailing_zeros() as usize;
        let by_len = LenRules::build(&rules, &token_rules);
        // `by_len` holds the lengths 0..=MAX_TOKEN_LEN (63).
        let digit_asked_lens = by_len.iter().enumerate().fold(0u64, |m, (len, at)| {
            m | u64::from(at.digit_checked != 0 || !at.digit_rules.is_empty()) << len
        });
        let mut kw: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if matches!(r.matcher, Matcher::Regex { .. }) {
                for k in &r.syntax.keywords {
                    match kw.iter().position(|x| x.eq_ignore_ascii_case(k)) {
                        Some(p) => keyword_rules[p].push(i),
                        None => {
                            kw.push(k.clone());
                            keyword_rules.push(vec![i]);
                        }
                    }
                }
            }
        }
        let keywords = if kw.is_empty() {
            None
        } else {
            Some(Keywords::new(&kw).map_err(|e| invalid("keywords", &e))?)
        };
        let Gate {
            automaton: gate_automaton,
            rules: gate_rules,
            numeric: gate_numeric_words,
            patterns: gate_patterns,
        } = gate.expect("no error");
        let context = context
            .take()
            .map_err(|e| invalid("context", &e.to_string()))?;
        let gate_automaton = gate_automaton
            .transpose()
            .map_err(|e| invalid("context", &e))?;
        let mut set = RuleSet {
            gate_filters: SharedFilters::default(),
            timestamp_key: Default::default(),
            gate_numeric_words,
            gate_patterns,
            gate_automaton,
            gate_rules,
            rules,
            token_rules,
            word_rules,
            token_len_mask,
            by_len,
            digit_asked_lens,
            min_token_len,
            keywords,
            keyword_rules,
            context_digit_words: words.words.iter().any(|w| w.bytes().all(digit_text_byte)),
            words: words.words.clone(),
            context,
            neutral,
            kinds,
            columns,
            column_kinds,
            column_syntax,
        };
        set.timestamp_key = super::gate::TimestampKey::new(&set);
        Ok(set)
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id)
    }

    /// The built-in rules followed by the rule files at `extra` (files, or
    /// folders whose `*.toml` files are read in name order), with the
    /// user's selection applied. Every id the selection names must exist.
    pub fn load(extra: &[PathBuf], selection: &Selection) -> Result<RuleSet, RuleError> {
        let mut files = BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        files.extend(read_files(extra)?);
        selection.apply(&mut files)?;
        RuleSet::compile(files)
    }
}

/// What the user changes about the rules (config file and flags, already
/// merged by precedence).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Rule ids turned off.
    pub disable: Vec<String>,
    /// Rule ids turned on although their file marks them `enabled = false`.
    pub enable: Vec<String>,
    /// New severities, by rule id.
    pub severity: Vec<(String, Severity)>,
    /// Keep opt-in rules (`enabled = false`) and ignore `disable`: `rules
    /// check` checks every rule.
    pub keep_all: bool,
}

impl Selection {
    /// Drops disabled rules from `files` and changes severities; fails on
    /// an id that no rule has, so that a typo cannot silently disable
    /// nothing.
    pub fn apply(&self, files: &mut [RuleFile]) -> Result<(), RuleError> {
        let known: Vec<String> = files
            .iter()
            .flat_map(|f| f.rule.iter().map(|r| r.id.clone()))
            .collect();
        let named = self
            .disable
            .iter()
            .map(|id| ("disable", id))
            .chain(self.enable.iter().map(|id| ("enable", id)))
            .chain(self.severity.iter().map(|(id, _)| ("severity", id)));
        for (what, id) in named {
            if !known.contains(id) {
                return Err(invalid(
                    id,
                    &format!(
                        "named in `{what}` but no rule has this id (see `leaksweep rules list`)"
                    ),
                ));
            }
        }
        for f in files.iter_mut() {
            for r in &mut f.rule {
                if let Some((_, sev)) = self.severity.iter().rev().find(|(id, _)| *id == r.id) {
                    r.severity = *sev;
                }
            }
            if !self.keep_all {
                f.rule.retain(|r| {
                    let on = r.enabled.unwrap_or(true) || self.enable.contains(&r.id);
                    on && !self.disable.contains(&r.id)
                });
            }
        }
        Ok(())
    }
}

/// Reads rule files: each path is a `.toml` file or a folder whose `*.toml`
/// files are read in name order (not recursively). Word lists named by
/// `words_file` are read relative to their rule file.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<RuleFile>, RuleError> {
    let io = |p: &Path, e: std::io::Error| RuleError::Io {
        file: p.display().to_string(),
        message: e.to_string().to_lowercase(),
    };
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).map_err(|e| io(path, e))? {
                let p = entry.map_err(|e| io(path, e))?.path();
                if p.extension().is_some_and(|x| x == "toml") && p.is_file() {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(RuleError::Io {
                    file: path.display().to_string(),
                    message: "folder holds no .toml rule file".into(),
                });
            }
        } else {
            files.push(path.clone());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
            let mut parsed = parse_file(&file.display().to_string(), &text)?;
            let dir = file.parent().unwrap_or(Path::new("."));
            for r in &mut parsed.rule {
                if let Some(list) = &r.words_file {
                    let lp = dir.join(list);
                    let text = std::fs::read_to_string(&lp).map_err(|e| RuleError::Invalid {
                        id: r.id.clone(),
                        message: format!(
                            "cannot read its words_file {}: {}",
                            lp.display(),
                            e.to_string().to_lowercase()
                        ),
                    })?;
                    r.words.extend(parse_word_list(&text));
                }
            }
            out.push(parsed);
        }
    }
    Ok(out)
}

/// The terms of a word-list file: one per line, trimmed; blank lines and
/// lines starting with `#` are skipped; a UTF-8 BOM is ignored.
pub fn parse_word_list(text: &str) -> Vec<String> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// A byte of a text of digits as identifiers are written in cells: ASCII
/// digits, blanks and the punctuation of phone numbers, dates and amounts
/// (`+86 (010) 1234-5678`, `2023/10/20`, `1,000.00`, `#`, `*`). No
/// built-in context word is made of these alone (see
/// [`RuleSet::context_digit_words`]).
pub fn digit_text_byte(b: u8) -> bool {
    matches!(
        b,
        b'0'..=b'9' | b' ' | b'+' | b'-' | b'.' | b'(' | b')' | b'/' | b':' | b',' | b'#' | b'*'
    )
}

/// A byte a JSON number can be written with, besides exponents.
pub fn number_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.')
}

/// The line gate's context search structures (see the `gate_*` fields of
/// [`RuleSet`]).
#[derive(Default)]
struct Gate {
    /// The automaton, or why it does not build.
    automaton: Option<Result<aho_corasick::nfa::contiguous::NFA, String>>,
    rules: Vec<u64>,
    numeric: bool,
    patterns: Vec<String>,
}

/// The words that can make a format-only token match reportable: each
/// token rule's context words, and the column synonyms of its kind, each
/// with the set of rules it speaks for; and whether one of them is written
/// with number bytes only (so that it could sit inside a JSON number).
///
/// `rules` are the rule set's (by index; regex rules may be left out, as
/// only token rules are read).
fn gate_words(
    rules: &[Option<Rule>],
    words: &[String],
    columns: &[ColumnSyntax],
    kinds: &[String],
) -> Gate {
    if rules.len() > 64 {
        return Gate::default();
    }
    let mut pats: Vec<String> = Vec::new();
    let mut masks: Vec<u64> = Vec::new();
    let mut add = |w: &str, bit: u64| match pats.iter().position(|p| p.eq_ignore_ascii_case(w)) {
        Some(i) => masks[i] |= bit,
        None => {
            pats.push(w.to_string());
            masks.push(bit);
        }
    };
    for (ri, r) in rules.iter().enumerate() {
        let Some(r) = r
            .as_ref()
            .filter(|r| matches!(r.matcher, Matcher::Token { .. }))
        else {
            continue;
        };
        for &id in &r.context {
            add(&words[id as usize], 1 << ri);
        }
        for c in columns {
            if kinds.get(r.kind_id as usize) == Some(&c.kind) {
                for h in &c.headers {
                    add(h, 1 << ri);
                }
            }
        }
    }
    if pats.is_empty() {
        return Gate::default();
    }
    let numeric = pats.iter().any(|p| p.bytes().all(number_byte));
    let automaton = aho_corasick::nfa::contiguous::NFA::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(&pats)
        .map_err(|e| e.to_string());
    Gate {
        automaton: Some(automaton),
        rules: masks,
        numeric,
        patterns: pats,
    }
}

/// The automaton over every context word (see [`RuleSet::context`]):
/// overlapping searches over small windows on every hot line, where a DFA
/// is the fastest kind.
fn context_automaton(words: &[String]) -> Result<ContextAutomaton, aho_corasick::BuildError> {
    aho_corasick::dfa::DFA::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(words)
        .map(ContextAutomaton)
}

/// The context words' automaton ([`RuleSet::context`]): a bare DFA (ASCII
/// case-insensitive, standard semantics), searched by a loop of its own.
///
/// Key decision: not an [`AhoCorasick`], whose overlapping iterator makes
/// a call through a trait object into a search that is not inlined, and
/// saves and restores its state, for every match (and a hot line's windows
/// are short, with a word or two each); here the DFA's transitions
/// inline into the loop of [`ContextAutomaton::for_each`], which skips
/// ahead with the DFA's prefilter from its start state as that search
/// does (the built-in words have too many for one; a user's few words may
/// get one), and reports the very matches, in the same order. Paired runs
/// pinned to one core: an archive whose every line holds an identifier
/// (36 MB) 0.928 and 0.976 (15 and 11 rounds), the directory CSV at `-j2`
/// 0.990, the 300 MB archive (2% of lines hot) 1.001; the criterion bench
/// `context/` over a whole archive sample (one long hay) shows both at
/// the same speed.
#[derive(Clone, Debug)]
pub struct ContextAutomaton(aho_corasick::dfa::DFA);

impl ContextAutomaton {
    /// The length of the longest word, in bytes.
    pub fn max_pattern_len(&self) -> usize {
        use aho_corasick::automaton::Automaton;
        self.0.max_pattern_len()
    }

    /// Calls `f(start, end, word id)` for every word in `hay`, overlapping
    /// ones included, in the order of `AhoCorasick::find_overlapping_iter`
    /// over the same words: by where they end, and the words ending at
    /// one byte in the order of their ids' match list.
    #[inline]
    pub fn for_each(&self, hay: &[u8], mut f: impl FnMut(usize, usize, u32)) {
        overlapping(&self.0, hay, |hs, he, id| f(hs, he, id.as_u32()));
    }
}

/// Calls `f(start, end, pattern)` for every match of `aut` (standard
/// semantics) in `hay`, overlapping ones included, as
/// `AhoCorasick::find_overlapping_iter` reports them: by where they end,
/// those ending at one byte in the order of that byte's match state, an
/// empty pattern's at every position from 0 on. The automaton's
/// transitions inline into the loop (the context words' DFA, the line
/// gate's NFA); from the start state it skips ahead with the automaton's
/// prefilter, when it has one, as that search does.
#[inline(always)]
pub(crate) fn overlapping<A: aho_corasick::automaton::Automaton>(
    aut: &A,
    hay: &[u8],
    mut f: impl FnMut(usize, usize, aho_corasick::PatternID),
) {
    use aho_corasick::{Anchored, Span};
    let mut sid = aut
        .start_state(Anchored::No)
        .expect("the automaton has unanchored starts");
    let mut report = |sid, end: usize| {
        for i in 0..aut.match_len(sid) {
            let id = aut.match_pattern(sid, i);
            f(end - aut.pattern_len(id), end, id);
        }
    };
    // An empty word matches at every position, the start included.
    if aut.is_match(sid) {
        report(sid, 0);
    }
    let pre = aut.prefilter();
    let mut at = 0;
    while at < hay.len() {
        // With a prefilter the start state is special too: from it the
        // search skips to the next place a word may start.
        if aut.is_special(sid)
            && let Some(pre) = pre
            && aut.is_start(sid)
        {
            match pre.find_in(hay, Span::from(at..hay.len())).into_option() {
                None => return,
                Some(i) => at = i,
            }
        }
        sid = aut.next_state(Anchored::No, sid, hay[at]);
        at += 1;
        if aut.is_match(sid) {
            report(sid, at);
        }
    }
}

/// Every context word (positive, negative and neutral) with its id, in
/// order of first appearance, one per ASCII case-insensitive spelling (the
/// first one seen): collected from the rules as written, before they
/// compile, so that the automaton over them builds meanwhile. The order is
/// the one in which compiling the rules asks for the words (each rule's
/// context words, then the shared negative words and its own, then the
/// neutral words), so the ids are those that asking one by one gives.
struct ContextWords {
    words: Vec<String>,
    /// Id of each word, by its ASCII lower case.
    ids: rustc_hash::FxHashMap<String, u32>,
}

impl ContextWords {
    fn collect(syntaxes: &[RuleSyntax], shared_negative: &[String], neutral: &[String]) -> Self {
        let mut c = ContextWords {
            words: Vec::new(),
            ids: Default::default(),
        };
        let asked = syntaxes
            .iter()
            .flat_map(|s| {
                s.context
                    .iter()
                    .chain(shared_negative)
                    .chain(&s.negative_context)
            })
            .chain(neutral);
        for w in asked {
            let next = c.words.len() as u32;
            c.ids.entry(w.to_ascii_lowercase()).or_insert_with(|| {
                c.words.push(w.clone());
                next
            });
        }
        c
    }

    /// The id of `word` (one of those collected).
    fn id(&self, word: &str) -> u32 {
        self.ids[&word.to_ascii_lowercase()]
    }
}

/// A value being built on a scoped thread, joined when first asked for (a
/// panic there goes on here).
struct Pending<'s, T> {
    handle: Option<std::thread::ScopedJoinHandle<'s, T>>,
    value: Option<T>,
}

impl<'s, T> Pending<'s, T> {
    fn new(handle: std::thread::ScopedJoinHandle<'s, T>) -> Self {
        Pending {
            handle: Some(handle),
            value: None,
        }
    }

    /// The value, waiting for it the first time.
    fn get(&mut self) -> &mut T {
        if let Some(h) = self.handle.take() {
            self.value = Some(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        self.value.as_mut().expect("joined above")
    }

    /// The value, waiting for it if need be.
    fn take(mut self) -> T {
        self.get();
        self.value.take().expect("joined above")
    }
}

/// True when none of `keywords` (a rule set's) can match in the flat form
/// of a line whose escapes are all `\"` (see `gate::escaped`) unless it
/// matches in the line as written, so that a line without keyword has a
/// flat form without one.
///
/// Such a flat form is the line with bytes left out and none written
/// anew: the backslash of each `\"` (the quote stays), and the quotes of
/// each string inlined as the JSON document it holds, with the blanks
/// between those quotes and the document (the decoded document holds no
/// backslash, so nothing nested is decoded further; a decoded key or text
/// holds a quote, so a line with one has no flat form). Every stretch
/// between two places where bytes were left out stands in the line as it
/// is, so a match found in the flat form and not in the line spans such a
/// place: it holds the quote after a left-out backslash, or the first
/// byte of an inlined document (`{` or `[`) not as its own first byte, or
/// the document's last byte (`}` or `]`) not as its own last byte. A
/// keyword set with none of those (the built-in one: `[at]` has its
/// brackets at its ends; case forms change no such byte) never matches
/// there.
pub(super) fn keywords_never_join<'k>(keywords: impl IntoIterator<Item = &'k String>) -> bool {
    keywords.into_iter().all(|k| {
        let k = k.as_bytes();
        k.iter().enumerate().all(|(j, &b)| match b {
            b'"' => false,
            b'{' | b'[' => j == 0,
            b'}' | b']' => j + 1 == k.len(),
            _ => true,
        })
    })
}

/// The keyword prefilter of the regex rules. Each keyword is searched in
/// its lower-case, upper-case and capitalised forms (`secret`, `SECRET`,
/// `Secret`), which is what real files hold. The literals of two bytes or
/// more are found leftmost-first without overlaps (an earlier literal wins
/// at the same start), the one-byte ones (`@`) at every place, whatever
/// the others found.
///
/// Key decision: on CPUs with AVX-512 the bucket search of
/// [`super::wordfilter`] finds every place where a keyword may start (64
/// positions a step, `@` among the keywords), and each place is checked
/// against the literals of its buckets; elsewhere a SIMD multi-literal
/// searcher (Teddy) finds the literals and `memchr` the one-byte ones,
/// with an Aho-Corasick automaton over the same literals where Teddy does
/// not run. All three give the same hits, so results never depend on the
/// machine (the tests hold them to each other). With AVX-512 the bucket
/// search took about a quarter less time than Teddy and `memchr` on 1 MB
/// chunks of chat JSON; with AVX2 (32 positions a step, five offsets
/// against Teddy's three) it is not used.
#[derive(Debug)]
pub struct Keywords {
    /// Searcher over the literals of two bytes or more.
    packed: Option<aho_corasick::packed::Searcher>,
    /// Fallback automaton over the same literals, built only when
    /// `packed` is not.
    ac: Option<AhoCorasick>,
    /// The literals of `packed` / `ac`, in order of priority.
    literals: Vec<Vec<u8>>,
    /// Keyword of each literal of `packed` / `ac`.
    keyword_of: Vec<usize>,
    /// One-byte literals (`@`), found with `memchr`, and their keywords.
    bytes: Vec<(u8, usize)>,
    /// The bucket search over every literal, when it is the one used.
    starts: Option<KeywordStarts>,
    /// No keyword can match across the bytes a line's flat form leaves
    /// out ([`keywords_never_join`]).
    never_join: bool,
}

/// The bucket search of [`Keywords`]: where a literal (or one-byte
/// literal) may start, and which literals to check there.
#[derive(Debug)]
struct KeywordStarts {
    search: WordStarts,
    /// For each bucket, the literals (indices in `literals`) whose lower
    /// case is one of its words, in order of priority.
    by_bucket: Vec<Vec<u32>>,
    /// For each byte value, the keyword of the one-byte literal it is, or
    /// `usize::MAX`.
    byte_keyword: Box<[usize; 256]>,
}

/// How far a search of the keyword hits a stretch at a time has gone
/// (see [`Keywords::for_each_until`]); the default is the data's start.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeywordCursor {
    /// The hits starting before this have been handed over.
    searched: usize,
    /// The end of the last literal hit (no literal hit starts before it).
    next: usize,
}

impl KeywordCursor {
    /// Whether the hits starting before `to` have been handed over.
    pub fn covers(&self, to: usize) -> bool {
        self.searched >= to
    }

    /// A cursor past every hit of `len` bytes (hits found beforehand).
    pub fn past(len: usize) -> KeywordCursor {
        KeywordCursor {
            searched: len,
            next: len,
        }
    }
}

/// Which search [`Keywords`] runs (for tests; [`Keywords::new`] picks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeywordSearch {
    /// Teddy (or the automaton) and `memchr`.
    Teddy,
    /// The bucket search with this scan.
    Buckets(Simd),
}

impl Keywords {
    fn new(keywords: &[String]) -> Result<Keywords, String> {
        let search = match Simd::best() {
            Simd::Avx512 => KeywordSearch::Buckets(Simd::Avx512),
            _ => KeywordSearch::Teddy,
        };
        Keywords::with_search(keywords, search)
    }

    /// The prefilter over `keywords` with `search` (Teddy when the bucket
    /// search cannot run here or does not suit the literals).
    fn with_search(keywords: &[String], search: KeywordSearch) -> Result<Keywords, String> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut keyword_of = Vec::new();
        let mut bytes: Vec<(u8, usize)> = Vec::new();
        for (i, k) in keywords.iter().enumerate() {
            let mut capital = k.to_ascii_lowercase().into_bytes();
            if let Some(first) = capital.first_mut() {
                first.make_ascii_uppercase();
            }
            for form in [
                k.as_bytes().to_vec(),
                k.to_ascii_lowercase().into_bytes(),
                k.to_ascii_uppercase().into_bytes(),
                capital,
            ] {
                if let [b] = form[..] {
                    // A one-byte literal would make every literal's
                    // fingerprint one byte long: Teddy would stop at every
                    // Chinese character. `memchr` finds it instead.
                    if !bytes.iter().any(|x| x.0 == b) {
                        bytes.push((b, i));
                    }
                } else if !form.is_empty() && !literals.contains(&form) {
                    literals.push(form);
                    keyword_of.push(i);
                }
            }
        }
        if bytes.len() > 3 {
            // memchr takes up to three bytes; more go to the automaton.
            for (b, i) in bytes.drain(3..) {
                literals.push(vec![b]);
                keyword_of.push(i);
            }
        }
        let starts = match search {
            KeywordSearch::Buckets(simd) => KeywordStarts::new(&literals, &bytes, simd),
            KeywordSearch::Teddy => None,
        };
        let (packed, ac) = if literals.is_empty() || starts.is_some() {
            (None, None)
        } else {
            let packed = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(&literals)
                .build();
            // The automaton answers only where Teddy does not build.
            let ac = match packed {
                Some(_) => None,
                None => Some(
                    AhoCorasickBuilder::new()
                        .match_kind(MatchKind::LeftmostFirst)
                        .build(&literals)
                        .map_err(|e| e.to_string())?,
                ),
            };
            (packed, ac)
        };
        Ok(Keywords {
            packed,
            ac,
            literals,
            keyword_of,
            bytes,
            starts,
            never_join: keywords_never_join(keywords),
        })
    }

    /// True when no keyword can match in the flat form of a line whose
    /// escapes are all `\"` unless it matches in the line as written (see
    /// `keywords_never_join`).
    pub fn never_join(&self) -> bool {
        self.never_join
    }

    /// Calls `f(start, end, keyword)` for each keyword hit, ordered by
    /// start (at the same start, a literal's hit before a one-byte one's).
    /// Hits of multi-byte literals do not overlap each other.
    pub fn for_each(&self, data: &[u8], f: impl FnMut(usize, usize, usize)) {
        self.for_each_until(data, data.len(), &mut KeywordCursor::default(), f);
    }

    /// [`Keywords::for_each`] of `data` a stretch at a time: hands over the
    /// hits starting from where `cursor` stands up to at least `to` (a hit
    /// may run on past `to`), and moves `cursor` past them. Calls with
    /// growing `to` and the same cursor hand over the very hits, in the
    /// same order, as one call over the whole of `data`. Only the bucket
    /// search goes a stretch at a time; the others search the whole of
    /// `data` at the first call.
    pub fn for_each_until(
        &self,
        data: &[u8],
        to: usize,
        cursor: &mut KeywordCursor,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let from = cursor.searched;
        if from >= to.min(data.len()) {
            return;
        }
        let Some(st) = &self.starts else {
            debug_assert_eq!(from, 0);
            cursor.searched = data.len();
            return self.for_each_whole(data, f);
        };
        // The bucket search over the stretch, with the bytes the
        // fingerprints of its last positions reach: a position's candidacy
        // depends on those bytes alone, so it is what the search of the
        // whole data makes it; a hit is checked against the whole data.
        // Candidates come in order of position and every place a literal
        // or one-byte literal starts is one, in the bucket of its lower
        // case. At a candidate past the end of the last literal hit
        // (`next`, carried from stretch to stretch), the first literal (by
        // priority) of its buckets that is there is the leftmost-first
        // hit, as the automaton finds it; a one-byte literal there is a
        // hit whatever the literals did, reported after the literal's hit
        // of the same start, as the merge of the `memchr` hits does.
        let to = to.min(data.len());
        let span = to - from;
        let hay = &data[from..(to + wordfilter::REACH - 1).min(data.len())];
        cursor.searched = to;
        let next = &mut cursor.next;
        st.search.for_each(hay, |pos, mut buckets| {
            if pos >= span {
                return true; // the next stretch's
            }
            let pos = from + pos;
            let rest = &data[pos..];
            if pos >= *next {
                let mut best = u32::MAX;
                while buckets != 0 {
                    let k = buckets.trailing_zeros() as usize;
                    buckets &= buckets - 1;
                    for &l in &st.by_bucket[k] {
                        if l >= best {
                            break;
                        }
                        if rest.starts_with(&self.literals[l as usize]) {
                            best = l;
                            break;
                        }
                    }
                }
                if best != u32::MAX {
                    let l = best as usize;
                    *next = pos + self.literals[l].len();
                    f(pos, *next, self.keyword_of[l]);
                }
            }
            let kw = st.byte_keyword[rest[0] as usize];
            if kw != usize::MAX {
                f(pos, pos + 1, kw);
            }
            false
        });
    }

    /// [`Keywords::for_each`] with Teddy (or the automaton) and `memchr`.
    fn for_each_whole(&self, data: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let mut single = self.single_iter(data).peekable();
        let mut emit = |s: usize, e: usize, k: usize| {
            while let Some(&(p, kw)) = single.peek() {
                if p >= s {
                    break;
                }
                f(p, p + 1, kw);
                single.next();
            }
            f(s, e, k);
        };
        match (&self.packed, &self.ac) {
            (Some(p), _) => {
                for m in p.find_iter(data) {
                    emit(m.start(), m.end(), self.keyword_of[m.pattern().as_usize()]);
                }
            }
            (None, Some(ac)) => {
                for m in ac.find_iter(data) {
                    emit(m.start(), m.end(), self.keyword_of[m.pattern().as_usize()]);
                }
            }
            (None, None) => {}
        }
        for (p, kw) in single {
            f(p, p + 1, kw);
        }
    }

    /// Hits of the one-byte literals, in order.
    fn single_iter<'d>(&'d self, data: &'d [u8]) -> Box<dyn Iterator<Item = (usize, usize)> + 'd> {
        let kw = |b: u8| self.bytes.iter().find(|x| x.0 == b).map_or(0, |x| x.1);
        match self.bytes[..] {
            [] => Box::new(std::iter::empty()),
            [(a, k)] => Box::new(memchr::memchr_iter(a, data).map(move |p| (p, k))),
            [(a, _), (b, _)] => {
                Box::new(memchr::memchr2_iter(a, b, data).map(move |p| (p, kw(data[p]))))
            }
            [(a, _), (b, _), (c, _), ..] => {
                Box::new(memchr::memchr3_iter(a, b, c, data).map(move |p| (p, kw(data[p]))))
            }
        }
    }
}

impl KeywordStarts {
    /// The bucket search over `literals` (in order of priority) and the
    /// one-byte literals `bytes`, or `None` when `simd` cannot run here or
    /// the words do not suit the buckets.
    fn new(literals: &[Vec<u8>], bytes: &[(u8, usize)], simd: Simd) -> Option<KeywordStarts> {
        let mut words: Vec<&[u8]> = literals.iter().map(|l| &l[..]).collect();
        let singles: Vec<[u8; 1]> = bytes.iter().map(|&(b, _)| [b]).collect();
        words.extend(singles.iter().map(|b| &b[..]));
        if words.is_empty() {
            return None;
        }
        let search = WordStarts::new(&words, simd)?;
        let mut bucket_of = vec![usize::MAX; search.words().len()];
        for k in 0..search.bucket_count() {
            for &w in search.bucket_words(k) {
                bucket_of[w as usize] = k;
            }
        }
        let mut by_bucket = vec![Vec::new(); search.bucket_count()];
        for (l, lit) in literals.iter().enumerate() {
            let lower = lit.to_ascii_lowercase();
            let w = search
                .words()
                .iter()
                .position(|w| **w == lower[..])
                .expect("every literal is a word of the search");
            by_bucket[bucket_of[w]].push(l as u32);
        }
        let mut byte_keyword = Box::new([usize::MAX; 256]);
        for &(b, k) in bytes {
            byte_keyword[b as usize] = k;
        }
        Some(KeywordStarts {
            search,
            by_bucket,
            byte_keyword,
        })
    }
}

/// Parses one rule file.
pub fn parse_file(name: &str, text: &str) -> Result<RuleFile, RuleError> {
    let mut f: RuleFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
        file: name.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    for r in &mut f.rule {
        r.origin = name.to_string();
    }
    Ok(f)
}

fn invalid(id: &str, message: &str) -> RuleError {
    RuleError::Invalid {
        id: id.to_string(),
        message: message.to_string(),
    }
}

/// A regex rule's pattern compiled, with the detector's line plan and
/// the line gate's guard for it (see [`Matcher::Regex`]): all three come
/// from the pattern alone, and are built together on the regex rules'
/// helper thread (see [`RuleSet::compile`]).
struct CompiledRegex {
    regex: Regex,
    plan: Option<LinePlan>,
    guard: Option<RegexGuard>,
}

/// Compiles a regex rule's pattern (see [`CompiledRegex`]).
fn compile_regex(pattern: &str) -> Result<CompiledRegex, regex::Error> {
    let regex = Regex::new(pattern)?;
    // Parsed once for both (the regex compiled, its syntax is good).
    let hir = super::pattern_hir(pattern);
    let plan = hir.as_ref().and_then(LinePlan::of_hir);
    let guard = hir
        .as_ref()
        .filter(|_| plan.is_some())
        .and_then(RegexGuard::of_hir);
    Ok(CompiledRegex { regex, plan, guard })
}

/// Compiles one rule; `compiled` is its pattern's regex when a regex rule's
/// pattern was compiled ahead (else it compiles here).
fn compile_rule(
    s: RuleSyntax,
    shared_negative: &[String],
    word_id: &mut dyn FnMut(&str) -> u32,
    compiled: Option<Result<CompiledRegex, regex::Error>>,
) -> Result<Rule, RuleError> {
    let id = s.id.as_str();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            id,
            "ids use lowercase ASCII letters, digits and '_'",
        ));
    }
    if s.examples.is_empty() || s.negative_examples.is_empty() {
        return Err(invalid(
            id,
            "every rule needs at least one example and one negative example",
        ));
    }
    let validator = match &s.validator {
        Some(name) => match validators::lookup(name) {
            Some(f) => Some((name.clone(), f)),
            None => {
                return Err(invalid(
                    id,
                    &format!(
                        "unknown validator '{name}' (known: {})",
                        validators::NAMES.join(", ")
                    ),
                ));
            }
        },
        None => None,
    };
    let matcher = match s.matcher {
        MatcherKind::Token => {
            if s.lengths.is_empty() {
                return Err(invalid(id, "token rules need `lengths`"));
            }
            let mut len_mask = 0u64;
            for &l in &s.lengths {
                if l == 0 || l > MAX_TOKEN_LEN {
                    return Err(invalid(
                        id,
                        &format!("length {l} outside 1..={MAX_TOKEN_LEN}"),
                    ));
                }
                len_mask |= 1 << l;
            }
            let shape = match &s.shape {
                Some(p) => Some(
                    Shape::new(p, len_mask).map_err(|e| invalid(id, &format!("bad shape: {e}")))?,
                ),
                None => None,
            };
            Matcher::Token { len_mask, shape }
        }
        MatcherKind::Regex => {
            let Some(p) = &s.pattern else {
                return Err(invalid(id, "regex rules need `pattern`"));
            };
            if s.keywords.is_empty() {
                return Err(invalid(id, "regex rules need prefilter `keywords`"));
            }
            let CompiledRegex { regex, plan, guard } = compiled
                .unwrap_or_else(|| compile_regex(p))
                .map_err(|e| invalid(id, &format!("bad pattern: {e}")))?;
            Matcher::Regex {
                regex,
                window: s.window.unwrap_or((128, 256)),
                plan,
                guard,
            }
        }
        MatcherKind::Words => {
            if s.words.is_empty() {
                return Err(invalid(
                    id,
                    "word rules need `words` or a `words_file` with at least one term",
                ));
            }
            if let Some(t) = s
                .words
                .iter()
                .find(|t| t.trim() != t.as_str() || t.len() > 256)
            {
                return Err(invalid(
                    id,
                    &format!(
                        "term of {} bytes with surrounding spaces or over 256 bytes",
                        t.len()
                    ),
                ));
            }
            let terms = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&s.words)
                .map_err(|e| invalid(id, &format!("bad word list: {e}")))?;
            let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
            let edges = s
                .words
                .iter()
                .map(|t| (edge(t.as_bytes().first()), edge(t.as_bytes().last())))
                .collect();
            Matcher::Words { terms, edges }
        }
    };
    let context = s.context.iter().map(|w| word_id(w)).collect();
    let negative = shared_negative
        .iter()
        .chain(&s.negative_context)
        .map(|w| word_id(w))
        .collect();
    Ok(Rule {
        id: Arc::from(id),
        name: s.name.clone(),
        kind: Arc::from(s.kind.as_str()),
        description: s.description.clone(),
        severity: s.severity,
        kind_id: 0,
        mask: s.mask,
        matcher,
        validator,
        // A hit of a user's own term is certain; a shape alone is not.
        strength: s.strength.unwrap_or(match s.matcher {
            MatcherKind::Words => Strength::Checked,
            _ => Strength::Format,
        }),
        context,
        negative,
        syntax: s,
    })
}

/// The keywords of the built-in regex rules (2026-12), for the tests of
/// the keyword search here and of the word filter's buckets.
#[cfg(test)]
pub(crate) const BUILTIN_KEYWORDS: [&str; 8] = [
    "@",
    "＠",
    "(at)",
    "[at]",
    "艾特",
    "secret",
    "qyapi.weixin.qq.com/cgi-bin/webhook",
    "PRIVATE KEY-----",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a token may hold, to test shapes on.
    const TOKEN_BYTES: &[u8] = b"0123456789ABCDEGHMPSXYZ";

    /// `shape_places` never leaves out a byte a match holds: tokens drawn
    /// from the places (so that many match), with one byte changed now and
    /// then, match only when every byte is in its place's set. Patterns it
    /// cannot read give `None`.
    #[test]
    fn shape_places_hold_every_match() {
        let patterns = [
            "E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{8}|[DSP]E[0-9]{7}",
            "[HM][0-9]{8}([0-9]{2})?|C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}",
            "[A-Z]{1,2}[0-9]{6}[0-9A]",
            "[A-Z][1289][0-9]{8}",
            "92[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
            "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
            "[0-9]{17}[0-9X]",
            "[0-9]{3}[0-9A-Z]{9}",
            "(A|BC)*[0-9]+D?",
            "((AB){2,3}|[XY]{0,}){1}[0-9]{2,}",
            "A{0}B?[0-9]{3,5}",
        ];
        let mut rng = crate::detect::TestRng(29);
        let mut matched = 0;
        for p in patterns {
            let places = shape_places(p, MAX_TOKEN_LEN).unwrap_or_else(|| panic!("{p}"));
            // Bounded to the lengths a rule takes, the same places.
            for max in [1, 9, 18, 24] {
                assert_eq!(
                    shape_places(p, max).as_deref(),
                    Some(&places[..=max]),
                    "{p}"
                );
            }
            let regex = Regex::new(&format!("^(?:{p})$")).unwrap();
            for _ in 0..20_000 {
                let len = 1 + rng.below(24);
                let mut token: Vec<u8> = (0..len)
                    .map(|k| {
                        let from: Vec<u8> = match &places[len] {
                            Some(sets) => TOKEN_BYTES
                                .iter()
                                .copied()
                                .filter(|&b| sets[k] & (1 << b) != 0)
                                .collect(),
                            None => Vec::new(),
                        };
                        if from.is_empty() || rng.below(8) == 0 {
                            TOKEN_BYTES[rng.below(TOKEN_BYTES.len())]
                        } else {
                            from[rng.below(from.len())]
                        }
                    })
                    .collect();
                if rng.below(4) == 0 {
                    token[rng.below(len)] = TOKEN_BYTES[rng.below(TOKEN_BYTES.len())];
                }
                let inside = places[len].as_ref().is_some_and(|sets| {
                    token.iter().zip(sets).all(|(&b, &set)| set & (1 << b) != 0)
                });
                if regex.is_match(&token) {
                    matched += 1;
                    assert!(inside, "{p} {:?}", String::from_utf8_lossy(&token));
                }
            }
        }
        assert!(matched > 5_000, "{matched}");
        for p in [
            "a.b", "(?i)ab", "[^0-9]", "\\d{3}", "a{2}?", "a??", "a}", "a{,3}", "[A-]", "(ab",
        ] {
            assert!(shape_places(p, MAX_TOKEN_LEN).is_none(), "{p}");
        }
        // Exact on a simple shape: letters only where the pattern puts them.
        let places = shape_places("[A-Z]{1,2}[0-9]{6}[0-9A]", MAX_TOKEN_LEN).unwrap();
        let (nine, eight) = (places[9].as_ref().unwrap(), places[8].as_ref().unwrap());
        assert_eq!(nine[..2], [class_set(b"A-Z").unwrap(); 2]);
        assert_eq!(nine[8], class_set(b"0-9A").unwrap());
        assert_eq!(eight[..2], [class_set(b"A-Z").unwrap(), DIGITS]);
        assert!(places[10].is_none() && places[7].is_none());
    }

    #[test]
    fn shape_shortcuts_agree_with_the_regex() {
        assert_eq!(
            first_bytes("E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{8}"),
            Some((1u128 << b'E') | (1 << b'G') | (1 << b'D') | (1 << b'S') | (1 << b'P'))
        );
        assert_eq!(first_bytes("[A-C]{1,2}[0-9]"), Some(0b111 << b'A'));
        assert_eq!(first_bytes("(E|G)[0-9]"), None);
        assert_eq!(first_bytes("[0-9]?X"), None);
        assert_eq!(first_bytes("E?[0-9]"), None);
        assert_eq!(first_bytes("[^A]"), None);
        let lens = |ls: &[usize]| ls.iter().fold(0u64, |m, &l| m | 1 << l);
        assert!(
            Shape::new("[0-9]{8,30}", lens(&[8, 9, 30]))
                .unwrap()
                .digits_only
        );
        assert!(
            Shape::new("[0-9]{8}([0-9]{2})?", lens(&[8, 10]))
                .unwrap()
                .digits_only
        );
        assert!(
            !Shape::new("[0-9]{17}[0-9X]", lens(&[18]))
                .unwrap()
                .digits_only
        );
        assert!(
            !Shape::new("[1-8][0-9]{14}000", lens(&[18]))
                .unwrap()
                .digits_only
        );
        // A length the pattern does not take: not digits-only.
        assert!(!Shape::new("[0-9]{8}", lens(&[8, 9])).unwrap().digits_only);
        // Whether all-digit tokens match, by length, where it depends on
        // the length alone, and never where it depends on the digits.
        let shape = |p: &str, ls: &[usize]| Shape::new(p, lens(ls)).unwrap();
        let id = shape("[0-9]{17}[0-9X]", &[18]);
        assert_eq!(id.all_digits(18), Some(true));
        let uscc = shape(
            "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
            &[18],
        );
        assert_eq!(uscc.all_digits(18), Some(true));
        let permit = shape("[0-9]{8}([0-9]{2})?", &[8, 9, 10]);
        assert_eq!(permit.all_digits(8), Some(true));
        assert_eq!(permit.all_digits(9), Some(false));
        assert_eq!(
            shape("[A-Z][1289][0-9]{8}", &[10]).all_digits(10),
            Some(false)
        );
        assert_eq!(shape("[1-8][0-9]{14}000", &[18]).all_digits(18), None);
        assert_eq!(shape("92[0-9]{16}", &[18]).all_digits(18), None);
        assert_eq!(shape("(?:[0-9]){8}", &[8]).all_digits(8), None);
        assert_eq!(shape("[0-9]{7}.", &[8]).all_digits(8), None);
        assert_eq!(shape("[^A]{8}", &[8]).all_digits(8), None);
        assert_eq!(max_letters("[A-Z][1289][0-9]{8}"), Some(1));
        assert_eq!(max_letters("[A-Z]{1,2}[0-9]{6}[0-9A]"), Some(3));
        assert_eq!(
            max_letters("E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{8}|[DSP]E[0-9]{7}"),
            Some(2)
        );
        assert_eq!(max_letters("[HM][0-9]{8}([0-9]{2})?|C[0-9]{8}"), Some(1));
        assert_eq!(max_letters("(A[0-9]|BC){2}[0-9]*"), Some(4));
        assert_eq!(max_letters("[0-9]{3}[A-Z]{2,}"), None);
        assert_eq!(max_letters("[A-Z]+"), None);
        assert_eq!(max_letters("(?:A)[0-9]"), None);
        assert_eq!(max_letters("A.[0-9]"), None);
        assert_eq!(max_letters("(A[0-9]"), None);
        for (pattern, ls) in [
            ("[0-9]{17}[0-9X]", &[18][..]),
            ("[0-9]{8}([0-9]{2})?", &[8, 9, 10]),
            ("[0-9A-Z]{2,3}[0-9]+", &[4, 5, 6]),
        ] {
            let s = shape(pattern, ls);
            for &l in ls {
                for v in [
                    "0".repeat(l),
                    "9".repeat(l),
                    "1234567890123456789"[..l].to_string(),
                ] {
                    assert_eq!(
                        s.all_digits(l),
                        Some(s.regex.is_match(v.as_bytes())),
                        "{pattern} {v}"
                    );
                }
            }
        }
        let rules = RuleSet::builtin().unwrap();
        let samples: &[&[u8]] = &[
            b"E12345678",
            b"EA1234567",
            b"G12345678",
            b"12345678",
            b"1234567890",
            b"H12345678",
            b"C12345678",
            b"A1234563",
            b"AB1234569",
            b"A100000001",
            b"110101190001010000",
            b"92110101MA01234567",
            b"YUANXIA64",
            b"1696118582348",
            b"X1234567",
        ];
        for r in &rules.rules {
            if let Matcher::Token {
                shape: Some(shape),
                len_mask,
            } = &r.matcher
            {
                for v in samples {
                    if len_mask & (1 << v.len()) != 0 {
                        assert_eq!(
                            shape.is_match(v),
                            shape.regex.is_match(v),
                            "{} {:?}",
                            r.id,
                            v
                        );
                    }
                }
            }
        }
    }

    /// Every hit of `k` on `data`.
    fn keyword_hits(k: &Keywords, data: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        k.for_each(data, |s, e, kw| v.push((s, e, kw)));
        v
    }

    /// Random text with keywords planted in random cases, cut short, or
    /// next to each other, among Chinese filler, JSON and ASCII.
    fn keyword_text(rng: &mut crate::detect::TestRng, words: &[String], len: usize) -> Vec<u8> {
        const FILLER: [&str; 10] = [
            "好的",
            "艾",
            "特",
            "\"tolist\":[\"",
            "se",
            "(a",
            "[A",
            "1385",
            " ",
            "KEY--",
        ];
        let mut h = Vec::new();
        while h.len() < len {
            let w = words[rng.below(words.len())].as_bytes();
            match rng.below(8) {
                0 | 1 => h.extend(w.iter().map(|&b| {
                    if rng.below(2) == 0 {
                        b.to_ascii_uppercase()
                    } else {
                        b.to_ascii_lowercase()
                    }
                })),
                2 => h.extend_from_slice(w),
                3 => h.extend_from_slice(&w[..rng.below(w.len())]),
                4 => h.push(rng.next() as u8),
                _ => h.extend_from_slice(FILLER[rng.below(FILLER.len())].as_bytes()),
            }
        }
        h.truncate(len);
        h
    }

    /// The keyword sets the searches are tested on: the built-in keywords
    /// and sets with overlapping literals (`ab`, `abc`, `bc`), letters as
    /// one-byte literals and more than three one-byte literals (which go
    /// to the literals' search). Every set suits the buckets (a common
    /// one-byte literal such as `y` would not: Teddy then runs).
    fn keyword_sets() -> Vec<Vec<String>> {
        [
            &BUILTIN_KEYWORDS[..],
            &["ab", "abc", "bc", "b", "Ca", "@"][..],
            &["x", "@", "#", "~", "^", "xy", "SECRET"][..],
            &["@@", "@", "a@", "艾特特"][..],
        ]
        .iter()
        .map(|set| set.iter().map(|w| w.to_string()).collect())
        .collect()
    }

    /// The bucket search of the keywords (portable, and each SIMD scan this
    /// CPU runs) gives the very hits of Teddy and `memchr`, for each of
    /// [`keyword_sets`].
    #[test]
    fn keyword_searches_agree() {
        let mut rng = crate::detect::TestRng(31);
        for words in &keyword_sets() {
            let teddy = Keywords::with_search(words, KeywordSearch::Teddy).expect("keywords");
            assert!(teddy.starts.is_none());
            let buckets: Vec<Keywords> = [Simd::Scalar, Simd::Avx2, Simd::Avx512]
                .into_iter()
                .filter(|s| s.available())
                .map(|s| Keywords::with_search(words, KeywordSearch::Buckets(s)).expect("keywords"))
                .collect();
            assert!(buckets[0].starts.is_some(), "{words:?}");
            for round in 0..3000 {
                let len = match round % 3 {
                    0 => rng.below(20),
                    1 => rng.below(200),
                    _ => rng.below(3000),
                };
                let data = keyword_text(&mut rng, words, len);
                let want = keyword_hits(&teddy, &data);
                for b in &buckets {
                    assert_eq!(keyword_hits(b, &data), want, "{words:?} {data:?}");
                }
            }
        }
    }

    /// The hits searched a stretch at a time (`for_each_until` with growing
    /// ends, some short of where the last call reached, some past the
    /// data's end) are those of one search of the whole data, in the same
    /// order, for each search and each of [`keyword_sets`]: literals cut by
    /// a stretch's end, a literal hit running on over later candidates and
    /// one-byte literals at a stretch's first byte are all among the
    /// random texts.
    #[test]
    fn keyword_hits_a_stretch_at_a_time_are_the_whole_searchs() {
        let mut rng = crate::detect::TestRng(37);
        for words in &keyword_sets() {
            let searches: Vec<Keywords> = [Simd::Scalar, Simd::Avx2, Simd::Avx512]
                .into_iter()
                .filter(|s| s.available())
                .map(KeywordSearch::Buckets)
                .chain([KeywordSearch::Teddy])
                .map(|s| Keywords::with_search(words, s).expect("keywords"))
                .collect();
            for _ in 0..1500 {
                let len = rng.below(400);
                let data = keyword_text(&mut rng, words, len);
                for k in &searches {
                    let want = keyword_hits(k, &data);
                    let mut got = Vec::new();
                    let mut cursor = KeywordCursor::default();
                    let mut to = 0;
                    while !cursor.covers(data.len()) {
                        to = (to + rng.below(12)).saturating_sub(rng.below(4));
                        k.for_each_until(&data, to, &mut cursor, |s, e, kw| got.push((s, e, kw)));
                        assert!(cursor.covers(to.min(data.len())));
                        assert!(got.iter().all(|h| want.contains(h)));
                    }
                    assert_eq!(got, want, "{words:?} {data:?}");
                }
            }
        }
    }

    /// The words and ids collected before the rules compile are those that
    /// asking for them one by one as the rules compile gives (the first
    /// spelling of each word, in order of asking), on the built-in rules
    /// and a file whose words repeat theirs in other cases; and an error is
    /// the one compiling the rules in sequence reports first: a bad pattern
    /// (compiled on a thread of its own) before a later bad id, a bad id
    /// before a later bad pattern.
    #[test]
    fn compiled_ahead_as_in_sequence() {
        let user = r#"
            negative_context = ["MSGID", "zz-neg"]
            neutral_context = ["客户名单", "ZZ-NEG", "zz-neutral"]

            [[rule]]
            id = "user_mail"
            name = "x"
            kind = "email"
            description = "x"
            severity = "low"
            match = "regex"
            pattern = 'k[0-9]+'
            keywords = ["k"]
            mask = "account"
            context = ["EMAIL", "邮箱", "zz-new", "Zz-Neutral"]
            negative_context = ["Zz-neg", "zz-other"]
            examples = ["k1"]
            negative_examples = ["z"]
        "#;
        let mut files: Vec<RuleFile> = BUILTIN
            .iter()
            .map(|(name, text)| parse_file(name, text).unwrap())
            .collect();
        files.push(parse_file("user.toml", user).unwrap());
        let rules = RuleSet::compile(files.clone()).unwrap();
        let mut words: Vec<String> = Vec::new();
        let mut id = |w: &str| match words.iter().position(|x| x.eq_ignore_ascii_case(w)) {
            Some(i) => i as u32,
            None => {
                words.push(w.to_string());
                (words.len() - 1) as u32
            }
        };
        let shared: Vec<String> = files
            .iter()
            .flat_map(|f| f.negative_context.clone())
            .collect();
        let syntaxes: Vec<&RuleSyntax> = files.iter().flat_map(|f| &f.rule).collect();
        assert_eq!(rules.rules.len(), syntaxes.len());
        for (r, s) in rules.rules.iter().zip(syntaxes) {
            let context: Vec<u32> = s.context.iter().map(|w| id(w)).collect();
            let negative: Vec<u32> = shared
                .iter()
                .chain(&s.negative_context)
                .map(|w| id(w))
                .collect();
            assert_eq!(r.context, context, "{}", r.id);
            assert_eq!(r.negative, negative, "{}", r.id);
        }
        let neutral: Vec<u32> = files
            .iter()
            .flat_map(|f| &f.neutral_context)
            .map(|w| id(w))
            .collect();
        assert_eq!(rules.words, words);
        for (i, n) in rules.neutral.iter().enumerate() {
            assert_eq!(*n, neutral.contains(&(i as u32)), "{}", rules.words[i]);
        }
        // A rule of `kind` whose matcher is given by `matcher`'s lines.
        let rule_of = |id: &str, kind: &str, matcher: String| {
            format!(
                r#"
                [[rule]]
                id = "{id}"
                name = "x"
                kind = "{kind}"
                description = "x"
                severity = "low"
                {matcher}
                mask = "account"
                examples = ["k"]
                negative_examples = ["z"]
                "#
            )
        };
        let rule = |id: &str, pattern: &str| {
            let matcher = format!("match = \"regex\"\npattern = '{pattern}'\nkeywords = [\"k\"]");
            rule_of(id, "x", matcher)
        };
        let error = |text: String| {
            RuleSet::compile(vec![parse_file("e.toml", &text).unwrap()])
                .unwrap_err()
                .to_string()
        };
        let e = error(rule("first", "(") + &rule("Bad Id", "k"));
        assert!(
            e.contains("'first'") && e.contains("bad pattern") && e.contains("(in e.toml)"),
            "{e}"
        );
        let e = error(rule("Bad Id", "k") + &rule("second", "("));
        assert!(e.contains("'Bad Id'") && e.contains("lowercase"), "{e}");
        // Regex rules compile after the others, as their patterns build on
        // the helper thread; errors still come in rule order.
        let token = |id: &str, shape: &str| {
            let matcher = format!("match = \"token\"\nlengths = [11]\nshape = '{shape}'");
            rule_of(id, "y", matcher)
        };
        let e = error(rule("first", "(") + &token("second", "["));
        assert!(e.contains("'first'") && e.contains("bad pattern"), "{e}");
        let e = error(token("first", "[") + &rule("second", "("));
        assert!(e.contains("'first'") && e.contains("bad shape"), "{e}");
        let e = error(rule("first", "(") + &token("first", "[0-9]{11}"));
        assert!(e.contains("'first'") && e.contains("bad pattern"), "{e}");
        let e = error(rule("first", "k") + &token("first", "[0-9]{11}"));
        assert!(e.contains("'first'") && e.contains("duplicate"), "{e}");
    }

    /// The built-in rule set's keywords use the bucket search exactly when
    /// the CPU has AVX-512.
    #[test]
    fn builtin_keywords_search() {
        let rules = RuleSet::builtin().expect("built-in rules");
        let k = rules.keywords.as_ref().expect("keywords");
        assert_eq!(k.starts.is_some(), Simd::best() == Simd::Avx512);
        let data = "邮箱 a@b.cn ＠ x(AT)y [at] 艾特 Secret PRIVATE KEY----- \"tolist\":[\"a\"]";
        let hits = keyword_hits(k, data.as_bytes());
        assert_eq!(hits.len(), 7, "{hits:?}");
    }

    /// The context automaton's own loop reports what an `AhoCorasick` over
    /// the same words reports, match for match and in the same order: the
    /// built-in words (ASCII case-insensitive, nested, sharing ends) on
    /// texts made of them, their case flipped now and then, and other
    /// bytes; a small set, searched with the prefilter; and a set with an
    /// empty word (a match at every position).
    #[test]
    fn context_automaton_reports_what_aho_corasick_does() {
        let reference = |words: &[String]| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(words)
                .unwrap()
        };
        let builtin = RuleSet::builtin().unwrap();
        let small: Vec<String> = ["ab", "b", "户名", "客户名单"].map(String::from).to_vec();
        let empty: Vec<String> = ["", "ab", "b", "户名", "客户名单"]
            .map(String::from)
            .to_vec();
        let mut rng = crate::detect::TestRng(37);
        let mut found = 0;
        let automaton = |words: &[String]| context_automaton(words).unwrap();
        // The small set's DFA skips ahead with a prefilter, the others
        // cannot (too many words; an empty word).
        {
            use aho_corasick::automaton::Automaton;
            assert!(automaton(&small).0.prefilter().is_some());
            assert!(automaton(&empty).0.prefilter().is_none());
        }
        for (words, automaton) in [
            (&builtin.words, builtin.context.clone()),
            (&small, automaton(&small)),
            (&empty, automaton(&empty)),
        ] {
            let ac = reference(words);
            for _ in 0..2000 {
                let mut text = Vec::new();
                for _ in 0..rng.below(12) {
                    match rng.below(4) {
                        0 => text.extend_from_slice("，号 1x".as_bytes()),
                        _ => {
                            let w = words[rng.below(words.len())].as_bytes();
                            text.extend(w.iter().map(|&b| match rng.below(3) {
                                0 => b.to_ascii_uppercase(),
                                _ => b,
                            }));
                        }
                    }
                }
                let want: Vec<(usize, usize, u32)> = ac
                    .find_overlapping_iter(&text)
                    .map(|h| (h.start(), h.end(), h.pattern().as_u32()))
                    .collect();
                let mut got = Vec::new();
                automaton.for_each(&text, |hs, he, id| got.push((hs, he, id)));
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
                found += want.len();
            }
        }
        assert!(found > 10_000, "{found}");
    }
}
