//! The enrolled devices of every organisation.
//!
//! Devices sit in one dense vector, so churn can pick devices at random in O(1); each
//! organisation keeps a map from uuid to position, so the device query pages in uuid order
//! without sorting. Installed apps are indices into the app catalogue, rendered on demand.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use koffer_api::ComplianceState;

use crate::catalogue::{self, AppIdx, ModelIdx, OsIdx};
use crate::district::OrgIdx;
use crate::uuid::Uuid;

/// Index into [`crate::district::District::people`].
pub type PersonIdx = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrollment {
    /// Apple's automated enrolment (DEP / ADE).
    Dep,
    /// Enrolled by hand.
    User,
}

impl Enrollment {
    pub fn as_str(self) -> &'static str {
        match self {
            Enrollment::Dep => "DEP",
            Enrollment::User => "USER",
        }
    }
}

/// One app on one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Install {
    pub app: AppIdx,
    /// Index into the app's versions.
    pub version: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub uuid: Uuid,
    pub org: OrgIdx,
    pub name: String,
    pub serial: String,
    pub model: ModelIdx,
    pub os: OsIdx,
    pub battery_percent: Option<u8>,
    pub capacity_gb: u16,
    pub available_bytes: u64,
    pub supervised: bool,
    pub shared_ipad: bool,
    pub lost_mode: bool,
    /// The person the device is handed to; `None` on case devices.
    pub user: Option<PersonIdx>,
    pub last_connection: DateTime<Utc>,
    pub enrolled: DateTime<Utc>,
    pub enrollment: Enrollment,
    pub compliance: ComplianceState,
    /// Indices into the organisation's device groups.
    pub groups: Vec<u16>,
    pub modified: DateTime<Utc>,
    /// Sorted by app index, which is bundle id order.
    pub apps: Vec<Install>,
}

impl Device {
    pub fn total_capacity_bytes(&self) -> u64 {
        u64::from(self.capacity_gb) * 1024 * 1024 * 1024
    }

    pub fn battery_level(&self) -> Option<f64> {
        self.battery_percent
            .map(|percent| f64::from(percent) / 100.0)
    }

    pub fn model_name(&self) -> &'static str {
        catalogue::model(self.model).name
    }

    pub fn os_version(&self) -> &'static str {
        catalogue::os_version(self.os)
    }
}

#[derive(Debug, Default)]
pub struct Inventory {
    devices: Vec<Device>,
    by_uuid: HashMap<Uuid, usize>,
    by_org: Vec<BTreeMap<Uuid, usize>>,
    serials: HashSet<String>,
}

impl Inventory {
    pub fn new(organisations: usize) -> Inventory {
        Inventory {
            by_org: vec![BTreeMap::new(); organisations],
            ..Inventory::default()
        }
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_taken(&self, uuid: Uuid, serial: &str) -> bool {
        self.by_uuid.contains_key(&uuid) || self.serials.contains(serial)
    }

    /// Adds a device; the caller made sure uuid and serial are new (see [`Self::is_taken`]).
    pub fn enrol(&mut self, device: Device) {
        let position = self.devices.len();
        self.by_uuid.insert(device.uuid, position);
        self.by_org[device.org].insert(device.uuid, position);
        self.serials.insert(device.serial.clone());
        self.devices.push(device);
    }

    /// Removes the device at `position`; the last device moves into its place.
    pub fn unenrol(&mut self, position: usize) -> Device {
        let device = self.devices.swap_remove(position);
        self.by_uuid.remove(&device.uuid);
        self.by_org[device.org].remove(&device.uuid);
        self.serials.remove(&device.serial);
        if let Some(moved) = self.devices.get(position) {
            self.by_uuid.insert(moved.uuid, position);
            self.by_org[moved.org].insert(moved.uuid, position);
        }
        device
    }

    pub fn has_serial(&self, serial: &str) -> bool {
        self.serials.contains(serial)
    }

    /// Where the device sits in the dense vector; positions change when devices leave.
    pub fn position(&self, uuid: Uuid) -> Option<usize> {
        self.by_uuid.get(&uuid).copied()
    }

    pub fn get(&self, uuid: Uuid) -> Option<&Device> {
        self.by_uuid
            .get(&uuid)
            .map(|&position| &self.devices[position])
    }

    pub fn get_in(&self, org: OrgIdx, uuid: Uuid) -> Option<&Device> {
        self.by_org[org]
            .get(&uuid)
            .map(|&position| &self.devices[position])
    }

    pub fn at(&self, position: usize) -> &Device {
        &self.devices[position]
    }

    pub fn at_mut(&mut self, position: usize) -> &mut Device {
        &mut self.devices[position]
    }

    /// The organisation's devices in uuid order.
    pub fn of_org(&self, org: OrgIdx) -> impl DoubleEndedIterator<Item = &Device> + '_ {
        self.by_org[org]
            .values()
            .map(|&position| &self.devices[position])
    }

    pub fn count_in(&self, org: OrgIdx) -> usize {
        self.by_org[org].len()
    }

    pub fn all(&self) -> impl Iterator<Item = &Device> + '_ {
        self.by_org
            .iter()
            .flat_map(|devices| devices.values())
            .map(|&i| &self.devices[i])
    }
}
