//! The emulator as a child process, and the process's own memory figures.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use koffer_core::client::Client;
use koffer_core::store::devices::DeviceRecord;

#[derive(Debug)]
pub struct Emulator {
    child: Child,
    pub url: String,
    pub district_token: String,
    http: reqwest::Client,
}

impl Emulator {
    /// Starts `koffer-sim` with a frozen clock and 1% churn per simulated minute, so that
    /// [`Emulator::change_one_percent`] changes exactly one minute's worth.
    pub fn start(devices: usize, schools: usize) -> anyhow::Result<Emulator> {
        let dir = std::env::current_exe()?
            .parent()
            .expect("a folder")
            .to_owned();
        let binary = dir.join(format!("koffer-sim{}", std::env::consts::EXE_SUFFIX));
        anyhow::ensure!(
            binary.exists(),
            "{} is missing: build it first",
            binary.display()
        );
        let mut child = Command::new(binary)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "42",
                "--clock-speed",
                "0",
            ])
            .args(["--churn", "0.01", "--devices", &devices.to_string()])
            .args(["--schools", &schools.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
        let announced: serde_json::Value = serde_json::from_str(&line)?;
        let district = announced["users"]
            .as_array()
            .and_then(|users| users.iter().find(|u| u["role"] == "DISTRICT_ADMIN"))
            .ok_or_else(|| anyhow::anyhow!("the emulator seeded no district admin"))?;
        Ok(Emulator {
            url: announced["url"].as_str().unwrap_or_default().to_owned(),
            district_token: district["token"].as_str().unwrap_or_default().to_owned(),
            child,
            http: reqwest::Client::new(),
        })
    }

    pub async fn change_one_percent(&self) -> anyhow::Result<()> {
        let url = format!("{}/sim/clock/advance", self.url);
        let answer = self
            .http
            .post(url)
            .json(&serde_json::json!({"minutes": 1}))
            .send()
            .await?;
        answer.error_for_status()?;
        Ok(())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every device with its apps, fetched page by page like the sync does, but kept in memory.
pub async fn fetch_everything(client: &Client) -> anyhow::Result<Vec<DeviceRecord>> {
    let mut records = Vec::new();
    for org in client.organizations().await? {
        let mut offset = 0;
        loop {
            let page = client.device_page(&org.uuid, offset, None).await?;
            if page.results.is_empty() {
                break;
            }
            offset += page.results.len() as u64;
            let uuids: Vec<String> = page.results.iter().map(|d| d.uuid.clone()).collect();
            let apps = client.installed_apps(&org.uuid, &uuids).await?;
            for device in page.results {
                let own = apps
                    .iter()
                    .filter(|a| a.device_uuid.as_deref() == Some(&device.uuid));
                records.push(DeviceRecord {
                    apps: own.cloned().collect(),
                    device,
                });
            }
            if offset >= page.nonpaged_count.unwrap_or(0) {
                break;
            }
        }
    }
    Ok(records)
}

/// Resets the kernel's peak-RSS mark for this process (Linux only; elsewhere a no-op).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process since the last reset, in MiB (0 where unknown).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        });
    kib.unwrap_or(0.0) / 1024.0
}
