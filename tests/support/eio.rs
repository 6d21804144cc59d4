//! A raw Engine.IO long-polling client, for what `socket.io-client` hides:
//! the handshake's headers, status codes and bodies, and sessions that
//! never poll. The protocol is the README of `socketio/engine.io-protocol`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// A session's WebSocket after the upgrade.
pub type Upgraded = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The packet separator of a polling payload.
pub const SEPARATOR: char = '\u{1e}';

/// One long-polling session, opened by [`Polling::open`].
pub struct Polling {
    pub client: reqwest::Client,
    /// `http://host:port/api/socket/io/`.
    pub endpoint: String,
    pub sid: String,
}

/// The handshake's URL under `address`.
pub fn endpoint(address: &str) -> String {
    format!("{address}/api/socket/io/")
}

/// A handshake's answer, open or refused.
pub struct Handshake {
    pub status: StatusCode,
    pub body: String,
}

/// `GET ?EIO=4&transport=polling` with `headers` (and `query`, e.g.
/// `&token=...`), as the first request of a session.
pub async fn handshake(address: &str, query: &str, headers: &[(&str, &str)]) -> Handshake {
    let client = reqwest::Client::new();
    let mut req = client.get(format!(
        "{}?EIO=4&transport=polling{query}",
        endpoint(address)
    ));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("handshake request");
    Handshake {
        status: res.status(),
        body: res.text().await.expect("handshake body"),
    }
}

impl Polling {
    /// A handshake that must succeed: the session it opened.
    pub async fn open(address: &str, query: &str, headers: &[(&str, &str)]) -> Self {
        let answer = handshake(address, query, headers).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let open = answer
            .body
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("not an open packet: {}", answer.body));
        let open: Value = serde_json::from_str(open).expect("the open packet is JSON");
        Self {
            client: reqwest::Client::new(),
            endpoint: endpoint(address),
            sid: open["sid"].as_str().expect("sid").to_owned(),
        }
    }

    /// This session's URL on the node at `address`.
    pub fn url_on(&self, address: &str) -> String {
        format!(
            "{}?EIO=4&transport=polling&sid={}",
            endpoint(address),
            self.sid
        )
    }

    fn url(&self) -> String {
        format!("{}?EIO=4&transport=polling&sid={}", self.endpoint, self.sid)
    }

    /// POSTs `body` (packets joined by [`SEPARATOR`]).
    pub async fn post(&self, body: impl Into<String>) -> (StatusCode, String) {
        let res = self
            .client
            .post(self.url())
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body.into())
            .send()
            .await
            .expect("post");
        (res.status(), res.text().await.expect("post body"))
    }

    /// One GET: what the session had (or waited) to send.
    pub async fn poll(&self) -> (StatusCode, String) {
        let res = self.client.get(self.url()).send().await.expect("poll");
        (res.status(), res.text().await.expect("poll body"))
    }

    /// Sends Socket.IO CONNECT to `/` (with `auth`, if any) and returns the
    /// answer packet: `40{...}` when connected, `44{...}` when refused.
    pub async fn connect(&self, auth: Option<&Value>) -> String {
        let packet = match auth {
            Some(auth) => format!("40{auth}"),
            None => "40".to_owned(),
        };
        let (status, body) = self.post(packet).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        let (status, body) = self.poll().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Upgrades the session `sid` on the node at `address` to WebSocket, as
/// the client library does: probe, then `upgrade`.
pub async fn upgrade(address: &str, sid: &str) -> Upgraded {
    let url = format!(
        "{}?EIO=4&transport=websocket&sid={sid}",
        endpoint(address).replacen("http://", "ws://", 1)
    );
    let (mut ws, _) = connect_async(url).await.expect("the upgrade");
    ws.send(Message::text("2probe"))
        .await
        .expect("send the probe");
    assert_eq!(next_text(&mut ws).await, "3probe");
    ws.send(Message::text("5")).await.expect("send upgrade");
    ws
}

/// The next text frame on an upgraded session.
pub async fn next_text(ws: &mut Upgraded) -> String {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a frame");
        match frame {
            Message::Text(text) => return text.to_string(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}
