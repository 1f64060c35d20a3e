//! An office on a real loopback listener over a seeded demo city, with a clock the tests move,
//! and the calls every API test makes.

#![allow(dead_code)] // each test file uses its own share of these

use std::sync::Arc;

use chrono::{DateTime, Utc};
use liaison_domain::ColumnView;
use liaison_office::demo::DemoSeat;
use liaison_office::{AppState, ManualClock, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Office {
    /// `http://127.0.0.1:<port>/api/v1`
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub seats: Vec<DemoSeat>,
    pub http: reqwest::Client,
    /// The office's data folder.
    pub dir: tempfile::TempDir,
    /// The state the office serves with (the sweep runs on it).
    pub state: AppState,
    /// The PostgreSQL database it runs on, when the suite runs on PostgreSQL.
    pub database: Option<String>,
}

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub async fn office() -> Office {
    office_with(|state| state).await
}

/// The store a test office runs on: SQLite in its data folder, or a new database of its own on
/// the PostgreSQL server `LIAISON_TEST_POSTGRES` names (`make test` runs the suite a second time
/// so, through `with-postgres`): the same tests on both backends.
/// With it, the database's address and what the office processes share through it.
pub async fn test_store(dir: &std::path::Path) -> (Arc<dyn Store>, Option<Shared>) {
    let Ok(server) = std::env::var("LIAISON_TEST_POSTGRES") else {
        return (liaison_office::open_store(dir).unwrap(), None);
    };
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "office_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let (admin, connection) =
        tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(admin);
    let _ = connection.await;
    let url = format!("{server}/{name}");
    let store = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            liaison_office::store::postgres::PgStore::open(
                &url,
                Some(std::time::Duration::from_secs(30)),
            )
        }
    })
    .await
    .unwrap()
    .unwrap();
    let bridge = store.bridge().clone();
    (Arc::new(store), Some(Shared { url, bridge }))
}

/// A PostgreSQL office's database: its address, and the bridge its store runs on.
pub struct Shared {
    pub url: String,
    pub bridge: Arc<liaison_office::store::postgres::bridge::PgBridge>,
}

/// An office whose state `configure` adjusts first (limits, the free-space probe).
pub async fn office_with(configure: impl FnOnce(AppState) -> AppState) -> Office {
    let dir = tempfile::tempdir().unwrap();
    let (store, shared) = test_store(dir.path()).await;
    let database = shared.as_ref().map(|s| s.url.clone());
    let clock = Arc::new(ManualClock::new(start()));
    let seats = liaison_office::demo::seed(store.as_ref(), start()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    // The files as the office keeps them: in its database on PostgreSQL (a pool of their own,
    // as `serve` opens it), else in the data folder.
    let files = liaison_office::open_office_files(dir.path(), database.as_deref()).unwrap();
    // The tests must not depend on how full the machine's disk is (the guard's own tests set it).
    let limits = liaison_office::Limits {
        min_free_bytes: 0,
        ..Default::default()
    };
    let mut state = AppState::new(store, clock.clone(), files);
    if let Some(shared) = shared {
        // The throttle, the write limits and the change notices as the processes share them.
        state = state.sharing(shared.bridge, &shared.url);
    }
    let state = configure(state.with_limits(limits));
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
        database,
    }
}

impl Office {
    pub fn seat(&self, login: &str) -> &DemoSeat {
        self.seats.iter().find(|s| s.login == login).unwrap()
    }

    pub fn password(&self, login: &str) -> String {
        self.seat(login).password.clone()
    }

    pub async fn try_sign_in(&self, login: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            None,
            "/sessions",
            json!({"login": login, "password": password}),
        )
        .await
    }

    pub async fn sign_in(&self, login: &str) -> String {
        let (status, body) = self.try_sign_in(login, &self.password(login)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Any call under `/api/v1`; a body without JSON (204, 201 with nothing) reads as null.
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, Some(token), path, Value::Null)
            .await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, Some(token), path, body)
            .await
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One piece of an upload, sent to the office at `base` (`…/api/v1`), as a desk sends it.
pub async fn piece_at(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    sha: &str,
    offset: usize,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let r = http
        .patch(format!("{base}/uploads/{sha}"))
        .bearer_auth(token)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Bytes that read as a PNG image, different for each `seed`.
pub fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

impl Office {
    pub async fn announce(&self, token: &str, bytes: &[u8], name: &str) -> (StatusCode, Value) {
        self.post(
            token,
            "/uploads",
            json!({"sha256": sha256_hex(bytes), "size": bytes.len(), "name": name}),
        )
        .await
    }

    pub async fn piece(
        &self,
        token: &str,
        sha: &str,
        offset: usize,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        piece_at(&self.http, &self.base, token, sha, offset, bytes).await
    }

    pub async fn upload(&self, token: &str, bytes: &[u8], name: &str) -> (StatusCode, Value) {
        let (status, _) = self.announce(token, bytes, name).await;
        assert_eq!(status, StatusCode::OK);
        self.piece(token, &sha256_hex(bytes), 0, bytes).await
    }
}

/// The console over the same listener, in the session of an API token (a session is a session).
impl Office {
    pub fn console_request(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let site = self.base.trim_end_matches("/api/v1");
        // Redirects are answers to look at, not to follow.
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .request(method, format!("{site}{path}"))
            .header(
                "cookie",
                format!("{}={token}", liaison_office::console::SESSION_COOKIE),
            )
    }

    /// A console page: its status and text (a redirect is answered as it is).
    pub async fn console_get(&self, token: &str, path: &str) -> (StatusCode, String) {
        let r = self
            .console_request(reqwest::Method::GET, token, path)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A console form (its `csrf` is the caller's: `console::form_token` of the session, or a
    /// forged one): status, page and where it sends.
    pub async fn console_post(
        &self,
        token: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let r = self
            .console_request(reqwest::Method::POST, token, path)
            .form(form)
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.status(), r.text().await.unwrap(), location)
    }
}

// Sending items and signing them off.
impl Office {
    pub async fn submit(
        &self,
        token: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
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
    pub async fn approve(&self, responsible: &str, id: &Value) {
        let token = self.sign_in(responsible).await;
        let (status, body) = self
            .post(&token, &format!("/items/{id}/approve"), Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "delivered");
    }

    pub async fn first_column(&self, token: &str) -> ColumnView {
        let (status, cols) = self.get(token, "/columns").await;
        assert_eq!(status, StatusCode::OK);
        let cols: Vec<ColumnView> = serde_json::from_value(cols).unwrap();
        cols.into_iter().find(|c| c.feed.accepts_items()).unwrap()
    }
}

/// An item of `title` for column `column_id`, as a desk sends it.
pub fn item(column_id: i64, title: &str) -> Value {
    json!({"draft_key": format!("draft-{title}"), "version": 1, "column_id": column_id,
           "title": title, "body_html": "<h2>小标题</h2><ul><li>要点</li></ul>"})
}
