//! The scanner's HTTP: two reqwest clients (one for `http://`, one for `https://`, because
//! `EMC_SCANNER_CONNECT_TO` maps host *and* port and reqwest's resolver sees only the host),
//! redirects followed by hand so every hop is seen, one request at a time per host, bodies
//! capped, a descriptive User-Agent.
pub mod tls;

use crate::connect_to::ConnectTo;
use dashmap::DashMap;
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Who is asking, and why.
pub const USER_AGENT: &str =
    "EMC-Scanner/0.1 (Vietnamese government website monitoring; emc-scanner)";

/// Bodies are read up to this many bytes (a larger page is cut).
pub const MAX_BODY: usize = 4 << 20;
/// Redirect hops followed.
pub const MAX_REDIRECTS: usize = 10;

/// What one GET answered.
#[derive(Debug, Clone)]
pub struct Response {
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<Url> {
        (300..400)
            .contains(&self.status)
            .then(|| self.header("location"))
            .flatten()
            .and_then(|l| self.url.join(l).ok())
    }
}

/// A fetch that never got an answer: refused, reset, timed out, TLS refused…
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Every hop of a redirect chain; the last is the page, unless an error ended the chain.
#[derive(Debug, Clone)]
pub struct Chain {
    pub hops: Vec<Response>,
    pub error: Option<FetchError>,
}

impl Chain {
    /// The page the chain ended on (none when it ended in an error).
    pub fn page(&self) -> Option<&Response> {
        if self.error.is_some() {
            None
        } else {
            self.hops.last()
        }
    }
}

/// Name resolution for one of the clients (one per default port): an `EMC_SCANNER_CONNECT_TO`
/// rule for the name and port wins (host-less rules included), else the system resolver.
struct ConnectToResolver {
    rules: Arc<ConnectTo>,
    port: u16,
}

impl reqwest::dns::Resolve for ConnectToResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let mapped = self.rules.lookup(name.as_str(), self.port);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: reqwest::dns::Addrs = match mapped {
                // The rule's port is kept: the URLs checked carry no port of their own.
                Some(to) => Box::new(std::iter::once(to)),
                None => Box::new(tokio::net::lookup_host((host, 0)).await?),
            };
            Ok(addrs)
        })
    }
}

#[derive(Clone)]
pub struct Net {
    http: reqwest::Client,
    https: reqwest::Client,
    pub trust: tls::Trust,
    pub connect_to: Arc<ConnectTo>,
    hosts: Arc<DashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub timeout: Duration,
}

impl Net {
    pub fn new(connect_to: ConnectTo, trust: tls::Trust, timeout: Duration) -> anyhow::Result<Net> {
        let connect_to = Arc::new(connect_to);
        let build = |port: u16, tls: bool| -> anyhow::Result<reqwest::Client> {
            let mut b = reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .redirect(Policy::none())
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .pool_max_idle_per_host(1)
                .pool_idle_timeout(Duration::from_secs(5));
            if tls {
                b = b.use_preconfigured_tls(trust.client_config());
            }
            let resolver = ConnectToResolver {
                rules: Arc::clone(&connect_to),
                port,
            };
            Ok(b.dns_resolver(Arc::new(resolver)).build()?)
        };
        Ok(Net {
            http: build(80, false)?,
            https: build(443, true)?,
            trust,
            connect_to,
            hosts: Arc::new(DashMap::new()),
            timeout,
        })
    }

    /// One GET, no redirect followed, one request at a time per host.
    pub async fn get(&self, url: &Url) -> Result<Response, FetchError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let gate = self
            .hosts
            .entry(host)
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone();
        let _one_at_a_time = gate.lock().await;
        let client = match url.scheme() {
            "https" => &self.https,
            "http" => &self.http,
            other => return Err(FetchError(format!("unsupported scheme {other}"))),
        };
        let started = Instant::now();
        let mut resp = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| FetchError(describe(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError(describe(&e)))? {
            let room = MAX_BODY.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_BODY {
                break;
            }
        }
        Ok(Response {
            url: url.clone(),
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            elapsed: started.elapsed(),
        })
    }

    /// GET `url` and follow its redirects (up to [`MAX_REDIRECTS`]).
    pub async fn follow(&self, url: &Url) -> Chain {
        let mut hops = Vec::new();
        let mut next = url.clone();
        loop {
            match self.get(&next).await {
                Ok(resp) => {
                    let location = resp.location();
                    hops.push(resp);
                    match location {
                        Some(to) if hops.len() <= MAX_REDIRECTS => next = to,
                        Some(_) => {
                            let error = FetchError(format!("more than {MAX_REDIRECTS} redirects"));
                            return Chain {
                                hops,
                                error: Some(error),
                            };
                        }
                        None => return Chain { hops, error: None },
                    }
                }
                Err(e) => {
                    return Chain {
                        hops,
                        error: Some(e),
                    }
                }
            }
        }
    }
}

/// reqwest's error with its innermost cause ("Connection refused", "certificate expired").
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    let mut last = String::new();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    if !last.is_empty() {
        text.push_str(": ");
        text.push_str(&last);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A rule without a host (`:80:address:port`) sends every host of its port to the address:
    /// the HTTP checks follow it as Chromium does, and the request still names its own host.
    #[tokio::test]
    async fn a_host_less_rule_maps_every_host_of_its_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let mut hosts = vec![];
            for _ in 0..2 {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap();
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                let host = head
                    .lines()
                    .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
                    .unwrap_or_default();
                hosts.push(host);
                sock.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                )
                .await
                .unwrap();
            }
            hosts
        });
        let rules = ConnectTo::parse(&format!(":80:127.0.0.1:{port}")).unwrap();
        let trust = tls::Trust::new(None).unwrap();
        let net = Net::new(rules, trust, Duration::from_secs(5)).unwrap();
        for host in ["a.gov.vn", "b.gov.vn"] {
            let url = Url::parse(&format!("http://{host}/")).unwrap();
            let r = net.get(&url).await.unwrap();
            assert_eq!((r.status, r.body.as_str()), (200, "ok"), "{host}");
        }
        assert_eq!(server.await.unwrap(), ["a.gov.vn", "b.gov.vn"]);
    }
}
