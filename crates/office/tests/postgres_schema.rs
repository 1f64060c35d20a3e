//! The office's PostgreSQL schema on a real, throwaway PostgreSQL cluster (`liaison-pgcluster`):
//! applied once when several offices start together, refusing a newer schema, keeping the same
//! tables and rules as the SQLite store, and an office waiting for a database that is not up yet.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use liaison_office::store::postgres::{PG_SCHEMA_VERSION, PgError, connect, migrate};
use liaison_pgcluster::Cluster;

async fn fresh(cluster: &Cluster, name: &str) -> deadpool_postgres::Pool {
    let url = cluster.create_database(name).unwrap();
    connect(&url, Some(Duration::from_secs(20))).await.unwrap()
}

#[tokio::test]
async fn the_schema_is_applied_once_when_several_offices_start_together_and_a_newer_one_is_refused()
{
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("together").unwrap();
    let mut starting = Vec::new();
    for _ in 0..4 {
        let url = url.clone();
        starting.push(tokio::spawn(async move {
            let pool = connect(&url, Some(Duration::from_secs(20))).await.unwrap();
            migrate(&pool).await
        }));
    }
    let mut applied = Vec::new();
    for s in starting {
        applied.push(s.await.unwrap().unwrap());
    }
    applied.sort();
    assert_eq!(
        applied.iter().sum::<u32>(),
        PG_SCHEMA_VERSION,
        "{applied:?}"
    );
    assert_eq!(
        applied.iter().filter(|a| **a > 0).count(),
        1,
        "one office did it"
    );

    let pool = connect(&url, Some(Duration::from_secs(5))).await.unwrap();
    assert_eq!(migrate(&pool).await.unwrap(), 0, "nothing left to do");
    let client = pool.get().await.unwrap();
    let versions: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, i64::from(PG_SCHEMA_VERSION));

    // A newer office migrated it further: this one refuses to start on it and writes nothing.
    let newer = PG_SCHEMA_VERSION as i32 + 1;
    client
        .execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&newer],
        )
        .await
        .unwrap();
    match migrate(&pool).await {
        Err(PgError::NewerSchema { found, knows }) => {
            assert_eq!((found, knows), (newer as u32, PG_SCHEMA_VERSION));
        }
        other => panic!("a newer schema was not refused: {other:?}"),
    }
}

/// Every table's columns, with the JSON columns' PostgreSQL names for SQLite's `*_json`.
fn normalised(tables: BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    tables
        .into_iter()
        .map(|(table, columns)| {
            let columns = columns
                .into_iter()
                .map(|c| c.strip_suffix("_json").map(str::to_owned).unwrap_or(c))
                .collect();
            (table, columns)
        })
        .collect()
}

#[tokio::test]
async fn the_postgresql_schema_has_the_sqlite_stores_tables_columns_and_rules() {
    let cluster = Cluster::start().unwrap();
    let pool = fresh(&cluster, "rules").await;
    migrate(&pool).await.unwrap();
    let client = pool.get().await.unwrap();

    // The same tables and columns as a new SQLite office (so a migration added to one store and
    // not the other fails here), besides the limits one process keeps in memory and the files it
    // keeps in its data folder.
    let dir = tempfile::tempdir().unwrap();
    drop(liaison_office::open_store(dir.path()).unwrap());
    let sqlite = rusqlite::Connection::open(dir.path().join("office.db")).unwrap();
    let mut sqlite_tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let names: Vec<String> = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in names {
        let columns = sqlite
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        sqlite_tables.insert(table, columns);
    }
    let mut pg_tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public'
               AND table_name NOT IN ('schema_migrations', 'sign_in_failures', 'write_allowance',
                                      'upload_pieces', 'blob_chunks')",
            &[],
        )
        .await
        .unwrap()
    {
        pg_tables.entry(row.get(0)).or_default().insert(row.get(1));
    }
    assert_eq!(normalised(pg_tables), normalised(sqlite_tables));

    // The rules the schema itself keeps.
    client
        .batch_execute(
            "INSERT INTO departments (name) VALUES ('市教育局');
             INSERT INTO seats (login, role, department_id, holder_name, password_hash)
                 VALUES ('jyj.officer', 'officer', 1, '王晓燕', 'x');",
        )
        .await
        .unwrap();
    let refused = |sql: &'static str| {
        let client = &client;
        async move { client.batch_execute(sql).await.is_err() }
    };
    assert!(
        refused(
            "INSERT INTO seats (login, role, holder_name, password_hash)
             VALUES ('nobody', 'officer', '无部门', 'x')"
        )
        .await,
        "an officer belongs to a department"
    );
    assert!(
        refused("INSERT INTO departments (name) VALUES ('市教育局')").await,
        "department names are unique"
    );
    client
        .batch_execute(
            "INSERT INTO handovers (seat_id, state, outgoing_holder, successor_name,
                 successor_staff_no, successor_phone, requested_by, requested_at)
             VALUES (1, 'requested', '王晓燕', '周敏', 'JY-1', '13800001234', 1, now())",
        )
        .await
        .unwrap();
    assert!(
        refused(
            "INSERT INTO handovers (seat_id, state, outgoing_holder, successor_name,
                 successor_staff_no, successor_phone, requested_by, requested_at)
             VALUES (1, 'approved', '王晓燕', '李四', 'JY-2', '13800001235', 1, now())"
        )
        .await,
        "a seat has one open handover"
    );
    client
        .batch_execute(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, address, prev_hash, hash)
             VALUES (1, now(), 'bjb.admin', 'seat.created', 'seat:1', '', '127.0.0.1', '', 'h1')",
        )
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'someone'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        assert!(refused(sql).await, "the audit log is append-only: {sql}");
    }
    let kept: i64 = client
        .query_one("SELECT count(*) FROM audit_log", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn an_office_waits_for_a_database_that_is_not_up_yet_and_gives_up_only_when_told() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("later").unwrap();
    cluster.stop().unwrap();

    match connect(&url, Some(Duration::from_millis(600))).await {
        Err(PgError::Unreachable { .. }) => {}
        other => panic!("a database that is down answered: {other:?}"),
    }

    let waiting = tokio::spawn({
        let url = url.clone();
        async move { connect(&url, None).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "it waits while the database is down"
    );
    cluster.start_again().unwrap();
    let pool = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("it connects once the database is up")
        .unwrap()
        .unwrap();
    assert_eq!(migrate(&pool).await.unwrap(), PG_SCHEMA_VERSION);
}
