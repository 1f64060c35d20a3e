//! 部门签发方式: how each department signs off what it sends; the administrator changes it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use liaison_domain::{Role, SignoffPolicy};
use serde::{Deserialize, Serialize};

use super::inbox::Choice;
use super::refusal;
use super::render;
use super::{Editor, Form, Path};
use crate::web::AppState;

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
    if let Some(refused) = super::admin_form_refusal(&editor, &form.csrf) {
        return refused;
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
