//! The simulated world: the district, its churn, the actions queued for its devices and when
//! the devices check in, stepped minute by minute on the simulated clock.
//!
//! Minutes are applied lazily, when a request finds the clock ahead (see [`crate::state`]).
//! Each minute runs churn first, then the check-ins due in it, then the enrolments due in it.
//! Without churn nothing happens between those events, so the world jumps from one to the
//! next instead of stepping through idle minutes.

use chrono::{DateTime, Utc};
use koffer_api::Action;
use rand_chacha::ChaCha8Rng;

use crate::actions::{ActionId, ActionLog, NewAction};
use crate::check_ins::CheckIns;
use crate::churn::{self, Churn, MinuteReport};
use crate::clock::SimClock;
use crate::commands::{self, emulator_error, Outcome, DEVICE_REMOVED_MESSAGE};
use crate::district::District;
use crate::draw::{self, Purpose};
use crate::enrolment;
use crate::inventory::{Device, Enrollment};
use crate::lessons::Lessons;
use crate::uuid::Uuid;

/// Share (per cent) of fetched commands an idle device still answers `NOT_NOW` (locked, in use).
const NOT_NOW_PERCENT: u64 = 3;

#[derive(Debug)]
pub struct World {
    pub district: District,
    pub churn: Churn,
    pub actions: ActionLog,
    pub check_ins: CheckIns,
    pub lessons: Lessons,
    seed: u64,
    minutes_applied: i64,
}

impl World {
    pub fn new(district: District, churn: Churn, seed: u64, start: DateTime<Utc>) -> World {
        let check_ins = CheckIns::new(seed, &district, start);
        let actions = ActionLog::new(seed, district.organisations.len());
        World {
            district,
            churn,
            actions,
            check_ins,
            lessons: Lessons::new(seed),
            seed,
            minutes_applied: 0,
        }
    }

    pub fn is_behind(&self, clock: &SimClock) -> bool {
        self.minutes_applied < clock.minutes_elapsed()
            || self
                .lessons
                .next_event()
                .is_some_and(|at| at <= clock.now())
    }

    /// Applies every whole minute the clock has passed since the last call, and the lessons'
    /// ends and pushed check-ins up to now (they fall between minutes).
    pub fn catch_up(&mut self, clock: &SimClock) {
        let target = clock.minutes_elapsed();
        while self.minutes_applied < target {
            let mut minute = self.next_minute(target);
            if let Some(event) = self.lessons.next_event() {
                let after = crate::lessons::minute_of(clock, event) + 1;
                minute = minute.min(after.max(self.minutes_applied + 1));
            }
            let at = clock.end_of_minute(minute);
            self.run_lessons(clock, at - chrono::Duration::seconds(1));
            self.minutes_applied = minute;
            self.run_minute(minute, at);
        }
        self.run_lessons(clock, clock.now());
    }

    /// The next minute in which something can happen, at most `target`.
    fn next_minute(&self, target: i64) -> i64 {
        let following = self.minutes_applied + 1;
        if self.churn.is_active() {
            return following;
        }
        self.check_ins
            .next_event()
            .map_or(target, |minute| minute.clamp(following, target))
    }

    fn run_minute(&mut self, minute: i64, at: DateTime<Utc>) {
        if self.churn.is_active() {
            let check_ins = &self.check_ins;
            let report = self.churn.minute(&mut self.district, at, |device| {
                check_ins.is_held_offline(device)
            });
            self.follow_churn(report, minute, at);
        }
        for device in self.check_ins.take_due(minute) {
            if self.check_ins.is_online(device) && self.has_something_for(device) {
                self.check_in(device, minute, at);
            }
        }
        for erased in self.check_ins.take_reenrolments(minute) {
            self.reenrol(erased, at);
        }
    }

    /// Devices churn checked in fetch their actions; devices churn removed lose them.
    fn follow_churn(&mut self, report: MinuteReport, minute: i64, at: DateTime<Utc>) {
        for device in report.unenrolled {
            self.removed(device, at);
        }
        for device in report.checked_in {
            self.check_ins.came_back(device);
            if self.has_something_for(device) {
                self.check_in(device, minute, at);
            }
        }
    }

    /// Queues an action and expects the device at its next check-in after `minute`.
    pub fn queue(&mut self, new: NewAction, minute: i64) -> &Action {
        let device = new.device;
        let id = self.actions.queue(new);
        self.check_ins.expect(device, minute);
        self.actions.action(id)
    }

    /// Takes a device online or offline; an online one with actions is expected again.
    pub fn set_online(&mut self, device: Uuid, online: bool, minute: i64) {
        self.check_ins.set_online(device, online);
        if online && self.has_something_for(device) {
            self.check_ins.expect(device, minute);
        }
    }

    /// The device checks in at `at` (in `minute`) and works through its waiting actions in
    /// creation order. Answers the actions it fetched.
    pub fn check_in(&mut self, device: Uuid, minute: i64, at: DateTime<Utc>) -> Vec<ActionId> {
        self.check_ins.unschedule(device);
        self.check_ins.came_back(device);
        let Some(position) = self.district.inventory.position(device) else {
            return Vec::new();
        };
        let contacted = self.district.inventory.at_mut(position);
        contacted.last_connection = at;
        contacted.modified = at;

        let fetched = self.actions.pending(device);
        for &id in &fetched {
            if self.answer(device, position, id, at) == Some(Outcome::Erased) {
                self.erase(position, minute, at);
                return fetched;
            }
        }

        self.deliver_lessons(device, position, at);
        let organisation = &self.district.organisations[self.district.inventory.at(position).org];
        let state = enrolment::assess(self.district.inventory.at(position), organisation, at);
        self.district.inventory.at_mut(position).compliance = state;
        if self.has_something_for(device) {
            self.check_ins.expect(device, minute);
        }
        fetched
    }

    /// Waiting actions or a lesson state the device has not received.
    fn has_something_for(&self, device: Uuid) -> bool {
        self.actions.has_pending(device) || self.lessons.is_waiting(device)
    }

    /// The device fetches one action and carries it out; `None` when it answered `NOT_NOW`.
    fn answer(
        &mut self,
        device: Uuid,
        position: usize,
        id: ActionId,
        at: DateTime<Utc>,
    ) -> Option<Outcome> {
        let attempt = self.actions.send(id, at);
        let action = self.actions.action(id);
        let (kind, parameters) = (action.kind, action.parameters.clone());
        if self.answers_not_now(device, action, attempt) {
            self.actions.not_now(id, at);
            return None;
        }
        let outcome = commands::execute(
            &mut self.district,
            position,
            kind,
            &parameters,
            self.seed,
            at,
        );
        match &outcome {
            Outcome::Acknowledged(result) => self.actions.acknowledge(id, at, result.clone()),
            Outcome::Failed { code, message } => self.actions.fail(id, at, *code, message),
            Outcome::Erased => self.actions.acknowledge(id, at, None),
        }
        Some(outcome)
    }

    /// A busy device answers every command `NOT_NOW`; an idle one now and then.
    fn answers_not_now(&self, device: Uuid, action: &Action, attempt: u64) -> bool {
        if self.check_ins.is_busy(device) {
            return true;
        }
        let uuid = Uuid::parse(&action.uuid).map_or([0, 0], draw::uuid_parts);
        let parts = [uuid[0], uuid[1], attempt];
        draw::chance(self.seed, Purpose::NotNow, &parts, NOT_NOW_PERCENT)
    }

    /// The device wipes itself and leaves the inventory, and the actions after the erase end
    /// unfetched; with automated enrolment it comes back later under a new uuid.
    fn erase(&mut self, position: usize, minute: i64, at: DateTime<Utc>) {
        let erased = self.district.inventory.unenrol(position);
        churn::forget_in_classes(&mut self.district, &erased);
        self.removed(erased.uuid, at);
        if erased.enrollment == Enrollment::Dep {
            self.check_ins.reenrol_later(erased, minute);
        }
    }

    /// The device left the server: its waiting actions end in an error.
    fn removed(&mut self, device: Uuid, at: DateTime<Utc>) {
        let code = emulator_error::DEVICE_REMOVED;
        self.actions
            .fail_pending(device, at, code, DEVICE_REMOVED_MESSAGE);
        self.check_ins.forget(device);
        self.lessons.forget(device);
    }

    fn reenrol(&mut self, erased: Device, at: DateTime<Utc>) {
        let parts = draw::uuid_parts(erased.uuid);
        let mut rng: ChaCha8Rng = draw::stream(self.seed, Purpose::ReenrolmentIdentity, &parts);
        let organisation = &self.district.organisations[erased.org];
        let serial = erased.serial.clone();
        let Some(device) =
            enrolment::reenrol(&mut rng, &self.district.inventory, organisation, erased, at)
        else {
            tracing::warn!(
                serial,
                "an erased device cannot enrol again: its serial is taken"
            );
            return;
        };
        relink_student(&mut self.district, &device);
        tracing::debug!(serial, uuid = %device.uuid, "an erased device enrolled again");
        self.district.inventory.enrol(device);
    }
}

/// A student's 1:1 iPad that enrolled again is the student's device again, under its new uuid.
fn relink_student(district: &mut District, device: &Device) {
    let Some(person) = device.user else {
        return;
    };
    let login = district.person(person).login.clone();
    let uuid = device.uuid.to_string();
    let students = district.organisations[device.org]
        .classes
        .iter_mut()
        .flat_map(|class| &mut class.students);
    for student in students.filter(|s| s.login == login && s.device_uuid.is_none()) {
        student.device_uuid = Some(uuid.clone());
    }
}
