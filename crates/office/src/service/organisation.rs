//! The administration of the organisation: departments, columns and seats. Each change is
//! checked against the domain's rules on the organisation as it is inside the transaction, then
//! written with its audit entry and, where a department's desks must learn of it, a change in
//! that department's log, all in one transaction through [`OrganisationTx`].

use chrono::{DateTime, Duration, Utc};
use liaison_domain::handover::HANDOVER_CODE_HOURS;
use liaison_domain::organisation::{self as rules, OrgProblem, Organisation};
use liaison_domain::wire::{Change, ChangeKind, OrganisationEvent};
use liaison_domain::{ColumnLevel, DutyRule, FeedMethod, Role};

use serde::{Deserialize, Serialize};

use crate::audit::Record;
use crate::auth;
use crate::store::{Actor, Audience, ColumnFields, NewSeat, OrganisationTx, Store, StoreError};

/// One change the administrator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminChange {
    CreateDepartment {
        name: String,
    },
    RenameDepartment {
        id: i64,
        name: String,
    },
    /// Only once no live column is left; its seats are disabled. Nothing is deleted.
    RetireDepartment {
        id: i64,
    },
    CreateColumn {
        department_id: i64,
        fields: ColumnInput,
    },
    /// New name, path, feed, duty and level; the department stays.
    UpdateColumn {
        id: i64,
        fields: ColumnInput,
    },
    /// To another department, with the column's history (its id and updates stay).
    MoveColumn {
        id: i64,
        department_id: i64,
    },
    RetireColumn {
        id: i64,
    },
    RestoreColumn {
        id: i64,
    },
    /// A seat with its first holder, who chooses a password with the one-time code returned.
    CreateSeat {
        login: String,
        role: Role,
        department_id: Option<i64>,
        holder_name: String,
        phone: String,
    },
    DisableSeat {
        id: i64,
    },
    EnableSeat {
        id: i64,
    },
    /// The holder gets a one-time code to choose a new password with; the old one stops working
    /// and every session of the seat ends.
    ResetPassword {
        id: i64,
    },
    SignOutEverywhere {
        id: i64,
    },
}

/// A column's fields as the administrator types them (checked by the domain's rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnInput {
    pub name: String,
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    #[serde(default)]
    pub level: ColumnLevel,
}

/// A one-time code for a seat's holder, shown to the administrator once to hand over (printed or
/// read out); only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeatCode {
    pub seat_id: i64,
    pub login: String,
    pub holder_name: String,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// What a change made: the id of what it created, and a seat's one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminOutcome {
    Created(i64),
    Code(SeatCode),
    Done,
}

/// Applies `change` as `by`, in one transaction.
pub fn administer(
    store: &dyn Store,
    change: &AdminChange,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<AdminOutcome, StoreError> {
    if by.seat.role != Role::Admin {
        return Err(StoreError::Forbidden("the administrator only"));
    }
    // A closed month's scores are taken as they stand before the organisation changes.
    super::scores::take_closed_months(store, now)?;
    let mut outcome = None;
    store.organise(&mut |tx| {
        outcome = Some(apply(tx, change, by, now)?);
        Ok(())
    })?;
    outcome.ok_or_else(|| StoreError::Backend("the change was not applied".into()))
}

/// Applies `change` inside a transaction the caller holds (an import applies many in one).
pub fn apply(
    tx: &mut dyn OrganisationTx,
    change: &AdminChange,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<AdminOutcome, StoreError> {
    let org = tx.organisation()?;
    let mut w = Writer { tx, by, now };
    match change {
        AdminChange::CreateDepartment { name } => {
            let name = rules::department_name(name)?;
            if org.departments.iter().any(|d| d.name == name) {
                return Err(OrgProblem::DepartmentNameTaken(name).into());
            }
            let id = w.tx.insert_department(&name)?;
            w.audit("department.created", format!("department:{id}"), &name)?;
            Ok(AdminOutcome::Created(id))
        }
        AdminChange::RenameDepartment { id, name } => {
            live_department(&org, *id)?;
            let name = rules::department_name(name)?;
            if org
                .departments
                .iter()
                .any(|d| d.name == name && d.id != *id)
            {
                return Err(OrgProblem::DepartmentNameTaken(name).into());
            }
            w.tx.rename_department(*id, &name)?;
            w.audit("department.renamed", format!("department:{id}"), &name)?;
            w.tell(*id, OrganisationEvent::DepartmentRenamed, *id, &name)?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::RetireDepartment { id } => {
            let department = live_department(&org, *id)?;
            rules::may_retire_department(org.live_columns_of(*id))?;
            w.tx.retire_department(*id, now)?;
            let seats: Vec<_> = org
                .seats
                .iter()
                .filter(|s| s.department_id == Some(*id) && !s.disabled)
                .collect();
            for seat in &seats {
                w.tx.set_seat_disabled(seat.id, Some(now))?;
                w.tell(*id, OrganisationEvent::SeatDisabled, seat.id, &seat.login)?;
            }
            w.audit(
                "department.retired",
                format!("department:{id}"),
                &format!("{}; {} seat(s) disabled", department.name, seats.len()),
            )?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::CreateColumn {
            department_id,
            fields,
        } => {
            live_department(&org, *department_id)?;
            let fields = column_fields(&org, *department_id, fields, None)?;
            let id = w.tx.insert_column(&fields, now)?;
            w.audit(
                "column.created",
                format!("column:{id}"),
                &describe_column(&fields),
            )?;
            w.tell(
                *department_id,
                OrganisationEvent::ColumnAdded,
                id,
                &fields.name,
            )?;
            Ok(AdminOutcome::Created(id))
        }
        AdminChange::UpdateColumn { id, fields } => {
            let column = live_column(&org, *id)?;
            let fields = column_fields(&org, column.department_id, fields, Some(*id))?;
            w.tx.update_column(*id, &fields)?;
            w.audit(
                "column.changed",
                format!("column:{id}"),
                &describe_column(&fields),
            )?;
            w.tell(
                column.department_id,
                OrganisationEvent::ColumnChanged,
                *id,
                &fields.name,
            )?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::MoveColumn { id, department_id } => {
            let column = live_column(&org, *id)?;
            let to = live_department(&org, *department_id)?;
            if column.department_id == *department_id {
                return Err(OrgProblem::SameDepartment.into());
            }
            let from = column.department_id;
            let fields = ColumnFields {
                department_id: *department_id,
                name: column.name.clone(),
                path: column.path.clone(),
                feed: column.feed,
                duty: column.duty,
                level: column.level,
            };
            w.tx.update_column(*id, &fields)?;
            w.audit(
                "column.moved",
                format!("column:{id}"),
                &format!(
                    "{}: department {from} -> {} ({})",
                    column.name, to.id, to.name
                ),
            )?;
            w.tell(from, OrganisationEvent::ColumnMovedOut, *id, &column.name)?;
            w.tell(to.id, OrganisationEvent::ColumnMovedIn, *id, &column.name)?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::RetireColumn { id } => {
            let column = live_column(&org, *id)?;
            w.tx.set_column_retired(*id, Some(now))?;
            w.audit("column.retired", format!("column:{id}"), &column.name)?;
            w.tell(
                column.department_id,
                OrganisationEvent::ColumnRetired,
                *id,
                &column.name,
            )?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::RestoreColumn { id } => {
            let column = org.column(*id).ok_or(StoreError::NotFound)?;
            live_department(&org, column.department_id)?;
            if org
                .columns
                .iter()
                .any(|c| !c.retired && c.id != *id && c.path == column.path)
            {
                return Err(OrgProblem::PathTaken(column.path.clone()).into());
            }
            w.tx.set_column_retired(*id, None)?;
            w.audit("column.restored", format!("column:{id}"), &column.name)?;
            w.tell(
                column.department_id,
                OrganisationEvent::ColumnRestored,
                *id,
                &column.name,
            )?;
            Ok(AdminOutcome::Done)
        }
        AdminChange::CreateSeat {
            login,
            role,
            department_id,
            holder_name,
            phone,
        } => {
            let login = rules::login(login)?;
            rules::role_department(*role, department_id.is_some())?;
            if let Some(d) = department_id {
                live_department(&org, *d)?;
            }
            if org.seats.iter().any(|s| s.login == login) {
                return Err(OrgProblem::LoginTaken(login).into());
            }
            let seat = NewSeat {
                login,
                role: *role,
                department_id: *department_id,
                holder_name: rules::holder_name(holder_name)?,
                phone: rules::phone(phone)?,
                password_hash: None,
            };
            let id = w.tx.insert_seat(&seat, now)?;
            w.audit(
                "seat.created",
                format!("seat:{}", seat.login),
                &format!("{} ({})", seat.holder_name, seat.role.as_str()),
            )?;
            Ok(AdminOutcome::Code(w.code_for(
                id,
                &seat.login,
                &seat.holder_name,
            )?))
        }
        AdminChange::DisableSeat { id } => {
            let seat = org.seat(*id).ok_or(StoreError::NotFound)?;
            if seat.disabled {
                return Ok(AdminOutcome::Done);
            }
            rules::may_disable(seat.role, seat.id == by.seat.id, org.enabled_admins())?;
            w.tx.set_seat_disabled(*id, Some(now))?;
            w.audit("seat.disabled", format!("seat:{}", seat.login), "")?;
            if let Some(d) = seat.department_id {
                w.tell(d, OrganisationEvent::SeatDisabled, *id, &seat.login)?;
            }
            Ok(AdminOutcome::Done)
        }
        AdminChange::EnableSeat { id } => {
            let seat = org.seat(*id).ok_or(StoreError::NotFound)?;
            if !seat.disabled {
                return Ok(AdminOutcome::Done);
            }
            if let Some(d) = seat.department_id {
                live_department(&org, d)?;
            }
            w.tx.set_seat_disabled(*id, None)?;
            w.audit("seat.enabled", format!("seat:{}", seat.login), "")?;
            if let Some(d) = seat.department_id {
                w.tell(d, OrganisationEvent::SeatEnabled, *id, &seat.login)?;
            }
            Ok(AdminOutcome::Done)
        }
        AdminChange::ResetPassword { id } => {
            let seat = org.seat(*id).ok_or(StoreError::NotFound)?;
            let ended = w.tx.end_sessions(*id)?;
            w.audit(
                "seat.password_reset",
                format!("seat:{}", seat.login),
                &format!("{ended} session(s) ended"),
            )?;
            Ok(AdminOutcome::Code(w.code_for(
                *id,
                &seat.login,
                &seat.holder_name,
            )?))
        }
        AdminChange::SignOutEverywhere { id } => {
            let seat = org.seat(*id).ok_or(StoreError::NotFound)?;
            let ended = w.tx.end_sessions(*id)?;
            w.audit(
                "seat.signed_out",
                format!("seat:{}", seat.login),
                &format!("{ended} session(s) ended"),
            )?;
            Ok(AdminOutcome::Done)
        }
    }
}

/// The office's first administrator, with the password given (`init`, and the demo city):
/// refused once the office has any administrator.
pub fn first_admin(
    store: &dyn Store,
    login: &str,
    holder_name: &str,
    password_hash: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let login = rules::login(login)?;
    let holder_name = rules::holder_name(holder_name)?;
    let mut created = None;
    store.organise(&mut |tx| {
        if tx
            .organisation()?
            .seats
            .iter()
            .any(|s| s.role == Role::Admin)
        {
            return Err(StoreError::Conflict(
                "the office has an administrator".into(),
            ));
        }
        let id = tx.insert_seat(
            &NewSeat {
                login: login.clone(),
                role: Role::Admin,
                department_id: None,
                holder_name: holder_name.clone(),
                phone: None,
                password_hash: Some(password_hash.to_owned()),
            },
            now,
        )?;
        tx.append_audit(&Record::new(
            now,
            &login,
            "seat.created",
            format!("seat:{login}"),
            format!("{holder_name} (admin), the office's first administrator"),
            address,
        ))?;
        created = Some(id);
        Ok(())
    })?;
    created.ok_or_else(|| StoreError::Backend("the administrator was not created".into()))
}

/// Writes within the transaction as the administrator.
struct Writer<'t, 'a> {
    tx: &'t mut dyn OrganisationTx,
    by: &'t Actor<'a>,
    now: DateTime<Utc>,
}

impl Writer<'_, '_> {
    fn audit(&mut self, action: &str, subject: String, detail: &str) -> Result<(), StoreError> {
        self.tx.append_audit(&Record::new(
            self.now,
            &self.by.seat.login,
            action,
            subject,
            detail,
            self.by.address,
        ))
    }

    /// Tells a department's desks (and the office) what changed.
    fn tell(
        &mut self,
        department_id: i64,
        what: OrganisationEvent,
        subject_id: i64,
        name: &str,
    ) -> Result<(), StoreError> {
        let change = Change {
            seq: 0,
            at: self.now,
            kind: ChangeKind::OrganisationChanged {
                what,
                subject_id,
                name: name.to_owned(),
            },
        };
        self.tx
            .append_change(department_id, &change, Audience::All)
            .map(|_| ())
    }

    /// A new one-time code for the seat; the plain code leaves only in the answer.
    fn code_for(
        &mut self,
        seat_id: i64,
        login: &str,
        holder_name: &str,
    ) -> Result<SeatCode, StoreError> {
        let code = auth::handover_code();
        let expires_at = self.now + Duration::hours(HANDOVER_CODE_HOURS);
        let hash = auth::token_hash(&auth::normalized_code(&code));
        self.tx
            .set_seat_code(seat_id, &hash, self.now, expires_at)?;
        Ok(SeatCode {
            seat_id,
            login: login.to_owned(),
            holder_name: holder_name.to_owned(),
            code,
            expires_at,
        })
    }
}

fn live_department(
    org: &Organisation,
    id: i64,
) -> Result<&liaison_domain::organisation::OrgDepartment, StoreError> {
    let department = org.department(id).ok_or(StoreError::NotFound)?;
    if department.retired {
        return Err(OrgProblem::DepartmentRetired.into());
    }
    Ok(department)
}

fn live_column(
    org: &Organisation,
    id: i64,
) -> Result<&liaison_domain::organisation::OrgColumn, StoreError> {
    let column = org.column(id).ok_or(StoreError::NotFound)?;
    if column.retired {
        return Err(OrgProblem::ColumnRetired.into());
    }
    Ok(column)
}

/// The column's fields checked by the domain's rules; its path unique among live columns.
fn column_fields(
    org: &Organisation,
    department_id: i64,
    input: &ColumnInput,
    this: Option<i64>,
) -> Result<ColumnFields, StoreError> {
    let path = rules::column_path(&input.path)?;
    if org
        .columns
        .iter()
        .any(|c| !c.retired && Some(c.id) != this && c.path == path)
    {
        return Err(OrgProblem::PathTaken(path).into());
    }
    Ok(ColumnFields {
        department_id,
        name: rules::column_name(&input.name)?,
        path,
        feed: input.feed,
        duty: rules::duty(input.duty)?,
        level: input.level,
    })
}

fn describe_column(c: &ColumnFields) -> String {
    format!(
        "{} ({}) department {}, {}, {}, {}",
        c.name,
        c.path,
        c.department_id,
        c.feed.as_str(),
        serde_json::to_string(&c.duty).unwrap_or_default(),
        c.level.as_str()
    )
}

/// The whole organisation as it is, retired and disabled parts included.
pub fn organisation(store: &dyn Store) -> Result<Organisation, StoreError> {
    let mut org = None;
    store.organise(&mut |tx| {
        org = Some(tx.organisation()?);
        Ok(())
    })?;
    org.ok_or_else(|| StoreError::Backend("no organisation read".into()))
}
