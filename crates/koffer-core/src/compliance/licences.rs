//! Licences and enrolment per organisation, from the cache: device licences used and
//! assigned, VPP licences per app, and the automated-enrolment (DEP) profiles.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::store::{licences, organisations};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct LicenceReport {
    pub orgs: Vec<OrgLicences>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgLicences {
    pub org_uuid: String,
    pub org_name: String,
    /// `null` until a sync fetched them (or where the server has none).
    pub device_licences_used: Option<u32>,
    pub device_licences_assigned: Option<u32>,
    pub apps: Vec<AppLicences>,
    pub dep_profiles: Vec<DepProfileView>,
}

/// VPP licences of one app in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppLicences {
    pub bundle_id: String,
    pub name: String,
    pub total: u32,
    pub assigned: u32,
    /// Total minus assigned, as synced.
    pub left: u32,
    /// Installs Koffer queued that the synced counts do not include yet.
    pub pending: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DepProfileView {
    pub uuid: String,
    pub name: String,
    pub supervised: bool,
    pub allow_pairing: bool,
    pub skip_setup_items: Vec<String>,
    pub devices: u32,
}

/// Every school (and any other organisation with a catalogue or licences), by name.
pub fn licence_report(conn: &Connection, now_ms: i64) -> Result<LicenceReport> {
    let mut orgs = Vec::new();
    for org in organisations::all(conn)? {
        let counts = licences::counts(conn, &org.uuid)?;
        let apps = apps(conn, &org.uuid, now_ms)?;
        let dep_profiles = licences::dep_profiles(conn, &org.uuid)?
            .into_iter()
            .map(|p| DepProfileView {
                uuid: p.uuid,
                name: p.name,
                supervised: p.supervised,
                allow_pairing: p.allow_pairing,
                skip_setup_items: p.skip_setup_items,
                devices: p.devices,
            })
            .collect::<Vec<_>>();
        let school = org.kind == koffer_api::OrganizationKind::School;
        if !school && counts.is_none() && apps.is_empty() && dep_profiles.is_empty() {
            continue;
        }
        orgs.push(OrgLicences {
            org_uuid: org.uuid,
            org_name: org.name,
            device_licences_used: counts.map(|(_, used)| used),
            device_licences_assigned: counts.map(|(assigned, _)| assigned),
            apps,
            dep_profiles,
        });
    }
    Ok(LicenceReport { orgs })
}

fn apps(conn: &Connection, org: &str, now_ms: i64) -> Result<Vec<AppLicences>> {
    let mut statement = conn.prepare_cached(
        "SELECT bundle_id, name, vpp_licenses_total, vpp_licenses_assigned FROM catalog_apps
         WHERE org_uuid = ?1 ORDER BY name COLLATE NOCASE, bundle_id",
    )?;
    let rows = statement.query_map([org], |row| {
        let (total, assigned): (u32, u32) = (row.get(2)?, row.get(3)?);
        Ok(AppLicences {
            bundle_id: row.get(0)?,
            name: row.get(1)?,
            total,
            assigned,
            left: total.saturating_sub(assigned),
            pending: 0,
        })
    })?;
    let mut apps = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for app in &mut apps {
        app.pending = super::remediation::pending_installs(conn, org, &app.bundle_id, now_ms)?;
    }
    Ok(apps)
}
