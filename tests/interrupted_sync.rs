//! Killing `koffer sync` (SIGKILL, no chance to clean up) loses at most the page in flight:
//! the next sync resumes where the last committed page ended and the cache ends up exact.

use std::time::{Duration, Instant};

use koffer_tests::{assert_success, text, Emulator, Koffer};

fn cached_devices(koffer: &Koffer) -> i64 {
    let Ok(store) = koffer_core::store::Store::open(&koffer.cache_file()) else {
        return 0;
    };
    store
        .conn()
        .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
        .unwrap_or(0)
}

#[test]
fn a_killed_sync_resumes_after_its_last_committed_page() {
    let emulator = Emulator::start(&[
        "--seed",
        "21",
        "--schools",
        "1",
        "--devices",
        "8000",
        "--faults",
        "1",
        "--fault-kinds",
        "latency",
    ]);
    let token = emulator.user("DISTRICT_ADMIN").token.clone();
    let koffer = Koffer::new();
    let login = koffer.run_with_token(&token, &["login", "--server", &emulator.url]);
    assert_success(&login, "login");
    let mut sync = koffer
        .command(&["sync"])
        .env("KOFFER_TOKEN", &token)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while cached_devices(&koffer) < 2000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }

    sync.kill().unwrap();
    sync.wait().unwrap();
    let at_kill = cached_devices(&koffer);
    emulator.set_faults(0.0);
    let resumed = koffer.run_with_token(&token, &["sync"]);

    assert!(
        (2000..8000).contains(&at_kill),
        "the kill must land mid-sync to test anything, cached {at_kill}"
    );
    assert_success(&resumed, "the sync after the kill");
    let report = text(&resumed.stdout);
    let written: u64 = report
        .lines()
        .filter_map(|line| {
            line.split(" written")
                .next()?
                .rsplit(": ")
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(written > 0, "the resumed sync wrote the rest: {report}");
    assert!(
        written <= 8000 - 2000 + 1000,
        "it resumed instead of starting over: {report}"
    );
    let cached: Vec<String> = {
        let store = koffer_core::store::Store::open(&koffer.cache_file()).unwrap();
        let mut statement = store
            .conn()
            .prepare("SELECT uuid FROM devices ORDER BY uuid")
            .unwrap();
        statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let expected: Vec<String> = emulator
        .devices()
        .into_iter()
        .map(|(uuid, _)| uuid)
        .collect();
    assert_eq!(
        cached, expected,
        "after the resume the cache holds exactly the server's devices"
    );
}
