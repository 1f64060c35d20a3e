//! The HTTP API under `/api/v1`: routing, the caller's identity, and the OpenAPI document.

mod departments;
mod drafts;
mod duties;
mod error;
pub(crate) mod files;
pub(crate) mod handovers;
pub(crate) mod items;
mod openapi;
pub(crate) mod quota;
pub(crate) mod sessions;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Duration;
use liaison_domain::wire::ErrorCode;
use liaison_domain::{Role, SeatView};
use tokio::sync::watch;

pub use error::ApiFailure;

use crate::auth;
use crate::clock::Clock;
use crate::files::FileStore;
use crate::store::Store;

/// Largest send request: the largest body the rules allow, plus room for the rest of the JSON.
pub const MAX_ITEM_BYTES: usize = liaison_domain::content::MAX_BODY_BYTES + 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub session_ttl: Duration,
    /// Bumped after every write to the change log, to wake long polls.
    pub changes: Arc<watch::Sender<u64>>,
    /// Uploaded and complete files.
    pub files: FileStore,
    /// Failed sign-ins per seat and per address.
    pub sign_ins: Arc<crate::throttle::SignInThrottle>,
    /// Write rates, upload quotas, the free space kept and the sweep (`AppState::with_limits`).
    pub limits: Arc<crate::limits::Limits>,
    /// Each seat's writes by kind, under `limits.writes`.
    pub writes: Arc<crate::limits::WriteLimiter>,
    /// Reads the free space of the data folder's filesystem (tests put a full disk here).
    pub free_space: Arc<dyn crate::limits::FreeSpace>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, files: FileStore) -> Self {
        AppState {
            store,
            clock,
            session_ttl: Duration::hours(12),
            changes: Arc::new(watch::channel(0).0),
            files,
            sign_ins: Arc::default(),
            limits: Arc::default(),
            writes: Arc::new(crate::limits::WriteLimiter::new(&Default::default())),
            free_space: Arc::new(crate::limits::FilesystemSpace),
        }
    }

    /// Runs a store call off the async threads.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ApiFailure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, ApiFailure> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiFailure::internal(format!("worker failed: {e}")))?
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/sessions", post(sessions::sign_in))
        .route(
            "/sessions/current",
            get(sessions::who_am_i).delete(sessions::sign_out),
        )
        .route("/columns", get(items::columns))
        .route(
            "/items",
            get(items::my_items)
                .post(items::submit)
                .layer(DefaultBodyLimit::max(MAX_ITEM_BYTES)),
        )
        .route("/items/{id}", get(items::item))
        .route("/items/{id}/files/{sha256}", get(files::download))
        .route("/uploads", post(files::begin))
        .route("/uploads/{sha256}", get(files::status).patch(files::append))
        .route("/uploads/{sha256}/content", get(files::content))
        .route("/calendar", get(duties::calendar))
        .route("/calendar/{year}", put(duties::set_calendar_year))
        .route("/board", get(duties::board))
        .route("/columns/{id}/urge", post(duties::urge))
        .route("/columns/{id}/updates", post(duties::record_update))
        .route("/timeliness", get(duties::timeliness))
        .route(
            "/wordlists",
            get(duties::word_lists).put(duties::set_word_lists),
        )
        .route("/drafts", get(drafts::list))
        .route(
            "/drafts/{draft_key}",
            put(drafts::put).layer(DefaultBodyLimit::max(MAX_ITEM_BYTES)),
        )
        .route("/items/{id}/approve", post(items::approve))
        .route("/items/{id}/comments", post(items::comment))
        .route("/signoffs", get(items::signoff_queue))
        .route("/inbox/counts", get(items::inbox_counts))
        .route("/departments", get(departments::list))
        .route("/departments/{id}/signoff", put(departments::set_signoff))
        .route("/handovers", get(handovers::list).post(handovers::start))
        .route("/handovers/redeem", post(handovers::redeem))
        .route("/handovers/{id}/approve", post(handovers::approve))
        .route("/handovers/{id}/decline", post(handovers::decline))
        .route("/handovers/{id}/code", get(handovers::code))
        .route("/seats", get(handovers::seats))
        .route("/seats/{id}/holders", get(handovers::holders))
        .route("/audit", get(handovers::audit))
        .route("/items/{id}/accept", post(items::accept))
        .route("/items/{id}/return", post(items::return_item))
        .route("/items/{id}/reject", post(items::reject))
        .route("/inbox", get(items::inbox))
        .route("/changes", get(items::changes))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { ApiFailure::not_found("route") });
    Router::new()
        .nest(
            "/api/v1",
            api.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                quota::limit_writes,
            )),
        )
        .merge(crate::console::router())
        .with_state(state)
}

/// The signed-in seat making the request.
pub struct Caller(pub SeatView, pub String);

impl Caller {
    /// Who acts and from where, for the store (and its audit log).
    pub fn actor(&self) -> crate::store::Actor<'_> {
        crate::store::Actor {
            seat: &self.0,
            address: &self.1,
        }
    }
}

impl Caller {
    pub fn require_office(&self) -> Result<(), ApiFailure> {
        if self.0.role.is_office() {
            Ok(())
        } else {
            Err(ApiFailure::forbidden(
                "only the editorial office may do this",
            ))
        }
    }

    pub fn require_role(&self, role: Role) -> Result<(), ApiFailure> {
        if self.0.role == role {
            Ok(())
        } else {
            Err(ApiFailure::forbidden(format!(
                "only a seat with the role {} may do this",
                role.as_str()
            )))
        }
    }

    /// The caller's seat id, if it is a department's seat (files and drafts are theirs).
    pub fn department_seat(&self) -> Result<i64, ApiFailure> {
        if self.0.role.is_office() {
            return Err(ApiFailure::forbidden(
                "only a department's seats keep drafts and upload files",
            ));
        }
        Ok(self.0.id)
    }

    /// Department seats reach only their own department; office seats reach all.
    pub fn require_department(&self, department_id: i64) -> Result<(), ApiFailure> {
        if self.0.role.is_office() || self.0.department.id == department_id {
            Ok(())
        } else {
            Err(ApiFailure::forbidden("this belongs to another department"))
        }
    }
}

/// The bearer token of the request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiFailure> {
        let hash =
            auth::token_hash(bearer(&parts.headers).ok_or_else(ApiFailure::unauthenticated)?);
        let address = client_address(parts);
        let now = state.clock.now();
        let found = state
            .blocking(move |s| {
                Ok(match s.session_seat(&hash, now)? {
                    Some(seat) => Ok(seat),
                    None => Err(s.revoked_session(&hash)?),
                })
            })
            .await?;
        match found {
            Ok(seat) => Ok(Caller(seat, address)),
            // A session a handover ended: the desk must stop, and learns what to do with its data.
            Err(Some(outgoing)) => Err(ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                match outgoing {
                    liaison_domain::handover::OutgoingData::KeepReadOnly => {
                        ErrorCode::SeatHandedOver
                    }
                    liaison_domain::handover::OutgoingData::Wipe => ErrorCode::SeatHandedOverWipe,
                },
                "this seat was handed over to a successor; this session has ended for good",
            )),
            Err(None) => Err(ApiFailure::unauthenticated()),
        }
    }
}

/// The client's address, for the audit log.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

/// The address a request came from (the TCP peer).
pub fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// `Path` whose rejections are answered in the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiFailure))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are answered in the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiFailure))]
pub struct ApiQuery<T>(pub T);

/// `Json` whose rejections are answered in the API's error format.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiFailure))]
pub struct ApiJson<T>(pub T);

pub fn bad_request(message: impl Into<String>) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
}

pub type ApiResult<T> = Result<Json<T>, ApiFailure>;
