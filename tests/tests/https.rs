//! Desks reaching an office over HTTPS (in this process, `liaison_office::tls::serve_tls` on
//! loopback, certificates made by rcgen): a private CA named in the settings, trust on first use
//! with the pinned certificate enforced on every request, and no plain HTTP off loopback.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use liaison_desk::tls::CertificateRefusal;
use liaison_desk::{Desk, DeskConfig, DeskError, DeskErrorCode, DeskErrorView};
use liaison_domain::ItemState;
use liaison_office::tls::{TlsFiles, leaf_fingerprint, serve_tls};
use liaison_office::{AppState, Store, SystemClock};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A private CA and the certificates it (or nobody) signs, as PEM files in a folder.
struct Pki {
    dir: tempfile::TempDir,
    ca_file: PathBuf,
    ca: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "某市政府信息中心 内部CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let ca_file = dir.path().join("city-ca.pem");
        std::fs::write(&ca_file, cert.pem()).unwrap();
        Pki {
            dir,
            ca_file,
            ca: Issuer::new(params, key),
        }
    }

    /// A certificate for `localhost` and 127.0.0.1, signed by the CA or by itself.
    fn office_cert(&self, name: &str, by_ca: bool) -> TlsFiles {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "office");
        let key = KeyPair::generate().unwrap();
        let cert = if by_ca {
            params.signed_by(&key, &self.ca).unwrap()
        } else {
            params.self_signed(&key).unwrap()
        };
        let files = TlsFiles {
            cert: self.dir.path().join(format!("{name}.crt")),
            key: self.dir.path().join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }
}

/// The demo city served over HTTPS on loopback; stopped and started again on the same port.
struct TlsOffice {
    data: tempfile::TempDir,
    store: Arc<liaison_office::SqliteStore>,
    seats: Vec<liaison_domain::wire::DemoSeat>,
    addr: SocketAddr,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl TlsOffice {
    async fn start(tls: &TlsFiles) -> TlsOffice {
        let data = tempfile::tempdir().unwrap();
        let store = liaison_office::open_store(data.path()).unwrap();
        let seats = liaison_office::demo::seed(store.as_ref(), chrono::Utc::now()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut office = TlsOffice {
            data,
            store,
            seats,
            addr,
            running: None,
        };
        office.serve(listener, tls);
        office
    }

    fn serve(&mut self, listener: tokio::net::TcpListener, tls: &TlsFiles) {
        let files = liaison_office::FileStore::open(&self.data.path().join("files")).unwrap();
        let state = AppState::new(
            self.store.clone() as Arc<dyn Store>,
            Arc::new(SystemClock),
            files,
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let tls = tls.clone();
        let task = tokio::spawn(async move {
            serve_tls(listener, state, &tls, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        self.running = Some((stop, task));
    }

    /// Stops serving and serves again on the same address with another certificate.
    async fn restart_with(&mut self, tls: &TlsFiles) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener, tls);
    }

    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }

    fn officer(&self) -> &liaison_domain::wire::DemoSeat {
        self.seats
            .iter()
            .find(|s| s.role.as_str() == "officer" && s.department == "市交通运输局")
            .unwrap()
    }

    /// How many items the office holds.
    fn items(&self) -> i64 {
        let db = rusqlite::Connection::open(self.data.path().join("office.db")).unwrap();
        db.query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
            .unwrap()
    }
}

fn desk(dir: &Path) -> Desk {
    Desk::open(&DeskConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: format!("liaison-https-{}", uuid::Uuid::new_v4()),
    })
    .unwrap()
}

/// A queued draft with a title no other test uses.
fn queue_item(desk: &Desk, title: &str) -> String {
    let column = liaison_tests::submission_column(desk);
    let draft = desk.create_draft(Some(column)).unwrap();
    desk.save_draft(
        &draft.id,
        Some(column),
        title,
        "<h2>一、总体要求</h2><ul><li>确保道路畅通，做好交通疏导</li></ul>",
    )
    .unwrap();
    assert_eq!(desk.send_draft(&draft.id).unwrap().state, ItemState::Queued);
    draft.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_the_private_ca_file_signs_in_and_sends() {
    let pki = Pki::new();
    let office = TlsOffice::start(&pki.office_cert("office", true)).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let url = office.url("localhost");
    let officer = office.officer();

    // Without the CA file the system does not know this office.
    let refused = desk
        .sign_in(&url, &officer.login, &officer.password)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            DeskError::Certificate(CertificateRefusal::Unknown { .. })
        ),
        "{refused}"
    );

    desk.set_ca_file(Some(pki.ca_file.to_str().unwrap()))
        .unwrap();
    desk.sign_in(&url, &officer.login, &officer.password)
        .await
        .unwrap();
    let id = queue_item(&desk, "关于私有CA下交通管制的通告");
    let before = office.items();
    let report = desk.deliver_outbox().await.unwrap();
    assert_eq!(report.sent, 1);
    assert_ne!(desk.draft(&id).unwrap().state, ItemState::Queued);
    assert!(desk.draft(&id).unwrap().receipt.is_some());
    assert_eq!(office.items(), before + 1, "the office holds the item");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_on_first_use_pins_the_certificate_and_refuses_a_changed_one() {
    let pki = Pki::new();
    let first = pki.office_cert("first", false);
    let mut office = TlsOffice::start(&first).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let url = office.url("127.0.0.1");
    let officer = office.officer().clone();

    // Refused, with the fingerprint the office prints.
    let printed = leaf_fingerprint(&first).unwrap();
    let refused = desk
        .sign_in(&url, &officer.login, &officer.password)
        .await
        .unwrap_err();
    let view = DeskErrorView::from(&refused);
    assert_eq!(view.code, DeskErrorCode::CertificateUnknown, "{refused}");
    let certificate = view
        .certificate
        .expect("the fingerprint travels with the error");
    assert_eq!(certificate.presented, printed);
    assert_eq!(certificate.pinned, None);

    // The officer compared it and trusts it: signed in, and syncing works.
    let trust = desk
        .trust_certificate(&url, &certificate.presented)
        .unwrap();
    assert_eq!(trust.pinned.len(), 1);
    assert_eq!(trust.pinned[0].fingerprint, printed);
    desk.sign_in(&url, &officer.login, &officer.password)
        .await
        .unwrap();
    desk.sync_once(0).await.unwrap();
    let sent = queue_item(&desk, "关于首次信任后的交通管制通告");
    assert_eq!(desk.deliver_outbox().await.unwrap().sent, 1);
    assert!(desk.draft(&sent).unwrap().receipt.is_some());

    // The office comes back on the same address with another certificate: every request the
    // desk makes is refused, naming both fingerprints, and nothing reaches the office.
    let second = pki.office_cert("second", false);
    office.restart_with(&second).await;
    let waiting = queue_item(&desk, "证书更换后不应送出的通告");
    let items_before = office.items();
    for result in [
        desk.deliver_outbox().await.map(|_| ()),
        desk.sync_once(0).await.map(|_| ()),
    ] {
        let e = result.unwrap_err();
        let view = DeskErrorView::from(&e);
        assert_eq!(view.code, DeskErrorCode::CertificateChanged, "{e}");
        let certificate = view.certificate.unwrap();
        assert_eq!(certificate.pinned.as_deref(), Some(printed.as_str()));
        assert_eq!(certificate.presented, leaf_fingerprint(&second).unwrap());
        assert!(e.to_string().contains(&printed), "{e}");
    }
    assert_eq!(desk.draft(&waiting).unwrap().state, ItemState::Queued);
    assert_eq!(office.items(), items_before, "nothing was sent");

    // The office announced its new certificate: the officer clears the pin and trusts again.
    assert!(desk.forget_certificate(&url).unwrap().pinned.is_empty());
    let e = desk.deliver_outbox().await.unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::CertificateUnknown, "{e}");
    desk.trust_certificate(&url, &leaf_fingerprint(&second).unwrap())
        .unwrap();
    assert_eq!(desk.deliver_outbox().await.unwrap().sent, 1);
    assert!(office.items() > items_before);
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let started = Instant::now();
    // 10.1.2.3 answers nothing here: a connection attempt would wait for its timeout.
    let e = desk
        .sign_in("http://10.1.2.3:8480", "jtj.officer", "whatever")
        .await
        .unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::PlainHttpRefused, "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let fingerprint = format!("{}AB", "AB:".repeat(31));
    let e = desk
        .trust_certificate("http://10.1.2.3:8480", &fingerprint)
        .unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::PlainHttpRefused, "{e}");
    assert!(
        desk.trust_certificate("https://10.1.2.3:8480", &fingerprint)
            .is_ok()
    );
}

#[test]
fn a_key_of_another_certificate_is_refused_naming_both_files() {
    let pki = Pki::new();
    let one = pki.office_cert("one", true);
    let other = pki.office_cert("other", true);
    let mixed = TlsFiles {
        cert: one.cert.clone(),
        key: other.key.clone(),
    };
    let e = liaison_office::tls::server_config(&mixed).unwrap_err();
    assert!(
        matches!(e, liaison_office::tls::TlsError::KeyMismatch { .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("one.crt") && text.contains("other.key"),
        "{text}"
    );
    assert!(liaison_office::tls::server_config(&one).is_ok());
}

/// `liaison-office serve --tls-cert --tls-key` prints the fingerprint and serves HTTPS.
#[tokio::test]
async fn the_office_binary_serves_https_and_prints_the_fingerprint() {
    use std::io::{BufRead, BufReader};
    let pki = Pki::new();
    let tls = pki.office_cert("office", false);
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(liaison_tests::built_binary("liaison-office"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--min-free-mib",
            "16",
        ])
        .arg("--data")
        .arg(data.path())
        .arg("--tls-cert")
        .arg(&tls.cert)
        .arg("--tls-key")
        .arg(&tls.key)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = None;
    let url = loop {
        let line = lines.next().expect("the office ends early").unwrap();
        if let Some(fp) = line.strip_prefix("certificate SHA-256 fingerprint: ") {
            printed = Some(fp.trim().to_owned());
        }
        if let Some(url) = line.strip_prefix("liaison-office listening on ") {
            break url.trim().to_owned();
        }
    };
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert_eq!(printed, Some(leaf_fingerprint(&tls).unwrap()));

    // A desk pinned to that fingerprint reaches it (wrong password: the TLS part worked).
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    desk.trust_certificate(&url, printed.as_deref().unwrap())
        .unwrap();
    let e = desk
        .sign_in(&url, "jtj.officer", "not the password")
        .await
        .unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::WrongPassword, "{e}");
    let _ = child.kill();
    let _ = child.wait();
}
