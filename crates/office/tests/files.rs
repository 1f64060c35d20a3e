//! An item's files over the office API: sent in pieces that resume where they stopped and are
//! checked, and refused when their bytes, kind or size are wrong.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use common::{item, office, png, sha256_hex};

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
