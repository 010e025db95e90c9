//! The lesson tables: lessons with the server's last known state, the outbox of lesson requests
//! and the absences per class. The request bodies hold lock messages teachers type: they are
//! stored because they must be sent, and never logged.

use koffer_api::Lesson;
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::error::Result;

pub const QUEUED: &str = "QUEUED";
pub const RUNNING: &str = "RUNNING";
pub const ENDED: &str = "ENDED";
pub const REFUSED: &str = "REFUSED";

pub const OUTBOX: &str = "OUTBOX";
pub const ACCEPTED: &str = "ACCEPTED";
pub const REJECTED: &str = "REJECTED";

/// The kinds of lesson request, in the order a lesson goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Start,
    Command,
    Extend,
    End,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Start => "START",
            RequestKind::Command => "COMMAND",
            RequestKind::Extend => "EXTEND",
            RequestKind::End => "END",
        }
    }

    pub fn parse(text: &str) -> Option<RequestKind> {
        [
            RequestKind::Start,
            RequestKind::Command,
            RequestKind::Extend,
            RequestKind::End,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A lesson as the cache holds it.
#[derive(Clone, PartialEq)]
pub struct LessonRow {
    pub id: i64,
    pub class_uuid: String,
    pub org_uuid: String,
    pub server_uuid: Option<String>,
    pub state: String,
    pub started_at: i64,
    pub ends_at: i64,
    pub end_reason: Option<String>,
    pub refusal: Option<String>,
    pub devices: Vec<String>,
    pub server: Option<Lesson>,
    pub accepted_at: Option<i64>,
    pub updated_at: i64,
}

// Not derived: the server lesson holds the lock message, which must not reach a log.
impl std::fmt::Debug for LessonRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LessonRow")
            .field("id", &self.id)
            .field("class_uuid", &self.class_uuid)
            .field("server_uuid", &self.server_uuid)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

const LESSON_COLUMNS: &str = "id, class_uuid, org_uuid, server_uuid, state, started_at, ends_at,
    end_reason, refusal, devices, server_lesson, accepted_at, updated_at";

fn lesson_row(row: &Row<'_>) -> rusqlite::Result<LessonRow> {
    let devices: String = row.get(9)?;
    let server: Option<String> = row.get(10)?;
    Ok(LessonRow {
        id: row.get(0)?,
        class_uuid: row.get(1)?,
        org_uuid: row.get(2)?,
        server_uuid: row.get(3)?,
        state: row.get(4)?,
        started_at: row.get(5)?,
        ends_at: row.get(6)?,
        end_reason: row.get(7)?,
        refusal: row.get(8)?,
        devices: serde_json::from_str(&devices).unwrap_or_default(),
        server: server.and_then(|s| serde_json::from_str(&s).ok()),
        accepted_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

/// A lesson about to be asked for.
#[derive(Debug, Clone)]
pub struct NewLesson<'a> {
    pub class_uuid: &'a str,
    pub org_uuid: &'a str,
    pub started_at: i64,
    pub ends_at: i64,
    pub devices: &'a [String],
}

pub fn insert_lesson(tx: &Transaction<'_>, lesson: &NewLesson<'_>) -> Result<i64> {
    tx.execute(
        "INSERT INTO lessons (class_uuid, org_uuid, state, started_at, ends_at, devices,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)",
        params![
            lesson.class_uuid,
            lesson.org_uuid,
            QUEUED,
            lesson.started_at,
            lesson.ends_at,
            serde_json::to_string(lesson.devices).expect("uuids serialise"),
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn lesson(conn: &Connection, id: i64) -> Result<Option<LessonRow>> {
    let sql = format!("SELECT {LESSON_COLUMNS} FROM lessons WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], lesson_row).optional()?)
}

/// The class's newest lesson, whatever its state.
pub fn latest_of_class(conn: &Connection, class: &str) -> Result<Option<LessonRow>> {
    let sql = format!(
        "SELECT {LESSON_COLUMNS} FROM lessons WHERE class_uuid = ?1 ORDER BY id DESC LIMIT 1"
    );
    Ok(conn.query_row(&sql, [class], lesson_row).optional()?)
}

/// Lessons the server holds that may still change: running ones, and ended ones whose devices
/// have not all applied the end yet (for at most `ended_since_ms`).
pub fn following(conn: &Connection, ended_since_ms: i64) -> Result<Vec<LessonRow>> {
    let sql = format!(
        "SELECT {LESSON_COLUMNS} FROM lessons WHERE server_uuid IS NOT NULL
         AND (state = 'RUNNING' OR (state = 'ENDED' AND updated_at >= ?1)) ORDER BY id"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([ended_since_ms], lesson_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the server's view of a lesson: its uuid, state, times and devices.
pub fn record_server_lesson(
    tx: &Transaction<'_>,
    id: i64,
    lesson: &Lesson,
    accepted: bool,
    now_ms: i64,
) -> Result<()> {
    let state = match lesson.state {
        koffer_api::LessonState::Running => RUNNING,
        koffer_api::LessonState::Ended => ENDED,
    };
    let end_reason = lesson.end_reason.map(|r| match r {
        koffer_api::EndReason::EndTime => "END_TIME",
        koffer_api::EndReason::EndedByTeacher => "ENDED_BY_TEACHER",
    });
    tx.execute(
        "UPDATE lessons SET server_uuid = ?2, state = ?3, started_at = ?4, ends_at = ?5,
             end_reason = ?6, server_lesson = ?7, updated_at = ?8,
             accepted_at = CASE WHEN ?9 THEN ?8 ELSE accepted_at END
         WHERE id = ?1",
        params![
            id,
            lesson.uuid,
            state,
            lesson.start_date.timestamp_millis(),
            lesson.end_date.timestamp_millis(),
            end_reason,
            serde_json::to_string(lesson).expect("a lesson serialises"),
            now_ms,
            accepted,
        ],
    )?;
    Ok(())
}

/// Ends a lesson locally: its start was refused, or it was ended before the server had it.
pub fn finish_locally(
    tx: &Transaction<'_>,
    id: i64,
    state: &str,
    end_reason: Option<&str>,
    refusal: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE lessons SET state = ?2, end_reason = ?3, refusal = ?4, updated_at = ?5
         WHERE id = ?1",
        params![id, state, end_reason, refusal, now_ms],
    )?;
    Ok(())
}

/// Moves the lesson's known end (an extension waiting in the outbox).
pub fn set_ends_at(tx: &Transaction<'_>, id: i64, ends_at: i64) -> Result<()> {
    tx.execute(
        "UPDATE lessons SET ends_at = ?2 WHERE id = ?1",
        params![id, ends_at],
    )?;
    Ok(())
}

/// One lesson request of the outbox.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub lesson_id: i64,
    pub idempotency_key: String,
    pub kind: RequestKind,
    /// The JSON body; may hold a lock message.
    pub body: String,
    pub devices: Vec<String>,
    pub state: String,
    pub attempts: i64,
}

// Not derived: the body may hold a lock message, which must not reach a log.
impl std::fmt::Debug for RequestRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestRow")
            .field("id", &self.id)
            .field("lesson_id", &self.lesson_id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

const REQUEST_COLUMNS: &str =
    "id, lesson_id, idempotency_key, kind, body, devices, state, attempts";

fn request_row(row: &Row<'_>) -> rusqlite::Result<RequestRow> {
    let kind: String = row.get(3)?;
    let devices: String = row.get(5)?;
    Ok(RequestRow {
        id: row.get(0)?,
        lesson_id: row.get(1)?,
        idempotency_key: row.get(2)?,
        kind: RequestKind::parse(&kind).unwrap_or(RequestKind::Command),
        body: row.get(4)?,
        devices: serde_json::from_str(&devices).unwrap_or_default(),
        state: row.get(6)?,
        attempts: row.get(7)?,
    })
}

/// Puts a request into the outbox with a fresh idempotency key; returns its id.
pub fn enqueue_request(
    tx: &Transaction<'_>,
    lesson_id: i64,
    kind: RequestKind,
    body: &str,
    devices: &[String],
    now_ms: i64,
) -> Result<i64> {
    let key = format!("koffer-lesson-{:032x}", rand::rng().random::<u128>());
    tx.execute(
        "INSERT INTO lesson_requests (lesson_id, idempotency_key, kind, body, devices, state,
             requested_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            lesson_id,
            key,
            kind.as_str(),
            body,
            serde_json::to_string(devices).expect("uuids serialise"),
            OUTBOX,
            now_ms,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Requests waiting to be sent, oldest first.
pub fn outbox(conn: &Connection) -> Result<Vec<RequestRow>> {
    let sql =
        format!("SELECT {REQUEST_COLUMNS} FROM lesson_requests WHERE state = 'OUTBOX' ORDER BY id");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([], request_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The lesson's requests still waiting in the outbox, oldest first.
pub fn waiting_of_lesson(conn: &Connection, lesson_id: i64) -> Result<Vec<RequestRow>> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM lesson_requests WHERE lesson_id = ?1 AND state = 'OUTBOX'
         ORDER BY id"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([lesson_id], request_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every request of a lesson, oldest first.
pub fn requests_of_lesson(conn: &Connection, lesson_id: i64) -> Result<Vec<RequestRow>> {
    let sql =
        format!("SELECT {REQUEST_COLUMNS} FROM lesson_requests WHERE lesson_id = ?1 ORDER BY id");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([lesson_id], request_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The server answered the request: ACCEPTED or REJECTED (with its reason).
pub fn finish_request(
    tx: &Transaction<'_>,
    id: i64,
    state: &str,
    reason: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE lesson_requests SET state = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, state, reason, now_ms],
    )?;
    Ok(())
}

/// A send that did not reach the server; the request stays in the outbox.
pub fn record_attempt(tx: &Transaction<'_>, id: i64, reason: &str, now_ms: i64) -> Result<()> {
    tx.execute(
        "UPDATE lesson_requests SET attempts = attempts + 1, last_error = ?2, updated_at = ?3
         WHERE id = ?1",
        params![id, reason, now_ms],
    )?;
    Ok(())
}

pub fn set_absent(
    tx: &Transaction<'_>,
    class: &str,
    device: &str,
    absent: bool,
    now_ms: i64,
) -> Result<()> {
    if absent {
        tx.execute(
            "INSERT OR REPLACE INTO absences (class_uuid, device_uuid, marked_at)
             VALUES (?1, ?2, ?3)",
            params![class, device, now_ms],
        )?;
    } else {
        tx.execute(
            "DELETE FROM absences WHERE class_uuid = ?1 AND device_uuid = ?2",
            params![class, device],
        )?;
    }
    Ok(())
}

/// Devices of the class marked absent since `since_ms`.
pub fn absent_devices(conn: &Connection, class: &str, since_ms: i64) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT device_uuid FROM absences WHERE class_uuid = ?1 AND marked_at >= ?2",
    )?;
    let rows = statement.query_map(params![class, since_ms], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores the apps of a class; called by the catalogue's replace, after the class row.
pub fn insert_class_apps(tx: &Transaction<'_>, class: &str, apps: &[String]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO class_apps (class_uuid, bundle_id) VALUES (?1, ?2)",
    )?;
    for app in apps {
        insert.execute(params![class, app])?;
    }
    Ok(())
}
