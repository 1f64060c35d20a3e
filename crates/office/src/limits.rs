//! What one seat may write and store, and how much room the office keeps free: the numbers in
//! one place ([`Limits`]), which request counts as which kind of write ([`write_kind`]), the
//! per-seat write limiter ([`WriteLimiter`]) and the free-space probe ([`FreeSpace`]).
//!
//! The HTTP side (the 429, 413 and 507 answers) is `api/quota.rs`; the sweep of unused uploads
//! is `sweep.rs`.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::store::postgres::bridge::PgBridge;
use crate::store::postgres::limits as pg_limits;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// A write limit: `burst` writes at once, then one more every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

impl Rate {
    /// `n` a minute, all of them at once if need be.
    pub const fn per_minute(n: u32) -> Rate {
        Rate {
            burst: n,
            every: Duration::from_millis(60_000 / n as u64),
        }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.every.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst)
    }
}

/// The kinds of write a seat is limited in, each with its own [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteKind {
    /// `POST /items`
    Send,
    /// `POST /items/{id}/comments`
    Comment,
    /// `POST /columns/{id}/urge`
    Urge,
    /// `PUT /drafts/{key}`
    DraftBackup,
    /// `POST /uploads` (the announcement; the pieces are bounded by the upload quota)
    Upload,
    /// `POST /items/{id}/approve|accept|return|reject`
    Review,
}

impl WriteKind {
    pub const ALL: [WriteKind; 6] = [
        WriteKind::Send,
        WriteKind::Comment,
        WriteKind::Urge,
        WriteKind::DraftBackup,
        WriteKind::Upload,
        WriteKind::Review,
    ];

    fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Send => "sends",
            WriteKind::Comment => "comments",
            WriteKind::Urge => "urges",
            WriteKind::DraftBackup => "draft backups",
            WriteKind::Upload => "upload announcements",
            WriteKind::Review => "review decisions",
        }
    }
}

/// Which kind of write a request of the API or the console is, from its method and its route
/// (the pattern it matched, e.g. `/api/v1/items/{id}/comments` or the console's
/// `/items/{id}/comment`); `None` for what is not limited.
pub fn write_kind(method: &Method, route: &str) -> Option<WriteKind> {
    let route = route.strip_prefix("/api/v1").unwrap_or(route);
    match (method.as_str(), route) {
        ("POST", "/items") => Some(WriteKind::Send),
        ("POST", "/items/{id}/comments" | "/items/{id}/comment") => Some(WriteKind::Comment),
        ("POST", "/columns/{id}/urge") => Some(WriteKind::Urge),
        ("PUT", "/drafts/{draft_key}") => Some(WriteKind::DraftBackup),
        ("POST", "/uploads") => Some(WriteKind::Upload),
        (
            "POST",
            "/items/{id}/approve"
            | "/items/{id}/accept"
            | "/items/{id}/return"
            | "/items/{id}/reject",
        ) => Some(WriteKind::Review),
        _ => None,
    }
}

/// Writes per seat, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRates {
    pub send: Rate,
    pub comment: Rate,
    pub urge: Rate,
    pub draft_backup: Rate,
    pub upload: Rate,
    pub review: Rate,
}

impl WriteRates {
    pub fn of(&self, kind: WriteKind) -> Rate {
        match kind {
            WriteKind::Send => self.send,
            WriteKind::Comment => self.comment,
            WriteKind::Urge => self.urge,
            WriteKind::DraftBackup => self.draft_backup,
            WriteKind::Upload => self.upload,
            WriteKind::Review => self.review,
        }
    }
}

impl WriteRates {
    /// No practical limit (a million a second): for benchmarks that play many people at once.
    pub fn unlimited() -> Self {
        let rate = Rate {
            burst: 1_000_000,
            every: Duration::from_micros(1),
        };
        WriteRates {
            send: rate,
            comment: rate,
            urge: rate,
            draft_backup: rate,
            upload: rate,
            review: rate,
        }
    }
}

impl Default for WriteRates {
    /// Generous for a person, tight for a script. Each is a burst a person may use at once and
    /// the same again every minute:
    /// - sends 30: an officer catching up sends perhaps 20 items in a minute;
    /// - comments 20: a person writes one in seconds at best;
    /// - urges 30: an editor urging every overdue column of the board in a row;
    /// - draft backups 120: the desk backs up each open draft about every 3 s (20 a minute per
    ///   draft, several drafts open) and flushes every edited draft when it comes back online;
    /// - upload announcements 300: an item carries up to 50 files, and a desk that was offline
    ///   sends its backlog in a row (the bytes are bounded by the upload quota, not by this);
    /// - review decisions 60: a responsible person approving a backlog one click a second.
    ///
    /// A desk that meets a limit waits the `Retry-After` and loses nothing.
    fn default() -> Self {
        WriteRates {
            send: Rate::per_minute(30),
            comment: Rate::per_minute(20),
            urge: Rate::per_minute(30),
            draft_backup: Rate::per_minute(120),
            upload: Rate::per_minute(300),
            review: Rate::per_minute(60),
        }
    }
}

/// What a seat may write and hold, and the room the office keeps free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes a seat may have announced and not yet completely uploaded.
    pub pending_upload_bytes: u64,
    /// Bytes of complete uploads that no item and no draft backup of the seat uses.
    pub unused_upload_bytes: u64,
    /// Below this much free space on the data folder's filesystem, new uploads are refused.
    pub min_free_bytes: u64,
    /// An upload nobody has added to (incomplete) or used (complete) for this long is removed.
    pub upload_idle: chrono::Duration,
    /// How often the sweep of idle uploads runs while serving.
    pub sweep_every: Duration,
    pub writes: WriteRates,
}

impl Default for Limits {
    /// A file may be 256 MiB and an item 512 MiB of files, and the desk uploads one send's files
    /// before the send: 1 GiB pending and 1 GiB unused are twice the largest item each, so a real
    /// officer (even one whose send failed midway and who starts another) never meets them,
    /// while one seat can hold at most 2 GiB that nothing uses, and only for a day. 2 GiB free
    /// keeps room for the database, its WAL and the items and backups that name stored files.
    fn default() -> Self {
        Limits {
            pending_upload_bytes: GIB,
            unused_upload_bytes: GIB,
            min_free_bytes: 2 * GIB,
            upload_idle: chrono::Duration::hours(24),
            sweep_every: Duration::from_secs(3600),
            writes: WriteRates::default(),
        }
    }
}

impl Limits {
    /// The sweep's one time rule: an upload whose last activity (announced, a piece, completed)
    /// is before this instant is idle, and is removed unless an item or a draft backup of its
    /// seat uses it.
    pub fn idle_before(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        now - self.upload_idle
    }
}

/// The writes of each seat, one GCRA limiter per kind keyed by seat id: in memory for one
/// office process, in the database for offices sharing one (`store::postgres::limits`), so a
/// seat has one allowance whichever process it lands on. Both count in real time. The calls
/// block: make them off the async threads.
pub struct WriteLimiter {
    rates: WriteRates,
    kept: KeptWrites,
}

enum KeptWrites {
    Memory(Vec<DefaultKeyedRateLimiter<i64>>),
    Database(Arc<PgBridge>),
}

impl WriteLimiter {
    pub fn new(rates: &WriteRates) -> Self {
        WriteLimiter {
            rates: *rates,
            kept: KeptWrites::Memory(
                WriteKind::ALL
                    .iter()
                    .map(|k| RateLimiter::keyed(rates.of(*k).quota()))
                    .collect(),
            ),
        }
    }

    /// The limiter of offices sharing the database behind `bridge`.
    pub fn in_database(bridge: Arc<PgBridge>, rates: &WriteRates) -> Self {
        WriteLimiter {
            rates: *rates,
            kept: KeptWrites::Database(bridge),
        }
    }

    /// A limiter under other rates, kept where this one is (a fresh one in memory).
    pub fn with_rates(&self, rates: &WriteRates) -> Self {
        match &self.kept {
            KeptWrites::Memory(_) => WriteLimiter::new(rates),
            KeptWrites::Database(bridge) => WriteLimiter::in_database(bridge.clone(), rates),
        }
    }

    /// Counts one write of `kind` by `seat_id`, or says how long until it would be allowed. A
    /// database that does not answer limits nobody (the write itself then fails on it).
    pub fn check(&self, seat_id: i64, kind: WriteKind) -> Result<(), Duration> {
        match &self.kept {
            KeptWrites::Memory(limiters) => {
                let Some(limiter) = limiters.get(kind.index()) else {
                    return Ok(());
                };
                limiter
                    .check_key(&seat_id)
                    .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
            }
            KeptWrites::Database(bridge) => {
                let rate = self.rates.of(kind);
                let now = chrono::Utc::now();
                bridge
                    .call(move |c| async move {
                        Ok(pg_limits::check_write(&c, seat_id, kind, rate, now).await?)
                    })
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "the write limits could not be read");
                        Ok(())
                    })
            }
        }
    }

    /// Drops the seats whose limiter is back to full (as if they had never written), so memory
    /// (or the database) holds only the seats that wrote recently, and, in the database, the
    /// failed sign-ins past the throttle's window.
    pub fn forget_idle(&self) {
        match &self.kept {
            KeptWrites::Memory(limiters) => {
                for limiter in limiters {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            }
            KeptWrites::Database(bridge) => {
                let now = chrono::Utc::now();
                let forgot = bridge
                    .call(move |c| async move { Ok(pg_limits::forget_expired(&c, now).await?) });
                if let Err(e) = forgot {
                    tracing::warn!(error = %e, "expired limits could not be forgotten");
                }
            }
        }
    }

    /// Seats remembered in memory, over all kinds.
    pub fn remembered(&self) -> usize {
        match &self.kept {
            KeptWrites::Memory(limiters) => limiters.iter().map(|l| l.len()).sum(),
            KeptWrites::Database(_) => 0,
        }
    }
}

/// Free bytes on the filesystem holding `path` (for the caller, not the superuser).
pub trait FreeSpace: Send + Sync + 'static {
    fn free_bytes(&self, path: &Path) -> std::io::Result<u64>;
}

/// The real probe (statvfs on Unix, GetDiskFreeSpaceEx on Windows).
pub struct FilesystemSpace;

impl FreeSpace for FilesystemSpace {
    fn free_bytes(&self, path: &Path) -> std::io::Result<u64> {
        fs4::available_space(path)
    }
}

/// Any function is a probe (tests simulate a full disk with one).
impl<F> FreeSpace for F
where
    F: Fn(&Path) -> std::io::Result<u64> + Send + Sync + 'static,
{
    fn free_bytes(&self, path: &Path) -> std::io::Result<u64> {
        self(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limited_write_is_classified_and_reads_are_not() {
        let post = Method::POST;
        assert_eq!(write_kind(&post, "/items"), Some(WriteKind::Send));
        assert_eq!(write_kind(&post, "/api/v1/items"), Some(WriteKind::Send));
        assert_eq!(
            write_kind(&post, "/items/{id}/comments"),
            Some(WriteKind::Comment)
        );
        assert_eq!(
            write_kind(&post, "/columns/{id}/urge"),
            Some(WriteKind::Urge)
        );
        assert_eq!(
            write_kind(&Method::PUT, "/drafts/{draft_key}"),
            Some(WriteKind::DraftBackup)
        );
        assert_eq!(write_kind(&post, "/uploads"), Some(WriteKind::Upload));
        for decision in ["approve", "accept", "return", "reject"] {
            assert_eq!(
                write_kind(&post, &format!("/items/{{id}}/{decision}")),
                Some(WriteKind::Review)
            );
        }
        assert_eq!(write_kind(&Method::GET, "/items"), None);
        assert_eq!(write_kind(&Method::GET, "/drafts"), None);
        assert_eq!(write_kind(&Method::PATCH, "/uploads/{sha256}"), None);
        assert_eq!(write_kind(&post, "/sessions"), None);
    }

    #[test]
    fn a_seat_gets_its_burst_then_waits_and_other_seats_and_kinds_are_apart() {
        let rates = WriteRates {
            send: Rate {
                burst: 3,
                every: Duration::from_secs(10),
            },
            ..WriteRates::default()
        };
        let limiter = WriteLimiter::new(&rates);
        for _ in 0..3 {
            assert_eq!(limiter.check(1, WriteKind::Send), Ok(()));
        }
        let wait = limiter.check(1, WriteKind::Send).unwrap_err();
        assert!(
            wait > Duration::from_secs(8) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(limiter.check(2, WriteKind::Send), Ok(()));
        assert_eq!(limiter.check(1, WriteKind::Comment), Ok(()));
    }

    #[test]
    fn seats_that_stopped_writing_are_forgotten() {
        let rates = WriteRates {
            comment: Rate {
                burst: 5,
                every: Duration::from_millis(1),
            },
            ..WriteRates::default()
        };
        let limiter = WriteLimiter::new(&rates);
        for seat in 0..100 {
            assert_eq!(limiter.check(seat, WriteKind::Comment), Ok(()));
        }
        assert_eq!(limiter.remembered(), 100);
        // One write refills in 1 ms; poll until every key is back to full.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while limiter.remembered() > 0 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
            limiter.forget_idle();
        }
        assert_eq!(limiter.remembered(), 0);
    }

    #[test]
    fn the_defaults_let_a_busy_officer_through() {
        let limits = Limits::default();
        // 20 sends in a minute, an item of 50 files, a backup every 3 s of 5 open drafts.
        let limiter = WriteLimiter::new(&limits.writes);
        for _ in 0..20 {
            assert!(limiter.check(7, WriteKind::Send).is_ok());
        }
        for _ in 0..50 {
            assert!(limiter.check(7, WriteKind::Upload).is_ok());
        }
        for _ in 0..100 {
            assert!(limiter.check(7, WriteKind::DraftBackup).is_ok());
        }
        let largest_item = liaison_domain::attachment::MAX_ITEM_FILE_BYTES;
        assert!(limits.pending_upload_bytes >= 2 * largest_item);
        assert!(limits.unused_upload_bytes >= 2 * largest_item);
    }

    #[test]
    fn the_real_probe_reads_a_plausible_free_space() {
        let dir = tempfile::tempdir().unwrap();
        let free = FilesystemSpace.free_bytes(dir.path()).unwrap();
        assert!(free > 0, "a temp dir on a filesystem with no room at all?");
        // Never more than the filesystem's size.
        let total = fs4::total_space(dir.path()).unwrap();
        assert!(free <= total, "{free} free of {total}");
        assert!(
            FilesystemSpace
                .free_bytes(&dir.path().join("missing"))
                .is_err()
        );
    }
}
