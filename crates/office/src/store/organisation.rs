//! The administration's transaction in SQLite ([`OrganisationTx`]) and the redemption of a seat's
//! one-time code: persistence only, the rules are the service's.

use chrono::Datelike;
use chrono::{DateTime, Utc};
use liaison_domain::organisation::{OrgColumn, OrgDepartment, OrgSeat, Organisation};
use liaison_domain::preflight::WordLists;
use liaison_domain::{Role, SignoffPolicy, WorkCalendar};
use rusqlite::{OptionalExtension, Transaction, params};

use super::handover::append_audit;
use super::sqlite::{
    COLUMN_FIELDS, SEAT_SELECT, bad_value, column_from_row, parse_ts, seat_from_row, ts,
};
use super::transaction::{SqliteTx, json};
use super::{ColumnFields, NewSeat, OrganisationTx, SeatCodeOutcome, StoreError};
use crate::audit::Record;

/// What a seat without a password of its own holds instead: no hash matches it.
pub const NO_PASSWORD: &str = "!";

fn changed(n: usize) -> Result<(), StoreError> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl OrganisationTx for SqliteTx<'_> {
    fn organisation(&self) -> Result<Organisation, StoreError> {
        let mut org = Organisation::default();
        let mut stmt = self
            .tx
            .prepare("SELECT id, name, retired_at IS NOT NULL FROM departments ORDER BY id")?;
        org.departments = stmt
            .query_map([], |r| {
                Ok(OrgDepartment {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    retired: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {COLUMN_FIELDS}, retired_at IS NOT NULL FROM columns ORDER BY department_id, id"
        ))?;
        org.columns = stmt
            .query_map([], |r| {
                let c = column_from_row(r)?;
                Ok(OrgColumn {
                    id: c.id,
                    department_id: c.department_id,
                    name: c.name,
                    path: c.path,
                    feed: c.feed,
                    duty: c.duty,
                    level: c.level,
                    retired: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.tx.prepare(
            "SELECT id, login, role, department_id, holder_name, disabled_at IS NOT NULL
             FROM seats ORDER BY id",
        )?;
        org.seats = stmt
            .query_map([], |r| {
                let role: String = r.get(2)?;
                Ok(OrgSeat {
                    id: r.get(0)?,
                    login: r.get(1)?,
                    role: Role::parse(&role).ok_or_else(|| bad_value("role", &role))?,
                    department_id: r.get(3)?,
                    holder_name: r.get(4)?,
                    disabled: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(org)
    }

    fn insert_department(&mut self, name: &str) -> Result<i64, StoreError> {
        self.tx
            .execute("INSERT INTO departments (name) VALUES (?1)", [name])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn rename_department(&mut self, id: i64, name: &str) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE departments SET name = ?1 WHERE id = ?2",
            params![name, id],
        )?)
    }

    fn retire_department(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE departments SET retired_at = ?1 WHERE id = ?2",
            params![ts(at), id],
        )?)
    }

    fn insert_column(&mut self, c: &ColumnFields, since: DateTime<Utc>) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO columns (department_id, name, path, feed, duty_json, duty_since, level)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.department_id,
                c.name,
                c.path,
                c.feed.as_str(),
                json(&c.duty)?,
                ts(since),
                c.level.as_str()
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn update_column(&mut self, id: i64, c: &ColumnFields) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE columns SET department_id = ?1, name = ?2, path = ?3, feed = ?4,
                    duty_json = ?5, level = ?6
             WHERE id = ?7",
            params![
                c.department_id,
                c.name,
                c.path,
                c.feed.as_str(),
                json(&c.duty)?,
                c.level.as_str(),
                id
            ],
        )?)
    }

    fn set_column_retired(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE columns SET retired_at = ?1 WHERE id = ?2",
            params![at.map(ts), id],
        )?)
    }

    fn insert_seat(&mut self, seat: &NewSeat, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO seats (login, role, department_id, holder_name, password_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                seat.login,
                seat.role.as_str(),
                seat.department_id,
                seat.holder_name,
                seat.password_hash.as_deref().unwrap_or(NO_PASSWORD)
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO holders (seat_id, name, phone, from_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                id,
                seat.holder_name,
                seat.phone.as_deref().unwrap_or(""),
                ts(now)
            ],
        )?;
        Ok(id)
    }

    fn set_seat_disabled(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE seats SET disabled_at = ?1 WHERE id = ?2",
            params![at.map(ts), id],
        )?)
    }

    fn set_seat_code(
        &mut self,
        seat_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE seats SET password_hash = ?1 WHERE id = ?2",
            params![NO_PASSWORD, seat_id],
        )?)?;
        self.tx.execute(
            "INSERT INTO seat_codes (seat_id, code_hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (seat_id) DO UPDATE
             SET code_hash = excluded.code_hash, created_at = excluded.created_at,
                 expires_at = excluded.expires_at",
            params![seat_id, code_hash, ts(now), ts(expires_at)],
        )?;
        Ok(())
    }

    fn end_sessions(&mut self, seat_id: i64) -> Result<usize, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM sessions WHERE seat_id = ?1", [seat_id])?)
    }

    fn set_signoff_policy(
        &mut self,
        department_id: i64,
        policy: SignoffPolicy,
    ) -> Result<(), StoreError> {
        changed(self.tx.execute(
            "UPDATE departments SET signoff = ?1 WHERE id = ?2",
            params![policy.as_str(), department_id],
        )?)
    }

    fn replace_calendar_year(
        &mut self,
        year: i32,
        calendar: &WorkCalendar,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM calendar_days WHERE day LIKE ?1",
            [format!("{year:04}-%")],
        )?;
        let days = calendar.holidays.iter().map(|d| (d, "holiday")).chain(
            calendar
                .working_weekends
                .iter()
                .map(|d| (d, "working_weekend")),
        );
        for (day, kind) in days.filter(|(d, _)| d.year() == year) {
            self.tx.execute(
                "INSERT INTO calendar_days (day, kind) VALUES (?1, ?2)
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind",
                params![day.format("%Y-%m-%d").to_string(), kind],
            )?;
        }
        Ok(())
    }

    fn replace_word_lists(&mut self, lists: &WordLists) -> Result<(), StoreError> {
        self.tx.execute("DELETE FROM word_lists", [])?;
        for word in &lists.forbidden {
            self.tx.execute(
                "INSERT OR IGNORE INTO word_lists (kind, word) VALUES ('forbidden', ?1)",
                [word],
            )?;
        }
        for m in &lists.misspellings {
            self.tx.execute(
                "INSERT OR IGNORE INTO word_lists (kind, word, correction) VALUES ('misspelling', ?1, ?2)",
                params![m.wrong, m.right],
            )?;
        }
        Ok(())
    }

    fn insert_column_update(
        &mut self,
        column_id: i64,
        at: DateTime<Utc>,
        seat_id: i64,
        url: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO column_updates (column_id, at, recorded_by, url) VALUES (?1, ?2, ?3, ?4)",
            params![column_id, ts(at), seat_id, url],
        )?;
        Ok(())
    }

    fn insert_urge(
        &mut self,
        urge: &liaison_domain::urge::Urge,
        seat_id: i64,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO urges (column_id, department_id, at, message, urged_by, seat_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                urge.column_id,
                urge.department_id,
                ts(urge.at),
                urge.message,
                urge.urged_by,
                seat_id
            ],
        )?;
        Ok(())
    }
}

/// Redeems a seat's one-time code: the password becomes the holder's, the code is spent, and the
/// holder is signed in. `NoCode` when the seat holds no code (the caller may try a handover).
#[allow(clippy::too_many_arguments)]
pub fn redeem_seat_code(
    tx: &Transaction<'_>,
    login: &str,
    code_hash: &str,
    password_hash: &str,
    session: (&str, DateTime<Utc>),
    address: &str,
    now: DateTime<Utc>,
) -> Result<SeatCodeOutcome, StoreError> {
    let seat = tx
        .query_row(&format!("{SEAT_SELECT} WHERE s.login = ?1"), [login], |r| {
            seat_from_row(r)
        })
        .optional()?;
    let Some(seat) = seat else {
        return Ok(SeatCodeOutcome::NoCode);
    };
    let found: Option<(String, String)> = tx
        .query_row(
            "SELECT code_hash, expires_at FROM seat_codes WHERE seat_id = ?1",
            [seat.seat.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((stored, expires_at)) = found else {
        return Ok(SeatCodeOutcome::NoCode);
    };
    let refuse = |why: &str| {
        append_audit(
            tx,
            &Record::new(
                now,
                "-",
                "seat.code_refused",
                format!("seat:{login}"),
                why,
                address,
            ),
        )
    };
    if stored != code_hash {
        refuse("wrong code")?;
        return Ok(SeatCodeOutcome::Invalid);
    }
    if parse_ts(&expires_at)? <= now {
        refuse("expired code")?;
        return Ok(SeatCodeOutcome::Expired);
    }
    if seat.disabled {
        refuse("seat disabled")?;
        return Ok(SeatCodeOutcome::Disabled);
    }
    tx.execute(
        "UPDATE seats SET password_hash = ?1 WHERE id = ?2",
        params![password_hash, seat.seat.id],
    )?;
    tx.execute("DELETE FROM seat_codes WHERE seat_id = ?1", [seat.seat.id])?;
    tx.execute("DELETE FROM sessions WHERE seat_id = ?1", [seat.seat.id])?;
    tx.execute(
        "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![session.0, seat.seat.id, ts(now), ts(session.1)],
    )?;
    append_audit(
        tx,
        &Record::new(
            now,
            &seat.seat.login,
            "seat.code_redeemed",
            format!("seat:{}", seat.seat.login),
            format!("{} chose a password", seat.seat.holder_name),
            address,
        ),
    )?;
    Ok(SeatCodeOutcome::Done(seat.seat))
}
