//! How the office's blocking store interface runs on the asynchronous PostgreSQL driver.
//!
//! The service calls the store from blocking code (`spawn_blocking` in the server, plain threads
//! in tools and tests), and a transaction is a closure that calls the transaction's methods one
//! after another. The bridge owns a small runtime of its own, so a call from any thread (even one
//! of the server's runtime) only waits on a channel, never nests a runtime:
//!
//! - [`PgBridge::call`] runs one piece of async work on a pooled connection and waits for it;
//! - [`PgBridge::transaction`] gives one connection to a task that opens a transaction, runs
//!   the jobs the closure's [`TxHandle::run`] sends it, in order, and commits when the closure
//!   returns `Ok`, rolls back otherwise. A connection whose transaction could not be ended is
//!   not returned to the pool.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use futures_util::future::BoxFuture;

use super::PgError;
use crate::store::StoreError;

/// The threads the bridge's runtime drives connections on.
const RUNTIME_THREADS: usize = 2;

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::Database(e) => e.into(),
            PgError::Unreachable { .. } | PgError::Pool(_) => {
                StoreError::Unavailable(e.to_string())
            }
            PgError::BadAddress(_) | PgError::NewerSchema { .. } => {
                StoreError::Backend(e.to_string())
            }
        }
    }
}

/// Whether an error of the driver means the database is not there (the connection failed or
/// was lost, the server is shutting down or starting), rather than that a statement failed.
pub fn database_lost(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // Class 08: connection exception; class 57: operator intervention (shutdown, restart,
        // the database starting up).
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57"),
        None => e.as_db_error().is_none(),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if database_lost(&e) {
            StoreError::Unavailable(format!("database: {e}"))
        } else {
            StoreError::Backend(format!("database: {e}"))
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Unavailable(format!("database connection: {e}"))
    }
}

fn ended() -> StoreError {
    StoreError::Backend("the database transaction ended before its work was done".into())
}

type Job = Box<dyn FnOnce(Arc<Object>) -> BoxFuture<'static, ()> + Send>;

/// The pool and the runtime its connections live on.
pub struct PgBridge {
    /// Always present until dropped (taken then, so it may be dropped on any thread).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
}

impl Drop for PgBridge {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which an async thread must not do: let it go in the
        // background.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgBridge {
    /// Connects to the database at `url`, waiting for it as [`super::connect`] does.
    pub fn connect(url: &str, give_up_after: Option<Duration>) -> Result<PgBridge, PgError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("liaison-pg")
            .enable_all()
            .build()
            .map_err(|e| PgError::Pool(format!("the database runtime: {e}")))?;
        let (done, result) = std::sync::mpsc::channel();
        let url = url.to_owned();
        runtime.spawn(async move {
            let _ = done.send(super::connect(&url, give_up_after).await);
        });
        let pool = result
            .recv()
            .map_err(|_| PgError::Pool("the database runtime stopped".into()))??;
        Ok(PgBridge {
            runtime: Some(runtime),
            pool,
        })
    }

    fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) -> Result<(), StoreError> {
        match &self.runtime {
            Some(runtime) => {
                runtime.spawn(work);
                Ok(())
            }
            None => Err(ended()),
        }
    }

    /// The pool of the bridge's connections. They are driven by the bridge's runtime; a
    /// connection another runtime opens through it is driven by that one.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Brings the database's schema to this binary's version (see [`super::migrate`]).
    pub fn migrate(&self) -> Result<u32, StoreError> {
        let pool = self.pool.clone();
        self.wait(async move { Ok(super::migrate(&pool).await?) })
    }

    /// Runs async work on the bridge's runtime and waits for its answer.
    fn wait<T, Fut>(&self, work: Fut) -> Result<T, StoreError>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (done, answer) = std::sync::mpsc::channel();
        self.spawn(async move {
            let _ = done.send(work.await);
        })?;
        answer.recv().map_err(|_| ended())?
    }

    /// Runs `f` on a pooled connection, outside any transaction, and waits for it.
    pub fn call<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.wait(async move { f(pool.get().await?).await })
    }

    /// Runs `f` as one transaction: its [`TxHandle::run`] calls go, in order, to one connection;
    /// committed if `f` returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut TxHandle) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (jobs, mut queue) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let (finish, finished) = tokio::sync::oneshot::channel::<bool>();
        let (done, outcome) = std::sync::mpsc::channel::<Result<(), StoreError>>();
        let pool = self.pool.clone();
        self.spawn(async move {
            let result = async {
                let client = Arc::new(pool.get().await?);
                client.batch_execute("BEGIN").await?;
                while let Some(job) = queue.recv().await {
                    job(client.clone()).await;
                }
                let commit = finished.await.unwrap_or(false);
                let end = client
                    .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
                    .await;
                if end.is_err()
                    && let Ok(object) = Arc::try_unwrap(client)
                {
                    // Never hand on a connection that may still be inside a transaction.
                    drop(Object::take(object));
                }
                end?;
                Ok(())
            }
            .await;
            let _ = done.send(result);
        })?;
        let mut handle = TxHandle { jobs };
        let out = f(&mut handle);
        drop(handle);
        let _ = finish.send(out.is_ok());
        let ended_well = outcome.recv().map_err(|_| ended())?;
        match (out, ended_well) {
            // The connection failing is the more exact reason for what the closure saw.
            (Err(_), Err(cause)) => Err(cause),
            (out, Ok(())) => out,
            (Ok(_), Err(cause)) => Err(cause),
        }
    }
}

/// The running transaction, as the closure given to [`PgBridge::transaction`] sees it.
pub struct TxHandle {
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
}

impl TxHandle {
    /// Runs `f` inside the transaction and waits for its answer.
    pub fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Object>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (done, answer) = std::sync::mpsc::channel();
        let job: Job = Box::new(move |client| {
            Box::pin(async move {
                let _ = done.send(f(client).await);
            })
        });
        self.jobs.send(job).map_err(|_| ended())?;
        answer.recv().map_err(|_| ended())?
    }
}
