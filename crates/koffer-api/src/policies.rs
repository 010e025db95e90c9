//! Policies with versions, their configurations, time windows in school time, licences and
//! automated-enrolment (DEP) profiles, and the requests that copy and publish policies.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ListMode, Policy, PolicyConfiguration, TimeWindow};

/// Names of configuration kinds (`"type"`); a server may send others, which are kept as they
/// are.
pub mod configuration_kind {
    pub const APP_COMPLIANCE: &str = "APP_COMPLIANCE";
    /// `allowCamera`, `allowAppInstallation` (booleans).
    pub const RESTRICTIONS: &str = "RESTRICTIONS";
    /// `ssid`, `security` (e.g. "WPA2_ENTERPRISE").
    pub const WIFI: &str = "WIFI";
    /// `label`, `url`.
    pub const WEB_CLIP: &str = "WEB_CLIP";
}

/// Field names of an app-compliance configuration.
pub mod app_compliance_field {
    pub const LIST_MODE: &str = "listMode";
    pub const APPS: &str = "apps";
    pub const REQUIRED_APPS: &str = "requiredApps";
}

/// `errorCode`s of the policy, licence and enrolment answers.
pub mod error_code {
    /// 409: the template's or the school copy's newest version is not the one expected.
    pub const POLICY_CHANGED: &str = "POLICY_CHANGED";
    /// 409: the organisation has no VPP licence of the app left for the device.
    pub const NO_LICENSES_LEFT: &str = "NO_LICENSES_LEFT";
    /// 400: the app is not in the organisation's catalogue.
    pub const APP_NOT_IN_CATALOGUE: &str = "APP_NOT_IN_CATALOGUE";
}

/// One version of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyVersion {
    pub version: u32,
    #[serde(default)]
    pub published: bool,
    #[serde(default)]
    pub configurations: Vec<PolicyConfiguration>,
    #[serde(default)]
    pub time_windows: Vec<TimeWindow>,
    pub modification_date: DateTime<Utc>,
}

/// What an app-compliance configuration asks of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCompliance {
    pub list_mode: ListMode,
    /// Forbidden apps (blacklist) or the only apps allowed (whitelist), by bundle id.
    pub apps: Vec<String>,
    /// Apps that must be installed, by bundle id.
    pub required_apps: Vec<String>,
}

impl AppCompliance {
    /// The configuration that carries this, named `name`.
    pub fn configuration(&self, name: &str) -> PolicyConfiguration {
        let mut values = Map::new();
        let mode = serde_json::to_value(self.list_mode).expect("list mode serialises");
        values.insert(app_compliance_field::LIST_MODE.to_owned(), mode);
        values.insert(app_compliance_field::APPS.to_owned(), strings(&self.apps));
        let required = strings(&self.required_apps);
        values.insert(app_compliance_field::REQUIRED_APPS.to_owned(), required);
        PolicyConfiguration {
            kind: configuration_kind::APP_COMPLIANCE.to_owned(),
            name: name.to_owned(),
            values,
        }
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

impl PolicyConfiguration {
    /// The app compliance this configuration asks for; `None` for other kinds.
    ///
    /// Lenient like every answer: missing or malformed lists count as empty, and a missing or
    /// unknown list mode as a blacklist (the listed apps are forbidden), which never allows
    /// more than the policy meant.
    pub fn app_compliance(&self) -> Option<AppCompliance> {
        if self.kind != configuration_kind::APP_COMPLIANCE {
            return None;
        }
        let list_mode = self
            .values
            .get(app_compliance_field::LIST_MODE)
            .and_then(|mode| serde_json::from_value(mode.clone()).ok())
            .unwrap_or(ListMode::Blacklist);
        Some(AppCompliance {
            list_mode,
            apps: self.string_list(app_compliance_field::APPS),
            required_apps: self.string_list(app_compliance_field::REQUIRED_APPS),
        })
    }

    /// A field holding a list of strings; other entries are skipped.
    pub fn string_list(&self, field: &str) -> Vec<String> {
        let Some(Value::Array(items)) = self.values.get(field) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect()
    }
}

impl Policy {
    /// The version that takes effect: the newest published one. A server that lists no
    /// versions stands for one, the top-level fields.
    pub fn newest_published(&self) -> Option<Cow<'_, PolicyVersion>> {
        if !self.versions.is_empty() {
            return self
                .versions
                .iter()
                .filter(|v| v.published)
                .max_by_key(|v| v.version)
                .map(Cow::Borrowed);
        }
        self.published.then(|| Cow::Owned(self.top_level_version()))
    }

    /// The top-level fields as a version.
    pub fn top_level_version(&self) -> PolicyVersion {
        PolicyVersion {
            version: self.version,
            published: self.published,
            configurations: self.configurations.clone(),
            time_windows: self.time_windows.clone(),
            modification_date: self.modification_date,
        }
    }
}

impl PolicyVersion {
    /// Whether the version is in effect at `at`: always without time windows, otherwise
    /// inside one of them in school time.
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        self.time_windows.is_empty() || self.time_windows.iter().any(|w| w.is_open_at(at))
    }
}

impl TimeWindow {
    /// Whether `at` lies in the window (start inclusive, end exclusive) in school time
    /// ([`school_time`]). A window whose times do not parse is never open.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        let local = school_time(at);
        let weekday = local.weekday().number_from_monday();
        let minute = local.hour() * 60 + local.minute();
        match (minute_of_day(&self.start), minute_of_day(&self.end)) {
            (Some(start), Some(end)) => {
                u32::from(self.weekday) == weekday && start <= minute && minute < end
            }
            _ => false,
        }
    }
}

/// "HH:MM" as minutes after midnight.
fn minute_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Local time of the schools (Europe/Berlin): UTC+1, and UTC+2 from the last Sunday of March
/// to the last Sunday of October, switching at 01:00 UTC as the EU does.
///
/// Known limit: the rule is the EU's since 1996, written out rather than read from a time
/// zone database; if the EU changes it, this changes too.
pub fn school_time(at: DateTime<Utc>) -> NaiveDateTime {
    let year = at.year();
    let summer_from = last_sunday_one_utc(year, 3);
    let summer_until = last_sunday_one_utc(year, 10);
    let offset = if summer_from <= at && at < summer_until {
        2
    } else {
        1
    };
    (at + Duration::hours(offset)).naive_utc()
}

/// 01:00 UTC on the last Sunday of `month`.
fn last_sunday_one_utc(year: i32, month: u32) -> DateTime<Utc> {
    let last_day = NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31");
    let back = last_day.weekday().num_days_from_sunday();
    let sunday = last_day - Duration::days(i64::from(back));
    Utc.from_utc_datetime(&sunday.and_hms_opt(1, 0, 0).expect("01:00"))
}

/// Device licences of an organisation: assigned to it, and used by its enrolled devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceCounts {
    pub organization_uuid: String,
    #[serde(default)]
    pub device_licenses_assigned: u32,
    #[serde(default)]
    pub device_licenses_used: u32,
}

/// An automated-enrolment (DEP) profile: how the organisation's iPads set themselves up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepProfile {
    pub uuid: String,
    pub organization_uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub supervised: bool,
    #[serde(default)]
    pub allow_pairing: bool,
    /// Setup assistant panes skipped, e.g. "Siri", "Passcode".
    #[serde(default)]
    pub skip_setup_items: Vec<String>,
    /// Devices enrolled with this profile.
    #[serde(default)]
    pub devices: u32,
    pub modification_date: DateTime<Utc>,
}

/// Body of `POST .../policies/{templateUuid}/copy`: the versions the preview showed, so the
/// server refuses the copy when either changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyTemplate {
    pub expected_template_version: u32,
    /// The school copy's newest version; `None` when the school has no copy yet.
    #[serde(default)]
    pub expected_target_version: Option<u32>,
}

/// Body of `POST .../policies/{uuid}/publish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishPolicy {
    pub version: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn unknown_configuration_kinds_keep_their_values() {
        let json = r#"[{"type":"WIFI","name":"Schul-WLAN","ssid":"Schule","security":"WPA2"},
            {"type":"SOMETHING_NEW","nested":{"a":[1,2]}}]"#;

        let configurations: Vec<PolicyConfiguration> = serde_json::from_str(json).unwrap();

        assert_eq!(configurations[0].kind, "WIFI");
        assert_eq!(configurations[0].name, "Schul-WLAN");
        assert_eq!(
            configurations[0].values["ssid"], "Schule",
            "the diff shows values, so they must survive decoding"
        );
        assert_eq!(configurations[1].name, "", "a missing name is tolerated");
        assert_eq!(configurations[1].values["nested"]["a"][1], 2);
        assert_eq!(configurations[0].app_compliance(), None);
    }

    #[test]
    fn configurations_encode_back_to_the_same_json() {
        let json =
            r#"{"type":"WEB_CLIP","name":"Vertretungsplan","label":"Plan","url":"https://x"}"#;

        let configuration: PolicyConfiguration = serde_json::from_str(json).unwrap();
        let again: serde_json::Value = serde_json::to_value(&configuration).unwrap();

        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(again, original, "the store keeps configurations as JSON");
    }

    #[test]
    fn app_compliance_reads_its_lists_and_tolerates_missing_fields() {
        let full = r#"{"type":"APP_COMPLIANCE","name":"Apps","listMode":"WHITELIST",
            "apps":["a","b"],"requiredApps":["k"]}"#;
        let bare = r#"{"type":"APP_COMPLIANCE"}"#;

        let full: PolicyConfiguration = serde_json::from_str(full).unwrap();
        let bare: PolicyConfiguration = serde_json::from_str(bare).unwrap();

        let full = full.app_compliance().unwrap();
        assert_eq!(full.list_mode, ListMode::Whitelist);
        assert_eq!(full.apps, ["a", "b"]);
        assert_eq!(full.required_apps, ["k"]);
        let bare = bare.app_compliance().unwrap();
        assert_eq!(
            bare.list_mode,
            ListMode::Blacklist,
            "no list mode forbids the listed apps, never allows more"
        );
        assert!(bare.apps.is_empty() && bare.required_apps.is_empty());
    }

    #[test]
    fn app_compliance_round_trips_through_a_configuration() {
        let compliance = AppCompliance {
            list_mode: ListMode::Blacklist,
            apps: vec!["com.example.game".to_owned()],
            required_apps: vec!["com.apple.Keynote".to_owned()],
        };

        let configuration = compliance.configuration("App-Regeln");

        assert_eq!(configuration.values["listMode"], "BLACKLIST");
        assert_eq!(configuration.app_compliance(), Some(compliance));
    }

    #[test]
    fn a_policy_without_versions_or_new_fields_decodes() {
        let json = r#"{"uuid":"p","organizationUuid":"o","name":"n","version":3,"published":true,
            "modificationDate":"2026-01-01T00:00:00Z"}"#;

        let policy: Policy = serde_json::from_str(json).unwrap();

        assert!(policy.versions.is_empty());
        assert_eq!(
            policy.newest_published().map(|v| v.version),
            Some(3),
            "the top level stands for the only version"
        );
    }

    #[test]
    fn the_newest_published_version_takes_effect_not_the_newest() {
        let json = r#"{"uuid":"p","organizationUuid":"o","name":"n","version":3,"published":false,
            "modificationDate":"2026-01-01T00:00:00Z","versions":[
            {"version":1,"published":true,"modificationDate":"2025-01-01T00:00:00Z"},
            {"version":2,"published":true,"modificationDate":"2025-06-01T00:00:00Z"},
            {"version":3,"published":false,"modificationDate":"2026-01-01T00:00:00Z"}]}"#;

        let policy: Policy = serde_json::from_str(json).unwrap();

        assert_eq!(policy.newest_published().map(|v| v.version), Some(2));
    }

    #[test]
    fn school_time_follows_berlin_summer_time() {
        let winter = school_time(utc("2026-12-03T07:30:00Z"));
        let summer = school_time(utc("2026-06-03T07:30:00Z"));
        let before_switch = school_time(utc("2026-03-29T00:59:00Z"));
        let after_switch = school_time(utc("2026-03-29T01:00:00Z"));

        assert_eq!(winter.format("%H:%M").to_string(), "08:30");
        assert_eq!(summer.format("%H:%M").to_string(), "09:30");
        assert_eq!(before_switch.format("%H:%M").to_string(), "01:59");
        assert_eq!(after_switch.format("%H:%M").to_string(), "03:00");
    }

    #[test]
    fn a_time_window_is_open_on_its_weekday_between_start_and_end() {
        let wednesday = TimeWindow {
            weekday: 3,
            start: "08:00".to_owned(),
            end: "09:30".to_owned(),
        };

        // 2026-12-02 is a Wednesday; 07:00 UTC is 08:00 in Berlin in winter.
        assert!(
            wednesday.is_open_at(utc("2026-12-02T07:00:00Z")),
            "start is inside"
        );
        assert!(
            !wednesday.is_open_at(utc("2026-12-02T08:30:00Z")),
            "end is outside"
        );
        assert!(
            !wednesday.is_open_at(utc("2026-12-03T07:30:00Z")),
            "Thursday is not"
        );
    }
}
