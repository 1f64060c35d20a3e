//! A desk engine and the office's administration, both real: a seat the administrator creates
//! signs in with its one-time code and finds its columns; columns that come, move and retire
//! reach the desk through the change log without a restart; a disabled seat's desk says so and
//! keeps what waits to be sent until the seat is enabled again.

use liaison_desk::{Desk, DeskConfig, DeskError};
use liaison_tests::{OfficeProcess, column_names};
use serde_json::{Value, json};

#[tokio::test]
async fn a_new_seat_signs_in_with_its_code_and_follows_what_the_administrator_changes() {
    let office = OfficeProcess::start_demo();
    let admin = office.signed_in(office.seat("admin", None)).await;
    let (status, department) = admin
        .post("/admin/departments", json!({"name": "市体育局"}))
        .await;
    assert_eq!(status, 201, "{department}");
    let sport = department["id"].as_i64().unwrap();
    let (status, column) = admin
        .post(
            "/admin/columns",
            json!({"department_id": sport, "name": "体育动态", "path": "部门动态/体育动态",
                   "feed": "submission", "duty": {"kind": "max_gap", "amount": 1, "unit": "working_days"},
                   "level": "first"}),
        )
        .await;
    assert_eq!(status, 201, "{column}");
    let (status, code) = admin
        .post(
            "/admin/seats",
            json!({"login": "tyj.officer", "role": "officer", "department_id": sport,
                   "holder_name": "林小雨", "phone": "13800138000"}),
        )
        .await;
    assert_eq!(status, 201, "{code}");

    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.path().to_path_buf(),
        keyring_service: format!("liaison-test-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    // The holder chooses the password; the administrator never knew one.
    desk.redeem_handover(
        &office.url,
        "tyj.officer",
        code["code"].as_str().unwrap(),
        "Tiyuju-mima-2026",
    )
    .await
    .unwrap();
    assert_eq!(column_names(&desk), ["体育动态"]);

    // A column of the education bureau moves here, with its history; a new one appears.
    let org = admin.get("/admin/organisation").await;
    let notices = org["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "教育动态")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = admin
        .post(
            &format!("/admin/columns/{notices}/move"),
            json!({"department_id": sport}),
        )
        .await;
    assert_eq!(status, 204);
    desk.sync_once(1).await.unwrap();
    assert_eq!(column_names(&desk), ["体育动态", "教育动态"]);
    let board = desk.board().unwrap();
    let moved = board
        .columns
        .iter()
        .find(|c| c.column.id == notices)
        .unwrap();
    assert!(!moved.updates.is_empty(), "its accepted history came along");

    // Retired: it leaves the board.
    let (status, _) = admin
        .post(&format!("/admin/columns/{notices}/retire"), Value::Null)
        .await;
    assert_eq!(status, 204);
    desk.sync_once(1).await.unwrap();
    assert_eq!(column_names(&desk), ["体育动态"]);

    // Disabled with a draft waiting: the desk is told why and keeps it.
    let column = desk.columns().unwrap()[0].id;
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(
        &draft.id,
        Some(column),
        "市全民健身运动会开幕",
        "<p>正文</p>",
    )
    .unwrap();
    let seat = code["seat_id"].as_i64().unwrap();
    let (status, _) = admin
        .post(&format!("/admin/seats/{seat}/disable"), Value::Null)
        .await;
    assert_eq!(status, 204);
    desk.send_draft(&draft.id).unwrap();
    let refused = desk.sync_once(1).await.unwrap_err();
    assert!(matches!(refused, DeskError::SeatDisabled(_)), "{refused:?}");
    assert!(refused.is_transient(), "kept and tried again");
    assert_eq!(desk.draft(&draft.id).unwrap().receipt, None);

    let (status, _) = admin
        .post(&format!("/admin/seats/{seat}/enable"), Value::Null)
        .await;
    assert_eq!(status, 204);
    let report = desk.sync_once(1).await.unwrap();
    assert_eq!(report.sent, 1, "delivered once the seat is enabled");
    assert!(desk.draft(&draft.id).unwrap().receipt.is_some());
}
