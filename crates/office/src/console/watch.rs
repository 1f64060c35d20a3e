//! 栏目监测: every column of the city on one page, grouped by department with the most urgent
//! first, filtered by department, state, feed method and level, under the national single-veto
//! banner. The standings and the check are the service's (`service::watch`), computed by the
//! domain with the office's calendar; this page only shows and filters them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use liaison_domain::calendar::{beijing_date, last_day};
use liaison_domain::duty::{DayKind, DutyState};
use liaison_domain::urge::{self, Urge};
use liaison_domain::veto::VetoCheck;
use liaison_domain::wire::BoardColumn;
use liaison_domain::{ColumnLevel, FeedMethod};
use serde::{Deserialize, Serialize};

use super::organisation::duty_words;
use super::refusal;
use super::render::{self, Lang};
use super::{Editor, Form, Path, Query};
use crate::service::duties;
use crate::service::watch::{self, CityWatch};
use crate::store::StoreError;
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
    /// Urges in the history shown, and the latest one's day.
    urged: usize,
    last_urged: Option<String>,
    /// The message the urge form offers.
    urge_message: String,
    /// Fed from outside (scraped or linked): the office records its updates here.
    records_updates: bool,
    /// The address of the latest recorded update, if one was given.
    address: Option<String>,
}

#[derive(Serialize)]
struct UrgeRow {
    at: String,
    column: String,
    message: String,
    urged_by: String,
}

#[derive(Serialize)]
struct DepartmentGroup {
    id: i64,
    name: String,
    overdue: usize,
    columns: Vec<ColumnRow>,
    /// Urged this week, and whether that flags the department.
    urged_this_week: u32,
    flagged: bool,
    /// Its urges, newest first.
    urges: Vec<UrgeRow>,
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

fn column_row(lang: Lang, c: &BoardColumn, urges: &[Urge], city: &CityWatch) -> ColumnRow {
    let mine: Vec<&Urge> = urges
        .iter()
        .filter(|u| u.column_id == c.column.id)
        .collect();
    ColumnRow {
        records_updates: c.column.feed.takes_recorded_updates(),
        address: city
            .addresses
            .iter()
            .find(|(id, _, _)| *id == c.column.id)
            .map(|(_, _, url)| url.clone()),
        urged: mine.len(),
        last_urged: mine.last().map(|u| day(lang, beijing_date(u.at))),
        urge_message: lang
            .word("watch.urge.default")
            .replace("{column}", &c.column.name),
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

fn page_of(
    editor: &Editor,
    city: &CityWatch,
    filter: &WatchFilter,
    now: DateTime<Utc>,
) -> WatchPage {
    let lang = editor.lang;
    let total = city.departments.iter().map(|(_, b)| b.len()).sum();
    let groups: Vec<DepartmentGroup> = city
        .departments
        .iter()
        .filter_map(|(d, board)| {
            let urges: Vec<Urge> = city
                .urges
                .iter()
                .filter(|u| u.department_id == d.id)
                .cloned()
                .collect();
            let columns: Vec<ColumnRow> = board
                .iter()
                .filter(|c| filter.keeps(d.id, c))
                .map(|c| column_row(lang, c, &urges, city))
                .collect();
            let instants: Vec<DateTime<Utc>> = urges.iter().map(|u| u.at).collect();
            let urged_this_week = urge::this_week(&instants, now);
            (!columns.is_empty()).then(|| DepartmentGroup {
                id: d.id,
                name: d.name.clone(),
                urged_this_week,
                flagged: urged_this_week >= city.urges_flagging_a_week,
                urges: urges
                    .iter()
                    .rev()
                    .map(|u| UrgeRow {
                        at: render::beijing(u.at),
                        column: board
                            .iter()
                            .find(|c| c.column.id == u.column_id)
                            .map_or_else(String::new, |c| c.column.name.clone()),
                        message: u.message.clone(),
                        urged_by: u.urged_by.clone(),
                    })
                    .collect(),
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
    show(&state, &editor, &filter, StatusCode::OK, None).await
}

/// The page with all columns, and what went wrong above it when something did.
async fn show(
    state: &AppState,
    editor: &Editor,
    filter: &WatchFilter,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let now = state.clock.now();
    match state.run(move |s| watch::city(s, now)).await {
        Ok(city) => {
            let mut page = page_of(editor, &city, filter, now);
            page.error = error;
            render::page(status, editor.lang, "watch.html", page)
        }
        Err(e) => refusal::page(editor.lang, &e),
    }
}

#[derive(Deserialize)]
pub struct UrgeForm {
    csrf: String,
    message: String,
}

/// Urges one column: back to its department on the page, or the page with why not.
pub async fn urge_column(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<UrgeForm>,
) -> Response {
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
    }
    let done = editor
        .act(&state, move |s, by, now| {
            // Live columns only: a retired one is not found.
            let column = s.column(id)?.ok_or(StoreError::NotFound)?;
            duties::urge(s, &column, &form.message, by, now).map(|_| column.department_id)
        })
        .await;
    match done {
        Ok(department) => back_to(department),
        Err(e) => refused(&state, &editor, &e).await,
    }
}

/// Urges every overdue column of a department with one message.
pub async fn urge_department(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<UrgeForm>,
) -> Response {
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
    }
    let done = editor
        .act(&state, move |s, by, now| {
            duties::urge_overdue(s, id, &form.message, by, now)
        })
        .await;
    match done {
        Ok(_) => back_to(id),
        Err(e) => refused(&state, &editor, &e).await,
    }
}

#[derive(Deserialize)]
pub struct RecordForm {
    csrf: String,
    url: String,
}

/// Records that a scraped or linked column was updated, at the address the editor saw it.
pub async fn record_update(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<RecordForm>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
    }
    if liaison_domain::text::web_address(&form.url).is_none() {
        let words = lang.word("watch.record.bad_address");
        return show(
            &state,
            &editor,
            &WatchFilter::default(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(words),
        )
        .await;
    }
    let done = editor
        .act(&state, move |s, by, now| {
            let column = s.column(id)?.ok_or(StoreError::NotFound)?;
            duties::record_column_update(s, &column, Some(&form.url), by, now)
                .map(|()| column.department_id)
        })
        .await;
    match done {
        Ok(department) => back_to(department),
        Err(e) => refused(&state, &editor, &e).await,
    }
}

fn back_to(department_id: i64) -> Response {
    Redirect::to(&format!("/watch#department-{department_id}")).into_response()
}

/// The page again with why the service refused (a failure of the office itself as its own page).
async fn refused(state: &AppState, editor: &Editor, e: &StoreError) -> Response {
    if matches!(e, StoreError::Backend(_)) {
        return refusal::page(editor.lang, e);
    }
    let words = refusal::words(editor.lang, e);
    show(
        state,
        editor,
        &WatchFilter::default(),
        refusal::status(e),
        Some(words),
    )
    .await
}
