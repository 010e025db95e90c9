//! What the sync fetches besides devices, each replaced whole per organisation: device groups,
//! classes with their members, policies with their group assignments, and the app catalogue.

use koffer_api::{CatalogApp, DeviceGroup, GroupKind, Policy, SchoolClass};
use rusqlite::{params, Transaction};

use crate::error::Result;
use crate::store::devices::millis;

/// One organisation's groups, classes, policies and catalogue, as fetched together.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OrgCatalog {
    pub groups: Vec<DeviceGroup>,
    pub classes: Vec<SchoolClass>,
    pub policies: Vec<Policy>,
    pub apps: Vec<CatalogApp>,
    /// Device licence counts; `None` where the server has none (a district).
    pub licences: Option<koffer_api::LicenceCounts>,
    pub dep_profiles: Vec<koffer_api::DepProfile>,
}

pub fn replace(tx: &Transaction<'_>, org: &str, catalog: &OrgCatalog) -> Result<()> {
    replace_groups(tx, org, &catalog.groups)?;
    replace_classes(tx, org, &catalog.classes)?;
    replace_policies(tx, org, &catalog.policies)?;
    replace_apps(tx, org, &catalog.apps)?;
    crate::store::licences::replace_counts(tx, org, catalog.licences.as_ref())?;
    crate::store::licences::replace_dep_profiles(tx, org, &catalog.dep_profiles)
}

fn replace_groups(tx: &Transaction<'_>, org: &str, groups: &[DeviceGroup]) -> Result<()> {
    tx.execute("DELETE FROM device_groups WHERE org_uuid = ?1", [org])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO device_groups (uuid, org_uuid, name, kind) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for group in groups {
        insert.execute(params![
            group.uuid,
            org,
            group.name,
            group_kind_name(group.kind)
        ])?;
    }
    Ok(())
}

fn replace_classes(tx: &Transaction<'_>, org: &str, classes: &[SchoolClass]) -> Result<()> {
    tx.execute("DELETE FROM classes WHERE org_uuid = ?1", [org])?;
    let mut class = tx.prepare_cached(
        "INSERT OR REPLACE INTO classes (uuid, org_uuid, name, case_group_uuid)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut member = tx.prepare_cached(
        "INSERT OR REPLACE INTO class_members (class_uuid, login, display_name, role, device_uuid)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in classes {
        class.execute(params![c.uuid, org, c.name, c.case_group_uuid])?;
        let members = c.teachers.iter().map(|m| ("teacher", m));
        for (role, m) in members.chain(c.students.iter().map(|m| ("student", m))) {
            member.execute(params![
                c.uuid,
                m.login,
                m.display_name,
                role,
                m.device_uuid
            ])?;
        }
        crate::store::lessons::insert_class_apps(tx, &c.uuid, &c.apps)?;
    }
    Ok(())
}

/// Replaces one organisation's policies with their group assignments and versions.
pub fn replace_policies(tx: &Transaction<'_>, org: &str, policies: &[Policy]) -> Result<()> {
    tx.execute("DELETE FROM policies WHERE org_uuid = ?1", [org])?;
    let mut policy = tx.prepare_cached(
        "INSERT OR REPLACE INTO policies (uuid, org_uuid, name, version, published, template_uuid,
             modified_at, time_windows, configurations)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut assignment = tx.prepare_cached(
        "INSERT OR IGNORE INTO policy_groups (policy_uuid, group_uuid) VALUES (?1, ?2)",
    )?;
    for p in policies {
        let windows = serde_json::to_string(&p.time_windows).expect("time windows serialise");
        let configurations =
            serde_json::to_string(&p.configurations).expect("configurations serialise");
        policy.execute(params![
            p.uuid,
            org,
            p.name,
            p.version,
            p.published,
            p.template_uuid,
            millis(p.modification_date),
            windows,
            configurations,
        ])?;
        for group in &p.group_uuids {
            assignment.execute(params![p.uuid, group])?;
        }
        crate::store::policies::write_versions(tx, p)?;
    }
    Ok(())
}

fn replace_apps(tx: &Transaction<'_>, org: &str, apps: &[CatalogApp]) -> Result<()> {
    tx.execute("DELETE FROM catalog_apps WHERE org_uuid = ?1", [org])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO catalog_apps (uuid, org_uuid, bundle_id, name, version,
             vpp_licenses_total, vpp_licenses_assigned)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in apps {
        insert.execute(params![
            a.uuid,
            org,
            a.bundle_id,
            a.name,
            a.version,
            a.vpp_licenses_total,
            a.vpp_licenses_assigned
        ])?;
    }
    Ok(())
}

pub fn group_kind_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Case => "CASE",
        GroupKind::Teacher => "TEACHER",
        GroupKind::Student => "STUDENT",
        GroupKind::Other => "OTHER",
    }
}
