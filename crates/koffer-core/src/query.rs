//! Inventory search and filters over the cache.
//!
//! [`where_clause`] turns a [`DeviceQuery`] into SQL and parameters without touching the
//! database, so the filter logic is unit-tested on its own. Text search uses the FTS5 trigram
//! index; every other filter has an index of its own (see the first migration).

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// What the user asked the inventory for. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceQuery {
    /// Matches name, serial, user (login or name) and model, anywhere in the text.
    pub search: Option<String>,
    /// Organisation names or uuids; a device in any of them matches.
    pub organisations: Vec<String>,
    /// Device group (case, teacher 1:1, student 1:1) name or uuid.
    pub group: Option<String>,
    /// "17" matches 17.x.y, "17.5" matches 17.5 and 17.5.x.
    pub os_version: Option<String>,
    pub supervised: Option<bool>,
    /// "COMPLIANT", "NON_COMPLIANT" or "UNKNOWN".
    pub compliance: Option<String>,
    /// Last contact more than this many days ago (or never).
    pub not_seen_for_days: Option<u32>,
    /// Last contact within this many days.
    pub seen_within_days: Option<u32>,
    /// Battery below this percentage.
    pub battery_below_percent: Option<u32>,
    /// Battery at this percentage or more.
    pub battery_at_least_percent: Option<u32>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: Option<u32>,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    #[default]
    Name,
    Serial,
    Model,
    OsVersion,
    Battery,
    LastContact,
    Organisation,
    User,
    Compliance,
}

impl SortKey {
    pub fn parse(text: &str) -> Result<SortKey> {
        Ok(
            match text.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
                "name" => SortKey::Name,
                "serial" => SortKey::Serial,
                "model" => SortKey::Model,
                "os" | "osversion" => SortKey::OsVersion,
                "battery" => SortKey::Battery,
                "lastcontact" => SortKey::LastContact,
                "org" | "organisation" | "organization" => SortKey::Organisation,
                "user" => SortKey::User,
                "compliance" => SortKey::Compliance,
                _ => {
                    return Err(Error::InvalidInput(format!(
                        "Cannot sort by \"{text}\". Sort by name, serial, model, os, battery, \
                     last-contact, org, user or compliance."
                    )))
                }
            },
        )
    }

    /// The ORDER BY terms, each matching an index so that a page is read in order; the rowid
    /// breaks ties the way the indexes do.
    fn order_by(self, direction: &str) -> String {
        let terms: &[&str] = match self {
            SortKey::Name => &["d.name COLLATE NOCASE"],
            SortKey::Serial => &["d.serial COLLATE NOCASE"],
            SortKey::Model => &["d.model"],
            SortKey::OsVersion => &["d.os_sort"],
            SortKey::Battery => &["d.battery"],
            SortKey::LastContact => &["d.last_contact"],
            SortKey::Organisation => &["o.name COLLATE NOCASE", "d.name COLLATE NOCASE"],
            SortKey::User => &["d.user_name COLLATE NOCASE"],
            SortKey::Compliance => &["d.compliance", "d.name COLLATE NOCASE"],
        };
        let terms: Vec<String> = terms.iter().map(|t| format!("{t} {direction}")).collect();
        format!("{}, d.rowid {direction}", terms.join(", "))
    }
}

/// One row of the inventory table.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRow {
    pub uuid: String,
    pub organisation: String,
    pub name: String,
    pub serial: String,
    pub model: String,
    pub os_version: String,
    /// Percent, 0–100.
    pub battery_percent: Option<u32>,
    pub supervised: bool,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    /// Unix ms.
    #[ts(type = "number | null")]
    pub last_contact: Option<i64>,
    pub compliance: String,
    #[ts(type = "number | null")]
    pub storage_total: Option<i64>,
    #[ts(type = "number | null")]
    pub storage_free: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DevicePage {
    pub rows: Vec<DeviceRow>,
    /// Devices matching the filters, regardless of paging.
    #[ts(type = "number")]
    pub total: u64,
}

const SELECT_ROW: &str = "SELECT d.uuid, o.name, d.name, d.serial, d.model, d.os_version,
        d.battery, d.supervised, d.user_login, d.user_name, d.last_contact, d.compliance,
        d.storage_total, d.storage_free
    FROM devices d";

/// Devices drive the loop (SQLite keeps the order of a CROSS JOIN), so a page is read along
/// the devices' sort index; only a sort by organisation lets the organisations lead.
fn join_organisations(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Organisation => "JOIN organisations o ON o.uuid = d.org_uuid",
        _ => "CROSS JOIN organisations o ON o.uuid = d.org_uuid",
    }
}

/// Above this many matches a page is read along the sort order's index, skipping rows that do
/// not match; below it, the matches are found through the filters' indexes and sorted. Either
/// way a page of 100 reads at most a few thousand rows.
const WALK_SORT_INDEX_ABOVE: i64 = 2_000;

/// The matching devices (one page of them, sorted) and how many match in all.
pub fn find_devices(conn: &Connection, query: &DeviceQuery, now_ms: i64) -> Result<DevicePage> {
    let query = resolve_names(conn, query)?;
    let (total, indexes) = count_matches(conn, &query, now_ms)?;
    let mut rows = Vec::new();
    visit_devices(conn, &query, now_ms, indexes, |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok(DevicePage {
        rows,
        total: total as u64,
    })
}

/// How many devices match, and so which indexes a page of them is best read with.
fn count_matches(conn: &Connection, query: &DeviceQuery, now_ms: i64) -> Result<(i64, Indexes)> {
    let (filter, params) = where_clause(query, now_ms, Indexes::Filters)?;
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM devices d WHERE {filter}"),
        params_from_iter(&params),
        |row| row.get(0),
    )?;
    let indexes = if total > WALK_SORT_INDEX_ABOVE {
        Indexes::SortOrder
    } else {
        Indexes::Filters
    };
    Ok((total, indexes))
}

/// Calls `visit` for each matching device in order, without holding them all in memory.
pub fn for_each_device(
    conn: &Connection,
    query: &DeviceQuery,
    now_ms: i64,
    visit: impl FnMut(DeviceRow) -> Result<()>,
) -> Result<()> {
    let query = resolve_names(conn, query)?;
    visit_devices(conn, &query, now_ms, Indexes::SortOrder, visit)
}

/// SQLite's plan for the page query of `query`, one line per step: for tuning and benchmarks.
pub fn explain(conn: &Connection, query: &DeviceQuery, now_ms: i64) -> Result<Vec<String>> {
    let query = resolve_names(conn, query)?;
    let (total, indexes) = count_matches(conn, &query, now_ms)?;
    let (count_filter, count_params) = where_clause(&query, now_ms, Indexes::Filters)?;
    let (filter, params) = where_clause(&query, now_ms, indexes)?;
    let count_sql =
        format!("EXPLAIN QUERY PLAN SELECT count(*) FROM devices d WHERE {count_filter}");
    let page_sql = format!(
        "EXPLAIN QUERY PLAN {SELECT_ROW} {} WHERE {filter} ORDER BY {} LIMIT 100",
        join_organisations(query.sort),
        query.sort.order_by("ASC"),
    );
    let mut plan = vec![format!("{total} match")];
    for (sql, params) in [(count_sql, count_params), (page_sql, params)] {
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(params_from_iter(&params), |row| row.get::<_, String>(3))?;
        plan.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    Ok(plan)
}

fn visit_devices(
    conn: &Connection,
    query: &DeviceQuery,
    now_ms: i64,
    indexes: Indexes,
    mut visit: impl FnMut(DeviceRow) -> Result<()>,
) -> Result<()> {
    let (filter, params) = where_clause(query, now_ms, indexes)?;
    let direction = if query.descending { "DESC" } else { "ASC" };
    let limit = query.limit.map_or(-1, i64::from);
    let sql = format!(
        "{SELECT_ROW} {} WHERE {filter} ORDER BY {} LIMIT {limit} OFFSET {}",
        join_organisations(query.sort),
        query.sort.order_by(direction),
        query.offset
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(&params))?;
    while let Some(row) = rows.next()? {
        visit(DeviceRow {
            uuid: row.get(0)?,
            organisation: row.get(1)?,
            name: row.get(2)?,
            serial: row.get(3)?,
            model: row.get(4)?,
            os_version: row.get(5)?,
            battery_percent: row
                .get::<_, Option<f64>>(6)?
                .map(|b| (b * 100.0).round() as u32),
            supervised: row.get(7)?,
            user_login: row.get(8)?,
            user_name: row.get(9)?,
            last_contact: row.get(10)?,
            compliance: row.get(11)?,
            storage_total: row.get(12)?,
            storage_free: row.get(13)?,
        })?;
    }
    Ok(())
}

/// Replaces organisation and group names by their uuids, so the filters can use the devices'
/// own indexes. A name that matches nothing stays, and then matches no device.
pub(crate) fn resolve_names(conn: &Connection, query: &DeviceQuery) -> Result<DeviceQuery> {
    let mut resolved = query.clone();
    let mut organisations = Vec::new();
    let mut by_name = conn.prepare_cached(
        "SELECT uuid FROM organisations WHERE uuid = ?1 OR name = ?1 COLLATE NOCASE",
    )?;
    for wanted in &query.organisations {
        let found: Vec<String> = by_name
            .query_map([wanted], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        organisations.extend(if found.is_empty() {
            vec![wanted.clone()]
        } else {
            found
        });
    }
    resolved.organisations = organisations;
    if let Some(group) = &query.group {
        let found: Option<String> = conn
            .query_row(
                "SELECT uuid FROM device_groups WHERE uuid = ?1 OR name = ?1 COLLATE NOCASE
                 ORDER BY uuid = ?1 DESC LIMIT 1",
                [group],
                |r| r.get(0),
            )
            .optional()?;
        resolved.group = Some(found.unwrap_or_else(|| group.clone()));
    }
    Ok(resolved)
}

/// Which indexes the filters may use: their own (few matches), or none, so the page is read
/// along the sort order's index (many matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexes {
    Filters,
    SortOrder,
}

/// The uuids of the cached devices named by serial numbers, names or a group, in that order
/// and without repeats. A serial or name that is not cached is an error naming it.
pub fn resolve_devices(
    conn: &Connection,
    serials: &[String],
    names: &[String],
    group: Option<&str>,
) -> Result<Vec<String>> {
    let mut uuids: Vec<String> = Vec::new();
    let mut add = |uuid: String| {
        if !uuids.contains(&uuid) {
            uuids.push(uuid);
        }
    };
    for (column, values) in [("serial", serials), ("name", names)] {
        let sql = format!("SELECT uuid FROM devices WHERE {column} = ?1 COLLATE NOCASE");
        let mut statement = conn.prepare_cached(&sql)?;
        for value in values {
            let found: Vec<String> = statement
                .query_map([value.trim()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if found.is_empty() {
                return Err(Error::InvalidInput(format!(
                    "No cached device has the {column} \"{value}\". Check it, or sync first."
                )));
            }
            found.into_iter().for_each(&mut add);
        }
    }
    if let Some(group) = group {
        let query = DeviceQuery {
            group: Some(group.to_owned()),
            ..DeviceQuery::default()
        };
        let mut in_group = Vec::new();
        for_each_device(conn, &query, 0, |row| {
            in_group.push(row.uuid);
            Ok(())
        })?;
        if in_group.is_empty() {
            return Err(Error::InvalidInput(format!(
                "The group \"{group}\" has no cached devices. Check its name, or sync first."
            )));
        }
        in_group.into_iter().for_each(&mut add);
    }
    Ok(uuids)
}

/// The SQL condition on `devices d` for a query, with its parameters in order. Organisations
/// and the group are uuids here (see [`resolve_names`]).
pub fn where_clause(
    query: &DeviceQuery,
    now_ms: i64,
    indexes: Indexes,
) -> Result<(String, Vec<Value>)> {
    // A unary + keeps SQLite from using a column's index for that condition.
    let d = if indexes == Indexes::SortOrder {
        "+d"
    } else {
        "d"
    };
    let mut conditions: Vec<String> = vec!["1".to_owned()];
    let mut params: Vec<Value> = Vec::new();
    if let [organisation] = query.organisations.as_slice() {
        // Always by its index: (org_uuid, name) gives one organisation's devices in name order,
        // while a school's devices are contiguous by name, so walking the name index would skip
        // over every other school first.
        conditions.push("d.org_uuid = ?".to_owned());
        params.push(Value::Text(organisation.clone()));
    }
    if let Some(group) = &query.group {
        // Also always by its index, for the same reason: a group is one school's devices.
        conditions.push(
            "d.uuid IN (SELECT device_uuid FROM group_members WHERE group_uuid = ?)".to_owned(),
        );
        params.push(Value::Text(group.clone()));
    }
    let mut condition = |sql: String, values: Vec<Value>| {
        conditions.push(sql.replace("d.", &format!("{d}.")));
        params.extend(values);
    };

    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (sql, values) = search_condition(search);
        condition(sql, values);
    }
    if query.organisations.len() > 1 {
        let marks = vec!["?"; query.organisations.len()].join(", ");
        let values = query
            .organisations
            .iter()
            .map(|o| Value::Text(o.clone()))
            .collect();
        condition(format!("d.org_uuid IN ({marks})"), values);
    }

    if let Some(os) = query
        .os_version
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (from, to) = os_range(os)?;
        condition(
            "d.os_sort >= ? AND d.os_sort < ?".to_owned(),
            vec![from.into(), to.into()],
        );
    }
    if let Some(supervised) = query.supervised {
        condition(
            "d.supervised = ?".to_owned(),
            vec![i64::from(supervised).into()],
        );
    }
    if let Some(compliance) = &query.compliance {
        condition(
            "d.compliance = ?".to_owned(),
            vec![compliance_name(compliance)?.into()],
        );
    }
    let days_ago = |days: u32| Value::Integer(now_ms - i64::from(days) * DAY_MS);
    if let Some(days) = query.not_seen_for_days {
        let sql = "(d.last_contact IS NULL OR d.last_contact < ?)";
        condition(sql.to_owned(), vec![days_ago(days)]);
    }
    if let Some(days) = query.seen_within_days {
        condition("d.last_contact >= ?".to_owned(), vec![days_ago(days)]);
    }
    let share = |percent: u32| Value::Real(f64::from(percent) / 100.0);
    if let Some(percent) = query.battery_below_percent {
        condition("d.battery < ?".to_owned(), vec![share(percent)]);
    }
    if let Some(percent) = query.battery_at_least_percent {
        condition("d.battery >= ?".to_owned(), vec![share(percent)]);
    }
    Ok((conditions.join(" AND "), params))
}

/// Three or more characters use the trigram index on name, serial and user, and the list of
/// models; shorter text cannot use a trigram index, and scans.
///
/// Known limit: a search of one or two characters reads every device (about 40 ms at 200,000
/// devices) because a trigram index needs three characters to look anything up. And a text that
/// most devices contain ("iPad", which every model name has; "Koffer" in the name of every case
/// device) collects every match before the first page: 60 to 250 ms at 200,000 devices.
fn search_condition(search: &str) -> (String, Vec<Value>) {
    let pattern = Value::Text(format!("%{}%", escape_like(search)));
    if search.chars().count() >= 3 {
        let phrase = Value::Text(format!("\"{}\"", search.replace('"', "\"\"")));
        let sql = "d.rowid IN (SELECT rowid FROM devices_search WHERE devices_search MATCH ?
            UNION ALL SELECT rowid FROM devices WHERE model IN
                (SELECT model FROM models WHERE model LIKE ? ESCAPE '\\'))";
        (sql.to_owned(), vec![phrase, pattern])
    } else {
        let columns = [
            "d.name",
            "d.serial",
            "d.user_login",
            "d.user_name",
            "d.model",
        ]
        .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
        .join(" OR ");
        (format!("({columns})"), vec![pattern; 5])
    }
}

/// The `os_sort` range of an OS version filter: "17" is 17.x.y, "17.5" is 17.5.x, "17.5.1"
/// that version alone.
fn os_range(text: &str) -> Result<(i64, i64)> {
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !numeric || parts.len() > 3 {
        return Err(Error::InvalidInput(format!(
            "\"{text}\" is not an OS version. Write it like 17, 17.5 or 17.5.1."
        )));
    }
    let from = crate::store::devices::os_sort_key(text);
    let step = [1_000_000, 1_000, 1][parts.len() - 1];
    Ok((from, from + step))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn compliance_name(text: &str) -> Result<String> {
    match text.to_ascii_uppercase().replace('-', "_").as_str() {
        "COMPLIANT" => Ok("COMPLIANT".to_owned()),
        "NON_COMPLIANT" | "NONCOMPLIANT" => Ok("NON_COMPLIANT".to_owned()),
        "UNKNOWN" => Ok("UNKNOWN".to_owned()),
        _ => Err(Error::InvalidInput(format!(
            "\"{text}\" is not a compliance state. Use compliant, non-compliant or unknown."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_matches_everything() {
        let (sql, params) = where_clause(&DeviceQuery::default(), 0, Indexes::Filters).unwrap();

        assert_eq!(sql, "1", "no filter means no condition");
        assert!(params.is_empty());
    }

    #[test]
    fn long_search_text_uses_the_trigram_index_as_a_quoted_phrase() {
        let query = DeviceQuery {
            search: Some("DM\"PX".into()),
            ..DeviceQuery::default()
        };

        let (sql, params) = where_clause(&query, 0, Indexes::Filters).unwrap();

        assert!(
            sql.contains("devices_search MATCH"),
            "a scan would miss the latency target"
        );
        assert_eq!(
            params,
            [
                Value::Text("\"DM\"\"PX\"".into()),
                Value::Text("%DM\"PX%".into())
            ],
            "quotes in user text must not become FTS syntax"
        );
    }

    #[test]
    fn short_search_text_falls_back_to_escaped_like() {
        let query = DeviceQuery {
            search: Some("7%".into()),
            ..DeviceQuery::default()
        };

        let (sql, params) = where_clause(&query, 0, Indexes::Filters).unwrap();

        assert!(sql.contains("LIKE"), "trigrams need three characters");
        assert_eq!(params.len(), 5, "one pattern per searched column: {sql}");
        assert_eq!(
            params[0],
            Value::Text("%7\\%%".into()),
            "a % typed must match only a %"
        );
    }

    #[test]
    fn filters_combine_with_and_and_bind_their_values() {
        let query = DeviceQuery {
            os_version: Some("17.5".into()),
            supervised: Some(false),
            compliance: Some("non-compliant".into()),
            not_seen_for_days: Some(2),
            battery_below_percent: Some(20),
            ..DeviceQuery::default()
        };

        let (sql, params) = where_clause(&query, 10 * DAY_MS, Indexes::Filters).unwrap();

        assert_eq!(
            sql.matches(" AND ").count(),
            6,
            "every filter narrows: {sql}"
        );
        assert_eq!(
            params,
            [
                Value::Integer(17_005_000),
                Value::Integer(17_006_000),
                Value::Integer(0),
                Value::Text("NON_COMPLIANT".into()),
                Value::Integer(8 * DAY_MS),
                Value::Real(0.2),
            ],
            "values are bound, never spliced into the SQL"
        );
    }

    #[test]
    fn os_versions_filter_as_ranges_of_their_sort_key() {
        assert_eq!(
            os_range("17").unwrap(),
            (17_000_000, 18_000_000),
            "17 is every 17.x.y"
        );
        assert_eq!(
            os_range("17.5").unwrap(),
            (17_005_000, 17_006_000),
            "17.5 is 17.5.x"
        );
        assert_eq!(
            os_range("17.5.1").unwrap(),
            (17_005_001, 17_005_002),
            "one version"
        );
        assert!(
            os_range("17.x").is_err(),
            "garbage is refused, not matched as zero"
        );
    }

    #[test]
    fn an_unknown_compliance_state_says_which_ones_exist() {
        let query = DeviceQuery {
            compliance: Some("green".into()),
            ..DeviceQuery::default()
        };

        let error = where_clause(&query, 0, Indexes::Filters).unwrap_err();

        assert!(
            error
                .to_string()
                .contains("compliant, non-compliant or unknown"),
            "{error}"
        );
    }

    #[test]
    fn sort_keys_parse_from_what_people_type() {
        assert_eq!(
            SortKey::parse("last-contact").unwrap(),
            SortKey::LastContact
        );
        assert_eq!(SortKey::parse("OS").unwrap(), SortKey::OsVersion);
        assert!(
            SortKey::parse("colour").is_err(),
            "an unknown key must be refused"
        );
    }
}
