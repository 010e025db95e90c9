//! Exports of the cached inventory.

use std::io::Write;

use chrono::{DateTime, SecondsFormat};
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::query::{for_each_device, DeviceQuery, DeviceRow};
use crate::store::outbox::AuditEntry;

const HEADER: [&str; 13] = [
    "Organisation",
    "Name",
    "Serial number",
    "Model",
    "OS version",
    "Battery %",
    "Supervised",
    "User login",
    "User name",
    "Last contact (UTC)",
    "Compliance",
    "Storage total (bytes)",
    "Storage free (bytes)",
];

/// Writes the devices matching `query` (all of them, whatever its limit) as CSV, and returns
/// how many were written.
pub fn devices_csv(
    conn: &Connection,
    query: &DeviceQuery,
    now_ms: i64,
    out: impl Write,
) -> Result<u64> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER).map_err(csv_error)?;
    let everything = DeviceQuery {
        limit: None,
        offset: 0,
        ..query.clone()
    };
    let mut written = 0;
    for_each_device(conn, &everything, now_ms, |row| {
        writer.write_record(csv_cells(&row)).map_err(csv_error)?;
        written += 1;
        Ok(())
    })?;
    writer.flush()?;
    Ok(written)
}

/// Writes the audit log of locates and erases as CSV; returns how many entries.
pub fn audit_csv(entries: &[AuditEntry], out: impl Write) -> Result<u64> {
    let mut writer = csv::Writer::from_writer(out);
    let header = [
        "Time (UTC)",
        "Who",
        "Action",
        "Device",
        "Serial number",
        "Device uuid",
    ];
    writer.write_record(header).map_err(csv_error)?;
    for e in entries {
        let at = DateTime::from_timestamp_millis(e.at)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        let cells = [
            at,
            guarded(&e.who),
            e.what.clone(),
            guarded(&e.device_name),
            guarded(&e.serial),
            e.device_uuid.clone(),
        ];
        writer.write_record(cells).map_err(csv_error)?;
    }
    writer.flush()?;
    Ok(entries.len() as u64)
}

fn csv_cells(row: &DeviceRow) -> [String; 13] {
    let optional = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    [
        guarded(&row.organisation),
        guarded(&row.name),
        guarded(&row.serial),
        guarded(&row.model),
        guarded(&row.os_version),
        row.battery_percent
            .map(|b| b.to_string())
            .unwrap_or_default(),
        if row.supervised { "yes" } else { "no" }.to_owned(),
        guarded(row.user_login.as_deref().unwrap_or_default()),
        guarded(row.user_name.as_deref().unwrap_or_default()),
        row.last_contact
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
        row.compliance.clone(),
        optional(row.storage_total),
        optional(row.storage_free),
    ]
}

/// Spreadsheet programs run a cell starting with = + - @ as a formula; a device name from the
/// server must never do that on the coordinator's machine.
pub(crate) fn guarded(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv_error(error: csv::Error) -> Error {
    Error::Io(std::io::Error::other(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_as_formulas_are_quoted() {
        assert_eq!(
            guarded("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")",
            "no formula injection"
        );
        assert_eq!(
            guarded("GSN-Koffer-1"),
            "GSN-Koffer-1",
            "ordinary names stay as they are"
        );
    }
}
