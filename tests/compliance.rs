//! Compliance end to end below the window: Koffer's reasons from the synced cache, remediation
//! through the outbox against the emulator's catalogue and VPP licences, licences and DEP
//! profiles, the district view, and the exports of exactly the filtered devices.

use std::sync::Arc;

use calamine::{DataType, Reader};
use chrono::Utc;
use koffer_api::Role;
use koffer_core::actions;
use koffer_core::client::Client;
use koffer_core::compliance::remediation::{self, Remediation, RemediationKind};
use koffer_core::compliance::{district, evaluate, export, licences};
use koffer_core::compliance::{ComplianceQuery, ComplianceRow, KofferState};
use koffer_core::query::{self, DeviceQuery};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::{devices, outbox, Store};
use koffer_core::sync::{self, SyncOptions};
use koffer_tests::Emulator;

/// The required app of the seeded students' policy; the teachers' app without licences left.
const KEYNOTE: &str = "com.apple.Keynote";
const CLASSROOM: &str = "com.apple.classroom";

struct Setup {
    emulator: Emulator,
    client: Arc<Client>,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn synced(seed: &str, devices: &str) -> Setup {
    let args = ["--clock-speed", "0", "--seed", seed, "--devices", devices];
    let emulator = Emulator::start(&args);
    let token = AccessToken::new(&emulator.user("DISTRICT_ADMIN").token).unwrap();
    let client = Arc::new(Client::new(ServerUrl::parse(&emulator.url).unwrap(), token).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    sync_now(&client, &mut store).await;
    Setup {
        emulator,
        client,
        store,
        _dir: dir,
    }
}

async fn sync_now(client: &Arc<Client>, store: &mut Store) {
    let report = sync::sync(client.clone(), store, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        report.failures().count(),
        0,
        "the sync must succeed: {report:?}"
    );
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn everything() -> ComplianceQuery {
    ComplianceQuery::default()
}

fn non_compliant(store: &Store) -> Vec<ComplianceRow> {
    let query = ComplianceQuery {
        only_non_compliant: true,
        ..everything()
    };
    evaluate::report(store.conn(), &query, now_ms())
        .unwrap()
        .rows
}

fn installed(store: &Store, device: &str) -> Vec<String> {
    let mut statement = store
        .conn()
        .prepare("SELECT bundle_id FROM installed_apps WHERE device_uuid = ?1")
        .unwrap();
    let rows = statement.query_map([device], |row| row.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn supervised(store: &Store, device: &str) -> bool {
    store
        .conn()
        .query_row(
            "SELECT supervised FROM devices WHERE uuid = ?1",
            [device],
            |r| r.get(0),
        )
        .unwrap()
}

fn vpp_assigned(store: &Store, org: &str, bundle_id: &str) -> u32 {
    store
        .conn()
        .query_row(
            "SELECT vpp_licenses_assigned FROM catalog_apps WHERE org_uuid = ?1 AND bundle_id = ?2",
            [org, bundle_id],
            |r| r.get(0),
        )
        .unwrap()
}

fn install(devices: &[String], bundle_id: &str) -> Remediation {
    Remediation {
        device_uuids: devices.to_vec(),
        query: None,
        bundle_id: bundle_id.to_owned(),
        kind: RemediationKind::Install,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_compliant_devices_reasons_are_what_its_cached_apps_show() {
    let setup = synced("61", "300").await;

    let rows = non_compliant(&setup.store);

    assert!(
        !rows.is_empty(),
        "the seed has devices without Keynote or with personal apps"
    );
    for row in &rows {
        let apps = installed(&setup.store, &row.device_uuid);
        assert!(
            !row.missing.is_empty() || !row.forbidden.is_empty(),
            "a non-compliant device says why: {row:?}"
        );
        for missing in &row.missing {
            assert!(
                !apps.contains(&missing.bundle_id),
                "{} is missing: {row:?}",
                missing.name
            );
        }
        for forbidden in &row.forbidden {
            assert!(
                apps.contains(&forbidden.bundle_id),
                "{} is there: {row:?}",
                forbidden.name
            );
        }
        assert!(
            !row.policies.is_empty(),
            "the policies in effect are named: {row:?}"
        );
    }
    let without_keynote = rows
        .iter()
        .filter(|r| r.missing.iter().any(|a| a.bundle_id == KEYNOTE));
    assert!(
        without_keynote.count() > 0,
        "the seed leaves Keynote off about 2% of devices"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_device_without_the_required_app_under_the_students_policy_is_non_compliant() {
    let setup = synced("62", "300").await;

    let report = evaluate::report(setup.store.conn(), &everything(), now_ms()).unwrap();

    let in_report = report.total;
    assert_eq!(
        in_report,
        devices::count(setup.store.conn(), None).unwrap(),
        "every device"
    );
    assert_eq!(
        report.compliant + report.non_compliant + report.no_policy,
        report.total,
        "each device is in one state"
    );
    for row in report
        .rows
        .iter()
        .filter(|r| r.koffer != KofferState::NoPolicy)
    {
        let apps = installed(&setup.store, &row.device_uuid);
        let students_policy = row.policies.iter().any(|p| p == "Schüler-iPads");
        if students_policy && !apps.iter().any(|a| a == KEYNOTE) {
            assert_eq!(
                row.koffer,
                KofferState::NonCompliant,
                "Keynote is required: {row:?}"
            );
        }
        let disagrees = match row.server_state.as_str() {
            "COMPLIANT" => row.koffer == KofferState::NonCompliant,
            "NON_COMPLIANT" => row.koffer != KofferState::NonCompliant,
            _ => false,
        };
        assert_eq!(
            row.disagrees, disagrees,
            "a disagreement is pointed out: {row:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn installing_the_missing_required_app_takes_a_licence_and_the_device_complies_after_sync() {
    let mut setup = synced("63", "400").await;
    let candidate = non_compliant(&setup.store).into_iter().find(|r| {
        r.forbidden.is_empty()
            && r.missing.iter().map(|a| a.bundle_id.as_str()).eq([KEYNOTE])
            && supervised(&setup.store, &r.device_uuid)
    });
    let row = candidate.expect("a supervised device that lacks only Keynote");
    let before = vpp_assigned(&setup.store, &row.org_uuid, KEYNOTE);
    let request = install(std::slice::from_ref(&row.device_uuid), KEYNOTE);

    let preview = remediation::preview(&setup.store, &request, Role::DistrictAdmin).unwrap();
    let decided =
        remediation::request(&mut setup.store, &request, "admin", Role::DistrictAdmin).unwrap();
    actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();
    for _ in 0..6 {
        setup.emulator.check_in(&row.device_uuid);
    }
    let client = setup.client.clone();
    sync_now(&client, &mut setup.store).await;

    assert_eq!(preview.orgs[0].will_get, 1, "{preview:?}");
    assert!(
        decided.refusal.is_none() && decided.requested[0].action_id.is_some(),
        "queued"
    );
    let after = evaluate::device_compliance(setup.store.conn(), &row.device_uuid, now_ms())
        .unwrap()
        .unwrap();
    assert_eq!(
        after.row.koffer,
        KofferState::Compliant,
        "Keynote is installed: {:?}",
        after.row
    );
    assert_eq!(
        vpp_assigned(&setup.store, &row.org_uuid, KEYNOTE),
        before + 1,
        "the device took one VPP licence"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_install_with_no_licence_left_is_refused_before_sending_with_the_count() {
    let mut setup = synced("64", "200").await;
    let device = devices_where(&setup.store, |uuid| {
        supervised(&setup.store, uuid)
            && !installed(&setup.store, uuid).iter().any(|a| a == CLASSROOM)
    });
    let request = install(&[device], CLASSROOM);
    let server_actions = setup.emulator.actions().len();

    let decided =
        remediation::request(&mut setup.store, &request, "admin", Role::DistrictAdmin).unwrap();

    let refusal = decided.refusal.expect("no licence of Classroom is left");
    assert_eq!(refusal.key, "no_licences_left");
    assert!(
        refusal.message.contains("0 left for 1 devices"),
        "{}",
        refusal.message
    );
    assert_eq!(decided.orgs[0].will_not, 1);
    assert!(
        outbox::outbox(setup.store.conn()).unwrap().is_empty(),
        "nothing is queued"
    );
    assert_eq!(
        setup.emulator.actions().len(),
        server_actions,
        "nothing reaches the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_outside_the_catalogue_is_refused_with_a_clear_message() {
    let mut setup = synced("65", "120").await;
    let device = devices_where(&setup.store, |uuid| supervised(&setup.store, uuid));

    let decided = remediation::request(
        &mut setup.store,
        &install(&[device], "com.example.not-offered"),
        "admin",
        Role::DistrictAdmin,
    )
    .unwrap();

    let refusal = decided.refusal.expect("the app is in no catalogue");
    assert_eq!(refusal.key, "app_not_in_catalogue");
    assert!(
        refusal.message.contains("not in the app catalogue"),
        "{}",
        refusal.message
    );
    assert!(
        outbox::outbox(setup.store.conn()).unwrap().is_empty(),
        "nothing is queued"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn licences_and_dep_profiles_are_synced_per_school() {
    let setup = synced("66", "200").await;

    let report = licences::licence_report(setup.store.conn(), now_ms()).unwrap();

    assert!(!report.orgs.is_empty());
    for org in &report.orgs {
        let Some(counts) = setup.client.licences(&org.org_uuid).await.unwrap() else {
            continue;
        };
        assert_eq!(
            org.device_licences_assigned,
            Some(counts.device_licenses_assigned)
        );
        assert_eq!(org.device_licences_used, Some(counts.device_licenses_used));
        let profiles = setup.client.dep_profiles(&org.org_uuid).await.unwrap();
        assert_eq!(org.dep_profiles.len(), profiles.len(), "{}", org.org_name);
        let catalogue = setup.client.catalog_apps(&org.org_uuid).await.unwrap();
        assert_eq!(org.apps.len(), catalogue.len());
        for app in &org.apps {
            assert_eq!(app.left, app.total - app.assigned, "{app:?}");
        }
        if let Some(classroom) = org.apps.iter().find(|a| a.bundle_id == CLASSROOM) {
            assert_eq!(classroom.left, 0, "the seed used Classroom's licences up");
        }
    }
    let with_classroom = report
        .orgs
        .iter()
        .filter(|o| o.apps.iter().any(|a| a.bundle_id == CLASSROOM));
    assert!(with_classroom.count() > 0, "schools offer Classroom");
    let schools_with_profiles = report.orgs.iter().filter(|o| !o.dep_profiles.is_empty());
    assert!(
        schools_with_profiles.count() > 0,
        "the seed has DEP profiles"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_district_view_counts_what_the_cache_holds() {
    let setup = synced("67", "300").await;
    let now = now_ms();

    let view = district::district(setup.store.conn(), &DeviceQuery::default(), now).unwrap();

    assert!(view.schools.len() >= 2, "several schools side by side");
    for school in &view.schools {
        let org = DeviceQuery {
            organisations: vec![school.org_uuid.clone()],
            ..DeviceQuery::default()
        };
        let unseen = DeviceQuery {
            not_seen_for_days: Some(30),
            ..org.clone()
        };
        let count = |q: &DeviceQuery| {
            query::find_devices(setup.store.conn(), q, now)
                .unwrap()
                .total
        };
        assert_eq!(school.devices, count(&org), "{}", school.name);
        assert_eq!(school.not_seen_30_days, count(&unseen), "{}", school.name);
        let os_total: u64 = school.os_versions.iter().map(|o| o.devices).sum();
        assert_eq!(os_total, school.devices, "every device has an OS version");
        let report = evaluate::report(
            setup.store.conn(),
            &ComplianceQuery {
                query: org.clone(),
                only_non_compliant: false,
            },
            now,
        )
        .unwrap();
        assert_eq!(
            school.non_compliant, report.non_compliant,
            "{}",
            school.name
        );
        let counts = setup.client.licences(&school.org_uuid).await.unwrap();
        assert_eq!(school.licences_used, counts.map(|c| c.device_licenses_used));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_hold_exactly_the_filtered_devices_and_leave_out_user_names_on_request() {
    let setup = synced("68", "300").await;
    let now = now_ms();
    let school = setup.store.conn().query_row(
        "SELECT uuid FROM organisations WHERE kind = 'SCHOOL' ORDER BY name LIMIT 1",
        [],
        |r| r.get::<_, String>(0),
    );
    let filtered = ComplianceQuery {
        query: DeviceQuery {
            organisations: vec![school.unwrap()],
            supervised: Some(true),
            ..DeviceQuery::default()
        },
        only_non_compliant: false,
    };
    let expected = query::find_devices(setup.store.conn(), &filtered.query, now).unwrap();
    let user_names: Vec<String> = expected
        .rows
        .iter()
        .filter_map(|r| r.user_name.clone())
        .collect();
    let csv_format = export::ExportFormat::Csv;
    let xlsx_format = export::ExportFormat::Xlsx;

    let csv = export::compliance(setup.store.conn(), &filtered, false, csv_format, now).unwrap();
    let xlsx = export::compliance(setup.store.conn(), &filtered, true, xlsx_format, now).unwrap();
    let district = export::district_view(
        setup.store.conn(),
        &DeviceQuery::default(),
        xlsx_format,
        now,
    )
    .unwrap();

    let text = String::from_utf8(csv.bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let serials: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
    assert_eq!(csv.rows, expected.total, "exactly the filtered devices");
    assert_eq!(serials.len() as u64, expected.total);
    for row in &expected.rows {
        assert!(serials.contains(&row.serial), "{} is exported", row.serial);
    }
    assert!(
        !header.iter().any(|h| h == "User"),
        "no user column: {header:?}"
    );
    assert!(
        user_names.iter().all(|name| !text.contains(name.as_str())),
        "no user name appears anywhere"
    );

    let sheet = first_sheet(xlsx.bytes);
    assert_eq!(
        sheet.height() as u64,
        expected.total + 1,
        "a header and one row per device"
    );
    assert_eq!(
        sheet.get_value((0, 3)).unwrap().to_string(),
        "User",
        "the user column is asked for"
    );
    let exported_users: Vec<String> = (1..sheet.height())
        .map(|r| sheet.get_value((r as u32, 3)).unwrap().to_string())
        .collect();
    for name in &user_names {
        assert!(
            exported_users.contains(name),
            "{name} is exported when asked for"
        );
    }

    let schools = first_sheet(district.bytes);
    let view = district::district(setup.store.conn(), &DeviceQuery::default(), now).unwrap();
    assert_eq!(
        schools.height(),
        view.schools.len() + 1,
        "one row per school"
    );
    let first = &view.schools[0];
    assert_eq!(schools.get_value((1, 0)).unwrap().to_string(), first.name);
    assert_eq!(
        schools.get_value((1, 1)).unwrap().as_f64(),
        Some(first.devices as f64),
        "numbers are numbers in the workbook"
    );
}

fn first_sheet(bytes: Vec<u8>) -> calamine::Range<calamine::Data> {
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    workbook
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("the sheet reads")
}

/// The first cached device (by uuid) for which `wanted` holds.
fn devices_where(store: &Store, wanted: impl Fn(&str) -> bool) -> String {
    let mut statement = store
        .conn()
        .prepare("SELECT uuid FROM devices ORDER BY uuid")
        .unwrap();
    let uuids: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    uuids
        .into_iter()
        .find(|u| wanted(u))
        .expect("the seed has such a device")
}

/// The desktop app's commands, on the demo profile (its token is held in memory).
mod through_the_app {
    use super::*;
    use koffer_app::commands::{
        Empty, ExportFormat, ExportRequest, ReportKind, SyncEvent, SyncRequest,
    };
    use koffer_app::{App, Demo, EventSink};

    struct Quiet;

    impl EventSink for Quiet {
        fn sync_progress(&self, _: &SyncEvent) {}
        fn ledger_changed(&self, _: &[koffer_app::commands::LedgerEntry]) {}
    }

    async fn demo_app(emulator: &Emulator, root: &std::path::Path) -> App {
        let demo = Demo {
            server: emulator.url.clone(),
            token: emulator.user("DISTRICT_ADMIN").token.clone(),
            role: "DISTRICT_ADMIN".into(),
        };
        let app = App::open(root, Some(demo), Arc::new(Quiet));
        app.start_sync(SyncRequest { full: false }).await.unwrap();
        app
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_export_command_writes_the_chosen_file_or_answers_its_content() {
        let emulator = Emulator::start(&["--clock-speed", "0", "--seed", "69", "--devices", "150"]);
        let root = tempfile::tempdir().unwrap();
        let app = demo_app(&emulator, root.path()).await;
        let path = root.path().join("compliance.csv");
        let request = |path: Option<String>, format| ExportRequest {
            report: ReportKind::Compliance,
            format,
            query: DeviceQuery::default(),
            only_non_compliant: true,
            include_user_names: false,
            path,
        };

        let written = app
            .export_report(request(Some(path.display().to_string()), ExportFormat::Csv))
            .unwrap();
        let answered = app
            .export_report(request(None, ExportFormat::Xlsx))
            .unwrap();

        let report = app
            .compliance(ComplianceQuery {
                only_non_compliant: true,
                ..everything()
            })
            .unwrap();
        let text = std::fs::read_to_string(&path).expect("the file is written");
        assert_eq!(
            written.rows, report.non_compliant,
            "only the non-compliant devices"
        );
        assert_eq!(
            text.lines().count() as u64,
            report.non_compliant + 1,
            "a header and rows"
        );
        assert!(
            written.content_base64.is_none(),
            "the content went to the file"
        );
        assert!(
            answered.file_name.ends_with(".xlsx"),
            "{}",
            answered.file_name
        );
        assert!(
            answered
                .content_base64
                .is_some_and(|c| c.starts_with("UEsD")),
            "an xlsx is a zip file, in base64 for a download link"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_remediation_without_licences_comes_back_as_its_own_error_and_queues_nothing() {
        let emulator = Emulator::start(&["--clock-speed", "0", "--seed", "70", "--devices", "150"]);
        let root = tempfile::tempdir().unwrap();
        let app = demo_app(&emulator, root.path()).await;
        let licences = app.licences(Empty {}).unwrap();
        let school = licences
            .orgs
            .iter()
            .find(|o| o.apps.iter().any(|a| a.bundle_id == CLASSROOM))
            .expect("a school offers Classroom");
        let devices = app
            .query_devices(DeviceQuery {
                organisations: vec![school.org_uuid.clone()],
                supervised: Some(true),
                limit: Some(3),
                ..DeviceQuery::default()
            })
            .unwrap();
        let uuids: Vec<String> = devices.rows.into_iter().map(|r| r.uuid).collect();

        let error = app
            .request_remediation(install(&uuids, CLASSROOM))
            .await
            .unwrap_err();

        assert_eq!(error.key, "no_licences_left", "{error:?}");
        assert!(error.message.contains("0 left"), "{}", error.message);
        assert!(
            app.ledger(Default::default()).unwrap().is_empty(),
            "nothing is queued or sent"
        );
    }
}
