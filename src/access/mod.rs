//! `leaksweep access`: the cross-organisation access audit (the Tongji
//! case). Where `scan` looks at values one by one, the audit joins records
//! across files: directory rows, session-archive messages and switch
//! records, member and admin operation logs. It is its own small pipeline
//! with the same three rooms:
//!
//! ```text
//! read (records from any input) ──▶ audit (eight rules) ──▶ report::access
//! ```
//!
//! [`read`] turns inputs into plain records, [`audit`] indexes them and
//! runs the rules, and the report module writes [`AccessReport`] in the
//! formats of `scan`. Phone numbers, emails and ID numbers are
//! fingerprinted and masked inside [`audit`]; nothing raw reaches a report.

pub mod audit;
pub mod read;

use crate::finding::{Severity, Skipped};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Thresholds and windows of the rules, and where organisations come from.
#[derive(Clone, Debug)]
pub struct AccessConfig {
    /// Rule 3: a login this soon after a rebinding is suspicious (ms).
    pub rebind_window_ms: i64,
    /// Rule 4: window for logins from one address (ms).
    pub ip_window_ms: i64,
    /// Rule 4: more accounts than this on one address in the window fire.
    pub ip_max_accounts: usize,
    /// Rule 5: this many switches in the window fire.
    pub switch_min: usize,
    /// Rule 5: window for switches, and for messages after a switch (ms).
    pub switch_window_ms: i64,
    /// Rule 8: a file with at least this many distinct people fires.
    pub bulk_min: u64,
    /// `--org NAME=PATH`: inputs under PATH belong to NAME.
    pub orgs: Vec<(String, PathBuf)>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            rebind_window_ms: 24 * 3600 * 1000,
            ip_window_ms: 10 * 60 * 1000,
            ip_max_accounts: 5,
            switch_min: 3,
            switch_window_ms: 3600 * 1000,
            bulk_min: 1000,
            orgs: Vec::new(),
        }
    }
}

/// The rules, in order: id, severity range, what it means, what to do.
pub const RULES: &[(&str, &str, &str)] = &[
    (
        "shared_identity",
        "One mobile number, email or ID number bound to accounts in two or more organisations (high), or to two accounts in one organisation (medium)",
        "Confirm who holds the number today; unbind it from the account that is not theirs (a recycled or re-bound number is how the Tongji case began)",
    ),
    (
        "mixed_org_export",
        "One directory file holds members of more than one organisation",
        "Find out who exported it and why it mixes organisations; a member of one should not see another's directory",
    ),
    (
        "rebind_then_login",
        "A member's phone number or WeChat binding changed (oper_type 5, 6, 7) and a new-device or secondary-device login (4, 13) followed within the window",
        "Ask the member whether both were theirs; if not, reset the binding, sign out the new device and review what the account saw",
    ),
    (
        "shared_ip",
        "One network address logged in to accounts of different organisations (high), or to more accounts than the threshold (medium), within the window",
        "Check whether the address is a shared office or NAT; otherwise treat the accounts as used by one person",
    ),
    (
        "switch_burst",
        "A member switched organisation many times within the window (medium), or a switch was followed by messages from an account of another organisation that shares the member's identity (high)",
        "Check whether the member belongs to both organisations; unlink the device from the one they do not",
    ),
    (
        "inactive_but_active",
        "A member whose status is disabled (2) or left (5) sent archive messages or logged in",
        "Disable the account's sessions and devices now and review its activity since it was disabled",
    ),
    (
        "unknown_sender",
        "An internal-looking sender (not an external wm…/wo… id) is missing from its organisation's directory",
        "Find the account: a deleted member still sending, or an account the directory export does not show",
    ),
    (
        "bulk_directory",
        "A file holds the directory entries of at least the threshold of distinct people",
        "Treat the file as a bulk personal-data export: find where it came from, who holds copies, and delete the ones that should not exist",
    ),
];

/// A masked, fingerprinted identity (mobile, email, ID number).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Identity {
    /// `cn_mobile`, `email` or `cn_resident_id` (as in `scan`).
    pub kind: String,
    /// The value masked.
    pub masked: String,
    /// Keyed HMAC-SHA256, the same a `scan` finding of the value carries.
    pub fingerprint: String,
}

/// A time window, in RFC 3339 UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First event.
    pub start: String,
    /// Last event.
    pub end: String,
}

/// One record supporting a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What the record is (`directory row`, `oper_type 4 (new-device login)`…).
    pub what: String,
    /// Display path (masked like every path).
    pub path: String,
    /// 1-based line, for text inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Sheet, for workbooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Row, for tables (header = 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// JSON path, inside documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Event time, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// Evidence rows kept per finding (the total is reported too).
pub const MAX_EVIDENCE: usize = 20;

/// One access finding.
#[derive(Clone, Debug, Serialize)]
pub struct AccessFinding {
    /// Rule id (see [`RULES`]).
    pub rule: &'static str,
    /// `high` or `medium`.
    pub severity: Severity,
    /// One sentence saying what was seen (masked).
    pub message: String,
    /// Organisations involved, sorted.
    pub orgs: Vec<String>,
    /// Account handles involved, sorted (masked where a userid is itself
    /// an identifier, such as a mobile number).
    pub userids: Vec<String>,
    /// The same accounts with their organisations, `org/userid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// Identities involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Identity>,
    /// Network address (rule 4, and logins of rule 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Time window of the events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Distinct people (rule 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<u64>,
    /// Distinct people per organisation (rules 2 and 8).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub people_by_org: BTreeMap<String, u64>,
    /// Supporting records (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Evidence>,
    /// All supporting records, of which `evidence` lists the first.
    pub evidence_total: u64,
}

/// Members seen per organisation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OrgSummary {
    /// Distinct accounts in its directory files.
    pub members: u64,
    /// Of them, disabled or left.
    pub disabled_or_left: u64,
    /// Operation-log records.
    pub log_records: u64,
    /// Archive messages and switch records.
    pub messages: u64,
}

/// Totals of an audit: the triage summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccessSummary {
    /// Inputs read (fully or with errors reported).
    pub inputs_read: u64,
    /// Inputs not read (see `skipped`).
    pub inputs_skipped: u64,
    /// Records by type.
    pub records: BTreeMap<String, u64>,
    /// Organisations seen, with their members.
    pub orgs: BTreeMap<String, OrgSummary>,
    /// Identities bound to accounts in two or more organisations.
    pub identities_shared_across_orgs: u64,
    /// Accounts in a high-severity finding (`org/userid`), sorted.
    pub accounts_needing_action: Vec<String>,
    /// Findings.
    pub findings: u64,
    /// Findings per rule.
    pub by_rule: BTreeMap<String, u64>,
    /// Findings per severity.
    pub by_severity: BTreeMap<String, u64>,
    /// Wall-clock time, milliseconds.
    pub elapsed_ms: u64,
}

/// What an audit found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccessReport {
    /// Findings, by rule then organisation.
    pub findings: Vec<AccessFinding>,
    /// Inputs (or container entries) not read, and why.
    pub skipped: Vec<Skipped>,
    /// Totals.
    pub summary: AccessSummary,
}

/// RFC 3339 UTC of milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses a duration: `90s`, `10m`, `24h`, `2d`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (use 90s, 10m, 24h or 2d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{s:?} is not a duration (use 90s, 10m, 24h or 2d)")),
    };
    if secs <= 0 {
        return Err(format!("{s:?}: a window must be longer than zero"));
    }
    Ok(secs * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(parse_duration("10m"), Ok(600_000));
        assert_eq!(parse_duration("24h"), Ok(86_400_000));
        assert_eq!(parse_duration("90"), Ok(90_000));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
