//! The client's IP address: the TCP peer, unless the peer is a trusted proxy, in which case
//! the right-most address in `X-Forwarded-For` that is not itself a trusted proxy. Anything a
//! client can write into the header to the left of that is ignored.
use crate::config::IpNet;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub use app::server::actor::ClientIp;

/// Set on every request by [`resolve`]; read by handlers, rate limits and audit rows.
pub fn from_peer(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> ClientIp {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut ip = peer;
    if is_trusted(peer) {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(hop) if is_trusted(hop) => ip = hop,
                Ok(hop) => {
                    ip = hop;
                    break;
                }
                // Garbage in the chain: stop at the last address we could believe.
                Err(_) => break,
            }
        }
    }
    ClientIp { ip, peer }
}

/// The client address the front door resolved for this request.
pub fn of(extensions: &axum::http::Extensions) -> Option<ClientIp> {
    extensions.get::<ClientIp>().copied()
}

pub async fn resolve(
    State(trusted): State<Arc<[IpNet]>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = from_peer(peer, request.headers(), &trusted);
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_from_an_untrusted_peer() {
        let c = from_peer(ip("203.0.113.9"), &headers("127.0.0.1"), &[]);
        assert_eq!(c.ip, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = [IpNet::parse("10.0.0.0/8").unwrap()];
        let c = from_peer(
            ip("10.0.0.2"),
            &headers("1.1.1.1, 198.51.100.7, 10.0.0.3"),
            &trusted,
        );
        // 1.1.1.1 was written by the client and is not believed.
        assert_eq!(c.ip, ip("198.51.100.7"));
        assert_eq!(c.peer, ip("10.0.0.2"));
    }

    #[test]
    fn garbage_in_the_chain_stops_the_walk() {
        let trusted = [IpNet::parse("10.0.0.0/8").unwrap()];
        let c = from_peer(ip("10.0.0.2"), &headers("1.1.1.1, nonsense"), &trusted);
        assert_eq!(c.ip, ip("10.0.0.2"));
    }
}
