//! The console's pages and forms.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use liaison_domain::calendar::{BEIJING, beijing_midnight};
use liaison_domain::wire::{ItemDetail, TimelineEntry};
use liaison_domain::{ColumnView, DepartmentView, ItemState, Role, SignoffPolicy};
use serde::{Deserialize, Serialize};

use super::refusal;
use super::render::{self, Lang, beijing, waited};
use super::{Editor, Form, Path, Query, SESSION_COOKIE};
use crate::auth;
use crate::service::items;
use crate::service::sessions::{self, Attempt, SignIn};
use crate::store::{Actor, InboxFilter, Review, Store, StoreError, may_see, view_for};
use crate::web::{AppState, Origin};

/// Rows per inbox page.
pub const PAGE_SIZE: u32 = 50;

/// The states an editor filters by, in the order of the tabs.
const INBOX_STATES: [ItemState; 4] = [
    ItemState::Delivered,
    ItemState::Returned,
    ItemState::Accepted,
    ItemState::Rejected,
];

fn state_label(lang: Lang, state: ItemState) -> String {
    lang.word(&format!("state.{}", state.as_str()))
}

// --- signing in and out --------------------------------------------------------------------------

#[derive(Serialize, Default)]
struct SignInPage {
    error: Option<String>,
    login: String,
}

pub async fn sign_in_page(headers: HeaderMap) -> Response {
    render::page(
        StatusCode::OK,
        Lang::of(&headers),
        "sign_in.html",
        SignInPage::default(),
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    login: String,
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: Origin,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let address = origin.address;
    let lang = Lang::of(&headers);
    let refuse = |status, key: &str, login: String| {
        let page = SignInPage {
            error: Some(lang.word(key)),
            login,
        };
        render::page(status, lang, "sign_in.html", page)
    };
    let login = form.login.trim().to_owned();
    let (throttle, ttl, now) = (state.sign_ins.clone(), state.session_ttl, state.clock.now());
    let attempt_login = login.clone();
    let outcome = state
        .run(move |s| {
            let attempt = Attempt {
                login: &attempt_login,
                password: &form.password,
                address: &address,
            };
            sessions::sign_in(s, &throttle, attempt, ttl, now)
        })
        .await;
    match outcome {
        Ok(SignIn::Opened { token, seat, .. }) if seat.role.is_office() => {
            tracing::info!(seat = %seat.login, "signed in to the console");
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                // Never sent back over plain HTTP once the office is reached over HTTPS.
                .secure(origin.https)
                .build();
            (jar.add(cookie), Redirect::to("/inbox")).into_response()
        }
        Ok(SignIn::Opened { token, .. }) => {
            // A department's seat: its desk is where it works. Its new session is not kept.
            let hash = auth::token_hash(&token);
            let _ = state.run(move |s| s.delete_session(&hash)).await;
            refuse(StatusCode::FORBIDDEN, "sign_in.not_office", login)
        }
        Ok(SignIn::WrongCredentials) => refuse(StatusCode::UNAUTHORIZED, "sign_in.wrong", login),
        Ok(SignIn::Throttled { .. }) => {
            refuse(StatusCode::TOO_MANY_REQUESTS, "sign_in.throttled", login)
        }
        Ok(SignIn::SeatDisabled) => refuse(StatusCode::FORBIDDEN, "sign_in.disabled", login),
        Err(e) => {
            tracing::error!(error = %e, "console sign-in failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "error.internal", login)
        }
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    editor: Editor,
    jar: CookieJar,
    Form(form): Form<TokenForm>,
) -> Response {
    if form.csrf != editor.form_token {
        return forbidden_form(editor.lang);
    }
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        let hash = auth::token_hash(&token);
        if let Err(e) = state.run(move |s| s.delete_session(&hash)).await {
            tracing::warn!(error = %e, "could not end a console session");
        }
    }
    let gone = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    (jar.remove(gone), Redirect::to("/sign-in")).into_response()
}

fn forbidden_form(lang: Lang) -> Response {
    render::error_page(StatusCode::FORBIDDEN, lang, lang.word("error.form_expired"))
}

// --- the inbox -----------------------------------------------------------------------------------

/// The inbox's filters as a form sends them: empty fields mean "any".
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
pub struct InboxParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    column_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct StateTab {
    label: String,
    count: u64,
    href: String,
    selected: bool,
}

#[derive(Serialize)]
struct InboxRow {
    id: i64,
    receipt: String,
    title: String,
    department: String,
    column: String,
    holder: String,
    version: u32,
    state: String,
    delivered: String,
    waited: String,
}

#[derive(Serialize)]
struct InboxPage {
    who: String,
    csrf: String,
    params: InboxParams,
    states: Vec<StateTab>,
    departments: Vec<Choice>,
    columns: Vec<Choice>,
    rows: Vec<InboxRow>,
    page: u32,
    pages: u32,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    /// Handovers waiting for the administrator's decision.
    handovers_waiting: usize,
    error: Option<String>,
}

fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn parse_day(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

fn inbox_href(params: &InboxParams) -> String {
    format!(
        "/inbox?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

pub async fn inbox(
    State(state): State<AppState>,
    editor: Editor,
    Query(params): Query<InboxParams>,
) -> Response {
    let lang = editor.lang;
    let mut error = None;
    let (from, to) = match (parse_day(&params.from), parse_day(&params.to)) {
        (Ok(f), Ok(t)) => (f, t),
        _ => {
            error = Some(lang.word("inbox.bad_date"));
            (None, None)
        }
    };
    let chosen_state = match params.state.as_str() {
        "" => Some(ItemState::Delivered),
        "all" => None,
        s => ItemState::parse(s).filter(|s| INBOX_STATES.contains(s)),
    };
    let page = params.page.unwrap_or(1).max(1);
    let filter = InboxFilter {
        state: chosen_state,
        department_id: parse_id(&params.department_id),
        column_id: parse_id(&params.column_id),
        from: from.map(beijing_midnight),
        until: to.and_then(|d| d.succ_opt()).map(beijing_midnight),
        limit: PAGE_SIZE,
        // A page past the end shows nothing; no page number overflows the offset.
        offset: (page - 1).saturating_mul(PAGE_SIZE),
    };
    let fetched = {
        let filter = filter.clone();
        state
            .run(move |s| {
                let waiting = s
                    .handovers(None)?
                    .iter()
                    .filter(|h| h.state == liaison_domain::handover::HandoverState::Requested)
                    .count();
                Ok((
                    s.inbox(&filter)?,
                    s.inbox_counts(&filter)?,
                    s.departments()?,
                    s.all_columns()?,
                    waiting,
                ))
            })
            .await
    };
    let (items, counts, departments, columns, handovers_waiting) = match fetched {
        Ok(f) => f,
        Err(e) => return refusal::page(lang, &e),
    };
    let count_of = |st: ItemState| counts.iter().find(|c| c.state == st).map_or(0, |c| c.count);
    let all: u64 = counts.iter().map(|c| c.count).sum();
    let total = chosen_state.map_or(all, count_of);
    let tab = |value: &str, label: String, count: u64, selected: bool| {
        let mut p = params.clone();
        p.state = value.to_owned();
        p.page = None;
        StateTab {
            label,
            count,
            href: inbox_href(&p),
            selected,
        }
    };
    let mut states: Vec<StateTab> = INBOX_STATES
        .iter()
        .map(|&st| {
            tab(
                st.as_str(),
                state_label(lang, st),
                count_of(st),
                chosen_state == Some(st),
            )
        })
        .collect();
    states.push(tab(
        "all",
        lang.word("inbox.all_states"),
        all,
        chosen_state.is_none(),
    ));
    let pages = (total.div_ceil(u64::from(PAGE_SIZE)) as u32).max(1);
    let at_page = |n: u32| {
        let mut p = params.clone();
        p.page = Some(n);
        inbox_href(&p)
    };
    let now = state.clock.now();
    let dept_name = |id: i64| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map_or_else(String::new, |d: &DepartmentView| d.name.clone())
    };
    let rows = items
        .into_iter()
        .map(|i| InboxRow {
            id: i.id,
            receipt: i.receipt,
            title: i.title,
            department: i.department.name,
            column: i.column_name,
            holder: i.holder_name,
            version: i.version,
            state: state_label(lang, i.state),
            delivered: beijing(i.delivered_at),
            waited: waited(lang, i.waiting_since, now),
        })
        .collect();
    let selected_dept = parse_id(&params.department_id);
    let page_view = InboxPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        states,
        departments: departments
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: selected_dept == Some(d.id),
            })
            .collect(),
        columns: columns
            .iter()
            .filter(|c: &&ColumnView| selected_dept.is_none_or(|d| c.department_id == d))
            .map(|c| Choice {
                value: c.id.to_string(),
                label: format!("{} · {}", dept_name(c.department_id), c.name),
                selected: parse_id(&params.column_id) == Some(c.id),
            })
            .collect(),
        rows,
        page,
        pages,
        total,
        prev: (page > 1).then(|| at_page(page - 1)),
        next: (page < pages).then(|| at_page(page + 1)),
        params,
        handovers_waiting,
        error,
    };
    render::page(StatusCode::OK, lang, "inbox.html", page_view)
}

// --- one item ------------------------------------------------------------------------------------

#[derive(Serialize)]
struct FileRow {
    name: String,
    size: String,
    href: String,
    is_form: bool,
}

#[derive(Serialize)]
struct Moment {
    at: String,
    what: String,
    actor: String,
    role: String,
    text: Option<String>,
    quote: Option<String>,
}

#[derive(Serialize)]
struct ItemPage {
    who: String,
    csrf: String,
    id: i64,
    receipt: String,
    title: String,
    department: String,
    column: String,
    holder: String,
    version: u32,
    state: String,
    delivered: String,
    published_url: Option<String>,
    published_at: Option<String>,
    signed_off_by: Option<String>,
    attestation: Option<String>,
    body_html: String,
    files: Vec<FileRow>,
    timeline: Vec<Moment>,
    can_review: bool,
    now_local: String,
    error: Option<String>,
    /// What the editor typed, kept when a form is refused.
    draft: FormDraft,
}

#[derive(Serialize, Default)]
struct FormDraft {
    comment: String,
    quote: String,
    reason: String,
    published_url: String,
    text: String,
}

fn size_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!("{b} B"),
    }
}

fn moment(lang: Lang, e: &TimelineEntry) -> Moment {
    let role = match e.actor_role {
        Role::Officer => "role.officer",
        Role::Responsible => "role.responsible",
        Role::Editor => "role.editor",
        Role::Admin => "role.admin",
    };
    Moment {
        at: beijing(e.at),
        what: lang.word(&format!("timeline.{}", e.kind.as_str())),
        actor: e.actor.clone(),
        role: lang.word(role),
        text: e.text.clone(),
        quote: e.quote.clone(),
    }
}

async fn item_page(
    state: &AppState,
    editor: &Editor,
    id: i64,
    status: StatusCode,
    error: Option<String>,
    draft: FormDraft,
) -> Response {
    let lang = editor.lang;
    let fetched = state
        .run(move |s| {
            let item = s.item(id)?;
            Ok((item, s.departments()?, s.all_columns()?))
        })
        .await;
    let (item, departments, columns) = match fetched {
        Ok(f) => f,
        Err(e) => return refusal::page(lang, &e),
    };
    let Some(item) = item.and_then(|i| view_for(i, &editor.seat)) else {
        return render::error_page(StatusCode::NOT_FOUND, lang, lang.word("error.not_found"));
    };
    let ItemDetail { attestation, .. } = &item;
    let form_sha = attestation.as_ref().map(|a| a.form_sha256.clone());
    let page = ItemPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        id: item.id,
        receipt: item.receipt.clone(),
        title: item.title.clone(),
        department: departments
            .iter()
            .find(|d| d.id == item.department_id)
            .map_or_else(String::new, |d| d.name.clone()),
        column: columns
            .iter()
            .find(|c| c.id == item.column_id)
            .map_or_else(String::new, |c| c.name.clone()),
        holder: item.holder_name.clone(),
        version: item.version,
        state: state_label(lang, item.state),
        delivered: beijing(item.delivered_at),
        published_url: item.published_url.clone(),
        published_at: item.published_at.map(beijing),
        signed_off_by: item.signed_off_by.clone(),
        attestation: attestation
            .as_ref()
            .map(|a| format!("{} · {}", a.approver, a.approved_on)),
        body_html: render::body_for_console(item.id, &item.body_html),
        files: item
            .attachments
            .iter()
            .map(|f| FileRow {
                name: f.name.clone(),
                size: size_words(f.size),
                href: format!("/items/{}/files/{}", item.id, f.sha256),
                is_form: form_sha.as_deref() == Some(f.sha256.as_str()),
            })
            .collect(),
        timeline: item.timeline.iter().map(|e| moment(lang, e)).collect(),
        can_review: item.state == ItemState::Delivered,
        now_local: state
            .clock
            .now()
            .with_timezone(&BEIJING)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        error,
        draft,
    };
    render::page(status, lang, "item.html", page)
}

pub async fn item(State(state): State<AppState>, editor: Editor, Path(id): Path<i64>) -> Response {
    item_page(
        &state,
        &editor,
        id,
        StatusCode::OK,
        None,
        FormDraft::default(),
    )
    .await
}

pub async fn file(
    State(state): State<AppState>,
    editor: Editor,
    Path((id, sha256)): Path<(i64, String)>,
) -> Response {
    let lang = editor.lang;
    let found = state
        .run(move |s| Ok((s.item(id)?, s.item_file(id, &sha256)?)))
        .await;
    match found {
        Ok((Some(item), Some(file))) if may_see(&item, &editor.seat) => {
            match crate::web::file_response(&state.files, &file).await {
                Ok(r) => r,
                Err(e) => render::server_error_page(lang, &format!("file {}: {e}", file.sha256)),
            }
        }
        Ok(_) => render::error_page(StatusCode::NOT_FOUND, lang, lang.word("error.not_found")),
        Err(e) => refusal::page(lang, &e),
    }
}

// --- review forms --------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct AcceptForm {
    csrf: String,
    published_url: String,
    #[serde(default)]
    published_at: String,
}

#[derive(Deserialize)]
pub struct ReturnForm {
    csrf: String,
    comment: String,
    #[serde(default)]
    quote: String,
}

#[derive(Deserialize)]
pub struct RejectForm {
    csrf: String,
    reason: String,
}

#[derive(Deserialize)]
pub struct CommentForm {
    csrf: String,
    text: String,
    #[serde(default)]
    quote: String,
}

/// After a form: back to the item, or the item again with what went wrong and what was typed.
async fn after_form(
    state: &AppState,
    editor: Editor,
    id: i64,
    outcome: Result<(), StoreError>,
    draft: FormDraft,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/items/{id}")).into_response(),
        Err(e) => {
            let words = refusal::words(editor.lang, &e);
            item_page(state, &editor, id, refusal::status(&e), Some(words), draft).await
        }
    }
}

/// A `datetime-local` value, read as Beijing time.
fn beijing_input(s: &str) -> Option<chrono::DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    BEIJING
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A review form: refused unless it carries the session's form token; otherwise `action` runs
/// as the editor (see [`Editor::act`]), and the answer is the item again (see [`after_form`]).
async fn review_form<F>(
    state: &AppState,
    editor: Editor,
    id: i64,
    csrf: &str,
    draft: FormDraft,
    action: F,
) -> Response
where
    F: FnOnce(&dyn Store, &Actor<'_>, DateTime<Utc>) -> Result<(), StoreError> + Send + 'static,
{
    if csrf != editor.form_token {
        return forbidden_form(editor.lang);
    }
    let outcome = editor.act(state, action).await;
    after_form(state, editor, id, outcome, draft).await
}

pub async fn accept(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let draft = FormDraft {
        published_url: form.published_url.clone(),
        ..FormDraft::default()
    };
    let at = beijing_input(&form.published_at);
    let url = form.published_url;
    review_form(&state, editor, id, &form.csrf, draft, move |s, by, now| {
        let review = items::acceptance(&url, at, now)?;
        items::review(s, id, &review, by, now).map(drop)
    })
    .await
}

pub async fn return_item(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<ReturnForm>,
) -> Response {
    let draft = FormDraft {
        comment: form.comment.clone(),
        quote: form.quote.clone(),
        ..FormDraft::default()
    };
    let (comment, quote) = (form.comment, form.quote);
    review_form(&state, editor, id, &form.csrf, draft, move |s, by, now| {
        let c = items::remark(&comment, Some(&quote), "a return")?;
        let review = Review::Return {
            comment: c.text,
            quote: c.quote,
        };
        items::review(s, id, &review, by, now).map(drop)
    })
    .await
}

pub async fn reject(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Response {
    let draft = FormDraft {
        reason: form.reason.clone(),
        ..FormDraft::default()
    };
    let reason = form.reason;
    review_form(&state, editor, id, &form.csrf, draft, move |s, by, now| {
        let reason = items::remark(&reason, None, "a rejection")?.text;
        items::review(s, id, &Review::Reject { reason }, by, now).map(drop)
    })
    .await
}

pub async fn comment(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<CommentForm>,
) -> Response {
    let draft = FormDraft {
        text: form.text.clone(),
        quote: form.quote.clone(),
        ..FormDraft::default()
    };
    let (text, quote) = (form.text, form.quote);
    review_form(&state, editor, id, &form.csrf, draft, move |s, by, now| {
        let c = items::remark(&text, Some(&quote), "a comment")?;
        items::comment(s, id, &c, by, now).map(drop)
    })
    .await
}

// --- departments' sign-off ----------------------------------------------------------------------

#[derive(Serialize)]
struct DepartmentRow {
    id: i64,
    name: String,
    signoff: &'static str,
    signoff_label: String,
}

#[derive(Serialize)]
struct DepartmentsPage {
    who: String,
    csrf: String,
    departments: Vec<DepartmentRow>,
    policies: Vec<Choice>,
    may_change: bool,
    error: Option<String>,
}

pub async fn departments(State(state): State<AppState>, editor: Editor) -> Response {
    let lang = editor.lang;
    let listed = match state.run(|s| s.departments()).await {
        Ok(d) => d,
        Err(e) => return refusal::page(lang, &e),
    };
    let label = |p: SignoffPolicy| lang.word(&format!("departments.{}", p.as_str()));
    let page = DepartmentsPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        departments: listed
            .into_iter()
            .map(|d| DepartmentRow {
                id: d.id,
                name: d.name,
                signoff: d.signoff.as_str(),
                signoff_label: label(d.signoff),
            })
            .collect(),
        policies: SignoffPolicy::ALL
            .into_iter()
            .map(|p| Choice {
                value: p.as_str().to_owned(),
                label: label(p),
                selected: false,
            })
            .collect(),
        may_change: editor.seat.role == Role::Admin,
        error: None,
    };
    render::page(StatusCode::OK, lang, "departments.html", page)
}

#[derive(Deserialize)]
pub struct SignoffForm {
    csrf: String,
    signoff: String,
}

pub async fn set_signoff(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<SignoffForm>,
) -> Response {
    let lang = editor.lang;
    if form.csrf != editor.form_token {
        return forbidden_form(lang);
    }
    if editor.seat.role != Role::Admin {
        return render::error_page(StatusCode::FORBIDDEN, lang, lang.word("error.admin_only"));
    }
    let Some(policy) = SignoffPolicy::parse(&form.signoff) else {
        return render::error_page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.word("error.bad_request"),
        );
    };
    match editor
        .act(&state, move |s, by, now| {
            crate::service::duties::set_signoff_policy(s, id, policy, by, now)
        })
        .await
    {
        Ok(()) => {
            tracing::info!(department = id, signoff = policy.as_str(), by = %editor.seat.login, "sign-off policy set");
            Redirect::to("/departments").into_response()
        }
        Err(e) => refusal::page(lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form_token;

    #[test]
    fn a_form_token_belongs_to_its_session() {
        assert_eq!(form_token("a"), form_token("a"));
        assert_ne!(form_token("a"), form_token("b"));
        assert_ne!(form_token("a"), auth::token_hash("a"));
    }

    #[test]
    fn datetime_inputs_are_beijing_time() {
        let t = beijing_input("2026-11-27T08:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T00:30:00+00:00");
        assert!(beijing_input("27/11/2026").is_none());
    }
}
