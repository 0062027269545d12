//! Who is on the other end of a request: the client's address, for
//! throttling and the audit log. It is the connection's peer, unless the
//! peer is a trusted proxy (`CASEDESK_TRUSTED_PROXIES`): then it is the
//! first address in `X-Forwarded-For`, counted from the right, that is not a
//! trusted proxy itself. Anyone can write that header, so from an untrusted
//! peer it is ignored.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv4Addr};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use ipnet::IpNet;

use crate::error::AppError;

/// The client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`CASEDESK_TRUSTED_PROXIES`),
/// as the service's app data: what [`ClientAddress::of`] reads.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

/// The client's address given the peer, the `X-Forwarded-For` values in
/// order, and the trusted proxies.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    hops.iter().rev().find(|hop| !is_trusted(hop)).or(hops.first()).copied().unwrap_or(peer)
}

impl ClientAddress {
    /// The address of `req`'s client under the service's settings.
    pub fn of(req: &HttpRequest) -> ClientAddress {
        let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let trusted = req.app_data::<web::Data<TrustedProxies>>().map(|t| t.0.as_slice());
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
        ClientAddress(resolve(peer, &forwarded, trusted.unwrap_or(&[])))
    }
}

impl FromRequest for ClientAddress {
    type Error = AppError;
    type Future = Ready<Result<ClientAddress, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddress::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxy: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(resolve(ip("203.0.113.9"), &["1.2.3.4"], &proxy), ip("203.0.113.9"), "untrusted peer");
        assert_eq!(resolve(ip("10.0.0.2"), &["1.2.3.4"], &proxy), ip("1.2.3.4"));
        assert_eq!(
            resolve(ip("10.0.0.2"), &["6.6.6.6, 1.2.3.4, 10.0.0.7"], &proxy),
            ip("1.2.3.4"),
            "the first untrusted hop from the right: the client can forge what is left of it"
        );
        assert_eq!(resolve(ip("10.0.0.2"), &["10.0.0.3"], &proxy), ip("10.0.0.3"), "all trusted");
        assert_eq!(resolve(ip("10.0.0.2"), &["garbage"], &proxy), ip("10.0.0.2"));
        assert_eq!(resolve(ip("127.0.0.1"), &["1.2.3.4"], &[]), ip("127.0.0.1"), "none trusted by default");
    }
}
