//! Hong Kong Identity Card numbers (spec `cn-identifiers.md` §6, "HKID"), in
//! the normalized form without parentheses: 1 or 2 uppercase letters, 6 digits
//! and a check character `[0-9A]`. A one-letter prefix is padded with a space
//! (value 36); letters are A=10 … Z=35; weights 9 8 7 6 5 4 3 2 over the 8
//! positions; check = (11 − S mod 11) mod 11, with 10 written `A`.

/// Weights over (pad or first letter, letter, 6 digits), spec §6.
const WEIGHTS: [u32; 8] = [9, 8, 7, 6, 5, 4, 3, 2];

/// Value of the padding space that precedes a one-letter prefix.
const PAD: u32 = 36;

/// Value of one character of the 8-position body: letters A=10 … Z=35,
/// digits 0–9. `letter` says which kind the position requires.
fn value(b: u8, letter: bool) -> Option<u32> {
    match (letter, b) {
        (true, b'A'..=b'Z') => Some(u32::from(b - b'A') + 10),
        (false, b'0'..=b'9') => Some(u32::from(b - b'0')),
        _ => None,
    }
}

/// Validates a normalized HKID without parentheses: 8 characters
/// (`A1234563`) or 9 characters (`AB1234569`-style two-letter prefix), with
/// the mod-11 check character of spec §6 (`0`–`9` or `A` for 10).
pub fn validate(v: &[u8]) -> bool {
    let (first, body) = match v.len() {
        8 => (PAD, v),
        9 => match value(v[0], true) {
            Some(x) => (x, &v[1..]),
            None => return false,
        },
        _ => return false,
    };
    // body: letter + 6 digits + check, 8 bytes.
    let mut s = first * WEIGHTS[0];
    for (i, (&b, &w)) in body[..7].iter().zip(WEIGHTS[1..].iter()).enumerate() {
        match value(b, i == 0) {
            Some(x) => s += x * w,
            None => return false,
        }
    }
    let expected = match (11 - s % 11) % 11 {
        10 => b'A',
        c => b'0' + c as u8, // 0..=9
    };
    body[7] == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_10_7_examples() {
        assert!(validate(b"A0000003"));
        assert!(validate(b"A1234563"));
    }

    #[test]
    fn wrong_check_invalid() {
        for c in b"0123456789A" {
            let mut v = *b"A0000003";
            v[7] = *c;
            assert_eq!(validate(&v), *c == b'3');
        }
        assert!(!validate(b"A123456B"));
    }

    #[test]
    fn single_digit_change_invalid() {
        let good = *b"A1234563";
        for i in 1..7 {
            for d in b'0'..=b'9' {
                if d != good[i] {
                    let mut v = good;
                    v[i] = d;
                    assert!(!validate(&v), "{}", String::from_utf8_lossy(&v));
                }
            }
        }
        assert!(!validate(b"B1234563"));
    }

    #[test]
    fn check_a_and_zero() {
        assert!(validate(b"A000002A")); // S mod 11 = 1 → 10 → A
        assert!(validate(b"A0000070")); // S mod 11 = 0 → 0
        assert!(!validate(b"A0000020"));
    }

    #[test]
    fn two_letter_prefix() {
        // AB000000: 10×9 + 11×8 = 178, 178 mod 11 = 2, 11 − 2 = 9.
        assert!(validate(b"AB0000009"));
        assert!(validate(b"XY9876548"));
        assert!(!validate(b"AB0000008"));
        assert!(!validate(b"BA0000009"));
    }

    #[test]
    fn malformed() {
        for v in [
            &b""[..],
            b"A000000",
            b"A000000(3)",
            b"ABC0000003",
            b"10000003",
            b"A00000X3",
            b"a0000003",
            b"1B0000009",
            b"A 0000003",
        ] {
            assert!(!validate(v), "{}", String::from_utf8_lossy(v));
        }
    }
}
