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
//! Key decision: a large exact set takes its fingerprints in batches, in
//! the order of the table slots they hash to. Once a set outgrows the
//! CPU's caches (a directory export's phone column: hundreds of thousands
//! of people), each insert at a random slot missed the cache: on a 30 MB
//! directory CSV these inserts were a quarter of the collector thread's
//! time, and that thread bounds the scan. A set past [`BATCH_FROM`]
//! fingerprints queues them, and applies them an eighth of its size at a
//! time, sorted by slot, so the table is walked in one direction and the memory is
//! fetched ahead. The counts are the same; only the moment the budget is
//! checked moves, to when a queue is applied (a queue holds at most an
//! eighth as many fingerprints as its set, which the budget does not see
//! yet).

use std::collections::HashSet;

/// A set of fingerprint prefixes. They are HMAC output, already uniformly
/// random, so they are their own hash.
type FingerprintSet = HashSet<u128, std::hash::BuildHasherDefault<IdentityHasher>>;

/// Hashes a `u128` fingerprint prefix to its low 64 bits.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// The first 32 hex digits of a fingerprint as a number (the key of the
/// distinct sets), or 0 when there are not 32 hex digits. Decoded sixteen
/// digits at a time with SSE2 on x86-64 (part of every such CPU, so no
/// run-time choice), else through `table_prefix`; this runs once per
/// finding, and the table's loop was about 1.4% of a scan of a directory
/// export (callgrind). A test checks both against `u128::from_str_radix`.
pub fn prefix(fingerprint: &str) -> u128 {
    let Some(digits) = fingerprint.as_bytes().get(..32) else {
        return slow_prefix(fingerprint);
    };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86-64: every CPU that runs this has it.
    let n = unsafe { sse2_prefix(digits) };
    #[cfg(not(target_arch = "x86_64"))]
    let n = table_prefix(digits);
    n.unwrap_or_else(|| slow_prefix(fingerprint))
}

/// The number 32 hex digits (`digits` holds 32 bytes) stand for, or
/// `None` when a byte is not a hex digit. Decoded by hand, through a
/// table and without a branch per digit: `u128::from_str_radix`, which
/// gives the same number, checks a sign and overflow on every digit, and
/// a digit-or-letter branch is a coin toss on random hex.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn table_prefix(digits: &[u8]) -> Option<u128> {
    let (mut n, mut bad) = (0u128, 0u8);
    for &d in &digits[..32] {
        let v = HEX[usize::from(d)];
        bad |= v;
        n = n << 4 | u128::from(v & 15);
    }
    (bad & 0x80 == 0).then_some(n)
}

/// [`table_prefix`] by blocks of sixteen digits: a byte is a decimal
/// digit when it is at most 9 past `'0'`, a letter digit when, lower-cased
/// (`| 0x20`), it is at most 5 past `'a'` (the two never both hold: a
/// decimal digit lower-cased is itself, below `'a'`); then each pair of
/// digits (one 16-bit lane) makes a byte, high digit first, and the bytes
/// in order are the number, big-endian.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_prefix(digits: &[u8]) -> Option<u128> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi8, _mm_set1_epi16,
        _mm_slli_epi16, _mm_srli_epi16, _mm_storeu_si128, _mm_sub_epi8,
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
    assert!(digits.len() >= 32);
    // SAFETY: `digits` holds at least 32 bytes (asserted): two unaligned
    // loads of 16.
    let (a, b) = unsafe {
        (
            _mm_loadu_si128(digits.as_ptr().cast()),
            _mm_loadu_si128(digits.as_ptr().add(16).cast()),
        )
    };
    let (va, oka) = values(a);
    let (vb, okb) = values(b);
    if _mm_movemask_epi8(_mm_and_si128(oka, okb)) != 0xffff {
        return None;
    }
    let mut bytes = [0u8; 16];
    // SAFETY: one unaligned store of 16 bytes into the 16 of `bytes`.
    unsafe {
        _mm_storeu_si128(
            bytes.as_mut_ptr().cast(),
            _mm_packus_epi16(pairs(va), pairs(vb)),
        )
    };
    Some(u128::from_be_bytes(bytes))
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

/// [`prefix`] by the standard library, for what is not 32 hex digits
/// (never a fingerprint leaksweep wrote).
fn slow_prefix(fingerprint: &str) -> u128 {
    u128::from_str_radix(fingerprint.get(..32).unwrap_or("0"), 16).unwrap_or(0)
}

/// Index bits of the sketch: 2^14 registers.
const P: u32 = 14;

/// The distinct fingerprints seen under one key (a kind, a column).
#[derive(Debug, Default)]
pub struct Distinct(Inner);

/// What a [`Distinct`] holds.
#[derive(Debug)]
enum Inner {
    /// Every fingerprint, so the count is exact: those in `set`, and those
    /// `queued` for it (see [`BATCH_FROM`]; they may repeat each other or
    /// the set's).
    Exact {
        set: FingerprintSet,
        queued: Vec<u128>,
    },
    /// A HyperLogLog sketch: one register per index, holding the largest
    /// rank seen there.
    Estimate(Box<[u8; 1 << P]>),
}

impl Default for Inner {
    fn default() -> Self {
        Inner::Exact {
            set: FingerprintSet::default(),
            queued: Vec::new(),
        }
    }
}

/// Fingerprints an exact set holds before it queues new ones: 16K of 16
/// bytes, about a quarter of a megabyte of table, which the caches hold.
pub const BATCH_FROM: usize = 1 << 14;

/// Queued fingerprints applied at a time by a set holding `held`: an
/// eighth of them. Sorted by slot, a batch that large lands a few slots
/// apart, one cache line after the next, where the memory is fetched
/// ahead; a batch of a fixed size lands farther apart the larger the set,
/// a miss each. On the 30 MB directory CSV of the benchmark corpus (a
/// column of 270,000 numbers) the inserts and their sorting took 13.7% of
/// the samples at `-j2` one at a time, 5.8% 1,024 at a time, 4.4% an
/// eighth at a time (perf, 2026-12). The queue costs an eighth more memory
/// than the set, and the budget sees it when applied.
fn batch(held: usize) -> usize {
    (held / 8).max(1 << 10)
}

impl Distinct {
    /// Adds a fingerprint; returns by how many fingerprints the set held
    /// exactly grew (a queued one counts when its queue is applied).
    pub fn insert(&mut self, fp: u128) -> usize {
        match &mut self.0 {
            Inner::Exact { set, queued } => {
                if set.len() < BATCH_FROM {
                    return usize::from(set.insert(fp));
                }
                queued.push(fp);
                if queued.len() < batch(set.len()) {
                    return 0;
                }
                apply(set, queued)
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
            Inner::Exact { set, queued } => {
                let new: FingerprintSet = queued
                    .iter()
                    .copied()
                    .filter(|fp| !set.contains(fp))
                    .collect();
                (set.len() + new.len()) as u64
            }
            Inner::Estimate(regs) => estimate(regs),
        }
    }

    /// True once the count is an estimate.
    pub fn is_estimate(&self) -> bool {
        matches!(self.0, Inner::Estimate(_))
    }

    /// Fingerprints held exactly (not counting a queue not yet applied).
    pub fn held(&self) -> usize {
        match &self.0 {
            Inner::Exact { set, .. } => set.len(),
            Inner::Estimate(_) => 0,
        }
    }

    /// Turns the exact set (and its queue) into a sketch of the same
    /// fingerprints, freeing the set; returns how many fingerprints it
    /// held ([`Distinct::held`]).
    pub fn make_estimate(&mut self) -> usize {
        let Inner::Exact { set, queued } = &self.0 else {
            return 0;
        };
        let held = set.len();
        let mut regs = Box::new([0u8; 1 << P]);
        for &fp in set.iter().chain(queued) {
            observe(&mut regs, fp);
        }
        self.0 = Inner::Estimate(regs);
        held
    }
}

/// Moves the queued fingerprints into the set, in the order of the slots
/// they hash to; returns by how many the set grew.
///
/// The table (the standard library's, hashbrown) probes from slot
/// `hash & (slots - 1)`, and a fingerprint's hash is its low 64 bits (see
/// [`IdentityHasher`]); the slots of a table of a given capacity are the
/// power of two of which that capacity is seven eighths. Were that to
/// change, the order would only cost speed, never a fingerprint.
///
/// The order is that of the slots' top [`ORDER_BITS`] bits, by a counting
/// sort (two passes over the queue): within one such stretch of the table
/// (a few cache lines) the order does not matter. The
/// comparison sort by whole slot it replaced was 2.1% of the samples of a
/// `-j1` scan of the 30 MB directory CSV (perf, 2026-12).
fn apply(set: &mut FingerprintSet, queued: &mut Vec<u128>) -> usize {
    let before = set.len();
    set.reserve(queued.len());
    let slots = (set.capacity() / 7 * 8).next_power_of_two() as u64;
    let shift = slots.trailing_zeros().saturating_sub(ORDER_BITS);
    let stretch = |fp: u128| ((fp as u64 & (slots - 1)) >> shift) as usize;
    // Where each stretch's fingerprints start in the sorted order.
    let mut starts = vec![0usize; (1 << ORDER_BITS) + 1];
    for &fp in queued.iter() {
        starts[stretch(fp) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut sorted = vec![0u128; queued.len()];
    for &fp in queued.iter() {
        let at = &mut starts[stretch(fp)];
        sorted[*at] = fp;
        *at += 1;
    }
    queued.clear();
    for fp in sorted {
        set.insert(fp);
    }
    set.len() - before
}

/// Bits of the slot index that order a queue before it is applied: 16,384
/// stretches of the table (the counts, 128 KiB, live while a queue is
/// applied); a set of a million slots (16 MiB) has stretches of 64 slots,
/// 1 KiB. On the directory CSV 2,048 stretches were 1% slower.
const ORDER_BITS: u32 = 14;

/// Records `fp` in the registers: its low bits pick the register, the rank
/// is one more than the number of leading zeros of its high 64 bits.
fn observe(regs: &mut [u8; 1 << P], fp: u128) {
    let index = (fp as usize) & ((1 << P) - 1);
    let rank = ((fp >> 64) as u64).leading_zeros() as u8 + 1;
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
    /// Most fingerprints held exactly across all sets.
    pub budget: usize,
    held: usize,
}

/// Default budget: two million fingerprints, about 40 MB of sets.
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
    pub fn insert(&mut self, set: &mut Distinct, fp: u128) -> bool {
        self.held += set.insert(fp);
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

    /// Uniform pseudo-random fingerprints (splitmix64 on both halves).
    fn fps(seed: u64, n: usize) -> Vec<u128> {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..n)
            .map(|_| (u128::from(next()) << 64) | u128::from(next()))
            .collect()
    }

    #[test]
    fn prefix_is_from_str_radix() {
        let mut cases: Vec<String> = fps(5, 200)
            .iter()
            .map(|f| format!("{f:032x}{f:032X}"))
            .collect();
        cases.extend(fps(6, 50).iter().map(|f| format!("{f:032X}")));
        cases.extend(
            [
                "",
                "0",
                "+123",
                "-1",
                "ab",
                "g0000000000000000000000000000000ff",
            ]
            .map(String::from),
        );
        cases.push(format!("+{}", "f".repeat(40)));
        cases.push(format!("{}é{}", "1".repeat(31), "2".repeat(10)));
        cases.push(format!("{}x", "9".repeat(31)));
        for c in cases {
            assert_eq!(prefix(&c), slow_prefix(&c), "{c}");
            if let Some(d) = c.as_bytes().get(..32) {
                both_ways(d);
            }
        }
        // One byte that is not a hex digit, of those around the digits'
        // ranges (and their copies with the top bit set), at every place.
        let hex = format!("{:032x}", fps(7, 1)[0]);
        let odd = b"/:@G`g\x00 \xb0\xb9\xc1\xe1\xff";
        for at in 0..32 {
            for &b in odd.iter().chain(b"09afAF") {
                let mut d = hex.as_bytes().to_vec();
                d[at] = b;
                both_ways(&d);
            }
        }
    }

    /// The table and the SSE2 decoder give `u128::from_str_radix`'s number
    /// for 32 hex digits, and `None` when a byte is not one.
    fn both_ways(d: &[u8]) {
        let want = d
            .iter()
            .all(u8::is_ascii_hexdigit)
            .then(|| u128::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap());
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
            // What it held, not counting a queue not yet applied.
            let held = d.held();
            assert!(held <= n && n - held <= batch(held), "n {n}: held {held}");
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

    /// A set past `BATCH_FROM` queues its fingerprints: the count, and
    /// the growth `insert` reports as queues are applied, are those of a
    /// plain set, with repeats within a queue, across queues and of
    /// fingerprints already held.
    #[test]
    fn queued_inserts_count_as_a_plain_set() {
        for (seed, n) in [
            (1u64, BATCH_FROM - 1),
            (2, BATCH_FROM + 3 * batch(BATCH_FROM) + 17),
            (3, 120_000),
        ] {
            let mut d = Distinct::default();
            let mut plain = std::collections::HashSet::new();
            let mut grew = 0;
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
                assert_eq!(grew, d.held(), "n {n}: after {i}");
            }
            assert_eq!(d.count(), plain.len() as u64, "n {n}");
            assert!(plain.len() - d.held() <= batch(d.held()));
        }
    }

    #[test]
    fn the_budget_turns_the_largest_sets_into_estimates() {
        let mut t = Tallies {
            budget: 1000,
            held: 0,
        };
        let mut sets: Vec<Distinct> = (0..3).map(|_| Distinct::default()).collect();
        let sizes = [100usize, 900, 50];
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
        assert_eq!(sets[0].count(), 100);
        assert_eq!(t.held, 150);
        let c = sets[1].count() as f64;
        assert!((c - 900.0).abs() < 45.0, "{c}");
    }
}
