//! The one declaration of every command the UI may call: its name, request and response.
//!
//! `src-tauri` registers exactly these, each as a one-line call into [`crate::App`]; the
//! TypeScript bindings in `ui/src/lib/bindings/` are generated from this list (see
//! `bindings.rs`) and committed, and a test fails when they are stale.

pub use koffer_api::{ActionParameters, ActionType};
pub use koffer_core::actions::{EraseFollowUp, EraseState, FlushReport, Requested};
pub use koffer_core::compliance::district::{DistrictView, OsCount, SchoolFigures};
pub use koffer_core::compliance::export::{ExportFormat, ReportKind};
pub use koffer_core::compliance::licences::{
    AppLicences, DepProfileView, LicenceReport, OrgLicences,
};
pub use koffer_core::compliance::remediation::{
    OrgRemediation, Refusal, Remediation, RemediationKind, RemediationPreview,
};
pub use koffer_core::compliance::{
    AppRef, ComplianceQuery, ComplianceReport, ComplianceRow, DeviceCompliance, KofferState,
    PolicyApplied,
};
pub use koffer_core::device_detail::DeviceDetail;
pub use koffer_core::lessons::{
    Ack, ClassApp, ClassSummary, ClassView, LessonCommand, LessonCommandOutcome, LessonState,
    LessonSummary, LessonView, Skipped, Tile,
};
pub use koffer_core::overview::{FilterChoices, Overview};
pub use koffer_core::policies::{
    ConfigurationChange, ConfigurationView, PolicyQuery, PolicyRow, PublishRequest, TemplateCopy,
    TemplateDiff, TemplateOverviewRow, TemplateRef, TemplateState, TimeWindowView, ValueChange,
    VersionView,
};
pub use koffer_core::query::{DevicePage, DeviceQuery};
pub use koffer_core::store::outbox::{AuditEntry, DeviceLocation, LedgerEntry};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::settings::Settings;

/// Declares the commands once; [`COMMANDS`] and the generated `commands.ts` come from it.
macro_rules! commands {
    ($($(#[doc = $doc:literal])* $name:ident($request:ty) -> $response:ty;)*) => {
        /// Name, request type and response type of each command, for the bindings.
        pub const COMMANDS: &[(&str, fn(&ts_rs::Config) -> String, fn(&ts_rs::Config) -> String)] = &[
            $((stringify!($name), <$request as TS>::name, <$response as TS>::name),)*
        ];

        /// Exports every request and response type (and what they use) into `cfg`'s folder.
        pub fn export_types(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
            $(
                export_if_named::<$request>(cfg)?;
                export_if_named::<$response>(cfg)?;
            )*
            Ok(())
        }
    };
}

fn export_if_named<T: TS + 'static>(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    match T::output_path() {
        Some(_) => T::export_all(cfg),
        None => Ok(()),
    }
}

commands! {
    /// Profiles, the active one, settings, and whether a sync runs.
    app_state(Empty) -> AppState;
    /// Checks a server address and token, keeps the token in the credential store, and makes
    /// the profile active.
    sign_in(SignIn) -> ProfileInfo;
    switch_profile(ProfileRef) -> ProfileInfo;
    /// Removes the token from the credential store and deletes the profile's cache.
    forget_profile(ProfileRef) -> AppState;
    save_settings(Settings) -> Empty;
    /// Syncs the active profile; progress arrives as `sync-progress` events.
    start_sync(SyncRequest) -> SyncSummary;
    /// When each organisation was synced, and whether the server answered lately.
    freshness(Empty) -> Freshness;
    /// Asks the server whether it is reachable and the token still valid.
    check_server(Empty) -> Freshness;
    query_devices(DeviceQuery) -> DevicePage;
    filter_choices(Empty) -> FilterChoices;
    device_detail(DeviceRef) -> DeviceDetail;
    overview(DeviceQuery) -> Overview;
    /// Koffer's own compliance evaluation of the devices the filters match, with the server's
    /// state beside it.
    compliance(ComplianceQuery) -> ComplianceReport;
    /// One device's compliance with every policy of its groups.
    device_compliance(DeviceRef) -> DeviceCompliance;
    /// What installing or removing an app would do: licences, devices that get it, and why not.
    remediation_preview(Remediation) -> RemediationPreview;
    /// Queues the installs or removals the preview lets through and sends the outbox; refused
    /// before sending when no licence is left or the app is not in the catalogue.
    request_remediation(Remediation) -> ActionOutcome;
    /// Device licences, VPP licences per app and enrolment profiles per organisation.
    licences(Empty) -> LicenceReport;
    /// Every school side by side, over the devices the filters match.
    district(DeviceQuery) -> DistrictView;
    /// Writes the compliance report or the district view as CSV or xlsx.
    export_report(ExportRequest) -> ExportOutcome;
    /// The preflight of an action on devices, without queueing anything.
    preview_action(ActionRequest) -> Vec<Requested>;
    /// Queues the action where the preflight lets it through, and sends the outbox.
    request_action(ActionRequest) -> ActionOutcome;
    /// The ledger, newest first: all actions, or one device's.
    ledger(LedgerRequest) -> Vec<LedgerEntry>;
    cancel_action(ActionRef) -> LedgerEntry;
    /// Queues a failed, refused or cancelled action again.
    retry_action(ActionRef) -> Requested;
    /// The newest location a device reported, while it is kept.
    device_location(DeviceRef) -> LocationAnswer;
    /// Who located or erased which device, and when.
    audit_log(Empty) -> Vec<AuditEntry>;
    /// Each erased device: waiting, back in service, or not back after a time.
    erase_follow_ups(Empty) -> Vec<EraseFollowUp>;
    /// The cached policies of one organisation (or all) with every version.
    policies(PolicyQuery) -> Vec<PolicyRow>;
    /// The policies assigned to the device's groups.
    device_policies(DeviceRef) -> Vec<PolicyRow>;
    /// Every template against every school: same, differs or missing.
    template_overview(Empty) -> Vec<TemplateOverviewRow>;
    /// The preview of a copy: how the school's copy differs from the template.
    template_diff(TemplateRef) -> TemplateDiff;
    /// Copies the template into the school as a new unpublished version; refused with code
    /// `changed` (key `policy_changed`) when either changed on the server since the preview,
    /// which then shows the server's state.
    copy_template(TemplateCopy) -> TemplateDiff;
    /// Publishes one version of a policy, so it takes effect.
    publish_policy(PublishRequest) -> PolicyRow;
    /// The classes this profile may teach (a teacher's own; every class for a coordinator).
    classes(Empty) -> Vec<ClassSummary>;
    /// A class with one tile per device and its lesson, from the cache.
    class_view(ClassRef) -> ClassView;
    /// Queues a lesson on the class and sends it; offline it waits in the outbox.
    start_lesson(StartLesson) -> ClassView;
    /// A command of the running lesson for the whole class (minus the absent) or chosen devices.
    lesson_command(LessonCommandRequest) -> LessonCommandOutcome;
    /// Ten more minutes.
    extend_lesson(ClassRef) -> ClassView;
    /// Ends the lesson now; the server lifts every restriction at once.
    end_lesson(ClassRef) -> ClassView;
    /// Marks a student (or a case device) absent or present again.
    set_absent(AbsentRequest) -> ClassView;
}

/// The name of the event that carries the ledger entries whose state changed.
pub const LEDGER_EVENT: &str = "ledger-changed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequest {
    pub device_uuids: Vec<String>,
    pub kind: ActionType,
    pub parameters: ActionParameters,
    /// For an erase: the device's name or serial number, typed by the user.
    pub erase_confirmation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionOutcome {
    pub requested: Vec<Requested>,
    pub flush: FlushReport,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRequest {
    pub device_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionRef {
    #[ts(type = "number")]
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LocationAnswer {
    pub location: Option<DeviceLocation>,
    /// Hours a location is kept before it is deleted from the cache.
    pub kept_hours: u32,
}

/// The name of the event that carries a [`LessonChanged`] when the follower sees a lesson
/// change (acknowledgements, the server ending it).
pub const LESSON_EVENT: &str = "lesson-changed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LessonChanged {
    pub class_uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClassRef {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartLesson {
    pub class_uuid: String,
    /// 1 to 600; the UI offers 45.
    pub duration_minutes: u32,
    /// The devices to include; `null`: every device of the class whose student is present.
    pub device_uuids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LessonCommandRequest {
    pub class_uuid: String,
    pub command: LessonCommand,
    /// Chosen devices; `null`: the whole class minus the absent.
    pub device_uuids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AbsentRequest {
    pub class_uuid: String,
    /// The student, for a 1:1 class; or the device, for a case.
    pub student_login: Option<String>,
    pub device_uuid: Option<String>,
    pub absent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub report: ReportKind,
    pub format: ExportFormat,
    /// Exactly the devices the window's filters match (its sort and paging are not used).
    pub query: DeviceQuery,
    /// For the compliance report: only the devices Koffer finds non-compliant.
    #[serde(default)]
    pub only_non_compliant: bool,
    /// Leave out user names when `false` (the compliance report; the district view has none).
    pub include_user_names: bool,
    /// The file to write, as chosen in the save dialog; `null`: the content comes back in the
    /// answer instead, for a download link.
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    /// The file written, when a path was given.
    pub path: Option<String>,
    /// Devices (compliance) or schools (district) written.
    #[ts(type = "number")]
    pub rows: u64,
    /// A file name to offer, e.g. "koffer-compliance-2026-12-03.xlsx".
    pub file_name: String,
    /// "text/csv" or the xlsx media type.
    pub media_type: String,
    /// The file's content in base64, when no path was given.
    pub content_base64: Option<String>,
}

/// The name of the event that carries [`SyncEvent`]s.
pub const SYNC_EVENT: &str = "sync-progress";

/// An empty request or response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub profiles: Vec<ProfileInfo>,
    pub active_profile_id: Option<String>,
    pub settings: Settings,
    pub syncing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfo {
    pub id: String,
    /// "PROD", "QM-Test", "Demo-Bezirk": shown in the window at all times.
    pub label: String,
    pub server: String,
    pub login: String,
    pub display_name: String,
    pub role: String,
    /// The demo district: the emulator started with the app, token held in memory only.
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub server: String,
    pub token: String,
    /// Optional; the server's host name when empty.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRef {
    pub profile_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRef {
    pub uuid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncRequest {
    pub full: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    pub organisations: Vec<OrgSyncResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgSyncResult {
    pub uuid: String,
    pub name: String,
    #[ts(type = "number")]
    pub devices: u64,
    /// Why it failed, in words for the user; `null` when it synced.
    pub error: Option<String>,
}

/// What the sync reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SyncEvent {
    Started {
        org: String,
        name: String,
        full: bool,
    },
    Devices {
        org: String,
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        total: u64,
    },
    Finished {
        org: String,
        error: Option<String>,
    },
    /// The whole sync ended (successfully or not); the UI refetches what it shows.
    Done {
        error: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// `null` until the server was asked once.
    pub server_reachable: Option<bool>,
    /// Why the server could not be used, in words for the user.
    pub server_problem: Option<String>,
    pub syncing: bool,
    pub organisations: Vec<OrgFreshness>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgFreshness {
    pub uuid: String,
    pub name: String,
    pub kind: String,
    #[ts(type = "number")]
    pub devices: u64,
    #[ts(type = "number | null")]
    pub last_success: Option<i64>,
    #[ts(type = "number | null")]
    pub last_attempt: Option<i64>,
    pub last_error: Option<String>,
}
