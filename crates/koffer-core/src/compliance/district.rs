//! The district view: every school side by side, over the devices the filters match.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use super::evaluate::{self, PolicyBook};
use super::KofferState;
use crate::error::Result;
use crate::query::DeviceQuery;
use crate::store::{licences, organisations};

const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DistrictView {
    #[ts(type = "number")]
    pub evaluated_at: i64,
    pub schools: Vec<SchoolFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SchoolFigures {
    pub org_uuid: String,
    pub name: String,
    #[ts(type = "number")]
    pub devices: u64,
    /// Compliant by Koffer's evaluation, devices without a policy included.
    #[ts(type = "number")]
    pub compliant: u64,
    #[ts(type = "number")]
    pub non_compliant: u64,
    /// Compliant devices as a share of all (0–1); `null` without devices.
    pub compliance_rate: Option<f64>,
    /// Devices per OS version (major.minor), newest first.
    pub os_versions: Vec<OsCount>,
    /// Device licences; `null` until synced.
    pub licences_used: Option<u32>,
    pub licences_assigned: Option<u32>,
    /// No contact for more than 30 days, or never.
    #[ts(type = "number")]
    pub not_seen_30_days: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OsCount {
    pub version: String,
    #[ts(type = "number")]
    pub devices: u64,
}

#[derive(Default)]
struct Tally {
    devices: u64,
    compliant: u64,
    not_seen: u64,
    os: BTreeMap<(u32, u32), u64>,
}

/// The figures of every school the filters allow (all schools without an organisation
/// filter), by name.
pub fn district(conn: &Connection, query: &DeviceQuery, now_ms: i64) -> Result<DistrictView> {
    let book = PolicyBook::load(conn, now_ms)?;
    let mut interner = book.apps.clone();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let everything = DeviceQuery {
        limit: None,
        offset: 0,
        ..query.clone()
    };
    let month_ago = now_ms - 30 * DAY_MS;
    evaluate::judge_devices(conn, &book, &mut interner, &everything, now_ms, |judged| {
        let tally = tallies.entry(judged.device.org_uuid.clone()).or_default();
        tally.devices += 1;
        tally.compliant += u64::from(judged.verdict.state != KofferState::NonCompliant);
        tally.not_seen += u64::from(judged.device.last_contact.is_none_or(|t| t < month_ago));
        *tally
            .os
            .entry(major_minor(&judged.device.os_version))
            .or_default() += 1;
        Ok(())
    })?;
    let wanted = |uuid: &str, name: &str| {
        query.organisations.is_empty()
            || query
                .organisations
                .iter()
                .any(|o| o == uuid || o.eq_ignore_ascii_case(name))
    };
    let mut schools = Vec::new();
    for org in organisations::all(conn)? {
        let school = org.kind == koffer_api::OrganizationKind::School;
        let tally = tallies.remove(&org.uuid);
        if !(school && wanted(&org.uuid, &org.name)) && tally.is_none() {
            continue;
        }
        let tally = tally.unwrap_or_default();
        let counts = licences::counts(conn, &org.uuid)?;
        schools.push(SchoolFigures {
            compliance_rate: (tally.devices > 0)
                .then(|| tally.compliant as f64 / tally.devices as f64),
            os_versions: tally
                .os
                .iter()
                .rev()
                .map(|((major, minor), devices)| OsCount {
                    version: format!("{major}.{minor}"),
                    devices: *devices,
                })
                .collect(),
            org_uuid: org.uuid,
            name: org.name,
            devices: tally.devices,
            compliant: tally.compliant,
            non_compliant: tally.devices - tally.compliant,
            licences_used: counts.map(|(_, used)| used),
            licences_assigned: counts.map(|(assigned, _)| assigned),
            not_seen_30_days: tally.not_seen,
        });
    }
    Ok(DistrictView {
        evaluated_at: now_ms,
        schools,
    })
}

fn major_minor(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}
