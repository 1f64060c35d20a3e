//! Every failure a handler can answer with: a status and a JSON body with a stable `code`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liaison_domain::wire::{ApiError, ErrorCode};

use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "sign in first; the session is missing or has expired",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Validation,
            message,
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            message,
        )
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = ?self.code, message = %self.message, "request failed");
        }
        (
            self.status,
            Json(ApiError {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiFailure::not_found("item"),
            StoreError::IllegalTransition(t) => ApiFailure::new(
                StatusCode::CONFLICT,
                ErrorCode::InvalidTransition,
                t.to_string(),
            ),
            StoreError::Forbidden(m) => ApiFailure::forbidden(m),
            StoreError::Conflict(m) => {
                ApiFailure::new(StatusCode::CONFLICT, ErrorCode::Conflict, m)
            }
            StoreError::Backend(m) => ApiFailure::internal(m),
        }
    }
}

impl From<JsonRejection> for ApiFailure {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::PayloadTooLarge
        } else {
            ErrorCode::BadRequest
        };
        ApiFailure::new(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiFailure {
    fn from(r: PathRejection) -> Self {
        ApiFailure::new(r.status(), ErrorCode::BadRequest, r.body_text())
    }
}

impl From<QueryRejection> for ApiFailure {
    fn from(r: QueryRejection) -> Self {
        ApiFailure::new(r.status(), ErrorCode::BadRequest, r.body_text())
    }
}

impl From<crate::files::FileError> for ApiFailure {
    fn from(e: crate::files::FileError) -> Self {
        use crate::files::FileError as F;
        let (status, code) = match &e {
            F::OffsetMismatch { .. } | F::Busy => (StatusCode::CONFLICT, ErrorCode::Conflict),
            F::PastEnd => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            F::DigestMismatch => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::DigestMismatch),
            F::Unsupported => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedFile,
            ),
            F::Interrupted(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            F::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        };
        ApiFailure::new(status, code, e.to_string())
    }
}
