//! Shared by the tests that span several parts: start the emulator as a process, run the
//! `koffer` binary like a user would, and read what they print.
//!
//! The binaries are the ones `cargo test --workspace` builds next to the test executables.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// Path of a binary of this workspace, built by the same `cargo test` run.
pub fn binary(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

/// A user the emulator seeded, as it printed them on start.
#[derive(Debug, Clone)]
pub struct SeededUser {
    pub login: String,
    pub role: String,
    pub token: String,
    pub organisations: Vec<String>,
}

/// The emulator running as its own process; killed when dropped.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    pub url: String,
    pub users: Vec<SeededUser>,
}

impl Emulator {
    /// Starts `koffer-sim` with these arguments on a free loopback port.
    pub fn start(args: &[&str]) -> Emulator {
        Emulator::start_at("127.0.0.1:0", args)
    }

    /// Starts `koffer-sim` listening on `address` (an emulator back at the same address).
    pub fn start_at(address: &str, args: &[&str]) -> Emulator {
        let mut child = Command::new(binary("koffer-sim"))
            .args(["--listen", address])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the emulator prints its address");
        let announced: Value = serde_json::from_str(&line).expect("the first line is JSON");
        let users = announced["users"]
            .as_array()
            .expect("users are listed")
            .iter()
            .map(|u| SeededUser {
                login: u["login"].as_str().unwrap().to_owned(),
                role: u["role"].as_str().unwrap().to_owned(),
                token: u["token"].as_str().unwrap().to_owned(),
                organisations: u["organisations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().to_owned())
                    .collect(),
            })
            .collect();
        let url = announced["url"]
            .as_str()
            .expect("url is announced")
            .to_owned();
        Emulator { child, url, users }
    }

    /// The first seeded user with this role (e.g. "DISTRICT_ADMIN", "SCHOOL_ADMIN").
    pub fn user(&self, role: &str) -> &SeededUser {
        self.users
            .iter()
            .find(|u| u.role == role)
            .unwrap_or_else(|| panic!("no {role} seeded"))
    }

    /// Every device the emulator holds right now: `(uuid, serial)`, sorted by uuid.
    pub fn devices(&self) -> Vec<(String, String)> {
        let answer = http_request(&self.url, "GET", "/sim/devices", None);
        let list: Value = serde_json::from_str(&answer).expect("/sim/devices answers JSON");
        let mut devices: Vec<(String, String)> = list
            .as_array()
            .expect("a list of devices")
            .iter()
            .map(|d| {
                let text = |k: &str| d[k].as_str().unwrap().to_owned();
                (text("uuid"), text("serialNumber"))
            })
            .collect();
        devices.sort();
        devices
    }

    /// Moves the simulated clock on, applying churn for each minute.
    pub fn advance_minutes(&self, minutes: u32) {
        let body = format!("{{\"minutes\": {minutes}}}");
        http_request(&self.url, "POST", "/sim/clock/advance", Some(&body));
    }

    pub fn set_faults(&self, probability: f64) {
        let body = format!("{{\"probability\": {probability}}}");
        http_request(&self.url, "POST", "/sim/faults", Some(&body));
    }

    /// The device checks in now and takes its waiting actions; false when the server no
    /// longer knows it (erased, removed).
    pub fn check_in(&self, device: &str) -> bool {
        let path = format!("/sim/devices/{device}/check-in");
        try_http_request(&self.url, "POST", &path, Some("{}")).is_ok()
    }

    /// Takes a device offline or online, or makes it answer NOT_NOW while busy.
    pub fn set_device(&self, device: &str, online: bool, busy: bool) {
        let body = format!("{{\"online\": {online}, \"busy\": {busy}}}");
        http_request(
            &self.url,
            "POST",
            &format!("/sim/devices/{device}"),
            Some(&body),
        );
    }

    /// Every action the server holds, as JSON.
    pub fn actions(&self) -> Vec<Value> {
        let answer = http_request(&self.url, "GET", "/sim/actions", None);
        let list: Value = serde_json::from_str(&answer).expect("/sim/actions answers JSON");
        list.as_array().expect("a list of actions").clone()
    }

    /// Stops the emulator: the server becomes unreachable.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 request over a plain socket, for the emulator's control API; it must
/// succeed.
pub fn http_request(base: &str, method: &str, path: &str, body: Option<&str>) -> String {
    try_http_request(base, method, path, body)
        .unwrap_or_else(|head| panic!("{method} {path} failed: {head}"))
}

/// The same, answering the status line and headers as the error when the status is not 2xx.
pub fn try_http_request(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<String, String> {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the emulator accepts");
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    let (head, rest) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    if !head.starts_with("HTTP/1.1 2") {
        return Err(head.to_owned());
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok(if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// One data folder and the `koffer` command run against it.
#[derive(Debug)]
pub struct Koffer {
    pub data_dir: tempfile::TempDir,
}

impl Default for Koffer {
    fn default() -> Self {
        Koffer::new()
    }
}

impl Koffer {
    pub fn new() -> Koffer {
        Koffer {
            data_dir: tempfile::tempdir().expect("a temporary data folder"),
        }
    }

    /// A command with `--data-dir` set and no KOFFER_TOKEN inherited.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary("koffer"));
        command
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .args(args)
            .env_remove("KOFFER_TOKEN")
            .env_remove("KOFFER_DATA_DIR")
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("koffer runs")
    }

    /// Runs with KOFFER_TOKEN set, as a scheduled task would.
    pub fn run_with_token(&self, token: &str, args: &[&str]) -> Output {
        self.command(args)
            .env("KOFFER_TOKEN", token)
            .output()
            .expect("koffer runs")
    }

    /// Signs in with KOFFER_TOKEN and syncs, asserting both succeed.
    pub fn login_and_sync(&self, emulator: &Emulator, token: &str) {
        let login = self.run_with_token(token, &["login", "--server", &emulator.url]);
        assert_success(&login, "login");
        let sync = self.run_with_token(token, &["sync"]);
        assert_success(&sync, "sync");
    }

    /// `devices --json` parsed.
    pub fn devices_json(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["devices", "--json"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        assert_success(&output, "devices --json");
        let value: Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
        value.as_array().expect("a JSON array").clone()
    }

    pub fn cache_file(&self) -> PathBuf {
        self.data_dir.path().join("cache.sqlite3")
    }
}

pub fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} must succeed; status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}
