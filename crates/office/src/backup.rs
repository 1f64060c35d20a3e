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

/// A SHA-256 as the office names files: 64 lowercase hex digits (it becomes a file name).
fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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

/// Backs up the office in `data` into a new archive `to`, while the office may be serving.
pub fn backup(
    data: &Path,
    to: &Path,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Manifest, BackupError> {
    let source = open_office_db(data)?;
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_path_buf()));
    }
    let dir = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let work = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".work")
        .tempdir_in(&dir)
        .map_err(|e| BackupError::io("creating a temporary folder in", &dir, e))?;

    // 1. The database, at one moment: one step copies every page under one read transaction.
    let snapshot = work.path().join(DATABASE);
    {
        let mut dest = Connection::open(&snapshot).map_err(|e| BackupError::db(&snapshot, e))?;
        {
            let copy = rusqlite::backup::Backup::new(&source, &mut dest)
                .map_err(|e| BackupError::db(&snapshot, e))?;
            let mut tries = 0;
            loop {
                match copy.step(-1).map_err(|e| BackupError::db(&snapshot, e))? {
                    rusqlite::backup::StepResult::Done => break,
                    // Locked out for a moment (a checkpoint); the busy handler already waited.
                    _ if tries < 100 => {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    _ => {
                        return Err(BackupError::Database(rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some("the database stayed locked for 10 s".into()),
                        )));
                    }
                }
            }
        }
        // One self-contained file, no WAL beside it.
        dest.pragma_update(None, "journal_mode", "DELETE")
            .map_err(|e| BackupError::db(&snapshot, e))?;
    }
    drop(source);
    tracing::info!(data = %data.display(), "database copied");

    // 2. The files that copy names.
    let conn = Connection::open(&snapshot).map_err(|e| BackupError::db(&snapshot, e))?;
    let named = named_blobs(&conn).map_err(|e| BackupError::db(&snapshot, e))?;
    let blobs_dir = data.join("files").join("blobs");
    let mut present = Vec::with_capacity(named.len());
    // Everything to copy, the database included, so progress runs once from 0 to 100%.
    let mut total = std::fs::metadata(&snapshot)
        .map_err(|e| BackupError::io("reading", &snapshot, e))?
        .len();
    let mut swept = Vec::new();
    for (sha, by_item) in &named {
        if !is_sha256(sha) {
            return Err(BackupError::MissingBlob(sha.clone()));
        }
        let path = blobs_dir.join(sha);
        match std::fs::metadata(&path) {
            Ok(m) => {
                total += m.len();
                present.push(sha.clone());
            }
            // An item's file is never deleted; an upload's is, by the sweep, after the
            // transaction that forgets its last upload (which the copy predates).
            Err(e) if e.kind() == io::ErrorKind::NotFound && !by_item => swept.push(sha.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BackupError::MissingBlob(sha.clone()));
            }
            Err(e) => return Err(BackupError::io("reading", &path, e)),
        }
    }

    let archive_path = to;
    let mut archive_file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(|e| BackupError::io("creating a temporary file in", &dir, e))?;
    let mut zip = zip::ZipWriter::new(archive_file.as_file_mut());
    let mut files = Vec::with_capacity(present.len() + 1);
    let mut done = 0u64;
    let mut bump = |n: u64, total: u64| {
        done += n;
        progress(Progress {
            stage: "copying",
            done,
            total,
        });
    };
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o600);
    for sha in &present {
        let path = blobs_dir.join(sha);
        let mut blob = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !named[sha] => {
                swept.push(sha.clone());
                continue;
            }
            Err(e) => return Err(BackupError::io("reading", &path, e)),
        };
        let size = blob
            .metadata()
            .map_err(|e| BackupError::io("reading", &path, e))?
            .len();
        zip.start_file(blob_entry(sha), stored.large_file(size >= u32::MAX as u64))
            .map_err(|e| BackupError::zip(archive_path, e))?;
        let (digest, n) = copy_hashing(&mut blob, &mut zip, &mut |n| bump(n, total))
            .map_err(|e| BackupError::io("copying", &path, e))?;
        if digest != *sha {
            return Err(BackupError::DamagedBlob(path));
        }
        files.push(ManifestFile {
            path: blob_entry(sha),
            size: n,
            sha256: digest,
        });
    }
    if !swept.is_empty() {
        // Uploads the sweep forgot after the copy was taken: the copy forgets them too.
        tracing::info!(
            uploads = swept.len(),
            "uploads swept during the backup left out"
        );
        for sha in &swept {
            conn.execute(
                "DELETE FROM uploads WHERE sha256 = ?1 AND mime IS NOT NULL",
                [sha],
            )
            .map_err(|e| BackupError::db(&snapshot, e))?;
        }
    }
    let schema_version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| BackupError::db(&snapshot, e))?;
    let items = count(&conn, "items").map_err(|e| BackupError::db(&snapshot, e))?;
    let audit_entries = count(&conn, "audit_log").map_err(|e| BackupError::db(&snapshot, e))?;
    drop(conn);

    // 3. The database itself, then the manifest.
    let mut db = File::open(&snapshot).map_err(|e| BackupError::io("reading", &snapshot, e))?;
    // Its size may have changed a little since `total` was counted (swept uploads forgotten).
    let db_size = db
        .metadata()
        .map_err(|e| BackupError::io("reading", &snapshot, e))?
        .len();
    zip.start_file(
        DATABASE,
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o600)
            .large_file(db_size >= u32::MAX as u64),
    )
    .map_err(|e| BackupError::zip(archive_path, e))?;
    let (digest, n) = copy_hashing(&mut db, &mut zip, &mut |n| bump(n, total))
        .map_err(|e| BackupError::io("copying", &snapshot, e))?;
    files.insert(
        0,
        ManifestFile {
            path: DATABASE.into(),
            size: n,
            sha256: digest,
        },
    );
    let manifest = Manifest {
        format: FORMAT,
        created_at: now,
        schema_version,
        items,
        blobs: (files.len() - 1) as u64,
        audit_entries,
        bytes: files.iter().map(|f| f.size).sum(),
        files,
    };
    zip.start_file(MANIFEST, stored)
        .map_err(|e| BackupError::zip(archive_path, e))?;
    serde_json::to_writer_pretty(&mut zip, &manifest)
        .map_err(|e| BackupError::io("writing the archive", archive_path, e.into()))?;
    zip.finish()
        .map_err(|e| BackupError::zip(archive_path, e))?;
    archive_file
        .as_file()
        .sync_all()
        .map_err(|e| BackupError::io("writing the archive", archive_path, e))?;

    // 4. Under its name only now, and never over another file.
    archive_file.persist_noclobber(to).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            BackupError::TargetExists(to.to_path_buf())
        } else {
            BackupError::io("naming the archive", to, e.error)
        }
    })?;
    sync_dir(&dir).map_err(|e| BackupError::io("writing the archive", to, e))?;
    Ok(manifest)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// What a restore put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub manifest: Manifest,
    /// The schema after opening (migrations applied when the backup was older).
    pub schema_version: u32,
    pub audit_entries: u64,
}

/// Reads and checks the manifest, then hashes every file of the archive against it. Nothing is
/// written.
fn check_archive<R: Read + Seek>(
    from: &Path,
    zip: &mut zip::ZipArchive<R>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Manifest, RestoreError> {
    let not_backup = |reason: String| RestoreError::NotABackup {
        path: from.to_path_buf(),
        reason,
    };
    let manifest: Manifest = {
        let entry = zip
            .by_name(MANIFEST)
            .map_err(|_| not_backup("it has no manifest.json".into()))?;
        let mut bytes = Vec::new();
        entry
            .take(MANIFEST_MAX_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| RestoreError::BadManifest(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| RestoreError::BadManifest(e.to_string()))?
    };
    if manifest.format != FORMAT {
        return Err(RestoreError::UnknownFormat(manifest.format));
    }
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(RestoreError::TooNew {
            found: manifest.schema_version,
        });
    }
    let bad = |what: String| Err(RestoreError::BadManifest(what));
    if manifest.files.first().map(|f| f.path.as_str()) != Some(DATABASE) {
        return bad("office.db is not its first file".into());
    }
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        let ok = match f.path.strip_prefix(BLOBS) {
            Some(sha) => is_sha256(sha) && f.sha256 == sha,
            None => f.path == DATABASE && is_sha256(&f.sha256),
        };
        if !ok {
            return bad(format!("it lists {:?}, which no backup holds", f.path));
        }
        if !listed.insert(f.path.as_str()) {
            return bad(format!("it lists {} twice", f.path));
        }
    }
    if manifest.blobs != manifest.files.len() as u64 - 1
        || manifest.bytes != manifest.files.iter().map(|f| f.size).sum::<u64>()
    {
        return bad("its counts do not match its files".into());
    }
    if let Some(extra) = zip
        .file_names()
        .find(|n| *n != MANIFEST && !listed.contains(n))
    {
        return Err(RestoreError::Unlisted(extra.to_owned()));
    }
    let total = manifest.bytes;
    let mut done = 0u64;
    for f in &manifest.files {
        let entry = zip
            .by_name(&f.path)
            .map_err(|_| RestoreError::Missing(f.path.clone()))?;
        let (digest, n) = copy_hashing(&mut entry.take(f.size + 1), &mut io::sink(), &mut |n| {
            done += n;
            progress(Progress {
                stage: "checking",
                done,
                total,
            })
        })
        .map_err(|_| RestoreError::Damaged(f.path.clone()))?;
        if digest != f.sha256 || n != f.size {
            return Err(RestoreError::Damaged(f.path.clone()));
        }
    }
    Ok(manifest)
}

/// Restores the archive `from` into the new data folder `data`.
pub fn restore(
    from: &Path,
    data: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Restored, RestoreError> {
    if data.join(DATABASE).exists() {
        return Err(RestoreError::AlreadyAnOffice(data.to_path_buf()));
    }
    if data.exists() {
        let mut entries =
            std::fs::read_dir(data).map_err(|e| RestoreError::io("reading", data, e))?;
        if entries.next().is_some() {
            return Err(RestoreError::NotEmpty(data.to_path_buf()));
        }
    }
    let file = File::open(from).map_err(|e| RestoreError::io("reading", from, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| RestoreError::NotABackup {
        path: from.to_path_buf(),
        reason: e.to_string(),
    })?;
    let manifest = check_archive(from, &mut zip, &mut *progress)?;
    tracing::info!(files = manifest.files.len(), "backup checked");

    // Everything checked: write beside the new folder, then move it into place.
    let parent = match data.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| RestoreError::io("creating", &parent, e))?;
    let name = data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "office".into());
    let work = tempfile::Builder::new()
        .prefix(&format!(".{name}.restoring-"))
        .tempdir_in(&parent)
        .map_err(|e| RestoreError::io("creating a temporary folder in", &parent, e))?;
    let blobs = work.path().join("files").join("blobs");
    for dir in [&blobs, &work.path().join("files").join("partial")] {
        std::fs::create_dir_all(dir).map_err(|e| RestoreError::io("creating", dir, e))?;
    }
    let total = manifest.bytes;
    let mut done = 0u64;
    for f in &manifest.files {
        let target = match f.path.strip_prefix(BLOBS) {
            Some(sha) => blobs.join(sha),
            None => work.path().join(DATABASE),
        };
        let entry = zip
            .by_name(&f.path)
            .map_err(|_| RestoreError::Missing(f.path.clone()))?;
        let mut out =
            File::create_new(&target).map_err(|e| RestoreError::io("creating", &target, e))?;
        let (digest, n) = copy_hashing(&mut entry.take(f.size + 1), &mut out, &mut |n| {
            done += n;
            progress(Progress {
                stage: "writing",
                done,
                total,
            })
        })
        .map_err(|e| RestoreError::io("writing", &target, e))?;
        // The archive may have changed since it was checked.
        if digest != f.sha256 || n != f.size {
            return Err(RestoreError::Damaged(f.path.clone()));
        }
        out.sync_all()
            .map_err(|e| RestoreError::io("writing", &target, e))?;
    }
    for dir in [&blobs, &work.path().to_path_buf()] {
        sync_dir(dir).map_err(|e| RestoreError::io("writing", dir, e))?;
    }

    // The office opens with this binary, holds every file it names, and its audit chain holds.
    let (schema_version, audit_entries) = {
        let store = SqliteStore::open(&work.path().join(DATABASE))?;
        let audit_entries = match store.verify_audit()? {
            Ok(n) => n,
            Err(broken) => return Err(RestoreError::AuditBroken(broken)),
        };
        drop(store);
        let conn = Connection::open(work.path().join(DATABASE))?;
        for sha in named_blobs(&conn)?.keys() {
            if !is_sha256(sha) || !blobs.join(sha).is_file() {
                return Err(RestoreError::Incomplete(sha.clone()));
            }
        }
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        (version, audit_entries)
    };

    if data.exists() {
        // Empty (checked above): the rename takes its place.
        std::fs::remove_dir(data).map_err(|e| RestoreError::io("replacing", data, e))?;
    }
    std::fs::rename(work.path(), data)
        .map_err(|e| RestoreError::io("moving the restored office to", data, e))?;
    let _ = work.keep();
    sync_dir(&parent).map_err(|e| RestoreError::io("writing", &parent, e))?;
    Ok(Restored {
        manifest,
        schema_version,
        audit_entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewItem, SubmitOutcome, Upload};
    use liaison_domain::AttachmentRef;
    use liaison_domain::wire::SubmitItemRequest;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn png(len: usize, seed: u8) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
        v
    }

    /// A demo office with sample items, two items carrying files, a complete upload no item uses
    /// yet and a partial one. The blobs' digests: items' first, then the unused upload's.
    fn office(dir: &Path) -> Vec<String> {
        let store = crate::open_store(dir).unwrap();
        crate::demo::seed(store.as_ref(), now()).unwrap();
        crate::seed::seed_items(&store, now(), 20, 512, 1, |_| {}).unwrap();
        let seat = store.seat_credentials("jyj.officer").unwrap().unwrap().seat;
        let column = store
            .columns_of_department(seat.department.id)
            .unwrap()
            .into_iter()
            .find(|c| c.feed.accepts_items())
            .unwrap();
        let blobs = dir.join("files").join("blobs");
        std::fs::create_dir_all(&blobs).unwrap();
        let mut digests = Vec::new();
        for (i, len) in [70_000usize, 3_000, 50_000].into_iter().enumerate() {
            let bytes = png(len, i as u8);
            let sha = hex::encode(Sha256::digest(&bytes));
            let upload = Upload {
                sha256: sha.clone(),
                size: len as u64,
                name: format!("图{i}.png"),
                mime: None,
            };
            store.begin_upload(seat.id, &upload, now()).unwrap();
            std::fs::write(blobs.join(&sha), &bytes).unwrap();
            store
                .complete_upload(seat.id, &sha, "image/png", now())
                .unwrap();
            digests.push(sha.clone());
            if i == 2 {
                break; // complete, used by nothing yet
            }
            let request = SubmitItemRequest {
                draft_key: format!("backup-{i}"),
                version: 1,
                column_id: column.id,
                title: format!("带附件的稿件{i}"),
                body_html: "<p>正文</p>".into(),
                attachments: vec![AttachmentRef {
                    sha256: sha,
                    name: upload.name.clone(),
                    size: len as u64,
                    mime: "image/png".into(),
                }],
                attestation: None,
            };
            let out = store
                .submit_item(NewItem {
                    seat: &seat,
                    address: "127.0.0.1",
                    idempotency_key: &format!("k{i}"),
                    payload_sha256: &format!("p{i}"),
                    request: &request,
                    now: now(),
                })
                .unwrap();
            assert!(matches!(out, SubmitOutcome::Created(_)), "{out:?}");
            if i == 0 {
                // An item's file stays the item's whatever becomes of the upload that brought it.
                store
                    .discard_upload(seat.id, &request.attachments[0].sha256)
                    .unwrap();
            }
        }
        // A partial upload: not in the backup.
        let partial = png(9_000, 9);
        let sha = hex::encode(Sha256::digest(&partial));
        store
            .begin_upload(
                seat.id,
                &Upload {
                    sha256: sha.clone(),
                    size: 9_000,
                    name: "半.png".into(),
                    mime: None,
                },
                now(),
            )
            .unwrap();
        let seat_dir = dir.join("files").join("partial").join(seat.id.to_string());
        std::fs::create_dir_all(&seat_dir).unwrap();
        std::fs::write(seat_dir.join(&sha), &partial[..4_000]).unwrap();
        // A blob nothing names (left by a sweep that failed midway): not in the backup either.
        std::fs::write(blobs.join("f".repeat(64)), b"orphan").unwrap();
        digests
    }

    /// Every table's rows, in a stable order: what "the same database" means.
    fn dump(db: &Path) -> Vec<String> {
        let conn = Connection::open(db).unwrap();
        let tables: Vec<String> = conn
            // The planner's statistics are refreshed when an office opens, not data.
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_stat%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut out = Vec::new();
        for t in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    let mut row = format!("{t}:");
                    for i in 0..n {
                        row.push_str(&format!("{:?}|", r.get::<_, rusqlite::types::Value>(i)?));
                    }
                    Ok(row)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            out.extend(rows);
        }
        out
    }

    fn no_progress() -> impl FnMut(Progress) {
        |_| {}
    }

    fn backed_up() -> (tempfile::TempDir, PathBuf, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("office");
        let digests = office(&data);
        let archive = dir.path().join("office.zip");
        backup(&data, &archive, now(), &mut no_progress()).unwrap();
        (dir, archive, digests)
    }

    /// Rewrites the archive's entries through `edit` (name, bytes) -> what to write, if anything.
    fn rewrite(archive: &Path, edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
        let mut zip = zip::ZipArchive::new(File::open(archive).unwrap()).unwrap();
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut e = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            entries.push((e.name().to_owned(), bytes));
        }
        let mut out = zip::ZipWriter::new(File::create(archive).unwrap());
        for (name, bytes) in entries {
            if let Some(bytes) = edit(&name, bytes) {
                out.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                out.write_all(&bytes).unwrap();
            }
        }
        out.finish().unwrap();
    }

    fn manifest_of(archive: &Path) -> Manifest {
        let mut zip = zip::ZipArchive::new(File::open(archive).unwrap()).unwrap();
        serde_json::from_reader(zip.by_name(MANIFEST).unwrap()).unwrap()
    }

    #[test]
    fn a_backup_round_trips_byte_identical() {
        let (dir, archive, digests) = backed_up();
        let data = dir.path().join("office");
        let m = manifest_of(&archive);
        assert_eq!((m.format, m.schema_version), (FORMAT, SCHEMA_VERSION));
        let source = Connection::open(data.join(DATABASE)).unwrap();
        assert_eq!(m.items, count(&source, "items").unwrap());
        assert!(m.items >= 22);
        // Exactly the blobs the database names: not the partial upload, not the orphan.
        let mut want: Vec<String> = digests.iter().map(|d| blob_entry(d)).collect();
        want.sort();
        let got: Vec<String> = m.files[1..].iter().map(|f| f.path.clone()).collect();
        assert_eq!(got, want);
        assert_eq!(m.blobs, 3);

        let restored_dir = dir.path().join("restored");
        let restored = restore(&archive, &restored_dir, &mut no_progress()).unwrap();
        assert_eq!(restored.manifest, m);
        assert!(restored.audit_entries > 0);
        let (got, want) = (
            dump(&restored_dir.join(DATABASE)),
            dump(&data.join(DATABASE)),
        );
        let differs: Vec<_> = got.iter().filter(|r| !want.contains(r)).collect();
        let lost: Vec<_> = want.iter().filter(|r| !got.contains(r)).collect();
        assert!(
            differs.is_empty() && lost.is_empty(),
            "restored only: {differs:?}\nsource only: {lost:?}"
        );
        assert_eq!(got.len(), want.len());
        for d in &digests {
            assert_eq!(
                std::fs::read(restored_dir.join("files/blobs").join(d)).unwrap(),
                std::fs::read(data.join("files/blobs").join(d)).unwrap()
            );
        }
        assert_eq!(
            std::fs::read_dir(restored_dir.join("files/blobs"))
                .unwrap()
                .count(),
            3
        );
        // Nothing left beside it.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // It opens as an office, its items with their files.
        let store = SqliteStore::open(&restored_dir.join(DATABASE)).unwrap();
        assert_eq!(store.verify_audit().unwrap(), Ok(restored.audit_entries));
    }

    fn refused(archive: &Path, dir: &Path) -> RestoreError {
        let target = dir.join("restored");
        let err = restore(archive, &target, &mut no_progress()).unwrap_err();
        assert!(!target.exists(), "{err}: wrote {}", target.display());
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        err
    }

    #[test]
    fn a_flipped_byte_in_a_blob_is_refused_before_anything_is_written() {
        let (dir, archive, digests) = backed_up();
        let victim = blob_entry(&digests[0]);
        rewrite(&archive, |name, mut bytes| {
            if name == victim {
                bytes[1000] ^= 0x01;
            }
            Some(bytes)
        });
        let err = refused(&archive, dir.path());
        assert!(
            matches!(&err, RestoreError::Damaged(p) if *p == victim),
            "{err}"
        );
        // Found by the check that runs before anything is written, not while writing.
        let mut zip = zip::ZipArchive::new(File::open(&archive).unwrap()).unwrap();
        let err = check_archive(&archive, &mut zip, &mut no_progress()).unwrap_err();
        assert!(
            matches!(&err, RestoreError::Damaged(p) if *p == victim),
            "{err}"
        );
    }

    #[test]
    fn a_backup_whose_audit_log_was_edited_is_refused() {
        let (dir, archive, _) = backed_up();
        // Someone edits an audit entry in the archive's database and fixes up the manifest.
        let mut zip = zip::ZipArchive::new(File::open(&archive).unwrap()).unwrap();
        let db = dir.path().join("edited.db");
        io::copy(
            &mut zip.by_name(DATABASE).unwrap(),
            &mut File::create(&db).unwrap(),
        )
        .unwrap();
        drop(zip);
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_append_only_update;
             UPDATE audit_log SET actor = 'someone' WHERE seq = 2;",
        )
        .unwrap();
        drop(conn);
        let edited = std::fs::read(&db).unwrap();
        std::fs::remove_file(&db).unwrap();
        let mut m = manifest_of(&archive);
        m.files[0].sha256 = hex::encode(Sha256::digest(&edited));
        m.files[0].size = edited.len() as u64;
        m.bytes = m.files.iter().map(|f| f.size).sum();
        let json = serde_json::to_vec(&m).unwrap();
        rewrite(&archive, |name, bytes| {
            Some(match name {
                DATABASE => edited.clone(),
                MANIFEST => json.clone(),
                _ => bytes,
            })
        });
        let err = refused(&archive, dir.path());
        assert!(
            matches!(
                err,
                RestoreError::AuditBroken(ChainBreak::Altered { seq: 2 })
            ),
            "{err}"
        );
    }

    #[test]
    fn a_flipped_byte_in_the_database_is_refused() {
        let (dir, archive, _) = backed_up();
        rewrite(&archive, |name, mut bytes| {
            if name == DATABASE {
                let at = bytes.len() / 2;
                bytes[at] ^= 0x80;
            }
            Some(bytes)
        });
        let err = refused(&archive, dir.path());
        assert!(
            matches!(&err, RestoreError::Damaged(p) if p == DATABASE),
            "{err}"
        );
    }

    #[test]
    fn a_missing_blob_is_refused() {
        let (dir, archive, digests) = backed_up();
        let victim = blob_entry(&digests[1]);
        rewrite(&archive, |name, bytes| (name != victim).then_some(bytes));
        let err = refused(&archive, dir.path());
        assert!(
            matches!(&err, RestoreError::Missing(p) if *p == victim),
            "{err}"
        );
    }

    #[test]
    fn a_bad_manifest_is_refused() {
        let (dir, archive, digests) = backed_up();
        let original = manifest_of(&archive);
        // Not JSON.
        rewrite(&archive, |name, bytes| {
            Some(if name == MANIFEST {
                b"{\"format\": 1,".to_vec()
            } else {
                bytes
            })
        });
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::BadManifest(_)
        ));
        let with = |m: &Manifest| {
            let json = serde_json::to_vec(m).unwrap();
            rewrite(&archive, |name, bytes| {
                Some(if name == MANIFEST {
                    json.clone()
                } else {
                    bytes
                })
            });
        };
        // A digest that is not the file's.
        let mut m = original.clone();
        m.files[0].sha256 = digests[0].clone();
        with(&m);
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::Damaged(_)
        ));
        // A file left out of the manifest.
        let mut m = original.clone();
        m.files.pop();
        m.blobs -= 1;
        m.bytes = m.files.iter().map(|f| f.size).sum();
        with(&m);
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::Unlisted(_)
        ));
        // A path that would escape the folder.
        let mut m = original.clone();
        m.files[1].path = "../../etc/passwd".into();
        with(&m);
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::BadManifest(_)
        ));
        // Another format.
        let mut m = original.clone();
        m.format = 2;
        with(&m);
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::UnknownFormat(2)
        ));
        // The untouched manifest restores...
        with(&original);
        restore(&archive, &dir.path().join("restored"), &mut no_progress()).unwrap();
        std::fs::remove_dir_all(dir.path().join("restored")).unwrap();
        // ... and none at all is not a backup.
        rewrite(&archive, |name, bytes| (name != MANIFEST).then_some(bytes));
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::NotABackup { .. }
        ));
    }

    #[test]
    fn restore_into_an_existing_office_or_a_full_folder_is_refused() {
        let (dir, archive, _) = backed_up();
        let data = dir.path().join("office");
        let before = dump(&data.join(DATABASE));
        let err = restore(&archive, &data, &mut no_progress()).unwrap_err();
        assert!(matches!(err, RestoreError::AlreadyAnOffice(_)), "{err}");
        assert_eq!(dump(&data.join(DATABASE)), before);
        let busy = dir.path().join("busy");
        std::fs::create_dir(&busy).unwrap();
        std::fs::write(busy.join("notes.txt"), b"mine").unwrap();
        let err = restore(&archive, &busy, &mut no_progress()).unwrap_err();
        assert!(matches!(err, RestoreError::NotEmpty(_)), "{err}");
        // An empty folder is taken.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        restore(&archive, &empty, &mut no_progress()).unwrap();
        assert!(empty.join(DATABASE).is_file());
    }

    #[test]
    fn an_older_backup_is_migrated_when_restored() {
        let dir = tempfile::tempdir().unwrap();
        // An office database as the previous release left it (schema 8).
        let db = dir.path().join("old.db");
        let mut conn = liaison_sqlite::open(&db).unwrap();
        liaison_sqlite::migrate(&mut conn, &crate::store::MIGRATIONS[..8]).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        drop(conn);
        let bytes = std::fs::read(&db).unwrap();
        let manifest = Manifest {
            format: FORMAT,
            created_at: now(),
            schema_version: 8,
            items: 0,
            blobs: 0,
            audit_entries: 0,
            bytes: bytes.len() as u64,
            files: vec![ManifestFile {
                path: DATABASE.into(),
                size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&bytes)),
            }],
        };
        let archive = dir.path().join("old.zip");
        let mut zip = zip::ZipWriter::new(File::create(&archive).unwrap());
        zip.start_file(DATABASE, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&bytes).unwrap();
        zip.start_file(MANIFEST, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&serde_json::to_vec(&manifest).unwrap())
            .unwrap();
        zip.finish().unwrap();

        let target = dir.path().join("restored");
        let restored = restore(&archive, &target, &mut no_progress()).unwrap();
        assert_eq!(restored.manifest.schema_version, 8);
        assert_eq!(restored.schema_version, SCHEMA_VERSION);
        let conn = Connection::open(target.join(DATABASE)).unwrap();
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // A backup from a newer office is refused before anything is written.
        let mut newer = manifest.clone();
        newer.schema_version = SCHEMA_VERSION + 1;
        let json = serde_json::to_vec(&newer).unwrap();
        rewrite(&archive, |name, bytes| {
            Some(if name == MANIFEST {
                json.clone()
            } else {
                bytes
            })
        });
        std::fs::remove_dir_all(&target).unwrap();
        assert!(matches!(
            refused(&archive, dir.path()),
            RestoreError::TooNew { .. }
        ));
    }

    #[test]
    fn a_full_disk_is_said_so() {
        let full = io::Error::from_raw_os_error(28);
        let err = BackupError::io("writing", Path::new("/b/a.zip"), full);
        assert!(matches!(err, BackupError::DiskFull(_)), "{err}");
        assert!(err.to_string().contains("disk is full"));
        let full = zip::result::ZipError::Io(io::Error::from_raw_os_error(28));
        assert!(matches!(
            BackupError::zip(Path::new("/b/a.zip"), full),
            BackupError::DiskFull(_)
        ));
        let err = RestoreError::io("writing", Path::new("/r"), io::Error::from_raw_os_error(28));
        assert!(matches!(err, RestoreError::DiskFull(_)), "{err}");
        let other = BackupError::io(
            "writing",
            Path::new("/b"),
            io::ErrorKind::PermissionDenied.into(),
        );
        assert!(!matches!(other, BackupError::DiskFull(_)));
    }

    #[test]
    fn a_backup_refuses_a_folder_that_is_not_an_office_and_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let err = backup(&empty, &dir.path().join("a.zip"), now(), &mut no_progress());
        assert!(matches!(err, Err(BackupError::NotAnOffice(_))));
        assert!(
            !empty.join(DATABASE).exists(),
            "the check created a database"
        );
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        liaison_sqlite::open(&other.join(DATABASE)).unwrap();
        let err = backup(&other, &dir.path().join("a.zip"), now(), &mut no_progress());
        assert!(matches!(err, Err(BackupError::NotAnOffice(_))));

        let (dir, archive, _) = backed_up();
        let before = std::fs::read(&archive).unwrap();
        let err = backup(
            &dir.path().join("office"),
            &archive,
            now(),
            &mut no_progress(),
        );
        assert!(matches!(err, Err(BackupError::TargetExists(_))));
        assert_eq!(std::fs::read(&archive).unwrap(), before);
    }

    #[test]
    fn a_backup_after_a_sweep_removed_an_unused_upload_leaves_it_out_but_not_an_items_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("office");
        let digests = office(&data);
        // The unused upload's blob went (a sweep between the copy and the files): left out.
        std::fs::remove_file(data.join("files/blobs").join(&digests[2])).unwrap();
        let archive = dir.path().join("a.zip");
        let m = backup(&data, &archive, now(), &mut no_progress()).unwrap();
        assert_eq!(m.blobs, 2);
        restore(&archive, &dir.path().join("r"), &mut no_progress()).unwrap();
        // An item's file gone is a damaged office: no backup pretends otherwise.
        std::fs::remove_file(data.join("files/blobs").join(&digests[0])).unwrap();
        let err = backup(&data, &dir.path().join("b.zip"), now(), &mut no_progress());
        assert!(
            matches!(&err, Err(BackupError::MissingBlob(d)) if *d == digests[0]),
            "{err:?}"
        );
        assert!(!dir.path().join("b.zip").exists());
        // A stored file whose bytes changed is refused too.
        std::fs::write(data.join("files/blobs").join(&digests[0]), b"other").unwrap();
        let err = backup(&data, &dir.path().join("b.zip"), now(), &mut no_progress());
        assert!(matches!(err, Err(BackupError::DamagedBlob(_))), "{err:?}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
