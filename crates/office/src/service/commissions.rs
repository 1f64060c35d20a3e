//! Commissioned items (约稿): an editor asks departments for content on a topic by a deadline,
//! extends or withdraws the request; each named department's desks hear of each step through
//! their change log. The request moves through the domain's `CommissionState::apply`, its text
//! and deadlines are checked by `domain::commission`, and each step writes its audit entry in
//! the same [`CommissionsTx`] transaction. Answers are linked when they are stored
//! (`service::items::submit`).

use chrono::{DateTime, Utc};
use liaison_domain::SeatView;
use liaison_domain::commission::{
    self, CommissionEvent, CommissionProblem, CommissionState, Deadline, standing,
};
use liaison_domain::wire::{
    Change, ChangeKind, CommissionNews, CommissionTarget, CommissionView, NewCommissionRequest,
};

use crate::audit::Record;
use crate::store::{
    Actor, Audience, CommissionRecord, CommissionsTx, Store, StoreError, StoredCommission,
};

/// Runs `f` in one transaction over requests and hands back what it made.
fn in_commissions<T>(
    store: &dyn Store,
    mut f: impl FnMut(&mut dyn CommissionsTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.commissioning(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}

fn refused(p: CommissionProblem) -> StoreError {
    StoreError::Commission(p)
}

fn office_only(by: &Actor<'_>) -> Result<(), StoreError> {
    if by.seat.role.is_office() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only the editorial office commissions items",
        ))
    }
}

/// The request as `seat` may see it at `now`: the office sees every department's standing, a
/// department only its own.
pub fn view(
    record: CommissionRecord,
    seat: &SeatView,
    now: DateTime<Utc>,
) -> Option<CommissionView> {
    let own = |department_id: i64| seat.role.is_office() || seat.department.id == department_id;
    if !record.targets.iter().any(|t| own(t.department_id)) {
        return None;
    }
    Some(CommissionView {
        targets: record
            .targets
            .into_iter()
            .filter(|t| own(t.department_id))
            .map(|t| CommissionTarget {
                standing: standing(
                    record.state,
                    record.due_at,
                    t.answer.as_ref().map(|a| a.0),
                    now,
                ),
                department_id: t.department_id,
                department_name: t.department_name,
                answered_at: t.answer.as_ref().map(|a| a.0),
                item_id: t.answer.as_ref().map(|a| a.1),
                receipt: t.answer.map(|a| a.2),
            })
            .collect(),
        id: record.id,
        topic: record.topic,
        requirements: record.requirements,
        column_id: record.column_id,
        column_name: record.column_name,
        due_at: record.due_at,
        state: record.state,
        posted_at: record.posted_at,
        posted_by: record.posted_by,
    })
}

/// Tells each department the request names, and writes the audit entry.
fn announce(
    tx: &mut dyn CommissionsTx,
    record: &CommissionRecord,
    what: CommissionNews,
    by: &Actor<'_>,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    let change = Change {
        seq: 0,
        at: now,
        kind: ChangeKind::CommissionUpdated {
            commission_id: record.id,
            what,
            topic: record.topic.clone(),
            due_at: record.due_at,
            state: record.state,
        },
    };
    for target in &record.targets {
        tx.append_change(target.department_id, &change, Audience::All)?;
    }
    let action = match what {
        CommissionNews::Posted => "commission.posted",
        CommissionNews::Extended => "commission.extended",
        CommissionNews::Withdrawn => "commission.withdrawn",
    };
    tx.append_audit(&Record::new(
        now,
        &by.seat.login,
        action,
        format!("commission:{}", record.id),
        detail,
        by.address,
    ))
}

/// Posts a request: a topic, its requirements, the departments asked (live ones, each once),
/// optionally a live column of one of them that takes items, and a deadline not before today.
pub fn post(
    store: &dyn Store,
    new: &NewCommissionRequest,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<CommissionView, StoreError> {
    office_only(by)?;
    let request =
        commission::request(&new.topic, &new.requirements, &new.departments).map_err(refused)?;
    let calendar = store.calendar()?;
    let due_at = new.deadline.due_at(now, &calendar).map_err(refused)?;
    let record = in_commissions(store, |tx| {
        let live = tx.live_departments()?;
        if let Some(gone) = request
            .departments
            .iter()
            .find(|d| !live.iter().any(|l| l.id == **d))
        {
            return Err(StoreError::Invalid(format!(
                "department {gone} does not exist or has retired"
            )));
        }
        if let Some(column_id) = new.column_id {
            let column = tx.live_column(column_id)?.ok_or(StoreError::NotFound)?;
            if !request.departments.contains(&column.department_id) || !column.feed.accepts_items()
            {
                return Err(StoreError::Invalid(
                    "the column must take items and belong to a department asked".into(),
                ));
            }
        }
        let id = tx.insert_commission(&StoredCommission {
            request: &request,
            column_id: new.column_id,
            due_at,
            posted_at: now,
            posted_by: by.seat,
        })?;
        let record = tx.commission(id)?.ok_or(StoreError::NotFound)?;
        announce(
            tx,
            &record,
            CommissionNews::Posted,
            by,
            now,
            format!("{}; due {}", record.topic, due_at.to_rfc3339()),
        )?;
        Ok(record)
    })?;
    view(record, by.seat, now).ok_or(StoreError::NotFound)
}

/// Moves an open request's deadline later (never before today).
pub fn extend(
    store: &dyn Store,
    id: i64,
    to: Deadline,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<CommissionView, StoreError> {
    office_only(by)?;
    let calendar = store.calendar()?;
    change(store, id, CommissionEvent::Extend, by, now, |record| {
        commission::extended(record.due_at, to, now, &calendar).map_err(refused)
    })
}

/// Withdraws an open request: nothing more is asked; answers already in stay linked.
pub fn withdraw(
    store: &dyn Store,
    id: i64,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<CommissionView, StoreError> {
    office_only(by)?;
    change(store, id, CommissionEvent::Withdraw, by, now, |record| {
        Ok(record.due_at)
    })
}

fn change(
    store: &dyn Store,
    id: i64,
    event: CommissionEvent,
    by: &Actor<'_>,
    now: DateTime<Utc>,
    due: impl Fn(&CommissionRecord) -> Result<DateTime<Utc>, StoreError>,
) -> Result<CommissionView, StoreError> {
    let record = in_commissions(store, |tx| {
        let record = tx.commission(id)?.ok_or(StoreError::NotFound)?;
        let state: CommissionState = record
            .state
            .apply(event)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let due_at = due(&record)?;
        tx.update_commission(id, state, due_at, now)?;
        let record = tx.commission(id)?.ok_or(StoreError::NotFound)?;
        let (what, detail) = match event {
            CommissionEvent::Extend => (
                CommissionNews::Extended,
                format!("{}; due {}", record.topic, due_at.to_rfc3339()),
            ),
            CommissionEvent::Withdraw => (CommissionNews::Withdrawn, record.topic.clone()),
        };
        announce(tx, &record, what, by, now, detail)?;
        Ok(record)
    })?;
    view(record, by.seat, now).ok_or(StoreError::NotFound)
}

/// The requests `seat` may see, newest first: every one for the office, those naming its
/// department for a department's seat.
pub fn list(
    store: &dyn Store,
    seat: &SeatView,
    now: DateTime<Utc>,
) -> Result<Vec<CommissionView>, StoreError> {
    let department = (!seat.role.is_office()).then_some(seat.department.id);
    Ok(store
        .commissions(department)?
        .into_iter()
        .filter_map(|r| view(r, seat, now))
        .collect())
}

/// One request, if `seat` may see it.
pub fn one(
    store: &dyn Store,
    id: i64,
    seat: &SeatView,
    now: DateTime<Utc>,
) -> Result<CommissionView, StoreError> {
    store
        .commission(id)?
        .and_then(|r| view(r, seat, now))
        .ok_or(StoreError::NotFound)
}
