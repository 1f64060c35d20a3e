//! The session token goes to the real Secret Service, not keyring's in-memory mock.
//! Run inside a session with gnome-keyring unlocked (scripts/test-session.sh; `make test` does).

use liaison_desk::Keyring;

#[test]
fn the_token_round_trips_through_the_real_secret_service() {
    let service = format!("liaison-test-{}", uuid::Uuid::new_v4());
    let keyring = Keyring::new(service.clone());
    assert!(
        keyring.is_platform_store(),
        "keyring is using its in-memory mock"
    );

    let url = "http://127.0.0.1:8480";
    assert_eq!(keyring.token(url, "jtj.officer").unwrap(), None);
    keyring
        .store_token(url, "jtj.officer", "token-秘密-123")
        .unwrap();

    // A fresh handle (as after a restart) reads it back...
    assert_eq!(
        Keyring::new(service.clone())
            .token(url, "jtj.officer")
            .unwrap()
            .as_deref(),
        Some("token-秘密-123")
    );
    // ...and the Secret Service itself holds it, seen from outside this process.
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &service])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    let listed = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        listed.contains("jtj.officer@http://127.0.0.1:8480"),
        "secret-tool saw: {listed}"
    );

    keyring.forget_token(url, "jtj.officer").unwrap();
    assert_eq!(keyring.token(url, "jtj.officer").unwrap(), None);
    // Forgetting twice is fine.
    keyring.forget_token(url, "jtj.officer").unwrap();
}
