//! Counts for the overview charts and the filter choices, straight from the cache.
//!
//! Each bucket carries the filter that shows its devices, so a click on a chart's bar opens the
//! inventory filtered to exactly the devices it counted.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::query::{resolve_names, where_clause, DeviceQuery, Indexes};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// What the bar stands for: an OS version, an organisation's name, a compliance state, or a
    /// range key the UI translates ("seen.today", "battery.below20", …).
    pub label: String,
    #[ts(type = "number")]
    pub devices: u64,
    /// The filter that lists these devices.
    pub filter: BucketFilter,
}

/// The filter behind a bucket; the UI merges it into the inventory's filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BucketFilter {
    pub organisation: Option<String>,
    pub os_version: Option<String>,
    pub compliance: Option<String>,
    pub not_seen_for_days: Option<u32>,
    pub seen_within_days: Option<u32>,
    pub battery_below_percent: Option<u32>,
    pub battery_at_least_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    #[ts(type = "number")]
    pub devices: u64,
    pub organisations: Vec<Bucket>,
    pub os_versions: Vec<Bucket>,
    pub last_contact: Vec<Bucket>,
    pub battery: Vec<Bucket>,
    pub compliance: Vec<Bucket>,
}

/// The charts over the devices `scope` selects (usually only its organisations).
pub fn overview(conn: &Connection, scope: &DeviceQuery, now_ms: i64) -> Result<Overview> {
    let scope = resolve_names(conn, scope)?;
    let (filter, params) = where_clause(&scope, now_ms, Indexes::Filters)?;
    let grouped = |expression: &str| -> Result<Vec<(String, u64)>> {
        let sql = format!(
            "SELECT CAST({expression} AS TEXT) AS k, count(*) FROM devices d
             JOIN organisations o ON o.uuid = d.org_uuid WHERE {filter} GROUP BY k ORDER BY k"
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(&params), |row| {
            Ok((
                row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                row.get::<_, i64>(1)? as u64,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let organisations = grouped("o.name")?
        .into_iter()
        .map(|(name, devices)| bucket(&name, devices, |f| f.organisation = Some(name.clone())))
        .collect();
    let os_versions = os_major_minor(grouped("d.os_version")?);
    let compliance = grouped("d.compliance")?
        .into_iter()
        .map(|(state, devices)| bucket(&state, devices, |f| f.compliance = Some(state.clone())))
        .collect();
    let last_contact = last_contact_buckets(&grouped(&last_contact_case(now_ms))?);
    let battery = battery_buckets(&grouped(BATTERY_CASE)?);
    let devices = last_contact.iter().map(|b: &Bucket| b.devices).sum();
    Ok(Overview {
        devices,
        organisations,
        os_versions,
        last_contact,
        battery,
        compliance,
    })
}

fn bucket(label: &str, devices: u64, filter: impl FnOnce(&mut BucketFilter)) -> Bucket {
    let mut f = BucketFilter::default();
    filter(&mut f);
    Bucket {
        label: label.to_owned(),
        devices,
        filter: f,
    }
}

/// OS versions grouped by major.minor ("17.5"), newest first; the filter matches 17.5.x.
fn os_major_minor(versions: Vec<(String, u64)>) -> Vec<Bucket> {
    let mut grouped: std::collections::BTreeMap<(i64, i64), u64> = Default::default();
    for (version, devices) in versions {
        let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
        let key = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        *grouped.entry(key).or_default() += devices;
    }
    grouped
        .into_iter()
        .rev()
        .map(|((major, minor), devices)| {
            let label = format!("{major}.{minor}");
            bucket(&label, devices, |f| f.os_version = Some(label.clone()))
        })
        .collect()
}

/// Ranges of last contact: today, 1–7 days, 8–30 days, over 30 days (or never).
const SEEN_RANGES: [(&str, Option<u32>, Option<u32>); 4] = [
    ("seen.today", None, Some(1)),
    ("seen.week", Some(1), Some(7)),
    ("seen.month", Some(7), Some(30)),
    ("seen.older", Some(30), None),
];

fn last_contact_case(now_ms: i64) -> String {
    let ago = |days: i64| now_ms - days * DAY_MS;
    format!(
        "CASE WHEN d.last_contact >= {} THEN 0 WHEN d.last_contact >= {} THEN 1
              WHEN d.last_contact >= {} THEN 2 ELSE 3 END",
        ago(1),
        ago(7),
        ago(30)
    )
}

fn last_contact_buckets(counts: &[(String, u64)]) -> Vec<Bucket> {
    ranged(counts, &SEEN_RANGES, |f, older_than, within| {
        f.not_seen_for_days = older_than;
        f.seen_within_days = within;
    })
}

/// Ranges of battery charge: under 20%, 20–50%, 50–80%, 80% and more, unknown.
const BATTERY_RANGES: [(&str, Option<u32>, Option<u32>); 4] = [
    ("battery.below20", None, Some(20)),
    ("battery.below50", Some(20), Some(50)),
    ("battery.below80", Some(50), Some(80)),
    ("battery.full", Some(80), None),
];

const BATTERY_CASE: &str = "CASE WHEN d.battery IS NULL THEN 9 WHEN d.battery < 0.2 THEN 0
    WHEN d.battery < 0.5 THEN 1 WHEN d.battery < 0.8 THEN 2 ELSE 3 END";

fn battery_buckets(counts: &[(String, u64)]) -> Vec<Bucket> {
    ranged(counts, &BATTERY_RANGES, |f, at_least, below| {
        f.battery_at_least_percent = at_least;
        f.battery_below_percent = below;
    })
}

/// Buckets for ranges, in order, with zero counts kept so the chart's axis stays the same.
fn ranged(
    counts: &[(String, u64)],
    ranges: &[(&str, Option<u32>, Option<u32>)],
    set: impl Fn(&mut BucketFilter, Option<u32>, Option<u32>),
) -> Vec<Bucket> {
    ranges
        .iter()
        .enumerate()
        .map(|(index, (label, low, high))| {
            let devices = counts
                .iter()
                .find(|(key, _)| key.parse::<usize>().ok() == Some(index))
                .map_or(0, |(_, n)| *n);
            bucket(label, devices, |f| set(f, *low, *high))
        })
        .collect()
}

/// Choices for the inventory's filter menus.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FilterChoices {
    pub organisations: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub os_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    pub uuid: String,
    pub name: String,
    /// For groups: CASE, TEACHER or STUDENT; for organisations: SCHOOL, DISTRICT or TEMPLATE.
    pub kind: String,
    /// For groups: the organisation's name.
    pub organisation: Option<String>,
}

pub fn filter_choices(conn: &Connection) -> Result<FilterChoices> {
    let choices = |sql: &str| -> Result<Vec<Choice>> {
        let mut statement = conn.prepare(sql)?;
        let rows = statement.query_map([], |row| {
            Ok(Choice {
                uuid: row.get(0)?,
                name: row.get(1)?,
                kind: row.get(2)?,
                organisation: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let organisations =
        choices("SELECT uuid, name, kind, NULL FROM organisations ORDER BY name COLLATE NOCASE")?;
    let groups = choices(
        "SELECT g.uuid, g.name, g.kind, o.name FROM device_groups g
         JOIN organisations o ON o.uuid = g.org_uuid ORDER BY o.name, g.name COLLATE NOCASE",
    )?;
    let mut statement =
        conn.prepare("SELECT DISTINCT os_version FROM devices ORDER BY os_sort DESC")?;
    let os_versions = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(FilterChoices {
        organisations,
        groups,
        os_versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_versions_are_grouped_by_minor_version_newest_first() {
        let counts = vec![
            ("16.7.10".into(), 2),
            ("17.5".into(), 3),
            ("17.5.1".into(), 4),
        ];

        let buckets = os_major_minor(counts);

        let labels: Vec<_> = buckets
            .iter()
            .map(|b| (b.label.as_str(), b.devices))
            .collect();
        assert_eq!(
            labels,
            [("17.5", 7), ("16.7", 2)],
            "17.5 and 17.5.1 are one bar"
        );
        assert_eq!(
            buckets[0].filter.os_version.as_deref(),
            Some("17.5"),
            "a click filters 17.5.x"
        );
    }

    #[test]
    fn every_range_is_listed_even_when_empty() {
        let buckets = battery_buckets(&[("0".into(), 5), ("9".into(), 1)]);

        let counts: Vec<_> = buckets.iter().map(|b| b.devices).collect();
        assert_eq!(counts, [5, 0, 0, 0], "the axis must not jump between syncs");
        assert_eq!(buckets[0].filter.battery_below_percent, Some(20));
        assert_eq!(buckets[1].filter.battery_at_least_percent, Some(20));
    }
}
