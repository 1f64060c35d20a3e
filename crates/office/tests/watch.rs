//! 栏目监测: the console's page of every column of the city, its filters and the single-veto
//! banner, over a demo city whose clock the tests move.

mod common;

use chrono::Duration;
use common::office;
use reqwest::StatusCode;

/// The page as an office seat sees it, with its query.
async fn watch(o: &common::Office, login: &str, query: &str) -> (StatusCode, String) {
    let token = o.sign_in(login).await;
    watch_as(o, &token, query).await
}

/// The page in the session of `token`.
async fn watch_as(o: &common::Office, token: &str, query: &str) -> (StatusCode, String) {
    o.console_get(token, &format!("/watch{query}")).await
}

/// The columns of the rows the page shows, in order, by their `data-column`.
fn rows(html: &str) -> Vec<i64> {
    html.match_indices("data-column=\"")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The text of the single-veto row of `rule`.
fn veto_row<'a>(html: &'a str, rule: &str) -> &'a str {
    let at = html.find(&format!("data-rule=\"{rule}\"")).unwrap();
    &html[at..at + html[at..].find("</tr>").unwrap()]
}

#[tokio::test]
async fn every_column_of_the_city_is_watched_and_the_banner_names_the_columns_behind_a_threshold() {
    let o = office().await;
    let (status, html) = watch(&o, "bjb.editor", "").await;
    assert_eq!(status, StatusCode::OK);
    let all = rows(&html);
    let columns = o.state.store.all_columns().unwrap();
    let live: Vec<i64> = columns.iter().map(|c| c.id).collect();
    assert_eq!(all.len(), live.len(), "every live column once");
    assert!(all.iter().all(|id| live.contains(id)));
    assert!(html.contains("单项否决指标"), "{html}");
    // The demo city is neglected: columns overdue and empty, each threshold naming its own.
    let empty = veto_row(&html, "empty");
    assert!(empty.contains("已触及"), "{empty}");
    // Most urgent first: the first row shown is overdue.
    let first = &html[html.find("data-column=").unwrap()..];
    assert!(first[..first.find("</tr>").unwrap()].contains("已超期"));

    // The office records an update of an empty column fed from outside: it leaves the list.
    let editor = o.sign_in("bjb.editor").await;
    let filled = columns
        .iter()
        .find(|c| {
            !c.feed.accepts_items()
                && empty.contains(&format!("{}</li>", c.path.replace('/', "&#x2f;")))
        })
        .expect("an empty column fed from outside");
    let count = |row: &str| -> u32 {
        let at = row.find("<td>").unwrap() + 4;
        row[at..].split(' ').next().unwrap().parse().unwrap()
    };
    let before = count(empty);
    let (status, _) = o
        .post(
            &editor,
            &format!("/columns/{}/updates", filled.id),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, html) = watch(&o, "bjb.editor", "").await;
    let empty = veto_row(&html, "empty");
    assert_eq!(count(empty), before - 1, "{empty}");
    assert!(!empty.contains(&format!("{}</li>", filled.path.replace('/', "&#x2f;"))));

    // The home page: 13 days without an update today, close to the threshold but not over it;
    // two days on it is over.
    let home = veto_row(&html, "stale_home_page");
    assert!(
        home.contains("13 天未更新") && !home.contains("已触及"),
        "{home}"
    );
    assert!(home.contains("value=\"92\""), "{home}");
    o.clock.advance(Duration::days(2));
    let (_, html) = watch(&o, "bjb.editor", "").await;
    let home = veto_row(&html, "stale_home_page");
    assert!(
        home.contains("15 天未更新") && home.contains("已触及"),
        "{home}"
    );
}

#[tokio::test]
async fn the_filters_keep_only_what_they_name_and_a_department_seat_is_sent_away() {
    let o = office().await;
    o.clock.advance(Duration::days(60));
    let columns = o.state.store.all_columns().unwrap();
    let edu = columns
        .iter()
        .find(|c| c.path == "公共服务/招生考试")
        .unwrap()
        .department_id;
    let (_, html) = watch(&o, "bjb.admin", &format!("?department={edu}&state=overdue")).await;
    let shown = rows(&html);
    assert!(!shown.is_empty(), "{html}");
    for id in &shown {
        let c = columns.iter().find(|c| c.id == *id).unwrap();
        assert_eq!(c.department_id, edu);
    }
    assert!(
        html.matches("<span class=\"badge overdue\">").count() >= shown.len(),
        "every row shown is overdue"
    );
    // By level and by feed method.
    let (_, html) = watch(&o, "bjb.admin", "?level=first").await;
    for id in rows(&html) {
        let c = columns.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.level, liaison_domain::ColumnLevel::First);
    }
    let (_, html) = watch(&o, "bjb.admin", "?feed=scraping").await;
    for id in rows(&html) {
        let c = columns.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.feed, liaison_domain::FeedMethod::Scraping);
    }
    // A filter that matches nothing says so.
    let (status, html) = watch(&o, "bjb.admin", "?department=999999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("没有符合条件的栏目"), "{html}");

    // A department's seat has no console: it is sent to the sign-in page.
    let token = o.sign_in("jyj.officer").await;
    let (status, _) = o.console_get(&token, "/watch").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sent to the sign-in page");
}

#[tokio::test]
async fn an_editor_urges_a_column_and_a_departments_overdue_columns_and_the_history_keeps_them() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let officer = o.sign_in("jyj.officer").await;
    let columns = o.state.store.all_columns().unwrap();
    let exams = columns
        .iter()
        .find(|c| c.path == "公共服务/招生考试")
        .unwrap()
        .clone();
    let csrf = liaison_office::console::form_token(&editor);

    // One column, with the session's form token only, and a message that says something.
    let path = format!("/watch/columns/{}/urge", exams.id);
    let (status, _, _) = o
        .console_post(&editor, &path, &[("csrf", "x"), ("message", "请更新")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page, _) = o
        .console_post(
            &editor,
            &path,
            &[("csrf", &csrf), ("message", " \u{3000} ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请填写催报内容。"), "{page}");
    let (status, _, location) = o
        .console_post(
            &editor,
            &path,
            &[("csrf", &csrf), ("message", "请本周内补报招生考试信息。")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/watch#department-{}", exams.department_id).as_str())
    );
    // The department's desks hear of it.
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    let urged: Vec<&serde_json::Value> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "column_urged")
        .collect();
    assert_eq!(urged.len(), 1, "{changes}");
    assert_eq!(urged[0]["message"], "请本周内补报招生考试信息。");

    // Every overdue column of the department at once: one urge each, in the history.
    let (_, html) = watch(
        &o,
        "bjb.editor",
        &format!("?department={}", exams.department_id),
    )
    .await;
    let overdue = html.matches("<tr class=\"overdue\" data-column=").count();
    assert!(overdue >= 1, "{html}");
    let (status, _, _) = o
        .console_post(
            &editor,
            &format!("/watch/departments/{}/urge", exams.department_id),
            &[
                ("csrf", &csrf),
                ("message", "贵单位有栏目已超期，请尽快更新。"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, changes) = o.get(&officer, "/changes?since=0").await;
    let urged = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "column_urged")
        .count();
    assert_eq!(urged, 1 + overdue);
    let kept = o
        .state
        .store
        .urges(Some(exams.department_id), common::start())
        .unwrap();
    assert_eq!(kept.len(), 1 + overdue);
    let (_, me) = o.get(&editor, "/sessions/current").await;
    assert!(kept.iter().all(|u| u.urged_by == me["holder_name"]));

    // Two urges this week flag the department; its history and the column's count show them.
    let (_, html) = watch_as(&o, &editor, "").await;
    let section = &html[html
        .find(&format!("id=\"department-{}\"", exams.department_id))
        .unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains(&format!("本周已催报 {} 次 · 评比中标记", 1 + overdue)),
        "{section}"
    );
    assert!(section.contains(&format!("催报记录（{}）", 1 + overdue)));
    assert!(section.contains("请本周内补报招生考试信息。"));
    let row = &section[section
        .find(&format!("data-column=\"{}\"", exams.id))
        .unwrap()..];
    assert!(
        row[..row.find("</tr>").unwrap()].contains("已催报 2 次"),
        "{row}"
    );
    // Next week the count starts again; the history stays.
    o.clock.advance(Duration::days(7));
    let (_, html) = watch(&o, "bjb.editor", "").await;
    let section = &html[html
        .find(&format!("id=\"department-{}\"", exams.department_id))
        .unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(!section.contains("本周已催报"), "{section}");
    assert!(section.contains(&format!("催报记录（{}）", 1 + overdue)));

    // Each urge is an audit entry of the editor's.
    let admin = o.sign_in("bjb.admin").await;
    let (_, audit) = o.get(&admin, "/audit").await;
    let entries = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "column.urged" && e["actor"] == "bjb.editor")
        .count();
    assert_eq!(entries, 1 + overdue, "{audit}");
}

#[tokio::test]
async fn the_office_records_a_scraped_columns_update_with_its_address_from_the_page() {
    let o = office().await;
    let editor = o.sign_in("bjb.editor").await;
    let columns = o.state.store.all_columns().unwrap();
    let outside = columns
        .iter()
        .find(|c| c.feed.takes_recorded_updates())
        .expect("a column fed from outside")
        .clone();
    let fed = columns
        .iter()
        .find(|c| c.feed.accepts_items())
        .unwrap()
        .clone();
    let (_, html) = watch_as(&o, &editor, "").await;
    let csrf = liaison_office::console::form_token(&editor);
    // Only fed-from-outside columns offer the form.
    assert!(html.contains(&format!("/watch/columns/{}/update", outside.id)));
    assert!(!html.contains(&format!("/watch/columns/{}/update", fed.id)));

    let record = |id: i64, url: &'static str| {
        let (o, editor, csrf) = (&o, editor.clone(), csrf.clone());
        async move {
            o.console_post(
                &editor,
                &format!("/watch/columns/{id}/update"),
                &[("csrf", &csrf), ("url", url)],
            )
            .await
        }
    };
    let (status, page, _) = record(outside.id, "javascript:alert(1)").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("开头的网址。"), "{page}");
    let (status, page, _) = record(fed.id, "https://portal.example/a.html").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("内容不完整或格式不正确"), "{page}");

    let (status, _, location) =
        record(outside.id, "https://portal.example/jtj/2026/1130.html").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/watch#department-{}", outside.department_id).as_str())
    );
    let (_, html) = watch_as(&o, &editor, "").await;
    let row = &html[html
        .find(&format!("data-column=\"{}\"", outside.id))
        .unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("href=\"https:&#x2f;&#x2f;portal.example&#x2f;jtj&#x2f;2026&#x2f;1130.html\""),
        "{row}"
    );
    assert!(
        row.contains("2026年11月27日"),
        "the update is today's: {row}"
    );
    // The board the desks read counts it like an accepted item.
    let departments = o.state.store.departments().unwrap();
    let department = departments
        .iter()
        .find(|d| d.id == outside.department_id)
        .unwrap();
    let officer = o
        .seats
        .iter()
        .find(|s| s.role == liaison_domain::Role::Officer && s.department == department.name)
        .unwrap();
    let token = o.sign_in(&officer.login).await;
    let (_, board) = o.get(&token, "/board").await;
    let mine = board
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"]["id"] == outside.id)
        .unwrap();
    assert_eq!(mine["status"]["last_update"], "2026-11-27T02:00:00Z");
    // And the audit log keeps who saw it where.
    let admin = o.sign_in("bjb.admin").await;
    let (_, audit) = o.get(&admin, "/audit").await;
    assert!(audit.as_array().unwrap().iter().any(|e| {
        e["action"] == "column.update_recorded"
            && e["detail"]
                .as_str()
                .unwrap()
                .ends_with("https://portal.example/jtj/2026/1130.html")
    }));
}
