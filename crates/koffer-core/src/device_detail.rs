//! Everything the cache knows about one device, for its detail view.

use koffer_api::InstalledApp;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::error::Result;
use crate::store::devices;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    pub uuid: String,
    pub organisation: String,
    pub name: String,
    pub serial: String,
    pub model: String,
    pub model_identifier: String,
    pub platform: String,
    pub os_version: String,
    pub battery_percent: Option<u32>,
    #[ts(type = "number | null")]
    pub storage_total: Option<i64>,
    #[ts(type = "number | null")]
    pub storage_free: Option<i64>,
    pub supervised: bool,
    pub shared_ipad: bool,
    pub lost_mode: bool,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    #[ts(type = "number | null")]
    pub last_contact: Option<i64>,
    #[ts(type = "number | null")]
    pub enrolled_at: Option<i64>,
    pub enrollment_type: String,
    pub compliance: String,
    pub groups: Vec<GroupRef>,
    pub policies: Vec<PolicyRef>,
    pub apps: Vec<AppRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub uuid: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    pub uuid: String,
    pub name: String,
    pub version: u32,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppRow {
    pub bundle_id: String,
    pub name: String,
    pub version: String,
    pub managed: bool,
    #[ts(type = "number | null")]
    pub size_bytes: Option<u64>,
}

/// The device with its groups, the policies assigned to them, and its installed apps.
pub fn device_detail(conn: &Connection, uuid: &str) -> Result<Option<DeviceDetail>> {
    let Some(mut detail) = device(conn, uuid)? else {
        return Ok(None);
    };
    detail.groups = groups(conn, uuid)?;
    detail.policies = policies(conn, uuid)?;
    detail.apps = devices::installed_apps(conn, uuid)?
        .into_iter()
        .map(app_row)
        .collect();
    Ok(Some(detail))
}

fn device(conn: &Connection, uuid: &str) -> Result<Option<DeviceDetail>> {
    let detail = conn
        .query_row(
            "SELECT d.uuid, o.name, d.name, d.serial, d.model, d.model_identifier, d.platform,
                 d.os_version, d.battery, d.storage_total, d.storage_free, d.supervised,
                 d.shared_ipad, d.lost_mode, d.user_login, d.user_name, d.last_contact,
                 d.enrolled_at, d.enrollment_type, d.compliance
             FROM devices d JOIN organisations o ON o.uuid = d.org_uuid WHERE d.uuid = ?1",
            [uuid],
            |row| {
                Ok(DeviceDetail {
                    uuid: row.get(0)?,
                    organisation: row.get(1)?,
                    name: row.get(2)?,
                    serial: row.get(3)?,
                    model: row.get(4)?,
                    model_identifier: row.get(5)?,
                    platform: row.get(6)?,
                    os_version: row.get(7)?,
                    battery_percent: row
                        .get::<_, Option<f64>>(8)?
                        .map(|b| (b * 100.0).round() as u32),
                    storage_total: row.get(9)?,
                    storage_free: row.get(10)?,
                    supervised: row.get(11)?,
                    shared_ipad: row.get(12)?,
                    lost_mode: row.get(13)?,
                    user_login: row.get(14)?,
                    user_name: row.get(15)?,
                    last_contact: row.get(16)?,
                    enrolled_at: row.get(17)?,
                    enrollment_type: row.get(18)?,
                    compliance: row.get(19)?,
                    groups: Vec::new(),
                    policies: Vec::new(),
                    apps: Vec::new(),
                })
            },
        )
        .optional()?;
    Ok(detail)
}

fn groups(conn: &Connection, uuid: &str) -> Result<Vec<GroupRef>> {
    let mut statement = conn.prepare_cached(
        "SELECT g.uuid, g.name, g.kind FROM group_members m
         JOIN device_groups g ON g.uuid = m.group_uuid
         WHERE m.device_uuid = ?1 ORDER BY g.name COLLATE NOCASE",
    )?;
    let rows = statement.query_map([uuid], |row| {
        Ok(GroupRef {
            uuid: row.get(0)?,
            name: row.get(1)?,
            kind: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn policies(conn: &Connection, uuid: &str) -> Result<Vec<PolicyRef>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT p.uuid, p.name, p.version, p.published FROM group_members m
         JOIN policy_groups pg ON pg.group_uuid = m.group_uuid
         JOIN policies p ON p.uuid = pg.policy_uuid
         WHERE m.device_uuid = ?1 ORDER BY p.name COLLATE NOCASE",
    )?;
    let rows = statement.query_map([uuid], |row| {
        Ok(PolicyRef {
            uuid: row.get(0)?,
            name: row.get(1)?,
            version: row.get(2)?,
            published: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn app_row(app: InstalledApp) -> AppRow {
    AppRow {
        bundle_id: app.bundle_id,
        name: app.name,
        version: app.version,
        managed: app.managed,
        size_bytes: app.size_bytes,
    }
}
