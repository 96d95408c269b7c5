//! A real SMTP server for the tests (Debian's `python3-aiosmtpd`, its `Mailbox` handler writing
//! a Maildir), and a webhook receiver that checks the signature of every request.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use emc_dashboard::notify::webhook;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The interpreter Debian's package installs `aiosmtpd` for.
pub const PYTHON: &str = "/usr/bin/python3";

pub struct SmtpServer {
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
    pub port: u16,
}

fn free_port() -> u16 {
    emc_sql::server::free_port().unwrap()
}

impl SmtpServer {
    /// Starts `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR` and
    /// waits (20 s at most) until it accepts connections.
    pub async fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let port = free_port();
            let child = tokio::process::Command::new(PYTHON)
                .args([
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                ])
                .arg("aiosmtpd.handlers.Mailbox")
                .arg(&maildir)
                .kill_on_drop(true)
                .spawn()
                .expect("starting aiosmtpd (scripts/install-deps.sh installs python3-aiosmtpd)");
            let mut child = child;
            while Instant::now() < deadline {
                if let Some(status) = child.try_wait().unwrap() {
                    // The port was taken between our probe and its bind: try another.
                    eprintln!("aiosmtpd exited ({status}); retrying on another port");
                    break;
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return SmtpServer {
                        _child: child,
                        _dir: dir,
                        maildir,
                        port,
                    };
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start within 20 s"
            );
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages delivered so far, oldest first.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        read_maildir(&self.maildir.join("new"))
    }

    /// Waits (10 s at most) until at least `n` messages arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn read_maildir(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap(), e.path()))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, p)| std::fs::read(p).unwrap())
        .collect()
}

/// The envelope recipient aiosmtpd recorded (`X-RcptTo`) of a parsed message.
pub fn rcpt_to(m: &mailparse::ParsedMail) -> String {
    use mailparse::MailHeaderMap;
    m.headers.get_first_value("X-RcptTo").unwrap_or_default()
}

pub fn subject(m: &mailparse::ParsedMail) -> String {
    use mailparse::MailHeaderMap;
    m.headers.get_first_value("Subject").unwrap_or_default()
}

/// What the webhook receiver saw: (signature valid, JSON body).
#[derive(Clone, Default)]
pub struct Hooks {
    pub secret: String,
    pub received: Arc<Mutex<Vec<(bool, serde_json::Value)>>>,
    /// Answer `503` to this many requests first.
    pub fail_first: Arc<Mutex<u32>>,
}

async fn receive(State(h): State<Hooks>, headers: HeaderMap, body: Bytes) -> StatusCode {
    {
        let mut f = h.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let ts: i64 = header(webhook::TIMESTAMP_HEADER).parse().unwrap_or(0);
    let valid = verify_independently(&h.secret, ts, &body, &header(webhook::SIGNATURE_HEADER));
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    h.received.lock().unwrap().push((valid, json));
    if valid {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// The receiver's own check, written from the documented scheme (not the sender's function):
/// `sha256=` + hex(HMAC-SHA256(secret, "<timestamp>.<body>")).
fn verify_independently(secret: &str, ts: i64, body: &[u8], sig: &str) -> bool {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{ts}.").as_bytes());
    m.update(body);
    let Some(hex_sig) = sig.strip_prefix("sha256=") else {
        return false;
    };
    hex::decode(hex_sig).is_ok_and(|b| m.verify_slice(&b).is_ok())
}

/// Serves the receiver on a free port; returns its URL and its record.
pub async fn webhook_receiver(secret: &str) -> (String, Hooks) {
    let hooks = Hooks {
        secret: secret.to_owned(),
        ..Hooks::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(hooks.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, hooks)
}
