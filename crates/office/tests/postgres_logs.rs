//! The append-only logs on a real PostgreSQL cluster with several writers at once, as several
//! office processes are: the change cursor never skips a change, a commit on one process wakes
//! listeners on another (and nothing uncommitted does), and the audit chain stays whole.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use deadpool_postgres::Pool;
use liaison_domain::wire::{Change, ChangeKind};
use liaison_office::audit::{ChainBreak, Record};
use liaison_office::store::Audience;
use liaison_office::store::postgres::log::{
    append_audit, append_change, change_seqs_since, listen_for_changes, verify_audit,
};
use liaison_office::store::postgres::{connect, migrate};
use liaison_pgcluster::Cluster;

async fn office_database(cluster: &Cluster, name: &str) -> (String, Pool) {
    let url = cluster.create_database(name).unwrap();
    let pool = connect(&url, Some(Duration::from_secs(20))).await.unwrap();
    migrate(&pool).await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute("INSERT INTO departments (name) VALUES ('市教育局')")
        .await
        .unwrap();
    (url, pool)
}

fn urge(n: usize) -> Change {
    Change {
        seq: 0,
        at: Utc::now(),
        kind: ChangeKind::ColumnUrged {
            column_id: 1,
            column_name: "教育动态".into(),
            message: format!("请更新（{n}）"),
            urged_by: "钱晓东".into(),
        },
    }
}

#[tokio::test]
async fn the_change_cursor_never_skips_a_change_while_several_writers_commit_out_of_order() {
    let cluster = Cluster::start().unwrap();
    let (_, pool) = office_database(&cluster, "cursor").await;
    let writers_done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // A desk's cursor, reading as fast as it can while the writers append.
    let reader = tokio::spawn({
        let pool = pool.clone();
        let done = writers_done.clone();
        async move {
            let client = pool.get().await.unwrap();
            let (mut cursor, mut seen) = (0i64, Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let read = change_seqs_since(&client, cursor, 1000).await.unwrap();
                if let Some(last) = read.last() {
                    cursor = *last;
                }
                seen.extend(read);
                if finished {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });

    // Writers whose transactions draw a number, then take a while to commit, in varying order.
    let mut writers = Vec::new();
    for w in 0..6usize {
        let pool = pool.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..20usize {
                let mut client = pool.get().await.unwrap();
                let tx = client.transaction().await.unwrap();
                append_change(&tx, 1, &urge(w * 100 + i), Audience::All)
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(((w * 7 + i * 3) % 5) as u64)).await;
                tx.commit().await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    writers_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();

    let client = pool.get().await.unwrap();
    let all: Vec<i64> = client
        .query("SELECT seq FROM changes ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(all.len(), 120);
    assert_eq!(seen, all, "the cursor saw every change once, in order");
}

#[tokio::test]
async fn a_commit_on_one_office_wakes_the_listeners_of_another_and_nothing_uncommitted_does() {
    let cluster = Cluster::start().unwrap();
    let (url, _) = office_database(&cluster, "wake").await;
    // "Office A" listens on its own connection; "office B" writes through its own pool.
    let heard: Arc<Mutex<Vec<Option<i64>>>> = Arc::default();
    let (woken, mut wake) = tokio::sync::watch::channel(0u64);
    let listener = listen_for_changes(url.clone(), {
        let heard = heard.clone();
        move |seq| {
            heard.lock().unwrap().push(seq);
            woken.send_modify(|n| *n += 1);
        }
    });
    // It says once it listens (a `None`: look for what came before).
    tokio::time::timeout(Duration::from_secs(10), wake.changed())
        .await
        .unwrap()
        .unwrap();
    let office_b = connect(&url, Some(Duration::from_secs(5))).await.unwrap();

    let mut client = office_b.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let seq = append_change(&tx, 1, &urge(1), Audience::All)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !heard.lock().unwrap().contains(&Some(seq)),
        "a change not yet committed wakes nobody"
    );
    tx.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !heard.lock().unwrap().contains(&Some(seq)) {
            wake.changed().await.unwrap();
        }
    })
    .await
    .expect("the commit woke the other office's listener");

    // A change rolled back is never announced.
    let tx = client.transaction().await.unwrap();
    let dropped = append_change(&tx, 1, &urge(2), Audience::All)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let kept = append_change(&tx, 1, &urge(3), Audience::All)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !heard.lock().unwrap().contains(&Some(kept)) {
            wake.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    assert!(!heard.lock().unwrap().contains(&Some(dropped)));
    listener.abort();
}

#[tokio::test]
async fn the_audit_chain_stays_whole_with_concurrent_appenders_and_a_forged_entry_is_found() {
    let cluster = Cluster::start().unwrap();
    let (_, pool) = office_database(&cluster, "audit").await;
    let mut appenders = Vec::new();
    for a in 0..8usize {
        let pool = pool.clone();
        appenders.push(tokio::spawn(async move {
            for i in 0..10usize {
                let mut client = pool.get().await.unwrap();
                let tx = client.transaction().await.unwrap();
                let record = Record::new(
                    Utc::now(),
                    &format!("editor{a}"),
                    "item.accepted",
                    format!("item:{}", a * 100 + i),
                    "",
                    "127.0.0.1",
                );
                append_audit(&tx, &record).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for a in appenders {
        a.await.unwrap();
    }
    let client = pool.get().await.unwrap();
    assert_eq!(verify_audit(&client).await.unwrap(), Ok(80));
    let actors: BTreeSet<String> = client
        .query("SELECT DISTINCT actor FROM audit_log", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(actors.len(), 8);

    // An entry written around the chain (straight into the table) breaks it where it stands.
    client
        .batch_execute(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, address, prev_hash, hash)
             SELECT 81, now(), 'intruder', 'item.accepted', 'item:1', '', '10.0.0.1', hash, 'forged'
             FROM audit_log WHERE seq = 80",
        )
        .await
        .unwrap();
    assert_eq!(
        verify_audit(&client).await.unwrap(),
        Err(ChainBreak::Altered { seq: 81 })
    );
}
