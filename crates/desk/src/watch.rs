//! The watch folder: files an officer saves into the seat's import folder become drafts once
//! they are completely written, and are moved aside (`已导入/`, or `导入失败/` with a
//! `<name>.原因.txt` beside them). A user's file is never changed or deleted (DESIGN.md
//! invariant 9).
//!
//! When is a file complete? inotify tells when a writer closes it (`Close(Write)`) or when it is
//! renamed in (an atomic save); either, followed by a quiet period with no further event, makes
//! it due. A slow writer pausing mid-file does not close it, so it is not taken half-written.
//! Events of files created inside a brand-new sub-folder can be lost, so the folder is scanned
//! at start and every new sub-folder when it appears; a scanned file is due once its last
//! modification is older than the quiet period.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind};

/// Where imported files go, inside the import folder.
pub const IMPORTED_DIR: &str = "已导入";
/// Where files that could not be imported go, with their reason beside them.
pub const FAILED_DIR: &str = "导入失败";
/// How long a complete file must stay untouched before it is taken.
pub const QUIET: Duration = Duration::from_millis(1200);

#[derive(Debug, Clone, Copy)]
struct Pending {
    last_event: Instant,
    /// Closed after writing, renamed in, or found by a scan.
    complete: bool,
}

/// Which files of the folder are waiting, and which are due.
#[derive(Debug)]
pub struct Tracker {
    root: PathBuf,
    pending: HashMap<PathBuf, Pending>,
}

impl Tracker {
    pub fn new(root: &Path) -> Tracker {
        Tracker {
            root: root.to_path_buf(),
            pending: HashMap::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether a path is one the watch folder takes: a file inside the folder, outside the
    /// folders it moves files to, and not a temporary or hidden file of an editor.
    pub fn takes(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut parts = rel.components();
        if let Some(first) = parts.next() {
            let first = first.as_os_str().to_string_lossy();
            if (first == IMPORTED_DIR || first == FAILED_DIR) && rel.components().count() > 1 {
                return false;
            }
        }
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return false;
        };
        let lower = name.to_lowercase();
        !(name.starts_with('.')
            || name.starts_with("~$")
            || name.starts_with(".~")
            || lower.ends_with(".tmp")
            || lower.ends_with(".part")
            || lower.ends_with(".crdownload")
            || lower.ends_with(".swp")
            || lower.ends_with(".原因.txt"))
    }

    /// Follows one filesystem event; returns the folders that appeared (to be scanned).
    pub fn on_event(&mut self, event: &Event, now: Instant) -> Vec<PathBuf> {
        let mut new_dirs = Vec::new();
        match event.kind {
            EventKind::Create(CreateKind::Folder) => new_dirs.extend(event.paths.iter().cloned()),
            EventKind::Create(_) => {
                for p in &event.paths {
                    if p.is_dir() {
                        new_dirs.push(p.clone());
                    } else {
                        self.touch(p, now, false);
                    }
                }
            }
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for p in &event.paths {
                    self.touch(p, now, true);
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                for p in &event.paths {
                    if p.is_dir() {
                        new_dirs.push(p.clone());
                    } else {
                        self.touch(p, now, true);
                    }
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                if let [from, to] = event.paths.as_slice() {
                    self.pending.remove(from);
                    if to.is_dir() {
                        new_dirs.push(to.clone());
                    } else {
                        self.touch(to, now, true);
                    }
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
                for p in &event.paths {
                    self.pending.remove(p);
                }
            }
            EventKind::Modify(_) => {
                for p in &event.paths {
                    // Still being written: whatever it was, it is not complete now.
                    self.touch(p, now, false);
                }
            }
            _ => {}
        }
        new_dirs
    }

    fn touch(&mut self, path: &Path, now: Instant, complete: bool) {
        if !self.takes(path) {
            return;
        }
        let entry = self.pending.entry(path.to_path_buf()).or_insert(Pending {
            last_event: now,
            complete,
        });
        entry.last_event = now;
        // A close completes the file; a later write reopens the question.
        entry.complete = complete;
    }

    /// Every file below `dir` (not inside the moved-to folders), as found complete unless
    /// modified within the quiet period.
    pub fn scan(&mut self, dir: &Path, now: Instant) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                let first = rel
                    .components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned());
                if first.as_deref() != Some(IMPORTED_DIR) && first.as_deref() != Some(FAILED_DIR) {
                    self.scan(&path, now);
                }
            } else if self.takes(&path) && !self.pending.contains_key(&path) {
                // Modified long ago: as if closed then.
                let age = meta
                    .modified()
                    .ok()
                    .and_then(|m| SystemTime::now().duration_since(m).ok())
                    .unwrap_or_default();
                let last_event = now.checked_sub(age).unwrap_or(now);
                self.pending.insert(
                    path,
                    Pending {
                        last_event,
                        complete: true,
                    },
                );
            }
        }
    }

    /// The files due now (complete and quiet); they leave the tracker.
    pub fn due(&mut self, now: Instant) -> Vec<PathBuf> {
        let mut due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| p.complete && now.duration_since(p.last_event) >= QUIET)
            .map(|(path, _)| path.clone())
            .collect();
        due.sort();
        for p in &due {
            self.pending.remove(p);
        }
        due
    }
}

/// Moves a file aside into `dir` (inside the import folder), keeping its path below the folder,
/// never over another file: `名称 (2).docx` if the name is taken. Where it went.
pub fn move_aside(root: &Path, file: &Path, dir: &str) -> std::io::Result<PathBuf> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut target = root.join(dir).join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let stem = target
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = target
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut n = 2;
    while target.exists() {
        target.set_file_name(format!("{stem} ({n}){ext}"));
        n += 1;
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, ModifyKind};

    fn ev(kind: EventKind, paths: &[&Path]) -> Event {
        let mut e = Event::new(kind);
        for p in paths {
            e = e.add_path(p.to_path_buf());
        }
        e
    }

    #[test]
    fn a_file_is_due_only_after_it_is_closed_and_quiet() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let f = root.join("通知.docx");
        let mut t = Tracker::new(root);
        let t0 = Instant::now();
        t.on_event(&ev(EventKind::Create(CreateKind::File), &[&f]), t0);
        t.on_event(
            &ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Content)),
                &[&f],
            ),
            t0,
        );
        assert!(t.due(t0 + QUIET * 3).is_empty(), "written, never closed");
        t.on_event(
            &ev(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &[&f],
            ),
            t0 + QUIET * 3,
        );
        assert!(
            t.due(t0 + QUIET * 3 + QUIET / 2).is_empty(),
            "not quiet yet"
        );
        // Written again (a second chunk): not complete until closed again.
        t.on_event(
            &ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Content)),
                &[&f],
            ),
            t0 + QUIET * 4,
        );
        assert!(t.due(t0 + QUIET * 10).is_empty());
        t.on_event(
            &ev(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &[&f],
            ),
            t0 + QUIET * 10,
        );
        assert_eq!(t.due(t0 + QUIET * 12), vec![f]);
        assert!(t.due(t0 + QUIET * 20).is_empty(), "taken once");
    }

    #[test]
    fn editors_temporary_files_and_the_moved_to_folders_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tracker::new(dir.path());
        for name in [
            "~$通知.docx",
            ".通知.docx.swp",
            "a.tmp",
            "下载.crdownload",
            "通知.原因.txt",
        ] {
            assert!(!t.takes(&dir.path().join(name)), "{name}");
        }
        assert!(!t.takes(&dir.path().join(IMPORTED_DIR).join("通知.docx")));
        assert!(!t.takes(&dir.path().join(FAILED_DIR).join("x").join("通知.docx")));
        assert!(t.takes(&dir.path().join("通知公告").join("通知.docx")));
        assert!(!t.takes(Path::new("/elsewhere/通知.docx")));
    }

    #[test]
    fn moving_aside_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for n in 0..3 {
            let f = root.join("通知.txt");
            std::fs::write(&f, format!("第{n}份")).unwrap();
            move_aside(root, &f, IMPORTED_DIR).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(root.join(IMPORTED_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["通知 (2).txt", "通知 (3).txt", "通知.txt"]);
        assert_eq!(
            std::fs::read_to_string(root.join(IMPORTED_DIR).join("通知.txt")).unwrap(),
            "第0份"
        );
    }
}
