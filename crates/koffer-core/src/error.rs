//! The core's error type. Every message says what happened and what the user can do; the code
//! is what a caller (the CLI's exit status, the desktop UI) acts on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a caller does differently per error. Add a code only for a different reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The server could not be reached; cached data stays usable.
    Offline,
    /// The access token is missing or was rejected.
    TokenRejected,
    /// The token has no rights on what was asked for.
    NoRights,
    /// The server failed or answered something unusable.
    ServerError,
    /// The user's input is wrong (URL, filter, option).
    InvalidInput,
    /// The local cache or data folder cannot be used.
    LocalStorage,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidServerUrl(String),

    #[error(
        "The server at {server} could not be reached ({reason}). Check the address and the \
         network connection; the cached inventory stays available offline."
    )]
    Unreachable { server: String, reason: String },

    #[error(
        "The server rejected the access token. Create a new token in Relution under Profile → \
         Access Token and sign in again."
    )]
    TokenRejected,

    #[error(
        "No access token is stored for {server}. Sign in first (`koffer login --server {server}`) \
         or set KOFFER_TOKEN."
    )]
    NotSignedIn { server: String },

    #[error(
        "The access token has no rights on {what}. Ask your district's Relution administrator."
    )]
    NoRights { what: String },

    #[error("The server has no {what}.")]
    NotFound { what: String },

    #[error(
        "The server failed on {request} (HTTP {status}{detail}). Try again later; if it keeps \
         failing, tell the server's operator."
    )]
    Server {
        request: String,
        status: u16,
        detail: String,
    },

    #[error(
        "The server's answer to {request} could not be read ({reason}). The server may run an \
         API version Koffer does not know, or a proxy may be in the way."
    )]
    BadAnswer { request: String, reason: String },

    #[error(
        "The server's answer to {request} is larger than {limit_mib} MiB, more than Koffer reads. \
         Check that the address points to the Relution server."
    )]
    AnswerTooLarge { request: String, limit_mib: usize },

    #[error("The server refused {request}: {reason}")]
    Refused { request: String, reason: String },

    #[error(
        "The policy {policy} changed on the server since Koffer showed it, so nothing was \
         {not_done}. The preview now shows the server's current state: check it and try again."
    )]
    PolicyChanged { policy: String, not_done: String },

    #[error("{0}")]
    InvalidInput(String),

    #[error(
        "The data folder {path} cannot be written ({reason}). Choose another folder with \
         --data-dir or fix its permissions."
    )]
    DataDirNotWritable { path: PathBuf, reason: String },

    #[error(
        "The cache {path} was written by a newer version of Koffer (schema {found}, this version \
         knows up to {known}). Install the newer version, or use another --data-dir."
    )]
    NewerDatabase {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error("The cache {path} could not be used: {reason}")]
    Store { path: PathBuf, reason: String },

    #[error("The local cache failed: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error(
        "The system's credential store is not available ({reason}). On a server or in a \
         scheduled task, set the KOFFER_TOKEN environment variable instead."
    )]
    CredentialStore { reason: String },

    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A stable name of what went wrong, for translations of the message in the window.
    pub fn key(&self) -> &'static str {
        match self {
            Error::InvalidServerUrl(_) => "invalid_server_url",
            Error::Unreachable { .. } => "unreachable",
            Error::TokenRejected => "token_rejected",
            Error::NotSignedIn { .. } => "not_signed_in",
            Error::NoRights { .. } => "no_rights",
            Error::NotFound { .. } => "not_found",
            Error::Server { .. } => "server_failed",
            Error::BadAnswer { .. } => "bad_answer",
            Error::AnswerTooLarge { .. } => "answer_too_large",
            Error::InvalidInput(_) => "invalid_input",
            Error::Refused { .. } => "refused",
            Error::PolicyChanged { .. } => "policy_changed",
            Error::DataDirNotWritable { .. } => "data_dir_not_writable",
            Error::NewerDatabase { .. } => "newer_database",
            Error::Store { .. } | Error::Sqlite(_) | Error::Io(_) => "cache_failed",
            Error::CredentialStore { .. } => "credential_store",
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Unreachable { .. } => ErrorCode::Offline,
            Error::TokenRejected | Error::NotSignedIn { .. } => ErrorCode::TokenRejected,
            Error::NoRights { .. } => ErrorCode::NoRights,
            Error::NotFound { .. }
            | Error::Server { .. }
            | Error::BadAnswer { .. }
            | Error::AnswerTooLarge { .. } => ErrorCode::ServerError,
            Error::InvalidServerUrl(_)
            | Error::InvalidInput(_)
            | Error::Refused { .. }
            | Error::PolicyChanged { .. } => ErrorCode::InvalidInput,
            Error::DataDirNotWritable { .. }
            | Error::NewerDatabase { .. }
            | Error::Store { .. }
            | Error::Sqlite(_)
            | Error::CredentialStore { .. }
            | Error::Io(_) => ErrorCode::LocalStorage,
        }
    }
}
