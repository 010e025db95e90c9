//! The server's record of device actions: every action ever queued, the idempotency key it
//! was created with, and the state moves a device's answers make.
//!
//! Actions are kept as `koffer_api::Action`, so every answer is the wire type as it is. They
//! are few next to devices (a class lock is 30), so the indices are plain maps and lists.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use koffer_api::{Action, ActionParameters, ActionState, ActionType, Location};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::district::OrgIdx;
use crate::uuid::Uuid;

/// ChaCha stream of action uuids (data 0, churn 1, faults 2).
const ACTION_STREAM: u64 = 3;

/// Position of an action in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionId(usize);

/// What a create asks the server to queue.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub device: Uuid,
    pub org: OrgIdx,
    pub organization_uuid: String,
    pub key: String,
    pub kind: ActionType,
    pub parameters: ActionParameters,
    pub created_by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug)]
struct Entry {
    action: Action,
    device: Uuid,
    /// How often the device fetched it; a `NOT_NOW` draw differs per attempt.
    attempts: u64,
}

#[derive(Debug)]
pub struct ActionLog {
    entries: Vec<Entry>,
    by_uuid: HashMap<Uuid, ActionId>,
    /// Each device's actions in creation order.
    by_device: HashMap<Uuid, Vec<ActionId>>,
    by_key: HashMap<(Uuid, String), ActionId>,
    by_org: Vec<Vec<ActionId>>,
    rng: ChaCha8Rng,
}

impl ActionLog {
    pub fn new(seed: u64, organisations: usize) -> ActionLog {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(ACTION_STREAM);
        ActionLog {
            entries: Vec::new(),
            by_uuid: HashMap::new(),
            by_device: HashMap::new(),
            by_key: HashMap::new(),
            by_org: vec![Vec::new(); organisations],
            rng,
        }
    }

    /// The action an earlier create with this key made for this device.
    pub fn by_key(&self, device: Uuid, key: &str) -> Option<&Action> {
        let id = self.by_key.get(&(device, key.to_owned()))?;
        Some(self.action(*id))
    }

    /// Queues a new action; the caller checked that the key is new for the device.
    pub fn queue(&mut self, new: NewAction) -> ActionId {
        let uuid = self.fresh_uuid();
        let id = ActionId(self.entries.len());
        let action = Action {
            uuid: uuid.to_string(),
            device_uuid: new.device.to_string(),
            organization_uuid: new.organization_uuid,
            kind: new.kind,
            state: ActionState::Queued,
            parameters: new.parameters,
            created_by: new.created_by,
            creation_date: new.at,
            modification_date: new.at,
            sent_date: None,
            completion_date: None,
            error_code: None,
            error_message: None,
            result: None,
        };
        self.entries.push(Entry {
            action,
            device: new.device,
            attempts: 0,
        });
        self.by_uuid.insert(uuid, id);
        self.by_device.entry(new.device).or_default().push(id);
        self.by_key.insert((new.device, new.key), id);
        self.by_org[new.org].push(id);
        id
    }

    fn fresh_uuid(&mut self) -> Uuid {
        loop {
            let uuid = Uuid::random(&mut self.rng);
            if !self.by_uuid.contains_key(&uuid) {
                return uuid;
            }
        }
    }

    pub fn action(&self, id: ActionId) -> &Action {
        &self.entries[id.0].action
    }

    /// The action with this uuid, if it belongs to this device.
    pub fn of_device_by_uuid(&self, device: Uuid, uuid: Uuid) -> Option<ActionId> {
        let id = *self.by_uuid.get(&uuid)?;
        (self.entries[id.0].device == device).then_some(id)
    }

    /// The device's actions, oldest first.
    pub fn of_device(&self, device: Uuid) -> impl DoubleEndedIterator<Item = &Action> + '_ {
        self.by_device
            .get(&device)
            .into_iter()
            .flatten()
            .map(|&id| self.action(id))
    }

    /// The organisation's actions, oldest first.
    pub fn of_org(&self, org: OrgIdx) -> impl Iterator<Item = &Action> + '_ {
        self.by_org[org].iter().map(|&id| self.action(id))
    }

    /// Every action, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Action> + '_ {
        self.entries.iter().map(|entry| &entry.action)
    }

    /// The device's actions still waiting for it (`QUEUED` or `NOT_NOW`), oldest first.
    pub fn pending(&self, device: Uuid) -> Vec<ActionId> {
        self.by_device
            .get(&device)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&id| is_pending(self.action(id).state))
            .collect()
    }

    pub fn has_pending(&self, device: Uuid) -> bool {
        self.by_device
            .get(&device)
            .is_some_and(|ids| ids.iter().any(|&id| is_pending(self.action(id).state)))
    }

    /// The device fetches the action: `SENT`, and one more attempt counted.
    pub fn send(&mut self, id: ActionId, at: DateTime<Utc>) -> u64 {
        let entry = &mut self.entries[id.0];
        entry.attempts += 1;
        entry.action.state = ActionState::Sent;
        entry.action.sent_date = Some(at);
        entry.action.modification_date = at;
        entry.attempts
    }

    /// The device was busy; the server sends the action again at the next check-in.
    pub fn not_now(&mut self, id: ActionId, at: DateTime<Utc>) {
        let action = &mut self.entries[id.0].action;
        action.state = ActionState::NotNow;
        action.modification_date = at;
    }

    pub fn acknowledge(&mut self, id: ActionId, at: DateTime<Utc>, result: Option<Location>) {
        let action = &mut self.entries[id.0].action;
        action.state = ActionState::Acknowledged;
        action.result = result;
        action.completion_date = Some(at);
        action.modification_date = at;
    }

    pub fn fail(&mut self, id: ActionId, at: DateTime<Utc>, code: i64, message: &str) {
        let action = &mut self.entries[id.0].action;
        action.state = ActionState::Error;
        action.error_code = Some(code);
        action.error_message = Some(message.to_owned());
        action.completion_date = Some(at);
        action.modification_date = at;
    }

    /// Ends every action still waiting for the device with this error.
    pub fn fail_pending(&mut self, device: Uuid, at: DateTime<Utc>, code: i64, message: &str) {
        for id in self.pending(device) {
            self.fail(id, at, code, message);
        }
    }

    /// Cancels an action the device has not fetched; otherwise answers the state it is in.
    pub fn cancel(&mut self, id: ActionId, at: DateTime<Utc>) -> Result<(), ActionState> {
        let action = &mut self.entries[id.0].action;
        if !is_pending(action.state) {
            return Err(action.state);
        }
        action.state = ActionState::Cancelled;
        action.completion_date = Some(at);
        action.modification_date = at;
        Ok(())
    }
}

/// Waiting for the device: not fetched yet, or answered `NOT_NOW` and due again.
fn is_pending(state: ActionState) -> bool {
    matches!(state, ActionState::Queued | ActionState::NotNow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
            + chrono::Duration::minutes(minute)
    }

    fn lock(device: Uuid, key: &str) -> NewAction {
        NewAction {
            device,
            org: 1,
            organization_uuid: "org".to_owned(),
            key: key.to_owned(),
            kind: ActionType::DeviceLock,
            parameters: ActionParameters::default(),
            created_by: "admin.nord".to_owned(),
            at: at(0),
        }
    }

    fn device(n: u8) -> Uuid {
        Uuid::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    #[test]
    fn a_key_finds_the_action_only_for_the_device_it_was_used_for() {
        let mut log = ActionLog::new(1, 3);

        log.queue(lock(device(1), "k"));

        assert!(
            log.by_key(device(1), "k").is_some(),
            "same key, same device"
        );
        assert!(
            log.by_key(device(2), "k").is_none(),
            "keys are scoped per device"
        );
    }

    #[test]
    fn pending_holds_queued_and_not_now_in_creation_order_and_nothing_final() {
        let mut log = ActionLog::new(1, 3);
        let first = log.queue(lock(device(1), "a"));
        let second = log.queue(lock(device(1), "b"));
        let third = log.queue(lock(device(1), "c"));

        log.send(first, at(1));
        log.not_now(first, at(1));
        log.send(second, at(1));
        log.acknowledge(second, at(1), None);

        assert_eq!(
            log.pending(device(1)),
            [first, third],
            "NOT_NOW is sent again"
        );
    }

    #[test]
    fn only_actions_the_device_has_not_fetched_can_be_cancelled() {
        let mut log = ActionLog::new(1, 3);
        let queued = log.queue(lock(device(1), "a"));
        let done = log.queue(lock(device(1), "b"));
        log.send(done, at(1));
        log.acknowledge(done, at(1), None);

        let cancelled = log.cancel(queued, at(2));
        let refused = log.cancel(done, at(2));

        assert_eq!(cancelled, Ok(()), "a queued action can be cancelled");
        assert_eq!(log.action(queued).state, ActionState::Cancelled, "and is");
        assert_eq!(refused, Err(ActionState::Acknowledged), "a done one cannot");
    }
}
