//! Device actions as docs/api.md describes them: create (safe to repeat with an
//! `Idempotency-Key`), list per device, query per organisation, cancel.
//!
//! The server checks what it can know without the device: the token's rights and role, the
//! type and its parameters. Everything that depends on the device (supervision, lost mode,
//! licences) it learns only when the device answers at its next check-in (see
//! [`crate::commands`]).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::Router;
use koffer_api::{paths, Action, ActionParameters, ActionType, QueryRequest, Role, SortOrder};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::actions::NewAction;
use crate::api::{self, Answer, ListParams, TenantParams};
use crate::district::Account;
use crate::error::{json_response, ApiError};
use crate::fields::ActionField;
use crate::licences;
use crate::query;
use crate::render::{self, PageJson};
use crate::state::Sim;
use crate::uuid::Uuid;

/// Largest page of the action query.
const ACTION_LIMIT: u32 = 5000;
/// Longest idempotency key.
const KEY_MAX: usize = 128;
/// Longest texts of the lost-mode and lock parameters, in characters.
const MESSAGE_MAX: usize = 200;
const PHONE_MAX: usize = 30;
const FOOTNOTE_MAX: usize = 100;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            &paths::device_actions("{uuid}"),
            get(device_actions).post(create_action),
        )
        .route(
            &paths::device_action("{uuid}", "{action}"),
            delete(cancel_action),
        )
        .route(paths::ACTION_QUERY, post(action_query))
}

/// Body of a create before its type and parameters are checked.
#[derive(Debug, Deserialize)]
struct CreateBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    parameters: Value,
}

async fn create_action(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let mut world = sim.current_mut();
    let (now, minute) = sim.clock.now_in_minute();
    let district = &world.district;
    let account = api::signed_in(district, &headers)?;
    let device = api::find_device(district, uuid)?;
    if !account.may_act_in(device.org) {
        return Err(no_rights_on_device());
    }
    let key = idempotency_key(&headers)?;
    let (kind, parameters) = decode_create(body)?;
    may_send(account, kind)?;

    if let Some(existing) = world.actions.by_key(device.uuid, &key) {
        return Ok(api::ok(existing));
    }
    if kind == ActionType::InstallApp {
        let bundle_id = parameters.bundle_id.as_deref().unwrap_or_default();
        licences::check_install(district, device, bundle_id)?;
    }
    let new = NewAction {
        device: device.uuid,
        org: device.org,
        organization_uuid: district.organisations[device.org].uuid().to_owned(),
        key,
        kind,
        parameters,
        created_by: account.login.clone(),
        at: now,
    };
    let action = world.queue(new, minute);
    Ok(json_response(StatusCode::CREATED, render::to_json(action)))
}

async fn device_actions(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let account = api::signed_in(&world.district, &headers)?;
    let device = api::find_device(&world.district, uuid)?;
    if !account.may_act_in(device.org) {
        return Err(no_rights_on_device());
    }

    let newest_first: Vec<&Action> = world.actions.of_device(device.uuid).rev().collect();
    api::list(&newest_first, &params)
}

async fn cancel_action(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Answer {
    let Path((device_uuid, action_uuid)) =
        ids.map_err(|_| ApiError::not_found("no such device"))?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let account = api::signed_in(&world.district, &headers)?;
    let device = api::device_named(&world.district, &device_uuid)?;
    if !account.may_act_in(device.org) {
        return Err(no_rights_on_device());
    }
    let id = Uuid::parse(&action_uuid)
        .and_then(|action| world.actions.of_device_by_uuid(device.uuid, action))
        .ok_or_else(|| ApiError::not_found("no such action of this device"))?;
    may_send(account, world.actions.action(id).kind)?;

    if let Err(state) = world.actions.cancel(id, now) {
        let message = format!(
            "the action is {} and can no longer be cancelled; only QUEUED and NOT_NOW actions can",
            state.as_str()
        );
        return Err(ApiError::not_cancellable(message));
    }
    Ok(api::ok(world.actions.action(id)))
}

async fn action_query(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let org = api::tenant(&world.district, &headers, params.tenant.as_deref())?;
    let request = api::decode_query(body, ACTION_LIMIT)?;
    let predicate = api::compile::<ActionField>(request.filter.as_ref())?;
    let order = action_order(request.sort_order.as_ref())?;
    let fields = projection(&request)?;

    let mut matching: Vec<&Action> = world
        .actions
        .of_org(org)
        .filter(|action| query::matches_optional(predicate.as_ref(), *action))
        .collect();
    if let Some(order) = order {
        matching.sort_by(|a, b| order.compare(a, b));
    }
    let (page, total) = query::window(
        matching.into_iter(),
        request.offset,
        request.limit,
        request.get_nonpaged_count,
    );

    let results: Vec<Value> = page
        .into_iter()
        .map(|action| project(action, fields.as_ref()))
        .collect();
    Ok(api::ok(&PageJson {
        results,
        nonpaged_count: total,
    }))
}

fn no_rights_on_device() -> ApiError {
    ApiError::forbidden("the access token has no rights on this device")
}

/// Teachers control devices only in lessons (docs/api.md, "Lessons"); device actions need an
/// admin.
fn may_send(account: &Account, kind: ActionType) -> Result<(), ApiError> {
    if account.role != Role::Teacher {
        return Ok(());
    }
    let message = format!(
        "teachers control devices only in lessons: start a lesson on the class to lock its \
         screens; {} needs a school or district admin",
        kind.as_str()
    );
    let code = koffer_api::lesson_error::TEACHER_NO_DEVICE_ACTIONS;
    Err(ApiError::coded(StatusCode::FORBIDDEN, code, message))
}

pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let name = paths::IDEMPOTENCY_HEADER;
    let value = headers
        .get(name)
        .ok_or_else(|| ApiError::bad_request(format!("the header {name} is required")))?;
    let key = value
        .to_str()
        .map_err(|_| ApiError::bad_request(format!("the header {name} must be visible ASCII")))?;
    if !(1..=KEY_MAX).contains(&key.len()) {
        let message = format!(
            "the header {name} must be 1 to {KEY_MAX} characters, was {}",
            key.len()
        );
        return Err(ApiError::bad_request(message));
    }
    Ok(key.to_owned())
}

fn decode_create(
    body: Result<Bytes, BytesRejection>,
) -> Result<(ActionType, ActionParameters), ApiError> {
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    let CreateBody { kind, parameters } = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body does not decode: {e}")))?;
    let kind = kind.ok_or_else(|| ApiError::bad_request("the body needs a type"))?;
    let kind = ActionType::parse(&kind)
        .ok_or_else(|| ApiError::bad_request(format!("unknown action type '{kind}' in type")))?;
    let parameters = checked_parameters(kind, parameters).map_err(ApiError::bad_request)?;
    Ok((kind, parameters))
}

/// The parameters of an action of this type, checked as docs/api.md lists them; the error
/// names the parameter.
fn checked_parameters(kind: ActionType, raw: Value) -> Result<ActionParameters, String> {
    let given = match raw {
        Value::Null => Map::new(),
        Value::Object(map) => map,
        _ => return Err("parameters must be an object".to_owned()),
    };
    let mut parameters = ActionParameters::default();
    for (name, value) in given {
        if value.is_null() {
            continue;
        }
        if !takes(kind).contains(&name.as_str()) {
            return Err(format!(
                "the parameter '{name}' does not apply to {}",
                kind.as_str()
            ));
        }
        match name.as_str() {
            "message" => parameters.message = Some(text(&name, value, MESSAGE_MAX)?),
            "phoneNumber" => parameters.phone_number = Some(text(&name, value, PHONE_MAX)?),
            "footnote" => parameters.footnote = Some(text(&name, value, FOOTNOTE_MAX)?),
            "bundleId" => parameters.bundle_id = Some(text(&name, value, usize::MAX)?),
            "preserveDataPlan" => parameters.preserve_data_plan = Some(flag(&name, &value)?),
            _ => parameters.return_to_service = Some(flag(&name, &value)?),
        }
    }
    required(kind, &parameters)?;
    Ok(parameters)
}

/// The parameter names each type takes.
fn takes(kind: ActionType) -> &'static [&'static str] {
    match kind {
        ActionType::DeviceLock => &["message"],
        ActionType::EnableLostMode => &["message", "phoneNumber", "footnote"],
        ActionType::EraseDevice => &["preserveDataPlan", "returnToService"],
        ActionType::InstallApp | ActionType::RemoveApp => &["bundleId"],
        ActionType::DisableLostMode
        | ActionType::PlayLostModeSound
        | ActionType::DeviceLocation
        | ActionType::RestartDevice
        | ActionType::ShutDownDevice
        | ActionType::ClearPasscode => &[],
    }
}

fn required(kind: ActionType, parameters: &ActionParameters) -> Result<(), String> {
    let present = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
    match kind {
        ActionType::EnableLostMode
            if !present(&parameters.message) && !present(&parameters.phone_number) =>
        {
            Err("ENABLE_LOST_MODE needs the parameter 'message' or 'phoneNumber'".to_owned())
        }
        ActionType::InstallApp | ActionType::RemoveApp if !present(&parameters.bundle_id) => {
            Err(format!("{} needs the parameter 'bundleId'", kind.as_str()))
        }
        _ => Ok(()),
    }
}

fn text(name: &str, value: Value, max: usize) -> Result<String, String> {
    let Value::String(text) = value else {
        return Err(format!("the parameter '{name}' must be a string"));
    };
    let length = text.chars().count();
    if length > max {
        return Err(format!(
            "the parameter '{name}' must be at most {max} characters, was {length}"
        ));
    }
    Ok(text)
}

fn flag(name: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("the parameter '{name}' must be true or false"))
}

/// A sort of the action query: by creation or modification date, ties in creation order.
#[derive(Debug, Clone, Copy)]
struct ActionOrder {
    by_modification: bool,
    ascending: bool,
}

impl ActionOrder {
    fn compare(self, a: &Action, b: &Action) -> Ordering {
        let order = if self.by_modification {
            a.modification_date.cmp(&b.modification_date)
        } else {
            a.creation_date.cmp(&b.creation_date)
        };
        if self.ascending {
            order
        } else {
            order.reverse()
        }
    }
}

/// Without a sort order actions come in creation order; they also sort by `creationDate` or
/// `modificationDate`.
fn action_order(order: Option<&SortOrder>) -> Result<Option<ActionOrder>, ApiError> {
    let Some(key) = order.and_then(|order| order.sort_fields.first()) else {
        return Ok(None);
    };
    let by_modification = match key.name.as_str() {
        "creationDate" => false,
        "modificationDate" => true,
        other => {
            let message = format!(
                "actions can be sorted by creationDate or modificationDate, not by '{other}'"
            );
            return Err(ApiError::bad_request(message));
        }
    };
    Ok(Some(ActionOrder {
        by_modification,
        ascending: key.ascending,
    }))
}

/// The field names a projection keeps; every one must be a field of an action.
fn projection(request: &QueryRequest) -> Result<Option<HashSet<String>>, ApiError> {
    let Some(names) = &request.fields else {
        return Ok(None);
    };
    const NAMES: [&str; 14] = [
        "uuid",
        "deviceUuid",
        "organizationUuid",
        "type",
        "state",
        "parameters",
        "createdBy",
        "creationDate",
        "modificationDate",
        "sentDate",
        "completionDate",
        "errorCode",
        "errorMessage",
        "result",
    ];
    if let Some(unknown) = names.iter().find(|name| !NAMES.contains(&name.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown field '{unknown}' in fields"
        )));
    }
    Ok(Some(names.iter().cloned().collect()))
}

fn project(action: &Action, fields: Option<&HashSet<String>>) -> Value {
    let mut value = serde_json::to_value(action).expect("actions always serialise");
    if let (Some(fields), Value::Object(map)) = (fields, &mut value) {
        map.retain(|name, _| fields.contains(name));
    }
    value
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lost_mode_needs_a_message_or_a_phone_number() {
        let none = checked_parameters(ActionType::EnableLostMode, json!({"footnote": "GSN"}));
        let blank = checked_parameters(ActionType::EnableLostMode, json!({"message": "  "}));
        let phone = checked_parameters(ActionType::EnableLostMode, json!({"phoneNumber": "+49"}));

        assert!(
            none.unwrap_err().contains("'message'"),
            "the message names the parameter"
        );
        assert!(blank.is_err(), "a blank message is no message");
        assert!(phone.is_ok(), "a phone number alone is enough");
    }

    #[test]
    fn texts_are_limited_in_characters_not_bytes() {
        let umlauts = "ä".repeat(MESSAGE_MAX);
        let too_long = "a".repeat(MESSAGE_MAX + 1);

        let fits = checked_parameters(ActionType::DeviceLock, json!({"message": umlauts}));
        let refused = checked_parameters(ActionType::DeviceLock, json!({"message": too_long}));

        assert!(
            fits.is_ok(),
            "200 umlauts are 200 characters, though 400 bytes"
        );
        assert!(
            refused.unwrap_err().contains("'message'"),
            "the message names it"
        );
    }

    #[test]
    fn parameters_of_another_type_and_wrong_types_are_refused_by_name() {
        let foreign = checked_parameters(ActionType::DeviceLock, json!({"bundleId": "a"}));
        let wrong = checked_parameters(ActionType::EraseDevice, json!({"returnToService": "yes"}));
        let missing = checked_parameters(ActionType::RemoveApp, Value::Null);

        assert!(
            foreign.unwrap_err().contains("'bundleId'"),
            "lock takes no bundle id"
        );
        assert!(
            wrong.unwrap_err().contains("'returnToService'"),
            "a flag is a bool"
        );
        assert!(
            missing.unwrap_err().contains("'bundleId'"),
            "remove needs the app"
        );
    }
}
