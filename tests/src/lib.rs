//! Helpers the cross-process tests share: a real office process on loopback.

pub mod chaos;
pub mod fault_proxy;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A binary built into the workspace's target folder (`make test` builds them first).
pub fn built_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --bins` first (make test does)",
        path.display()
    );
    path
}

pub use liaison_domain::wire::DemoSeat;

/// `liaison-office serve --demo` on a free loopback port, killed on drop.
pub struct OfficeProcess {
    child: Child,
    binary: PathBuf,
    /// Served with `--demo`, and with this environment (kept for `restart`).
    demo: bool,
    env: Vec<(&'static str, &'static str)>,
    /// The PostgreSQL database it serves, when the suite runs on PostgreSQL (else `office.db`).
    database: Option<String>,
    pub url: String,
    pub seats: Vec<DemoSeat>,
    pub data: tempfile::TempDir,
}

/// A new database of its own for one demo office, when the suite runs on PostgreSQL
/// (`LIAISON_TEST_POSTGRES` names the server: `make test-postgres`); `None` on SQLite.
pub fn test_database() -> Option<String> {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let server = std::env::var("LIAISON_TEST_POSTGRES").ok()?;
    let name = format!(
        "desks_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    // On a thread of its own: the callers are sync and async code alike.
    let admin = format!("{server}/postgres");
    let create = format!("CREATE DATABASE {name}");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                .await
                .expect("the test PostgreSQL server answers");
            tokio::spawn(connection);
            client
                .batch_execute(&create)
                .await
                .expect("create a database");
        });
    })
    .join()
    .expect("creating the test database");
    Some(format!("{server}/{name}"))
}

/// Starts the office on `listen` over `data` (and `database`, if on PostgreSQL); returns the
/// process and its base URL.
fn spawn_office(
    binary: &Path,
    data: &Path,
    database: Option<&str>,
    listen: &str,
) -> (Child, String) {
    spawn_office_with(binary, data, database, listen, true, &[])
}

/// [`spawn_office`], as a demo office or not, with more environment.
fn spawn_office_with(
    binary: &Path,
    data: &Path,
    database: Option<&str>,
    listen: &str,
    demo: bool,
    env: &[(&str, &str)],
) -> (Child, String) {
    let mut child = Command::new(binary)
        .arg("serve")
        .args(demo.then_some("--demo"))
        .args(
            database
                .map(|url| ["--database", url])
                .into_iter()
                .flatten(),
        )
        // Keep little free space: these tests must not depend on how full the machine's disk is.
        .args(["--min-free-mib", "16", "--listen", listen, "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start liaison-office");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        assert!(Instant::now() < deadline, "office did not start in time");
        let line = lines
            .next()
            .expect("office exited before listening")
            .expect("read office stdout");
        if let Some(addr) = line.strip_prefix("liaison-office listening on ") {
            break addr.trim().to_owned();
        }
    };
    (child, url)
}

impl OfficeProcess {
    pub fn start_demo() -> OfficeProcess {
        Self::start_demo_of(&built_binary("liaison-office"))
    }

    /// The demo office from a given build of `liaison-office` (the benchmarks use the release one).
    pub fn start_demo_of(binary: &Path) -> OfficeProcess {
        let data = tempfile::tempdir().expect("temp dir");
        Self::start_demo_on(binary, data, test_database())
    }

    /// The demo office over `data`, which may already hold one (`admin seed` makes such folders).
    pub fn start_demo_in(binary: &Path, data: tempfile::TempDir) -> OfficeProcess {
        Self::start_demo_on(binary, data, None)
    }

    fn start_demo_on(
        binary: &Path,
        data: tempfile::TempDir,
        database: Option<String>,
    ) -> OfficeProcess {
        let (child, url) = spawn_office(binary, data.path(), database.as_deref(), "127.0.0.1:0");
        let seats_json =
            std::fs::read(data.path().join("demo-seats.json")).expect("demo-seats.json");
        let seats = serde_json::from_slice(&seats_json).expect("demo seats parse");
        OfficeProcess {
            child,
            binary: binary.to_path_buf(),
            demo: true,
            env: Vec::new(),
            database,
            url,
            seats,
            data,
        }
    }

    /// The office's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The demo office with more environment for the process (e.g. the write limits off).
    pub fn start_demo_with_env(env: &[(&'static str, &'static str)]) -> OfficeProcess {
        let binary = built_binary("liaison-office");
        let data = tempfile::tempdir().expect("temp dir");
        let database = test_database();
        let (child, url) = spawn_office_with(
            &binary,
            data.path(),
            database.as_deref(),
            "127.0.0.1:0",
            true,
            env,
        );
        let seats_json =
            std::fs::read(data.path().join("demo-seats.json")).expect("demo-seats.json");
        let seats = serde_json::from_slice(&seats_json).expect("demo seats parse");
        OfficeProcess {
            child,
            binary,
            demo: true,
            env: env.to_vec(),
            database,
            url,
            seats,
            data,
        }
    }

    /// An office over a data folder that already holds one (not a demo: nothing is seeded),
    /// whose seats are `seats` (e.g. restored from another office's backup).
    pub fn serve_existing(data: tempfile::TempDir, seats: Vec<DemoSeat>) -> OfficeProcess {
        let binary = built_binary("liaison-office");
        let (child, url) = spawn_office_with(&binary, data.path(), None, "127.0.0.1:0", false, &[]);
        OfficeProcess {
            child,
            binary,
            demo: false,
            env: Vec::new(),
            database: None,
            url,
            seats,
            data,
        }
    }

    /// Kills the office (SIGKILL): the desk sees connections refused.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same address and data.
    pub fn restart(&mut self) {
        self.stop();
        let listen = self.url.trim_start_matches("http://").to_owned();
        let (child, url) = spawn_office_with(
            &self.binary,
            self.data.path(),
            self.database.as_deref(),
            &listen,
            self.demo,
            &self.env,
        );
        assert_eq!(url, self.url);
        self.child = child;
    }

    pub fn seat(&self, role: &str, department: Option<&str>) -> &DemoSeat {
        self.seats
            .iter()
            .find(|s| s.role.as_str() == role && department.is_none_or(|d| s.department == d))
            .expect("demo seat")
    }
}

impl Drop for OfficeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A seat signed in at the office, using its API as the console (or a desk) does.
pub struct SeatSession {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl OfficeProcess {
    pub async fn editor(&self) -> SeatSession {
        self.signed_in(self.seat("editor", None)).await
    }

    /// The department's responsible person signs off every item waiting for it (departments
    /// whose policy is `in_app`); the ids signed off.
    pub async fn sign_off(&self, department: &str) -> Vec<i64> {
        let responsible = self
            .signed_in(self.seat("responsible", Some(department)))
            .await;
        let queue = responsible.get("/signoffs").await;
        let mut ids = Vec::new();
        for item in queue.as_array().expect("a list") {
            let id = item["id"].as_i64().expect("an id");
            let (status, body) = responsible
                .post(&format!("/items/{id}/approve"), Value::Null)
                .await;
            assert_eq!(status, 200, "{body}");
            ids.push(id);
        }
        ids
    }

    /// Any demo seat signed in straight at the office (not through a proxy).
    pub async fn signed_in(&self, seat: &DemoSeat) -> SeatSession {
        let http = reqwest::Client::new();
        let base = format!("{}/api/v1", self.url);
        let signed: Value = http
            .post(format!("{base}/sessions"))
            .json(&json!({"login": seat.login, "password": seat.password}))
            .send()
            .await
            .expect("sign in as the editor")
            .json()
            .await
            .expect("sign-in answer");
        let token = signed["token"].as_str().expect("a token").to_owned();
        SeatSession { http, base, token }
    }
}

impl SeatSession {
    /// GET a JSON document under `/api/v1`.
    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await;
        r.expect("office answers")
            .json()
            .await
            .expect("JSON answer")
    }

    /// The bytes under `/api/v1` (a file), or the status when it is not 200.
    pub async fn bytes(&self, path: &str) -> Result<Vec<u8>, u16> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|_| 0u16)?;
        if r.status().as_u16() != 200 {
            return Err(r.status().as_u16());
        }
        r.bytes().await.map(|b| b.to_vec()).map_err(|_| 0)
    }

    /// POST JSON under `/api/v1` with an `Idempotency-Key` (a send).
    pub async fn post_keyed(&self, path: &str, key: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("office answers");
        (r.status().as_u16(), r.json().await.expect("JSON answer"))
    }

    /// POST JSON under `/api/v1`; the status and the answer (null when there is none).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("office answers");
        // 204 and the like answer nothing: null.
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The inbox items with this title.
    pub async fn inbox_titled(&self, title: &str) -> Vec<Value> {
        let inbox = self.get("/inbox").await;
        inbox
            .as_array()
            .expect("a list")
            .iter()
            .filter(|i| i["title"] == title)
            .cloned()
            .collect()
    }
}

/// Runs the headless desk (`liaison-desk-cli`) on a data folder and keyring service: its JSON
/// answer, or its error output.
pub fn desk_cli(
    data: &Path,
    keyring_service: &str,
    args: &[&str],
    stdin: &str,
) -> Result<Value, String> {
    use std::io::Write;
    let mut child = std::process::Command::new(built_binary("liaison-desk-cli"))
        .arg("--data")
        .arg(data)
        .args(["--keyring-service", keyring_service])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("liaison-desk-cli runs (make build)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("liaison-desk-cli ends");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("one JSON document on stdout"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The first column of the desk's department that takes submitted items.
pub fn submission_column(desk: &liaison_desk::Desk) -> i64 {
    desk.columns()
        .unwrap()
        .into_iter()
        .find(|c| c.feed.accepts_items())
        .unwrap()
        .id
}

/// The names of the desk's columns (its department's board), sorted.
pub fn column_names(desk: &liaison_desk::Desk) -> Vec<String> {
    let mut names: Vec<String> = desk
        .columns()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}
