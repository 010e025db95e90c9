//! Policies, licences and enrolment as docs/api.md describes them: copying a template into a
//! school, publishing a version, device licence counts and DEP profiles; and the control
//! route `/sim/policies/{uuid}/bump` that changes a policy as someone else would.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use koffer_api::{paths, CopyTemplate, PolicyConfiguration, PublishPolicy, Role, TimeWindow};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::api::{self, Answer, ListParams, TenantParams};
use crate::district::{District, OrgIdx};
use crate::error::ApiError;
use crate::licences;
use crate::policies::{self, Bump, Expected, Refusal};
use crate::state::Sim;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(&paths::policy_copy("{uuid}"), post(copy))
        .route(&paths::policy_publish("{uuid}"), post(publish))
        .route(paths::LICENSES, get(licence_counts))
        .route(paths::DEP_PROFILES, get(dep_profiles))
}

/// Control routes: no token, never faulted.
pub fn control_routes() -> Router<Arc<Sim>> {
    Router::new().route("/sim/policies/{uuid}/bump", post(bump))
}

async fn copy(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let Path(template) = uuid.map_err(|_| ApiError::not_found("no such policy"))?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let school = changing_org(&world.district, &headers, params.tenant.as_deref())?;
    let request: CopyTemplate = decode(body)?;

    let expected = Expected {
        template_version: request.expected_template_version,
        target_version: request.expected_target_version,
    };
    let copy = policies::copy_template(&mut world.district, &template, school, expected, now)
        .map_err(refused)?;
    tracing::info!(
        template,
        copy = copy.uuid,
        version = copy.version,
        "template copied"
    );
    Ok(api::ok(&copy))
}

async fn publish(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uuid: Result<Path<String>, PathRejection>,
    params: Result<Query<TenantParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let Path(uuid) = uuid.map_err(|_| ApiError::not_found("no such policy"))?;
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let org = changing_org(&world.district, &headers, params.tenant.as_deref())?;
    let PublishPolicy { version } = decode(body)?;

    let policy =
        policies::publish(&mut world.district, org, &uuid, version, now).map_err(refused)?;
    tracing::info!(policy = policy.uuid, version, "policy published");
    Ok(api::ok(&policy))
}

async fn licence_counts(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<TenantParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let org = api::tenant(&world.district, &headers, params.tenant.as_deref())?;
    Ok(api::ok(&licences::counts(&world.district, org)))
}

async fn dep_profiles(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let params = api::accept_query(params)?;
    let world = sim.current();
    let org = api::tenant(&world.district, &headers, params.tenant.as_deref())?;
    api::list(&licences::dep_profiles(&world.district, org), &params)
}

/// Body of `/sim/policies/{uuid}/bump`; everything may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BumpBody {
    configurations: Option<Vec<PolicyConfiguration>>,
    time_windows: Option<Vec<TimeWindow>>,
    #[serde(default = "published_by_default")]
    published: bool,
}

fn published_by_default() -> bool {
    true
}

/// Appends a version to any policy, published unless the body says otherwise.
async fn bump(
    State(sim): State<Arc<Sim>>,
    uuid: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let Path(uuid) = uuid.map_err(|_| ApiError::not_found("no such policy"))?;
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    let request: BumpBody = if body.is_empty() {
        BumpBody {
            published: true,
            ..BumpBody::default()
        }
    } else {
        decode(Ok(body))?
    };
    let mut world = sim.current_mut();
    let now = sim.clock.now();
    let change = Bump {
        configurations: request.configurations,
        time_windows: request.time_windows,
        published: request.published,
    };
    let policy = policies::bump(&mut world.district, &uuid, change, now)
        .ok_or_else(|| ApiError::not_found("no such policy"))?;
    tracing::info!(
        policy = policy.uuid,
        version = policy.version,
        "policy bumped"
    );
    Ok(api::ok(&policy))
}

/// The organisation a policy change acts in: rights on it, and not a teacher's token.
fn changing_org(
    district: &District,
    headers: &HeaderMap,
    tenant: Option<&str>,
) -> Result<OrgIdx, ApiError> {
    let org = api::tenant(district, headers, tenant)?;
    if api::signed_in(district, headers)?.role == Role::Teacher {
        let message = "a teacher may not change policies; that needs a school or district admin";
        return Err(ApiError::forbidden(message));
    }
    Ok(org)
}

fn refused(refusal: Refusal) -> ApiError {
    let code = refusal.code();
    match refusal {
        Refusal::NotFound(message) => ApiError::not_found(message),
        Refusal::BadRequest(message) => ApiError::bad_request(message),
        Refusal::Changed(message) => ApiError::coded(StatusCode::CONFLICT, code, message),
    }
}

fn decode<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body =
        body.map_err(|e| ApiError::bad_request(format!("the body could not be read: {e}")))?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body does not decode: {e}")))
}
