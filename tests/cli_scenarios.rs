//! The `koffer` command run like a coordinator or a scheduled task runs it, against the
//! emulator over real HTTP, with a real SQLite cache in a temporary data folder.

use std::net::TcpListener;
use std::process::Stdio;

use koffer_tests::{assert_success, text, Emulator, Koffer};

fn district() -> Emulator {
    Emulator::start(&["--seed", "7", "--schools", "3", "--devices", "240"])
}

#[test]
fn a_district_admin_syncs_every_school_and_finds_a_device_offline() {
    let emulator = district();
    let admin = emulator.user("DISTRICT_ADMIN").clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);
    let (_, serial) = emulator.devices()[17].clone();
    emulator.stop();

    let found = koffer.devices_json(&["--search", &serial[..6]]);
    let all = koffer.devices_json(&[]);

    assert!(
        found.iter().any(|d| d["serial"] == serial.as_str()),
        "a search by part of the serial must find the device with the server gone"
    );
    assert_eq!(
        all.len(),
        240,
        "the district admin has rights on every school's devices"
    );
}

#[test]
fn a_school_admin_gets_only_their_own_schools_devices() {
    let emulator = district();
    let school_admin = emulator.user("SCHOOL_ADMIN").clone();
    let koffer = Koffer::new();

    koffer.login_and_sync(&emulator, &school_admin.token);

    let devices = koffer.devices_json(&[]);
    assert!(!devices.is_empty(), "a school has devices");
    let own_school = &school_admin.organisations[0];
    assert!(
        devices
            .iter()
            .all(|d| d["organisation"] == own_school.as_str()),
        "a school admin must never see another school's devices"
    );
}

#[test]
fn devices_filter_by_organisation_and_print_a_readable_table() {
    let emulator = district();
    let admin = emulator.user("DISTRICT_ADMIN").clone();
    let school = emulator.user("SCHOOL_ADMIN").organisations[0].clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);

    let in_school = koffer.devices_json(&["--org", &school]);
    let table = koffer.run(&["devices", "--org", &school, "--limit", "5"]);

    assert!(
        in_school
            .iter()
            .all(|d| d["organisation"] == school.as_str()),
        "--org narrows"
    );
    assert_success(&table, "devices table");
    let table = text(&table.stdout);
    assert!(
        table.starts_with("Name"),
        "the table starts with its header: {table}"
    );
    assert!(
        table.contains(&format!("5 of {} matching devices shown.", in_school.len())),
        "the table must say how many match in all: {table}"
    );
}

#[test]
fn export_csv_writes_one_line_per_matching_device() {
    let emulator = district();
    let admin = emulator.user("DISTRICT_ADMIN").clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);
    let output = koffer.data_dir.path().join("inventory.csv");

    let export = koffer.run(&["export", "csv", "--output", output.to_str().unwrap()]);

    assert_success(&export, "export csv");
    let csv = std::fs::read_to_string(&output).unwrap();
    assert_eq!(csv.lines().count(), 241, "a header and one line per device");
    assert!(
        csv.starts_with("Organisation,Name,Serial number"),
        "a header row comes first"
    );
}

#[test]
fn login_reads_the_token_from_stdin_and_keeps_it_in_the_credential_store() {
    let emulator = district();
    let admin = emulator.user("SCHOOL_ADMIN").clone();
    let koffer = Koffer::new();
    let mut login = koffer
        .command(&["login", "--server", &emulator.url, "--token-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(login.stdin.as_mut().unwrap(), admin.token.as_bytes()).unwrap();
    let login = login.wait_with_output().unwrap();
    assert_success(
        &login,
        "login with the token on stdin (run the tests under `keyctl session -`)",
    );

    let sync = koffer.run(&["sync"]);

    assert_success(
        &sync,
        "sync with the token from the credential store, no KOFFER_TOKEN",
    );
    let on_disk = std::fs::read_dir(koffer.data_dir.path())
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap());
    for bytes in on_disk {
        assert!(
            !bytes
                .windows(admin.token.len())
                .any(|w| w == admin.token.as_bytes()),
            "the token must never be written into the data folder"
        );
    }
}

#[test]
fn logout_forgets_the_token_and_deletes_the_cache() {
    let emulator = district();
    let admin = emulator.user("SCHOOL_ADMIN").clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);

    let logout = koffer.run(&["logout"]);
    let sync = koffer.run(&["sync"]);

    assert_success(&logout, "logout");
    assert!(
        !koffer.cache_file().exists(),
        "signing out deletes that profile's cache"
    );
    assert!(!sync.status.success(), "after signing out nothing can sync");
    assert!(
        text(&sync.stderr).contains("koffer login"),
        "{}",
        text(&sync.stderr)
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_token_is_sent() {
    let koffer = Koffer::new();

    let login = koffer.run_with_token("whatever", &["login", "--server", "http://mdm.example.org"]);

    assert_eq!(login.status.code(), Some(2), "bad input exits with 2");
    assert!(
        text(&login.stderr).contains("https://"),
        "{}",
        text(&login.stderr)
    );
    assert!(
        !koffer.cache_file().exists(),
        "a refused login leaves nothing behind"
    );
}

#[test]
fn an_unreachable_server_says_so_and_the_cache_stays_usable() {
    let emulator = district();
    let admin = emulator.user("SCHOOL_ADMIN").clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);
    let before = koffer.devices_json(&[]);
    emulator.stop();

    let sync = koffer.run_with_token(&admin.token, &["sync"]);

    assert_eq!(
        sync.status.code(),
        Some(3),
        "offline exits with 3: {}",
        text(&sync.stderr)
    );
    assert!(
        text(&sync.stderr).contains("could not be reached"),
        "{}",
        text(&sync.stderr)
    );
    assert_eq!(
        koffer.devices_json(&[]),
        before,
        "a failed sync must not touch the cache"
    );
}

#[test]
fn empty_and_rejected_tokens_are_refused_with_what_to_do() {
    let emulator = district();
    let koffer = Koffer::new();

    let empty = koffer.run_with_token("", &["login", "--server", &emulator.url]);
    let rejected = koffer.run_with_token("not-a-token", &["login", "--server", &emulator.url]);

    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty.stderr));
    assert!(
        text(&empty.stderr).contains("Access Token"),
        "{}",
        text(&empty.stderr)
    );
    assert_eq!(
        rejected.status.code(),
        Some(4),
        "{}",
        text(&rejected.stderr)
    );
    assert!(
        text(&rejected.stderr).contains("rejected"),
        "{}",
        text(&rejected.stderr)
    );
    assert!(
        !text(&rejected.stderr).contains("not-a-token"),
        "a token never shows in a message"
    );
}

#[test]
fn a_server_that_answers_garbage_gets_a_clear_error() {
    let garbage = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", garbage.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in garbage.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Read::read(&mut stream, &mut [0; 4096]);
            let page = "<html>Wartungsarbeiten</html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
        }
    });
    let koffer = Koffer::new();

    let login = koffer.run_with_token("some-token", &["login", "--server", &url]);

    assert_eq!(login.status.code(), Some(6), "{}", text(&login.stderr));
    assert!(
        text(&login.stderr).contains("the signed-in user could not be read"),
        "the message names the request that failed: {}",
        text(&login.stderr)
    );
}

#[test]
fn a_data_folder_that_cannot_be_written_is_named_in_the_error() {
    let emulator = district();
    let admin = emulator.user("SCHOOL_ADMIN").clone();
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let not_a_dir = blocker.path().join("sub");
    let login = std::process::Command::new(koffer_tests::binary("koffer"))
        .arg("--data-dir")
        .arg(&not_a_dir)
        .args(["login", "--server", &emulator.url])
        .env("KOFFER_TOKEN", &admin.token)
        .output()
        .unwrap();

    assert_eq!(login.status.code(), Some(7), "{}", text(&login.stderr));
    assert!(
        text(&login.stderr).contains("cannot be written"),
        "{}",
        text(&login.stderr)
    );
}

#[test]
fn a_cache_from_a_newer_koffer_is_refused_and_left_alone() {
    let emulator = district();
    let admin = emulator.user("SCHOOL_ADMIN").clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &admin.token);
    let newer = rusqlite_set_user_version(&koffer.cache_file(), 999);
    let before = std::fs::read(koffer.cache_file()).unwrap();

    let sync = koffer.run_with_token(&admin.token, &["sync"]);

    assert_eq!(sync.status.code(), Some(7), "{}", text(&sync.stderr));
    assert!(
        text(&sync.stderr).contains("newer version of Koffer"),
        "{}",
        text(&sync.stderr)
    );
    assert_eq!(
        std::fs::read(koffer.cache_file()).unwrap(),
        before,
        "{newer}: left as it was"
    );
}

/// Marks a cache as written by a newer schema, as a newer Koffer would leave it.
fn rusqlite_set_user_version(path: &std::path::Path, version: i64) -> String {
    let store = koffer_core::store::Store::open(path).unwrap();
    store
        .conn()
        .pragma_update(None, "user_version", version)
        .unwrap();
    store
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    format!("user_version {version}")
}

#[test]
fn syncing_an_organisation_outside_the_tokens_rights_is_refused_by_name() {
    let emulator = district();
    let school_admin = emulator.user("SCHOOL_ADMIN").clone();
    let other_school = emulator
        .users
        .iter()
        .flat_map(|u| u.organisations.iter())
        .find(|o| !school_admin.organisations.contains(o))
        .unwrap()
        .clone();
    let koffer = Koffer::new();
    koffer.login_and_sync(&emulator, &school_admin.token);

    let sync = koffer.run_with_token(&school_admin.token, &["sync", "--org", &other_school]);

    assert_eq!(sync.status.code(), Some(2), "{}", text(&sync.stderr));
    assert!(
        text(&sync.stderr).contains("has rights on"),
        "{}",
        text(&sync.stderr)
    );
}
