//! Office processes that share nothing but a PostgreSQL database, as on two machines: the real
//! `liaison-office serve --database` binary, each process with a data folder of its own, on a
//! throwaway cluster. Started together, one seeds the demo city; a session, a throttled seat and
//! an upload begun on one are the same on the other; a desk long-polling one wakes when the
//! other commits. A database that is down at start is waited for (nothing served meanwhile); one
//! lost while serving is answered with 503 and `Retry-After`, and the office recovers by itself.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use liaison_pgcluster::Cluster;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One `liaison-office serve --database … --demo` process, killed with the test.
struct OfficeProcess {
    child: Child,
    /// `http://127.0.0.1:<port>/api/v1`, once it listens.
    base: std::sync::mpsc::Receiver<String>,
    dir: tempfile::TempDir,
}

impl Drop for OfficeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OfficeProcess {
    fn spawn(database: &str) -> OfficeProcess {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("office.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_liaison-office"))
            .args(["serve", "--demo", "--min-free-mib", "16", "--listen"])
            .arg("127.0.0.1:0")
            .arg("--database")
            .arg(database)
            .arg("--data")
            .arg(dir.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tell, base) = std::sync::mpsc::channel();
        // Reads the whole of its output, so the process never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("liaison-office listening on ") {
                    let _ = tell.send(format!("{address}/api/v1"));
                }
            }
        });
        OfficeProcess { child, base, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("office.log")).unwrap_or_default()
    }

    /// Its API's address, waiting up to `within` for it to listen.
    fn listening(&self, within: Duration) -> Option<String> {
        self.base.recv_timeout(within).ok()
    }

    fn seats_file(&self) -> Option<Vec<Value>> {
        let text = std::fs::read(self.dir.path().join("demo-seats.json")).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

struct Api {
    http: reqwest::Client,
}

impl Api {
    fn new() -> Api {
        Api {
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }

    async fn sign_in(&self, base: &str, login: &str, password: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .call(
                reqwest::Method::POST,
                format!("{base}/sessions"),
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        (status, body)
    }

    async fn token(&self, base: &str, login: &str, password: &str) -> String {
        let (status, body) = self.sign_in(base, login, password).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, base: &str, token: &str, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .call(
                reqwest::Method::GET,
                format!("{base}{path}"),
                Some(token),
                None,
            )
            .await;
        (status, body)
    }

    async fn piece(
        &self,
        base: &str,
        token: &str,
        sha: &str,
        offset: usize,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        common::piece_at(&self.http, base, token, sha, offset, bytes).await
    }
}

fn password(seats: &[Value], login: &str) -> String {
    seats
        .iter()
        .find(|s| s["login"] == login)
        .and_then(|s| s["password"].as_str())
        .unwrap()
        .to_owned()
}

async fn count(url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_office_processes_on_one_database_behave_as_one_office() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("two_offices").unwrap();
    // Started together on an empty database: exactly one of them seeds the demo city.
    let (a, b) = (OfficeProcess::spawn(&url), OfficeProcess::spawn(&url));
    let wait = Duration::from_secs(60);
    let base_a = a
        .listening(wait)
        .unwrap_or_else(|| panic!("A: {}", a.log()));
    let base_b = b
        .listening(wait)
        .unwrap_or_else(|| panic!("B: {}", b.log()));
    let seats = match (a.seats_file(), b.seats_file()) {
        (Some(seats), None) | (None, Some(seats)) => seats,
        (a, b) => panic!(
            "one seeding process, not {} and {}",
            a.is_some(),
            b.is_some()
        ),
    };
    assert_eq!(
        count(&url, "SELECT count(*) FROM seats").await,
        i64::try_from(seats.len()).unwrap()
    );
    let api = Api::new();

    // A session opened on one process is good on the other.
    let officer = api
        .token(&base_a, "jyj.officer", &password(&seats, "jyj.officer"))
        .await;
    let (status, me) = api.get(&base_b, &officer, "/sessions/current").await;
    assert_eq!(
        (status, me["login"].as_str()),
        (StatusCode::OK, Some("jyj.officer"))
    );

    // A desk long-polling B wakes when an editor on A urges one of its columns.
    let (_, columns) = api.get(&base_b, &officer, "/columns").await;
    let column = columns[0]["id"].as_i64().unwrap();
    let (_, now) = api.get(&base_b, &officer, "/changes?since=0").await;
    let cursor = now["next"].as_i64().unwrap();
    let poll = {
        let (http, base, token) = (api.http.clone(), base_b.clone(), officer.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let r = http
                .get(format!("{base}/changes?since={cursor}&wait=20"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (started.elapsed(), r.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let editor = api
        .token(&base_a, "bjb.editor", &password(&seats, "bjb.editor"))
        .await;
    let (status, _, _) = api
        .call(
            reqwest::Method::POST,
            format!("{base_a}/columns/{column}/urge"),
            Some(&editor),
            Some(json!({"message": "本栏目已超期，请今天报送"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (took, answer) = poll.await.unwrap();
    let kinds: Vec<&str> = answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["column_urged"], "{answer}");
    assert!(
        took < Duration::from_secs(10),
        "B's poll woke after {took:?}"
    );

    // An upload begun on A goes on at B, and A then holds the complete file.
    let bytes = common::png(300_000, 7);
    let sha = common::sha256_hex(&bytes);
    let announce = json!({"sha256": sha, "size": bytes.len(), "name": "现场.png"});
    let (status, _, _) = api
        .call(
            reqwest::Method::POST,
            format!("{base_a}/uploads"),
            Some(&officer),
            Some(announce.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, up) = api
        .piece(&base_a, &officer, &sha, 0, &bytes[..100_000])
        .await;
    assert_eq!(
        (status, up["offset"].as_u64()),
        (StatusCode::OK, Some(100_000)),
        "{up}"
    );
    // B knows where it stopped, and a piece from the wrong place is refused there.
    let (status, _) = api.piece(&base_b, &officer, &sha, 0, &bytes[..10]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, up) = api
        .piece(&base_b, &officer, &sha, 100_000, &bytes[100_000..])
        .await;
    assert_eq!(
        (status, up["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{up}"
    );
    let (status, _, up) = api
        .call(
            reqwest::Method::POST,
            format!("{base_a}/uploads"),
            Some(&officer),
            Some(announce),
        )
        .await;
    assert_eq!(
        (status, up["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{up}"
    );

    // Failed sign-ins on A block the seat on B too, even with the right password.
    for _ in 0..5 {
        let (status, _) = api
            .sign_in(&base_a, "wjw.officer", "not-the-password")
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, err) = api
        .sign_in(&base_b, "wjw.officer", &password(&seats, "wjw.officer"))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_down_at_start_is_waited_for_and_one_lost_while_serving_answers_503_until_it_returns()
 {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("lost").unwrap();
    cluster.stop().unwrap();

    // Down at start: the office waits, saying so, and serves nothing meanwhile.
    let office = OfficeProcess::spawn(&url);
    assert_eq!(office.listening(Duration::from_secs(3)), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !office.log().contains("does not answer yet") {
        assert!(
            Instant::now() < deadline,
            "no word of the wait: {}",
            office.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    cluster.start_again().unwrap();
    let base = office
        .listening(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("{}", office.log()));
    let seats = office.seats_file().unwrap();
    let api = Api::new();
    let officer = api
        .token(&base, "jyj.officer", &password(&seats, "jyj.officer"))
        .await;
    let (status, _) = api.get(&base, &officer, "/columns").await;
    assert_eq!(status, StatusCode::OK);
    let bytes = common::png(50_000, 7);
    let sha = common::sha256_hex(&bytes);
    let (status, _, _) = api
        .call(
            reqwest::Method::POST,
            format!("{base}/uploads"),
            Some(&officer),
            Some(json!({"sha256": sha, "size": bytes.len(), "name": "图.png"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Lost while serving: 503 with Retry-After, in the API's error format.
    cluster.stop().unwrap();
    let (status, headers, body) = api
        .call(
            reqwest::Method::GET,
            format!("{base}/columns"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "unavailable");
    let retry: u64 = headers[reqwest::header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The files are in the database too: a piece is answered the same way.
    let (status, body) = api.piece(&base, &officer, &sha, 0, &bytes).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
        "{body}"
    );

    // Back: the same office answers again by itself, with the same session.
    cluster.start_again().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = api.get(&base, &officer, "/columns").await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {status}: {}",
            office.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The upload goes on where it was: nothing was lost.
    let (status, up) = api.piece(&base, &officer, &sha, 0, &bytes).await;
    assert_eq!(
        (status, up["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{up}"
    );
    assert!(Path::new(&office.dir.path().join("demo-seats.json")).exists());
}
