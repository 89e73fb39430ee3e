//! The audit: indexes the records of every input by organisation and
//! account, then runs the eight rules of [`super::RULES`]. Records are
//! gathered first (the rules join across files and time), compactly:
//! organisations, accounts and paths are interned, identities are kept as
//! keyed fingerprints plus their mask, and each rule works on sorted
//! vectors, so time and memory grow with the input and nothing else.

use super::read::{self, MemberRow, OperRow, Place, Record, Status};
use super::{
    AccessConfig, AccessFinding, AccessReport, Evidence, Identity, MAX_EVIDENCE, OrgSummary,
    Window, rfc3339,
};
use crate::finding::{Severity, Skipped};
use crate::redact::{FingerprintKey, MaskStyle, mask};
use crate::source::container::Limits;
use crate::source::{Input, Location};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

type Org = u32;
type Acct = u32;

/// One account: an organisation and a userid.
#[derive(Debug, Default)]
struct Account {
    org: Org,
    userid: String,
    status: Option<Status>,
    /// Directory rows naming it (places).
    rows: Vec<u32>,
    /// Identities bound to it (indices into `Audit::identities`).
    identities: Vec<u32>,
}

/// One identity and the accounts bound to it.
#[derive(Debug)]
struct IdentityEntry {
    id: Identity,
    accounts: Vec<Acct>,
}

/// A timed event: an account, a time, where it was read.
#[derive(Clone, Copy, Debug)]
struct Timed {
    acct: Acct,
    time: i64,
    place: u32,
}

/// A login or operation from the member log.
#[derive(Clone, Copy, Debug)]
struct Oper {
    at: Timed,
    oper_type: i64,
    ip: Option<u32>,
    admin: bool,
}

/// Per directory file: its people and organisations.
#[derive(Debug, Default)]
struct DirFile {
    people: HashSet<u128>,
    by_org: HashMap<Org, HashSet<u128>>,
    row_orgs: BTreeSet<Org>,
    rows: Vec<u32>,
    row_count: u64,
}

/// Where a record was read, compactly (a million log records keep a
/// million of these): interned path, line and row (0: none), and an index
/// into the rare sheet and JSON-path texts.
#[derive(Clone, Copy, Debug)]
struct Loc {
    path: u32,
    line: u32,
    row: u32,
    extra: u32,
}

const NO_EXTRA: u32 = u32::MAX;

/// Everything read, indexed.
#[derive(Default)]
struct Audit {
    paths: Vec<Arc<str>>,
    path_ids: HashMap<Arc<str>, u32>,
    extras: Vec<(Option<String>, Option<String>)>,
    orgs: Vec<String>,
    org_ids: HashMap<String, Org>,
    accounts: Vec<Account>,
    account_ids: HashMap<(Org, String), Acct>,
    identities: Vec<IdentityEntry>,
    identity_ids: HashMap<(u8, u128), u32>,
    places: Vec<Loc>,
    ips: Vec<String>,
    ip_ids: HashMap<String, u32>,
    opers: Vec<Oper>,
    messages: Vec<Timed>,
    switches: Vec<Timed>,
    files: BTreeMap<Arc<str>, DirFile>,
    records: BTreeMap<String, u64>,
    org_logs: HashMap<Org, (u64, u64)>,
}

/// Human names of member-log operation types.
fn oper_name(t: i64) -> &'static str {
    match t {
        1 => "login",
        2 => "joined",
        3 => "left",
        4 => "new-device login",
        5 => "changed phone number",
        6 => "bound WeChat",
        7 => "re-bound WeChat",
        13 => "secondary-device login",
        _ => "operation",
    }
}

fn is_login(t: i64) -> bool {
    matches!(t, 4 | 13)
}

fn is_rebind(t: i64) -> bool {
    matches!(t, 5..=7)
}

/// External contacts and customer groups have `wm…` / `wo…` ids.
fn is_external(userid: &str) -> bool {
    userid.starts_with("wm") || userid.starts_with("wo") || userid.starts_with("wb")
}

/// Normalized mobile (11 digits), or `None`.
fn norm_mobile(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let d = digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
        .unwrap_or(&digits);
    (d.len() == 11 && d.starts_with('1')).then(|| d.to_string())
}

fn norm_email(s: &str) -> Option<String> {
    let e = s.trim().to_lowercase();
    (e.contains('@') && e.len() > 3).then_some(e)
}

fn norm_id(s: &str) -> Option<String> {
    let id: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    (matches!(id.len(), 15 | 18) && id[..id.len() - 1].bytes().all(|b| b.is_ascii_digit()))
        .then_some(id)
}

/// First 128 bits of a hex fingerprint.
fn fp_key(fp: &str) -> u128 {
    u128::from_str_radix(fp.get(..32).unwrap_or("0"), 16).unwrap_or(0)
}

fn hash_of(s: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (s, 0x9e37u16).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

impl Audit {
    fn org(&mut self, name: &str) -> Org {
        if let Some(&o) = self.org_ids.get(name) {
            return o;
        }
        self.orgs.push(name.to_string());
        let id = (self.orgs.len() - 1) as Org;
        self.org_ids.insert(name.to_string(), id);
        id
    }

    fn account(&mut self, org: Org, userid: &str) -> Acct {
        if let Some(&a) = self.account_ids.get(&(org, userid.to_string())) {
            return a;
        }
        self.accounts.push(Account {
            org,
            userid: userid.to_string(),
            ..Account::default()
        });
        let id = (self.accounts.len() - 1) as Acct;
        self.account_ids.insert((org, userid.to_string()), id);
        id
    }

    fn ip(&mut self, ip: &str) -> u32 {
        if let Some(&i) = self.ip_ids.get(ip) {
            return i;
        }
        self.ips.push(ip.to_string());
        let id = (self.ips.len() - 1) as u32;
        self.ip_ids.insert(ip.to_string(), id);
        id
    }

    fn place(&mut self, p: Place) -> u32 {
        let path = match self.path_ids.get(&p.path) {
            Some(&i) => i,
            None => {
                self.paths.push(p.path.clone());
                let i = (self.paths.len() - 1) as u32;
                self.path_ids.insert(p.path.clone(), i);
                i
            }
        };
        let small = |n: Option<u64>| n.map_or(0, |n| n.min(u64::from(u32::MAX)) as u32);
        let extra = if p.sheet.is_some() || p.field.is_some() {
            self.extras.push((p.sheet, p.field));
            (self.extras.len() - 1) as u32
        } else {
            NO_EXTRA
        };
        self.places.push(Loc {
            path,
            line: small(p.line),
            row: small(p.row),
            extra,
        });
        (self.places.len() - 1) as u32
    }

    fn identity(&mut self, key: &FingerprintKey, kind: u8, value: &str) -> u32 {
        let (kind_name, style) = match kind {
            0 => ("cn_mobile", MaskStyle::Mobile),
            1 => ("email", MaskStyle::Email),
            _ => ("cn_resident_id", MaskStyle::ResidentId),
        };
        let fingerprint = key.fingerprint(kind_name, value.as_bytes());
        let k = (kind, fp_key(&fingerprint));
        if let Some(&i) = self.identity_ids.get(&k) {
            return i;
        }
        self.identities.push(IdentityEntry {
            id: Identity {
                kind: kind_name.to_string(),
                masked: mask(style, value),
                fingerprint,
            },
            accounts: Vec::new(),
        });
        let i = (self.identities.len() - 1) as u32;
        self.identity_ids.insert(k, i);
        i
    }

    fn count(&mut self, what: &str) {
        *self.records.entry(what.to_string()).or_insert(0) += 1;
    }

    fn add_member(&mut self, key: &FingerprintKey, file_org: Org, m: MemberRow, place: Place) {
        self.count("directory rows");
        let org = match &m.org {
            Some(o) => self.org(o),
            None => file_org,
        };
        let path = place.path.clone();
        let pid = self.place(place);
        let mut ids = Vec::new();
        if let Some(v) = m.mobile.as_deref().and_then(norm_mobile) {
            ids.push(self.identity(key, 0, &v));
        }
        if let Some(v) = m.email.as_deref().and_then(norm_email) {
            ids.push(self.identity(key, 1, &v));
        }
        if let Some(v) = m.id_number.as_deref().and_then(norm_id) {
            ids.push(self.identity(key, 2, &v));
        }
        // A person without an account handle is known by their identity.
        let person = match &m.userid {
            Some(u) => hash_of(&format!("{org}\u{0}{u}")),
            None => match ids.first() {
                Some(&i) => fp_key(&self.identities[i as usize].id.fingerprint),
                None => return,
            },
        };
        let file = self.files.entry(path).or_default();
        file.people.insert(person);
        file.by_org.entry(org).or_default().insert(person);
        if m.org.is_some() {
            file.row_orgs.insert(org);
        }
        file.row_count += 1;
        if file.rows.len() < MAX_EVIDENCE {
            file.rows.push(pid);
        }
        let Some(userid) = &m.userid else { return };
        let a = self.account(org, userid);
        let acct = &mut self.accounts[a as usize];
        // The most telling status wins when rows disagree.
        acct.status = match (acct.status, m.status) {
            (Some(Status::Left | Status::Disabled), _) => acct.status,
            (_, Some(s)) => Some(s),
            (s, None) => s,
        };
        if acct.rows.len() < MAX_EVIDENCE {
            acct.rows.push(pid);
        }
        for i in ids {
            if !acct.identities.contains(&i) {
                acct.identities.push(i);
                self.identities[i as usize].accounts.push(a);
            }
        }
    }

    fn add_oper(&mut self, org: Org, o: OperRow, place: Place) {
        self.count(if o.admin {
            "admin log records"
        } else {
            "member log records"
        });
        let acct = self.account(org, &o.userid);
        let ip = o.ip.as_deref().map(|i| self.ip(i));
        let place = self.place(place);
        self.org_logs.entry(org).or_default().0 += 1;
        self.opers.push(Oper {
            at: Timed {
                acct,
                time: o.time_ms,
                place,
            },
            oper_type: o.oper_type,
            ip,
            admin: o.admin,
        });
    }

    fn add_timed(&mut self, org: Org, user: &str, time: i64, place: Place, switch: bool) {
        self.count(if switch {
            "switch records"
        } else {
            "archive messages"
        });
        let acct = self.account(org, user);
        let place = self.place(place);
        self.org_logs.entry(org).or_default().1 += 1;
        let t = Timed { acct, time, place };
        if switch {
            self.switches.push(t);
        } else {
            self.messages.push(t);
        }
    }
}

/// The organisation of an input: `--org NAME=PATH` (the longest PATH that
/// holds it), else the name of the folder holding it.
fn org_of(input: &Input, cfg: &AccessConfig) -> String {
    let Location::File(path) = &input.location else {
        return "<stdin>".into();
    };
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
    let mut best: Option<(usize, &str)> = None;
    for (name, p) in &cfg.orgs {
        let root = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if abs.starts_with(&root) {
            let depth = root.components().count();
            if best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, name));
            }
        }
    }
    if let Some((_, name)) = best {
        return name.to_string();
    }
    abs.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "<unknown>".into())
}

/// The folder of a container entry (`a.zip!x/y/m.csv` → `y`), if any.
fn entry_folder(path: &str) -> Option<&str> {
    let (_, entry) = path.rsplit_once('!')?;
    let (folder, _) = entry.rsplit_once('/')?;
    folder.rsplit('/').next().filter(|f| !f.is_empty())
}

/// How the report masks text that came from the inputs (paths, userids):
/// `scan`'s redaction, so a userid that is a mobile number is masked.
pub type Redact<'a> = dyn FnMut(&str) -> String + 'a;

/// Reads `inputs` and runs every rule.
pub fn run(
    inputs: &[Input],
    skipped: Vec<Skipped>,
    cfg: &AccessConfig,
    key: &FingerprintKey,
    limits: &Limits,
    redact: &mut Redact<'_>,
) -> AccessReport {
    let started = Instant::now();
    let mut a = Audit::default();
    let mut report = AccessReport {
        skipped,
        ..AccessReport::default()
    };
    for input in inputs {
        let org_name = org_of(input, cfg);
        let org = a.org(&org_name);
        let name = input
            .display
            .rsplit('/')
            .next()
            .unwrap_or(&input.display)
            .to_string();
        // Inside a container, an entry under a folder (`bundle.zip!同济大学/
        // members.csv`) belongs to that folder's organisation.
        let mut entry_orgs: HashMap<Arc<str>, Org> = HashMap::new();
        let result = match &input.location {
            Location::File(p) => match std::fs::File::open(p) {
                Ok(mut f) => {
                    read::read(&mut f, &name, &input.display, limits, 0, &mut |r, place| {
                        let org = match entry_orgs.get(&place.path) {
                            Some(&o) => o,
                            None => {
                                let o = entry_folder(&place.path).map_or(org, |f| a.org(f));
                                entry_orgs.insert(place.path.clone(), o);
                                o
                            }
                        };
                        match r {
                            Record::Member(m) => a.add_member(key, org, m, place),
                            Record::Oper(o) => a.add_oper(org, o, place),
                            Record::Message { from, time_ms } => {
                                a.add_timed(org, &from, time_ms, place, false)
                            }
                            Record::Switch { user, time_ms } => {
                                a.add_timed(org, &user, time_ms, place, true)
                            }
                        }
                    })
                }
                Err(e) => Err(e.to_string().to_lowercase()),
            },
            Location::Stdin => Err("standard input is not read by `access`; name the files".into()),
        };
        match result {
            Ok(()) => report.summary.inputs_read += 1,
            Err(reason) => {
                report.skipped.push(Skipped {
                    path: redact(&input.display),
                    reason: redact(&reason),
                });
            }
        }
    }
    report.summary.inputs_skipped = report.skipped.len() as u64;
    let mut out = Vec::new();
    // Organisation names come from folders and columns: masked like paths.
    let org_names: Vec<String> = a.orgs.iter().map(|o| redact(o)).collect();
    let (messages, opers) = (messages_by_account(&a), opers_by_account(&a));
    let mut ctx = Ctx {
        a: &a,
        cfg,
        messages: &messages,
        opers: &opers,
        org_names: &org_names,
        redact,
    };
    ctx.shared_identity(&mut out);
    ctx.mixed_org_export(&mut out);
    ctx.rebind_then_login(&mut out);
    ctx.shared_ip(&mut out);
    ctx.switch_burst(&mut out);
    ctx.inactive_but_active(&mut out);
    ctx.unknown_sender(&mut out);
    ctx.bulk_directory(&mut out);
    summarize(&a, &org_names, &mut report, &out);
    report.findings = out;
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}

/// The rules, over the gathered records.
struct Ctx<'a, 'r> {
    a: &'a Audit,
    cfg: &'a AccessConfig,
    /// Archive messages per account, sorted by time.
    messages: &'a HashMap<Acct, Vec<Timed>>,
    /// Member-log operations per account, sorted by time.
    opers: &'a HashMap<Acct, Vec<Oper>>,
    /// Organisation names, masked.
    org_names: &'a [String],
    redact: &'a mut Redact<'r>,
}

/// Member-log operations per account, sorted by time.
fn opers_by_account(a: &Audit) -> HashMap<Acct, Vec<Oper>> {
    let mut by: HashMap<Acct, Vec<Oper>> = HashMap::new();
    for o in a.opers.iter().filter(|o| !o.admin) {
        by.entry(o.at.acct).or_default().push(*o);
    }
    for v in by.values_mut() {
        v.sort_by_key(|o| (o.at.time, o.at.place));
    }
    by
}

/// Messages per account, sorted by time.
fn messages_by_account(a: &Audit) -> HashMap<Acct, Vec<Timed>> {
    let mut by: HashMap<Acct, Vec<Timed>> = HashMap::new();
    for m in &a.messages {
        by.entry(m.acct).or_default().push(*m);
    }
    for v in by.values_mut() {
        v.sort_by_key(|m| (m.time, m.place));
    }
    by
}

impl Ctx<'_, '_> {
    fn evidence(&mut self, what: &str, place: u32, time: Option<i64>) -> Evidence {
        let a = self.a;
        let p = a.places[place as usize];
        let (sheet, field) = match a.extras.get(p.extra as usize) {
            Some((s, f)) => (s.as_deref(), f.clone()),
            None => (None, None),
        };
        Evidence {
            what: what.to_string(),
            path: (self.redact)(&a.paths[p.path as usize]),
            line: (p.line > 0).then_some(u64::from(p.line)),
            sheet: sheet.map(|s| (self.redact)(s)),
            row: (p.row > 0).then_some(u64::from(p.row)),
            field,
            time: time.map(rfc3339),
        }
    }

    fn org_name(&self, o: Org) -> String {
        self.org_names[o as usize].clone()
    }

    fn userid(&mut self, acct: Acct) -> String {
        (self.redact)(&self.a.accounts[acct as usize].userid)
    }

    /// A finding naming `accts` (organisations and userids taken from them).
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &mut self,
        rule: &'static str,
        severity: Severity,
        message: String,
        accts: &[Acct],
        evidence: Vec<Evidence>,
        total: u64,
        window: Option<(i64, i64)>,
    ) -> AccessFinding {
        let orgs: BTreeSet<String> = accts
            .iter()
            .map(|&x| self.org_name(self.a.accounts[x as usize].org))
            .collect();
        let mut userids: Vec<String> = accts.iter().map(|&x| self.userid(x)).collect();
        userids.sort();
        userids.dedup();
        let mut accounts: Vec<String> = accts
            .iter()
            .map(|&x| {
                let org = self.org_name(self.a.accounts[x as usize].org);
                format!("{org}/{}", self.userid(x))
            })
            .collect();
        accounts.sort();
        accounts.dedup();
        AccessFinding {
            rule,
            severity,
            message,
            orgs: orgs.into_iter().collect(),
            userids,
            accounts,
            identities: Vec::new(),
            ip: None,
            window: window.map(|(s, e)| Window {
                start: rfc3339(s),
                end: rfc3339(e),
            }),
            people: None,
            people_by_org: BTreeMap::new(),
            evidence,
            evidence_total: total,
        }
    }

    fn rows_of(&mut self, accts: &[Acct]) -> (Vec<Evidence>, u64) {
        let mut ev = Vec::new();
        let mut total = 0;
        for &x in accts {
            for &p in &self.a.accounts[x as usize].rows {
                total += 1;
                if ev.len() < MAX_EVIDENCE {
                    ev.push(self.evidence("directory row", p, None));
                }
            }
        }
        (ev, total)
    }

    /// Rule 1.
    fn shared_identity(&mut self, out: &mut Vec<AccessFinding>) {
        let a = self.a;
        for entry in &a.identities {
            if entry.accounts.len() < 2 {
                continue;
            }
            let orgs: BTreeSet<Org> = entry
                .accounts
                .iter()
                .map(|&x| a.accounts[x as usize].org)
                .collect();
            let severity = if orgs.len() >= 2 {
                Severity::High
            } else {
                Severity::Medium
            };
            let (ev, total) = self.rows_of(&entry.accounts);
            let message = if orgs.len() >= 2 {
                format!(
                    "{} {} is bound to {} accounts in {} organisations",
                    entry.id.kind,
                    entry.id.masked,
                    entry.accounts.len(),
                    orgs.len()
                )
            } else {
                format!(
                    "{} {} is bound to {} accounts of one organisation",
                    entry.id.kind,
                    entry.id.masked,
                    entry.accounts.len()
                )
            };
            let mut f = self.finding(
                "shared_identity",
                severity,
                message,
                &entry.accounts,
                ev,
                total,
                None,
            );
            f.identities.push(entry.id.clone());
            out.push(f);
        }
    }

    /// Rule 2.
    fn mixed_org_export(&mut self, out: &mut Vec<AccessFinding>) {
        let a = self.a;
        for (path, file) in &a.files {
            if file.row_orgs.len() < 2 {
                continue;
            }
            let by_org = self.people_by_org(file);
            let ev: Vec<Evidence> = file
                .rows
                .iter()
                .map(|&p| self.evidence("directory row", p, None))
                .collect();
            out.push(AccessFinding {
                rule: "mixed_org_export",
                severity: Severity::Medium,
                message: format!(
                    "{} holds members of {} organisations",
                    (self.redact)(path),
                    file.row_orgs.len()
                ),
                orgs: by_org.keys().cloned().collect(),
                userids: Vec::new(),
                accounts: Vec::new(),
                identities: Vec::new(),
                ip: None,
                window: None,
                people: Some(file.people.len() as u64),
                people_by_org: by_org,
                evidence: ev,
                evidence_total: file.row_count,
            });
        }
    }

    fn people_by_org(&self, file: &DirFile) -> BTreeMap<String, u64> {
        file.by_org
            .iter()
            .map(|(&o, set)| (self.org_name(o), set.len() as u64))
            .collect()
    }

    /// Rule 3.
    fn rebind_then_login(&mut self, out: &mut Vec<AccessFinding>) {
        let by = self.opers;
        let mut accts: Vec<&Acct> = by.keys().collect();
        accts.sort();
        for &acct in accts {
            let ops = &by[&acct];
            for (i, r) in ops.iter().enumerate() {
                if !is_rebind(r.oper_type) {
                    continue;
                }
                let login = ops[i + 1..].iter().find(|o| {
                    is_login(o.oper_type) && o.at.time - r.at.time <= self.cfg.rebind_window_ms
                });
                let Some(l) = login.filter(|l| l.at.time - r.at.time <= self.cfg.rebind_window_ms)
                else {
                    continue;
                };
                let ev = vec![
                    self.evidence(
                        &format!("oper_type {} ({})", r.oper_type, oper_name(r.oper_type)),
                        r.at.place,
                        Some(r.at.time),
                    ),
                    self.evidence(
                        &format!("oper_type {} ({})", l.oper_type, oper_name(l.oper_type)),
                        l.at.place,
                        Some(l.at.time),
                    ),
                ];
                let user = self.userid(acct);
                let minutes = (l.at.time - r.at.time) / 60_000;
                let mut f = self.finding(
                    "rebind_then_login",
                    Severity::High,
                    format!(
                        "{user}: {} then {} {minutes} minutes later",
                        oper_name(r.oper_type),
                        oper_name(l.oper_type)
                    ),
                    &[acct],
                    ev,
                    2,
                    Some((r.at.time, l.at.time)),
                );
                f.ip = l.ip.map(|i| self.a.ips[i as usize].clone());
                out.push(f);
            }
        }
    }

    /// Rule 4.
    fn shared_ip(&mut self, out: &mut Vec<AccessFinding>) {
        let mut by: HashMap<u32, Vec<Oper>> = HashMap::new();
        for o in &self.a.opers {
            if let (Some(ip), false, true) = (o.ip, o.admin, is_login(o.oper_type)) {
                by.entry(ip).or_default().push(*o);
            }
        }
        let mut ips: Vec<u32> = by.keys().copied().collect();
        ips.sort_by(|x, y| self.a.ips[*x as usize].cmp(&self.a.ips[*y as usize]));
        let w = self.cfg.ip_window_ms;
        for ip in ips {
            let mut ev = by.remove(&ip).unwrap_or_default();
            ev.sort_by_key(|o| (o.at.time, o.at.place));
            // Two pointers over the window [ev[i].time, ev[i].time + w],
            // with counts of accounts and organisations inside it.
            let (mut accts, mut orgs): (HashMap<Acct, u32>, HashMap<Org, u32>) =
                (HashMap::new(), HashMap::new());
            let (mut i, mut j) = (0, 0);
            while i < ev.len() {
                while j < ev.len() && ev[j].at.time - ev[i].at.time <= w {
                    let a = ev[j].at.acct;
                    *accts.entry(a).or_insert(0) += 1;
                    *orgs.entry(self.a.accounts[a as usize].org).or_insert(0) += 1;
                    j += 1;
                }
                let cross = orgs.len() >= 2;
                if cross || accts.len() > self.cfg.ip_max_accounts {
                    let mut members: Vec<Acct> = accts.keys().copied().collect();
                    members.sort();
                    let evidence: Vec<Evidence> = ev[i..j]
                        .iter()
                        .take(MAX_EVIDENCE)
                        .map(|o| {
                            self.evidence(
                                &format!("oper_type {} ({})", o.oper_type, oper_name(o.oper_type)),
                                o.at.place,
                                Some(o.at.time),
                            )
                        })
                        .collect();
                    let addr = self.a.ips[ip as usize].clone();
                    let message = if cross {
                        format!(
                            "{addr} logged in to {} accounts of {} organisations within {} minutes",
                            members.len(),
                            orgs.len(),
                            w / 60_000
                        )
                    } else {
                        format!(
                            "{addr} logged in to {} accounts within {} minutes (more than {})",
                            members.len(),
                            w / 60_000,
                            self.cfg.ip_max_accounts
                        )
                    };
                    let mut f = self.finding(
                        "shared_ip",
                        if cross {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        message,
                        &members,
                        evidence,
                        (j - i) as u64,
                        Some((ev[i].at.time, ev[j - 1].at.time)),
                    );
                    f.ip = Some(addr);
                    out.push(f);
                    // One finding per burst: go on after its window.
                    accts.clear();
                    orgs.clear();
                    i = j;
                    continue;
                }
                let a = ev[i].at.acct;
                let org = self.a.accounts[a as usize].org;
                for (map, k) in [(&mut accts, a), (&mut orgs, org)] {
                    if let Some(n) = map.get_mut(&k) {
                        *n -= 1;
                        if *n == 0 {
                            map.remove(&k);
                        }
                    }
                }
                i += 1;
            }
        }
    }

    /// Rule 5.
    fn switch_burst(&mut self, out: &mut Vec<AccessFinding>) {
        let mut by: BTreeMap<Acct, Vec<Timed>> = BTreeMap::new();
        for s in &self.a.switches {
            by.entry(s.acct).or_default().push(*s);
        }
        let messages = self.messages;
        let w = self.cfg.switch_window_ms;
        for (acct, mut sw) in by {
            sw.sort_by_key(|s| (s.time, s.place));
            // Bursts.
            let mut i = 0;
            while i < sw.len() {
                let mut j = i;
                while j < sw.len() && sw[j].time - sw[i].time <= w {
                    j += 1;
                }
                if j - i >= self.cfg.switch_min {
                    let ev: Vec<Evidence> = sw[i..j]
                        .iter()
                        .take(MAX_EVIDENCE)
                        .map(|s| self.evidence("switch", s.place, Some(s.time)))
                        .collect();
                    let user = self.userid(acct);
                    let f = self.finding(
                        "switch_burst",
                        Severity::Medium,
                        format!(
                            "{user} switched organisation {} times within {} minutes",
                            j - i,
                            w / 60_000
                        ),
                        &[acct],
                        ev,
                        (j - i) as u64,
                        Some((sw[i].time, sw[j - 1].time)),
                    );
                    out.push(f);
                    i = j;
                } else {
                    i += 1;
                }
            }
            // A switch followed by messages of a linked account of another
            // organisation (one that shares an identity with this member).
            let a = self.a;
            let me = &a.accounts[acct as usize];
            let mut linked: Vec<(Acct, u32)> = Vec::new();
            for &id in &me.identities {
                for &other in &a.identities[id as usize].accounts {
                    if a.accounts[other as usize].org != me.org
                        && !linked.iter().any(|(o, _)| *o == other)
                    {
                        linked.push((other, id));
                    }
                }
            }
            linked.sort();
            for (other, id) in linked {
                let Some(msgs) = messages.get(&other) else {
                    continue;
                };
                let hit = sw.iter().find_map(|s| {
                    let k = msgs.partition_point(|m| m.time < s.time);
                    msgs.get(k)
                        .filter(|m| m.time - s.time <= w)
                        .map(|m| (*s, *m))
                });
                let Some((s, m)) = hit else { continue };
                let ev = vec![
                    self.evidence("switch", s.place, Some(s.time)),
                    self.evidence("message from the linked account", m.place, Some(m.time)),
                ];
                let (user, them) = (self.userid(acct), self.userid(other));
                let mut f = self.finding(
                    "switch_burst",
                    Severity::High,
                    format!(
                        "{user} switched organisation, then {them} of another organisation, bound to the same identity, sent a message {} minutes later",
                        (m.time - s.time) / 60_000
                    ),
                    &[acct, other],
                    ev,
                    2,
                    Some((s.time, m.time)),
                );
                f.identities.push(self.a.identities[id as usize].id.clone());
                out.push(f);
            }
        }
    }

    /// Rule 6.
    fn inactive_but_active(&mut self, out: &mut Vec<AccessFinding>) {
        let messages = self.messages;
        let opers = self.opers;
        let a = self.a;
        let mut admin: HashMap<Acct, Vec<&Oper>> = HashMap::new();
        for o in a.opers.iter().filter(|o| o.admin) {
            admin.entry(o.at.acct).or_default().push(o);
        }
        for (acct, account) in a.accounts.iter().enumerate() {
            let acct = acct as Acct;
            let label = match account.status {
                Some(Status::Disabled) => "disabled",
                Some(Status::Left) => "left",
                _ => continue,
            };
            let mut events: Vec<(i64, u32, String)> = Vec::new();
            if let Some(ms) = messages.get(&acct) {
                events.extend(
                    ms.iter()
                        .map(|m| (m.time, m.place, "archive message".to_string())),
                );
            }
            if let Some(ops) = admin.get(&acct) {
                events.extend(
                    ops.iter()
                        .map(|o| (o.at.time, o.at.place, "admin operation".to_string())),
                );
            }
            if let Some(os) = opers.get(&acct) {
                events.extend(os.iter().filter(|o| is_login(o.oper_type)).map(|o| {
                    (
                        o.at.time,
                        o.at.place,
                        format!("oper_type {} ({})", o.oper_type, oper_name(o.oper_type)),
                    )
                }));
            }
            if events.is_empty() {
                continue;
            }
            events.sort();
            let (mut ev, _) = self.rows_of(&[acct]);
            ev.truncate(2);
            for (t, p, what) in events.iter().take(MAX_EVIDENCE - ev.len()) {
                ev.push(self.evidence(what, *p, Some(*t)));
            }
            let user = self.userid(acct);
            let f = self.finding(
                "inactive_but_active",
                Severity::High,
                format!(
                    "{user} is {label} in the directory but has {} messages or logins",
                    events.len()
                ),
                &[acct],
                ev,
                events.len() as u64 + 1,
                Some((events[0].0, events[events.len() - 1].0)),
            );
            out.push(f);
        }
    }

    /// Rule 7.
    fn unknown_sender(&mut self, out: &mut Vec<AccessFinding>) {
        // Organisations with a directory: only there is "absent" a signal.
        let with_dir: HashSet<Org> = self
            .a
            .accounts
            .iter()
            .filter(|x| !x.rows.is_empty())
            .map(|x| x.org)
            .collect();
        let messages = self.messages;
        let mut accts: Vec<Acct> = messages.keys().copied().collect();
        accts.sort();
        for acct in accts {
            let a = self.a;
            let account = &a.accounts[acct as usize];
            if !account.rows.is_empty()
                || !with_dir.contains(&account.org)
                || is_external(&account.userid)
                || account.userid.contains('/')
            {
                continue;
            }
            let ms = &messages[&acct];
            let ev: Vec<Evidence> = ms
                .iter()
                .take(MAX_EVIDENCE)
                .map(|m| self.evidence("archive message", m.place, Some(m.time)))
                .collect();
            let user = self.userid(acct);
            let org = self.org_name(account.org);
            let f = self.finding(
                "unknown_sender",
                Severity::Medium,
                format!(
                    "{user} sent {} messages but is not in {org}'s directory",
                    ms.len()
                ),
                &[acct],
                ev,
                ms.len() as u64,
                Some((ms[0].time, ms[ms.len() - 1].time)),
            );
            out.push(f);
        }
    }

    /// Rule 8.
    fn bulk_directory(&mut self, out: &mut Vec<AccessFinding>) {
        let a = self.a;
        for (path, file) in &a.files {
            let people = file.people.len() as u64;
            if people < self.cfg.bulk_min {
                continue;
            }
            let by_org = self.people_by_org(file);
            let ev: Vec<Evidence> = file
                .rows
                .iter()
                .take(3)
                .map(|&p| self.evidence("directory row", p, None))
                .collect();
            out.push(AccessFinding {
                rule: "bulk_directory",
                severity: Severity::High,
                message: format!(
                    "{} holds the directory entries of {people} distinct people",
                    (self.redact)(path)
                ),
                orgs: by_org.keys().cloned().collect(),
                userids: Vec::new(),
                accounts: Vec::new(),
                identities: Vec::new(),
                ip: None,
                window: None,
                people: Some(people),
                people_by_org: by_org,
                evidence: ev,
                evidence_total: file.row_count,
            });
        }
    }
}

fn summarize(
    a: &Audit,
    org_names: &[String],
    report: &mut AccessReport,
    findings: &[AccessFinding],
) {
    let s = &mut report.summary;
    s.records = a.records.clone();
    let mut per_org = vec![OrgSummary::default(); a.orgs.len()];
    for acct in a.accounts.iter().filter(|x| !x.rows.is_empty()) {
        let sum = &mut per_org[acct.org as usize];
        sum.members += 1;
        if matches!(acct.status, Some(Status::Disabled | Status::Left)) {
            sum.disabled_or_left += 1;
        }
    }
    for (&o, &(logs, msgs)) in &a.org_logs {
        per_org[o as usize].log_records = logs;
        per_org[o as usize].messages = msgs;
    }
    for (sum, name) in per_org.into_iter().zip(org_names) {
        if sum.members + sum.log_records + sum.messages > 0 {
            s.orgs.insert(name.clone(), sum);
        }
    }
    s.identities_shared_across_orgs = a
        .identities
        .iter()
        .filter(|e| {
            let orgs: HashSet<Org> = e
                .accounts
                .iter()
                .map(|&x| a.accounts[x as usize].org)
                .collect();
            orgs.len() >= 2
        })
        .count() as u64;
    let action: BTreeSet<String> = findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .flat_map(|f| f.accounts.iter().cloned())
        .collect();
    s.accounts_needing_action = action.into_iter().collect();
    s.findings = findings.len() as u64;
    for f in findings {
        *s.by_rule.entry(f.rule.to_string()).or_insert(0) += 1;
        *s.by_severity.entry(f.severity.to_string()).or_insert(0) += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(
            norm_mobile("+86 138-0013-8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            norm_mobile("0086 13800138000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(norm_mobile("010-12345678"), None);
        assert_eq!(
            norm_email(" Z@Example.com ").as_deref(),
            Some("z@example.com")
        );
        assert_eq!(
            norm_id("11010119900307701x").as_deref(),
            Some("11010119900307701X")
        );
        assert!(is_external("wmAbc") && !is_external("ZhangWei"));
    }
}
