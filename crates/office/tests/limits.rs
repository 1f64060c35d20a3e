//! The office's limits over a real listener: writes per seat (429 with `Retry-After`), upload
//! quotas per seat (413), a nearly full disk (507, with everything stored still served), and the
//! sweep of idle uploads with the office's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use liaison_domain::ColumnView;
use liaison_office::limits::{Limits, Rate, WriteRates};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Office, office_with, png, sha256_hex};

fn file_ref(bytes: &[u8], name: &str) -> Value {
    json!({"sha256": sha256_hex(bytes), "name": name, "size": bytes.len(), "mime": "image/png"})
}

fn item(column_id: i64, title: &str, files: Vec<Value>) -> Value {
    json!({"draft_key": format!("draft-{title}"), "version": 1, "column_id": column_id,
           "title": title, "body_html": "<h2>小标题</h2><ul><li>要点</li></ul>",
           "attachments": files})
}

/// A write rate that allows `burst` at once and then one a minute: nothing refills in a test.
fn tight(burst: u32) -> Rate {
    Rate {
        burst,
        every: StdDuration::from_secs(60),
    }
}

impl Office {
    async fn send(&self, token: &str, key: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/items", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn put_draft(&self, token: &str, key: &str, files: Vec<Value>) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::PUT,
            Some(token),
            &format!("/drafts/{key}"),
            json!({"base_rev": null, "version": 1, "column_id": null, "title": "草稿",
                   "body_html": "<p>正文</p>", "attachments": files}),
        )
        .await
    }

    async fn piece_range(
        &self,
        token: &str,
        bytes: &[u8],
        from: usize,
        to: usize,
    ) -> (StatusCode, Value) {
        let r = self
            .http
            .patch(format!("{}/uploads/{}", self.base, sha256_hex(bytes)))
            .bearer_auth(token)
            .header("Upload-Offset", from.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes[from..to].to_vec())
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn upload_whole(&self, token: &str, bytes: &[u8]) {
        let (status, body) = self.announce(token, bytes, "图.png").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self.piece_range(token, bytes, 0, bytes.len()).await;
        assert_eq!((status, &body["complete"]), (StatusCode::OK, &json!(true)));
    }

    async fn column(&self, token: &str) -> i64 {
        let (_, cols) = self.get(token, "/columns").await;
        let cols: Vec<ColumnView> = serde_json::from_value(cols).unwrap();
        cols.into_iter()
            .find(|c| c.feed.accepts_items())
            .unwrap()
            .id
    }

    /// Whether the office holds some bytes of the seat's unfinished upload of `bytes` (asked of
    /// its file store: the data folder, or the database on PostgreSQL).
    async fn has_partial(&self, seat_login: &str, bytes: &[u8]) -> bool {
        let seat = self.seat_id(seat_login);
        self.state
            .files
            .offset(seat, &sha256_hex(bytes))
            .await
            .unwrap()
            > 0
    }

    /// Whether the office holds `bytes` as a complete file.
    async fn has_blob(&self, bytes: &[u8]) -> bool {
        self.state
            .files
            .blob_size(&sha256_hex(bytes))
            .await
            .unwrap()
            .is_some()
    }

    fn seat_id(&self, login: &str) -> i64 {
        self.state
            .store
            .seat_credentials(login)
            .unwrap()
            .unwrap()
            .seat
            .id
    }
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

/// The 429's code and its `Retry-After` in seconds.
async fn refusal(r: reqwest::Response) -> (StatusCode, Option<u64>, Value) {
    let status = r.status();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_kind_of_write_is_limited_per_seat_with_a_retry_after() {
    let o = office_with(|s| {
        s.with_limits(Limits {
            writes: WriteRates {
                send: tight(3),
                comment: tight(2),
                urge: tight(2),
                draft_backup: tight(2),
                upload: tight(2),
                review: tight(1),
            },
            ..Limits::default()
        })
    })
    .await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.column(&officer).await;
    let (_, before) = o.get(&officer, "/items?mine=true").await;
    let before = before.as_array().unwrap().len();

    // Sends: three, then 429 with a Retry-After within the minute; the refused one is not stored.
    let mut ids = Vec::new();
    for n in 0..3 {
        let r = o
            .send(
                &officer,
                &format!("k{n}"),
                &item(column, &format!("稿{n}"), vec![]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let (status, retry, body) =
        refusal(o.send(&officer, "k3", &item(column, "稿3", vec![])).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("sends"));
    let retry = retry.expect("a Retry-After header");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let (_, mine) = o.get(&officer, "/items?mine=true").await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        before + 3,
        "the refused send is not stored"
    );
    // Reads are never limited; another seat has its own allowance; no session is still a 401.
    let (status, _) = o.get(&officer, "/items").await;
    assert_eq!(status, StatusCode::OK);
    let other = o.sign_in("wjw.officer").await;
    let other_column = o.column(&other).await;
    let r = o
        .send(&other, "w0", &item(other_column, "卫健稿", vec![]))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, body) = o
        .call(
            reqwest::Method::POST,
            None,
            "/items",
            item(column, "x", vec![]),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );

    // Comments.
    let path = format!("/items/{}/comments", ids[0]);
    for _ in 0..2 {
        let (status, body) = o.post(&officer, &path, json!({"text": "补充说明"})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = o.post(&officer, &path, json!({"text": "补充说明"})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );

    // Draft backups.
    for n in 0..2 {
        let (status, body) = o.put_draft(&officer, &format!("d{n}"), vec![]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = o.put_draft(&officer, "d2", vec![]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );

    // Upload announcements.
    for seed in 0..2 {
        let (status, body) = o.announce(&officer, &png(100, seed), "图.png").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = o.announce(&officer, &png(100, 9), "图.png").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );

    // Review decisions: the responsible person approves one, then waits.
    let responsible = o.sign_in("jyj.responsible").await;
    let (status, body) = o
        .post(
            &responsible,
            &format!("/items/{}/approve", ids[0]),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = o
        .post(
            &responsible,
            &format!("/items/{}/approve", ids[1]),
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );

    // Urges.
    let editor = o.sign_in("bjb.editor").await;
    let urge = format!("/columns/{column}/urge");
    for _ in 0..2 {
        let (status, body) = o
            .post(&editor, &urge, json!({"message": "请尽快更新"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = o
        .post(&editor, &urge, json!({"message": "请尽快更新"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

#[tokio::test]
async fn the_default_limits_stop_a_flood_of_sends_but_not_an_officer_catching_up() {
    let o = office_with(|s| s).await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.column(&officer).await;
    let mut accepted = 0;
    let mut refused = 0;
    for n in 0..50 {
        let r = o
            .send(
                &officer,
                &format!("f{n}"),
                &item(column, &format!("洪水{n}"), vec![]),
            )
            .await;
        match r.status() {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
        // An officer catching up sends 20 in a minute: all of them go.
        if n < 20 {
            assert_eq!(refused, 0, "send {n} refused");
        }
    }
    assert!(
        accepted <= 32 && refused >= 18,
        "{accepted} accepted, {refused} refused"
    );
}

#[tokio::test]
async fn a_seat_cannot_hold_more_unfinished_uploads_than_its_quota() {
    let o = office_with(|s| {
        s.with_limits(Limits {
            pending_upload_bytes: 1000,
            ..Limits::default()
        })
    })
    .await;
    let officer = o.sign_in("jyj.officer").await;
    let (a, b) = (png(600, 1), png(600, 2));
    let (status, _) = o.announce(&officer, &a, "图.png").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = o.announce(&officer, &b, "图.png").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "quota_exceeded");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("unfinished") && message.contains("600") && message.contains("1000"),
        "{message}"
    );
    // Resuming what is announced is never refused; finishing it frees the pending quota.
    let (status, body) = o.announce(&officer, &a, "图.png").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = o.piece_range(&officer, &a, 0, a.len()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = o.announce(&officer, &b, "图.png").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Another seat has its own quota.
    let other = o.sign_in("wjw.officer").await;
    let (status, _) = o.announce(&other, &png(900, 3), "图.png").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn complete_uploads_nothing_uses_count_against_the_unused_quota() {
    let o = office_with(|s| {
        s.with_limits(Limits {
            unused_upload_bytes: 1000,
            ..Limits::default()
        })
    })
    .await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.column(&officer).await;
    let (a, b, c) = (png(600, 1), png(600, 2), png(600, 3));
    o.upload_whole(&officer, &a).await;
    let (status, body) = o.announce(&officer, &b, "图.png").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded")
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("no item or draft backup uses"),
        "{message}"
    );
    // An item that carries it uses it: room again.
    let r = o
        .send(
            &officer,
            "k-a",
            &item(column, "带图", vec![file_ref(&a, "a.png")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    o.upload_whole(&officer, &b).await;
    // A draft backup that names it uses it too.
    let (status, body) = o.announce(&officer, &c, "图.png").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded")
    );
    let (status, _) = o
        .put_draft(&officer, "d-b", vec![file_ref(&b, "b.png")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = o.announce(&officer, &c, "图.png").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_nearly_full_disk_refuses_new_uploads_and_serves_everything_stored() {
    let free = Arc::new(AtomicU64::new(u64::MAX));
    let probe = free.clone();
    let o = office_with(move |s| {
        s.with_limits(Limits::default())
            .with_free_space(move |_: &std::path::Path| Ok(probe.load(Ordering::SeqCst)))
    })
    .await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.column(&officer).await;
    let stored = png(2000, 1);
    o.upload_whole(&officer, &stored).await;
    let half = png(2000, 2);
    let (status, _) = o.announce(&officer, &half, "图.png").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = o.piece_range(&officer, &half, 0, 1000).await;
    assert_eq!(status, StatusCode::OK);
    let r = o
        .send(
            &officer,
            "k-1",
            &item(column, "一", vec![file_ref(&stored, "s.png")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Value = r.json().await.unwrap();
    let (status, _) = o
        .put_draft(&officer, "d-1", vec![file_ref(&stored, "s.png")])
        .await;
    assert_eq!(status, StatusCode::OK);

    // The disk fills up: less than the 2 GiB kept free.
    free.store(Limits::default().min_free_bytes - 1, Ordering::SeqCst);
    let (status, body) = o.announce(&officer, &png(500, 3), "图.png").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
    );
    assert!(body["message"].as_str().unwrap().contains("free"), "{body}");
    let (status, body) = o.piece_range(&officer, &half, 1000, 2000).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
    );
    let (status, body) = o.announce(&officer, &half, "图.png").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
    );
    // Announcing what is already complete brings no bytes: still answered.
    let (status, body) = o.announce(&officer, &stored, "图.png").await;
    assert_eq!((status, &body["complete"]), (StatusCode::OK, &json!(true)));

    // Nothing stored is harmed: a send naming the complete upload, downloads, draft backups.
    let r = o
        .send(
            &officer,
            "k-2",
            &item(column, "二", vec![file_ref(&stored, "s.png")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let download = o
        .http
        .get(format!(
            "{}/items/{}/files/{}",
            o.base,
            first["id"],
            sha256_hex(&stored)
        ))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), stored.as_slice());
    let (status, _) = o
        .get(
            &officer,
            &format!("/uploads/{}/content", sha256_hex(&stored)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = o
        .put_draft(&officer, "d-2", vec![file_ref(&stored, "s.png")])
        .await;
    assert_eq!(status, StatusCode::OK);

    // Room again: the upload goes on where it stopped.
    free.store(u64::MAX, Ordering::SeqCst);
    let (status, body) = o.piece_range(&officer, &half, 1000, 2000).await;
    assert_eq!((status, &body["complete"]), (StatusCode::OK, &json!(true)));
}

#[tokio::test]
async fn uploads_idle_for_a_day_that_nothing_uses_are_swept_and_shared_bytes_stay() {
    let o = office_with(|s| s).await;
    let mut jyj = o.sign_in("jyj.officer").await;
    let mut wjw = o.sign_in("wjw.officer").await;
    let column = o.column(&jyj).await;
    let (shared, sent, backed_up, half) = (png(700, 1), png(700, 2), png(700, 3), png(700, 4));
    // Both seats upload the same bytes (one blob); neither uses them.
    o.upload_whole(&jyj, &shared).await;
    o.upload_whole(&wjw, &shared).await;
    // jyj sends one file and backs up a draft with another; wjw uploads the sent file too.
    o.upload_whole(&jyj, &sent).await;
    o.upload_whole(&wjw, &sent).await;
    let r = o
        .send(
            &jyj,
            "k-s",
            &item(column, "已发", vec![file_ref(&sent, "s.png")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    o.upload_whole(&jyj, &backed_up).await;
    let (status, _) = o
        .put_draft(&jyj, "d-1", vec![file_ref(&backed_up, "b.png")])
        .await;
    assert_eq!(status, StatusCode::OK);
    // jyj stops halfway through another.
    let (status, _) = o.announce(&jyj, &half, "图.png").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = o.piece_range(&jyj, &half, 0, 300).await;
    assert_eq!(status, StatusCode::OK);
    assert!(o.has_partial("jyj.officer", &half).await);

    let sweep = || liaison_office::sweep::sweep_once(&o.state);
    // A day less an hour: nothing is idle yet. wjw then touches its copy of the shared file.
    o.clock.advance(Duration::hours(23));
    assert_eq!(sweep().await.unwrap().uploads, 0);
    // (Sessions last 12 hours.)
    wjw = o.sign_in("wjw.officer").await;
    let (status, _) = o.announce(&wjw, &shared, "图.png").await;
    assert_eq!(status, StatusCode::OK);

    // Past a day: jyj's unused copy and its half upload go; wjw's touched copy keeps the blob.
    o.clock.advance(Duration::hours(2));
    let report = sweep().await.unwrap();
    (jyj, wjw) = (
        o.sign_in("jyj.officer").await,
        o.sign_in("wjw.officer").await,
    );
    assert_eq!(
        report.uploads, 3,
        "jyj's shared, half, and wjw's copy of the sent file"
    );
    assert_eq!(report.blobs, 0, "every blob is still named by someone");
    let (status, _) = o
        .get(&jyj, &format!("/uploads/{}", sha256_hex(&shared)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = o
        .get(&jyj, &format!("/uploads/{}", sha256_hex(&half)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!o.has_partial("jyj.officer", &half).await);
    assert!(o.has_blob(&shared).await, "wjw still holds it");
    let (status, _) = o
        .get(&wjw, &format!("/uploads/{}/content", sha256_hex(&shared)))
        .await;
    assert_eq!(status, StatusCode::OK);
    // What the item carries and what the backup names stay, for their seat.
    for bytes in [&sent, &backed_up] {
        let (status, body) = o
            .get(&jyj, &format!("/uploads/{}", sha256_hex(bytes)))
            .await;
        assert_eq!((status, &body["complete"]), (StatusCode::OK, &json!(true)));
        assert!(o.has_blob(bytes).await);
    }

    // Another day: wjw's copy goes, and with it the blob nobody names any more.
    o.clock.advance(Duration::hours(24));
    let report = sweep().await.unwrap();
    assert_eq!((report.uploads, report.blobs), (1, 1));
    assert!(!o.has_blob(&shared).await);
    assert!(o.has_blob(&sent).await && o.has_blob(&backed_up).await);
    let _ = wjw;
    jyj = o.sign_in("jyj.officer").await;
    // A seat that needs the file again uploads it again.
    o.upload_whole(&jyj, &shared).await;
    assert!(o.has_blob(&shared).await);
}

#[tokio::test]
async fn an_editors_writes_in_the_console_count_against_the_same_limits() {
    let o = office_with(|s| {
        s.with_limits(Limits {
            writes: WriteRates {
                comment: tight(2),
                ..Limits::default().writes
            },
            ..Limits::default()
        })
    })
    .await;
    let officer = o.sign_in("jyj.officer").await;
    let column = o.column(&officer).await;
    let r = o
        .send(&officer, "c0", &item(column, "待评稿", vec![]))
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let responsible = o.sign_in("jyj.responsible").await;
    let (status, _) = o
        .post(&responsible, &format!("/items/{id}/approve"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);

    // The editor's console session: its cookie and the form token derived from it.
    let root = o.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{root}/sign-in"))
        .form(&[
            ("login", "bjb.editor"),
            ("password", &o.password("bjb.editor")),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    let csrf = liaison_office::console::form_token(&token);
    let comment = |text: &'static str| {
        client
            .post(format!("{root}/items/{id}/comment"))
            .header(
                "cookie",
                format!("{}={token}", liaison_office::console::SESSION_COOKIE),
            )
            .form(&[("csrf", csrf.as_str()), ("text", text), ("quote", "")])
            .send()
    };
    for text in ["一问", "二问"] {
        assert_eq!(comment(text).await.unwrap().status(), StatusCode::SEE_OTHER);
    }
    let r = comment("三问").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("操作过于频繁"));
    // The API shares the seat's allowance.
    let (status, body) = o
        .post(
            &token,
            &format!("/items/{id}/comments"),
            json!({"text": "四问"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let (_, detail) = o.get(&officer, &format!("/items/{id}")).await;
    let timeline = detail["timeline"].to_string();
    assert!(timeline.contains("二问") && !timeline.contains("三问") && !timeline.contains("四问"));
}
