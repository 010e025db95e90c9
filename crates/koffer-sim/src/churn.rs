//! Churn: devices that check in, update and come and go while the emulator runs.
//!
//! For every whole simulated minute a share `churn` of the devices checks in (drawn with
//! replacement, so a minute costs O(changed devices), not O(all devices)): battery, storage
//! and last contact change; some update iPadOS or an app, some gain or lose an app. A few
//! devices are unenrolled and new ones enrol. Every change stamps the device's
//! `modificationDate` with the end of that minute, so a client that asks for changes since the
//! newest date it saw finds exactly these devices.
//!
//! The world ([`crate::world`]) runs churn minute by minute and hears which devices checked in
//! (they fetch their actions) and which left (their actions end).
//!
//! Known limit: VPP licence counts and policies do not follow churn; they stay as seeded.
//! Known limit: minutes are applied when the next request comes, so after a long pause at a
//! high clock speed that request waits until every missed minute has been applied.

use chrono::{DateTime, Duration, Utc};
use rand::seq::{IndexedMutRandom, IndexedRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalogue::{self, AppIdx, AppKind};
use crate::district::{District, OrgIdx, Organisation};
use crate::enrolment::{self, DeviceRole, Placement};
use crate::inventory::{Device, Install};
use crate::uuid::Uuid;

/// ChaCha stream of the churn draws; the data is seeded from stream 0 of the same seed.
const CHURN_STREAM: u64 = 1;

/// Devices silent for longer than this are drawn but seldom check in.
const LONG_SILENCE_DAYS: i64 = 14;

/// Devices unenrolled (and as many enrolled) per device that checks in.
const TURNOVER: f64 = 0.02;

#[derive(Debug)]
pub struct Churn {
    rate: f64,
    rng: ChaCha8Rng,
}

/// What a minute of churn did that actions care about.
#[derive(Debug, Default)]
pub struct MinuteReport {
    pub checked_in: Vec<Uuid>,
    pub unenrolled: Vec<Uuid>,
}

impl Churn {
    pub fn new(seed: u64, rate: f64) -> Churn {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(CHURN_STREAM);
        Churn { rate, rng }
    }

    /// Whether minutes change anything; without churn the world skips to its next event.
    pub fn is_active(&self) -> bool {
        self.rate > 0.0
    }

    /// One minute ending at `at`. Devices `held_offline` never check in.
    pub fn minute(
        &mut self,
        district: &mut District,
        at: DateTime<Utc>,
        held_offline: impl Fn(Uuid) -> bool,
    ) -> MinuteReport {
        let mut report = MinuteReport::default();
        let checking_in = self.draw_count(district.inventory.len() as f64 * self.rate);
        for _ in 0..checking_in {
            let position = self.rng.random_range(0..district.inventory.len());
            let device = district.inventory.at(position);
            if held_offline(device.uuid) || stays_silent(&mut self.rng, device, at) {
                continue;
            }
            report.checked_in.push(device.uuid);
            let organisation = &district.organisations[device.org];
            check_in(
                &mut self.rng,
                district.inventory.at_mut(position),
                organisation,
                at,
            );
        }
        for _ in 0..self.draw_count(checking_in as f64 * TURNOVER) {
            report.unenrolled.extend(self.unenrol_one(district));
            self.enrol_one(district, at);
        }
        report
    }

    /// `expected` rounded at random, so that small rates still churn now and then.
    fn draw_count(&mut self, expected: f64) -> usize {
        let whole = expected.floor();
        let extra = self.rng.random_bool((expected - whole).clamp(0.0, 1.0));
        whole as usize + usize::from(extra)
    }

    fn unenrol_one(&mut self, district: &mut District) -> Option<Uuid> {
        if district.inventory.len() == 0 {
            return None;
        }
        let position = self.rng.random_range(0..district.inventory.len());
        let device = district.inventory.unenrol(position);
        forget_in_classes(district, &device);
        Some(device.uuid)
    }

    /// A new iPad joins a random case of a random school.
    fn enrol_one(&mut self, district: &mut District, at: DateTime<Utc>) {
        let Some(&org) = district.schools().choose(&mut self.rng) else {
            return;
        };
        let placement = self.placement(district, org);
        let organisation = &district.organisations[org];
        let inventory = &district.inventory;
        let device = enrolment::enrol(&mut self.rng, inventory, placement, organisation, at, at);
        district.inventory.enrol(device);
    }

    fn placement(&mut self, district: &mut District, org: OrgIdx) -> Placement {
        let count = district.inventory.count_in(org);
        let school = &mut district.organisations[org];
        let Some(case) = school.cases.choose_mut(&mut self.rng) else {
            let name = format!("{}-iPad-{:03}", school.code, count + 1);
            return Placement {
                org,
                name,
                user: None,
                groups: Vec::new(),
                role: DeviceRole::Case,
                shared_ipad: false,
            };
        };
        let name = format!(
            "{}-Koffer-{}-{:02}",
            school.code, case.number, case.next_slot
        );
        case.next_slot += 1;
        Placement {
            org,
            name,
            user: None,
            groups: vec![case.group],
            role: DeviceRole::Case,
            shared_ipad: case.shared_ipad,
        }
    }
}

/// A device silent for weeks (in a drawer, broken, taken home) rarely comes back.
fn stays_silent(rng: &mut impl Rng, device: &Device, at: DateTime<Utc>) -> bool {
    at - device.last_connection > Duration::days(LONG_SILENCE_DAYS) && !rng.random_bool(0.05)
}

/// A device reports in: new battery, storage and contact time, now and then an update.
fn check_in(rng: &mut impl Rng, device: &mut Device, school: &Organisation, at: DateTime<Utc>) {
    let pool = &school.app_pool;
    device.last_connection = at;
    device.battery_percent = next_battery(rng, device.battery_percent);
    device.available_bytes = next_free_space(rng, device);
    if rng.random_bool(0.08) {
        update_os(rng, device);
    }
    if rng.random_bool(0.15) {
        update_app(rng, device);
    }
    if rng.random_bool(0.05) {
        install_app(rng, device, pool);
    } else if rng.random_bool(0.04) {
        remove_app(rng, device);
    }
    device.compliance = enrolment::assess(device, school, at);
    device.modified = at;
}

fn next_battery(rng: &mut impl Rng, battery: Option<u8>) -> Option<u8> {
    match battery {
        None => rng.random_bool(0.3).then(|| rng.random_range(20..=100)),
        Some(low) if low < 15 => Some(low + rng.random_range(30..=60)),
        Some(level) => Some((i16::from(level) + rng.random_range(-12..=8)).clamp(1, 100) as u8),
    }
}

fn next_free_space(rng: &mut impl Rng, device: &Device) -> u64 {
    let change = rng.random_range(-200..=150) * 1024 * 1024;
    let free = device.available_bytes.saturating_add_signed(change);
    free.min(device.total_capacity_bytes())
}

fn update_os(rng: &mut impl Rng, device: &mut Device) {
    let newest = (catalogue::OS_VERSIONS.len() - 1) as u8;
    if device.os < newest {
        device.os = rng.random_range(device.os + 1..=newest);
    }
}

fn update_app(rng: &mut impl Rng, device: &mut Device) {
    if let Some(install) = device.apps.choose_mut(rng) {
        let newest = catalogue::app_entry(install.app).newest_index();
        install.version = (install.version + 1).min(newest);
    }
}

fn install_app(rng: &mut impl Rng, device: &mut Device, pool: &[AppIdx]) {
    let Some(&app) = pool.choose(rng) else {
        return;
    };
    if let Err(place) = device
        .apps
        .binary_search_by_key(&app, |install| install.app)
    {
        let version = catalogue::app_entry(app).newest_index();
        device.apps.insert(place, Install { app, version });
    }
}

/// Removes an app the school or the student added; Apple's core apps stay.
fn remove_app(rng: &mut impl Rng, device: &mut Device) {
    let removable: Vec<usize> = (0..device.apps.len())
        .filter(|&i| catalogue::app_entry(device.apps[i].app).kind != AppKind::Core)
        .collect();
    if let Some(&i) = removable.choose(rng) {
        device.apps.remove(i);
    }
}

/// A student whose iPad is gone has no 1:1 device any more.
pub fn forget_in_classes(district: &mut District, device: &Device) {
    if device.user.is_none() {
        return;
    }
    let uuid = device.uuid.to_string();
    let students = district.organisations[device.org]
        .classes
        .iter_mut()
        .flat_map(|c| &mut c.students);
    for student in students.filter(|s| s.device_uuid.as_deref() == Some(uuid.as_str())) {
        student.device_uuid = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimClock;
    use crate::seed::{self, Plan};

    fn district() -> (District, SimClock) {
        let start = DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc();
        let plan = Plan {
            seed: 4,
            schools: 2,
            devices: 400,
        };
        (seed::seed(&plan, start), SimClock::new(start, 0.0))
    }

    /// Runs churn for the first `minutes` minutes of the clock.
    fn run(churn: &mut Churn, district: &mut District, clock: &SimClock, minutes: i64) {
        for minute in 1..=minutes {
            churn.minute(district, clock.end_of_minute(minute), |_| false);
        }
    }

    #[test]
    fn a_minute_of_churn_touches_about_the_churn_share_of_devices() {
        let (mut district, clock) = district();
        let mut churn = Churn::new(4, 0.05);

        clock.advance(1);
        run(&mut churn, &mut district, &clock, 1);

        let changed = district
            .inventory
            .all()
            .filter(|d| d.modified == clock.now())
            .count();
        assert!(
            (12..=22).contains(&changed),
            "5% of 400 devices, drawn with repeats: {changed}"
        );
    }

    #[test]
    fn churn_stamps_changes_with_the_minute_they_happened() {
        let (mut district, clock) = district();
        let mut churn = Churn::new(4, 0.05);

        clock.advance(3);
        run(&mut churn, &mut district, &clock, 3);

        let stamps: Vec<DateTime<Utc>> = (1..=3).map(|m| clock.end_of_minute(m)).collect();
        let changed: Vec<&Device> = district
            .inventory
            .all()
            .filter(|d| d.modified > clock.start())
            .collect();
        assert!(
            !changed.is_empty(),
            "three minutes at 5% change some devices"
        );
        assert!(
            changed.iter().all(|d| stamps.contains(&d.modified)),
            "minute ends only"
        );
    }

    #[test]
    fn without_churn_nothing_changes() {
        let (mut district, clock) = district();
        let mut churn = Churn::new(4, 0.0);

        clock.advance(60);
        run(&mut churn, &mut district, &clock, 60);

        assert!(
            district.inventory.all().all(|d| d.modified < clock.start()),
            "rate 0 is still"
        );
    }
}
