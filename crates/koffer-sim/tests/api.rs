//! The emulator over real HTTP: the API of docs/api.md as Koffer's client uses it.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use common::*;
use koffer_api::{paths, CurrentUser, Device, InstalledApp, OrganizationKind, Page, Role};
use koffer_sim::{Config, Running};
use serde_json::{json, Value};

const NORD: &str = "Gesamtschule Nord";
const STADTPARK: &str = "Gymnasium am Stadtpark";

/// A query body with this filter that asks for the count.
fn filtered(limit: usize, offset: usize, filter: &Value) -> Value {
    json!({"limit": limit, "offset": offset, "getNonpagedCount": true, "filter": filter})
}

fn results(answer: &Value) -> &Vec<Value> {
    answer["results"].as_array().expect("a page holds results")
}

async fn bulk_apps(running: &Running, org: &str, token: &str, body: Value) -> reqwest::Response {
    post(running, paths::INSTALLED_APPS_QUERY, Some(org), token, body).await
}

async fn apps_of(running: &Running, token: &str, device: &str) -> reqwest::Response {
    let path = paths::device_installed_apps(device);
    post(
        running,
        &path,
        None,
        token,
        json!({"limit": 1000, "offset": 0}),
    )
    .await
}

fn uuids(devices: &[Value]) -> Vec<String> {
    devices
        .iter()
        .map(|d| d["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_same_seed_serves_the_same_district() {
    let first = start(frozen(21)).await;
    let second = start(frozen(21)).await;
    let org = org_named(&first, NORD).await;

    let first_devices = all_devices(&first, &org, &token(&first, Role::DistrictAdmin), 1000).await;
    let second_devices =
        all_devices(&second, &org, &token(&second, Role::DistrictAdmin), 1000).await;

    assert_eq!(
        first.users, second.users,
        "logins and tokens come from the seed"
    );
    assert_eq!(
        first_devices, second_devices,
        "uuids, names, serials and values too"
    );
    assert_eq!(
        sim_get(&first, "/sim/devices").await,
        sim_get(&second, "/sim/devices").await,
        "every organisation's devices are reproducible"
    );
}

#[tokio::test]
async fn a_district_admin_sees_the_district_every_school_and_the_template() {
    let running = start(frozen(1)).await;

    let orgs = organisations(&running, &token(&running, Role::DistrictAdmin)).await;

    let kinds: Vec<OrganizationKind> = orgs.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OrganizationKind::District,
            OrganizationKind::School,
            OrganizationKind::School,
            OrganizationKind::School,
            OrganizationKind::Template
        ],
        "one district, the three seeded schools and the template"
    );
    let district = &orgs[0].uuid;
    assert!(
        orgs[1..4]
            .iter()
            .all(|o| o.parent_uuid.as_ref() == Some(district)),
        "schools belong to the district"
    );
}

#[tokio::test]
async fn a_school_admin_acts_in_its_own_school_only() {
    let running = start(frozen(1)).await;
    let admin = running
        .users
        .iter()
        .find(|u| u.role == Role::SchoolAdmin)
        .unwrap();
    let own = org_named(&running, &admin.organisations[0]).await;
    let other = org_named(&running, STADTPARK).await;

    let at_home = query_devices(&running, &own, &admin.token, device_page(0, 10)).await;
    let abroad = query_devices(&running, &other, &admin.token, device_page(0, 10)).await;

    assert_eq!(
        admin.organisations,
        [NORD],
        "the first school admin is Nord's"
    );
    assert_eq!(at_home.status(), 200, "a school admin reads its own school");
    assert_eq!(
        abroad.status(),
        403,
        "another school is outside the token's rights"
    );
    assert_eq!(
        json(abroad).await["errorCode"],
        "FORBIDDEN",
        "errors carry their code"
    );
}

#[tokio::test]
async fn requests_without_the_organisation_act_in_the_users_own() {
    let running = start(frozen(1)).await;
    let teacher = token(&running, Role::Teacher);

    let user: CurrentUser = get(&running, paths::CURRENT_USER, &teacher)
        .await
        .json()
        .await
        .unwrap();
    let groups = json(get(&running, paths::DEVICE_GROUPS, &teacher).await).await;

    assert_eq!(user.role, Role::Teacher, "the token belongs to a teacher");
    let org = groups["results"][0]["organizationUuid"].as_str().unwrap();
    assert_eq!(
        org, user.organization_uuid,
        "without tenantOrganizationUuid: own organisation"
    );
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_unauthorized() {
    let running = start(frozen(1)).await;
    let url = format!("{}{}", running.url, paths::CURRENT_USER);

    let missing = reqwest::get(&url).await.unwrap();
    let unknown = get(
        &running,
        paths::CURRENT_USER,
        "0000000000000000000000000000000000000000",
    )
    .await;

    assert_eq!(
        missing.status(),
        401,
        "a request without a token is refused"
    );
    assert_eq!(
        unknown.status(),
        401,
        "a token the server never issued is refused"
    );
    assert_eq!(
        json(unknown).await["errorCode"],
        "UNAUTHORIZED",
        "the code says why"
    );
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_from_then_on() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::SchoolAdmin);
    let before = get(&running, paths::CURRENT_USER, &admin).await;

    let revoked = sim_post(&running, "/sim/tokens/revoke", json!({"token": admin})).await;
    let after = get(&running, paths::CURRENT_USER, &admin).await;

    assert_eq!(before.status(), 200, "the token worked before");
    assert!(
        revoked.status().is_success(),
        "revoking a seeded token succeeds"
    );
    assert_eq!(after.status(), 401, "a revoked token must be refused");
}

#[tokio::test]
async fn an_unknown_organisation_or_device_is_not_found() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let nowhere = "00000000-0000-4000-8000-000000000000";

    let org = query_devices(&running, nowhere, &admin, device_page(0, 10)).await;
    let path = paths::device_installed_apps(nowhere);
    let device = post(
        &running,
        &path,
        None,
        &admin,
        json!({"limit": 10, "offset": 0}),
    )
    .await;

    assert_eq!(org.status(), 404, "no such organisation");
    assert_eq!(device.status(), 404, "no such device");
    assert_eq!(
        json(device).await["errorCode"],
        "NOT_FOUND",
        "the code says why"
    );
}

#[tokio::test]
async fn paging_by_uuid_covers_every_device_exactly_once() {
    let running = start(frozen(2)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let mut paged = Vec::new();

    for org in organisations(&running, &admin).await {
        paged.extend(uuids(&all_devices(&running, &org.uuid, &admin, 7).await));
    }

    let listed = sim_get(&running, "/sim/devices").await;
    let mut all: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["uuid"].as_str().unwrap())
        .collect();
    all.sort_unstable();
    let mut sorted_pages = paged.clone();
    sorted_pages.sort_unstable();
    assert_eq!(paged.len(), 300, "--devices is the total over all schools");
    assert_eq!(sorted_pages, all, "every device once, none twice");
}

#[tokio::test]
async fn pages_come_in_ascending_uuid_order() {
    let running = start(frozen(2)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;

    let devices = uuids(&all_devices(&running, &org, &admin, 9).await);

    assert!(
        devices.is_sorted(),
        "limit/offset paging is only stable in uuid order"
    );
}

#[tokio::test]
async fn the_district_organisation_has_no_devices() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let district = org_named(&running, "Schulverwaltungsamt Musterstadt").await;

    let answer = json(query_devices(&running, &district, &admin, device_page(0, 100)).await).await;

    assert_eq!(answer["results"], json!([]), "devices belong to schools");
    assert_eq!(answer["nonpagedCount"], 0, "and the count says so");
}

#[tokio::test]
async fn a_date_range_finds_only_the_devices_churn_changed() {
    let running = start(Config {
        churn: 0.05,
        ..frozen(3)
    })
    .await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let before: DateTime<Utc> =
        serde_json::from_value(sim_get(&running, "/sim/clock").await["now"].clone()).unwrap();
    let from = before + Duration::seconds(1);
    let since = json!({"type": "dateRange", "fieldName": "modificationDate", "from": from});

    sim_post(&running, "/sim/clock/advance", json!({"minutes": 5})).await;
    let changed =
        json(query_devices(&running, &org, &admin, filtered(5000, 0, &since)).await).await;

    let got: HashSet<String> = uuids(results(&changed)).into_iter().collect();
    let expected = changed_on_server(&running, &org, before).await;
    assert!(
        !expected.is_empty(),
        "five minutes at 5% churn change some devices"
    );
    assert_eq!(
        got, expected,
        "the filter returns exactly the devices changed since"
    );
    assert!(got.len() < 100, "and not the unchanged ones");
}

/// Devices of the organisation whose modification date /sim/devices lists as after `since`.
async fn changed_on_server(running: &Running, org: &str, since: DateTime<Utc>) -> HashSet<String> {
    let listed = sim_get(running, "/sim/devices").await;
    let modified = |d: &Value| -> DateTime<Utc> {
        serde_json::from_value(d["modificationDate"].clone()).unwrap()
    };
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["organizationUuid"] == org && modified(d) > since)
        .map(|d| d["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_projection_answers_only_the_requested_fields() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let body = json!({"limit": 50, "offset": 0, "fields": ["uuid", "modificationDate"]});

    let answer = json(query_devices(&running, &org, &admin, body).await).await;

    for device in answer["results"].as_array().unwrap() {
        let mut keys: Vec<&str> = device
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["modificationDate", "uuid"],
            "a projection leaves out every other field"
        );
    }
    assert!(
        answer.get("nonpagedCount").is_none(),
        "no count unless getNonpagedCount is set"
    );
}

#[tokio::test]
async fn full_devices_decode_as_the_wire_type_with_realistic_values() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;

    let answer = query_devices(&running, &org, &admin, device_page(0, 1000)).await;

    let page: Page<Device> = answer
        .json()
        .await
        .expect("devices decode as koffer_api::Device");
    let devices = page.results;
    assert!(
        devices.iter().all(|d| d.organization_uuid == org),
        "all from the organisation"
    );
    assert!(
        devices.iter().all(|d| d.name.starts_with("GSN-")),
        "names carry the school's code"
    );
    assert!(
        devices.iter().any(|d| d.user.is_none()),
        "case devices have no user"
    );
    assert!(
        devices.iter().any(|d| d.user.is_some()),
        "1:1 devices have one"
    );
    let supervised = devices.iter().filter(|d| d.supervised).count() as f64 / devices.len() as f64;
    assert!(
        supervised > 0.8,
        "about 90% are supervised, got {supervised}"
    );
    assert!(
        devices.iter().all(|d| d.modification_date < start_time()),
        "seeded in the past"
    );
}

#[tokio::test]
async fn a_string_filter_ignores_case_and_a_string_enum_matches_any_value() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let devices = all_devices(&running, &org, &admin, 1000).await;
    let serial = devices[3]["serialNumber"].as_str().unwrap().to_lowercase();
    let by_serial = json!({"type": "string", "fieldName": "serialNumber", "value": serial});
    let two = vec![devices[0]["uuid"].clone(), devices[5]["uuid"].clone()];
    let by_uuids = json!({"type": "logOp", "operation": "OR", "filters": [
        {"type": "stringEnum", "fieldName": "uuid", "values": two}]});

    let found =
        json(query_devices(&running, &org, &admin, filtered(10, 0, &by_serial)).await).await;
    let both = json(query_devices(&running, &org, &admin, filtered(10, 0, &by_uuids)).await).await;

    assert_eq!(found["results"][0]["uuid"], devices[3]["uuid"], "any case");
    assert_eq!(results(&both).len(), 2, "either uuid matches");
}

#[tokio::test]
async fn sorting_by_name_orders_the_devices_by_name() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let by_name = json!({"sortFields": [{"name": "name", "ascending": false}]});
    let body = json!({"limit": 1000, "offset": 0, "sortOrder": by_name});

    let answer = json(query_devices(&running, &org, &admin, body).await).await;

    let names: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "descending by name");
}

#[tokio::test]
async fn bad_queries_are_refused_with_bad_request() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let unknown_field = json!({"type": "string", "fieldName": "colour", "value": "blue"});
    let bodies = [
        json!({"limit": 10, "offset": 0, "filter": unknown_field}),
        json!({"limit": 0, "offset": 0}),
        json!({"limit": 5001, "offset": 0}),
        json!({"limit": 10, "offset": -1}),
        json!({"limit": 10, "offset": 0, "fields": ["colour"]}),
        json!({"limit": 10, "offset": 0, "sortOrder": {"sortFields": [
            {"name": "colour", "ascending": true}]}}),
        json!({"offset": 0}),
    ];

    for body in bodies {
        let answer = query_devices(&running, &org, &admin, body.clone()).await;

        assert_eq!(answer.status(), 400, "{body} must be refused");
        let error = json(answer).await;
        assert_eq!(error["errorCode"], "BAD_REQUEST", "the code says why");
        assert!(
            !error["message"].as_str().unwrap().is_empty(),
            "the message names the problem"
        );
    }
}

#[tokio::test]
async fn the_bulk_app_query_answers_what_the_per_device_queries_answer() {
    let running = start(frozen(4)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let devices = uuids(&all_devices(&running, &org, &admin, 1000).await)[..40].to_vec();
    let mut expected = Vec::new();
    for uuid in &devices {
        let page: Page<InstalledApp> = apps_of(&running, &admin, uuid).await.json().await.unwrap();
        let named = page.results.into_iter().map(|app| InstalledApp {
            device_uuid: Some(uuid.clone()),
            ..app
        });
        expected.extend(named);
    }
    let reversed: Vec<&String> = devices.iter().rev().collect();
    let filter = json!({"type": "stringEnum", "fieldName": "deviceUuid", "values": reversed});

    let answer = bulk_apps(&running, &org, &admin, filtered(50_000, 0, &filter)).await;

    let page: Page<InstalledApp> = answer.json().await.unwrap();
    let rows = expected.len();
    assert_eq!(
        page.nonpaged_count,
        Some(rows as u64),
        "the count covers all rows"
    );
    assert_eq!(
        page.results, expected,
        "by deviceUuid, then bundleId; as per device"
    );
    let per_device = rows as f64 / devices.len() as f64;
    assert!(
        (10.0..=20.0).contains(&per_device),
        "about 15 apps a device: {per_device}"
    );
}

#[tokio::test]
async fn the_bulk_app_query_pages_by_limit_and_offset() {
    let running = start(frozen(4)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let devices = uuids(&all_devices(&running, &org, &admin, 1000).await);
    let filter = json!({"type": "logOp", "operation": "AND", "filters": [
        {"type": "stringEnum", "fieldName": "deviceUuid", "values": devices}]});
    let whole = bulk_apps(&running, &org, &admin, filtered(50_000, 0, &filter)).await;
    let whole = json(whole).await;
    let total = whole["nonpagedCount"].as_u64().unwrap() as usize;

    let mut pages = Vec::new();
    for offset in (0..total).step_by(333) {
        let page = bulk_apps(&running, &org, &admin, filtered(333, offset, &filter)).await;
        pages.extend(results(&json(page).await).iter().cloned());
    }

    assert_eq!(pages.len(), total, "pages add up to the count");
    assert_eq!(&pages, results(&whole), "pages concatenate to the whole");
}

#[tokio::test]
async fn the_bulk_app_query_needs_a_device_uuid_enum_of_at_most_5000() {
    let running = start(frozen(4)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let keynote = "com.apple.Keynote";
    let by_bundle = json!({"type": "string", "fieldName": "bundleId", "value": keynote});
    let too_many: Vec<String> = (0..5001)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let many = json!({"type": "stringEnum", "fieldName": "deviceUuid", "values": too_many});

    let without = bulk_apps(&running, &org, &admin, filtered(10, 0, &by_bundle)).await;
    let over = bulk_apps(&running, &org, &admin, filtered(10, 0, &many)).await;

    assert_eq!(
        without.status(),
        400,
        "the many-device query must name its devices"
    );
    assert_eq!(over.status(), 400, "at most 5,000 devices per query");
}

#[tokio::test]
async fn the_bulk_app_query_skips_devices_of_other_organisations() {
    let running = start(frozen(4)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let nord = org_named(&running, NORD).await;
    let stadtpark = org_named(&running, STADTPARK).await;
    let foreign = uuids(&all_devices(&running, &stadtpark, &admin, 1000).await);
    let filter = json!({"type": "stringEnum", "fieldName": "deviceUuid", "values": foreign});

    let answer = bulk_apps(&running, &nord, &admin, filtered(100, 0, &filter)).await;

    let count = &json(answer).await["nonpagedCount"];
    assert_eq!(count, 0, "another school's devices are skipped");
}

#[tokio::test]
async fn installed_apps_of_a_device_outside_the_rights_are_forbidden() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let nord_admin = token(&running, Role::SchoolAdmin);
    let stadtpark = org_named(&running, STADTPARK).await;
    let foreign = uuids(&all_devices(&running, &stadtpark, &admin, 10).await)[0].clone();

    let answer = apps_of(&running, &nord_admin, &foreign).await;

    assert_eq!(
        answer.status(),
        403,
        "Nord's admin has no rights on Stadtpark's device"
    );
}

#[tokio::test]
async fn the_get_lists_page_with_limit_and_offset() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let list = |query: &str| format!("{}?tenantOrganizationUuid={org}&{query}", paths::CLASSES);

    let all = json(get(&running, &list("limit=1000"), &admin).await).await;
    let second = json(get(&running, &list("limit=2&offset=1"), &admin).await).await;
    let too_large = get(&running, &list("limit=1001"), &admin).await;

    let total = all["nonpagedCount"].as_u64().unwrap();
    assert_eq!(
        all["results"].as_array().unwrap().len() as u64,
        total,
        "one page holds all"
    );
    assert_eq!(second["results"][0], all["results"][1], "offset skips");
    assert_eq!(
        second["results"].as_array().unwrap().len(),
        2,
        "limit bounds the page"
    );
    assert_eq!(
        second["nonpagedCount"], total,
        "lists always answer the count"
    );
    assert_eq!(too_large.status(), 400, "limit is 1..=1000");
}

#[tokio::test]
async fn schools_have_groups_classes_policies_and_licences() {
    let running = start(frozen(1)).await;
    let admin = token(&running, Role::DistrictAdmin);
    let org = org_named(&running, NORD).await;
    let list = |path: &str| format!("{path}?tenantOrganizationUuid={org}&limit=1000");

    let groups = json(get(&running, &list(paths::DEVICE_GROUPS), &admin).await).await;
    let policies = json(get(&running, &list(paths::POLICIES), &admin).await).await;
    let apps = json(get(&running, &list(paths::APPS), &admin).await).await;

    let kinds: HashSet<&str> = groups["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        HashSet::from(["CASE", "TEACHER", "STUDENT"]),
        "cases and 1:1 groups"
    );
    let policy_count = policies["results"].as_array().unwrap().len();
    assert!(
        (2..=4).contains(&policy_count),
        "2 to 4 policies, got {policy_count}"
    );
    assert!(
        policies["results"][0]["templateUuid"].is_string(),
        "copied from a template"
    );
    let licences = apps["results"].as_array().unwrap();
    assert!(
        licences
            .iter()
            .all(|a| a["vppLicensesAssigned"].as_u64() <= a["vppLicensesTotal"].as_u64()),
        "no more licences assigned than bought"
    );
}

#[tokio::test]
async fn unknown_paths_answer_an_error_body() {
    let running = start(frozen(1)).await;

    let answer = get(&running, "/api/management/v1/nothing", "token").await;

    assert_eq!(answer.status(), 404, "no such path");
    assert_eq!(
        json(answer).await["errorCode"],
        "NOT_FOUND",
        "every 4xx carries an error body"
    );
}
