//! Integration tests for `leaksweep redact` over `fixtures/formats/`, which
//! holds the same values in every format the readers handle (its
//! `formats.json` says where). The copy must parse in the same format with
//! the same structure, keep its encoding, hold none of the planted raw
//! values, and rescan clean; tokens must be consistent across files.

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args(args)
        .current_dir(ROOT)
        .env("LEAKSWEEP_FINGERPRINT_KEY", "redact-test-key")
        .env_remove("LEAKSWEEP_CONFIG")
        .env_remove("LEAKSWEEP_FAIL_ON")
        .env_remove("LEAKSWEEP_MIN_CONFIDENCE")
        .stdin(Stdio::null())
        .output()
        .expect("run leaksweep")
}

fn redact(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "redact",
        "--no-config",
        "fixtures/formats",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Every planted raw value and normalized value of the formats fixtures.
fn raw_values() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("fixtures/formats/formats.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeSet::new();
    for list in ["same_set", "locations", "extra", "truncated"] {
        if let Some(items) = v[list].as_array() {
            for i in items {
                for k in ["raw", "normalized"] {
                    if let Some(s) = i[k].as_str() {
                        out.insert(s.to_string());
                    }
                }
            }
        }
    }
    out.retain(|s| s.len() >= 8);
    out
}

/// The text of a file and of everything inside it (containers opened,
/// encodings decoded), as (name, text).
fn texts(name: &str, bytes: &[u8], out: &mut Vec<(String, String)>) {
    if bytes.starts_with(b"PK") && !name.ends_with(".xlsx") {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let n = e.name().unwrap().to_string();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            texts(&format!("{name}!{n}"), &b, out);
        }
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut b = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut b)
            .unwrap();
        if b.len() > 262 && &b[257..262] == b"ustar" {
            let mut a = tar::Archive::new(Cursor::new(b));
            for e in a.entries().unwrap() {
                let mut e = e.unwrap();
                let n = e.path().unwrap().display().to_string();
                let mut eb = Vec::new();
                e.read_to_end(&mut eb).unwrap();
                texts(&format!("{name}!{n}"), &eb, out);
            }
        } else {
            texts(&format!("{name}!gz"), &b, out);
        }
    } else if name.ends_with(".xlsx") {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
        for s in wb.sheet_names() {
            let r = wb.worksheet_range(&s).unwrap();
            let t: Vec<String> = r
                .rows()
                .flat_map(|row| row.iter().map(|c| c.to_string()))
                .collect();
            out.push((format!("{name}!{s}"), t.join("\n")));
        }
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        let (t, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(bytes);
        out.push((name.to_string(), t.into_owned()));
    } else {
        let t = match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
        };
        out.push((name.to_string(), t));
    }
}

fn all_texts(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        texts(&name, &std::fs::read(&p).unwrap(), &mut out);
    }
    out
}

fn fixture(name: &str) -> PathBuf {
    Path::new(ROOT).join("fixtures/formats").join(name)
}

/// The keys of every object, recursively, with their paths (values aside).
fn shape(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(format!("{path}.{k}"));
                shape(x, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            out.push(format!("{path}[{}]", a.len()));
            for (i, x) in a.iter().enumerate() {
                shape(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn csv_shape(text: &str, delim: u8) -> Vec<usize> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().len()).collect()
}

#[test]
fn every_format_keeps_its_structure_and_encoding_and_loses_its_values() {
    let out = tempfile::tempdir().unwrap();
    let o = redact(out.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("rescan of the copy: clean"));
    // No planted value anywhere, containers and encodings opened.
    let raws = raw_values();
    assert!(raws.len() >= 6);
    for (name, text) in all_texts(out.path()) {
        // formats.json is the fixtures' own key: it lists the values out of
        // context (a bare landline is no finding), as data about the test.
        if name == "formats.json" {
            continue;
        }
        for raw in &raws {
            assert!(!text.contains(raw.as_str()), "{raw} left in {name}");
        }
    }
    // JSON lines: same lines, same keys.
    let a = std::fs::read_to_string(fixture("archive_ascii.jsonl")).unwrap();
    let b = std::fs::read_to_string(out.path().join("archive_ascii.jsonl")).unwrap();
    assert_eq!(a.lines().count(), b.lines().count());
    assert!(b.is_ascii(), "an ASCII-only archive stays ASCII-only");
    for (la, lb) in a.lines().zip(b.lines()) {
        let (va, vb): (Value, Value) = (
            serde_json::from_str(la).unwrap(),
            serde_json::from_str(lb).unwrap(),
        );
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        shape(&va, "", &mut sa);
        shape(&vb, "", &mut sb);
        assert_eq!(sa, sb);
        // JSON inside strings stays JSON with the same keys.
        for item in va
            .pointer("/chatrecord/item")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let inner_a: Value = serde_json::from_str(item.1["content"].as_str().unwrap()).unwrap();
            let inner_b: Value = serde_json::from_str(
                vb.pointer(&format!("/chatrecord/item/{}/content", item.0))
                    .unwrap()
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            let (mut ia, mut ib) = (Vec::new(), Vec::new());
            shape(&inner_a, "", &mut ia);
            shape(&inner_b, "", &mut ib);
            assert_eq!(ia, ib);
        }
    }
    // JSON documents.
    for f in ["archive_pretty.json", "user_list.json"] {
        let va: Value = serde_json::from_slice(&std::fs::read(fixture(f)).unwrap()).unwrap();
        let vb: Value =
            serde_json::from_slice(&std::fs::read(out.path().join(f)).unwrap()).unwrap();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        shape(&va, "", &mut sa);
        shape(&vb, "", &mut sb);
        assert_eq!(sa, sb, "{f}");
    }
    // CSV in each encoding: same rows and columns, same encoding marks.
    let utf8 = |p: &Path| std::fs::read_to_string(p).unwrap();
    for (f, delim) in [
        ("directory_utf8.csv", b','),
        ("directory_utf8_bom.csv", b','),
    ] {
        assert_eq!(
            csv_shape(&utf8(&fixture(f)), delim),
            csv_shape(&utf8(&out.path().join(f)), delim),
            "{f}"
        );
    }
    let bom_in = std::fs::read(fixture("directory_utf8_bom.csv")).unwrap();
    let bom_out = std::fs::read(out.path().join("directory_utf8_bom.csv")).unwrap();
    assert!(bom_in.starts_with(&[0xEF, 0xBB, 0xBF]) && bom_out.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(
        !bom_out[3..].starts_with(&[0xEF, 0xBB, 0xBF]),
        "one BOM only"
    );
    let gbk_in = std::fs::read(fixture("directory_gbk.csv")).unwrap();
    let gbk_out = std::fs::read(out.path().join("directory_gbk.csv")).unwrap();
    assert!(
        std::str::from_utf8(&gbk_out).is_err(),
        "a GBK file stays GBK"
    );
    let dec = |b: &[u8]| encoding_rs::GB18030.decode(b).0.into_owned();
    assert_eq!(
        csv_shape(&dec(&gbk_in), b','),
        csv_shape(&dec(&gbk_out), b',')
    );
    assert_eq!(
        gbk_in.windows(2).filter(|w| w == b"\r\n").count(),
        gbk_out.windows(2).filter(|w| w == b"\r\n").count(),
        "CRLF kept"
    );
    let u16_in = std::fs::read(fixture("directory_utf16.csv")).unwrap();
    let u16_out = std::fs::read(out.path().join("directory_utf16.csv")).unwrap();
    assert!(u16_out.starts_with(&[0xFF, 0xFE]));
    let dec16 = |b: &[u8]| {
        encoding_rs::UTF_16LE
            .decode_with_bom_removal(b)
            .0
            .into_owned()
    };
    assert_eq!(
        csv_shape(&dec16(&u16_in), b'\t'),
        csv_shape(&dec16(&u16_out), b'\t')
    );
    // XLSX: same sheets, same dimensions.
    {
        use calamine::Reader;
        let open = |p: PathBuf| -> calamine::Xlsx<_> { calamine::open_workbook(p).unwrap() };
        let (mut a, mut b) = (
            open(fixture("directory.xlsx")),
            open(out.path().join("directory.xlsx")),
        );
        assert_eq!(a.sheet_names(), b.sheet_names());
        for s in a.sheet_names() {
            let (ra, rb) = (
                a.worksheet_range(&s).unwrap(),
                b.worksheet_range(&s).unwrap(),
            );
            assert_eq!((ra.start(), ra.end()), (rb.start(), rb.end()), "sheet {s}");
        }
    }
    // Containers keep their member names.
    let names = |p: PathBuf| -> Vec<String> {
        let mut z = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
        (0..z.len())
            .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(fixture("bundle.zip")),
        names(out.path().join("bundle.zip"))
    );
    // The manifest counts replacements and holds no raw value.
    let manifest =
        std::fs::read_to_string(out.path().join("leaksweep-redact-manifest.json")).unwrap();
    for raw in &raws {
        assert!(!manifest.contains(raw.as_str()));
    }
    let m: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(m["rescan_findings"], 0);
    assert!(m["totals"]["cn_mobile"].as_u64().unwrap() > 0);
    // A separate scan of the copy agrees: nothing at medium or above.
    let scan = run(&[
        "scan",
        "--no-config",
        "--fail-on",
        "medium",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scan.stdout)
    );
}

#[test]
fn token_mode_gives_one_token_per_value_across_files() {
    let out = tempfile::tempdir().unwrap();
    let o = redact(out.path(), &["--mode", "token"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let token = |text: &str| -> BTreeSet<String> {
        let re = regex::Regex::new(r"\[cn_mobile:[0-9a-f]{12}\]").unwrap();
        re.find_iter(text).map(|m| m.as_str().to_string()).collect()
    };
    let plain = token(&std::fs::read_to_string(out.path().join("plain.txt")).unwrap());
    let csv = token(&std::fs::read_to_string(out.path().join("directory_utf8.csv")).unwrap());
    assert_eq!(plain.len(), 2, "two mobiles, two tokens: {plain:?}");
    assert_eq!(
        plain, csv,
        "the same values give the same tokens in every file"
    );
    // Remove mode writes the kind.
    let out2 = tempfile::tempdir().unwrap();
    redact(out2.path(), &["--mode", "remove"]);
    let text = std::fs::read_to_string(out2.path().join("plain.txt")).unwrap();
    assert!(text.contains("[cn_mobile]") && text.contains("[cn_resident_id]"));
}

#[test]
fn inputs_are_never_overwritten_and_clean_files_are_copied_unchanged() {
    // The output inside the input folder is refused.
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("a.txt"), "手机 13800138000\n").unwrap();
    std::fs::write(t.path().join("clean.txt"), "nothing here\n").unwrap();
    let inside = t.path().join("out");
    let o = run(&[
        "redact",
        "--no-config",
        t.path().to_str().unwrap(),
        "--out",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside"));
    let o = run(&[
        "redact",
        "--no-config",
        t.path().to_str().unwrap(),
        "--out",
        t.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(t.path().join("a.txt")).unwrap(),
        "手机 13800138000\n"
    );
    // Elsewhere: the clean file is byte-identical, the other redacted.
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "redact",
        "--no-config",
        t.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read(out.path().join("clean.txt")).unwrap(),
        b"nothing here\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("a.txt")).unwrap(),
        "手机 138****8000\n"
    );
    let m: Value = serde_json::from_slice(
        &std::fs::read(out.path().join("leaksweep-redact-manifest.json")).unwrap(),
    )
    .unwrap();
    let status: BTreeSet<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, BTreeSet::from(["copied", "redacted"]));
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".leaksweep-partial")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_copy_that_is_not_clean_fails_with_the_list() {
    // Replacing only high-confidence matches leaves medium ones, which the
    // rescan at medium reports.
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("a.txt"), "13800138000\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "redact",
        "--no-config",
        "--min-confidence",
        "high",
        t.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("findings remain") && text.contains("138****8000"),
        "{text}"
    );
    assert!(!text.contains("13800138000"));
}

#[test]
fn json_numbers_escapes_and_nested_json_are_rewritten_as_valid_json() {
    let t = tempfile::tempdir().unwrap();
    let line = r#"{"userid":"a","mobile":13800138000,"n":{"x":"\u624b\u673a 13912345678"},"raw":"{\"content\":\"\u624b\u673a 15000000002\"}"}"#;
    std::fs::write(t.path().join("a.jsonl"), format!("{line}\n")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "redact",
        "--no-config",
        t.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(out.path().join("a.jsonl")).unwrap();
    assert!(text.is_ascii(), "the escaping style is kept: {text}");
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["mobile"], "138****8000", "a bare number becomes a string");
    assert_eq!(v["n"]["x"], "手机 139****5678");
    let inner: Value = serde_json::from_str(v["raw"].as_str().unwrap()).unwrap();
    assert_eq!(inner["content"], "手机 150****0002");
    assert_eq!(v["userid"], "a");
}
