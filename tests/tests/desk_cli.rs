//! The headless desk (`liaison-desk-cli`) as a script would drive it, against a real office.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use liaison_tests::{OfficeProcess, built_binary, desk_cli};
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

/// One seat on two workstations, as an officer with an office PC and a laptop: the PC backs its
/// drafts up, the laptop restores them (and changes one), and both send both. The office keeps
/// one item per draft; the laptop learns the office's copy (its receipt and state, "sent from
/// another computer") instead of a refusal, keeps its own changed text as a draft of its own,
/// and the two desks end up holding the same items.
#[tokio::test]
async fn one_seat_on_two_workstations_sends_each_draft_once_and_both_desks_agree() {
    let office = OfficeProcess::start_demo();
    let seat = office.seat("officer", Some("市教育局")).clone();
    let (pc, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pc_keyring = format!("liaison-cli-pc-{}", std::process::id());
    let laptop_keyring = format!("liaison-cli-laptop-{}", std::process::id());
    let on_pc = |args: &[&str], stdin: &str| desk_cli(pc.path(), &pc_keyring, args, stdin);
    let on_laptop =
        |args: &[&str], stdin: &str| desk_cli(laptop.path(), &laptop_keyring, args, stdin);
    let drafts = |state: &Value| state["drafts"].as_array().unwrap().clone();
    let by_id = |state: &Value, id: &str| -> Value {
        drafts(state)
            .into_iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("no draft {id} in {state}"))
    };

    let sign_in = ["sign-in", "--office", &office.url, "--login", &seat.login];
    let password = format!("{}\n", seat.password);
    on_pc(&sign_in, &password).unwrap();
    on_laptop(&sign_in, &password).unwrap();
    let column = on_pc(&["state"], "").unwrap()["columns"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let body = "<p>各学校要切实做好寒假期间的安全教育。</p>";
    let draft = |title: &str| {
        on_pc(
            &[
                "draft", "--column", &column, "--title", title, "--body", body,
            ],
            "",
        )
        .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let same = draft("关于做好寒假安全工作的通知");
    let changed = draft("关于校园开放日的安排");

    // The PC backs both up; the laptop restores them.
    on_pc(&["sync"], "").unwrap();
    on_laptop(&["sync"], "").unwrap();
    let laptop_state = on_laptop(&["state"], "").unwrap();
    assert_eq!(
        by_id(&laptop_state, &same)["title"],
        "关于做好寒假安全工作的通知"
    );
    // What each desk holds besides these two: the seat's history, brought at sign-in.
    let others = |state: &Value| -> Vec<String> {
        drafts(state)
            .iter()
            .filter_map(|d| d["id"].as_str())
            .filter(|id| *id != same && *id != changed)
            .map(str::to_owned)
            .collect()
    };
    let laptop_history = others(&laptop_state);
    let pc_history = others(&on_pc(&["state"], "").unwrap());
    // On the laptop one of them is changed before it is sent.
    on_laptop(
        &[
            "save",
            &changed,
            "--title",
            "关于校园开放日的安排（修订）",
            "--body",
            "<p>开放日改在周六上午。</p>",
        ],
        "",
    )
    .unwrap();

    // Both send both; the PC's sends reach the office first.
    for id in [&same, &changed] {
        on_pc(&["send", id], "").unwrap();
        on_laptop(&["send", id], "").unwrap();
    }
    assert_eq!(on_pc(&["sync"], "").unwrap()["sent"], 2);
    assert_eq!(on_laptop(&["sync"], "").unwrap()["sent"], 2);

    // The office holds one item per draft.
    let officer = office.signed_in(&seat).await;
    let items = officer.get("/items?mine=true").await;
    for id in [&same, &changed] {
        let held = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["draft_key"] == id.as_str())
            .count();
        assert_eq!(held, 1, "{id}: {items}");
    }

    // The laptop shows what the office holds: the PC's text, receipt and state, sent from
    // another computer, with no error.
    let (pc_state, laptop_state) = (
        on_pc(&["state"], "").unwrap(),
        on_laptop(&["state"], "").unwrap(),
    );
    for id in [&same, &changed] {
        let (p, l) = (by_id(&pc_state, id), by_id(&laptop_state, id));
        assert!(
            p["receipt"].as_str().is_some_and(|r| r.starts_with("LS-")),
            "{p}"
        );
        for field in ["state", "receipt", "title", "body_html", "version"] {
            assert_eq!(l[field], p[field], "{id} {field}");
        }
        assert_eq!(l["notice"], "sent_elsewhere", "{l}");
        assert_eq!(l["last_error"], Value::Null, "{l}");
        assert_eq!(p["notice"], Value::Null, "{p}");
    }
    assert_eq!(by_id(&pc_state, &same)["state"], "awaiting_signoff");
    // The laptop's changed text is kept as a draft of its own; the unchanged one left no copy.
    let kept: Vec<String> = others(&laptop_state)
        .into_iter()
        .filter(|id| !laptop_history.contains(id))
        .collect();
    assert_eq!(kept.len(), 1, "{laptop_state}");
    let kept = by_id(&laptop_state, &kept[0]);
    assert_eq!(kept["title"], "关于校园开放日的安排（修订）");
    assert_eq!(kept["state"], "draft");
    assert_eq!(kept["notice"], "is_other_copy");
    assert_eq!(kept["body_html"], "<p>开放日改在周六上午。</p>");

    // The desks converge: the kept copy is backed up from the laptop and restored on the PC.
    on_laptop(&["sync"], "").unwrap();
    on_pc(&["sync"], "").unwrap();
    let pc_state = on_pc(&["state"], "").unwrap();
    let restored: Vec<String> = others(&pc_state)
        .into_iter()
        .filter(|id| !pc_history.contains(id))
        .collect();
    assert_eq!(restored.len(), 1, "{pc_state}");
    assert_eq!(
        by_id(&pc_state, &restored[0])["title"],
        "关于校园开放日的安排（修订）"
    );
}

/// The headless worker (`liaison-desk-cli run`) follows the import folder as the window does: a
/// file dropped there while it runs becomes a draft, said on its output.
#[test]
fn the_headless_worker_takes_files_from_the_import_folder() {
    use std::io::BufRead;

    let office = OfficeProcess::start_demo();
    let seat = office.seat("officer", Some("市教育局"));
    let data = tempfile::tempdir().unwrap();
    let service = format!("liaison-cli-worker-{}", std::process::id());
    let run = |args: &[&str], stdin: &str| desk_cli(data.path(), &service, args, stdin);
    run(
        &["sign-in", "--office", &office.url, "--login", &seat.login],
        &format!("{}\n", seat.password),
    )
    .unwrap();
    let folder = data.path().join("报送文件夹");
    std::fs::create_dir_all(&folder).unwrap();
    run(&["import-folder", folder.to_str().unwrap()], "").unwrap();

    let mut worker = std::process::Command::new(built_binary("liaison-desk-cli"))
        .arg("--data")
        .arg(data.path())
        .args(["--keyring-service", &service, "run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = worker.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::fs::write(
        folder.join("寒假值班安排.txt"),
        "关于寒假值班安排的通知\n各科室：寒假期间实行24小时值班。",
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let taken = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the worker said it took the file within 30 s");
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["import"]["name"] == "寒假值班安排.txt" {
            break event;
        }
    };
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!(taken["import"]["outcome"], "imported", "{taken}");
    let id = taken["import"]["draft_id"].as_str().unwrap();
    let state = run(&["state"], "").unwrap();
    let draft = state["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{state}"));
    assert_eq!(draft["title"], "关于寒假值班安排的通知");
}
