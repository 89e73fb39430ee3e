//! Block classification: the first thing the detector does with a chunk's
//! bytes. Each 64-byte block becomes a 64-bit mask of the positions where a
//! digit identifier *may* start: ASCII digits, and the lead bytes of
//! three-byte characters that may be digits in another form (full-width
//! digits, circled digits, Chinese numerals). The run tokenizer then jumps
//! from set bit to set bit instead of walking every byte.
//!
//! Key decision: the mask is a cheap over-approximation, never an
//! under-approximation. For multi-byte characters it tests only the lead
//! byte (`E2..=E9`, `EF`) and whether the second byte is one that some
//! digit-like character has; the tokenizer's classifier confirms each
//! candidate. Chat text is about half Chinese, and three quarters of its
//! characters fail the second-byte test, so almost no Chinese character
//! reaches the classifier. With AVX2 the mask costs a few instructions per
//! 32 bytes; without it (other CPUs) a scalar loop computes the very same
//! mask, which a test checks.

/// Second bytes of every three-byte digit-like character the classifier
/// knows (full-width digits `EF BC 9x`, circled digits `E2 91 Ax`, and the
/// Chinese numerals of `normalize::numeral`), as a bitmap over their low
/// nibble: bit `h - 8` of entry `lo` is set when `0x{h}{lo}` is one.
const SECOND_LO: [u8; 16] = {
    let seconds: [u8; 17] = [
        0x80, 0x82, 0x85, 0x8B, 0x8D, 0x8E, 0x8F, 0x91, 0x99, 0x9B, 0x9F, 0xA3, 0xB4, 0xB8, 0xB9,
        0xBA, 0xBC,
    ];
    let mut t = [0u8; 16];
    let mut i = 0;
    while i < seconds.len() {
        let b = seconds[i];
        t[(b & 0x0F) as usize] |= 1 << ((b >> 4) - 8);
        i += 1;
    }
    t
};

/// For a high nibble `h` of a continuation byte (8..=B), the bit `h - 8`;
/// zero for any other high nibble, so ASCII and lead bytes never match.
const SECOND_HI: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 0, 0, 0, 0];

/// True when `b` may be the lead byte of a digit-like character.
#[inline(always)]
fn lead(b: u8) -> bool {
    (0xE2..=0xE9).contains(&b) || b == 0xEF
}

/// True when `b` is a second byte some digit-like character has.
#[inline(always)]
fn second(b: u8) -> bool {
    SECOND_LO[(b & 0x0F) as usize] & SECOND_HI[(b >> 4) as usize] != 0
}

/// The candidate mask of `block` (64 bytes), `next` being the byte after
/// it (0 at the end of the data). Scalar version.
fn mask_scalar(block: &[u8; 64], next: u8) -> u64 {
    let mut m = 0u64;
    for k in 0..64 {
        let b = block[k];
        let b1 = if k == 63 { next } else { block[k + 1] };
        let hit = b.is_ascii_digit() || (lead(b) && second(b1));
        m |= (hit as u64) << k;
    }
    m
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{SECOND_HI, SECOND_LO};
    use std::arch::x86_64::*;

    /// The candidate mask of the 64 bytes at `p`, reading 65 bytes.
    ///
    /// # Safety
    /// `p..p + 65` must be readable and the CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn mask(p: *const u8) -> u64 {
        unsafe {
            let lo_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(SECOND_LO.as_ptr().cast()));
            let hi_tab = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                [
                    SECOND_HI[0],
                    SECOND_HI[1],
                    SECOND_HI[2],
                    SECOND_HI[3],
                    SECOND_HI[4],
                    SECOND_HI[5],
                    SECOND_HI[6],
                    SECOND_HI[7],
                    SECOND_HI[8],
                    SECOND_HI[9],
                    SECOND_HI[10],
                    SECOND_HI[11],
                    SECOND_HI[12],
                    SECOND_HI[13],
                    SECOND_HI[14],
                    SECOND_HI[15],
                ]
                .as_ptr()
                .cast(),
            ));
            let nib = _mm256_set1_epi8(0x0F);
            let half = |q: *const u8| -> u32 {
                let v = _mm256_loadu_si256(q.cast());
                let n = _mm256_loadu_si256(q.add(1).cast());
                // ASCII digit: (v - '0') as unsigned < 10, via signed
                // compare after flipping the sign bit.
                let d = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
                let d = _mm256_xor_si256(d, _mm256_set1_epi8(i8::MIN));
                let digit = _mm256_cmpgt_epi8(_mm256_set1_epi8((i8::MIN as i16 + 10) as i8), d);
                // Lead byte E2..=E9 or EF.
                let l = _mm256_sub_epi8(v, _mm256_set1_epi8(0xE2u8 as i8));
                let l = _mm256_xor_si256(l, _mm256_set1_epi8(i8::MIN));
                let lead = _mm256_or_si256(
                    _mm256_cmpgt_epi8(_mm256_set1_epi8((i8::MIN as i16 + 8) as i8), l),
                    _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0xEFu8 as i8)),
                );
                // Second byte in the set: nibble lookups.
                let lo = _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(n, nib));
                let hi =
                    _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16::<4>(n), nib));
                let sec = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
                let multi = _mm256_andnot_si256(sec, lead);
                _mm256_movemask_epi8(_mm256_or_si256(digit, multi)) as u32
            };
            let a = half(p) as u64;
            let b = half(p.add(32)) as u64;
            a | (b << 32)
        }
    }
}

/// Walks the candidate positions of a byte slice in order.
pub struct Candidates<'a> {
    data: &'a [u8],
    /// Start of the block `mask` describes.
    base: usize,
    /// Remaining candidate bits of that block.
    mask: u64,
    avx2: bool,
}

impl<'a> Candidates<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        let mut c = Candidates {
            data,
            base: 0,
            mask: 0,
            avx2,
        };
        c.load(0);
        c
    }

    /// Computes the mask of the block starting at `base`.
    #[inline]
    fn load(&mut self, base: usize) {
        self.base = base;
        let data = self.data;
        if base >= data.len() {
            self.mask = 0;
            return;
        }
        if base + 65 <= data.len() {
            #[cfg(target_arch = "x86_64")]
            if self.avx2 {
                // SAFETY: 65 bytes from `base` are in bounds (checked
                // above) and AVX2 was detected at run time.
                self.mask = unsafe { avx2::mask(data.as_ptr().add(base)) };
                return;
            }
            let block: &[u8; 64] = data[base..base + 64].try_into().expect("64 bytes");
            self.mask = mask_scalar(block, data[base + 64]);
            return;
        }
        // The last block: padded with zeros (which are never candidates).
        let mut block = [0u8; 64];
        let n = (data.len() - base).min(64);
        block[..n].copy_from_slice(&data[base..base + n]);
        let next = data.get(base + 64).copied().unwrap_or(0);
        let mut m = mask_scalar(&block, next);
        if n < 64 {
            m &= (1u64 << n) - 1;
        }
        self.mask = m;
    }

    /// The first candidate position at or after `from`, if any.
    #[inline]
    pub fn next_from(&mut self, from: usize) -> Option<usize> {
        if from >= self.base + 64 || from < self.base {
            // Jump to the block holding `from` (blocks are 64-aligned
            // relative to the start of the data).
            self.load(from & !63);
        }
        if from > self.base {
            let shift = from - self.base;
            self.mask &= !((1u64 << shift) - 1);
        }
        loop {
            if self.mask != 0 {
                return Some(self.base + self.mask.trailing_zeros() as usize);
            }
            let next = self.base + 64;
            if next >= self.data.len() {
                return None;
            }
            self.load(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference definition of a candidate, byte by byte.
    fn reference(data: &[u8]) -> Vec<usize> {
        (0..data.len())
            .filter(|&i| {
                let b = data[i];
                let b1 = data.get(i + 1).copied().unwrap_or(0);
                b.is_ascii_digit() || (lead(b) && second(b1))
            })
            .collect()
    }

    fn all(data: &[u8]) -> Vec<usize> {
        let mut c = Candidates::new(data);
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(p) = c.next_from(from) {
            out.push(p);
            from = p + 1;
        }
        out
    }

    #[test]
    fn every_digit_like_character_is_a_candidate() {
        use crate::detect::normalize::{Class, classify};
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
        let alphabet: Vec<u8> = "0123456789abc 一二三号码１２③零，：\"{}\n"
            .bytes()
            .collect();
        for len in [0usize, 1, 63, 64, 65, 127, 128, 129, 1000, 4099] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x % 5 == 0 {
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
                let next = data.get(base + 64).copied().unwrap_or(0);
                let want: u64 = reference(&data)
                    .into_iter()
                    .filter(|&p| p >= base && p < base + 64)
                    .fold(0, |m, p| m | 1 << (p - base));
                assert_eq!(mask_scalar(block, next), want);
            }
        }
    }

    #[test]
    fn next_from_skips_and_jumps() {
        let mut data = vec![b'x'; 300];
        data[5] = b'1';
        data[70] = b'2';
        data[299] = b'3';
        let mut c = Candidates::new(&data);
        assert_eq!(c.next_from(0), Some(5));
        assert_eq!(c.next_from(6), Some(70));
        assert_eq!(c.next_from(200), Some(299));
        assert_eq!(c.next_from(300), None);
    }
}
