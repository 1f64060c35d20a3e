//! Files of items: resumable uploads named by SHA-256, and serving a file of an item.
//!
//! `POST /uploads` announces a file (digest, size, name) and answers how many bytes the office
//! already has; `PATCH /uploads/{sha256}` with `Upload-Offset` appends a piece; when the last
//! byte arrives the office checks the digest and the type and the upload is complete. A send may
//! name only the seat's complete uploads.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use liaison_domain::attachment::{self, AttachmentProblem};
use liaison_domain::wire::{
    ApiError, ErrorCode, UPLOAD_OFFSET_HEADER, UploadRequest, UploadStatus,
};

use super::openapi::Binary;
use super::quota::{ensure_room, over_quota};
use super::{ApiFailure, ApiJson, ApiPath, ApiResult, AppState, Caller, bad_request};
use crate::store::{BeginUpload, Upload};

/// The caller's upload of `sha256` (checked to be a digest), or 404.
async fn held_upload(state: &AppState, seat_id: i64, sha256: &str) -> Result<Upload, ApiFailure> {
    digest(sha256)?;
    let key = sha256.to_owned();
    state
        .blocking(move |s| Ok(s.upload(seat_id, &key)?))
        .await?
        .ok_or_else(|| ApiFailure::not_found("upload"))
}

fn digest(sha256: &str) -> Result<(), ApiFailure> {
    if attachment::is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(bad_request(
            "a file is named by its SHA-256: 64 lowercase hex digits",
        ))
    }
}

/// A refused file as the API answers it: too large, of a type no one may send, or otherwise
/// invalid.
pub(super) fn problem(p: AttachmentProblem) -> ApiFailure {
    match p {
        AttachmentProblem::FileTooLarge { .. } | AttachmentProblem::ItemTooLarge => {
            ApiFailure::new(ErrorCode::PayloadTooLarge, p.to_string())
        }
        AttachmentProblem::TypeNotAllowed { .. } => {
            ApiFailure::new(ErrorCode::UnsupportedFile, p.to_string())
        }
        _ => ApiFailure::validation(p.to_string()),
    }
}

pub(super) fn check_item_files(files: &[liaison_domain::AttachmentRef]) -> Result<(), ApiFailure> {
    attachment::check_attachments(files).map_err(problem)
}

async fn status_of(
    state: &AppState,
    seat_id: i64,
    upload: Upload,
) -> Result<UploadStatus, ApiFailure> {
    let offset = match upload.mime {
        Some(_) => upload.size,
        None => state.files.offset(seat_id, &upload.sha256).await?,
    };
    Ok(UploadStatus {
        complete: upload.mime.is_some(),
        sha256: upload.sha256,
        size: upload.size,
        offset,
        mime: upload.mime,
    })
}

/// Announce a file; answers how much of it the office already holds.
#[utoipa::path(
    post, path = "/api/v1/uploads", request_body = UploadRequest,
    responses((status = 200, body = UploadStatus, description = "how much of the file the office holds"),
              (status = 400, body = ApiError, description = "not a SHA-256 digest, or a malformed body"),
              (status = 403, body = ApiError, description = "office seats do not upload"),
              (status = 413, body = ApiError, description = "larger than a file may be (`payload_too_large`), or over the seat's quota (`quota_exceeded`)"),
              (status = 415, body = ApiError, description = "`unsupported_file`: a type an item may not carry"),
              (status = 507, body = ApiError, description = "`storage_full`: the office takes no new files for now")),
    security(("bearer" = []))
)]
pub async fn begin(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<UploadRequest>,
) -> ApiResult<UploadStatus> {
    let seat_id = caller.department_seat()?;
    digest(&req.sha256)?;
    attachment::check_file(&req.name, req.size).map_err(problem)?;
    let now = state.clock.now();
    let upload = Upload {
        sha256: req.sha256,
        size: req.size,
        name: req.name.trim().to_owned(),
        mime: None,
    };
    let held_already = {
        let key = upload.sha256.clone();
        state
            .blocking(move |s| Ok(s.upload(seat_id, &key)?))
            .await?
    };
    // What a new upload (or the rest of a resumed one) would bring must leave room free.
    let incoming = match &held_already {
        Some(h) if h.mime.is_some() => 0,
        Some(h) => h.size - state.files.offset(seat_id, &h.sha256).await?.min(h.size),
        None => upload.size,
    };
    if incoming > 0 {
        ensure_room(&state, incoming).await?;
    }
    let quota = state.upload_quota();
    let held = state
        .blocking(move |s| {
            Ok(crate::service::uploads::begin(
                s, seat_id, &upload, &quota, now,
            )?)
        })
        .await?;
    match held {
        BeginUpload::Held(held) => Ok(Json(status_of(&state, seat_id, held).await?)),
        BeginUpload::OverQuota(problem) => Err(over_quota(problem)),
    }
}

/// How much of an announced file the office holds.
#[utoipa::path(
    get, path = "/api/v1/uploads/{sha256}",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "the file's SHA-256")),
    responses((status = 200, body = UploadStatus, description = "how much of the file the office holds"),
              (status = 403, body = ApiError, description = "office seats do not upload"),
              (status = 404, body = ApiError, description = "no such upload")),
    security(("bearer" = []))
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<UploadStatus> {
    let seat_id = caller.department_seat()?;
    let held = held_upload(&state, seat_id, &sha256).await?;
    Ok(Json(status_of(&state, seat_id, held).await?))
}

/// Append the piece of the file that starts at `Upload-Offset`. A piece that does not start where
/// the office's copy ends is refused with 409; ask for the status and go on from there.
#[utoipa::path(
    patch, path = "/api/v1/uploads/{sha256}",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "the file's SHA-256"),
           ("Upload-Offset" = u64, Header, description = "byte of the file where this piece starts")),
    request_body(content = inline(Binary), content_type = "application/offset+octet-stream",
                 description = "the piece's bytes"),
    responses((status = 200, body = UploadStatus, description = "how much of the file the office holds now"),
              (status = 400, body = ApiError, description = "no `Upload-Offset`, or not a digest"),
              (status = 403, body = ApiError, description = "office seats do not upload"),
              (status = 404, body = ApiError, description = "no such upload"),
              (status = 409, body = ApiError, description = "the piece does not start where the office's copy ends"),
              (status = 413, body = ApiError, description = "past the announced size, or over the seat's quota (`quota_exceeded`)"),
              (status = 415, body = ApiError, description = "`unsupported_file`: the bytes are not of a type an item may carry; or not `application/offset+octet-stream`"),
              (status = 422, body = ApiError, description = "`digest_mismatch`: the bytes do not have the announced SHA-256"),
              (status = 507, body = ApiError, description = "`storage_full`: the office takes no new files for now")),
    security(("bearer" = []))
)]
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<UploadStatus> {
    let seat_id = caller.department_seat()?;
    let offset: u64 = headers
        .get(UPLOAD_OFFSET_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad_request("an Upload-Offset header (a byte count) is required"))?;
    let held = held_upload(&state, seat_id, &sha256).await?;
    if held.mime.is_some() {
        return Ok(Json(status_of(&state, seat_id, held).await?));
    }
    ensure_room(&state, held.size.saturating_sub(offset)).await?;
    let at = state
        .files
        .append(seat_id, &sha256, held.size, offset, body.into_data_stream())
        .await?;
    {
        let (key, now) = (sha256.clone(), state.clock.now());
        state
            .blocking(move |s| Ok(crate::service::uploads::touch(s, seat_id, &key, now)?))
            .await?;
    }
    if at < held.size {
        return Ok(Json(status_of(&state, seat_id, held).await?));
    }
    let kind = match state.files.finish(seat_id, &sha256).await {
        Ok(kind) => kind,
        Err(e) => {
            // The bytes were deleted; forget the upload too, so it can begin again.
            let key = sha256.clone();
            state
                .blocking(move |s| Ok(s.discard_upload(seat_id, &key)?))
                .await?;
            return Err(e.into());
        }
    };
    let now = state.clock.now();
    let key = sha256.clone();
    state
        .blocking(move |s| Ok(s.complete_upload(seat_id, &key, kind.mime(), now)?))
        .await?;
    tracing::info!(sha256 = %sha256, size = held.size, mime = kind.mime(), "upload complete");
    Ok(Json(UploadStatus {
        sha256,
        size: held.size,
        offset: held.size,
        complete: true,
        mime: Some(kind.mime().to_owned()),
    }))
}

/// A file of an item, always as a download: its type is the one read from its bytes, the browser
/// is told not to guess another, and nothing in it may run.
#[utoipa::path(
    get, path = "/api/v1/items/{id}/files/{sha256}",
    params(("id" = i64, Path, description = "the item"), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "the file's SHA-256")),
    responses((status = 200, description = "the file, as a download of the type read from its bytes",
               content(("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"), ("application/pdf"),
                       ("application/zip"), ("application/x-ole-storage"), ("application/octet-stream")),
               headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                       ("X-Content-Type-Options" = String, description = "`nosniff`"),
                       ("Content-Security-Policy" = String, description = "`sandbox; default-src 'none'`"))),
              (status = 404, body = ApiError, description = "no such item or file, or not the caller's to see")),
    security(("bearer" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, sha256)): ApiPath<(i64, String)>,
) -> Result<Response, ApiFailure> {
    digest(&sha256)?;
    let key = sha256.clone();
    let (item, file) = state
        .blocking(move |s| {
            let item = s.item(id)?.ok_or_else(|| ApiFailure::not_found("item"))?;
            let file = s.item_file(id, &key)?;
            Ok((item, file))
        })
        .await?;
    if !crate::store::may_see(&item, &caller.0) {
        return Err(ApiFailure::not_found("item"));
    }
    let file = file.ok_or_else(|| ApiFailure::not_found("file"))?;
    crate::web::file_response(&state.files, &file)
        .await
        .map_err(|e| ApiFailure::internal(format!("file {}: {e}", file.sha256)))
}

/// The bytes of one of the caller's own complete uploads (a new workstation restoring a draft).
#[utoipa::path(
    get, path = "/api/v1/uploads/{sha256}/content",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "the file's SHA-256")),
    responses((status = 200, description = "the file, as a download of the type read from its bytes",
               content(("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"), ("application/pdf"),
                       ("application/zip"), ("application/x-ole-storage"), ("application/octet-stream")),
               headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                       ("X-Content-Type-Options" = String, description = "`nosniff`"),
                       ("Content-Security-Policy" = String, description = "`sandbox; default-src 'none'`"))),
              (status = 403, body = ApiError, description = "office seats do not upload"),
              (status = 404, body = ApiError, description = "no such complete upload")),
    security(("bearer" = []))
)]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> Result<Response, ApiFailure> {
    let seat_id = caller.department_seat()?;
    let held = held_upload(&state, seat_id, &sha256).await?;
    let mime = held
        .mime
        .ok_or_else(|| ApiFailure::not_found("complete upload"))?;
    let file = liaison_domain::AttachmentRef {
        sha256: held.sha256,
        name: held.name,
        size: held.size,
        mime,
    };
    crate::web::file_response(&state.files, &file)
        .await
        .map_err(|e| ApiFailure::internal(format!("file {}: {e}", file.sha256)))
}
