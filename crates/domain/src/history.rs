//! Where a page of history is read from, and how a page around a message
//! is cut (API.md section 7).

use crate::ids::MessageId;
use crate::message::Message;
use crate::validation::Invalid;

/// The part of a room's history a request asks for. Every variant is a
/// keyset on the message id, so pages stay exact while others post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryAt {
    /// Messages older than the id (from the newest without one), newest first.
    Before(Option<MessageId>),
    /// Messages newer than the id, oldest first.
    After(MessageId),
    /// Messages centred on the id, newest first; see [`AroundSplit`].
    Around(MessageId),
}

impl HistoryAt {
    /// The one cursor a request gave, of `before` (which the request spells
    /// `before_name`), `after` and `around`; none is the newest page.
    /// # Errors
    /// When two or more are given.
    pub fn pick(
        before_name: &str,
        before: Option<MessageId>,
        after: Option<MessageId>,
        around: Option<MessageId>,
    ) -> Result<Self, Invalid> {
        match (before, after, around) {
            (before, None, None) => Ok(Self::Before(before)),
            (None, Some(after), None) => Ok(Self::After(after)),
            (None, None, Some(around)) => Ok(Self::Around(around)),
            _ => Err(Invalid::one(format!(
                "Only one of {before_name}, after and around may be given"
            ))),
        }
    }
}

/// How a page of `limit` messages around an anchor is shared out: the
/// anchor's place and the messages older than it take `older`, those newer
/// take `newer`. The anchor comes first, then half of the rest newer and the
/// other half older, the odd one out going to the older side: 50 is 24
/// newer, the anchor and 24 older, plus one more older. A side with fewer
/// messages than its share leaves its places empty (the page stays centred).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AroundSplit {
    pub newer: u32,
    pub older: u32,
}

impl AroundSplit {
    pub fn of(limit: u32) -> Self {
        let newer = limit.saturating_sub(1) / 2;
        Self {
            newer,
            older: limit - newer,
        }
    }
}

/// A page of history around a message: newest first, with a cursor each way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub messages: Vec<Message>,
    /// The page's oldest message when older ones exist: pass it as `before`.
    pub next_cursor: Option<MessageId>,
    /// The page's newest message when newer ones exist: pass it as `after`.
    pub prev_cursor: Option<MessageId>,
}

impl Window {
    /// The page around `anchor` made of what was read on either side of
    /// it: `older`, newest first, the room's messages with ids up to
    /// `anchor` (the anchor itself included when it is in the room), and
    /// `newer`, oldest first, those with greater ids. Each side was read
    /// with one row more than its share of `split`, to learn whether more
    /// lie beyond.
    pub fn around(
        anchor: MessageId,
        split: AroundSplit,
        mut older: Vec<Message>,
        mut newer: Vec<Message>,
    ) -> Self {
        let more_older = older.len() > split.older as usize;
        older.truncate(split.older as usize);
        let more_newer = newer.len() > split.newer as usize;
        newer.truncate(split.newer as usize);
        newer.reverse();
        let mut messages = newer;
        messages.append(&mut older);
        let next_cursor = more_older.then(|| messages.last().map(|m| m.id)).flatten();
        // With no newer share and nothing at or before the anchor, the page
        // is empty: what lies beyond it is after the anchor itself.
        let prev_cursor = more_newer.then(|| messages.first().map_or(anchor, |m| m.id));
        Self {
            messages,
            next_cursor,
            prev_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::ids::{ChannelId, UserId};
    use crate::message::Room;

    fn id(raw: i64) -> MessageId {
        MessageId::new(raw)
    }

    fn message(raw: i64) -> Message {
        Message {
            id: id(raw),
            room: Room::Channel(ChannelId::new(1)),
            author_id: UserId::new(1),
            parent_id: None,
            content: format!("m{raw}"),
            attachment: None,
            created_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            edited_at: None,
            deleted_at: None,
            reactions: Vec::new(),
            pinned: false,
            mentions: Vec::new(),
        }
    }

    fn messages(ids: impl IntoIterator<Item = i64>) -> Vec<Message> {
        ids.into_iter().map(message).collect()
    }

    fn ids(window: &Window) -> Vec<i64> {
        window.messages.iter().map(|m| m.id.get()).collect()
    }

    #[test]
    fn no_cursor_is_the_newest_page_and_one_cursor_is_taken_as_given() {
        let pick = |b, a, r| HistoryAt::pick("before", b, a, r);
        assert_eq!(pick(None, None, None), Ok(HistoryAt::Before(None)));
        assert_eq!(
            pick(Some(id(3)), None, None),
            Ok(HistoryAt::Before(Some(id(3))))
        );
        assert_eq!(pick(None, Some(id(4)), None), Ok(HistoryAt::After(id(4))));
        assert_eq!(pick(None, None, Some(id(5))), Ok(HistoryAt::Around(id(5))));
    }

    #[test]
    fn two_or_three_cursors_are_refused_in_the_requests_own_words() {
        for (b, a, r) in [
            (Some(id(1)), Some(id(2)), None),
            (Some(id(1)), None, Some(id(3))),
            (None, Some(id(2)), Some(id(3))),
            (Some(id(1)), Some(id(2)), Some(id(3))),
        ] {
            assert_eq!(
                HistoryAt::pick("cursor", b, a, r).unwrap_err().0,
                vec!["Only one of cursor, after and around may be given"]
            );
        }
    }

    #[test]
    fn the_anchor_comes_first_then_half_newer_and_the_rest_older() {
        let split = |limit| {
            let s = AroundSplit::of(limit);
            (s.newer, s.older)
        };
        assert_eq!(split(1), (0, 1));
        assert_eq!(split(2), (0, 2));
        assert_eq!(split(3), (1, 2));
        assert_eq!(split(4), (1, 3));
        assert_eq!(split(5), (2, 3));
        assert_eq!(split(50), (24, 26));
        assert_eq!(split(100), (49, 51));
        for limit in 1..=100 {
            let s = AroundSplit::of(limit);
            assert_eq!(s.newer + s.older, limit);
            assert!(s.older == s.newer + 1 || s.older == s.newer + 2);
        }
    }

    #[test]
    fn a_window_in_the_middle_is_centred_on_its_anchor_with_cursors_both_ways() {
        // Room 1..=20, around 10 with a limit of 5: 2 newer, 10 and 2 older.
        let w = Window::around(
            id(10),
            AroundSplit::of(5),
            messages([10, 9, 8, 7]),
            messages([11, 12, 13]),
        );
        assert_eq!(ids(&w), [12, 11, 10, 9, 8]);
        assert_eq!(w.next_cursor, Some(id(8)));
        assert_eq!(w.prev_cursor, Some(id(12)));
    }

    #[test]
    fn a_window_at_either_end_has_no_cursor_on_that_side() {
        let at_newest = Window::around(
            id(20),
            AroundSplit::of(5),
            messages([20, 19, 18, 17]),
            vec![],
        );
        assert_eq!(ids(&at_newest), [20, 19, 18]);
        assert_eq!(
            (at_newest.next_cursor, at_newest.prev_cursor),
            (Some(id(18)), None)
        );

        let at_oldest = Window::around(
            id(1),
            AroundSplit::of(5),
            messages([1]),
            messages([2, 3, 4]),
        );
        assert_eq!(ids(&at_oldest), [3, 2, 1]);
        assert_eq!(
            (at_oldest.next_cursor, at_oldest.prev_cursor),
            (None, Some(id(3)))
        );

        let whole = Window::around(id(2), AroundSplit::of(5), messages([2, 1]), messages([3]));
        assert_eq!(ids(&whole), [3, 2, 1]);
        assert_eq!((whole.next_cursor, whole.prev_cursor), (None, None));
    }

    #[test]
    fn an_anchor_outside_the_room_centres_the_page_on_its_place() {
        // The room holds 2, 4, 6, 8; 5 is not one of them.
        let w = Window::around(
            id(5),
            AroundSplit::of(3),
            messages([4, 2]),
            messages([6, 8]),
        );
        assert_eq!(ids(&w), [6, 4, 2]);
        assert_eq!((w.next_cursor, w.prev_cursor), (None, Some(id(6))));
    }

    #[test]
    fn a_window_of_one_is_its_anchor_and_points_both_ways() {
        let w = Window::around(id(5), AroundSplit::of(1), messages([5, 4]), messages([6]));
        assert_eq!(ids(&w), [5]);
        assert_eq!((w.next_cursor, w.prev_cursor), (Some(id(5)), Some(id(5))));

        // Nothing at or before the anchor: newer ones are after the anchor.
        let empty = Window::around(id(1), AroundSplit::of(1), vec![], messages([6]));
        assert!(empty.messages.is_empty());
        assert_eq!((empty.next_cursor, empty.prev_cursor), (None, Some(id(1))));
    }
}
