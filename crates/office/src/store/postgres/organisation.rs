//! The administration's transaction on PostgreSQL ([`OrganisationTx`] for [`PgTx`]) and the
//! redemption of a seat's one-time code: persistence only, the rules are the service's. The same
//! statements as the SQLite store's `organisation.rs`, in PostgreSQL's types.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liaison_domain::organisation::{OrgColumn, OrgDepartment, OrgSeat, Organisation};
use liaison_domain::preflight::WordLists;
use liaison_domain::{SignoffPolicy, WorkCalendar};

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{COLUMN_FIELDS, SEAT_SELECT, column_from_row, role_of, seat_from_row, to_json};
use super::transaction::PgTx;
use crate::audit::Record;
use crate::store::organisation::NO_PASSWORD;
use crate::store::{ColumnFields, NewSeat, OrganisationTx, SeatCodeOutcome, StoreError, Writes};

/// An update or a retirement must have found its row.
fn changed(n: u64) -> Result<(), StoreError> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl OrganisationTx for PgTx<'_> {
    fn organisation(&self) -> Result<Organisation, StoreError> {
        self.handle.run(|c| async move {
            let departments = c
                .query_prepared(
                    "SELECT id, name, retired_at IS NOT NULL FROM departments ORDER BY id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(OrgDepartment {
                        id: r.try_get(0)?,
                        name: r.try_get(1)?,
                        retired: r.try_get(2)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let columns = c
                .query_prepared(
                    &format!(
                        "SELECT {COLUMN_FIELDS}, retired_at IS NOT NULL FROM columns
                         ORDER BY department_id, id"
                    ),
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    let col = column_from_row(r)?;
                    Ok(OrgColumn {
                        id: col.id,
                        department_id: col.department_id,
                        name: col.name,
                        path: col.path,
                        feed: col.feed,
                        duty: col.duty,
                        level: col.level,
                        retired: r.try_get(7)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let seats = c
                .query_prepared(
                    "SELECT id, login, role, department_id, holder_name, disabled_at IS NOT NULL
                     FROM seats ORDER BY id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(OrgSeat {
                        id: r.try_get(0)?,
                        login: r.try_get(1)?,
                        role: role_of(r.try_get::<_, &str>(2)?)?,
                        department_id: r.try_get(3)?,
                        holder_name: r.try_get(4)?,
                        disabled: r.try_get(5)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(Organisation {
                departments,
                columns,
                seats,
            })
        })
    }

    fn insert_department(&mut self, name: &str) -> Result<i64, StoreError> {
        let name = name.to_owned();
        self.handle.run(move |c| async move {
            Ok(c.query_one_prepared(
                "INSERT INTO departments (name) VALUES ($1) RETURNING id",
                &[&name],
            )
            .await?
            .try_get(0)?)
        })
    }

    fn rename_department(&mut self, id: i64, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE departments SET name = $1 WHERE id = $2",
                    &[&name, &id],
                )
                .await?,
            )
        })
    }

    fn retire_department(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE departments SET retired_at = $1 WHERE id = $2",
                    &[&at, &id],
                )
                .await?,
            )
        })
    }

    fn insert_column(
        &mut self,
        col: &ColumnFields,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (col, duty) = (col.clone(), to_json(&col.duty)?);
        self.handle.run(move |c| async move {
            Ok(c.query_one_prepared(
                "INSERT INTO columns (department_id, name, path, feed, duty, duty_since, level)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    &col.department_id,
                    &col.name,
                    &col.path,
                    &col.feed.as_str(),
                    &duty,
                    &since,
                    &col.level.as_str(),
                ],
            )
            .await?
            .try_get(0)?)
        })
    }

    fn update_column(&mut self, id: i64, col: &ColumnFields) -> Result<(), StoreError> {
        let (col, duty) = (col.clone(), to_json(&col.duty)?);
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE columns SET department_id = $1, name = $2, path = $3, feed = $4,
                            duty = $5, level = $6
                     WHERE id = $7",
                    &[
                        &col.department_id,
                        &col.name,
                        &col.path,
                        &col.feed.as_str(),
                        &duty,
                        &col.level.as_str(),
                        &id,
                    ],
                )
                .await?,
            )
        })
    }

    fn set_column_retired(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE columns SET retired_at = $1 WHERE id = $2",
                    &[&at, &id],
                )
                .await?,
            )
        })
    }

    fn insert_seat(&mut self, seat: &NewSeat, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let seat = seat.clone();
        self.handle.run(move |c| async move {
            let id: i64 = c
                .query_one_prepared(
                    "INSERT INTO seats (login, role, department_id, holder_name, password_hash)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &seat.login,
                        &seat.role.as_str(),
                        &seat.department_id,
                        &seat.holder_name,
                        &seat.password_hash.as_deref().unwrap_or(NO_PASSWORD),
                    ],
                )
                .await?
                .try_get(0)?;
            c.execute_prepared(
                "INSERT INTO holders (seat_id, name, phone, from_at) VALUES ($1, $2, $3, $4)",
                &[
                    &id,
                    &seat.holder_name,
                    &seat.phone.as_deref().unwrap_or(""),
                    &now,
                ],
            )
            .await?;
            Ok(id)
        })
    }

    fn set_seat_disabled(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE seats SET disabled_at = $1 WHERE id = $2",
                    &[&at, &id],
                )
                .await?,
            )
        })
    }

    fn set_seat_code(
        &mut self,
        seat_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let code_hash = code_hash.to_owned();
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE seats SET password_hash = $1 WHERE id = $2",
                    &[&NO_PASSWORD, &seat_id],
                )
                .await?,
            )?;
            c.execute_prepared(
                "INSERT INTO seat_codes (seat_id, code_hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (seat_id) DO UPDATE
                 SET code_hash = excluded.code_hash, created_at = excluded.created_at,
                     expires_at = excluded.expires_at",
                &[&seat_id, &code_hash, &now, &expires_at],
            )
            .await?;
            Ok(())
        })
    }

    fn end_sessions(&mut self, seat_id: i64) -> Result<usize, StoreError> {
        self.handle.run(move |c| async move {
            let n = c
                .execute_prepared("DELETE FROM sessions WHERE seat_id = $1", &[&seat_id])
                .await?;
            usize::try_from(n).map_err(|_| StoreError::Backend(format!("{n} sessions ended")))
        })
    }

    fn set_signoff_policy(
        &mut self,
        department_id: i64,
        policy: SignoffPolicy,
    ) -> Result<(), StoreError> {
        self.handle.run(move |c| async move {
            changed(
                c.execute_prepared(
                    "UPDATE departments SET signoff = $1 WHERE id = $2",
                    &[&policy.as_str(), &department_id],
                )
                .await?,
            )
        })
    }

    fn replace_calendar_year(
        &mut self,
        year: i32,
        calendar: &WorkCalendar,
    ) -> Result<(), StoreError> {
        let days: Vec<(NaiveDate, &'static str)> = calendar
            .holidays
            .iter()
            .map(|d| (*d, "holiday"))
            .chain(
                calendar
                    .working_weekends
                    .iter()
                    .map(|d| (*d, "working_weekend")),
            )
            .filter(|(d, _)| d.year() == year)
            .collect();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "DELETE FROM calendar_days
                 WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)",
                &[&year],
            )
            .await?;
            for (day, kind) in &days {
                c.execute_prepared(
                    "INSERT INTO calendar_days (day, kind) VALUES ($1, $2)
                     ON CONFLICT (day) DO UPDATE SET kind = excluded.kind",
                    &[day, kind],
                )
                .await?;
            }
            Ok(())
        })
    }

    fn replace_word_lists(&mut self, lists: &WordLists) -> Result<(), StoreError> {
        let lists = lists.clone();
        self.handle.run(move |c| async move {
            c.execute_prepared("DELETE FROM word_lists", &[]).await?;
            for word in &lists.forbidden {
                c.execute_prepared(
                    "INSERT INTO word_lists (kind, word) VALUES ('forbidden', $1)
                     ON CONFLICT (kind, word) DO NOTHING",
                    &[word],
                )
                .await?;
            }
            for m in &lists.misspellings {
                c.execute_prepared(
                    "INSERT INTO word_lists (kind, word, correction) VALUES ('misspelling', $1, $2)
                     ON CONFLICT (kind, word) DO NOTHING",
                    &[&m.wrong, &m.right],
                )
                .await?;
            }
            Ok(())
        })
    }

    fn insert_column_update(
        &mut self,
        column_id: i64,
        at: DateTime<Utc>,
        seat_id: i64,
        url: Option<&str>,
    ) -> Result<(), StoreError> {
        let url = url.map(str::to_owned);
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO column_updates (column_id, at, recorded_by, url)
                 VALUES ($1, $2, $3, $4)",
                &[&column_id, &at, &seat_id, &url],
            )
            .await?;
            Ok(())
        })
    }

    fn insert_urge(
        &mut self,
        urge: &liaison_domain::urge::Urge,
        seat_id: i64,
    ) -> Result<(), StoreError> {
        let urge = urge.clone();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO urges (column_id, department_id, at, message, urged_by, seat_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &urge.column_id,
                    &urge.department_id,
                    &urge.at,
                    &urge.message,
                    &urge.urged_by,
                    &seat_id,
                ],
            )
            .await?;
            Ok(())
        })
    }
}

/// Redeems a seat's one-time code: the password becomes the holder's, the code is spent, and the
/// holder is signed in, all in one transaction with its audit entry. `NoCode` when the seat holds
/// no code (the caller may try a handover).
///
/// The seat's row and its code are read `FOR UPDATE`: two offices redeeming the same code at once
/// take turns, and the second finds the code spent (`NoCode`); an administrator disabling the
/// seat or giving it a new code at the same moment waits for the redemption, or is waited for.
#[allow(clippy::too_many_arguments)]
pub(super) fn redeem_seat_code(
    bridge: &PgBridge,
    login: &str,
    code_hash: &str,
    password_hash: &str,
    session: (&str, DateTime<Utc>),
    address: &str,
    now: DateTime<Utc>,
) -> Result<SeatCodeOutcome, StoreError> {
    bridge.transaction(|handle| {
        let mut tx = PgTx { handle };
        let found = {
            let login = login.to_owned();
            tx.handle.run(move |c| async move {
                let Some(row) = c
                    .query_opt_prepared(
                        &format!("{SEAT_SELECT} WHERE s.login = $1 FOR UPDATE OF s"),
                        &[&login],
                    )
                    .await?
                else {
                    return Ok(None);
                };
                let seat = seat_from_row(&row)?;
                let code = c
                    .query_opt_prepared(
                        "SELECT code_hash, expires_at FROM seat_codes WHERE seat_id = $1
                         FOR UPDATE",
                        &[&seat.seat.id],
                    )
                    .await?
                    .map(|r| {
                        Ok::<_, StoreError>((
                            r.try_get::<_, String>(0)?,
                            r.try_get::<_, DateTime<Utc>>(1)?,
                        ))
                    })
                    .transpose()?;
                Ok(code.map(|code| (seat, code)))
            })?
        };
        let Some((seat, (stored, expires_at))) = found else {
            return Ok(SeatCodeOutcome::NoCode);
        };
        let refused = if stored != code_hash {
            Some(("wrong code", SeatCodeOutcome::Invalid))
        } else if expires_at <= now {
            Some(("expired code", SeatCodeOutcome::Expired))
        } else if seat.disabled {
            Some(("seat disabled", SeatCodeOutcome::Disabled))
        } else {
            None
        };
        if let Some((why, outcome)) = refused {
            tx.append_audit(&Record::new(
                now,
                "-",
                "seat.code_refused",
                format!("seat:{login}"),
                why,
                address,
            ))?;
            return Ok(outcome);
        }
        {
            let (seat_id, password_hash) = (seat.seat.id, password_hash.to_owned());
            let (token_hash, expires_at) = (session.0.to_owned(), session.1);
            tx.handle.run(move |c| async move {
                c.execute_prepared(
                    "UPDATE seats SET password_hash = $1 WHERE id = $2",
                    &[&password_hash, &seat_id],
                )
                .await?;
                c.execute_prepared("DELETE FROM seat_codes WHERE seat_id = $1", &[&seat_id])
                    .await?;
                c.execute_prepared("DELETE FROM sessions WHERE seat_id = $1", &[&seat_id])
                    .await?;
                c.execute_prepared(
                    "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4)",
                    &[&token_hash, &seat_id, &now, &expires_at],
                )
                .await?;
                Ok(())
            })?;
        }
        tx.append_audit(&Record::new(
            now,
            &seat.seat.login,
            "seat.code_redeemed",
            format!("seat:{}", seat.seat.login),
            format!("{} chose a password", seat.seat.holder_name),
            address,
        ))?;
        Ok(SeatCodeOutcome::Done(seat.seat))
    })
}
