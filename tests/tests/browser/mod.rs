//! Debian's Chromium, headless, driven by chromedriver: what the browser tests share.
// Each test binary that includes this module uses some of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// chromedriver on a free port, ended with the test.
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    pub fn start() -> ChromeDriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (make deps: chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        ChromeDriver { child, port }
    }

    pub async fn browser(&self, profile: &std::path::Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1366,768", "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "intl.accept_languages": "zh-CN,zh",
                    "download.default_directory": downloads_of(profile).display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session with Chromium")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the browser of `profile` saves what it downloads.
pub fn downloads_of(profile: &std::path::Path) -> std::path::PathBuf {
    profile.join("downloads")
}

/// The first complete file the browser downloaded with this extension (waits up to 20 s).
pub fn downloaded(profile: &std::path::Path, extension: &str) -> std::path::PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir(downloads_of(profile))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == extension));
        if let Some(path) = found {
            return path;
        }
        assert!(
            Instant::now() < deadline,
            "nothing .{extension} was downloaded"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// The text of an element once it satisfies `ok`; waits through page loads (up to 15 s).
pub async fn text_when(c: &Client, selector: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        // A page being replaced makes the element stale: look again.
        if let Ok(e) = c.find(css(selector)).await
            && let Ok(text) = e.text().await
        {
            if ok(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{selector} never became as expected; last: {last:?}");
}

pub async fn text_of(c: &Client, selector: &str) -> String {
    text_when(c, selector, |_| true).await
}

/// Fills the console's sign-in form and sends it.
pub async fn sign_in(c: &Client, login: &str, password: &str) {
    let field = c.find(css("#login")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(login).await.unwrap();
    c.find(css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}
