//! Injected faults over real HTTP: each kind, forced alone, shows on the wire as described.

mod common;

use std::time::{Duration, Instant};

use common::*;
use koffer_api::{paths, Role};
use koffer_sim::{Config, FaultKind, Running};
use serde_json::{json, Value};

/// An emulator that faults every request of the server's API with this one kind.
async fn always(kind: FaultKind) -> Running {
    start(Config {
        faults: 1.0,
        fault_kinds: vec![kind],
        ..frozen(1)
    })
    .await
}

async fn organisations_answer(running: &Running) -> reqwest::Response {
    let path = format!("{}?limit=1000", paths::ORGANIZATIONS);
    get(running, &path, &token(running, Role::DistrictAdmin)).await
}

async fn stop_faults(running: &Running) {
    let answer = sim_post(running, "/sim/faults", json!({"probability": 0.0})).await;
    assert!(
        answer.status().is_success(),
        "the fault probability can be changed"
    );
}

#[tokio::test]
async fn a_latency_fault_delays_a_normal_answer() {
    let running = always(FaultKind::Latency).await;
    let started = Instant::now();

    let answer = organisations_answer(&running).await;

    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "at least 50 ms of added latency"
    );
    assert_eq!(answer.status(), 200, "after the delay the answer is normal");
    assert!(
        answer.json::<Value>().await.is_ok(),
        "and its body is whole"
    );
}

#[tokio::test]
async fn a_429_fault_asks_to_retry_after_a_second() {
    let running = always(FaultKind::TooManyRequests).await;

    let answer = organisations_answer(&running).await;

    assert_eq!(answer.status(), 429, "too many requests");
    assert_eq!(
        answer.headers()["retry-after"],
        "1",
        "clients wait Retry-After seconds"
    );
    assert_eq!(
        json(answer).await["errorCode"],
        "TOO_MANY_REQUESTS",
        "with an error body"
    );
}

#[tokio::test]
async fn server_error_faults_answer_500_and_503_with_error_bodies() {
    let failing = always(FaultKind::ServerError).await;
    let unavailable = always(FaultKind::Unavailable).await;

    let first = organisations_answer(&failing).await;
    let second = organisations_answer(&unavailable).await;

    assert_eq!(first.status(), 500, "an internal error");
    assert_eq!(json(first).await["errorCode"], "SERVER_ERROR", "its code");
    assert_eq!(second.status(), 503, "a temporarily unavailable server");
    assert_eq!(json(second).await["errorCode"], "UNAVAILABLE", "its code");
}

#[tokio::test]
async fn a_dropped_connection_breaks_the_answer_midway() {
    let running = always(FaultKind::DroppedConnection).await;

    let answer = organisations_answer(&running).await;
    let status = answer.status();
    let body = answer.bytes().await;

    assert_eq!(
        status, 200,
        "status and headers arrive before the connection breaks"
    );
    let error = body.expect_err("the body must not arrive whole");
    assert!(
        error.is_body() || error.is_decode(),
        "the body transfer breaks: {error:?}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_complete_answer_with_half_the_json() {
    let running = always(FaultKind::TruncatedBody).await;

    let truncated = organisations_answer(&running).await;
    let length = truncated.content_length();
    let cut = truncated
        .bytes()
        .await
        .expect("the HTTP answer itself is complete");
    stop_faults(&running).await;
    let whole = organisations_answer(&running).await.bytes().await.unwrap();

    assert_eq!(
        length,
        Some(cut.len() as u64),
        "Content-Length matches the cut body"
    );
    assert_eq!(
        cut,
        whole[..whole.len() / 2],
        "the first half of the real body"
    );
    assert!(
        serde_json::from_slice::<Value>(&cut).is_err(),
        "which is not valid JSON"
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_200_that_does_not_parse() {
    let running = always(FaultKind::MalformedJson).await;

    let answer = organisations_answer(&running).await;

    assert_eq!(answer.status(), 200, "the status claims success");
    let body = answer.bytes().await.unwrap();
    assert!(
        serde_json::from_slice::<Value>(&body).is_err(),
        "but the JSON is broken"
    );
}

#[tokio::test]
async fn the_control_api_is_never_faulted() {
    let running = start(Config {
        faults: 1.0,
        ..frozen(1)
    })
    .await;

    for _ in 0..20 {
        let clock = reqwest::get(format!("{}/sim/clock", running.url))
            .await
            .unwrap();

        assert_eq!(
            clock.status(),
            200,
            "/sim must answer even at fault probability 1"
        );
        assert!(clock.json::<Value>().await.is_ok(), "and answer whole JSON");
    }
}

#[tokio::test]
async fn faults_can_be_switched_off_while_running() {
    let running = always(FaultKind::Unavailable).await;
    let before = organisations_answer(&running).await;

    stop_faults(&running).await;
    let after = organisations_answer(&running).await;

    assert_eq!(
        before.status(),
        503,
        "every request faulted at probability 1"
    );
    assert_eq!(after.status(), 200, "none at probability 0");
}

#[tokio::test]
async fn a_fault_probability_outside_0_to_1_is_refused() {
    let running = start(frozen(1)).await;

    let answer = sim_post(&running, "/sim/faults", json!({"probability": 1.5})).await;

    assert_eq!(answer.status(), 400, "a probability must lie in 0..=1");
}
