//! Luhn (mod 10) checksum used by bank card numbers (spec `cn-identifiers.md`
//! §3, "Luhn"): double every second digit from the right, subtract 9 if the
//! result exceeds 9, valid iff the total is ≡ 0 (mod 10). Not every Chinese
//! card passes (spec §3), so a failure lowers the score rather than rejecting.

/// Returns true if `digits` (at least 2 ASCII digits, nothing else) passes the
/// Luhn check. Any non-digit or a length below 2 gives false.
///
/// Eight digits at a time, from the right (the line gate asks this of
/// every 14- to 19-digit number, message ids included): in a word loaded
/// little-endian from the end of the slice back, the even bytes are the
/// doubled digits. A doubled digit `d` adds `2d`, less 9 when `d >= 5`;
/// so a word adds its digits, its doubled digits once more, and 9 for each
/// doubled digit of 5 or more. A word short of eight digits (the first,
/// leftmost one) is padded on its left with `0`s, which add nothing and
/// keep the others in place. Agrees with the textbook form (see the
/// tests).
pub fn luhn_valid(digits: &[u8]) -> bool {
    /// `0` in every byte.
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    /// The high half of every byte.
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    /// Bytes 0, 2, 4 and 6 of a word: the doubled digits.
    const EVEN: u64 = 0x00FF_00FF_00FF_00FF;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let n = digits.len();
    if n < 2 {
        return false;
    }
    let load = |at: usize| u64::from_le_bytes(digits[at..at + 8].try_into().expect("eight bytes"));
    let mut sum = 0u64;
    let mut end = n;
    loop {
        let x = if end >= 8 {
            load(end - 8)
        } else if n >= 8 {
            // The first `end` digits, shifted up to the word's top from a
            // load of the slice's first eight (shifts of 8 to 56 bits).
            (load(0) << (8 * (8 - end))) | (ZEROS >> (8 * end))
        } else {
            digits[..end]
                .iter()
                .fold(ZEROS, |x, &b| (x >> 8) | (u64::from(b) << 56))
        };
        // Every byte is `0x30..=0x39`: its high half is 3, and stays 3
        // when 6 is added (a byte whose high half is not 3 fails the first
        // test, whatever a carry out of it does to the second).
        if (x & HIGH) ^ ZEROS | ((x.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ ZEROS) != 0 {
            return false;
        }
        let d = x - ZEROS;
        let doubled = d & EVEN;
        // Bit 3 of `d + 3` is set exactly when `d >= 5` (no byte carries).
        let big = ((doubled + 0x0303_0303_0303_0303) >> 3) & ONES;
        // Byte sums by a multiply (at most 18 a byte, 144 a word).
        let hsum = |v: u64| v.wrapping_mul(ONES) >> 56;
        sum += hsum(d + doubled) - 9 * hsum(big);
        if end <= 8 {
            break;
        }
        end -= 8;
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

    /// Longer values and bytes next to the digits (`/`, `:`, `*`, `?`,
    /// bytes whose high half is 3 or whose low half is 0 to 9, and ones a
    /// carry would run out of), at every place of every word: the word
    /// loop takes exactly the values the textbook form takes.
    #[test]
    fn words_agree_with_the_textbook_form() {
        const ODD: &[u8] = b"/:*?;<=>\x10\x20\xF9\xFA\xFF\x00\xB0\x3F\x39\x30";
        let mut rng = crate::detect::TestRng(23);
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = rng.below(41);
            let mut v: Vec<u8> = (0..len).map(|_| b'0' + rng.below(10) as u8).collect();
            if len > 0 && rng.below(4) == 0 {
                let at = rng.below(len);
                v[at] = ODD[rng.below(ODD.len())];
            } else if len > 0 && rng.below(2) == 0 {
                // A check digit made right: the valid answer occurs too.
                let last = len - 1;
                for d in b'0'..=b'9' {
                    v[last] = d;
                    if textbook(&v) {
                        break;
                    }
                }
            }
            valid += usize::from(textbook(&v));
            assert_eq!(luhn_valid(&v), textbook(&v), "{v:?}");
        }
        assert!(valid > 50_000, "{valid}");
        // Every length, all zeros and all nines.
        for len in 0..40 {
            for d in [b'0', b'9'] {
                let v = vec![d; len];
                assert_eq!(luhn_valid(&v), textbook(&v), "{len} {d}");
            }
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
