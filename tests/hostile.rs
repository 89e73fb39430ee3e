//! Hostile and broken inputs: each ends in its expected state (scanned,
//! partially scanned, skipped), is accounted for in the summary, and the
//! rest of the scan is intact. The inputs are built at test time in a
//! temporary folder (a FIFO and a symlink loop cannot be committed), next
//! to one clean file holding a known mobile that must always be found.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KNOWN: &str = "手机 13912345678\n";

fn scan(dir: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "scan",
        "--no-config",
        "--format",
        "json",
        "--progress",
        "never",
    ];
    args.extend_from_slice(extra);
    args.push(".");
    let out = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args(&args)
        .current_dir(dir)
        .env("LEAKSWEEP_FINGERPRINT_KEY", "hostile-test-key")
        .stdin(Stdio::null())
        .output()
        .expect("run leaksweep");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("internal error"),
        "a panic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out, v)
}

fn paths(report: &Value, list: &str) -> Vec<(String, String)> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn found_in(report: &Value, file: &str) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(file))
        .count()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn each_hostile_input_ends_in_its_state_and_the_rest_is_scanned() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("known.txt"), KNOWN).unwrap();
    // A truncated gzip: the part before the cut is scanned.
    let mut text = String::from("手机 13800138000\n");
    for i in 0..20_000 {
        text.push_str(&format!("第{i}行 普通的聊天内容，没有任何号码。\n"));
    }
    let gz = gzip(text.as_bytes());
    std::fs::write(d.join("truncated.txt.gz"), &gz[..gz.len() / 2]).unwrap();
    // A zip bomb: one entry of zeros expanding far past the ratio limit.
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(d.join("bomb.zip")).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("zeros.txt", opts).unwrap();
        let block = vec![b'0'; 1 << 20];
        for _ in 0..64 {
            z.write_all(&block).unwrap();
        }
        z.start_file("ok.txt", opts).unwrap();
        z.write_all(KNOWN.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    assert!(std::fs::metadata(d.join("bomb.zip")).unwrap().len() < 200_000);
    // A JSON line nested 2,000 levels deep, holding a mobile.
    let deep = format!(
        "{}\"手机 13700000001\"{}\n",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    std::fs::write(d.join("deep.jsonl"), deep).unwrap();
    // An invalid UTF-8 byte in the middle of an ID, and a mobile after it.
    let mut bad = "身份证 110101".as_bytes().to_vec();
    bad.push(0xFF);
    bad.extend_from_slice("19900307771X\n手机 15000000002\n".as_bytes());
    std::fs::write(d.join("bad_utf8.txt"), bad).unwrap();
    // A JSON-lines file with a line that is not valid JSON.
    std::fs::write(
        d.join("malformed.jsonl"),
        "{\"msgid\":\"1\",\"text\":{\"content\":\"你好\"}}\n{\"msgid\":\"2\",\"text\":{\"content\":\"手机 13600000004\"\n",
    )
    .unwrap();
    // GBK without a BOM.
    let (gbk, _, _) = encoding_rs::GBK.encode("姓名,手机\r\n张三,18600000003\r\n");
    std::fs::write(d.join("gbk.csv"), &gbk).unwrap();
    // An XLSX whose sheet XML is broken.
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(d.join("broken.xlsx")).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>broken",
            ),
        ] {
            z.start_file(name, opts).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    // A FIFO, a symlink loop, and a link out of the folder.
    #[cfg(unix)]
    {
        let fifo = d.join("pipe");
        let ok = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "mkfifo");
        std::fs::create_dir(d.join("loop")).unwrap();
        std::os::unix::fs::symlink("..", d.join("loop/up")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), KNOWN).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.join("out_link.txt"))
            .unwrap();
        std::os::unix::fs::symlink(d.join("known.txt"), d.join("in_link.txt")).unwrap();
        let (out, report) = scan(d, &[]);
        check(&out, &report, true);
        // --strict turns any partial or skipped input into exit 2.
        let (out, _) = scan(d, &["--strict"]);
        assert_eq!(out.status.code(), Some(2));
        // Files over --max-file-size are skipped, with their size.
        let (_, report) = scan(d, &["--max-file-size", "100"]);
        let skipped = paths(&report, "skipped");
        assert!(
            skipped
                .iter()
                .any(|(p, r)| p.ends_with("deep.jsonl") && r.contains("max-file-size"))
        );
        assert_eq!(found_in(&report, "known.txt"), 1);
        // --follow-symlinks follows the link out.
        let (_, report) = scan(d, &["--follow-symlinks"]);
        assert_eq!(found_in(&report, "out_link.txt"), 1);
        drop(outside);
    }
}

fn check(out: &Output, report: &Value, unix: bool) {
    let skipped = paths(report, "skipped");
    let partial = paths(report, "partial");
    let s = &report["summary"];
    let reason = |list: &[(String, String)], file: &str| -> String {
        list.iter()
            .find(|(p, _)| p.ends_with(file))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{file} not listed in {list:?}"))
    };
    // The clean file, and what hostile files still hold, are found.
    assert_eq!(found_in(report, "known.txt"), 1, "{report:#}");
    assert_eq!(
        found_in(report, "truncated.txt.gz"),
        1,
        "the part before the cut"
    );
    assert!(reason(&partial, "truncated.txt.gz").contains("partially scanned"));
    assert!(
        reason(&skipped, "bomb.zip!zeros.txt").contains("ratio"),
        "{skipped:?}"
    );
    assert_eq!(
        found_in(report, "bomb.zip!ok.txt"),
        1,
        "the rest of the archive"
    );
    assert_eq!(
        found_in(report, "deep.jsonl"),
        1,
        "deep JSON is scanned as text"
    );
    assert_eq!(
        found_in(report, "bad_utf8.txt"),
        1,
        "the mobile after the bad byte"
    );
    assert_eq!(found_in(report, "gbk.csv"), 1);
    assert_eq!(
        found_in(report, "malformed.jsonl"),
        1,
        "a malformed line is scanned as text"
    );
    assert!(s["malformed_json_lines"].as_u64().unwrap() >= 1);
    let broken = skipped
        .iter()
        .chain(&partial)
        .any(|(p, _)| p.contains("broken.xlsx"));
    assert!(
        broken,
        "the broken sheet is reported: {skipped:?} {partial:?}"
    );
    if unix {
        assert!(reason(&skipped, "pipe").contains("not a regular file"));
        assert!(reason(&skipped, "loop/up").contains("loop"), "{skipped:?}");
        assert!(reason(&skipped, "out_link.txt").contains("out of the scanned folder"));
        assert_eq!(
            found_in(report, "in_link.txt"),
            1,
            "a link inside the folder is followed"
        );
    }
    // Every input is accounted for.
    let listed = s["inputs_scanned"].as_u64().unwrap()
        + s["inputs_partial"].as_u64().unwrap()
        + s["inputs_skipped"].as_u64().unwrap();
    assert!(listed >= 9, "{s}");
    assert_eq!(
        s["inputs_partial"].as_u64().unwrap() as usize,
        partial.len()
    );
    assert_eq!(out.status.code(), Some(1), "findings fail the default gate");
}
