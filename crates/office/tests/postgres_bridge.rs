//! The bridge from the office's blocking store interface to the asynchronous PostgreSQL driver,
//! on a real cluster: a transaction commits only when its closure succeeds, a failing statement
//! rolls the whole of it back and leaves the pool usable, transactions on several threads run at
//! once, and a call made from inside an async runtime (as the server's handlers do through
//! `spawn_blocking`, or by mistake directly) does not nest runtimes.

use std::sync::Arc;
use std::time::Duration;

use liaison_office::store::StoreError;
use liaison_office::store::postgres::bridge::PgBridge;
use liaison_pgcluster::Cluster;

fn bridge(cluster: &Cluster, name: &str) -> PgBridge {
    let url = cluster.create_database(name).unwrap();
    let bridge = PgBridge::connect(&url, Some(Duration::from_secs(20))).unwrap();
    bridge.migrate().unwrap();
    bridge
}

fn department_names(bridge: &PgBridge) -> Vec<String> {
    bridge
        .call(|c| async move {
            let rows = c
                .query("SELECT name FROM departments ORDER BY id", &[])
                .await?;
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })
        .unwrap()
}

fn add_department(
    tx: &liaison_office::store::postgres::bridge::TxHandle,
    name: &str,
) -> Result<(), StoreError> {
    let name = name.to_owned();
    tx.run(move |c| async move {
        c.execute("INSERT INTO departments (name) VALUES ($1)", &[&name])
            .await?;
        Ok(())
    })
}

#[test]
fn a_transaction_commits_only_when_its_closure_succeeds_and_a_failing_statement_undoes_all_of_it() {
    let cluster = Cluster::start().unwrap();
    let bridge = bridge(&cluster, "bridge_commit");

    bridge
        .transaction(|tx| {
            add_department(tx, "市教育局")?;
            add_department(tx, "市卫健委")
        })
        .unwrap();
    assert_eq!(department_names(&bridge), ["市教育局", "市卫健委"]);

    // The closure refuses after writing: nothing of it stays.
    let refused = bridge.transaction(|tx| {
        add_department(tx, "市民政局")?;
        Err::<(), _>(StoreError::Conflict("refused by the rule".into()))
    });
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(department_names(&bridge), ["市教育局", "市卫健委"]);

    // A statement fails after one that succeeded: the error reaches the caller, the first
    // statement is undone, and the connection goes back to the pool usable.
    let failed = bridge.transaction(|tx| {
        add_department(tx, "市交通局")?;
        tx.run(|c| async move {
            c.execute("INSERT INTO no_such_table VALUES (1)", &[])
                .await?;
            Ok(())
        })
    });
    assert!(matches!(failed, Err(StoreError::Backend(_))), "{failed:?}");
    for _ in 0..20 {
        // More than the pool's connections: a connection left inside the aborted transaction
        // would fail one of these.
        assert_eq!(department_names(&bridge), ["市教育局", "市卫健委"]);
    }
}

#[test]
fn transactions_on_several_threads_run_at_once_and_each_sees_its_own_writes() {
    let cluster = Cluster::start().unwrap();
    let bridge = Arc::new(bridge(&cluster, "bridge_threads"));
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let bridge = bridge.clone();
            std::thread::spawn(move || {
                for round in 0..10 {
                    let name = format!("部门{n}-{round}");
                    let seen = bridge
                        .transaction(|tx| {
                            add_department(tx, &name)?;
                            let name = name.clone();
                            tx.run(move |c| async move {
                                let row = c
                                    .query_one(
                                        "SELECT count(*) FROM departments WHERE name = $1",
                                        &[&name],
                                    )
                                    .await?;
                                Ok(row.get::<_, i64>(0))
                            })
                        })
                        .unwrap();
                    assert_eq!(seen, 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(department_names(&bridge).len(), 80);
}

#[test]
fn a_call_from_inside_an_async_runtime_does_not_nest_runtimes_and_dropping_there_is_safe() {
    let cluster = Cluster::start().unwrap();
    let bridge = bridge(&cluster, "bridge_in_runtime");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        bridge
            .transaction(|tx| add_department(tx, "市教育局"))
            .unwrap();
        assert_eq!(department_names(&bridge), ["市教育局"]);
        // The last owner goes away on an async thread.
        drop(bridge);
    });
}
