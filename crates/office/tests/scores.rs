//! Scores and ranking (评比): a closed month keeps its scores whatever the scheme or the
//! organisation does after (a property over real SQLite stores of the demo city); the ranking
//! page, its breakdown, its CSV and .xlsx exports and a department's own standing all give the
//! same numbers; a scheme is published as a new version, and a bad one is refused.

mod common;

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Duration, Utc};
use common::office;
use liaison_domain::Role;
use liaison_domain::score::{MAX_POINTS, RankPeriod, Scheme};
use liaison_office::service::organisation::{AdminChange, administer};
use liaison_office::service::scores::{Ranking, publish, ranking};
use liaison_office::store::Actor;
use liaison_office::{SqliteStore, Store};
use proptest::prelude::*;
use reqwest::StatusCode;

fn november() -> RankPeriod {
    RankPeriod::Month {
        year: 2026,
        month: 11,
    }
}

/// 2026-12-03, 10:00 in Beijing: November has closed, December is open.
fn after_november() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T10:00:00+08:00")
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo city seeded once; each case works on its own copy of the database.
fn seeded_city() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = liaison_office::open_store(dir.path()).unwrap();
        liaison_office::demo::seed(store.as_ref(), common::start()).unwrap();
        drop(store);
        dir
    })
    .path()
}

fn copy_of_city() -> (tempfile::TempDir, std::sync::Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(seeded_city()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    let store = liaison_office::open_store(dir.path()).unwrap();
    (dir, store)
}

/// A change made after November closed.
#[derive(Debug, Clone)]
enum Later {
    /// A column (by index among the live ones) to a department (by index).
    MoveColumn(usize, usize),
    RetireColumn(usize),
    /// A column's rule made stricter: due every working day.
    TightenColumn(usize),
    /// A department's columns moved to another, then the department retired.
    RetireDepartment(usize),
    RenameDepartment(usize),
    Publish(Scheme),
}

fn schemes() -> impl Strategy<Value = Scheme> {
    let p = -MAX_POINTS..=MAX_POINTS;
    (
        p.clone(),
        p.clone(),
        p.clone(),
        p.clone(),
        p.clone(),
        p,
        1u32..=5,
    )
        .prop_map(|(a, b, c, d, e, f, flag)| Scheme {
            accepted_item: a,
            accepted_first_level: b,
            commission_in_time: c,
            commission_missed: d,
            overdue_column_day: e,
            flagged_week: f,
            urges_flagging_a_week: flag,
        })
}

fn later() -> impl Strategy<Value = Later> {
    prop_oneof![
        (0usize..64, 0usize..16).prop_map(|(c, d)| Later::MoveColumn(c, d)),
        (0usize..64).prop_map(Later::RetireColumn),
        (0usize..64).prop_map(Later::TightenColumn),
        (0usize..16).prop_map(Later::RetireDepartment),
        (0usize..16).prop_map(Later::RenameDepartment),
        schemes().prop_map(Later::Publish),
    ]
}

/// Applies one change as the administrator; a change the organisation refuses (a scheme out
/// of range, say) is simply not made.
fn apply(store: &dyn Store, change: &Later, now: DateTime<Utc>, n: usize) {
    let admin = store
        .seats()
        .unwrap()
        .into_iter()
        .find(|s| s.role == Role::Admin)
        .unwrap();
    let by = Actor {
        seat: &admin,
        address: "127.0.0.1",
    };
    let departments = store.departments().unwrap();
    let columns: Vec<_> = store
        .all_columns()
        .unwrap()
        .into_iter()
        .filter(|c| departments.iter().any(|d| d.id == c.department_id))
        .collect();
    let column = |i: usize| &columns[i % columns.len()];
    let department = |i: usize| &departments[i % departments.len()];
    let admin_change = |change: AdminChange| {
        let _ = administer(store, &change, &by, now);
    };
    match change {
        Later::MoveColumn(c, d) => admin_change(AdminChange::MoveColumn {
            id: column(*c).id,
            department_id: department(*d).id,
        }),
        Later::RetireColumn(c) => admin_change(AdminChange::RetireColumn { id: column(*c).id }),
        Later::TightenColumn(c) => {
            let col = column(*c);
            admin_change(AdminChange::UpdateColumn {
                id: col.id,
                fields: liaison_office::service::organisation::ColumnInput {
                    name: col.name.clone(),
                    path: col.path.clone(),
                    feed: col.feed,
                    duty: liaison_domain::DutyRule::MaxGap {
                        amount: 1,
                        unit: liaison_domain::GapUnit::WorkingDays,
                    },
                    level: col.level,
                },
            })
        }
        Later::RetireDepartment(d) => {
            let leaving = department(*d).id;
            let Some(staying) = departments.iter().find(|x| x.id != leaving) else {
                return;
            };
            for col in columns.iter().filter(|c| c.department_id == leaving) {
                admin_change(AdminChange::MoveColumn {
                    id: col.id,
                    department_id: staying.id,
                });
            }
            admin_change(AdminChange::RetireDepartment { id: leaving });
        }
        Later::RenameDepartment(d) => admin_change(AdminChange::RenameDepartment {
            id: department(*d).id,
            name: format!("改名后的部门{n}"),
        }),
        Later::Publish(scheme) => {
            let _ = publish(store, *scheme, &by, now);
        }
    }
}

fn closed_rankings(store: &dyn Store, now: DateTime<Utc>) -> Vec<Ranking> {
    let october = RankPeriod::Month {
        year: 2026,
        month: 10,
    };
    [october, november()]
        .into_iter()
        .map(|p| ranking(store, p, now).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Whatever the scheme and the organisation do after a month closed, its ranking stays as
    /// it was, whether someone read it before the changes or not.
    #[test]
    fn a_closed_months_scores_never_change_when_the_scheme_or_the_organisation_changes_later(
        changes in prop::collection::vec(later(), 1..6),
        read_first in any::<bool>(),
    ) {
        let now = after_november();
        let (_untouched_dir, untouched) = copy_of_city();
        let expected = closed_rankings(untouched.as_ref(), now);
        prop_assert!(
            expected[1].rows.iter().any(|r| r.breakdown.total != 0),
            "the demo city's November scores something"
        );
        let (_dir, store) = copy_of_city();
        if read_first {
            prop_assert_eq!(&closed_rankings(store.as_ref(), now), &expected);
        }
        for (n, change) in changes.iter().enumerate() {
            let at = now + Duration::hours(n as i64 + 1);
            apply(store.as_ref(), change, at, n);
            prop_assert_eq!(&closed_rankings(store.as_ref(), at), &expected, "after {:?}", change);
        }
    }
}

/// The rows of the ranking page's table: (department id, place, counts, total).
fn table_rows(page: &str) -> Vec<(i64, u32, Vec<u32>, i64)> {
    page.split("<tr data-department-id=\"")
        .skip(1)
        .map(|chunk| {
            let row = &chunk[..chunk.find("</tr>").unwrap()];
            let id = row[..row.find('"').unwrap()].parse().unwrap();
            let cell = |class: &str| -> Vec<String> {
                row.split(&format!("<td class=\"{class}\">"))
                    .skip(1)
                    .map(|c| {
                        c[..c.find("</td>").unwrap()]
                            .replace("<strong>", "")
                            .replace("</strong>", "")
                    })
                    .collect()
            };
            (
                id,
                cell("place")[0].parse().unwrap(),
                cell("count").iter().map(|c| c.parse().unwrap()).collect(),
                cell("total")[0].parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_ranking_page_its_breakdown_its_exports_and_a_departments_standing_agree() {
    let o = office().await;
    o.clock.advance(after_november() - common::start());
    let editor = o.sign_in("bjb.editor").await;

    let (status, page) = o.console_get(&editor, "/ranking?period=2026-11").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("2026年11月") && page.contains("已结束，分数不再变化"));
    assert!(
        page.contains("<svg") && page.contains("role=\"img\""),
        "a chart drawn on the server"
    );
    let rows = table_rows(&page);
    assert!(
        rows.len() >= 3,
        "the demo city ranks its departments: {rows:?}"
    );
    assert!(
        rows.windows(2).all(|w| w[0].3 >= w[1].3),
        "highest total first"
    );
    assert_eq!(rows[0].1, 1);
    // Every bar of the chart carries its department's total, as the table does.
    for (_, _, _, total) in &rows {
        assert!(page.contains(&format!("data-total=\"{total}\"")));
    }

    // The CSV: the same rows and numbers, after a byte-order mark and a header.
    let r = o
        .console_request(
            reqwest::Method::GET,
            &editor,
            "/ranking/export.csv?period=2026-11",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ranking-2026-11.csv")
    );
    let csv = r.text().await.unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(lines[0][0], "名次");
    assert_eq!(lines.len() - 1, rows.len());
    for (line, (_, place, counts, total)) in lines[1..].iter().zip(&rows) {
        assert_eq!(line[0].parse::<u32>().unwrap(), *place);
        let numbers: Vec<u32> = line[2..line.len() - 1]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(&numbers, counts);
        assert_eq!(line[line.len() - 1].parse::<i64>().unwrap(), *total);
    }

    // The workbook: the same numbers again, as numbers.
    let r = o
        .console_request(
            reqwest::Method::GET,
            &editor,
            "/ranking/export.xlsx?period=2026-11",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("2026-11").unwrap();
    let cells: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let header = cells
        .iter()
        .position(|r| r.first() == Some(&Data::String("名次".into())))
        .unwrap();
    for (i, (_, place, counts, total)) in rows.iter().enumerate() {
        let row = &cells[header + 1 + i];
        assert_eq!(row[0], Data::Float(f64::from(*place)));
        for (j, count) in counts.iter().enumerate() {
            assert_eq!(row[2 + j], Data::Float(f64::from(*count)));
        }
        assert_eq!(row[2 + counts.len()], Data::Float(*total as f64));
    }

    // One department's breakdown adds up to its total, and its desk sees the same standing.
    let officer = o.sign_in("jyj.officer").await;
    let (_, me) = o.get(&officer, "/sessions/current").await;
    let id = me["department"]["id"].as_i64().unwrap();
    let (_, place, _, total) = rows.iter().find(|r| r.0 == id).unwrap().clone();
    let (status, breakdown) = o
        .console_get(
            &editor,
            &format!("/ranking/departments/{id}?period=2026-11"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(breakdown.contains(&format!("第 {place} 名（共 {} 个部门）", rows.len())));
    assert!(breakdown.contains(&format!(
        "<td id=\"breakdown-total\"><strong>{total}</strong>"
    )));

    let (status, standing) = o.get(&officer, "/standing").await;
    assert_eq!(status, StatusCode::OK, "{standing}");
    let periods = standing.as_array().unwrap();
    assert_eq!(periods.len(), 4, "last month, this month, quarter, year");
    let nov = &periods[0];
    assert_eq!(nov["period"]["kind"], "month");
    assert_eq!(nov["period"]["month"], 11);
    assert_eq!(nov["closed"], true);
    assert_eq!(nov["place"], place);
    assert_eq!(nov["total"], total);
    assert_eq!(nov["ranked"], rows.len());
    assert_eq!(periods[1]["closed"], false, "December is open");
    let (status, _) = o.get(&editor, "/standing").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the office reads the ranking pages"
    );

    // A period that does not exist is refused in words.
    let (status, refused) = o.console_get(&editor, "/ranking?period=2026-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("评比周期写法不对"));
}

#[tokio::test]
async fn a_scheme_is_published_as_a_new_version_for_open_periods_and_a_bad_one_is_refused() {
    let o = office().await;
    o.clock.advance(after_november() - common::start());
    let admin = o.sign_in("bjb.admin").await;
    let csrf = liaison_office::console::form_token(&admin);
    let form = |points: [&'static str; 6], flag: &'static str| {
        let names = [
            "accepted_item",
            "accepted_first_level",
            "commission_in_time",
            "commission_missed",
            "overdue_column_day",
            "flagged_week",
        ];
        let mut f: Vec<(&str, &str)> = names.into_iter().zip(points).collect();
        f.push(("urges_flagging_a_week", flag));
        f
    };
    let with_csrf = |mut f: Vec<(&'static str, &'static str)>, csrf: &'static str| {
        f.push(("csrf", csrf));
        f
    };
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    for (points, flag, words) in [
        (["0"; 6], "2", "至少要有一项不为 0"),
        (
            ["1", "2", "5", "-101", "-1", "-5"],
            "2",
            "须在 -100 到 100 之间",
        ),
        (["1", "2", "5", "-10", "-1", "-5"], "0", "须在 1 到 20 之间"),
        (["1", "2", "五", "-10", "-1", "-5"], "2", "都要填整数"),
    ] {
        let (status, page, _) = o
            .console_post(
                &admin,
                "/ranking/scheme",
                &with_csrf(form(points, flag), csrf),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{points:?}");
        assert!(page.contains(words), "{points:?}: {page}");
    }
    let (_, page) = o.console_get(&admin, "/ranking/scheme").await;
    assert!(
        page.contains("还没有发布过评分方案"),
        "nothing refused was kept"
    );

    let (before_status, before) = o.console_get(&admin, "/ranking?period=2026-11").await;
    assert_eq!(before_status, StatusCode::OK);
    let (status, _, to) = o
        .console_post(
            &admin,
            "/ranking/scheme",
            &with_csrf(form(["2", "4", "8", "-20", "-2", "-10"], "3"), csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/ranking/scheme"));
    let (_, page) = o.console_get(&admin, "/ranking/scheme").await;
    assert!(page.contains("data-version=\"1\""));

    // November had closed: it keeps the default scheme and its numbers. December takes v1.
    let (_, after) = o.console_get(&admin, "/ranking?period=2026-11").await;
    assert_eq!(table_rows(&after), table_rows(&before));
    assert!(after.contains("默认评分方案"));
    let (_, december) = o.console_get(&admin, "/ranking?period=2026-12").await;
    assert!(december.contains("评分方案第 1 版"));

    // The publication is an audit entry.
    let (_, audit) = o.get(&admin, "/audit").await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "scores.scheme_published" && e["subject"] == "scheme:1"),
        "{audit}"
    );

    // An editor may read the versions but not publish.
    let editor = o.sign_in("bjb.editor").await;
    let editor_csrf: &'static str =
        Box::leak(liaison_office::console::form_token(&editor).into_boxed_str());
    let (status, _, _) = o
        .console_post(
            &editor,
            "/ranking/scheme",
            &with_csrf(form(["1", "2", "5", "-10", "-1", "-5"], "2"), editor_csrf),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = o.console_get(&editor, "/ranking/scheme").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("id=\"publish-scheme\""),
        "no form for an editor"
    );
}
