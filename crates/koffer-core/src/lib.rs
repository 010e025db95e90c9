//! Koffer's core: everything the CLI and the desktop shell share.
//!
//! Data flows one way through each step: server → [`client`] → [`sync`] plan → [`store`] →
//! [`query`] → caller. Nothing here depends on Tauri or a webview, so all of it builds and
//! tests on a plain machine.

pub mod actions;
pub mod client;
pub mod compliance;
pub mod device_detail;
pub mod error;
pub mod export;
pub mod lessons;
pub mod overview;
pub mod policies;
pub mod profile;
pub mod query;
pub mod secrets;
pub mod server_url;
pub mod store;
pub mod sync;

pub use error::{Error, ErrorCode, Result};
