//! The server's side of policies: versions, copying a template into a school, publishing,
//! and the compliance state the server itself reports for a device.
//!
//! A policy keeps every version (oldest first); its top-level fields always mirror the newest.
//! Only the newest *published* version takes effect. The server evaluates a device when the
//! device checks in, so the `complianceState` it reports lags behind policy changes until the
//! device's next check-in, as a real server's does.

use chrono::{DateTime, Duration, Utc};
use koffer_api::{
    app_compliance_field, configuration_kind, error_code, ComplianceState, OrganizationKind,
    Policy, PolicyConfiguration, PolicyVersion, TimeWindow,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::catalogue;
use crate::district::{District, OrgIdx, Organisation};
use crate::draw;
use crate::inventory::Device;
use crate::uuid::Uuid;

/// Devices silent for longer than this have an unknown compliance state.
const COMPLIANCE_STALE_DAYS: i64 = 30;

/// ChaCha stream of uuids made while running (copies); the data is seeded from stream 0.
const COPY_STREAM: u64 = 3;

/// Why a copy or publish was refused, in the server's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    BadRequest(String),
    /// `POLICY_CHANGED`: a newest version is not the one expected.
    Changed(String),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound(_) => "NOT_FOUND",
            Refusal::BadRequest(_) => "BAD_REQUEST",
            Refusal::Changed(_) => error_code::POLICY_CHANGED,
        }
    }
}

/// The compliance state the server reports at `now` for a device, judged at its last check-in:
/// unknown after a long silence; otherwise not compliant when an app-compliance configuration
/// of a policy in effect on one of its groups is violated.
pub fn server_compliance(
    device: &Device,
    organisation: &Organisation,
    now: DateTime<Utc>,
) -> ComplianceState {
    if now - device.last_connection > Duration::days(COMPLIANCE_STALE_DAYS) {
        return ComplianceState::Unknown;
    }
    let installed: Vec<&str> = device
        .apps
        .iter()
        .map(|install| catalogue::app_entry(install.app).bundle_id)
        .collect();
    let at = device.last_connection;
    let violated = policies_on(device, organisation)
        .filter_map(|policy| policy.newest_published())
        .filter(|version| version.is_active_at(at))
        .any(|version| {
            version
                .configurations
                .iter()
                .any(|c| violates(&installed, c))
        });
    if violated {
        ComplianceState::NonCompliant
    } else {
        ComplianceState::Compliant
    }
}

/// The organisation's policies on one of the device's groups.
fn policies_on<'a>(
    device: &'a Device,
    organisation: &'a Organisation,
) -> impl Iterator<Item = &'a Policy> + 'a {
    let groups: Vec<&str> = device
        .groups
        .iter()
        .filter_map(|&g| organisation.groups.get(usize::from(g)))
        .map(|group| group.uuid.as_str())
        .collect();
    organisation.policies.iter().filter(move |policy| {
        policy
            .group_uuids
            .iter()
            .any(|g| groups.contains(&g.as_str()))
    })
}

/// Whether the installed apps break an app-compliance configuration. Reads the JSON in place
/// with the lenient rules of [`PolicyConfiguration::app_compliance`], since every check-in
/// runs this and the lists are long.
fn violates(installed: &[&str], configuration: &PolicyConfiguration) -> bool {
    if configuration.kind != configuration_kind::APP_COMPLIANCE {
        return false;
    }
    let list = |field: &str| {
        configuration
            .values
            .get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<&str>>()
            })
            .unwrap_or_default()
    };
    let list_mode = configuration.values.get(app_compliance_field::LIST_MODE);
    let whitelist = list_mode.and_then(Value::as_str) == Some("WHITELIST");
    let (apps, required) = (
        list(app_compliance_field::APPS),
        list(app_compliance_field::REQUIRED_APPS),
    );
    let missing = required.iter().any(|app| !installed.contains(app));
    let forbidden = if whitelist {
        installed.iter().any(|app| !apps.contains(app))
    } else {
        installed.iter().any(|app| apps.contains(app))
    };
    missing || forbidden
}

/// Appends `version` and makes the top-level fields mirror it.
pub fn push_version(policy: &mut Policy, version: PolicyVersion) {
    policy.version = version.version;
    policy.published = version.published;
    policy.configurations = version.configurations.clone();
    policy.time_windows = version.time_windows.clone();
    policy.modification_date = version.modification_date;
    policy.versions.push(version);
}

/// A new, unpublished version after the newest, holding these configurations and windows.
pub fn next_version(
    policy: &Policy,
    configurations: Vec<PolicyConfiguration>,
    time_windows: Vec<TimeWindow>,
    at: DateTime<Utc>,
) -> PolicyVersion {
    PolicyVersion {
        version: policy.version + 1,
        published: false,
        configurations,
        time_windows,
        modification_date: at,
    }
}

/// Where a policy lives: its organisation and its place in that organisation's list.
pub fn find(district: &District, uuid: &str) -> Option<(OrgIdx, usize)> {
    district
        .organisations
        .iter()
        .enumerate()
        .find_map(|(org, organisation)| {
            let place = organisation.policies.iter().position(|p| p.uuid == uuid)?;
            Some((org, place))
        })
}

/// What a copy request expects to find.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub template_version: u32,
    pub target_version: Option<u32>,
}

/// Copies the template's newest version into `school`: a new unpublished version of the
/// school's copy, or a new policy at version 1 (unpublished, on no groups). Answers the copy.
pub fn copy_template(
    district: &mut District,
    template_uuid: &str,
    school: OrgIdx,
    expected: Expected,
    at: DateTime<Utc>,
) -> Result<Policy, Refusal> {
    let (template_org, place) = find(district, template_uuid)
        .ok_or_else(|| Refusal::NotFound(format!("no policy {template_uuid}")))?;
    let template = district.organisations[template_org].policies[place].clone();
    if district.organisations[template_org].wire.kind != OrganizationKind::Template {
        let message = format!(
            "the policy {} is not a template: only policies of the template organisation can be \
             copied",
            template.name
        );
        return Err(Refusal::BadRequest(message));
    }
    if !district.organisations[school].is_school() {
        let name = &district.organisations[school].wire.name;
        let message = format!("{name} is not a school: templates are copied into schools");
        return Err(Refusal::BadRequest(message));
    }
    let policies = &mut district.organisations[school].policies;
    let copy = policies
        .iter()
        .position(|p| p.template_uuid.as_deref() == Some(template_uuid));
    check_expected(&template, copy.map(|c| &policies[c]), expected)?;

    let configurations = template.configurations.clone();
    let windows = template.time_windows.clone();
    match copy {
        Some(copy) => {
            let policy = &mut policies[copy];
            let version = next_version(policy, configurations, windows, at);
            push_version(policy, version);
            Ok(policy.clone())
        }
        None => {
            let organization_uuid = district.organisations[school].uuid().to_owned();
            let policy = new_copy(&template, organization_uuid, at);
            district.organisations[school].policies.push(policy.clone());
            Ok(policy)
        }
    }
}

fn check_expected(
    template: &Policy,
    copy: Option<&Policy>,
    expected: Expected,
) -> Result<(), Refusal> {
    if template.version != expected.template_version {
        return Err(Refusal::Changed(format!(
            "the template {} changed: its newest version is {}, not {}",
            template.name, template.version, expected.template_version
        )));
    }
    let target = copy.map(|c| c.version);
    if target != expected.target_version {
        let shown = |v: Option<u32>| v.map_or("none".to_owned(), |v| v.to_string());
        return Err(Refusal::Changed(format!(
            "the school's copy of {} changed: its newest version is {}, not {}",
            template.name,
            shown(target),
            shown(expected.target_version)
        )));
    }
    Ok(())
}

/// A school's first copy of a template: version 1, unpublished, on no groups yet. Its uuid
/// depends only on the template and the school, so the same run makes the same copy.
fn new_copy(template: &Policy, organization_uuid: String, at: DateTime<Utc>) -> Policy {
    let mut rng = ChaCha8Rng::seed_from_u64(
        draw::text_part(&template.uuid) ^ draw::text_part(&organization_uuid).rotate_left(1),
    );
    rng.set_stream(COPY_STREAM);
    let mut policy = Policy {
        uuid: Uuid::random(&mut rng).to_string(),
        organization_uuid,
        name: template.name.clone(),
        version: 0,
        published: false,
        group_uuids: Vec::new(),
        time_windows: Vec::new(),
        configurations: Vec::new(),
        template_uuid: Some(template.uuid.clone()),
        modification_date: at,
        versions: Vec::new(),
    };
    let first = next_version(
        &policy,
        template.configurations.clone(),
        template.time_windows.clone(),
        at,
    );
    push_version(&mut policy, first);
    policy
}

/// Publishes `version` of the policy at `place` in `org`. Only the newest version can be
/// published: anything else means the policy changed since the caller looked.
pub fn publish(
    district: &mut District,
    org: OrgIdx,
    uuid: &str,
    version: u32,
    at: DateTime<Utc>,
) -> Result<Policy, Refusal> {
    let organisation = &mut district.organisations[org];
    let policy = organisation
        .policies
        .iter_mut()
        .find(|p| p.uuid == uuid)
        .ok_or_else(|| Refusal::NotFound(format!("no policy {uuid} in this organisation")))?;
    if policy.version != version {
        return Err(Refusal::Changed(format!(
            "the policy {} changed: its newest version is {}, not {version}",
            policy.name, policy.version
        )));
    }
    if !policy.published {
        policy.published = true;
        policy.modification_date = at;
        if let Some(newest) = policy.versions.last_mut() {
            newest.published = true;
            newest.modification_date = at;
        }
    }
    Ok(policy.clone())
}

/// Changes a policy on the server as someone else would (for tests): appends a version with
/// these configurations, or the newest ones with the camera restriction turned over.
pub fn bump(
    district: &mut District,
    uuid: &str,
    change: Bump,
    at: DateTime<Utc>,
) -> Option<Policy> {
    let (org, place) = find(district, uuid)?;
    let policy = &mut district.organisations[org].policies[place];
    let configurations = change
        .configurations
        .unwrap_or_else(|| toggled_camera(&policy.configurations));
    let windows = change
        .time_windows
        .unwrap_or_else(|| policy.time_windows.clone());
    let mut version = next_version(policy, configurations, windows, at);
    version.published = change.published;
    push_version(policy, version);
    Some(policy.clone())
}

/// What `/sim/policies/{uuid}/bump` changes.
#[derive(Debug, Clone, Default)]
pub struct Bump {
    pub configurations: Option<Vec<PolicyConfiguration>>,
    pub time_windows: Option<Vec<TimeWindow>>,
    pub published: bool,
}

/// The configurations with `allowCamera` of the restrictions turned over; a restrictions
/// configuration is added when there is none.
fn toggled_camera(configurations: &[PolicyConfiguration]) -> Vec<PolicyConfiguration> {
    let mut changed = configurations.to_vec();
    let kind = koffer_api::configuration_kind::RESTRICTIONS;
    match changed.iter_mut().find(|c| c.kind == kind) {
        Some(restrictions) => {
            let allowed = restrictions
                .values
                .get("allowCamera")
                .and_then(|v| v.as_bool());
            let flipped = serde_json::Value::Bool(!allowed.unwrap_or(true));
            restrictions
                .values
                .insert("allowCamera".to_owned(), flipped);
        }
        None => changed.push(crate::policy_seed::restrictions(false, false)),
    }
    changed
}

#[cfg(test)]
mod tests {
    use koffer_api::{AppCompliance, ListMode};

    use super::*;

    fn rule(list_mode: ListMode, apps: &[&str], required: &[&str]) -> PolicyConfiguration {
        AppCompliance {
            list_mode,
            apps: apps.iter().map(|&a| a.to_owned()).collect(),
            required_apps: required.iter().map(|&a| a.to_owned()).collect(),
        }
        .configuration("Apps")
    }

    #[test]
    fn a_blacklist_forbids_its_apps_and_a_whitelist_everything_else() {
        let installed = ["com.apple.Keynote", "com.zhiliaoapp.musically"];

        let blacklist = rule(ListMode::Blacklist, &["com.zhiliaoapp.musically"], &[]);
        let whitelist = rule(ListMode::Whitelist, &["com.apple.Keynote"], &[]);
        let both_allowed = rule(ListMode::Whitelist, &installed, &[]);
        let missing = rule(ListMode::Blacklist, &[], &["com.apple.Pages"]);

        assert!(
            violates(&installed, &blacklist),
            "a listed app is forbidden"
        );
        assert!(
            violates(&installed, &whitelist),
            "an unlisted app is forbidden"
        );
        assert!(
            !violates(&installed, &both_allowed),
            "only listed apps are fine"
        );
        assert!(
            violates(&installed, &missing),
            "a required app must be there"
        );
    }

    #[test]
    fn other_configuration_kinds_never_break_compliance() {
        let restrictions = crate::policy_seed::restrictions(false, false);

        assert!(!violates(&["com.apple.Keynote"], &restrictions));
    }
}
