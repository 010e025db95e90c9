//! The pure half of the sync: what to fetch, write and delete, decided from the cache's state
//! and the server's answers without any I/O. The apply half in `mod.rs` carries it out.

use std::collections::{HashMap, HashSet};

use koffer_api::DeviceStub;

use crate::store::sync_status::SyncStatus;

/// How one organisation is synced this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgPass {
    /// Page through every device from `offset`, marking them as seen by `pass`; at the end,
    /// remove the devices that pass did not see.
    Full { pass: i64, offset: u64 },
    /// Fetch what changed since `since` (server time, Unix ms), then reconcile against the
    /// server's list of uuids.
    Changes { since: i64 },
}

/// When a full pass is due instead of fetching changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassRules {
    /// The user asked for a full reconcile.
    pub force_full: bool,
    /// A full pass is due when the last one is older than this (ms).
    pub full_after_ms: i64,
}

/// Decides the pass for one organisation. An interrupted full pass always resumes first, so a
/// killed sync loses at most the batch it was writing.
pub fn choose_pass(status: &SyncStatus, now_ms: i64, rules: PassRules) -> OrgPass {
    if let Some(offset) = status.pass_offset {
        return OrgPass::Full {
            pass: status.pass,
            offset,
        };
    }
    let full_is_old = status
        .last_full
        .is_none_or(|last| now_ms - last >= rules.full_after_ms);
    match status.watermark {
        Some(since) if !rules.force_full && !full_is_old => OrgPass::Changes { since },
        _ => OrgPass::Full {
            pass: status.pass + 1,
            offset: 0,
        },
    }
}

/// What a changes pass still has to do after fetching the changed devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconcile {
    /// Devices the server has that the cache lacks or holds in an older state, sorted.
    pub fetch: Vec<String>,
    /// Devices the cache holds that the server no longer has, sorted.
    pub delete: Vec<String>,
}

/// Compares the cache (uuid → modification ms) with the server's listing. Devices in
/// `just_fetched` are up to date already and are not fetched again.
pub fn reconcile(
    cached: &HashMap<String, i64>,
    server: &[DeviceStub],
    just_fetched: &HashSet<String>,
) -> Reconcile {
    let on_server: HashSet<&str> = server.iter().map(|s| s.uuid.as_str()).collect();
    let mut fetch: Vec<String> = server
        .iter()
        .filter(|stub| !just_fetched.contains(&stub.uuid))
        .filter(|stub| {
            cached
                .get(&stub.uuid)
                .is_none_or(|&ms| ms < stub.modification_date.timestamp_millis())
        })
        .map(|stub| stub.uuid.clone())
        .collect();
    let mut delete: Vec<String> = cached
        .keys()
        .filter(|uuid| !on_server.contains(uuid.as_str()))
        .cloned()
        .collect();
    fetch.sort();
    delete.sort();
    Reconcile { fetch, delete }
}

/// The newest modification time the server listed: where the next changes pass starts.
pub fn watermark(server: &[DeviceStub]) -> Option<i64> {
    server
        .iter()
        .map(|s| s.modification_date.timestamp_millis())
        .max()
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;
    const RULES: PassRules = PassRules {
        force_full: false,
        full_after_ms: DAY,
    };

    fn stub(uuid: &str, ms: i64) -> DeviceStub {
        DeviceStub {
            uuid: uuid.to_owned(),
            modification_date: DateTime::from_timestamp_millis(ms).unwrap(),
        }
    }

    fn synced_at(last_full: i64) -> SyncStatus {
        SyncStatus {
            last_full: Some(last_full),
            watermark: Some(last_full - 5),
            pass: 3,
            ..SyncStatus::default()
        }
    }

    #[test]
    fn a_never_synced_organisation_gets_its_first_full_pass() {
        let pass = choose_pass(&SyncStatus::default(), 1_000, RULES);

        assert_eq!(
            pass,
            OrgPass::Full { pass: 1, offset: 0 },
            "nothing cached to diff against"
        );
    }

    #[test]
    fn an_interrupted_full_pass_resumes_at_its_committed_offset() {
        let status = SyncStatus {
            pass: 4,
            pass_offset: Some(3000),
            ..synced_at(0)
        };

        let pass = choose_pass(
            &status,
            10,
            PassRules {
                force_full: true,
                ..RULES
            },
        );

        assert_eq!(
            pass,
            OrgPass::Full {
                pass: 4,
                offset: 3000
            },
            "a killed sync must lose at most the batch in flight, even when a full pass is asked"
        );
    }

    #[test]
    fn a_recent_full_pass_means_only_changes_are_fetched() {
        let pass = choose_pass(&synced_at(1_000), 1_000 + DAY - 1, RULES);

        assert_eq!(
            pass,
            OrgPass::Changes { since: 995 },
            "changes start at the watermark"
        );
    }

    #[test]
    fn an_old_full_pass_or_the_users_wish_makes_the_next_one_full() {
        let old = choose_pass(&synced_at(1_000), 1_000 + DAY, RULES);
        let asked = choose_pass(
            &synced_at(1_000),
            1_001,
            PassRules {
                force_full: true,
                ..RULES
            },
        );

        assert_eq!(
            old,
            OrgPass::Full { pass: 4, offset: 0 },
            "reconcile after the set age"
        );
        assert_eq!(
            asked,
            OrgPass::Full { pass: 4, offset: 0 },
            "sync --full forces a pass"
        );
    }

    #[test]
    fn reconcile_fetches_new_and_newer_devices_and_deletes_removed_ones() {
        let cached = HashMap::from([("a".into(), 10), ("b".into(), 10), ("gone".into(), 10)]);
        let server = [
            stub("a", 10),
            stub("b", 20),
            stub("new", 5),
            stub("fresh", 30),
        ];
        let just_fetched = HashSet::from(["fresh".to_owned()]);

        let plan = reconcile(&cached, &server, &just_fetched);

        assert_eq!(
            plan.fetch,
            ["b", "new"],
            "b changed, new is missing; fresh was just fetched"
        );
        assert_eq!(plan.delete, ["gone"], "the server no longer has it");
    }

    #[test]
    fn reconcile_of_an_identical_cache_does_nothing() {
        let cached = HashMap::from([("a".into(), 10)]);

        let plan = reconcile(&cached, &[stub("a", 10)], &HashSet::new());

        assert_eq!(
            plan,
            Reconcile::default(),
            "an unchanged organisation must cost no writes"
        );
    }

    #[test]
    fn the_watermark_is_the_newest_listed_modification() {
        assert_eq!(watermark(&[stub("a", 7), stub("b", 9)]), Some(9));
        assert_eq!(
            watermark(&[]),
            None,
            "an empty organisation has no watermark yet"
        );
    }
}
