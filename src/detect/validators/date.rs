//! Calendar checks for birth dates embedded in identity numbers (spec
//! `cn-identifiers.md` §1, "Birth date": a real calendar date, leap years
//! checked, 1890-01-01 ≤ date ≤ today). No external date crate: the current
//! UTC date comes from `std::time::SystemTime` and Howard Hinnant's
//! days-to-civil algorithm.

use std::time::{SystemTime, UNIX_EPOCH};

/// Earliest accepted birth date (spec §1).
const MIN_BIRTH: (i32, u32, u32) = (1890, 1, 1);

/// Today's date in UTC as `(year, month, day)`, from the system clock.
///
/// Never panics: a clock set before 1970 is handled as a negative offset.
pub fn today() -> (i32, u32, u32) {
    let days = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        // Clock before the epoch: floor division of a negative offset.
        Err(e) => -(e.duration().as_secs().div_ceil(86_400) as i64),
    };
    civil_from_days(days)
}

/// Converts days since 1970-01-01 to a proleptic Gregorian `(y, m, d)`.
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = if m <= 2 { y + 1 } else { y };
    (y as i32, m as u32, d as u32)
}

/// Returns true if `y` is a Gregorian leap year.
fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Returns true if `y-m-d` is a real date of the proleptic Gregorian
/// calendar (month 1–12, day within the month, 29 February only in leap years).
pub fn is_real_date(y: i32, m: u32, d: u32) -> bool {
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=max).contains(&d)
}

/// The date written `YYYYMMDD` in the eight ASCII digits `v`, as
/// `(year, month, day)` numbers (not checked to be a real date); `None`
/// unless `v` is exactly eight digits.
pub fn parse_yyyymmdd(v: &[u8]) -> Option<(i32, u32, u32)> {
    if v.len() != 8 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        v[r].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    // At most 9999, so the cast is lossless.
    Some((num(0..4)? as i32, num(4..6)?, num(6..8)?))
}

/// Returns true if `y-m-d` is a plausible birth date per spec §1: a real date
/// with 1890-01-01 ≤ date ≤ `today` (pass [`today()`] in production; tests
/// pass a fixed date).
pub fn is_birth_date(y: i32, m: u32, d: u32, today: (i32, u32, u32)) -> bool {
    is_real_date(y, m, d) && (y, m, d) >= MIN_BIRTH && (y, m, d) <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: (i32, u32, u32) = (2025, 6, 15);

    #[test]
    fn yyyymmdd_is_eight_digits() {
        assert_eq!(parse_yyyymmdd(b"20231020"), Some((2023, 10, 20)));
        assert_eq!(parse_yyyymmdd(b"00000000"), Some((0, 0, 0)));
        assert_eq!(parse_yyyymmdd(b"2023102"), None);
        assert_eq!(parse_yyyymmdd(b"202310200"), None);
        assert_eq!(parse_yyyymmdd(b"2023-1020"), None);
        assert_eq!(parse_yyyymmdd(b"2O231020"), None);
    }

    #[test]
    fn civil_known_points() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-25_567), (1900, 1, 1));
    }

    #[test]
    fn today_is_sane() {
        let t = today();
        assert!(t.0 >= 2024, "{t:?}");
        assert!(is_real_date(t.0, t.1, t.2));
    }

    #[test]
    fn real_dates() {
        assert!(is_real_date(1900, 1, 1));
        assert!(is_real_date(2000, 2, 29));
        assert!(is_real_date(2024, 2, 29));
        assert!(is_real_date(1999, 12, 31));
        assert!(is_real_date(2023, 4, 30));
    }

    #[test]
    fn impossible_dates() {
        assert!(!is_real_date(1900, 2, 29)); // 1900 is not a leap year
        assert!(!is_real_date(2023, 2, 29));
        assert!(!is_real_date(1900, 2, 30));
        assert!(!is_real_date(2023, 4, 31));
        assert!(!is_real_date(2023, 0, 1));
        assert!(!is_real_date(2023, 13, 1));
        assert!(!is_real_date(2023, 1, 0));
        assert!(!is_real_date(2023, 1, 32));
        assert!(!is_real_date(2023, u32::MAX, u32::MAX));
    }

    #[test]
    fn birth_range() {
        assert!(is_birth_date(1890, 1, 1, T));
        assert!(is_birth_date(1900, 1, 1, T));
        assert!(is_birth_date(2025, 6, 15, T));
        assert!(!is_birth_date(1889, 12, 31, T));
        assert!(!is_birth_date(1880, 1, 1, T));
        assert!(!is_birth_date(2025, 6, 16, T));
        assert!(!is_birth_date(2099, 12, 31, T));
        assert!(!is_birth_date(1900, 2, 30, T));
    }
}
