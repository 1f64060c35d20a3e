//! The restore drill: an office keeps taking items with files from several seats while
//! `liaison-office admin backup` copies its data folder; the backup is restored into a new folder
//! and served, and every item acknowledged before the backup began is there, its files
//! byte-identical, and the audit chain verifies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use liaison_tests::{OfficeProcess, built_binary};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Officers of departments that sign off in the app (their sends need no paper attestation).
const DEPARTMENTS: [&str; 3] = ["市教育局", "市卫生健康委", "市交通运输局"];

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bytes that read as a PNG image, unique to `(seat, n, part)`.
fn png(len: usize, seat: usize, n: usize, part: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend_from_slice(format!("{seat}-{n}-{part}-").as_bytes());
    let salt = (seat * 7919 + n * 31 + part) as u8;
    v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(31) ^ salt));
    v
}

/// One item the office acknowledged (201).
#[derive(Debug, Clone)]
struct Sent {
    department: &'static str,
    id: i64,
    receipt: String,
    title: String,
    body_html: String,
    files: Vec<(String, Vec<u8>)>,
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn sign_in(office: &OfficeProcess, department: &str) -> Client {
        let seat = office.seat("officer", Some(department));
        let http = reqwest::Client::new();
        let base = format!("{}/api/v1", office.url);
        let r = http
            .post(format!("{base}/sessions"))
            .json(&json!({"login": seat.login, "password": seat.password}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.expect("sign-in answer");
        let token = body["token"].as_str().expect("a token").to_owned();
        Client { http, base, token }
    }

    async fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("office answers");
        let status = r.status().as_u16();
        (status, r.bytes().await.expect("answer body").to_vec())
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("JSON")
    }

    async fn upload(&self, bytes: &[u8], name: &str) {
        let sha = sha256_hex(bytes);
        let r = self
            .http
            .post(format!("{}/uploads", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"sha256": sha, "size": bytes.len(), "name": name}))
            .send()
            .await
            .expect("announce");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        let r = self
            .http
            .patch(format!("{}/uploads/{sha}", self.base))
            .bearer_auth(&self.token)
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("piece");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
}

/// Sends items with one or two files (up to 1.5 MB) until `stop`, recording each acknowledged.
async fn keep_sending(
    office_url: String,
    client: Client,
    seat: usize,
    department: &'static str,
    sent: Arc<Mutex<Vec<Sent>>>,
    stop: Arc<AtomicBool>,
) {
    let columns: Value = client.json("/columns").await;
    let column = columns
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["feed"] == "submission")
        .map(|c| c["id"].clone())
        .expect("a column fed by items");
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let mut files = Vec::new();
        for part in 0..(1 + n % 2) {
            let len = 20_000 + ((seat * 7 + n * 13 + part * 5) % 15) * 100_000;
            let bytes = png(len, seat, n, part);
            let name = format!("图{n}-{part}.png");
            client.upload(&bytes, &name).await;
            files.push((name, bytes));
        }
        let title = format!("演练稿件 {department} 第{n}号");
        let body_html = format!("<p>备份演练：{department} 的第{n}篇稿件。</p>");
        let attachments: Vec<Value> = files
            .iter()
            .map(|(name, b)| {
                json!({"sha256": sha256_hex(b), "name": name, "size": b.len(), "mime": "image/png"})
            })
            .collect();
        let r = client
            .http
            .post(format!("{}/items", client.base))
            .bearer_auth(&client.token)
            .header("Idempotency-Key", format!("drill-{seat}-{n}"))
            .json(
                &json!({"draft_key": format!("drill-{seat}-{n}"), "version": 1,
                          "column_id": column, "title": title, "body_html": body_html,
                          "attachments": attachments}),
            )
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let answer: Value = r.json().await.expect("send answer");
        assert_eq!(status, 201, "{office_url}: {answer}");
        sent.lock().unwrap().push(Sent {
            department,
            id: answer["id"].as_i64().expect("an id"),
            receipt: answer["receipt"].as_str().expect("a receipt").to_owned(),
            title,
            body_html,
            files: files
                .into_iter()
                .map(|(_, b)| (sha256_hex(&b), b))
                .collect(),
        });
    }
}

fn count(sent: &Mutex<Vec<Sent>>) -> usize {
    sent.lock().unwrap().len()
}

async fn wait_for(what: &str, deadline: Instant, mut done: impl FnMut() -> bool) {
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_items_arrive_restores_every_acknowledged_item_and_file() {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(45);
    // The drill sends faster than a person; the write limits would only slow it down.
    let office = OfficeProcess::start_demo_with_env(&[("LIAISON_OFFICE_WRITE_LIMITS", "off")]);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for (seat, department) in DEPARTMENTS.into_iter().enumerate() {
        let client = Client::sign_in(&office, department).await;
        senders.push(tokio::spawn(keep_sending(
            office.url.clone(),
            client,
            seat,
            department,
            sent.clone(),
            stop.clone(),
        )));
    }
    wait_for("the first items", deadline, || count(&sent) >= 15).await;

    // What was acknowledged before the backup began.
    let before: Vec<Sent> = sent.lock().unwrap().clone();
    let work = tempfile::tempdir().expect("temp dir");
    let archive = work.path().join("office-backup.zip");
    let backup_started = Instant::now();
    let out = tokio::process::Command::new(built_binary("liaison-office"))
        .args(["admin", "backup", "--data"])
        .arg(office.data.path())
        .arg("--to")
        .arg(&archive)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run admin backup");
    let backup_took = backup_started.elapsed();
    let during = count(&sent) - before.len();
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{} ({} items acknowledged during the backup, which took {:.2} s)",
        String::from_utf8_lossy(&out.stdout).trim(),
        during,
        backup_took.as_secs_f64()
    );
    // The office went on taking items after the backup.
    let after_backup = count(&sent);
    wait_for("items after the backup", deadline, || {
        count(&sent) >= after_backup + 3
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for s in senders {
        s.await.expect("a sender failed");
    }
    // No half-written file is left beside the archive.
    let beside: Vec<_> = std::fs::read_dir(work.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("office-backup.zip")]);

    // Restore into a new folder and serve it.
    let restored_dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(built_binary("liaison-office"))
        .args(["admin", "restore", "--from"])
        .arg(&archive)
        .arg("--data")
        .arg(restored_dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run admin restore");
    assert!(
        out.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    // Restoring again over it is refused.
    let again = std::process::Command::new(built_binary("liaison-office"))
        .args(["admin", "restore", "--from"])
        .arg(&archive)
        .arg("--data")
        .arg(restored_dir.path())
        .output()
        .expect("run admin restore");
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds an office"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let verify = std::process::Command::new(built_binary("liaison-office"))
        .args(["admin", "verify-audit", "--data"])
        .arg(restored_dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run verify-audit");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));

    let restored = OfficeProcess::serve_existing(restored_dir, office.seats.clone());
    let mut clients = Vec::new();
    for department in DEPARTMENTS {
        clients.push((
            department,
            Client::sign_in(&office, department).await,
            Client::sign_in(&restored, department).await,
        ));
    }
    let client_of = |department: &str| {
        clients
            .iter()
            .find(|(d, _, _)| *d == department)
            .expect("a client")
    };
    // Every item acknowledged before the backup began, as sent and as the office holds it.
    for item in &before {
        let (_, original, restored) = client_of(item.department);
        let path = format!("/items/{}", item.id);
        let there = restored.json(&path).await;
        assert_eq!(there, original.json(&path).await, "item {}", item.id);
        assert_eq!(there["receipt"], item.receipt.as_str());
        assert_eq!(there["title"], item.title.as_str());
        assert_eq!(there["body_html"], item.body_html.as_str());
        let shas: Vec<&str> = there["attachments"]
            .as_array()
            .expect("attachments")
            .iter()
            .map(|a| a["sha256"].as_str().expect("a sha256"))
            .collect();
        let want: Vec<&str> = item.files.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(shas, want, "item {}", item.id);
        for (sha, bytes) in &item.files {
            let (status, got) = restored
                .get(&format!("/items/{}/files/{sha}", item.id))
                .await;
            assert_eq!(status, 200, "item {} file {sha}", item.id);
            assert!(got == *bytes, "item {} file {sha} differs", item.id);
        }
    }
    // And the backup is whole: every item it holds (some sent during the backup) has its files.
    let mut held = 0;
    for (_, _, restored) in &clients {
        for item in restored.json("/items").await.as_array().expect("items") {
            held += 1;
            for a in item["attachments"].as_array().expect("attachments") {
                let sha = a["sha256"].as_str().expect("a sha256");
                let (status, got) = restored
                    .get(&format!("/items/{}/files/{sha}", item["id"]))
                    .await;
                assert_eq!(status, 200, "item {} file {sha}", item["id"]);
                assert_eq!(sha256_hex(&got), sha);
            }
        }
    }
    assert!(held >= before.len());
    println!(
        "drill: {} items acknowledged before the backup, {held} items of these departments restored, {} sent in all, {:.1} s",
        before.len(),
        count(&sent),
        started.elapsed().as_secs_f64()
    );
}
