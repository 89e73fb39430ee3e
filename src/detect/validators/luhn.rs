//! Luhn (mod 10) checksum used by bank card numbers (spec `cn-identifiers.md`
//! §3, "Luhn"): double every second digit from the right, subtract 9 if the
//! result exceeds 9, valid iff the total is ≡ 0 (mod 10). Not every Chinese
//! card passes (spec §3), so a failure lowers the score rather than rejecting.

/// Returns true if `digits` (at least 2 ASCII digits, nothing else) passes the
/// Luhn check. Any non-digit or a length below 2 gives false.
pub fn luhn_valid(digits: &[u8]) -> bool {
    /// A digit doubled, less 9 past 9.
    const DOUBLED: [usize; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    if digits.len() < 2 {
        return false;
    }
    // Pairs from the right: the last digit of each is taken as it is, the
    // one before it doubled (an odd length leaves the first digit alone,
    // taken as it is). Far from overflowing for any slice.
    let mut sum = 0usize;
    for pair in digits.rchunks(2) {
        let plain = pair[pair.len() - 1].wrapping_sub(b'0');
        if plain > 9 {
            return false;
        }
        sum += usize::from(plain);
        if let [doubled, _] = pair {
            let d = doubled.wrapping_sub(b'0');
            if d > 9 {
                return false;
            }
            sum += DOUBLED[usize::from(d)];
        }
    }
    sum.is_multiple_of(10)
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

    /// The textbook form: every second digit from the right doubled.
    fn textbook(digits: &[u8]) -> bool {
        digits.len() >= 2
            && digits.iter().all(u8::is_ascii_digit)
            && digits
                .iter()
                .rev()
                .enumerate()
                .map(|(i, &b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 1 {
                        (d * 2) / 10 + (d * 2) % 10
                    } else {
                        d
                    }
                })
                .sum::<u32>()
                % 10
                == 0
    }

    #[test]
    fn agrees_with_the_textbook_form() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let v: Vec<u8> = (0..len)
                .map(|i| match (x >> (i * 2 % 60)) % 23 {
                    22 => b'A',
                    n => b'0' + (n % 10) as u8,
                })
                .collect();
            assert_eq!(luhn_valid(&v), textbook(&v), "{v:?}");
        }
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
