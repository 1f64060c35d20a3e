//! Sending: a draft checked and queued (pre-flight, sign-off), then delivered from the outbox
//! with its files uploaded piece by piece; files the office holds and this desk does not are
//! fetched.

use std::time::Duration;

use liaison_domain::AttachmentRef;
use liaison_domain::attachment::UPLOAD_CHUNK_BYTES;
use liaison_domain::wire::UploadRequest;

use super::Desk;
use crate::DeskError;
use crate::client::OfficeClient;
use crate::store::OutboxEntry;
use crate::view::{DraftView, SyncReport};

impl Desk {
    /// Queues a draft for the office once it passes the send gate (its text, its files, the
    /// pre-flight checks and its department's sign-off rule); the worker sends it.
    pub fn send_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
        let now = self.now();
        let view = self.store.queue_send(
            id,
            &uuid::Uuid::new_v4().to_string(),
            seat.department.signoff,
            liaison_domain::calendar::beijing_date(now),
            &self.word_lists()?,
            now,
        )?;
        self.wake.notify_one();
        Ok(view)
    }

    /// The office's word lists as last fetched (empty before the first sync).
    fn word_lists(&self) -> Result<liaison_domain::preflight::WordLists, DeskError> {
        Ok(self
            .store
            .meta("word_lists")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Every pre-flight problem of a draft, with its place in the text.
    pub fn preflight(
        &self,
        id: &str,
    ) -> Result<Vec<liaison_domain::preflight::Problem>, DeskError> {
        let draft = self.store.draft(id)?;
        Ok(liaison_domain::preflight::check(
            crate::store::preflight_draft(&draft),
            &self.word_lists()?,
        ))
    }

    /// Records who signed the draft's current version off on paper, when, and which of its
    /// files is the signed form (`None` removes the record).
    pub fn attest(
        &self,
        id: &str,
        attestation: Option<&liaison_domain::Attestation>,
    ) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.store.set_attestation(id, attestation, self.now())
    }

    /// Drains the outbox and nothing else (no backups, no pulls): what the benchmarks time as
    /// the sync drain. The worker's rounds (`sync_once`) do this first.
    pub async fn deliver_outbox(&self) -> Result<SyncReport, DeskError> {
        let delivered = self.deliver().await;
        self.expired_guard(delivered)
    }

    /// Sends every queued item. A refusal the office will repeat is shown on its draft and the
    /// rest go on; a network failure stops the round (the next one retries).
    pub(super) async fn deliver(&self) -> Result<SyncReport, DeskError> {
        let _one_at_a_time = self.sending.lock().await;
        let (client, token) = self.credentials()?;
        let mut report = SyncReport {
            online: true,
            ..SyncReport::default()
        };
        for entry in self.db(|s| s.outbox())? {
            let sent = async {
                self.upload_send_files(&client, &token, &entry).await?;
                match client
                    .submit(&token, &entry.idempotency_key, &entry.request)
                    .await
                {
                    Err(e @ DeskError::FilesOutOfStep(_)) => {
                        // The office lost (or never finished) a file: upload them all again.
                        self.db(|s| s.reset_uploads(entry.id))?;
                        Err(e)
                    }
                    other => other,
                }
            };
            match sent.await {
                Ok(answer) => {
                    self.db(|s| s.mark_delivered(&entry, &answer, self.now()))?;
                    tracing::info!(receipt = %answer.receipt, "delivered");
                    report.sent += 1;
                }
                Err(DeskError::SentElsewhere { item_id }) => {
                    // Another workstation of the seat sent this version first: the office's
                    // copy is the item, and this desk takes it (its own text, if it differs,
                    // stays as a separate draft).
                    let item = self.expired_guard(client.item(&token, item_id).await)?;
                    self.fetch_files(&client, &token, &item.attachments).await?;
                    self.db(|s| {
                        s.take_office_copy(
                            &entry,
                            &item,
                            &uuid::Uuid::new_v4().to_string(),
                            self.now(),
                        )
                    })?;
                    tracing::info!(receipt = %item.receipt, "sent from another workstation; took the office's copy");
                    report.sent += 1;
                }
                Err(e @ (DeskError::RejectedByOffice { .. } | DeskError::FileNotAllowed(_))) => {
                    // Retrying cannot help: the version goes back to being a draft, reason shown.
                    tracing::warn!(error = %e, "the office refused a send");
                    self.db(|s| s.mark_refused(&entry, &e, self.now()))?;
                }
                Err(e) => {
                    if e.is_transient() {
                        self.db(|s| s.mark_attempt_failed(&entry, &e))?;
                    }
                    return self.expired_guard(Err(e));
                }
            }
        }
        Ok(report)
    }

    /// Uploads what the office does not have yet of a send's files, recording each confirmed
    /// piece so a restart goes on from there.
    async fn upload_send_files(
        &self,
        client: &OfficeClient,
        token: &str,
        entry: &OutboxEntry,
    ) -> Result<(), DeskError> {
        for file in entry.files.iter().filter(|f| f.confirmed < f.size) {
            let name = entry
                .request
                .attachments
                .iter()
                .find(|a| a.sha256 == file.sha256)
                .map_or("file", |a| a.name.as_str());
            self.upload_file(client, token, &file.sha256, file.size, name, |confirmed| {
                self.db(|s| s.confirm_upload(entry.id, &file.sha256, confirmed))
            })
            .await?;
        }
        Ok(())
    }

    /// Brings the office's copy of one file up to complete, from wherever it stands.
    pub(super) async fn upload_file(
        &self,
        client: &OfficeClient,
        token: &str,
        sha256: &str,
        size: u64,
        name: &str,
        on_confirmed: impl Fn(u64) -> Result<(), DeskError>,
    ) -> Result<(), DeskError> {
        let announce = UploadRequest {
            sha256: sha256.to_owned(),
            size,
            name: name.to_owned(),
        };
        let mut status = client.begin_upload(token, &announce).await?;
        let mut out_of_step = 0;
        let mut recorded = None;
        while !status.complete {
            if recorded != Some(status.offset) && status.offset > 0 {
                on_confirmed(status.offset)?;
                recorded = Some(status.offset);
            }
            let files = self.files.clone();
            let (sha, offset) = (sha256.to_owned(), status.offset);
            let piece = tokio::task::spawn_blocking(move || {
                files.read_at(&sha, offset, UPLOAD_CHUNK_BYTES)
            })
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))??;
            match client
                .upload_piece(token, sha256, offset, piece, &self.pacer)
                .await
            {
                Ok(next) => {
                    status = next;
                    self.progress.send_modify(|n| *n += 1);
                }
                Err(DeskError::FilesOutOfStep(why)) if out_of_step < 3 => {
                    // A piece whose answer was lost, or one still arriving: ask where it stands.
                    tracing::debug!(sha256, why, "upload out of step");
                    out_of_step += 1;
                    tokio::time::sleep(Duration::from_millis(300 * out_of_step)).await;
                    status = client.begin_upload(token, &announce).await?;
                }
                Err(DeskError::RejectedByOffice { code, .. }) if code == "digest_mismatch" => {
                    let files = self.files.clone();
                    let sha = sha256.to_owned();
                    let intact = tokio::task::spawn_blocking(move || files.verify(&sha))
                        .await
                        .map_err(|e| DeskError::Internal(e.to_string()))??;
                    return Err(if intact {
                        DeskError::FilesOutOfStep("the office received damaged bytes".into())
                    } else {
                        DeskError::Storage(format!(
                            "the desk's copy of {name} is damaged; attach the file again"
                        ))
                    });
                }
                Err(e) => return Err(e),
            }
        }
        on_confirmed(size)
    }

    /// Files named by a draft from the office that this desk does not hold.
    pub(super) async fn fetch_files(
        &self,
        client: &OfficeClient,
        token: &str,
        files: &[AttachmentRef],
    ) -> Result<(), DeskError> {
        for f in files {
            if self.db(|s| s.has_file(&f.sha256))? && self.files.path(&f.sha256).exists() {
                continue;
            }
            // Into a temporary file beside the store, then in through the usual checks.
            let mut download = self.files.temp()?;
            client
                .upload_content(token, &f.sha256, download.as_file_mut(), &self.pacer)
                .await?;
            let store = self.files.clone();
            let name = f.name.clone();
            let stored =
                tokio::task::spawn_blocking(move || store.add_file(download.path(), &name))
                    .await
                    .map_err(|e| DeskError::Internal(e.to_string()))??;
            if stored.sha256 != f.sha256 {
                return Err(DeskError::OfficeUnreachable(format!(
                    "the office sent other bytes for {}",
                    f.name
                )));
            }
        }
        Ok(())
    }
}
