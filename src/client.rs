//! Who is on the other end of a request: the client's address, for
//! throttling and the audit log. It is the connection's peer, unless the
//! peer is a trusted proxy (`CASEDESK_TRUSTED_PROXIES`): then it is the
//! first address in `X-Forwarded-For`, counted from the right, that is not a
//! trusted proxy itself. Anyone can write that header, so from an untrusted
//! peer it is ignored.
//!
//! Throttles and limits count a client by [`ClientAddress::throttle_key`]:
//! an IPv4 address, or the network of an IPv6 address (its first
//! `CASEDESK_IPV6_PREFIX` bits, 64 by default), since whoever holds one
//! address of a /64 can use all 2^64 of them.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use ipnet::IpNet;

use crate::error::AppError;

/// The client's address, and how many leading bits of an IPv6 address
/// name one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress {
    ip: IpAddr,
    ipv6_prefix: u8,
}

/// The address itself (for logs and audit).
impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ip.fmt(f)
    }
}

/// What [`ClientAddress::of`] reads, as the service's app data: the proxies
/// whose `X-Forwarded-For` is believed (`CASEDESK_TRUSTED_PROXIES`) and how
/// many leading bits of an IPv6 address name one client (`CASEDESK_IPV6_PREFIX`).
#[derive(Debug, Clone)]
pub struct ClientRules {
    /// The trusted proxies.
    pub trusted_proxies: Vec<IpNet>,
    /// The IPv6 prefix length that counts as one client.
    pub ipv6_prefix: u8,
}

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
    /// `ip`, whose IPv6 clients are told apart by their first `ipv6_prefix`
    /// bits (at most 128). An IPv4 address written as IPv6 (`::ffff:a.b.c.d`)
    /// is the IPv4 address.
    pub fn new(ip: IpAddr, ipv6_prefix: u8) -> ClientAddress {
        ClientAddress { ip: ip.to_canonical(), ipv6_prefix: ipv6_prefix.min(128) }
    }

    /// The address of `req`'s client under the service's settings.
    pub fn of(req: &HttpRequest) -> ClientAddress {
        let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let rules = req.app_data::<web::Data<ClientRules>>();
        let trusted = rules.map(|r| r.trusted_proxies.as_slice()).unwrap_or(&[]);
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
        let prefix = rules.map_or(64, |r| r.ipv6_prefix);
        ClientAddress::new(resolve(peer, &forwarded, trusted), prefix)
    }

    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Whom throttles and limits count: an IPv4 address as it is; an IPv6
    /// address as its network (`2001:db8:bb::/64`).
    pub fn throttle_key(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = u128::MAX.checked_shl(128 - u32::from(self.ipv6_prefix)).unwrap_or(0);
                format!("{}/{}", Ipv6Addr::from(bits & mask), self.ipv6_prefix)
            }
        }
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

    #[test]
    fn ipv6_clients_are_their_network_and_ipv4_clients_their_address() {
        let key = |s: &str, prefix: u8| ClientAddress::new(ip(s), prefix).throttle_key();
        assert_eq!(key("2001:db8:bb::1", 64), "2001:db8:bb::/64");
        assert_eq!(key("2001:db8:bb:0:ffff:1:2:3", 64), "2001:db8:bb::/64");
        assert_ne!(key("2001:db8:bb:1::1", 64), key("2001:db8:bb::1", 64));
        assert_eq!(key("2001:db8:bb:1::1", 48), "2001:db8:bb::/48");
        assert_eq!(key("2001:db8:bb::1", 128), "2001:db8:bb::1/128");
        assert_eq!(key("203.0.113.9", 64), "203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9", 64), "203.0.113.9", "IPv4 written as IPv6");
        assert_eq!(
            ClientAddress::new(ip("2001:db8:bb::1"), 64).to_string(),
            "2001:db8:bb::1",
            "logs keep the address"
        );
    }
}
