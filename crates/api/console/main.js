// The console: wires the session, the sidebar, the open room, its thread
// and the realtime gateway together. State lives here; the views render it.

import { Api, ApiError } from './api.js';
import { setUpAuth, showAuth } from './auth.js';
import { byId, describe, h, submitOnEnter, submitting } from './dom.js';
import { Gateway } from './gateway.js';
import { Sidebar, conversationName, roomHref } from './sidebar.js';
import { UnreadCounts } from './store.js';
import { Thread } from './thread.js';
import { Timeline } from './timeline.js';

const TOKEN_KEY = 'concord.token';
const MODERATORS = ['owner', 'admin', 'moderator'];

const api = new Api(() => endSession('Your session has ended. Please sign in again.'));

const state = {
  user: null,
  workspaces: [],
  workspace: null,
  members: [],
  channels: [],
  dms: [],
  room: null,
  nameOf,
};
let unread = new UnreadCounts(0);
/** The skip link was used before a room was open. */
let focusComposerOnOpen = false;
let gateway = null;
const names = new Map();

// --- people ------------------------------------------------------------------

/** A user's display name; people who left the workspace are looked up once. */
function nameOf(userId) {
  const member = state.members.find((m) => m.id === userId);
  if (member) return member.name;
  if (names.has(userId)) return names.get(userId) ?? `user ${userId}`;
  names.set(userId, null);
  api.request('GET', `/api/users/${userId}`).then((user) => {
    names.set(userId, `${user.first_name} ${user.last_name}`);
    timeline.refresh();
  }, () => {});
  return `user ${userId}`;
}

function myRole() {
  return state.members.find((m) => m.id === state.user?.id)?.role;
}

function roomOf(message) {
  return message.channel_id
    ? { kind: 'channel', id: message.channel_id }
    : { kind: 'dm', id: message.direct_message_id };
}

// What a message item may do: shared by the room and the thread.
const messageView = {
  get me() { return state.user?.id; },
  nameOf,
  canModerate: () => MODERATORS.includes(myRole()),
  onReply: (message) => thread.open(state.room, message),
  async edit(message, content) {
    const edited = await api.edit(roomOf(message), message.id, content);
    showMessage(edited);
    return edited;
  },
  async remove(message) {
    await api.remove(roomOf(message), message.id);
    const tombstone = { ...message, deleted: true, content: 'This message has been deleted.' };
    showMessage(tombstone);
    return tombstone;
  },
};

const timeline = new Timeline(api, messageView, () => markReadSoon());
const thread = new Thread(api, messageView, () => {
  thread.close();
  byId('composer-input').focus();
});

/** `message` (new or changed) wherever the open room and thread show it. */
function showMessage(message) {
  if (!state.room || roomOf(message).id !== state.room.id) return;
  timeline.insert(message);
  thread.add(message);
}

// --- session -----------------------------------------------------------------

async function startSession(user, token) {
  localStorage.setItem(TOKEN_KEY, token);
  api.token = token;
  state.user = user;
  unread = new UnreadCounts(user.id);
  byId('me-name').textContent = user.username;
  byId('me-id').textContent = `(id ${user.id})`;
  byId('me-id').dataset.userId = String(user.id);
  byId('auth').hidden = true;
  byId('shell').hidden = false;
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  gateway = new Gateway(`${scheme}://${window.location.host}/ws`, token, {
    onEvent,
    onStatus,
    // After a reconnect, rooms and read state may have changed while no
    // topic could say so: read them again (the first time, route() does).
    onReady: () => { if (state.workspace?.members) reloadRooms().catch(fail); },
    onUnauthorized: () => endSession('Your session has ended. Please sign in again.'),
    onGap: (topic) => {
      if (state.room && topic.startsWith(`chat:${state.room.id}:`)) timeline.open(state.room);
      refreshUnread();
    },
    onForbidden: () => { reloadRooms().then(route, fail); },
  });
  gateway.follow([`user:${user.id}`]);
  gateway.start();
  await loadWorkspaces();
  await route();
}

function endSession(notice = '') {
  if (!state.user) return;
  gateway?.stop();
  gateway = null;
  localStorage.removeItem(TOKEN_KEY);
  api.token = null;
  Object.assign(state, { user: null, workspaces: [], workspace: null, members: [], channels: [], dms: [], room: null });
  timeline.close();
  thread.close();
  showAuth(notice);
}

// --- workspaces and rooms ----------------------------------------------------

async function loadWorkspaces() {
  state.workspaces = await api.workspaces();
  sidebar.renderWorkspaces(state.workspaces, state.workspace?.id);
}

/** The open workspace's members, rooms and unread counts, read again. */
async function reloadRooms() {
  if (!state.workspace) return;
  const id = state.workspace.id;
  const [details, channels, dms, summary] = await Promise.all([
    api.workspace(id), api.channels(id), api.conversations(id), api.unread(id),
  ]);
  if (state.workspace?.id !== id) return;
  Object.assign(state, { workspace: details, members: details.members, channels, dms });
  unread.reset(summary.rooms);
  followRooms();
  renderSidebar();
  timeline.refresh();
}

async function refreshUnread() {
  if (!state.workspace) return;
  const id = state.workspace.id;
  const summary = await api.unread(id);
  if (state.workspace?.id !== id) return;
  unread.reset(summary.rooms);
  markReadSoon();
  renderSidebar();
}

/** Follows both topics of every room of the workspace, and no others. */
function followRooms() {
  const wanted = new Set();
  for (const room of [...state.channels, ...state.dms]) {
    wanted.add(`chat:${room.id}:messages`);
    wanted.add(`chat:${room.id}:messages:update`);
  }
  const old = [...gateway.topics].filter((t) => t.startsWith('chat:') && !wanted.has(t));
  gateway.unfollow(old);
  gateway.follow([...wanted]);
}

function renderSidebar() {
  sidebar.renderRooms(state, unread);
}

let routing = Promise.resolve();

/** Opens what the address names, one change at a time. */
function route() {
  routing = routing.then(routeNow).catch(fail);
  return routing;
}

/** Opens what the address names: `#/w/<workspace>/r/<room>`, or sensible defaults. */
async function routeNow() {
  if (!state.user) return;
  const match = /^#\/w\/(\d+)(?:\/r\/(\d+))?$/.exec(window.location.hash);
  const wanted = match ? Number(match[1]) : state.workspace?.id;
  const workspace = state.workspaces.find((w) => w.id === wanted) ?? state.workspaces[0];
  if (!workspace) {
    showEmpty('Welcome to Concord', 'Create a workspace in the sidebar to start chatting.');
    renderSidebar();
    return;
  }
  if (state.workspace?.id !== workspace.id) {
    state.workspace = { id: workspace.id };
    state.room = null;
    timeline.close();
    thread.close();
    await reloadRooms();
    sidebar.renderWorkspaces(state.workspaces, workspace.id);
  }
  const roomId = match && match[2] ? Number(match[2]) : state.room?.id;
  const general = state.channels.find((c) => c.name === 'general') ?? state.channels[0];
  const channel = state.channels.find((c) => c.id === roomId);
  const dm = state.dms.find((d) => d.id === roomId);
  const room = channel ? { kind: 'channel', id: channel.id }
    : dm ? { kind: 'dm', id: dm.id }
      : general ? { kind: 'channel', id: general.id } : null;
  if (!room) {
    showEmpty(workspace.name, 'This workspace has no room you can read.');
    return;
  }
  const href = roomHref(workspace.id, room.id);
  if (window.location.hash !== href) window.history.replaceState(null, '', href);
  if (state.room?.id !== room.id) await openRoom(room);
}

function showEmpty(title, text) {
  state.room = null;
  timeline.close();
  byId('room-title').textContent = title;
  byId('room-topic').textContent = text;
  byId('composer').hidden = true;
}

async function openRoom(room) {
  state.room = room;
  thread.close();
  const channel = state.channels.find((c) => c.id === room.id);
  const title = channel ? `# ${channel.name}` : conversationName(state.dms.find((d) => d.id === room.id), state.user.id, nameOf);
  byId('room-title').textContent = title;
  byId('room-topic').textContent = channel ? channel.topic ?? channel.description ?? '' : 'Direct message';
  byId('composer-label').textContent = `Message ${title}`;
  byId('composer').hidden = false;
  if (focusComposerOnOpen) {
    focusComposerOnOpen = false;
    byId('composer-input').focus();
  }
  document.title = `${title} · Concord`;
  setNavOpen(false);
  renderSidebar();
  await timeline.open(room);
  markReadSoon();
}

// --- reading -----------------------------------------------------------------

let readTimer = null;

/** Moves the read marker to the newest message once the reader can see it. */
function markReadSoon() {
  clearTimeout(readTimer);
  readTimer = setTimeout(markRead, 150);
}

function markRead() {
  const room = state.room;
  if (!room || document.hidden || !timeline.atBottom()) return;
  const newest = timeline.newestId();
  if (!newest || newest <= unread.get(room.id).lastRead) return;
  unread.read(room.id, newest);
  renderSidebar();
  api.markRead(room, newest).catch(() => {});
}

// --- realtime ----------------------------------------------------------------

function onEvent(frame) {
  if (frame.type === 'read.updated') {
    unread.apply(frame.data);
    renderSidebar();
    return;
  }
  const match = /^chat:(\d+):/.exec(frame.topic);
  if (!match) return;
  const roomId = Number(match[1]);
  const message = frame.data;
  const open = state.room?.id === roomId;
  if (frame.type === 'message.created') {
    unread.created(roomId, message);
    if (open) {
      timeline.add(message);
      thread.add(message);
      if (message.user_id !== state.user.id) announce(`${nameOf(message.user_id)}: ${message.content}`);
      markReadSoon();
    }
    renderSidebar();
    return;
  }
  if (open) showMessage(message);
  if (frame.type === 'message.deleted') {
    unread.deleted(roomId, message.id);
    refreshUnreadSoon();
  }
}

let unreadTimer = null;
function refreshUnreadSoon() {
  clearTimeout(unreadTimer);
  unreadTimer = setTimeout(() => { refreshUnread().catch(() => {}); }, 300);
}

function announce(text) {
  const announcer = byId('announcer');
  announcer.append(h('p', {}, text));
  while (announcer.childElementCount > 3) announcer.firstElementChild.remove();
}

function onStatus(status, delay) {
  const el = byId('status');
  el.dataset.state = status;
  el.textContent = status === 'live' ? 'Live'
    : status === 'connecting' ? 'Connecting…'
      : `Offline, retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
}

// --- composing ---------------------------------------------------------------

/** A fresh Idempotency-Key: 32 hex characters. */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Wires a composer. A failed send keeps the text and its Idempotency-Key, so
 * sending it again cannot post it twice.
 */
function setUpComposer(formId, inputId, errorId, target) {
  const form = byId(formId);
  const input = byId(inputId);
  let pending = null;
  submitOnEnter(input);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const content = input.value.trim();
    const to = target();
    if (!content || !to) return;
    if (!pending || pending.content !== content || pending.room !== to.room.id) {
      pending = { content, room: to.room.id, key: newKey() };
    }
    submitting(form, byId(errorId), async () => {
      const message = await api.send(to.room, content, to.parentId, pending.key);
      pending = null;
      input.value = '';
      input.style.height = '';
      showMessage(message);
      if (!message.parent_id) timeline.scrollToBottom();
      input.focus();
    });
  });
}

// --- the page ----------------------------------------------------------------

const sidebar = new Sidebar({
  async createWorkspace({ name, description }) {
    const created = await api.createWorkspace(name, description);
    await loadWorkspaces();
    window.location.hash = `#/w/${created.id}`;
  },
  async createChannel({ name, topic, private: isPrivate }) {
    const body = { name, private: isPrivate };
    if (topic) body.topic = topic;
    const channel = await api.createChannel(state.workspace.id, body);
    await reloadRooms();
    window.location.hash = roomHref(state.workspace.id, channel.id);
  },
  async createConversation(users, topic) {
    if (!users.length) throw new Error('Pick at least one person.');
    const dm = await api.createConversation(state.workspace.id, users, topic);
    await reloadRooms();
    window.location.hash = roomHref(state.workspace.id, dm.id);
  },
  async addMember(userId) {
    await api.addMember(state.workspace.id, userId);
    await reloadRooms();
  },
  async refresh() {
    await loadWorkspaces();
    await reloadRooms();
    await route();
  },
});

function setNavOpen(open) {
  document.body.classList.toggle('nav-open', open);
  byId('menu-toggle').setAttribute('aria-expanded', String(open));
}

async function boot() {
  setUpAuth(api, ({ token, ...user }) => { startSession(user, token).catch(fail); });
  setUpComposer('composer', 'composer-input', 'composer-error',
    () => (state.room ? { room: state.room, parentId: null } : null));
  setUpComposer('thread-composer', 'thread-input', 'thread-error',
    () => (thread.rootId ? { room: thread.room, parentId: thread.rootId } : null));
  byId('sign-out').addEventListener('click', async () => {
    await api.signOut().catch(() => {});
    endSession();
  });
  // The skip link moves the focus without touching the address, which names the room.
  // Used while the room is still loading, it takes effect once the room opens.
  document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    if (byId('composer').hidden) focusComposerOnOpen = true;
    else byId('composer-input').focus();
  });
  byId('menu-toggle').addEventListener('click', () => {
    setNavOpen(!document.body.classList.contains('nav-open'));
  });
  window.addEventListener('hashchange', async () => {
    // A room the reader picked: their next step is to read or write in it.
    const before = state.room?.id;
    await route();
    if (state.room && state.room.id !== before) byId('composer-input').focus();
  });
  // Back on the tab: no topic announces new workspaces or rooms, so look.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !state.user) return;
    markReadSoon();
    loadWorkspaces().then(reloadRooms).catch(fail);
  });

  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) {
    showAuth();
    return;
  }
  api.token = token;
  try {
    const user = await api.session();
    if (!user) throw new ApiError(401, null);
    await startSession(user, token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      api.token = null;
      showAuth();
    } else {
      fail(err);
    }
  }
}

function fail(err) {
  const target = state.user ? byId('sidebar-error') : byId('auth-error');
  if (!state.user) showAuth();
  target.textContent = describe(err);
}

boot();
