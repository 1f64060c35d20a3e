//! Handing the seat over: starting a handover once nothing would be lost, the seat's handovers,
//! codes and holders, the seat's sent items taken in after a sign-in, and what the desk does when
//! the seat went to a successor.

use liaison_domain::handover::Holder;
use liaison_domain::wire::{HandoverCode, HandoverView};

use super::Desk;
use crate::DeskError;
use crate::view::HandedOver;

impl Desk {
    /// The office ended this seat's sessions for a successor: forget the token, stop sending,
    /// keep the data read-only or remove it as the office asked, and remember why.
    pub(super) fn seat_handed_over(&self, wipe: bool) -> Result<(), DeskError> {
        if self.handed_over_info()?.is_some() {
            return Ok(()); // already acted on
        }
        let login = match (self.store.meta("office_url")?, self.store.seat()?) {
            (Some(url), Some(seat)) => {
                self.keyring.forget_token(&url, &seat.login)?;
                seat.login
            }
            (_, seat) => seat.map(|s| s.login).unwrap_or_default(),
        };
        let info = HandedOver {
            at: self.now().to_rfc3339(),
            login,
            wiped: wipe,
        };
        let json = serde_json::to_string(&info).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.store.set_meta("handed_over", &json)?;
        self.store.delete_meta("seat")?;
        if wipe {
            self.store.wipe()?;
            self.files.clear()?;
        }
        tracing::warn!(
            wipe,
            "the seat was handed over to a successor; this desk stops"
        );
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the office to hand this seat to `successor`. Everything is delivered and backed up
    /// first; while anything would still be lost (an item not at the office, a draft without a
    /// current backup) the handover does not start and the desk names what is pending.
    pub async fn start_handover(
        &self,
        successor: &liaison_domain::handover::Successor,
    ) -> Result<HandoverView, DeskError> {
        self.writable()?;
        if self
            .store
            .seat()?
            .is_some_and(|seat| !seat.role.may_hand_over_own_seat())
        {
            return Err(DeskError::InvalidState(
                "this seat is handed over by the editorial office's administrator".into(),
            ));
        }
        let successor = successor.checked().map_err(DeskError::InvalidSuccessor)?;
        // Best effort: an office that cannot be reached leaves things pending, said below.
        for step in [
            self.deliver().await.map(|_| ()),
            self.back_up_drafts().await.map(|_| ()),
        ] {
            if let Err(e) = step {
                tracing::warn!(error = %e, "before the handover");
            }
        }
        let pending = self.db(|s| s.pending_for_handover())?;
        if !pending.is_empty() {
            return Err(DeskError::HandoverBlocked(pending));
        }
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::StartHandoverRequest {
            successor,
            seat_id: None,
            reason: None,
        };
        self.expired_guard(client.start_handover(&token, &request).await)
    }

    /// The seat's handovers, newest first.
    pub async fn handovers(&self) -> Result<Vec<HandoverView>, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.handovers(&token).await)
    }

    /// The approved handover's code, for the outgoing holder to give the successor; the office
    /// shows it once.
    pub async fn handover_code(&self, id: i64) -> Result<HandoverCode, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.handover_code(&token, id).await)
    }

    /// Who held this seat when.
    pub async fn holders(&self) -> Result<Vec<Holder>, DeskError> {
        let (client, token) = self.credentials()?;
        let seat = self.db(|s| s.seat())?.ok_or(DeskError::NotSignedIn)?;
        self.expired_guard(client.holders(&token, seat.id).await)
    }

    /// After a sign-in: the seat's sent items this desk does not hold (an earlier holder's, or
    /// another workstation's), so their history is here. Once per sign-in.
    pub(super) async fn import_items(&self) -> Result<u32, DeskError> {
        if self.db(|s| s.meta("import_items"))?.is_none() {
            return Ok(0);
        }
        let (client, token) = self.credentials()?;
        let items = self.expired_guard(client.seat_items(&token).await)?;
        let mut added = 0;
        // Oldest first, so an item's later versions follow its earlier ones.
        for item in items.iter().rev() {
            // Its files come with it (an earlier holder uploaded them under this seat).
            if !self.db(|s| s.holds_version(&item.draft_key, item.version))? {
                self.fetch_files(&client, &token, &item.attachments).await?;
            }
            if self.db(|s| s.import_item(item, self.now()))? {
                added += 1;
            }
        }
        self.db(|s| s.delete_meta("import_items"))?;
        Ok(added)
    }
}
