//! The console's seats and handovers page: every seat with its holders, the handovers under
//! way, the administrator's approval (which shows the one-time code once) or refusal, and the
//! forced handover for a seat whose holder is gone.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use liaison_domain::handover::{OutgoingData, Successor};
use liaison_domain::{Role, SeatView};
use serde::{Deserialize, Serialize};

use super::refusal;
use super::render::{self, Lang, beijing};
use super::{Editor, Form, Path};
use crate::service::handovers as service;
use crate::store::NewHandover;
use crate::web::AppState;

#[derive(Serialize)]
struct HolderRow {
    name: String,
    staff_no: String,
    period: String,
}

#[derive(Serialize)]
struct SeatRow {
    id: i64,
    department: String,
    login: String,
    role: String,
    holder: String,
    holders: Vec<HolderRow>,
}

#[derive(Serialize)]
struct HandoverRow {
    id: i64,
    department: String,
    seat_login: String,
    outgoing_holder: String,
    successor: String,
    state: String,
    forced: bool,
    awaiting: bool,
    requested_by: String,
    requested_at: String,
    reason: Option<String>,
    expires: Option<String>,
}

#[derive(Serialize)]
struct SeatsPage {
    who: String,
    csrf: String,
    seats: Vec<SeatRow>,
    department_seats: Vec<SeatRow>,
    open: Vec<HandoverRow>,
    may_decide: bool,
    error: Option<String>,
}

fn role_word(lang: Lang, seat: &SeatView) -> String {
    lang.word(&format!("role.{}", seat.role.as_str()))
}

pub async fn seats(State(state): State<AppState>, editor: Editor) -> Response {
    let lang = editor.lang;
    let fetched = state
        .run(|s| {
            let seats = s.seats()?;
            let mut with_holders = Vec::with_capacity(seats.len());
            for seat in seats {
                let holders = s.holders(seat.id)?;
                with_holders.push((seat, holders));
            }
            Ok((with_holders, s.handovers(None)?))
        })
        .await;
    let (seats, handovers) = match fetched {
        Ok(f) => f,
        Err(e) => return refusal::page(lang, &e),
    };
    let now = state.clock.now();
    let rows: Vec<SeatRow> = seats
        .into_iter()
        .map(|(seat, holders)| SeatRow {
            id: seat.id,
            department: seat.department.name.clone(),
            login: seat.login.clone(),
            role: role_word(lang, &seat),
            holder: seat.holder_name.clone(),
            holders: holders
                .into_iter()
                .map(|h| HolderRow {
                    name: h.name,
                    staff_no: h.staff_no,
                    period: format!(
                        "{} – {}",
                        beijing(h.from),
                        h.until
                            .map_or_else(|| lang.word("seats.until_now"), beijing)
                    ),
                })
                .collect(),
        })
        .collect();
    let department_seats = rows
        .iter()
        .filter(|r| r.department != "门户网站编辑部")
        .map(|r| SeatRow {
            id: r.id,
            department: r.department.clone(),
            login: r.login.clone(),
            role: r.role.clone(),
            holder: r.holder.clone(),
            holders: Vec::new(),
        })
        .collect();
    let open = handovers
        .into_iter()
        .filter(|h| h.state.is_open() && h.code_expires_at.is_none_or(|t| t > now))
        .map(|h| HandoverRow {
            id: h.id,
            department: h.department,
            seat_login: h.seat_login,
            outgoing_holder: h.outgoing_holder,
            successor: format!(
                "{}（{}，{}）",
                h.successor.name, h.successor.staff_no, h.successor.phone
            ),
            state: lang.word(&format!("seats.state.{}", h.state.as_str())),
            forced: h.forced,
            awaiting: h.state == liaison_domain::handover::HandoverState::Requested,
            requested_by: h.requested_by,
            requested_at: beijing(h.requested_at),
            reason: h.reason,
            expires: h.code_expires_at.map(beijing),
        })
        .collect();
    let page = SeatsPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        seats: rows,
        department_seats,
        open,
        may_decide: editor.seat.role == Role::Admin,
        error: None,
    };
    render::page(StatusCode::OK, lang, "seats.html", page)
}

#[derive(Deserialize)]
pub struct ApproveForm {
    csrf: String,
    #[serde(default)]
    outgoing: String,
}

#[derive(Serialize)]
struct CodePage {
    who: String,
    csrf: String,
    seat_login: String,
    code: String,
    expires: String,
    error: Option<String>,
}

/// Approves and shows the code, this once (the page is not cached).
pub async fn approve(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
    }
    let outgoing = match form.outgoing.as_str() {
        "wipe" => OutgoingData::Wipe,
        _ => OutgoingData::KeepReadOnly,
    };
    match editor
        .act(&state, move |s, by, now| {
            service::approve(s, id, outgoing, by, now)
        })
        .await
    {
        Ok(code) => {
            let page = CodePage {
                who: editor.seat.holder_name.clone(),
                csrf: editor.form_token.clone(),
                seat_login: code.seat_login,
                code: code.code,
                expires: beijing(code.expires_at),
                error: None,
            };
            render::page(StatusCode::OK, lang, "handover_code.html", page)
        }
        Err(e) => refusal::page(lang, &e),
    }
}

#[derive(Deserialize)]
pub struct DeclineForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn decline(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Form(form): Form<DeclineForm>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
    }
    let reason = form.reason;
    match editor
        .act(&state, move |s, by, now| {
            service::decline(s, id, Some(&reason), by, now)
        })
        .await
    {
        Ok(_) => Redirect::to("/seats").into_response(),
        Err(e) => refusal::page(lang, &e),
    }
}

#[derive(Deserialize)]
pub struct ForceForm {
    csrf: String,
    seat_id: i64,
    name: String,
    staff_no: String,
    phone: String,
    reason: String,
}

/// The administrator starts a handover for a seat whose holder is gone.
pub async fn force(
    State(state): State<AppState>,
    editor: Editor,
    Form(form): Form<ForceForm>,
) -> Response {
    let lang = editor.lang;
    if let Some(refused) = super::admin_form_refusal(&editor, &form.csrf) {
        return refused;
    }
    let successor = match (Successor {
        name: form.name,
        staff_no: form.staff_no,
        phone: form.phone,
    })
    .checked()
    {
        Ok(s) => s,
        Err(_) => {
            return render::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                lang.word("error.validation"),
            );
        }
    };
    let new = NewHandover {
        seat_id: form.seat_id,
        successor,
        forced: true,
        reason: Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    let started = editor
        .act(&state, move |s, by, now| service::start(s, &new, by, now))
        .await;
    match started {
        Ok(_) => Redirect::to("/seats").into_response(),
        Err(e) => refusal::page(lang, &e),
    }
}
