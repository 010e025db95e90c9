//! (h) Compliance over a large cache: 50,000 devices of 8 schools, about 15 apps each, every
//! device in three groups with one policy each (a block list with a required app, an allow
//! list, a timed block list). Written straight into a fresh cache, so this row needs no
//! emulator and runs alone (`koffer-bench --only compliance`).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use koffer_api::{
    AppCompliance, CatalogApp, ComplianceState, Device, DeviceGroup, DeviceUser, GroupKind,
    InstalledApp, ListMode, Organization, OrganizationKind, Policy, TimeWindow,
};
use koffer_core::compliance::{district, evaluate, ComplianceQuery};
use koffer_core::query::DeviceQuery;
use koffer_core::store::catalog::{self, OrgCatalog};
use koffer_core::store::devices::{self, DeviceRecord};
use koffer_core::store::{organisations, Store};

use crate::sim;

const SCHOOLS: usize = 8;
const CASES_PER_SCHOOL: usize = 40;

#[derive(Debug)]
pub struct ComplianceFigures {
    pub devices: u64,
    pub apps_per_device: f64,
    /// The whole report over every device: median of the runs.
    pub report: Duration,
    /// One school's report.
    pub one_school: Duration,
    pub district: Duration,
    pub non_compliant: u64,
    pub peak_rss_mib: f64,
}

/// Environment variable that makes the process only fill the cache at its path, so that the
/// memory measured is the evaluation's, not that of writing 50,000 devices.
const FILL_ONLY: &str = "KOFFER_BENCH_COMPLIANCE_FILL";

pub fn measure(devices: usize, runs: usize, dir: &Path) -> anyhow::Result<ComplianceFigures> {
    let path = dir.join("compliance.sqlite3");
    let filled = std::process::Command::new(std::env::current_exe()?)
        .arg("compliance")
        .args(["--devices", &devices.to_string()])
        .env(FILL_ONLY, &path)
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(filled.success(), "filling the compliance cache failed");
    let store = Store::open(&path)?;
    let conn = store.conn();
    let rows: f64 = conn.query_row("SELECT count(*) FROM installed_apps", [], |r| r.get(0))?;
    let now = Utc::now().timestamp_millis();
    let everything = ComplianceQuery::default();
    let school = ComplianceQuery {
        query: DeviceQuery {
            organisations: vec![org_uuid(0)],
            ..DeviceQuery::default()
        },
        only_non_compliant: false,
    };

    let before = sim::peak_rss_mib();
    let mut times = Vec::new();
    let mut non_compliant = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let report = evaluate::report(conn, &everything, now)?;
        times.push(started.elapsed());
        non_compliant = report.non_compliant;
    }
    let peak = sim::peak_rss_mib();
    let one_school = timed(runs, || evaluate::report(conn, &school, now).map(drop))?;
    let district = timed(runs, || {
        district::district(conn, &DeviceQuery::default(), now).map(drop)
    })?;
    times.sort();
    eprintln!("compliance: {devices} devices, peak RSS {peak:.0} MiB (opened: {before:.0} MiB)");
    Ok(ComplianceFigures {
        devices: devices as u64,
        apps_per_device: rows / devices as f64,
        report: times[times.len() / 2],
        one_school,
        district,
        non_compliant,
        peak_rss_mib: peak,
    })
}

fn timed(
    runs: usize,
    mut work: impl FnMut() -> koffer_core::Result<()>,
) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        work()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn org_uuid(school: usize) -> String {
    format!("org-{school:02}")
}

fn bundle_id(app: usize) -> String {
    match app {
        0 => "com.apple.Keynote".to_owned(),
        _ => format!("com.example.app{app:02}"),
    }
}

/// In the child process: fills the cache and says so; `None` in the measuring process.
pub fn fill_if_asked(devices: usize) -> Option<anyhow::Result<()>> {
    let path = std::env::var_os(FILL_ONLY)?;
    Some(
        Store::open(Path::new(&path))
            .map_err(Into::into)
            .and_then(|mut store| fill(&mut store, devices)),
    )
}

fn fill(store: &mut Store, devices: usize) -> anyhow::Result<()> {
    let orgs: Vec<Organization> = (0..SCHOOLS)
        .map(|s| Organization {
            uuid: org_uuid(s),
            name: format!("Schule {s:02}"),
            kind: OrganizationKind::School,
            parent_uuid: None,
        })
        .collect();
    store.with_tx(|tx| {
        organisations::replace_all(tx, &orgs)?;
        for s in 0..SCHOOLS {
            catalog::replace(tx, &org_uuid(s), &school_catalog(s))?;
        }
        Ok(())
    })?;
    let records: Vec<DeviceRecord> = (0..devices).map(device).collect();
    for batch in records.chunks(5_000) {
        store.with_tx(|tx| devices::upsert(tx, 1, batch))?;
    }
    Ok(())
}

fn group(school: usize, name: &str, kind: GroupKind) -> DeviceGroup {
    DeviceGroup {
        uuid: format!("{}-{name}", org_uuid(school)),
        organization_uuid: org_uuid(school),
        name: name.to_owned(),
        kind,
    }
}

fn school_catalog(school: usize) -> OrgCatalog {
    let mut groups = vec![
        group(school, "all", GroupKind::Other),
        group(school, "students", GroupKind::Student),
        group(school, "teachers", GroupKind::Teacher),
    ];
    groups
        .extend((0..CASES_PER_SCHOOL).map(|c| group(school, &format!("case{c}"), GroupKind::Case)));
    let rule = |mode, apps: Vec<usize>, required: Vec<usize>| AppCompliance {
        list_mode: mode,
        apps: apps.into_iter().map(bundle_id).collect(),
        required_apps: required.into_iter().map(bundle_id).collect(),
    };
    let policy = |name: &str, groups: Vec<String>, rule: AppCompliance, windows| Policy {
        uuid: format!("{}-{name}", org_uuid(school)),
        organization_uuid: org_uuid(school),
        name: name.to_owned(),
        version: 1,
        published: true,
        group_uuids: groups,
        time_windows: windows,
        configurations: vec![rule.configuration("Apps")],
        template_uuid: None,
        modification_date: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        versions: Vec::new(),
    };
    let uuids = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("{}-{n}", org_uuid(school)))
            .collect()
    };
    let cases: Vec<String> = (0..CASES_PER_SCHOOL)
        .map(|c| format!("{}-case{c}", org_uuid(school)))
        .collect();
    let school_days = (1..=5)
        .map(|weekday| TimeWindow {
            weekday,
            start: "00:00".to_owned(),
            end: "24:00".to_owned(),
        })
        .collect();
    let policies = vec![
        policy(
            "Alle",
            uuids(&["all"]),
            rule(ListMode::Blacklist, (50..60).collect(), vec![0]),
            vec![],
        ),
        policy(
            "Schule",
            uuids(&["students", "teachers"]),
            rule(ListMode::Whitelist, (0..45).collect(), vec![0]),
            vec![],
        ),
        policy(
            "Koffer",
            cases,
            rule(ListMode::Blacklist, vec![46, 47, 48], vec![]),
            school_days,
        ),
    ];
    let apps = (0..45)
        .map(|a| CatalogApp {
            uuid: format!("{}-app{a}", org_uuid(school)),
            organization_uuid: org_uuid(school),
            bundle_id: bundle_id(a),
            name: format!("App {a}"),
            version: "1.0".to_owned(),
            vpp_licenses_total: 10_000,
            vpp_licenses_assigned: 5_000,
        })
        .collect();
    OrgCatalog {
        groups,
        policies,
        apps,
        ..OrgCatalog::default()
    }
}

/// Device `i`: about 15 apps; every 50th misses Keynote, every 17th has an app from the block
/// list, every 23rd one outside the allow list.
fn device(i: usize) -> DeviceRecord {
    let school = i % SCHOOLS;
    let org = org_uuid(school);
    let uuid = format!("dev-{i:06}");
    let kind = if i.is_multiple_of(10) {
        "teachers"
    } else {
        "students"
    };
    let groups = vec![
        format!("{org}-all"),
        format!("{org}-{kind}"),
        format!("{org}-case{}", (i / SCHOOLS) % CASES_PER_SCHOOL),
    ];
    let mut apps: Vec<usize> = (0..14).map(|k| 1 + (i * 7 + k * 3) % 44).collect();
    if !i.is_multiple_of(50) {
        apps.push(0);
    }
    if i.is_multiple_of(17) {
        apps.push(50 + i % 10);
    }
    if i.is_multiple_of(23) {
        apps.push(45);
    }
    apps.sort_unstable();
    apps.dedup();
    let installed = apps
        .into_iter()
        .map(|a| InstalledApp {
            device_uuid: Some(uuid.clone()),
            bundle_id: bundle_id(a),
            name: format!("App {a}"),
            version: "1.0".to_owned(),
            managed: true,
            size_bytes: Some(50_000_000),
        })
        .collect();
    let seen =
        Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(i as i64);
    DeviceRecord {
        device: Device {
            uuid,
            organization_uuid: org,
            name: format!("iPad {i:06}"),
            serial_number: format!("DMP{i:09}"),
            model: "iPad (10th generation)".to_owned(),
            model_identifier: "iPad13,18".to_owned(),
            platform: "IOS".to_owned(),
            os_version: ["17.5.1", "18.1", "16.7.10"][i % 3].to_owned(),
            battery_level: Some(0.8),
            total_capacity_bytes: Some(64_000_000_000),
            available_capacity_bytes: Some(20_000_000_000),
            supervised: true,
            shared_ipad: false,
            lost_mode_enabled: false,
            user: Some(DeviceUser {
                login: format!("s{i}"),
                display_name: format!("Schüler {i}"),
            }),
            last_connection_date: Some(seen),
            enrollment_date: Some(seen),
            enrollment_type: "DEP".to_owned(),
            compliance_state: if i.is_multiple_of(50) {
                ComplianceState::NonCompliant
            } else {
                ComplianceState::Compliant
            },
            group_uuids: groups,
            modification_date: seen,
        },
        apps: installed,
    }
}
