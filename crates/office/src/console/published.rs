//! What the administrator publishes to every desk: a year of the working calendar (from a form,
//! or the State Council's notice pasted as its dates) and the pre-flight word lists. The rules
//! are the domain's (`calendar_text`, `word_lists`); the store writes each as an audit entry.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use liaison_domain::calendar_text::{self, CalendarProblem};
use liaison_domain::preflight::WordLists;
use liaison_domain::{Role, WorkCalendar};
use serde::{Deserialize, Serialize};

use super::refusal;
use super::render::{self, Lang};
use super::{Editor, Form};
use crate::web::AppState;

#[derive(Serialize)]
struct YearRow {
    year: i32,
    holidays: String,
    working_weekends: String,
}

#[derive(Serialize)]
struct CalendarPage {
    who: String,
    csrf: String,
    may_change: bool,
    error: Option<String>,
    years: Vec<YearRow>,
    /// What was typed, kept when it is refused.
    year: String,
    holidays: String,
    working_weekends: String,
}

fn dates(days: impl Iterator<Item = chrono::NaiveDate>) -> String {
    days.map(|d| d.format("%Y-%m-%d").to_string())
        .collect::<Vec<_>>()
        .join("、")
}

/// The page; the form offers next year unless it shows what was typed.
fn calendar_page(
    editor: &Editor,
    calendar: &WorkCalendar,
    next_year: i32,
    typed: Option<(&CalendarForm, String)>,
) -> CalendarPage {
    let (form, error) = match typed {
        Some((f, e)) => (Some(f), Some(e)),
        None => (None, None),
    };
    CalendarPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        may_change: editor.seat.role == Role::Admin,
        error,
        years: calendar
            .years()
            .into_iter()
            .rev()
            .map(|year| YearRow {
                year,
                holidays: dates(
                    calendar
                        .holidays
                        .iter()
                        .copied()
                        .filter(|d| d.year() == year),
                ),
                working_weekends: dates(
                    calendar
                        .working_weekends
                        .iter()
                        .copied()
                        .filter(|d| d.year() == year),
                ),
            })
            .collect(),
        year: form.map_or_else(|| next_year.to_string(), |f| f.year.clone()),
        holidays: form.map(|f| f.holidays.clone()).unwrap_or_default(),
        working_weekends: form.map(|f| f.working_weekends.clone()).unwrap_or_default(),
    }
}

fn next_year(state: &AppState) -> i32 {
    liaison_domain::calendar::beijing_date(state.clock.now()).year() + 1
}

pub async fn calendar(State(state): State<AppState>, editor: Editor) -> Response {
    match state.run(|s| s.calendar()).await {
        Ok(calendar) => render::page(
            StatusCode::OK,
            editor.lang,
            "calendar.html",
            calendar_page(&editor, &calendar, next_year(&state), None),
        ),
        Err(e) => refusal::page(editor.lang, &e),
    }
}

#[derive(Deserialize)]
pub struct CalendarForm {
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    working_weekends: String,
}

fn calendar_words(lang: Lang, p: &CalendarProblem) -> String {
    lang.word(&format!("calendar.problem.{}", p.code()))
        .replace("{what}", &p.subject())
}

pub async fn publish_calendar(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<CalendarForm>,
) -> Response {
    if let Some(refused) = super::admin_form_refusal(&editor, &form.csrf) {
        return refused;
    }
    let lang = editor.lang;
    let year = form.year.trim().parse::<i32>().unwrap_or(0);
    let days = match calendar_text::year_of(year, &form.holidays, &form.working_weekends) {
        Ok(days) => days,
        Err(problem) => {
            let words = calendar_words(lang, &problem);
            return match state.run(|s| s.calendar()).await {
                Ok(calendar) => render::page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    lang,
                    "calendar.html",
                    calendar_page(&editor, &calendar, next_year(&state), Some((&form, words))),
                ),
                Err(e) => refusal::page(lang, &e),
            };
        }
    };
    let done = editor
        .act(&state, move |s, by, now| {
            crate::service::duties::publish_calendar_year(s, year, &days, by, now)
        })
        .await;
    match done {
        Ok(()) => Redirect::to("/calendar").into_response(),
        Err(e) => refusal::page(lang, &e),
    }
}

#[derive(Serialize)]
struct WordListsPage {
    who: String,
    csrf: String,
    may_change: bool,
    error: Option<String>,
    forbidden: String,
    misspellings: String,
}

fn word_lists_page(
    editor: &Editor,
    forbidden: String,
    misspellings: String,
    error: Option<String>,
) -> WordListsPage {
    WordListsPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        may_change: editor.seat.role == Role::Admin,
        error,
        forbidden,
        misspellings,
    }
}

pub async fn word_lists(State(state): State<AppState>, editor: Editor) -> Response {
    match state.run(|s| s.word_lists()).await {
        Ok(lists) => {
            let (forbidden, misspellings) = lists.to_text();
            render::page(
                StatusCode::OK,
                editor.lang,
                "word_lists.html",
                word_lists_page(&editor, forbidden, misspellings, None),
            )
        }
        Err(e) => refusal::page(editor.lang, &e),
    }
}

#[derive(Deserialize)]
pub struct WordListsForm {
    csrf: String,
    #[serde(default)]
    forbidden: String,
    #[serde(default)]
    misspellings: String,
}

pub async fn publish_word_lists(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<WordListsForm>,
) -> Response {
    if let Some(refused) = super::admin_form_refusal(&editor, &form.csrf) {
        return refused;
    }
    let lang = editor.lang;
    let lists = match WordLists::from_text(&form.forbidden, &form.misspellings) {
        Ok(lists) => lists,
        Err(problem) => {
            let words = lang
                .word(&format!("word_lists.problem.{}", problem.code()))
                .replace("{what}", &problem.subject());
            return render::page(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                "word_lists.html",
                word_lists_page(&editor, form.forbidden, form.misspellings, Some(words)),
            );
        }
    };
    let done = editor
        .act(&state, move |s, by, now| {
            crate::service::duties::publish_word_lists(s, lists, by, now).map(drop)
        })
        .await;
    match done {
        Ok(()) => Redirect::to("/wordlists").into_response(),
        Err(e) => refusal::page(lang, &e),
    }
}
