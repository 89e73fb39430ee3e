//! Masking conventions (spec §8). Masks are computed from the normalized
//! value, never from the bytes as written, so `１３８ ０００ ０１２３４` and
//! `13800001234` mask alike and no separator or full-width form can smuggle
//! extra characters into a report.

use serde::{Deserialize, Serialize};

/// Which convention a rule's values are masked with; set per rule in
/// `patterns/*.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskStyle {
    /// `138****1234`: keep 3 + 4 (Alibaba Java manual, hutool).
    Mobile,
    /// `110101********0006`: keep 6 + 4, hiding the birth date.
    ResidentId,
    /// `6222 **** **** 0005`: keep 4 + 4, grouped by four.
    Card,
    /// `6225****5678` for long account numbers, `****5678` for short ones.
    Account,
    /// `0755*****78`: keep the area code + 2.
    Landline,
    /// `d***@qq.com`: keep the first character and the domain.
    Email,
    /// `E1****678`: documents (passports, permits, HKID…): keep 2 + 3.
    Document,
    /// `Ab3x********`: secrets show four characters and never their length.
    Secret,
    /// `转**`: a term of a word-list rule shows its first character only,
    /// and never its length (the term list is the user's own; the rule id
    /// and the fingerprint tell which term it was).
    Term,
}

/// Masks a normalized value following its convention; whatever the value's
/// length, at least half of it (and of a secret, all but four characters)
/// is hidden, except where a published convention keeps more (mobile 3 + 4
/// of 11, ID 6 + 4 of 18).
pub fn mask(style: MaskStyle, value: &str) -> String {
    let mut out = String::new();
    mask_into(style, value, &mut out);
    out
}

/// [`mask`], appended to `out`: the detector writes each finding's mask
/// into a string it reuses.
pub fn mask_into(style: MaskStyle, value: &str, out: &mut String) {
    let n = value.chars().count();
    let mut keep = |head: usize, tail: usize| keep(value, n, head, tail, out);
    match style {
        MaskStyle::Mobile if n == 11 => keep(3, 4),
        MaskStyle::ResidentId => keep(6, 4),
        MaskStyle::Card => {
            let mut kept = String::new();
            self::keep(value, n, 4, 4, &mut kept);
            group_by_four(&kept, out);
        }
        MaskStyle::Account if n >= 12 => keep(4, 4),
        MaskStyle::Account => keep(0, 4),
        MaskStyle::Landline => {
            let area = if value.starts_with("01") || value.starts_with("02") {
                3
            } else {
                4
            };
            keep(area, 2)
        }
        MaskStyle::Email => match value.rsplit_once('@') {
            Some((local, domain)) => {
                out.extend(local.chars().take(1));
                out.push_str("***@");
                out.push_str(domain);
            }
            None => keep(1, 0),
        },
        MaskStyle::Document if n >= 10 => keep(2, 3),
        MaskStyle::Document => keep(2, 2),
        MaskStyle::Secret => {
            out.extend(value.chars().take(4.min(n / 4)));
            out.push_str("********");
        }
        MaskStyle::Term => {
            out.extend(value.chars().take(usize::from(n > 1)));
            out.push_str("**");
        }
        MaskStyle::Mobile => keep(3, 4),
    }
}

/// Appends `value` (`n` characters) with all but its first `head` and last
/// `tail` characters starred; short values (user rules, odd lengths) keep
/// less than the convention asks, so that at least a third (at least four)
/// of a long value and half of a short one are hidden.
///
/// Characters are found by byte offset, not collected into a `Vec<char>`:
/// a table holding an identifier in every row masks tens of thousands of
/// values per megabyte.
///
/// A value of as many bytes as characters is ASCII (every other character
/// takes two bytes or more): its characters are its bytes, and the stars
/// go in by pieces of a string of stars. Nearly every value is such (the
/// digits of a phone, ID or card number), and the search by characters
/// and the pushes of one star at a time were most of a finding's mask.
fn keep(value: &str, n: usize, head: usize, tail: usize, out: &mut String) {
    let (head, tail) = shown(n, head, tail);
    let stars = n - head - tail;
    if value.len() == n {
        out.reserve(n);
        out.push_str(&value[..head]);
        push_stars(stars, out);
        out.push_str(&value[n - tail..]);
        return;
    }
    let head_end = value
        .char_indices()
        .nth(head)
        .map_or(value.len(), |(i, _)| i);
    let tail_start = match tail.checked_sub(1) {
        Some(t) => value.char_indices().nth_back(t).map_or(0, |(i, _)| i),
        None => value.len(),
    };
    out.reserve(head_end + stars + value.len() - tail_start);
    out.push_str(&value[..head_end]);
    out.extend(std::iter::repeat_n('*', stars));
    out.push_str(&value[tail_start..]);
}

/// Appends `n` stars (`*`).
fn push_stars(mut n: usize, out: &mut String) {
    const STARS: &str = "********************************";
    while n > 0 {
        let piece = n.min(STARS.len());
        out.push_str(&STARS[..piece]);
        n -= piece;
    }
}

/// How many of a value's `n` characters stay visible at its head and
/// tail: at most `head` and `tail`, fewer when that would hide less than a
/// third (at least four) of a long value or half of a short one.
fn shown(n: usize, head: usize, tail: usize) -> (usize, usize) {
    let hidden = if n >= 11 {
        4.max(n.div_ceil(3))
    } else {
        n.div_ceil(2)
    };
    let (mut head, mut tail) = (head, tail);
    while head + tail + hidden > n && head + tail > 0 {
        if tail >= head && tail > 0 {
            tail -= 1;
        } else {
            head -= 1;
        }
    }
    (head, tail)
}

/// Appends `masked` with a space after every four characters (a card
/// number).
fn group_by_four(masked: &str, out: &mut String) {
    out.reserve(masked.len() + masked.len() / 4);
    for (i, c) in masked.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_conventions() {
        assert_eq!(mask(MaskStyle::Mobile, "13800001234"), "138****1234");
        assert_eq!(
            mask(MaskStyle::ResidentId, "110101190001010006"),
            "110101********0006"
        );
        assert_eq!(
            mask(MaskStyle::Card, "6222000000000005"),
            "6222 **** **** 0005"
        );
        assert_eq!(
            mask(MaskStyle::Card, "6220000000000000016"),
            "6220 **** **** ***0 016"
        );
        assert_eq!(mask(MaskStyle::Landline, "075587654321"), "0755******21");
        assert_eq!(mask(MaskStyle::Landline, "01012345678"), "010******78");
        assert_eq!(mask(MaskStyle::Email, "d.zhang@qq.com"), "d***@qq.com");
        assert_eq!(mask(MaskStyle::Document, "E12345678"), "E1*****78");
        assert_eq!(mask(MaskStyle::Term, "代开发票"), "代**");
        assert_eq!(mask(MaskStyle::Term, "x"), "**");
        assert_eq!(
            mask(MaskStyle::Document, "911101010000000002"),
            "91*************002"
        );
        assert_eq!(mask(MaskStyle::Account, "1234567890123"), "1234*****0123");
        assert_eq!(mask(MaskStyle::Account, "12345678"), "****5678");
    }

    #[test]
    fn always_hides_a_good_share() {
        for style in [
            MaskStyle::Mobile,
            MaskStyle::ResidentId,
            MaskStyle::Card,
            MaskStyle::Account,
            MaskStyle::Landline,
            MaskStyle::Document,
        ] {
            for len in 1..40 {
                let value: String = (0..len).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
                let m = mask(style, &value);
                let hidden = m.chars().filter(|&c| c == '*').count();
                assert!(hidden * 3 >= len, "{style:?} {len}: {m}");
                assert!(hidden >= len.min(4) || len < 8, "{style:?} {len}: {m}");
            }
        }
    }

    /// [`keep`] and [`group_by_four`] as they were written before, on
    /// characters collected into a `Vec` (the shares shown are [`shown`]'s
    /// either way): the references the byte-offset versions must agree
    /// with.
    fn keep_by_chars(value: &str, head: usize, tail: usize) -> String {
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len();
        let (head, tail) = shown(n, head, tail);
        let mut s: String = chars[..head].iter().collect();
        s.extend(std::iter::repeat_n('*', n - head - tail));
        s.extend(&chars[n - tail..]);
        s
    }

    fn group_by_chars(masked: &str) -> String {
        let c: Vec<char> = masked.chars().collect();
        c.chunks(4)
            .map(|g| g.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn agrees_with_masking_by_chars() {
        let alphabet = ["1", "0", "2", "x", "@", ".", "１", "三", "😀", "é"];
        let mut rng = crate::detect::TestRng(7);
        for i in 0..8000 {
            // Every other value ASCII only (the fast path), up to past the
            // pieces of stars.
            let (len, letters) = match i % 2 {
                0 => (rng.below(40), alphabet.len()),
                _ => (rng.below(100), 6),
            };
            let value: String = (0..len).map(|_| alphabet[rng.below(letters)]).collect();
            let n = value.chars().count();
            for head in 0..8 {
                for tail in 0..8 {
                    // Appended after what the string already holds.
                    let mut kept = String::from("x");
                    keep(&value, n, head, tail, &mut kept);
                    assert_eq!(
                        kept[1..],
                        keep_by_chars(&value, head, tail),
                        "{len} {head} {tail}"
                    );
                    let mut grouped = String::from("y");
                    group_by_four(&kept[1..], &mut grouped);
                    assert_eq!(grouped[1..], group_by_chars(&kept[1..]), "{len}");
                }
            }
        }
    }

    #[test]
    fn secret_hides_length() {
        for len in 1..80 {
            let m = mask(MaskStyle::Secret, &"s".repeat(len));
            assert!(m.chars().filter(|&c| c == 's').count() <= 4.min(len / 4));
            assert!(m.ends_with("********"));
        }
        assert_eq!(
            mask(
                MaskStyle::Secret,
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
            ),
            "abcd********"
        );
    }
}
