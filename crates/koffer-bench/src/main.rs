//! `koffer-bench`: the performance figures of DESIGN.md, measured in one run.
//!
//! Starts the emulator (`koffer-sim`, built next to this binary) with a district of devices and
//! measures: (a) the store floor, writing the same devices and apps straight into a fresh
//! cache; (b) a first full sync over loopback HTTP; (c) a re-sync after 1% of the devices
//! changed; (d) search and filter latency over a larger cache; (e) the sync's peak memory;
//! (f) a lock of 500 devices in one bulk action, until the server accepted all of them.

mod compliance;
mod lessons;
mod queries;
mod sim;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use koffer_api::{ActionParameters, ActionType, Role};
use koffer_core::actions;
use koffer_core::client::Client;
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::devices::{self, DeviceRecord};
use koffer_core::store::{organisations, Store};
use koffer_core::sync::{self, SyncOptions};

#[derive(Debug, Parser)]
struct Options {
    /// Devices the emulator serves (over all schools).
    #[arg(long, default_value_t = 50_000)]
    devices: usize,
    /// Schools the devices are spread over.
    #[arg(long, default_value_t = 8)]
    schools: usize,
    /// Devices in the cache that search and filters run over.
    #[arg(long, default_value_t = 200_000)]
    query_devices: usize,
    /// Times each query runs.
    #[arg(long, default_value_t = 25)]
    runs: usize,
    /// Measure only this: `lessons` runs row (g) alone, `compliance` row (h).
    only: Option<String>,
}

#[derive(Debug)]
struct Figures {
    floor: Duration,
    full_sync: Duration,
    resync: Duration,
    resync_written: u64,
    search: queries::Latency,
    peak_sync_rss_mib: f64,
    bulk_lock: Duration,
    bulk_lock_devices: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if let Some(filled) = compliance::fill_if_asked(options.devices) {
        return filled;
    }
    if options.only.as_deref() == Some("compliance") {
        let work = tempfile::tempdir()?;
        print_compliance(&compliance::measure(options.devices, 3, work.path())?);
        return Ok(());
    }
    if options.only.as_deref() == Some("lessons") {
        let work = tempfile::tempdir()?;
        print_lessons(&lessons::measure(work.path()).await?);
        return Ok(());
    }
    let emulator = sim::Emulator::start(options.devices, options.schools)?;
    let client = Arc::new(Client::new(
        ServerUrl::parse(&emulator.url)?,
        AccessToken::new(&emulator.district_token)?,
    )?);
    let work = tempfile::tempdir()?;
    eprintln!(
        "emulator at {} with {} devices",
        emulator.url, options.devices
    );

    let (full_sync, peak_sync_rss_mib) = measure_full_sync(&client, work.path()).await?;
    let records = sim::fetch_everything(&client).await?;
    let floor = measure_store_floor(&client, &records, &work.path().join("floor.sqlite3")).await?;
    emulator.change_one_percent().await?;
    let (resync, resync_written) = measure_resync(&client, work.path()).await?;
    let (bulk_lock, bulk_lock_devices) = measure_bulk_lock(&client, work.path()).await?;
    let orgs = client.organizations().await?;
    let search = queries::measure(
        &orgs,
        &records,
        options.query_devices,
        options.runs,
        work.path(),
    )?;

    print_table(&Figures {
        floor,
        full_sync,
        resync,
        resync_written,
        search,
        peak_sync_rss_mib,
        bulk_lock,
        bulk_lock_devices,
    });
    print_lessons(&lessons::measure(work.path()).await?);
    print_compliance(&compliance::measure(options.devices, 3, work.path())?);
    Ok(())
}

fn print_compliance(h: &compliance::ComplianceFigures) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| (h) compliance of {} cached devices ({:.1} apps, 3 policies each; {} non-compliant): \
         all / one school / district view, peak memory | {} / {} / {}, {:.0} MiB | all < 1000 ms |",
        h.devices,
        h.apps_per_device,
        h.non_compliant,
        ms(h.report),
        ms(h.one_school),
        ms(h.district),
        h.peak_rss_mib
    );
}

fn print_lessons(g: &lessons::LessonFigures) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| (g) lesson on {} iPads: start accepted / lock accepted by the server / lock \
         acknowledged by all (online) | {} / {} / {} | lock accepted < 1000 ms |",
        g.devices,
        ms(g.start_accepted),
        ms(g.lock_accepted),
        ms(g.lock_acknowledged)
    );
}

async fn measure_full_sync(client: &Arc<Client>, dir: &Path) -> anyhow::Result<(Duration, f64)> {
    let mut store = Store::open(&dir.join("sync.sqlite3"))?;
    sim::reset_peak_rss();
    let started = Instant::now();

    let report = sync::sync(client.clone(), &mut store, &full(), &|_| {}).await?;

    let elapsed = started.elapsed();
    anyhow::ensure!(
        report.failures().count() == 0,
        "the full sync failed: {report:?}"
    );
    eprintln!(
        "full sync: {} devices in {elapsed:?}",
        devices::count(store.conn(), None)?
    );
    Ok((elapsed, sim::peak_rss_mib()))
}

async fn measure_store_floor(
    client: &Client,
    records: &[DeviceRecord],
    path: &Path,
) -> anyhow::Result<Duration> {
    let mut store = Store::open(path)?;
    let orgs = client.organizations().await?;
    store.with_tx(|tx| organisations::replace_all(tx, &orgs))?;
    let started = Instant::now();

    for batch in records.chunks(koffer_core::client::DEVICE_PAGE as usize) {
        store.with_tx(|tx| devices::upsert(tx, 1, batch))?;
    }

    let elapsed = started.elapsed();
    eprintln!("store floor: {} devices in {elapsed:?}", records.len());
    Ok(elapsed)
}

async fn measure_resync(client: &Arc<Client>, dir: &Path) -> anyhow::Result<(Duration, u64)> {
    let mut store = Store::open(&dir.join("sync.sqlite3"))?;
    let started = Instant::now();

    let report = sync::sync(client.clone(), &mut store, &SyncOptions::default(), &|_| {}).await?;

    let elapsed = started.elapsed();
    anyhow::ensure!(
        report.failures().count() == 0,
        "the re-sync failed: {report:?}"
    );
    let written = report
        .orgs
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .map(|s| s.written);
    Ok((elapsed, written.sum()))
}

/// Locks 500 devices in one bulk request: the time from the request until the server accepted
/// all of them, which is the outbox's flush.
async fn measure_bulk_lock(client: &Client, dir: &Path) -> anyhow::Result<(Duration, usize)> {
    let mut store = Store::open(&dir.join("sync.sqlite3"))?;
    let page = koffer_core::query::find_devices(
        store.conn(),
        &koffer_core::query::DeviceQuery {
            limit: Some(500),
            ..Default::default()
        },
        chrono::Utc::now().timestamp_millis(),
    )?;
    let devices: Vec<String> = page.rows.into_iter().map(|r| r.uuid).collect();
    let started = Instant::now();

    let requested = actions::request(
        &mut store,
        &devices,
        ActionType::DeviceLock,
        &ActionParameters::default(),
        "bench",
        Role::DistrictAdmin,
    )?;
    let flushed = actions::flush_outbox(client, &mut store).await?;

    let elapsed = started.elapsed();
    let queued = requested.iter().filter(|r| r.action_id.is_some()).count();
    anyhow::ensure!(
        flushed.accepted as usize == queued,
        "not all locks were accepted: {flushed:?}"
    );
    Ok((elapsed, queued))
}

fn full() -> SyncOptions {
    SyncOptions {
        full: true,
        ..SyncOptions::default()
    }
}

fn print_table(f: &Figures) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let ratio = f.full_sync.as_secs_f64() / f.floor.as_secs_f64();
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| (a) store floor: same devices and apps written in bulk | {} | reference |",
        ms(f.floor)
    );
    println!(
        "| (b) first full sync over loopback HTTP | {} | |",
        ms(f.full_sync)
    );
    println!("| (b)/(a) | {ratio:.2} | ≤ 2.0 |");
    println!(
        "| (c) re-sync, 1% changed ({} devices written) | {} | < 1000 ms |",
        f.resync_written,
        ms(f.resync)
    );
    println!(
        "| (d) search/filter over {} devices: median / max | {:.2} ms / {:.2} ms | < 10 ms / < 50 ms |",
        f.search.devices, f.search.median_ms, f.search.max_ms
    );
    println!(
        "| (e) peak memory (RSS) of the sync process | {:.0} MiB | |",
        f.peak_sync_rss_mib
    );
    println!(
        "| (f) lock {} devices in one bulk action, until all are accepted | {} ({:.0} actions/s) | |",
        f.bulk_lock_devices,
        ms(f.bulk_lock),
        f.bulk_lock_devices as f64 / f.bulk_lock.as_secs_f64()
    );
    for (name, median, max) in &f.search.per_query {
        println!("| query: {name} | {median:.2} ms / {max:.2} ms | |");
    }
}
