//! The office's storage on PostgreSQL, for an office that outgrows one machine: several office
//! processes sharing nothing but the database. This part holds reaching the database and its
//! schema: a pool of connections (tokio-postgres through deadpool), waiting for a database that is
//! not up yet with a clear log, and the schema's migrations, applied once under a lock however
//! many processes start together, refusing a schema newer than this binary knows; and the two
//! append-only logs several processes append to at once (`log.rs`: the change log, whose cursor
//! never skips a change, with its commit notices, and the audit chain), and the limits they
//! share (`limits.rs`: the sign-in throttle and the write limits), and the files, uploads going
//! on at any process (`files.rs`). `bridge.rs` runs the store's blocking interface on the async
//! driver (a call, or a transaction whose steps a blocking closure sends); `scores.rs` is the
//! first of the store's transactions on it.

pub mod bridge;
mod columns;
mod commission;
pub mod files;
mod handover;
mod items;
pub mod limits;
pub mod log;
mod migrate;
mod organisation;
mod prepared;
pub mod rows;
pub mod scores;
mod sessions;
mod store;
pub mod transaction;
mod uploads;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

pub use migrate::{PG_MIGRATIONS, PG_SCHEMA_VERSION, migrate};
pub use store::PgStore;

/// Why the PostgreSQL store could not start or answer.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("the database address is not a PostgreSQL address: {0}")]
    BadAddress(String),
    #[error("the database did not answer within {waited:?}: {cause}")]
    Unreachable { waited: Duration, cause: String },
    #[error(
        "the database holds a newer schema (version {found}) than this program knows ({knows}): \
         run the newer office"
    )]
    NewerSchema { found: u32, knows: u32 },
    #[error("database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("database connection: {0}")]
    Pool(String),
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PgError::Pool(e.to_string())
    }
}

/// The most connections one office process holds.
pub const POOL_SIZE: usize = 16;

/// A pool for the database at `url` (`postgres://user@host:port/db`); nothing is connected yet.
pub fn pool(url: &str) -> Result<Pool, PgError> {
    pool_of(url, POOL_SIZE)
}

/// A pool of at most `max_size` connections for the database at `url`; nothing is connected yet.
pub fn pool_of(url: &str, max_size: usize) -> Result<Pool, PgError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::BadAddress(e.to_string()))?;
    // Statements are prepared once and kept (`prepared.rs`), but each run is still planned for
    // its values: a plan made once for any values (PostgreSQL's choice after five runs) reads a
    // month of the inbox by walking a million items.
    let options = match config.get_options() {
        Some(given) => format!("{given} -c plan_cache_mode=force_custom_plan"),
        None => "-c plan_cache_mode=force_custom_plan".to_owned(),
    };
    config.options(&options);
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_size)
        .build()
        .map_err(|e| PgError::Pool(e.to_string()))
}

/// Connects to the database at `url`, trying again with a growing pause (to 5 s) and logging
/// each failure, until it answers or `give_up_after` has passed (`None`: never give up, as the
/// office does at start: it never serves half-started).
pub async fn connect(url: &str, give_up_after: Option<Duration>) -> Result<Pool, PgError> {
    let pool = pool(url)?;
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(200);
    let mut attempt = 1u32;
    loop {
        let answered = async {
            let client = pool.get().await?;
            client.simple_query("SELECT 1").await?;
            Ok::<(), PgError>(())
        }
        .await;
        match answered {
            Ok(()) => {
                if attempt > 1 {
                    tracing::info!(attempt, "the database answers");
                }
                return Ok(pool);
            }
            Err(e) => {
                let waited = started.elapsed();
                if give_up_after.is_some_and(|limit| waited >= limit) {
                    return Err(PgError::Unreachable {
                        waited,
                        cause: e.to_string(),
                    });
                }
                tracing::warn!(
                    attempt,
                    error = %e,
                    "the database does not answer yet; trying again in {pause:?}"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
        }
    }
}
