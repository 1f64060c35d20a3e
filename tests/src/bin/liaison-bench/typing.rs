//! Typing while the desk syncs: how long one keystroke's save takes, as the window's
//! `save_draft` command runs it (`liaison_desk::blocking`: on the command's own thread of a
//! multi-threaded runtime, once its other tasks have moved on), while a sync round uploads a large
//! attachment and goes on, against the same figure with the desk idle. The floor is the desk
//! itself, idle, in the same run. The desk's transfers give way to typing as shipped
//! (`liaison_desk::pace`); the same line with the upload not giving way is reported beside it.
//!
//! The desk as it is used: the office on another machine, which this one stands in for by giving
//! the office a disk of its own (a tmpfs), only the CPU time the desk leaves (`SCHED_IDLE`), and a
//! line between them ([`Link`]): 1 Gbit/s for the row with the target, 100 Mbit/s (a
//! department's line) reported beside it. Between two keystrokes of the first the bench also
//! times a bare durable write beside the desk's store (16 KB and `fdatasync`, what any save that
//! survives a power cut must wait for), idle and busy: a reported row for what the machine's disk
//! alone does under the same sync rounds. Last, harder than any use: the office on the desk's own
//! disk and cores, over bare loopback, so that its 200 MB of writes and its hashing land on the
//! machine the officer types on; reported without a target.
//!
//! Needs a Secret Service for the desk's token (scripts/test-session.sh; `make bench` does) and
//! Linux (`/dev/shm`, `chrt`).

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liaison_desk::Desk;
use liaison_desk::pace::TypingPace;
use liaison_domain::ItemState;
use liaison_tests::OfficeProcess;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::link::Link;
use crate::spare_cpu;
use crate::table::{Row, Target};
use crate::{image, settle, signed_in_desk};

/// Time between two keystrokes' saves; the bare write falls halfway between them.
const KEYSTROKE_GAP: Duration = Duration::from_millis(10);

/// The bare durable write: about what a keystroke's save adds to the store's log.
const BARE_WRITE_BYTES: usize = 16 << 10;

/// How many places in its file the bare write takes in turn, as a log reuses its pages.
const BARE_WRITE_SLOTS: usize = 64;

/// The line between a desk and an office on another machine: a fast office network, the target's
/// row.
const LINK_BITS_PER_SECOND: f64 = 1e9;

/// A department's line to the city's portal, faster than most: a reported row.
const DEPARTMENT_LINE_BITS_PER_SECOND: f64 = 1e8;

/// The desk as it was before its transfers gave way to typing (a reported row): nobody ever
/// counts as typing.
const NOT_GIVING_WAY: TypingPace = TypingPace {
    bytes_per_second: u64::MAX,
    after_keystroke: Duration::ZERO,
};

/// A disk the office has to itself: memory, so that its writes never wait on the desk's disk.
const OFFICE_OWN_DISK: &str = "/dev/shm";

/// The typing rows: keystroke to saved, p99, idle and while `upload_mb` MB go up in each sync
/// round; `saves` keystrokes idle, and at least as many during as many rounds as that takes.
pub async fn rows(
    office_binary: &Path,
    upload_mb: usize,
    saves: usize,
) -> anyhow::Result<Vec<Row>> {
    let apart = OfficeProcess::start_demo_in(
        office_binary,
        tempfile::tempdir_in(OFFICE_OWN_DISK)
            .with_context(|| format!("a folder for the office in {OFFICE_OWN_DISK}"))?,
    );
    spare_cpu::process(apart.pid())?;
    let mut as_used = Vec::new();
    for (bits_per_second, pace, target) in [
        (
            LINK_BITS_PER_SECOND,
            TypingPace::default(),
            Target::RatioAtMost(1.5),
        ),
        (LINK_BITS_PER_SECOND, NOT_GIVING_WAY, Target::Reported),
        (
            DEPARTMENT_LINE_BITS_PER_SECOND,
            TypingPace::default(),
            Target::Reported,
        ),
    ] {
        let link = Link::start(&apart.url, bits_per_second).await?;
        let measured = measure(
            &apart,
            &link.url,
            upload_mb,
            saves,
            pace,
            &format!(
                "to an office on its own disk and CPU time over a {} line{}",
                line_speed(bits_per_second),
                if pace == NOT_GIVING_WAY {
                    ", the upload not giving way to the typing"
                } else {
                    ""
                }
            ),
            target,
        )
        .await?;
        // The bare disk's row once, beside the target's row.
        let first = as_used.is_empty();
        as_used.push(measured.typing);
        if first {
            as_used.push(measured.disk);
        }
    }
    // Threads the office started while it worked must have kept the policy too.
    spare_cpu::check_process(apart.pid())?;
    drop(apart);

    let shared = OfficeProcess::start_demo_of(office_binary);
    let harder = measure(
        &shared,
        &shared.url,
        upload_mb,
        saves,
        TypingPace::default(),
        "to an office on this machine's disk and cores over bare loopback",
        Target::Reported,
    )
    .await?;
    as_used.push(harder.typing);
    Ok(as_used)
}

/// "1 Gbit/s", "100 Mbit/s".
fn line_speed(bits_per_second: f64) -> String {
    if bits_per_second >= 1e9 {
        format!("{:.0} Gbit/s", bits_per_second / 1e9)
    } else {
        format!("{:.0} Mbit/s", bits_per_second / 1e6)
    }
}

/// What one desk measured: its keystrokes' row, and the bare durable write's between them.
struct Measured {
    typing: Row,
    disk: Row,
}

/// A desk signed in to `office` through `url` types idle, then during sync rounds.
async fn measure(
    office: &OfficeProcess,
    url: &str,
    upload_mb: usize,
    saves: usize,
    pace: TypingPace,
    placement: &str,
    target: Target,
) -> anyhow::Result<Measured> {
    let seat = office.seat("officer", Some("市教育局")).clone();
    let dir = tempfile::tempdir()?;
    let service = format!("liaison-bench-{}", uuid::Uuid::new_v4());
    let desk =
        Arc::new(signed_in_desk(dir.path(), &service, url, &seat.login, &seat.password).await?);
    // The first round after a sign-in brings the seat's history: not part of the figure.
    desk.sync_once(0).await?;
    desk.set_typing_pace(pace);
    let column = desk
        .columns()?
        .into_iter()
        .find(|c| c.feed.accepts_items())
        .context("a column")?
        .id;
    let typed = desk.create_draft(Some(column))?.id;

    let bare = BareWrite::open(dir.path())?;

    settle();
    let (mut idle, mut idle_bare) = (Vec::with_capacity(saves), Vec::with_capacity(saves));
    for n in 0..saves {
        idle.push(keystroke(&desk, &typed, column, n).await?);
        idle_bare.push(bare.time(n).await?);
    }

    // Busy: a sync round delivering a new item with its own large file, again until as many
    // keystrokes were saved during the rounds as idle.
    // Files of this row's own: an office that already holds a file's bytes is not sent them
    // again, and the rows of one office must each upload all of theirs.
    let mut rng = StdRng::seed_from_u64({
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        placement.hash(&mut h);
        h.finish()
    });
    let files = tempfile::tempdir()?;
    let (mut busy, mut busy_bare) = (Vec::with_capacity(saves), Vec::with_capacity(saves));
    let (mut rounds, mut sync_secs) = (0, 0.0);
    while busy.len() < saves {
        let big = files.path().join(format!("宣传片-{rounds}.pdf"));
        let mut bytes = image(&mut rng, upload_mb << 20);
        bytes[..9].copy_from_slice(b"%PDF-1.7\n");
        std::fs::write(&big, &bytes)?;
        drop(bytes);
        let sent = desk.create_draft(Some(column))?;
        desk.save_draft(&sent.id, Some(column), "宣传片", "<p>附件为宣传片。</p>")?;
        desk.attach_file(&sent.id, &big).await?;
        std::fs::remove_file(&big)?;
        desk.send_draft(&sent.id)?;
        settle();
        let syncing = {
            let desk = desk.clone();
            tokio::spawn(async move { desk.sync_once(0).await })
        };
        let started = Instant::now();
        let mut n = busy.len();
        while !syncing.is_finished() {
            busy.push(keystroke(&desk, &typed, column, saves + n).await?);
            busy_bare.push(bare.time(n).await?);
            n += 1;
        }
        sync_secs += started.elapsed().as_secs_f64();
        let report = syncing.await??;
        if report.sent != 1 || desk.draft(&sent.id)?.state != ItemState::AwaitingSignoff {
            bail!("the sync round did not deliver the large item");
        }
        rounds += 1;
    }
    let rate = (rounds * upload_mb) as f64 / sync_secs;
    println!(
        "typing {placement}: {} keystrokes idle, {} during {rounds} sync rounds ({sync_secs:.1} s, {rate:.0} MB/s) of {upload_mb} MB each",
        idle.len(),
        busy.len()
    );
    let (idle_p99, busy_p99) = (p99_ms(&mut idle), p99_ms(&mut busy));
    let (idle_bare_p99, busy_bare_p99) = (p99_ms(&mut idle_bare), p99_ms(&mut busy_bare));
    let typing = Row {
        figure: format!(
            "keystroke to saved, p99, while sync rounds send {upload_mb} MB each {placement} ({} keystrokes, {rounds} rounds at {rate:.0} MB/s)",
            busy.len()
        ),
        liaison: format!("{busy_p99:.2} ms"),
        floor: format!(
            "the desk idle: {idle_p99:.2} ms ({} keystrokes)",
            idle.len()
        ),
        ratio: Some(busy_p99 / idle_p99),
        value: busy_p99,
        target,
    };
    let disk = Row {
        figure: format!(
            "a bare {} KB write and fdatasync beside the desk's store, p99, between the keystrokes of the row above ({} during the rounds)",
            BARE_WRITE_BYTES >> 10,
            busy_bare.len()
        ),
        liaison: format!("{busy_bare_p99:.2} ms"),
        floor: format!("the same idle: {idle_bare_p99:.2} ms ({})", idle_bare.len()),
        ratio: Some(busy_bare_p99 / idle_bare_p99),
        value: busy_bare_p99,
        target: Target::Reported,
    };
    Ok(Measured { typing, disk })
}

/// One keystroke: the draft's text one character longer, saved as the window's command saves
/// it (`liaison_desk::blocking`: on the task's own runtime thread once its other tasks have
/// moved on), and how long that took.
async fn keystroke(desk: &Desk, id: &str, column: i64, n: usize) -> anyhow::Result<Duration> {
    tokio::time::sleep(KEYSTROKE_GAP / 2).await;
    let text: String = "各学校要切实做好寒假期间的安全教育工作。"
        .chars()
        .cycle()
        .take(n % 2000 + 1)
        .collect();
    let body = format!("<p>{text}</p>");
    let t = Instant::now();
    liaison_desk::blocking(|| desk.save_draft(id, Some(column), "寒假安全工作", &body))?;
    Ok(t.elapsed())
}

/// A file beside the desk's store that takes bare durable writes.
struct BareWrite {
    file: std::fs::File,
    bytes: Vec<u8>,
}

impl BareWrite {
    /// The file, written through once so that its blocks exist before the first timed write.
    fn open(dir: &Path) -> anyhow::Result<BareWrite> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("bare-write"))?;
        let bytes = vec![0x5a; BARE_WRITE_BYTES];
        for slot in 0..BARE_WRITE_SLOTS {
            file.write_all_at(&bytes, (slot * BARE_WRITE_BYTES) as u64)?;
        }
        file.sync_all()?;
        Ok(BareWrite { file, bytes })
    }

    /// Half a keystroke's gap later, the `n`th write (over the file's slots in turn) and its
    /// `fdatasync`, as the keystrokes run theirs: how long they took.
    async fn time(&self, n: usize) -> anyhow::Result<Duration> {
        tokio::time::sleep(KEYSTROKE_GAP / 2).await;
        let at = ((n % BARE_WRITE_SLOTS) * BARE_WRITE_BYTES) as u64;
        let t = Instant::now();
        liaison_desk::blocking(|| {
            self.file.write_all_at(&self.bytes, at)?;
            self.file.sync_data()
        })?;
        Ok(t.elapsed())
    }
}

/// The 99th percentile, in milliseconds.
fn p99_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    let at = (samples.len() * 99).div_ceil(100).saturating_sub(1);
    samples
        .get(at)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}
