//! The `organisations` table: the tenants the token has rights on.

use koffer_api::{Organization, OrganizationKind};
use rusqlite::{params, Connection, Transaction};

use crate::error::Result;

/// Records the organisations the server names, and forgets (with all their cached data) the
/// ones it no longer gives rights on.
pub fn replace_all(tx: &Transaction<'_>, organisations: &[Organization]) -> Result<()> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO organisations (uuid, name, kind, parent_uuid) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (uuid) DO UPDATE SET name = excluded.name, kind = excluded.kind,
             parent_uuid = excluded.parent_uuid",
    )?;
    for org in organisations {
        upsert.execute(params![
            org.uuid,
            org.name,
            kind_name(org.kind),
            org.parent_uuid
        ])?;
    }
    let keep: Vec<&str> = organisations.iter().map(|o| o.uuid.as_str()).collect();
    let mut existing = tx.prepare_cached("SELECT uuid FROM organisations")?;
    let stale: Vec<String> = existing
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?
        .into_iter()
        .filter(|uuid| !keep.contains(&uuid.as_str()))
        .collect();
    for uuid in stale {
        tx.execute("DELETE FROM organisations WHERE uuid = ?1", [uuid])?;
    }
    Ok(())
}

pub fn all(conn: &Connection) -> Result<Vec<Organization>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, name, kind, parent_uuid FROM organisations ORDER BY name COLLATE NOCASE",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(Organization {
            uuid: row.get(0)?,
            name: row.get(1)?,
            kind: parse_kind(&row.get::<_, String>(2)?),
            parent_uuid: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn kind_name(kind: OrganizationKind) -> &'static str {
    match kind {
        OrganizationKind::School => "SCHOOL",
        OrganizationKind::District => "DISTRICT",
        OrganizationKind::Template => "TEMPLATE",
        OrganizationKind::Other => "OTHER",
    }
}

fn parse_kind(text: &str) -> OrganizationKind {
    match text {
        "SCHOOL" => OrganizationKind::School,
        "DISTRICT" => OrganizationKind::District,
        "TEMPLATE" => OrganizationKind::Template,
        _ => OrganizationKind::Other,
    }
}
