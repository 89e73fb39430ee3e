//! Luhn (mod 10) checksum used by bank card numbers (spec `cn-identifiers.md`
//! §3, "Luhn"): double every second digit from the right, subtract 9 if the
//! result exceeds 9, valid iff the total is ≡ 0 (mod 10). Not every Chinese
//! card passes (spec §3), so a failure lowers the score rather than rejecting.

/// Returns true if `digits` (at least 2 ASCII digits, nothing else) passes the
/// Luhn check. Any non-digit or a length below 2 gives false.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
        // Keep the running total below 10 so no input length can overflow it.
        if sum >= 10 {
            sum -= 10;
        }
    }
    sum == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_10_6_examples() {
        assert!(luhn_valid(b"6200000000000005"));
        assert!(luhn_valid(b"6220000000000000016"));
    }

    #[test]
    fn other_check_digits_fail() {
        for c in b'0'..=b'9' {
            let mut v = *b"6200000000000005";
            v[15] = c;
            assert_eq!(luhn_valid(&v), c == b'5');
            let mut w = *b"6220000000000000016";
            w[18] = c;
            assert_eq!(luhn_valid(&w), c == b'6');
        }
    }

    #[test]
    fn classic_vectors() {
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(luhn_valid(b"00"));
        assert!(luhn_valid(b"18"));
        assert!(luhn_valid(b"59")); // 5 doubled = 10 -> 1; 1 + 9 = 10
    }

    #[test]
    fn adjacent_transposition_detected() {
        assert!(!luhn_valid(b"6200000000000050"));
    }

    #[test]
    fn malformed() {
        assert!(!luhn_valid(b""));
        assert!(!luhn_valid(b"0"));
        assert!(!luhn_valid(b"620000000000000X"));
        assert!(!luhn_valid(b"6200 0000 0000 0005"));
        assert!(!luhn_valid(b"\xff\x00"));
    }
}
