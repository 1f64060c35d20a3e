//! The headless desk (`liaison-desk-cli`) as a script would drive it, against a real office.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use liaison_tests::{OfficeProcess, desk_cli};
use serde_json::Value;

#[test]
fn a_script_signs_in_drafts_sends_syncs_and_reads_the_receipt() {
    let office = OfficeProcess::start_demo();
    let seat = office.seat("officer", Some("市住房和城乡建设局"));
    let data = tempfile::tempdir().unwrap();
    let service = format!("liaison-cli-test-{}", std::process::id());
    let run = |args: &[&str], stdin: &str| desk_cli(data.path(), &service, args, stdin);

    // A wrong password is a clear error with the engine's code, and nothing is stored.
    let err = run(
        &["sign-in", "--office", &office.url, "--login", &seat.login],
        "wrong\n",
    )
    .unwrap_err();
    assert!(err.contains("\"code\":\"wrong_password\""), "{err}");
    assert_eq!(run(&["state"], "").unwrap()["session"]["seat"], Value::Null);

    let session = run(
        &["sign-in", "--office", &office.url, "--login", &seat.login],
        &format!("{}\n", seat.password),
    )
    .unwrap();
    assert_eq!(session["seat"]["department"]["name"], "市住房和城乡建设局");

    let state = run(&["state"], "").unwrap();
    let column = state["columns"][0]["id"].as_i64().unwrap().to_string();
    let body = "<h2>保障性住房申请指南</h2><ol><li>提交申请</li><li>资格审核</li></ol>";
    let draft = run(
        &[
            "draft",
            "--column",
            &column,
            "--title",
            "2026年保障性住房申请指南",
            "--body",
            "-",
        ],
        body,
    )
    .unwrap();
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["body_html"], body);
    assert_eq!(draft["state"], "draft");

    // This department attests its sign-off on paper: without it nothing is queued.
    assert_eq!(session["seat"]["department"]["signoff"], "attested");
    let err = run(&["send", &id], "").unwrap_err();
    assert!(err.contains("\"code\":\"signoff_required\""), "{err}");
    let form = data.path().join("审核签发单.pdf");
    std::fs::write(&form, b"%PDF-1.4\n% signed approval form\n%%EOF\n").unwrap();
    let attested = run(
        &[
            "attest",
            &id,
            "--approver",
            "郑国强",
            "--approved-on",
            "2026-01-05",
            "--form",
            form.to_str().unwrap(),
        ],
        "",
    )
    .unwrap();
    assert_eq!(attested["attestation"]["approver"], "郑国强");
    assert_eq!(
        attested["attestation"]["form_sha256"],
        attested["attachments"][0]["sha256"]
    );

    assert_eq!(run(&["send", &id], "").unwrap()["state"], "queued");
    let report = run(&["sync"], "").unwrap();
    assert_eq!(report["sent"], 1);

    let state = run(&["state"], "").unwrap();
    let ours = &state["drafts"][0];
    assert_eq!(ours["state"], "delivered");
    let receipt = ours["receipt"].as_str().unwrap();
    assert!(receipt.starts_with("LS-"), "{receipt}");

    // The office's timeline shows the paper sign-off beside the delivery.
    let timeline = run(&["timeline", &id], "").unwrap();
    let kinds: Vec<&str> = timeline["versions"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["delivered", "attested"]);

    // Sending a delivered item again is refused with the engine's code.
    let err = run(&["send", &id], "").unwrap_err();
    assert!(err.contains("\"code\":\"invalid_state\""), "{err}");

    run(&["sign-out"], "").unwrap();
    assert_eq!(run(&["state"], "").unwrap()["session"]["seat"], Value::Null);
}
