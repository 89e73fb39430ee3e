//! The line gate: decides, from a chunk's raw bytes, which of its lines
//! may hold a finding, so that the costly steps (walking JSON into fields,
//! scoring context) run on those lines only. In a session archive most
//! messages hold no identifier; they cost one pass of the run tokenizer
//! and nothing else.
//!
//! Key decision: the gate over-approximates and never under-approximates.
//! A line is *hot* (fully scanned) when it holds
//! - a backslash (JSON escapes can hide digits and context words),
//! - a keyword of a regex rule (email, secrets),
//! - a token candidate that a validator confirms (`Strength::Checked`), or
//! - a format-only candidate (`Strength::Format`, reported only next to
//!   context) and, on the same line or (for plain text) the line before,
//!   one of its rule's context words or column synonyms.
//!
//! The detector's context window never reaches past the previous line, and
//! in a JSON line it is the field and its key, both on the line; so a line
//! the gate leaves out can hold no finding the full scan would report. The
//! integration tests compare gated and ungated scans of every fixture.

use super::rules::{Matcher, RuleSet};
use super::tokenizer::{Run, for_each_run_at};
use super::validators::{Candidate, Strength};
use super::{Detector, Scratch};
use crate::chunk::LineSpan;

/// Per-worker gate scratch space.
#[derive(Debug, Default)]
pub(super) struct GateScratch {
    run: Run,
    group_lens: Vec<usize>,
    /// Gate-word hits of the current chunk, computed when first needed:
    /// `(start, end, rules)` ordered by start.
    context: Option<Vec<(usize, usize, u64)>>,
}

/// What the token candidates of a line need.
#[derive(Clone, Copy, Debug, Default)]
struct Need {
    /// A validator confirmed a candidate: the line is hot.
    checked: bool,
    /// Rules (bits) with format-only candidates that need context.
    format: u64,
}

impl Detector<'_> {
    /// Writes to `out` the lines of `data` that may hold a finding. `json`
    /// says the lines are JSON lines (context stays on the line); otherwise
    /// they are plain text (context may sit on the line before).
    pub fn hot_lines(
        &self,
        data: &[u8],
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
        g.context = None;
        let all = rules.rules.len() > 64;
        let (mut start, mut prev_start, mut index, mut kw) = (0usize, 0usize, 0u32, 0usize);
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let mut hot = all;
            while kw < hits.len() && hits[kw].0 < start {
                kw += 1;
            }
            if kw < hits.len() && hits[kw].0 < end {
                hot = true;
            }
            if !hot && memchr::memchr(b'\\', &data[start..end]).is_some() {
                hot = true;
            }
            if !hot {
                let need = line_needs(rules, data, start, end, g);
                hot = need.checked
                    || (need.format != 0 && {
                        let from = if json { start } else { prev_start };
                        context_rules(rules, data, from, end, g) & need.format != 0
                    });
            }
            if hot {
                out.push(LineSpan {
                    start: start as u32,
                    end: end as u32,
                    line: index,
                });
            }
            prev_start = start;
            start = end + 1;
            index += 1;
        }
    }
}

/// Runs the tokenizer and the token rules' validators over one line.
fn line_needs(rules: &RuleSet, data: &[u8], start: usize, end: usize, g: &mut GateScratch) -> Need {
    let mut need = Need::default();
    let GateScratch {
        run, group_lens, ..
    } = g;
    for_each_run_at(data, start..end, rules.min_token_len, run, |run| {
        if !need.checked {
            run_needs(rules, run, group_lens, &mut need);
        }
    });
    need
}

/// The candidates of one run, as [`super::segment`] cuts them, without
/// scoring: which are confirmed, which need context.
fn run_needs(rules: &RuleSet, run: &Run, group_lens: &mut Vec<usize>, need: &mut Need) {
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
            if rules.token_len_mask & (1 << total) == 0 || (j + 1 < g.len() && g[j + 1].letters) {
                continue;
            }
            let value = &run.norm[g[i].start as usize..g[j].end as usize];
            for &ri in &rules.token_rules {
                let rule = &rules.rules[ri];
                let Matcher::Token { len_mask, shape } = &rule.matcher else {
                    continue;
                };
                if len_mask & (1 << total) == 0 {
                    continue;
                }
                let shaped = match shape {
                    Some(re) => re.is_match(value),
                    None => value.iter().all(u8::is_ascii_digit),
                };
                if !shaped {
                    continue;
                }
                let strength = match &rule.validator {
                    Some((_, f)) => {
                        group_lens.clear();
                        group_lens.extend(g[i..=j].iter().map(|x| x.len()));
                        match f(&Candidate {
                            value,
                            groups: group_lens,
                        }) {
                            Some(v) => v.strength,
                            None => continue,
                        }
                    }
                    None => rule.strength,
                };
                match strength {
                    Strength::Checked => {
                        need.checked = true;
                        return;
                    }
                    Strength::Format => need.format |= 1 << ri,
                }
            }
        }
    }
}

/// The rules (bits) that have a context word or column synonym in
/// `data[from..to]`.
fn context_rules(rules: &RuleSet, data: &[u8], from: usize, to: usize, g: &mut GateScratch) -> u64 {
    let Some(ac) = &rules.gate_words else {
        return 0;
    };
    let hits = g.context.get_or_insert_with(|| {
        let mut hits: Vec<(usize, usize, u64)> = ac
            .find_overlapping_iter(data)
            .map(|h| (h.start(), h.end(), rules.gate_rules[h.pattern().as_usize()]))
            .collect();
        hits.sort_unstable_by_key(|h| h.0);
        hits
    });
    let lo = hits.partition_point(|h| h.0 < from);
    hits[lo..]
        .iter()
        .take_while(|h| h.0 < to)
        .filter(|h| h.1 <= to)
        .fold(0, |m, h| m | h.2)
}
