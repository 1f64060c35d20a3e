//! The office console in a real browser: Debian's Chromium, headless, driven by chromedriver.
//! An editor signs in, filters the inbox, opens an item and returns it with a comment; the
//! officer's desk engine then shows the comment. A stored XSS attempt in the body stays inert.
//! The column watch shows the single-veto banner, and an urge sent from it reaches the desk. A
//! commission is posted from its form; the ranking shows its chart and table, and the .xlsx the
//! browser downloads holds the same numbers.

mod browser;

use browser::{ChromeDriver, css, downloaded, sign_in, text_of, text_when};
use fantoccini::Locator;
use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_tests::{OfficeProcess, workspace_root};
use serde_json::json;

/// A 1x1 PNG.
const PIXEL: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[tokio::test]
async fn an_editor_filters_opens_and_returns_an_item_and_the_desk_shows_the_comment() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let officer = office.seat("officer", Some("市教育局"));
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.path().join("desk"),
        keyring_service: format!("liaison-console-test-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    let column = liaison_tests::submission_column(&desk);

    // An item whose body tries to run script three ways, with an inline image and a file.
    let draft = desk.create_draft(Some(column)).unwrap();
    let image = desk
        .attach_bytes(&draft.id, "操场.png", PIXEL.to_vec())
        .await
        .unwrap()
        .attachments[0]
        .sha256
        .clone();
    desk.attach_bytes(
        &draft.id,
        "检查表.pdf",
        b"%PDF-1.4\n%table\n%%EOF\n".to_vec(),
    )
    .await
    .unwrap();
    let body = format!(
        r#"<h2>检查安排</h2><p>第一段：各校自查。</p><p><img src="liaison-file:{image}" alt="操场"></p>
<img src=x alt="x" onerror="document.title='XSS-onerror'"><script>document.title='XSS-script'</script>
<p><a href="javascript:document.title='XSS-link'" id="bad">点此查看</a></p>"#
    );
    let title = "关于开展冬季校园安全检查的通知";
    desk.save_draft(&draft.id, Some(column), title, &body)
        .unwrap();
    desk.send_draft(&draft.id).unwrap();
    // And an item of another department, which the filter must hide.
    let health = office
        .signed_in(office.seat("officer", Some("市卫生健康委")))
        .await;
    let health_column = health.get("/columns").await[0]["id"].clone();
    let (status, _) = health
        .post_keyed(
            "/items",
            "console-health",
            json!({"draft_key": "console-health", "version": 1, "column_id": health_column,
                   "title": "冬季流感防控提示", "body_html": "<p>注意防护</p>"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(desk.sync_once(0).await.unwrap().sent, 1);
    assert_eq!(office.sign_off("市教育局").await.len(), 1);
    assert_eq!(office.sign_off("市卫生健康委").await.len(), 1);

    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;

    // Signing in: a wrong password is told in Chinese; a department's seat is sent to its desk.
    c.goto(&format!("{}/", office.url)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));
    let editor = office.seat("editor", None);
    sign_in(&c, &editor.login, "错误的密码").await;
    text_when(&c, ".error", |t| t == "账号或密码不正确。").await;
    sign_in(&c, &officer.login, &officer.password).await;
    text_when(&c, ".error", |t| t.contains("桌面端")).await;
    sign_in(&c, &editor.login, &editor.password).await;
    text_when(&c, "h1", |t| t == "收件箱").await;

    // Both items wait; filtering by department leaves ours.
    let listed = text_of(&c, "table.inbox").await;
    assert!(
        listed.contains(title) && listed.contains("冬季流感防控提示"),
        "{listed}"
    );
    c.find(css("#filter-department option")).await.unwrap();
    c.execute(
        "const s = document.querySelector('#filter-department');
         s.value = [...s.options].find(o => o.text === '市教育局').value;",
        vec![],
    )
    .await
    .unwrap();
    c.find(css("#filter-apply"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The filtered page replaces the list (waited for: the click returns before it loads).
    let filtered = text_when(&c, "table.inbox", |t| !t.contains("冬季流感防控提示")).await;
    assert!(filtered.contains(title), "{filtered}");
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or("").contains("department_id="),
        "{url}"
    );
    let tab = text_of(&c, ".tabs a[aria-current=page]").await;
    assert!(tab.starts_with("待审"), "{tab}");

    // The item page: the body shown, the attempts inert.
    c.find(Locator::LinkText(title))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_when(&c, "#item-title", |t| t == title).await;
    let shown = c
        .execute(
            "const b = document.querySelector('#item-body');
             const img = b.querySelector('img[alt=操场]');
             return {
               html: b.innerHTML,
               scripts: b.querySelectorAll('script').length,
               handlers: [...b.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
               link: (b.querySelector('#bad, a') || {}).getAttribute ? b.querySelector('a').getAttribute('href') : null,
               imageWidth: img ? img.naturalWidth : -1,
               title: document.title,
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown["scripts"], 0, "{shown}");
    assert_eq!(shown["handlers"], 0, "{shown}");
    assert!(
        !shown["html"].as_str().unwrap().contains("javascript:"),
        "{shown}"
    );
    assert!(shown["link"].is_null(), "{shown}");
    assert_eq!(
        shown["imageWidth"], 1,
        "the inline image is served from the item: {shown}"
    );
    // Clicking what was a script link does nothing either.
    c.find(Locator::LinkText("点此查看"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page_title = c.title().await.unwrap();
    assert!(!page_title.contains("XSS"), "{page_title}");
    assert!(page_title.starts_with(title), "{page_title}");
    let files = text_of(&c, ".files").await;
    assert!(
        files.contains("检查表.pdf") && files.contains("操场.png"),
        "{files}"
    );
    // The download carries its name, with the session of the browser.
    let session = c.get_named_cookie("liaison_console").await.unwrap();
    let href = c
        .find(Locator::LinkText("检查表.pdf"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let download = reqwest::Client::new()
        .get(format!("{}{href}", office.url))
        .header("Cookie", format!("liaison_console={}", session.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("%E6%A3%80%E6%9F%A5%E8%A1%A8.pdf"),
        "{disposition}"
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4\n%table\n%%EOF\n"
    );

    // Returned with a comment quoting the passage.
    c.find(css("#return-comment"))
        .await
        .unwrap()
        .send_keys("请补充检查时间和责任人")
        .await
        .unwrap();
    c.find(css("#return-quote"))
        .await
        .unwrap()
        .send_keys("第一段：各校自查。")
        .await
        .unwrap();
    std::fs::create_dir_all(workspace_root().join("docs")).unwrap();
    c.find(css("#return")).await.unwrap().click().await.unwrap();
    text_when(&c, "#item-state", |t| t == "已退回").await;
    let timeline = text_of(&c, "#timeline").await;
    assert!(timeline.contains("请补充检查时间和责任人"), "{timeline}");
    assert!(
        timeline.contains("部门已签发") && timeline.contains("李建国"),
        "{timeline}"
    );
    let png = c.screenshot().await.unwrap();
    std::fs::write(workspace_root().join("docs/console-item.png"), png).unwrap();

    // A form posted without the session's token is refused and changes nothing.
    let forged = reqwest::Client::new()
        .post(format!(
            "{}{}",
            office.url,
            href.split("/files/").next().unwrap().to_owned() + "/comment"
        ))
        .header("Cookie", format!("liaison_console={}", session.value()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("csrf=guess&text=%E4%BC%AA%E9%80%A0%E7%9A%84%E7%95%99%E8%A8%80")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // The officer's desk shows the comment.
    desk.sync_once(0).await.unwrap();
    let returned = desk.draft(&draft.id).unwrap();
    assert_eq!(returned.state, ItemState::Returned);
    assert_eq!(
        returned.review_comment.as_deref(),
        Some("请补充检查时间和责任人")
    );
    let last = desk.timeline(&draft.id).unwrap().versions[0]
        .entries
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        (
            last.kind.as_str(),
            last.actor.as_str(),
            last.quote.as_deref()
        ),
        ("returned", "钱晓东", Some("第一段：各校自查。"))
    );
    assert!(
        !desk.timeline(&draft.id).unwrap().versions[0]
            .entries
            .iter()
            .any(|e| e.text.as_deref() == Some("伪造的留言"))
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_column_watch_shows_the_single_veto_banner_and_an_urge_reaches_the_desk() {
    let office = OfficeProcess::start_demo();
    let dir = tempfile::tempdir().unwrap();
    let officer = office.seat("officer", Some("市教育局"));
    let desk = Desk::open(&DeskConfig {
        data_dir: dir.path().join("desk"),
        keyring_service: format!("liaison-console-test-{}", uuid::Uuid::new_v4()),
    })
    .unwrap();
    desk.sign_in(&office.url, &officer.login, &officer.password)
        .await
        .unwrap();
    desk.sync_once(0).await.unwrap();

    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.goto(&format!("{}/sign-in", office.url)).await.unwrap();
    let editor = office.seat("editor", None);
    sign_in(&c, &editor.login, &editor.password).await;
    text_when(&c, "h1", |t| t == "收件箱").await;
    c.goto(&format!("{}/watch", office.url)).await.unwrap();
    text_when(&c, "h1", |t| t == "栏目监测").await;
    // The demo city is seeded neglected: a threshold is reached, and the banner says so.
    let banner = text_of(&c, "#veto").await;
    assert!(banner.contains("已触及单项否决指标"), "{banner}");
    assert!(
        banner.contains("空白栏目") && banner.contains("市教育局"),
        "{banner}"
    );

    // The editor urges 市教育局's 招生考试 from its row, with a message of their own.
    let row = "//section[contains(@class, 'department')]//tr[th[contains(., '公共服务/招生考试')]]";
    let message = c
        .find(Locator::XPath(&format!("{row}//input[@name='message']")))
        .await
        .unwrap();
    assert_eq!(
        message.prop("value").await.unwrap().as_deref(),
        Some("请尽快更新「招生考试」栏目。")
    );
    message.clear().await.unwrap();
    message
        .send_keys("请于本周五前补报招生考试信息。")
        .await
        .unwrap();
    c.find(Locator::XPath(&format!("{row}//button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Back on the page: the department's history holds the urge (the demo city had none).
    let kept = text_when(&c, "details.urges summary", |t| t.contains("催报记录")).await;
    assert_eq!(kept, "催报记录（1）");
    let history = c
        .find(Locator::XPath(&format!(
            "{row}//p[contains(@class, 'urged')]"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(history.starts_with("已催报 1 次"), "{history}");
    std::fs::create_dir_all(workspace_root().join("docs")).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(workspace_root().join("docs/console-watch-urged.png"), png).unwrap();
    c.goto(&format!("{}/watch", office.url)).await.unwrap();
    text_when(&c, "h1", |t| t == "栏目监测").await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(workspace_root().join("docs/console-watch.png"), png).unwrap();

    // The department's desk turns the urge into a notice.
    desk.sync_once(0).await.unwrap();
    let notices = desk.notices().unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.facts.message.as_deref() == Some("请于本周五前补报招生考试信息。")),
        "{notices:?}"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_commission_is_posted_and_the_ranking_chart_table_and_xlsx_download_agree() {
    let office = OfficeProcess::start_demo();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.goto(&format!("{}/sign-in", office.url)).await.unwrap();
    let editor = office.seat("editor", None);
    sign_in(&c, &editor.login, &editor.password).await;
    text_when(&c, "h1", |t| t == "收件箱").await;

    // A commission to 市教育局, by a date, from the form.
    c.goto(&format!("{}/commissions", office.url))
        .await
        .unwrap();
    text_when(&c, "h1", |t| t == "约稿").await;
    c.find(css("#topic"))
        .await
        .unwrap()
        .send_keys("年终工作总结专题")
        .await
        .unwrap();
    c.find(Locator::XPath(
        "//fieldset//label[contains(., '市教育局')]/input[@name='departments']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.find(css("#post-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_when(&c, "h1", |t| t.contains("年终工作总结专题")).await;
    let targets = text_of(&c, "main").await;
    assert!(
        targets.contains("市教育局") && targets.contains("待答复"),
        "{targets}"
    );

    // The ranking of the month before: a chart drawn by the office, and a table beside it.
    c.goto(&format!("{}/ranking", office.url)).await.unwrap();
    text_when(&c, "h1", |t| t.starts_with("评比排名")).await;
    let chart = c.find(css("#ranking-chart")).await.unwrap();
    assert!(chart.is_displayed().await.unwrap());
    let bars = c.find_all(css("#ranking-chart .bar-row")).await.unwrap();
    let rows = c.find_all(css("#ranking-table tbody tr")).await.unwrap();
    assert!(rows.len() >= 3 && bars.len() == rows.len());
    let mut table: Vec<Vec<String>> = Vec::new();
    for row in &rows {
        let mut cells = Vec::new();
        for cell in row.find_all(css("td, th")).await.unwrap() {
            cells.push(cell.text().await.unwrap());
        }
        table.push(cells);
    }
    std::fs::create_dir_all(workspace_root().join("docs")).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(workspace_root().join("docs/console-ranking.png"), png).unwrap();

    // The workbook the browser downloads gives the same places, departments and numbers.
    c.find(css("#export-xlsx"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let path = downloaded(profile.path(), "xlsx");
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheet_name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&sheet_name).unwrap();
    let cells: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let header = cells
        .iter()
        .position(|r| r.first() == Some(&Data::String("名次".into())))
        .expect("a header row");
    assert_eq!(cells.len() - header - 1, table.len());
    for (i, page_row) in table.iter().enumerate() {
        let sheet_row: Vec<String> = cells[header + 1 + i]
            .iter()
            .map(|d| match d {
                Data::Float(f) => format!("{f}"),
                Data::Int(n) => n.to_string(),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(&sheet_row, page_row, "row {i}");
    }
    c.close().await.unwrap();
}
