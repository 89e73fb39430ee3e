//! Mainland China fixed-line numbers in national format with the trunk `0`
//! (spec `cn-identifiers.md` §2, "Landline", after libphonenumber fixed_line):
//! `010` or `02[0-57-9]` (026 is unassigned) + exactly 8 digits, or a
//! four-digit area code `0[3-9]xx` + 7 or 8 digits. Extensions must be removed
//! by the caller. `400`/`800` business numbers have no leading 0 and fail.

/// Returns the length of the area code at the start of `d` including the
/// trunk `0`: 3 for `010` and `02[0-57-9]`, 4 for `0[3-9]` + 2 digits, `None`
/// for anything else (026, `00`, `01[1-9]`, non-digits, too short).
pub fn area_code_len(d: &[u8]) -> Option<usize> {
    match d {
        [b'0', b'1', b'0', ..] => Some(3),
        [b'0', b'2', b'0'..=b'5' | b'7'..=b'9', ..] => Some(3),
        [b'0', b'3'..=b'9', b'0'..=b'9', b'0'..=b'9', ..] => Some(4),
        _ => None,
    }
}

/// Validates a full national landline number (`d` = ASCII digits, leading
/// `0`, no extension): a 3-digit area code followed by exactly 8 digits, or a
/// 4-digit one followed by 7 or 8 digits. The local number must not start
/// with `0` (the trunk prefix; Chinese numbering practice, not spelled out in
/// spec §2, which only gives lengths).
///
/// Deviation from the brief: a local number starting with `1` is accepted.
/// The brief asked to reject it but also required `01012345678` to be valid;
/// spec §2 uses `010-1234 5678` as its format example, and libphonenumber
/// (the spec's source) accepts 010 + `1…` and uses `10 1234 5678` as its CN
/// fixed-line example number.
pub fn validate(d: &[u8]) -> bool {
    // The area code first: most numbers asked about (timestamps, ids) do
    // not start with `0`, and are told by their first byte.
    let Some(area) = area_code_len(d) else {
        return false;
    };
    d.iter().all(u8::is_ascii_digit) && local_ok(&d[area..], area)
}

/// The local number after an area code of `area` digits: eight digits
/// after a three-digit code, seven or eight after a longer one, not
/// starting with `0`.
fn local_ok(local: &[u8], area: usize) -> bool {
    let len_ok = match area {
        3 => local.len() == 8,
        _ => matches!(local.len(), 7 | 8),
    };
    len_ok && matches!(local.first(), Some(b'1'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `validate` as first written (digits checked before the area code):
    /// both are conjunctions of the same pure tests.
    fn reference(d: &[u8]) -> bool {
        if !d.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let Some(area) = area_code_len(d) else {
            return false;
        };
        local_ok(&d[area..], area)
    }

    #[test]
    fn agrees_with_the_reference() {
        let mut rng = crate::detect::TestRng(3);
        let mut valid = 0;
        for _ in 0..100_000 {
            let len = rng.below(15);
            let mut v: Vec<u8> = (0..len).map(|_| b'0' + rng.below(10) as u8).collect();
            if len > 0 && rng.below(2) == 0 {
                v[0] = b'0';
            }
            if len > 0 && rng.below(5) == 0 {
                let at = rng.below(len);
                v[at] = b"A/ \xFF"[rng.below(4)];
            }
            valid += usize::from(reference(&v));
            assert_eq!(validate(&v), reference(&v), "{v:?}");
        }
        assert!(valid > 1_000, "{valid}");
    }

    #[test]
    fn valid_numbers() {
        for v in [
            &b"01012345678"[..], // 010 spec format `010-1234 5678` without the separators
            b"02087654321",
            b"02187654321",
            b"02587654321",
            b"02787654321",
            b"02987654321",
            b"075587654321",
            b"05718765432",
            b"03112345678",
            b"09912345678",
            b"099123456789",
            b"07551234567", // local starts 1: accepted, see validate's doc
        ] {
            assert!(validate(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn invalid_numbers() {
        for v in [
            &b"02612345678"[..], // 026 unassigned
            b"01001234567",      // local starts 0
            b"0101234567",       // too short
            b"010123456789",     // too long for 3-digit area
            b"4001234567",       // no leading 0
            b"8001234567",
            b"07550234567",    // local starts 0
            b"0755123456",     // 6-digit local
            b"0755123456789",  // 9-digit local
            b"0201234567",     // 7-digit local after 3-digit code
            b"01112345678",    // 011 is not an area code
            b"00861012345678", // international prefix
            b"0571876543X",
            b"",
            b"0",
            b"010",
        ] {
            assert!(!validate(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn area_codes() {
        assert_eq!(area_code_len(b"01012345678"), Some(3));
        assert_eq!(area_code_len(b"02087654321"), Some(3));
        assert_eq!(area_code_len(b"02887654321"), Some(3));
        assert_eq!(area_code_len(b"075587654321"), Some(4));
        assert_eq!(area_code_len(b"0571"), Some(4));
        assert_eq!(area_code_len(b"02612345678"), None);
        assert_eq!(area_code_len(b"01112345678"), None);
        assert_eq!(area_code_len(b"00861012345678"), None);
        assert_eq!(area_code_len(b"4001234567"), None);
        assert_eq!(area_code_len(b"057"), None);
        assert_eq!(area_code_len(b"05X1"), None);
        assert_eq!(area_code_len(b""), None);
    }
}
