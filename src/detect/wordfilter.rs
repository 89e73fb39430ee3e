//! A fast test of whether a line holds any of a set of words (the line
//! gate's context words), with the answer of an ASCII case-insensitive
//! Aho-Corasick `is_match`, at several times its speed.
//!
//! # Design
//!
//! The filter is a Teddy-style fingerprint search (the idea of Hyperscan's
//! Teddy and of `aho_corasick::packed`, written afresh) followed by an
//! exact check of every surviving position:
//!
//! 1. **Fingerprints.** Each word is described by its bytes at the fixed
//!    offsets `OFFSETS` (`0, 1, 2, 4, 5`) from its start. For a Chinese
//!    word those are the lead byte and both continuation bytes of its first
//!    character and the continuation bytes of its second one. Lead bytes
//!    (`E4`–`E9`) are everywhere in Chinese text and carry little, so the
//!    continuation bytes of *two* characters make the fingerprint: a common
//!    character such as 号 or 行 alone does not fire, only the pair does.
//!    ASCII words use their first bytes (`t e l`, `p a s _ p o`); an ASCII
//!    letter stands for both its cases, which costs nothing in the tables
//!    below since `a` and `A` share their low nibble. Words shorter than an
//!    offset leave it free (any byte).
//! 2. **Buckets.** Words are spread over `8 × G` buckets (`G` groups of
//!    eight, `G ≤ 8`). For each group and offset two 16-entry tables map the
//!    low and the high nibble of a byte to the eight buckets' bits; a byte
//!    passes a bucket when both its nibbles do. A bucket therefore accepts
//!    the product of its words' nibble sets, so few, similar words per
//!    bucket keep it selective: words are assigned greedily to the bucket
//!    whose estimated acceptance rate (under a rough byte-frequency model of
//!    Chinese chat JSON) grows least, short words land in buckets of their
//!    own, and `G` is chosen by a cost model (more groups cost more table
//!    look-ups, fewer groups let more false candidates through).
//! 3. **Scan.** With AVX2, 32 positions at a time: one unaligned load per
//!    offset, two `vpshufb` per offset and group, AND across offsets. The
//!    offsets go in two stages: first the pair estimated to pass fewest
//!    positions (`slot_order`; its tables loaded once per scan), and only
//!    for a block where some position passes those, the other three (on
//!    chat lines about a quarter of the blocks: 61 instructions a block
//!    became about 34). A block with no bucket bit set anywhere (the
//!    common case) costs no branch beyond one `vptest` per stage.
//!    With AVX-512 (F, BW and VBMI), 64 positions at a time in the same
//!    two stages: each offset's bytes are looked up in a 256-entry table
//!    per group (two two-register byte permutes, `vpermi2b`, and a blend
//!    on the top bit) holding the portable loop's per-byte bucket masks,
//!    so the candidates are the very same; the last positions are read
//!    with masked loads instead of a padded copy. The buckets are still
//!    planned for the nibble tables of AVX2 (planning them for exact byte
//!    sets would let fewer positions through, at the price of the AVX-512
//!    and AVX2 candidates no longer being the same).
//! 4. **Verify.** Each surviving (position, bucket) is compared with the
//!    bucket's words, ASCII case-insensitively; the first hit answers true.
//!    So [`WordFilter::may_contain`] is exact: it is true exactly when
//!    `AhoCorasickBuilder::new().ascii_case_insensitive(true)` finds a
//!    word, on any bytes, valid UTF-8 or not.
//!
//! The same search without verification, [`WordStarts`], hands on every
//! candidate with its buckets: the regex rules' keyword prefilter checks
//! its literals there (see `rules::Keywords`).
//!
//! A portable loop ([`WordFilter::portable`]) looks up a 64-bit bucket mask
//! per offset and byte, finding the very same candidates; it is tested
//! against the SIMD paths but measured slower than the automaton, so
//! [`WordFilter::new`] on CPUs without AVX2 (and non-x86 targets) builds the
//! automaton instead. The scan is chosen at run time ([`Simd::best`]).
//! When the word set does not suit the buckets (so many words that the
//! estimated candidate rate makes verification dominate), the filter wraps
//! an Aho-Corasick automaton instead; an empty word makes it always true.
//!
//! The hay is scanned with loads reaching `REACH`` - 1` bytes past each
//! block; for the last positions AVX2 copies the hay's end into a
//! zero-padded buffer and AVX-512 masks its loads, and candidates past the
//! end are dropped.
//!
//! Planning the buckets costs time at every start: the line gate builds a
//! filter per set of rules on first use. A bucket keeps the estimated
//! share of each of its sets as they grow, so trying a word against it
//! computes only the shares of the sets the word changes (the plans are
//! the very same, tested against the planning that computed every share
//! when asked): on `s20` the five filters' planning went from 6.26M to
//! 4.15M instructions (callgrind). A filter is built once for all workers
//! ([`SharedFilters`]), no longer once per worker. Remembering the shares
//! of large sets in a small table as well cost more than it saved (5.27M).

use super::simd::Simd;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Offsets, from a word's start, of the bytes its fingerprint tests.
const OFFSETS: [usize; SLOTS] = [0, 1, 2, 4, 5];
// `slot_order` takes slots 0 and 1 for a lead byte and the byte after it.
const _: () = assert!(OFFSETS[0] == 0 && OFFSETS[1] == 1);
/// Number of fingerprint offsets.
const SLOTS: usize = 5;
/// One past the largest offset: bytes read from a block's start beyond its
/// 32 positions, plus one. Whether a position is a candidate depends on
/// the `REACH` bytes from it on alone.
pub const REACH: usize = 6;
/// Most groups of eight buckets.
const MAX_GROUPS: usize = 8;
/// Positions per SIMD block.
const BLOCK: usize = 32;

/// A filter over a fixed set of words: is any of them in a hay?
///
/// ASCII letters match case-insensitively, every other byte exactly; the
/// answer equals that of an Aho-Corasick automaton built with
/// `ascii_case_insensitive(true)` over the same words.
#[derive(Debug, Clone)]
pub struct WordFilter {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    /// No words: never a match.
    Never,
    /// An empty word: always a match.
    Always,
    /// Fingerprint buckets and exact verification.
    Packed(Box<Packed>),
    /// Too many words for the buckets.
    Automaton(AhoCorasick),
}

/// The bucket tables of one group: for each offset, the low-nibble and the
/// high-nibble table, each 16 entries repeated in both 128-bit lanes.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct GroupTables([[[u8; 32]; 2]; SLOTS]);

#[derive(Debug, Clone)]
struct Packed {
    /// Groups of eight buckets in use (1..=MAX_GROUPS).
    groups: usize,
    /// SIMD tables, `groups` of them, their slots in the order `order`.
    tables: Vec<GroupTables>,
    /// The order of the slots in `tables`: the two first are the pair
    /// estimated to let the fewest positions through, tested alone first.
    order: [usize; SLOTS],
    /// For each offset and byte, the buckets (bit `8g + b`) it passes.
    scalar: Box<[[u64; 256]; SLOTS]>,
    /// For each bucket, its words' indices in `words`.
    buckets: Vec<Vec<u32>>,
    /// The distinct words, ASCII letters in lower case.
    words: Vec<Box<[u8]>>,
    /// The scan to use (detected at build time of the filter).
    simd: Simd,
    /// The AVX-512 tables, `groups` of them when `simd` is AVX-512 (else
    /// none), their slots in the order `order`.
    wide: Vec<WideTables>,
}

/// The bucket tables of one group for the AVX-512 scan: for each offset,
/// the group's eight bucket bits of every byte value, as four 64-byte
/// quarters (bytes `00`–`3F`, `40`–`7F`, `80`–`BF`, `C0`–`FF`). Built from
/// the portable scan's per-byte masks, so the candidates are the same.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct WideTables([[[u8; 64]; 4]; SLOTS]);

impl WordFilter {
    /// Builds a filter over `words`: the AVX-512 or AVX2 bucket search when
    /// the CPU has it, else an Aho-Corasick automaton (measured faster than
    /// the portable bucket search, see [`WordFilter::portable`]).
    pub fn new<W: AsRef<[u8]>>(words: &[W]) -> WordFilter {
        let simd = Simd::best();
        WordFilter::build(words, simd, simd == Simd::Scalar)
    }

    /// Builds a filter over `words` that searches the buckets without SIMD:
    /// the same candidates and answers as the SIMD paths, for tests and
    /// benchmarks (about half the speed of the automaton on chat lines).
    pub fn portable<W: AsRef<[u8]>>(words: &[W]) -> WordFilter {
        WordFilter::build(words, Simd::Scalar, false)
    }

    /// Builds a filter over `words` searching the buckets with `simd`, or
    /// `None` when this CPU cannot run it: for tests and benchmarks that
    /// compare the scans.
    pub fn with_simd<W: AsRef<[u8]>>(words: &[W], simd: Simd) -> Option<WordFilter> {
        simd.available()
            .then(|| WordFilter::build(words, simd, false))
    }

    fn build<W: AsRef<[u8]>>(words: &[W], simd: Simd, automaton_only: bool) -> WordFilter {
        let mut distinct: Vec<Box<[u8]>> = Vec::new();
        for w in words {
            let w = w.as_ref().to_ascii_lowercase();
            if w.is_empty() {
                return WordFilter {
                    inner: Inner::Always,
                };
            }
            if !distinct.iter().any(|d| **d == *w) {
                distinct.push(w.into_boxed_slice());
            }
        }
        if distinct.is_empty() {
            return WordFilter {
                inner: Inner::Never,
            };
        }
        if automaton_only {
            return WordFilter {
                inner: Inner::Automaton(automaton(&distinct)),
            };
        }
        let inner = match Packed::plan(distinct, simd) {
            Ok(p) => Inner::Packed(Box::new(p)),
            Err(words) => Inner::Automaton(automaton(&words)),
        };
        WordFilter { inner }
    }

    /// True when some word occurs in `hay` (ASCII letters in either case).
    /// Despite the name the answer is exact: no false positives either.
    #[inline]
    pub fn may_contain(&self, hay: &[u8]) -> bool {
        match &self.inner {
            Inner::Never => false,
            Inner::Always => true,
            Inner::Packed(p) => p.find(hay),
            Inner::Automaton(ac) => ac.is_match(hay),
        }
    }

    /// How the filter searches: `"avx512"`, `"avx2"`, `"scalar"`,
    /// `"automaton"`, `"always"` or `"never"`, followed for the first three
    /// by the number of bucket groups (`"avx2/3"`). For logs and
    /// benchmarks.
    pub fn strategy(&self) -> String {
        match &self.inner {
            Inner::Never => "never".into(),
            Inner::Always => "always".into(),
            Inner::Automaton(_) => "automaton".into(),
            Inner::Packed(p) => format!("{}/{}", p.simd.name(), p.groups),
        }
    }
}

/// Word filters built once for every thread, by a key of the caller's (the
/// line gate's: a set of rules). The gate's workers ask for filters over
/// the same few sets of words, and planning one took about a million
/// instructions; the first worker to ask for one builds it while the
/// others wait for it, instead of each building its own.
#[derive(Debug, Default)]
pub struct SharedFilters {
    built: std::sync::Mutex<Vec<(u64, std::sync::Arc<WordFilter>)>>,
}

/// Filters a [`SharedFilters`] keeps, at most (past them each caller builds
/// its own).
const MAX_SHARED_FILTERS: usize = 64;

impl SharedFilters {
    /// The filter of `key`: the one built for it first, or built now with
    /// `build`.
    pub fn get_or_build(
        &self,
        key: u64,
        build: impl FnOnce() -> WordFilter,
    ) -> std::sync::Arc<WordFilter> {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, f)) = built.iter().find(|(k, _)| *k == key) {
            return f.clone();
        }
        let f = std::sync::Arc::new(build());
        if built.len() < MAX_SHARED_FILTERS {
            built.push((key, f.clone()));
        }
        f
    }
}

/// Every place where a word of a fixed set may start, for callers that
/// want all of them (the regex rules' keyword prefilter) rather than a
/// yes or no: the bucket search of [`WordFilter`] without its
/// verification. The caller verifies each candidate against the words of
/// its buckets ([`WordStarts::bucket_words`]); every position where a
/// word starts (ASCII letters in either case) is a candidate, in the
/// bucket holding that word.
#[derive(Debug, Clone)]
pub struct WordStarts {
    packed: Box<Packed>,
}

impl WordStarts {
    /// The search over `words` (none of them empty) with `simd`, or `None`
    /// when the CPU cannot run that scan or the words do not suit the
    /// buckets (see [`WordFilter`]).
    pub fn new<W: AsRef<[u8]>>(words: &[W], simd: Simd) -> Option<WordStarts> {
        if !simd.available() {
            return None;
        }
        let mut distinct: Vec<Box<[u8]>> = Vec::new();
        for w in words {
            let w = w.as_ref().to_ascii_lowercase();
            if w.is_empty() {
                return None;
            }
            if !distinct.iter().any(|d| **d == *w) {
                distinct.push(w.into_boxed_slice());
            }
        }
        if distinct.is_empty() {
            return None;
        }
        let packed = Packed::plan(distinct, simd).ok()?;
        Some(WordStarts {
            packed: Box::new(packed),
        })
    }

    /// The distinct words, ASCII letters in lower case; bucket lists index
    /// them.
    pub fn words(&self) -> &[Box<[u8]>] {
        &self.packed.words
    }

    /// The indices (in [`WordStarts::words`]) of bucket `k`'s words.
    pub fn bucket_words(&self, k: usize) -> &[u32] {
        &self.packed.buckets[k]
    }

    /// Number of buckets (at most 64).
    pub fn bucket_count(&self) -> usize {
        self.packed.buckets.len()
    }

    /// Calls `f(position, buckets)` for each candidate of `hay` in order of
    /// position (`buckets`: bit `k` = bucket `k`, never 0), until `f`
    /// returns true; returns whether it did.
    #[inline]
    pub fn for_each(&self, hay: &[u8], f: impl FnMut(usize, u64) -> bool) -> bool {
        self.packed.scan(hay, f)
    }
}

/// The fallback: the same semantics as the packed filter.
fn automaton(words: &[Box<[u8]>]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(words)
        .or_else(|_| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(words)
        })
        .expect("an Aho-Corasick automaton over plain words builds")
}

/// A rough chance of each byte value at a position where a byte of its
/// kind is expected, in Chinese chat exported as JSON: a continuation byte
/// among continuation bytes (1/64), a lead byte among the lead bytes of
/// three-byte characters (mostly `E4`–`E9`), an ASCII letter among ASCII
/// bytes (English letter frequencies), and so on. Only guides bucket
/// assignment; results never depend on it.
fn byte_share(b: u8) -> f64 {
    const PER_MILLE: [u8; 26] = [
        82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24,
        2, 20, 1,
    ];
    match b {
        b'a'..=b'z' => 0.5 * PER_MILLE[(b - b'a') as usize] as f64 / 1000.0,
        b'A'..=b'Z' => 0.15 * PER_MILLE[(b - b'A') as usize] as f64 / 1000.0,
        b'0'..=b'9' => 0.02,
        b'"' | b':' | b',' => 0.04,
        b'{' | b'}' | b'[' | b']' | b'_' | b' ' | b'-' | b'.' | b'/' | b'\n' => 0.01,
        0x00..=0x7F => 0.002,
        0x80..=0xBF => 1.0 / 64.0,
        0xE4..=0xE9 => 0.15,
        0xE3 | 0xEF => 0.05,
        0xE0..=0xEF => 0.01,
        _ => 0.005,
    }
}

/// The nibble sets a bucket accepts at one offset (bit `n` = nibble `n`);
/// both full when the offset is free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SlotSet {
    lo: u16,
    hi: u16,
}

impl SlotSet {
    const ANY: SlotSet = SlotSet {
        lo: 0xFFFF,
        hi: 0xFFFF,
    };

    /// Every byte of the set is the lead byte of a multi-byte character
    /// (`C0..=FF`, by its high nibble), and some byte is.
    fn only_leads(self) -> bool {
        self.hi != 0 && self.hi & 0x0FFF == 0
    }

    /// The set of `b`, both cases when `b` is an ASCII letter.
    fn of(b: u8) -> SlotSet {
        let mut s = SlotSet {
            lo: 1 << (b & 15),
            hi: 1 << (b >> 4),
        };
        if b.is_ascii_alphabetic() {
            s.hi |= 1 << ((b ^ 0x20) >> 4);
        }
        s
    }

    fn union(self, o: SlotSet) -> SlotSet {
        SlotSet {
            lo: self.lo | o.lo,
            hi: self.hi | o.hi,
        }
    }

    /// Estimated share of bytes passing.
    fn share(self, shares: &[f64; 256]) -> f64 {
        if self == SlotSet::ANY {
            return 1.0;
        }
        // Walks the set bits only: this runs thousands of times while the
        // buckets are planned, at every start of the program.
        let mut sum = 0.0;
        let mut hs = self.hi;
        while hs != 0 {
            let h = hs.trailing_zeros() as usize;
            hs &= hs - 1;
            let mut ls = self.lo;
            while ls != 0 {
                let l = ls.trailing_zeros() as usize;
                ls &= ls - 1;
                sum += shares[h << 4 | l];
            }
        }
        sum
    }
}

/// A word's fingerprint: its nibble sets at each offset.
fn fingerprint(word: &[u8]) -> [SlotSet; SLOTS] {
    let mut f = [SlotSet::ANY; SLOTS];
    for (s, &off) in OFFSETS.iter().enumerate() {
        if let Some(&b) = word.get(off) {
            f[s] = SlotSet::of(b);
        }
    }
    f
}

/// A bucket being filled: the union of its words' fingerprints, with the
/// estimated share of each of its sets kept as they grow (planning asks
/// for them again and again: recomputing them was most of its cost).
#[derive(Clone, Debug, Default)]
struct Bucket {
    sets: [SlotSet; SLOTS],
    /// `SlotSet::share` of each of `sets` (when the bucket has a word).
    slot_shares: [f64; SLOTS],
    words: Vec<u32>,
}

impl Bucket {
    /// Adds word `i` with fingerprint `print`.
    fn add(&mut self, i: usize, print: &[SlotSet; SLOTS], shares: &[f64; 256]) {
        let (sets, kept, was_empty) = (self.sets, self.slot_shares, self.words.is_empty());
        self.push(i, print);
        self.refresh((!was_empty).then_some((&sets, &kept)), shares);
    }

    /// Adds word `i`'s fingerprint to the sets, leaving their shares to
    /// [`Bucket::refresh`].
    fn push(&mut self, i: usize, print: &[SlotSet; SLOTS]) {
        for (s, p) in self.sets.iter_mut().zip(print) {
            *s = if self.words.is_empty() {
                *p
            } else {
                s.union(*p)
            };
        }
        self.words.push(i as u32);
    }

    /// Computes the shares of the sets, taking that of a set equal to the
    /// one of `known` at its slot (sets and their shares) from there.
    fn refresh(&mut self, known: Option<(&[SlotSet; SLOTS], &[f64; SLOTS])>, shares: &[f64; 256]) {
        for (k, (share, s)) in self.slot_shares.iter_mut().zip(&self.sets).enumerate() {
            *share = match known {
                Some((sets, kept)) if sets[k] == *s => kept[k],
                _ => s.share(shares),
            };
        }
    }

    /// Estimated share of hay positions passing (0 when empty).
    fn share(&self) -> f64 {
        if self.words.is_empty() {
            return 0.0;
        }
        self.slot_shares.iter().product()
    }

    /// [`Bucket::share`] with a word of fingerprint `print` added (the
    /// bucket holding a word): the shares of the sets it leaves as they
    /// are, those of the others computed.
    fn share_with(&self, print: &[SlotSet; SLOTS], shares: &[f64; 256]) -> f64 {
        self.sets
            .iter()
            .zip(&self.slot_shares)
            .zip(print)
            .map(|((s, &share), p)| {
                let u = s.union(*p);
                if u == *s { share } else { u.share(shares) }
            })
            .product()
    }
}

/// Estimated cost of a candidate (leaving the SIMD loop, a block's
/// positions walked, a bucket's words compared), in the units of
/// [`GROUP_COST`]; measured on the built-in gate words and chat JSON lines.
const VERIFY_COST: f64 = 300.0;
/// Estimated cost per byte of one group's table look-ups.
const GROUP_COST: f64 = 0.35;
/// Above this estimated cost per byte the automaton is used instead (it
/// costs about 10 in these units).
const MAX_COST: f64 = 5.0;

/// Spreads `words` over `8 × groups` buckets; returns the buckets and the
/// estimated candidates per hay byte. Words starting with an ASCII byte
/// and the others never share a bucket (their nibble sets would multiply
/// into many bytes of both kinds); each kind gets buckets in proportion to
/// its words, but never more buckets than it has words while the other
/// kind has more words than buckets (the regex rules' eight keywords, six
/// of them ASCII, once left a bucket empty and put `＠` and `艾特` in one
/// bucket, whose nibble sets let through a sixth of the 64-byte blocks of
/// chat JSON instead of a twentieth).
fn assign(
    words: &[Box<[u8]>],
    prints: &[[SlotSet; SLOTS]],
    groups: usize,
    shares: &[f64; 256],
) -> (Vec<Bucket>, f64) {
    let total = 8 * groups;
    let (ascii, other): (Vec<usize>, Vec<usize>) =
        (0..words.len()).partition(|&i| words[i][0].is_ascii());
    let n_ascii = if other.is_empty() {
        total
    } else if ascii.is_empty() {
        0
    } else {
        // ASCII words count twice: JSON keys and ids are ASCII, so their
        // buckets meet far more look-alikes.
        (total * 2 * ascii.len())
            .div_ceil(words.len() + ascii.len())
            .clamp(1, total - 1)
            .min(ascii.len())
            .max(total - other.len().min(total - 1))
    };
    let mut buckets = fill(words, prints, &ascii, n_ascii, shares);
    buckets.extend(fill(words, prints, &other, total - n_ascii, shares));
    let rate = buckets.iter().map(Bucket::share).sum();
    (buckets, rate)
}

/// Spreads the words `ids` over `n` buckets: greedily, each to the bucket
/// whose estimated share grows least, then a few rounds of moving single
/// words where that lowers the total.
fn fill(
    words: &[Box<[u8]>],
    prints: &[[SlotSet; SLOTS]],
    ids: &[usize],
    n: usize,
    shares: &[f64; 256],
) -> Vec<Bucket> {
    let mut buckets = vec![Bucket::default(); n];
    if ids.is_empty() {
        return buckets;
    }
    // The share of a bucket holding one word alone, per word of `ids`.
    let mut alone = vec![0.0; prints.len()];
    for &i in ids {
        alone[i] = prints[i].iter().map(|p| p.share(shares)).product();
    }
    // Words with fewer fixed offsets first, so they get buckets of their
    // own before the longer words fill the rest; then in byte order, so
    // similar words come together.
    let mut order = ids.to_vec();
    let key = |i: usize| {
        let free = prints[i].iter().filter(|s| **s == SlotSet::ANY).count();
        (std::cmp::Reverse(free), &words[i])
    };
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    let best = |buckets: &[Bucket], i: usize| {
        let mut best = (f64::INFINITY, 0);
        let ascii = words[i][0].is_ascii();
        for (k, b) in buckets.iter().enumerate() {
            if b.words
                .first()
                .is_some_and(|&w| words[w as usize][0].is_ascii() != ascii)
            {
                continue;
            }
            // The share of the bucket with the word added (its sets only:
            // cloning the word list for each try costs more than the rest).
            let grown: f64 = if b.words.is_empty() {
                alone[i]
            } else {
                b.share_with(&prints[i], shares)
            };
            // Verification walks the bucket's words: a little extra each.
            let grow = grown * (1.0 + 0.05 * b.words.len() as f64) - b.share();
            if grow < best.0 {
                best = (grow, k);
            }
        }
        best.1
    };
    for &i in &order {
        let k = best(&buckets, i);
        buckets[k].add(i, &prints[i], shares);
    }
    for _ in 0..3 {
        let mut moved = false;
        for &i in &order {
            let from = buckets
                .iter()
                .position(|b| b.words.contains(&(i as u32)))
                .expect("every word has a bucket");
            let mut rest = Bucket::default();
            for &w in buckets[from].words.iter().filter(|&&w| w as usize != i) {
                rest.push(w as usize, &prints[w as usize]);
            }
            let old = &buckets[from];
            rest.refresh(Some((&old.sets, &old.slot_shares)), shares);
            let saved = std::mem::replace(&mut buckets[from], rest);
            let to = best(&buckets, i);
            if to != from {
                moved = true;
                buckets[to].add(i, &prints[i], shares);
            } else {
                buckets[from] = saved;
            }
        }
        if !moved {
            break;
        }
    }
    buckets
}

/// Slots tested in the SIMD scan's first stage: a block whose positions
/// all fail them skips the other slots' loads and look-ups.
const FIRST: usize = 2;

/// The slots in the order the SIMD scan tests them: first the pair with
/// the fewest estimated passing positions over all buckets (for Chinese
/// words usually continuation bytes; for short ASCII words not a free
/// slot), then the others in their order.
///
/// A bucket's pair is estimated to pass at the product of its slots'
/// shares (bytes taken as independent), but for a lead byte and the byte
/// after it (slots 0 and 1 of a word starting with a multi-byte
/// character): those two pick a block of 64 characters, and the byte model
/// knows nothing of blocks. `EF BC` is the lead of every full-width
/// punctuation mark (`，：（）！`): 1.6% of the positions of the
/// benchmark archive, where the product says 0.078%. Without `secret`
/// among the keywords (a config that turned `wecom_secret` off) the
/// keyword search's first stage tested `＠`'s `EF BC` and `艾特`'s `E8 89`
/// (the product tied them with `EF`, `A0`, which the archive never
/// holds), and a pinned scan of the 300 MB archive took 1.078–1.096
/// times as long as with the rule on. The pair is now estimated to pass
/// as often as the rarer of its two bytes: 0.990.
fn slot_order(buckets: &[Bucket]) -> [usize; SLOTS] {
    let mut best = (f64::INFINITY, 0, 1);
    for a in 0..SLOTS {
        for b in a + 1..SLOTS {
            let rate: f64 = buckets
                .iter()
                .filter(|k| !k.words.is_empty())
                .map(|k| {
                    let (x, y) = (k.slot_shares[a], k.slot_shares[b]);
                    // Slots 0 and 1 test offsets 0 and 1.
                    if (a, b) == (0, 1) && k.sets[0].only_leads() {
                        x.min(y)
                    } else {
                        x * y
                    }
                })
                .sum();
            if rate < best.0 {
                best = (rate, a, b);
            }
        }
    }
    let mut order = [best.1, best.2, 0, 0, 0];
    let rest = (0..SLOTS).filter(|&s| s != best.1 && s != best.2);
    for (o, s) in order[FIRST..].iter_mut().zip(rest) {
        *o = s;
    }
    order
}

impl Packed {
    /// Plans the buckets for `words` (distinct, lower case, non-empty) and
    /// the tables of the `simd` scan, or gives the words back when an
    /// automaton would be faster.
    fn plan(words: Vec<Box<[u8]>>, simd: Simd) -> Result<Packed, Vec<Box<[u8]>>> {
        let shares: [f64; 256] = std::array::from_fn(|b| byte_share(b as u8));
        let prints: Vec<_> = words.iter().map(|w| fingerprint(w)).collect();
        let most = words.len().div_ceil(8).clamp(1, MAX_GROUPS);
        let mut best: Option<(f64, usize, Vec<Bucket>)> = None;
        for groups in 1..=most {
            let (buckets, rate) = assign(&words, &prints, groups, &shares);
            let cost = groups as f64 * GROUP_COST + rate * VERIFY_COST;
            if best.as_ref().is_none_or(|b| cost < b.0) {
                best = Some((cost, groups, buckets));
            } else {
                // More groups cost more table look-ups than they save in
                // candidates from here on: planning stops (it runs at every
                // start of the program).
                break;
            }
        }
        let (cost, groups, buckets) = best.expect("at least one group tried");
        if cost > MAX_COST {
            return Err(words);
        }
        let order = slot_order(&buckets);
        let mut tables = vec![GroupTables([[[0u8; 32]; 2]; SLOTS]); groups];
        let mut scalar = Box::new([[0u64; 256]; SLOTS]);
        for (k, b) in buckets.iter().enumerate() {
            if b.words.is_empty() {
                continue;
            }
            let (g, bit) = (k / 8, 1u8 << (k % 8));
            for (s, set) in b.sets.iter().enumerate() {
                let at = order.iter().position(|&o| o == s).expect("a permutation");
                for n in 0..16 {
                    for lane in [0, 16] {
                        if set.lo & (1 << n) != 0 {
                            tables[g].0[at][0][lane + n] |= bit;
                        }
                        if set.hi & (1 << n) != 0 {
                            tables[g].0[at][1][lane + n] |= bit;
                        }
                    }
                }
                for (byte, m) in scalar[s].iter_mut().enumerate() {
                    if set.lo & (1 << (byte & 15)) != 0 && set.hi & (1 << (byte >> 4)) != 0 {
                        *m |= 1 << k;
                    }
                }
            }
        }
        // The AVX-512 tables: the per-byte masks above, cut into groups.
        let wide = if simd == Simd::Avx512 {
            (0..groups)
                .map(|g| {
                    let mut t = WideTables([[[0u8; 64]; 4]; SLOTS]);
                    for (at, &s) in order.iter().enumerate() {
                        for (byte, m) in scalar[s].iter().enumerate() {
                            t.0[at][byte / 64][byte % 64] = (m >> (8 * g)) as u8;
                        }
                    }
                    t
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Packed {
            groups,
            tables,
            order,
            scalar,
            buckets: buckets.into_iter().map(|b| b.words).collect(),
            words,
            simd,
            wide,
        })
    }

    #[inline]
    fn find(&self, hay: &[u8]) -> bool {
        self.scan(hay, |pos, m| self.verify(hay, pos, m))
    }

    /// Calls `f(position, buckets)` for each candidate in order of position
    /// until it returns true; returns whether it did. Every scan finds the
    /// same candidates, those of [`Packed::scan_scalar`].
    #[inline]
    fn scan(&self, hay: &[u8], f: impl FnMut(usize, u64) -> bool) -> bool {
        match self.simd {
            // SAFETY: `simd` is only AVX2 when AVX2 was detected at run
            // time (`Simd::available`).
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { avx2::scan(self, hay, f) },
            // SAFETY: likewise for AVX-512 (F, BW, VBMI).
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { avx512::scan(self, hay, f) },
            _ => self.scan_scalar(hay, f),
        }
    }

    /// The portable scan, the reference of the SIMD ones: position `i` is
    /// a candidate for the buckets passing every offset's byte, bytes past
    /// the end read as zero.
    fn scan_scalar(&self, hay: &[u8], mut f: impl FnMut(usize, u64) -> bool) -> bool {
        let t = &*self.scalar;
        let n = hay.len();
        let fast = n.saturating_sub(REACH - 1);
        for i in 0..fast {
            let mut m = t[1][hay[i + OFFSETS[1]] as usize];
            if m == 0 {
                continue;
            }
            for s in [0, 2, 3, 4] {
                m &= t[s][hay[i + OFFSETS[s]] as usize];
            }
            if m != 0 && f(i, m) {
                return true;
            }
        }
        for i in fast..n {
            let mut m = u64::MAX;
            for (s, &off) in OFFSETS.iter().enumerate() {
                m &= t[s][hay.get(i + off).copied().unwrap_or(0) as usize];
            }
            if m != 0 && f(i, m) {
                return true;
            }
        }
        false
    }

    /// Whether a word of a bucket in `buckets` (bit `k` = bucket `k`)
    /// starts at `pos`.
    #[inline]
    fn verify(&self, hay: &[u8], pos: usize, mut buckets: u64) -> bool {
        let rest = &hay[pos..];
        while buckets != 0 {
            let k = buckets.trailing_zeros() as usize;
            buckets &= buckets - 1;
            for &w in &self.buckets[k] {
                let w = &self.words[w as usize];
                if rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w) {
                    return true;
                }
            }
        }
        false
    }
}

/// Calls the `scan_groups` in scope with the number of groups of `p` as
/// its constant (each SIMD module's own, compiled for its features).
#[cfg(target_arch = "x86_64")]
macro_rules! by_groups {
    ($p:expr, $hay:expr, $f:expr) => {
        match $p.groups {
            1 => scan_groups::<1, _>($p, $hay, $f),
            2 => scan_groups::<2, _>($p, $hay, $f),
            3 => scan_groups::<3, _>($p, $hay, $f),
            4 => scan_groups::<4, _>($p, $hay, $f),
            5 => scan_groups::<5, _>($p, $hay, $f),
            6 => scan_groups::<6, _>($p, $hay, $f),
            7 => scan_groups::<7, _>($p, $hay, $f),
            _ => scan_groups::<MAX_GROUPS, _>($p, $hay, $f),
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK, FIRST, GroupTables, MAX_GROUPS, OFFSETS, Packed, REACH, SLOTS};
    use std::arch::x86_64::*;

    /// The AVX2 scan of `hay`: `f(position, buckets)` for each candidate
    /// until it returns true (see [`Packed::scan`]).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn scan(p: &Packed, hay: &[u8], f: impl FnMut(usize, u64) -> bool) -> bool {
        // SAFETY: the caller guarantees AVX2.
        unsafe { by_groups!(p, hay, f) }
    }

    /// Scans `hay` with `G` groups of bucket tables.
    ///
    /// # Safety
    /// The CPU must support AVX2 and `p.tables` must hold `G` groups.
    #[target_feature(enable = "avx2")]
    unsafe fn scan_groups<const G: usize, F: FnMut(usize, u64) -> bool>(
        p: &Packed,
        hay: &[u8],
        mut f: F,
    ) -> bool {
        debug_assert_eq!(p.tables.len(), G);
        let tables: &[GroupTables; G] = p.tables[..G].try_into().expect("G groups");
        let offs: [usize; SLOTS] = p.order.map(|s| OFFSETS[s]);
        // The first stage's tables, loaded once (they stay in registers
        // for one or two groups).
        let first: [[[__m256i; 2]; FIRST]; G] = std::array::from_fn(|g| {
            std::array::from_fn(|s| {
                // SAFETY: the tables are 32-byte aligned arrays of 32 bytes.
                std::array::from_fn(|h| unsafe {
                    _mm256_load_si256(tables[g].0[s][h].as_ptr().cast())
                })
            })
        });
        let n = hay.len();
        let mut i = 0;
        while i + BLOCK + REACH - 1 <= n {
            // SAFETY: AVX2 is available and `hay[i..i + BLOCK + REACH - 1]`
            // is in bounds, which is all `block` reads.
            let acc = unsafe { block::<G>(tables, &first, &offs, hay.as_ptr().add(i)) };
            if let Some(acc) = acc
                && hits(i, &acc, BLOCK, &mut f)
            {
                return true;
            }
            i += BLOCK;
        }
        // The last positions (the whole hay when it is short), whose loads
        // would reach past its end: copied into a buffer padded with zeros.
        // A word that fits in the hay has its fingerprint bytes in the
        // copy (a padded byte is read only by a slot past a word's end,
        // which the word leaves free), and the portable scan reads bytes
        // past the end as zeros too; candidates past the end are dropped.
        // (One or two blocks here cost about a third of walking the last
        // positions one by one.)
        let rest = n - i;
        if rest == 0 {
            return false;
        }
        let mut buf = [0u8; 2 * BLOCK + REACH];
        buf[..rest].copy_from_slice(&hay[i..]);
        let mut j = 0;
        while j < rest {
            // SAFETY: AVX2 is available and `buf[j..j + BLOCK + REACH - 1]`
            // is in bounds since `j < rest < BLOCK + REACH - 1`.
            let acc = unsafe { block::<G>(tables, &first, &offs, buf.as_ptr().add(j)) };
            if let Some(acc) = acc
                && hits(i + j, &acc, (rest - j).min(BLOCK), &mut f)
            {
                return true;
            }
            j += BLOCK;
        }
        false
    }

    /// Hands on the candidates of one block: `acc[g][k]` holds the buckets
    /// of group `g` passing at position `base + k`; only positions
    /// `base..base + to` count.
    #[inline(never)]
    fn hits<const G: usize, F: FnMut(usize, u64) -> bool>(
        base: usize,
        acc: &[[u8; BLOCK]; G],
        to: usize,
        f: &mut F,
    ) -> bool {
        for k in 0..to {
            let mut m = 0u64;
            for (g, a) in acc.iter().enumerate() {
                m |= (a[k] as u64) << (8 * g);
            }
            if m != 0 && f(base + k, m) {
                return true;
            }
        }
        false
    }

    /// The bucket bits of the 32 positions at `q`, per group, or `None`
    /// when no position passes any bucket. `offs` are the offsets of the
    /// tables' slots: the first `FIRST` alone reject most blocks, which
    /// then skip the other slots.
    ///
    /// # Safety
    /// The CPU must support AVX2 and `q..q + BLOCK + REACH - 1` must be
    /// readable.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block<const G: usize>(
        tables: &[GroupTables; G],
        first: &[[[__m256i; 2]; FIRST]; G],
        offs: &[usize; SLOTS],
        q: *const u8,
    ) -> Option<[[u8; BLOCK]; G]> {
        let mut acc = [_mm256_set1_epi8(-1); G];
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            if !slots::<G>(|g, s| first[g][s], offs, q, 0..FIRST, &mut acc)
                || !slots::<G>(
                    |g, s| {
                        let t = &tables[g].0[s];
                        // SAFETY (in the enclosing block): the tables are
                        // 32-byte aligned arrays of 32 bytes.
                        [
                            _mm256_load_si256(t[0].as_ptr().cast()),
                            _mm256_load_si256(t[1].as_ptr().cast()),
                        ]
                    },
                    offs,
                    q,
                    FIRST..SLOTS,
                    &mut acc,
                )
            {
                return None;
            }
        }
        let mut out = [[0u8; BLOCK]; G];
        for g in 0..G {
            // SAFETY: `out[g]` is 32 writable bytes.
            unsafe { _mm256_storeu_si256(out[g].as_mut_ptr().cast(), acc[g]) };
        }
        Some(out)
    }

    /// ANDs into `acc` the bucket bits of the slots `range` at the 32
    /// positions at `q`, with `table(g, s)` the low- and high-nibble
    /// tables of group `g` and slot `s`; false when then no position
    /// passes any bucket.
    ///
    /// # Safety
    /// As for [`block`].
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn slots<const G: usize>(
        table: impl Fn(usize, usize) -> [__m256i; 2],
        offs: &[usize; SLOTS],
        q: *const u8,
        range: std::ops::Range<usize>,
        acc: &mut [__m256i; G],
    ) -> bool {
        let nib = _mm256_set1_epi8(0x0F);
        for s in range {
            // SAFETY: `offs[s] + BLOCK <= BLOCK + REACH - 1`, readable by
            // the caller's guarantee; unaligned loads are allowed.
            let v = unsafe { _mm256_loadu_si256(q.add(offs[s]).cast()) };
            let lo = _mm256_and_si256(v, nib);
            let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nib);
            for (g, a) in acc.iter_mut().enumerate() {
                let [tl, th] = table(g, s);
                let m = _mm256_and_si256(_mm256_shuffle_epi8(tl, lo), _mm256_shuffle_epi8(th, hi));
                *a = _mm256_and_si256(*a, m);
            }
        }
        let mut any = _mm256_setzero_si256();
        for a in acc.iter() {
            any = _mm256_or_si256(any, *a);
        }
        _mm256_testz_si256(any, any) == 0
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{FIRST, MAX_GROUPS, OFFSETS, Packed, REACH, SLOTS, WideTables};
    use std::arch::x86_64::*;

    /// Positions per AVX-512 block.
    const WIDE: usize = 64;

    /// How far ahead of the block being scanned its cache line is asked
    /// for (`prefetcht0`), in bytes.
    ///
    /// Key decision: the keyword prefilter (`rules::Keywords`) is the first
    /// pass over each chunk, so it is the pass that waits for the chunk's
    /// bytes to come into this core's cache (at `-j1` a reader thread
    /// copied them on the other core; at `-j2` a worker copied them a
    /// megabyte earlier), and the hardware prefetcher stops at every 4 KiB
    /// page. Asking for each line 2 KiB ahead took the 300 MB archive from
    /// 391 to 375-379 ms at `-j1` and from 241 to 229-232 ms at `-j2`
    /// (medians of 9-11 interleaved runs; 1, 2 and 4 KiB all did about as
    /// well). On the short hays of the gate's window searches the few
    /// extra prefetches fetch the lines the gate reads next anyway.
    const PREFETCH: usize = 2048;

    /// The AVX-512 scan of `hay`: `f(position, buckets)` for each
    /// candidate until it returns true (see [`Packed::scan`]).
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW and VBMI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub unsafe fn scan(p: &Packed, hay: &[u8], f: impl FnMut(usize, u64) -> bool) -> bool {
        // SAFETY: the caller guarantees the features.
        unsafe { by_groups!(p, hay, f) }
    }

    /// The low `n` bits set (all 64 from `n = 64` on).
    #[inline]
    fn low_bits(n: usize) -> u64 {
        if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
    }

    /// Scans `hay` with `G` groups of bucket tables, 64 positions a block.
    /// Each offset's bytes are looked up exactly, in the 256-entry table
    /// of each group: two two-register permutes (`vpermi2b`, 128 entries
    /// each, by the low seven bits) and a blend on the top bit, where AVX2
    /// needs two nibble shuffles and the nibbles' masking and shift.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW and VBMI, and `p.wide` must hold
    /// `G` groups.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn scan_groups<const G: usize, F: FnMut(usize, u64) -> bool>(
        p: &Packed,
        hay: &[u8],
        mut f: F,
    ) -> bool {
        debug_assert_eq!(p.wide.len(), G);
        let tables: &[WideTables; G] = p.wide[..G].try_into().expect("G groups");
        let offs: [usize; SLOTS] = p.order.map(|s| OFFSETS[s]);
        // The first stage's tables, loaded once.
        let first: [[[__m512i; 4]; FIRST]; G] =
            std::array::from_fn(|g| std::array::from_fn(|s| quarters(&tables[g].0[s])));
        let n = hay.len();
        let q = hay.as_ptr();
        let mut i = 0;
        while i + WIDE + REACH - 1 <= n {
            // SAFETY: `hay[i + off..i + off + WIDE]` is in bounds for
            // every offset (`off < REACH`); unaligned loads are allowed.
            let load = |off: usize| unsafe { _mm512_loadu_si512(q.add(i + off).cast()) };
            // A prefetch never faults, so the address may lie past the hay
            // (formed without `add` for that reason).
            _mm_prefetch::<_MM_HINT_T0>(q.wrapping_add(i + PREFETCH).cast());
            if let Some((acc, cand)) = block::<G>(tables, &first, &offs, load)
                && hits(i, &acc, cand, &mut f)
            {
                return true;
            }
            i += WIDE;
        }
        // The last positions (at most two blocks): masked loads read the
        // bytes in the hay only, the others are zeros, as in the portable
        // scan; candidates past the end are dropped.
        while i < n {
            let left = n - i;
            let load = |off: usize| {
                // SAFETY: the mask holds only the bytes from `i + off` up
                // to the end of the hay, and a masked load does not touch
                // the bytes left out (no fault either); the address is
                // formed without `add` as it may lie past the end.
                unsafe {
                    _mm512_maskz_loadu_epi8(
                        low_bits(left.saturating_sub(off)),
                        q.wrapping_add(i + off).cast(),
                    )
                }
            };
            if let Some((acc, cand)) = block::<G>(tables, &first, &offs, load) {
                let cand = cand & low_bits(left);
                if cand != 0 && hits(i, &acc, cand, &mut f) {
                    return true;
                }
            }
            i += WIDE;
        }
        false
    }

    /// The four quarters of one slot's table.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn quarters(t: &[[u8; 64]; 4]) -> [__m512i; 4] {
        // SAFETY: each quarter is 64 bytes, 64-byte aligned.
        std::array::from_fn(|h| unsafe { _mm512_load_si512(t[h].as_ptr().cast()) })
    }

    /// Hands on the candidates `cand` (bit `k` = position `base + k`) of
    /// one block: `acc[g][k]` holds the buckets of group `g` passing at
    /// position `base + k`.
    #[inline(never)]
    fn hits<const G: usize, F: FnMut(usize, u64) -> bool>(
        base: usize,
        acc: &[[u8; WIDE]; G],
        mut cand: u64,
        f: &mut F,
    ) -> bool {
        while cand != 0 {
            let k = cand.trailing_zeros() as usize;
            cand &= cand - 1;
            let mut m = 0u64;
            for (g, a) in acc.iter().enumerate() {
                m |= (a[k] as u64) << (8 * g);
            }
            if f(base + k, m) {
                return true;
            }
        }
        false
    }

    /// The bucket bits of the 64 positions of a block, per group, and the
    /// positions passing some bucket (bit `k` = position `k`), or `None`
    /// when none does. `load(off)` gives the 64 bytes at offset `off` from
    /// the block's start; the first `FIRST` slots alone reject most
    /// blocks, which then skip the other slots.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    fn block<const G: usize>(
        tables: &[WideTables; G],
        first: &[[[__m512i; 4]; FIRST]; G],
        offs: &[usize; SLOTS],
        load: impl Fn(usize) -> __m512i,
    ) -> Option<([[u8; WIDE]; G], u64)> {
        let mut acc = [_mm512_set1_epi8(-1); G];
        if slots::<G>(|g, s| first[g][s], offs, &load, 0..FIRST, &mut acc) == 0 {
            return None;
        }
        let cand = slots::<G>(
            |g, s| quarters(&tables[g].0[s]),
            offs,
            &load,
            FIRST..SLOTS,
            &mut acc,
        );
        if cand == 0 {
            return None;
        }
        let mut out = [[0u8; WIDE]; G];
        for g in 0..G {
            // SAFETY: `out[g]` is 64 writable bytes.
            unsafe { _mm512_storeu_si512(out[g].as_mut_ptr().cast(), acc[g]) };
        }
        Some((out, cand))
    }

    /// ANDs into `acc` the bucket bits of the slots `range`, with
    /// `table(g, s)` the four table quarters of group `g` and slot `s`;
    /// returns the positions then passing some bucket.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    fn slots<const G: usize>(
        table: impl Fn(usize, usize) -> [__m512i; 4],
        offs: &[usize; SLOTS],
        load: &impl Fn(usize) -> __m512i,
        range: std::ops::Range<usize>,
        acc: &mut [__m512i; G],
    ) -> u64 {
        for s in range {
            let v = load(offs[s]);
            let high = _mm512_movepi8_mask(v);
            for (g, a) in acc.iter_mut().enumerate() {
                let [t0, t1, t2, t3] = table(g, s);
                let lo = _mm512_permutex2var_epi8(t0, v, t1);
                let hi = _mm512_permutex2var_epi8(t2, v, t3);
                *a = _mm512_and_si512(*a, _mm512_mask_blend_epi8(high, lo, hi));
            }
        }
        let mut any = acc[0];
        for a in &acc[1..] {
            any = _mm512_or_si512(any, *a);
        }
        _mm512_test_epi8_mask(any, any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line gate's words of the built-in rules (2026-12).
    const GATE_WORDS: [&str; 122] = [
        "身份证",
        "身份证号",
        "身份證",
        "身分證",
        "证件号",
        "证件号码",
        "公民身份号码",
        "居民身份证",
        "居住证",
        "户口",
        "社保号",
        "社会保障号码",
        "医保号",
        "sfz",
        "id card",
        "id no",
        "identity card",
        "national id",
        "prc id",
        "鉴定",
        "鑑定",
        "旧身份证",
        "护照",
        "護照",
        "passport",
        "护照号",
        "护照号码",
        "回乡证",
        "回鄉證",
        "港澳居民来往内地通行证",
        "home return permit",
        "港澳通行证",
        "往来港澳通行证",
        "通行证",
        "双程证",
        "eep",
        "台胞证",
        "臺胞證",
        "台湾居民来往大陆通行证",
        "mtp",
        "香港身份证",
        "香港身份證",
        "hkid",
        "hong kong identity",
        "hong kong id",
        "身分证",
        "统一编号",
        "統一編號",
        "居留证",
        "居留證",
        "taiwan id",
        "idcard",
        "银行卡",
        "卡号",
        "储蓄卡",
        "借记卡",
        "信用卡",
        "银联",
        "工行",
        "农行",
        "中行",
        "建行",
        "交行",
        "招行",
        "邮储",
        "转账",
        "收款",
        "card no",
        "card number",
        "debit",
        "credit card",
        "unionpay",
        "户名",
        "账号",
        "帐号",
        "收款账号",
        "收款帐号",
        "开户行",
        "开户银行",
        "开户支行",
        "收款人",
        "联行号",
        "行号",
        "对公",
        "对私",
        "银行账户",
        "存折",
        "swift",
        "account no",
        "account number",
        "手机",
        "手机号",
        "电话",
        "联系电话",
        "联系方式",
        "電話",
        "手機",
        "微信同号",
        "vx",
        "v信",
        "tel",
        "mobile",
        "phone",
        "cell",
        "☎",
        "📱",
        "座机",
        "固话",
        "办公电话",
        "传真",
        "分机",
        "fax",
        "统一社会信用代码",
        "信用代码",
        "纳税人识别号",
        "税号",
        "营业执照",
        "个体工商户",
        "uscc",
        "tax id",
        "business license",
        "tin",
    ];

    use crate::detect::TestRng as Rng;

    fn reference<W: AsRef<[u8]>>(words: &[W]) -> AhoCorasick {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(words)
            .unwrap()
    }

    /// Both paths (and the SIMD one when the CPU has it) agree with the
    /// automaton on `hay`.
    fn agree(ac: &AhoCorasick, filters: &[WordFilter], hay: &[u8]) {
        let want = ac.is_match(hay);
        for f in filters {
            assert_eq!(
                f.may_contain(hay),
                want,
                "{} on {:?}",
                f.strategy(),
                String::from_utf8_lossy(hay)
            );
        }
    }

    /// The portable filter and every SIMD one this CPU runs.
    fn filters<W: AsRef<[u8]>>(words: &[W]) -> Vec<WordFilter> {
        let mut v = vec![WordFilter::portable(words)];
        v.extend(
            [Simd::Avx2, Simd::Avx512]
                .into_iter()
                .filter_map(|s| WordFilter::with_simd(words, s)),
        );
        v
    }

    /// Random case changes of the ASCII letters of `w`.
    fn recase(rng: &mut Rng, w: &[u8]) -> Vec<u8> {
        w.iter()
            .map(|&b| {
                if rng.below(2) == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    }

    const FILLER: [&str; 24] = [
        "好的",
        "收到",
        "明天",
        "会议",
        "号",
        "行",
        "证",
        "中",
        "的",
        "你",
        "手",
        "电",
        "信",
        "卡",
        "户",
        "通",
        "，",
        "。",
        "：",
        "\"content\":\"",
        "1385",
        " ",
        "ab",
        "Tel",
    ];

    /// A chat-like hay: filler, digits, ASCII, random bytes, some words
    /// (whole, recased or cut short) planted anywhere.
    fn hay(rng: &mut Rng, words: &[&[u8]], len: usize) -> Vec<u8> {
        let mut h = Vec::with_capacity(len + 16);
        while h.len() < len {
            match rng.below(20) {
                0 => h.push(rng.next() as u8),
                1 => {
                    let w = words[rng.below(words.len())];
                    h.extend_from_slice(&recase(rng, w));
                }
                2 => {
                    let w = words[rng.below(words.len())];
                    let cut = rng.below(w.len());
                    h.extend_from_slice(&recase(rng, &w[..cut]));
                }
                3 => h.push(b'0' + rng.below(10) as u8),
                4 => {
                    let w = words[rng.below(words.len())];
                    h.extend_from_slice(&w[1.min(w.len())..]);
                }
                _ => h.extend_from_slice(FILLER[rng.below(FILLER.len())].as_bytes()),
            }
        }
        h.truncate(len);
        h
    }

    /// Background without any word: Chinese filler only, no planted
    /// words; each word then planted at every offset near block borders.
    fn plant_everywhere(words: &[&[u8]], rng: &mut Rng) {
        let ac = reference(words);
        let fs = filters(words);
        for &w in words {
            for total in [w.len(), 31, 32, 33, 37, 40, 63, 64, 65, 70, 100, 131] {
                if total < w.len() {
                    continue;
                }
                for at in 0..=total - w.len() {
                    let mut h = hay(rng, &[b"\xE5\xA5\xBD"], total);
                    let planted = recase(rng, w);
                    h[at..at + w.len()].copy_from_slice(&planted);
                    agree(&ac, &fs, &h);
                    // The same, cut one byte short at the end.
                    agree(&ac, &fs, &h[..at + w.len() - 1]);
                }
            }
        }
    }

    #[test]
    fn gate_words_planted_at_every_offset() {
        let words: Vec<&[u8]> = GATE_WORDS.iter().map(|w| w.as_bytes()).collect();
        plant_everywhere(&words, &mut Rng(1));
    }

    #[test]
    fn gate_words_random_chat() {
        let words: Vec<&[u8]> = GATE_WORDS.iter().map(|w| w.as_bytes()).collect();
        let ac = reference(&words);
        let fs = filters(&words);
        let mut rng = Rng(2);
        for _ in 0..20_000 {
            let len = match rng.below(4) {
                0 => rng.below(8),
                1 => rng.below(80),
                _ => rng.below(1500),
            };
            let h = hay(&mut rng, &words, len);
            agree(&ac, &fs, &h);
        }
    }

    #[test]
    fn gate_words_uses_packed_buckets() {
        let f = WordFilter::new(&GATE_WORDS);
        let want = match Simd::best() {
            Simd::Avx512 => "avx512",
            Simd::Avx2 => "avx2",
            Simd::Scalar => "automaton",
        };
        assert!(f.strategy().starts_with(want), "{}", f.strategy());
        for simd in [Simd::Avx2, Simd::Avx512] {
            if let Some(f) = WordFilter::with_simd(&GATE_WORDS, simd) {
                assert!(f.strategy().starts_with(simd.name()), "{}", f.strategy());
            }
        }
        assert!(
            WordFilter::portable(&GATE_WORDS)
                .strategy()
                .starts_with("scalar")
        );
    }

    /// A kind of word (ASCII or not) gets no more buckets than it has
    /// words while the other kind has more words than buckets: with eight
    /// words and eight buckets (the regex rules' keywords, two of them
    /// Chinese) no bucket is left empty and none holds two words.
    #[test]
    fn few_words_get_buckets_of_their_own() {
        let keywords = crate::detect::rules::BUILTIN_KEYWORDS;
        let s = WordStarts::new(&keywords, Simd::Scalar).expect("the keywords suit the buckets");
        assert_eq!(s.bucket_count(), 8);
        for k in 0..8 {
            assert_eq!(s.bucket_words(k).len(), 1, "bucket {k}");
        }
    }

    #[test]
    fn tiny_and_empty_hays() {
        let words: Vec<&[u8]> = GATE_WORDS.iter().map(|w| w.as_bytes()).collect();
        let ac = reference(&words);
        let fs = filters(&words);
        agree(&ac, &fs, b"");
        let alphabet: [&[u8]; 8] = [
            b"t",
            b"e",
            b"l",
            b"V",
            b"x",
            "信".as_bytes(),
            b"\xE2",
            b"\x98",
        ];
        let mut rng = Rng(3);
        for _ in 0..20_000 {
            let mut h = Vec::new();
            for _ in 0..rng.below(7) {
                h.extend_from_slice(alphabet[rng.below(alphabet.len())]);
            }
            agree(&ac, &fs, &h);
        }
        for w in &words {
            agree(&ac, &fs, w);
            agree(&ac, &fs, &w[..w.len() - 1]);
        }
    }

    #[test]
    fn short_and_odd_words() {
        let mut rng = Rng(4);
        let sets: [&[&[u8]]; 6] = [
            &[b"@"],
            &[b"x", "身份证".as_bytes()],
            &[b"Id", b"\xFF\xFE", "☎".as_bytes(), "📱".as_bytes()],
            &[b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j"],
            &[b"\x00", b"\"content\""],
            &[b"ID CARD", b"id card", b"Hong Kong"],
        ];
        for words in sets {
            plant_everywhere(words, &mut rng);
            let ac = reference(words);
            let fs = filters(words);
            for _ in 0..2_000 {
                let len = rng.below(300);
                agree(&ac, &fs, &hay(&mut rng, words, len));
            }
        }
    }

    /// The portable plan of `words` (lower-cased, as the filters take
    /// them), or `None` where an automaton would serve instead.
    fn plan_of(words: &[&str]) -> Option<Packed> {
        let distinct: Vec<Box<[u8]>> = words
            .iter()
            .map(|w| w.as_bytes().to_ascii_lowercase().into_boxed_slice())
            .collect();
        Packed::plan(distinct, Simd::Scalar).ok()
    }

    /// The SIMD scan's slot order is a permutation of the slots, and its
    /// first stage holds a slot fixed for short words such as `vx`.
    #[test]
    fn slot_order_is_a_permutation() {
        let sets: [&[&str]; 4] = [&GATE_WORDS, &["vx", "tel"], &["账号", "户名"], &["@"]];
        for words in sets {
            let Some(p) = plan_of(words) else {
                continue;
            };
            let mut seen = p.order;
            seen.sort_unstable();
            assert_eq!(seen, [0, 1, 2, 3, 4], "{words:?}");
        }
        let p = plan_of(&["vx", "tel"]).expect("buckets");
        assert!(
            p.order[..FIRST].iter().any(|&s| OFFSETS[s] < 2),
            "{:?}",
            p.order
        );
    }

    /// The first stage never tests a lead byte with the byte after it (a
    /// block of 64 characters: `EF BC` is every full-width punctuation
    /// mark) when another pair does as well by the byte model: the regex
    /// rules' keywords without `secret` (a config with `wecom_secret` off)
    /// tested `＠`'s `EF BC`, and the keyword search slowed by a tenth. The
    /// built-in keywords and gate words keep their plans.
    #[test]
    fn first_stage_leaves_out_lead_and_next_byte() {
        let plan = |words: &[&str]| plan_of(words).expect("buckets").order;
        let mut keywords = vec![
            "@",
            "＠",
            "(at)",
            "[at]",
            "艾特",
            "qyapi.weixin.qq.com/cgi-bin/webhook",
            "private key-----",
        ];
        let first = |order: [usize; SLOTS]| {
            let mut f = [OFFSETS[order[0]], OFFSETS[order[1]]];
            f.sort_unstable();
            f
        };
        assert_eq!(first(plan(&keywords)), [0, 2]);
        keywords.push("secret");
        assert_eq!(first(plan(&keywords)), [0, 2]);
        assert_eq!(first(plan(&GATE_WORDS)), [1, 2]);
        assert_eq!(first(plan(&["＠"])), [1, 2]);
    }

    /// Every scan this CPU runs finds the very candidates of the portable
    /// one (positions and buckets), on hays of every length around the
    /// block sizes and on long ones, for the gate words (several groups)
    /// and for the keywords of the regex rules (a one-byte word among
    /// them); and stops where the callback says.
    #[test]
    fn scans_find_the_portable_candidates() {
        let gate: Vec<&[u8]> = GATE_WORDS.iter().map(|w| w.as_bytes()).collect();
        let keywords: Vec<&[u8]> = vec![
            b"@",
            "＠".as_bytes(),
            b"(at)",
            b"[at]",
            "艾特".as_bytes(),
            b"secret",
            b"qyapi.weixin.qq.com/cgi-bin/webhook",
            b"private key-----",
        ];
        let mut rng = Rng(7);
        for words in [&gate, &keywords] {
            let scalar = WordStarts::new(words, Simd::Scalar).expect("buckets");
            let others: Vec<WordStarts> = [Simd::Avx2, Simd::Avx512]
                .into_iter()
                .filter_map(|s| WordStarts::new(words, s))
                .collect();
            let all = |w: &WordStarts, h: &[u8]| {
                let mut v = Vec::new();
                w.for_each(h, |p, m| {
                    v.push((p, m));
                    false
                });
                v
            };
            let lens = (0..200).chain([640, 681, 1000, 4099]);
            for len in lens {
                for _ in 0..4 {
                    let h = hay(&mut rng, words, len);
                    let want = all(&scalar, &h);
                    for o in &others {
                        assert_eq!(all(o, &h), want, "{} len {len}", o.packed.simd.name());
                        // Stopping at the k-th candidate.
                        if !want.is_empty() {
                            let stop = rng.below(want.len());
                            let mut seen = 0;
                            assert!(o.for_each(&h, |_, _| {
                                seen += 1;
                                seen > stop
                            }));
                            assert_eq!(seen, stop + 1);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn empty_word_and_no_words() {
        let none: [&str; 0] = [];
        let f = WordFilter::new(&none);
        assert!(!f.may_contain(b"") && !f.may_contain(b"abc"));
        let f = WordFilter::new(&["tel", ""]);
        assert!(f.may_contain(b"") && f.may_contain(b"xyz"));
        assert!(reference(&["tel", ""]).is_match(b""));
    }

    /// Random Unicode words, from a few to hundreds, over random text
    /// drawn from the same characters.
    #[test]
    fn random_word_sets() {
        let mut rng = Rng(5);
        let chars: Vec<char> = "身份证号码户口护照银行卡账号手机电话微信中国人民的一是在不了有和这为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
            .chars()
            .collect();
        for round in 0..60 {
            let n = [1, 2, 5, 20, 60, 122, 300, 700][round % 8];
            let words: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let len = 1 + rng.below(5);
                    let mut w = String::new();
                    for _ in 0..len {
                        match rng.below(4) {
                            0 => w.push((b'a' + rng.below(26) as u8) as char),
                            1 => w.push(
                                char::from_u32(0x80 + rng.below(0x2000) as u32).unwrap_or('é'),
                            ),
                            _ => w.push(chars[rng.below(chars.len())]),
                        }
                    }
                    w.into_bytes()
                })
                .collect();
            let refs: Vec<&[u8]> = words.iter().map(|w| &w[..]).collect();
            let ac = reference(&refs);
            let fs = filters(&refs);
            for _ in 0..300 {
                let len = rng.below(700);
                let mut h = Vec::new();
                while h.len() < len {
                    if rng.below(30) == 0 {
                        let w = refs[rng.below(refs.len())];
                        h.extend_from_slice(&recase(&mut rng, w));
                    } else if rng.below(3) == 0 {
                        h.push(b' ' + rng.below(90) as u8);
                    } else {
                        let mut buf = [0u8; 4];
                        h.extend_from_slice(
                            chars[rng.below(chars.len())]
                                .encode_utf8(&mut buf)
                                .as_bytes(),
                        );
                    }
                }
                agree(&ac, &fs, &h);
            }
        }
    }

    #[test]
    fn many_words_fall_back_to_the_automaton() {
        let mut rng = Rng(6);
        let words: Vec<Vec<u8>> = (0..5000)
            .map(|_| {
                (0..1 + rng.below(2))
                    .map(|_| b'a' + rng.below(26) as u8)
                    .collect()
            })
            .collect();
        let f = WordFilter::new(&words);
        assert_eq!(f.strategy(), "automaton");
        let ac = reference(&words);
        for _ in 0..200 {
            let h: Vec<u8> = (0..rng.below(50)).map(|_| rng.next() as u8).collect();
            assert_eq!(f.may_contain(&h), ac.is_match(&h));
        }
    }

    /// `fill` as first written, the reference of the one that keeps its
    /// buckets' shares: every share computed from the sets when asked.
    fn fill_reference(
        words: &[Box<[u8]>],
        prints: &[[SlotSet; SLOTS]],
        ids: &[usize],
        n: usize,
        shares: &[f64; 256],
    ) -> Vec<(Vec<u32>, [SlotSet; SLOTS])> {
        #[derive(Clone, Default)]
        struct Plain {
            sets: [SlotSet; SLOTS],
            words: Vec<u32>,
        }
        impl Plain {
            fn add(&mut self, i: usize, print: &[SlotSet; SLOTS]) {
                for (s, p) in self.sets.iter_mut().zip(print) {
                    *s = if self.words.is_empty() {
                        *p
                    } else {
                        s.union(*p)
                    };
                }
                self.words.push(i as u32);
            }
            fn share(&self, shares: &[f64; 256]) -> f64 {
                if self.words.is_empty() {
                    return 0.0;
                }
                self.sets.iter().map(|s| s.share(shares)).product()
            }
        }
        let mut buckets = vec![Plain::default(); n];
        let mut order = ids.to_vec();
        order.sort_by_key(|&i| {
            let free = prints[i].iter().filter(|s| **s == SlotSet::ANY).count();
            (std::cmp::Reverse(free), words[i].clone())
        });
        let best = |buckets: &[Plain], i: usize| {
            let mut best = (f64::INFINITY, 0);
            let ascii = words[i][0].is_ascii();
            for (k, b) in buckets.iter().enumerate() {
                if b.words
                    .first()
                    .is_some_and(|&w| words[w as usize][0].is_ascii() != ascii)
                {
                    continue;
                }
                let grown: f64 = if b.words.is_empty() {
                    prints[i].iter().map(|p| p.share(shares)).product()
                } else {
                    b.sets
                        .iter()
                        .zip(&prints[i])
                        .map(|(s, p)| s.union(*p).share(shares))
                        .product()
                };
                let grow = grown * (1.0 + 0.05 * b.words.len() as f64) - b.share(shares);
                if grow < best.0 {
                    best = (grow, k);
                }
            }
            best.1
        };
        for &i in &order {
            let k = best(&buckets, i);
            buckets[k].add(i, &prints[i]);
        }
        for _ in 0..3 {
            let mut moved = false;
            for &i in &order {
                let from = buckets
                    .iter()
                    .position(|b| b.words.contains(&(i as u32)))
                    .unwrap();
                let mut rest = Plain::default();
                for &w in buckets[from].words.iter().filter(|&&w| w as usize != i) {
                    rest.add(w as usize, &prints[w as usize]);
                }
                let saved = std::mem::replace(&mut buckets[from], rest);
                let to = best(&buckets, i);
                if to != from {
                    moved = true;
                    buckets[to].add(i, &prints[i]);
                } else {
                    buckets[from] = saved;
                }
            }
            if !moved {
                break;
            }
        }
        buckets.into_iter().map(|b| (b.words, b.sets)).collect()
    }

    /// Buckets that keep their shares plan exactly as the reference that
    /// computes them when asked (same words in the same buckets, so the
    /// same tables), and their kept shares are the computed ones bit for
    /// bit: on the gate's words, subsets of them, the keywords and random
    /// words of ASCII and Chinese bytes, over every bucket count.
    #[test]
    fn kept_shares_plan_as_the_reference() {
        let shares: [f64; 256] = std::array::from_fn(|b| byte_share(b as u8));
        let mut rng = Rng(41);
        let mut sets: Vec<Vec<Box<[u8]>>> = vec![
            GATE_WORDS.iter().map(|w| w.as_bytes().into()).collect(),
            crate::detect::rules::BUILTIN_KEYWORDS
                .iter()
                .map(|w| w.as_bytes().into())
                .collect(),
        ];
        for _ in 0..60 {
            let n = 1 + rng.below(40);
            let words: Vec<Box<[u8]>> = (0..n)
                .map(|_| -> Box<[u8]> {
                    match rng.below(3) {
                        0 => GATE_WORDS[rng.below(GATE_WORDS.len())].as_bytes().into(),
                        1 => (0..1 + rng.below(7))
                            .map(|_| b"abcdeilnostx @-_"[rng.below(16)])
                            .collect(),
                        _ => "账号户名护照税号银行卡手机"
                            .chars()
                            .filter(|_| rng.below(3) == 0)
                            .collect::<String>()
                            .into_bytes()
                            .into(),
                    }
                })
                .filter(|w| !w.is_empty())
                .collect();
            sets.push(words);
        }
        for words in &mut sets {
            let mut distinct: Vec<Box<[u8]>> = Vec::new();
            for w in words.iter() {
                let w: Box<[u8]> = w.to_ascii_lowercase().into();
                if !distinct.contains(&w) {
                    distinct.push(w);
                }
            }
            *words = distinct;
        }
        for words in sets.iter().filter(|w| !w.is_empty()) {
            let prints: Vec<_> = words.iter().map(|w| fingerprint(w)).collect();
            let ids: Vec<usize> = (0..words.len()).collect();
            for n in 1..=(8 * MAX_GROUPS).min(words.len() + 3) {
                let kept = fill(words, &prints, &ids, n, &shares);
                let want = fill_reference(words, &prints, &ids, n, &shares);
                let got: Vec<_> = kept.iter().map(|b| (b.words.clone(), b.sets)).collect();
                assert!(got == want, "{n} buckets over {} words", words.len());
                for b in kept.iter().filter(|b| !b.words.is_empty()) {
                    for (s, share) in b.sets.iter().zip(&b.slot_shares) {
                        assert_eq!(s.share(&shares).to_bits(), share.to_bits());
                    }
                }
            }
        }
    }
}
