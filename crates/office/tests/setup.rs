//! An office set up from nothing, through the built `liaison-office` binary: `init` with the
//! password on standard input, `serve` refusing a folder that holds no office, the configuration
//! file (a bad value stops the start with its line; a flag overrides the file) and
//! `admin backup --config`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_liaison-office");
const PASSWORD: &str = "Harbour-Lights-2026";

/// Runs the binary with `args`, `stdin` written to its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start liaison-office");
    // A refusal may come before the password is read: a closed pipe is not the test's failure.
    let _ = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait for liaison-office")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn init(data: &Path, password: &str) -> Output {
    run(
        &[
            "init",
            "--data",
            path(data),
            "--admin",
            "city.admin",
            "--name",
            "冯雪梅",
        ],
        &format!("{password}\n"),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A serving office, killed on drop.
struct Serving {
    child: Child,
    url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serving {
    let child = Command::new(BINARY)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--min-free-mib", "16"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start liaison-office");
    // Killed and waited for on drop, whatever happens below.
    let mut serving = Serving {
        child,
        url: String::new(),
    };
    let stdout = serving.child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "office did not start in time");
        let line = lines
            .next()
            .expect("office exited before listening")
            .expect("read office stdout");
        if let Some(url) = line.strip_prefix("liaison-office listening on ") {
            serving.url = url.trim().to_owned();
            return serving;
        }
    }
}

async fn sign_in(url: &str, login: &str, password: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{url}/api/v1/sessions"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .expect("office answers");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn init_reads_the_password_from_stdin_and_its_administrator_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    let out = init(&data, PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("city.admin"),
        "{out:?}"
    );
    // One database, nothing left of its making.
    assert_eq!(entries(&data), ["office.db"]);

    let office = serve(&["--data", path(&data)]);
    let (status, body) = sign_in(&office.url, "city.admin", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["seat"]["role"], "admin", "{body}");
    let (status, _) = sign_in(&office.url, "city.admin", "Wrong-password-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    drop(office);

    // The seat's creation is the audit log's first entry, and the chain holds.
    let out = run(&["admin", "verify-audit", "--data", path(&data)], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("intact: 3 entries"),
        "the creation and the two sign-ins: {out:?}"
    );
}

#[test]
fn init_refuses_a_weak_password_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    for (password, problem) in [
        ("short1", "at least 10 characters"),
        ("onlyletterslong", "letters and at least one digit"),
        ("city.admin-2026", "must not contain the login"),
        ("", "at least 10 characters"),
    ] {
        let out = init(&data, password);
        assert!(!out.status.success(), "{password:?} was accepted");
        assert!(
            stderr(&out).contains(problem),
            "{password:?}: {}",
            stderr(&out)
        );
        assert!(!data.exists(), "{password:?}: the folder was created");
    }
    // A login with a space is refused before any password is read.
    let out = run(
        &[
            "init",
            "--data",
            path(&data),
            "--admin",
            "city admin",
            "--name",
            "冯雪梅",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("a login has"), "{}", stderr(&out));
    assert!(!data.exists());
}

#[test]
fn init_refuses_a_folder_that_holds_an_office_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    assert!(init(&data, PASSWORD).status.success());
    let before = std::fs::read(data.join("office.db")).unwrap();
    let out = init(&data, "Another-Password-9");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds an office"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(data.join("office.db")).unwrap(), before);
    assert_eq!(entries(&data), ["office.db"]);
}

#[test]
fn serve_refuses_a_folder_without_an_office_and_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist stays that way; an empty one stays empty.
    let missing = dir.path().join("missing");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for data in [&missing, &empty] {
        let out = run(
            &["serve", "--data", path(data), "--listen", "127.0.0.1:0"],
            "",
        );
        // EX_CONFIG: the systemd unit does not restart on it.
        assert_eq!(out.status.code(), Some(78), "served {}", data.display());
        let message = stderr(&out);
        assert!(
            message.contains(&format!("liaison-office init --data {}", data.display())),
            "{message}"
        );
        assert!(message.contains("--admin LOGIN --name"), "{message}");
    }
    assert!(!missing.exists());
    assert!(entries(&empty).is_empty(), "{:?}", entries(&empty));
}

#[test]
fn serve_refuses_a_database_without_an_administrator() {
    let dir = tempfile::tempdir().unwrap();
    // A database made by an older start that never had a seat.
    drop(liaison_office::open_store(dir.path()).unwrap());
    let out = run(
        &[
            "serve",
            "--data",
            path(dir.path()),
            "--listen",
            "127.0.0.1:0",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("liaison-office init"),
        "{}",
        stderr(&out)
    );
    // init takes such a folder.
    let out = init(dir.path(), PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn the_demo_still_seeds_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let office = serve(&["--demo", "--data", path(dir.path())]);
    assert!(dir.path().join("demo-seats.json").is_file());
    let (status, body) = sign_in(&office.url, "nobody", "Nothing-here-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[test]
fn a_bad_configuration_value_stops_the_start_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    assert!(init(&data, PASSWORD).status.success());
    let config = dir.path().join("office.toml");
    std::fs::write(
        &config,
        format!(
            "# the office\ndata = {:?}\n\n[backup]\ndir = \"backups\"\nat = \"24:30\"\n",
            path(&data)
        ),
    )
    .unwrap();
    let out = run(&["serve", "--config", path(&config)], "");
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains(&format!(
            "{}:6:6: backup.at: not a time of day \"24:30\"",
            config.display()
        )),
        "{}",
        stderr(&out)
    );

    std::fs::write(&config, "data = \"office\"\nlisten = 8480\n").unwrap();
    let out = run(&["serve", "--config", path(&config)], "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{}:2:10: ", config.display())),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn flags_override_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    assert!(init(&data, PASSWORD).status.success());
    // The file names a folder without an office and a port in use; the flags name the office
    // and port 0 (`serve` adds --listen 127.0.0.1:0).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = dir.path().join("office.toml");
    std::fs::write(
        &config,
        format!(
            "data = \"elsewhere\"\nlisten = \"{}\"\n",
            taken.local_addr().unwrap()
        ),
    )
    .unwrap();
    let office = serve(&["--config", path(&config), "--data", path(&data)]);
    let (status, body) = sign_in(&office.url, "city.admin", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(!dir.path().join("elsewhere").exists());
}

#[test]
fn admin_backup_with_the_configuration_writes_into_the_backup_folder() {
    let dir = tempfile::tempdir().unwrap();
    assert!(init(&dir.path().join("office"), PASSWORD).status.success());
    let config = dir.path().join("office.toml");
    std::fs::write(
        &config,
        "data = \"office\"\n[backup]\ndir = \"backups\"\nname = \"city\"\n",
    )
    .unwrap();
    let out = run(&["admin", "backup", "--config", path(&config)], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let archives = entries(&dir.path().join("backups"));
    assert_eq!(archives.len(), 1, "{archives:?}");
    assert!(
        liaison_office::nightly::archive_time("city", &archives[0]).is_some(),
        "{archives:?}"
    );
}

/// `init` under a terminal (util-linux `script` gives it one): the password is asked for twice,
/// and two different answers create nothing.
#[test]
fn init_on_a_terminal_asks_twice() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` here: the terminal path is not exercised");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    let on_a_terminal = |typed: &str| {
        let command = format!(
            "{BINARY} init --data '{}' --admin city.admin --name 冯雪梅",
            path(&data)
        );
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start script");
        let _ = child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(typed.as_bytes());
        let out = child.wait_with_output().expect("wait for script");
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (status, shown) = on_a_terminal(&format!("{PASSWORD}\nAnother-Password-9\n"));
    assert!(!status.success(), "{shown}");
    assert!(shown.contains("The same password again"), "{shown}");
    assert!(shown.contains("the two passwords differ"), "{shown}");
    assert!(!data.exists());

    let (status, shown) = on_a_terminal(&format!("{PASSWORD}\n{PASSWORD}\n"));
    assert!(status.success(), "{shown}");
    assert_eq!(
        liaison_office::setup::office_state(&data).unwrap(),
        liaison_office::setup::OfficeState::Ready
    );
}
