//! Block classification: the first thing the detector does with a chunk's
//! bytes. Each 64-byte block becomes a 64-bit mask of the positions where a
//! digit identifier *may* start: ASCII digits, and the lead bytes of
//! three-byte characters that may be digits in another form (full-width
//! digits, circled digits, Chinese numerals). The run tokenizer then jumps
//! from set bit to set bit instead of walking every byte. The same pass
//! marks the block's ASCII letters and digits, from which the tokenizer
//! reads where a stretch of them around a candidate starts and ends, and
//! the bytes a run may hold or cross ("capable" ones: letters, digits,
//! separators in any form, numerals), from which the walk reads which
//! candidates lie in a stretch too short for any run the caller wants
//! (`3张`, `12:50`, `，11个`: half the candidates of chat text) and leaves
//! them out ([`Candidates`] says why that is exact). The gate classifies a
//! chunk's blocks many at a time, aligned to the chunk, and keeps them
//! from one line to the next ([`BlockMasks`]), or takes those of every
//! block of the chunk made beforehand by the thread that read it
//! ([`BlockMasks::of_all`], at `-j1`); other scans classify the blocks of
//! their slice one at a time as they reach them.
//!
//! Key decision: the mask is a cheap over-approximation, never an
//! under-approximation. For a three-byte character it tests whether each
//! nibble of the three bytes is that of some character of one class of
//! similar ones (five nibble lookups, ANDed): seven classes of Chinese
//! numerals and one of the full-width and circled digits; the tokenizer's
//! classifier confirms each candidate. Chat text is about half Chinese,
//! and almost no common character but the numerals passes, so almost no
//! other Chinese character reaches the classifier. The capable mask is as
//! loose: every character whose lead byte is that of some full-width form
//! or separator counts (`，` and `。` too), which keeps it to a nibble
//! lookup and a compare per 32 bytes. The short stretches' candidates are
//! cleared from a block's mask bit-parallel (a few shifts, whatever the
//! number of stretches): for the gate's masks, right after the blocks are
//! classified, each stretch measured across block edges and lines
//! ([`BlockMasks`]), so that the walk's load is a plain read; for blocks
//! classified one at a time, when the walk loads the block. The walk is
//! then a plain jump from set bit to set bit; on the gate's masks it
//! passes over a block left with no candidate (about half of an archive
//! line's) reading its candidate mask alone, and its state is built
//! inline where it runs, not returned through memory once a line (with
//! the gate's joined digit runs read off a mask, callgrind on s20:
//! 353.4M -> 347.1M Ir; worker samples on the 300 MB archive at `-j1`
//! ~1.5% fewer). Passing over those blocks by a bitmap of the blocks
//! with a candidate left (a bit set by the filter, one `tzcnt` over 64
//! blocks) did not pay: the filter's bit and its upkeep cost more than
//! the loop over candidate masks (s20 +2.6% Ir), and the task-clock of the
//! 300 MB archive at `-j1` did not move beyond its noise. Before the filter
//! nearly every block of an archive line has a candidate (the envelope's
//! digits: 94% of s20's blocks); cutting the last block of a walk's slice
//! in a cold call rather than by a mask made at every load cost 0.7M Ir
//! more. A block without a candidate was given only its top stretch's carry
//! into the next (s20 345.5M -> 344.2M Ir) until the nineteenth session:
//! the branch between the two went either way from block to block, and the
//! full step on every block takes about 1% off (paired, the 300 MB archive
//! pinned to one core 0.990 in 31 rounds and 0.995 in 21, -j2 0.989 wall /
//! 0.980 CPU in 15; s20 0.992; plain chat text 0.995 and 0.988; same
//! findings everywhere). With AVX-512 the filter then takes eight blocks a
//! step, one lane each (`avx512::filter`; the carries between the lanes are
//! an 8-bit addition): against the loop, 0.989 pinned (21 rounds), -j2
//! 0.980 wall / 0.975 CPU (15), plain chat text 0.990 (15). A line's
//! ten-odd new blocks make one step and a short one, whose loads and
//! stores are masked to the blocks left (in place of the loop over them:
//! 0.995 pinned, 15 rounds; the loop for a rest of one or two blocks
//! only, 1.001). A call of a few blocks (a short line's) runs the loop:
//! a step's set-up costs more than the loop over them (JSON lines of two
//! blocks 0.888 pinned; see `SCALAR_FILTER_MAX`). Measuring each
//! stretch as the walk reached it took fewer instructions (callgrind on
//! s20: 391.1M against 406.6M), but its keep-or-drop branch goes one way
//! or the other from one stretch to the next in chat text and is
//! mispredicted often: on the 300 MB archive at `-j1` the bit-parallel
//! pass took 6-12% off the time (median wall 1.03 -> 0.97, 1.04 -> 0.94,
//! 0.94 -> 0.83 s in three hyperfine rounds of ten, the directory CSV
//! unchanged). The widest path the CPU has computes the masks, chosen once
//! at run time ([`Simd`]). With AVX-512 (F, BW, VBMI) a block is one
//! vector: each test is a compare into a mask register (no movemask), and
//! each lookup one `vpermb`/`vpermi2b` by a byte's low six or seven bits
//! instead of two nibble lookups (a 128-entry kind table for ASCII and the
//! capable leads, 64-entry class tables of lead and continuation bytes):
//! 19 instructions for a block of ASCII, 45 for one with Chinese, where
//! AVX2 (two vectors of 32 bytes, callgrind: 1.85 Ir a byte on chat
//! data) takes about 120. On the 300 MB archive at `-j1` that took ~5%
//! off the CPU time (user 0.876 -> 0.827 s, three alternating hyperfine
//! rounds); callgrind cannot show it (under valgrind the CPU reports no
//! AVX-512, and the AVX2 path runs). Without AVX2 (other CPUs) a scalar
//! loop computes the very same masks; a test checks every path the CPU
//! runs against it, on random bytes and near misses of every digit-like
//! character.

/// The Chinese numerals of `normalize::numeral` (a test checks the two
/// lists agree), in seven classes (bits of a byte), chosen so that few
/// other characters share all five nibbles of some class's numerals: on
/// chat data hardly any common character passes the test of
/// [`multibyte`] (婷 and 银 do, a few hundred times in 20 MB of chat),
/// while a test of each byte on its own (is it the second, or third,
/// byte of any numeral?) lets a common character through every 60-odd
/// bytes (元, 了, 人, 点…), each a wasted trip to the classifier.
const NUMERAL_CLASSES: [&[u32]; 7] = [
    &[0x3007, 0x9646, 0x58F9, 0x5E7A], // 〇 陆 壹 幺
    &[0x53C1, 0x8086, 0x634C],         // 叁 肆 捌
    &[0x96F6, 0x56DB, 0x67D2],         // 零 四 柒
    &[0x6D1E, 0x8D30, 0x62D0, 0x52FE], // 洞 贰 拐 勾
    &[0x516D, 0x516B, 0x7396],         // 六 八 玖
    &[0x4E8C, 0x4E94, 0x4F0D, 0x4E5D], // 二 五 伍 九
    &[0x4E00, 0x4E24, 0x4E09, 0x4E03], // 一 两 三 七
];

/// The eighth class: the full-width digits (`EF BC 90..=99`) and the
/// circled ones (`E2 91 A0..=A8`). Their lead bytes are no numeral's, so
/// no numeral class lets them through or is let through by them; the
/// characters this class lets through besides (`E2 91 9x`, `EF BC A0..`:
/// ＠ Ａ…Ｉ, ✨…) are rare in chat.
const DIGIT_FORMS: [u32; 19] = [
    0xFF10, 0xFF11, 0xFF12, 0xFF13, 0xFF14, 0xFF15, 0xFF16, 0xFF17, 0xFF18, 0xFF19, 0x2460, 0x2461,
    0x2462, 0x2463, 0x2464, 0x2465, 0x2466, 0x2467, 0x2468,
];

/// Which nibble of a character's UTF-8 bytes a class table is indexed by.
#[derive(Clone, Copy)]
enum Nibble {
    /// Low nibble of the lead byte (`E0..=EF`).
    Lead,
    /// Low nibble of the second byte.
    SecondLo,
    /// High nibble of the second byte (8..=B for a continuation byte).
    SecondHi,
    /// Low nibble of the third byte.
    ThirdLo,
    /// High nibble of the third byte.
    ThirdHi,
}

/// For each value of one nibble, the classes (bits) of the characters
/// that have it: a character whose five nibbles' entries share a bit has
/// every nibble of some character of that class (the layout a SIMD nibble
/// lookup wants). The high-nibble tables are zero outside 8..=B, so ASCII
/// and lead bytes never pass as continuation bytes.
const fn class_table(which: Nibble) -> [u8; 16] {
    let mut t = [0u8; 16];
    let mut c = 0;
    while c <= NUMERAL_CLASSES.len() {
        let class: &[u32] = if c < NUMERAL_CLASSES.len() {
            NUMERAL_CLASSES[c]
        } else {
            &DIGIT_FORMS
        };
        let mut i = 0;
        while i < class.len() {
            let cp = class[i];
            let (b0, b1, b2) = (
                0xE0 | (cp >> 12) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            );
            let nibble = match which {
                Nibble::Lead => b0 & 0x0F,
                Nibble::SecondLo => b1 & 0x0F,
                Nibble::SecondHi => b1 >> 4,
                Nibble::ThirdLo => b2 & 0x0F,
                Nibble::ThirdHi => b2 >> 4,
            };
            t[nibble as usize] |= 1 << c;
            i += 1;
        }
        c += 1;
    }
    t
}

/// Class tables of the lead byte's and the second and third bytes' nibbles.
const LEAD: [u8; 16] = class_table(Nibble::Lead);
const SECOND_LO: [u8; 16] = class_table(Nibble::SecondLo);
const SECOND_HI: [u8; 16] = class_table(Nibble::SecondHi);
const THIRD_LO: [u8; 16] = class_table(Nibble::ThirdLo);
const THIRD_HI: [u8; 16] = class_table(Nibble::ThirdHi);

/// True when the bytes `b, b1, b2` may start a digit-like character (a
/// full-width or circled digit, a Chinese numeral): a three-byte character
/// each of whose nibbles is that of some character of one class (a loose
/// test: the classifier decides).
#[inline(always)]
pub(crate) fn multibyte(b: u8, b1: u8, b2: u8) -> bool {
    b >> 4 == 0xE
        && LEAD[(b & 0x0F) as usize]
            & SECOND_LO[(b1 & 0x0F) as usize]
            & SECOND_HI[(b1 >> 4) as usize]
            & THIRD_LO[(b2 & 0x0F) as usize]
            & THIRD_HI[(b2 >> 4) as usize]
            != 0
}

use super::normalize::BYTE_CLASS;
use super::simd::Simd;
use crate::pool::Pool;
use std::mem::MaybeUninit;
use std::ops::Range;

/// True when the bytes `b, b1, b2` may start a character whose bytes a
/// run may hold or cross, other than an ASCII one: a lead byte of the
/// full-width forms, separators and circled digits (`C2`, `E2`, `E3`,
/// `EF`), or a character [`multibyte`] lets through (the numerals).
#[inline(always)]
fn capable_lead(b: u8, b1: u8, b2: u8) -> bool {
    matches!(b, 0xC2 | 0xE2 | 0xE3 | 0xEF) || multibyte(b, b1, b2)
}

/// The masks of one 64-byte block: bit `k` describes byte `k`. Laid out
/// as three words in this order (the AVX-512 filter loads eight blocks as
/// three vectors).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Block {
    /// Candidates: where a digit identifier may start.
    cand: u64,
    /// ASCII letters and digits.
    alnum: u64,
    /// Bytes a run may hold or cross ("capable"): ASCII letters, digits
    /// and separators (`BYTE_CLASS` 4), the bytes of a [`capable_lead`]
    /// and the two after it, and the continuation bytes (`80..=BF`) among
    /// the block's first two (which a lead in the block before may own).
    /// Every byte of a character [`classify`](super::normalize::classify)
    /// calls anything but a break is capable (see [`Candidates`]).
    cap: u64,
}

/// The masks of `block` (64 bytes) followed by `next` (the two bytes
/// after it, zeros at the end of the data). Scalar version.
fn mask_scalar(block: &[u8; 64], next: [u8; 2]) -> Block {
    let at = |k: usize| if k < 64 { block[k] } else { next[k - 64] };
    let (mut m, mut alnum, mut cap, mut leads) = (0u64, 0u64, 0u64, 0u64);
    for (k, &b) in block.iter().enumerate() {
        let hit = b.is_ascii_digit() || multibyte(b, at(k + 1), at(k + 2));
        m |= (hit as u64) << k;
        alnum |= (b.is_ascii_alphanumeric() as u64) << k;
        let lead = capable_lead(b, at(k + 1), at(k + 2));
        leads |= (lead as u64) << k;
        let own = b.is_ascii_alphanumeric() || BYTE_CLASS[b as usize] == 4;
        let owned = k < 2 && b & 0xC0 == 0x80;
        cap |= ((own || owned) as u64) << k;
    }
    Block {
        cand: m,
        alnum,
        cap: cap | smear(leads),
    }
}

/// The capable bytes that the leads `leads` make: each lead and the two
/// bytes after it (inside the block).
#[inline(always)]
fn smear(leads: u64) -> u64 {
    leads | leads << 1 | leads << 2
}

/// Kinds of bytes (bits of a byte) that one lookup of each nibble tells
/// apart, as rectangles: bit `j` of a byte's kind is set when its high
/// nibble is in `KINDS[j].0` and its low nibble in `KINDS[j].1` (sets of
/// nibbles, bit per nibble). Digits (bit 0), letters (bits 1, 2), the
/// ASCII separators of `BYTE_CLASS` 4 (bits 3, 4) and continuation bytes
/// (bit 5): a test checks each against its definition.
const KINDS: [(u16, u16); 6] = [
    (1 << 3, 0x03FF),          // 0-9
    (1 << 4 | 1 << 6, 0xFFFE), // A-O a-o
    (1 << 5 | 1 << 7, 0x07FF), // P-Z p-z
    (1 << 2, 0xE301),          // space ( ) - . /
    (1 << 5, 1 << 0xF),        // _
    (0x0F00, 0xFFFF),          // 80..=BF
];

/// Bits of [`KINDS`]: ASCII letters and digits, and those and the ASCII
/// separators.
const KIND_ALNUM: u8 = 0b111;
const KIND_OWN: u8 = 0b1_1111;

/// The kind table of the high nibble (`high`) or low one.
const fn kind_table(high: bool) -> [u8; 16] {
    let mut t = [0u8; 16];
    let mut j = 0;
    while j < KINDS.len() {
        let set = if high { KINDS[j].0 } else { KINDS[j].1 };
        let mut n = 0;
        while n < 16 {
            if set >> n & 1 != 0 {
                t[n] |= 1 << j;
            }
            n += 1;
        }
        j += 1;
    }
    t
}

/// Kind tables of the high and low nibbles.
const KIND_HI: [u8; 16] = kind_table(true);
const KIND_LO: [u8; 16] = kind_table(false);

/// For each low nibble of a three-byte lead byte, whether it is one of
/// the capable leads `E2`, `E3`, `EF` (see [`capable_lead`]).
const LEAD3_CAPABLE: [u8; 16] = {
    let mut t = [0u8; 16];
    t[2] = 0xFF;
    t[3] = 0xFF;
    t[0xF] = 0xFF;
    t
};

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{
        Block, KIND_ALNUM, KIND_HI, KIND_LO, KIND_OWN, LEAD, LEAD3_CAPABLE, SECOND_HI, SECOND_LO,
        THIRD_HI, THIRD_LO, smear,
    };
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Writes the masks of `out.len()` blocks of 64 bytes from `p` on (every
    /// one of `out`), reading `64 * out.len() + 2` bytes. A stretch of
    /// blocks at a time, so that the tables and constants are loaded once
    /// for all of them.
    ///
    /// # Safety
    /// `p..p + 64 * out.len() + 2` must be readable and the CPU must
    /// support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn masks(p: *const u8, out: &mut [MaybeUninit<Block>]) {
        unsafe {
            let table =
                |t: &[u8; 16]| _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr().cast()));
            let (lead, second_lo, second_hi, third_lo, third_hi) = (
                table(&LEAD),
                table(&SECOND_LO),
                table(&SECOND_HI),
                table(&THIRD_LO),
                table(&THIRD_HI),
            );
            let (kind_lo, kind_hi, lead3_capable) =
                (table(&KIND_LO), table(&KIND_HI), table(&LEAD3_CAPABLE));
            let nib = _mm256_set1_epi8(0x0F);
            let zero = _mm256_setzero_si256();
            let lo = |v: __m256i, t: __m256i| _mm256_shuffle_epi8(t, _mm256_and_si256(v, nib));
            let hi = |v: __m256i, t: __m256i| {
                _mm256_shuffle_epi8(t, _mm256_and_si256(_mm256_srli_epi16::<4>(v), nib))
            };
            // Bit `k` set where some bit of `mask` is set in byte `k`.
            let any = |v: __m256i, mask: u8| {
                let x = _mm256_and_si256(v, _mm256_set1_epi8(mask as i8));
                !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, zero)) as u32)
            };
            // Per half: candidates, letters and digits, capable bytes
            // but those after a lead, capable leads, continuation bytes.
            let half = |q: *const u8| -> [u32; 5] {
                let v = _mm256_loadu_si256(q.cast());
                let kind = _mm256_and_si256(lo(v, kind_lo), hi(v, kind_hi));
                // Bit 0 of each byte, moved to its bit 7.
                let digit = _mm256_movemask_epi8(_mm256_slli_epi16::<7>(kind)) as u32;
                let alnum = any(kind, KIND_ALNUM);
                let own = any(kind, KIND_OWN);
                // Without a byte above 0x7F (the envelope of an archive
                // line: ids, keys, timestamps) no multi-byte character
                // starts here, and the digits are all the candidates.
                if _mm256_movemask_epi8(v) == 0 {
                    return [digit, alnum, own, 0, 0];
                }
                let n1 = _mm256_loadu_si256(q.add(1).cast());
                let n2 = _mm256_loadu_si256(q.add(2).cast());
                let classes = _mm256_and_si256(
                    _mm256_and_si256(
                        lo(v, lead),
                        _mm256_and_si256(lo(n1, second_lo), hi(n1, second_hi)),
                    ),
                    _mm256_and_si256(lo(n2, third_lo), hi(n2, third_hi)),
                );
                // A lead byte of a three-byte character (`E0..=EF`).
                let lead3 = _mm256_cmpeq_epi8(
                    _mm256_and_si256(v, _mm256_set1_epi8(0xF0u8 as i8)),
                    _mm256_set1_epi8(0xE0u8 as i8),
                );
                let numeral = _mm256_andnot_si256(_mm256_cmpeq_epi8(classes, zero), lead3);
                let leads = _mm256_or_si256(
                    _mm256_or_si256(numeral, _mm256_and_si256(lead3, lo(v, lead3_capable))),
                    _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0xC2u8 as i8)),
                );
                let leads = _mm256_movemask_epi8(leads) as u32;
                // Bit 5 of each byte, moved to its bit 7.
                let cont = _mm256_movemask_epi8(_mm256_slli_epi16::<2>(kind)) as u32;
                let cand = digit | _mm256_movemask_epi8(numeral) as u32;
                [cand, alnum, own | leads, leads, cont]
            };
            for (k, o) in out.iter_mut().enumerate() {
                let q = p.add(64 * k);
                let [a, la, ca, lda, cont] = half(q);
                let [b, lb, cb, ldb, _] = half(q.add(32));
                let wide = |lo: u32, hi: u32| lo as u64 | ((hi as u64) << 32);
                o.write(Block {
                    cand: wide(a, b),
                    alnum: wide(la, lb),
                    cap: wide(ca, cb) | smear(wide(lda, ldb)) | (cont & 3) as u64,
                });
            }
        }
    }

    /// Bit `k` set when the byte at `p + k` (of 32) is not an ASCII letter
    /// or digit.
    ///
    /// # Safety
    /// `p..p + 32` must be readable and the CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn not_alnum(p: *const u8) -> u32 {
        unsafe {
            let v = _mm256_loadu_si256(p.cast());
            // `lo <= v <= hi` for bytes, unsigned.
            let within = |v: __m256i, lo: u8, hi: u8| {
                let d = _mm256_sub_epi8(v, _mm256_set1_epi8(lo as i8));
                _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8((hi - lo) as i8)), d)
            };
            let digit = within(v, b'0', b'9');
            // Setting bit 5 folds upper-case letters onto lower-case ones
            // (and no other byte onto a letter).
            let letter = within(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), b'a', b'z');
            !(_mm256_movemask_epi8(_mm256_or_si256(digit, letter)) as u32)
        }
    }
}

/// The lead bytes of two- and more-byte characters that [`capable_lead`]
/// takes whatever follows them.
const CAPABLE_LEADS: [u8; 4] = [0xC2, 0xE2, 0xE3, 0xEF];

/// For each 7-bit value `x`, what the byte `x` is (bits): a digit (1), an
/// ASCII letter or digit (2), one of those or an ASCII separator (4,
/// [`KIND_OWN`]), and whether `x | 0x80` is the low seven bits of a
/// [`CAPABLE_LEADS`] byte (8). The AVX-512 path looks every byte up by its
/// low seven bits: bits 1, 2, 4 count only for ASCII bytes, bit 8 only for
/// bytes `C0..=FF` (whose low seven bits tell them apart).
const ASCII_KIND: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let kind = KIND_LO[b & 0x0F] & KIND_HI[b >> 4];
        t[b] = (kind & 1 != 0) as u8
            | ((kind & KIND_ALNUM != 0) as u8) << 1
            | ((kind & KIND_OWN != 0) as u8) << 2;
        b += 1;
    }
    let mut i = 0;
    while i < CAPABLE_LEADS.len() {
        t[(CAPABLE_LEADS[i] & 0x7F) as usize] |= 8;
        i += 1;
    }
    t
};

/// [`LEAD`] looked up by a byte's low six bits (`E0..=EF` at `20..=2F`;
/// the other entries are zero and count for no byte).
const LEAD64: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut n = 0;
    while n < 16 {
        t[0x20 + n] = LEAD[n];
        n += 1;
    }
    t
};

/// The classes a continuation byte `80 | x` allows as a character's second
/// (`hi`, `lo` = [`SECOND_HI`], [`SECOND_LO`]) or third byte, looked up by
/// `x`, its low six bits: both nibble tables at once.
const fn continuation_table(hi: &[u8; 16], lo: &[u8; 16]) -> [u8; 64] {
    let mut t = [0u8; 64];
    let mut x = 0;
    while x < 64 {
        t[x] = hi[8 + (x >> 4)] & lo[x & 0x0F];
        x += 1;
    }
    t
}

/// Class tables of the second and third bytes, by their low six bits.
const SECOND64: [u8; 64] = continuation_table(&SECOND_HI, &SECOND_LO);
const THIRD64: [u8; 64] = continuation_table(&THIRD_HI, &THIRD_LO);

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{ASCII_KIND, Block, LEAD64, SECOND64, THIRD64, smear};
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// [`filter_blocks`](super::filter_blocks) of `masks[..n]`, eight
    /// blocks a step: the same kept candidates, carry and top bit.
    ///
    /// Each step loads eight blocks as three vectors, picks out their
    /// capable bytes and candidates (one lane a block), and runs
    /// [`long_runs`](super::long_runs) on every lane at once. The one
    /// thing that runs from block to block, the carry of a kept stretch
    /// over a block's top, is worked out on the lanes' bits: a lane's
    /// addition without its carry either overflows (it gives a carry
    /// whatever comes in) or leaves all ones (it passes on the carry that
    /// comes in), so the carries into the lanes are those of adding two
    /// 8-bit numbers (`g | p` and `g`, plus the carry into the first
    /// lane), read off as the sum's bits that the operands do not
    /// explain. The last step takes the blocks left (fewer than eight):
    /// its loads and stores are masked to them.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn filter(
        masks: &mut [Block],
        n: usize,
        (mut carry, mut top): (u64, u64),
        min_len: u32,
    ) -> (u64, u64) {
        debug_assert!((2..=64).contains(&min_len) && n <= masks.len());
        let mut i = 0;
        // SAFETY (every step): `Block` is three `u64`s in order
        // (`repr(C)`), so blocks `i..i + k` (all in `masks`, `i + k <= n`)
        // are the `3k` words from `masks[i]` on, and the loads and stores
        // touch no other (masked: a masked-out element is not accessed).
        unsafe {
            let set =
                |x: [i64; 8]| _mm512_setr_epi64(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
            // Words of block `k`: candidates `3k`, capable bytes `3k + 2`.
            let (caps_a, caps_b) = (
                set([2, 5, 8, 11, 14, 0, 0, 0]),
                set([0, 1, 2, 3, 4, 9, 12, 15]),
            );
            let (cands_a, cands_b) = (
                set([0, 3, 6, 9, 12, 15, 0, 0]),
                set([0, 1, 2, 3, 4, 5, 10, 13]),
            );
            // Where the kept candidates go back: lanes 0, 3, 6 of the
            // first vector, 1, 4, 7 of the second, 2, 5 of the third.
            let back = [
                (0b0100_1001u8, set([0, 0, 0, 1, 0, 0, 2, 0])),
                (0b1001_0010u8, set([0, 3, 0, 0, 4, 0, 0, 5])),
                (0b0010_0100u8, set([0, 0, 6, 0, 0, 7, 0, 0])),
            ];
            let ones = _mm512_set1_epi64(-1);
            while i < n {
                // The blocks of this step: eight, or the last few (the
                // lanes past them load zeros and store nothing).
                let k = (n - i).min(8);
                let words = 3 * k;
                let part = |j: usize| ((1u32 << words.saturating_sub(8 * j).min(8)) - 1) as u8;
                let p = masks.as_mut_ptr().add(i).cast::<u64>();
                let r = [
                    _mm512_maskz_loadu_epi64(part(0), p.cast()),
                    _mm512_maskz_loadu_epi64(part(1), p.add(8).cast()),
                    _mm512_maskz_loadu_epi64(part(2), p.add(16).cast()),
                ];
                let caps = _mm512_permutex2var_epi64(
                    _mm512_permutex2var_epi64(r[0], caps_a, r[1]),
                    caps_b,
                    r[2],
                );
                let cands = _mm512_permutex2var_epi64(
                    _mm512_permutex2var_epi64(r[0], cands_a, r[1]),
                    cands_b,
                    r[2],
                );
                // Each lane's next block's capable bytes (the block after
                // the step's last is put in the lane past it), and the top
                // bit of the block before it.
                let after = _mm512_set1_epi64(masks.get(i + k).map_or(0, |b| b.cap) as i64);
                let beyond = _mm512_mask_blend_epi64((1u16 << k) as u8, caps, after);
                let next = _mm512_alignr_epi64::<1>(after, beyond);
                let before = _mm512_alignr_epi64::<7>(caps, _mm512_set1_epi64((top << 63) as i64));
                let tops = _mm512_srli_epi64::<63>(before);
                // The windows of `min_len` capable bytes (see `long_runs`).
                let (mut w, mut hi) = (caps, next);
                let mut m = 1;
                while m < min_len {
                    let sh = m.min(min_len - m);
                    let (down, up) = (
                        _mm_cvtsi32_si128(sh as i32),
                        _mm_cvtsi32_si128((64 - sh) as i32),
                    );
                    w = _mm512_and_si512(
                        w,
                        _mm512_or_si512(_mm512_srl_epi64(w, down), _mm512_sll_epi64(hi, up)),
                    );
                    hi = _mm512_and_si512(hi, _mm512_srl_epi64(hi, down));
                    m += sh;
                }
                let firsts =
                    _mm512_andnot_si512(_mm512_or_si512(_mm512_slli_epi64::<1>(caps), tops), w);
                let sum = _mm512_add_epi64(caps, firsts);
                let g = _mm512_cmplt_epu64_mask(sum, caps) as u32;
                let pass = _mm512_cmpeq_epi64_mask(sum, ones) as u32;
                let t = (g | pass) + g + carry as u32;
                // The carries into the lanes (and into the one past the
                // last block: the carry out).
                let carries = t ^ (g | pass) ^ g;
                let sum = _mm512_mask_add_epi64(sum, carries as u8, sum, _mm512_set1_epi64(1));
                // `(sum ^ caps) & caps`, the stretches the additions ran
                // through, and the candidates in them.
                let kept = _mm512_and_si512(_mm512_andnot_si512(sum, caps), cands);
                for (j, &(lanes, idx)) in back.iter().enumerate() {
                    let v = _mm512_mask_permutexvar_epi64(r[j], lanes, idx, kept);
                    _mm512_mask_storeu_epi64(p.add(8 * j).cast(), part(j), v);
                }
                carry = u64::from(carries >> k & 1);
                // The last block's top capable byte, read off the lanes
                // (a load of it would wait for the masked stores above:
                // no store forwarding from those).
                top =
                    u64::from(_mm512_cmplt_epi64_mask(caps, _mm512_setzero_si512()) >> (k - 1) & 1);
                i += k;
            }
        }
        (carry, top)
    }

    /// Writes the masks of `out.len()` blocks of 64 bytes from `p` on (every
    /// one of `out`), reading `64 * out.len() + 2` bytes: one vector per
    /// block, each test a compare into a mask register (bit `k` for byte
    /// `k`, no movemask), each lookup one `vpermb`/`vpermi2b` by a byte's
    /// low six or seven bits (no nibble split).
    ///
    /// Why the lookups by some bits of a byte are exact: the 128-entry
    /// [`ASCII_KIND`] tells ASCII bytes (the only ones whose kind bits are
    /// read) apart and `C0..=FF` (the only ones whose capable-lead bit is
    /// read); [`LEAD64`] is read only for `E0..=EF`, [`SECOND64`] and
    /// [`THIRD64`] only for continuation bytes `80..=BF`, which their low
    /// six bits tell apart. Every other byte fails a compare that the
    /// lookup's result is masked with, as the zeros of
    /// [`SECOND_HI`](super::SECOND_HI) and [`THIRD_HI`](super::THIRD_HI)
    /// outside `8..=B` make it fail [`multibyte`](super::multibyte).
    ///
    /// # Safety
    /// `p..p + 64 * out.len() + 2` must be readable and the CPU must
    /// support AVX-512 F, BW and VBMI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub unsafe fn masks(p: *const u8, out: &mut [MaybeUninit<Block>]) {
        unsafe {
            let load = |q: *const u8| _mm512_loadu_si512(q.cast());
            let (kind_lo, kind_hi) = (load(ASCII_KIND.as_ptr()), load(ASCII_KIND[64..].as_ptr()));
            let (lead, second, third) = (
                load(LEAD64.as_ptr()),
                load(SECOND64.as_ptr()),
                load(THIRD64.as_ptr()),
            );
            let bit = |b: u8| _mm512_set1_epi8(b as i8);
            for (k, o) in out.iter_mut().enumerate() {
                let q = p.add(64 * k);
                let v = load(q);
                // Bytes 80..=FF: no ASCII kind.
                let high = _mm512_movepi8_mask(v);
                let kind = _mm512_permutex2var_epi8(kind_lo, v, kind_hi);
                let digit = _mm512_mask_test_epi8_mask(!high, kind, bit(1));
                let alnum = _mm512_mask_test_epi8_mask(!high, kind, bit(2));
                let own = _mm512_mask_test_epi8_mask(!high, kind, bit(4));
                // Without a byte above 0x7F (the envelope of an archive
                // line: ids, keys, timestamps) no multi-byte character
                // starts here, and the digits are all the candidates.
                if high == 0 {
                    o.write(Block {
                        cand: digit,
                        alnum,
                        cap: own,
                    });
                    continue;
                }
                // Continuation bytes 80..=BF are -128..=-65 as `i8`.
                let below_c0 = bit(0xC0);
                let cont = _mm512_cmplt_epi8_mask(v, below_c0);
                // A lead byte of a three-byte character (`E0..=EF`), whose
                // next two bytes are continuation bytes.
                let (n1, n2) = (load(q.add(1)), load(q.add(2)));
                let lead3 = _mm512_cmplt_epu8_mask(_mm512_xor_si512(v, bit(0xE0)), bit(0x10));
                let whole = _mm512_mask_cmplt_epi8_mask(lead3, n1, below_c0);
                let whole = _mm512_mask_cmplt_epi8_mask(whole, n2, below_c0);
                // The classes each of the three bytes allows, ANDed.
                let classes = _mm512_ternarylogic_epi32::<0x80>(
                    _mm512_permutexvar_epi8(v, lead),
                    _mm512_permutexvar_epi8(n1, second),
                    _mm512_permutexvar_epi8(n2, third),
                );
                let numeral = _mm512_mask_test_epi8_mask(whole, classes, classes);
                // Capable leads among the bytes C0..=FF.
                let capable = _mm512_mask_test_epi8_mask(high & !cont, kind, bit(8));
                o.write(Block {
                    cand: digit | numeral,
                    alnum,
                    cap: own | smear(numeral | capable) | (cont & 3),
                });
            }
        }
    }
}

/// The first position at or after `from` whose byte is not an ASCII
/// letter or digit (`data.len()` if none). Runs of such bytes (base64
/// message ids, user ids, timestamps) are most of what the tokenizer
/// walks; with AVX2 it tests 32 bytes per step instead of one.
#[inline]
pub fn skip_alnum(data: &[u8], mut from: usize) -> usize {
    // Many stretches are empty: that is tested on its own.
    if data.get(from).is_none_or(|b| !b.is_ascii_alphanumeric()) {
        return from;
    }
    #[cfg(target_arch = "x86_64")]
    if data.len() >= 32 && from < data.len() && Simd::Avx2.available() {
        loop {
            // The last step reads the data's last 32 bytes, ignoring those
            // before `from`.
            let at = from.min(data.len() - 32);
            // SAFETY: `at..at + 32` is inside `data`, and AVX2 was detected
            // at run time.
            let m = unsafe { avx2::not_alnum(data.as_ptr().add(at)) } >> (from - at);
            if m != 0 {
                return from + m.trailing_zeros() as usize;
            }
            from = at + 32;
            if from >= data.len() {
                return data.len();
            }
        }
    }
    while from < data.len() && data[from].is_ascii_alphanumeric() {
        from += 1;
    }
    from
}

/// The last position before `to`, but not before `floor`, from which on
/// every byte up to `to` is an ASCII letter or digit (`to` itself when
/// the byte before it is not one).
#[inline]
pub fn skip_alnum_back(data: &[u8], floor: usize, mut to: usize) -> usize {
    if to <= floor || !data[to - 1].is_ascii_alphanumeric() {
        return to;
    }
    #[cfg(target_arch = "x86_64")]
    if to > floor && data.len() >= 32 && Simd::Avx2.available() {
        loop {
            // The first step may read bytes after `to`, the last one bytes
            // before `floor`: both are ignored.
            let at = to.saturating_sub(32).min(data.len() - 32);
            // SAFETY: `at..at + 32` is inside `data`, and AVX2 was detected
            // at run time.
            let m = unsafe { avx2::not_alnum(data.as_ptr().add(at)) } << (at + 32 - to);
            if m != 0 {
                return (to - m.leading_zeros() as usize).max(floor);
            }
            to -= 32.min(to - at);
            if to <= floor {
                return floor;
            }
        }
    }
    while to > floor && data[to - 1].is_ascii_alphanumeric() {
        to -= 1;
    }
    to
}

/// The masks (see [`mask_scalar`]) of blocks `from..to` of `data`, the
/// blocks being the 64-byte stretches from `data`'s start on, appended to
/// `out`. A block that runs past the data's end (or whose two bytes after
/// it do) is read from a copy padded with zeros, which are never
/// candidates, letters or digits.
fn compute(data: &[u8], from: usize, to: usize, simd: Simd, out: &mut Vec<Block>) {
    // Blocks `..whole` have their 66 bytes inside `data`.
    let whole = if data.len() >= 66 {
        (data.len() - 66) / 64 + 1
    } else {
        0
    };
    let (at, n) = (out.len(), to - from);
    let direct = whole.clamp(from, to);
    // Written in place, each block whole (not zeroed first: that was a
    // third of the time spent around the classification, a line's few
    // blocks at a time).
    out.reserve(n);
    let (done, padded) = out.spare_capacity_mut()[..n].split_at_mut(direct - from);
    match simd {
        // SAFETY (both): blocks `from..direct` and the two bytes after them
        // lie inside `data`, and the CPU's features were detected at run
        // time (`Simd::available`).
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { avx512::masks(data.as_ptr().add(64 * from), done) },
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { avx2::masks(data.as_ptr().add(64 * from), done) },
        _ => scalar_blocks(data, from, done),
    }
    for (k, o) in (direct..).zip(padded) {
        let base = 64 * k;
        let mut block = [0u8; 66];
        let m = data.len().saturating_sub(base).min(66);
        block[..m].copy_from_slice(&data[base..base + m]);
        o.write(mask_at(&block, simd));
    }
    // SAFETY: every one of the `n` blocks after the first `at` was written
    // above (each `masks` writes every block of its slice).
    unsafe { out.set_len(at + n) };
}

/// Writes the masks of blocks `from..from + out.len()` of `data` (each
/// with its two bytes after it inside `data`; every one of `out`), without
/// SIMD.
fn scalar_blocks(data: &[u8], from: usize, out: &mut [MaybeUninit<Block>]) {
    for (k, o) in (from..).zip(out) {
        let b = &data[64 * k..64 * k + 66];
        o.write(mask_scalar(
            b[..64].try_into().expect("64 bytes"),
            [b[64], b[65]],
        ));
    }
}

/// The masks of `bytes[..64]`, `bytes` being 66 long.
#[inline]
fn mask_at(bytes: &[u8; 66], simd: Simd) -> Block {
    let mut m = [MaybeUninit::new(Block::default())];
    match simd {
        // SAFETY (both): `bytes` holds the 66 bytes `masks` reads for one
        // block, and the CPU's features were detected at run time.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { avx512::masks(bytes.as_ptr(), &mut m) },
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { avx2::masks(bytes.as_ptr(), &mut m) },
        _ => {
            let block: &[u8; 64] = bytes[..64].try_into().expect("64 bytes");
            return mask_scalar(block, [bytes[64], bytes[65]]);
        }
    }
    // SAFETY: initialised above (and written by `masks`).
    unsafe { m[0].assume_init() }
}

/// The masks of a buffer's 64-byte blocks (aligned to its start), kept
/// between the lines of a chunk: the gate asks for them a line at a time,
/// in order, and they are classified many blocks per step, each once (the
/// block a line ends in is the block the next line starts in).
///
/// Key decision: the short stretches' candidates are cleared a batch of
/// blocks at a time, right after they are classified, measuring each
/// stretch across the whole buffer (`long_runs`, carried from one block
/// to the next), rather than per line when a walk loads a block: a block
/// two lines share is filtered once, a walk's load is a plain read, and
/// a block's neighbours are at hand without a lookup per load (callgrind
/// on s20: 398.7M -> 382.0M instructions in all; the filters and loads
/// went from about 30M to about 15M). A stretch is measured across line breaks
/// only where a two-byte character's lead right before a `\n` makes it
/// capable (`·` at a line's end), which only lengthens it; a line's
/// candidates are thus never fewer than those of the line scanned alone
/// in its stretches that a run may need ([`Candidates`] says why that is
/// exact), and the tokenizer finds the same runs either way. The
/// stretch that touches the start of the first block classified after
/// the masks were cleared (or after a jump, or after blocks were passed
/// that no walk asked for) is kept whatever its length: the bytes before
/// it were not looked at.
#[derive(Debug, Default)]
pub struct BlockMasks {
    /// Index of the block `masks[0]` describes.
    first: usize,
    /// The masks of blocks `first..`, the candidates of the first
    /// `filtered` of them left out when in a stretch shorter than
    /// `min_len` (the others wait for the next block's).
    masks: Vec<Block>,
    /// How many of `masks` are filtered.
    filtered: usize,
    /// The length the filtered masks were cut for.
    min_len: u32,
    /// 1 when the stretch that reaches the end of the last filtered block
    /// is kept (and so goes on being kept in the next), else 0.
    carry: u64,
    /// The top bit of the capable bytes of the last filtered block (1:
    /// the next block's first stretch starts before it).
    top: u64,
}

/// How many blocks behind the first one asked for [`BlockMasks`] keeps
/// (filtered, never read again) before it drops them: moving the line's
/// last block or two to the front at every line, with the new blocks
/// zeroed before they were classified, was about 1.5% of a pinned scan
/// (without both, 0.984 in 15 paired rounds on the 300 MB archive; same
/// findings).
const KEEP_BEHIND: usize = 256;

/// Mask buffers kept for reuse ([`BlockMasks::of_all`] takes one,
/// [`BlockMasks::recycle`] gives one back; see [`crate::pool`]): a chunk's
/// masks are about 1.5 MiB (a 4 MiB chunk; on the 300 MB archive at `-j1`
/// the process's system time went from 102 to 83 ms with them reused, 79
/// without masks made ahead, with 1 MiB chunks). At most four are kept,
/// those of the chunks in flight at `-j1` (two queued, one scanned, one
/// being read), each of 1,024 blocks to those of a 6 MiB chunk (the
/// largest chunk buffer `chunk::recycle` keeps: a default chunk and the
/// line it runs on into), about 2.3 MiB.
static SPARE: Pool<Block> = Pool::new(4, 1024, crate::chunk::MAX_KEPT_BUFFER / 64);

impl BlockMasks {
    /// The masks of every block of `data`, filtered for `min_len` (as
    /// [`BlockMasks::candidates`] would leave them after asking for the
    /// whole of `data`), in a buffer reused when one is spare: for a
    /// thread that has the bytes at hand to classify them before the
    /// line gate runs (see `gate::Prepass`). Ranges of `data` then asked
    /// of them with the same `min_len` need no classifying.
    pub fn of_all(data: &[u8], min_len: usize) -> BlockMasks {
        let mut m = BlockMasks {
            masks: SPARE.take(),
            ..BlockMasks::default()
        };
        let total = data.len().div_ceil(64);
        if total > 0 {
            m.prepare(data, 0, total, min_len.min(64) as u32);
        }
        m
    }

    /// Gives the masks' buffer back for reuse by [`BlockMasks::of_all`]
    /// (a buffer too small to matter, too large to keep, or beyond what
    /// is kept is freed).
    pub fn recycle(self) {
        SPARE.give(self.masks);
    }

    /// Forgets every mask: to be called whenever the buffer changes.
    pub fn clear(&mut self) {
        self.masks.clear();
    }

    /// The candidates of `data[..end]` from `start` on, read off the masks
    /// of `data`'s blocks, and where the block holding `start` begins (the
    /// candidates' positions count from there; the caller looks at nothing
    /// before `start`). Keeps the masks of the blocks from that one on
    /// (those already there are reused), so ranges asked in order (a
    /// chunk's lines) classify each block once. Candidates in stretches
    /// of capable bytes shorter than `min_len` are left out (see
    /// [`Candidates`], and above for how stretches are measured). The
    /// byte after `range` must be a line break, or `range` must end at
    /// the end of `data`.
    ///
    /// Inlined into the walk, so that the walk's state is built where it
    /// lives (not returned through memory and copied, once a line); the
    /// classification and filtering are one call (`BlockMasks::prepare`).
    #[inline(always)]
    pub fn candidates<'a>(
        &'a mut self,
        data: &'a [u8],
        range: Range<usize>,
        min_len: usize,
    ) -> (Candidates<'a>, usize) {
        let (b0, b1) = (range.start / 64, range.end.div_ceil(64));
        let min_len = min_len.min(64) as u32;
        self.prepare(data, b0, b1, min_len);
        let mut c = Candidates {
            data: &data[64 * b0..range.end],
            pre: Some(&self.masks[b0 - self.first..b1 - self.first]),
            base: 0,
            mask: 0,
            alnum: 0,
            min_len,
            simd: Simd::Scalar,
        };
        // The first block loaded here, inlined (`started` is not: the
        // walks of other scans start once a slice, not once a line).
        c.load(0);
        (c, 64 * b0)
    }

    /// Makes the masks of blocks `b0..b1` of `data` be there, filtered
    /// for `min_len` (see [`BlockMasks::candidates`]).
    #[inline(never)]
    fn prepare(&mut self, data: &[u8], b0: usize, b1: usize, min_len: u32) {
        if min_len != self.min_len {
            // Masks cut for another length: classified afresh.
            self.masks.clear();
            self.min_len = min_len;
        }
        let total = data.len().div_ceil(64);
        // The filter of a block wants the capable bytes of the next one.
        self.ensure(data, b0, (b1 + 1).min(total));
        self.filter(data.len());
        debug_assert!(self.filtered >= b1 - self.first);
    }

    /// Makes the masks of blocks `b0..b1` (`b1` at most the number of
    /// `data`'s blocks) be there: drops those before `b0` when more are
    /// needed (once [`KEEP_BEHIND`] have gathered), and classifies those
    /// missing in one step (no more: the blocks of the lines the gate
    /// judges otherwise, those with a keyword or a backslash, are not
    /// classified here; classifying 32 blocks ahead, those lines' too,
    /// measured 1.016 pinned, and readying the next line's blocks before
    /// walking a line, so that its filter's chain of steps would overlap
    /// the walk, 1.031). Starts afresh
    /// (at the origin, see above) when `b0` does not follow on from the
    /// blocks there, and goes on at the origin when blocks that were
    /// never filtered are dropped.
    fn ensure(&mut self, data: &[u8], b0: usize, b1: usize) {
        let have = self.first + self.masks.len();
        if self.masks.is_empty() || b0 < self.first || b0 > have {
            self.masks.clear();
            self.first = b0;
            self.filtered = 0;
            (self.carry, self.top) = (1, 1);
        } else if b1 <= have {
            return;
        } else if b0 > self.first {
            // Blocks behind `b0` that are filtered are dropped only many at
            // a time (moving the few masks left to the front at every line
            // cost more than the blocks they keep); blocks never filtered
            // at once, the filter starting afresh at `b0`.
            let drop = b0 - self.first;
            let afresh = drop > self.filtered;
            if afresh || drop >= KEEP_BEHIND {
                if afresh {
                    (self.carry, self.top) = (1, 1);
                }
                self.filtered = self.filtered.saturating_sub(drop);
                self.masks.drain(..drop);
                self.first = b0;
            }
        }
        let have = self.first + self.masks.len();
        if have < b1 {
            compute(data, have, b1, Simd::best(), &mut self.masks);
            // No byte after the data's end is capable (a lead at the end
            // smears into the zeros after it).
            let rest = data.len() - 64 * (b1 - 1);
            if rest < 64 {
                let last = self.masks.last_mut().expect("a block");
                last.cap &= (1u64 << rest) - 1;
            }
        }
    }

    /// Clears the candidates in short stretches from the masks not yet
    /// filtered, but the last one when the next block's is not there yet
    /// (`len`: the data's length).
    fn filter(&mut self, len: usize) {
        let n = self.masks.len();
        let at_end = 64 * (self.first + n) >= len;
        let upto = if at_end { n } else { n.saturating_sub(1) };
        if self.filtered >= upto {
            return;
        }
        if self.min_len > 1 {
            let (masks, state) = (&mut self.masks[self.filtered..], (self.carry, self.top));
            let n = upto - self.filtered;
            (self.carry, self.top) = filter_any(masks, n, state, self.min_len);
        }
        self.filtered = upto;
    }
}

/// Blocks a filter call takes with the scalar loop, at most, where
/// AVX-512 would take them in one step: a step's set-up costs more than
/// the loop over a few blocks (a line of JSON of two blocks, pinned: 0.888
/// of the time with every call in a step; the 300 MB archive, whose lines
/// bring about ten new blocks each, 1.000).
const SCALAR_FILTER_MAX: usize = 4;

/// [`filter_blocks`] with the widest filter this CPU runs: eight blocks
/// a step with AVX-512 (the last step masked to the blocks left), but for
/// a few blocks (see [`SCALAR_FILTER_MAX`]).
fn filter_any(masks: &mut [Block], n: usize, state: (u64, u64), min_len: u32) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if n > SCALAR_FILTER_MAX && Simd::best() == Simd::Avx512 {
        // SAFETY: AVX-512 F was detected at run time.
        return unsafe { avx512::filter(masks, n, state, min_len) };
    }
    filter_unrolled(masks, n, state, min_len)
}

/// [`filter_blocks`] with its shift steps unrolled for `min_len`.
fn filter_unrolled(masks: &mut [Block], n: usize, state: (u64, u64), min_len: u32) -> (u64, u64) {
    // Each length a rule set can start at (the shortest token length of
    // its rules) gets its own copy of the loop, its shift steps unrolled:
    // the loop with the steps worked out at run time costs about twice as
    // much (callgrind on s20 with the digit rules only, shortest length
    // 11: the masks' filter 43.3M -> 22.5M instructions, the whole scan
    // -10%).
    macro_rules! unrolled {
        ($($len:literal)*) => {
            match min_len {
                $($len => filter_blocks(masks, n, state, $len),)*
                m => filter_blocks(masks, n, state, m),
            }
        };
    }
    unrolled!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24)
}

/// Walks the candidate positions of a byte slice in order, leaving out
/// those that lie in a stretch of capable bytes (see `Block::cap`)
/// shorter than the walk's `min_len`: no run that long starts there.
///
/// Why that is exact: a run holds or crosses only characters that
/// [`classify`](super::normalize::classify) calls something other than a
/// break (letters, digits, numerals, separators; the tokenizer steps over
/// nothing else), and every byte of those is capable: ASCII letters,
/// digits and separators are; a multi-byte one other than a numeral has
/// a lead byte `C2` (NBSP, middle dot), `E2` (dashes, zero-width spaces,
/// keycap, circled digits) or `E3` (ideographic space, 〇) or `EF`
/// (full-width forms, `FE0F`, BOM), a numeral passes `multibyte`, and a
/// capable lead's next two bytes are capable (two-byte characters get one
/// byte too many, which only lengthens a stretch). A run (and the letters
/// before its first digit that the tokenizer backs up over) thus lies in
/// one maximal stretch of capable bytes, and has at most as many
/// normalized characters as the stretch has bytes. Capable bytes beyond
/// these (`，`, `。`, `：` have capable leads; the bytes before the
/// slice in its first block; a continuation byte at a block's start,
/// whatever its lead) only lengthen stretches, so fewer candidates are
/// left out. Every candidate is capable, and all candidates of one
/// stretch are left out or none is, so the tokenizer, backing up from a
/// candidate it gets, never crosses into a stretch it did not get.
///
/// Read off [`BlockMasks`] (`pre`), the masks come filtered, each
/// stretch measured across the whole buffer (`long_runs`): the capable
/// bytes of other lines that a stretch reaches (before the slice's first
/// line break, or after its last byte through a two-byte character's
/// lead before its `\n`) only lengthen it, as above. Computing each
/// block as it is reached, a block's stretches are measured when the
/// walk loads it (`long_stretches`), and those that touch its edges
/// (but the data's end) are kept. Either way a stretch that crosses an
/// edge measures the same from both sides, so its candidates are kept or
/// left out on both sides alike.
pub struct Candidates<'a> {
    data: &'a [u8],
    /// The masks of every block of the slice, computed and filtered
    /// ahead (those of the bytes after the slice's end are left out when
    /// loaded); `None`: each block is computed when reached.
    pre: Option<&'a [Block]>,
    /// Start of the block `mask` describes.
    base: usize,
    /// Remaining candidate bits of that block (those in short stretches
    /// cleared when it was loaded).
    mask: u64,
    /// The block's ASCII letters and digits (all of them).
    alnum: u64,
    /// Candidates in stretches of capable bytes shorter than this are
    /// left out (none when it is 0 or 1; used only without `pre`).
    min_len: u32,
    /// How blocks are computed (used only without `pre`).
    simd: Simd,
}

impl<'a> Candidates<'a> {
    /// Starts at the beginning of `data`, leaving out the candidates in
    /// stretches of capable bytes shorter than `min_len`.
    pub fn new(data: &'a [u8], min_len: usize) -> Self {
        Candidates {
            data,
            pre: None,
            base: 0,
            mask: 0,
            alnum: 0,
            min_len: min_len.min(64) as u32,
            simd: Simd::best(),
        }
        .started()
    }

    /// With the first block loaded.
    fn started(mut self) -> Self {
        self.load(0);
        self
    }

    /// Loads the masks of the block starting at `base`, leaving out the
    /// candidates in short stretches.
    #[inline(always)]
    fn load(&mut self, base: usize) {
        self.base = base;
        let n = self.data.len();
        if base >= n {
            (self.mask, self.alnum) = (0, 0);
            return;
        }
        // The masks of the slice's blocks come filtered ([`BlockMasks`]);
        // blocks computed one at a time, as they are reached (with jumps
        // between), are filtered here, their neighbours' stretches
        // unknown: those that touch the block's edges are kept, but the
        // data's end, after which no byte is capable.
        let (mut b, filter) = match self.pre {
            Some(pre) => (pre[base / 64], false),
            None => (self.compute_block(base), self.min_len > 1),
        };
        if n - base < 64 {
            // The last block holds bytes after the slice (the next line;
            // or zeros, which the capable bytes of a lead at the end may
            // reach).
            let keep = (1u64 << (n - base)) - 1;
            b.cand &= keep;
            b.alnum &= keep;
            b.cap &= keep;
        }
        let Block { cand, alnum, cap } = b;
        debug_assert_eq!(cand & !cap, 0, "a candidate is capable");
        self.alnum = alnum;
        self.mask = cand;
        if filter && cand != 0 {
            let after = if base + 64 < n { 64 } else { 0 };
            self.mask &= long_stretches(cap, self.min_len, 64, after);
        }
    }

    /// Computes the masks of the block starting at `base`, inside the data.
    #[inline(never)]
    fn compute_block(&self, base: usize) -> Block {
        let data = self.data;
        if base + 66 <= data.len() {
            let bytes: &[u8; 66] = data[base..base + 66].try_into().expect("66 bytes");
            return mask_at(bytes, self.simd);
        }
        // The last block: copied, padded with zeros (never candidates,
        // letters, digits or capable).
        let mut block = [0u8; 66];
        let n = data.len() - base;
        block[..n].copy_from_slice(&data[base..]);
        mask_at(&block, self.simd)
    }

    /// The first position at or after `from` whose byte is not an ASCII
    /// letter or digit ([`skip_alnum`]), read off the current block's mask
    /// when the stretch ends inside it. `from` must not lie before the
    /// block of the last candidate returned.
    #[inline]
    pub fn alnum_end(&self, from: usize) -> usize {
        debug_assert!(from >= self.base);
        let off = from - self.base;
        if off < 64 {
            let rest = !self.alnum >> off;
            if rest != 0 {
                return from + rest.trailing_zeros() as usize;
            }
        }
        skip_alnum(self.data, from.max(self.base + 64))
    }

    /// Where the stretch of ASCII letters and digits ending just before
    /// `to` starts, but not before `floor` ([`skip_alnum_back`]), read off
    /// the current block's mask when the stretch starts inside it. `to`
    /// must lie in the block of the last candidate returned.
    #[inline]
    pub fn alnum_start(&self, to: usize, floor: usize) -> usize {
        debug_assert!((self.base..self.base + 64).contains(&to));
        let below = !self.alnum & ((1u64 << (to - self.base)) - 1);
        if below != 0 {
            return (self.base + 64 - below.leading_zeros() as usize).max(floor);
        }
        skip_alnum_back(self.data, floor, to)
    }

    /// Whether `at`, after the last candidate returned, lies in its block,
    /// and whether it is a candidate there (false past that block): the
    /// two without a branch.
    #[inline(always)]
    pub fn candidate_at(&self, at: usize) -> (bool, bool) {
        let off = at.wrapping_sub(self.base);
        let here = off < 64;
        (here, here & (self.mask >> (off & 63) & 1 != 0))
    }

    /// The first candidate position at or after `from`, if any.
    #[inline(always)]
    pub fn next_from(&mut self, from: usize) -> Option<usize> {
        let mut off = from.wrapping_sub(self.base);
        if off >= 64 {
            // Jump to the block holding `from` (blocks are 64-aligned
            // relative to the start of the data).
            self.load(from & !63);
            off = from & 63;
        }
        self.mask &= u64::MAX << off;
        loop {
            if self.mask != 0 {
                return Some(self.base + self.mask.trailing_zeros() as usize);
            }
            let mut next = self.base + 64;
            // Filtered masks (one per block of the slice, see `pre`): the
            // blocks with no candidate left are passed over reading their
            // candidates alone (about half the blocks of an archive line:
            // Chinese text, ids with no digit in a long enough stretch).
            // The block loaded is the next one with a candidate, as the
            // loads one by one would reach it (a block loaded with none
            // leaves `mask` empty, and the walk goes on past it).
            if let Some(pre) = self.pre {
                debug_assert_eq!(pre.len(), self.data.len().div_ceil(64));
                let mut k = next / 64;
                while k < pre.len() && pre[k].cand == 0 {
                    k += 1;
                }
                next = 64 * k;
            }
            if next >= self.data.len() {
                return None;
            }
            self.load(next);
        }
    }
}

/// The bytes of a block's capable bytes `cap` that lie in a stretch of
/// at least `min_len` (2..=64) of them, given that `before` capable bytes
/// lie just before the block and `after` just after it (64 or more: as
/// many as a stretch could want).
///
/// Bit-parallel, in a few steps for any length: ANDing `cap` with copies
/// of itself shifted down by `k`, then by up to `2k`, and so on (each
/// step doubles the width of a window, the last one only tops it up),
/// leaves the positions that start `min_len` capable bytes; ORing that
/// with copies shifted up, the same way, spreads each such position over
/// its window, and the windows of a stretch cover all of it exactly when
/// it is long enough. Shifts bring in zeros, so a stretch that touches
/// an edge is measured inside the block only; it is then kept whole when
/// its bytes and those just across the edge make enough (no stretch
/// touches both edges but one of the whole block, which the windows
/// keep).
#[inline(always)]
fn long_stretches(cap: u64, min_len: u32, before: u32, after: u32) -> u64 {
    debug_assert!((2..=64).contains(&min_len));
    let mut r = cap;
    let mut k = 1;
    while k < min_len {
        let s = k.min(min_len - k);
        r &= r >> s;
        k += s;
    }
    let mut k = 1;
    while k < min_len {
        let s = k.min(min_len - k);
        r |= r << s;
        k += s;
    }
    // The stretch that touches the block's first byte (all of `cap` when
    // it has no zero) and the one that touches its last: `top` of them
    // (`| 1` keeps the count below 64; a block with no zero is kept by
    // the windows anyway).
    let low = cap & !cap.wrapping_add(1);
    let top = (!cap | 1).leading_zeros();
    if top + after >= min_len {
        r |= !(u64::MAX >> top);
    }
    if (!cap).trailing_zeros() + before >= min_len {
        r |= low;
    }
    r
}

/// Clears the candidates in stretches shorter than `min_len` from the
/// first `n` of `masks` ([`long_runs`]; the block after them, if any, is
/// `masks[n]`), given the carry and top bit `state` of the block before
/// them; returns those of the last.
#[inline(always)]
fn filter_blocks(masks: &mut [Block], n: usize, state: (u64, u64), min_len: u32) -> (u64, u64) {
    let (mut carry, mut top) = state;
    for i in 0..n {
        let Block { cand, cap, .. } = masks[i];
        let next = masks.get(i + 1).map_or(0, |b| b.cap);
        // Every block, with or without a candidate: see the module doc.
        let kept;
        (kept, carry) = long_runs(cap, next, top, carry, min_len);
        masks[i].cand = cand & kept;
        top = cap >> 63;
    }
    (carry, top)
}

/// The bytes of a block's capable bytes `cap` that lie in a stretch of
/// at least `min_len` (2..=64) of them, measured across the whole buffer,
/// and the carry for the next block: `next` is the next block's capable
/// bytes (0 after the data's end), `top` the top bit of the block
/// before's, and `carry` the carry it gave (1: its last stretch is kept).
/// The first block of a walk gets `top` and `carry` 1: its first stretch
/// is kept whatever its length.
///
/// Bit-parallel, in a few steps for any length, and exact across block
/// edges: ANDing the block's and the next block's bytes (as one number
/// of 128 bits) with copies of themselves shifted down leaves the bytes
/// that start `min_len` capable ones (as in [`long_stretches`]); the
/// lowest of them in a stretch is its first byte exactly when the
/// stretch is long enough. So the first bytes of the long stretches that
/// start in the block are those of them that follow a byte that is not
/// capable. Adding them to `cap` carries each up through its stretch,
/// clearing it and setting the byte past it (never capable, so no other
/// stretch is touched): XORed with `cap`, that
/// leaves the long stretches. One that runs past the block's top carries
/// out of it, and the carry fills the next block's first stretch, as an
/// addition over words does: the stretch goes on there, and was judged
/// in the block where it starts (a window from its first byte ends inside
/// that block or the next, as `min_len` is at most 64).
#[inline(always)]
fn long_runs(cap: u64, next: u64, top: u64, carry: u64, min_len: u32) -> (u64, u64) {
    debug_assert!((2..=64).contains(&min_len) && top <= 1 && carry <= 1);
    debug_assert!(carry == 0 || top == 1, "a carry comes from a stretch");
    // The 128 bits of the block and the next one, shifted as one (a
    // window from a byte of the block ends inside them; shifts are at
    // most 32).
    let (mut w, mut hi) = (cap, next);
    let mut k = 1;
    while k < min_len {
        let s = k.min(min_len - k);
        w &= w >> s | hi << (64 - s);
        hi &= hi >> s;
        k += s;
    }
    // The carry comes in at bit 0, never a first byte then (`top` is 1).
    let firsts = w & !(cap << 1 | top);
    let (sum, out) = cap.overflowing_add(firsts | carry);
    ((sum ^ cap) & cap, out as u64)
}

/// Whether each byte of `data` is capable ([`Block::cap`]), from the
/// masks of its blocks (aligned to its start), computed with the widest
/// SIMD the CPU has (`simd`) or without.
#[cfg(test)]
pub(crate) fn capable_bytes(data: &[u8], simd: bool) -> Vec<bool> {
    capable_bytes_with(data, if simd { Simd::best() } else { Simd::Scalar })
}

/// [`capable_bytes`] with the masks computed by `simd`.
#[cfg(test)]
fn capable_bytes_with(data: &[u8], simd: Simd) -> Vec<bool> {
    let mut blocks = Vec::new();
    compute(data, 0, data.len().div_ceil(64), simd, &mut blocks);
    (0..data.len())
        .map(|i| blocks[i / 64].cap >> (i % 64) & 1 != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::normalize::{Class, classify};

    /// The reference definition of a candidate, byte by byte.
    fn reference(data: &[u8]) -> Vec<usize> {
        (0..data.len())
            .filter(|&i| {
                let at = |k: usize| data.get(k).copied().unwrap_or(0);
                data[i].is_ascii_digit() || multibyte(data[i], at(i + 1), at(i + 2))
            })
            .collect()
    }

    /// The reference definition of the capable bytes, byte by byte, with
    /// blocks aligned to the start of `data`.
    fn reference_cap(data: &[u8]) -> Vec<bool> {
        let at = |k: usize| data.get(k).copied().unwrap_or(0);
        let lead = |j: usize| capable_lead(at(j), at(j + 1), at(j + 2));
        (0..data.len())
            .map(|i| {
                let (b, k) = (data[i], i % 64);
                b.is_ascii_alphanumeric()
                    || BYTE_CLASS[b as usize] == 4
                    || lead(i)
                    || (k >= 1 && lead(i - 1))
                    || (k >= 2 && lead(i - 2))
                    || (k < 2 && b & 0xC0 == 0x80)
            })
            .collect()
    }

    /// The bytes of the characters that [`classify`] calls anything but a
    /// break, wherever they start: those a run may hold or cross.
    fn in_characters_that_are_no_break(data: &[u8]) -> Vec<bool> {
        let mut out = vec![false; data.len()];
        for j in 0..data.len() {
            let (class, len) = classify(data, j);
            if class != Class::Break {
                out[j..j + len].iter_mut().for_each(|b| *b = true);
            }
        }
        out
    }

    /// For each position of `flags`, the stretch of `true`s around it
    /// (`i..i` where `flags[i]` is `false`).
    fn stretches(flags: &[bool]) -> Vec<Range<usize>> {
        let mut out = Vec::with_capacity(flags.len());
        let mut i = 0;
        while i < flags.len() {
            if !flags[i] {
                out.push(i..i);
                i += 1;
                continue;
            }
            let e = flags[i..]
                .iter()
                .position(|&f| !f)
                .map_or(flags.len(), |k| i + k);
            out.extend(std::iter::repeat_n(i..e, e - i));
            i = e;
        }
        out
    }

    /// The reference masks of the blocks of `data` (zeros after its end).
    fn reference_blocks(data: &[u8]) -> Vec<Block> {
        let mut data = data.to_vec();
        data.resize(data.len().div_ceil(64) * 64, 0);
        let (cands, cap) = (reference(&data), reference_cap(&data));
        let mut out = vec![Block::default(); data.len().div_ceil(64)];
        for (i, &b) in data.iter().enumerate() {
            let o = &mut out[i / 64];
            o.cand |= (cands.binary_search(&i).is_ok() as u64) << (i % 64);
            o.alnum |= (b.is_ascii_alphanumeric() as u64) << (i % 64);
            o.cap |= (cap[i] as u64) << (i % 64);
        }
        out
    }

    /// The masks of the blocks of `data`, computed by `simd`.
    fn blocks_of(data: &[u8], simd: Simd) -> Vec<Block> {
        let mut out = Vec::new();
        compute(data, 0, data.len().div_ceil(64), simd, &mut out);
        out
    }

    /// Every candidate a walk over `c` returns.
    fn walk_all(mut c: Candidates) -> Vec<usize> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(p) = c.next_from(from) {
            out.push(p);
            from = p + 1;
        }
        out
    }

    fn all(data: &[u8]) -> Vec<usize> {
        walk_all(Candidates::new(data, 1))
    }

    #[test]
    fn every_digit_like_character_is_a_candidate() {
        for cp in 0x80u32..0x10000 {
            let Some(ch) = char::from_u32(cp) else {
                continue;
            };
            let s = ch.to_string();
            let class = classify(s.as_bytes(), 0).0;
            if matches!(
                class,
                Class::Digit(_) | Class::ObfuscatedDigit(_) | Class::Numeral(_)
            ) {
                assert_eq!(reference(s.as_bytes()), [0], "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn simd_and_scalar_masks_agree_with_the_reference() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let alphabet: Vec<u8> = "0123456789abc 一二三号码１２③零，：\"{}\n_()·—\u{3000}ｘ"
            .bytes()
            .collect();
        for len in [0usize, 1, 63, 64, 65, 127, 128, 129, 1000, 4099] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(5) {
                        (x >> 8) as u8
                    } else {
                        alphabet[(x >> 16) as usize % alphabet.len()]
                    }
                })
                .collect();
            assert_eq!(all(&data), reference(&data), "len {len}");
            // The scalar path alone, block by block.
            for base in (0..len.saturating_sub(64)).step_by(64) {
                let block: &[u8; 64] = data[base..base + 64].try_into().unwrap();
                let at = |k: usize| data.get(k).copied().unwrap_or(0);
                let next = [at(base + 64), at(base + 65)];
                let want: u64 = reference(&data)
                    .into_iter()
                    .filter(|&p| p >= base && p < base + 64)
                    .fold(0, |m, p| m | 1 << (p - base));
                let alnum = (0..64).fold(0u64, |m, k| {
                    m | (block[k].is_ascii_alphanumeric() as u64) << k
                });
                let got = mask_scalar(block, next);
                assert_eq!((got.cand, got.alnum), (want, alnum));
            }
            // Every mask, by every path the CPU runs.
            let want = reference_blocks(&data);
            for simd in Simd::all_available() {
                assert_eq!(blocks_of(&data, simd), want, "len {len} {simd:?}");
            }
        }
    }

    #[test]
    fn every_simd_path_gives_the_scalar_masks_on_any_bytes() {
        let simds = Simd::all_available();
        if !simds.contains(&Simd::Avx512) {
            eprintln!("no AVX-512 F/BW/VBMI: its path is not tested here");
        }
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        // Bytes of any value.
        let mut rng = crate::detect::TestRng(0x0f1e_2d3c_4b5a_6978);
        for len in [
            0usize, 1, 2, 3, 63, 64, 65, 66, 67, 127, 128, 129, 130, 1000, 4101,
        ] {
            for _ in 0..8 {
                inputs.push((0..len).map(|_| (rng.next() >> 24) as u8).collect());
            }
        }
        // Near misses: each byte of each digit-like character (and of the
        // capable leads') replaced by every value, one after another, so
        // that each lands at every place of a block.
        let mut near = Vec::new();
        let chars = NUMERAL_CLASSES.concat().into_iter().chain(DIGIT_FORMS);
        let chars: Vec<u32> = chars.chain([0x3000, 0x2014, 0xFF0C, 0xA0]).collect();
        for cp in chars {
            let s = char::from_u32(cp).expect("a character").to_string();
            for i in 0..s.len() {
                for b in 0..=255u8 {
                    let mut bytes = s.clone().into_bytes();
                    bytes[i] = b;
                    near.extend_from_slice(&bytes);
                }
            }
        }
        inputs.push(near);
        // Every pair of bytes from 0x70 on, before a few third bytes.
        let thirds = [
            b'0', b'a', 0x7F, 0x80, 0x8A, 0x90, 0xA9, 0xBF, 0xC2, 0xE2, 0xFF,
        ];
        let mut pairs = Vec::new();
        for b0 in 0x70..=0xFFu8 {
            for b1 in 0x70..=0xFFu8 {
                for &b2 in &thirds {
                    pairs.extend_from_slice(&[b0, b1, b2]);
                }
            }
        }
        inputs.push(pairs);
        for data in &inputs {
            let want = blocks_of(data, Simd::Scalar);
            for &simd in &simds {
                let got = blocks_of(data, simd);
                let bad = (0..want.len()).find(|&k| got[k] != want[k]);
                assert_eq!(bad, None, "{simd:?} len {}", data.len());
            }
        }
    }

    #[test]
    fn kind_tables_tell_the_kinds_apart() {
        for b in 0..=255u8 {
            let kind = KIND_LO[(b & 0x0F) as usize] & KIND_HI[(b >> 4) as usize];
            assert_eq!(kind & 1 != 0, b.is_ascii_digit(), "{b:#x}");
            assert_eq!(kind & KIND_ALNUM != 0, b.is_ascii_alphanumeric(), "{b:#x}");
            let own = b.is_ascii_alphanumeric() || BYTE_CLASS[b as usize] == 4;
            assert_eq!(kind & KIND_OWN != 0, own, "{b:#x}");
            assert_eq!(kind & 0x20 != 0, b & 0xC0 == 0x80, "{b:#x}");
        }
    }

    #[test]
    fn every_byte_of_a_character_that_is_no_break_is_capable() {
        let mut chars: Vec<String> = (0u32..0x10000)
            .filter_map(char::from_u32)
            .map(|c| c.to_string())
            .filter(|s| classify(s.as_bytes(), 0).0 != Class::Break)
            .collect();
        // Two-byte separators are decided by their first two bytes.
        chars.push("\u{a0}".into());
        assert!(chars.len() > 150, "{}", chars.len());
        for s in &chars {
            // At every offset in a block, and across a block's edge.
            for at in 0..66 {
                let mut data = vec![b'"'; at];
                data.extend_from_slice(s.as_bytes());
                data.extend_from_slice(b"\"\"");
                for simd in Simd::all_available() {
                    let cap = capable_bytes_with(&data, simd);
                    assert!(cap[at..at + s.len()].iter().all(|&c| c), "{s:?} at {at}");
                }
            }
        }
        // And in random data, wherever such a character starts.
        let mut rng = crate::detect::TestRng(0x1357_9bdf_2468_ace0);
        let alphabet: Vec<u8> = "0a -(_·—\u{3000}ｘＡ１一零③\u{20e3}\u{feff}号，\"\n"
            .bytes()
            .collect();
        for len in [1usize, 2, 3, 63, 64, 65, 66, 130, 1000] {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = rng.next();
                        if r.is_multiple_of(7) {
                            (r >> 8) as u8
                        } else {
                            alphabet[(r >> 16) as usize % alphabet.len()]
                        }
                    })
                    .collect();
                let must = in_characters_that_are_no_break(&data);
                for simd in Simd::all_available() {
                    let cap = capable_bytes_with(&data, simd);
                    for i in 0..len {
                        assert!(!must[i] || cap[i], "{data:?} at {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn candidates_in_short_stretches_are_left_out_and_no_others() {
        let mut rng = crate::detect::TestRng(0x2468_ace0_1357_9bdf);
        let alphabet: Vec<u8> = "0123456789aZ _-:一二号码１③零，·—\u{3000}\"\n"
            .bytes()
            .collect();
        let mut masks = BlockMasks::default();
        let mut left_out = 0;
        for len in [1usize, 5, 63, 64, 65, 130, 500, 2000] {
            for round in 0..40 {
                // Short stretches (a byte that is no letter or digit every
                // few bytes) and long ones.
                let every = [2u64, 4, 9, 30][round % 4];
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = rng.next();
                        if r.is_multiple_of(every) {
                            alphabet[(r >> 16) as usize % alphabet.len()]
                        } else if r.is_multiple_of(13) {
                            (r >> 8) as u8
                        } else {
                            b"1a7Z"[(r >> 20) as usize % 4]
                        }
                    })
                    .collect();
                let (raw, cap) = (reference(&data), stretches(&reference_cap(&data)));
                let all = &cap;
                for min_len in 1..=12 {
                    let got = walk_all(Candidates::new(&data, min_len));
                    // Exactly those in long stretches or in stretches that
                    // touch a block's edge (but the data's end) are kept.
                    let want: Vec<usize> = raw
                        .iter()
                        .copied()
                        .filter(|&p| {
                            let st = &cap[p];
                            st.len() >= min_len
                                || st.start % 64 == 0
                                || (st.end % 64 == 0 && st.end != len)
                                || st.start / 64 != (st.end - 1) / 64
                        })
                        .collect();
                    assert_eq!(got, want, "{data:?} min {min_len}");
                    for &p in &raw {
                        let st = &cap[p];
                        let kept = got.binary_search(&p).is_ok();
                        // Left out only when its stretch is short, and so
                        // is the stretch's first candidate.
                        if !kept {
                            assert!(st.len() < min_len, "{data:?} at {p} min {min_len}");
                            left_out += 1;
                        }
                        let q = raw[raw.partition_point(|&q| q < st.start)];
                        assert_eq!(kept, got.binary_search(&q).is_ok(), "{data:?} at {p}");
                    }
                    assert!(got.iter().all(|p| raw.binary_search(p).is_ok()));
                    // Read off kept masks, a line at a time: left out only
                    // where no run that long may lie. Once with every line
                    // asked for, once with some passed over (the gate
                    // judges lines with a keyword or an escape otherwise).
                    for skip in [false, true] {
                        masks.clear();
                        let mut start = 0;
                        while start <= len {
                            let end =
                                memchr::memchr(b'\n', &data[start..]).map_or(len, |i| start + i);
                            if skip && rng.next().is_multiple_of(3) {
                                start = end + 1;
                                continue;
                            }
                            let line = &data[start..end];
                            let (c, at) = masks.candidates(&data, start..end, min_len);
                            let got: Vec<usize> = walk_all(c)
                                .into_iter()
                                .filter(|&p| p + at >= start)
                                .map(|p| p + at - start)
                                .collect();
                            let must = stretches(&in_characters_that_are_no_break(line));
                            let want = reference(line);
                            for &p in &want {
                                if got.binary_search(&p).is_err() {
                                    assert!(must[p].len() < min_len, "{line:?} at {p}");
                                }
                            }
                            assert!(got.iter().all(|p| want.binary_search(p).is_ok()));
                            // Exactly, when every line is asked for: those
                            // whose stretch in the whole data (across
                            // lines) is long enough, or starts at the
                            // data's start (the first block classified).
                            if !skip {
                                let want: Vec<usize> = want
                                    .into_iter()
                                    .filter(|&p| {
                                        let r = &all[p + start];
                                        r.len() >= min_len || r.start == 0
                                    })
                                    .collect();
                                assert_eq!(got, want, "{line:?} min {min_len}");
                            }
                            start = end + 1;
                        }
                    }
                }
            }
        }
        assert!(left_out > 10_000, "{left_out}");
    }

    #[test]
    fn alnum_skips_agree_with_a_byte_walk() {
        let mut x = 0x0bad_cafe_1234_5678u64;
        // With the bytes next to the ranges of letters and digits, and
        // those ranges with bit 7 set.
        let alphabet = b"0aZ9xQ_ -:\xe4\x80\"@/[`{\xb0\xb9\xc1\xe1\xfa";
        for len in [0usize, 1, 5, 31, 32, 33, 63, 64, 65, 100, 257] {
            // Long stretches of letters and digits, broken now and then.
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(7) {
                        alphabet[(x >> 20) as usize % alphabet.len()]
                    } else {
                        b"q7Mz"[(x >> 9) as usize % 4]
                    }
                })
                .collect();
            for from in 0..=len {
                let mut want = from;
                while want < len && data[want].is_ascii_alphanumeric() {
                    want += 1;
                }
                assert_eq!(skip_alnum(&data, from), want, "len {len} from {from}");
                for floor in [0, from / 2, from.saturating_sub(1), from] {
                    let mut want = from;
                    while want > floor && data[want - 1].is_ascii_alphanumeric() {
                        want -= 1;
                    }
                    let got = skip_alnum_back(&data, floor, from);
                    assert_eq!(got, want, "len {len} floor {floor} to {from}");
                }
            }
        }
    }

    #[test]
    fn numerals_are_those_of_the_classifier() {
        use crate::detect::normalize::{Class, classify};
        let known: Vec<u32> = (0x3000u32..0xA000)
            .filter(|&cp| {
                let s = char::from_u32(cp)
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                !s.is_empty() && matches!(classify(s.as_bytes(), 0).0, Class::Numeral(_))
            })
            .collect();
        let mut ours: Vec<u32> = NUMERAL_CLASSES.concat();
        ours.sort();
        assert_eq!(ours, known);
    }

    #[test]
    fn common_punctuation_is_not_a_candidate() {
        // The usual neighbours of numbers, and characters that share
        // bytes with numerals.
        for s in [
            "，", "：", "（", "）", "的", "是", "上", "号", "码", "元", "了", "人", "点", "万",
            "不",
        ] {
            assert!(reference(s.as_bytes()).is_empty(), "{s}");
        }
    }

    #[test]
    fn stretch_ends_read_off_the_block_agree_with_the_skips() {
        let mut x = 0x5eed_1234_abcd_0042u64;
        let alphabet: Vec<u8> = "0123456789aZ -:一号１".bytes().collect();
        for len in [1usize, 2, 63, 64, 65, 66, 67, 127, 128, 129, 130, 1000] {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        alphabet[(x >> 16) as usize % alphabet.len()]
                    })
                    .collect();
                let mut c = Candidates::new(&data, 1);
                let mut from = 0;
                while let Some(p) = c.next_from(from) {
                    assert_eq!(
                        c.alnum_end(p + 1),
                        skip_alnum(&data, p + 1),
                        "len {len} at {p}"
                    );
                    assert_eq!(c.alnum_end(p), skip_alnum(&data, p), "len {len} at {p}");
                    for floor in [0, p / 2, p.saturating_sub(3), p] {
                        let want = skip_alnum_back(&data, floor, p);
                        assert_eq!(
                            c.alnum_start(p, floor),
                            want,
                            "len {len} to {p} floor {floor}"
                        );
                    }
                    from = p + 1 + (x as usize % 3);
                }
            }
        }
    }

    /// Everything a walk over `c` from `first` on tells (positions less
    /// `first`): each candidate, and where the stretches of letters and
    /// digits around it end and start.
    fn walk(mut c: Candidates, data: &[u8], first: usize) -> Vec<[usize; 6]> {
        let end = data.len();
        // Whether `at` is a candidate, off the block where it lies there
        // (as the tokenizer asks), else from the bytes.
        let candidate = |c: &Candidates, at: usize| {
            let byte = |k: usize| data.get(k).copied().unwrap_or(0);
            let (here, cand) = c.candidate_at(at);
            at < end
                && if here {
                    cand
                } else {
                    byte(at).is_ascii_digit() || multibyte(byte(at), byte(at + 1), byte(at + 2))
                }
        };
        let mut out = Vec::new();
        let mut from = first;
        while let Some(p) = c.next_from(from) {
            let r = p - first;
            out.push([
                r,
                c.alnum_end(p) - first,
                c.alnum_end(p + 1) - first,
                c.alnum_start(p, first) - first,
                c.alnum_start(p, first + r / 2) - first,
                usize::from(candidate(&c, p + 1 + r % 3)),
            ]);
            // Now and then a jump past a block or past the end.
            from = p + 1 + if r.is_multiple_of(7) { 70 } else { 0 };
            if from > end {
                break;
            }
        }
        out
    }

    #[test]
    fn masks_kept_between_lines_agree_with_masks_per_line() {
        let mut rng = crate::detect::TestRng(0x0123_4567_89ab_cdef);
        let mut next = || rng.next();
        let alphabet: Vec<u8> = "0123456789aZ _-:一二号码１③零，\"\n".bytes().collect();
        let mut masks = BlockMasks::default();
        let mut lines = 0;
        for len in [0usize, 1, 2, 63, 64, 65, 66, 67, 130, 200, 1000, 3000] {
            for round in 0..30 {
                // Lines of every length, some long (several blocks), and
                // bytes of any value (lead bytes before a line break).
                let newline_every = [3u64, 17, 90, 400][round % 4];
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = next();
                        if r % newline_every == 0 {
                            b'\n'
                        } else if r % 11 == 0 {
                            (r >> 8) as u8
                        } else {
                            alphabet[(r >> 16) as usize % alphabet.len()]
                        }
                    })
                    .collect();
                masks.clear();
                let mut start = 0;
                while start <= len {
                    let end = memchr::memchr(b'\n', &data[start..]).map_or(len, |i| start + i);
                    // The gate skips lines (those with escapes) and goes on
                    // with the masks it has.
                    if next() % 5 != 0 {
                        let line = &data[start..end];
                        let want = walk(Candidates::new(line, 1), line, 0);
                        let (c, at) = masks.candidates(&data, start..end, 1);
                        let got = walk(c, &data[at..end], start - at);
                        assert_eq!(got, want, "len {len} line {start}..{end}");
                        lines += 1;
                    }
                    start = end + 1;
                }
            }
        }
        assert!(lines > 1000, "{lines}");
    }

    #[test]
    fn long_stretches_are_those_of_a_byte_walk() {
        let mut rng = crate::detect::TestRng(0x5151_a0a0_3c3c_7e7e);
        let mut kept = 0;
        for round in 0..20_000 {
            // Stretches of every length: sparse and dense masks, and
            // whole blocks.
            let (a, b, c) = (rng.next(), rng.next(), rng.next());
            let cap = match round % 5 {
                0 => a,
                1 => a | b,
                2 => a | b | c,
                3 => !(a & b & c),
                _ => !(1u64 << (a % 64)) | (b & 1).wrapping_neg(),
            };
            let min_len = 2 + (rng.next() % 63) as u32;
            let around = |r: u64| [0, 1, 5, 63, 64][r as usize % 5].min(r as u32 % 65);
            let (before, after) = (around(rng.next()), around(rng.next()));
            let got = long_stretches(cap, min_len, before, after);
            for k in 0..64 {
                let want = cap >> k & 1 != 0 && {
                    let s = (0..=k).rev().take_while(|&i| cap >> i & 1 != 0).last();
                    let e = (k..64).take_while(|&i| cap >> i & 1 != 0).last();
                    let (s, e) = (s.unwrap_or(k), e.unwrap_or(k) + 1);
                    let len = (e - s) as u32
                        + if s == 0 { before } else { 0 }
                        + if e == 64 { after } else { 0 };
                    len >= min_len
                };
                assert_eq!(
                    got >> k & 1 != 0,
                    want,
                    "{cap:#x} min {min_len} {before} {after} at {k}"
                );
                kept += usize::from(want);
            }
        }
        assert!(kept > 100_000, "{kept}");
    }

    #[test]
    fn long_runs_are_those_of_a_bit_walk() {
        let mut rng = crate::detect::TestRng(0x7e57_0f10_ab1e_c0de);
        let mut kept = 0;
        for round in 0..20_000 {
            // Stretches of every length, across one to five blocks: sparse
            // and dense masks, and whole blocks.
            let n = 1 + round % 5;
            let cap: Vec<u64> = (0..n)
                .map(|_| {
                    let (a, b, c) = (rng.next(), rng.next(), rng.next());
                    match rng.next() % 6 {
                        0 => a,
                        1 => a | b,
                        2 => a | b | c,
                        3 => !(a & b & c),
                        4 => u64::MAX,
                        _ => !(1u64 << (a % 64)),
                    }
                })
                .collect();
            let min_len = 2 + (rng.next() % 63) as u32;
            let (mut carry, mut top) = (1, 1);
            let mut got = Vec::new();
            for i in 0..n {
                let next = cap.get(i + 1).copied().unwrap_or(0);
                let k;
                (k, carry) = long_runs(cap[i], next, top, carry, min_len);
                got.push(k);
                top = cap[i] >> 63;
            }
            let bit = |j: usize| cap[j / 64] >> (j % 64) & 1 != 0;
            let flags: Vec<bool> = (0..64 * n).map(bit).collect();
            let st = stretches(&flags);
            for j in 0..64 * n {
                // Long enough, or the first one (whatever lies before).
                let want = flags[j] && (st[j].len() >= min_len as usize || st[j].start == 0);
                assert_eq!(
                    got[j / 64] >> (j % 64) & 1 != 0,
                    want,
                    "{cap:x?} min {min_len} at {j}"
                );
                kept += usize::from(want);
            }
        }
        assert!(kept > 100_000, "{kept}");
    }

    /// Every filter this CPU runs (eight blocks a step with AVX-512, the
    /// unrolled loop) keeps what the block-by-block loop keeps, and hands
    /// on the same carry and top bit: any number of blocks (so every
    /// split into steps and a rest), any state coming in, every length,
    /// stretches across the steps' edges, and a block after the last or
    /// none.
    #[test]
    fn filters_agree_with_the_block_by_block_loop() {
        let mut rng = crate::detect::TestRng(0xf11e_75a8_0c0d_e512);
        let mut changed = 0;
        for round in 0..30_000u32 {
            let n = (rng.next() % 41) as usize;
            let extra = (rng.next() % 2) as usize;
            let masks: Vec<Block> = (0..n + extra)
                .map(|_| {
                    let (a, b, c) = (rng.next(), rng.next(), rng.next());
                    let cap = match rng.next() % 6 {
                        0 => a,
                        1 => a | b,
                        2 => a | b | c,
                        3 => !(a & b & c),
                        4 => u64::MAX,
                        _ => 0,
                    };
                    let cand = match rng.next() % 3 {
                        0 => 0,
                        1 => cap & rng.next(),
                        _ => cap,
                    };
                    Block {
                        cand,
                        alnum: rng.next(),
                        cap,
                    }
                })
                .collect();
            let min_len = 2 + (rng.next() % 63) as u32;
            let top = u64::from(round & 1);
            let carry = top & u64::from(round >> 1 & 1);
            let mut want = masks.clone();
            let want_state = filter_blocks(&mut want, n, (carry, top), min_len);
            changed += want.iter().zip(&masks).filter(|(w, m)| w != m).count();
            let mut got = masks.clone();
            assert_eq!(
                filter_unrolled(&mut got, n, (carry, top), min_len),
                want_state
            );
            assert_eq!(got, want, "unrolled, {n} blocks, min {min_len}");
            let mut got = masks.clone();
            assert_eq!(filter_any(&mut got, n, (carry, top), min_len), want_state);
            assert_eq!(got, want, "best, {n} blocks, min {min_len}");
            #[cfg(target_arch = "x86_64")]
            if Simd::Avx512.available() {
                let mut got = masks.clone();
                // SAFETY: AVX-512 F was detected.
                let state = unsafe { avx512::filter(&mut got, n, (carry, top), min_len) };
                assert_eq!(state, want_state, "avx512 state, {n} blocks, min {min_len}");
                assert_eq!(got, want, "avx512, {n} blocks, min {min_len}");
            }
        }
        assert!(changed > 50_000, "{changed}");
    }

    #[test]
    fn walks_over_kept_masks_find_the_blocks_a_block_by_block_walk_finds() {
        let mut rng = crate::detect::TestRng(0x0b17_5e75_000f_b10c);
        let mut masks = BlockMasks::default();
        let mut found = 0;
        for len in [100usize, 5000, 20_000] {
            for round in 0..24 {
                // Sparse candidates (long and short digit runs in text
                // with none) and lines of every length, some of more than
                // 64 blocks: long runs of blocks left with no candidate,
                // which the walk passes over.
                let newline_every = [40u64, 300, 3000, 30_000][round % 4];
                let digits_every = [7u64, 60, 500][round % 3];
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = rng.next();
                        if r.is_multiple_of(newline_every) {
                            b'\n'
                        } else if r.is_multiple_of(digits_every) {
                            b'5'
                        } else if r.is_multiple_of(5) {
                            b' '
                        } else {
                            b"xx\xe4"[(r >> 16) as usize % 3]
                        }
                    })
                    .collect();
                masks.clear();
                let mut start = 0;
                while start <= len {
                    let end = memchr::memchr(b'\n', &data[start..]).map_or(len, |i| start + i);
                    // Some lines are passed over, as the gate does.
                    if !rng.next().is_multiple_of(4) {
                        let (c, at) = masks.candidates(&data, start..end, 5);
                        let pre = c.pre.expect("kept masks").to_vec();
                        let (first, last) = (start - at, end - at);
                        let want: Vec<usize> = (0..64 * pre.len())
                            .filter(|&p| pre[p / 64].cand >> (p % 64) & 1 != 0)
                            .filter(|&p| (first..last).contains(&p))
                            .collect();
                        let got: Vec<usize> =
                            walk_all(c).into_iter().filter(|&p| p >= first).collect();
                        assert_eq!(got, want, "len {len} line {start}..{end}");
                        found += got.len();
                    }
                    start = end + 1;
                }
            }
        }
        assert!(found > 10_000, "{found}");
    }

    #[test]
    fn next_from_skips_and_jumps() {
        let mut data = vec![b'x'; 300];
        data[5] = b'1';
        data[70] = b'2';
        data[299] = b'3';
        let mut c = Candidates::new(&data, 1);
        assert_eq!(c.next_from(0), Some(5));
        assert_eq!(c.next_from(6), Some(70));
        assert_eq!(c.next_from(200), Some(299));
        assert_eq!(c.next_from(300), None);
    }
}
