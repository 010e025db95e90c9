//! The desktop app's API, shared by the Tauri shell and the tests: [`App`] holds the active
//! server profile and answers every command in [`commands`].
//!
//! Nothing here knows about Tauri. The shell turns each command into a one-line call and
//! forwards [`commands::SyncEvent`]s through an [`EventSink`].

pub mod bindings;
pub mod commands;
mod compliance;
pub mod error;
mod lessons;
mod profiles;
pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use koffer_core::client::Client;
use koffer_core::device_detail::{self, DeviceDetail};
use koffer_core::overview::{self, FilterChoices, Overview};
use koffer_core::policies;
use koffer_core::query::{self, DevicePage, DeviceQuery};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::{devices, organisations, sync_status, Store};
use koffer_core::sync::{self, Progress, SyncOptions};
use koffer_core::ErrorCode;

use commands::{
    ActionOutcome, ActionRef, ActionRequest, AppState, AuditEntry, DeviceRef, Empty, Freshness,
    LedgerEntry, LedgerRequest, LocationAnswer, OrgFreshness, OrgSyncResult, ProfileInfo,
    ProfileRef, Requested, SignIn, SyncEvent, SyncRequest, SyncSummary,
};
use error::{AppError, AppResult};
use koffer_api::{ActionType, Role};
use koffer_core::actions;
use koffer_core::actions::preflight::erase_confirmed;
use koffer_core::store::outbox;
use profiles::Profiles;
use settings::Settings;

/// Where the shell sends what the core reports while it works.
pub trait EventSink: Send + Sync {
    fn sync_progress(&self, event: &SyncEvent);
    /// Actions whose state changed (for the ledger view and the notifications).
    fn ledger_changed(&self, entries: &[LedgerEntry]);
    /// A class's lesson changed (acknowledgements, its end); the UI refetches the class view.
    fn lesson_changed(&self, _class_uuid: &str) {}
}

/// How long an erased device may take to enrol again before the window says it has not come
/// back; automated enrolment usually takes minutes once the device is on Wi-Fi.
const ERASE_GIVE_UP: Duration = Duration::from_secs(2 * 3600);

/// How often the outbox is sent and open actions are followed while the app runs.
const FOLLOW_EVERY: Duration = Duration::from_secs(5);

/// The demo district: an emulator started together with the app, whose token is held in
/// memory only and never reaches the credential store.
#[derive(Debug, Clone)]
pub struct Demo {
    pub server: String,
    pub token: String,
    /// The role of the token's user as the emulator announced it ("TEACHER" opens the window on
    /// the teacher console).
    pub role: String,
}

impl Demo {
    /// The demo from `KOFFER_DEMO_SERVER` and `KOFFER_DEMO_TOKEN`, when both are set, with the
    /// role from `KOFFER_DEMO_ROLE` (a district admin when it is not set).
    pub fn from_env() -> Option<Demo> {
        let server = std::env::var("KOFFER_DEMO_SERVER").ok()?;
        let token = std::env::var("KOFFER_DEMO_TOKEN").ok()?;
        let role = std::env::var("KOFFER_DEMO_ROLE").unwrap_or_else(|_| "DISTRICT_ADMIN".into());
        Some(Demo {
            server,
            token,
            role,
        })
    }
}

pub struct App {
    profiles: Profiles,
    root: PathBuf,
    state: Mutex<State>,
    syncing: AtomicBool,
    events: Arc<dyn EventSink>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

struct State {
    settings: Settings,
    active: Option<Arc<Active>>,
}

/// The signed-in profile: its cache (a read connection; the sync opens its own writer) and
/// its client.
struct Active {
    info: ProfileInfo,
    dir: PathBuf,
    client: Arc<Client>,
    reader: Mutex<Store>,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    reachable: Option<bool>,
    problem: Option<String>,
}

impl App {
    /// Opens the app's data folder `root`; with a demo, the demo profile becomes active, else
    /// the profile that was active last time (if its token is still there).
    pub fn open(root: &Path, demo: Option<Demo>, events: Arc<dyn EventSink>) -> App {
        let settings = Settings::load(root);
        let profiles = Profiles::new(root, demo);
        let app = App {
            profiles,
            root: root.to_owned(),
            state: Mutex::new(State {
                settings,
                active: None,
            }),
            syncing: AtomicBool::new(false),
            events,
        };
        let wanted = app
            .profiles
            .demo_id()
            .or_else(|| app.lock().settings.active_profile_id.clone());
        if let Some(id) = wanted {
            if let Err(error) = app.activate(&id) {
                tracing::warn!(profile = %id, %error, "could not reopen the last profile");
            }
        }
        app
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn active(&self) -> AppResult<Arc<Active>> {
        self.lock()
            .active
            .clone()
            .ok_or_else(AppError::not_signed_in)
    }

    pub fn app_state(&self, _: Empty) -> AppResult<AppState> {
        let state = self.lock();
        Ok(AppState {
            profiles: self.profiles.list(),
            active_profile_id: state.active.as_ref().map(|a| a.info.id.clone()),
            settings: state.settings.clone(),
            syncing: self.syncing.load(Ordering::SeqCst),
        })
    }

    pub async fn sign_in(&self, request: SignIn) -> AppResult<ProfileInfo> {
        let server =
            ServerUrl::parse(&request.server).map_err(|e| AppError::from(e).on_field("server"))?;
        let token =
            AccessToken::new(&request.token).map_err(|e| AppError::from(e).on_field("token"))?;
        let client = Client::new(server.clone(), token.clone())?;

        let user = client.current_user().await.map_err(|e| {
            let field = if e.code() == ErrorCode::TokenRejected {
                "token"
            } else {
                "server"
            };
            AppError::from(e).on_field(field)
        })?;

        let id = self
            .profiles
            .sign_in(&server, &user, &request.label, &token)?;
        self.activate(&id)
    }

    pub fn switch_profile(&self, request: ProfileRef) -> AppResult<ProfileInfo> {
        self.activate(&request.profile_id)
    }

    pub fn forget_profile(&self, request: ProfileRef) -> AppResult<AppState> {
        {
            let mut state = self.lock();
            if state
                .active
                .as_ref()
                .is_some_and(|a| a.info.id == request.profile_id)
            {
                state.active = None;
                state.settings.active_profile_id = None;
                self.save(&state.settings)?;
            }
        }
        self.profiles.forget(&request.profile_id)?;
        self.app_state(Empty {})
    }

    pub fn save_settings(&self, settings: Settings) -> AppResult<Empty> {
        let mut state = self.lock();
        let active_profile_id = state.active.as_ref().map(|a| a.info.id.clone());
        state.settings = Settings {
            active_profile_id,
            ..settings
        };
        self.save(&state.settings)?;
        Ok(Empty {})
    }

    fn save(&self, settings: &Settings) -> AppResult<()> {
        settings
            .save(&self.root)
            .map_err(|e| AppError::from(koffer_core::Error::Io(e)))
    }

    fn activate(&self, id: &str) -> AppResult<ProfileInfo> {
        let opened = self.profiles.open(id)?;
        let active = Arc::new(Active {
            info: opened.info.clone(),
            reader: Mutex::new(Store::open_in(&opened.dir)?),
            dir: opened.dir,
            client: Arc::new(opened.client),
            health: Mutex::new(Health::default()),
        });
        let mut state = self.lock();
        state.active = Some(active);
        if !opened.info.demo {
            state.settings.active_profile_id = Some(opened.info.id.clone());
            self.save(&state.settings)?;
        }
        Ok(opened.info)
    }

    /// Syncs the active profile. Only one sync runs at a time; a second request while one
    /// runs is refused with a message rather than queued.
    pub async fn start_sync(&self, request: SyncRequest) -> AppResult<SyncSummary> {
        let active = self.active()?;
        if self.syncing.swap(true, Ordering::SeqCst) {
            return Err(AppError::invalid(
                "sync_running",
                "A sync is already running.",
            ));
        }
        let result = self.run_sync(&active, request.full).await;
        self.syncing.store(false, Ordering::SeqCst);
        let error = result.as_ref().err().map(|e| e.message.clone());
        self.events.sync_progress(&SyncEvent::Done { error });
        result
    }

    async fn run_sync(&self, active: &Active, full: bool) -> AppResult<SyncSummary> {
        let mut writer = Store::open_in(&active.dir)?;
        let options = SyncOptions {
            full,
            ..SyncOptions::default()
        };
        let events = self.events.clone();
        let forward = move |p: &Progress| events.sync_progress(&sync_event(p));

        let report = sync::sync(active.client.clone(), &mut writer, &options, &forward).await;

        active.note_outcome(report.as_ref().err().map(|e| (e.code(), e.to_string())));
        let report = report?;
        if let Some((_, error)) = report.failures().next() {
            active.note_outcome(Some((error.code(), error.to_string())));
        }
        let organisations = report
            .orgs
            .iter()
            .map(|o| OrgSyncResult {
                uuid: o.org.uuid.clone(),
                name: o.org.name.clone(),
                devices: o.result.as_ref().map(|s| s.total).unwrap_or(0),
                error: o.result.as_ref().err().map(ToString::to_string),
            })
            .collect();
        Ok(SyncSummary { organisations })
    }

    pub fn freshness(&self, _: Empty) -> AppResult<Freshness> {
        let active = self.active()?;
        let store = active.reader();
        let mut organisations = Vec::new();
        for org in organisations::all(store.conn())? {
            let status = sync_status::get(store.conn(), &org.uuid)?;
            organisations.push(OrgFreshness {
                devices: devices::count(store.conn(), Some(&org.uuid))?,
                kind: organisations::kind_name(org.kind).to_owned(),
                uuid: org.uuid,
                name: org.name,
                last_success: status.last_success,
                last_attempt: status.last_attempt,
                last_error: status.last_error,
            });
        }
        let health = active.health.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Freshness {
            server_reachable: health.reachable,
            server_problem: health.problem.clone(),
            syncing: self.syncing.load(Ordering::SeqCst),
            organisations,
        })
    }

    pub async fn check_server(&self, _: Empty) -> AppResult<Freshness> {
        let active = self.active()?;
        let answer = tokio::time::timeout(Duration::from_secs(10), active.client.current_user());
        let outcome = match answer.await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some((e.code(), e.to_string())),
            Err(_) => Some((
                ErrorCode::Offline,
                "The server did not answer in time.".to_owned(),
            )),
        };
        active.note_outcome(outcome);
        self.freshness(Empty {})
    }

    pub fn query_devices(&self, request: DeviceQuery) -> AppResult<DevicePage> {
        let active = self.active()?;
        let page = query::find_devices(active.reader().conn(), &request, now_ms())?;
        Ok(page)
    }

    pub fn filter_choices(&self, _: Empty) -> AppResult<FilterChoices> {
        Ok(overview::filter_choices(self.active()?.reader().conn())?)
    }

    pub fn device_detail(&self, request: commands::DeviceRef) -> AppResult<DeviceDetail> {
        let active = self.active()?;
        let detail = device_detail::device_detail(active.reader().conn(), &request.uuid)?;
        detail.ok_or_else(|| {
            AppError::invalid(
                "device_not_cached",
                "This device is no longer in the cache.",
            )
        })
    }

    pub fn overview(&self, request: DeviceQuery) -> AppResult<Overview> {
        Ok(overview::overview(
            self.active()?.reader().conn(),
            &request,
            now_ms(),
        )?)
    }

    pub fn preview_action(&self, request: ActionRequest) -> AppResult<Vec<Requested>> {
        let active = self.active()?;
        let store = active.reader();
        let role = active.role();
        Ok(actions::preview(
            &store,
            &request.device_uuids,
            request.kind,
            &request.parameters,
            role,
        )?)
    }

    /// Queues the action where the preflight passes and sends the outbox right away; what the
    /// server cannot take now waits in the outbox and is sent by [`App::follow_actions`].
    pub async fn request_action(&self, request: ActionRequest) -> AppResult<ActionOutcome> {
        let active = self.active()?;
        if request.kind == ActionType::EraseDevice {
            self.check_erase_confirmation(&active, &request)?;
        }
        let mut writer = Store::open_in(&active.dir)?;
        let requested = actions::request(
            &mut writer,
            &request.device_uuids,
            request.kind,
            &request.parameters,
            &active.info.login,
            active.role(),
        )?;
        let flush = actions::flush_outbox(&active.client, &mut writer).await?;
        active.note_outcome(flush.problem.clone().map(|p| (ErrorCode::Offline, p)));
        Ok(ActionOutcome { requested, flush })
    }

    fn check_erase_confirmation(&self, active: &Active, request: &ActionRequest) -> AppResult<()> {
        let [device] = request.device_uuids.as_slice() else {
            return Err(AppError::invalid(
                "erase_one",
                "Erase one device at a time.",
            ));
        };
        let detail = device_detail::device_detail(active.reader().conn(), device)?;
        let typed = request.erase_confirmation.as_deref().unwrap_or_default();
        match detail {
            Some(d) if erase_confirmed(typed, &d.name, &d.serial) => Ok(()),
            _ => Err(AppError::invalid(
                "erase_not_confirmed",
                "Type the device's name or serial number to confirm the erase. Nothing was queued.",
            )
            .on_field("confirmation")),
        }
    }

    pub fn ledger(&self, request: LedgerRequest) -> AppResult<Vec<LedgerEntry>> {
        let active = self.active()?;
        let device = request.device_uuid.as_deref();
        let entries = outbox::ledger(active.reader().conn(), device, 1000)?;
        Ok(entries)
    }

    pub async fn cancel_action(&self, request: ActionRef) -> AppResult<LedgerEntry> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        Ok(actions::cancel(&active.client, &mut writer, request.id).await?)
    }

    pub async fn retry_action(&self, request: ActionRef) -> AppResult<Requested> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        let requested = actions::retry(&mut writer, request.id, &active.info.login, active.role())?;
        actions::flush_outbox(&active.client, &mut writer).await?;
        Ok(requested)
    }

    pub fn device_location(&self, request: DeviceRef) -> AppResult<LocationAnswer> {
        let active = self.active()?;
        let location = outbox::latest_location(active.reader().conn(), &request.uuid)?;
        let kept_hours = self.lock().settings.location_keep_hours;
        Ok(LocationAnswer {
            location,
            kept_hours,
        })
    }

    pub fn audit_log(&self, _: Empty) -> AppResult<Vec<AuditEntry>> {
        let active = self.active()?;
        let entries = outbox::audit_log(active.reader().conn())?;
        Ok(entries)
    }

    pub fn erase_follow_ups(&self, _: Empty) -> AppResult<Vec<commands::EraseFollowUp>> {
        let active = self.active()?;
        let give_up = ERASE_GIVE_UP.as_millis() as i64;
        let follow_ups = actions::erase_follow_ups(active.reader().conn(), now_ms(), give_up)?;
        Ok(follow_ups)
    }

    pub fn policies(&self, request: policies::PolicyQuery) -> AppResult<Vec<policies::PolicyRow>> {
        let active = self.active()?;
        let rows = policies::policy_rows(active.reader().conn(), &request)?;
        Ok(rows)
    }

    pub fn device_policies(&self, request: DeviceRef) -> AppResult<Vec<policies::PolicyRow>> {
        let active = self.active()?;
        let rows = policies::device_policies(active.reader().conn(), &request.uuid)?;
        Ok(rows)
    }

    pub fn template_overview(&self, _: Empty) -> AppResult<Vec<policies::TemplateOverviewRow>> {
        let active = self.active()?;
        let rows = policies::template_overview(active.reader().conn())?;
        Ok(rows)
    }

    pub fn template_diff(
        &self,
        request: policies::TemplateRef,
    ) -> AppResult<policies::TemplateDiff> {
        let active = self.active()?;
        let diff = policies::template_diff(active.reader().conn(), &request)?;
        Ok(diff)
    }

    /// Copies a template into a school; a refusal because either changed on the server comes
    /// back with code `changed`, after the cache took the server's state for the new preview.
    pub async fn copy_template(
        &self,
        request: policies::TemplateCopy,
    ) -> AppResult<policies::TemplateDiff> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        Ok(policies::copy_template(&active.client, &mut writer, &request).await?)
    }

    pub async fn publish_policy(
        &self,
        request: policies::PublishRequest,
    ) -> AppResult<policies::PolicyRow> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        Ok(policies::publish_policy(&active.client, &mut writer, &request).await?)
    }

    /// Sends the outbox and follows open actions every few seconds, deletes locations past
    /// their time, and reports what changed, for as long as the app runs.
    pub async fn follow_actions(self: Arc<Self>) {
        loop {
            tokio::time::sleep(FOLLOW_EVERY).await;
            let Ok(active) = self.active() else { continue };
            match self.follow_once(&active).await {
                Ok(changed) if !changed.is_empty() => self.events.ledger_changed(&changed),
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "following the actions did not complete"),
            }
        }
    }

    async fn follow_once(&self, active: &Active) -> AppResult<Vec<LedgerEntry>> {
        let mut writer = Store::open_in(&active.dir)?;
        let keep_hours = self.lock().settings.location_keep_hours;
        actions::purge_old_locations(&mut writer, keep_hours)?;
        if !outbox::outbox(writer.conn())?.is_empty() {
            let flush = actions::flush_outbox(&active.client, &mut writer).await?;
            active.note_outcome(flush.problem.map(|p| (ErrorCode::Offline, p)));
        }
        if outbox::following(writer.conn())?.is_empty() {
            return Ok(Vec::new());
        }
        Ok(actions::follow(&active.client, &mut writer).await?)
    }

    /// Syncs on the interval the settings name, for as long as the app runs.
    pub async fn sync_on_interval(self: Arc<Self>) {
        loop {
            let minutes = self.lock().settings.sync_interval_minutes;
            tokio::time::sleep(Duration::from_secs(u64::from(minutes.max(1)) * 60)).await;
            let wanted = minutes > 0 && self.lock().active.is_some();
            if wanted && !self.syncing.load(Ordering::SeqCst) {
                if let Err(error) = self.start_sync(SyncRequest::default()).await {
                    tracing::info!(%error, "the interval sync did not complete");
                }
            }
        }
    }
}

impl Active {
    /// The signed-in user's role, which decides what the preflight allows.
    fn role(&self) -> Role {
        serde_json::from_value(serde_json::Value::String(self.info.role.clone()))
            .unwrap_or(Role::Other)
    }

    fn reader(&self) -> MutexGuard<'_, Store> {
        self.reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers whether the server was usable, for the freshness display.
    fn note_outcome(&self, failure: Option<(ErrorCode, String)>) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        match failure {
            None => {
                *health = Health {
                    reachable: Some(true),
                    problem: None,
                }
            }
            Some((code, message)) => {
                health.reachable = Some(code != ErrorCode::Offline);
                health.problem = Some(message);
            }
        }
    }
}

fn sync_event(progress: &Progress) -> SyncEvent {
    match progress.clone() {
        Progress::Started { org, name, full } => SyncEvent::Started { org, name, full },
        Progress::Devices { org, done, total } => SyncEvent::Devices { org, done, total },
        Progress::Finished { org, error } => SyncEvent::Finished { org, error },
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}
