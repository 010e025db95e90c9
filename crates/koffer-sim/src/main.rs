//! `koffer-sim`: runs the central-server emulator until it is stopped.
//!
//! Whoever starts it (a test harness, a benchmark, the demo script) reads exactly one JSON line
//! from stdout, `{"url": ..., "users": [...]}`, to learn where it listens and which tokens to
//! use. Everything else goes to stderr as logs.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Parser;
use koffer_sim::{Config, FaultKind, SeededUser};
use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// An emulator of the central server's HTTP API, seeded with a realistic school district.
#[derive(Debug, Parser)]
#[command(name = "koffer-sim", version)]
struct Options {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value_t = Config::default().listen)]
    listen: SocketAddr,
    /// Seed of the district; the same seed and options give the same data.
    #[arg(long, value_name = "N", default_value_t = Config::default().seed)]
    seed: u64,
    /// Number of schools.
    #[arg(long, value_name = "N", default_value_t = Config::default().schools)]
    schools: usize,
    /// Number of devices over all schools.
    #[arg(long, value_name = "N", default_value_t = Config::default().devices)]
    devices: usize,
    /// Probability (0..=1) that a request gets an injected fault.
    #[arg(long, value_name = "P", default_value_t = Config::default().faults)]
    faults: f64,
    /// Fault kinds to draw from, comma-separated: latency,429,500,503,drop,truncate,malformed.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    fault_kinds: Vec<FaultKind>,
    /// Share (0..=1) of devices that check in and change per simulated minute.
    #[arg(long, value_name = "P", default_value_t = Config::default().churn)]
    churn: f64,
    /// Simulated seconds per real second; 0 stops the clock except for /sim/clock/advance.
    #[arg(long, value_name = "X", default_value_t = Config::default().clock_speed)]
    clock_speed: f64,
    /// Simulated time at start (RFC 3339); now when left out.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    start_time: Option<DateTime<Utc>>,
}

/// The one line on stdout.
#[derive(Serialize)]
struct Announcement<'a> {
    url: &'a str,
    users: &'a [SeededUser],
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    init_logging();

    let running = koffer_sim::spawn(config(options)).await?;
    announce(&running.url, &running.users)?;

    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for ctrl-c")?;
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}

fn config(options: Options) -> Config {
    Config {
        listen: options.listen,
        seed: options.seed,
        schools: options.schools,
        devices: options.devices,
        faults: options.faults,
        fault_kinds: options.fault_kinds,
        churn: options.churn,
        clock_speed: options.clock_speed,
        start_time: options.start_time,
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colours = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours)
        .init();
}

fn announce(url: &str, users: &[SeededUser]) -> anyhow::Result<()> {
    let line = serde_json::to_string(&Announcement { url, users })?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.to_utc())
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-12-03T08:15:00Z"))
}
