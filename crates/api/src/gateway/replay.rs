//! Replay from the event log: what a client that comes back after a drop
//! missed, read page by page and rendered as the hub renders live events.
//!
//! Shared by `/ws` (`subscribe` with `since`) and Socket.IO's
//! connection-state recovery: both name, per topic, the last `seq` the
//! client has, and both send `(since, until]` from the room's log before
//! the live events queued meanwhile, whose copies at or below `until` are
//! then dropped as duplicates.

use std::collections::HashMap;
use std::sync::Arc;

use bytestring::ByteString;
use concord_adapters::realtime::{Dialect, Renderer};
use concord_domain::{Room, RoomEvent, RoomId, Seq, Topic, WorkspaceId};
use concord_ports::{EventLog, MAX_EVENTS_PER_READ};

use super::DialectRenderer;

/// What one topic still needs from the log.
pub(super) struct Resume {
    pub topic: Topic,
    pub since: Seq,
    pub until: Seq,
}

impl Resume {
    fn wants(&self, event: &RoomEvent) -> bool {
        self.topic.carries(event) && self.since < event.seq && event.seq <= self.until
    }
}

/// What one request (a `subscribe` frame, a Socket.IO reconnect) may still
/// replay. A room's topics replay as one run, so a room is charged once,
/// for its longest.
pub(super) struct ReplayBudget {
    left: i64,
    charged: HashMap<RoomId, i64>,
}

impl ReplayBudget {
    pub fn new(max: u32) -> Self {
        Self {
            left: i64::from(max),
            charged: HashMap::new(),
        }
    }

    /// Takes what replaying `events` of room `room_id` adds to the run, if
    /// the budget still has it.
    pub fn take(&mut self, room_id: RoomId, events: i64) -> bool {
        let charged = self.charged.get(&room_id).copied().unwrap_or(0);
        let extra = (events - charged).max(0);
        if extra > self.left {
            return false;
        }
        self.left -= extra;
        self.charged.insert(room_id, charged.max(events));
        true
    }
}

/// The topics of one room to replay together.
pub(super) struct Replay {
    pub room: Room,
    pub workspace: WorkspaceId,
    pub topics: Vec<Resume>,
}

/// One replayed event, rendered as the hub renders it live.
pub(super) struct Replayed {
    pub topic: Topic,
    pub seq: Seq,
    pub frame: ByteString,
}

/// Where the log comes from and how to render it, for one connection.
#[derive(Clone)]
pub(super) struct Source {
    pub log: Arc<dyn EventLog>,
    pub renderer: Arc<DialectRenderer>,
    pub dialect: Dialect,
}

/// A room's replay being read, one page of the log at a time.
pub(super) struct Pages {
    source: Source,
    room: RoomId,
    workspace: WorkspaceId,
    topics: Arc<[Resume]>,
    after: Seq,
    until: Seq,
}

impl Replay {
    /// Reads each topic's events in its `(since, until]`, all topics of the
    /// room in one run, in `seq` order.
    pub fn pages(self, source: Source) -> Pages {
        let after = self
            .topics
            .iter()
            .map(|t| t.since)
            .min()
            .unwrap_or_default();
        let until = self
            .topics
            .iter()
            .map(|t| t.until)
            .max()
            .unwrap_or_default();
        Pages {
            source,
            room: self.room.id(),
            workspace: self.workspace,
            topics: self.topics.into(),
            after,
            until,
        }
    }
}

impl Pages {
    /// The next page's events (perhaps none, when the page held only other
    /// topics' events), or `None` once the run is over.
    /// # Errors
    /// When the log cannot be read or an event rendered.
    pub async fn next(&mut self) -> anyhow::Result<Option<Vec<Replayed>>> {
        if self.after >= self.until {
            return Ok(None);
        }
        let (log, renderer, topics) = (
            Arc::clone(&self.source.log),
            Arc::clone(&self.source.renderer),
            Arc::clone(&self.topics),
        );
        let (room, workspace, dialect) = (self.room, self.workspace, self.source.dialect);
        let (after, until) = (self.after, self.until);
        let (last, replayed) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let events: Vec<RoomEvent> = log
                .events_after(room, after, MAX_EVENTS_PER_READ)?
                .into_iter()
                .filter(|e| e.seq <= until)
                .collect();
            let wanted: Vec<&RoomEvent> = events
                .iter()
                .filter(|e| topics.iter().any(|t| t.wants(e)))
                .collect();
            let frames = renderer.frames(&wanted, workspace, dialect)?;
            let replayed = wanted
                .iter()
                .zip(frames)
                .map(|(e, frame)| Replayed {
                    topic: Topic {
                        room_id: e.room(),
                        kind: e.payload.topic_kind(),
                    },
                    seq: e.seq,
                    frame,
                })
                .collect::<Vec<_>>();
            Ok((events.last().map(|e| e.seq), replayed))
        })
        .await
        .map_err(|e| anyhow::anyhow!("replay task: {e}"))??;
        // A short log (a room deleted meanwhile) ends the run.
        self.after = last.unwrap_or(self.until);
        metrics::counter!("concord_gateway_replayed_events_total").increment(replayed.len() as u64);
        Ok(Some(replayed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM_1: RoomId = RoomId::new(1);
    const ROOM_2: RoomId = RoomId::new(2);
    const ROOM_3: RoomId = RoomId::new(3);

    #[test]
    fn a_request_replays_at_most_its_budget_and_a_room_pays_once() {
        let mut budget = ReplayBudget::new(10);
        assert!(budget.take(ROOM_1, 6), "within the budget");
        assert!(
            budget.take(ROOM_1, 6),
            "the room's other topic shares its run"
        );
        assert!(
            budget.take(ROOM_1, 8),
            "only the two more events are charged"
        );
        assert!(!budget.take(ROOM_2, 3), "two left, three asked");
        assert!(budget.take(ROOM_2, 2));
        assert!(budget.take(ROOM_3, 0), "nothing to replay costs nothing");
        assert!(
            !ReplayBudget::new(10).take(ROOM_1, 11),
            "one topic alone too far behind"
        );
    }
}
