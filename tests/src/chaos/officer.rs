//! One officer's headless desk in the chaos run (`liaison-desk-cli` processes: a sync worker
//! and a typist that can be SIGKILLed), and the files it attaches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{DemoSeat, built_binary};

/// One file the run attached, as it must arrive.
#[derive(Debug, Clone)]
pub(super) struct ExpectedFile {
    pub(super) sha256: String,
    pub(super) size: u64,
}

/// One officer's headless desk: `liaison-desk-cli` over its own folder and keyring entry.
pub(super) struct Officer {
    pub(super) seat: DemoSeat,
    pub(super) data: tempfile::TempDir,
    pub(super) keyring_service: String,
    pub(super) column: i64,
    /// The department attests its sign-off on paper: each send carries the signed form.
    pub(super) attested: bool,
    pub(super) worker: Option<Child>,
    /// Items sent: title -> files.
    pub(super) sent: BTreeMap<String, Vec<ExpectedFile>>,
    /// Drafts being typed: draft id -> characters confirmed saved.
    pub(super) typed: Vec<(String, Arc<AtomicUsize>)>,
    pub(super) typist: Option<Child>,
}

impl Officer {
    fn cli(&self) -> Command {
        let mut c = Command::new(built_binary("liaison-desk-cli"));
        c.arg("--data")
            .arg(self.data.path())
            .arg("--keyring-service")
            .arg(&self.keyring_service)
            .env("RUST_LOG", "error")
            .kill_on_drop(true);
        c
    }

    /// Runs one command to its end; its JSON answer, or its error text.
    pub(super) async fn run(&self, args: &[&str]) -> Result<Value, String> {
        let began = std::time::Instant::now();
        let out = self
            .cli()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "{}'s desk, `{}` (after {} ms): {}",
                self.seat.login,
                args.first().unwrap_or(&""),
                began.elapsed().as_millis(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    }

    pub(super) async fn sign_in(&mut self, office_url: &str) -> Result<(), String> {
        let mut child = self
            .cli()
            .args([
                "sign-in",
                "--office",
                office_url,
                "--login",
                &self.seat.login,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            stdin
                .write_all(format!("{}\n", self.seat.password).as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let state = self.run(&["state"]).await?;
        self.attested = state["session"]["seat"]["department"]["signoff"] == "attested";
        self.column = state["columns"]
            .as_array()
            .and_then(|cols| {
                cols.iter()
                    .find(|c| {
                        serde_json::from_value::<liaison_domain::ColumnView>((*c).clone())
                            .is_ok_and(|c| c.feed.accepts_items())
                    })
                    .and_then(|c| c["id"].as_i64())
            })
            .ok_or("the seat has no column fed by submitted items")?;
        Ok(())
    }

    pub(super) fn start_worker(&mut self) {
        if self.worker.is_none() {
            self.worker = self
                .cli()
                .arg("run")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok();
        }
    }

    pub(super) async fn kill_worker(&mut self) -> bool {
        match self.worker.take() {
            Some(mut w) => {
                let _ = w.kill().await; // SIGKILL
                true
            }
            None => false,
        }
    }

    /// Starts typing into a new draft; what is confirmed saved is counted as it is printed.
    pub(super) async fn start_typing(&mut self, title: &str, text: &str) -> Result<(), String> {
        let column = self.column.to_string();
        let draft = self
            .run(&["draft", "--column", &column, "--title", title])
            .await?;
        let id = draft["id"].as_str().ok_or("a draft id")?.to_owned();
        let mut child = self
            .cli()
            .args(["type", &id, "--text", text, "--every-ms", "40"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let saved = Arc::new(AtomicUsize::new(0));
        if let Some(out) = child.stdout.take() {
            let saved = saved.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(out).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(n) = serde_json::from_str::<Value>(&line)
                        .ok()
                        .and_then(|v| v["saved"].as_u64())
                    {
                        saved.store(n as usize, Ordering::SeqCst);
                    }
                }
            });
        }
        self.typed.push((id, saved));
        self.typist = Some(child);
        Ok(())
    }

    pub(super) async fn kill_typist(&mut self) -> bool {
        match self.typist.take() {
            Some(mut t) => {
                let _ = t.kill().await;
                // Let the reader take the last line the process printed before it died.
                tokio::time::sleep(Duration::from_millis(20)).await;
                true
            }
            None => false,
        }
    }
}

/// Deterministic file contents: a PNG or PDF header, then bytes from the run's generator.
pub(super) fn make_file(rng: &mut StdRng, dir: &Path, n: usize) -> (PathBuf, ExpectedFile) {
    let large = rng.random_bool(0.25);
    let (head, size, ext): (&[u8], usize, &str) = if large {
        (b"%PDF-1.7\n", rng.random_range(2 << 20..6 << 20), "pdf")
    } else {
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            rng.random_range(20 << 10..300 << 10),
            "png",
        )
    };
    let mut bytes = vec![0u8; size];
    bytes[..head.len()].copy_from_slice(head);
    rng.fill_bytes(&mut bytes[head.len()..]);
    let path = dir.join(format!("附件-{n}.{ext}"));
    std::fs::write(&path, &bytes).expect("write a chaos file");
    let expected = ExpectedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: size as u64,
    };
    (path, expected)
}
