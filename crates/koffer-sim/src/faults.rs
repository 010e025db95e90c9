//! Injected faults: what a flaky network and an overloaded server do to a client.
//!
//! With the configured probability a request of the central server's API (never `/sim`) gets
//! one fault, drawn uniformly from the allowed kinds. The draws come from their own ChaCha
//! stream of the seed, so faults never disturb the seeded data or the churn.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{ApiError, JSON};
use crate::state::Sim;

/// ChaCha stream of the fault draws (data uses stream 0, churn stream 1).
const FAULT_STREAM: u64 = 2;

/// The body of a malformed answer: JSON that stops making sense.
const MALFORMED_BODY: &str = r#"{"results": [oops"#;

/// How long a dropped answer streams before the connection breaks.
const DROP_AFTER: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// 50 to 300 ms of extra latency, then the normal answer.
    Latency,
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// 500.
    ServerError,
    /// 503.
    Unavailable,
    /// Status and headers, part of the body, then the connection breaks.
    DroppedConnection,
    /// A complete HTTP answer whose body is the first half of the real JSON.
    TruncatedBody,
    /// 200 with a body that is not JSON.
    MalformedJson,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Latency,
        FaultKind::TooManyRequests,
        FaultKind::ServerError,
        FaultKind::Unavailable,
        FaultKind::DroppedConnection,
        FaultKind::TruncatedBody,
        FaultKind::MalformedJson,
    ];

    /// The name `--fault-kinds` takes.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::TooManyRequests => "429",
            FaultKind::ServerError => "500",
            FaultKind::Unavailable => "503",
            FaultKind::DroppedConnection => "drop",
            FaultKind::TruncatedBody => "truncate",
            FaultKind::MalformedJson => "malformed",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(text: &str) -> Result<FaultKind, String> {
        FaultKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::ALL.iter().map(|kind| kind.name()).collect();
                format!(
                    "unknown fault kind '{text}'; known kinds: {}",
                    names.join(", ")
                )
            })
    }
}

/// One drawn fault.
#[derive(Debug, Clone, Copy)]
struct Fault {
    kind: FaultKind,
    latency: Duration,
}

#[derive(Debug)]
pub struct Faults {
    probability_bits: AtomicU64,
    kinds: Vec<FaultKind>,
    rng: Mutex<ChaCha8Rng>,
}

impl Faults {
    /// Faults of the given kinds (all kinds when none are given).
    pub fn new(seed: u64, probability: f64, kinds: &[FaultKind]) -> Faults {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(FAULT_STREAM);
        let kinds = if kinds.is_empty() {
            FaultKind::ALL.to_vec()
        } else {
            kinds.to_vec()
        };
        Faults {
            probability_bits: AtomicU64::new(probability.to_bits()),
            kinds,
            rng: Mutex::new(rng),
        }
    }

    /// The caller checked that `probability` lies in 0..=1.
    pub fn set_probability(&self, probability: f64) {
        self.probability_bits
            .store(probability.to_bits(), Ordering::SeqCst);
    }

    pub fn probability(&self) -> f64 {
        f64::from_bits(self.probability_bits.load(Ordering::SeqCst))
    }

    fn draw(&self) -> Option<Fault> {
        let probability = self.probability();
        if probability <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        if !rng.random_bool(probability) {
            return None;
        }
        let kind = *self
            .kinds
            .choose(&mut *rng)
            .expect("at least one fault kind");
        Some(Fault {
            kind,
            latency: Duration::from_millis(rng.random_range(50..=300)),
        })
    }
}

/// Middleware on the API routes: maybe a fault instead of, or on top of, the real answer.
pub async fn inject(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let Some(fault) = sim.faults.draw() else {
        return next.run(request).await;
    };
    tracing::info!(fault = %fault.kind, path = request.uri().path(), "injecting a fault");
    match fault.kind {
        FaultKind::Latency => {
            tokio::time::sleep(fault.latency).await;
            next.run(request).await
        }
        FaultKind::TooManyRequests => ApiError::too_many_requests().into_response(),
        FaultKind::ServerError => ApiError::server_error().into_response(),
        FaultKind::Unavailable => ApiError::unavailable().into_response(),
        FaultKind::DroppedConnection => drop_midway(next.run(request).await).await,
        FaultKind::TruncatedBody => truncate(next.run(request).await).await,
        FaultKind::MalformedJson => malformed(),
    }
}

/// Sends status, headers and half the body as a chunked stream, then breaks the stream, so
/// the server aborts the connection before the answer is complete.
async fn drop_midway(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let first_half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    let head = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(first_half) });
    let broken = futures::stream::once(async {
        tokio::time::sleep(DROP_AFTER).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault",
        ))
    });
    Response::from_parts(parts, Body::from_stream(head.chain(broken)))
}

/// A complete answer (its Content-Length matches) carrying only half of the real body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let first_half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(first_half.len()));
    Response::from_parts(parts, Body::from(first_half))
}

fn malformed() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, JSON)],
        MALFORMED_BODY,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_kinds_read_back_their_names() {
        let parsed: Vec<FaultKind> = FaultKind::ALL
            .iter()
            .map(|k| k.name().parse().unwrap())
            .collect();

        assert_eq!(
            parsed,
            FaultKind::ALL,
            "--fault-kinds must accept every name it prints"
        );
        assert!(
            "teapot".parse::<FaultKind>().is_err(),
            "unknown kinds are refused"
        );
    }

    #[test]
    fn restricted_faults_draw_only_the_allowed_kind() {
        let faults = Faults::new(1, 1.0, &[FaultKind::Unavailable]);

        let kinds: Vec<FaultKind> = (0..50)
            .filter_map(|_| faults.draw())
            .map(|f| f.kind)
            .collect();

        assert_eq!(
            kinds,
            vec![FaultKind::Unavailable; 50],
            "probability 1 faults every request"
        );
    }

    #[test]
    fn zero_probability_never_faults() {
        let faults = Faults::new(1, 0.0, &[]);

        assert!(
            (0..100).all(|_| faults.draw().is_none()),
            "probability 0 is a healthy server"
        );
    }
}
