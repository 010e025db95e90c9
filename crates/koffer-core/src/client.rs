//! The client of the central server's HTTP API.
//!
//! Reads (GETs and the `.../query` POSTs, which change nothing) are retried on 429 (honouring
//! `Retry-After`), 5xx, dropped connections and answers that do not decode, with capped
//! exponential backoff. Writes are never retried here: a write whose answer was lost may have
//! happened, and only the outbox, with its idempotency key, may send it again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::try_join_all;
use koffer_api::{
    error_code, paths, Action, CatalogApp, CopyTemplate, CreateAction, CurrentUser, Device,
    DeviceGroup, DeviceStub, ErrorBody, Filter, InstalledApp, Organization, Page, Policy,
    PublishPolicy, QueryRequest, SchoolClass, SortOrder,
};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::secrets::AccessToken;
use crate::server_url::ServerUrl;

mod lessons;

/// Devices per page of the inventory query; also the batch the sync commits.
pub const DEVICE_PAGE: u32 = 1000;
/// Device stubs (uuid and modification date) per page of the cheap listing.
const STUB_PAGE: u32 = 5000;
/// Installed-app rows per page of the many-device query.
const APP_ROWS_PAGE: u32 = 50_000;
/// Items per page of the GET lists (groups, classes, policies, apps).
const LIST_PAGE: u32 = 1000;
/// Per-device app queries in flight when the server lacks the many-device query.
const PER_DEVICE_CONCURRENCY: usize = 8;

/// How often and how patiently reads are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Debug)]
pub struct Client {
    server: ServerUrl,
    token: AccessToken,
    http: reqwest::Client,
    retry: RetryPolicy,
    max_answer_bytes: usize,
    bulk_apps_missing: AtomicBool,
}

/// One request, named for error messages.
struct Read<'a> {
    name: &'a str,
    method: Method,
    path: &'a str,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

/// Why one attempt failed, and whether another attempt may help.
enum Attempt {
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
    Fail(Error),
}

impl Client {
    pub fn new(server: ServerUrl, token: AccessToken) -> Result<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("Koffer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::InvalidInput(format!("The HTTP client could not start: {e}")))?;
        Ok(Client {
            server,
            token,
            http,
            retry: RetryPolicy::default(),
            max_answer_bytes: 256 * 1024 * 1024,
            bulk_apps_missing: AtomicBool::new(false),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    /// Bounds the size of an answer the client reads; larger ones are refused.
    pub fn with_max_answer_bytes(mut self, bytes: usize) -> Client {
        self.max_answer_bytes = bytes;
        self
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    pub async fn current_user(&self) -> Result<CurrentUser> {
        self.get("the signed-in user", paths::CURRENT_USER, None, vec![])
            .await
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>> {
        self.list_all("the organisations", paths::ORGANIZATIONS, None)
            .await
    }

    pub async fn device_groups(&self, org: &str) -> Result<Vec<DeviceGroup>> {
        self.list_all("the device groups", paths::DEVICE_GROUPS, Some(org))
            .await
    }

    pub async fn classes(&self, org: &str) -> Result<Vec<SchoolClass>> {
        self.list_all("the classes", paths::CLASSES, Some(org))
            .await
    }

    pub async fn policies(&self, org: &str) -> Result<Vec<Policy>> {
        self.list_all("the policies", paths::POLICIES, Some(org))
            .await
    }

    pub async fn catalog_apps(&self, org: &str) -> Result<Vec<CatalogApp>> {
        self.list_all("the app catalogue", paths::APPS, Some(org))
            .await
    }

    /// The organisation's device licence counts; `None` where the server has none for it (a
    /// district, or a server without licences) or does not show them to this user (a teacher),
    /// so that their absence never fails a sync.
    pub async fn licences(&self, org: &str) -> Result<Option<koffer_api::LicenceCounts>> {
        let counts = self.get("the device licences", paths::LICENSES, Some(org), vec![]);
        match counts.await {
            Ok(counts) => Ok(Some(counts)),
            Err(Error::NotFound { .. } | Error::Refused { .. } | Error::NoRights { .. }) => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The organisation's automated-enrolment profiles; none where the server has none for it.
    pub async fn dep_profiles(&self, org: &str) -> Result<Vec<koffer_api::DepProfile>> {
        let profiles = self.list_all("the enrolment profiles", paths::DEP_PROFILES, Some(org));
        match profiles.await {
            Err(Error::NotFound { .. } | Error::Refused { .. } | Error::NoRights { .. }) => {
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// One page of an organisation's devices, sorted by uuid, with the total count.
    pub async fn device_page(
        &self,
        org: &str,
        offset: u64,
        filter: Option<Filter>,
    ) -> Result<Page<Device>> {
        let body = QueryRequest {
            limit: DEVICE_PAGE,
            offset,
            get_nonpaged_count: true,
            sort_order: Some(SortOrder::ascending(paths::device_field::UUID)),
            filter,
            fields: None,
        };
        self.query("the device inventory", paths::DEVICE_QUERY, org, &body)
            .await
    }

    /// Every device's uuid and modification date: the cheap listing that finds removals.
    pub async fn device_stubs(&self, org: &str) -> Result<Vec<DeviceStub>> {
        let mut stubs = Vec::new();
        loop {
            let body = QueryRequest {
                limit: STUB_PAGE,
                offset: stubs.len() as u64,
                get_nonpaged_count: true,
                sort_order: Some(SortOrder::ascending(paths::device_field::UUID)),
                filter: None,
                fields: Some(vec![
                    paths::device_field::UUID.to_owned(),
                    paths::device_field::MODIFICATION_DATE.to_owned(),
                ]),
            };
            let page: Page<DeviceStub> = self
                .query("the device listing", paths::DEVICE_QUERY, org, &body)
                .await?;
            let total = page.nonpaged_count.unwrap_or(0);
            let got = page.results.len();
            stubs.extend(page.results);
            if got == 0 || stubs.len() as u64 >= total {
                return Ok(stubs);
            }
        }
    }

    /// Installed apps of the given devices of one organisation, each row naming its device.
    pub async fn installed_apps(&self, org: &str, devices: &[String]) -> Result<Vec<InstalledApp>> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        if !self.bulk_apps_missing.load(Ordering::Relaxed) {
            match self.installed_apps_bulk(org, devices).await {
                Err(Error::NotFound { .. }) => {
                    self.bulk_apps_missing.store(true, Ordering::Relaxed)
                }
                other => return other,
            }
            tracing::info!("the server has no many-device app query; asking per device");
        }
        self.installed_apps_per_device(devices).await
    }

    /// Installed apps of one device.
    pub async fn device_installed_apps(&self, device: &str) -> Result<Vec<InstalledApp>> {
        let path = paths::device_installed_apps(device);
        let body = QueryRequest {
            limit: 10_000,
            offset: 0,
            get_nonpaged_count: false,
            sort_order: None,
            filter: None,
            fields: None,
        };
        let read = Read {
            name: "the installed apps of a device",
            method: Method::POST,
            path: &path,
            query: vec![],
            body: Some(serde_json::to_vec(&body).expect("a query body always serialises")),
            headers: vec![],
        };
        let page: Page<InstalledApp> = self.read(&read).await?;
        Ok(page.results)
    }

    /// Asks the server to queue an action for a device. Sent once: the outbox repeats it with
    /// the same idempotency key when the answer is lost, and the server answers the action it
    /// made the first time.
    pub async fn create_action(
        &self,
        device: &str,
        idempotency_key: &str,
        action: &CreateAction,
    ) -> Result<Action> {
        let path = paths::device_actions(device);
        let write = Read {
            name: "the new action",
            method: Method::POST,
            path: &path,
            query: vec![],
            body: Some(serde_json::to_vec(action).expect("an action serialises")),
            headers: vec![(paths::IDEMPOTENCY_HEADER, idempotency_key.to_owned())],
        };
        self.write(&write).await
    }

    /// Cancels an action the device has not fetched yet.
    pub async fn cancel_action(&self, device: &str, action: &str) -> Result<Action> {
        let path = paths::device_action(device, action);
        let write = Read {
            name: "the cancellation",
            method: Method::DELETE,
            path: &path,
            query: vec![],
            body: None,
            headers: vec![],
        };
        self.write(&write).await
    }

    /// The server's state of these actions of one organisation.
    pub async fn actions(&self, org: &str, uuids: &[String]) -> Result<Vec<Action>> {
        let mut actions = Vec::new();
        for chunk in uuids.chunks(DEVICE_PAGE as usize) {
            let body = QueryRequest {
                limit: DEVICE_PAGE,
                offset: 0,
                get_nonpaged_count: false,
                sort_order: None,
                filter: Some(Filter::any_of(paths::action_field::UUID, chunk.to_vec())),
                fields: None,
            };
            let page: Page<Action> = self
                .query("the actions' states", paths::ACTION_QUERY, org, &body)
                .await?;
            actions.extend(page.results);
        }
        Ok(actions)
    }

    /// Copies a template policy into a school organisation as a new unpublished version (or a
    /// new policy). The server refuses with [`Error::PolicyChanged`] when the template's or the
    /// school copy's newest version is not the one `body` expects.
    pub async fn copy_template(
        &self,
        template: &str,
        org: &str,
        body: &CopyTemplate,
    ) -> Result<Policy> {
        let path = paths::policy_copy(template);
        let write = Read {
            name: "the copy of the template",
            method: Method::POST,
            path: &path,
            query: vec![(paths::TENANT_PARAM, org.to_owned())],
            body: Some(serde_json::to_vec(body).expect("a copy request serialises")),
            headers: vec![],
        };
        self.write(&write).await
    }

    /// Publishes one version of a policy: from then on it takes effect.
    pub async fn publish_policy(
        &self,
        policy: &str,
        org: &str,
        body: &PublishPolicy,
    ) -> Result<Policy> {
        let path = paths::policy_publish(policy);
        let write = Read {
            name: "the publication of the policy",
            method: Method::POST,
            path: &path,
            query: vec![(paths::TENANT_PARAM, org.to_owned())],
            body: Some(serde_json::to_vec(body).expect("a publish request serialises")),
            headers: vec![],
        };
        self.write(&write).await
    }

    async fn write<T: DeserializeOwned>(&self, write: &Read<'_>) -> Result<T> {
        match self.attempt(write).await {
            Ok(value) => Ok(value),
            Err(Attempt::Retry { error, .. } | Attempt::Fail(error)) => Err(error),
        }
    }

    async fn installed_apps_bulk(
        &self,
        org: &str,
        devices: &[String],
    ) -> Result<Vec<InstalledApp>> {
        let filter = Filter::any_of(paths::app_field::DEVICE_UUID, devices.to_vec());
        let mut rows = Vec::new();
        loop {
            let body = QueryRequest {
                limit: APP_ROWS_PAGE,
                offset: rows.len() as u64,
                get_nonpaged_count: true,
                sort_order: None,
                filter: Some(filter.clone()),
                fields: None,
            };
            let page: Page<InstalledApp> = self
                .query(
                    "the installed apps",
                    paths::INSTALLED_APPS_QUERY,
                    org,
                    &body,
                )
                .await?;
            let got = page.results.len();
            rows.extend(page.results);
            if got == 0 || rows.len() as u64 >= page.nonpaged_count.unwrap_or(0) {
                return Ok(rows);
            }
        }
    }

    async fn installed_apps_per_device(&self, devices: &[String]) -> Result<Vec<InstalledApp>> {
        let mut rows = Vec::new();
        for chunk in devices.chunks(PER_DEVICE_CONCURRENCY) {
            let lists = try_join_all(chunk.iter().map(|uuid| self.tagged_apps(uuid))).await?;
            rows.extend(lists.into_iter().flatten());
        }
        Ok(rows)
    }

    async fn tagged_apps(&self, device: &str) -> Result<Vec<InstalledApp>> {
        let apps = self.device_installed_apps(device).await?;
        let tag = |app| InstalledApp {
            device_uuid: Some(device.to_owned()),
            ..app
        };
        Ok(apps.into_iter().map(tag).collect())
    }

    async fn list_all<T: DeserializeOwned>(
        &self,
        name: &str,
        path: &str,
        org: Option<&str>,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        loop {
            let paging = vec![
                ("limit", LIST_PAGE.to_string()),
                ("offset", items.len().to_string()),
            ];
            let page: Page<T> = self.get(name, path, org, paging).await?;
            let got = page.results.len();
            items.extend(page.results);
            if got == 0 || items.len() as u64 >= page.nonpaged_count.unwrap_or(0) {
                return Ok(items);
            }
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        name: &str,
        path: &str,
        org: Option<&str>,
        mut query: Vec<(&'static str, String)>,
    ) -> Result<T> {
        if let Some(org) = org {
            query.push((paths::TENANT_PARAM, org.to_owned()));
        }
        let headers = vec![];
        self.read(&Read {
            name,
            method: Method::GET,
            path,
            query,
            body: None,
            headers,
        })
        .await
    }

    async fn query<T: DeserializeOwned, B: Serialize>(
        &self,
        name: &str,
        path: &str,
        org: &str,
        body: &B,
    ) -> Result<T> {
        let read = Read {
            name,
            method: Method::POST,
            path,
            query: vec![(paths::TENANT_PARAM, org.to_owned())],
            body: Some(serde_json::to_vec(body).expect("a query body always serialises")),
            headers: vec![],
        };
        self.read(&read).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(request = read.name, path = read.path))]
    async fn read<T: DeserializeOwned>(&self, read: &Read<'_>) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(read).await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            match failure {
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, .. } if attempt >= self.retry.attempts => {
                    return Err(error)
                }
                Attempt::Retry { error, wait } => {
                    let delay = wait.unwrap_or_else(|| self.backoff(attempt));
                    tracing::debug!(attempt, ?delay, %error, "retrying a read");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.retry.first_delay.saturating_mul(1 << attempt.min(16));
        let capped = exponential.min(self.retry.max_delay);
        capped.mul_f64(rand::rng().random_range(0.5..1.0))
    }

    async fn attempt<T: DeserializeOwned>(&self, read: &Read<'_>) -> Result<T, Attempt> {
        let mut request = self
            .http
            .request(read.method.clone(), self.server.join(read.path))
            .header(paths::TOKEN_HEADER, self.token.expose())
            .query(&read.query);
        for (name, value) in &read.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &read.body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = self.bounded_body(read, response).await?;
        if !status.is_success() {
            return Err(status_failure(read.name, status, &body, retry_after));
        }
        serde_json::from_slice(&body).map_err(|e| Attempt::Retry {
            error: Error::BadAnswer {
                request: read.name.to_owned(),
                reason: e.to_string(),
            },
            wait: None,
        })
    }

    fn transport_failure(&self, error: &reqwest::Error) -> Attempt {
        let reason = if error.is_timeout() {
            "no answer in time".to_owned()
        } else if error.is_connect() {
            "connection refused or host unknown".to_owned()
        } else {
            "the connection was dropped".to_owned()
        };
        Attempt::Retry {
            error: Error::Unreachable {
                server: self.server.to_string(),
                reason,
            },
            wait: None,
        }
    }

    async fn bounded_body(
        &self,
        read: &Read<'_>,
        response: reqwest::Response,
    ) -> Result<Vec<u8>, Attempt> {
        let too_large = || {
            Attempt::Fail(Error::AnswerTooLarge {
                request: read.name.to_owned(),
                limit_mib: self.max_answer_bytes.div_ceil(1024 * 1024),
            })
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_answer_bytes as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(&e))?
        {
            if body.len() + chunk.len() > self.max_answer_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn server_says_text(body: &[u8]) -> String {
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.message)
        .ok();
    message
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "no reason given".to_owned())
}

fn error_code_of(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error_code)
        .unwrap_or_default()
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds = response
        .headers()
        .get("Retry-After")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(u64::min(seconds, 60)))
}

fn status_failure(name: &str, status: StatusCode, body: &[u8], wait: Option<Duration>) -> Attempt {
    let server_says = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.message)
        .ok();
    let detail = server_says
        .filter(|m| !m.is_empty())
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let server_error = Error::Server {
        request: name.to_owned(),
        status: status.as_u16(),
        detail,
    };
    if status == StatusCode::CONFLICT && error_code_of(body) == error_code::POLICY_CHANGED {
        return Attempt::Fail(Error::PolicyChanged {
            policy: name.to_owned(),
            not_done: "changed".to_owned(),
        });
    }
    match status {
        StatusCode::UNAUTHORIZED => Attempt::Fail(Error::TokenRejected),
        StatusCode::FORBIDDEN => Attempt::Fail(Error::NoRights {
            what: name.to_owned(),
        }),
        StatusCode::NOT_FOUND => Attempt::Fail(Error::NotFound {
            what: name.to_owned(),
        }),
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT => Attempt::Fail(Error::Refused {
            request: name.to_owned(),
            reason: server_says_text(body),
        }),
        StatusCode::TOO_MANY_REQUESTS => Attempt::Retry {
            error: server_error,
            wait,
        },
        s if s.is_server_error() => Attempt::Retry {
            error: server_error,
            wait: None,
        },
        _ => Attempt::Fail(server_error),
    }
}
