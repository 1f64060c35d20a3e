//! Draft backups: each seat keeps at most one copy of each draft at the office, replaced only
//! by a copy made from it. The rule is here; the store ([`DraftsTx`]) only persists.

use chrono::{DateTime, Utc};
use liaison_domain::wire::PutDraftRequest;

use crate::store::{DraftPut, DraftsTx, Store, StoreError};

/// Stores a backup of the seat's draft. The first copy is revision 1; a later one must name the
/// revision it was made from (`base_rev`) and becomes the next. A copy made from an older
/// revision is refused with the copy the office holds (`Stale`), so no desk overwrites what
/// another sent meanwhile; one naming a revision when none is held is a `Conflict`.
pub fn put_backup(
    store: &dyn Store,
    seat_id: i64,
    draft_key: &str,
    backup: &PutDraftRequest,
    now: DateTime<Utc>,
) -> Result<DraftPut, StoreError> {
    let mut out = None;
    store.drafts(&mut |tx: &mut dyn DraftsTx| {
        let rev = match tx.draft_backup(seat_id, draft_key)? {
            Some(held) if Some(held.rev) != backup.base_rev => {
                out = Some(DraftPut::Stale(Box::new(held)));
                return Ok(());
            }
            Some(held) => held.rev + 1,
            None if backup.base_rev.is_some() => {
                return Err(StoreError::Conflict(
                    "there is no backup of this draft to replace".into(),
                ));
            }
            None => 1,
        };
        tx.write_draft_backup(seat_id, draft_key, rev, backup, now)?;
        out = Some(DraftPut::Stored { rev });
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}
