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
    let delivered = desk.draft(&draft.id).unwrap();
    assert_eq!(delivered.state, ItemState::Delivered);
    let receipt = delivered.receipt.clone().unwrap();
    assert!(receipt.starts_with("LS-"));

    // A second round sends nothing again.
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 0);
    let editor = office.editor().await;
    let ours = editor.inbox_titled("关于元旦期间交通管制的通告").await;
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["receipt"], receipt.as_str());
    assert_eq!(ours[0]["holder_name"], "刘洋");

    // The editor returns it; the desk learns it on its next sync.
    let id = ours[0]["id"].as_i64().unwrap();
    let (status, _) = editor
        .post(
            &format!("/items/{id}/return"),
            json!({"comment": "请注明管制路段和起止时间"}),
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
    // Pulling again applies nothing twice.
    assert_eq!(desk.sync_once(0).await.unwrap().pulled, 0);
    assert_eq!(desk.draft(&draft.id).unwrap().state, ItemState::Returned);

    // Revise as version 2 and send again; version 1 stays as it was, at the desk and the office.
    let revised = desk.revise_draft(&draft.id).unwrap();
    assert_eq!((revised.state, revised.version), (ItemState::Draft, 2));
    desk.save_draft(
        &draft.id,
        Some(column),
        "关于元旦期间交通管制的通告（修订）",
        body,
    )
    .unwrap();
    desk.send_draft(&draft.id).unwrap();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    let v2 = desk.draft(&draft.id).unwrap();
    assert_eq!(v2.state, ItemState::Delivered);
    assert_ne!(v2.receipt.as_deref(), Some(receipt.as_str()));
    assert_eq!(
        desk.sent_version(&draft.id, 1).unwrap().0,
        "关于元旦期间交通管制的通告"
    );
    let v1 = editor.get(&format!("/items/{id}")).await;
    assert_eq!(v1["title"], "关于元旦期间交通管制的通告");
    assert_eq!(v1["state"], "returned");

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

    office.stop();
    let err = desk.sync_once(0).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let still = desk.draft(&draft.id).unwrap();
    assert_eq!(still.state, ItemState::Queued);
    assert!(
        still.last_error.is_some(),
        "the reason is shown on the draft"
    );

    office.restart();
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    let delivered = desk.draft(&draft.id).unwrap();
    assert_eq!(delivered.state, ItemState::Delivered);
    assert_eq!(delivered.last_error, None);
    desk.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_send_the_office_refuses_comes_back_as_a_draft_with_the_reason() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    // A responsible person's seat may draft but not send (only officers send): 403.
    let responsible = office.seat("responsible", Some("市应急管理局"));
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
    assert!(
        back.last_error
            .as_deref()
            .unwrap_or("")
            .contains("forbidden"),
        "{:?}",
        back.last_error
    );
    // Nothing is retried: the next round sends nothing and the office has nothing.
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 0);
    desk.sign_out().await.unwrap();
}
