//! Device actions end to end below the window: preflight, the durable outbox, the server's
//! states in the ledger, lost mode with ring and locate, erase and re-enrolment, and the outbox
//! surviving a server that is away.

use std::sync::Arc;

use koffer_api::{ActionParameters, ActionType, Role};
use koffer_core::actions::{self, Requested};
use koffer_core::client::Client;
use koffer_core::query::{self, DeviceQuery};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::{outbox, Store};
use koffer_core::sync::{self, SyncOptions};
use koffer_tests::Emulator;

struct Setup {
    emulator: Emulator,
    client: Arc<Client>,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn synced(args: &[&str]) -> Setup {
    let mut all = vec!["--clock-speed", "0"];
    all.extend_from_slice(args);
    let emulator = Emulator::start(&all);
    let token = AccessToken::new(&emulator.user("DISTRICT_ADMIN").token).unwrap();
    let client = Arc::new(Client::new(ServerUrl::parse(&emulator.url).unwrap(), token).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    sync::sync(client.clone(), &mut store, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    Setup {
        emulator,
        client,
        store,
        _dir: dir,
    }
}

/// The first cached device matching the filter, as (uuid, serial).
fn device_where(store: &Store, filter: DeviceQuery) -> (String, String) {
    let query = DeviceQuery {
        limit: Some(1),
        ..filter
    };
    let page = query::find_devices(store.conn(), &query, now_ms());
    let row = page
        .unwrap()
        .rows
        .into_iter()
        .next()
        .expect("the seeded district has one");
    (row.uuid, row.serial)
}

fn supervised_device(store: &Store) -> (String, String) {
    let recent = DeviceQuery {
        supervised: Some(true),
        seen_within_days: Some(1),
        ..Default::default()
    };
    device_where(store, recent)
}

fn ask(
    setup: &mut Setup,
    device: &str,
    kind: ActionType,
    parameters: ActionParameters,
) -> Requested {
    let devices = [device.to_owned()];
    let mut requested = actions::request(
        &mut setup.store,
        &devices,
        kind,
        &parameters,
        "admin",
        Role::SchoolAdmin,
    )
    .unwrap();
    requested.remove(0)
}

/// Sends the outbox, lets the device check in a few times, and follows the states.
async fn deliver(setup: &mut Setup, device: &str) {
    actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();
    for _ in 0..12 {
        setup.emulator.check_in(device);
    }
    actions::follow(&setup.client, &mut setup.store)
        .await
        .unwrap();
}

fn state_of(store: &Store, id: i64) -> String {
    outbox::get(store.conn(), id).unwrap().unwrap().state
}

fn lost_mode_message() -> ActionParameters {
    ActionParameters {
        message: Some("Bitte im Sekretariat abgeben".into()),
        phone_number: Some("+49 201 1234567".into()),
        footnote: Some("Gesamtschule Nord".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_goes_from_the_outbox_to_acknowledged() {
    let mut setup = synced(&["--seed", "31", "--devices", "120"]).await;
    let (device, _) = supervised_device(&setup.store);

    let requested = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        ActionParameters::default(),
    );
    let id = requested
        .action_id
        .expect("a lock on a supervised device passes the preflight");
    assert_eq!(
        state_of(&setup.store, id),
        "OUTBOX",
        "nothing is sent before the flush"
    );
    deliver(&mut setup, &device).await;

    assert_eq!(
        state_of(&setup.store, id),
        "ACKNOWLEDGED",
        "the device answered the lock"
    );
    assert_eq!(
        setup.emulator.actions().len(),
        1,
        "exactly one action reached the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lost_device_workflow_rings_locates_and_ends_lost_mode() {
    let mut setup = synced(&["--seed", "32", "--devices", "150"]).await;
    let (device, _) = supervised_device(&setup.store);
    let ring_too_early = ask(
        &mut setup,
        &device,
        ActionType::PlayLostModeSound,
        Default::default(),
    );
    assert!(
        ring_too_early.action_id.is_none(),
        "ringing is offered only in lost mode"
    );

    let enable = ask(
        &mut setup,
        &device,
        ActionType::EnableLostMode,
        lost_mode_message(),
    );
    deliver(&mut setup, &device).await;
    let ring = ask(
        &mut setup,
        &device,
        ActionType::PlayLostModeSound,
        Default::default(),
    );
    let locate = ask(
        &mut setup,
        &device,
        ActionType::DeviceLocation,
        Default::default(),
    );
    deliver(&mut setup, &device).await;
    let location = outbox::latest_location(setup.store.conn(), &device).unwrap();
    let disable = ask(
        &mut setup,
        &device,
        ActionType::DisableLostMode,
        Default::default(),
    );
    deliver(&mut setup, &device).await;

    assert_eq!(
        state_of(&setup.store, enable.action_id.unwrap()),
        "ACKNOWLEDGED"
    );
    assert_eq!(
        state_of(&setup.store, ring.action_id.unwrap()),
        "ACKNOWLEDGED",
        "it rang"
    );
    let locate_state = state_of(&setup.store, locate.action_id.unwrap());
    assert!(
        locate_state == "ACKNOWLEDGED" && location.is_some()
            || locate_state == "ERROR" && location.is_none(),
        "a locate ends with a position, or with 12068 and none ({locate_state})"
    );
    assert_eq!(
        state_of(&setup.store, disable.action_id.unwrap()),
        "ACKNOWLEDGED"
    );
    if location.is_some() {
        actions::purge_old_locations(&mut setup.store, 0).unwrap();
        let after_purge = outbox::latest_location(setup.store.conn(), &device).unwrap();
        assert_eq!(
            after_purge, None,
            "a location past its keeping time is deleted"
        );
    }
    let audit = outbox::audit_log(setup.store.conn()).unwrap();
    assert_eq!(
        audit.len(),
        1,
        "the locate is in the audit log with who asked"
    );
    assert_eq!(audit[0].who, "admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_lock_while_one_is_pending_is_refused_and_the_pending_one_named() {
    let mut setup = synced(&["--seed", "33", "--devices", "80"]).await;
    let (device, _) = supervised_device(&setup.store);
    let first = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        Default::default(),
    );
    actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();

    let second = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        Default::default(),
    );

    assert_eq!(second.action_id, None, "no duplicate is queued");
    assert_eq!(
        second.preflight.duplicate_of, first.action_id,
        "the pending one is shown"
    );
    assert_eq!(setup.emulator.actions().len(), 1, "the server got one lock");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_device_answers_not_now_and_later_acknowledges() {
    let mut setup = synced(&["--seed", "34", "--devices", "80"]).await;
    let (device, _) = supervised_device(&setup.store);
    setup.emulator.set_device(&device, true, true);
    let lock = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        Default::default(),
    );
    let id = lock.action_id.unwrap();

    deliver(&mut setup, &device).await;
    let while_busy = state_of(&setup.store, id);
    setup.emulator.set_device(&device, true, false);
    deliver(&mut setup, &device).await;

    assert_eq!(while_busy, "NOT_NOW", "a busy device puts it off");
    assert_eq!(
        state_of(&setup.store, id),
        "ACKNOWLEDGED",
        "the server sent it again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erased_device_enrols_again_with_the_same_serial() {
    let mut setup = synced(&["--seed", "35", "--devices", "100"]).await;
    let (device, serial) = supervised_device(&setup.store);
    let erase_params = ActionParameters {
        preserve_data_plan: Some(true),
        ..Default::default()
    };
    let erase = ask(&mut setup, &device, ActionType::EraseDevice, erase_params);

    deliver(&mut setup, &device).await;
    setup.emulator.advance_minutes(45);
    let options = SyncOptions {
        full: true,
        ..SyncOptions::default()
    };
    sync::sync(setup.client.clone(), &mut setup.store, &options, &|_| {})
        .await
        .unwrap();

    assert_eq!(
        state_of(&setup.store, erase.action_id.unwrap()),
        "ACKNOWLEDGED"
    );
    let follow_ups = actions::erase_follow_ups(setup.store.conn(), now_ms(), 3_600_000).unwrap();
    assert_eq!(follow_ups.len(), 1, "the erase is followed");
    assert_eq!(
        follow_ups[0].state,
        actions::EraseState::BackInService,
        "the same serial under a new uuid means the device is back in service"
    );
    let again = query::find_devices(
        setup.store.conn(),
        &DeviceQuery {
            search: Some(serial.clone()),
            ..Default::default()
        },
        now_ms(),
    )
    .unwrap();
    assert_eq!(
        again.rows.len(),
        1,
        "the device is back in the inventory: back in service"
    );
    assert_ne!(
        again.rows[0].uuid, device,
        "it enrolled anew, under a new uuid"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_asked_for_offline_wait_in_the_outbox_and_are_sent_once_when_it_is_back() {
    let args = ["--seed", "36", "--devices", "90"];
    let mut setup = synced(&args).await;
    let (device, _) = supervised_device(&setup.store);
    let address = setup.emulator.url.trim_start_matches("http://").to_owned();
    let placeholder = Emulator::start(&["--devices", "1"]);
    std::mem::replace(&mut setup.emulator, placeholder).stop();
    let lock = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        Default::default(),
    );
    let id = lock
        .action_id
        .expect("the preflight works from the cache, offline");

    let offline = actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();
    let back = Emulator::start_at(&address, &[&args[..], &["--clock-speed", "0"]].concat());
    let online = actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();
    let again = actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();

    assert_eq!(
        offline.waiting, 1,
        "the lock waits in the outbox while the server is away"
    );
    assert!(offline.problem.is_some(), "and the user is told why");
    assert_eq!(online.accepted, 1, "it is sent when the server is back");
    assert_eq!(again.accepted, 0, "and never again");
    assert_eq!(back.actions().len(), 1, "the server holds exactly one lock");
    assert_eq!(
        state_of(&setup.store, id),
        "QUEUED",
        "the ledger shows the server's state"
    );
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    since_epoch.as_millis() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_for_a_device_the_server_no_longer_has_is_refused_with_a_reason() {
    let mut setup = synced(&["--seed", "37", "--devices", "60"]).await;
    let (device, _) = supervised_device(&setup.store);
    let lock = ask(
        &mut setup,
        &device,
        ActionType::DeviceLock,
        Default::default(),
    );
    let erase = koffer_api::CreateAction {
        kind: ActionType::EraseDevice,
        parameters: ActionParameters::default(),
    };
    setup
        .client
        .create_action(&device, "someone-else", &erase)
        .await
        .unwrap();
    setup.emulator.check_in(&device);

    let flushed = actions::flush_outbox(&setup.client, &mut setup.store)
        .await
        .unwrap();

    assert_eq!(
        flushed.rejected, 1,
        "the server does not know the erased device any more"
    );
    let entry = outbox::get(setup.store.conn(), lock.action_id.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, "REJECTED", "it is not sent again and again");
    assert!(
        entry
            .error_message
            .unwrap_or_default()
            .contains("no longer on the server"),
        "the ledger says why"
    );
}
