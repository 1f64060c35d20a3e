//! [`Store`] on PostgreSQL: the same interface as the SQLite store, for an office whose processes
//! share nothing but the database. Each call runs on the bridge; each transactional method gives
//! the service's closure a [`PgTx`] over one connection. The SQL lives beside its SQLite
//! counterpart's concept: `items.rs`, `sessions.rs`, `columns.rs`, `handover.rs`,
//! `commission.rs`, `scores.rs`, and the transactions' writes in `transaction.rs`,
//! `uploads.rs`, `organisation.rs`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use liaison_domain::wire::{Change, DraftBackup, InboxItem, ItemDetail, StateCount};
use liaison_domain::{AttachmentRef, ColumnView, DepartmentView, SeatView, WorkCalendar};

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::transaction::PgTx;
use super::{columns, commission, handover, items, log, organisation, scores, sessions};
use crate::store::{
    CommissionRecord, CommissionsTx, DraftsTx, DutyInput, HandoversTx, InboxFilter, ItemsTx,
    MonthFacts, OrganisationTx, ScoreRecords, ScoresTx, SeatCodeOutcome, SeatCredentials,
    SessionEnd, Store, StoreError, Upload, UploadsTx,
};

/// The office's store on a PostgreSQL database shared by any number of office processes.
pub struct PgStore {
    bridge: Arc<PgBridge>,
}

impl PgStore {
    /// Connects to the database at `url` (waiting for it as long as `give_up_after` allows, for
    /// ever with `None`) and brings its schema to this binary's version; a newer schema is
    /// refused.
    pub fn open(url: &str, give_up_after: Option<Duration>) -> Result<PgStore, StoreError> {
        let started = std::time::Instant::now();
        let bridge = PgBridge::connect(url, give_up_after)?;
        // The database may be lost again while the schema is brought up to date (restarting,
        // its connections cut): the migration is one transaction, so it is tried again, as long
        // as the database is waited for.
        let mut pause = Duration::from_millis(200);
        loop {
            match bridge.migrate() {
                Ok(_) => break,
                Err(StoreError::Unavailable(cause))
                    if give_up_after.is_none_or(|limit| started.elapsed() < limit) =>
                {
                    tracing::warn!(
                        %cause,
                        "the database was lost while its schema was brought up to date; \
                         trying again in {pause:?}"
                    );
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(PgStore {
            bridge: Arc::new(bridge),
        })
    }

    /// Runs `f` while no other office process runs its own under the same `name`: start-up work
    /// that several processes starting at once must do once, such as seeding the demo city (a
    /// transaction-scoped advisory lock, held on one connection while `f` uses others).
    pub fn exclusively<T>(&self, name: &str, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        let name = name.to_owned();
        let mut f = Some(f);
        self.bridge.transaction(|handle| {
            let name = name.clone();
            handle.run(move |c| async move {
                c.execute_prepared("SELECT pg_advisory_xact_lock(hashtext($1))", &[&name])
                    .await?;
                Ok(())
            })?;
            f.take()
                .map(|f| f())
                .ok_or_else(|| StoreError::Backend("ran twice".into()))
        })
    }

    /// The bridge its calls run on (for the parts of the office that share the database: the
    /// files, the limits, the change notices).
    pub fn bridge(&self) -> &Arc<PgBridge> {
        &self.bridge
    }
}

impl Store for PgStore {
    fn organise(
        &self,
        f: &mut dyn FnMut(&mut dyn OrganisationTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn handing_over(
        &self,
        f: &mut dyn FnMut(&mut dyn HandoversTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn uploads(
        &self,
        f: &mut dyn FnMut(&mut dyn UploadsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn drafts(
        &self,
        f: &mut dyn FnMut(&mut dyn DraftsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn commissioning(
        &self,
        f: &mut dyn FnMut(&mut dyn CommissionsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn scoring(
        &self,
        f: &mut dyn FnMut(&mut dyn ScoresTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn items(
        &self,
        f: &mut dyn FnMut(&mut dyn ItemsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bridge.transaction(|handle| f(&mut PgTx { handle }))
    }

    fn score_schemes(
        &self,
    ) -> Result<Vec<(liaison_domain::score::SchemeVersion, String)>, StoreError> {
        scores::schemes(&self.bridge)
    }

    fn month_facts(&self, year: i32, month: u32) -> Result<Option<Vec<MonthFacts>>, StoreError> {
        scores::month_facts(&self.bridge, year, month)
    }

    fn score_records(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ScoreRecords, StoreError> {
        scores::score_records(&self.bridge, department_id, from, to)
    }

    fn commissions(&self, department_id: Option<i64>) -> Result<Vec<CommissionRecord>, StoreError> {
        commission::commissions(&self.bridge, department_id)
    }

    fn commission(&self, id: i64) -> Result<Option<CommissionRecord>, StoreError> {
        commission::commission(&self.bridge, id)
    }

    fn redeem_seat_code(
        &self,
        login: &str,
        code_hash: &str,
        password_hash: &str,
        session: (&str, DateTime<Utc>),
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<SeatCodeOutcome, StoreError> {
        organisation::redeem_seat_code(
            &self.bridge,
            login,
            code_hash,
            password_hash,
            session,
            address,
            now,
        )
    }

    fn departments(&self) -> Result<Vec<DepartmentView>, StoreError> {
        columns::departments(&self.bridge)
    }

    fn all_columns(&self) -> Result<Vec<ColumnView>, StoreError> {
        columns::all_columns(&self.bridge)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        sessions::is_empty(&self.bridge)
    }

    fn seat_credentials(&self, login: &str) -> Result<Option<SeatCredentials>, StoreError> {
        sessions::seat_credentials(&self.bridge, login)
    }

    fn create_session(
        &self,
        seat_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sessions::create_session(&self.bridge, seat_id, token_hash, now, expires_at)
    }

    fn session_seat(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SeatView>, StoreError> {
        sessions::session_seat(&self.bridge, token_hash, now)
    }

    fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sessions::delete_session(&self.bridge, token_hash)
    }

    fn columns_of_department(&self, department_id: i64) -> Result<Vec<ColumnView>, StoreError> {
        columns::columns_of_department(&self.bridge, department_id)
    }

    fn column(&self, id: i64) -> Result<Option<ColumnView>, StoreError> {
        columns::column(&self.bridge, id)
    }

    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        items::item(&self.bridge, id)
    }

    fn items_of_department(
        &self,
        department_id: i64,
        seat_id: Option<i64>,
    ) -> Result<Vec<ItemDetail>, StoreError> {
        items::items_of_department(&self.bridge, department_id, seat_id)
    }

    fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxItem>, StoreError> {
        items::inbox(&self.bridge, filter)
    }

    fn inbox_counts(&self, filter: &InboxFilter) -> Result<Vec<StateCount>, StoreError> {
        items::inbox_counts(&self.bridge, filter)
    }

    fn signoff_queue(&self, department_id: i64) -> Result<Vec<InboxItem>, StoreError> {
        items::signoff_queue(&self.bridge, department_id)
    }

    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        items::upload(&self.bridge, seat_id, sha256)
    }

    fn complete_upload(
        &self,
        seat_id: i64,
        sha256: &str,
        mime: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        items::complete_upload(&self.bridge, seat_id, sha256, mime, now)
    }

    fn discard_upload(&self, seat_id: i64, sha256: &str) -> Result<(), StoreError> {
        items::discard_upload(&self.bridge, seat_id, sha256)
    }

    fn item_file(&self, item_id: i64, sha256: &str) -> Result<Option<AttachmentRef>, StoreError> {
        items::item_file(&self.bridge, item_id, sha256)
    }

    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError> {
        items::draft_backup(&self.bridge, seat_id, draft_key)
    }

    fn draft_backups(&self, seat_id: i64, since: i64) -> Result<Vec<DraftBackup>, StoreError> {
        items::draft_backups(&self.bridge, seat_id, since)
    }

    fn calendar(&self) -> Result<WorkCalendar, StoreError> {
        columns::calendar(&self.bridge)
    }

    fn recorded_addresses(&self) -> Result<Vec<(i64, DateTime<Utc>, String)>, StoreError> {
        columns::recorded_addresses(&self.bridge)
    }

    fn urges(
        &self,
        department_id: Option<i64>,
        from: DateTime<Utc>,
    ) -> Result<Vec<liaison_domain::urge::Urge>, StoreError> {
        columns::urges(&self.bridge, department_id, from)
    }

    fn duty_inputs(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
    ) -> Result<Vec<DutyInput>, StoreError> {
        columns::duty_inputs(&self.bridge, department_id, from)
    }

    fn word_lists(&self) -> Result<liaison_domain::preflight::WordLists, StoreError> {
        columns::word_lists(&self.bridge)
    }

    fn seats(&self) -> Result<Vec<SeatView>, StoreError> {
        handover::seats(&self.bridge)
    }

    fn holders(&self, seat_id: i64) -> Result<Vec<liaison_domain::handover::Holder>, StoreError> {
        handover::holders(&self.bridge, seat_id)
    }

    fn handover(&self, id: i64) -> Result<Option<liaison_domain::wire::HandoverView>, StoreError> {
        handover::handover(&self.bridge, id)
    }

    fn handovers(
        &self,
        seat_id: Option<i64>,
    ) -> Result<Vec<liaison_domain::wire::HandoverView>, StoreError> {
        handover::handovers(&self.bridge, seat_id)
    }

    fn ended_session(&self, token_hash: &str) -> Result<Option<SessionEnd>, StoreError> {
        sessions::ended_session(&self.bridge, token_hash)
    }

    fn append_audit(&self, record: &crate::audit::Record) -> Result<(), StoreError> {
        self.bridge
            .transaction(|handle| crate::store::Writes::append_audit(&mut PgTx { handle }, record))
    }

    fn verify_audit(&self) -> Result<Result<u64, crate::audit::ChainBreak>, StoreError> {
        self.bridge
            .call(|c| async move { Ok(log::verify_audit(&c).await?) })
    }

    fn audit_entries(
        &self,
        limit: u32,
    ) -> Result<Vec<liaison_domain::wire::AuditEntry>, StoreError> {
        handover::audit_entries(&self.bridge, limit)
    }

    fn changes_since(
        &self,
        department_id: Option<i64>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError> {
        items::changes_since(&self.bridge, department_id, since, limit)
    }
}
