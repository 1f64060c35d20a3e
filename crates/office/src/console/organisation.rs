//! The organisation's pages: departments, their columns and seats, for the administrator (the
//! editors read them). Every form runs one change through the same service as the API; a form's
//! several buttons name their `action`. New seats and reset passwords end on a page with the
//! one-time codes, laid out to be printed and handed out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use liaison_domain::organisation::Organisation;
use liaison_domain::{ColumnLevel, DutyRule, FeedMethod, GapUnit, Period, Role};
use serde::{Deserialize, Serialize};

use super::refusal;
use super::render::{self, Lang, beijing};
use super::{Editor, Form, Path};
use crate::service::organisation::{
    self as service, AdminChange, AdminOutcome, ColumnInput, SeatCode,
};
use crate::store::StoreError;
use crate::web::AppState;

const FEEDS: [FeedMethod; 4] = [
    FeedMethod::Submission,
    FeedMethod::Scraping,
    FeedMethod::Link,
    FeedMethod::CoEditing,
];

/// The standard duty rules, by the name a form sends.
const STANDARD_DUTIES: [(&str, DutyRule); 5] = [
    ("news", DutyRule::NEWS),
    ("home_page", DutyRule::HOME_PAGE),
    ("monthly", DutyRule::MONTHLY),
    ("notices", DutyRule::NOTICES),
    ("personnel", DutyRule::PERSONNEL),
];
const UNITS: [GapUnit; 5] = [
    GapUnit::WorkingDays,
    GapUnit::Days,
    GapUnit::Weeks,
    GapUnit::Months,
    GapUnit::Years,
];
const PERIODS: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];

fn unit_name(u: GapUnit) -> &'static str {
    match u {
        GapUnit::WorkingDays => "working_days",
        GapUnit::Days => "days",
        GapUnit::Weeks => "weeks",
        GapUnit::Months => "months",
        GapUnit::Years => "years",
    }
}

fn period_name(p: Period) -> &'static str {
    match p {
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
        Period::Year => "year",
    }
}

/// A duty rule in words: the standard rule's name, or the custom gap or count.
pub fn duty_words(lang: Lang, rule: DutyRule) -> String {
    if let Some((name, _)) = STANDARD_DUTIES.iter().find(|(_, r)| *r == rule) {
        return lang.word(&format!("organisation.duty.{name}"));
    }
    match rule {
        DutyRule::MaxGap { amount, unit } => lang
            .word("organisation.duty.gap")
            .replace("{amount}", &amount.to_string())
            .replace(
                "{unit}",
                &lang.word(&format!("organisation.unit.{}", unit_name(unit))),
            ),
        DutyRule::MinCount { count, period } => lang
            .word("organisation.duty.count")
            .replace("{count}", &count.to_string())
            .replace(
                "{period}",
                &lang.word(&format!("organisation.period.{}", period_name(period))),
            ),
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ColumnRow {
    id: i64,
    name: String,
    path: String,
    feed: &'static str,
    feed_label: String,
    duty: String,
    duty_label: String,
    amount: u32,
    unit: &'static str,
    count: u32,
    period: &'static str,
    level: &'static str,
    level_label: String,
    retired: bool,
}

#[derive(Serialize)]
struct SeatRow {
    id: i64,
    login: String,
    role_label: String,
    holder_name: String,
    disabled: bool,
}

#[derive(Serialize)]
struct DepartmentSection {
    id: i64,
    name: String,
    retired: bool,
    columns: Vec<ColumnRow>,
    seats: Vec<SeatRow>,
}

#[derive(Serialize)]
struct OrganisationPage {
    who: String,
    csrf: String,
    may_change: bool,
    error: Option<String>,
    departments: Vec<DepartmentSection>,
    office_seats: Vec<SeatRow>,
    live_departments: Vec<Choice>,
    feeds: Vec<Choice>,
    duties: Vec<Choice>,
    units: Vec<Choice>,
    periods: Vec<Choice>,
    levels: Vec<Choice>,
    roles: Vec<Choice>,
}

fn column_row(lang: Lang, c: &liaison_domain::organisation::OrgColumn) -> ColumnRow {
    let standard = STANDARD_DUTIES.iter().find(|(_, r)| *r == c.duty);
    let (duty, amount, unit, count, period) = match (standard, c.duty) {
        (Some((name, _)), _) => ((*name).to_owned(), 1, "weeks", 1, "month"),
        (None, DutyRule::MaxGap { amount, unit }) => {
            ("gap".to_owned(), amount, unit_name(unit), 1, "month")
        }
        (None, DutyRule::MinCount { count, period }) => {
            ("count".to_owned(), 1, "weeks", count, period_name(period))
        }
    };
    ColumnRow {
        id: c.id,
        name: c.name.clone(),
        path: c.path.clone(),
        feed: c.feed.as_str(),
        feed_label: lang.word(&format!("organisation.feed.{}", c.feed.as_str())),
        duty_label: duty_words(lang, c.duty),
        duty,
        amount,
        unit,
        count,
        period,
        level: c.level.as_str(),
        level_label: lang.word(&format!("organisation.level.{}", c.level.as_str())),
        retired: c.retired,
    }
}

fn seat_row(lang: Lang, s: &liaison_domain::organisation::OrgSeat) -> SeatRow {
    SeatRow {
        id: s.id,
        login: s.login.clone(),
        role_label: lang.word(&format!("role.{}", s.role.as_str())),
        holder_name: s.holder_name.clone(),
        disabled: s.disabled,
    }
}

fn page_of(editor: &Editor, org: &Organisation, error: Option<String>) -> OrganisationPage {
    let lang = editor.lang;
    let choices = |values: &[&str], prefix: &str| -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: (*v).to_owned(),
                label: lang.word(&format!("{prefix}.{v}")),
            })
            .collect()
    };
    let mut duties: Vec<&str> = STANDARD_DUTIES.iter().map(|(n, _)| *n).collect();
    duties.extend(["gap", "count"]);
    OrganisationPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        may_change: editor.seat.role == Role::Admin,
        error,
        departments: org
            .departments
            .iter()
            .map(|d| DepartmentSection {
                id: d.id,
                name: d.name.clone(),
                retired: d.retired,
                columns: org
                    .columns
                    .iter()
                    .filter(|c| c.department_id == d.id)
                    .map(|c| column_row(lang, c))
                    .collect(),
                seats: org
                    .seats
                    .iter()
                    .filter(|s| s.department_id == Some(d.id))
                    .map(|s| seat_row(lang, s))
                    .collect(),
            })
            .collect(),
        office_seats: org
            .seats
            .iter()
            .filter(|s| s.department_id.is_none())
            .map(|s| seat_row(lang, s))
            .collect(),
        live_departments: org
            .departments
            .iter()
            .filter(|d| !d.retired)
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
            })
            .collect(),
        feeds: choices(&FEEDS.map(FeedMethod::as_str), "organisation.feed"),
        duties: choices(&duties, "organisation.duty"),
        units: choices(&UNITS.map(unit_name), "organisation.unit"),
        periods: choices(&PERIODS.map(period_name), "organisation.period"),
        levels: choices(&["first", "second"], "organisation.level"),
        roles: choices(&["officer", "responsible", "editor", "admin"], "role"),
    }
}

async fn read(state: &AppState) -> Result<Organisation, StoreError> {
    state.run(service::organisation).await
}

async fn show(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    match read(state).await {
        Ok(org) => render::page(
            status,
            editor.lang,
            "organisation.html",
            page_of(editor, &org, error),
        ),
        Err(e) => refusal::page(editor.lang, &e),
    }
}

pub async fn organisation(State(state): State<AppState>, editor: Editor) -> Response {
    show(&state, &editor, StatusCode::OK, None).await
}

/// Runs one change as the signed-in administrator: back to the page, or the page again with
/// the refusal above it (what was typed is in the page's forms only as stored; the words say
/// what to correct).
async fn run(
    state: &AppState,
    editor: &Editor,
    csrf: &str,
    change: AdminChange,
) -> Result<AdminOutcome, Box<Response>> {
    let lang = editor.lang;
    if let Some(refused) = super::admin_form_refusal(editor, csrf) {
        return Err(Box::new(refused));
    }
    let done = editor
        .act(state, move |s, by, now| {
            service::administer(s, &change, by, now)
        })
        .await;
    match done {
        Ok(outcome) => Ok(outcome),
        Err(e @ StoreError::Backend(_)) => Err(Box::new(refusal::page(lang, &e))),
        Err(refused) => {
            let words = refusal::words(lang, &refused);
            let status = refusal::status(&refused);
            Err(Box::new(show(state, editor, status, Some(words)).await))
        }
    }
}

fn back() -> Response {
    Redirect::to("/organisation").into_response()
}

fn bad_form(lang: Lang) -> Response {
    render::error_page(
        StatusCode::BAD_REQUEST,
        lang,
        lang.word("error.bad_request"),
    )
}

#[derive(Deserialize)]
pub struct DepartmentForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
}

pub async fn create_department(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<DepartmentForm>,
) -> Response {
    let change = AdminChange::CreateDepartment { name: form.name };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(_) => back(),
        Err(page) => *page,
    }
}

pub async fn change_department(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    let change = match form.action.as_str() {
        "rename" => AdminChange::RenameDepartment {
            id,
            name: form.name,
        },
        "retire" => AdminChange::RetireDepartment { id },
        _ => return bad_form(editor.lang),
    };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(_) => back(),
        Err(page) => *page,
    }
}

#[derive(Deserialize)]
pub struct ColumnForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    feed: String,
    #[serde(default)]
    duty: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    level: String,
}

impl ColumnForm {
    /// The column's fields as typed, or `None` when a choice is not one the page offers.
    fn input(&self) -> Option<ColumnInput> {
        let number = |s: &str| s.trim().parse::<u32>().ok();
        let duty = match self.duty.as_str() {
            "gap" => DutyRule::MaxGap {
                amount: number(&self.amount)?,
                unit: *UNITS.iter().find(|u| unit_name(**u) == self.unit)?,
            },
            "count" => DutyRule::MinCount {
                count: number(&self.count)?,
                period: *PERIODS.iter().find(|p| period_name(**p) == self.period)?,
            },
            name => STANDARD_DUTIES.iter().find(|(n, _)| *n == name)?.1,
        };
        Some(ColumnInput {
            name: self.name.clone(),
            path: self.path.clone(),
            feed: FeedMethod::parse(&self.feed)?,
            duty,
            level: ColumnLevel::parse(&self.level)?,
        })
    }
}

pub async fn create_column(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<ColumnForm>,
) -> Response {
    let (Ok(department_id), Some(fields)) = (form.department_id.parse::<i64>(), form.input())
    else {
        return bad_form(editor.lang);
    };
    let change = AdminChange::CreateColumn {
        department_id,
        fields,
    };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(_) => back(),
        Err(page) => *page,
    }
}

pub async fn change_column(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<ColumnForm>,
) -> Response {
    let change = match form.action.as_str() {
        "update" => match form.input() {
            Some(fields) => AdminChange::UpdateColumn { id, fields },
            None => return bad_form(editor.lang),
        },
        "move" => match form.department_id.parse::<i64>() {
            Ok(department_id) => AdminChange::MoveColumn { id, department_id },
            Err(_) => return bad_form(editor.lang),
        },
        "retire" => AdminChange::RetireColumn { id },
        "restore" => AdminChange::RestoreColumn { id },
        _ => return bad_form(editor.lang),
    };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(_) => back(),
        Err(page) => *page,
    }
}

#[derive(Deserialize)]
pub struct SeatForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    phone: String,
}

#[derive(Serialize)]
struct CodeRow {
    login: String,
    holder_name: String,
    code: String,
    expires: String,
}

#[derive(Serialize)]
struct CodesPage {
    who: String,
    csrf: String,
    error: Option<String>,
    codes: Vec<CodeRow>,
}

/// The one-time codes, once, as a sheet to print and hand out.
pub fn codes_page(editor: &Editor, codes: &[SeatCode]) -> Response {
    let page = CodesPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error: None,
        codes: codes
            .iter()
            .map(|c| CodeRow {
                login: c.login.clone(),
                holder_name: c.holder_name.clone(),
                code: c.code.clone(),
                expires: beijing(c.expires_at),
            })
            .collect(),
    };
    render::page(StatusCode::OK, editor.lang, "seat_codes.html", page)
}

pub async fn create_seat(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<SeatForm>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return bad_form(editor.lang);
    };
    let department_id = match form.department_id.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => return bad_form(editor.lang),
        },
    };
    let change = AdminChange::CreateSeat {
        login: form.login,
        role,
        department_id,
        holder_name: form.holder_name,
        phone: form.phone,
    };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(AdminOutcome::Code(code)) => codes_page(&editor, &[code]),
        Ok(_) => back(),
        Err(page) => *page,
    }
}

pub async fn change_seat(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<SeatForm>,
) -> Response {
    let change = match form.action.as_str() {
        "disable" => AdminChange::DisableSeat { id },
        "enable" => AdminChange::EnableSeat { id },
        "reset" => AdminChange::ResetPassword { id },
        "sign_out" => AdminChange::SignOutEverywhere { id },
        _ => return bad_form(editor.lang),
    };
    match run(&state, &editor, &form.csrf, change).await {
        Ok(AdminOutcome::Code(code)) => codes_page(&editor, &[code]),
        Ok(_) => back(),
        Err(page) => *page,
    }
}
