//! The OpenAPI document, generated from the handlers' annotations and the wire types.
//!
//! Each handler's `#[utoipa::path]` declares its parameters (path, query and headers), its body
//! and the answers particular to it; [`CommonAnswers`] adds the answers every operation of a
//! kind can give (a bad parameter or body, a missing session, a rate limit, an internal error), so
//! no operation can forget them. `make test` validates the document against the OpenAPI 3.1
//! schema and fuzzes the running office against it (`scripts/api-fuzz.sh`).

use axum::Json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::{
    commissions, departments, drafts, duties, files, handovers, items, organisation, sessions,
    standing,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Liaison office API", description = "Desks send items; editors review them."),
    paths(
        sessions::sign_in, sessions::who_am_i, sessions::sign_out,
        items::columns, items::submit, items::my_items, items::item, items::inbox,
        items::inbox_counts, items::signoff_queue, items::approve, items::comment,
        items::accept, items::return_item, items::reject, items::changes,
        departments::list, departments::set_signoff,
        commissions::list, commissions::one, commissions::post, commissions::extend,
        commissions::withdraw, standing::standing,
        handovers::start, handovers::list, handovers::approve, handovers::decline,
        handovers::code, handovers::redeem, handovers::seats, handovers::holders, handovers::audit,
        files::begin, files::status, files::append, files::download, files::content,
        drafts::put, drafts::list,
        duties::calendar, duties::set_calendar_year, duties::board, duties::urge,
        duties::record_update, duties::timeliness, duties::word_lists, duties::set_word_lists,
        organisation::organisation, organisation::create_department,
        organisation::rename_department, organisation::retire_department,
        organisation::create_column, organisation::update_column, organisation::move_column,
        organisation::retire_column, organisation::restore_column, organisation::create_seat,
        organisation::disable_seat, organisation::enable_seat, organisation::reset_password,
        organisation::sign_out_everywhere, organisation::import,
        document,
    ),
    components(schemas(liaison_domain::wire::ApiError)),
    modifiers(&BearerAuth, &CommonAnswers)
)]
pub struct ApiDoc;

/// Raw bytes: a request or answer body that is not JSON.
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/octet-stream")
            .into()
    }
}

impl ToSchema for Binary {}

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

/// The answers shared by every operation of a kind, as reusable responses, added to each
/// operation that can give them (an operation's own declaration of a status wins):
///
/// - every operation: 500 `internal`;
/// - with a path or query parameter: 400 `bad_request` (one that does not parse);
/// - with a JSON body: 400 (malformed JSON), 413 (too large), 415 (not `application/json`) and
///   422 (`validation`: well-formed JSON of the wrong shape, or values the rules refuse);
/// - signed-in operations: 401 (no session, an expired one, or one a handover ended) and 429
///   `rate_limited` (too many requests from the seat).
struct CommonAnswers;

/// (status, name of the reusable response, description)
const COMMON: [(&str, &str, &str); 7] = [
    (
        "400",
        "BadRequest",
        "`bad_request`: a parameter or the body does not parse",
    ),
    (
        "401",
        "Unauthenticated",
        "`unauthenticated` (no session, or it expired), or `seat_handed_over` / \
         `seat_handed_over_wipe` (a handover ended it for good)",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is larger than the route takes",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not of the content type the route takes",
    ),
    (
        "422",
        "Validation",
        "`validation`: the body has the wrong shape, or values the rules refuse",
    ),
    (
        "429",
        "RateLimited",
        "`rate_limited` (too many requests from this seat) or `too_many_attempts` (too many \
         failed sign-ins or one-time codes); `Retry-After` says when to go on",
    ),
    (
        "500",
        "Internal",
        "`internal`: the office failed; the request may be retried",
    ),
];

fn error_answer(description: &str, retry_after: bool) -> Response {
    let mut b = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ApiError")))
            .build(),
    );
    if retry_after {
        b = b.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(u64::schema())
                .description(Some("seconds to wait before the next request"))
                .build(),
        );
    }
    b.build()
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in COMMON {
            components.responses.insert(
                name.to_owned(),
                error_answer(description, status == "429").into(),
            );
        }
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let parameters = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query))
                });
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                for (status, name, _) in COMMON {
                    let applies = match status {
                        "400" => parameters || json_body,
                        "401" => secured,
                        "413" | "415" | "422" => json_body,
                        "429" => secured,
                        "500" => true,
                        _ => false,
                    };
                    if applies {
                        op.responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                    }
                }
            }
        }
    }
}

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json",
    responses((status = 200, body = Object, description = "the OpenAPI 3.1 document of this API"))
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
