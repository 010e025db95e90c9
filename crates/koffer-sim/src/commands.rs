//! What a device does with a command it fetched: the rules Apple devices follow (supervision,
//! lost mode, Shared iPad) and the effects on the inventory.
//!
//! Every effect stamps the device's `modificationDate`, so a sync finds the change.

use chrono::{DateTime, Utc};
use koffer_api::{apple_error, ActionParameters, ActionType, Location};

use crate::catalogue;
use crate::district::District;
use crate::draw::{self, Purpose};
use crate::enrolment;
use crate::inventory::{Device, Install};

/// Codes for the errors docs/api.md names no code for. They are the emulator's own, not
/// Apple's, so Koffer can only show their message.
pub mod emulator_error {
    /// Clearing the passcode of a Shared iPad, which has none to clear.
    pub const SHARED_IPAD: i64 = 90_001;
    /// The app to install is not in the organisation's catalogue.
    pub const NOT_IN_CATALOGUE: i64 = 90_002;
    /// Every VPP licence of the app is assigned.
    pub const NO_LICENCE_LEFT: i64 = 90_003;
    /// The app to remove is not installed, or was not installed by the server.
    pub const NOT_A_MANAGED_APP: i64 = 90_004;
    /// The device left the server before it fetched the action.
    pub const DEVICE_REMOVED: i64 = 90_005;
}

pub const DEVICE_REMOVED_MESSAGE: &str = "The device was removed from the server.";

/// Where the district's schools lie: around the centre of Essen.
const CITY_CENTRE: (f64, f64) = (51.4556, 7.0116);
/// How far a school lies from the centre, in degrees (about 5 km).
const SCHOOL_SPREAD: (f64, f64) = (0.045, 0.07);
/// How far a device lies from its school, in degrees (about 150 m).
const DEVICE_SPREAD: (f64, f64) = (0.0013, 0.002);

/// Locate requests of this share of devices (per cent) find no position.
const LOCATION_UNKNOWN_PERCENT: u64 = 10;

/// How a device answered a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Acknowledged(Option<Location>),
    Failed {
        code: i64,
        message: String,
    },
    /// Acknowledged, and the device wipes itself; the caller removes it from the inventory.
    Erased,
}

/// The device at `position` carries out one command at `at`.
pub fn execute(
    district: &mut District,
    position: usize,
    kind: ActionType,
    parameters: &ActionParameters,
    seed: u64,
    at: DateTime<Utc>,
) -> Outcome {
    let device = district.inventory.at(position);
    if needs_supervision(kind) && !device.supervised {
        return failed(apple_error::NOT_SUPERVISED, "The device is not supervised.");
    }
    if needs_lost_mode(kind) && !device.lost_mode {
        let message = "The command needs the device to be in lost mode.";
        return failed(apple_error::NOT_IN_LOST_MODE, message);
    }
    match kind {
        ActionType::DeviceLock
        | ActionType::PlayLostModeSound
        | ActionType::RestartDevice
        | ActionType::ShutDownDevice => Outcome::Acknowledged(None),
        ActionType::EnableLostMode => set_lost_mode(district, position, true, at),
        ActionType::DisableLostMode => set_lost_mode(district, position, false, at),
        ActionType::DeviceLocation => locate(district, device, seed, at),
        ActionType::ClearPasscode if device.shared_ipad => failed(
            emulator_error::SHARED_IPAD,
            "A Shared iPad has no device passcode that could be cleared.",
        ),
        ActionType::ClearPasscode => Outcome::Acknowledged(None),
        ActionType::EraseDevice => Outcome::Erased,
        ActionType::InstallApp => install(district, position, bundle_id(parameters), at),
        ActionType::RemoveApp => remove(district, position, bundle_id(parameters), at),
    }
}

fn needs_supervision(kind: ActionType) -> bool {
    matches!(
        kind,
        ActionType::EnableLostMode
            | ActionType::DisableLostMode
            | ActionType::PlayLostModeSound
            | ActionType::DeviceLocation
            | ActionType::RestartDevice
            | ActionType::ShutDownDevice
            | ActionType::InstallApp
    )
}

fn needs_lost_mode(kind: ActionType) -> bool {
    matches!(
        kind,
        ActionType::DisableLostMode | ActionType::PlayLostModeSound | ActionType::DeviceLocation
    )
}

fn failed(code: i64, message: &str) -> Outcome {
    Outcome::Failed {
        code,
        message: message.to_owned(),
    }
}

/// The create refused a missing bundle id, so an empty one never reaches a device.
fn bundle_id(parameters: &ActionParameters) -> &str {
    parameters.bundle_id.as_deref().unwrap_or_default()
}

fn set_lost_mode(district: &mut District, position: usize, on: bool, at: DateTime<Utc>) -> Outcome {
    let device = district.inventory.at_mut(position);
    device.lost_mode = on;
    device.modified = at;
    Outcome::Acknowledged(None)
}

fn locate(district: &District, device: &Device, seed: u64, at: DateTime<Utc>) -> Outcome {
    let serial = [draw::text_part(&device.serial)];
    let unknown = draw::chance(
        seed,
        Purpose::LocationUnknown,
        &serial,
        LOCATION_UNKNOWN_PERCENT,
    );
    if unknown {
        let message = "The device's location is unknown.";
        return failed(apple_error::LOCATION_UNKNOWN, message);
    }
    let school = [draw::text_part(district.organisations[device.org].uuid())];
    let latitude = CITY_CENTRE.0
        + SCHOOL_SPREAD.0 * draw::signed_unit(seed, Purpose::SchoolPosition, &[school[0], 0])
        + DEVICE_SPREAD.0 * draw::signed_unit(seed, Purpose::DevicePosition, &[serial[0], 0]);
    let longitude = CITY_CENTRE.1
        + SCHOOL_SPREAD.1 * draw::signed_unit(seed, Purpose::SchoolPosition, &[school[0], 1])
        + DEVICE_SPREAD.1 * draw::signed_unit(seed, Purpose::DevicePosition, &[serial[0], 1]);
    let accuracy = draw::in_range(seed, Purpose::Accuracy, &serial, 5, 65);
    Outcome::Acknowledged(Some(Location {
        latitude: round6(latitude),
        longitude: round6(longitude),
        horizontal_accuracy: accuracy as f64,
        timestamp: at,
    }))
}

/// Six decimals are about 10 cm, as precise as any device reports.
fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

/// Installs the newest version from the organisation's catalogue and assigns it a licence; an
/// app already on the device is updated and keeps the licence it has.
fn install(
    district: &mut District,
    position: usize,
    bundle_id: &str,
    at: DateTime<Utc>,
) -> Outcome {
    let org = district.inventory.at(position).org;
    let catalogue = &mut district.organisations[org].catalogue;
    let (Some(entry), Some(app)) = (
        catalogue
            .iter_mut()
            .find(|entry| entry.bundle_id == bundle_id),
        catalogue::app_by_bundle(bundle_id),
    ) else {
        let message = format!("The app {bundle_id} is not in the organisation's app catalogue.");
        return failed(emulator_error::NOT_IN_CATALOGUE, &message);
    };
    let version = catalogue::app_entry(app).newest_index();
    let device = district.inventory.at_mut(position);
    match device
        .apps
        .binary_search_by_key(&app, |install| install.app)
    {
        Ok(installed) => device.apps[installed].version = version,
        Err(_) if entry.vpp_licenses_assigned >= entry.vpp_licenses_total => {
            let message = format!(
                "No licence left: all {} VPP licences of {} are assigned.",
                entry.vpp_licenses_total, entry.name
            );
            return failed(emulator_error::NO_LICENCE_LEFT, &message);
        }
        Err(place) => {
            entry.vpp_licenses_assigned += 1;
            device.apps.insert(place, Install { app, version });
        }
    }
    device.compliance = enrolment::assess(device, &district.organisations[org], at);
    device.modified = at;
    Outcome::Acknowledged(None)
}

/// Removes an app the server installed and gives its licence back to the organisation.
fn remove(district: &mut District, position: usize, bundle_id: &str, at: DateTime<Utc>) -> Outcome {
    let device = district.inventory.at(position);
    let installed = catalogue::app_by_bundle(bundle_id)
        .and_then(|app| device.apps.iter().position(|install| install.app == app));
    let Some(index) = installed else {
        let message = format!("The app {bundle_id} is not installed on the device.");
        return failed(emulator_error::NOT_A_MANAGED_APP, &message);
    };
    if !catalogue::app_entry(device.apps[index].app).managed() {
        let message = format!("The app {bundle_id} was installed by the user, not by the server.");
        return failed(emulator_error::NOT_A_MANAGED_APP, &message);
    }
    let org = device.org;
    let device = district.inventory.at_mut(position);
    device.apps.remove(index);
    device.compliance = enrolment::assess(device, &district.organisations[org], at);
    device.modified = at;
    let licence = district.organisations[org]
        .catalogue
        .iter_mut()
        .find(|entry| entry.bundle_id == bundle_id);
    if let Some(entry) = licence {
        entry.vpp_licenses_assigned = entry.vpp_licenses_assigned.saturating_sub(1);
    }
    Outcome::Acknowledged(None)
}
