//! The editorial office: the HTTP API desks talk to, over a [`store::Store`].

pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod config;
pub mod console;
pub mod demo;
pub mod files;
pub mod limits;
pub mod migrate_to_postgres;
pub mod nightly;
pub mod orgsheet;
pub mod routes;
pub mod seed;
pub mod service;
pub mod setup;
pub mod store;
pub mod sweep;
pub mod throttle;
pub mod tls;
pub mod web;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use clock::{Clock, ManualClock, SystemClock};
pub use files::FileStore;
pub use limits::Limits;
pub use store::{SqliteStore, Store};
pub use web::AppState;

/// The whole office: the API under `/api/v1` and the console at `/`, siblings over the same
/// state. Each gets its own security headers and turns a handler's panic into an answer in its
/// own form (JSON for the API, a page for the console), so no request ever drops its connection.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .nest("/api/v1", api::router(&state))
        .merge(console::router(&state))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Opens the office's database in `data_dir` (created if missing).
pub fn open_store(data_dir: &Path) -> Result<Arc<SqliteStore>, OpenStoreError> {
    std::fs::create_dir_all(data_dir).map_err(|source| OpenStoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    Ok(Arc::new(SqliteStore::open(&data_dir.join("office.db"))?))
}

/// Opens the office's store: the PostgreSQL database at `database` if one is named (waiting for
/// it as long as `give_up_after` allows, for ever with `None`, logging each try), else
/// `office.db` in `data_dir` (created if missing).
pub fn open_office_store(
    data_dir: &Path,
    database: Option<&str>,
    give_up_after: Option<std::time::Duration>,
) -> Result<Arc<dyn Store>, OpenStoreError> {
    match database {
        Some(url) => Ok(Arc::new(
            store::postgres::PgStore::open(url, give_up_after).map_err(OpenStoreError::Database)?,
        )),
        None => Ok(open_store(data_dir)?),
    }
}

/// Opens the office's files: in the PostgreSQL database at `database` if one is named (whose
/// schema the store has migrated; a pool of connections of their own, see
/// [`store::postgres::files::files_pool`]), else in `files/` of `data_dir` (created if missing).
/// Either way `files/` of `data_dir` is where the free space is read for uploads.
pub fn open_office_files(
    data_dir: &Path,
    database: Option<&str>,
) -> Result<FileStore, OpenStoreError> {
    let root = data_dir.join("files");
    let opened = match database {
        Some(url) => {
            let pool = store::postgres::files::files_pool(url)
                .map_err(|e| OpenStoreError::Database(e.into()))?;
            FileStore::in_database(pool, &root)
        }
        None => FileStore::open(&root),
    };
    opened.map_err(|source| OpenStoreError::DataDir {
        path: root.display().to_string(),
        source,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum OpenStoreError {
    #[error("the office database: {0}")]
    Database(store::StoreError),
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Open(#[from] liaison_sqlite::OpenError),
}
