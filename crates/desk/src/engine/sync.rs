//! One sync round with the office: deliver, back up, restore, refresh the board and pull the
//! office's changes.

use super::Desk;
use crate::DeskError;
use crate::client::OfficeClient;
use crate::view::SyncReport;

impl Desk {
    /// One round: deliver the outbox, refresh columns, pull changes (waiting up to `wait_secs`
    /// for the first one).
    pub async fn sync_once(&self, wait_secs: u64) -> Result<SyncReport, DeskError> {
        // Whichever call learns that the session is gone, the desk acts on it.
        let round = self.sync_round(wait_secs).await;
        self.expired_guard(round)
    }

    async fn sync_round(&self, wait_secs: u64) -> Result<SyncReport, DeskError> {
        let delivered = self.deliver().await?;
        let kept = self.back_up_drafts().await?;
        let restored = self.restore_drafts().await? + self.import_items().await?;
        let pulled = self.refresh_and_pull(wait_secs).await?;
        // The office answers again: a worker waiting out its backoff starts now.
        self.wake.notify_one();
        Ok(SyncReport {
            sent: delivered.sent,
            pulled: pulled + kept + restored,
            online: true,
        })
    }

    /// Refreshes the cached board (and with it the columns) and applies the office's changes.
    pub(super) async fn refresh_and_pull(&self, wait_secs: u64) -> Result<u32, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(self.refresh_board(&client, &token).await)?;
        let pulled = self.pull(&client, &token, wait_secs).await?;
        if pulled > 0 {
            // A request posted, extended or withdrawn, or an answer signed off, while this round
            // waited: the window reads the requests as they are now.
            self.expired_guard(self.refresh_commissions(&client, &token).await)?;
        }
        Ok(pulled)
    }

    /// The department's board and the calendar; the board carries the columns too.
    pub(super) async fn refresh_board(
        &self,
        client: &OfficeClient,
        token: &str,
    ) -> Result<(), DeskError> {
        // The seat too: the administrator may have changed how the department signs off.
        let seat = client.current_seat(token).await?;
        self.db(|s| s.set_seat(&seat))?;
        let lists = client.word_lists(token).await?;
        let json = serde_json::to_string(&lists).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.db(|s| s.set_meta("word_lists", &json))?;
        let board = client.board(token).await?;
        let calendar = client.calendar(token).await?;
        self.db(|s| s.replace_board(&board, &calendar, self.now()))?;
        self.refresh_commissions(client, token).await?;
        self.refresh_standing(client, token).await?;
        self.duties_changed.notify_one();
        Ok(())
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
            let since = self.db(|s| s.cursor())?;
            let page = self.expired_guard(client.changes(token, since, wait).await)?;
            for change in &page.changes {
                if self
                    .store
                    .apply_change(change.seq, &change.kind, self.now())?
                {
                    applied += 1;
                    // A review or an urge is a notice to raise.
                    self.duties_changed.notify_one();
                }
                self.follow_timeline(client, token, &change.kind).await;
            }
            if page.changes.is_empty() || page.next <= since {
                return Ok(applied);
            }
            wait = 0;
        }
    }
}
