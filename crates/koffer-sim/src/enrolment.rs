//! What an iPad looks like when it enrols: model, serial, iPadOS, storage, battery and apps.
//!
//! Seeding and churn both enrol devices through here, so a device enrolled while the emulator
//! runs looks like one that was there from the start.

use chrono::{DateTime, Utc};
use koffer_api::ComplianceState;
use rand::seq::{index, IndexedRandom};
use rand::Rng;

use crate::catalogue::{self, AppIdx, AppKind, ModelIdx, OsIdx};
use crate::district::{OrgIdx, Organisation};
use crate::inventory::{Device, Enrollment, Install, Inventory, PersonIdx};
use crate::policies;
use crate::uuid::Uuid;

/// Who a device is for; decides model, apps and how it was enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRole {
    Teacher,
    Student,
    /// A device of a class set, shared by a class.
    Case,
}

/// Where a new device goes and whose it is.
#[derive(Debug, Clone)]
pub struct Placement {
    pub org: OrgIdx,
    pub name: String,
    pub user: Option<PersonIdx>,
    pub groups: Vec<u16>,
    pub role: DeviceRole,
    pub shared_ipad: bool,
}

/// The app every school policy requires; devices without it are not compliant.
pub const REQUIRED_APP: &str = "com.apple.Keynote";

/// Storage iPadOS itself takes on a freshly set up iPad.
const SYSTEM_BYTES: u64 = 12 * 1024 * 1024 * 1024;

/// A device enrolled at `enrolled` that last checked in at `last_connection`.
pub fn enrol(
    rng: &mut impl Rng,
    inventory: &Inventory,
    placement: Placement,
    organisation: &Organisation,
    enrolled: DateTime<Utc>,
    last_connection: DateTime<Utc>,
) -> Device {
    let model = pick_model(rng, placement.role);
    let (uuid, serial) = identity(rng, inventory, model);
    let enrollment = pick_enrollment(rng, &placement);
    let capacity_gb = *catalogue::model(model)
        .capacities_gb
        .choose(rng)
        .expect("capacities");
    let mut device = Device {
        uuid,
        org: placement.org,
        name: placement.name,
        serial,
        model,
        os: pick_os(rng),
        battery_percent: pick_battery(rng, placement.role),
        capacity_gb,
        available_bytes: 0,
        supervised: enrollment == Enrollment::Dep
            && (placement.shared_ipad || rng.random_bool(0.97)),
        shared_ipad: placement.shared_ipad,
        lost_mode: false,
        user: placement.user,
        last_connection,
        enrolled,
        enrollment,
        compliance: ComplianceState::Compliant,
        groups: placement.groups,
        modified: last_connection,
        apps: installs(rng, &organisation.app_pool, placement.role),
    };
    device.available_bytes = free_space(rng, &device);
    device.lost_mode = device.supervised && rng.random_bool(0.003);
    device.compliance = assess(&device, organisation, last_connection);
    device
}

/// An erased device with automated enrolment enrols again by itself: the same serial number,
/// model, organisation, groups and user, a new uuid, out of lost mode, with only the apps its
/// policies require. `None` when another device took its serial number in the meantime.
///
/// Known limit: VPP licence counts do not follow the wipe. With Apple's device-based
/// assignment a wiped iPad keeps its licences under its serial number, and so do the counts.
pub fn reenrol(
    rng: &mut impl Rng,
    inventory: &Inventory,
    organisation: &Organisation,
    erased: Device,
    at: DateTime<Utc>,
) -> Option<Device> {
    if inventory.has_serial(&erased.serial) {
        return None;
    }
    let uuid = loop {
        let uuid = Uuid::random(rng);
        if inventory.position(uuid).is_none() {
            break uuid;
        }
    };
    let apps = required_apps(organisation, &erased.groups)
        .into_iter()
        .map(|app| Install {
            app,
            version: catalogue::app_entry(app).newest_index(),
        })
        .collect();
    let mut device = Device {
        uuid,
        lost_mode: false,
        last_connection: at,
        enrolled: at,
        modified: at,
        apps,
        ..erased
    };
    let taken: u64 = device
        .apps
        .iter()
        .map(|install| catalogue::app_entry(install.app).size_bytes(install.version))
        .sum();
    device.available_bytes = device
        .total_capacity_bytes()
        .saturating_sub(SYSTEM_BYTES + taken)
        & !0xFFF;
    device.compliance = assess(&device, organisation, at);
    Some(device)
}

/// Apps the policies in effect on the device's groups require (their newest published
/// versions, whatever the time), in bundle id order.
fn required_apps(organisation: &Organisation, groups: &[u16]) -> Vec<AppIdx> {
    let group_uuids: Vec<&str> = groups
        .iter()
        .map(|&g| organisation.groups[usize::from(g)].uuid.as_str())
        .collect();
    let mut apps: Vec<AppIdx> = organisation
        .policies
        .iter()
        .filter(|policy| {
            let uuids = &policy.group_uuids;
            uuids
                .iter()
                .any(|uuid| group_uuids.contains(&uuid.as_str()))
        })
        .filter_map(|policy| policy.newest_published())
        .flat_map(|version| version.into_owned().configurations)
        .filter_map(|configuration| configuration.app_compliance())
        .flat_map(|compliance| compliance.required_apps)
        .filter_map(|bundle_id| catalogue::app_by_bundle(&bundle_id))
        .collect();
    apps.sort_unstable();
    apps.dedup();
    apps
}

/// A uuid and serial number no device of the inventory has.
fn identity(rng: &mut impl Rng, inventory: &Inventory, model: ModelIdx) -> (Uuid, String) {
    loop {
        let uuid = Uuid::random(rng);
        let serial = serial_number(rng, model);
        if !inventory.is_taken(uuid, &serial) {
            return (uuid, serial);
        }
    }
}

/// Apple's serial format: 12 characters with a factory prefix on older models, 10 random ones
/// on newer models.
pub fn serial_number(rng: &mut impl Rng, model: ModelIdx) -> String {
    let (mut serial, length) = if catalogue::model(model).random_serial {
        (String::with_capacity(10), 10)
    } else {
        (
            catalogue::SERIAL_PREFIXES
                .choose(rng)
                .expect("prefixes")
                .to_string(),
            12,
        )
    };
    while serial.len() < length {
        serial.push(*catalogue::SERIAL_ALPHABET.choose(rng).expect("alphabet") as char);
    }
    serial
}

pub fn weighted(rng: &mut impl Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut ticket = rng.random_range(0..total);
    for (index, &weight) in weights.iter().enumerate() {
        if ticket < weight {
            return index;
        }
        ticket -= weight;
    }
    weights.len() - 1
}

fn pick_model(rng: &mut impl Rng, role: DeviceRole) -> ModelIdx {
    let weights = match role {
        DeviceRole::Teacher => &catalogue::TEACHER_MODEL_WEIGHTS,
        DeviceRole::Student | DeviceRole::Case => &catalogue::STUDENT_MODEL_WEIGHTS,
    };
    weighted(rng, weights) as ModelIdx
}

fn pick_os(rng: &mut impl Rng) -> OsIdx {
    weighted(rng, &catalogue::OS_WEIGHTS) as OsIdx
}

fn pick_enrollment(rng: &mut impl Rng, placement: &Placement) -> Enrollment {
    let by_hand = match placement.role {
        DeviceRole::Teacher => 0.15,
        DeviceRole::Student => 0.05,
        DeviceRole::Case => 0.03,
    };
    if placement.shared_ipad || !rng.random_bool(by_hand) {
        Enrollment::Dep
    } else {
        Enrollment::User
    }
}

/// Case devices live in a charging cart, so they are fuller; a few never reported a battery.
fn pick_battery(rng: &mut impl Rng, role: DeviceRole) -> Option<u8> {
    if rng.random_bool(0.06) {
        return None;
    }
    let lowest = if role == DeviceRole::Case { 35 } else { 3 };
    Some(rng.random_range(lowest..=100))
}

fn free_space(rng: &mut impl Rng, device: &Device) -> u64 {
    let share = rng.random_range(0.10..0.75);
    let free = (device.total_capacity_bytes() as f64 * share) as u64;
    free & !0xFFF
}

/// About 15 apps: Apple's core apps, a draw from the school's apps, the teacher's tools, and on
/// some students' iPads an app they installed themselves.
pub fn installs(rng: &mut impl Rng, pool: &[AppIdx], role: DeviceRole) -> Vec<Install> {
    let wanted: usize = rng.random_range(10..=20);
    let (core, school): (Vec<AppIdx>, Vec<AppIdx>) = pool
        .iter()
        .partition(|&&app| catalogue::app_entry(app).kind == AppKind::Core);
    let mut apps = core;
    if rng.random_bool(0.02) {
        apps.retain(|&app| catalogue::app_entry(app).bundle_id != REQUIRED_APP);
    }
    let extra = wanted.saturating_sub(apps.len()).min(school.len());
    apps.extend(
        index::sample(rng, school.len(), extra)
            .iter()
            .map(|i| school[i]),
    );
    if role == DeviceRole::Teacher {
        apps.extend(catalogue::apps_of_kind(AppKind::Teacher));
    }
    if role == DeviceRole::Student && rng.random_bool(0.06) {
        let personal = catalogue::apps_of_kind(AppKind::Personal);
        apps.push(*personal.choose(rng).expect("personal apps"));
    }
    apps.sort_unstable();
    apps.dedup();
    apps.into_iter()
        .map(|app| Install {
            app,
            version: pick_version(rng, app),
        })
        .collect()
}

/// Mostly the current release; some devices lag a version or two behind.
pub fn pick_version(rng: &mut impl Rng, app: AppIdx) -> u8 {
    let newest = catalogue::app_entry(app).newest_index();
    if newest == 0 || rng.random_bool(0.75) {
        newest
    } else {
        rng.random_range(0..newest)
    }
}

/// The compliance state the server reports at `now`, judged by the organisation's policies at
/// the device's last check-in (see [`policies::server_compliance`]).
pub fn assess(device: &Device, organisation: &Organisation, now: DateTime<Utc>) -> ComplianceState {
    policies::server_compliance(device, organisation, now)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn serials_look_like_apples() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);

        let old = serial_number(&mut rng, 0);
        let new = serial_number(&mut rng, 1);

        assert_eq!(old.len(), 12, "older models carry 12-character serials");
        assert!(
            catalogue::SERIAL_PREFIXES
                .iter()
                .any(|p| old.starts_with(p)),
            "factory prefix"
        );
        assert_eq!(
            new.len(),
            10,
            "newer models carry 10-character random serials"
        );
        assert!(
            new.bytes().all(|b| catalogue::SERIAL_ALPHABET.contains(&b)),
            "upper alnum"
        );
    }

    #[test]
    fn installs_hold_ten_to_about_twenty_sorted_apps() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let pool: Vec<AppIdx> = (0..catalogue::APPS.len() as AppIdx)
            .filter(|&app| catalogue::app_entry(app).managed())
            .collect();

        for _ in 0..200 {
            let apps = installs(&mut rng, &pool, DeviceRole::Student);

            assert!(
                (9..=22).contains(&apps.len()),
                "about 15 apps, got {}",
                apps.len()
            );
            assert!(
                apps.is_sorted_by_key(|install| install.app),
                "installs are kept sorted"
            );
        }
    }
}
