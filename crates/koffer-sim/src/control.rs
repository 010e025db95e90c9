//! The emulator's own control API under `/sim`, for tests, benchmarks and the demo.
//!
//! It needs no token and is never faulted; a real server has none of it (docs/api.md).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use koffer_api::Action;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::district::District;
use crate::error::{json_response, ApiError};
use crate::render::{self, SimDeviceJson};
use crate::state::Sim;
use crate::uuid::Uuid;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/sim/devices", get(devices))
        .route("/sim/devices/{uuid}", post(steer_device))
        .route("/sim/devices/{uuid}/check-in", post(check_in))
        .route("/sim/actions", get(actions))
        .route("/sim/clock", get(clock))
        .route("/sim/clock/advance", post(advance))
        .route("/sim/faults", post(faults))
        .route("/sim/tokens/revoke", post(revoke))
}

#[derive(Debug, Deserialize)]
struct Advance {
    minutes: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct FaultProbability {
    probability: f64,
}

#[derive(Debug, Deserialize)]
struct Revoke {
    token: String,
}

#[derive(Debug, Serialize)]
struct Clock {
    now: DateTime<Utc>,
}

/// Body of `POST /sim/devices/{uuid}`; a flag left out stays as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Steer {
    online: Option<bool>,
    busy: Option<bool>,
}

/// How a device behaves, as `POST /sim/devices/{uuid}` answers it.
#[derive(Debug, Serialize)]
struct Behaviour {
    uuid: String,
    online: bool,
    busy: bool,
}

type Answer = Result<Response, ApiError>;

/// Every device of every organisation, organisation by organisation, in uuid order.
async fn devices(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.current();
    let district = &world.district;
    let devices: Vec<SimDeviceJson> = district
        .inventory
        .all()
        .map(|device| SimDeviceJson {
            uuid: device.uuid.to_string(),
            serial_number: &device.serial,
            organization_uuid: district.organisations[device.org].uuid(),
            modification_date: device.modified,
        })
        .collect();
    ok(&devices)
}

/// Takes a device online or offline, or makes it answer `NOT_NOW` while busy.
async fn steer_device(
    State(sim): State<Arc<Sim>>,
    uuid: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let Steer { online, busy } = decode(body)?;
    let mut world = sim.current_mut();
    let (now, minute) = sim.clock.now_in_minute();
    let device = known_device(&world.district, uuid)?;
    if let Some(online) = online {
        world.set_online(device, online, minute);
    }
    if let Some(busy) = busy {
        world.check_ins.set_busy(device, busy);
    }
    if online == Some(true) && world.lessons.is_waiting(device) {
        // The push a lesson sent while the device was away reaches it once it is back.
        world.push_lesson(&[device], now);
    }
    tracing::info!(%device, ?online, ?busy, "device behaviour changed");
    Ok(ok(&Behaviour {
        uuid: device.to_string(),
        online: world.check_ins.is_online(device),
        busy: world.check_ins.is_busy(device),
    }))
}

/// The device checks in now, whether it is online or not, and answers the actions it fetched.
async fn check_in(
    State(sim): State<Arc<Sim>>,
    uuid: Result<Path<String>, PathRejection>,
) -> Answer {
    let mut world = sim.current_mut();
    let (now, minute) = sim.clock.now_in_minute();
    let device = known_device(&world.district, uuid)?;
    let fetched = world.check_in(device, minute, now);
    let actions: Vec<&Action> = fetched
        .into_iter()
        .map(|id| world.actions.action(id))
        .collect();
    Ok(ok(&actions))
}

/// Every action of every device, oldest first.
async fn actions(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.current();
    let actions: Vec<&Action> = world.actions.all().collect();
    ok(&actions)
}

fn known_device(
    district: &District,
    uuid: Result<Path<String>, PathRejection>,
) -> Result<Uuid, ApiError> {
    let not_found = || ApiError::not_found("no such device");
    let Path(uuid) = uuid.map_err(|_| not_found())?;
    Uuid::parse(&uuid)
        .filter(|&uuid| district.inventory.get(uuid).is_some())
        .ok_or_else(not_found)
}

async fn clock(State(sim): State<Arc<Sim>>) -> Response {
    drop(sim.current());
    ok(&Clock {
        now: sim.clock.now(),
    })
}

/// Moves the clock on and applies the churn of each minute before answering.
async fn advance(State(sim): State<Arc<Sim>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let Advance { minutes } = decode(body)?;
    sim.clock.advance(minutes);
    drop(sim.current_mut());
    Ok(ok(&Clock {
        now: sim.clock.now(),
    }))
}

async fn faults(State(sim): State<Arc<Sim>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let FaultProbability { probability } = decode(body)?;
    if !(0.0..=1.0).contains(&probability) {
        let message = format!("probability must lie in 0..=1, was {probability}");
        return Err(ApiError::bad_request(message));
    }
    sim.faults.set_probability(probability);
    tracing::info!(probability, "fault probability changed");
    Ok(ok(&FaultProbability { probability }))
}

async fn revoke(State(sim): State<Arc<Sim>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let Revoke { token } = decode(body)?;
    if !sim.current_mut().district.revoke(&token) {
        return Err(ApiError::not_found("no such token"));
    }
    tracing::info!("a token was revoked");
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn decode<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body does not decode: {e}")))
}

fn ok(value: &impl Serialize) -> Response {
    json_response(StatusCode::OK, render::to_json(value))
}
