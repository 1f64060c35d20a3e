//! The built desk app in a real window (Xvfb), driven through WebDriver (tauri-driver +
//! WebKitWebDriver), against a real office process. Needs `--features window` and a display:
//! `make test` runs it through scripts/test-session.sh --display.

use std::time::Duration;

use liaison_tests::{OfficeProcess, workspace_root};
use serde_json::json;
use sha2::Digest;

mod desk_window;
use desk_window::*;

/// Watches the first draft in the list from the page's start: each frame, its top; answers the
/// tops it took, each once in a row, 1.5 s after the list first showed (or after 15 s).
const LIST_TOPS: &str = "
    const done = arguments[arguments.length - 1];
    const tops = [];
    const start = performance.now();
    let shownAt = null;
    function frame() {
        const item = document.querySelector('[data-testid=draft-list-item]');
        if (item) {
            const top = item.getBoundingClientRect().top;
            if (tops[tops.length - 1] !== top) tops.push(top);
            if (shownAt === null) shownAt = performance.now();
        }
        const now = performance.now();
        if ((shownAt !== null && now - shownAt > 1500) || now - start > 15000) done(tops);
        else requestAnimationFrame(frame);
    }
    frame();
";

/// The desk as `dpkg -i` installed it (`LIAISON_INSTALLED_DESK`, else /usr/bin/liaison-desk):
/// its window paints and it signs in to an office. scripts/package-desk.sh installs the .deb and
/// runs this; it is ignored otherwise, since nothing is installed.
#[tokio::test]
#[ignore = "needs the desk's .deb installed: scripts/package-desk.sh"]
async fn the_installed_desk_paints_and_signs_in() {
    alone_on_the_screen(installed_desk_signs_in()).await
}

#[tokio::test]
async fn an_officer_drafts_restarts_sends_and_the_office_holds_exactly_one_item() {
    alone_on_the_screen(drafts_restarts_sends()).await;
}

#[tokio::test]
async fn the_board_puts_overdue_first_raises_a_desktop_notification_and_shows_urges() {
    alone_on_the_screen(board_notification_urge()).await;
}

#[tokio::test]
async fn a_responsible_person_reads_and_signs_off_an_item_in_the_window() {
    alone_on_the_screen(responsible_signs_off()).await;
}

#[tokio::test]
async fn a_successor_signs_in_with_a_handover_code_and_finds_the_inherited_drafts() {
    alone_on_the_screen(successor_takes_over()).await;
}

#[tokio::test]
async fn a_handed_over_desk_shows_the_drafts_it_kept_read_only() {
    alone_on_the_screen(kept_drafts_read_only()).await;
}

async fn kept_drafts_read_only() {
    let office = OfficeProcess::start_demo();
    let handed = a_seat_handed_over(&office, "kept").await;
    // The successor takes the seat on their own computer (headless here); the outgoing desk
    // learns it at its next sync, which the office refuses.
    let successor = tempfile::tempdir().unwrap();
    desk_cli(
        successor.path(),
        &format!("{}-successor", handed.keyring_service),
        &[
            "redeem",
            "--office",
            &office.url,
            "--login",
            &handed.seat.login,
            "--code",
            &handed.code,
        ],
        "寒假值班2026安排\n",
    );
    let refused = liaison_tests::desk_cli(
        handed.outgoing.path(),
        &handed.keyring_service,
        &["sync"],
        "",
    )
    .expect_err("the office ended the outgoing desk's session");
    assert!(refused.contains("seat_handed_over"), "{refused}");

    let driver = Driver::start(handed.outgoing.path(), &handed.keyring_service);
    let c = driver.open_app().await;
    find(&c, "[data-testid=handed-over-notice]").await;
    find(&c, "[data-testid=kept-drafts-open]")
        .await
        .click()
        .await
        .unwrap();
    let kept = eventually(
        "the kept draft listed",
        Duration::from_secs(20),
        async || {
            let items = c
                .find_all(css("[data-testid=draft-list-item]"))
                .await
                .unwrap_or_default();
            for item in items {
                if item
                    .html(false)
                    .await
                    .unwrap_or_default()
                    .contains(KEPT_TITLE)
                {
                    return Ok(item);
                }
            }
            Err("not listed yet".to_owned())
        },
    )
    .await;
    assert!(
        c.find_all(css("[data-testid=new-draft]"))
            .await
            .unwrap()
            .is_empty(),
        "no new drafts on a handed-over desk"
    );
    kept.click().await.unwrap();
    find(&c, "[data-testid=kept-readonly-note]").await;
    let title = find(&c, "[data-testid=draft-title]").await;
    assert_eq!(
        title.prop("value").await.unwrap().as_deref(),
        Some(KEPT_TITLE)
    );
    assert!(
        title.attr("readonly").await.unwrap().is_some(),
        "the title is read-only"
    );
    assert!(
        c.find_all(css("[data-testid=send-draft]"))
            .await
            .unwrap()
            .is_empty(),
        "nothing to send from a handed-over desk"
    );
    close_notifications();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-kept-drafts.png"));
    find(&c, "[data-testid=kept-close]")
        .await
        .click()
        .await
        .unwrap();
    find(&c, "[data-testid=handed-over-notice]").await;
    c.close().await.unwrap();
}

/// A seat whose holder, headless, drafted one item, backed it up and asked for a handover the
/// administrator approved: the outgoing desk's folder and keyring service, and the code.
struct HandedOverSeat {
    outgoing: tempfile::TempDir,
    keyring_service: String,
    seat: liaison_tests::DemoSeat,
    code: String,
}

const KEPT_TITLE: &str = "寒假值班表（交接前的草稿）";

async fn a_seat_handed_over(office: &OfficeProcess, name: &str) -> HandedOverSeat {
    let seat = office.seat("officer", Some("市教育局")).clone();
    let outgoing = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-window-{name}-{}", std::process::id());
    desk_cli(
        outgoing.path(),
        &keyring_service,
        &["sign-in", "--office", &office.url, "--login", &seat.login],
        &format!("{}\n", seat.password),
    );
    desk_cli(
        outgoing.path(),
        &keyring_service,
        &[
            "draft",
            "--column",
            "1",
            "--title",
            KEPT_TITLE,
            "--body",
            "<p>一月值班：待定</p>",
        ],
        "",
    );
    desk_cli(
        outgoing.path(),
        &keyring_service,
        &[
            "handover-start",
            "--name",
            "周敏",
            "--staff-no",
            "JY-0427",
            "--phone",
            "13800001234",
        ],
        "",
    );
    let admin = office.signed_in(office.seat("admin", None)).await;
    let open = admin.get("/handovers").await;
    let id = open[0]["id"].as_i64().unwrap();
    let (status, approved) = admin
        .post(&format!("/handovers/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{approved}");
    HandedOverSeat {
        outgoing,
        keyring_service,
        seat,
        code: approved["code"].as_str().unwrap().to_owned(),
    }
}

async fn successor_takes_over() {
    let office = OfficeProcess::start_demo();
    let HandedOverSeat { seat, code, .. } = a_seat_handed_over(&office, "outgoing").await;

    // The successor's own workstation: a fresh desk, signed in with the code.
    let data = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-window-successor-{}", std::process::id());
    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open_app().await;
    find(&c, "[data-testid=signin-mode-handover]")
        .await
        .click()
        .await
        .unwrap();
    let office_field = find(&c, "[data-testid=handover-office]").await;
    office_field.clear().await.unwrap();
    office_field.send_keys(&office.url).await.unwrap();
    for (id, text) in [
        ("handover-login", seat.login.as_str()),
        ("handover-code", code.as_str()),
        ("handover-password", "寒假值班2026安排"),
        ("handover-password2", "寒假值班2026安排"),
    ] {
        find(&c, &format!("[data-testid={id}]"))
            .await
            .send_keys(text)
            .await
            .unwrap();
    }
    find(&c, "[data-testid=handover-submit]")
        .await
        .click()
        .await
        .unwrap();
    // The inherited draft arrives with the first sync.
    eventually("the inherited draft", Duration::from_secs(40), async || {
        let items = c
            .find_all(css("[data-testid=draft-list-item]"))
            .await
            .unwrap_or_default();
        let mut html = String::new();
        for item in &items {
            html.push_str(&item.html(false).await.unwrap_or_default());
        }
        if html.contains(KEPT_TITLE) {
            Ok(())
        } else {
            Err(html)
        }
    })
    .await;
    // The holder history shows both holders.
    find(&c, "[data-testid=handover-open]")
        .await
        .click()
        .await
        .unwrap();
    let both = eventually("both holders", Duration::from_secs(20), async || {
        let rows = c
            .find_all(css("[data-testid=holder-row]"))
            .await
            .unwrap_or_default();
        if rows.len() != 2 {
            // What the panel shows instead (still loading, or an error).
            let panel = match c.find(css("[data-testid=holder-history]")).await {
                Ok(p) => p.html(false).await.unwrap_or_default(),
                Err(e) => format!("no holder history: {e}"),
            };
            return Err(format!("holders: {}; the panel: {panel}", rows.len()));
        }
        Ok(format!(
            "{}{}",
            rows[0].html(false).await.unwrap(),
            rows[1].html(false).await.unwrap()
        ))
    })
    .await;
    assert!(both.contains("王晓燕") && both.contains("周敏"), "{both}");
    close_notifications();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-handover.png"));
    c.close().await.unwrap();
}

async fn responsible_signs_off() {
    let office = OfficeProcess::start_demo();
    // The officer sent two items through the API; both wait for 李建国.
    let officer = office
        .signed_in(office.seat("officer", Some("市教育局")))
        .await;
    let column = officer.get("/columns").await[0]["id"].clone();
    for (key, title) in [("w-1", "寒假学生安全提醒"), ("w-2", "教师培训安排")] {
        let (status, _) = officer
            .post_keyed(
                "/items",
                key,
                json!({"draft_key": key, "version": 1, "column_id": column, "title": title,
                       "body_html": format!("<h2>{title}</h2><p>请各校落实。</p><script>document.title='x'</script>")}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let responsible = office.seat("responsible", Some("市教育局")).clone();
    let data = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-window-signoff-{}", std::process::id());
    desk_cli(
        data.path(),
        &keyring_service,
        &[
            "sign-in",
            "--office",
            &office.url,
            "--login",
            &responsible.login,
        ],
        &format!("{}\n", responsible.password),
    );
    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open_app().await;

    find(&c, "[data-testid=signoff-tab]")
        .await
        .click()
        .await
        .unwrap();
    let items = eventually("both items listed", Duration::from_secs(20), async || {
        let items = c
            .find_all(css("[data-testid=signoff-item]"))
            .await
            .unwrap_or_default();
        if items.len() == 2 {
            Ok(items)
        } else {
            Err(format!("{} items", items.len()))
        }
    })
    .await;
    assert_eq!(items.len(), 2, "both items wait for sign-off");
    // (WebKitWebDriver's element text leaves out the ellipsised title: read the markup.)
    let first = items[0].html(false).await.unwrap();
    assert!(
        first.contains("寒假学生安全提醒") && first.contains("王晓燕"),
        "{first}"
    );
    // The body is shown in a frame that runs nothing.
    let frame = open_signoff_item(&c, &items[0]).await;
    assert_eq!(frame.attr("sandbox").await.unwrap().as_deref(), Some(""));
    let srcdoc = frame.attr("srcdoc").await.unwrap().unwrap_or_default();
    assert!(srcdoc.contains("请各校落实"), "{srcdoc}");
    find(&c, "[data-testid=signoff-approve]")
        .await
        .click()
        .await
        .unwrap();
    // Signed off: it reaches the editors, and leaves the list.
    let editor = office.editor().await;
    eventually("the signed-off item", Duration::from_secs(20), async || {
        let inbox = editor.inbox_titled("寒假学生安全提醒").await;
        if inbox.len() == 1 {
            Ok(())
        } else {
            Err(format!("{} such items in the inbox", inbox.len()))
        }
    })
    .await;
    eventually("one item left", Duration::from_secs(20), async || {
        let left = c
            .find_all(css("[data-testid=signoff-item]"))
            .await
            .unwrap_or_default();
        if left.len() == 1 {
            Ok(())
        } else {
            Err(format!("the list still shows {} items", left.len()))
        }
    })
    .await;
    let detail = editor
        .get(&format!(
            "/items/{}",
            editor.inbox_titled("寒假学生安全提醒").await[0]["id"]
        ))
        .await;
    assert_eq!(detail["signed_off_by"], "李建国");
    // The other is returned with a comment from the window; the editors never see it.
    let left = find(&c, "[data-testid=signoff-item]").await;
    open_signoff_item(&c, &left).await;
    find(&c, "[data-testid=return-comment]")
        .await
        .send_keys("培训时间请与人事科确认")
        .await
        .unwrap();
    close_notifications();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-signoff.png"));
    find(&c, "[data-testid=return-send]")
        .await
        .click()
        .await
        .unwrap();
    let all = eventually("the return", Duration::from_secs(20), async || {
        let all = editor.get("/inbox?state=all&limit=500").await;
        let queue = office.signed_in(&responsible).await.get("/signoffs").await;
        if queue.as_array().is_some_and(Vec::is_empty) {
            Ok(all)
        } else {
            Err(format!("the sign-off queue: {queue}"))
        }
    })
    .await;
    assert!(!all.to_string().contains("教师培训安排"));

    // An item from the officer's desk shows a photo inline: this desk never held the file, and
    // fetches it from the office to show it in the frame.
    let photo = workspace_root().join("src-tauri/icons/icon.png");
    let sha = hex::encode(sha2::Sha256::digest(std::fs::read(&photo).unwrap()));
    let officer = office.seat("officer", Some("市教育局")).clone();
    let officer_data = tempfile::tempdir().unwrap();
    let officer_keyring = format!("liaison-window-signoff-officer-{}", std::process::id());
    let cli = |args: &[&str], stdin: &str| {
        liaison_tests::desk_cli(officer_data.path(), &officer_keyring, args, stdin)
            .unwrap_or_else(|e| panic!("liaison-desk-cli {args:?}: {e}"))
    };
    cli(
        &[
            "sign-in",
            "--office",
            &office.url,
            "--login",
            &officer.login,
        ],
        &format!("{}\n", officer.password),
    );
    let draft = cli(
        &[
            "draft",
            "--column",
            &column.to_string(),
            "--title",
            "校园开放日安排",
            "--body",
            &format!(
                r#"<p>开放日当天请从东门进校，校门如图：</p><p><img src="liaison-file:{sha}" alt="东门"></p>"#
            ),
            "--attach",
            photo.to_str().unwrap(),
        ],
        "",
    );
    cli(&["send", draft["id"].as_str().unwrap()], "");
    cli(&["sync"], "");
    let listed = eventually(
        "the officer's item listed",
        Duration::from_secs(20),
        async || {
            let items = c
                .find_all(css("[data-testid=signoff-item]"))
                .await
                .unwrap_or_default();
            match items.into_iter().next() {
                Some(item) => Ok(item),
                None => {
                    if let Ok(refresh) = c.find(css("[data-testid=signoff-refresh]")).await {
                        let _ = refresh.click().await;
                    }
                    Err("no item yet".to_owned())
                }
            }
        },
    )
    .await;
    open_signoff_item(&c, &listed).await;
    let shown = eventually(
        "the photo in the frame",
        Duration::from_secs(20),
        async || {
            let srcdoc = find(&c, "[data-testid=signoff-body]")
                .await
                .attr("srcdoc")
                .await
                .unwrap()
                .unwrap_or_default();
            if srcdoc.contains("src=\"data:image/png;base64,") {
                Ok(srcdoc)
            } else {
                Err(srcdoc)
            }
        },
    )
    .await;
    assert!(!shown.contains("liaison-file:"), "{shown}");
    close_notifications();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-signoff-image.png"));
    c.close().await.unwrap();
}

async fn board_notification_urge() {
    let office = OfficeProcess::start_demo();
    let officer = office.seat("officer", Some("市教育局")).clone();
    let data = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-window-board-{}", std::process::id());
    // Signed in and told to notify at any hour (the test runs whenever CI does).
    desk_cli(
        data.path(),
        &keyring_service,
        &[
            "sign-in",
            "--office",
            &office.url,
            "--login",
            &officer.login,
        ],
        &format!("{}\n", officer.password),
    );
    desk_cli(
        data.path(),
        &keyring_service,
        &[
            "notify-hours",
            "--start",
            "00:00",
            "--end",
            "24:00",
            "--every-day",
        ],
        "",
    );
    let watch = NotifyWatch::start();
    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open_app().await;

    // The board: the department's columns, overdue first.
    let states = eventually("known standings", Duration::from_secs(30), async || {
        let rows = c
            .find_all(css(
                "[data-testid=columns-list] [data-testid=column-item][data-state]",
            ))
            .await
            .unwrap();
        let mut states = Vec::new();
        for row in &rows {
            states.push(row.attr("data-state").await.unwrap().unwrap_or_default());
        }
        // Until the first sync, the columns show without a standing ("unknown").
        let known = states.len() >= 5 && states.iter().all(|s| s != "unknown");
        if known {
            Ok(states)
        } else {
            Err(format!("{states:?}"))
        }
    })
    .await;
    assert!(states.len() >= 5, "{states:?}");
    let rank = |s: &str| match s {
        "overdue" => 0,
        "due_soon" => 1,
        _ => 2,
    };
    assert_eq!(states[0], "overdue", "{states:?}");
    assert!(
        states.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{states:?}"
    );

    // The overdue column raised a real desktop notification on the session bus.
    watch.wait_for("栏目已超期", Duration::from_secs(30)).await;

    // An urge sent over the office's API arrives in the notice centre.
    let editor = office.editor().await;
    let first = c
        .find(css("[data-testid=column-item]"))
        .await
        .unwrap()
        .attr("data-column-id")
        .await
        .unwrap()
        .unwrap();
    let (status, _) = editor
        .post(
            &format!("/columns/{first}/urge"),
            json!({"message": "本栏目已超期，请今天下班前报送"}),
        )
        .await;
    assert_eq!(status, 201);
    watch
        .wait_for("本栏目已超期，请今天下班前报送", Duration::from_secs(40))
        .await;
    find(&c, "[data-testid=notices-open]")
        .await
        .click()
        .await
        .unwrap();
    eventually("the urge notice", Duration::from_secs(20), async || {
        let urged = c
            .find_all(css(
                "[data-testid=notices-panel] [data-testid=notice][data-kind=urged]",
            ))
            .await
            .unwrap();
        let mut text = String::new();
        for n in &urged {
            text.push_str(&n.prop("textContent").await.unwrap().unwrap_or_default());
        }
        if text.contains("本栏目已超期，请今天下班前报送") {
            Ok(())
        } else {
            Err(format!("{text:?}"))
        }
    })
    .await;
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-board.png"));
    find(&c, "[data-testid=notices-open]")
        .await
        .click()
        .await
        .unwrap();

    // The office asks 市教育局 for content (约稿): the request appears in the window.
    let departments = editor.get("/departments").await;
    let department = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "市教育局")
        .unwrap()["id"]
        .clone();
    let board = editor
        .get(&format!("/board?department_id={department}"))
        .await;
    let column = board
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"]["name"] == "教育动态")
        .unwrap()["column"]["id"]
        .clone();
    let (status, posted) = editor
        .post(
            "/commissions",
            json!({"topic": "冬季安全生产专题", "requirements": "综述一篇。",
                   "departments": [department], "column_id": column,
                   "deadline": {"kind": "working_days", "value": 3}}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let item = format!(
        "[data-testid=commission-item][data-commission-id=\"{}\"]",
        posted["id"]
    );
    wait_attr(
        &c,
        &item,
        "data-standing",
        "waiting",
        Duration::from_secs(40),
    )
    .await;

    // The officer answers it: a draft titled with the topic, in the request's column, sent like
    // any other.
    find(&c, &format!("{item} [data-testid=commission-answer]"))
        .await
        .click()
        .await
        .unwrap();
    eventually("the answer's title", Duration::from_secs(20), async || {
        let title = find(&c, "[data-testid=draft-title]")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        if title == "冬季安全生产专题" {
            Ok(())
        } else {
            Err(format!("{title:?}"))
        }
    })
    .await;
    let body = find(&c, "[data-testid=editor] .ProseMirror").await;
    body.click().await.unwrap();
    body.send_keys("全市各校已完成冬季安全自查。")
        .await
        .unwrap();
    // The pre-flight check runs again after the edit: the button is enabled once it passes.
    eventually("a sendable answer", Duration::from_secs(20), async || {
        let disabled = find(&c, "[data-testid=send-draft]")
            .await
            .attr("disabled")
            .await
            .unwrap();
        match disabled {
            None => Ok(()),
            Some(disabled) => Err(format!("the send button is disabled ({disabled:?})")),
        }
    })
    .await;
    find(&c, "[data-testid=send-draft]")
        .await
        .click()
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=draft-state]",
        "data-state",
        "awaiting_signoff",
        Duration::from_secs(30),
    )
    .await;
    // Signed off, it reaches the office in time, and the window shows the department's standing.
    assert_eq!(office.sign_off("市教育局").await.len(), 1);
    wait_attr(
        &c,
        &item,
        "data-standing",
        "answered_in_time",
        Duration::from_secs(40),
    )
    .await;
    let standing = find(&c, &format!("{item} [data-testid=commission-standing]"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(standing, "已按时答复");

    // The department's own standing in the ranking (评比): the month before, this month, this
    // quarter and this year, as the office counts them; the closed month matches it exactly.
    let counted = office.signed_in(&officer).await.get("/standing").await;
    let counted = counted.as_array().expect("a list");
    let periods = c
        .find_all(css(
            "[data-testid=standing-list] [data-testid=standing-period]",
        ))
        .await
        .unwrap();
    assert_eq!(periods.len(), 4);
    let last_month = &periods[0];
    assert_eq!(
        last_month.attr("data-place").await.unwrap().unwrap(),
        counted[0]["place"].to_string()
    );
    assert_eq!(
        last_month.attr("data-total").await.unwrap().unwrap(),
        counted[0]["total"].to_string()
    );
    let summary = last_month.text().await.unwrap();
    assert!(
        summary.contains(&format!(
            "第 {} 名（共 {} 个部门）",
            counted[0]["place"], counted[0]["ranked"]
        )),
        "{summary}"
    );
    // Opened, it says where the points came from.
    last_month
        .find(css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let lines = last_month
        .find(css("[data-testid=standing-lines]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(lines.contains('×'), "{lines}");
    c.execute(
        "document.querySelector('.standing-panel').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-standing.png"));

    c.close().await.unwrap();
}

async fn installed_desk_signs_in() {
    let binary = std::env::var_os("LIAISON_INSTALLED_DESK")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/liaison-desk".into());
    assert!(
        binary.exists(),
        "{} is not installed (scripts/package-desk.sh installs it)",
        binary.display()
    );
    let office = OfficeProcess::start_demo();
    let officer = office.seat("officer", Some("市教育局")).clone();
    let data = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-installed-test-{}", std::process::id());
    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open(&binary).await;

    // The window painted its first screen: the sign-in form, in Chinese, and pixels beyond the
    // bare screen's one colour.
    let submit = find(&c, "[data-testid=signin-submit]").await;
    assert_eq!(submit.text().await.unwrap().trim(), "登录");
    let colours = colours_on_the_screen();
    assert!(colours > 50, "the screen shows {colours} colours");

    sign_in(&c, &office.url, &officer).await;
    // Signed in: the officer's department's columns come from the office.
    find(&c, "[data-testid=columns-list] [data-testid=column-item]").await;
    let session = c
        .execute("return document.body.innerText", vec![])
        .await
        .unwrap();
    assert!(
        session.as_str().unwrap_or("").contains(&officer.login),
        "the signed-in seat is not shown: {session}"
    );
    c.close().await.unwrap();
}

async fn drafts_restarts_sends() {
    let office = OfficeProcess::start_demo();
    let officer = office.seat("officer", Some("市教育局")).clone();
    let data = tempfile::tempdir().unwrap();
    let keyring_service = format!("liaison-window-test-{}", std::process::id());
    let title = format!(
        "关于做好寒假期间校园安全工作的通知（{}）",
        std::process::id()
    );

    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open_app().await;

    sign_in(&c, &office.url, &officer).await;

    // The department's columns are listed.
    find(&c, "[data-testid=columns-list] [data-testid=column-item]").await;
    let columns = c.find_all(css("[data-testid=column-item]")).await.unwrap();
    assert!(columns.len() >= 3, "columns shown: {}", columns.len());

    // A new draft from the first column's 新建 button: title and body.
    find(&c, "[data-testid=column-item] [data-testid=column-new]")
        .await
        .click()
        .await
        .unwrap();
    find(&c, "[data-testid=draft-title]")
        .await
        .send_keys(&title)
        .await
        .unwrap();
    let editor = find(&c, "[data-testid=editor] .ProseMirror").await;
    editor.click().await.unwrap();
    // A heading, a paragraph and a bulleted list, through the toolbar.
    let enter = char::from(fantoccini::key::Key::Enter).to_string();
    find(&c, "[data-testid=tool-h2]")
        .await
        .click()
        .await
        .unwrap();
    editor
        .send_keys(&format!("一、总体要求{enter}"))
        .await
        .unwrap();
    editor
        .send_keys(&format!("各学校要切实做好寒假期间的安全教育。{enter}"))
        .await
        .unwrap();
    find(&c, "[data-testid=tool-bullet-list]")
        .await
        .click()
        .await
        .unwrap();
    editor.send_keys("排查校舍安全隐患").await.unwrap();

    // An image inserted into the text becomes a file of the draft, shown from the desk's store.
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("校门示意图.png");
    std::fs::write(&image, ONE_PIXEL_PNG).unwrap();
    find(&c, "[data-testid=insert-image]")
        .await
        .send_keys(&image.display().to_string())
        .await
        .unwrap();
    find(&c, "[data-testid=image-alt-confirm]")
        .await
        .click()
        .await
        .unwrap();
    wait_image_shown(&c).await;

    // Autosave: within a second of the last keystroke the indicator says saved; then close.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_attr(
        &c,
        "[data-testid=save-status]",
        "data-status",
        "saved",
        Duration::from_secs(10),
    )
    .await;
    c.close().await.unwrap();

    // Reopen: the draft is there as it was, and the seat is still signed in (token in keyring).
    drop(driver);
    let driver = Driver::start(data.path(), &keyring_service);
    let c = driver.open_app().await;
    // The first frame is whole: from the list's first frame on, nothing that arrives later (the
    // board, the requests, the notices' count, the first sync round) moves it under the pointer.
    let tops = c
        .execute_async(LIST_TOPS, vec![])
        .await
        .expect("the draft list's position, frame by frame");
    assert_eq!(
        tops.as_array().map(Vec::len),
        Some(1),
        "the draft list moved after its first frame (its top, each time it changed): {tops}"
    );
    let item = find(
        &c,
        "[data-testid=drafts-list] [data-testid=draft-list-item]",
    )
    .await;
    let start: String = title.chars().take(12).collect();
    // textContent: WebKitWebDriver's visible text leaves out an ellipsised title.
    let listed = item.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(
        listed.contains(&start),
        "draft list shows the draft: {listed:?}"
    );
    item.click().await.unwrap();
    let title_field = find(&c, "[data-testid=draft-title]").await;
    assert_eq!(
        title_field.prop("value").await.unwrap().as_deref(),
        Some(title.as_str())
    );
    let body = find(&c, "[data-testid=editor] .ProseMirror")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("寒假期间的安全教育"),
        "body after restart: {body}"
    );
    // After the restart the inline image is read back from the store.
    wait_image_shown(&c).await;

    // The search box finds the draft by a word inside its body, and marks the word.
    find(&c, "[data-testid=draft-search]")
        .await
        .send_keys("安全教育")
        .await
        .unwrap();
    let hit = find(&c, "[data-testid=search-hit]").await;
    let marked = find(&c, "[data-testid=search-hit] mark")
        .await
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(marked, "安全教育");
    let hit_text = hit.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(
        hit_text.contains(&start),
        "the hit names the draft: {hit_text:?}"
    );
    let back = char::from(fantoccini::key::Key::Backspace)
        .to_string()
        .repeat(4);
    find(&c, "[data-testid=draft-search]")
        .await
        .send_keys(&back)
        .await
        .unwrap();
    // Cleared, the list is back.
    find(
        &c,
        "[data-testid=drafts-list] [data-testid=draft-list-item]",
    )
    .await;

    // A file picked in the window is attached: its bytes cross into the engine as they are.
    let picture_dir = tempfile::tempdir().unwrap();
    let picture = picture_dir.path().join("安全教育海报.png");
    let mut picture_bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    picture_bytes.extend((0..150_000u32).map(|i| (i % 253) as u8));
    std::fs::write(&picture, &picture_bytes).unwrap();
    find(&c, "[data-testid=attach-input]")
        .await
        .send_keys(&picture.display().to_string())
        .await
        .unwrap();
    // The list holds the inline image and the picked file.
    let attached = eventually("the picked file", Duration::from_secs(10), async || {
        let list = find(&c, "[data-testid=attachments]")
            .await
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default();
        if list.contains("安全教育海报.png") {
            Ok(list)
        } else {
            Err(format!("{list:?}"))
        }
    })
    .await;
    assert!(
        attached.contains("安全教育海报.png") && attached.contains("校门示意图.png"),
        "{attached:?}"
    );

    // Send; the window shows the office's receipt, and that the item waits for the department's
    // sign-off (市教育局 signs off in the app).
    find(&c, "[data-testid=send-draft]")
        .await
        .click()
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=draft-state]",
        "data-state",
        "awaiting_signoff",
        Duration::from_secs(30),
    )
    .await;
    let receipt = find(&c, "[data-testid=receipt]")
        .await
        .text()
        .await
        .unwrap();
    assert!(receipt.contains("LS-"), "receipt shown: {receipt}");

    // The responsible person signs it off; the office's inbox then holds exactly one item with
    // that title, with the receipt the window showed.
    assert_eq!(office.sign_off("市教育局").await.len(), 1);
    wait_attr(
        &c,
        "[data-testid=draft-state]",
        "data-state",
        "delivered",
        Duration::from_secs(40),
    )
    .await;
    let editor = office.editor().await;
    let ours = editor.inbox_titled(&title).await;
    assert_eq!(ours.len(), 1, "inbox: {ours:?}");
    assert!(receipt.contains(ours[0]["receipt"].as_str().unwrap()));

    // The editor returns it with a comment quoting a passage: the window shows it returned,
    // with the comment in the item's timeline.
    let (status, _) = editor
        .post(
            &format!("/items/{}/return", ours[0]["id"]),
            json!({"comment": "请补充寒假值班安排", "quote": "排查校舍安全隐患"}),
        )
        .await;
    assert_eq!(status, 200);
    wait_attr(
        &c,
        "[data-testid=draft-state]",
        "data-state",
        "returned",
        Duration::from_secs(40),
    )
    .await;
    let timeline = eventually("the return comment", Duration::from_secs(20), async || {
        let text = find(&c, "[data-testid=timeline]")
            .await
            .text()
            .await
            .unwrap_or_default();
        if text.contains("请补充寒假值班安排") {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .await;
    assert!(
        timeline.contains("请补充寒假值班安排")
            && timeline.contains("排查校舍安全隐患")
            && timeline.contains("李建国"),
        "{timeline}"
    );

    c.execute(
        "document.querySelector('[data-testid=timeline]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    close_notifications();
    screenshot_of_the_screen(&workspace_root().join("docs").join("desk-window.png"));
    c.close().await.unwrap();

    // The structure written in the editor arrived as HTML.
    let item = editor.get(&format!("/items/{}", ours[0]["id"])).await;
    let body = item["body_html"].as_str().unwrap();
    assert!(body.contains("<h2>一、总体要求</h2>"), "{body}");
    assert!(
        body.contains("<li>") && body.contains("排查校舍安全隐患"),
        "{body}"
    );
    // The inline image travels as a file of the item, and the body refers to it.
    let files = item["attachments"].as_array().unwrap();
    let inline = files
        .iter()
        .find(|f| f["name"] == "校门示意图.png")
        .expect("the inline image is among the item's files");
    let inline_sha = inline["sha256"].as_str().unwrap();
    assert!(
        body.contains(&format!("liaison-file:{inline_sha}")),
        "{body}"
    );
    let got = editor
        .bytes(&format!("/items/{}/files/{inline_sha}", ours[0]["id"]))
        .await
        .unwrap();
    assert_eq!(got, ONE_PIXEL_PNG);
    // And the picked file, byte for byte.
    let file = files
        .iter()
        .find(|f| f["name"] == "安全教育海报.png")
        .unwrap();
    assert_eq!(file["name"], "安全教育海报.png");
    let got = editor
        .bytes(&format!(
            "/items/{}/files/{}",
            ours[0]["id"],
            file["sha256"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert!(got == picture_bytes, "the attached picture arrived intact");
}
