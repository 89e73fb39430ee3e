//! Normalization (spec §0): decides, one character at a time, what a byte
//! sequence means to a digit identifier — a digit, a letter, a separator
//! that may sit inside a number, or a break — and what its normal form is.
//!
//! Key decision: there is no normalized copy of the whole chunk. The
//! tokenizer asks [`classify`] about each character and writes the normal
//! form of the runs it keeps into a small shadow buffer, together with the
//! original byte span of each normalized character (the offset map). This
//! keeps the hot loop allocation-free and lets every finding point at, and
//! be masked from, the original bytes.

/// What one character is, for the tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// An ASCII or full-width digit; payload is the ASCII digit.
    Digit(u8),
    /// A digit written in a deliberately unusual form (circled digits).
    ObfuscatedDigit(u8),
    /// A Chinese numeral (一, 幺, 两…). Counts as a digit only inside a run
    /// of at least [`MIN_NUMERAL_RUN`] digit-like characters.
    Numeral(u8),
    /// An ASCII or full-width letter; payload is the upper-case ASCII letter.
    Letter(u8),
    /// A character allowed inside a number (space, dash, dot, NBSP…).
    Separator,
    /// A separator that only appears in deliberate obfuscation (emoji
    /// keycap U+20E3, variation selector U+FE0F).
    ObfuscatedSeparator,
    /// Anything else: ends a run.
    Break,
}

/// A run holding Chinese numerals needs at least this many digit-like
/// characters (spec §0), so that 一二三 in prose is not a number.
pub const MIN_NUMERAL_RUN: usize = 7;

/// At most this many separators in a row may sit inside a number.
pub const MAX_SEPARATORS: usize = 2;

/// ASCII byte classes, indexed by byte. 0 = break, 1 = digit, 2 = upper,
/// 3 = lower, 4 = separator, 5 = non-ASCII lead byte worth decoding,
/// 6 = other non-ASCII byte (continuation or uninteresting lead).
pub(crate) static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'0'..=b'9' => 1,
            b'A'..=b'Z' => 2,
            b'a'..=b'z' => 3,
            b' ' | b'-' | b'.' | b'/' | b'_' | b'(' | b')' => 4,
            0xC2 | 0xE2 | 0xE3 | 0xE4..=0xE9 | 0xEF => 5,
            0x80..=0xFF => 6,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Classifies the character starting at `data[i]`; returns its class and
/// its length in bytes (at least 1, so callers always make progress, even
/// on invalid UTF-8).
#[inline(always)]
pub fn classify(data: &[u8], i: usize) -> (Class, usize) {
    let b = data[i];
    match BYTE_CLASS[b as usize] {
        1 => (Class::Digit(b), 1),
        2 => (Class::Letter(b), 1),
        3 => (Class::Letter(b - 32), 1),
        4 => (Class::Separator, 1),
        5 => classify_multibyte(data, i),
        6 => (Class::Break, utf8_len(b)),
        _ => (Class::Break, 1),
    }
}

/// The length of the UTF-8 sequence `lead` starts (1 for a byte that
/// starts none).
#[inline]
pub(crate) fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cold]
fn two(data: &[u8], i: usize) -> (Class, usize) {
    match data.get(i + 1) {
        // NBSP, middle dot.
        Some(0xA0) | Some(0xB7) => (Class::Separator, 2),
        _ => (Class::Break, 1),
    }
}

/// Three-byte characters that mean something to the tokenizer (numerals,
/// full-width forms, separators), as inclusive code point ranges.
const INTERESTING: &[(u32, u32)] = &[
    (0x2013, 0x2014),
    (0x200B, 0x200D),
    (0x2060, 0x2060),
    (0x20E3, 0x20E3),
    (0x2460, 0x2468),
    (0x3000, 0x3000),
    (0x3007, 0x3007),
    (0xFE0F, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFF08, 0xFF09),
    (0xFF0D, 0xFF19),
    (0xFF21, 0xFF3A),
    (0xFF3F, 0xFF3F),
    (0xFF41, 0xFF5A),
    (0x4E00, 0x4E00),
    (0x4E03, 0x4E03),
    (0x4E09, 0x4E09),
    (0x4E24, 0x4E24),
    (0x4E5D, 0x4E5D),
    (0x4E8C, 0x4E8C),
    (0x4E94, 0x4E94),
    (0x4F0D, 0x4F0D),
    (0x516B, 0x516B),
    (0x516D, 0x516D),
    (0x52FE, 0x52FE),
    (0x53C1, 0x53C1),
    (0x56DB, 0x56DB),
    (0x58F9, 0x58F9),
    (0x5E7A, 0x5E7A),
    (0x62D0, 0x62D0),
    (0x634C, 0x634C),
    (0x67D2, 0x67D2),
    (0x6D1E, 0x6D1E),
    (0x7396, 0x7396),
    (0x8086, 0x8086),
    (0x8D30, 0x8D30),
    (0x9646, 0x9646),
    (0x96F6, 0x96F6),
];

/// For each three-byte lead byte (`0xE0..=0xEF`, by its low nibble), the
/// set of second bytes (by their low six bits) that begin an interesting
/// character. Most Chinese characters fail this test on their second byte,
/// so the hot loop decodes almost none of them.
static SECOND_BYTE: [u64; 16] = {
    let mut t = [0u64; 16];
    let mut r = 0;
    while r < INTERESTING.len() {
        let mut cp = INTERESTING[r].0;
        while cp <= INTERESTING[r].1 {
            t[(cp >> 12) as usize] |= 1 << ((cp >> 6) & 0x3F);
            cp += 1;
        }
        r += 1;
    }
    t
};

/// For each three-byte lead byte and second byte (by their low four and
/// six bits), the set of third bytes (by their low six bits) that end an
/// interesting character: common characters that pass [`SECOND_BYTE`]
/// (上, 下, 不 share their second byte with 一, 三, 七) end here, with no
/// decoding.
static THIRD_BYTE: [u64; 16 * 64] = {
    let mut t = [0u64; 16 * 64];
    let mut r = 0;
    while r < INTERESTING.len() {
        let mut cp = INTERESTING[r].0;
        while cp <= INTERESTING[r].1 {
            t[((cp >> 6) & 0x3FF) as usize] |= 1 << (cp & 0x3F);
            cp += 1;
        }
        r += 1;
    }
    t
};

#[inline]
fn classify_multibyte(data: &[u8], i: usize) -> (Class, usize) {
    let lead = data[i];
    if lead == 0xC2 {
        return two(data, i);
    }
    let (Some(&b1), Some(&b2)) = (data.get(i + 1), data.get(i + 2)) else {
        return (Class::Break, 1);
    };
    if b1 & 0xC0 != 0x80 || b2 & 0xC0 != 0x80 {
        return (Class::Break, 1);
    }
    if SECOND_BYTE[(lead & 0x0F) as usize] & (1 << (b1 & 0x3F)) == 0
        || THIRD_BYTE[(((lead & 0x0F) as usize) << 6) | (b1 & 0x3F) as usize] & (1 << (b2 & 0x3F))
            == 0
    {
        return (Class::Break, 3);
    }
    let cp = ((lead as u32 & 0x0F) << 12) | ((b1 as u32 & 0x3F) << 6) | (b2 as u32 & 0x3F);
    (classify_cp(cp), 3)
}

/// The class of a three-byte character (code point below U+10000); every
/// code point that is not [`Class::Break`] is in [`INTERESTING`] (a test
/// checks them all).
#[inline]
fn classify_cp(cp: u32) -> Class {
    match cp {
        // Full-width digits and letters (NFKC).
        0xFF10..=0xFF19 => Class::Digit(b'0' + (cp - 0xFF10) as u8),
        0xFF21..=0xFF3A => Class::Letter(b'A' + (cp - 0xFF21) as u8),
        0xFF41..=0xFF5A => Class::Letter(b'A' + (cp - 0xFF41) as u8),
        // Full-width ( ) - . / _ and the ideographic space.
        0xFF08 | 0xFF09 | 0xFF0D | 0xFF0E | 0xFF0F | 0xFF3F | 0x3000 => Class::Separator,
        // En and em dash, zero-width space/joiners, word joiner, BOM.
        0x2013 | 0x2014 | 0x200B..=0x200D | 0x2060 | 0xFEFF => Class::Separator,
        // Emoji keycap and variation selector: `1️⃣`.
        0x20E3 | 0xFE0F => Class::ObfuscatedSeparator,
        // Circled digits ①–⑨.
        0x2460..=0x2468 => Class::ObfuscatedDigit(b'1' + (cp - 0x2460) as u8),
        _ => match numeral(cp) {
            Some(d) => Class::Numeral(d),
            None => Class::Break,
        },
    }
}

/// Chinese numerals and their spoken/military variants (spec §0).
#[inline]
fn numeral(cp: u32) -> Option<u8> {
    Some(match cp {
        0x3007 | 0x96F6 | 0x6D1E => b'0', // 〇 零 洞
        0x4E00 | 0x58F9 | 0x5E7A => b'1', // 一 壹 幺
        0x4E8C | 0x8D30 | 0x4E24 => b'2', // 二 贰 两
        0x4E09 | 0x53C1 => b'3',          // 三 叁
        0x56DB | 0x8086 => b'4',          // 四 肆
        0x4E94 | 0x4F0D => b'5',          // 五 伍
        0x516D | 0x9646 => b'6',          // 六 陆
        0x4E03 | 0x67D2 | 0x62D0 => b'7', // 七 柒 拐
        0x516B | 0x634C => b'8',          // 八 捌
        0x4E5D | 0x7396 | 0x52FE => b'9', // 九 玖 勾
        _ => return None,
    })
}

/// True for bytes that make a candidate touch an ASCII letter or digit.
#[inline]
pub fn is_ascii_alnum(b: u8) -> bool {
    matches!(BYTE_CLASS[b as usize], 1..=3)
}

/// Whether `bytes` may hold a digit-like character ([`Class::Digit`],
/// [`Class::ObfuscatedDigit`], [`Class::Numeral`]). [`classify`] gives
/// those classes only to a character that starts with an ASCII digit
/// (byte class 1) or with a lead byte it decodes (class 5, through
/// `classify_multibyte`); text holding no such byte anywhere holds no
/// digit, whatever its character boundaries. The detector's token pass
/// skips such fields (`"send"`, `"text"`, user names): every candidate
/// starts at a digit group.
#[inline]
pub fn may_hold_digit(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| matches!(BYTE_CLASS[b as usize], 1 | 5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_digit_bytes_classifies_no_digit() {
        // Every character up to U+FFFF, and a few beyond, alone: when the
        // byte screen says no digit, the classifier agrees.
        let digit_like = |c: Class| {
            matches!(
                c,
                Class::Digit(_) | Class::ObfuscatedDigit(_) | Class::Numeral(_)
            )
        };
        for cp in (0u32..0x11000).chain([0x1F600, 0x1F51F]) {
            let Some(ch) = char::from_u32(cp) else {
                continue;
            };
            let s = ch.to_string();
            let (class, _) = classify(s.as_bytes(), 0);
            if digit_like(class) {
                assert!(may_hold_digit(s.as_bytes()), "U+{cp:04X}");
            }
        }
        // Invalid UTF-8 and cut characters: every start position.
        let mut rng = crate::detect::TestRng(7);
        for _ in 0..20_000 {
            let len = 1 + rng.below(6);
            let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            if !may_hold_digit(&bytes) {
                for i in 0..bytes.len() {
                    assert!(!digit_like(classify(&bytes, i).0), "{bytes:02X?} at {i}");
                }
            }
        }
        assert!(!may_hold_digit(b"send"));
        assert!(may_hold_digit("电话：１３８".as_bytes()));
        assert!(may_hold_digit("幺".as_bytes()));
    }

    fn first(s: &str) -> (Class, usize) {
        classify(s.as_bytes(), 0)
    }

    #[test]
    fn ascii() {
        assert_eq!(first("7"), (Class::Digit(b'7'), 1));
        assert_eq!(first("x"), (Class::Letter(b'X'), 1));
        assert_eq!(first("-"), (Class::Separator, 1));
        assert_eq!(first(":"), (Class::Break, 1));
        assert_eq!(first("\n"), (Class::Break, 1));
    }

    #[test]
    fn full_width_and_obfuscations() {
        assert_eq!(first("１"), (Class::Digit(b'1'), 3));
        assert_eq!(first("Ｘ"), (Class::Letter(b'X'), 3));
        assert_eq!(first("ｘ"), (Class::Letter(b'X'), 3));
        assert_eq!(first("\u{3000}"), (Class::Separator, 3));
        assert_eq!(first("\u{00A0}"), (Class::Separator, 2));
        assert_eq!(first("\u{200B}"), (Class::Separator, 3));
        assert_eq!(first("\u{20E3}"), (Class::ObfuscatedSeparator, 3));
        assert_eq!(first("③"), (Class::ObfuscatedDigit(b'3'), 3));
        assert_eq!(first("幺"), (Class::Numeral(b'1'), 3));
        assert_eq!(first("两"), (Class::Numeral(b'2'), 3));
        assert_eq!(first("〇"), (Class::Numeral(b'0'), 3));
        assert_eq!(first("号"), (Class::Break, 3));
        assert_eq!(first("😀"), (Class::Break, 4));
    }

    #[test]
    fn second_byte_filter_keeps_every_interesting_character() {
        for &(lo, hi) in INTERESTING {
            for cp in lo..=hi {
                let c = char::from_u32(cp).unwrap().to_string();
                assert_ne!(first(&c).0, Class::Break, "U+{cp:04X}");
            }
        }
        // And every numeral the classifier knows is in the list.
        for cp in 0x3000u32..0xA000 {
            if numeral(cp).is_some() {
                assert!(
                    INTERESTING.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)),
                    "U+{cp:04X}"
                );
            }
        }
    }

    #[test]
    fn the_byte_filters_pass_every_character_that_is_no_break() {
        for cp in 0x800u32..0x10000 {
            if classify_cp(cp) != Class::Break {
                assert!(
                    INTERESTING.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)),
                    "U+{cp:04X}"
                );
            }
        }
    }

    #[test]
    fn invalid_utf8_never_panics() {
        for bytes in [
            &[0xE4u8][..],
            &[0xE4, 0x41],
            &[0xFF],
            &[0xC2],
            &[0xEF, 0xBC],
        ] {
            let (_, n) = classify(bytes, 0);
            assert!(n >= 1);
        }
    }
}
