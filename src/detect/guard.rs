//! Whether a regex rule can match on a line at all, told from the bytes
//! around the rare piece every match holds (the `@` of an email).
//!
//! A keyword only says where a regex match may be, and the commonest
//! keyword of all, `@`, is mostly a mention in chat (`@李明 明天开会`),
//! which no email holds. The line gate used to make every line with a
//! keyword hot, and a hot line costs the full detector (JSON walk, token
//! pass, the regex's lazy DFA over the line) about nine times what the
//! gate spends on it: with a mention on 10% of the lines of the 20 MB
//! archive sample, callgrind counted 309.8M instructions grow to 404.3M.
//! Asking the email regex itself (`is_match` over the line) cost a third
//! to a half of what the detector does: the lazy DFA of its counted
//! repetitions (`{0,63}`) keeps building new states (16k–26k instructions
//! a line).
//!
//! A [`RegexGuard`] reads the regex's structure instead. A pattern that is
//! a concatenation `A X B`, where `X` matches one of a few exact strings
//! (its *pieces*: `@`, `＠`, `(at)`, `[at]`, `艾特` and their cases), has
//! every match hold a piece with, right before it, a last byte of a match
//! of `A` (unless `A` may match nothing) and, right after it, a first byte
//! of a match of `B` (unless `B` may match nothing). So when no piece on a
//! line stands between such bytes (`@` followed by `李` is none: a match of
//! the email's domain starts with `[a-z0-9]`), the regex matches nowhere
//! on the line: that is exact, not a guess. Both byte sets over-approximate
//! (any continuation byte may end a multi-byte character), which only
//! keeps more lines hot.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind, literal::Extractor};

/// The bytes that may stand right before and after the pieces of a regex
/// (see the module doc).
#[derive(Debug)]
pub struct RegexGuard {
    /// Every exact string of the pattern's piece node.
    pieces: AhoCorasick,
    /// The last bytes of a match of what precedes the pieces; `None` when
    /// that may match nothing.
    before: Option<ByteSet>,
    /// The first bytes of a match of what follows them; `None` when that
    /// may match nothing.
    after: Option<ByteSet>,
}

/// A set of byte values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn add_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }

    fn union(&mut self, other: ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// The bytes a match of a node may start (or end) with, and whether it
/// may be empty; `None` when the node asserts something (`^`, `\b`).
type Edge = Option<(ByteSet, bool)>;

/// Most exact strings a piece node may have.
const MAX_PIECES: usize = 64;

impl RegexGuard {
    /// The guard of `pattern` (parsed as the detector's line plans parse
    /// it), or `None` when it is no concatenation around a node of a few
    /// exact strings, or the bytes around them are not restricted.
    pub fn new(pattern: &str) -> Option<RegexGuard> {
        RegexGuard::of_hir(&super::pattern_hir(pattern)?)
    }

    /// [`RegexGuard::new`] for a pattern already parsed.
    pub(crate) fn of_hir(hir: &Hir) -> Option<RegexGuard> {
        let parts = match unwrap_captures(hir).kind() {
            HirKind::Concat(parts) => parts,
            _ => return None,
        };
        // The piece node: the one whose exact strings are rarest in text
        // (as the line plans weigh pieces: `@` before `.`).
        let mut best: Option<(usize, u32, Vec<Vec<u8>>)> = None;
        for (i, part) in parts.iter().enumerate() {
            let seq = Extractor::new().extract(part);
            let Some(lits) = seq.literals() else { continue };
            if !seq.is_exact()
                || lits.is_empty()
                || lits.len() > MAX_PIECES
                || lits.iter().any(|l| l.as_bytes().is_empty())
            {
                continue;
            }
            let strings: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
            let cost = super::pieces_cost(&strings);
            if best.as_ref().is_none_or(|b| cost < b.1) {
                best = Some((i, cost, strings));
            }
        }
        let (i, _, strings) = best?;
        let (before, before_empty) = concat_edge(parts[..i].iter().rev(), false)?;
        let (after, after_empty) = concat_edge(parts[i + 1..].iter(), true)?;
        let guard = RegexGuard {
            // A DFA: the search runs over every line with a keyword.
            pieces: AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&strings)
                .ok()?,
            before: (!before_empty).then_some(before),
            after: (!after_empty).then_some(after),
        };
        (guard.before.is_some() || guard.after.is_some()).then_some(guard)
    }

    /// True when the regex may match somewhere in `line` (one line: a
    /// match that cannot hold a line break lies in it whole); false only
    /// when no piece in it stands between bytes a match allows.
    pub fn may_match(&self, line: &[u8]) -> bool {
        self.pieces.find_overlapping_iter(line).any(|m| {
            let (s, e) = (m.start(), m.end());
            self.before.is_none_or(|b| s > 0 && b.contains(line[s - 1]))
                && self
                    .after
                    .is_none_or(|a| e < line.len() && a.contains(line[e]))
        })
    }
}

/// `h` without the capture groups around it.
fn unwrap_captures(h: &Hir) -> &Hir {
    match h.kind() {
        HirKind::Capture(c) => unwrap_captures(&c.sub),
        _ => h,
    }
}

/// The first bytes (`first`) or last bytes of a match of a concatenation,
/// its `parts` given from that end in, and whether it may be empty.
fn concat_edge<'h>(parts: impl Iterator<Item = &'h Hir>, first: bool) -> Edge {
    let mut set = ByteSet::default();
    for part in parts {
        let (s, empty) = edge(part, first)?;
        set.union(s);
        if !empty {
            return Some((set, false));
        }
    }
    Some((set, true))
}

/// The first bytes (`first`) or last bytes of a match of `h`, and whether
/// it may be empty.
fn edge(h: &Hir, first: bool) -> Edge {
    match h.kind() {
        HirKind::Empty => Some((ByteSet::default(), true)),
        HirKind::Literal(l) => {
            let mut set = ByteSet::default();
            let b = if first { l.0.first() } else { l.0.last() };
            match b {
                Some(&b) => set.add(b),
                None => return Some((set, true)),
            }
            Some((set, false))
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut set = ByteSet::default();
            for r in c.ranges() {
                set.add_range(r.start(), r.end());
            }
            Some((set, false))
        }
        HirKind::Class(Class::Unicode(c)) => {
            let mut set = ByteSet::default();
            for r in c.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if lo < 0x80 {
                    set.add_range(lo as u8, hi.min(0x7F) as u8);
                }
                if hi >= 0x80 {
                    if first {
                        // Lead bytes grow with the code point.
                        let lead = |cp: u32| {
                            let mut buf = [0u8; 4];
                            char::from_u32(cp).map(|c| c.encode_utf8(&mut buf).as_bytes()[0])
                        };
                        // Surrogates are no chars: the range's ends are.
                        let (a, b) = (lead(lo.max(0x80))?, lead(hi)?);
                        set.add_range(a, b);
                    } else {
                        // Any continuation byte may end such a character.
                        set.add_range(0x80, 0xBF);
                    }
                }
            }
            Some((set, false))
        }
        HirKind::Look(_) => None,
        HirKind::Repetition(r) => {
            let (set, empty) = edge(&r.sub, first)?;
            Some((set, empty || r.min == 0))
        }
        HirKind::Capture(c) => edge(&c.sub, first),
        HirKind::Concat(parts) if first => concat_edge(parts.iter(), true),
        HirKind::Concat(parts) => concat_edge(parts.iter().rev(), false),
        HirKind::Alternation(alts) => {
            let mut set = ByteSet::default();
            let mut empty = false;
            for a in alts {
                let (s, e) = edge(a, first)?;
                set.union(s);
                empty |= e;
            }
            Some((set, empty))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::RuleSet;

    fn email() -> (regex::bytes::Regex, RegexGuard) {
        let rules = RuleSet::builtin().unwrap();
        let rule = rules.get("email").unwrap();
        let crate::detect::rules::Matcher::Regex { regex, .. } = &rule.matcher else {
            panic!("email is a regex rule")
        };
        let guard = RegexGuard::new(regex.as_str()).expect("the email pattern has a guard");
        (regex.clone(), guard)
    }

    /// The email's guard passes over mentions and keeps every line with an
    /// email in any of its `@` forms.
    #[test]
    fn the_email_guard_passes_over_mentions() {
        let (regex, guard) = email();
        for line in [
            "@李明 明天开会",
            "开会 @everyone",
            "费用 @ 120 元",
            "邮箱见附件@",
            "(at) 的用法",
            "访问 www.example.com",
        ] {
            assert!(!guard.may_match(line.as_bytes()), "{line}");
            assert!(!regex.is_match(line.as_bytes()), "{line}");
        }
        for line in [
            "邮箱 zhangsan@example.com",
            "lisi＠example.cn",
            "wangwu艾特example.com",
            "WANG(AT)EXAMPLE.COM",
            "x[At]y.cn",
            // Case folding reaches past ASCII: `ſ` is an `s`, the Kelvin
            // sign a `k`.
            "ſ@x.cn",
            "a@\u{212A}x.cn",
        ] {
            assert!(guard.may_match(line.as_bytes()), "{line}");
            assert!(regex.is_match(line.as_bytes()), "{line}");
        }
    }

    /// Whenever the regex matches a random line, the guard lets it
    /// through: lines of pieces, letters, digits, dots, Chinese and the
    /// case-folding look-alikes (the Kelvin sign `K`, the long `ſ`).
    #[test]
    fn the_email_guard_never_misses_a_match() {
        let (regex, guard) = email();
        let alphabet = [
            "@", "＠", "(at)", "(AT)", "[aT]", "艾特", "ab", "Z9", "0", "x.cn", "y.COM", ".", "-",
            "_", "李", " ", "ſ", "\u{212A}", "é", "\"",
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let (mut matched, mut passed_over) = (0, 0);
        for _ in 0..40_000 {
            let mut line = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for _ in 0..1 + x % 12 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                line.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let m = regex.is_match(line.as_bytes());
            let g = guard.may_match(line.as_bytes());
            assert!(g || !m, "{line:?} matches, the guard passed it over");
            matched += usize::from(m);
            passed_over += usize::from(!g);
        }
        assert!(
            matched > 1_000 && passed_over > 5_000,
            "{matched} {passed_over}"
        );
    }

    /// A class's first bytes are the lead bytes of all its characters
    /// (`[α-я]` runs from `CE B1` to `D1 8F`), its last bytes any
    /// continuation byte; a repetition that may be absent may be empty.
    #[test]
    fn edges_of_classes_and_repetitions() {
        let hir = |p: &str| {
            regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(p)
                .unwrap()
        };
        let (first, empty) = edge(&hir("[α-я]"), true).unwrap();
        assert!(!empty);
        for b in 0..=255u8 {
            assert_eq!(first.contains(b), (0xCE..=0xD1).contains(&b), "{b:#x}");
        }
        let (last, _) = edge(&hir("[α-я]"), false).unwrap();
        assert!((0x80..=0xBF).all(|b| last.contains(b)) && !last.contains(b'a'));
        let (set, empty) = edge(&hir("(?:ab){0,3}"), true).unwrap();
        assert!(empty && set.contains(b'a') && !set.contains(b'b'));
        assert!(edge(&hir(r"\b"), true).is_none());
    }

    /// Patterns with no piece node, or nothing restricted around it, get
    /// no guard; a look-around gives none either.
    #[test]
    fn some_patterns_get_no_guard() {
        for p in ["[0-9]{8}", "a|b", "x*@y*", r"\bsecret\b", "(?:foo)"] {
            assert!(RegexGuard::new(p).is_none(), "{p}");
        }
        assert!(RegexGuard::new("[a-z]+@[a-z]+").is_some());
    }
}
