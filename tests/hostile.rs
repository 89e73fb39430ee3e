//! Hostile and broken inputs: each ends in its expected state (scanned,
//! partially scanned, skipped), is accounted for in the summary, and the
//! rest of the scan is intact. The committed fixtures of `fixtures/hostile/`
//! are copied into a temporary folder, where the test adds what git cannot
//! hold (a FIFO, a symlink loop, links in and out of the folder), next to
//! one clean file holding a known mobile that must always be found.

use serde_json::Value;
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

fn scan_raw(dir: &Path, extra: &[&str]) -> (Output, ()) {
    let mut args = vec!["scan", "--no-config", "--progress", "never"];
    args.extend_from_slice(extra);
    args.push(".");
    let out = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run leaksweep");
    (out, ())
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

#[test]
fn each_hostile_input_ends_in_its_state_and_the_rest_is_scanned() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // The committed hostile fixtures (fixtures/hostile/make_hostile.py):
    // truncated.txt.gz, bomb.zip, deep.jsonl, bad_utf8.txt, gbk.csv,
    // malformed.jsonl, broken.xlsx and the clean known.txt.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile");
    for e in std::fs::read_dir(&fixtures).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "py") {
            continue;
        }
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    assert!(std::fs::metadata(d.join("bomb.zip")).unwrap().len() < 200_000);
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
        // The JSON depth limit is settable, within bounds.
        let (_, report) = scan(d, &["--max-json-depth", "512"]);
        assert_eq!(found_in(&report, "deep.jsonl"), 1);
        let (out, _) = scan_raw(d, &["--max-json-depth", "100000"]);
        assert_eq!(out.status.code(), Some(2));
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

#[cfg(unix)]
#[test]
fn ctrl_c_finishes_the_report_with_what_was_scanned() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(dir.path().join("a.txt"), KNOWN).unwrap();
    // Standard input that stays open: the scan is still running when the
    // signal comes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_leaksweep"))
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--progress",
            "never",
            "-o",
        ])
        .arg(&report)
        .args(["a.txt", "-"])
        .current_dir(dir.path())
        .env("LEAKSWEEP_FINGERPRINT_KEY", "hostile-test-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all("手机 13800138000\n".as_bytes()).unwrap();
    // Time to start and scan a.txt (the handler is installed first thing,
    // so an early signal is handled too; a.txt must be done for the check
    // below).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["summary"]["interrupted"], true);
    assert_eq!(
        found_in(&v, "a.txt"),
        1,
        "what was read before the signal is reported"
    );
    let unread: Vec<String> = ["partial", "skipped"]
        .iter()
        .flat_map(|l| paths(&v, l))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(unread, ["<stdin>"], "{v:#}");
}
