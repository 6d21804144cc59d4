//! A lean HTTP/1.1 keep-alive client: one TCP connection, one request in
//! flight, no pool, no resolver, no TLS.
//!
//! The load generator shares the machine's cores with Concord, so every
//! microsecond it spends per request is taken from the server it measures.
//! hyper's bare connection API costs a few microseconds per request, which
//! keeps the generator well below the server's own CPU time (both are
//! reported, so this can be checked on every run).

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;

/// Where Concord listens: `host:port`, parsed from `http://host:port`.
#[derive(Clone, Debug)]
pub struct Target {
    authority: String,
}

impl Target {
    pub fn parse(base_url: &str) -> anyhow::Result<Self> {
        let rest = base_url
            .strip_prefix("http://")
            .context("--base-url must start with http:// (the benchmark speaks plain HTTP)")?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("--base-url must be http://host:port with no path, got {base_url}");
        }
        Ok(Self {
            authority: authority.to_owned(),
        })
    }

    /// `host:port`, for `Host` headers and TCP connects.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The gateway's URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.authority)
    }

    /// Socket.IO's URL for a WebSocket-only client (Engine.IO v4).
    pub fn sio_url(&self) -> String {
        format!(
            "ws://{}/api/socket/io/?EIO=4&transport=websocket",
            self.authority
        )
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Response {
    /// The body as `T`, if the status is `expected`; otherwise an error that
    /// quotes the body, which carries Concord's error envelope.
    pub fn json<T: DeserializeOwned>(&self, expected: StatusCode, what: &str) -> anyhow::Result<T> {
        if self.status != expected {
            bail!(
                "{what}: expected {expected}, got {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        serde_json::from_slice(&self.body).with_context(|| format!("{what}: unexpected body"))
    }

    /// Nothing, if the status is `expected`; otherwise an error quoting the
    /// status and the body: a load generator's failed request, kept short.
    pub fn expect(&self, expected: StatusCode) -> anyhow::Result<()> {
        if self.status != expected {
            bail!("{} {}", self.status, String::from_utf8_lossy(&self.body));
        }
        Ok(())
    }
}

/// One keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    target: Target,
}

impl Conn {
    pub async fn open(target: &Target) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(target.authority())
            .await
            .with_context(|| format!("connect to {}", target.authority()))?;
        // Requests are small and latency is what we measure: never wait for
        // Nagle to coalesce them.
        tcp.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
        // hyper needs the connection driven by a task of its own. When it
        // ends, the next `send` fails and reports why, so the result here
        // carries nothing new.
        tokio::spawn(async move {
            let _ended = connection.await;
        });
        Ok(Self {
            sender,
            target: target.clone(),
        })
    }

    /// True once the server has closed the connection (or it broke): the
    /// caller should open a new one.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends one request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json_body: Option<Bytes>,
    ) -> anyhow::Result<Response> {
        self.send_keyed(method, path, token, json_body, None).await
    }

    /// [`Self::send`] with an `Idempotency-Key`, if given.
    pub async fn send_keyed(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json_body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Response> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.authority());
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if json_body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(json_body.unwrap_or_default()))?;
        self.sender.ready().await.context("connection closed")?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Response { status, body })
    }

    pub async fn get(&mut self, path: &str, token: Option<&str>) -> anyhow::Result<Response> {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: impl Into<Bytes>,
    ) -> anyhow::Result<Response> {
        self.send(Method::POST, path, token, Some(body.into()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_names_host_and_port() {
        let t = Target::parse("http://127.0.0.1:18080/").unwrap();
        assert_eq!(t.authority(), "127.0.0.1:18080");
        assert_eq!(t.ws_url(), "ws://127.0.0.1:18080/ws");
        assert_eq!(
            t.sio_url(),
            "ws://127.0.0.1:18080/api/socket/io/?EIO=4&transport=websocket"
        );
    }

    #[test]
    fn only_plain_http_without_a_path_is_accepted() {
        assert!(Target::parse("https://127.0.0.1:1").is_err());
        assert!(Target::parse("http://127.0.0.1:1/api").is_err());
        assert!(Target::parse("http://").is_err());
    }
}
