//! Every failure a handler can answer with: a stable `code`, the one status that code has
//! (`ErrorCode::http_status`), and a message for people reading logs.
//!
//! Messages never quote what the caller sent (a rejected body or path is described, not echoed),
//! and a server error never shows its cause: the answer carries a generic message with an id, and
//! the log holds the same id with the cause.

use std::any::Any;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use liaison_domain::wire::{ApiError, ErrorCode};

use crate::store::StoreError;
use crate::web::{error_id, panic_text};

/// Seconds a caller waits before trying again while the database does not answer.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The header a server error's id is also sent in.
pub const ERROR_ID_HEADER: &str = "x-error-id";

#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Extra headers of the answer (e.g. `Retry-After`).
    pub headers: Vec<(axum::http::HeaderName, HeaderValue)>,
    /// The item the refusal is about, named in the answer (`ApiError::item_id`).
    pub item_id: Option<i64>,
}

impl ApiFailure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiFailure {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            headers: Vec::new(),
            item_id: None,
        }
    }

    /// Names the item the refusal is about.
    pub fn about_item(mut self, id: i64) -> Self {
        self.item_id = Some(id);
        self
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: axum::http::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Too many failed sign-ins (or one-time codes) for a login or from an address: 429 with
    /// `Retry-After`, the seconds until the next attempt is taken.
    pub fn too_many_attempts(wait: chrono::Duration) -> Self {
        let secs = crate::web::retry_after_secs(wait.to_std().unwrap_or_default());
        Self::new(
            ErrorCode::TooManyAttempts,
            format!("too many failed attempts; try again in {secs} s"),
        )
        .with_header(axum::http::header::RETRY_AFTER, HeaderValue::from(secs))
    }

    pub fn seat_disabled() -> Self {
        Self::new(
            ErrorCode::SeatDisabled,
            "the editorial office disabled this seat; it can neither sign in nor send until it \
             is enabled again",
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "sign in first; the session is missing or has expired",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// The office's database does not answer: 503 with `Retry-After`, and the desk keeps what it
    /// sends queued. `cause` goes to the log only.
    pub fn unavailable(cause: &str) -> Self {
        tracing::warn!(%cause, "the database does not answer");
        Self::new(
            ErrorCode::Unavailable,
            "the office's database does not answer for now; try again shortly",
        )
        .with_header(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
        )
    }

    /// A failure of the office itself; `cause` goes to the log only.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, cause)
    }
}

/// What a server error tells the caller: nothing of its cause.
fn server_error_message(id: &str) -> String {
    format!("the office could not complete this request (error id {id})")
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        // A failure of the office itself says nothing of its cause; a full disk (507) is a
        // condition the caller is told plainly.
        let (message, id) = if self.code == ErrorCode::Internal {
            let id = error_id();
            tracing::error!(error_id = %id, code = ?self.code, cause = %self.message, "request failed");
            (server_error_message(&id), Some(id))
        } else {
            (self.message, None)
        };
        let mut response = (
            self.status,
            Json(ApiError {
                code: self.code,
                message,
                item_id: self.item_id,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        if let Some(v) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            headers.insert(ERROR_ID_HEADER, v);
        }
        response
    }
}

/// The answer to a handler that panicked: a logged 500 in the API's form.
pub fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    ApiFailure::internal(format!("handler panicked: {}", panic_text(panic.as_ref())))
        .into_response()
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiFailure::not_found("item"),
            StoreError::IllegalTransition(t) => {
                ApiFailure::new(ErrorCode::InvalidTransition, t.to_string())
            }
            StoreError::Forbidden(m) => ApiFailure::forbidden(m),
            StoreError::Conflict(m) => ApiFailure::new(ErrorCode::Conflict, m),
            StoreError::Invalid(m) => ApiFailure::validation(m),
            StoreError::Organisation(p) => {
                use liaison_domain::organisation::OrgProblem as P;
                let code = match p {
                    P::LoginTaken(_) | P::DepartmentNameTaken(_) | P::PathTaken(_) => {
                        ErrorCode::Conflict
                    }
                    _ => ErrorCode::Validation,
                };
                ApiFailure::new(code, p.to_string())
            }
            StoreError::Commission(p) => ApiFailure::validation(p.to_string()),
            StoreError::Urge(p) => ApiFailure::validation(p.to_string()),
            StoreError::Scheme(p) => ApiFailure::validation(p.to_string()),
            StoreError::Backend(m) => ApiFailure::internal(m),
            StoreError::Unavailable(cause) => ApiFailure::unavailable(&cause),
        }
    }
}

impl From<JsonRejection> for ApiFailure {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiFailure::validation(format!(
                "the body does not have the fields and types this route takes{}",
                field_of(&e.body_text())
            )),
            JsonRejection::JsonSyntaxError(_) => ApiFailure::bad_request("the body is not JSON"),
            JsonRejection::MissingJsonContentType(_) => ApiFailure::new(
                ErrorCode::UnsupportedMediaType,
                "the body must be sent as Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiFailure::new(ErrorCode::PayloadTooLarge, "the body is too large")
            }
            _ => ApiFailure::bad_request("the body could not be read"),
        }
    }
}

/// The field a JSON data error is about (`title`, `attachments[0].size`), never its value:
/// serde's message reads "…: title: invalid type: integer `5`, expected a string at line 1".
fn field_of(serde_message: &str) -> String {
    let after = serde_message
        .split_once("target type: ")
        .map_or(serde_message, |(_, rest)| rest);
    after
        .split_once(": ")
        .map_or_else(String::new, |(path, _)| field_note(path))
}

/// " (at PATH)" for a field path made of names and indexes; nothing for anything else, so a
/// message never carries what a caller made up.
pub fn field_note(path: &str) -> String {
    let plain = !path.is_empty()
        && path != "."
        && path.len() <= 100
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    if plain {
        format!(" (at {path})")
    } else {
        String::new()
    }
}

impl From<PathRejection> for ApiFailure {
    fn from(r: PathRejection) -> Self {
        if r.status().is_server_error() {
            return ApiFailure::internal(r.body_text());
        }
        ApiFailure::bad_request("the address holds a malformed value (an id is a whole number)")
    }
}

impl From<QueryRejection> for ApiFailure {
    fn from(_: QueryRejection) -> Self {
        ApiFailure::bad_request("the query string holds a malformed or unknown value")
    }
}

impl From<crate::files::FileError> for ApiFailure {
    fn from(e: crate::files::FileError) -> Self {
        use crate::files::FileError as F;
        if let F::Unavailable(cause) = &e {
            return ApiFailure::unavailable(cause);
        }
        let code = match &e {
            F::OffsetMismatch { .. } | F::Busy => ErrorCode::Conflict,
            F::PastEnd => ErrorCode::PayloadTooLarge,
            F::DigestMismatch => ErrorCode::DigestMismatch,
            F::Unsupported => ErrorCode::UnsupportedFile,
            F::Interrupted(_) => ErrorCode::BadRequest,
            F::Io(_) | F::Database(_) | F::Unavailable(_) => ErrorCode::Internal,
        };
        ApiFailure::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_error_names_the_field_never_the_value() {
        for (serde, want) in [
            (
                "Failed to deserialize the JSON body into the target type: title: invalid type: integer `5`, expected a string at line 1 column 11",
                " (at title)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: attachments[0].size: invalid type: string \"<script>\", expected u64",
                " (at attachments[0].size)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: missing field `title` at line 1 column 2",
                "",
            ),
            (
                "Failed to deserialize the JSON body into the target type: <b>x</b>: y",
                "",
            ),
        ] {
            assert_eq!(field_of(serde), want, "{serde}");
        }
    }

    #[test]
    fn a_server_error_answers_with_an_id_and_not_its_cause() {
        let r = ApiFailure::internal("Conversion error from type Text at index: 0").into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = r.headers()[ERROR_ID_HEADER].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 8);
        let body = futures_util::FutureExt::now_or_never(axum::body::to_bytes(r.into_body(), 4096))
            .unwrap()
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains(&id) && !text.contains("Conversion"), "{text}");
    }
}
