//! Items at the office: a send stored exactly once, the department's sign-off and the editors'
//! review through the one item state machine, remarks in an item's thread. Each runs in one
//! [`ItemsTx`] transaction: the rules are here (who may decide, the sign-off hold, what the
//! timeline records, which change reaches whom, the audit entry), the store only persists.

use chrono::{DateTime, Utc};
use liaison_domain::wire::{
    Change, ChangeKind, ItemDetail, SubmitItemResponse, TimelineEntry, TimelineKind,
};
use liaison_domain::{ItemEvent, ItemState, Role, SeatView, SignoffPolicy};

use crate::audit::Record;
use crate::store::{
    Actor, Audience, ItemUpdate, ItemsTx, NewComment, NewItem, Review, Store, StoreError,
    StoredItem, SubmitOutcome, may_see,
};

/// Runs `f` in one items transaction and hands back what it made.
fn in_items<T>(
    store: &dyn Store,
    mut f: impl FnMut(&mut dyn ItemsTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.items(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}

fn entry(
    at: DateTime<Utc>,
    kind: TimelineKind,
    by: &SeatView,
    text: Option<String>,
    quote: Option<String>,
) -> TimelineEntry {
    TimelineEntry {
        at,
        kind,
        actor: by.holder_name.clone(),
        actor_role: by.role,
        text,
        quote,
    }
}

fn change(at: DateTime<Utc>, kind: ChangeKind) -> Change {
    Change { seq: 0, at, kind }
}

/// A published address and time as an editor gives them, checked: an http(s) address of one
/// line; the time defaults to now (whether the item could have been published then is checked
/// against the item when the decision is applied).
pub fn acceptance(
    url: &str,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Review, StoreError> {
    let url = liaison_domain::text::web_address(url)
        .ok_or_else(|| StoreError::Invalid("published_url must be an http(s) address".into()))?;
    Ok(Review::Accept {
        published_url: url.to_owned(),
        published_at: published_at.unwrap_or(now),
    })
}

/// A remark's text and quote, checked by the remark rule (`what` names it in the refusal).
pub fn remark(text: &str, quote: Option<&str>, what: &str) -> Result<NewComment, StoreError> {
    let r = liaison_domain::remark::check(text, quote)
        .map_err(|problem| StoreError::Invalid(format!("{what}: {problem}")))?;
    Ok(NewComment {
        text: r.text,
        quote: r.quote,
    })
}

/// Stores a send exactly once per (seat, idempotency key): a replay with the same payload gets
/// the first answer, another payload under the key is refused. A new send goes only into a live
/// column of the seat's own department that takes items (`NotFound` for no such column). Under the department's `in_app`
/// policy the item is held for sign-off (and only its department hears of it); otherwise it goes
/// to the editors.
pub fn submit(store: &dyn Store, item: NewItem<'_>) -> Result<SubmitOutcome, StoreError> {
    in_items(store, |tx| submit_in(tx, &item))
}

/// The answer a send under this key already has: the first answer for the same payload,
/// `KeyReused` for another one; `None` for a key not seen yet. A caller that checks a send
/// against rules that can change (the word lists, the department's sign-off policy) asks this
/// first, so a replay gets its first answer whatever changed since.
pub fn earlier_answer(
    store: &dyn Store,
    seat_id: i64,
    idempotency_key: &str,
    payload_sha256: &str,
) -> Result<Option<SubmitOutcome>, StoreError> {
    in_items(store, |tx| {
        answer_to(&*tx, seat_id, idempotency_key, payload_sha256)
    })
}

fn answer_to(
    tx: &dyn ItemsTx,
    seat_id: i64,
    idempotency_key: &str,
    payload_sha256: &str,
) -> Result<Option<SubmitOutcome>, StoreError> {
    let Some(earlier) = tx.earlier_send(seat_id, idempotency_key)? else {
        return Ok(None);
    };
    Ok(Some(if earlier.payload_sha256 == payload_sha256 {
        // The first answer said whether the item was held for sign-off.
        SubmitOutcome::Replayed(SubmitItemResponse {
            id: earlier.id,
            receipt: earlier.receipt,
            delivered_at: earlier.delivered_at,
            state: if earlier.held {
                ItemState::AwaitingSignoff
            } else {
                ItemState::Delivered
            },
        })
    } else {
        SubmitOutcome::KeyReused
    }))
}

fn submit_in(tx: &mut dyn ItemsTx, item: &NewItem<'_>) -> Result<SubmitOutcome, StoreError> {
    let seat = item.seat;
    if let Some(answer) = answer_to(&*tx, seat.id, item.idempotency_key, item.payload_sha256)? {
        return Ok(answer);
    }
    let req = item.request;
    // Checked after the key, so that a replay gets its first answer even if the column has
    // retired or moved since.
    let column = tx.live_column(req.column_id)?.ok_or(StoreError::NotFound)?;
    if column.department_id != seat.department.id {
        return Err(StoreError::Forbidden(
            "the column belongs to another department",
        ));
    }
    if !column.feed.accepts_items() {
        return Err(StoreError::Invalid(
            "this column is not fed by submitted items".into(),
        ));
    }
    if let Some(id) = tx.sent_item(seat.id, &req.draft_key, req.version)? {
        return Ok(SubmitOutcome::SentElsewhere(id));
    }
    for file in &req.attachments {
        match tx.upload(seat.id, &file.sha256)? {
            Some(u) if u.size == file.size && u.mime.as_deref() == Some(file.mime.as_str()) => {}
            _ => return Ok(SubmitOutcome::FileMissing(file.sha256.clone())),
        }
    }
    // The state machine: an item arrives queued at the desk and is delivered here, into the
    // editors' inbox or, when the department signs off in the app, into its sign-off queue.
    let policy = seat.department.signoff;
    let held = policy == SignoffPolicy::InApp;
    let state = ItemState::Queued.apply(if held {
        ItemEvent::Hold
    } else {
        ItemEvent::Deliver
    })?;
    let now = item.now;
    // An answer to a request is linked while the request is open and names the department;
    // otherwise (withdrawn, or not this department's) it is received as an ordinary item.
    let commission_id = match req.commission_id {
        Some(c) if tx.open_commission_for(c, seat.department.id)? => Some(c),
        _ => None,
    };
    let id = tx.next_item_id()?;
    let receipt = liaison_domain::item::receipt_for(id, now);
    let attested = match (&req.attestation, policy) {
        (Some(a), SignoffPolicy::Attested) => Some(a),
        _ => None,
    };
    tx.insert_item(&StoredItem {
        id,
        receipt: &receipt,
        seat,
        idempotency_key: item.idempotency_key,
        payload_sha256: item.payload_sha256,
        request: req,
        state,
        delivered_at: now,
        attestation: attested,
        waiting_since: (!held).then_some(now),
        commission_id,
    })?;
    let delivered = entry(
        now,
        TimelineKind::Delivered,
        seat,
        Some(receipt.clone()),
        None,
    );
    tx.append_event(id, &delivered, seat.id)?;
    if let Some(a) = attested {
        let text = format!("{} {}", a.approver.trim(), a.approved_on);
        let entry = entry(now, TimelineKind::Attested, seat, Some(text), None);
        tx.append_event(id, &entry, seat.id)?;
    }
    if held {
        let waiting = entry(now, TimelineKind::AwaitingSignoff, seat, None, None);
        tx.append_event(id, &waiting, seat.id)?;
        let requested = ChangeKind::SignoffRequested {
            item_id: id,
            draft_key: req.draft_key.clone(),
            version: req.version,
            receipt: receipt.clone(),
            title: req.title.clone(),
            holder_name: seat.holder_name.clone(),
        };
        tx.append_change(
            seat.department.id,
            &change(now, requested),
            Audience::Department,
        )?;
    }
    tx.append_audit(&Record::new(
        now,
        &seat.login,
        "item.delivered",
        format!("item:{receipt}"),
        format!("{} v{} -> {}", req.draft_key, req.version, state.as_str()),
        item.address,
    ))?;
    Ok(SubmitOutcome::Created(SubmitItemResponse {
        id,
        receipt,
        delivered_at: now,
        state,
    }))
}

/// Who decides what: while an item awaits sign-off, only its department's responsible person;
/// once delivered, only the editorial office.
fn may_decide(item: &ItemDetail, review: &Review, by: &SeatView) -> Result<(), StoreError> {
    if !may_see(item, by) {
        return Err(StoreError::NotFound);
    }
    let signing_off = item.state == ItemState::AwaitingSignoff;
    let allowed = match review {
        Review::Approve => by.role == Role::Responsible,
        Review::Return { .. } if signing_off => by.role == Role::Responsible,
        Review::Accept { .. } | Review::Return { .. } | Review::Reject { .. } => {
            by.role.is_office()
        }
    };
    if allowed {
        Ok(())
    } else if signing_off || matches!(review, Review::Approve) {
        Err(StoreError::Forbidden(
            "only the department's responsible person signs its items off",
        ))
    } else {
        Err(StoreError::Forbidden(
            "only the editorial office reviews items",
        ))
    }
}

/// Applies a decision through the item state machine, checking in the same transaction that
/// `by` may take it in the item's present state; the department's desks hear of it.
pub fn review(
    store: &dyn Store,
    id: i64,
    review: &Review,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ItemDetail, StoreError> {
    in_items(store, |tx| review_in(tx, id, review, actor, now))
}

fn review_in(
    tx: &mut dyn ItemsTx,
    id: i64,
    review: &Review,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ItemDetail, StoreError> {
    let by = actor.seat;
    let item = tx.item(id)?.ok_or(StoreError::NotFound)?;
    may_decide(&item, review, by)?;
    if let Review::Accept { published_at, .. } = review {
        liaison_domain::item::check_published_at(*published_at, item.delivered_at, now)
            .map_err(|p| StoreError::Invalid(p.to_string()))?;
    }
    let (event, kind, text, quote) = match review {
        Review::Approve => (ItemEvent::Approve, TimelineKind::SignedOff, None, None),
        Review::Accept { published_url, .. } => (
            ItemEvent::Accept,
            TimelineKind::Accepted,
            Some(published_url.clone()),
            None,
        ),
        Review::Return { comment, quote } => (
            ItemEvent::Return,
            TimelineKind::Returned,
            Some(comment.clone()),
            quote.clone(),
        ),
        Review::Reject { reason } => (
            ItemEvent::Reject,
            TimelineKind::Rejected,
            Some(reason.clone()),
            None,
        ),
    };
    let state = item.state.apply(event)?;
    let update = match review {
        Review::Approve => ItemUpdate::SignedOff {
            state,
            by_name: &by.holder_name,
            // An item waits from its delivery or later, never before (the inbox relies on it),
            // even if the clock stepped back since.
            at: now.max(item.delivered_at),
        },
        Review::Accept {
            published_url,
            published_at,
        } => ItemUpdate::Accepted {
            state,
            published_url,
            published_at: *published_at,
            at: now,
            by: by.id,
        },
        Review::Return { comment: why, .. } | Review::Reject { reason: why } => {
            ItemUpdate::Reviewed {
                state,
                comment: why,
                at: now,
                by: by.id,
            }
        }
    };
    tx.update_item(id, &update)?;
    tx.append_event(id, &entry(now, kind, by, text.clone(), quote), by.id)?;
    let (published_url, review_comment) = match review {
        Review::Accept { .. } => (text, None),
        Review::Approve => (None, None),
        _ => (None, text),
    };
    let reviewed = ChangeKind::ItemReviewed {
        item_id: id,
        draft_key: item.draft_key.clone(),
        version: item.version,
        receipt: item.receipt.clone(),
        state,
        published_url,
        review_comment,
        by: Some(by.holder_name.clone()),
    };
    // Approval is the item leaving its department; a return before it stays there.
    let left = matches!(review, Review::Approve) || item.waiting_since.is_some();
    tx.append_change(
        item.department_id,
        &change(now, reviewed),
        Audience::of_item(left),
    )?;
    tx.append_audit(&Record::new(
        now,
        &by.login,
        &format!("item.{}", kind.as_str()),
        format!("item:{}", item.receipt),
        format!("{} -> {}", item.state.as_str(), state.as_str()),
        actor.address,
    ))?;
    tx.item(id)?.ok_or(StoreError::NotFound)
}

/// Appends a remark to the item's thread (its department's, or the office's once the item left
/// the department); only those who may see the item may.
pub fn comment(
    store: &dyn Store,
    id: i64,
    comment: &NewComment,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<TimelineEntry, StoreError> {
    in_items(store, |tx| {
        let by = actor.seat;
        let item = tx.item(id)?.ok_or(StoreError::NotFound)?;
        if !may_see(&item, by) {
            return Err(StoreError::NotFound);
        }
        let remark = entry(
            now,
            TimelineKind::Comment,
            by,
            Some(comment.text.clone()),
            comment.quote.clone(),
        );
        tx.append_event(id, &remark, by.id)?;
        let commented = ChangeKind::ItemCommented {
            item_id: id,
            draft_key: item.draft_key.clone(),
            version: item.version,
            author: by.holder_name.clone(),
            author_role: by.role,
            text: comment.text.clone(),
            quote: comment.quote.clone(),
        };
        let audience = Audience::of_item(item.waiting_since.is_some());
        tx.append_change(item.department_id, &change(now, commented), audience)?;
        tx.append_audit(&Record::new(
            now,
            &by.login,
            "item.comment",
            format!("item:{}", item.receipt),
            "",
            actor.address,
        ))?;
        Ok(remark)
    })
}
