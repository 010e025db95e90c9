//! Compliance over the cache: loads the policies in effect once, then reads the matching
//! devices with their groups and installed apps in device order and judges each with
//! [`rules::evaluate`].
//!
//! Many devices are read in one ordered pass over `installed_apps` and `group_members`
//! alongside the devices (a merge by device uuid); a few are looked up one by one.

use std::collections::HashMap;

use koffer_api::{ComplianceState, ListMode};
use rusqlite::{params_from_iter, Connection, Rows};

use super::rules::{self, AppId, AppRule, Interner, KofferState, PolicyRules, SchoolTime, Window};
use super::{AppRef, ComplianceQuery, ComplianceReport, ComplianceRow, REPORT_ROWS};
use super::{DeviceCompliance, PolicyApplied};
use crate::error::Result;
use crate::policies::TimeWindowView;
use crate::query::{resolve_names, where_clause, DeviceQuery, Indexes};
use crate::store::policies;

/// Below this share of all cached devices, devices are looked up one by one instead of in one
/// pass over every installed app.
const LOOKUP_BELOW_SHARE: usize = 4;

/// The policies that take effect, with their apps interned, and which groups they apply to.
#[derive(Debug)]
pub struct PolicyBook {
    pub apps: Interner,
    pub policies: Vec<PolicyRules>,
    /// In effect at the moment the book was made, per policy.
    pub in_effect: Vec<bool>,
    /// Indexes into `policies`, per group uuid.
    by_group: HashMap<String, Vec<u32>>,
    /// Names from the catalogues, by app.
    catalogue_names: HashMap<AppId, String>,
}

impl PolicyBook {
    /// The newest published version of every cached policy, judged at `now_ms`.
    pub fn load(conn: &Connection, now_ms: i64) -> Result<PolicyBook> {
        let at = SchoolTime::at(now_ms);
        let mut apps = Interner::default();
        let mut policies = Vec::new();
        let mut in_effect = Vec::new();
        let mut by_group: HashMap<String, Vec<u32>> = HashMap::new();
        let newest = newest_versions(conn)?;
        for published in policies::published_versions(conn, None)? {
            let index = policies.len() as u32;
            let rules = rules_of(&published, &newest, &mut apps);
            in_effect.push(!rules.rules.is_empty() && rules::in_effect(&rules.windows, at));
            policies.push(rules);
            for group in &published.group_uuids {
                by_group.entry(group.clone()).or_default().push(index);
            }
        }
        let catalogue_names = catalogue_names(conn, &mut apps)?;
        Ok(PolicyBook {
            apps,
            policies,
            in_effect,
            by_group,
            catalogue_names,
        })
    }

    /// The policies of these groups that are in effect, without repeats.
    fn in_effect_for(&self, groups: &[u32], out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            groups
                .iter()
                .copied()
                .filter(|p| self.in_effect[*p as usize]),
        );
        out.sort_unstable();
        out.dedup();
    }

    fn group_policies(&self, group: &str) -> Option<&[u32]> {
        self.by_group.get(group).map(Vec::as_slice)
    }
}

fn newest_versions(conn: &Connection) -> Result<HashMap<String, u32>> {
    let mut statement = conn.prepare_cached("SELECT uuid, version FROM policies")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn rules_of(
    published: &policies::PublishedPolicy,
    newest: &HashMap<String, u32>,
    apps: &mut Interner,
) -> PolicyRules {
    let version = &published.version;
    let rules = version
        .configurations
        .iter()
        .filter_map(|c| c.app_compliance())
        .map(|c| AppRule {
            list_mode: c.list_mode,
            listed: apps.intern_all(&c.apps),
            required: apps.intern_all(&c.required_apps),
        })
        .collect();
    PolicyRules {
        uuid: published.policy_uuid.clone(),
        org_uuid: published.org_uuid.clone(),
        name: published.name.clone(),
        version: version.version,
        newest_version: newest
            .get(&published.policy_uuid)
            .copied()
            .unwrap_or(version.version)
            .max(version.version),
        windows: version.time_windows.iter().map(Window::parse).collect(),
        rules,
    }
}

fn catalogue_names(conn: &Connection, apps: &mut Interner) -> Result<HashMap<AppId, String>> {
    let mut statement = conn.prepare_cached("SELECT bundle_id, name FROM catalog_apps")?;
    let mut rows = statement.query([])?;
    let mut names = HashMap::new();
    while let Some(row) = rows.next()? {
        let id = apps.intern(row.get_ref(0)?.as_str().unwrap_or_default());
        names.entry(id).or_insert(row.get(1)?);
    }
    Ok(names)
}

/// A device as the compliance report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    pub uuid: String,
    pub name: String,
    pub serial: String,
    pub org_uuid: String,
    pub org_name: String,
    pub user_name: Option<String>,
    pub server_state: String,
    pub os_version: String,
    pub last_contact: Option<i64>,
}

/// One device judged: what it is, Koffer's verdict, and the policies in effect for it.
#[derive(Debug, Clone)]
pub struct Judged {
    pub device: DeviceFacts,
    pub verdict: rules::Verdict,
    /// Indexes into the book's policies.
    pub policies: Vec<u32>,
}

impl Judged {
    /// The server's state and Koffer's verdict disagree; a device without a policy counts as
    /// compliant, and an unknown server state disagrees with nothing.
    pub fn disagrees(&self) -> bool {
        let koffer_compliant = self.verdict.state != KofferState::NonCompliant;
        match ComplianceState::parse(&self.device.server_state) {
            ComplianceState::Compliant => !koffer_compliant,
            ComplianceState::NonCompliant => koffer_compliant,
            ComplianceState::Unknown => false,
        }
    }
}

/// Judges every device matching `query` (all of them, whatever its limit), in device uuid
/// order.
pub fn judge_devices(
    conn: &Connection,
    book: &PolicyBook,
    interner: &mut Interner,
    query: &DeviceQuery,
    now_ms: i64,
    visit: impl FnMut(Judged) -> Result<()>,
) -> Result<()> {
    let devices = matching_devices(conn, query, now_ms)?;
    judge_listed(conn, book, interner, devices, visit)
}

/// Judges these devices, which must be in uuid order.
pub fn judge_listed(
    conn: &Connection,
    book: &PolicyBook,
    interner: &mut Interner,
    devices: Vec<DeviceFacts>,
    mut visit: impl FnMut(Judged) -> Result<()>,
) -> Result<()> {
    let cached: usize = conn.query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?;
    let mut reader = if devices.len() * LOOKUP_BELOW_SHARE < cached {
        Reader::lookup(conn)?
    } else {
        Reader::Merge
    };
    let mut apps_statement = conn.prepare_cached(
        "SELECT device_uuid, bundle_id FROM installed_apps ORDER BY device_uuid, bundle_id",
    )?;
    let mut groups_statement = conn.prepare_cached(
        "SELECT device_uuid, group_uuid FROM group_members INDEXED BY group_members_device
         ORDER BY device_uuid",
    )?;
    let mut merge = match reader {
        Reader::Merge => Some((
            Merge::start(apps_statement.query([])?)?,
            Merge::start(groups_statement.query([])?)?,
        )),
        Reader::Lookup { .. } => None,
    };
    let (mut installed, mut groups, mut in_effect) = (Vec::new(), Vec::new(), Vec::new());
    for device in devices {
        installed.clear();
        groups.clear();
        match (&mut reader, &mut merge) {
            (_, Some((apps, memberships))) => {
                apps.take(&device.uuid, &mut installed, |b| Some([interner.intern(b)]))?;
                memberships.take(&device.uuid, &mut groups, |g| {
                    book.group_policies(g).map(|p| p.iter().copied())
                })?;
            }
            (reader, None) => {
                reader.read(&device.uuid, interner, book, &mut installed, &mut groups)?
            }
        }
        installed.sort_unstable();
        installed.dedup();
        book.in_effect_for(&groups, &mut in_effect);
        let rules: Vec<&PolicyRules> = in_effect
            .iter()
            .map(|p| &book.policies[*p as usize])
            .collect();
        let verdict = rules::evaluate(&installed, &rules);
        visit(Judged {
            device,
            verdict,
            policies: in_effect.clone(),
        })?;
    }
    Ok(())
}

enum Reader<'c> {
    Merge,
    Lookup {
        apps: rusqlite::CachedStatement<'c>,
        groups: rusqlite::CachedStatement<'c>,
    },
}

impl<'c> Reader<'c> {
    fn lookup(conn: &'c Connection) -> Result<Reader<'c>> {
        Ok(Reader::Lookup {
            apps: conn
                .prepare_cached("SELECT bundle_id FROM installed_apps WHERE device_uuid = ?1")?,
            groups: conn
                .prepare_cached("SELECT group_uuid FROM group_members WHERE device_uuid = ?1")?,
        })
    }

    fn read(
        &mut self,
        device: &str,
        interner: &mut Interner,
        book: &PolicyBook,
        installed: &mut Vec<AppId>,
        groups: &mut Vec<u32>,
    ) -> Result<()> {
        let Reader::Lookup {
            apps,
            groups: members,
        } = self
        else {
            return Ok(());
        };
        let mut rows = apps.query([device])?;
        while let Some(row) = rows.next()? {
            installed.push(interner.intern(row.get_ref(0)?.as_str().unwrap_or_default()));
        }
        let mut rows = members.query([device])?;
        while let Some(row) = rows.next()? {
            let group = row.get_ref(0)?.as_str().unwrap_or_default();
            groups.extend(book.group_policies(group).unwrap_or_default());
        }
        Ok(())
    }
}

/// Rows `(device_uuid, text)` in device order, read alongside the devices.
struct Merge<'s> {
    rows: Rows<'s>,
    device: String,
    value: String,
    live: bool,
}

impl<'s> Merge<'s> {
    fn start(rows: Rows<'s>) -> Result<Merge<'s>> {
        let mut merge = Merge {
            rows,
            device: String::new(),
            value: String::new(),
            live: true,
        };
        merge.step()?;
        Ok(merge)
    }

    fn step(&mut self) -> Result<()> {
        match self.rows.next()? {
            Some(row) => {
                self.device.clear();
                self.device
                    .push_str(row.get_ref(0)?.as_str().unwrap_or_default());
                self.value.clear();
                self.value
                    .push_str(row.get_ref(1)?.as_str().unwrap_or_default());
            }
            None => self.live = false,
        }
        Ok(())
    }

    /// Adds what `read` makes of each row of `device` to `out`, skipping rows of devices
    /// before it (devices the filters left out).
    fn take<T, I>(
        &mut self,
        device: &str,
        out: &mut Vec<T>,
        mut read: impl FnMut(&str) -> Option<I>,
    ) -> Result<()>
    where
        I: IntoIterator<Item = T>,
    {
        while self.live && self.device.as_str() < device {
            self.step()?;
        }
        while self.live && self.device == device {
            out.extend(read(&self.value).into_iter().flatten());
            self.step()?;
        }
        Ok(())
    }
}

const SELECT_FACTS: &str = "SELECT d.uuid, d.name, d.serial, d.org_uuid, o.name, d.user_name,
        d.compliance, d.os_version, d.last_contact
    FROM devices d JOIN organisations o ON o.uuid = d.org_uuid";

/// The devices matching `query`, in uuid order.
pub fn matching_devices(
    conn: &Connection,
    query: &DeviceQuery,
    now_ms: i64,
) -> Result<Vec<DeviceFacts>> {
    let query = resolve_names(conn, query)?;
    let (filter, params) = where_clause(&query, now_ms, Indexes::Filters)?;
    let sql = format!("{SELECT_FACTS} WHERE {filter} ORDER BY d.uuid");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(&params), facts)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The cached devices among `uuids`, in uuid order; uuids not cached are left out.
pub fn listed_devices(conn: &Connection, uuids: &[String]) -> Result<Vec<DeviceFacts>> {
    let mut statement = conn.prepare_cached(&format!("{SELECT_FACTS} WHERE d.uuid = ?1"))?;
    let mut devices = Vec::with_capacity(uuids.len());
    for uuid in uuids {
        devices.extend(
            statement
                .query_map([uuid], facts)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        );
    }
    devices.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    devices.dedup_by(|a, b| a.uuid == b.uuid);
    Ok(devices)
}

fn facts(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceFacts> {
    Ok(DeviceFacts {
        uuid: row.get(0)?,
        name: row.get(1)?,
        serial: row.get(2)?,
        org_uuid: row.get(3)?,
        org_name: row.get(4)?,
        user_name: row.get(5)?,
        server_state: row.get(6)?,
        os_version: row.get(7)?,
        last_contact: row.get(8)?,
    })
}

/// Names apps for the window: the catalogue's name, else the name a device reports, else the
/// bundle id.
pub struct AppNames<'c> {
    book: &'c PolicyBook,
    installed: rusqlite::CachedStatement<'c>,
    found: HashMap<String, String>,
}

impl std::fmt::Debug for AppNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppNames").finish_non_exhaustive()
    }
}

impl<'c> AppNames<'c> {
    pub fn new(conn: &'c Connection, book: &'c PolicyBook) -> Result<AppNames<'c>> {
        let installed = conn.prepare_cached(
            "SELECT name FROM installed_apps WHERE bundle_id = ?1 AND name <> '' LIMIT 1",
        )?;
        Ok(AppNames {
            book,
            installed,
            found: HashMap::new(),
        })
    }

    pub fn app(&mut self, bundle_id: &str) -> Result<AppRef> {
        let catalogued = self
            .book
            .apps
            .get(bundle_id)
            .and_then(|id| self.book.catalogue_names.get(&id));
        if let Some(name) = catalogued {
            return Ok(app_ref(bundle_id, name));
        }
        if let Some(name) = self.found.get(bundle_id) {
            return Ok(app_ref(bundle_id, name));
        }
        let mut rows = self.installed.query([bundle_id])?;
        let name = match rows.next()? {
            Some(row) => row.get(0)?,
            None => bundle_id.to_owned(),
        };
        self.found.insert(bundle_id.to_owned(), name.clone());
        Ok(app_ref(bundle_id, &name))
    }

    fn apps(&mut self, interner: &Interner, ids: &[AppId]) -> Result<Vec<AppRef>> {
        let mut refs: Vec<AppRef> = ids
            .iter()
            .map(|id| self.app(interner.bundle_id(*id)))
            .collect::<Result<_>>()?;
        refs.sort_by_cached_key(|a| a.name.to_lowercase());
        Ok(refs)
    }
}

fn app_ref(bundle_id: &str, name: &str) -> AppRef {
    AppRef {
        bundle_id: bundle_id.to_owned(),
        name: name.to_owned(),
    }
}

/// Every matching device judged (only the non-compliant ones when asked), sorted by
/// organisation and name, with the counts over all of them and the interner that names their
/// apps (the book's, plus the installed apps no policy names).
pub fn judge_all(
    conn: &Connection,
    book: &PolicyBook,
    query: &ComplianceQuery,
    now_ms: i64,
) -> Result<Judgement> {
    let mut judged = Vec::new();
    let mut counts = Counts::default();
    let mut interner = book.apps.clone();
    judge_devices(conn, book, &mut interner, &query.query, now_ms, |j| {
        counts.add(&j);
        if !query.only_non_compliant || j.verdict.state == KofferState::NonCompliant {
            judged.push(j);
        }
        Ok(())
    })?;
    judged.sort_by_cached_key(|j| {
        let d = &j.device;
        (
            d.org_name.to_lowercase(),
            d.name.to_lowercase(),
            d.uuid.clone(),
        )
    });
    Ok(Judgement {
        judged,
        counts,
        interner,
    })
}

/// What [`judge_all`] found.
#[derive(Debug)]
pub struct Judgement {
    pub judged: Vec<Judged>,
    pub counts: Counts,
    pub interner: Interner,
}

/// How many devices are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub compliant: u64,
    pub non_compliant: u64,
    pub no_policy: u64,
    pub disagreements: u64,
}

impl Counts {
    fn add(&mut self, judged: &Judged) {
        self.total += 1;
        match judged.verdict.state {
            KofferState::Compliant => self.compliant += 1,
            KofferState::NonCompliant => self.non_compliant += 1,
            KofferState::NoPolicy => self.no_policy += 1,
        }
        self.disagreements += u64::from(judged.disagrees());
    }
}

/// The report the window shows: counts over every matching device, the first rows.
pub fn report(conn: &Connection, query: &ComplianceQuery, now_ms: i64) -> Result<ComplianceReport> {
    let book = PolicyBook::load(conn, now_ms)?;
    let Judgement {
        judged,
        counts,
        interner,
    } = judge_all(conn, &book, query, now_ms)?;
    let mut names = AppNames::new(conn, &book)?;
    let rows = judged
        .iter()
        .take(REPORT_ROWS)
        .map(|j| row(j, &book, &interner, &mut names))
        .collect::<Result<_>>()?;
    Ok(ComplianceReport {
        evaluated_at: now_ms,
        total: counts.total,
        compliant: counts.compliant,
        non_compliant: counts.non_compliant,
        no_policy: counts.no_policy,
        disagreements: counts.disagreements,
        rows,
        more: judged.len().saturating_sub(REPORT_ROWS) as u64,
    })
}

/// A report row for a judged device.
pub(crate) fn row(
    judged: &Judged,
    book: &PolicyBook,
    interner: &Interner,
    names: &mut AppNames<'_>,
) -> Result<ComplianceRow> {
    let d = &judged.device;
    Ok(ComplianceRow {
        device_uuid: d.uuid.clone(),
        name: d.name.clone(),
        serial: d.serial.clone(),
        org_uuid: d.org_uuid.clone(),
        org_name: d.org_name.clone(),
        user_name: d.user_name.clone(),
        server_state: d.server_state.clone(),
        koffer: judged.verdict.state,
        missing: names.apps(interner, &judged.verdict.missing)?,
        forbidden: names.apps(interner, &judged.verdict.forbidden)?,
        policies: judged
            .policies
            .iter()
            .map(|p| book.policies[*p as usize].name.clone())
            .collect(),
        disagrees: judged.disagrees(),
    })
}

/// One device's row with every policy of its groups, in effect or not.
pub fn device_compliance(
    conn: &Connection,
    uuid: &str,
    now_ms: i64,
) -> Result<Option<DeviceCompliance>> {
    let book = PolicyBook::load(conn, now_ms)?;
    let mut interner = book.apps.clone();
    let mut found = None;
    let devices = listed_devices(conn, &[uuid.to_owned()])?;
    judge_listed(conn, &book, &mut interner, devices, |j| {
        found = Some(j);
        Ok(())
    })?;
    let Some(judged) = found else {
        return Ok(None);
    };
    let mut names = AppNames::new(conn, &book)?;
    let row = row(&judged, &book, &interner, &mut names)?;
    let at = SchoolTime::at(now_ms);
    let policies = policies::for_device(conn, uuid)?
        .iter()
        .map(|p| applied(p, at, &mut names))
        .collect::<Result<_>>()?;
    Ok(Some(DeviceCompliance { row, policies }))
}

fn applied(
    policy: &policies::StoredPolicy,
    at: SchoolTime,
    names: &mut AppNames<'_>,
) -> Result<PolicyApplied> {
    let published = policy.newest_published();
    let compliance: Vec<_> = published
        .iter()
        .flat_map(|v| &v.configurations)
        .filter_map(|c| c.app_compliance())
        .collect();
    let windows: Vec<_> = published.iter().flat_map(|v| &v.time_windows).collect();
    let parsed: Vec<Option<Window>> = windows.iter().map(|w| Window::parse(w)).collect();
    let active = published.is_some() && !compliance.is_empty() && rules::in_effect(&parsed, at);
    let mut listed = Vec::new();
    let mut required = Vec::new();
    for c in &compliance {
        for bundle_id in &c.apps {
            listed.push(names.app(bundle_id)?);
        }
        for bundle_id in &c.required_apps {
            required.push(names.app(bundle_id)?);
        }
    }
    Ok(PolicyApplied {
        uuid: policy.uuid.clone(),
        name: policy.name.clone(),
        version: published.map(|v| v.version),
        newest_version: policy.newest().map_or(0, |v| v.version),
        active,
        time_windows: windows.iter().map(|w| TimeWindowView::from(*w)).collect(),
        list_mode: compliance
            .first()
            .map(|c| list_mode_name(c.list_mode).to_owned()),
        apps: listed,
        required_apps: required,
    })
}

pub(crate) fn list_mode_name(mode: ListMode) -> &'static str {
    match mode {
        ListMode::Blacklist => "BLACKLIST",
        ListMode::Whitelist => "WHITELIST",
    }
}
