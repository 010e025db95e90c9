//! Error answers: a status and `{"errorCode", "message"}` as docs/api.md lists them.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use koffer_api::ErrorBody;

use crate::render;

pub const JSON: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// An answer with its own error code, e.g. the lesson endpoints' `LESSON_DURATION`.
    pub fn coded(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(status, code, message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// The action was sent to the device or is done, so it can no longer be cancelled.
    pub fn not_cancellable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "ACTION_NOT_CANCELLABLE", message)
    }

    /// A route exists but not for this method; the closed code list has no better code.
    pub fn wrong_method() -> ApiError {
        let message = "this path does not take this method";
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "BAD_REQUEST", message)
    }

    pub fn too_many_requests() -> ApiError {
        let message = "too many requests; retry after the Retry-After seconds";
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", message)
    }

    pub fn server_error() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SERVER_ERROR",
            "internal server error",
        )
    }

    pub fn unavailable() -> ApiError {
        let message = "the service is temporarily unavailable";
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.code.to_owned(),
            message: self.message,
        };
        let mut response = json_response(self.status, render::to_json(&body));
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], body).into_response()
}
