//! The sync engine: brings the cache up to date with the server, one organisation at a time.
//!
//! [`plan`] decides; this module fetches and writes. Devices are fetched a page at a time while
//! the previous page is written, and each page is committed with its apps, memberships and the
//! pass's progress in one transaction, so killing the process loses at most that page and the
//! next sync resumes after the last committed one.

pub mod plan;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use koffer_api::{paths, Device, Filter, Organization};
use tokio::sync::mpsc;

use crate::client::{Client, DEVICE_PAGE};
use crate::error::{Error, ErrorCode, Result};
use crate::store::catalog::{self, OrgCatalog};
use crate::store::devices::{self, DeviceRecord};
use crate::store::sync_status::{self, SyncStatus};
use crate::store::{organisations, Store};
use plan::{OrgPass, PassRules};

/// Pages fetched ahead of the writer.
const PAGES_AHEAD: usize = 2;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Reconcile every device instead of fetching changes.
    pub full: bool,
    /// A full pass is due when the last one is older than this.
    pub full_after: Duration,
    /// Sync only these organisations (names or uuids); all when empty.
    pub only: Vec<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            full: false,
            full_after: Duration::from_secs(24 * 3600),
            only: Vec::new(),
        }
    }
}

/// What the sync reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Started {
        org: String,
        name: String,
        full: bool,
    },
    Devices {
        org: String,
        done: u64,
        total: u64,
    },
    Finished {
        org: String,
        error: Option<String>,
    },
}

/// How one organisation's sync ended.
#[derive(Debug)]
pub struct OrgOutcome {
    pub org: Organization,
    pub full: bool,
    pub result: Result<OrgSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgSummary {
    pub written: u64,
    pub removed: u64,
    pub total: u64,
}

#[derive(Debug)]
pub struct SyncReport {
    pub orgs: Vec<OrgOutcome>,
}

impl SyncReport {
    pub fn failures(&self) -> impl Iterator<Item = (&Organization, &Error)> {
        self.orgs
            .iter()
            .filter_map(|o| o.result.as_ref().err().map(|e| (&o.org, e)))
    }
}

/// A page of devices with their apps, and the offset after it.
struct Batch {
    records: Vec<DeviceRecord>,
    next_offset: u64,
    total: u64,
}

type ProgressFn<'a> = &'a (dyn Fn(&Progress) + Send + Sync);

/// Syncs every organisation the token has rights on (or those in `options.only`).
///
/// Fails as a whole only when the organisations cannot be listed or the token is rejected;
/// otherwise each organisation's outcome is in the report, and the ones that failed keep their
/// last good data.
pub async fn sync(
    client: Arc<Client>,
    store: &mut Store,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<SyncReport> {
    let all = client.organizations().await?;
    store.with_tx(|tx| organisations::replace_all(tx, &all))?;
    let chosen = choose_organisations(&all, &options.only)?;
    let rules = PassRules {
        force_full: options.full,
        full_after_ms: options.full_after.as_millis() as i64,
    };
    let mut report = SyncReport { orgs: Vec::new() };
    for org in chosen {
        let outcome = sync_org(&client, store, org, rules, progress).await;
        // A rejected token or a server gone away fails every organisation after this one too;
        // trying each would only make the user wait for their retries.
        let hopeless = matches!(
            &outcome.result,
            Err(e) if matches!(e.code(), ErrorCode::TokenRejected | ErrorCode::Offline)
        );
        report.orgs.push(outcome);
        if hopeless {
            break;
        }
    }
    Ok(report)
}

fn choose_organisations(all: &[Organization], only: &[String]) -> Result<Vec<Organization>> {
    if only.is_empty() {
        return Ok(all.to_vec());
    }
    only.iter()
        .map(|wanted| {
            all.iter()
                .find(|o| o.uuid == *wanted || o.name.eq_ignore_ascii_case(wanted))
                .cloned()
                .ok_or_else(|| unknown_organisation(wanted, all))
        })
        .collect()
}

fn unknown_organisation(wanted: &str, all: &[Organization]) -> Error {
    let names: Vec<&str> = all.iter().map(|o| o.name.as_str()).collect();
    Error::InvalidInput(format!(
        "The token has no organisation named \"{wanted}\". It has rights on: {}.",
        names.join(", ")
    ))
}

async fn sync_org(
    client: &Arc<Client>,
    store: &mut Store,
    org: Organization,
    rules: PassRules,
    progress: ProgressFn<'_>,
) -> OrgOutcome {
    let now = Utc::now().timestamp_millis();
    let result = sync_status::get(store.conn(), &org.uuid);
    let pass = result.map(|status| (plan::choose_pass(&status, now, rules), status));
    let (pass, status) = match pass {
        Ok(chosen) => chosen,
        Err(error) => {
            return OrgOutcome {
                org,
                full: false,
                result: Err(error),
            }
        }
    };
    let full = matches!(pass, OrgPass::Full { .. });
    progress(&Progress::Started {
        org: org.uuid.clone(),
        name: org.name.clone(),
        full,
    });

    let result = run_pass(client, store, &org.uuid, pass, status, now, progress).await;
    if let Err(error) = &result {
        record_failure(store, &org.uuid, error);
    }
    let error = result.as_ref().err().map(ToString::to_string);
    progress(&Progress::Finished {
        org: org.uuid.clone(),
        error,
    });
    OrgOutcome { org, full, result }
}

async fn run_pass(
    client: &Arc<Client>,
    store: &mut Store,
    org: &str,
    pass: OrgPass,
    mut status: SyncStatus,
    now: i64,
    progress: ProgressFn<'_>,
) -> Result<OrgSummary> {
    status.last_attempt = Some(now);
    store.with_tx(|tx| sync_status::put(tx, &status))?;

    let catalog = fetch_catalog(client, org).await?;
    let fingerprint = catalog_fingerprint(&catalog);
    if status.catalog_hash.as_ref() != Some(&fingerprint) {
        status.catalog_hash = Some(fingerprint);
        store.with_tx(|tx| {
            catalog::replace(tx, org, &catalog)?;
            sync_status::put(tx, &status)
        })?;
    }

    match pass {
        OrgPass::Full { pass, offset } => {
            full_pass(client, store, org, pass, offset, status, progress).await
        }
        OrgPass::Changes { since } => {
            changes_pass(client, store, org, since, status, progress).await
        }
    }
}

/// A fingerprint of the catalogue as fetched: an unchanged one is not written again, which
/// keeps a re-sync of a large district from rewriting every class list each time.
fn catalog_fingerprint(catalog: &OrgCatalog) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_vec(catalog)
        .expect("a catalogue serialises")
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

async fn fetch_catalog(client: &Client, org: &str) -> Result<OrgCatalog> {
    let (groups, classes, policies, apps, licences, dep_profiles) = tokio::try_join!(
        client.device_groups(org),
        client.classes(org),
        client.policies(org),
        client.catalog_apps(org),
        client.licences(org),
        client.dep_profiles(org),
    )?;
    Ok(OrgCatalog {
        groups,
        classes,
        policies,
        apps,
        licences,
        dep_profiles,
    })
}

async fn full_pass(
    client: &Arc<Client>,
    store: &mut Store,
    org: &str,
    pass: i64,
    offset: u64,
    mut status: SyncStatus,
    progress: ProgressFn<'_>,
) -> Result<OrgSummary> {
    status.pass = pass;
    status.pass_offset = Some(offset);
    store.with_tx(|tx| sync_status::put(tx, &status))?;

    let mut pages = fetch_pages_ahead(client.clone(), org.to_owned(), offset);
    let mut written = 0;
    while let Some(batch) = pages.recv().await {
        let batch = batch?;
        status.pass_offset = Some(batch.next_offset);
        status.devices_done = batch.next_offset.min(batch.total);
        status.devices_total = batch.total;
        write_batch(store, pass, &batch.records, &status)?;
        written += batch.records.len() as u64;
        progress(&Progress::Devices {
            org: org.to_owned(),
            done: status.devices_done,
            total: batch.total,
        });
    }

    let removed = finish_full_pass(store, org, pass, status)?;
    let total = devices::count(store.conn(), Some(org))?;
    Ok(OrgSummary {
        written,
        removed,
        total,
    })
}

fn write_batch(
    store: &mut Store,
    pass: i64,
    records: &[DeviceRecord],
    status: &SyncStatus,
) -> Result<()> {
    tokio::task::block_in_place(|| {
        store.with_tx(|tx| {
            devices::upsert(tx, pass, records)?;
            sync_status::put(tx, status)
        })
    })
}

fn finish_full_pass(
    store: &mut Store,
    org: &str,
    pass: i64,
    mut status: SyncStatus,
) -> Result<u64> {
    let now = Utc::now().timestamp_millis();
    store.with_tx(|tx| {
        let removed = devices::delete_unseen(tx, org, pass)?;
        let newest: Option<i64> = tx.query_row(
            "SELECT max(modified_at) FROM devices WHERE org_uuid = ?1",
            [org],
            |row| row.get(0),
        )?;
        // An organisation without devices (a district) starts its changes from the beginning.
        status.watermark = newest.or(Some(0));
        status.pass_offset = None;
        status.last_full = Some(now);
        status.last_success = Some(now);
        status.last_error = None;
        status.devices_done = status.devices_total;
        sync_status::put(tx, &status)?;
        Ok(removed as u64)
    })
}

/// Fetches pages of devices with their apps from `offset` on, a few pages ahead of the writer.
fn fetch_pages_ahead(
    client: Arc<Client>,
    org: String,
    offset: u64,
) -> mpsc::Receiver<Result<Batch>> {
    let (sender, receiver) = mpsc::channel(PAGES_AHEAD);
    tokio::spawn(async move {
        let mut offset = offset;
        loop {
            let batch = fetch_batch(&client, &org, offset, None).await;
            let done = match &batch {
                Ok(b) => b.records.is_empty() || b.next_offset >= b.total,
                Err(_) => true,
            };
            if let Ok(b) = &batch {
                offset = b.next_offset;
            }
            if sender.send(batch).await.is_err() || done {
                return;
            }
        }
    });
    receiver
}

async fn fetch_batch(
    client: &Client,
    org: &str,
    offset: u64,
    filter: Option<Filter>,
) -> Result<Batch> {
    let page = client.device_page(org, offset, filter).await?;
    let total = page
        .nonpaged_count
        .unwrap_or(offset + page.results.len() as u64);
    let next_offset = offset + page.results.len() as u64;
    let records = with_apps(client, org, page.results).await?;
    Ok(Batch {
        records,
        next_offset,
        total,
    })
}

async fn with_apps(client: &Client, org: &str, devices: Vec<Device>) -> Result<Vec<DeviceRecord>> {
    let uuids: Vec<String> = devices.iter().map(|d| d.uuid.clone()).collect();
    let mut apps = client.installed_apps(org, &uuids).await?;
    apps.sort_by(|a, b| a.device_uuid.cmp(&b.device_uuid));
    let records = devices
        .into_iter()
        .map(|device| {
            let start = apps.partition_point(|a| a.device_uuid.as_deref() < Some(&device.uuid));
            let end = apps.partition_point(|a| a.device_uuid.as_deref() <= Some(&device.uuid));
            DeviceRecord {
                apps: apps[start..end].to_vec(),
                device,
            }
        })
        .collect();
    Ok(records)
}

async fn changes_pass(
    client: &Arc<Client>,
    store: &mut Store,
    org: &str,
    since: i64,
    mut status: SyncStatus,
    progress: ProgressFn<'_>,
) -> Result<OrgSummary> {
    let since_time = chrono::DateTime::from_timestamp_millis(since).unwrap_or_default();
    let changed = fetch_all_matching(
        client,
        org,
        Filter::since(paths::device_field::MODIFICATION_DATE, since_time),
    )
    .await?;
    let just_fetched: HashSet<String> = changed.iter().map(|r| r.device.uuid.clone()).collect();
    write_batch(store, 0, &changed, &status)?;

    let stubs = client.device_stubs(org).await?;
    let cached = devices::modification_times(store.conn(), org)?;
    let reconcile = plan::reconcile(&cached, &stubs, &just_fetched);
    let mut written = changed.len() as u64;
    for chunk in reconcile.fetch.chunks(DEVICE_PAGE as usize) {
        let filter = Filter::any_of(paths::device_field::UUID, chunk.to_vec());
        let missed = fetch_all_matching(client, org, filter).await?;
        write_batch(store, 0, &missed, &status)?;
        written += missed.len() as u64;
    }

    let now = Utc::now().timestamp_millis();
    let removed = store.with_tx(|tx| {
        let removed = devices::delete(tx, &reconcile.delete)?;
        status.watermark = plan::watermark(&stubs).or(status.watermark);
        status.last_success = Some(now);
        status.last_error = None;
        status.devices_total = stubs.len() as u64;
        status.devices_done = stubs.len() as u64;
        sync_status::put(tx, &status)?;
        Ok(removed as u64)
    })?;
    progress(&Progress::Devices {
        org: org.to_owned(),
        done: status.devices_done,
        total: status.devices_total,
    });
    Ok(OrgSummary {
        written,
        removed,
        total: stubs.len() as u64,
    })
}

/// Every device matching `filter`, with apps, page by page.
async fn fetch_all_matching(
    client: &Client,
    org: &str,
    filter: Filter,
) -> Result<Vec<DeviceRecord>> {
    let mut records = Vec::new();
    loop {
        let batch = fetch_batch(client, org, records.len() as u64, Some(filter.clone())).await?;
        let done = batch.records.is_empty() || batch.next_offset >= batch.total;
        records.extend(batch.records);
        if done {
            return Ok(records);
        }
    }
}

fn record_failure(store: &mut Store, org: &str, error: &Error) {
    let message = error.to_string();
    let recorded = store.with_tx(|tx| {
        let mut status = sync_status::get(tx, org)?;
        status.last_error = Some(message);
        sync_status::put(tx, &status)
    });
    if let Err(store_error) = recorded {
        tracing::warn!(org, %store_error, "could not record a failed sync");
    }
}
