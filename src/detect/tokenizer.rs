//! The run tokenizer: finds the candidates for every digit identifier in
//! one pass, without a regex. A *run* is a maximal sequence of ASCII
//! letters and digits (after normalization), where digit groups may be
//! joined by at most [`MAX_SEPARATORS`] separators (`138 0000 1234`,
//! `110101-1900-0101-0006`). Because a run is maximal, any candidate cut
//! from its ends can never touch another ASCII letter or digit: the
//! boundary rule of spec §0 holds by construction, and Unicode `\b` (which
//! never fires between `号` and `1`) is not needed.
//!
//! Measured on chat data, a byte-class table walk like this one runs
//! several times faster than any regex or automaton over the same digit
//! patterns, because those have no literal to skip ahead with.

use super::blocks::{BlockMasks, Candidates, multibyte, skip_alnum_back};
use super::normalize::{BYTE_CLASS, Class, MAX_SEPARATORS, MIN_NUMERAL_RUN, classify};

/// Longest digit group that separators may join to the next one.
pub const MAX_GROUP: u32 = 8;

/// A group: a maximal stretch of letters and digits inside a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// First normalized character (index into [`Run::norm`]).
    pub start: u32,
    /// One past the last normalized character.
    pub end: u32,
    /// The group holds at least one letter.
    pub letters: bool,
    /// The group holds at least one digit.
    pub digits: bool,
    /// A full stop (`.` or `．`) is among the separators that join the
    /// group to the one before: the digits on either side are the parts
    /// of a decimal number (`209849.58`, `33.457839`) or of a dotted date,
    /// which no format-only rule takes (see [`decimal_or_date`]).
    pub after_dot: bool,
}

/// Whether the candidate `value`, written in `groups` (two or more), is a
/// decimal number or a date rather than an identifier: some of
/// its groups are joined by a full stop (`209849.58`, `33.457839`,
/// `2023.10.20`), or its first three groups are a calendar date of
/// 1900–2099 written 4-2-2 (`2023-10-20`, `2023/10/20 13`). Format-only
/// rules take no such candidate (see `detect::token_verdict`).
///
/// Why: a format-only rule (a bank account's 8–30 digits, a 台胞证's
/// eight) is reported next to its context words alone, and payment
/// messages hold amounts and dates next to 账号 and 户名; an account is
/// written in one piece or in groups of three or four joined by spaces or
/// hyphens (spec §3), never with a decimal point or as a date. Checked
/// rules keep such candidates: their validators judge them, and
/// `138.0013.8000` is a mobile written to dodge a search.
#[inline]
pub fn decimal_or_date(value: &[u8], groups: &[Group]) -> bool {
    // One group (most candidates) is neither.
    match groups {
        [] | [_] => false,
        [_, rest @ ..] => rest.iter().any(|g| g.after_dot) || date_4_2_2(value, groups),
    }
}

/// Whether the first three of `groups` (the first starting `value`) are a
/// date of 1900–2099 written 4-2-2.
fn date_4_2_2(value: &[u8], groups: &[Group]) -> bool {
    let [a, b, c, ..] = groups else {
        return false;
    };
    if (a.len(), b.len(), c.len()) != (4, 2, 2) {
        return false;
    }
    use super::validators::date::{is_real_date, parse_yyyymmdd};
    // `value` starts with the first group's characters.
    parse_yyyymmdd(&value[..8])
        .is_some_and(|(y, m, d)| (1900..=2099).contains(&y) && is_real_date(y, m, d))
}

impl Group {
    /// Number of normalized characters.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// True when the group is empty (never, for groups the tokenizer emits).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Normalized characters `norm..` (up to the next segment) of one width
/// in bytes, laid out back to back from byte `at`: an ASCII stretch is
/// one segment, and so is a row of full-width digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    norm: u32,
    at: u32,
    width: u32,
}

/// One run in normalized form with its offset map. Reused between runs
/// (scratch space), so it is only valid inside the callback.
#[derive(Debug, Default)]
pub struct Run {
    /// Normalized characters: ASCII digits and upper-case letters.
    pub norm: Vec<u8>,
    /// Where the normalized characters come from, a segment at a time
    /// (see [`Run::span`]); callers ask for the spans of a few candidates
    /// only, so a map per character would mostly be built for nothing.
    segments: Vec<Segment>,
    /// Groups, in order; separators between groups are not stored.
    pub groups: Vec<Group>,
    /// The run used an obfuscated form (Chinese numerals, keycaps, circled
    /// digits).
    pub obfuscated: bool,
    digits: usize,
    /// Offset of the scanned slice in the chunk, added to every position.
    base: usize,
    /// Scratch for the joined runs of ASCII digits read off their bytes.
    joined: Joined,
}

/// The digits and groups of a joined run of ASCII digits, read off its
/// bytes ([`ascii_digit_run`]): kept in [`Run`], so that a scan does not
/// set up the arrays again for every line.
#[derive(Clone, Debug)]
struct Joined {
    /// The run's digits, then up to seven bytes of no meaning (a group is
    /// copied eight bytes at a time).
    norm: [u8; DIGIT_RUN_CHARS + 8],
    /// The run's groups.
    groups: [Group; DIGIT_RUN_GROUPS],
}

impl Default for Joined {
    fn default() -> Joined {
        Joined {
            norm: [0; DIGIT_RUN_CHARS + 8],
            groups: [Group {
                start: 0,
                end: 0,
                letters: false,
                digits: true,
                after_dot: false,
            }; DIGIT_RUN_GROUPS],
        }
    }
}

impl Run {
    fn clear(&mut self) {
        self.norm.clear();
        self.segments.clear();
        self.groups.clear();
        self.obfuscated = false;
        self.digits = 0;
    }

    /// Notes that the next `count` normalized characters are `width` bytes
    /// each, from byte `at` of the scanned slice on.
    #[inline]
    fn extend_map(&mut self, at: usize, width: usize) {
        let (at, width) = ((at + self.base) as u32, width as u32);
        let norm = self.norm.len() as u32;
        if let Some(last) = self.segments.last()
            && last.width == width
            && last.at + (norm - last.norm) * width == at
        {
            return;
        }
        self.segments.push(Segment { norm, at, width });
    }

    #[inline]
    fn push(&mut self, b: u8, at: usize, len: usize) {
        self.extend_map(at, len);
        self.norm.push(b);
    }

    /// Pushes the ASCII letters and digits `data[from..to]`, one
    /// normalized character per byte (letters upper-cased); returns how
    /// many are digits.
    ///
    /// Eight bytes at a time: among ASCII letters and digits, bit 6 is set
    /// exactly in letters, and clearing bit 5 of a letter upper-cases it.
    #[inline(always)]
    fn push_ascii(&mut self, data: &[u8], from: usize, to: usize) -> usize {
        debug_assert!(data[from..to].iter().all(u8::is_ascii_alphanumeric));
        const BIT6: u64 = 0x4040_4040_4040_4040;
        self.extend_map(from, 1);
        let mut digits = 0;
        let mut at = from;
        while at < to {
            let n = (to - at).min(8);
            // A whole word when the data has one here, else the tail
            // byte by byte (the bytes past `to` are masked off). Copies
            // of a fixed eight bytes are single moves; shorter ones of a
            // variable length would be calls to `memcpy`.
            let x = word_at(data, at, to);
            let keep = if n == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            };
            // One bit per digit (bit 0 of its byte), summed by a multiply:
            // no `popcnt` on the baseline x86-64 target.
            let ones = (!x & BIT6 & keep) >> 6;
            digits += (ones.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize;
            let upper = (x & !((x & BIT6) >> 1)).to_le_bytes();
            self.norm.extend_from_slice(&upper);
            self.norm.truncate(self.norm.len() - (8 - n));
            at += n;
        }
        digits
    }

    /// The run a scan builds of the lone ASCII group `value` (letters and
    /// digits, one digit at least) at byte `at` of the chunk: the run that
    /// [`RunSink::alone`] decides without, for checks of its decisions.
    pub fn ascii(value: &[u8], at: usize) -> Run {
        let mut run = Run {
            base: at,
            ..Run::default()
        };
        run.digits = run.push_ascii(value, 0, value.len());
        run.groups.push(Group {
            start: 0,
            end: value.len() as u32,
            letters: run.digits < value.len(),
            digits: true,
            after_dot: false,
        });
        run
    }

    /// The run of the ASCII digit groups `groups` with normalized form
    /// `norm` (as [`RunSink::digits`] is given them) at byte `at` of the
    /// chunk, for checks of its decisions: its offset map is that of one
    /// segment (its spans are not those of the scanned run).
    pub fn digit_groups(norm: &[u8], groups: &[Group], at: usize) -> Run {
        Run {
            norm: norm.to_vec(),
            segments: vec![Segment {
                norm: 0,
                at: at as u32,
                width: 1,
            }],
            groups: groups.to_vec(),
            obfuscated: false,
            digits: norm.len(),
            base: at,
            joined: Joined::default(),
        }
    }

    /// Original byte span (in the chunk) of normalized characters
    /// `from..to` (`from < to`).
    pub fn span(&self, from: usize, to: usize) -> (usize, usize) {
        debug_assert!(from < to && to <= self.norm.len());
        let segs = &self.segments[..];
        // The whole run, as the line gate asks (or a span in a run of one
        // segment, as most ASCII runs are): the first and last segments
        // hold its ends, no search.
        let first = match segs {
            [s] => *s,
            [s, next, ..] if from < next.norm as usize => *s,
            _ => self.segment_of(from),
        };
        let last = match segs.last() {
            Some(s) if (s.norm as usize) < to => *s,
            _ => self.segment_of(to - 1),
        };
        let at = |s: Segment, i: usize| s.at as usize + (i - s.norm as usize) * s.width as usize;
        (at(first, from), at(last, to - 1) + last.width as usize)
    }

    /// [`Run::span`] of the whole run (the line gate asks it of most runs;
    /// inlined there, while the detector's calls stay calls).
    #[inline]
    pub fn whole_span(&self) -> (usize, usize) {
        let (first, last) = (self.segments[0], self.segments[self.segments.len() - 1]);
        let end = last.at as usize + (self.norm.len() - last.norm as usize) * last.width as usize;
        (first.at as usize, end)
    }

    /// The segment holding normalized character `i`.
    fn segment_of(&self, i: usize) -> Segment {
        self.segments[self.segments.partition_point(|s| s.norm as usize <= i) - 1]
    }
}

/// Receives the runs of a scan.
///
/// Key decision: most runs are one plain ASCII group standing alone (a
/// timestamp, a message id, a base64 id), whose normalized form is its
/// bytes with letters upper-cased and whose span is its bytes. Such a run
/// is first offered to [`RunSink::alone`] as those bytes: a receiver that
/// can decide it from them (an all-digit run is its own normalized form)
/// spares the copy into [`Run::norm`] and the offset map. Only when it
/// asks for it is the run built and passed to [`RunSink::run`], as every
/// other run is.
///
/// Most other runs (on archive lines nearly all: `2023-10-20`,
/// `288 144 303`, `209849.58`) are ASCII digit groups joined by ASCII
/// separators. A receiver that says so ([`RunSink::DIGITS`]) is offered
/// those as their digits and groups ([`RunSink::digits`]), read off the
/// bytes by a walk that knows only ASCII digits and separators and gives
/// up (to the general build) at anything else: a run of digits has no
/// letters to upper-case, and its candidates need no offset map. A
/// receiver that wants every run built (the detector) is not offered
/// them, so it does not pay for the walk.
pub trait RunSink {
    /// A run of one ASCII group, `value` its bytes (letters not
    /// upper-cased) and `span` its span in the chunk, of a length the scan
    /// wants: true to have it built and passed to [`RunSink::run`].
    #[inline(always)]
    fn alone(&mut self, value: &[u8], span: (usize, usize)) -> bool {
        let _ = (value, span);
        true
    }

    /// The receiver is offered joined runs of ASCII digits unbuilt (see
    /// [`RunSink::digits`]); else they are built as any other run, with no
    /// look at them first (a receiver that wants every run built pays
    /// nothing for the offer).
    const DIGITS: bool = false;

    /// A run of several groups of ASCII digits joined by ASCII separators
    /// (`2023-10-20`, `288 144 303`, `209849.58`), of at least the length
    /// the scan wants: `norm` its normalized form (its digits), `groups`
    /// its groups and `span` its span in the chunk, all as the built run
    /// would give them; true to have it built and passed to
    /// [`RunSink::run`].
    #[inline(always)]
    fn digits(&mut self, norm: &[u8], groups: &[Group], span: (usize, usize)) -> bool {
        let _ = (norm, groups, span);
        true
    }

    /// A run, built.
    fn run(&mut self, run: &Run);
}

/// A closure as a [`RunSink`] that has every run built.
struct Each<F>(F);

impl<F: FnMut(&Run)> RunSink for Each<F> {
    #[inline(always)]
    fn run(&mut self, run: &Run) {
        (self.0)(run)
    }
}

/// Calls `f` for every run in `data` that holds at least one digit and at
/// least `min_len` normalized characters. `data` must be shorter than
/// 4 GiB (chunks are far smaller).
///
/// Every run holds a digit in some form, so the loop jumps from one
/// candidate digit (see [`super::blocks`]) to the next, past those in a
/// stretch of bytes too short to hold `min_len` normalized characters; a
/// run that starts with letters (`tel138…`, `A123456(3)`) is found by
/// backing up from its first digit over the letters before it.
pub fn for_each_run(data: &[u8], min_len: usize, run: &mut Run, f: impl FnMut(&Run)) {
    for_each_run_at(data, 0..data.len(), min_len, None, run, f)
}

/// [`for_each_run`] over `data[range]` only, with positions (in
/// [`Run::span`]) still counted from the start of
/// `data`. Runs never cross a line break or a quote, so scanning the
/// fields or lines of a chunk one by one finds exactly the runs a scan of
/// the whole chunk finds inside them.
///
/// With `lengths`, a run of a single group (`13800001234`, `tel1380`) is
/// passed to `f` only when its length (in normalized characters) is a bit
/// of the mask: a caller that takes whole groups of some lengths only
/// (every token rule) is spared the others.
#[inline]
pub fn for_each_run_at(
    data: &[u8],
    range: std::ops::Range<usize>,
    min_len: usize,
    lengths: Option<u64>,
    run: &mut Run,
    f: impl FnMut(&Run),
) {
    for_each_run_at_into(data, range, min_len, lengths, run, Each(f))
}

/// [`for_each_run_at`] into a [`RunSink`], which may decide a run of one
/// ASCII group from its bytes without having it built.
#[inline]
pub fn for_each_run_at_into(
    data: &[u8],
    range: std::ops::Range<usize>,
    min_len: usize,
    lengths: Option<u64>,
    run: &mut Run,
    f: impl RunSink,
) {
    run.base = range.start;
    let data = &data[range];
    runs(
        data,
        Candidates::new(data, min_len),
        0,
        min_len,
        lengths,
        run,
        f,
    )
}

/// [`for_each_run_at`] with the candidates read off `masks`, the block
/// masks of `data` that the ranges of earlier calls (on the same `data`)
/// left there: for a chunk's lines in order, each block is classified
/// once, many blocks per step (see [`BlockMasks`]). The runs are those
/// of [`for_each_run_at`] when the byte after `range` (if any) is a line
/// break.
#[inline]
pub fn for_each_run_in(
    data: &[u8],
    range: std::ops::Range<usize>,
    min_len: usize,
    lengths: Option<u64>,
    masks: &mut BlockMasks,
    run: &mut Run,
    f: impl FnMut(&Run),
) {
    for_each_run_in_into(data, range, min_len, lengths, masks, run, Each(f))
}

/// [`for_each_run_in`] into a [`RunSink`] (see [`for_each_run_at_into`]).
#[inline]
pub fn for_each_run_in_into(
    data: &[u8],
    range: std::ops::Range<usize>,
    min_len: usize,
    lengths: Option<u64>,
    masks: &mut BlockMasks,
    run: &mut Run,
    f: impl RunSink,
) {
    let (cands, at) = masks.candidates(data, range.clone(), min_len);
    run.base = at;
    runs(
        &data[at..range.end],
        cands,
        range.start - at,
        min_len,
        lengths,
        run,
        f,
    )
}

/// The loop of [`for_each_run_at`] over `data[first..]` (`data` ends where
/// the scanned slice does, and nothing before `first` is looked at), with
/// the candidates of `data`.
#[inline(always)]
fn runs<S: RunSink>(
    data: &[u8],
    mut cands: Candidates,
    first: usize,
    min_len: usize,
    lengths: Option<u64>,
    run: &mut Run,
    mut f: S,
) {
    // `floor`: the end of the last run (nothing before it can start one);
    // `search`: where to look for the next candidate.
    let (mut floor, mut search) = (first, first);
    while let Some(p) = cands.next_from(search) {
        let start = if data[p].is_ascii_digit() {
            let s = run_start(data, &cands, floor, p);
            // Most runs are plain ASCII words standing alone (`12:50`,
            // `3张`, `"msgtime":1700000000000`, base64 msgids): one group
            // that cannot grow. Such a run is handed over only when its
            // length is one a rule takes, and built without the classifier.
            if data[s] < 0x80 {
                let q = cands.alnum_end(p + 1);
                let last_letter = !data[q - 1].is_ascii_digit();
                let n = q - s;
                // Whether the group stands alone, decided from the byte
                // after it without a branch on it for the usual
                // neighbours (the data's end, ASCII bytes, a Chinese
                // character that is no candidate): which one follows
                // changes from group to group.
                let c = data.get(q).copied().unwrap_or(0);
                let class = BYTE_CLASS[c as usize];
                let lead = c.wrapping_sub(0xE4) < 6;
                let (here, numeral) = cands.candidate_at(q);
                // A Chinese character that is no numeral (the usual
                // neighbour, `3张`) ends the run: no need to decode it.
                let chinese = lead & here & !numeral;
                // A separator joins only a short digit group to the
                // digits after it.
                let joins = !last_letter && n <= MAX_GROUP as usize;
                let by_class = |class: Class| match class {
                    Class::Break => true,
                    Class::Separator | Class::ObfuscatedSeparator => !joins,
                    _ => false,
                };
                let alone = if (class == 5) & !chinese {
                    // A numeral in the block, another lead (`C2`, `E2`,
                    // `E3`, `EF`), or a Chinese character past the block.
                    let at = |k: usize| data.get(k).copied().unwrap_or(0);
                    (lead && !here && !multibyte(c, at(q + 1), at(q + 2)))
                        || by_class(classify(data, q).0)
                } else {
                    (class == 0) | (class == 6) | chinese | ((class == 4) & !joins)
                };
                // Each byte the formula takes is one the classifier calls
                // a break or a separator.
                debug_assert!(
                    (class == 5 && !chinese)
                        || alone == (q == data.len() || chinese || by_class(classify(data, q).0))
                );
                if alone {
                    let wanted = (n >= min_len) & length_taken(lengths, n);
                    if wanted && f.alone(&data[s..q], (run.base + s, run.base + q)) {
                        run.clear();
                        run.digits = run.push_ascii(data, s, q);
                        run.groups.push(Group {
                            start: 0,
                            end: n as u32,
                            letters: run.digits < n,
                            digits: true,
                            after_dot: false,
                        });
                        f.run(run);
                    }
                    floor = q;
                    search = q;
                    continue;
                }
                // Else the usual joined run (`2023-10-20`, `288 144 303`,
                // `209849.58`, `20220326.docx`) is digit groups joined by
                // ASCII separators: read off its bytes, it is handed over
                // (as a lone group when it is one) and built only when
                // asked, and one too short is passed over unbuilt. The
                // walk finds the very run `build_run` would (checked in
                // debug builds), so the loop goes on from its end as it
                // does after a build (`short_reach` only spares builds).
                if S::DIGITS
                    && !last_letter
                    && !holds_letter(&data[s..q])
                    && let Some((end, n, ng)) = ascii_digit_run(data, s, q, &mut run.joined)
                {
                    #[cfg(debug_assertions)]
                    {
                        let built = build_run(data, s, run);
                        debug_assert_eq!(
                            (built, &run.norm[..], &run.groups[..], run.obfuscated),
                            (end, &run.joined.norm[..n], &run.joined.groups[..ng], false)
                        );
                    }
                    let span = (run.base + s, run.base + end);
                    let build = if ng == 1 {
                        n >= min_len && length_taken(lengths, n) && f.alone(&data[s..end], span)
                    } else {
                        n >= min_len
                            && f.digits(&run.joined.norm[..n], &run.joined.groups[..ng], span)
                    };
                    if build {
                        build_run(data, s, run);
                        f.run(run);
                    }
                    floor = end;
                    search = end;
                    continue;
                }
            }
            s
        } else {
            let (class, len) = classify(data, p);
            let digitlike = match class {
                Class::Digit(_) | Class::ObfuscatedDigit(_) => true,
                Class::Numeral(_) => numerals_allowed(data, p, 0),
                _ => false,
            };
            if !digitlike {
                search = p + len.max(1);
                continue;
            }
            run_start(data, &cands, floor, p)
        };
        // Joined runs are mostly short (`30.9%`, `v2.29.56`, `2023/样品`):
        // one that cannot reach `min_len` is not built at all.
        if let Some(h) = short_reach(data, start, min_len) {
            debug_assert!(h > p);
            floor = h;
            search = h;
            continue;
        }
        let end = build_run(data, start, run);
        let n = run.norm.len();
        let wanted = run.groups.len() > 1 || length_taken(lengths, n);
        if run.digits > 0 && n >= min_len && wanted {
            f.run(run);
        }
        debug_assert!(end > p);
        floor = end;
        search = end;
    }
}

/// Whether a run of one group, `n` normalized characters long, is one the
/// caller takes: every length without `lengths`, else those of its bits.
/// Without a branch: a lone group's length changes from group to group.
#[inline(always)]
fn length_taken(lengths: Option<u64>, n: usize) -> bool {
    lengths.is_none_or(|m| (n < 64) & (m >> (n & 63) & 1 != 0))
}

/// Where the runs that may start at `start` or after it certainly end,
/// when none of them can reach `min_len` normalized characters; `None`
/// when they might.
///
/// Walks characters from `start` up to the first that no run can hold or
/// cross: a break, or the third of a row of separators. Every run there
/// starts and ends before it, and has at most as many normalized
/// characters as the walk counts letters, digits and numerals (each
/// counts once, whether the run takes it or not). A run's start sets where
/// the walk starts, and each character is classified as the run's own
/// walk would, so the two step over the same characters.
fn short_reach(data: &[u8], start: usize, min_len: usize) -> Option<usize> {
    let (mut i, mut count, mut seps) = (start, 0, 0);
    while i < data.len() {
        let len = match BYTE_CLASS[data[i] as usize] {
            1..=3 => {
                count += 1;
                seps = 0;
                1
            }
            4 => {
                seps += 1;
                1
            }
            0 => return Some(i),
            _ => {
                let (class, len) = classify(data, i);
                match class {
                    Class::Break => return Some(i),
                    Class::Separator | Class::ObfuscatedSeparator => seps += 1,
                    _ => {
                        count += 1;
                        seps = 0;
                    }
                }
                len
            }
        };
        if seps > MAX_SEPARATORS {
            return Some(i);
        }
        if count >= min_len {
            return None;
        }
        i += len;
    }
    Some(data.len())
}

/// Where the run holding the digit at `p` starts, given that nothing
/// before `floor` belongs to it: at the letters just before `p`. A word of
/// ASCII letters is only part of the run when it touches the digit or a
/// full-width letter does (the byte-walking definition: such a word is
/// skipped unless a digit follows it, while a full-width letter always
/// starts a run), so the run starts at the first full-width letter of the
/// letters before `p`, else at the first ASCII letter of them.
///
/// No ASCII digit lies between `floor` and `p` in `p`'s stretch of
/// capable bytes (every one there is a candidate the loop got, and `p` is
/// the first candidate that starts a run); the candidates the loop does
/// not get lie in other stretches (see [`Candidates`]), which the letters
/// before `p` never reach. So the ASCII letters before `p` are its ASCII
/// letters and digits.
///
/// Key decision: the start of the ASCII letters and digits before `p` is
/// read off the block's mask whatever byte precedes `p` (a letter in ids,
/// `"` or `:` in the envelope, a Chinese character in text), and the rare
/// full-width letter before them is tested last: a branch on the kind of
/// the byte before `p` changes from candidate to candidate and was often
/// mispredicted. With the same for the byte after a lone group (see
/// `runs`), pinned on the 300 MB archive: 0.981-0.988 in four sets of
/// 11-15 paired rounds (this alone 0.986; the byte after alone 0.996);
/// -j2 0.981 wall / 0.984 CPU; plain chat text 0.996. Checked in debug
/// builds against [`run_start_back`], the byte-walking definition.
#[inline(always)]
fn run_start(data: &[u8], cands: &Candidates, floor: usize, p: usize) -> usize {
    let s = cands.alnum_start(p, floor);
    let s = if s >= floor + 3 && is_wide_letter(&data[s - 3..s]) {
        run_start_back(data, floor, s)
    } else {
        s
    };
    debug_assert_eq!(s, run_start_back(data, floor, p));
    debug_assert!(!data[s..p].iter().any(u8::is_ascii_digit));
    s
}

/// [`run_start`] when letters may lie before `p`: backs up over them.
fn run_start_back(data: &[u8], floor: usize, p: usize) -> usize {
    let mut s = p;
    let mut first_wide = None;
    loop {
        s = skip_alnum_back(data, floor, s);
        if s >= floor + 3 && is_wide_letter(&data[s - 3..s]) {
            s -= 3;
            first_wide = Some(s);
        } else {
            break;
        }
    }
    first_wide.unwrap_or(s)
}

/// A full-width letter (U+FF21..=FF3A, U+FF41..=FF5A).
#[inline]
fn is_wide_letter(c: &[u8]) -> bool {
    matches!(c, [0xEF, 0xBC, 0xA1..=0xBA] | [0xEF, 0xBD, 0x81..=0x9A])
}

/// True when the character at `i` is one a run may continue with after a
/// letter (a digit in any form).
#[cfg(test)]
fn starts_digitish(data: &[u8], i: usize) -> bool {
    match classify(data, i).0 {
        Class::Digit(_) | Class::ObfuscatedDigit(_) => true,
        Class::Numeral(_) => numerals_allowed(data, i, 0),
        Class::Letter(_) => false,
        _ => false,
    }
}

/// Counts digit-like characters from `i` on (separators allowed between
/// them, as in a run) and says whether, with `before` digits already in the
/// run, Chinese numerals may count as digits here.
fn numerals_allowed(data: &[u8], mut i: usize, before: usize) -> bool {
    let mut count = before;
    let mut seps = 0;
    while i < data.len() && count < MIN_NUMERAL_RUN {
        let (class, len) = classify(data, i);
        match class {
            Class::Digit(_) | Class::ObfuscatedDigit(_) | Class::Numeral(_) => {
                count += 1;
                seps = 0;
            }
            Class::Separator | Class::ObfuscatedSeparator if seps < MAX_SEPARATORS => seps += 1,
            _ => break,
        }
        i += len;
    }
    count >= MIN_NUMERAL_RUN
}

/// Builds the run starting at `i` into `run`; returns the offset just past
/// its last normalized character.
fn build_run(data: &[u8], i: usize, run: &mut Run) -> usize {
    run.clear();
    if let Some(end) = build_run_ascii(data, i, run) {
        return end;
    }
    build_run_general(data, i, run)
}

/// [`build_run`] character by character, for any run.
fn build_run_general(data: &[u8], i: usize, run: &mut Run) -> usize {
    run.clear();
    let n = data.len();
    let mut pos = i;
    let mut numerals: Option<bool> = None;
    let mut after_dot = false;
    loop {
        // One group of letters and digits.
        let gstart = run.norm.len() as u32;
        let (mut letters, mut digits) = (false, false);
        while pos < n {
            // ASCII letters and digits, the usual content of a group, are
            // taken a stretch at a time.
            if data[pos].is_ascii_alphanumeric() {
                let q = skip_ascii_alnum(data, pos + 1);
                let d = run.push_ascii(data, pos, q);
                run.digits += d;
                digits |= d > 0;
                letters |= d < q - pos;
                pos = q;
                continue;
            }
            let (class, len) = classify(data, pos);
            match class {
                Class::Digit(d) => {
                    run.push(d, pos, len);
                    digits = true;
                    run.digits += 1;
                }
                Class::ObfuscatedDigit(d) => {
                    run.push(d, pos, len);
                    digits = true;
                    run.digits += 1;
                    run.obfuscated = true;
                }
                Class::Letter(l) => {
                    run.push(l, pos, len);
                    letters = true;
                }
                Class::Numeral(d) => {
                    let ok =
                        *numerals.get_or_insert_with(|| numerals_allowed(data, pos, run.digits));
                    if !ok {
                        break;
                    }
                    run.push(d, pos, len);
                    digits = true;
                    run.digits += 1;
                    run.obfuscated = true;
                }
                _ => break,
            }
            pos += len;
        }
        let gend = run.norm.len() as u32;
        run.groups.push(Group {
            start: gstart,
            end: gend,
            letters,
            digits,
            after_dot,
        });
        // Separators, then maybe another group.
        let mut p = pos;
        let mut seps = 0;
        let mut obfuscated_sep = false;
        let mut open_paren = false;
        after_dot = false;
        while p < n {
            let (class, len) = classify(data, p);
            match class {
                Class::Separator => {
                    open_paren |= data[p] == b'(' || data[p..].starts_with("（".as_bytes());
                    after_dot |= data[p] == b'.' || data[p..].starts_with("．".as_bytes());
                }
                Class::ObfuscatedSeparator => obfuscated_sep = true,
                _ => break,
            }
            seps += 1;
            p += len;
        }
        if seps == 0 || seps > MAX_SEPARATORS || p >= n {
            return pos;
        }
        let last_is_digit = run.norm.last().is_some_and(u8::is_ascii_digit);
        // Written groupings of identifiers never have a group longer than
        // eight (ID 6-8-4, phone 3-4-4, card 4-4-4-4): a long number
        // followed by a separator is a value of its own, not a group
        // (`…_1700002581/0` in a URL is no mobile, `13800001234.0` from a
        // spreadsheet is one).
        let joins = last_is_digit
            && gend - gstart <= MAX_GROUP
            && match classify(data, p).0 {
                Class::Digit(_) | Class::ObfuscatedDigit(_) => true,
                Class::Numeral(_) => {
                    *numerals.get_or_insert_with(|| numerals_allowed(data, p, run.digits))
                }
                // HKID check character in parentheses: `A123456(A)`.
                Class::Letter(b'A') => open_paren && data.get(p + 1) == Some(&b')'),
                _ => false,
            };
        if !joins {
            return pos;
        }
        run.obfuscated |= obfuscated_sep;
        pos = p;
    }
}

/// [`build_run`] for the usual joined run (`2023-10-20`, `v2.29.56`,
/// `288 144 303`): ASCII letters and digits joined by ASCII separators,
/// ended by an ASCII byte or a character that [`classify`] calls a break.
/// Builds the very same `run` a group at a time, without classifying
/// each character; `None` (with `run` half built) as soon as anything
/// else appears (a multi-byte digit, letter, numeral or separator), where
/// the general walk must decide.
#[inline]
fn build_run_ascii(data: &[u8], i: usize, run: &mut Run) -> Option<usize> {
    let n = data.len();
    let mut pos = i;
    let mut after_dot = false;
    loop {
        // One group: a stretch of ASCII letters and digits.
        let q = skip_ascii_alnum(data, pos);
        if q == pos {
            return None;
        }
        let gstart = run.norm.len() as u32;
        let d = run.push_ascii(data, pos, q);
        run.digits += d;
        run.groups.push(Group {
            start: gstart,
            end: run.norm.len() as u32,
            letters: d < q - pos,
            digits: d > 0,
            after_dot,
        });
        pos = q;
        // What follows the group: ASCII separators, then maybe another
        // group. A multi-byte break there ends the run (it ends the group,
        // and no separator follows it); any other multi-byte character may
        // continue the group or the separators.
        let mut p = pos;
        let mut open_paren = false;
        while p < n && BYTE_CLASS[data[p] as usize] == 4 {
            open_paren |= data[p] == b'(';
            p += 1;
        }
        if p < n && data[p] >= 0x80 {
            return match classify(data, p).0 {
                Class::Break => Some(pos),
                _ => None,
            };
        }
        let seps = p - pos;
        if seps == 0 || seps > MAX_SEPARATORS || p >= n {
            return Some(pos);
        }
        // As in `build_run_general`: a digit after a short digit group joins it,
        // and so does an HKID check character in parentheses.
        let joins = data[pos - 1].is_ascii_digit()
            && (run.norm.len() as u32 - gstart) <= MAX_GROUP
            && (data[p].is_ascii_digit()
                || (data[p].eq_ignore_ascii_case(&b'A')
                    && open_paren
                    && data.get(p + 1) == Some(&b')')));
        if !joins {
            return Some(pos);
        }
        after_dot = data[pos..p].contains(&b'.');
        pos = p;
    }
}

/// Most normalized characters of a joined run read off its bytes
/// ([`ascii_digit_run`]); a longer one is built.
const DIGIT_RUN_CHARS: usize = 64;

/// Most groups of a joined run read off its bytes; a run of more is built.
const DIGIT_RUN_GROUPS: usize = 16;

/// The run starting at `s` whose first group `data[s..q]` is ASCII digits
/// (its end: the byte at `q` is no ASCII letter or digit), when it is
/// ASCII digit groups joined by ASCII separators and ended as
/// [`build_run_ascii`] ends a run: its end, and the counts of its digits
/// and groups, written to `joined`: exactly what [`build_run`] would
/// build, but without the offset map and the classifier. `None` as soon as
/// anything else appears (a letter in a group, an HKID check character, a
/// multi-byte character that is no break, more than the scratch holds):
/// then the run must be built.
///
/// The steps are those of [`build_run_ascii`], whose groups here hold
/// digits only: a separator row of one or two ASCII separators joins a
/// group of at most [`MAX_GROUP`] digits to a digit right after it.
#[inline(always)]
fn ascii_digit_run(
    data: &[u8],
    s: usize,
    q: usize,
    joined: &mut Joined,
) -> Option<(usize, usize, usize)> {
    debug_assert!(s < q && q == skip_ascii_alnum(data, s));
    debug_assert!(data[s..q].iter().all(u8::is_ascii_digit));
    let n = data.len();
    let (mut gs, mut ge) = (s, q);
    let (mut k, mut ng) = (0usize, 0usize);
    let mut after_dot = false;
    loop {
        let len = ge - gs;
        if k + len > DIGIT_RUN_CHARS || ng == DIGIT_RUN_GROUPS {
            return None;
        }
        // Eight bytes at a time (see `Run::push_ascii`): the bytes past
        // the group are written over by the next one, or left out.
        let mut off = 0;
        while off < len {
            let at = gs + off;
            let x = word_at(data, at, ge);
            joined.norm[k + off..k + off + 8].copy_from_slice(&x.to_le_bytes());
            off += 8;
        }
        joined.groups[ng] = Group {
            start: k as u32,
            end: (k + len) as u32,
            letters: false,
            digits: true,
            after_dot,
        };
        k += len;
        ng += 1;
        // The separators after the group (see `build_run_ascii`).
        let mut p = ge;
        while p < n && BYTE_CLASS[data[p] as usize] == 4 {
            p += 1;
        }
        if p < n && data[p] >= 0x80 {
            return match classify(data, p).0 {
                Class::Break => Some((ge, k, ng)),
                _ => None,
            };
        }
        let seps = p - ge;
        if seps == 0 || seps > MAX_SEPARATORS || p >= n || len > MAX_GROUP as usize {
            return Some((ge, k, ng));
        }
        if !data[p].is_ascii_digit() {
            // An HKID check character in parentheses (`(A)`) joins.
            return if data[p].eq_ignore_ascii_case(&b'A') && data[ge..p].contains(&b'(') {
                None
            } else {
                Some((ge, k, ng))
            };
        }
        // The next group: digits only, else it must be built.
        let mut e = p + 1;
        while e < n && data[e].is_ascii_digit() {
            e += 1;
        }
        if e < n && data[e].is_ascii_alphabetic() {
            return None;
        }
        after_dot = data[ge..p].contains(&b'.');
        (gs, ge) = (p, e);
    }
}

/// Whether `value`, ASCII letters and digits, holds a letter. Among those,
/// bit 6 is set exactly in letters: eight bytes are ORed at a time, the
/// last eight (which may overlap the word before) read as one word too,
/// so that a value of 8 to 16 bytes (a timestamp, a date's digits, most
/// lone groups the gate asks about) costs two loads, not a step a byte.
#[inline(always)]
pub fn holds_letter(value: &[u8]) -> bool {
    debug_assert!(value.iter().all(u8::is_ascii_alphanumeric));
    const BIT6: u64 = 0x4040_4040_4040_4040;
    let n = value.len();
    if n < 8 {
        return value.iter().fold(0u8, |m, &b| m | b) & 0x40 != 0;
    }
    let mut m = word_at(value, n - 8, n);
    let mut i = 0;
    while i + 8 < n {
        m |= word_at(value, i, n);
        i += 8;
    }
    m & BIT6 != 0
}

/// The eight bytes of `data` at `at` as a little-endian word: a whole
/// word when the data has one there (a single move), else the bytes up to
/// `to` with zeros above them (the bytes past `to` that a whole word holds
/// are for the caller to mask off or write over).
#[inline(always)]
pub(super) fn word_at(data: &[u8], at: usize, to: usize) -> u64 {
    match data.get(at..at + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().expect("eight bytes")),
        None => data[at..to]
            .iter()
            .rev()
            .fold(0u64, |x, &b| (x << 8) | b as u64),
    }
}

/// The first position at or after `from` whose byte is not an ASCII
/// letter or digit; for the short groups of joined runs a byte loop beats
/// [`skip_alnum`]'s vector setup.
#[inline(always)]
fn skip_ascii_alnum(data: &[u8], mut from: usize) -> usize {
    while from < data.len() && data[from].is_ascii_alphanumeric() {
        from += 1;
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups_of(lens: &[(u32, bool)]) -> Vec<Group> {
        let mut k = 0;
        lens.iter()
            .map(|&(n, after_dot)| {
                k += n;
                Group {
                    start: k - n,
                    end: k,
                    letters: false,
                    digits: true,
                    after_dot,
                }
            })
            .collect()
    }

    #[test]
    fn decimals_and_dates_are_told_apart_from_grouped_numbers() {
        let case =
            |value: &str, lens: &[(u32, bool)]| decimal_or_date(value.as_bytes(), &groups_of(lens));
        // Decimal numbers: a full stop joins two groups.
        assert!(case("20984958", &[(6, false), (2, true)]));
        assert!(case("33457839", &[(2, false), (6, true)]));
        assert!(case("110022334455", &[(4, false), (4, true), (4, true)]));
        // Dates of 1900-2099 written 4-2-2, alone or with the hour.
        assert!(case("20231020", &[(4, false), (2, false), (2, false)]));
        assert!(case(
            "2023102013",
            &[(4, false), (2, false), (2, false), (2, false)]
        ));
        assert!(case("19000101", &[(4, false), (2, false), (2, false)]));
        assert!(case("20240229", &[(4, false), (2, false), (2, false)]));
        // Not dates: no such day, month or century, other groupings.
        assert!(!case("20230229", &[(4, false), (2, false), (2, false)]));
        assert!(!case("20231320", &[(4, false), (2, false), (2, false)]));
        assert!(!case("21001020", &[(4, false), (2, false), (2, false)]));
        assert!(!case("18991231", &[(4, false), (2, false), (2, false)]));
        assert!(!case("20231020", &[(2, false), (2, false), (4, false)]));
        // Account groupings and single groups stay candidates.
        assert!(!case(
            "11002233445566778",
            &[(4, false), (4, false), (4, false), (4, false), (1, false)]
        ));
        assert!(!case("110022334455", &[(4, false), (4, false), (4, false)]));
        assert!(!case("20231020", &[(8, false)]));
        assert!(!case("1234567801", &[(8, false), (2, false)]));
    }

    #[test]
    fn runs_note_the_full_stops_between_groups() {
        let mut run = Run::default();
        for (text, dots) in [
            ("209849.58元", vec![false, true]),
            ("2023-10-20 x", vec![false, false, false]),
            ("1100 2233.4455", vec![false, false, true]),
            ("138．0013．8000", vec![false, true, true]),
            ("6222 .0200", vec![false, true]),
        ] {
            build_run(text.as_bytes(), 0, &mut run);
            let got: Vec<bool> = run.groups.iter().map(|g| g.after_dot).collect();
            assert_eq!(got, dots, "{text}");
        }
    }

    /// The byte-walking loop the candidate jumps replaced: the definition
    /// of a run that the differential test holds the fast loop to.
    fn for_each_run_reference(data: &[u8], min_len: usize, run: &mut Run, mut f: impl FnMut(&Run)) {
        let n = data.len();
        let mut i = 0;
        while i < n {
            // Hot loop: skip bytes that can never start a run.
            let c = BYTE_CLASS[data[i] as usize];
            if c == 0 || c == 4 || c == 6 {
                i += 1;
                continue;
            }
            if c == 2 || c == 3 {
                // A word of letters only is never a candidate; skip it whole
                // unless it runs into a digit.
                let mut j = i + 1;
                while j < n && matches!(BYTE_CLASS[data[j] as usize], 2 | 3) {
                    j += 1;
                }
                if j >= n || !starts_digitish(data, j) {
                    i = j;
                    continue;
                }
            }
            let (class, len) = classify(data, i);
            let starts = match class {
                Class::Digit(_) | Class::ObfuscatedDigit(_) | Class::Letter(_) => true,
                Class::Numeral(_) => numerals_allowed(data, i, 0),
                _ => false,
            };
            if !starts {
                i += len;
                continue;
            }
            let end = build_run(data, i, run);
            if run.digits > 0 && run.norm.len() >= min_len {
                f(run);
            }
            debug_assert!(end > i);
            i = end;
        }
    }

    fn runs(s: &str) -> Vec<(String, Vec<usize>, bool)> {
        let mut out = Vec::new();
        let mut run = Run::default();
        for_each_run(s.as_bytes(), 1, &mut run, |r| {
            out.push((
                String::from_utf8(r.norm.clone()).unwrap(),
                r.groups.iter().map(Group::len).collect(),
                r.obfuscated,
            ))
        });
        out
    }

    fn norms(s: &str) -> Vec<String> {
        runs(s).into_iter().map(|r| r.0).collect()
    }

    #[test]
    fn plain_and_glued_to_chinese() {
        assert_eq!(
            norms("身份证号110101190001010006请核对"),
            ["110101190001010006"]
        );
        assert_eq!(norms("手机13800001234，谢谢"), ["13800001234"]);
    }

    #[test]
    fn separators_join_digit_groups() {
        assert_eq!(runs("138 0000 1234")[0].1, [3, 4, 4]);
        assert_eq!(norms("138-0000-1234"), ["13800001234"]);
        assert_eq!(norms("138.0000.1234"), ["13800001234"]);
        assert_eq!(norms("138\u{a0}0000\u{3000}1234"), ["13800001234"]);
        assert_eq!(norms("138\u{200b}00001234"), ["13800001234"]);
        assert_eq!(norms("110101 19000101 009x"), ["11010119000101009X"]);
        // Three separators in a row end the run.
        assert_eq!(norms("138 - 0000"), ["138", "0000"]);
        // A group longer than eight is not joined to what follows.
        assert_eq!(norms("img_1700002581/0"), ["1700002581", "0"]);
        assert_eq!(norms("13800001234.0"), ["13800001234", "0"]);
        // A line break is never a separator.
        assert_eq!(norms("138\n00001234"), ["138", "00001234"]);
    }

    #[test]
    fn letters_stay_in_the_run() {
        assert_eq!(norms("tel13800001234"), ["TEL13800001234"]);
        assert_eq!(norms("abc def 12"), ["12"]);
        // Letters are not joined across separators.
        assert_eq!(norms("No. 13800001234"), ["13800001234"]);
    }

    #[test]
    fn full_width_and_obfuscations() {
        assert_eq!(norms("１３８００００１２３４"), ["13800001234"]);
        let r = runs("幺三八零零零零一二三四");
        assert_eq!(r[0].0, "13800001234");
        assert!(r[0].2);
        let keycaps: String = "13800001234"
            .chars()
            .map(|c| format!("{c}\u{fe0f}\u{20e3}"))
            .collect();
        assert_eq!(norms(&keycaps), ["13800001234"]);
        // Chinese numerals in prose are not numbers.
        assert!(norms("我们一起去了三次").is_empty());
        assert!(norms("第一二三个").is_empty());
    }

    #[test]
    fn hkid_parenthesized_check() {
        assert_eq!(norms("A123456(3)"), ["A1234563"]);
        assert_eq!(norms("A123456(A)"), ["A123456A"]);
    }

    #[test]
    fn offset_map_points_at_original_bytes() {
        let s = "号：１３８ ０００";
        let mut run = Run::default();
        for_each_run(s.as_bytes(), 1, &mut run, |r| {
            let (a, b) = r.span(0, r.norm.len());
            assert_eq!(&s[a..b], "１３８ ０００");
        });
    }

    #[test]
    fn invalid_utf8_never_panics() {
        let data = b"\xff13800\xe4\xb8001234\xe4";
        let mut run = Run::default();
        for_each_run(data, 1, &mut run, |_| {});
    }

    type Snapshot = (Vec<u8>, Vec<(usize, usize)>, Vec<Group>, bool);
    type Runs = Vec<Snapshot>;

    /// Everything a run tells its callback.
    fn snapshot(r: &Run) -> Snapshot {
        (
            r.norm.clone(),
            (0..r.norm.len()).map(|i| r.span(i, i + 1)).collect(),
            r.groups.clone(),
            r.obfuscated,
        )
    }

    fn collect(data: &[u8], fast: bool, min_len: usize) -> Runs {
        let mut out = Vec::new();
        let mut run = Run::default();
        let mut push = |r: &Run| out.push(snapshot(r));
        if fast {
            for_each_run(data, min_len, &mut run, &mut push);
        } else {
            for_each_run_reference(data, min_len, &mut run, &mut push);
        }
        out
    }

    /// With a length mask, single-group runs of other lengths are left
    /// out, and nothing else changes.
    fn collect_masked(data: &[u8], min_len: usize, mask: u64) -> (Runs, Runs) {
        let mut fast = Vec::new();
        let mut run = Run::default();
        for_each_run_at(data, 0..data.len(), min_len, Some(mask), &mut run, |r| {
            fast.push(snapshot(r))
        });
        let mut slow = collect(data, false, min_len);
        slow.retain(|r| r.2.len() > 1 || (r.0.len() < 64 && mask & (1 << r.0.len()) != 0));
        (fast, slow)
    }

    /// Pieces the random inputs of the differential tests are made of.
    const PIECES: &[&str] = &[
        "0",
        "1",
        "7",
        "138",
        "0000",
        "1234",
        "a",
        "b",
        "X",
        "tel",
        "ab",
        " ",
        "-",
        ".",
        "/",
        "_",
        "(",
        ")",
        "(A)",
        "一",
        "二",
        "三",
        "幺",
        "零",
        "〇",
        "两",
        "号",
        "码",
        "，",
        "：",
        "１",
        "２",
        "Ｃ",
        "ｘ",
        "③",
        "\u{3000}",
        "\u{a0}",
        "\u{200b}",
        "\u{fe0f}\u{20e3}",
        "\"",
        ":",
        "{",
        "}",
        "\n",
        "手机",
        "😀",
        "\u{2014}",
        "13800001234",
        "1696118465727",
        "20231020",
        "CAQQ1omNQJfhUxbyGoySONPCWNPd4rY",
        "wm5rSySwMIbsnHVRR9RQeMSVZABbScHc",
        // Joined runs, short and long, and what they stop at.
        "%",
        "2023-10-20",
        "v2.29.56",
        "209849.58",
        "288 144 303",
        "（",
        "\u{ff41}",
        "\u{ff3a}",
        "元",
        "陆",
        "九",
        // Dates, times, versions, separator and group limits, HKID checks.
        "2023-10-20",
        "12:50:30",
        "1.2.3.4.5",
        "12345678",
        "123456789",
        "A123456(A)",
        "(a)",
        "--",
        "  ",
        "。",
        "年",
        // Every other kind of separator a run may cross.
        "\u{b7}",
        "\u{2013}",
        "\u{200d}",
        "\u{2060}",
        "\u{feff}",
        "\u{ff0d}",
        "\u{ff3f}",
        "\u{fe0f}",
    ];

    #[test]
    fn candidate_jumps_find_exactly_the_runs_of_the_byte_walk() {
        let pieces = PIECES;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..3000 {
            let mut data = Vec::new();
            // Some inputs span many 64-byte blocks, with runs across block
            // borders.
            let n = 1 + next() % if round % 4 == 0 { 400 } else { 60 };
            for _ in 0..n {
                let r = next();
                if r % 17 == 0 {
                    data.push((r >> 8) as u8); // any byte, invalid UTF-8 too
                } else {
                    data.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()].as_bytes());
                }
            }
            // Every length up to 12 lets some runs be skipped unbuilt, and
            // some candidates be left out (those in short stretches).
            for min_len in 1..=12 {
                assert_eq!(
                    collect(&data, true, min_len),
                    collect(&data, false, min_len),
                    "{:?}",
                    String::from_utf8_lossy(&data)
                );
                // Odd lengths; the lengths of the built-in rules (8 to 19).
                for mask in [0b1010_1000_1000, 0xF_FF00] {
                    let (fast, slow) = collect_masked(&data, min_len, mask);
                    assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&data));
                }
            }
        }
    }

    #[test]
    fn runs_read_off_kept_masks_are_those_of_each_line_alone() {
        let mut rng = crate::detect::TestRng(0x7F4A_7C15_9E37_79B9);
        let mut next = || rng.next();
        let mut masks = BlockMasks::default();
        let mut run = Run::default();
        for _ in 0..1000 {
            // Lines of pieces, some spanning blocks, with bytes of any
            // value now and then (lead bytes just before a line break).
            let mut data = Vec::new();
            for _ in 0..1 + next() % 200 {
                let r = next();
                if r % 13 == 0 {
                    data.push(b'\n');
                } else if r % 17 == 0 {
                    data.push((r >> 8) as u8);
                } else {
                    data.extend_from_slice(PIECES[(r >> 8) as usize % PIECES.len()].as_bytes());
                }
            }
            masks.clear();
            let mut start = 0;
            while start <= data.len() {
                let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
                let lengths = (1..=12).flat_map(|m| [(m, None), (m, Some(0x7FFF_FF00 | 1 << m))]);
                for (min_len, lengths) in lengths {
                    let (mut want, mut got) = (Vec::new(), Vec::new());
                    for_each_run_at(&data, start..end, min_len, lengths, &mut run, |r| {
                        want.push(snapshot(r))
                    });
                    for_each_run_in(
                        &data,
                        start..end,
                        min_len,
                        lengths,
                        &mut masks,
                        &mut run,
                        |r| got.push(snapshot(r)),
                    );
                    assert_eq!(
                        got,
                        want,
                        "{:?}",
                        String::from_utf8_lossy(&data[start..end])
                    );
                }
                start = end + 1;
            }
        }
    }

    /// Random inputs from [`PIECES`], with bytes of any value now and then.
    fn random_inputs(rounds: usize, mut f: impl FnMut(&[u8])) {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..rounds {
            let mut data = Vec::new();
            for _ in 0..1 + next() % 40 {
                let r = next();
                if r % 23 == 0 {
                    data.push((r >> 8) as u8);
                } else {
                    data.extend_from_slice(PIECES[(r >> 8) as usize % PIECES.len()].as_bytes());
                }
            }
            f(&data);
        }
    }

    /// Where normalized character `i` of `run` starts, and its width: a
    /// search of the segments, the definition `span` is held to.
    fn char_at(run: &Run, i: usize) -> (usize, usize) {
        let k = run.segments.partition_point(|s| s.norm as usize <= i) - 1;
        let s = run.segments[k];
        (
            s.at as usize + (i - s.norm as usize) * s.width as usize,
            s.width as usize,
        )
    }

    #[test]
    fn spans_are_those_of_their_characters() {
        let mut spans = 0;
        random_inputs(5_000, |data| {
            let mut run = Run::default();
            for_each_run(data, 1, &mut run, |r| {
                let n = r.norm.len();
                for from in 0..n {
                    for to in from + 1..=n {
                        let (end, width) = char_at(r, to - 1);
                        assert_eq!(r.span(from, to), (char_at(r, from).0, end + width));
                        if (from, to) == (0, n) {
                            assert_eq!(r.whole_span(), r.span(0, n));
                        }
                        spans += 1;
                    }
                }
            });
        });
        assert!(spans > 10_000, "{spans}");
    }

    #[test]
    fn runs_lie_in_capable_bytes() {
        let mut runs = 0;
        random_inputs(5_000, |data| {
            let spans = {
                let mut spans = Vec::new();
                let mut run = Run::default();
                for_each_run_reference(data, 1, &mut run, |r| spans.push(r.span(0, r.norm.len())));
                spans
            };
            for avx2 in [false, true] {
                let cap = crate::detect::blocks::capable_bytes(data, avx2);
                for &(s, e) in &spans {
                    assert!(
                        cap[s..e].iter().all(|&c| c),
                        "{:?} {s}..{e}",
                        String::from_utf8_lossy(data)
                    );
                }
            }
            runs += spans.len();
        });
        assert!(runs > 10_000, "{runs}");
    }

    /// Normalized form, groups and span of a run, as a sink sees it.
    type Seen = (Vec<u8>, Vec<Group>, (usize, usize));

    /// A sink that takes joined runs of ASCII digits unbuilt (and lone
    /// ASCII groups built), noting what it is given.
    struct Unbuilt(Vec<Seen>, usize);

    impl RunSink for &mut Unbuilt {
        const DIGITS: bool = true;

        fn digits(&mut self, norm: &[u8], groups: &[Group], span: (usize, usize)) -> bool {
            self.0.push((norm.to_vec(), groups.to_vec(), span));
            self.1 += 1;
            false
        }

        fn run(&mut self, run: &Run) {
            self.0
                .push((run.norm.clone(), run.groups.clone(), run.whole_span()));
        }
    }

    #[test]
    fn digit_runs_read_off_their_bytes_are_those_built() {
        let mut unbuilt = 0;
        let mut masks = BlockMasks::default();
        random_inputs(20_000, |data| {
            for (min_len, lengths) in [(1, None), (8, Some(0xF_FF00)), (5, Some(0b1010_0010_0000))]
            {
                let mut want = Vec::new();
                let mut run = Run::default();
                for_each_run_at(data, 0..data.len(), min_len, lengths, &mut run, |r| {
                    want.push((r.norm.clone(), r.groups.clone(), r.whole_span()))
                });
                let mut got = Unbuilt(Vec::new(), 0);
                for_each_run_at_into(data, 0..data.len(), min_len, lengths, &mut run, &mut got);
                assert_eq!(got.0, want, "{:?}", String::from_utf8_lossy(data));
                masks.clear();
                let mut read = Unbuilt(Vec::new(), 0);
                for_each_run_in_into(
                    data,
                    0..data.len(),
                    min_len,
                    lengths,
                    &mut masks,
                    &mut run,
                    &mut read,
                );
                assert_eq!(read.0, want, "{:?}", String::from_utf8_lossy(data));
                unbuilt += got.1;
            }
        });
        assert!(unbuilt > 5_000, "{unbuilt}");
    }

    #[test]
    fn ascii_runs_are_built_as_the_general_walk_builds_them() {
        let mut taken = 0;
        random_inputs(20_000, |data| {
            // Every start, not just those of runs: a run may begin
            // anywhere the general walk may be asked to begin one, and
            // slices end anywhere.
            for i in 0..data.len() {
                for end in [data.len(), (i + 1 + data.len()) / 2] {
                    let data = &data[..end.max(i + 1)];
                    let (mut fast, mut slow) = (Run::default(), Run::default());
                    let Some(got) = build_run_ascii(data, i, &mut fast) else {
                        continue;
                    };
                    taken += 1;
                    let want = build_run_general(data, i, &mut slow);
                    assert_eq!(
                        (got, snapshot(&fast), fast.digits),
                        (want, snapshot(&slow), slow.digits),
                        "{:?} at {i}",
                        String::from_utf8_lossy(data)
                    );
                }
            }
        });
        assert!(taken > 10_000, "{taken}");
    }
}
