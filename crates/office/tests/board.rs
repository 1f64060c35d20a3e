//! The duty board over the office API: columns by urgency, the office's urges reaching the
//! department, and the working-day calendar only the admin publishes.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::office;

#[tokio::test]
async fn the_board_puts_the_most_urgent_column_first_and_urges_reach_the_department() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let (status, board) = o.get(&officer, "/board").await;
    assert_eq!(status, StatusCode::OK);
    let board = board.as_array().unwrap().clone();
    assert!(board.len() >= 3);
    let urgency = |c: &Value| match c["status"]["state"].as_str().unwrap() {
        "overdue" => 0,
        "due_soon" => 1,
        _ => 2,
    };
    assert!(
        board.windows(2).all(|w| urgency(&w[0]) <= urgency(&w[1])),
        "most urgent first: {board:?}"
    );
    // The demo city has news columns without an accepted item for weeks: overdue.
    assert_eq!(board[0]["status"]["state"], "overdue");
    assert!(
        board
            .iter()
            .all(|c| c["column"]["department_id"] == board[0]["column"]["department_id"])
    );

    // Editors name the department; the calendar is the published one.
    let editor = o.sign_in("bjb.editor").await;
    let (status, _) = o.get(&editor, "/board").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let dept = board[0]["column"]["department_id"].as_i64().unwrap();
    let (status, same) = o
        .get(&editor, &format!("/board?department_id={dept}"))
        .await;
    assert_eq!(
        (status, same.as_array().unwrap().len()),
        (StatusCode::OK, board.len())
    );
    let (_, calendar) = o.get(&officer, "/calendar").await;
    assert!(
        calendar["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "2026-10-01")
    );
    assert!(
        calendar["working_weekends"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "2026-02-14")
    );

    // An urge reaches the department's change log; officers cannot urge.
    let column = board[0]["column"]["id"].as_i64().unwrap();
    let (status, _) = o
        .post(
            &officer,
            &format!("/columns/{column}/urge"),
            json!({"message": "请今天报送"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = o
        .post(
            &editor,
            &format!("/columns/{column}/urge"),
            json!({"message": "本栏目已超期，请今天报送"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    let urged: Vec<&Value> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "column_urged")
        .collect();
    assert_eq!(urged.len(), 1);
    assert_eq!(urged[0]["message"], "本栏目已超期，请今天报送");
    assert_eq!(urged[0]["column_id"], column);
    // Another department does not hear of it.
    let other = o.sign_in("wjw.officer").await;
    let (_, theirs) = o.get(&other, "/changes?since=0").await;
    assert!(!theirs.to_string().contains("column_urged"));

    // A column fed by items is kept current by accepted items only: no update is recorded on it.
    let fed = board
        .iter()
        .find(|c| c["column"]["feed"] == "submission")
        .and_then(|c| c["column"]["id"].as_i64())
        .unwrap();
    let (status, err) = o
        .post(&editor, &format!("/columns/{fed}/updates"), json!({}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation"))
    );

    // An update recorded now moves a scraped or linked gap column's due date on.
    let (_, departments) = o.get(&editor, "/departments").await;
    let mut gap = None;
    for d in departments.as_array().unwrap() {
        let (_, theirs) = o
            .get(&editor, &format!("/board?department_id={}", d["id"]))
            .await;
        gap = gap.or_else(|| {
            theirs
                .as_array()
                .unwrap()
                .iter()
                .find(|c| {
                    c["column"]["duty"]["kind"] == "max_gap"
                        && c["column"]["feed"] != "submission"
                        && c["column"]["feed"] != "co_editing"
                })
                .cloned()
        });
    }
    let gap = gap.expect("a scraped or linked gap column");
    let gap_id = gap["column"]["id"].as_i64().unwrap();
    o.clock.advance(chrono::Duration::hours(1));
    let (status, moved) = o
        .post(&editor, &format!("/columns/{gap_id}/updates"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(moved["status"]["state"], "ok");
    assert!(moved["status"]["due_at"].as_str() > gap["status"]["due_at"].as_str());
    let (_, after) = o.get(&officer, "/board").await;

    // The office's summary counts each department's overdue columns.
    let (status, summary) = o.get(&editor, "/timeliness").await;
    assert_eq!(status, StatusCode::OK);
    let mine = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"]["id"] == dept)
        .unwrap();
    let overdue_now = after
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"]["state"] == "overdue")
        .count();
    assert_eq!(mine["overdue"], overdue_now);
    assert!(mine["accepted_in_period"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn only_the_admin_publishes_the_calendar_a_year_at_a_time() {
    let o = office().await;
    let year = json!({"holidays": ["2027-01-01"], "working_weekends": ["2027-02-06"]});
    let put = |token: String, path: &'static str, body: Value| {
        let req = o
            .http
            .put(format!("{}{path}", o.base))
            .bearer_auth(token)
            .json(&body);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(
        put(
            o.sign_in("bjb.editor").await,
            "/calendar/2027",
            year.clone()
        )
        .await,
        StatusCode::FORBIDDEN
    );
    let admin = o.sign_in("bjb.admin").await;
    assert_eq!(
        put(admin.clone(), "/calendar/2027", year.clone()).await,
        StatusCode::OK
    );
    // A day of another year is refused.
    assert_eq!(
        put(admin.clone(), "/calendar/2028", year).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (_, calendar) = o.get(&admin, "/calendar").await;
    let holidays = calendar["holidays"].as_array().unwrap();
    assert!(holidays.iter().any(|d| d == "2027-01-01"));
    assert!(
        holidays.iter().any(|d| d == "2026-10-01"),
        "other years stay"
    );
}
