//! The office's HTTP API as the desk uses it.

use std::time::Duration;

use liaison_domain::ColumnView;
use liaison_domain::wire::{
    ApiError, ChangesResponse, ErrorCode, IDEMPOTENCY_KEY_HEADER, SignInRequest, SignInResponse,
    SubmitItemRequest, SubmitItemResponse,
};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::DeskError;

#[derive(Clone)]
pub struct OfficeClient {
    http: Client,
    office_url: String,
    base: String,
}

/// Longest a long poll may wait at the office.
pub const LONG_POLL_SECS: u64 = 25;

impl OfficeClient {
    pub fn new(office_url: &str) -> Result<Self, DeskError> {
        let office_url = office_url.trim_end_matches('/').to_owned();
        let base = format!("{office_url}/api/v1");
        let http = Client::builder()
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
        })
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

    pub async fn columns(&self, token: &str) -> Result<Vec<ColumnView>, DeskError> {
        authed(
            send(
                self.http
                    .get(format!("{}/columns", self.base))
                    .bearer_auth(token),
            )
            .await,
        )
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

fn unreachable(e: reqwest::Error) -> DeskError {
    DeskError::OfficeUnreachable(e.to_string())
}

/// A 401 on an authenticated call means the session is gone.
fn authed<T>(r: Result<T, DeskError>) -> Result<T, DeskError> {
    match r {
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
    let body: Option<ApiError> = r.json().await.ok();
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return DeskError::OfficeUnreachable(format!(
            "HTTP {status}{}",
            body.map(|b| format!(": {}", b.message)).unwrap_or_default()
        ));
    }
    let (code, message) = match body {
        Some(ApiError { code, message }) => (code_name(code), message),
        None => ("unknown".to_owned(), format!("HTTP {status}")),
    };
    DeskError::RejectedByOffice {
        status: status.as_u16(),
        code,
        message,
    }
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
