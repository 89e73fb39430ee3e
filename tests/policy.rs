//! Integration tests for what the user owns: custom rules and word lists,
//! the config file and its precedence, allowlists, excludes, baselines,
//! exit codes, `rules check` on broken rule files, shell completions and
//! `leaksweep fingerprint`. Each test builds its own small tree in a
//! temporary folder and drives the built binary over it.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const KEY: &str = "policy-test-key";

/// Synthetic values planted in the trees (valid segments; no real person).
const MOBILE_A: &str = "13800138000";
const MOBILE_B: &str = "13912345678";
const MOBILE_C: &str = "15000000002";
const MOBILE_NEW: &str = "13700000001";

/// A command in `dir` with the test key and no inherited LEAKSWEEP_*
/// settings.
fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leaksweep"));
    c.args(args)
        .current_dir(dir)
        .env("LEAKSWEEP_FINGERPRINT_KEY", KEY)
        .env_remove("LEAKSWEEP_CONFIG")
        .env_remove("LEAKSWEEP_FAIL_ON")
        .env_remove("LEAKSWEEP_MIN_CONFIDENCE")
        .env_remove("LEAKSWEEP_EXIT_CODE")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().expect("run leaksweep")
}

/// Runs `scan --format json ARGS` in `dir` and parses the report.
fn scan(dir: &Path, args: &[&str]) -> (Output, Value) {
    let mut all = vec!["scan", "--format", "json", "--progress", "never"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

fn findings(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn rules_of(report: &Value) -> Vec<String> {
    findings(report).into_iter().map(|f| f.0).collect()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// A tree with three mobiles in three files.
fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "notes.txt",
        &format!("张三 手机 {MOBILE_A}\n普通的一行\n"),
    );
    write(t.path(), "sub/b.txt", &format!("李四 手机 {MOBILE_B}\n"));
    write(t.path(), "vendor/c.txt", &format!("王五 手机 {MOBILE_C}\n"));
    t
}

/// Scans `dir` writing a baseline of its findings to `base`.
fn write_baseline(dir: &Path, base: &Path) -> Output {
    run(
        dir,
        &[
            "scan",
            ".",
            "--progress",
            "never",
            "--write-baseline",
            base.to_str().unwrap(),
        ],
    )
}

fn assert_no_raw(out: &Output, raws: &[&str]) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for raw in raws {
            assert!(!text.contains(raw), "raw value {raw} in output:\n{text}");
        }
    }
}

#[test]
fn a_custom_regex_rule_and_a_word_list_are_found_with_their_own_ids() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "chat.txt",
        "工号 EMP-204518 已离职\n项目 Project Bluefin 下月发布\nbluefinch 是一种鸟\n白鹭行动 已启动\n青龙计划下周启动\n",
    );
    let rules = Path::new(ROOT).join("fixtures/rules/custom.toml");
    let (out, report) = scan(t.path(), &["--rules", rules.to_str().unwrap(), "."]);
    // The word-list rule is `checked`: medium confidence without context,
    // which fails the default gate.
    assert_eq!(code(&out), 1, "{report}");
    let mut found = findings(&report);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("acme_codenames".to_string(), "./chat.txt".to_string(), 2),
            ("acme_codenames".to_string(), "./chat.txt".to_string(), 4),
            ("acme_codenames".to_string(), "./chat.txt".to_string(), 5),
            ("acme_employee_no".to_string(), "./chat.txt".to_string(), 1),
        ],
        "whole-word ASCII terms only (not `bluefinch`), Chinese terms anywhere"
    );
    assert_no_raw(
        &out,
        &["204518", "Bluefin", "bluefin", "白鹭行动", "青龙计划"],
    );
    let (out, _) = scan(
        t.path(),
        &["--rules", rules.to_str().unwrap(), "--fail-on", "high", "."],
    );
    assert_eq!(code(&out), 0);
    // A folder of rule files works too, and the example word list ships.
    let user = Path::new(ROOT).join("patterns/user");
    write(t.path(), "chat.txt", "今天的红包记得领\n");
    let (_, report) = scan(t.path(), &["--rules", user.to_str().unwrap(), "."]);
    assert_eq!(rules_of(&report), ["sensitive_words"]);
}

#[test]
fn a_disabled_rule_is_silent_and_flags_beat_the_config_file() {
    let t = tree();
    let (_, report) = scan(t.path(), &["--disable-rule", "cn_mobile", "."]);
    assert!(rules_of(&report).is_empty(), "{report}");
    write(t.path(), ".leaksweep.toml", "disable = [\"cn_mobile\"]\n");
    let (_, report) = scan(t.path(), &["."]);
    assert!(
        rules_of(&report).is_empty(),
        "the config disables it: {report}"
    );
    let (_, report) = scan(t.path(), &["--enable-rule", "cn_mobile", "."]);
    assert_eq!(rules_of(&report).len(), 3, "the flag turns it back on");
    // An id no rule has is an error, not a silent no-op.
    let out = run(t.path(), &["scan", "--disable-rule", "cn_mobil", "."]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cn_mobil"));
    // Severity overrides from the config reach the report.
    write(
        t.path(),
        ".leaksweep.toml",
        "[severity]\ncn_mobile = \"critical\"\n",
    );
    let (_, report) = scan(t.path(), &["."]);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "critical")
    );
}

#[test]
fn each_allowlist_kind_suppresses_only_its_findings_and_is_counted() {
    let t = tree();
    let (_, report) = scan(t.path(), &["."]);
    let fp_b = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "./sub/b.txt")
        .expect("b.txt finding")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // Inline marker on the line of A; fingerprint of B; path of C.
    write(
        t.path(),
        "notes.txt",
        &format!("张三 手机 {MOBILE_A} # leaksweep:allow\n普通的一行\n"),
    );
    write(
        t.path(),
        ".leaksweep.toml",
        &format!("[allow]\nfingerprints = [\"{fp_b}\"]\npaths = [\"vendor/\"]\n"),
    );
    let (out, report) = scan(t.path(), &["."]);
    assert!(rules_of(&report).is_empty(), "{report}");
    assert_eq!(code(&out), 0);
    let s = &report["summary"]["suppressed"];
    assert_eq!(
        (
            s["inline"].as_u64(),
            s["fingerprint"].as_u64(),
            s["path"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(
        report["summary"]["inputs_scanned"], 4,
        "allowlisted files are still read"
    );
    // A fingerprint prefix of 16 hex digits works; a value regex works.
    write(t.path(), "notes.txt", &format!("张三 手机 {MOBILE_A}\n"));
    write(
        t.path(),
        ".leaksweep.toml",
        &format!(
            "[allow]\nfingerprints = [\"{}\"]\nvalues = ['^1380013800[0-9]$']\n",
            &fp_b[..16]
        ),
    );
    let (_, report) = scan(t.path(), &["."]);
    assert_eq!(
        findings(&report),
        [("cn_mobile".to_string(), "./vendor/c.txt".to_string(), 1)]
    );
    assert_eq!(report["summary"]["suppressed"]["value"], 1);
    assert_eq!(report["summary"]["suppressed"]["fingerprint"], 1);
    // The marker only covers its own line.
    write(
        t.path(),
        "notes.txt",
        &format!("张三 手机 {MOBILE_A}\n# leaksweep:allow\n"),
    );
    write(t.path(), ".leaksweep.toml", "");
    let (_, report) = scan(t.path(), &["notes.txt"]);
    assert_eq!(rules_of(&report), ["cn_mobile"]);
    // A bad allowlist entry is an error naming the file.
    write(
        t.path(),
        ".leaksweep.toml",
        "[allow]\nfingerprints = [\"abc\"]\n",
    );
    let out = run(t.path(), &["scan", "."]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains(".leaksweep.toml"));
}

#[test]
fn the_inline_marker_works_in_json_lines_and_csv_rows() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "archive.jsonl",
        &format!(
            "{{\"msgid\":\"m1\",\"msgtype\":\"text\",\"text\":{{\"content\":\"手机 {MOBILE_A}\"}},\"note\":\"leaksweep:allow\"}}\n{{\"msgid\":\"m2\",\"msgtype\":\"text\",\"text\":{{\"content\":\"手机 {MOBILE_B}\"}}}}\n"
        ),
    );
    write(
        t.path(),
        "members.csv",
        &format!("姓名,手机,备注\n张三,{MOBILE_C},leaksweep:allow\n李四,{MOBILE_NEW},\n"),
    );
    let (_, report) = scan(t.path(), &["."]);
    let mut found = findings(&report);
    found.sort();
    assert_eq!(
        found,
        [
            ("cn_mobile".to_string(), "./archive.jsonl".to_string(), 2),
            ("cn_mobile".to_string(), "./members.csv".to_string(), 3),
        ]
    );
    assert_eq!(report["summary"]["suppressed"]["inline"], 2);
}

#[test]
fn the_inline_marker_holds_across_escapes_and_chunk_borders() {
    let t = tempfile::tempdir().unwrap();
    let filler = "普通的一行，没有号码。".repeat(40);
    // JSON lines (gated): a marker written with an escape is still the
    // marker (the decoded copy is searched); the next line is not covered.
    let mut archive = String::new();
    for i in 0..60 {
        archive.push_str(&format!(
            "{{\"msgid\":\"m{i}\",\"msgtype\":\"text\",\"text\":{{\"content\":\"{filler}\"}}}}\n"
        ));
    }
    archive.push_str(&format!(
        "{{\"msgid\":\"a\",\"text\":{{\"content\":\"手机 {MOBILE_A}\"}},\"note\":\"leaksweep\\u003aallow\"}}\n"
    ));
    archive.push_str(&format!(
        "{{\"msgid\":\"b\",\"text\":{{\"content\":\"手机 {MOBILE_B}\"}}}}\n"
    ));
    write(t.path(), "archive.jsonl", &archive);
    // Plain text cut into small chunks: a marker on the line before a
    // chunk's first line does not cover it; a marker on a line longer
    // than a chunk covers the value in the line's next chunk.
    // Lines of 1,321 bytes: 4,096-byte chunks hold three; then line 32
    // (marker at its end) closes a chunk and line 33 opens the next, with
    // the end of line 32 lent to it as context.
    let mut notes = String::new();
    for _ in 0..31 {
        notes.push_str(&filler);
        notes.push('\n');
    }
    notes.push_str(&format!(
        "{}{} # leaksweep:allow\n",
        "x".repeat(100),
        filler.repeat(2)
    ));
    notes.push_str(&format!("手机 {MOBILE_C}\n"));
    // Line 34 is longer than a chunk: it is cut after the marker (the
    // last character that breaks a run before 4,096 bytes) and the value
    // lies in the next chunk, with the marker in its lent context.
    notes.push_str(&format!(
        "{} # leaksweep:allow {} 手机 {MOBILE_NEW}\n",
        filler.repeat(3),
        "x".repeat(150)
    ));
    write(t.path(), "notes.txt", &notes);
    for size in ["4096", "1048576"] {
        let (_, report) = scan(t.path(), &["--chunk-size", size, "."]);
        let mut found = findings(&report);
        found.sort();
        assert_eq!(
            found,
            [
                ("cn_mobile".to_string(), "./archive.jsonl".to_string(), 62),
                ("cn_mobile".to_string(), "./notes.txt".to_string(), 33),
            ],
            "chunk size {size}"
        );
        assert_eq!(
            report["summary"]["suppressed"]["inline"], 2,
            "chunk size {size}"
        );
    }
}

#[test]
fn excludes_and_leaksweepignore_leave_paths_out_but_count_them() {
    let t = tree();
    let (_, report) = scan(t.path(), &["--exclude", "vendor/", "."]);
    assert_eq!(rules_of(&report).len(), 2);
    assert_eq!(report["summary"]["inputs_excluded"], 1);
    write(
        t.path(),
        ".leaksweepignore",
        "# third-party\nvendor/\nsub/*.txt\n",
    );
    let (_, report) = scan(t.path(), &["."]);
    assert_eq!(
        findings(&report),
        [("cn_mobile".to_string(), "./notes.txt".to_string(), 1)]
    );
    assert_eq!(report["summary"]["inputs_excluded"], 2);
    let (_, report) = scan(t.path(), &["--no-ignore", "."]);
    assert_eq!(rules_of(&report).len(), 3);
    // A file named on the command line is always read.
    let (_, report) = scan(t.path(), &["vendor/c.txt"]);
    assert_eq!(rules_of(&report).len(), 1);
}

/// JSON Lines writes a chunk's findings in one piece when no baseline
/// leaves one out, and the pieces between those it leaves out otherwise:
/// the same lines, in the same order, as the JSON report's findings.
#[test]
fn json_lines_with_a_baseline_keep_the_findings_around_the_known_ones() {
    let t = tree();
    // A baseline knows each copy of a value: three here.
    let a3 = format!("张三 手机 {MOBILE_A}\n").repeat(3);
    write(t.path(), "notes.txt", &a3);
    let base = t.path().join("baseline.json");
    let out = write_baseline(t.path(), &base);
    assert_eq!(code(&out), 1);
    // Known values first, between and last among new ones, in one chunk.
    let other = "13600000003";
    write(
        t.path(),
        "notes.txt",
        &format!(
            "张三 手机 {MOBILE_A}\n赵六 手机 {MOBILE_NEW}\n张三 手机 {MOBILE_A}\n钱七 手机 {other}\n赵六 手机 {MOBILE_NEW}\n张三 手机 {MOBILE_A}\n"
        ),
    );
    for baseline in [None, Some(base.to_str().unwrap())] {
        let mut args = vec!["notes.txt"];
        if let Some(b) = baseline {
            args.extend(["--baseline", b]);
        }
        let (_, report) = scan(t.path(), &args);
        let mut all = vec!["scan", "--format", "jsonl", "--progress", "never"];
        all.extend(&args);
        let out = run(t.path(), &all);
        assert_no_raw(&out, &[MOBILE_A, MOBILE_NEW, other]);
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|l: &Value| l["type"] == "finding")
            .collect();
        let lines: Vec<(String, String, u64)> = lines
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        let lines_of = |ls: &[(String, String, u64)]| ls.iter().map(|f| f.2).collect::<Vec<_>>();
        assert_eq!(lines, findings(&report), "baseline {baseline:?}");
        let want: &[u64] = if baseline.is_some() {
            &[2, 4, 5]
        } else {
            &[1, 2, 3, 4, 5, 6]
        };
        assert_eq!(lines_of(&lines), want, "baseline {baseline:?}");
    }
}

#[test]
fn a_baseline_survives_shifted_lines_and_lets_new_findings_through() {
    let t = tree();
    let base = t.path().join("baseline.json");
    let out = write_baseline(t.path(), &base);
    assert_eq!(
        code(&out),
        1,
        "writing a baseline does not change the exit code"
    );
    let text = std::fs::read_to_string(&base).unwrap();
    for raw in [MOBILE_A, MOBILE_B, MOBILE_C] {
        assert!(!text.contains(raw), "raw value in the baseline");
    }
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["findings"].as_array().unwrap().len(), 3);
    // Shift and reformat the file: lines move, the value stays.
    write(
        t.path(),
        "notes.txt",
        &format!("# 新增的标题\n\n普通的一行\n    张三   手机：{MOBILE_A}   \n"),
    );
    let (out, report) = scan(t.path(), &["--baseline", base.to_str().unwrap(), "."]);
    assert_eq!(code(&out), 0, "{report}");
    assert!(rules_of(&report).is_empty());
    assert_eq!(report["summary"]["suppressed"]["baseline"], 3);
    // The same scan from the parent folder matches too (paths are relative
    // to the scanned folder).
    let parent = t.path().parent().unwrap();
    let name = t.path().file_name().unwrap().to_str().unwrap();
    let (out, _) = scan(parent, &["--baseline", base.to_str().unwrap(), name]);
    assert_eq!(code(&out), 0);
    // A new value, and a second copy of a known value, are new.
    write(
        t.path(),
        "notes.txt",
        &format!("张三 手机 {MOBILE_A}\n赵六 手机 {MOBILE_NEW}\n张三 备用 手机 {MOBILE_A}\n"),
    );
    let (out, report) = scan(t.path(), &["--baseline", base.to_str().unwrap(), "."]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        findings(&report),
        [
            ("cn_mobile".to_string(), "./notes.txt".to_string(), 2),
            ("cn_mobile".to_string(), "./notes.txt".to_string(), 3),
        ]
    );
    // A baseline written under another key is refused, whatever --exit-code.
    let out = cmd(
        t.path(),
        &[
            "scan",
            ".",
            "--exit-code",
            "5",
            "--baseline",
            base.to_str().unwrap(),
        ],
    )
    .env("LEAKSWEEP_FINGERPRINT_KEY", "another-key")
    .output()
    .unwrap();
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("another fingerprint key"));
    // So is a file that is not a baseline.
    std::fs::write(&base, "[]").unwrap();
    let out = run(
        t.path(),
        &["scan", ".", "--baseline", base.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2);
}

#[test]
fn exit_codes_findings_code_is_configurable_errors_are_always_two() {
    let t = tree();
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "nothing to see\n");
    assert_eq!(code(&run(clean.path(), &["scan", "."])), 0);
    assert_eq!(code(&run(t.path(), &["scan", "."])), 1);
    assert_eq!(code(&run(t.path(), &["scan", "--exit-code", "5", "."])), 5);
    let out = cmd(t.path(), &["scan", "."])
        .env("LEAKSWEEP_EXIT_CODE", "9")
        .output()
        .unwrap();
    assert_eq!(code(&out), 9);
    write(t.path(), ".leaksweep.toml", "exit_code = 4\n");
    assert_eq!(code(&run(t.path(), &["scan", "."])), 4);
    assert_eq!(code(&run(t.path(), &["scan", "--exit-code", "6", "."])), 6);
    assert_eq!(
        code(&run(t.path(), &["scan", "--fail-on", "never", "."])),
        0
    );
    for bad in ["0", "2", "200"] {
        assert_eq!(
            code(&run(t.path(), &["scan", "--exit-code", bad, "."])),
            2,
            "{bad}"
        );
    }
    // Errors exit 2 whatever the findings code: a broken config file, a
    // broken rule file, an unknown key.
    write(
        t.path(),
        ".leaksweep.toml",
        "exit_code = 4\nfail_onn = \"low\"\n",
    );
    let out = run(t.path(), &["scan", "."]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("fail_onn"));
    let broken = Path::new(ROOT).join("fixtures/rules/broken.toml");
    let out = run(
        t.path(),
        &[
            "scan",
            "--no-config",
            "--exit-code",
            "5",
            "--rules",
            broken.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(code(&out), 2);
}

#[test]
fn config_precedence_is_flag_over_env_over_file() {
    let t = tree();
    // The file says never fail.
    write(t.path(), ".leaksweep.toml", "fail_on = \"never\"\n");
    assert_eq!(code(&run(t.path(), &["scan", "."])), 0);
    // The environment beats the file.
    let out = cmd(t.path(), &["scan", "."])
        .env("LEAKSWEEP_FAIL_ON", "low")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    // The flag beats the environment.
    let out = cmd(t.path(), &["scan", "--fail-on", "never", "."])
        .env("LEAKSWEEP_FAIL_ON", "low")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    // Which file: --config beats LEAKSWEEP_CONFIG beats the discovered one.
    let strict = write(t.path(), "strict.toml", "fail_on = \"low\"\n");
    let lax = write(t.path(), "lax.toml", "fail_on = \"never\"\n");
    let out = cmd(t.path(), &["scan", "."])
        .env("LEAKSWEEP_CONFIG", &strict)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "the env file beats .leaksweep.toml");
    let out = cmd(t.path(), &["scan", "--config", lax.to_str().unwrap(), "."])
        .env("LEAKSWEEP_CONFIG", &strict)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "--config beats the env file");
    assert_eq!(code(&run(t.path(), &["scan", "--no-config", "."])), 1);
    // min_confidence too: the file hides what the flag shows.
    write(
        t.path(),
        ".leaksweep.toml",
        "min_confidence = \"high\"\nfail_on = \"never\"\n",
    );
    write(t.path(), "bare.txt", &format!("{MOBILE_NEW}\n"));
    let (_, report) = scan(t.path(), &["bare.txt"]);
    assert!(
        rules_of(&report).is_empty(),
        "a bare mobile is medium: {report}"
    );
    let (_, report) = scan(t.path(), &["--min-confidence", "low", "bare.txt"]);
    assert_eq!(rules_of(&report), ["cn_mobile"]);
    // A named config file that does not exist is an error.
    let out = run(t.path(), &["scan", "--config", "missing.toml", "."]);
    assert_eq!(code(&out), 2);
}

#[test]
fn rules_check_fails_clearly_on_broken_rule_files() {
    let dir = Path::new(ROOT);
    let out = run(
        dir,
        &[
            "rules",
            "check",
            "--no-config",
            "fixtures/rules/custom.toml",
        ],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(dir, &["rules", "check", "--no-config", "patterns/user"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(
        dir,
        &[
            "rules",
            "check",
            "--no-config",
            "fixtures/rules/broken.toml",
        ],
    );
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken_validator") && err.contains("mod97") && err.contains("broken.toml"),
        "{err}"
    );
    let out = run(
        dir,
        &[
            "rules",
            "check",
            "--no-config",
            "fixtures/rules/failing_example.toml",
        ],
    );
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("acme_badge") && err.contains("BADGE-1234"),
        "{err}"
    );
    // Not TOML at all, and a missing word list.
    let t = tempfile::tempdir().unwrap();
    let bad = write(t.path(), "bad.toml", "[[rule]\nid = 1\n");
    let out = run(
        dir,
        &["rules", "check", "--no-config", bad.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
    let text = std::fs::read_to_string(dir.join("fixtures/rules/custom.toml")).unwrap();
    let moved = write(t.path(), "custom.toml", &text);
    let out = run(
        dir,
        &["rules", "check", "--no-config", moved.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("acme_codenames") && err.contains("codenames.txt"),
        "{err}"
    );
    // rules list shows custom rules.
    let out = run(
        dir,
        &[
            "rules",
            "list",
            "--no-config",
            "--rules",
            "fixtures/rules/custom.toml",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme_codenames"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(Path::new(ROOT), &["completions", shell]);
        assert_eq!(code(&out), 0);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("leaksweep") && text.contains("write-baseline"),
            "{shell}"
        );
    }
}

#[test]
fn the_fingerprint_command_agrees_with_scan_and_prints_no_value() {
    let t = tree();
    let (_, report) = scan(t.path(), &["notes.txt"]);
    let fp = report["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let mut child = cmd(t.path(), &["fingerprint", "--kind", "cn_mobile"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"138 0013 8000\n+86 13800138000\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        assert_eq!(l.split('\t').nth(1), Some(fp.as_str()), "{l}");
    }
    assert_no_raw(&out, &[MOBILE_A, "0013 8000"]);
    // The printed fingerprint allowlists the value.
    write(
        t.path(),
        ".leaksweep.toml",
        &format!("[allow]\nfingerprints = [\"{fp}\"]\n"),
    );
    let (_, report) = scan(t.path(), &["notes.txt"]);
    assert!(rules_of(&report).is_empty());
    let out = run(t.path(), &["fingerprint", "--kind", "no_such_kind"]);
    assert_eq!(code(&out), 2);
}
