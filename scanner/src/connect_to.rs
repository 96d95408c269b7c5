//! `EMC_SCANNER_CONNECT_TO`: curl's `--connect-to host:port:address:port`, several separated
//! by commas. A connection meant for `host:port` goes to `address:port` instead; the URL, the
//! `Host` header and the TLS server name stay `host`. An empty host or port matches any.
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// Lowercase host name, or `None` for any.
    host: Option<String>,
    port: Option<u16>,
    to: SocketAddr,
}

/// The rules, read through [`ConnectTo::lookup`] (the HTTP checks) and
/// [`ConnectTo::chromium_rules`] (the browser), so both follow the same mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectTo {
    rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("EMC_SCANNER_CONNECT_TO entry {index} ({entry:?}): {reason}")]
pub struct ConnectToError {
    pub index: usize,
    pub entry: String,
    pub reason: String,
}

impl ConnectTo {
    /// Parses `host:port:address:port,…`; an address that is a name is resolved now.
    pub fn parse(text: &str) -> Result<ConnectTo, ConnectToError> {
        let mut rules = Vec::new();
        for (i, entry) in text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let err = |reason: &str| ConnectToError {
                index: i + 1,
                entry: entry.to_owned(),
                reason: reason.to_owned(),
            };
            let parts: Vec<&str> = entry.split(':').collect();
            let [host, port, address, to_port] = parts[..] else {
                return Err(err("write it as host:port:address:port"));
            };
            let port = match port {
                "" => None,
                p => Some(
                    p.parse::<u16>()
                        .map_err(|_| err("the first port is not a number"))?,
                ),
            };
            let to_port: u16 = to_port
                .parse()
                .map_err(|_| err("the second port is not a number"))?;
            if address.is_empty() {
                return Err(err("the address is empty"));
            }
            let to = (address, to_port)
                .to_socket_addrs()
                .map_err(|e| err(&format!("cannot resolve {address}: {e}")))?
                .next()
                .ok_or_else(|| err("the address resolves to nothing"))?;
            let host = (!host.is_empty()).then(|| host.to_ascii_lowercase());
            rules.push(Rule { host, port, to });
        }
        Ok(ConnectTo { rules })
    }

    /// Where a connection to `host:port` goes, if a rule says so (the first match wins).
    pub fn lookup(&self, host: &str, port: u16) -> Option<SocketAddr> {
        self.rules
            .iter()
            .find(|r| {
                r.host
                    .as_deref()
                    .is_none_or(|h| h.eq_ignore_ascii_case(host))
                    && r.port.is_none_or(|p| p == port)
            })
            .map(|r| r.to)
    }

    /// Chromium's `--host-resolver-rules` for the same mapping (`MAP host:port address:port`).
    pub fn chromium_rules(&self) -> String {
        self.rules
            .iter()
            .map(|r| {
                let from = match (&r.host, r.port) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.clone(),
                    (None, Some(p)) => format!("*:{p}"),
                    (None, None) => "*".to_owned(),
                };
                format!("MAP {from} {}", r.to)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_curl_form_and_looks_up_by_host_and_port() {
        let c = ConnectTo::parse(
            "a.gov.vn:80:127.0.0.1:8001, A.gov.vn:443:127.0.0.1:8002,:443:127.0.0.1:9",
        )
        .unwrap();
        assert_eq!(
            c.lookup("a.gov.vn", 80),
            Some("127.0.0.1:8001".parse().unwrap())
        );
        assert_eq!(
            c.lookup("a.gov.vn", 443),
            Some("127.0.0.1:8002".parse().unwrap())
        );
        assert_eq!(
            c.lookup("b.gov.vn", 443),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(c.lookup("b.gov.vn", 80), None);
        assert_eq!(
            c.chromium_rules(),
            "MAP a.gov.vn:80 127.0.0.1:8001, MAP a.gov.vn:443 127.0.0.1:8002, MAP *:443 127.0.0.1:9"
        );
        assert_eq!(ConnectTo::parse("").unwrap(), ConnectTo::default());
    }

    #[test]
    fn bad_entries_are_named() {
        let e = ConnectTo::parse("a:80:127.0.0.1:1,a.gov.vn:http:127.0.0.1:1").unwrap_err();
        assert_eq!(e.index, 2);
        assert!(e.to_string().contains("first port"), "{e}");
        assert!(ConnectTo::parse("a:80:127.0.0.1").is_err());
    }
}
