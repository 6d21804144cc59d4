//! The gateway's wire protocol (API.md section 5): what clients may send, the
//! frames the server sends back, and the close codes.
//!
//! Server frames are built here and nowhere else. Event frames are assembled
//! once per event and dialect, through the hub's renderer; every other frame
//! is per connection.

use std::collections::HashMap;
use std::fmt::Display;

use concord_adapters::realtime::Dialect;
use concord_domain::{Seq, UserId};
use serde::Deserialize;
use serde_json::json;

/// Close codes beyond RFC 6455's. Each tells the client what to do next.
pub mod close {
    /// No `identify` within the deadline, or a missing, bad or revoked token:
    /// get a new token, then reconnect.
    pub const UNAUTHENTICATED: u16 = 4001;
    /// Nothing heard from the client for two heartbeat intervals: reconnect
    /// and resume with `since`.
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    /// The client read too slowly and its queue filled up: reconnect and
    /// resume with `since` from the last `seq` it saw. Nothing is lost.
    pub const RESUME_REQUIRED: u16 = 4008;
    /// The server is shutting down (RFC 6455 "going away"): reconnect,
    /// possibly to another node, and resume.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame larger than the protocol allows.
    pub const TOO_BIG: u16 = 1009;
    /// A frame that is not valid WebSocket.
    pub const PROTOCOL_ERROR: u16 = 1002;
}

/// A client frame.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ClientOp {
    Identify {
        token: String,
        #[serde(default)]
        dialect: Dialect,
    },
    Subscribe {
        topics: Vec<String>,
        /// The last `seq` seen per topic; events after it are replayed first.
        #[serde(default)]
        since: HashMap<String, i64>,
    },
    Unsubscribe {
        topics: Vec<String>,
    },
    Ping,
}

impl ClientOp {
    /// Parses a text frame. The error is the client-facing reason.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| {
            // serde's message names the field or op; its position is noise.
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            format!("Malformed frame: {msg}")
        })
    }
}

pub fn hello(heartbeat_interval_ms: u64) -> String {
    json!({"op": "hello", "heartbeat_interval_ms": heartbeat_interval_ms}).to_string()
}

pub fn ready(user_id: UserId, session_id: &str) -> String {
    json!({"op": "ready", "user_id": user_id.get(), "session_id": session_id}).to_string()
}

pub fn pong() -> String {
    json!({"op": "pong"}).to_string()
}

/// `topic` is a room's (`seq` its latest) or a user's (`seq` 0: a user
/// topic has no log).
pub fn subscribed(topic: &impl Display, seq: Seq) -> String {
    json!({"op": "subscribed", "topic": topic.to_string(), "seq": seq.get()}).to_string()
}

pub fn unsubscribed(topic: &impl Display) -> String {
    json!({"op": "unsubscribed", "topic": topic.to_string()}).to_string()
}

/// An error about the connection as a whole.
pub fn error(status: u16, message: &str) -> String {
    json!({"op": "error", "statusCode": status, "message": message}).to_string()
}

/// An error about one topic; `topic` is echoed as the client sent it.
pub fn topic_error(topic: &str, status: u16, message: &str) -> String {
    json!({"op": "error", "topic": topic, "statusCode": status, "message": message}).to_string()
}

/// A subscription refused because its `since` is further behind than one
/// `subscribe` may replay: `seq` is the room's latest, to subscribe again
/// with while older history is paged over HTTP.
pub fn replay_refused(topic: &str, seq: Seq, message: &str) -> String {
    json!({"op": "error", "topic": topic, "statusCode": 410, "seq": seq.get(), "message": message})
        .to_string()
}

/// An event frame of type `name` around `data`, which is already JSON.
pub fn event(topic: &impl Display, name: &str, seq: Seq, data: &str) -> String {
    // `topic` and the event names are ASCII without quotes or backslashes by
    // construction, and `data` is serializer output, so splicing is safe and
    // spares a second pass over the message JSON.
    format!(r#"{{"op":"event","topic":"{topic}","type":"{name}","seq":{seq},"data":{data}}}"#)
}

#[cfg(test)]
mod tests {
    use concord_domain::{Topic, TopicKind};
    use serde_json::Value;

    use super::*;

    #[test]
    fn event_frames_are_valid_json_with_the_contract_fields() {
        let topic = Topic {
            room_id: concord_domain::RoomId::new(9),
            kind: TopicKind::Updates,
        };
        let frame = event(
            &topic,
            "message.deleted",
            Seq::new(12),
            r#"{"id":3,"content":"a \"q\""}"#,
        );
        let v: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(v["op"], "event");
        assert_eq!(v["topic"], "chat:9:messages:update");
        assert_eq!(v["type"], "message.deleted");
        assert_eq!(v["seq"], 12);
        assert_eq!(v["data"]["content"], "a \"q\"");
    }

    #[test]
    fn client_ops_parse_and_unknown_ones_are_refused_with_a_reason() {
        assert!(matches!(
            ClientOp::parse(r#"{"op":"identify","token":"t","dialect":"server"}"#),
            Ok(ClientOp::Identify {
                dialect: Dialect::Server,
                ..
            })
        ));
        assert!(matches!(
            ClientOp::parse(r#"{"op":"identify","token":"t"}"#),
            Ok(ClientOp::Identify {
                dialect: Dialect::Workspace,
                ..
            })
        ));
        assert!(matches!(
            ClientOp::parse(r#"{"op":"subscribe","topics":["chat:1:messages"],"since":{"chat:1:messages":4}}"#),
            Ok(ClientOp::Subscribe { since, .. }) if since["chat:1:messages"] == 4
        ));
        for bad in [
            "",
            "null",
            "[]",
            r#"{"op":"launch"}"#,
            r#"{"op":"subscribe","topics":"chat:1:messages"}"#,
            r#"{"op":"identify","token":"t","dialect":"klingon"}"#,
            "{\"op\":\"ping\"",
        ] {
            let err = ClientOp::parse(bad).unwrap_err();
            assert!(err.starts_with("Malformed frame"), "{bad}: {err}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Frames a client could plausibly send, valid or nearly so.
        fn frame() -> impl Strategy<Value = String> {
            let topic = prop_oneof!["chat:[0-9]{1,20}:messages(:update)?", "\\PC{0,30}",];
            let value = prop_oneof![
                Just("null".to_owned()),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| format!("{n:?}")),
                "\\PC{0,20}".prop_map(|s| serde_json::Value::String(s).to_string()),
                topic
                    .clone()
                    .prop_map(|t| serde_json::json!([t]).to_string()),
                (topic.clone(), any::<i64>())
                    .prop_map(|(t, n)| serde_json::json!({ t: n }).to_string()),
            ];
            let op = prop_oneof![
                Just("identify"),
                Just("subscribe"),
                Just("unsubscribe"),
                Just("ping"),
                Just("launch"),
            ];
            let field = prop_oneof![
                Just("op"),
                Just("token"),
                Just("dialect"),
                Just("topics"),
                Just("since"),
                Just("extra"),
            ];
            (op, prop::collection::vec((field, value), 0..5)).prop_map(|(op, fields)| {
                let mut frame = format!(r#"{{"op":"{op}""#);
                for (name, value) in fields {
                    frame.push_str(&format!(r#","{name}":{value}"#));
                }
                frame.push('}');
                frame
            })
        }

        /// `frame` with some bytes cut, repeated or replaced.
        fn mutated() -> impl Strategy<Value = String> {
            (
                frame(),
                prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..4),
            )
                .prop_map(|(frame, edits)| {
                    let mut bytes = frame.into_bytes();
                    for (at, byte, how) in edits {
                        if bytes.is_empty() {
                            break;
                        }
                        let i = at.index(bytes.len());
                        match how {
                            0 => {
                                bytes.remove(i);
                            }
                            1 => bytes.insert(i, byte),
                            _ => bytes[i] = byte,
                        }
                    }
                    String::from_utf8_lossy(&bytes).into_owned()
                })
        }

        proptest! {
            // Bounded so that it stays a unit test's cost in CI.
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn any_text_parses_to_a_frame_or_a_reason(text in "\\PC{0,64}") {
                check(&text)?;
            }

            #[test]
            fn near_valid_frames_parse_to_a_frame_or_a_reason(text in prop_oneof![frame(), mutated()]) {
                check(&text)?;
            }
        }

        /// Parsing never panics; a refusal is a readable, bounded reason, and
        /// what parses means what the frame said.
        fn check(text: &str) -> Result<(), TestCaseError> {
            match ClientOp::parse(text) {
                Ok(op) => {
                    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                        TestCaseError::fail(format!("parsed non-JSON {text:?}: {e}"))
                    })?;
                    let expected = match op {
                        ClientOp::Identify { .. } => "identify",
                        ClientOp::Subscribe { .. } => "subscribe",
                        ClientOp::Unsubscribe { .. } => "unsubscribe",
                        ClientOp::Ping => "ping",
                    };
                    prop_assert_eq!(json["op"].as_str(), Some(expected));
                }
                Err(reason) => {
                    prop_assert!(reason.starts_with("Malformed frame: "), "{}", reason);
                    prop_assert!(!reason.contains(" at line "), "{}", reason);
                    prop_assert!(reason.len() < 1024 + text.len(), "{}", reason);
                }
            }
            Ok(())
        }
    }
}
