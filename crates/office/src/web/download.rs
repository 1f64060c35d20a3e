//! A stored file as a download that nothing in a browser will run: the API's and the console's.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use liaison_domain::{AttachmentRef, FileKind};

use crate::files::{FileError, FileStore};

/// What RFC 8187 (`filename*=UTF-8''...`) requires escaped: everything but its attr-chars.
const FILENAME_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A stored file as a download that nothing in a browser will run, from the data folder or the
/// database, whichever keeps the office's files.
pub async fn file_response(files: &FileStore, file: &AttachmentRef) -> Result<Response, FileError> {
    let bytes = files.read(&file.sha256).await?;
    let mime = FileKind::from_mime(&file.mime).map_or("application/octet-stream", |k| k.mime());
    let name = percent_encoding::utf8_percent_encode(&file.name, FILENAME_ESCAPED);
    let mut response = Body::from_stream(bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{name}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
