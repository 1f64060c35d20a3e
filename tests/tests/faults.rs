//! Sending through a proxy that fails on purpose: every item reaches the office exactly once.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::net::SocketAddr;

use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_tests::OfficeProcess;
use liaison_tests::fault_proxy::{Fault, FaultProxy};

fn office_addr(office: &OfficeProcess) -> SocketAddr {
    office
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("office address")
}

/// A desk signed in as `department`'s officer, talking to the office through a proxy that passes
/// everything until told otherwise. Returns the proxy, the desk, a column and the desk's folder.
async fn desk_behind_proxy(
    office: &OfficeProcess,
    department: &str,
) -> (FaultProxy, Desk, i64, tempfile::TempDir) {
    let proxy = FaultProxy::scripted(office_addr(office), &[]).await;
    let seat = office.seat("officer", Some(department));
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.path().to_path_buf(),
        keyring_service: format!("liaison-faults-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    desk.sign_in(&proxy.url(), &seat.login, &seat.password)
        .await
        .unwrap();
    let column = desk.columns().unwrap()[0].id;
    (proxy, desk, column, dir)
}

#[tokio::test]
async fn an_answer_lost_after_the_office_stored_the_item_does_not_duplicate_it() {
    let office = OfficeProcess::start_demo();
    let (proxy, desk, column, _dir) = desk_behind_proxy(&office, "市生态环境局").await;
    let title = "关于发布重污染天气预警的通知";
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(&draft.id, Some(column), title, "<p>正文</p>")
        .unwrap();
    desk.send_draft(&draft.id).unwrap();

    // The next connection carries the send: the office stores it and begins to answer, and the
    // proxy cuts the answer. Then connections are refused and requests cut mid-way.
    proxy.script(&[Fault::CutResponse(0), Fault::Refuse, Fault::CutRequest(40)]);
    let err = desk.sync_once(0).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(desk.draft(&draft.id).unwrap().state, ItemState::Queued);
    let editor = office.editor().await;
    assert_eq!(
        editor.inbox_titled(title).await.len(),
        1,
        "the office stored it although the desk never heard"
    );
    for _ in 0..2 {
        assert!(desk.sync_once(0).await.unwrap_err().is_transient());
    }
    assert_eq!(
        proxy.applied()[1..4],
        [Fault::CutResponse(0), Fault::Refuse, Fault::CutRequest(40)]
    );

    // The network comes back: the replay gets the first answer, nothing is stored twice.
    let report = desk.sync_once(0).await.unwrap();
    assert_eq!(report.sent, 1);
    let delivered = desk.draft(&draft.id).unwrap();
    assert_eq!(delivered.state, ItemState::Delivered);
    let at_office = editor.inbox_titled(title).await;
    assert_eq!(at_office.len(), 1, "exactly once");
    assert_eq!(
        at_office[0]["receipt"].as_str(),
        delivered.receipt.as_deref()
    );
    desk.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_seeded_random_proxy_never_duplicates_or_loses_an_item() {
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261127);
    println!("fault schedule seed={seed}");
    let office = OfficeProcess::start_demo();
    let (proxy, desk, column, _dir) = desk_behind_proxy(&office, "市应急管理局").await;
    let titles: Vec<String> = (1..=12)
        .map(|n| format!("应急值守简报第{n}期（{seed}）"))
        .collect();

    // Items are written and sent while the network misbehaves, then a few more rounds run; a
    // bounded run.
    proxy.randomize(seed);
    for round in 0..30 {
        if let Some(title) = titles.get(round) {
            let d = desk.create_draft(Some(column)).unwrap();
            desk.save_draft(&d.id, Some(column), title, "<p>值守情况正常。</p>")
                .unwrap();
            desk.send_draft(&d.id).unwrap();
        }
        let _ = desk.sync_once(0).await;
    }
    // The network heals: whatever is still queued goes now.
    proxy.heal();
    for _ in 0..3 {
        if desk.sync_once(0).await.is_ok() {
            break;
        }
    }

    let editor = office.editor().await;
    let (mut delivered_once, mut lost, mut duplicated, mut wrong_receipt) = (0, 0, 0, 0);
    let drafts = desk.drafts().unwrap();
    for title in &titles {
        let at_office = editor.inbox_titled(title).await;
        let here = drafts.iter().find(|d| &d.title == title).unwrap();
        match at_office.len() {
            0 => lost += 1,
            1 if here.state == ItemState::Delivered => {
                delivered_once += 1;
                if at_office[0]["receipt"].as_str() != here.receipt.as_deref() {
                    wrong_receipt += 1;
                }
            }
            1 => lost += 1, // at the office but the desk still does not know
            _ => duplicated += 1,
        }
    }
    let faults = proxy
        .applied()
        .iter()
        .filter(|f| **f != Fault::Pass)
        .count();
    println!(
        "chaos: seed={seed} items={} delivered_once={delivered_once} lost={lost} duplicated={duplicated} corrupt={wrong_receipt} faults={faults}",
        titles.len()
    );
    assert!(faults > 5, "the schedule injected too few faults: {faults}");
    assert_eq!((lost, duplicated, wrong_receipt), (0, 0, 0), "seed {seed}");
    assert_eq!(delivered_once, titles.len());
    desk.sign_out().await.unwrap();
}
