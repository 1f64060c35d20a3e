//! The desk engine: everything Liaison Desk does, without a window.
//!
//! [`Desk`] owns the local SQLite store, talks to the office over HTTP and keeps the session token
//! in the OS keyring. The Tauri shell and the headless tools are thin layers over it.

mod client;
mod commissions;
pub mod diff;
pub mod duties;
mod engine;
mod error;
mod files;
mod importing;
pub mod pace;
pub mod retry;
pub mod secrets;
mod standing;
mod store;
pub mod tls;
mod trust;
pub mod view;
pub mod watch;

pub use engine::{Clock, Desk, DeskConfig, WorkerEvent, blocking};
pub use error::{CertificateView, DeskError, DeskErrorCode, DeskErrorData, DeskErrorView};
pub use secrets::Keyring;
pub use trust::{PinnedOffice, TrustView};
