//! The PostgreSQL schema's migrations: SQL files applied in order, each once, recorded in
//! `schema_migrations`. Every process that starts runs [`migrate`]; a transaction-scoped advisory
//! lock makes them take turns, so the files are applied once however many start together, and
//! the others find nothing left to do. A database whose schema is newer than this binary's is
//! refused before anything is written.

use deadpool_postgres::Pool;

use super::PgError;

/// The schema, file by file; a file is never changed once released, a change is a new file.
pub const PG_MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations-postgres/0001_schema.sql"),
    include_str!("../../../migrations-postgres/0002_shared_limits.sql"),
    include_str!("../../../migrations-postgres/0003_files.sql"),
    include_str!("../../../migrations-postgres/0004_inbox_counts.sql"),
];

/// The schema version this binary writes.
pub const PG_SCHEMA_VERSION: u32 = PG_MIGRATIONS.len() as u32;

/// The advisory lock key the migrating processes take turns on (any fixed number: "LIAISON1").
const MIGRATION_LOCK: i64 = 0x4C49_4149_534F_4E31;

/// Brings the database's schema to this binary's version. Returns how many files it applied
/// (0 when another process had already done it).
pub async fn migrate(pool: &Pool) -> Result<u32, PgError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let found = u32::try_from(found).unwrap_or(0);
    if found > PG_SCHEMA_VERSION {
        return Err(PgError::NewerSchema {
            found,
            knows: PG_SCHEMA_VERSION,
        });
    }
    let mut applied = 0;
    for (i, sql) in PG_MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i32 + 1;
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tracing::info!(version, "applied the database schema's migration");
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}
