//! The office console: the editors' and the administrator's pages, served at `/` by the same
//! binary as the API. Pages are rendered on the server from templates compiled into the binary
//! (no build step, no script in the browser): the session is an HttpOnly, SameSite=Strict cookie
//! whose token the office keeps only as a hash, and every form carries a token derived from it.
//! Item bodies are cleaned again when shown, and every page forbids scripts through its CSP.

mod commissions;
mod departments;
mod handovers;
mod import;
mod inbox;
mod items;
mod organisation;
mod published;
mod ranking;
mod ranking_export;
mod refusal;
mod render;
mod session;
mod watch;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use liaison_domain::SeatView;

use chrono::{DateTime, Utc};

use crate::auth;
use crate::routes::{RouteEntry, router_of};
use crate::store::{Actor, Store, StoreError};
use crate::web::AppState;

pub use render::Lang;

/// The cookie holding the console's session token.
pub const SESSION_COOKIE: &str = "liaison_console";

/// Every route of the console.
pub fn routes() -> Vec<RouteEntry> {
    use Method as M;
    vec![
        RouteEntry::new(M::GET, "/", || async { Redirect::to("/inbox") }),
        RouteEntry::new(M::GET, "/console.css", render::stylesheet),
        RouteEntry::new(M::GET, "/sign-in", session::sign_in_page),
        RouteEntry::new(M::POST, "/sign-in", session::sign_in),
        RouteEntry::new(M::POST, "/sign-out", session::sign_out),
        RouteEntry::new(M::GET, "/inbox", inbox::inbox),
        RouteEntry::new(M::GET, "/items/{id}", items::item),
        RouteEntry::new(M::GET, "/items/{id}/files/{sha256}", items::file),
        RouteEntry::new(M::POST, "/items/{id}/accept", items::accept),
        RouteEntry::new(M::POST, "/items/{id}/return", items::return_item),
        RouteEntry::new(M::POST, "/items/{id}/reject", items::reject),
        RouteEntry::new(M::POST, "/items/{id}/comment", items::comment),
        RouteEntry::new(M::GET, "/watch", watch::watch),
        RouteEntry::new(M::POST, "/watch/columns/{id}/urge", watch::urge_column),
        RouteEntry::new(M::POST, "/watch/columns/{id}/update", watch::record_update),
        RouteEntry::new(
            M::POST,
            "/watch/departments/{id}/urge",
            watch::urge_department,
        ),
        RouteEntry::new(M::GET, "/commissions", commissions::list),
        RouteEntry::new(M::POST, "/commissions", commissions::post),
        RouteEntry::new(M::GET, "/commissions/{id}", commissions::detail),
        RouteEntry::new(M::POST, "/commissions/{id}/extend", commissions::extend),
        RouteEntry::new(M::POST, "/commissions/{id}/withdraw", commissions::withdraw),
        RouteEntry::new(M::GET, "/ranking", ranking::ranking),
        RouteEntry::new(M::GET, "/ranking/departments/{id}", ranking::breakdown),
        RouteEntry::new(M::GET, "/ranking/export.csv", ranking::export_csv),
        RouteEntry::new(M::GET, "/ranking/export.xlsx", ranking::export_xlsx),
        RouteEntry::new(M::GET, "/ranking/scheme", ranking::scheme),
        RouteEntry::new(M::POST, "/ranking/scheme", ranking::publish),
        RouteEntry::new(M::GET, "/departments", departments::departments),
        RouteEntry::new(
            M::POST,
            "/departments/{id}/signoff",
            departments::set_signoff,
        ),
        RouteEntry::new(M::GET, "/seats", handovers::seats),
        RouteEntry::new(M::POST, "/handovers/force", handovers::force),
        RouteEntry::new(M::POST, "/handovers/{id}/approve", handovers::approve),
        RouteEntry::new(M::POST, "/handovers/{id}/decline", handovers::decline),
        RouteEntry::new(M::GET, "/organisation", organisation::organisation),
        RouteEntry::new(
            M::POST,
            "/organisation/departments",
            organisation::create_department,
        ),
        RouteEntry::new(
            M::POST,
            "/organisation/departments/{id}",
            organisation::change_department,
        ),
        RouteEntry::new(
            M::POST,
            "/organisation/columns",
            organisation::create_column,
        ),
        RouteEntry::new(
            M::POST,
            "/organisation/columns/{id}",
            organisation::change_column,
        ),
        RouteEntry::new(M::POST, "/organisation/seats", organisation::create_seat),
        RouteEntry::new(
            M::POST,
            "/organisation/seats/{id}",
            organisation::change_seat,
        ),
        RouteEntry::new(M::GET, "/organisation/import", import::import_page),
        RouteEntry::new(M::POST, "/organisation/import", import::import)
            .body_limit(crate::orgsheet::MAX_BYTES * 2),
        RouteEntry::new(M::GET, "/calendar", published::calendar),
        RouteEntry::new(M::POST, "/calendar", published::publish_calendar),
        RouteEntry::new(M::GET, "/wordlists", published::word_lists),
        RouteEntry::new(M::POST, "/wordlists", published::publish_word_lists),
    ]
}

/// The console's router, merged at `/` by [`crate::router`]. An editor's writes count against
/// the same limits as through the API.
pub fn router(state: &AppState) -> Router<AppState> {
    answered(
        router_of(routes())
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                limit_writes,
            ))
            .fallback(not_found),
    )
}

/// Refuses an editor's write past its seat's limit with a page (429, `Retry-After`).
async fn limit_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let kind = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .and_then(|route| crate::limits::write_kind(request.method(), route.as_str()));
    let Some(kind) = kind else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    if let Ok(editor) = Editor::from_request_parts(&mut parts, &state).await
        && let Err(wait) = state.check_write(editor.seat.id, kind).await
    {
        let secs = crate::web::retry_after_secs(wait);
        let words = editor
            .lang
            .word("error.rate_limited")
            .replace("{seconds}", &secs.to_string());
        let mut page = render::error_page(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            editor.lang,
            words,
        );
        page.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        return page;
    }
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// What every console answer gets: pages, errors, the stylesheet and axum's own refusals alike
/// carry the console's security headers (a download keeps its own stricter CSP), and a handler's
/// panic becomes an error page instead of a dropped connection.
pub fn answered(routes: Router<AppState>) -> Router<AppState> {
    routes
        .layer(axum::middleware::map_response(with_page_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_page))
}

async fn not_found(headers: HeaderMap) -> Response {
    let lang = Lang::of(&headers);
    render::error_page(
        axum::http::StatusCode::NOT_FOUND,
        lang,
        lang.word("error.page_not_found"),
    )
}

async fn with_page_headers(mut response: Response) -> Response {
    page_headers(response.headers_mut());
    response
}

/// A handler's panic, answered as a page (Chinese: the panic carries no request to read the
/// language from) with an id the log also holds.
fn panic_page(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    render::server_error_page(Lang::ZhCn, crate::web::panic_text(panic.as_ref()))
}

/// A path parameter; a malformed one is refused with a page that quotes nothing.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Refusal))]
pub struct Path<T>(pub T);

/// A query string; a malformed one is refused with a page that quotes nothing.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Refusal))]
pub struct Query<T>(pub T);

/// A form; a malformed one is refused with a page that quotes nothing.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(Refusal))]
pub struct Form<T>(pub T);

/// A request the console cannot read: a page with the generic words (in Chinese: a refusal
/// reads no request headers) and the status axum gave.
pub struct Refusal(axum::http::StatusCode);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let lang = Lang::ZhCn;
        if self.0.is_server_error() {
            return render::server_error_page(lang, "a console extractor failed");
        }
        render::error_page(self.0, lang, lang.word("error.bad_request"))
    }
}

impl From<axum::extract::rejection::PathRejection> for Refusal {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        Refusal(r.status())
    }
}

impl From<axum::extract::rejection::QueryRejection> for Refusal {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        Refusal(r.status())
    }
}

impl From<axum::extract::rejection::FormRejection> for Refusal {
    fn from(r: axum::extract::rejection::FormRejection) -> Self {
        Refusal(r.status())
    }
}

/// A signed-in office seat, from the session cookie; anyone else is sent to the sign-in page.
pub struct Editor {
    pub seat: SeatView,
    /// The address the request came from.
    pub address: String,
    /// The form token of this session (see [`form_token`]).
    pub form_token: String,
    pub lang: Lang,
}

impl Editor {
    /// Runs a service call as this editor (who acts and from where, and the office's clock now)
    /// off the async threads; once it went through, the desks' long polls wake.
    pub async fn act<T, F>(&self, state: &AppState, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store, &Actor<'_>, DateTime<Utc>) -> Result<T, StoreError> + Send + 'static,
    {
        let (seat, address, now) = (self.seat.clone(), self.address.clone(), state.clock.now());
        let done = state
            .run(move |s| {
                let by = Actor {
                    seat: &seat,
                    address: &address,
                };
                f(s, &by, now)
            })
            .await?;
        state.changed();
        Ok(done)
    }
}

impl Editor {
    /// Why a form is refused: a form token that is not this session's (a page of another
    /// site, or one kept from an ended session); `None` when it may go on.
    pub fn form_refusal(&self, csrf: &str) -> Option<Response> {
        (csrf != self.form_token).then(|| {
            render::error_page(
                axum::http::StatusCode::FORBIDDEN,
                self.lang,
                self.lang.word("error.form_expired"),
            )
        })
    }
}

/// Why an administrator's form is refused: a form token that is not this session's, or a seat
/// that is not the administrator's; `None` when it may go on.
fn admin_form_refusal(editor: &Editor, csrf: &str) -> Option<Response> {
    if let Some(refused) = editor.form_refusal(csrf) {
        return Some(refused);
    }
    let lang = editor.lang;
    let (status, key) = if editor.seat.role != liaison_domain::Role::Admin {
        (axum::http::StatusCode::FORBIDDEN, "error.admin_only")
    } else {
        return None;
    };
    Some(render::error_page(status, lang, lang.word(key)))
}

/// The token every form of a session must carry: derived from the session token, so a page of
/// another site cannot know it, and nothing more is stored.
pub fn form_token(session_token: &str) -> String {
    auth::token_hash(&format!("form:{session_token}"))
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::of(&parts.headers);
        let jar = CookieJar::from_headers(&parts.headers);
        let to_sign_in = || Redirect::to("/sign-in").into_response();
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(to_sign_in());
        };
        let hash = auth::token_hash(&token);
        let now = state.clock.now();
        let seat = state
            .run(move |s| s.session_seat(&hash, now))
            .await
            .map_err(|e| refusal::page(lang, &e))?;
        match seat {
            Some(seat) if seat.role.is_office() => Ok(Editor {
                seat,
                address: crate::web::origin(parts, state).address,
                form_token: form_token(&token),
                lang,
            }),
            _ => Err(to_sign_in()),
        }
    }
}

/// Security headers of every console answer; a header already set (a download's sandbox CSP,
/// the stylesheet's caching) is kept.
pub fn page_headers(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, axum::http::HeaderValue::from_static(value));
        }
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
}
