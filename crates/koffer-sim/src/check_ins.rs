//! When devices check in to fetch their actions, which are offline or busy, and which erased
//! devices are waiting to enrol again.
//!
//! Every online device checks in every one to five simulated minutes, at minutes fixed by the
//! seed and its uuid. Only check-ins that fetch something cost work: a device enters the
//! schedule when an action is queued for it and leaves it when none is left, so a simulated
//! minute costs O(devices due), not O(devices).
//!
//! Known limit: a check-in with nothing to fetch goes unnoticed, so an idle device's
//! `lastConnectionDate` moves only when churn checks it in. Noting every idle check-in would
//! change every device's `modificationDate` every few minutes and leave a sync nothing to skip.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::district::District;
use crate::draw::{self, Purpose};
use crate::inventory::Device;
use crate::uuid::Uuid;

/// Devices silent this long when the emulator starts are offline until they come back.
const DORMANT_AFTER_DAYS: i64 = 3;

/// Minutes between two check-ins of an online device.
const INTERVAL_MINUTES: (u64, u64) = (1, 5);

/// Why a device does not check in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Absence {
    /// Silent for days at the start (in a drawer, broken, at home); a churn check-in or a manual
    /// one brings it back.
    Dormant,
    /// Taken offline through the control API; only the control API brings it back.
    Held,
}

#[derive(Debug)]
pub struct CheckIns {
    seed: u64,
    /// (minute, device) of the next check-in of each device with something to fetch.
    due: BTreeSet<(i64, Uuid)>,
    next: HashMap<Uuid, i64>,
    absent: HashMap<Uuid, Absence>,
    busy: HashSet<Uuid>,
    /// Erased devices with automated enrolment, by the minute they enrol again.
    reenrolments: BTreeMap<i64, Vec<Device>>,
}

impl CheckIns {
    /// Devices silent for days at `start` are dormant; all others are online.
    pub fn new(seed: u64, district: &District, start: DateTime<Utc>) -> CheckIns {
        let dormant_before = start - Duration::days(DORMANT_AFTER_DAYS);
        let absent = district
            .inventory
            .all()
            .filter(|device| device.last_connection < dormant_before)
            .map(|device| (device.uuid, Absence::Dormant))
            .collect();
        CheckIns {
            seed,
            due: BTreeSet::new(),
            next: HashMap::new(),
            absent,
            busy: HashSet::new(),
            reenrolments: BTreeMap::new(),
        }
    }

    pub fn is_online(&self, device: Uuid) -> bool {
        !self.absent.contains_key(&device)
    }

    /// Taken offline through the control API: not even churn sees it.
    pub fn is_held_offline(&self, device: Uuid) -> bool {
        self.absent.get(&device) == Some(&Absence::Held)
    }

    pub fn is_busy(&self, device: Uuid) -> bool {
        self.busy.contains(&device)
    }

    pub fn set_online(&mut self, device: Uuid, online: bool) {
        if online {
            self.absent.remove(&device);
        } else {
            self.absent.insert(device, Absence::Held);
            self.unschedule(device);
        }
    }

    pub fn set_busy(&mut self, device: Uuid, busy: bool) {
        if busy {
            self.busy.insert(device);
        } else {
            self.busy.remove(&device);
        }
    }

    /// A dormant device checked in after all and is online from now on.
    pub fn came_back(&mut self, device: Uuid) {
        if self.absent.get(&device) == Some(&Absence::Dormant) {
            self.absent.remove(&device);
        }
    }

    /// The first minute after `minute` at which the device checks in.
    pub fn next_check_in(&self, device: Uuid, minute: i64) -> i64 {
        let parts = draw::uuid_parts(device);
        let (low, high) = INTERVAL_MINUTES;
        let interval = draw::in_range(self.seed, Purpose::CheckInInterval, &parts, low, high);
        let phase = draw::hash(self.seed, Purpose::CheckInPhase, &parts) % interval;
        let (interval, phase) = (interval as i64, phase as i64);
        let after = minute + 1;
        after + (phase - after).rem_euclid(interval)
    }

    /// Puts an online device with something to fetch on the schedule, unless it is on it.
    pub fn expect(&mut self, device: Uuid, minute: i64) {
        if !self.is_online(device) || self.next.contains_key(&device) {
            return;
        }
        let at = self.next_check_in(device, minute);
        self.next.insert(device, at);
        self.due.insert((at, device));
    }

    pub fn unschedule(&mut self, device: Uuid) {
        if let Some(at) = self.next.remove(&device) {
            self.due.remove(&(at, device));
        }
    }

    /// Devices whose check-in falls in or before `minute`, earliest first, off the schedule.
    pub fn take_due(&mut self, minute: i64) -> Vec<Uuid> {
        let mut taken = Vec::new();
        while let Some(&(at, device)) = self.due.first() {
            if at > minute {
                break;
            }
            self.due.pop_first();
            self.next.remove(&device);
            taken.push(device);
        }
        taken
    }

    /// The next minute at which something is due: a check-in or an enrolment.
    pub fn next_event(&self) -> Option<i64> {
        let check_in = self.due.first().map(|&(at, _)| at);
        let enrolment = self.reenrolments.keys().next().copied();
        check_in.into_iter().chain(enrolment).min()
    }

    /// The device left the inventory; nothing about it is kept.
    pub fn forget(&mut self, device: Uuid) {
        self.unschedule(device);
        self.absent.remove(&device);
        self.busy.remove(&device);
    }

    /// An erased device with automated enrolment comes back 10 to 30 minutes later.
    pub fn reenrol_later(&mut self, device: Device, minute: i64) {
        let parts = draw::uuid_parts(device.uuid);
        let delay = draw::in_range(self.seed, Purpose::ReenrolmentDelay, &parts, 10, 30);
        let at = minute + delay as i64;
        self.reenrolments.entry(at).or_default().push(device);
    }

    /// Erased devices due to enrol again by `minute`.
    pub fn take_reenrolments(&mut self, minute: i64) -> Vec<Device> {
        let later = self.reenrolments.split_off(&(minute + 1));
        let due = std::mem::replace(&mut self.reenrolments, later);
        due.into_values().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{self, Plan};

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn check_ins() -> (CheckIns, District) {
        let plan = Plan {
            seed: 6,
            schools: 2,
            devices: 400,
        };
        let district = seed::seed(&plan, start());
        (CheckIns::new(6, &district, start()), district)
    }

    #[test]
    fn devices_check_in_every_one_to_five_minutes_on_their_own_beat() {
        let (check_ins, district) = check_ins();

        let gaps: Vec<i64> = district
            .inventory
            .all()
            .map(|device| {
                let first = check_ins.next_check_in(device.uuid, 0);
                check_ins.next_check_in(device.uuid, first) - first
            })
            .collect();

        assert!(
            gaps.iter().all(|gap| (1..=5).contains(gap)),
            "1 to 5 minutes"
        );
        assert!(
            gaps.contains(&1) && gaps.contains(&5),
            "intervals differ by device"
        );
    }

    #[test]
    fn devices_silent_for_days_at_the_start_are_offline_and_the_rest_online() {
        let (check_ins, district) = check_ins();
        let days_ago = start() - Duration::days(DORMANT_AFTER_DAYS);

        let wrong = district
            .inventory
            .all()
            .filter(|d| check_ins.is_online(d.uuid) != (d.last_connection >= days_ago))
            .count();
        let offline = district
            .inventory
            .all()
            .filter(|d| !check_ins.is_online(d.uuid))
            .count();

        assert_eq!(wrong, 0, "the seeded silence decides who is offline");
        assert!(
            (10..=80).contains(&offline),
            "a share is offline: {offline} of 400"
        );
    }

    #[test]
    fn the_schedule_hands_out_due_devices_once_in_minute_order() {
        let (mut check_ins, district) = check_ins();
        let online: Vec<Uuid> = district
            .inventory
            .all()
            .map(|d| d.uuid)
            .filter(|&uuid| check_ins.is_online(uuid))
            .take(20)
            .collect();

        for &device in &online {
            check_ins.expect(device, 0);
            check_ins.expect(device, 0);
        }
        let due = check_ins.take_due(5);

        assert_eq!(
            due.len(),
            online.len(),
            "each device once, all due within 5 minutes"
        );
        assert!(
            check_ins.take_due(5).is_empty(),
            "taken devices leave the schedule"
        );
        assert_eq!(check_ins.next_event(), None, "nothing is left");
    }

    #[test]
    fn a_device_held_offline_is_not_scheduled() {
        let (mut check_ins, district) = check_ins();
        let device = district.inventory.at(0).uuid;

        check_ins.set_online(device, false);
        check_ins.expect(device, 0);

        assert_eq!(
            check_ins.next_event(),
            None,
            "an offline device does not check in"
        );
        assert!(
            check_ins.is_held_offline(device),
            "and churn must not see it either"
        );
    }
}
