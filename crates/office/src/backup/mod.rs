//! Backup and restore of an office's data folder, while it serves.
//!
//! A backup is one zip archive: `office.db` (SQLite's online backup of the live database, taken
//! in one step under one read transaction, so it is one consistent moment), then every complete
//! file that copy names (`files/blobs/<sha256>`: the files of its items and its complete uploads;
//! blobs never change once complete, and each copied one is hashed against its name), and
//! `manifest.json` (format, time, counts, each file's size and SHA-256). The archive is written
//! under a temporary name beside the target and appears under its name only when complete.
//!
//! A restore reads the manifest and hashes every file of the archive before it writes anything,
//! writes into a temporary folder beside the new data folder, opens the office there (migrating
//! an older schema) and verifies its audit chain, and only then renames the folder into place.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::ChainBreak;
use crate::store::{SCHEMA_VERSION, SqliteStore, Store, StoreError};

/// The manifest's format this binary writes and reads.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "office.db";
const BLOBS: &str = "files/blobs/";
/// A manifest larger than this is not one of ours.
const MANIFEST_MAX_BYTES: u64 = 64 << 20;

/// What an archive holds, written last into it as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// The database's `user_version` when it was copied.
    pub schema_version: u32,
    pub items: u64,
    pub blobs: u64,
    pub audit_entries: u64,
    /// Bytes of all files together.
    pub bytes: u64,
    /// `office.db` first, then the blobs.
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Bytes copied (or checked) so far of all there is to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `copying` (backup), `checking` then `writing` (restore).
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not an office's data folder (it holds no office database)")]
    NotAnOffice(PathBuf),
    #[error("{0} already exists; a backup never replaces a file")]
    TargetExists(PathBuf),
    #[error("the disk is full: could not write {0}")]
    DiskFull(PathBuf),
    #[error("the database names the file {0}, but it is not in the data folder's files/blobs")]
    MissingBlob(String),
    #[error(
        "the stored file {0} does not have the SHA-256 its name says: the data folder is damaged"
    )]
    DamagedBlob(PathBuf),
    #[error("copying the database: {0}")]
    Database(rusqlite::Error),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("writing the archive {}: {source}", path.display())]
    Archive {
        path: PathBuf,
        source: zip::result::ZipError,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0} already holds an office; restore into a new folder")]
    AlreadyAnOffice(PathBuf),
    #[error("{0} is not empty; restore into a new folder")]
    NotEmpty(PathBuf),
    #[error("{} is not a Liaison office backup: {reason}", path.display())]
    NotABackup { path: PathBuf, reason: String },
    #[error("the backup's manifest is not valid: {0}")]
    BadManifest(String),
    #[error("the backup has manifest format {0}; this program reads format {FORMAT}")]
    UnknownFormat(u32),
    #[error(
        "the backup was made by a newer office (schema {found}, this program knows {SCHEMA_VERSION})"
    )]
    TooNew { found: u32 },
    #[error("{0} in the backup is not what its manifest says (damaged archive)")]
    Damaged(String),
    #[error("{0} is listed in the backup's manifest but missing from the archive")]
    Missing(String),
    #[error("{0} is in the archive but not in its manifest")]
    Unlisted(String),
    #[error("the restored database names the file {0}, which the backup does not hold")]
    Incomplete(String),
    #[error("the restored audit log does not verify: {0}")]
    AuditBroken(ChainBreak),
    #[error("the disk is full: could not write {0}")]
    DiskFull(PathBuf),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("opening the restored office: {0}")]
    Open(#[from] liaison_sqlite::OpenError),
    #[error("reading the restored office: {0}")]
    Store(#[from] StoreError),
    #[error("reading the restored database: {0}")]
    Database(#[from] rusqlite::Error),
}

fn is_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) // ENOSPC
}

fn sqlite_full(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
}

impl BackupError {
    fn io(what: &'static str, path: &Path, source: io::Error) -> Self {
        if is_full(&source) {
            return BackupError::DiskFull(path.to_path_buf());
        }
        BackupError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }

    fn zip(path: &Path, source: zip::result::ZipError) -> Self {
        match source {
            zip::result::ZipError::Io(e) => BackupError::io("writing the archive", path, e),
            source => BackupError::Archive {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    fn db(path: &Path, e: rusqlite::Error) -> Self {
        if sqlite_full(&e) {
            return BackupError::DiskFull(path.to_path_buf());
        }
        BackupError::Database(e)
    }
}

impl RestoreError {
    fn io(what: &'static str, path: &Path, source: io::Error) -> Self {
        if is_full(&source) {
            return RestoreError::DiskFull(path.to_path_buf());
        }
        RestoreError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

fn blob_entry(sha256: &str) -> String {
    format!("{BLOBS}{sha256}")
}

/// Copies `from` into `to` whole, returning the bytes' SHA-256 and length; `progress` gets the
/// bytes as they pass.
fn copy_hashing(
    from: &mut impl Read,
    to: &mut impl Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let read = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..read]);
        to.write_all(&buf[..read])?;
        n += read as u64;
        progress(read as u64);
    }
    Ok((hex::encode(hasher.finalize()), n))
}

/// Opens `data`'s database without creating it, if it is an office's.
fn open_office_db(data: &Path) -> Result<Connection, BackupError> {
    let path = data.join(DATABASE);
    let not_office = || BackupError::NotAnOffice(data.to_path_buf());
    if !path.is_file() {
        return Err(not_office());
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| BackupError::db(&path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| BackupError::db(&path, e))?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'
             AND name IN ('items', 'item_files', 'uploads', 'audit_log')",
            [],
            |r| r.get(0),
        )
        .map_err(|_| not_office())?;
    if tables != 4 {
        return Err(not_office());
    }
    Ok(conn)
}

/// The files a database names: those of its items (which must exist) and its complete uploads.
/// `(sha256, named by an item)`.
fn named_blobs(conn: &Connection) -> rusqlite::Result<BTreeMap<String, bool>> {
    let mut named = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT DISTINCT sha256 FROM uploads WHERE mime IS NOT NULL")?;
    for sha in stmt.query_map([], |r| r.get::<_, String>(0))? {
        named.insert(sha?, false);
    }
    let mut stmt = conn.prepare("SELECT DISTINCT sha256 FROM item_files")?;
    for sha in stmt.query_map([], |r| r.get::<_, String>(0))? {
        named.insert(sha?, true);
    }
    Ok(named)
}

fn count(conn: &Connection, table: &str) -> rusqlite::Result<u64> {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n.max(0) as u64)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

mod restore;
mod take;
#[cfg(test)]
mod tests;

#[cfg(test)]
use restore::check_archive;
pub use restore::{Restored, restore};
pub use take::backup;
