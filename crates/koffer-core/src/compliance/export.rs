//! Exports of the compliance report and the district view, as CSV or as an Excel workbook
//! (xlsx), of exactly the devices the filters match; user names only when asked for.
//!
//! CSV cells that a spreadsheet would run as formulas are quoted (see [`crate::export`]); xlsx
//! cells are written as text, which a spreadsheet never runs.

use rusqlite::Connection;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use super::district::{district, DistrictView};
use super::evaluate::{self, AppNames, Judgement, PolicyBook};
use super::{AppRef, ComplianceQuery, ComplianceRow, KofferState};
use crate::error::{Error, Result};
use crate::export::guarded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum ReportKind {
    Compliance,
    District,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// A finished export: the file's bytes and how many rows (devices or schools) it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

/// A table to write: header and rows of cells, each a text or a number.
struct Table {
    sheet: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// The compliance report of every device the query matches (all of them, not only the first
/// rows the window shows).
pub fn compliance(
    conn: &Connection,
    query: &ComplianceQuery,
    include_user_names: bool,
    format: ExportFormat,
    now_ms: i64,
) -> Result<Exported> {
    let book = PolicyBook::load(conn, now_ms)?;
    let Judgement {
        judged, interner, ..
    } = evaluate::judge_all(conn, &book, query, now_ms)?;
    let mut names = AppNames::new(conn, &book)?;
    let mut header = vec!["Organisation", "Device", "Serial number"];
    if include_user_names {
        header.push("User");
    }
    header.extend([
        "Server state",
        "Koffer",
        "Missing apps",
        "Forbidden apps",
        "Policies in effect",
        "Disagrees",
    ]);
    let mut rows = Vec::with_capacity(judged.len());
    for j in &judged {
        let row = evaluate::row(j, &book, &interner, &mut names)?;
        rows.push(compliance_cells(&row, include_user_names));
    }
    write(
        &Table {
            sheet: "Compliance",
            header,
            rows,
        },
        format,
    )
}

fn compliance_cells(row: &ComplianceRow, include_user_names: bool) -> Vec<Cell> {
    let text = |t: &str| Cell::Text(t.to_owned());
    let apps = |apps: &[AppRef]| {
        let named: Vec<String> = apps
            .iter()
            .map(|a| format!("{} ({})", a.name, a.bundle_id))
            .collect();
        Cell::Text(named.join("; "))
    };
    let mut cells = vec![text(&row.org_name), text(&row.name), text(&row.serial)];
    if include_user_names {
        cells.push(text(row.user_name.as_deref().unwrap_or_default()));
    }
    let koffer = match row.koffer {
        KofferState::Compliant => "compliant",
        KofferState::NonCompliant => "non-compliant",
        KofferState::NoPolicy => "no policy",
    };
    cells.extend([
        text(&row.server_state),
        text(koffer),
        apps(&row.missing),
        apps(&row.forbidden),
        Cell::Text(row.policies.join("; ")),
        text(if row.disagrees { "yes" } else { "no" }),
    ]);
    cells
}

/// The district view over the devices the query matches.
pub fn district_view(
    conn: &Connection,
    query: &crate::query::DeviceQuery,
    format: ExportFormat,
    now_ms: i64,
) -> Result<Exported> {
    let view = district(conn, query, now_ms)?;
    write(&district_table(&view), format)
}

fn district_table(view: &DistrictView) -> Table {
    let optional = |n: Option<u32>| n.map_or(Cell::Empty, |n| Cell::Number(f64::from(n)));
    let rows = view
        .schools
        .iter()
        .map(|s| {
            let os: Vec<String> = s
                .os_versions
                .iter()
                .map(|o| format!("{}: {}", o.version, o.devices))
                .collect();
            vec![
                Cell::Text(s.name.clone()),
                Cell::Number(s.devices as f64),
                Cell::Number(s.compliant as f64),
                s.compliance_rate
                    .map_or(Cell::Empty, |r| Cell::Number((r * 1000.0).round() / 10.0)),
                Cell::Number(s.not_seen_30_days as f64),
                optional(s.licences_used),
                optional(s.licences_assigned),
                Cell::Text(os.join("; ")),
            ]
        })
        .collect();
    Table {
        sheet: "District",
        header: vec![
            "School",
            "Devices",
            "Compliant",
            "Compliance %",
            "Not seen for 30 days",
            "Device licences used",
            "Device licences assigned",
            "OS versions",
        ],
        rows,
    }
}

fn write(table: &Table, format: ExportFormat) -> Result<Exported> {
    let bytes = match format {
        ExportFormat::Csv => csv_bytes(table)?,
        ExportFormat::Xlsx => xlsx_bytes(table).map_err(xlsx_error)?,
    };
    Ok(Exported {
        bytes,
        rows: table.rows.len() as u64,
    })
}

fn csv_bytes(table: &Table) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
    writer.write_record(&table.header).map_err(failed)?;
    for row in &table.rows {
        let cells = row.iter().map(|cell| match cell {
            Cell::Text(text) => guarded(text),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        });
        writer.write_record(cells).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

fn xlsx_bytes(table: &Table) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(table.sheet)?;
    let bold = Format::new().set_bold();
    for (column, title) in table.header.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *title, &bold)?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        let line = index as u32 + 1;
        for (column, cell) in row.iter().enumerate() {
            let column = column as u16;
            match cell {
                Cell::Text(text) => sheet.write_string(line, column, text)?,
                Cell::Number(n) => sheet.write_number(line, column, *n)?,
                Cell::Empty => sheet,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    workbook.save_to_buffer()
}

fn xlsx_error(error: XlsxError) -> Error {
    Error::Io(std::io::Error::other(format!(
        "the workbook could not be written: {error}"
    )))
}
