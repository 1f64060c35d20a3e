//! Taking a backup: the database at one moment, then exactly the files it names.

use super::*;

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
        if !liaison_domain::attachment::is_sha256_hex(sha) {
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
