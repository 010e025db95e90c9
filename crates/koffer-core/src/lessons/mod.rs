//! Lessons of the teacher console: a teacher starts a time-limited lesson on a class, locks
//! its screens, locks its iPads into an app, opens a web page, restricts the apps, and ends it.
//!
//! The server holds the lesson and ends it at its end time by itself, so a closed laptop ends
//! nothing early and leaves nothing locked. Every request goes through the [`preflight`] into a
//! durable outbox (`lesson_requests`), is sent once with an idempotency key, and stays there
//! while the server is unreachable. The follower fetches running lessons into the cache, and
//! the class view is built from the cache: the inventory's devices plus the lesson's state.

pub mod preflight;
mod types;

use std::collections::HashSet;

use koffer_api::{
    ExtendLesson, LessonCommandBody, LessonDeviceState, Restrictions, Role, StartLesson,
    EXTEND_MINUTES,
};
use rusqlite::{Connection, OptionalExtension};

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::store::lessons::{
    self as table, LessonRow, NewLesson, RequestKind, RequestRow, ACCEPTED, ENDED, QUEUED, REFUSED,
    REJECTED, RUNNING,
};
use crate::store::Store;
use preflight::{Refusal, Target};
pub use types::*;

/// A device seen this recently is online.
const ONLINE_MS: i64 = 15 * 60_000;
/// Online devices check in within seconds of a push; one still pending after this is offline.
///
/// Known limit: the server does not say whether a device is reachable, so "offline" is this
/// guess from the cache's last contact and the time since the server accepted the request.
const PUSH_GRACE_MS: i64 = 30_000;
/// An ended lesson is still shown (and its devices' acknowledgements followed) this long.
const SHOW_ENDED_MS: i64 = 12 * 3_600_000;
const FOLLOW_ENDED_MS: i64 = 15 * 60_000;
/// An absence holds for the school day it was marked on.
///
/// Known limit: absences live in this laptop's cache only; the server knows nothing of them, so
/// a teacher on another laptop does not see them.
const ABSENCE_HOLDS_MS: i64 = 12 * 3_600_000;

/// Who asks: the signed-in user's login and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub login: String,
    pub role: Role,
}

/// Why a lesson request was not queued.
#[derive(Debug)]
pub enum LessonError {
    /// A bad input or a class the user may not teach; nothing was queued.
    Refused(Refusal),
    Core(Error),
}

impl From<Error> for LessonError {
    fn from(error: Error) -> Self {
        LessonError::Core(error)
    }
}

impl From<rusqlite::Error> for LessonError {
    fn from(error: rusqlite::Error) -> Self {
        LessonError::Core(error.into())
    }
}

impl From<Refusal> for LessonError {
    fn from(refusal: Refusal) -> Self {
        LessonError::Refused(refusal)
    }
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LessonError::Refused(r) => f.write_str(&r.message),
            LessonError::Core(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LessonError {}

type LessonResult<T> = std::result::Result<T, LessonError>;

/// A class as the cache holds it.
struct ClassFacts {
    uuid: String,
    org_uuid: String,
    org_name: String,
    name: String,
    case_group: Option<String>,
    /// (login, display name)
    teachers: Vec<(String, String)>,
    /// (login, display name, 1:1 device)
    students: Vec<(String, String, Option<String>)>,
    apps: Vec<ClassApp>,
}

impl ClassFacts {
    fn teacher_logins(&self) -> Vec<String> {
        self.teachers
            .iter()
            .map(|(login, _)| login.clone())
            .collect()
    }

    fn app_ids(&self) -> Vec<String> {
        self.apps.iter().map(|a| a.bundle_id.clone()).collect()
    }

    fn may_teach(&self, who: &Who) -> std::result::Result<(), Refusal> {
        preflight::may_teach(who.role, &who.login, &self.name, &self.teacher_logins())
    }
}

/// A device of a class as the cache knows it.
struct ClassDevice {
    uuid: String,
    name: String,
    supervised: bool,
    last_contact: Option<i64>,
    battery: Option<f64>,
    student: Option<(String, String)>,
}

fn class_facts(conn: &Connection, uuid: &str) -> Result<Option<ClassFacts>> {
    let row = conn
        .query_row(
            "SELECT c.uuid, c.org_uuid, coalesce(o.name, ''), c.name, c.case_group_uuid
             FROM classes c LEFT JOIN organisations o ON o.uuid = c.org_uuid WHERE c.uuid = ?1",
            [uuid],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((uuid, org_uuid, org_name, name, case_group)) = row else {
        return Ok(None);
    };
    let mut members = conn.prepare_cached(
        "SELECT login, display_name, role, device_uuid FROM class_members WHERE class_uuid = ?1
         ORDER BY display_name COLLATE NOCASE, login",
    )?;
    let mut teachers = Vec::new();
    let mut students = Vec::new();
    let rows = members.query_map([&uuid], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
        ))
    })?;
    for row in rows {
        let (login, display, role, device) = row?;
        if role == "teacher" {
            teachers.push((login, display));
        } else {
            students.push((login, display, device));
        }
    }
    let mut apps = conn.prepare_cached(
        "SELECT a.bundle_id, coalesce(
             (SELECT name FROM catalog_apps WHERE org_uuid = ?2 AND bundle_id = a.bundle_id
              LIMIT 1), a.bundle_id)
         FROM class_apps a WHERE a.class_uuid = ?1",
    )?;
    let mut apps: Vec<ClassApp> = apps
        .query_map([&uuid, &org_uuid], |row| {
            Ok(ClassApp {
                bundle_id: row.get(0)?,
                name: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    apps.sort_by_key(|a| a.name.to_lowercase());
    Ok(Some(ClassFacts {
        uuid,
        org_uuid,
        org_name,
        name,
        case_group,
        teachers,
        students,
        apps,
    }))
}

/// The class's devices: its students' 1:1 devices, then the devices of its case (1:n).
fn class_devices(conn: &Connection, class: &ClassFacts) -> Result<Vec<ClassDevice>> {
    let mut device = conn.prepare_cached(
        "SELECT name, supervised, last_contact, battery FROM devices WHERE uuid = ?1",
    )?;
    let mut found = |uuid: &str, student: Option<(String, String)>| {
        device
            .query_row([uuid], |row| {
                Ok(ClassDevice {
                    uuid: uuid.to_owned(),
                    name: row.get(0)?,
                    supervised: row.get(1)?,
                    last_contact: row.get(2)?,
                    battery: row.get(3)?,
                    student,
                })
            })
            .optional()
    };
    let mut devices: Vec<ClassDevice> = Vec::new();
    let mut seen = HashSet::new();
    for (login, display, uuid) in &class.students {
        let Some(uuid) = uuid else { continue };
        if seen.insert(uuid.clone()) {
            devices.extend(found(uuid, Some((login.clone(), display.clone())))?);
        }
    }
    let mut case = Vec::new();
    if let Some(group) = &class.case_group {
        let mut members = conn.prepare_cached(
            "SELECT m.device_uuid FROM group_members m JOIN devices d ON d.uuid = m.device_uuid
             WHERE m.group_uuid = ?1 ORDER BY d.name COLLATE NOCASE",
        )?;
        let uuids = members.query_map([group], |row| row.get::<_, String>(0))?;
        for uuid in uuids {
            let uuid = uuid?;
            if seen.insert(uuid.clone()) {
                case.extend(found(&uuid, None)?);
            }
        }
    }
    devices.sort_by(|a, b| {
        let key = |d: &ClassDevice| d.student.as_ref().map(|s| s.1.to_lowercase());
        key(a).cmp(&key(b))
    });
    devices.extend(case);
    Ok(devices)
}

fn unknown_class() -> Refusal {
    Refusal {
        field: "class",
        key: "class_unknown",
        message: "The class is not in the cache. Sync, then try again.".to_owned(),
    }
}

fn known_class(conn: &Connection, uuid: &str) -> LessonResult<ClassFacts> {
    class_facts(conn, uuid)?.ok_or_else(|| unknown_class().into())
}

/// The lesson's state as the teacher should see it: a running lesson past its end time has
/// ended on the server, whether or not Koffer has heard so yet.
fn effective_state(lesson: &LessonRow, now_ms: i64) -> (LessonState, Option<String>) {
    match lesson.state.as_str() {
        QUEUED => (LessonState::Queued, None),
        RUNNING if now_ms >= lesson.ends_at => (LessonState::Ended, Some("END_TIME".to_owned())),
        RUNNING => (LessonState::Running, None),
        REFUSED => (LessonState::Refused, None),
        _ => (LessonState::Ended, lesson.end_reason.clone()),
    }
}

fn is_active(lesson: &LessonRow, now_ms: i64) -> bool {
    matches!(
        effective_state(lesson, now_ms).0,
        LessonState::Queued | LessonState::Running
    )
}

/// The class's lesson worth showing: active, or ended within the last hours.
fn shown_lesson(conn: &Connection, class: &str, now_ms: i64) -> Result<Option<LessonRow>> {
    let lesson = table::latest_of_class(conn, class)?;
    Ok(lesson
        .filter(|l| is_active(l, now_ms) || l.updated_at.max(l.ends_at) >= now_ms - SHOW_ENDED_MS))
}

fn active_lesson(conn: &Connection, class: &ClassFacts, now_ms: i64) -> LessonResult<LessonRow> {
    let lesson = table::latest_of_class(conn, &class.uuid)?;
    lesson.filter(|l| is_active(l, now_ms)).ok_or_else(|| {
        LessonError::Refused(Refusal {
            field: "class",
            key: "no_lesson",
            message: format!("No lesson is running on {}. Start one first.", class.name),
        })
    })
}

fn summary(
    class: &ClassFacts,
    devices: usize,
    lesson: Option<&LessonRow>,
    now_ms: i64,
) -> ClassSummary {
    ClassSummary {
        uuid: class.uuid.clone(),
        org_uuid: class.org_uuid.clone(),
        org_name: class.org_name.clone(),
        name: class.name.clone(),
        students: class.students.len() as u32,
        devices: devices as u32,
        teachers: class
            .teachers
            .iter()
            .map(|(_, name)| name.clone())
            .collect(),
        lesson: lesson.map(|l| LessonSummary {
            id: l.id,
            state: effective_state(l, now_ms).0,
            ends_at: l.ends_at,
        }),
    }
}

/// The classes this user may teach, by name: a teacher's own, every class for a coordinator.
pub fn classes(conn: &Connection, who: &Who, now_ms: i64) -> Result<Vec<ClassSummary>> {
    let mut statement = conn.prepare_cached("SELECT uuid FROM classes ORDER BY name, uuid")?;
    let uuids: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut summaries = Vec::new();
    for uuid in uuids {
        let Some(class) = class_facts(conn, &uuid)? else {
            continue;
        };
        if class.may_teach(who).is_err() {
            continue;
        }
        let devices = class_devices(conn, &class)?.len();
        let lesson = shown_lesson(conn, &uuid, now_ms)?;
        summaries.push(summary(&class, devices, lesson.as_ref(), now_ms));
    }
    Ok(summaries)
}

/// The class with one tile per device and its lesson, from the cache.
pub fn class_view(
    conn: &Connection,
    who: &Who,
    class: &str,
    now_ms: i64,
) -> LessonResult<ClassView> {
    let class = known_class(conn, class)?;
    let devices = class_devices(conn, &class)?;
    let absent: HashSet<String> =
        table::absent_devices(conn, &class.uuid, now_ms - ABSENCE_HOLDS_MS)?
            .into_iter()
            .collect();
    let lesson = shown_lesson(conn, &class.uuid, now_ms)?;
    let waiting = match &lesson {
        Some(l) => table::waiting_of_lesson(conn, l.id)?,
        None => Vec::new(),
    };
    let tiles = devices
        .iter()
        .map(|d| {
            tile(
                d,
                lesson.as_ref(),
                &waiting,
                absent.contains(&d.uuid),
                &class.apps,
                now_ms,
            )
        })
        .collect();
    let lesson_view = lesson.as_ref().map(|l| lesson_view(l, &waiting, now_ms));
    let why_not = class.may_teach(who).err().map(|r| r.message);
    Ok(ClassView {
        class: summary(&class, devices.len(), lesson.as_ref(), now_ms),
        apps: class.apps.clone(),
        tiles,
        lesson: lesson_view,
        can_teach: why_not.is_none(),
        why_not,
    })
}

fn tile(
    device: &ClassDevice,
    lesson: Option<&LessonRow>,
    waiting: &[RequestRow],
    absent: bool,
    apps: &[ClassApp],
    now_ms: i64,
) -> Tile {
    let on_server = lesson
        .and_then(|l| l.server.as_ref())
        .and_then(|s| s.devices.iter().find(|d| d.device_uuid == device.uuid));
    let in_lesson = lesson.is_some_and(|l| l.devices.contains(&device.uuid)) || on_server.is_some();
    let acknowledged_at = on_server
        .and_then(|d| d.acknowledged_date)
        .map(|t| t.timestamp_millis());
    let last_contact = device.last_contact.max(acknowledged_at);
    let online = last_contact.is_some_and(|t| now_ms - t <= ONLINE_MS);
    let lifted_by_time = lesson
        .is_some_and(|l| effective_state(l, now_ms).0 == LessonState::Ended && l.state != ENDED);
    let restrictions = match on_server {
        Some(d) if !lifted_by_time => d.restrictions.clone(),
        _ => Restrictions::none(),
    };
    let pending_commands = waiting
        .iter()
        .filter(|r| r.devices.contains(&device.uuid))
        .count() as u32;
    let accepted_lately = lesson
        .and_then(|l| l.accepted_at)
        .is_some_and(|t| now_ms - t <= PUSH_GRACE_MS);
    let ack = match (lesson, on_server) {
        _ if !in_lesson => Ack::None,
        _ if pending_commands > 0 => Ack::Queued,
        (Some(l), None) if l.state == QUEUED => Ack::Queued,
        (_, None) => Ack::None,
        (_, Some(d)) => match d.state {
            LessonDeviceState::Acknowledged => Ack::Acknowledged,
            LessonDeviceState::NotNow => Ack::NotNow,
            LessonDeviceState::Error => Ack::Error,
            LessonDeviceState::Pending if online && accepted_lately => Ack::Pending,
            LessonDeviceState::Pending => Ack::Offline,
        },
    };
    let app_lock = restrictions.app_lock.map(|a| a.bundle_id);
    let app_lock_name = app_lock.as_ref().map(|bundle| {
        apps.iter()
            .find(|a| &a.bundle_id == bundle)
            .map_or_else(|| bundle.clone(), |a| a.name.clone())
    });
    Tile {
        device_uuid: device.uuid.clone(),
        device_name: device.name.clone(),
        student_login: device.student.as_ref().map(|s| s.0.clone()),
        student_name: device.student.as_ref().map(|s| s.1.clone()),
        supervised: device.supervised,
        online,
        last_contact,
        // The cache holds a share from 0 to 1, as the server sends it.
        battery: device.battery.map(|share| (share * 100.0).round()),
        absent,
        locked: restrictions.screen_lock.is_some(),
        app_lock,
        app_lock_name,
        allowed_apps: restrictions.allowed_apps,
        web_page: restrictions.web_page.map(|w| w.url),
        ack,
        error_message: on_server
            .filter(|d| d.state == LessonDeviceState::Error)
            .and_then(|d| d.error_message.clone()),
        pending_commands,
    }
}

fn lesson_view(lesson: &LessonRow, waiting: &[RequestRow], now_ms: i64) -> LessonView {
    let (state, end_reason) = effective_state(lesson, now_ms);
    let acknowledged = lesson.server.as_ref().map_or(0, |s| {
        s.devices
            .iter()
            .filter(|d| d.state == LessonDeviceState::Acknowledged)
            .count()
    });
    LessonView {
        id: lesson.id,
        server_uuid: lesson.server_uuid.clone(),
        state,
        started_at: lesson.started_at,
        ends_at: lesson.ends_at,
        end_reason,
        refusal: lesson.refusal.clone(),
        acknowledged: acknowledged as u32,
        total: lesson.devices.len() as u32,
        queued_requests: waiting.len() as u32,
        notice: notice(waiting),
    }
}

/// What the teacher should know while requests wait for the server.
fn notice(waiting: &[RequestRow]) -> Option<String> {
    let kinds: Vec<RequestKind> = waiting.iter().map(|r| r.kind).collect();
    if kinds.contains(&RequestKind::Start) {
        return Some(
            "The server cannot be reached. The lesson is queued and starts as soon as Koffer \
             reaches the server; once the server has accepted it, it ends there at its end time \
             even if this laptop is closed."
                .to_owned(),
        );
    }
    if kinds.contains(&RequestKind::End) {
        return Some(
            "The server cannot be reached, so ending the lesson waits in the outbox. The lesson \
             ends on the server at its end time regardless."
                .to_owned(),
        );
    }
    (!kinds.is_empty()).then(|| {
        format!(
            "The server cannot be reached; {} request(s) wait in the outbox and are sent when it \
             is back. The lesson ends on the server at its end time regardless.",
            kinds.len()
        )
    })
}

fn targets_of(
    conn: &Connection,
    class: &ClassFacts,
    lesson: Option<&LessonRow>,
    now_ms: i64,
) -> Result<Vec<Target>> {
    let absent: HashSet<String> =
        table::absent_devices(conn, &class.uuid, now_ms - ABSENCE_HOLDS_MS)?
            .into_iter()
            .collect();
    let devices = class_devices(conn, class)?;
    Ok(devices
        .into_iter()
        .map(|d| Target {
            absent: absent.contains(&d.uuid),
            in_lesson: lesson.is_none_or(|l| l.devices.contains(&d.uuid)),
            uuid: d.uuid,
            name: d.name,
            supervised: d.supervised,
        })
        .collect())
}

/// Queues the start of a lesson on the class's present devices (or the chosen ones); returns
/// the lesson's local id. Nothing is sent here; [`flush`] does that.
pub fn start(
    store: &mut Store,
    who: &Who,
    class: &str,
    duration_minutes: u32,
    chosen: Option<&[String]>,
    now_ms: i64,
) -> LessonResult<(i64, Vec<Skipped>)> {
    let class = known_class(store.conn(), class)?;
    class.may_teach(who)?;
    preflight::duration(duration_minutes)?;
    if let Some(running) =
        table::latest_of_class(store.conn(), &class.uuid)?.filter(|l| is_active(l, now_ms))
    {
        return Err(LessonError::Refused(Refusal {
            field: "class",
            key: "lesson_running",
            message: format!(
                "A lesson is already running on {} (lesson {}). End it first.",
                class.name, running.id
            ),
        }));
    }
    let targets = targets_of(store.conn(), &class, None, now_ms)?;
    let (devices, skipped) = preflight::targets(None, chosen, &targets);
    if devices.is_empty() {
        return Err(no_devices(&class));
    }
    let body = StartLesson {
        class_uuid: class.uuid.clone(),
        device_uuids: devices.clone(),
        duration_minutes,
    };
    let body = serde_json::to_string(&body).expect("a start serialises");
    let id = store.with_tx(|tx| {
        let lesson = NewLesson {
            class_uuid: &class.uuid,
            org_uuid: &class.org_uuid,
            started_at: now_ms,
            ends_at: now_ms + i64::from(duration_minutes) * 60_000,
            devices: &devices,
        };
        let id = table::insert_lesson(tx, &lesson)?;
        table::enqueue_request(tx, id, RequestKind::Start, &body, &devices, now_ms)?;
        Ok(id)
    })?;
    Ok((id, skipped))
}

fn no_devices(class: &ClassFacts) -> LessonError {
    LessonError::Refused(Refusal {
        field: "devices",
        key: "no_devices",
        message: format!(
            "No device of {} is left to send this to: every chosen student is absent or the \
             devices are not in the lesson.",
            class.name
        ),
    })
}

/// Queues a command of the class's running lesson for the chosen devices (all present ones when
/// `None`). Returns the devices left out with the reason, and whether a request was queued.
pub fn command(
    store: &mut Store,
    who: &Who,
    class: &str,
    command: &LessonCommand,
    chosen: Option<&[String]>,
    now_ms: i64,
) -> LessonResult<(Vec<Skipped>, bool)> {
    let class = known_class(store.conn(), class)?;
    class.may_teach(who)?;
    let lesson = active_lesson(store.conn(), &class, now_ms)?;
    let command = trimmed(command);
    preflight::command_inputs(&command, &class.app_ids())?;
    let targets = targets_of(store.conn(), &class, Some(&lesson), now_ms)?;
    let (devices, skipped) = preflight::targets(Some(&command), chosen, &targets);
    if devices.is_empty() {
        return Ok((skipped, false));
    }
    let body = LessonCommandBody {
        command: wire_command(&command),
        device_uuids: devices.clone(),
    };
    let body = serde_json::to_string(&body).expect("a command serialises");
    store.with_tx(|tx| {
        table::enqueue_request(tx, lesson.id, RequestKind::Command, &body, &devices, now_ms)
    })?;
    Ok((skipped, true))
}

fn trimmed(command: &LessonCommand) -> LessonCommand {
    match command {
        LessonCommand::LockScreen { message } => LessonCommand::LockScreen {
            message: message.trim().to_owned(),
        },
        LessonCommand::OpenWebPage { url } => LessonCommand::OpenWebPage {
            url: url.trim().to_owned(),
        },
        other => other.clone(),
    }
}

fn wire_command(command: &LessonCommand) -> koffer_api::LessonCommand {
    use koffer_api::LessonCommand as Wire;
    match command.clone() {
        LessonCommand::LockScreen { message } => Wire::LockScreen { message },
        LessonCommand::UnlockScreen => Wire::UnlockScreen,
        LessonCommand::AppLock { bundle_id } => Wire::AppLock { bundle_id },
        LessonCommand::ReleaseAppLock => Wire::ReleaseAppLock,
        LessonCommand::OpenWebPage { url } => Wire::OpenWebPage { url },
        LessonCommand::AllowApps { bundle_ids } => Wire::AllowApps { bundle_ids },
        LessonCommand::AllowAllApps => Wire::AllowAllApps,
    }
}

/// Queues ten more minutes for the class's running lesson.
pub fn extend(store: &mut Store, who: &Who, class: &str, now_ms: i64) -> LessonResult<()> {
    let class = known_class(store.conn(), class)?;
    class.may_teach(who)?;
    let lesson = active_lesson(store.conn(), &class, now_ms)?;
    let minutes = ((lesson.ends_at - lesson.started_at) / 60_000).max(0) as u32;
    preflight::extension(minutes, EXTEND_MINUTES)?;
    let body = serde_json::to_string(&ExtendLesson {
        minutes: EXTEND_MINUTES,
    })
    .expect("an extension serialises");
    store.with_tx(|tx| {
        table::enqueue_request(
            tx,
            lesson.id,
            RequestKind::Extend,
            &body,
            &lesson.devices,
            now_ms,
        )?;
        table::set_ends_at(
            tx,
            lesson.id,
            lesson.ends_at + i64::from(EXTEND_MINUTES) * 60_000,
        )
    })?;
    Ok(())
}

/// Ends the class's lesson now. A lesson whose start never left the outbox is withdrawn
/// locally; any other end is queued for the server, which lifts every restriction at once.
pub fn end(store: &mut Store, who: &Who, class: &str, now_ms: i64) -> LessonResult<()> {
    let class = known_class(store.conn(), class)?;
    class.may_teach(who)?;
    let lesson = active_lesson(store.conn(), &class, now_ms)?;
    let waiting = table::waiting_of_lesson(store.conn(), lesson.id)?;
    let never_sent = waiting
        .iter()
        .any(|r| r.kind == RequestKind::Start && r.attempts == 0);
    store.with_tx(|tx| {
        if never_sent {
            for request in &waiting {
                let reason = Some("Withdrawn: the lesson was ended before the server had it.");
                table::finish_request(tx, request.id, REJECTED, reason, now_ms)?;
            }
            return table::finish_locally(
                tx,
                lesson.id,
                ENDED,
                Some("ENDED_BY_TEACHER"),
                None,
                now_ms,
            );
        }
        table::enqueue_request(
            tx,
            lesson.id,
            RequestKind::End,
            "{}",
            &lesson.devices,
            now_ms,
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Marks a student (or a case device) of the class absent or present again.
pub fn set_absent(
    store: &mut Store,
    who: &Who,
    class: &str,
    student_login: Option<&str>,
    device: Option<&str>,
    absent: bool,
    now_ms: i64,
) -> LessonResult<()> {
    let class = known_class(store.conn(), class)?;
    class.may_teach(who)?;
    let by_student = student_login.and_then(|login| {
        class
            .students
            .iter()
            .find(|(l, _, _)| l.eq_ignore_ascii_case(login))
            .and_then(|(_, _, d)| d.clone())
    });
    let devices = class_devices(store.conn(), &class)?;
    let device = by_student
        .or_else(|| device.map(str::to_owned))
        .filter(|uuid| devices.iter().any(|d| &d.uuid == uuid))
        .ok_or_else(|| {
            LessonError::Refused(Refusal {
                field: "devices",
                key: "not_in_class",
                message: format!("That student or device is not one of {}'s.", class.name),
            })
        })?;
    store.with_tx(|tx| table::set_absent(tx, &class.uuid, &device, absent, now_ms))?;
    Ok(())
}

/// What one flush of the lesson outbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LessonFlush {
    pub accepted: u32,
    pub rejected: u32,
    /// Still in the outbox because the server could not be reached.
    pub waiting: u32,
    /// Why the server could not be used, when it could not.
    pub problem: Option<String>,
    /// Classes whose lesson changed.
    pub classes: Vec<String>,
}

/// Sends the lesson outbox, oldest first, one request at a time: a lesson's commands need its
/// start to be accepted first. Stops when the server cannot be reached; what was not sent
/// stays in the outbox for the next flush.
pub async fn flush(client: &Client, store: &mut Store) -> Result<LessonFlush> {
    let mut report = LessonFlush::default();
    let mut blocked = HashSet::new();
    for request in table::outbox(store.conn())? {
        if blocked.contains(&request.lesson_id) {
            continue;
        }
        let Some(lesson) = table::lesson(store.conn(), request.lesson_id)? else {
            continue;
        };
        let now = chrono::Utc::now().timestamp_millis();
        let sent = match (request.kind, &lesson.server_uuid) {
            (RequestKind::Start, _) => send_start(client, &lesson, &request).await,
            (kind, Some(uuid)) => send_to_lesson(client, &lesson, uuid, kind, &request).await,
            (_, None) if matches!(lesson.state.as_str(), REFUSED | ENDED) => {
                let reason = Some("The lesson never started on the server.");
                store.with_tx(|tx| table::finish_request(tx, request.id, REJECTED, reason, now))?;
                report.rejected += 1;
                continue;
            }
            (_, None) => {
                blocked.insert(request.lesson_id);
                continue;
            }
        };
        match sent {
            Ok(server) => {
                store.with_tx(|tx| {
                    table::finish_request(tx, request.id, ACCEPTED, None, now)?;
                    table::record_server_lesson(tx, lesson.id, &server, true, now)
                })?;
                report.accepted += 1;
                report.classes.push(lesson.class_uuid.clone());
            }
            Err(error) if is_refusal(&error) => {
                let reason = error.to_string();
                store.with_tx(|tx| {
                    table::finish_request(tx, request.id, REJECTED, Some(&reason), now)?;
                    if request.kind == RequestKind::Start {
                        table::finish_locally(tx, lesson.id, REFUSED, None, Some(&reason), now)?;
                    }
                    Ok(())
                })?;
                report.rejected += 1;
                report.classes.push(lesson.class_uuid.clone());
            }
            Err(error) => {
                let reason = error.to_string();
                store.with_tx(|tx| table::record_attempt(tx, request.id, &reason, now))?;
                if error.code() == ErrorCode::TokenRejected {
                    return Err(error);
                }
                report.waiting = table::outbox(store.conn())?.len() as u32;
                report.problem = Some(reason);
                return Ok(report);
            }
        }
    }
    Ok(report)
}

async fn send_start(
    client: &Client,
    lesson: &LessonRow,
    request: &RequestRow,
) -> Result<koffer_api::Lesson> {
    let body: StartLesson = serde_json::from_str(&request.body)
        .map_err(|e| Error::InvalidInput(format!("a queued lesson start is unreadable: {e}")))?;
    client
        .start_lesson(&lesson.org_uuid, &request.idempotency_key, &body)
        .await
}

async fn send_to_lesson(
    client: &Client,
    lesson: &LessonRow,
    uuid: &str,
    kind: RequestKind,
    request: &RequestRow,
) -> Result<koffer_api::Lesson> {
    let org = &lesson.org_uuid;
    let key = &request.idempotency_key;
    let unreadable = |e: serde_json::Error| {
        Error::InvalidInput(format!("a queued lesson request is unreadable: {e}"))
    };
    match kind {
        RequestKind::Command => {
            let body: LessonCommandBody =
                serde_json::from_str(&request.body).map_err(unreadable)?;
            client.lesson_command(org, uuid, key, &body).await
        }
        RequestKind::Extend => {
            let body: ExtendLesson = serde_json::from_str(&request.body).map_err(unreadable)?;
            client.extend_lesson(org, uuid, key, &body).await
        }
        RequestKind::End | RequestKind::Start => client.end_lesson(org, uuid, key).await,
    }
}

/// The server refused this request for good: sending it again would not help.
fn is_refusal(error: &Error) -> bool {
    matches!(
        error,
        Error::Refused { .. } | Error::NoRights { .. } | Error::NotFound { .. }
    )
}

/// Fetches every lesson that may still change and records what changed; returns the classes
/// whose lesson changed.
pub async fn follow(client: &Client, store: &mut Store) -> Result<Vec<String>> {
    let now = chrono::Utc::now().timestamp_millis();
    let open = table::following(store.conn(), now - FOLLOW_ENDED_MS)?;
    let mut changed = Vec::new();
    for lesson in open {
        if lesson.state == ENDED && all_applied(&lesson) {
            continue;
        }
        let Some(uuid) = &lesson.server_uuid else {
            continue;
        };
        let server = match client.lesson(&lesson.org_uuid, uuid).await {
            Ok(server) => server,
            Err(Error::NotFound { .. }) => {
                let now = chrono::Utc::now().timestamp_millis();
                let gone = Some("The server no longer has this lesson.");
                let reason = lesson.end_reason.as_deref();
                store
                    .with_tx(|tx| table::finish_locally(tx, lesson.id, ENDED, reason, gone, now))?;
                changed.push(lesson.class_uuid.clone());
                continue;
            }
            Err(error) => return Err(error),
        };
        if lesson.server.as_ref() != Some(&server) {
            let now = chrono::Utc::now().timestamp_millis();
            store.with_tx(|tx| table::record_server_lesson(tx, lesson.id, &server, false, now))?;
            changed.push(lesson.class_uuid.clone());
        }
    }
    Ok(changed)
}

fn all_applied(lesson: &LessonRow) -> bool {
    lesson.server.as_ref().is_some_and(|s| {
        s.devices.iter().all(|d| {
            d.state == LessonDeviceState::Acknowledged || d.state == LessonDeviceState::Error
        })
    })
}

/// Whether anything of the lessons needs the follower: requests in the outbox or lessons the
/// server may still change.
pub fn needs_following(conn: &Connection) -> Result<bool> {
    let now = chrono::Utc::now().timestamp_millis();
    Ok(!table::outbox(conn)?.is_empty()
        || !table::following(conn, now - FOLLOW_ENDED_MS)?.is_empty())
}
