//! An emulator of the central server (Relution) as Koffer uses it, seeded with a realistic
//! school district.
//!
//! Every test, benchmark and demo of Koffer talks to this instead of a real server: it speaks
//! exactly the API in docs/api.md (wire types from `koffer-api`), adds a control API under
//! `/sim`, runs a simulated clock on which devices check in, change and carry out the actions
//! queued for them, and injects faults on request. The same seed and options always give the
//! same district.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let running = koffer_sim::spawn(koffer_sim::Config::default()).await?;
//! println!("{} with {} users", running.url, running.users.len());
//! running.stop().await;
//! # Ok(())
//! # }
//! ```

mod action_api;
mod actions;
mod api;
mod catalogue;
mod check_ins;
mod churn;
mod clock;
mod commands;
mod control;
mod district;
mod draw;
mod enrolment;
mod error;
mod faults;
mod fields;
mod inventory;
mod lesson_api;
mod lessons;
mod licences;
mod names;
mod policies;
mod policy_api;
mod policy_seed;
mod query;
mod render;
mod seed;
mod state;
mod uuid;
mod world;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context};
use axum::Router;
use chrono::{DateTime, Utc};
use koffer_api::Role;
use serde::Serialize;
use tokio::task::JoinHandle;

pub use faults::FaultKind;

use crate::churn::Churn;
use crate::clock::SimClock;
use crate::district::District;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::seed::Plan;
use crate::state::Sim;
use crate::world::World;

/// Most devices the emulator seeds.
///
/// Known limit: a school's device groups are numbered in 16 bits, which a school with many
/// millions of devices would outgrow; this bound keeps well clear of that.
pub const MAX_DEVICES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    pub seed: u64,
    pub schools: usize,
    /// Devices over all schools.
    pub devices: usize,
    /// Probability that a request of the server's API gets a fault.
    pub faults: f64,
    /// The kinds of fault drawn from; all kinds when empty.
    pub fault_kinds: Vec<FaultKind>,
    /// Share of devices that check in (and change) per simulated minute.
    pub churn: f64,
    /// Simulated seconds per real second; 0 freezes the clock except for manual advances.
    pub clock_speed: f64,
    /// Simulated time at start; the wall clock's now when `None`.
    pub start_time: Option<DateTime<Utc>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: 1,
            schools: 3,
            devices: 300,
            faults: 0.0,
            fault_kinds: Vec::new(),
            churn: 0.0,
            clock_speed: 1.0,
            start_time: None,
        }
    }
}

impl Config {
    fn check(&self) -> anyhow::Result<()> {
        ensure!(
            (0.0..=1.0).contains(&self.faults),
            "--faults must lie in 0..=1"
        );
        ensure!(
            (0.0..=1.0).contains(&self.churn),
            "--churn must lie in 0..=1"
        );
        ensure!(
            self.clock_speed.is_finite() && self.clock_speed >= 0.0,
            "--clock-speed must be 0 or more"
        );
        ensure!(
            self.devices <= MAX_DEVICES,
            "--devices must be at most {MAX_DEVICES}"
        );
        ensure!(
            self.schools > 0 || self.devices == 0,
            "devices need at least one school"
        );
        Ok(())
    }
}

/// A user the emulator seeded, with the token to sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeededUser {
    pub login: String,
    pub role: Role,
    pub token: String,
    /// Names of the organisations the token has rights on.
    pub organisations: Vec<String>,
    /// Uuids of the classes a teacher teaches (empty for admins, who may teach every class).
    pub classes: Vec<String>,
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    pub users: Vec<SeededUser>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first seeded user with this role.
    pub fn user(&self, role: Role) -> Option<&SeededUser> {
        self.users.iter().find(|user| user.role == role)
    }

    /// Stops accepting connections and waits until the server task has ended.
    pub async fn stop(mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Seeds the district, binds `config.listen` and serves in a background task.
/// Binds with SO_REUSEADDR, so an emulator restarted at the same address (a server that was
/// away and is back) can listen again while the old connections linger in TIME_WAIT.
fn listen(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(1024)
}

pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    config.check()?;
    let start = clock::whole_second(config.start_time.unwrap_or_else(Utc::now));
    let seeding = Instant::now();
    let plan = Plan {
        seed: config.seed,
        schools: config.schools,
        devices: config.devices,
    };
    let district = seed::seed(&plan, start);
    tracing::info!(
        devices = district.inventory.len(),
        schools = config.schools,
        millis = seeding.elapsed().as_millis() as u64,
        "seeded the district"
    );
    let users = seeded_users(&district);
    let sim = Arc::new(simulation(district, &config, start));

    let listener =
        listen(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let app = router(sim);
    let server = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the emulator stopped serving");
        }
    });
    let url = format!("http://{addr}");
    tracing::info!(%url, "serving the central server's API");
    Ok(Running {
        url,
        users,
        addr,
        server,
    })
}

fn simulation(district: District, config: &Config, start: DateTime<Utc>) -> Sim {
    let churn = Churn::new(config.seed, config.churn);
    let world = World::new(district, churn, config.seed, start);
    let clock = SimClock::new(start, config.clock_speed);
    let faults = Faults::new(config.seed, config.faults, &config.fault_kinds);
    Sim::new(world, clock, faults)
}

fn seeded_users(district: &District) -> Vec<SeededUser> {
    district
        .accounts
        .iter()
        .map(|account| SeededUser {
            login: account.login.clone(),
            role: account.role,
            token: account.token.clone(),
            organisations: account
                .rights
                .iter()
                .map(|&org| district.organisations[org].wire.name.clone())
                .collect(),
            classes: match account.role {
                Role::Teacher => lesson_api::classes_taught(district, account.home, &account.login),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// The server's API with its device actions (faulted), the control API (never faulted), and
/// error answers for unknown paths and methods.
fn router(sim: Arc<Sim>) -> Router {
    let faulted = axum::middleware::from_fn_with_state(sim.clone(), faults::inject);
    api::routes()
        .merge(action_api::routes())
        .merge(policy_api::routes())
        .merge(lesson_api::routes())
        .layer(faulted)
        .merge(control::routes())
        .merge(policy_api::control_routes())
        .merge(lesson_api::sim_routes())
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .with_state(sim)
}

async fn unknown_path() -> ApiError {
    ApiError::not_found("no such path")
}

async fn wrong_method() -> ApiError {
    ApiError::wrong_method()
}
