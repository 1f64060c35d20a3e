//! `liaison-office`: serve the editorial office.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use liaison_office::config::{self, Config, ServeFlags, Settings};
use liaison_office::setup::{self, OfficeState};
use liaison_office::{AppState, Clock, Store, SystemClock, demo};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "liaison-office",
    version,
    about = "Liaison editorial office server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the data folder must hold an office: see `init`, or `--demo`).
    Serve {
        /// The configuration file (TOML); the flags below override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder holding office.db (and, on PostgreSQL, the demo seats and backups).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Run on this PostgreSQL database (postgres://user@host:port/database) instead of
        /// office.db; any number of office processes may name the same one.
        #[arg(long, value_name = "URL", value_parser = liaison_office::config::database_url)]
        database: Option<String>,
        /// Address to listen on, e.g. 127.0.0.1:8480 (port 0 picks a free one). Default
        /// 127.0.0.1:8480.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Seed a demo city into an empty data folder and write demo-seats.json. Loopback only.
        #[arg(long)]
        demo: bool,
        /// A reverse proxy (its IP address) whose X-Forwarded-For and X-Forwarded-Proto headers
        /// are believed; repeat for several.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Refuse new uploads (507) while less than this many MiB are free on the data folder's
        /// filesystem (default 2048).
        #[arg(long)]
        min_free_mib: Option<u64>,
        /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
    },
    /// Create an empty office with its first administrator seat. The password is read from
    /// standard input (one line), or asked for twice when standard input is a terminal.
    Init {
        /// The configuration file (TOML), for its data folder.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder to hold office.db (created if missing; must not hold an office yet).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Create the office in this PostgreSQL database instead (it must hold no seats yet).
        #[arg(long, value_name = "URL", value_parser = liaison_office::config::database_url)]
        database: Option<String>,
        /// The administrator's login.
        #[arg(long)]
        admin: String,
        /// The name of the person who holds the administrator seat.
        #[arg(long)]
        name: String,
    },
    /// Administration on the office's data folder (the server may be running).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Check the audit log's hash chain; exits non-zero where an entry was altered or removed.
    VerifyAudit {
        #[arg(long, required_unless_present = "database")]
        data: Option<PathBuf>,
        /// The office's PostgreSQL database, for an office that runs on one.
        #[arg(long, value_name = "URL", value_parser = liaison_office::config::database_url)]
        database: Option<String>,
    },
    /// Back the office up into one new archive (office.db, the files it names, a manifest), while
    /// it serves.
    Backup {
        /// The configuration file (TOML), for its data folder and backup folder.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data: Option<PathBuf>,
        /// The archive to write; it must not exist. Default: a new archive in the configured
        /// backup folder, named as the nightly ones.
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Restore a backup into a new data folder, after checking every file of the archive.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// The new data folder; it must not hold anything yet.
        #[arg(long)]
        data: PathBuf,
    },
    /// Move the office in a data folder into an empty PostgreSQL database (every row with its
    /// ids, the change log's cursors, sessions, files and uploads under way, the audit chain),
    /// so that `serve --database` carries on without desks syncing afresh. One transaction: on
    /// any failure the database holds nothing. Stop the office (or its desks) first: what it
    /// accepts after the move began is not moved.
    MigrateToPostgres {
        /// The office's data folder (office.db and files/).
        #[arg(long)]
        data: PathBuf,
        /// The empty PostgreSQL database to move it into (postgres://user@host:port/database).
        #[arg(long, value_name = "URL", value_parser = liaison_office::config::database_url)]
        database: String,
    },
    /// Fill an office with a year of sample items in realistic Chinese, sent by the demo city's
    /// officers (an empty folder gets the demo city first, with its demo-seats.json).
    Seed {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        items: usize,
        /// Bytes of body per item.
        #[arg(long, default_value_t = 2048)]
        body_bytes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The exit status of a start refused for its configuration or its data folder (EX_CONFIG):
/// the systemd unit does not restart on it (`RestartPreventExitStatus=78`).
const EXIT_REFUSED: u8 = 78;

/// `serve` will not start on a folder that holds no office.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotAnOffice(String);

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            let refused = e
                .chain()
                .any(|c| c.is::<config::ConfigError>() || c.is::<NotAnOffice>());
            ExitCode::from(if refused { EXIT_REFUSED } else { 1 })
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            config,
            data,
            database,
            listen,
            demo,
            trusted_proxies,
            min_free_mib,
            tls_cert,
            tls_key,
        } => {
            let flags = ServeFlags {
                data,
                database,
                listen,
                trusted_proxies,
                min_free_mib,
                tls: tls_cert
                    .zip(tls_key)
                    .map(|(cert, key)| liaison_office::tls::TlsFiles { cert, key }),
            };
            serve(flags.over(read_config(config.as_deref())?)?, demo).await
        }
        Command::Init {
            config,
            data,
            database,
            admin,
            name,
        } => init(config.as_deref(), data, database, &admin, &name),
        Command::Admin { command } => match command {
            AdminCommand::VerifyAudit { data, database } => verify_audit(data, database),
            AdminCommand::Backup { config, data, to } => {
                backup_command(config.as_deref(), data, to)
            }
            AdminCommand::Restore { from, data } => restore(from, data),
            AdminCommand::MigrateToPostgres { data, database } => {
                tokio::task::spawn_blocking(move || migrate_to_postgres(&data, &database)).await?
            }
            AdminCommand::Seed {
                data,
                items,
                body_bytes,
                seed,
            } => seed_items(data, items, body_bytes, seed),
        },
    }
}

fn seed_items(data: PathBuf, items: usize, body_bytes: usize, seed: u64) -> anyhow::Result<()> {
    let store = liaison_office::open_store(&data)
        .with_context(|| format!("opening the office data in {}", data.display()))?;
    let now = SystemClock.now();
    if store.is_empty()? {
        let seats = demo::seed(store.as_ref(), now).context("seeding the demo city")?;
        demo::write_seats_file(&data.join("demo-seats.json"), &seats)?;
    }
    let started = std::time::Instant::now();
    let stored = liaison_office::seed::seed_items(&store, now, items, body_bytes, seed, |done| {
        eprint!("\rseeding: {done} / {items}");
    })
    .context("seeding items")?;
    eprintln!();
    println!(
        "seeded {stored} items into {} in {:.1} s",
        data.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How long an administrative command waits for a PostgreSQL database that does not answer.
const ADMIN_WAITS_FOR_DATABASE: std::time::Duration = std::time::Duration::from_secs(30);

fn verify_audit(data: Option<PathBuf>, database: Option<String>) -> anyhow::Result<()> {
    let store = match (&database, &data) {
        (Some(url), _) => liaison_office::open_office_store(
            Path::new(""),
            Some(url),
            Some(ADMIN_WAITS_FOR_DATABASE),
        )
        .context("opening the office database")?,
        (None, Some(data)) => liaison_office::open_store(data)
            .with_context(|| format!("opening the office data in {}", data.display()))?,
        (None, None) => bail!("give --data DIR or --database URL"),
    };
    match store.verify_audit()? {
        Ok(n) => {
            println!("audit log intact: {n} entries");
            Ok(())
        }
        Err(broken) => bail!("audit log broken: {broken}"),
    }
}

/// `admin migrate-to-postgres`: the move, its progress on stderr (rows per table, bytes of
/// files) and its summary.
fn migrate_to_postgres(data: &Path, url: &str) -> anyhow::Result<()> {
    use liaison_office::migrate_to_postgres::Progress;
    let started = std::time::Instant::now();
    let mut shown_percent = None;
    let mut progress = |p: Progress<'_>| match p {
        Progress::Files { done, total } => {
            let percent = (done.saturating_mul(100) / total.max(1)).min(100);
            if shown_percent != Some(percent) || done == total {
                shown_percent = Some(percent);
                eprint!("\rfiles: {} / {} MiB ({percent}%)", done >> 20, total >> 20);
                if done == total {
                    eprintln!();
                }
            }
        }
        Progress::Table { table, done, total } => {
            eprint!("\r{table}: {done} / {total} rows");
            if done == total {
                eprintln!();
            }
        }
    };
    let moved = liaison_office::migrate_to_postgres::migrate_to_postgres(
        data,
        url,
        ADMIN_WAITS_FOR_DATABASE,
        &mut progress,
    )
    .with_context(|| format!("moving the office in {} into the database", data.display()))?;
    let rows: u64 = moved.tables.iter().map(|(_, n)| n).sum();
    println!(
        "moved the office in {} into the database in {:.1} s: {rows} rows in {} tables, \
         {} files ({} bytes), {} uploads under way ({} bytes)",
        data.display(),
        started.elapsed().as_secs_f64(),
        moved.tables.len(),
        moved.blobs,
        moved.blob_bytes,
        moved.partial_uploads,
        moved.partial_bytes,
    );
    for (table, n) in &moved.tables {
        println!("  {table:<20} {n:>10} rows");
    }
    if moved.swept_uploads > 0 {
        println!(
            "  {} unused uploads the office swept while the move ran were left out",
            moved.swept_uploads
        );
    }
    println!(
        "verified in the database: every table's rows, the files, and the audit log intact: \
         {} entries",
        moved.audit_entries
    );
    println!(
        "serve it with: liaison-office serve --database URL --data DIR (a new folder); \
         anything the old office accepted after the move began is not in the database"
    );
    Ok(())
}

/// Backups this large show their progress on stderr.
const SHOW_PROGRESS_FROM: u64 = 64 << 20;

/// Progress on stderr once there is enough to wait for, every 1%.
fn progress_printer(what: &'static str) -> impl FnMut(liaison_office::backup::Progress) {
    let mut shown = None;
    move |p: liaison_office::backup::Progress| {
        if p.total < SHOW_PROGRESS_FROM {
            return;
        }
        let percent = (p.done.saturating_mul(100) / p.total.max(1)).min(100);
        if shown != Some((p.stage, percent)) {
            if shown.is_some_and(|(stage, _)| stage != p.stage) {
                eprintln!();
            }
            shown = Some((p.stage, percent));
            eprint!(
                "\r{what}, {}: {} / {} MiB ({percent}%)",
                p.stage,
                p.done >> 20,
                p.total >> 20
            );
        }
    }
}

fn backup_command(
    config_path: Option<&Path>,
    data: Option<PathBuf>,
    to: Option<PathBuf>,
) -> anyhow::Result<()> {
    let config = read_config(config_path)?;
    let data = data_folder(&config, data)?;
    let to = match (to, &config.backup) {
        (Some(to), _) => to,
        (None, Some(b)) => {
            std::fs::create_dir_all(&b.dir)
                .with_context(|| format!("creating the backup folder {}", b.dir.display()))?;
            b.dir.join(liaison_office::nightly::archive_name(
                &b.name,
                SystemClock.now(),
            ))
        }
        (None, None) => {
            bail!("no archive to write: give --to FILE or [backup] dir in the configuration")
        }
    };
    backup(data, to)
}

fn backup(data: PathBuf, to: PathBuf) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let manifest = liaison_office::backup::backup(
        &data,
        &to,
        SystemClock.now(),
        &mut progress_printer("backup"),
    )
    .with_context(|| format!("backing up {}", data.display()))?;
    if manifest.bytes >= SHOW_PROGRESS_FROM {
        eprintln!();
    }
    println!(
        "backed up {} items, {} files, {} audit entries ({} bytes) into {} in {:.1} s",
        manifest.items,
        manifest.blobs,
        manifest.audit_entries,
        manifest.bytes,
        to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn restore(from: PathBuf, data: PathBuf) -> anyhow::Result<()> {
    let restored = liaison_office::backup::restore(&from, &data, &mut progress_printer("restore"))
        .with_context(|| format!("restoring {}", from.display()))?;
    if restored.manifest.bytes >= SHOW_PROGRESS_FROM {
        eprintln!();
    }
    let m = &restored.manifest;
    println!(
        "restored the backup of {} into {}: {} items, {} files ({} bytes), audit log intact: {} entries, schema {}{}",
        m.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data.display(),
        m.items,
        m.blobs,
        m.bytes,
        restored.audit_entries,
        restored.schema_version,
        if restored.schema_version > m.schema_version {
            format!(" (migrated from {})", m.schema_version)
        } else {
            String::new()
        }
    );
    Ok(())
}

/// The configuration file's values, or the defaults without one.
fn read_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(path) => config::load(path)?,
        None => Config::default(),
    })
}

/// The data folder from `--data` or the configuration's `data`.
fn data_folder(config: &Config, data: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    data.or_else(|| config.data.clone()).context(
        "no data folder: give --data DIR or `data = \"…\"` in the configuration (--config FILE)",
    )
}

fn init(
    config_path: Option<&Path>,
    data: Option<PathBuf>,
    database: Option<String>,
    login: &str,
    name: &str,
) -> anyhow::Result<()> {
    let config = read_config(config_path)?;
    if let Some(url) = database.or_else(|| config.database.clone()) {
        return init_in_database(&url, login, name);
    }
    let data = data_folder(&config, data)?;
    // Refuse before asking for a password that would not be used.
    match setup::office_state(&data)? {
        OfficeState::Missing | OfficeState::Empty => {}
        OfficeState::NoAdministrator | OfficeState::Ready => {
            bail!(
                "{} already holds an office: init changes nothing in it",
                data.display()
            );
        }
    }
    setup::check_login_and_name(login, name)?;
    let password = read_new_password(login)?;
    let admin = setup::FirstAdmin {
        login,
        holder_name: name,
        password: &password,
    };
    setup::init_office(&data, &admin, SystemClock.now())
        .with_context(|| format!("creating the office in {}", data.display()))?;
    println!(
        "created the office in {} with its administrator {login} ({})",
        data.display(),
        name.trim()
    );
    if let Some(tls) = &config.tls {
        // Officers compare the certificate's fingerprint when their desk first connects.
        let fingerprint = liaison_office::tls::leaf_fingerprint(tls)
            .with_context(|| format!("reading the TLS certificate {}", tls.cert.display()))?;
        println!("certificate SHA-256 fingerprint: {fingerprint}");
        println!("give it to the officers on paper: their desks show it when they first connect");
    }
    let config_arg = config_path.map_or(String::new(), |p| format!(" --config {}", p.display()));
    println!(
        "start it with: liaison-office serve{config_arg} --data {}",
        data.display()
    );
    Ok(())
}

/// `init` on a PostgreSQL database: the same first administrator, in the database.
fn init_in_database(url: &str, login: &str, name: &str) -> anyhow::Result<()> {
    let store =
        liaison_office::open_office_store(Path::new(""), Some(url), Some(ADMIN_WAITS_FOR_DATABASE))
            .context("opening the office database")?;
    if setup::store_state(store.as_ref())? != OfficeState::Empty {
        bail!("the database already holds an office: init changes nothing in it");
    }
    setup::check_login_and_name(login, name)?;
    let password = read_new_password(login)?;
    let admin = setup::FirstAdmin {
        login,
        holder_name: name,
        password: &password,
    };
    setup::init_office_in(store.as_ref(), &admin, SystemClock.now())
        .context("creating the office in the database")?;
    println!(
        "created the office in the database with its administrator {login} ({})",
        name.trim()
    );
    println!("start it with: liaison-office serve --database URL --data DIR");
    Ok(())
}

/// The new administrator's password: one line of standard input, or asked for twice on a
/// terminal. It must meet the office's password policy.
fn read_new_password(login: &str) -> anyhow::Result<String> {
    let policy = |password: &str| {
        liaison_domain::handover::check_password(login, password)
            .map_err(|p| anyhow::anyhow!("the password is not accepted: {p}; nothing was created"))
    };
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {login}: "))
            .context("reading the password")?;
        policy(&first)?;
        let again = rpassword::prompt_password("The same password again: ")
            .context("reading the password")?;
        if again != first {
            bail!("the two passwords differ: nothing was created");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        policy(&password)?;
        Ok(password)
    }
}

/// Why `serve` will not start on `data`, with what to do about it; `None` when it holds an office.
fn not_an_office(data: &Path) -> anyhow::Result<Option<String>> {
    let init = format!(
        "liaison-office init --data {} --admin LOGIN --name \"HOLDER NAME\"",
        data.display()
    );
    Ok(match setup::office_state(data)? {
        OfficeState::Ready => None,
        OfficeState::Missing | OfficeState::Empty => Some(format!(
            "{} holds no office yet. Create it with its first administrator (the password is asked for):\n  {init}",
            data.display()
        )),
        OfficeState::NoAdministrator => Some(format!(
            "{} holds an office without any administrator seat, so nobody could run it: \
             restore a backup (liaison-office admin restore) or start from an empty folder with\n  {init}",
            data.display()
        )),
    })
}

async fn serve(settings: Settings, demo_mode: bool) -> anyhow::Result<()> {
    let Settings {
        data,
        database,
        listen,
        tls,
        trusted_proxies,
        limits,
        backup: nightly,
    } = settings;
    if demo_mode && !listen.ip().is_loopback() {
        bail!(
            "--demo serves well-known demo seats and listens only on loopback (127.0.0.1 or ::1), not {listen}"
        );
    }
    // On PostgreSQL, the store also holds what the office processes share (`shared`).
    let (store, shared) = match &database {
        None => {
            if !demo_mode && let Some(message) = not_an_office(&data)? {
                return Err(NotAnOffice(message).into());
            }
            let store = liaison_office::open_store(&data)
                .with_context(|| format!("opening the office data in {}", data.display()))?;
            (store as Arc<dyn Store>, None)
        }
        Some(url) => {
            std::fs::create_dir_all(&data)
                .with_context(|| format!("cannot create the data folder {}", data.display()))?;
            // Waits for the database as long as it takes (logging each try): the office never
            // serves half-started.
            let url = url.clone();
            let store = tokio::task::spawn_blocking(move || {
                liaison_office::store::postgres::PgStore::open(&url, None)
            })
            .await?
            .context("opening the office database")?;
            let store = Arc::new(store);
            if !demo_mode && setup::store_state(store.as_ref())? != OfficeState::Ready {
                return Err(NotAnOffice(
                    "the database holds no office with an administrator: create one with \
                     liaison-office init --database URL --admin LOGIN --name \"HOLDER NAME\""
                        .into(),
                )
                .into());
            }
            (store.clone() as Arc<dyn Store>, Some(store))
        }
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if demo_mode {
        let seats_file = data.join("demo-seats.json");
        let seed_if_empty = || -> anyhow::Result<bool> {
            if !store.is_empty()? {
                return Ok(false);
            }
            let seats = demo::seed(store.as_ref(), clock.now()).context("seeding the demo city")?;
            demo::write_seats_file(&seats_file, &seats)?;
            tracing::info!(seats = seats.len(), file = %seats_file.display(), "demo city seeded");
            Ok(true)
        };
        let seeded = match &shared {
            // Several processes may start on one database at once: one seeds. A database lost
            // meanwhile (restarting, its connections cut) is waited for: seeding is one check
            // and one set of transactions under the lock, safe to try again.
            Some(shared) => {
                let mut pause = std::time::Duration::from_millis(200);
                loop {
                    match shared.exclusively("liaison demo seeding", seed_if_empty) {
                        Ok(seeded) => break seeded?,
                        Err(liaison_office::store::StoreError::Unavailable(cause)) => {
                            tracing::warn!(%cause, "the database was lost while seeding; trying again in {pause:?}");
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(std::time::Duration::from_secs(5));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            None => seed_if_empty()?,
        };
        if !seeded && !seats_file.exists() {
            if shared.is_some() {
                tracing::info!(
                    "the database holds the demo city already: its seats are in the \
                     demo-seats.json of the office process that seeded it"
                );
            } else {
                bail!(
                    "{} holds an office but no demo-seats.json (seeding was interrupted?): \
                     delete the folder to seed a fresh demo city",
                    data.display()
                );
            }
        }
        print_demo_seats(&seats_file);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    if let Some(tls) = &tls {
        // What officers compare on their desks before they trust this office.
        let fingerprint = liaison_office::tls::leaf_fingerprint(tls)?;
        tracing::info!(%fingerprint, cert = %tls.cert.display(), "serving HTTPS");
        println!("certificate SHA-256 fingerprint: {fingerprint}");
    }
    // A line scripts and tests wait for.
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("liaison-office listening on {scheme}://{addr}");
    // On PostgreSQL the files are in the database too, for every office process on it.
    let files = liaison_office::open_office_files(&data, database.as_deref())
        .with_context(|| format!("opening the file store in {}", data.display()))?;
    // An upload nobody has added to for a week is abandoned; its seat starts it again from zero.
    match files
        .sweep_partials(std::time::Duration::from_secs(7 * 24 * 3600))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "abandoned uploads removed"),
        Err(e) => tracing::warn!(error = %e, "could not sweep abandoned uploads"),
    }
    let mut limits = limits;
    // Benchmarks and load tests drive one seat far beyond a person's pace (`make bench`).
    if std::env::var("LIAISON_OFFICE_WRITE_LIMITS").is_ok_and(|v| v == "off") {
        tracing::warn!(
            "write limits are off (LIAISON_OFFICE_WRITE_LIMITS=off): for benchmarks only"
        );
        limits.writes = liaison_office::limits::WriteRates::unlimited();
    }
    let mut state = AppState::new(store, clock, files).with_limits(limits);
    state.trusted_proxies = trusted_proxies.into();
    if let (Some(shared), Some(url)) = (&shared, &database) {
        state = state.sharing(shared.bridge().clone(), url);
    }
    // Uploads idle for a day that nothing uses go, now and every hour (limits.rs).
    liaison_office::sweep::spawn(state.clone());
    // The nightly backup, if the configuration asks for one (nightly.rs).
    if let (Some(_), Some(_)) = (&database, &nightly) {
        tracing::warn!(
            "the nightly backup copies office.db: an office on PostgreSQL is backed up with the \
             database's own tools (pg_dump), so it is not run"
        );
    } else if let Some(schedule) = nightly {
        liaison_office::nightly::spawn(data.clone(), schedule, state.clock.clone());
    }
    match tls {
        Some(tls) => {
            liaison_office::tls::serve_tls(listener, state, &tls, shutdown_signal()).await?
        }
        None => liaison_office::serve(listener, state, shutdown_signal()).await?,
    }
    Ok(())
}

/// The demo sign-ins, for the person who ran `make run`.
fn print_demo_seats(seats_file: &std::path::Path) {
    let seats: Vec<demo::DemoSeat> =
        match std::fs::read(seats_file).map(|b| serde_json::from_slice(&b)) {
            Ok(Ok(seats)) => seats,
            _ => {
                return eprintln!(
                    "demo seats: {} is missing or unreadable",
                    seats_file.display()
                );
            }
        };
    println!("Demo sign-ins (also in {}):", seats_file.display());
    for s in seats {
        println!(
            "  {:<20} {:<16} {:<12} {}",
            s.login,
            s.password,
            s.role.as_str(),
            s.department
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
