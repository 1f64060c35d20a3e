//! `liaison-chaos`: the chaos run on its own (`make chaos SEED=<n> ROUNDS=<n>`). Progress goes to
//! stderr; the last line on stdout is `chaos: seed=… items=… delivered_once=… lost=… duplicated=…
//! corrupt=…`, and the exit status is non-zero when anything was lost, duplicated or corrupt.
//! Needs a Secret Service (run it through scripts/test-session.sh; `make chaos` does).

use std::time::Duration;

use clap::Parser;
use liaison_tests::chaos::{ChaosConfig, run};

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
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs())
    });
    eprintln!("chaos: seed={seed} (replay with SEED={seed})");
    let config = ChaosConfig {
        seed,
        rounds: args.rounds,
        long: args.long.map(Duration::from_secs),
        officers: args.officers,
        items_per_round: args.items_per_round,
    };
    match run(&config).await {
        Ok(outcome) => {
            eprintln!(
                "chaos: {} rounds, {} kills, {} typed drafts checked",
                outcome.rounds, outcome.kills, outcome.drafts_checked
            );
            println!("{}", outcome.line());
            std::process::exit(if outcome.is_clean() { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("chaos: seed={seed}: the run could not go on: {e}");
            std::process::exit(2);
        }
    }
}
