//! Drafts at the desk: listing, creating, autosaving and searching them, their files, revising a
//! returned item and what the revision changed; sample drafts for `seed` and the benchmarks.

use std::path::{Path, PathBuf};

use liaison_domain::ColumnView;

use super::Desk;
use crate::DeskError;
use crate::view::{DraftSummary, DraftView, SearchHit};

/// Sample drafts are written this many to a transaction.
const SEED_BATCH: usize = 5_000;

impl Desk {
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
            .create_draft(&uuid::Uuid::new_v4().to_string(), column_id, self.now())
    }

    pub fn save_draft(
        &self,
        id: &str,
        column_id: Option<i64>,
        title: &str,
        body_html: &str,
    ) -> Result<DraftSummary, DeskError> {
        self.writable()?;
        let saved = self
            .store
            .save_draft(id, column_id, title, body_html, self.now())?;
        // The officer is typing: file transfers give way for a while.
        self.pacer.keystroke();
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
        self.attached(self.db(|s| s.attach(id, &name, &stored, self.now())))
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
        self.attached(self.db(|s| s.attach(id, name, &stored, self.now())))
    }

    pub fn detach(&self, id: &str, sha256: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.attached(self.store.detach(id, sha256, self.now()))
    }

    fn attached(&self, r: Result<DraftView, DeskError>) -> Result<DraftView, DeskError> {
        if r.is_ok() {
            self.edited.notify_one();
        }
        r
    }

    /// The bytes of a file in the store (for the window to show an inline image).
    pub async fn read_file(&self, sha256: &str) -> Result<Vec<u8>, DeskError> {
        if !liaison_domain::attachment::is_sha256_hex(sha256) || !self.db(|s| s.has_file(sha256))? {
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

    pub fn revise_draft(&self, id: &str) -> Result<DraftView, DeskError> {
        self.writable()?;
        self.store.revise(id, self.now())
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
}
