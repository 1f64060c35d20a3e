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
/// Records the start of an upload, under a quota it cannot reach.
fn begin(store: &crate::SqliteStore, seat_id: i64, upload: &Upload) {
    let quota = crate::store::UploadQuota {
        pending_bytes: u64::MAX / 4,
        unused_bytes: u64::MAX / 4,
    };
    let held = crate::service::uploads::begin(store, seat_id, upload, &quota, now()).unwrap();
    assert!(
        matches!(held, crate::store::BeginUpload::Held(_)),
        "{held:?}"
    );
}

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
        begin(&store, seat.id, &upload);
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
            commission_id: None,
        };
        let out = crate::service::items::submit(
            store.as_ref(),
            NewItem {
                seat: &seat,
                address: "127.0.0.1",
                idempotency_key: &format!("k{i}"),
                payload_sha256: &format!("p{i}"),
                request: &request,
                now: now(),
            },
        )
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
    begin(
        &store,
        seat.id,
        &Upload {
            sha256: sha.clone(),
            size: 9_000,
            name: "半.png".into(),
            mime: None,
        },
    );
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
