//! Restoring a backup: everything checked before anything is written, then put in place whole.

use super::*;

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
pub(super) fn check_archive<R: Read + Seek>(
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
            Some(sha) => liaison_domain::attachment::is_sha256_hex(sha) && f.sha256 == sha,
            None => f.path == DATABASE && liaison_domain::attachment::is_sha256_hex(&f.sha256),
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
            if !liaison_domain::attachment::is_sha256_hex(sha) || !blobs.join(sha).is_file() {
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
