//! Errors as the UI receives them: `{code, message, field}`.

use koffer_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the UI does differently per error; each code has its own advice in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AppErrorCode {
    Offline,
    TokenRejected,
    NoRights,
    ServerError,
    InvalidInput,
    LocalStorage,
    /// No profile is active: the UI shows the sign-in form.
    NotSignedIn,
    /// What the user looked at changed on the server meanwhile, so nothing was done; the UI
    /// shows it again as it is now (a template copy's preview).
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: AppErrorCode,
    /// What went wrong, stable for translations ("token_rejected", "unreachable", …).
    pub key: String,
    /// What happened and what the user can do, in English; the UI shows its own translation
    /// of `key` where it has one, and this text as the detail.
    pub message: String,
    /// The sign-in field the error belongs to ("server" or "token"), if any.
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_signed_in() -> AppError {
        AppError {
            code: AppErrorCode::NotSignedIn,
            key: "not_signed_in".to_owned(),
            message: "Sign in to a server first.".to_owned(),
            field: None,
        }
    }

    pub fn invalid(key: &str, message: impl Into<String>) -> AppError {
        AppError {
            code: AppErrorCode::InvalidInput,
            key: key.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    pub fn on_field(mut self, field: &str) -> AppError {
        self.field = Some(field.to_owned());
        self
    }
}

impl From<Error> for AppError {
    fn from(error: Error) -> AppError {
        let code = match error.code() {
            _ if matches!(error, Error::PolicyChanged { .. }) => AppErrorCode::Changed,
            ErrorCode::Offline => AppErrorCode::Offline,
            ErrorCode::TokenRejected => AppErrorCode::TokenRejected,
            ErrorCode::NoRights => AppErrorCode::NoRights,
            ErrorCode::ServerError => AppErrorCode::ServerError,
            ErrorCode::InvalidInput => AppErrorCode::InvalidInput,
            ErrorCode::LocalStorage => AppErrorCode::LocalStorage,
        };
        AppError {
            code,
            key: error.key().to_owned(),
            message: error.to_string(),
            field: None,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}
