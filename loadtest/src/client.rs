//! One keep-alive HTTP/1.1 connection, one request in flight at a time: hyper's bare
//! connection API, no pool, no per-request allocation beyond the request itself. The
//! generator stands where a reverse proxy would stand, so it sends the visitor's address
//! in `X-Forwarded-For` (the collector must trust the generator's address).
use crate::wire::WireRequest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain;charset=UTF-8");

/// The connection failed or broke; whether the server took the request is unknown.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(String);

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Result<Conn, SendError> {
        let io = |e: std::io::Error| SendError(format!("connecting to {addr}: {e}"));
        let stream = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        .map_err(|_| SendError(format!("connecting to {addr}: timed out")))?
        .map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError(format!("handshake with {addr}: {e}")))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, driver })
    }

    /// Sends `req` as the visitor (`client_ip`, `user_agent`) and returns the status, the
    /// body read to its end so the connection can carry the next request.
    pub async fn send(
        &mut self,
        host: &HeaderValue,
        req: &WireRequest,
        client_ip: IpAddr,
        user_agent: &'static str,
    ) -> Result<u16, SendError> {
        self.sender
            .ready()
            .await
            .map_err(|e| SendError(e.to_string()))?;
        let mut builder = Request::builder()
            .method(if req.post { Method::POST } else { Method::GET })
            .uri(req.path_and_query.as_str())
            .header(HOST, host)
            .header(USER_AGENT, HeaderValue::from_static(user_agent))
            .header("x-forwarded-for", client_ip.to_string());
        if req.post {
            builder = builder.header(CONTENT_TYPE, TEXT_PLAIN);
        }
        let request = builder
            .body(Full::new(req.body.clone()))
            .map_err(|e| SendError(e.to_string()))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| SendError(e.to_string()))?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| SendError(e.to_string()))?;
        Ok(status)
    }
}
