//! The office on PostgreSQL (issue 17), beside the office on SQLite, in the same run:
//!
//! 1. Ingest (the `office` group's workload and `drive`): one office process on PostgreSQL, one
//!    behind HAProxy, two behind HAProxy (round robin, plain HTTP), the office on SQLite and the
//!    bare axum handler (the floor), each turn on fresh databases, the five taking turns.
//! 2. The editors' inbox over 1,000,000 items on each backend (the `office` group's pages), with
//!    a floor each: the same SQL straight on the same database (rusqlite; tokio-postgres).
//!
//! The cluster runs with PostgreSQL's durable defaults (`fsync=on`, `synchronous_commit=on`), as
//! the SQLite office runs with `synchronous=FULL`. The seeded cluster is kept in the cache (as
//! the seeded SQLite offices are), under `pg-office-<count>-items/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use liaison_domain::ItemState;
use liaison_domain::calendar::beijing_midnight;
use liaison_domain::wire::StateCount;
use liaison_office::store::InboxFilter;
use liaison_office::store::inbox::{self, Dialect, InboxSql, InboxValue, PagePlan};
use liaison_pgcluster::Cluster;
use liaison_tests::{DemoSeat, OfficeProcess};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use crate::office::{
    InboxAsk, InboxTimes, PAGE, RawAnswer, copied_office, drive, floor_rate, ingest_images, ms,
    senders, spread, sqlite_office_rate, time_inbox,
};
use crate::table::{Row, Stats, Target};
use crate::{settle, sibling_binary};

// --- office processes on PostgreSQL, and HAProxy -------------------------------------------------

/// `liaison-office serve --database … --demo` on a free loopback port, killed on drop. The first
/// process on an empty database seeds the demo city and writes `demo-seats.json` into its data
/// folder; the others find it seeded.
struct PgOffice {
    child: Child,
    url: String,
    data: tempfile::TempDir,
}

impl PgOffice {
    fn start(binary: &Path, database: &str, data: tempfile::TempDir) -> anyhow::Result<PgOffice> {
        let mut child = Command::new(binary)
            .args(["serve", "--demo", "--min-free-mib", "16", "--listen"])
            .arg("127.0.0.1:0")
            .arg("--database")
            .arg(database)
            .arg("--data")
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .context("start liaison-office")?;
        let stdout = child.stdout.take().context("the office's stdout")?;
        let (tell, told) = std::sync::mpsc::channel();
        // Reads all of its output, so the process never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("liaison-office listening on ") {
                    let _ = tell.send(address.trim().to_owned());
                }
            }
        });
        let mut office = PgOffice {
            child,
            url: String::new(),
            data,
        };
        office.url = told
            .recv_timeout(Duration::from_secs(120))
            .context("the office on PostgreSQL did not listen within 120 s")?;
        Ok(office)
    }

    /// The seats of the demo city this process seeded.
    fn seats(&self) -> anyhow::Result<Vec<DemoSeat>> {
        let file = self.data.path().join("demo-seats.json");
        let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for PgOffice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy on loopback in front of office processes: plain HTTP, round robin, each request
/// balanced on its own; its statistics tell how many requests each process answered.
struct HaProxy {
    child: Child,
    port: u16,
    stats: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl HaProxy {
    fn start(offices: &[&PgOffice]) -> anyhow::Result<HaProxy> {
        let dir = tempfile::tempdir()?;
        let (port, stats) = (free_port()?, free_port()?);
        let servers: String = offices
            .iter()
            .enumerate()
            .map(|(n, o)| format!("    server office{} {}\n", n + 1, o.address()))
            .collect();
        let config = dir.path().join("haproxy.cfg");
        std::fs::write(
            &config,
            format!(
                "global
    maxconn 400
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend portal
    bind 127.0.0.1:{port}
    default_backend offices
backend offices
    balance roundrobin
{servers}listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"
            ),
        )?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("haproxy is not installed (scripts/deps.sh installs it)")?;
        let proxy = HaProxy {
            child,
            port,
            stats,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("haproxy did not listen");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(proxy)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests each office process answered with 2xx.
    async fn answered(&self) -> anyhow::Result<Vec<(String, u64)>> {
        let csv = reqwest::get(format!("http://127.0.0.1:{}/stats;csv", self.stats))
            .await?
            .text()
            .await?;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines
            .next()
            .context("haproxy's statistics")?
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let column = |name: &str| header.iter().position(|h| *h == name);
        let (px, sv, ok) = (
            column("pxname").context("pxname")?,
            column("svname").context("svname")?,
            column("hrsp_2xx").context("hrsp_2xx")?,
        );
        Ok(lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f.get(px) == Some(&"offices") && f[sv].starts_with("office"))
            .map(|f| (f[sv].to_owned(), f[ok].parse().unwrap_or(0)))
            .collect())
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

// --- ingest --------------------------------------------------------------------------------------

/// How the office on PostgreSQL is set up for one ingest turn.
#[derive(Clone, Copy, PartialEq)]
enum Setup {
    One,
    OneBehindProxy,
    TwoBehindProxy,
}

impl Setup {
    const ALL: [Setup; 3] = [Setup::One, Setup::OneBehindProxy, Setup::TwoBehindProxy];

    fn name(self) -> &'static str {
        match self {
            Setup::One => "one process",
            Setup::OneBehindProxy => "one process behind HAProxy",
            Setup::TwoBehindProxy => "two processes behind HAProxy",
        }
    }
}

/// One ingest turn on a fresh database of `cluster`, the office set up as `setup`: items per
/// second. Checks every item was stored once, and says how HAProxy spread the requests.
async fn pg_rate(
    cluster: &Cluster,
    database: &str,
    setup: Setup,
    images: &Arc<Vec<Vec<u8>>>,
    items: usize,
    clients: usize,
) -> anyhow::Result<f64> {
    let binary = sibling_binary("liaison-office")?;
    let url = cluster.create_database(database)?;
    let rate = {
        let first = PgOffice::start(&binary, &url, tempfile::tempdir()?)?;
        let seats = first.seats()?;
        // The second starts once the first has seeded the demo city, and finds it there.
        let second = match setup {
            Setup::TwoBehindProxy => Some(PgOffice::start(&binary, &url, tempfile::tempdir()?)?),
            _ => None,
        };
        let offices: Vec<&PgOffice> = std::iter::once(&first).chain(second.as_ref()).collect();
        let proxy = match setup {
            Setup::One => None,
            _ => Some(HaProxy::start(&offices)?),
        };
        let front = proxy.as_ref().map_or(first.url.clone(), HaProxy::url);
        let senders = senders(&front, &seats, clients).await?;
        settle();
        let rate = drive(senders, images.clone(), items).await?;
        if let Some(proxy) = &proxy {
            let answered = proxy.answered().await?;
            let spread: Vec<String> = answered.iter().map(|(s, n)| format!("{s} {n}")).collect();
            println!(
                "  {}: requests answered: {}",
                setup.name(),
                spread.join(", ")
            );
            if setup == Setup::TwoBehindProxy && answered.iter().filter(|(_, n)| *n > 0).count() < 2
            {
                bail!("HAProxy sent every request to one office process");
            }
        }
        let db = connect(&url).await?;
        let stored: i64 = db
            .query_one(
                "SELECT count(*) FROM items WHERE title LIKE '基准简报 %'",
                &[],
            )
            .await?
            .get(0);
        if stored as usize != items {
            bail!("{}: {stored} of {items} items stored", setup.name());
        }
        rate
    };
    // The offices are gone: the database goes too.
    let admin = connect(&cluster.url("postgres")).await?;
    admin
        .batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .await?;
    Ok(rate)
}

/// Ingest from `clients` clients at once: the bare handler, the office on SQLite and the office
/// on PostgreSQL set up three ways, taking turns, each turn on fresh databases; one warm-up turn
/// and `turns` counted; medians, each against the bare handler's.
pub async fn ingest_rows(turns: usize, items: usize, clients: usize) -> anyhow::Result<Vec<Row>> {
    let office_binary = sibling_binary("liaison-office")?;
    let images = ingest_images(items);
    let cluster = Cluster::start_durable()?;
    let (mut bare, mut sqlite) = (Vec::new(), Vec::new());
    let mut pg: Vec<Vec<f64>> = vec![Vec::new(); Setup::ALL.len()];
    for turn in 0..=turns {
        let floor = floor_rate(&images, items, clients).await?;
        let on_sqlite = sqlite_office_rate(&office_binary, &images, items, clients).await?;
        let mut line = format!(
            "ingest turn {turn}: bare axum handler {floor:.1} items/s, SQLite office {on_sqlite:.1}"
        );
        let mut on_pg = Vec::new();
        for (n, setup) in Setup::ALL.into_iter().enumerate() {
            let rate = pg_rate(
                &cluster,
                &format!("ingest_{turn}_{n}"),
                setup,
                &images,
                items,
                clients,
            )
            .await?;
            line.push_str(&format!(", PostgreSQL {} {rate:.1}", setup.name()));
            on_pg.push(rate);
        }
        println!("{line} items/s");
        if turn > 0 {
            bare.push(floor);
            sqlite.push(on_sqlite);
            for (all, rate) in pg.iter_mut().zip(on_pg) {
                all.push(rate);
            }
        }
    }
    let f = Stats::of(&bare);
    let row = |what: String, rates: &[f64]| {
        let l = Stats::of(rates);
        Row {
            figure: format!(
                "office ingest, {what}: {items} items (2 KB + 100 KB image) from {clients} concurrent clients"
            ),
            liaison: l.show(1, "items/s"),
            floor: format!(
                "bare axum handler writing the same rows (SQLite): {}",
                f.show(1, "items/s")
            ),
            ratio: Some(l.median / f.median),
            value: l.median,
            target: Target::RatioAtLeast(0.6),
        }
    };
    let mut rows = vec![row("SQLite, one process".into(), &sqlite)];
    for (setup, rates) in Setup::ALL.into_iter().zip(&pg) {
        rows.push(row(
            format!("PostgreSQL (durable), {}", setup.name()),
            rates,
        ));
    }
    Ok(rows)
}

// --- the inbox over 1,000,000 items --------------------------------------------------------------

/// A PostgreSQL cluster (durable) whose database `office` holds the demo city and `count` items,
/// spread as `liaison-office admin seed` spreads them; kept in `cache` between runs. Returns the
/// cluster, started, and the demo city's `demo-seats.json`.
async fn seeded_cluster(cache: &Path, count: usize) -> anyhow::Result<(Cluster, PathBuf)> {
    let dir = cache.join(format!("pg-office-{count}-items"));
    let (marker, seats_file) = (dir.join("seeded"), dir.join("demo-seats.json"));
    if !marker.exists() && dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let cluster = Cluster::start_kept(&dir.join("cluster"), true)?;
    if !marker.exists() {
        println!(
            "seeding PostgreSQL with {count} items (kept in {})",
            dir.display()
        );
        let started = Instant::now();
        let url = cluster.create_database("office")?;
        {
            // The demo city, as an office process seeds it.
            let office = PgOffice::start(
                &sibling_binary("liaison-office")?,
                &url,
                tempfile::tempdir()?,
            )?;
            std::fs::copy(office.data.path().join("demo-seats.json"), &seats_file)?;
        }
        seed_items(&url, count).await?;
        std::fs::write(&marker, "")?;
        println!(
            "seeded PostgreSQL with {count} items in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok((cluster, seats_file))
}

/// Distinct titles and bodies the seeded items take theirs from (bodies of about 2 KB).
const TEXTS: i32 = 5000;

/// Items go in batches of this many, each its own transaction.
const BATCH: i64 = 100_000;

/// Inserts `count` items into the office at `url` in SQL (`INSERT … SELECT … FROM
/// generate_series`), spread as `liaison-office admin seed` spreads them: sent by the officers of
/// the departments that sign off in the app into their departments' columns, at times over the
/// year before now; one in twenty still awaiting its sign-off (no `waiting_since`), the others
/// signed off an hour later (`waiting_since`, `signed_off_by`) and then, three hours after
/// sending, a tenth left waiting, a tenth returned, one in twenty rejected and the rest accepted
/// (those decided after now still waiting). Titles and 2 KB bodies of realistic Chinese from
/// `liaison-sample`, 5,000 different ones. The timeline, changes and audit entries the office
/// would also write are not made: the inbox reads none of them.
async fn seed_items(url: &str, count: usize) -> anyhow::Result<()> {
    let db = connect(url).await?;
    let mut writer = liaison_sample::Writer::new(7);
    let (mut ns, mut titles, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for n in 1..=TEXTS {
        let item = writer.item(2048);
        ns.push(n);
        titles.push(item.title);
        bodies.push(item.body_html);
    }
    db.batch_execute(
        "SELECT setseed(0.2026);
         CREATE TEMP TABLE bench_texts (n integer PRIMARY KEY, title text NOT NULL, body text NOT NULL);
         CREATE TEMP TABLE bench_senders AS
             SELECT (row_number() OVER (ORDER BY o.id) - 1)::integer AS k, o.id AS officer,
                    o.department_id AS department, o.holder_name AS officer_name,
                    r.holder_name AS responsible_name
             FROM seats o
             JOIN departments d ON d.id = o.department_id
             JOIN seats r ON r.login = replace(o.login, '.officer', '.responsible')
             WHERE o.role = 'officer' AND o.login LIKE '%.officer' AND d.signoff = 'in_app';
         CREATE TEMP TABLE bench_columns AS
             SELECT s.k, (row_number() OVER (PARTITION BY s.k ORDER BY c.id) - 1)::integer AS j,
                    c.id AS column_id, (count(*) OVER (PARTITION BY s.k))::integer AS n
             FROM bench_senders s JOIN columns c ON c.department_id = s.department
             WHERE c.feed IN ('submission', 'co_editing') AND c.retired_at IS NULL;
         DELETE FROM bench_senders s WHERE NOT EXISTS (SELECT 1 FROM bench_columns c WHERE c.k = s.k);",
    )
    .await?;
    db.execute(
        "INSERT INTO bench_texts SELECT * FROM unnest($1::integer[], $2::text[], $3::text[])",
        &[&ns, &titles, &bodies],
    )
    .await?;
    let senders: i64 = db
        .query_one("SELECT count(*) FROM bench_senders", &[])
        .await?
        .get(0);
    let senders = senders as i32;
    if senders == 0 {
        bail!("no demo department signs off in the app");
    }
    let editor: i64 = db
        .query_one("SELECT id FROM seats WHERE login = 'bjb.editor'", &[])
        .await?
        .get(0);
    let first: i64 = db
        .query_one("SELECT coalesce(max(id), 0) FROM items", &[])
        .await?
        .get(0);
    let now = Utc::now();
    let insert = db
        .prepare(
            "WITH base AS MATERIALIZED (
                 SELECT g AS n, random() AS r_sender, random() AS r_column, random() AS r_day,
                        random() AS r_minute, random() AS r_signoff, random() AS r_review,
                        random() AS r_text
                 FROM generate_series($1::bigint, $2::bigint) g
             ), picked AS (
                 SELECT $3::bigint + b.n AS id, s.officer, s.department, s.officer_name,
                        s.responsible_name, c.column_id,
                        $4::timestamptz - make_interval(days => floor(b.r_day * 365)::integer,
                                                        mins => floor(b.r_minute * 1440)::integer) AS at,
                        floor(b.r_signoff * 20)::integer AS signoff,
                        floor(b.r_review * 20)::integer AS review,
                        1 + floor(b.r_text * $5::integer)::integer AS text
                 FROM base b
                 JOIN bench_senders s ON s.k = floor(b.r_sender * $6::integer)::integer
                 JOIN bench_columns c ON c.k = s.k AND c.j = floor(b.r_column * c.n)::integer
             ), decided AS (
                 SELECT p.*,
                        CASE WHEN p.signoff = 0 THEN 'awaiting_signoff'
                             WHEN p.at + interval '3 hours' > $4::timestamptz THEN 'delivered'
                             WHEN p.review IN (0, 1) THEN 'delivered'
                             WHEN p.review IN (2, 3) THEN 'returned'
                             WHEN p.review = 4 THEN 'rejected'
                             ELSE 'accepted' END AS state
                 FROM picked p
             )
             INSERT INTO items (id, receipt, seat_id, idempotency_key, payload_sha256, draft_key,
                                version, department_id, column_id, holder_name, title, body_html,
                                state, delivered_at, published_url, review_comment, reviewed_at,
                                reviewed_by, signed_off_by, waiting_since, published_at)
             SELECT d.id,
                    'LS-' || to_char(d.at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
                        || lpad(d.id::text, greatest(6, length(d.id::text)), '0'),
                    d.officer, 'seed-pg-' || d.id,
                    encode(sha256(convert_to('seed-pg-' || d.id, 'UTF8')), 'hex'),
                    'seed-pg-' || d.id, 1, d.department, d.column_id, d.officer_name,
                    t.title, t.body, d.state, d.at,
                    CASE WHEN d.state = 'accepted' THEN
                        'https://portal.demo-city.example/' || d.department || '/' || d.id || '.html'
                    END,
                    CASE d.state WHEN 'returned' THEN '请补充具体数据和联系人。'
                                 WHEN 'rejected' THEN '与栏目定位不符。' END,
                    CASE WHEN d.state IN ('accepted', 'returned', 'rejected')
                         THEN d.at + interval '3 hours' END,
                    CASE WHEN d.state IN ('accepted', 'returned', 'rejected') THEN $7::bigint END,
                    CASE WHEN d.state <> 'awaiting_signoff' THEN d.responsible_name END,
                    CASE WHEN d.state <> 'awaiting_signoff' THEN d.at + interval '1 hour' END,
                    CASE WHEN d.state = 'accepted' THEN d.at + interval '3 hours' END
             FROM decided d JOIN bench_texts t ON t.n = d.text",
        )
        .await?;
    let count = count as i64;
    let mut from = 1;
    while from <= count {
        let to = (from + BATCH - 1).min(count);
        let started = Instant::now();
        db.execute(
            &insert,
            &[&from, &to, &first, &now, &TEXTS, &senders, &editor],
        )
        .await?;
        println!(
            "  {to} / {count} items ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        from = to + 1;
    }
    db.batch_execute(
        "SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items));",
    )
    .await?;
    // As autovacuum would have, in an office that has run for a year: the visibility map set
    // and the planner's statistics current.
    let started = Instant::now();
    // (One statement each: VACUUM cannot run in the transaction a batch of statements makes.)
    db.batch_execute("VACUUM (ANALYZE) items").await?;
    db.batch_execute("CHECKPOINT").await?;
    println!(
        "  vacuumed and analysed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The store's filter for `ask`, as the API makes it.
fn filter_of(ask: &InboxAsk) -> anyhow::Result<InboxFilter> {
    let day = |m| {
        NaiveDate::from_ymd_opt(2026, m, 1)
            .map(beijing_midnight)
            .context("a day of 2026")
    };
    let state = match ask.state {
        "all" => None,
        s => Some(ItemState::parse(s).context("a state")?),
    };
    Ok(InboxFilter {
        state,
        department_id: ask.department_id,
        column_id: ask.column_id,
        from: if ask.june { Some(day(6)?) } else { None },
        until: if ask.june { Some(day(7)?) } else { None },
        limit: PAGE,
        offset: ask.page * PAGE,
    })
}

fn pg_value(v: &InboxValue) -> Box<dyn ToSql + Sync + Send> {
    match v {
        InboxValue::Id(n) | InboxValue::Number(n) => Box::new(*n),
        InboxValue::At(t) => Box::new(*t),
        InboxValue::Day(d) => Box::new(*d),
        InboxValue::Text(t) => Box::new((*t).to_owned()),
    }
}

fn sqlite_value(v: &InboxValue) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        InboxValue::Id(n) | InboxValue::Number(n) => Sql::Integer(*n),
        InboxValue::At(t) => Sql::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        InboxValue::Day(d) => Sql::Text(d.format("%Y-%m-%d").to_string()),
        InboxValue::Text(t) => Sql::Text((*t).to_owned()),
    }
}

/// How many items each state has, from a `(state, count)` answer.
fn pg_counts(rows: &[tokio_postgres::Row]) -> anyhow::Result<Vec<StateCount>> {
    rows.iter()
        .map(|r| {
            Ok(StateCount {
                state: ItemState::parse(r.try_get(0)?).context("a state")?,
                count: u64::try_from(r.try_get::<_, i64>(1)?)?,
            })
        })
        .collect()
}

/// The floor on PostgreSQL: the office's statements for the page (its counts first when they
/// choose how the page is read) and for the counts, with tokio-postgres, as the store sends them.
async fn pg_raw(db: &tokio_postgres::Client, ask: &InboxAsk) -> anyhow::Result<RawAnswer> {
    let filter = filter_of(ask)?;
    let run = async |sql: &InboxSql| -> anyhow::Result<Vec<tokio_postgres::Row>> {
        let values: Vec<Box<dyn ToSql + Sync + Send>> = sql.values.iter().map(pg_value).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as _).collect();
        Ok(db.query(&sql.sql, &refs).await?)
    };
    let started = Instant::now();
    let matching = if PagePlan::asks_counts(&filter) {
        let counts = run(&inbox::counts_sql(&filter, Dialect::Postgres)).await?;
        Some(inbox::matching(&filter, &pg_counts(&counts)?))
    } else {
        None
    };
    let page = inbox::page_sql(&filter, PagePlan::of(&filter, matching), Dialect::Postgres);
    let ids = run(&page)
        .await?
        .iter()
        .map(|r| r.try_get::<_, i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let page = started.elapsed();

    let counted = Instant::now();
    let counts = pg_counts(&run(&inbox::counts_sql(&filter, Dialect::Postgres)).await?)?;
    if counts.is_empty() && !ids.is_empty() {
        bail!("no counts for a page with items");
    }
    Ok(RawAnswer {
        ids,
        page,
        with_counts: page + counted.elapsed(),
    })
}

/// The floor on SQLite: the office's statements for the page (its counts first when they choose
/// how the page is read) and for the counts, with rusqlite on the office's file (opened as the
/// office opens it: WAL, `synchronous=FULL`), statements cached as the office caches them, every
/// column read as the office reads it.
fn sqlite_raw(db: &rusqlite::Connection, ask: &InboxAsk) -> anyhow::Result<RawAnswer> {
    let filter = filter_of(ask)?;
    let counts_of = |sql: &InboxSql| -> anyhow::Result<Vec<StateCount>> {
        let mut stmt = db.prepare_cached(&sql.sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(sql.values.iter().map(sqlite_value)),
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut counts = Vec::new();
        for row in rows {
            let (state, count) = row?;
            counts.push(StateCount {
                state: ItemState::parse(&state).context("a state")?,
                count: u64::try_from(count)?,
            });
        }
        Ok(counts)
    };
    let started = Instant::now();
    let matching = if PagePlan::asks_counts(&filter) {
        let counts = counts_of(&inbox::counts_sql(&filter, Dialect::Sqlite))?;
        Some(inbox::matching(&filter, &counts))
    } else {
        None
    };
    let page = inbox::page_sql(&filter, PagePlan::of(&filter, matching), Dialect::Sqlite);
    let mut stmt = db.prepare_cached(&page.sql)?;
    let rows = stmt.query_map(
        rusqlite::params_from_iter(page.values.iter().map(sqlite_value)),
        |r| {
            let id: i64 = r.get(0)?;
            for n in 1..14 {
                r.get::<_, rusqlite::types::Value>(n)?;
            }
            Ok(id)
        },
    )?;
    let ids = rows.collect::<Result<Vec<_>, _>>()?;
    let page = started.elapsed();

    let counted = Instant::now();
    let counts = counts_of(&inbox::counts_sql(&filter, Dialect::Sqlite))?;
    if counts.is_empty() && !ids.is_empty() {
        bail!("no counts for a page with items");
    }
    Ok(RawAnswer {
        ids,
        page,
        with_counts: page + counted.elapsed(),
    })
}

/// The inbox over `count` items on each backend, each beside its floor.
pub async fn inbox_rows(cache: &Path, count: usize) -> anyhow::Result<Vec<Row>> {
    let binary = sibling_binary("liaison-office")?;
    let mut rows = Vec::new();

    let sqlite = {
        let data = copied_office(cache, count)?;
        let office = OfficeProcess::start_demo_in(&binary, data);
        let db = liaison_sqlite::open(&office.data.path().join("office.db"))?;
        time_inbox(&office.url, office.seat("editor", None), async |ask| {
            sqlite_raw(&db, ask).map(Some)
        })
        .await?
    };
    rows.extend(inbox_pair(count, "SQLite", "rusqlite", &sqlite));

    let postgres = {
        let (cluster, seats_file) = seeded_cluster(cache, count).await?;
        let url = cluster.url("office");
        let data = tempfile::tempdir()?;
        std::fs::copy(&seats_file, data.path().join("demo-seats.json"))?;
        let office = PgOffice::start(&binary, &url, data)?;
        let seats = office.seats()?;
        let editor = seats
            .iter()
            .find(|s| s.role.as_str() == "editor")
            .context("the demo city's editor")?;
        let db = connect(&url).await?;
        let times = time_inbox(&office.url, editor, async |ask| {
            pg_raw(&db, ask).await.map(Some)
        })
        .await?;
        drop(office);
        drop(cluster);
        times
    };
    rows.extend(inbox_pair(count, "PostgreSQL", "tokio-postgres", &postgres));
    Ok(rows)
}

/// The console's page and the API's page on one backend, each against its raw queries.
fn inbox_pair(count: usize, backend: &str, driver: &str, t: &InboxTimes) -> Vec<Row> {
    let row = |what: &str, h: &hdrhistogram::Histogram<u64>, floor: &str, f| Row {
        figure: format!(
            "office inbox on {backend} over {count} items, filtered and sorted, 50 a page: {what}, p99"
        ),
        liaison: spread(h),
        floor: format!("{floor}: {}", spread(f)),
        ratio: Some(ms(h, 0.99) / ms(f, 0.99)),
        value: ms(h, 0.99),
        target: Target::Under(100.0, "ms"),
    };
    vec![
        row(
            "the console's page (list, counts, filters, rendered)",
            &t.console,
            &format!("the page's and the counts' SQL, raw {driver}"),
            &t.raw_with_counts,
        ),
        row(
            "the API's page",
            &t.api,
            &format!("the page's SQL, raw {driver}"),
            &t.raw_page,
        ),
    ]
}
