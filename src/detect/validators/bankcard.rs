//! Bank card issuer (BIN/IIN) table (spec `cn-identifiers.md` §3, "UnionPay
//! IINs", "Example BINs" and the co-brands named under "Lengths"): a card
//! number is "known" when a listed prefix matches AND its length is allowed for
//! that prefix. The Luhn check is separate (`super::luhn`), because not every
//! Chinese card passes it (spec §3).

/// One issuer prefix range: the first `digits` digits of the card number, read
/// as a decimal number, must lie in `lo..=hi`, and the total card length in
/// `min_len..=max_len`. Kept as the range of the first [`PREFIX`] digits that
/// this means, so that one number read per candidate serves every entry.
struct Bin {
    lo6: u32,
    hi6: u32,
    min_len: usize,
    max_len: usize,
}

/// How many leading digits [`bin_known`] reads: the longest prefix of the
/// table (`bin` refuses a longer one at compile time).
const PREFIX: usize = 6;

/// Shorthand constructor used to keep [`BINS`] one entry a line.
const fn bin(digits: usize, lo: u32, hi: u32, min_len: usize, max_len: usize) -> Bin {
    assert!(digits >= 1 && digits <= PREFIX && min_len > PREFIX);
    let scale = 10u32.pow((PREFIX - digits) as u32);
    Bin {
        lo6: lo * scale,
        hi6: (hi + 1) * scale - 1,
        min_len,
        max_len,
    }
}

/// Issuer table, spec §3.
///
/// - UnionPay IINs [bt]: 620, 62100–62182, 62200–62205, 622010–622999,
///   623–626, 6282–6289, 81xx; lengths 14–19. The whole 620 block is accepted
///   so §10.6's `6200000000000005` passes. The spec's list ends in "…": only
///   the listed ranges are included.
/// - Legacy domestic 9-prefixed BINs [bcbc]: 9558 (covers 95588), 95595–95599,
///   955590–955593, 95555, 955100. The spec gives no lengths for them; 16–19
///   is used (the common domestic lengths of §3).
/// - Example BINs of §3 not already covered by a UnionPay range: 601382 (BOC);
///   lengths 16–19 as above.
/// - International co-brands: Visa 4 (16 or 19), Mastercard 51–55 and
///   2221–2720 (16), JCB 3528–3589 (16–19), Amex 34/37 (15).
#[rustfmt::skip]
static BINS: &[Bin] = &BIN_TABLE;

/// [`BINS`] as a constant, for [`PREFIX2`] to be built from at compile
/// time.
#[rustfmt::skip]
const BIN_TABLE: [Bin; 20] = [
    // UnionPay
    bin(3, 620, 620, 14, 19),
    bin(5, 62100, 62182, 14, 19),
    bin(5, 62200, 62205, 14, 19),
    bin(6, 622010, 622999, 14, 19),
    bin(3, 623, 626, 14, 19),
    bin(4, 6282, 6289, 14, 19),
    bin(2, 81, 81, 14, 19),
    // Legacy domestic 9-prefixed BINs
    bin(4, 9558, 9558, 16, 19),
    bin(5, 95595, 95599, 16, 19),
    bin(6, 955590, 955593, 16, 19),
    bin(5, 95555, 95555, 16, 19),
    bin(6, 955100, 955100, 16, 19),
    // Other example BINs
    bin(6, 601382, 601382, 16, 19),
    // Co-brands
    bin(1, 4, 4, 16, 16),
    bin(1, 4, 4, 19, 19),
    bin(2, 51, 55, 16, 16),
    bin(4, 2221, 2720, 16, 16),
    bin(4, 3528, 3589, 16, 19),
    bin(2, 34, 34, 15, 15),
    bin(2, 37, 37, 15, 15),
];

/// Longest card number of the table.
const MAX_LEN: usize = 19;

/// For each length, the first two digits (bit `10a + b` for `ab`) that
/// some entry of [`BINS`] takes at that length: most numbers the line gate
/// asks about (message ids of 19 digits, 14- to 18-digit numbers) start
/// with none of them, and are told apart by this one look.
static PREFIX2: [u128; MAX_LEN + 1] = prefix2(&BIN_TABLE);

/// Builds [`PREFIX2`] from the table.
const fn prefix2(bins: &[Bin]) -> [u128; MAX_LEN + 1] {
    let mut out = [0u128; MAX_LEN + 1];
    let mut i = 0;
    while i < bins.len() {
        let b = &bins[i];
        assert!(b.max_len <= MAX_LEN);
        let mut len = b.min_len;
        while len <= b.max_len {
            let mut p = b.lo6 / 10_000;
            while p <= b.hi6 / 10_000 {
                out[len] |= 1 << p;
                p += 1;
            }
            len += 1;
        }
        i += 1;
    }
    out
}

/// Returns true if `digits` (ASCII digits only) starts with a known issuer
/// prefix from the spec §3 table and has a length allowed for that prefix.
/// Any non-digit gives false.
pub fn bin_known(digits: &[u8]) -> bool {
    let len = digits.len();
    // Every entry's minimum length is longer than the prefix read, and its
    // maximum at most `MAX_LEN`.
    if len <= PREFIX || len > MAX_LEN {
        return false;
    }
    let (a, b) = (digits[0].wrapping_sub(b'0'), digits[1].wrapping_sub(b'0'));
    if a > 9 || b > 9 || PREFIX2[len] & (1 << (10 * a + b)) == 0 {
        return false;
    }
    in_table(digits)
}

/// The scan of the whole table that `bin_known`'s two-digit masks front
/// (and the definition a test holds it to): `digits`, longer than
/// `PREFIX`, are all digits and their prefix falls in an entry of their
/// length.
fn in_table(digits: &[u8]) -> bool {
    let len = digits.len();
    if len <= PREFIX || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let p = digits[..PREFIX]
        .iter()
        .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    BINS.iter()
        .any(|b| (b.min_len..=b.max_len).contains(&len) && (b.lo6..=b.hi6).contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bin_known` of `prefix` padded with zeros to `len` digits.
    fn known(prefix: &[u8], len: usize) -> bool {
        let mut buf = [b'0'; 32];
        buf[..prefix.len()].copy_from_slice(prefix);
        bin_known(&buf[..len])
    }

    #[test]
    fn agrees_with_a_scan_of_the_table() {
        // Every six-digit prefix at every length (the rest zeros), then
        // random numbers with a byte that is no digit now and then.
        let mut buf = [b'0'; 24];
        for p in 0..1_000_000u32 {
            let s = format!("{p:06}");
            buf[..6].copy_from_slice(s.as_bytes());
            for len in 0..=buf.len() {
                assert_eq!(bin_known(&buf[..len]), in_table(&buf[..len]), "{s} {len}");
            }
        }
        let mut rng = crate::detect::TestRng(5);
        let (mut known, odd) = (0, b"/:A \xFF\x00");
        for _ in 0..200_000 {
            let len = rng.below(24);
            let mut v: Vec<u8> = (0..len).map(|_| b'0' + rng.below(10) as u8).collect();
            if len > 0 && rng.below(3) == 0 {
                let at = rng.below(len);
                v[at] = odd[rng.below(odd.len())];
            }
            if len > 1 && rng.below(2) == 0 {
                v[..2].copy_from_slice(if rng.below(2) == 0 { b"62" } else { b"95" });
            }
            known += usize::from(in_table(&v));
            assert_eq!(bin_known(&v), in_table(&v), "{v:?}");
        }
        assert!(known > 5_000, "{known}");
    }

    #[test]
    fn table_is_well_formed() {
        for b in BINS {
            assert!(b.lo6 <= b.hi6);
            assert!(b.min_len <= b.max_len);
            assert!(b.hi6 < 1_000_000);
            assert!(b.lo6 >= 100_000);
        }
    }

    #[test]
    fn spec_10_6_examples() {
        assert!(bin_known(b"6200000000000005"));
        assert!(bin_known(b"6220000000000000016"));
    }

    #[test]
    fn unionpay() {
        for p in [
            &b"620"[..],
            b"62100",
            b"62182",
            b"62200",
            b"62205",
            b"622010",
            b"622999",
            b"623",
            b"624",
            b"625",
            b"626",
            b"6282",
            b"6289",
            b"8100",
            b"8199",
            // Example BINs of §3 inside the UnionPay ranges
            b"622202",
            b"622208",
            b"621226",
            b"622848",
            b"622845",
            b"621660",
            b"621661",
            b"621700",
            b"622700",
            b"622260",
            b"622262",
            b"622588",
            b"621483",
            b"622575",
            b"621799",
            b"622188",
        ] {
            for len in 14..=19 {
                assert!(known(p, len), "{} len {len}", String::from_utf8_lossy(p));
            }
        }
    }

    #[test]
    fn unionpay_gaps() {
        assert!(!known(b"62183", 16));
        assert!(!known(b"62199", 16));
        assert!(!known(b"627", 16));
        assert!(!known(b"6281", 16));
        assert!(!known(b"6290", 16));
        assert!(!known(b"80", 16));
        assert!(!known(b"82", 16));
    }

    #[test]
    fn legacy_domestic() {
        for p in [
            &b"9558"[..],
            b"95588",
            b"95595",
            b"95599",
            b"955590",
            b"955593",
            b"95555",
            b"955100",
            b"601382",
        ] {
            for len in 16..=19 {
                assert!(known(p, len), "{} len {len}", String::from_utf8_lossy(p));
            }
            assert!(!known(p, 15));
            assert!(!known(p, 20));
        }
        assert!(!known(b"955594", 19));
        assert!(!known(b"95594", 19));
        assert!(!known(b"955101", 19));
        assert!(!known(b"601383", 19));
    }

    #[test]
    fn co_brands() {
        assert!(known(b"4", 16));
        assert!(known(b"4", 19));
        assert!(!known(b"4", 17));
        assert!(!known(b"4", 18));
        assert!(!known(b"4", 13));
        for p in [&b"51"[..], b"55", b"2221", b"2720"] {
            assert!(known(p, 16));
            assert!(!known(p, 19));
        }
        assert!(!known(b"50", 16));
        assert!(!known(b"56", 16));
        assert!(!known(b"2220", 16));
        assert!(!known(b"2721", 16));
        for len in 16..=19 {
            assert!(known(b"3528", len));
            assert!(known(b"3589", len));
        }
        assert!(!known(b"3527", 16));
        assert!(!known(b"3590", 16));
        assert!(!known(b"3528", 15));
        assert!(known(b"34", 15));
        assert!(known(b"37", 15));
        assert!(!known(b"34", 16));
        assert!(!known(b"37", 14));
        assert!(!known(b"35", 15));
    }

    #[test]
    fn rejects_unknown_and_malformed() {
        assert!(!bin_known(b"110101190001010006")); // 18 digits starting 11
        assert!(!known(b"11", 18));
        assert!(!known(b"620", 13)); // too short for UnionPay
        assert!(!known(b"620", 20)); // too long
        assert!(!bin_known(b""));
        assert!(!bin_known(b"62"));
        assert!(!bin_known(b"620000000000000X"));
        assert!(!bin_known(b"6200 00000000 0005"));
    }
}
