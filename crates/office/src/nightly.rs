//! The nightly backup `[backup]` in the configuration asks for: while the office serves, once a
//! day at `at` (the server's local time), a new archive `<name>-<UTC time>.zip` in `dir` through
//! [`crate::backup::backup`] (consistent while serving), then, only after it succeeded, the
//! oldest archives of this office's name beyond `keep` are removed. A failed backup is logged as
//! an error and tried again the next night; it never stops the office.
//!
//! The rules are pure ([`next_run`], [`archive_name`], [`to_remove`]); [`Nightly::run_due`] runs
//! one round if it is due at a given instant, so a test runs the whole thing without waiting.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::backup::{BackupError, Manifest};
use crate::clock::Clock;
use crate::config::BackupSchedule;

/// The UTC time in an archive's name, e.g. `liaison-office-20261130T023000Z.zip`.
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// The first instant after `now` whose local time (in `now`'s time zone) is `at`: today's if
/// it is still ahead, else tomorrow's. A time a clock change skips (spring forward) runs an hour
/// later; a time that happens twice runs the first time.
pub fn next_run<Tz: TimeZone>(now: &DateTime<Tz>, at: NaiveTime) -> DateTime<Tz> {
    let tz = now.timezone();
    let mut day = now.date_naive();
    // Two days always suffice; a few more cover any odd time zone rule.
    for _ in 0..4 {
        let local = day.and_time(at);
        let instant = tz.from_local_datetime(&local).earliest().or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        });
        if let Some(instant) = instant
            && instant > *now
        {
            return instant;
        }
        day = day.succ_opt().unwrap_or(day);
    }
    now.clone() + chrono::Duration::days(1)
}

/// The archive a round started at `now` writes.
pub fn archive_name(name: &str, now: DateTime<Utc>) -> String {
    format!("{name}-{}.zip", now.format(STAMP))
}

/// When an archive of this office's `name` was taken, read from its file name; `None` for any
/// other file.
pub fn archive_time(name: &str, file: &str) -> Option<DateTime<Utc>> {
    let stamp = file
        .strip_prefix(name)?
        .strip_prefix('-')?
        .strip_suffix(".zip")?;
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// Which of the files in the backup folder to remove so that the newest `keep` archives of this
/// office's `name` stay. Files of any other name (other offices, a person's own copies) stay.
pub fn to_remove(name: &str, files: &[String], keep: u32) -> Vec<String> {
    let mut archives: Vec<(DateTime<Utc>, &String)> = files
        .iter()
        .filter_map(|f| archive_time(name, f).map(|t| (t, f)))
        .collect();
    archives.sort_by(|a, b| b.cmp(a));
    archives
        .into_iter()
        .skip(keep as usize)
        .map(|(_, f)| f.clone())
        .collect()
}

/// What one round did.
#[derive(Debug)]
pub struct Round {
    pub archive: PathBuf,
    pub manifest: Manifest,
    /// Older archives removed.
    pub removed: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum NightlyError {
    #[error("cannot create the backup folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error("cannot list the backup folder {path}: {source}")]
    List {
        path: String,
        source: std::io::Error,
    },
}

/// Backs `data` up into `schedule.dir` now, then removes the archives beyond `keep`. An archive
/// that cannot be removed is logged and left for the next night.
pub fn run_round(
    data: &Path,
    schedule: &BackupSchedule,
    now: DateTime<Utc>,
) -> Result<Round, NightlyError> {
    std::fs::create_dir_all(&schedule.dir).map_err(|source| NightlyError::Folder {
        path: schedule.dir.display().to_string(),
        source,
    })?;
    let archive = schedule.dir.join(archive_name(&schedule.name, now));
    let manifest = crate::backup::backup(data, &archive, now, &mut |_| {})?;
    let list_error = |source| NightlyError::List {
        path: schedule.dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&schedule.dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        if entry.file_type().is_ok_and(|t| t.is_file())
            && let Some(name) = entry.file_name().to_str()
        {
            files.push(name.to_owned());
        }
    }
    let mut removed = Vec::new();
    for file in to_remove(&schedule.name, &files, schedule.keep) {
        let path = schedule.dir.join(&file);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) => {
                tracing::warn!(archive = %path.display(), error = %e, "could not remove an old backup");
            }
        }
    }
    Ok(Round {
        archive,
        manifest,
        removed,
    })
}

/// The schedule of one office: when the next round is due.
#[derive(Debug, Clone)]
pub struct Nightly<Tz: TimeZone> {
    pub data: PathBuf,
    pub schedule: BackupSchedule,
    pub tz: Tz,
    /// When the next round is due.
    pub next: DateTime<Utc>,
}

impl<Tz: TimeZone> Nightly<Tz> {
    /// The first round is tonight's (or tomorrow's, if `at` has passed today).
    pub fn new(data: PathBuf, schedule: BackupSchedule, tz: Tz, now: DateTime<Utc>) -> Self {
        let next = next_run(&now.with_timezone(&tz), schedule.at).with_timezone(&Utc);
        Nightly {
            data,
            schedule,
            tz,
            next,
        }
    }

    /// Runs a round if one is due at `now` (`None` if not), and sets the next one to the next
    /// night's, whether this one succeeded or not.
    pub fn run_due(&mut self, now: DateTime<Utc>) -> Option<Result<Round, NightlyError>> {
        if now < self.next {
            return None;
        }
        let result = run_round(&self.data, &self.schedule, now);
        self.next = next_run(&now.with_timezone(&self.tz), self.schedule.at).with_timezone(&Utc);
        Some(result)
    }
}

/// Longest sleep between two looks at the clock, so a changed system clock or a suspended
/// machine delays a round by at most this much.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs the nightly backups in the server's local time for as long as the office serves.
pub fn spawn(
    data: PathBuf,
    schedule: BackupSchedule,
    clock: Arc<dyn Clock>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut nightly = Nightly::new(data, schedule, chrono::Local, clock.now());
        tracing::info!(next = %nightly.next.with_timezone(&chrono::Local), dir = %nightly.schedule.dir.display(), "nightly backups scheduled");
        loop {
            let wait = (nightly.next - clock.now())
                .to_std()
                .unwrap_or_default()
                .min(LOOK_EVERY);
            tokio::time::sleep(wait).await;
            let now = clock.now();
            if now < nightly.next {
                continue;
            }
            let mut round = nightly.clone();
            let outcome =
                tokio::task::spawn_blocking(move || (round.run_due(now), round.next)).await;
            match outcome {
                Ok((result, next)) => {
                    nightly.next = next;
                    match result {
                        Some(Ok(r)) => tracing::info!(
                            archive = %r.archive.display(),
                            items = r.manifest.items,
                            bytes = r.manifest.bytes,
                            removed = r.removed.len(),
                            "nightly backup taken"
                        ),
                        Some(Err(e)) => tracing::error!(
                            error = %e,
                            next = %next.with_timezone(&chrono::Local),
                            "nightly backup failed; trying again the next night"
                        ),
                        None => {}
                    }
                }
                Err(e) => {
                    nightly.next =
                        next_run(&now.with_timezone(&chrono::Local), nightly.schedule.at)
                            .with_timezone(&Utc);
                    tracing::error!(error = %e, "nightly backup failed; trying again the next night");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn local(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn the_next_run_is_tonight_if_ahead_else_tomorrow() {
        let cases = [
            // Evening: later tonight (after midnight, i.e. tomorrow's date).
            ("2026-11-30T21:00:00+08:00", "2026-12-01T02:30:00+08:00"),
            // Early morning before the time: today.
            ("2026-12-01T01:00:00+08:00", "2026-12-01T02:30:00+08:00"),
            // Exactly at the time: that round is now, the next is tomorrow.
            ("2026-12-01T02:30:00+08:00", "2026-12-02T02:30:00+08:00"),
            // Just after: tomorrow.
            ("2026-12-01T02:30:01+08:00", "2026-12-02T02:30:00+08:00"),
            // Across a month and a year.
            ("2026-12-31T03:00:00+08:00", "2027-01-01T02:30:00+08:00"),
        ];
        for (now, expected) in cases {
            assert_eq!(
                next_run(&local(now), at(2, 30)),
                local(expected),
                "from {now}"
            );
        }
        // In the server's zone, not UTC: 02:30 in Beijing is 18:30 UTC the day before.
        let now = local("2026-11-30T12:00:00+00:00").with_timezone(&beijing());
        assert_eq!(
            next_run(&now, at(2, 30)).with_timezone(&Utc),
            local("2026-11-30T18:30:00+00:00")
        );
    }

    #[test]
    fn archive_names_carry_their_time_and_only_this_offices_are_read() {
        let now = local("2026-11-30T18:30:05+00:00").with_timezone(&Utc);
        let name = archive_name("liaison-office", now);
        assert_eq!(name, "liaison-office-20261130T183005Z.zip");
        assert_eq!(archive_time("liaison-office", &name), Some(now));
        for other in [
            "other-office-20261130T183005Z.zip",
            "liaison-office-20261130T183005Z.zip.tmp",
            "liaison-office-latest.zip",
            "liaison-office-20261130T183005Z-copy.zip",
            "liaison-office20261130T183005Z.zip",
        ] {
            assert_eq!(archive_time("liaison-office", other), None, "{other}");
        }
    }

    #[test]
    fn retention_removes_only_this_offices_oldest_beyond_keep() {
        let files: Vec<String> = [
            "liaison-office-20261127T183000Z.zip",
            "liaison-office-20261130T183000Z.zip",
            "notes.txt",
            "liaison-office-20261128T183000Z.zip",
            "other-20261101T183000Z.zip",
            "liaison-office-20261129T183000Z.zip",
            "liaison-office-by-hand.zip",
        ]
        .map(String::from)
        .to_vec();
        let mut removed = to_remove("liaison-office", &files, 2);
        removed.sort();
        assert_eq!(
            removed,
            [
                "liaison-office-20261127T183000Z.zip",
                "liaison-office-20261128T183000Z.zip"
            ]
        );
        assert!(to_remove("liaison-office", &files, 4).is_empty());
        assert_eq!(to_remove("liaison-office", &files, 3).len(), 1);
        assert_eq!(to_remove("other", &files, 1), Vec::<String>::new());
    }

    #[test]
    fn a_round_is_due_only_from_its_time_and_a_failure_waits_for_the_next_night() {
        let dir = tempfile::tempdir().unwrap();
        let schedule = BackupSchedule {
            dir: dir.path().join("backups"),
            at: at(2, 30),
            keep: 3,
            name: "liaison-office".into(),
        };
        let start = local("2026-11-30T21:00:00+08:00").with_timezone(&Utc);
        // No office in this data folder: the round fails.
        let mut nightly = Nightly::new(dir.path().join("no-office"), schedule, beijing(), start);
        assert_eq!(nightly.next, local("2026-12-01T02:30:00+08:00"));
        assert!(nightly.run_due(start).is_none());
        assert!(
            nightly
                .run_due(nightly.next - chrono::Duration::seconds(1))
                .is_none()
        );
        let due = nightly.next;
        assert!(matches!(nightly.run_due(due), Some(Err(_))));
        assert_eq!(nightly.next, local("2026-12-02T02:30:00+08:00"));
    }
}
