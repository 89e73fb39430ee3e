//! Property tests: a mobile number planted at a random place in random
//! Chinese and ASCII text, written with random separators or in full-width
//! digits, read in chunks of random size (so it often straddles a chunk
//! border), is always found exactly once, at its line and column, and its
//! raw digits never appear in what the detector hands out.

use leaksweep::chunk::Chunk;
use leaksweep::detect::rules::RuleSet;
use leaksweep::detect::{Detector, Scratch};
use leaksweep::finding::Finding;
use leaksweep::redact::FingerprintKey;
use leaksweep::source::text::read_lines;
use proptest::prelude::*;
use std::io::Cursor;
use std::sync::Arc;

/// Filler that can neither form nor join a digit run.
const FILLER: &[&str] = &[
    "今天",
    "开会",
    "，",
    "。",
    "好的",
    "请",
    "明天下午",
    "收到",
    " ",
    "项目进度",
    "谢谢",
    "ok ",
    "meeting ",
    "！",
    "（备注）",
    "\u{3000}",
];
/// Segments the mobile validator accepts.
const PREFIXES: &[&str] = &[
    "138", "139", "150", "186", "135", "137", "158", "177", "199",
];

fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FILLER), 0..40).prop_map(|v| v.concat())
}

/// The mobile as written, and its 11 digits.
fn mobile() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(PREFIXES),
        prop::collection::vec(0u8..10, 8),
        0usize..4,
    )
        .prop_map(|(p, rest, form)| {
            let digits: String = p
                .chars()
                .chain(rest.iter().map(|d| char::from(b'0' + d)))
                .collect();
            let written = match form {
                0 => digits.clone(),
                1 => format!("{} {} {}", &digits[..3], &digits[3..7], &digits[7..]),
                2 => format!("{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]),
                _ => digits
                    .chars()
                    .map(|c| char::from_u32(0xFF10 + (c as u32 - '0' as u32)).unwrap())
                    .collect(),
            };
            (written, digits)
        })
}

fn scan_text(text: &str, chunk_size: usize) -> Vec<Finding> {
    let rules = RuleSet::builtin().unwrap();
    let key = FingerprintKey::builtin();
    let detector = Detector::new(&rules, &key);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let path: Arc<str> = Arc::from("prop.txt");
    let mut chunks: Vec<Chunk> = Vec::new();
    read_lines(
        &mut Cursor::new(text.as_bytes().to_vec()),
        &path,
        chunk_size,
        false,
        &mut |c| {
            chunks.push(c);
            true
        },
    )
    .unwrap();
    for c in &chunks {
        detector.detect(c, &mut scratch, &mut out);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn a_planted_mobile_is_found_once_at_its_place(
        lines_before in prop::collection::vec(filler(), 0..300),
        before in filler(),
        after in filler(),
        (written, digits) in mobile(),
        chunk_size in 4096usize..9000,
    ) {
        let mut text = String::new();
        for l in &lines_before {
            text.push_str(l);
            text.push('\n');
        }
        let prefix = format!("{before}手机：");
        text.push_str(&prefix);
        text.push_str(&written);
        text.push(' ');
        text.push_str(&after);
        text.push('\n');
        let found = scan_text(&text, chunk_size);
        let mobiles: Vec<&Finding> = found.iter().filter(|f| &*f.kind == "cn_mobile").collect();
        prop_assert_eq!(mobiles.len(), 1, "{:?}", found);
        let f = mobiles[0];
        prop_assert_eq!(f.line, lines_before.len() as u64 + 1);
        prop_assert_eq!(f.column, prefix.chars().count() as u64 + 1);
        prop_assert_eq!(f.masked.clone(), format!("{}****{}", &digits[..3], &digits[7..]));
        for text in [&f.masked, &f.fingerprint, &*f.path] {
            prop_assert!(!text.contains(digits.as_str()));
        }
    }
}
