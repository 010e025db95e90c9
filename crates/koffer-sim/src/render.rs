//! JSON answers, rendered straight from the compact inventory.
//!
//! The views here serialise to the same JSON as `koffer_api::Device` and
//! `koffer_api::InstalledApp` would (same names, same order), with two differences that
//! docs/api.md asks for: fields left out by a projection are absent, and optional values
//! without a value (`batteryLevel`, `user`, `nonpagedCount`) are absent rather than `null`.

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::catalogue;
use crate::district::District;
use crate::fields::{AppField, DeviceField, FieldSet};
use crate::inventory::Device;
use crate::query::AppRow;

/// A page of results; `nonpagedCount` only when it was asked for.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageJson<T> {
    pub results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonpaged_count: Option<u64>,
}

/// A device as the inventory query answers it.
#[derive(Debug, Clone, Copy)]
pub struct DeviceJson<'a> {
    pub device: &'a Device,
    pub district: &'a District,
    pub fields: FieldSet,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserJson<'a> {
    login: &'a str,
    display_name: &'a str,
}

impl Serialize for DeviceJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for field in DeviceField::ALL {
            if self.fields.has_device(field) {
                self.entry(&mut map, field)?;
            }
        }
        map.end()
    }
}

impl DeviceJson<'_> {
    fn entry<M: SerializeMap>(&self, map: &mut M, field: DeviceField) -> Result<(), M::Error> {
        let device = self.device;
        let name = field.name();
        match field {
            DeviceField::Uuid => map.serialize_entry(name, &device.uuid),
            DeviceField::OrganizationUuid => {
                map.serialize_entry(name, self.district.organisations[device.org].uuid())
            }
            DeviceField::Name => map.serialize_entry(name, &device.name),
            DeviceField::SerialNumber => map.serialize_entry(name, &device.serial),
            DeviceField::Model => map.serialize_entry(name, device.model_name()),
            DeviceField::ModelIdentifier => {
                map.serialize_entry(name, catalogue::model(device.model).identifier)
            }
            DeviceField::Platform => map.serialize_entry(name, "IOS"),
            DeviceField::OsVersion => map.serialize_entry(name, device.os_version()),
            DeviceField::BatteryLevel => match device.battery_level() {
                Some(level) => map.serialize_entry(name, &level),
                None => Ok(()),
            },
            DeviceField::TotalCapacityBytes => {
                map.serialize_entry(name, &device.total_capacity_bytes())
            }
            DeviceField::AvailableCapacityBytes => {
                map.serialize_entry(name, &device.available_bytes)
            }
            DeviceField::Supervised => map.serialize_entry(name, &device.supervised),
            DeviceField::SharedIpad => map.serialize_entry(name, &device.shared_ipad),
            DeviceField::LostModeEnabled => map.serialize_entry(name, &device.lost_mode),
            DeviceField::User => self.user_entry(map, name),
            DeviceField::LastConnectionDate => map.serialize_entry(name, &device.last_connection),
            DeviceField::EnrollmentDate => map.serialize_entry(name, &device.enrolled),
            DeviceField::EnrollmentType => map.serialize_entry(name, device.enrollment.as_str()),
            DeviceField::ComplianceState => map.serialize_entry(name, &device.compliance),
            DeviceField::GroupUuids => map.serialize_entry(name, &self.group_uuids()),
            DeviceField::ModificationDate => map.serialize_entry(name, &device.modified),
        }
    }

    fn user_entry<M: SerializeMap>(&self, map: &mut M, name: &str) -> Result<(), M::Error> {
        let Some(person) = self.device.user.map(|index| self.district.person(index)) else {
            return Ok(());
        };
        let user = UserJson {
            login: &person.login,
            display_name: &person.display_name,
        };
        map.serialize_entry(name, &user)
    }

    fn group_uuids(&self) -> Vec<&str> {
        let groups = &self.district.organisations[self.device.org].groups;
        self.device
            .groups
            .iter()
            .map(|&g| groups[usize::from(g)].uuid.as_str())
            .collect()
    }
}

/// An installed app; `deviceUuid` only in answers of the many-device query.
#[derive(Debug, Clone, Copy)]
pub struct AppJson {
    pub row: AppRow,
    pub with_device: bool,
    pub fields: FieldSet,
}

impl Serialize for AppJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let app = catalogue::app_entry(self.row.install.app);
        let version = self.row.install.version;
        let mut map = serializer.serialize_map(None)?;
        for field in AppField::ALL
            .into_iter()
            .filter(|&f| self.fields.has_app(f))
        {
            let name = field.name();
            match field {
                AppField::DeviceUuid if self.with_device => {
                    map.serialize_entry(name, &self.row.device)?
                }
                AppField::DeviceUuid => {}
                AppField::BundleId => map.serialize_entry(name, app.bundle_id)?,
                AppField::Name => map.serialize_entry(name, app.name)?,
                AppField::Version => {
                    map.serialize_entry(name, app.versions[usize::from(version)])?
                }
                AppField::Managed => map.serialize_entry(name, &app.managed())?,
                AppField::SizeBytes => map.serialize_entry(name, &app.size_bytes(version))?,
            }
        }
        map.end()
    }
}

/// A device as `GET /sim/devices` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimDeviceJson<'a> {
    pub uuid: String,
    pub serial_number: &'a str,
    pub organization_uuid: &'a str,
    pub modification_date: DateTime<Utc>,
}

pub fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("answers always serialise")
}
