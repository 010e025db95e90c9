//! (g) Lock a class of 30 iPads in a lesson: the time from the teacher's request until the
//! server accepted the lock for all 30, and until all 30 acknowledged it, with the devices
//! online and the emulator's clock at real speed (pushed devices check in within 1–2 s).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use koffer_api::{LessonDeviceState, Role};
use koffer_core::client::Client;
use koffer_core::lessons::{self, LessonCommand, Who};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::Store;
use koffer_core::sync::{self, SyncOptions};

/// The class size the design's target names.
const CLASS: usize = 30;

#[derive(Debug)]
pub struct LessonFigures {
    pub devices: usize,
    pub start_accepted: Duration,
    pub lock_accepted: Duration,
    pub lock_acknowledged: Duration,
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn measure(dir: &std::path::Path) -> anyhow::Result<LessonFigures> {
    let (_emulator, url, token) = start_emulator()?;
    let client = std::sync::Arc::new(Client::new(
        ServerUrl::parse(&url)?,
        AccessToken::new(&token)?,
    )?);
    let mut store = Store::open(&dir.join("lessons.sqlite3"))?;
    sync::sync(client.clone(), &mut store, &SyncOptions::default(), &|_| {}).await?;
    let who = Who {
        login: "bench".to_owned(),
        role: Role::DistrictAdmin,
    };
    let (class, devices) = class_of_thirty(&store, &who)?;
    let http = reqwest::Client::new();
    for device in &devices {
        let steer = format!("{url}/sim/devices/{device}");
        let body = serde_json::json!({"online": true, "busy": false});
        http.post(steer)
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
    }

    let started = Instant::now();
    lessons::start(&mut store, &who, &class, 45, Some(&devices), now())?;
    let flushed = lessons::flush(&client, &mut store).await?;
    let start_accepted = started.elapsed();
    anyhow::ensure!(
        flushed.accepted == 1,
        "the lesson did not start: {flushed:?}"
    );
    acknowledged(&client, &mut store, &class, 1).await?;

    let lock = LessonCommand::LockScreen {
        message: "Augen nach vorn".to_owned(),
    };
    let locking = Instant::now();
    lessons::command(&mut store, &who, &class, &lock, Some(&devices), now())?;
    let flushed = lessons::flush(&client, &mut store).await?;
    let lock_accepted = locking.elapsed();
    anyhow::ensure!(
        flushed.accepted == 1,
        "the lock was not accepted: {flushed:?}"
    );
    acknowledged(&client, &mut store, &class, 2).await?;
    let lock_acknowledged = locking.elapsed();

    lessons::end(&mut store, &who, &class, now())?;
    lessons::flush(&client, &mut store).await?;
    Ok(LessonFigures {
        devices: devices.len(),
        start_accepted,
        lock_accepted,
        lock_acknowledged,
    })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A class with at least 30 devices, and 30 of them.
fn class_of_thirty(store: &Store, who: &Who) -> anyhow::Result<(String, Vec<String>)> {
    let classes = lessons::classes(store.conn(), who, now())?;
    let class = classes
        .iter()
        .max_by_key(|c| c.devices)
        .ok_or_else(|| anyhow::anyhow!("the emulator seeded no class"))?;
    anyhow::ensure!(
        class.devices as usize >= CLASS,
        "the largest class has only {} devices",
        class.devices
    );
    let view = lessons::class_view(store.conn(), who, &class.uuid, now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let devices = view.tiles.iter().take(CLASS).map(|t| t.device_uuid.clone());
    Ok((class.uuid.clone(), devices.collect()))
}

/// Follows the class's lesson until every device applied revision `revision` (or later).
async fn acknowledged(
    client: &Client,
    store: &mut Store,
    class: &str,
    revision: u64,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        lessons::follow(client, store).await?;
        let lesson = koffer_core::store::lessons::latest_of_class(store.conn(), class)?;
        let done = lesson.and_then(|l| l.server).is_some_and(|s| {
            s.devices.iter().all(|d| {
                d.state == LessonDeviceState::Acknowledged && d.applied_revision >= revision
            })
        });
        if done {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "not all devices acknowledged in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The emulator at real clock speed, with a school big enough for classes of 30.
fn start_emulator() -> anyhow::Result<(Running, String, String)> {
    let dir = std::env::current_exe()?
        .parent()
        .expect("a folder")
        .to_owned();
    let binary = dir.join(format!("koffer-sim{}", std::env::consts::EXE_SUFFIX));
    let mut child = Command::new(binary)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "42",
            "--clock-speed",
            "1",
        ])
        .args(["--schools", "1", "--devices", "1500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let running = Running(child);
    let announced: serde_json::Value = serde_json::from_str(&line)?;
    let admin = announced["users"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["role"] == "DISTRICT_ADMIN"))
        .ok_or_else(|| anyhow::anyhow!("the emulator seeded no district admin"))?;
    let url = announced["url"].as_str().unwrap_or_default().to_owned();
    let token = admin["token"].as_str().unwrap_or_default().to_owned();
    Ok((running, url, token))
}
