//! JSON bodies of requests and answers.
//!
//! Every answer type derives `Deserialize` without `deny_unknown_fields`, and fields that a
//! server release may leave out carry `#[serde(default)]`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::filter::{Filter, SortOrder};

/// Body of a `.../baseInfo/query` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    pub limit: u32,
    pub offset: u64,
    #[serde(default)]
    pub get_nonpaged_count: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Answer only these fields of each result (a projection); all fields when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// Answer of a `.../baseInfo/query` request and of the paged GET lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub results: Vec<T>,
    /// Number of results without paging; present when the request asked for it.
    #[serde(default)]
    pub nonpaged_count: Option<u64>,
}

/// Error body the server sends with every 4xx and 5xx status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub error_code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    DistrictAdmin,
    SchoolAdmin,
    Teacher,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUser {
    pub uuid: String,
    pub login: String,
    #[serde(default)]
    pub display_name: String,
    pub role: Role,
    /// The organisation the user belongs to.
    pub organization_uuid: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizationKind {
    School,
    District,
    Template,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub uuid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: OrganizationKind,
    #[serde(default)]
    pub parent_uuid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceState {
    Compliant,
    NonCompliant,
    #[serde(other)]
    Unknown,
}

impl ComplianceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceState::Compliant => "COMPLIANT",
            ComplianceState::NonCompliant => "NON_COMPLIANT",
            ComplianceState::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(text: &str) -> ComplianceState {
        match text {
            "COMPLIANT" => ComplianceState::Compliant,
            "NON_COMPLIANT" => ComplianceState::NonCompliant,
            _ => ComplianceState::Unknown,
        }
    }
}

/// The user a device is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceUser {
    pub login: String,
    #[serde(default)]
    pub display_name: String,
}

/// One enrolled device, as the inventory query answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub uuid: String,
    pub organization_uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub serial_number: String,
    /// Marketing name, e.g. "iPad (10th generation)".
    #[serde(default)]
    pub model: String,
    /// Apple's model identifier, e.g. "iPad13,18".
    #[serde(default)]
    pub model_identifier: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub os_version: String,
    /// Battery charge from 0.0 to 1.0, when the device reported one.
    #[serde(default)]
    pub battery_level: Option<f64>,
    #[serde(default)]
    pub total_capacity_bytes: Option<u64>,
    #[serde(default)]
    pub available_capacity_bytes: Option<u64>,
    #[serde(default)]
    pub supervised: bool,
    #[serde(default)]
    pub shared_ipad: bool,
    #[serde(default)]
    pub lost_mode_enabled: bool,
    #[serde(default)]
    pub user: Option<DeviceUser>,
    #[serde(default)]
    pub last_connection_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub enrollment_date: Option<DateTime<Utc>>,
    /// "DEP" for automated enrolment, "USER" for manual enrolment.
    #[serde(default)]
    pub enrollment_type: String,
    #[serde(default = "unknown_compliance")]
    pub compliance_state: ComplianceState,
    #[serde(default)]
    pub group_uuids: Vec<String>,
    pub modification_date: DateTime<Utc>,
}

fn unknown_compliance() -> ComplianceState {
    ComplianceState::Unknown
}

/// The projection `fields: ["uuid", "modificationDate"]` of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStub {
    pub uuid: String,
    pub modification_date: DateTime<Utc>,
}

/// One app installed on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstalledApp {
    /// Present in answers of the many-device query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_uuid: Option<String>,
    pub bundle_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub managed: bool,
    #[serde(default)]
    pub size_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupKind {
    /// A class set of iPads shared by a class (1:n).
    Case,
    /// A teacher's own iPad (1:1).
    Teacher,
    /// A student's own iPad (1:1).
    Student,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGroup {
    pub uuid: String,
    pub organization_uuid: String,
    pub name: String,
    pub kind: GroupKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassMember {
    pub login: String,
    #[serde(default)]
    pub display_name: String,
    /// The device the student uses 1:1, if any.
    #[serde(default)]
    pub device_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchoolClass {
    pub uuid: String,
    pub organization_uuid: String,
    pub name: String,
    #[serde(default)]
    pub teachers: Vec<ClassMember>,
    #[serde(default)]
    pub students: Vec<ClassMember>,
    /// The case (device group) the class uses in lessons, if it has one.
    #[serde(default)]
    pub case_group_uuid: Option<String>,
    /// Bundle ids of the class's apps (all in the organisation's catalogue): what a lesson
    /// may lock into or allow.
    #[serde(default)]
    pub apps: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListMode {
    /// Listed apps are forbidden.
    Blacklist,
    /// Only listed apps are allowed.
    Whitelist,
}

/// One configuration of a policy: its kind (`"type"`), its name and the kind's own fields,
/// kept as JSON so that every kind, known or not, survives decoding with its values.
/// [`PolicyConfiguration::app_compliance`] reads the one kind compliance needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyConfiguration {
    /// E.g. [`crate::configuration_kind::APP_COMPLIANCE`].
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindow {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// "HH:MM", local school time.
    pub start: String,
    pub end: String,
}

/// A policy as it is now: the top-level version, published flag, configurations and time
/// windows are those of the newest version; `versions` holds every version, oldest first.
/// Only the newest *published* version takes effect (see [`Policy::newest_published`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub uuid: String,
    pub organization_uuid: String,
    pub name: String,
    pub version: u32,
    pub published: bool,
    #[serde(default)]
    pub group_uuids: Vec<String>,
    #[serde(default)]
    pub time_windows: Vec<TimeWindow>,
    #[serde(default)]
    pub configurations: Vec<PolicyConfiguration>,
    /// The template policy this one was copied from, if any.
    #[serde(default)]
    pub template_uuid: Option<String>,
    pub modification_date: DateTime<Utc>,
    /// Every version, oldest first; empty from a server that does not list them.
    #[serde(default)]
    pub versions: Vec<crate::PolicyVersion>,
}

/// An app in the organisation's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogApp {
    pub uuid: String,
    pub organization_uuid: String,
    pub bundle_id: String,
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub vpp_licenses_total: u32,
    #[serde(default)]
    pub vpp_licenses_assigned: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_decodes_with_unknown_and_missing_fields() {
        let json = r#"{"uuid":"d1","organizationUuid":"o1","modificationDate":"2026-01-01T00:00:00Z",
            "someFutureField":{"nested":true}}"#;

        let device: Device = serde_json::from_str(json).unwrap();

        assert_eq!(
            device.uuid, "d1",
            "unknown fields must be ignored, missing ones defaulted"
        );
        assert_eq!(device.compliance_state, ComplianceState::Unknown);
    }
}
