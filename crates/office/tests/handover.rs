//! Handing a seat to a successor over the office API, the audit chain behind it, and the
//! limit on failed sign-ins.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

mod common;

use common::{Office, office};

impl Office {
    async fn redeem(&self, login: &str, code: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            None,
            "/handovers/redeem",
            json!({"login": login, "code": code, "new_password": password}),
        )
        .await
    }

    fn verify_audit(&self) -> (bool, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_liaison-office"));
        command.args(["admin", "verify-audit"]);
        match &self.database {
            Some(url) => command.args(["--database", url]),
            None => command.arg("--data").arg(self.dir.path()),
        };
        let out = command.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

fn successor() -> Value {
    json!({"name": "周敏", "staff_no": "JY-0427", "phone": "138 0000 1234"})
}

#[tokio::test]
async fn a_handover_code_works_once_ends_the_old_holders_sessions_and_hands_over_everything() {
    let o = office().await;
    let old = o.sign_in("jyj.officer").await;
    let admin = o.sign_in("bjb.admin").await;
    let editor = o.sign_in("bjb.editor").await;
    // The outgoing holder's work: a backed-up draft and a sent item.
    let (status, _) = o
        .call(
            reqwest::Method::PUT,
            Some(&old),
            "/drafts/handover-draft",
            json!({"base_rev": null, "version": 1, "column_id": 1, "title": "寒假值班安排（未完）",
                   "body_html": "<p>草稿</p>"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = o
        .http
        .post(format!("{}/items", o.base))
        .bearer_auth(&old)
        .header("Idempotency-Key", "k-handover")
        .json(
            &json!({"draft_key": "handover-item", "version": 1, "column_id": 1,
                      "title": "已送出的通知", "body_html": "<p>正文</p>"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Started by the outgoing holder; a second one waits for the first.
    let (status, bad) = o
        .post(
            &old,
            "/handovers",
            json!({"successor": {"name": "周敏", "staff_no": "工号", "phone": "1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, started) = o
        .post(&old, "/handovers", json!({"successor": successor()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(
        (
            started["state"].as_str(),
            started["outgoing_holder"].as_str()
        ),
        (Some("requested"), Some("王晓燕"))
    );
    let id = started["id"].as_i64().unwrap();
    let (status, _) = o
        .post(&old, "/handovers", json!({"successor": successor()}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The office sees it at once; no code before approval; only the admin approves.
    let (_, listed) = o.get(&editor, "/handovers").await;
    assert_eq!(listed[0]["id"], id);
    assert_eq!(
        o.get(&old, &format!("/handovers/{id}/code")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = o
        .post(&editor, &format!("/handovers/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, approved) = o
        .post(&admin, &format!("/handovers/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let code = approved["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "{code}");
    // The outgoing holder sees the code once.
    let (status, shown) = o.get(&old, &format!("/handovers/{id}/code")).await;
    assert_eq!(
        (status, shown["code"].as_str()),
        (StatusCode::OK, Some(code.as_str()))
    );
    assert_eq!(
        o.get(&old, &format!("/handovers/{id}/code")).await.0,
        StatusCode::NOT_FOUND
    );

    // The successor: a weak password and a wrong code are refused and change nothing.
    let (status, err) = o.redeem("jyj.officer", &code, "short1").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );
    let (status, err) = o
        .redeem("jyj.officer", "AAAA-BBBB-CCCC", "寒假值班2026安排")
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("handover_code_invalid")
        )
    );
    assert_eq!(o.get(&old, "/sessions/current").await.0, StatusCode::OK);
    // The code, typed loosely (lower case, spaces), works once.
    let typed = code.to_lowercase().replace('-', " ");
    let (status, taken) = o.redeem("jyj.officer", &typed, "寒假值班2026安排").await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    assert_eq!(taken["seat"]["holder_name"], "周敏");
    let new = taken["token"].as_str().unwrap().to_owned();
    let (status, again) = o.redeem("jyj.officer", &code, "another-pass-99").await;
    assert_eq!(
        (status, again["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("handover_code_invalid")
        )
    );

    // The old holder's token is refused right after, saying why; the old password is dead.
    let (status, err) = o.get(&old, "/drafts?since=0").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("seat_handed_over"))
    );
    let (status, _) = o
        .try_sign_in("jyj.officer", &o.password("jyj.officer"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = o.try_sign_in("jyj.officer", "寒假值班2026安排").await;
    assert_eq!(status, StatusCode::CREATED);

    // The successor sees every backed-up draft and the full item history, and the holders.
    let (_, drafts) = o.get(&new, "/drafts?since=0").await;
    assert!(
        drafts.to_string().contains("寒假值班安排（未完）"),
        "{drafts}"
    );
    let (_, items) = o.get(&new, "/items").await;
    assert!(items.to_string().contains("已送出的通知"), "{items}");
    let (_, me) = o.get(&new, "/sessions/current").await;
    let (_, holders) = o.get(&new, &format!("/seats/{}/holders", me["id"])).await;
    let names: Vec<(&str, bool)> = holders
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap(), h["until"].is_null()))
        .collect();
    assert_eq!(names, [("王晓燕", false), ("周敏", true)]);
    let (_, done) = o.get(&admin, "/handovers").await;
    assert_eq!(done[0]["state"], "completed");

    // Every step is in the audit log, and the chain verifies.
    let (_, audit) = o.get(&admin, "/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("handover."))
        .collect();
    assert_eq!(
        actions,
        [
            "handover.requested",
            "handover.approved",
            "handover.code_shown",
            "handover.code_refused",
            "handover.completed",
            "handover.code_refused"
        ]
    );
    assert_eq!(o.get(&editor, "/audit").await.0, StatusCode::FORBIDDEN);
    let (ok, text) = o.verify_audit();
    assert!(ok, "{text}");
    assert!(text.contains("intact"), "{text}");
}

#[tokio::test]
async fn a_code_expires_and_a_declined_handover_changes_nothing() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let health = o.sign_in("wjw.officer").await;
    let (_, started) = o
        .post(&health, "/handovers", json!({"successor": successor()}))
        .await;
    let id = started["id"].as_i64().unwrap();
    // A reason past the rule's length, or with control characters, is refused; nothing decided.
    let longest = "定".repeat(liaison_domain::handover::MAX_REASON_CHARS);
    for reason in [format!("{longest}了"), "接任\u{7}人选".to_owned()] {
        let (status, answer) = o
            .post(
                &admin,
                &format!("/handovers/{id}/decline"),
                json!({ "reason": reason }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    }
    let (status, declined) = o
        .post(
            &admin,
            &format!("/handovers/{id}/decline"),
            json!({"reason": "接任人选未定"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(declined["state"], "declined");
    // Nothing changed: the token works, the holder is the same, no code redeems anything.
    let (status, me) = o.get(&health, "/sessions/current").await;
    assert_eq!(
        (status, me["holder_name"].as_str()),
        (StatusCode::OK, Some("陈静"))
    );
    let (status, _) = o
        .post(&admin, &format!("/handovers/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a declined handover stays declined"
    );

    // A new one, approved, whose code is not used in time.
    let (_, started) = o
        .post(&health, "/handovers", json!({"successor": successor()}))
        .await;
    let id = started["id"].as_i64().unwrap();
    let (_, approved) = o
        .post(&admin, &format!("/handovers/{id}/approve"), json!({}))
        .await;
    let code = approved["code"].as_str().unwrap().to_owned();
    o.clock.advance(Duration::hours(73));
    let (status, err) = o.redeem("wjw.officer", &code, "寒假值班2026安排").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("handover_code_expired")
        )
    );
    let admin = o.sign_in("bjb.admin").await;
    let (_, listed) = o.get(&admin, "/handovers").await;
    assert_eq!(listed[0]["state"], "expired");
    let (status, _) = o
        .try_sign_in("wjw.officer", &o.password("wjw.officer"))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the old holder still holds the seat"
    );
}

#[tokio::test]
async fn a_forced_handover_works_without_the_old_desk_and_the_old_desk_is_told_to_wipe() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let gone = o.sign_in("jtj.officer").await; // the workstation nobody will touch again
    let (_, me) = o.get(&gone, "/sessions/current").await;
    let seat_id = me["id"].as_i64().unwrap();
    // Only the admin forces a handover.
    let (status, _) = o
        .post(
            &gone,
            "/handovers",
            json!({"successor": successor(), "seat_id": seat_id}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let too_long = "调".repeat(liaison_domain::handover::MAX_REASON_CHARS + 1);
    let (status, answer) = o
        .post(
            &admin,
            "/handovers",
            json!({"successor": successor(), "seat_id": seat_id, "reason": too_long}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, forced) = o
        .post(
            &admin,
            "/handovers",
            json!({"successor": successor(), "seat_id": seat_id, "reason": "原信息员已调离"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{forced}");
    assert_eq!(forced["forced"], true);
    let id = forced["id"].as_i64().unwrap();
    let (_, approved) = o
        .post(
            &admin,
            &format!("/handovers/{id}/approve"),
            json!({"outgoing": "wipe"}),
        )
        .await;
    let code = approved["code"].as_str().unwrap().to_owned();
    // The code is the admin's alone: the outgoing seat cannot fetch it.
    assert_eq!(
        o.get(&gone, &format!("/handovers/{id}/code")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = o.redeem("jtj.officer", &code, "交通运输2026-接任").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = o.get(&gone, "/changes?since=0").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("seat_handed_over_wipe"))
    );
}

#[tokio::test]
async fn the_audit_chain_detects_an_altered_entry() {
    let o = office().await;
    for login in ["jyj.officer", "bjb.editor", "bjb.admin"] {
        o.sign_in(login).await;
    }
    o.try_sign_in("jyj.officer", "wrong").await;
    let (ok, text) = o.verify_audit();
    assert!(ok && text.contains("intact"), "{text}");
    // Item decisions are there too (the demo's history), with sign-ins and their failures.
    let admin = o.sign_in("bjb.admin").await;
    let (_, entries) = o.get(&admin, "/audit?limit=1000").await;
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "item.delivered",
        "item.signed_off",
        "item.accepted",
        "session.signed_in",
        "session.sign_in_failed",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    // Someone with the database rewrites history: refused until they remove the guard.
    let rewrite = "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2";
    match &o.database {
        None => {
            let conn = rusqlite::Connection::open(o.dir.path().join("office.db")).unwrap();
            let err = conn.execute(rewrite, []).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{err}");
            conn.execute_batch("DROP TRIGGER audit_log_append_only_update;")
                .unwrap();
            conn.execute(rewrite, []).unwrap();
        }
        Some(url) => {
            let (conn, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            let err = conn.batch_execute(rewrite).await.unwrap_err();
            let err = err.as_db_error().map(|e| e.message().to_owned());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("append-only")),
                "{err:?}"
            );
            conn.batch_execute("DROP TRIGGER audit_log_append_only_update ON audit_log")
                .await
                .unwrap();
            conn.batch_execute(rewrite).await.unwrap();
        }
    }
    let (ok, text) = o.verify_audit();
    assert!(!ok, "{text}");
    assert!(text.contains("entry 2 was changed"), "{text}");
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_seat() {
    let o = office().await;
    for _ in 0..5 {
        let (status, _) = o.try_sign_in("jyj.officer", "not-the-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now; other seats do not.
    let (status, err) = o
        .try_sign_in("jyj.officer", &o.password("jyj.officer"))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    o.sign_in("wjw.officer").await;
    // The refusal says when the next attempt is taken: one second before, it is still refused;
    // then the right password opens a session.
    let refused = reqwest::Client::new()
        .post(format!("{}/sessions", o.base))
        .json(&json!({"login": "jyj.officer", "password": o.password("jyj.officer")}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = refused.headers()[reqwest::header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "Retry-After: {wait}");
    o.clock.advance(Duration::seconds(wait - 1));
    let (status, _) = o
        .try_sign_in("jyj.officer", &o.password("jyj.officer"))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{wait} s early");
    o.clock.advance(Duration::seconds(1));
    o.sign_in("jyj.officer").await;
}

/// The console's seats page: the administrator sees the request, approves it and is shown the
/// code once; the code works.
#[tokio::test]
async fn the_admin_approves_in_the_console_and_is_shown_the_code_once() {
    let o = office().await;
    let site = o.base.trim_end_matches("/api/v1").to_owned();
    let officer = o.sign_in("rsj.officer").await;
    let (_, started) = o
        .post(&officer, "/handovers", json!({"successor": successor()}))
        .await;
    let id = started["id"].as_i64().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{site}/sign-in"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "login=bjb.admin&password={}",
            o.password("bjb.admin")
        ))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let inbox = http
        .get(format!("{site}/inbox"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains("有 1 个岗位交接等待批准"),
        "the office is told at once"
    );
    let page = http
        .get(format!("{site}/seats"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("周敏（JY-0427，138 0000 1234）"), "{page}");
    assert!(page.contains(&format!("data-handover-id=\"{id}\"")));
    assert!(page.contains("王晓燕"), "holders listed");
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + 64];
    let shown = http
        .post(format!("{site}/handovers/{id}/approve"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&outgoing=keep_read_only"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    let marker = "id=\"handover-code\">";
    let at = html.find(marker).unwrap() + marker.len();
    let code = html[at..at + 14].to_owned();
    let (status, taken) = o.redeem("rsj.officer", &code, "人社2026-接任密码").await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    // Approving again is refused: the code was shown once.
    let again = http
        .post(format!("{site}/handovers/{id}/approve"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&outgoing=keep_read_only"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}
