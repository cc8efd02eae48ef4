// A 1:1 video call between two pages, with Chromium's fake camera and
// microphone: Ann calls Bob from the presence list, Bob accepts, and each
// page's remote video plays. Then a hang-up, and a declined call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { HeraldServer, MEDIA_ARGS, launchBrowser, openChat, waitForMember } from './harness.mjs';

let server, browser, ann, bob;

before(async () => {
  server = await new HeraldServer().start();
  browser = await launchBrowser(MEDIA_ARGS);
  ann = await openChat(browser, server, 'Ann', { permissions: ['camera', 'microphone'] });
  bob = await openChat(browser, server, 'Bob', { permissions: ['camera', 'microphone'] });
  await waitForMember(ann, 'Bob');
  await waitForMember(bob, 'Ann');
});
after(async () => {
  await browser?.close();
  await server?.dispose();
});

async function call(from, toName) {
  await from.locator('[data-testid="member"]', { hasText: toName }).getByTestId('call-button').click();
}

// Resolves once the remote video has frames and its time advances.
async function remotePlaying(page) {
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid="remote-video"]');
    return v.readyState >= 2 && v.videoWidth > 0;
  }, null, { timeout: 20_000 });
  const t0 = await page.$eval('[data-testid="remote-video"]', (v) => v.currentTime);
  await page.waitForFunction((t) => document.querySelector('[data-testid="remote-video"]').currentTime > t, t0, { timeout: 5000 });
}

test('Ann calls Bob; both remote videos play; Bob hangs up', async () => {
  await call(ann, 'Bob');
  await bob.waitForSelector('[data-testid="call-incoming"]:not([hidden])');
  assert.equal(await bob.getByTestId('call-incoming-text').textContent(), 'Ann is calling you');
  await bob.getByTestId('call-accept').click();
  await Promise.all([remotePlaying(ann), remotePlaying(bob)]);
  for (const page of [ann, bob]) {
    await page.waitForSelector('[data-testid="call-panel"][data-state="connected"]', { timeout: 5000 });
  }
  assert.equal(await ann.getByTestId('call-status').textContent(), 'In a call with Bob');

  await bob.getByTestId('call-hangup').click();
  await ann.waitForSelector('[data-testid="call-panel"][data-state="ended"]');
  assert.equal(await ann.getByTestId('call-status').textContent(), 'Bob hung up');
  assert.equal(await ann.$eval('[data-testid="remote-video"]', (v) => v.srcObject), null);
});

test('a declined call ends on the caller\'s side with a message', async () => {
  await call(bob, 'Ann');
  await ann.waitForSelector('[data-testid="call-incoming"]:not([hidden])');
  await ann.getByTestId('call-decline').click();
  await bob.waitForFunction(() => document.querySelector('[data-testid="call-status"]').textContent === 'Ann declined the call',
    null, { timeout: 10_000 });
  assert.equal(await bob.$eval('[data-testid="call-panel"]', (e) => e.dataset.state), 'ended');
  // Call invites are signalling, not chat: nothing shows in the room.
  assert.equal(await ann.$$eval('[data-testid="message"]', (els) => els.length), 0);
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
