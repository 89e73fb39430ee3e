//! The JSON-lines reader (walker, escapes, JSON inside strings) and the
//! detector over what it makes of arbitrary bytes: never panics, and every
//! field lies inside the chunk.
#![no_main]
use leaksweep::chunk::{Chunk, Pending};
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
    let mut chunk = Chunk {
        data: data.to_vec(),
        first_line: 1,
        first_column: 1,
        pending: Pending::JsonLines,
        ..Chunk::default()
    };
    leaksweep::source::prepare(&mut chunk);
    for f in &chunk.fields {
        assert!(f.start <= f.end && (f.end as usize) <= chunk.data.len());
    }
    let mut out = Vec::new();
    d.detect(&chunk, &mut Scratch::default(), &mut out);
});
