//! Mainland China mobile numbers (spec `cn-identifiers.md` §2, "Mobile" and its
//! segment table): 11 digits whose leading 3–5 digits are an allocated
//! segment, optionally preceded by the country code `86` or `0086`.
//! 149 is included (VincentSit lists it, libphonenumber does not; spec §11);
//! 140, 141, 144, 146, 148 (13-digit IoT), 154, 179 and 194 are excluded.

/// Parses `d` (ASCII digits) as a decimal number. Callers pass at most 5 bytes.
fn prefix(d: &[u8]) -> u32 {
    d.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0'))
}

/// Returns true if `d` is exactly 11 ASCII digits in an allocated mobile
/// segment of the spec §2 table:
/// 130–139; 145, 147, 149; 150–153, 155–159; 1610, 162, 165, 166, 167;
/// 170 (1700–1709), 171, 172, 173, 175–178; 17400–17412 (1740[0-5] satellite,
/// 17406–17412 emergency) and 1749 (maritime satellite);
/// 180–189; 190–193, 195–199.
pub fn segment_valid(d: &[u8]) -> bool {
    if d.len() != 11 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match prefix(&d[..3]) {
        130..=139 | 145 | 147 | 149 => true,
        150..=153 | 155..=159 => true,
        162 | 165..=167 => true,
        161 => prefix(&d[..4]) == 1610, // China Broadnet; rest of 161 unallocated
        170..=173 | 175..=178 => true,
        174 => matches!(prefix(&d[..5]), 17400..=17412 | 17490..=17499),
        180..=189 => true,
        190..=193 | 195..=199 => true,
        _ => false,
    }
}

/// Returns the 11-digit national mobile number contained in `d`, which may be
/// 11 digits, `86` + 11 digits or `0086` + 11 digits (the caller has already
/// dropped `+`, brackets and separators). Returns `None` for any other length
/// or when the remaining 11 digits are not [`segment_valid`].
pub fn strip_country_code(d: &[u8]) -> Option<&[u8]> {
    let national = match d.len() {
        11 => d,
        13 => d.strip_prefix(b"86")?,
        15 => d.strip_prefix(b"0086")?,
        _ => return None,
    };
    segment_valid(national).then_some(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `segment_valid` of `prefix` padded with zeros to 11 digits.
    fn seg(prefix: &[u8]) -> bool {
        let mut buf = [b'0'; 11];
        buf[..prefix.len()].copy_from_slice(prefix);
        segment_valid(&buf)
    }

    #[test]
    fn base_operators() {
        for p in 130..=139u32 {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        for p in [150, 151, 152, 153, 155, 156, 157, 158, 159] {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        for p in 180..=189u32 {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        assert!(seg(b"1349")); // legacy satellite
        assert!(segment_valid(b"13800000000"));
    }

    #[test]
    fn data_cards() {
        assert!(seg(b"145"));
        assert!(seg(b"147"));
        assert!(seg(b"149"));
        for p in [b"140", b"141", b"142", b"143", b"144", b"146", b"148"] {
            assert!(!seg(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn sixteen_segment() {
        for p in [b"162", b"165", b"166", b"167"] {
            assert!(seg(p));
        }
        assert!(seg(b"1610"));
        for p in [
            &b"1611"[..],
            b"1615",
            b"1619",
            b"160",
            b"163",
            b"164",
            b"168",
            b"169",
        ] {
            assert!(!seg(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn seventeen_segment() {
        for p in 1700..=1709u32 {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        for p in [b"171", b"172", b"173", b"175", b"176", b"177", b"178"] {
            assert!(seg(p));
        }
        assert!(!seg(b"179"));
    }

    #[test]
    fn seventeen_four() {
        for p in 17400..=17412u32 {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        for p in 17490..=17499u32 {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        for p in [17413u32, 17420, 17450, 17480, 17489] {
            assert!(!seg(p.to_string().as_bytes()), "{p}");
        }
    }

    #[test]
    fn nineteen_segment() {
        for p in [190u32, 191, 192, 193, 195, 196, 197, 198, 199] {
            assert!(seg(p.to_string().as_bytes()), "{p}");
        }
        assert!(!seg(b"194"));
    }

    #[test]
    fn other_exclusions() {
        for p in [
            &b"154"[..],
            b"100",
            b"110",
            b"120",
            b"129",
            b"200",
            b"400",
            b"800",
            b"012",
        ] {
            assert!(!seg(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn wrong_shape() {
        assert!(!segment_valid(b"1380000000")); // 10 digits
        assert!(!segment_valid(b"138000000000")); // 12 digits
        assert!(!segment_valid(b"1380000000X"));
        assert!(!segment_valid(b""));
        assert!(!segment_valid(b"1"));
    }

    #[test]
    fn country_code() {
        let n: &[u8] = b"13800000000";
        assert_eq!(strip_country_code(b"13800000000"), Some(n));
        assert_eq!(strip_country_code(b"8613800000000"), Some(n));
        assert_eq!(strip_country_code(b"008613800000000"), Some(n));
        assert_eq!(strip_country_code(b"8614000000000"), None); // 140 excluded
        assert_eq!(strip_country_code(b"008619400000000"), None);
        assert_eq!(strip_country_code(b"8713800000000"), None); // wrong country code
        assert_eq!(strip_country_code(b"008713800000000"), None);
        assert_eq!(strip_country_code(b"0013800000000"), None);
        assert_eq!(strip_country_code(b"138000000000"), None); // 12 digits
        assert_eq!(strip_country_code(b"86138000000000"), None); // 14 digits
        assert_eq!(strip_country_code(b"861380000000"), None); // 12 digits
        assert_eq!(strip_country_code(b"86"), None);
        assert_eq!(strip_country_code(b""), None);
        assert_eq!(strip_country_code(b"1540000000"), None);
    }
}
