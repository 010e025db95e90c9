//! The `actions` table: the outbox (actions not yet accepted by the server) and the ledger
//! (every action the user asked for, with its server state), plus locations and the audit log.

use koffer_api::{Action, ActionParameters, ActionType, Location};
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::actions::preflight::PendingAction;
use crate::error::Result;

/// Local state of an action before the server has one.
pub const OUTBOX: &str = "OUTBOX";
/// The server refused the action (bad parameters, no rights, device gone).
pub const REJECTED: &str = "REJECTED";
/// States after which nothing changes any more.
const FINAL_STATES: &str = "('ACKNOWLEDGED', 'ERROR', 'CANCELLED', 'REJECTED')";

/// An action about to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub device_uuid: String,
    pub org_uuid: String,
    pub device_name: String,
    pub serial: String,
    pub kind: ActionType,
    pub parameters: ActionParameters,
    pub requested_by: String,
    pub batch: Option<i64>,
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub device_uuid: String,
    pub org_uuid: String,
    pub device_name: String,
    pub serial: String,
    /// The action's wire name, e.g. "DEVICE_LOCK".
    pub kind: String,
    /// OUTBOX, QUEUED, SENT, ACKNOWLEDGED, ERROR, NOT_NOW, CANCELLED or REJECTED.
    pub state: String,
    pub requested_by: String,
    #[ts(type = "number")]
    pub requested_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
    pub server_uuid: Option<String>,
    #[ts(type = "number | null")]
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    #[ts(type = "number | null")]
    pub batch: Option<i64>,
    #[ts(skip)]
    #[serde(skip)]
    pub idempotency_key: String,
    #[ts(skip)]
    #[serde(skip)]
    pub parameters: String,
}

const COLUMNS: &str = "id, device_uuid, org_uuid, device_name, serial, kind, state, requested_by,
    requested_at, updated_at, server_uuid, error_code, error_message, batch, idempotency_key,
    parameters";

fn entry(row: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: row.get(0)?,
        device_uuid: row.get(1)?,
        org_uuid: row.get(2)?,
        device_name: row.get(3)?,
        serial: row.get(4)?,
        kind: row.get(5)?,
        state: row.get(6)?,
        requested_by: row.get(7)?,
        requested_at: row.get(8)?,
        updated_at: row.get(9)?,
        server_uuid: row.get(10)?,
        error_code: row.get(11)?,
        error_message: row.get(12)?,
        batch: row.get(13)?,
        idempotency_key: row.get(14)?,
        parameters: row.get(15)?,
    })
}

/// Puts an action into the outbox with a fresh idempotency key; returns its id.
pub fn enqueue(tx: &Transaction<'_>, action: &NewAction, now_ms: i64) -> Result<i64> {
    let key = format!("koffer-{:032x}", rand::rng().random::<u128>());
    let parameters = serde_json::to_string(&action.parameters).expect("parameters serialise");
    tx.execute(
        "INSERT INTO actions (idempotency_key, device_uuid, org_uuid, device_name, serial, kind,
             parameters, requested_by, requested_at, state, updated_at, batch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9, ?11)",
        params![
            key,
            action.device_uuid,
            action.org_uuid,
            action.device_name,
            action.serial,
            action.kind.as_str(),
            parameters,
            action.requested_by,
            now_ms,
            OUTBOX,
            action.batch,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The next batch number for a bulk request.
pub fn next_batch(conn: &Connection) -> Result<i64> {
    let last: Option<i64> = conn.query_row("SELECT max(batch) FROM actions", [], |r| r.get(0))?;
    Ok(last.unwrap_or(0) + 1)
}

/// Actions waiting to be sent, oldest first.
pub fn outbox(conn: &Connection) -> Result<Vec<LedgerEntry>> {
    select(
        conn,
        &format!("SELECT {COLUMNS} FROM actions WHERE state = 'OUTBOX' ORDER BY id"),
        [],
    )
}

/// Actions the server holds that may still change, oldest first.
pub fn following(conn: &Connection) -> Result<Vec<LedgerEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM actions WHERE server_uuid IS NOT NULL
         AND state NOT IN {FINAL_STATES} ORDER BY id"
    );
    select(conn, &sql, [])
}

/// The ledger, newest first: all of it, or one device's.
pub fn ledger(conn: &Connection, device: Option<&str>, limit: u32) -> Result<Vec<LedgerEntry>> {
    match device {
        Some(device) => select(
            conn,
            &format!(
                "SELECT {COLUMNS} FROM actions WHERE device_uuid = ?1 ORDER BY id DESC LIMIT ?2"
            ),
            params![device, limit],
        ),
        None => select(
            conn,
            &format!("SELECT {COLUMNS} FROM actions ORDER BY id DESC LIMIT ?1"),
            params![limit],
        ),
    }
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<LedgerEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM actions WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], entry).optional()?)
}

/// The device's actions that have not reached a final state, for the duplicate check.
pub fn pending_for_device(conn: &Connection, device: &str) -> Result<Vec<PendingAction>> {
    let sql = format!(
        "SELECT id, kind, json_extract(parameters, '$.bundleId') FROM actions
         WHERE device_uuid = ?1 AND state NOT IN {FINAL_STATES}"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([device], |row| {
        Ok((row.get(0)?, row.get::<_, String>(1)?, row.get(2)?))
    })?;
    let mut pending = Vec::new();
    for row in rows {
        let (id, kind, bundle_id) = row?;
        if let Some(kind) = ActionType::parse(&kind) {
            pending.push(PendingAction {
                id,
                kind,
                bundle_id,
            });
        }
    }
    Ok(pending)
}

/// The latest acknowledged lost-mode change of a device: `Some(true)` after an enable.
pub fn acknowledged_lost_mode(
    conn: &Connection,
    device: &str,
    since_ms: i64,
) -> Result<Option<bool>> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT kind FROM actions WHERE device_uuid = ?1 AND state = 'ACKNOWLEDGED'
             AND kind IN ('ENABLE_LOST_MODE', 'DISABLE_LOST_MODE') AND updated_at >= ?2
             ORDER BY updated_at DESC, id DESC LIMIT 1",
            params![device, since_ms],
            |row| row.get(0),
        )
        .optional()?;
    Ok(kind.map(|k| k == "ENABLE_LOST_MODE"))
}

/// Records the server's view of an action.
pub fn record_server_state(
    tx: &Transaction<'_>,
    id: i64,
    action: &Action,
    now_ms: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE actions SET server_uuid = ?2, state = ?3, error_code = ?4, error_message = ?5,
             updated_at = ?6 WHERE id = ?1",
        params![
            id,
            action.uuid,
            action.state.as_str(),
            action.error_code,
            action.error_message,
            now_ms
        ],
    )?;
    Ok(())
}

/// A send that did not reach the server; the action stays in the outbox.
pub fn record_attempt(tx: &Transaction<'_>, id: i64, reason: &str, now_ms: i64) -> Result<()> {
    tx.execute(
        "UPDATE actions SET attempts = attempts + 1, error_message = ?2, updated_at = ?3
         WHERE id = ?1",
        params![id, reason, now_ms],
    )?;
    Ok(())
}

/// Ends an action locally: refused by the server, cancelled before sending, or its device gone.
pub fn finish_locally(
    tx: &Transaction<'_>,
    id: i64,
    state: &str,
    message: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE actions SET state = ?2, error_message = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, state, message, now_ms],
    )?;
    Ok(())
}

pub fn record_location(
    tx: &Transaction<'_>,
    id: i64,
    device: &str,
    location: &Location,
    now_ms: i64,
) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO locations (action_id, device_uuid, latitude, longitude, accuracy_m,
             taken_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            device,
            location.latitude,
            location.longitude,
            location.horizontal_accuracy,
            location.timestamp.timestamp_millis(),
            now_ms
        ],
    )?;
    Ok(())
}

/// A location a device reported, as the map shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLocation {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: f64,
    #[ts(type = "number")]
    pub taken_at: i64,
}

/// The newest location of a device still kept.
pub fn latest_location(conn: &Connection, device: &str) -> Result<Option<DeviceLocation>> {
    let location = conn
        .query_row(
            "SELECT latitude, longitude, accuracy_m, taken_at FROM locations
             WHERE device_uuid = ?1 ORDER BY taken_at DESC LIMIT 1",
            [device],
            |row| {
                Ok(DeviceLocation {
                    latitude: row.get(0)?,
                    longitude: row.get(1)?,
                    accuracy_m: row.get(2)?,
                    taken_at: row.get(3)?,
                })
            },
        )
        .optional()?;
    Ok(location)
}

/// Deletes locations received before `before_ms`; returns how many.
pub fn purge_locations(tx: &Transaction<'_>, before_ms: i64) -> Result<usize> {
    Ok(tx.execute("DELETE FROM locations WHERE received_at < ?1", [before_ms])?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub at: i64,
    pub who: String,
    /// The action's wire name: DEVICE_LOCATION or ERASE_DEVICE.
    pub what: String,
    pub device_uuid: String,
    pub serial: String,
    pub device_name: String,
}

pub fn audit(tx: &Transaction<'_>, entry: &AuditEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, who, what, device_uuid, serial, device_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            entry.at,
            entry.who,
            entry.what,
            entry.device_uuid,
            entry.serial,
            entry.device_name
        ],
    )?;
    Ok(())
}

pub fn audit_log(conn: &Connection) -> Result<Vec<AuditEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT at, who, what, device_uuid, serial, device_name FROM audit_log ORDER BY at DESC, id DESC",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(AuditEntry {
            at: row.get(0)?,
            who: row.get(1)?,
            what: row.get(2)?,
            device_uuid: row.get(3)?,
            serial: row.get(4)?,
            device_name: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn select<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<LedgerEntry>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
