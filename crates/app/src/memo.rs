//! Remembered access decisions: which tokens were found unrevoked and which
//! users may read which rooms, so that the hot paths (posting, history,
//! subscribing) do not read the same facts from the store on every request.
//!
//! Only grants are remembered, never refusals: a user who just joined is let
//! in at once. A grant is forgotten when it expires and as soon as anything
//! that could shrink it happens — on this node through [`AccessMemo::forget`]
//! (the service calls it beside every access-change notification), on other
//! nodes when that notification arrives. A generation counter closes the
//! race between a slow read and a concurrent revocation: a grant read before
//! a `forget` is never stored after it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use concord_domain::{Role, Room, UserId, WorkspaceId};

use concord_ports::AccessChange;

/// Grants remembered at most; a full table is emptied and refills from use.
const MAX_ENTRIES: usize = 100_000;

/// A snapshot of the memo's generation, taken before reading the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Generation(u64);

/// A user's standing in a room they may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RoomGrant {
    pub role: Role,
    pub workspace: WorkspaceId,
}

pub(crate) struct AccessMemo {
    ttl: Duration,
    generation: AtomicU64,
    /// Token id → its user, for tokens found unrevoked.
    tokens: Table<String, UserId>,
    rooms: Table<(UserId, Room), RoomGrant>,
}

impl AccessMemo {
    /// A memo whose grants live `ttl`; a zero `ttl` remembers nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            tokens: Table::default(),
            rooms: Table::default(),
        }
    }

    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Whether token `jti` of `user` was found unrevoked within the ttl.
    pub fn token_unrevoked(&self, jti: &str, user: UserId) -> bool {
        self.tokens.get(jti, self.ttl) == Some(user)
    }

    pub fn remember_token(&self, since: Generation, jti: &str, user: UserId) {
        if self.storable(since) {
            self.tokens.insert(jti.to_owned(), user);
        }
    }

    pub fn room_grant(&self, user: UserId, room: Room) -> Option<RoomGrant> {
        self.rooms.get(&(user, room), self.ttl)
    }

    pub fn remember_room(&self, since: Generation, user: UserId, room: Room, grant: RoomGrant) {
        if self.storable(since) {
            self.rooms.insert((user, room), grant);
        }
    }

    /// Forgets every grant `change` may have shrunk, and makes grants read
    /// before now unstorable.
    /// A gain forgets nothing: only grants are remembered.
    pub fn forget(&self, change: AccessChange) {
        if change.is_gain() {
            return;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            AccessChange::User(user) => {
                self.tokens.retain(|_, u| *u != user);
                self.rooms.retain(|(u, _), _| *u != user);
            }
            AccessChange::Room(id) => self.rooms.retain(|(_, room), _| room.id() != id),
            AccessChange::Workspace(ws) => self.rooms.retain(|_, g| g.workspace != ws),
            // Returned above.
            AccessChange::UserGained(_) | AccessChange::WorkspaceGained(_) => {}
        }
    }

    fn storable(&self, since: Generation) -> bool {
        !self.ttl.is_zero() && self.generation() == since
    }
}

/// A map whose entries expire.
struct Table<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V: Copy> Table<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (V, Instant)>> {
        // Every critical section is one map operation; a panic cannot leave
        // an entry half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get<Q>(&self, key: &Q, ttl: Duration) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (value, at) = *self.lock().get(key)?;
        (at.elapsed() < ttl).then_some(value)
    }

    fn insert(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.lock().retain(|k, (v, _)| keep(k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_domain::ChannelId;

    const ALICE: UserId = UserId::new(1);
    const BOB: UserId = UserId::new(2);
    const WS: WorkspaceId = WorkspaceId::new(1);
    const ROOM: Room = Room::Channel(ChannelId::new(10));

    fn grant() -> RoomGrant {
        RoomGrant {
            role: Role::Guest,
            workspace: WS,
        }
    }

    #[test]
    fn grants_are_remembered_until_their_user_changes() {
        let memo = AccessMemo::new(Duration::from_secs(60));
        memo.remember_room(memo.generation(), ALICE, ROOM, grant());
        memo.remember_room(memo.generation(), BOB, ROOM, grant());
        memo.remember_token(memo.generation(), "a", ALICE);
        assert_eq!(memo.room_grant(ALICE, ROOM), Some(grant()));
        assert!(memo.token_unrevoked("a", ALICE));
        assert!(
            !memo.token_unrevoked("a", BOB),
            "a token is bound to its user"
        );

        memo.forget(AccessChange::User(ALICE));
        assert_eq!(memo.room_grant(ALICE, ROOM), None);
        assert!(!memo.token_unrevoked("a", ALICE));
        assert_eq!(
            memo.room_grant(BOB, ROOM),
            Some(grant()),
            "others keep theirs"
        );
    }

    #[test]
    fn room_and_workspace_changes_forget_every_grant_they_cover() {
        let memo = AccessMemo::new(Duration::from_secs(60));
        let other = Room::Channel(ChannelId::new(11));
        memo.remember_room(memo.generation(), ALICE, ROOM, grant());
        memo.remember_room(memo.generation(), ALICE, other, grant());
        memo.forget(AccessChange::Room(ROOM.id()));
        assert_eq!(memo.room_grant(ALICE, ROOM), None);
        assert_eq!(memo.room_grant(ALICE, other), Some(grant()));
        memo.forget(AccessChange::Workspace(WS));
        assert_eq!(memo.room_grant(ALICE, other), None);
    }

    #[test]
    fn a_gain_forgets_nothing_and_lets_a_concurrent_read_be_stored() {
        let memo = AccessMemo::new(Duration::from_secs(60));
        memo.remember_room(memo.generation(), ALICE, ROOM, grant());
        memo.remember_token(memo.generation(), "a", ALICE);
        let before = memo.generation();
        memo.forget(AccessChange::UserGained(ALICE));
        memo.forget(AccessChange::WorkspaceGained(WS));
        assert_eq!(memo.room_grant(ALICE, ROOM), Some(grant()));
        assert!(memo.token_unrevoked("a", ALICE));
        memo.remember_room(before, BOB, ROOM, grant());
        assert_eq!(memo.room_grant(BOB, ROOM), Some(grant()));
    }

    #[test]
    fn a_grant_read_before_a_change_is_not_stored_after_it() {
        let memo = AccessMemo::new(Duration::from_secs(60));
        let before = memo.generation();
        memo.forget(AccessChange::User(BOB));
        memo.remember_room(before, ALICE, ROOM, grant());
        memo.remember_token(before, "a", ALICE);
        assert_eq!(memo.room_grant(ALICE, ROOM), None);
        assert!(!memo.token_unrevoked("a", ALICE));
    }

    #[test]
    fn grants_expire_and_a_zero_ttl_remembers_nothing() {
        let memo = AccessMemo::new(Duration::from_millis(20));
        memo.remember_room(memo.generation(), ALICE, ROOM, grant());
        assert!(memo.room_grant(ALICE, ROOM).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(memo.room_grant(ALICE, ROOM), None);

        let off = AccessMemo::new(Duration::ZERO);
        off.remember_room(off.generation(), ALICE, ROOM, grant());
        assert_eq!(off.room_grant(ALICE, ROOM), None);
    }
}
