// The console at / in a real browser: two people, each in a browser context
// of their own, chatting through one Concord.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { OUT, REPO, launchBrowser, startConcord, until, watchErrors } from './harness.mjs';

// Screenshots go to target/browser/, or to CONSOLE_SCREENSHOTS
// (scripts/browser-tests.sh --screenshots sets docs/).
const SHOTS = resolve(REPO, process.env.CONSOLE_SCREENSHOTS ?? OUT);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let concord;
let browser;
const errors = [];
const people = {};

/** A browser context and page for a new person, signed up through the form. */
async function signUp(username, first, last) {
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  watchErrors(page, errors);
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(concord.base);
  const form = page.getByRole('form', { name: 'Create an account' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Email').fill(`${username}@example.com`);
  await form.getByLabel('Password').fill(`pass-${username}`);
  await form.getByLabel('First name').fill(first);
  await form.getByLabel('Last name').fill(last);
  await form.getByRole('button', { name: 'Create account' }).click();
  await live(page);
  const id = Number(await page.locator('#me-id').getAttribute('data-user-id'));
  return { context, page, id, username };
}

function live(page) {
  return page.locator('#status[data-state="live"]').waitFor();
}

function roomTitle(page) {
  return page.getByRole('heading', { level: 1 });
}

async function titled(page, text) {
  await until(`${text} as the room title`, async () => (await roomTitle(page).textContent()) === text);
}

function composer(page) {
  return page.getByLabel(/^Message /);
}

/** The room's message items whose text includes `text`. */
function message(page, text) {
  return page.locator('#timeline > li.message').filter({ hasText: text });
}

async function send(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await message(page, text).waitFor();
}

async function texts(page) {
  return page.locator('#timeline > li.message .content').allTextContents();
}

function roomLink(page, name) {
  return page.getByRole('navigation').getByRole('link', { name: new RegExp(name) });
}

describe('the console', { timeout: 180_000 }, () => {
  before(async () => {
    concord = await startConcord();
    browser = await launchBrowser();
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await concord?.stop();
  });

  it('signs two people up, and one brings the other into a workspace', async () => {
    people.alice = await signUp('alice', 'Alice', 'Liddell');
    people.bob = await signUp('bob', 'Bob', 'Builder');
    const { alice, bob } = people;

    await titled(alice.page, 'Welcome to Concord');
    const create = alice.page.locator('#new-workspace-form');
    await create.getByLabel('Name').fill('Acme');
    await create.getByLabel('Description').fill('Our team');
    await create.getByRole('button', { name: 'Create workspace' }).click();
    await titled(alice.page, '# general');

    await alice.page.getByText('Add a member').click();
    await alice.page.getByLabel('Their user id').fill(String(bob.id));
    await alice.page.getByRole('button', { name: 'Add member' }).click();
    await alice.page.locator('#add-member:not([open])').waitFor();

    await bob.page.getByRole('button', { name: 'Refresh lists' }).click();
    await titled(bob.page, '# general');
    assert.equal(await bob.page.getByLabel('Workspace', { exact: true }).inputValue(), await alice.page.getByLabel('Workspace', { exact: true }).inputValue());
  });

  it('shows a message sent in one browser live in the other', async () => {
    const { alice, bob } = people;
    await send(alice.page, 'Hello Bob, welcome to Acme');
    await message(bob.page, 'Hello Bob, welcome to Acme').waitFor();
    await send(bob.page, 'Thanks Alice!');
    await message(alice.page, 'Thanks Alice!').waitFor();
    // Screen readers hear the other person's message.
    await until('the announcement', async () =>
      (await alice.page.locator('#announcer').textContent()).includes('Bob Builder: Thanks Alice!'));
    assert.deepEqual(await texts(bob.page), ['Hello Bob, welcome to Acme', 'Thanks Alice!']);
  });

  it('threads replies under their message, live', async () => {
    const { alice, bob } = people;
    await message(bob.page, 'Hello Bob').getByRole('button', { name: /^Reply/ }).click();
    const thread = bob.page.getByRole('complementary');
    await thread.getByRole('heading', { name: 'Thread: Alice Liddell' }).waitFor();
    await thread.getByLabel('Reply in thread').fill('Glad to be here');
    await thread.getByLabel('Reply in thread').press('Enter');
    await thread.locator('li.message').filter({ hasText: 'Glad to be here' }).waitFor();

    // Alice sees the count under her message, and the reply in the thread.
    const count = message(alice.page, 'Hello Bob').getByRole('button', { name: /1 reply/ });
    await count.waitFor();
    await count.click();
    const aliceThread = alice.page.getByRole('complementary');
    await aliceThread.locator('li.message').filter({ hasText: 'Glad to be here' }).waitFor();
    // The reply stays out of the room's own history.
    assert.equal(await message(alice.page, 'Glad to be here').count(), 0);
    await aliceThread.getByRole('button', { name: 'Close thread' }).click();
    await bob.page.getByRole('button', { name: 'Close thread' }).click();
  });

  it('propagates an edit and a delete', async () => {
    const { alice, bob } = people;
    await send(alice.page, 'Lunch at noon?');
    await message(bob.page, 'Lunch at noon?').waitFor();

    const mine = message(alice.page, 'Lunch at noon?');
    await mine.getByRole('button', { name: 'Edit' }).click();
    const edit = alice.page.getByLabel('Edit message');
    await edit.fill('Lunch at one?');
    await edit.press('Enter');
    const edited = message(bob.page, 'Lunch at one?');
    await edited.waitFor();
    await edited.getByText('(edited)').waitFor();
    assert.equal(await message(bob.page, 'Lunch at noon?').count(), 0);

    // Bob may not edit or delete Alice's message.
    assert.equal(await edited.getByRole('button', { name: 'Edit' }).count(), 0);
    assert.equal(await edited.getByRole('button', { name: 'Delete' }).count(), 0);

    await message(alice.page, 'Lunch at one?').getByRole('button', { name: 'Delete' }).click();
    await until('the tombstone in Bob\'s browser', async () => (await texts(bob.page)).includes('This message has been deleted.'));
    assert.equal(await message(bob.page, 'Lunch at one?').count(), 0);
  });

  it('keeps the session and the room across a reload', async () => {
    const { bob } = people;
    const before = await texts(bob.page);
    await bob.page.reload();
    await live(bob.page);
    await titled(bob.page, '# general');
    assert.equal(await bob.page.locator('#me-name').textContent(), 'bob');
    await until('the same history after the reload', async () =>
      JSON.stringify(await texts(bob.page)) === JSON.stringify(before));
  });

  it('loses nothing across a network drop', async () => {
    const { alice, bob } = people;
    await bob.context.setOffline(true);
    await bob.page.locator('#status[data-state="offline"]').waitFor();

    await send(alice.page, 'Sent while Bob was offline, 1');
    await send(alice.page, 'Sent while Bob was offline, 2');
    await message(alice.page, 'Sent while Bob was offline, 1').getByRole('button', { name: 'Edit' }).click();
    await alice.page.getByLabel('Edit message').fill('Sent while Bob was offline, 1 (fixed)');
    await alice.page.getByLabel('Edit message').press('Enter');
    await message(alice.page, '(fixed)').waitFor();
    assert.equal(await message(bob.page, 'while Bob was offline').count(), 0);

    await bob.context.setOffline(false);
    await live(bob.page);
    await message(bob.page, 'Sent while Bob was offline, 1 (fixed)').waitFor();
    await message(bob.page, 'Sent while Bob was offline, 2').waitFor();
    const all = await texts(bob.page);
    assert.deepEqual(all.slice(-2), ['Sent while Bob was offline, 1 (fixed)', 'Sent while Bob was offline, 2']);
    const ids = await bob.page.locator('#timeline > li.message').evaluateAll((els) => els.map((el) => el.dataset.id));
    assert.equal(new Set(ids).size, ids.length, `a message shown twice: ${ids}`);
    // And live again afterwards.
    await send(alice.page, 'Back online?');
    await message(bob.page, 'Back online?').waitFor();
  });

  it('counts unread messages and clears them on every device of the reader', async () => {
    const { alice, bob } = people;
    await alice.page.getByText('New conversation').click();
    await alice.page.getByRole('checkbox', { name: 'Bob Builder' }).check();
    await alice.page.locator('#new-dm-form').getByLabel('Topic').fill('Launch');
    await alice.page.getByRole('button', { name: 'Start conversation' }).click();
    await titled(alice.page, 'Launch');

    // Bob on a second tab of the same browser: the same session.
    const tab = await bob.context.newPage();
    watchErrors(tab, errors);
    await tab.goto(concord.base);
    await live(tab);
    for (const page of [bob.page, tab]) {
      await page.getByRole('button', { name: 'Refresh lists' }).click();
      await roomLink(page, 'Launch').waitFor();
    }

    await send(alice.page, 'Launch is on Friday, @bob');
    for (const page of [bob.page, tab]) {
      await roomLink(page, 'Launch.*1 unread, mentioning you').waitFor();
    }
    await send(alice.page, 'Bring snacks');
    await roomLink(tab, 'Launch.*2 unread').waitFor();

    // Reading on one tab clears the badge on the other, live.
    await roomLink(bob.page, 'Launch').click();
    await titled(bob.page, 'Launch');
    await message(bob.page, 'Bring snacks').waitFor();
    await until('the badge to clear on the other tab', async () =>
      !/unread/.test(await roomLink(tab, 'Launch').textContent()));
    await tab.close();
  });

  it('pages back through a long history as the reader scrolls up', async () => {
    const { alice } = people;
    const create = alice.page.locator('#new-channel-form');
    await alice.page.getByText('New channel').click();
    await create.getByLabel('Name').fill('history');
    await create.getByRole('button', { name: 'Create channel' }).click();
    await titled(alice.page, '# history');
    const channelId = Number(await roomLink(alice.page, 'history').getAttribute('data-room'));
    await roomLink(alice.page, 'general').click();
    await titled(alice.page, '# general');

    const token = await alice.page.evaluate(() => localStorage.getItem('concord.token'));
    for (let i = 1; i <= 120; i += 1) {
      const res = await fetch(`${concord.base}/api/channels/${channelId}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: `line ${i}` }),
      });
      assert.equal(res.status, 201);
    }

    await roomLink(alice.page, 'history').click();
    await message(alice.page, 'line 120').waitFor();
    // The newest page only, at the bottom.
    assert.equal(await alice.page.locator('#timeline > li.message').count(), 50);
    const scroller = alice.page.locator('#timeline-scroller');
    await until('the first line after scrolling up', async () => {
      await scroller.evaluate((el) => { el.scrollTop = 0; });
      return (await texts(alice.page)).includes('line 1');
    });
    await alice.page.getByText('This is the very beginning of the room.').waitFor();
    const expected = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    assert.deepEqual(await texts(alice.page), expected);
  });

  it('works at phone width, by keyboard, in the same session', async () => {
    const { bob } = people;
    const context = await browser.newContext(PHONE);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(concord.base);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill('alice@example.com');
    await form.getByLabel('Password').fill('pass-alice');
    await form.getByLabel('Password').press('Enter');
    await live(page);
    await titled(page, '# general');

    // On a fresh load the skip link is the first stop, and lands in the message box.
    await page.reload();
    await live(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to the message box');
    await page.keyboard.press('Enter');
    await until('the focus in the message box', () => page.evaluate(() => document.activeElement.id === 'composer-input'));

    const nav = page.getByRole('navigation');
    assert.equal(await nav.isVisible(), false, 'the rooms start folded away');
    await page.getByRole('button', { name: 'Rooms' }).click();
    await nav.waitFor();
    await roomLink(page, 'Launch').click();
    await titled(page, 'Launch');
    await nav.waitFor({ state: 'hidden' });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'nothing wider than the screen');

    // Picking a room puts the focus in its message box.
    await until('the focus in the message box', () => page.evaluate(() => document.activeElement.id === 'composer-input'));
    await page.keyboard.type('Sent from my phone');
    await page.keyboard.press('Enter');
    await message(bob.page, 'Sent from my phone').waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-phone.png') });
    await context.close();
  });

  it('looks like this on a desktop', async () => {
    const { alice } = people;
    await roomLink(alice.page, 'general').click();
    await titled(alice.page, '# general');
    await message(alice.page, 'Hello Bob').getByRole('button', { name: /1 reply/ }).click();
    await alice.page.getByRole('complementary').locator('li.message').filter({ hasText: 'Glad to be here' }).waitFor();
    await alice.page.screenshot({ path: join(SHOTS, 'console-desktop.png') });
  });

  it('raised no script error and no Content-Security-Policy violation', () => {
    assert.deepEqual(errors, []);
  });
});
