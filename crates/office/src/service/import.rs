//! The organisation imported from a sheet's rows: planned against the office as it is inside the
//! transaction and, unless a dry run, applied there change by change through the same
//! administration as the console's forms, all or nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use liaison_domain::Role;
use liaison_domain::orgsheet::{self, OrgChange, OrgPlan, OrgRow, PlanSummary, RowError};
use serde::Serialize;

use super::organisation::{AdminChange, AdminOutcome, ColumnInput, SeatCode, apply};
use crate::audit::Record;
use crate::store::{Actor, Store, StoreError};

/// What an import did (or, as a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Whether the changes were made (false: a dry run, or rows were refused).
    pub applied: bool,
    pub summary: PlanSummary,
    /// One line per change, in Chinese.
    pub changes: Vec<String>,
    /// What the import leaves alone on purpose, in Chinese.
    pub notes: Vec<String>,
    /// Every refused row with its number and reason, in Chinese; nothing is changed if any.
    pub rows_refused: Vec<RowError>,
    /// The one-time codes of the seats created, shown this once.
    pub codes: Vec<SeatCode>,
    /// The plan's digest: an import confirms the plan its dry run showed.
    pub plan_digest: String,
    /// The plan is not the one confirmed (the office changed since the dry run): shown, not
    /// applied.
    pub stale: bool,
}

impl ImportReport {
    /// The report of rows refused before any plan: nothing changed.
    pub fn refused(rows_refused: Vec<RowError>) -> ImportReport {
        ImportReport {
            applied: false,
            summary: PlanSummary::default(),
            changes: Vec::new(),
            notes: Vec::new(),
            rows_refused,
            codes: Vec::new(),
            plan_digest: String::new(),
            stale: false,
        }
    }
}

fn digest(plan: &OrgPlan) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        serde_json::to_vec(&plan.changes).unwrap_or_default(),
    ))
}

/// Imports the organisation's rows: plans against the office as it is inside the transaction and,
/// unless `dry_run`, applies every change there, all or nothing. With `expect` (the digest a dry
/// run showed), a plan that differs from it (the office changed meanwhile) is not applied.
pub fn import(
    store: &dyn Store,
    rows: &[OrgRow],
    dry_run: bool,
    expect: Option<&str>,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    if by.seat.role != Role::Admin {
        return Err(StoreError::Forbidden("the administrator only"));
    }
    if !dry_run {
        // A closed month's scores are taken as they stand before the organisation changes.
        super::scores::take_closed_months(store, now)?;
    }
    let mut report = None;
    store.organise(&mut |tx| {
        let org = tx.organisation()?;
        let plan = match orgsheet::plan(&org, rows) {
            Ok(plan) => plan,
            Err(refused) => {
                report = Some(ImportReport::refused(refused));
                return Ok(());
            }
        };
        let mut done = ImportReport {
            applied: false,
            summary: plan.summary(),
            changes: plan.describe(&org),
            notes: plan.notes.clone(),
            rows_refused: Vec::new(),
            codes: Vec::new(),
            plan_digest: digest(&plan),
            stale: false,
        };
        let confirmed = expect.is_none_or(|e| e == done.plan_digest);
        done.stale = !confirmed;
        if dry_run || plan.is_empty() || !confirmed {
            report = Some(done);
            return Ok(());
        }
        let mut departments: HashMap<String, i64> = org
            .departments
            .iter()
            .filter(|d| !d.retired)
            .map(|d| (d.name.clone(), d.id))
            .collect();
        let department = |departments: &HashMap<String, i64>, name: &str| {
            departments
                .get(name)
                .copied()
                .ok_or_else(|| StoreError::Invalid(format!("no department {name}")))
        };
        for change in &plan.changes {
            let admin = match change {
                OrgChange::CreateDepartment { name } => {
                    AdminChange::CreateDepartment { name: name.clone() }
                }
                OrgChange::CreateColumn {
                    department: d,
                    name,
                    path,
                    feed,
                    duty,
                    level,
                } => AdminChange::CreateColumn {
                    department_id: department(&departments, d)?,
                    fields: ColumnInput {
                        name: name.clone(),
                        path: path.clone(),
                        feed: *feed,
                        duty: *duty,
                        level: *level,
                    },
                },
                OrgChange::ChangeColumn {
                    id,
                    name,
                    feed,
                    duty,
                    level,
                } => AdminChange::UpdateColumn {
                    id: *id,
                    fields: ColumnInput {
                        name: name.clone(),
                        path: org.column(*id).ok_or(StoreError::NotFound)?.path.clone(),
                        feed: *feed,
                        duty: *duty,
                        level: *level,
                    },
                },
                OrgChange::MoveColumn { id, to_department } => AdminChange::MoveColumn {
                    id: *id,
                    department_id: department(&departments, to_department)?,
                },
                OrgChange::RetireColumn { id } => AdminChange::RetireColumn { id: *id },
                OrgChange::RestoreColumn { id } => AdminChange::RestoreColumn { id: *id },
                OrgChange::CreateSeat {
                    department: d,
                    role,
                    login,
                    holder_name,
                    phone,
                } => AdminChange::CreateSeat {
                    login: login.clone(),
                    role: *role,
                    department_id: Some(department(&departments, d)?),
                    holder_name: holder_name.clone(),
                    phone: phone.clone().unwrap_or_default(),
                },
            };
            match (apply(tx, &admin, by, now)?, change) {
                (AdminOutcome::Created(id), OrgChange::CreateDepartment { name }) => {
                    departments.insert(name.clone(), id);
                }
                (AdminOutcome::Code(code), _) => done.codes.push(code),
                _ => {}
            }
        }
        tx.append_audit(&Record::new(
            now,
            &by.seat.login,
            "organisation.imported",
            "organisation".to_owned(),
            serde_json::to_string(&done.summary).unwrap_or_default(),
            by.address,
        ))?;
        done.applied = true;
        report = Some(done);
        Ok(())
    })?;
    report.ok_or_else(|| StoreError::Backend("the import made no report".into()))
}
