//! The office's HTTP API as the desk uses it.

use std::sync::Arc;
use std::time::Duration;

use liaison_domain::handover::Holder;
use liaison_domain::wire::{
    ApiError, BoardColumn, ChangesResponse, CommentRequest, DraftBackup, ErrorCode, HandoverCode,
    HandoverView, IDEMPOTENCY_KEY_HEADER, InboxItem, ItemDetail, PutDraftRequest, PutDraftResponse,
    RedeemHandoverRequest, ReturnRequest, SignInRequest, SignInResponse, StartHandoverRequest,
    SubmitItemRequest, SubmitItemResponse, TimelineEntry, UPLOAD_OFFSET_HEADER, UploadRequest,
    UploadStatus,
};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::DeskError;
use crate::pace::{PACED_CHUNK_BYTES, Pacer};
use crate::tls::OfficeTrust;

#[derive(Clone)]
pub struct OfficeClient {
    http: Client,
    office_url: String,
    base: String,
    trust: OfficeTrust,
}

/// Longest a long poll may wait at the office.
pub const LONG_POLL_SECS: u64 = 25;

impl OfficeClient {
    /// A client of one office, trusting what `trust` says. Plain HTTP off loopback is refused
    /// here, before any connection.
    pub fn new(office_url: &str, trust: &OfficeTrust) -> Result<Self, DeskError> {
        let office_url = office_url.trim_end_matches('/').to_owned();
        crate::tls::check_address(&office_url)?;
        let base = format!("{office_url}/api/v1");
        let http = Client::builder()
            .tls_backend_preconfigured(crate::tls::client_config(trust)?)
            // A redirect may not lead to plain HTTP off loopback either.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= 10 {
                    attempt.error("too many redirects")
                } else if let Err(e) = crate::tls::check_address(attempt.url().as_str()) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }))
            .connect_timeout(Duration::from_secs(10))
            // A long poll plus a slow government network.
            .timeout(Duration::from_secs(LONG_POLL_SECS + 60))
            .user_agent(concat!("liaison-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        Ok(OfficeClient {
            http,
            office_url,
            base,
            trust: trust.clone(),
        })
    }

    /// What this client trusts.
    pub fn trust(&self) -> &OfficeTrust {
        &self.trust
    }

    /// The office address this client talks to.
    pub fn office_url(&self) -> &str {
        &self.office_url
    }

    pub async fn sign_in(&self, login: &str, password: &str) -> Result<SignInResponse, DeskError> {
        let req = self
            .http
            .post(format!("{}/sessions", self.base))
            .json(&SignInRequest {
                login: login.to_owned(),
                password: password.to_owned(),
            });
        match send::<SignInResponse>(req).await {
            Err(DeskError::RejectedByOffice { status: 401, .. }) => Err(DeskError::WrongPassword),
            other => other,
        }
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), DeskError> {
        let r = self
            .http
            .delete(format!("{}/sessions/current", self.base))
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)?;
        if r.status().is_success() || r.status() == StatusCode::UNAUTHORIZED {
            Ok(())
        } else {
            Err(failure(r).await)
        }
    }

    pub async fn submit(
        &self,
        token: &str,
        idempotency_key: &str,
        item: &SubmitItemRequest,
    ) -> Result<SubmitItemResponse, DeskError> {
        let req = self
            .http
            .post(format!("{}/items", self.base))
            .bearer_auth(token)
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
            .json(item);
        match authed(send(req).await) {
            Err(DeskError::RejectedByOffice { code, message, .. })
                if code == code_name(ErrorCode::AttachmentMissing) =>
            {
                Err(DeskError::FilesOutOfStep(message))
            }
            other => other,
        }
    }

    /// Announces a file; the answer says how much of it the office already has.
    pub async fn begin_upload(
        &self,
        token: &str,
        upload: &UploadRequest,
    ) -> Result<UploadStatus, DeskError> {
        let req = self
            .http
            .post(format!("{}/uploads", self.base))
            .bearer_auth(token)
            .json(upload);
        authed(send(req).await)
    }

    /// Sends the piece of a file that starts at `offset`, handing its bytes over as `pacer`
    /// allows. A 409 (the office's copy ends elsewhere, or another piece is arriving) is
    /// `FilesOutOfStep`: ask again where it stands.
    pub async fn upload_piece(
        &self,
        token: &str,
        sha256: &str,
        offset: u64,
        piece: Vec<u8>,
        pacer: &Arc<Pacer>,
    ) -> Result<UploadStatus, DeskError> {
        let req = self
            .http
            .patch(format!("{}/uploads/{sha256}", self.base))
            .bearer_auth(token)
            .header(UPLOAD_OFFSET_HEADER, offset)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/offset+octet-stream",
            )
            // Said, as for a whole body, though the bytes are handed over piece by piece.
            .header(reqwest::header::CONTENT_LENGTH, piece.len())
            .body(pacer.body(piece));
        match authed(send(req).await) {
            Err(DeskError::RejectedByOffice {
                status: 409,
                message,
                ..
            }) => Err(DeskError::FilesOutOfStep(message)),
            other => other,
        }
    }

    /// The bytes of one of the seat's complete uploads.
    /// Writes the bytes of one of the seat's complete uploads into `sink` as they arrive (files
    /// may be hundreds of MB: never all in memory), taking each piece in as `pacer` allows.
    pub async fn upload_content(
        &self,
        token: &str,
        sha256: &str,
        sink: &mut impl std::io::Write,
        pacer: &Pacer,
    ) -> Result<u64, DeskError> {
        let mut r = self
            .http
            .get(format!("{}/uploads/{sha256}/content", self.base))
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)?;
        if !r.status().is_success() {
            return authed(Err(failure(r).await));
        }
        let mut written = 0;
        while let Some(chunk) = r.chunk().await.map_err(unreachable)? {
            // The connection hands over what it has read, at times hundreds of KB at once.
            for piece in chunk.chunks(PACED_CHUNK_BYTES) {
                pacer.give_way(piece.len()).await;
                sink.write_all(piece)
                    .map_err(|e| DeskError::Storage(format!("writing a downloaded file: {e}")))?;
            }
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// Backs up a draft; `Err(stale)` carries the office's newer copy.
    pub async fn put_draft(
        &self,
        token: &str,
        draft_key: &str,
        draft: &PutDraftRequest,
    ) -> Result<Result<PutDraftResponse, DraftBackup>, DeskError> {
        let r = self
            .http
            .put(format!("{}/drafts/{draft_key}", self.base))
            .bearer_auth(token)
            .json(draft)
            .send()
            .await
            .map_err(unreachable)?;
        if r.status() == StatusCode::CONFLICT {
            #[derive(serde::Deserialize)]
            struct Stale {
                current: DraftBackup,
            }
            let stale: Stale = r.json().await.map_err(unreachable)?;
            return Ok(Err(stale.current));
        }
        if !r.status().is_success() {
            return authed(Err(failure(r).await));
        }
        Ok(Ok(r.json().await.map_err(unreachable)?))
    }

    /// The seat's department's duty board.
    pub async fn board(&self, token: &str) -> Result<Vec<BoardColumn>, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/board", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
    }

    /// The commissioned requests (约稿) naming the seat's department, newest first.
    pub async fn commissions(
        &self,
        token: &str,
    ) -> Result<Vec<liaison_domain::wire::CommissionView>, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/commissions", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
    }

    /// The department's standing in the ranking (评比).
    pub async fn standing(
        &self,
        token: &str,
    ) -> Result<Vec<liaison_domain::score::standing::PeriodStanding>, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/standing", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
    }

    /// The working-day calendar the office publishes.
    pub async fn calendar(&self, token: &str) -> Result<liaison_domain::WorkCalendar, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/calendar", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
    }

    /// The seat's backed-up drafts written after `since`.
    pub async fn drafts(&self, token: &str, since: i64) -> Result<Vec<DraftBackup>, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/drafts?since={since}", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
    }

    /// The successor takes the seat with the handover code and a new password.
    pub async fn redeem_handover(
        &self,
        request: &RedeemHandoverRequest,
    ) -> Result<SignInResponse, DeskError> {
        let req = self
            .http
            .post(format!("{}/handovers/redeem", self.base))
            .json(request);
        send(req).await
    }

    pub async fn start_handover(
        &self,
        token: &str,
        request: &StartHandoverRequest,
    ) -> Result<HandoverView, DeskError> {
        let req = self
            .http
            .post(format!("{}/handovers", self.base))
            .bearer_auth(token)
            .json(request);
        authed(send(req).await)
    }

    /// The seat's handovers, newest first.
    pub async fn handovers(&self, token: &str) -> Result<Vec<HandoverView>, DeskError> {
        let req = self
            .http
            .get(format!("{}/handovers", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The approved handover's code, which the office shows the outgoing holder once.
    pub async fn handover_code(&self, token: &str, id: i64) -> Result<HandoverCode, DeskError> {
        let req = self
            .http
            .get(format!("{}/handovers/{id}/code", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    pub async fn holders(&self, token: &str, seat_id: i64) -> Result<Vec<Holder>, DeskError> {
        let req = self
            .http
            .get(format!("{}/seats/{seat_id}/holders", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// Every item sent from this seat, by any of its holders, with its timeline.
    pub async fn seat_items(&self, token: &str) -> Result<Vec<ItemDetail>, DeskError> {
        let req = self
            .http
            .get(format!("{}/items?mine=true", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The office's word lists for the pre-flight checks.
    pub async fn word_lists(
        &self,
        token: &str,
    ) -> Result<liaison_domain::preflight::WordLists, DeskError> {
        let req = self
            .http
            .get(format!("{}/wordlists", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The signed-in seat as the office has it now (its department's sign-off policy may have
    /// changed).
    pub async fn current_seat(&self, token: &str) -> Result<liaison_domain::SeatView, DeskError> {
        let req = self
            .http
            .get(format!("{}/sessions/current", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// One item with its timeline, as the office has it.
    pub async fn item(&self, token: &str, id: i64) -> Result<ItemDetail, DeskError> {
        let req = self
            .http
            .get(format!("{}/items/{id}", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The bytes of one file of an item (an inline image of an item awaiting sign-off), at most
    /// `max_bytes` of them: a larger file is refused before all of it arrives.
    pub async fn item_file(
        &self,
        token: &str,
        item_id: i64,
        sha256: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, DeskError> {
        let mut r = self
            .http
            .get(format!("{}/items/{item_id}/files/{sha256}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)?;
        if !r.status().is_success() {
            return authed(Err(failure(r).await));
        }
        let too_large = || {
            DeskError::FileNotAllowed(format!(
                "file {sha256} of item {item_id} is larger than {max_bytes} bytes"
            ))
        };
        if r.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(unreachable)? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Writes in an item's thread.
    pub async fn comment(
        &self,
        token: &str,
        id: i64,
        comment: &CommentRequest,
    ) -> Result<TimelineEntry, DeskError> {
        let req = self
            .http
            .post(format!("{}/items/{id}/comments", self.base))
            .bearer_auth(token)
            .json(comment);
        authed(send(req).await)
    }

    /// The department's items waiting for the responsible person's sign-off.
    pub async fn signoffs(&self, token: &str) -> Result<Vec<InboxItem>, DeskError> {
        let req = self
            .http
            .get(format!("{}/signoffs", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The responsible person signs an item off.
    pub async fn approve(&self, token: &str, id: i64) -> Result<ItemDetail, DeskError> {
        let req = self
            .http
            .post(format!("{}/items/{id}/approve", self.base))
            .bearer_auth(token);
        authed(send(req).await)
    }

    /// The responsible person returns an item to its officer.
    pub async fn return_item(
        &self,
        token: &str,
        id: i64,
        request: &ReturnRequest,
    ) -> Result<ItemDetail, DeskError> {
        let req = self
            .http
            .post(format!("{}/items/{id}/return", self.base))
            .bearer_auth(token)
            .json(request);
        authed(send(req).await)
    }

    pub async fn changes(
        &self,
        token: &str,
        since: i64,
        wait_secs: u64,
    ) -> Result<ChangesResponse, DeskError> {
        let req = self
            .http
            .get(format!(
                "{}/changes?since={since}&wait={}",
                self.base,
                wait_secs.min(LONG_POLL_SECS)
            ))
            .bearer_auth(token);
        authed(send(req).await)
    }
}

/// A request that got no answer: a refused certificate says so, anything else is the network.
fn unreachable(e: reqwest::Error) -> DeskError {
    match crate::tls::refusal_in(&e) {
        Some(refusal) => DeskError::Certificate(refusal),
        None => DeskError::OfficeUnreachable(e.to_string()),
    }
}

/// A 401 on an authenticated call means the session is gone.
fn authed<T>(r: Result<T, DeskError>) -> Result<T, DeskError> {
    match r {
        // The seat went to a successor: this desk is done with it, and is told what to do with
        // its data.
        Err(DeskError::RejectedByOffice {
            status: 401, code, ..
        }) if code.starts_with("seat_handed_over") => Err(DeskError::SeatHandedOver {
            wipe: code == "seat_handed_over_wipe",
        }),
        Err(DeskError::RejectedByOffice { status: 401, .. }) => Err(DeskError::SessionExpired),
        other => other,
    }
}

async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, DeskError> {
    let r = req.send().await.map_err(unreachable)?;
    if r.status().is_success() {
        r.json::<T>().await.map_err(unreachable)
    } else {
        Err(failure(r).await)
    }
}

/// Server errors and gateways are transient (retry later); other refusals are not.
async fn failure(r: reqwest::Response) -> DeskError {
    let status = r.status();
    let retry_after = retry_after(r.headers());
    let body: Option<ApiError> = r.json().await.ok();
    classify(status, retry_after, body)
}

/// `Retry-After` in whole seconds (the office never sends the HTTP-date form).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<std::time::Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(std::time::Duration::from_secs)
}

/// What an office refusal means for the desk. Server errors, gateways (a proxy with no office
/// behind it answers 502/504 without our JSON), throttling and timeouts are transient: try again
/// later. Anything else the office will answer the same way again.
fn classify(
    status: StatusCode,
    retry_after: Option<std::time::Duration>,
    body: Option<ApiError>,
) -> DeskError {
    // Too many failed sign-ins is the office's answer to a person, not to the network.
    let throttled_sign_in = body
        .as_ref()
        .is_some_and(|b| b.code == ErrorCode::TooManyAttempts);
    if status.is_server_error()
        || (status == StatusCode::TOO_MANY_REQUESTS && !throttled_sign_in)
        || status == StatusCode::REQUEST_TIMEOUT
    {
        // The office's own code, when it named one, goes to the window as data.
        if let Some(b) = body {
            return DeskError::OfficeTransient {
                status: status.as_u16(),
                code: code_name(b.code),
                message: b.message,
                retry_after,
            };
        }
        let detail = format!("HTTP {status}");
        return match retry_after {
            Some(retry_after) => DeskError::OfficeBusy {
                retry_after,
                detail,
            },
            None => DeskError::OfficeUnreachable(detail),
        };
    }
    match body {
        Some(ApiError {
            code: ErrorCode::SeatDisabled,
            message,
            ..
        }) => return DeskError::SeatDisabled(message),
        Some(ApiError {
            code: ErrorCode::AlreadySent,
            item_id: Some(item_id),
            ..
        }) => return DeskError::SentElsewhere { item_id },
        _ => {}
    }
    let (code, message) = match body {
        Some(ApiError { code, message, .. }) => (code_name(code), message),
        None => ("unknown".to_owned(), format!("HTTP {status}")),
    };
    DeskError::RejectedByOffice {
        status: status.as_u16(),
        code,
        message,
        wait: retry_after,
    }
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeskErrorCode;

    fn api(code: ErrorCode) -> Option<ApiError> {
        Some(ApiError {
            code,
            message: "…".into(),
            item_id: None,
        })
    }

    #[test]
    fn a_version_sent_from_another_workstation_names_the_item_to_take() {
        let answer = Some(ApiError {
            code: ErrorCode::AlreadySent,
            message: "…".into(),
            item_id: Some(42),
        });
        assert!(matches!(
            classify(StatusCode::CONFLICT, None, answer),
            DeskError::SentElsewhere { item_id: 42 }
        ));
    }

    /// What the desk makes of each office error code on an authenticated call: the code the
    /// window shows, and whether the worker retries. The `match` has no catch-all, so a new
    /// code does not build until it is classified here.
    fn expected(code: ErrorCode) -> (DeskErrorCode, bool) {
        use DeskErrorCode as D;
        use ErrorCode as E;
        match code {
            E::Unauthenticated | E::WrongCredentials => (D::SessionExpired, false),
            E::SeatHandedOver | E::SeatHandedOverWipe => (D::SeatHandedOver, false),
            // Disabled by the administrator: kept, and tried again until enabled.
            E::SeatDisabled => (D::SeatDisabled, true),
            // Written too fast, the office's disk nearly full, its database away, or a fault
            // of its own: try again later.
            E::RateLimited | E::StorageFull | E::Unavailable | E::Internal => {
                (D::OfficeUnreachable, true)
            }
            // The officer must act (a quota, a wrong code, a refused send…): the same request
            // would be refused again.
            E::BadRequest
            | E::Forbidden
            | E::NotFound
            | E::IdempotencyKeyMissing
            | E::IdempotencyKeyReused
            | E::InvalidTransition
            | E::Conflict
            | E::Validation
            | E::PayloadTooLarge
            | E::AttachmentMissing
            | E::UnsupportedFile
            | E::DigestMismatch
            | E::StaleDraft
            | E::SignoffRequired
            | E::PreflightFailed
            | E::TooManyAttempts
            | E::WeakPassword
            | E::HandoverCodeInvalid
            | E::HandoverCodeExpired
            // Without the item's id (an office that names none): refused like any conflict.
            | E::AlreadySent
            | E::QuotaExceeded
            | E::UnsupportedMediaType => (D::RejectedByOffice, false),
        }
    }

    /// Every code the office answers with, at the status it answers it with (see
    /// crates/office/src/api), and the answers without the office's JSON (a proxy, a timeout).
    #[test]
    fn every_office_error_is_classified() {
        use DeskErrorCode as D;
        for code in ErrorCode::ALL {
            let status = StatusCode::from_u16(code.http_status()).unwrap();
            let got = authed::<()>(Err(classify(status, None, api(code)))).unwrap_err();
            let (want, transient) = expected(code);
            assert_eq!(got.code(), want, "{status} {code:?}");
            assert_eq!(got.is_transient(), transient, "{status} {code:?}");
        }
        let bare: &[(u16, D, bool)] = &[
            (413, D::RejectedByOffice, false),
            (408, D::OfficeUnreachable, true),
            (429, D::OfficeUnreachable, true),
            (502, D::OfficeUnreachable, true),
            (503, D::OfficeUnreachable, true),
            (504, D::OfficeUnreachable, true),
        ];
        for &(status, want, transient) in bare {
            let status = StatusCode::from_u16(status).unwrap();
            let got = authed::<()>(Err(classify(status, None, None))).unwrap_err();
            assert_eq!(got.code(), want, "{status}");
            assert_eq!(got.is_transient(), transient, "{status}");
        }
    }

    #[test]
    fn an_office_asking_to_wait_is_its_own_code_and_carries_the_wait() {
        let wait = Duration::from_secs(7);
        let got = classify(
            StatusCode::TOO_MANY_REQUESTS,
            Some(wait),
            api(ErrorCode::RateLimited),
        );
        assert_eq!(got.code(), DeskErrorCode::OfficeBusy);
        assert!(got.is_transient());
        assert_eq!(got.retry_after(), Some(wait));
    }

    #[test]
    fn a_refusal_keeps_the_office_code_for_the_officer() {
        match classify(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            api(ErrorCode::IdempotencyKeyReused),
        ) {
            DeskError::RejectedByOffice {
                status: 422, code, ..
            } => assert_eq!(code, "idempotency_key_reused"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_throttled_write_carries_the_wait_the_office_asked_for() {
        use std::time::Duration;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        let wait = retry_after(&headers);
        assert_eq!(wait, Some(Duration::from_secs(7)));
        let e = classify(
            StatusCode::TOO_MANY_REQUESTS,
            wait,
            api(ErrorCode::RateLimited),
        );
        assert!(e.is_transient());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.to_string().contains("rate_limited"), "{e}");
        // Without the header it is transient all the same, with the worker's own backoff.
        let e = classify(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            api(ErrorCode::RateLimited),
        );
        assert!(e.is_transient() && e.retry_after().is_none());
        // The failed-sign-in throttle is a person's problem, whatever the header says.
        let e = classify(
            StatusCode::TOO_MANY_REQUESTS,
            wait,
            api(ErrorCode::TooManyAttempts),
        );
        assert!(!e.is_transient() && e.retry_after().is_none());
        // The window still learns when the office takes the next attempt.
        match crate::DeskErrorView::from(&e).data.map(|d| *d) {
            Some(crate::error::DeskErrorData::Office {
                code,
                retry_after_secs,
                ..
            }) => assert_eq!(
                (code.as_str(), retry_after_secs),
                ("too_many_attempts", Some(7))
            ),
            other => panic!("{other:?}"),
        }
        // A nearly full office keeps its code in the detail for the window.
        let e = classify(
            StatusCode::INSUFFICIENT_STORAGE,
            None,
            api(ErrorCode::StorageFull),
        );
        assert!(
            e.is_transient() && e.to_string().contains("storage_full"),
            "{e}"
        );
        match crate::DeskErrorView::from(&e).data.map(|d| *d) {
            Some(crate::error::DeskErrorData::Office { code, .. }) => {
                assert_eq!(code, "storage_full")
            }
            other => panic!("{other:?}"),
        }
        for bad in ["", "soon", "-1", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(reqwest::header::RETRY_AFTER, bad.parse().unwrap());
            assert_eq!(retry_after(&h), None, "{bad:?}");
        }
    }
}
