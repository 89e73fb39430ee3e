//! The run tokenizer and normalizer over arbitrary bytes: never panics, and
//! every run it hands out lies inside the input.
#![no_main]
use leaksweep::detect::tokenizer::{Run, for_each_run_at};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut run = Run::default();
    for_each_run_at(data, 0..data.len(), 1, None, &mut run, |r| {
        for (&s, &e) in r.starts.iter().zip(&r.ends) {
            assert!(s <= e && (e as usize) <= data.len());
        }
    });
    // `classify` takes the index of a byte of `data` (its documented
    // precondition): probe every position.
    for i in 0..data.len() {
        let (_, len) = leaksweep::detect::normalize::classify(data, i);
        assert!(len >= 1);
    }
});
