//! `liaison-office admin migrate-to-postgres`: a live SQLite office, built through its own API
//! (items in every state with files, an upload under way, draft backups, handovers, commissions,
//! urges, scores, a password reset, the audit chain), moved by the real binary into a throwaway
//! PostgreSQL cluster and served from there by the real binary: every answer its desks had comes
//! back the same (ids, receipts, `seq`s, sessions), nothing is new since their cursors, the files
//! download byte for byte, the upload goes on at its offset, the audit chain verifies, and new
//! rows get fresh ids. A database that holds an office, a folder that is not one, a table the
//! migration does not know, a row that does not convert and a broken audit chain are refused,
//! and a refused move leaves the database empty.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use liaison_domain::Role;
use liaison_domain::score::Scheme;
use liaison_office::store::Actor;
use liaison_office::{AppState, Clock, ManualClock, Store};
use liaison_pgcluster::Cluster;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Office, png, sha256_hex};

/// A demo city served on loopback from SQLite in its data folder, whatever backend the rest of
/// the suite runs on (`LIAISON_TEST_POSTGRES` is not looked at): the source of a move. Its clock
/// stands at the real time, so its sessions are good on an office that runs on the real clock.
async fn sqlite_office() -> Office {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = liaison_office::open_store(dir.path()).unwrap();
    let now = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(now));
    let seats = liaison_office::demo::seed(store.as_ref(), now).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let files = liaison_office::open_office_files(dir.path(), None).unwrap();
    let limits = liaison_office::Limits {
        min_free_bytes: 0,
        ..Default::default()
    };
    let state = AppState::new(store, clock.clone(), files).with_limits(limits);
    tokio::spawn(liaison_office::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Office {
        base,
        clock,
        seats,
        http: reqwest::Client::new(),
        dir,
        state,
        database: None,
    }
}

/// `liaison-office serve --database URL` in a data folder of its own, killed with the test.
struct Served {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database: &str) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("office.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_liaison-office"))
        .args(["serve", "--min-free-mib", "16", "--listen", "127.0.0.1:0"])
        .arg("--database")
        .arg(database)
        .arg("--data")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tell, listening) = std::sync::mpsc::channel();
    // Reads the whole of its output, so the process never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("liaison-office listening on ") {
                let _ = tell.send(format!("{address}/api/v1"));
            }
        }
    });
    let base = listening
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| {
            panic!(
                "the migrated office did not start: {}",
                std::fs::read_to_string(dir.path().join("office.log")).unwrap_or_default()
            )
        });
    Served {
        child,
        base,
        _dir: dir,
    }
}

/// Runs `liaison-office admin ARGS…`: whether it succeeded, its stdout and its stderr.
async fn admin(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_liaison-office"))
        .arg("admin")
        .args(args)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn migrate(data: &Path, url: &str) -> (bool, String, String) {
    admin(&[
        "migrate-to-postgres",
        "--data",
        data.to_str().unwrap(),
        "--database",
        url,
    ])
    .await
}

async fn pg(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Rows of every table of the office's schema in the database (`None` where there is no schema).
async fn pg_counts(url: &str) -> Option<Vec<(String, i64)>> {
    let client = pg(url).await;
    let exists: bool = client
        .query_one("SELECT to_regclass('public.seats') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    if !exists {
        return None;
    }
    let mut counts = Vec::new();
    for table in liaison_office::migrate_to_postgres::TABLES
        .iter()
        .chain(&["blob_chunks", "upload_pieces"])
    {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        counts.push(((*table).to_owned(), n));
    }
    Some(counts)
}

fn sqlite_counts(data: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(data.join("office.db")).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

fn sqlite_max(data: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(data.join("office.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// One office's API at `base`, with a caller's token.
async fn get(http: &reqwest::Client, base: &str, token: &str, path: &str) -> (StatusCode, Value) {
    let r = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn download(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Vec<u8> {
    let r = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/items"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn attachment(bytes: &[u8], name: &str) -> Value {
    json!({"sha256": sha256_hex(bytes), "name": name, "size": bytes.len(), "mime": "image/png"})
}

fn item(column: i64, key: &str, title: &str, files: &[Value]) -> Value {
    json!({"draft_key": key, "version": 1, "column_id": column, "title": title,
           "body_html": "<p>正文内容。</p>", "attachments": files})
}

async fn ok(o: &Office, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = o.post(token, path, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_office_moves_to_postgresql_and_its_desks_carry_on_without_a_fresh_sync() {
    let started = Instant::now();
    let o = sqlite_office().await;
    let http = reqwest::Client::new();
    let officer = o.sign_in("jyj.officer").await;
    let responsible = o.sign_in("jyj.responsible").await;
    let editor = o.sign_in("bjb.editor").await;
    let admin_token = o.sign_in("bjb.admin").await;
    let column = {
        let (_, columns) = o.get(&officer, "/columns").await;
        columns
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["feed"] == "submission")
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };

    // Files: one larger than a chunk (so it is several), a small one, one uploaded but only named
    // by a draft backup, and one under way past its first chunk.
    let big = png(2 * 1024 * 1024 + 123_457, 1);
    let small = png(40 * 1024, 2);
    let drafted = png(70 * 1024, 3);
    let under_way = png(2 * 1024 * 1024 + 4321, 4);
    for (bytes, name) in [
        (&big, "大图.png"),
        (&small, "小图.png"),
        (&drafted, "草稿附图.png"),
    ] {
        let (status, up) = o.upload(&officer, bytes, name).await;
        assert_eq!((status, &up["complete"]), (StatusCode::OK, &json!(true)));
    }
    let (status, _) = o.announce(&officer, &under_way, "未传完.png").await;
    assert_eq!(status, StatusCode::OK);
    let arrived = 1024 * 1024 + 512 * 1024 + 77;
    let (status, up) = o
        .piece(&officer, &sha256_hex(&under_way), 0, &under_way[..arrived])
        .await;
    assert_eq!(
        (status, up["offset"].as_u64()),
        (StatusCode::OK, Some(arrived as u64))
    );

    // Items in several states.
    let files = [attachment(&big, "大图.png"), attachment(&small, "小图.png")];
    let (status, accepted) = send(
        &http,
        &o.base,
        &officer,
        "k-accepted",
        item(column, "d-a", "已采用的稿件", &files),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{accepted}");
    let accepted_id = accepted["id"].as_i64().unwrap();
    let (_, returned) = send(
        &http,
        &o.base,
        &officer,
        "k-returned",
        item(column, "d-r", "退回的稿件", &[]),
    )
    .await;
    let (_, rejected) = send(
        &http,
        &o.base,
        &officer,
        "k-rejected",
        item(column, "d-x", "不用的稿件", &[]),
    )
    .await;
    let (_, waiting) = send(
        &http,
        &o.base,
        &officer,
        "k-waiting",
        item(column, "d-w", "待签发的稿件", &[]),
    )
    .await;
    assert!(waiting["id"].is_i64(), "{waiting}");
    for sent in [&accepted, &returned, &rejected] {
        ok(
            &o,
            &responsible,
            &format!("/items/{}/approve", sent["id"]),
            Value::Null,
        )
        .await;
    }
    ok(
        &o,
        &editor,
        &format!("/items/{accepted_id}/comments"),
        json!({"text": "图片很好。"}),
    )
    .await;
    ok(
        &o,
        &editor,
        &format!("/items/{accepted_id}/accept"),
        json!({"published_url": "https://www.example.gov.cn/jyj/1.html"}),
    )
    .await;
    ok(
        &o,
        &editor,
        &format!("/items/{}/return", returned["id"]),
        json!({"comment": "请补充时间地点。", "quote": "正文"}),
    )
    .await;
    ok(
        &o,
        &editor,
        &format!("/items/{}/reject", rejected["id"]),
        json!({"reason": "重复报送"}),
    )
    .await;

    // Draft backups: one at rev 2, one naming a file.
    let put_draft =
        |key: &'static str, base_rev: Option<i64>, title: &'static str, files: Vec<Value>| {
            let (http, url, token) = (
                http.clone(),
                format!("{}/drafts/{key}", o.base),
                officer.clone(),
            );
            async move {
                let r = http
                    .put(url)
                    .bearer_auth(token)
                    .json(
                        &json!({"base_rev": base_rev, "version": 1, "column_id": column,
                              "title": title, "body_html": "<p>草稿</p>", "attachments": files}),
                    )
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap();
                assert_eq!(status, StatusCode::OK, "{body}");
                body
            }
        };
    put_draft("d-1", None, "第一稿", vec![]).await;
    let draft = put_draft("d-1", Some(1), "第二稿", vec![]).await;
    assert_eq!(draft["rev"], 2);
    put_draft(
        "d-2",
        None,
        "带图的草稿",
        vec![attachment(&drafted, "草稿附图.png")],
    )
    .await;

    // A completed handover (its holder's sessions revoked), and one still open.
    let outgoing = o.sign_in("wjw.officer").await;
    let successor = json!({"name": "周敏", "staff_no": "WJ-0427", "phone": "138 0000 1234"});
    let started_handover = ok(&o, &outgoing, "/handovers", json!({"successor": successor})).await;
    let handover = started_handover["id"].as_i64().unwrap();
    ok(
        &o,
        &admin_token,
        &format!("/handovers/{handover}/approve"),
        json!({}),
    )
    .await;
    let (_, code) = o
        .get(&outgoing, &format!("/handovers/{handover}/code"))
        .await;
    let (status, redeemed) = o
        .call(
            reqwest::Method::POST,
            None,
            "/handovers/redeem",
            json!({"login": "wjw.officer", "code": code["code"],
                   "new_password": "卫健交接2026新密码"}),
        )
        .await;
    assert!(status.is_success(), "{redeemed}");
    let open_holder = o.sign_in("rsj.officer").await;
    ok(
        &o,
        &open_holder,
        "/handovers",
        json!({"successor": {"name": "孙丽", "staff_no": "RS-0101", "phone": "139 0000 5678"}}),
    )
    .await;

    // The office's own work: a commission, an urge, a recorded update, a password reset, scores.
    let (_, departments) = o.get(&editor, "/departments").await;
    let edu = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "市教育局")
        .unwrap()["id"]
        .clone();
    ok(
        &o,
        &editor,
        "/commissions",
        json!({"topic": "冬季安全专题", "requirements": "综述一篇。", "departments": [edu],
              "deadline": {"kind": "working_days", "value": 3}}),
    )
    .await;
    ok(
        &o,
        &editor,
        &format!("/columns/{column}/urge"),
        json!({"message": "请今天报送"}),
    )
    .await;
    let store = o.state.store.clone();
    let outside = store
        .all_columns()
        .unwrap()
        .into_iter()
        .find(|c| c.feed.takes_recorded_updates())
        .unwrap();
    ok(
        &o,
        &editor,
        &format!("/columns/{}/updates", outside.id),
        Value::Null,
    )
    .await;
    let seats = store.seats().unwrap();
    let reset = seats
        .iter()
        .find(|s| s.login == "jtj.responsible")
        .unwrap()
        .id;
    ok(
        &o,
        &admin_token,
        &format!("/admin/seats/{reset}/password-reset"),
        Value::Null,
    )
    .await;
    let admin_seat = seats.iter().find(|s| s.role == Role::Admin).unwrap();
    liaison_office::service::scores::publish(
        store.as_ref(),
        Scheme::default(),
        &Actor {
            seat: admin_seat,
            address: "127.0.0.1",
        },
        o.clock.now(),
    )
    .unwrap();

    // Every table of the schema has rows, so the move of each is tested.
    let before_counts = sqlite_counts(o.dir.path());
    let empty: Vec<_> = before_counts.iter().filter(|(_, n)| *n == 0).collect();
    assert!(empty.is_empty(), "tables the test leaves empty: {empty:?}");
    let tables: Vec<&str> = before_counts.iter().map(|(t, _)| t.as_str()).collect();
    let mut known = liaison_office::migrate_to_postgres::TABLES.to_vec();
    known.extend(liaison_office::migrate_to_postgres::KEPT_BY_TRIGGERS);
    known.sort_unstable();
    assert_eq!(
        tables, known,
        "the migration lists every table of the schema"
    );

    // What the desks and the office were answered.
    let under_way_sha = sha256_hex(&under_way);
    let asked: Vec<(&str, String)> = vec![
        (officer.as_str(), "/changes?since=0".into()),
        (officer.as_str(), "/items".into()),
        (officer.as_str(), format!("/items/{accepted_id}")),
        (officer.as_str(), format!("/items/{}", returned["id"])),
        (officer.as_str(), "/drafts?since=0".into()),
        (officer.as_str(), format!("/uploads/{under_way_sha}")),
        (
            officer.as_str(),
            format!("/uploads/{}", sha256_hex(&drafted)),
        ),
        (officer.as_str(), "/sessions/current".into()),
        (officer.as_str(), "/columns".into()),
        (officer.as_str(), "/commissions".into()),
        (responsible.as_str(), "/signoffs".into()),
        (editor.as_str(), "/changes?since=0".into()),
        (editor.as_str(), "/inbox?state=all&limit=500".into()),
        (editor.as_str(), "/inbox/counts".into()),
        (
            editor.as_str(),
            "/inbox/counts?from=2026-11-01&to=2026-11-30".into(),
        ),
        (editor.as_str(), format!("/items/{accepted_id}")),
        (editor.as_str(), format!("/items/{}", waiting["id"])),
        (editor.as_str(), "/handovers".into()),
        (editor.as_str(), "/seats".into()),
        (editor.as_str(), "/calendar".into()),
        (editor.as_str(), "/wordlists".into()),
        (admin_token.as_str(), "/audit".into()),
        (admin_token.as_str(), "/admin/organisation".into()),
        (outgoing.as_str(), "/sessions/current".into()),
    ];
    let mut before = Vec::new();
    for (token, path) in &asked {
        before.push(get(&http, &o.base, token, path).await);
    }
    assert_eq!(before[0].0, StatusCode::OK);
    assert_eq!(before[5].1["offset"], arrived, "{}", before[5].1);
    assert_eq!(
        before.last().unwrap().0,
        StatusCode::UNAUTHORIZED,
        "the handed-over seat's session ended"
    );
    let cursor = before[0].1["next"].as_i64().unwrap();
    let big_path = format!("/items/{accepted_id}/files/{}", sha256_hex(&big));
    let small_path = format!("/items/{accepted_id}/files/{}", sha256_hex(&small));
    assert_eq!(download(&http, &o.base, &officer, &big_path).await, big);
    let audit_entries = before_counts
        .iter()
        .find(|(t, _)| t == "audit_log")
        .unwrap()
        .1;
    let max_item = sqlite_max(o.dir.path(), "SELECT max(id) FROM items");
    let max_seq = sqlite_max(o.dir.path(), "SELECT max(seq) FROM changes");
    let max_draft_seq = sqlite_max(o.dir.path(), "SELECT max(seq) FROM draft_backups");

    // The move, while the SQLite office still serves.
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("moved").unwrap();
    let moving = Instant::now();
    let (moved, stdout, stderr) = migrate(o.dir.path(), &url).await;
    let move_took = moving.elapsed();
    assert!(moved, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("audit log intact: {audit_entries} entries")),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 files") && stdout.contains("1 uploads under way"),
        "{stdout}"
    );
    assert!(
        stderr.contains("items: ") && stderr.contains("files: "),
        "progress: {stderr}"
    );
    let after_counts = pg_counts(&url).await.unwrap();
    // The kept counts are the database's own (its triggers counted the items as they came): the
    // inbox's counts, compared among the answers, show they agree.
    let kept = liaison_office::migrate_to_postgres::KEPT_BY_TRIGGERS;
    for (table, n) in before_counts
        .iter()
        .filter(|(t, _)| !kept.contains(&t.as_str()))
    {
        let moved = after_counts.iter().find(|(t, _)| t == table).unwrap().1;
        assert_eq!((table, moved), (table, *n));
    }
    let (verified, text, err) = admin(&["verify-audit", "--database", &url]).await;
    assert!(verified, "{text}{err}");
    assert!(text.contains(&format!("{audit_entries} entries")), "{text}");

    // Served from the database: the same answers to the same sessions.
    let new = serve(&url);
    for ((token, path), (status, answer)) in asked.iter().zip(&before) {
        let (now_status, now_answer) = get(&http, &new.base, token, path).await;
        assert_eq!((path, now_status, &now_answer), (path, *status, answer));
    }
    // No fresh sync: nothing is new since the desk's cursor.
    let (_, since) = get(
        &http,
        &new.base,
        &officer,
        &format!("/changes?since={cursor}"),
    )
    .await;
    assert_eq!(since, json!({"changes": [], "next": cursor}));
    assert_eq!(download(&http, &new.base, &officer, &big_path).await, big);
    assert_eq!(
        download(&http, &new.base, &editor, &small_path).await,
        small
    );

    // The upload goes on where it stopped, and the file is sent with a new item.
    let (status, err) = common::piece_at(
        &http,
        &new.base,
        &officer,
        &under_way_sha,
        0,
        &under_way[..10],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let (status, up) = common::piece_at(
        &http,
        &new.base,
        &officer,
        &under_way_sha,
        arrived,
        &under_way[arrived..],
    )
    .await;
    assert_eq!(
        (status, &up["complete"], &up["mime"]),
        (StatusCode::OK, &json!(true), &json!("image/png")),
        "{up}"
    );
    let (status, fresh) = send(
        &http,
        &new.base,
        &officer,
        "k-after",
        item(
            column,
            "d-after",
            "迁移后的稿件",
            &[attachment(&under_way, "未传完.png")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    assert_eq!(
        fresh["id"].as_i64(),
        Some(max_item + 1),
        "a fresh id: {fresh}"
    );
    assert_ne!(fresh["receipt"], accepted["receipt"]);
    assert_eq!(
        download(
            &http,
            &new.base,
            &officer,
            &format!("/items/{}/files/{under_way_sha}", fresh["id"])
        )
        .await,
        under_way
    );
    let (_, since) = get(
        &http,
        &new.base,
        &officer,
        &format!("/changes?since={cursor}"),
    )
    .await;
    let seqs: Vec<i64> = since["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.first(), Some(&(max_seq + 1)), "{since}");
    // A replayed send is still answered with the first answer.
    let (status, replay) = send(
        &http,
        &new.base,
        &officer,
        "k-accepted",
        item(column, "d-a", "已采用的稿件", &files),
    )
    .await;
    assert_eq!(
        (status.is_success(), &replay["id"], &replay["receipt"]),
        (true, &accepted["id"], &accepted["receipt"]),
        "{replay}"
    );
    // Draft backups go on from their rev and seq.
    let r = http
        .put(format!("{}/drafts/d-1", new.base))
        .bearer_auth(&officer)
        .json(
            &json!({"base_rev": 2, "version": 1, "column_id": column, "title": "第三稿",
                      "body_html": "<p>草稿</p>"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, drafts) = get(
        &http,
        &new.base,
        &officer,
        &format!("/drafts?since={max_draft_seq}"),
    )
    .await;
    assert_eq!(
        (
            &drafts[0]["draft_key"],
            &drafts[0]["rev"],
            &drafts[0]["seq"]
        ),
        (&json!("d-1"), &json!(3), &json!(max_draft_seq + 1)),
        "{drafts}"
    );
    // New audit entries (a sign-in) continue the chain.
    let r = http
        .post(format!("{}/sessions", new.base))
        .json(&json!({"login": "bjb.editor", "password": o.password("bjb.editor")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let entries: i64 = pg(&url)
        .await
        .query_one("SELECT count(*) FROM audit_log", &[])
        .await
        .unwrap()
        .get(0);
    assert!(entries > audit_entries, "{entries}");
    let (verified, text, err) = admin(&["verify-audit", "--database", &url]).await;
    assert!(verified, "{text}{err}");
    assert!(text.contains(&format!("{entries} entries")), "{text}");
    eprintln!(
        "moved {} audit entries and {} bytes of files in {move_took:?}; the whole test took {:?}",
        audit_entries,
        big.len() + small.len() + drafted.len() + arrived,
        started.elapsed()
    );
}

/// A small office in a folder of its own (no server), and copies of it to damage.
fn office_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = liaison_office::open_store(dir.path()).unwrap();
    liaison_office::demo::seed(store.as_ref(), common::start()).unwrap();
    drop(store);
    dir
}

fn copy_of(office: &Path, damage: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(office.join("office.db"), dir.path().join("office.db")).unwrap();
    rusqlite::Connection::open(dir.path().join("office.db"))
        .unwrap()
        .execute_batch(damage)
        .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_holds_an_office_a_folder_that_is_not_one_and_a_damaged_office_are_refused()
{
    let cluster = Cluster::start().unwrap();
    let office = office_folder();

    // Into a database that holds an office already: refused, and nothing changes.
    let full = cluster.create_database("full").unwrap();
    let (moved, out, err) = migrate(office.path(), &full).await;
    assert!(moved, "{out}{err}");
    let counts = pg_counts(&full).await.unwrap();
    let (moved, out, err) = migrate(office.path(), &full).await;
    assert!(!moved, "{out}");
    assert!(
        err.contains("already holds an office") && err.contains("seats"),
        "{err}"
    );
    assert_eq!(pg_counts(&full).await.unwrap(), counts);

    // Folders that hold no office: refused before the database is touched at all.
    let empty = cluster.create_database("empty").unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    rusqlite::Connection::open(other.path().join("office.db"))
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        .unwrap();
    let text = tempfile::tempdir().unwrap();
    std::fs::write(
        text.path().join("office.db"),
        "not a database, just words".repeat(100),
    )
    .unwrap();
    let missing = nothing.path().join("missing");
    for folder in [nothing.path(), other.path(), text.path(), missing.as_path()] {
        let (moved, out, err) = migrate(folder, &empty).await;
        assert!(!moved, "{out}");
        assert!(
            err.contains("is not an office's data folder"),
            "{}: {err}",
            folder.display()
        );
        assert_eq!(
            pg_counts(&empty).await,
            None,
            "the database was not touched"
        );
    }

    // A damaged office: refused by name, and the database holds nothing afterwards (departments
    // and seats, copied before the bad row, were rolled back with it).
    let all_empty = |counts: Vec<(String, i64)>| counts.iter().all(|(_, n)| *n == 0);
    for (damage, words) in [
        (
            "CREATE TABLE mystery (id INTEGER PRIMARY KEY, note TEXT)",
            vec!["table mystery", "does not know how to move"],
        ),
        (
            // (By hand, past the triggers that keep the inbox's counts.)
            "DROP TRIGGER items_recounted_in; DROP TRIGGER items_recounted_out;
             UPDATE items SET delivered_at = 'gestern' WHERE id = (SELECT max(id) FROM items)",
            vec![
                "of items does not convert",
                "delivered_at",
                "\"gestern\" is not an RFC 3339 time",
            ],
        ),
        (
            "UPDATE columns SET duty_json = '{not json' WHERE id = (SELECT max(id) FROM columns)",
            vec!["of columns does not convert", "duty_json", "is not JSON"],
        ),
        (
            "DROP TRIGGER audit_log_append_only_update;
             UPDATE audit_log SET detail = 'edited' WHERE seq = 2",
            vec!["audit log does not verify", "entry 2 was changed"],
        ),
    ] {
        let copy = copy_of(office.path(), damage);
        let (moved, out, err) = migrate(copy.path(), &empty).await;
        assert!(!moved, "{damage}: {out}");
        for w in &words {
            assert!(err.contains(w), "{damage}: {w:?} not in {err}");
        }
        assert!(
            all_empty(pg_counts(&empty).await.unwrap()),
            "{damage}: the database holds rows"
        );
    }

    // The database refused all that is still good for the office.
    let (moved, out, err) = migrate(office.path(), &empty).await;
    assert!(moved, "{out}{err}");
    assert_eq!(pg_counts(&empty).await.unwrap(), counts);
}
