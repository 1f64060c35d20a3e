//! Sending: how fast the desk engine delivers, against floors measured on the same office process.
//!
//! 1. Drain N queued items (2 KB of text and one 100 KB image each) from a desk engine's outbox
//!    (`deliver_outbox`: the uploads and sends, each recorded), and beside it a bare reqwest loop
//!    making the same requests with the same number of bytes: items/s and the ratio.
//! 2. One large file through the resumable path (pieces), and the same size in one plain request:
//!    MB/s and the ratio.
//! 3. The same upload cut at 50 % by a proxy, then resumed: bytes sent again.
//!
//! Needs a Secret Service for the desk's token (scripts/test-session.sh; `make bench` does).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liaison_domain::ItemState;
use liaison_domain::attachment::UPLOAD_CHUNK_BYTES;
use liaison_tests::OfficeProcess;
use liaison_tests::fault_proxy::{Fault, FaultProxy};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::table::{Measured, Row, Stats, Target};
use crate::{body_2kb, image, settle, sha, signed_in_desk};

/// A bare client: the office's API with nothing around it.
pub(crate) struct Bare {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Bare {
    pub(crate) async fn new(office_url: &str, login: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let base = format!("{office_url}/api/v1");
        let signed: Value = http
            .post(format!("{base}/sessions"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        let token = signed["token"].as_str().context("a token")?.to_owned();
        Ok(Bare { http, base, token })
    }

    /// How the seat's department signs off (`in_app` or `attested`).
    pub(crate) async fn signoff_policy(&self) -> anyhow::Result<String> {
        let seat: Value = self
            .http
            .get(format!("{}/sessions/current", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?
            .json()
            .await?;
        Ok(seat["department"]["signoff"]
            .as_str()
            .context("the seat's sign-off policy")?
            .to_owned())
    }

    /// The first column of the seat that takes items.
    pub(crate) async fn first_column(&self) -> anyhow::Result<i64> {
        let cols: Vec<liaison_domain::ColumnView> = self
            .http
            .get(format!("{}/columns", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?
            .json()
            .await?;
        Ok(cols
            .into_iter()
            .find(|c| c.feed.accepts_items())
            .context("a column")?
            .id)
    }

    pub(crate) async fn upload_whole(&self, bytes: Vec<u8>, name: &str) -> anyhow::Result<()> {
        let digest = sha(&bytes);
        let r = self
            .http
            .post(format!("{}/uploads", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"sha256": digest, "size": bytes.len(), "name": name}))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("announce: {}", r.status());
        }
        let r = self
            .http
            .patch(format!("{}/uploads/{digest}", self.base))
            .bearer_auth(&self.token)
            .header("Upload-Offset", "0")
            .body(bytes)
            .send()
            .await?;
        let status: Value = r.json().await?;
        if status["complete"] != true {
            bail!("upload not complete: {status}");
        }
        Ok(())
    }

    pub(crate) async fn submit(&self, n: usize, column: i64, image: &[u8]) -> anyhow::Result<()> {
        let r = self
            .http
            .post(format!("{}/items", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({
                "draft_key": uuid::Uuid::new_v4().to_string(), "version": 1, "column_id": column,
                "title": format!("基准简报 {n}"), "body_html": body_2kb(n),
                "attachments": [{"sha256": sha(image), "name": "图.png", "size": image.len(), "mime": "image/png"}]
            }))
            .send()
            .await?;
        if r.status().as_u16() != 201 {
            bail!(
                "submit: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }
}

/// The sending rows: drain, one large upload, and a cut upload resumed. `items` per drain turn,
/// `upload_mb` for the large file.
pub async fn rows(
    office: &OfficeProcess,
    items: usize,
    upload_mb: usize,
    turns: usize,
) -> anyhow::Result<Vec<Row>> {
    let engine_seat = office.seat("officer", Some("市教育局")).clone();
    let bare_seat = office.seat("officer", Some("市财政局")).clone();
    let mut rng = StdRng::seed_from_u64(2026);

    // 1. Drain: engine and bare loop take turns.
    let bare = Bare::new(&office.url, &bare_seat.login, &bare_seat.password).await?;
    let bare_column = bare.first_column().await?;
    let (mut engine_rates, mut bare_rates) = (Vec::new(), Vec::new());
    let mut column = 0;
    let mut desks = Vec::new();
    for turn in 0..turns {
        let dir = tempfile::tempdir()?;
        let service = format!("liaison-bench-{}", uuid::Uuid::new_v4());
        let desk = signed_in_desk(
            dir.path(),
            &service,
            &office.url,
            &engine_seat.login,
            &engine_seat.password,
        )
        .await?;
        // The first round after a sign-in brings the seat's history: not part of the drain.
        desk.sync_once(0).await?;
        column = desk
            .columns()?
            .into_iter()
            .find(|c| c.feed.accepts_items())
            .context("a column")?
            .id;
        for n in 0..items {
            let d = desk.create_draft(Some(column))?;
            desk.save_draft(&d.id, Some(column), &format!("基准简报 {n}"), &body_2kb(n))?;
            desk.attach_bytes(&d.id, "图.png", image(&mut rng, 100 * 1024))
                .await?;
            desk.send_draft(&d.id)?;
        }
        settle();
        let t = Instant::now();
        let report = desk.deliver_outbox().await?;
        let secs = t.elapsed().as_secs_f64();
        if report.sent as usize != items {
            bail!("the engine delivered {} of {items}", report.sent);
        }
        let images: Vec<Vec<u8>> = (0..items).map(|_| image(&mut rng, 100 * 1024)).collect();
        settle();
        let t = Instant::now();
        for (n, img) in images.iter().enumerate() {
            bare.upload_whole(img.clone(), "图.png").await?;
            bare.submit(n, bare_column, img).await?;
        }
        let bare_secs = t.elapsed().as_secs_f64();
        println!(
            "drain turn {turn}: engine {:.1} items/s, bare loop {:.1} items/s",
            items as f64 / secs,
            items as f64 / bare_secs
        );
        engine_rates.push(items as f64 / secs);
        bare_rates.push(items as f64 / bare_secs);
        desks.push((desk, dir));
    }
    let (engine, floor) = (Stats::of(&engine_rates), Stats::of(&bare_rates));
    let mut rows = vec![Row::medians(
        format!("desk sync drain: {items} queued items (2 KB + 100 KB image each)"),
        Measured {
            stats: &engine,
            decimals: 1,
            unit: "items/s",
        },
        "bare reqwest loop",
        &floor,
        Target::RatioAtLeast(0.7),
    )];

    // 2. One large file: resumable pieces through the engine, and one plain request; in turns.
    let size = upload_mb << 20;
    let files = tempfile::tempdir()?;
    let (desk, _) = desks.first().context("a desk")?;
    let (mut pieces_rates, mut plain_rates) = (Vec::new(), Vec::new());
    let mb = upload_mb as f64;
    for turn in 0..turns {
        let big = files.path().join(format!("视频-{turn}.pdf"));
        let mut bytes = image(&mut rng, size);
        bytes[..9].copy_from_slice(b"%PDF-1.7\n");
        std::fs::write(&big, &bytes)?;
        drop(bytes);
        let d = desk.create_draft(Some(column))?;
        desk.save_draft(&d.id, Some(column), "大附件", "<p>附件</p>")?;
        desk.attach_file(&d.id, &big).await?;
        desk.send_draft(&d.id)?;
        settle();
        let t = Instant::now();
        desk.deliver_outbox().await?;
        let pieces_secs = t.elapsed().as_secs_f64();
        // Its department signs off in the app: delivered, the item waits for that.
        if desk.draft(&d.id)?.state != ItemState::AwaitingSignoff {
            bail!("the large item was not delivered");
        }
        let mut plain = image(&mut rng, size);
        plain[..9].copy_from_slice(b"%PDF-1.7\n");
        settle();
        let t = Instant::now();
        bare.upload_whole(plain, "视频.pdf").await?;
        let plain_secs = t.elapsed().as_secs_f64();
        println!(
            "upload turn {turn}: resumable {:.1} MB/s, plain {:.1} MB/s",
            mb / pieces_secs,
            mb / plain_secs
        );
        pieces_rates.push(mb / pieces_secs);
        plain_rates.push(mb / plain_secs);
    }
    let (pieces, plain) = (Stats::of(&pieces_rates), Stats::of(&plain_rates));
    rows.push(Row::medians(
        format!(
            "one {upload_mb} MB attachment, resumable ({} MB pieces)",
            UPLOAD_CHUNK_BYTES >> 20
        ),
        Measured {
            stats: &pieces,
            decimals: 1,
            unit: "MB/s",
        },
        "one plain request",
        &plain,
        Target::RatioAtLeast(0.8),
    ));

    // 3. The same size cut at 50 %, then resumed.
    let proxy = FaultProxy::scripted(office.url.trim_start_matches("http://").parse()?, &[]).await;
    let dir2 = tempfile::tempdir()?;
    let service = format!("liaison-bench-{}", uuid::Uuid::new_v4());
    let cut_desk = signed_in_desk(
        dir2.path(),
        &service,
        &proxy.url(),
        &engine_seat.login,
        &engine_seat.password,
    )
    .await?;
    let mut cut_bytes = image(&mut rng, size);
    cut_bytes[..9].copy_from_slice(b"%PDF-1.7\n");
    let cut_file = files.path().join("另一个.pdf");
    std::fs::write(&cut_file, &cut_bytes)?;
    let d = cut_desk.create_draft(Some(column))?;
    cut_desk.save_draft(&d.id, Some(column), "被切断的大附件", "<p>附件</p>")?;
    cut_desk.attach_file(&d.id, &cut_file).await?;
    cut_desk.send_draft(&d.id)?;
    proxy.script(&[Fault::CutRequest(size / 2)]);
    let before = proxy.bytes_up();
    if cut_desk.deliver_outbox().await.is_ok() {
        bail!("the cut did not happen");
    }
    // The worker would wait out a backoff here; the benchmark goes on at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    cut_desk.deliver_outbox().await?;
    let sent = proxy.bytes_up() - before;
    let again = sent as f64 - size as f64;
    rows.push(Row {
        figure: format!(
            "the same upload cut at 50 %, then resumed: bytes sent beyond the file's {size}"
        ),
        liaison: format!("{again:.0} bytes"),
        floor: "—".into(),
        ratio: None,
        value: again,
        target: Target::Under(UPLOAD_CHUNK_BYTES as f64, "bytes (one piece)"),
    });
    Ok(rows)
}
