//! Search and filter latency over a large cache: a fixed set of queries, each run many times.

use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use koffer_api::Organization;
use koffer_core::query::{self, DeviceQuery, SortKey};
use koffer_core::store::devices::{self, DeviceRecord};
use koffer_core::store::{organisations, Store};

#[derive(Debug)]
pub struct Latency {
    pub devices: u64,
    pub median_ms: f64,
    pub max_ms: f64,
    pub per_query: Vec<(String, f64, f64)>,
}

/// Fills a cache with `target` devices (copies of `records` under new ids), then times each
/// query of [`query_set`] `runs` times: one page of 100 rows plus the total count.
pub fn measure(
    orgs: &[Organization],
    records: &[DeviceRecord],
    target: usize,
    runs: usize,
    dir: &Path,
) -> anyhow::Result<Latency> {
    let store = fill(orgs, records, target, &dir.join("query.sqlite3"))?;
    let now = Utc::now().timestamp_millis();
    let mut all = Vec::new();
    let mut per_query = Vec::new();
    let explain = std::env::var("KOFFER_BENCH_EXPLAIN").is_ok();
    for (name, query) in query_set(records) {
        if explain {
            eprintln!("{name}: {:?}", query::explain(store.conn(), &query, now)?);
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let page = query::find_devices(store.conn(), &query, now)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(page);
        }
        times.sort_by(f64::total_cmp);
        per_query.push((name, median(&times), *times.last().unwrap_or(&0.0)));
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    let devices = devices::count(store.conn(), None)?;
    Ok(Latency {
        devices,
        median_ms: median(&all),
        max_ms: *all.last().unwrap_or(&0.0),
        per_query,
    })
}

fn median(sorted: &[f64]) -> f64 {
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

fn fill(
    orgs: &[Organization],
    records: &[DeviceRecord],
    target: usize,
    path: &Path,
) -> anyhow::Result<Store> {
    let mut store = Store::open(path)?;
    store.with_tx(|tx| organisations::replace_all(tx, orgs))?;
    let copies = target.div_ceil(records.len().max(1));
    for copy in 0..copies {
        let wanted = target - copy * records.len();
        let renamed: Vec<DeviceRecord> = records
            .iter()
            .take(wanted)
            .map(|r| copy_of(r, copy))
            .collect();
        for batch in renamed.chunks(5000) {
            store.with_tx(|tx| devices::upsert(tx, 1, batch))?;
        }
    }
    store.conn().execute_batch("ANALYZE; PRAGMA optimize;")?;
    Ok(store)
}

fn copy_of(record: &DeviceRecord, copy: usize) -> DeviceRecord {
    let mut record = record.clone();
    if copy > 0 {
        record.device.uuid = format!("{}-{copy}", record.device.uuid);
        record.device.serial_number = format!("{}{copy}", record.device.serial_number);
        record.device.name = format!("{}-{copy}", record.device.name);
    }
    record
}

/// The queries people run: text searches of several lengths, each filter alone, and mixes.
fn query_set(records: &[DeviceRecord]) -> Vec<(String, DeviceQuery)> {
    let sample = &records[records.len() / 3].device;
    let org = sample.organization_uuid.clone();
    let group = sample.group_uuids.first().cloned();
    let user = sample
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let q = DeviceQuery {
        limit: Some(100),
        ..DeviceQuery::default()
    };
    let search = |text: &str| DeviceQuery {
        search: Some(text.to_owned()),
        ..q.clone()
    };
    vec![
        ("everything, by name".into(), q.clone()),
        (
            "serial fragment (6)".into(),
            search(&sample.serial_number[..6]),
        ),
        (
            "serial prefix (4)".into(),
            search(&sample.serial_number[..4]),
        ),
        ("name fragment".into(), search("Koffer-1")),
        ("user name".into(), search(&user)),
        ("model".into(), search("iPad Air")),
        (
            "organisation".into(),
            DeviceQuery {
                organisations: vec![org.clone()],
                ..q.clone()
            },
        ),
        ("group".into(), DeviceQuery { group, ..q.clone() }),
        (
            "OS 17".into(),
            DeviceQuery {
                os_version: Some("17".into()),
                ..q.clone()
            },
        ),
        (
            "unsupervised".into(),
            DeviceQuery {
                supervised: Some(false),
                ..q.clone()
            },
        ),
        (
            "non-compliant".into(),
            DeviceQuery {
                compliance: Some("NON_COMPLIANT".into()),
                ..q.clone()
            },
        ),
        (
            "not seen 30 days".into(),
            DeviceQuery {
                not_seen_for_days: Some(30),
                ..q.clone()
            },
        ),
        (
            "battery below 20%".into(),
            DeviceQuery {
                battery_below_percent: Some(20),
                ..q.clone()
            },
        ),
        (
            "sorted by last contact, newest first".into(),
            DeviceQuery {
                sort: SortKey::LastContact,
                descending: true,
                ..q.clone()
            },
        ),
        (
            "org + OS + battery".into(),
            DeviceQuery {
                organisations: vec![org],
                os_version: Some("17".into()),
                battery_below_percent: Some(50),
                ..q.clone()
            },
        ),
        (
            "search + unsupervised, by OS".into(),
            DeviceQuery {
                supervised: Some(false),
                sort: SortKey::OsVersion,
                ..search("iPad")
            },
        ),
    ]
}
