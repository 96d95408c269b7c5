//! The client address: the socket peer, or — when the peer is a trusted proxy — the last
//! address of `X-Forwarded-For` that is not itself trusted. Stored only truncated.
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) or single addresses; an error names the bad entry.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for e in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let net = e
                .parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("EMC_TRUSTED_PROXIES: {e:?} is not an address or CIDR"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&canonical(ip)))
    }

    /// The client address for a request from `peer` carrying `forwarded_for` headers.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut last = peer;
        for hop in header.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    let ip = canonical(ip);
                    last = ip;
                    if !self.contains(ip) {
                        return ip;
                    }
                }
                Err(_) => return last,
            }
        }
        last
    }
}

/// Every `X-Forwarded-For` line of a request, in order, as one comma-separated chain (RFC 9110
/// §5.3: repeated lines are one list). A balancer such as HAProxy (`option forwardfor`) adds
/// its own line after any the client sent: reading only the first line would believe the
/// client's own claim.
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<String> {
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// IPv4-mapped IPv6 addresses as plain IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The network we keep: IPv4 /24, IPv6 /48, written as CIDR.
pub fn truncate(ip: IpAddr) -> String {
    let (prefix, ip) = match canonical(ip) {
        v4 @ IpAddr::V4(_) => (24, v4),
        v6 => (48, v6),
    };
    IpNet::new(ip, prefix)
        .map(|n| n.trunc().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let cases = [
            ("203.0.113.9", Some("1.2.3.4"), "203.0.113.9"), // untrusted peer: header ignored
            ("10.1.1.1", Some("1.2.3.4"), "1.2.3.4"),
            ("10.1.1.1", Some("6.6.6.6, 1.2.3.4, 10.2.2.2"), "1.2.3.4"), // last untrusted hop
            ("10.1.1.1", None, "10.1.1.1"),
            ("10.1.1.1", Some("garbage, 10.3.3.3"), "10.3.3.3"),
            ("::ffff:127.0.0.1", Some("14.160.12.107"), "14.160.12.107"),
        ];
        for (peer, xff, want) in cases {
            assert_eq!(trusted.client_ip(ip(peer), xff), ip(want), "{peer} {xff:?}");
        }
        assert!(TrustedProxies::parse(&["nope".into()]).is_err());
    }

    #[test]
    fn every_forwarded_for_line_is_read_in_order() {
        let trusted = TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(forwarded_for(&headers), None);
        // The client's own claim first, the balancer's line after it.
        headers.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        headers.append("x-forwarded-for", "203.0.113.7".parse().unwrap());
        let chain = forwarded_for(&headers);
        assert_eq!(chain.as_deref(), Some("6.6.6.6, 203.0.113.7"));
        assert_eq!(
            trusted.client_ip(ip("127.0.0.1"), chain.as_deref()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn addresses_are_truncated() {
        assert_eq!(truncate(ip("14.160.12.107")), "14.160.12.0/24");
        assert_eq!(truncate(ip("2001:db8:abcd:12::1")), "2001:db8:abcd::/48");
        assert_eq!(truncate(ip("::ffff:1.2.3.4")), "1.2.3.0/24");
    }
}
