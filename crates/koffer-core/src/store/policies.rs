//! Policy versions: every version of each policy, with its configurations and time windows
//! (`policy_versions`, `policy_configurations`, `policy_time_windows`).
//!
//! The rows are written together with the policy (see [`crate::store::catalog`]) and go with
//! it: deleting a policy cascades to its versions.

use chrono::DateTime;
use koffer_api::{Policy, PolicyConfiguration, PolicyVersion, TimeWindow};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::error::Result;
use crate::store::devices::millis;

/// A policy as the cache holds it, with every version, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    pub uuid: String,
    pub org_uuid: String,
    pub name: String,
    pub template_uuid: Option<String>,
    /// Unix ms.
    pub modified_at: i64,
    pub group_uuids: Vec<String>,
    pub versions: Vec<PolicyVersion>,
}

impl StoredPolicy {
    /// The newest version, published or not: what the server shows at the top level.
    pub fn newest(&self) -> Option<&PolicyVersion> {
        self.versions.iter().max_by_key(|v| v.version)
    }

    /// The version that takes effect: the newest published one.
    pub fn newest_published(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .filter(|v| v.published)
            .max_by_key(|v| v.version)
    }
}

/// The version of a policy that takes effect, with what compliance needs to evaluate it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedPolicy {
    pub policy_uuid: String,
    pub org_uuid: String,
    pub name: String,
    pub group_uuids: Vec<String>,
    pub version: PolicyVersion,
}

/// Writes every version of `policy`; a server that lists no versions stands for one, the
/// top-level fields. The policy's row must exist already.
pub fn write_versions(tx: &Transaction<'_>, policy: &Policy) -> Result<()> {
    let listed;
    let versions = if policy.versions.is_empty() {
        listed = [policy.top_level_version()];
        &listed[..]
    } else {
        &policy.versions[..]
    };
    let mut version_row = tx.prepare_cached(
        "INSERT OR REPLACE INTO policy_versions (policy_uuid, version, published, modified_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut configuration = tx.prepare_cached(
        "INSERT OR REPLACE INTO policy_configurations
             (policy_uuid, version, position, kind, name, fields)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut window = tx.prepare_cached(
        "INSERT OR REPLACE INTO policy_time_windows
             (policy_uuid, version, position, weekday, start_time, end_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for v in versions {
        let modified = millis(v.modification_date);
        version_row.execute(params![policy.uuid, v.version, v.published, modified])?;
        for (position, c) in v.configurations.iter().enumerate() {
            let fields = serde_json::to_string(&c.values).expect("JSON values serialise");
            configuration.execute(params![
                policy.uuid,
                v.version,
                position as i64,
                c.kind,
                c.name,
                fields
            ])?;
        }
        for (position, w) in v.time_windows.iter().enumerate() {
            window.execute(params![
                policy.uuid,
                v.version,
                position as i64,
                w.weekday,
                w.start,
                w.end
            ])?;
        }
    }
    Ok(())
}

/// The policies of one organisation, or of all when `org` is `None`, by organisation and name.
pub fn all(conn: &Connection, org: Option<&str>) -> Result<Vec<StoredPolicy>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, org_uuid, name, template_uuid, modified_at FROM policies
         WHERE ?1 IS NULL OR org_uuid = ?1 ORDER BY org_uuid, name COLLATE NOCASE, uuid",
    )?;
    let rows = statement.query_map([org], policy_row)?;
    let policies = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    policies.into_iter().map(|p| complete(conn, p)).collect()
}

/// One policy, if the cache holds it.
pub fn get(conn: &Connection, uuid: &str) -> Result<Option<StoredPolicy>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, org_uuid, name, template_uuid, modified_at FROM policies WHERE uuid = ?1",
    )?;
    let policy = statement.query_row([uuid], policy_row).optional()?;
    policy.map(|p| complete(conn, p)).transpose()
}

/// The policies assigned to any group the device is a member of, by name.
pub fn for_device(conn: &Connection, device_uuid: &str) -> Result<Vec<StoredPolicy>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT p.uuid, p.org_uuid, p.name, p.template_uuid, p.modified_at
         FROM group_members m
         JOIN policy_groups pg ON pg.group_uuid = m.group_uuid
         JOIN policies p ON p.uuid = pg.policy_uuid
         WHERE m.device_uuid = ?1 ORDER BY p.name COLLATE NOCASE, p.uuid",
    )?;
    let rows = statement.query_map([device_uuid], policy_row)?;
    let policies = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    policies.into_iter().map(|p| complete(conn, p)).collect()
}

/// The copy of a template in one organisation: the policy there whose template it is. Should
/// a school hold several, the most recently modified one counts.
pub fn copy_of(conn: &Connection, template: &str, org: &str) -> Result<Option<StoredPolicy>> {
    let uuid: Option<String> = conn
        .query_row(
            "SELECT uuid FROM policies WHERE template_uuid = ?1 AND org_uuid = ?2
             ORDER BY modified_at DESC, uuid LIMIT 1",
            [template, org],
            |row| row.get(0),
        )
        .optional()?;
    match uuid {
        Some(uuid) => get(conn, &uuid),
        None => Ok(None),
    }
}

/// The newest published version of every policy (of one organisation, or all), with the
/// groups it is assigned to: what takes effect on devices. Policies without a published
/// version are left out.
pub fn published_versions(conn: &Connection, org: Option<&str>) -> Result<Vec<PublishedPolicy>> {
    let published = all(conn, org)?.into_iter().filter_map(|p| {
        let version = p.newest_published()?.clone();
        Some(PublishedPolicy {
            policy_uuid: p.uuid,
            org_uuid: p.org_uuid,
            name: p.name,
            group_uuids: p.group_uuids,
            version,
        })
    });
    Ok(published.collect())
}

fn policy_row(row: &Row<'_>) -> rusqlite::Result<StoredPolicy> {
    Ok(StoredPolicy {
        uuid: row.get(0)?,
        org_uuid: row.get(1)?,
        name: row.get(2)?,
        template_uuid: row.get(3)?,
        modified_at: row.get(4)?,
        group_uuids: Vec::new(),
        versions: Vec::new(),
    })
}

fn complete(conn: &Connection, mut policy: StoredPolicy) -> Result<StoredPolicy> {
    policy.group_uuids = group_uuids(conn, &policy.uuid)?;
    policy.versions = versions(conn, &policy.uuid)?;
    Ok(policy)
}

fn group_uuids(conn: &Connection, policy: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT group_uuid FROM policy_groups WHERE policy_uuid = ?1 ORDER BY group_uuid",
    )?;
    let rows = statement.query_map([policy], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn versions(conn: &Connection, policy: &str) -> Result<Vec<PolicyVersion>> {
    let mut statement = conn.prepare_cached(
        "SELECT version, published, modified_at FROM policy_versions
         WHERE policy_uuid = ?1 ORDER BY version",
    )?;
    let rows = statement.query_map([policy], |row| {
        Ok(PolicyVersion {
            version: row.get(0)?,
            published: row.get(1)?,
            modification_date: DateTime::from_timestamp_millis(row.get(2)?).unwrap_or_default(),
            configurations: Vec::new(),
            time_windows: Vec::new(),
        })
    })?;
    let mut versions = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for v in &mut versions {
        v.configurations = configurations(conn, policy, v.version)?;
        v.time_windows = time_windows(conn, policy, v.version)?;
    }
    Ok(versions)
}

fn configurations(
    conn: &Connection,
    policy: &str,
    version: u32,
) -> Result<Vec<PolicyConfiguration>> {
    let mut statement = conn.prepare_cached(
        "SELECT kind, name, fields FROM policy_configurations
         WHERE policy_uuid = ?1 AND version = ?2 ORDER BY position",
    )?;
    let rows = statement.query_map(params![policy, version], |row| {
        let fields: String = row.get(2)?;
        Ok(PolicyConfiguration {
            kind: row.get(0)?,
            name: row.get(1)?,
            // Written by this module from a JSON object; an unreadable one shows as empty.
            values: serde_json::from_str(&fields).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn time_windows(conn: &Connection, policy: &str, version: u32) -> Result<Vec<TimeWindow>> {
    let mut statement = conn.prepare_cached(
        "SELECT weekday, start_time, end_time FROM policy_time_windows
         WHERE policy_uuid = ?1 AND version = ?2 ORDER BY position",
    )?;
    let rows = statement.query_map(params![policy, version], |row| {
        Ok(TimeWindow {
            weekday: row.get(0)?,
            start: row.get(1)?,
            end: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the policies of one organisation fetched outside a sync (after a copy or a
/// publish), and forgets the fingerprint of its catalogue, so that the next sync writes the
/// catalogue it fetches even when it matches the one written before.
pub fn replace_org_policies(tx: &Transaction<'_>, org: &str, policies: &[Policy]) -> Result<()> {
    crate::store::catalog::replace_policies(tx, org, policies)?;
    tx.execute(
        "UPDATE sync_status SET catalog_hash = NULL WHERE org_uuid = ?1",
        [org],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use koffer_api::{Organization, OrganizationKind};
    use serde_json::json;

    use super::*;
    use crate::store::{catalog, organisations, Store};

    fn store_with_school() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in(dir.path()).unwrap();
        let school = Organization {
            uuid: "o1".to_owned(),
            name: "Gesamtschule Nord".to_owned(),
            kind: OrganizationKind::School,
            parent_uuid: None,
        };
        store
            .with_tx(|tx| organisations::replace_all(tx, &[school]))
            .unwrap();
        (dir, store)
    }

    fn policy(value: serde_json::Value) -> Policy {
        serde_json::from_value(value).unwrap()
    }

    fn versioned() -> Policy {
        policy(
            json!({"uuid": "p1", "organizationUuid": "o1", "name": "Schüler-iPads",
            "version": 3, "published": false, "groupUuids": ["g1"],
            "modificationDate": "2026-12-01T00:00:00Z", "versions": [
            {"version": 1, "published": true, "modificationDate": "2026-01-01T00:00:00Z",
             "configurations": [{"type": "WIFI", "name": "WLAN", "ssid": "Alt"}]},
            {"version": 2, "published": true, "modificationDate": "2026-06-01T00:00:00Z",
             "configurations": [{"type": "WIFI", "name": "WLAN", "ssid": "Schule"}],
             "timeWindows": [{"weekday": 1, "start": "07:30", "end": "13:15"}]},
            {"version": 3, "published": false, "modificationDate": "2026-12-01T00:00:00Z",
             "configurations": [{"type": "WIFI", "name": "WLAN", "ssid": "Neu"},
                                {"type": "APP_COMPLIANCE", "name": "Apps",
                                 "listMode": "WHITELIST", "apps": ["a"]}]}]}),
        )
    }

    #[test]
    fn every_version_is_kept_with_its_configurations_and_time_windows() {
        let (_dir, mut store) = store_with_school();

        store
            .with_tx(|tx| catalog::replace_policies(tx, "o1", &[versioned()]))
            .unwrap();

        let stored = get(store.conn(), "p1").unwrap().unwrap();
        assert_eq!(
            stored.versions.len(),
            3,
            "published or not, every version is cached"
        );
        assert_eq!(stored.versions[1].time_windows[0].start, "07:30");
        assert_eq!(stored.newest().unwrap().configurations.len(), 2);
        assert_eq!(
            stored.newest().unwrap().configurations[1].values["apps"],
            json!(["a"]),
            "the values survive the cache for the diff"
        );
        assert_eq!(stored.group_uuids, ["g1"]);
    }

    #[test]
    fn the_newest_published_version_is_what_takes_effect() {
        let (_dir, mut store) = store_with_school();
        store
            .with_tx(|tx| catalog::replace_policies(tx, "o1", &[versioned()]))
            .unwrap();

        let published = published_versions(store.conn(), Some("o1")).unwrap();

        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].version.version, 2,
            "version 3 is not published yet"
        );
        assert_eq!(
            published[0].version.configurations[0].values["ssid"],
            "Schule"
        );
        assert_eq!(published[0].group_uuids, ["g1"]);
    }

    #[test]
    fn a_policy_without_listed_versions_is_its_top_level_version() {
        let (_dir, mut store) = store_with_school();
        let plain = policy(
            json!({"uuid": "p2", "organizationUuid": "o1", "name": "Alt",
            "version": 4, "published": true, "modificationDate": "2026-12-01T00:00:00Z",
            "configurations": [{"type": "WIFI", "name": "WLAN", "ssid": "Schule"}]}),
        );

        store
            .with_tx(|tx| catalog::replace_policies(tx, "o1", &[plain]))
            .unwrap();

        let stored = get(store.conn(), "p2").unwrap().unwrap();
        assert_eq!(
            stored.versions.len(),
            1,
            "an older server lists no versions"
        );
        assert_eq!(stored.newest_published().unwrap().version, 4);
    }

    #[test]
    fn replacing_the_policies_drops_the_versions_of_removed_ones() {
        let (_dir, mut store) = store_with_school();
        store
            .with_tx(|tx| catalog::replace_policies(tx, "o1", &[versioned()]))
            .unwrap();

        store
            .with_tx(|tx| catalog::replace_policies(tx, "o1", &[]))
            .unwrap();

        let left: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM policy_configurations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            left, 0,
            "versions and their configurations go with the policy"
        );
        assert!(all(store.conn(), None).unwrap().is_empty());
    }
}
