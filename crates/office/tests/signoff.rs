//! A department's sign-off over the office API and console: in the app by its responsible
//! person, or attested with the approver, date and signed form; and only the admin changes
//! which a department uses.

mod common;

use chrono::Duration;
use liaison_domain::wire::InboxItem;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{item, office, png, sha256_hex, start};

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
