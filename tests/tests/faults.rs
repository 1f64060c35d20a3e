//! Sending through a proxy that fails on purpose: every item reaches the office exactly once.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::net::SocketAddr;

use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_domain::attachment::UPLOAD_CHUNK_BYTES;
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
    // The department's responsible person finds it waiting and signs it off.
    assert_eq!(
        office.sign_off("市生态环境局").await.len(),
        1,
        "the office stored it although the desk never heard"
    );
    let editor = office.editor().await;
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
async fn an_upload_cut_halfway_resumes_from_the_last_byte_the_office_confirmed() {
    let office = OfficeProcess::start_demo();
    let (proxy, desk, column, dir) = desk_behind_proxy(&office, "市市场监督管理局").await;
    let size: usize = 20 << 20; // three upload pieces
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((bytes.len()..size).map(|i| (i % 251) as u8));
    let file = dir.path().join("抽检结果.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(
        &draft.id,
        Some(column),
        "食品安全抽检结果公告",
        "<p>见附件</p>",
    )
    .unwrap();
    desk.attach_file(&draft.id, &file).await.unwrap();
    desk.send_draft(&draft.id).unwrap();

    // The proxy cuts the upload 12 MB in: inside the second piece.
    let cut_at = 12 << 20;
    proxy.script(&[Fault::CutRequest(cut_at)]);
    assert!(desk.sync_once(0).await.unwrap_err().is_transient());
    let progress = desk.draft(&draft.id).unwrap().sending.unwrap();
    assert_eq!(
        progress.uploaded_bytes, UPLOAD_CHUNK_BYTES,
        "the first piece was confirmed"
    );
    let sent_before = proxy.bytes_up();

    // Back online: only what the office does not have goes again.
    desk.sync_once(0).await.unwrap();
    assert_eq!(
        desk.draft(&draft.id).unwrap().state,
        ItemState::AwaitingSignoff
    );
    let sent_after = proxy.bytes_up() - sent_before;
    let resent = (sent_before + sent_after) as i64 - size as i64;
    println!("upload cut at {cut_at}: {resent} bytes sent more than the file (requests included)");
    assert!(
        resent < UPLOAD_CHUNK_BYTES as i64,
        "resent {resent} bytes; under one piece ({UPLOAD_CHUNK_BYTES}) allowed"
    );
    office.sign_off("市市场监督管理局").await;
    let editor = office.editor().await;
    let item = &editor.inbox_titled("食品安全抽检结果公告").await[0];
    let detail = editor.get(&format!("/items/{}", item["id"])).await;
    let sha = detail["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = editor
        .bytes(&format!("/items/{}/files/{sha}", item["id"]))
        .await
        .unwrap();
    assert!(got == bytes, "byte-identical after the resume");
    desk.sign_out().await.unwrap();
}

/// Runs `liaison-chaos` with `args` (and the seed) and checks its last line: every item arrived
/// exactly once, every file and typed draft intact.
fn chaos_run(args: &[&str]) {
    let seed = std::env::var("CHAOS_SEED").unwrap_or_else(|_| "20261127".into());
    let out = std::process::Command::new(liaison_tests::built_binary("liaison-chaos"))
        .args(["--seed", &seed])
        .args(args)
        .output()
        .expect("run liaison-chaos");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    let counts: std::collections::HashMap<&str, &str> = last
        .strip_prefix("chaos: ")
        .unwrap_or_default()
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    assert_eq!(counts.get("seed"), Some(&seed.as_str()), "{last}");
    let items: usize = counts["items"].parse().unwrap();
    assert!(items >= 12, "{last}");
    assert_eq!(counts["delivered_once"], counts["items"], "{last}");
    assert_eq!(
        (counts["lost"], counts["duplicated"], counts["corrupt"]),
        ("0", "0", "0"),
        "replay with CHAOS_SEED={seed}: {last}"
    );
    assert!(out.status.success(), "{last}");
}

/// The chaos run of `make chaos`, bounded: officers' desk processes send items with files and
/// type drafts through a misbehaving proxy while the office and the desks are SIGKILLed and
/// restarted; every item must arrive once, every file intact, every typed draft intact.
#[test]
fn the_chaos_run_loses_duplicates_and_corrupts_nothing() {
    chaos_run(&["--rounds", "2", "--officers", "3"]);
}

/// The same on PostgreSQL (`make chaos BACKEND=postgres OFFICES=2`), bounded: two office
/// processes on one throwaway cluster behind HAProxy, one of them SIGKILLed at a time,
/// PostgreSQL restarted once and the offices' database connections cut in every round; every
/// office process must answer again by itself at the end.
#[test]
fn the_chaos_run_on_postgres_behind_haproxy_loses_duplicates_and_corrupts_nothing() {
    chaos_run(&[
        "--rounds",
        "2",
        "--officers",
        "3",
        "--backend",
        "postgres",
        "--offices",
        "2",
    ]);
}
