//! Webhooks: a JSON POST signed with HMAC-SHA256 (`EMC_WEBHOOK_SECRET`).
//!
//! Headers: `X-EMC-Timestamp: <unix seconds>` and
//! `X-EMC-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`. A receiver
//! recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant time and
//! refuses old timestamps (replays). Transient failures (connection errors, timeouts, `429`,
//! `5xx`) are retried with exponential backoff and jitter; any other status is final.
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "X-EMC-Signature";
pub const TIMESTAMP_HEADER: &str = "X-EMC-Timestamp";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts a key of any length.
    let mut m = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `X-EMC-Signature` value of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Does `signature` (the header's value) sign `body` at `timestamp`? Constant-time comparison.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = hex::decode(hex_sig) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
}

/// How often and how patiently to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time, plus up to 50 % jitter.
    pub first_backoff_ms: u64,
    /// Per attempt.
    pub timeout_ms: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_backoff_ms: 1_000,
            timeout_ms: 10_000,
        }
    }
}

impl Retry {
    /// The wait after failed attempt `n` (1-based).
    pub fn backoff(&self, n: u32) -> Duration {
        let base = self
            .first_backoff_ms
            .saturating_mul(1u64 << (n.saturating_sub(1)).min(16));
        let jitter = rand::random_range(0..=base / 2);
        Duration::from_millis(base + jitter)
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    /// Worth trying again.
    Transient(String),
    /// Final: the receiver refused.
    Refused(String),
}

/// One POST of `body` to `url`, signed at `timestamp`.
pub async fn attempt(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &[u8],
    timestamp: i64,
    timeout: Duration,
) -> Attempt {
    let res = client
        .post(url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, sign(secret, timestamp, body))
        .body(body.to_vec())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Attempt::Delivered,
        Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
            Attempt::Transient(format!("HTTP {}", r.status().as_u16()))
        }
        Ok(r) => Attempt::Refused(format!("HTTP {}", r.status().as_u16())),
        Err(e) => Attempt::Transient(e.to_string()),
    }
}

/// A webhook URL must be `https://…`, or `http://` to a loopback address (local receivers, tests).
pub fn check_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?}: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(format!("{raw:?} has no host")),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{raw:?}: use https:// (plain http only to a loopback address)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trip_and_tampering() {
        let body = br#"{"rule":"silent","site":"227"}"#;
        let sig = sign("s3cret", 1_765_000_000, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        assert!(verify("s3cret", 1_765_000_000, body, &sig));
        assert!(!verify("other", 1_765_000_000, body, &sig));
        assert!(!verify("s3cret", 1_765_000_001, body, &sig));
        assert!(!verify("s3cret", 1_765_000_000, b"{}", &sig));
        assert!(!verify("s3cret", 1_765_000_000, body, "sha256=zz"));
    }

    /// RFC 4231 test case 2 (key "Jefe"): our HMAC is the standard one.
    #[test]
    fn hmac_matches_rfc_4231() {
        let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let r = Retry {
            attempts: 4,
            first_backoff_ms: 100,
            timeout_ms: 1000,
        };
        for (n, base) in [(1, 100u64), (2, 200), (3, 400)] {
            let d = r.backoff(n).as_millis() as u64;
            assert!((base..=base + base / 2).contains(&d), "attempt {n}: {d} ms");
        }
    }

    #[test]
    fn urls() {
        assert!(check_url("https://hooks.example.gov.vn/emc").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://hooks.example.gov.vn/emc").is_err());
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("not a url").is_err());
    }
}
