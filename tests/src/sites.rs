//! Fixture websites for the scanner tests: made-up `.gov.vn` portals served by the test on
//! 127.0.0.1, over HTTP and HTTPS, with certificates from a CA the test makes (rcgen). One
//! HTTP port and one HTTPS port serve every site (by `Host` and SNI); a site without HTTPS, or
//! down altogether, has its ports pointed at a closed port by [`Fixtures::connect_to`]
//! (`EMC_SCANNER_CONNECT_TO`).
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ResolvesServerCertUsingSni;
use rustls::sign::CertifiedKey;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How a site answers on port 443.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Valid,
    Expired,
    /// Port 443 refuses connections.
    Off,
}

/// One page: body, content type, extra delay before the answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: String,
    pub content_type: &'static str,
    pub delay_ms: u64,
}

impl Page {
    pub fn html(body: impl Into<String>) -> Page {
        Page {
            body: body.into(),
            content_type: "text/html; charset=utf-8",
            delay_ms: 0,
        }
    }

    pub fn typed(body: impl Into<String>, content_type: &'static str) -> Page {
        Page {
            body: body.into(),
            content_type,
            delay_ms: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Site {
    pub domain: String,
    pub tls: Tls,
    /// Port 80 answers (else it refuses connections).
    pub http: bool,
    /// http:// answers a 301 to https://.
    pub redirect_http: bool,
    /// Sent with every page.
    pub headers: Vec<(&'static str, String)>,
    pub pages: BTreeMap<String, Page>,
    /// An unknown path answers 200 with the homepage (a "soft 404").
    pub soft_404: bool,
}

impl Site {
    pub fn new(domain: &str) -> Site {
        Site {
            domain: domain.to_owned(),
            tls: Tls::Valid,
            http: true,
            redirect_http: false,
            headers: Vec::new(),
            pages: BTreeMap::new(),
            soft_404: false,
        }
    }

    pub fn page(mut self, path: &str, page: Page) -> Site {
        self.pages.insert(path.to_owned(), page);
        self
    }
}

type Sites = Arc<RwLock<BTreeMap<String, Site>>>;

/// The test CA: its PEM file (for `EMC_SCANNER_EXTRA_CA`) and what signs the sites' leaves.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "EMC scanner test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("the CA certificate");
        let dir = tempfile::tempdir().expect("a temp dir");
        let pem_path = dir.path().join("ca.pem");
        std::fs::write(&pem_path, cert.pem()).expect("writing ca.pem");
        TestCa {
            issuer: Issuer::new(params, key),
            pem_path,
            _dir: dir,
        }
    }

    /// A leaf for `domain`; expired a year ago when `expired`.
    fn leaf(&self, domain: &str, expired: bool) -> CertifiedKey {
        let key = KeyPair::generate().expect("a leaf key");
        let mut params = CertificateParams::new(vec![domain.to_owned()]).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, domain);
        let now = time::OffsetDateTime::now_utc();
        if expired {
            params.not_before = now - time::Duration::days(400);
            // 35 days ago, plus an hour so a scan in the next hour still counts -35 days.
            params.not_after = now - time::Duration::days(35) + time::Duration::hours(1);
        } else {
            params.not_before = now - time::Duration::days(1);
            // 90 days less an hour: a scan in the next hour counts 89 whole days.
            params.not_after = now + time::Duration::days(90) - time::Duration::hours(1);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("a leaf");
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = rustls::crypto::ring::sign::any_supported_type(&der).expect("a signing key");
        CertifiedKey::new(vec![CertificateDer::from(cert.der().to_vec())], signing)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// The running fixture web: one HTTP and one HTTPS port for every site.
pub struct Fixtures {
    pub http_port: u16,
    pub https_port: u16,
    /// A port nothing listens on.
    pub closed_port: u16,
    sites: Sites,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Fixtures {
    pub async fn start(ca: &TestCa, sites: Vec<Site>) -> Fixtures {
        let mut sni = ResolvesServerCertUsingSni::new();
        for s in &sites {
            if s.tls != Tls::Off {
                sni.add(&s.domain, ca.leaf(&s.domain, s.tls == Tls::Expired))
                    .expect("a certificate for the name");
            }
        }
        // ring, as the scanner uses (deprecated only for lacking post-quantum key exchange).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(sni));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let sites: Sites = Arc::new(RwLock::new(
            sites.into_iter().map(|s| (s.domain.clone(), s)).collect(),
        ));
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let https = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = crate::free_port();
        let (http_port, https_port) = (
            http.local_addr().unwrap().port(),
            https.local_addr().unwrap().port(),
        );
        let plain_app = Router::new()
            .fallback(serve)
            .with_state((sites.clone(), false));
        let tls_app = Router::new()
            .fallback(serve)
            .with_state((sites.clone(), true));
        let tasks = vec![
            tokio::spawn(accept(http, None, plain_app)),
            tokio::spawn(accept(https, Some(acceptor), tls_app)),
        ];
        Fixtures {
            http_port,
            https_port,
            closed_port,
            sites,
            tasks,
        }
    }

    /// `EMC_SCANNER_CONNECT_TO` for every site: its ports 80 and 443 to ours, or to the
    /// closed port when it serves no HTTP/HTTPS. `extra` domains are pointed at nothing
    /// open (a site that is down).
    pub fn connect_to(&self, down: &[&str]) -> String {
        let mut rules = Vec::new();
        for s in self.sites.read().unwrap().values() {
            let http = if s.http {
                self.http_port
            } else {
                self.closed_port
            };
            let https = if s.tls != Tls::Off {
                self.https_port
            } else {
                self.closed_port
            };
            rules.push(format!("{}:80:127.0.0.1:{http}", s.domain));
            rules.push(format!("{}:443:127.0.0.1:{https}", s.domain));
        }
        for d in down {
            rules.push(format!("{d}:80:127.0.0.1:{}", self.closed_port));
            rules.push(format!("{d}:443:127.0.0.1:{}", self.closed_port));
        }
        rules.join(",")
    }

    /// `EMC_SCANNER_CONNECT_TO` for every host at once: ports 80 and 443 of any name to ours
    /// (host-less rules). For a large fleet, where a rule per host would be too long for
    /// Chromium; every site must then serve both HTTP and HTTPS.
    pub fn connect_to_every_host(&self) -> String {
        format!(
            ":80:127.0.0.1:{},:443:127.0.0.1:{}",
            self.http_port, self.https_port
        )
    }

    /// Replaces one page of a site (to make a check flip between two scans).
    pub fn set_page(&self, domain: &str, path: &str, page: Page) {
        let mut sites = self.sites.write().unwrap();
        let site = sites.get_mut(domain).expect("a fixture site");
        site.pages.insert(path.to_owned(), page);
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let (tls, app) = (tls.clone(), app.clone());
        tokio::spawn(async move {
            let service = TowerToHyperService::new(app);
            let builder = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    // A client that refuses our certificate ends the handshake: fine.
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                }
            }
        });
    }
}

async fn serve(State((sites, secure)): State<(Sites, bool)>, req: Request) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = req.uri().path().to_owned();
    let site = sites.read().unwrap().get(&host).cloned();
    let Some(site) = site else {
        return (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response();
    };
    if !secure && site.redirect_http {
        let to = format!("https://{host}{}", req.uri());
        return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response();
    }
    let (status, page) = match site.pages.get(&path) {
        Some(p) => (StatusCode::OK, p.clone()),
        None if site.soft_404 => match site.pages.get("/") {
            Some(home) => (StatusCode::OK, home.clone()),
            None => (StatusCode::OK, Page::html("")),
        },
        None => (StatusCode::NOT_FOUND, Page::html("<h1>404</h1>")),
    };
    if page.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(page.delay_ms)).await;
    }
    let mut resp = Response::new(Body::from(page.body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in &site.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}
