//! The organisation's import in the console: upload a sheet, see the plan (every department,
//! column and seat created, changed, moved or retired, or every refused row with its number and
//! reason), then confirm it. The confirmation carries the sheet back (base64, in the form) and the
//! plan's digest, so what is applied is exactly what was shown, or nothing. New seats' one-time
//! codes end on a page to print.

use axum::extract::{FromRequest, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use liaison_domain::Role;
use serde::Serialize;

use super::Editor;
use super::organisation::codes_page;
use super::refusal;
use super::render::{self, Lang};
use crate::service::import::{ImportReport, import as import_rows};
use crate::web::AppState;

#[derive(Serialize, Default)]
struct ImportPage {
    who: String,
    csrf: String,
    error: Option<String>,
    file_name: String,
    report: Option<ImportReport>,
    /// The sheet again, for the confirmation.
    sheet_b64: String,
    /// The plan changed since the preview: shown again, not applied.
    stale: bool,
}

fn page(editor: &Editor) -> ImportPage {
    ImportPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        ..ImportPage::default()
    }
}

pub async fn import_page(editor: Editor) -> Response {
    if editor.seat.role != Role::Admin {
        let lang = editor.lang;
        return render::error_page(StatusCode::FORBIDDEN, lang, lang.word("error.admin_only"));
    }
    render::page(StatusCode::OK, editor.lang, "import.html", page(&editor))
}

/// What the form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    action: String,
    file_name: String,
    bytes: Vec<u8>,
    plan_digest: Option<String>,
}

async fn read_form(mut form: Multipart) -> Option<Upload> {
    let mut up = Upload::default();
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "sheet" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.ok()?;
                if !bytes.is_empty() {
                    up.file_name = file_name;
                    up.bytes = bytes.to_vec();
                }
            }
            "sheet_b64" => {
                let text = field.text().await.ok()?;
                if !text.is_empty() {
                    up.bytes = BASE64.decode(text.trim()).ok()?;
                }
            }
            "file_name" => {
                let text = field.text().await.ok()?;
                if !text.is_empty() {
                    up.file_name = text;
                }
            }
            "csrf" => up.csrf = field.text().await.ok()?,
            "action" => up.action = field.text().await.ok()?,
            "plan_digest" => up.plan_digest = Some(field.text().await.ok()?),
            _ => {}
        }
    }
    Some(up)
}

fn refused(editor: &Editor, status: StatusCode, words: String) -> Response {
    let mut shown = page(editor);
    shown.error = Some(words);
    render::page(status, editor.lang, "import.html", shown)
}

pub async fn import(
    State(state): State<AppState>,
    editor: Editor,
    request: axum::extract::Request,
) -> Response {
    let lang: Lang = editor.lang;
    // Who may is settled before the body is read.
    if editor.seat.role != Role::Admin {
        return render::error_page(StatusCode::FORBIDDEN, lang, lang.word("error.admin_only"));
    }
    let bad_request = || {
        render::error_page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.word("error.bad_request"),
        )
    };
    let Ok(form) = Multipart::from_request(request, &state).await else {
        return bad_request();
    };
    let Some(up) = read_form(form).await else {
        return bad_request();
    };
    if let Some(refused) = super::admin_form_refusal(&editor, &up.csrf) {
        return refused;
    }
    if up.bytes.is_empty() {
        return refused(
            &editor,
            StatusCode::BAD_REQUEST,
            lang.word("import.no_file"),
        );
    }
    // The sheet's own errors are in Chinese already (the office's words for administrators).
    let raw = match crate::orgsheet::read_sheet(&up.bytes, &up.file_name) {
        Ok(raw) => raw,
        Err(e) => return refused(&editor, StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let apply = up.action == "apply";
    let expect = up.plan_digest.clone();
    let report = match liaison_domain::orgsheet::rows(&raw) {
        Err(rows_refused) => ImportReport::refused(rows_refused),
        Ok(rows) => {
            let done = editor
                .act(&state, move |s, by, now| {
                    import_rows(s, &rows, !apply, expect.as_deref(), by, now)
                })
                .await;
            match done {
                Ok(report) => report,
                Err(e) => return refusal::page(lang, &e),
            }
        }
    };
    if report.applied {
        tracing::info!(by = %editor.seat.login, seats = report.codes.len(), "organisation imported");
        if !report.codes.is_empty() {
            return codes_page(&editor, &report.codes);
        }
    }
    let status = if report.rows_refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut shown = page(&editor);
    shown.stale = report.stale;
    shown.file_name = up.file_name;
    shown.sheet_b64 = if report.rows_refused.is_empty() && !report.applied {
        BASE64.encode(&up.bytes)
    } else {
        String::new()
    };
    shown.report = Some(report);
    render::page(status, lang, "import.html", shown)
}
