//! Copying the files: which complete files and uploads under way the rows name, streamed into
//! `blob_chunks` and `upload_pieces` in chunks, hashed against their names.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use deadpool_postgres::GenericClient;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::store::postgres::files::CHUNK_BYTES;

use super::*;

/// Why the files could not be listed.
pub(super) enum FilesError {
    Db(rusqlite::Error),
    Migrate(MigrateError),
}

impl From<rusqlite::Error> for FilesError {
    fn from(e: rusqlite::Error) -> Self {
        FilesError::Db(e)
    }
}

/// Who names a complete file, the strongest first: an item's file must be there; a complete
/// upload's may have been swept since the read began (with its row, which is then left out); a
/// draft backup may name a file whose upload never completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Named {
    Draft,
    Upload,
    Item,
}

/// The files to move: complete ones by SHA-256 with who names them, and uploads under way
/// `(seat, sha256, path)`.
pub(super) struct FilePlan {
    blobs: BTreeMap<String, (Named, PathBuf)>,
    partials: Vec<(i64, String, PathBuf)>,
}

pub(super) fn plan_files(snapshot: &Connection, data: &Path) -> Result<FilePlan, FilesError> {
    let files = data.join("files");
    let mut blobs: BTreeMap<String, (Named, PathBuf)> = BTreeMap::new();
    let mut name = |sha: String, by: Named| -> Result<(), FilesError> {
        if !liaison_domain::attachment::is_sha256_hex(&sha) {
            // Not a file's name; an item's would be damage, anyone else's names nothing.
            if by == Named::Item {
                return Err(FilesError::Migrate(MigrateError::MissingFile {
                    path: files.join("blobs").join(&sha),
                    sha256: sha,
                }));
            }
            return Ok(());
        }
        let path = files.join("blobs").join(&sha);
        let entry = blobs.entry(sha).or_insert((by, path));
        entry.0 = entry.0.max(by);
        Ok(())
    };
    for sha in strings(snapshot, "SELECT DISTINCT sha256 FROM item_files")? {
        name(sha, Named::Item)?;
    }
    for sha in strings(
        snapshot,
        "SELECT DISTINCT sha256 FROM uploads WHERE mime IS NOT NULL",
    )? {
        name(sha, Named::Upload)?;
    }
    for list in strings(snapshot, "SELECT attachments_json FROM draft_backups")? {
        let Ok(serde_json::Value::Array(attachments)) = serde_json::from_str(&list) else {
            continue; // the table's copy reports a value that is not JSON
        };
        for file in attachments {
            if let Some(sha) = file.get("sha256").and_then(|s| s.as_str()) {
                name(sha.to_owned(), Named::Draft)?;
            }
        }
    }
    let mut partials = Vec::new();
    let mut stmt = snapshot.prepare(
        "SELECT seat_id, sha256 FROM uploads WHERE mime IS NULL ORDER BY seat_id, sha256",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (seat, sha) = row?;
        if liaison_domain::attachment::is_sha256_hex(&sha) {
            let path = files.join("partial").join(seat.to_string()).join(&sha);
            partials.push((seat, sha, path));
        }
    }
    Ok(FilePlan { blobs, partials })
}

pub(super) fn strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare(sql)?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect()
}

/// What [`copy_files`] wrote.
#[derive(Default)]
pub(super) struct CopiedFiles {
    pub(super) blobs: u64,
    pub(super) blob_bytes: u64,
    pub(super) partials: u64,
    pub(super) partial_bytes: u64,
    /// Complete uploads whose file the sweep removed meanwhile.
    pub(super) swept: BTreeSet<String>,
}

/// Opens a file to move, or `None` when it is not there.
pub(super) fn open_file(path: &Path) -> Result<Option<(std::fs::File, u64)>, MigrateError> {
    let io_error = |source| MigrateError::Io {
        what: "reading",
        path: path.to_path_buf(),
        source,
    };
    match std::fs::File::open(path) {
        Ok(file) => {
            let size = file.metadata().map_err(io_error)?.len();
            Ok(Some((file, size)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(e)),
    }
}

/// Reads up to `buf.len()` bytes (fewer only at the end of the file).
pub(super) fn fill(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(read) => n += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Streams the complete files into `blob_chunks` and the uploads under way into `upload_pieces`,
/// a chunk at a time.
pub(super) async fn copy_files(
    tx: &impl GenericClient,
    plan: &FilePlan,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<CopiedFiles, MigrateError> {
    let mut copied = CopiedFiles::default();
    // Sizes first, for the progress.
    let mut total = 0u64;
    let paths = plan.blobs.values().map(|(_, path)| path);
    for path in paths.chain(plan.partials.iter().map(|(_, _, path)| path)) {
        if let Ok(m) = std::fs::metadata(path) {
            total += m.len();
        }
    }
    let mut done = 0u64;
    progress(Progress::Files { done, total });
    let mut buf = vec![0u8; CHUNK_BYTES];

    let insert_chunk = tx
        .prepare("INSERT INTO blob_chunks (sha256, n, bytes) VALUES ($1, $2, $3)")
        .await?;
    for (sha, (named, path)) in &plan.blobs {
        let Some((mut file, _)) = open_file(path)? else {
            match named {
                Named::Item => {
                    return Err(MigrateError::MissingFile {
                        sha256: sha.clone(),
                        path: path.clone(),
                    });
                }
                // Swept since the read began: its upload row is left out, as the sweep did.
                Named::Upload => {
                    copied.swept.insert(sha.clone());
                }
                // Named by a draft whose upload never completed: no file to move.
                Named::Draft => {}
            }
            continue;
        };
        let mut hasher = Sha256::new();
        let mut n = 0i32;
        let mut size = 0u64;
        loop {
            let read = fill(&mut file, &mut buf).map_err(|source| MigrateError::Io {
                what: "reading",
                path: path.clone(),
                source,
            })?;
            // An empty file still becomes one (empty) chunk, so the file exists.
            if read == 0 && n > 0 {
                break;
            }
            let chunk = &buf[..read];
            hasher.update(chunk);
            tx.execute(&insert_chunk, &[sha, &n, &chunk]).await?;
            n += 1;
            size += read as u64;
            done += read as u64;
            progress(Progress::Files { done, total });
            if read < buf.len() {
                break;
            }
        }
        if hex::encode(hasher.finalize()) != *sha {
            return Err(MigrateError::DamagedFile(path.clone()));
        }
        copied.blobs += 1;
        copied.blob_bytes += size;
    }

    let insert_piece = tx
        .prepare(
            "INSERT INTO upload_pieces (seat_id, sha256, start, bytes) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    for (seat, sha, path) in &plan.partials {
        // Nothing arrived yet, or it completed since the read began: it starts from zero.
        let Some((file, size)) = open_file(path)? else {
            continue;
        };
        if size == 0 {
            continue;
        }
        // What had arrived when it was opened (a piece arriving meanwhile is not counted).
        let mut file = file.take(size);
        let mut start = 0i64;
        loop {
            let read = fill(&mut file, &mut buf).map_err(|source| MigrateError::Io {
                what: "reading",
                path: path.clone(),
                source,
            })?;
            if read == 0 {
                break;
            }
            let piece = &buf[..read];
            tx.execute(&insert_piece, &[seat, sha, &start, &piece])
                .await?;
            start += read as i64;
            done += read as u64;
            progress(Progress::Files { done, total });
        }
        if start > 0 {
            copied.partials += 1;
            copied.partial_bytes += start as u64;
        }
    }
    if done != total {
        // A file changed size since it was measured (an upload under way went on): done now.
        progress(Progress::Files { done, total: done });
    }
    tracing::info!(
        blobs = copied.blobs,
        blob_bytes = copied.blob_bytes,
        partial_uploads = copied.partials,
        partial_bytes = copied.partial_bytes,
        "files moved"
    );
    Ok(copied)
}
