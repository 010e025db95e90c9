//! The compliance commands: the report, one device's compliance, remediation through the
//! outbox, licences, the district view and the exports.

use base64::Engine;
use chrono::Utc;
use koffer_core::actions;
use koffer_core::compliance::{district, evaluate, export, licences, remediation};
use koffer_core::store::Store;
use koffer_core::ErrorCode;

use crate::commands::{
    ActionOutcome, ComplianceQuery, ComplianceReport, DeviceCompliance, DeviceQuery, DeviceRef,
    DistrictView, Empty, ExportFormat, ExportOutcome, ExportRequest, LicenceReport, Remediation,
    RemediationPreview, ReportKind,
};
use crate::error::{AppError, AppResult};
use crate::{now_ms, App};

const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl App {
    pub fn compliance(&self, request: ComplianceQuery) -> AppResult<ComplianceReport> {
        let active = self.active()?;
        let report = evaluate::report(active.reader().conn(), &request, now_ms())?;
        Ok(report)
    }

    pub fn device_compliance(&self, request: DeviceRef) -> AppResult<DeviceCompliance> {
        let active = self.active()?;
        let found = evaluate::device_compliance(active.reader().conn(), &request.uuid, now_ms())?;
        found.ok_or_else(|| {
            AppError::invalid(
                "device_not_cached",
                "This device is no longer in the cache.",
            )
        })
    }

    pub fn remediation_preview(&self, request: Remediation) -> AppResult<RemediationPreview> {
        let active = self.active()?;
        let store = active.reader();
        Ok(remediation::preview(&store, &request, active.role())?)
    }

    /// Queues what the preview lets through and sends the outbox; a refusal (no licence left,
    /// the app not in the catalogue) is an error naming the count, and nothing is queued.
    pub async fn request_remediation(&self, request: Remediation) -> AppResult<ActionOutcome> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        let decided =
            remediation::request(&mut writer, &request, &active.info.login, active.role())?;
        if let Some(refusal) = decided.refusal {
            return Err(AppError::invalid(&refusal.key, refusal.message));
        }
        let flush = actions::flush_outbox(&active.client, &mut writer).await?;
        active.note_outcome(flush.problem.clone().map(|p| (ErrorCode::Offline, p)));
        Ok(ActionOutcome {
            requested: decided.requested,
            flush,
        })
    }

    pub fn licences(&self, _: Empty) -> AppResult<LicenceReport> {
        let active = self.active()?;
        let report = licences::licence_report(active.reader().conn(), now_ms())?;
        Ok(report)
    }

    pub fn district(&self, request: DeviceQuery) -> AppResult<DistrictView> {
        let active = self.active()?;
        let view = district::district(active.reader().conn(), &request, now_ms())?;
        Ok(view)
    }

    /// Builds the export and writes it to the chosen path, or answers its content.
    pub fn export_report(&self, request: ExportRequest) -> AppResult<ExportOutcome> {
        let active = self.active()?;
        let now = now_ms();
        let exported = {
            let store = active.reader();
            match request.report {
                ReportKind::Compliance => {
                    let query = ComplianceQuery {
                        query: request.query.clone(),
                        only_non_compliant: request.only_non_compliant,
                    };
                    let names = request.include_user_names;
                    export::compliance(store.conn(), &query, names, request.format, now)?
                }
                ReportKind::District => {
                    export::district_view(store.conn(), &request.query, request.format, now)?
                }
            }
        };
        let file_name = file_name(request.report, request.format);
        let media_type = match request.format {
            ExportFormat::Csv => "text/csv",
            ExportFormat::Xlsx => XLSX_MEDIA_TYPE,
        };
        let content_base64 = match &request.path {
            Some(path) => {
                std::fs::write(path, &exported.bytes).map_err(koffer_core::Error::Io)?;
                None
            }
            None => Some(base64::engine::general_purpose::STANDARD.encode(&exported.bytes)),
        };
        Ok(ExportOutcome {
            path: request.path,
            rows: exported.rows,
            file_name,
            media_type: media_type.to_owned(),
            content_base64,
        })
    }
}

fn file_name(report: ReportKind, format: ExportFormat) -> String {
    let what = match report {
        ReportKind::Compliance => "compliance",
        ReportKind::District => "district",
    };
    let day = Utc::now().format("%Y-%m-%d");
    format!("koffer-{what}-{day}.{}", format.extension())
}
