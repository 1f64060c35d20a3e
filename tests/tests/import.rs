//! The watch folder on a real directory (inotify), with a desk engine signed in to a real
//! office: files become drafts once completely written, once each, and are moved aside with
//! their bytes unchanged.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use liaison_desk::view::{ImportOutcome, ImportRecord};
use liaison_desk::watch::{FAILED_DIR, IMPORTED_DIR, QUIET};
use liaison_desk::{Desk, DeskConfig};
use liaison_import::testing;
use liaison_tests::OfficeProcess;
use tokio::sync::mpsc::UnboundedReceiver;

/// The next file the folder takes, which must be `name`, within 15 s.
async fn next_for(rx: &mut UnboundedReceiver<ImportRecord>, name: &str) -> ImportRecord {
    match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
        Ok(Some(r)) if r.name == name => r,
        Ok(Some(r)) => panic!("expected {name}, the folder took {}", r.name),
        _ => panic!("{name} was not taken within 15 s"),
    }
}

async fn nothing_for(rx: &mut UnboundedReceiver<ImportRecord>, wait: Duration) {
    if let Ok(Some(r)) = tokio::time::timeout(wait, rx.recv()).await {
        panic!("unexpected import of {}", r.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_become_drafts_once_completely_written_once_each_and_are_moved_aside_unchanged() {
    let office = OfficeProcess::start_demo();
    let seat = office.seat("officer", Some("市教育局"));
    let data = tempfile::tempdir().unwrap();
    let desk = Arc::new(
        Desk::open(&DeskConfig {
            data_dir: data.path().join("desk"),
            keyring_service: format!("liaison-import-test-{}", std::process::id()),
        })
        .unwrap(),
    );
    desk.sign_in(&office.url, &seat.login, &seat.password)
        .await
        .unwrap();
    let folder = data.path().join("报送文件夹");
    // A file already there when the desk starts is taken by the first scan.
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("启动前已有.txt"),
        "启动前已有的稿件\n正文一段。",
    )
    .unwrap();
    desk.set_import_folder(Some(&folder)).unwrap();
    let root = desk.import_folder().unwrap().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(desk.clone().run_import_folder(move |r| {
        let _ = tx.send(r.clone());
    }));
    let first = next_for(&mut rx, "启动前已有.txt").await;
    assert_eq!(first.outcome, ImportOutcome::Imported);

    // 1. Written in chunks with pauses longer than the quiet period: one draft, after the last.
    let chunked = root.join("分块写入.txt");
    let mut f = std::fs::File::create(&chunked).unwrap();
    f.write_all("分块写入的通知\n第一段。".as_bytes()).unwrap();
    f.flush().unwrap();
    nothing_for(&mut rx, QUIET * 2).await;
    f.write_all("\n第二段。".as_bytes()).unwrap();
    f.flush().unwrap();
    nothing_for(&mut rx, QUIET * 2).await;
    drop(f); // closed: complete
    let r = next_for(&mut rx, "分块写入.txt").await;
    let draft = desk.draft(r.draft_id.as_deref().unwrap()).unwrap();
    assert_eq!(draft.title, "分块写入的通知");
    assert!(draft.body_html.contains("第二段"), "{}", draft.body_html);

    // 2. An atomic save (temporary file, renamed over): one draft with its two images.
    let notice = testing::sample_notice();
    let temp = root.join("保存中.docx.tmp");
    std::fs::write(&temp, &notice).unwrap();
    std::fs::rename(&temp, root.join("冬季检查.docx")).unwrap();
    let r = next_for(&mut rx, "冬季检查.docx").await;
    let draft = desk.draft(r.draft_id.as_deref().unwrap()).unwrap();
    assert_eq!(draft.title, "关于开展冬季校园安全检查的通知");
    assert_eq!(draft.attachments.len(), 2);
    for file in &draft.attachments {
        assert!(
            draft
                .body_html
                .contains(&format!("liaison-file:{}", file.sha256))
        );
    }
    // Its bytes are unchanged, moved aside.
    let moved = root.join(IMPORTED_DIR).join("冬季检查.docx");
    assert_eq!(std::fs::read(&moved).unwrap(), notice);
    assert!(!root.join("冬季检查.docx").exists());

    // 3. A sub-folder named after a column, created and filled at once: picked up, in it.
    let sub = root.join("通知公告");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("放假通知.txt"), "元旦放假通知\n1月1日放假。").unwrap();
    let r = next_for(
        &mut rx,
        &Path::new("通知公告").join("放假通知.txt").to_string_lossy(),
    )
    .await;
    let draft = desk.draft(r.draft_id.as_deref().unwrap()).unwrap();
    let column = desk
        .columns()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "通知公告")
        .unwrap();
    assert_eq!(draft.column_id, Some(column.id));
    assert!(
        root.join(IMPORTED_DIR)
            .join("通知公告")
            .join("放假通知.txt")
            .exists()
    );

    // 4. The same file dropped twice is imported once.
    let before = desk.drafts().unwrap().len();
    std::fs::write(root.join("重复.txt"), "重复投放的稿件\n正文。").unwrap();
    assert_eq!(
        next_for(&mut rx, "重复.txt").await.outcome,
        ImportOutcome::Imported
    );
    std::fs::write(root.join("重复 副本.txt"), "重复投放的稿件\n正文。").unwrap();
    let again = next_for(&mut rx, "重复 副本.txt").await;
    assert_eq!(again.outcome, ImportOutcome::Duplicate);
    assert_eq!(desk.drafts().unwrap().len(), before + 1);

    // 5. A damaged file fails with its reason beside it; nothing else changes.
    let broken = &notice[..notice.len() / 2];
    std::fs::write(root.join("损坏.docx"), broken).unwrap();
    let r = next_for(&mut rx, "损坏.docx").await;
    assert_eq!(r.outcome, ImportOutcome::Failed);
    let failed = root.join(FAILED_DIR);
    assert_eq!(std::fs::read(failed.join("损坏.docx")).unwrap(), broken);
    let reason = std::fs::read_to_string(failed.join("损坏.docx.原因.txt")).unwrap();
    assert!(reason.contains("损坏"), "{reason}");
    assert_eq!(desk.drafts().unwrap().len(), before + 1);

    // The log has them all, newest first.
    let log = desk.import_log().unwrap();
    assert_eq!(log.len(), 7);
    assert_eq!(log[0].name, "损坏.docx");
}
