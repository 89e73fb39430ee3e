//! The container reader (zip, gzip, tar, tar.gz) over arbitrary bytes,
//! with small limits: never panics, never reads past its budget.
#![no_main]
use leaksweep::source::container::{self, Budget, ContainerInput, Event, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read};

fuzz_target!(|data: &[u8]| {
    let Some(kind) = container::sniff(data) else { return };
    let limits = Limits {
        max_total_bytes: 1 << 20,
        max_entries: 64,
        ..Limits::default()
    };
    let budget = Budget::default();
    let mut stream = Cursor::new(data.to_vec());
    let mut total = 0u64;
    let _ = container::for_each_entry(kind, ContainerInput::Stream(&mut stream), "x", &limits, &budget, &mut |ev| {
        if let Event::Entry(e) = ev {
            let mut buf = Vec::new();
            let _ = e.reader.take(4 << 20).read_to_end(&mut buf);
            total += buf.len() as u64;
        }
        Ok(())
    });
    assert!(total <= (1 << 20) + (64 << 10));
});
