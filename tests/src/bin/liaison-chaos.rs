//! `liaison-chaos`: the chaos run on its own (`make chaos SEED=<n> ROUNDS=<n>`, and
//! `BACKEND=postgres OFFICES=<n>` for office processes on one PostgreSQL database behind HAProxy,
//! which needs PostgreSQL's and HAProxy's packages: scripts/deps.sh). Progress goes to stderr;
//! the last line on stdout is `chaos: seed=… items=… delivered_once=… lost=… duplicated=…
//! corrupt=…`, and the exit status is non-zero when anything was lost, duplicated or corrupt.
//! Needs a Secret Service (run it through scripts/test-session.sh; `make chaos` does).

use std::time::Duration;

use clap::{Parser, ValueEnum};
use liaison_tests::chaos::{Backend, ChaosConfig, run};

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// One office process over a data folder.
    Sqlite,
    /// `--offices` office processes on one throwaway PostgreSQL database, behind HAProxy.
    Postgres,
}

#[derive(Parser)]
#[command(
    name = "liaison-chaos",
    about = "Send under faults and kills; count what arrives"
)]
struct Args {
    /// Seed of every random choice; a failing seed replays. Default: from the clock.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Run rounds for this many seconds instead of a number of rounds.
    #[arg(long)]
    long: Option<u64>,
    #[arg(long, default_value_t = 3)]
    officers: usize,
    #[arg(long, default_value_t = 2)]
    items_per_round: usize,
    /// What the office runs on.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// Office processes (PostgreSQL only: SQLite has one).
    #[arg(long, default_value_t = 1)]
    offices: usize,
    /// Keep the office processes' and HAProxy's logs even when the run is clean (PostgreSQL).
    #[arg(long)]
    keep_logs: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs())
    });
    let backend = match (args.backend, args.offices) {
        (BackendArg::Sqlite, 1) => Backend::Sqlite,
        (BackendArg::Sqlite, n) => {
            eprintln!(
                "chaos: an office on SQLite is one process, not {n} (use --backend postgres)"
            );
            std::process::exit(2);
        }
        (BackendArg::Postgres, 0) => {
            eprintln!("chaos: --offices must be at least 1");
            std::process::exit(2);
        }
        (BackendArg::Postgres, offices) => Backend::Postgres { offices },
    };
    let replay = match backend {
        Backend::Sqlite => format!("SEED={seed}"),
        Backend::Postgres { offices } => format!("SEED={seed} BACKEND=postgres OFFICES={offices}"),
    };
    eprintln!(
        "chaos: seed={seed} backend={} (replay with {replay})",
        backend.name()
    );
    let config = ChaosConfig {
        seed,
        rounds: args.rounds,
        long: args.long.map(Duration::from_secs),
        officers: args.officers,
        items_per_round: args.items_per_round,
        backend,
        keep_logs: args.keep_logs,
    };
    match run(&config).await {
        Ok(outcome) => {
            let mut summary = format!(
                "chaos: {}: {} rounds, {} kills ({} of office processes), {} typed drafts checked",
                backend.name(),
                outcome.rounds,
                outcome.kills,
                outcome.office_kills,
                outcome.drafts_checked
            );
            if let Backend::Postgres { offices } = backend {
                summary.push_str(&format!(
                    "; {offices} office processes, {} database restarts, {} connection cuts \
                     ({} connections)",
                    outcome.database_restarts, outcome.connection_cuts, outcome.connections_cut
                ));
            }
            eprintln!("{summary}");
            println!("{}", outcome.line());
            std::process::exit(if outcome.is_clean() { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("chaos: seed={seed}: the run could not go on: {e}");
            std::process::exit(2);
        }
    }
}
