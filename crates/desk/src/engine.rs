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

impl Desk {
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
        Ok(Desk {
            clock,
            store,
            files,
            keyring: Keyring::new(config.keyring_service.clone()),
            desk_id,
            edited: Notify::new(),
            duties_changed: Notify::new(),
            import_folder_changed: Notify::new(),
            backing_up: tokio::sync::Mutex::new(()),
            progress: watch::channel(0).0,
            wake: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
            client: std::sync::Mutex::new(None),
        })
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

    /// Changes with every upload piece the office confirms.
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }
}
