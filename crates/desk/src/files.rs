//! The desk's file store: every attachment and inline image once, named by the SHA-256 of its
//! bytes, in `files/` beside `desk.db`. A file is copied in through a temporary name, synced and
//! then renamed, so a name in the store always holds complete bytes.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use liaison_domain::FileKind;
use liaison_domain::attachment::{self, SNIFF_BYTES};
use sha2::{Digest, Sha256};

use crate::DeskError;

/// A file now held in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
}

#[derive(Clone)]
pub struct FileStore {
    dir: PathBuf,
}

fn io(path: &Path, e: std::io::Error) -> DeskError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        DeskError::Storage(format!("the disk is full ({})", path.display()))
    } else {
        DeskError::Storage(format!("{}: {e}", path.display()))
    }
}

impl FileStore {
    pub fn open(dir: &Path) -> Result<Self, DeskError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        Ok(FileStore {
            dir: dir.to_path_buf(),
        })
    }

    /// A temporary file in the store's folder (removed when dropped).
    pub fn temp(&self) -> Result<tempfile::NamedTempFile, DeskError> {
        tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| io(&self.dir, e))
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    /// Removes one stored file's bytes (gone already is fine).
    pub fn remove(&self, sha256: &str) -> Result<(), DeskError> {
        let path = self.path(sha256);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path, e)),
            _ => Ok(()),
        }
    }

    /// The stored files (named by their SHA-256; temporary copies are not among them), with
    /// when each was last written.
    pub fn stored(&self) -> Result<Vec<(String, std::time::SystemTime)>, DeskError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))? {
            let entry = entry.map_err(|e| io(&self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !attachment::is_sha256_hex(&name) {
                continue;
            }
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .map_err(|e| io(&entry.path(), e))?;
            out.push((name, modified));
        }
        Ok(out)
    }

    /// Removes every stored file (the seat's data leaves this workstation).
    pub fn clear(&self) -> Result<(), DeskError> {
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))? {
            let path = entry.map_err(|e| io(&self.dir, e))?.path();
            if path.is_file() {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
        }
        Ok(())
    }

    /// Copies the file at `source` into the store, checking its size and its type (from its bytes).
    pub fn add_file(&self, source: &Path, name: &str) -> Result<StoredFile, DeskError> {
        let size = std::fs::metadata(source).map_err(|e| io(source, e))?.len();
        attachment::check_file(name, size).map_err(|p| DeskError::FileNotAllowed(p.to_string()))?;
        let reader = std::fs::File::open(source).map_err(|e| io(source, e))?;
        self.add(reader, name)
    }

    /// Stores bytes handed over by the window (a pasted image, a file picked in the browser view).
    pub fn add_bytes(&self, bytes: &[u8], name: &str) -> Result<StoredFile, DeskError> {
        attachment::check_file(name, bytes.len() as u64)
            .map_err(|p| DeskError::FileNotAllowed(p.to_string()))?;
        self.add(bytes, name)
    }

    fn add(&self, mut reader: impl Read, name: &str) -> Result<StoredFile, DeskError> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| io(&self.dir, e))?;
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut size: u64 = 0;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(|e| io(tmp.path(), e))?;
            if n == 0 {
                break;
            }
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(n);
                head.extend_from_slice(&buf[..take]);
            }
            size += n as u64;
            if size > attachment::MAX_FILE_BYTES {
                return Err(DeskError::FileNotAllowed(
                    attachment::AttachmentProblem::FileTooLarge { name: name.into() }.to_string(),
                ));
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(|e| io(tmp.path(), e))?;
        }
        let kind = FileKind::sniff(&head).ok_or_else(|| {
            DeskError::FileNotAllowed(
                attachment::AttachmentProblem::TypeNotAllowed { name: name.into() }.to_string(),
            )
        })?;
        let sha256 = hex::encode(hasher.finalize());
        let target = self.path(&sha256);
        if !target.exists() {
            tmp.as_file().sync_all().map_err(|e| io(tmp.path(), e))?;
            tmp.persist(&target).map_err(|e| io(&target, e.error))?;
            std::fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io(&self.dir, e))?;
        }
        Ok(StoredFile { sha256, size, kind })
    }

    /// Up to `len` bytes of a stored file from `offset`.
    pub fn read_at(&self, sha256: &str, offset: u64, len: u64) -> Result<Vec<u8>, DeskError> {
        let path = self.path(sha256);
        let mut f = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| io(&path, e))?;
        let mut out = Vec::with_capacity(len as usize);
        f.take(len)
            .read_to_end(&mut out)
            .map_err(|e| io(&path, e))?;
        Ok(out)
    }

    /// Whether the stored bytes still have their name's digest.
    pub fn verify(&self, sha256: &str) -> Result<bool, DeskError> {
        let path = self.path(sha256);
        let mut f = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut f, &mut hasher).map_err(|e| io(&path, e))?;
        Ok(hex::encode(hasher.finalize()) == sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_stored_once_and_types_come_from_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(&dir.path().join("files")).unwrap();
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend(std::iter::repeat_n(7u8, 3 << 20));
        let a = store.add_bytes(&pdf, "通知.pdf").unwrap();
        let b = store.add_bytes(&pdf, "副本.pdf").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.kind, FileKind::Pdf);
        assert_eq!(a.size, pdf.len() as u64);
        assert_eq!(
            std::fs::read_dir(dir.path().join("files")).unwrap().count(),
            1
        );
        assert_eq!(store.read_at(&a.sha256, 9, 4).unwrap(), vec![7u8; 4]);
        assert!(store.verify(&a.sha256).unwrap());

        let err = store.add_bytes(b"MZ\x90\0\x03\0\0\0 not really a picture", "图片.jpg");
        assert!(matches!(err, Err(DeskError::FileNotAllowed(_))), "{err:?}");
        assert!(matches!(
            store.add_bytes(b"", "空.pdf"),
            Err(DeskError::FileNotAllowed(_))
        ));
        // Nothing refused is left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("files")).unwrap().count(),
            1
        );
    }
}
