//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{departments, drafts, duties, files, handovers, items, sessions};

#[derive(OpenApi)]
#[openapi(
    info(title = "Liaison office API", description = "Desks send items; editors review them."),
    paths(
        sessions::sign_in, sessions::who_am_i, sessions::sign_out,
        items::columns, items::submit, items::my_items, items::item, items::inbox,
        items::inbox_counts, items::signoff_queue, items::approve, items::comment,
        items::accept, items::return_item, items::reject, items::changes,
        departments::list, departments::set_signoff,
        handovers::start, handovers::list, handovers::approve, handovers::decline,
        handovers::code, handovers::redeem, handovers::seats, handovers::holders, handovers::audit,
        files::begin, files::status, files::append, files::download, files::content,
        drafts::put, drafts::list,
        duties::calendar, duties::set_calendar_year, duties::board, duties::urge,
        duties::record_update, duties::timeliness, duties::word_lists, duties::set_word_lists,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
