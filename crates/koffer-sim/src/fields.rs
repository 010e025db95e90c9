//! Field names of devices, installed apps and actions as the query language names them.
//!
//! The names are the JSON names of `koffer_api::Device`, `koffer_api::InstalledApp` and
//! `koffer_api::Action`; the order of [`DeviceField::ALL`] is the order of the fields in a
//! rendered device.

use koffer_api::paths::{action_field, app_field, device_field};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceField {
    Uuid,
    OrganizationUuid,
    Name,
    SerialNumber,
    Model,
    ModelIdentifier,
    Platform,
    OsVersion,
    BatteryLevel,
    TotalCapacityBytes,
    AvailableCapacityBytes,
    Supervised,
    SharedIpad,
    LostModeEnabled,
    User,
    LastConnectionDate,
    EnrollmentDate,
    EnrollmentType,
    ComplianceState,
    GroupUuids,
    ModificationDate,
}

impl DeviceField {
    pub const ALL: [DeviceField; 21] = [
        DeviceField::Uuid,
        DeviceField::OrganizationUuid,
        DeviceField::Name,
        DeviceField::SerialNumber,
        DeviceField::Model,
        DeviceField::ModelIdentifier,
        DeviceField::Platform,
        DeviceField::OsVersion,
        DeviceField::BatteryLevel,
        DeviceField::TotalCapacityBytes,
        DeviceField::AvailableCapacityBytes,
        DeviceField::Supervised,
        DeviceField::SharedIpad,
        DeviceField::LostModeEnabled,
        DeviceField::User,
        DeviceField::LastConnectionDate,
        DeviceField::EnrollmentDate,
        DeviceField::EnrollmentType,
        DeviceField::ComplianceState,
        DeviceField::GroupUuids,
        DeviceField::ModificationDate,
    ];

    /// Fields the device query filters on (see docs/api.md).
    const FILTERABLE: [DeviceField; 6] = [
        DeviceField::Uuid,
        DeviceField::Name,
        DeviceField::SerialNumber,
        DeviceField::OsVersion,
        DeviceField::ComplianceState,
        DeviceField::ModificationDate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeviceField::Uuid => device_field::UUID,
            DeviceField::OrganizationUuid => "organizationUuid",
            DeviceField::Name => device_field::NAME,
            DeviceField::SerialNumber => device_field::SERIAL_NUMBER,
            DeviceField::Model => "model",
            DeviceField::ModelIdentifier => "modelIdentifier",
            DeviceField::Platform => "platform",
            DeviceField::OsVersion => "osVersion",
            DeviceField::BatteryLevel => "batteryLevel",
            DeviceField::TotalCapacityBytes => "totalCapacityBytes",
            DeviceField::AvailableCapacityBytes => "availableCapacityBytes",
            DeviceField::Supervised => "supervised",
            DeviceField::SharedIpad => "sharedIpad",
            DeviceField::LostModeEnabled => "lostModeEnabled",
            DeviceField::User => "user",
            DeviceField::LastConnectionDate => "lastConnectionDate",
            DeviceField::EnrollmentDate => "enrollmentDate",
            DeviceField::EnrollmentType => "enrollmentType",
            DeviceField::ComplianceState => "complianceState",
            DeviceField::GroupUuids => "groupUuids",
            DeviceField::ModificationDate => device_field::MODIFICATION_DATE,
        }
    }

    pub fn named(name: &str) -> Option<DeviceField> {
        DeviceField::ALL
            .into_iter()
            .find(|field| field.name() == name)
    }

    pub fn filterable(name: &str) -> Option<DeviceField> {
        DeviceField::named(name).filter(|field| DeviceField::FILTERABLE.contains(field))
    }

    fn bit(self) -> u32 {
        1 << DeviceField::ALL
            .iter()
            .position(|&f| f == self)
            .expect("every field is listed")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppField {
    DeviceUuid,
    BundleId,
    Name,
    Version,
    Managed,
    SizeBytes,
}

impl AppField {
    pub const ALL: [AppField; 6] = [
        AppField::DeviceUuid,
        AppField::BundleId,
        AppField::Name,
        AppField::Version,
        AppField::Managed,
        AppField::SizeBytes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AppField::DeviceUuid => app_field::DEVICE_UUID,
            AppField::BundleId => "bundleId",
            AppField::Name => "name",
            AppField::Version => "version",
            AppField::Managed => "managed",
            AppField::SizeBytes => "sizeBytes",
        }
    }

    pub fn named(name: &str) -> Option<AppField> {
        AppField::ALL.into_iter().find(|field| field.name() == name)
    }

    pub fn filterable(name: &str) -> Option<AppField> {
        AppField::named(name).filter(|f| matches!(f, AppField::DeviceUuid | AppField::BundleId))
    }

    fn bit(self) -> u32 {
        1 << AppField::ALL
            .iter()
            .position(|&f| f == self)
            .expect("every field is listed")
    }
}

/// Fields the action query filters on (see docs/api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionField {
    Uuid,
    DeviceUuid,
    State,
    Type,
    ModificationDate,
}

impl ActionField {
    pub const ALL: [ActionField; 5] = [
        ActionField::Uuid,
        ActionField::DeviceUuid,
        ActionField::State,
        ActionField::Type,
        ActionField::ModificationDate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ActionField::Uuid => action_field::UUID,
            ActionField::DeviceUuid => action_field::DEVICE_UUID,
            ActionField::State => action_field::STATE,
            ActionField::Type => action_field::TYPE,
            ActionField::ModificationDate => action_field::MODIFICATION_DATE,
        }
    }

    pub fn filterable(name: &str) -> Option<ActionField> {
        ActionField::ALL
            .into_iter()
            .find(|field| field.name() == name)
    }
}

/// The fields a projection keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet(u32);

impl FieldSet {
    pub const EVERY: FieldSet = FieldSet(u32::MAX);

    /// The projection of a request's `fields`; every field when it has none.
    pub fn of_devices(names: Option<&[String]>) -> Result<FieldSet, String> {
        FieldSet::parse(names, |name| DeviceField::named(name).map(DeviceField::bit))
    }

    pub fn of_apps(names: Option<&[String]>) -> Result<FieldSet, String> {
        FieldSet::parse(names, |name| AppField::named(name).map(AppField::bit))
    }

    fn parse(
        names: Option<&[String]>,
        bit: impl Fn(&str) -> Option<u32>,
    ) -> Result<FieldSet, String> {
        let Some(names) = names else {
            return Ok(FieldSet::EVERY);
        };
        let mut bits = 0;
        for name in names {
            bits |= bit(name).ok_or_else(|| format!("unknown field '{name}' in fields"))?;
        }
        Ok(FieldSet(bits))
    }

    pub fn has_device(self, field: DeviceField) -> bool {
        self.0 & field.bit() != 0
    }

    pub fn has_app(self, field: AppField) -> bool {
        self.0 & field.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_device_fields_are_filterable() {
        let filterable: Vec<&str> = DeviceField::ALL
            .iter()
            .map(|f| f.name())
            .filter(|name| DeviceField::filterable(name).is_some())
            .collect();

        assert_eq!(
            filterable,
            [
                "uuid",
                "name",
                "serialNumber",
                "osVersion",
                "complianceState",
                "modificationDate"
            ],
            "docs/api.md lists exactly these filter fields"
        );
    }

    #[test]
    fn a_projection_keeps_only_the_named_fields() {
        let names = vec!["uuid".to_owned(), "modificationDate".to_owned()];

        let fields = FieldSet::of_devices(Some(&names)).unwrap();

        assert!(
            fields.has_device(DeviceField::Uuid),
            "a named field is kept"
        );
        assert!(
            !fields.has_device(DeviceField::Name),
            "an unnamed field is left out"
        );
        assert!(
            FieldSet::of_devices(Some(&["colour".to_owned()])).is_err(),
            "unknown field"
        );
    }
}
