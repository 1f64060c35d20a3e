//! The desk's local store: saving a draft, and searching 100,000 drafts, each against raw
//! rusqlite on the same database file (a second connection, opened with the same pragmas).
//!
//! criterion drives the calls (warm-up, then samples); every call made after the warm-up is also
//! timed on its own into a histogram, which gives the table its p50 and p99.

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use criterion::Criterion;
use hdrhistogram::Histogram;
use liaison_desk::{Desk, DeskConfig};
use liaison_sample::TOPICS;
use rusqlite::params;

use crate::table::{Row, Target};

const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(8);

/// Per-call times of one side, recorded after the warm-up.
struct Calls {
    since: Instant,
    times: Histogram<u64>,
    failure: Option<String>,
}

impl Calls {
    fn new() -> anyhow::Result<RefCell<Calls>> {
        Ok(RefCell::new(Calls {
            since: Instant::now(),
            times: Histogram::new(3)?,
            failure: None,
        }))
    }

    /// Runs `call` `iters` times, recording each; criterion gets the total.
    fn run<E: std::fmt::Display>(
        cell: &RefCell<Calls>,
        iters: u64,
        mut call: impl FnMut(u64) -> Result<(), E>,
    ) -> Duration {
        let mut total = Duration::ZERO;
        let mut calls = cell.borrow_mut();
        let warm = calls.since.elapsed() > WARM_UP;
        for i in 0..iters {
            let t = Instant::now();
            let result = call(i);
            let took = t.elapsed();
            total += took;
            match result {
                Ok(()) if warm => {
                    let _ = calls.times.record(took.as_nanos() as u64);
                }
                Ok(()) => {}
                Err(e) => {
                    calls.failure.get_or_insert_with(|| e.to_string());
                }
            }
        }
        total
    }

    /// The `q` quantile in milliseconds, or the first failure.
    fn ms(cell: &RefCell<Calls>, q: f64) -> anyhow::Result<f64> {
        let calls = cell.borrow();
        if let Some(f) = &calls.failure {
            bail!("{f}");
        }
        if calls.times.is_empty() {
            bail!("no calls were timed");
        }
        Ok(calls.times.value_at_quantile(q) as f64 / 1e6)
    }

    fn count(cell: &RefCell<Calls>) -> u64 {
        cell.borrow().times.len()
    }
}

fn criterion() -> Criterion {
    Criterion::default()
        .without_plots()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASURE)
        .sample_size(50)
}

pub fn rows(cache: &Path, search_drafts: usize) -> anyhow::Result<Vec<Row>> {
    let mut rows = save_rows()?;
    rows.push(search_row(cache, search_drafts)?);
    Ok(rows)
}

fn open_desk(dir: &Path) -> anyhow::Result<Desk> {
    Ok(Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: "liaison-bench-store".into(),
    })?)
}

/// Saving a 2 KB Chinese draft through the desk engine (its autosave path), against a raw
/// `UPDATE` of the same row's title, body and time in the same table. Both durable
/// (WAL, `synchronous=FULL`); each call writes a body different from the one before.
fn save_rows() -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let desk = open_desk(dir.path())?;
    let mut writer = liaison_sample::Writer::new(5);
    let bodies: Vec<(String, String)> = (0..16)
        .map(|_| {
            let item = writer.item(2048);
            (item.title, item.body_html)
        })
        .collect();
    let ours = desk.create_draft(None)?.id;
    let theirs = desk.create_draft(None)?.id;
    let raw = liaison_sqlite::open(&dir.path().join("desk.db"))?;

    let liaison = Calls::new()?;
    let floor = Calls::new()?;
    let mut c = criterion();
    let mut group = c.benchmark_group("save a draft (2 KB Chinese)");
    group.bench_function("Liaison", |b| {
        b.iter_custom(|iters| {
            Calls::run(&liaison, iters, |i| {
                let (title, body) = &bodies[i as usize % bodies.len()];
                desk.save_draft(&ours, None, title, body).map(|_| ())
            })
        })
    });
    group.bench_function("raw rusqlite UPDATE", |b| {
        b.iter_custom(|iters| {
            Calls::run(&floor, iters, |i| {
                let (title, body) = &bodies[i as usize % bodies.len()];
                let now = chrono::Utc::now().to_rfc3339();
                raw.execute(
                    "UPDATE drafts SET title = ?1, body_html = ?2, updated_at = ?3 WHERE id = ?4",
                    params![title, body, now, theirs],
                )
                .map(|_| ())
            })
        })
    });
    group.finish();
    println!(
        "save: {} Liaison calls, {} raw calls timed",
        Calls::count(&liaison),
        Calls::count(&floor)
    );
    let mut rows = Vec::new();
    for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
        let (l, f) = (Calls::ms(&liaison, q)?, Calls::ms(&floor, q)?);
        rows.push(Row {
            figure: format!("save a draft (2 KB Chinese), durable, {name}"),
            liaison: format!("{l:.3} ms"),
            floor: format!("raw rusqlite UPDATE, same pragmas: {f:.3} ms"),
            ratio: Some(l / f),
            value: l,
            target: Target::RatioAtMost(1.5),
        });
    }
    Ok(rows)
}

/// A desk store holding `count` sample drafts, indexed; kept in `cache` between runs.
fn seeded_store(cache: &Path, count: usize) -> anyhow::Result<std::path::PathBuf> {
    let dir = cache.join(format!("desk-{count}-drafts"));
    let marker = dir.join("seeded");
    if !marker.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        println!(
            "seeding a desk store with {count} drafts (kept in {})",
            dir.display()
        );
        let t = Instant::now();
        let desk = open_desk(&dir)?;
        desk.seed_drafts(count, 2048, 11)?;
        std::fs::write(&marker, "")?;
        println!("seeded and indexed in {:.1} s", t.elapsed().as_secs_f64());
    }
    Ok(dir)
}

/// The first page of a search for a four-character term (each term is in about one draft in
/// twenty), through the desk engine and as one raw FTS5 trigram query on the same index, with the
/// same page: 50 hits, newest first, with their titles and marked passages.
fn search_row(cache: &Path, count: usize) -> anyhow::Result<Row> {
    let dir = seeded_store(cache, count)?;
    let desk = open_desk(&dir)?;
    let raw = liaison_sqlite::open(&dir.join("desk.db"))?;
    let page = desk.search(TOPICS[0].term, 50)?;
    if page.len() != 50 {
        bail!("the search found {} drafts, not a full page", page.len());
    }
    let mut stmt = raw
        .prepare(
            "SELECT draft_id, title, snippet(draft_search, -1, char(2), char(3), '…', 24)
             FROM draft_search WHERE draft_search MATCH ?1 ORDER BY rowid DESC LIMIT 50",
        )
        .context("the raw query")?;

    let liaison = Calls::new()?;
    let floor = Calls::new()?;
    let mut c = criterion();
    let mut group = c.benchmark_group(format!("search {count} drafts, first page"));
    group.bench_function("Liaison", |b| {
        b.iter_custom(|iters| {
            Calls::run(&liaison, iters, |i| {
                let term = TOPICS[i as usize % TOPICS.len()].term;
                desk.search(term, 50).map(|hits| {
                    std::hint::black_box(hits);
                })
            })
        })
    });
    group.bench_function("raw FTS5 trigram query", |b| {
        b.iter_custom(|iters| {
            Calls::run(&floor, iters, |i| {
                let term = format!("\"{}\"", TOPICS[i as usize % TOPICS.len()].term);
                stmt.query_map([term], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map(|hits| {
                    std::hint::black_box(hits);
                })
            })
        })
    });
    group.finish();
    let (l50, f50) = (Calls::ms(&liaison, 0.5)?, Calls::ms(&floor, 0.5)?);
    let (l99, f99) = (Calls::ms(&liaison, 0.99)?, Calls::ms(&floor, 0.99)?);
    Ok(Row {
        figure: format!(
            "search {count} drafts (2 KB Chinese) for a 4-character term, first page of 50"
        ),
        liaison: format!("p50 {l50:.2} ms, p99 {l99:.2} ms"),
        floor: format!("raw FTS5 trigram query: p50 {f50:.2} ms, p99 {f99:.2} ms"),
        ratio: Some(l50 / f50),
        value: l99,
        target: Target::RatioAtMostAndUnder(1.5, 50.0, "ms (p99)"),
    })
}
