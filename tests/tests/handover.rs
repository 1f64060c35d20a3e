//! A seat handed over between two desk processes (`liaison-desk-cli`) through a real office:
//! nothing of the outgoing holder's work is lost, the successor gets it, and the outgoing desk
//! stops for good. Run inside a session with a Secret Service (scripts/test-session.sh).

use liaison_desk::Keyring;
use liaison_tests::{OfficeProcess, desk_cli};
use serde_json::{Value, json};

fn titles(state: &Value) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = state["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["title"].as_str().unwrap().to_owned(),
                d["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn the_outgoing_desk_hands_over_everything_and_stops_the_successor_receives_it() {
    let mut office = OfficeProcess::start_demo();
    let seat = office.seat("officer", Some("市教育局")).clone();
    let (outgoing, successor) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pid = std::process::id();
    let (svc_out, svc_in) = (
        format!("liaison-handover-out-{pid}"),
        format!("liaison-handover-in-{pid}"),
    );
    let old = |args: &[&str]| desk_cli(outgoing.path(), &svc_out, args, "");

    desk_cli(
        outgoing.path(),
        &svc_out,
        &["sign-in", "--office", &office.url, "--login", &seat.login],
        &format!("{}\n", seat.password),
    )
    .unwrap();
    let column = old(&["state"]).unwrap()["columns"][0]["id"].to_string();
    // A draft being written, and an item queued but not yet sent.
    old(&[
        "draft",
        "--column",
        &column,
        "--title",
        "寒假值班表（草稿）",
        "--body",
        "<p>待补充</p>",
    ])
    .unwrap();
    // It carries a file, which the successor's desk gets with the item's history.
    let timetable = outgoing.path().join("考试时间表.pdf");
    std::fs::write(&timetable, b"%PDF-1.4\n% exam timetable\n%%EOF\n").unwrap();
    let queued = old(&[
        "draft",
        "--column",
        &column,
        "--title",
        "期末考试安排",
        "--body",
        "<p>正文</p>",
        "--attach",
        timetable.to_str().unwrap(),
        "--send",
    ])
    .unwrap();
    let timetable_sha = queued["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    // And one without a title yet.
    old(&[
        "draft",
        "--column",
        &column,
        "--title",
        "",
        "--body",
        "<p>想法</p>",
    ])
    .unwrap();

    // With the office out of reach, the handover does not start and says what would be lost.
    office.stop();
    let args = [
        "handover-start",
        "--name",
        "周敏",
        "--staff-no",
        "JY-0427",
        "--phone",
        "13800001234",
    ];
    let err = old(&args).unwrap_err();
    assert!(err.contains("\"code\":\"handover_blocked\""), "{err}");
    // As data, oldest first, each title as written: the window words the untitled one.
    assert!(
        err.contains(
            "\"data\":{\"kind\":\"pending\",\"titles\":[\"寒假值班表（草稿）\",\"期末考试安排\",\"\"]}"
        ),
        "{err}"
    );
    office.restart();

    // Online: everything is delivered and backed up first, then the office is asked.
    let started = old(&args).unwrap();
    assert_eq!(started["state"], "requested");
    let id = started["id"].as_i64().unwrap();
    let responsible = office
        .signed_in(office.seat("responsible", Some("市教育局")))
        .await;
    assert!(
        responsible
            .get("/signoffs")
            .await
            .to_string()
            .contains("期末考试安排")
    );

    // The administrator approves; the outgoing holder sees the code once.
    let admin = office.signed_in(office.seat("admin", None)).await;
    let (status, approved) = admin
        .post(&format!("/handovers/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{approved}");
    let code = old(&["handover-code", &id.to_string()]).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code, approved["code"].as_str().unwrap());
    assert!(
        old(&["handover-code", &id.to_string()]).is_err(),
        "shown once"
    );

    // The successor, on another workstation, takes the seat and receives its work.
    let session = desk_cli(
        successor.path(),
        &svc_in,
        &[
            "redeem",
            "--office",
            &office.url,
            "--login",
            &seat.login,
            "--code",
            &code,
        ],
        "寒假值班2026安排\n",
    )
    .unwrap();
    assert_eq!(session["seat"]["holder_name"], "周敏");
    desk_cli(successor.path(), &svc_in, &["sync"], "").unwrap();
    let theirs = titles(&desk_cli(successor.path(), &svc_in, &["state"], "").unwrap());
    for want in [
        ("寒假值班表（草稿）", "draft"),
        ("期末考试安排", "awaiting_signoff"),
    ] {
        assert!(
            theirs.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {theirs:?}"
        );
    }
    // The sent item came with its file: named by the draft, its bytes in the desk's store.
    let state = desk_cli(successor.path(), &svc_in, &["state"], "").unwrap();
    let exams = state["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "期末考试安排")
        .unwrap();
    assert_eq!(exams["attachments"][0]["sha256"], timetable_sha.as_str());
    assert_eq!(exams["attachments"][0]["name"], "考试时间表.pdf");
    assert_eq!(
        std::fs::read(successor.path().join("files").join(&timetable_sha)).unwrap(),
        std::fs::read(&timetable).unwrap()
    );
    // And the seat's whole history: items accepted before the handover.
    assert!(
        theirs.iter().any(|(_, state)| state == "accepted"),
        "{theirs:?}"
    );
    let holders = desk_cli(successor.path(), &svc_in, &["holders"], "").unwrap();
    assert_eq!(holders[0]["name"], "王晓燕");
    assert_eq!(holders[1]["name"], "周敏");

    // The outgoing desk's next contact stops it: keyring entry gone, nothing sent any more.
    let keyring = Keyring::new(svc_out.clone());
    assert!(keyring.token(&office.url, &seat.login).unwrap().is_some());
    let err = old(&["sync"]).unwrap_err();
    assert!(err.contains("\"code\":\"seat_handed_over\""), "{err}");
    assert_eq!(keyring.token(&office.url, &seat.login).unwrap(), None);
    let state = old(&["state"]).unwrap();
    assert_eq!(state["session"]["seat"], Value::Null);
    assert_eq!(
        state["session"]["handed_over"]["login"],
        seat.login.as_str()
    );
    assert_eq!(state["session"]["handed_over"]["wiped"], false);
    // Its data stays, read-only.
    assert_eq!(titles(&state).len(), 3);
    assert!(theirs.len() > 2);
    let err = old(&[
        "draft",
        "--column",
        &column,
        "--title",
        "交接后的稿件",
        "--send",
    ])
    .unwrap_err();
    assert!(err.contains("\"code\":\"seat_handed_over\""), "{err}");
    assert!(old(&["sync"]).is_err());
    let now_held = liaison_domain::wire::DemoSeat {
        password: "寒假值班2026安排".into(),
        ..seat.clone()
    };
    let items = office.signed_in(&now_held).await.get("/items").await;
    assert!(items.to_string().contains("期末考试安排"));
    assert!(!items.to_string().contains("交接后的稿件"));
}
