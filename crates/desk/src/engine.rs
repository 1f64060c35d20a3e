//! [`Desk`]: the engine the window and the headless tools drive.
//!
//! This file holds the desk itself (its parts, how it is opened, its clock and its settings); what
//! it does is in `engine/`, one `impl Desk` per concern.

mod backups;
mod drafts;
mod handover;
mod notices;
mod review;
mod sending;
mod session;
mod sync;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::DeskError;
use crate::client::OfficeClient;
use crate::duties::NoticeView;
use crate::files::FileStore;
use crate::pace::{Pacer, TypingPace};
use crate::secrets::Keyring;
use crate::store::LocalStore;
use crate::view::SyncReport;

/// Where a desk keeps its data and which keyring service holds its token.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Folder of `desk.db`.
    pub data_dir: PathBuf,
    pub keyring_service: String,
}

/// Where the desk reads the time; tests pass their own.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What the background worker reports.
pub enum WorkerEvent<'a> {
    /// A round sent or pulled something.
    Synced(&'a SyncReport),
    /// A round failed (it will be retried).
    Failed(&'a DeskError),
    /// A notice to raise as a desktop notification now.
    Notice(&'a NoticeView),
}

pub struct Desk {
    clock: Clock,
    pub(crate) store: LocalStore,
    files: FileStore,
    keyring: Keyring,
    /// This installation's identifier, named in its draft backups.
    desk_id: String,
    /// Wakes the backup of edited drafts.
    edited: Notify,
    /// Paces file transfers while the officer types.
    pacer: Arc<Pacer>,
    /// Wakes the duty check: the board or the log brought something.
    duties_changed: Notify,
    /// The import folder setting changed.
    pub(crate) import_folder_changed: Notify,
    /// One backup or restore at a time.
    backing_up: tokio::sync::Mutex<()>,
    /// Counts confirmed upload pieces, so a window can show progress as it happens.
    progress: watch::Sender<u64>,
    /// Wakes the background worker: something was queued, or the seat signed in.
    wake: Notify,
    /// One delivery round at a time.
    sending: tokio::sync::Mutex<()>,
    /// The HTTP client of the current office, kept so connections are reused between rounds.
    client: std::sync::Mutex<Option<OfficeClient>>,
}

/// How long a file nothing names is kept before it is removed, and how often the desk looks.
const UNUSED_FILE_GRACE: chrono::Duration = chrono::Duration::days(1);
/// When the desk last removed unused files (`meta`).
const FILES_COLLECTED_KEY: &str = "files_collected_at";

/// Runs blocking work (SQLite, the keyring's D-Bus calls) from async code without holding up the
/// async runtime: on a multi-threaded runtime (the window's, the worker's, the tools') the thread
/// first hands its other tasks to another worker (`block_in_place`) and then runs the work itself,
/// so the caller waits on no hand-over to another thread and back (which, while a sync keeps the
/// cores busy, costs a keystroke's save up to a millisecond each way); on a single-threaded
/// runtime (tests) there is no other worker, and the work runs as it is.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

impl Desk {
    /// The store, from async code: `call` runs through [`blocking`]. (Synchronous methods use
    /// `self.store` directly: their callers run them off the runtime, as the window's commands
    /// do.)
    pub(crate) fn db<T>(&self, call: impl FnOnce(&LocalStore) -> T) -> T {
        blocking(|| call(&self.store))
    }

    pub fn open(config: &DeskConfig) -> Result<Self, DeskError> {
        Self::open_with_clock(config, Arc::new(Utc::now))
    }

    pub fn open_with_clock(config: &DeskConfig, clock: Clock) -> Result<Self, DeskError> {
        let store = LocalStore::open(&config.data_dir.join("desk.db"))?;
        let files = FileStore::open(&config.data_dir.join("files"))?;
        let desk_id = match store.meta("desk_id")? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                store.set_meta("desk_id", &id)?;
                id
            }
        };
        let desk = Desk {
            clock,
            store,
            files,
            keyring: Keyring::new(config.keyring_service.clone()),
            desk_id,
            edited: Notify::new(),
            pacer: Arc::default(),
            duties_changed: Notify::new(),
            import_folder_changed: Notify::new(),
            backing_up: tokio::sync::Mutex::new(()),
            progress: watch::channel(0).0,
            wake: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
            client: std::sync::Mutex::new(None),
        };
        // Before anything else of this desk runs, so no file can be on its way into a draft.
        if let Err(e) = desk.collect_unused_files() {
            tracing::warn!(error = %e, "collecting unused files failed; tried again next time");
        }
        Ok(desk)
    }

    /// Removes, once a day, the files nothing names any more (detached, replaced, or kept for a
    /// draft since deleted) that have not been used for `UNUSED_FILE_GRACE`, and bytes in the
    /// file store that no row names (a copy whose draft never took it) as old. How many went.
    pub fn collect_unused_files(&self) -> Result<usize, DeskError> {
        let now = self.now();
        let last = self
            .store
            .meta(FILES_COLLECTED_KEY)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
        if last.is_some_and(|t| now - t.with_timezone(&Utc) < UNUSED_FILE_GRACE) {
            return Ok(0);
        }
        let forgotten = self.store.forget_unused_files(now - UNUSED_FILE_GRACE)?;
        for sha256 in &forgotten {
            self.files.remove(sha256)?;
        }
        let known = self.store.known_files()?;
        let grace = UNUSED_FILE_GRACE.to_std().unwrap_or_default();
        let mut orphans = 0;
        for (sha256, modified) in self.files.stored()? {
            // The file's own age, as its file system tells it.
            let old = modified.elapsed().is_ok_and(|age| age > grace);
            if old && !known.contains(&sha256) {
                self.files.remove(&sha256)?;
                orphans += 1;
            }
        }
        self.store
            .set_meta(FILES_COLLECTED_KEY, &now.to_rfc3339())?;
        if forgotten.len() + orphans > 0 {
            tracing::info!(files = forgotten.len() + orphans, "removed unused files");
        }
        Ok(forgotten.len() + orphans)
    }

    pub(crate) fn store_ref(&self) -> &LocalStore {
        &self.store
    }

    pub(crate) fn store_meta(&self, key: &str) -> Result<Option<String>, DeskError> {
        self.store.meta(key)
    }

    pub(crate) fn set_store_meta(&self, key: &str, value: &str) -> Result<(), DeskError> {
        self.store.set_meta(key, value)
    }

    pub(crate) fn delete_store_meta(&self, key: &str) -> Result<(), DeskError> {
        self.store.delete_meta(key)
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The window's language ("zh-CN" or "en"; zh-CN until told otherwise).
    pub fn language(&self) -> Result<String, DeskError> {
        Ok(self
            .store
            .meta("language")?
            .unwrap_or_else(|| "zh-CN".into()))
    }

    pub fn set_language(&self, language: &str) -> Result<(), DeskError> {
        if !matches!(language, "zh-CN" | "en") {
            return Err(DeskError::InvalidState(format!("no language {language:?}")));
        }
        self.store.set_meta("language", language)
    }

    /// How fast file transfers go while the officer types ([`TypingPace::default`] until told
    /// otherwise; the benchmarks and tests set others).
    pub fn set_typing_pace(&self, pace: TypingPace) {
        self.pacer.set_pace(pace);
    }

    /// Changes with every upload piece the office confirms.
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use liaison_domain::wire::ChangeKind;
    use liaison_domain::{DepartmentView, ItemState, Role, SeatView, SignoffPolicy};

    use super::*;

    /// What the desk stores is stamped with its own clock, never the system's: a desk whose
    /// clock stands years from today writes that instant, and only that one.
    #[tokio::test]
    async fn what_the_desk_stores_is_stamped_by_its_clock() {
        let at = Utc.with_ymd_and_hms(2031, 5, 6, 7, 8, 9).unwrap();
        let stamp = "2031-05-06T07:08:09.000Z";
        let dir = tempfile::tempdir().unwrap();
        let config = DeskConfig {
            data_dir: dir.path().to_path_buf(),
            keyring_service: "liaison-desk-clock-test".into(),
        };
        let desk = Desk::open_with_clock(&config, Arc::new(move || at)).unwrap();
        let stamps = |sql: &str| -> Vec<String> {
            let conn = desk.store.conn();
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };

        let draft = desk.create_draft(Some(1)).unwrap();
        assert_eq!(draft.created_at, stamp);
        assert_eq!(draft.updated_at, stamp);
        let saved = desk
            .save_draft(&draft.id, Some(1), "通知", "<p>正文</p>")
            .unwrap();
        assert_eq!(saved.updated_at, stamp);
        let form = b"%PDF-1.4\n% a form\n%%EOF\n".to_vec();
        let attached = desk
            .attach_bytes(&draft.id, "附件.pdf", form)
            .await
            .unwrap();
        assert_eq!(attached.updated_at, stamp);
        assert_eq!(stamps("SELECT added_at FROM files"), [stamp]);

        // Queued: the sent copy, the outbox entry and the state change.
        desk.store
            .set_seat(&SeatView {
                id: 3,
                login: "jyj.officer".into(),
                role: Role::Officer,
                department: DepartmentView {
                    id: 1,
                    name: "市教育局".into(),
                    signoff: SignoffPolicy::InApp,
                },
                holder_name: "王晓燕".into(),
            })
            .unwrap();
        let queued = desk.send_draft(&draft.id).unwrap();
        assert_eq!(queued.state, ItemState::Queued);
        assert_eq!(queued.updated_at, stamp);
        assert_eq!(stamps("SELECT sent_at FROM revisions"), [stamp]);
        assert_eq!(stamps("SELECT queued_at FROM outbox"), [stamp]);

        // Returned by the editors, then revised.
        let returned = ChangeKind::ItemReviewed {
            item_id: 1,
            draft_key: draft.id.clone(),
            version: 1,
            receipt: "LS-20310506-000001".into(),
            state: ItemState::Returned,
            published_url: None,
            review_comment: Some("请补充".into()),
            by: None,
        };
        assert!(desk.store.apply_change(1, &returned, desk.now()).unwrap());
        let revised = desk.revise_draft(&draft.id).unwrap();
        assert_eq!(revised.version, 2);
        assert_eq!(revised.created_at, stamp);
        assert_eq!(revised.updated_at, stamp);
        assert_eq!(
            stamps("SELECT created_at || ' ' || updated_at FROM drafts"),
            [format!("{stamp} {stamp}")]
        );
    }

    /// A file detached a day ago goes when the desk next opens, once; an attached one, a fresh
    /// copy no row names, and a file detached just now stay.
    #[tokio::test]
    async fn unused_files_are_removed_when_the_desk_opens_a_day_later() {
        let dir = tempfile::tempdir().unwrap();
        let config = DeskConfig {
            data_dir: dir.path().to_path_buf(),
            keyring_service: "liaison-desk-files-test".into(),
        };
        let day0 = Utc.with_ymd_and_hms(2031, 5, 6, 9, 0, 0).unwrap();
        let at = |t: DateTime<Utc>| -> Clock { Arc::new(move || t) };
        let pdf = |n: u8| format!("%PDF-1.4\n% file {n}\n%%EOF\n").into_bytes();

        let desk = Desk::open_with_clock(&config, at(day0)).unwrap();
        let draft = desk.create_draft(Some(1)).unwrap();
        let kept = desk
            .attach_bytes(&draft.id, "保留.pdf", pdf(1))
            .await
            .unwrap();
        let gone = desk
            .attach_bytes(&draft.id, "删除.pdf", pdf(2))
            .await
            .unwrap();
        let (kept, gone) = (
            kept.attachments[0].sha256.clone(),
            gone.attachments[1].sha256.clone(),
        );
        desk.detach(&draft.id, &gone).unwrap();
        drop(desk);
        // A copy no row names, written just now (a draft that never took it).
        let stray = "e".repeat(64);
        std::fs::write(dir.path().join("files").join(&stray), b"stray").unwrap();
        let on_disk = |sha: &str| dir.path().join("files").join(sha).exists();

        // The same day: nothing goes.
        let desk = Desk::open_with_clock(&config, at(day0)).unwrap();
        assert!(on_disk(&gone));
        assert_eq!(desk.collect_unused_files().unwrap(), 0);
        let late = desk
            .attach_bytes(&draft.id, "迟到.pdf", pdf(3))
            .await
            .unwrap();
        let late = late.attachments[1].sha256.clone();
        drop(desk);

        // Two days later the detached file goes; one detached after that look waits for the next.
        let day2 = day0 + chrono::Duration::days(2);
        let desk = Desk::open_with_clock(&config, at(day2)).unwrap();
        assert!(!on_disk(&gone), "the detached file was removed");
        assert!(!desk.store.known_files().unwrap().contains(&gone));
        assert!(on_disk(&kept) && on_disk(&late) && on_disk(&stray));
        desk.detach(&draft.id, &late).unwrap();
        // Looked once today already.
        assert_eq!(desk.collect_unused_files().unwrap(), 0);
        assert!(on_disk(&late));
        assert_eq!(desk.draft(&draft.id).unwrap().attachments.len(), 1);
    }
}
