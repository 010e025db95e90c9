//! Killing `koffer act` (SIGKILL) at random points while it flushes the outbox, many times over,
//! with a server that drops answers after making the action: afterwards every action the
//! ledger holds exists on the server exactly once.

use std::collections::HashMap;
use std::time::Duration;

use koffer_tests::{assert_success, Emulator, Koffer};
use rand_free::Sequence;

/// Deterministic delays without a random-number dependency: the same run every time.
mod rand_free {
    pub struct Sequence(u64);

    impl Sequence {
        pub fn new(seed: u64) -> Sequence {
            Sequence(seed)
        }

        /// A number in `low..high`.
        pub fn next_in(&mut self, low: u64, high: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            low + (self.0 >> 33) % (high - low)
        }
    }
}

fn serials(emulator: &Emulator) -> Vec<String> {
    emulator
        .devices()
        .into_iter()
        .map(|(_, serial)| serial)
        .collect()
}

fn waiting_in_outbox(koffer: &Koffer) -> i64 {
    let store = koffer_core::store::Store::open(&koffer.cache_file()).unwrap();
    let count = "SELECT count(*) FROM actions WHERE state = 'OUTBOX'";
    store.conn().query_row(count, [], |r| r.get(0)).unwrap()
}

#[test]
fn every_queued_action_reaches_the_server_exactly_once_despite_kills() {
    let emulator = Emulator::start(&[
        "--seed",
        "41",
        "--schools",
        "1",
        "--devices",
        "200",
        "--clock-speed",
        "0",
        "--faults",
        "0.5",
        "--fault-kinds",
        "latency,drop",
    ]);
    let token = emulator.user("DISTRICT_ADMIN").token.clone();
    let koffer = Koffer::new();
    emulator.set_faults(0.0);
    koffer.login_and_sync(&emulator, &token);
    emulator.set_faults(0.5);
    let serials = serials(&emulator);
    let mut delays = Sequence::new(7);

    for round in 0..10 {
        let batch = &serials[round * 15..round * 15 + 15];
        let mut args = vec!["act", "lock"];
        for serial in batch {
            args.extend(["--serial", serial.as_str()]);
        }
        let mut act = koffer
            .command(&args)
            .env("KOFFER_TOKEN", &token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delays.next_in(30, 900)));
        let _ = act.kill();
        act.wait().unwrap();
    }
    emulator.set_faults(0.0);
    let waiting = waiting_in_outbox(&koffer);
    let flushed = koffer.run_with_token(&token, &["ledger", "--json"]);

    assert_success(&flushed, "the ledger sends what waited in the outbox");
    let ledger: Vec<serde_json::Value> = serde_json::from_slice(&flushed.stdout).unwrap();
    assert!(
        ledger.len() >= 15,
        "the kills must leave work behind to test anything"
    );
    assert!(
        waiting > 0,
        "some kills must land while actions wait in the outbox"
    );
    assert!(
        ledger.iter().all(|e| e["state"] != "OUTBOX"),
        "with the server back, nothing stays in the outbox"
    );
    let mut on_server: HashMap<String, usize> = HashMap::new();
    for action in emulator.actions() {
        *on_server
            .entry(action["uuid"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let server_total: usize = on_server.values().sum();
    assert_eq!(
        server_total,
        ledger.len(),
        "one server action per queued action, no more"
    );
    for entry in &ledger {
        let uuid = entry["serverUuid"]
            .as_str()
            .expect("every action was accepted");
        assert_eq!(
            on_server.get(uuid),
            Some(&1),
            "action {} exists exactly once",
            entry["id"]
        );
    }
}
