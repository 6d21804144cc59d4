//! The Socket.IO client (API.md section 6), as lean as the `/ws` one: it
//! speaks Engine.IO v4 and Socket.IO v5 over WebSocket only, straight from
//! the first request (`?EIO=4&transport=websocket`), the way
//! `socket.io-client` runs with `transports: ["websocket"]`.
//!
//! A session reads the open packet (`0{…}`), connects to the main
//! namespace with its token (`40{"token":…}`, answered `40{"sid":…}`), then
//! listens: it answers the server's pings (`2`) with pongs (`3`) and counts
//! the events (`42["chat:{room}:messages",{…}]`) named by the subscriber's
//! topic. Socket.IO numbers no events, so the order is read from the posts'
//! own numbers: each delivery must be of a later post than the one before.
//! An event may carry more arguments than the message (connection-state
//! recovery adds an offset); they are skipped.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::connect_async_with_config;
use tokio_tungstenite::tungstenite::Message;

use crate::gateway::{
    EventData, OPEN_TIMEOUT, Read, SendLog, Socket, Tally, close_socket, socket_config,
};
use crate::http::Target;

/// The CONNECT payload: the token, and the dialect `/ws` subscribers use,
/// so that both kinds of fanout carry the same message JSON.
#[derive(Serialize)]
struct Auth<'a> {
    token: &'a str,
    dialect: &'static str,
}

/// The fields of the Engine.IO open packet and the Socket.IO CONNECT answer
/// the client checks for.
#[derive(Deserialize)]
struct Sid {
    #[serde(rename = "sid")]
    _sid: IgnoredAny,
}

/// A connected Socket.IO socket.
pub struct Session {
    socket: Socket,
}

impl Session {
    /// Upgrades, reads the open packet and connects with `token`.
    pub async fn open(target: &Target, token: &str) -> anyhow::Result<Self> {
        timeout(OPEN_TIMEOUT, Self::open_now(target, token))
            .await
            .context("timed out opening a Socket.IO session")?
    }

    async fn open_now(target: &Target, token: &str) -> anyhow::Result<Self> {
        // The last argument disables Nagle, as on `/ws`.
        let (mut socket, _) =
            connect_async_with_config(target.sio_url(), Some(socket_config()), true)
                .await
                .context("WebSocket upgrade at /api/socket/io")?;
        let open = next_text(&mut socket, "the open packet").await?;
        open.strip_prefix('0')
            .and_then(|json| serde_json::from_str::<Sid>(json).ok())
            .with_context(|| format!("bad open packet {open}"))?;
        let auth = serde_json::to_string(&Auth {
            token,
            dialect: "workspace",
        })?;
        socket.send(Message::text(format!("40{auth}"))).await?;
        loop {
            let text = next_text(&mut socket, "CONNECT").await?;
            if text == "2" {
                socket.send(Message::text("3")).await?;
            } else if let Some(json) = text.strip_prefix("40") {
                serde_json::from_str::<Sid>(json)
                    .with_context(|| format!("bad CONNECT answer {text}"))?;
                return Ok(Self { socket });
            } else if text.starts_with("44") {
                bail!("CONNECT refused: {text}");
            } else if text.starts_with('1') || text.starts_with("41") {
                bail!("closed waiting for CONNECT: {text}");
            }
        }
    }

    /// Listens until `stop`, then closes, counting the events named
    /// `counted` (a topic: `chat:{room}:messages`).
    pub async fn listen(
        mut self,
        counted: &str,
        sends: Option<Arc<SendLog>>,
        progress: Arc<AtomicU64>,
        mut stop: watch::Receiver<bool>,
    ) -> Tally {
        let mut tally = Tally::default();
        let mut last = None;
        while !*stop.borrow() {
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                frame = self.socket.next() => match Read::from(frame) {
                    Read::Text(text) => {
                        let at = Instant::now();
                        match packet(&text) {
                            Packet::Ping => {
                                if let Err(e) = self.socket.send(Message::text("3")).await {
                                    tally.closed = Some(format!("pong failed: {e}"));
                                    return tally;
                                }
                            }
                            Packet::Event(args) => {
                                let sends = sends.as_deref();
                                on_event(&mut tally, args, at, counted, &mut last, sends, &progress);
                            }
                            Packet::Closed(why) => {
                                tally.closed = Some(format!("closed by server: {why}"));
                                return tally;
                            }
                            Packet::Other => {}
                        }
                    }
                    Read::Other => {}
                    Read::Ended(why) => {
                        tally.closed = Some(why);
                        return tally;
                    }
                },
            }
        }
        close_socket(self.socket).await;
        tally
    }
}

/// Reads messages until a text one, which it returns.
async fn next_text(socket: &mut Socket, waiting_for: &str) -> anyhow::Result<String> {
    loop {
        let message = socket
            .next()
            .await
            .with_context(|| format!("socket ended waiting for {waiting_for}"))??;
        match message {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(close) => bail!("closed waiting for {waiting_for}: {close:?}"),
            _ => {}
        }
    }
}

/// What an Engine.IO packet on the WebSocket means to a listener.
#[derive(Debug, PartialEq, Eq)]
enum Packet<'a> {
    /// The server's heartbeat, to be answered.
    Ping,
    /// A Socket.IO EVENT: its arguments, a JSON array.
    Event(&'a str),
    /// The server closed the Engine.IO session or the Socket.IO socket.
    Closed(&'static str),
    /// Anything else (a noop, an ack, a namespace we did not ask for).
    Other,
}

fn packet(text: &str) -> Packet<'_> {
    match text.as_bytes() {
        b"2" => Packet::Ping,
        [b'1', ..] => Packet::Closed("Engine.IO close"),
        [b'4', b'1', ..] => Packet::Closed("Socket.IO DISCONNECT"),
        [b'4', b'2', ..] => Packet::Event(event_args(&text[2..])),
        _ => Packet::Other,
    }
}

/// An EVENT's arguments, after its namespace (`/admin,`) and ack id, if any.
fn event_args(body: &str) -> &str {
    let body = match body.strip_prefix('/') {
        Some(rest) => rest.split_once(',').map_or("", |(_, args)| args),
        None => body,
    };
    body.trim_start_matches(|c: char| c.is_ascii_digit())
}

/// Counts one EVENT, if it is named `counted`, and checks that its post is
/// later than the last one delivered.
fn on_event(
    tally: &mut Tally,
    args: &str,
    at: Instant,
    counted: &str,
    last: &mut Option<u64>,
    sends: Option<&SendLog>,
    progress: &AtomicU64,
) {
    let Ok(event) = serde_json::from_str::<Event<'_>>(args) else {
        tally.bad_frames += 1;
        return;
    };
    if event.name != counted {
        // another room the user may read, or the room's updates
        tally.bad_frames += 1;
        return;
    }
    let n = tally.count_delivery(event.message.as_ref(), at, sends, progress);
    let error = match (n, *last) {
        (None, _) => Some("a delivery without a post number".to_owned()),
        (Some(n), Some(before)) if n <= before => {
            Some(format!("post {n} delivered after post {before}"))
        }
        (Some(_), _) => None,
    };
    if let Some(error) = error {
        tally.seq_errors += 1;
        tally.first_seq_error.get_or_insert(error);
    }
    *last = n.max(*last);
}

/// An EVENT's arguments: its name, then the message; any further argument
/// is skipped. Strings are borrowed where they can be, as on `/ws`.
struct Event<'a> {
    name: Cow<'a, str>,
    message: Option<EventData<'a>>,
}

#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Event<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Arguments<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Arguments<'a> {
            type Value = Event<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event's name and arguments")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Event<'a>, A::Error> {
                let Name(name) = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let message = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Event { name, message })
            }
        }

        deserializer.deserialize_seq(Arguments(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "chat:7:messages";

    fn feed(t: &mut Tally, last: &mut Option<u64>, text: &str, sends: Option<&SendLog>) {
        let progress = AtomicU64::new(0);
        match packet(text) {
            Packet::Event(args) => on_event(t, args, Instant::now(), TOPIC, last, sends, &progress),
            other => panic!("not an event: {other:?}"),
        }
    }

    fn event(name: &str, content: &str, extra: &str) -> String {
        let message = serde_json::json!({ "id": 1, "content": content, "channel_id": 7 });
        format!(r#"42["{name}",{message}{extra}]"#)
    }

    #[test]
    fn packets_are_told_apart() {
        assert_eq!(packet("2"), Packet::Ping);
        assert_eq!(packet("6"), Packet::Other);
        assert_eq!(packet("1"), Packet::Closed("Engine.IO close"));
        assert_eq!(packet("41"), Packet::Closed("Socket.IO DISCONNECT"));
        assert_eq!(packet(r#"42["a",1]"#), Packet::Event(r#"["a",1]"#));
        assert_eq!(packet(r#"42/admin,17["a"]"#), Packet::Event(r#"["a"]"#));
        assert_eq!(packet(r#"4217["a"]"#), Packet::Event(r#"["a"]"#));
        assert_eq!(packet(r#"40{"sid":"x"}"#), Packet::Other);
    }

    #[test]
    fn events_in_order_are_counted_and_timed_with_or_without_an_offset() {
        let sends = SendLog::new(10);
        sends.mark(3);
        sends.mark(4);
        let (mut t, mut last) = (Tally::default(), None);
        feed(
            &mut t,
            &mut last,
            &event(TOPIC, "bench 3 xx", ""),
            Some(&sends),
        );
        let offset = r#","1733150000000-4""#;
        feed(
            &mut t,
            &mut last,
            &event(TOPIC, "bench 4 x\"y\\z", offset),
            Some(&sends),
        );
        assert_eq!((t.delivered, t.seq_errors, t.bad_frames), (2, 0, 0));
        assert_eq!(last, Some(4));
        assert_eq!(std::mem::take(&mut t.latencies).summary().count(), 2);
    }

    #[test]
    fn a_repeat_or_an_earlier_post_is_an_order_error_but_a_gap_is_not() {
        let (mut t, mut last) = (Tally::default(), None);
        for n in [0, 2, 2, 1, 3] {
            feed(
                &mut t,
                &mut last,
                &event(TOPIC, &format!("bench {n}"), ""),
                None,
            );
        }
        assert_eq!((t.delivered, t.seq_errors), (5, 2));
        assert_eq!(
            t.first_seq_error.as_deref(),
            Some("post 2 delivered after post 2")
        );
        assert_eq!(last, Some(3));
    }

    #[test]
    fn other_rooms_updates_and_garbage_are_not_deliveries() {
        let (mut t, mut last) = (Tally::default(), None);
        feed(
            &mut t,
            &mut last,
            &event("chat:8:messages", "bench 0", ""),
            None,
        );
        feed(
            &mut t,
            &mut last,
            &event("chat:7:messages:update", "bench 0", ""),
            None,
        );
        feed(&mut t, &mut last, "42not json", None);
        feed(&mut t, &mut last, "42[]", None);
        assert_eq!((t.delivered, t.bad_frames, last), (0, 4, None));
    }
}
