// The sidebar: the workspace picker, the rooms with their unread badges, and
// the forms that create workspaces, channels and conversations or add a
// member.

import { byId, clear, formValues, h, submitting } from './dom.js';

/** `#/w/<workspace>/r/<room>`: the console's address of a room. */
export function roomHref(workspaceId, roomId) {
  return `#/w/${workspaceId}/r/${roomId}`;
}

/** A conversation's name: its topic, else who else is in it. */
export function conversationName(dm, me, nameOf) {
  if (dm.topic) return dm.topic;
  const others = dm.users.filter((id) => id !== me).map(nameOf);
  return others.length ? others.join(', ') : 'Just you';
}

export class Sidebar {
  /**
   * `actions`: createWorkspace(values), createChannel(values),
   * createConversation(userIds, topic), addMember(userId), refresh(); each
   * returns a promise and throws to report a failure.
   */
  constructor(actions) {
    this.select = byId('workspace-select');
    this.channels = byId('channel-list');
    this.dms = byId('dm-list');
    this.error = byId('sidebar-error');
    this.select.addEventListener('change', () => {
      window.location.hash = `#/w/${this.select.value}`;
    });
    byId('refresh').addEventListener('click', () => this.run(actions.refresh));
    this.form('new-workspace-form', async (form) => {
      await actions.createWorkspace(formValues(form));
      byId('new-workspace').open = false;
    });
    this.form('new-channel-form', (form) => actions.createChannel(formValues(form)));
    this.form('new-dm-form', (form) => {
      const users = [...form.querySelectorAll('input[name="user"]:checked')].map((el) => Number(el.value));
      return actions.createConversation(users, formValues(form).topic);
    });
    this.form('add-member-form', (form) => actions.addMember(Number(formValues(form).user_id)));
  }

  form(id, action) {
    const form = byId(id);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(form, this.error, async () => {
        await action(form);
        form.reset();
        form.closest('details')?.removeAttribute('open');
      });
    });
  }

  async run(action) {
    this.error.textContent = '';
    try {
      await action();
    } catch (err) {
      this.error.textContent = String(err.message ?? err);
    }
  }

  renderWorkspaces(workspaces, currentId) {
    clear(this.select);
    if (!workspaces.length) this.select.append(h('option', { value: '' }, 'No workspace yet'));
    for (const ws of workspaces) {
      this.select.append(h('option', { value: ws.id, selected: ws.id === currentId }, ws.name));
    }
    this.select.disabled = !workspaces.length;
    byId('new-workspace').open = !workspaces.length;
  }

  /** The rooms of `state.workspace`, the open one marked, each with its badge. */
  renderRooms(state, unread) {
    byId('rooms').hidden = !state.workspace;
    if (!state.workspace) return;
    const ws = state.workspace.id;
    const link = (roomId, label, prefix) => {
      const { unread: count, mentions } = unread.get(roomId);
      const current = state.room && state.room.id === roomId;
      const badge = count && !current
        ? h('span', { class: mentions ? 'badge mention' : 'badge' }, String(count),
          h('span', { class: 'sr-only' }, mentions ? ' unread, mentioning you' : ' unread'))
        : null;
      return h('li', {},
        h('a', { href: roomHref(ws, roomId), 'aria-current': current ? 'page' : null, dataset: { room: roomId } },
          h('span', { class: 'room-name' }, h('span', { 'aria-hidden': 'true', class: 'sigil' }, prefix), label),
          badge));
    };
    this.channels.replaceChildren(...state.channels.map((c) => link(c.id, c.name, c.private ? '🔒 ' : '# ')));
    this.dms.replaceChildren(...state.dms.map((dm) => link(dm.id, conversationName(dm, state.user.id, state.nameOf), '@ ')));

    // The rooms are drawn again on every badge change; the people being
    // picked for a new conversation keep their ticks through it.
    const people = byId('new-dm-people');
    const ticked = new Set([...people.querySelectorAll('input[name="user"]:checked')].map((el) => el.value));
    const others = state.members.filter((m) => m.id !== state.user.id);
    people.replaceChildren(...(others.length
      ? others.map((m) => {
        const box = h('input', { type: 'checkbox', name: 'user', value: m.id });
        box.checked = ticked.has(String(m.id));
        return h('label', { class: 'check' }, box, ` ${m.name}`);
      })
      : [h('p', { class: 'hint' }, 'Add members to the workspace first.')]));
    const myRole = state.members.find((m) => m.id === state.user.id)?.role;
    byId('add-member').hidden = !['owner', 'admin'].includes(myRole);
  }
}
