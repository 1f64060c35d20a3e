//! `liaison-office`: serve the editorial office.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
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
    /// Serve the HTTP API.
    Serve {
        /// Folder holding office.db (created if missing).
        #[arg(long)]
        data: PathBuf,
        /// Address to listen on, e.g. 127.0.0.1:8480 (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: SocketAddr,
        /// Seed a demo city into an empty data folder and write demo-seats.json. Loopback only.
        #[arg(long)]
        demo: bool,
        /// A reverse proxy (its IP address) whose X-Forwarded-For and X-Forwarded-Proto headers
        /// are believed; repeat for several.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Refuse new uploads (507) while less than this many MiB are free on the data folder's
        /// filesystem.
        #[arg(long, default_value_t = liaison_office::Limits::default().min_free_bytes / (1024 * 1024))]
        min_free_mib: u64,
        /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
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
        #[arg(long)]
        data: PathBuf,
    },
    /// Back the office up into one new archive (office.db, the files it names, a manifest), while
    /// it serves.
    Backup {
        #[arg(long)]
        data: PathBuf,
        /// The archive to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new data folder, after checking every file of the archive.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// The new data folder; it must not hold anything yet.
        #[arg(long)]
        data: PathBuf,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve {
            data,
            listen,
            demo,
            trusted_proxies,
            min_free_mib,
            tls_cert,
            tls_key,
        } => {
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| liaison_office::tls::TlsFiles { cert, key });
            serve(data, listen, demo, trusted_proxies, min_free_mib, tls).await
        }
        Command::Admin { command } => match command {
            AdminCommand::VerifyAudit { data } => verify_audit(data),
            AdminCommand::Backup { data, to } => backup(data, to),
            AdminCommand::Restore { from, data } => restore(from, data),
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

fn verify_audit(data: PathBuf) -> anyhow::Result<()> {
    let store = liaison_office::open_store(&data)
        .with_context(|| format!("opening the office data in {}", data.display()))?;
    match store.verify_audit()? {
        Ok(n) => {
            println!("audit log intact: {n} entries");
            Ok(())
        }
        Err(broken) => bail!("audit log broken: {broken}"),
    }
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

async fn serve(
    data: PathBuf,
    listen: SocketAddr,
    demo_mode: bool,
    trusted_proxies: Vec<std::net::IpAddr>,
    min_free_mib: u64,
    tls: Option<liaison_office::tls::TlsFiles>,
) -> anyhow::Result<()> {
    if demo_mode && !listen.ip().is_loopback() {
        bail!(
            "--demo serves well-known demo seats and listens only on loopback (127.0.0.1 or ::1), not {listen}"
        );
    }
    let store = liaison_office::open_store(&data)
        .with_context(|| format!("opening the office data in {}", data.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if demo_mode {
        let seats_file = data.join("demo-seats.json");
        if store.is_empty()? {
            let seats = demo::seed(store.as_ref(), clock.now()).context("seeding the demo city")?;
            demo::write_seats_file(&seats_file, &seats)?;
            tracing::info!(seats = seats.len(), file = %seats_file.display(), "demo city seeded");
        } else if !seats_file.exists() {
            bail!(
                "{} holds an office but no demo-seats.json (seeding was interrupted?): \
                 delete the folder to seed a fresh demo city",
                data.display()
            );
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
    let files = liaison_office::FileStore::open(&data.join("files"))
        .with_context(|| format!("opening the file store in {}", data.display()))?;
    // An upload nobody has added to for a week is abandoned; its seat starts it again from zero.
    match files.sweep_partials(std::time::Duration::from_secs(7 * 24 * 3600)) {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "abandoned uploads removed"),
        Err(e) => tracing::warn!(error = %e, "could not sweep abandoned uploads"),
    }
    let mut limits = liaison_office::Limits {
        min_free_bytes: min_free_mib.saturating_mul(1024 * 1024),
        ..Default::default()
    };
    // Benchmarks and load tests drive one seat far beyond a person's pace (`make bench`).
    if std::env::var("LIAISON_OFFICE_WRITE_LIMITS").is_ok_and(|v| v == "off") {
        tracing::warn!(
            "write limits are off (LIAISON_OFFICE_WRITE_LIMITS=off): for benchmarks only"
        );
        limits.writes = liaison_office::limits::WriteRates::unlimited();
    }
    let mut state = AppState::new(store as Arc<dyn Store>, clock, files).with_limits(limits);
    state.trusted_proxies = trusted_proxies.into();
    // Uploads idle for a day that nothing uses go, now and every hour (limits.rs).
    liaison_office::sweep::spawn(state.clone());
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
