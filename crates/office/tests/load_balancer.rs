//! The office behind a real load balancer: Debian's HAProxy on loopback terminates HTTPS and
//! forwards to the office, which believes `X-Forwarded-For` and `X-Forwarded-Proto` from it (a
//! trusted proxy) and from nobody else. Clients come from different loopback addresses
//! (127.0.0.2, 127.0.0.3), so the test can tell the client's address from the proxy's: the audit
//! log names the client, the sign-in throttle counts each client apart, and the console's cookie
//! is `Secure` because the proxy says the client spoke HTTPS. A client's own forged headers
//! change nothing, through the proxy or around it.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Office, office_with};
use reqwest::StatusCode;
use serde_json::json;

/// HAProxy in front of one office, ended with the test.
struct HaProxy {
    child: Child,
    port: u16,
    cert_pem: String,
    _dir: tempfile::TempDir,
}

impl HaProxy {
    fn start(office: SocketAddr) -> HaProxy {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = dir.path().join("portal.pem");
        std::fs::write(&pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("haproxy.cfg");
        std::fs::write(
            &config,
            format!(
                "global
    maxconn 200
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend portal
    bind 127.0.0.1:{port} ssl crt {pem}
    http-request set-header X-Forwarded-Proto https
    option forwardfor
    default_backend offices
backend offices
    server office1 {office} source 127.0.0.1
",
                pem = pem.display()
            ),
        )
        .unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy is installed (scripts/deps.sh)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "haproxy did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        HaProxy {
            child,
            port,
            cert_pem: cert.pem(),
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A client on loopback address `from`, trusting the portal's certificate.
    fn client(&self, from: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(from.parse::<IpAddr>().unwrap())
            .add_root_certificate(reqwest::Certificate::from_pem(self.cert_pem.as_bytes()).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn site(o: &Office) -> String {
    o.base.trim_end_matches("/api/v1").to_owned()
}

fn office_address(o: &Office) -> SocketAddr {
    site(o).trim_start_matches("http://").parse().unwrap()
}

/// The addresses the audit log holds for an action of a seat.
async fn audited_addresses(o: &Office, action: &str, login: &str) -> Vec<String> {
    let admin = o.sign_in("bjb.admin").await;
    let (_, audit) = o.get(&admin, "/audit?limit=200").await;
    audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action && e["actor"] == login)
        .map(|e| e["address"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn behind_haproxy_the_client_is_who_the_proxy_says_and_nobody_else_is_believed() {
    let o = office_with(|mut s| {
        s.trusted_proxies = std::sync::Arc::from(["127.0.0.1".parse::<IpAddr>().unwrap()]);
        s
    })
    .await;
    let lb = HaProxy::start(office_address(&o));
    let editor_password = o.password("bjb.editor");

    // Through the proxy, a client that forges its own headers: its address and HTTPS come from
    // the proxy, not from what it wrote.
    let r = lb
        .client("127.0.0.2")
        .post(format!("{}/sign-in", lb.url()))
        .header("x-forwarded-for", "10.9.9.9")
        .header("x-forwarded-proto", "http")
        .form(&[
            ("login", "bjb.editor"),
            ("password", editor_password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure"),
        "the client spoke HTTPS to the portal: {cookie}"
    );

    // Around the proxy, straight to the office, the same forgery means nothing.
    let r = reqwest::Client::builder()
        .local_address("127.0.0.3".parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/sign-in", site(&o)))
        .header("x-forwarded-for", "10.9.9.9")
        .header("x-forwarded-proto", "https")
        .form(&[
            ("login", "bjb.editor"),
            ("password", editor_password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );

    let addresses = audited_addresses(&o, "session.signed_in", "bjb.editor").await;
    assert!(addresses.contains(&"127.0.0.2".to_owned()), "{addresses:?}");
    assert!(addresses.contains(&"127.0.0.3".to_owned()), "{addresses:?}");
    assert!(
        !addresses
            .iter()
            .any(|a| a == "10.9.9.9" || a == "127.0.0.1"),
        "neither the forgery nor the proxy is named as a client: {addresses:?}"
    );

    // The throttle counts clients behind the proxy apart: one address failing often is stopped,
    // another one signs in.
    let noisy = lb.client("127.0.0.4");
    for i in 0..liaison_office::throttle::PER_ADDRESS {
        let r = noisy
            .post(format!("{}/api/v1/sessions", lb.url()))
            .json(&json!({"login": format!("nobody{i}"), "password": "wrong password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let officer_password = o.password("jyj.officer");
    let sign_in = |client: reqwest::Client| {
        let (url, password) = (
            format!("{}/api/v1/sessions", lb.url()),
            officer_password.clone(),
        );
        async move {
            client
                .post(url)
                .json(&json!({"login": "jyj.officer", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        sign_in(lb.client("127.0.0.4")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(sign_in(lb.client("127.0.0.5")).await, StatusCode::CREATED);
}
