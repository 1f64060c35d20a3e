//! Signing in to the console and out: the session cookie and its form token.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use super::render::{self, Lang};
use super::{Editor, Form, SESSION_COOKIE};
use crate::auth;
use crate::service::sessions::{self, Attempt, SignIn};
use crate::web::{AppState, Origin};

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
    if let Some(refused) = editor.form_refusal(&form.csrf) {
        return refused;
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
}
