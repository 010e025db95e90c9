//! Lessons as docs/api.md describes them (section "Lessons"): start (safe to repeat with an
//! `Idempotency-Key`), list, read, commands, extend and end; and what a teacher's token may
//! see: only the classes the teacher teaches and those classes' devices.
//!
//! The server checks what it can know without the devices: rights, the duration, the class's
//! apps, the url, which devices belong to the class and the lesson. What a device can do
//! (single app mode needs supervision) it learns when the device checks in
//! (see [`crate::lessons`]).

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::SecondsFormat;
use koffer_api::{
    lesson_error, paths, ExtendLesson, Lesson, LessonCommand, LessonCommandBody, LessonState,
    QueryRequest, Role, SchoolClass, StartLesson, MAX_LESSON_MINUTES, MAX_LOCK_MESSAGE_CHARS,
};
use rand::seq::index;
use serde::de::DeserializeOwned;

use crate::action_api::idempotency_key;
use crate::api::{self, Answer, ListParams, TenantParams};
use crate::catalogue;
use crate::district::{Account, District, OrgIdx};
use crate::draw::{self, Purpose};
use crate::error::{json_response, ApiError};
use crate::fields::DeviceField;
use crate::inventory::{Device, Inventory};
use crate::lessons::{LessonId, NewLesson};
use crate::query::{self, DeviceSortKey, Predicate};
use crate::render;
use crate::state::Sim;
use crate::uuid::Uuid;
use crate::world::World;

/// Apps a seeded class has, at least and at most.
const CLASS_APPS: (usize, usize) = (5, 10);

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(paths::LESSONS, get(list_lessons).post(start_lesson))
        .route(&paths::lesson("{uuid}"), get(read_lesson))
        .route(&paths::lesson_commands("{uuid}"), post(command_lesson))
        .route(&paths::lesson_extend("{uuid}"), post(extend_lesson))
        .route(&paths::lesson_end("{uuid}"), post(end_lesson))
}

/// `GET /sim/lessons`: never faulted, no token.
pub fn sim_routes() -> Router<Arc<Sim>> {
    Router::new().route(paths::SIM_LESSONS, get(sim_lessons))
}

async fn start_lesson(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let org = api::tenant(&world.district, &headers, params.tenant.as_deref())?;
    let account = api::signed_in(&world.district, &headers)?.clone();
    let key = idempotency_key(&headers)?;
    let start: StartLesson = decode(body)?;
    if let Some(id) = world.lessons.by_key(org, &key) {
        return Ok(api::ok(world.lessons.lesson(id)));
    }

    check_duration(start.duration_minutes, "durationMinutes")?;
    let class = class_in(&world.district, org, &start.class_uuid)?.clone();
    may_teach(&account, &class)?;
    if let Some(running) = world.lessons.running_on(&class.uuid) {
        return Err(already_running(world.lessons.lesson(running)));
    }
    let devices = lesson_devices(&world.district, org, &class, &start.device_uuids)?;

    let new = NewLesson {
        org,
        organization_uuid: world.district.organisations[org].uuid().to_owned(),
        class_uuid: class.uuid.clone(),
        class_name: class.name,
        teacher_login: account.login,
        devices,
        minutes: start.duration_minutes,
        key,
        at: now,
    };
    let (id, devices) = world.lessons.start(new);
    world.push_lesson(&devices, now);
    let lesson = world.lessons.lesson(id);
    Ok(json_response(StatusCode::CREATED, render::to_json(lesson)))
}

async fn list_lessons(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let org = api::tenant(district, &headers, params.tenant.as_deref())?;
    let account = api::signed_in(district, &headers)?;

    let lessons: Vec<&Lesson> = world
        .lessons
        .listed(org, sim.clock.now())
        .map(|id| world.lessons.lesson(id))
        .filter(|lesson| teaches_lesson(district, account, org, lesson))
        .collect();
    api::list(&lessons, &params)
}

async fn read_lesson(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let (id, _) = lesson_for(&world, &headers, params.tenant.as_deref(), uuid)?;
    Ok(api::ok(world.lessons.lesson(id)))
}

async fn command_lesson(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let (id, class) = lesson_for(&world, &headers, params.tenant.as_deref(), uuid)?;
    let key = optional_key(&headers)?;
    let LessonCommandBody {
        command,
        device_uuids,
    } = decode(body)?;
    if key
        .as_ref()
        .is_some_and(|k| world.lessons.saw_command_key(id, k))
    {
        return Ok(api::ok(world.lessons.lesson(id)));
    }

    still_running(world.lessons.lesson(id))?;
    check_command(&command, &class)?;
    let devices = command_devices(&world, id, &device_uuids)?;

    let changed = world.lessons.command(id, &command, &devices, key, now);
    world.push_lesson(&changed, now);
    Ok(api::ok(world.lessons.lesson(id)))
}

async fn extend_lesson(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let (id, _) = lesson_for(&world, &headers, params.tenant.as_deref(), uuid)?;
    let key = optional_key(&headers)?;
    let ExtendLesson { minutes } = decode(body)?;
    if key
        .as_ref()
        .is_some_and(|k| world.lessons.saw_command_key(id, k))
    {
        return Ok(api::ok(world.lessons.lesson(id)));
    }

    let lesson = world.lessons.lesson(id);
    still_running(lesson)?;
    if minutes == 0 {
        let message = "minutes must be 1 or more";
        return Err(coded(
            StatusCode::BAD_REQUEST,
            lesson_error::DURATION,
            message,
        ));
    }
    let planned = (lesson.end_date - lesson.start_date).num_minutes();
    let total = planned + i64::from(minutes);
    if total > i64::from(MAX_LESSON_MINUTES) {
        let message = format!(
            "the lesson would last {total} minutes with {minutes} more; a lesson lasts at most \
             {MAX_LESSON_MINUTES} minutes (a school day), so it can be extended by at most {} \
             minutes",
            i64::from(MAX_LESSON_MINUTES) - planned
        );
        return Err(coded(
            StatusCode::BAD_REQUEST,
            lesson_error::DURATION,
            message,
        ));
    }

    world.lessons.extend(id, minutes, key, now);
    Ok(api::ok(world.lessons.lesson(id)))
}

async fn end_lesson(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let (id, _) = lesson_for(&world, &headers, params.tenant.as_deref(), uuid)?;

    let lifted = world
        .lessons
        .end(id, koffer_api::EndReason::EndedByTeacher, now);
    world.push_lesson(&lifted, now);
    Ok(api::ok(world.lessons.lesson(id)))
}

async fn sim_lessons(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.current();
    api::ok(&world.lessons.applied())
}

/// The lesson the path names in the request's organisation, after checking that the token may
/// teach its class; answers the class too.
fn lesson_for(
    world: &World,
    headers: &HeaderMap,
    tenant: Option<&str>,
    uuid: Result<Path<String>, PathRejection>,
) -> Result<(LessonId, SchoolClass), ApiError> {
    let district = &world.district;
    let org = api::tenant(district, headers, tenant)?;
    let account = api::signed_in(district, headers)?;
    let not_found = || ApiError::not_found("no such lesson in this organisation");
    let Path(uuid) = uuid.map_err(|_| not_found())?;
    let id = world
        .lessons
        .by_uuid(&uuid)
        .filter(|&id| world.lessons.org_of(id) == org)
        .ok_or_else(not_found)?;
    let lesson = world.lessons.lesson(id);
    let class = class_in(district, org, &lesson.class_uuid)?;
    may_teach(account, class)?;
    Ok((id, class.clone()))
}

/// Teachers teach the classes they are a teacher of; school and district admins every class of
/// the organisations they have rights on (the caller checked those).
fn may_teach(account: &Account, class: &SchoolClass) -> Result<(), ApiError> {
    if teaches(account, class) {
        return Ok(());
    }
    let message = format!(
        "you do not teach class {}: only its teachers ({}) or a school coordinator can teach \
         lessons on it",
        class.name,
        teacher_names(class)
    );
    Err(coded(
        StatusCode::FORBIDDEN,
        lesson_error::NOT_YOUR_CLASS,
        message,
    ))
}

fn teaches(account: &Account, class: &SchoolClass) -> bool {
    match account.role {
        Role::Teacher => class.teachers.iter().any(|t| t.login == account.login),
        Role::SchoolAdmin | Role::DistrictAdmin => true,
        Role::Other => false,
    }
}

fn teaches_lesson(district: &District, account: &Account, org: OrgIdx, lesson: &Lesson) -> bool {
    class_in(district, org, &lesson.class_uuid).is_ok_and(|class| teaches(account, class))
}

fn teacher_names(class: &SchoolClass) -> String {
    let names: Vec<&str> = class
        .teachers
        .iter()
        .map(|t| t.display_name.as_str())
        .collect();
    names.join(", ")
}

fn class_in<'a>(
    district: &'a District,
    org: OrgIdx,
    uuid: &str,
) -> Result<&'a SchoolClass, ApiError> {
    district.organisations[org]
        .classes
        .iter()
        .find(|class| class.uuid == uuid)
        .ok_or_else(|| ApiError::not_found(format!("no class {uuid} in this organisation")))
}

fn check_duration(minutes: u32, field: &str) -> Result<(), ApiError> {
    if (1..=MAX_LESSON_MINUTES).contains(&minutes) {
        return Ok(());
    }
    let message =
        format!("{field} must be 1 to {MAX_LESSON_MINUTES} minutes (a school day), was {minutes}");
    Err(coded(
        StatusCode::BAD_REQUEST,
        lesson_error::DURATION,
        message,
    ))
}

fn already_running(lesson: &Lesson) -> ApiError {
    let message = format!(
        "class {} already has a running lesson {} (started by {}, ends {}); end it or send \
         commands to it",
        lesson.class_name,
        lesson.uuid,
        lesson.teacher_login,
        lesson.end_date.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    coded(StatusCode::CONFLICT, lesson_error::RUNNING, message)
}

fn still_running(lesson: &Lesson) -> Result<(), ApiError> {
    if lesson.state == LessonState::Running {
        return Ok(());
    }
    let message = format!(
        "the lesson {} on class {} has ended ({}); start a new lesson",
        lesson.uuid,
        lesson.class_name,
        lesson.end_date.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    Err(coded(StatusCode::CONFLICT, lesson_error::ENDED, message))
}

/// The command's own values: the lock message's length, the url's scheme, the class's apps.
fn check_command(command: &LessonCommand, class: &SchoolClass) -> Result<(), ApiError> {
    match command {
        LessonCommand::LockScreen { message } => {
            let length = message.chars().count();
            if length > MAX_LOCK_MESSAGE_CHARS {
                let text = format!(
                    "message must be at most {MAX_LOCK_MESSAGE_CHARS} characters, was {length}"
                );
                return Err(bad(lesson_error::MESSAGE_TOO_LONG, text));
            }
            Ok(())
        }
        LessonCommand::AppLock { bundle_id } => class_app(class, bundle_id),
        LessonCommand::AllowApps { bundle_ids } => {
            if bundle_ids.is_empty() {
                let text = "bundleIds must name at least one app; ALLOW_ALL_APPS lifts the limit";
                return Err(bad(lesson_error::APP_NOT_IN_CLASS, text));
            }
            bundle_ids.iter().try_for_each(|id| class_app(class, id))
        }
        LessonCommand::OpenWebPage { url } => web_url(url),
        LessonCommand::UnlockScreen
        | LessonCommand::ReleaseAppLock
        | LessonCommand::AllowAllApps => Ok(()),
    }
}

fn class_app(class: &SchoolClass, bundle_id: &str) -> Result<(), ApiError> {
    if class.apps.iter().any(|app| app == bundle_id) {
        return Ok(());
    }
    let message = format!(
        "the app {bundle_id} is not one of class {}'s apps ({})",
        class.name,
        class.apps.join(", ")
    );
    Err(bad(lesson_error::APP_NOT_IN_CLASS, message))
}

/// An absolute http or https url with a host.
fn web_url(url: &str) -> Result<(), ApiError> {
    let lower = url.to_ascii_lowercase();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let fits = host.is_some_and(|host| !host.is_empty())
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if fits {
        return Ok(());
    }
    let message =
        format!("url must be an http or https address such as https://example.org, was '{url}'");
    Err(bad(lesson_error::BAD_URL, message))
}

/// The devices of the start request, all of the class; every device of the class when none
/// are named.
fn lesson_devices(
    district: &District,
    org: OrgIdx,
    class: &SchoolClass,
    named: &[String],
) -> Result<Vec<Uuid>, ApiError> {
    let of_class = class_devices(district, org, class);
    if named.is_empty() {
        return Ok(of_class);
    }
    let mut devices = Vec::with_capacity(named.len());
    for text in named {
        let device = Uuid::parse(text).filter(|uuid| of_class.contains(uuid));
        let Some(device) = device else {
            let message = format!("the device {text} is not a device of class {}", class.name);
            return Err(bad(lesson_error::DEVICE_NOT_IN_CLASS, message));
        };
        if !devices.contains(&device) {
            devices.push(device);
        }
    }
    Ok(devices)
}

/// The devices of the command, all of the lesson; every device of the lesson when none are
/// named.
fn command_devices(world: &World, id: LessonId, named: &[String]) -> Result<Vec<Uuid>, ApiError> {
    if named.is_empty() {
        return Ok(world.lessons.devices(id));
    }
    named
        .iter()
        .map(|text| {
            Uuid::parse(text)
                .filter(|&uuid| world.lessons.has_device(id, uuid))
                .ok_or_else(|| {
                    let message = format!("the device {text} is not a device of this lesson");
                    bad(lesson_error::DEVICE_NOT_IN_LESSON, message)
                })
        })
        .collect()
}

/// A class's devices: its students' own iPads, then its case's iPads.
pub fn class_devices(district: &District, org: OrgIdx, class: &SchoolClass) -> Vec<Uuid> {
    let mut devices = student_devices(district, org, class);
    let case: HashSet<usize> = case_group(district, org, class).into_iter().collect();
    for device in in_groups(district, org, &case) {
        if !devices.contains(&device) {
            devices.push(device);
        }
    }
    devices
}

fn student_devices(district: &District, org: OrgIdx, class: &SchoolClass) -> Vec<Uuid> {
    class
        .students
        .iter()
        .filter_map(|student| student.device_uuid.as_deref())
        .filter_map(Uuid::parse)
        .filter(|&uuid| district.inventory.get_in(org, uuid).is_some())
        .collect()
}

/// The index of the class's case among the organisation's device groups.
fn case_group(district: &District, org: OrgIdx, class: &SchoolClass) -> Option<usize> {
    let groups = &district.organisations[org].groups;
    let uuid = class.case_group_uuid.as_ref()?;
    groups.iter().position(|group| &group.uuid == uuid)
}

/// The organisation's devices in any of these groups, in one pass over them.
fn in_groups<'a>(
    district: &'a District,
    org: OrgIdx,
    groups: &'a HashSet<usize>,
) -> impl Iterator<Item = Uuid> + 'a {
    district
        .inventory
        .of_org(org)
        .filter(move |device| {
            device
                .groups
                .iter()
                .any(|&g| groups.contains(&usize::from(g)))
        })
        .map(|device| device.uuid)
}

/// The classes of `org` the account sees: a teacher the classes they teach, others all.
pub fn visible_classes<'a>(
    district: &'a District,
    account: &Account,
    org: OrgIdx,
) -> Vec<&'a SchoolClass> {
    district.organisations[org]
        .classes
        .iter()
        .filter(|class| account.role != Role::Teacher || teaches(account, class))
        .collect()
}

/// The devices of `org` a teacher's token sees: their classes' devices and their own iPads.
/// `None` for other roles, which see every device of the organisations they have rights on.
pub fn teacher_scope(district: &District, account: &Account, org: OrgIdx) -> Option<HashSet<Uuid>> {
    if account.role != Role::Teacher {
        return None;
    }
    let classes = visible_classes(district, account, org);
    let cases: HashSet<usize> = classes
        .iter()
        .filter_map(|class| case_group(district, org, class))
        .collect();
    let mut scope: HashSet<Uuid> = classes
        .iter()
        .flat_map(|class| student_devices(district, org, class))
        .chain(in_groups(district, org, &cases))
        .collect();
    let own = district.inventory.of_org(org).filter(|device| {
        device
            .user
            .is_some_and(|person| district.person(person).login == account.login)
    });
    scope.extend(own.map(|device| device.uuid));
    Some(scope)
}

/// The page of the device query within a teacher's scope.
pub fn select_scoped<'a>(
    inventory: &'a Inventory,
    org: OrgIdx,
    scope: &HashSet<Uuid>,
    predicate: Option<&Predicate<DeviceField>>,
    sort: &[DeviceSortKey],
    request: &QueryRequest,
) -> (Vec<&'a Device>, Option<u64>) {
    let mut matching: Vec<&Device> = inventory
        .of_org(org)
        .filter(|device| scope.contains(&device.uuid))
        .filter(|device| query::matches_optional(predicate, *device))
        .collect();
    if !sort.is_empty() {
        matching.sort_by(|a, b| query::compare_devices(a, b, sort));
    }
    query::window(
        matching.into_iter(),
        request.offset,
        request.limit,
        request.get_nonpaged_count,
    )
}

/// Teachers get 403 on a device outside their classes.
pub fn teacher_may_see(
    district: &District,
    account: &Account,
    device: &Device,
) -> Result<(), ApiError> {
    match teacher_scope(district, account, device.org) {
        Some(scope) if !scope.contains(&device.uuid) => Err(ApiError::forbidden(
            "a teacher sees only the devices of the classes they teach",
        )),
        _ => Ok(()),
    }
}

/// Each class of every school gets 5 to 10 of the school's student apps from its catalogue,
/// drawn from the seed and the class, so that the rest of the seed stays as it was.
pub fn seed_class_apps(district: &mut District, seed: u64) {
    for org in district.schools() {
        let organisation = &mut district.organisations[org];
        let pool: HashSet<&str> = organisation
            .app_pool
            .iter()
            .map(|&app| catalogue::app_entry(app).bundle_id)
            .collect();
        let mut offered: Vec<String> = organisation
            .catalogue
            .iter()
            .map(|app| app.bundle_id.clone())
            .filter(|bundle_id| pool.contains(bundle_id.as_str()))
            .collect();
        if offered.len() < CLASS_APPS.0 {
            offered = organisation
                .catalogue
                .iter()
                .map(|app| app.bundle_id.clone())
                .collect();
        }
        for class in &mut organisation.classes {
            class.apps = class_apps(seed, &class.uuid, &offered);
        }
    }
}

fn class_apps(seed: u64, class_uuid: &str, offered: &[String]) -> Vec<String> {
    let parts = [draw::text_part(class_uuid)];
    let mut rng = draw::stream(seed, Purpose::ClassApps, &parts);
    let (low, high) = CLASS_APPS;
    let count = (low + (draw::hash(seed, Purpose::ClassApps, &parts) as usize) % (high - low + 1))
        .min(offered.len());
    let mut chosen: Vec<usize> = index::sample(&mut rng, offered.len(), count).into_vec();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| offered[i].clone()).collect()
}

/// The uuids of the classes a login teaches in an organisation, for the startup line.
pub fn classes_taught(district: &District, org: OrgIdx, login: &str) -> Vec<String> {
    district.organisations[org]
        .classes
        .iter()
        .filter(|class| class.teachers.iter().any(|t| t.login == login))
        .map(|class| class.uuid.clone())
        .collect()
}

fn optional_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    if headers.contains_key(paths::IDEMPOTENCY_HEADER) {
        return idempotency_key(headers).map(Some);
    }
    Ok(None)
}

/// The body as `T`; an empty body reads as `{}`, so that defaults apply.
fn decode<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body does not decode: {e}")))
}

fn coded(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::coded(status, code, message)
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    coded(StatusCode::BAD_REQUEST, code, message)
}
