// The thread pane: a root message and its replies, oldest first, with a
// composer that replies to the root.

import { byId, clear, describe, h } from './dom.js';
import { messageItem, renderMessage } from './timeline.js';

export class Thread {
  constructor(api, view, onClose) {
    this.api = api;
    this.view = Object.assign(Object.create(view), { idPrefix: 't-', replies: () => null });
    this.pane = byId('thread');
    this.list = byId('thread-messages');
    this.title = byId('thread-title');
    this.room = null;
    this.rootId = null;
    byId('thread-close').addEventListener('click', () => onClose());
    this.pane.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !event.target.closest('.edit')) onClose();
    });
  }

  /** Opens the thread of `root` in `room`. */
  async open(room, root) {
    this.room = room;
    this.rootId = root.id;
    clear(this.list);
    this.title.textContent = `Thread: ${this.view.nameOf(root.user_id)}`;
    this.pane.hidden = false;
    document.body.classList.add('thread-open');
    this.list.append(messageItem(root, this.view));
    byId('thread-input').focus();
    try {
      const thread = await this.api.thread(room, root.id);
      if (this.rootId !== root.id) return;
      this.add(thread.parent);
      for (const reply of thread.replies) this.add(reply);
    } catch (err) {
      byId('thread-error').textContent = describe(err);
    }
  }

  close() {
    this.room = null;
    this.rootId = null;
    this.pane.hidden = true;
    document.body.classList.remove('thread-open');
    clear(this.list);
  }

  /** Whether `message` belongs to the open thread. */
  shows(message) {
    return this.rootId !== null && (message.id === this.rootId || message.parent_id === this.rootId);
  }

  /** Adds or updates a message of the open thread, in id order. */
  add(message) {
    if (!this.shows(message)) return;
    const el = document.getElementById(`t-${message.id}`);
    if (el) {
      renderMessage(el, message, this.view);
      return;
    }
    const item = messageItem(message, this.view);
    const after = [...this.list.children].find((child) => Number(child.dataset.id) > message.id);
    if (after) after.before(item);
    else this.list.append(item);
    item.scrollIntoView({ block: 'nearest' });
  }
}
