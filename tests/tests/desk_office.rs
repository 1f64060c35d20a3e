//! A desk engine against a real office process on loopback, with the real OS keyring.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::path::Path;

use liaison_desk::{Desk, DeskConfig, DeskError};
use liaison_domain::ItemState;
use liaison_tests::OfficeProcess;
use serde_json::json;

fn desk_at(dir: &Path, service: &str) -> Desk {
    Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: service.to_owned(),
    })
    .unwrap()
}

/// A desk in `dir` signed in as `department`'s officer, and a column it may send items to.
async fn officer_desk(office: &OfficeProcess, department: &str, dir: &Path) -> (Desk, i64) {
    let officer = office.seat("officer", Some(department));
    let desk = desk_at(dir, &service());
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let column = liaison_tests::submission_column(&desk);
    (desk, column)
}

fn service() -> String {
    format!("liaison-test-{}", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn a_draft_survives_a_restart_is_delivered_once_returned_revised_and_resent() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let service = service();
    let officer = office.seat("officer", Some("市交通运输局"));

    let desk = desk_at(dir.path(), &service);
    let session = desk
        .sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    assert_eq!(
        session.seat.as_ref().unwrap().department.name,
        "市交通运输局"
    );
    let columns = desk.columns().unwrap();
    assert!(columns.len() >= 3);
    let column = columns.iter().find(|c| c.feed.accepts_items()).unwrap().id;

    let draft = desk.create_draft(Some(column)).unwrap();
    let body = r#"<h2>一、总体要求</h2><ul><li>确保节日期间道路畅通</li></ul><p><img src="data:image/png;base64,iVBORw0KGgo=" alt="示意图"></p>"#;
    desk.save_draft(&draft.id, Some(column), "关于元旦期间交通管制的通告", body)
        .unwrap();
    drop(desk);

    // The process is gone; a new engine over the same folder finds the draft as it was.
    let desk = desk_at(dir.path(), &service);
    let reopened = desk.draft(&draft.id).unwrap();
    assert_eq!(reopened.title, "关于元旦期间交通管制的通告");
    assert_eq!(reopened.body_html, body);
    assert_eq!(reopened.state, ItemState::Draft);
    assert!(
        desk.session().unwrap().seat.is_some(),
        "still signed in: the token is in the keyring"
    );

    let queued = desk.send_draft(&draft.id).unwrap();
    assert_eq!(queued.state, ItemState::Queued);
    // Submitted versions are immutable.
    assert!(matches!(
        desk.save_draft(&draft.id, Some(column), "改标题", body),
        Err(DeskError::InvalidState(_))
    ));

    let report = desk.sync_once(0).await.unwrap();
    assert_eq!(report.sent, 1);
    // The department signs off in the app: the office holds it for the responsible person.
    let held = desk.draft(&draft.id).unwrap();
    assert_eq!(held.state, ItemState::AwaitingSignoff);
    let receipt = held.receipt.clone().unwrap();
    assert!(receipt.starts_with("LS-"));
    let editor = office.editor().await;
    assert!(
        editor
            .inbox_titled("关于元旦期间交通管制的通告")
            .await
            .is_empty()
    );

    // The responsible person's own desk, on another workstation, finds it and signs it off.
    let responsible_dir = tempfile::tempdir().unwrap();
    let responsible_seat = office.seat("responsible", Some("市交通运输局"));
    let responsible = desk_at(responsible_dir.path(), &format!("{service}-responsible"));
    responsible
        .sign_in(
            &office.url,
            &responsible_seat.login,
            &responsible_seat.password,
        )
        .await
        .unwrap();
    responsible.sync_once(0).await.unwrap();
    let asked = responsible.notices().unwrap();
    assert!(
        asked.iter().any(
            |n| n.kind == liaison_desk::duties::NoticeKind::SignoffRequested
                && n.facts.title.as_deref() == Some("关于元旦期间交通管制的通告")
        ),
        "{asked:?}"
    );
    let queue = responsible.signoff_queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    let to_read = responsible.office_item(queue[0].id).await.unwrap();
    assert_eq!(to_read.body_html, body);
    let approved = responsible.approve(queue[0].id).await.unwrap();
    assert_eq!(approved.signed_off_by.as_deref(), Some("赵志刚"));

    // The officer's desk learns it; a second round sends nothing again.
    let report = desk.sync_once(0).await.unwrap();
    assert_eq!((report.sent, report.pulled), (0, 1));
    assert_eq!(desk.draft(&draft.id).unwrap().state, ItemState::Delivered);
    let ours = editor.inbox_titled("关于元旦期间交通管制的通告").await;
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["receipt"], receipt.as_str());
    assert_eq!(ours[0]["holder_name"], "刘洋");

    // The editor returns it; the desk learns it on its next sync.
    let id = ours[0]["id"].as_i64().unwrap();
    let (status, _) = editor
        .post(
            &format!("/items/{id}/return"),
            json!({"comment": "请注明管制路段和起止时间", "quote": "确保节日期间道路畅通"}),
        )
        .await;
    assert_eq!(status, 200);
    let report = desk.sync_once(0).await.unwrap();
    assert_eq!(report.pulled, 1);
    let returned = desk.draft(&draft.id).unwrap();
    assert_eq!(returned.state, ItemState::Returned);
    assert_eq!(
        returned.review_comment.as_deref(),
        Some("请注明管制路段和起止时间")
    );
    // The timeline came with the change: it reads offline, signed off by whom, and the
    // editor's comment with the passage it quotes.
    let timeline = desk.timeline(&draft.id).unwrap();
    let v1 = &timeline.versions[0];
    let said: Vec<(&str, &str)> = v1
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("delivered", "刘洋"),
            ("awaiting_signoff", "刘洋"),
            ("signed_off", "赵志刚"),
            ("returned", "钱晓东")
        ]
    );
    assert_eq!(v1.entries[3].quote.as_deref(), Some("确保节日期间道路畅通"));
    // One rule for remarks on both sides: the desk refuses, before anything goes out, the
    // comment the office refuses; both take a full-length one padded with spaces (the length
    // counted after trimming, the quote's too).
    let longest = "补".repeat(liaison_domain::remark::MAX_COMMENT_CHARS);
    let too_long = format!("{longest}充");
    let entries_before = editor.get(&format!("/items/{id}")).await["timeline"]
        .as_array()
        .unwrap()
        .len();
    let refused = desk.comment(&draft.id, &too_long, None).await.unwrap_err();
    assert!(matches!(refused, DeskError::InvalidState(_)), "{refused:?}");
    let refused = desk
        .comment(&draft.id, "好", Some(&too_long))
        .await
        .unwrap_err();
    assert!(matches!(refused, DeskError::InvalidState(_)), "{refused:?}");
    let officer_api = office.signed_in(officer).await;
    for body in [
        json!({ "text": too_long }),
        json!({ "text": "好", "quote": too_long }),
    ] {
        let (status, answer) = officer_api
            .post(&format!("/items/{id}/comments"), body)
            .await;
        assert_eq!(status, 422, "{answer}");
    }
    assert_eq!(
        editor.get(&format!("/items/{id}")).await["timeline"]
            .as_array()
            .unwrap()
            .len(),
        entries_before,
        "nothing refused was stored"
    );
    let padded = format!("  {longest}\n");
    desk.comment(&draft.id, &padded, Some(&padded))
        .await
        .unwrap();
    let (status, answer) = officer_api
        .post(
            &format!("/items/{id}/comments"),
            json!({ "text": padded, "quote": padded }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");

    // The officer answers in the thread; the editor reads it.
    let answered = desk
        .comment(&draft.id, "已补充管制路段，马上重报。", None)
        .await
        .unwrap();
    let last = answered.versions[0].entries.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("comment", "刘洋")
    );
    let seen = editor.get(&format!("/items/{id}")).await;
    assert_eq!(
        seen["timeline"].as_array().unwrap().last().unwrap()["text"],
        "已补充管制路段，马上重报。"
    );
    // Pulling again applies nothing twice.
    assert_eq!(desk.sync_once(0).await.unwrap().pulled, 0);
    assert_eq!(desk.draft(&draft.id).unwrap().state, ItemState::Returned);

    // Revise as version 2 and send again; version 1 stays as it was, at the desk and the office.
    let revised = desk.revise_draft(&draft.id).unwrap();
    assert_eq!((revised.state, revised.version), (ItemState::Draft, 2));
    let revised_body = body.replace(
        "<ul>",
        "<p>管制路段：人民路（解放路至中山路），1月1日8时至18时。</p><ul>",
    );
    desk.save_draft(
        &draft.id,
        Some(column),
        "关于元旦期间交通管制的通告（修订）",
        &revised_body,
    )
    .unwrap();
    // The revision's diff names what changed since the returned version.
    let diff = desk.revision_diff(&draft.id).unwrap();
    let added: Vec<&str> = diff
        .iter()
        .filter(|l| l.kind == liaison_desk::diff::DiffKind::Added)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        added,
        [
            "关于元旦期间交通管制的通告（修订）",
            "管制路段：人民路（解放路至中山路），1月1日8时至18时。"
        ]
    );
    desk.send_draft(&draft.id).unwrap();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    assert_eq!(office.sign_off("市交通运输局").await.len(), 1);
    desk.sync_once(0).await.unwrap();
    let v2 = desk.draft(&draft.id).unwrap();
    assert_eq!(v2.state, ItemState::Delivered);
    assert_eq!(desk.timeline(&draft.id).unwrap().versions.len(), 2);
    assert_ne!(v2.receipt.as_deref(), Some(receipt.as_str()));
    assert_eq!(
        desk.sent_version(&draft.id, 1).unwrap().0,
        "关于元旦期间交通管制的通告"
    );
    let v1 = editor.get(&format!("/items/{id}")).await;
    assert_eq!(v1["title"], "关于元旦期间交通管制的通告");
    assert_eq!(v1["state"], "returned");
    assert!(
        !v1["body_html"].as_str().unwrap().contains("管制路段"),
        "version 1 unchanged"
    );

    desk.sign_out().await.unwrap();
    assert!(desk.session().unwrap().seat.is_none());
    assert_eq!(
        desk.keyring().token(&office.url, &officer.login).unwrap(),
        None
    );
}

#[tokio::test]
async fn an_office_that_is_down_keeps_the_item_queued_and_a_later_round_delivers_it_once() {
    let mut office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let officer = office.seat("officer", Some("市财政局")).clone();
    let desk = desk_at(dir.path(), &service());
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let column = desk.columns().unwrap()[0].id;
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(
        &draft.id,
        Some(column),
        "财政资金直达情况通报",
        "<p>正文</p>",
    )
    .unwrap();
    desk.send_draft(&draft.id).unwrap();

    // Another seat cannot take this desk over while the item waits.
    let other = office.seat("officer", Some("市教育局")).clone();
    let err = desk
        .sign_in(&office.url, &other.login, &other.password)
        .await
        .unwrap_err();
    // The refusal names the seat whose item waits, as data the window reads.
    match &err {
        DeskError::OtherSeatUnsent { office_url, login } => {
            assert_eq!(
                (office_url.as_str(), login.as_str()),
                (office.url.as_str(), officer.login.as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(desk.session().unwrap().seat.unwrap().login, officer.login);

    office.stop();
    let err = desk.sync_once(0).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let still = desk.draft(&draft.id).unwrap();
    assert_eq!(still.state, ItemState::Queued);
    // The reason is shown on the draft, as the window reads errors: by code.
    assert_eq!(
        still.last_error.as_ref().map(|e| e.code),
        Some(liaison_desk::DeskErrorCode::OfficeUnreachable),
        "{:?}",
        still.last_error
    );

    office.restart();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    let delivered = desk.draft(&draft.id).unwrap();
    assert_eq!(delivered.state, ItemState::AwaitingSignoff);
    assert_eq!(delivered.last_error, None);
    // Nothing waits now: the other seat may sign in.
    desk.sign_out().await.unwrap();
    let session = desk
        .sign_in(&office.url, &other.login, &other.password)
        .await
        .unwrap();
    assert_eq!(session.seat.unwrap().login, other.login);
    desk.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_send_the_office_refuses_comes_back_as_a_draft_with_the_reason() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    // A responsible person's seat may draft but not send (only officers send): 403.
    let responsible = office.seat("responsible", Some("市生态环境局"));
    let desk = desk_at(dir.path(), &service());
    desk.sign_in(&office.url, &responsible.login, &responsible.password)
        .await
        .unwrap();
    let column = desk.columns().unwrap()[0].id;
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(&draft.id, Some(column), "防汛预警", "<p>正文</p>")
        .unwrap();
    desk.send_draft(&draft.id).unwrap();

    let report = desk.sync_once(0).await.unwrap();
    assert_eq!(report.sent, 0);
    let back = desk.draft(&draft.id).unwrap();
    assert_eq!(
        back.state,
        ItemState::Draft,
        "editable again, not stuck in the outbox"
    );
    // Why, as data: the office's own code, which the window words.
    let why = back.last_error.clone().expect("the reason is on the draft");
    assert_eq!(why.code, liaison_desk::DeskErrorCode::RejectedByOffice);
    assert!(
        matches!(
            why.data.as_deref(),
            Some(liaison_desk::DeskErrorData::Office { code, .. }) if code == "forbidden"
        ),
        "{why:?}"
    );
    // Nothing is retried: the next round sends nothing and the office has nothing.
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 0);
    desk.sign_out().await.unwrap();
}

/// A PNG-looking file of `len` bytes in `dir`, different for each `seed`.
fn png_file(dir: &Path, name: &str, len: usize, seed: u8) -> (std::path::PathBuf, Vec<u8>) {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((bytes.len()..len).map(|i| (i as u8).wrapping_mul(17).wrapping_add(seed)));
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

#[tokio::test]
async fn attachments_arrive_byte_identical_and_executables_are_refused_at_the_desk() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (desk, column) = officer_desk(&office, "市卫生健康委", dir.path()).await;
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(
        &draft.id,
        Some(column),
        "流感疫苗接种点名单",
        "<p>见附件</p>",
    )
    .unwrap();
    // 9 MB: more than one upload piece.
    let (big, big_bytes) = png_file(files.path(), "接种点分布图.png", 9 << 20, 1);
    let (small, _) = png_file(files.path(), "说明.png", 40_000, 2);
    desk.attach_file(&draft.id, &big).await.unwrap();
    let view = desk.attach_file(&draft.id, &small).await.unwrap();
    assert_eq!(view.attachments.len(), 2);
    // The same bytes again are not a second file.
    assert_eq!(
        desk.attach_file(&draft.id, &big)
            .await
            .unwrap()
            .attachments
            .len(),
        2
    );
    // An executable named like a picture is refused, and the draft is unchanged.
    let exe = files.path().join("名单.png");
    std::fs::write(
        &exe,
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0 not a picture",
    )
    .unwrap();
    let err = desk.attach_file(&draft.id, &exe).await.unwrap_err();
    assert!(matches!(err, DeskError::FileNotAllowed(_)), "{err}");
    assert_eq!(desk.draft(&draft.id).unwrap().attachments.len(), 2);

    let queued = desk.send_draft(&draft.id).unwrap();
    let progress = queued.sending.expect("a queued send shows its progress");
    assert_eq!(progress.total_bytes, (9 << 20) + 40_000);
    assert_eq!(progress.uploaded_bytes, 0);
    desk.sync_once(0).await.unwrap();
    let delivered = desk.draft(&draft.id).unwrap();
    assert_eq!(delivered.state, ItemState::AwaitingSignoff);
    assert!(delivered.sending.is_none());
    office.sign_off("市卫生健康委").await;

    let editor = office.editor().await;
    let item = &editor.inbox_titled("流感疫苗接种点名单").await[0];
    let detail = editor.get(&format!("/items/{}", item["id"])).await;
    let attached = detail["attachments"].as_array().unwrap();
    assert_eq!(attached.len(), 2);
    assert_eq!(attached[0]["name"], "接种点分布图.png");
    assert_eq!(attached[0]["mime"], "image/png");
    let got = editor
        .bytes(&format!(
            "/items/{}/files/{}",
            item["id"],
            attached[0]["sha256"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert!(got == big_bytes, "byte-identical");
    desk.sign_out().await.unwrap();
}

/// The sign-off view shows a body's inline images: a responsible person's desk, which never held
/// the officer's files, fetches each from the office, checked by its name and capped at the size
/// an inline image may have; another department's responsible person gets none of them.
#[tokio::test]
async fn a_responsible_persons_desk_fetches_the_inline_images_of_an_item_awaiting_sign_off() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (desk, column) = officer_desk(&office, "市卫生健康委", dir.path()).await;
    let draft = desk.create_draft(Some(column)).unwrap();
    let (_, photo) = png_file(files.path(), "接种点.png", 30_000, 3);
    let limit = liaison_domain::attachment::MAX_INLINE_IMAGE_BYTES as usize;
    let (_, poster) = png_file(files.path(), "海报.png", limit + 1, 4);
    let mut shas = Vec::new();
    for (name, bytes) in [("接种点.png", &photo), ("海报.png", &poster)] {
        let view = desk
            .attach_bytes(&draft.id, name, bytes.clone())
            .await
            .unwrap();
        shas.push(view.attachments.last().unwrap().sha256.clone());
    }
    let body = format!(
        r#"<p>接种点如下：</p><p><img src="liaison-file:{}" alt="接种点"></p><p><img src="liaison-file:{}" alt="海报"></p>"#,
        shas[0], shas[1]
    );
    desk.save_draft(&draft.id, Some(column), "流感疫苗接种点（附图）", &body)
        .unwrap();
    desk.send_draft(&draft.id).unwrap();
    desk.sync_once(0).await.unwrap();

    let signed_in = |department: &'static str, dir: &Path| {
        let seat = office.seat("responsible", Some(department)).clone();
        let desk = desk_at(dir, &service());
        let url = office.url.clone();
        async move {
            desk.sign_in(&url, &seat.login, &seat.password)
                .await
                .unwrap();
            desk
        }
    };
    let responsible_dir = tempfile::tempdir().unwrap();
    let responsible = signed_in("市卫生健康委", responsible_dir.path()).await;
    let queue = responsible.signoff_queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    let item_id = queue[0].id;
    // The officer's own desk shows them from its own copy.
    assert_eq!(
        desk.office_item_image(item_id, &shas[0]).await.unwrap(),
        photo
    );
    assert_eq!(
        responsible
            .office_item_image(item_id, &shas[0])
            .await
            .unwrap(),
        photo,
        "the office's bytes, byte-identical"
    );
    let err = responsible
        .office_item_image(item_id, &shas[1])
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::FileNotAllowed(_)), "{err}");
    let err = responsible
        .office_item_image(item_id, &"0".repeat(64))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeskError::RejectedByOffice { status: 404, .. }),
        "{err}"
    );
    let err = responsible
        .office_item_image(item_id, "../../sign-out")
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::NotFound(_)), "{err}");

    // Another department's responsible person learns nothing of it.
    let other_dir = tempfile::tempdir().unwrap();
    let other = signed_in("市交通运输局", other_dir.path()).await;
    let err = other
        .office_item_image(item_id, &shas[0])
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeskError::RejectedByOffice { status: 404, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn drafts_are_backed_up_restored_on_a_new_workstation_and_both_versions_kept_on_a_clash() {
    let office = OfficeProcess::start_demo();
    let files = tempfile::tempdir().unwrap();
    let officer = office.seat("officer", Some("市人力资源和社会保障局"));
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = desk_at(dir_a.path(), &service());
    a.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let draft = a.create_draft(None).unwrap();
    a.save_draft(&draft.id, None, "2026年下半年公开招聘公告", "<p>第一稿</p>")
        .unwrap();
    let (photo, photo_bytes) = png_file(files.path(), "考场示意.png", 300_000, 3);
    a.attach_file(&draft.id, &photo).await.unwrap();
    assert_eq!(a.back_up_drafts().await.unwrap(), 0);

    // Workstation A dies; B signs into the seat and gets the draft back, file and all.
    drop(a);
    let b = desk_at(dir_b.path(), &service());
    b.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    b.sync_once(0).await.unwrap();
    let restored = b.draft(&draft.id).unwrap();
    assert_eq!(restored.title, "2026年下半年公开招聘公告");
    assert_eq!(restored.body_html, "<p>第一稿</p>");
    assert_eq!(
        restored.notice,
        Some(liaison_desk::view::DraftNotice::Restored)
    );
    assert_eq!(restored.attachments.len(), 1);
    let held = std::fs::read(b.file_path(&restored.attachments[0].sha256)).unwrap();
    assert!(held == photo_bytes, "the file came back byte-identical");

    // A comes back (its disk was fine) and both edit the same draft; B backs up first.
    let a = desk_at(dir_a.path(), &service());
    a.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    b.save_draft(
        &draft.id,
        None,
        "2026年下半年公开招聘公告",
        "<p>乙电脑改的</p>",
    )
    .unwrap();
    b.back_up_drafts().await.unwrap();
    a.save_draft(
        &draft.id,
        None,
        "2026年下半年公开招聘公告",
        "<p>甲电脑改的</p>",
    )
    .unwrap();
    // A's backup was made from an older copy: refused, and A keeps both.
    assert_eq!(a.back_up_drafts().await.unwrap(), 1);
    let mine = a.draft(&draft.id).unwrap();
    assert_eq!(mine.body_html, "<p>甲电脑改的</p>");
    assert_eq!(
        mine.notice,
        Some(liaison_desk::view::DraftNotice::OtherCopyKept)
    );
    let kept = a
        .drafts()
        .unwrap()
        .into_iter()
        .find(|d| d.notice == Some(liaison_desk::view::DraftNotice::IsOtherCopy))
        .expect("the other workstation's version is kept as its own draft");
    assert_eq!(a.draft(&kept.id).unwrap().body_html, "<p>乙电脑改的</p>");
    // A's own text now goes to the office over B's copy, which lives on in the kept draft.
    a.sync_once(0).await.unwrap();
    let seat = office.signed_in(officer).await;
    let backups = seat.get("/drafts").await;
    let bodies: Vec<&str> = backups
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["body_html"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"<p>甲电脑改的</p>"), "{bodies:?}");
    assert!(bodies.contains(&"<p>乙电脑改的</p>"), "{bodies:?}");
    a.sign_out().await.unwrap();
}

#[tokio::test]
async fn overdue_columns_urges_and_reviews_become_notices_raised_once_across_restarts() {
    use liaison_desk::duties::{NoticeKind, NotifyHours};
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let service = service();
    let officer = office.seat("officer", Some("市教育局"));
    let desk = desk_at(dir.path(), &service);
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    // Notifications at any hour, so the test does not depend on when it runs.
    desk.set_notify_hours(&NotifyHours {
        start: "00:00".into(),
        end: "24:00".into(),
        working_days_only: false,
    })
    .unwrap();
    desk.sync_once(0).await.unwrap();

    // The board came with the sync and is computed here; the demo has an overdue column.
    let board = desk.board().unwrap();
    assert!(board.fetched_at.is_some());
    let overdue: Vec<_> = board
        .columns
        .iter()
        .filter(|c| c.status.state == liaison_domain::DutyState::Overdue)
        .collect();
    assert!(!overdue.is_empty(), "{board:?}");
    let raised = desk.check_duties().unwrap();
    assert_eq!(
        raised
            .iter()
            .filter(|n| n.kind == NoticeKind::Overdue)
            .count(),
        overdue.len()
    );
    assert!(desk.check_duties().unwrap().is_empty(), "raised once");

    // The office urges; the next sync brings it, and it is raised once.
    let editor = office.editor().await;
    let column = board.columns[0].column.id;
    let (status, _) = editor
        .post(
            &format!("/columns/{column}/urge"),
            json!({"message": "请于今日下班前报送"}),
        )
        .await;
    assert_eq!(status, 201);
    desk.sync_once(0).await.unwrap();
    let raised = desk.check_duties().unwrap();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0].kind, NoticeKind::Urged);
    assert_eq!(
        raised[0].facts.message.as_deref(),
        Some("请于今日下班前报送")
    );
    assert_eq!(raised[0].column_id, Some(column));

    // A restart raises nothing again; every notice is still there, unread.
    let before = desk.notices().unwrap();
    drop(desk);
    let desk = desk_at(dir.path(), &service);
    desk.sync_once(0).await.unwrap();
    assert!(desk.check_duties().unwrap().is_empty());
    let after = desk.notices().unwrap();
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|n| !n.read));
    desk.mark_notices_read(None).unwrap();
    assert!(desk.notices().unwrap().iter().all(|n| n.read));
    desk.sign_out().await.unwrap();
}

/// The desk engine on a clock the test moves: a column crosses due soon and overdue, each notice
/// is raised once, a restart raises nothing again, and outside working hours a notice waits for
/// the morning.
#[tokio::test]
async fn on_an_injected_clock_a_column_crosses_due_soon_and_overdue_once_each() {
    use chrono::{DateTime, Duration, Utc};
    use liaison_desk::duties::{NoticeKind, NotifyHours};
    use liaison_domain::calendar::{beijing_date, beijing_midnight};
    use std::sync::{Arc, Mutex};

    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let service = service();
    let officer = office.seat("officer", Some("市教育局"));
    let now = Arc::new(Mutex::new(Utc::now()));
    let open = || {
        let clock = now.clone();
        Desk::open_with_clock(
            &DeskConfig {
                data_dir: dir.path().to_path_buf(),
                keyring_service: service.clone(),
            },
            Arc::new(move || *clock.lock().unwrap()),
        )
        .unwrap()
    };
    let set = |t: DateTime<Utc>| *now.lock().unwrap() = t;
    let desk = open();
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    desk.sync_once(0).await.unwrap();
    desk.sign_out().await.unwrap(); // from here on the desk works offline from what it fetched

    // A column that must be updated every working day, and when it was last updated.
    let board = desk.board().unwrap();
    let news = board
        .columns
        .iter()
        .find(|c| c.column.duty == liaison_domain::DutyRule::NEWS && c.status.last_update.is_some())
        .expect("the demo's news column has an accepted update");
    let (column, last) = (news.column.id, news.status.last_update.unwrap());
    let calendar = desk.calendar().unwrap();
    let due_day = calendar.add_working_days(beijing_date(last), 1);
    let at = |day: chrono::NaiveDate, hh: i64, mm: i64| {
        beijing_midnight(day) + Duration::hours(hh) + Duration::minutes(mm)
    };
    let of_column = |raised: &[liaison_desk::duties::NoticeView]| -> Vec<NoticeKind> {
        raised
            .iter()
            .filter(|n| n.column_id == Some(column))
            .map(|n| n.kind)
            .collect()
    };
    desk.set_notify_hours(&NotifyHours {
        start: "08:30".into(),
        end: "17:30".into(),
        working_days_only: true,
    })
    .unwrap();

    // The morning after the update, before the due day: nothing about this column.
    set(last + Duration::minutes(1));
    assert!(of_column(&desk.check_duties().unwrap()).is_empty());
    // On the due day at 09:00: due soon, once.
    set(at(due_day, 9, 0));
    assert_eq!(
        of_column(&desk.check_duties().unwrap()),
        [NoticeKind::DueSoon]
    );
    set(at(due_day, 9, 30));
    assert!(of_column(&desk.check_duties().unwrap()).is_empty());

    // The next working day at 20:00: overdue, but after hours it waits.
    let next = calendar.add_working_days(due_day, 1);
    set(at(next, 20, 0));
    assert!(of_column(&desk.check_duties().unwrap()).is_empty());
    assert!(
        desk.notices()
            .unwrap()
            .iter()
            .any(|n| n.column_id == Some(column) && n.kind == NoticeKind::Overdue)
    );

    // The engine restarts overnight; in the morning the overdue notice is raised, once.
    drop(desk);
    let desk = open();
    let morning = calendar.add_working_days(next, 1);
    set(at(morning, 8, 31));
    assert_eq!(
        of_column(&desk.check_duties().unwrap()),
        [NoticeKind::Overdue]
    );
    set(at(morning, 10, 0));
    assert!(of_column(&desk.check_duties().unwrap()).is_empty());
    drop(desk);
    let desk = open();
    assert!(
        of_column(&desk.check_duties().unwrap()).is_empty(),
        "no repeat after a restart"
    );
}

#[tokio::test]
async fn a_rejection_reaches_the_desk_as_final_with_its_reason_and_a_notice() {
    use liaison_desk::duties::NoticeKind;
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let (desk, column) = officer_desk(&office, "市住房和城乡建设局", dir.path()).await;
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(&draft.id, Some(column), "内部会议纪要", "<p>不宜公开</p>")
        .unwrap();
    // This department attests its sign-off: the signed form goes with the item.
    assert!(matches!(
        desk.send_draft(&draft.id),
        Err(DeskError::SignoffRequired(_))
    ));
    let form = desk
        .attach_bytes(
            &draft.id,
            "签发单.pdf",
            b"%PDF-1.4\n%signed\n%%EOF\n".to_vec(),
        )
        .await
        .unwrap();
    let attestation = liaison_domain::Attestation {
        approver: "何文斌".into(),
        approved_on: liaison_domain::calendar::beijing_date(chrono::Utc::now()),
        form_sha256: form.attachments[0].sha256.clone(),
    };
    desk.attest(&draft.id, Some(&attestation)).unwrap();
    desk.send_draft(&draft.id).unwrap();
    desk.sync_once(0).await.unwrap();
    assert_eq!(desk.draft(&draft.id).unwrap().state, ItemState::Delivered);
    let editor = office.editor().await;
    let id = editor.inbox_titled("内部会议纪要").await[0]["id"].clone();
    let (status, _) = editor
        .post(
            &format!("/items/{id}/reject"),
            json!({"reason": "属于内部事务，不予公开"}),
        )
        .await;
    assert_eq!(status, 200);
    desk.sync_once(0).await.unwrap();
    let rejected = desk.draft(&draft.id).unwrap();
    assert_eq!(rejected.state, ItemState::Rejected);
    assert_eq!(
        rejected.review_comment.as_deref(),
        Some("属于内部事务，不予公开")
    );
    assert!(matches!(
        desk.revise_draft(&draft.id),
        Err(DeskError::InvalidState(_))
    ));
    let notice = desk
        .notices()
        .unwrap()
        .into_iter()
        .find(|n| n.kind == NoticeKind::Reviewed)
        .expect("a notice of the review");
    assert_eq!(notice.draft_id.as_deref(), Some(draft.id.as_str()));
    assert_eq!(notice.facts.review_state, Some(ItemState::Rejected));
    desk.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_commissioned_request_reaches_the_desk_which_answers_it_and_the_office_sees_it_in_time() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let (desk, _) = officer_desk(&office, "市教育局", dir.path()).await;
    let department = desk.session().unwrap().seat.unwrap().department.id;
    let editor = office.editor().await;
    let (status, posted) = editor
        .post(
            "/commissions",
            json!({"topic": "冬季安全生产专题", "requirements": "综述一篇，附现场照片。",
                   "departments": [department],
                   "deadline": {"kind": "working_days", "value": 3}}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let id = posted["id"].as_i64().unwrap();

    // The next round brings the request and a notice of it, both kept for offline reading.
    desk.sync_once(0).await.unwrap();
    let listed = desk.commissions().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].topic, "冬季安全生产专题");
    assert_eq!(listed[0].targets.len(), 1, "its own department only");
    let notices = desk.notices().unwrap();
    let told = notices
        .iter()
        .find(|n| n.kind == liaison_desk::duties::NoticeKind::Commissioned)
        .expect("a notice of the request");
    assert_eq!(told.facts.title.as_deref(), Some("冬季安全生产专题"));
    assert_eq!(
        told.facts.commission,
        Some(liaison_domain::wire::CommissionNews::Posted)
    );

    // The officer answers: a draft titled with the topic that names the request.
    let draft = desk.answer_commission(id).unwrap();
    assert_eq!(
        (draft.title.as_str(), draft.commission_id),
        ("冬季安全生产专题", Some(id))
    );
    let column = liaison_tests::submission_column(&desk);
    desk.save_draft(
        &draft.id,
        Some(column),
        "冬季安全生产专题综述",
        "<p>全市各校完成自查。</p>",
    )
    .unwrap();
    desk.send_draft(&draft.id).unwrap();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    // Before its department signs it off the office sees no answer; after, it is in time.
    let view = editor.get(&format!("/commissions/{id}")).await;
    assert_eq!(view["targets"][0]["standing"], "waiting");
    assert_eq!(office.sign_off("市教育局").await.len(), 1);
    let view = editor.get(&format!("/commissions/{id}")).await;
    assert_eq!(view["targets"][0]["standing"], "answered_in_time", "{view}");
    let sent = desk.draft(&draft.id).unwrap();
    assert_eq!(view["targets"][0]["receipt"], json!(sent.receipt));
    // The desk reads the same on its next round.
    desk.sync_once(0).await.unwrap();
    assert_eq!(
        desk.commissions().unwrap()[0].targets[0].standing,
        liaison_domain::commission::Standing::AnsweredInTime
    );

    // The window's first frame is these same reads in one: the request, the board, the drafts
    // and the notices, and nothing of a seat once it signed out.
    let first = desk.first_screen().unwrap();
    let main = first.main.expect("a signed-in seat's first frame");
    assert_eq!(first.session, desk.session().unwrap());
    assert_eq!(main.columns, desk.columns().unwrap());
    assert_eq!(main.commissions, desk.commissions().unwrap());
    assert_eq!(main.standing, desk.standing().unwrap());
    assert_eq!(main.drafts, desk.drafts().unwrap());
    assert!(main.drafts.iter().any(|d| d.id == draft.id));
    assert_eq!(main.notices, desk.notices().unwrap());
    assert!(!main.notices.is_empty(), "the notice of the request");
    let board = desk.board().unwrap();
    assert_eq!(main.board.columns.len(), board.columns.len());
    assert!(!board.columns.is_empty());
    assert_eq!(main.board.fetched_at, board.fetched_at);
    desk.sign_out().await.unwrap();
    let first = desk.first_screen().unwrap();
    assert_eq!((first.session.seat, first.main), (None, None));
}
