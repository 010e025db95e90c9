//! Seeding of what policies, licences and enrolment look like once the district stands: the
//! templates' configurations and versions, each school's copies (some the same as their
//! template, some changed, some missing), device licences and DEP profiles, and the compliance
//! state the server had for each device at its last check-in.
//!
//! The shape is fixed by a school's place among the schools, so tests can rely on it; draws
//! come from their own ChaCha stream of the seed, so the rest of the district is the same as
//! without this step.
//!
//! | school (place % 3) | students' template | lessons template | exam template |
//! |---|---|---|---|
//! | 0 (Gesamtschule Nord) | same | same | same, never published (v1) |
//! | 1 (Gymnasium am Stadtpark) | Wi-Fi name changed, web clip removed | same, plus a newer unpublished version with the school's own app list | missing |
//! | 2 (Grundschule Lindenweg) | camera forbidden, a web clip added | missing | same, published |
//!
//! Every third school's teachers' policy also has a newer unpublished version. Classroom (a
//! teachers' app) has no VPP licence left in any school.

use chrono::{DateTime, Duration, Utc};
use koffer_api::{
    configuration_kind, AppCompliance, DepProfile, GroupKind, ListMode, Policy,
    PolicyConfiguration, PolicyVersion,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

use crate::catalogue;
use crate::district::{District, OrgIdx, Organisation};
use crate::enrolment::REQUIRED_APP;
use crate::inventory::Enrollment;
use crate::licences::EnrolmentProfile;
use crate::policies::{self, push_version};
use crate::uuid::Uuid;

/// ChaCha stream of these draws; the data is seeded from stream 0, churn from stream 1.
const PROVISIONING_STREAM: u64 = 2;

/// The teachers' app every school has used up its VPP licences of.
pub const APP_WITHOUT_LICENCES: &str = "com.apple.classroom";

/// The template policies in the order the seed makes them.
const STUDENTS: usize = 0;
const LESSONS: usize = 1;
const EXAMS: usize = 2;

/// A restrictions configuration.
pub fn restrictions(allow_camera: bool, allow_app_installation: bool) -> PolicyConfiguration {
    configuration(
        configuration_kind::RESTRICTIONS,
        "Einschränkungen",
        json!({"allowCamera": allow_camera, "allowAppInstallation": allow_app_installation}),
    )
}

fn wifi(name: &str, ssid: &str) -> PolicyConfiguration {
    configuration(
        configuration_kind::WIFI,
        name,
        json!({"ssid": ssid, "security": "WPA2_ENTERPRISE"}),
    )
}

fn web_clip(name: &str, url: &str) -> PolicyConfiguration {
    configuration(
        configuration_kind::WEB_CLIP,
        name,
        json!({"label": name, "url": url}),
    )
}

fn configuration(kind: &str, name: &str, values: Value) -> PolicyConfiguration {
    let Value::Object(values) = values else {
        unreachable!("configurations are objects")
    };
    PolicyConfiguration {
        kind: kind.to_owned(),
        name: name.to_owned(),
        values: Map::from_iter(values),
    }
}

pub fn provision(district: &mut District, seed: u64, start: DateTime<Utc>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(PROVISIONING_STREAM);
    let Some(template_org) = district
        .organisations
        .iter()
        .position(|o| o.wire.kind == koffer_api::OrganizationKind::Template)
    else {
        return;
    };
    let templates = templates(district, template_org);
    for (place, org) in district.schools().into_iter().enumerate() {
        school_policies(district, org, place % 3, &templates, &mut rng, start);
        school_licences(district, org, place % 3);
        district.organisations[org].dep_profiles = dep_profiles(district, org, &mut rng, start);
    }
    assess_all(district, start);
}

/// The templates with their other configurations and their versions; answers the newest.
fn templates(district: &mut District, org: OrgIdx) -> Vec<Policy> {
    let policies = &mut district.organisations[org].policies;
    let extra: [Vec<PolicyConfiguration>; 3] = [
        vec![
            restrictions(true, false),
            wifi("Schul-WLAN", "Schulnetz"),
            web_clip("Vertretungsplan", "https://vertretungsplan.musterstadt.de"),
        ],
        vec![restrictions(false, false)],
        vec![
            restrictions(false, false),
            web_clip("Prüfungshinweise", "https://pruefung.musterstadt.de"),
        ],
    ];
    for (policy, extra) in policies.iter_mut().zip(extra) {
        let mut configurations = policy.configurations.clone();
        configurations.extend(extra);
        give_history(policy, configurations, true);
    }
    policies.clone()
}

/// Makes the policy's versions 1 up to its seeded version: the newest holds `configurations`
/// (published or not), each older one is published and lacks the newest's last configuration.
fn give_history(policy: &mut Policy, configurations: Vec<PolicyConfiguration>, published: bool) {
    let newest = policy.version.max(1);
    let newest_date = policy.modification_date;
    let windows = policy.time_windows.clone();
    policy.versions.clear();
    policy.version = 0;
    for number in 1..=newest {
        let mut held = configurations.clone();
        if number < newest && held.len() > 1 {
            held.pop();
        }
        let weeks_before = i64::from(newest - number);
        push_version(
            policy,
            PolicyVersion {
                version: number,
                published: number < newest || published,
                configurations: held,
                time_windows: windows.clone(),
                modification_date: newest_date - Duration::weeks(weeks_before),
            },
        );
    }
}

/// The school's copies of the templates as the table in the module docs lays out, and its
/// teachers' policy.
fn school_policies(
    district: &mut District,
    org: OrgIdx,
    variant: usize,
    templates: &[Policy],
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
) {
    let seeded = std::mem::take(&mut district.organisations[org].policies);
    let copy_of = |template: usize| {
        seeded
            .iter()
            .find(|p| p.template_uuid.as_deref() == Some(&templates[template].uuid))
            .cloned()
    };
    let groups = GroupsByKind::of(district, org);
    let mut kept = Vec::new();

    let mut students = copy_of(STUDENTS).expect("every school has a students' policy");
    let changed = students_variant(&templates[STUDENTS], variant, &district.organisations[org]);
    give_history(&mut students, changed, true);
    kept.push(students);

    if let Some(mut teachers) = seeded.iter().find(|p| p.template_uuid.is_none()).cloned() {
        let mut configurations = teachers.configurations.clone();
        configurations.push(wifi("Lehrer-WLAN", "Lehrernetz"));
        give_history(&mut teachers, configurations, true);
        if variant == 2 {
            newer_unpublished(&mut teachers, restrictions(true, true), start);
        }
        kept.push(teachers);
    }

    if variant != 2 {
        let template = &templates[LESSONS];
        let mut lessons = copy_of(LESSONS)
            .unwrap_or_else(|| fresh_copy(template, org, district, rng, groups.cases.clone()));
        let own_apps = own_apps(&district.organisations[org]);
        lessons.time_windows = template.time_windows.clone();
        give_history(&mut lessons, template.configurations.clone(), true);
        if variant == 1 {
            newer_unpublished(&mut lessons, own_apps, start);
        }
        kept.push(lessons);
    }

    if variant != 1 {
        let template = &templates[EXAMS];
        let first_year = groups.students.iter().take(1).cloned().collect();
        let mut exams =
            copy_of(EXAMS).unwrap_or_else(|| fresh_copy(template, org, district, rng, first_year));
        exams.version = if variant == 0 { 1 } else { 2 };
        exams.time_windows = template.time_windows.clone();
        give_history(&mut exams, template.configurations.clone(), variant == 2);
        kept.push(exams);
    }
    district.organisations[org].policies = kept;
}

/// The students' template's configurations as the school changed them.
fn students_variant(
    template: &Policy,
    variant: usize,
    school: &Organisation,
) -> Vec<PolicyConfiguration> {
    let mut configurations = template.configurations.clone();
    match variant {
        1 => {
            let ssid = format!("Schulnetz-{}", school.code);
            for c in configurations
                .iter_mut()
                .filter(|c| c.kind == configuration_kind::WIFI)
            {
                c.values
                    .insert("ssid".to_owned(), Value::String(ssid.clone()));
            }
            configurations.retain(|c| c.kind != configuration_kind::WEB_CLIP);
        }
        2 => {
            let restricted = configuration_kind::RESTRICTIONS;
            for c in configurations.iter_mut().filter(|c| c.kind == restricted) {
                c.values
                    .insert("allowCamera".to_owned(), Value::Bool(false));
            }
            let menu = web_clip("Mensaplan", "https://mensa.musterstadt.de");
            configurations.push(menu);
        }
        _ => {}
    }
    configurations
}

/// Only the apps the school hands out are allowed.
fn own_apps(school: &Organisation) -> PolicyConfiguration {
    let apps = school
        .app_pool
        .iter()
        .map(|&app| catalogue::app_entry(app).bundle_id.to_owned())
        .collect();
    let rule = AppCompliance {
        list_mode: ListMode::Whitelist,
        apps,
        required_apps: vec![REQUIRED_APP.to_owned()],
    };
    rule.configuration("Erlaubte Apps")
}

/// Replaces the newest version's configuration of the same kind (or adds it) in a newer,
/// unpublished version.
fn newer_unpublished(policy: &mut Policy, change: PolicyConfiguration, start: DateTime<Utc>) {
    let mut configurations = policy.configurations.clone();
    match configurations.iter_mut().find(|c| c.kind == change.kind) {
        Some(same_kind) => *same_kind = change,
        None => configurations.push(change),
    }
    let at = (policy.modification_date + Duration::days(3)).min(start - Duration::hours(20));
    let version = policies::next_version(policy, configurations, policy.time_windows.clone(), at);
    push_version(policy, version);
}

/// A copy the seed did not make, on `groups`.
fn fresh_copy(
    template: &Policy,
    org: OrgIdx,
    district: &District,
    rng: &mut ChaCha8Rng,
    groups: Vec<String>,
) -> Policy {
    Policy {
        uuid: Uuid::random(rng).to_string(),
        organization_uuid: district.organisations[org].uuid().to_owned(),
        name: template.name.clone(),
        version: 1,
        published: true,
        group_uuids: groups,
        time_windows: template.time_windows.clone(),
        configurations: template.configurations.clone(),
        template_uuid: Some(template.uuid.clone()),
        modification_date: template.modification_date + Duration::days(2),
        versions: Vec::new(),
    }
}

struct GroupsByKind {
    cases: Vec<String>,
    students: Vec<String>,
}

impl GroupsByKind {
    fn of(district: &District, org: OrgIdx) -> GroupsByKind {
        let groups = &district.organisations[org].groups;
        let of_kind = |kind: GroupKind| {
            groups
                .iter()
                .filter(|g| g.kind == kind)
                .map(|g| g.uuid.clone())
                .collect()
        };
        GroupsByKind {
            cases: of_kind(GroupKind::Case),
            students: of_kind(GroupKind::Student),
        }
    }
}

/// Device licences: a margin at most schools, a few to spare at some, too few at others; and
/// no VPP licence of [`APP_WITHOUT_LICENCES`] left.
fn school_licences(district: &mut District, org: OrgIdx, variant: usize) {
    let used = district.inventory.count_in(org) as u32;
    district.organisations[org].device_licences = match variant {
        0 => (used * 6 / 5).div_ceil(10) * 10,
        1 => used + 3,
        _ => used.saturating_sub(4),
    };
    let catalogue = &mut district.organisations[org].catalogue;
    for app in catalogue
        .iter_mut()
        .filter(|a| a.bundle_id == APP_WITHOUT_LICENCES)
    {
        app.vpp_licenses_total = app.vpp_licenses_assigned;
    }
}

/// A DEP profile per kind of device the school has.
fn dep_profiles(
    district: &District,
    org: OrgIdx,
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
) -> Vec<EnrolmentProfile> {
    let organisation = &district.organisations[org];
    let has = |kind: GroupKind| organisation.groups.iter().any(|g| g.kind == kind);
    let kinds: [(GroupKind, &str, bool, &[&str]); 3] = [
        (
            GroupKind::Case,
            "Koffer-iPads",
            false,
            &[
                "AppleID",
                "Biometric",
                "Location",
                "Passcode",
                "Privacy",
                "Restore",
                "Siri",
            ],
        ),
        (
            GroupKind::Teacher,
            "Lehrkräfte-iPads",
            true,
            &["Restore", "ScreenTime", "Siri"],
        ),
        (
            GroupKind::Student,
            "Schüler-iPads (1:1)",
            false,
            &["AppleID", "Restore", "ScreenTime", "Siri"],
        ),
    ];
    kinds
        .into_iter()
        .filter(|(kind, ..)| has(*kind))
        .map(|(kind, name, allow_pairing, skipped)| {
            let age = Duration::days(rng.random_range(30..400));
            EnrolmentProfile {
                wire: DepProfile {
                    uuid: Uuid::random(rng).to_string(),
                    organization_uuid: organisation.uuid().to_owned(),
                    name: name.to_owned(),
                    supervised: true,
                    allow_pairing,
                    skip_setup_items: skipped.iter().map(|&s| s.to_owned()).collect(),
                    devices: 0,
                    modification_date: start - age,
                },
                kind,
            }
        })
        .collect()
}

/// The state the server reported for each device at its last check-in, under these policies.
fn assess_all(district: &mut District, start: DateTime<Utc>) {
    for position in 0..district.inventory.len() {
        let device = district.inventory.at(position);
        let state = policies::server_compliance(device, &district.organisations[device.org], start);
        district.inventory.at_mut(position).compliance = state;
    }
}

/// Whether a device enrolled with automated enrolment counts for a profile of `kind`: by its
/// first group's kind; devices without a group count for the cases' profile.
pub fn profile_kind(district: &District, device: &crate::inventory::Device) -> Option<GroupKind> {
    if device.enrollment != Enrollment::Dep {
        return None;
    }
    let groups = &district.organisations[device.org].groups;
    let kind = device
        .groups
        .first()
        .and_then(|&g| groups.get(usize::from(g)))
        .map_or(GroupKind::Case, |g| g.kind);
    Some(kind)
}
