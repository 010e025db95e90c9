//! The desktop app's commands (koffer-app, without the window) against the emulator: sign-in
//! and its bad inputs, sync with progress events, the inventory, detail and overview, offline
//! use, profiles side by side, and sign-out.

use std::sync::{Arc, Mutex};

use koffer_app::commands::{
    DeviceQuery, DeviceRef, Empty, ProfileRef, SignIn, SyncEvent, SyncRequest,
};
use koffer_app::error::AppErrorCode;
use koffer_app::{App, EventSink};
use koffer_tests::Emulator;

#[derive(Default)]
struct Recorded(Mutex<Vec<SyncEvent>>);

impl EventSink for Recorded {
    fn sync_progress(&self, event: &SyncEvent) {
        self.0.lock().unwrap().push(event.clone());
    }

    fn ledger_changed(&self, _: &[koffer_app::commands::LedgerEntry]) {}
}

fn open_app(root: &std::path::Path) -> (App, Arc<Recorded>) {
    let events = Arc::new(Recorded::default());
    (App::open(root, None, events.clone()), events)
}

fn sign_in_request(emulator: &Emulator, role: &str, label: &str) -> SignIn {
    SignIn {
        server: emulator.url.clone(),
        token: emulator.user(role).token.clone(),
        label: label.to_owned(),
    }
}

fn district() -> Emulator {
    Emulator::start(&["--seed", "13", "--schools", "3", "--devices", "300"])
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_and_syncing_fills_the_inventory_and_reports_progress() {
    let emulator = district();
    let root = tempfile::tempdir().unwrap();
    let (app, events) = open_app(root.path());

    let profile = app
        .sign_in(sign_in_request(&emulator, "DISTRICT_ADMIN", "PROD"))
        .await
        .unwrap();
    let summary = app.start_sync(SyncRequest { full: false }).await.unwrap();

    assert_eq!(
        profile.label, "PROD",
        "the label tells profiles apart in the window"
    );
    assert!(
        summary.organisations.iter().all(|o| o.error.is_none()),
        "{summary:?}"
    );
    let page = app
        .query_devices(DeviceQuery {
            limit: Some(50),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page.total, 300,
        "every device of every school is in the inventory"
    );
    assert_eq!(page.rows.len(), 50, "one page of rows");
    let events = events.0.lock().unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, SyncEvent::Devices { done, total, .. } if done == total && *total > 0)
        ),
        "progress reaches done / total for an organisation"
    );
    assert!(
        matches!(events.last(), Some(SyncEvent::Done { error: None })),
        "the end is announced"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_detail_and_the_overview_come_from_the_cache_with_the_server_gone() {
    let emulator = district();
    let root = tempfile::tempdir().unwrap();
    let (app, _) = open_app(root.path());
    app.sign_in(sign_in_request(&emulator, "DISTRICT_ADMIN", ""))
        .await
        .unwrap();
    app.start_sync(SyncRequest { full: false }).await.unwrap();
    let (_, serial) = emulator.devices()[42].clone();
    emulator.stop();

    let found = app
        .query_devices(DeviceQuery {
            search: Some(serial.clone()),
            ..Default::default()
        })
        .unwrap();
    let detail = app
        .device_detail(DeviceRef {
            uuid: found.rows[0].uuid.clone(),
        })
        .unwrap();
    let overview = app.overview(DeviceQuery::default()).unwrap();
    let offline = app.check_server(Empty {}).await.unwrap();

    assert_eq!(
        detail.serial, serial,
        "search by serial finds the device offline"
    );
    assert!(!detail.apps.is_empty(), "its installed apps are cached");
    assert!(!detail.groups.is_empty(), "its groups are cached");
    assert_eq!(
        overview.devices, 300,
        "the overview counts every cached device"
    );
    let os_total: u64 = overview.os_versions.iter().map(|b| b.devices).sum();
    assert_eq!(os_total, 300, "every device is in one OS bar");
    assert_eq!(
        offline.server_reachable,
        Some(false),
        "the window must say the server is gone"
    );
    assert!(
        offline
            .organisations
            .iter()
            .any(|o| o.last_success.is_some()),
        "last sync is known"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sign_ins_name_the_field_and_keep_the_existing_cache() {
    let emulator = district();
    let root = tempfile::tempdir().unwrap();
    let (app, _) = open_app(root.path());
    app.sign_in(sign_in_request(&emulator, "SCHOOL_ADMIN", ""))
        .await
        .unwrap();
    app.start_sync(SyncRequest { full: false }).await.unwrap();
    let before = app.query_devices(DeviceQuery::default()).unwrap().total;

    let plain_http = SignIn {
        server: "http://mdm.example.org".into(),
        ..sign_in_request(&emulator, "SCHOOL_ADMIN", "")
    };
    let empty_token = SignIn {
        token: " ".into(),
        ..sign_in_request(&emulator, "SCHOOL_ADMIN", "")
    };
    let rejected = SignIn {
        token: "nope".into(),
        ..sign_in_request(&emulator, "SCHOOL_ADMIN", "")
    };
    let unreachable = SignIn {
        server: "http://127.0.0.1:9".into(),
        ..sign_in_request(&emulator, "SCHOOL_ADMIN", "")
    };

    let plain_http = app.sign_in(plain_http).await.unwrap_err();
    let empty_token = app.sign_in(empty_token).await.unwrap_err();
    let rejected = app.sign_in(rejected).await.unwrap_err();
    let unreachable = app.sign_in(unreachable).await.unwrap_err();

    assert_eq!(
        (plain_http.code, plain_http.field.as_deref()),
        (AppErrorCode::InvalidInput, Some("server"))
    );
    assert_eq!(
        (empty_token.code, empty_token.field.as_deref()),
        (AppErrorCode::InvalidInput, Some("token"))
    );
    assert_eq!(
        (rejected.code, rejected.field.as_deref()),
        (AppErrorCode::TokenRejected, Some("token"))
    );
    assert_eq!(
        (unreachable.code, unreachable.field.as_deref()),
        (AppErrorCode::Offline, Some("server"))
    );
    assert_eq!(
        app.query_devices(DeviceQuery::default()).unwrap().total,
        before,
        "a failed sign-in must leave the active profile and its cache usable"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_keep_separate_caches_and_forgetting_one_deletes_only_it() {
    let qm = Emulator::start(&["--seed", "1", "--schools", "1", "--devices", "40"]);
    let prod = Emulator::start(&["--seed", "2", "--schools", "2", "--devices", "90"]);
    let root = tempfile::tempdir().unwrap();
    let (app, _) = open_app(root.path());
    let qm_profile = app
        .sign_in(sign_in_request(&qm, "DISTRICT_ADMIN", "QM-Test"))
        .await
        .unwrap();
    app.start_sync(SyncRequest::default()).await.unwrap();
    let prod_profile = app
        .sign_in(sign_in_request(&prod, "DISTRICT_ADMIN", "PROD"))
        .await
        .unwrap();
    app.start_sync(SyncRequest::default()).await.unwrap();

    let prod_total = app.query_devices(DeviceQuery::default()).unwrap().total;
    app.switch_profile(ProfileRef {
        profile_id: qm_profile.id.clone(),
    })
    .unwrap();
    let qm_total = app.query_devices(DeviceQuery::default()).unwrap().total;
    let state = app
        .forget_profile(ProfileRef {
            profile_id: qm_profile.id.clone(),
        })
        .unwrap();

    assert_eq!(
        (qm_total, prod_total),
        (40, 90),
        "switching never mixes the caches"
    );
    assert_eq!(state.profiles.len(), 1, "only PROD is left");
    assert_eq!(
        state.active_profile_id, None,
        "the forgotten profile is no longer active"
    );
    assert!(
        !root.path().join("profiles").join(&qm_profile.id).exists(),
        "its cache is deleted"
    );
    let reopened = app
        .switch_profile(ProfileRef {
            profile_id: prod_profile.id,
        })
        .unwrap();
    assert_eq!(
        reopened.label, "PROD",
        "the other profile and its token are untouched"
    );
    assert_eq!(app.query_devices(DeviceQuery::default()).unwrap().total, 90);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_and_the_active_profile_survive_a_restart() {
    let emulator = district();
    let root = tempfile::tempdir().unwrap();
    let (app, _) = open_app(root.path());
    let profile = app
        .sign_in(sign_in_request(&emulator, "SCHOOL_ADMIN", "Schule"))
        .await
        .unwrap();
    let mut settings = app.app_state(Empty {}).unwrap().settings;
    settings.language = "en".into();
    settings.columns = vec!["serial".into(), "name".into()];
    settings.inventory.search = Some("Koffer".into());
    app.save_settings(settings.clone()).unwrap();
    drop(app);

    let (reopened, _) = open_app(root.path());

    let state = reopened.app_state(Empty {}).unwrap();
    assert_eq!(
        state.active_profile_id,
        Some(profile.id),
        "the app reopens on the last profile"
    );
    assert_eq!(state.settings.language, "en");
    assert_eq!(
        state.settings.columns, settings.columns,
        "column choice survives a restart"
    );
    assert_eq!(
        state.settings.inventory.search.as_deref(),
        Some("Koffer"),
        "filters survive"
    );
}
