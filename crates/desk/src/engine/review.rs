//! The review round-trip: each sent version's timeline at the office, comments, and the
//! responsible person's sign-off queue, approval and return (online calls).

use liaison_domain::wire::{ChangeKind, InboxItem, ItemDetail};
use sha2::{Digest, Sha256};

use super::Desk;
use crate::DeskError;
use crate::client::OfficeClient;
use crate::view::ItemTimeline;

impl Desk {
    /// The item's history as this desk last heard it (works offline).
    pub fn timeline(&self, id: &str) -> Result<ItemTimeline, DeskError> {
        self.store.timeline(id)
    }

    /// Fetches the timelines of the item's sent versions from the office, then shows them.
    pub async fn refresh_timeline(&self, id: &str) -> Result<ItemTimeline, DeskError> {
        let (client, token) = self.credentials()?;
        let known = self.db(|s| s.timeline(id))?;
        for v in &known.versions {
            if let Some(item_id) = self.db(|s| s.office_item_of(id, v.version))? {
                let detail = self.expired_guard(client.item(&token, item_id).await)?;
                self.db(|s| s.save_timeline(id, v.version, item_id, &detail.timeline))?;
            }
        }
        self.db(|s| s.timeline(id))
    }

    /// Writes in the thread of the item's latest sent version (an answer to the editors).
    pub async fn comment(
        &self,
        id: &str,
        text: &str,
        quote: Option<&str>,
    ) -> Result<ItemTimeline, DeskError> {
        // The office's rule, checked before anything goes out.
        let remark = liaison_domain::remark::check(text, quote)
            .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        let known = self.db(|s| s.timeline(id))?;
        let item_id = match known.versions.last() {
            Some(v) => self.db(|s| s.office_item_of(id, v.version))?,
            None => None,
        }
        .ok_or_else(|| {
            DeskError::InvalidState("the office has no version of this item yet".into())
        })?;
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::CommentRequest {
            text: remark.text,
            quote: remark.quote,
        };
        self.expired_guard(client.comment(&token, item_id, &request).await)?;
        self.refresh_timeline(id).await
    }

    /// The department's items waiting for this seat's sign-off (a responsible person's desk;
    /// needs the office).
    pub async fn signoff_queue(&self) -> Result<Vec<InboxItem>, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.signoffs(&token).await)
    }

    /// An item of the department as the office has it, to read before signing it off.
    pub async fn office_item(&self, item_id: i64) -> Result<ItemDetail, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.item(&token, item_id).await)
    }

    /// The bytes of an image an item at the office shows inline (`liaison-file:<sha256>` in its
    /// body), to show it in the sign-off view: this desk's own copy when it has one, else the
    /// office's, which must be the bytes the name says and no larger than an inline image may be.
    pub async fn office_item_image(
        &self,
        item_id: i64,
        sha256: &str,
    ) -> Result<Vec<u8>, DeskError> {
        if !liaison_domain::attachment::is_sha256_hex(sha256) {
            return Err(DeskError::NotFound("file"));
        }
        if self.db(|s| s.has_file(sha256))? && self.files.path(sha256).exists() {
            return self.read_file(sha256).await;
        }
        let (client, token) = self.credentials()?;
        let bytes = self.expired_guard(
            client
                .item_file(
                    &token,
                    item_id,
                    sha256,
                    liaison_domain::attachment::MAX_INLINE_IMAGE_BYTES,
                )
                .await,
        )?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(DeskError::OfficeUnreachable(format!(
                "the office sent other bytes for file {sha256} of item {item_id}"
            )));
        }
        Ok(bytes)
    }

    /// Signs an item off: it goes on to the editors.
    pub async fn approve(&self, item_id: i64) -> Result<ItemDetail, DeskError> {
        let (client, token) = self.credentials()?;
        let item = self.expired_guard(client.approve(&token, item_id).await)?;
        tracing::info!(receipt = %item.receipt, "signed off");
        Ok(item)
    }

    /// Returns an item to its officer with a comment, optionally quoting a passage.
    pub async fn return_for_revision(
        &self,
        item_id: i64,
        comment: &str,
        quote: Option<&str>,
    ) -> Result<ItemDetail, DeskError> {
        // The office's rule, checked before anything goes out: a return says what to change.
        let remark = liaison_domain::remark::check(comment, quote)
            .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::ReturnRequest {
            comment: remark.text,
            quote: remark.quote,
        };
        self.expired_guard(client.return_item(&token, item_id, &request).await)
    }

    /// After a change to one of this desk's items, fetches its timeline so the history shows
    /// it offline too. Best effort: the timeline is fetched again when the item is opened.
    pub(super) async fn follow_timeline(
        &self,
        client: &OfficeClient,
        token: &str,
        change: &ChangeKind,
    ) {
        let (item_id, draft_key, version) = match change {
            ChangeKind::ItemReviewed {
                item_id,
                draft_key,
                version,
                ..
            }
            | ChangeKind::SignoffRequested {
                item_id,
                draft_key,
                version,
                ..
            }
            | ChangeKind::ItemCommented {
                item_id,
                draft_key,
                version,
                ..
            } => (*item_id, draft_key, *version),
            ChangeKind::ColumnUrged { .. }
            | ChangeKind::CommissionUpdated { .. }
            | ChangeKind::OrganisationChanged { .. } => return,
        };
        if !self
            .store
            .holds_version(draft_key, version)
            .unwrap_or(false)
        {
            return;
        }
        match client.item(token, item_id).await {
            Ok(detail) => {
                if let Err(e) =
                    self.db(|s| s.save_timeline(draft_key, version, item_id, &detail.timeline))
                {
                    tracing::warn!(error = %e, "could not keep an item's timeline");
                }
            }
            Err(e) => tracing::debug!(error = %e, "timeline not fetched"),
        }
    }
}
