//! Chunk borders: a large input is cut into chunks that workers scan in
//! parallel, and an identifier near a border — its context word in one
//! chunk and the value in the next, the border right before or after the
//! value, inside its context word, or inside a line longer than a chunk —
//! must be found exactly once, with the same report as when the input is
//! read whole.
//!
//! Each test writes a generated input (plain text, WeCom session-archive
//! JSON lines, a WeCom directory CSV export) with planted identifiers at
//! known places, scans it once in a single chunk (the reference) and then
//! with many chunk sizes at `-j 1` and `-j 2`, and checks that
//!
//! * every run reports exactly the reference's findings (rule, line,
//!   column, masked value, fingerprint, confidence, record…), no more, no
//!   fewer, and the same summary; runs of one chunk size at `-j 1` and
//!   `-j 2` print the same findings in the same order;
//! * every planted identifier is reported exactly once, at its place, with
//!   its fingerprint (computed by `leaksweep fingerprint`), and nothing else
//!   is reported;
//! * no planted raw value appears on stdout or stderr.
//!
//! The three format tests follow the project's speed issue ("a test shows
//! that identifiers straddling chunk borders are found exactly once"); the
//! focused tests at the end pin down single border cases: a context word
//! after the value cut by a border, a line with no safe cut for a whole
//! block, full-width digits, a JSON line longer than a chunk, and the order
//! of a table's findings.
//!
//! `--chunk-size` below 4096 is raised to 4096 (`src/app.rs`), so the sizes
//! swept are 4096 and up. A small model of the line reader's cutting rule
//! (`src/source/text.rs`: at the last line break of a block, else after the
//! last character that breaks every run) and of the table batcher
//! (`src/source/table.rs`) tells where the borders fall, so each test also
//! checks that its sweep really puts borders at the places it claims to
//! test; the model only steers the coverage check, never the verdict on
//! the binary's output.

use leaksweep::detect::validators::{gb11643, luhn};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_leaksweep");
/// Fingerprint key of every run.
const KEY: &str = "test";
/// A chunk size larger than any input here: the whole input is one chunk.
const WHOLE: usize = 64 << 20;
/// `--chunk-size` is raised to at least this (src/app.rs).
const MIN_CHUNK: usize = 4096;
/// How far back the line reader looks for a safe cut (src/source/text.rs).
const CUT_SEARCH: usize = 4096;
/// Most cells in one table chunk (src/source/table.rs).
const MAX_CELLS: usize = 16 * 1024;

/// Chunk sizes and job counts swept: each size at `-j 1` or `-j 2`, 4096 at
/// both. Sizes near the 4096 floor move the borders byte by byte; the
/// larger ones give other alignments.
const SWEEP: &[(usize, usize)] = &[
    (4096, 1),
    (4096, 2),
    (4097, 2),
    (4098, 1),
    (4099, 2),
    (4101, 2),
    (4103, 1),
    (4107, 2),
    (4111, 2),
    (4127, 1),
    (4133, 2),
    (4177, 2),
    (4253, 1),
    (4391, 2),
    (4567, 2),
    (4801, 1),
    (5113, 2),
    (5557, 2),
    (6143, 1),
    (7919, 2),
];

// ---------------------------------------------------------------------------
// Deterministic data
// ---------------------------------------------------------------------------

/// splitmix64: the same seed always gives the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn pick_str(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
}

/// Chat words. None holds a Chinese numeral, a full-width digit or letter,
/// a negative context word (单号, 订单号…) or a context word of a rule
/// planted here, so that filler can neither form nor label a number, and
/// every Chinese character in it ends a digit run (the cutting model
/// relies on it).
const WORDS: &[&str] = &[
    "今天",
    "开会",
    "好的",
    "收到",
    "谢谢",
    "明天下午",
    "项目进度",
    "会议室",
    "周报",
    "合同",
    "请确认",
    "已经发给你了",
    "辛苦",
    "稍等",
    "在吗",
    "客户",
    "方案",
    "审批",
    "报销",
    "晚点回复",
    "麻烦看看",
    "没问题",
];

/// Filler text of up to `max` words: Chinese words, sometimes joined by
/// punctuation or an ASCII word. Starts and ends with a Chinese word (or
/// is empty), so a value written right after it is never glued to ASCII.
fn filler(rng: &mut Rng, max: usize) -> String {
    let n = rng.below(max + 1);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push_str(rng.pick_str(&["", "", "，", "。", " ok ", "！"]));
        }
        s.push_str(rng.pick_str(WORDS));
    }
    s
}

/// County-level GB/T 2260 codes (and 110101).
const REGIONS: &[u32] = &[
    110101, 120225, 130630, 210224, 320115, 330726, 350122, 370630, 410825, 440126, 510281, 610526,
];

/// A resident ID number valid under GB 11643 (region, birth date, MOD 11-2
/// check character); distinct for distinct `n` below 56 000.
fn resident_id(n: u64) -> String {
    let region = REGIONS[(n as usize) % REGIONS.len()];
    // The sequence number and the year together tell `n` apart.
    let seq = n % 1000;
    let year = 1950 + (n % 56 + n / 1000) % 56;
    let month = 1 + (seq / 7) % 12;
    let day = 1 + (seq / 3) % 28;
    let body = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = gb11643::check_char(body.as_bytes()).expect("17 digits") as char;
    format!("{body}{check}")
}

/// Current mobile segments.
const MOBILE_PREFIXES: &[&str] = &["138", "139", "150", "186", "135", "177", "199", "166"];

/// A mobile number; distinct for distinct `n`.
fn mobile(n: u64) -> String {
    let prefix = MOBILE_PREFIXES[(n as usize) % MOBILE_PREFIXES.len()];
    format!("{prefix}{:08}", (n * 7919 + 1234) % 100_000_000)
}

/// A Luhn-valid 19-digit UnionPay card (BIN 622202); distinct for distinct `n`.
fn card(n: u64) -> String {
    let body = format!("622202{:012}", (n * 104_729 + 31_337) % 1_000_000_000_000);
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|c| luhn::luhn_valid(c.as_bytes()))
        .expect("one check digit makes it Luhn-valid")
}

/// A Beijing landline, as written (`010-6xxxxxxx`) and normalized.
fn landline(n: u64) -> (String, String) {
    let local = format!("6{:07}", (n * 7907 + 11) % 10_000_000);
    (format!("010-{local}"), format!("010{local}"))
}

/// Kinds planted, with their rule id and context word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Id,
    Mobile,
    Card,
    Landline,
    Email,
}

impl Kind {
    const TEXT: [Kind; 3] = [Kind::Id, Kind::Mobile, Kind::Card];

    fn rule(self) -> &'static str {
        match self {
            Kind::Id => "cn_resident_id",
            Kind::Mobile => "cn_mobile",
            Kind::Card => "bank_card",
            Kind::Landline => "cn_landline",
            Kind::Email => "email",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Id => "身份证号",
            Kind::Mobile => "手机",
            Kind::Card => "卡号",
            Kind::Landline => "座机",
            Kind::Email => "邮箱",
        }
    }

    /// The `n`-th value of this kind, as written (in one of a few forms,
    /// by `form`) and normalized.
    fn value(self, n: u64, form: usize) -> (String, String) {
        match self {
            Kind::Id => {
                let v = resident_id(n);
                (v.clone(), v)
            }
            Kind::Mobile => {
                let v = mobile(n);
                let written = match form % 4 {
                    0 | 1 => v.clone(),
                    2 => format!("{} {} {}", &v[..3], &v[3..7], &v[7..]),
                    _ => format!("{}-{}-{}", &v[..3], &v[3..7], &v[7..]),
                };
                (written, v)
            }
            Kind::Card => {
                let v = card(n);
                let written = if form % 3 == 2 {
                    let groups: Vec<&str> = (0..v.len())
                        .step_by(4)
                        .map(|i| &v[i..(i + 4).min(v.len())])
                        .collect();
                    groups.join(" ")
                } else {
                    v.clone()
                };
                (written, v)
            }
            Kind::Landline => landline(n),
            Kind::Email => {
                let v = format!("member.{n}@example.com");
                (v.clone(), v)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Planted values and where they are
// ---------------------------------------------------------------------------

/// Where a planted value must be reported.
#[derive(Clone, Debug)]
enum At {
    /// Plain text: the value's own line and column.
    Text { line: u64, column: u64 },
    /// A JSON line: its line and the message's msgid (`None` for a line
    /// that is not JSON).
    Message { line: u64, msgid: Option<String> },
    /// A table cell: its row (header = 1) and column letter.
    Cell { row: u64, column: &'static str },
}

#[derive(Clone, Debug)]
struct Plant {
    kind: Kind,
    /// As written in the input.
    written: String,
    /// Normalized (the digits alone; must not be printed either).
    value: String,
    at: At,
    /// Bytes of the input holding the written value (text), or its line
    /// (JSON lines).
    span: Option<(usize, usize)>,
    /// Bytes of the input holding its context word, if any.
    word: Option<(usize, usize)>,
    /// In a line longer than any chunk swept.
    long_line: bool,
    /// The reference must report it at high confidence.
    high: bool,
}

impl Plant {
    /// The plants of one archive message: `(kind, written, value)` each,
    /// at `line` (with the record's msgid, when it is JSON) and `span`.
    fn message(
        planted: Vec<(Kind, String, String)>,
        line: u64,
        msgid: Option<&str>,
        span: Option<(usize, usize)>,
    ) -> impl Iterator<Item = Plant> {
        let msgid = msgid.map(str::to_string);
        planted
            .into_iter()
            .map(move |(kind, written, value)| Plant {
                kind,
                written,
                value,
                at: At::Message {
                    line,
                    msgid: msgid.clone(),
                },
                span,
                word: None,
                long_line: false,
                high: true,
            })
    }

    fn describe(&self) -> String {
        format!("{} {:?}", self.kind.rule(), self.at)
    }

    /// Whether finding `f` is reported at this plant's place.
    fn placed(&self, f: &Value) -> bool {
        match &self.at {
            At::Text { line, column } => f["line"] == *line && f["column"] == *column,
            At::Message { line, msgid } => {
                f["line"] == *line
                    && f["record"]["msgid"].as_str() == msgid.as_deref()
                    && (msgid.is_some() || f["record"].get("field").is_none())
            }
            At::Cell { row, column } => {
                f["record"]["row"] == *row && f["record"]["column"] == *column
            }
        }
    }
}

/// A text being written, with the line and column (in characters) of its
/// end.
struct Doc {
    text: String,
    line: u64,
    column: u64,
    plants: Vec<Plant>,
}

impl Doc {
    fn new() -> Self {
        Doc {
            text: String::new(),
            line: 1,
            column: 1,
            plants: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.text.push_str(s);
    }

    /// Writes a context word; returns its byte span.
    fn word(&mut self, w: &str) -> (usize, usize) {
        let start = self.text.len();
        self.push(w);
        (start, self.text.len())
    }

    /// Writes the `n`-th value of `kind` and records it as planted.
    fn plant(&mut self, kind: Kind, n: u64, form: usize, word: Option<(usize, usize)>, long: bool) {
        let (written, value) = kind.value(n, form);
        let start = self.text.len();
        let at = At::Text {
            line: self.line,
            column: self.column,
        };
        self.push(&written);
        self.plants.push(Plant {
            kind,
            written,
            value,
            at,
            span: Some((start, self.text.len())),
            word,
            long_line: long,
            high: true,
        });
    }

    /// Writes a context word after the value just planted (`（手机）`).
    fn word_after(&mut self, kind: Kind) {
        self.push("（");
        let w = self.word(kind.word());
        self.push("）");
        self.plants.last_mut().unwrap().word = Some(w);
    }
}

// ---------------------------------------------------------------------------
// A model of where the readers cut, for the coverage checks only
// ---------------------------------------------------------------------------

/// Whether the character at `p` breaks every digit run, and its length, as
/// the line reader sees it: ASCII letters, digits and ` -./_()` do not;
/// other ASCII does; a non-ASCII character does (the inputs modelled hold
/// no full-width digit, numeral or separator) — and so does the lead byte
/// of a three-byte character cut short by the block's end, which counts as
/// a one-byte character.
fn breaks(buf: &[u8], p: usize) -> (bool, usize) {
    let b = buf[p];
    if b < 0x80 {
        return (!(b.is_ascii_alphanumeric() || b" -./_()".contains(&b)), 1);
    }
    let len = match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    if len == 3 && p + 3 > buf.len() {
        return (true, 1);
    }
    (true, len)
}

/// Where the line reader ends a block: after its last line break, else
/// after the last character that breaks every run (within CUT_SEARCH
/// bytes, and not the block's last character), else at a character
/// boundary.
fn model_cut(buf: &[u8]) -> usize {
    if let Some(nl) = buf.iter().rposition(|&b| b == b'\n') {
        return nl + 1;
    }
    let floor = buf.len().saturating_sub(CUT_SEARCH);
    let mut p = buf.len();
    while p > floor {
        p -= 1;
        if (buf[p] as i8) < -0x40 {
            continue;
        }
        let (brk, len) = breaks(buf, p);
        if brk && p + len < buf.len() {
            return p + len;
        }
    }
    let mut p = buf.len();
    while p > floor && p > 0 && (buf[p - 1] as i8) < -0x40 {
        p -= 1;
    }
    if p > 0 && buf[p - 1] >= 0xC0 {
        p -= 1;
    }
    if p == 0 { buf.len() } else { p }
}

/// Byte offsets where the line reader starts a new chunk.
fn model_line_borders(data: &[u8], chunk: usize) -> Vec<usize> {
    let chunk = chunk.max(MIN_CHUNK);
    let (mut start, mut out) = (0, Vec::new());
    while start + chunk <= data.len() {
        let cut = model_cut(&data[start..start + chunk]);
        start += cut;
        if start < data.len() {
            out.push(start);
        }
    }
    out
}

/// Counts of borders falling at the places a text test claims to cover,
/// per kind.
#[derive(Debug, Default)]
struct Coverage {
    /// Inside the context word written before the value.
    in_word_before: usize,
    /// Inside the context word written after the value (`（手机）`).
    in_word_after: usize,
    /// Within one character before the value.
    right_before: usize,
    /// Within one character after the value.
    right_after: usize,
    /// Between the context word and the value, on different lines.
    word_line_apart: usize,
    /// Inside the value itself (the reader avoids it when it can).
    in_value: usize,
}

fn text_coverage(doc: &Doc, runs: &[(usize, usize)]) -> BTreeMap<&'static str, Coverage> {
    let mut cov: BTreeMap<&'static str, Coverage> = BTreeMap::new();
    let data = doc.text.as_bytes();
    let sizes: BTreeSet<usize> = runs.iter().map(|r| r.0).collect();
    for size in sizes {
        for b in model_line_borders(data, size) {
            for p in &doc.plants {
                let c = cov.entry(p.kind.rule()).or_default();
                let Some((vs, ve)) = p.span else { continue };
                if vs < b && b < ve {
                    c.in_value += 1;
                }
                if vs.saturating_sub(3) <= b && b <= vs {
                    c.right_before += 1;
                }
                if ve <= b && b <= ve + 3 {
                    c.right_after += 1;
                }
                if let Some((ws, we)) = p.word {
                    if ws < b && b < we {
                        if we <= vs {
                            c.in_word_before += 1;
                        } else {
                            c.in_word_after += 1;
                        }
                    }
                    let (lo, hi) = if we <= vs { (we, vs) } else { (ve, ws) };
                    if lo <= b && b <= hi && data[lo..hi].contains(&b'\n') {
                        c.word_line_apart += 1;
                    }
                }
            }
        }
    }
    cov
}

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// One scan's parsed `--format jsonl` report.
struct Report {
    label: String,
    findings: Vec<Value>,
    summary: Value,
    stdout: String,
    stderr: String,
}

fn spawn_scan(dir: &Path, file: &str, chunk: usize, jobs: usize) -> Child {
    Command::new(BIN)
        .current_dir(dir)
        .args(["scan", file, "--format", "jsonl", "--fingerprint-key", KEY])
        .args(["--fail-on", "never", "--progress", "never", "--no-config"])
        .args(["--chunk-size", &chunk.to_string(), "-j", &jobs.to_string()])
        .env_remove("LEAKSWEEP_MIN_CONFIDENCE")
        .env_remove("LEAKSWEEP_CONFIG")
        .env_remove("LEAKSWEEP_FINGERPRINT_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run leaksweep")
}

fn collect(child: Child, label: String) -> Report {
    let out = child.wait_with_output().expect("wait for leaksweep");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{label}: {:?}\n{stderr}", out.status);
    let mut findings = Vec::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{label}: bad JSON line ({e}): {line}"));
        match v["type"].as_str() {
            Some("finding") => findings.push(v),
            Some("summary") => summary = v,
            other => panic!("{label}: unexpected line type {other:?}"),
        }
    }
    assert!(summary.is_object(), "{label}: no summary line");
    Report {
        label,
        findings,
        summary,
        stdout,
        stderr,
    }
}

/// Scans `file` (in `dir`) once per run, the processes running together.
fn scan_all(dir: &Path, file: &str, runs: &[(usize, usize)]) -> Vec<Report> {
    let children: Vec<(Child, String)> = runs
        .iter()
        .map(|&(chunk, jobs)| {
            (
                spawn_scan(dir, file, chunk, jobs),
                format!("{file} --chunk-size {chunk} -j {jobs}"),
            )
        })
        .collect();
    children
        .into_iter()
        .map(|(child, label)| collect(child, label))
        .collect()
}

/// The fingerprint of each plant, from `leaksweep fingerprint`.
fn fingerprints(plants: &[Plant]) -> Vec<String> {
    let mut out = vec![String::new(); plants.len()];
    let kinds: BTreeSet<&str> = plants.iter().map(|p| p.kind.rule()).collect();
    for kind in kinds {
        let idx: Vec<usize> = (0..plants.len())
            .filter(|&i| plants[i].kind.rule() == kind)
            .collect();
        let input: String = idx
            .iter()
            .map(|&i| format!("{}\n", plants[i].written))
            .collect();
        let mut child = Command::new(BIN)
            .args(["fingerprint", "--kind", kind, "--fingerprint-key", KEY])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run leaksweep fingerprint");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(input.as_bytes()).unwrap();
        });
        let done = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        let text = String::from_utf8(done.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), idx.len(), "fingerprint {kind}: {text}");
        for (&i, line) in idx.iter().zip(lines) {
            out[i] = line.rsplit('\t').next().unwrap().to_string();
        }
    }
    out
}

/// A finding in a few words, for failure messages.
fn brief(f: &Value) -> String {
    format!(
        "{} line {} col {} {} {}{}",
        f["rule"].as_str().unwrap_or("?"),
        f["line"],
        f["column"],
        f["masked"].as_str().unwrap_or("?"),
        f["confidence"].as_str().unwrap_or("?"),
        match f.get("record") {
            Some(r) if r.as_object().is_some_and(|o| !o.is_empty()) => format!(" {r}"),
            _ => String::new(),
        }
    )
}

/// The summary without what may vary from run to run: the time taken,
/// and the count of malformed JSON lines (a diagnostic that depends on
/// which lines the line gate has walked).
fn stable_summary(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("elapsed_ms");
        o.remove("malformed_json_lines");
    }
    s
}

/// What a sweep found wrong.
#[derive(Default)]
struct Problems {
    /// Findings lost, duplicated or changed, plants not reported exactly
    /// once, raw values printed, summaries that differ, output that
    /// depends on `-j`.
    content: Vec<String>,
    /// Runs whose findings are the reference's, but in another order.
    order: Vec<String>,
}

/// The multiset difference between two lists of findings, as "lost" and
/// "extra" descriptions.
fn difference(want: &[String], got: &[String]) -> (Vec<String>, Vec<String>) {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for s in want {
        *count.entry(s).or_default() += 1;
    }
    for s in got {
        *count.entry(s).or_default() -= 1;
    }
    let parse = |s: &str| brief(&serde_json::from_str(s).unwrap());
    let lost = count
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} (x{n})", parse(s)))
        .collect();
    let extra = count
        .iter()
        .filter(|(_, n)| **n < 0)
        .map(|(s, n)| format!("{} (x{})", parse(s), -n))
        .collect();
    (lost, extra)
}

/// Scans `file` (in `dir`) whole and then with every run of `runs`, and
/// checks each run against the reference and the plants.
fn check_borders(dir: &Path, file: &str, plants: &[Plant], runs: &[(usize, usize)]) -> Problems {
    let fps = fingerprints(plants);
    let mut problems = Problems::default();
    let content = &mut problems.content;
    let mut all_runs = vec![(WHOLE, 1)];
    all_runs.extend_from_slice(runs);
    let reports = scan_all(dir, file, &all_runs);
    let reference = &reports[0];

    // The reference reports each plant once, at its place, and nothing else.
    let planted: BTreeSet<&str> = fps.iter().map(String::as_str).collect();
    assert_eq!(
        planted.len(),
        plants.len(),
        "planted values are not distinct"
    );
    let mut by_fp: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for f in &reference.findings {
        let fp = f["fingerprint"].as_str().unwrap_or("");
        by_fp.entry(fp).or_default().push(f);
    }
    for (p, fp) in plants.iter().zip(&fps) {
        let hits = by_fp.get(fp.as_str()).cloned().unwrap_or_default();
        if hits.len() != 1 {
            content.push(format!(
                "{}: planted {} reported {} times: {:?}",
                reference.label,
                p.describe(),
                hits.len(),
                hits.iter().map(|f| brief(f)).collect::<Vec<_>>()
            ));
            continue;
        }
        let f = hits[0];
        if f["rule"] != p.kind.rule() || !p.placed(f) || (p.high && f["confidence"] != "high") {
            content.push(format!(
                "{}: planted {} reported as {}",
                reference.label,
                p.describe(),
                brief(f)
            ));
        }
    }
    for f in &reference.findings {
        if !planted.contains(f["fingerprint"].as_str().unwrap_or("")) {
            content.push(format!(
                "{}: reported a value that was not planted: {}",
                reference.label,
                brief(f)
            ));
        }
    }
    if reference.summary["findings"] != reference.findings.len() {
        content.push(format!(
            "{}: summary counts {} findings, {} reported",
            reference.label,
            reference.summary["findings"],
            reference.findings.len()
        ));
    }

    let canon = |fs: &[Value]| -> Vec<String> { fs.iter().map(|f| f.to_string()).collect() };
    let want = canon(&reference.findings);
    let want_summary = stable_summary(&reference.summary);
    let raws: Vec<&str> = plants
        .iter()
        .flat_map(|p| [p.written.as_str(), p.value.as_str()])
        .collect();
    let raw_finder = aho_corasick::AhoCorasick::new(&raws).unwrap();
    // The output of the first run of each chunk size, which the other job
    // counts must repeat byte for byte.
    let mut by_size: BTreeMap<usize, (&str, Vec<String>)> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        // (c) No raw value anywhere.
        for out in [&r.stdout, &r.stderr] {
            if let Some(m) = raw_finder.find(out.as_str()) {
                content.push(format!(
                    "{}: output holds the raw value {}",
                    r.label,
                    raws[m.pattern().as_usize()]
                ));
            }
        }
        if i == 0 {
            continue;
        }
        // (b) Each plant exactly once.
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &r.findings {
            *counts
                .entry(f["fingerprint"].as_str().unwrap_or(""))
                .or_default() += 1;
        }
        for (p, fp) in plants.iter().zip(&fps) {
            let n = counts.get(fp.as_str()).copied().unwrap_or(0);
            if n != 1 {
                content.push(format!(
                    "{}: planted {} reported {n} times",
                    r.label,
                    p.describe()
                ));
            }
        }
        // (a) Exactly the reference's findings.
        let got = canon(&r.findings);
        if got != want {
            let (lost, extra) = difference(&want, &got);
            if lost.is_empty() && extra.is_empty() {
                problems.order.push(format!(
                    "{}: the reference's findings, in another order",
                    r.label
                ));
            } else {
                content.push(format!(
                    "{}: {} findings (reference {}); lost or changed: {lost:?}; \
                     extra or changed: {extra:?}",
                    r.label,
                    got.len(),
                    want.len()
                ));
            }
        }
        if stable_summary(&r.summary) != want_summary {
            content.push(format!(
                "{}: summary differs: {} vs reference {}",
                r.label,
                stable_summary(&r.summary),
                want_summary
            ));
        }
        // The same chunks give the same output whatever -j is.
        match by_size.get(&all_runs[i].0) {
            Some((first, seen)) if *seen != got => {
                content.push(format!("{}: output differs from {first}", r.label))
            }
            Some(_) => {}
            None => {
                by_size.insert(all_runs[i].0, (&r.label, got));
            }
        }
    }
    problems
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------

/// Chat-log text: short lines with identifiers next to their context word
/// (before or after the value, on the same line or the line above), and
/// some lines several times longer than a chunk, in which identifiers and
/// context words are separated by Chinese text only.
fn text_corpus(seed: u64) -> Doc {
    let mut rng = Rng(seed);
    let mut doc = Doc::new();
    let mut n = 0u64;
    for block in 0..10 {
        // Short lines.
        for _ in 0..60 {
            for _ in 0..rng.below(3) {
                let f = filler(&mut rng, 12);
                doc.push(&f);
                doc.push("\n");
            }
            let kind = Kind::TEXT[(n % 3) as usize];
            let form = rng.below(12);
            let f = filler(&mut rng, 10);
            doc.push(&f);
            match rng.below(5) {
                0 => {
                    let w = doc.word(kind.word());
                    doc.push(rng.pick_str(&["：", "：", " ", ""]));
                    doc.plant(kind, n, form, Some(w), false);
                    doc.push(rng.pick_str(&["，", "。", "！"]));
                    let f = filler(&mut rng, 6);
                    doc.push(&f);
                }
                1 => {
                    // The label ends the line above; the value starts its line.
                    let w = doc.word(kind.word());
                    doc.push(rng.pick_str(&["：\n", "\n"]));
                    doc.plant(kind, n, form, Some(w), false);
                    doc.push(rng.pick_str(&[" ", "，", "。"]));
                    let f = filler(&mut rng, 6);
                    doc.push(&f);
                }
                2 => {
                    let w = doc.word(kind.word());
                    doc.push("：\n");
                    let f = filler(&mut rng, 3);
                    doc.push(&f);
                    doc.push(rng.pick_str(&["，", "是"]));
                    doc.plant(kind, n, form, Some(w), false);
                    doc.push("。");
                }
                3 => {
                    doc.push(rng.pick_str(&["", "，"]));
                    doc.plant(kind, n, form, None, false);
                    doc.word_after(kind);
                    let f = filler(&mut rng, 4);
                    doc.push(&f);
                }
                _ => {
                    // The value ends its line.
                    let w = doc.word(kind.word());
                    doc.push(" ");
                    doc.plant(kind, n, form, Some(w), false);
                }
            }
            doc.push("\n");
            n += 1;
        }
        // A line far longer than any chunk swept.
        let target = 9_000 + 2_500 * (block % 4);
        let start = doc.text.len();
        while doc.text.len() - start < target {
            let kind = Kind::TEXT[(n % 3) as usize];
            let form = rng.below(12);
            let f = filler(&mut rng, 5);
            doc.push(&f);
            if rng.below(5) == 0 {
                doc.push("，");
                doc.plant(kind, n, form, None, true);
                doc.word_after(kind);
            } else {
                let w = doc.word(kind.word());
                doc.push(rng.pick_str(&["", "：", " ", "是"]));
                doc.plant(kind, n, form, Some(w), true);
                doc.push(rng.pick_str(&["，", "。", "；", "好的", ""]));
            }
            n += 1;
        }
        doc.push("\n");
    }
    assert!(n < 56_000, "too many plants for distinct resident IDs");
    doc
}

#[test]
fn plain_text_identifiers_at_chunk_borders_are_found_exactly_once() {
    let doc = text_corpus(0x5eed_0001);
    // Every border category is hit, for each kind, by the sweep.
    let cov = text_coverage(&doc, SWEEP);
    let mut long_only = Doc::new();
    long_only.text = doc.text.clone();
    long_only.plants = doc.plants.iter().filter(|p| p.long_line).cloned().collect();
    let long_cov = text_coverage(&long_only, SWEEP);
    eprintln!("borders in long lines: {long_cov:?}\nall borders: {cov:?}");
    for kind in Kind::TEXT {
        let c = &long_cov[kind.rule()];
        let all = &cov[kind.rule()];
        assert!(
            c.in_word_before > 0
                && c.in_word_after > 0
                && c.right_before > 0
                && c.right_after > 0
                && all.word_line_apart > 0,
            "the sweep no longer puts chunk borders at every place this test covers for {}: \
             long lines {c:?}, all {all:?} (has the reader's cutting rule changed?)",
            kind.rule()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.txt"), &doc.text).unwrap();
    let problems = check_borders(dir.path(), "chat.txt", &doc.plants, SWEEP);
    assert_no_problems("plain text", &problems.content);
}

// ---------------------------------------------------------------------------
// JSON lines (WeCom session archive)
// ---------------------------------------------------------------------------

/// `s` as a JSON string; with `ascii`, every non-ASCII character is written
/// as `\uXXXX` (surrogate pairs above U+FFFF), as some archive dumpers do.
fn json_str(s: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One session-archive record as the finance SDK dumps it.
fn archive_line(i: u64, msgid: &str, msgtype: &str, payload: &str, room: bool) -> String {
    let time = 1_700_000_000_000 + i * 37_000;
    let (tolist, roomid) = if room {
        (
            format!("\"zhangwei\",\"lina\",\"wm{i:06}\""),
            format!("wr{:012}", i * 7),
        )
    } else {
        (format!("\"wo{i:08}\""), String::new())
    };
    format!(
        "{{\"msgid\":\"{msgid}\",\"action\":\"send\",\"from\":\"user{}\",\"tolist\":[{tolist}],\
         \"roomid\":\"{roomid}\",\"msgtime\":{time},\"msgtype\":\"{msgtype}\",\"{msgtype}\":{payload}}}",
        i % 17
    )
}

/// Session-archive lines: text messages (some fully `\uXXXX`-escaped),
/// messages with two identifiers, chatrecords whose items hold JSON inside
/// a string, file messages, and a few lines that are not JSON; every line
/// shorter than a chunk.
fn jsonl_corpus(seed: u64) -> (String, Vec<Plant>) {
    let mut rng = Rng(seed);
    let mut text = String::new();
    let mut plants = Vec::new();
    let mut n = 0u64;
    for i in 0..900u64 {
        let line = i + 1;
        let start = text.len();
        let msgid = if i % 5 == 0 {
            format!(
                "{:019}_{}_external",
                (i * 1_000_000_007) % 10_000_000_000_000_000_000,
                1_700_000_000_000 + i
            )
        } else {
            format!("CAQQ{:08}GOAGQkY1t_{i}=", i * 131)
        };
        let ascii = rng.below(6) == 0;
        let mut planted: Vec<(Kind, String, String)> = Vec::new();
        let mut plant = |rng: &mut Rng, kind: Kind| -> String {
            let (written, value) = kind.value(n, rng.below(12));
            n += 1;
            planted.push((kind, written.clone(), value));
            format!("{}{}{written}", kind.word(), rng.pick_str(&["", " ", "："]))
        };
        let record = match rng.below(10) {
            0..=2 => {
                // Chat without identifiers.
                let content = filler(&mut rng, 30);
                archive_line(
                    i,
                    &msgid,
                    "text",
                    &format!("{{\"content\":{}}}", json_str(&content, ascii)),
                    i % 3 == 0,
                )
            }
            3..=5 => {
                let kind = *rng.pick(&Kind::TEXT);
                let content = format!(
                    "{}{}{}{}",
                    filler(&mut rng, 20),
                    rng.pick_str(&["", "，", " "]),
                    plant(&mut rng, kind),
                    rng.pick_str(&["", "，谢谢", "。"]),
                );
                archive_line(
                    i,
                    &msgid,
                    "text",
                    &format!("{{\"content\":{}}}", json_str(&content, ascii)),
                    i % 2 == 0,
                )
            }
            6 => {
                let (a, b) = (*rng.pick(&Kind::TEXT), *rng.pick(&Kind::TEXT));
                let content = format!(
                    "{}，{}，{}",
                    plant(&mut rng, a),
                    filler(&mut rng, 4),
                    plant(&mut rng, b)
                );
                archive_line(
                    i,
                    &msgid,
                    "text",
                    &format!("{{\"content\":{}}}", json_str(&content, ascii)),
                    true,
                )
            }
            7 => {
                // A forwarded chat record: JSON inside a string.
                let items = 2 + rng.below(3);
                let special = rng.below(items);
                let mut parts = Vec::new();
                for k in 0..items {
                    let body = if k == special {
                        let kind = *rng.pick(&Kind::TEXT);
                        format!("{}{}", filler(&mut rng, 4), plant(&mut rng, kind))
                    } else {
                        filler(&mut rng, 8)
                    };
                    let inner = format!("{{\"content\":{}}}", json_str(&body, false));
                    parts.push(format!(
                        "{{\"type\":\"ChatRecordText\",\"msgtime\":{},\"content\":{},\"from_chatroom\":false}}",
                        1_699_990_000 + i * 10 + k as u64,
                        json_str(&inner, ascii)
                    ));
                }
                let payload = format!(
                    "{{\"title\":{},\"item\":[{}]}}",
                    json_str("群聊的聊天记录", ascii),
                    parts.join(",")
                );
                archive_line(i, &msgid, "chatrecord", &payload, i % 2 == 1)
            }
            8 => {
                let name = format!("{}.pdf", filler(&mut rng, 2));
                let payload = format!(
                    "{{\"md5sum\":\"{:032x}\",\"filename\":{},\"fileext\":\"pdf\",\"filesize\":{}}}",
                    u128::from(i) * 0x9E37_79B9_7F4A_7C15,
                    json_str(&name, ascii),
                    1000 + i * 37
                );
                archive_line(i, &msgid, "file", &payload, false)
            }
            _ => {
                if i % 4 == 0 && i > 0 {
                    // Not JSON (never the first line, which tells JSON
                    // lines from text): scanned as text.
                    let kind = *rng.pick(&Kind::TEXT);
                    let t = format!("备注 {}", plant(&mut rng, kind));
                    text.push_str(&t);
                    text.push('\n');
                    plants.extend(Plant::message(
                        planted,
                        line,
                        None,
                        Some((start, text.len())),
                    ));
                    continue;
                }
                let content = filler(&mut rng, 60);
                archive_line(
                    i,
                    &msgid,
                    "text",
                    &format!("{{\"content\":{}}}", json_str(&content, ascii)),
                    true,
                )
            }
        };
        text.push_str(&record);
        text.push('\n');
        plants.extend(Plant::message(
            planted,
            line,
            Some(&msgid),
            Some((start, text.len())),
        ));
    }
    assert!(n < 1000);
    (text, plants)
}

#[test]
fn session_archive_identifiers_at_chunk_borders_are_found_exactly_once() {
    let (text, plants) = jsonl_corpus(0x5eed_0002);
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(
        longest < MIN_CHUNK,
        "a line is longer than a chunk: {longest}"
    );
    // Planted lines open and close chunks in the sweep.
    let (mut opens, mut closes) = (0, 0);
    for &(size, _) in SWEEP {
        for b in model_line_borders(text.as_bytes(), size) {
            for p in &plants {
                let (s, e) = p.span.unwrap();
                opens += usize::from(b == s);
                closes += usize::from(b == e);
            }
        }
    }
    assert!(
        opens > 5 && closes > 5,
        "the sweep should start and end chunks on planted lines: {opens} {closes}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("archive.jsonl"), &text).unwrap();
    let problems = check_borders(dir.path(), "archive.jsonl", &plants, SWEEP);
    assert_no_problems("session archive", &problems.content);
}

// ---------------------------------------------------------------------------
// CSV directory export
// ---------------------------------------------------------------------------

/// A table cell's parsed value, and the index of the plant it holds.
type Cell = (String, Option<usize>);

const CSV_COLUMNS: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];

/// A WeCom console member export; returns the file, its plants and, in
/// order, every cell's parsed value with whether it holds a plant (for the
/// batching model).
fn csv_corpus(seed: u64) -> (String, Vec<Plant>, Vec<Cell>) {
    const NAMES: &[&str] = &[
        "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇",
    ];
    const TITLES: &[&str] = &["后端工程师", "产品经理", "会计", "销售代表", "行政专员"];
    const DEPTS: &[&str] = &["研发部", "财务部", "市场部", "人力资源部", "客服部"];
    const CITIES: &[&str] = &[
        "北京市海淀区",
        "上海市浦东新区",
        "深圳市南山区",
        "成都市武侯区",
    ];
    const ROADS: &[&str] = &["学院路", "科苑路", "人民路", "滨江大道"];
    let header = [
        "姓名",
        "帐号",
        "职务",
        "部门",
        "手机",
        "座机",
        "个人邮箱",
        "地址",
    ];
    let mut rng = Rng(seed);
    let mut text = header.join(",");
    text.push('\n');
    let mut cells: Vec<Cell> = header.iter().map(|h| (h.to_string(), None)).collect();
    let mut plants = Vec::new();
    let mut n = 0u64;
    for row in 2..1500u64 {
        let mut values: Vec<(String, Option<Plant>)> = Vec::new();
        let name = rng.pick(NAMES).to_string();
        values.push((name, None));
        values.push((format!("member{row}"), None));
        values.push((rng.pick(TITLES).to_string(), None));
        values.push((rng.pick(DEPTS).to_string(), None));
        let cell_plant =
            |rng: &mut Rng, kind: Kind, column: usize, n: &mut u64| -> (String, Option<Plant>) {
                let (written, value) = kind.value(*n, rng.below(12));
                *n += 1;
                let plant = Plant {
                    kind,
                    written: written.clone(),
                    value,
                    at: At::Cell {
                        row,
                        column: CSV_COLUMNS[column],
                    },
                    span: None,
                    word: None,
                    long_line: false,
                    high: true,
                };
                (written, Some(plant))
            };
        // 手机, 座机, 个人邮箱: planted, sometimes empty.
        for (column, kind) in [(4, Kind::Mobile), (5, Kind::Landline), (6, Kind::Email)] {
            if rng.below(4) == 0 {
                values.push((String::new(), None));
            } else {
                values.push(cell_plant(&mut rng, kind, column, &mut n));
            }
        }
        // 地址: an address, sometimes with an identifier and its label,
        // sometimes quoted over two lines.
        let mut address = format!("{}{}{}号", rng.pick(CITIES), rng.pick(ROADS), 1 + row % 99);
        let mut address_plant = None;
        if rng.below(6) == 0 {
            let kind = *rng.pick(&[Kind::Id, Kind::Mobile]);
            let (written, value) = kind.value(n, rng.below(12));
            n += 1;
            address.push_str(if rng.below(2) == 0 { "\n" } else { "，" });
            address.push_str(&format!("备用{} {written}", kind.word()));
            address_plant = Some(Plant {
                kind,
                written,
                value,
                at: At::Cell { row, column: "H" },
                span: None,
                word: None,
                long_line: false,
                high: true,
            });
        }
        values.push((address, address_plant));
        let written: Vec<String> = values
            .iter()
            .map(|(v, _)| {
                if v.contains(['\n', ',', '"']) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.clone()
                }
            })
            .collect();
        text.push_str(&written.join(","));
        text.push('\n');
        for (v, p) in values {
            let index = p.as_ref().map(|_| plants.len());
            if let Some(p) = p {
                plants.push(p);
            }
            cells.push((v, index));
        }
    }
    assert!(n < 100_000);
    (text, plants, cells)
}

/// Index of the first cell of each table chunk but the first, as the table
/// batcher cuts: cells too short to hold an identifier are left out, the
/// others appended with a line break between them, and the chunk is sent
/// once it reaches the chunk size.
fn model_table_borders(cells: &[Cell], chunk: usize) -> Vec<usize> {
    let chunk = chunk.max(MIN_CHUNK);
    let (mut len, mut fields, mut out) = (0usize, 0usize, Vec::new());
    for (i, (v, _)) in cells.iter().enumerate() {
        let v = v.trim();
        if v.len() < 6 && v.bytes().all(|b| b < 0x80 && b != b'@') {
            continue;
        }
        if fields > 0 && (len >= chunk || fields >= MAX_CELLS) {
            out.push(i);
            len = 0;
            fields = 0;
        }
        if len > 0 {
            len += 1;
        }
        len += v.len();
        fields += 1;
    }
    out
}

#[test]
fn directory_export_identifiers_at_chunk_borders_are_found_exactly_once() {
    let (text, plants, cells) = csv_corpus(0x5eed_0003);
    // Planted cells open chunks (their header is in the first chunk only).
    let mut opens = 0;
    for &(size, _) in SWEEP {
        for b in model_table_borders(&cells, size) {
            opens += usize::from(cells[b].1.is_some());
        }
    }
    assert!(
        opens > 5,
        "the sweep should start chunks on planted cells: {opens}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("directory.csv"), &text).unwrap();
    let problems = check_borders(dir.path(), "directory.csv", &plants, SWEEP);
    assert_no_problems("directory export", &problems.content);
}

// ---------------------------------------------------------------------------
// Focused cases
// ---------------------------------------------------------------------------

/// Small sweeps for the focused cases: every size from 4096 to 4107.
fn small_sweep() -> Vec<(usize, usize)> {
    (4096..4108).map(|s| (s, 1 + s % 2)).collect()
}

/// Full-width digits: `１３８…`.
fn full_width(digits: &str) -> String {
    digits
        .chars()
        .map(|c| char::from_u32(0xFF10 + (c as u32 - '0' as u32)).unwrap())
        .collect()
}

#[test]
fn a_context_word_after_a_value_is_kept_when_a_border_cuts_it() {
    // One long line of `…，13800001234（手机）…`: the reader cuts it after a
    // Chinese character, so some sizes cut inside the context word that
    // follows a value; the word still belongs to the value's context.
    let mut rng = Rng(0x5eed_0004);
    let mut doc = Doc::new();
    doc.push("聊天记录\n");
    for n in 0..700u64 {
        let f = filler(&mut rng, 3);
        doc.push(&f);
        doc.push("，");
        let kind = Kind::TEXT[(n % 3) as usize];
        doc.plant(kind, n, 0, None, true);
        doc.word_after(kind);
    }
    doc.push("\n好的\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("after.txt"), &doc.text).unwrap();
    let problems = check_borders(dir.path(), "after.txt", &doc.plants, &small_sweep());
    assert_no_problems("context word after the value", &problems.content);
}

#[test]
fn numbers_in_a_line_with_no_break_for_a_whole_block_are_found_exactly_once() {
    // A list of mobiles separated by spaces only: no character in it ends a
    // digit run, so the reader finds no safe cut within a block of it.
    let mut doc = Doc::new();
    doc.push("群发名单\n手机 ");
    for n in 0..1000u64 {
        if n > 0 {
            doc.push(" ");
        }
        doc.plant(Kind::Mobile, n, 0, None, true);
        // Only the first few are close enough to 手机 to be high.
        doc.plants.last_mut().unwrap().high = false;
    }
    doc.push("\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), &doc.text).unwrap();
    let runs = [(4096, 1), (4096, 2), (5000, 2), (6007, 1)];
    let problems = check_borders(dir.path(), "list.txt", &doc.plants, &runs);
    assert_no_problems("space-separated numbers", &problems.content);
}

#[test]
fn full_width_numbers_in_long_lines_are_found_exactly_once() {
    // Full-width digits are three bytes each; a block may end inside one.
    let mut rng = Rng(0x5eed_0005);
    let mut doc = Doc::new();
    for n in 0..600u64 {
        let f = filler(&mut rng, 2);
        doc.push(&f);
        let w = doc.word("手机");
        let value = mobile(n);
        let written = full_width(&value);
        let start = doc.text.len();
        let at = At::Text {
            line: doc.line,
            column: doc.column,
        };
        doc.push(&written);
        doc.plants.push(Plant {
            kind: Kind::Mobile,
            written,
            value,
            at,
            span: Some((start, doc.text.len())),
            word: Some(w),
            long_line: true,
            high: true,
        });
        doc.push("，");
    }
    doc.push("\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fullwidth.txt"), &doc.text).unwrap();
    let problems = check_borders(dir.path(), "fullwidth.txt", &doc.plants, &small_sweep());
    assert_no_problems("full-width digits", &problems.content);
}

#[test]
fn a_json_line_longer_than_a_chunk_is_reported_as_when_read_whole() {
    // A forwarded chat record of many items: one JSON line of ~12 KB, with
    // identifiers in items written plainly, with `\uXXXX`-escaped context,
    // and in escaped full-width digits. Short records around it.
    let mut rng = Rng(0x5eed_0006);
    let mut text = String::new();
    let mut plants = Vec::new();
    let mut n = 0u64;
    for i in 0..12u64 {
        let line = i + 1;
        let msgid = format!("CAQQ{i:08}LongLine=");
        let mut planted = Vec::new();
        let record = if i % 4 == 2 {
            let mut items = Vec::new();
            for k in 0..60u64 {
                let ascii = k % 3 == 1;
                let body = if k % 5 == 3 {
                    let kind = Kind::TEXT[(n % 3) as usize];
                    let (mut written, value) = kind.value(n, 0);
                    if k % 15 == 8 && kind == Kind::Mobile {
                        written = full_width(&value);
                    }
                    n += 1;
                    let body = format!("{}{}{written}", filler(&mut rng, 6), kind.word());
                    planted.push((kind, written, value));
                    body
                } else {
                    filler(&mut rng, 12)
                };
                let inner = format!("{{\"content\":{}}}", json_str(&body, false));
                items.push(format!(
                    "{{\"type\":\"ChatRecordText\",\"msgtime\":{},\"content\":{},\"from_chatroom\":false}}",
                    1_699_990_000 + k,
                    json_str(&inner, ascii)
                ));
            }
            let payload = format!(
                "{{\"title\":{},\"item\":[{}]}}",
                json_str("群聊的聊天记录", false),
                items.join(",")
            );
            archive_line(i, &msgid, "chatrecord", &payload, true)
        } else {
            let kind = Kind::TEXT[(n % 3) as usize];
            let (written, value) = kind.value(n, 0);
            n += 1;
            let content = format!("{}{} {written}", filler(&mut rng, 10), kind.word());
            planted.push((kind, written, value));
            let payload = format!("{{\"content\":{}}}", json_str(&content, i % 2 == 1));
            archive_line(i, &msgid, "text", &payload, false)
        };
        text.push_str(&record);
        text.push('\n');
        plants.extend(Plant::message(planted, line, Some(&msgid), None));
    }
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(longest > 2 * MIN_CHUNK, "{longest}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.jsonl"), &text).unwrap();
    let runs = [(4096, 1), (4096, 2), (5000, 2), (6007, 1)];
    let problems = check_borders(dir.path(), "long.jsonl", &plants, &runs);
    assert_no_problems("JSON line longer than a chunk", &problems.content);
}

#[test]
fn findings_come_out_in_the_same_order_whatever_the_chunk_size() {
    // A table's findings all sit at their row's line, column 1; a row split
    // between two chunks must still be reported in the same order.
    let (text, plants, _) = csv_corpus(0x5eed_0003);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("directory.csv"), &text).unwrap();
    let runs = [(4096, 1), (5113, 2), (7919, 1)];
    let problems = check_borders(dir.path(), "directory.csv", &plants, &runs);
    assert_no_problems("directory export", &problems.content);
    assert_no_problems("order of findings", &problems.order);
}
