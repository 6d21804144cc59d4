// A room's history: newest at the bottom, older pages loaded as the reader
// scrolls up (keyset paging with `before` = the last page's `next_cursor`),
// live messages added as they come. Replies stay in their thread; the room
// shows a count under their root.

import { byId, clear, describe, h, submitOnEnter, timeElement } from './dom.js';

/**
 * One message as a list item. `view` supplies: me, canModerate, nameOf(id),
 * replies(id) (a count, or null where threads do not show), onReply(msg),
 * edit(msg, content), remove(msg), and idPrefix for the element ids.
 */
export function messageItem(message, view) {
  const li = h('li', { class: 'message', id: `${view.idPrefix}${message.id}` });
  li.dataset.id = String(message.id);
  renderMessage(li, message, view);
  return li;
}

/** Fills `li` with `message`; left alone while its edit form is open. */
export function renderMessage(li, message, view) {
  li.message = message;
  if (li.dataset.editing) return;
  clear(li);
  li.classList.toggle('deleted', message.deleted);
  li.classList.toggle('mine', message.user_id === view.me);
  li.classList.toggle('mentions-me', !message.deleted && (message.mentions ?? []).includes(view.me));
  const author = view.nameOf(message.user_id);
  li.append(
    h('p', { class: 'meta' },
      h('span', { class: 'author' }, author), ' ',
      timeElement(message.timestamp),
      message.edited_at && !message.deleted ? h('span', { class: 'edited' }, ' (edited)') : null),
    h('p', { class: 'content' }, message.content),
  );
  const replies = view.replies(message);
  if (replies) {
    li.append(h('button', {
      type: 'button', class: 'thread-link', onclick: () => view.onReply(message),
      'aria-label': `${plural(replies, 'reply', 'replies')}, open the thread`,
    }, plural(replies, 'reply', 'replies')));
  }
  const actions = h('div', { class: 'actions' });
  if (replies === 0 && !message.parent_id && !message.deleted) {
    actions.append(h('button', {
      type: 'button', onclick: () => view.onReply(message), 'aria-label': `Reply to ${author}`,
    }, 'Reply'));
  }
  if (!message.deleted && message.user_id === view.me) {
    actions.append(h('button', { type: 'button', onclick: () => startEdit(li, view) }, 'Edit'));
  }
  if (!message.deleted && (message.user_id === view.me || view.canModerate())) {
    actions.append(h('button', {
      type: 'button',
      onclick: async () => {
        if (!window.confirm('Delete this message? It stays in the room as a tombstone.')) return;
        try {
          renderMessage(li, await view.remove(message), view);
        } catch (err) {
          window.alert(describe(err));
        }
      },
    }, 'Delete'));
  }
  if (actions.childElementCount) li.append(actions);
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Swaps the message's text for an edit form: Enter saves, Escape cancels. */
function startEdit(li, view) {
  const message = li.message;
  const inputId = `${li.id}-edit`;
  const input = h('textarea', { id: inputId, rows: 2, maxlength: 4000, required: true });
  input.value = message.content;
  const error = h('p', { class: 'error', role: 'alert' });
  const done = () => {
    delete li.dataset.editing;
    renderMessage(li, li.message, view);
    li.querySelector('button')?.focus();
  };
  const form = h('form', { class: 'edit' },
    h('label', { for: inputId, class: 'sr-only' }, 'Edit message'),
    input,
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: done }, 'Cancel')),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      li.message = await view.edit(message, input.value.trim());
      done();
    } catch (err) {
      error.textContent = describe(err);
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') done();
  });
  submitOnEnter(input);
  li.dataset.editing = 'true';
  li.querySelector('.content').replaceWith(form);
  li.querySelector('.actions:not(form .actions)')?.remove();
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

/** Where `el` (with data-id) goes among `list`'s children, ordered by id. */
function place(list, el) {
  const id = Number(el.dataset.id);
  const last = list.lastElementChild;
  if (!last || Number(last.dataset.id) < id) {
    list.append(el);
    return;
  }
  for (const child of list.children) {
    if (Number(child.dataset.id) > id) {
      child.before(el);
      return;
    }
  }
  list.append(el);
}

export class Timeline {
  /** `view` as for messageItem; `onScrolledToBottom()` runs when the reader reaches the newest message. */
  constructor(api, view, onScrolledToBottom) {
    this.api = api;
    // Built on `view` itself, so that its getters stay live.
    this.view = Object.assign(Object.create(view), { idPrefix: 'm-', replies: (m) => this.replyCount(m) });
    this.scroller = byId('timeline-scroller');
    this.list = byId('timeline');
    this.state = byId('history-state');
    this.room = null;
    this.observer = new IntersectionObserver(
      (entries) => { if (entries.some((e) => e.isIntersecting)) this.loadOlder(); },
      { root: this.scroller, rootMargin: '300px 0px 0px 0px' },
    );
    this.scroller.addEventListener('scroll', () => {
      if (this.atBottom()) onScrolledToBottom();
    }, { passive: true });
  }

  /** Shows `room`'s newest page and follows it. */
  async open(room) {
    this.room = room;
    this.messages = new Map();
    this.replies = new Map();
    this.cursor = null;
    this.done = false;
    this.failed = false;
    this.loading = false;
    clear(this.list);
    this.state.textContent = '';
    this.observer.disconnect();
    await this.loadOlder();
    this.scrollToBottom();
    this.observer.observe(this.state);
  }

  close() {
    this.room = null;
    this.observer.disconnect();
    clear(this.list);
    this.state.textContent = '';
  }

  /** The next older page, if any; repeated while the top of the history is in sight. */
  async loadOlder() {
    if (!this.room || this.loading || this.done) return;
    const room = this.room;
    this.loading = true;
    this.failed = false;
    this.state.textContent = 'Loading messages…';
    try {
      const page = await this.api.history(room, this.cursor);
      if (room !== this.room) return;
      // Keep what the reader sees where it is while older messages go above it.
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      for (const message of page.messages) this.insert(message);
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
      this.cursor = page.next_cursor;
      this.done = page.next_cursor === null;
      this.state.textContent = this.done ? 'This is the very beginning of the room.' : '';
    } catch (err) {
      if (room !== this.room) return;
      this.failed = true;
      this.state.textContent = `${describe(err)} Scroll up to try again.`;
    } finally {
      if (room === this.room) this.loading = false;
    }
    // A page of replies only adds no height: the top may still be in sight,
    // and the observer only reports changes.
    if (!this.failed && !this.done && this.topInSight()) await this.loadOlder();
  }

  topInSight() {
    return this.state.getBoundingClientRect().bottom >= this.scroller.getBoundingClientRect().top - 300;
  }

  atBottom() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 48;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  replyCount(message) {
    return this.replies.get(message.id)?.size ?? 0;
  }

  /** Adds or updates `message` in place. */
  insert(message) {
    const known = this.messages.has(message.id);
    this.messages.set(message.id, message);
    if (message.parent_id) {
      const replies = this.replies.get(message.parent_id) ?? new Set();
      replies.add(message.id);
      this.replies.set(message.parent_id, replies);
      const root = this.element(message.parent_id);
      if (root && !known) renderMessage(root, root.message, this.view);
      return;
    }
    const el = this.element(message.id);
    if (el) renderMessage(el, message, this.view);
    else place(this.list, messageItem(message, this.view));
  }

  /** A message that arrived live; keeps the view at the bottom if it was there. */
  add(message) {
    const stick = this.atBottom() || message.user_id === this.view.me;
    this.insert(message);
    if (stick) this.scrollToBottom();
  }

  /** Re-renders every message (e.g. once member names are known). */
  refresh() {
    for (const li of this.list.children) renderMessage(li, li.message, this.view);
  }

  element(id) {
    return document.getElementById(`m-${id}`);
  }

  /** The newest message id loaded, replies included. */
  newestId() {
    let newest = 0;
    for (const id of this.messages.keys()) newest = Math.max(newest, id);
    return newest;
  }
}
