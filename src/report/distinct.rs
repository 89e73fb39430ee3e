//! Distinct counts in bounded memory: how many different people a kind of
//! identifier, or a table column, exposes.
//!
//! Key decision: a count is exact (a set of fingerprint prefixes) until the
//! scan as a whole holds [`Tallies::budget`] remembered fingerprints; then
//! the largest sets become HyperLogLog sketches (16 KiB each, standard
//! error about 0.8%), and their counts are reported as estimates. A scan of
//! any size with millions of distinct values thus stays within a few tens
//! of megabytes, and a scan that stays under the budget (nearly all of
//! them) reports exact counts as before. The fingerprints are keyed HMAC
//! output, uniformly random, so their bits serve as the sketch's hash.
//!
//! Key decision: an exact set is a sorted vector of fingerprints, and new
//! fingerprints are queued and merged into it a batch at a time (a
//! quarter of its size), not put in a hash table one by one. Once a set
//! outgrows the CPU's caches (a directory export's phone column: hundreds
//! of thousands of people), each insert into a table at a random slot
//! missed the cache, and each growth moved every fingerprint to another
//! random slot: on the benchmark's 30 MB directory CSV the distinct sets
//! were 14% of a scan pinned to one core and 12% at `-j2`, even with the
//! table's inserts sorted by slot. A merge reads and writes the set in one
//! direction, where the memory is fetched ahead; the queue is sorted by
//! its fingerprints' top bits (they are uniformly random) in two passes.
//! The counts are the same. The budget counts queued fingerprints too
//! (a queue holds at most a quarter as many as its set, or
//! [`QUEUE_MIN`], repeats included, which its merge drops).

/// The first 16 hex digits of a fingerprint as a number (the key of the
/// distinct sets), or 0 when there are not 16 hex digits. Decoded at once
/// with SSE2 on x86-64 (part of every such CPU, so no run-time choice),
/// else through `table_prefix`; this runs once per finding, and the
/// table's loop was about 1.4% of a scan of a directory export
/// (callgrind). A test checks both against `u64::from_str_radix`.
///
/// Key decision: 64 bits of the fingerprint, not all 256, tell people
/// apart in the sets. Two people's prefixes coincide with a chance of
/// about n²/2⁶⁵ among n people: one in ten million at the budget's two
/// million ([`BUDGET`]), when a count would be one short. Half the bits
/// are half the memory the sets' merges read and write.
pub fn prefix(fingerprint: &str) -> u64 {
    let Some(digits) = fingerprint.as_bytes().get(..16) else {
        return slow_prefix(fingerprint);
    };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86-64: every CPU that runs this has it.
    let n = unsafe { sse2_prefix(digits) };
    #[cfg(not(target_arch = "x86_64"))]
    let n = table_prefix(digits);
    n.unwrap_or_else(|| slow_prefix(fingerprint))
}

/// The number 16 hex digits (`digits` holds 16 bytes) stand for, or
/// `None` when a byte is not a hex digit. Decoded by hand, through a
/// table and without a branch per digit: `u64::from_str_radix`, which
/// gives the same number, checks a sign and overflow on every digit, and
/// a digit-or-letter branch is a coin toss on random hex.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn table_prefix(digits: &[u8]) -> Option<u64> {
    let (mut n, mut bad) = (0u64, 0u8);
    for &d in &digits[..16] {
        let v = HEX[usize::from(d)];
        bad |= v;
        n = n << 4 | u64::from(v & 15);
    }
    (bad & 0x80 == 0).then_some(n)
}

/// [`table_prefix`] in one vector: a byte is a decimal
/// digit when it is at most 9 past `'0'`, a letter digit when, lower-cased
/// (`| 0x20`), it is at most 5 past `'a'` (the two never both hold: a
/// decimal digit lower-cased is itself, below `'a'`); then each pair of
/// digits (one 16-bit lane) makes a byte, high digit first, and the bytes
/// in order are the number, big-endian.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_prefix(digits: &[u8]) -> Option<u64> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi8, _mm_set1_epi16,
        _mm_setzero_si128, _mm_slli_epi16, _mm_srli_epi16, _mm_storeu_si128, _mm_sub_epi8,
    };
    /// The values of sixteen digits, and which bytes are hex digits
    /// (all bits set).
    #[target_feature(enable = "sse2")]
    fn values(v: __m128i) -> (__m128i, __m128i) {
        let decimal = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let is_decimal = _mm_cmpeq_epi8(_mm_min_epu8(decimal, _mm_set1_epi8(9)), decimal);
        let letter = _mm_sub_epi8(
            _mm_or_si128(v, _mm_set1_epi8(0x20)),
            _mm_set1_epi8(b'a' as i8),
        );
        let is_letter = _mm_cmpeq_epi8(_mm_min_epu8(letter, _mm_set1_epi8(5)), letter);
        let value = _mm_or_si128(
            _mm_and_si128(is_decimal, decimal),
            _mm_and_si128(is_letter, _mm_add_epi8(letter, _mm_set1_epi8(10))),
        );
        (value, _mm_or_si128(is_decimal, is_letter))
    }
    /// Each 16-bit lane's two digits (the first in its low byte) as one
    /// byte value, in the lane's low byte.
    #[target_feature(enable = "sse2")]
    fn pairs(value: __m128i) -> __m128i {
        let first = _mm_and_si128(value, _mm_set1_epi16(0x00ff));
        _mm_or_si128(_mm_slli_epi16(first, 4), _mm_srli_epi16(value, 8))
    }
    assert!(digits.len() >= 16);
    // SAFETY: `digits` holds at least 16 bytes (asserted): one unaligned
    // load of 16.
    let a = unsafe { _mm_loadu_si128(digits.as_ptr().cast()) };
    let (va, oka) = values(a);
    if _mm_movemask_epi8(oka) != 0xffff {
        return None;
    }
    let mut bytes = [0u8; 16];
    // SAFETY: one unaligned store of 16 bytes into the 16 of `bytes`.
    unsafe {
        _mm_storeu_si128(
            bytes.as_mut_ptr().cast(),
            _mm_packus_epi16(pairs(va), _mm_setzero_si128()),
        )
    };
    Some(u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")))
}

/// The value of each byte as a hex digit, or 0x80 for a byte that is not
/// one.
#[cfg(any(test, not(target_arch = "x86_64")))]
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// [`prefix`] by the standard library, for what is not 16 hex digits
/// (never a fingerprint leaksweep wrote).
fn slow_prefix(fingerprint: &str) -> u64 {
    u64::from_str_radix(fingerprint.get(..16).unwrap_or("0"), 16).unwrap_or(0)
}

/// Index bits of the sketch: 2^14 registers.
const P: u32 = 14;

/// The distinct fingerprints seen under one key (a kind, a column).
#[derive(Debug, Default)]
pub struct Distinct(Inner);

/// What a [`Distinct`] holds.
#[derive(Debug)]
enum Inner {
    /// Every fingerprint, so the count is exact: those in `sorted`
    /// (ascending, each once), and those `queued` for it (they may repeat
    /// each other or the sorted ones).
    Exact { sorted: Vec<u64>, queued: Vec<u64> },
    /// A HyperLogLog sketch: one register per index, holding the largest
    /// rank seen there.
    Estimate(Box<[u8; 1 << P]>),
}

impl Default for Inner {
    fn default() -> Self {
        Inner::Exact {
            sorted: Vec::new(),
            queued: Vec::new(),
        }
    }
}

/// The fewest fingerprints a queue holds before it is merged: a small set
/// (most kinds and columns) is sorted a thousand at a time rather than
/// with every insert.
pub const QUEUE_MIN: usize = 1 << 10;

/// Queued fingerprints merged at a time into a set holding `held`: a
/// quarter of them, so that each fingerprint is read and written about
/// five times by the merges that follow it (the set grows by a quarter
/// with each), and a queue costs at most a quarter more memory than its
/// set. A half and an eighth measured the same on the directory CSV.
fn batch(held: usize) -> usize {
    (held / 4).max(QUEUE_MIN)
}

impl Distinct {
    /// Adds a fingerprint; returns the change in how many fingerprints the
    /// set remembers: one more while it is queued, less the repeats that
    /// a merge of its queue dropped.
    pub fn insert(&mut self, fp: u64) -> isize {
        match &mut self.0 {
            Inner::Exact { sorted, queued } => {
                queued.push(fp);
                if queued.len() < batch(sorted.len()) {
                    return 1;
                }
                1 - merge(sorted, queued) as isize
            }
            Inner::Estimate(regs) => {
                observe(regs, fp);
                0
            }
        }
    }

    /// The number of distinct fingerprints (estimated once a sketch).
    pub fn count(&self) -> u64 {
        match &self.0 {
            Inner::Exact { sorted, queued } => {
                let mut new = queued.clone();
                sort(&mut new);
                new.dedup();
                // Both ascending: the set is read once, in order.
                let mut held = sorted.iter().peekable();
                let new = new.iter().filter(|&fp| {
                    while held.next_if(|&h| h < fp).is_some() {}
                    held.peek() != Some(&fp)
                });
                (sorted.len() + new.count()) as u64
            }
            Inner::Estimate(regs) => estimate(regs),
        }
    }

    /// True once the count is an estimate.
    pub fn is_estimate(&self) -> bool {
        matches!(self.0, Inner::Estimate(_))
    }

    /// Fingerprints remembered for an exact count: the set's and its
    /// queue's (where one may repeat another).
    pub fn held(&self) -> usize {
        match &self.0 {
            Inner::Exact { sorted, queued } => sorted.len() + queued.len(),
            Inner::Estimate(_) => 0,
        }
    }

    /// Turns the exact set (and its queue) into a sketch of the same
    /// fingerprints, freeing the set; returns how many fingerprints it
    /// held ([`Distinct::held`]).
    pub fn make_estimate(&mut self) -> usize {
        let Inner::Exact { sorted, queued } = &self.0 else {
            return 0;
        };
        let held = sorted.len() + queued.len();
        let mut regs = Box::new([0u8; 1 << P]);
        for &fp in sorted.iter().chain(queued) {
            observe(&mut regs, fp);
        }
        self.0 = Inner::Estimate(regs);
        held
    }
}

/// The number of distinct fingerprints in the union of `sets`, and whether
/// it is an estimate (when one of them is): exact sets merged and counted,
/// or, with a sketch among them, one sketch of them all (a register holds
/// the largest rank any of them saw there).
pub fn union_count(sets: &[&Distinct]) -> (u64, bool) {
    let sets: Vec<&Distinct> = sets
        .iter()
        .copied()
        .filter(|s| s.is_estimate() || s.held() > 0)
        .collect();
    match sets[..] {
        [] => (0, false),
        [one] => (one.count(), one.is_estimate()),
        _ if sets.iter().all(|s| !s.is_estimate()) => {
            let mut all = Vec::with_capacity(sets.iter().map(|s| s.held()).sum());
            for s in &sets {
                if let Inner::Exact { sorted, queued } = &s.0 {
                    all.extend_from_slice(sorted);
                    all.extend_from_slice(queued);
                }
            }
            sort(&mut all);
            all.dedup();
            (all.len() as u64, false)
        }
        _ => {
            let mut regs = Box::new([0u8; 1 << P]);
            for s in &sets {
                match &s.0 {
                    Inner::Exact { sorted, queued } => {
                        for &fp in sorted.iter().chain(queued) {
                            observe(&mut regs, fp);
                        }
                    }
                    Inner::Estimate(theirs) => {
                        for (r, &t) in regs.iter_mut().zip(theirs.iter()) {
                            *r = (*r).max(t);
                        }
                    }
                }
            }
            (estimate(&regs), true)
        }
    }
}

/// Merges the queued fingerprints into `sorted` (ascending, each once),
/// emptying the queue; returns how many of them were dropped as repeats.
///
/// In place, from the largest down: `sorted` is lengthened by the queue's
/// length and each fingerprint goes to the last free place, the set's
/// own never overwritten before they are read (the free places lie above
/// them). A queued fingerprint the set holds already is dropped, which
/// leaves a gap between the set's fingerprints not yet moved and those
/// placed; the placed ones close it.
fn merge(sorted: &mut Vec<u64>, queued: &mut Vec<u64>) -> usize {
    sort(queued);
    let queued_len = queued.len();
    queued.dedup();
    let (held, new) = (sorted.len(), queued.len());
    sorted.resize(held + new, 0);
    let (mut i, mut j, mut to) = (held, new, held + new);
    while i > 0 && j > 0 {
        let (a, b) = (sorted[i - 1], queued[j - 1]);
        to -= 1;
        sorted[to] = a.max(b);
        i -= usize::from(a >= b);
        j -= usize::from(b >= a);
    }
    while j > 0 {
        j -= 1;
        to -= 1;
        sorted[to] = queued[j];
    }
    // `sorted[..i]` are the set's fingerprints not moved, `sorted[to..]`
    // those placed; between them one free place per repeat.
    let repeats = to - i;
    if repeats > 0 {
        sorted.copy_within(to.., i);
        sorted.truncate(held + new - repeats);
    }
    let dropped = queued_len - new + repeats;
    queued.clear();
    dropped
}

/// Sorts fingerprints (ascending). They are keyed HMAC output, uniformly
/// random: a counting sort by their top bits, about one bucket per
/// fingerprint, leaves buckets of one or two, each then sorted on its own
/// (by the standard library, so that fingerprints crowding one bucket,
/// as values crafted against the public built-in key could make them,
/// still sort in `n log n`). Two passes over the fingerprints, where a
/// comparison sort makes about `log n`.
fn sort(fps: &mut Vec<u64>) {
    let n = fps.len();
    if n < 64 {
        fps.sort_unstable();
        return;
    }
    let bits = (usize::BITS - n.leading_zeros()).min(MAX_BUCKET_BITS);
    let bucket = |fp: u64| (fp >> (64 - bits)) as usize;
    // Where each bucket starts in the sorted order (`starts[b]`), and,
    // once its fingerprints are placed, ends (`starts[b + 1]`, unmoved).
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &fp in fps.iter() {
        starts[bucket(fp) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut out = vec![0u64; n];
    for &fp in fps.iter() {
        let at = &mut starts[bucket(fp)];
        out[*at] = fp;
        *at += 1;
    }
    // Each `starts[b]` has moved to the end of bucket `b`, the start of
    // bucket `b + 1`.
    let mut from = 0;
    for &end in &starts[..1 << bits] {
        if end - from > 1 {
            out[from..end].sort_unstable();
        }
        from = end;
    }
    *fps = out;
}

/// Most top bits [`sort`] buckets by: 65,536 buckets (512 KiB of counts
/// while a queue of more is sorted).
const MAX_BUCKET_BITS: u32 = 16;

/// Records `fp` in the registers: its low [`P`] bits pick the register,
/// the rank is one more than the number of leading zeros of the other
/// 50 bits.
fn observe(regs: &mut [u8; 1 << P], fp: u64) {
    let index = (fp as usize) & ((1 << P) - 1);
    let rank = ((fp >> P).leading_zeros() - P) as u8 + 1;
    if regs[index] < rank {
        regs[index] = rank;
    }
}

/// The HyperLogLog estimate, with linear counting for small counts.
fn estimate(regs: &[u8; 1 << P]) -> u64 {
    let m = (1u64 << P) as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let (mut sum, mut zeros) = (0.0f64, 0u32);
    for &r in regs.iter() {
        sum += 2f64.powi(-i32::from(r));
        zeros += u32::from(r == 0);
    }
    let raw = alpha * m * m / sum;
    let e = if raw <= 2.5 * m && zeros > 0 {
        m * (m / f64::from(zeros)).ln()
    } else {
        raw
    };
    e.round() as u64
}

/// Keeps the scan's distinct sets within a budget of remembered
/// fingerprints: when the sets together hold more, the largest become
/// estimates until they hold at most half of it.
#[derive(Debug)]
pub struct Tallies {
    /// Most fingerprints remembered for exact counts across all sets.
    pub budget: usize,
    held: usize,
}

/// Default budget: two million fingerprints, 16 MB (up to twice that
/// while a set's vector has room to grow).
pub const BUDGET: usize = 2 << 20;

impl Default for Tallies {
    fn default() -> Self {
        Tallies::new(BUDGET)
    }
}

impl Tallies {
    /// Tallies holding at most `budget` fingerprints exactly (at least 1).
    pub fn new(budget: usize) -> Tallies {
        Tallies {
            budget: budget.max(1),
            held: 0,
        }
    }

    /// Adds `fp` to `set`; true when the sets now hold more than the
    /// budget, and [`Tallies::shrink`] should be called.
    pub fn insert(&mut self, set: &mut Distinct, fp: u64) -> bool {
        self.held = self.held.saturating_add_signed(set.insert(fp));
        self.held > self.budget
    }

    /// Turns the largest of `sets` into estimates until at most half the
    /// budget is held.
    pub fn shrink<'a>(&mut self, sets: impl Iterator<Item = &'a mut Distinct>) {
        let mut sets: Vec<&mut Distinct> = sets.filter(|s| s.held() > 0).collect();
        sets.sort_by_key(|s| std::cmp::Reverse(s.held()));
        for s in sets {
            if self.held <= self.budget / 2 {
                break;
            }
            self.held -= s.make_estimate();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform pseudo-random fingerprint prefixes (splitmix64).
    fn fps(seed: u64, n: usize) -> Vec<u64> {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..n).map(|_| next()).collect()
    }

    #[test]
    fn prefix_is_from_str_radix() {
        let mut cases: Vec<String> = fps(5, 200)
            .iter()
            .map(|f| format!("{f:016x}{f:016X}"))
            .collect();
        cases.extend(fps(6, 50).iter().map(|f| format!("{f:016X}")));
        cases.extend(["", "0", "+123", "-1", "ab", "g000000000000000ff"].map(String::from));
        cases.push(format!("+{}", "f".repeat(20)));
        cases.push(format!("{}é{}", "1".repeat(15), "2".repeat(10)));
        cases.push(format!("{}x", "9".repeat(15)));
        for c in cases {
            assert_eq!(prefix(&c), slow_prefix(&c), "{c}");
            if let Some(d) = c.as_bytes().get(..16) {
                both_ways(d);
            }
        }
        // One byte that is not a hex digit, of those around the digits'
        // ranges (and their copies with the top bit set), at every place.
        let hex = format!("{:016x}", fps(7, 1)[0]);
        let odd = b"/:@G`g\x00 \xb0\xb9\xc1\xe1\xff";
        for at in 0..16 {
            for &b in odd.iter().chain(b"09afAF") {
                let mut d = hex.as_bytes().to_vec();
                d[at] = b;
                both_ways(&d);
            }
        }
    }

    /// The table and the SSE2 decoder give `u64::from_str_radix`'s number
    /// for 16 hex digits, and `None` when a byte is not one.
    fn both_ways(d: &[u8]) {
        let want = d
            .iter()
            .all(u8::is_ascii_hexdigit)
            .then(|| u64::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap());
        assert_eq!(table_prefix(d), want, "{d:?}");
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of x86-64.
        assert_eq!(unsafe { sse2_prefix(d) }, want, "{d:?}");
    }

    #[test]
    fn exact_until_made_an_estimate_then_close() {
        for n in [0usize, 1, 10, 1000, 50_000, 300_000] {
            let mut d = Distinct::default();
            for fp in fps(n as u64 + 1, n) {
                d.insert(fp);
                d.insert(fp); // repeats do not count
            }
            assert_eq!(d.count(), n as u64);
            assert!(!d.is_estimate());
            // What it remembers: each fingerprint, and the repeats in a
            // queue not yet merged.
            let held = d.held();
            assert!(held >= n && held - n < batch(held), "n {n}: held {held}");
            assert_eq!(d.make_estimate(), held);
            assert!(d.is_estimate());
            let got = d.count() as f64;
            let err = (got - n as f64).abs() / (n.max(1) as f64);
            assert!(err < 0.03, "n {n}: estimate {got}");
            // Later values still count, repeats still do not.
            for fp in fps(n as u64 + 1, n) {
                d.insert(fp);
            }
            assert_eq!(d.count() as f64, got);
        }
    }

    /// A set queues its fingerprints: the count is that of a plain set,
    /// and the changes `insert` reports sum to what the set remembers, with
    /// repeats within a queue, across queues and of fingerprints already
    /// held; the set stays sorted, each fingerprint once.
    #[test]
    fn queued_inserts_count_as_a_plain_set() {
        for (seed, n) in [
            (1u64, QUEUE_MIN - 1),
            (2, QUEUE_MIN + 3 * batch(QUEUE_MIN) + 17),
            (3, 120_000),
        ] {
            let mut d = Distinct::default();
            let mut plain = std::collections::HashSet::new();
            let mut grew = 0isize;
            let fresh = fps(seed, n);
            for (i, &fp) in fresh.iter().enumerate() {
                // Every fifth insert repeats an earlier fingerprint (one
                // held or one still queued), every seventh the last one.
                let fp = match i {
                    _ if i % 5 == 4 => fresh[(i * 7919) % i],
                    _ if i % 7 == 6 => fresh[i - 1],
                    _ => fp,
                };
                grew += d.insert(fp);
                plain.insert(fp);
                assert_eq!(grew, d.held() as isize, "n {n}: after {i}");
            }
            assert_eq!(d.count(), plain.len() as u64, "n {n}");
            assert!(d.held() - plain.len() < batch(d.held()));
            let Inner::Exact { sorted, .. } = &d.0 else {
                panic!("n {n}: not exact")
            };
            assert!(sorted.windows(2).all(|w| w[0] < w[1]), "n {n}");
            assert!(sorted.iter().all(|fp| plain.contains(fp)), "n {n}");
        }
    }

    /// `sort` sorts as the standard library does: random fingerprints of
    /// every size around its cut-over, repeats, and fingerprints that
    /// share their top bits (one bucket) or crowd a few.
    #[test]
    fn sort_is_the_standard_sort() {
        let mut cases: Vec<Vec<u64>> = [0usize, 1, 2, 63, 64, 65, 1000, 4097, 70_000]
            .iter()
            .map(|&n| fps(n as u64 + 11, n))
            .collect();
        let mut repeats = fps(12, 3000);
        repeats.extend_from_within(..1000);
        repeats.extend(std::iter::repeat_n(repeats[5], 100));
        cases.push(repeats);
        // The same top 32 bits (one bucket), or one of four.
        cases.push(
            fps(13, 5000)
                .iter()
                .map(|fp| fp & 0xffff_ffff | 7 << 32)
                .collect(),
        );
        cases.push(
            fps(14, 5000)
                .iter()
                .map(|fp| fp >> 62 << 62 | fp & 0xffff)
                .collect(),
        );
        for mut fps in cases {
            let mut want = fps.clone();
            want.sort_unstable();
            sort(&mut fps);
            assert_eq!(fps, want, "{} fingerprints", want.len());
        }
    }

    /// The union's count is that of one set given every fingerprint:
    /// exact while the sets are, within the sketch's error once one is a
    /// sketch; empty sets change nothing.
    #[test]
    fn union_count_is_the_count_of_all_in_one_set() {
        let parts = [fps(21, 5000), fps(22, 40_000), fps(23, 700)];
        let mut sets: Vec<Distinct> = parts
            .iter()
            .map(|p| {
                let mut d = Distinct::default();
                for &fp in p {
                    d.insert(fp);
                }
                d
            })
            .collect();
        // Repeats across sets: the first's fingerprints again in the third.
        for &fp in &parts[0][..2000] {
            sets[2].insert(fp);
        }
        let empty = Distinct::default();
        let mut one = Distinct::default();
        for &fp in parts.iter().flatten() {
            one.insert(fp);
        }
        let want = one.count();
        assert_eq!(want, 45_700);
        let all: Vec<&Distinct> = sets.iter().chain([&empty]).collect();
        assert_eq!(union_count(&all), (want, false));
        assert_eq!(union_count(&[&sets[1], &empty]), (40_000, false));
        assert_eq!(union_count(&[&empty]), (0, false));
        assert_eq!(union_count(&[]), (0, false));
        sets[1].make_estimate();
        let all: Vec<&Distinct> = sets.iter().collect();
        let (got, estimated) = union_count(&all);
        assert!(estimated);
        let err = (got as f64 - want as f64).abs() / want as f64;
        assert!(err < 0.03, "estimate {got} of {want}");
    }

    #[test]
    fn the_budget_turns_the_largest_sets_into_estimates() {
        let mut t = Tallies {
            budget: 20_000,
            held: 0,
        };
        let mut sets: Vec<Distinct> = (0..3).map(|_| Distinct::default()).collect();
        let sizes = [3000usize, 30_000, 1500];
        let mut over = false;
        for (i, &n) in sizes.iter().enumerate() {
            for fp in fps(i as u64 + 7, n) {
                over |= t.insert(&mut sets[i], fp);
            }
        }
        assert!(over);
        t.shrink(sets.iter_mut());
        assert!(sets[1].is_estimate());
        assert!(!sets[0].is_estimate() && !sets[2].is_estimate());
        assert_eq!(sets[0].count(), 3000);
        assert_eq!(sets[2].count(), 1500);
        assert_eq!(t.held, sets[0].held() + sets[2].held());
        let c = sets[1].count() as f64;
        assert!((c - 30_000.0).abs() < 900.0, "{c}");
    }
}
