//! The chaos run: officers' headless desks send items with attachments and type drafts while a
//! fault proxy misbehaves and the office and desk processes are killed (SIGKILL) and restarted at
//! random points. Then the network heals, every desk syncs until its outbox is empty, and the run
//! counts, at the office, what arrived once, twice or not at all, and whether every attachment and
//! every typed draft is intact.
//!
//! The office is one process on SQLite (the default), or, with [`Backend::Postgres`], several
//! office processes on one PostgreSQL database behind HAProxy (desks → fault proxy → HAProxy →
//! offices; `scaled_office.rs`). There the faults also kill one office process at a time (never
//! all of them), restart PostgreSQL once mid-run and cut the offices' database connections in
//! every round; at the end every office process must answer again by itself.
//!
//! Everything random comes from one seed, so a failing seed replays (the timing of kills against
//! the processes' progress still varies from run to run).

mod check;
mod officer;
mod scaled_office;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::fault_proxy::FaultProxy;
use crate::{DemoSeat, OfficeProcess};
use check::{Front, check};
use officer::{ExpectedFile, Officer, make_file};
use scaled_office::ScaledOffice;

/// What the office runs on in the chaos run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// One office process over a data folder (SQLite).
    #[default]
    Sqlite,
    /// This many office processes sharing one PostgreSQL database, behind HAProxy.
    Postgres { offices: usize },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChaosConfig {
    pub seed: u64,
    /// Rounds of sending under faults and kills.
    pub rounds: u32,
    /// Instead of a number of rounds: go on until this much time has passed.
    pub long: Option<Duration>,
    pub officers: usize,
    pub items_per_round: usize,
    pub backend: Backend,
    /// On PostgreSQL: keep the offices' and HAProxy's logs even when the run is clean (a run
    /// that is not keeps them anyway).
    pub keep_logs: bool,
}

/// What the run found. `lost` counts items that never arrived or were stuck, and typed drafts not
/// intact at the desk or at the office; `corrupt` counts items whose files differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChaosOutcome {
    pub seed: u64,
    pub items: usize,
    pub delivered_once: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub corrupt: usize,
    pub rounds: u32,
    /// Every SIGKILL: office processes and desk processes.
    pub kills: usize,
    /// The office processes among them.
    pub office_kills: usize,
    /// PostgreSQL stopped at once and started again.
    pub database_restarts: usize,
    /// Times the offices' database connections were cut, and how many connections that was.
    pub connection_cuts: usize,
    pub connections_cut: i64,
    pub drafts_checked: usize,
}

impl ChaosOutcome {
    /// The run's last line, the same for `make chaos` and the test.
    pub fn line(&self) -> String {
        format!(
            "chaos: seed={} items={} delivered_once={} lost={} duplicated={} corrupt={}",
            self.seed, self.items, self.delivered_once, self.lost, self.duplicated, self.corrupt
        )
    }

    pub fn is_clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.corrupt == 0
            && self.delivered_once == self.items
    }
}

fn log(line: impl AsRef<str>) {
    eprintln!("chaos: {}", line.as_ref());
}

/// The office under test.
enum Offices {
    Single(OfficeProcess),
    Scaled(ScaledOffice),
}

/// Runs the whole thing. The office and desks are real processes; the caller must run inside a
/// session with a Secret Service (scripts/test-session.sh). On PostgreSQL, a run that is not
/// clean keeps the offices' and HAProxy's logs, and says where.
pub async fn run(config: &ChaosConfig) -> Result<ChaosOutcome, String> {
    let mut offices = match config.backend {
        Backend::Sqlite => {
            let office = tokio::task::block_in_place(OfficeProcess::start_demo);
            log(format!(
                "backend=sqlite: one office process at {}",
                office.url
            ));
            Offices::Single(office)
        }
        Backend::Postgres { offices } => {
            let scaled = ScaledOffice::start(offices).await?;
            log(format!(
                "backend=postgres: {offices} office processes on {} behind HAProxy at {}",
                scaled.database_url(),
                scaled.front()
            ));
            Offices::Scaled(scaled)
        }
    };
    let result = drive(config, &mut offices).await;
    if let Offices::Scaled(scaled) = &mut offices
        && (config.keep_logs || !result.as_ref().is_ok_and(ChaosOutcome::is_clean))
    {
        for path in scaled.keep_logs() {
            log(format!("kept for reading: {}", path.display()));
        }
    }
    result
}

async fn drive(config: &ChaosConfig, offices: &mut Offices) -> Result<ChaosOutcome, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let front = match offices {
        Offices::Single(office) => Front {
            url: office.url.clone(),
            seats: office.seats.clone(),
        },
        Offices::Scaled(scaled) => Front {
            url: format!("http://{}", scaled.front()),
            seats: scaled.seats.clone(),
        },
    };
    let front_addr = front
        .url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("office address: {e}"))?;
    let proxy = FaultProxy::scripted(front_addr, &[]).await;
    let files_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut outcome = ChaosOutcome {
        seed: config.seed,
        ..ChaosOutcome::default()
    };

    let seats: Vec<DemoSeat> = front
        .seats
        .iter()
        .filter(|s| s.role.as_str() == "officer")
        .take(config.officers)
        .cloned()
        .collect();
    let mut officers = Vec::new();
    for (i, seat) in seats.into_iter().enumerate() {
        let mut officer = Officer {
            seat,
            data: tempfile::tempdir().map_err(|e| e.to_string())?,
            keyring_service: format!("liaison-chaos-{}-{i}", config.seed),
            column: 0,
            attested: false,
            worker: None,
            sent: BTreeMap::new(),
            typed: Vec::new(),
            typist: None,
        };
        officer.sign_in(&proxy.url()).await?;
        officers.push(officer);
    }

    let started = Instant::now();
    let mut file_no = 0;
    let mut round = 0;
    loop {
        let more = match config.long {
            Some(d) => started.elapsed() < d,
            None => round < config.rounds,
        };
        if !more {
            break;
        }
        round += 1;
        proxy.randomize(
            config
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(round as u64),
        );
        // Each officer queues items with files and starts typing a draft.
        for (o, officer) in officers.iter_mut().enumerate() {
            for k in 0..config.items_per_round {
                let title = format!("混沌测试 {}-{o}-{round}-{k}", config.seed);
                let mut args = vec![
                    "draft".to_owned(),
                    "--column".into(),
                    officer.column.to_string(),
                    "--title".into(),
                    title.clone(),
                    "--body".into(),
                    format!("<p>{}</p>", "正文".repeat(rng.random_range(10..1000))),
                    "--send".into(),
                ];
                let mut expected = Vec::new();
                for _ in 0..rng.random_range(0..=2) {
                    file_no += 1;
                    let (path, file) = make_file(&mut rng, files_dir.path(), file_no);
                    args.push("--attach".into());
                    args.push(path.display().to_string());
                    expected.push(file);
                }
                if officer.attested {
                    // One signed form per officer, attached to each item it signs off.
                    let form = files_dir.path().join(format!("签发单-{o}.pdf"));
                    let bytes = format!("%PDF-1.4\n% signed form of officer {o}\n%%EOF\n");
                    if !form.exists() {
                        std::fs::write(&form, &bytes).map_err(|e| e.to_string())?;
                    }
                    let today = liaison_domain::calendar::beijing_date(chrono::Utc::now());
                    args.extend([
                        "--approver".into(),
                        "审核人".into(),
                        "--approved-on".into(),
                        today.to_string(),
                        "--form".into(),
                        form.display().to_string(),
                    ]);
                    expected.push(ExpectedFile {
                        sha256: hex::encode(Sha256::digest(bytes.as_bytes())),
                        size: bytes.len() as u64,
                    });
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                officer.run(&args).await?;
                officer.sent.insert(title, expected);
                outcome.items += 1;
            }
            let text: String = (0..40).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            officer
                .start_typing(&format!("打字测试 {}-{o}-{round}", config.seed), &text)
                .await?;
            officer.start_worker();
        }
        // Kills at random moments while everything runs.
        let round_ms = rng.random_range(2_500..5_000);
        let round_start = Instant::now();
        let until = round_start + Duration::from_millis(round_ms);
        // On PostgreSQL: one cut of the database connections in every round, and PostgreSQL
        // restarted once, in the round in the middle of the run, each at a random moment.
        let mut cut_at = None;
        let mut db_restart_at = None;
        if matches!(offices, Offices::Scaled(_)) {
            cut_at = Some(round_start + Duration::from_millis(rng.random_range(0..round_ms)));
            let middle = match config.long {
                Some(d) => started.elapsed() >= d / 2,
                None => round == config.rounds.div_ceil(2),
            };
            // In the round's first half, while the desks still upload.
            if middle && outcome.database_restarts == 0 {
                db_restart_at =
                    Some(round_start + Duration::from_millis(rng.random_range(0..round_ms / 2)));
            }
        }
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(rng.random_range(150..700))).await;
            if let Offices::Scaled(scaled) = offices {
                if let Some(crash) = scaled.crashed() {
                    return Err(crash);
                }
                if cut_at.is_some_and(|t| Instant::now() >= t) {
                    // None open yet (the database just came back): a little later in the round.
                    let later = Duration::from_millis(rng.random_range(300..1_500));
                    cut_at = (!cut_connections(scaled, &mut outcome, started).await)
                        .then(|| Instant::now() + later)
                        .filter(|t| *t < until);
                }
                if db_restart_at.is_some_and(|t| Instant::now() >= t) {
                    db_restart_at = None;
                    restart_database(scaled, &mut rng, &mut outcome, started).await?;
                }
            }
            match rng.random_range(0..10) {
                0..=1 => kill_office(offices, &mut rng, &mut outcome, started).await?,
                2..=5 => {
                    let o = rng.random_range(0..officers.len());
                    if officers[o].kill_worker().await {
                        outcome.kills += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(rng.random_range(0..600))).await;
                    officers[o].start_worker();
                }
                6..=7 => {
                    let o = rng.random_range(0..officers.len());
                    if officers[o].kill_typist().await {
                        outcome.kills += 1;
                    }
                }
                _ => {}
            }
        }
        // What was due when the round's last kill ran past its end still happens in it.
        if let Offices::Scaled(scaled) = offices {
            if cut_at.is_some() {
                cut_connections(scaled, &mut outcome, started).await;
            }
            if db_restart_at.is_some() {
                restart_database(scaled, &mut rng, &mut outcome, started).await?;
            }
        }
        let mut line = format!(
            "round {round} ({}) done at {:.1}s, {} kills so far",
            config.backend.name(),
            started.elapsed().as_secs_f32(),
            outcome.kills
        );
        if matches!(offices, Offices::Scaled(_)) {
            line.push_str(&format!(
                " ({} of office processes), {} database restarts, {} connection cuts",
                outcome.office_kills, outcome.database_restarts, outcome.connection_cuts
            ));
        }
        log(line);
    }
    outcome.rounds = round;

    if let Offices::Scaled(scaled) = offices {
        // A run too short for its middle round still restarts the database and cuts its
        // connections once, under faults still.
        if outcome.database_restarts == 0 {
            restart_database(scaled, &mut rng, &mut outcome, started).await?;
        }
        for _ in 0..10 {
            if outcome.connection_cuts > 0 || cut_connections(scaled, &mut outcome, started).await {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    // The network heals; the last kill happens now, then each desk syncs until nothing waits.
    proxy.heal();
    for officer in &mut officers {
        officer.kill_typist().await;
        officer.kill_worker().await;
    }
    if let Offices::Scaled(scaled) = offices {
        // Every office process runs again and answers by itself (each on its own address).
        scaled.all_recovered(front.seat("editor", None)?).await?;
        log(format!(
            "every office process answers again ({} starts in all); requests so far: {}",
            scaled.starts(),
            scaled.request_counts()
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    for officer in &officers {
        let mut quiet_rounds = 0;
        while quiet_rounds < 2 {
            if Instant::now() > deadline {
                log(format!(
                    "{}: still not drained at the deadline",
                    officer.seat.login
                ));
                break;
            }
            match officer.run(&["sync"]).await {
                Ok(_) => {
                    let state = officer.run(&["state"]).await?;
                    let queued = state["drafts"]
                        .as_array()
                        .map_or(0, |d| d.iter().filter(|d| d["state"] == "queued").count());
                    if queued == 0 {
                        quiet_rounds += 1;
                    }
                }
                Err(e) => {
                    log(format!("{}: sync failed: {e}", officer.seat.login));
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }

    check(&front, &officers, &mut outcome).await?;
    if let Offices::Scaled(scaled) = offices {
        log(format!("requests in all: {}", scaled.request_counts()));
    }
    drop(proxy);
    Ok(outcome)
}

/// SIGKILLs the office, or one office process (never the last one listening), and starts it
/// again after a moment.
async fn kill_office(
    offices: &mut Offices,
    rng: &mut StdRng,
    outcome: &mut ChaosOutcome,
    started: Instant,
) -> Result<(), String> {
    match offices {
        Offices::Single(office) => {
            tokio::task::block_in_place(|| office.stop());
            outcome.kills += 1;
            outcome.office_kills += 1;
            tokio::time::sleep(Duration::from_millis(rng.random_range(100..1_000))).await;
            tokio::task::block_in_place(|| office.restart());
        }
        Offices::Scaled(scaled) => {
            let i = rng.random_range(0..scaled.len());
            let pause = Duration::from_millis(rng.random_range(100..1_000));
            if scaled.kill(i) {
                outcome.kills += 1;
                outcome.office_kills += 1;
                log(format!(
                    "{:.1}s: office {i} killed",
                    started.elapsed().as_secs_f32()
                ));
                tokio::time::sleep(pause).await;
                // It listens again when it is ready (after the database, if that is down).
                scaled.restart(i)?;
            }
        }
    }
    Ok(())
}

/// Stops PostgreSQL at once, and starts it again after a moment.
async fn restart_database(
    scaled: &ScaledOffice,
    rng: &mut StdRng,
    outcome: &mut ChaosOutcome,
    started: Instant,
) -> Result<(), String> {
    let down = Duration::from_millis(rng.random_range(1_000..3_000));
    scaled.stop_database()?;
    outcome.database_restarts += 1;
    log(format!(
        "{:.1}s: PostgreSQL stopped (immediate), down for {down:?}",
        started.elapsed().as_secs_f32()
    ));
    tokio::time::sleep(down).await;
    scaled.start_database()?;
    log(format!(
        "{:.1}s: PostgreSQL started again",
        started.elapsed().as_secs_f32()
    ));
    Ok(())
}

/// Terminates every connection the offices hold to the database; whether there were any.
async fn cut_connections(
    scaled: &ScaledOffice,
    outcome: &mut ChaosOutcome,
    started: Instant,
) -> bool {
    let at = started.elapsed().as_secs_f32();
    match scaled.cut_connections().await {
        Ok(0) => {
            log(format!(
                "{at:.1}s: the offices hold no database connection to cut"
            ));
            false
        }
        Ok(n) => {
            outcome.connection_cuts += 1;
            outcome.connections_cut += n;
            log(format!(
                "{at:.1}s: {n} database connections of the offices cut"
            ));
            true
        }
        Err(e) => {
            log(format!("{at:.1}s: could not cut connections: {e}"));
            false
        }
    }
}
