//! The limits two office processes share on a real PostgreSQL cluster: a seat's failed sign-ins on
//! one process block it on the other, and a seat's write allowance is one, not one per process.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use liaison_office::limits::{Rate, WriteKind};
use liaison_office::store::postgres::limits::{
    check_write, forget_expired, sign_in_blocked, sign_in_failed, sign_in_succeeded,
};
use liaison_office::store::postgres::{connect, migrate};
use liaison_office::throttle::{PER_ADDRESS, PER_SEAT, window};
use liaison_pgcluster::Cluster;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00")
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn failures_on_one_process_block_the_seat_on_the_other_until_the_window_passes() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("throttle").unwrap();
    let a = connect(&url, Some(StdDuration::from_secs(20)))
        .await
        .unwrap();
    migrate(&a).await.unwrap();
    let b = connect(&url, Some(StdDuration::from_secs(20)))
        .await
        .unwrap();
    let (a, b) = (a.get().await.unwrap(), b.get().await.unwrap());

    // Failures alternate between the two processes, from two addresses.
    for i in 0..PER_SEAT {
        let (client, address) = if i % 2 == 0 {
            (&a, "10.0.0.1")
        } else {
            (&b, "10.0.0.2")
        };
        assert_eq!(
            sign_in_blocked(client, "jyj.officer", address, t0())
                .await
                .unwrap(),
            None,
            "failure {i} is still allowed"
        );
        sign_in_failed(
            client,
            "jyj.officer",
            address,
            t0() + Duration::seconds(i as i64),
        )
        .await
        .unwrap();
    }
    let later = t0() + Duration::minutes(1);
    let wait = sign_in_blocked(&b, "jyj.officer", "10.0.0.9", later)
        .await
        .unwrap()
        .expect("blocked on the other process too");
    assert_eq!(
        wait,
        t0() + window() - later,
        "until the first failure leaves the window"
    );
    assert_eq!(
        sign_in_blocked(&a, "wjw.officer", "10.0.0.9", later)
            .await
            .unwrap(),
        None,
        "another seat is not"
    );
    assert_eq!(
        sign_in_blocked(
            &a,
            "jyj.officer",
            "10.0.0.9",
            t0() + window() + Duration::seconds(5)
        )
        .await
        .unwrap(),
        None,
        "the window passed"
    );

    // A success clears the seat's failures, not its address's.
    sign_in_succeeded(&a, "jyj.officer").await.unwrap();
    assert_eq!(
        sign_in_blocked(&b, "jyj.officer", "10.0.0.9", later)
            .await
            .unwrap(),
        None
    );

    // One address behind which many seats fail.
    for i in 0..PER_ADDRESS {
        sign_in_failed(&a, &format!("seat{i}"), "192.0.2.7", t0())
            .await
            .unwrap();
    }
    assert!(
        sign_in_blocked(&b, "new.seat", "192.0.2.7", later)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        sign_in_blocked(&b, "new.seat", "192.0.2.8", later)
            .await
            .unwrap()
            .is_none()
    );

    // Housekeeping forgets what no longer limits anyone.
    assert!(forget_expired(&a, t0() + window() * 2).await.unwrap() > 0);
    let left: i64 = a
        .query_one("SELECT count(*) FROM sign_in_failures", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_seats_write_allowance_is_one_for_all_processes() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("writes").unwrap();
    let a = connect(&url, Some(StdDuration::from_secs(20)))
        .await
        .unwrap();
    migrate(&a).await.unwrap();
    let b = connect(&url, Some(StdDuration::from_secs(20)))
        .await
        .unwrap();
    let (a, b) = (a.get().await.unwrap(), b.get().await.unwrap());
    let rate = Rate::per_minute(3);

    // Three at once, wherever they land; the fourth waits for one interval (20 s).
    for (i, client) in [&a, &b, &a].into_iter().enumerate() {
        assert_eq!(
            check_write(client, 7, WriteKind::Send, rate, t0())
                .await
                .unwrap(),
            Ok(()),
            "write {i}"
        );
    }
    let refused = check_write(&b, 7, WriteKind::Send, rate, t0())
        .await
        .unwrap();
    assert_eq!(refused, Err(StdDuration::from_secs(20)));
    // A refusal does not spend anything: after 20 s exactly one more goes.
    let later = t0() + Duration::seconds(20);
    assert_eq!(
        check_write(&a, 7, WriteKind::Send, rate, later)
            .await
            .unwrap(),
        Ok(())
    );
    assert!(
        check_write(&b, 7, WriteKind::Send, rate, later)
            .await
            .unwrap()
            .is_err()
    );
    // Another kind and another seat have their own allowance.
    assert_eq!(
        check_write(&b, 7, WriteKind::Comment, rate, t0())
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        check_write(&b, 8, WriteKind::Send, rate, t0())
            .await
            .unwrap(),
        Ok(())
    );

    // Many processes asking at once get exactly the burst.
    let pool = connect(&url, Some(StdDuration::from_secs(5)))
        .await
        .unwrap();
    let mut asks = Vec::new();
    for _ in 0..12 {
        let pool = pool.clone();
        asks.push(tokio::spawn(async move {
            let client = pool.get().await.unwrap();
            check_write(&client, 9, WriteKind::Urge, Rate::per_minute(5), t0())
                .await
                .unwrap()
        }));
    }
    let mut allowed = 0;
    for ask in asks {
        if ask.await.unwrap().is_ok() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5);
}
