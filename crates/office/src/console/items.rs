//! One item: its facts, body, files and timeline, and the review forms (accept, return,
//! reject, comment), each through the service as the signed-in editor.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use liaison_domain::calendar::BEIJING;
use liaison_domain::wire::{ItemDetail, TimelineEntry};
use liaison_domain::{ItemState, Role};
use serde::{Deserialize, Serialize};

use super::inbox::state_label;
use super::refusal;
use super::render::{self, Lang, beijing};
use super::{Editor, Form, Path};
use crate::service::items;
use crate::store::{Actor, Review, Store, StoreError, may_see, view_for};
use crate::web::AppState;

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
    if let Some(refused) = editor.form_refusal(csrf) {
        return refused;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_inputs_are_beijing_time() {
        let t = beijing_input("2026-11-27T08:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T00:30:00+00:00");
        assert!(beijing_input("27/11/2026").is_none());
    }
}
