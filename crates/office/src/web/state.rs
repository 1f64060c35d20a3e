//! The office's state as every request sees it: the store, the clock, the files, the limits.

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::files::FileStore;
use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub session_ttl: Duration,
    /// Bumped after every write to the change log, to wake long polls.
    pub changes: Arc<watch::Sender<u64>>,
    /// Uploaded and complete files.
    pub files: FileStore,
    /// Failed sign-ins per seat and per address.
    pub sign_ins: Arc<crate::throttle::SignInThrottle>,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Whether the office itself serves HTTPS.
    pub tls: bool,
    /// Write rates, upload quotas, the free space kept and the sweep (`AppState::with_limits`).
    pub limits: Arc<crate::limits::Limits>,
    /// Each seat's writes by kind, under `limits.writes`.
    pub writes: Arc<crate::limits::WriteLimiter>,
    /// Reads the free space of the data folder's filesystem (tests put a full disk here).
    pub free_space: Arc<dyn crate::limits::FreeSpace>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, files: FileStore) -> Self {
        AppState {
            store,
            clock,
            session_ttl: Duration::hours(12),
            changes: Arc::new(watch::channel(0).0),
            files,
            sign_ins: Arc::default(),
            trusted_proxies: Arc::from([]),
            tls: false,
            limits: Arc::default(),
            writes: Arc::new(crate::limits::WriteLimiter::new(&Default::default())),
            free_space: Arc::new(crate::limits::FilesystemSpace),
        }
    }

    /// The same office under other limits (a fresh write limiter for their rates, kept where
    /// the one before was).
    pub fn with_limits(mut self, limits: crate::limits::Limits) -> Self {
        self.writes = std::sync::Arc::new(self.writes.with_rates(&limits.writes));
        self.limits = std::sync::Arc::new(limits);
        self
    }

    /// The same office as one of several processes sharing the PostgreSQL database behind
    /// `bridge`: the sign-in throttle and the write limits are kept there, and a change committed
    /// by any process wakes this one's long polls (`LISTEN`, on its own connection to `url`).
    /// Call it inside the runtime that serves.
    pub fn sharing(
        mut self,
        bridge: Arc<crate::store::postgres::bridge::PgBridge>,
        url: &str,
    ) -> Self {
        self.sign_ins = Arc::new(crate::throttle::SignInThrottle::in_database(bridge.clone()));
        self.writes = Arc::new(crate::limits::WriteLimiter::in_database(
            bridge,
            &self.limits.writes,
        ));
        let changes = self.changes.clone();
        crate::store::postgres::log::listen_for_changes(url.to_owned(), move |_| {
            changes.send_modify(|n| *n += 1);
        });
        self
    }

    /// The same office reading free space through `probe`.
    pub fn with_free_space(mut self, probe: impl crate::limits::FreeSpace) -> Self {
        self.free_space = std::sync::Arc::new(probe);
        self
    }

    /// The seat's upload quota as the store checks it.
    pub fn upload_quota(&self) -> crate::store::UploadQuota {
        crate::store::UploadQuota {
            pending_bytes: self.limits.pending_upload_bytes,
            unused_bytes: self.limits.unused_upload_bytes,
        }
    }

    /// Runs a store call (the service's, or a read) off the async threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| StoreError::Backend(format!("worker failed: {e}")))?
    }

    /// Counts one write of `kind` by the seat, or says how long until it would be allowed (off
    /// the async threads: the limits may be in the database).
    pub async fn check_write(
        &self,
        seat_id: i64,
        kind: crate::limits::WriteKind,
    ) -> Result<(), std::time::Duration> {
        let writes = self.writes.clone();
        tokio::task::spawn_blocking(move || writes.check(seat_id, kind))
            .await
            .unwrap_or(Ok(()))
    }

    /// Runs `f` on the sign-in throttle off the async threads (it may be in the database).
    pub async fn with_sign_ins<T: Send + 'static>(
        &self,
        f: impl FnOnce(&crate::throttle::SignInThrottle) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let throttle = self.sign_ins.clone();
        tokio::task::spawn_blocking(move || f(&throttle))
            .await
            .map_err(|e| StoreError::Backend(format!("worker failed: {e}")))
    }

    /// Wakes the long polls of the change log after a write that appended to it.
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }
}
