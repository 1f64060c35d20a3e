//! The desk's trust settings: the CA file the office hands out, and the certificates the
//! officer trusted on first use (one pin per office address).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::client::OfficeClient;
use crate::tls::{OfficeTrust, is_fingerprint, read_ca_file};
use crate::{Desk, DeskError};

const CA_FILE_KEY: &str = "tls_ca_file";
const PIN_PREFIX: &str = "tls_pin ";

/// What the settings show of the desk's trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TrustView {
    /// The CA file whose certificates the desk trusts besides the system's.
    pub ca_file: Option<String>,
    /// Offices trusted with exactly one certificate.
    pub pinned: Vec<PinnedOffice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PinnedOffice {
    pub office_url: String,
    /// The SHA-256 fingerprint of the office's certificate.
    pub fingerprint: String,
}

/// The form the desk keeps an office address in: trimmed, without a trailing slash.
fn normalised(office_url: &str) -> String {
    office_url.trim().trim_end_matches('/').to_owned()
}

impl Desk {
    /// What the desk trusts for `office_url`.
    pub(crate) fn trust_for(&self, office_url: &str) -> Result<OfficeTrust, DeskError> {
        Ok(OfficeTrust {
            ca_file: self.store_meta(CA_FILE_KEY)?.map(PathBuf::from),
            pin: self.store_meta(&format!("{PIN_PREFIX}{}", normalised(office_url)))?,
        })
    }

    /// A client of `office_url` under the current trust settings.
    pub(crate) fn client_for(&self, office_url: &str) -> Result<OfficeClient, DeskError> {
        OfficeClient::new(office_url, &self.trust_for(office_url)?)
    }

    pub fn trust_settings(&self) -> Result<TrustView, DeskError> {
        Ok(TrustView {
            ca_file: self.store_meta(CA_FILE_KEY)?,
            pinned: self
                .store_ref()
                .meta_with_prefix(PIN_PREFIX)?
                .into_iter()
                .map(|(key, fingerprint)| PinnedOffice {
                    office_url: key[PIN_PREFIX.len()..].to_owned(),
                    fingerprint,
                })
                .collect(),
        })
    }

    /// Sets (or with `None` clears) the CA file; it must hold at least one PEM certificate.
    pub fn set_ca_file(&self, path: Option<&str>) -> Result<TrustView, DeskError> {
        match path.map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => {
                let path = PathBuf::from(path);
                let certs = read_ca_file(&path)?;
                self.set_store_meta(CA_FILE_KEY, &path.to_string_lossy())?;
                tracing::info!(file = %path.display(), certificates = certs.len(), "CA file set");
            }
            None => self.delete_store_meta(CA_FILE_KEY)?,
        }
        self.trust_settings()
    }

    /// Trusts `office_url` with exactly the certificate of this fingerprint, after the officer
    /// compared it with the one the office printed.
    pub fn trust_certificate(
        &self,
        office_url: &str,
        fingerprint: &str,
    ) -> Result<TrustView, DeskError> {
        let office_url = normalised(office_url);
        crate::tls::check_address(&office_url)?;
        let fingerprint = fingerprint.trim().to_ascii_uppercase();
        if !is_fingerprint(&fingerprint) {
            return Err(DeskError::InvalidState(format!(
                "not a SHA-256 fingerprint: {fingerprint:?}"
            )));
        }
        self.set_store_meta(&format!("{PIN_PREFIX}{office_url}"), &fingerprint)?;
        tracing::info!(office = %office_url, %fingerprint, "office certificate trusted");
        self.trust_settings()
    }

    /// Forgets the pinned certificate of `office_url` (the office announced a new one).
    pub fn forget_certificate(&self, office_url: &str) -> Result<TrustView, DeskError> {
        let office_url = normalised(office_url);
        self.delete_store_meta(&format!("{PIN_PREFIX}{office_url}"))?;
        tracing::info!(office = %office_url, "pinned office certificate forgotten");
        self.trust_settings()
    }
}
