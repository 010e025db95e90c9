//! The `sync_status` table: one row per organisation, which drives what the CLI and the window
//! say about freshness, and lets an interrupted full pass resume where it stopped.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub org_uuid: String,
    pub last_attempt: Option<i64>,
    pub last_success: Option<i64>,
    pub last_full: Option<i64>,
    pub last_error: Option<String>,
    pub devices_done: u64,
    pub devices_total: u64,
    pub watermark: Option<i64>,
    /// Number of the latest full pass (finished or under way).
    pub pass: i64,
    /// Offset committed by the full pass under way; `None` when none is under way.
    pub pass_offset: Option<u64>,
    /// Fingerprint of the catalogue last written (see `sync::catalog_fingerprint`).
    pub catalog_hash: Option<String>,
}

pub fn get(conn: &Connection, org: &str) -> Result<SyncStatus> {
    let status = conn
        .query_row(
            "SELECT org_uuid, last_attempt, last_success, last_full, last_error, devices_done,
                 devices_total, watermark, pass, pass_offset, catalog_hash
             FROM sync_status WHERE org_uuid = ?1",
            [org],
            |row| {
                Ok(SyncStatus {
                    org_uuid: row.get(0)?,
                    last_attempt: row.get(1)?,
                    last_success: row.get(2)?,
                    last_full: row.get(3)?,
                    last_error: row.get(4)?,
                    devices_done: row.get::<_, i64>(5)? as u64,
                    devices_total: row.get::<_, i64>(6)? as u64,
                    watermark: row.get(7)?,
                    pass: row.get(8)?,
                    pass_offset: row.get::<_, Option<i64>>(9)?.map(|o| o as u64),
                    catalog_hash: row.get(10)?,
                })
            },
        )
        .optional()?;
    Ok(status.unwrap_or_else(|| SyncStatus {
        org_uuid: org.to_owned(),
        ..SyncStatus::default()
    }))
}

pub fn put(tx: &Transaction<'_>, status: &SyncStatus) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO sync_status (org_uuid, last_attempt, last_success, last_full,
             last_error, devices_done, devices_total, watermark, pass, pass_offset, catalog_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            status.org_uuid,
            status.last_attempt,
            status.last_success,
            status.last_full,
            status.last_error,
            status.devices_done as i64,
            status.devices_total as i64,
            status.watermark,
            status.pass,
            status.pass_offset.map(|o| o as i64),
            status.catalog_hash,
        ],
    )?;
    Ok(())
}
