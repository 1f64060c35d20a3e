//! The HTTP API under `/api/v1`: routing, the caller's identity, and the OpenAPI document.

mod commissions;
mod departments;
mod drafts;
mod duties;
mod error;
pub(crate) mod files;
pub(crate) mod handovers;
pub(crate) mod items;
mod openapi;
mod organisation;
pub(crate) mod quota;
pub(crate) mod sessions;
mod standing;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::Method;
use axum::http::request::Parts;
use axum::{Json, Router};
use liaison_domain::wire::ErrorCode;
use liaison_domain::{Role, SeatView};

pub use crate::web::{AppState, ClientAddress, Origin, origin};
pub use error::{ApiFailure, UNAVAILABLE_RETRY_AFTER_SECS};

use crate::routes::RouteEntry;

use crate::auth;
use crate::store::{SessionEnd, Store};

/// Largest send request: the largest body the rules allow, plus room for the rest of the JSON.
pub const MAX_ITEM_BYTES: usize = liaison_domain::content::MAX_BODY_BYTES + 1024 * 1024;

impl AppState {
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

/// Every route of the API, relative to `/api/v1`.
pub fn api_routes() -> Vec<RouteEntry> {
    use Method as M;
    vec![
        RouteEntry::new(M::POST, "/sessions", sessions::sign_in),
        RouteEntry::new(M::GET, "/sessions/current", sessions::who_am_i),
        RouteEntry::new(M::DELETE, "/sessions/current", sessions::sign_out),
        RouteEntry::new(M::GET, "/columns", items::columns),
        RouteEntry::new(M::GET, "/items", items::my_items),
        RouteEntry::new(M::POST, "/items", items::submit).body_limit(MAX_ITEM_BYTES),
        RouteEntry::new(M::GET, "/items/{id}", items::item),
        RouteEntry::new(M::GET, "/items/{id}/files/{sha256}", files::download),
        RouteEntry::new(M::POST, "/uploads", files::begin),
        RouteEntry::new(M::GET, "/uploads/{sha256}", files::status),
        RouteEntry::new(M::PATCH, "/uploads/{sha256}", files::append),
        RouteEntry::new(M::GET, "/uploads/{sha256}/content", files::content),
        RouteEntry::new(M::GET, "/calendar", duties::calendar),
        RouteEntry::new(M::PUT, "/calendar/{year}", duties::set_calendar_year),
        RouteEntry::new(M::GET, "/board", duties::board),
        RouteEntry::new(M::POST, "/columns/{id}/urge", duties::urge),
        RouteEntry::new(M::POST, "/columns/{id}/updates", duties::record_update),
        RouteEntry::new(M::GET, "/timeliness", duties::timeliness),
        RouteEntry::new(M::GET, "/wordlists", duties::word_lists),
        RouteEntry::new(M::PUT, "/wordlists", duties::set_word_lists),
        RouteEntry::new(M::GET, "/drafts", drafts::list),
        RouteEntry::new(M::PUT, "/drafts/{draft_key}", drafts::put).body_limit(MAX_ITEM_BYTES),
        RouteEntry::new(M::POST, "/items/{id}/approve", items::approve),
        RouteEntry::new(M::POST, "/items/{id}/comments", items::comment),
        RouteEntry::new(M::GET, "/signoffs", items::signoff_queue),
        RouteEntry::new(M::GET, "/inbox/counts", items::inbox_counts),
        RouteEntry::new(M::GET, "/commissions", commissions::list),
        RouteEntry::new(M::POST, "/commissions", commissions::post),
        RouteEntry::new(M::GET, "/commissions/{id}", commissions::one),
        RouteEntry::new(M::POST, "/commissions/{id}/extend", commissions::extend),
        RouteEntry::new(M::POST, "/commissions/{id}/withdraw", commissions::withdraw),
        RouteEntry::new(M::GET, "/standing", standing::standing),
        RouteEntry::new(M::GET, "/departments", departments::list),
        RouteEntry::new(
            M::PUT,
            "/departments/{id}/signoff",
            departments::set_signoff,
        ),
        RouteEntry::new(M::GET, "/handovers", handovers::list),
        RouteEntry::new(M::POST, "/handovers", handovers::start),
        RouteEntry::new(M::POST, "/handovers/redeem", handovers::redeem),
        RouteEntry::new(M::POST, "/handovers/{id}/approve", handovers::approve),
        RouteEntry::new(M::POST, "/handovers/{id}/decline", handovers::decline),
        RouteEntry::new(M::GET, "/handovers/{id}/code", handovers::code),
        RouteEntry::new(M::GET, "/seats", handovers::seats),
        RouteEntry::new(M::GET, "/seats/{id}/holders", handovers::holders),
        RouteEntry::new(M::GET, "/audit", handovers::audit),
        RouteEntry::new(M::POST, "/items/{id}/accept", items::accept),
        RouteEntry::new(M::POST, "/items/{id}/return", items::return_item),
        RouteEntry::new(M::POST, "/items/{id}/reject", items::reject),
        RouteEntry::new(M::GET, "/inbox", items::inbox),
        RouteEntry::new(M::GET, "/changes", items::changes),
        RouteEntry::new(M::GET, "/openapi.json", openapi::document),
        RouteEntry::new(M::GET, "/admin/organisation", organisation::organisation),
        RouteEntry::new(M::POST, "/admin/organisation/import", organisation::import)
            .body_limit(crate::orgsheet::MAX_BYTES + 1024),
        RouteEntry::new(
            M::POST,
            "/admin/departments",
            organisation::create_department,
        ),
        RouteEntry::new(
            M::PUT,
            "/admin/departments/{id}",
            organisation::rename_department,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/departments/{id}/retire",
            organisation::retire_department,
        ),
        RouteEntry::new(M::POST, "/admin/columns", organisation::create_column),
        RouteEntry::new(M::PUT, "/admin/columns/{id}", organisation::update_column),
        RouteEntry::new(
            M::POST,
            "/admin/columns/{id}/move",
            organisation::move_column,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/columns/{id}/retire",
            organisation::retire_column,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/columns/{id}/restore",
            organisation::restore_column,
        ),
        RouteEntry::new(M::POST, "/admin/seats", organisation::create_seat),
        RouteEntry::new(
            M::POST,
            "/admin/seats/{id}/disable",
            organisation::disable_seat,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/seats/{id}/enable",
            organisation::enable_seat,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/seats/{id}/password-reset",
            organisation::reset_password,
        ),
        RouteEntry::new(
            M::POST,
            "/admin/seats/{id}/sign-out",
            organisation::sign_out_everywhere,
        ),
    ]
}

/// The API's router, mounted under `/api/v1` by [`crate::router`]. Each seat's writes are
/// counted against its limits before a handler runs (`quota::limit_writes`).
pub fn router(state: &AppState) -> Router<AppState> {
    answered(
        crate::routes::router_of(api_routes())
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                quota::limit_writes,
            ))
            .fallback(|| async { ApiFailure::not_found("route") }),
    )
}

/// What every API answer gets: no cache keeps it (answers hold tokens, codes and people's work),
/// no browser guesses its type, and a handler's panic becomes a logged 500 in the API's form
/// instead of a dropped connection. A download sets its own headers first.
pub fn answered(routes: Router<AppState>) -> Router<AppState> {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    routes
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_answer,
        ))
}

/// The signed-in seat making the request.
#[derive(Clone)]
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
        // Already found for this request (the write limits look first).
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let hash =
            auth::token_hash(bearer(&parts.headers).ok_or_else(ApiFailure::unauthenticated)?);
        let address = origin(parts, state).address;
        let now = state.clock.now();
        let found = state
            .blocking(move |s| {
                Ok(match s.session_seat(&hash, now)? {
                    Some(seat) => Ok(seat),
                    None => Err(s.ended_session(&hash)?),
                })
            })
            .await?;
        match found {
            Ok(seat) => Ok(Caller(seat, address)),
            // A session a handover ended: the desk must stop, and learns what to do with its data.
            Err(Some(SessionEnd::HandedOver(outgoing))) => Err(ApiFailure::new(
                match outgoing {
                    liaison_domain::handover::OutgoingData::KeepReadOnly => {
                        ErrorCode::SeatHandedOver
                    }
                    liaison_domain::handover::OutgoingData::Wipe => ErrorCode::SeatHandedOverWipe,
                },
                "this seat was handed over to a successor; this session has ended for good",
            )),
            Err(Some(SessionEnd::SeatDisabled)) => Err(ApiFailure::seat_disabled()),
            Err(None) => Err(ApiFailure::unauthenticated()),
        }
    }
}

/// `Path` whose rejections are answered in the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiFailure))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are answered in the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiFailure))]
pub struct ApiQuery<T>(pub T);

/// A JSON body, answered in the API's error format when it is not one: the content type must be
/// exactly `application/json` (a charset parameter, if any, UTF-8), or 415.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiFailure> {
        if !is_json(req.headers()) {
            return Err(ApiFailure::new(
                ErrorCode::UnsupportedMediaType,
                "the body must be sent as Content-Type: application/json",
            ));
        }
        let Json(value) = Json::<serde_json::Value>::from_request(req, state).await?;
        if let Some(at) = control_character_at(&value, &mut String::new()) {
            return Err(ApiFailure::validation(format!(
                "a text holds control characters{}",
                error::field_note(&at)
            )));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                ApiFailure::validation(format!(
                    "the body does not have the fields and types this route takes{}",
                    error::field_note(&e.path().to_string())
                ))
            })
    }
}

/// Where the first string of a JSON body holds a control character other than a line break or a
/// tab (no text anyone writes holds one); fields of one line are checked again by their rules.
fn control_character_at(value: &serde_json::Value, path: &mut String) -> Option<String> {
    use liaison_domain::text::{Lines, is_clean};
    use serde_json::Value;
    match value {
        Value::String(s) => (!is_clean(s, Lines::Many)).then(|| path.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_character_at(v, path);
            path.truncate(len);
            found
        }),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if !is_clean(k, Lines::One) {
                return Some(path.clone());
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = control_character_at(v, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Whether a request says its body is JSON: `application/json`, optionally with
/// `charset=utf-8`, and nothing else (not `text/json`, not `application/jsonx`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    if !parts
        .next()
        .is_some_and(|essence| essence.eq_ignore_ascii_case("application/json"))
    {
        return false;
    }
    parts.all(|p| {
        p.split_once('=').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("charset")
                && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        })
    })
}

pub fn bad_request(message: impl Into<String>) -> ApiFailure {
    ApiFailure::bad_request(message)
}

pub type ApiResult<T> = Result<Json<T>, ApiFailure>;
