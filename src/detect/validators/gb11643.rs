//! Resident Identity Card numbers, GB 11643-1999 (spec `cn-identifiers.md` §1):
//! 18-character numbers (6-digit GB/T 2260 address code + YYYYMMDD + 3-digit
//! order code + ISO 7064 MOD 11-2 check character `[0-9X]`) and the
//! first-generation 15-digit form (address + YYMMDD read as 19YY + order, no
//! check digit), with the structure filters of §1 (province prefix, ever-existing
//! region code, real birth date in 1890-01-01..=today). A leading `9` is the 2023
//! permanent-residence card (§5), not a citizen ID, and is rejected here.

use super::date::{is_birth_date, is_real_date, parse_yyyymmdd, today};
use super::region::{is_region_code, is_valid_province, region_of};

/// MOD 11-2 weights Wᵢ = 2^(18−i) mod 11 for positions 1..=17 (spec §1).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character indexed by S mod 11 (spec §1 table).
const CHECK: &[u8; 11] = b"10X98765432";

/// Region codes ending in `00` that are nevertheless normal for real IDs
/// (spec §1: HK/Macau/Taiwan residence permits, and prefecture-level cities
/// without counties, e.g. Dongguan 441900 and Zhongshan 442000).
const PREFECTURE_EXCEPTIONS: &[u32] = &[441900, 442000, 810000, 820000, 830000];

/// Parses an all-digit slice as a decimal number; `None` on any non-digit.
/// Callers pass at most 8 bytes, so the result cannot overflow.
fn num(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Computes the MOD 11-2 check character (`b'0'..=b'9'` or `b'X'`) of a
/// 17-digit body. Returns `None` unless `body17` is exactly 17 ASCII digits.
pub fn check_char(body17: &[u8]) -> Option<u8> {
    if body17.len() != 17 {
        return None;
    }
    let mut s = 0u32;
    for (&b, &w) in body17.iter().zip(WEIGHTS.iter()) {
        if !b.is_ascii_digit() {
            return None;
        }
        s += u32::from(b - b'0') * w;
    }
    CHECK.get((s % 11) as usize).copied()
}

/// Province prefix valid and the first six digits an ever-existing region code.
fn address_ok(v: &[u8]) -> bool {
    match region_of(v) {
        Some(code) => is_valid_province(code / 10_000) && is_region_code(code),
        None => false,
    }
}

/// Validates an 18-character resident ID against today's UTC date.
/// See [`validate_18_at`].
pub fn validate_18(v: &[u8]) -> bool {
    validate_18_at(v, today())
}

/// Validates an 18-character resident ID (spec §1): 17 digits + `[0-9X]`,
/// first digit not `9`, valid province prefix, ever-existing region code,
/// YYYYMMDD a real date in 1890-01-01..=`today`, correct MOD 11-2 check.
/// Lets a scanner compute [`today()`] once instead of per candidate.
pub fn validate_18_at(v: &[u8], today: (i32, u32, u32)) -> bool {
    if v.len() != 18 || v[0] == b'9' || !address_ok(v) {
        return false;
    }
    let Some((y, m, d)) = parse_yyyymmdd(&v[6..14]) else {
        return false;
    };
    is_birth_date(y, m, d, today) && check_char(&v[..17]) == Some(v[17])
}

/// Validates a first-generation 15-digit ID (spec §1): 15 digits = region
/// code (valid province, ever-existing) + YYMMDD read as 19YY (must be a real
/// date) + 3-digit order code. There is no check digit, so callers need context.
pub fn validate_15(v: &[u8]) -> bool {
    if v.len() != 15 || !v.iter().all(u8::is_ascii_digit) || !address_ok(v) {
        return false;
    }
    let (Some(yy), Some(m), Some(d)) = (num(&v[6..8]), num(&v[8..10]), num(&v[10..12])) else {
        return false;
    };
    // 1900..=1999 always lies within 1890-01-01..=today, so only the calendar
    // check of is_birth_date is needed here (and no clock read).
    is_real_date(1900 + yy as i32, m, d)
}

/// Upgrades a 15-digit ID to 18 characters: inserts `19` before the YYMMDD
/// date and appends the MOD 11-2 check character (spec §1, §10.1).
/// Returns `None` unless `v` is exactly 15 ASCII digits; it does not check the
/// region or date, so call [`validate_15`] first.
pub fn upgrade_15(v: &[u8]) -> Option<[u8; 18]> {
    if v.len() != 15 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0u8; 18];
    out[..6].copy_from_slice(&v[..6]);
    out[6] = b'1';
    out[7] = b'9';
    out[8..17].copy_from_slice(&v[6..]);
    out[17] = check_char(&out[..17])?;
    Some(out)
}

/// Returns true if the address code (first 6 digits of `v`) ends in `00`,
/// i.e. names a province or prefecture rather than a county, so the caller
/// should lower confidence (spec §1). The residence-permit codes
/// 810000/820000/830000 and prefecture cities without counties 441900/442000 are
/// exempt. Returns false if `v` does not start with 6 digits.
pub fn is_prefecture_level(v: &[u8]) -> bool {
    match region_of(v) {
        Some(code) => code % 100 == 0 && !PREFECTURE_EXCEPTIONS.contains(&code),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: (i32, u32, u32) = (2025, 6, 15);

    /// Appends the computed check character to a 17-digit body.
    fn with_check(body: &[u8; 17]) -> [u8; 18] {
        let mut out = [0u8; 18];
        out[..17].copy_from_slice(body);
        out[17] = check_char(body).expect("test body is 17 digits");
        out
    }

    #[test]
    fn spec_10_1_check_6() {
        assert_eq!(check_char(b"11010119000101000"), Some(b'6'));
        assert!(validate_18(b"110101190001010006"));
        assert!(validate_18_at(b"110101190001010006", T));
    }

    #[test]
    fn spec_10_2_check_x() {
        assert_eq!(check_char(b"11010119000101009"), Some(b'X'));
        assert!(validate_18(b"11010119000101009X"));
    }

    #[test]
    fn spec_10_3_residence_permit() {
        assert_eq!(check_char(b"81000019000101000"), Some(b'X'));
        assert!(validate_18(b"81000019000101000X"));
        assert!(!is_prefecture_level(b"81000019000101000X"));
    }

    #[test]
    fn spec_10_4_permanent_residence_rejected() {
        // MOD 11-2 passes, but a leading 9 is not a citizen ID.
        assert_eq!(check_char(b"91184019000101000"), Some(b'9'));
        assert!(!validate_18(b"911840190001010009"));
    }

    #[test]
    fn wrong_check() {
        for c in b"0123456789X" {
            let mut v = *b"110101190001010006";
            v[17] = *c;
            assert_eq!(validate_18(&v), *c == b'6');
        }
        assert!(!validate_18(b"11010119000101009x")); // lower case not normalized
    }

    #[test]
    fn single_digit_change_fails() {
        let good = *b"110101190001010006";
        for i in 0..17 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut v = good;
                v[i] = d;
                assert!(!validate_18(&v), "{}", String::from_utf8_lossy(&v));
            }
        }
    }

    #[test]
    fn impossible_dates() {
        // Correct check characters, so only the date can fail.
        assert!(!validate_18_at(&with_check(b"11010119000230000"), T)); // 30 Feb
        assert!(!validate_18_at(&with_check(b"11010119000229000"), T)); // 1900 not leap
        assert!(!validate_18_at(&with_check(b"11010120991231000"), T)); // future
        assert!(!validate_18(&with_check(b"11010120991231000")));
        assert!(!validate_18_at(&with_check(b"11010118800101000"), T)); // before 1890
        assert!(!validate_18_at(&with_check(b"11010119001301000"), T)); // month 13
        assert!(!validate_18_at(&with_check(b"11010119000100000"), T)); // day 0
        assert!(validate_18_at(&with_check(b"11010118900101000"), T)); // 1890-01-01
        assert!(validate_18_at(&with_check(b"11010120000229000"), T)); // leap day
        assert!(validate_18_at(&with_check(b"11010120250615000"), T)); // today
        assert!(!validate_18_at(&with_check(b"11010120250616000"), T)); // tomorrow
    }

    #[test]
    fn unknown_region() {
        assert!(!validate_18_at(&with_check(b"00000019000101000"), T));
        assert!(!validate_18_at(&with_check(b"99123419000101000"), T));
        assert!(!validate_18_at(&with_check(b"11019919000101000"), T)); // province ok, code not
        assert!(!validate_18_at(&with_check(b"16000019000101000"), T)); // bad province
    }

    #[test]
    fn malformed_18() {
        for v in [
            &b""[..],
            b"1",
            b"11010119000101000",
            b"1101011900010100066",
            b"11010119000101000A",
            b"1101011900010100X6",
            b"A10101190001010006",
            b"11010119000101000\xff",
        ] {
            assert!(!validate_18(v));
        }
        assert_eq!(check_char(b"1101011900010100"), None);
        assert_eq!(check_char(b"110101190001010000"), None);
        assert_eq!(check_char(b"1101011900010100X"), None);
    }

    #[test]
    fn fifteen_digit() {
        assert!(validate_15(b"110101000101000"));
        assert!(validate_15(b"440300991231123"));
        assert!(!validate_15(b"110101000230000")); // 1900-02-30
        assert!(!validate_15(b"110101000229000")); // 1900 not leap
        assert!(validate_15(b"110101960229000")); // 1996 leap
        assert!(!validate_15(b"000000000101000")); // region
        assert!(!validate_15(b"991234000101000")); // region
        assert!(!validate_15(b"11010100010100")); // 14 digits
        assert!(!validate_15(b"1101010001010000")); // 16 digits
        assert!(!validate_15(b"11010100010100X"));
    }

    #[test]
    fn upgrade() {
        let up = upgrade_15(b"110101000101000");
        assert_eq!(up, Some(*b"110101190001010006")); // spec §10.1
        assert!(up.is_some_and(|v| validate_18(&v)));
        assert_eq!(upgrade_15(b"11010100010100"), None);
        assert_eq!(upgrade_15(b"11010100010100X"), None);
        assert_eq!(upgrade_15(b""), None);
    }

    #[test]
    fn prefecture_level() {
        assert!(is_prefecture_level(b"110100190001010000"));
        assert!(is_prefecture_level(b"110000190001010000"));
        assert!(is_prefecture_level(b"440300"));
        assert!(!is_prefecture_level(b"110101190001010006"));
        assert!(!is_prefecture_level(b"441900190001010000"));
        assert!(!is_prefecture_level(b"442000190001010000"));
        assert!(!is_prefecture_level(b"810000190001010000"));
        assert!(!is_prefecture_level(b"820000190001010000"));
        assert!(!is_prefecture_level(b"830000190001010000"));
        assert!(!is_prefecture_level(b"11010"));
        assert!(!is_prefecture_level(b"1101X0"));
    }
}
