//! The inbox's pages and counts over a year of items, on the store the suite runs on (SQLite, or
//! PostgreSQL under `make test-postgres`): every filter's pages, read either way the store may
//! choose, list exactly the matching items in waiting order, and the counts the database keeps
//! equal the items, after items were sent, signed off and decided.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use liaison_domain::ItemState;
use liaison_domain::calendar::beijing_midnight;
use liaison_domain::wire::InboxItem;
use liaison_office::Store;
use liaison_office::store::inbox::PagePlan;
use liaison_office::store::{Actor, InboxFilter, Review};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{item, office};

/// Every item of the inbox, as one unfiltered page lists them.
fn everything(store: &dyn Store) -> Vec<InboxItem> {
    store
        .inbox(&InboxFilter {
            limit: u32::MAX,
            ..InboxFilter::default()
        })
        .unwrap()
}

/// What `filter` should list, from the whole inbox: its items in waiting order.
fn expected(all: &[InboxItem], filter: &InboxFilter) -> Vec<i64> {
    all.iter()
        .filter(|i| filter.state.is_none_or(|s| s == i.state))
        .filter(|i| filter.department_id.is_none_or(|d| d == i.department.id))
        .filter(|i| filter.column_id.is_none_or(|c| c == i.column_id))
        .filter(|i| filter.from.is_none_or(|f| i.delivered_at >= f))
        .filter(|i| filter.until.is_none_or(|u| i.delivered_at < u))
        .map(|i| i.id)
        .collect()
}

fn counted(all: &[InboxItem], filter: &InboxFilter) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    let any_state = InboxFilter {
        state: None,
        ..filter.clone()
    };
    let ids = expected(all, &any_state);
    for i in all.iter().filter(|i| ids.contains(&i.id)) {
        *counts.entry(i.state.as_str()).or_default() += 1;
    }
    counts
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    beijing_midnight(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// The filters an editor asks: each state, department and column alone and with dates (a
/// month, a week, a day, a month with nothing in it, from a day on, until a day), and dates
/// between midnights, which the kept counts cannot answer.
fn filters(all: &[InboxItem]) -> Vec<InboxFilter> {
    let mut departments: Vec<i64> = all.iter().map(|i| i.department.id).collect();
    departments.sort_unstable();
    departments.dedup();
    let mut columns: Vec<i64> = all.iter().map(|i| i.column_id).collect();
    columns.sort_unstable();
    columns.dedup();
    let dates = [
        (None, None),
        (Some(day(2026, 6, 1)), Some(day(2026, 7, 1))),
        (Some(day(2026, 3, 2)), Some(day(2026, 3, 9))),
        (Some(day(2026, 9, 15)), Some(day(2026, 9, 16))),
        (Some(day(2025, 6, 1)), Some(day(2025, 7, 1))),
        (Some(day(2026, 10, 1)), None),
        (None, Some(day(2026, 2, 1))),
        (
            Some(day(2026, 5, 1) + Duration::hours(7)),
            Some(day(2026, 6, 1) - Duration::minutes(1)),
        ),
    ];
    let mut out = Vec::new();
    for (from, until) in dates {
        let states = [
            None,
            Some(ItemState::Delivered),
            Some(ItemState::Accepted),
            Some(ItemState::Returned),
            Some(ItemState::Rejected),
        ];
        for state in states {
            let base = InboxFilter {
                state,
                from,
                until,
                ..InboxFilter::default()
            };
            out.push(base.clone());
            for &d in &departments {
                out.push(InboxFilter {
                    department_id: Some(d),
                    ..base.clone()
                });
            }
            if state.is_none() {
                for &c in &columns {
                    out.push(InboxFilter {
                        column_id: Some(c),
                        ..base.clone()
                    });
                }
            }
        }
    }
    out
}

/// Checks every filter's counts and pages against the whole inbox; returns how many pages each
/// plan would read.
fn check(store: &dyn Store) -> BTreeMap<&'static str, usize> {
    let all = everything(store);
    assert!(
        all.windows(2)
            .all(|w| (w[0].waiting_since, w[0].id) < (w[1].waiting_since, w[1].id)),
        "the whole inbox in waiting order"
    );
    let mut plans = BTreeMap::new();
    for filter in filters(&all) {
        let counts: BTreeMap<&'static str, u64> = store
            .inbox_counts(&filter)
            .unwrap()
            .into_iter()
            .map(|c| (c.state.as_str(), c.count))
            .collect();
        assert_eq!(counts, counted(&all, &filter), "counts of {filter:?}");

        let want = expected(&all, &filter);
        let matching = want.len() as u64;
        for (limit, offset) in [(7, 0), (7, 7), (20, 40), (50, 0), (5, want.len() as u32)] {
            let page = InboxFilter {
                limit,
                offset,
                ..filter.clone()
            };
            let plan = match PagePlan::of(&page, Some(matching)) {
                _ if page.until.is_none() => "walk, undated",
                PagePlan::Walk => "walk",
                PagePlan::Range => "range",
            };
            *plans.entry(plan).or_default() += 1;
            let got: Vec<i64> = store.inbox(&page).unwrap().iter().map(|i| i.id).collect();
            let end = (offset as usize + limit as usize).min(want.len());
            let start = (offset as usize).min(end);
            assert_eq!(got, want[start..end], "{page:?}");
        }
    }
    plans
}

#[tokio::test]
async fn every_filters_pages_and_counts_match_the_items_however_the_page_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::test_store(dir.path()).await;
    let now = common::start();
    liaison_office::demo::seed(store.as_ref(), now).unwrap();
    let checked = tokio::task::spawn_blocking(move || {
        let sent =
            liaison_office::seed::send_items(store.as_ref(), now, 700, 300, 17, |_| {}).unwrap();
        assert_eq!(sent, 700);
        let plans = check(store.as_ref());
        assert!(plans["range"] > 50, "{plans:?}");
        assert!(plans["walk"] > 50, "{plans:?}");

        // Editors decide what waits; the counts follow.
        let editor = store.seat_credentials("bjb.editor").unwrap().unwrap().seat;
        let waiting = store
            .inbox(&InboxFilter {
                state: Some(ItemState::Delivered),
                limit: 30,
                ..InboxFilter::default()
            })
            .unwrap();
        assert_eq!(waiting.len(), 30);
        for (n, item) in waiting.iter().enumerate() {
            let review = match n % 3 {
                0 => Review::Reject {
                    reason: "与栏目定位不符。".into(),
                },
                1 => Review::Return {
                    comment: "请补充。".into(),
                    quote: None,
                },
                _ => Review::Accept {
                    published_url: format!("https://portal.example/{}.html", item.id),
                    published_at: now,
                },
            };
            let by = Actor {
                seat: &editor,
                address: "test",
            };
            liaison_office::service::items::review(store.as_ref(), item.id, &review, &by, now)
                .unwrap();
        }
        check(store.as_ref())
    })
    .await
    .unwrap();
    assert!(checked["range"] > 50, "{checked:?}");
}

/// The inbox filters by state, department, column and delivery date, counts per state, pages,
/// and puts the longest waiting first.
#[tokio::test]
async fn the_inbox_filters_counts_pages_and_sorts_by_waiting_time() {
    let o = office().await;
    let column = o.first_column(&o.sign_in("jyj.officer").await).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        // Sessions last 12 hours: sign in each day.
        let officer = o.sign_in("jyj.officer").await;
        let (_, sent) = o
            .submit(
                &officer,
                Some(&format!("k-f{n}")),
                &item(column.id, &format!("筛选稿件{n}")),
            )
            .await;
        ids.push(sent["id"].clone());
        o.clock.advance(Duration::days(1));
    }
    // Signed off in reverse order: the last one sent has waited longest.
    for id in ids.iter().rev() {
        o.approve("jyj.responsible", id).await;
        o.clock.advance(Duration::minutes(10));
    }
    let editor = o.sign_in("bjb.editor").await;
    let q = format!("/inbox?column_id={}&limit=2", column.id);
    let (_, page1) = o.get(&editor, &q).await;
    let (_, page2) = o.get(&editor, &format!("{q}&offset=2")).await;
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&page1), ["筛选稿件4", "筛选稿件3"]);
    assert_eq!(titles(&page2), ["筛选稿件2", "筛选稿件1"]);
    // Delivered on 2026-11-28 and 29 (Beijing): items 1 and 2.
    let (_, dated) = o
        .get(
            &editor,
            &format!(
                "/inbox?column_id={}&from=2026-11-28&to=2026-11-29",
                column.id
            ),
        )
        .await;
    assert_eq!(titles(&dated), ["筛选稿件2", "筛选稿件1"]);
    o.post(
        &editor,
        &format!("/items/{}/reject", ids[0]),
        json!({"reason": "重复"}),
    )
    .await;
    let (_, counts) = o
        .get(&editor, &format!("/inbox/counts?column_id={}", column.id))
        .await;
    let counts: Vec<(String, u64)> = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["state"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("delivered".into(), 4)), "{counts:?}");
    assert!(counts.contains(&("rejected".into(), 1)), "{counts:?}");
    let (_, other_dept) = o.get(&editor, "/inbox?department_id=2&state=all").await;
    assert!(!other_dept.to_string().contains("筛选稿件"));
    let (status, _) = o.get(&editor, "/inbox?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
