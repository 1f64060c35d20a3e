//! 栏目监测: every column of the city on one page, grouped by department with the most urgent
//! first, filtered by department, state, feed method and level, under the national single-veto
//! banner. The standings and the check are the service's (`service::watch`), computed by the
//! domain with the office's calendar; this page only shows and filters them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_domain::calendar::{beijing_date, last_day};
use liaison_domain::duty::{DayKind, DutyState};
use liaison_domain::veto::VetoCheck;
use liaison_domain::wire::BoardColumn;
use liaison_domain::{ColumnLevel, FeedMethod};
use serde::{Deserialize, Serialize};

use super::organisation::duty_words;
use super::refusal;
use super::render::{self, Lang};
use super::{Editor, Query};
use crate::service::watch::{self, CityWatch};
use crate::web::AppState;

/// The filters, as the page's form sends them (empty: all).
#[derive(Debug, Default, Deserialize)]
pub struct WatchFilter {
    #[serde(default)]
    department: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    feed: String,
    #[serde(default)]
    level: String,
}

impl WatchFilter {
    fn keeps(&self, department_id: i64, c: &BoardColumn) -> bool {
        (self.department.is_empty() || self.department == department_id.to_string())
            && (self.state.is_empty() || self.state == state_name(c.status.state))
            && (self.feed.is_empty() || self.feed == c.column.feed.as_str())
            && (self.level.is_empty() || self.level == c.column.level.as_str())
    }
}

fn state_name(state: DutyState) -> &'static str {
    match state {
        DutyState::Ok => "ok",
        DutyState::DueSoon => "due_soon",
        DutyState::Overdue => "overdue",
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(lang: Lang, values: &[&str], prefix: &str, chosen: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: (*v).to_owned(),
            label: lang.word(&format!("{prefix}.{v}")),
            selected: *v == chosen,
        })
        .collect()
}

#[derive(Serialize)]
struct VetoRow {
    rule: &'static str,
    label: String,
    /// e.g. "3 / 5".
    figure: String,
    count: u32,
    limit: u32,
    crossed: bool,
    percent: u32,
    /// The columns behind it, as "department · path".
    columns: Vec<String>,
}

#[derive(Serialize)]
struct ColumnRow {
    id: i64,
    name: String,
    path: String,
    feed: String,
    level: String,
    rule: String,
    last_update: String,
    due: String,
    state: &'static str,
    state_label: String,
}

#[derive(Serialize)]
struct DepartmentGroup {
    id: i64,
    name: String,
    overdue: usize,
    columns: Vec<ColumnRow>,
}

#[derive(Serialize)]
struct WatchPage {
    who: String,
    csrf: String,
    error: Option<String>,
    crossed_any: bool,
    veto: Vec<VetoRow>,
    departments: Vec<Choice>,
    states: Vec<Choice>,
    feeds: Vec<Choice>,
    levels: Vec<Choice>,
    groups: Vec<DepartmentGroup>,
    shown: usize,
    total: usize,
}

fn day(lang: Lang, d: chrono::NaiveDate) -> String {
    match lang {
        Lang::ZhCn => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

fn state_label(lang: Lang, c: &BoardColumn) -> String {
    let s = &c.status;
    match s.state {
        DutyState::Overdue => {
            let unit = match s.day_kind {
                DayKind::Working => "watch.overdue_working",
                DayKind::Calendar => "watch.overdue_days",
            };
            lang.word(unit).replace("{n}", &s.overdue_days.to_string())
        }
        other => lang.word(&format!("watch.state.{}", state_name(other))),
    }
}

fn column_row(lang: Lang, c: &BoardColumn) -> ColumnRow {
    ColumnRow {
        id: c.column.id,
        name: c.column.name.clone(),
        path: c.column.path.clone(),
        feed: lang.word(&format!("organisation.feed.{}", c.column.feed.as_str())),
        level: lang.word(&format!("organisation.level.{}", c.column.level.as_str())),
        rule: duty_words(lang, c.column.duty),
        last_update: c
            .status
            .last_update
            .map_or_else(|| lang.word("watch.never"), |t| day(lang, beijing_date(t))),
        due: day(lang, last_day(c.status.due_at)),
        state: state_name(c.status.state),
        state_label: state_label(lang, c),
    }
}

fn veto_row(lang: Lang, city: &CityWatch, check: &VetoCheck) -> VetoRow {
    let named = |id: i64| {
        city.departments.iter().find_map(|(d, board)| {
            board
                .iter()
                .find(|c| c.column.id == id)
                .map(|c| format!("{} · {}", d.name, c.column.path))
        })
    };
    let rule = check.rule.as_str();
    VetoRow {
        rule,
        label: lang.word(&format!("watch.veto.{rule}")),
        figure: lang
            .word(&format!("watch.veto.figure_{rule}"))
            .replace("{count}", &check.count.to_string())
            .replace("{limit}", &check.limit.to_string()),
        count: check.count,
        limit: check.limit,
        crossed: check.crossed,
        percent: check.percent(),
        columns: check.columns.iter().filter_map(|id| named(*id)).collect(),
    }
}

fn page_of(editor: &Editor, city: &CityWatch, filter: &WatchFilter) -> WatchPage {
    let lang = editor.lang;
    let total = city.departments.iter().map(|(_, b)| b.len()).sum();
    let groups: Vec<DepartmentGroup> = city
        .departments
        .iter()
        .filter_map(|(d, board)| {
            let columns: Vec<ColumnRow> = board
                .iter()
                .filter(|c| filter.keeps(d.id, c))
                .map(|c| column_row(lang, c))
                .collect();
            (!columns.is_empty()).then(|| DepartmentGroup {
                id: d.id,
                name: d.name.clone(),
                overdue: board
                    .iter()
                    .filter(|c| c.status.state == DutyState::Overdue)
                    .count(),
                columns,
            })
        })
        .collect();
    let feeds = [
        FeedMethod::Submission,
        FeedMethod::Scraping,
        FeedMethod::Link,
        FeedMethod::CoEditing,
    ]
    .map(FeedMethod::as_str);
    let levels = [ColumnLevel::First, ColumnLevel::Second].map(ColumnLevel::as_str);
    WatchPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error: None,
        crossed_any: city.veto.iter().any(|c| c.crossed),
        veto: city.veto.iter().map(|c| veto_row(lang, city, c)).collect(),
        departments: city
            .departments
            .iter()
            .map(|(d, _)| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: filter.department == d.id.to_string(),
            })
            .collect(),
        states: choices(
            lang,
            &["overdue", "due_soon", "ok"],
            "watch.state",
            &filter.state,
        ),
        feeds: choices(lang, &feeds, "organisation.feed", &filter.feed),
        levels: choices(lang, &levels, "organisation.level", &filter.level),
        shown: groups.iter().map(|g| g.columns.len()).sum(),
        groups,
        total,
    }
}

/// The page, for every office seat.
pub async fn watch(
    State(state): State<AppState>,
    editor: Editor,
    Query(filter): Query<WatchFilter>,
) -> Response {
    let now = state.clock.now();
    match state.run(move |s| watch::city(s, now)).await {
        Ok(city) => render::page(
            StatusCode::OK,
            editor.lang,
            "watch.html",
            page_of(&editor, &city, &filter),
        ),
        Err(e) => refusal::page(editor.lang, &e),
    }
}
