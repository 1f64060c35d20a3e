//! The office's change log applied to the store: each change once, with the cursor; reviews move
//! drafts through their states, and what is news becomes a notice.

use chrono::{DateTime, Utc};
use liaison_domain::wire::ChangeKind;
use liaison_domain::{ItemEvent, ItemState, Role};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::notices::create_notice;
use super::{LocalStore, seat_in, set_state, state_of, ts};
use crate::DeskError;
use crate::duties::{NoticeFacts, NoticeKind};

impl LocalStore {
    /// Applies one change from the office and moves the cursor past it, together, so a change is
    /// applied exactly once even if the answer that carried it is seen again.
    pub fn apply_change(
        &self,
        seq: i64,
        change: &ChangeKind,
        now: DateTime<Utc>,
    ) -> Result<bool, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cursor: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'cursor'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if seq <= cursor {
            return Ok(false);
        }
        let applied = match change {
            ChangeKind::ItemReviewed {
                item_id,
                draft_key,
                version,
                receipt,
                state,
                published_url,
                review_comment,
                by,
            } => {
                let applied = apply_review(
                    &tx,
                    *item_id,
                    draft_key,
                    *version,
                    receipt,
                    *state,
                    published_url,
                    review_comment,
                    now,
                )?;
                // Decided: a request to sign it off is no longer news. One never shown goes (a
                // new desk reading the log from the start must not be asked about items signed
                // off long ago); one shown is marked read.
                let key = format!("signoff:{item_id}");
                tx.execute(
                    "DELETE FROM notices WHERE key = ?1 AND raised_at IS NULL",
                    [&key],
                )?;
                tx.execute(
                    "UPDATE notices SET read_at = coalesce(read_at, ?1) WHERE key = ?2",
                    params![ts(now), key],
                )?;
                if applied {
                    let title: Option<String> = tx
                        .query_row("SELECT title FROM drafts WHERE id = ?1", [draft_key], |r| {
                            r.get(0)
                        })
                        .optional()?;
                    let facts = NoticeFacts {
                        title,
                        review_state: Some(*state),
                        review_comment: review_comment.clone(),
                        by: by.clone(),
                        item_id: Some(*item_id),
                        ..NoticeFacts::default()
                    };
                    create_notice(
                        &tx,
                        &format!("reviewed:{seq}"),
                        NoticeKind::Reviewed,
                        None,
                        Some(draft_key),
                        &facts,
                        now,
                    )?;
                }
                applied
            }
            ChangeKind::SignoffRequested {
                item_id,
                draft_key,
                version,
                receipt,
                title,
                holder_name,
            } => {
                // The officer's own desk: the office has it, held for sign-off (a send whose
                // answer was lost learns it here).
                let moved = apply_review(
                    &tx,
                    *item_id,
                    draft_key,
                    *version,
                    receipt,
                    ItemState::AwaitingSignoff,
                    &None,
                    &None,
                    now,
                )?;
                // The responsible person's desk: something to sign off.
                let responsible = seat_in(&tx)?.is_some_and(|s| s.role == Role::Responsible);
                let noticed = responsible && {
                    let facts = NoticeFacts {
                        title: Some(title.clone()),
                        by: Some(holder_name.clone()),
                        item_id: Some(*item_id),
                        ..NoticeFacts::default()
                    };
                    create_notice(
                        &tx,
                        &format!("signoff:{item_id}"),
                        NoticeKind::SignoffRequested,
                        None,
                        None,
                        &facts,
                        now,
                    )?
                };
                moved || noticed
            }
            ChangeKind::ItemCommented {
                item_id,
                draft_key,
                author,
                author_role,
                text,
                ..
            } => {
                // Told of what others write; one's own remarks are no news.
                let own_role = seat_in(&tx)?.map(|s| s.role);
                let held: Option<String> = tx
                    .query_row("SELECT title FROM drafts WHERE id = ?1", [draft_key], |r| {
                        r.get(0)
                    })
                    .optional()?;
                match held {
                    Some(title) if own_role != Some(*author_role) => {
                        let facts = NoticeFacts {
                            title: Some(title),
                            message: Some(text.clone()),
                            by: Some(author.clone()),
                            item_id: Some(*item_id),
                            ..NoticeFacts::default()
                        };
                        create_notice(
                            &tx,
                            &format!("commented:{seq}"),
                            NoticeKind::Commented,
                            None,
                            Some(draft_key),
                            &facts,
                            now,
                        )?
                    }
                    _ => false,
                }
            }
            ChangeKind::ColumnUrged {
                column_id,
                column_name,
                message,
                urged_by,
            } => {
                let facts = NoticeFacts {
                    column_name: Some(column_name.clone()),
                    message: Some(message.clone()),
                    urged_by: Some(urged_by.clone()),
                    ..NoticeFacts::default()
                };
                create_notice(
                    &tx,
                    &format!("urged:{seq}"),
                    NoticeKind::Urged,
                    Some(*column_id),
                    None,
                    &facts,
                    now,
                )?
            }
            ChangeKind::CommissionUpdated {
                commission_id,
                what,
                topic,
                due_at,
                ..
            } => {
                let facts = NoticeFacts {
                    title: Some(topic.clone()),
                    due_at: Some(*due_at),
                    commission: Some(*what),
                    ..NoticeFacts::default()
                };
                create_notice(
                    &tx,
                    &format!("commission:{commission_id}:{seq}"),
                    NoticeKind::Commissioned,
                    None,
                    None,
                    &facts,
                    now,
                )?
            }
            // The board is fetched again on the next round, which this change started.
            ChangeKind::OrganisationChanged { .. } => false,
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [seq.to_string()],
        )?;
        tx.commit()?;
        Ok(applied)
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_review(
    tx: &Transaction<'_>,
    item_id: i64,
    draft_key: &str,
    version: u32,
    receipt: &str,
    state: ItemState,
    published_url: &Option<String>,
    review_comment: &Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DeskError> {
    let Some((current, current_version)) = tx
        .query_row(
            "SELECT state, version FROM drafts WHERE id = ?1",
            [draft_key],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)),
        )
        .optional()?
    else {
        // Items sent from another workstation of the seat, or before this desk existed.
        tracing::debug!(draft_key, "review for an item this desk does not hold");
        return Ok(false);
    };
    if current_version != version {
        return Ok(false); // a review of an older version; the draft has moved on
    }
    let mut current = state_of(&current)?;
    if current == ItemState::Queued {
        // The office has it although our send did not hear back.
        tx.execute(
            "UPDATE drafts SET receipt = ?1, office_item_id = ?2 WHERE id = ?3",
            params![receipt, item_id, draft_key],
        )?;
        if current.event_to(state).is_none() {
            // Reviewed already: it was delivered first.
            current = current
                .apply(ItemEvent::Deliver)
                .map_err(|e| DeskError::Internal(e.to_string()))?;
        }
    }
    // The one move from where the desk is to where the office says the item is; none if the
    // desk is there already or the report is older than what the desk knows.
    let Some(next) = current.event_to(state).and_then(|e| current.apply(e).ok()) else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE drafts SET published_url = ?1, review_comment = ?2 WHERE id = ?3",
        params![published_url, review_comment, draft_key],
    )?;
    set_state(tx, draft_key, next, now)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{returned, today};
    use liaison_domain::wire::SubmitItemResponse;
    use liaison_domain::{SeatView, SignoffPolicy};

    #[test]
    fn a_change_is_applied_once_and_moves_the_cursor_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1), Utc::now()).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>", Utc::now())
            .unwrap();
        store
            .queue_send(
                "d1",
                "key-1",
                SignoffPolicy::InApp,
                today(),
                &Default::default(),
                Utc::now(),
            )
            .unwrap();

        // Applied although the desk never heard its own send back: delivered, then returned.
        assert!(store.apply_change(7, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);
        let draft = store.draft("d1").unwrap();
        assert_eq!(draft.state, ItemState::Returned);
        assert_eq!(draft.receipt.as_deref(), Some("LS-20261127-000001"));

        // The same change again, or an older one, is skipped and the cursor stays.
        assert!(!store.apply_change(7, &returned("d1"), Utc::now()).unwrap());
        assert!(!store.apply_change(3, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);

        // A change about an item this desk does not hold still moves the cursor.
        assert!(
            !store
                .apply_change(9, &returned("elsewhere"), Utc::now())
                .unwrap()
        );
        assert_eq!(store.cursor().unwrap(), 9);
    }

    #[test]
    fn a_held_item_follows_its_sign_off_then_its_review() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1), Utc::now()).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>", Utc::now())
            .unwrap();
        store
            .queue_send(
                "d1",
                "k",
                SignoffPolicy::InApp,
                today(),
                &Default::default(),
                Utc::now(),
            )
            .unwrap();
        let entry = store.outbox().unwrap().remove(0);
        let answer = SubmitItemResponse {
            id: 5,
            receipt: "LS-20261127-000005".into(),
            delivered_at: Utc::now(),
            state: ItemState::AwaitingSignoff,
        };
        store.mark_delivered(&entry, &answer, Utc::now()).unwrap();
        assert_eq!(store.draft("d1").unwrap().state, ItemState::AwaitingSignoff);
        let approved = ChangeKind::ItemReviewed {
            item_id: 5,
            draft_key: "d1".into(),
            version: 1,
            receipt: answer.receipt.clone(),
            state: ItemState::Delivered,
            published_url: None,
            review_comment: None,
            by: Some("李建国".into()),
        };
        assert!(store.apply_change(2, &approved, Utc::now()).unwrap());
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Delivered);
        // The same report again (a replay, a second desk) changes nothing.
        assert!(!store.apply_change(3, &approved, Utc::now()).unwrap());
        assert!(store.apply_change(4, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Returned);
        // The office's id of the version is kept for its timeline and thread.
        assert_eq!(store.office_item_of("d1", 1).unwrap(), Some(5));
    }

    #[test]
    fn a_responsible_desk_is_asked_only_about_items_still_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store
            .set_seat(&SeatView {
                id: 3,
                login: "jyj.responsible".into(),
                role: Role::Responsible,
                department: liaison_domain::DepartmentView {
                    id: 1,
                    name: "市教育局".into(),
                    signoff: SignoffPolicy::InApp,
                },
                holder_name: "李建国".into(),
            })
            .unwrap();
        let asked = |item_id: i64| ChangeKind::SignoffRequested {
            item_id,
            draft_key: format!("k{item_id}"),
            version: 1,
            receipt: format!("LS-{item_id}"),
            title: format!("稿件{item_id}"),
            holder_name: "王晓燕".into(),
        };
        let signed = ChangeKind::ItemReviewed {
            item_id: 9,
            draft_key: "k9".into(),
            version: 1,
            receipt: "LS-9".into(),
            state: ItemState::Delivered,
            published_url: None,
            review_comment: None,
            by: Some("李建国".into()),
        };
        // The log read from the start: item 9 was asked for and signed off long ago.
        assert!(store.apply_change(1, &asked(9), Utc::now()).unwrap());
        store.apply_change(2, &signed, Utc::now()).unwrap();
        assert!(store.apply_change(3, &asked(10), Utc::now()).unwrap());
        let notices = store.notices().unwrap();
        let titles: Vec<_> = notices
            .iter()
            .filter(|n| n.kind == NoticeKind::SignoffRequested)
            .map(|n| n.facts.title.clone().unwrap())
            .collect();
        assert_eq!(titles, ["稿件10"]);
    }
}
