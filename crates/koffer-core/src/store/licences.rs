//! The `licence_counts` and `dep_profiles` tables: each organisation's device licences and its
//! automated-enrolment profiles, as the sync fetched them.

use koffer_api::{DepProfile, LicenceCounts};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;
use crate::store::devices::millis;

/// Replaces an organisation's licence counts; `None` (a server without them, or a district)
/// forgets them.
pub fn replace_counts(
    tx: &Transaction<'_>,
    org: &str,
    counts: Option<&LicenceCounts>,
) -> Result<()> {
    tx.execute("DELETE FROM licence_counts WHERE org_uuid = ?1", [org])?;
    if let Some(c) = counts {
        tx.execute(
            "INSERT INTO licence_counts (org_uuid, assigned, used) VALUES (?1, ?2, ?3)",
            params![org, c.device_licenses_assigned, c.device_licenses_used],
        )?;
    }
    Ok(())
}

pub fn replace_dep_profiles(
    tx: &Transaction<'_>,
    org: &str,
    profiles: &[DepProfile],
) -> Result<()> {
    tx.execute("DELETE FROM dep_profiles WHERE org_uuid = ?1", [org])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO dep_profiles (uuid, org_uuid, name, supervised, allow_pairing,
             skip_setup_items, devices, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for p in profiles {
        let skipped = serde_json::to_string(&p.skip_setup_items).expect("strings serialise");
        insert.execute(params![
            p.uuid,
            org,
            p.name,
            p.supervised,
            p.allow_pairing,
            skipped,
            p.devices,
            millis(p.modification_date)
        ])?;
    }
    Ok(())
}

/// `(assigned, used)` device licences of an organisation, if synced.
pub fn counts(conn: &Connection, org: &str) -> Result<Option<(u32, u32)>> {
    let counts = conn
        .query_row(
            "SELECT assigned, used FROM licence_counts WHERE org_uuid = ?1",
            [org],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(counts)
}

/// An enrolment profile as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDepProfile {
    pub uuid: String,
    pub name: String,
    pub supervised: bool,
    pub allow_pairing: bool,
    pub skip_setup_items: Vec<String>,
    pub devices: u32,
}

/// An organisation's enrolment profiles, by name.
pub fn dep_profiles(conn: &Connection, org: &str) -> Result<Vec<StoredDepProfile>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, name, supervised, allow_pairing, skip_setup_items, devices
         FROM dep_profiles WHERE org_uuid = ?1 ORDER BY name COLLATE NOCASE, uuid",
    )?;
    let rows = statement.query_map([org], |row| {
        let skipped: String = row.get(4)?;
        Ok(StoredDepProfile {
            uuid: row.get(0)?,
            name: row.get(1)?,
            supervised: row.get(2)?,
            allow_pairing: row.get(3)?,
            skip_setup_items: serde_json::from_str(&skipped).unwrap_or_default(),
            devices: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
