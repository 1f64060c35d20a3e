//! The office's file store: uploads arriving in pieces, and complete files named by their SHA-256.
//!
//! `files/partial/<seat>/<sha256>` grows as pieces arrive; its length on disk is the confirmed
//! offset (each piece is synced before it is confirmed). A complete upload is hashed, its type is
//! read from its bytes, and it is renamed to `files/blobs/<sha256>`, where every seat's copy of the
//! same bytes is one file.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use liaison_domain::FileKind;
use liaison_domain::attachment::SNIFF_BYTES;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

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
}

#[derive(Clone)]
pub struct FileStore {
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

impl FileStore {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("blobs"))?;
        std::fs::create_dir_all(root.join("partial"))?;
        Ok(FileStore {
            root: root.to_path_buf(),
            busy: Arc::default(),
        })
    }

    /// Deletes uploads that stopped arriving more than `older_than` ago (their seats start them
    /// again from zero). Returns how many.
    pub fn sweep_partials(&self, older_than: std::time::Duration) -> std::io::Result<usize> {
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

    /// The folder holding the files (its filesystem's free space guards new uploads).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Deletes what arrived of a forgotten upload, if anything did; says whether it did.
    pub async fn remove_partial(&self, seat_id: i64, sha256: &str) -> std::io::Result<bool> {
        remove_if_present(&self.partial(seat_id, sha256)).await
    }

    /// Deletes a complete file that no upload and no item names any more; says whether there was
    /// one.
    pub async fn remove_blob(&self, sha256: &str) -> std::io::Result<bool> {
        remove_if_present(&self.blob(sha256)).await
    }

    /// `sha256` must have been checked to be 64 hex digits: it becomes a file name.
    fn partial(&self, seat_id: i64, sha256: &str) -> PathBuf {
        self.root
            .join("partial")
            .join(seat_id.to_string())
            .join(sha256)
    }

    pub fn blob(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(sha256)
    }

    /// Bytes of an unfinished upload confirmed so far.
    pub async fn offset(&self, seat_id: i64, sha256: &str) -> Result<u64, FileError> {
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

    /// Appends a piece that starts at `offset` to an upload of `size` bytes and returns the new
    /// confirmed offset. What arrived before an interruption is kept (and synced), so the next
    /// piece starts there.
    pub async fn append<S, E>(
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

    /// Checks a fully arrived upload and moves it to the blobs. Wrong bytes are deleted so the
    /// upload can start again.
    pub async fn finish(&self, seat_id: i64, sha256: &str) -> Result<FileKind, FileError> {
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

    #[test]
    fn uploads_that_stopped_long_ago_are_swept() {
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
                .unwrap(),
            1
        );
        assert!(!old.exists() && fresh.exists());
    }
}
