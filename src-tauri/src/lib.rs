//! The desktop shell: registers each command of `koffer_app::commands` as a one-line call into
//! [`koffer_app::App`], forwards sync progress and ledger changes as events, and sets up the
//! window and plugins.

use std::path::PathBuf;
use std::sync::Arc;

use koffer_app::commands::{
    ActionRef, AppState, DeviceRef, Empty, Freshness, LedgerEntry, ProfileInfo, ProfileRef, SignIn,
    SyncEvent, SyncRequest, SyncSummary, LEDGER_EVENT, SYNC_EVENT,
};
use koffer_app::error::AppError;
use koffer_app::settings::Settings;
use koffer_app::{App, Demo, EventSink};
use tauri::{AppHandle, Emitter, Manager, State};

type Koffer<'a> = State<'a, Arc<App>>;
type Answer<T> = Result<T, AppError>;

#[tauri::command]
fn app_state(app: Koffer<'_>, request: Empty) -> Answer<AppState> {
    app.app_state(request)
}

#[tauri::command]
async fn sign_in(app: Koffer<'_>, request: SignIn) -> Answer<ProfileInfo> {
    app.sign_in(request).await
}

#[tauri::command]
fn switch_profile(app: Koffer<'_>, request: ProfileRef) -> Answer<ProfileInfo> {
    app.switch_profile(request)
}

#[tauri::command]
fn forget_profile(app: Koffer<'_>, request: ProfileRef) -> Answer<AppState> {
    app.forget_profile(request)
}

#[tauri::command]
fn save_settings(app: Koffer<'_>, request: Settings) -> Answer<Empty> {
    app.save_settings(request)
}

#[tauri::command]
async fn start_sync(app: Koffer<'_>, request: SyncRequest) -> Answer<SyncSummary> {
    app.start_sync(request).await
}

#[tauri::command]
fn freshness(app: Koffer<'_>, request: Empty) -> Answer<Freshness> {
    app.freshness(request)
}

#[tauri::command]
async fn check_server(app: Koffer<'_>, request: Empty) -> Answer<Freshness> {
    app.check_server(request).await
}

#[tauri::command]
async fn query_devices(
    app: Koffer<'_>,
    request: koffer_app::commands::DeviceQuery,
) -> Answer<koffer_app::commands::DevicePage> {
    app.query_devices(request)
}

#[tauri::command]
async fn filter_choices(
    app: Koffer<'_>,
    request: Empty,
) -> Answer<koffer_app::commands::FilterChoices> {
    app.filter_choices(request)
}

#[tauri::command]
async fn device_detail(
    app: Koffer<'_>,
    request: DeviceRef,
) -> Answer<koffer_app::commands::DeviceDetail> {
    app.device_detail(request)
}

#[tauri::command]
async fn overview(
    app: Koffer<'_>,
    request: koffer_app::commands::DeviceQuery,
) -> Answer<koffer_app::commands::Overview> {
    app.overview(request)
}

#[tauri::command]
async fn compliance(
    app: Koffer<'_>,
    request: koffer_app::commands::ComplianceQuery,
) -> Answer<koffer_app::commands::ComplianceReport> {
    app.compliance(request)
}

#[tauri::command]
async fn device_compliance(
    app: Koffer<'_>,
    request: DeviceRef,
) -> Answer<koffer_app::commands::DeviceCompliance> {
    app.device_compliance(request)
}

#[tauri::command]
async fn remediation_preview(
    app: Koffer<'_>,
    request: koffer_app::commands::Remediation,
) -> Answer<koffer_app::commands::RemediationPreview> {
    app.remediation_preview(request)
}

#[tauri::command]
async fn request_remediation(
    app: Koffer<'_>,
    request: koffer_app::commands::Remediation,
) -> Answer<koffer_app::commands::ActionOutcome> {
    app.request_remediation(request).await
}

#[tauri::command]
async fn licences(app: Koffer<'_>, request: Empty) -> Answer<koffer_app::commands::LicenceReport> {
    app.licences(request)
}

#[tauri::command]
async fn district(
    app: Koffer<'_>,
    request: koffer_app::commands::DeviceQuery,
) -> Answer<koffer_app::commands::DistrictView> {
    app.district(request)
}

#[tauri::command]
async fn export_report(
    app: Koffer<'_>,
    request: koffer_app::commands::ExportRequest,
) -> Answer<koffer_app::commands::ExportOutcome> {
    app.export_report(request)
}

#[tauri::command]
async fn preview_action(
    app: Koffer<'_>,
    request: koffer_app::commands::ActionRequest,
) -> Answer<Vec<koffer_app::commands::Requested>> {
    app.preview_action(request)
}

#[tauri::command]
async fn request_action(
    app: Koffer<'_>,
    request: koffer_app::commands::ActionRequest,
) -> Answer<koffer_app::commands::ActionOutcome> {
    app.request_action(request).await
}

#[tauri::command]
async fn ledger(
    app: Koffer<'_>,
    request: koffer_app::commands::LedgerRequest,
) -> Answer<Vec<LedgerEntry>> {
    app.ledger(request)
}

#[tauri::command]
async fn cancel_action(app: Koffer<'_>, request: ActionRef) -> Answer<LedgerEntry> {
    app.cancel_action(request).await
}

#[tauri::command]
async fn retry_action(
    app: Koffer<'_>,
    request: ActionRef,
) -> Answer<koffer_app::commands::Requested> {
    app.retry_action(request).await
}

#[tauri::command]
async fn device_location(
    app: Koffer<'_>,
    request: DeviceRef,
) -> Answer<koffer_app::commands::LocationAnswer> {
    app.device_location(request)
}

#[tauri::command]
async fn audit_log(
    app: Koffer<'_>,
    request: Empty,
) -> Answer<Vec<koffer_app::commands::AuditEntry>> {
    app.audit_log(request)
}

#[tauri::command]
async fn erase_follow_ups(
    app: Koffer<'_>,
    request: Empty,
) -> Answer<Vec<koffer_app::commands::EraseFollowUp>> {
    app.erase_follow_ups(request)
}

#[tauri::command]
async fn classes(
    app: Koffer<'_>,
    request: Empty,
) -> Answer<Vec<koffer_app::commands::ClassSummary>> {
    app.classes(request)
}

#[tauri::command]
async fn class_view(
    app: Koffer<'_>,
    request: koffer_app::commands::ClassRef,
) -> Answer<koffer_app::commands::ClassView> {
    app.class_view(request)
}

#[tauri::command]
async fn start_lesson(
    app: Koffer<'_>,
    request: koffer_app::commands::StartLesson,
) -> Answer<koffer_app::commands::ClassView> {
    app.start_lesson(request).await
}

#[tauri::command]
async fn lesson_command(
    app: Koffer<'_>,
    request: koffer_app::commands::LessonCommandRequest,
) -> Answer<koffer_app::commands::LessonCommandOutcome> {
    app.lesson_command(request).await
}

#[tauri::command]
async fn extend_lesson(
    app: Koffer<'_>,
    request: koffer_app::commands::ClassRef,
) -> Answer<koffer_app::commands::ClassView> {
    app.extend_lesson(request).await
}

#[tauri::command]
async fn end_lesson(
    app: Koffer<'_>,
    request: koffer_app::commands::ClassRef,
) -> Answer<koffer_app::commands::ClassView> {
    app.end_lesson(request).await
}

#[tauri::command]
async fn set_absent(
    app: Koffer<'_>,
    request: koffer_app::commands::AbsentRequest,
) -> Answer<koffer_app::commands::ClassView> {
    app.set_absent(request)
}

#[tauri::command]
async fn policies(
    app: Koffer<'_>,
    request: koffer_app::commands::PolicyQuery,
) -> Answer<Vec<koffer_app::commands::PolicyRow>> {
    app.policies(request)
}

#[tauri::command]
async fn device_policies(
    app: Koffer<'_>,
    request: DeviceRef,
) -> Answer<Vec<koffer_app::commands::PolicyRow>> {
    app.device_policies(request)
}

#[tauri::command]
async fn template_overview(
    app: Koffer<'_>,
    request: Empty,
) -> Answer<Vec<koffer_app::commands::TemplateOverviewRow>> {
    app.template_overview(request)
}

#[tauri::command]
async fn template_diff(
    app: Koffer<'_>,
    request: koffer_app::commands::TemplateRef,
) -> Answer<koffer_app::commands::TemplateDiff> {
    app.template_diff(request)
}

#[tauri::command]
async fn copy_template(
    app: Koffer<'_>,
    request: koffer_app::commands::TemplateCopy,
) -> Answer<koffer_app::commands::TemplateDiff> {
    app.copy_template(request).await
}

#[tauri::command]
async fn publish_policy(
    app: Koffer<'_>,
    request: koffer_app::commands::PublishRequest,
) -> Answer<koffer_app::commands::PolicyRow> {
    app.publish_policy(request).await
}

/// Sends the core's sync progress to the window as events.
struct WindowEvents(AppHandle);

impl EventSink for WindowEvents {
    fn sync_progress(&self, event: &SyncEvent) {
        if let Err(error) = self.0.emit(SYNC_EVENT, event) {
            log::warn!("could not send a sync event to the window: {error}");
        }
    }

    fn ledger_changed(&self, entries: &[LedgerEntry]) {
        if let Err(error) = self.0.emit(LEDGER_EVENT, entries) {
            log::warn!("could not send a ledger event to the window: {error}");
        }
    }

    fn lesson_changed(&self, class_uuid: &str) {
        let event = koffer_app::commands::LessonChanged {
            class_uuid: class_uuid.to_owned(),
        };
        if let Err(error) = self.0.emit(koffer_app::commands::LESSON_EVENT, event) {
            log::warn!("could not send a lesson event to the window: {error}");
        }
    }
}

/// The app's data folder: `KOFFER_DATA_DIR` when set (tests, portable installs), else the
/// OS's per-user app data folder.
fn data_dir(handle: &AppHandle) -> tauri::Result<PathBuf> {
    match std::env::var_os("KOFFER_DATA_DIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => handle.path().app_data_dir(),
    }
}

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|handle, _, _| {
            if let Some(window) = handle.get_webview_window("main") {
                let _ = window.set_focus();
            }
        }))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .rotation_strategy(tauri_plugin_log::RotationStrategy::KeepSome(7))
                .max_file_size(5_000_000)
                .target(tauri_plugin_log::Target::new(
                    tauri_plugin_log::TargetKind::LogDir {
                        file_name: Some("koffer".into()),
                    },
                ))
                .build(),
        )
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .plugin(tauri_plugin_opener::init())
        .setup(|tauri_app| {
            let handle = tauri_app.handle().clone();
            let root = data_dir(&handle)?;
            let events = Arc::new(WindowEvents(handle));
            let app = Arc::new(App::open(&root, Demo::from_env(), events));
            tauri::async_runtime::spawn(app.clone().sync_on_interval());
            tauri::async_runtime::spawn(app.clone().follow_actions());
            tauri::async_runtime::spawn(app.clone().follow_lessons());
            tauri_app.manage(app);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            app_state,
            sign_in,
            switch_profile,
            forget_profile,
            save_settings,
            start_sync,
            freshness,
            check_server,
            query_devices,
            filter_choices,
            device_detail,
            overview,
            compliance,
            device_compliance,
            remediation_preview,
            request_remediation,
            licences,
            district,
            export_report,
            preview_action,
            request_action,
            ledger,
            cancel_action,
            retry_action,
            device_location,
            audit_log,
            erase_follow_ups,
            policies,
            device_policies,
            template_overview,
            template_diff,
            copy_template,
            publish_policy,
            classes,
            class_view,
            start_lesson,
            lesson_command,
            extend_lesson,
            end_lesson,
            set_absent,
        ])
        .run(tauri::generate_context!())
        .expect("the window opens");
}
