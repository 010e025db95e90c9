//! Lessons over real HTTP: a teacher's time-limited session on a class, held by the server.
//! Devices receive the current restrictions when they check in (pushed, so within seconds),
//! the server ends the lesson at its end date by itself, and teachers' tokens reach only the
//! classes they teach.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use koffer_api::{
    apple_error, lesson_error, paths, Device, EndReason, Lesson, LessonDeviceState, LessonState,
    Page, Restrictions, Role, SchoolClass, SimLesson, MAX_LESSON_MINUTES,
};
use koffer_sim::{Config, Running, SeededUser};
use reqwest::{Client, Response};
use serde_json::{json, Value};

/// A class of a school with the devices a lesson on it covers.
#[derive(Debug, Clone)]
struct Class {
    org: String,
    class: SchoolClass,
    devices: Vec<Device>,
}

impl Class {
    fn uuids(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.uuid.clone()).collect()
    }
}

fn admin(running: &Running) -> String {
    token(running, Role::DistrictAdmin)
}

fn teacher(running: &Running) -> SeededUser {
    running
        .user(Role::Teacher)
        .expect("a teacher is seeded")
        .clone()
}

fn fresh_key() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("lesson-key-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

async fn send(
    running: &Running,
    path: &str,
    org: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> Response {
    let mut request = Client::new()
        .post(format!("{}{path}", running.url))
        .query(&[(paths::TENANT_PARAM, org)])
        .header(paths::TOKEN_HEADER, token)
        .json(&body);
    if let Some(key) = key {
        request = request.header(paths::IDEMPOTENCY_HEADER, key);
    }
    request.send().await.unwrap()
}

async fn try_start(running: &Running, token: &str, org: &str, body: Value) -> Response {
    send(
        running,
        paths::LESSONS,
        org,
        token,
        Some(&fresh_key()),
        body,
    )
    .await
}

/// Starts a lesson on the whole class as the district admin; the start must succeed.
async fn start_lesson(running: &Running, class: &Class, minutes: u32) -> Lesson {
    let body = json!({"classUuid": class.class.uuid, "deviceUuids": class.uuids(),
        "durationMinutes": minutes});
    let answer = try_start(running, &admin(running), &class.org, body).await;
    assert_eq!(answer.status(), 201, "the lesson must start");
    answer.json().await.unwrap()
}

async fn try_command(running: &Running, token: &str, lesson: &Lesson, body: Value) -> Response {
    let path = paths::lesson_commands(&lesson.uuid);
    let org = &lesson.organization_uuid;
    send(running, &path, org, token, Some(&fresh_key()), body).await
}

/// Sends a command as the district admin; it must be accepted.
async fn command(running: &Running, lesson: &Lesson, body: Value) -> Lesson {
    let answer = try_command(running, &admin(running), lesson, body.clone()).await;
    assert_eq!(answer.status(), 200, "{body} must be accepted");
    answer.json().await.unwrap()
}

async fn extend(running: &Running, lesson: &Lesson, minutes: u32) -> Response {
    let path = paths::lesson_extend(&lesson.uuid);
    let body = json!({"minutes": minutes});
    send(
        running,
        &path,
        &lesson.organization_uuid,
        &admin(running),
        None,
        body,
    )
    .await
}

async fn end(running: &Running, token: &str, lesson: &Lesson) -> Response {
    let path = paths::lesson_end(&lesson.uuid);
    send(
        running,
        &path,
        &lesson.organization_uuid,
        token,
        None,
        json!({}),
    )
    .await
}

async fn read(running: &Running, token: &str, lesson: &Lesson) -> Response {
    let path = format!(
        "{}?{}={}",
        paths::lesson(&lesson.uuid),
        paths::TENANT_PARAM,
        lesson.organization_uuid
    );
    get(running, &path, token).await
}

async fn lesson_now(running: &Running, lesson: &Lesson) -> Lesson {
    let answer = read(running, &admin(running), lesson).await;
    assert_eq!(answer.status(), 200, "the lesson must be readable");
    answer.json().await.unwrap()
}

/// The lesson as `/sim/lessons` shows it: what each device has applied.
async fn applied(running: &Running, lesson: &Lesson) -> SimLesson {
    let all: Vec<SimLesson> =
        serde_json::from_value(sim_get(running, paths::SIM_LESSONS).await).unwrap();
    all.into_iter()
        .find(|l| l.uuid == lesson.uuid)
        .expect("/sim/lessons lists every lesson")
}

fn applied_on<'a>(sim: &'a SimLesson, device: &str) -> &'a Restrictions {
    &sim.devices
        .iter()
        .find(|d| d.device_uuid == device)
        .expect("the device is in the lesson")
        .applied
}

async fn advance(running: &Running, minutes: u32) {
    let answer = sim_post(running, "/sim/clock/advance", json!({"minutes": minutes})).await;
    assert!(answer.status().is_success(), "the clock must advance");
}

async fn steer(running: &Running, device: &str, body: Value) {
    let answer = sim_post(running, &format!("/sim/devices/{device}"), body).await;
    assert!(answer.status().is_success(), "the device must be steered");
}

/// Every device of the lesson online and idle, so that each checks in when pushed.
async fn all_online(running: &Running, class: &Class) {
    for device in &class.devices {
        steer(
            running,
            &device.uuid,
            json!({"online": true, "busy": false}),
        )
        .await;
    }
}

async fn error_of(answer: Response) -> (u16, String, String) {
    let status = answer.status().as_u16();
    let body = json(answer).await;
    let code = body["errorCode"].as_str().unwrap_or_default().to_owned();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    (status, code, message)
}

async fn classes_of(running: &Running, token: &str, org: &str) -> Vec<SchoolClass> {
    let path = format!(
        "{}?{}={org}&limit=1000",
        paths::CLASSES,
        paths::TENANT_PARAM
    );
    let answer = get(running, &path, token).await;
    assert_eq!(answer.status(), 200, "the classes must be listed");
    answer.json::<Page<SchoolClass>>().await.unwrap().results
}

async fn school_orgs(running: &Running) -> Vec<String> {
    organisations(running, &admin(running))
        .await
        .into_iter()
        .filter(|o| o.kind == koffer_api::OrganizationKind::School)
        .map(|o| o.uuid)
        .collect()
}

/// Every class of every school with its devices: students' own iPads and the case's iPads.
async fn all_classes(running: &Running) -> Vec<Class> {
    let admin = admin(running);
    let mut classes = Vec::new();
    for org in school_orgs(running).await {
        let devices: Vec<Device> = all_devices(running, &org, &admin, 1000)
            .await
            .into_iter()
            .map(|d| serde_json::from_value(d).unwrap())
            .collect();
        for class in classes_of(running, &admin, &org).await {
            let students: HashSet<&str> = class
                .students
                .iter()
                .filter_map(|s| s.device_uuid.as_deref())
                .collect();
            let case = class.case_group_uuid.clone();
            let of_class = devices
                .iter()
                .filter(|d| {
                    students.contains(d.uuid.as_str())
                        || case.as_ref().is_some_and(|c| d.group_uuids.contains(c))
                })
                .cloned()
                .collect();
            classes.push(Class {
                org: org.clone(),
                class,
                devices: of_class,
            });
        }
    }
    classes
}

/// The first class with at least a few devices that fits.
async fn class_where(running: &Running, fits: impl Fn(&Class) -> bool) -> Class {
    all_classes(running)
        .await
        .into_iter()
        .find(|c| c.devices.len() >= 3 && fits(c))
        .expect("the seed has such a class")
}

async fn any_class(running: &Running) -> Class {
    class_where(running, |_| true).await
}

#[tokio::test]
async fn seeded_classes_have_five_to_ten_apps_of_their_schools_catalogue() {
    let running = start(frozen(1)).await;

    let classes = all_classes(&running).await;

    assert!(!classes.is_empty(), "the seed has classes");
    for class in &classes {
        let path = format!(
            "{}?{}={}&limit=1000",
            paths::APPS,
            paths::TENANT_PARAM,
            class.org
        );
        let catalogue = json(get(&running, &path, &admin(&running)).await).await;
        let offered: HashSet<&str> = catalogue["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["bundleId"].as_str().unwrap())
            .collect();
        let apps = &class.class.apps;
        assert!(
            (5..=10).contains(&apps.len()),
            "a class has 5 to 10 apps to lock into or allow: {apps:?}"
        );
        assert!(
            apps.iter().all(|a| offered.contains(a.as_str())),
            "a class's apps come from its school's catalogue"
        );
    }
}

#[tokio::test]
async fn a_lesson_starts_with_its_devices_pending_until_they_check_in() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;

    let lesson = start_lesson(&running, &class, 45).await;
    let before = lesson.clone();
    advance(&running, 1).await;
    let after = lesson_now(&running, &lesson).await;

    assert_eq!(before.state, LessonState::Running);
    assert_eq!(before.class_uuid, class.class.uuid);
    assert_eq!(before.class_name, class.class.name);
    assert_eq!(
        (before.end_date - before.start_date).num_minutes(),
        45,
        "the lesson lasts what was asked"
    );
    assert_eq!(
        before.devices.len(),
        class.devices.len(),
        "one entry per device"
    );
    assert!(
        before
            .devices
            .iter()
            .all(|d| d.state == LessonDeviceState::Pending && d.revision == 1),
        "the start reaches each device when it checks in"
    );
    assert!(
        after
            .devices
            .iter()
            .all(|d| d.state == LessonDeviceState::Acknowledged
                && d.applied_revision == d.revision
                && d.acknowledged_date.is_some()),
        "online devices are pushed and check in at once: {:?}",
        after.devices
    );
}

#[tokio::test]
async fn screens_are_locked_with_the_message_and_unlocked_again() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let device = class.devices[0].uuid.clone();

    let locked = command(
        &running,
        &lesson,
        json!({"type": "LOCK_SCREEN",
        "deviceUuids": [], "message": "Augen nach vorn"}),
    )
    .await;
    advance(&running, 1).await;
    let while_locked = applied(&running, &lesson).await;
    command(
        &running,
        &lesson,
        json!({"type": "UNLOCK_SCREEN", "deviceUuids": [device]}),
    )
    .await;
    advance(&running, 1).await;
    let after_unlock = applied(&running, &lesson).await;

    assert!(
        locked
            .devices
            .iter()
            .all(|d| d.state == LessonDeviceState::Pending
                && d.restrictions.screen_lock.as_ref().unwrap().message == "Augen nach vorn"),
        "no devices named means every device of the lesson, pending until it checks in"
    );
    assert!(
        while_locked
            .devices
            .iter()
            .all(|d| d.applied.screen_lock.is_some()),
        "every online device shows the locked screen"
    );
    assert_eq!(
        applied_on(&after_unlock, &device).screen_lock,
        None,
        "the named device is unlocked"
    );
    assert!(
        applied_on(&after_unlock, &class.devices[1].uuid)
            .screen_lock
            .is_some(),
        "the others stay locked"
    );
}

#[tokio::test]
async fn a_lock_message_longer_than_200_characters_is_refused() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let body = json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "ä".repeat(201)});

    let refused = try_command(&running, &admin(&running), &lesson, body).await;

    let (status, code, _) = error_of(refused).await;
    assert_eq!(
        (status, code.as_str()),
        (400, lesson_error::MESSAGE_TOO_LONG)
    );
}

#[tokio::test]
async fn app_lock_on_an_unsupervised_device_fails_with_12021_while_the_others_lock() {
    let running = start(frozen(1)).await;
    let class = class_where(&running, |c| {
        c.devices.iter().any(|d| !d.supervised) && c.devices.iter().any(|d| d.supervised)
    })
    .await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let app = class.class.apps[0].clone();

    command(
        &running,
        &lesson,
        json!({"type": "APP_LOCK", "deviceUuids": [], "bundleId": app}),
    )
    .await;
    advance(&running, 1).await;
    let now = lesson_now(&running, &lesson).await;
    let sim = applied(&running, &lesson).await;

    for device in &class.devices {
        let entry = now
            .devices
            .iter()
            .find(|d| d.device_uuid == device.uuid)
            .unwrap();
        let shown = applied_on(&sim, &device.uuid);
        if device.supervised {
            assert_eq!(
                entry.state,
                LessonDeviceState::Acknowledged,
                "supervised devices lock"
            );
            assert_eq!(shown.app_lock.as_ref().unwrap().bundle_id, app);
        } else {
            assert_eq!(
                entry.state,
                LessonDeviceState::Error,
                "single app mode needs supervision"
            );
            assert_eq!(entry.error_code, Some(apple_error::NOT_SUPERVISED));
            assert!(entry.error_message.is_some(), "the error says why");
            assert_eq!(shown.app_lock, None, "the restriction is not applied");
            assert_eq!(
                entry.restrictions.app_lock, None,
                "nor kept as wanted by the server"
            );
        }
    }
}

#[tokio::test]
async fn app_lock_and_allowed_apps_take_only_apps_of_the_class() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let foreign = "com.example.not-in-class";
    let apps: Vec<String> = class.class.apps.iter().take(2).cloned().collect();

    let lock = try_command(
        &running,
        &admin(&running),
        &lesson,
        json!({"type": "APP_LOCK", "deviceUuids": [], "bundleId": foreign}),
    )
    .await;
    let allow = try_command(
        &running,
        &admin(&running),
        &lesson,
        json!({"type": "ALLOW_APPS", "deviceUuids": [], "bundleIds": [apps[0], foreign]}),
    )
    .await;
    command(
        &running,
        &lesson,
        json!({"type": "ALLOW_APPS", "deviceUuids": [],
        "bundleIds": apps}),
    )
    .await;
    advance(&running, 1).await;
    let allowed = applied(&running, &lesson).await;
    command(
        &running,
        &lesson,
        json!({"type": "ALLOW_ALL_APPS", "deviceUuids": []}),
    )
    .await;
    advance(&running, 1).await;
    let all_allowed = applied(&running, &lesson).await;

    let (status, code, message) = error_of(lock).await;
    assert_eq!(
        (status, code.as_str()),
        (400, lesson_error::APP_NOT_IN_CLASS)
    );
    assert!(
        message.contains(foreign),
        "the message names the app: {message}"
    );
    let (status, code, _) = error_of(allow).await;
    assert_eq!(
        (status, code.as_str()),
        (400, lesson_error::APP_NOT_IN_CLASS),
        "one foreign app refuses the whole list"
    );
    assert!(
        allowed
            .devices
            .iter()
            .all(|d| d.applied.allowed_apps.as_ref() == Some(&apps)),
        "the class's apps are allowed on every device"
    );
    assert!(
        all_allowed
            .devices
            .iter()
            .all(|d| d.applied.allowed_apps.is_none()),
        "ALLOW_ALL_APPS lifts the limit"
    );
}

#[tokio::test]
async fn a_web_page_opens_only_for_an_http_or_https_address() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let url = "https://www.planet-schule.de/mathe";

    let mut refused = Vec::new();
    for bad in [
        "javascript:alert(1)",
        "ftp://files.schule.de",
        "https://",
        "www.schule.de",
    ] {
        let body = json!({"type": "OPEN_WEB_PAGE", "deviceUuids": [], "url": bad});
        refused.push((
            bad,
            error_of(try_command(&running, &admin(&running), &lesson, body).await).await,
        ));
    }
    command(
        &running,
        &lesson,
        json!({"type": "OPEN_WEB_PAGE", "deviceUuids": [], "url": url}),
    )
    .await;
    advance(&running, 1).await;
    let opened = applied(&running, &lesson).await;

    for (bad, (status, code, message)) in refused {
        assert_eq!(
            (status, code.as_str()),
            (400, lesson_error::BAD_URL),
            "{bad} is refused"
        );
        assert!(
            message.contains("http"),
            "the message says what is accepted: {message}"
        );
    }
    assert!(
        opened
            .devices
            .iter()
            .all(|d| d.applied.web_page.as_ref().unwrap().url == url),
        "every device shows the page"
    );
}

#[tokio::test]
async fn commands_for_devices_outside_the_lesson_are_refused() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let (inside, outside) = (class.uuids()[..1].to_vec(), class.uuids()[1].clone());
    let body = json!({"classUuid": class.class.uuid, "deviceUuids": inside,
        "durationMinutes": 45});
    let lesson: Lesson = try_start(&running, &admin(&running), &class.org, body)
        .await
        .json()
        .await
        .unwrap();

    let refused = try_command(
        &running,
        &admin(&running),
        &lesson,
        json!({"type": "UNLOCK_SCREEN", "deviceUuids": [outside]}),
    )
    .await;

    assert_eq!(
        lesson.devices.len(),
        1,
        "a lesson may leave devices of the class out"
    );
    let (status, code, message) = error_of(refused).await;
    assert_eq!(
        (status, code.as_str()),
        (400, lesson_error::DEVICE_NOT_IN_LESSON)
    );
    assert!(
        message.contains(&outside),
        "the message names the device: {message}"
    );
}

#[tokio::test]
async fn a_lesson_of_0_or_more_than_600_minutes_is_refused() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let body = |minutes: u32| json!({"classUuid": class.class.uuid, "durationMinutes": minutes});

    let none = try_start(&running, &admin(&running), &class.org, body(0)).await;
    let too_long = try_start(&running, &admin(&running), &class.org, body(601)).await;
    let a_day = try_start(&running, &admin(&running), &class.org, body(600)).await;

    for refused in [none, too_long] {
        let (status, code, message) = error_of(refused).await;
        assert_eq!((status, code.as_str()), (400, lesson_error::DURATION));
        assert!(
            message.contains("600"),
            "the message gives the limit: {message}"
        );
    }
    assert_eq!(a_day.status(), 201, "a whole school day is allowed");
}

#[tokio::test]
async fn a_lesson_extends_by_10_minutes_but_not_beyond_600_in_all() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let long_class = class_where(&running, |c| c.class.uuid != class.class.uuid).await;
    let long = start_lesson(&running, &long_class, MAX_LESSON_MINUTES - 10).await;

    let extended: Lesson = extend(&running, &lesson, 10).await.json().await.unwrap();
    let to_the_limit = extend(&running, &long, 10).await;
    let beyond = extend(&running, &long, 10).await;

    assert_eq!(
        extended.end_date - lesson.end_date,
        chrono::Duration::minutes(10)
    );
    assert_eq!(to_the_limit.status(), 200, "600 minutes in all are allowed");
    let (status, code, message) = error_of(beyond).await;
    assert_eq!((status, code.as_str()), (400, lesson_error::DURATION));
    assert!(
        message.contains("600"),
        "the message gives the limit: {message}"
    );
}

#[tokio::test]
async fn ending_early_lifts_every_restriction_and_the_lesson_takes_no_more_commands() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    command(
        &running,
        &lesson,
        json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "x"}),
    )
    .await;
    advance(&running, 1).await;

    let ended: Lesson = end(&running, &admin(&running), &lesson)
        .await
        .json()
        .await
        .unwrap();
    advance(&running, 1).await;
    let lifted = applied(&running, &lesson).await;
    let again = end(&running, &admin(&running), &lesson).await;
    let late = try_command(
        &running,
        &admin(&running),
        &lesson,
        json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "x"}),
    )
    .await;
    let longer = extend(&running, &lesson, 10).await;

    assert_eq!(ended.state, LessonState::Ended);
    assert_eq!(ended.end_reason, Some(EndReason::EndedByTeacher));
    assert!(
        ended
            .devices
            .iter()
            .all(|d| d.restrictions.is_none() && d.state == LessonDeviceState::Pending),
        "the end lifts every restriction, pending until each device checks in"
    );
    assert!(
        lifted.devices.iter().all(|d| d.applied.is_none()),
        "online devices are free again at once"
    );
    assert_eq!(again.status(), 200, "ending twice is harmless");
    let again: Lesson = again.json().await.unwrap();
    assert_eq!(again.end_date, ended.end_date, "and changes nothing");
    let (status, code, _) = error_of(late).await;
    assert_eq!(
        (status, code.as_str()),
        (409, lesson_error::ENDED),
        "an ended lesson is over"
    );
    let (status, code, _) = error_of(longer).await;
    assert_eq!(
        (status, code.as_str()),
        (409, lesson_error::ENDED),
        "nor can it be extended"
    );
}

#[tokio::test]
async fn the_server_ends_a_lesson_at_its_end_date_without_any_client() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let lesson = start_lesson(&running, &class, 45).await;
    command(
        &running,
        &lesson,
        json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "x"}),
    )
    .await;

    advance(&running, 44).await;
    let before = applied(&running, &lesson).await;
    advance(&running, 2).await;
    let after = applied(&running, &lesson).await;

    assert_eq!(
        before.state,
        LessonState::Running,
        "a minute before its end it still runs"
    );
    assert!(before
        .devices
        .iter()
        .all(|d| d.applied.screen_lock.is_some()));
    assert_eq!(
        after.state,
        LessonState::Ended,
        "the server ends it on its own clock"
    );
    assert_eq!(after.end_reason, Some(EndReason::EndTime));
    assert_eq!(after.end_date, lesson.end_date, "at the planned time");
    assert!(
        after.devices.iter().all(|d| d.applied.is_none()),
        "and every online device is free again"
    );
}

#[tokio::test]
async fn a_device_offline_during_commands_gets_the_current_state_once_it_is_back() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let away = class.devices[0].uuid.clone();
    steer(&running, &away, json!({"online": false})).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let lock =
        |message: &str| json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": message});
    let url = "https://www.schule.de";

    command(&running, &lesson, lock("first")).await;
    command(
        &running,
        &lesson,
        json!({"type": "OPEN_WEB_PAGE", "deviceUuids": [], "url": url}),
    )
    .await;
    command(&running, &lesson, lock("second")).await;
    advance(&running, 10).await;
    let while_away = lesson_now(&running, &lesson).await;
    steer(&running, &away, json!({"online": true})).await;
    advance(&running, 1).await;
    let back = applied(&running, &lesson).await;

    let entry = while_away
        .devices
        .iter()
        .find(|d| d.device_uuid == away)
        .unwrap();
    assert_eq!(
        entry.state,
        LessonDeviceState::Pending,
        "an offline device stays pending"
    );
    assert_eq!(entry.applied_revision, 0, "and has applied nothing");
    let device = back.devices.iter().find(|d| d.device_uuid == away).unwrap();
    assert_eq!(
        device.applied.screen_lock.as_ref().unwrap().message,
        "second"
    );
    assert_eq!(device.applied.web_page.as_ref().unwrap().url, url);
    assert_eq!(
        device.applied_revision, device.revision,
        "it caught up to the newest revision"
    );
    assert_eq!(
        device.deliveries, 1,
        "in one delivery of the current state, not a replay"
    );
}

#[tokio::test]
async fn a_busy_device_answers_not_now_and_gets_the_state_at_a_later_check_in() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    all_online(&running, &class).await;
    let busy = class.devices[0].uuid.clone();
    let lesson = start_lesson(&running, &class, 45).await;
    advance(&running, 1).await;
    steer(&running, &busy, json!({"busy": true})).await;

    command(
        &running,
        &lesson,
        json!({"type": "LOCK_SCREEN", "deviceUuids": [busy],
        "message": "x"}),
    )
    .await;
    advance(&running, 1).await;
    let while_busy = lesson_now(&running, &lesson).await;
    steer(&running, &busy, json!({"busy": false})).await;
    advance(&running, 5).await;
    let later = lesson_now(&running, &lesson).await;

    let state = |l: &Lesson| {
        l.devices
            .iter()
            .find(|d| d.device_uuid == busy)
            .unwrap()
            .state
    };
    assert_eq!(
        state(&while_busy),
        LessonDeviceState::NotNow,
        "a busy device says not now"
    );
    assert_eq!(
        state(&later),
        LessonDeviceState::Acknowledged,
        "and is retried at check-in"
    );
}

#[tokio::test]
async fn thirty_online_ipads_acknowledge_a_lock_within_seconds_at_the_default_clock_speed() {
    let config = Config {
        start_time: Some(start_time()),
        ..Config::default()
    };
    let running = start(config).await;
    let mut lessons = Vec::new();
    let mut devices = 0;
    for class in all_classes(&running).await {
        if devices >= 30 {
            break;
        }
        all_online(&running, &class).await;
        devices += class.devices.len();
        lessons.push(start_lesson(&running, &class, 45).await);
    }
    let lock = json!({"type": "LOCK_SCREEN", "deviceUuids": [], "message": "Augen nach vorn"});
    for lesson in &lessons {
        command(&running, lesson, lock.clone()).await;
    }

    let began = Instant::now();
    let mut waiting = usize::MAX;
    while began.elapsed() < Duration::from_secs(6) && waiting > 0 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        waiting = 0;
        for lesson in &lessons {
            let now = lesson_now(&running, lesson).await;
            waiting += now
                .devices
                .iter()
                .filter(|d| {
                    d.state != LessonDeviceState::Acknowledged
                        || d.restrictions.screen_lock.is_none()
                })
                .count();
        }
    }

    assert!(
        devices >= 30,
        "the lessons cover at least 30 iPads, had {devices}"
    );
    assert_eq!(
        waiting, 0,
        "a push brings every online iPad in within seconds, not at its next check-in minutes later"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_answers_the_first_lesson_and_a_second_start_conflicts() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let body = json!({"classUuid": class.class.uuid, "durationMinutes": 45});
    let admin = admin(&running);

    let first = send(
        &running,
        paths::LESSONS,
        &class.org,
        &admin,
        Some("k1"),
        body.clone(),
    )
    .await;
    let repeat = send(
        &running,
        paths::LESSONS,
        &class.org,
        &admin,
        Some("k1"),
        body.clone(),
    )
    .await;
    let other = send(
        &running,
        paths::LESSONS,
        &class.org,
        &admin,
        Some("k2"),
        body.clone(),
    )
    .await;
    let keyless = send(&running, paths::LESSONS, &class.org, &admin, None, body).await;

    assert_eq!(first.status(), 201);
    let first: Lesson = first.json().await.unwrap();
    assert_eq!(
        repeat.status(),
        200,
        "a repeated create answers the lesson it made"
    );
    let repeat: Lesson = repeat.json().await.unwrap();
    assert_eq!(repeat.uuid, first.uuid, "and makes no second lesson");
    let (status, code, message) = error_of(other).await;
    assert_eq!(
        (status, code.as_str()),
        (409, lesson_error::RUNNING),
        "one lesson per class"
    );
    assert!(
        message.contains(&first.uuid),
        "the conflict names the running lesson: {message}"
    );
    assert_eq!(keyless.status(), 400, "a create needs an Idempotency-Key");
}

#[tokio::test]
async fn a_teacher_cannot_start_a_lesson_on_another_teachers_class() {
    let running = start(frozen(1)).await;
    let teacher = teacher(&running);
    let school = org_named(&running, &teacher.organisations[0]).await;
    let theirs = class_where(&running, |c| {
        c.org == school && !teacher.classes.contains(&c.class.uuid)
    })
    .await;
    let body = json!({"classUuid": theirs.class.uuid, "durationMinutes": 45});

    let refused = try_start(&running, &teacher.token, &theirs.org, body).await;

    let (status, code, message) = error_of(refused).await;
    assert_eq!((status, code.as_str()), (403, lesson_error::NOT_YOUR_CLASS));
    assert!(
        message.contains(&theirs.class.name),
        "the message names the class: {message}"
    );
    assert!(message.contains("coordinator"), "and who may: {message}");
}

#[tokio::test]
async fn a_teacher_teaches_their_own_class_and_sees_only_their_lessons() {
    let running = start(frozen(1)).await;
    let teacher = teacher(&running);
    let school = org_named(&running, &teacher.organisations[0]).await;
    let own = class_where(&running, |c| teacher.classes.contains(&c.class.uuid)).await;
    let other = class_where(&running, |c| {
        c.org == school && !teacher.classes.contains(&c.class.uuid)
    })
    .await;
    let body = json!({"classUuid": own.class.uuid, "durationMinutes": 45});

    let started = try_start(&running, &teacher.token, &school, body).await;
    let foreign = start_lesson(&running, &other, 45).await;
    let path = format!("{}?{}={school}", paths::LESSONS, paths::TENANT_PARAM);
    let listed: Page<Lesson> = get(&running, &path, &teacher.token)
        .await
        .json()
        .await
        .unwrap();
    let read_foreign = read(&running, &teacher.token, &foreign).await;
    let end_foreign = end(&running, &teacher.token, &foreign).await;

    assert_eq!(
        started.status(),
        201,
        "a teacher starts lessons on their own class"
    );
    let started: Lesson = started.json().await.unwrap();
    assert_eq!(
        started.teacher_login, teacher.login,
        "the lesson names its teacher"
    );
    let uuids: Vec<&str> = listed.results.iter().map(|l| l.uuid.as_str()).collect();
    assert_eq!(
        uuids,
        [started.uuid.as_str()],
        "a teacher lists only their classes' lessons"
    );
    assert_eq!(
        read_foreign.status(),
        403,
        "nor reads another class's lesson"
    );
    assert_eq!(end_foreign.status(), 403, "nor ends it");
}

#[tokio::test]
async fn a_school_admin_may_start_a_lesson_on_any_class_of_the_school() {
    let running = start(frozen(1)).await;
    let admin = running.user(Role::SchoolAdmin).unwrap().clone();
    let school = org_named(&running, &admin.organisations[0]).await;
    let classes = classes_of(&running, &admin.token, &school).await;

    let mut statuses = Vec::new();
    for class in &classes {
        let body = json!({"classUuid": class.uuid, "durationMinutes": 45});
        statuses.push(
            try_start(&running, &admin.token, &school, body)
                .await
                .status(),
        );
    }

    assert!(!classes.is_empty(), "the school has classes");
    assert!(
        statuses.iter().all(|s| *s == 201),
        "a coordinator teaches every class of their school: {statuses:?}"
    );
}

#[tokio::test]
async fn a_teachers_token_sees_only_their_classes_and_those_classes_devices() {
    let running = start(frozen(1)).await;
    let teacher = teacher(&running);
    let school = org_named(&running, &teacher.organisations[0]).await;
    let every = all_classes(&running).await;
    let own: Vec<&Class> = every
        .iter()
        .filter(|c| teacher.classes.contains(&c.class.uuid))
        .collect();
    let mut expected: HashSet<String> = own.iter().flat_map(|c| c.uuids()).collect();

    let classes = classes_of(&running, &teacher.token, &school).await;
    let seen: Vec<Device> = all_devices(&running, &school, &teacher.token, 100)
        .await
        .into_iter()
        .map(|d| serde_json::from_value(d).unwrap())
        .collect();
    let all_of_school = all_devices(&running, &school, &admin(&running), 1000).await;
    let outside = all_of_school
        .iter()
        .map(|d| d["uuid"].as_str().unwrap().to_owned())
        .find(|uuid| !seen.iter().any(|d| &d.uuid == uuid))
        .expect("the school has devices outside the teacher's classes");
    let apps_outside = post(
        &running,
        &paths::device_installed_apps(&outside),
        None,
        &teacher.token,
        json!({"limit": 10, "offset": 0}),
    )
    .await;

    let class_uuids: HashSet<&str> = classes.iter().map(|c| c.uuid.as_str()).collect();
    let taught: HashSet<&str> = teacher.classes.iter().map(String::as_str).collect();
    assert!(
        !taught.is_empty(),
        "the startup line lists the classes a teacher teaches"
    );
    assert_eq!(
        class_uuids, taught,
        "a teacher lists only the classes they teach"
    );
    let own_devices: Vec<&Device> = seen
        .iter()
        .filter(|d| d.user.as_ref().is_some_and(|u| u.login == teacher.login))
        .collect();
    expected.extend(own_devices.iter().map(|d| d.uuid.clone()));
    let seen_uuids: HashSet<String> = seen.iter().map(|d| d.uuid.clone()).collect();
    assert_eq!(
        seen_uuids, expected,
        "the classes' devices and the teacher's own iPad"
    );
    assert!(
        seen_uuids.len() < all_of_school.len(),
        "not the whole school"
    );
    assert_eq!(
        apps_outside.status(),
        403,
        "nor the apps of a device outside their classes"
    );
}

#[tokio::test]
async fn admins_still_see_every_class_and_device_of_their_schools() {
    let running = start(frozen(1)).await;
    let admin = running.user(Role::SchoolAdmin).unwrap().clone();
    let school = org_named(&running, &admin.organisations[0]).await;

    let as_admin = all_devices(&running, &school, &admin.token, 1000).await;
    let as_district = all_devices(
        &running,
        &school,
        &token(&running, Role::DistrictAdmin),
        1000,
    )
    .await;

    assert_eq!(
        as_admin.len(),
        as_district.len(),
        "a coordinator sees the whole school"
    );
    assert!(!classes_of(&running, &admin.token, &school).await.is_empty());
}

#[tokio::test]
async fn a_teachers_device_action_is_refused_with_a_pointer_to_lessons() {
    let running = start(frozen(1)).await;
    let teacher = teacher(&running);
    let own = class_where(&running, |c| teacher.classes.contains(&c.class.uuid)).await;
    let device = &own.devices[0].uuid;

    let refused = Client::new()
        .post(format!("{}{}", running.url, paths::device_actions(device)))
        .header(paths::TOKEN_HEADER, &teacher.token)
        .header(paths::IDEMPOTENCY_HEADER, "k")
        .json(&json!({"type": "DEVICE_LOCK"}))
        .send()
        .await
        .unwrap();

    let (status, code, message) = error_of(refused).await;
    assert_eq!(
        status, 403,
        "even on their own class, teachers act on devices in lessons only"
    );
    assert_eq!(code, lesson_error::TEACHER_NO_DEVICE_ACTIONS);
    assert!(
        message.contains("lesson"),
        "the message says where to go instead: {message}"
    );
}

#[tokio::test]
async fn the_list_holds_running_lessons_and_those_ended_in_the_last_12_hours() {
    let running = start(frozen(1)).await;
    let class = any_class(&running).await;
    let lesson = start_lesson(&running, &class, 45).await;
    let path = format!("{}?{}={}", paths::LESSONS, paths::TENANT_PARAM, class.org);
    let listed = |page: Page<Lesson>| page.results.into_iter().map(|l| l.uuid).collect::<Vec<_>>();

    let while_running = get(&running, &path, &admin(&running))
        .await
        .json()
        .await
        .unwrap();
    advance(&running, 45 + 11 * 60).await;
    let ended_recently = get(&running, &path, &admin(&running))
        .await
        .json()
        .await
        .unwrap();
    advance(&running, 2 * 60).await;
    let ended_long_ago = get(&running, &path, &admin(&running))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        listed(while_running),
        std::slice::from_ref(&lesson.uuid),
        "a running lesson is listed"
    );
    assert_eq!(
        listed(ended_recently),
        [lesson.uuid],
        "an ended one for 12 hours"
    );
    assert!(listed(ended_long_ago).is_empty(), "and then no longer");
}
