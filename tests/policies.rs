//! Policies and templates through the desktop app's commands against the emulator: the list
//! with versions, publish state, groups and time windows; a device's policies; how a school's
//! copy differs from its template; copying and publishing; and the refusals that change
//! nothing (a policy changed on the server meanwhile, an organisation without rights).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use koffer_api::{Device, Policy};
use koffer_app::commands::{
    DeviceRef, Empty, LedgerEntry, PolicyQuery, PolicyRow, PublishRequest, SyncEvent, SyncRequest,
    TemplateCopy, TemplateDiff, TemplateOverviewRow, TemplateRef, TemplateState,
};
use koffer_app::error::AppErrorCode;
use koffer_app::{App, Demo, EventSink};
use koffer_core::client::Client;
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_tests::{http_request, Emulator};

struct Quiet;

impl EventSink for Quiet {
    fn sync_progress(&self, _: &SyncEvent) {}
    fn ledger_changed(&self, _: &[LedgerEntry]) {}
}

fn district() -> Emulator {
    Emulator::start(&["--seed", "13", "--schools", "3", "--devices", "300"])
}

/// The app signed in as the first seeded user of `role` (as the demo profile, so the token
/// stays in memory), synced.
async fn synced_app(emulator: &Emulator, role: &str) -> (tempfile::TempDir, App) {
    let root = tempfile::tempdir().unwrap();
    let demo = Demo {
        server: emulator.url.clone(),
        token: emulator.user(role).token.clone(),
        role: role.to_owned(),
    };
    let app = App::open(root.path(), Some(demo), Arc::new(Quiet));
    let summary = app.start_sync(SyncRequest { full: false }).await.unwrap();
    assert!(
        summary.organisations.iter().all(|o| o.error.is_none()),
        "{summary:?}"
    );
    (root, app)
}

/// A client of the emulator with the token of the first user of `role`, to see what the
/// server holds.
fn server(emulator: &Emulator, role: &str) -> Client {
    let url = ServerUrl::parse(&emulator.url).unwrap();
    let token = AccessToken::new(&emulator.user(role).token).unwrap();
    Client::new(url, token).unwrap()
}

async fn server_policy(client: &Client, org: &str, uuid: &str) -> Option<Policy> {
    let policies = client.policies(org).await.unwrap();
    policies.into_iter().find(|p| p.uuid == uuid)
}

fn overview_row<'a>(
    rows: &'a [TemplateOverviewRow],
    template: &str,
    state: TemplateState,
) -> &'a TemplateOverviewRow {
    rows.iter()
        .find(|r| r.template_name == template && r.state == state)
        .unwrap_or_else(|| panic!("no {state:?} row of {template}: {rows:#?}"))
}

fn template_ref(row: &TemplateOverviewRow) -> TemplateRef {
    TemplateRef {
        template_uuid: row.template_uuid.clone(),
        org_uuid: row.org_uuid.clone(),
    }
}

fn copy_request(diff: &TemplateDiff) -> TemplateCopy {
    TemplateCopy {
        template_uuid: diff.template.uuid.clone(),
        org_uuid: diff.org_uuid.clone(),
        expected_template_version: diff.template_version,
        expected_target_version: diff.copy_version,
    }
}

fn bump(emulator: &Emulator, policy: &str) {
    http_request(
        &emulator.url,
        "POST",
        &format!("/sim/policies/{policy}/bump"),
        Some("{}"),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_policy_list_holds_every_version_with_publish_state_groups_and_time_windows() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let client = server(&emulator, "DISTRICT_ADMIN");

    let rows = app.policies(PolicyQuery { org_uuid: None }).unwrap();

    let mut expected = Vec::new();
    let mut group_names = HashMap::new();
    for org in client.organizations().await.unwrap() {
        expected.extend(client.policies(&org.uuid).await.unwrap());
        for group in client.device_groups(&org.uuid).await.unwrap() {
            group_names.insert(group.uuid, group.name);
        }
    }
    assert_eq!(
        rows.len(),
        expected.len(),
        "every policy of every organisation"
    );
    for policy in &expected {
        let row = rows.iter().find(|r| r.uuid == policy.uuid).unwrap();
        let versions: Vec<(u32, bool)> = row
            .versions
            .iter()
            .map(|v| (v.version, v.published))
            .collect();
        let server_versions: Vec<(u32, bool)> = policy
            .versions
            .iter()
            .map(|v| (v.version, v.published))
            .collect();
        assert_eq!(
            versions, server_versions,
            "{}: every version, published or not",
            policy.name
        );
        assert_eq!(
            (row.version, row.published),
            (policy.version, policy.published)
        );
        assert_eq!(
            row.published_version,
            policy.newest_published().map(|v| v.version),
            "{}: the newest published version is the one in effect",
            policy.name
        );
        let groups: BTreeSet<&str> = row.groups.iter().map(String::as_str).collect();
        let server_groups: BTreeSet<&str> = policy
            .group_uuids
            .iter()
            .map(|g| group_names[g].as_str())
            .collect();
        assert_eq!(
            groups, server_groups,
            "{}: assigned groups by name",
            policy.name
        );
        let windows: Vec<(u8, &str, &str)> = row
            .time_windows
            .iter()
            .map(|w| (w.weekday, w.start.as_str(), w.end.as_str()))
            .collect();
        let server_windows: Vec<(u8, &str, &str)> = policy
            .time_windows
            .iter()
            .map(|w| (w.weekday, w.start.as_str(), w.end.as_str()))
            .collect();
        assert_eq!(windows, server_windows, "{}: time windows", policy.name);
        let kinds: Vec<(&str, &str)> = row
            .configurations
            .iter()
            .map(|c| (c.kind.as_str(), c.name.as_str()))
            .collect();
        let server_kinds: Vec<(&str, &str)> = policy
            .configurations
            .iter()
            .map(|c| (c.kind.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(
            kinds, server_kinds,
            "{}: the newest version's configurations",
            policy.name
        );
    }
    assert!(
        rows.iter()
            .any(|r| !r.published && r.published_version.is_some()),
        "the seed has a policy whose newest version waits unpublished"
    );
    assert!(
        rows.iter().any(|r| !r.time_windows.is_empty()),
        "the seed has a time-based policy"
    );
    assert!(
        rows.iter().any(|r| r.is_template),
        "templates are listed too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_shows_the_policies_of_its_groups() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let client = server(&emulator, "DISTRICT_ADMIN");
    let schools: Vec<_> = client.organizations().await.unwrap();
    let mut device: Option<(Device, Vec<Policy>)> = None;
    for org in &schools {
        let page = client.device_page(&org.uuid, 0, None).await.unwrap();
        if let Some(d) = page.results.into_iter().find(|d| !d.group_uuids.is_empty()) {
            device = Some((d, client.policies(&org.uuid).await.unwrap()));
            break;
        }
    }
    let (device, policies) = device.expect("a device in a group");

    let rows = app
        .device_policies(DeviceRef {
            uuid: device.uuid.clone(),
        })
        .unwrap();

    let shown: BTreeSet<&str> = rows.iter().map(|r| r.uuid.as_str()).collect();
    let expected: BTreeSet<&str> = policies
        .iter()
        .filter(|p| p.group_uuids.iter().any(|g| device.group_uuids.contains(g)))
        .map(|p| p.uuid.as_str())
        .collect();
    assert!(!expected.is_empty(), "the seed assigns policies to groups");
    assert_eq!(
        shown, expected,
        "exactly the policies assigned to the device's groups"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_diff_of_a_differing_copy_names_the_changed_values() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let overview = app.template_overview(Empty {}).unwrap();

    let differs: Vec<&TemplateOverviewRow> = overview
        .iter()
        .filter(|r| r.template_name == "Schüler-iPads" && r.state == TemplateState::Differs)
        .collect();
    let diffs: Vec<TemplateDiff> = differs
        .iter()
        .map(|r| app.template_diff(template_ref(r)).unwrap())
        .collect();
    let renamed_wifi = diffs
        .iter()
        .find(|d| d.changed.iter().any(|c| c.kind == "WIFI"))
        .expect("a school renamed the template's Wi-Fi");

    assert!(
        overview.iter().any(|r| r.state == TemplateState::Same),
        "some copies are the same as their template"
    );
    assert!(
        overview.iter().any(|r| r.state == TemplateState::Missing),
        "some schools lack a copy"
    );
    let wifi = renamed_wifi
        .changed
        .iter()
        .find(|c| c.kind == "WIFI")
        .unwrap();
    let ssid = wifi.values.iter().find(|v| v.key == "ssid").unwrap();
    assert_eq!(
        ssid.template.as_deref(),
        Some("Schulnetz"),
        "the template's value"
    );
    assert!(
        ssid.copy
            .as_deref()
            .is_some_and(|s| s.starts_with("Schulnetz-")),
        "the school's own value: {ssid:?}"
    );
    assert_eq!(
        wifi.values.len(),
        1,
        "only the SSID differs: {:?}",
        wifi.values
    );
    assert!(
        renamed_wifi.added.iter().any(|c| c.kind == "WEB_CLIP"),
        "the school removed the template's web clip, so copying adds it: {renamed_wifi:#?}"
    );
    assert!(renamed_wifi.unchanged > 0, "the rest is the same");
    let row = overview_row(&overview, "Schüler-iPads", TemplateState::Differs);
    assert!(row.changes > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_is_a_new_unpublished_version_until_it_is_published() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let client = server(&emulator, "DISTRICT_ADMIN");
    let overview = app.template_overview(Empty {}).unwrap();
    let target = overview_row(&overview, "Schüler-iPads", TemplateState::Differs);
    let preview = app.template_diff(template_ref(target)).unwrap();
    let before = preview.copy.clone().expect("the school has a copy");

    let copied = app.copy_template(copy_request(&preview)).await.unwrap();

    let copy = copied.copy.clone().unwrap();
    assert_eq!(
        copy.uuid, before.uuid,
        "the school's copy gets a new version"
    );
    assert_eq!(copy.version, before.version + 1);
    assert!(!copy.published, "a copy is not published by itself");
    assert_eq!(
        copy.published_version, before.published_version,
        "the old version stays in effect until the new one is published"
    );
    assert_eq!(
        (
            copied.added.len(),
            copied.removed.len(),
            copied.changed.len()
        ),
        (0, 0, 0),
        "the new version holds the template's configurations: {copied:#?}"
    );
    let listed = app
        .policies(PolicyQuery {
            org_uuid: Some(target.org_uuid.clone()),
        })
        .unwrap();
    let listed = listed.iter().find(|r| r.uuid == copy.uuid).unwrap();
    assert_eq!(
        listed.version, copy.version,
        "the cache shows the new version at once"
    );

    let published = app
        .publish_policy(PublishRequest {
            policy_uuid: copy.uuid.clone(),
            org_uuid: target.org_uuid.clone(),
            version: copy.version,
        })
        .await
        .unwrap();

    assert!(published.published);
    assert_eq!(
        published.published_version,
        Some(copy.version),
        "the new version takes effect"
    );
    let on_server = server_policy(&client, &target.org_uuid, &copy.uuid)
        .await
        .unwrap();
    assert_eq!(
        on_server.newest_published().map(|v| v.version),
        Some(copy.version),
        "the server publishes it"
    );
    let overview = app.template_overview(Empty {}).unwrap();
    let now = overview
        .iter()
        .find(|r| r.template_uuid == target.template_uuid && r.org_uuid == target.org_uuid)
        .unwrap();
    assert_eq!(
        now.state,
        TemplateState::Same,
        "the school's copy matches the template now"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn copying_into_a_school_without_a_copy_makes_one_on_no_groups() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let overview = app.template_overview(Empty {}).unwrap();
    let missing = overview
        .iter()
        .find(|r| r.state == TemplateState::Missing)
        .expect("a school lacks a copy");
    let preview = app.template_diff(template_ref(missing)).unwrap();

    let copied = app.copy_template(copy_request(&preview)).await.unwrap();

    assert!(preview.copy.is_none() && preview.copy_version.is_none());
    assert_eq!(
        preview.added.len(),
        preview.template.configurations.len(),
        "the preview adds every configuration"
    );
    let copy = copied.copy.expect("the school has a copy now");
    assert_eq!(
        (copy.version, copy.published),
        (1, false),
        "a new policy at version 1"
    );
    assert_eq!(
        copy.template_uuid.as_deref(),
        Some(missing.template_uuid.as_str())
    );
    assert!(
        copy.groups.is_empty(),
        "the school assigns it to groups itself"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_after_the_template_changed_is_refused_and_the_preview_refreshed() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let client = server(&emulator, "DISTRICT_ADMIN");
    let overview = app.template_overview(Empty {}).unwrap();
    let target = overview_row(&overview, "Schüler-iPads", TemplateState::Differs);
    let preview = app.template_diff(template_ref(target)).unwrap();
    let copy_uuid = preview.copy.as_ref().unwrap().uuid.clone();
    bump(&emulator, &preview.template.uuid);

    let refused = app.copy_template(copy_request(&preview)).await.unwrap_err();

    assert_eq!(refused.code, AppErrorCode::Changed, "{refused:?}");
    assert_eq!(refused.key, "policy_changed");
    assert!(
        refused.message.contains("Schüler-iPads") && refused.message.contains("nothing was copied"),
        "the message names the policy and says nothing was copied: {}",
        refused.message
    );
    let on_server = server_policy(&client, &target.org_uuid, &copy_uuid)
        .await
        .unwrap();
    assert_eq!(
        Some(on_server.version),
        preview.copy_version,
        "the school's copy is as it was"
    );
    let refreshed = app.template_diff(template_ref(target)).unwrap();
    assert_eq!(
        refreshed.template_version,
        preview.template_version + 1,
        "the preview shows the template's new version without a sync"
    );
    let restrictions_differ = |d: &TemplateDiff| d.changed.iter().any(|c| c.kind == "RESTRICTIONS");
    assert_ne!(
        restrictions_differ(&refreshed),
        restrictions_differ(&preview),
        "and what the template's new camera rule means for the copy: {refreshed:#?}"
    );

    let copied = app.copy_template(copy_request(&refreshed)).await;

    assert!(copied.is_ok(), "the refreshed preview copies: {copied:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_after_the_school_changed_its_copy_is_refused() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let overview = app.template_overview(Empty {}).unwrap();
    let target = overview_row(&overview, "Schüler-iPads", TemplateState::Differs);
    let preview = app.template_diff(template_ref(target)).unwrap();
    let copy = preview.copy.clone().unwrap();
    bump(&emulator, &copy.uuid);

    let refused = app.copy_template(copy_request(&preview)).await.unwrap_err();

    assert_eq!(refused.code, AppErrorCode::Changed, "{refused:?}");
    let refreshed = app.template_diff(template_ref(target)).unwrap();
    assert_eq!(
        refreshed.copy_version,
        Some(copy.version + 1),
        "the preview shows the school's new version"
    );
    assert_eq!(
        refreshed.template_version, preview.template_version,
        "the template did not change"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_a_version_that_is_no_longer_the_newest_is_refused() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let rows = app.policies(PolicyQuery { org_uuid: None }).unwrap();
    let waiting: &PolicyRow = rows
        .iter()
        .find(|r| !r.published && !r.is_template)
        .expect("a school policy with an unpublished newest version");
    bump(&emulator, &waiting.uuid);

    let refused = app
        .publish_policy(PublishRequest {
            policy_uuid: waiting.uuid.clone(),
            org_uuid: waiting.org_uuid.clone(),
            version: waiting.version,
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code, AppErrorCode::Changed, "{refused:?}");
    assert!(
        refused.message.contains("nothing was published"),
        "{}",
        refused.message
    );
    let after = app
        .policies(PolicyQuery {
            org_uuid: Some(waiting.org_uuid.clone()),
        })
        .unwrap();
    let after = after.iter().find(|r| r.uuid == waiting.uuid).unwrap();
    assert_eq!(
        after.version,
        waiting.version + 1,
        "the list shows the server's newest version"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_into_a_school_without_rights_is_refused_naming_it() {
    let emulator = district();
    let (_district_root, district_app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let (_school_root, school_app) = synced_app(&emulator, "SCHOOL_ADMIN").await;
    let own = &emulator.user("SCHOOL_ADMIN").organisations;
    let overview = district_app.template_overview(Empty {}).unwrap();
    let other = overview
        .iter()
        .find(|r| r.copy_uuid.is_some() && !own.contains(&r.org_uuid) && !own.contains(&r.org_name))
        .expect("a copy in another school");
    let preview = district_app.template_diff(template_ref(other)).unwrap();
    let client = server(&emulator, "DISTRICT_ADMIN");

    let refused = school_app
        .copy_template(copy_request(&preview))
        .await
        .unwrap_err();

    assert_eq!(refused.code, AppErrorCode::NoRights, "{refused:?}");
    assert!(
        refused.message.contains(&other.org_uuid) || refused.message.contains(&other.org_name),
        "the message names the organisation: {}",
        refused.message
    );
    let copy_uuid = other.copy_uuid.as_deref().unwrap();
    let on_server = server_policy(&client, &other.org_uuid, copy_uuid)
        .await
        .unwrap();
    assert_eq!(
        Some(on_server.version),
        preview.copy_version,
        "nothing was copied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_time_windows_in_the_template_show_in_the_preview() {
    let emulator = district();
    let (_root, app) = synced_app(&emulator, "DISTRICT_ADMIN").await;
    let overview = app.template_overview(Empty {}).unwrap();
    let same = overview
        .iter()
        .find(|r| r.state == TemplateState::Same)
        .expect("a copy the same as its template");
    let saturday = r#"{"timeWindows": [{"weekday": 6, "start": "09:00", "end": "12:00"}]}"#;
    let path = format!("/sim/policies/{}/bump", same.template_uuid);
    http_request(&emulator.url, "POST", &path, Some(saturday));

    app.start_sync(SyncRequest { full: false }).await.unwrap();
    let preview = app.template_diff(template_ref(same)).unwrap();
    let overview = app.template_overview(Empty {}).unwrap();

    assert!(
        preview.time_windows_changed,
        "copying would set Saturday's window"
    );
    assert_eq!(preview.template.time_windows[0].weekday, 6);
    let now = overview
        .iter()
        .find(|r| r.template_uuid == same.template_uuid && r.org_uuid == same.org_uuid)
        .unwrap();
    assert_eq!(now.state, TemplateState::Differs, "{now:?}");
}
