//! `liaison-bench-send`: how fast the desk engine delivers, against a floor measured in the same
//! run on the same office process (`make bench`; figures go into BENCHMARKS.md).
//!
//! 1. Drain N queued items (2 KB of text and one 100 KB image each) from a desk engine, and beside
//!    it a bare reqwest loop making the same requests with the same number of bytes: items/s and
//!    the ratio.
//! 2. One 200 MB file through the resumable path (pieces), and the same size in one plain request:
//!    MB/s and the ratio.
//! 3. The same upload cut at 50 % by a proxy, then resumed: bytes sent again.
//!
//! Needs a Secret Service for the desk's token (scripts/test-session.sh; `make bench` does).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_domain::attachment::UPLOAD_CHUNK_BYTES;
use liaison_tests::OfficeProcess;
use liaison_tests::fault_proxy::{Fault, FaultProxy};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(Parser)]
struct Args {
    /// Items to drain.
    #[arg(long, default_value_t = 1000)]
    items: usize,
    /// Size of the large upload, in MB.
    #[arg(long, default_value_t = 200)]
    upload_mb: usize,
    /// Turns of each comparison; the best of each side counts.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

/// Writes what the page cache holds to disk, so one side's writes do not land in the other's time.
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

/// A PNG-looking image of `len` bytes, different for every `n`.
fn image(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let head = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    v[..head.len()].copy_from_slice(head);
    rng.fill_bytes(&mut v[head.len()..]);
    v
}

fn body_2kb(n: usize) -> String {
    let mut s = format!("<p>第{n}期工作简报。</p>");
    while s.len() < 2048 {
        s.push_str("<p>各项工作按计划推进，情况正常。</p>");
    }
    s
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("the bench binary's folder")?;
    let path = dir.join(name);
    if !path.exists() {
        bail!("{} is not built next to this benchmark", path.display());
    }
    Ok(path)
}

async fn signed_in_desk(
    dir: &Path,
    office_url: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<Desk> {
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: format!("liaison-bench-{}", uuid::Uuid::new_v4()),
    })?;
    desk.sign_in(office_url, login, password).await?;
    Ok(desk)
}

/// A bare client: the office's API with nothing around it.
struct Bare {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Bare {
    async fn new(office_url: &str, login: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let base = format!("{office_url}/api/v1");
        let signed: Value = http
            .post(format!("{base}/sessions"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        let token = signed["token"].as_str().context("a token")?.to_owned();
        Ok(Bare { http, base, token })
    }

    async fn upload_whole(&self, bytes: Vec<u8>, name: &str) -> anyhow::Result<()> {
        let digest = sha(&bytes);
        let r = self
            .http
            .post(format!("{}/uploads", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"sha256": digest, "size": bytes.len(), "name": name}))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("announce: {}", r.status());
        }
        let r = self
            .http
            .patch(format!("{}/uploads/{digest}", self.base))
            .bearer_auth(&self.token)
            .header("Upload-Offset", "0")
            .body(bytes)
            .send()
            .await?;
        let status: Value = r.json().await?;
        if status["complete"] != true {
            bail!("upload not complete: {status}");
        }
        Ok(())
    }

    async fn submit(&self, n: usize, column: i64, image: &[u8]) -> anyhow::Result<()> {
        let r = self
            .http
            .post(format!("{}/items", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({
                "draft_key": uuid::Uuid::new_v4().to_string(), "version": 1, "column_id": column,
                "title": format!("基准简报 {n}"), "body_html": body_2kb(n),
                "attachments": [{"sha256": sha(image), "name": "图.png", "size": image.len(), "mime": "image/png"}]
            }))
            .send()
            .await?;
        if r.status().as_u16() != 201 {
            bail!(
                "submit: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let office = OfficeProcess::start_demo_of(&sibling_binary("liaison-office")?);
    let engine_seat = office.seat("officer", Some("市教育局")).clone();
    let bare_seat = office.seat("officer", Some("市财政局")).clone();
    let mut rng = StdRng::seed_from_u64(2026);
    println!(
        "# liaison-bench-send: {} items, {} MB upload",
        args.items, args.upload_mb
    );

    // 1. Drain: engine and bare loop take turns, `repeat` times each; the best of each counts
    // (this machine's disk and CPU are shared, so the slowest runs measure the neighbours).
    let bare = Bare::new(&office.url, &bare_seat.login, &bare_seat.password).await?;
    let bare_column = {
        let cols: Vec<liaison_domain::ColumnView> = bare
            .http
            .get(format!("{}/columns", bare.base))
            .bearer_auth(&bare.token)
            .send()
            .await?
            .json()
            .await?;
        cols.into_iter()
            .find(|c| c.feed.accepts_items())
            .context("a column")?
            .id
    };
    let (mut engine_best, mut bare_best) = (f64::MAX, f64::MAX);
    let mut column = 0;
    let mut desks = Vec::new();
    for turn in 0..args.repeat {
        let dir = tempfile::tempdir()?;
        let desk = signed_in_desk(
            dir.path(),
            &office.url,
            &engine_seat.login,
            &engine_seat.password,
        )
        .await?;
        column = desk
            .columns()?
            .into_iter()
            .find(|c| c.feed.accepts_items())
            .context("a column")?
            .id;
        for n in 0..args.items {
            let d = desk.create_draft(Some(column))?;
            desk.save_draft(&d.id, Some(column), &format!("基准简报 {n}"), &body_2kb(n))?;
            desk.attach_bytes(&d.id, "图.png", image(&mut rng, 100 * 1024))
                .await?;
            desk.send_draft(&d.id)?;
        }
        settle();
        let t = Instant::now();
        let report = desk.sync_once(0).await?;
        let secs = t.elapsed().as_secs_f64();
        if report.sent as usize != args.items {
            bail!("the engine delivered {} of {}", report.sent, args.items);
        }
        let images: Vec<Vec<u8>> = (0..args.items)
            .map(|_| image(&mut rng, 100 * 1024))
            .collect();
        settle();
        let t = Instant::now();
        for (n, img) in images.iter().enumerate() {
            bare.upload_whole(img.clone(), "图.png").await?;
            bare.submit(n, bare_column, img).await?;
        }
        let bare_secs = t.elapsed().as_secs_f64();
        println!(
            "drain turn {turn}: engine {:.1} items/s, bare loop {:.1} items/s",
            args.items as f64 / secs,
            args.items as f64 / bare_secs
        );
        engine_best = engine_best.min(secs);
        bare_best = bare_best.min(bare_secs);
        desks.push((desk, dir));
    }
    let (engine_rate, bare_rate) = (
        args.items as f64 / engine_best,
        args.items as f64 / bare_best,
    );
    println!(
        "drain: engine {engine_rate:.1} items/s, bare reqwest loop {bare_rate:.1} items/s, ratio {:.2} (target >= 0.70)",
        engine_rate / bare_rate
    );

    // 2. One large file: resumable pieces through the engine, and one plain request; in turns.
    let size = args.upload_mb << 20;
    let files = tempfile::tempdir()?;
    let (desk, _) = desks.first().context("a desk")?;
    let (mut pieces_best, mut plain_best) = (f64::MAX, f64::MAX);
    for turn in 0..args.repeat {
        let big = files.path().join(format!("视频-{turn}.pdf"));
        let mut bytes = image(&mut rng, size);
        bytes[..9].copy_from_slice(b"%PDF-1.7\n");
        std::fs::write(&big, &bytes)?;
        drop(bytes);
        let d = desk.create_draft(Some(column))?;
        desk.save_draft(&d.id, Some(column), "大附件", "<p>附件</p>")?;
        desk.attach_file(&d.id, &big).await?;
        desk.send_draft(&d.id)?;
        settle();
        let t = Instant::now();
        desk.sync_once(0).await?;
        let pieces_secs = t.elapsed().as_secs_f64();
        if desk.draft(&d.id)?.state != ItemState::Delivered {
            bail!("the large item was not delivered");
        }
        let mut plain = image(&mut rng, size);
        plain[..9].copy_from_slice(b"%PDF-1.7\n");
        settle();
        let t = Instant::now();
        bare.upload_whole(plain, "视频.pdf").await?;
        let plain_secs = t.elapsed().as_secs_f64();
        let mb = args.upload_mb as f64;
        println!(
            "upload turn {turn}: resumable {:.1} MB/s, plain {:.1} MB/s",
            mb / pieces_secs,
            mb / plain_secs
        );
        pieces_best = pieces_best.min(pieces_secs);
        plain_best = plain_best.min(plain_secs);
    }
    let mb = args.upload_mb as f64;
    println!(
        "upload {mb} MB: resumable {:.1} MB/s, one plain request {:.1} MB/s, ratio {:.2} (target >= 0.80)",
        mb / pieces_best,
        mb / plain_best,
        plain_best / pieces_best
    );

    // 3. The same size cut at 50 %, then resumed.
    let proxy = FaultProxy::scripted(office.url.trim_start_matches("http://").parse()?, &[]).await;
    let dir2 = tempfile::tempdir()?;
    let cut_desk = signed_in_desk(
        dir2.path(),
        &proxy.url(),
        &engine_seat.login,
        &engine_seat.password,
    )
    .await?;
    let mut cut_bytes = image(&mut rng, size);
    cut_bytes[..9].copy_from_slice(b"%PDF-1.7\n");
    let cut_file = files.path().join("另一个.pdf");
    std::fs::write(&cut_file, &cut_bytes)?;
    let d = cut_desk.create_draft(Some(column))?;
    cut_desk.save_draft(&d.id, Some(column), "被切断的大附件", "<p>附件</p>")?;
    cut_desk.attach_file(&d.id, &cut_file).await?;
    cut_desk.send_draft(&d.id)?;
    proxy.script(&[Fault::CutRequest(size / 2)]);
    let before = proxy.bytes_up();
    if cut_desk.sync_once(0).await.is_ok() {
        bail!("the cut did not happen");
    }
    // The worker would wait out a backoff here; the benchmark goes on at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    cut_desk.sync_once(0).await?;
    let sent = proxy.bytes_up() - before;
    let again = sent as i64 - size as i64;
    println!(
        "cut at 50 %: {sent} bytes sent for a {size}-byte file: {again} bytes sent again (one piece is {UPLOAD_CHUNK_BYTES})"
    );
    if again >= UPLOAD_CHUNK_BYTES as i64 {
        bail!("more than one piece was sent again");
    }
    Ok(())
}
