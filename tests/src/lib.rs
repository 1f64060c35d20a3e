//! Helpers the cross-process tests share: a real office process on loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

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

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSeat {
    pub login: String,
    pub password: String,
    pub role: String,
    pub department: String,
}

/// `liaison-office serve --demo` on a free loopback port, killed on drop.
pub struct OfficeProcess {
    child: Child,
    pub url: String,
    pub seats: Vec<DemoSeat>,
    pub data: tempfile::TempDir,
}

/// Starts the office on `listen` over `data`; returns the process and its base URL.
fn spawn_office(data: &Path, listen: &str) -> (Child, String) {
    let mut child = Command::new(built_binary("liaison-office"))
        .args(["serve", "--demo", "--listen", listen, "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
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
        let data = tempfile::tempdir().expect("temp dir");
        let (child, url) = spawn_office(data.path(), "127.0.0.1:0");
        let seats_json =
            std::fs::read(data.path().join("demo-seats.json")).expect("demo-seats.json");
        let seats = serde_json::from_slice(&seats_json).expect("demo seats parse");
        OfficeProcess {
            child,
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
        let (child, url) = spawn_office(self.data.path(), &listen);
        assert_eq!(url, self.url);
        self.child = child;
    }

    pub fn seat(&self, role: &str, department: Option<&str>) -> &DemoSeat {
        self.seats
            .iter()
            .find(|s| s.role == role && department.is_none_or(|d| s.department == d))
            .expect("demo seat")
    }
}

impl Drop for OfficeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
