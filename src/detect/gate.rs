//! The line gate: decides, from a chunk's raw bytes, which of its lines
//! may hold a finding, so that the costly steps (walking JSON into fields,
//! scoring context) run on those lines only. In a session archive most
//! messages hold no identifier; they cost one pass of the run tokenizer
//! and nothing else.
//!
//! Key decision: the gate over-approximates and never under-approximates.
//! A line is *hot* (fully scanned) when it holds
//! - a backslash (JSON escapes can hide digits and context words) and, in
//!   some decoded level of the line, any of the below (see the submodule
//!   `escaped`: a format-only candidate counts with a context word
//!   anywhere in the line's levels), or a JSON line the walker rejects,
//! - a keyword of a regex rule (email, secrets) or a term of a word list,
//! - a token candidate that a validator confirms (`Strength::Checked`), or
//! - a format-only candidate (`Strength::Format`, reported only next to
//!   context) and, on the same line or (for plain text) the line before,
//!   one of its rule's context words or column synonyms.
//!
//! The detector's context window never reaches past the previous line, and
//! in a JSON line it is the field and its key, both on the line; so a line
//! the gate leaves out can hold no finding the full scan would report. The
//! integration tests compare gated and ungated scans of every fixture.
//!
//! Cost: the word filter ([`super::wordfilter`]) first says whether any
//! context word or column synonym sits where the detector could look from
//! the line. Most lines hold none; for them no format-only candidate can be
//! hot, so only the rules that confirm a candidate alone are tried, and no
//! field, key or window is searched.

mod escaped;

use super::rules::{Matcher, RuleSet, number_byte};
use super::tokenizer::{Run, for_each_run_at};
use super::validators::Strength;
use super::{Detector, Scratch, token_verdict};
use crate::chunk::LineSpan;

/// Per-worker gate scratch space.
#[derive(Debug, Default)]
pub(super) struct GateScratch {
    run: Run,
    group_lens: Vec<usize>,
    /// Context rules of the JSON keys seen so far (keys repeat on every
    /// line of an archive).
    keys: Vec<(Vec<u8>, u64)>,
    /// Starts of word-list hits in the chunk, in order.
    words: Vec<usize>,
    /// Decoded levels of a line with escapes.
    escaped: escaped::EscapedScratch,
}

/// What the token candidates of a line need.
#[derive(Clone, Copy, Debug, Default)]
struct Need {
    /// The line is hot: a validator confirmed a candidate, or a
    /// format-only one has its context.
    hot: bool,
    /// Rules (bits) with format-only candidates whose place in the JSON
    /// line is not a value after its key, and whose rule has a context word
    /// on the line: the detector reads such a line whole, so it is hot.
    format: u64,
    /// Rules (bits) with format-only candidates in JSON fields whose own
    /// text and key hold no context for them: they need the line only when
    /// it turns out not to be valid JSON and holds one of their words.
    in_fields: u64,
}

impl Detector<'_> {
    /// Writes to `out` the lines of `data[body]` that may hold a finding
    /// (the bytes around `body` are context lent by the neighbouring
    /// chunks). `json` says the lines are JSON lines (context stays on the
    /// line); otherwise they are plain text (context may sit on the line
    /// before).
    pub fn hot_lines(
        &self,
        data: &[u8],
        body: std::ops::Range<usize>,
        json: bool,
        scratch: &mut Scratch,
        out: &mut Vec<LineSpan>,
    ) {
        out.clear();
        let rules = self.rules;
        // The keyword hits are kept for the regex pass of this chunk.
        let hits = &mut scratch.keyword_hits;
        hits.clear();
        if let Some(k) = &rules.keywords {
            k.for_each(data, |s, e, k| hits.push((s, e, k)));
        }
        scratch.keyword_len = data.len();
        let hits = &scratch.keyword_hits;
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
            let end = match memchr::memchr(b'\n', &data[start..body.end]) {
                Some(i) => start + i,
                None => {
                    memchr::memchr(b'\n', &data[body.end..]).map_or(data.len(), |i| body.end + i)
                }
            };
            let mut hot = all;
            while kw < hits.len() && hits[kw].0 < start {
                kw += 1;
            }
            if kw < hits.len() && hits[kw].0 < end {
                hot = true;
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
            if !hot && json && memchr::memchr(b'\\', &data[start..end]).is_some() {
                hot = escaped::escaped_line_is_hot(rules, &data[start..end], &mut g.escaped);
            } else if !hot {
                let need = line_needs(rules, data, start, end, json, g);
                hot = need.hot || need.format != 0 || need.in_fields != 0;
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
    }
}

/// Runs the tokenizer and the token rules' validators over one line. In a
/// JSON line, a format-only candidate that is a value right after its key
/// is checked against its own field and key, which is all the detector
/// looks at there (see `Detector::score`); the others need the line.
fn line_needs(
    rules: &RuleSet,
    data: &[u8],
    start: usize,
    end: usize,
    json: bool,
    g: &mut GateScratch,
) -> Need {
    let mut need = Need::default();
    // Only a line that starts like JSON is walked; any other is text.
    let json = json
        && data[start..end]
            .trim_ascii()
            .first()
            .is_some_and(|b| matches!(b, b'{' | b'['));
    let GateScratch {
        run,
        group_lens,
        keys,
        ..
    } = g;
    // The rules with a context word anywhere the detector could look from
    // this line: the line itself and, for text, the window before it and
    // after its end (a line at a chunk's end runs into the lent context).
    // Searched at most once per line, and only when needed: in plain text
    // on the first format-only candidate (a candidate whose rules have none
    // of their words there cannot be hot, which spares the per-candidate
    // window searches on most lines); in a JSON line only for candidates
    // outside a field after its key, or when the line turns out not to be
    // JSON. A JSON line's candidates are mostly values under their key
    // (`"msgtime":1700000000000`, on every archive line), judged by their
    // field and key alone, which costs far less than searching the line.
    let reach = if json {
        (start, end)
    } else {
        (
            start.saturating_sub(super::CONTEXT_BEFORE),
            (end + super::CONTEXT_AFTER).min(data.len()),
        )
    };
    // Most lines hold no context word at all: then no format-only
    // candidate can be hot, and only the rules that confirm a candidate on
    // their own are looked at (fewer lengths, fewer validators).
    let words = has_gate_words(rules, &data[reach.0..reach.1]);
    let (rule_list, lens): (&[usize], u64) = if words {
        (&rules.token_rules, rules.token_len_mask)
    } else {
        (&rules.checked_rules, rules.checked_len_mask)
    };
    if lens == 0 {
        return need;
    }
    let mut line_ctx: Option<u64> = if words { None } else { Some(0) };
    for_each_run_at(
        data,
        start..end,
        lens.trailing_zeros() as usize,
        Some(lens),
        run,
        |run| {
            if need.hot {
                return;
            }
            let mut one = Need::default();
            run_needs(rules, rule_list, lens, run, group_lens, &mut one);
            if one.hot {
                need.hot = true;
                return;
            }
            if one.format == 0 || !words {
                return;
            }
            let (rs, re) = (
                run.starts[0] as usize,
                *run.ends.last().unwrap_or(&0) as usize,
            );
            // The detector's own context window around the run (it is wider
            // than the window of any candidate cut from the run).
            let (mut ws, mut we) = super::context_window(data, rs, re);
            if !json {
                let ctx =
                    *line_ctx.get_or_insert_with(|| context_rules(rules, data, reach.0, reach.1));
                if ctx & one.format != 0 && context_rules(rules, data, ws, we) & one.format != 0 {
                    need.hot = true;
                }
                return;
            }
            match field_and_key(data, start, end, (rs, re)) {
                Some((field, key)) => {
                    ws = ws.max(field.0);
                    we = we.min(field.1);
                    // A bare number (`"msgtime":1700000000000`, on every
                    // archive line) holds no word: only its key counts.
                    let number = data[field.0..field.1].iter().all(|&b| number_byte(b));
                    let inside = if number && !rules.gate_numeric_words {
                        0
                    } else {
                        context_rules(rules, data, ws, we)
                    };
                    let ctx = inside | key_rules(rules, keys, &data[key.0..key.1]);
                    if ctx & one.format != 0 {
                        need.hot = true;
                    } else {
                        // Cold if the line is the JSON it looks like; else the
                        // detector reads it as text and the line decides.
                        need.in_fields |= one.format;
                    }
                }
                None => {
                    let ctx = *line_ctx
                        .get_or_insert_with(|| context_rules(rules, data, reach.0, reach.1));
                    need.format |= one.format & ctx;
                }
            }
        },
    );
    // Candidates judged by their field and key are cold when the line is
    // the JSON it looks like; otherwise the detector reads the whole line
    // as text, and the line's words decide.
    if need.in_fields != 0 && !need.hot && need.format == 0 {
        // The one JSON check the escaped-line judge uses too (a line here
        // holds no backslash, so its strings end at their first quote).
        need.in_fields = if escaped::walks(data[start..end].trim_ascii()) {
            0
        } else {
            need.in_fields
                & line_ctx.unwrap_or_else(|| context_rules(rules, data, reach.0, reach.1))
        };
    }
    need
}

/// The field holding `span` in a JSON line without escapes (a string's
/// content, or a bare number) and its key, when the value follows its key
/// directly (`"key":"…"`, `"key": 123`).
#[allow(clippy::type_complexity)]
fn field_and_key(
    data: &[u8],
    ls: usize,
    le: usize,
    span: (usize, usize),
) -> Option<((usize, usize), (usize, usize))> {
    let (rs, re) = span;
    let quotes = memchr::memchr_iter(b'"', &data[ls..rs]).count();
    let (fs, fe) = if quotes % 2 == 1 {
        let qs = ls + memchr::memrchr(b'"', &data[ls..rs])?;
        let qe = re + memchr::memchr(b'"', &data[re..le])?;
        (qs, qe + 1) // quotes included: the key search starts before them
    } else {
        let num = |b: u8| matches!(b, b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' | b'a'..=b'z');
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
fn run_needs(
    rules: &RuleSet,
    rule_list: &[usize],
    lens: u64,
    run: &Run,
    group_lens: &mut Vec<usize>,
    need: &mut Need,
) {
    let g = &run.groups;
    for i in 0..g.len() {
        if !g[i].digits || (i > 0 && g[i - 1].letters) {
            continue;
        }
        let mut total = 0;
        for j in i..g.len() {
            total += g[j].len();
            if total > super::rules::MAX_TOKEN_LEN {
                break;
            }
            if lens & (1 << total) == 0 || (j + 1 < g.len() && g[j + 1].letters) {
                continue;
            }
            for &ri in rule_list {
                let rule = &rules.rules[ri];
                let Matcher::Token { len_mask, .. } = &rule.matcher else {
                    continue;
                };
                if len_mask & (1 << total) == 0 {
                    continue;
                }
                let Some(strength) = token_verdict(rule, run, i, j, group_lens).map(|v| v.strength)
                else {
                    continue;
                };
                match strength {
                    Strength::Checked => {
                        need.hot = true;
                        return;
                    }
                    Strength::Format => need.format |= 1 << ri,
                }
            }
        }
    }
}

/// True when `hay` may hold a context word or column synonym of a token
/// rule; never false when it holds one.
fn has_gate_words(rules: &RuleSet, hay: &[u8]) -> bool {
    rules
        .gate_filter
        .as_ref()
        .is_some_and(|f| f.may_contain(hay))
}

/// [`context_rules`] of a JSON key, remembered.
fn key_rules(rules: &RuleSet, keys: &mut Vec<(Vec<u8>, u64)>, key: &[u8]) -> u64 {
    if let Some((_, m)) = keys.iter().find(|(k, _)| k == key) {
        return *m;
    }
    let m = context_rules(rules, key, 0, key.len());
    if keys.len() < 256 {
        keys.push((key.to_vec(), m));
    }
    m
}

/// The rules (bits) that have a context word or column synonym in
/// `data[from..to]`.
fn context_rules(rules: &RuleSet, data: &[u8], from: usize, to: usize) -> u64 {
    context_bits(rules, &data[from..to], 0)
}

/// [`context_rules`] of `text`, stopping early once one of the rules in
/// `want` has a word (`0`: never stop early, find every rule).
fn context_bits(rules: &RuleSet, text: &[u8], want: u64) -> u64 {
    use aho_corasick::Anchored;
    use aho_corasick::automaton::Automaton;
    // The bare DFA's transitions inline into this loop (about 3× cheaper
    // per byte than the overlapping iterator, which calls through a trait
    // object for every byte); every word ending at a byte is in that
    // byte's match state, as the overlapping search reports them.
    if let Some(dfa) = &rules.gate_dfa
        && let Ok(mut sid) = dfa.start_state(Anchored::No)
    {
        let mut found = 0u64;
        for &b in text {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) {
                for i in 0..dfa.match_len(sid) {
                    found |= rules.gate_rules[dfa.match_pattern(sid, i).as_usize()];
                }
                if found & want != 0 {
                    break;
                }
            }
        }
        return found;
    }
    let Some(ac) = &rules.gate_words else {
        return 0;
    };
    ac.find_overlapping_iter(text)
        .fold(0, |m, h| m | rules.gate_rules[h.pattern().as_usize()])
}
