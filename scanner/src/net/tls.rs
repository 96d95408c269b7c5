//! Trust (Mozilla's roots from webpki-roots, plus `EMC_SCANNER_EXTRA_CA`) and the certificate
//! facts of a domain: one TLS handshake through rustls whose verifier records webpki's verdict
//! (chain, name, dates) and the leaf certificate instead of aborting, so an invalid
//! certificate still yields its expiry date. x509-parser reads the dates.
use crate::connect_to::ConnectTo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The roots the scanner trusts, and the crypto it uses.
#[derive(Clone, Debug)]
pub struct Trust {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl Trust {
    /// Mozilla's roots, plus every certificate of `extra_ca` (a PEM file) when given.
    pub fn new(extra_ca: Option<&Path>) -> anyhow::Result<Trust> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = extra_ca {
            let mut n = 0;
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| anyhow::anyhow!("EMC_SCANNER_EXTRA_CA {}: {e}", path.display()))?
            {
                let cert = cert
                    .map_err(|e| anyhow::anyhow!("EMC_SCANNER_EXTRA_CA {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| anyhow::anyhow!("EMC_SCANNER_EXTRA_CA {}: {e}", path.display()))?;
                n += 1;
            }
            anyhow::ensure!(
                n > 0,
                "EMC_SCANNER_EXTRA_CA {}: no certificate in the file",
                path.display()
            );
        }
        // ring (no cmake, no C build of its own); rustls marks its provider deprecated only
        // for lacking post-quantum key exchange, which certificate checks do not need.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // reqwest builds a TLS config for every client (the http:// one too) from the
        // process-wide provider: make it ours (a second install is refused, harmlessly).
        let _ = CryptoProvider::clone(&provider).install_default();
        Ok(Trust {
            roots: Arc::new(roots),
            provider,
        })
    }

    /// A verifying client configuration (what reqwest uses for https://).
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(self.roots.clone())
            .with_no_client_auth()
    }

    fn verifier(&self) -> anyhow::Result<Arc<WebPkiServerVerifier>> {
        Ok(
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
                .build()?,
        )
    }
}

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// webpki's verdict on chain, name and dates: `Err` holds its reason.
    pub verdict: Result<(), String>,
    /// The leaf's notAfter, Unix seconds.
    pub not_after: Option<i64>,
    pub subject: String,
    pub issuer: String,
}

/// Connects to `domain:443` (or where `connect_to` sends it) and shakes hands.
/// `Err`: no TLS at all (refused, timed out, not TLS).
pub async fn inspect(
    trust: &Trust,
    connect_to: &ConnectTo,
    domain: &str,
    timeout: Duration,
) -> Result<CertFacts, String> {
    let recorder = Arc::new(Recorder {
        inner: trust.verifier().map_err(|e| e.to_string())?,
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(trust.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(domain.to_owned()).map_err(|e| e.to_string())?;
    let shake = async {
        let tcp = match connect_to.lookup(domain, 443) {
            Some(addr) => tokio::net::TcpStream::connect(addr).await,
            None => tokio::net::TcpStream::connect((domain, 443)).await,
        }
        .map_err(|e| format!("cannot connect to port 443: {e}"))?;
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))
    };
    let handshake = tokio::time::timeout(timeout, shake)
        .await
        .map_err(|_| "timed out".to_owned())?;
    let seen = recorder.seen.lock().expect("recorder lock").take();
    let Some((verdict, leaf)) = seen else {
        // The handshake ended before a certificate arrived.
        return Err(handshake.err().unwrap_or_else(|| "no certificate".into()));
    };
    let mut facts = CertFacts {
        verdict,
        not_after: None,
        subject: String::new(),
        issuer: String::new(),
    };
    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(&leaf) {
        facts.not_after = Some(cert.validity().not_after.timestamp());
        facts.subject = cert.subject().to_string();
        facts.issuer = cert.issuer().to_string();
    }
    if let (Ok(()), Err(e)) = (&facts.verdict, handshake) {
        facts.verdict = Err(e);
    }
    Ok(facts)
}

/// webpki's verdict on the chain and the leaf certificate's DER bytes.
type Seen = (Result<(), String>, Vec<u8>);

/// Records webpki's verdict and the leaf, then lets the handshake go on.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Seen>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        *self.seen.lock().expect("recorder lock") = Some((verdict, end_entity.to_vec()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
