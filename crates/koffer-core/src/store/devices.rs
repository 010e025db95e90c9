//! The `devices` table with its installed apps and group memberships.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use koffer_api::{Device, InstalledApp};
use rusqlite::{params, Connection, Transaction};

use crate::error::Result;

/// A device as the sync writes it: the server's record and its installed apps.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRecord {
    pub device: Device,
    pub apps: Vec<InstalledApp>,
}

const UPSERT: &str = "
    INSERT INTO devices (uuid, org_uuid, name, serial, model, model_identifier, platform,
        os_version, os_sort, battery, storage_total, storage_free, supervised, shared_ipad, lost_mode,
        user_login, user_name, last_contact, enrolled_at, enrollment_type, compliance,
        modified_at, seen_in_pass)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
        ?19, ?20, ?21, ?22, ?23)
    ON CONFLICT (uuid) DO UPDATE SET org_uuid = excluded.org_uuid, name = excluded.name,
        serial = excluded.serial, model = excluded.model,
        model_identifier = excluded.model_identifier, platform = excluded.platform,
        os_version = excluded.os_version, os_sort = excluded.os_sort, battery = excluded.battery,
        storage_total = excluded.storage_total, storage_free = excluded.storage_free,
        supervised = excluded.supervised, shared_ipad = excluded.shared_ipad,
        lost_mode = excluded.lost_mode, user_login = excluded.user_login,
        user_name = excluded.user_name, last_contact = excluded.last_contact,
        enrolled_at = excluded.enrolled_at, enrollment_type = excluded.enrollment_type,
        compliance = excluded.compliance, modified_at = excluded.modified_at,
        seen_in_pass = max(devices.seen_in_pass, excluded.seen_in_pass)";

/// Writes devices with their apps and group memberships, replacing what was cached for them.
/// `pass` marks them as seen by that full sync pass (0 outside a full pass).
pub fn upsert(tx: &Transaction<'_>, pass: i64, records: &[DeviceRecord]) -> Result<()> {
    let mut device = tx.prepare_cached(UPSERT)?;
    let mut clear_apps = tx.prepare_cached("DELETE FROM installed_apps WHERE device_uuid = ?1")?;
    let mut app = tx.prepare_cached(
        "INSERT OR REPLACE INTO installed_apps
            (device_uuid, bundle_id, name, version, managed, size_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut clear_groups = tx.prepare_cached("DELETE FROM group_members WHERE device_uuid = ?1")?;
    let mut member = tx.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_uuid, device_uuid) VALUES (?1, ?2)",
    )?;
    for record in records {
        let d = &record.device;
        device.execute(params![
            d.uuid,
            d.organization_uuid,
            d.name,
            d.serial_number,
            d.model,
            d.model_identifier,
            d.platform,
            d.os_version,
            os_sort_key(&d.os_version),
            d.battery_level,
            d.total_capacity_bytes.map(|b| b as i64),
            d.available_capacity_bytes.map(|b| b as i64),
            d.supervised,
            d.shared_ipad,
            d.lost_mode_enabled,
            d.user.as_ref().map(|u| &u.login),
            d.user.as_ref().map(|u| &u.display_name),
            d.last_connection_date.map(millis),
            d.enrollment_date.map(millis),
            d.enrollment_type,
            d.compliance_state.as_str(),
            millis(d.modification_date),
            pass,
        ])?;
        clear_apps.execute([&d.uuid])?;
        for a in &record.apps {
            let size = a.size_bytes.map(|b| b as i64);
            app.execute(params![
                d.uuid,
                a.bundle_id,
                a.name,
                a.version,
                a.managed,
                size
            ])?;
        }
        clear_groups.execute([&d.uuid])?;
        for group in &d.group_uuids {
            member.execute(params![group, d.uuid])?;
        }
    }
    Ok(())
}

/// Removes devices (and, by cascade, their apps and memberships).
pub fn delete(tx: &Transaction<'_>, uuids: &[String]) -> Result<usize> {
    let mut delete = tx.prepare_cached("DELETE FROM devices WHERE uuid = ?1")?;
    let mut removed = 0;
    for uuid in uuids {
        removed += delete.execute([uuid])?;
    }
    Ok(removed)
}

/// Removes an organisation's devices that the full pass `pass` did not see.
pub fn delete_unseen(tx: &Transaction<'_>, org: &str, pass: i64) -> Result<usize> {
    let removed = tx.execute(
        "DELETE FROM devices WHERE org_uuid = ?1 AND seen_in_pass < ?2",
        params![org, pass],
    )?;
    Ok(removed)
}

/// Each cached device of an organisation with its modification time (Unix ms).
pub fn modification_times(conn: &Connection, org: &str) -> Result<HashMap<String, i64>> {
    let mut statement =
        conn.prepare_cached("SELECT uuid, modified_at FROM devices WHERE org_uuid = ?1")?;
    let rows = statement.query_map([org], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, org: Option<&str>) -> Result<u64> {
    let count: i64 = match org {
        Some(org) => conn.query_row(
            "SELECT count(*) FROM devices WHERE org_uuid = ?1",
            [org],
            |r| r.get(0),
        )?,
        None => conn.query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?,
    };
    Ok(count as u64)
}

/// Installed apps of one device, by name.
pub fn installed_apps(conn: &Connection, device: &str) -> Result<Vec<InstalledApp>> {
    let mut statement = conn.prepare_cached(
        "SELECT bundle_id, name, version, managed, size_bytes FROM installed_apps
         WHERE device_uuid = ?1 ORDER BY name COLLATE NOCASE",
    )?;
    let rows = statement.query_map([device], |row| {
        Ok(InstalledApp {
            device_uuid: None,
            bundle_id: row.get(0)?,
            name: row.get(1)?,
            version: row.get(2)?,
            managed: row.get(3)?,
            size_bytes: row.get::<_, Option<i64>>(4)?.map(|b| b as u64),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The OS version as a number that sorts like versions do: "17.10.1" → 17_010_001.
pub fn os_sort_key(version: &str) -> i64 {
    let mut parts = version
        .split('.')
        .map(|p| p.trim().parse::<i64>().unwrap_or(0));
    let mut part = || parts.next().unwrap_or(0).clamp(0, 999);
    part() * 1_000_000 + part() * 1_000 + part()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_versions_sort_as_numbers_not_text() {
        assert!(
            os_sort_key("17.10") > os_sort_key("17.5.1"),
            "17.10 is newer than 17.5.1"
        );
        assert_eq!(os_sort_key("18"), 18_000_000, "missing parts count as zero");
        assert_eq!(
            os_sort_key("beta"),
            0,
            "garbage sorts first instead of failing"
        );
    }
}
