//! Writes an [`AccessReport`] (`leaksweep access`) in the formats of
//! `scan`: human (findings by rule, then the triage summary), one JSON
//! document, JSON lines, and SARIF 2.1.0 (one result per finding, its
//! evidence rows as locations). The report already holds masked values
//! only; this module just lays them out.

use super::human::sanitize;
use super::sarif::{INFORMATION_URI, SRCROOT, path_to_uri, security_severity};
use crate::access::{AccessFinding, AccessReport, Evidence, RULES};
use crate::cli::Format;
use crate::finding::Severity;
use serde_json::{Value, json};
use std::io::{self, Write};

/// Writes `report` as `format` to `out`; `color` applies to `human`.
pub fn write(
    format: Format,
    report: &AccessReport,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match format {
        Format::Human => human(report, out, color)?,
        Format::Json => {
            let doc = json!({
                "tool": "leaksweep",
                "version": env!("CARGO_PKG_VERSION"),
                "command": "access",
                "findings": report.findings,
                "skipped": report.skipped,
                "summary": report.summary,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for f in &report.findings {
                let mut v = serde_json::to_value(f)?;
                tag(&mut v, "finding");
                serde_json::to_writer(&mut *out, &v)?;
                writeln!(out)?;
            }
            for s in &report.skipped {
                let mut v = serde_json::to_value(s)?;
                tag(&mut v, "skipped");
                serde_json::to_writer(&mut *out, &v)?;
                writeln!(out)?;
            }
            let mut v = serde_json::to_value(&report.summary)?;
            tag(&mut v, "summary");
            serde_json::to_writer(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(report))?;
            writeln!(out)?;
        }
    }
    out.flush()
}

fn tag(v: &mut Value, kind: &str) {
    if let Value::Object(map) = v {
        let mut tagged = serde_json::Map::new();
        tagged.insert("type".into(), Value::from(kind));
        tagged.extend(std::mem::take(map));
        *map = tagged;
    }
}

/// The SARIF rule id of an access rule.
fn rule_id(rule: &str) -> String {
    format!("access/{rule}")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn location(e: &Evidence) -> Value {
    let (uri, relative) = path_to_uri(&e.path);
    let mut artifact = json!({ "uri": uri });
    if relative {
        artifact["uriBaseId"] = Value::from(SRCROOT);
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if let Some(line) = e.line {
        physical["region"] = json!({ "startLine": line.max(1) });
    }
    let mut where_ = e.what.clone();
    for (k, v) in [
        ("sheet", e.sheet.clone()),
        ("row", e.row.map(|r| r.to_string())),
        ("field", e.field.clone()),
        ("time", e.time.clone()),
    ] {
        if let Some(v) = v {
            where_.push_str(&format!(", {k} {v}"));
        }
    }
    json!({ "physicalLocation": physical, "message": { "text": where_ } })
}

fn sarif(report: &AccessReport) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, what, todo)| {
            let sev = match *id {
                "mixed_org_export" | "unknown_sender" => Severity::Medium,
                _ => Severity::High,
            };
            json!({
                "id": rule_id(id),
                "name": id,
                "shortDescription": { "text": what },
                "fullDescription": { "text": what },
                "help": { "text": todo },
                "defaultConfiguration": { "level": level(sev) },
                "properties": { "security-severity": security_severity(sev), "tags": ["security", "access"] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|r| r.0 == f.rule).unwrap_or(0);
            let mut locations: Vec<Value> = f.evidence.iter().map(location).collect();
            if locations.is_empty() {
                locations.push(json!({ "message": { "text": "no file" } }));
            }
            json!({
                "ruleId": rule_id(f.rule),
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": locations,
                "properties": {
                    "severity": f.severity,
                    "orgs": f.orgs,
                    "userids": f.userids,
                    "identities": f.identities,
                    "ip": f.ip,
                    "window": f.window,
                    "people": f.people,
                    "people_by_org": f.people_by_org,
                    "evidence_total": f.evidence_total,
                },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "level": "warning",
                "message": { "text": format!("skipped {}: {}", s.path, s.reason) },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leaksweep",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": { "summary": report.summary },
        }],
    })
}

fn human(report: &AccessReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let paint = |style: &str, text: &str| {
        if color {
            format!("{style}{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut rule = "";
    for f in &report.findings {
        if f.rule != rule {
            rule = f.rule;
            let (what, todo) = RULES
                .iter()
                .find(|r| r.0 == rule)
                .map(|r| (r.1, r.2))
                .unwrap_or(("", ""));
            writeln!(out, "{}", paint("\x1b[1m", &format!("{rule}: {what}")))?;
            writeln!(out, "  what to do: {todo}")?;
        }
        finding(f, out, &paint)?;
    }
    if !report.skipped.is_empty() {
        writeln!(out, "{}", paint("\x1b[1m", "skipped:"))?;
        for s in &report.skipped {
            writeln!(out, "  {}: {}", sanitize(&s.path), sanitize(&s.reason))?;
        }
    }
    let s = &report.summary;
    writeln!(out)?;
    writeln!(out, "{}", paint("\x1b[1m", "triage:"))?;
    writeln!(
        out,
        "  inputs        {} read, {} skipped",
        s.inputs_read, s.inputs_skipped
    )?;
    writeln!(out, "  organisations {}", s.orgs.len())?;
    for (name, o) in &s.orgs {
        writeln!(
            out,
            "    {}: {} members ({} disabled or left), {} log records, {} messages",
            sanitize(name),
            o.members,
            o.disabled_or_left,
            o.log_records,
            o.messages
        )?;
    }
    writeln!(
        out,
        "  identities shared across organisations: {}",
        s.identities_shared_across_orgs
    )?;
    writeln!(
        out,
        "  accounts needing action: {}",
        s.accounts_needing_action.len()
    )?;
    for a in s.accounts_needing_action.iter().take(50) {
        writeln!(out, "    {}", sanitize(a))?;
    }
    if s.accounts_needing_action.len() > 50 {
        writeln!(
            out,
            "    … and {} more (see the JSON report)",
            s.accounts_needing_action.len() - 50
        )?;
    }
    let by: Vec<String> = s.by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    writeln!(
        out,
        "  findings      {}{}",
        s.findings,
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        }
    )
}

fn finding(
    f: &AccessFinding,
    out: &mut dyn Write,
    paint: &dyn Fn(&str, &str) -> String,
) -> io::Result<()> {
    let sev = match f.severity {
        Severity::Critical | Severity::High => paint("\x1b[31m", f.severity.as_str()),
        Severity::Medium => paint("\x1b[33m", f.severity.as_str()),
        Severity::Low => f.severity.as_str().to_string(),
    };
    writeln!(out, "  [{sev}] {}", sanitize(&f.message))?;
    if !f.orgs.is_empty() {
        writeln!(out, "    organisations: {}", sanitize(&f.orgs.join(", ")))?;
    }
    if !f.userids.is_empty() {
        writeln!(out, "    accounts: {}", sanitize(&f.userids.join(", ")))?;
    }
    for i in &f.identities {
        writeln!(
            out,
            "    identity: {} {} ({})",
            i.kind,
            i.masked,
            &i.fingerprint[..16.min(i.fingerprint.len())]
        )?;
    }
    if let Some(ip) = &f.ip {
        writeln!(out, "    address: {}", sanitize(ip))?;
    }
    if let Some(w) = &f.window {
        writeln!(out, "    window: {} – {}", w.start, w.end)?;
    }
    if !f.people_by_org.is_empty() {
        let parts: Vec<String> = f
            .people_by_org
            .iter()
            .map(|(o, n)| format!("{o} {n}"))
            .collect();
        writeln!(
            out,
            "    people: {} ({})",
            f.people.unwrap_or(0),
            sanitize(&parts.join(", "))
        )?;
    }
    for e in f.evidence.iter().take(5) {
        let mut at = sanitize(&e.path);
        if let Some(l) = e.line {
            at.push_str(&format!(":{l}"));
        }
        if let Some(s) = &e.sheet {
            at.push_str(&format!(" sheet {}", sanitize(s)));
        }
        if let Some(r) = e.row {
            at.push_str(&format!(" row {r}"));
        }
        if let Some(fl) = &e.field {
            at.push_str(&format!(" {}", sanitize(fl)));
        }
        let time = e
            .time
            .as_deref()
            .map(|t| format!(" at {t}"))
            .unwrap_or_default();
        writeln!(out, "    - {}: {at}{time}", e.what)?;
    }
    if f.evidence_total > 5 {
        writeln!(
            out,
            "    - … {} supporting records in all",
            f.evidence_total
        )?;
    }
    Ok(())
}
