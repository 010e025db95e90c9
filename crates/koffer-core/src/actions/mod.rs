//! Device actions: what the user asks for goes through the preflight into the durable outbox,
//! is sent to the server exactly once (an idempotency key makes a repeat after a crash or a lost
//! answer harmless), and is then followed in the ledger until the device has answered.

pub mod preflight;

use std::collections::BTreeMap;

use chrono::Utc;
use koffer_api::{ActionParameters, ActionState, ActionType, CreateAction, Role};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::store::outbox::{self, AuditEntry, LedgerEntry, NewAction, OUTBOX, REJECTED};
use crate::store::{sync_status, Store};
use preflight::{DeviceFacts, Preflight};

/// Actions sent to the server at the same time while flushing the outbox.
const SEND_CONCURRENCY: usize = 16;

/// What became of a request for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Requested {
    pub device_uuid: String,
    pub device_name: String,
    pub preflight: Preflight,
    /// The queued action, when the preflight let it through.
    #[ts(type = "number | null")]
    pub action_id: Option<i64>,
}

/// The device as the cache knows it, for the preflight and the ledger.
struct CachedDevice {
    org_uuid: String,
    name: String,
    serial: String,
    facts: DeviceFacts,
}

/// Runs the preflight for each device without queueing anything: what the user sees before
/// confirming.
pub fn preview(
    store: &Store,
    devices: &[String],
    kind: ActionType,
    parameters: &ActionParameters,
    role: Role,
) -> Result<Vec<Requested>> {
    let now = Utc::now().timestamp_millis();
    devices
        .iter()
        .map(|uuid| assess(store.conn(), uuid, kind, parameters, role, now).map(|(r, _)| r))
        .collect()
}

/// Runs the preflight for each device and queues the action where it passes. Nothing is sent
/// here; [`flush_outbox`] does that.
pub fn request(
    store: &mut Store,
    devices: &[String],
    kind: ActionType,
    parameters: &ActionParameters,
    requested_by: &str,
    role: Role,
) -> Result<Vec<Requested>> {
    let now = Utc::now().timestamp_millis();
    let batch = (devices.len() > 1)
        .then(|| outbox::next_batch(store.conn()))
        .transpose()?;
    store.with_tx(|tx| {
        let mut results = Vec::with_capacity(devices.len());
        for uuid in devices {
            let (mut requested, device) = assess(tx, uuid, kind, parameters, role, now)?;
            if requested.preflight.can_send {
                let new = NewAction {
                    device_uuid: uuid.clone(),
                    org_uuid: device.org_uuid,
                    device_name: device.name,
                    serial: device.serial,
                    kind,
                    parameters: parameters.clone(),
                    requested_by: requested_by.to_owned(),
                    batch,
                };
                requested.action_id = Some(outbox::enqueue(tx, &new, now)?);
                audit_if_sensitive(tx, &new, now)?;
            }
            results.push(requested);
        }
        Ok(results)
    })
}

fn assess(
    conn: &rusqlite::Connection,
    uuid: &str,
    kind: ActionType,
    parameters: &ActionParameters,
    role: Role,
    now: i64,
) -> Result<(Requested, CachedDevice)> {
    let device = cached_device(conn, uuid)?;
    let pending = outbox::pending_for_device(conn, uuid)?;
    let preflight = preflight::preflight(kind, parameters, &device.facts, &pending, role, now);
    let requested = Requested {
        device_uuid: uuid.to_owned(),
        device_name: device.name.clone(),
        preflight,
        action_id: None,
    };
    Ok((requested, device))
}

/// Locates and erases are recorded with who asked and when.
fn audit_if_sensitive(tx: &rusqlite::Transaction<'_>, new: &NewAction, now: i64) -> Result<()> {
    if !matches!(
        new.kind,
        ActionType::DeviceLocation | ActionType::EraseDevice
    ) {
        return Ok(());
    }
    outbox::audit(
        tx,
        &AuditEntry {
            at: now,
            who: new.requested_by.clone(),
            what: new.kind.as_str().to_owned(),
            device_uuid: new.device_uuid.clone(),
            serial: new.serial.clone(),
            device_name: new.device_name.clone(),
        },
    )
}

fn cached_device(conn: &rusqlite::Connection, uuid: &str) -> Result<CachedDevice> {
    let row = conn
        .query_row(
            "SELECT org_uuid, name, serial, supervised, shared_ipad, lost_mode, last_contact,
                 enrollment_type
             FROM devices WHERE uuid = ?1",
            [uuid],
            |row| {
                Ok(CachedDevice {
                    org_uuid: row.get(0)?,
                    name: row.get(1)?,
                    serial: row.get(2)?,
                    facts: DeviceFacts {
                        supervised: row.get(3)?,
                        shared_ipad: row.get(4)?,
                        lost_mode: row.get(5)?,
                        last_contact_ms: row.get(6)?,
                        automated_enrolment: row.get::<_, String>(7)? == "DEP",
                    },
                })
            },
        )
        .optional()?;
    let mut device = row.ok_or_else(|| {
        Error::InvalidInput(format!(
            "The device {uuid} is not in the cache; sync, then try again."
        ))
    })?;
    let synced = sync_status::get(conn, &device.org_uuid)?
        .last_success
        .unwrap_or(0);
    if let Some(lost) = outbox::acknowledged_lost_mode(conn, uuid, synced)? {
        device.facts.lost_mode = lost;
    }
    Ok(device)
}

/// What one flush of the outbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FlushReport {
    pub accepted: u32,
    pub rejected: u32,
    /// Still in the outbox because the server could not be reached; sent on the next flush.
    pub waiting: u32,
    /// Why the server could not be used, when it could not.
    pub problem: Option<String>,
}

/// Sends every action in the outbox, oldest first, a few at a time. Stops early when the server
/// cannot be reached; what was not sent stays in the outbox for the next flush.
pub async fn flush_outbox(client: &Client, store: &mut Store) -> Result<FlushReport> {
    let waiting = outbox::outbox(store.conn())?;
    let mut report = FlushReport::default();
    for chunk in waiting.chunks(SEND_CONCURRENCY) {
        let sends = chunk.iter().map(|entry| send(client, entry));
        let outcomes = futures::future::join_all(sends).await;
        let now = Utc::now().timestamp_millis();
        let mut server_unusable = None;
        store.with_tx(|tx| {
            for (entry, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Ok(action) => {
                        outbox::record_server_state(tx, entry.id, &action, now)?;
                        report.accepted += 1;
                    }
                    Err(error) if is_refusal(&error) => {
                        let message = refusal_message(&error);
                        outbox::finish_locally(tx, entry.id, REJECTED, Some(&message), now)?;
                        report.rejected += 1;
                    }
                    Err(error) => {
                        outbox::record_attempt(tx, entry.id, &error.to_string(), now)?;
                        report.waiting += 1;
                        server_unusable = Some(error);
                    }
                }
            }
            Ok(())
        })?;
        if let Some(error) = server_unusable {
            if error.code() == ErrorCode::TokenRejected {
                return Err(error);
            }
            report.waiting = outbox::outbox(store.conn())?.len() as u32;
            report.problem = Some(error.to_string());
            return Ok(report);
        }
    }
    Ok(report)
}

async fn send(client: &Client, entry: &LedgerEntry) -> Result<koffer_api::Action> {
    let kind = ActionType::parse(&entry.kind)
        .ok_or_else(|| Error::InvalidInput(format!("unknown action {}", entry.kind)))?;
    let parameters = serde_json::from_str(&entry.parameters).unwrap_or_default();
    let body = CreateAction { kind, parameters };
    client
        .create_action(&entry.device_uuid, &entry.idempotency_key, &body)
        .await
}

/// The server refused this action for good: sending it again would not help.
fn is_refusal(error: &Error) -> bool {
    matches!(
        error,
        Error::Refused { .. } | Error::NoRights { .. } | Error::NotFound { .. }
    )
}

fn refusal_message(error: &Error) -> String {
    match error {
        Error::NotFound { .. } => {
            "The device is no longer on the server (removed or erased and enrolled anew)."
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// Asks the server for the state of every action that may still change, and records what
/// changed. Returns the actions whose state changed, with their new state.
pub async fn follow(client: &Client, store: &mut Store) -> Result<Vec<LedgerEntry>> {
    let open = outbox::following(store.conn())?;
    let mut by_org: BTreeMap<&str, Vec<&LedgerEntry>> = BTreeMap::new();
    for entry in &open {
        by_org
            .entry(entry.org_uuid.as_str())
            .or_default()
            .push(entry);
    }
    let mut changed = Vec::new();
    for (org, entries) in by_org {
        let uuids: Vec<String> = entries
            .iter()
            .filter_map(|e| e.server_uuid.clone())
            .collect();
        let states = client.actions(org, &uuids).await?;
        let now = Utc::now().timestamp_millis();
        store.with_tx(|tx| {
            for action in &states {
                let Some(entry) = entries
                    .iter()
                    .find(|e| e.server_uuid.as_ref() == Some(&action.uuid))
                else {
                    continue;
                };
                if entry.state == action.state.as_str() {
                    continue;
                }
                outbox::record_server_state(tx, entry.id, action, now)?;
                if let Some(location) = &action.result {
                    outbox::record_location(tx, entry.id, &entry.device_uuid, location, now)?;
                }
                changed.push(LedgerEntry {
                    state: action.state.as_str().to_owned(),
                    error_code: action.error_code,
                    error_message: action.error_message.clone(),
                    updated_at: now,
                    ..(*entry).clone()
                });
            }
            Ok(())
        })?;
    }
    Ok(changed)
}

/// Cancels an action: still in the outbox, it never leaves; queued on the server, the server
/// drops it. One the device already fetched cannot be cancelled.
pub async fn cancel(client: &Client, store: &mut Store, id: i64) -> Result<LedgerEntry> {
    let entry = outbox::get(store.conn(), id)?
        .ok_or_else(|| Error::InvalidInput(format!("There is no action {id} in the ledger.")))?;
    let now = Utc::now().timestamp_millis();
    match (entry.state.as_str(), &entry.server_uuid) {
        (OUTBOX, _) => {
            let state = ActionState::Cancelled.as_str();
            store.with_tx(|tx| outbox::finish_locally(tx, id, state, None, now))?;
        }
        ("QUEUED" | "NOT_NOW", Some(server_uuid)) => {
            let action = client
                .cancel_action(&entry.device_uuid, server_uuid)
                .await?;
            store.with_tx(|tx| outbox::record_server_state(tx, id, &action, now))?;
        }
        _ => {
            return Err(Error::InvalidInput(
                "The device has already fetched this action; it can no longer be cancelled."
                    .to_owned(),
            ))
        }
    }
    Ok(outbox::get(store.conn(), id)?.expect("the action was just updated"))
}

/// Queues a failed or rejected action again, as a new action with a new key, after the same
/// preflight as the first time.
pub fn retry(store: &mut Store, id: i64, requested_by: &str, role: Role) -> Result<Requested> {
    let entry = outbox::get(store.conn(), id)?
        .ok_or_else(|| Error::InvalidInput(format!("There is no action {id} in the ledger.")))?;
    if !matches!(entry.state.as_str(), "ERROR" | REJECTED | "CANCELLED") {
        return Err(Error::InvalidInput(
            "Only failed, refused or cancelled actions can be retried.".to_owned(),
        ));
    }
    let kind = ActionType::parse(&entry.kind)
        .ok_or_else(|| Error::InvalidInput(format!("unknown action {}", entry.kind)))?;
    let parameters: ActionParameters = serde_json::from_str(&entry.parameters).unwrap_or_default();
    let mut requested = request(
        store,
        std::slice::from_ref(&entry.device_uuid),
        kind,
        &parameters,
        requested_by,
        role,
    )?;
    Ok(requested.remove(0))
}

/// Deletes locations older than `keep_hours`; locations are personal data.
pub fn purge_old_locations(store: &mut Store, keep_hours: u32) -> Result<usize> {
    let before = Utc::now().timestamp_millis() - i64::from(keep_hours) * 3_600_000;
    store.with_tx(|tx| outbox::purge_locations(tx, before))
}

/// How an erased device is doing: enrolling again through automated enrolment takes a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct EraseFollowUp {
    #[ts(type = "number")]
    pub action_id: i64,
    pub device_name: String,
    pub serial: String,
    /// When the device acknowledged the erase (Unix ms).
    #[ts(type = "number")]
    pub erased_at: i64,
    pub state: EraseState,
    /// The uuid it enrolled under again, once it is back.
    pub new_uuid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum EraseState {
    /// Erased; not back in the inventory yet.
    Waiting,
    /// Enrolled again with the same serial number and synced: back in service.
    BackInService,
    /// Not back after `give_up_after_ms`: someone should look at the device.
    NotBack,
}

/// Follows every acknowledged erase: a device with the same serial number under another uuid in
/// the cache is back in service; one that has not come back after `give_up_after_ms` is not.
pub fn erase_follow_ups(
    conn: &rusqlite::Connection,
    now_ms: i64,
    give_up_after_ms: i64,
) -> Result<Vec<EraseFollowUp>> {
    let erased = outbox::ledger(conn, None, 1000)?
        .into_iter()
        .filter(|e| e.kind == ActionType::EraseDevice.as_str() && e.state == "ACKNOWLEDGED");
    let mut again = conn.prepare_cached(
        "SELECT uuid FROM devices WHERE serial = ?1 COLLATE NOCASE AND uuid <> ?2 LIMIT 1",
    )?;
    let mut follow_ups = Vec::new();
    for entry in erased {
        let new_uuid: Option<String> = again
            .query_row([&entry.serial, &entry.device_uuid], |row| row.get(0))
            .optional()?;
        let state = match &new_uuid {
            Some(_) => EraseState::BackInService,
            None if now_ms - entry.updated_at >= give_up_after_ms => EraseState::NotBack,
            None => EraseState::Waiting,
        };
        follow_ups.push(EraseFollowUp {
            action_id: entry.id,
            device_name: entry.device_name,
            serial: entry.serial,
            erased_at: entry.updated_at,
            state,
            new_uuid,
        });
    }
    Ok(follow_ups)
}
