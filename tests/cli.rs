//! Integration tests: drive the built `leaksweep` binary over the committed
//! fixtures. `fixtures/planted/manifest.json` lists every planted value
//! (with its raw form, kind, line and lowest acceptable confidence) and
//! every look-alike, so these tests assert against data, not prose.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs leaksweep with `args` from the repository root, with a fixed key.
fn leaksweep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args(args)
        .current_dir(ROOT)
        .env("LEAKSWEEP_FINGERPRINT_KEY", "integration-test-key")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run leaksweep")
}

/// Runs a scan and parses its JSON report.
macro_rules! scan_json {
    ($($arg:expr),* $(,)?) => {{
        let out = leaksweep(&["scan", "--format", "json", $($arg),*]);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        (out, report)
    }};
}

fn manifest() -> Value {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("fixtures/planted/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rank(c: &str) -> u8 {
    match c {
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        other => panic!("unknown confidence {other}"),
    }
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

#[test]
fn every_planted_value_is_found_with_its_kind_and_line() {
    let (_, report) = scan_json!("fixtures");
    let found = findings(&report);
    let mut missing = Vec::new();
    for p in manifest()["planted"].as_array().unwrap() {
        let ok = found.iter().any(|f| {
            f["path"] == p["file"]
                && f["line"] == p["line"]
                && f["kind"] == p["kind"]
                && rank(f["confidence"].as_str().unwrap())
                    >= rank(p["min_confidence"].as_str().unwrap())
        });
        if !ok {
            missing.push(format!(
                "{}:{} {} ({}) expected >= {}",
                p["file"], p["line"], p["kind"], p["form"], p["min_confidence"]
            ));
        }
    }
    assert!(missing.is_empty(), "not found:\n{}", missing.join("\n"));
}

#[test]
fn look_alikes_are_not_reported_at_medium_or_above() {
    let (_, report) = scan_json!("fixtures");
    let found = findings(&report);
    let mut wrong = Vec::new();
    for l in manifest()["lookalikes"].as_array().unwrap() {
        for f in found {
            if f["path"] == l["file"]
                && f["line"] == l["line"]
                && rank(f["confidence"].as_str().unwrap()) >= 2
            {
                wrong.push(format!(
                    "{}:{} {} reported as {} {}",
                    l["file"], l["line"], l["why"], f["rule"], f["confidence"]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "look-alikes reported:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_raw_value_in_any_output_or_on_stderr() {
    let m = manifest();
    let raws: BTreeSet<String> = m["planted"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            [
                p["raw"].as_str().unwrap().to_string(),
                p["normalized"].as_str().unwrap().to_string(),
            ]
        })
        .collect();
    let formats: &[&[&str]] = &[
        &["--format", "human", "--color", "always"],
        &["--format", "human", "--color", "never"],
        &["--format", "json"],
        &["--format", "jsonl"],
        &["--format", "sarif"],
    ];
    for format in formats {
        let mut args = vec!["scan", "fixtures", "--progress", "always"];
        args.extend_from_slice(format);
        let out = leaksweep(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stdout.is_empty(), "{format:?} wrote nothing");
        for raw in &raws {
            assert!(
                !stdout.contains(raw.as_str()),
                "{format:?} stdout holds raw value {raw}"
            );
            assert!(
                !stderr.contains(raw.as_str()),
                "{format:?} stderr holds raw value {raw}"
            );
        }
    }
    // The report file written with -o too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    let out = leaksweep(&[
        "scan",
        "fixtures",
        "--format",
        "sarif",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("\"ruleId\""));
    for raw in &raws {
        assert!(
            !written.contains(raw.as_str()),
            "report file holds raw value {raw}"
        );
    }
}

#[test]
fn exit_codes_follow_the_gate() {
    // Findings at medium or above: 1.
    assert_eq!(
        leaksweep(&["scan", "fixtures/planted"]).status.code(),
        Some(1)
    );
    // Gate off: 0.
    assert_eq!(
        leaksweep(&["scan", "fixtures/planted", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    // Only look-alikes (at most low): 0 at the default gate, 1 at --fail-on low
    // only if something low was reported.
    let out = leaksweep(&["scan", "fixtures/planted/lookalikes.txt"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Usage errors: 2.
    assert_eq!(
        leaksweep(&["scan", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(
        leaksweep(&["scan", "--jobs", "0", "fixtures"])
            .status
            .code(),
        Some(2)
    );
    // An unwritable report file is a fatal error: 2, with a lowercase message naming it.
    let out = leaksweep(&[
        "scan",
        "fixtures/demo",
        "-o",
        "/nonexistent-dir/report.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-dir/report.json"));
}

#[test]
fn every_input_is_accounted_for() {
    let (out, report) = scan_json!("fixtures/broken", "fixtures/no-such-file.txt");
    let skipped = report["skipped"].as_array().unwrap();
    let reasons: Vec<String> = skipped
        .iter()
        .map(|s| format!("{}: {}", s["path"], s["reason"]))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("binary.bin") && r.contains("binary")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("no-such-file.txt") && r.contains("no such file")),
        "{reasons:?}"
    );
    let summary = &report["summary"];
    // binary.bin, empty.txt, invalid_utf8.txt + the missing file.
    assert_eq!(
        summary["inputs_scanned"].as_u64().unwrap() + summary["inputs_skipped"].as_u64().unwrap(),
        4
    );
    // The invalid byte does not stop the rest of the file from being scanned.
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["path"] == "fixtures/broken/invalid_utf8.txt" && f["kind"] == "cn_mobile")
    );
    // Skips are also said on stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped fixtures/broken/binary.bin"));
}

/// The JSON reports of a file `name` of `lines`, scanned with the line gate
/// and without it.
fn gated_and_full(name: &str, lines: &[String]) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let p = path.to_str().unwrap();
    let (_, gated) = scan_json!(p);
    let (_, full) = scan_json!(p, "--no-line-gate");
    (gated, full)
}

/// Checks that the line gate changes nothing on `lines` (written to
/// `name`) and that the findings are `want`: line and kind, in order.
/// Returns the gated report.
fn assert_gated_kinds(name: &str, lines: &[String], want: &[(u64, &str)]) -> Value {
    let (gated, full) = gated_and_full(name, lines);
    assert_eq!(stable(&gated), stable(&full), "{name}");
    let found: Vec<(u64, &str)> = findings(&gated)
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(found, want, "{name}");
    gated
}

/// [`assert_gated_kinds`] on `lines` written to `{stem}.txt` and, each the
/// content of a message, to `{stem}.jsonl` (see [`written_as`]); the gated
/// reports, text first.
fn assert_gated_kinds_in_text_and_json(
    stem: &str,
    lines: &[String],
    want: &[(u64, &str)],
) -> [Value; 2] {
    [format!("{stem}.txt"), format!("{stem}.jsonl")]
        .map(|name| assert_gated_kinds(&name, &written_as(&name, lines), want))
}

/// `lines` as a file named `name` holds them: as they are in a text file,
/// each the content of a message (`{"content": …}`) in JSON lines.
fn written_as(name: &str, lines: &[String]) -> Vec<String> {
    if name.ends_with("jsonl") {
        lines
            .iter()
            .map(|l| serde_json::json!({ "content": l }).to_string())
            .collect()
    } else {
        lines.to_vec()
    }
}

/// Findings with the volatile fields removed.
fn stable(report: &Value) -> String {
    let mut r = report.clone();
    r["summary"]["elapsed_ms"] = Value::Null;
    // Only lines the full scan walks are checked for JSON validity, and the
    // line gate (on or off) decides which: a diagnostic, not a finding.
    r["summary"]["malformed_json_lines"] = Value::Null;
    serde_json::to_string(&r).unwrap()
}

#[test]
fn output_is_the_same_whatever_the_jobs_and_chunk_size() {
    let (_, one) = scan_json!("fixtures", "-j", "1");
    let (_, two) = scan_json!("fixtures", "-j", "2");
    let (_, small) = scan_json!("fixtures", "-j", "2", "--chunk-size", "4096");
    assert_eq!(stable(&one), stable(&two));
    assert_eq!(stable(&one), stable(&small));
}

#[test]
fn a_large_file_is_cut_into_chunks_without_losing_findings_or_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "{{\"msgid\":\"{i}\",\"msgtype\":\"text\",\"text\":{{\"content\":\"第{i}条 会议纪要，明天十点开会，地点三楼\"}}}}\n"
        ));
        if i % 500 == 7 {
            text.push_str("{\"msgtype\":\"text\",\"text\":{\"content\":\"我的手机 13800001234 身份证 110101190001010006\"}}\n");
        }
    }
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let (_, whole) = scan_json!(p, "-j", "1");
    let (_, chunked) = scan_json!(p, "-j", "2", "--chunk-size", "4096");
    assert_eq!(findings(&whole).len(), 12);
    assert_eq!(stable(&whole), stable(&chunked));
    let expected_lines: Vec<u64> = (0..6).map(|k| 500 * k + 7 + 1 + k + 1).collect();
    let lines: Vec<u64> = findings(&whole)
        .iter()
        .filter(|f| f["kind"] == "cn_mobile")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, expected_lines);
}

#[test]
fn stdin_is_scanned_as_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args(["scan", "-", "--format", "jsonl"])
        .env("LEAKSWEEP_FINGERPRINT_KEY", "k")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("联系人 手机：138-0000-1234\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["path"], "<stdin>");
    assert_eq!(first["masked"], "138****1234");
    assert_eq!(first["confidence"], "high");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(1), Some(8))
    );
    assert!(!stdout.contains("13800001234") && !stdout.contains("138-0000-1234"));
}

#[test]
fn fingerprints_are_keyed_and_the_builtin_key_is_announced() {
    let run = |key: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leaksweep"));
        cmd.args(["scan", "fixtures/demo/notes.txt", "--format", "json"])
            .current_dir(ROOT);
        cmd.env_remove("LEAKSWEEP_FINGERPRINT_KEY");
        if let Some(k) = key {
            cmd.args(["--fingerprint-key", k]);
        }
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (a, a_err) = run(Some("key-a"));
    let (b, _) = run(Some("key-b"));
    let (builtin, builtin_err) = run(None);
    assert_eq!(a["fingerprint_key"], "flag");
    assert_eq!(builtin["fingerprint_key"], "builtin");
    assert!(builtin_err.contains("built-in key"));
    assert!(!a_err.contains("built-in key"));
    let fa = &findings(&a)[0]["fingerprint"];
    assert_ne!(fa, &findings(&b)[0]["fingerprint"]);
    assert_ne!(fa, &findings(&builtin)[0]["fingerprint"]);
    assert_eq!(fa.as_str().unwrap().len(), 64);
}

#[test]
fn sarif_reads_back_and_validates_against_the_official_schema() {
    let out = leaksweep(&["scan", "fixtures", "--format", "sarif"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let sarif: serde_sarif::sarif::Sarif =
        serde_json::from_str(&text).expect("serde-sarif reads our SARIF");
    let run = &sarif.runs[0];
    let results = run.results.as_ref().unwrap();
    assert!(!results.is_empty());
    let rules = run.tool.driver.rules.as_ref().unwrap();
    for r in results {
        let id = r.rule_id.as_ref().unwrap();
        assert!(
            rules.iter().any(|d| &d.id == id),
            "result rule {id} not among the rules"
        );
        assert!(
            r.partial_fingerprints
                .as_ref()
                .unwrap()
                .contains_key("leaksweep/v1")
        );
        let uri = r.locations.as_ref().unwrap()[0]
            .physical_location
            .as_ref()
            .unwrap()
            .artifact_location
            .as_ref()
            .unwrap()
            .uri
            .clone()
            .unwrap();
        assert!(uri.starts_with("fixtures/"), "{uri}");
    }
    // The official schema (shared/schemas), kept in tests/data. Its root
    // constraints sit under definitions.Root; lift them so they apply.
    let schema_text =
        std::fs::read_to_string(Path::new(ROOT).join("tests/data/sarif-schema-2.1.0.json"))
            .unwrap();
    let mut schema: Value = serde_json::from_str(&schema_text).unwrap();
    if let Some(root) = schema["definitions"].get("Root").cloned() {
        for (k, v) in root.as_object().unwrap() {
            schema[k] = v.clone();
        }
    }
    let doc: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn rules_check_passes_and_rules_list_shows_every_rule() {
    let out = leaksweep(&["rules", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = leaksweep(&["rules", "list", "--format", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "cn_resident_id",
        "cn_mobile",
        "bank_card",
        "bank_account",
        "email",
        "cn_landline",
        "cn_passport",
        "hk_macau_permit",
        "taiwan_permit",
        "uscc",
        "hk_id",
        "taiwan_id",
        "wecom_secret",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for r in list.as_array().unwrap() {
        assert!(!r["examples"].as_array().unwrap().is_empty());
        assert!(!r["negative_examples"].as_array().unwrap().is_empty());
    }
}

#[test]
fn human_report_groups_by_file_and_summarises_distinct_values() {
    let out = leaksweep(&["scan", "fixtures/demo", "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fixtures/demo/contacts.csv\n"));
    assert!(text.contains("distinct"));
    assert!(!text.contains("\x1b["), "no colour when asked for none");
    let colored = leaksweep(&["scan", "fixtures/demo", "--color", "always"]);
    assert!(String::from_utf8(colored.stdout).unwrap().contains("\x1b["));
}

#[test]
fn identifiers_in_file_names_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("张三_13800001234_110101190001010006.txt");
    std::fs::write(&path, "手机 13900001234\n").unwrap();
    let missing = dir.path().join("李四_13700001234.csv");
    let out = leaksweep(&[
        "scan",
        path.to_str().unwrap(),
        missing.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for raw in [
        "13800001234",
        "110101190001010006",
        "13700001234",
        "13900001234",
    ] {
        assert!(!text.contains(raw), "{raw} in report");
        assert!(!stderr.contains(raw), "{raw} on stderr");
    }
    assert!(
        text.contains("张三_138****1234_110101********0006.txt"),
        "{text}"
    );
    assert!(stderr.contains("李四_137****1234.csv"), "{stderr}");
}

#[test]
fn regression_email_after_a_cut_regex_window_is_found() {
    // The email prefilter's window once ended inside the next row's email;
    // the cut match was rejected and the whole email skipped.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("members.csv");
    std::fs::write(
        &path,
        "姓名,帐号,职务,部门,手机,座机,个人邮箱,地址\n,,,,,,@example.org,深圳市福田区花园街53号10栋1901室\n蒋婷,JiangTing,运维工程师,行政部,133 5833 7594,,jiangting2@example.net,北京市朝阳区解放路324号\n田雨桐,TianYuTong26,实习生,供应链部,+86 15024973328,,tian.yutong35@example.net,\n",
    )
    .unwrap();
    let out = leaksweep(&["scan", path.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let emails: Vec<u64> = findings(&report)
        .iter()
        .filter(|f| f["kind"] == "email")
        .map(|f| f["record"]["row"].as_u64().unwrap())
        .collect();
    assert_eq!(emails, [3, 4]);
}

#[test]
fn regression_timestamps_in_urls_and_words_containing_payment_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "图片 https://img.example.com/a_1700002581/0 已上传\n客户名单 2023年会议 20230915 共 12345678 人\n用户名 zhangsan 登录 87654321 次\n",
    )
    .unwrap();
    let out = leaksweep(&["scan", path.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&report).is_empty(), "{:?}", findings(&report));
}

#[test]
fn a_value_under_a_negative_key_is_that_id_not_a_leak() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.jsonl");
    std::fs::write(
        &path,
        "{\"msgid\":\"6228480012345671\",\"msgtype\":\"text\",\"text\":{\"content\":\"卡号 6228480012345671\"}}\n",
    )
    .unwrap();
    let out = leaksweep(&["scan", path.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fields: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["record"]["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["text.content"]);
}

/// The line gate leaves out a line whose only confirmed candidates sit
/// under a key naming them as something else (`msgid`); these lines trap
/// it where the key or the value also holds a positive word, where the
/// key labels the value only through an array or a nested object, where
/// the line is not valid JSON, and where the key or value is escaped or
/// sits in JSON nested in a string.
#[test]
fn values_under_negative_keys_are_judged_the_same_with_and_without_the_gate() {
    let card = "6228480012345671";
    let id = "110101190001010006";
    let mobile = "13800001234";
    let account = "612345678901";
    let lines = [
        // Dropped: the key names the value as a message id.
        format!("{{\"msgid\":\"{card}\",\"msgtype\":\"text\"}}"),
        format!("{{\"msgid\":\"{card}_1696118582348_external\",\"n\":1}}"),
        format!("{{\"MsgID\":\"{id}\"}}"),
        format!("{{\"msgid\": {card} ,\"x\":\"y\"}}"),
        format!("{{\"a\":{{\"b\":[1,{{\"uuid\":\"{mobile}\"}}]}}}}"),
        format!("[{{\"order id\":\"{card} {mobile}\"}}]"),
        format!("{{\"msgid\":[\"{card}\"]}}"),
        format!("{{\"tolist\":[\"x\"],\"msgid\":[1,{{\"c\":2}},\"{id}\"]}}"),
        // Reported: a positive word or column synonym in the key or value.
        format!("{{\"卡号msgid\":\"{card}\"}}"),
        format!("{{\"msgid_mobile\":\"{mobile}\"}}"),
        format!("{{\"msgid\":\"卡号 {card}\"}}"),
        format!("{{\"msgid\":\"{card} 手机{mobile}\"}}"),
        format!("{{\"msgid\":\"{card}\",\"text\":{{\"content\":\"{id}\"}}}}"),
        format!("{{\"msgid\":\"{id}\",\"content\":\"{mobile}\"}}"),
        // Reported: not valid JSON, so the line is text without labels.
        format!("{{\"msgid\":\"{card}\""),
        format!("{{\"msgid\":\"{id}\"}} tail"),
        format!("{{\"msgid\":\"{mobile}\",}}"),
        // An account's word inside a neutral word (户名 in 客户名单) does
        // not count, also where the detector's window cuts the neutral
        // word (the second line); alone it does.
        format!("{{\"content\":\"客户名单的,{account}\"}}"),
        format!("{{\"content\":\"客户名单{},{account}\"}}", "的".repeat(36)),
        format!("{{\"content\":\"户名 {account}\"}}"),
        // Escaped lines, judged on their flat form (strings decoded, JSON
        // in strings written in place): dropped under a key that is
        // escaped or nested in a string; reported with the word in the
        // value, where the nested JSON does not walk or is not JSON (text
        // under the whole path), or with the word in the value or key.
        r#"{"msgid":"CARD","t":"\u4e2d"}"#.replace("CARD", card),
        r#"{"m\u0073gid":"CARD"}"#.replace("CARD", card),
        r#"{"c":"{\"msgid\":\"CARD\"}"}"#.replace("CARD", card),
        r#"{"c":"{\"x\":[{\"uuid\":\"CARD\"}],\"t\":\"\u4e2d\"}"}"#.replace("CARD", card),
        r#"{"c":"{\"msgid\":\"\u5361\u53f7 CARD\"}"}"#.replace("CARD", card),
        r#"{"c":"{\"msgid\":\"CARD\",}"}"#.replace("CARD", card),
        r#"{"c":"{\"msgid\":\"CARD\"}  x"}"#.replace("CARD", card),
        r#"{"c":"{\"a\":\"\u6237\u540d\",\"b\":\"ACCT\"}"}"#.replace("ACCT", account),
        r#"{"c":"{\"b\":\"\u6237\u540d ACCT\"}"}"#.replace("ACCT", account),
        r#"{"c":"{\"\u94f6\u884c\u8d26\u53f7\":ACCT}"}"#.replace("ACCT", account),
    ];
    assert_gated_kinds(
        "negative.jsonl",
        &lines,
        &[
            (9, "bank_card"),
            (10, "cn_mobile"),
            (11, "bank_card"),
            (12, "cn_mobile"),
            (13, "cn_resident_id"),
            (14, "cn_mobile"),
            (15, "bank_card"),
            (16, "cn_resident_id"),
            (17, "cn_mobile"),
            (20, "bank_account"),
            (25, "bank_card"),
            (26, "bank_card"),
            (27, "bank_card"),
            (29, "bank_account"),
            (30, "bank_account"),
        ],
    );
}

/// A keyword that an escape completes (`corpsecre\u0074`) makes the line
/// hot, also where it starts before the string's first escape and the
/// line has no flat form (a decoded quote in the same text).
#[test]
fn keywords_completed_by_an_escape_pass_the_gate() {
    let secret = "Ab3xK9mP2qR7sT5vW8yZ1cD4fG6hJ0kL2nQ4rS6tU8w";
    let lines = [
        format!(r#"{{"a":"corpsecre\u0074={secret}"}}"#),
        format!(r#"{{"a":"corpsecre\u0074={secret} \"x\""}}"#),
        format!(r#"{{"b":"\u4e2d","a":"corpsecre\u0074={secret}"}}"#),
    ];
    let (gated, full) = gated_and_full("keywords.jsonl", &lines);
    assert_eq!(findings(&full).len(), 3);
    assert_eq!(stable(&gated), stable(&full));
}

#[test]
fn identifiers_in_container_entry_names_are_masked() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("张三_13800001234.txt", opts).unwrap();
    zip.write_all("手机 13900001234\n".as_bytes()).unwrap();
    zip.start_file("李四_13700001234.bin", opts).unwrap();
    zip.write_all(&[0u8, 1, 2, 0, 0, 0, 7, 0]).unwrap();
    zip.finish().unwrap();
    let out = leaksweep(&["scan", path.to_str().unwrap(), "--format", "json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for raw in ["13800001234", "13700001234", "13900001234"] {
        assert!(
            !text.contains(raw) && !stderr.contains(raw),
            "{raw} leaked: {text} {stderr}"
        );
    }
    assert!(text.contains("export.zip!张三_138****1234.txt"), "{text}");
    assert!(text.contains("export.zip!李四_137****1234.bin"), "{text}");
}

/// Lines mixing every trap the line gate must not fall into: values next
/// to their context words (on the line, on the line before, under a JSON
/// key), format-only values, escapes, malformed JSON, look-alikes.
fn gate_trap_lines(json: bool, seed: u64) -> String {
    let values = [
        "13800001234",
        "138 0000 1234",
        "110101190001010006",
        "6228480012345671",
        "11002233445566778",
        "12345678",
        "E12345678",
        "2023-10-20",
        "2023/10/20 13",
        "209849.58",
        "1100.2233.4455",
        "1700000000000",
        "zhangsan@example.com",
        "幺三八零零零零一二三四",
        "１３８００００１２３４",
    ];
    let words = [
        "",
        "手机",
        "户名：某公司 账号",
        "台胞证",
        "护照号",
        "订单号",
        "卡号",
        "身份证号",
        "开户行",
        "hi",
        // ASCII words count only standing alone (`stands_alone`).
        "MTP",
        "LmtpNW",
        "hotel",
        "wxVxq",
        // Mentions: a keyword (`@`) that no email holds.
        "@李明",
        "@everyone",
    ];
    let keys = [
        "content",
        "mobile",
        "bank_account",
        "msgtime",
        "银行账号",
        "note",
    ];
    let mut x = seed;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    // `\uXXXX` escapes as ensure_ascii dumps write them (`all`: every
    // character, digits too, as a hostile writer may).
    let esc = |s: &str, all: bool| -> String {
        let mut o = String::new();
        for c in s.chars() {
            if c.is_ascii() && !all && c != '"' && c != '\\' && c >= ' ' {
                o.push(c);
            } else {
                for u in c.encode_utf16(&mut [0u16; 2]) {
                    o.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        o
    };
    let mut out = String::new();
    for i in 0..400 {
        let v = values[next(values.len())];
        let w = words[next(words.len())];
        let k = keys[next(keys.len())];
        let line = if !json {
            match next(4) {
                0 => format!("第{i}行 {w} {v} 结束"),
                1 => format!("{w}：\n{v}"),
                2 => format!("路径 C:\\data\\{w}\\u0031 {v}"),
                _ => format!("{v} 是{w}"),
            }
        } else {
            match next(15) {
                0 => format!("{{\"msgid\":\"m{i}\",\"{k}\":\"{w} {v}\"}}"),
                1 => format!(
                    "{{\"msgid\":\"m{i}\",\"{k}\":{}}}",
                    v.replace([' ', '-'], "")
                ),
                2 => format!("{{\"msgid\":\"m{i}\",\"tolist\":[\"{v}\"],\"note\":\"{w}\"}}"),
                3 => format!("{{\"msgid\":\"m{i}\",\"{k}\":\"{w} {v}\" broken"),
                4 => format!("{{\"text\":{{\"content\":\"\\u624b\\u673a {v}\"}}}}"),
                // Escaped lines: the gate judges them on decoded levels.
                5 => format!(
                    "{{\"msgid\":\"m{i}\",\"text\":{{\"content\":\"{}\"}}}}",
                    esc(&format!("{w} {v}"), next(2) == 0)
                ),
                6 => format!(
                    "{{\"msgid\":\"m{i}\",\"{}\":\"{} {v}\"}}",
                    esc(k, true),
                    esc(w, false)
                ),
                7 => {
                    let inner = serde_json::json!({ k: format!("{w} {v}") }).to_string();
                    let item = format!("{{\"content\":\"{}\"}}", esc(&inner, false));
                    format!(
                        "{{\"msgid\":\"m{i}\",\"msgtype\":\"chatrecord\",\"chatrecord\":{{\"item\":[{}]}}}}",
                        if next(2) == 0 {
                            item
                        } else {
                            format!("{{\"content\":\"{}\"}}", esc(&item, false))
                        }
                    )
                }
                8 => format!(
                    "{{\"msgid\":\"m{i}\",\"text\":\"{} {v}\" broken",
                    esc(w, false)
                ),
                9 => format!(
                    "{{\"msgid\":\"m{i}\",\"{k}\":\"{}\\n{v} \\\"x\\\" \\\\\"}}",
                    esc(w, false)
                ),
                10 => format!("plain {} {v} \\u0031", esc(w, true)),
                // Blanks around an escaped line.
                12 => format!(
                    " \t{{\"msgid\":\"m{i}\",\"{k}\":\"{}\"}}\t ",
                    esc(&format!("{w} {v}"), next(2) == 0)
                ),
                // The words and value in the last of several escaped
                // strings, plain strings and numbers between them.
                13 => format!(
                    "{{\"a\":\"\\u6536\",\"msgid\":\"m{i}\",\"n\":123,\"note\":\"ok\",\"{k}\":\"{}\"}}",
                    esc(&format!("{w} {v}"), next(2) == 0)
                ),
                // A surrogate pair, `\/` and `\t` next to the value, a
                // string ending in an escaped backslash.
                14 => format!(
                    "{{\"msgid\":\"m{i}\",\"{k}\":\"\\ud83d\\ude00{}\\/{v}\\t\\\\\",\"x\":\"\\\\\"}}",
                    esc(w, false)
                ),
                _ => format!("plain {w} {v}"),
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// In a payment block an amount or a date is not an account number: the
/// format-only rules (`bank_account`, `taiwan_permit`) take no candidate
/// with a decimal point or written as a date, and the gate agrees; the
/// account itself, in one piece or grouped, is still reported, and a
/// checked rule still reads a dotted mobile.
#[test]
fn amounts_and_dates_in_a_payment_block_are_no_accounts() {
    let lines: Vec<String> = [
        "户名：某某科技有限公司 账号：209849.58 开户行：工行",
        "户名：某某科技有限公司 账号 2023-10-20 开户行：工行",
        "户名 张三 开户行 工行 账号 2023/10/20 13:25",
        "台胞证 2023.10.20",
        "户名：某某科技有限公司 账号：1100 2233 4455 6677 889 开户行：工行",
        "户名：某某科技有限公司 账号：1100-2233-4455 开户行：工行",
        "手机 138.0013.8000",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    assert_gated_kinds_in_text_and_json(
        "payment",
        &lines,
        &[(5, "bank_account"), (6, "bank_account"), (7, "cn_mobile")],
    );
}

#[test]
fn ascii_context_words_count_only_standing_alone() {
    // `mtp` (台胞证) and `tel` inside other words or the random letters of a
    // URL's key are no context; standing alone, or followed by the digits,
    // they are.
    // Each between two lines of chat: a window reaches one line back.
    let lines: Vec<String> = [
        "https://wework.qpic.cn/wwpic/524893_6TLsEKqLmtpNWYIqVZS9rZ_1698135578/0",
        "MTP 12345678",
        "LmtpNW 12345678",
        "hotel 13800001234",
        "tel13800001234 或 tel: 13800001234",
        "telephone 13800001234",
    ]
    .iter()
    .flat_map(|l| [l.to_string(), "下午三点开会".to_string()])
    .collect();
    let reports = assert_gated_kinds_in_text_and_json(
        "words",
        &lines,
        &[
            (3, "taiwan_permit"),
            (7, "cn_mobile"),
            (9, "cn_mobile"),
            (11, "cn_mobile"),
        ],
    );
    for gated in reports {
        let confidence: Vec<(u64, &str)> = findings(&gated)
            .iter()
            .map(|f| {
                let c = f["confidence"].as_str().unwrap();
                (f["line"].as_u64().unwrap(), c)
            })
            .collect();
        // Without a word, a mobile stays at medium; `tel: ` and `telephone`
        // raise it (`tel13800001234` touches a letter: no candidate).
        assert_eq!(
            confidence,
            [(3, "low"), (7, "medium"), (9, "high"), (11, "high")]
        );
    }
}

#[test]
fn mentions_are_no_emails_and_emails_next_to_them_are_found() {
    let lines: Vec<String> = [
        "@李明 明天开会",
        "邮箱 zhangsan@example.com",
        "@everyone 手机 13800001234",
        "@王芳 张三的邮箱是 zhang.san@example.cn，@李明 知悉",
        "费用 @ 120 元，(at) 和 [at] 都不是邮箱",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    assert_gated_kinds_in_text_and_json(
        "mentions",
        &lines,
        &[(2, "email"), (3, "cn_mobile"), (4, "email")],
    );
    // Dumped ASCII-only (`ensure_ascii`): every line has escapes, and the
    // gate judges its decoded text.
    let ascii: Vec<String> = written_as("mentions.jsonl", &lines)
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| match c.is_ascii() {
                    true => c.to_string(),
                    false => c
                        .encode_utf16(&mut [0u16; 2])
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect(),
                })
                .collect()
        })
        .collect();
    assert!(ascii.iter().all(|l| l.is_ascii() && l.contains("\\u")));
    assert_gated_kinds(
        "mentions-ascii.jsonl",
        &ascii,
        &[(2, "email"), (3, "cn_mobile"), (4, "email")],
    );
}

#[test]
fn more_than_64_rules_keep_every_line_hot_whatever_its_keywords() {
    // With more rules than the gate's bit sets name, every line is hot
    // (the gate has no context words then): a mention (a keyword no email
    // holds) must not make one cold, or the account number next to its
    // words would be lost.
    let dir = tempfile::tempdir().unwrap();
    let mut rules = String::new();
    for i in 0..50 {
        let d = i % 10;
        for line in [
            "[[rule]]".to_string(),
            format!("id = \"staff_no_{i}\""),
            format!("name = \"Staff number {i}\""),
            "kind = \"staff_no\"".to_string(),
            "description = \"Seven-digit staff number.\"".to_string(),
            "severity = \"low\"".to_string(),
            "match = \"token\"".to_string(),
            "lengths = [7]".to_string(),
            format!("shape = \"{d}[0-9]{{6}}\""),
            "strength = \"checked\"".to_string(),
            "mask = \"document\"".to_string(),
            format!("examples = [\"工号 {d}123456\"]"),
            "negative_examples = [\"12345\"]".to_string(),
        ] {
            rules.push_str(&line);
            rules.push('\n');
        }
    }
    let rules_path = dir.path().join("many.toml");
    std::fs::write(&rules_path, rules).unwrap();
    let text = dir.path().join("staff.txt");
    std::fs::write(
        &text,
        "@李明 工号 9123456 明天到岗\n@王芳 户名：某某科技有限公司 账号：1100-2233-4455 开户行：工行\n",
    )
    .unwrap();
    let (r, t) = (rules_path.to_str().unwrap(), text.to_str().unwrap());
    let (_, gated) = scan_json!("--rules", r, t);
    let (_, full) = scan_json!("--rules", r, "--no-line-gate", t);
    assert_eq!(stable(&gated), stable(&full));
    let kinds: Vec<&str> = findings(&gated)
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["staff_no", "bank_account"]);
}

#[test]
fn the_line_gate_changes_nothing() {
    let (_, gated) = scan_json!("fixtures");
    let (_, full) = scan_json!("fixtures", "--no-line-gate");
    assert_eq!(stable(&gated), stable(&full));
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=4u64 {
        for (json, name) in [(true, "traps.jsonl"), (false, "traps.txt")] {
            let path = dir.path().join(name);
            std::fs::write(&path, gate_trap_lines(json, seed * 7919)).unwrap();
            let p = path.to_str().unwrap();
            let (_, gated) = scan_json!(p, "--chunk-size", "4096");
            let (_, full) = scan_json!(p, "--no-line-gate", "--chunk-size", "4096");
            assert!(!findings(&full).is_empty());
            assert_eq!(stable(&gated), stable(&full), "seed {seed}, {name}");
        }
    }
}

#[test]
fn workers_reading_files_report_what_a_reader_thread_does() {
    // `--reader workers`: the workers pull the chunks of a regular file of
    // lines themselves; the chunks, their numbers and the report must be
    // those of the reader thread, at any chunk size and job count.
    let dir = tempfile::tempdir().unwrap();
    let mut paths = vec!["fixtures".to_string()];
    for (json, name) in [(true, "traps.jsonl"), (false, "traps.txt")] {
        let path = dir.path().join(name);
        std::fs::write(&path, gate_trap_lines(json, 104_729)).unwrap();
        paths.push(path.to_str().unwrap().to_string());
    }
    for p in &paths {
        for (jobs, size) in [("1", "4096"), ("3", "4096"), ("2", "1048576")] {
            let (_, thread) = scan_json!(p, "-j", jobs, "--chunk-size", size, "--reader", "thread");
            let (_, workers) =
                scan_json!(p, "-j", jobs, "--chunk-size", size, "--reader", "workers");
            assert!(!findings(&thread).is_empty());
            assert_eq!(
                stable(&thread),
                stable(&workers),
                "{p} -j {jobs} --chunk-size {size}"
            );
            let malformed = |r: &Value| r["summary"]["malformed_json_lines"].clone();
            assert_eq!(malformed(&thread), malformed(&workers));
        }
    }
}

#[test]
fn identifiers_straddling_chunk_borders_are_found_exactly_once() {
    // Lines of every length around the 4 KiB chunk size, each holding an
    // identifier whose context word is on the line before, so that chunk
    // borders fall before, inside and after the values and their labels;
    // then one line far longer than a chunk.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("borders.txt");
    let mut text = String::new();
    let mut planted = 0;
    for i in 0..300usize {
        text.push_str(&"闲聊".repeat(i % 37));
        text.push_str("身份证号：\n");
        text.push_str(&"x".repeat(i % 13));
        text.push_str(" 110101190001010006 核对\n");
        planted += 1;
    }
    let mut long = String::new();
    for _ in 0..600 {
        long.push_str("手机 13800001234，");
        planted += 1;
    }
    text.push_str(&long);
    text.push('\n');
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let (_, whole) = scan_json!(p, "--chunk-size", "67108864");
    assert_eq!(findings(&whole).len(), planted);
    assert!(findings(&whole).iter().all(|f| f["confidence"] == "high"));
    let positions = |r: &Value| -> BTreeSet<(u64, u64)> {
        findings(r)
            .iter()
            .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(positions(&whole).len(), planted, "each value once");
    for size in ["4096", "4099", "5000", "8191"] {
        for jobs in ["1", "2"] {
            let (_, cut) = scan_json!(p, "--chunk-size", size, "-j", jobs);
            let missing: Vec<_> = positions(&whole)
                .difference(&positions(&cut))
                .copied()
                .collect();
            assert!(
                missing.is_empty(),
                "chunk size {size}, -j {jobs}: lost {missing:?}"
            );
            assert!(
                stable(&whole) == stable(&cut),
                "chunk size {size}, -j {jobs}: reports differ"
            );
        }
    }
}

/// Distinct counts: a kind's counts a value once across columns, files
/// and plain text; a column's counts its own values, of every kind in it.
#[test]
fn distinct_counts_are_per_kind_across_inputs_and_per_column() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2, p3, p4) = ("13912345678", "13722223333", "18655556666", "15011112222");
    std::fs::write(
        dir.path().join("a.csv"),
        format!(
            "姓名,手机,备用手机,联系方式\n张三,{p1},{p1},{p2}\n李四,{p2},,wang@example.com\n王五,{p2},,\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        format!("姓名,手机\n赵六,{p1}\n钱七,{p3}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c.txt"),
        format!("联系人手机号 {p1}\n另一个手机号 {p4}\n"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (out, report) = scan_json!(d, "-j2");
    let text = String::from_utf8_lossy(&out.stdout);
    for raw in [p1, p2, p3, p4, "wang@example.com"] {
        assert!(!text.contains(raw), "{raw} in the report");
    }
    let summary = &report["summary"];
    let mobile = &summary["by_kind"]["cn_mobile"];
    assert_eq!(mobile["findings"], 9, "{summary}");
    assert_eq!(mobile["distinct"], 4, "{summary}");
    assert_eq!(summary["by_kind"]["email"]["distinct"], 1, "{summary}");
    let column = |file: &str, header: &str| {
        summary["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"].as_str().unwrap().ends_with(file) && c["header"] == header)
            .unwrap_or_else(|| panic!("no column {file} {header}: {summary}"))
            .clone()
    };
    let c = column("a.csv", "手机");
    assert_eq!(
        (c["findings"].clone(), c["distinct"].clone()),
        (3.into(), 2.into())
    );
    let c = column("a.csv", "备用手机");
    assert_eq!(
        (c["findings"].clone(), c["distinct"].clone()),
        (1.into(), 1.into())
    );
    let c = column("a.csv", "联系方式");
    assert_eq!(
        (c["findings"].clone(), c["distinct"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(c["kinds"], serde_json::json!(["cn_mobile", "email"]));
    let c = column("b.csv", "手机");
    assert_eq!(
        (c["findings"].clone(), c["distinct"].clone()),
        (2.into(), 2.into())
    );
}

/// Distinct counts stay exact under the memory budget and become marked
/// estimates past it, in every report, without changing anything else.
#[test]
fn distinct_counts_past_the_budget_are_marked_estimates() {
    let (_, exact) = scan_json!("fixtures/demo", "-j1");
    let (_, est) = scan_json!("fixtures/demo", "-j1", "--distinct-budget", "2");
    assert_eq!(exact["summary"]["findings"], est["summary"]["findings"]);
    assert_eq!(findings(&exact), findings(&est));
    let kinds = exact["summary"]["by_kind"].as_object().unwrap();
    assert!(kinds.len() >= 3);
    let mut estimated = 0;
    for (kind, count) in kinds {
        assert!(count.get("distinct_estimated").is_none(), "{kind}");
        let e = &est["summary"]["by_kind"][kind];
        let (want, got) = (
            count["distinct"].as_u64().unwrap() as f64,
            e["distinct"].as_u64().unwrap() as f64,
        );
        // HyperLogLog with 2^14 registers: small counts are near exact.
        assert!(
            (want - got).abs() <= 1.0 + want * 0.03,
            "{kind}: {want} vs {got}"
        );
        assert!(got <= e["findings"].as_u64().unwrap() as f64, "{kind}");
        if e["distinct_estimated"] == true {
            estimated += 1;
        }
    }
    assert!(estimated >= 1, "the budget of 2 was passed");
    let out = leaksweep(&[
        "scan",
        "fixtures/demo",
        "--color",
        "never",
        "--distinct-budget",
        "2",
    ]);
    assert!(String::from_utf8(out.stdout).unwrap().contains(" ~"));
}
