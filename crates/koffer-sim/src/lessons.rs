//! Lessons as the server holds them: for each device of a lesson the restrictions it should
//! have now, a revision that every change bumps, and what the device has applied.
//!
//! A device gets the *current* restrictions when it checks in, never a replay of the commands
//! it missed. A change pushes the lesson's online devices, which check in a second or two
//! later on the simulated clock, so a class is acknowledged within seconds. At its end date the
//! server ends the lesson by itself, in the world's catch-up, whether a client is connected or
//! not: every restriction is lifted and pushed like any other change.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use koffer_api::{
    apple_error, EndReason, Lesson, LessonCommand, LessonDevice, LessonDeviceState, LessonState,
    Restrictions, SimLesson, SimLessonDevice,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::clock::SimClock;
use crate::district::OrgIdx;
use crate::draw::{self, Purpose};
use crate::uuid::Uuid;
use crate::world::World;

/// ChaCha stream of lesson uuids (data 0, churn 1, faults 2, actions 3).
const LESSON_STREAM: u64 = 4;

/// Seconds from a change until a pushed online device has checked in, by device.
const PUSH_SECONDS: (u64, u64) = (1, 2);

/// Ended lessons stay in the list this long.
const LISTED_HOURS: i64 = 12;

/// What a device answers when it cannot lock into one app.
pub const NOT_SUPERVISED_MESSAGE: &str =
    "single app mode needs a supervised device; this device is not supervised";

/// Position of a lesson in [`Lessons`].
pub type LessonId = usize;

/// What a create asks for, after the rights and the body were checked.
#[derive(Debug, Clone)]
pub struct NewLesson {
    pub org: OrgIdx,
    pub organization_uuid: String,
    pub class_uuid: String,
    pub class_name: String,
    pub teacher_login: String,
    pub devices: Vec<Uuid>,
    pub minutes: u32,
    pub key: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug)]
struct Record {
    wire: Lesson,
    org: OrgIdx,
    /// Index into `wire.devices` by device.
    positions: HashMap<Uuid, usize>,
    /// What each device has applied, in the order of `wire.devices`.
    applied: Vec<Restrictions>,
    /// How often each device received a state.
    deliveries: Vec<u64>,
}

/// What the world has to do next for the lessons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A running lesson reaches its end date.
    End(LessonId, DateTime<Utc>),
    /// A pushed device checks in.
    Push(Uuid, DateTime<Utc>),
}

#[derive(Debug)]
pub struct Lessons {
    seed: u64,
    records: Vec<Record>,
    by_uuid: HashMap<Uuid, LessonId>,
    by_key: HashMap<(OrgIdx, String), LessonId>,
    command_keys: HashSet<(LessonId, String)>,
    /// The running lesson of each class, by class uuid.
    running: HashMap<String, LessonId>,
    ends: BTreeSet<(DateTime<Utc>, LessonId)>,
    pushes: BTreeSet<(DateTime<Utc>, Uuid)>,
    /// Lessons whose current revision each device has not yet received.
    waiting: HashMap<Uuid, BTreeSet<LessonId>>,
    rng: ChaCha8Rng,
}

impl Lessons {
    pub fn new(seed: u64) -> Lessons {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(LESSON_STREAM);
        Lessons {
            seed,
            records: Vec::new(),
            by_uuid: HashMap::new(),
            by_key: HashMap::new(),
            command_keys: HashSet::new(),
            running: HashMap::new(),
            ends: BTreeSet::new(),
            pushes: BTreeSet::new(),
            waiting: HashMap::new(),
            rng,
        }
    }

    pub fn lesson(&self, id: LessonId) -> &Lesson {
        &self.records[id].wire
    }

    pub fn org_of(&self, id: LessonId) -> OrgIdx {
        self.records[id].org
    }

    pub fn by_uuid(&self, uuid: &str) -> Option<LessonId> {
        Uuid::parse(uuid).and_then(|uuid| self.by_uuid.get(&uuid).copied())
    }

    /// The lesson an earlier create with this key made in this organisation.
    pub fn by_key(&self, org: OrgIdx, key: &str) -> Option<LessonId> {
        self.by_key.get(&(org, key.to_owned())).copied()
    }

    pub fn running_on(&self, class_uuid: &str) -> Option<LessonId> {
        self.running.get(class_uuid).copied()
    }

    /// Lessons of an organisation that run or ended in the last 12 hours, oldest first.
    pub fn listed(&self, org: OrgIdx, now: DateTime<Utc>) -> impl Iterator<Item = LessonId> + '_ {
        let since = now - Duration::hours(LISTED_HOURS);
        (0..self.records.len()).filter(move |&id| {
            let record = &self.records[id];
            record.org == org
                && (record.wire.state == LessonState::Running || record.wire.end_date >= since)
        })
    }

    /// Starts a lesson: every device at revision 1 with no restriction, pending until it has
    /// checked in, so that the teacher sees which devices are there. Answers the devices to push.
    pub fn start(&mut self, new: NewLesson) -> (LessonId, Vec<Uuid>) {
        let uuid = self.fresh_uuid();
        let id = self.records.len();
        let end = new.at + Duration::minutes(i64::from(new.minutes));
        let devices: Vec<LessonDevice> = new
            .devices
            .iter()
            .map(|device| LessonDevice {
                device_uuid: device.to_string(),
                restrictions: Restrictions::none(),
                revision: 1,
                applied_revision: 0,
                state: LessonDeviceState::Pending,
                error_code: None,
                error_message: None,
                acknowledged_date: None,
            })
            .collect();
        let wire = Lesson {
            uuid: uuid.to_string(),
            organization_uuid: new.organization_uuid,
            class_uuid: new.class_uuid.clone(),
            class_name: new.class_name,
            teacher_login: new.teacher_login,
            start_date: new.at,
            end_date: end,
            state: LessonState::Running,
            end_reason: None,
            modification_date: new.at,
            devices,
        };
        let count = new.devices.len();
        self.records.push(Record {
            wire,
            org: new.org,
            positions: new
                .devices
                .iter()
                .enumerate()
                .map(|(i, &d)| (d, i))
                .collect(),
            applied: vec![Restrictions::none(); count],
            deliveries: vec![0; count],
        });
        self.by_uuid.insert(uuid, id);
        self.by_key.insert((new.org, new.key), id);
        self.running.insert(new.class_uuid, id);
        self.ends.insert((end, id));
        for &device in &new.devices {
            self.waiting.entry(device).or_default().insert(id);
        }
        (id, new.devices)
    }

    pub fn has_device(&self, id: LessonId, device: Uuid) -> bool {
        self.records[id].positions.contains_key(&device)
    }

    /// The devices of a lesson in its order.
    pub fn devices(&self, id: LessonId) -> Vec<Uuid> {
        let record = &self.records[id];
        let mut devices: Vec<(usize, Uuid)> =
            record.positions.iter().map(|(&d, &i)| (i, d)).collect();
        devices.sort_unstable();
        devices.into_iter().map(|(_, d)| d).collect()
    }

    /// A command with this key was already applied to the lesson.
    pub fn saw_command_key(&self, id: LessonId, key: &str) -> bool {
        self.command_keys.contains(&(id, key.to_owned()))
    }

    /// Changes the desired restrictions of `devices`; answers those that changed, to push.
    pub fn command(
        &mut self,
        id: LessonId,
        command: &LessonCommand,
        devices: &[Uuid],
        key: Option<String>,
        at: DateTime<Utc>,
    ) -> Vec<Uuid> {
        if let Some(key) = key {
            self.command_keys.insert((id, key));
        }
        let mut changed = Vec::new();
        for &device in devices {
            let Some(&position) = self.records[id].positions.get(&device) else {
                continue;
            };
            let current = &self.records[id].wire.devices[position].restrictions;
            let next = current.with(command);
            if next != *current {
                self.set_desired(id, position, next);
                changed.push(device);
            }
        }
        self.records[id].wire.modification_date = at;
        changed
    }

    /// Moves the end date on; the caller checked the limit.
    pub fn extend(&mut self, id: LessonId, minutes: u32, key: Option<String>, at: DateTime<Utc>) {
        if let Some(key) = key {
            self.command_keys.insert((id, key));
        }
        let wire = &mut self.records[id].wire;
        self.ends.remove(&(wire.end_date, id));
        wire.end_date += Duration::minutes(i64::from(minutes));
        wire.modification_date = at;
        self.ends.insert((wire.end_date, id));
    }

    /// Ends a running lesson and lifts every restriction; answers the devices to push.
    pub fn end(&mut self, id: LessonId, reason: EndReason, at: DateTime<Utc>) -> Vec<Uuid> {
        if self.records[id].wire.state == LessonState::Ended {
            return Vec::new();
        }
        let record = &mut self.records[id];
        self.ends.remove(&(record.wire.end_date, id));
        self.running.remove(&record.wire.class_uuid);
        record.wire.state = LessonState::Ended;
        record.wire.end_reason = Some(reason);
        if reason == EndReason::EndedByTeacher {
            record.wire.end_date = at;
        }
        record.wire.modification_date = at;
        let devices = self.devices(id);
        for position in 0..devices.len() {
            self.set_desired(id, position, Restrictions::none());
        }
        devices
    }

    fn set_desired(&mut self, id: LessonId, position: usize, restrictions: Restrictions) {
        let record = &mut self.records[id];
        let device = &mut record.wire.devices[position];
        device.restrictions = restrictions;
        device.revision += 1;
        device.state = LessonDeviceState::Pending;
        device.error_code = None;
        device.error_message = None;
        let uuid = Uuid::parse(&device.device_uuid).expect("lesson devices hold uuids");
        self.waiting.entry(uuid).or_default().insert(id);
    }

    /// The device has a revision of some lesson it has not received.
    pub fn is_waiting(&self, device: Uuid) -> bool {
        self.waiting.contains_key(&device)
    }

    /// The device will check in shortly, as after a push.
    pub fn push(&mut self, device: Uuid, at: DateTime<Utc>) {
        let parts = draw::uuid_parts(device);
        let (low, high) = PUSH_SECONDS;
        let delay = draw::in_range(self.seed, Purpose::LessonPush, &parts, low, high);
        self.pushes
            .insert((at + Duration::seconds(delay as i64), device));
    }

    /// The earliest lesson end or pushed check-in still to come.
    pub fn next_event(&self) -> Option<DateTime<Utc>> {
        let end = self.ends.first().map(|&(at, _)| at);
        let push = self.pushes.first().map(|&(at, _)| at);
        end.into_iter().chain(push).min()
    }

    /// Takes the earliest event at or before `until`; ends come before pushes of the same
    /// second.
    pub fn take_event(&mut self, until: DateTime<Utc>) -> Option<Event> {
        let end = self.ends.first().copied().filter(|&(at, _)| at <= until);
        let push = self.pushes.first().copied().filter(|&(at, _)| at <= until);
        match (end, push) {
            (Some((end_at, id)), push) if push.is_none_or(|(push_at, _)| end_at <= push_at) => {
                self.ends.remove(&(end_at, id));
                Some(Event::End(id, end_at))
            }
            (_, Some((at, device))) => {
                self.pushes.pop_first();
                Some(Event::Push(device, at))
            }
            _ => None,
        }
    }

    /// The device checked in: it receives the current restrictions of every lesson it has not
    /// caught up with. A busy device answers `NOT_NOW` and stays waiting; an unsupervised one
    /// refuses an app lock with 12021, and the server drops the app lock it could not apply.
    pub fn deliver(&mut self, device: Uuid, supervised: bool, busy: bool, at: DateTime<Utc>) {
        let Some(ids) = self.waiting.get(&device).cloned() else {
            return;
        };
        for &id in &ids {
            let record = &mut self.records[id];
            let Some(&position) = record.positions.get(&device) else {
                continue;
            };
            record.wire.modification_date = at;
            let entry = &mut record.wire.devices[position];
            if busy {
                entry.state = LessonDeviceState::NotNow;
                continue;
            }
            if entry.restrictions.app_lock.is_some() && !supervised {
                entry.restrictions.app_lock = None;
                entry.state = LessonDeviceState::Error;
                entry.error_code = Some(apple_error::NOT_SUPERVISED);
                entry.error_message = Some(NOT_SUPERVISED_MESSAGE.to_owned());
            } else {
                entry.state = LessonDeviceState::Acknowledged;
                entry.acknowledged_date = Some(at);
            }
            entry.applied_revision = entry.revision;
            record.applied[position] = entry.restrictions.clone();
            record.deliveries[position] += 1;
        }
        if !busy {
            self.waiting.remove(&device);
        }
    }

    /// The device left the server; nothing is delivered to it any more.
    pub fn forget(&mut self, device: Uuid) {
        self.waiting.remove(&device);
    }

    /// Every lesson with what each device has applied, for `/sim/lessons`.
    pub fn applied(&self) -> Vec<SimLesson> {
        self.records
            .iter()
            .map(|record| SimLesson {
                uuid: record.wire.uuid.clone(),
                organization_uuid: record.wire.organization_uuid.clone(),
                class_uuid: record.wire.class_uuid.clone(),
                state: record.wire.state,
                end_reason: record.wire.end_reason,
                end_date: record.wire.end_date,
                devices: record
                    .wire
                    .devices
                    .iter()
                    .zip(&record.applied)
                    .zip(&record.deliveries)
                    .map(|((device, applied), &deliveries)| SimLessonDevice {
                        device_uuid: device.device_uuid.clone(),
                        applied: applied.clone(),
                        applied_revision: device.applied_revision,
                        revision: device.revision,
                        state: device.state,
                        deliveries,
                    })
                    .collect(),
            })
            .collect()
    }

    fn fresh_uuid(&mut self) -> Uuid {
        loop {
            let uuid = Uuid::random(&mut self.rng);
            if !self.by_uuid.contains_key(&uuid) {
                return uuid;
            }
        }
    }
}

impl World {
    /// Runs the lesson ends and pushed check-ins due by `until`, in time order.
    pub fn run_lessons(&mut self, clock: &SimClock, until: DateTime<Utc>) {
        while let Some(event) = self.lessons.take_event(until) {
            match event {
                Event::End(id, at) => {
                    let lifted = self.lessons.end(id, EndReason::EndTime, at);
                    self.push_lesson(&lifted, at);
                }
                Event::Push(device, at) => {
                    if self.check_ins.is_online(device) && self.lessons.is_waiting(device) {
                        self.check_in(device, minute_of(clock, at), at);
                    }
                }
            }
        }
    }

    /// Pushes the online ones of `devices`: they check in within seconds.
    pub fn push_lesson(&mut self, devices: &[Uuid], at: DateTime<Utc>) {
        for &device in devices {
            if self.check_ins.is_online(device) {
                self.lessons.push(device, at);
            }
        }
    }

    /// The lessons' part of a check-in: the device receives their current restrictions.
    pub fn deliver_lessons(&mut self, device: Uuid, position: usize, at: DateTime<Utc>) {
        let supervised = self.district.inventory.at(position).supervised;
        let busy = self.check_ins.is_busy(device);
        self.lessons.deliver(device, supervised, busy, at);
    }
}

/// The whole simulated minute `at` falls in.
pub fn minute_of(clock: &SimClock, at: DateTime<Utc>) -> i64 {
    (at - clock.end_of_minute(0)).num_seconds().div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koffer_api::{AppLock, ScreenLock};

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(minute)
    }

    fn device(n: u128) -> Uuid {
        Uuid::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap()
    }

    fn lesson(lessons: &mut Lessons, devices: &[Uuid]) -> LessonId {
        let new = NewLesson {
            org: 1,
            organization_uuid: "org".into(),
            class_uuid: "class".into(),
            class_name: "7b".into(),
            teacher_login: "t.weber".into(),
            devices: devices.to_vec(),
            minutes: 45,
            key: "k".into(),
            at: at(0),
        };
        lessons.start(new).0
    }

    fn lock(message: &str) -> LessonCommand {
        LessonCommand::LockScreen {
            message: message.into(),
        }
    }

    #[test]
    fn a_device_that_missed_commands_receives_only_the_current_state_once() {
        let mut lessons = Lessons::new(1);
        let away = device(1);
        let id = lesson(&mut lessons, &[away]);
        lessons.command(id, &lock("first"), &[away], None, at(1));
        lessons.command(id, &lock("second"), &[away], None, at(2));

        lessons.deliver(away, true, false, at(3));

        let sim = &lessons.applied()[0].devices[0];
        assert_eq!(
            sim.applied.screen_lock,
            Some(ScreenLock {
                message: "second".into()
            }),
            "the newest state, not the first command"
        );
        assert_eq!(sim.deliveries, 1, "one delivery for three revisions");
        assert_eq!(sim.applied_revision, 3, "start plus two changes");
        assert!(!lessons.is_waiting(away), "nothing is left to send");
    }

    #[test]
    fn a_command_that_changes_nothing_bumps_no_revision() {
        let mut lessons = Lessons::new(1);
        let id = lesson(&mut lessons, &[device(1)]);
        lessons.command(id, &lock("x"), &[device(1)], None, at(1));

        let changed = lessons.command(id, &lock("x"), &[device(1)], None, at(2));

        assert!(
            changed.is_empty(),
            "the same lock again is no change to push"
        );
        assert_eq!(lessons.lesson(id).devices[0].revision, 2);
    }

    #[test]
    fn an_unsupervised_device_refuses_app_lock_and_the_server_drops_it() {
        let mut lessons = Lessons::new(1);
        let id = lesson(&mut lessons, &[device(1)]);
        let app = LessonCommand::AppLock {
            bundle_id: "com.apple.Pages".into(),
        };
        lessons.command(id, &app, &[device(1)], None, at(1));

        lessons.deliver(device(1), false, false, at(2));

        let entry = &lessons.lesson(id).devices[0];
        assert_eq!(entry.state, LessonDeviceState::Error);
        assert_eq!(entry.error_code, Some(apple_error::NOT_SUPERVISED));
        assert_eq!(
            entry.restrictions.app_lock, None::<AppLock>,
            "not kept as wanted"
        );
        assert!(lessons.applied()[0].devices[0].applied.is_none());
    }

    #[test]
    fn a_busy_device_stays_waiting_and_is_served_later() {
        let mut lessons = Lessons::new(1);
        let id = lesson(&mut lessons, &[device(1)]);

        lessons.deliver(device(1), true, true, at(1));
        let busy = lessons.lesson(id).devices[0].state;
        lessons.deliver(device(1), true, false, at(2));

        assert_eq!(busy, LessonDeviceState::NotNow);
        assert_eq!(
            lessons.lesson(id).devices[0].state,
            LessonDeviceState::Acknowledged
        );
    }

    #[test]
    fn events_come_in_time_order_with_an_end_before_a_push_of_the_same_second() {
        let mut lessons = Lessons::new(1);
        let id = lesson(&mut lessons, &[device(1)]);
        let end = lessons.lesson(id).end_date;
        lessons.push(device(1), end - Duration::seconds(1));

        let early = lessons.take_event(at(1));
        let first = lessons.take_event(end + Duration::seconds(5));
        let second = lessons.take_event(end + Duration::seconds(5));

        assert_eq!(early, None, "nothing is due before its time");
        assert_eq!(
            first,
            Some(Event::End(id, end)),
            "the end at 08:45:00 comes first"
        );
        assert!(matches!(second, Some(Event::Push(d, _)) if d == device(1)));
        assert_eq!(lessons.take_event(end + Duration::minutes(9)), None);
    }

    #[test]
    fn ending_lifts_every_restriction_with_a_new_revision_and_frees_the_class() {
        let mut lessons = Lessons::new(1);
        let id = lesson(&mut lessons, &[device(1), device(2)]);
        lessons.command(id, &lock("x"), &[device(1)], None, at(1));

        let lifted = lessons.end(id, EndReason::EndedByTeacher, at(5));
        let again = lessons.end(id, EndReason::EndedByTeacher, at(6));

        assert_eq!(lifted, [device(1), device(2)], "every device is pushed");
        assert!(again.is_empty(), "ending twice changes nothing");
        let ended = lessons.lesson(id);
        assert_eq!(ended.end_date, at(5), "an early end moves the end date");
        assert!(ended
            .devices
            .iter()
            .all(|d| d.restrictions.is_none() && d.state == LessonDeviceState::Pending));
        assert_eq!(
            lessons.running_on("class"),
            None,
            "the class may start a new lesson"
        );
    }
}
