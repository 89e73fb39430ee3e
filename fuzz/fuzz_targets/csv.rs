//! The CSV decoder (delimiter sniffing, quoting, records of any length)
//! over arbitrary bytes, through the encoding sniffer: never panics.
#![no_main]
use leaksweep::source::{csv, encoding};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    let enc = encoding::sniff(data);
    let reader = encoding::decode(Cursor::new(data.to_vec()), enc);
    let mut last = 0u64;
    let _ = csv::read_csv(reader, None, &mut |cell| {
        assert!(cell.record >= last);
        last = cell.record;
        true
    });
});
