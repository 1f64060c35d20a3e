//! The office over HTTPS: the same router served over rustls, from a PEM certificate chain and
//! key, and the certificate's fingerprint the officers compare on their desks.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use crate::AppState;

/// The office's certificate chain (leaf first) and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: no such file", .0.display())]
    Missing(PathBuf),
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----): {detail}", .path.display())]
    NoCertificate { path: PathBuf, detail: String },
    #[error("{} holds no PEM private key (-----BEGIN PRIVATE KEY-----): {detail}", .path.display())]
    NoKey { path: PathBuf, detail: String },
    #[error("the private key in {} does not match the certificate in {}", .key.display(), .cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot use {} and {}: {source}", .cert.display(), .key.display())]
    Unusable {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
    #[error("serving HTTPS failed: {0}")]
    Serve(std::io::Error),
}

/// The SHA-256 of a certificate's DER bytes as upper-case hex pairs joined by `:`
/// (`AB:01:…`, 95 characters), the form the office prints and the desk shows.
pub fn fingerprint(cert_der: &[u8]) -> String {
    let digest = Sha256::digest(cert_der);
    let hex = hex::encode_upper(digest);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of the leaf (first) certificate in `tls.cert`.
pub fn leaf_fingerprint(tls: &TlsFiles) -> Result<String, TlsError> {
    let chain = load_chain(&tls.cert)?;
    // load_chain refuses an empty chain.
    Ok(chain
        .first()
        .map(|c| fingerprint(c.as_ref()))
        .unwrap_or_default())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            TlsError::Missing(path.to_owned())
        } else {
            TlsError::Unreadable {
                path: path.to_owned(),
                source,
            }
        }
    })
}

/// Every certificate of a PEM file, in order; at least one.
fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::NoCertificate {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
            detail: "the file is empty or not PEM".into(),
        });
    }
    Ok(chain)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::NoKey {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// The server configuration from the files: the chain, a key that matches its leaf, HTTP/2 and
/// HTTP/1.1 offered.
pub fn server_config(tls: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let chain = load_chain(&tls.cert)?;
    let key = load_key(&tls.key)?;
    let unusable = |source| TlsError::Unusable {
        cert: tls.cert.clone(),
        key: tls.key.clone(),
        source,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(unusable)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                cert: tls.cert.clone(),
                key: tls.key.clone(),
            },
            other => unusable(other),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves the office (`crate::router`) over HTTPS on `listener` until `shutdown` resolves.
/// Session cookies are `Secure` in this mode.
pub async fn serve_tls(
    listener: TcpListener,
    mut state: AppState,
    tls: &TlsFiles,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TlsError> {
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(server_config(tls)?));
    state.tls = true;
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Requests under way may finish; idle connections close at once.
        stopping.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let listener = listener.into_std().map_err(TlsError::Serve)?;
    axum_server::from_tcp_rustls(listener, config)
        .map_err(TlsError::Serve)?
        .handle(handle)
        .serve(crate::router(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
        .map_err(TlsError::Serve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_upper_case_hex_pairs_joined_by_colons() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
        let fp = fingerprint(b"liaison");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.split(':').all(|pair| {
            pair.len() == 2
                && pair
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
        }));
    }

    #[test]
    fn missing_and_non_pem_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = TlsFiles {
            cert: dir.path().join("nope.pem"),
            key: dir.path().join("nope.key"),
        };
        let e = leaf_fingerprint(&missing).unwrap_err();
        assert!(
            matches!(e, TlsError::Missing(ref p) if p.ends_with("nope.pem")),
            "{e}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = leaf_fingerprint(&TlsFiles {
            cert: junk.clone(),
            key: junk,
        })
        .unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e}");
        assert!(e.to_string().contains("junk.pem"), "{e}");
    }
}
