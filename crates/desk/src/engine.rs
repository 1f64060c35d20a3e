//! [`Desk`]: the engine the window and the headless tools drive.

use std::path::PathBuf;
use std::sync::Arc;

use liaison_domain::ColumnView;
use tokio::sync::Notify;

use crate::DeskError;
use crate::client::{LONG_POLL_SECS, OfficeClient};
use crate::retry::retry_delays;
use crate::secrets::Keyring;
use crate::store::LocalStore;
use crate::view::{DraftSummary, DraftView, SessionView, SyncReport};

/// Where a desk keeps its data and which keyring service holds its token.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Folder of `desk.db`.
    pub data_dir: PathBuf,
    pub keyring_service: String,
}

pub struct Desk {
    store: LocalStore,
    keyring: Keyring,
    /// Wakes the background worker: something was queued, or the seat signed in.
    wake: Notify,
    /// One delivery round at a time.
    sending: tokio::sync::Mutex<()>,
    /// The HTTP client of the current office, kept so connections are reused between rounds.
    client: std::sync::Mutex<Option<OfficeClient>>,
}

impl Desk {
    pub fn open(config: &DeskConfig) -> Result<Self, DeskError> {
        let store = LocalStore::open(&config.data_dir.join("desk.db"))?;
        Ok(Desk {
            store,
            keyring: Keyring::new(config.keyring_service.clone()),
            wake: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
            client: std::sync::Mutex::new(None),
        })
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    // --- session --------------------------------------------------------------------------------

    pub fn session(&self) -> Result<SessionView, DeskError> {
        Ok(SessionView {
            office_url: self.store.meta("office_url")?,
            seat: self.store.seat()?,
        })
    }

    pub async fn sign_in(
        &self,
        office_url: &str,
        login: &str,
        password: &str,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_url.trim().trim_end_matches('/').to_owned();
        if !(office_url.starts_with("http://") || office_url.starts_with("https://")) {
            return Err(DeskError::InvalidState(
                "the office address must start with http:// or https://".into(),
            ));
        }
        let client = OfficeClient::new(&office_url)?;
        let answer = client.sign_in(login.trim(), password).await?;
        self.keyring
            .store_token(&office_url, &answer.seat.login, &answer.token)?;
        self.store.set_meta("office_url", &office_url)?;
        self.store.set_seat(&answer.seat)?;
        let columns = client.columns(&answer.token).await?;
        self.store.replace_columns(&columns)?;
        tracing::info!(seat = %answer.seat.login, "signed in");
        self.wake.notify_one();
        self.session()
    }

    pub async fn sign_out(&self) -> Result<SessionView, DeskError> {
        if let (Some(url), Some(seat)) = (self.store.meta("office_url")?, self.store.seat()?) {
            if let Ok(Some(token)) = self.keyring.token(&url, &seat.login) {
                // Best effort: offline, the token still dies at its expiry.
                if let Err(e) = OfficeClient::new(&url)?.sign_out(&token).await {
                    tracing::warn!(error = %e, "the office did not hear the sign-out");
                }
            }
            self.keyring.forget_token(&url, &seat.login)?;
        }
        self.store.delete_meta("seat")?;
        // Ends a round in progress, which would otherwise go on with the old token.
        self.wake.notify_one();
        self.session()
    }

    /// The client and token for the signed-in seat.
    fn credentials(&self) -> Result<(OfficeClient, String), DeskError> {
        let url = self
            .store
            .meta("office_url")?
            .ok_or(DeskError::NotSignedIn)?;
        let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
        let token = self
            .keyring
            .token(&url, &seat.login)?
            .ok_or(DeskError::NotSignedIn)?;
        let mut cached = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let client = match cached.as_ref() {
            Some(c) if c.office_url() == url => c.clone(),
            _ => cached.insert(OfficeClient::new(&url)?).clone(),
        };
        Ok((client, token))
    }

    /// The office no longer knows our token: forget it and show the sign-in again.
    fn session_expired(&self) -> Result<(), DeskError> {
        if let (Some(url), Some(seat)) = (self.store.meta("office_url")?, self.store.seat()?) {
            self.keyring.forget_token(&url, &seat.login)?;
        }
        self.store.delete_meta("seat")
    }

    // --- drafts ---------------------------------------------------------------------------------

    pub fn columns(&self) -> Result<Vec<ColumnView>, DeskError> {
        self.store.columns()
    }

    pub fn drafts(&self) -> Result<Vec<DraftSummary>, DeskError> {
        self.store.drafts()
    }

    pub fn draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.store.draft(id)
    }

    pub fn create_draft(&self, column_id: Option<i64>) -> Result<DraftView, DeskError> {
        self.store
            .create_draft(&uuid::Uuid::new_v4().to_string(), column_id)
    }

    pub fn save_draft(
        &self,
        id: &str,
        column_id: Option<i64>,
        title: &str,
        body_html: &str,
    ) -> Result<DraftSummary, DeskError> {
        self.store.save_draft(id, column_id, title, body_html)
    }

    /// Queues the draft for delivery; the worker sends it.
    pub fn send_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        let view = self
            .store
            .queue_send(id, &uuid::Uuid::new_v4().to_string())?;
        self.wake.notify_one();
        Ok(view)
    }

    pub fn revise_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.store.revise(id)
    }

    /// Title and body of a version as it was sent (unchanged by later revisions).
    pub fn sent_version(&self, id: &str, version: u32) -> Result<(String, String), DeskError> {
        self.store.sent_version(id, version)
    }

    // --- sync -----------------------------------------------------------------------------------

    /// One round: deliver the outbox, refresh columns, pull changes (waiting up to `wait_secs`
    /// for the first one).
    pub async fn sync_once(&self, wait_secs: u64) -> Result<SyncReport, DeskError> {
        let delivered = self.deliver().await?;
        let pulled = self.refresh_and_pull(wait_secs).await?;
        // The office answers again: a worker waiting out its backoff starts now.
        self.wake.notify_one();
        Ok(SyncReport {
            sent: delivered.sent,
            pulled,
            online: true,
        })
    }

    /// Refreshes the cached columns and applies the office's changes.
    async fn refresh_and_pull(&self, wait_secs: u64) -> Result<u32, DeskError> {
        let (client, token) = self.credentials()?;
        let columns = self.expired_guard(client.columns(&token).await)?;
        self.store.replace_columns(&columns)?;
        self.pull(&client, &token, wait_secs).await
    }

    fn expired_guard<T>(&self, r: Result<T, DeskError>) -> Result<T, DeskError> {
        if let Err(DeskError::SessionExpired) = r {
            self.session_expired()?;
        }
        r
    }

    /// Sends every queued item. A refusal the office will repeat is shown on its draft and the
    /// rest go on; a network failure stops the round (the next one retries).
    async fn deliver(&self) -> Result<SyncReport, DeskError> {
        let _one_at_a_time = self.sending.lock().await;
        let (client, token) = self.credentials()?;
        let mut report = SyncReport {
            online: true,
            ..SyncReport::default()
        };
        for entry in self.store.outbox()? {
            match client
                .submit(&token, &entry.idempotency_key, &entry.request)
                .await
            {
                Ok(answer) => {
                    self.store.mark_delivered(&entry, &answer)?;
                    tracing::info!(receipt = %answer.receipt, "delivered");
                    report.sent += 1;
                }
                Err(e @ DeskError::RejectedByOffice { .. }) => {
                    // Retrying cannot help: the version goes back to being a draft, reason shown.
                    tracing::warn!(error = %e, "the office refused a send");
                    self.store.mark_refused(&entry, &e.to_string())?;
                }
                Err(e) => {
                    if e.is_transient() {
                        self.store.mark_attempt_failed(&entry, &e.to_string())?;
                    }
                    return self.expired_guard(Err(e));
                }
            }
        }
        Ok(report)
    }

    async fn pull(
        &self,
        client: &OfficeClient,
        token: &str,
        wait_secs: u64,
    ) -> Result<u32, DeskError> {
        let mut applied = 0;
        let mut wait = wait_secs;
        loop {
            let since = self.store.cursor()?;
            let page = self.expired_guard(client.changes(token, since, wait).await)?;
            for change in &page.changes {
                if self.store.apply_change(change.seq, &change.kind)? {
                    applied += 1;
                }
            }
            if page.changes.is_empty() || page.next <= since {
                return Ok(applied);
            }
            wait = 0;
        }
    }

    /// Runs until the process ends: delivers as soon as something is queued, long-polls the
    /// office for changes, backs off while it is unreachable. `on_change` hears of every round
    /// that sent or pulled something, and of every failure.
    pub async fn run_worker<F>(self: Arc<Self>, on_change: F)
    where
        F: Fn(Result<&SyncReport, &DeskError>) + Send + Sync + 'static,
    {
        let mut delays = retry_delays();
        loop {
            let round = async {
                let delivered = self.deliver().await?;
                // Tell the window at once; the long poll below may take a while.
                if delivered.sent > 0 {
                    on_change(Ok(&delivered));
                }
                tokio::select! {
                    pulled = self.refresh_and_pull(LONG_POLL_SECS) => pulled.map(Some),
                    // Something was queued (or the seat changed) while we waited: start again now.
                    _ = self.wake.notified() => Ok(None),
                }
            };
            match round.await {
                Ok(pulled) => {
                    delays = retry_delays();
                    if let Some(pulled @ 1..) = pulled {
                        on_change(Ok(&SyncReport {
                            sent: 0,
                            pulled,
                            online: true,
                        }));
                    }
                }
                Err(DeskError::NotSignedIn) => {
                    self.wake.notified().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync round failed");
                    on_change(Err(&e));
                    let pause = delays.next().unwrap_or(crate::retry::LONGEST_RETRY);
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = self.wake.notified() => {}
                    }
                }
            }
        }
    }
}
