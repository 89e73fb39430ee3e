//! The edge of the program: turns parsed flags into validated settings,
//! picks the reporter, runs the command and maps the result to an
//! [`ExitCode`]. Errors here carry context (`anyhow`) and are printed by
//! `main` in lowercase, naming the input and what to do.

use crate::cli::{
    AccessArgs, Cli, Command, FailOn, Format, MinConfidence, ReaderMode, RuleArgs, RulesCommand,
    ScanArgs, When,
};
use crate::config::{Config, Lookup};
use crate::detect::check::check_examples;
use crate::detect::rules::{RuleSet, Selection};
use crate::detect::{Detector, Scratch};
use crate::exit_codes::{self, ExitCode};
use crate::policy::Allow;
use crate::policy::baseline::{Baseline, Writer};
use crate::redact::fingerprint::BUILTIN_KEY;
use crate::redact::{FingerprintKey, KeySource};
use crate::report::{self, Reporter, RuleMeta, RunMeta};
use crate::scan::{self, Baselines, Progress, ScanConfig};
use crate::source::ReadConfig;
use crate::source::container::Limits;
use crate::source::walk::WalkOptions;
use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Arc;

/// Environment variable holding the fingerprint key.
pub const KEY_ENV: &str = "LEAKSWEEP_FINGERPRINT_KEY";

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Access(args) => access_command(args),
        Command::Redact(args) => redact_command(args),
        Command::Rules(RulesCommand::List { format, rule_args }) => rules_list(&format, &rule_args),
        Command::Rules(RulesCommand::Check { files, rule_args }) => rules_check(&files, &rule_args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "leaksweep", &mut io::stdout());
            Ok(ExitCode::Clean)
        }
        Command::Fingerprint {
            kind,
            fingerprint_key: key,
        } => fingerprint_command(&kind, key),
    }
}

/// The config file for a command over `paths`, if any.
fn load_config(args: &RuleArgs, paths: &[String]) -> Result<Option<Config>> {
    let lookup = Lookup {
        flag: args.config.clone(),
        none: args.no_config,
    };
    Ok(lookup.load(paths)?)
}

/// The rule set: built-ins, the config's rule files, `--rules` files and
/// `extra`, with the selection of the config file overridden by the flags.
/// `keep_all` keeps opt-in and disabled rules (`rules check`).
fn load_rules(
    args: &RuleArgs,
    config: Option<&Config>,
    extra: &[std::path::PathBuf],
    keep_all: bool,
) -> Result<RuleSet> {
    let mut paths = config.map(Config::rule_paths).unwrap_or_default();
    paths.extend(args.rules.iter().cloned());
    paths.extend(extra.iter().cloned());
    let (mut disable, mut enable) = match config {
        Some(c) => (c.disable.clone(), c.enable.clone()),
        None => (Vec::new(), Vec::new()),
    };
    // A flag beats the file: `--enable-rule x` undoes the file's
    // `disable = ["x"]`, and the other way round.
    disable.retain(|id| !args.enable_rule.contains(id));
    enable.retain(|id| !args.disable_rule.contains(id));
    disable.extend(args.disable_rule.iter().cloned());
    enable.extend(args.enable_rule.iter().cloned());
    let selection = Selection {
        disable,
        enable,
        severity: config
            .map(|c| c.severity.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default(),
        keep_all,
    };
    let origin = match config {
        Some(c) => format!(" (config file {})", c.path.display()),
        None => String::new(),
    };
    RuleSet::load(&paths, &selection)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("the rules cannot be used{origin}"))
}

fn fingerprint_key(flag: Option<String>) -> FingerprintKey {
    if let Some(k) = flag.filter(|k| !k.is_empty()) {
        return FingerprintKey::new(k.as_bytes(), KeySource::Flag);
    }
    if let Some(k) = std::env::var_os(KEY_ENV).filter(|k| !k.is_empty()) {
        return FingerprintKey::new(k.as_encoded_bytes(), KeySource::Env);
    }
    eprintln!(
        "leaksweep: no fingerprint key given (--fingerprint-key or {KEY_ENV}); using the public built-in key \
         \"{BUILTIN_KEY}\": fingerprints are stable but can be reversed by brute force"
    );
    FingerprintKey::builtin()
}

/// `--fail-on`: the flag (or LEAKSWEEP_FAIL_ON), else the config file,
/// else `medium`.
fn gate(flag: Option<FailOn>, file: &Config) -> Result<FailOn> {
    Ok(match flag {
        Some(f) => f,
        None => from_config::<FailOn>(file, "fail_on", &file.fail_on)?.unwrap_or(FailOn::Medium),
    })
}

/// `--min-confidence`: the flag (or its variable), else the file, else `low`.
fn threshold(flag: Option<MinConfidence>, file: &Config) -> Result<MinConfidence> {
    Ok(match flag {
        Some(m) => m,
        None => from_config::<MinConfidence>(file, "min_confidence", &file.min_confidence)?
            .unwrap_or(MinConfidence::Low),
    })
}

/// `--exit-code`: the flag (or its variable), else the file, else 1;
/// checked.
fn findings_code(flag: Option<u8>, file: &Config) -> Result<u8> {
    let code = flag.or(file.exit_code).unwrap_or(exit_codes::FINDINGS);
    if !exit_codes::valid_findings_code(code) {
        bail!(
            "--exit-code must be 1 or between 3 and 125 (0 means success and 2 means an error), not {code}"
        );
    }
    Ok(code)
}

/// The config file's `[allow]` values and fingerprints, for reports at
/// `min_confidence`.
fn allowlist(file: &Config, min_confidence: MinConfidence) -> Result<Allow> {
    let mut allow =
        Allow::new(&file.allow.fingerprints, &file.allow.values, true).with_context(|| {
            format!(
                "config file {}: [allow] cannot be used",
                file.path.display()
            )
        })?;
    allow.min_confidence = min_confidence.into();
    Ok(allow)
}

/// A setting the config file writes as text, parsed like its flag.
fn from_config<T: ValueEnum>(
    config: &Config,
    name: &str,
    value: &Option<String>,
) -> Result<Option<T>> {
    match value {
        None => Ok(None),
        Some(v) => T::from_str(v, true).map(Some).map_err(|_| {
            let known: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|x| x.to_possible_value().map(|p| p.get_name().to_string()))
                .collect();
            anyhow!(
                "config file {}: `{name}` is {v:?}; expected one of: {}",
                config.path.display(),
                known.join(", ")
            )
        }),
    }
}

fn rule_meta(rules: &RuleSet) -> Vec<RuleMeta> {
    rules
        .rules
        .iter()
        .map(|r| RuleMeta {
            id: r.id.to_string(),
            name: r.name.clone(),
            kind: r.kind.to_string(),
            description: r.description.clone(),
            severity: r.severity,
        })
        .collect()
}

fn scan_command(args: ScanArgs) -> Result<ExitCode> {
    // Ctrl-C: finish the report with what was scanned; a second one quits.
    // Installed first, so that a signal during start-up is handled too.
    let _ = ctrlc::set_handler(|| {
        if scan::STOP.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!(
            "leaksweep: interrupted; finishing the report with what was scanned (Ctrl-C again to quit)"
        );
    });
    let config = load_config(&args.rule_args, &args.paths)?;
    let rules = load_rules(&args.rule_args, config.as_ref(), &[], false)?;
    // Precedence: flag (or its LEAKSWEEP_* variable, which clap reads) >
    // config file > default.
    let empty = Config::default();
    let file = config.as_ref().unwrap_or(&empty);
    let fail_on = gate(args.fail_on, file)?;
    let min_confidence = threshold(args.min_confidence, file)?;
    let exit_code = findings_code(args.exit_code, file)?;
    let key = fingerprint_key(args.fingerprint_key);
    let allow = allowlist(file, min_confidence)?;
    let known = match &args.baseline {
        Some(p) => Some(Baseline::read(p, &key)?),
        None => None,
    };
    let baselines = Baselines {
        known,
        record: args.write_baseline.as_ref().map(|_| Writer::default()),
    };
    let jobs = match args.jobs {
        Some(0) => anyhow::bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let mut exclude = file.exclude.clone();
    exclude.extend(args.exclude.iter().cloned());
    let cfg = ScanConfig {
        paths: args.paths,
        jobs,
        read: ReadConfig {
            chunk_size: args.chunk_size.max(4096),
            max_archive_depth: args.max_archive_depth,
            include_binary: args.include_binary,
            workers_read: match args.reader {
                ReaderMode::Thread => false,
                ReaderMode::Workers => true,
                // A reader thread has a core of its own only when the
                // workers leave one free; else its copying of file pages
                // (a fifth of a worker's time on an archive) takes turns
                // with them, and a worker reads as fast, into a buffer
                // still in its own cache.
                ReaderMode::Auto => {
                    jobs >= std::thread::available_parallelism().map_or(1, |n| n.get())
                }
            },
            mmap: !args.no_mmap,
            limits: Limits {
                max_total_bytes: args.max_decompressed_bytes,
                max_ratio: args.max_compression_ratio,
                max_entries: args.max_archive_entries,
                ..Limits::default()
            },
            ..ReadConfig::default()
        },
        min_confidence: min_confidence.into(),
        fail_on: fail_on.threshold(),
        line_gate: !args.no_line_gate,
        distinct_budget: args.distinct_budget,
        progress: match args.progress {
            When::Auto => Progress::Auto,
            When::Always => Progress::Always,
            When::Never => Progress::Never,
        },
        walk: WalkOptions {
            exclude,
            allow: file.allow.paths.clone(),
            ignore_files: !args.no_ignore,
            follow_symlinks: args.follow_symlinks,
        },
        allow: Arc::new(allow),
        max_file_size: args.max_file_size,
    };
    crate::chunk::set_max_json_depth(usize::from(args.max_json_depth));
    let (out, to_terminal) = report_out(&args.output)?;
    let color = match args.color {
        When::Always => true,
        When::Never => false,
        When::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut reporter: Box<dyn Reporter> = match args.format {
        Format::Human => Box::new(report::human::Human::new(out, color)),
        Format::Json => Box::new(report::json::Json::new(out)),
        Format::Jsonl => Box::new(report::jsonl::JsonLines::new(out)),
        Format::Sarif => Box::new(report::sarif::Sarif::new(out)),
    };
    let meta = RunMeta {
        tool: "leaksweep",
        version: env!("CARGO_PKG_VERSION"),
        fingerprint_key: key.source().as_str(),
        rules: rule_meta(&rules),
    };
    let write_err = |e: io::Error| -> anyhow::Error {
        match &args.output {
            Some(p) => {
                anyhow::Error::new(e).context(format!("cannot write the report to {}", p.display()))
            }
            None => anyhow::Error::new(e).context("cannot write the report to standard output"),
        }
    };
    reporter.begin(&meta).map_err(write_err)?;
    let outcome = match scan::run(&cfg, &rules, &key, baselines, reporter.as_mut()) {
        Ok(o) => o,
        // A closed pipe (`leaksweep scan | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::Clean),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            return Err(anyhow!("{e}").context("an exclude or allow pattern cannot be used"));
        }
        Err(e) => return Err(write_err(e)),
    };
    if outcome.interrupted {
        if args.write_baseline.is_some() {
            eprintln!("leaksweep: the scan was interrupted: no baseline written");
        }
        return Ok(ExitCode::Interrupted);
    }
    if let (Some(path), Some(w)) = (&args.write_baseline, outcome.baselines.record) {
        let n = w.len();
        w.write(path, &key)?;
        eprintln!(
            "leaksweep: wrote the baseline {} ({n} entries)",
            path.display()
        );
    }
    let unread = outcome.summary.inputs_skipped + outcome.summary.inputs_partial;
    if args.strict && unread > 0 {
        eprintln!(
            "leaksweep: --strict: {} inputs skipped and {} partially scanned",
            outcome.summary.inputs_skipped, outcome.summary.inputs_partial
        );
        return Ok(ExitCode::Error);
    }
    Ok(if outcome.gate_failed {
        ExitCode::Findings(exit_code)
    } else {
        ExitCode::Clean
    })
}

fn rules_list(format: &str, args: &RuleArgs) -> Result<ExitCode> {
    let config = load_config(args, &[".".to_string()])?;
    let rules = load_rules(args, config.as_ref(), &[], false)?;
    let mut out = io::stdout().lock();
    if format == "json" {
        let list: Vec<_> = rules.rules.iter().map(|r| &r.syntax).collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<28} {:<16} {:<9} {:<11} name",
            "id", "kind", "severity", "validator"
        )?;
        for r in &rules.rules {
            let validator = r.syntax.validator.as_deref().unwrap_or("-");
            writeln!(
                out,
                "{:<28} {:<16} {:<9} {:<11} {}",
                r.id, r.kind, r.severity, validator, r.name
            )?;
        }
    }
    Ok(ExitCode::Clean)
}

fn rules_check(files: &[std::path::PathBuf], args: &RuleArgs) -> Result<ExitCode> {
    let config = load_config(args, &[".".to_string()])?;
    let rules = load_rules(args, config.as_ref(), files, true)?;
    let failures = check_examples(&rules);
    let examples: usize = rules
        .rules
        .iter()
        .map(|r| r.syntax.examples.len() + r.syntax.negative_examples.len())
        .sum();
    // An example is the rule author's text, but it can hold a real value:
    // printed masked like everything else.
    let key = FingerprintKey::builtin();
    let masker = Detector::new(&rules, &key);
    let mut scratch = Scratch::default();
    for f in &failures {
        let mut f = f.clone();
        f.example = masker.redact_text(&f.example, &mut scratch);
        let f = &f;
        let origin = rules
            .get(&f.rule)
            .map(|r| r.syntax.origin.as_str())
            .unwrap_or("");
        eprintln!("leaksweep: {origin}: {f}");
    }
    if failures.is_empty() {
        println!(
            "{} rules, {} examples: all pass",
            rules.rules.len(),
            examples
        );
        Ok(ExitCode::Clean)
    } else {
        eprintln!(
            "leaksweep: {} of {} examples failed",
            failures.len(),
            examples
        );
        Ok(ExitCode::Error)
    }
}

/// Collects the findings of a rescan.
#[derive(Default)]
struct Collect {
    findings: Vec<crate::finding::Finding>,
}

impl Reporter for Collect {
    fn begin(&mut self, _meta: &RunMeta) -> io::Result<()> {
        Ok(())
    }
    fn finding(&mut self, f: &crate::finding::Finding) -> io::Result<()> {
        self.findings.push(f.clone());
        Ok(())
    }
    fn skipped(&mut self, _s: &crate::finding::Skipped) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _s: &crate::report::Summary) -> io::Result<()> {
        Ok(())
    }
}

fn redact_command(args: crate::cli::RedactArgs) -> Result<ExitCode> {
    use crate::cli::RedactMode;
    use crate::detect::Replace;
    use crate::sanitize::{self, MANIFEST, RedactConfig};
    let config = load_config(&args.rule_args, &args.paths)?;
    let rules = load_rules(&args.rule_args, config.as_ref(), &[], false)?;
    let empty = Config::default();
    let file = config.as_ref().unwrap_or(&empty);
    let min_confidence = threshold(args.min_confidence, file)?;
    let fail_on = gate(args.fail_on, file)?;
    let key = fingerprint_key(args.fingerprint_key);
    let allow = allowlist(file, min_confidence)?;
    let detector = Detector::new(&rules, &key).with_allow(&allow);
    let mut exclude = file.exclude.clone();
    exclude.extend(args.exclude.iter().cloned());
    let walk_opts = WalkOptions {
        exclude,
        allow: file.allow.paths.clone(),
        ignore_files: !args.no_ignore,
        follow_symlinks: false,
    };
    let walked = crate::source::walk::walk(&args.paths, &walk_opts)?;
    let plain = Detector::new(&rules, &key);
    let mut scratch = Scratch::default();
    let mut redact_text = |s: &str| plain.redact_text(s, &mut scratch);
    // The message names folders, which can be identifiers: masked.
    let out_abs = sanitize::prepare_output(&args.out, &args.paths)
        .map_err(|e| anyhow!(redact_text(&e.to_string())))?;
    let cfg = RedactConfig {
        out: args.out.clone(),
        mode: match args.mode {
            RedactMode::Mask => Replace::Mask,
            RedactMode::Token => Replace::Token,
            RedactMode::Remove => Replace::Remove,
        },
        min_confidence: min_confidence.into(),
        chunk_size: args.chunk_size.max(4096),
        limits: Limits::default(),
        max_depth: 3,
        max_in_memory: 1 << 30,
    };
    let mut skipped = walked.skipped;
    for s in &mut skipped {
        s.path = redact_text(&s.path);
    }
    // Allowlisted paths are copied as they are: their findings are allowed.
    let (allowed, inputs): (Vec<_>, Vec<_>) = walked.inputs.into_iter().partition(|i| i.allowed);
    let mut manifest = sanitize::run(
        &inputs,
        skipped,
        &cfg,
        &out_abs,
        &detector,
        &mut redact_text,
    );
    for input in &allowed {
        if let crate::source::Location::File(p) = &input.location {
            let rel: std::path::PathBuf = std::path::Path::new(&*input.rel)
                .components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .collect();
            let target = out_abs.join(&rel);
            sanitize::write_atomic(&target, |w| {
                let mut f = std::fs::File::open(p)?;
                io::copy(&mut f, w).map(|_| ())
            })
            .with_context(|| {
                format!(
                    "cannot write {}",
                    redact_text(&target.display().to_string())
                )
            })?;
            manifest.files.push(sanitize::FileEntry {
                path: redact_text(&input.display),
                output: redact_text(&rel.display().to_string()),
                status: "copied",
                format: "allowlisted path".into(),
                encoding: None,
                replacements: Default::default(),
            });
        }
    }
    // Prove the copy clean: scan it with the same rules and allowlists.
    let rescan_cfg = ScanConfig {
        paths: vec![out_abs.display().to_string()],
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        read: ReadConfig::default(),
        min_confidence: fail_on
            .threshold()
            .unwrap_or(crate::finding::Confidence::High),
        fail_on: fail_on.threshold(),
        line_gate: true,
        distinct_budget: crate::report::distinct::BUDGET,
        progress: Progress::Never,
        walk: WalkOptions {
            exclude: vec![format!("/{MANIFEST}")],
            allow: file.allow.paths.clone(),
            ignore_files: false,
            follow_symlinks: false,
        },
        allow: Arc::new(allow.clone()),
        max_file_size: u64::MAX,
    };
    let mut collect = Collect::default();
    let outcome = scan::run(
        &rescan_cfg,
        &rules,
        &key,
        Baselines::default(),
        &mut collect,
    )
    .context("cannot rescan the output folder")?;
    let remaining: Vec<_> = if fail_on.threshold().is_some() {
        collect.findings
    } else {
        Vec::new()
    };
    manifest.rescan_findings = remaining.len() as u64;
    let manifest_path = out_abs.join(MANIFEST);
    sanitize::write_atomic(&manifest_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")
    })
    .context("cannot write the manifest")?;
    let replaced: u64 = manifest.totals.values().sum();
    let redacted = manifest
        .files
        .iter()
        .filter(|f| f.status == "redacted")
        .count();
    let copied = manifest.files.len() - redacted;
    for s in &manifest.skipped {
        eprintln!("leaksweep: not written {}: {}", s.path, s.reason);
    }
    println!(
        "{} files redacted ({replaced} values replaced), {copied} copied unchanged, {} not written; manifest: {}",
        redacted,
        manifest.skipped.len(),
        redact_text(&manifest_path.display().to_string())
    );
    let _ = outcome;
    if remaining.is_empty() {
        println!("rescan of the copy: clean");
        Ok(ExitCode::Clean)
    } else {
        println!(
            "rescan of the copy: {} findings remain at or above {}:",
            remaining.len(),
            fail_on
                .to_possible_value()
                .map(|p| p.get_name().to_string())
                .unwrap_or_default()
        );
        for f in &remaining {
            println!(
                "  {}:{}:{} {} {} ({})",
                f.path, f.line, f.column, f.rule, f.masked, f.confidence
            );
        }
        Ok(ExitCode::Findings(exit_codes::FINDINGS))
    }
}

/// Opens the report destination: a file, or buffered standard output
/// (and whether that is a terminal).
fn report_out(output: &Option<std::path::PathBuf>) -> Result<(Box<dyn Write>, bool)> {
    Ok(match output {
        Some(path) => {
            let f = std::fs::File::create(path).with_context(|| {
                format!(
                    "cannot create the report file {}; check the folder exists and is writable",
                    path.display()
                )
            })?;
            (Box::new(io::BufWriter::new(f)), false)
        }
        None => {
            let stdout = io::stdout();
            let tty = stdout.is_terminal();
            (Box::new(io::BufWriter::new(stdout.lock())), tty)
        }
    })
}

fn access_command(args: AccessArgs) -> Result<ExitCode> {
    use crate::access::{AccessConfig, audit, parse_duration};
    let config = Lookup {
        flag: args.config.clone(),
        none: args.no_config,
    }
    .load(&args.paths)?;
    let empty = Config::default();
    let file = config.as_ref().unwrap_or(&empty);
    let set = &file.access;
    let mut cfg = AccessConfig::default();
    let dur =
        |flag: &Option<String>, file: &Option<String>, name: &str, into: &mut i64| -> Result<()> {
            if let Some(v) = flag.as_ref().or(file.as_ref()) {
                *into = parse_duration(v).map_err(|e| anyhow!("--{name}: {e}"))?;
            }
            Ok(())
        };
    dur(
        &args.rebind_window,
        &set.rebind_window,
        "rebind-window",
        &mut cfg.rebind_window_ms,
    )?;
    dur(
        &args.ip_window,
        &set.ip_window,
        "ip-window",
        &mut cfg.ip_window_ms,
    )?;
    dur(
        &args.switch_window,
        &set.switch_window,
        "switch-window",
        &mut cfg.switch_window_ms,
    )?;
    if let Some(n) = args.ip_max_accounts.or(set.ip_max_accounts) {
        cfg.ip_max_accounts = n;
    }
    if let Some(n) = args.switch_min.or(set.switch_min) {
        if n < 2 {
            bail!("--switch-min must be at least 2");
        }
        cfg.switch_min = n;
    }
    if let Some(n) = args.bulk_min.or(set.bulk_min) {
        cfg.bulk_min = n.max(1);
    }
    for (name, path) in &set.orgs {
        cfg.orgs.push((name.clone(), file.dir.join(path)));
    }
    for o in &args.orgs {
        let Some((name, path)) = o
            .split_once('=')
            .filter(|(n, p)| !n.is_empty() && !p.is_empty())
        else {
            bail!("--org takes NAME=PATH, not {o:?}");
        };
        cfg.orgs
            .push((name.to_string(), std::path::PathBuf::from(path)));
    }
    let fail_on = gate(args.fail_on, file)?;
    let exit_code = findings_code(args.exit_code, file)?;
    let key = fingerprint_key(args.fingerprint_key);
    let rules =
        RuleSet::builtin().context("the built-in rules do not compile (a packaging bug)")?;
    let detector = Detector::new(&rules, &key);
    let mut scratch = Scratch::default();
    let mut redact = |s: &str| detector.redact_text(s, &mut scratch);
    let walked = crate::source::walk::walk(
        &args.paths,
        &WalkOptions {
            exclude: file.exclude.clone(),
            allow: Vec::new(),
            ignore_files: true,
            follow_symlinks: false,
        },
    )?;
    let mut skipped = walked.skipped;
    for s in &mut skipped {
        s.path = redact(&s.path);
    }
    let (mut out, tty) = report_out(&args.output)?;
    let report = audit::run(
        &walked.inputs,
        skipped,
        &cfg,
        &key,
        &Limits::default(),
        &mut redact,
    );
    for s in &report.skipped {
        eprintln!("leaksweep: skipped {}: {}", s.path, s.reason);
    }
    let color = match args.color {
        When::Always => true,
        When::Never => false,
        When::Auto => tty && std::env::var_os("NO_COLOR").is_none(),
    };
    match report::access::write(args.format, &report, &mut out, color) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::Clean),
        Err(e) => return Err(anyhow::Error::new(e).context("cannot write the report")),
    }
    let gate = fail_on.threshold().map(|c| match c {
        crate::finding::Confidence::Low => crate::finding::Severity::Low,
        crate::finding::Confidence::Medium => crate::finding::Severity::Medium,
        crate::finding::Confidence::High => crate::finding::Severity::High,
    });
    let failed = gate.is_some_and(|g| report.findings.iter().any(|f| f.severity >= g));
    Ok(if failed {
        ExitCode::Findings(exit_code)
    } else {
        ExitCode::Clean
    })
}

/// `leaksweep fingerprint`: each value of standard input is normalized the
/// way the detector normalizes it (by running the detector over it, so a
/// mobile written `138 0013 8000` or `+86 13800138000` gets the fingerprint
/// a scan gives it) and printed as `masked<TAB>fingerprint`.
fn fingerprint_command(kind: &str, key: Option<String>) -> Result<ExitCode> {
    let rules =
        RuleSet::builtin().context("the built-in rules do not compile (a packaging bug)")?;
    if !rules.kinds.iter().any(|k| k == kind) {
        bail!("unknown kind {kind:?}; kinds: {}", rules.kinds.join(", "));
    }
    let key = fingerprint_key(key);
    let detector = Detector::new(&rules, &key);
    let mut scratch = Scratch::default();
    let mut out = io::stdout().lock();
    let mut missed = 0usize;
    for (n, line) in io::stdin().lock().lines().enumerate() {
        let line = line.context("cannot read standard input as UTF-8 text")?;
        let value = line.trim();
        if value.is_empty() {
            continue;
        }
        let chunk = crate::chunk::Chunk {
            path: Arc::from("<stdin>"),
            data: value.as_bytes().to_vec(),
            first_line: 1,
            first_column: 1,
            ..Default::default()
        };
        let mut found = Vec::new();
        detector.detect(&chunk, &mut scratch, &mut found);
        match found.iter().find(|f| &*f.kind == kind) {
            Some(f) => writeln!(out, "{}\t{}", f.masked, f.fingerprint)?,
            None => {
                // Not recognised alone (a format-only kind, or not this
                // kind at all): say so by line number, never by value.
                eprintln!(
                    "leaksweep: line {}: not recognised as {kind} on its own; no fingerprint",
                    n + 1
                );
                missed += 1;
            }
        }
    }
    Ok(if missed == 0 {
        ExitCode::Clean
    } else {
        ExitCode::Error
    })
}
