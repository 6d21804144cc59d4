// The workspace dialect over HTTP: every call the console makes, and nothing
// it does not document (README "API overview").

/** A refused request: `status` and the contract's error envelope. */
export class ApiError extends Error {
  constructor(status, envelope) {
    super(envelope && envelope.message ? envelope.message : `HTTP ${status}`);
    this.status = status;
    this.envelope = envelope;
  }
}

/** The path of a room: a channel or a direct message (conversation). */
export function roomPath(room) {
  return room.kind === 'channel' ? `/api/channels/${room.id}` : `/api/direct_messages/${room.id}`;
}

export class Api {
  /** `onUnauthorized` runs when a request with a token is answered 401. */
  constructor(onUnauthorized) {
    this.token = null;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body, headers = {}) {
    const init = { method, headers: { Accept: 'application/json', ...headers } };
    if (this.token) init.headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      if (response.status === 401 && this.token) this.onUnauthorized();
      throw new ApiError(response.status, data);
    }
    return data;
  }

  // --- session ---
  signUp(user) { return this.request('POST', '/api/users', user); }
  signIn(email, password) { return this.request('POST', '/api/session', { email, password }); }
  /** The signed-in user, or null. */
  async session() {
    const data = await this.request('GET', '/api/session');
    return data && data.user === null ? null : data;
  }
  signOut() { return this.request('DELETE', '/api/session'); }

  // --- workspaces ---
  workspaces() { return this.request('GET', '/api/workspaces/session'); }
  createWorkspace(name, description) {
    return this.request('POST', '/api/workspaces', description ? { name, description } : { name });
  }
  workspace(id) { return this.request('GET', `/api/workspaces/${id}`); }
  addMember(workspaceId, userId) {
    return this.request('POST', `/api/workspaces/${workspaceId}/members`, { user_id: userId });
  }
  unread(workspaceId) { return this.request('GET', `/api/workspaces/${workspaceId}/unread`); }

  // --- rooms ---
  channels(workspaceId) { return this.request('GET', `/api/workspaces/${workspaceId}/channels`); }
  createChannel(workspaceId, channel) {
    return this.request('POST', `/api/workspaces/${workspaceId}/channels`, channel);
  }
  conversations(workspaceId) {
    return this.request('GET', `/api/direct_messages?workspace_id=${workspaceId}`);
  }
  createConversation(workspaceId, users, topic) {
    return this.request('POST', `/api/workspaces/${workspaceId}/direct_messages`,
      topic ? { users, topic } : { users });
  }

  // --- messages ---
  /** One page of history, newest first; `before` is the previous page's `next_cursor`. */
  history(room, before, limit = 50) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before) query.set('before', String(before));
    return this.request('GET', `${roomPath(room)}/messages?${query}`);
  }
  /** Sends with an Idempotency-Key, so that sending again after a lost answer posts once. */
  send(room, content, parentId, key) {
    const body = parentId ? { content, parent_id: parentId } : { content };
    return this.request('POST', `${roomPath(room)}/messages`, body, { 'Idempotency-Key': key });
  }
  edit(room, messageId, content) {
    return this.request('PUT', `${roomPath(room)}/messages/${messageId}`, { content });
  }
  remove(room, messageId) { return this.request('DELETE', `${roomPath(room)}/messages/${messageId}`); }
  thread(room, messageId) { return this.request('GET', `${roomPath(room)}/messages/${messageId}/replies`); }
  markRead(room, messageId) { return this.request('PUT', `${roomPath(room)}/read`, { message_id: messageId }); }
}
