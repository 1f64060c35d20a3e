//! [`Desk`]: the engine the window and the headless tools drive.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use liaison_domain::attachment::UPLOAD_CHUNK_BYTES;
use liaison_domain::handover::Holder;
use liaison_domain::wire::{
    ChangeKind, HandoverCode, HandoverView, InboxItem, ItemDetail, UploadRequest,
};
use liaison_domain::{AttachmentRef, ColumnView};
use tokio::sync::{Notify, watch};

use crate::DeskError;
use crate::client::{LONG_POLL_SECS, OfficeClient};
use crate::duties::{BoardView, NoticeView, NotifyHours};
use crate::files::FileStore;
use crate::retry::retry_delays;
use crate::secrets::Keyring;
use crate::store::{LocalStore, OutboxEntry, Restored};
use crate::view::{
    DraftSummary, DraftView, HandedOver, ItemTimeline, SearchHit, SessionView, SyncReport,
};

/// Sample drafts are written this many to a transaction.
const SEED_BATCH: usize = 5_000;

/// How long after an edit its draft is backed up to the office (edits in between join it).
pub const BACKUP_DELAY: Duration = Duration::from_secs(3);
/// While the office is unreachable, how often the worker checks whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(2);

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

/// How often the worker looks at the duty board.
const DUTY_CHECK_EVERY: Duration = Duration::from_secs(60);

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

    // --- duties and notices ---------------------------------------------------------------------

    /// The duty board from the last fetched data, computed now.
    pub fn board(&self) -> Result<BoardView, DeskError> {
        self.store.board(self.now())
    }

    /// The working-day calendar as last fetched from the office.
    pub fn calendar(&self) -> Result<liaison_domain::WorkCalendar, DeskError> {
        self.store.calendar()
    }

    /// Creates the notices the board calls for now; returns those to raise as notifications.
    pub fn check_duties(&self) -> Result<Vec<NoticeView>, DeskError> {
        self.store.check_duties(self.now())
    }

    pub fn notices(&self) -> Result<Vec<NoticeView>, DeskError> {
        self.store.notices()
    }

    /// Marks one notice read, or all of them.
    pub fn mark_notices_read(&self, id: Option<i64>) -> Result<(), DeskError> {
        self.store.mark_read(id, self.now())
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

    pub fn notify_hours(&self) -> Result<NotifyHours, DeskError> {
        self.store.notify_hours()
    }

    pub fn set_notify_hours(&self, hours: &NotifyHours) -> Result<(), DeskError> {
        self.store.set_notify_hours(hours)
    }

    /// Changes with every upload piece the office confirms.
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }

    // --- session --------------------------------------------------------------------------------

    pub fn session(&self) -> Result<SessionView, DeskError> {
        Ok(SessionView {
            office_url: self.store.meta("office_url")?,
            seat: self.store.seat()?,
            handed_over: self.handed_over_info()?,
        })
    }

    fn handed_over_info(&self) -> Result<Option<HandedOver>, DeskError> {
        Ok(self
            .store
            .meta("handed_over")?
            .and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Refuses local changes once the seat went to a successor: the data is read-only.
    pub(crate) fn writable(&self) -> Result<(), DeskError> {
        match self.handed_over_info()? {
            Some(h) => Err(DeskError::SeatHandedOver { wipe: h.wiped }),
            None => Ok(()),
        }
    }

    /// The office ended this seat's sessions for a successor: forget the token, stop sending,
    /// keep the data read-only or remove it as the office asked, and remember why.
    fn seat_handed_over(&self, wipe: bool) -> Result<(), DeskError> {
        if self.handed_over_info()?.is_some() {
            return Ok(()); // already acted on
        }
        let login = match (self.store.meta("office_url")?, self.store.seat()?) {
            (Some(url), Some(seat)) => {
                self.keyring.forget_token(&url, &seat.login)?;
                seat.login
            }
            (_, seat) => seat.map(|s| s.login).unwrap_or_default(),
        };
        let info = HandedOver {
            at: self.now().to_rfc3339(),
            login,
            wiped: wipe,
        };
        let json = serde_json::to_string(&info).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.store.set_meta("handed_over", &json)?;
        self.store.delete_meta("seat")?;
        if wipe {
            self.store.wipe()?;
            self.files.clear()?;
        }
        tracing::warn!(
            wipe,
            "the seat was handed over to a successor; this desk stops"
        );
        self.wake.notify_one();
        Ok(())
    }

    pub async fn sign_in(
        &self,
        office_url: &str,
        login: &str,
        password: &str,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_address(office_url)?;
        let client = self.client_for(&office_url)?;
        let answer = client.sign_in(login.trim(), password).await?;
        self.take_session(&client, &office_url, answer).await
    }

    /// The successor signs in with the seat's handover code and their own new password; the
    /// seat's drafts, items, duties and notices arrive with the next sync.
    pub async fn redeem_handover(
        &self,
        office_url: &str,
        login: &str,
        code: &str,
        new_password: &str,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_address(office_url)?;
        let client = self.client_for(&office_url)?;
        let request = liaison_domain::wire::RedeemHandoverRequest {
            login: login.trim().to_owned(),
            code: code.trim().to_owned(),
            new_password: new_password.to_owned(),
        };
        let answer = client.redeem_handover(&request).await?;
        self.take_session(&client, &office_url, answer).await
    }

    /// Keeps a new session: the token in the keyring, the seat, the board; the seat's sent items
    /// are fetched on the next sync.
    async fn take_session(
        &self,
        client: &OfficeClient,
        office_url: &str,
        answer: liaison_domain::wire::SignInResponse,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_url.to_owned();
        // One store holds one seat's work at one office: another seat may take it over only
        // when nothing of the previous one waits to be sent, and starts following from zero.
        let owner = format!("{office_url} {}", answer.seat.login);
        if let Some(previous) = self.store.meta("owner")?
            && previous != owner
        {
            if !self.store.outbox()?.is_empty() {
                if let Err(e) = client.sign_out(&answer.token).await {
                    tracing::warn!(error = %e, "the office did not hear the sign-out");
                }
                return Err(DeskError::InvalidState(format!(
                    "items of {previous} still wait to be sent on this desk; sign in as that seat and let them go first"
                )));
            }
            self.store.delete_meta("cursor")?;
            self.store.delete_meta("backup_cursor")?;
        }
        self.store.set_meta("owner", &owner)?;
        // Signed in again (the successor on this workstation): the desk works again.
        self.store.delete_meta("handed_over")?;
        self.store.set_meta("import_items", "1")?;
        self.keyring
            .store_token(&office_url, &answer.seat.login, &answer.token)?;
        self.store.set_meta("office_url", &office_url)?;
        self.store.set_seat(&answer.seat)?;
        self.refresh_board(client, &answer.token).await?;
        tracing::info!(seat = %answer.seat.login, "signed in");
        self.wake.notify_one();
        self.session()
    }

    pub async fn sign_out(&self) -> Result<SessionView, DeskError> {
        if let (Some(url), Some(seat)) = (self.store.meta("office_url")?, self.store.seat()?) {
            if let Ok(Some(token)) = self.keyring.token(&url, &seat.login) {
                // Best effort: offline, the token still dies at its expiry.
                let heard = match self.client_for(&url) {
                    Ok(client) => client.sign_out(&token).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = heard {
                    tracing::warn!(error = %e, "the office did not hear the sign-out");
                }
            }
            self.keyring.forget_token(&url, &seat.login)?;
        }
        self.store.delete_meta("seat")?;
        // Ends a round in progress, which would otherwise go on with the old token.
        self.wake.notify_one();
        self.session()
    }

    /// The client and token for the signed-in seat.
    fn credentials(&self) -> Result<(OfficeClient, String), DeskError> {
        let url = self
            .store
            .meta("office_url")?
            .ok_or(DeskError::NotSignedIn)?;
        let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
        let token = self
            .keyring
            .token(&url, &seat.login)?
            .ok_or(DeskError::NotSignedIn)?;
        let trust = self.trust_for(&url)?;
        let mut cached = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let client = match cached.as_ref() {
            Some(c) if c.office_url() == url && *c.trust() == trust => c.clone(),
            _ => cached.insert(OfficeClient::new(&url, &trust)?).clone(),
        };
        Ok((client, token))
    }

    /// The office no longer knows our token: forget it and show the sign-in again.
    fn session_expired(&self) -> Result<(), DeskError> {
        if let (Some(url), Some(seat)) = (self.store.meta("office_url")?, self.store.seat()?) {
            self.keyring.forget_token(&url, &seat.login)?;
        }
        self.store.delete_meta("seat")
    }

    // --- drafts ---------------------------------------------------------------------------------

    pub fn columns(&self) -> Result<Vec<ColumnView>, DeskError> {
        self.store.columns()
    }

    pub fn drafts(&self) -> Result<Vec<DraftSummary>, DeskError> {
        self.store.drafts()
    }

    pub fn draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.store.draft(id)
    }

    pub fn create_draft(&self, column_id: Option<i64>) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.store
            .create_draft(&uuid::Uuid::new_v4().to_string(), column_id)
    }

    pub fn save_draft(
        &self,
        id: &str,
        column_id: Option<i64>,
        title: &str,
        body_html: &str,
    ) -> Result<DraftSummary, DeskError> {
        self.writable()?;
        let saved = self.store.save_draft(id, column_id, title, body_html)?;
        self.edited.notify_one();
        Ok(saved)
    }

    /// Drafts whose title or text holds `term`, most recently saved first (the first `limit`).
    pub fn search(&self, term: &str, limit: u32) -> Result<Vec<SearchHit>, DeskError> {
        self.store.search(term, limit)
    }

    /// Fills the store with `count` sample drafts of realistic Chinese text (`body_bytes` each,
    /// from `seed`), spread over the seat's columns when there are any, one minute apart, and
    /// indexes them for search. For `liaison-desk-cli seed`, `make run` and the benchmarks.
    pub fn seed_drafts(&self, count: usize, body_bytes: usize, seed: u64) -> Result<(), DeskError> {
        self.writable()?;
        let columns: Vec<i64> = self.store.columns()?.iter().map(|c| c.id).collect();
        let mut writer = liaison_sample::Writer::new(seed);
        let newest = self.now();
        let spacing = chrono::Duration::minutes(1);
        let mut start = 0;
        while start < count {
            let len = SEED_BATCH.min(count - start);
            let batch: Vec<(Option<i64>, String, String)> = (0..len)
                .map(|_| {
                    let item = writer.item(body_bytes);
                    let column = (!columns.is_empty()).then(|| columns[writer.pick(columns.len())]);
                    (column, item.title, item.body_html)
                })
                .collect();
            let later = i32::try_from(count - start - len).unwrap_or(i32::MAX);
            self.store
                .seed_drafts(&batch, newest - spacing * later, spacing)?;
            start += len;
        }
        self.store.index_for_search()?;
        Ok(())
    }

    /// Copies a file into the desk's file store and attaches it to a draft.
    pub async fn attach_file(&self, id: &str, path: &Path) -> Result<DraftView, DeskError> {
        self.writable()?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = self.files.clone();
        let source = path.to_path_buf();
        let file_name = name.clone();
        let stored = tokio::task::spawn_blocking(move || files.add_file(&source, &file_name))
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))??;
        self.attached(self.store.attach(id, &name, &stored))
    }

    /// Attaches bytes handed over by the window (a picked or pasted file).
    pub async fn attach_bytes(
        &self,
        id: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<DraftView, DeskError> {
        self.writable()?;
        let files = self.files.clone();
        let file_name = name.to_owned();
        let stored = tokio::task::spawn_blocking(move || files.add_bytes(&bytes, &file_name))
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))??;
        self.attached(self.store.attach(id, name, &stored))
    }

    pub fn detach(&self, id: &str, sha256: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.attached(self.store.detach(id, sha256))
    }

    fn attached(&self, r: Result<DraftView, DeskError>) -> Result<DraftView, DeskError> {
        if r.is_ok() {
            self.edited.notify_one();
        }
        r
    }

    /// The bytes of a file in the store (for the window to show an inline image).
    pub async fn read_file(&self, sha256: &str) -> Result<Vec<u8>, DeskError> {
        if !liaison_domain::attachment::is_sha256_hex(sha256) || !self.store.has_file(sha256)? {
            return Err(DeskError::NotFound("file"));
        }
        let path = self.files.path(sha256);
        tokio::task::spawn_blocking(move || {
            std::fs::read(&path).map_err(|e| DeskError::Storage(format!("{}: {e}", path.display())))
        })
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))?
    }

    /// Where the bytes of a stored file are.
    pub fn file_path(&self, sha256: &str) -> PathBuf {
        self.files.path(sha256)
    }

    /// Queues the draft for delivery; the worker sends it.
    /// Queues a draft for the office, once its department's sign-off rule is met.
    pub fn send_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
        let view = self.store.queue_send(
            id,
            &uuid::Uuid::new_v4().to_string(),
            seat.department.signoff,
            liaison_domain::calendar::beijing_date(self.now()),
            &self.word_lists()?,
        )?;
        self.wake.notify_one();
        Ok(view)
    }

    /// The office's word lists as last fetched (empty before the first sync).
    fn word_lists(&self) -> Result<liaison_domain::preflight::WordLists, DeskError> {
        Ok(self
            .store
            .meta("word_lists")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Every pre-flight problem of a draft, with its place in the text.
    pub fn preflight(
        &self,
        id: &str,
    ) -> Result<Vec<liaison_domain::preflight::Problem>, DeskError> {
        let draft = self.store.draft(id)?;
        Ok(liaison_domain::preflight::check(
            crate::store::preflight_draft(&draft),
            &self.word_lists()?,
        ))
    }

    /// Records who signed the draft's current version off on paper, when, and which of its
    /// files is the signed form (`None` removes the record).
    pub fn attest(
        &self,
        id: &str,
        attestation: Option<&liaison_domain::Attestation>,
    ) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.store.set_attestation(id, attestation)
    }

    // --- handover --------------------------------------------------------------------------------

    /// Asks the office to hand this seat to `successor`. Everything is delivered and backed up
    /// first; while anything would still be lost (an item not at the office, a draft without a
    /// current backup) the handover does not start and the desk names what is pending.
    pub async fn start_handover(
        &self,
        successor: &liaison_domain::handover::Successor,
    ) -> Result<HandoverView, DeskError> {
        self.writable()?;
        if self
            .store
            .seat()?
            .is_some_and(|seat| !seat.role.may_hand_over_own_seat())
        {
            return Err(DeskError::InvalidState(
                "this seat is handed over by the editorial office's administrator".into(),
            ));
        }
        let successor = successor.checked().map_err(DeskError::InvalidSuccessor)?;
        // Best effort: an office that cannot be reached leaves things pending, said below.
        for step in [
            self.deliver().await.map(|_| ()),
            self.back_up_drafts().await.map(|_| ()),
        ] {
            if let Err(e) = step {
                tracing::warn!(error = %e, "before the handover");
            }
        }
        let pending = self.store.pending_for_handover()?;
        if !pending.is_empty() {
            return Err(DeskError::HandoverBlocked(pending));
        }
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::StartHandoverRequest {
            successor,
            seat_id: None,
            reason: None,
        };
        self.expired_guard(client.start_handover(&token, &request).await)
    }

    /// The seat's handovers, newest first.
    pub async fn handovers(&self) -> Result<Vec<HandoverView>, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.handovers(&token).await)
    }

    /// The approved handover's code, for the outgoing holder to give the successor; the office
    /// shows it once.
    pub async fn handover_code(&self, id: i64) -> Result<HandoverCode, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.handover_code(&token, id).await)
    }

    /// Who held this seat when.
    pub async fn holders(&self) -> Result<Vec<Holder>, DeskError> {
        let (client, token) = self.credentials()?;
        let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
        self.expired_guard(client.holders(&token, seat.id).await)
    }

    /// After a sign-in: the seat's sent items this desk does not hold (an earlier holder's, or
    /// another workstation's), so their history is here. Once per sign-in.
    async fn import_items(&self) -> Result<u32, DeskError> {
        if self.store.meta("import_items")?.is_none() {
            return Ok(0);
        }
        let (client, token) = self.credentials()?;
        let items = self.expired_guard(client.seat_items(&token).await)?;
        let mut added = 0;
        // Oldest first, so an item's later versions follow its earlier ones.
        for item in items.iter().rev() {
            if self.store.import_item(item)? {
                added += 1;
            }
        }
        self.store.delete_meta("import_items")?;
        Ok(added)
    }

    // --- review round-trip ----------------------------------------------------------------------

    /// The item's history as this desk last heard it (works offline).
    pub fn timeline(&self, id: &str) -> Result<ItemTimeline, DeskError> {
        self.store.timeline(id)
    }

    /// Fetches the timelines of the item's sent versions from the office, then shows them.
    pub async fn refresh_timeline(&self, id: &str) -> Result<ItemTimeline, DeskError> {
        let (client, token) = self.credentials()?;
        let known = self.store.timeline(id)?;
        for v in &known.versions {
            if let Some(item_id) = self.store.office_item_of(id, v.version)? {
                let detail = self.expired_guard(client.item(&token, item_id).await)?;
                self.store
                    .save_timeline(id, v.version, item_id, &detail.timeline)?;
            }
        }
        self.store.timeline(id)
    }

    /// Writes in the thread of the item's latest sent version (an answer to the editors).
    pub async fn comment(
        &self,
        id: &str,
        text: &str,
        quote: Option<&str>,
    ) -> Result<ItemTimeline, DeskError> {
        // The office's rule, checked before anything goes out.
        let remark = liaison_domain::remark::check(text, quote)
            .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        let known = self.store.timeline(id)?;
        let item_id = match known.versions.last() {
            Some(v) => self.store.office_item_of(id, v.version)?,
            None => None,
        }
        .ok_or_else(|| {
            DeskError::InvalidState("the office has no version of this item yet".into())
        })?;
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::CommentRequest {
            text: remark.text,
            quote: remark.quote,
        };
        self.expired_guard(client.comment(&token, item_id, &request).await)?;
        self.refresh_timeline(id).await
    }

    /// The department's items waiting for this seat's sign-off (a responsible person's desk;
    /// needs the office).
    pub async fn signoff_queue(&self) -> Result<Vec<InboxItem>, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.signoffs(&token).await)
    }

    /// An item of the department as the office has it, to read before signing it off.
    pub async fn office_item(&self, item_id: i64) -> Result<ItemDetail, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(client.item(&token, item_id).await)
    }

    /// Signs an item off: it goes on to the editors.
    pub async fn approve(&self, item_id: i64) -> Result<ItemDetail, DeskError> {
        let (client, token) = self.credentials()?;
        let item = self.expired_guard(client.approve(&token, item_id).await)?;
        tracing::info!(receipt = %item.receipt, "signed off");
        Ok(item)
    }

    /// Returns an item to its officer with a comment, optionally quoting a passage.
    pub async fn return_for_revision(
        &self,
        item_id: i64,
        comment: &str,
        quote: Option<&str>,
    ) -> Result<ItemDetail, DeskError> {
        // The office's rule, checked before anything goes out: a return says what to change.
        let remark = liaison_domain::remark::check(comment, quote)
            .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        let (client, token) = self.credentials()?;
        let request = liaison_domain::wire::ReturnRequest {
            comment: remark.text,
            quote: remark.quote,
        };
        self.expired_guard(client.return_item(&token, item_id, &request).await)
    }

    pub fn revise_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.store.revise(id)
    }

    /// What the current version changed in the one before it (the returned one), line by line.
    pub fn revision_diff(&self, id: &str) -> Result<Vec<crate::diff::DiffLine>, DeskError> {
        let draft = self.store.draft(id)?;
        if draft.version < 2 {
            return Err(DeskError::InvalidState(
                "only a revision has a version before it".into(),
            ));
        }
        let (before_title, before_body) = self.store.sent_version(id, draft.version - 1)?;
        Ok(crate::diff::revision_diff(
            &before_title,
            &before_body,
            &draft.title,
            &draft.body_html,
        ))
    }

    /// Title and body of a version as it was sent (unchanged by later revisions).
    pub fn sent_version(&self, id: &str, version: u32) -> Result<(String, String), DeskError> {
        self.store.sent_version(id, version)
    }

    // --- sync -----------------------------------------------------------------------------------

    /// One round: deliver the outbox, refresh columns, pull changes (waiting up to `wait_secs`
    /// for the first one).
    pub async fn sync_once(&self, wait_secs: u64) -> Result<SyncReport, DeskError> {
        // Whichever call learns that the session is gone, the desk acts on it.
        let round = self.sync_round(wait_secs).await;
        self.expired_guard(round)
    }

    async fn sync_round(&self, wait_secs: u64) -> Result<SyncReport, DeskError> {
        let delivered = self.deliver().await?;
        let kept = self.back_up_drafts().await?;
        let restored = self.restore_drafts().await? + self.import_items().await?;
        let pulled = self.refresh_and_pull(wait_secs).await?;
        // The office answers again: a worker waiting out its backoff starts now.
        self.wake.notify_one();
        Ok(SyncReport {
            sent: delivered.sent,
            pulled: pulled + kept + restored,
            online: true,
        })
    }

    /// Refreshes the cached board (and with it the columns) and applies the office's changes.
    async fn refresh_and_pull(&self, wait_secs: u64) -> Result<u32, DeskError> {
        let (client, token) = self.credentials()?;
        self.expired_guard(self.refresh_board(&client, &token).await)?;
        let pulled = self.pull(&client, &token, wait_secs).await?;
        if pulled > 0 {
            // A request posted, extended or withdrawn, or an answer signed off, while this round
            // waited: the window reads the requests as they are now.
            self.expired_guard(self.refresh_commissions(&client, &token).await)?;
        }
        Ok(pulled)
    }

    /// The department's board and the calendar; the board carries the columns too.
    async fn refresh_board(&self, client: &OfficeClient, token: &str) -> Result<(), DeskError> {
        // The seat too: the administrator may have changed how the department signs off.
        let seat = client.current_seat(token).await?;
        self.store.set_seat(&seat)?;
        let lists = client.word_lists(token).await?;
        let json = serde_json::to_string(&lists).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.store.set_meta("word_lists", &json)?;
        let board = client.board(token).await?;
        let calendar = client.calendar(token).await?;
        self.store.replace_board(&board, &calendar, self.now())?;
        self.refresh_commissions(client, token).await?;
        self.refresh_standing(client, token).await?;
        self.duties_changed.notify_one();
        Ok(())
    }

    fn expired_guard<T>(&self, r: Result<T, DeskError>) -> Result<T, DeskError> {
        match r {
            Err(DeskError::SessionExpired) => self.session_expired()?,
            Err(DeskError::SeatHandedOver { wipe }) => self.seat_handed_over(wipe)?,
            _ => {}
        }
        r
    }

    /// Drains the outbox and nothing else (no backups, no pulls): what the benchmarks time as
    /// the sync drain. The worker's rounds (`sync_once`) do this first.
    pub async fn deliver_outbox(&self) -> Result<SyncReport, DeskError> {
        let delivered = self.deliver().await;
        self.expired_guard(delivered)
    }

    /// Sends every queued item. A refusal the office will repeat is shown on its draft and the
    /// rest go on; a network failure stops the round (the next one retries).
    async fn deliver(&self) -> Result<SyncReport, DeskError> {
        let _one_at_a_time = self.sending.lock().await;
        let (client, token) = self.credentials()?;
        let mut report = SyncReport {
            online: true,
            ..SyncReport::default()
        };
        for entry in self.store.outbox()? {
            let sent = async {
                self.upload_send_files(&client, &token, &entry).await?;
                match client
                    .submit(&token, &entry.idempotency_key, &entry.request)
                    .await
                {
                    Err(e @ DeskError::FilesOutOfStep(_)) => {
                        // The office lost (or never finished) a file: upload them all again.
                        self.store.reset_uploads(entry.id)?;
                        Err(e)
                    }
                    other => other,
                }
            };
            match sent.await {
                Ok(answer) => {
                    self.store.mark_delivered(&entry, &answer)?;
                    tracing::info!(receipt = %answer.receipt, "delivered");
                    report.sent += 1;
                }
                Err(e @ (DeskError::RejectedByOffice { .. } | DeskError::FileNotAllowed(_))) => {
                    // Retrying cannot help: the version goes back to being a draft, reason shown.
                    tracing::warn!(error = %e, "the office refused a send");
                    self.store.mark_refused(&entry, &e.to_string())?;
                }
                Err(e) => {
                    if e.is_transient() {
                        self.store.mark_attempt_failed(&entry, &e.to_string())?;
                    }
                    return self.expired_guard(Err(e));
                }
            }
        }
        Ok(report)
    }

    /// Uploads what the office does not have yet of a send's files, recording each confirmed
    /// piece so a restart goes on from there.
    async fn upload_send_files(
        &self,
        client: &OfficeClient,
        token: &str,
        entry: &OutboxEntry,
    ) -> Result<(), DeskError> {
        for file in entry.files.iter().filter(|f| f.confirmed < f.size) {
            let name = entry
                .request
                .attachments
                .iter()
                .find(|a| a.sha256 == file.sha256)
                .map_or("file", |a| a.name.as_str());
            self.upload_file(client, token, &file.sha256, file.size, name, |confirmed| {
                self.store.confirm_upload(entry.id, &file.sha256, confirmed)
            })
            .await?;
        }
        Ok(())
    }

    /// Brings the office's copy of one file up to complete, from wherever it stands.
    async fn upload_file(
        &self,
        client: &OfficeClient,
        token: &str,
        sha256: &str,
        size: u64,
        name: &str,
        on_confirmed: impl Fn(u64) -> Result<(), DeskError>,
    ) -> Result<(), DeskError> {
        let announce = UploadRequest {
            sha256: sha256.to_owned(),
            size,
            name: name.to_owned(),
        };
        let mut status = client.begin_upload(token, &announce).await?;
        let mut out_of_step = 0;
        let mut recorded = None;
        while !status.complete {
            if recorded != Some(status.offset) && status.offset > 0 {
                on_confirmed(status.offset)?;
                recorded = Some(status.offset);
            }
            let files = self.files.clone();
            let (sha, offset) = (sha256.to_owned(), status.offset);
            let piece = tokio::task::spawn_blocking(move || {
                files.read_at(&sha, offset, UPLOAD_CHUNK_BYTES)
            })
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))??;
            match client.upload_piece(token, sha256, offset, piece).await {
                Ok(next) => {
                    status = next;
                    self.progress.send_modify(|n| *n += 1);
                }
                Err(DeskError::FilesOutOfStep(why)) if out_of_step < 3 => {
                    // A piece whose answer was lost, or one still arriving: ask where it stands.
                    tracing::debug!(sha256, why, "upload out of step");
                    out_of_step += 1;
                    tokio::time::sleep(Duration::from_millis(300 * out_of_step)).await;
                    status = client.begin_upload(token, &announce).await?;
                }
                Err(DeskError::RejectedByOffice { code, .. }) if code == "digest_mismatch" => {
                    let files = self.files.clone();
                    let sha = sha256.to_owned();
                    let intact = tokio::task::spawn_blocking(move || files.verify(&sha))
                        .await
                        .map_err(|e| DeskError::Internal(e.to_string()))??;
                    return Err(if intact {
                        DeskError::FilesOutOfStep("the office received damaged bytes".into())
                    } else {
                        DeskError::Storage(format!(
                            "the desk's copy of {name} is damaged; attach the file again"
                        ))
                    });
                }
                Err(e) => return Err(e),
            }
        }
        on_confirmed(size)
    }

    /// Files named by a draft from the office that this desk does not hold.
    async fn fetch_files(
        &self,
        client: &OfficeClient,
        token: &str,
        files: &[AttachmentRef],
    ) -> Result<(), DeskError> {
        for f in files {
            if self.store.has_file(&f.sha256)? && self.files.path(&f.sha256).exists() {
                continue;
            }
            // Into a temporary file beside the store, then in through the usual checks.
            let mut download = self.files.temp()?;
            client
                .upload_content(token, &f.sha256, download.as_file_mut())
                .await?;
            let store = self.files.clone();
            let name = f.name.clone();
            let stored =
                tokio::task::spawn_blocking(move || store.add_file(download.path(), &name))
                    .await
                    .map_err(|e| DeskError::Internal(e.to_string()))??;
            if stored.sha256 != f.sha256 {
                return Err(DeskError::OfficeUnreachable(format!(
                    "the office sent other bytes for {}",
                    f.name
                )));
            }
        }
        Ok(())
    }

    /// Backs up every draft edited since its last backup. Returns how many other-workstation
    /// versions were kept beside this desk's (the office held a newer copy than ours).
    pub async fn back_up_drafts(&self) -> Result<u32, DeskError> {
        let _one_at_a_time = self.backing_up.lock().await;
        let (client, token) = self.credentials()?;
        let mut kept = 0;
        for mut due in self.store.backups_due()? {
            for f in &due.request.attachments {
                self.upload_file(&client, &token, &f.sha256, f.size, &f.name, |_| Ok(()))
                    .await?;
            }
            due.request.origin = Some(self.desk_id.clone());
            let mut answer = client
                .put_draft(&token, &due.draft_id, &due.request)
                .await?;
            if let Err(current) = &answer
                && current.origin.as_deref() == Some(self.desk_id.as_str())
            {
                // Our own earlier backup, whose answer was lost: go on from it.
                due.request.base_rev = Some(current.rev);
                answer = client
                    .put_draft(&token, &due.draft_id, &due.request)
                    .await?;
            }
            match answer {
                Ok(stored) => self
                    .store
                    .mark_backed_up(&due.draft_id, due.rev, stored.rev)?,
                Err(current) => {
                    tracing::info!(draft = %due.draft_id, "another workstation changed this draft; keeping both");
                    self.fetch_files(&client, &token, &current.attachments)
                        .await?;
                    self.store.keep_both(
                        &due.draft_id,
                        &current,
                        &uuid::Uuid::new_v4().to_string(),
                    )?;
                    kept += 1;
                }
            }
        }
        Ok(kept)
    }

    /// Brings the seat's drafts backed up at the office into this desk: new ones, newer text of
    /// unchanged ones, and both versions where both changed. Returns how many drafts changed.
    pub async fn restore_drafts(&self) -> Result<u32, DeskError> {
        let _one_at_a_time = self.backing_up.lock().await;
        let (client, token) = self.credentials()?;
        let mut changed = 0;
        let since = self.store.backup_cursor()?;
        let backups = client.drafts(&token, since).await?;
        let seen = backups.iter().map(|b| b.seq).max();
        for backup in backups {
            if backup.origin.as_deref() == Some(self.desk_id.as_str()) {
                // Our own copy; only its number may be news (an answer we did not hear).
                self.store.adopt_office_rev(&backup.draft_key, backup.rev)?;
                continue;
            }
            self.fetch_files(&client, &token, &backup.attachments)
                .await?;
            let copy_id = uuid::Uuid::new_v4().to_string();
            if self.store.restore(&backup, &copy_id)? != Restored::Nothing {
                changed += 1;
            }
        }
        if let Some(seq) = seen {
            self.store.set_meta("backup_cursor", &seq.to_string())?;
        }
        Ok(changed)
    }

    async fn pull(
        &self,
        client: &OfficeClient,
        token: &str,
        wait_secs: u64,
    ) -> Result<u32, DeskError> {
        let mut applied = 0;
        let mut wait = wait_secs;
        loop {
            let since = self.store.cursor()?;
            let page = self.expired_guard(client.changes(token, since, wait).await)?;
            for change in &page.changes {
                if self
                    .store
                    .apply_change(change.seq, &change.kind, self.now())?
                {
                    applied += 1;
                    // A review or an urge is a notice to raise.
                    self.duties_changed.notify_one();
                }
                self.follow_timeline(client, token, &change.kind).await;
            }
            if page.changes.is_empty() || page.next <= since {
                return Ok(applied);
            }
            wait = 0;
        }
    }

    /// After a change to one of this desk's items, fetches its timeline so the history shows
    /// it offline too. Best effort: the timeline is fetched again when the item is opened.
    async fn follow_timeline(&self, client: &OfficeClient, token: &str, change: &ChangeKind) {
        let (item_id, draft_key, version) = match change {
            ChangeKind::ItemReviewed {
                item_id,
                draft_key,
                version,
                ..
            }
            | ChangeKind::SignoffRequested {
                item_id,
                draft_key,
                version,
                ..
            }
            | ChangeKind::ItemCommented {
                item_id,
                draft_key,
                version,
                ..
            } => (*item_id, draft_key, *version),
            ChangeKind::ColumnUrged { .. }
            | ChangeKind::CommissionUpdated { .. }
            | ChangeKind::OrganisationChanged { .. } => return,
        };
        if !self
            .store
            .holds_version(draft_key, version)
            .unwrap_or(false)
        {
            return;
        }
        match client.item(token, item_id).await {
            Ok(detail) => {
                if let Err(e) =
                    self.store
                        .save_timeline(draft_key, version, item_id, &detail.timeline)
                {
                    tracing::warn!(error = %e, "could not keep an item's timeline");
                }
            }
            Err(e) => tracing::debug!(error = %e, "timeline not fetched"),
        }
    }

    /// Runs until the process ends: delivers as soon as something is queued, long-polls the
    /// office for changes, backs off while it is unreachable. `on_change` hears of every round
    /// that sent or pulled something, and of every failure.
    pub async fn run_worker<F>(self: Arc<Self>, on_event: F)
    where
        F: Fn(WorkerEvent<'_>) + Send + Sync + 'static,
    {
        let on_change = |r: Result<&SyncReport, &DeskError>| match r {
            Ok(report) => on_event(WorkerEvent::Synced(report)),
            Err(e) => on_event(WorkerEvent::Failed(e)),
        };
        // Duties are checked every minute and after every round, offline as well.
        let duties = async {
            loop {
                match self.check_duties() {
                    Ok(raised) => {
                        for notice in &raised {
                            on_event(WorkerEvent::Notice(notice));
                        }
                        if !raised.is_empty() {
                            on_change(Ok(&SyncReport::default()));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "checking duties failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(DUTY_CHECK_EVERY) => {}
                    _ = self.duties_changed.notified() => {}
                }
            }
        };
        let backups = async {
            loop {
                self.edited.notified().await;
                tokio::time::sleep(BACKUP_DELAY).await;
                match self.back_up_drafts().await {
                    Ok(kept @ 1..) => on_change(Ok(&SyncReport {
                        sent: 0,
                        pulled: kept,
                        online: true,
                    })),
                    Ok(0) => {}
                    // The main loop retries it with its next round.
                    Err(e) => tracing::debug!(error = %e, "draft backup failed"),
                }
            }
        };
        tokio::select! {
            _ = backups => {}
            _ = duties => {}
            _ = self.sync_rounds(&on_change) => {}
        }
    }

    async fn sync_rounds<F>(&self, on_change: &F)
    where
        F: Fn(Result<&SyncReport, &DeskError>),
    {
        let mut delays = retry_delays();
        loop {
            let round = async {
                let mut delivered = self.deliver().await?;
                delivered.pulled += self.back_up_drafts().await?;
                delivered.pulled += self.restore_drafts().await?;
                delivered.pulled += self.import_items().await?;
                // Tell the window at once; the long poll below may take a while.
                if delivered.sent > 0 || delivered.pulled > 0 {
                    on_change(Ok(&delivered));
                }
                tokio::select! {
                    pulled = self.refresh_and_pull(LONG_POLL_SECS) => pulled.map(Some),
                    // Something was queued (or the seat changed) while we waited: start again now.
                    _ = self.wake.notified() => Ok(None),
                }
            };
            // Whichever call learned that the session is gone, the desk acts on it.
            match self.expired_guard(round.await) {
                Ok(pulled) => {
                    delays = retry_delays();
                    if let Some(pulled @ 1..) = pulled {
                        on_change(Ok(&SyncReport {
                            sent: 0,
                            pulled,
                            online: true,
                        }));
                    }
                }
                Err(DeskError::NotSignedIn) => {
                    self.wake.notified().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync round failed");
                    on_change(Err(&e));
                    let backoff = delays.next().unwrap_or(crate::retry::LONGEST_RETRY);
                    let (asked, rest) = crate::retry::wait_after(backoff, e.retry_after());
                    // What the office asked for (Retry-After) is waited out in full.
                    tokio::time::sleep(asked).await;
                    tokio::select! {
                        _ = tokio::time::sleep(rest) => {}
                        _ = self.wake.notified() => {}
                        _ = self.office_comes_back() => {}
                    }
                }
            }
        }
    }

    /// Resolves when the office, having been unreachable, accepts connections again: the
    /// network is back, so the worker need not wait out its backoff. An office that is up but
    /// failing never resolves this (the backoff applies).
    async fn office_comes_back(&self) {
        let Some(addr) = self
            .store
            .meta("office_url")
            .ok()
            .flatten()
            .and_then(|u| reqwest::Url::parse(&u).ok())
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        else {
            return std::future::pending().await;
        };
        let mut was_down = false;
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            let up = tokio::time::timeout(PROBE_EVERY, tokio::net::TcpStream::connect(&addr))
                .await
                .is_ok_and(|c| c.is_ok());
            if up && was_down {
                tracing::info!("the office is reachable again");
                return;
            }
            was_down |= !up;
        }
    }
}

/// An office address as typed: trimmed, without a trailing slash, and http(s).
fn office_address(typed: &str) -> Result<String, DeskError> {
    let url = typed.trim().trim_end_matches('/').to_owned();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(DeskError::InvalidState(
            "the office address must start with http:// or https://".into(),
        ))
    }
}
