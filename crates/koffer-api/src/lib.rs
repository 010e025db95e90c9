//! The central server's HTTP API as Koffer uses it: paths, headers, query parameters and the
//! JSON bodies of requests and answers.
//!
//! This is the only place that spells out the server's names. The client speaks it, the
//! emulator implements it, and `docs/api.md` describes it for people. Relution publishes its
//! exact schemas per server release, so answers are decoded leniently: unknown fields are
//! ignored and optional fields may be missing.

pub mod actions;
pub mod filter;
pub mod lessons;
pub mod paths;
pub mod policies;
pub mod wire;

pub use actions::*;
pub use filter::{Filter, SortField, SortOrder};
pub use lessons::*;
pub use policies::*;
pub use wire::*;
