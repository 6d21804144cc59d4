//! A WebSocket client for the gateway, over a real socket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// How long a test waits for a frame that should come.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A gateway connection that has read its `hello`.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub hello: Value,
    closed_with: Option<u16>,
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

fn ws_url(address: &str, query: &str) -> String {
    format!("{}/ws{query}", address.replacen("http://", "ws://", 1))
}

impl WsClient {
    /// Opens `/ws` on the server at `address` (`http://host:port`).
    pub async fn connect(address: &str) -> Self {
        Self::open(ws_url(address, "").into_client_request().unwrap()).await
    }

    /// Opens `/ws` with `Authorization: Bearer token` on the upgrade.
    pub async fn connect_with_token(address: &str, token: &str, query: &str) -> Self {
        Self::connect_with_authorization(address, &format!("Bearer {token}"), query).await
    }

    /// Opens `/ws` with `Authorization: value` on the upgrade.
    pub async fn connect_with_authorization(address: &str, value: &str, query: &str) -> Self {
        let mut req = ws_url(address, query).into_client_request().unwrap();
        req.headers_mut()
            .insert("Authorization", value.parse().unwrap());
        Self::open(req).await
    }

    /// Opens `/ws` with a tiny receive buffer, so that a client which stops
    /// reading backs the server up after a few frames, not megabytes.
    pub async fn connect_slow(address: &str) -> Self {
        let host = address.trim_start_matches("http://");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(host.parse().unwrap()).await.unwrap();
        let req = ws_url(address, "").into_client_request().unwrap();
        let (socket, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
            .await
            .expect("WebSocket upgrade");
        let mut client = Self {
            socket,
            hello: Value::Null,
            closed_with: None,
        };
        client.hello = client.recv().await;
        client
    }

    async fn open(req: tokio_tungstenite::tungstenite::handshake::client::Request) -> Self {
        let (socket, _) = connect_async(req).await.expect("WebSocket upgrade");
        let mut client = Self {
            socket,
            hello: Value::Null,
            closed_with: None,
        };
        client.hello = client.recv().await;
        assert_eq!(client.hello["op"], "hello", "{}", client.hello);
        client
    }

    /// Opens a connection and identifies as `token` in `dialect`; returns it
    /// with the `ready` frame.
    pub async fn identified(address: &str, token: &str, dialect: &str) -> (Self, Value) {
        let mut client = Self::connect(address).await;
        let ready = client.identify(token, dialect).await;
        assert_eq!(ready["op"], "ready", "{ready}");
        (client, ready)
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send a frame");
    }

    pub async fn identify(&mut self, token: &str, dialect: &str) -> Value {
        self.send(json!({"op": "identify", "token": token, "dialect": dialect}))
            .await;
        self.recv().await
    }

    /// Subscribes to `topics` and returns one reply per topic.
    pub async fn subscribe(&mut self, topics: &[&str], since: Option<Value>) -> Vec<Value> {
        let mut frame = json!({"op": "subscribe", "topics": topics});
        if let Some(since) = since {
            frame["since"] = since;
        }
        self.send(frame).await;
        let mut replies = Vec::new();
        for _ in topics {
            replies.push(self.recv_op(&["subscribed", "error"]).await);
        }
        replies
    }

    /// Subscribes to one topic that must be granted; returns its `seq`.
    pub async fn subscribe_ok(&mut self, topic: &str) -> i64 {
        let reply = self.subscribe(&[topic], None).await.remove(0);
        assert_eq!(reply["op"], "subscribed", "{reply}");
        reply["seq"].as_i64().unwrap()
    }

    /// The next text frame as JSON; panics on timeout or close.
    pub async fn recv(&mut self) -> Value {
        match tokio::time::timeout(PATIENCE, self.next_text()).await {
            Ok(Some(text)) => serde_json::from_str(&text).expect("a JSON frame"),
            Ok(None) => panic!("the server closed the connection"),
            Err(_) => panic!("no frame within {PATIENCE:?}"),
        }
    }

    /// The next `n` text frames as JSON, whatever their `op`.
    pub async fn recv_many(&mut self, n: usize) -> Vec<Value> {
        let mut frames = Vec::with_capacity(n);
        for _ in 0..n {
            frames.push(self.recv().await);
        }
        frames
    }

    /// The next frame whose `op` is one of `ops`, skipping others.
    pub async fn recv_op(&mut self, ops: &[&str]) -> Value {
        loop {
            let frame = self.recv().await;
            if ops.iter().any(|op| frame["op"] == *op) {
                return frame;
            }
        }
    }

    /// The next event frame.
    pub async fn event(&mut self) -> Value {
        self.recv_op(&["event"]).await
    }

    /// The next `n` event frames.
    pub async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.event().await);
        }
        events
    }

    /// Asserts that no frame arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(Some(text)) = tokio::time::timeout(wait, self.next_text()).await {
            panic!("expected silence, got {text}");
        }
    }

    /// Waits for the server to close the connection and returns its code.
    pub async fn closed(&mut self) -> Closed {
        let wait = tokio::time::timeout(PATIENCE, async {
            while let Some(frame) = self.socket.next().await {
                match frame {
                    Ok(Message::Close(Some(close))) => {
                        return Closed {
                            code: u16::from(close.code),
                            reason: close.reason.to_string(),
                        };
                    }
                    Ok(Message::Close(None)) => {
                        return Closed {
                            code: u16::from(CloseCode::Status),
                            reason: String::new(),
                        };
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            Closed {
                code: u16::from(CloseCode::Abnormal),
                reason: "connection dropped without a close frame".into(),
            }
        });
        wait.await.expect("the server did not close the connection")
    }

    /// The next text frame as JSON, or `None` once the connection has ended
    /// (its close code is then in [`WsClient::close_code`]).
    pub async fn socket_next(&mut self) -> Option<Value> {
        while let Some(frame) = self.socket.next().await {
            match frame.ok()? {
                Message::Text(text) => return Some(serde_json::from_str(&text).expect("JSON")),
                Message::Close(close) => {
                    self.closed_with = close.map(|c| u16::from(c.code));
                    return None;
                }
                _ => {}
            }
        }
        None
    }

    /// The code of the close frame [`WsClient::socket_next`] saw, if any.
    pub fn close_code(&self) -> Option<u16> {
        self.closed_with
    }

    /// The underlying socket, for tests that misbehave on purpose.
    pub fn socket(&mut self) -> &mut WebSocketStream<MaybeTlsStream<TcpStream>> {
        &mut self.socket
    }

    async fn next_text(&mut self) -> Option<String> {
        while let Some(frame) = self.socket.next().await {
            match frame.ok()? {
                Message::Text(text) => return Some(text.to_string()),
                Message::Close(_) => return None,
                _ => {}
            }
        }
        None
    }
}

/// The contract's topic names.
pub fn messages_topic(room: i64) -> String {
    format!("chat:{room}:messages")
}

pub fn updates_topic(room: i64) -> String {
    format!("chat:{room}:messages:update")
}
