//! Remediation: installing a missing required app, or removing a forbidden managed one, on one
//! device, a selection, or every non-compliant device a filter (a group, a case) matches.
//!
//! Before anything is queued, the plan checks the organisation's catalogue and its VPP
//! licences of the app: devices are given the licences left in order, the rest are told why
//! not, and an install with no licence left at all is refused with the count. What passes goes
//! through the ordinary action preflight into the outbox ([`crate::actions`]).

use std::collections::BTreeMap;

use chrono::Utc;
use koffer_api::{ActionParameters, ActionType, Role};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::evaluate::{self, AppNames, DeviceFacts, PolicyBook};
use super::AppRef;
use crate::actions::preflight::{Check, Verdict};
use crate::actions::{self, Requested};
use crate::error::Result;
use crate::query::DeviceQuery;
use crate::store::{sync_status, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum RemediationKind {
    /// Install a missing required app (takes a VPP licence).
    Install,
    /// Remove a forbidden managed app (frees its licence).
    Remove,
}

/// What the user asks to remediate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    /// The devices chosen; used when `query` is `null`.
    pub device_uuids: Vec<String>,
    /// Every device matching these filters that misses the app as a required one (install)
    /// or has it as a forbidden one (remove): "all non-compliant devices of this case".
    pub query: Option<DeviceQuery>,
    pub bundle_id: String,
    pub kind: RemediationKind,
}

/// What the remediation will do in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OrgRemediation {
    pub org_uuid: String,
    pub org_name: String,
    pub in_catalogue: bool,
    /// VPP licences of the app left for new devices, after the installs Koffer queued that the
    /// last sync does not count yet; `null` for a removal.
    pub licences_left: Option<u32>,
    /// Devices asked for in this organisation.
    pub devices: u32,
    /// Devices that will get the action.
    pub will_get: u32,
    /// Devices that will not, each with its reason in `requested`.
    pub will_not: u32,
}

/// Why nothing at all can be queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    /// "no_licences_left", "app_not_in_catalogue" or "nothing_to_do".
    pub key: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RemediationPreview {
    /// The app, when any organisation of the devices has it in its catalogue.
    pub app: Option<AppRef>,
    pub kind: RemediationKind,
    pub orgs: Vec<OrgRemediation>,
    /// Each device with its checks: the action's preflight and the licence check.
    pub requested: Vec<Requested>,
    /// Set when nothing can be queued: the request is refused before sending.
    pub refusal: Option<Refusal>,
}

/// A device the remediation would act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub device_uuid: String,
    pub org_uuid: String,
    /// The app is installed on the device; `managed` when the MDM installed it.
    pub installed: bool,
    pub managed: bool,
    /// The action's own preflight lets it through.
    pub preflight_passes: bool,
}

/// An organisation's stock of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock {
    pub in_catalogue: bool,
    pub left: u32,
}

/// What becomes of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Not sent, with the check that says why (key, message).
    Skip(&'static str, String),
    /// The action's preflight blocks it; its checks say why.
    Blocked,
}

/// Decides, in order, which targets get the action: installs only in organisations that have
/// the app in their catalogue, one licence each while licences are left.
pub fn plan(
    kind: RemediationKind,
    bundle_id: &str,
    targets: &[Target],
    stock: &BTreeMap<String, Stock>,
) -> Vec<Decision> {
    let mut left: BTreeMap<&str, u32> = stock.iter().map(|(o, s)| (o.as_str(), s.left)).collect();
    targets
        .iter()
        .map(|t| {
            let in_catalogue = stock.get(&t.org_uuid).is_some_and(|s| s.in_catalogue);
            match kind {
                RemediationKind::Install if t.installed => Decision::Skip(
                    "already_installed",
                    "The app is already installed.".to_owned(),
                ),
                RemediationKind::Install if !in_catalogue => Decision::Skip(
                    "catalogue",
                    format!(
                        "{bundle_id} is not in the organisation's app catalogue; add it there in \
                         Relution first."
                    ),
                ),
                RemediationKind::Remove if !t.installed => {
                    Decision::Skip("not_installed", "The app is not installed.".to_owned())
                }
                RemediationKind::Remove if !t.managed => Decision::Skip(
                    "managed",
                    "The app was installed by the user, not by the MDM; only managed apps can be \
                     removed. Ask the student to delete it, or erase the device."
                        .to_owned(),
                ),
                _ if !t.preflight_passes => Decision::Blocked,
                RemediationKind::Remove => Decision::Send,
                RemediationKind::Install => {
                    let remaining = left.entry(t.org_uuid.as_str()).or_insert(0);
                    if *remaining == 0 {
                        Decision::Skip("licences", "No VPP licence of the app is left.".to_owned())
                    } else {
                        *remaining -= 1;
                        Decision::Send
                    }
                }
            }
        })
        .collect()
}

/// The preview: every device's checks, and per organisation how many devices will get it.
pub fn preview(store: &Store, request: &Remediation, role: Role) -> Result<RemediationPreview> {
    let now = Utc::now().timestamp_millis();
    let conn = store.conn();
    let devices = targets(conn, request, now)?;
    let uuids: Vec<String> = devices.iter().map(|d| d.uuid.clone()).collect();
    let (kind, parameters) = action_of(request);
    let mut requested = actions::preview(store, &uuids, kind, &parameters, role)?;
    let mut targets = Vec::with_capacity(devices.len());
    for (device, r) in devices.iter().zip(&requested) {
        let (installed, managed) = installed(conn, &device.uuid, &request.bundle_id)?;
        targets.push(Target {
            device_uuid: device.uuid.clone(),
            org_uuid: device.org_uuid.clone(),
            installed,
            managed,
            preflight_passes: r.preflight.can_send,
        });
    }
    let stock = stock(conn, &devices, &request.bundle_id, now)?;
    let decisions = plan(request.kind, &request.bundle_id, &targets, &stock);
    for (r, decision) in requested.iter_mut().zip(&decisions) {
        apply(r, decision);
    }
    let orgs = per_org(&devices, &decisions, &stock, request.kind);
    let book = PolicyBook::load(conn, now)?;
    let app = app_of(conn, &book, &request.bundle_id, &stock)?;
    let refusal = refusal(request, app.as_ref(), &orgs, &decisions);
    Ok(RemediationPreview {
        app,
        kind: request.kind,
        orgs,
        requested,
        refusal,
    })
}

/// Queues the action for the devices the preview lets through; nothing when it is refused.
/// Returns the preview as it was decided, with the queued actions' ids.
pub fn request(
    store: &mut Store,
    request: &Remediation,
    requested_by: &str,
    role: Role,
) -> Result<RemediationPreview> {
    let mut decided = preview(store, request, role)?;
    if decided.refusal.is_some() {
        return Ok(decided);
    }
    let chosen: Vec<String> = decided
        .requested
        .iter()
        .filter(|r| r.preflight.can_send)
        .map(|r| r.device_uuid.clone())
        .collect();
    let (kind, parameters) = action_of(request);
    let queued = actions::request(store, &chosen, kind, &parameters, requested_by, role)?;
    for q in queued {
        if let Some(r) = decided
            .requested
            .iter_mut()
            .find(|r| r.device_uuid == q.device_uuid)
        {
            *r = q;
        }
    }
    Ok(decided)
}

fn action_of(request: &Remediation) -> (ActionType, ActionParameters) {
    let kind = match request.kind {
        RemediationKind::Install => ActionType::InstallApp,
        RemediationKind::Remove => ActionType::RemoveApp,
    };
    let parameters = ActionParameters {
        bundle_id: Some(request.bundle_id.trim().to_owned()),
        ..ActionParameters::default()
    };
    (kind, parameters)
}

/// The devices asked for: the listed ones, or those matching the query that miss (install)
/// or have forbidden (remove) the app.
fn targets(conn: &Connection, request: &Remediation, now_ms: i64) -> Result<Vec<DeviceFacts>> {
    let Some(query) = &request.query else {
        let mut listed = evaluate::listed_devices(conn, &request.device_uuids)?;
        let order = |d: &DeviceFacts| request.device_uuids.iter().position(|u| *u == d.uuid);
        listed.sort_by_key(order);
        return Ok(listed);
    };
    let book = PolicyBook::load(conn, now_ms)?;
    let mut interner = book.apps.clone();
    let Some(app) = book.apps.get(request.bundle_id.trim()) else {
        return Ok(Vec::new());
    };
    let mut chosen = Vec::new();
    evaluate::judge_devices(conn, &book, &mut interner, query, now_ms, |judged| {
        let list = match request.kind {
            RemediationKind::Install => &judged.verdict.missing,
            RemediationKind::Remove => &judged.verdict.forbidden,
        };
        if list.contains(&app) {
            chosen.push(judged.device);
        }
        Ok(())
    })?;
    chosen.sort_by_cached_key(|d| (d.org_name.to_lowercase(), d.name.to_lowercase()));
    Ok(chosen)
}

fn installed(conn: &Connection, device: &str, bundle_id: &str) -> Result<(bool, bool)> {
    let managed: Option<bool> = conn
        .query_row(
            "SELECT managed FROM installed_apps WHERE device_uuid = ?1 AND bundle_id = ?2",
            [device, bundle_id.trim()],
            |row| row.get(0),
        )
        .optional()?;
    Ok((managed.is_some(), managed.unwrap_or(false)))
}

/// Each organisation's stock of the app: in its catalogue, and the licences left after the
/// installs Koffer queued that the catalogue does not count yet.
fn stock(
    conn: &Connection,
    devices: &[DeviceFacts],
    bundle_id: &str,
    now_ms: i64,
) -> Result<BTreeMap<String, Stock>> {
    let mut stock = BTreeMap::new();
    for device in devices {
        if stock.contains_key(&device.org_uuid) {
            continue;
        }
        let counts: Option<(u32, u32)> = conn
            .query_row(
                "SELECT vpp_licenses_total, vpp_licenses_assigned FROM catalog_apps
                 WHERE org_uuid = ?1 AND bundle_id = ?2 LIMIT 1",
                [&device.org_uuid, bundle_id.trim()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let pending = pending_installs(conn, &device.org_uuid, bundle_id.trim(), now_ms)?;
        let left = counts.map_or(0, |(total, assigned)| {
            total.saturating_sub(assigned).saturating_sub(pending)
        });
        let entry = Stock {
            in_catalogue: counts.is_some(),
            left,
        };
        stock.insert(device.org_uuid.clone(), entry);
    }
    Ok(stock)
}

/// Installs of the app Koffer asked for in the organisation that the synced licence counts do
/// not include yet: still open, or acknowledged since the last sync began.
pub fn pending_installs(
    conn: &Connection,
    org: &str,
    bundle_id: &str,
    _now_ms: i64,
) -> Result<u32> {
    let synced_from = sync_status::get(conn, org)?.last_attempt.unwrap_or(0);
    let count = conn.query_row(
        "SELECT count(*) FROM actions
         WHERE org_uuid = ?1 AND kind = 'INSTALL_APP'
           AND json_extract(parameters, '$.bundleId') = ?2
           AND (state IN ('OUTBOX', 'QUEUED', 'SENT', 'NOT_NOW')
                OR (state = 'ACKNOWLEDGED' AND updated_at >= ?3))",
        rusqlite::params![org, bundle_id, synced_from],
        |row| row.get(0),
    )?;
    Ok(count)
}

/// Adds the licence or catalogue check to a device's preflight.
fn apply(requested: &mut Requested, decision: &Decision) {
    let check = |key: &str, verdict: Verdict, message: String| Check {
        key: key.to_owned(),
        verdict,
        message,
    };
    match decision {
        Decision::Send => {}
        Decision::Blocked => {}
        Decision::Skip(key, message) => {
            requested
                .preflight
                .checks
                .push(check(key, Verdict::Block, message.clone()));
            requested.preflight.can_send = false;
        }
    }
}

fn per_org(
    devices: &[DeviceFacts],
    decisions: &[Decision],
    stock: &BTreeMap<String, Stock>,
    kind: RemediationKind,
) -> Vec<OrgRemediation> {
    let mut orgs: Vec<OrgRemediation> = Vec::new();
    for (device, decision) in devices.iter().zip(decisions) {
        let index = match orgs.iter().position(|o| o.org_uuid == device.org_uuid) {
            Some(index) => index,
            None => {
                let s = stock.get(&device.org_uuid).copied();
                orgs.push(OrgRemediation {
                    org_uuid: device.org_uuid.clone(),
                    org_name: device.org_name.clone(),
                    in_catalogue: s.is_some_and(|s| s.in_catalogue),
                    licences_left: match kind {
                        RemediationKind::Install => Some(s.map_or(0, |s| s.left)),
                        RemediationKind::Remove => None,
                    },
                    devices: 0,
                    will_get: 0,
                    will_not: 0,
                });
                orgs.len() - 1
            }
        };
        let org = &mut orgs[index];
        org.devices += 1;
        if *decision == Decision::Send {
            org.will_get += 1;
        } else {
            org.will_not += 1;
        }
    }
    orgs.sort_by_cached_key(|o| o.org_name.to_lowercase());
    orgs
}

fn app_of(
    conn: &Connection,
    book: &PolicyBook,
    bundle_id: &str,
    stock: &BTreeMap<String, Stock>,
) -> Result<Option<AppRef>> {
    let catalogued: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM catalog_apps WHERE bundle_id = ?1)",
        [bundle_id.trim()],
        |row| row.get(0),
    )?;
    if !catalogued && !stock.values().any(|s| s.in_catalogue) {
        return Ok(None);
    }
    Ok(Some(AppNames::new(conn, book)?.app(bundle_id.trim())?))
}

/// Refuses the whole request when no device can get the action, saying why with the count.
fn refusal(
    request: &Remediation,
    app: Option<&AppRef>,
    orgs: &[OrgRemediation],
    decisions: &[Decision],
) -> Option<Refusal> {
    if decisions.contains(&Decision::Send) {
        return None;
    }
    let bundle_id = request.bundle_id.trim();
    let refuse = |key: &str, message: String| {
        Some(Refusal {
            key: key.to_owned(),
            message,
        })
    };
    if decisions.is_empty() {
        return refuse(
            "nothing_to_do",
            format!("No device needs this: none of the chosen devices lacks or has {bundle_id}."),
        );
    }
    let install = request.kind == RemediationKind::Install;
    if install && app.is_none() {
        return refuse(
            "app_not_in_catalogue",
            format!(
                "{bundle_id} is not in the app catalogue of {}. Koffer installs only apps the \
                 organisation offers; add it in Relution first. Nothing was queued.",
                names(orgs.iter().filter(|o| !o.in_catalogue))
            ),
        );
    }
    let out_of_licences = || {
        decisions
            .iter()
            .any(|d| matches!(d, Decision::Skip("licences", _)))
    };
    if install && out_of_licences() {
        let name = app.map_or(bundle_id, |a| a.name.as_str());
        let counts: Vec<String> = orgs
            .iter()
            .filter(|o| o.in_catalogue)
            .map(|o| {
                format!(
                    "{}: {} left for {} devices",
                    o.org_name,
                    o.licences_left.unwrap_or(0),
                    o.devices
                )
            })
            .collect();
        return refuse(
            "no_licences_left",
            format!(
                "No VPP licences of {name} are left ({}). Nothing was queued. Buy more licences, \
                 or free some by removing the app from devices that no longer need it.",
                counts.join("; ")
            ),
        );
    }
    refuse(
        "nothing_to_do",
        "None of the chosen devices can get this; each device's checks say why. Nothing was queued."
            .to_owned(),
    )
}

fn names<'a>(orgs: impl Iterator<Item = &'a OrgRemediation>) -> String {
    let names: Vec<&str> = orgs.map(|o| o.org_name.as_str()).collect();
    if names.is_empty() {
        "the organisation".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(device: &str, org: &str) -> Target {
        Target {
            device_uuid: device.into(),
            org_uuid: org.into(),
            installed: false,
            managed: false,
            preflight_passes: true,
        }
    }

    fn stock_of(entries: &[(&str, bool, u32)]) -> BTreeMap<String, Stock> {
        entries
            .iter()
            .map(|(org, in_catalogue, left)| {
                let stock = Stock {
                    in_catalogue: *in_catalogue,
                    left: *left,
                };
                (org.to_string(), stock)
            })
            .collect()
    }

    fn sent(decisions: &[Decision]) -> usize {
        decisions.iter().filter(|d| **d == Decision::Send).count()
    }

    #[test]
    fn installs_get_the_licences_left_in_order_and_the_rest_are_told_why_not() {
        let targets = [target("a", "o"), target("b", "o"), target("c", "o")];

        let decisions = plan(
            RemediationKind::Install,
            "x",
            &targets,
            &stock_of(&[("o", true, 2)]),
        );

        assert_eq!(decisions[..2], [Decision::Send, Decision::Send]);
        assert!(
            matches!(decisions[2], Decision::Skip("licences", _)),
            "{decisions:?}"
        );
    }

    #[test]
    fn each_organisation_spends_its_own_licences() {
        let targets = [target("a", "o1"), target("b", "o2"), target("c", "o2")];

        let stock = stock_of(&[("o1", true, 0), ("o2", true, 5)]);
        let decisions = plan(RemediationKind::Install, "x", &targets, &stock);

        assert!(
            matches!(decisions[0], Decision::Skip("licences", _)),
            "o1 has none left"
        );
        assert_eq!(sent(&decisions), 2, "o2's licences are not o1's");
    }

    #[test]
    fn an_app_outside_the_catalogue_is_never_installed() {
        let targets = [target("a", "o")];

        let decisions = plan(
            RemediationKind::Install,
            "x",
            &targets,
            &stock_of(&[("o", false, 9)]),
        );

        assert!(matches!(decisions[0], Decision::Skip("catalogue", _)));
    }

    #[test]
    fn a_device_the_preflight_blocks_takes_no_licence() {
        let blocked = Target {
            preflight_passes: false,
            ..target("a", "o")
        };
        let targets = [blocked, target("b", "o")];

        let decisions = plan(
            RemediationKind::Install,
            "x",
            &targets,
            &stock_of(&[("o", true, 1)]),
        );

        assert_eq!(
            decisions,
            [Decision::Blocked, Decision::Send],
            "the licence goes to b"
        );
    }

    #[test]
    fn a_device_that_has_the_app_already_is_not_sent_an_install() {
        let has_it = Target {
            installed: true,
            ..target("a", "o")
        };

        let decisions = plan(
            RemediationKind::Install,
            "x",
            &[has_it],
            &stock_of(&[("o", true, 1)]),
        );

        assert!(matches!(
            decisions[0],
            Decision::Skip("already_installed", _)
        ));
    }

    #[test]
    fn only_managed_installed_apps_can_be_removed_and_need_no_licence() {
        let managed = Target {
            installed: true,
            managed: true,
            ..target("a", "o")
        };
        let by_user = Target {
            installed: true,
            ..target("b", "o")
        };
        let absent = target("c", "o");

        let stock = stock_of(&[("o", true, 0)]);
        let decisions = plan(
            RemediationKind::Remove,
            "x",
            &[managed, by_user, absent],
            &stock,
        );

        assert_eq!(
            decisions[0],
            Decision::Send,
            "no licence is needed to remove"
        );
        assert!(matches!(decisions[1], Decision::Skip("managed", _)));
        assert!(matches!(decisions[2], Decision::Skip("not_installed", _)));
    }
}
