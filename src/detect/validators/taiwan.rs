//! Taiwan national identification numbers and new resident certificates
//! (spec `cn-identifiers.md` §6, "Taiwan"): `[A-Z][12][0-9]{8}` and
//! `[A-Z][89][0-9]{8}`. The letter maps to a two-digit code (tens t, units u);
//! S = t + 9u + Σ dₖ·(9−k) for k = 1..8 + d₉ over the nine digits; valid iff
//! S ≡ 0 (mod 10).
//!
//! The old ARC form `[A-Z]{2}[0-9]{8}` is rejected: the spec lists the format
//! but gives no checksum for it (it does not say how the second letter
//! enters the sum), and format-only matches are not reported without a
//! validator.

/// Two-digit codes for A..=Z (spec §6 letter table; note I=34, O=35, W=32,
/// X=30, Y=31, Z=33 are out of order).
const LETTER_CODES: [u32; 26] = [
    10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30,
    31, 33,
];

/// Validates a Taiwan national ID (`[A-Z][12]…`) or new resident certificate
/// (`[A-Z][89]…`) of 10 characters with the §6 checksum. The old ARC form
/// (two letters) always returns false; see the module comment.
pub fn validate(v: &[u8]) -> bool {
    let Ok(v) = <&[u8; 10]>::try_from(v) else {
        return false;
    };
    if !v[0].is_ascii_uppercase() || !matches!(v[1], b'1' | b'2' | b'8' | b'9') {
        return false;
    }
    let code = LETTER_CODES[usize::from(v[0] - b'A')];
    let mut s = code / 10 + 9 * (code % 10);
    // Digits d1..d9 are v[1..10]; weights 8, 7, …, 1 for d1..d8 and 1 for d9.
    for (k, &b) in v[1..].iter().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let w = if k < 8 { 8 - k as u32 } else { 1 };
        s += u32::from(b - b'0') * w;
    }
    s.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Smallest check digit making `body` (first 9 chars) valid.
    fn complete(body: &[u8; 9]) -> [u8; 10] {
        let mut v = [0u8; 10];
        v[..9].copy_from_slice(body);
        for d in b'0'..=b'9' {
            v[9] = d;
            if validate(&v) {
                return v;
            }
        }
        panic!("no check digit for {}", String::from_utf8_lossy(body));
    }

    #[test]
    fn spec_10_8_example() {
        assert!(validate(b"A100000001"));
    }

    /// A single-digit change of dₖ (weight wₖ = 9−k, w₉ = 1) goes undetected
    /// iff Δ·wₖ ≡ 0 (mod 10): any even Δ at d4 (weight 5), Δ = ±5 at d1, d3,
    /// d5, d7 (even weights). This is a property of the spec §6 checksum, not
    /// of this implementation; every other change is caught. (For d1 a ±5
    /// change also leaves the allowed set 1/2/8/9.)
    #[test]
    fn single_digit_changes() {
        let good = *b"A100000001";
        for i in 1..10 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut v = good;
                v[i] = d;
                let delta = d.abs_diff(good[i]);
                let blind_spot = match i {
                    4 => delta % 2 == 0,
                    3 | 5 | 7 => delta == 5,
                    _ => false,
                };
                assert_eq!(validate(&v), blind_spot, "{}", String::from_utf8_lossy(&v));
            }
        }
        assert!(!validate(b"A200000001"));
        assert!(!validate(b"B100000001"));
    }

    #[test]
    fn exactly_one_check_digit_per_body() {
        for body in [
            b"A10000000",
            b"Z29876543",
            b"I18000000",
            b"O91234567",
            b"W20000000",
        ] {
            let good = complete(body);
            let n = (b'0'..=b'9')
                .filter(|&d| {
                    let mut v = good;
                    v[9] = d;
                    validate(&v)
                })
                .count();
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn letter_table_spot_checks() {
        // I = 34: 3 + 9×4 = 39; + 1×8 = 47; check 3.
        assert!(validate(b"I100000003"));
        // Z = 33: 3 + 27 = 30; + 2×8 = 46; check 4.
        assert!(validate(b"Z200000004"));
        // New resident certificate, A = 10: 1 + 8×8 = 65; check 5.
        assert!(validate(b"A800000005"));
        assert!(validate(b"A900000007")); // 1 + 9×8 = 73; check 7
    }

    #[test]
    fn rejected_forms() {
        for v in [
            &b""[..],
            b"A10000000",
            b"A1000000011",
            b"A300000009", // second digit 3
            b"A000000001",
            b"AB00000001", // old ARC: no checksum in spec
            b"AA12345678",
            b"a100000001",
            b"1100000001",
            b"A10000000X",
        ] {
            assert!(!validate(v), "{}", String::from_utf8_lossy(v));
        }
    }
}
