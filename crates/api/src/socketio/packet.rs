//! Socket.IO v5 packets and their encoding (the default parser's):
//!
//! ```text
//! <type>[<attachments>-][<namespace>,][<ack id>][JSON payload]
//! ```
//!
//! followed, for `BINARY_EVENT` and `BINARY_ACK`, by that many binary
//! Engine.IO messages. Payloads stay JSON text ([`RawValue`]): what a
//! client sends is checked but not rebuilt, so it can be passed on byte for
//! byte, and what the server sends is serialized once however many sockets
//! it goes to. Binary values appear in the payload as placeholders,
//! `{"_placeholder":true,"num":<index>}`, indexing the attachments.
//!
//! Decoding never panics; anything the reference parser refuses is a
//! [`DecodeError`], and the connection that sent it is closed.

use std::fmt::Write as _;

use actix_web::web::Bytes;
use bytestring::ByteString;
use serde_json::Value;
use serde_json::value::RawValue;

/// The seven packet types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

impl PacketKind {
    fn digit(self) -> char {
        match self {
            Self::Connect => '0',
            Self::Disconnect => '1',
            Self::Event => '2',
            Self::Ack => '3',
            Self::ConnectError => '4',
            Self::BinaryEvent => '5',
            Self::BinaryAck => '6',
        }
    }

    fn from_digit(c: u8) -> Option<Self> {
        Some(match c {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

/// The main namespace.
pub const MAIN_NAMESPACE: &str = "/";

/// Event names the client library keeps for itself; an EVENT with one of
/// them is refused, as the reference parser does.
const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// A decoded packet, its binary attachments still apart.
#[derive(Clone, Debug)]
pub struct Packet {
    pub kind: PacketKind,
    pub nsp: String,
    pub id: Option<u64>,
    pub data: Option<Box<RawValue>>,
    /// How many binary messages follow (binary types only).
    pub attachments: usize,
}

/// Why a message is not a Socket.IO packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown packet type")]
    UnknownType,
    #[error("illegal attachments")]
    IllegalAttachments,
    #[error("too many attachments")]
    TooManyAttachments,
    #[error("invalid ack id")]
    InvalidId,
    #[error("invalid payload")]
    InvalidPayload,
    #[error("binary data when not reconstructing a packet")]
    UnexpectedBinary,
    #[error("plain text data while reconstructing a packet")]
    UnexpectedText,
}

impl Packet {
    /// Decodes the text part of a packet.
    /// # Errors
    /// Whatever the reference parser refuses: an unknown type, a bad
    /// attachment count or ack id, a payload that is not JSON or not of the
    /// shape the type requires.
    pub fn decode(text: &str, max_attachments: usize) -> Result<Self, DecodeError> {
        let bytes = text.as_bytes();
        let kind = bytes
            .first()
            .copied()
            .and_then(PacketKind::from_digit)
            .ok_or(DecodeError::UnknownType)?;
        let mut rest = &text[1..];
        let mut attachments = 0;
        if kind.is_binary() {
            let (count, after) = rest
                .split_once('-')
                .ok_or(DecodeError::IllegalAttachments)?;
            if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DecodeError::IllegalAttachments);
            }
            attachments = count
                .parse::<usize>()
                .map_err(|_| DecodeError::TooManyAttachments)?;
            if attachments > max_attachments {
                return Err(DecodeError::TooManyAttachments);
            }
            rest = after;
        }
        let mut nsp = MAIN_NAMESPACE.to_owned();
        if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            nsp = rest[..end].to_owned();
            rest = rest.get(end + 1..).unwrap_or("");
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut id = None;
        if digits > 0 {
            id = Some(
                rest[..digits]
                    .parse::<u64>()
                    .map_err(|_| DecodeError::InvalidId)?,
            );
            rest = &rest[digits..];
        }
        let data = if rest.is_empty() {
            None
        } else {
            let raw: Box<RawValue> =
                serde_json::from_str(rest).map_err(|_| DecodeError::InvalidPayload)?;
            Some(raw)
        };
        let packet = Self {
            kind,
            nsp,
            id,
            data,
            attachments,
        };
        packet.check_payload()?;
        Ok(packet)
    }

    /// The payload rules of the reference parser, and the specification's
    /// "mandatory" ones.
    fn check_payload(&self) -> Result<(), DecodeError> {
        let ok = match (self.kind, &self.data) {
            (PacketKind::Connect, None) | (PacketKind::Disconnect, None) => true,
            (PacketKind::Connect, Some(data)) => data.get().starts_with('{'),
            (PacketKind::Disconnect, Some(_)) => false,
            (PacketKind::ConnectError, Some(data)) => {
                data.get().starts_with('{') || data.get().starts_with('"')
            }
            (PacketKind::Event | PacketKind::BinaryEvent, Some(data)) => event_name(data).is_some(),
            (PacketKind::Ack | PacketKind::BinaryAck, Some(data)) => data.get().starts_with('['),
            (
                PacketKind::ConnectError
                | PacketKind::Event
                | PacketKind::BinaryEvent
                | PacketKind::Ack
                | PacketKind::BinaryAck,
                None,
            ) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(DecodeError::InvalidPayload)
        }
    }

    /// The packet's text form.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(
            8 + self.nsp.len() + self.data.as_ref().map_or(0, |d| d.get().len()),
        );
        out.push(self.kind.digit());
        if self.kind.is_binary() {
            let _ = write!(out, "{}-", self.attachments);
        }
        if self.nsp != MAIN_NAMESPACE {
            out.push_str(&self.nsp);
            out.push(',');
        }
        if let Some(id) = self.id {
            let _ = write!(out, "{id}");
        }
        if let Some(data) = &self.data {
            out.push_str(data.get());
        }
        out
    }
}

/// An EVENT's name: a string that is not reserved, or a number (the
/// reference parser accepts both).
pub fn event_name(data: &RawValue) -> Option<String> {
    let items: Vec<&RawValue> = serde_json::from_str(data.get()).ok()?;
    let first = items.first()?;
    match serde_json::from_str::<Value>(first.get()).ok()? {
        Value::String(name) if !RESERVED_EVENTS.contains(&name.as_str()) => Some(name),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The elements of a JSON array payload.
/// # Errors
/// When `data` is not an array.
pub fn array_items(data: &RawValue) -> Result<Vec<Box<RawValue>>, DecodeError> {
    serde_json::from_str(data.get()).map_err(|_| DecodeError::InvalidPayload)
}

/// Whether every placeholder in `data` names one of `count` attachments,
/// as the reference parser requires when it rebuilds a packet.
fn placeholders_valid(data: &RawValue, count: usize) -> bool {
    fn walk(value: &Value, count: usize) -> bool {
        match value {
            Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => map
                .get("num")
                .and_then(Value::as_u64)
                .is_some_and(|n| usize::try_from(n).is_ok_and(|n| n < count)),
            Value::Object(map) => map.values().all(|v| walk(v, count)),
            Value::Array(items) => items.iter().all(|v| walk(v, count)),
            _ => true,
        }
    }
    serde_json::from_str::<Value>(data.get()).is_ok_and(|value| walk(&value, count))
}

/// A packet with its attachments, as the client sent it.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub packet: Packet,
    pub attachments: Vec<Bytes>,
}

/// Reassembles packets from a connection's messages: a binary packet's
/// text, then its attachments.
#[derive(Debug)]
pub struct Decoder {
    max_attachments: usize,
    partial: Option<Decoded>,
}

impl Decoder {
    pub fn new(max_attachments: usize) -> Self {
        Self {
            max_attachments,
            partial: None,
        }
    }

    /// Takes a text message: a whole packet, or the start of a binary one.
    /// # Errors
    /// When the text is not a packet, or a binary packet is still waiting
    /// for attachments.
    pub fn text(&mut self, text: &str) -> Result<Option<Decoded>, DecodeError> {
        if self.partial.is_some() {
            return Err(DecodeError::UnexpectedText);
        }
        let packet = Packet::decode(text, self.max_attachments)?;
        let decoded = Decoded {
            attachments: Vec::with_capacity(packet.attachments),
            packet,
        };
        if decoded.packet.attachments == 0 {
            return Self::complete(decoded).map(Some);
        }
        self.partial = Some(decoded);
        Ok(None)
    }

    /// Takes a binary message: the next attachment of the packet waiting
    /// for them.
    /// # Errors
    /// When no packet waits for attachments, or the placeholders of the
    /// completed one do not match them.
    pub fn binary(&mut self, bytes: Bytes) -> Result<Option<Decoded>, DecodeError> {
        let mut partial = self.partial.take().ok_or(DecodeError::UnexpectedBinary)?;
        partial.attachments.push(bytes);
        if partial.attachments.len() < partial.packet.attachments {
            self.partial = Some(partial);
            return Ok(None);
        }
        Self::complete(partial).map(Some)
    }

    fn complete(decoded: Decoded) -> Result<Decoded, DecodeError> {
        if decoded.packet.kind.is_binary()
            && let Some(data) = &decoded.packet.data
            && !placeholders_valid(data, decoded.attachments.len())
        {
            return Err(DecodeError::IllegalAttachments);
        }
        Ok(decoded)
    }
}

/// A packet ready to send: its text (without Engine.IO's `4`) and
/// attachments. Cloning it is cheap, so one encoding can go to many sockets.
#[derive(Clone, Debug)]
pub struct Encoded {
    pub text: ByteString,
    pub attachments: Vec<Bytes>,
}

impl Encoded {
    fn new(packet: &Packet, attachments: Vec<Bytes>) -> Self {
        Self {
            text: ByteString::from(packet.encode()),
            attachments,
        }
    }

    /// An EVENT (BINARY_EVENT with attachments) named `name` with `args`,
    /// which may hold placeholders for `attachments`.
    pub fn event(
        nsp: &str,
        name: &str,
        args: &[Box<RawValue>],
        id: Option<u64>,
        attachments: Vec<Bytes>,
    ) -> Self {
        let name = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_owned());
        let mut json = String::with_capacity(
            2 + name.len() + args.iter().map(|a| a.get().len() + 1).sum::<usize>(),
        );
        json.push('[');
        json.push_str(&name);
        for arg in args {
            json.push(',');
            json.push_str(arg.get());
        }
        json.push(']');
        let kind = if attachments.is_empty() {
            PacketKind::Event
        } else {
            PacketKind::BinaryEvent
        };
        Self::with_json(kind, nsp, id, json, attachments)
    }

    /// An ACK (BINARY_ACK with attachments) for event `id`.
    pub fn ack(nsp: &str, id: u64, args: &[Box<RawValue>], attachments: Vec<Bytes>) -> Self {
        let mut json = String::from("[");
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(arg.get());
        }
        json.push(']');
        let kind = if attachments.is_empty() {
            PacketKind::Ack
        } else {
            PacketKind::BinaryAck
        };
        Self::with_json(kind, nsp, Some(id), json, attachments)
    }

    /// A packet with no payload (DISCONNECT).
    pub fn bare(kind: PacketKind, nsp: &str) -> Self {
        Self::new(
            &Packet {
                kind,
                nsp: nsp.to_owned(),
                id: None,
                data: None,
                attachments: 0,
            },
            Vec::new(),
        )
    }

    /// A packet whose payload is `data` (CONNECT, CONNECT_ERROR).
    pub fn with_data(kind: PacketKind, nsp: &str, data: Box<RawValue>) -> Self {
        Self::new(
            &Packet {
                kind,
                nsp: nsp.to_owned(),
                id: None,
                data: Some(data),
                attachments: 0,
            },
            Vec::new(),
        )
    }

    fn with_json(
        kind: PacketKind,
        nsp: &str,
        id: Option<u64>,
        json: String,
        attachments: Vec<Bytes>,
    ) -> Self {
        // `json` was assembled from valid JSON values, so this holds.
        let data = RawValue::from_string(json).ok();
        Self::new(
            &Packet {
                kind,
                nsp: nsp.to_owned(),
                id,
                data,
                attachments: attachments.len(),
            },
            attachments,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    fn decode(text: &str) -> Result<Packet, DecodeError> {
        Packet::decode(text, 10)
    }

    #[test]
    fn connect_packets_decode_with_namespace_and_auth() {
        let main = decode("0").unwrap();
        assert_eq!(
            (main.kind, main.nsp.as_str(), main.data.is_none()),
            (PacketKind::Connect, "/", true)
        );
        let custom = decode(r#"0/admin,{"token":"123"}"#).unwrap();
        assert_eq!(custom.nsp, "/admin");
        assert_eq!(custom.data.unwrap().get(), r#"{"token":"123"}"#);
        // The reference parser also takes a namespace without its comma.
        assert_eq!(decode("0/random").unwrap().nsp, "/random");
        assert_eq!(decode("1/custom").unwrap().nsp, "/custom");
    }

    #[test]
    fn events_keep_their_id_and_payload_text() {
        let packet = decode(r#"2/admin,12["foo",{"b":1,"a":2}]"#).unwrap();
        assert_eq!(packet.kind, PacketKind::Event);
        assert_eq!(packet.id, Some(12));
        assert_eq!(packet.data.unwrap().get(), r#"["foo",{"b":1,"a":2}]"#);
        let ack = decode(r#"3456[1,"2"]"#).unwrap();
        assert_eq!((ack.kind, ack.id), (PacketKind::Ack, Some(456)));
    }

    #[test]
    fn binary_packets_announce_their_attachments() {
        let packet = decode(
            r#"52-/admin,7["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        )
        .unwrap();
        assert_eq!(packet.kind, PacketKind::BinaryEvent);
        assert_eq!(packet.attachments, 2);
        assert_eq!(packet.nsp, "/admin");
        assert_eq!(packet.id, Some(7));
    }

    #[test]
    fn what_the_reference_parser_refuses_is_an_error() {
        for bad in [
            "",
            "abc",
            "7",
            "42",
            "2{}",
            "2[]",
            "2[1",
            r#"2abc["message"]"#,
            r#"2["connect"]"#,
            r#"2[{"a":1}]"#,
            "0[1]",
            r#"1{"a":1}"#,
            "3",
            r#"3{"a":1}"#,
            "4",
            "4[1]",
            r#"5["a"]"#,
            r#"5x-["a"]"#,
            r#"5-["a"]"#,
            r#"2/nsp,99999999999999999999999["a"]"#,
        ] {
            assert!(decode(bad).is_err(), "{bad:?} should not decode");
        }
        assert_eq!(
            decode(r#"511-["a"]"#).unwrap_err(),
            DecodeError::TooManyAttachments
        );
    }

    #[test]
    fn numeric_event_names_are_accepted_like_the_reference() {
        assert!(decode("2[1]").is_ok());
        assert_eq!(event_name(&raw(r#"[42,"x"]"#)).as_deref(), Some("42"));
    }

    #[test]
    fn encoding_follows_the_specifications_examples() {
        assert_eq!(Encoded::bare(PacketKind::Disconnect, "/").text, "1");
        assert_eq!(
            Encoded::bare(PacketKind::Disconnect, "/admin").text,
            "1/admin,"
        );
        assert_eq!(
            Encoded::with_data(PacketKind::Connect, "/admin", raw(r#"{"sid":"oSO0"}"#)).text,
            r#"0/admin,{"sid":"oSO0"}"#
        );
        assert_eq!(
            Encoded::with_data(
                PacketKind::ConnectError,
                "/",
                raw(r#"{"message":"Not authorized"}"#)
            )
            .text,
            r#"4{"message":"Not authorized"}"#
        );
        assert_eq!(
            Encoded::event("/", "foo", &[], None, vec![]).text,
            r#"2["foo"]"#
        );
        assert_eq!(
            Encoded::event("/admin", "bar", &[raw("1")], Some(13), vec![]).text,
            r#"2/admin,13["bar",1]"#
        );
        let binary = Encoded::event(
            "/",
            "baz",
            &[raw(r#"{"_placeholder":true,"num":0}"#)],
            None,
            vec![Bytes::from_static(&[1, 2, 3, 4])],
        );
        assert_eq!(binary.text, r#"51-["baz",{"_placeholder":true,"num":0}]"#);
        assert_eq!(binary.attachments.len(), 1);
        assert_eq!(
            Encoded::ack(
                "/",
                15,
                &[raw(r#""bar""#), raw(r#"{"_placeholder":true,"num":0}"#)],
                vec![Bytes::new()]
            )
            .text,
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(Encoded::ack("/admin", 13, &[], vec![]).text, "3/admin,13[]");
    }

    #[test]
    fn encoding_then_decoding_gives_the_packet_back() {
        let sent = Encoded::event(
            "/chat",
            "msg",
            &[raw(r#"{"z":1,"a":[true,null]}"#)],
            Some(5),
            vec![],
        );
        let back = decode(&sent.text).unwrap();
        assert_eq!(back.encode(), &*sent.text);
        assert_eq!(back.nsp, "/chat");
        assert_eq!(back.id, Some(5));
    }

    #[test]
    fn the_decoder_waits_for_every_attachment() {
        let mut decoder = Decoder::new(10);
        let head = r#"52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert!(decoder.text(head).unwrap().is_none());
        assert!(decoder.binary(Bytes::from_static(&[1])).unwrap().is_none());
        let done = decoder.binary(Bytes::from_static(&[2])).unwrap().unwrap();
        assert_eq!(
            done.attachments,
            vec![Bytes::from_static(&[1]), Bytes::from_static(&[2])]
        );
        // Ready for the next packet.
        assert!(decoder.text(r#"2["next"]"#).unwrap().is_some());
    }

    #[test]
    fn out_of_order_messages_are_decoder_errors() {
        let mut decoder = Decoder::new(10);
        assert_eq!(
            decoder.binary(Bytes::new()).unwrap_err(),
            DecodeError::UnexpectedBinary
        );
        decoder
            .text(r#"51-["m",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        assert_eq!(
            decoder.text(r#"2["x"]"#).unwrap_err(),
            DecodeError::UnexpectedText
        );
    }

    #[test]
    fn placeholders_must_name_an_attachment() {
        let mut decoder = Decoder::new(10);
        decoder
            .text(r#"51-["m",{"_placeholder":true,"num":1}]"#)
            .unwrap();
        assert_eq!(
            decoder.binary(Bytes::new()).unwrap_err(),
            DecodeError::IllegalAttachments
        );
        let mut decoder = Decoder::new(10);
        decoder
            .text(r#"51-["m",{"_placeholder":true,"num":-1}]"#)
            .unwrap();
        assert_eq!(
            decoder.binary(Bytes::new()).unwrap_err(),
            DecodeError::IllegalAttachments
        );
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = Packet::decode(&text, 10);
            let mut decoder = Decoder::new(3);
            let _ = decoder.text(&text);
            let _ = decoder.binary(Bytes::from(text.clone().into_bytes()));
        }

        #[test]
        fn decoding_packet_like_text_never_panics(text in "[0-6][0-9-]{0,3}(/[a-z,]{0,4})?[0-9]{0,3}[\\[\\]{}\",a-z0-9:]{0,12}") {
            let _ = Packet::decode(&text, 10);
        }
    }
}
