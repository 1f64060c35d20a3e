//! The office: ingest from many desks at once against a bare axum handler writing the same rows,
//! and the editors' inbox over 100,000 items.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{patch, post};
use hdrhistogram::Histogram;
use liaison_tests::{DemoSeat, OfficeProcess};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::send::Bare;
use crate::table::{Row, Stats, Target};
use crate::{image, settle, sibling_binary};

pub async fn rows(
    cache: &Path,
    turns: usize,
    items: usize,
    clients: usize,
    office_items: usize,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = vec![ingest_row(turns, items, clients).await?];
    rows.extend(inbox_rows(cache, office_items).await?);
    Ok(rows)
}

// --- ingest ------------------------------------------------------------------------------------

/// `items` items (2 KB of Chinese and a 100 KB image each) sent by `clients` clients at once,
/// each its own connection and session, as the desk sends: announce the image, send its bytes,
/// send the item. Liaison's office and the bare handler take turns, each on a fresh database.
async fn ingest_row(turns: usize, items: usize, clients: usize) -> anyhow::Result<Row> {
    let office_binary = sibling_binary("liaison-office")?;
    let images = ingest_images(items);
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for turn in 0..=turns {
        let rate = sqlite_office_rate(&office_binary, &images, items, clients).await?;
        let floor_rate = floor_rate(&images, items, clients).await?;
        println!(
            "ingest turn {turn}: office {rate:.1} items/s, bare axum handler {floor_rate:.1} items/s"
        );
        if turn > 0 {
            ours.push(rate);
            bare.push(floor_rate);
        }
    }
    let (l, f) = (Stats::of(&ours), Stats::of(&bare));
    Ok(Row {
        figure: format!(
            "office ingest: {items} items (2 KB + 100 KB image) from {clients} concurrent clients"
        ),
        liaison: l.show(1, "items/s"),
        floor: format!(
            "bare axum handler writing the same rows: {}",
            f.show(1, "items/s")
        ),
        ratio: Some(l.median / f.median),
        value: l.median,
        target: Target::RatioAtLeast(0.6),
    })
}

/// The images the ingest sends, one of 100 KB per item, the same in every run.
pub(crate) fn ingest_images(items: usize) -> Arc<Vec<Vec<u8>>> {
    let mut rng = StdRng::seed_from_u64(50);
    Arc::new((0..items).map(|_| image(&mut rng, 100 * 1024)).collect())
}

/// One ingest turn on a fresh demo office on SQLite: items per second.
pub(crate) async fn sqlite_office_rate(
    office_binary: &Path,
    images: &Arc<Vec<Vec<u8>>>,
    items: usize,
    clients: usize,
) -> anyhow::Result<f64> {
    let office = OfficeProcess::start_demo_of(office_binary);
    let senders = senders(&office.url, &office.seats, clients).await?;
    settle();
    drive(senders, images.clone(), items).await
}

/// One ingest turn on a fresh bare handler: items per second (every item checked stored).
pub(crate) async fn floor_rate(
    images: &Arc<Vec<Vec<u8>>>,
    items: usize,
    clients: usize,
) -> anyhow::Result<f64> {
    let floor = FloorOffice::start().await?;
    let senders = (0..clients)
        .map(|_| (floor.client(), floor.column))
        .collect();
    settle();
    let rate = drive(senders, images.clone(), items).await?;
    floor.check(items)?;
    Ok(rate)
}

/// `clients` clients of the office at `url`, each signed in on its own connection, as the
/// officers of the demo departments that sign off in the app (their items need no paper form;
/// an attested department's would be refused without one), each with its first column.
pub(crate) async fn senders(
    url: &str,
    seats: &[DemoSeat],
    clients: usize,
) -> anyhow::Result<Vec<(Bare, i64)>> {
    let mut in_app = Vec::new();
    for seat in seats.iter().filter(|s| s.role.as_str() == "officer") {
        let client = Bare::new(url, &seat.login, &seat.password).await?;
        if client.signoff_policy().await? == "in_app" {
            in_app.push((seat, client.first_column().await?));
        }
    }
    if in_app.is_empty() {
        bail!("no demo department signs off in the app");
    }
    let mut senders = Vec::new();
    for n in 0..clients {
        let (seat, column) = in_app[n % in_app.len()];
        senders.push((Bare::new(url, &seat.login, &seat.password).await?, column));
    }
    Ok(senders)
}

/// Sends `items` items through `senders` at once; items per second.
pub(crate) async fn drive(
    senders: Vec<(Bare, i64)>,
    images: Arc<Vec<Vec<u8>>>,
    items: usize,
) -> anyhow::Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (client, column) in senders {
        let next = next.clone();
        let images = images.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= items {
                    return anyhow::Ok(());
                }
                let image = &images[n];
                client.upload_whole(image.clone(), "图.png").await?;
                client.submit(n, column, image).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(items as f64 / started.elapsed().as_secs_f64())
}

/// The floor: an axum server answering the same three requests, writing what the office writes
/// for them (the upload's row and bytes, synced; the item's row, its file, its first timeline
/// entry and the change for the desks) with rusqlite into a database of the office's own schema,
/// and nothing else: no sessions, no checks, no audit.
struct FloorOffice {
    url: String,
    column: i64,
    db: Arc<Mutex<Connection>>,
    _dir: tempfile::TempDir,
}

struct Floor {
    db: Arc<Mutex<Connection>>,
    blobs: PathBuf,
    seat: i64,
    department: i64,
    holder: String,
}

impl FloorOffice {
    async fn start() -> anyhow::Result<FloorOffice> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("office.db");
        {
            let store = liaison_office::SqliteStore::open(&path)?;
            liaison_office::demo::seed(&store, chrono::Utc::now())?;
        }
        let conn = liaison_sqlite::open(&path)?;
        let (seat, department, holder, column): (i64, i64, String, i64) = conn.query_row(
            "SELECT s.id, s.department_id, s.holder_name, c.id FROM seats s
             JOIN columns c ON c.department_id = s.department_id
             WHERE s.login = 'jyj.officer' AND c.feed = 'submission' ORDER BY c.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let blobs = dir.path().join("files").join("blobs");
        std::fs::create_dir_all(&blobs)?;
        let db = Arc::new(Mutex::new(conn));
        let state = Arc::new(Floor {
            db: db.clone(),
            blobs,
            seat,
            department,
            holder,
        });
        let app = axum::Router::new()
            .route("/api/v1/uploads", post(floor_begin))
            .route("/api/v1/uploads/{sha256}", patch(floor_append))
            .route("/api/v1/items", post(floor_submit))
            .layer(axum::extract::DefaultBodyLimit::max(16 << 20))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FloorOffice {
            url,
            column,
            db,
            _dir: dir,
        })
    }

    fn client(&self) -> Bare {
        Bare {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", self.url),
            token: "floor".into(),
        }
    }

    /// Every item arrived, with its file.
    fn check(&self, items: usize) -> anyhow::Result<()> {
        let db = self.db.lock().map_err(|_| anyhow::anyhow!("floor lock"))?;
        let stored: i64 = db.query_row("SELECT count(*) FROM item_files", [], |r| r.get(0))?;
        if stored as usize != items {
            bail!("the floor stored {stored} of {items} items");
        }
        Ok(())
    }
}

type Answer = Result<(StatusCode, Json<Value>), (StatusCode, String)>;

fn failed(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn floor_begin(State(floor): State<Arc<Floor>>, Json(body): Json<Value>) -> Answer {
    tokio::task::spawn_blocking(move || {
        let db = floor.db.lock().map_err(failed)?;
        db.execute(
            "INSERT INTO uploads (seat_id, sha256, size, name, started_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
            params![floor.seat, body["sha256"].as_str(), body["size"].as_u64(), body["name"].as_str(), now()],
        )
        .map_err(failed)?;
        Ok((StatusCode::CREATED, Json(json!({"offset": 0}))))
    })
    .await
    .map_err(failed)?
}

async fn floor_append(
    State(floor): State<Arc<Floor>>,
    UrlPath(sha256): UrlPath<String>,
    bytes: axum::body::Bytes,
) -> Answer {
    tokio::task::spawn_blocking(move || {
        let partial = floor.blobs.join(format!("{sha256}.part"));
        let blob = floor.blobs.join(&sha256);
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&partial).map_err(failed)?;
            file.write_all(&bytes).map_err(failed)?;
            file.sync_data().map_err(failed)?;
        }
        std::fs::rename(&partial, &blob).map_err(failed)?;
        std::fs::File::open(&floor.blobs)
            .and_then(|d| d.sync_all())
            .map_err(failed)?;
        let db = floor.db.lock().map_err(failed)?;
        db.execute(
            "UPDATE uploads SET mime = 'image/png', completed_at = ?1 WHERE seat_id = ?2 AND sha256 = ?3",
            params![now(), floor.seat, sha256],
        )
        .map_err(failed)?;
        Ok((StatusCode::OK, Json(json!({"offset": bytes.len(), "complete": true}))))
    })
    .await
    .map_err(failed)?
}

async fn floor_submit(State(floor): State<Arc<Floor>>, Json(body): Json<Value>) -> Answer {
    tokio::task::spawn_blocking(move || {
        let mut db = floor.db.lock().map_err(failed)?;
        let tx = db.transaction().map_err(failed)?;
        let at = now();
        let id: i64 = tx
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM items", [], |r| r.get(0))
            .map_err(failed)?;
        let receipt = format!("FLOOR-{id:06}");
        tx.execute(
            "INSERT INTO items (id, receipt, seat_id, idempotency_key, payload_sha256, draft_key, version,
                                department_id, column_id, holder_name, title, body_html, state,
                                delivered_at, waiting_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, 'delivered', ?12, ?12)",
            params![
                id,
                receipt,
                floor.seat,
                body["draft_key"].as_str(),
                body["draft_key"].as_str(),
                body["draft_key"].as_str(),
                floor.department,
                body["column_id"].as_i64(),
                floor.holder,
                body["title"].as_str(),
                body["body_html"].as_str(),
                at
            ],
        )
        .map_err(failed)?;
        for (position, file) in body["attachments"].as_array().into_iter().flatten().enumerate() {
            tx.execute(
                "INSERT INTO item_files (item_id, position, sha256, name, size, mime)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, position + 1, file["sha256"].as_str(), file["name"].as_str(), file["size"].as_u64(), file["mime"].as_str()],
            )
            .map_err(failed)?;
        }
        tx.execute(
            "INSERT INTO item_events (item_id, at, kind, seat_id, actor, actor_role, text)
             VALUES (?1, ?2, 'delivered', ?3, ?4, 'officer', ?5)",
            params![id, at, floor.seat, floor.holder, receipt],
        )
        .map_err(failed)?;
        tx.execute(
            "INSERT INTO changes (department_id, at, payload_json) VALUES (?1, ?2, ?3)",
            params![floor.department, at, json!({"item_delivered": id}).to_string()],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok((StatusCode::CREATED, Json(json!({"id": id, "receipt": receipt}))))
    })
    .await
    .map_err(failed)?
}

// --- inbox ---------------------------------------------------------------------------------------

/// An office holding `count` seeded items; kept in `cache` between runs and copied for each.
pub(crate) fn seeded_office(cache: &Path, count: usize) -> anyhow::Result<PathBuf> {
    let dir = cache.join(format!("office-{count}-items"));
    let marker = dir.join("seeded");
    if !marker.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        println!(
            "seeding an office with {count} items (kept in {})",
            dir.display()
        );
        let started = Instant::now();
        let status = std::process::Command::new(sibling_binary("liaison-office")?)
            .args(["admin", "seed", "--items", &count.to_string(), "--data"])
            .arg(&dir)
            .env("RUST_LOG", "warn")
            .status()?;
        if !status.success() {
            bail!("admin seed failed: {status}");
        }
        std::fs::write(&marker, "")?;
        println!(
            "seeded {count} items in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(dir)
}

/// A copy of the seeded office of `count` items, for one run to serve (and write to).
pub(crate) fn copied_office(cache: &Path, count: usize) -> anyhow::Result<tempfile::TempDir> {
    let seeded = seeded_office(cache, count)?;
    let data = tempfile::tempdir()?;
    for entry in std::fs::read_dir(&seeded)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), data.path().join(entry.file_name()))?;
        }
    }
    Ok(data)
}

/// One page of the inbox an editor asks for: a state (or `all`), perhaps a department, a column
/// or a month (June 2026, Beijing dates), and which page (0 the first); 50 a page.
#[derive(Debug, Clone)]
pub(crate) struct InboxAsk {
    pub(crate) state: &'static str,
    pub(crate) department_id: Option<i64>,
    pub(crate) column_id: Option<i64>,
    pub(crate) june: bool,
    pub(crate) page: u32,
}

/// Rows per page, as the console shows them.
pub(crate) const PAGE: u32 = 50;

impl InboxAsk {
    /// The filters as the API and the console take them (the page aside).
    fn query(&self) -> String {
        let mut q = format!("state={}", self.state);
        if let Some(d) = self.department_id {
            q.push_str(&format!("&department_id={d}"));
        }
        if let Some(c) = self.column_id {
            q.push_str(&format!("&column_id={c}"));
        }
        if self.june {
            q.push_str("&from=2026-06-01&to=2026-06-30");
        }
        q
    }
}

/// What a floor answered for one page: the ids listed (to check it asked what the office was
/// asked), the time of the page's query and of the page's query with the counts per state.
pub(crate) struct RawAnswer {
    pub(crate) ids: Vec<i64>,
    pub(crate) page: Duration,
    pub(crate) with_counts: Duration,
}

/// Each kind of inbox page timed, in microseconds; the raw ones are empty without a floor.
pub(crate) struct InboxTimes {
    pub(crate) api: Histogram<u64>,
    pub(crate) console: Histogram<u64>,
    pub(crate) raw_page: Histogram<u64>,
    pub(crate) raw_with_counts: Histogram<u64>,
}

/// Pages of the editors' inbox of the office at `url`, as editors ask for them: each state,
/// each department, six columns, a month, a later page; 50 a page, longest waiting first. Both
/// the console's page (the list, the counts per state, the filters' choices, rendered) and the
/// API's; with a `raw` floor (the same SQL straight on the database) after each. Four rounds of
/// every page, the first not counted (it warms the caches, and checks the floor lists what the
/// office lists).
pub(crate) async fn time_inbox(
    url: &str,
    editor: &DemoSeat,
    mut raw: impl AsyncFnMut(&InboxAsk) -> anyhow::Result<Option<RawAnswer>>,
) -> anyhow::Result<InboxTimes> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = format!("{url}/api/v1");
    let signed: Value = http
        .post(format!("{base}/sessions"))
        .json(&json!({"login": editor.login, "password": editor.password}))
        .send()
        .await?
        .json()
        .await?;
    let token = signed["token"].as_str().context("a token")?.to_owned();
    let console = http
        .post(format!("{url}/sign-in"))
        .form(&[("login", &editor.login), ("password", &editor.password)])
        .send()
        .await?;
    let cookie = console
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("the console's session cookie")?
        .to_owned();
    let departments: Vec<Value> = http
        .get(format!("{base}/departments"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let columns: Vec<Value> = http
        .get(format!("{base}/columns"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let mut asks = Vec::new();
    let ask = |state, department_id, column_id, june, page| InboxAsk {
        state,
        department_id,
        column_id,
        june,
        page,
    };
    for state in ["delivered", "accepted", "returned", "rejected", "all"] {
        asks.push(ask(state, None, None, false, 0));
        asks.push(ask(state, None, None, false, 10));
        for d in &departments {
            asks.push(ask(state, d["id"].as_i64(), None, false, 0));
        }
        for c in columns.iter().take(6) {
            asks.push(ask(state, None, c["id"].as_i64(), false, 0));
        }
        asks.push(ask(state, None, None, true, 0));
    }

    let mut times = InboxTimes {
        api: Histogram::new(3)?,
        console: Histogram::new(3)?,
        raw_page: Histogram::new(3)?,
        raw_with_counts: Histogram::new(3)?,
    };
    let mut listed = 0usize;
    // The slowest time of each page, API and console, over the counted rounds.
    let mut slowest = vec![(Duration::ZERO, Duration::ZERO); asks.len()];
    for round in 0..4 {
        for (n, ask) in asks.iter().enumerate() {
            let filter = ask.query();
            let t = Instant::now();
            let items: Vec<Value> = http
                .get(format!(
                    "{base}/inbox?{filter}&limit={PAGE}&offset={}",
                    ask.page * PAGE
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let api_took = t.elapsed();
            listed += items.len();
            let t = Instant::now();
            let html = http
                .get(format!("{url}/inbox?{filter}&page={}", ask.page + 1))
                .header(reqwest::header::COOKIE, &cookie)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            let console_took = t.elapsed();
            if !html.contains("</html>") {
                bail!("the console's inbox page is not a page");
            }
            let floor = raw(ask).await?;
            if round == 0 {
                if let Some(floor) = &floor {
                    let ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
                    if ids != floor.ids {
                        bail!("the floor's page for {filter} is not the office's");
                    }
                }
                continue;
            }
            times.api.record(api_took.as_micros() as u64)?;
            times.console.record(console_took.as_micros() as u64)?;
            slowest[n].0 = slowest[n].0.max(api_took);
            slowest[n].1 = slowest[n].1.max(console_took);
            if let Some(floor) = floor {
                times.raw_page.record(floor.page.as_micros() as u64)?;
                times
                    .raw_with_counts
                    .record(floor.with_counts.as_micros() as u64)?;
            }
        }
    }
    if listed == 0 {
        bail!("the inbox listed nothing");
    }
    println!("inbox: {} pages of each kind timed", times.api.len());
    let mut order: Vec<usize> = (0..asks.len()).collect();
    order.sort_by_key(|&n| std::cmp::Reverse(slowest[n].0 + slowest[n].1));
    for &n in order.iter().take(6) {
        let ask = &asks[n];
        println!(
            "  slowest: {} page {}: API {:.1} ms, console {:.1} ms",
            ask.query(),
            ask.page + 1,
            slowest[n].0.as_secs_f64() * 1000.0,
            slowest[n].1.as_secs_f64() * 1000.0
        );
    }
    Ok(times)
}

/// Milliseconds at quantile `q`.
pub(crate) fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// "p99 … ms (p50 … ms, max … ms)".
pub(crate) fn spread(h: &Histogram<u64>) -> String {
    format!(
        "p99 {:.1} ms (p50 {:.1} ms, max {:.1} ms)",
        ms(h, 0.99),
        ms(h, 0.5),
        h.max() as f64 / 1000.0
    )
}

/// Pages of the editors' inbox over `count` items (SQLite), the console's and the API's.
async fn inbox_rows(cache: &Path, count: usize) -> anyhow::Result<Vec<Row>> {
    let data = copied_office(cache, count)?;
    let office = OfficeProcess::start_demo_in(&sibling_binary("liaison-office")?, data);
    let editor = office.seat("editor", None);
    let times = time_inbox(&office.url, editor, async |_: &InboxAsk| {
        anyhow::Ok(None::<RawAnswer>)
    })
    .await?;
    let row = |what: &str, h: &Histogram<u64>| Row {
        figure: format!(
            "office inbox over {count} items, filtered and sorted, 50 a page: {what}, p99"
        ),
        liaison: spread(h),
        floor: "—".into(),
        ratio: None,
        value: ms(h, 0.99),
        target: Target::Under(100.0, "ms"),
    };
    Ok(vec![
        row(
            "the console's page (list, counts, filters, rendered)",
            &times.console,
        ),
        row("the API's page", &times.api),
    ])
}
