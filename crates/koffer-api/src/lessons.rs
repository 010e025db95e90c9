//! Lessons: a teacher's time-limited session on a class, held by the server.
//!
//! The server keeps, for every device of a lesson, the restrictions it should have now (its
//! desired state). A command changes that desired state and bumps the device's revision; the
//! device receives the current state when it next checks in, not a replay of the commands it
//! missed. At the lesson's end date the server lifts every restriction by itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A school day: no lesson may last longer, extensions included.
pub const MAX_LESSON_MINUTES: u32 = 600;

/// What a lesson lasts when the teacher does not choose.
pub const DEFAULT_LESSON_MINUTES: u32 = 45;

/// What one "extend" adds.
pub const EXTEND_MINUTES: u32 = 10;

/// Longest message a locked screen shows.
pub const MAX_LOCK_MESSAGE_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LessonState {
    Running,
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndReason {
    /// The server ended it at its end date.
    EndTime,
    /// Someone ended it early.
    EndedByTeacher,
}

/// Where a device stands with the lesson's current restrictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LessonDeviceState {
    /// The device has not yet received the current revision.
    Pending,
    /// The device applied the current revision.
    Acknowledged,
    /// The device was busy; the server sends the current state again at the next check-in.
    NotNow,
    /// The device refused (e.g. app lock on an unsupervised device, error 12021).
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenLock {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppLock {
    pub bundle_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebPage {
    pub url: String,
}

/// What a device is restricted to during a lesson. `None` everywhere means no restriction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restrictions {
    #[serde(default)]
    pub screen_lock: Option<ScreenLock>,
    #[serde(default)]
    pub app_lock: Option<AppLock>,
    /// Only these apps may be opened; `None` allows all apps.
    #[serde(default)]
    pub allowed_apps: Option<Vec<String>>,
    #[serde(default)]
    pub web_page: Option<WebPage>,
}

impl Restrictions {
    /// No restriction at all: what every device gets when a lesson ends.
    pub fn none() -> Restrictions {
        Restrictions::default()
    }

    pub fn is_none(&self) -> bool {
        *self == Restrictions::none()
    }

    /// The restrictions after `command`: the server's desired state for a device.
    pub fn with(&self, command: &LessonCommand) -> Restrictions {
        let mut next = self.clone();
        match command {
            LessonCommand::LockScreen { message } => {
                next.screen_lock = Some(ScreenLock {
                    message: message.clone(),
                })
            }
            LessonCommand::UnlockScreen => next.screen_lock = None,
            LessonCommand::AppLock { bundle_id } => {
                next.app_lock = Some(AppLock {
                    bundle_id: bundle_id.clone(),
                })
            }
            LessonCommand::ReleaseAppLock => next.app_lock = None,
            LessonCommand::OpenWebPage { url } => {
                next.web_page = Some(WebPage { url: url.clone() })
            }
            LessonCommand::AllowApps { bundle_ids } => next.allowed_apps = Some(bundle_ids.clone()),
            LessonCommand::AllowAllApps => next.allowed_apps = None,
        }
        next
    }
}

/// One device of a lesson, with its desired restrictions and how far it has applied them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonDevice {
    pub device_uuid: String,
    #[serde(default)]
    pub restrictions: Restrictions,
    /// Bumped by every change of `restrictions`.
    pub revision: u64,
    /// The revision the device last applied (0: none yet).
    #[serde(default)]
    pub applied_revision: u64,
    pub state: LessonDeviceState,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub acknowledged_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lesson {
    pub uuid: String,
    pub organization_uuid: String,
    pub class_uuid: String,
    #[serde(default)]
    pub class_name: String,
    #[serde(default)]
    pub teacher_login: String,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub state: LessonState,
    #[serde(default)]
    pub end_reason: Option<EndReason>,
    pub modification_date: DateTime<Utc>,
    #[serde(default)]
    pub devices: Vec<LessonDevice>,
}

/// Body of a lesson create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLesson {
    pub class_uuid: String,
    #[serde(default)]
    pub device_uuids: Vec<String>,
    #[serde(default = "default_minutes")]
    pub duration_minutes: u32,
}

fn default_minutes() -> u32 {
    DEFAULT_LESSON_MINUTES
}

/// A command of a running lesson; it changes the desired restrictions of some devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub enum LessonCommand {
    LockScreen {
        message: String,
    },
    UnlockScreen,
    /// Single app mode; needs a supervised device and an app of the class.
    AppLock {
        bundle_id: String,
    },
    ReleaseAppLock,
    /// http and https only.
    OpenWebPage {
        url: String,
    },
    /// Every bundle id must be one of the class's apps.
    AllowApps {
        bundle_ids: Vec<String>,
    },
    AllowAllApps,
}

impl LessonCommand {
    /// The wire name, e.g. "APP_LOCK".
    pub fn as_str(&self) -> &'static str {
        match self {
            LessonCommand::LockScreen { .. } => "LOCK_SCREEN",
            LessonCommand::UnlockScreen => "UNLOCK_SCREEN",
            LessonCommand::AppLock { .. } => "APP_LOCK",
            LessonCommand::ReleaseAppLock => "RELEASE_APP_LOCK",
            LessonCommand::OpenWebPage { .. } => "OPEN_WEB_PAGE",
            LessonCommand::AllowApps { .. } => "ALLOW_APPS",
            LessonCommand::AllowAllApps => "ALLOW_ALL_APPS",
        }
    }
}

/// Body of `POST .../lessons/{uuid}/commands`: the command and the devices it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonCommandBody {
    #[serde(flatten)]
    pub command: LessonCommand,
    pub device_uuids: Vec<String>,
}

/// Body of `POST .../lessons/{uuid}/extend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendLesson {
    #[serde(default = "default_extend")]
    pub minutes: u32,
}

fn default_extend() -> u32 {
    EXTEND_MINUTES
}

/// Error codes of the lesson endpoints (`ErrorBody::error_code`).
pub mod lesson_error {
    /// Duration 0, or more than [`super::MAX_LESSON_MINUTES`] in total.
    pub const DURATION: &str = "LESSON_DURATION";
    /// A teacher asked for a class they do not teach.
    pub const NOT_YOUR_CLASS: &str = "NOT_YOUR_CLASS";
    /// The class already has a running lesson.
    pub const RUNNING: &str = "LESSON_RUNNING";
    /// The lesson has ended; it takes no more commands.
    pub const ENDED: &str = "LESSON_ENDED";
    /// The url is not http or https.
    pub const BAD_URL: &str = "BAD_URL";
    /// The app is not one of the class's apps.
    pub const APP_NOT_IN_CLASS: &str = "APP_NOT_IN_CLASS";
    /// A device of the request is not a device of the class.
    pub const DEVICE_NOT_IN_CLASS: &str = "DEVICE_NOT_IN_CLASS";
    /// A device of the command is not a device of the lesson.
    pub const DEVICE_NOT_IN_LESSON: &str = "DEVICE_NOT_IN_LESSON";
    /// The lock message is longer than [`super::MAX_LOCK_MESSAGE_CHARS`].
    pub const MESSAGE_TOO_LONG: &str = "MESSAGE_TOO_LONG";
    /// Teachers act on devices only through lessons.
    pub const TEACHER_NO_DEVICE_ACTIONS: &str = "TEACHER_NO_DEVICE_ACTIONS";
}

/// One lesson as the emulator's `GET /sim/lessons` answers it: what each device has applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimLesson {
    pub uuid: String,
    pub organization_uuid: String,
    pub class_uuid: String,
    pub state: LessonState,
    #[serde(default)]
    pub end_reason: Option<EndReason>,
    pub end_date: DateTime<Utc>,
    pub devices: Vec<SimLessonDevice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimLessonDevice {
    pub device_uuid: String,
    /// The restrictions the device has applied (what it shows now).
    pub applied: Restrictions,
    pub applied_revision: u64,
    /// The desired restrictions' revision.
    pub revision: u64,
    pub state: LessonDeviceState,
    /// How often the device received a state: once per check-in that caught it up, however
    /// many commands it missed.
    #[serde(default)]
    pub deliveries: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_carry_their_type_and_devices_in_one_flat_body() {
        let body = LessonCommandBody {
            command: LessonCommand::AppLock {
                bundle_id: "de.schule.app".into(),
            },
            device_uuids: vec!["d1".into()],
        };

        let json = serde_json::to_value(&body).unwrap();

        assert_eq!(
            json,
            json!({"type": "APP_LOCK", "bundleId": "de.schule.app", "deviceUuids": ["d1"]}),
            "the contract's body is flat, camelCase, tagged by type"
        );
        assert_eq!(
            serde_json::from_value::<LessonCommandBody>(json).unwrap(),
            body
        );
    }

    #[test]
    fn every_command_round_trips_through_its_wire_name() {
        let commands = [
            LessonCommand::LockScreen {
                message: "Augen nach vorn".into(),
            },
            LessonCommand::UnlockScreen,
            LessonCommand::AppLock {
                bundle_id: "a".into(),
            },
            LessonCommand::ReleaseAppLock,
            LessonCommand::OpenWebPage {
                url: "https://example.org".into(),
            },
            LessonCommand::AllowApps {
                bundle_ids: vec!["a".into(), "b".into()],
            },
            LessonCommand::AllowAllApps,
        ];

        for command in commands {
            let body = LessonCommandBody {
                command: command.clone(),
                device_uuids: vec![],
            };
            let json = serde_json::to_value(&body).unwrap();

            assert_eq!(
                json["type"],
                command.as_str(),
                "serde and as_str must agree"
            );
            assert_eq!(
                serde_json::from_value::<LessonCommandBody>(json)
                    .unwrap()
                    .command,
                command
            );
        }
    }

    #[test]
    fn bodies_of_other_commands_name_their_fields_in_camel_case() {
        let open = json!({"type": "OPEN_WEB_PAGE", "deviceUuids": [], "url": "https://x.de"});
        let allow = json!({"type": "ALLOW_APPS", "deviceUuids": ["d"], "bundleIds": ["a"]});
        let lock = json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "m"});

        let open: LessonCommandBody = serde_json::from_value(open).unwrap();
        let allow: LessonCommandBody = serde_json::from_value(allow).unwrap();
        let lock: LessonCommandBody = serde_json::from_value(lock).unwrap();

        assert_eq!(
            open.command,
            LessonCommand::OpenWebPage {
                url: "https://x.de".into()
            }
        );
        assert_eq!(
            allow.command,
            LessonCommand::AllowApps {
                bundle_ids: vec!["a".into()]
            }
        );
        assert_eq!(allow.device_uuids, ["d"]);
        assert_eq!(
            lock.command,
            LessonCommand::LockScreen {
                message: "m".into()
            }
        );
    }

    #[test]
    fn a_lesson_round_trips_in_the_contracts_shape() {
        let json = json!({
            "uuid": "l1", "organizationUuid": "o1", "classUuid": "c1", "className": "5a",
            "teacherLogin": "t.lehrer", "startDate": "2026-09-01T08:00:00Z",
            "endDate": "2026-09-01T08:45:00Z", "state": "ENDED", "endReason": "ENDED_BY_TEACHER",
            "modificationDate": "2026-09-01T08:30:00Z",
            "devices": [{
                "deviceUuid": "d1",
                "restrictions": {"screenLock": {"message": "Stop"}, "appLock": null,
                    "allowedApps": ["a"], "webPage": {"url": "https://x.de"}},
                "revision": 3, "appliedRevision": 2, "state": "ERROR", "errorCode": 12021,
                "errorMessage": "needs supervision", "acknowledgedDate": null
            }]
        });

        let lesson: Lesson = serde_json::from_value(json.clone()).unwrap();

        assert_eq!(lesson.end_reason, Some(EndReason::EndedByTeacher));
        assert_eq!(lesson.devices[0].state, LessonDeviceState::Error);
        assert_eq!(
            serde_json::to_value(&lesson).unwrap(),
            json,
            "encoding must give back exactly the contract's JSON, nulls included"
        );
    }

    #[test]
    fn a_start_without_duration_lasts_the_default_lesson() {
        let start: StartLesson = serde_json::from_value(json!({"classUuid": "c"})).unwrap();
        let extend: ExtendLesson = serde_json::from_value(json!({})).unwrap();

        assert_eq!(start.duration_minutes, DEFAULT_LESSON_MINUTES);
        assert_eq!(extend.minutes, EXTEND_MINUTES);
        assert_eq!(
            serde_json::to_value(StartLesson {
                class_uuid: "c".into(),
                device_uuids: vec!["d".into()],
                duration_minutes: 45
            })
            .unwrap(),
            json!({"classUuid": "c", "deviceUuids": ["d"], "durationMinutes": 45})
        );
    }

    #[test]
    fn commands_change_only_their_own_restriction() {
        let locked = Restrictions::none().with(&LessonCommand::LockScreen {
            message: "m".into(),
        });
        let also_app = locked.with(&LessonCommand::AppLock {
            bundle_id: "a".into(),
        });

        let unlocked = also_app.with(&LessonCommand::UnlockScreen);

        assert_eq!(unlocked.screen_lock, None);
        assert_eq!(
            unlocked.app_lock,
            Some(AppLock {
                bundle_id: "a".into()
            }),
            "unlocking the screen must keep the app lock"
        );
        assert!(unlocked.with(&LessonCommand::ReleaseAppLock).is_none());
    }
}
