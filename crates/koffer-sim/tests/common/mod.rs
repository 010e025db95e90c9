//! Shared by the emulator's HTTP tests: start an emulator, find tokens and organisations, and
//! send the requests Koffer sends.

// Each test file uses only some of these.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use koffer_api::{paths, Organization, Page, Role};
use koffer_sim::{Config, Running};
use reqwest::{Client, Response};
use serde_json::{json, Value};

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
        .unwrap()
        .to_utc()
}

/// A small district on a frozen clock: it changes only when a test advances it.
pub fn frozen(seed: u64) -> Config {
    Config {
        seed,
        clock_speed: 0.0,
        start_time: Some(start_time()),
        ..Config::default()
    }
}

pub async fn start(config: Config) -> Running {
    koffer_sim::spawn(config)
        .await
        .expect("the emulator starts")
}

pub fn token(running: &Running, role: Role) -> String {
    running
        .user(role)
        .expect("the role is seeded")
        .token
        .clone()
}

pub async fn organisations(running: &Running, token: &str) -> Vec<Organization> {
    let url = format!("{}{}?limit=1000", running.url, paths::ORGANIZATIONS);
    let answer = Client::new()
        .get(url)
        .header(paths::TOKEN_HEADER, token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the organisations must be listed");
    answer.json::<Page<Organization>>().await.unwrap().results
}

/// The uuid of the organisation with this name.
pub async fn org_named(running: &Running, name: &str) -> String {
    let district_admin = token(running, Role::DistrictAdmin);
    let orgs = organisations(running, &district_admin).await;
    orgs.into_iter()
        .find(|o| o.name == name)
        .expect("the organisation is seeded")
        .uuid
}

pub async fn post(
    running: &Running,
    path: &str,
    org: Option<&str>,
    token: &str,
    body: Value,
) -> Response {
    let mut request = Client::new()
        .post(format!("{}{path}", running.url))
        .header(paths::TOKEN_HEADER, token)
        .json(&body);
    if let Some(org) = org {
        request = request.query(&[(paths::TENANT_PARAM, org)]);
    }
    request.send().await.unwrap()
}

pub async fn get(running: &Running, path: &str, token: &str) -> Response {
    let url = format!("{}{path}", running.url);
    Client::new()
        .get(url)
        .header(paths::TOKEN_HEADER, token)
        .send()
        .await
        .unwrap()
}

pub async fn query_devices(running: &Running, org: &str, token: &str, body: Value) -> Response {
    post(running, paths::DEVICE_QUERY, Some(org), token, body).await
}

/// One page of devices sorted by uuid, as Koffer's sync asks for it.
pub fn device_page(offset: u64, limit: u32) -> Value {
    json!({
        "limit": limit,
        "offset": offset,
        "getNonpagedCount": true,
        "sortOrder": {"sortFields": [{"name": "uuid", "ascending": true}]}
    })
}

pub async fn json(answer: Response) -> Value {
    answer.json().await.expect("the answer is JSON")
}

pub async fn sim_get(running: &Running, path: &str) -> Value {
    let answer = Client::new()
        .get(format!("{}{path}", running.url))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path} must answer");
    answer.json().await.unwrap()
}

pub async fn sim_post(running: &Running, path: &str, body: Value) -> Response {
    Client::new()
        .post(format!("{}{path}", running.url))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Every device of an organisation, page by page.
pub async fn all_devices(running: &Running, org: &str, token: &str, page: u32) -> Vec<Value> {
    let mut devices = Vec::new();
    loop {
        let answer =
            json(query_devices(running, org, token, device_page(devices.len() as u64, page)).await)
                .await;
        let results = answer["results"].as_array().unwrap().clone();
        let total = answer["nonpagedCount"].as_u64().unwrap();
        devices.extend(results.iter().cloned());
        if results.is_empty() || devices.len() as u64 >= total {
            return devices;
        }
    }
}
