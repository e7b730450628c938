//! The client's address behind reverse proxies. `X-Forwarded-For` is a list each
//! proxy appends to, so only its right end is written by proxies we run; its left
//! end is whatever the client sent. The address is therefore the rightmost hop that
//! is not one of our proxies — never the leftmost entry, which would let anyone
//! choose their address (and with it every per-address limit and audit record).

use std::net::IpAddr;

/// One trusted network: an address and a prefix length (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `a.b.c.d/n`, `a:b::/n`, or a bare address (a single host).
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { address, prefix })
    }

    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(value: u128, bits: u8, prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { value >> (bits - prefix) }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Which peers are our own reverse proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    /// Networks whose hops are skipped.
    pub networks: Vec<Network>,
    /// The direct peer is a proxy whatever its address (one hop; the older
    /// `KUKE_ID_TRUST_FORWARDED_FOR` switch).
    pub trust_peer: bool,
}

impl TrustedProxies {
    /// Parses a comma-separated list of networks; the bad entry on failure.
    pub fn parse_list(text: &str) -> Result<Vec<Network>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Network::parse(entry).ok_or_else(|| entry.to_string()))
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then
    /// walking `X-Forwarded-For` from the right, the first hop that is not a trusted
    /// proxy. An entry that is not an address stops the walk at the last proxy.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        let Some(forwarded_for) = forwarded_for else { return peer };
        if !(self.trust_peer || self.trusts(peer)) {
            return peer;
        }
        let mut last = peer;
        for hop in forwarded_for.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else { return last };
            let ip = canonical(ip);
            if !self.trusts(ip) {
                return ip;
            }
            last = ip;
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn behind(list: &str) -> TrustedProxies {
        TrustedProxies { networks: TrustedProxies::parse_list(list).expect("list"), trust_peer: false }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            TrustedProxies::default().client_address(ip("203.0.113.9"), Some("198.51.100.1")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_peer_that_is_not_a_proxy_cannot_name_another_address() {
        let proxies = behind("10.0.0.0/8");
        assert_eq!(proxies.client_address(ip("203.0.113.9"), Some("198.51.100.1")), ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_hop_that_is_not_a_proxy_is_the_client() {
        let proxies = behind("10.0.0.0/8");
        let header = "1.2.3.4, 198.51.100.7, 10.0.0.5";
        assert_eq!(proxies.client_address(ip("10.0.0.1"), Some(header)), ip("198.51.100.7"));
    }

    #[test]
    fn a_client_written_leftmost_entry_is_not_believed() {
        let proxies = TrustedProxies { networks: vec![], trust_peer: true };
        assert_eq!(proxies.client_address(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_proxy() {
        let proxies = behind("10.0.0.0/8");
        assert_eq!(proxies.client_address(ip("10.0.0.1"), Some("x".repeat(5000).as_str())), ip("10.0.0.1"));
    }

    #[test]
    fn networks_parse_with_and_without_a_prefix() {
        assert!(Network::parse("192.168.0.0/16").expect("v4").contains(ip("192.168.4.2")));
        assert!(!Network::parse("192.168.0.0/16").expect("v4").contains(ip("192.169.0.1")));
        assert!(Network::parse("::1").expect("v6 host").contains(ip("::1")));
        assert!(Network::parse("0.0.0.0/0").expect("all").contains(ip("8.8.8.8")));
        assert!(Network::parse("10.0.0.0/33").is_none());
        assert!(Network::parse("ten/8").is_none());
        assert!(Network::parse("127.0.0.0/8").expect("mapped").contains(ip("::ffff:127.0.0.1")));
    }
}
