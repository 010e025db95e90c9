//! App compliance, evaluated offline from the cache: for every device, the policies of its
//! groups in effect now against its installed apps ([`rules`] decides, [`evaluate`] reads the
//! cache), the server's own state beside it, remediation through the action outbox
//! ([`remediation`]), licences and enrolment profiles ([`licences`]), the district view
//! ([`district`]) and the exports of the compliance report and the district view ([`export`]).

pub mod district;
pub mod evaluate;
pub mod export;
pub mod licences;
pub mod remediation;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::query::DeviceQuery;
pub use rules::KofferState;

/// Which devices the compliance report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ComplianceQuery {
    /// The inventory's filters; its sort, limit and offset are not used (rows are sorted by
    /// organisation and name).
    pub query: DeviceQuery,
    /// Only devices Koffer finds non-compliant.
    pub only_non_compliant: bool,
}

/// An app by bundle id, with the name the catalogue (or the device) gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    pub bundle_id: String,
    pub name: String,
}

/// One device of the compliance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceRow {
    pub device_uuid: String,
    pub name: String,
    pub serial: String,
    pub org_uuid: String,
    pub org_name: String,
    pub user_name: Option<String>,
    /// The server's own state at the device's last check-in: "COMPLIANT", "NON_COMPLIANT" or
    /// "UNKNOWN".
    pub server_state: String,
    /// Koffer's verdict from the cache, now.
    pub koffer: KofferState,
    /// Required apps that are not installed.
    pub missing: Vec<AppRef>,
    /// Installed apps that a policy forbids.
    pub forbidden: Vec<AppRef>,
    /// Names of the policies in effect for the device now.
    pub policies: Vec<String>,
    /// The server's state and Koffer's verdict disagree (the server evaluates at check-in, so
    /// it may lag behind; or it judges by rules Koffer does not know).
    pub disagrees: bool,
}

/// Rows shown at most in one report; the rest are counted in `more`.
pub const REPORT_ROWS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceReport {
    /// Unix ms of the evaluation (time windows are judged at this moment).
    #[ts(type = "number")]
    pub evaluated_at: i64,
    /// Devices matching the filters.
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub compliant: u64,
    #[ts(type = "number")]
    pub non_compliant: u64,
    /// Devices without any policy with app compliance in effect.
    #[ts(type = "number")]
    pub no_policy: u64,
    /// Devices where the server's state and Koffer's verdict disagree.
    #[ts(type = "number")]
    pub disagreements: u64,
    /// The first [`REPORT_ROWS`] rows (only non-compliant ones when asked), by organisation
    /// and name.
    pub rows: Vec<ComplianceRow>,
    /// Rows left out after the first [`REPORT_ROWS`].
    #[ts(type = "number")]
    pub more: u64,
}

/// A policy assigned to one of the device's groups, as it applies to the device now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyApplied {
    pub uuid: String,
    pub name: String,
    /// The published version that takes effect; `null` when none is published.
    pub version: Option<u32>,
    /// The newest version, published or not.
    pub newest_version: u32,
    /// In effect now: published, and inside a time window if it has any.
    pub active: bool,
    /// The time windows, empty when it is always in effect.
    pub time_windows: Vec<crate::policies::TimeWindowView>,
    /// "BLACKLIST" (listed apps are forbidden) or "WHITELIST" (only listed apps are allowed);
    /// `null` without app compliance.
    pub list_mode: Option<String>,
    pub apps: Vec<AppRef>,
    pub required_apps: Vec<AppRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCompliance {
    pub row: ComplianceRow,
    pub policies: Vec<PolicyApplied>,
}
