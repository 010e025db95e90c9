//! Policies, licences and enrolment over real HTTP: versions and their publish state, copying
//! a template into a school, publishing, device licences, DEP profiles, the VPP check before an
//! install, and the compliance state the server itself reports at check-in.

mod common;

use common::*;
use koffer_api::{
    error_code, paths, Action, CatalogApp, ComplianceState, DepProfile, Device, ErrorBody,
    InstalledApp, LicenceCounts, Page, Policy, Role,
};
use koffer_sim::Running;
use reqwest::{Client, Response};
use serde_json::{json, Value};

const NORD: &str = "Gesamtschule Nord";
const STADTPARK: &str = "Gymnasium am Stadtpark";
const LINDENWEG: &str = "Grundschule Lindenweg";
const TEMPLATES: &str = "Vorlagen";

const STUDENTS: &str = "Schüler-iPads";
const LESSONS: &str = "Unterricht mit Zeitfenster";
const EXAMS: &str = "Prüfungsmodus";

async fn admin(running: &Running) -> String {
    token(running, Role::DistrictAdmin)
}

async fn policies(running: &Running, org: &str) -> Vec<Policy> {
    let path = format!(
        "{}?{}={org}&limit=1000",
        paths::POLICIES,
        paths::TENANT_PARAM
    );
    let answer = get(running, &path, &admin(running).await).await;
    assert_eq!(answer.status(), 200, "the policies are listed");
    answer.json::<Page<Policy>>().await.unwrap().results
}

async fn template(running: &Running, name: &str) -> Policy {
    let templates = org_named(running, TEMPLATES).await;
    policies(running, &templates)
        .await
        .into_iter()
        .find(|p| p.name == name)
        .expect("the template is seeded")
}

async fn copy_in(running: &Running, school: &str, template: &Policy) -> Option<Policy> {
    policies(running, school)
        .await
        .into_iter()
        .find(|p| p.template_uuid.as_deref() == Some(&template.uuid))
}

async fn copy(
    running: &Running,
    token: &str,
    school: &str,
    template: &str,
    expected: (u32, Option<u32>),
) -> Response {
    let body = json!({"expectedTemplateVersion": expected.0, "expectedTargetVersion": expected.1});
    post(
        running,
        &paths::policy_copy(template),
        Some(school),
        token,
        body,
    )
    .await
}

async fn publish(running: &Running, org: &str, policy: &str, version: u32) -> Response {
    let body = json!({"version": version});
    let token = admin(running).await;
    post(
        running,
        &paths::policy_publish(policy),
        Some(org),
        &token,
        body,
    )
    .await
}

async fn error_code_of(answer: Response) -> String {
    answer.json::<ErrorBody>().await.unwrap().error_code
}

async fn bump(running: &Running, policy: &str, body: Value) -> Policy {
    let answer = sim_post(running, &format!("/sim/policies/{policy}/bump"), body).await;
    assert_eq!(
        answer.status(),
        200,
        "any policy can be changed on the server"
    );
    answer.json().await.unwrap()
}

async fn devices_of(running: &Running, school: &str) -> Vec<Device> {
    let token = admin(running).await;
    all_devices(running, school, &token, 1000)
        .await
        .into_iter()
        .map(|d| serde_json::from_value(d).unwrap())
        .collect()
}

async fn device_now(running: &Running, device: &Device) -> Device {
    devices_of(running, &device.organization_uuid)
        .await
        .into_iter()
        .find(|d| d.uuid == device.uuid)
        .expect("the device is still enrolled")
}

async fn installed(running: &Running, device: &str) -> Vec<String> {
    let token = admin(running).await;
    let body = json!({"limit": 1000, "offset": 0});
    let path = paths::device_installed_apps(device);
    let answer = post(running, &path, None, &token, body).await;
    let page: Page<InstalledApp> = answer.json().await.unwrap();
    page.results.into_iter().map(|app| app.bundle_id).collect()
}

async fn catalogue(running: &Running, org: &str) -> Vec<CatalogApp> {
    let path = format!("{}?{}={org}&limit=1000", paths::APPS, paths::TENANT_PARAM);
    let answer = get(running, &path, &admin(running).await).await;
    answer.json::<Page<CatalogApp>>().await.unwrap().results
}

async fn create_action(running: &Running, device: &str, body: Value) -> Response {
    Client::new()
        .post(format!("{}{}", running.url, paths::device_actions(device)))
        .header(paths::TOKEN_HEADER, admin(running).await)
        .header(paths::IDEMPOTENCY_HEADER, format!("{device}-{body}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn install(bundle_id: &str) -> Value {
    json!({"type": "INSTALL_APP", "parameters": {"bundleId": bundle_id}})
}

async fn check_in(running: &Running, device: &str) -> Vec<Action> {
    let answer = sim_post(
        running,
        &format!("/sim/devices/{device}/check-in"),
        json!({}),
    )
    .await;
    assert_eq!(answer.status(), 200, "a known device checks in");
    answer.json().await.unwrap()
}

/// Checks the device in until the action is done (a device now and then answers NOT_NOW).
async fn settle(running: &Running, action: &Action) -> Action {
    for _ in 0..10 {
        let all: Vec<Action> =
            serde_json::from_value(sim_get(running, "/sim/actions").await).expect("actions decode");
        let now = all.into_iter().find(|a| a.uuid == action.uuid).unwrap();
        if now.state.is_final() {
            return now;
        }
        check_in(running, &action.device_uuid).await;
    }
    panic!("ten check-ins end an action of an idle device");
}

#[tokio::test]
async fn policies_answer_every_version_oldest_first_with_the_newest_on_top() {
    let running = start(frozen(1)).await;
    let stadtpark = org_named(&running, STADTPARK).await;

    let listed = policies(&running, &stadtpark).await;

    for policy in &listed {
        let numbers: Vec<u32> = policy.versions.iter().map(|v| v.version).collect();
        let expected: Vec<u32> = (1..=policy.version).collect();
        assert_eq!(
            numbers, expected,
            "{}: every version, oldest first",
            policy.name
        );
        let newest = policy.versions.last().unwrap();
        assert_eq!(
            (newest.published, &newest.configurations),
            (policy.published, &policy.configurations),
            "{}: the top level is the newest version",
            policy.name
        );
    }
    let lessons = listed.iter().find(|p| p.name == LESSONS).unwrap();
    assert!(
        !lessons.published,
        "the lessons copy has a newer unpublished version"
    );
    let effective = lessons
        .newest_published()
        .expect("an older version is published");
    assert_eq!(
        effective.version,
        lessons.version - 1,
        "the one before takes effect"
    );
}

#[tokio::test]
async fn copies_differ_from_their_templates_as_the_seed_lays_out() {
    let running = start(frozen(1)).await;
    let students = template(&running, STUDENTS).await;
    let exams = template(&running, EXAMS).await;
    let (nord, stadtpark) = (
        org_named(&running, NORD).await,
        org_named(&running, STADTPARK).await,
    );

    let same = copy_in(&running, &nord, &students).await.unwrap();
    let changed = copy_in(&running, &stadtpark, &students).await.unwrap();
    let missing = copy_in(&running, &stadtpark, &exams).await;

    let kinds = |p: &Policy| {
        p.configurations
            .iter()
            .map(|c| c.kind.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        same.configurations, students.configurations,
        "Nord's copy is the template"
    );
    assert_eq!(
        kinds(&students),
        ["APP_COMPLIANCE", "RESTRICTIONS", "WIFI", "WEB_CLIP"],
        "the template holds other kinds with their values"
    );
    assert!(
        !kinds(&changed).contains(&"WEB_CLIP".to_owned()),
        "Stadtpark removed the web clip"
    );
    let wifi = changed
        .configurations
        .iter()
        .find(|c| c.kind == "WIFI")
        .unwrap();
    assert_ne!(
        wifi.values["ssid"], "Schulnetz",
        "and changed the Wi-Fi name"
    );
    assert!(
        missing.is_none(),
        "Stadtpark has no copy of the exam template"
    );
}

#[tokio::test]
async fn copying_a_template_makes_a_new_unpublished_version_of_the_schools_copy() {
    let running = start(frozen(1)).await;
    let token = admin(&running).await;
    let stadtpark = org_named(&running, STADTPARK).await;
    let template = template(&running, STUDENTS).await;
    let before = copy_in(&running, &stadtpark, &template).await.unwrap();

    let answer = copy(
        &running,
        &token,
        &stadtpark,
        &template.uuid,
        (template.version, Some(before.version)),
    )
    .await;

    assert_eq!(answer.status(), 200, "the copy is accepted");
    let copied: Policy = answer.json().await.unwrap();
    assert_eq!(
        copied.uuid, before.uuid,
        "the school's copy, not another policy"
    );
    assert_eq!(copied.version, before.version + 1, "a new version");
    assert!(!copied.published, "which waits to be published");
    assert_eq!(
        copied.configurations, template.configurations,
        "holding the template's"
    );
    assert_eq!(copied.group_uuids, before.group_uuids, "on the same groups");
    assert_eq!(
        copied.newest_published().map(|v| v.version),
        Some(before.version),
        "until then the old version takes effect"
    );
    let listed = copy_in(&running, &stadtpark, &template).await.unwrap();
    assert_eq!(listed, copied, "the policies list answers the new version");
}

#[tokio::test]
async fn copying_into_a_school_without_a_copy_makes_an_unpublished_version_one() {
    let running = start(frozen(1)).await;
    let token = admin(&running).await;
    let stadtpark = org_named(&running, STADTPARK).await;
    let template = template(&running, EXAMS).await;

    let answer = copy(
        &running,
        &token,
        &stadtpark,
        &template.uuid,
        (template.version, None),
    )
    .await;

    assert_eq!(answer.status(), 200, "a first copy is accepted");
    let copied: Policy = answer.json().await.unwrap();
    assert_eq!(
        (copied.version, copied.published),
        (1, false),
        "version 1, unpublished"
    );
    assert_eq!(
        copied.template_uuid.as_deref(),
        Some(template.uuid.as_str())
    );
    assert_eq!(copied.organization_uuid, stadtpark, "in the school");
    assert!(copied.group_uuids.is_empty(), "on no groups yet");
    assert_eq!(
        copied.time_windows, template.time_windows,
        "with the template's windows"
    );
}

#[tokio::test]
async fn a_copy_is_refused_when_the_template_or_the_copy_changed_since_the_preview() {
    let running = start(frozen(1)).await;
    let token = admin(&running).await;
    let nord = org_named(&running, NORD).await;
    let template = template(&running, STUDENTS).await;
    let before = copy_in(&running, &nord, &template).await.unwrap();
    let bumped = bump(&running, &template.uuid, json!({})).await;

    let stale = copy(
        &running,
        &token,
        &nord,
        &template.uuid,
        (template.version, Some(before.version)),
    )
    .await;
    let wrong_target = copy(
        &running,
        &token,
        &nord,
        &template.uuid,
        (bumped.version, Some(before.version + 7)),
    )
    .await;

    assert_eq!(
        bumped.version,
        template.version + 1,
        "the bump appends a version"
    );
    assert_ne!(
        bumped.configurations, template.configurations,
        "that differs"
    );
    assert_eq!(
        stale.status(),
        409,
        "the template moved on since the preview"
    );
    assert_eq!(error_code_of(stale).await, error_code::POLICY_CHANGED);
    assert_eq!(
        wrong_target.status(),
        409,
        "the copy is not at the version expected"
    );
    assert_eq!(
        error_code_of(wrong_target).await,
        error_code::POLICY_CHANGED
    );
    let after = copy_in(&running, &nord, &template).await.unwrap();
    assert_eq!(after, before, "a refused copy changes nothing");
}

#[tokio::test]
async fn a_copy_needs_rights_on_a_school_and_a_template() {
    let running = start(frozen(1)).await;
    let district_admin = admin(&running).await;
    let nord_admin = running
        .users
        .iter()
        .find(|u| u.role == Role::SchoolAdmin && u.organisations == [NORD])
        .unwrap()
        .token
        .clone();
    let (nord, stadtpark) = (
        org_named(&running, NORD).await,
        org_named(&running, STADTPARK).await,
    );
    let district = org_named(&running, "Schulverwaltungsamt Musterstadt").await;
    let template = template(&running, EXAMS).await;
    let not_a_template = policies(&running, &nord).await.remove(0);
    let expected = (template.version, None);

    let foreign = copy(&running, &nord_admin, &stadtpark, &template.uuid, expected).await;
    let unknown = copy(&running, &district_admin, &stadtpark, &stadtpark, expected).await;
    let own_policy = copy(
        &running,
        &district_admin,
        &stadtpark,
        &not_a_template.uuid,
        expected,
    );
    let own_policy = own_policy.await;
    let into_district = copy(
        &running,
        &district_admin,
        &district,
        &template.uuid,
        expected,
    )
    .await;

    assert_eq!(
        foreign.status(),
        403,
        "a school admin has no rights on another school"
    );
    assert_eq!(unknown.status(), 404, "no such template");
    assert_eq!(own_policy.status(), 400, "a school's policy is no template");
    assert_eq!(
        into_district.status(),
        400,
        "templates are copied into schools only"
    );
}

#[tokio::test]
async fn publishing_the_newest_version_makes_it_take_effect() {
    let running = start(frozen(1)).await;
    let nord = org_named(&running, NORD).await;
    let exams = copy_in(&running, &nord, &template(&running, EXAMS).await)
        .await
        .unwrap();

    let older = publish(&running, &nord, &exams.uuid, exams.version + 1).await;
    let answer = publish(&running, &nord, &exams.uuid, exams.version).await;

    assert!(!exams.published, "Nord's exam copy was never published");
    assert_eq!(
        older.status(),
        409,
        "only the newest version can be published"
    );
    assert_eq!(error_code_of(older).await, error_code::POLICY_CHANGED);
    assert_eq!(answer.status(), 200, "the newest version is published");
    let published: Policy = answer.json().await.unwrap();
    assert!(published.published && published.versions.last().unwrap().published);
    assert_eq!(
        published.newest_published().map(|v| v.version),
        Some(exams.version),
        "and takes effect"
    );
}

#[tokio::test]
async fn licence_counts_follow_the_schools_devices() {
    let running = start(frozen(1)).await;
    let token = admin(&running).await;

    for (name, short) in [(NORD, false), (LINDENWEG, true)] {
        let school = org_named(&running, name).await;
        let path = format!("{}?{}={school}", paths::LICENSES, paths::TENANT_PARAM);
        let answer = get(&running, &path, &token).await;
        assert_eq!(answer.status(), 200, "the licence counts answer");
        let counts: LicenceCounts = answer.json().await.unwrap();

        let devices = devices_of(&running, &school).await.len() as u32;
        assert_eq!(counts.organization_uuid, school);
        assert_eq!(
            counts.device_licenses_used, devices,
            "{name}: every device uses one"
        );
        assert_eq!(
            counts.device_licenses_assigned < counts.device_licenses_used,
            short,
            "{name}: Lindenweg has fewer licences than devices, Nord a margin"
        );
    }
}

#[tokio::test]
async fn dep_profiles_are_paged_and_count_the_devices_enrolled_with_them() {
    let running = start(frozen(1)).await;
    let token = admin(&running).await;
    let nord = org_named(&running, NORD).await;
    let path = |limit: u32| {
        format!(
            "{}?{}={nord}&limit={limit}",
            paths::DEP_PROFILES,
            paths::TENANT_PARAM
        )
    };

    let all: Page<DepProfile> = get(&running, &path(100), &token)
        .await
        .json()
        .await
        .unwrap();
    let first: Page<DepProfile> = get(&running, &path(1), &token).await.json().await.unwrap();

    let names: Vec<&str> = all.results.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["Koffer-iPads", "Lehrkräfte-iPads", "Schüler-iPads (1:1)"]
    );
    assert_eq!(first.results.len(), 1, "paged like the other lists");
    assert_eq!(first.nonpaged_count, Some(3));
    let dep = devices_of(&running, &nord)
        .await
        .iter()
        .filter(|d| d.enrollment_type == "DEP")
        .count() as u32;
    let counted: u32 = all.results.iter().map(|p| p.devices).sum();
    assert_eq!(
        counted, dep,
        "each device enrolled automatically counts for one profile"
    );
    assert!(
        all.results.iter().all(|p| p.supervised),
        "school iPads are supervised"
    );
}

#[tokio::test]
async fn an_install_without_a_licence_left_is_refused_and_leaves_the_count() {
    let running = start(frozen(1)).await;
    let nord = org_named(&running, NORD).await;
    let without = "com.apple.classroom";
    let device = devices_of(&running, &nord)
        .await
        .into_iter()
        .find(|d| d.supervised && d.user.is_none())
        .expect("a case iPad");
    let before = catalogue(&running, &nord).await;

    let answer = create_action(&running, &device.uuid, install(without)).await;

    assert_eq!(answer.status(), 409, "no licence of Classroom is left");
    let error: ErrorBody = answer.json().await.unwrap();
    assert_eq!(error.error_code, error_code::NO_LICENSES_LEFT);
    assert!(
        error.message.starts_with("No licence left"),
        "{}",
        error.message
    );
    assert_eq!(
        catalogue(&running, &nord).await,
        before,
        "the counts are untouched"
    );
    let actions = sim_get(&running, "/sim/actions").await;
    assert_eq!(actions, json!([]), "and no action was queued");
}

#[tokio::test]
async fn an_app_outside_the_catalogue_is_refused_at_once() {
    let running = start(frozen(1)).await;
    let device = devices_of(&running, &org_named(&running, NORD).await)
        .await
        .remove(0);

    let answer = create_action(&running, &device.uuid, install("com.burbn.instagram")).await;

    assert_eq!(
        answer.status(),
        400,
        "the catalogue decides what can be installed"
    );
    assert_eq!(
        error_code_of(answer).await,
        error_code::APP_NOT_IN_CATALOGUE
    );
}

#[tokio::test]
async fn an_acknowledged_install_assigns_a_licence_and_the_device_lists_the_app() {
    let running = start(frozen(1)).await;
    let nord = org_named(&running, NORD).await;
    let before = catalogue(&running, &nord).await;
    let mut found = None;
    for device in devices_of(&running, &nord)
        .await
        .into_iter()
        .filter(|d| d.supervised)
    {
        let apps = installed(&running, &device.uuid).await;
        let spare = before.iter().find(|a| {
            a.vpp_licenses_assigned < a.vpp_licenses_total && !apps.contains(&a.bundle_id)
        });
        if let Some(spare) = spare {
            found = Some((device, spare.clone()));
            break;
        }
    }
    let (device, app) = found.expect("a device lacks an app with licences left");

    let answer = create_action(&running, &device.uuid, install(&app.bundle_id)).await;
    assert_eq!(answer.status(), 201, "a licence is left");
    let done = settle(&running, &answer.json().await.unwrap()).await;

    assert_eq!(done.error_message, None, "the device installs it");
    assert!(installed(&running, &device.uuid)
        .await
        .contains(&app.bundle_id));
    let after = catalogue(&running, &nord).await;
    let counted = after.iter().find(|a| a.bundle_id == app.bundle_id).unwrap();
    assert_eq!(counted.vpp_licenses_assigned, app.vpp_licenses_assigned + 1);
    let now = device_now(&running, &device).await;
    assert!(
        now.modification_date > device.modification_date,
        "a sync sees the change"
    );
}

/// A configuration that requires an app the device lacks, as JSON.
fn requiring(bundle_id: &str) -> Value {
    json!([{"type": "APP_COMPLIANCE", "name": "Pflicht-Apps", "listMode": "BLACKLIST",
        "apps": [], "requiredApps": [bundle_id]}])
}

/// A compliant iPad of Nord's students' policy, the policy, and an app the iPad lacks.
async fn compliant_device(running: &Running) -> (Device, Policy, String) {
    let nord = org_named(running, NORD).await;
    let policy = copy_in(running, &nord, &template(running, STUDENTS).await)
        .await
        .unwrap();
    let device = devices_of(running, &nord)
        .await
        .into_iter()
        .find(|d| {
            d.compliance_state == ComplianceState::Compliant
                && d.group_uuids.iter().any(|g| policy.group_uuids.contains(g))
        })
        .expect("a compliant device under the students' policy");
    let apps = installed(running, &device.uuid).await;
    let lacking = catalogue(running, &nord)
        .await
        .into_iter()
        .map(|a| a.bundle_id)
        .find(|b| !apps.contains(b))
        .expect("an app the device lacks");
    (device, policy, lacking)
}

#[tokio::test]
async fn the_server_compliance_state_follows_a_published_change_only_at_check_in() {
    let running = start(frozen(1)).await;
    let (device, policy, lacking) = compliant_device(&running).await;
    let body = json!({"configurations": requiring(&lacking), "published": false});
    let changed = bump(&running, &policy.uuid, body).await;

    check_in(&running, &device.uuid).await;
    let unpublished = device_now(&running, &device).await.compliance_state;
    let answer = publish(
        &running,
        &device.organization_uuid,
        &policy.uuid,
        changed.version,
    )
    .await;
    assert_eq!(answer.status(), 200, "the change is published");
    let lagging = device_now(&running, &device).await.compliance_state;
    check_in(&running, &device.uuid).await;
    let caught_up = device_now(&running, &device).await.compliance_state;

    assert_eq!(
        unpublished,
        ComplianceState::Compliant,
        "an unpublished version has no effect"
    );
    assert_eq!(
        lagging,
        ComplianceState::Compliant,
        "the server's state lags until check-in"
    );
    assert_eq!(
        caught_up,
        ComplianceState::NonCompliant,
        "then the missing app counts"
    );
}

#[tokio::test]
async fn a_time_based_policy_counts_only_inside_its_time_window() {
    let running = start(frozen(1)).await;
    let (device, policy, lacking) = compliant_device(&running).await;
    // The clock starts on Thursday 2026-12-03 at 09:00 in Berlin.
    let monday = json!([{"weekday": 1, "start": "07:45", "end": "13:15"}]);
    let thursday = json!([{"weekday": 4, "start": "08:30", "end": "09:30"}]);

    let body = json!({"configurations": requiring(&lacking), "timeWindows": monday});
    bump(&running, &policy.uuid, body).await;
    check_in(&running, &device.uuid).await;
    let outside = device_now(&running, &device).await.compliance_state;
    let body = json!({"configurations": requiring(&lacking), "timeWindows": thursday});
    bump(&running, &policy.uuid, body).await;
    check_in(&running, &device.uuid).await;
    let inside = device_now(&running, &device).await.compliance_state;

    assert_eq!(
        outside,
        ComplianceState::Compliant,
        "on Thursday a Monday policy rests"
    );
    assert_eq!(
        inside,
        ComplianceState::NonCompliant,
        "inside its window it counts"
    );
}
