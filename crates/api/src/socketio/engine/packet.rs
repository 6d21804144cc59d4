//! Engine.IO v4 packets and their two encodings: one packet per WebSocket
//! frame, or several in one HTTP long-polling body separated by `\x1e`,
//! binary ones base64-encoded behind a `b`.
//!
//! Decoding never panics: anything malformed is a [`DecodeError`], and the
//! session that received it is closed.

use actix_web::web::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytestring::ByteString;

/// Separates packets in a long-polling body (the ASCII record separator).
pub const SEPARATOR: char = '\x1e';

/// The data of a `message` packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Text(ByteString),
    Binary(Bytes),
}

impl Payload {
    /// Bytes on the wire over WebSocket (polling adds a third for base64).
    pub fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the payload carries no byte at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One Engine.IO packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the handshake, a JSON object (server to client only).
    Open(ByteString),
    /// `1`: the transport, or the session, is closing.
    Close,
    /// `2`: heartbeat, or `2probe` while upgrading.
    Ping(ByteString),
    /// `3`: answer to a ping, `3probe` to a probe.
    Pong(ByteString),
    /// `4` (text) or a binary frame / `b` record.
    Message(Payload),
    /// `5`: the client completes an upgrade.
    Upgrade,
    /// `6`: ends a pending poll during an upgrade.
    Noop,
}

/// Why some bytes are not an Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("invalid base64 in a binary packet")]
    Base64,
    #[error("payload is not UTF-8")]
    Utf8,
}

impl Packet {
    /// A text message packet.
    pub fn text(text: impl Into<ByteString>) -> Self {
        Self::Message(Payload::Text(text.into()))
    }

    fn type_char(&self) -> char {
        match self {
            Self::Open(_) => '0',
            Self::Close => '1',
            Self::Ping(_) => '2',
            Self::Pong(_) => '3',
            Self::Message(_) => '4',
            Self::Upgrade => '5',
            Self::Noop => '6',
        }
    }

    /// The text form of a packet that is not binary: `<type>[<data>]`.
    fn text_form(&self, out: &mut String) {
        out.push(self.type_char());
        match self {
            Self::Open(data) | Self::Ping(data) | Self::Pong(data) => out.push_str(data),
            Self::Message(Payload::Text(text)) => out.push_str(text),
            Self::Message(Payload::Binary(_)) | Self::Close | Self::Upgrade | Self::Noop => {}
        }
    }

    /// Decodes one WebSocket text frame, or one record of a polling body.
    /// A record starting with `b` is a base64 binary message.
    /// # Errors
    /// When the text is empty, its type is unknown, or its base64 is invalid.
    pub fn decode_text(text: &str) -> Result<Self, DecodeError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(DecodeError::Empty)?;
        let data = chars.as_str();
        Ok(match kind {
            '0' => Self::Open(ByteString::from(data)),
            '1' => Self::Close,
            '2' => Self::Ping(ByteString::from(data)),
            '3' => Self::Pong(ByteString::from(data)),
            '4' => Self::Message(Payload::Text(ByteString::from(data))),
            '5' => Self::Upgrade,
            '6' => Self::Noop,
            'b' => {
                let bytes = BASE64.decode(data).map_err(|_| DecodeError::Base64)?;
                Self::Message(Payload::Binary(Bytes::from(bytes)))
            }
            other => return Err(DecodeError::UnknownType(other)),
        })
    }

    /// What goes in a WebSocket frame: text, or the raw bytes of a binary
    /// message.
    pub fn to_frame(&self) -> Payload {
        match self {
            Self::Message(Payload::Binary(bytes)) => Payload::Binary(bytes.clone()),
            other => {
                let mut out = String::new();
                other.text_form(&mut out);
                Payload::Text(ByteString::from(out))
            }
        }
    }

    /// Appends this packet's polling form to `out`.
    fn push_polling(&self, out: &mut String) {
        match self {
            Self::Message(Payload::Binary(bytes)) => {
                out.push('b');
                BASE64.encode_string(bytes, out);
            }
            other => other.text_form(out),
        }
    }
}

/// Encodes packets as one long-polling body.
pub fn encode_payload<'a>(packets: impl IntoIterator<Item = &'a Packet>) -> String {
    let mut out = String::new();
    for (i, packet) in packets.into_iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        packet.push_polling(&mut out);
    }
    out
}

/// Decodes a long-polling body (a POST) into its packets.
/// # Errors
/// When the body is not UTF-8, or any record in it is not a packet.
pub fn decode_payload(body: &[u8]) -> Result<Vec<Packet>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::Utf8)?;
    text.split(SEPARATOR).map(Packet::decode_text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_packets_decode_by_their_type_digit() {
        assert_eq!(Packet::decode_text("4hello"), Ok(Packet::text("hello")));
        assert_eq!(
            Packet::decode_text("2probe"),
            Ok(Packet::Ping("probe".into()))
        );
        assert_eq!(Packet::decode_text("3"), Ok(Packet::Pong("".into())));
        assert_eq!(Packet::decode_text("1"), Ok(Packet::Close));
        assert_eq!(Packet::decode_text("5"), Ok(Packet::Upgrade));
        assert_eq!(Packet::decode_text("6"), Ok(Packet::Noop));
        assert_eq!(Packet::decode_text("4"), Ok(Packet::text("")));
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert_eq!(Packet::decode_text(""), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text("abc"),
            Err(DecodeError::UnknownType('a'))
        );
        assert_eq!(
            Packet::decode_text("7x"),
            Err(DecodeError::UnknownType('7'))
        );
        assert_eq!(Packet::decode_text("b!!!"), Err(DecodeError::Base64));
        assert_eq!(
            Packet::decode_text("é4"),
            Err(DecodeError::UnknownType('é'))
        );
    }

    #[test]
    fn a_polling_body_splits_on_the_record_separator() {
        let packets = decode_payload(b"4hello\x1e2\x1e4world").unwrap();
        assert_eq!(
            packets,
            vec![
                Packet::text("hello"),
                Packet::Ping("".into()),
                Packet::text("world")
            ]
        );
    }

    #[test]
    fn binary_travels_as_base64_over_polling_and_raw_over_websocket() {
        let packets = decode_payload(b"4hello\x1ebAQIDBA==").unwrap();
        let binary = Packet::Message(Payload::Binary(Bytes::from_static(&[1, 2, 3, 4])));
        assert_eq!(packets[1], binary);
        assert_eq!(encode_payload(&packets), "4hello\x1ebAQIDBA==");
        assert_eq!(
            binary.to_frame(),
            Payload::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        );
        assert_eq!(Packet::text("hi").to_frame(), Payload::Text("4hi".into()));
    }

    #[test]
    fn a_body_with_one_bad_record_is_rejected_whole() {
        assert_eq!(decode_payload(b"4ok\x1e\x1e4ok"), Err(DecodeError::Empty));
        assert_eq!(
            decode_payload(b"4ok\x1ex"),
            Err(DecodeError::UnknownType('x'))
        );
        assert_eq!(decode_payload(&[b'4', 0xff, 0xfe]), Err(DecodeError::Utf8));
    }

    #[test]
    fn encoding_round_trips_every_packet_type() {
        let packets = vec![
            Packet::Open(r#"{"sid":"x"}"#.into()),
            Packet::Close,
            Packet::Ping("probe".into()),
            Packet::Pong("".into()),
            Packet::text("é € \u{1F600}"),
            Packet::Upgrade,
            Packet::Noop,
            Packet::Message(Payload::Binary(Bytes::from_static(b"\x00\xff"))),
        ];
        let body = encode_payload(&packets);
        assert_eq!(decode_payload(body.as_bytes()).unwrap(), packets);
        for packet in &packets {
            let back = match packet.to_frame() {
                Payload::Text(text) => Packet::decode_text(&text).unwrap(),
                Payload::Binary(bytes) => Packet::Message(Payload::Binary(bytes)),
            };
            assert_eq!(&back, packet);
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode_payload(&body);
            if let Ok(text) = std::str::from_utf8(&body) {
                let _ = Packet::decode_text(text);
            }
        }
    }
}
