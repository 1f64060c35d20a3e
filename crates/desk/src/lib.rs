//! The desk engine: everything Liaison Desk does, without a window.
//!
//! [`Desk`] owns the local SQLite store, talks to the office over HTTP and keeps the session token
//! in the OS keyring. The Tauri shell and the headless tools are thin layers over it.

mod client;
mod engine;
mod error;
mod files;
pub mod retry;
pub mod secrets;
mod store;
pub mod view;

pub use engine::{Desk, DeskConfig};
pub use error::{DeskError, DeskErrorCode, DeskErrorView};
pub use secrets::Keyring;
