//! Named validators: small pure functions that decide whether a normalized
//! candidate is a real identifier, and how strongly. Rules refer to them
//! by name (`validator = "gb11643"` in `patterns/*.toml`), so the rule
//! files stay data and the checksums stay testable code. Each algorithm
//! lives in its own file with its unit tests; this file maps names to
//! adapters that turn a check into a [`Verdict`].

use crate::finding::Confidence;
use serde::{Deserialize, Serialize};

pub mod bankcard;
pub mod date;
pub mod gb11643;
pub mod gb32100;
pub mod gbt2260;
pub mod hkid;
pub mod landline;
pub mod luhn;
pub mod mobile;
pub mod region;
pub mod taiwan;

/// How much a passed check says on its own (spec §0 "Scoring").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Only the format matched: reported only with context (low).
    Format,
    /// A checksum or structural check passed: medium alone, high with
    /// context.
    Checked,
}

/// What a validator sees: the normalized value and, for token rules, the
/// lengths of the digit groups it was written in (`[3, 4, 4]` for
/// `138 0000 1234`).
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// Normalized value (ASCII digits and upper-case letters for tokens;
    /// the matched bytes for regex rules).
    pub value: &'a [u8],
    /// Group lengths, empty for regex rules.
    pub groups: &'a [usize],
}

/// A validator's positive answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// How strong the evidence is.
    pub strength: Strength,
    /// Highest confidence the finding may reach, whatever the context.
    pub cap: Option<Confidence>,
    /// Canonical value for fingerprint and mask, when it differs from the
    /// candidate (country code stripped, 15-digit ID upgraded…).
    pub normalized: Option<Vec<u8>>,
}

impl Verdict {
    fn checked() -> Option<Verdict> {
        Some(Verdict {
            strength: Strength::Checked,
            cap: None,
            normalized: None,
        })
    }
    fn format() -> Option<Verdict> {
        Some(Verdict {
            strength: Strength::Format,
            cap: None,
            normalized: None,
        })
    }
}

/// A validator: `None` means "not this kind of identifier".
pub type ValidatorFn = fn(&Candidate<'_>) -> Option<Verdict>;

/// Every validator name a rule may use.
pub const NAMES: &[&str] = &[
    "gb11643",
    "gb11643_15",
    "bank_card",
    "luhn",
    "cn_mobile",
    "cn_landline",
    "gb32100",
    "hkid",
    "taiwan_id",
    "email",
    "pem_body",
];

/// Finds a validator by name.
pub fn lookup(name: &str) -> Option<ValidatorFn> {
    Some(match name {
        "gb11643" => resident_id,
        "gb11643_15" => resident_id_15,
        "bank_card" => bank_card,
        "luhn" => |c| luhn::luhn_valid(c.value).then(Verdict::checked).flatten(),
        "cn_mobile" => cn_mobile,
        "cn_landline" => cn_landline,
        "gb32100" => |c| gb32100::validate(c.value).then(Verdict::checked).flatten(),
        "hkid" => |c| hkid::validate(c.value).then(Verdict::checked).flatten(),
        "taiwan_id" => |c| taiwan::validate(c.value).then(Verdict::checked).flatten(),
        "email" => email,
        "pem_body" => pem_body,
        _ => return None,
    })
}

/// A validator's [`Strength`] alone (`None`: not this kind of
/// identifier): what the line gate asks of a candidate, without building a
/// [`Verdict`] (no normalized copy to make and drop). Always
/// `validator(c).map(|v| v.strength)` for the validator of the same name.
pub type StrengthFn = fn(&Candidate<'_>) -> Option<Strength>;

/// Finds a validator's [`StrengthFn`] by name: every name [`lookup`]
/// takes.
pub fn lookup_strength(name: &str) -> Option<StrengthFn> {
    Some(match name {
        "gb11643" => |c| resident_id(c).map(|v| v.strength),
        "gb11643_15" => |c| gb11643::validate_15(c.value).then_some(Strength::Format),
        "bank_card" => |c| match bank_card_checks(c) {
            (true, true) => Some(Strength::Checked),
            (false, false) => None,
            _ => Some(Strength::Format),
        },
        "luhn" => |c| luhn::luhn_valid(c.value).then_some(Strength::Checked),
        "cn_mobile" => |c| mobile::strip_country_code(c.value).map(|_| Strength::Checked),
        "cn_landline" => |c| cn_landline(c).map(|v| v.strength),
        "gb32100" => |c| gb32100::validate(c.value).then_some(Strength::Checked),
        "hkid" => |c| hkid::validate(c.value).then_some(Strength::Checked),
        "taiwan_id" => |c| taiwan::validate(c.value).then_some(Strength::Checked),
        "email" => |c| email(c).map(|v| v.strength),
        "pem_body" => |c| pem_body(c).map(|v| v.strength),
        _ => return None,
    })
}

/// Today's date, read once per process: validators run per candidate and
/// a long scan crossing midnight loses nothing by it.
fn today() -> (i32, u32, u32) {
    static TODAY: std::sync::OnceLock<(i32, u32, u32)> = std::sync::OnceLock::new();
    *TODAY.get_or_init(date::today)
}

fn resident_id(c: &Candidate<'_>) -> Option<Verdict> {
    if !gb11643::validate_18_at(c.value, today()) {
        return None;
    }
    // Prefecture-level codes (xxxx00) are rarely a birthplace: spec §1
    // asks for lower confidence, so they need context.
    if gb11643::is_prefecture_level(c.value) {
        Verdict::format()
    } else {
        Verdict::checked()
    }
}

fn resident_id_15(c: &Candidate<'_>) -> Option<Verdict> {
    if !gb11643::validate_15(c.value) {
        return None;
    }
    // Fingerprint the 18-digit upgrade, so both forms of one number count
    // as one person.
    Some(Verdict {
        strength: Strength::Format,
        cap: None,
        normalized: gb11643::upgrade_15(c.value).map(|v| v.to_vec()),
    })
}

/// Whether a card number's issuer is known, and whether it passes Luhn.
#[inline(always)]
fn bank_card_checks(c: &Candidate<'_>) -> (bool, bool) {
    (bankcard::bin_known(c.value), luhn::luhn_valid(c.value))
}

fn bank_card(c: &Candidate<'_>) -> Option<Verdict> {
    match bank_card_checks(c) {
        (true, true) => Verdict::checked(),
        // Some domestic cards fail Luhn (spec §3): only with card context,
        // and never above low.
        (true, false) => Some(Verdict {
            strength: Strength::Format,
            cap: Some(Confidence::Low),
            normalized: None,
        }),
        // Unknown issuer: only with strong context.
        (false, true) => Verdict::format(),
        (false, false) => None,
    }
}

fn cn_mobile(c: &Candidate<'_>) -> Option<Verdict> {
    let national = mobile::strip_country_code(c.value)?;
    Some(Verdict {
        strength: Strength::Checked,
        cap: None,
        normalized: (national.len() != c.value.len()).then(|| national.to_vec()),
    })
}

fn cn_landline(c: &Candidate<'_>) -> Option<Verdict> {
    if !landline::validate(c.value) {
        return None;
    }
    // Written with its area code set apart (`010-…`, `(0755)…`) it is
    // clearly a phone number; as a bare digit string it needs context.
    let area = landline::area_code_len(c.value)?;
    if c.groups.len() >= 2 && c.groups[0] == area {
        Verdict::checked()
    } else {
        Verdict::format()
    }
}

fn email(c: &Candidate<'_>) -> Option<Verdict> {
    // Plain ASCII without `(` or `[` holds none of the spelled-out forms:
    // the value is its own normalized form, lower-cased (most emails; a
    // directory export holds one in every row).
    if c.value
        .iter()
        .all(|&b| b.is_ascii() && b != b'(' && b != b'[')
    {
        return (memchr::memchr_iter(b'@', c.value).count() == 1).then(|| Verdict {
            strength: Strength::Checked,
            cap: None,
            normalized: Some(c.value.to_ascii_lowercase()),
        });
    }
    email_spelled(c)
}

/// [`email`] for values that may spell their `@` out (`(at)`, `艾特`,
/// full-width forms).
fn email_spelled(c: &Candidate<'_>) -> Option<Verdict> {
    let s = String::from_utf8_lossy(c.value);
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    // Spelled-out and full-width `@` forms (spec §6).
    'outer: while !rest.is_empty() {
        for at in ["(at)", "[at]", "（at）", "艾特", "＠"] {
            if rest.len() >= at.len()
                && rest.is_char_boundary(at.len())
                && rest[..at.len()].eq_ignore_ascii_case(at)
            {
                out.push('@');
                rest = &rest[at.len()..];
                continue 'outer;
            }
        }
        let ch = rest.chars().next()?;
        out.push(ch.to_ascii_lowercase());
        rest = &rest[ch.len_utf8()..];
    }
    let obfuscated = out.len() != c.value.len();
    (out.matches('@').count() == 1).then_some(Verdict {
        strength: Strength::Checked,
        cap: None,
        normalized: obfuscated
            .then(|| out.into_bytes())
            .or_else(|| Some(c.value.to_ascii_lowercase())),
    })
}

fn pem_body(c: &Candidate<'_>) -> Option<Verdict> {
    let body: Vec<u8> = c
        .value
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    (body.len() >= 64).then_some(Verdict {
        strength: Strength::Checked,
        cap: None,
        normalized: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, value: &str, groups: &[usize]) -> Option<Verdict> {
        lookup(name).unwrap()(&Candidate {
            value: value.as_bytes(),
            groups,
        })
    }

    #[test]
    fn every_name_resolves() {
        for n in NAMES {
            assert!(lookup(n).is_some(), "{n}");
            assert!(lookup_strength(n).is_some(), "{n}");
        }
        assert!(lookup("nope").is_none());
        assert!(lookup_strength("nope").is_none());
    }

    /// Each [`StrengthFn`] says what its validator's verdict says, on
    /// candidates made to pass each check now and then: the prefixes the
    /// validators care about, every last character, several groupings.
    #[test]
    fn strengths_agree_with_verdicts() {
        const PREFIXES: &[&str] = &[
            "",
            "1",
            "138",
            "17400",
            "86138",
            "0086138",
            "62",
            "6228",
            "9558",
            "4",
            "51",
            "3528",
            "34",
            "010",
            "0755",
            "026",
            "11010119",
            "1101011900010100",
            "44190019",
            "110101000101",
            "92",
            "91",
            "9111",
            "A",
            "AB",
            "A123456",
            "C",
            "Y",
            "E",
            "F1",
            "A1",
            "ZHANG@EXAMPLE",
            "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ",
        ];
        const LAST: &[u8] = b"0123456789AXZ";
        let mut rng = crate::detect::TestRng(17);
        let mut some = vec![0usize; NAMES.len()];
        for _ in 0..20_000 {
            let mut v: Vec<u8> = PREFIXES[rng.below(PREFIXES.len())].bytes().collect();
            let len = v.len().max(2 + rng.below(20));
            while v.len() < len {
                v.push(b'0' + rng.below(10) as u8);
            }
            let split = rng.below(len);
            for &last in LAST {
                *v.last_mut().unwrap() = last;
                for groups in [
                    &[len][..],
                    &[split, len - split],
                    &[3, len.saturating_sub(3)],
                ] {
                    let c = Candidate { value: &v, groups };
                    for (k, name) in NAMES.iter().enumerate() {
                        let want = lookup(name).unwrap()(&c).map(|v| v.strength);
                        some[k] += usize::from(want.is_some());
                        assert_eq!(lookup_strength(name).unwrap()(&c), want, "{name} {v:?}");
                    }
                }
            }
        }
        // Every validator said yes to some candidate.
        assert!(some.iter().all(|&n| n > 0), "{some:?}");
    }

    #[test]
    fn adapters() {
        assert_eq!(
            run("gb11643", "110101190001010006", &[]).unwrap().strength,
            Strength::Checked
        );
        assert!(run("gb11643", "110101190001010007", &[]).is_none());
        let v = run("gb11643_15", "110101000101000", &[]).unwrap();
        assert_eq!(v.normalized.unwrap(), b"110101190001010006");
        assert_eq!(
            run("bank_card", "6200000000000005", &[]).unwrap().strength,
            Strength::Checked
        );
        let fail = run("bank_card", "6200000000000006", &[]).unwrap();
        assert_eq!(
            (fail.strength, fail.cap),
            (Strength::Format, Some(Confidence::Low))
        );
        let m = run("cn_mobile", "8613800001234", &[]).unwrap();
        assert_eq!(m.normalized.unwrap(), b"13800001234");
        assert_eq!(
            run("cn_landline", "01012345678", &[3, 8]).unwrap().strength,
            Strength::Checked
        );
        assert_eq!(
            run("cn_landline", "01012345678", &[11]).unwrap().strength,
            Strength::Format
        );
        let e = run("email", "Zhang.San艾特Example.com", &[]).unwrap();
        assert_eq!(e.normalized.unwrap(), b"zhang.san@example.com");
        assert!(run("email", "a@b@c.com", &[]).is_none());
    }

    #[test]
    fn email_plain_path_agrees_with_spelled_path() {
        let alphabet = [
            "a", "T", "@", ".", "(", ")", "[", "]", "(at)", "[AT]", "＠", "艾特", "x",
        ];
        let mut rng = crate::detect::TestRng(11);
        for _ in 0..20_000 {
            let value: String = (0..rng.below(12))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let c = Candidate {
                value: value.as_bytes(),
                groups: &[],
            };
            assert_eq!(email(&c), email_spelled(&c), "{}", value.len());
        }
    }
}
