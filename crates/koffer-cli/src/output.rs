//! What the CLI prints: tables for people, JSON for scripts, logs on stderr.

use chrono::{DateTime, Local, Utc};
use koffer_core::profile::Profile;
use koffer_core::query::{DevicePage, DeviceRow};
use koffer_core::store::{organisations, sync_status, Store};
use koffer_core::sync::SyncReport;
use koffer_core::Result;

/// Logs go to stderr at warn level unless RUST_LOG says otherwise. They never carry tokens.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn sync_report(report: &SyncReport) {
    for outcome in &report.orgs {
        let kind = if outcome.full { "full sync" } else { "changes" };
        match &outcome.result {
            Ok(s) => println!(
                "{}: {} devices ({kind}: {} written, {} removed)",
                outcome.org.name, s.total, s.written, s.removed
            ),
            Err(error) => println!("{}: FAILED ({kind}): {error}", outcome.org.name),
        }
    }
    let failed = report.failures().count();
    if failed > 0 {
        println!("{failed} organisation(s) failed; their last good data stays in the cache.");
    }
}

pub fn status(profile: &Profile, store: &Store) -> Result<()> {
    println!(
        "Server: {} (signed in as {})",
        profile.server, profile.login
    );
    for org in organisations::all(store.conn())? {
        let status = sync_status::get(store.conn(), &org.uuid)?;
        let last = status.last_success.map_or("never".to_owned(), local_time);
        let devices = koffer_core::store::devices::count(store.conn(), Some(&org.uuid))?;
        print!("{}: {devices} devices, last synced {last}", org.name);
        match &status.last_error {
            Some(error) => println!("; last attempt failed: {error}"),
            None => println!(),
        }
    }
    Ok(())
}

pub fn devices_json(rows: &[DeviceRow]) {
    println!(
        "{}",
        serde_json::to_string_pretty(rows).expect("device rows serialise")
    );
}

pub fn devices_table(page: &DevicePage) {
    let header = [
        "Name",
        "Serial",
        "Model",
        "OS",
        "Battery",
        "User",
        "Last contact",
        "Org",
    ];
    let rows: Vec<[String; 8]> = page.rows.iter().map(table_cells).collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    print_row(&header.map(str::to_owned), &widths);
    for row in &rows {
        print_row(row, &widths);
    }
    println!(
        "{} of {} matching devices shown.",
        page.rows.len(),
        page.total
    );
}

fn table_cells(row: &DeviceRow) -> [String; 8] {
    [
        row.name.clone(),
        row.serial.clone(),
        row.model.clone(),
        row.os_version.clone(),
        row.battery_percent
            .map_or("–".to_owned(), |b| format!("{b}%")),
        row.user_name.clone().unwrap_or_default(),
        row.last_contact.map_or("never".to_owned(), local_time),
        row.organisation.clone(),
    ]
}

fn print_row(cells: &[String; 8], widths: &[usize; 8]) {
    let line: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(cell, &width)| format!("{cell:<width$}"))
        .collect();
    println!("{}", line.join("  ").trim_end());
}

pub fn local_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
