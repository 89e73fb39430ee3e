//! Times the line gate's word test, one call per line: Aho-Corasick
//! `is_match` against `WordFilter::may_contain` (SIMD and portable).
//!
//! ```text
//! cargo run --release --example wordfilter_timing -- [LINES.jsonl] [WORDS.txt]
//! ```
//!
//! `LINES.jsonl` defaults to `/tmp/plain20.jsonl` (e.g. the first 20 MB of
//! `gen_corpus` output); `WORDS.txt` (one word a line) to the built-in
//! rules' gate words as of this writing, `benches/gate-words.txt`.

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use leaksweep::detect::wordfilter::WordFilter;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().map_or("/tmp/plain20.jsonl", |s| s.as_str());
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: {e}; nothing to time");
            return;
        }
    };
    let words: Vec<String> = match args.get(1) {
        Some(p) => std::fs::read_to_string(p).expect("word list"),
        None => include_str!("../benches/gate-words.txt").to_string(),
    }
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let mb = data.len() as f64 / 1e6;
    println!(
        "{path}: {mb:.1} MB, {} lines, {} words",
        lines.len(),
        words.len()
    );

    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&words)
        .expect("automaton");
    let simd = WordFilter::new(&words);
    let portable = WordFilter::portable(&words);
    let mut answers: Vec<Vec<bool>> = Vec::new();
    let mut run = |name: &str, test: &dyn Fn(&[u8]) -> bool| {
        let mut best = Duration::MAX;
        let mut hits = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            hits = lines
                .iter()
                .map(|l| test(std::hint::black_box(l)))
                .collect();
            best = best.min(t.elapsed());
        }
        let n = hits.iter().filter(|&&h| h).count();
        println!(
            "{name:<28} {:>8.2} ms per {mb:.0} MB  {:>7.2} GB/s  true on {n} lines ({:.2}%)",
            best.as_secs_f64() * 1e3,
            data.len() as f64 / best.as_secs_f64() / 1e9,
            100.0 * n as f64 / lines.len() as f64
        );
        answers.push(hits);
    };
    run("aho-corasick is_match", &|l| ac.is_match(l));
    run(&format!("WordFilter {}", simd.strategy()), &|l| {
        simd.may_contain(l)
    });
    run(&format!("WordFilter {}", portable.strategy()), &|l| {
        portable.may_contain(l)
    });
    let same = answers.windows(2).all(|w| w[0] == w[1]);
    println!("answers identical line by line: {same}");
}
