//! The detector over arbitrary text, as plain text and through the string
//! redactor: never panics.
#![no_main]
use leaksweep::chunk::Chunk;
use leaksweep::detect::rules::RuleSet;
use leaksweep::detect::{Detector, Scratch};
use leaksweep::redact::FingerprintKey;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static RULES: OnceLock<RuleSet> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(|| RuleSet::builtin().unwrap());
    let key = FingerprintKey::builtin();
    let d = Detector::new(rules, &key);
    let mut scratch = Scratch::default();
    let chunk = Chunk {
        data: data.to_vec(),
        first_line: 1,
        first_column: 1,
        ..Chunk::default()
    };
    let mut out = Vec::new();
    d.detect(&chunk, &mut scratch, &mut out);
    let _ = d.redact_text(&String::from_utf8_lossy(data), &mut scratch);
});
