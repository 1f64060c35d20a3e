//! How the desk trusts an office: plain HTTP only on loopback; over HTTPS the system's roots
//! plus the CA file named in the settings, or, for an office the officer chose to trust on first
//! use, exactly its pinned certificate.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

use crate::DeskError;

/// What the desk trusts for one office: the CA file of the settings, and the pinned certificate
/// of that office if the officer trusted it on first use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeTrust {
    pub ca_file: Option<PathBuf>,
    /// The SHA-256 fingerprint ([`fingerprint`]) the office's leaf certificate must have.
    pub pin: Option<String>,
}

/// Why the desk refused an office's certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRefusal {
    /// No CA file is set and the system does not trust it: the officer may compare and pin it.
    #[error("the office's certificate is not trusted by this computer (SHA-256 {presented})")]
    Unknown { presented: String },
    /// The office is pinned, and showed another certificate.
    #[error(
        "the office's certificate changed: trusted SHA-256 {pinned}, the office shows {presented}"
    )]
    Changed { pinned: String, presented: String },
    /// A CA file is set, and neither it nor the system vouches for the certificate.
    #[error(
        "the office's certificate (SHA-256 {presented}) is not signed by a trusted CA: {reason}"
    )]
    NotByTrustedCa { presented: String, reason: String },
}

/// The SHA-256 of a certificate's DER bytes as upper-case hex pairs joined by `:`, the form the
/// office prints at `init` and at start.
pub fn fingerprint(cert_der: &[u8]) -> String {
    let hex = hex::encode_upper(Sha256::digest(cert_der));
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// Whether `fp` is a fingerprint in [`fingerprint`]'s form.
pub fn is_fingerprint(fp: &str) -> bool {
    fp.len() == 32 * 3 - 1
        && fp.split(':').all(|pair| {
            pair.len() == 2
                && pair
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
        })
}

/// Whether a host names this computer: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Refuses an address the desk must not talk to: anything but http(s), and plain HTTP to any
/// host that is not loopback (before any connection is made).
pub fn check_address(office_url: &str) -> Result<reqwest::Url, DeskError> {
    let url =
        reqwest::Url::parse(office_url).map_err(|e| DeskError::BadOfficeAddress(e.to_string()))?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(host) => Ok(url),
        "http" => Err(DeskError::PlainHttpRefused(office_url.to_owned())),
        _ => Err(DeskError::BadOfficeAddress(office_url.to_owned())),
    }
}

/// Every certificate in a PEM file (at least one), for the CA file setting.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, DeskError> {
    let invalid =
        |detail: String| DeskError::CaFileInvalid(format!("{}: {detail}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    if certs.is_empty() {
        return Err(invalid(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
        ));
    }
    Ok(certs)
}

/// The TLS configuration of a client of one office under `trust`.
pub(crate) fn client_config(trust: &OfficeTrust) -> Result<rustls::ClientConfig, DeskError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let extra_roots = match &trust.ca_file {
        Some(path) => read_ca_file(path)?,
        None => Vec::new(),
    };
    // Without any root (no system store, no CA file) nothing is vouched for: every unpinned
    // office is then unknown, and may still be trusted on first use.
    let system = match rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots,
        provider.clone(),
    ) {
        Ok(verifier) => Some(Arc::new(verifier)),
        Err(e) => {
            tracing::warn!(error = %e, "no root certificates: only pinned offices are trusted");
            None
        }
    };
    let verifier = OfficeVerifier {
        system,
        pin: trust.pin.clone(),
        has_ca_file: trust.ca_file.is_some(),
        provider: provider.clone(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DeskError::Internal(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// A pinned office: only the pinned leaf certificate, whatever vouches for it. Otherwise: the
/// system's verifier (its roots plus the CA file). Handshake signatures are always checked.
#[derive(Debug)]
struct OfficeVerifier {
    system: Option<Arc<rustls_platform_verifier::Verifier>>,
    pin: Option<String>,
    has_ca_file: bool,
    provider: Arc<CryptoProvider>,
}

fn refused(refusal: CertificateRefusal) -> rustls::Error {
    rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
        Arc::new(refusal),
    )))
}

impl ServerCertVerifier for OfficeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        if let Some(pinned) = &self.pin {
            return if *pinned == presented {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(refused(CertificateRefusal::Changed {
                    pinned: pinned.clone(),
                    presented,
                }))
            };
        }
        let system = self.system.as_ref().ok_or_else(|| {
            refused(CertificateRefusal::Unknown {
                presented: presented.clone(),
            })
        })?;
        system
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| {
                tracing::warn!(error = %e, fingerprint = %presented, "office certificate not trusted");
                refused(if self.has_ca_file {
                    CertificateRefusal::NotByTrustedCa {
                        presented,
                        reason: e.to_string(),
                    }
                } else {
                    CertificateRefusal::Unknown { presented }
                })
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificate refusal somewhere in a request's error, if that is why it failed.
/// (`io::Error` hides the error it wraps from `source()`, so it is opened with `get_ref`.)
pub(crate) fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<CertificateRefusal> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<CertificateRefusal>() {
            return Some(r.clone());
        }
        if let Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) =
            e.downcast_ref::<rustls::Error>()
            && let Some(r) = other.0.downcast_ref::<CertificateRefusal>()
        {
            return Some(r.clone());
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(r) = refusal_in(inner)
        {
            return Some(r);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_upper_case_hex_pairs_joined_by_colons() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        let abc = fingerprint(b"abc");
        assert_eq!(
            abc,
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
        assert!(is_fingerprint(&abc));
        assert!(!is_fingerprint(&abc.to_lowercase()));
        assert!(!is_fingerprint(&abc.replace(':', "")));
        assert!(!is_fingerprint(&abc[3..]));
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8480",
            "http://127.8.9.10",
            "http://localhost:8480",
            "http://LOCALHOST",
            "http://[::1]:8480",
            "https://10.1.2.3:8443",
            "https://office.example.gov.cn",
        ] {
            assert!(check_address(ok).is_ok(), "{ok} should be allowed");
        }
        for refused in [
            "http://10.1.2.3:8480",
            "http://128.0.0.1",
            "http://office.example.gov.cn",
            "http://localhost.example.com",
            "http://[::2]",
            "http://0.0.0.0:8480",
        ] {
            assert!(
                matches!(check_address(refused), Err(DeskError::PlainHttpRefused(_))),
                "{refused} should be refused"
            );
        }
        for bad in ["ftp://127.0.0.1", "127.0.0.1:8480", ""] {
            assert!(
                matches!(check_address(bad), Err(DeskError::BadOfficeAddress(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_refusal_is_found_inside_an_io_error() {
        let refusal = CertificateRefusal::Unknown {
            presented: fingerprint(b"x"),
        };
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refused(refusal.clone()));
        assert_eq!(refusal_in(&io), Some(refusal));
        assert_eq!(refusal_in(&std::io::Error::other("no")), None);
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("ca.pem");
        std::fs::write(&junk, "hello").unwrap();
        let e = read_ca_file(&junk).unwrap_err();
        assert!(
            matches!(e, DeskError::CaFileInvalid(ref m) if m.contains("ca.pem")),
            "{e}"
        );
        let e = read_ca_file(&dir.path().join("missing.pem")).unwrap_err();
        assert!(matches!(e, DeskError::CaFileInvalid(_)), "{e}");
    }
}
