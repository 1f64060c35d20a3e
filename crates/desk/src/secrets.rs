//! The session token in the OS keyring (Secret Service on Linux), never in SQLite or logs.

use keyring::Entry;

use crate::DeskError;

/// One service name in the OS keyring; entries are keyed by office and login.
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Keyring {
    pub const DEFAULT_SERVICE: &'static str = "liaison-desk";

    pub fn new(service: impl Into<String>) -> Self {
        Keyring {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, office_url: &str, login: &str) -> Result<Entry, DeskError> {
        Entry::new(&self.service, &format!("{login}@{office_url}")).map_err(unavailable)
    }

    pub fn store_token(&self, office_url: &str, login: &str, token: &str) -> Result<(), DeskError> {
        self.entry(office_url, login)?
            .set_password(token)
            .map_err(unavailable)
    }

    /// The token, or `None` if there is none for this seat.
    pub fn token(&self, office_url: &str, login: &str) -> Result<Option<String>, DeskError> {
        match self.entry(office_url, login)?.get_password() {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn forget_token(&self, office_url: &str, login: &str) -> Result<(), DeskError> {
        match self.entry(office_url, login)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// True when entries go to the platform's real keyring, not the crate's in-memory mock
    /// (which keyring 3 silently uses when no backend feature is enabled).
    pub fn is_platform_store(&self) -> bool {
        let Ok(entry) = Entry::new(&self.service, "probe") else {
            return false;
        };
        !entry.get_credential().is::<keyring::mock::MockCredential>()
    }
}

fn unavailable(e: keyring::Error) -> DeskError {
    DeskError::KeyringUnavailable(e.to_string())
}
