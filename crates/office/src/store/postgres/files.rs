//! The office's files in PostgreSQL, for offices on several machines: the same behaviour as the
//! data folder's `files::FileStore`, with its errors. An upload's pieces are rows
//! (`upload_pieces`), each kept once confirmed, so the next piece may arrive at any process; its
//! offset is where its last piece ends. Two pieces of one upload never interleave: each append
//! or finish holds a transaction-scoped advisory lock on the upload, and a second one is told
//! `Busy`. A complete upload is hashed, its type read from its bytes, and it becomes chunks of
//! at most [`CHUNK_BYTES`] (`blob_chunks`), every seat's copy of the same bytes one blob. Making
//! a blob and deleting one take turns on a transaction-scoped advisory lock of the blob, so two
//! seats finishing the same bytes at once make one blob, and an upload that finishes while its
//! blob is being deleted makes it anew instead of counting on chunks about to go.
//!
//! The files have a pool of their own ([`files_pool`]): a piece holds its connection for as long
//! as it takes to arrive, and slow uploads must not take the connections the rest of the office
//! needs.

use bytes::Bytes;
use deadpool_postgres::{GenericClient, Pool};
use futures_util::{Stream, StreamExt};
use liaison_domain::FileKind;
use liaison_domain::attachment::SNIFF_BYTES;
use sha2::{Digest, Sha256};

use super::PgError;
use super::prepared::Prepared;
use crate::files::FileError;

/// The largest row a piece or a blob's chunk is kept in.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The most connections one office process holds for its files, besides its store's
/// ([`super::POOL_SIZE`]): as many pieces may arrive at once, further ones wait for a connection.
pub const FILES_POOL_SIZE: usize = 8;

/// A pool of [`FILES_POOL_SIZE`] connections for the files in the database at `url` (nothing is
/// connected yet).
pub fn files_pool(url: &str) -> Result<Pool, PgError> {
    super::pool_of(url, FILES_POOL_SIZE)
}

/// Pieces read at a time when a complete upload is checked.
const PIECES_AT_ONCE: i64 = 8;

/// An error of the database behind the files: the database lost (the caller is told to try
/// again shortly), or a statement that failed.
fn db(e: impl std::fmt::Display + Lost) -> FileError {
    if e.lost() {
        FileError::Unavailable(e.to_string())
    } else {
        FileError::Database(e.to_string())
    }
}

/// Whether an error means the database is not there, rather than that a statement failed.
trait Lost {
    fn lost(&self) -> bool;
}

impl Lost for tokio_postgres::Error {
    fn lost(&self) -> bool {
        super::bridge::database_lost(self)
    }
}

impl Lost for deadpool_postgres::PoolError {
    fn lost(&self) -> bool {
        true
    }
}

impl Lost for PgError {
    fn lost(&self) -> bool {
        match self {
            PgError::Database(e) => e.lost(),
            PgError::Unreachable { .. } | PgError::Pool(_) => true,
            PgError::BadAddress(_) | PgError::NewerSchema { .. } => false,
        }
    }
}

impl From<PgError> for FileError {
    fn from(e: PgError) -> Self {
        db(e)
    }
}

/// The advisory lock of one seat's upload of one file.
fn upload_lock(seat_id: i64, sha256: &str) -> i64 {
    let digest = Sha256::digest(format!("upload:{seat_id}:{sha256}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The advisory lock of one blob, held while it is made or deleted.
fn blob_lock(sha256: &str) -> i64 {
    let digest = Sha256::digest(format!("blob:{sha256}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Files kept in the database.
#[derive(Clone)]
pub struct PgFiles {
    pool: Pool,
}

async fn offset_in(
    client: &impl GenericClient,
    seat_id: i64,
    sha256: &str,
) -> Result<u64, FileError> {
    let end: i64 = client
        .query_one_prepared(
            "SELECT coalesce(max(start + length(bytes)), 0)::bigint FROM upload_pieces
             WHERE seat_id = $1 AND sha256 = $2",
            &[&seat_id, &sha256],
        )
        .await
        .map_err(db)?
        .get(0);
    Ok(u64::try_from(end).unwrap_or(0))
}

impl PgFiles {
    pub fn new(pool: Pool) -> PgFiles {
        PgFiles { pool }
    }

    /// Bytes of an unfinished upload confirmed so far.
    pub async fn offset(&self, seat_id: i64, sha256: &str) -> Result<u64, FileError> {
        let client = self.pool.get().await.map_err(db)?;
        offset_in(&client, seat_id, sha256).await
    }

    /// Appends a piece that starts at `offset` to an upload of `size` bytes and returns the new
    /// confirmed offset. What arrived before an interruption (or a frame past the end) is kept,
    /// so the next piece starts there.
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
        let mut client = self.pool.get().await.map_err(db)?;
        let tx = client.transaction().await.map_err(db)?;
        let locked: bool = tx
            .query_one_prepared(
                "SELECT pg_try_advisory_xact_lock($1)",
                &[&upload_lock(seat_id, sha256)],
            )
            .await
            .map_err(db)?
            .get(0);
        if !locked {
            return Err(FileError::Busy);
        }
        let current = offset_in(&tx, seat_id, sha256).await?;
        if current != offset {
            // Ended before the answer, so the lock is free when the caller asks again (a
            // dropped transaction's rollback is sent, not waited for).
            tx.rollback().await.map_err(db)?;
            return Err(FileError::OffsetMismatch {
                current,
                asked: offset,
            });
        }
        let (mut at, mut pending, mut failure) = (current, Vec::new(), None);
        let mut kept = current;
        loop {
            let frame = body.next().await;
            let last = frame.is_none();
            match frame {
                Some(Ok(bytes)) => {
                    if at + bytes.len() as u64 > size {
                        failure = Some(FileError::PastEnd);
                    } else {
                        pending.extend_from_slice(&bytes);
                        at += bytes.len() as u64;
                    }
                }
                Some(Err(e)) => failure = Some(FileError::Interrupted(e.to_string())),
                None => {}
            }
            if pending.len() >= CHUNK_BYTES || last || failure.is_some() {
                for piece in pending.chunks(CHUNK_BYTES) {
                    let start = i64::try_from(kept).unwrap_or(i64::MAX);
                    tx.execute_prepared(
                        "INSERT INTO upload_pieces (seat_id, sha256, start, bytes)
                         VALUES ($1, $2, $3, $4)",
                        &[&seat_id, &sha256, &start, &piece],
                    )
                    .await
                    .map_err(db)?;
                    kept += piece.len() as u64;
                }
                pending.clear();
            }
            if last || failure.is_some() {
                break;
            }
        }
        tx.commit().await.map_err(db)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(kept),
        }
    }

    /// Checks a fully arrived upload and makes it a blob. Wrong bytes are deleted so the upload
    /// can start again.
    pub async fn finish(&self, seat_id: i64, sha256: &str) -> Result<FileKind, FileError> {
        let mut client = self.pool.get().await.map_err(db)?;
        let tx = client.transaction().await.map_err(db)?;
        let locked: bool = tx
            .query_one_prepared(
                "SELECT pg_try_advisory_xact_lock($1)",
                &[&upload_lock(seat_id, sha256)],
            )
            .await
            .map_err(db)?
            .get(0);
        if !locked {
            return Err(FileError::Busy);
        }
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut from = 0i64;
        loop {
            let rows = tx
                .query_prepared(
                    "SELECT start, bytes FROM upload_pieces
                     WHERE seat_id = $1 AND sha256 = $2 AND start >= $3
                     ORDER BY start LIMIT $4",
                    &[&seat_id, &sha256, &from, &PIECES_AT_ONCE],
                )
                .await
                .map_err(db)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let start: i64 = row.get(0);
                let bytes: &[u8] = row.get(1);
                if head.len() < SNIFF_BYTES {
                    let take = (SNIFF_BYTES - head.len()).min(bytes.len());
                    head.extend_from_slice(&bytes[..take]);
                }
                hasher.update(bytes);
                from = start + bytes.len() as i64;
            }
        }
        let kind = if hex::encode(hasher.finalize()) != sha256 {
            Err(FileError::DigestMismatch)
        } else {
            FileKind::sniff(&head).ok_or(FileError::Unsupported)
        };
        if kind.is_ok() {
            // Waits for another seat finishing the same bytes, or the blob's deletion.
            tx.execute_prepared("SELECT pg_advisory_xact_lock($1)", &[&blob_lock(sha256)])
                .await
                .map_err(db)?;
            // The same bytes from another seat may already be a blob: they are identical.
            let present: bool = tx
                .query_one_prepared(
                    "SELECT EXISTS (SELECT 1 FROM blob_chunks WHERE sha256 = $1)",
                    &[&sha256],
                )
                .await
                .map_err(db)?
                .get(0);
            if !present {
                // Pieces are at most a chunk each: each becomes the next chunk.
                tx.execute_prepared(
                    "INSERT INTO blob_chunks (sha256, n, bytes)
                     SELECT sha256, (row_number() OVER (ORDER BY start) - 1)::integer, bytes
                     FROM upload_pieces WHERE seat_id = $1 AND sha256 = $2",
                    &[&seat_id, &sha256],
                )
                .await
                .map_err(db)?;
            }
        }
        tx.execute_prepared(
            "DELETE FROM upload_pieces WHERE seat_id = $1 AND sha256 = $2",
            &[&seat_id, &sha256],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        kind
    }

    /// Forgets an unfinished upload's pieces; whether there were any.
    pub async fn remove_partial(&self, seat_id: i64, sha256: &str) -> Result<bool, FileError> {
        let client = self.pool.get().await.map_err(db)?;
        let n = client
            .execute_prepared(
                "DELETE FROM upload_pieces WHERE seat_id = $1 AND sha256 = $2",
                &[&seat_id, &sha256],
            )
            .await
            .map_err(db)?;
        Ok(n > 0)
    }

    /// Deletes a blob's chunks; whether there was such a blob.
    pub async fn remove_blob(&self, sha256: &str) -> Result<bool, FileError> {
        let mut client = self.pool.get().await.map_err(db)?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute_prepared("SELECT pg_advisory_xact_lock($1)", &[&blob_lock(sha256)])
            .await
            .map_err(db)?;
        let n = tx
            .execute_prepared("DELETE FROM blob_chunks WHERE sha256 = $1", &[&sha256])
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(n > 0)
    }

    /// Deletes the pieces of every upload the store holds no unfinished upload for (its row
    /// forgotten by the idle-upload sweep, or completed, by a process that stopped before it
    /// deleted them); returns how many uploads. An upload a piece of which is arriving is left
    /// alone. Pieces carry no time: nothing here depends on how long ago they arrived.
    pub async fn sweep_partials(&self) -> Result<usize, FileError> {
        const UNHELD: &str = "NOT EXISTS (
                SELECT 1 FROM uploads u
                WHERE u.seat_id = p.seat_id AND u.sha256 = p.sha256 AND u.mime IS NULL)";
        let mut client = self.pool.get().await.map_err(db)?;
        let forgotten: Vec<(i64, String)> = client
            .query_prepared(
                &format!("SELECT DISTINCT p.seat_id, p.sha256 FROM upload_pieces p WHERE {UNHELD}"),
                &[],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        let mut removed = 0;
        for (seat_id, sha256) in forgotten {
            // One upload at a time, under its lock, checked again: a seat may have begun it anew.
            let tx = client.transaction().await.map_err(db)?;
            let locked: bool = tx
                .query_one_prepared(
                    "SELECT pg_try_advisory_xact_lock($1)",
                    &[&upload_lock(seat_id, &sha256)],
                )
                .await
                .map_err(db)?
                .get(0);
            if !locked {
                tx.rollback().await.map_err(db)?;
                continue;
            }
            let n = tx
                .execute_prepared(
                    &format!(
                        "DELETE FROM upload_pieces p
                         WHERE p.seat_id = $1 AND p.sha256 = $2 AND {UNHELD}"
                    ),
                    &[&seat_id, &sha256],
                )
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            removed += usize::from(n > 0);
        }
        Ok(removed)
    }

    /// A blob's size, or `None` when there is no such file.
    pub async fn blob_size(&self, sha256: &str) -> Result<Option<u64>, FileError> {
        let client = self.pool.get().await.map_err(db)?;
        let size: Option<i64> = client
            .query_one_prepared(
                "SELECT sum(length(bytes))::bigint FROM blob_chunks WHERE sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(db)?
            .get(0);
        Ok(size.map(|s| u64::try_from(s).unwrap_or(0)))
    }

    /// A blob's bytes as a stream of its chunks, read one at a time (a download).
    pub fn blob(
        &self,
        sha256: &str,
    ) -> impl Stream<Item = Result<Bytes, FileError>> + Send + 'static {
        let (pool, sha256) = (self.pool.clone(), sha256.to_owned());
        futures_util::stream::unfold(Some(0i32), move |next| {
            let (pool, sha256) = (pool.clone(), sha256.clone());
            async move {
                let n = next?;
                let read = async {
                    let client = pool.get().await.map_err(db)?;
                    let row = client
                        .query_opt_prepared(
                            "SELECT bytes FROM blob_chunks WHERE sha256 = $1 AND n = $2",
                            &[&sha256, &n],
                        )
                        .await
                        .map_err(db)?;
                    Ok::<_, FileError>(row.map(|r| Bytes::from(r.get::<_, Vec<u8>>(0))))
                }
                .await;
                match read {
                    Ok(Some(bytes)) => Some((Ok(bytes), Some(n + 1))),
                    Ok(None) => None,
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
    }
}
