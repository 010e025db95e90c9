//! The central server's API as docs/api.md describes it: users, organisations, the device and
//! installed-app queries, and the paged lists of groups, classes, policies and apps. Device
//! actions are in [`crate::action_api`], which shares the helpers here.
//!
//! Every handler signs the token in, picks the organisation (`tenantOrganizationUuid`, or the
//! user's own) and checks the token's rights on it before it reads anything.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use koffer_api::filter::LogOperation;
use koffer_api::{paths, CurrentUser, Filter, QueryRequest};
use serde::{Deserialize, Serialize};

use crate::district::{Account, District, OrgIdx, Organisation};
use crate::error::{json_response, ApiError};
use crate::fields::{AppField, DeviceField, FieldSet};
use crate::inventory::{Device, Inventory};
use crate::lesson_api;
use crate::query::{self, AppRow, DeviceSortKey, Predicate};
use crate::render::{self, AppJson, DeviceJson, PageJson};
use crate::state::Sim;
use crate::uuid::Uuid;

/// Largest page of the device query.
const DEVICE_LIMIT: u32 = 5000;
/// Largest page of the installed-app queries.
const APP_LIMIT: u32 = 50_000;
/// Most devices one many-device app query may name.
const BULK_DEVICES: usize = 5000;
/// Largest and default page of the GET lists.
const LIST_LIMIT: i64 = 1000;
const LIST_DEFAULT: i64 = 100;

pub type Answer = Result<Response, ApiError>;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(paths::CURRENT_USER, get(current_user))
        .route(paths::ORGANIZATIONS, get(organizations))
        .route(paths::DEVICE_QUERY, post(device_query))
        .route(
            &paths::device_installed_apps("{uuid}"),
            post(device_installed_apps),
        )
        .route(paths::INSTALLED_APPS_QUERY, post(installed_apps_query))
        .route(paths::DEVICE_GROUPS, get(device_groups))
        .route(paths::CLASSES, get(classes))
        .route(paths::POLICIES, get(policies))
        .route(paths::APPS, get(apps))
}

#[derive(Debug, Deserialize)]
pub struct TenantParams {
    #[serde(rename = "tenantOrganizationUuid")]
    pub tenant: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(rename = "tenantOrganizationUuid")]
    pub tenant: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

async fn current_user(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Answer {
    let world = sim.current();
    let district = &world.district;
    let account = signed_in(district, &headers)?;
    let user = CurrentUser {
        uuid: account.uuid.clone(),
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        role: account.role,
        organization_uuid: district.organisations[account.home].uuid().to_owned(),
    };
    Ok(ok(&user))
}

async fn organizations(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let params = accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let account = signed_in(district, &headers)?;
    let visible: Vec<_> = account
        .rights
        .iter()
        .map(|&org| &district.organisations[org].wire)
        .collect();
    list(&visible, &params)
}

async fn device_groups(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    org_list(&sim, &headers, params, |org| &org.groups)
}

/// A teacher's token lists only the classes the teacher teaches.
async fn classes(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let params = accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let org = tenant(district, &headers, params.tenant.as_deref())?;
    let account = signed_in(district, &headers)?;
    list(
        &lesson_api::visible_classes(district, account, org),
        &params,
    )
}

async fn policies(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    org_list(&sim, &headers, params, |org| &org.policies)
}

async fn apps(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    org_list(&sim, &headers, params, |org| &org.catalogue)
}

/// One of the organisation's paged GET lists.
fn org_list<T: Serialize>(
    sim: &Sim,
    headers: &HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
    items: impl Fn(&Organisation) -> &Vec<T>,
) -> Answer {
    let params = accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let org = tenant(district, headers, params.tenant.as_deref())?;
    list(items(&district.organisations[org]), &params)
}

/// One page of a GET list, with the count.
pub fn list<T: Serialize>(items: &[T], params: &ListParams) -> Answer {
    let limit = params.limit.unwrap_or(LIST_DEFAULT);
    if !(1..=LIST_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1..={LIST_LIMIT}, was {limit}"
        )));
    }
    let offset = params.offset.unwrap_or(0);
    let offset = usize::try_from(offset)
        .map_err(|_| ApiError::bad_request(format!("offset must be 0 or more, was {offset}")))?;
    let results: Vec<&T> = items.iter().skip(offset).take(limit as usize).collect();
    Ok(ok(&PageJson {
        results,
        nonpaged_count: Some(items.len() as u64),
    }))
}

async fn device_query(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let org = tenant(district, &headers, params.tenant.as_deref())?;
    let request = decode_query(body, DEVICE_LIMIT)?;
    let predicate = compile::<DeviceField>(request.filter.as_ref())?;
    let sort = query::device_sort(request.sort_order.as_ref()).map_err(ApiError::bad_request)?;
    let fields = FieldSet::of_devices(request.fields.as_deref()).map_err(ApiError::bad_request)?;
    let scope = lesson_api::teacher_scope(district, signed_in(district, &headers)?, org);

    let inventory = &district.inventory;
    let (devices, total) = match &scope {
        Some(scope) => {
            lesson_api::select_scoped(inventory, org, scope, predicate.as_ref(), &sort, &request)
        }
        None => select_devices(inventory, org, predicate.as_ref(), &sort, &request),
    };

    let results = devices
        .into_iter()
        .map(|device| DeviceJson {
            device,
            district,
            fields,
        })
        .collect();
    Ok(ok(&PageJson {
        results,
        nonpaged_count: total,
    }))
}

/// The page of the organisation's devices the request asks for. In uuid order the page comes
/// straight from the organisation's uuid map, without sorting.
///
/// Known limit: other sort orders sort the matching devices on every request, O(n log n).
fn select_devices<'a>(
    inventory: &'a Inventory,
    org: OrgIdx,
    predicate: Option<&Predicate<DeviceField>>,
    sort: &[DeviceSortKey],
    request: &QueryRequest,
) -> (Vec<&'a Device>, Option<u64>) {
    let (offset, limit, count) = (request.offset, request.limit, request.get_nonpaged_count);
    let devices = inventory.of_org(org);
    match (sort.first(), predicate) {
        (None, None)
        | (
            Some(DeviceSortKey {
                field: DeviceField::Uuid,
                ascending: true,
            }),
            None,
        ) => {
            let total = count.then_some(inventory.count_in(org) as u64);
            (query::window(devices, offset, limit, false).0, total)
        }
        (
            Some(DeviceSortKey {
                field: DeviceField::Uuid,
                ascending: false,
            }),
            None,
        ) => {
            let total = count.then_some(inventory.count_in(org) as u64);
            (query::window(devices.rev(), offset, limit, false).0, total)
        }
        (None, Some(predicate))
        | (
            Some(DeviceSortKey {
                field: DeviceField::Uuid,
                ascending: true,
            }),
            Some(predicate),
        ) => query::window(
            devices.filter(|d| predicate.matches(*d)),
            offset,
            limit,
            count,
        ),
        (Some(_), _) => {
            let mut matching: Vec<&Device> = devices
                .filter(|d| query::matches_optional(predicate, *d))
                .collect();
            matching.sort_by(|a, b| query::compare_devices(a, b, sort));
            query::window(matching.into_iter(), offset, limit, count)
        }
    }
}

async fn device_installed_apps(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let world = sim.current();
    let district = &world.district;
    let account = signed_in(district, &headers)?;
    let device = find_device(district, uuid)?;
    if !account.may_act_in(device.org) {
        return Err(ApiError::forbidden(
            "the access token has no rights on this device",
        ));
    }
    lesson_api::teacher_may_see(district, account, device)?;
    let request = decode_query(body, APP_LIMIT)?;
    let predicate = compile::<AppField>(request.filter.as_ref())?;
    let fields = FieldSet::of_apps(request.fields.as_deref()).map_err(ApiError::bad_request)?;
    let descending = app_order_descending(&request)?;

    let mut rows: Vec<AppRow> = device
        .apps
        .iter()
        .map(|&install| AppRow {
            device: device.uuid,
            install,
        })
        .filter(|row| query::matches_optional(predicate.as_ref(), row))
        .collect();
    if descending {
        rows.reverse();
    }
    let (page, total) = query::window(
        rows.into_iter(),
        request.offset,
        request.limit,
        request.get_nonpaged_count,
    );

    let results = page
        .into_iter()
        .map(|row| AppJson {
            row,
            with_device: false,
            fields,
        })
        .collect();
    Ok(ok(&PageJson {
        results,
        nonpaged_count: total,
    }))
}

pub fn find_device(
    district: &District,
    uuid: Result<Path<String>, PathRejection>,
) -> Result<&Device, ApiError> {
    let Path(uuid) = uuid.map_err(|_| ApiError::not_found("no such device"))?;
    device_named(district, &uuid)
}

/// The device with this uuid text.
pub fn device_named<'a>(district: &'a District, uuid: &str) -> Result<&'a Device, ApiError> {
    Uuid::parse(uuid)
        .and_then(|uuid| district.inventory.get(uuid))
        .ok_or_else(|| ApiError::not_found("no such device"))
}

/// Apps of a device come in bundle id order; only that order, either way, can be asked for.
fn app_order_descending(request: &QueryRequest) -> Result<bool, ApiError> {
    let Some(order) = &request.sort_order else {
        return Ok(false);
    };
    match order.sort_fields.as_slice() {
        [] => Ok(false),
        [key, ..] if key.name == AppField::BundleId.name() => Ok(!key.ascending),
        [key, ..] => Err(ApiError::bad_request(format!(
            "installed apps can only be sorted by bundleId, not by '{}'",
            key.name
        ))),
    }
}

/// Installed apps of many devices of one organisation, sorted by device uuid, then bundle id.
/// The sort order of the request is not used: this query has only that one order.
async fn installed_apps_query(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = accept_query(params)?;
    let world = sim.current();
    let district = &world.district;
    let org = tenant(district, &headers, params.tenant.as_deref())?;
    let request = decode_query(body, APP_LIMIT)?;
    let named = named_devices(request.filter.as_ref())?;
    let predicate = compile::<AppField>(request.filter.as_ref())?;
    let fields = FieldSet::of_apps(request.fields.as_deref()).map_err(ApiError::bad_request)?;
    let scope = lesson_api::teacher_scope(district, signed_in(district, &headers)?, org);

    let devices: BTreeSet<Uuid> = named
        .iter()
        .filter_map(|text| Uuid::parse(text))
        .filter(|uuid| scope.as_ref().is_none_or(|scope| scope.contains(uuid)))
        .collect();
    let rows = devices
        .into_iter()
        .filter_map(|uuid| district.inventory.get_in(org, uuid))
        .flat_map(|device| {
            device.apps.iter().map(|&install| AppRow {
                device: device.uuid,
                install,
            })
        })
        .filter(|row| query::matches_optional(predicate.as_ref(), row));
    let (page, total) = query::window(
        rows,
        request.offset,
        request.limit,
        request.get_nonpaged_count,
    );

    let results = page
        .into_iter()
        .map(|row| AppJson {
            row,
            with_device: true,
            fields,
        })
        .collect();
    Ok(ok(&PageJson {
        results,
        nonpaged_count: total,
    }))
}

/// The device uuids of the `stringEnum` on `deviceUuid` the many-device query requires, at the
/// top of the filter or directly under a top-level `AND`.
fn named_devices(filter: Option<&Filter>) -> Result<&[String], ApiError> {
    let values = match filter {
        Some(Filter::LogOp {
            operation: LogOperation::And,
            filters,
        }) => filters.iter().find_map(device_enum),
        Some(leaf) => device_enum(leaf),
        None => None,
    };
    let values = values
        .ok_or_else(|| ApiError::bad_request("the filter must hold a stringEnum on deviceUuid"))?;
    if values.len() > BULK_DEVICES {
        let message = format!(
            "at most {BULK_DEVICES} device uuids per query, got {}",
            values.len()
        );
        return Err(ApiError::bad_request(message));
    }
    Ok(values)
}

fn device_enum(filter: &Filter) -> Option<&[String]> {
    match filter {
        Filter::StringEnum { field_name, values }
            if field_name == paths::app_field::DEVICE_UUID =>
        {
            Some(values)
        }
        _ => None,
    }
}

/// The account behind the request's token.
pub fn signed_in<'a>(district: &'a District, headers: &HeaderMap) -> Result<&'a Account, ApiError> {
    let token = headers
        .get(paths::TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("the request carries no access token"))?;
    district
        .signed_in(token)
        .ok_or_else(|| ApiError::unauthorized("the access token is unknown or revoked"))
}

/// The organisation the request acts in, after checking the token's rights on it.
pub fn tenant(
    district: &District,
    headers: &HeaderMap,
    uuid: Option<&str>,
) -> Result<OrgIdx, ApiError> {
    let account = signed_in(district, headers)?;
    let org = match uuid {
        None => account.home,
        Some(uuid) => district
            .org_by_uuid(uuid)
            .ok_or_else(|| ApiError::not_found(format!("no organisation {uuid}")))?,
    };
    if !account.may_act_in(org) {
        return Err(ApiError::forbidden(
            "the access token has no rights on this organisation",
        ));
    }
    Ok(org)
}

pub fn accept_query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(params)| params)
        .map_err(|rejection| ApiError::bad_request(format!("bad query parameter: {rejection}")))
}

pub fn decode_query(
    body: Result<Bytes, BytesRejection>,
    max_limit: u32,
) -> Result<QueryRequest, ApiError> {
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    let request: QueryRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the query body does not decode: {e}")))?;
    if !(1..=max_limit).contains(&request.limit) {
        let message = format!("limit must be 1..={max_limit}, was {}", request.limit);
        return Err(ApiError::bad_request(message));
    }
    Ok(request)
}

pub fn compile<F: query::FilterField>(
    filter: Option<&Filter>,
) -> Result<Option<Predicate<F>>, ApiError> {
    filter
        .map(Predicate::compile)
        .transpose()
        .map_err(ApiError::bad_request)
}

pub fn ok(value: &impl Serialize) -> Response {
    json_response(StatusCode::OK, render::to_json(value))
}
