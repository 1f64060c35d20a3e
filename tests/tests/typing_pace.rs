//! A desk's file transfers give way while its officer types: against a real office process on
//! loopback, an upload and a download go no faster than the typing pace while drafts are being
//! saved, and at the line's speed once the officer stops. The pace here is slow enough that the
//! difference cannot be the machine's.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use liaison_desk::pace::TypingPace;
use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_tests::OfficeProcess;

/// Slow enough that [`FILE_BYTES`] take seconds at it.
const PACE: TypingPace = TypingPace {
    bytes_per_second: 512 * 1024,
    after_keystroke: Duration::from_millis(300),
};

/// 2 MB: four seconds at the pace, a small part of one at loopback's speed.
const FILE_BYTES: usize = 2 << 20;

/// The least time [`FILE_BYTES`] take at the pace: all but the first piece wait their turn.
fn paced_time() -> Duration {
    let after_the_first = FILE_BYTES - liaison_desk::pace::PACED_CHUNK_BYTES;
    Duration::from_secs_f64(after_the_first as f64 / PACE.bytes_per_second as f64)
}

fn desk_at(dir: &Path) -> Desk {
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: format!("liaison-test-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    desk.set_typing_pace(PACE);
    desk
}

/// A PNG of `FILE_BYTES` whose bytes depend on `seed`.
fn picture(dir: &Path, name: &str, seed: u8) -> std::path::PathBuf {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((bytes.len()..FILE_BYTES).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    path
}

/// Runs `work` while the officer types into `draft` (a save every 50 ms, as the window saves a
/// draft being typed); what it gave and how long it took.
async fn while_typing<T>(desk: &Desk, draft: &str, work: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let typing = async {
        for n in 1.. {
            let text = "请各单位于本周五前报送材料。".repeat(n % 40 + 1);
            desk.save_draft(draft, None, "报送通知", &format!("<p>{text}</p>"))
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let done = tokio::select! {
        done = work => done,
        () = typing => unreachable!("typing goes on until the work is done"),
    };
    (done, started.elapsed())
}

#[tokio::test]
async fn an_upload_goes_at_the_typing_pace_while_the_officer_types_and_at_full_speed_after() {
    let office = OfficeProcess::start_demo();
    let officer = office.seat("officer", Some("市卫生健康委"));
    let (dir, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let desk = desk_at(dir.path());
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let column = liaison_tests::submission_column(&desk);
    desk.sync_once(0).await.unwrap();
    let typed = desk.create_draft(None).unwrap().id;

    let send = |title: &'static str, seed: u8| {
        let draft = desk.create_draft(Some(column)).unwrap();
        desk.save_draft(&draft.id, Some(column), title, "<p>见附件</p>")
            .unwrap();
        let file = picture(files.path(), &format!("{title}.png"), seed);
        (draft.id, file)
    };

    // Typing all the while: the file goes up at the pace.
    let (paced, file) = send("保障性住房分布图", 1);
    desk.attach_file(&paced, &file).await.unwrap();
    desk.send_draft(&paced).unwrap();
    let (round, took) = while_typing(&desk, &typed, desk.sync_once(0)).await;
    assert_eq!(round.unwrap().sent, 1);
    assert_eq!(
        desk.draft(&paced).unwrap().state,
        ItemState::AwaitingSignoff
    );
    assert!(took >= paced_time(), "took {took:?} while typing");

    // The officer stopped typing: the next goes at the line's speed.
    let (unpaced, file) = send("老旧小区改造进度图", 2);
    desk.attach_file(&unpaced, &file).await.unwrap();
    desk.send_draft(&unpaced).unwrap();
    tokio::time::sleep(PACE.after_keystroke + Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    let took = started.elapsed();
    assert_eq!(
        desk.draft(&unpaced).unwrap().state,
        ItemState::AwaitingSignoff
    );
    assert!(took < paced_time() / 2, "took {took:?} with nobody typing");

    // Both arrived whole.
    office.sign_off("市卫生健康委").await;
    let editor = office.editor().await;
    for title in ["保障性住房分布图", "老旧小区改造进度图"] {
        let item = &editor.inbox_titled(title).await[0];
        let detail = editor.get(&format!("/items/{}", item["id"])).await;
        let sha = detail["attachments"][0]["sha256"]
            .as_str()
            .unwrap()
            .to_owned();
        let got = editor
            .bytes(&format!("/items/{}/files/{sha}", item["id"]))
            .await
            .unwrap();
        let sent = std::fs::read(files.path().join(format!("{title}.png"))).unwrap();
        assert!(got == sent, "{title} arrived byte-identical");
    }
    desk.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_download_goes_at_the_typing_pace_while_the_officer_types() {
    let office = OfficeProcess::start_demo();
    let officer = office.seat("officer", Some("市人力资源和社会保障局"));
    let (dir_a, dir_b, files) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    // Workstation A backs a draft up with its file.
    let a = desk_at(dir_a.path());
    a.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let draft = a.create_draft(None).unwrap();
    a.save_draft(&draft.id, None, "公园绿地分布图", "<p>见附件</p>")
        .unwrap();
    let file = picture(files.path(), "公园绿地分布图.png", 3);
    a.attach_file(&draft.id, &file).await.unwrap();
    a.back_up_drafts().await.unwrap();
    drop(a);

    // Workstation B restores it while its officer types another draft: the file comes down at
    // the pace.
    let b = desk_at(dir_b.path());
    b.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let typed = b.create_draft(None).unwrap().id;
    let (round, took) = while_typing(&b, &typed, b.sync_once(0)).await;
    round.unwrap();
    let restored = b.draft(&draft.id).unwrap();
    let held = std::fs::read(b.file_path(&restored.attachments[0].sha256)).unwrap();
    assert!(
        held == std::fs::read(&file).unwrap(),
        "the file came back whole"
    );
    assert!(took >= paced_time(), "took {took:?} while typing");
    b.sign_out().await.unwrap();
}
