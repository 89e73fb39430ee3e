//! Unified Social Credit Code, GB 32100-2015 (spec `cn-identifiers.md` §4):
//! 18 characters from the 31-character alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY`,
//! positions 3–8 a GB/T 2260 region code (the §1 list), position 18 the
//! mod-31 check over positions 1–17 (check 1) and position 17 the GB 11714
//! organization-code check over positions 9–16 (check 2). Both checks are
//! required, so a random token passes with p ≈ 1/341.

use super::region::{is_region_code, region_of};

/// The 31-character USCC alphabet; a character's index is its value (spec §4).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Check-1 weights Wᵢ = 3^(i−1) mod 31 for positions 1..=17 (spec §4).
const W1: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Check-2 (GB 11714) weights for positions 9..=16 (spec §4).
const W2: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Value of `b` in the 31-character USCC alphabet, `None` outside it.
fn value31(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&c| c == b).map(|i| i as u32)
}

/// Value of `b` in the 36-character alphabet (0–9, A=10 … Z=35) used by the
/// embedded organization code; note M = 22 here but 21 in the USCC alphabet.
fn value36(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// Check 1: position 18 = alphabet[(31 − S mod 31) mod 31], S over pos 1–17.
fn check1_ok(v: &[u8; 18]) -> bool {
    let mut s = 0u32;
    for (&b, &w) in v.iter().zip(W1.iter()) {
        match value31(b) {
            Some(x) => s += x * w,
            None => return false,
        }
    }
    ALPHABET.get(((31 - s % 31) % 31) as usize) == Some(&v[17])
}

/// Check 2: position 17 = GB 11714 check of pos 9–16: C = 11 − S mod 11,
/// 10 → `X`, 11 → `0`.
fn check2_ok(v: &[u8; 18]) -> bool {
    let mut s = 0u32;
    for (&b, &w) in v[8..16].iter().zip(W2.iter()) {
        match value36(b) {
            Some(x) => s += x * w,
            None => return false,
        }
    }
    let expected = match 11 - s % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8, // 1..=9
    };
    v[16] == expected
}

/// Validates an 18-character USCC (spec §4): every character in the
/// 31-character alphabet, positions 3–8 digits forming an ever-existing
/// GB/T 2260 region code, and both check 1 (pos 18) and check 2 (pos 17).
pub fn validate(v: &[u8]) -> bool {
    let Ok(v) = <&[u8; 18]>::try_from(v) else {
        return false;
    };
    let region_ok = region_of(&v[2..8]).is_some_and(is_region_code);
    region_ok && check1_ok(v) && check2_ok(v)
}

/// Returns true if the code starts with `92` (registered by 工商 as a
/// 个体工商户), i.e. it identifies a natural person's business (spec §4,
/// "Personal data"). Checks the prefix only; call [`validate`] as well.
pub fn is_individual_business(v: &[u8]) -> bool {
    v.starts_with(b"92")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic codes with both checks correct (first two from spec §10.5).
    const GOOD: [&[u8; 18]; 5] = [
        b"911101010000000002",
        b"Y1110101000000000C",
        b"91110101M00000000G", // M in the org code: 22 in check 2, 21 in check 1
        b"92110101ABCDEFGH5P",
        b"12110101MA00000070",
    ];

    #[test]
    fn spec_10_5_examples() {
        assert!(validate(b"911101010000000002"));
        assert!(validate(b"Y1110101000000000C"));
    }

    #[test]
    fn synthetic_valid() {
        for g in GOOD {
            assert!(validate(g), "{}", String::from_utf8_lossy(g));
        }
    }

    #[test]
    fn any_single_change_invalid() {
        for g in GOOD {
            for i in 0..18 {
                for &c in ALPHABET.iter() {
                    if c == g[i] {
                        continue;
                    }
                    let mut v = *g;
                    v[i] = c;
                    assert!(!validate(&v), "{}", String::from_utf8_lossy(&v));
                }
            }
        }
    }

    #[test]
    fn excluded_letters_invalid() {
        for bad in [b'I', b'O', b'S', b'V', b'Z'] {
            for i in [0, 1, 8, 12, 15, 16, 17] {
                let mut v = *b"911101010000000002";
                v[i] = bad;
                assert!(!validate(&v), "{}", String::from_utf8_lossy(&v));
            }
        }
        assert!(!validate(b"91110101000000000a"));
    }

    #[test]
    fn check2_alone_enforced() {
        // Check 1 recomputed so only the org-code check (pos 17) is wrong.
        assert!(!validate(b"911101010000000015"));
    }

    #[test]
    fn region_enforced() {
        // Both checks correct, region code 000000 / 991234 not in GB/T 2260.
        assert!(!validate(b"91000000000000000K"));
        assert!(!validate(b"919912340000000004"));
        // Letters in positions 3-8.
        assert!(!validate(b"91A10101000000000C"));
    }

    #[test]
    fn wrong_length() {
        assert!(!validate(b""));
        assert!(!validate(b"91110101000000000"));
        assert!(!validate(b"9111010100000000020"));
    }

    #[test]
    fn individual_business() {
        assert!(is_individual_business(b"92110101ABCDEFGH5P"));
        assert!(!is_individual_business(b"911101010000000002"));
        assert!(!is_individual_business(b"9"));
        assert!(!is_individual_business(b""));
    }
}
