//! The desk's side of importing: a file's bytes become a draft (with its images as files), and
//! the watch folder (`watch.rs`) is run: files due are deduplicated by content, imported, moved
//! aside and logged.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use liaison_import::{ImportError, import_bytes, placeholder};
use sha2::{Digest, Sha256};

use crate::DeskError;
use crate::engine::Desk;
use crate::view::{DraftView, ImportOutcome, ImportRecord};
use crate::watch::{FAILED_DIR, IMPORTED_DIR, Tracker, move_aside};

/// How often the watch folder looks for files that became due.
const TICK: Duration = Duration::from_millis(250);

impl Desk {
    /// The seat's import folder, if one is set.
    pub fn import_folder(&self) -> Result<Option<PathBuf>, DeskError> {
        Ok(self.store_meta("import_folder")?.map(PathBuf::from))
    }

    /// Sets (or, with `None`, stops) the import folder; it is created if missing.
    pub fn set_import_folder(&self, dir: Option<&Path>) -> Result<(), DeskError> {
        match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DeskError::Storage(format!("{}: {e}", dir.display())))?;
                let dir = dir
                    .canonicalize()
                    .map_err(|e| DeskError::Storage(format!("{}: {e}", dir.display())))?;
                self.set_store_meta("import_folder", &dir.to_string_lossy())?;
            }
            None => self.delete_store_meta("import_folder")?,
        }
        self.import_folder_changed.notify_one();
        Ok(())
    }

    /// The import log, newest first.
    pub fn import_log(&self) -> Result<Vec<ImportRecord>, DeskError> {
        self.store_ref().import_log(200)
    }

    /// Makes a draft of a file's bytes: its title, its body, its images stored as files of the
    /// draft. Nothing is written if the file cannot be read.
    pub async fn import_bytes(
        &self,
        name: &str,
        bytes: Vec<u8>,
        column_id: Option<i64>,
    ) -> Result<Result<DraftView, ImportError>, DeskError> {
        let file_name = name.to_owned();
        let imported = tokio::task::spawn_blocking(move || import_bytes(&file_name, &bytes))
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        let imported = match imported {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let draft = self.create_draft(column_id)?;
        let mut body = imported.body_html;
        for file in imported.files {
            let view = self.attach_bytes(&draft.id, &file.name, file.bytes).await?;
            if let Some(stored) = view.attachments.iter().rev().find(|a| a.name == file.name) {
                body = body.replace(
                    &placeholder(&file.placeholder),
                    &format!(
                        "{}{}",
                        liaison_domain::attachment::INLINE_FILE_SCHEME,
                        stored.sha256
                    ),
                );
            }
        }
        let title = imported.title.unwrap_or_default();
        self.save_draft(&draft.id, column_id, &title, &body)?;
        Ok(Ok(self.draft(&draft.id)?))
    }

    /// Takes one complete file of the import folder: a draft (or, for bytes imported before,
    /// none), the file moved aside, an entry in the log.
    pub async fn take_from_folder(
        &self,
        root: &Path,
        path: &Path,
    ) -> Result<ImportRecord, DeskError> {
        let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        let name = rel.to_string_lossy().into_owned();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let now = self.now().to_rfc3339();
        let read = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
                if std::fs::metadata(&path)?.len() > liaison_import::MAX_IMPORT_BYTES {
                    return Ok(None);
                }
                std::fs::read(&path).map(Some)
            })
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))?
        };
        let bytes = match read {
            Ok(b) => b,
            // Gone or unreadable meanwhile: nothing to do, nothing moved.
            Err(e) => return Err(DeskError::Storage(format!("{}: {e}", path.display()))),
        };
        let sha256 = bytes
            .as_ref()
            .map(|b| hex::encode(Sha256::digest(b)))
            .unwrap_or_default();
        let mut record = ImportRecord {
            name,
            at: now,
            outcome: ImportOutcome::Failed,
            draft_id: None,
            reason: None,
            moved_to: None,
        };
        let outcome = match bytes {
            None => Err(ImportError::TooLarge),
            Some(_) if self.db(|s| s.imported_before(&sha256))?.is_some() => {
                record.outcome = ImportOutcome::Duplicate;
                record.draft_id = self
                    .db(|s| s.imported_before(&sha256))?
                    .filter(|d| !d.is_empty());
                Ok(())
            }
            Some(bytes) => {
                let column = self.column_of_folder(&rel)?;
                match self.import_bytes(&file_name, bytes, column).await? {
                    Ok(draft) => {
                        record.outcome = ImportOutcome::Imported;
                        record.draft_id = Some(draft.id);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let moved = match &outcome {
            Ok(()) => move_aside(root, path, IMPORTED_DIR),
            Err(e) => {
                let reason = e.reason_zh();
                record.reason = Some(reason.clone());
                move_aside(root, path, FAILED_DIR).and_then(|to| {
                    let note = to.with_file_name(format!(
                        "{}.原因.txt",
                        to.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ));
                    std::fs::write(&note, format!("{reason}\n"))?;
                    Ok(to)
                })
            }
        };
        match moved {
            Ok(to) => {
                record.moved_to = to
                    .strip_prefix(root)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned());
            }
            Err(e) => {
                tracing::warn!(error = %e, file = %path.display(), "could not move an imported file aside")
            }
        }
        self.db(|s| s.log_import(&record, &sha256))?;
        tracing::info!(file = %record.name, outcome = record.outcome.as_str(), "import");
        Ok(record)
    }

    /// A sub-folder named after one of the department's columns chooses it.
    fn column_of_folder(&self, rel: &Path) -> Result<Option<i64>, DeskError> {
        let mut parts = rel.components();
        let (Some(first), Some(_)) = (parts.next(), parts.next()) else {
            return Ok(None);
        };
        let folder = first.as_os_str().to_string_lossy();
        Ok(self
            .columns()?
            .into_iter()
            .find(|c| c.name == folder.trim() && c.feed.accepts_items())
            .map(|c| c.id))
    }

    /// Runs the watch folder until the process ends, following the folder setting; `on_import`
    /// hears of every file taken.
    pub async fn run_import_folder<F>(self: Arc<Self>, on_import: F)
    where
        F: Fn(&ImportRecord) + Send + Sync + 'static,
    {
        loop {
            let folder = match self.import_folder() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    self.import_folder_changed.notified().await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the import folder setting");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            tokio::select! {
                _ = self.watch_folder(&folder, &on_import) => {}
                _ = self.import_folder_changed.notified() => {}
            }
        }
    }

    async fn watch_folder<F>(&self, root: &Path, on_import: &F)
    where
        F: Fn(&ImportRecord),
    {
        use notify::Watcher;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let _ = tx.send(res);
        })
        .and_then(|mut w| w.watch(root, notify::RecursiveMode::Recursive).map(|()| w));
        let _watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, folder = %root.display(), "cannot watch the import folder");
                tokio::time::sleep(Duration::from_secs(10)).await;
                return;
            }
        };
        let mut tracker = Tracker::new(root);
        tracker.scan(root, Instant::now());
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(Ok(event)) => {
                        for dir in tracker.on_event(&event, Instant::now()) {
                            tracker.scan(&dir, Instant::now());
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "watch folder event"),
                    None => return,
                },
                _ = tick.tick() => {
                    for path in tracker.due(Instant::now()) {
                        if !path.exists() {
                            continue;
                        }
                        match self.take_from_folder(root, &path).await {
                            Ok(record) => on_import(&record),
                            Err(e) => tracing::warn!(error = %e, file = %path.display(), "import failed"),
                        }
                    }
                }
            }
        }
    }
}
