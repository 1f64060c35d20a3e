//! A city's office set up from nothing, in a real browser (headless Chromium through
//! chromedriver) and a real desk engine: `init` makes an empty office; its administrator signs in
//! to the console and imports a spreadsheet (written by rust_xlsxwriter) of three departments
//! with their columns and seats; a new officer's desk signs in with the printed one-time code and
//! its own password and finds its columns; the administrator moves a column to that department and
//! the desk sees it arrive; the administrator disables the seat and the desk says so.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

mod browser;

use std::io::Write;
use std::process::{Command, Stdio};

use browser::{ChromeDriver, css, text_when};
use liaison_desk::{Desk, DeskConfig, DeskError};
use liaison_domain::Role;
use liaison_tests::{DemoSeat, OfficeProcess, built_binary, column_names};

const ADMIN_PASSWORD: &str = "Shizhengfu-menhu-2026";

async fn click(c: &fantoccini::Client, selector: &str) {
    c.find(css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_office_set_up_from_nothing_is_imported_in_the_browser_and_a_desk_follows_it() {
    // 1. `init`: an empty office and its first administrator, the password on standard input.
    let data = tempfile::tempdir().unwrap();
    let mut init = Command::new(built_binary("liaison-office"))
        .args(["init", "--data"])
        .arg(data.path())
        .args(["--admin", "city.admin", "--name", "冯雪梅"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    init.stdin
        .take()
        .unwrap()
        .write_all(format!("{ADMIN_PASSWORD}\n").as_bytes())
        .unwrap();
    let out = init.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = DemoSeat {
        login: "city.admin".into(),
        password: ADMIN_PASSWORD.into(),
        role: Role::Admin,
        department: "门户网站编辑部".into(),
    };
    let office = OfficeProcess::serve_existing(data, vec![admin.clone()]);
    let api = office.signed_in(&admin).await;
    assert_eq!(
        api.get("/admin/organisation").await["departments"],
        serde_json::json!([])
    );

    // 2. The administrator signs in to the console and imports the spreadsheet.
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.goto(&format!("{}/sign-in", office.url)).await.unwrap();
    c.find(css("#login"))
        .await
        .unwrap()
        .send_keys(&admin.login)
        .await
        .unwrap();
    c.find(css("#password"))
        .await
        .unwrap()
        .send_keys(ADMIN_PASSWORD)
        .await
        .unwrap();
    click(&c, "button[type=submit]").await;
    text_when(&c, "h1", |t| t == "收件箱").await;

    let sheet_dir = tempfile::tempdir().unwrap();
    let sheet = sheet_dir.path().join("organisation.xlsx");
    std::fs::write(
        &sheet,
        liaison_office::orgsheet::fixture::fixture_xlsx().unwrap(),
    )
    .unwrap();
    c.goto(&format!("{}/organisation/import", office.url))
        .await
        .unwrap();
    c.find(css("#sheet"))
        .await
        .unwrap()
        .send_keys(&sheet.display().to_string())
        .await
        .unwrap();
    click(&c, "#import-upload button[type=submit]").await;
    let preview = text_when(&c, "#import-changes", |t| t.contains("市文化广电旅游局")).await;
    assert!(
        preview.contains("市教育局") && preview.contains("市卫生健康委"),
        "{preview}"
    );
    assert_eq!(
        api.get("/admin/organisation").await["departments"],
        serde_json::json!([]),
        "the preview changed nothing"
    );
    click(&c, "#import-confirm button[type=submit]").await;
    text_when(&c, "#seat-codes", |t| t.contains(".officer")).await;
    let mut codes = Vec::new();
    for row in c.find_all(css("#seat-codes tbody tr")).await.unwrap() {
        let login = row.attr("data-login").await.unwrap().unwrap();
        let code = row
            .find(css("td.code"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        codes.push((login, code));
    }
    assert_eq!(
        codes.len(),
        6,
        "three departments, an officer and a responsible each"
    );
    let org = api.get("/admin/organisation").await;
    let department = |name: &str| {
        org["departments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let culture = department("市文化广电旅游局");
    let culture_officer = org["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["department_id"] == culture && s["role"] == "officer")
        .unwrap()
        .clone();
    let login = culture_officer["login"].as_str().unwrap().to_owned();
    let code = &codes.iter().find(|(l, _)| *l == login).unwrap().1;

    // 3. The officer's desk signs in with the code and its own password: its columns are there.
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.path().to_path_buf(),
        keyring_service: format!("liaison-test-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    desk.redeem_handover(&office.url, &login, code, "Wenlvju-xinxiyuan-2026")
        .await
        .unwrap();
    let mut expected: Vec<String> = org["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["department_id"] == culture)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(column_names(&desk), expected);

    // 4. The administrator moves the education bureau's news column to this department.
    let moved = org["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["department_id"] == department("市教育局") && c["name"] == "教育动态")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    c.goto(&format!("{}/organisation", office.url))
        .await
        .unwrap();
    c.find(css(&format!("#move-{moved}-to")))
        .await
        .unwrap()
        .select_by_value(&culture.to_string())
        .await
        .unwrap();
    click(&c, &format!("#move-{moved} button[value=move]")).await;
    text_when(&c, "h1", |t| t.starts_with("组织机构")).await;
    desk.sync_once(1).await.unwrap();
    assert!(
        column_names(&desk).contains(&"教育动态".to_owned()),
        "{:?}",
        column_names(&desk)
    );

    // 5. The administrator disables the seat: the desk is told, in its own code.
    click(
        &c,
        &format!("tr[data-seat='{login}'] button[value=disable]"),
    )
    .await;
    text_when(&c, &format!("tr[data-seat='{login}']"), |t| {
        t.contains("已停用")
    })
    .await;
    let refused = desk.sync_once(1).await.unwrap_err();
    assert!(matches!(refused, DeskError::SeatDisabled(_)), "{refused:?}");
    assert_eq!(refused.code(), liaison_desk::DeskErrorCode::SeatDisabled);
    c.close().await.unwrap();
}
