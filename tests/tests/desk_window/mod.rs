//! What the window tests drive the desk's window with: the desk under tauri-driver
//! (`Driver`), waiting for what the page shows (`find`, `eventually`, `wait_attr`), signing in,
//! opening a sign-off item, the screen (screenshots, colours, one window at a time), desktop
//! notifications on the session bus, and the headless desk beside the window.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use liaison_tests::built_binary;
use serde_json::json;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tauri-driver on free ports, launching the desk with this data folder and keyring service.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start(data: &Path, keyring_service: &str) -> Driver {
        let port = free_port();
        let child = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .env("LIAISON_DESK_DATA", data)
            .env("LIAISON_KEYRING_SERVICE", keyring_service)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::null())
            // Its own process group, so dropping the driver also ends WebKitWebDriver and the app.
            .process_group(0)
            .spawn()
            .expect("tauri-driver is installed (make deps)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }

    /// The desk app this workspace built.
    pub async fn open_app(&self) -> Client {
        self.open(&built_binary("liaison-desk")).await
    }

    /// The desk app at `binary`.
    pub async fn open(&self, binary: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({"application": binary.display().to_string()}),
        );
        // tauri-driver listens before WebKitWebDriver behind it is ready: a first session
        // request can be cut off. Ask again a few times before giving up.
        let mut attempt = 0;
        loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
            {
                Ok(client) => return client,
                Err(e) if attempt < 4 => {
                    attempt += 1;
                    eprintln!("WebDriver session attempt {attempt} failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => panic!("WebDriver session with the desk app: {e}"),
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `--` is essential: without it procps' kill reads the negative group id as an option and
        // signals every process (kill(-1)).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The whole X screen, as the user sees it, for the README. (WebDriver's own screenshot hangs
/// in WebKitWebDriver once the app has been launched a second time in the same X session.)
pub fn screenshot_of_the_screen(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(format!("png:{}", path.display()))
        .status()
        .expect("ImageMagick's import (make deps installs it)");
    assert!(status.success(), "import failed");
    assert!(
        std::fs::metadata(path).unwrap().len() > 10_000,
        "the screenshot is suspiciously small"
    );
}

pub fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// A real 1×1 PNG, so the window can decode and show it.
pub const ONE_PIXEL_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// Waits until the editor shows a stored inline image, decoded (its natural width is known).
pub async fn wait_image_shown(c: &Client) {
    eventually("the inline image", Duration::from_secs(15), async || {
        let shown = c
            .execute(
                "const img = document.querySelector('[data-testid=editor] img[data-sha256]');
                 return img ? [img.getAttribute('src') || '', img.naturalWidth] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some([src, width]) = shown.as_array().map(Vec::as_slice)
            && src.as_str().is_some_and(|s| s.starts_with("blob:"))
            && width.as_u64() == Some(1)
        {
            return Ok(());
        }
        Err(shown.to_string())
    })
    .await;
}

/// Waits up to 20 s for an element.
pub async fn find(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector} did not appear: {e}"))
}

/// Asks `probe` again every 200 ms until it answers `Ok(value)`, and returns that value. After
/// `within` it fails the test with `what` it waited for and the probe's last `Err`: what it saw
/// instead.
pub async fn eventually<T>(
    what: &str,
    within: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "waited {within:?} for {what}; last saw: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Opens a sign-off item by its row and waits for that item's body frame. The row's button is
/// clicked again only while no row shows as chosen (a click WebKitWebDriver lost); when the frame
/// never comes, the failure says what the detail pane showed instead.
pub async fn open_signoff_item(
    c: &Client,
    row: &fantoccini::elements::Element,
) -> fantoccini::elements::Element {
    let id = row.attr("data-item-id").await.unwrap().unwrap();
    let frame =
        format!("[data-testid=signoff-detail][data-item-id=\"{id}\"] [data-testid=signoff-body]");
    let button = row.find(css("button")).await.unwrap();
    button.click().await.unwrap();
    eventually(
        &format!("item {id}'s body"),
        Duration::from_secs(20),
        async || {
            if let Ok(frame) = c.find(css(&frame)).await {
                return Ok(frame);
            }
            if c.find(css("[data-testid=signoff-item] button[aria-current=true]"))
                .await
                .is_err()
            {
                let _ = button.click().await;
            }
            match c.find(css(".signoff-detail")).await {
                Ok(pane) => Err(pane.html(false).await.unwrap_or_default()),
                Err(_) => Err("no detail pane".to_owned()),
            }
        },
    )
    .await
}

/// Waits until `selector`'s attribute `attr` has `value`.
pub async fn wait_attr(c: &Client, selector: &str, attr: &str, value: &str, within: Duration) {
    let what = format!("{selector}[{attr}] to become {value:?}");
    eventually(&what, within, async || {
        let Ok(el) = c.find(css(selector)).await else {
            return Err(format!("no {selector}"));
        };
        match el.attr(attr).await {
            Ok(Some(seen)) if seen == value => Ok(()),
            seen => Err(format!("{attr}: {seen:?}")),
        }
    })
    .await;
}

/// Signs in through the form.
pub async fn sign_in(c: &Client, office_url: &str, seat: &liaison_tests::DemoSeat) {
    let office_field = find(c, "[data-testid=signin-office]").await;
    office_field.clear().await.unwrap();
    office_field.send_keys(office_url).await.unwrap();
    find(c, "[data-testid=signin-login]")
        .await
        .send_keys(&seat.login)
        .await
        .unwrap();
    find(c, "[data-testid=signin-password]")
        .await
        .send_keys(&seat.password)
        .await
        .unwrap();
    find(c, "[data-testid=signin-submit]")
        .await
        .click()
        .await
        .unwrap();
}

/// How many colours the whole X screen shows: 1 before anything paints.
pub fn colours_on_the_screen() -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("screen.png");
    screenshot_of_the_screen(&shot);
    let out = Command::new("identify")
        .args(["-format", "%k"])
        .arg(&shot)
        .output()
        .expect("ImageMagick's identify (make deps installs it)");
    assert!(out.status.success(), "identify failed");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("identify printed a number of colours")
}

/// One window at a time on the shared X screen (the screenshot shows the whole screen).
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs one window test with the screen to itself; a stuck WebDriver call fails the run after 4
/// minutes instead of hanging it.
pub async fn alone_on_the_screen(test: impl std::future::Future<Output = ()>) {
    let _screen = ONE_WINDOW.lock().await;
    tokio::time::timeout(Duration::from_secs(240), test)
        .await
        .expect("the window test finished within 4 minutes");
}

/// Closes the desktop notifications still on screen, so a screenshot shows the window.
pub fn close_notifications() {
    let _ = Command::new("dunstctl").arg("close-all").status();
}

/// `dbus-monitor` on the session bus, collecting every `Notify` call's text.
pub struct NotifyWatch {
    child: Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl NotifyWatch {
    pub fn start() -> NotifyWatch {
        let mut child = Command::new("dbus-monitor")
            .arg("interface='org.freedesktop.Notifications',member='Notify'")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (make deps installs dbus)");
        let out = child.stdout.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        NotifyWatch { child, lines }
    }

    pub async fn wait_for(&self, text: &str, within: Duration) -> String {
        let what = format!("a notification saying {text:?}");
        eventually(&what, within, async || {
            let lines = self.lines.lock().unwrap();
            match lines.iter().find(|l| l.contains(text)) {
                Some(line) => Ok(line.clone()),
                None => Err(format!("on the bus {:?}", *lines)),
            }
        })
        .await
    }
}

impl Drop for NotifyWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the headless desk on the app's folder and keyring entry; it must succeed.
pub fn desk_cli(data: &Path, keyring_service: &str, args: &[&str], stdin: &str) {
    if let Err(e) = liaison_tests::desk_cli(data, keyring_service, args, stdin) {
        panic!("liaison-desk-cli {args:?}: {e}");
    }
}
