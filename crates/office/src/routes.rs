//! The office's routes as data: one method on one path with its handler. The API and the console
//! each build their router from a table of these and nothing else, so a test can walk every route
//! (the authorisation matrix) and a route cannot be served without being listed.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::web::AppState;

/// One method on one path of the API or the console, with its handler. The router is built from
/// these tables and nothing else, so a test can walk every route (the authorisation matrix).
pub struct RouteEntry {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
}

impl RouteEntry {
    pub fn new<H, T>(method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("{method} is not a method axum routes by"));
        RouteEntry {
            method,
            path,
            handler: on(filter, handler),
        }
    }

    /// A larger body than the default for this route (sends and draft backups).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

/// Builds a router from a table of routes.
pub fn router_of(entries: Vec<RouteEntry>) -> Router<AppState> {
    entries
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
}
