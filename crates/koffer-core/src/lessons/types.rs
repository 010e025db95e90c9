//! What the teacher console shows and asks for: classes, the class view with one tile per
//! device, the lesson, and the commands a teacher gives. Generated into TypeScript for the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A class this profile may teach, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClassSummary {
    pub uuid: String,
    pub org_uuid: String,
    pub org_name: String,
    pub name: String,
    pub students: u32,
    pub devices: u32,
    /// Display names of the class's teachers.
    pub teachers: Vec<String>,
    /// The class's lesson, while one is queued, running or just ended.
    pub lesson: Option<LessonSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LessonSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub state: LessonState,
    /// Unix ms.
    #[ts(type = "number")]
    pub ends_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum LessonState {
    /// Asked for, not yet accepted by the server (it was unreachable).
    Queued,
    Running,
    Ended,
    /// The server refused to start it; `refusal` says why.
    Refused,
}

/// An app of the class: what a lesson may lock into or allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClassApp {
    pub bundle_id: String,
    pub name: String,
}

/// How a device stands with the lesson's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Ack {
    /// No lesson, or the device is not part of it.
    None,
    /// Sent; the device is online and has not answered yet.
    Pending,
    Acknowledged,
    /// The device was busy; the server sends the state again at its next check-in.
    NotNow,
    Error,
    /// Sent; the device is offline and gets the current state when it is back.
    Offline,
    /// Waiting in the outbox: the server has not accepted it yet.
    Queued,
}

/// One device of the class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Tile {
    pub device_uuid: String,
    pub device_name: String,
    pub student_login: Option<String>,
    pub student_name: Option<String>,
    pub supervised: bool,
    /// Last contact within 15 minutes (the cache's, or an acknowledgement in this lesson).
    pub online: bool,
    #[ts(type = "number | null")]
    pub last_contact: Option<i64>,
    /// Percent.
    pub battery: Option<f64>,
    pub absent: bool,
    pub locked: bool,
    /// Bundle id of the app the device is locked into.
    pub app_lock: Option<String>,
    pub app_lock_name: Option<String>,
    pub allowed_apps: Option<Vec<String>>,
    pub web_page: Option<String>,
    pub ack: Ack,
    pub error_message: Option<String>,
    /// Lesson requests for this device still waiting in the outbox.
    pub pending_commands: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LessonView {
    /// Local number of the lesson.
    #[ts(type = "number")]
    pub id: i64,
    pub server_uuid: Option<String>,
    pub state: LessonState,
    /// Unix ms.
    #[ts(type = "number")]
    pub started_at: i64,
    /// Unix ms: when the server ends it (as far as Koffer knows).
    #[ts(type = "number")]
    pub ends_at: i64,
    /// "END_TIME" or "ENDED_BY_TEACHER" once ended.
    pub end_reason: Option<String>,
    /// Why the server refused to start it.
    pub refusal: Option<String>,
    /// Devices that applied the current state.
    pub acknowledged: u32,
    /// Devices of the lesson.
    pub total: u32,
    /// Requests of this lesson still waiting in the outbox (start, commands, extend, end).
    pub queued_requests: u32,
    /// What the teacher should know about queued requests, in English (e.g. that the lesson
    /// ends on the server at its end time once accepted).
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClassView {
    pub class: ClassSummary,
    pub apps: Vec<ClassApp>,
    pub tiles: Vec<Tile>,
    pub lesson: Option<LessonView>,
    /// Whether this profile may start lessons on the class.
    pub can_teach: bool,
    pub why_not: Option<String>,
}

/// What a teacher asks the class's devices to do during a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LessonCommand {
    LockScreen {
        message: String,
    },
    UnlockScreen,
    AppLock {
        #[serde(rename = "bundleId")]
        bundle_id: String,
    },
    ReleaseAppLock,
    OpenWebPage {
        url: String,
    },
    AllowApps {
        #[serde(rename = "bundleIds")]
        bundle_ids: Vec<String>,
    },
    AllowAllApps,
}

/// A device a command left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub device_uuid: String,
    pub device_name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LessonCommandOutcome {
    pub view: ClassView,
    pub skipped: Vec<Skipped>,
    /// The command waits in the outbox: the server could not be reached.
    pub queued: bool,
}
