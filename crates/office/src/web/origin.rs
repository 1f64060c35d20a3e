//! Where a request came from, believing a reverse proxy only when it is one of ours.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::AppState;

/// The client's address, for the audit log.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(origin(parts, state).address))
    }
}

/// Where a request came from: the client's address, and whether it reached the office over
/// HTTPS. What a reverse proxy says of the client (`X-Forwarded-For`, `X-Forwarded-Proto`) is
/// believed only when the connection comes from one of the trusted proxies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub address: String,
    pub https: bool,
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(origin(parts, state))
    }
}

/// The [`Origin`] of a request.
pub fn origin(parts: &Parts, state: &AppState) -> Origin {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let header = |name: &str| {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let trusted = |ip: &std::net::IpAddr| state.trusted_proxies.contains(ip);
    match peer {
        Some(peer) if trusted(&peer) => {
            // The nearest address that is not one of our own proxies is the client.
            let hops: Vec<std::net::IpAddr> = header("x-forwarded-for")
                .split(',')
                .filter_map(|h| h.trim().parse().ok())
                .collect();
            let client = hops
                .iter()
                .rev()
                .find(|ip| !trusted(ip))
                .or(hops.first())
                .copied()
                .unwrap_or(peer);
            let proto = header("x-forwarded-proto");
            Origin {
                address: client.to_string(),
                https: state.tls
                    || proto
                        .split(',')
                        .next()
                        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")),
            }
        }
        Some(peer) => Origin {
            address: peer.to_string(),
            https: state.tls,
        },
        None => Origin {
            address: "unknown".to_owned(),
            https: state.tls,
        },
    }
}
