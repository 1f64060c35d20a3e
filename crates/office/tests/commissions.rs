//! Commissioned items (约稿) over the API: posting, who sees what, answers linked to the
//! request once they reach the office, deadlines with a moving clock, extension, withdrawal,
//! and every bad input refused.

mod common;

use chrono::Duration;
use common::{Office, office};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn department_id(o: &Office, token: &str) -> i64 {
    let (_, me) = o.get(token, "/sessions/current").await;
    me["department"]["id"].as_i64().unwrap()
}

async fn submission_column(o: &Office, token: &str) -> i64 {
    let (_, columns) = o.get(token, "/columns").await;
    columns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["feed"] == "submission")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn send(o: &Office, token: &str, key: &str, column: i64, commission: i64) -> Value {
    let r = o
        .http
        .post(format!("{}/items", o.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"draft_key": key, "version": 1, "column_id": column,
                      "title": "冬季安全生产专题稿件", "body_html": "<p>专题内容。</p>",
                      "commission_id": commission}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn standing_of(view: &Value, department: i64) -> &Value {
    view["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["department_id"] == department)
        .unwrap()
}

async fn commission_changes(o: &Office, token: &str) -> Vec<Value> {
    let (_, changes) = o.get(token, "/changes?since=0").await;
    changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "commission_updated")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_request_is_answered_in_time_by_one_department_and_late_by_another_then_extended_and_withdrawn()
 {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let edu = o.sign_in("jyj.officer").await;
    let health = o.sign_in("wjw.officer").await;
    let transport = o.sign_in("jtj.officer").await;
    let (edu_id, health_id) = (
        department_id(&o, &edu).await,
        department_id(&o, &health).await,
    );

    // Posted on Friday 2026-11-27 at 10:00, due in 2 working days: Monday 11-30 and Tuesday
    // 12-01, so by the end of Tuesday.
    let (status, posted) = o
        .post(
            &editor,
            "/commissions",
            json!({"topic": "冬季安全生产专题", "requirements": "综述一篇，附现场照片。",
                   "departments": [edu_id, health_id],
                   "deadline": {"kind": "working_days", "value": 2}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let id = posted["id"].as_i64().unwrap();
    assert_eq!(
        posted["due_at"], "2026-12-01T16:00:00Z",
        "the end of Tuesday 12-01"
    );
    assert_eq!(posted["state"], "open");
    assert_eq!(standing_of(&posted, edu_id)["standing"], "waiting");

    // The departments named hear of it; another does not, and cannot read it.
    let told = commission_changes(&o, &edu).await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0]["what"].as_str(), told[0]["topic"].as_str()),
        (Some("posted"), Some("冬季安全生产专题"))
    );
    assert!(commission_changes(&o, &transport).await.is_empty());
    let (status, _) = o.get(&transport, &format!("/commissions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = o.get(&transport, "/commissions").await;
    assert_eq!(listed, json!([]));
    // A department sees its own standing only.
    let (_, mine) = o.get(&edu, &format!("/commissions/{id}")).await;
    assert_eq!(mine["targets"].as_array().unwrap().len(), 1);
    assert_eq!(mine["targets"][0]["department_id"], edu_id);

    // 市教育局 answers: while it waits for its department's sign-off the office learns nothing.
    let column = submission_column(&o, &edu).await;
    let sent = send(&o, &edu, "answer-edu", column, id).await;
    let (_, view) = o.get(&editor, &format!("/commissions/{id}")).await;
    assert_eq!(standing_of(&view, edu_id)["standing"], "waiting");
    assert_eq!(standing_of(&view, edu_id)["receipt"], Value::Null);
    let responsible = o.sign_in("jyj.responsible").await;
    let (status, _) = o
        .post(
            &responsible,
            &format!("/items/{}/approve", sent["id"]),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, view) = o.get(&editor, &format!("/commissions/{id}")).await;
    let answered = standing_of(&view, edu_id);
    assert_eq!(answered["standing"], "answered_in_time");
    assert_eq!(answered["receipt"], sent["receipt"]);

    // Past the deadline, 市卫生健康委 has not answered: late.
    o.clock.advance(Duration::days(5));
    let editor = o.sign_in("bjb.editor").await;
    let (_, view) = o.get(&editor, &format!("/commissions/{id}")).await;
    assert_eq!(standing_of(&view, health_id)["standing"], "late");
    assert_eq!(standing_of(&view, edu_id)["standing"], "answered_in_time");

    // Extended: it waits again, and the desks are told.
    let (status, view) = o
        .post(
            &editor,
            &format!("/commissions/{id}/extend"),
            json!({"deadline": {"kind": "date", "value": "2026-12-11"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["due_at"], "2026-12-11T16:00:00Z");
    assert_eq!(standing_of(&view, health_id)["standing"], "waiting");
    let health = o.sign_in("wjw.officer").await;
    let told = commission_changes(&o, &health).await;
    assert_eq!(told.last().unwrap()["what"], "extended");
    // Not earlier than it was.
    let (status, _) = o
        .post(
            &editor,
            &format!("/commissions/{id}/extend"),
            json!({"deadline": {"kind": "date", "value": "2026-12-10"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Withdrawn: nothing more is owed; an answer sent now is an ordinary item, nothing lost.
    let (status, view) = o
        .post(&editor, &format!("/commissions/{id}/withdraw"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["state"], "withdrawn");
    assert_eq!(standing_of(&view, health_id)["standing"], "released");
    let column = submission_column(&o, &health).await;
    let late = send(&o, &health, "answer-health", column, id).await;
    let (status, item) = o.get(&health, &format!("/items/{}", late["id"])).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let (_, view) = o.get(&editor, &format!("/commissions/{id}")).await;
    assert_eq!(standing_of(&view, health_id)["standing"], "released");
    assert_eq!(standing_of(&view, edu_id)["standing"], "answered_in_time");
    let (status, _) = o
        .post(
            &editor,
            &format!("/commissions/{id}/extend"),
            json!({"deadline": {"kind": "working_days", "value": 5}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Each step is the editor's audit entry.
    let admin = o.sign_in("bjb.admin").await;
    let (_, audit) = o.get(&admin, "/audit").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"] == format!("commission:{id}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "commission.posted",
        "commission.extended",
        "commission.withdrawn",
    ] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_only_the_office_posts() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let admin = o.sign_in("bjb.admin").await;
    let edu = o.sign_in("jyj.officer").await;
    let edu_id = department_id(&o, &edu).await;
    let post = |body: Value| {
        let (o, editor) = (&o, editor.clone());
        async move { o.post(&editor, "/commissions", body).await }
    };
    let days = json!({"kind": "working_days", "value": 3});
    for (body, why) in [
        (
            json!({"topic": " ", "departments": [edu_id], "deadline": days}),
            "a topic",
        ),
        (
            json!({"topic": "专题", "departments": [], "deadline": days}),
            "at least one department",
        ),
        (
            json!({"topic": "专题", "departments": [edu_id, edu_id], "deadline": days}),
            "twice",
        ),
        (
            json!({"topic": "专题", "departments": [edu_id],
                   "deadline": {"kind": "date", "value": "2026-11-26"}}),
            "before today",
        ),
        (
            json!({"topic": "专题", "departments": [edu_id],
                   "deadline": {"kind": "working_days", "value": 0}}),
            "working days",
        ),
    ] {
        let (status, answer) = post(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(why),
            "{answer}"
        );
    }
    // A retired department is refused.
    let (status, d) = o
        .post(
            &admin,
            "/admin/departments",
            json!({"name": "市临时工作办公室"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let retired = d["id"].as_i64().unwrap();
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/departments/{retired}/retire"),
            Value::Null,
        )
        .await;
    assert!(status.is_success());
    let (status, answer) =
        post(json!({"topic": "专题", "departments": [retired], "deadline": days})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("retired"));
    // A column of a department not asked is refused.
    let health = o.sign_in("wjw.officer").await;
    let other_column = submission_column(&o, &health).await;
    let (status, _) = post(json!({"topic": "专题", "departments": [edu_id],
                                  "column_id": other_column, "deadline": days}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A department's seat may not post.
    let (status, _) = o
        .post(
            &edu,
            "/commissions",
            json!({"topic": "专题", "departments": [edu_id], "deadline": days}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing was stored by any of these.
    let (_, listed) = o.get(&editor, "/commissions").await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_editor_posts_extends_and_withdraws_a_commission_from_the_console() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let edu = o.sign_in("jyj.officer").await;
    let health = o.sign_in("wjw.officer").await;
    let (edu_id, health_id) = (
        department_id(&o, &edu).await,
        department_id(&o, &health).await,
    );
    let csrf = liaison_office::console::form_token(&editor);
    let page = o.console_get(&editor, "/commissions").await.1;
    assert!(page.contains("还没有约稿"), "{page}");

    // A date before today is refused in the console's words, and nothing is posted.
    let (edu_id, health_id) = (edu_id.to_string(), health_id.to_string());
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("topic", "冬季安全生产专题"),
        ("requirements", "综述一篇。"),
        ("departments", &edu_id),
        ("departments", &health_id),
        ("deadline", "date"),
        ("date", "2026-11-26"),
    ];
    let (status, page, _) = o.console_post(&editor, "/commissions", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("截止日期不能早于今天。"), "{page}");
    form[6].1 = "2026-12-04";
    let (status, _, location) = o.console_post(&editor, "/commissions", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let at = location.unwrap();
    let page = o.console_get(&editor, &at).await.1;
    assert!(
        page.contains("冬季安全生产专题") && page.contains("进行中"),
        "{page}"
    );
    assert_eq!(
        page.matches("data-standing=\"waiting\"").count(),
        2,
        "{page}"
    );
    assert!(page.contains("2026-12-04 23:59"), "{page}");

    // Extended by date, then withdrawn: the page says so and offers neither form again.
    let (status, _, _) = o
        .console_post(
            &editor,
            &format!("{at}/extend"),
            &[
                ("csrf", &csrf),
                ("deadline", "date"),
                ("date", "2026-12-11"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page, _) = o
        .console_post(
            &editor,
            &format!("{at}/extend"),
            &[
                ("csrf", &csrf),
                ("deadline", "date"),
                ("date", "2026-12-05"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("必须晚于原截止时间"), "{page}");
    let (status, _, _) = o
        .console_post(&editor, &format!("{at}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = o.console_get(&editor, &at).await.1;
    assert!(
        page.contains("已撤回") && page.contains("2026-12-11 23:59"),
        "{page}"
    );
    assert!(!page.contains("id=\"withdraw\""));
    assert_eq!(page.matches("data-standing=\"released\"").count(), 2);
    // The desks heard all three.
    let whats: Vec<Value> = commission_changes(&o, &health)
        .await
        .iter()
        .map(|c| c["what"].clone())
        .collect();
    assert_eq!(
        whats,
        [json!("posted"), json!("extended"), json!("withdrawn")]
    );
}
