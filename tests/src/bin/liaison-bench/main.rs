//! `liaison-bench` (`make bench`): Liaison's figures against floors measured in the same run on
//! the same machine, printed as one table (and written to `target/liaison-bench/table.md`).
//!
//! - `window`: the desk's start to first paint and its memory (all processes, PSS), against a
//!   bare Tauri window (`src-tauri/examples/bare_window.rs`).
//! - `store`: saving a draft and searching 100,000 drafts, against raw rusqlite on the same
//!   file (criterion drives the calls; every call's time goes into a histogram for p50 / p99).
//! - `office`: ingest from 50 concurrent clients against a bare axum handler writing the same
//!   rows, and the inbox over 100,000 items.
//! - `send`: the desk's sync drain and resumable upload against bare reqwest loops.
//! - `typing`: keystroke to saved while a sync round uploads a large file, against the desk idle:
//!   to an office standing in for another machine behind a 1 Gbit/s line (`link.rs`), and to
//!   one on this machine's disk and cores.
//! - `postgres`: the office on PostgreSQL (one process, one and two behind HAProxy) beside the
//!   office on SQLite, ingest against the same bare handler; the inbox over 1,000,000 items on
//!   each backend against the same SQL run raw on the same database.
//!
//! Needs release builds of `liaison-office`, `liaison-desk` and the `bare_window` example next to
//! it, a Secret Service and a display (`scripts/test-session.sh --display`; `make bench` does);
//! the `postgres` group needs PostgreSQL and HAProxy (`scripts/deps.sh`).

mod link;
mod office;
mod postgres;
mod send;
mod spare_cpu;
mod store;
mod table;
mod typing;
mod window;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use liaison_desk::{Desk, DeskConfig};
use liaison_tests::OfficeProcess;
use rand::RngCore;
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};

#[derive(Parser)]
struct Args {
    /// Which groups to run (window, store, office, send, typing, postgres — or only its half,
    /// postgres-ingest or postgres-inbox), comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "window,store,office,send,typing,postgres"
    )]
    only: Vec<String>,
    /// Turns of each whole-process comparison (after one warm-up turn each).
    #[arg(long, default_value_t = 5)]
    turns: usize,
    /// Drafts in the store for the window's long-list figure.
    #[arg(long, default_value_t = 10_000)]
    list_drafts: usize,
    /// Drafts in the store searched.
    #[arg(long, default_value_t = 100_000)]
    search_drafts: usize,
    /// Items in the office whose inbox is paged.
    #[arg(long, default_value_t = 100_000)]
    office_items: usize,
    /// Items in each backend's office whose inbox the `postgres` group pages.
    #[arg(long, default_value_t = 1_000_000)]
    postgres_inbox_items: usize,
    /// Items sent in each ingest turn, and by how many clients at once.
    #[arg(long, default_value_t = 1000)]
    ingest_items: usize,
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Items drained per turn, and the size of the large upload in MB.
    #[arg(long, default_value_t = 1000)]
    drain_items: usize,
    #[arg(long, default_value_t = 200)]
    upload_mb: usize,
    /// Keystrokes saved with the desk idle (the typing rows' floor), and at least as many during
    /// the sync rounds: a p99 of 2,000 rests on the 20 slowest.
    #[arg(long, default_value_t = 2000)]
    keystrokes: usize,
    /// Where seeded stores are kept between runs (seeding 100,000 items takes a while).
    #[arg(long)]
    cache: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let target = target_dir()?;
    let cache = args
        .cache
        .clone()
        .unwrap_or_else(|| target.join("liaison-bench"));
    std::fs::create_dir_all(&cache)?;
    let wants = |group: &str| args.only.iter().any(|g| g == group);
    let mut rows = Vec::new();

    if wants("window") {
        let office = OfficeProcess::start_demo_of(&sibling_binary("liaison-office")?);
        rows.extend(window::rows(&office, args.turns, args.list_drafts).await?);
    }
    if wants("store") {
        rows.extend(store::rows(&cache, args.search_drafts)?);
    }
    if wants("office") {
        rows.extend(
            office::rows(
                &cache,
                args.turns.min(3),
                args.ingest_items,
                args.clients,
                args.office_items,
            )
            .await?,
        );
    }
    if wants("send") {
        let office = OfficeProcess::start_demo_of(&sibling_binary("liaison-office")?);
        rows.extend(
            send::rows(&office, args.drain_items, args.upload_mb, args.turns.min(3)).await?,
        );
    }
    if wants("typing") {
        let office = sibling_binary("liaison-office")?;
        rows.extend(typing::rows(&office, args.upload_mb, args.keystrokes).await?);
    }
    // `postgres` is both halves; `postgres-ingest` or `postgres-inbox` one of them.
    if wants("postgres") || wants("postgres-ingest") {
        rows.extend(
            postgres::ingest_rows(args.turns.min(3), args.ingest_items, args.clients).await?,
        );
    }
    if wants("postgres") || wants("postgres-inbox") {
        rows.extend(postgres::inbox_rows(&cache, args.postgres_inbox_items).await?);
    }

    let table = table::markdown(&rows);
    println!("\n{table}");
    std::fs::write(cache.join("table.md"), &table)?;
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| !r.met())
        .map(|r| r.figure.as_str())
        .collect();
    if !missed.is_empty() {
        println!("targets missed: {}", missed.join("; "));
    }
    Ok(())
}

/// The target folder this benchmark was built into.
fn target_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("the benchmark's target folder")
}

/// A binary built next to this one (the same profile).
fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("the bench binary's folder")?;
    for path in [dir.join(name), dir.join("examples").join(name)] {
        if path.exists() {
            return Ok(path);
        }
    }
    bail!("{name} is not built next to {}", dir.display())
}

/// Writes what the page cache holds to disk, so one side's writes do not land in the other's time.
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

/// A PNG-looking image of `len` bytes, different every time.
fn image(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let head = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    v[..head.len()].copy_from_slice(head);
    rng.fill_bytes(&mut v[head.len()..]);
    v
}

/// About 2 KB of realistic Chinese body, the `n`th of a fixed sequence.
fn body_2kb(n: usize) -> String {
    liaison_sample::Writer::new(n as u64).item(2048).body_html
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A desk engine in `dir`, signed in (its token under the keyring `service`).
async fn signed_in_desk(
    dir: &Path,
    service: &str,
    office_url: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<Desk> {
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: service.to_owned(),
    })?;
    desk.sign_in(office_url, login, password).await?;
    Ok(desk)
}
