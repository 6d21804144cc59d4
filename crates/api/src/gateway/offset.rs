//! The offset every Socket.IO event carries for connection-state recovery:
//! for each room a socket follows, the last `seq` it sent on each of the
//! room's two topics. It is all a node needs to recover a client, so any
//! node can, with no session kept anywhere.
//!
//! The format, version `1`: the character `1`, then the unpadded base64url
//! of one entry per room, by rising room id, each three unsigned LEB128
//! varints: the room id minus the previous entry's (the first's minus 0),
//! the messages topic's `seq`, and the updates topic's `seq` as its
//! zigzag-encoded difference from that (`0` when both are equal, as they
//! are until an edit arrives). A few bytes per room.
//!
//! A client may send anything back: decoding caps the length, refuses
//! anything malformed (a room id not above the previous, a number out of
//! range, trailing bytes) and never panics. What it decodes is only a
//! claim of what the client has: recovery still reads only rooms the user
//! may read now, and clamps every `seq` to the room's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use concord_domain::{RoomId, Seq};

/// The version this module writes, and the only one it reads.
const VERSION: char = '1';
/// The longest offset decoded, in characters: some 8,000 rooms.
pub(super) const MAX_LEN: usize = 64 * 1024;
/// Most rooms one offset may name.
pub(super) const MAX_ROOMS: usize = 10_000;

/// One room's entry: the last `seq` sent on its messages topic and on its
/// updates topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mark {
    pub room: RoomId,
    pub messages: Seq,
    pub updates: Seq,
}

/// Encodes `marks`, which must come by rising room id (as a `BTreeMap`
/// gives them); entries out of order are skipped rather than written as an
/// offset that would not decode.
pub(super) fn encode(marks: impl IntoIterator<Item = Mark>) -> String {
    let mut bytes = Vec::with_capacity(64);
    let mut previous = 0_i64;
    for mark in marks {
        let room = mark.room.get();
        let (messages, updates) = (mark.messages.get(), mark.updates.get());
        if room <= previous || messages < 0 || updates < 0 {
            debug_assert!(false, "offset entries out of order or negative");
            continue;
        }
        put_varint(&mut bytes, (room - previous).unsigned_abs());
        put_varint(&mut bytes, messages.unsigned_abs());
        put_varint(&mut bytes, zigzag(updates - messages));
        previous = room;
    }
    let mut out = String::with_capacity(1 + bytes.len().div_ceil(3) * 4);
    out.push(VERSION);
    URL_SAFE_NO_PAD.encode_string(&bytes, &mut out);
    out
}

/// The entries of `offset`, by rising room id; `None` for anything this
/// module did not write (another version, garbage, over the caps).
pub(super) fn decode(offset: &str) -> Option<Vec<Mark>> {
    if offset.len() > MAX_LEN {
        return None;
    }
    let body = offset.strip_prefix(VERSION)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
    let mut input = bytes.as_slice();
    let mut marks = Vec::new();
    let mut previous = 0_i64;
    while !input.is_empty() {
        if marks.len() == MAX_ROOMS {
            return None;
        }
        let delta = i64::try_from(take_varint(&mut input)?).ok()?;
        let messages = i64::try_from(take_varint(&mut input)?).ok()?;
        let diff = unzigzag(take_varint(&mut input)?);
        let room = previous.checked_add(delta).filter(|r| *r > previous)?;
        let updates = messages.checked_add(diff).filter(|u| *u >= 0)?;
        marks.push(Mark {
            room: RoomId::new(room),
            messages: Seq::new(messages),
            updates: Seq::new(updates),
        });
        previous = room;
    }
    Some(marks)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads one varint off the front of `input`: at most ten bytes, the tenth
/// carrying one bit, the shortest spelling of its value.
fn take_varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0_u64;
    for (i, byte) in input.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        // Past 64 bits, or a needless trailing zero group (one value, one
        // spelling).
        if (i == 9 && bits > 1) || (i > 0 && *byte == 0) {
            return None;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(value);
        }
    }
    None
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn mark(room: i64, messages: i64, updates: i64) -> Mark {
        Mark {
            room: RoomId::new(room),
            messages: Seq::new(messages),
            updates: Seq::new(updates),
        }
    }

    #[test]
    fn offsets_round_trip() {
        let cases = [
            vec![],
            vec![mark(1, 0, 0)],
            vec![mark(7, 120, 120), mark(8, 3, 9), mark(500, 70_000, 12)],
            vec![mark(i64::MAX, i64::MAX, 0)],
            vec![mark(1, 0, i64::MAX), mark(i64::MAX, i64::MAX, i64::MAX)],
        ];
        for marks in cases {
            let offset = encode(marks.clone());
            assert!(offset.starts_with('1'), "{offset}");
            assert!(
                offset[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "URL-safe, no JSON escaping: {offset}"
            );
            assert_eq!(decode(&offset), Some(marks), "{offset}");
        }
    }

    #[test]
    fn an_offset_takes_a_few_bytes_per_room() {
        let marks: Vec<Mark> = (1..=50)
            .map(|i| mark(1000 + i * 3, 10_000 + i, 10_000 + i))
            .collect();
        let offset = encode(marks.clone());
        // Room deltas of 1 byte (the first's 2), seqs of 2 bytes, equal
        // updates 1 byte: 201 bytes, 268 in base64, and the version.
        let bytes: usize = 2 + 49 + 50 * 2 + 50;
        assert_eq!(offset.len(), 1 + (bytes * 4).div_ceil(3), "{offset}");
        assert_eq!(decode(&offset), Some(marks));
    }

    #[test]
    fn garbage_and_other_versions_decode_to_nothing() {
        let good = encode([mark(3, 5, 6)]);
        let body = &good[1..];
        for bad in [
            String::new(),
            "1!".to_owned(),
            "1===".to_owned(),
            format!("2{body}"),
            body.to_owned(),
            "42".to_owned(),
            " 1".to_owned(),
            // Padding is not this module's.
            format!("{good}="),
        ] {
            assert_eq!(decode(&bad), None, "{bad:?}");
        }
        let raw = |bytes: &[u8]| format!("1{}", URL_SAFE_NO_PAD.encode(bytes));
        // A truncated entry, and a varint that never ends.
        assert_eq!(decode(&raw(&[3, 5])), None);
        assert_eq!(decode(&raw(&[0x80; 4])), None);
        // A room id not above the previous one.
        assert_eq!(decode(&raw(&[3, 0, 0, 0, 0, 0])), None);
        assert_eq!(decode(&raw(&[0, 0, 0])), None);
        // A room id past i64, a seq past i64, and an eleven-byte varint.
        let mut past = vec![0xff; 9];
        past.push(0x01);
        assert_eq!(decode(&raw(&[&past[..], &[0, 0]].concat())), None);
        assert_eq!(decode(&raw(&[&[1][..], &past[..], &[0]].concat())), None);
        assert_eq!(decode(&raw(&[&[0xff; 10][..], &[0, 0, 0]].concat())), None);
        // Updates below zero: messages 0, diff -1.
        assert_eq!(decode(&raw(&[1, 0, 1])), None);
        // Two rooms adding up past i64.
        let mut huge = vec![0xff; 8];
        huge.push(0x7f);
        let two = [&huge[..], &[0, 0], &huge[..], &[0, 0]].concat();
        assert_eq!(decode(&raw(&two)), None);
    }

    #[test]
    fn decoding_is_capped() {
        let too_many: Vec<Mark> = (1..=i64::try_from(MAX_ROOMS).unwrap() + 1)
            .map(|i| mark(i, 0, 0))
            .collect();
        let offset = encode(too_many.clone());
        assert!(offset.len() <= MAX_LEN, "the room cap bites first");
        assert_eq!(decode(&offset), None);
        assert_eq!(
            decode(&encode(too_many[1..].to_vec())).map(|m| m.len()),
            Some(MAX_ROOMS)
        );
        let long = format!("1{}", "A".repeat(MAX_LEN));
        assert_eq!(decode(&long), None);
    }

    fn marks() -> impl Strategy<Value = Vec<Mark>> {
        proptest::collection::vec((1..=i64::MAX / 64, 0..=i64::MAX, 0..=i64::MAX), 0..40).prop_map(
            |entries| {
                let mut room = 0;
                entries
                    .into_iter()
                    .map(|(delta, messages, updates)| {
                        room += delta % 1_000_000 + 1;
                        mark(room, messages, updates)
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn any_marks_round_trip(marks in marks()) {
            prop_assert_eq!(decode(&encode(marks.clone())), Some(marks));
        }

        #[test]
        fn any_input_decodes_without_panicking(
            bytes in proptest::collection::vec(any::<u8>(), 0..48),
            text in ".{0,40}",
        ) {
            let offset = format!("1{}", URL_SAFE_NO_PAD.encode(&bytes));
            if let Some(marks) = decode(&offset) {
                prop_assert_eq!(encode(marks), offset, "what decodes re-encodes the same");
            }
            let _ = decode(&text);
            let _ = decode(&format!("1{text}"));
        }
    }
}
