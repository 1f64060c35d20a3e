//! The chaos run: officers' headless desks send items with attachments and type drafts while a
//! fault proxy misbehaves and the office and desk processes are killed (SIGKILL) and restarted at
//! random points. Then the network heals, every desk syncs until its outbox is empty, and the run
//! counts, at the office, what arrived once, twice or not at all, and whether every attachment and
//! every typed draft is intact.
//!
//! Everything random comes from one seed, so a failing seed replays (the timing of kills against
//! the processes' progress still varies from run to run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::fault_proxy::FaultProxy;
use crate::{DemoSeat, OfficeProcess, built_binary};

#[derive(Debug, Clone)]
pub struct ChaosConfig {
    pub seed: u64,
    /// Rounds of sending under faults and kills.
    pub rounds: u32,
    /// Instead of a number of rounds: go on until this much time has passed.
    pub long: Option<Duration>,
    pub officers: usize,
    pub items_per_round: usize,
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
    pub kills: usize,
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

/// One file the run attached, as it must arrive.
#[derive(Debug, Clone)]
struct ExpectedFile {
    sha256: String,
    size: u64,
}

/// One officer's headless desk: `liaison-desk-cli` over its own folder and keyring entry.
struct Officer {
    seat: DemoSeat,
    data: tempfile::TempDir,
    keyring_service: String,
    column: i64,
    /// The department attests its sign-off on paper: each send carries the signed form.
    attested: bool,
    worker: Option<Child>,
    /// Items sent: title -> files.
    sent: BTreeMap<String, Vec<ExpectedFile>>,
    /// Drafts being typed: draft id -> characters confirmed saved.
    typed: Vec<(String, Arc<AtomicUsize>)>,
    typist: Option<Child>,
}

impl Officer {
    fn cli(&self) -> Command {
        let mut c = Command::new(built_binary("liaison-desk-cli"));
        c.arg("--data")
            .arg(self.data.path())
            .arg("--keyring-service")
            .arg(&self.keyring_service)
            .env("RUST_LOG", "error")
            .kill_on_drop(true);
        c
    }

    /// Runs one command to its end; its JSON answer, or its error text.
    async fn run(&self, args: &[&str]) -> Result<Value, String> {
        let out = self
            .cli()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    }

    async fn sign_in(&mut self, office_url: &str) -> Result<(), String> {
        let mut child = self
            .cli()
            .args([
                "sign-in",
                "--office",
                office_url,
                "--login",
                &self.seat.login,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            stdin
                .write_all(format!("{}\n", self.seat.password).as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let state = self.run(&["state"]).await?;
        self.attested = state["session"]["seat"]["department"]["signoff"] == "attested";
        self.column = state["columns"]
            .as_array()
            .and_then(|cols| {
                cols.iter()
                    .find(|c| {
                        serde_json::from_value::<liaison_domain::ColumnView>((*c).clone())
                            .is_ok_and(|c| c.feed.accepts_items())
                    })
                    .and_then(|c| c["id"].as_i64())
            })
            .ok_or("the seat has no column fed by submitted items")?;
        Ok(())
    }

    fn start_worker(&mut self) {
        if self.worker.is_none() {
            self.worker = self
                .cli()
                .arg("run")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok();
        }
    }

    async fn kill_worker(&mut self) -> bool {
        match self.worker.take() {
            Some(mut w) => {
                let _ = w.kill().await; // SIGKILL
                true
            }
            None => false,
        }
    }

    /// Starts typing into a new draft; what is confirmed saved is counted as it is printed.
    async fn start_typing(&mut self, title: &str, text: &str) -> Result<(), String> {
        let column = self.column.to_string();
        let draft = self
            .run(&["draft", "--column", &column, "--title", title])
            .await?;
        let id = draft["id"].as_str().ok_or("a draft id")?.to_owned();
        let mut child = self
            .cli()
            .args(["type", &id, "--text", text, "--every-ms", "40"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let saved = Arc::new(AtomicUsize::new(0));
        if let Some(out) = child.stdout.take() {
            let saved = saved.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(out).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(n) = serde_json::from_str::<Value>(&line)
                        .ok()
                        .and_then(|v| v["saved"].as_u64())
                    {
                        saved.store(n as usize, Ordering::SeqCst);
                    }
                }
            });
        }
        self.typed.push((id, saved));
        self.typist = Some(child);
        Ok(())
    }

    async fn kill_typist(&mut self) -> bool {
        match self.typist.take() {
            Some(mut t) => {
                let _ = t.kill().await;
                // Let the reader take the last line the process printed before it died.
                tokio::time::sleep(Duration::from_millis(20)).await;
                true
            }
            None => false,
        }
    }
}

/// Deterministic file contents: a PNG or PDF header, then bytes from the run's generator.
fn make_file(rng: &mut StdRng, dir: &Path, n: usize) -> (PathBuf, ExpectedFile) {
    let large = rng.random_bool(0.25);
    let (head, size, ext): (&[u8], usize, &str) = if large {
        (b"%PDF-1.7\n", rng.random_range(2 << 20..6 << 20), "pdf")
    } else {
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            rng.random_range(20 << 10..300 << 10),
            "png",
        )
    };
    let mut bytes = vec![0u8; size];
    bytes[..head.len()].copy_from_slice(head);
    rng.fill_bytes(&mut bytes[head.len()..]);
    let path = dir.join(format!("附件-{n}.{ext}"));
    std::fs::write(&path, &bytes).expect("write a chaos file");
    let expected = ExpectedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: size as u64,
    };
    (path, expected)
}

fn log(line: impl AsRef<str>) {
    eprintln!("chaos: {}", line.as_ref());
}

/// Runs the whole thing. The office and desks are real processes; the caller must run inside a
/// session with a Secret Service (scripts/test-session.sh).
pub async fn run(config: &ChaosConfig) -> Result<ChaosOutcome, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut office = tokio::task::block_in_place(OfficeProcess::start_demo);
    let office_addr = office
        .url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("office address: {e}"))?;
    let proxy = FaultProxy::scripted(office_addr, &[]).await;
    let files_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut outcome = ChaosOutcome {
        seed: config.seed,
        ..ChaosOutcome::default()
    };

    let seats: Vec<DemoSeat> = office
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
        let until = Instant::now() + Duration::from_millis(rng.random_range(2_500..5_000));
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(rng.random_range(150..700))).await;
            match rng.random_range(0..10) {
                0..=1 => {
                    tokio::task::block_in_place(|| office.stop());
                    outcome.kills += 1;
                    tokio::time::sleep(Duration::from_millis(rng.random_range(100..1_000))).await;
                    tokio::task::block_in_place(|| office.restart());
                }
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
        log(format!(
            "round {round} done at {:.1}s, {} kills so far",
            started.elapsed().as_secs_f32(),
            outcome.kills
        ));
    }
    outcome.rounds = round;

    // The network heals; the last kill happens now, then each desk syncs until nothing waits.
    proxy.heal();
    for officer in &mut officers {
        officer.kill_typist().await;
        officer.kill_worker().await;
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

    check(&office, &officers, &mut outcome).await?;
    drop(proxy);
    Ok(outcome)
}

/// Counts, at the office and in each desk, what arrived and what is intact.
async fn check(
    office: &OfficeProcess,
    officers: &[Officer],
    outcome: &mut ChaosOutcome,
) -> Result<(), String> {
    let editor = office.editor().await;
    for officer in officers {
        // Departments that sign off in the app: the responsible person approves what arrived,
        // so the editors have it.
        if !officer.attested {
            office.sign_off(&officer.seat.department).await;
        }
        let state = officer.run(&["state"]).await?;
        let drafts = state["drafts"].as_array().cloned().unwrap_or_default();
        let department = state["session"]["seat"]["department"]["id"]
            .as_i64()
            .ok_or("the desk is no longer signed in")?;
        let listed = editor
            .get(&format!(
                "/inbox?state=all&department_id={department}&limit=500"
            ))
            .await;
        let listed = listed.as_array().cloned().unwrap_or_default();
        for (title, files) in &officer.sent {
            let arrived: Vec<&Value> = listed.iter().filter(|i| &i["title"] == title).collect();
            match arrived.len() {
                0 => {
                    let at_desk = drafts.iter().find(|d| &d["title"] == title);
                    log(format!(
                        "lost: {title}; at the desk: {}",
                        at_desk.map_or("nothing".into(), |d| format!(
                            "{} {}",
                            d["state"], d["last_error"]
                        ))
                    ));
                    outcome.lost += 1;
                    continue;
                }
                1 => outcome.delivered_once += 1,
                n => {
                    log(format!("duplicated {n} times: {title}"));
                    outcome.duplicated += 1;
                    continue;
                }
            }
            let id = arrived[0]["id"].as_i64().ok_or("an item id")?;
            let detail = editor.get(&format!("/items/{id}")).await;
            let held: Vec<(String, u64)> = detail["attachments"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| {
                            (
                                f["sha256"].as_str().unwrap_or_default().to_owned(),
                                f["size"].as_u64().unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut intact = held.len() == files.len();
            for f in files {
                if !held.contains(&(f.sha256.clone(), f.size)) {
                    intact = false;
                    continue;
                }
                match editor
                    .bytes(&format!("/items/{id}/files/{}", f.sha256))
                    .await
                {
                    Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == f.sha256 => {}
                    _ => intact = false,
                }
            }
            if !intact {
                log(format!("corrupt files: {title}"));
                outcome.corrupt += 1;
            }
        }

        // Every typed draft: intact at the desk up to its last confirmed save, and backed up.
        let own = office.signed_in(&officer.seat).await;
        let backups = own.get("/drafts").await;
        let backups = backups.as_array().cloned().unwrap_or_default();
        for (id, saved) in &officer.typed {
            outcome.drafts_checked += 1;
            let saved = saved.load(Ordering::SeqCst);
            let local = drafts.iter().find(|d| d["id"] == id.as_str());
            let body = local
                .and_then(|d| d["body_html"].as_str())
                .unwrap_or_default();
            let backed_up = backups
                .iter()
                .find(|b| b["draft_key"] == id.as_str())
                .and_then(|b| b["body_html"].as_str());
            if body.chars().count() < saved {
                log(format!(
                    "draft {id}: {saved} characters were saved, {} are there",
                    body.chars().count()
                ));
                outcome.lost += 1;
            } else if backed_up != Some(body) {
                log(format!(
                    "draft {id}: the office's backup differs from the desk"
                ));
                outcome.lost += 1;
            }
        }
    }
    Ok(())
}
