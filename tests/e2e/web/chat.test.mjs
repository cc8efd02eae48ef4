// Two people in the same room: messages both ways, each in the other's
// presence list, the typing indicator, and text shown as text (a message that
// is HTML stays text and runs nothing). Saves docs/screenshots/chat.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import {
  HeraldServer, SCREENSHOTS, api, launchBrowser, openChat, say, shownTexts, waitForMember, waitForText,
} from './harness.mjs';

let server, browser, ann, bob;

before(async () => {
  server = await new HeraldServer().start();
  browser = await launchBrowser();
  ann = await openChat(browser, server, 'Ann');
  bob = await openChat(browser, server, 'Bob');
});
after(async () => {
  await browser?.close();
  await server?.dispose();
});

test('both see each other in the room\'s presence list', async () => {
  await waitForMember(ann, 'Bob');
  await waitForMember(bob, 'Ann');
  assert.equal(await ann.getByTestId('room-title').textContent(), '# lobby');
  const names = await ann.$$eval('[data-testid="member-name"]', (els) => els.map((e) => e.textContent));
  assert.deepEqual(names.sort(), ['Ann (you)', 'Bob']);
});

test('messages go both ways, with their authors', async () => {
  await say(ann, 'Hello Bob!');
  await waitForText(bob, 'Hello Bob!');
  await say(bob, 'Hi Ann, how are you?');
  await waitForText(ann, 'Hi Ann, how are you?');
  await say(ann, 'Fine — this chat runs on Herald.');
  await waitForText(bob, 'Fine — this chat runs on Herald.');
  await waitForText(ann, 'Fine — this chat runs on Herald.');
  for (const page of [ann, bob]) {
    assert.deepEqual(await shownTexts(page), ['Hello Bob!', 'Hi Ann, how are you?', 'Fine — this chat runs on Herald.']);
  }
  const authors = await bob.$$eval('[data-testid="message-author"]', (els) => els.map((e) => e.textContent));
  assert.deepEqual(authors, ['Ann', 'Bob', 'Ann']);
});

test('the typing indicator shows, then expires', async () => {
  await bob.getByTestId('message-input').pressSequentially('I am typ', { delay: 20 });
  await ann.waitForFunction(() => document.querySelector('[data-testid="typing"]').textContent === 'Bob is typing…', null, { timeout: 5000 });
  // No more keystrokes: gone within about 3 s.
  await ann.waitForFunction(() => document.querySelector('[data-testid="typing"]').textContent === '', null, { timeout: 6000 });
  await bob.getByTestId('message-input').fill('');
});

test('a message with HTML is shown as text and runs nothing', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  await say(bob, evil);
  await waitForText(ann, evil);
  await waitForText(bob, evil);
  for (const page of [ann, bob]) {
    const html = await page.$$eval('[data-testid="message-text"]', (els) => els.at(-1).innerHTML);
    assert.equal(html, '&lt;img src=x onerror=alert(1)&gt;');
    assert.equal(await page.$$eval('[data-testid="message-list"] img', (els) => els.length), 0);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(ann.dialogs, []);
  assert.deepEqual(bob.dialogs, []);
});

test('a new room appears in both lists and counts unread messages', async () => {
  await ann.getByTestId('room-input').fill('random');
  await ann.getByTestId('room-create').click();
  await ann.waitForFunction(() => document.querySelector('[data-testid="room-title"]').textContent === '# random');
  await bob.waitForSelector('[data-testid="room"][data-room="random"]');
  await say(ann, 'anyone in random?');
  await bob.waitForFunction(() =>
    document.querySelector('[data-testid="room"][data-room="random"] [data-testid="unread-count"]')?.textContent === '1');
  await bob.click('[data-testid="room-button"][data-room="random"]');
  await waitForText(bob, 'anyone in random?');
  assert.equal(await bob.$('[data-testid="room"][data-room="random"] [data-testid="unread-count"]'), null);
  await bob.click('[data-testid="room-button"][data-room="lobby"]');
  await waitForText(bob, 'Hello Bob!');
  await ann.click('[data-testid="room-button"][data-room="lobby"]');
  await waitForText(ann, 'Hello Bob!');
});

test('screenshot of two users talking', async () => {
  await say(ann, 'Let me send you the slides in a minute.');
  await waitForText(bob, 'Let me send you the slides in a minute.');
  await bob.getByTestId('message-input').pressSequentially('Great', { delay: 20 });
  await ann.waitForFunction(() => document.querySelector('[data-testid="typing"]').textContent !== '');
  mkdirSync(SCREENSHOTS, { recursive: true });
  await ann.screenshot({ path: path.join(SCREENSHOTS, 'chat.png') });
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('entering a room shows its last 100 messages; scrolling up loads the older ones', async () => {
  for (let i = 1; i <= 130; i++) await api(server, 'publish', { channel: 'chat:archive', data: { type: 'text', text: `old-${i}`, ts: Date.now() } });
  const cid = await openChat(browser, server, 'Cid', { room: 'archive' });
  const want = (from, to) => Array.from({ length: to - from + 1 }, (_, k) => `old-${from + k}`);
  await cid.waitForFunction(() => document.querySelectorAll('[data-testid="message-text"]').length === 100);
  assert.deepEqual(await shownTexts(cid), want(31, 130));
  await cid.waitForFunction(() => document.querySelector('[data-testid="messages-pane"]').scrollTop > 0); // at the newest
  await cid.getByTestId('messages-pane').evaluate((el) => { el.scrollTop = 0; });
  await cid.waitForFunction(() => document.querySelectorAll('[data-testid="message-text"]').length === 130);
  assert.deepEqual(await shownTexts(cid), want(1, 130));
  // On a phone-sized screen the rooms list is a drawer behind a button.
  await cid.setViewportSize({ width: 390, height: 760 });
  await cid.waitForFunction(() => document.querySelector('[data-testid="rooms-panel"]').getBoundingClientRect().right <= 0,
    null, { timeout: 2000 }); // slid out of view
  await cid.getByTestId('rooms-toggle').click();
  await cid.waitForFunction(() => document.querySelector('[data-testid="rooms-panel"]').getBoundingClientRect().left >= 0);
  await cid.click('[data-testid="room-button"][data-room="lobby"]');
  await waitForText(cid, 'Hello Bob!');
  await cid.waitForFunction(() => document.querySelector('[data-testid="rooms-panel"]').getBoundingClientRect().right <= 0);
  await cid.screenshot({ path: '/tmp/herald-chat-phone.png' });
  await cid.context().close();
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
