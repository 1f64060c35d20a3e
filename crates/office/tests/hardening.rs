//! The office as a signed-in seat with bad intent would probe it: what crosses the sign-off wall,
//! whose draft keys collide, what input drops a connection or leaks the database's words, which
//! answers lack their headers, which office actions escape the audit log, and what lenient input
//! gets through. Each test failed on the office before it was hardened.

use axum::routing::get;
use liaison_domain::wire::ErrorCode;
use liaison_office::AppState;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Office, office, office_with, png, sha256_hex};

impl Office {
    /// `http://127.0.0.1:<port>`: where the console lives.
    fn root(&self) -> String {
        self.base.trim_end_matches("/api/v1").to_owned()
    }

    async fn send(&self, token: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/items", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    async fn submission_column(&self, token: &str) -> i64 {
        let (_, cols) = self.get(token, "/columns").await;
        cols.as_array()
            .unwrap()
            .iter()
            .find(|c| c["feed"] == "submission")
            .and_then(|c| c["id"].as_i64())
            .unwrap()
    }

    /// A raw request under `/api/v1` with a body of this content type.
    async fn raw(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }
}

fn item(column_id: i64, key: &str, title: &str) -> Value {
    json!({"draft_key": key, "version": 1, "column_id": column_id,
           "title": title, "body_html": "<p>正文</p>"})
}

/// An error answer: its status is its code's one status, and its message does not quote `echo`.
fn refused(status: StatusCode, body: &Value, code: ErrorCode, echo: &str) {
    let name = serde_json::to_value(code).unwrap();
    assert_eq!(body["code"], name, "{body}");
    assert_eq!(status.as_u16(), code.http_status(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(echo.is_empty() || !message.contains(echo), "{message}");
}

#[tokio::test]
async fn the_office_learns_nothing_of_an_item_before_its_department_signs_it_off() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let responsible = o.sign_in("jyj.responsible").await;
    let editor = o.sign_in("bjb.editor").await;
    let admin = o.sign_in("bjb.admin").await;
    let column = o.submission_column(&officer).await;

    // One item the department signs off after talking it over, one it returns, one still waiting.
    let mut receipts = Vec::new();
    let mut ids = Vec::new();
    for (key, title) in [
        ("k-signed", "甲稿签发"),
        ("k-returned", "乙稿退回"),
        ("k-waiting", "丙稿待签"),
    ] {
        let (status, sent) = o.send(&officer, key, &item(column, key, title)).await;
        assert_eq!(
            (status, sent["state"].as_str()),
            (StatusCode::CREATED, Some("awaiting_signoff"))
        );
        receipts.push(sent["receipt"].as_str().unwrap().to_owned());
        ids.push(sent["id"].as_i64().unwrap());
    }
    for id in &ids {
        let (status, _) = o
            .post(
                &responsible,
                &format!("/items/{id}/comments"),
                json!({"text": "内部意见：第二段再核实"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = o
        .post(
            &officer,
            &format!("/items/{}/comments", ids[0]),
            json!({"text": "已核实"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = o
        .post(
            &responsible,
            &format!("/items/{}/return", ids[1]),
            json!({"comment": "内部退回"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Neither the editors nor the administrator hear of any of them by any route.
    let secrets = |receipts: &[String]| {
        let mut s: Vec<String> = receipts.to_vec();
        s.extend(
            [
                "甲稿签发",
                "乙稿退回",
                "丙稿待签",
                "内部意见",
                "已核实",
                "内部退回",
            ]
            .map(String::from),
        );
        s
    };
    for token in [&editor, &admin] {
        let mut answers = Vec::new();
        for path in [
            "/changes?since=0",
            "/inbox?state=all&limit=500",
            "/inbox/counts",
        ] {
            answers.push(o.get(token, path).await.1.to_string());
        }
        for id in &ids {
            let (status, _) = o.get(token, &format!("/items/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        for answer in &answers {
            for secret in secrets(&receipts) {
                assert!(!answer.contains(&secret), "{secret} in {answer}");
            }
        }
    }
    let (_, audit) = o.get(&admin, "/audit?limit=1000").await;
    for receipt in &receipts {
        assert!(
            !audit.to_string().contains(receipt.as_str()),
            "{receipt} in the audit listing"
        );
    }
    // The department itself still follows everything through its changes.
    let (_, own) = o.get(&officer, "/changes?since=0").await;
    for secret in ["signoff_requested", "内部意见", "内部退回"] {
        assert!(own.to_string().contains(secret), "{secret}");
    }

    // Signed off, the first item reaches the editors, without the department's own remarks.
    let (status, _) = o
        .post(
            &responsible,
            &format!("/items/{}/approve", ids[0]),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, detail) = o.get(&editor, &format!("/items/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    let timeline = detail["timeline"].to_string();
    assert!(
        timeline.contains("signed_off")
            && !timeline.contains("内部意见")
            && !timeline.contains("已核实"),
        "{timeline}"
    );
    let (_, changes) = o.get(&editor, "/changes?since=0").await;
    let changes = changes.to_string();
    assert!(
        changes.contains(&receipts[0]),
        "the sign-off is the editors' business"
    );
    assert!(
        !changes.contains("内部意见")
            && !changes.contains(&receipts[1])
            && !changes.contains(&receipts[2])
    );
    let (_, audit) = o.get(&admin, "/audit?limit=1000").await;
    assert!(audit.to_string().contains(&receipts[0]));
    assert!(!audit.to_string().contains(&receipts[2]));
    // A remark written after sign-off is theirs to read.
    let (status, _) = o
        .post(
            &officer,
            &format!("/items/{}/comments", ids[0]),
            json!({"text": "请编辑部审阅"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, detail) = o.get(&editor, &format!("/items/{}", ids[0])).await;
    assert!(detail["timeline"].to_string().contains("请编辑部审阅"));
}

#[tokio::test]
async fn a_draft_key_belongs_to_the_seat_that_made_it() {
    let o = office().await;
    let mine = o.sign_in("jyj.officer").await;
    let theirs = o.sign_in("czj.officer").await;
    let (my_column, their_column) = (
        o.submission_column(&mine).await,
        o.submission_column(&theirs).await,
    );

    // The same key in two departments: both are stored, neither learns of the other.
    let (status, _) = o
        .send(&mine, "a", &item(my_column, "same-key", "我的稿件"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = o
        .send(&theirs, "b", &item(their_column, "same-key", "他们的稿件"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The seat's own second send of a version is still refused.
    let (status, _) = o
        .send(&mine, "c", &item(my_column, "same-key", "我的稿件再发"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A backup of a draft is not hidden because another seat sent an item under its key.
    let backup = json!({"version": 1, "column_id": my_column, "title": "草稿", "body_html": "<p>草稿</p>", "attachments": []});
    let (status, _) = o
        .call(
            reqwest::Method::PUT,
            Some(&mine),
            "/drafts/shared-draft",
            backup,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = o
        .send(
            &theirs,
            "d",
            &item(their_column, "shared-draft", "他们的同名稿件"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, drafts) = o.get(&mine, "/drafts").await;
    assert!(drafts.to_string().contains("shared-draft"), "{drafts}");
}

#[tokio::test]
async fn no_input_drops_a_connection_and_a_panic_is_answered() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    for month in [
        "+262142-12",
        "262142-12",
        "2026-13",
        "99999-01",
        "2026-1",
        "-001-01",
    ] {
        let (status, body) = o.get(&editor, &format!("/timeliness?month={month}")).await;
        refused(status, &body, ErrorCode::BadRequest, month);
    }
    let (status, _) = o.get(&editor, "/timeliness?month=2026-11").await;
    assert_eq!(status, StatusCode::OK);

    // The console's pages past the end are empty pages.
    let console = console_session(&o, "bjb.editor").await;
    for page in ["85899347", "4294967295"] {
        let r = console
            .get(format!("{}/inbox?page={page}", o.root()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "page {page}");
    }

    // Whatever a handler does, a panic is a logged 500 with an id, in the API's and the
    // console's own forms.
    async fn boom() -> &'static str {
        if std::hint::black_box(true) {
            panic!("Conversion error from type Text at index: 0");
        }
        "never"
    }
    let router = axum::Router::new()
        .nest(
            "/api",
            liaison_office::api::answered(axum::Router::new().route("/boom", get(boom))),
        )
        .merge(liaison_office::console::answered(
            axum::Router::new().route("/boom", get(boom)),
        ));
    let state = office_state();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router.with_state(state)).await });
    let r = reqwest::get(format!("http://{at}/api/boom")).await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = r.headers()["x-error-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "internal");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&id) && !message.contains("Conversion"),
        "{message}"
    );
    let r = reqwest::get(format!("http://{at}/boom")).await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'none'")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<html") && !page.contains("Conversion"),
        "{page}"
    );
}

/// A state for a router of the test's own (its handlers use none of it).
fn office_state() -> AppState {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = liaison_office::open_store(&dir).unwrap();
    let files = liaison_office::FileStore::open(&dir.join("files")).unwrap();
    AppState::new(
        store as std::sync::Arc<dyn liaison_office::Store>,
        std::sync::Arc::new(liaison_office::SystemClock),
        files,
    )
}

#[tokio::test]
async fn bad_dates_are_refused_and_no_answer_carries_the_databases_words() {
    let o = office().await;
    let officer = o.sign_in("yjj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    // 市应急管理局 attests on paper; an inline form is enough for this check.
    let column = o.submission_column(&officer).await;
    let png = png(96, 1);
    let sha = sha256_hex(&png);
    let (status, body) = o.upload(&officer, &png, "签发单.png").await;
    assert_eq!(
        (status, body["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let mut body = item(column, "k-dates", "发布时间检查");
    body["attachments"] =
        json!([{"sha256": sha, "name": "签发单.png", "size": png.len(), "mime": "image/png"}]);
    body["attestation"] =
        json!({"approver": "李建国", "approved_on": "2026-11-26", "form_sha256": sha});
    let (status, sent) = o.send(&officer, "k-dates", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    for published_at in [
        "-0001-01-01T00:00:00Z",
        "1999-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
    ] {
        let (status, body) = o
            .post(&editor, &format!("/items/{id}/accept"), json!({"published_url": "https://portal.example/a.html", "published_at": published_at}))
            .await;
        refused(status, &body, ErrorCode::Validation, "Conversion");
    }
    let (status, detail) = o.get(&editor, &format!("/items/{id}")).await;
    assert_eq!(
        (status, detail["state"].as_str()),
        (StatusCode::OK, Some("delivered"))
    );
}

/// A browser-like client signed in to the console (cookies kept, redirects not followed).
async fn console_session(o: &Office, login: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/sign-in", o.root()))
        .form(&[("login", login), ("password", &o.password(login))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    client
}

#[tokio::test]
async fn every_answer_carries_its_security_headers() {
    let o = office().await;
    // The sign-in answer carries a token: nothing may keep it.
    let r = o
        .http
        .post(format!("{}/sessions", o.base))
        .json(&json!({"login": "jyj.officer", "password": o.password("jyj.officer")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in ["/columns", "/nope", "/items/abc", "/openapi.json"] {
        let r = o
            .http
            .get(format!("{}{path}", o.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    // The console: pages, error pages, plain refusals and the stylesheet alike.
    let console = console_session(&o, "bjb.editor").await;
    for (path, status) in [
        ("/inbox", StatusCode::OK),
        ("/nope", StatusCode::NOT_FOUND),
        ("/items/999999", StatusCode::NOT_FOUND),
        ("/items/abc", StatusCode::BAD_REQUEST),
        ("/console.css", StatusCode::OK),
    ] {
        let r = console
            .get(format!("{}{path}", o.root()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        let csp = r
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(
            csp.is_some_and(|c| c.contains("default-src 'none'")),
            "{path}"
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    // A form without its token is refused with a page that has them too.
    let r = console
        .post(format!("{}/sign-out", o.root()))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn the_session_cookie_is_secure_over_https_and_only_proxies_we_trust_say_so() {
    let trusting = office_with(|mut s| {
        s.trusted_proxies = std::sync::Arc::from(["127.0.0.1".parse().unwrap()]);
        s
    })
    .await;
    let doubting = office().await;
    let cookie = |o: &Office, proto: &'static str| {
        let (url, password) = (format!("{}/sign-in", o.root()), o.password("bjb.editor"));
        async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = client
                .post(url)
                .header("x-forwarded-proto", proto)
                .header("x-forwarded-for", "10.1.2.3")
                .form(&[("login", "bjb.editor"), ("password", password.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            r.headers()["set-cookie"].to_str().unwrap().to_owned()
        }
    };
    assert!(cookie(&trusting, "https").await.contains("Secure"));
    assert!(!cookie(&trusting, "http").await.contains("Secure"));
    // Anyone can send the header; from a peer that is not a trusted proxy it means nothing.
    assert!(!cookie(&doubting, "https").await.contains("Secure"));
    // The audit log names the client the trusted proxy speaks for, and the peer otherwise.
    let admin = trusting.sign_in("bjb.admin").await;
    let (_, audit) = trusting.get(&admin, "/audit?limit=20").await;
    assert!(audit.to_string().contains("10.1.2.3"), "{audit}");
    let admin = doubting.sign_in("bjb.admin").await;
    let (_, audit) = doubting.get(&admin, "/audit?limit=20").await;
    assert!(!audit.to_string().contains("10.1.2.3"), "{audit}");
}

#[tokio::test]
async fn every_action_of_the_offices_people_is_an_audit_entry() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let admin = o.sign_in("bjb.admin").await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.submission_column(&officer).await;
    let (status, _) = o
        .post(
            &editor,
            &format!("/columns/{column}/urge"),
            json!({"message": "请今天报送"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, departments) = o.get(&editor, "/departments").await;
    let mut scraped = None;
    for d in departments.as_array().unwrap() {
        let (_, board) = o
            .get(&editor, &format!("/board?department_id={}", d["id"]))
            .await;
        scraped = scraped.or_else(|| {
            board
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["column"]["feed"] == "scraping")
                .and_then(|c| c["column"]["id"].as_i64())
        });
    }
    let scraped = scraped.expect("the demo city has a scraped column");
    let (status, _) = o
        .post(&editor, &format!("/columns/{scraped}/updates"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let calendar = json!({"holidays": ["2027-01-01"], "working_weekends": []});
    let (status, _) = o
        .call(
            reqwest::Method::PUT,
            Some(&admin),
            "/calendar/2027",
            calendar,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lists = json!({"forbidden": ["绝密"], "misspellings": []});
    let (status, _) = o
        .call(reqwest::Method::PUT, Some(&admin), "/wordlists", lists)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, audit) = o.get(&admin, "/audit?limit=50").await;
    let entries = audit.as_array().unwrap();
    for (action, actor, subject) in [
        ("column.urged", "bjb.editor", format!("column:{column}")),
        (
            "column.update_recorded",
            "bjb.editor",
            format!("column:{scraped}"),
        ),
        (
            "calendar.published",
            "bjb.admin",
            "calendar:2027".to_owned(),
        ),
        ("word_lists.published", "bjb.admin", "word_lists".to_owned()),
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == action
                && e["actor"] == actor
                && e["subject"] == subject.as_str()),
            "no {action} by {actor} on {subject}: {audit}"
        );
    }
}

#[tokio::test]
async fn lenient_input_is_refused_with_codes_that_match_their_status_and_never_echoed() {
    let o = office().await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.submission_column(&officer).await;
    let good = item(column, "k-strict", "标题").to_string();
    // Only JSON, said plainly.
    for content_type in [
        "text/json",
        "application/jsonx",
        "application/json-patch",
        "text/plain",
        "application/json; charset=latin1",
    ] {
        let (status, body) = o.raw(&officer, "/uploads", content_type, &good).await;
        refused(status, &body, ErrorCode::UnsupportedMediaType, content_type);
    }
    // Broken JSON, wrong types: described, never quoted.
    let (status, body) = o
        .raw(
            &officer,
            "/uploads",
            "application/json",
            "{\"sha256\": <script>",
        )
        .await;
    refused(status, &body, ErrorCode::BadRequest, "<script>");
    let (status, body) = o
        .raw(
            &officer,
            "/uploads",
            "application/json",
            r#"{"sha256": "a", "size": "<script>alert(1)</script>", "name": "x"}"#,
        )
        .await;
    refused(status, &body, ErrorCode::Validation, "<script>");
    assert!(
        body["message"].as_str().unwrap().contains("(at size)"),
        "{body}"
    );
    // Control characters in any text; line breaks only where text has lines.
    for (title, body_html) in [
        ("标题\u{0}", "<p>正文</p>"),
        ("标题\u{1b}[2J", "<p>正文</p>"),
        ("两行\n标题", "<p>正文</p>"),
        ("标题", "<p>正文\u{7}</p>"),
    ] {
        let mut sent = item(column, "k-controls", title);
        sent["body_html"] = json!(body_html);
        let (status, body) = o.send(&officer, "k-controls", &sent).await;
        refused(status, &body, ErrorCode::Validation, title);
    }
    let (status, body) = o
        .post(
            &officer,
            "/handovers",
            json!({"successor": {"name": "周\u{0}敏", "staff_no": "JY-1", "phone": "13800001234"}}),
        )
        .await;
    refused(status, &body, ErrorCode::Validation, "周");
    // A body with its lines is fine.
    let mut sent = item(column, "k-lines", "标题");
    sent["body_html"] = json!("<p>第一行</p>\n\t<p>第二行</p>");
    let (status, _) = o.send(&officer, "k-lines", &sent).await;
    assert_eq!(status, StatusCode::CREATED);
    // Malformed paths and queries say what was wrong, not what was sent.
    let editor = o.sign_in("bjb.editor").await;
    for path in [
        "/items/%3Cscript%3E",
        "/inbox?state=%3Cscript%3E",
        "/changes?since=%3Cscript%3E",
        "/inbox?limit=%3Cscript%3E",
    ] {
        let (status, body) = o.get(&editor, path).await;
        refused(status, &body, ErrorCode::BadRequest, "script");
    }
}
