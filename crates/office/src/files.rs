//! The office's file store: uploads arriving in pieces, and complete files named by their SHA-256.
//!
//! An office on one machine keeps them in its data folder: `files/partial/<seat>/<sha256>` grows
//! as pieces arrive; its length on disk is the confirmed offset (each piece is synced before it
//! is confirmed). A complete upload is hashed, its type is read from its bytes, and it is renamed
//! to `files/blobs/<sha256>`, where every seat's copy of the same bytes is one file.
//!
//! An office on PostgreSQL keeps them in the database ([`PgFiles`]), so an upload begun at one
//! office process goes on at another and a file uploaded at one is downloaded from any: the same
//! behaviour and the same errors. [`FileStore`] is either; the office only ever sees it.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use liaison_domain::FileKind;
use liaison_domain::attachment::SNIFF_BYTES;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::store::postgres::files::PgFiles;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the upload is at byte {current}, not {asked}")]
    OffsetMismatch { current: u64, asked: u64 },
    #[error("the piece goes past the announced size of the file")]
    PastEnd,
    #[error("another piece of this upload is arriving")]
    Busy,
    #[error("the bytes do not have the announced SHA-256")]
    DigestMismatch,
    #[error("the file is not of a type an item may carry")]
    Unsupported,
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    /// The database holding the files failed (the office's own failure, as `Io` is for the
    /// data folder: its words go to the log, never to the caller).
    #[error("file store database: {0}")]
    Database(String),
    /// The database behind the files does not answer for now (try again shortly).
    #[error("the file store's database does not answer: {0}")]
    Unavailable(String),
}

/// A complete file's bytes, read as they are sent.
pub type FileBytes = Pin<Box<dyn Stream<Item = Result<Bytes, FileError>> + Send>>;

/// The office's files: in its data folder, or in its PostgreSQL database.
#[derive(Clone)]
pub struct FileStore {
    /// The data folder's `files/` (its filesystem's free space guards new uploads, wherever the
    /// files are kept).
    root: PathBuf,
    kept: Kept,
}

/// Where the files are.
#[derive(Clone)]
enum Kept {
    Folder(Folder),
    Database(PgFiles),
}

impl FileStore {
    /// Files in the folder `root` (the data folder's `files/`), created if missing.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        Ok(FileStore {
            root: root.to_path_buf(),
            kept: Kept::Folder(Folder::open(root)?),
        })
    }

    /// Files in the PostgreSQL database behind `pool` (whose schema is migrated), shared by every
    /// office process on it. `root` is still the data folder's `files/` (created if missing): the
    /// free space of its filesystem guards new uploads.
    pub fn in_database(pool: deadpool_postgres::Pool, root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(FileStore {
            root: root.to_path_buf(),
            kept: Kept::Database(PgFiles::new(pool)),
        })
    }

    /// Deletes what arrived of uploads nobody will finish, so it never fills the store; returns
    /// how many uploads. In the data folder: the uploads that stopped arriving more than
    /// `older_than` ago (their seats start them again from zero). In the database, `older_than`
    /// is not used (its pieces carry no time): the store's idle-upload sweep (`sweep.rs`) deletes
    /// the pieces of each upload it forgets, and this deletes those it could not (a process that
    /// stopped in between): the pieces of uploads the store no longer holds as unfinished.
    pub async fn sweep_partials(
        &self,
        older_than: std::time::Duration,
    ) -> Result<usize, FileError> {
        match &self.kept {
            Kept::Folder(folder) => {
                let folder = folder.clone();
                tokio::task::spawn_blocking(move || folder.sweep_partials(older_than))
                    .await
                    .map_err(|e| FileError::Interrupted(e.to_string()))?
                    .map_err(FileError::from)
            }
            Kept::Database(pg) => pg.sweep_partials().await,
        }
    }

    /// The folder holding the files (its filesystem's free space guards new uploads).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Deletes what arrived of a forgotten upload, if anything did; says whether it did.
    pub async fn remove_partial(&self, seat_id: i64, sha256: &str) -> Result<bool, FileError> {
        match &self.kept {
            Kept::Folder(folder) => Ok(remove_if_present(&folder.partial(seat_id, sha256)).await?),
            Kept::Database(pg) => pg.remove_partial(seat_id, sha256).await,
        }
    }

    /// Deletes a complete file that no upload and no item names any more; says whether there was
    /// one.
    pub async fn remove_blob(&self, sha256: &str) -> Result<bool, FileError> {
        match &self.kept {
            Kept::Folder(folder) => Ok(remove_if_present(&folder.blob(sha256)).await?),
            Kept::Database(pg) => pg.remove_blob(sha256).await,
        }
    }

    /// A complete file's size, or `None` when there is no such file.
    pub async fn blob_size(&self, sha256: &str) -> Result<Option<u64>, FileError> {
        match &self.kept {
            Kept::Folder(folder) => match tokio::fs::metadata(folder.blob(sha256)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Kept::Database(pg) => pg.blob_size(sha256).await,
        }
    }

    /// A complete file's bytes, to send (a download). A file that is not there is an
    /// `Io` error of kind `NotFound`, from either store.
    pub async fn read(&self, sha256: &str) -> Result<FileBytes, FileError> {
        match &self.kept {
            Kept::Folder(folder) => {
                let handle = tokio::fs::File::open(folder.blob(sha256)).await?;
                Ok(Box::pin(
                    tokio_util::io::ReaderStream::new(handle).map(|r| r.map_err(FileError::from)),
                ))
            }
            Kept::Database(pg) => {
                if pg.blob_size(sha256).await?.is_none() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("no file {sha256} in the database"),
                    )
                    .into());
                }
                Ok(Box::pin(pg.blob(sha256)))
            }
        }
    }

    /// Bytes of an unfinished upload confirmed so far.
    pub async fn offset(&self, seat_id: i64, sha256: &str) -> Result<u64, FileError> {
        match &self.kept {
            Kept::Folder(folder) => folder.offset(seat_id, sha256).await,
            Kept::Database(pg) => pg.offset(seat_id, sha256).await,
        }
    }

    /// Appends a piece that starts at `offset` to an upload of `size` bytes and returns the new
    /// confirmed offset. What arrived before an interruption is kept, so the next piece starts
    /// there. A piece of an upload another piece of which is arriving is refused (`Busy`).
    pub async fn append<S, E>(
        &self,
        seat_id: i64,
        sha256: &str,
        size: u64,
        offset: u64,
        body: S,
    ) -> Result<u64, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        match &self.kept {
            Kept::Folder(folder) => folder.append(seat_id, sha256, size, offset, body).await,
            Kept::Database(pg) => pg.append(seat_id, sha256, size, offset, body).await,
        }
    }

    /// Checks a fully arrived upload and makes it a complete file. Wrong bytes are deleted so the
    /// upload can start again.
    pub async fn finish(&self, seat_id: i64, sha256: &str) -> Result<FileKind, FileError> {
        match &self.kept {
            Kept::Folder(folder) => folder.finish(seat_id, sha256).await,
            Kept::Database(pg) => pg.finish(seat_id, sha256).await,
        }
    }
}

/// The files in the data folder.
#[derive(Clone)]
struct Folder {
    root: PathBuf,
    /// Uploads a request is writing to, so two pieces of one upload never interleave.
    busy: Arc<Mutex<HashSet<(i64, String)>>>,
}

/// Marks an upload busy for as long as it lives.
struct BusyGuard {
    busy: Arc<Mutex<HashSet<(i64, String)>>>,
    key: (i64, String),
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

impl Folder {
    fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("blobs"))?;
        std::fs::create_dir_all(root.join("partial"))?;
        Ok(Folder {
            root: root.to_path_buf(),
            busy: Arc::default(),
        })
    }

    /// Deletes uploads that stopped arriving more than `older_than` ago (their seats start them
    /// again from zero). Returns how many.
    fn sweep_partials(&self, older_than: std::time::Duration) -> std::io::Result<usize> {
        let mut removed = 0;
        let now = std::time::SystemTime::now();
        for seat in std::fs::read_dir(self.root.join("partial"))? {
            let seat = seat?;
            if !seat.file_type()?.is_dir() {
                continue;
            }
            for upload in std::fs::read_dir(seat.path())? {
                let upload = upload?;
                let modified = upload.metadata()?.modified()?;
                if now.duration_since(modified).unwrap_or_default() > older_than {
                    std::fs::remove_file(upload.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// `sha256` must have been checked to be 64 hex digits: it becomes a file name.
    fn partial(&self, seat_id: i64, sha256: &str) -> PathBuf {
        self.root
            .join("partial")
            .join(seat_id.to_string())
            .join(sha256)
    }

    fn blob(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(sha256)
    }

    async fn offset(&self, seat_id: i64, sha256: &str) -> Result<u64, FileError> {
        match tokio::fs::metadata(self.partial(seat_id, sha256)).await {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    fn claim(&self, seat_id: i64, sha256: &str) -> Result<BusyGuard, FileError> {
        let key = (seat_id, sha256.to_owned());
        if !self
            .busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone())
        {
            return Err(FileError::Busy);
        }
        Ok(BusyGuard {
            busy: self.busy.clone(),
            key,
        })
    }

    /// [`FileStore::append`]; what arrived before an interruption is synced before it counts.
    async fn append<S, E>(
        &self,
        seat_id: i64,
        sha256: &str,
        size: u64,
        offset: u64,
        mut body: S,
    ) -> Result<u64, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let _busy = self.claim(seat_id, sha256)?;
        let path = self.partial(seat_id, sha256);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await?;
        let current = file.metadata().await?.len();
        if current != offset {
            return Err(FileError::OffsetMismatch {
                current,
                asked: offset,
            });
        }
        let mut at = current;
        let mut failure = None;
        while let Some(frame) = body.next().await {
            match frame {
                Ok(bytes) => {
                    if at + bytes.len() as u64 > size {
                        failure = Some(FileError::PastEnd);
                        break;
                    }
                    file.write_all(&bytes).await?;
                    at += bytes.len() as u64;
                }
                Err(e) => {
                    failure = Some(FileError::Interrupted(e.to_string()));
                    break;
                }
            }
        }
        file.flush().await?;
        file.sync_data().await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(at),
        }
    }

    /// [`FileStore::finish`]: the checked upload is renamed to the blobs.
    async fn finish(&self, seat_id: i64, sha256: &str) -> Result<FileKind, FileError> {
        let _busy = self.claim(seat_id, sha256)?;
        let partial = self.partial(seat_id, sha256);
        let blob = self.blob(sha256);
        let want = sha256.to_owned();
        tokio::task::spawn_blocking(move || {
            let (digest, head) = digest_and_head(&partial)?;
            let kind = if digest != want {
                Err(FileError::DigestMismatch)
            } else {
                FileKind::sniff(&head).ok_or(FileError::Unsupported)
            };
            match kind {
                Ok(kind) => {
                    // The same bytes from another seat may already be there: they are identical.
                    std::fs::rename(&partial, &blob)?;
                    if let Some(dir) = blob.parent() {
                        std::fs::File::open(dir)?.sync_all()?;
                    }
                    Ok(kind)
                }
                Err(e) => {
                    std::fs::remove_file(&partial)?;
                    Err(e)
                }
            }
        })
        .await
        .map_err(|e| FileError::Interrupted(e.to_string()))?
    }
}

async fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// SHA-256 of a file (hex) and its first bytes.
fn digest_and_head(path: &Path) -> std::io::Result<(String, Vec<u8>)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[tokio::test]
    async fn uploads_that_stopped_long_ago_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let seat = dir.path().join("partial").join("7");
        std::fs::create_dir_all(&seat).unwrap();
        let (old, fresh) = (seat.join("a".repeat(64)), seat.join("b".repeat(64)));
        std::fs::write(&old, b"half").unwrap();
        std::fs::write(&fresh, b"half").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(10 * 24 * 3600))
            .unwrap();
        assert_eq!(
            store
                .sweep_partials(Duration::from_secs(7 * 24 * 3600))
                .await
                .unwrap(),
            1
        );
        assert!(!old.exists() && fresh.exists());
    }
}
