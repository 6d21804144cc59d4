// Unread counts per room, kept exact between reads of the server's summary.
//
// The summary (GET /api/workspaces/:id/unread, or one room's row in a
// read.updated event) says how many messages were unread up to the room's
// `last_message_id` then. Messages that arrive live are counted on top only
// when their id is above that, so a summary and the events that raced it
// never count a message twice or not at all.

const RECENT_PER_ROOM = 500;

export class UnreadCounts {
  constructor(me) {
    this.me = me;
    this.rooms = new Map();
    // Per room, the other people's messages seen live: {id, mention}.
    this.recent = new Map();
  }

  /** Replaces every room's count with the server's summary rows. */
  reset(rows) {
    this.rooms.clear();
    for (const row of rows) this.apply(row);
  }

  /** One room's row from the summary or a read.updated event. */
  apply(row) {
    const roomId = row.channel_id ?? row.direct_message_id;
    const state = {
      lastRead: row.last_read_id ?? 0,
      lastMessage: row.last_message_id ?? 0,
      unread: row.unread,
      mentions: row.mentions,
    };
    // Live messages newer than the summary are not in it.
    const recent = [...(this.recent.get(roomId) ?? [])].sort((a, b) => a.id - b.id);
    for (const seen of recent) this.count(state, seen);
    this.rooms.set(roomId, state);
  }

  /** A message created in `roomId`, as the gateway reported it. */
  created(roomId, message) {
    const state = this.rooms.get(roomId);
    if (message.user_id === this.me || message.deleted) {
      if (state) state.lastMessage = Math.max(state.lastMessage, message.id);
      return;
    }
    const seen = { id: message.id, mention: (message.mentions ?? []).includes(this.me) };
    const recent = this.recent.get(roomId) ?? [];
    if (!recent.some((r) => r.id === seen.id)) {
      recent.push(seen);
      if (recent.length > RECENT_PER_ROOM) recent.shift();
      this.recent.set(roomId, recent);
    }
    if (state) this.count(state, seen);
  }

  /** A message deleted in `roomId`: it no longer counts (the caller re-reads the summary). */
  deleted(roomId, messageId) {
    const recent = this.recent.get(roomId);
    if (recent) this.recent.set(roomId, recent.filter((r) => r.id !== messageId));
  }

  /** This device read `roomId` up to `messageId`. */
  read(roomId, messageId) {
    const state = this.rooms.get(roomId);
    if (!state || messageId <= state.lastRead) return;
    state.lastRead = messageId;
    const later = (this.recent.get(roomId) ?? []).filter((r) => r.id > messageId);
    state.unread = later.length;
    state.mentions = later.filter((r) => r.mention).length;
    state.lastMessage = Math.max(state.lastMessage, messageId);
  }

  count(state, seen) {
    if (seen.id <= state.lastMessage) return;
    state.lastMessage = seen.id;
    if (seen.id <= state.lastRead) return;
    state.unread += 1;
    if (seen.mention) state.mentions += 1;
  }

  /** {unread, mentions, lastRead} of `roomId`, zeros when unknown. */
  get(roomId) {
    return this.rooms.get(roomId) ?? { unread: 0, mentions: 0, lastRead: 0, lastMessage: 0 };
  }
}
