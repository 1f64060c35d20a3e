//! Draft backups at the office: edited drafts backed up, and the seat's backups from other
//! workstations restored here, keeping both versions where both changed.

use super::Desk;
use crate::DeskError;
use crate::store::Restored;

impl Desk {
    /// Backs up every draft edited since its last backup. Returns how many other-workstation
    /// versions were kept beside this desk's (the office held a newer copy than ours).
    pub async fn back_up_drafts(&self) -> Result<u32, DeskError> {
        let _one_at_a_time = self.backing_up.lock().await;
        let (client, token) = self.credentials()?;
        let mut kept = 0;
        for mut due in self.db(|s| s.backups_due())? {
            for f in &due.request.attachments {
                self.upload_file(&client, &token, &f.sha256, f.size, &f.name, |_| Ok(()))
                    .await?;
            }
            due.request.origin = Some(self.desk_id.clone());
            let mut answer = client
                .put_draft(&token, &due.draft_id, &due.request)
                .await?;
            if let Err(current) = &answer
                && current.origin.as_deref() == Some(self.desk_id.as_str())
            {
                // Our own earlier backup, whose answer was lost: go on from it.
                due.request.base_rev = Some(current.rev);
                answer = client
                    .put_draft(&token, &due.draft_id, &due.request)
                    .await?;
            }
            match answer {
                Ok(stored) => self
                    .store
                    .mark_backed_up(&due.draft_id, due.rev, stored.rev)?,
                Err(current) => {
                    tracing::info!(draft = %due.draft_id, "another workstation changed this draft; keeping both");
                    self.fetch_files(&client, &token, &current.attachments)
                        .await?;
                    self.db(|s| {
                        s.keep_both(
                            &due.draft_id,
                            &current,
                            &uuid::Uuid::new_v4().to_string(),
                            self.now(),
                        )
                    })?;
                    kept += 1;
                }
            }
        }
        Ok(kept)
    }

    /// Brings the seat's drafts backed up at the office into this desk: new ones, newer text of
    /// unchanged ones, and both versions where both changed. Returns how many drafts changed.
    pub async fn restore_drafts(&self) -> Result<u32, DeskError> {
        let _one_at_a_time = self.backing_up.lock().await;
        let (client, token) = self.credentials()?;
        let mut changed = 0;
        let since = self.db(|s| s.backup_cursor())?;
        let backups = client.drafts(&token, since).await?;
        let seen = backups.iter().map(|b| b.seq).max();
        for backup in backups {
            if backup.origin.as_deref() == Some(self.desk_id.as_str()) {
                // Our own copy; only its number may be news (an answer we did not hear).
                self.db(|s| s.adopt_office_rev(&backup.draft_key, backup.rev))?;
                continue;
            }
            self.fetch_files(&client, &token, &backup.attachments)
                .await?;
            let copy_id = uuid::Uuid::new_v4().to_string();
            if self.db(|s| s.restore(&backup, &copy_id, self.now()))? != Restored::Nothing {
                changed += 1;
            }
        }
        if let Some(seq) = seen {
            self.db(|s| s.set_meta("backup_cursor", &seq.to_string()))?;
        }
        Ok(changed)
    }
}
