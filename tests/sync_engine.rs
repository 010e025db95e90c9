//! The sync engine against the emulator over real HTTP, into a real SQLite file: full passes,
//! changes after churn, faults of every kind, interruptions and permission boundaries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use koffer_core::client::{Client, RetryPolicy};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::{sync_status, Store};
use koffer_core::sync::{self, Progress, SyncOptions, SyncReport};
use koffer_core::{Error, ErrorCode};
use koffer_tests::Emulator;

fn client_for(emulator: &Emulator, role: &str) -> Arc<Client> {
    let token = AccessToken::new(&emulator.user(role).token).unwrap();
    Arc::new(Client::new(ServerUrl::parse(&emulator.url).unwrap(), token).unwrap())
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

/// The district admin's client with short retries, for tests where the server fails on purpose.
fn impatient_client(emulator: &Emulator) -> Client {
    let token = AccessToken::new(&emulator.user("DISTRICT_ADMIN").token).unwrap();
    Client::new(ServerUrl::parse(&emulator.url).unwrap(), token)
        .unwrap()
        .with_retry(quick_retries())
}

async fn sync_all(client: &Arc<Client>, store: &mut Store, full: bool) -> SyncReport {
    let options = SyncOptions {
        full,
        ..SyncOptions::default()
    };
    let report = sync::sync(client.clone(), store, &options, &|_| {})
        .await
        .unwrap();
    let failures: Vec<_> = report
        .failures()
        .map(|(o, e)| format!("{}: {e}", o.name))
        .collect();
    assert!(
        failures.is_empty(),
        "every organisation must sync: {failures:?}"
    );
    report
}

/// uuid → modification time (ms) of every cached device.
fn cached(store: &Store) -> BTreeMap<String, i64> {
    let mut statement = store
        .conn()
        .prepare("SELECT uuid, modified_at FROM devices")
        .unwrap();
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn on_server(emulator: &Emulator) -> Vec<String> {
    emulator
        .devices()
        .into_iter()
        .map(|(uuid, _)| uuid)
        .collect()
}

fn cached_uuids(store: &Store) -> Vec<String> {
    cached(store).into_keys().collect()
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_sync_caches_exactly_the_servers_devices_with_their_apps() {
    let emulator = Emulator::start(&["--seed", "3", "--schools", "4", "--devices", "2500"]);
    let client = client_for(&emulator, "DISTRICT_ADMIN");
    let (_dir, mut store) = temp_store();

    sync_all(&client, &mut store, true).await;

    assert_eq!(
        cached_uuids(&store),
        on_server(&emulator),
        "no device lost, none duplicated"
    );
    let apps: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM installed_apps", [], |r| r.get(0))
        .unwrap();
    assert!(
        apps > 2500 * 8,
        "about 15 apps per device are cached, found {apps}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resync_after_churn_finds_changed_new_and_removed_devices() {
    let emulator = Emulator::start(&[
        "--seed",
        "5",
        "--devices",
        "1500",
        "--churn",
        "0.05",
        "--clock-speed",
        "0",
    ]);
    let client = client_for(&emulator, "DISTRICT_ADMIN");
    let (_dir, mut store) = temp_store();
    sync_all(&client, &mut store, true).await;
    let before = cached(&store);
    emulator.advance_minutes(30);

    let report = sync_all(&client, &mut store, false).await;

    assert!(
        report.orgs.iter().all(|o| !o.full),
        "a recent full pass means only changes"
    );
    let after = cached(&store);
    assert_eq!(
        after.keys().cloned().collect::<Vec<_>>(),
        on_server(&emulator),
        "same devices"
    );
    let changed = after
        .iter()
        .filter(|(uuid, ms)| before.get(*uuid) != Some(ms))
        .count();
    let removed = before
        .keys()
        .filter(|uuid| !after.contains_key(*uuid))
        .count();
    assert!(
        changed > 0,
        "churn changed and enrolled devices; the re-sync must see them"
    );
    assert!(
        removed > 0,
        "churn removed devices; the re-sync must drop them"
    );
    let written: u64 = report
        .orgs
        .iter()
        .map(|o| o.result.as_ref().unwrap().written)
        .sum();
    assert!(
        written < 1500,
        "a re-sync fetches what changed, not everything ({written})"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_sync_of_20000_devices_survives_twenty_percent_faults() {
    let emulator = Emulator::start(&[
        "--seed",
        "11",
        "--schools",
        "5",
        "--devices",
        "20000",
        "--faults",
        "0.2",
    ]);
    let client = client_for(&emulator, "DISTRICT_ADMIN");
    let (_dir, mut store) = temp_store();

    sync_all(&client, &mut store, true).await;

    emulator.set_faults(0.0);
    assert_eq!(
        cached_uuids(&store),
        on_server(&emulator),
        "with faults the cache must still hold exactly the emulator's devices"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_kind_alone_is_retried_until_the_sync_is_complete() {
    for kind in [
        "latency",
        "429",
        "500",
        "503",
        "drop",
        "truncate",
        "malformed",
    ] {
        let emulator = Emulator::start(&[
            "--seed",
            "2",
            "--devices",
            "400",
            "--faults",
            "0.3",
            "--fault-kinds",
            kind,
        ]);
        let client = client_for(&emulator, "DISTRICT_ADMIN");
        let (_dir, mut store) = temp_store();

        sync_all(&client, &mut store, true).await;

        emulator.set_faults(0.0);
        assert_eq!(
            cached_uuids(&store),
            on_server(&emulator),
            "fault kind {kind}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_that_fails_part_way_is_named_and_keeps_its_last_good_data() {
    // Only server errors once the faults start: a dropped connection would (rightly) end the
    // sync as offline, which is another test's behaviour.
    let args = [
        "--seed",
        "9",
        "--schools",
        "3",
        "--devices",
        "600",
        "--fault-kinds",
        "500",
    ];
    let emulator = Emulator::start(&args);
    let client = Arc::new(impatient_client(&emulator));
    let (_dir, mut store) = temp_store();
    sync_all(&client, &mut store, true).await;
    let before = cached(&store);
    let started = std::sync::atomic::AtomicUsize::new(0);
    let break_second_org = |p: &Progress| {
        let is_start = matches!(p, Progress::Started { .. });
        if is_start && started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            emulator.set_faults(1.0);
        }
    };

    let options = SyncOptions {
        full: true,
        ..SyncOptions::default()
    };
    let report = sync::sync(client.clone(), &mut store, &options, &break_second_org)
        .await
        .unwrap();

    let failed: Vec<_> = report.failures().collect();
    assert!(
        !failed.is_empty(),
        "the organisations after the fault must fail"
    );
    let (org, error) = failed[0];
    assert_ne!(
        org.uuid, report.orgs[0].org.uuid,
        "the first organisation synced before it"
    );
    assert_eq!(error.code(), ErrorCode::ServerError, "{error}");
    let status = sync_status::get(store.conn(), &org.uuid).unwrap();
    assert!(
        status.last_error.is_some(),
        "the failure is recorded for the freshness display"
    );
    assert_eq!(
        cached(&store),
        before,
        "the failed organisations keep their last good data"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_school_admin_has_no_rights_on_another_school() {
    let emulator = Emulator::start(&["--seed", "4", "--schools", "3", "--devices", "300"]);
    let district = client_for(&emulator, "DISTRICT_ADMIN");
    let school = client_for(&emulator, "SCHOOL_ADMIN");
    let own = &emulator.user("SCHOOL_ADMIN").organisations;
    let organisations = district.organizations().await.unwrap();
    let other = organisations
        .iter()
        .find(|o| !own.contains(&o.name) && o.name.contains("schule"));
    let other = other
        .or_else(|| organisations.iter().find(|o| !own.contains(&o.name)))
        .unwrap();

    let refused = school.device_page(&other.uuid, 0, None).await.unwrap_err();
    let visible = school.organizations().await.unwrap();

    assert!(
        matches!(refused, Error::NoRights { .. }),
        "403 must become NoRights: {refused}"
    );
    assert_eq!(
        visible.iter().map(|o| &o.name).collect::<Vec<_>>(),
        own.iter().collect::<Vec<_>>(),
        "a school admin sees only their school"
    );
    assert!(
        organisations.len() > visible.len(),
        "the district admin sees every school"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_larger_than_the_bound_is_refused_not_read() {
    let emulator = Emulator::start(&["--seed", "4", "--devices", "300"]);
    let token = AccessToken::new(&emulator.user("DISTRICT_ADMIN").token).unwrap();
    let client = Client::new(ServerUrl::parse(&emulator.url).unwrap(), token)
        .unwrap()
        .with_max_answer_bytes(20_000);
    let org = client.organizations().await.unwrap();
    let school = org
        .iter()
        .find(|o| o.kind == koffer_api::OrganizationKind::School)
        .unwrap();

    let error = client.device_page(&school.uuid, 0, None).await.unwrap_err();

    assert!(matches!(error, Error::AnswerTooLarge { .. }), "{error}");
    assert!(
        error.to_string().contains("the device inventory"),
        "names the request: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_that_never_decodes_names_the_request_after_the_retries() {
    let emulator = Emulator::start(&[
        "--seed",
        "4",
        "--devices",
        "50",
        "--faults",
        "1",
        "--fault-kinds",
        "malformed",
    ]);
    let client = impatient_client(&emulator);

    let error = client.organizations().await.unwrap_err();

    assert!(matches!(error, Error::BadAnswer { .. }), "{error}");
    assert!(
        error.to_string().contains("the organisations"),
        "names the request: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_gone_mid_sync_ends_the_sync_at_the_first_unreachable_organisation() {
    let emulator = Emulator::start(&["--seed", "8", "--schools", "4", "--devices", "400"]);
    let client = Arc::new(impatient_client(&emulator));
    let (_dir, mut store) = temp_store();
    let organisations = client.organizations().await.unwrap().len();
    let running = std::sync::Mutex::new(Some(emulator));
    let stop_at_second_org = |p: &Progress| {
        if let Progress::Finished { .. } = p {
            if let Some(emulator) = running.lock().unwrap().take() {
                emulator.stop();
            }
        }
    };

    let options = SyncOptions {
        full: true,
        ..SyncOptions::default()
    };
    let report = sync::sync(client, &mut store, &options, &stop_at_second_org)
        .await
        .unwrap();

    let last = report.orgs.last().unwrap();
    assert_eq!(
        last.result.as_ref().unwrap_err().code(),
        ErrorCode::Offline,
        "the organisation after the server went away failed as offline"
    );
    assert!(
        report.orgs.len() < organisations,
        "the rest are not tried: each would only wait for its retries ({} of {organisations})",
        report.orgs.len()
    );
}
