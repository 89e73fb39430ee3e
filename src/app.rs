//! The edge of the program: turns parsed flags into validated settings,
//! picks the reporter, runs the command and maps the result to an
//! [`ExitCode`]. Errors here carry context (`anyhow`) and are printed by
//! `main` in lowercase, naming the input and what to do.

use crate::cli::{Cli, Command, Format, RulesCommand, ScanArgs, When};
use crate::detect::check::check_examples;
use crate::detect::rules::RuleSet;
use crate::exit_codes::ExitCode;
use crate::redact::fingerprint::BUILTIN_KEY;
use crate::redact::{FingerprintKey, KeySource};
use crate::report::{self, Reporter, RuleMeta, RunMeta};
use crate::scan::{self, Progress, ScanConfig};
use crate::source::ReadConfig;
use crate::source::container::Limits;
use anyhow::{Context, Result};
use std::io::{self, IsTerminal, Write};

/// Environment variable holding the fingerprint key.
pub const KEY_ENV: &str = "LEAKSWEEP_FINGERPRINT_KEY";

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Rules(RulesCommand::List { format }) => rules_list(&format),
        Command::Rules(RulesCommand::Check) => rules_check(),
    }
}

fn load_rules() -> Result<RuleSet> {
    RuleSet::builtin()
        .context("the built-in rules do not compile (a packaging bug; please report it)")
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
    let rules = load_rules()?;
    let key = fingerprint_key(args.fingerprint_key);
    let jobs = match args.jobs {
        Some(0) => anyhow::bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let cfg = ScanConfig {
        paths: args.paths,
        jobs,
        read: ReadConfig {
            chunk_size: args.chunk_size.max(4096),
            max_archive_depth: args.max_archive_depth,
            include_binary: args.include_binary,
            limits: Limits {
                max_total_bytes: args.max_decompressed_bytes,
                max_ratio: args.max_compression_ratio,
                max_entries: args.max_archive_entries,
                ..Limits::default()
            },
            ..ReadConfig::default()
        },
        min_confidence: args.min_confidence.into(),
        fail_on: args.fail_on.threshold(),
        line_gate: !args.no_line_gate,
        progress: match args.progress {
            When::Auto => Progress::Auto,
            When::Always => Progress::Always,
            When::Never => Progress::Never,
        },
    };
    let (out, to_terminal): (Box<dyn Write>, bool) = match &args.output {
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
    };
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
    let outcome = match scan::run(&cfg, &rules, &key, reporter.as_mut()) {
        Ok(o) => o,
        // A closed pipe (`leaksweep scan | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::Clean),
        Err(e) => return Err(write_err(e)),
    };
    Ok(if outcome.gate_failed {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}

fn rules_list(format: &str) -> Result<ExitCode> {
    let rules = load_rules()?;
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

fn rules_check() -> Result<ExitCode> {
    let rules = load_rules()?;
    let failures = check_examples(&rules);
    let examples: usize = rules
        .rules
        .iter()
        .map(|r| r.syntax.examples.len() + r.syntax.negative_examples.len())
        .sum();
    for f in &failures {
        eprintln!("leaksweep: {f}");
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
