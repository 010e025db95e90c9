//! Device actions over real HTTP: creates that are safe to repeat, devices that fetch their
//! actions when they check in and end them the way Apple devices do, and the control API that
//! drives them.

mod common;

use std::collections::HashSet;

use common::*;
use koffer_api::{
    apple_error, paths, Action, ActionState, ActionType, CatalogApp, Device, InstalledApp,
    OrganizationKind, Page, Role,
};
use koffer_sim::{Config, FaultKind, Running};
use reqwest::{Client, Response};
use serde_json::{json, Value};

const NORD: &str = "Gesamtschule Nord";
const STADTPARK: &str = "Gymnasium am Stadtpark";

/// A device answers `NOT_NOW` now and then; this many check-ins end any action of an idle one.
const ENOUGH_CHECK_INS: usize = 10;

async fn create(running: &Running, token: &str, device: &str, key: &str, body: Value) -> Response {
    Client::new()
        .post(format!("{}{}", running.url, paths::device_actions(device)))
        .header(paths::TOKEN_HEADER, token)
        .header(paths::IDEMPOTENCY_HEADER, key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Creates an action as the district admin and answers it; the create must succeed.
async fn queue(running: &Running, device: &str, body: Value) -> Action {
    let admin = token(running, Role::DistrictAdmin);
    let key = format!("key-{}", fresh_key());
    let answer = create(running, &admin, device, &key, body.clone()).await;
    assert_eq!(answer.status(), 201, "{body} must be accepted");
    answer.json().await.expect("the answer is an action")
}

/// A key no other create of the test used.
fn fresh_key() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

async fn check_in(running: &Running, device: &str) -> Vec<Action> {
    let answer = sim_post(
        running,
        &format!("/sim/devices/{device}/check-in"),
        json!({}),
    )
    .await;
    assert_eq!(answer.status(), 200, "a known device checks in");
    answer
        .json()
        .await
        .expect("the check-in answers the fetched actions")
}

/// Checks the device in until the action is final, as the server would resend `NOT_NOW`.
async fn settle(running: &Running, action: &Action) -> Action {
    for _ in 0..ENOUGH_CHECK_INS {
        let now = sim_action(running, &action.uuid).await;
        if now.state.is_final() {
            return now;
        }
        check_in(running, &action.device_uuid).await;
    }
    panic!("{ENOUGH_CHECK_INS} check-ins must end an action of an idle device");
}

async fn sim_actions(running: &Running) -> Vec<Action> {
    serde_json::from_value(sim_get(running, "/sim/actions").await).unwrap()
}

async fn sim_action(running: &Running, uuid: &str) -> Action {
    let all = sim_actions(running).await;
    all.into_iter()
        .find(|a| a.uuid == uuid)
        .expect("the server holds the action")
}

async fn steer(running: &Running, device: &str, body: Value) -> Value {
    let answer = sim_post(running, &format!("/sim/devices/{device}"), body).await;
    assert_eq!(answer.status(), 200, "a known device can be steered");
    json(answer).await
}

async fn advance(running: &Running, minutes: u32) {
    let answer = sim_post(running, "/sim/clock/advance", json!({"minutes": minutes})).await;
    assert_eq!(answer.status(), 200, "the clock advances");
}

/// Every device of every school, as the inventory query answers them.
async fn school_devices(running: &Running) -> Vec<Device> {
    let admin = token(running, Role::DistrictAdmin);
    let mut devices = Vec::new();
    for org in organisations(running, &admin).await {
        if org.kind != OrganizationKind::School {
            continue;
        }
        for device in all_devices(running, &org.uuid, &admin, 1000).await {
            devices.push(serde_json::from_value(device).unwrap());
        }
    }
    devices
}

/// The first seeded device that fits, taken online and idle so that it answers right away.
async fn device_where(running: &Running, fits: impl Fn(&Device) -> bool) -> Device {
    let device = school_devices(running)
        .await
        .into_iter()
        .find(|d| fits(d))
        .expect("the seed holds such a device");
    steer(
        running,
        &device.uuid,
        json!({"online": true, "busy": false}),
    )
    .await;
    device
}

fn supervised(device: &Device) -> bool {
    device.supervised && !device.shared_ipad
}

async fn device_now(running: &Running, device: &Device) -> Option<Device> {
    let admin = token(running, Role::DistrictAdmin);
    let filter = json!({"type": "stringEnum", "fieldName": "uuid", "values": [device.uuid]});
    let body = json!({"limit": 1, "offset": 0, "filter": filter});
    let answer = query_devices(running, &device.organization_uuid, &admin, body).await;
    let page: Page<Device> = answer.json().await.unwrap();
    page.results.into_iter().next()
}

async fn installed(running: &Running, device: &str) -> Vec<String> {
    let admin = token(running, Role::DistrictAdmin);
    let body = json!({"limit": 1000, "offset": 0});
    let answer = post(
        running,
        &paths::device_installed_apps(device),
        None,
        &admin,
        body,
    )
    .await;
    let page: Page<InstalledApp> = answer.json().await.unwrap();
    page.results.into_iter().map(|app| app.bundle_id).collect()
}

async fn catalogue(running: &Running, org: &str) -> Vec<CatalogApp> {
    let admin = token(running, Role::DistrictAdmin);
    let path = format!("{}?tenantOrganizationUuid={org}&limit=1000", paths::APPS);
    let page: Page<CatalogApp> = get(running, &path, &admin).await.json().await.unwrap();
    page.results
}

async fn query_actions(running: &Running, org: &str, body: Value) -> Value {
    let admin = token(running, Role::DistrictAdmin);
    let answer = post(running, paths::ACTION_QUERY, Some(org), &admin, body).await;
    assert_eq!(answer.status(), 200, "the action query answers");
    json(answer).await
}

fn lost_mode() -> Value {
    json!({"type": "ENABLE_LOST_MODE", "parameters": {
        "message": "Bitte im Sekretariat abgeben", "phoneNumber": "+49 201 1234567",
        "footnote": "Gesamtschule Nord"}})
}

fn of_type(kind: ActionType) -> Value {
    json!({"type": kind.as_str()})
}

fn lock() -> Value {
    of_type(ActionType::DeviceLock)
}

#[tokio::test]
async fn the_same_idempotency_key_answers_the_first_action_instead_of_making_a_second() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    let lock = lock();

    let first = create(&running, &admin, &device.uuid, "lock-7b", lock.clone()).await;
    let again = create(&running, &admin, &device.uuid, "lock-7b", lock).await;

    assert_eq!(first.status(), 201, "the first create makes the action");
    assert_eq!(again.status(), 200, "the repeat answers the existing one");
    let first: Action = first.json().await.unwrap();
    let again: Action = again.json().await.unwrap();
    assert_eq!(first, again, "the same action, not a copy");
    assert_eq!(
        sim_actions(&running).await.len(),
        1,
        "the server holds one action"
    );
}

#[tokio::test]
async fn different_idempotency_keys_make_different_actions() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    let lock = lock();

    let first = create(&running, &admin, &device.uuid, "one", lock.clone()).await;
    let second = create(&running, &admin, &device.uuid, "two", lock).await;

    assert_eq!(first.status(), 201, "a new key makes an action");
    assert_eq!(second.status(), 201, "another new key makes another");
    let uuids: HashSet<String> = sim_actions(&running)
        .await
        .into_iter()
        .map(|a| a.uuid)
        .collect();
    assert_eq!(uuids.len(), 2, "two keys, two actions");
}

#[tokio::test]
async fn a_create_needs_an_idempotency_key_of_1_to_128_characters() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    let url = format!("{}{}", running.url, paths::device_actions(&device.uuid));

    let without = Client::new()
        .post(url)
        .header(paths::TOKEN_HEADER, &admin)
        .json(&lock())
        .send()
        .await
        .unwrap();
    let empty = create(&running, &admin, &device.uuid, "", lock()).await;
    let (long, longest) = ("k".repeat(129), "k".repeat(128));
    let too_long = create(&running, &admin, &device.uuid, &long, lock()).await;
    let fits = create(&running, &admin, &device.uuid, &longest, lock()).await;

    assert_eq!(
        without.status(),
        400,
        "without a key a retry could lock twice"
    );
    let message = json(without).await["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("Idempotency-Key"),
        "the message names the header: {message}"
    );
    assert_eq!(empty.status(), 400, "an empty key is no key");
    assert_eq!(too_long.status(), 400, "129 characters are too many");
    assert_eq!(fits.status(), 201, "128 characters are allowed");
}

#[tokio::test]
async fn a_lock_is_acknowledged_at_the_devices_next_check_in_on_the_clock() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |_| true).await;
    let created = queue(&running, &device.uuid, lock()).await;

    let mut minutes = 0;
    let mut action = sim_action(&running, &created.uuid).await;
    while !action.state.is_final() && minutes < 60 {
        advance(&running, 5).await;
        minutes += 5;
        action = sim_action(&running, &created.uuid).await;
    }

    assert_eq!(
        created.state,
        ActionState::Queued,
        "a new action waits for the device"
    );
    assert_eq!(
        created.created_by, "admin.musterstadt",
        "createdBy is the token's login"
    );
    assert_eq!(
        action.state,
        ActionState::Acknowledged,
        "an idle online device locks"
    );
    assert!(
        minutes <= 10,
        "most devices check in every 1 to 5 minutes: {minutes}"
    );
    let sent = action.sent_date.expect("a fetched action has a sentDate");
    assert!(
        sent > created.creation_date,
        "sent at a check-in after the create"
    );
    assert!(
        action.completion_date >= Some(sent),
        "completed at that check-in"
    );
    let now = device_now(&running, &device).await.unwrap();
    assert_eq!(
        now.last_connection_date, action.completion_date,
        "the check-in is noted"
    );
    assert!(
        now.modification_date > device.modification_date,
        "so a sync sees it"
    );
}

#[tokio::test]
async fn lost_mode_is_switched_on_and_off_and_shows_on_the_device() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |d| supervised(d) && !d.lost_mode_enabled).await;

    let on = queue(&running, &device.uuid, lost_mode()).await;
    let on = settle(&running, &on).await;
    let lost = device_now(&running, &device).await.unwrap();
    let off = queue(&running, &device.uuid, of_type(ActionType::DisableLostMode)).await;
    let off = settle(&running, &off).await;
    let found = device_now(&running, &device).await.unwrap();

    assert_eq!(
        on.state,
        ActionState::Acknowledged,
        "a supervised device enters lost mode"
    );
    assert_eq!(
        on.parameters.footnote.as_deref(),
        Some("Gesamtschule Nord"),
        "kept"
    );
    assert!(lost.lost_mode_enabled, "the inventory shows lost mode");
    assert!(
        lost.modification_date > device.modification_date,
        "a sync sees it"
    );
    assert_eq!(off.state, ActionState::Acknowledged, "and leaves it again");
    assert!(!found.lost_mode_enabled, "the inventory shows it found");
}

#[tokio::test]
async fn locate_sound_and_disable_outside_lost_mode_fail_with_12067() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |d| supervised(d) && !d.lost_mode_enabled).await;

    let mut codes = Vec::new();
    for kind in [
        ActionType::DeviceLocation,
        ActionType::PlayLostModeSound,
        ActionType::DisableLostMode,
    ] {
        let action = queue(&running, &device.uuid, of_type(kind)).await;
        let done = settle(&running, &action).await;
        codes.push((kind, done.state, done.error_code));
    }

    for (kind, state, code) in codes {
        assert_eq!(state, ActionState::Error, "{kind:?} needs lost mode");
        assert_eq!(
            code,
            Some(apple_error::NOT_IN_LOST_MODE),
            "{kind:?}: Apple's 12067"
        );
    }
}

#[tokio::test]
async fn a_lost_device_plays_its_sound_and_reports_a_position_near_its_school() {
    let running = start(frozen(1)).await;
    let candidates: Vec<Device> = school_devices(&running)
        .await
        .into_iter()
        .filter(supervised)
        .collect();

    let mut answers = None;
    for device in &candidates {
        steer(&running, &device.uuid, json!({"online": true})).await;
        settle(&running, &queue(&running, &device.uuid, lost_mode()).await).await;
        let sound = queue(
            &running,
            &device.uuid,
            of_type(ActionType::PlayLostModeSound),
        )
        .await;
        let sound = settle(&running, &sound).await;
        let locate = queue(&running, &device.uuid, of_type(ActionType::DeviceLocation)).await;
        let locate = settle(&running, &locate).await;
        if locate.error_code != Some(apple_error::LOCATION_UNKNOWN) {
            answers = Some((sound, locate));
            break;
        }
    }

    let (sound, locate) = answers.expect("most lost devices can be located");
    assert_eq!(
        sound.state,
        ActionState::Acknowledged,
        "a lost device plays its sound"
    );
    assert_eq!(
        locate.state,
        ActionState::Acknowledged,
        "a lost device reports a position"
    );
    let position = locate.result.expect("a located device answers a result");
    assert!(
        (51.40..51.51).contains(&position.latitude),
        "in Essen: {position:?}"
    );
    assert!(
        (6.93..7.09).contains(&position.longitude),
        "in Essen: {position:?}"
    );
    assert!(
        (5.0..=65.0).contains(&position.horizontal_accuracy),
        "5 to 65 m: {position:?}"
    );
    assert_eq!(
        Some(position.timestamp),
        locate.completion_date,
        "reported at the check-in"
    );
}

#[tokio::test]
async fn some_lost_devices_cannot_be_located_and_answer_12068() {
    let running = start(frozen(1)).await;
    let lost: Vec<Device> = school_devices(&running)
        .await
        .into_iter()
        .filter(supervised)
        .take(40)
        .collect();

    let mut located = Vec::new();
    for device in &lost {
        steer(&running, &device.uuid, json!({"online": true})).await;
        settle(&running, &queue(&running, &device.uuid, lost_mode()).await).await;
        let locate = queue(&running, &device.uuid, of_type(ActionType::DeviceLocation)).await;
        located.push(settle(&running, &locate).await);
    }

    let unknown: Vec<&Action> = located
        .iter()
        .filter(|a| a.error_code == Some(apple_error::LOCATION_UNKNOWN))
        .collect();
    let found = located.iter().filter(|a| a.result.is_some()).count();
    assert!(
        !unknown.is_empty(),
        "about one in ten devices has no position"
    );
    assert!(found >= 30, "most lost devices are found: {found} of 40");
    assert!(
        unknown
            .iter()
            .all(|a| a.state == ActionState::Error && a.result.is_none()),
        "an unknown location is an error without a result"
    );
}

#[tokio::test]
async fn commands_that_need_supervision_fail_with_12021_on_an_unsupervised_device() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |d| !d.supervised).await;

    let mut ended = Vec::new();
    for body in [
        of_type(ActionType::RestartDevice),
        of_type(ActionType::ShutDownDevice),
        lost_mode(),
        json!({"type": "INSTALL_APP", "parameters": {"bundleId": "com.apple.Pages"}}),
    ] {
        ended.push(settle(&running, &queue(&running, &device.uuid, body).await).await);
    }
    let lock = queue(&running, &device.uuid, lock()).await;
    let lock = settle(&running, &lock).await;

    for action in ended {
        assert_eq!(
            action.state,
            ActionState::Error,
            "{:?} needs supervision",
            action.kind
        );
        assert_eq!(
            action.error_code,
            Some(apple_error::NOT_SUPERVISED),
            "the code 12021"
        );
        let message = action.error_message.as_deref();
        assert_eq!(
            message,
            Some("The device is not supervised."),
            "and the message"
        );
    }
    assert_eq!(
        lock.state,
        ActionState::Acknowledged,
        "a lock works unsupervised"
    );
}

#[tokio::test]
async fn restart_and_shut_down_are_acknowledged_by_a_supervised_device() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, supervised).await;

    let restart = queue(&running, &device.uuid, of_type(ActionType::RestartDevice)).await;
    let shut_down = queue(&running, &device.uuid, of_type(ActionType::ShutDownDevice)).await;
    let restart = settle(&running, &restart).await;
    let shut_down = settle(&running, &shut_down).await;

    assert_eq!(
        restart.state,
        ActionState::Acknowledged,
        "a supervised device restarts"
    );
    assert_eq!(shut_down.state, ActionState::Acknowledged, "and shuts down");
}

#[tokio::test]
async fn clearing_the_passcode_works_except_on_a_shared_ipad() {
    let running = start(Config {
        devices: 1500,
        ..frozen(3)
    })
    .await;
    let personal = device_where(&running, |d| !d.shared_ipad).await;
    let shared = device_where(&running, |d| d.shared_ipad).await;

    let cleared = queue(&running, &personal.uuid, of_type(ActionType::ClearPasscode)).await;
    let cleared = settle(&running, &cleared).await;
    let refused = queue(&running, &shared.uuid, of_type(ActionType::ClearPasscode)).await;
    let refused = settle(&running, &refused).await;

    assert_eq!(
        cleared.state,
        ActionState::Acknowledged,
        "a personal iPad clears it"
    );
    assert_eq!(
        refused.state,
        ActionState::Error,
        "a Shared iPad has no passcode to clear"
    );
    assert!(refused.error_message.is_some(), "the error says why");
}

#[tokio::test]
async fn a_busy_device_answers_not_now_and_acknowledges_once_it_is_idle_again() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |_| true).await;
    steer(&running, &device.uuid, json!({"busy": true})).await;
    let lock = queue(&running, &device.uuid, lock()).await;

    let while_busy = check_in(&running, &device.uuid).await;
    let again_busy = check_in(&running, &device.uuid).await;
    steer(&running, &device.uuid, json!({"busy": false})).await;
    let done = settle(&running, &lock).await;

    assert_eq!(
        while_busy[0].state,
        ActionState::NotNow,
        "a busy device answers NOT_NOW"
    );
    assert_eq!(
        again_busy[0].uuid, lock.uuid,
        "NOT_NOW is sent again at the next check-in"
    );
    assert_eq!(
        again_busy[0].state,
        ActionState::NotNow,
        "and refused while still busy"
    );
    assert_eq!(
        done.state,
        ActionState::Acknowledged,
        "an idle device then locks"
    );
}

#[tokio::test]
async fn a_device_taken_offline_keeps_its_actions_queued_until_it_is_online_again() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |_| true).await;
    steer(&running, &device.uuid, json!({"online": false})).await;
    let lock = queue(&running, &device.uuid, lock()).await;

    advance(&running, 120).await;
    let while_offline = sim_action(&running, &lock.uuid).await;
    let behaviour = steer(&running, &device.uuid, json!({"online": true})).await;
    let mut minutes = 0;
    let mut action = sim_action(&running, &lock.uuid).await;
    while !action.state.is_final() && minutes < 60 {
        advance(&running, 5).await;
        minutes += 5;
        action = sim_action(&running, &lock.uuid).await;
    }

    assert_eq!(
        while_offline.state,
        ActionState::Queued,
        "an offline device fetches nothing"
    );
    assert_eq!(while_offline.sent_date, None, "so nothing was sent");
    assert_eq!(
        behaviour,
        json!({"uuid": device.uuid, "online": true, "busy": false})
    );
    assert_eq!(
        action.state,
        ActionState::Acknowledged,
        "online again, it checks in"
    );
}

#[tokio::test]
async fn a_device_silent_for_days_is_offline_and_keeps_its_actions_queued() {
    let running = start(frozen(1)).await;
    let days_ago = start_time() - chrono::Duration::days(3);
    let silent = school_devices(&running)
        .await
        .into_iter()
        .find(|d| d.last_connection_date.is_some_and(|at| at < days_ago))
        .expect("some seeded devices have been silent for days");

    let lock = queue(&running, &silent.uuid, lock()).await;
    advance(&running, 60).await;

    let action = sim_action(&running, &lock.uuid).await;
    assert_eq!(
        action.state,
        ActionState::Queued,
        "a device in a drawer does not check in"
    );
}

#[tokio::test]
async fn only_actions_the_device_has_not_fetched_can_be_cancelled() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    steer(&running, &device.uuid, json!({"online": false})).await;
    let waiting = queue(&running, &device.uuid, lock()).await;
    let done = queue(&running, &device.uuid, of_type(ActionType::RestartDevice)).await;
    let cancel = |action: &Action| {
        let url = format!(
            "{}{}",
            running.url,
            paths::device_action(&action.device_uuid, &action.uuid)
        );
        Client::new()
            .delete(url)
            .header(paths::TOKEN_HEADER, &admin)
            .send()
    };

    let cancelled = cancel(&waiting).await.unwrap();
    let done = settle(&running, &done).await;
    let too_late = cancel(&done).await.unwrap();
    let never_sent = sim_action(&running, &waiting.uuid).await;

    assert_eq!(cancelled.status(), 200, "a queued action can be cancelled");
    let cancelled: Action = cancelled.json().await.unwrap();
    assert_eq!(
        cancelled.state,
        ActionState::Cancelled,
        "the answer is the cancelled action"
    );
    assert_eq!(
        never_sent.state,
        ActionState::Cancelled,
        "a check-in does not revive it"
    );
    assert_eq!(never_sent.sent_date, None, "the device never fetched it");
    assert_eq!(
        too_late.status(),
        409,
        "a fetched action cannot be cancelled"
    );
    let error = json(too_late).await;
    assert_eq!(
        error["errorCode"], "ACTION_NOT_CANCELLABLE",
        "the code says why"
    );
}

#[tokio::test]
async fn an_erased_dep_device_leaves_and_enrols_again_with_its_serial_and_a_new_uuid() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |d| d.enrollment_type == "DEP" && supervised(d)).await;
    settle(&running, &queue(&running, &device.uuid, lost_mode()).await).await;
    let erase = json!({"type": "ERASE_DEVICE", "parameters": {
        "preserveDataPlan": true, "returnToService": false}});

    let erased = settle(&running, &queue(&running, &device.uuid, erase).await).await;
    let gone = sim_get(&running, "/sim/devices").await;
    advance(&running, 9).await;
    let still_gone = sim_get(&running, "/sim/devices").await;
    advance(&running, 21).await;
    let listed = sim_get(&running, "/sim/devices").await;

    let with_serial = |list: &Value| -> Vec<Value> {
        let list = list.as_array().unwrap();
        list.iter()
            .filter(|d| d["serialNumber"] == device.serial_number.as_str())
            .cloned()
            .collect()
    };
    assert_eq!(
        erased.state,
        ActionState::Acknowledged,
        "the device confirms the wipe"
    );
    assert!(
        with_serial(&gone).is_empty(),
        "a wiped device leaves the inventory"
    );
    assert!(
        with_serial(&still_gone).is_empty(),
        "it takes at least 10 minutes to return"
    );
    let back = with_serial(&listed);
    assert_eq!(back.len(), 1, "within 30 minutes it enrols again by itself");
    let uuid = back[0]["uuid"].as_str().unwrap();
    assert_ne!(uuid, device.uuid, "under a new uuid");
    let again = Device {
        uuid: uuid.to_owned(),
        ..device.clone()
    };
    let again = device_now(&running, &again).await.unwrap();
    assert_eq!(
        again.organization_uuid, device.organization_uuid,
        "in the same school"
    );
    assert_eq!(again.group_uuids, device.group_uuids, "in the same groups");
    assert!(
        !again.lost_mode_enabled,
        "a wiped device is out of lost mode"
    );
    assert!(
        again.enrollment_date > device.enrollment_date,
        "with a fresh enrolment"
    );
    assert_eq!(
        installed(&running, uuid).await,
        ["com.apple.Keynote"],
        "only the apps its policies require"
    );
}

#[tokio::test]
async fn an_erased_device_enrolled_by_hand_stays_gone() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |d| d.enrollment_type == "USER").await;

    let erase = queue(&running, &device.uuid, of_type(ActionType::EraseDevice)).await;
    let behind = queue(&running, &device.uuid, lock()).await;
    let erased = settle(&running, &erase).await;
    advance(&running, 60).await;
    let listed = sim_get(&running, "/sim/devices").await;
    let behind = sim_action(&running, &behind.uuid).await;

    assert_eq!(
        erased.state,
        ActionState::Acknowledged,
        "the device confirms the wipe"
    );
    assert_eq!(
        behind.state,
        ActionState::Error,
        "a wiped device fetches nothing more"
    );
    assert_eq!(
        behind.error_message.as_deref(),
        Some("The device was removed from the server."),
        "and the action says why"
    );
    let serials: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["serialNumber"])
        .collect();
    assert!(
        !serials.contains(&&json!(device.serial_number)),
        "without automated enrolment nothing brings it back"
    );
}

#[tokio::test]
async fn install_app_adds_the_app_and_assigns_one_licence_of_the_school() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, supervised).await;
    let apps = installed(&running, &device.uuid).await;
    let before = catalogue(&running, &device.organization_uuid).await;
    let spare = before
        .iter()
        .find(|a| a.vpp_licenses_assigned < a.vpp_licenses_total && !apps.contains(&a.bundle_id))
        .expect("the school has licences of an app the device lacks");
    let body = json!({"type": "INSTALL_APP", "parameters": {"bundleId": spare.bundle_id}});

    let done = settle(&running, &queue(&running, &device.uuid, body).await).await;

    assert_eq!(
        done.state,
        ActionState::Acknowledged,
        "a supervised device installs it"
    );
    let apps = installed(&running, &device.uuid).await;
    assert!(apps.contains(&spare.bundle_id), "the app is on the device");
    let after = catalogue(&running, &device.organization_uuid).await;
    let licence = after
        .iter()
        .find(|a| a.bundle_id == spare.bundle_id)
        .unwrap();
    let assigned = licence.vpp_licenses_assigned;
    assert_eq!(
        assigned,
        spare.vpp_licenses_assigned + 1,
        "one more licence is assigned"
    );
    let now = device_now(&running, &device).await.unwrap();
    assert!(
        now.modification_date > device.modification_date,
        "a sync sees the new app"
    );
}

#[tokio::test]
async fn installs_accepted_while_licences_were_left_fail_at_the_device_once_they_are_gone() {
    let running = start(frozen(1)).await;
    let devices: Vec<Device> = school_devices(&running)
        .await
        .into_iter()
        .filter(supervised)
        .collect();
    let school = devices[0].organization_uuid.clone();
    let mut lacking = Vec::new();
    for device in devices.iter().filter(|d| d.organization_uuid == school) {
        lacking.push((device.clone(), installed(&running, &device.uuid).await));
    }
    let app = catalogue(&running, &school)
        .await
        .into_iter()
        .filter(|a| a.vpp_licenses_total > a.vpp_licenses_assigned)
        .min_by_key(|a| a.vpp_licenses_total - a.vpp_licenses_assigned)
        .expect("the school has licences left of some app");
    let spare = (app.vpp_licenses_total - app.vpp_licenses_assigned) as usize;
    let takers: Vec<Device> = lacking
        .into_iter()
        .filter(|(_, apps)| !apps.contains(&app.bundle_id))
        .map(|(device, _)| device)
        .take(spare + 1)
        .collect();
    assert_eq!(takers.len(), spare + 1, "enough devices lack the app");
    let body = json!({"type": "INSTALL_APP", "parameters": {"bundleId": app.bundle_id}});
    let mut accepted = Vec::new();
    for device in &takers {
        steer(
            &running,
            &device.uuid,
            json!({"online": true, "busy": false}),
        )
        .await;
        accepted.push(queue(&running, &device.uuid, body.clone()).await);
    }

    let mut done = Vec::new();
    for action in &accepted {
        done.push(settle(&running, action).await);
    }

    let refused: Vec<&Action> = done
        .iter()
        .filter(|a| a.state == ActionState::Error)
        .collect();
    assert_eq!(refused.len(), 1, "one device finds the last licence gone");
    let message = refused[0].error_message.as_deref().unwrap();
    assert!(
        message.starts_with("No licence left"),
        "the message says why: {message}"
    );
    let after = catalogue(&running, &school).await;
    let counted = after.iter().find(|a| a.bundle_id == app.bundle_id).unwrap();
    assert_eq!(
        counted.vpp_licenses_assigned, counted.vpp_licenses_total,
        "every licence is assigned, none twice"
    );
}

#[tokio::test]
async fn remove_app_removes_a_managed_app_and_returns_its_licence() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |_| true).await;
    let before = catalogue(&running, &device.organization_uuid).await;
    let apps = installed(&running, &device.uuid).await;
    let managed = before
        .iter()
        .find(|a| apps.contains(&a.bundle_id))
        .expect("the device has an app of the catalogue");
    let remove = json!({"type": "REMOVE_APP", "parameters": {"bundleId": managed.bundle_id}});
    let absent = json!({"type": "REMOVE_APP", "parameters": {"bundleId": "com.example.none"}});

    let removed = settle(&running, &queue(&running, &device.uuid, remove).await).await;
    let refused = settle(&running, &queue(&running, &device.uuid, absent).await).await;

    assert_eq!(
        removed.state,
        ActionState::Acknowledged,
        "a managed app can be removed"
    );
    let apps = installed(&running, &device.uuid).await;
    assert!(!apps.contains(&managed.bundle_id), "and is gone");
    let after = catalogue(&running, &device.organization_uuid).await;
    let licence = after
        .iter()
        .find(|a| a.bundle_id == managed.bundle_id)
        .unwrap();
    let assigned = licence.vpp_licenses_assigned;
    assert_eq!(
        assigned,
        managed.vpp_licenses_assigned - 1,
        "its licence is free again"
    );
    assert_eq!(
        refused.state,
        ActionState::Error,
        "an app not on the device cannot go"
    );
}

#[tokio::test]
async fn a_teacher_may_neither_lock_nor_erase_a_device_outside_a_lesson() {
    let running = start(frozen(1)).await;
    let teacher = running.user(Role::Teacher).unwrap().clone();
    let school = org_named(&running, &teacher.organisations[0]).await;
    let device = device_where(&running, |d| d.organization_uuid == school).await;
    let lock = lock();
    let erase = of_type(ActionType::EraseDevice);

    let locked = create(&running, &teacher.token, &device.uuid, "lock", lock).await;
    let erased = create(&running, &teacher.token, &device.uuid, "erase", erase).await;

    assert_eq!(
        locked.status(),
        403,
        "teachers lock their class's screens in a lesson, not with a device action"
    );
    let message = json(locked).await["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("lesson"),
        "the message points the teacher to lessons: {message}"
    );
    assert_eq!(erased.status(), 403, "a teacher must not wipe a device");
    let message = json(erased).await["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("ERASE_DEVICE") && message.contains("admin"),
        "the message says who may: {message}"
    );
}

#[tokio::test]
async fn actions_on_another_schools_device_are_forbidden_and_unknown_devices_not_found() {
    let running = start(frozen(1)).await;
    let nord_admin = token(&running, Role::SchoolAdmin);
    let stadtpark = org_named(&running, STADTPARK).await;
    let foreign = device_where(&running, |d| d.organization_uuid == stadtpark).await;
    let theirs = queue(&running, &foreign.uuid, lock()).await;
    let nowhere = "00000000-0000-4000-8000-000000000000";

    let create_there = create(&running, &nord_admin, &foreign.uuid, "k", lost_mode()).await;
    let list_there = get(&running, &paths::device_actions(&foreign.uuid), &nord_admin).await;
    let cancel_there = Client::new()
        .delete(format!(
            "{}{}",
            running.url,
            paths::device_action(&foreign.uuid, &theirs.uuid)
        ))
        .header(paths::TOKEN_HEADER, &nord_admin)
        .send()
        .await
        .unwrap();
    let query_there = post(
        &running,
        paths::ACTION_QUERY,
        Some(&stadtpark),
        &nord_admin,
        json!({"limit": 10, "offset": 0}),
    )
    .await;
    let unknown = create(&running, &nord_admin, nowhere, "k", lost_mode()).await;

    assert_eq!(
        create_there.status(),
        403,
        "Nord's admin has no rights on Stadtpark"
    );
    assert_eq!(list_there.status(), 403, "nor may read its actions");
    assert_eq!(cancel_there.status(), 403, "nor cancel them");
    assert_eq!(query_there.status(), 403, "nor query them");
    assert_eq!(unknown.status(), 404, "no such device");
    let untouched = sim_action(&running, &theirs.uuid).await;
    assert_eq!(
        untouched.state,
        ActionState::Queued,
        "the refused cancel changed nothing"
    );
}

#[tokio::test]
async fn invalid_creates_are_refused_with_a_message_naming_the_parameter() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    let cases = [
        (json!({"type": "UNLOCK_EVERYTHING"}), "type"),
        (json!({"parameters": {}}), "type"),
        (
            json!({"type": "ENABLE_LOST_MODE", "parameters": {"footnote": "GSN"}}),
            "message",
        ),
        (
            json!({"type": "ENABLE_LOST_MODE", "parameters": {"message": "x".repeat(201)}}),
            "message",
        ),
        (
            json!({"type": "ENABLE_LOST_MODE", "parameters": {"phoneNumber": "1".repeat(31)}}),
            "phoneNumber",
        ),
        (
            json!({"type": "ENABLE_LOST_MODE", "parameters": {
                "message": "Bitte abgeben", "footnote": "f".repeat(101)}}),
            "footnote",
        ),
        (
            json!({"type": "DEVICE_LOCK", "parameters": {"message": "x".repeat(201)}}),
            "message",
        ),
        (json!({"type": "INSTALL_APP"}), "bundleId"),
        (
            json!({"type": "REMOVE_APP", "parameters": {"bundleId": ""}}),
            "bundleId",
        ),
    ];

    for (key, (body, parameter)) in cases.into_iter().enumerate() {
        let answer = create(
            &running,
            &admin,
            &device.uuid,
            &key.to_string(),
            body.clone(),
        )
        .await;

        assert_eq!(answer.status(), 400, "{body} must be refused");
        let error = json(answer).await;
        assert_eq!(error["errorCode"], "BAD_REQUEST", "the code says why");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(parameter),
            "'{message}' must name {parameter}"
        );
    }
    assert!(
        sim_actions(&running).await.is_empty(),
        "no refused create made an action"
    );
}

#[tokio::test]
async fn the_actions_of_a_device_are_listed_newest_first() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let device = device_where(&running, |_| true).await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(queue(&running, &device.uuid, lock()).await.uuid);
        advance(&running, 1).await;
    }

    let path = format!("{}?limit=2&offset=0", paths::device_actions(&device.uuid));
    let page: Page<Action> = get(&running, &path, &admin).await.json().await.unwrap();

    let listed: Vec<&str> = page.results.iter().map(|a| a.uuid.as_str()).collect();
    assert_eq!(
        listed,
        [&created[2], &created[1]],
        "newest first, limited to the page"
    );
    assert_eq!(
        page.nonpaged_count,
        Some(3),
        "the count covers every action"
    );
}

#[tokio::test]
async fn the_organisation_query_filters_actions_by_state_type_and_date() {
    let running = start(frozen(1)).await;
    let nord = org_named(&running, NORD).await;
    let devices: Vec<Device> = school_devices(&running)
        .await
        .into_iter()
        .filter(|d| d.organization_uuid == nord)
        .take(6)
        .collect();
    let mut waiting = HashSet::new();
    for (i, device) in devices.iter().enumerate() {
        steer(&running, &device.uuid, json!({"online": i % 2 == 0})).await;
        let lock = queue(&running, &device.uuid, lock()).await;
        if i % 2 == 0 {
            settle(&running, &lock).await;
        } else {
            waiting.insert(lock.uuid);
        }
    }
    let stadtpark = org_named(&running, STADTPARK).await;
    let elsewhere = device_where(&running, |d| d.organization_uuid == stadtpark).await;
    queue(&running, &elsewhere.uuid, lock()).await;
    let queued = json!({"type": "stringEnum", "fieldName": "state", "values": ["QUEUED"]});
    let later = json!({"type": "dateRange", "fieldName": "modificationDate",
        "from": start_time() + chrono::Duration::hours(1)});
    let locks = json!({"type": "logOp", "operation": "AND", "filters": [
        {"type": "stringEnum", "fieldName": "type", "values": ["DEVICE_LOCK"]}, queued]});

    let by_state = query_actions(
        &running,
        &nord,
        json!({"limit": 2, "offset": 0,
        "getNonpagedCount": true, "filter": queued}),
    )
    .await;
    let rest = query_actions(
        &running,
        &nord,
        json!({"limit": 2, "offset": 2,
        "getNonpagedCount": true, "filter": queued}),
    )
    .await;
    let none_later = query_actions(
        &running,
        &nord,
        json!({"limit": 100, "offset": 0,
        "getNonpagedCount": true, "filter": later}),
    )
    .await;
    let combined = query_actions(
        &running,
        &nord,
        json!({"limit": 100, "offset": 0,
        "filter": locks}),
    )
    .await;
    let unknown_field = post(
        &running,
        paths::ACTION_QUERY,
        Some(&nord),
        &token(&running, Role::DistrictAdmin),
        json!({"limit": 10, "offset": 0,
            "filter": {"type": "string", "fieldName": "colour", "value": "blue"}}),
    )
    .await;

    let page_uuids = |page: &Value| -> Vec<String> {
        let results = page["results"].as_array().unwrap();
        results
            .iter()
            .map(|a| a["uuid"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut found: HashSet<String> = page_uuids(&by_state).into_iter().collect();
    found.extend(page_uuids(&rest));
    assert_eq!(
        by_state["nonpagedCount"], 3,
        "three of Nord's six locks wait"
    );
    assert_eq!(page_uuids(&by_state).len(), 2, "limit bounds the page");
    assert_eq!(
        found, waiting,
        "the pages hold exactly the queued ones of the school"
    );
    assert_eq!(
        none_later["nonpagedCount"], 0,
        "nothing changed an hour from now"
    );
    assert_eq!(page_uuids(&combined).len(), 3, "AND of type and state");
    assert!(
        combined.get("nonpagedCount").is_none(),
        "no count unless asked for"
    );
    assert_eq!(
        unknown_field.status(),
        400,
        "actions filter on their own fields only"
    );
}

#[tokio::test]
async fn actions_of_a_device_removed_by_churn_end_in_an_error() {
    let running = start(Config {
        churn: 1.0,
        ..frozen(5)
    })
    .await;
    let devices = school_devices(&running).await;
    let mut waiting = Vec::new();
    for device in &devices {
        steer(&running, &device.uuid, json!({"online": false})).await;
        waiting.push(queue(&running, &device.uuid, lock()).await);
    }

    advance(&running, 5).await;
    let listed = sim_get(&running, "/sim/devices").await;
    let actions = sim_actions(&running).await;

    let present: HashSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["uuid"].as_str().unwrap())
        .collect();
    let of_removed: Vec<&Action> = actions
        .iter()
        .filter(|a| !present.contains(a.device_uuid.as_str()))
        .collect();
    assert!(
        !of_removed.is_empty(),
        "five minutes of full churn remove some devices"
    );
    for action in of_removed {
        assert_eq!(
            action.state,
            ActionState::Error,
            "a removed device fetches nothing"
        );
        let message = action.error_message.as_deref();
        assert_eq!(
            message,
            Some("The device was removed from the server."),
            "and it says so"
        );
    }
    let still = actions
        .iter()
        .filter(|a| present.contains(a.device_uuid.as_str()));
    assert!(
        still.clone().all(|a| a.state == ActionState::Queued),
        "churn does not check in devices that were taken offline"
    );
}

#[tokio::test]
async fn under_faults_a_client_retrying_with_its_key_makes_each_action_once() {
    let running = start(Config {
        faults: 0.5,
        fault_kinds: vec![
            FaultKind::DroppedConnection,
            FaultKind::TruncatedBody,
            FaultKind::Unavailable,
            FaultKind::MalformedJson,
        ],
        ..frozen(1)
    })
    .await;
    let admin = token(&running, Role::DistrictAdmin);
    let devices: Vec<Value> =
        sim_get(&running, "/sim/devices").await.as_array().unwrap()[..10].to_vec();

    let mut accepted = Vec::new();
    for device in &devices {
        let uuid = device["uuid"].as_str().unwrap();
        let action = loop {
            let answer = create(&running, &admin, uuid, "lock-once", lock()).await;
            if answer.status().is_success() {
                if let Ok(action) = answer.json::<Action>().await {
                    break action;
                }
            }
        };
        accepted.push(action.uuid);
    }

    let actions = sim_actions(&running).await;
    let uuids: HashSet<String> = actions.iter().map(|a| a.uuid.clone()).collect();
    assert_eq!(
        actions.len(),
        devices.len(),
        "one action per device, however often retried"
    );
    assert_eq!(
        uuids,
        accepted.into_iter().collect(),
        "the client learned the one it made"
    );
}

#[tokio::test]
async fn the_control_api_refuses_unknown_devices_and_flags() {
    let running = start(frozen(1)).await;
    let device = device_where(&running, |_| true).await;
    let nowhere = "00000000-0000-4000-8000-000000000000";

    let unknown = sim_post(&running, &format!("/sim/devices/{nowhere}"), json!({})).await;
    let check_in_path = format!("/sim/devices/{nowhere}/check-in");
    let check_in = sim_post(&running, &check_in_path, json!({})).await;
    let steer_path = format!("/sim/devices/{}", device.uuid);
    let typo = sim_post(&running, &steer_path, json!({"bsy": true})).await;
    let busy = steer(&running, &device.uuid, json!({"busy": true})).await;

    assert_eq!(unknown.status(), 404, "no such device to steer");
    assert_eq!(check_in.status(), 404, "no such device to check in");
    assert_eq!(typo.status(), 400, "a misspelt flag must not be ignored");
    assert_eq!(
        busy,
        json!({"uuid": device.uuid, "online": true, "busy": true}),
        "both flags"
    );
}
