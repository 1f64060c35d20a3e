//! What the office publishes for every desk and does about the columns' duties: a department's
//! sign-off policy, a year of the working calendar, the pre-flight word lists, an urge, and an
//! update it saw on a scraped or linked column. Each is checked by the domain's rules and written
//! with its audit entry (and, for an urge, the department's change) in one transaction.

use chrono::{DateTime, Datelike, Utc};
use liaison_domain::preflight::WordLists;
use liaison_domain::wire::{Change, ChangeKind};
use liaison_domain::{ColumnView, SignoffPolicy, WorkCalendar};

use crate::audit::Record;
use crate::store::{Actor, Audience, OrganisationTx, Store, StoreError};

/// Runs `f` in one transaction and hands back what it made.
fn in_tx<T>(
    store: &dyn Store,
    mut f: impl FnMut(&mut dyn OrganisationTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.organise(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}

fn audit(
    tx: &mut dyn OrganisationTx,
    by: &Actor<'_>,
    now: DateTime<Utc>,
    action: &str,
    subject: String,
    detail: &str,
) -> Result<(), StoreError> {
    tx.append_audit(&Record::new(
        now,
        &by.seat.login,
        action,
        subject,
        detail,
        by.address,
    ))
}

/// Sets how a department signs off what it sends.
pub fn set_signoff_policy(
    store: &dyn Store,
    department_id: i64,
    policy: SignoffPolicy,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    in_tx(store, |tx| {
        tx.set_signoff_policy(department_id, policy)?;
        audit(
            tx,
            by,
            now,
            "department.signoff_set",
            format!("department:{department_id}"),
            policy.as_str(),
        )
    })
}

/// Publishes one year of the calendar (its days in `calendar`), after the domain's checks.
pub fn publish_calendar_year(
    store: &dyn Store,
    year: i32,
    calendar: &WorkCalendar,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    liaison_domain::calendar_text::check_year(year, calendar)
        .map_err(|p| StoreError::Invalid(p.to_string()))?;
    in_tx(store, |tx| {
        tx.replace_calendar_year(year, calendar)?;
        let in_year = |days: &std::collections::BTreeSet<chrono::NaiveDate>| {
            days.iter().filter(|d| d.year() == year).count()
        };
        let detail = format!(
            "{} holidays, {} working weekend days",
            in_year(&calendar.holidays),
            in_year(&calendar.working_weekends)
        );
        audit(
            tx,
            by,
            now,
            "calendar.published",
            format!("calendar:{year}"),
            &detail,
        )
    })
}

/// Publishes both word lists as the domain keeps them (`WordLists::published`); what was
/// published.
pub fn publish_word_lists(
    store: &dyn Store,
    lists: WordLists,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<WordLists, StoreError> {
    let lists = lists
        .published()
        .map_err(|p| StoreError::Invalid(p.to_string()))?;
    in_tx(store, |tx| {
        tx.replace_word_lists(&lists)?;
        let detail = format!(
            "{} forbidden, {} misspellings",
            lists.forbidden.len(),
            lists.misspellings.len()
        );
        audit(
            tx,
            by,
            now,
            "word_lists.published",
            "word_lists".to_owned(),
            &detail,
        )
    })?;
    Ok(lists)
}

/// An update the office saw itself on a column fed from outside Liaison (scraped or linked),
/// with the address it was seen at when one is given (an http(s) address).
pub fn record_column_update(
    store: &dyn Store,
    column: &ColumnView,
    address: Option<&str>,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let address =
        match address {
            Some(a) => Some(liaison_domain::text::web_address(a).ok_or_else(|| {
                StoreError::Invalid("the address must be an http(s) address".into())
            })?),
            None => None,
        };
    if !column.feed.takes_recorded_updates() {
        return Err(StoreError::Invalid(
            "only scraped and linked columns take recorded updates; the others are kept current \
             by the items the office accepts"
                .into(),
        ));
    }
    in_tx(store, |tx| {
        tx.insert_column_update(column.id, now, by.seat.id, address)?;
        let detail = match address {
            Some(a) => format!("{} {a}", column.name),
            None => column.name.clone(),
        };
        audit(
            tx,
            by,
            now,
            "column.update_recorded",
            format!("column:{}", column.id),
            &detail,
        )
    })
}

/// Urges the column's department to update it (催报): the urge is kept in the column's and the
/// department's history, and its desks get a change they turn into a notice. Office seats only;
/// the message is checked by the domain (`urge::message`).
pub fn urge(
    store: &dyn Store,
    column: &ColumnView,
    message: &str,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Change, StoreError> {
    let message = checked_urge(message, by)?;
    in_tx(store, |tx| urge_in(tx, column, &message, by, now))
}

/// Urges every overdue column of a department at once, with one message, in one transaction;
/// the changes its desks get, one per column (none when nothing is overdue).
pub fn urge_overdue(
    store: &dyn Store,
    department_id: i64,
    message: &str,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, StoreError> {
    let message = checked_urge(message, by)?;
    let overdue: Vec<ColumnView> = super::watch::board(store, department_id, now)?
        .into_iter()
        .filter(|c| c.status.state == liaison_domain::DutyState::Overdue)
        .map(|c| c.column)
        .collect();
    in_tx(store, |tx| {
        overdue
            .iter()
            .map(|column| urge_in(tx, column, &message, by, now))
            .collect()
    })
}

fn checked_urge(message: &str, by: &Actor<'_>) -> Result<String, StoreError> {
    if !by.seat.role.is_office() {
        return Err(StoreError::Forbidden("only the editorial office urges"));
    }
    Ok(liaison_domain::urge::message(message)?)
}

fn urge_in(
    tx: &mut dyn OrganisationTx,
    column: &ColumnView,
    message: &str,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Change, StoreError> {
    tx.insert_urge(
        &liaison_domain::urge::Urge {
            column_id: column.id,
            department_id: column.department_id,
            at: now,
            message: message.to_owned(),
            urged_by: by.seat.holder_name.clone(),
        },
        by.seat.id,
    )?;
    let mut change = Change {
        seq: 0,
        at: now,
        kind: ChangeKind::ColumnUrged {
            column_id: column.id,
            column_name: column.name.clone(),
            message: message.to_owned(),
            urged_by: by.seat.holder_name.clone(),
        },
    };
    change.seq = tx.append_change(column.department_id, &change, Audience::All)?;
    audit(
        tx,
        by,
        now,
        "column.urged",
        format!("column:{}", column.id),
        message,
    )?;
    Ok(change)
}
