//! The seat's session: signing in (with a password or a handover code) and out, the token in the
//! keyring, and what the desk does when the office says the session is over.

use super::{Desk, blocking};
use crate::DeskError;
use crate::client::OfficeClient;
use crate::view::{FirstScreen, HandedOver, MainScreen, SessionView};

impl Desk {
    pub fn session(&self) -> Result<SessionView, DeskError> {
        Ok(SessionView {
            office_url: self.store.meta("office_url")?,
            seat: self.store.seat()?,
            handed_over: self.handed_over_info()?,
        })
    }

    /// The session and, while a seat is signed in, its main view's first frame: what the
    /// window's first screen needs, in one read (one round trip through the window's IPC).
    pub fn first_screen(&self) -> Result<FirstScreen, DeskError> {
        let session = self.session()?;
        let main = match session.seat {
            Some(_) => Some(MainScreen {
                columns: self.columns()?,
                board: self.board()?,
                commissions: self.commissions()?,
                standing: self.standing()?,
                drafts: self.drafts()?,
                notices: self.notices()?,
            }),
            None => None,
        };
        Ok(FirstScreen { session, main })
    }

    pub(super) fn handed_over_info(&self) -> Result<Option<HandedOver>, DeskError> {
        Ok(self
            .store
            .meta("handed_over")?
            .and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Refuses local changes once the seat went to a successor: the data is read-only.
    pub(crate) fn writable(&self) -> Result<(), DeskError> {
        match self.handed_over_info()? {
            Some(h) => Err(DeskError::SeatHandedOver { wipe: h.wiped }),
            None => Ok(()),
        }
    }

    pub async fn sign_in(
        &self,
        office_url: &str,
        login: &str,
        password: &str,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_address(office_url)?;
        let client = self.client_for(&office_url)?;
        let answer = client.sign_in(login.trim(), password).await?;
        self.take_session(&client, &office_url, answer).await
    }

    /// The successor signs in with the seat's handover code and their own new password; the
    /// seat's drafts, items, duties and notices arrive with the next sync.
    pub async fn redeem_handover(
        &self,
        office_url: &str,
        login: &str,
        code: &str,
        new_password: &str,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_address(office_url)?;
        let client = self.client_for(&office_url)?;
        let request = liaison_domain::wire::RedeemHandoverRequest {
            login: login.trim().to_owned(),
            code: code.trim().to_owned(),
            new_password: new_password.to_owned(),
        };
        let answer = client.redeem_handover(&request).await?;
        self.take_session(&client, &office_url, answer).await
    }

    /// Keeps a new session: the token in the keyring, the seat, the board; the seat's sent items
    /// are fetched on the next sync.
    async fn take_session(
        &self,
        client: &OfficeClient,
        office_url: &str,
        answer: liaison_domain::wire::SignInResponse,
    ) -> Result<SessionView, DeskError> {
        let office_url = office_url.to_owned();
        // One store holds one seat's work at one office: another seat may take it over only
        // when nothing of the previous one waits to be sent, and starts following from zero.
        let owner = format!("{office_url} {}", answer.seat.login);
        if let Some(previous) = self.db(|s| s.meta("owner"))?
            && previous != owner
        {
            if !self.db(|s| s.outbox())?.is_empty() {
                if let Err(e) = client.sign_out(&answer.token).await {
                    tracing::warn!(error = %e, "the office did not hear the sign-out");
                }
                // The owner is kept as "<office address> <login>"; an address has no spaces.
                let (office_url, login) = previous.rsplit_once(' ').unwrap_or(("", &previous));
                return Err(DeskError::OtherSeatUnsent {
                    office_url: office_url.to_owned(),
                    login: login.to_owned(),
                });
            }
            self.db(|s| s.delete_meta("cursor"))?;
            self.db(|s| s.delete_meta("backup_cursor"))?;
        }
        self.db(|s| s.set_meta("owner", &owner))?;
        // Signed in again (the successor on this workstation): the desk works again.
        self.db(|s| s.delete_meta("handed_over"))?;
        self.db(|s| s.set_meta("import_items", "1"))?;
        blocking(|| {
            self.keyring
                .store_token(&office_url, &answer.seat.login, &answer.token)
        })?;
        self.db(|s| s.set_meta("office_url", &office_url))?;
        self.db(|s| s.set_seat(&answer.seat))?;
        self.refresh_board(client, &answer.token).await?;
        tracing::info!(seat = %answer.seat.login, "signed in");
        self.wake.notify_one();
        blocking(|| self.session())
    }

    pub async fn sign_out(&self) -> Result<SessionView, DeskError> {
        if let (Some(url), Some(seat)) =
            (self.db(|s| s.meta("office_url"))?, self.db(|s| s.seat())?)
        {
            if let Ok(Some(token)) = blocking(|| self.keyring.token(&url, &seat.login)) {
                // Best effort: offline, the token still dies at its expiry.
                let heard = match self.client_for(&url) {
                    Ok(client) => client.sign_out(&token).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = heard {
                    tracing::warn!(error = %e, "the office did not hear the sign-out");
                }
            }
            blocking(|| self.keyring.forget_token(&url, &seat.login))?;
        }
        self.db(|s| s.delete_meta("seat"))?;
        // Ends a round in progress, which would otherwise go on with the old token.
        self.wake.notify_one();
        blocking(|| self.session())
    }

    /// The client and token for the signed-in seat.
    /// Reads the store and the keyring (a D-Bus call): off the async runtime's threads.
    pub(super) fn credentials(&self) -> Result<(OfficeClient, String), DeskError> {
        blocking(|| {
            let url = self
                .store
                .meta("office_url")?
                .ok_or(DeskError::NotSignedIn)?;
            let seat = self.store.seat()?.ok_or(DeskError::NotSignedIn)?;
            let token = self
                .keyring
                .token(&url, &seat.login)?
                .ok_or(DeskError::NotSignedIn)?;
            let trust = self.trust_for(&url)?;
            let mut cached = self.client.lock().unwrap_or_else(|p| p.into_inner());
            let client = match cached.as_ref() {
                Some(c) if c.office_url() == url && *c.trust() == trust => c.clone(),
                _ => cached.insert(OfficeClient::new(&url, &trust)?).clone(),
            };
            Ok((client, token))
        })
    }

    /// The office no longer knows our token: forget it and show the sign-in again.
    fn session_expired(&self) -> Result<(), DeskError> {
        if let (Some(url), Some(seat)) = (self.store.meta("office_url")?, self.store.seat()?) {
            self.keyring.forget_token(&url, &seat.login)?;
        }
        self.store.delete_meta("seat")
    }

    pub(super) fn expired_guard<T>(&self, r: Result<T, DeskError>) -> Result<T, DeskError> {
        match r {
            Err(DeskError::SessionExpired) => blocking(|| self.session_expired())?,
            Err(DeskError::SeatHandedOver { wipe }) => blocking(|| self.seat_handed_over(wipe))?,
            _ => {}
        }
        r
    }
}

/// An office address as typed: trimmed, without a trailing slash, and http(s).
fn office_address(typed: &str) -> Result<String, DeskError> {
    let url = typed.trim().trim_end_matches('/').to_owned();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(DeskError::BadOfficeAddress(url))
    }
}
