//! 约稿: the editors' commissioned requests. The list with a form to post one (topic,
//! requirements, the departments asked, optionally a column, a deadline in working days or as a
//! date), and each request with where every department stands and the forms to extend or
//! withdraw it. Every change goes through `service::commissions`; refusals are in the
//! console's words.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use liaison_domain::commission::{CommissionState, Deadline, Standing};
use liaison_domain::wire::{CommissionView, NewCommissionRequest};
use serde::Serialize;

use super::refusal;
use super::render::{self, Lang, beijing};
use super::{Editor, Form, Path};
use crate::service::commissions as service;
use crate::store::StoreError;
use crate::web::AppState;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    topic: String,
    state: &'static str,
    state_label: String,
    due: String,
    posted: String,
    /// e.g. "2 / 3 已答复".
    answered: String,
    late: usize,
}

#[derive(Serialize)]
struct ListPage {
    who: String,
    csrf: String,
    error: Option<String>,
    departments: Vec<Choice>,
    columns: Vec<Choice>,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct TargetRow {
    department: String,
    standing: &'static str,
    standing_label: String,
    answered_at: Option<String>,
    item_id: Option<i64>,
    receipt: Option<String>,
}

#[derive(Serialize)]
struct DetailPage {
    who: String,
    csrf: String,
    error: Option<String>,
    id: i64,
    topic: String,
    requirements: String,
    column: Option<String>,
    state: &'static str,
    state_label: String,
    open: bool,
    due: String,
    posted: String,
    posted_by: String,
    targets: Vec<TargetRow>,
}

fn state_label(lang: Lang, state: CommissionState) -> String {
    lang.word(&format!("commissions.state.{}", state.as_str()))
}

fn standing_label(lang: Lang, standing: Standing) -> String {
    lang.word(&format!("commissions.standing.{}", standing.as_str()))
}

fn row(lang: Lang, c: &CommissionView) -> Row {
    let answered = c
        .targets
        .iter()
        .filter(|t| {
            matches!(
                t.standing,
                Standing::AnsweredInTime | Standing::AnsweredLate
            )
        })
        .count();
    Row {
        id: c.id,
        topic: c.topic.clone(),
        state: c.state.as_str(),
        state_label: state_label(lang, c.state),
        due: beijing(c.due_at - chrono::Duration::seconds(1)),
        posted: beijing(c.posted_at),
        answered: lang
            .word("commissions.answered_of")
            .replace("{answered}", &answered.to_string())
            .replace("{all}", &c.targets.len().to_string()),
        late: c
            .targets
            .iter()
            .filter(|t| t.standing == Standing::Late)
            .count(),
    }
}

async fn list_page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (seat, now) = (editor.seat.clone(), state.clock.now());
    let read = state
        .run(move |s| {
            Ok((
                service::list(s, &seat, now)?,
                s.departments()?,
                s.all_columns()?,
            ))
        })
        .await;
    let (list, departments, columns) = match read {
        Ok(r) => r,
        Err(e) => return refusal::page(editor.lang, &e),
    };
    let lang = editor.lang;
    let names: std::collections::HashMap<i64, String> =
        departments.iter().map(|d| (d.id, d.name.clone())).collect();
    let page = ListPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error,
        departments: departments
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
            })
            .collect(),
        columns: columns
            .iter()
            .filter(|c| c.feed.accepts_items())
            .filter_map(|c| {
                names.get(&c.department_id).map(|d| Choice {
                    value: c.id.to_string(),
                    label: format!("{d} · {}", c.path),
                })
            })
            .collect(),
        rows: list.iter().map(|c| row(lang, c)).collect(),
    };
    render::page(status, lang, "commissions.html", page)
}

/// The list and the form to post a request; every office seat.
pub async fn list(State(state): State<AppState>, editor: Editor) -> Response {
    list_page(&state, &editor, StatusCode::OK, None).await
}

/// The value of a form field (the last one given).
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The deadline a form gives: `deadline=working_days` with `working_days`, or `deadline=date`
/// with `date` (YYYY-MM-DD); `None` for neither.
fn deadline(pairs: &[(String, String)]) -> Option<Deadline> {
    match field(pairs, "deadline") {
        "working_days" => field(pairs, "working_days")
            .trim()
            .parse()
            .ok()
            .map(Deadline::WorkingDays),
        "date" => NaiveDate::parse_from_str(field(pairs, "date").trim(), "%Y-%m-%d")
            .ok()
            .map(Deadline::Date),
        _ => None,
    }
}

fn refused_words(lang: Lang, e: &StoreError) -> (StatusCode, String) {
    (refusal::status(e), refusal::words(lang, e))
}

/// Posts a request from the form; to the request's page, or the list again with why not.
pub async fn post(
    State(state): State<AppState>,
    editor: Editor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = editor.form_refusal(field(&pairs, "csrf")) {
        return refused;
    }
    let Some(deadline) = deadline(&pairs) else {
        let words = lang.word("commissions.problem.no_deadline");
        return list_page(
            &state,
            &editor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(words),
        )
        .await;
    };
    let new = NewCommissionRequest {
        topic: field(&pairs, "topic").to_owned(),
        requirements: field(&pairs, "requirements").to_owned(),
        departments: pairs
            .iter()
            .filter(|(k, _)| k == "departments")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        column_id: field(&pairs, "column_id").parse().ok(),
        deadline,
    };
    match editor
        .act(&state, move |s, by, now| service::post(s, &new, by, now))
        .await
    {
        Ok(view) => Redirect::to(&format!("/commissions/{}", view.id)).into_response(),
        Err(e @ StoreError::Backend(_)) => refusal::page(lang, &e),
        Err(e) => {
            let (status, words) = refused_words(lang, &e);
            list_page(&state, &editor, status, Some(words)).await
        }
    }
}

async fn detail_page(
    state: &AppState,
    editor: &Editor,
    id: i64,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (seat, now) = (editor.seat.clone(), state.clock.now());
    let lang = editor.lang;
    let c = match state.run(move |s| service::one(s, id, &seat, now)).await {
        Ok(c) => c,
        Err(e) => return refusal::page(lang, &e),
    };
    let page = DetailPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error,
        id: c.id,
        topic: c.topic.clone(),
        requirements: c.requirements.clone(),
        column: c.column_name.clone(),
        state: c.state.as_str(),
        state_label: state_label(lang, c.state),
        open: c.state == CommissionState::Open,
        due: beijing(c.due_at - chrono::Duration::seconds(1)),
        posted: beijing(c.posted_at),
        posted_by: c.posted_by.clone(),
        targets: c
            .targets
            .iter()
            .map(|t| TargetRow {
                department: t.department_name.clone(),
                standing: t.standing.as_str(),
                standing_label: standing_label(lang, t.standing),
                answered_at: t.answered_at.map(beijing),
                item_id: t.item_id,
                receipt: t.receipt.clone(),
            })
            .collect(),
    };
    render::page(status, lang, "commission.html", page)
}

/// One request and where each department stands.
pub async fn detail(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
) -> Response {
    detail_page(&state, &editor, id, StatusCode::OK, None).await
}

/// Extends an open request's deadline.
pub async fn extend(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = editor.form_refusal(field(&pairs, "csrf")) {
        return refused;
    }
    let Some(to) = deadline(&pairs) else {
        let words = lang.word("commissions.problem.no_deadline");
        return detail_page(
            &state,
            &editor,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(words),
        )
        .await;
    };
    after(&state, &editor, id, move |s, by, now| {
        service::extend(s, id, to, by, now)
    })
    .await
}

/// Withdraws an open request.
pub async fn withdraw(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = editor.form_refusal(field(&pairs, "csrf")) {
        return refused;
    }
    after(&state, &editor, id, move |s, by, now| {
        service::withdraw(s, id, by, now)
    })
    .await
}

/// Runs a change of the request; back to it, or it again with why not.
async fn after<F>(state: &AppState, editor: &Editor, id: i64, f: F) -> Response
where
    F: FnOnce(
            &dyn crate::store::Store,
            &crate::store::Actor<'_>,
            chrono::DateTime<chrono::Utc>,
        ) -> Result<CommissionView, StoreError>
        + Send
        + 'static,
{
    match editor.act(state, f).await {
        Ok(_) => Redirect::to(&format!("/commissions/{id}")).into_response(),
        Err(e @ (StoreError::Backend(_) | StoreError::NotFound)) => refusal::page(editor.lang, &e),
        Err(e) => {
            let (status, words) = refused_words(editor.lang, &e);
            detail_page(state, editor, id, status, Some(words)).await
        }
    }
}
