//! The background worker: sync rounds as soon as something is queued, long polls, backoff while
//! the office is unreachable, draft backups after edits and the duty check every minute.

use std::sync::Arc;
use std::time::Duration;

use super::{Desk, WorkerEvent};
use crate::DeskError;
use crate::client::LONG_POLL_SECS;
use crate::retry::retry_delays;
use crate::view::SyncReport;

/// How long after an edit its draft is backed up to the office (edits in between join it).
pub const BACKUP_DELAY: Duration = Duration::from_secs(3);
/// While the office is unreachable, how often the worker checks whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How often the worker looks at the duty board.
const DUTY_CHECK_EVERY: Duration = Duration::from_secs(60);

impl Desk {
    /// Runs until the process ends: delivers as soon as something is queued, long-polls the
    /// office for changes, backs off while it is unreachable. `on_change` hears of every round
    /// that sent or pulled something, and of every failure.
    pub async fn run_worker<F>(self: Arc<Self>, on_event: F)
    where
        F: Fn(WorkerEvent<'_>) + Send + Sync + 'static,
    {
        let on_change = |r: Result<&SyncReport, &DeskError>| match r {
            Ok(report) => on_event(WorkerEvent::Synced(report)),
            Err(e) => on_event(WorkerEvent::Failed(e)),
        };
        // Duties are checked every minute and after every round, offline as well.
        let duties = async {
            loop {
                match super::blocking(|| self.check_duties()) {
                    Ok(raised) => {
                        for notice in &raised {
                            on_event(WorkerEvent::Notice(notice));
                        }
                        if !raised.is_empty() {
                            on_change(Ok(&SyncReport::default()));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "checking duties failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(DUTY_CHECK_EVERY) => {}
                    _ = self.duties_changed.notified() => {}
                }
            }
        };
        let backups = async {
            loop {
                self.edited.notified().await;
                tokio::time::sleep(BACKUP_DELAY).await;
                match self.back_up_drafts().await {
                    Ok(kept @ 1..) => on_change(Ok(&SyncReport {
                        sent: 0,
                        pulled: kept,
                        online: true,
                    })),
                    Ok(0) => {}
                    // The main loop retries it with its next round.
                    Err(e) => tracing::debug!(error = %e, "draft backup failed"),
                }
            }
        };
        tokio::select! {
            _ = backups => {}
            _ = duties => {}
            _ = self.sync_rounds(&on_change) => {}
        }
    }

    async fn sync_rounds<F>(&self, on_change: &F)
    where
        F: Fn(Result<&SyncReport, &DeskError>),
    {
        let mut delays = retry_delays();
        loop {
            let round = async {
                let mut delivered = self.deliver().await?;
                delivered.pulled += self.back_up_drafts().await?;
                delivered.pulled += self.restore_drafts().await?;
                delivered.pulled += self.import_items().await?;
                // Tell the window at once; the long poll below may take a while.
                if delivered.sent > 0 || delivered.pulled > 0 {
                    on_change(Ok(&delivered));
                }
                tokio::select! {
                    pulled = self.refresh_and_pull(LONG_POLL_SECS) => pulled.map(Some),
                    // Something was queued (or the seat changed) while we waited: start again now.
                    _ = self.wake.notified() => Ok(None),
                }
            };
            // Whichever call learned that the session is gone, the desk acts on it.
            match self.expired_guard(round.await) {
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
                    let backoff = delays.next().unwrap_or(crate::retry::LONGEST_RETRY);
                    let (asked, rest) = crate::retry::wait_after(backoff, e.retry_after());
                    // What the office asked for (Retry-After) is waited out in full.
                    tokio::time::sleep(asked).await;
                    tokio::select! {
                        _ = tokio::time::sleep(rest) => {}
                        _ = self.wake.notified() => {}
                        _ = self.office_comes_back() => {}
                    }
                }
            }
        }
    }

    /// Resolves when the office, having been unreachable, accepts connections again: the
    /// network is back, so the worker need not wait out its backoff. An office that is up but
    /// failing never resolves this (the backoff applies).
    async fn office_comes_back(&self) {
        let Some(addr) = self
            .db(|s| s.meta("office_url"))
            .ok()
            .flatten()
            .and_then(|u| reqwest::Url::parse(&u).ok())
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        else {
            return std::future::pending().await;
        };
        let mut was_down = false;
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            let up = tokio::time::timeout(PROBE_EVERY, tokio::net::TcpStream::connect(&addr))
                .await
                .is_ok_and(|c| c.is_ok());
            if up && was_down {
                tracing::info!("the office is reachable again");
                return;
            }
            was_down |= !up;
        }
    }
}
