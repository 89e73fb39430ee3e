//! Criterion micro-benchmarks of leaksweep's hot paths.
//!
//! Every input is synthetic and deterministic (a fixed-seed generator, no
//! files): a ~4 MiB WeCom session-archive-like buffer of JSON lines with
//! Chinese chat text (about half the bytes Chinese, a sixth digits, some
//! identifiers and many look-alikes), its ASCII-escaped (`\uXXXX`) form,
//! and a pure-ASCII digits-heavy log buffer. The composition of each buffer
//! is printed to stderr once, so the figures can be read against it.
//!
//! Groups: `blocks` (candidate masks), `tokenizer`, `normalize`,
//! `validators`, `json` (escape decoding, walking), `keywords` and
//! `context` (automata), `detect`, and `gate` (the line gate alone, and a
//! worker's whole job on one chunk with and without it).
//!
//! Run with `cargo bench --bench hot_paths` (under two minutes on two
//! cores); `cargo bench --bench hot_paths -- --test` runs each benchmark
//! once. Measurement times are kept short, so treat the numbers as
//! indicative.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};

use leaksweep::chunk::{Chunk, Pending};
use leaksweep::detect::blocks::Candidates;
use leaksweep::detect::normalize::{Class, classify};
use leaksweep::detect::rules::RuleSet;
use leaksweep::detect::tokenizer::{Run, for_each_run};
use leaksweep::detect::validators::{Candidate, bankcard, gb11643, gb32100, lookup, luhn, mobile};
use leaksweep::detect::wordfilter::WordFilter;
use leaksweep::detect::{Detector, Scratch};
use leaksweep::redact::fingerprint::FingerprintKey;
use leaksweep::source::json::{Origin, decode_escapes, walk_or_text};
use leaksweep::source::prepare;

/// Size the large buffers are grown to.
const TARGET_BYTES: usize = 4 << 20;

// ---------------------------------------------------------------------------
// Deterministic input generation
// ---------------------------------------------------------------------------

/// SplitMix64: tiny, fast and good enough to vary synthetic text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    fn digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push((b'0' + self.below(10) as u8) as char);
        }
    }

    fn alnum(&mut self, out: &mut String, n: usize) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for _ in 0..n {
            out.push(A[self.below(A.len())] as char);
        }
    }
}

/// Chat phrases without digits: the bulk of the Chinese text.
const PHRASES: &[&str] = &[
    "大家好，本周五下午在三楼会议室开季度复盘会。",
    "合同我看过了，没问题就走盖章流程吧。",
    "收到，我这边马上安排。",
    "麻烦把入职材料发一下，谢谢！",
    "客户那边说下周再确认一次方案，",
    "今天系统有点慢，大家注意保存数据。",
    "好的，稍后我把报价单发到群里。",
    "请各位同事按时提交周报，",
    "这个需求的优先级需要再讨论一下。",
    "已经和供应商沟通过了，对方同意延期。",
    "财务说发票已经开好了，",
    "午饭后一起过一下设计稿？",
    "我在路上，大概半小时到公司。",
    "辛苦了，明天见！",
    "这批货物明天上午发出，",
    "请注意核对收货地址和联系人信息。",
    "会议纪要已经上传到共享文件夹。",
    "项目进度比预期快，继续保持。",
];

/// Context-bearing lead-ins placed before identifiers and numbers.
const MOBILE_LEADS: &[&str] = &[
    "我的手机：",
    "手机 ",
    "电话",
    "联系方式：",
    "有事打",
    "微信同号 ",
];
const ID_LEADS: &[&str] = &["身份证号：", "身份证号", "证件号码 ", "ID card: "];
const ORDER_LEADS: &[&str] = &["订单号：", "订单编号 ", "快递单号", "流水号：", "交易号 "];
const TS_LEADS: &[&str] = &["时间戳 ", "timestamp=", "更新时间："];
const CARD_LEADS: &[&str] = &["工资卡卡号 ", "卡号：", "银行卡 "];

const USERS: &[&str] = &[
    "zhangsan", "lisi", "wangfang", "HuangLi", "ZhouMin", "ChenGang", "liuyang", "zhaolei",
];

/// An 11-digit mobile number in an allocated segment.
fn push_mobile(rng: &mut Rng, out: &mut String) {
    let seg = rng.pick(&["138", "139", "135", "150", "186", "177", "199", "131"]);
    out.push_str(seg);
    rng.digits(out, 8);
}

/// Appends the Luhn check digit to `body` (ASCII digits).
fn luhn_complete(body: &str) -> String {
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
    }
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

/// A Luhn-valid card number of `len` digits starting with `prefix`.
fn card(rng: &mut Rng, prefix: &str, len: usize) -> String {
    let mut body = prefix.to_string();
    rng.digits(&mut body, len - 1 - prefix.len());
    luhn_complete(&body)
}

/// A valid 18-digit resident ID (region, birth date, order, check).
fn resident_id(rng: &mut Rng) -> String {
    let region = rng.pick(&["110101", "310101", "440305", "330106", "510104", "420102"]);
    let mut body = format!(
        "{region}{}{:02}{:02}",
        1950 + rng.below(55),
        1 + rng.below(12),
        1 + rng.below(28)
    );
    rng.digits(&mut body, 3);
    let check = gb11643::check_char(body.as_bytes()).expect("17 digits") as char;
    body.push(check);
    body
}

/// One chat message text (already JSON-safe: no quotes or backslashes
/// except the `\n` escapes it adds on purpose).
fn chat_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    let parts = 4 + rng.below(3);
    for _ in 0..parts {
        s.push_str(rng.pick(PHRASES));
        match rng.below(70) {
            // Identifiers (a minority of messages carry one).
            0..=5 => {
                s.push_str(rng.pick(MOBILE_LEADS));
                push_mobile(rng, &mut s);
                s.push('，');
            }
            6..=7 => {
                s.push_str(rng.pick(ID_LEADS));
                if rng.chance(50) {
                    s.push_str("110101190001010006");
                } else {
                    s.push_str(&resident_id(rng));
                }
                s.push('。');
            }
            8 => {
                s.push_str(rng.pick(CARD_LEADS));
                s.push_str(&card(rng, "622202", 19));
                s.push('。');
            }
            9 => s.push_str("邮箱 zhangsan.work@example.com 。"),
            10 => s.push_str("统一社会信用代码：911101010000000002，"),
            // Look-alikes: digits that are not personal identifiers.
            11..=24 | 63..=66 => {
                s.push_str(rng.pick(ORDER_LEADS));
                s.push_str("20231");
                let n = 13 + rng.below(2); // 18 or 19 digits in all
                rng.digits(&mut s, n);
                s.push('，');
            }
            25..=34 => {
                s.push_str(rng.pick(TS_LEADS));
                s.push_str("16999");
                rng.digits(&mut s, 8);
                s.push('，');
            }
            35..=44 => {
                s.push_str("金额");
                let n = 1 + rng.below(5);
                rng.digits(&mut s, n);
                s.push_str(".00元，");
            }
            45..=52 => {
                s.push_str("时间 2023-11-");
                rng.digits(&mut s, 2);
                s.push(' ');
                rng.digits(&mut s, 2);
                s.push(':');
                rng.digits(&mut s, 2);
                s.push('，');
            }
            53..=57 => {
                // 11 digits outside any mobile segment, 18 digits with a
                // bad check character.
                s.push_str("编号");
                s.push_str(if rng.chance(50) { "12" } else { "10" });
                rng.digits(&mut s, 9);
                s.push_str("，证件 11010119000101000");
                s.push((b'7' + rng.below(3) as u8) as char);
                s.push('。');
            }
            58..=62 => s.push_str("\\n"),
            _ => {}
        }
    }
    s
}

/// One session-archive message (one JSON line, no trailing newline).
fn archive_line(rng: &mut Rng, out: &mut String) {
    out.push_str("{\"msgid\":\"");
    if rng.chance(50) {
        out.push_str("18555");
        rng.digits(out, 14);
    } else {
        out.push_str("CAQQ");
        rng.alnum(out, 27);
        out.push('=');
    }
    let from = rng.pick(USERS);
    out.push_str("\",\"action\":\"send\",\"from\":\"");
    out.push_str(from);
    out.push_str("\",\"tolist\":[\"");
    out.push_str(rng.pick(USERS));
    out.push_str("\",\"");
    out.push_str(rng.pick(USERS));
    out.push_str("\"],\"roomid\":\"wrXWXxGiZki4WSpdGFtiPgY578hw0wtP\",\"msgtime\":16999");
    rng.digits(out, 8);
    if rng.chance(6) {
        out.push_str(",\"msgtype\":\"file\",\"file\":{\"filename\":\"");
        out.push_str(rng.pick(&["合同", "报价单", "入职材料", "会议纪要"]));
        out.push_str("_v");
        rng.digits(out, 1);
        out.push_str(".pdf\",\"filesize\":");
        rng.digits(out, 6);
        out.push_str(",\"md5sum\":\"");
        for _ in 0..32 {
            out.push(b"0123456789abcdef"[rng.below(16)] as char);
        }
        out.push_str("\"}}");
    } else {
        out.push_str(",\"msgtype\":\"text\",\"text\":{\"content\":\"");
        out.push_str(&chat_text(rng));
        out.push_str("\"}}");
    }
}

/// The WeCom-archive-like buffer: JSON lines up to about [`TARGET_BYTES`].
fn archive_buffer() -> Vec<u8> {
    let mut rng = Rng(0x1EA4_5EE9);
    let mut s = String::with_capacity(TARGET_BYTES + 4096);
    while s.len() < TARGET_BYTES {
        archive_line(&mut rng, &mut s);
        s.push('\n');
    }
    s.into_bytes()
}

/// A pure-ASCII, digits-heavy log/CSV buffer.
fn digits_buffer() -> Vec<u8> {
    let mut rng = Rng(0xD161_7500);
    let mut s = String::with_capacity(TARGET_BYTES + 4096);
    while s.len() < TARGET_BYTES {
        s.push_str("2023-11-");
        rng.digits(&mut s, 2);
        s.push('T');
        rng.digits(&mut s, 2);
        s.push(':');
        rng.digits(&mut s, 2);
        s.push(':');
        rng.digits(&mut s, 2);
        s.push_str(".123Z,16999");
        rng.digits(&mut s, 8);
        s.push_str(",order=20231");
        let n = 13 + rng.below(2);
        rng.digits(&mut s, n);
        s.push_str(",uid=");
        rng.digits(&mut s, 7);
        s.push_str(",phone=");
        if rng.chance(30) {
            push_mobile(&mut rng, &mut s);
        } else {
            s.push('1');
            s.push_str(rng.pick(&["0", "1", "2"]));
            rng.digits(&mut s, 9);
        }
        s.push_str(",amount=");
        rng.digits(&mut s, 6);
        s.push_str(".00,ip=10.");
        rng.digits(&mut s, 2);
        s.push('.');
        rng.digits(&mut s, 3);
        s.push('.');
        rng.digits(&mut s, 2);
        match rng.below(20) {
            0 => {
                s.push_str(",id=");
                s.push_str(&resident_id(&mut rng));
            }
            1 => {
                s.push_str(",card=");
                s.push_str(&card(&mut rng, "622848", 19));
            }
            _ => {
                s.push_str(",ref=");
                rng.digits(&mut s, 18);
            }
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Escapes every non-ASCII character as `\uXXXX` (surrogate pairs above
/// the BMP), as ASCII-only archive dumps do. Valid on the archive buffer
/// because non-ASCII text only occurs inside its JSON strings.
fn ascii_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The raw (still escaped) contents of one long ASCII-escaped message
/// string, as `decode_escapes` receives it.
fn escaped_message() -> Vec<u8> {
    let mut rng = Rng(0xE5CA_9E00);
    let mut text = String::new();
    while text.len() < 4096 {
        text.push_str(&chat_text(&mut rng));
    }
    ascii_escape(&text).into_bytes()
}

/// Prints what a buffer is made of, so the throughput can be read
/// against it.
fn describe(name: &str, data: &[u8]) {
    let non_ascii = data.iter().filter(|b| !b.is_ascii()).count();
    let digits = data.iter().filter(|b| b.is_ascii_digit()).count();
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    let pct = |n: usize| 100.0 * n as f64 / data.len() as f64;
    eprintln!(
        "input {name}: {} bytes, {lines} lines, {:.1}% Chinese (non-ASCII) bytes, {:.1}% digits",
        data.len(),
        pct(non_ascii),
        pct(digits)
    );
}

struct Inputs {
    archive: Vec<u8>,
    archive_escaped: Vec<u8>,
    digits: Vec<u8>,
    message: Vec<u8>,
}

fn inputs() -> &'static Inputs {
    static INPUTS: std::sync::OnceLock<Inputs> = std::sync::OnceLock::new();
    INPUTS.get_or_init(|| {
        let archive = archive_buffer();
        let text = std::str::from_utf8(&archive).expect("generated UTF-8");
        let archive_escaped = ascii_escape(text).into_bytes();
        let digits = digits_buffer();
        let message = escaped_message();
        describe("archive", &archive);
        describe("archive_escaped", &archive_escaped);
        describe("digits", &digits);
        describe("escaped_message", &message);
        Inputs {
            archive,
            archive_escaped,
            digits,
            message,
        }
    })
}

fn plain_chunk(name: &str, data: &[u8]) -> Chunk {
    Chunk {
        path: Arc::from(name),
        data: data.to_vec(),
        first_line: 1,
        first_column: 1,
        ..Chunk::default()
    }
}

fn json_lines_chunk(name: &str, data: &[u8]) -> Chunk {
    Chunk {
        pending: Pending::JsonLines,
        ..plain_chunk(name, data)
    }
}

/// Settings for groups that scan the multi-MiB buffers: few, flat
/// samples so a group fits its short measurement time.
fn large(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sampling_mode(SamplingMode::Flat);
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn bench_tokenizer(c: &mut Criterion) {
    let inp = inputs();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let min_len = rules.min_token_len;
    let mut g = c.benchmark_group("tokenizer");
    large(&mut g);
    for (name, data) in [("archive", &inp.archive), ("digits", &inp.digits)] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::new("for_each_run", name), data, |b, data| {
            let mut run = Run::default();
            b.iter(|| {
                let (mut runs, mut chars) = (0usize, 0usize);
                for_each_run(black_box(data), min_len, &mut run, |r| {
                    runs += 1;
                    chars += r.norm.len();
                });
                (runs, chars)
            });
        });
    }
    g.finish();
}

fn bench_normalize(c: &mut Criterion) {
    let inp = inputs();
    let mut g = c.benchmark_group("normalize");
    large(&mut g);
    for (name, data) in [("archive", &inp.archive), ("digits", &inp.digits)] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::new("classify", name), data, |b, data| {
            b.iter(|| {
                let data = black_box(&data[..]);
                let (mut digits, mut other) = (0usize, 0usize);
                let mut i = 0;
                while i < data.len() {
                    let (class, len) = classify(data, i);
                    match class {
                        Class::Digit(_) | Class::ObfuscatedDigit(_) | Class::Numeral(_) => {
                            digits += 1
                        }
                        Class::Break => {}
                        _ => other += 1,
                    }
                    i += len;
                }
                (digits, other)
            });
        });
    }
    g.finish();
}

/// Runs `f` over every input per iteration; reports inputs per second.
fn per_call<T: ?Sized>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    items: &[&T],
    f: impl Fn(&T) -> bool,
) {
    g.throughput(Throughput::Elements(items.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for &item in items {
                ok += usize::from(f(black_box(item)));
            }
            ok
        });
    });
}

fn bench_validators(c: &mut Criterion) {
    let mut rng = Rng(0x7A11_DA7E);

    let ids_valid: Vec<String> = (0..16).map(|_| resident_id(&mut rng)).collect();
    // Invalid IDs failing at each stage: the check character (the common
    // case for a random 18-digit number that gets that far), the birth
    // date, the region, the leading 9.
    let mut ids_invalid: Vec<String> = ids_valid
        .iter()
        .take(10)
        .map(|id| {
            let mut b = id.clone().into_bytes();
            b[17] = if b[17] == b'0' { b'1' } else { b'0' };
            String::from_utf8(b).expect("ASCII")
        })
        .collect();
    ids_invalid.extend(
        [
            "110101190002300006",
            "110101230001010006",
            "999999190001010006",
            "000000190001010006",
            "911840190001010009",
            "201311141234567890",
        ]
        .map(String::from),
    );
    let cards16: Vec<String> = (0..16).map(|_| card(&mut rng, "62", 16)).collect();
    let cards19: Vec<String> = (0..16).map(|_| card(&mut rng, "622202", 19)).collect();
    let uscc: Vec<&str> = vec![
        "911101010000000002",
        "Y1110101000000000C",
        "91110101M00000000G",
        "92110101ABCDEFGH5P",
        "12110101MA00000070",
        "911101010000000003",
        "91110101000000000X",
        "9111010100000000I2",
    ];
    let mut mobiles: Vec<String> = (0..12)
        .map(|_| {
            let mut s = String::new();
            push_mobile(&mut rng, &mut s);
            s
        })
        .collect();
    mobiles.extend(["12345678901", "10086100861", "14012345678", "17413345678"].map(String::from));

    fn as_refs(v: &[String]) -> Vec<&[u8]> {
        v.iter().map(|s| s.as_bytes()).collect()
    }
    let ids_valid = as_refs(&ids_valid);
    let ids_invalid = as_refs(&ids_invalid);
    let cards16 = as_refs(&cards16);
    let cards19 = as_refs(&cards19);
    let mobiles = as_refs(&mobiles);
    let uscc: Vec<&[u8]> = uscc.iter().map(|s| s.as_bytes()).collect();

    // The inputs are what their names say.
    assert!(ids_valid.iter().all(|v| gb11643::validate_18(v)));
    assert!(!ids_invalid.iter().any(|v| gb11643::validate_18(v)));
    assert!(cards16.iter().chain(&cards19).all(|v| luhn::luhn_valid(v)));
    assert_eq!(uscc.iter().filter(|v| gb32100::validate(v)).count(), 5);
    assert_eq!(
        mobiles.iter().filter(|v| mobile::segment_valid(v)).count(),
        12
    );

    let mut g = c.benchmark_group("validators");
    per_call(
        &mut g,
        "gb11643/validate_18/valid",
        &ids_valid,
        gb11643::validate_18,
    );
    per_call(
        &mut g,
        "gb11643/validate_18/invalid",
        &ids_invalid,
        gb11643::validate_18,
    );
    per_call(&mut g, "luhn/luhn_valid/16", &cards16, luhn::luhn_valid);
    per_call(&mut g, "luhn/luhn_valid/19", &cards19, luhn::luhn_valid);
    per_call(&mut g, "gb32100/validate", &uscc, gb32100::validate);
    per_call(
        &mut g,
        "mobile/segment_valid",
        &mobiles,
        mobile::segment_valid,
    );
    per_call(
        &mut g,
        "bankcard/bin_known/19",
        &cards19,
        bankcard::bin_known,
    );

    // The adapters the detector calls, through the name table, with the
    // group lengths a token rule passes.
    for (name, items) in [
        ("gb11643", &ids_valid),
        ("bank_card", &cards19),
        ("cn_mobile", &mobiles),
    ] {
        let f = lookup(name).expect("known validator");
        per_call(&mut g, &format!("lookup/{name}"), items, |v| {
            let groups = [v.len()];
            f(&Candidate {
                value: v,
                groups: &groups,
            })
            .is_some()
        });
    }
    g.finish();
}

fn bench_json(c: &mut Criterion) {
    let inp = inputs();
    let mut g = c.benchmark_group("json");

    g.throughput(Throughput::Bytes(inp.message.len() as u64));
    g.bench_function("decode_escapes", |b| {
        let mut out = Vec::with_capacity(inp.message.len());
        b.iter(|| {
            out.clear();
            decode_escapes(black_box(&inp.message), &mut out);
            out.len()
        });
    });

    // One ASCII-escaped message line walked on its own (decoding its
    // content into the chunk's tail).
    let mut line = String::from(
        "{\"msgid\":\"CAQQN9jYIR/d+E0pYJv5MCK3dla3yJw=\",\"action\":\"send\",\"from\":\"zhangsan\",\
         \"tolist\":[\"lisi\"],\"roomid\":\"\",\"msgtime\":1699923885817,\"msgtype\":\"text\",\
         \"text\":{\"content\":\"",
    );
    line.push_str(std::str::from_utf8(&inp.message).expect("ASCII"));
    line.push_str("\"}}");
    let line_chunk = plain_chunk("line.jsonl", line.as_bytes());
    g.throughput(Throughput::Bytes(line.len() as u64));
    g.bench_function("walk_or_text/escaped_line", |b| {
        b.iter_batched(
            || line_chunk.clone(),
            |mut chunk| {
                let end = chunk.data.len();
                let origin = Origin::Exact { line: 1, column: 1 };
                assert!(walk_or_text(&mut chunk, 0, end, origin, None, ""));
                chunk
            },
            BatchSize::SmallInput,
        );
    });

    large(&mut g);
    for (name, data) in [
        ("walk_lines", &inp.archive),
        ("walk_lines_escaped", &inp.archive_escaped),
    ] {
        let chunk = json_lines_chunk("archive.jsonl", data);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(name, |b| {
            b.iter_batched(
                || chunk.clone(),
                |mut chunk| {
                    prepare(&mut chunk);
                    chunk
                },
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

fn bench_automata(c: &mut Criterion) {
    let inp = inputs();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let data = &inp.archive[..];

    let mut g = c.benchmark_group("keywords");
    large(&mut g);
    g.throughput(Throughput::Bytes(data.len() as u64));
    if let Some(keywords) = &rules.keywords {
        g.bench_function("for_each/archive", |b| {
            b.iter(|| {
                let mut hits = 0usize;
                keywords.for_each(black_box(data), |_, _, _| hits += 1);
                hits
            });
        });
    } else {
        eprintln!("keywords/for_each skipped: the built-in rules have no keyword automaton");
    }
    g.finish();

    let mut g = c.benchmark_group("context");
    large(&mut g);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("for_each/archive", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            rules.context.for_each(black_box(data), |_, _, _| hits += 1);
            hits
        });
    });
    // The same words through `AhoCorasick`'s overlapping iterator (a DFA
    // with its prefilter, as the detector searched them before its own loop).
    let reference = aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&rules.words)
        .expect("the context words build");
    g.bench_function("find_overlapping_iter/archive", |b| {
        b.iter(|| reference.find_overlapping_iter(black_box(data)).count());
    });
    g.finish();

    // Lines with a keyword: does the email regex match on them? The guard
    // reads the bytes around the `@` forms; the regex's `is_match` walks
    // its lazy DFA over each line, and on lines it has not seen before it
    // keeps building states (a clone starts with an empty cache, as a scan
    // meets new text; see `detect::guard`). The archive's text lines with
    // a mention in front.
    let email = rules.get("email").expect("the email rule");
    if let leaksweep::detect::rules::Matcher::Regex { regex, .. } = &email.matcher {
        let guard = leaksweep::detect::guard::RegexGuard::new(regex.as_str())
            .expect("the email pattern has a guard");
        let marker = b"\"content\":\"";
        let lines: Vec<Vec<u8>> = data
            .split(|&b| b == b'\n')
            .filter_map(|l| {
                let at = l.windows(marker.len()).position(|w| w == marker)? + marker.len();
                Some([&l[..at], "@李明 ".as_bytes(), &l[at..]].concat())
            })
            .take(2_000)
            .collect();
        let bytes: usize = lines.iter().map(Vec::len).sum();
        let mut g = c.benchmark_group("keyword_lines");
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("guard/mentions", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .filter(|l| guard.may_match(black_box(l)))
                    .count()
            })
        });
        g.bench_function("is_match/mentions", |b| {
            b.iter(|| {
                let fresh = regex.clone();
                lines
                    .iter()
                    .filter(|l| fresh.is_match(black_box(l)))
                    .count()
            })
        });
        g.finish();
    }
}

fn bench_detect(c: &mut Criterion) {
    let inp = inputs();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let key = FingerprintKey::builtin();
    let detector = Detector::new(&rules, &key);

    let plain = plain_chunk("archive.txt", &inp.archive);
    let mut archive = json_lines_chunk("archive.jsonl", &inp.archive);
    prepare(&mut archive);
    let digits = plain_chunk("digits.log", &inp.digits);

    let mut g = c.benchmark_group("detect");
    large(&mut g);
    // Throughput counts input bytes: a prepared chunk's `data` also holds
    // decoded copies of escaped strings.
    for (name, chunk, input) in [
        ("plain", &plain, &inp.archive),
        ("archive", &archive, &inp.archive),
        ("digits", &digits, &inp.digits),
    ] {
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        detector.detect(chunk, &mut scratch, &mut out);
        eprintln!(
            "detect/{name}: {} findings, {} fields, {} bytes scanned",
            out.len(),
            chunk.fields.len(),
            chunk.data.len()
        );
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                detector.detect(black_box(chunk), &mut scratch, &mut out);
                out.len()
            });
        });
    }
    g.finish();
}

fn bench_blocks(c: &mut Criterion) {
    let inp = inputs();
    let mut g = c.benchmark_group("blocks");
    large(&mut g);
    for (name, data) in [("archive", &inp.archive), ("digits", &inp.digits)] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::new("candidates", name), data, |b, data| {
            b.iter(|| {
                let mut c = Candidates::new(black_box(data), 1);
                let (mut n, mut from) = (0usize, 0usize);
                while let Some(p) = c.next_from(from) {
                    n += 1;
                    from = p + 1;
                }
                n
            });
        });
    }
    g.finish();
}

/// The line gate alone, and a worker's whole job on one chunk (gate, walk
/// the hot lines, detect), against detection without the gate.
fn bench_gate(c: &mut Criterion) {
    let inp = inputs();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let key = FingerprintKey::builtin();
    let detector = Detector::new(&rules, &key);
    let data = &inp.archive[..];
    let mut g = c.benchmark_group("gate");
    large(&mut g);
    g.throughput(Throughput::Bytes(data.len() as u64));
    let mut scratch = Scratch::default();
    let mut lines = Vec::new();
    detector.hot_lines(data, 0..data.len(), true, None, &mut scratch, &mut lines);
    eprintln!(
        "gate/archive: {} of {} lines hot",
        lines.len(),
        line_count(data)
    );
    g.bench_function("hot_lines/archive", |b| {
        b.iter(|| {
            detector.hot_lines(
                black_box(data),
                0..data.len(),
                true,
                None,
                &mut scratch,
                &mut lines,
            );
            lines.len()
        });
    });
    for gated in [true, false] {
        let name = if gated {
            "worker/archive"
        } else {
            "worker_ungated/archive"
        };
        g.bench_function(name, |b| {
            let mut out = Vec::new();
            b.iter_batched(
                || json_lines_chunk("archive.jsonl", data),
                |mut chunk| {
                    if gated {
                        detector.gate_chunk(&mut chunk, true, None, &mut scratch, &mut Vec::new());
                    }
                    prepare(&mut chunk);
                    out.clear();
                    detector.detect(&chunk, &mut scratch, &mut out);
                    out.len()
                },
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

/// The line gate's word test, one call per line: Aho-Corasick `is_match`
/// against `WordFilter::may_contain` (AVX2 where available, and the
/// portable bucket search), over `/tmp/plain20.jsonl` when present, else
/// the generated archive.
fn bench_wordfilter(c: &mut Criterion) {
    let inp = inputs();
    let plain = std::fs::read("/tmp/plain20.jsonl").ok();
    let (name, data) = match &plain {
        Some(d) => ("plain20", &d[..]),
        None => ("archive", &inp.archive[..]),
    };
    let words: Vec<&str> = include_str!("gate-words.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let ac = aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&words)
        .expect("automaton");
    let fast = WordFilter::new(&words);
    let portable = WordFilter::portable(&words);
    let mut g = c.benchmark_group("wordfilter");
    large(&mut g);
    g.throughput(Throughput::Bytes(data.len() as u64));
    let count = |f: &dyn Fn(&[u8]) -> bool| lines.iter().filter(|l| f(black_box(l))).count();
    eprintln!(
        "wordfilter/{name}: {} lines, true on {} (automaton) / {} ({}) / {} (portable)",
        lines.len(),
        count(&|l| ac.is_match(l)),
        count(&|l| fast.may_contain(l)),
        fast.strategy(),
        count(&|l| portable.may_contain(l)),
    );
    g.bench_function(BenchmarkId::new("ac_is_match", name), |b| {
        b.iter(|| count(&|l| ac.is_match(l)))
    });
    g.bench_function(BenchmarkId::new("may_contain", name), |b| {
        b.iter(|| count(&|l| fast.may_contain(l)))
    });
    g.bench_function(BenchmarkId::new("may_contain_portable", name), |b| {
        b.iter(|| count(&|l| portable.may_contain(l)))
    });
    g.finish();
}

fn line_count(data: &[u8]) -> usize {
    data.iter().filter(|&&b| b == b'\n').count()
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
}

criterion_group! {
    name = hot_paths;
    config = config();
    targets = bench_tokenizer, bench_blocks, bench_normalize, bench_validators, bench_json,
        bench_automata, bench_detect, bench_gate, bench_wordfilter
}
criterion_main!(hot_paths);
