//! Policies and templates: each organisation's policies with their versions, the policies
//! that apply to a device, how each school's copy of a template differs from the template
//! ([`diff`]), and copying a template into a school and publishing a version.
//!
//! Reads come from the cache. Copy and publish go to the server at once (they are not
//! queued: the server checks them against the versions the preview showed), and the
//! organisation's policies are fetched into the cache again afterwards, so the next read shows
//! the server's state.

pub mod diff;

use std::collections::{BTreeMap, HashMap};

use koffer_api::{CopyTemplate, Organization, OrganizationKind, PolicyVersion, PublishPolicy};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::store::policies::{self, StoredPolicy};
use crate::store::{organisations, Store};
pub use diff::{ConfigurationChange, PolicyDiff, ValueChange};

/// Which policies to list: one organisation's, or every cached one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyQuery {
    pub org_uuid: Option<String>,
}

/// A policy with its newest version at the top level and every version below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRow {
    pub uuid: String,
    pub org_uuid: String,
    pub org_name: String,
    /// The policy belongs to the template organisation: schools copy it.
    pub is_template: bool,
    pub name: String,
    /// The newest version, published or not.
    pub version: u32,
    /// Whether the newest version is published.
    pub published: bool,
    /// The version that takes effect (the newest published one); `null` when none is.
    pub published_version: Option<u32>,
    /// Names of the device groups the policy is assigned to, sorted.
    pub groups: Vec<String>,
    /// Of the newest version.
    pub time_windows: Vec<TimeWindowView>,
    /// Of the newest version.
    pub configurations: Vec<ConfigurationView>,
    /// The template this policy was copied from.
    pub template_uuid: Option<String>,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub version: u32,
    pub published: bool,
    /// Unix ms.
    #[ts(type = "number")]
    pub modified_at: i64,
    pub time_windows: Vec<TimeWindowView>,
    pub configurations: Vec<ConfigurationView>,
}

/// A time window: 1 = Monday … 7 = Sunday, start and end "HH:MM" in school time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindowView {
    pub weekday: u8,
    pub start: String,
    pub end: String,
}

impl From<&koffer_api::TimeWindow> for TimeWindowView {
    fn from(window: &koffer_api::TimeWindow) -> TimeWindowView {
        TimeWindowView {
            weekday: window.weekday,
            start: window.start.clone(),
            end: window.end.clone(),
        }
    }
}

/// A configuration with its fields as text (a string as it is, anything else as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationView {
    pub kind: String,
    pub name: String,
    pub values: BTreeMap<String, String>,
}

/// A template and the school organisation it is compared with or copied into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    pub template_uuid: String,
    pub org_uuid: String,
}

/// A copy of a template into a school, with the versions its preview showed
/// ([`TemplateDiff::template_version`] and [`TemplateDiff::copy_version`]): the server refuses
/// the copy when either changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateCopy {
    pub template_uuid: String,
    pub org_uuid: String,
    pub expected_template_version: u32,
    /// `null` when the school had no copy.
    pub expected_target_version: Option<u32>,
}

/// How a school's copy of a template differs from the template: the preview of a copy. The
/// changes are named for what copying would do to the school's copy (see [`diff`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDiff {
    pub org_uuid: String,
    pub org_name: String,
    pub template: PolicyRow,
    /// The school's copy; `null` when it has none (copying creates one).
    pub copy: Option<PolicyRow>,
    /// The template's newest version, compared here; a copy sends it as expected.
    pub template_version: u32,
    /// The copy's newest version, compared here; a copy sends it as expected.
    pub copy_version: Option<u32>,
    pub added: Vec<ConfigurationChange>,
    pub removed: Vec<ConfigurationChange>,
    pub changed: Vec<ConfigurationChange>,
    pub unchanged: u32,
    /// The copy's time windows differ from the template's (as sets): copying sets the
    /// template's (both lists are in `template.timeWindows` and `copy.timeWindows`). `false`
    /// without a copy: the new policy simply gets the template's.
    pub time_windows_changed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TemplateState {
    /// The school's copy holds the template's configurations.
    Same,
    /// The school's copy differs in at least one configuration.
    Differs,
    /// The school has no copy of the template.
    Missing,
}

/// One template in one school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateOverviewRow {
    pub template_uuid: String,
    pub template_name: String,
    pub org_uuid: String,
    pub org_name: String,
    pub copy_uuid: Option<String>,
    pub state: TemplateState,
    /// Configurations added, removed or changed, plus one when the time windows differ.
    pub changes: u32,
}

/// Publishes one version of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PublishRequest {
    pub policy_uuid: String,
    pub org_uuid: String,
    pub version: u32,
}

/// What turning stored policies into rows needs to know: organisations and group names.
struct Names {
    orgs: HashMap<String, Organization>,
    groups: HashMap<String, String>,
}

impl Names {
    fn load(conn: &Connection) -> Result<Names> {
        let orgs = organisations::all(conn)?
            .into_iter()
            .map(|o| (o.uuid.clone(), o))
            .collect();
        let mut statement = conn.prepare_cached("SELECT uuid, name FROM device_groups")?;
        let groups = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Names { orgs, groups })
    }

    fn org_name(&self, uuid: &str) -> String {
        self.orgs
            .get(uuid)
            .map_or_else(|| uuid.to_owned(), |o| o.name.clone())
    }

    fn org_kind(&self, uuid: &str) -> OrganizationKind {
        self.orgs
            .get(uuid)
            .map_or(OrganizationKind::Other, |o| o.kind)
    }

    fn row(&self, policy: &StoredPolicy) -> PolicyRow {
        let newest = policy.newest();
        let mut groups: Vec<String> = policy
            .group_uuids
            .iter()
            .map(|g| self.groups.get(g).cloned().unwrap_or_else(|| g.clone()))
            .collect();
        groups.sort_by_key(|name| name.to_lowercase());
        PolicyRow {
            uuid: policy.uuid.clone(),
            org_uuid: policy.org_uuid.clone(),
            org_name: self.org_name(&policy.org_uuid),
            is_template: self.org_kind(&policy.org_uuid) == OrganizationKind::Template,
            name: policy.name.clone(),
            version: newest.map_or(0, |v| v.version),
            published: newest.is_some_and(|v| v.published),
            published_version: policy.newest_published().map(|v| v.version),
            groups,
            time_windows: newest.map(windows).unwrap_or_default(),
            configurations: newest.map(configurations).unwrap_or_default(),
            template_uuid: policy.template_uuid.clone(),
            versions: policy.versions.iter().map(version_view).collect(),
        }
    }
}

fn version_view(version: &PolicyVersion) -> VersionView {
    VersionView {
        version: version.version,
        published: version.published,
        modified_at: version.modification_date.timestamp_millis(),
        time_windows: windows(version),
        configurations: configurations(version),
    }
}

fn windows(version: &PolicyVersion) -> Vec<TimeWindowView> {
    version
        .time_windows
        .iter()
        .map(TimeWindowView::from)
        .collect()
}

fn configurations(version: &PolicyVersion) -> Vec<ConfigurationView> {
    let view = |c: &koffer_api::PolicyConfiguration| ConfigurationView {
        kind: c.kind.clone(),
        name: c.name.clone(),
        values: c
            .values
            .iter()
            .map(|(k, v)| (k.clone(), diff::shown(v)))
            .collect(),
    };
    version.configurations.iter().map(view).collect()
}

/// The cached policies of one organisation (or of all), by organisation name, then name.
pub fn policy_rows(conn: &Connection, query: &PolicyQuery) -> Result<Vec<PolicyRow>> {
    let names = Names::load(conn)?;
    let mut rows: Vec<PolicyRow> = policies::all(conn, query.org_uuid.as_deref())?
        .iter()
        .map(|p| names.row(p))
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &PolicyRow| (r.org_name.to_lowercase(), r.name.to_lowercase());
        key(a).cmp(&key(b))
    });
    Ok(rows)
}

/// The policies assigned to the device's groups, by name.
pub fn device_policies(conn: &Connection, device: &str) -> Result<Vec<PolicyRow>> {
    let names = Names::load(conn)?;
    let stored = policies::for_device(conn, device)?;
    Ok(stored.iter().map(|p| names.row(p)).collect())
}

/// The template against the school's copy of it (the preview of a copy).
pub fn template_diff(conn: &Connection, template: &TemplateRef) -> Result<TemplateDiff> {
    let names = Names::load(conn)?;
    let stored = cached_template(conn, &names, &template.template_uuid)?;
    check_school(&names, &template.org_uuid)?;
    let copy = policies::copy_of(conn, &stored.uuid, &template.org_uuid)?;
    Ok(compare(&names, &stored, copy.as_ref(), &template.org_uuid))
}

/// Every cached template against every cached school: same, differs or missing.
pub fn template_overview(conn: &Connection) -> Result<Vec<TemplateOverviewRow>> {
    let names = Names::load(conn)?;
    let mut schools: Vec<&Organization> = names
        .orgs
        .values()
        .filter(|o| o.kind == OrganizationKind::School)
        .collect();
    schools.sort_by_key(|o| o.name.to_lowercase());
    let templates: Vec<StoredPolicy> = policies::all(conn, None)?
        .into_iter()
        .filter(|p| names.org_kind(&p.org_uuid) == OrganizationKind::Template)
        .collect();

    let mut rows = Vec::new();
    for template in &templates {
        for school in &schools {
            let copy = policies::copy_of(conn, &template.uuid, &school.uuid)?;
            let compared = diff_of(template, copy.as_ref());
            let windows = copy.as_ref().is_some_and(|c| windows_differ(template, c));
            let state = match (&copy, compared.is_same() && !windows) {
                (None, _) => TemplateState::Missing,
                (Some(_), true) => TemplateState::Same,
                (Some(_), false) => TemplateState::Differs,
            };
            rows.push(TemplateOverviewRow {
                template_uuid: template.uuid.clone(),
                template_name: template.name.clone(),
                org_uuid: school.uuid.clone(),
                org_name: school.name.clone(),
                copy_uuid: copy.map(|c| c.uuid),
                state,
                changes: compared.changes() + u32::from(windows),
            });
        }
    }
    rows.sort_by_key(|r| (r.template_name.to_lowercase(), r.org_name.to_lowercase()));
    Ok(rows)
}

fn diff_of(template: &StoredPolicy, copy: Option<&StoredPolicy>) -> PolicyDiff {
    let configurations = |p: &StoredPolicy| {
        p.newest()
            .map(|v| v.configurations.clone())
            .unwrap_or_default()
    };
    let copied = copy.map(configurations);
    diff::diff(&configurations(template), copied.as_deref())
}

fn compare(
    names: &Names,
    template: &StoredPolicy,
    copy: Option<&StoredPolicy>,
    org: &str,
) -> TemplateDiff {
    let compared = diff_of(template, copy);
    TemplateDiff {
        org_uuid: org.to_owned(),
        org_name: names.org_name(org),
        template: names.row(template),
        copy: copy.map(|c| names.row(c)),
        template_version: template.newest().map_or(0, |v| v.version),
        copy_version: copy.and_then(|c| c.newest()).map(|v| v.version),
        added: compared.added,
        removed: compared.removed,
        changed: compared.changed,
        unchanged: compared.unchanged,
        time_windows_changed: copy.is_some_and(|c| windows_differ(template, c)),
    }
}

/// Whether the newest versions' time windows differ, whatever their order.
fn windows_differ(template: &StoredPolicy, copy: &StoredPolicy) -> bool {
    let windows = |p: &StoredPolicy| {
        let mut listed: Vec<(u8, String, String)> = p
            .newest()
            .map(|v| v.time_windows.iter())
            .into_iter()
            .flatten()
            .map(|w| (w.weekday, w.start.clone(), w.end.clone()))
            .collect();
        listed.sort();
        listed.dedup();
        listed
    };
    windows(template) != windows(copy)
}

fn cached_template(conn: &Connection, names: &Names, uuid: &str) -> Result<StoredPolicy> {
    let stored = policies::get(conn, uuid)?.ok_or_else(|| {
        Error::InvalidInput(
            "This template is not in the data on this computer. Sync, then open it again."
                .to_owned(),
        )
    })?;
    if names.org_kind(&stored.org_uuid) != OrganizationKind::Template {
        return Err(Error::InvalidInput(format!(
            "The policy {} is not a template: only policies of the template organisation can be \
             copied into a school.",
            stored.name
        )));
    }
    Ok(stored)
}

fn check_school(names: &Names, org: &str) -> Result<()> {
    match names.orgs.get(org) {
        Some(o) if o.kind == OrganizationKind::School => Ok(()),
        Some(o) => Err(Error::InvalidInput(format!(
            "{} is not a school: templates are copied into school organisations only.",
            o.name
        ))),
        // Not among the organisations the token has rights on: the server decides, and says
        // so if it refuses.
        None => Ok(()),
    }
}

/// Copies the template into the school as a new unpublished version (or a new policy), if the
/// template and the school's copy are still at the versions the preview showed; answers the
/// comparison afterwards, which shows the new version.
///
/// Refused, with nothing copied: [`Error::PolicyChanged`] when either changed on the server
/// (the cache then holds the server's current state, so the preview shows it), and
/// [`Error::NoRights`] naming the organisation when the token has no rights on it.
pub async fn copy_template(
    client: &Client,
    store: &mut Store,
    request: &TemplateCopy,
) -> Result<TemplateDiff> {
    let names = Names::load(store.conn())?;
    let template_name = policies::get(store.conn(), &request.template_uuid)?
        .map_or_else(|| request.template_uuid.clone(), |p| p.name);
    check_school(&names, &request.org_uuid)?;
    let body = CopyTemplate {
        expected_template_version: request.expected_template_version,
        expected_target_version: request.expected_target_version,
    };

    let answer = client
        .copy_template(&request.template_uuid, &request.org_uuid, &body)
        .await;

    if let Err(Error::PolicyChanged { .. }) = answer {
        let template_org = policies::get(store.conn(), &request.template_uuid)?.map(|p| p.org_uuid);
        for org in template_org.iter().chain([&request.org_uuid]) {
            if let Err(error) = refresh(client, store, org).await {
                tracing::warn!(org, %error, "could not refresh the policies after a refused copy");
            }
        }
    }
    answer.map_err(|e| in_words(e, &names, &request.org_uuid, &template_name, "copied"))?;
    refresh(client, store, &request.org_uuid).await?;
    let template = TemplateRef {
        template_uuid: request.template_uuid.clone(),
        org_uuid: request.org_uuid.clone(),
    };
    template_diff(store.conn(), &template)
}

/// Publishes one version of a policy, then answers the policy as the server now holds it.
pub async fn publish_policy(
    client: &Client,
    store: &mut Store,
    request: &PublishRequest,
) -> Result<PolicyRow> {
    let names = Names::load(store.conn())?;
    let policy_name = policies::get(store.conn(), &request.policy_uuid)?
        .map_or_else(|| request.policy_uuid.clone(), |p| p.name);
    let body = PublishPolicy {
        version: request.version,
    };

    let answer = client
        .publish_policy(&request.policy_uuid, &request.org_uuid, &body)
        .await;

    if let Err(Error::PolicyChanged { .. }) = answer {
        if let Err(error) = refresh(client, store, &request.org_uuid).await {
            tracing::warn!(%error, "could not refresh the policies after a refused publish");
        }
    }
    answer.map_err(|e| in_words(e, &names, &request.org_uuid, &policy_name, "published"))?;
    refresh(client, store, &request.org_uuid).await?;
    let stored =
        policies::get(store.conn(), &request.policy_uuid)?.ok_or_else(|| Error::NotFound {
            what: format!("policy {policy_name} any more"),
        })?;
    Ok(Names::load(store.conn())?.row(&stored))
}

/// Names the organisation and the policy in the errors the user acts on.
fn in_words(error: Error, names: &Names, org: &str, policy: &str, not_done: &str) -> Error {
    match error {
        Error::NoRights { .. } => {
            let org = names.org_name(org);
            Error::NoRights {
                what: format!("the organisation {org}, so the policy {policy} was not {not_done}"),
            }
        }
        Error::PolicyChanged { .. } => Error::PolicyChanged {
            policy: policy.to_owned(),
            not_done: not_done.to_owned(),
        },
        other => other,
    }
}

/// Fetches one organisation's policies into the cache.
async fn refresh(client: &Client, store: &mut Store, org: &str) -> Result<()> {
    let fetched = client.policies(org).await?;
    store.with_tx(|tx| policies::replace_org_policies(tx, org, &fetched))
}

#[cfg(test)]
mod tests {
    use koffer_api::Policy;
    use serde_json::json;

    use super::*;
    use crate::store::catalog;

    fn org(uuid: &str, name: &str, kind: OrganizationKind) -> Organization {
        Organization {
            uuid: uuid.to_owned(),
            name: name.to_owned(),
            kind,
            parent_uuid: None,
        }
    }

    fn policy(uuid: &str, org: &str, template: Option<&str>, ssid: &str) -> Policy {
        serde_json::from_value(
            json!({"uuid": uuid, "organizationUuid": org, "name": "WLAN",
            "version": 2, "published": true, "templateUuid": template,
            "modificationDate": "2026-12-01T00:00:00Z",
            "configurations": [{"type": "WIFI", "name": "Schul-WLAN", "ssid": ssid}]}),
        )
        .unwrap()
    }

    /// A template, one school with the same copy, one with a changed copy, one without.
    fn district() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in(dir.path()).unwrap();
        let orgs = [
            org("tpl", "Vorlagen", OrganizationKind::Template),
            org("a", "Schule A", OrganizationKind::School),
            org("b", "Schule B", OrganizationKind::School),
            org("c", "Schule C", OrganizationKind::School),
            org("d", "Bezirk", OrganizationKind::District),
        ];
        store
            .with_tx(|tx| {
                organisations::replace_all(tx, &orgs)?;
                catalog::replace_policies(tx, "tpl", &[policy("t", "tpl", None, "Schule")])?;
                catalog::replace_policies(tx, "a", &[policy("pa", "a", Some("t"), "Schule")])?;
                catalog::replace_policies(tx, "b", &[policy("pb", "b", Some("t"), "Gast")])
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn the_overview_has_one_row_per_template_and_school() {
        let (_dir, store) = district();

        let rows = template_overview(store.conn()).unwrap();

        let states: Vec<(&str, TemplateState, u32)> = rows
            .iter()
            .map(|r| (r.org_name.as_str(), r.state, r.changes))
            .collect();
        assert_eq!(
            states,
            [
                ("Schule A", TemplateState::Same, 0),
                ("Schule B", TemplateState::Differs, 1),
                ("Schule C", TemplateState::Missing, 1),
            ],
            "schools only, by name; the district has no row"
        );
    }

    #[test]
    fn the_preview_carries_the_versions_a_copy_must_expect() {
        let (_dir, store) = district();
        let wanted = TemplateRef {
            template_uuid: "t".to_owned(),
            org_uuid: "b".to_owned(),
        };

        let diff = template_diff(store.conn(), &wanted).unwrap();

        assert_eq!((diff.template_version, diff.copy_version), (2, Some(2)));
        assert_eq!(diff.org_name, "Schule B");
        assert_eq!(diff.changed[0].values[0].copy.as_deref(), Some("Gast"));
        assert!(!diff.time_windows_changed);
    }

    #[test]
    fn only_templates_are_compared_and_only_with_schools() {
        let (_dir, store) = district();
        let not_a_template = TemplateRef {
            template_uuid: "pa".to_owned(),
            org_uuid: "b".to_owned(),
        };
        let not_a_school = TemplateRef {
            template_uuid: "t".to_owned(),
            org_uuid: "d".to_owned(),
        };

        let refused = template_diff(store.conn(), &not_a_template).unwrap_err();
        let district = template_diff(store.conn(), &not_a_school).unwrap_err();

        assert!(refused.to_string().contains("not a template"), "{refused}");
        assert!(
            district.to_string().contains("Bezirk is not a school"),
            "{district}"
        );
    }
}
