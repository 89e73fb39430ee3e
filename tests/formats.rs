//! Integration tests for the format readers: session archives (JSON lines,
//! ASCII-escaped, JSON inside strings), pretty JSON documents, `user/list`
//! responses, CSV in UTF-8 / GBK / UTF-16, XLSX, and containers. The
//! expectations live in `fixtures/formats/formats.json`, written by
//! `fixtures/make_format_fixtures.py`.

use leaksweep::redact::{FingerprintKey, KeySource};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const KEY: &str = "formats-test-key";

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text =
            std::fs::read_to_string(Path::new(ROOT).join("fixtures/formats/formats.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// The JSON report of a scan of `fixtures/formats` (run once).
fn report() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
            .args([
                "scan",
                "fixtures/formats",
                "--format",
                "json",
                "--fingerprint-key",
                KEY,
            ])
            .current_dir(ROOT)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    })
}

fn fingerprint(kind: &str, normalized: &str) -> String {
    FingerprintKey::new(KEY.as_bytes(), KeySource::Flag).fingerprint(kind, normalized.as_bytes())
}

fn findings() -> &'static Vec<Value> {
    report()["findings"].as_array().unwrap()
}

fn rank(c: &Value) -> u8 {
    match c.as_str().unwrap() {
        "low" => 1,
        "medium" => 2,
        _ => 3,
    }
}

#[test]
fn every_value_is_found_at_its_place_in_its_record() {
    let mut missing = Vec::new();
    for loc in manifest()["locations"].as_array().unwrap() {
        let fp = fingerprint(
            loc["kind"].as_str().unwrap(),
            loc["normalized"].as_str().unwrap(),
        );
        let hit = findings().iter().find(|f| {
            f["path"] == loc["file"]
                && f["fingerprint"] == fp.as_str()
                && (loc.get("line").is_none()
                    || loc["file"].as_str().unwrap().ends_with(".xlsx")
                    || f["line"] == loc["line"])
                && loc["record"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| f["record"][k] == *v)
        });
        if hit.is_none() {
            let near: Vec<String> = findings()
                .iter()
                .filter(|f| f["path"] == loc["file"] && f["fingerprint"] == fp.as_str())
                .map(|f| format!("line {} record {}", f["line"], f["record"]))
                .collect();
            missing.push(format!(
                "{} {} at line {} {}: found {:?}",
                loc["file"], loc["kind"], loc["line"], loc["record"], near
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "not found where expected:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_format_yields_the_same_set_of_values() {
    let expected: BTreeSet<String> = manifest()["same_set"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            fingerprint(
                v["kind"].as_str().unwrap(),
                v["normalized"].as_str().unwrap(),
            )
        })
        .collect();
    let mut wrong = Vec::new();
    for file in manifest()["same_set_files"].as_array().unwrap() {
        let found: BTreeSet<String> = findings()
            .iter()
            .filter(|f| f["path"] == *file)
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        let missing: Vec<_> = expected.difference(&found).collect();
        if !missing.is_empty() {
            wrong.push(format!("{file}: {} of 6 missing", missing.len()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn column_headers_and_escaped_words_are_context() {
    for check in manifest()["context_checks"].as_array().unwrap() {
        let normalized = check["normalized"].as_str().unwrap();
        let kind = if normalized.starts_with('0') {
            "cn_landline"
        } else {
            "cn_mobile"
        };
        let fp = fingerprint(kind, normalized);
        let best = findings()
            .iter()
            .filter(|f| f["path"] == check["file"] && f["fingerprint"] == fp.as_str())
            .map(|f| rank(&f["confidence"]))
            .max();
        assert_eq!(best, Some(3), "{}: {}", check["file"], check["why"]);
    }
}

#[test]
fn a_truncated_id_under_an_id_header_is_reported_but_not_validated() {
    for t in manifest()["truncated"].as_array().unwrap() {
        let hit = findings().iter().find(|f| {
            f["path"] == t["file"]
                && f["rule"] == "cn_resident_id_truncated"
                && f["record"]["row"] == t["row"]
                && f["record"]["sheet"] == t["sheet"]
        });
        let hit = hit.unwrap_or_else(|| panic!("truncated ID not reported: {t}"));
        assert_eq!(hit["record"]["header"], t["header"]);
        assert!(hit["masked"].as_str().unwrap().starts_with("110101"));
    }
}

#[test]
fn no_raw_value_of_any_format_reaches_any_output() {
    let m = manifest();
    let mut raws = BTreeSet::new();
    for list in ["locations", "extra"] {
        for v in m[list].as_array().unwrap() {
            raws.insert(v["normalized"].as_str().unwrap().to_string());
            if let Some(r) = v["raw"].as_str() {
                raws.insert(r.to_string());
            }
        }
    }
    for format in ["human", "json", "jsonl", "sarif"] {
        let out = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
            .args([
                "scan",
                "fixtures/formats",
                "--format",
                format,
                "--color",
                "always",
            ])
            .current_dir(ROOT)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for raw in &raws {
            assert!(
                !stdout.contains(raw.as_str()),
                "{format}: raw {raw} in stdout"
            );
            assert!(
                !stderr.contains(raw.as_str()),
                "{format}: raw {raw} on stderr"
            );
        }
    }
}

#[test]
fn archive_records_show_in_every_format() {
    let out = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args([
            "scan",
            "fixtures/formats/archive_ascii.jsonl",
            "--format",
            "sarif",
        ])
        .current_dir(ROOT)
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .all(|r| r["properties"]["record"]["msgid"].is_string())
    );
    let human = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args([
            "scan",
            "fixtures/formats/archive_ascii.jsonl",
            "--color",
            "never",
        ])
        .current_dir(ROOT)
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("msgid=") && text.contains("field=chatrecord.item[1].content.content"),
        "{text}"
    );
}

#[test]
fn nothing_in_the_formats_folder_is_skipped() {
    let skipped = report()["skipped"].as_array().unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
}
