//! Opening and migrating Liaison's SQLite files.
//!
//! Migrations are numbered SQL scripts compiled into the binary. The schema version lives in
//! `PRAGMA user_version`; all pending scripts run in one transaction, so a file is either wholly
//! at the old version or wholly at the new one. A file newer than the binary is refused, never
//! touched.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the database was written by a newer version (schema {found}, this program knows {known})"
    )]
    TooNew { found: u32, known: u32 },
    #[error("a migration would leave {0} rows referring to rows that do not exist")]
    BrokenReferences(i64),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Opens (creating if missing) a database file with the pragmas every Liaison store uses:
/// WAL, `synchronous=FULL` (user text must survive a power cut), foreign keys on, a busy timeout.
pub fn open(path: &Path) -> Result<Connection, OpenError> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Brings the schema up to `migrations.len()`. `migrations[0]` is version 1. Then lets SQLite
/// refresh its statistics where a table grew or shrank much since they were taken, so the planner
/// knows, say, that a month of items is a small part of a year's.
pub fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), OpenError> {
    apply(conn, migrations)?;
    // 0x10002: analyse what needs it, with a bounded effort (as SQLite advises on opening).
    conn.execute_batch("PRAGMA optimize = 0x10002;")?;
    Ok(())
}

fn apply(conn: &mut Connection, migrations: &[&str]) -> Result<(), OpenError> {
    let known = migrations.len() as u32;
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(OpenError::TooNew { found, known });
    }
    if found == known {
        return Ok(());
    }
    // A migration may make a table again (SQLite cannot drop a constraint), which drops the table
    // other tables refer to: foreign keys are off while the scripts run (the pragma has no effect
    // inside a transaction) and every reference is checked before they commit.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let applied = apply_pending(conn, migrations, found, known);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    applied
}

fn apply_pending(
    conn: &mut Connection,
    migrations: &[&str],
    found: u32,
    known: u32,
) -> Result<(), OpenError> {
    let tx = conn.transaction()?;
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        tracing::info!(version = i + 1, "applying migration");
        tx.execute_batch(sql)?;
    }
    let dangling: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if dangling > 0 {
        return Err(OpenError::BrokenReferences(dangling));
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "CREATE TABLE a (x INTEGER);";
    const V2: &str = "CREATE TABLE b (y INTEGER);";
    const BROKEN: &str = "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;";

    fn version(conn: &Connection) -> u32 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn migrates_step_by_step_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = open(&path).unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        assert_eq!(version(&conn), 1);
        migrate(&mut conn, &[V1, V2]).unwrap();
        migrate(&mut conn, &[V1, V2]).unwrap();
        assert_eq!(version(&conn), 2);
        conn.execute("INSERT INTO b (y) VALUES (1)", []).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_failing_migration_leaves_the_old_version_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        assert!(migrate(&mut conn, &[V1, V2, BROKEN]).is_err());
        assert_eq!(version(&conn), 1);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('b','c')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn a_migration_may_make_a_referenced_table_again_but_not_break_references() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        let parent = "CREATE TABLE p (id INTEGER PRIMARY KEY, k TEXT UNIQUE);
                      CREATE TABLE c (p_id INTEGER NOT NULL REFERENCES p(id));
                      INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (1);";
        let remake = "CREATE TABLE p_new (id INTEGER PRIMARY KEY, k TEXT);
                      INSERT INTO p_new SELECT * FROM p; DROP TABLE p;
                      ALTER TABLE p_new RENAME TO p;";
        migrate(&mut conn, &[parent, remake]).unwrap();
        assert_eq!(version(&conn), 2);
        // Foreign keys are on again afterwards.
        assert!(conn.execute("INSERT INTO c VALUES (9)", []).is_err());
        // A script that leaves a dangling reference is refused whole.
        let breaking = "DELETE FROM p;";
        assert!(matches!(
            migrate(&mut conn, &[parent, remake, breaking]),
            Err(OpenError::BrokenReferences(1))
        ));
        assert_eq!(version(&conn), 2);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM p", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        migrate(&mut conn, &[V1, V2]).unwrap();
        match migrate(&mut conn, &[V1]) {
            Err(OpenError::TooNew { found: 2, known: 1 }) => {}
            other => panic!("expected TooNew, got {other:?}"),
        }
    }
}
