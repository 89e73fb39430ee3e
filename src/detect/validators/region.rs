//! GB/T 2260 address codes (spec `cn-identifiers.md` §1, "Address code"; reused
//! by §4 for USCC positions 3-8): province prefix check and membership in the
//! embedded list of every code that ever existed (numbers are kept for life).

use super::gbt2260::CODES;

/// Returns true if `code` is a GB/T 2260 region code that ever existed
/// (binary search in the embedded, sorted [`CODES`] table).
pub fn is_region_code(code: u32) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// Parses the first 6 bytes of `digits` as a decimal region code.
///
/// Returns `None` if there are fewer than 6 bytes or any of them is not an
/// ASCII digit. Does not check membership; see [`is_region_code`].
pub fn region_of(digits: &[u8]) -> Option<u32> {
    let head = digits.get(..6)?;
    let mut n: u32 = 0;
    for &b in head {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
    }
    Some(n)
}

/// Returns true if `first_two` (the first two digits of an address code, as a
/// number) is a valid province prefix per spec §1: 11–15, 21–23, 31–37,
/// 41–46, 50–54, 61–65, 71, 81, 82, 83.
pub fn is_valid_province(first_two: u32) -> bool {
    matches!(
        first_two,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        for c in [
            110000, 110101, 441900, 442000, 710000, 810000, 820000, 830000,
        ] {
            assert!(is_region_code(c), "{c}");
        }
    }

    #[test]
    fn unknown_codes() {
        for c in [0, 991234, 911840, 110199, 999999, 1_101_010, u32::MAX] {
            assert!(!is_region_code(c), "{c}");
        }
    }

    #[test]
    fn region_of_parses_prefix() {
        assert_eq!(region_of(b"110101190001010006"), Some(110101));
        assert_eq!(region_of(b"000000"), Some(0));
        assert_eq!(region_of(b"12345"), None);
        assert_eq!(region_of(b""), None);
        assert_eq!(region_of(b"11010X"), None);
        assert_eq!(region_of(b"Y11101"), None);
    }

    #[test]
    fn provinces() {
        for p in [
            11, 15, 21, 23, 31, 37, 41, 46, 50, 54, 61, 65, 71, 81, 82, 83,
        ] {
            assert!(is_valid_province(p), "{p}");
        }
        for p in [
            0, 10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 84, 91, 99,
        ] {
            assert!(!is_valid_province(p), "{p}");
        }
    }

    #[test]
    fn every_table_code_has_valid_province() {
        assert!(CODES.iter().all(|&c| is_valid_province(c / 10_000)));
    }
}
